/**
 * H80 (reviewer R26 22, 10, 11). Real text:
 * - AUDIT: three records of a kind cluster's /var/log/kubernetes/kube-apiserver-audit.log (the log backend's JSON lines,
 *   `"kind":"Event","apiVersion":"audit.k8s.io/v1"`), as a public Kubernetes security workshop prints them (found by
 *   code search; the same shape as https://github.com/kubernetes/kubernetes/issues/123317 and the audit task page,
 *   https://github.com/kubernetes/website/pull/5300). Its third record is a failed request: 404 NotFound.
 * - AUDIT_TIMEOUT: the record shape of AUDIT's third line with the apiserver's proxied request failing as
 *   kubernetes-retired/dashboard#3709 shows it (`dial tcp 10.96.0.1:443: i/o timeout`,
 *   https://github.com/kubernetes-retired/dashboard/issues/3709), and the reviewer's case, kept in test/fixtures/r26-cases/22-k8s-audit-jsonlines.
 * - test/fixtures/h69/*.json: kubectl / troubleshoot event lists (read as events; compacted by JSON.stringify as
 *   `jq -c .` does, and as JSON lines as `jq -c '.items[]'` does).
 * - NERDCTL: nerdctl's rootless CI under slirp4netns (https://github.com/containerd/nerdctl/issues/622).
 * - HOST_STUB: `docker run` on a host whose systemd-resolved stub times out, a pre-commit hook's output in a public
 *   repository (found by code search for `on 127.0.0.53:53: read udp 127.0.0.1:`).
 * - EMBEDDED: Docker's embedded DNS 127.0.0.11 (https://github.com/aquasecurity/trivy/blob/main/docs/docs/references/troubleshooting.md).
 * - BUILDKIT: a container (172.17.0.2) timing out at a LAN nameserver, docker buildx output in a public repository.
 * - test/fixtures/h80-vbox-guest/ip_addr.txt: real `ip addr` of a namespace holding enp0s3 10.0.2.15/24 (VirtualBox
 *   NAT's guest address; a bridge device, as no dummy module is loaded here) and docker0 172.17.0.1/16.
 */
import { mkdtempSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { sniffKubeEvents } from '../../src/logs/kube-events.js';
import { projectPath } from '../helpers/shared.js';

const AUDIT = [
  '{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"4cf311a0-6a75-4364-9d15-5ff65ca99fc4","stage":"RequestReceived","requestURI":"/api/v1/namespaces/default/events","verb":"create","user":{"username":"system:node:kind-control-plane","groups":["system:nodes","system:authenticated"]},"sourceIPs":["172.18.0.2"],"userAgent":"kubelet/v1.30.0 (linux/amd64) kubernetes/7c48c2b","objectRef":{"resource":"events","namespace":"default","apiVersion":"v1"},"requestReceivedTimestamp":"2024-08-11T15:04:42.938588Z","stageTimestamp":"2024-08-11T15:04:42.938588Z"}',
  '{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"21d49901-fda4-458f-973c-c582a59f8b6f","stage":"RequestReceived","requestURI":"/apis/storage.k8s.io/v1/csinodes/kind-control-plane?resourceVersion=0","verb":"get","user":{"username":"system:node:kind-control-plane","groups":["system:nodes","system:authenticated"]},"sourceIPs":["172.18.0.2"],"userAgent":"kubelet/v1.30.0 (linux/amd64) kubernetes/7c48c2b","objectRef":{"resource":"csinodes","name":"kind-control-plane","apiGroup":"storage.k8s.io","apiVersion":"v1"},"requestReceivedTimestamp":"2024-08-11T15:04:42.940142Z","stageTimestamp":"2024-08-11T15:04:42.940142Z"}',
  '{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"21d49901-fda4-458f-973c-c582a59f8b6f","stage":"ResponseComplete","requestURI":"/apis/storage.k8s.io/v1/csinodes/kind-control-plane?resourceVersion=0","verb":"get","user":{"username":"system:node:kind-control-plane","groups":["system:nodes","system:authenticated"]},"sourceIPs":["172.18.0.2"],"userAgent":"kubelet/v1.30.0 (linux/amd64) kubernetes/7c48c2b","objectRef":{"resource":"csinodes","name":"kind-control-plane","apiGroup":"storage.k8s.io","apiVersion":"v1"},"responseStatus":{"metadata":{},"status":"Failure","message":"csinodes.storage.k8s.io \\"kind-control-plane\\" not found","reason":"NotFound","details":{"name":"kind-control-plane","group":"storage.k8s.io","kind":"csinodes"},"code":404},"requestReceivedTimestamp":"2024-08-11T15:04:42.940142Z","stageTimestamp":"2024-08-11T15:04:42.940847Z","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":""}}',
];
const AUDIT_TIMEOUT = AUDIT[2]
  .replace('csinodes.storage.k8s.io \\"kind-control-plane\\" not found', 'Get \\"https://10.96.0.1:443/version\\": dial tcp 10.96.0.1:443: i/o timeout')
  .replace('"reason":"NotFound",', '')
  .replace('"code":404', '"code":504');
const NERDCTL =
  'ERROR: failed to do request: Head "https://ghcr.io/v2/stargz-containers/alpine/manifests/3.13-org": dial tcp: lookup ghcr.io on 10.0.2.3:53: read udp 10.0.2.100:50602->10.0.2.3:53: i/o timeout';
const HOST_STUB =
  'docker: Error response from daemon: Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io on 127.0.0.53:53: read udp 127.0.0.1:45289->127.0.0.53:53: i/o timeout';
const EMBEDDED =
  'Error: failed to list releases: Get <https://api.github.com/repos/aquasecurity/trivy-db/releases>: dial tcp: lookup api.github.com on 127.0.0.11:53: read udp 127.0.0.1:39070->127.0.0.11:53: i/o timeout';
const BUILDKIT =
  '#2 ERROR: failed to do request: Head "https://registry-1.docker.io/v2/library/node/manifests/24-alpine": dial tcp: lookup registry-1.docker.io on 192.168.1.41:53: read udp 172.17.0.2:53782->192.168.1.41:53: i/o timeout';
const VBOX_IP = projectPath('test/fixtures/h80-vbox-guest/ip_addr.txt');
const R26 = projectPath('test/fixtures/r26-cases');

function folder(files: Record<string, string | { copy: string }>): string {
  const dir = mkdtempSync(join(tmpdir(), 'h80-'));
  for (const [name, v] of Object.entries(files)) {
    if (typeof v === 'string') writeFileSync(join(dir, name), v.endsWith('\n') ? v : `${v}\n`);
    else copyFileSync(v.copy, join(dir, name));
  }
  return dir;
}
const report = (dir: string) => analyzeBundle(dir);
type Findings = Awaited<ReturnType<typeof report>>['findings'];
const byId = (f: Findings, id: string) => f.filter((x) => x.id === id);
const h69 = (name: string) => readFileSync(projectPath('test', 'fixtures', 'h69', name), 'utf8');

describe('sniffKubeEvents: audit logs and JSON lines are logs, event lists are events', () => {
  it('an apiserver audit log (JSON lines of audit.k8s.io Events) is no event list', () => {
    expect(sniffKubeEvents(AUDIT.join('\n'))).toBe(false);
    // one record alone: still audit.k8s.io, not a core Event
    expect(sniffKubeEvents(`${AUDIT[0]}\n`)).toBe(false);
  });

  it('event lists stay event lists: pretty-printed, compact on one line, and a bare array', () => {
    for (const name of ['kubectl-events-flannel.json', 'troubleshoot-events-healthy.json', 'events-k8s-io-v1.json']) {
      const text = h69(name);
      expect(sniffKubeEvents(text.slice(0, 4096)), name).toBe(true);
      expect(sniffKubeEvents(`${JSON.stringify(JSON.parse(text))}\n`), `${name} compact`).toBe(true);
    }
    const items = (JSON.parse(h69('kubectl-events-flannel.json')) as { items: unknown[] }).items;
    expect(sniffKubeEvents(JSON.stringify(items))).toBe(true);
  });

  it("core Events as JSON lines (jq -c '.items[]') are a log, not one document", () => {
    const items = (JSON.parse(h69('kubectl-events-flannel.json')) as { items: unknown[] }).items;
    expect(items.length).toBeGreaterThan(1);
    expect(sniffKubeEvents(items.map((i) => JSON.stringify(i)).join('\n'))).toBe(false);
  });
});

describe('an audit log is scanned as a log', () => {
  it("the audit record's dial timeout is found at its own line", async () => {
    const r = await report(folder({ 'audit.log': [...AUDIT, AUDIT_TIMEOUT].join('\n') }));
    const [t] = byId(r.findings, 'log.connection-timed-out');
    expect(t?.evidence.map((e) => [e.file, e.line])).toEqual([['audit.log', 4]]);
    expect(JSON.stringify(r)).not.toMatch(/not valid JSON|not a Kubernetes event list/);
  });

  it('a healthy audit log gives no finding and no parse error', async () => {
    const r = await report(folder({ 'audit.log': AUDIT.join('\n') }));
    expect(r.findings.filter((f) => f.evidence.some((e) => e.file === 'audit.log'))).toEqual([]);
    expect(JSON.stringify(r)).not.toMatch(/not valid JSON|not a Kubernetes event list/);
  });

  it("R26 22: the 504's i/o timeout is kept", async () => {
    const r = await report(join(R26, '22-k8s-audit-jsonlines'));
    expect(byId(r.findings, 'log.connection-timed-out')[0]?.evidence.map((e) => [e.file, e.line])).toEqual([['audit.log', 1]]);
  });
});

describe("slirp4netns' DNS forwarder when the host's own resolver does not answer", () => {
  const SLIRP = 'rootless.slirp4netns-dns-timeout';

  it("leads with the host's resolver and cites the host's own timed-out lookup", async () => {
    const f = (await report(folder({ 'nerdctl.log': NERDCTL, 'host-docker.log': HOST_STUB }))).findings;
    const [s] = byId(f, SLIRP);
    expect(s).toBeDefined();
    const host = s.message.indexOf("The host's own resolver does not answer");
    expect(host).toBeGreaterThan(0);
    expect(s.message).toContain('host-docker.log:1, registry-1.docker.io on 127.0.0.53:53');
    // the sandbox / symlink causes come after it
    expect(s.message.indexOf('symlink to a file outside them')).toBeGreaterThan(host);
    expect(s.message).not.toMatch(/Usual causes/);
    expect(s.evidence.map((e) => [e.file, e.line])).toEqual([
      ['nerdctl.log', 1],
      ['host-docker.log', 1],
    ]);
    expect(s.remedy.summary).toMatch(/^Fix the host's own DNS first/);
    expect(s.remedy.commands[1]).toMatch(/^resolvectl status/);
  });

  it('without a host-side timeout: the usual causes, the sandbox first', async () => {
    const [s] = byId((await report(folder({ 'nerdctl.log': NERDCTL }))).findings, SLIRP);
    expect(s.message).toMatch(/Usual causes: slirp4netns runs sandboxed/);
    expect(s.message).not.toMatch(/The host's own resolver does not answer/);
    expect(s.evidence.map((e) => e.file)).toEqual(['nerdctl.log']);
    expect(s.remedy.summary).toMatch(/^Check on the host/);
  });

  it("Docker's embedded DNS (127.0.0.11) timing out is a container's, not the host's resolver", async () => {
    const [s] = byId((await report(folder({ 'nerdctl.log': NERDCTL, 'trivy.log': EMBEDDED }))).findings, SLIRP);
    expect(s.message).not.toMatch(/The host's own resolver does not answer/);
  });

  it('R26 10: cites host-journal.log:4', async () => {
    const [s] = byId((await report(join(R26, '10-rootless-dns-host-down'))).findings, SLIRP);
    expect(s.message).toContain('host-journal.log:4, quay.io on 127.0.0.53:53');
    expect(s.evidence.map((e) => `${e.file}:${e.line}`)).toContain('host-journal.log:4');
  });
});

describe("a VirtualBox guest's containers asking VirtualBox NAT's DNS proxy", () => {
  const VB = /VirtualBox NAT's DNS proxy/;
  const R11 = join(R26, '11-vbox-guest-container-lookups');

  it('172.17.0.2 -> 10.0.2.3:53 on a guest with 10.0.2.15: the VirtualBox wording', async () => {
    const f = (await report(folder({ 'ip_addr.txt': { copy: VBOX_IP }, 'app-container.log': { copy: join(R11, 'app-container.log') } }))).findings;
    const [t] = byId(f, 'log.connection-timed-out');
    expect(t.title).toMatch(VB);
    expect(t.message).toMatch(/172\.17\.0\.2 \(containers on the guest's Docker bridge/);
    expect(t.message).not.toMatch(/a DROP rule/);
    expect(t.remedy.commands.join('\n')).toMatch(/natdnshostresolver1/);
    expect(byId(f, 'rootless.slirp4netns-dns-timeout')).toEqual([]);
  });

  it('the same lines on a node with no 10.0.2.x address: not VirtualBox', async () => {
    const [t] = byId((await report(folder({ 'app-container.log': { copy: join(R11, 'app-container.log') } }))).findings, 'log.connection-timed-out');
    expect(t.title).not.toMatch(VB);
  });

  it("a container's lookup to a LAN nameserver on the guest is an ordinary DNS timeout (log.dns-lookup-failed, H84)", async () => {
    const [t] = byId((await report(folder({ 'ip_addr.txt': { copy: VBOX_IP }, 'build.log': BUILDKIT }))).findings, 'log.dns-lookup-failed');
    expect(t).toBeDefined();
    expect(t.title).not.toMatch(VB);
    expect(t.message).not.toMatch(/VirtualBox/);
  });
});
