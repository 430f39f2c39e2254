/**
 * H75: DNS lookups timing out at a user-mode NAT's own resolver, 10.0.2.3 (analyzers/lib/user-mode-nat.ts,
 * wired in analyzers/log-signatures.ts). Real text only:
 * - test/fixtures/h75-slirp329/docker-pull.txt: rootless Docker's `docker pull`, `read udp 10.0.2.100:48971->10.0.2.3:53`
 *   (https://github.com/rootless-containers/slirp4netns/issues/329)
 * - NERDCTL: nerdctl's rootless CI under slirp4netns (https://github.com/containerd/nerdctl/issues/622)
 * - test/fixtures/rootless/moby-41789-journalctl-u-docker.txt: a rootless dockerd's journal (https://github.com/moby/moby/issues/41789)
 * - VBOX: Docker in a Vagrant/VirtualBox guest, `read udp 10.0.2.15:58957->10.0.2.3:53`
 *   (https://github.com/TechEmpower/FrameworkBenchmarks/issues/5024)
 * - COREDNS: CoreDNS pods of a cluster in VirtualBox, `read udp 192.168.18.1:36161->10.0.2.3:53`: a source outside
 *   10.0.2.0/24 (https://www.jeffgeerling.com/blog/2019/debugging-networking-issues-multi-node-kubernetes-on-virtualbox)
 * - LAN: a real DNS server timing out, 10.0.16.1 (https://github.com/rancher/quickstart/issues/43)
 * - EMBEDDED: Docker's embedded DNS 127.0.0.11 (Trivy's troubleshooting docs,
 *   https://github.com/aquasecurity/trivy/blob/main/docs/docs/references/troubleshooting.md)
 */
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { projectPath } from '../helpers/shared.js';

const SLIRP = 'rootless.slirp4netns-dns-timeout';
const TIMEOUT = 'log.connection-timed-out';
const NERDCTL =
  'ERROR: failed to do request: Head "https://ghcr.io/v2/stargz-containers/alpine/manifests/3.13-org": dial tcp: lookup ghcr.io on 10.0.2.3:53: read udp 10.0.2.100:50602->10.0.2.3:53: i/o timeout';
const VBOX = [
  'Get https://registry-1.docker.io/v2/: dial tcp: lookup registry-1.docker.io on 10.0.2.3:53: read udp 10.0.2.15:58957->10.0.2.3:53: i/o timeout',
  "docker: Error response from daemon: Get https://registry-1.docker.io/v2/: dial tcp: lookup registry-1.docker.io on 10.0.2.3:53: read udp 10.0.2.15:53190->10.0.2.3:53: i/o timeout.",
];
const COREDNS = '2018/11/12 07:40:00 [ERROR] 2 AAAA: unreachable backend: read udp 192.168.18.1:36161->10.0.2.3:53: i/o timeout';
const LAN =
  '    server-01: Error response from daemon: Get https://registry-1.docker.io/v2/appropriate/curl/manifests/latest: Get https://auth.docker.io/token?scope=repository%3Aappropriate%2Fcurl%3Apull&service=registry.docker.io: dial tcp: lookup auth.docker.io on 10.0.16.1:53: read udp 10.0.16.15:33107->10.0.16.1:53: i/o timeout';
const EMBEDDED =
  'Error: failed to list releases: Get <https://api.github.com/repos/aquasecurity/trivy-db/releases>: dial tcp: lookup api.github.com on 127.0.0.11:53: read udp 127.0.0.1:39070->127.0.0.11:53: i/o timeout';
const JOURNAL = projectPath('test/fixtures/rootless/moby-41789-journalctl-u-docker.txt');

/** a folder bundle of these files (text, or a path to copy) */
function folder(files: Record<string, string | { copy: string }>): string {
  const dir = mkdtempSync(join(tmpdir(), 'h75-'));
  for (const [name, v] of Object.entries(files)) {
    if (typeof v === 'string') writeFileSync(join(dir, name), v.endsWith('\n') ? v : `${v}\n`);
    else copyFileSync(v.copy, join(dir, name));
  }
  return dir;
}
const findings = async (dir: string) => (await analyzeBundle(dir)).findings;
const byId = (f: Awaited<ReturnType<typeof findings>>, id: string) => f.filter((x) => x.id === id);
const traced = (f: Awaited<ReturnType<typeof findings>>) => JSON.stringify(f).includes('bundle-doctor trace');

