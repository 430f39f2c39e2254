/**
 * H38: three log readings from reviews R14 (case 01) and R15 (case 07), on verbatim ticket text
 * (test/fixtures/h38/SOURCES.md):
 * - https://github.com/docker/for-linux/issues/1163: dockerd 20.10 on Fedora 32 exits with `Failed to program NAT
 *   chain: ZONE_CONFLICT: 'docker0' already bound to a zone` (firewalld had docker0 in another zone; Docker >= 20.10
 *   puts its bridges in firewalld's `docker` zone: docker/docs#11883, moby/moby#41609). The named-zone wording
 *   (`already bound to 'trusted'`) is the Fedora 35 page of rhcs-dashboard/ceph-dev's wiki
 *   (https://github.com/rhcs-dashboard/ceph-dev/wiki/Firewalld-issue-with-docker-on-Fedora-35); firewall-cmd's own
 *   ZONE_CONFLICT is sar's comment on https://github.com/moby/moby/issues/41609.
 * - https://github.com/flannel-io/flannel/issues/1279: the receiving node's kernel logging `UDP: bad checksum. From
 *   172.16.9.99:27503 to 172.16.80.252:8472 ulen 75`, and the session where `ethtool -K flannel.1
 *   tx-checksum-ip-generic off` printed its Actual changes and nslookup answered after it.
 * Healthy: the kernel's bad checksums on other ports (an NTP server's syslog in a public fail2ban tutorial, port 123;
 * Ubuntu Forums "Ubuntu 3.7.2 Kernel UDP Attack?" 2013-07-17, ports 21143/23489; Ubuntu Forums "Gutsy freezing" 2008,
 * source port 8722), and a dockerd start with firewalld on Fedora that logged no ZONE_CONFLICT. The `ip -d address`
 * fixture is real output of iproute2 6.1.0 on this machine (a namespace with flannel.4096 on 4789, flannel's Windows
 * VNI and port, and an external cilium_vxlan on 8472).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { FindingDraft } from '../../src/engine/analyzer.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { scanLogText, type LogMatch } from '../../src/logs/scanner.js';
import { SIGNATURES } from '../../src/logs/signatures.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { beforeWorkaround, firewalldZoneConflict, offloadWorkarounds, vxlanChecksum } from '../../analyzers/lib/r12-wording.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const fixture = (name: string) => readFileSync(projectPath('test', 'fixtures', 'h38', name), 'utf8');
const scan = (text: string, file = 'case.log') => scanLogText(text, file, { catalog: SIGNATURES, year: 2026 });
const of = (text: string, id: string, file?: string) => scan(text, file).matches.filter((m) => m.signature === id);

function draftOf(id: string, matches: LogMatch[], meaning: string, commands: string[] = [], severity: FindingDraft['severity'] = 'warning'): FindingDraft {
  return { id, severity, title: 't', message: `${matches.length} lines in 1 log on n1: ${meaning}`, evidence: matches.map((m) => ({ file: m.file, line: m.line, excerpt: m.excerpt })), remedy: { summary: 'advice', commands: [...commands] } };
}

const ZONE = 'log.docker-firewalld-zone-conflict';
const CHECKSUM = 'log.vxlan-bad-udp-checksum';

describe('docker/for-linux#1163: firewalld ZONE_CONFLICT at dockerd start', () => {
  const text = fixture('for-linux-1163-journalctl.txt');
  it("reads dockerd's line as the zone conflict, with the interface from the line", () => {
    const m = of(text, ZONE);
    expect(m.map((x) => x.line)).toEqual([3]);
    expect(m[0].facts).toMatchObject({ iface: 'docker0', daemonStart: 'failed to start daemon', network: 'bridge' });
    expect(m[0].facts.zone).toBeUndefined();
    // the generic start failure still matches the same line: the new entry explains it (they fold into one)
    expect(of(text, 'log.docker-network-controller-failed').map((x) => x.line)).toEqual([3]);
    expect(SIGNATURES.find((s) => s.id === ZONE)!.explains).toEqual(['log.docker-network-controller-failed']);
  });
  it('newer firewalld names the zone: the remedy removes it from that zone first', () => {
    const line = `failed to start daemon: Error initializing network controller: Error creating default "bridge" network: Failed to program NAT chain: ZONE_CONFLICT: 'docker0' already bound to 'trusted'`;
    const m = of(line, ZONE);
    expect(m[0].facts).toMatchObject({ iface: 'docker0', zone: 'trusted' });
    const sig = SIGNATURES.find((s) => s.id === ZONE)!;
    const d = draftOf(ZONE, m, sig.meaning, sig.commands!.map((c) => c.replaceAll('{iface}', 'docker0')));
    firewalldZoneConflict(d, m);
    expect(d.message).toContain('docker0 is in trusted');
    expect(d.remedy.commands[1]).toBe('firewall-cmd --permanent --zone=trusted --remove-interface=docker0 && firewall-cmd --reload   # the zone the line names; pasted again firewalld answers NOT_ENABLED, which it counts as success');
  });
  it('a user network refused the same way leaves dockerd running: said so', () => {
    // the same reason as the client prints it for `docker network create` (no daemon start in the line)
    const line = `Error response from daemon: Failed to program FILTER chain: ZONE_CONFLICT: 'br-3f1c2a9d0e11' already bound to a zone`;
    const m = of(line, ZONE);
    expect(m[0].facts).toMatchObject({ iface: 'br-3f1c2a9d0e11' });
    const d = draftOf(ZONE, m, 'x');
    firewalldZoneConflict(d, m);
    expect(d.title).toMatch(/network was not created/);
    expect(d.message).toContain('dockerd kept running');
  });
  it("firewall-cmd's own ZONE_CONFLICT and a dockerd start without one are no such failure", () => {
    expect(of("Error: ZONE_CONFLICT: remove_interface(trusted, docker0): zoi='DockerServer'", ZONE)).toEqual([]);
    const healthy = fixture('fedora-docker-start-firewalld.txt');
    const ids = scan(healthy).matches.map((m) => m.signature);
    expect(ids).not.toContain(ZONE);
    expect(ids).not.toContain('log.docker-network-controller-failed');
  });
  it('the analyzer: one critical finding worded for firewalld, with the commands for docker0', async () => {
    const report = await analyzeBundle(writeFolder({ 'journalctl-u-docker.txt': text }, 'h38-zone'));
    const fs = report.findings;
    const zone = fs.find((f) => f.id === ZONE);
    expect(zone).toBeDefined();
    expect(zone!.severity).toBe('critical');
    expect(fs.some((f) => f.id === 'log.docker-network-controller-failed')).toBe(false);
    expect(zone!.related).toContain('log.docker-network-controller-failed');
    const cmds = zone!.remedy!.commands.join('\n');
    expect(cmds).toContain('firewall-cmd --get-zone-of-interface=docker0');
    expect(cmds).toContain('--permanent --zone="$zone" --remove-interface=docker0 && firewall-cmd --reload');
    expect(cmds).toMatch(/systemctl (re)?start docker/);
    expect(`${zone!.message} ${zone!.remedy!.summary}`).not.toMatch(/iptable_nat|back-end mismatch/);
  });
  it('the analyzer on a healthy firewalld start: no Docker start finding', async () => {
    const report = await analyzeBundle(writeFolder({ 'journalctl-u-docker.txt': fixture('fedora-docker-start-firewalld.txt') }, 'h38-zone-ok'));
    const ids = report.findings.map((f) => f.id);
    expect(ids).not.toContain(ZONE);
    expect(ids).not.toContain('log.docker-network-controller-failed');
  });
});

describe("flannel#1279: the receiving kernel's `UDP: bad checksum` on the VXLAN port", () => {
  const dmesg = fixture('flannel-1279-dmesg.txt');
  it('all four kernel lines count, with the port and the sender', () => {
    const m = of(dmesg, CHECKSUM, 'dmesg.txt');
    expect(m.map((x) => x.line)).toEqual([1, 2, 3, 4]);
    expect(m[0].facts).toMatchObject({ kernel: 'UDP', src: '172.16.9.99', dst: '172.16.80.252', port: '8472' });
  });
  it('bad checksums on other ports (NTP 123, 21143, a source port near 8472) are no VXLAN problem', () => {
    expect(of(fixture('ntp-bad-checksum-syslog.txt'), CHECKSUM)).toEqual([]);
    expect(of(fixture('ubuntu-forums-bad-checksum.txt'), CHECKSUM)).toEqual([]);
  });
  it("words the kernel's drop on the receiver and names flannel.1 for 8472", () => {
    const m = of(dmesg, CHECKSUM, 'dmesg.txt');
    const d = draftOf(CHECKSUM, m, SIGNATURES.find((s) => s.id === CHECKSUM)!.meaning);
    vxlanChecksum(d, { port: ['8472'], kernel: ['UDP'], src: ['172.16.9.99'] }, { matches: m });
    expect(d.message).toContain("dmesg.txt:1 and 3 more are this node's kernel dropping them on arrival");
    expect(d.message).toContain('the sender is 172.16.9.99');
    expect(d.title).toBe('VXLAN packets dropped on arrival for a bad UDP checksum (checksum offload bug)');
    expect(d.remedy.commands).toContain('ethtool -K flannel.1 tx-checksum-ip-generic off   # now; pasted again it changes nothing');
    expect(d.remedy.commands.join('\n')).toContain('ENV{INTERFACE}=="flannel.1"');
    expect(d.remedy.summary).toContain('kubernetes/kubernetes#92035');
  });
  it("the bundle's own VXLAN device on the port wins over the CNI's usual name (flannel.4096 on 4789, real ip -d address)", () => {
    const line = 'Dec  3 10:00:00 node2 kernel: UDP: bad checksum. From 10.0.0.1:40000 to 10.0.0.2:4789 ulen 90';
    const m = of(line, CHECKSUM);
    expect(m[0].facts.port).toBe('4789');
    const ipAddr = [parseInterfaces(fixture('ip-d-address-flannel-4096.txt'), 'ip-d-address.txt')];
    const d = draftOf(CHECKSUM, m, 'x');
    vxlanChecksum(d, { port: ['4789'], kernel: ['UDP'] }, { matches: m, artifacts: { ipAddr } as unknown as NodeArtifacts });
    expect(d.message).toContain('flannel.4096 (ip-d-address.txt:');
    expect(d.remedy.commands).toContain('ethtool -K flannel.4096 tx-checksum-ip-generic off   # now; pasted again it changes nothing');
    expect(d.remedy.commands.join('\n')).not.toContain('vxlan.calico');
    expect(d.remedy.commands.join('\n')).not.toContain('felixconfiguration');
  });
  it('Geneve (6081) is worded generically, no device guessed', () => {
    const m = of('kernel: UDP: bad checksum. From 192.168.1.10:51000 to 192.168.1.11:6081 ulen 120', CHECKSUM);
    expect(m[0].facts.port).toBe('6081');
    const d = draftOf(CHECKSUM, m, SIGNATURES.find((s) => s.id === CHECKSUM)!.meaning);
    vxlanChecksum(d, { port: ['6081'], kernel: ['UDP'] }, { matches: m });
    expect(d.message).toContain('VXLAN or Geneve packets');
    expect(d.remedy.commands.some((c) => c.startsWith('ethtool -K '))).toBe(false);
    expect(d.remedy.commands.join('\n')).toContain('ip -d link show type geneve');
  });
  it('the analyzer on the dmesg alone: the finding, flannel.1 named', async () => {
    const report = await analyzeBundle(writeFolder({ 'dmesg.txt': dmesg }, 'h38-dmesg'));
    const f = report.findings.find((x) => x.id === CHECKSUM);
    expect(f).toBeDefined();
    expect(f!.evidence.map((e) => e.line)).toEqual([1, 2, 3, 4]);
    expect(f!.remedy!.commands.join('\n')).toContain('ethtool -K flannel.1 tx-checksum-ip-generic off');
    expect(f!.message).toContain('dropping them on arrival');
  });
  it('the analyzer on an NTP server\'s bad checksums: no VXLAN finding', async () => {
    const report = await analyzeBundle(writeFolder({ 'syslog': fixture('ntp-bad-checksum-syslog.txt') }, 'h38-ntp'));
    expect(report.findings.map((f) => f.id)).not.toContain(CHECKSUM);
  });
});

describe('flannel#1279: the workaround typed in the session', () => {
  const session = fixture('flannel-1279-session.txt');
  const file = 'ethtool-K-flannel.1.txt';
  const quiet = (id: string) => of(session, id, file);
  it('the typed ethtool line, its Actual changes and the answer after it are read (quietly)', () => {
    expect(quiet('log.offload-workaround-typed').map((m) => [m.line, m.facts.device, m.facts.feature])).toEqual([[3, 'flannel.1', 'tx-checksum-ip-generic']]);
    expect(quiet('log.offload-workaround-output').map((m) => m.line)).toEqual([5, 6]);
    expect(quiet('log.dns-lookup-answered').map((m) => m.line)).toEqual([16]);
    for (const id of ['log.offload-workaround-typed', 'log.offload-workaround-output', 'log.dns-lookup-answered']) expect(SIGNATURES.find((s) => s.id === id)!.quiet).toBe(true);
    const w = offloadWorkarounds(quiet('log.offload-workaround-typed'), quiet('log.offload-workaround-output'), quiet('log.dns-lookup-answered'));
    expect(w.map((x) => [x.typed.line, x.applied?.line, x.answered?.line])).toEqual([[3, 5, 16]]);
  });
  it('the VXLAN finding says where the workaround was applied and asks to make it persistent', () => {
    const w = offloadWorkarounds(quiet('log.offload-workaround-typed'), quiet('log.offload-workaround-output'), quiet('log.dns-lookup-answered'));
    const m = of(fixture('flannel-1279-dmesg.txt'), CHECKSUM, 'dmesg.txt');
    const d = draftOf(CHECKSUM, m, 'x');
    vxlanChecksum(d, { port: ['8472'], kernel: ['UDP'] }, { matches: m, workarounds: w });
    expect(d.message).toContain(`The workaround was applied at ${file}:3`);
    expect(d.message).toContain(`a lookup answered after it (${file}:16)`);
    expect(d.message).toContain('make it persistent');
    expect(d.remedy.summary).toContain('what is left is making it last');
    expect(d.facts).toMatchObject({ workaroundAppliedAt: `${file}:3` });
  });
  it("the nslookup timeout before it is history; with no workaround after it, it stays the node's state", () => {
    const w = offloadWorkarounds(quiet('log.offload-workaround-typed'), quiet('log.offload-workaround-output'), quiet('log.dns-lookup-answered'));
    const timeout = quiet('log.dns-lookup-failed');
    expect(timeout.map((m) => m.line)).toEqual([2]);
    const d = draftOf('log.dns-lookup-failed', timeout, 'x');
    beforeWorkaround(d, timeout, w);
    expect(d.severity).toBe('info');
    expect(d.message).toContain(`These lines come before ${file}:3`);
    expect(d.message).toContain("history, not the node's state now");
    expect(d.remedy.summary).toMatch(/^Nothing to trace/);
    expect(d.remedy.commands.join('\n')).toContain('ENV{INTERFACE}=="flannel.1"');
    // the first two lines of the same paste: the timeout alone, nothing typed after it
    const alone = session.split('\n').slice(0, 2).join('\n');
    const t2 = of(alone, 'log.dns-lookup-failed', file);
    const w2 = offloadWorkarounds(of(alone, 'log.offload-workaround-typed', file), [], []);
    expect(w2).toEqual([]);
    const d2 = draftOf('log.dns-lookup-failed', t2, 'x');
    beforeWorkaround(d2, t2, w2);
    expect(d2.severity).toBe('warning');
    expect(d2.message).not.toContain('history');
  });
  it('a typed ethtool without its Actual changes (no output pasted) is said as typed only', () => {
    const typedOnly = session.split('\n').slice(0, 3).join('\n');
    const w = offloadWorkarounds(of(typedOnly, 'log.offload-workaround-typed', file), of(typedOnly, 'log.offload-workaround-output', file), []);
    expect(w.map((x) => [x.typed.line, x.applied])).toEqual([[3, undefined]]);
    const d = draftOf(CHECKSUM, [], 'x');
    vxlanChecksum(d, { port: ['8472'] }, { workarounds: w });
    expect(d.message).toContain(`The workaround is typed at ${file}:3, without ethtool's report`);
    const t = of(typedOnly, 'log.connection-timed-out', file);
    const dt = draftOf('log.connection-timed-out', t, 'x');
    beforeWorkaround(dt, t, w);
    expect(dt.severity).toBe('warning');
  });
  it('ethtool -K in a script or unit file (no prompt) is no typed workaround', () => {
    expect(of('ExecStartPost=/usr/sbin/ethtool -K flannel.1 tx-checksum-ip-generic off', 'log.offload-workaround-typed')).toEqual([]);
    expect(of('RUN+="/usr/sbin/ethtool -K flannel.1 tx-checksum-ip-generic off"', 'log.offload-workaround-typed')).toEqual([]);
  });
  it('the analyzer on the whole paste: the VXLAN finding dated by the workaround, the timeout as history', async () => {
    const report = await analyzeBundle(writeFolder({ 'dmesg.txt': fixture('flannel-1279-dmesg.txt'), [file]: session }, 'h38-flannel'));
    const fs = report.findings;
    const vx = fs.find((f) => f.id === CHECKSUM);
    expect(vx).toBeDefined();
    expect(vx!.message).toContain(`The workaround was applied at ${file}:3`);
    const timeout = fs.find((f) => f.id === 'log.connection-timed-out');
    expect(timeout === undefined || (timeout.severity === 'info' && timeout.message.includes('history'))).toBe(true);
    expect(fs.map((f) => f.id)).not.toContain('log.offload-workaround-typed');
  });
});
