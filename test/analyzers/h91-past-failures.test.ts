/**
 * H91 (reviewer R28 11, 12, 15, 16): log.dns-lookup-failed and log.cni-not-initialized end to end on R28's folders
 * (test/fixtures/h91-*: R28 typed those lines to match real formats; the signature tests in test/logs/h91-past-failures.test.ts
 * carry the verbatim lines of each kind with their sources), and variants of each where the failure is current.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { projectPath } from '../helpers/shared.js';

const FX = (name: string) => projectPath('test/fixtures', `h91-${name}`);
const tmp: string[] = [];
afterAll(() => {
  for (const d of tmp) rmSync(d, { recursive: true, force: true });
});

/** a copy of a fixture folder with one file changed */
function variant(name: string, file: string, edit: (text: string) => string): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'h91-')), name);
  tmp.push(dir);
  cpSync(FX(name), dir, { recursive: true });
  const p = join(dir, file);
  writeFileSync(p, edit(readFileSync(p, 'utf8')));
  return dir;
}

async function finding(folder: string, id: string) {
  const report = await analyzeBundle(folder);
  return report.findings.filter((f) => f.id === id);
}

const COREDNS = 'coredns-info-one-old-timeout';
const COREDNS_LOG = 'cluster-resources/pods/logs/kube-system/coredns-5d78c9869d-7xk2p/coredns.log';
const BOOT = 'boot-transient-eai-again';
const DOCKER = 'plain-docker-corporate-dns-10.100.0.10';
const CNI = 'calico-netd-bak-kubeconfig-boot-notready';

describe('R28 11: one old CoreDNS upstream timeout, the same name answered days later', () => {
  it('info, past tense, when and the later answer cited', async () => {
    const [f] = await finding(FX(COREDNS), 'log.dns-lookup-failed');
    expect(f.severity).toBe('info');
    expect(f.title).toBe('DNS lookups failed earlier; the same names resolved later');
    expect(f.message).toContain('1 upstream timeout on 2025-03-01 at 09:14:22, none since. Later lookups of the same name succeeded: api.example.com answered NOERROR on 2025-03-04 10:02:11.');
    expect(f.message).toContain("the pods' lookups of outside names failed with them");
    expect(f.message).not.toMatch(/outside names fail with them/);
    expect(f.evidence.map((e) => [e.file, e.line])).toEqual([
      [COREDNS_LOG, 5],
      [COREDNS_LOG, 9],
    ]);
    expect(f.facts).toMatchObject({ past: 'answered-later' });
  });
  it('without the later answer: the warning stands', async () => {
    const dir = variant(COREDNS, COREDNS_LOG, (t) => t.split('\n').filter((l) => !/NOERROR/.test(l)).join('\n'));
    const [f] = await finding(dir, 'log.dns-lookup-failed');
    expect(f.severity).toBe('warning');
    expect(f.title).toBe('DNS lookups fail');
    expect(f.message).toContain('the pods\' lookups of outside names fail with them');
  });
  it('the timeout again after the answer: the warning stands', async () => {
    const dir = variant(COREDNS, COREDNS_LOG, (t) => `${t.trimEnd()}\n2025-03-04T11:00:00.000000000Z [ERROR] plugin/errors: 2 api.example.com. A: read udp 10.244.0.3:38451->10.0.0.2:53: i/o timeout\n`);
    const [f] = await finding(dir, 'log.dns-lookup-failed');
    expect(f.severity).toBe('warning');
  });
});

describe('R28 12: ntpd / dnf failing at boot seconds before the network was online', () => {
  it('info: during boot, before the network was online (08:00:03)', async () => {
    const [f] = await finding(FX(BOOT), 'log.dns-lookup-failed');
    expect(f.severity).toBe('info');
    expect(f.title).toBe('DNS lookups failed during boot, before the network was online');
    expect(f.message).toContain('2 failed lookups on Mar 4 from 07:59:59 to 08:00:00, none since.');
    expect(f.message).toContain('during boot, before the network was online (08:00:03');
    expect(f.evidence.slice(2).map((e) => [e.line, e.note])).toEqual([
      [5, 'the network came online after the failures'],
      [6, 'the network came online after the failures'],
    ]);
    expect(f.remedy.summary).toContain('network-online.target');
    expect(f.remedy.supportNote ?? '').not.toContain('trace');
  });
  it('the same failure in the afternoon, hours after the network came online: warning', async () => {
    const dir = variant(BOOT, 'var/log/messages', (t) => `${t.trimEnd()}\nMar  4 14:30:00 node1 dnf[6001]: Curl error (6): Couldn't resolve host name for https://mirrors.rockylinux.org/mirrorlist?arch=x86_64&repo=BaseOS-9 [Could not resolve host: mirrors.rockylinux.org]\n`);
    const [f] = await finding(dir, 'log.dns-lookup-failed');
    expect(f.severity).toBe('warning');
    expect(f.title).toBe('DNS lookups fail');
  });
  it("only NetworkManager's CONNECTED_GLOBAL after them (it also follows a link coming back): info, not called boot", async () => {
    const dir = variant(BOOT, 'var/log/messages', (t) => t.split('\n').filter((l) => !/Network is Online/.test(l)).join('\n'));
    const [f] = await finding(dir, 'log.dns-lookup-failed');
    expect(f.severity).toBe('info');
    expect(f.title).toBe('DNS lookups failed before the network was online');
    expect(f.message).toContain("before the network was online (08:00:03, NetworkManager's CONNECTED_GLOBAL): at boot or while the link was down.");
    expect(f.message).not.toContain('during boot');
  });
  it('no network-online line at all: warning', async () => {
    const dir = variant(BOOT, 'var/log/messages', (t) => t.split('\n').filter((l) => !/CONNECTED_GLOBAL|Network is Online/.test(l)).join('\n'));
    const [f] = await finding(dir, 'log.dns-lookup-failed');
    expect(f.severity).toBe('warning');
  });
});