describe("slirp4netns' DNS forwarder: a finding of its own", () => {
  it('slirp4netns#329: 10.0.2.100 -> 10.0.2.3:53 is the rootless namespace asking slirp4netns, not a firewall', async () => {
    const f = await findings(projectPath('test/fixtures/h75-slirp329'));
    const [s, ...more] = byId(f, SLIRP);
    expect(more).toEqual([]);
    expect(s.severity).toBe('warning');
    expect(s.evidence.map((e) => [e.file, e.line])).toEqual([['docker-pull.txt', 3]]);
    expect(s.message).toMatch(/10\.0\.2\.3 is slirp4netns' built-in DNS forwarder/);
    expect(s.message).toMatch(/symlink to a file outside them/);
    expect(s.message).toMatch(/Nothing else in the bundle shows a rootless engine/);
    expect(s.message).not.toMatch(/DROP rule/);
    expect(s.remedy.commands).toContain('systemctl --user daemon-reload && systemctl --user restart docker');
    expect(s.remedy.commands.join('\n')).toMatch(/DOCKERD_ROOTLESS_ROOTLESSKIT_SLIRP4NETNS_SANDBOX=false/);
    expect(s.remedy.commands[0]).toMatch(/^ls -l \/etc\/resolv\.conf/);
    expect(s.remedy.commands.join('\n')).toMatch(/getent hosts registry-1\.docker\.io/);
    // the same line is no second finding, and nothing sends support to trace a path that does not exist
    expect(byId(f, TIMEOUT)).toEqual([]);
    expect(traced(f)).toBe(false);
  });

  it("nerdctl's rootless CI beside a rootless dockerd's journal: the engine is named, Docker's commands only", async () => {
    const f = await findings(folder({ 'journalctl-u-docker.txt': { copy: JOURNAL }, 'ci.log': NERDCTL }));
    const [s] = byId(f, SLIRP);
    expect(s.message).toMatch(/lookups of ghcr\.io from 10\.0\.2\.100/);
    expect(s.message).toMatch(/The bundle shows a rootless engine \(journalctl-u-docker\.txt:\d+/);
    expect(s.evidence.some((e) => e.file === 'journalctl-u-docker.txt')).toBe(true);
    expect(s.remedy.commands.join('\n')).not.toMatch(/containers\.conf/);
    expect(byId(f, TIMEOUT)).toEqual([]);
  });
});

describe("VirtualBox NAT's DNS proxy: said so, not a firewall's", () => {
  it('TechEmpower#5024: 10.0.2.15 -> 10.0.2.3:53 is worded as VirtualBox NAT, no trace, no firewall advice', async () => {
    const f = await findings(folder({ 'vagrant-up.log': VBOX.join('\n') }));
    expect(byId(f, SLIRP)).toEqual([]);
    const [t, ...more] = byId(f, TIMEOUT);
    expect(more).toEqual([]);
    expect(t.title).toMatch(/VirtualBox NAT's DNS proxy/);
    expect(t.message).toMatch(/VirtualBox guest/);
    expect(t.message).not.toMatch(/DROP rule/);
    expect(t.remedy.summary).toMatch(/--natdnshostresolver1 on/);
    expect(t.remedy.summary).not.toMatch(/DROP rule/);
    expect(traced(f)).toBe(false);
  });

  it('beside an ordinary timeout to the same address (COREDNS from 192.168.18.1): one finding, only that line traced', async () => {
    const f = await findings(folder({ 'mixed.log': [VBOX[0], COREDNS].join('\n') }));
    expect(byId(f, SLIRP)).toEqual([]);
    const [t] = byId(f, TIMEOUT);
    expect(t.evidence).toHaveLength(2);
    expect(t.message).toMatch(/Of these, the lookups from 10\.0\.2\.15 to 10\.0\.2\.3:53 are a VirtualBox guest's/);
    expect(t.facts?.supportTrace).toEqual(['bundle-doctor trace <bundle> --src 192.168.18.1 --dst 10.0.2.3:53/udp']);
  });
});

describe('healthy and other cases stay log.connection-timed-out', () => {
  it('10.0.2.3 from outside 10.0.2.0/24 (CoreDNS pods at 192.168.18.1), even beside a rootless dockerd', async () => {
    for (const files of [{ 'coredns.log': COREDNS }, { 'coredns.log': COREDNS, 'journalctl-u-docker.txt': { copy: JOURNAL } }]) {
      const f = await findings(folder(files));
      expect(byId(f, SLIRP)).toEqual([]);
      const [t] = byId(f, TIMEOUT);
      expect(t.title).toBe('Connections time out');
      expect(t.message).not.toMatch(/VirtualBox|slirp4netns/);
      expect(t.facts?.supportTrace).toEqual(['bundle-doctor trace <bundle> --src 192.168.18.1 --dst 10.0.2.3:53/udp']);
    }
  });

  it("a real DNS server timing out (10.0.16.1) and Docker's embedded DNS (127.0.0.11): log.dns-lookup-failed (H84), not a user-mode NAT", async () => {
    for (const line of [LAN, EMBEDDED]) {
      const f = await findings(folder({ 'app.log': line }));
      expect(byId(f, SLIRP)).toEqual([]);
      expect(byId(f, TIMEOUT)).toEqual([]);
      const [t] = byId(f, 'log.dns-lookup-failed');
      expect(t.message).toMatch(/timed out \(the resolver did not answer/);
      expect(t.message).not.toMatch(/VirtualBox|slirp4netns/);
    }
  });
});
