/**
 * sysctl.rp-filter-drops-pod-traffic with systemd's release as proof of the cause, on real text:
 * cilium/cilium#10645 (nberlee, 2020-07-27: `systemctl --version` = `systemd 245 (245.6-8-arch)` and the
 * three sysctl lines; test/fixtures/rp-filter/ticket-cilium-10645/), and this machine's Debian 12
 * `systemctl --version` / `dpkg -l` (systemd 252.39-1~deb12u2, a build without 50-default.conf;
 * test/fixtures/h25/debian12/). Until the systemdVersion kind is wired, the artifacts are built by hand.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import analyzer from '../../analyzers/sysctl-rp-filter-drops-pod-traffic.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { parseSysctlText } from '../../src/parsers/sysctl.js';
import { parseDpkgL } from '../../src/parsers/packages.js';
import { parseSystemdVersion, type SystemdVersion } from '../../src/parsers/systemd-version.js';
import { projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const read = (...p: string[]) => readFileSync(projectPath('test/fixtures', ...p), 'utf8');
const TICKET_SYSCTL = parseSysctlText(read('rp-filter/ticket-cilium-10645/sysctl.txt'), 'sysctl.txt');
const ticketVersion = () => parseSystemdVersion(read('rp-filter/ticket-cilium-10645/systemctl-version.txt'), 'systemctl-version.txt');
const debianVersion = () => parseSystemdVersion(read('h25/debian12/systemctl-version.txt'), 'systemctl-version.txt');

function node(extra: NodeArtifacts & { systemdVersion?: SystemdVersion[][] } = {}): NodeArtifacts {
  return { sysctl: [TICKET_SYSCTL], ...extra } as NodeArtifacts;
}

describe('sysctl.rp-filter-drops-pod-traffic: systemd release', () => {
  it("cites the ticket's `systemd 245 (245.6-8-arch)` line as the proof of the systemd >= 245 cause", () => {
    const [f, ...rest] = runNode(analyzer, node({ systemdVersion: [ticketVersion()] } as never), 'arch-node');
    expect(rest).toEqual([]);
    expect(f.severity).toBe('critical');
    const ev = f.evidence.find((e) => e.file === 'systemctl-version.txt');
    expect(ev).toMatchObject({ line: 2, excerpt: 'systemd 245 (245.6-8-arch)' });
    expect(ev?.note).toMatch(/from 245 on, systemd's \/usr\/lib\/sysctl\.d\/50-default\.conf sets net\.ipv4\.conf\.\*\.rp_filter = 2/);
    expect(f.message).toContain('This node runs systemd 245 (245.6-8-arch) (systemctl-version.txt:2)');
    expect(f.message).not.toContain('The usual cause is');
    expect(f.facts?.systemd).toBe(245);
  });

  it('without a version in the bundle, says the usual cause and how to tell the version, as before', () => {
    const [f] = runNode(analyzer, node(), 'arch-node');
    expect(f.message).toContain('The usual cause is systemd >= 245');
    expect(f.evidence.some((e) => e.file === 'systemctl-version.txt')).toBe(false);
    expect(f.facts?.systemd).toBeUndefined();
  });

  it("on Debian's build (252.39-1~deb12u2, no 50-default.conf) says the cause is another file, from systemctl or from dpkg -l", () => {
    for (const extra of [{ systemdVersion: [debianVersion()] }, { packages: [parseDpkgL(read('h25/debian12/dpkg-l.txt'), 'dpkg-l.txt')] }]) {
      const [f] = runNode(analyzer, node(extra as never), 'deb-node');
      expect(f.severity).toBe('critical');
      expect(f.message).toContain("Debian's systemd package installs no /usr/lib/sysctl.d/50-default.conf");
      expect(f.message).toContain('grep -rn rp_filter /etc/sysctl.conf /etc/sysctl.d');
      expect(f.message).not.toContain('The usual cause is');
      expect(f.facts?.systemd).toBe(252);
    }
  });

  it("on systemd older than 245 (CentOS 7's `systemd 219`) says no per-interface glob of systemd sets it: another file does", () => {
    const v = parseSystemdVersion(read('h25/centos7/systemctl-version.txt'), 'systemctl-version.txt');
    const [f] = runNode(analyzer, node({ systemdVersion: [v] } as never), 'old-node');
    expect(f.message).toContain('This node runs systemd 219 (systemctl-version.txt:2): upstream systemd before 245 sets no per-interface rp_filter');
    expect(f.message).toContain('another sysctl.d file');
    expect(f.evidence.find((e) => e.file === 'systemctl-version.txt')?.note).toMatch(/older than 245/);
  });

  it('a healthy Cilium node stays quiet whatever the systemd version (all and the interfaces at 0)', () => {
    const healthy = parseSysctlText('net.ipv4.conf.lxc4d36398ebb25.rp_filter = 0\nnet.ipv4.conf.all.rp_filter = 0\nnet.ipv4.conf.cilium_host.rp_filter = 0\n', 'sysctl.txt');
    expect(runNode(analyzer, { sysctl: [healthy], systemdVersion: [ticketVersion()] } as never, 'n')).toEqual([]);
  });
});