describe("R28 15: a Docker build host whose own resolv.conf names 10.100.0.10", () => {
  it("the host's nameserver, dig @10.100.0.10 / getent hosts; no kube-dns, no kubectl", async () => {
    const [f] = await finding(FX(DOCKER), 'log.dns-lookup-failed');
    expect(f.severity).toBe('warning');
    expect(f.message).toContain("10.100.0.10 is the nameserver of the host's own resolv.conf (etc/resolv.conf)");
    expect(f.message).not.toMatch(/kube-dns|CoreDNS/);
    expect(f.remedy.commands.join('\n')).not.toContain('kubectl');
    expect(f.remedy.commands).toContain("dig @10.100.0.10 registry-1.docker.io   # on the host: does the host's nameserver answer?");
  });
  it('without the resolv.conf and without Kubernetes: neither the host sentence nor kube-dns', async () => {
    const dir = variant(DOCKER, 'etc/resolv.conf', () => '');
    rmSync(join(dir, 'etc/resolv.conf'));
    const [f] = await finding(dir, 'log.dns-lookup-failed');
    expect(f.message).not.toMatch(/kube-dns|host's own resolv\.conf/);
  });
  it('a Kubernetes node (kubelet running) asking 10.96.0.10: kube-dns with its kubectl checks', async () => {
    const dir = variant(DOCKER, 'docker.log', (t) => t.replaceAll('10.100.0.10', '10.96.0.10'));
    mkdirSync(join(dir, 'sos_commands/systemd'), { recursive: true });
    writeFileSync(join(dir, 'sos_commands/systemd/systemctl_list-units'), 'kubelet.service loaded active running kubelet: The Kubernetes Node Agent\n');
    const [f] = await finding(dir, 'log.dns-lookup-failed');
    expect(f.message).toContain("That address is the cluster's DNS Service (kube-dns");
    expect(f.remedy.commands.join('\n')).toContain('kubectl -n kube-system get pods -l k8s-app=kube-dns');
  });
});

describe('R28 16: cni plugin not initialized at start-up, the node ready 10 s later', () => {
  it('info, past tense: during start-up (10 s), resolved at 08:00:31', async () => {
    const [f] = await finding(FX(CNI), 'log.cni-not-initialized');
    expect(f.severity).toBe('info');
    expect(f.title).toBe('The container runtime had no CNI network during start-up (resolved)');
    expect(f.message).toContain('during start-up (10 s, from 08:00:21), resolved at 08:00:31');
    expect(f.message).not.toContain('stay in ContainerCreating');
    expect(f.evidence.at(-1)).toMatchObject({ file: 'var/log/messages', line: 3 });
  });
  it('no ready line after them: the present-tense meaning stays, the valid file in net.d named', async () => {
    const dir = variant(CNI, 'var/log/messages', (t) => t.split('\n').filter((l) => !/became ready/.test(l)).join('\n'));
    const [f] = await finding(dir, 'log.cni-not-initialized');
    expect(f.message).toContain('pods stay in ContainerCreating until a valid configuration is there');
    expect(f.message).toContain('The directory holds a file the runtime can load now (10-calico.conflist)');
    expect(f.title).toBe('The container runtime has no CNI network');
  });
  it('the lines again after the node was ready: not resolved', async () => {
    const dir = variant(CNI, 'var/log/messages', (t) =>
      `${t.trimEnd()}\nMar  4 09:10:00 node1 kubelet[1201]: E0304 09:10:00.552103    1201 kubelet.go:2855] "Container runtime network not ready" networkReady="NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized"\n`,
    );
    const [f] = await finding(dir, 'log.cni-not-initialized');
    expect(f.title).toBe('The container runtime has no CNI network');
    expect(f.message).not.toContain('resolved at');
  });
});
