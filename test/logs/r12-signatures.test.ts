/**
 * R12 signatures (src/logs/signatures-r12.ts) and their wording (analyzers/lib/r12-wording.ts), on the
 * verbatim text of the tickets review R12 graded MISS / FALSE (test/fixtures/r12/SOURCES.md):
 * - https://github.com/moby/moby/issues/4861 (host /etc/resolv.conf missing at container start)
 * - https://github.com/projectcalico/calico/issues/3145 (VXLAN bad UDP checksum, offload bug)
 * - https://github.com/docker-archive/classicswarm/issues/1814 (nc's TCP probe of 4789)
 * - https://github.com/kubernetes/kubernetes/issues/82361 (iptables-nft 1.8.2 -C bug)
 * - https://github.com/kubernetes/kubernetes/issues/80462 (kube-proxy's iptables 1.6.0 vs a buster host)
 * Healthy tcpdump lines: public captures found with find_string: Cumulus Linux's VTEP guide ("what it looks
 * like when it is working", `[no cksum] VXLAN`) and a kernel list mail on mlx5 VXLAN offload (`[udp sum ok] VXLAN`
 * with tcpdump naming the port `vxlan`).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { FindingDraft } from '../../src/engine/analyzer.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { scanLogText, type LogMatch } from '../../src/logs/scanner.js';
import { SIGNATURES } from '../../src/logs/signatures.js';
import { R12_SIGNATURES, UDP_TUNNEL_TCP_PROBE } from '../../src/logs/signatures-r12.js';
import { badRuleCheck, legacyRestoreSkew, vxlanChecksum } from '../../analyzers/lib/r12-wording.js';
import { projectPath } from '../helpers/shared.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';

// before and after R12_SIGNATURES is spread into SIGNATURES
const CATALOG = [...SIGNATURES, ...R12_SIGNATURES.filter((s) => !SIGNATURES.some((x) => x.id === s.id))];
const fixture = (name: string) => readFileSync(projectPath('test', 'fixtures', 'r12', name), 'utf8');
const scan = (text: string, file = 'case.log') => scanLogText(text, file, { catalog: CATALOG, year: 2026 });
const ids = (text: string) => scan(text).matches.map((m) => m.signature);

function draftOf(id: string, matches: LogMatch[], meaning: string): FindingDraft {
  return { id, severity: 'info', title: 't', message: `${matches.length} lines in 1 log on n1: ${meaning}`, evidence: matches.map((m) => ({ file: m.file, line: m.line, excerpt: m.excerpt })), remedy: { summary: 'advice', commands: [] } };
}
const noArtifacts = { logs: [] } as unknown as NodeArtifacts;

describe('moby#4861: dockerd cannot start containers without the host resolv.conf', () => {
  const text = fixture('moby4861-journalctl.txt');
  it('fires on both dockerd lines, not on avahi', () => {
    const m = scan(text).matches.filter((x) => x.signature === 'log.docker-resolvconf-missing');
    expect(m.map((x) => x.line)).toEqual([2, 3]);
    expect(m[0].facts.container).toBe('b2111a98e8050c720d26c341358e5916543cee2cf29e6f21328d1925fa32ec45');
    expect(ids(text.split('\n')[0])).not.toContain('log.docker-resolvconf-missing');
  });
  it("the docker client's wording (moby#32836) fires; a program in a container reading its own file does not", () => {
    expect(ids('docker: Error response from daemon: open /etc/resolv.conf: no such file or directory.')).toContain('log.docker-resolvconf-missing');
    expect(ids('2024/01/02 10:00:00 dns: open /etc/resolv.conf: no such file or directory')).not.toContain('log.docker-resolvconf-missing');
  });
});

describe('calico#3145: VXLAN packets with a bad UDP checksum', () => {
  const text = fixture('calico3145-tcpdump.txt');
  it('fires on both packets to 4789, with the port', () => {
    const m = scan(text).matches.filter((x) => x.signature === 'log.vxlan-bad-udp-checksum');
    expect(m.map((x) => x.line)).toEqual([4, 8]);
    expect(m[0].facts).toMatchObject({ port: '4789', src: 'nodeC.local', dst: 'nodeA.local', vni: '4096' });
  });
  it('stays quiet on healthy VXLAN captures and on other ports', () => {
    for (const line of [
      '     10.111.0.182.41568 > 10.111.1.2.4789: [no cksum] VXLAN, flags [I] (0x08), vni 10008',
      '    7.7.7.1.52277 > 7.7.7.5.vxlan: [udp sum ok] VXLAN, flags [I] (0x08), vni 98',
      '    10.0.0.6.43421 > 10.0.0.5.4789: [udp sum ok] VXLAN, flags [I] (0x08), vni 101000',
    ])
      expect(ids(line)).toEqual([]);
    // the inner TCP segment's correct checksum in the same paste is no VXLAN line
    expect(ids(text.split('\n')[5])).toEqual([]);
  });
  it('names the device and its ethtool line', () => {
    const m = scan(text).matches.filter((x) => x.signature === 'log.vxlan-bad-udp-checksum');
    const d = draftOf('log.vxlan-bad-udp-checksum', m, 'x');
    vxlanChecksum(d, { port: ['4789'] });
    expect(d.remedy.commands).toContain('ethtool -K vxlan.calico tx-checksum-ip-generic off   # now; pasted again it changes nothing');
    expect(d.remedy.commands.join('\n')).toMatch(/ChecksumOffloadBroken=true/);
    const f = draftOf('log.vxlan-bad-udp-checksum', m, 'x');
    vxlanChecksum(f, { port: ['8472'] });
    expect(f.remedy.commands.join('\n')).toMatch(/ethtool -K flannel\.1 tx-checksum-ip-generic off/);
  });
});

describe('classicswarm#1814: nc tests 4789 over TCP', () => {
  const text = fixture('classicswarm1814-nc-ports.txt');
  it('is a TCP probe of a UDP-only port (info), with the port', () => {
    const m = scan(text).matches.filter((x) => x.signature === 'log.tcp-probe-of-udp-port');
    expect(m.map((x) => x.line)).toEqual([2]);
    expect(m[0].facts).toMatchObject({ port: '4789', host: '10.x.x.x', symptom: 'Connection refused' });
    expect(R12_SIGNATURES.find((s) => s.id === 'log.tcp-probe-of-udp-port')!.severity).toBe('info');
  });
  it('a refused TCP port that is TCP (2377, 7946) is no such probe', () => {
    expect(UDP_TUNNEL_TCP_PROBE.test('nc: connect to 10.0.0.2 port 2377 (tcp) failed: Connection refused')).toBe(false);
    expect(UDP_TUNNEL_TCP_PROBE.test('nc: connect to 10.0.0.2 port 47890 (tcp) failed: Connection refused')).toBe(false);
    expect(ids(text.split('\n')[3])).toEqual([]);
  });
  it('once wired, log.connection-refused leaves the probe alone', () => {
    const refused = SIGNATURES.find((s) => s.id === 'log.connection-refused')!;
    const wired = SIGNATURES.some((s) => s.id === 'log.tcp-probe-of-udp-port');
    if (wired) expect(refused.unless!.test(text.split('\n')[1])).toBe(true);
  });
});

describe('kubernetes#82361: Bad rule after a -C check', () => {
  const text = fixture('k8s82361-iptables-nft-check.txt');
  it('the check command is context (quiet) and the Bad rule line is worded as a failed check', () => {
    const r = scan(text, 'iptables-nft-check.txt');
    const checks = r.matches.filter((m) => m.signature === 'log.iptables-check-command');
    const bad = r.matches.filter((m) => m.signature === 'log.iptables-bad-rule');
    expect(checks.map((c) => c.line)).toEqual([2]);
    expect(checks[0].facts).toMatchObject({ tool: 'iptables-nft', chain: 'KUBE-FIREWALL' });
    expect(bad.map((b) => b.line)).toEqual([3]);
    const d = draftOf('log.iptables-bad-rule', bad, 'A component tried to delete a rule that was no longer there.');
    badRuleCheck(d, bad, checks, noArtifacts);
    expect(d.message).not.toMatch(/tried to delete/);
    expect(d.message).toMatch(/for a check \(-C\) \(iptables-nft-check\.txt:2\), not a delete/);
    expect(d.message).toMatch(/kubernetes#82361/);
    expect(d.remedy.commands.join('\n')).toMatch(/iptables -V/);
    expect(d.evidence.some((e) => e.line === 2)).toBe(true);
  });
  it('a Bad rule line with no check before it keeps the general wording; a -D command is no check', () => {
    const lines = text.split('\n');
    const r = scan(lines[2], 'x.txt');
    const bad = r.matches.filter((m) => m.signature === 'log.iptables-bad-rule');
    const d = draftOf('log.iptables-bad-rule', bad, 'A component tried to delete a rule that was no longer there.');
    badRuleCheck(d, bad, [], noArtifacts);
    expect(d.message).toMatch(/tried to delete/);
    // firewalld's passthrough quoting Docker's -C of a rule without comment or mark: a check, and nothing of kubernetes#82361
    // (real lines of a public `journalctl -u firewalld` paste, Docker's bridge checks through firewalld's passthrough)
    const fw = "Aug 03 14:47:08 admin2 firewalld[23713]: WARNING: COMMAND_FAILED: '/sbin/iptables -w2 -t filter -C FORWARD -i br-f4cb3ea53e43 -o br-f4cb3ea53e43 -j ACCEPT' failed: iptables: Bad rule (does a matching rule exist in that chain?).";
    const fm = scan(fw, 'fw.log').matches.filter((m) => m.signature === 'log.iptables-bad-rule');
    expect(fm).toHaveLength(1);
    const f = draftOf('log.iptables-bad-rule', fm, 'A component tried to delete a rule that was no longer there.');
    badRuleCheck(f, fm, [], noArtifacts);
    expect(f.message).toMatch(/for a check \(-C\), not a delete[^]*normal/);
    expect(f.message).not.toMatch(/82361/);
    // a delete (-D) stays the general wording
    const del = "Jan 18 12:40:10 Tardis /firewalld[1304]: ERROR: COMMAND_FAILED: '/sbin/iptables -w2 -D FORWARD -i docker0 -o docker0 -j DROP' failed: iptables: Bad rule (does a matching rule exist in that chain?).";
    const dm = scan(del, 'fw.log').matches.filter((m) => m.signature === 'log.iptables-bad-rule');
    expect(dm).toHaveLength(1);
    const g = draftOf('log.iptables-bad-rule', dm, 'A component tried to delete a rule that was no longer there.');
    badRuleCheck(g, dm, [], noArtifacts);
    expect(g.message).toMatch(/tried to delete/);
    expect(ids('$ iptables -D KUBE-FIREWALL -m comment --comment "kubernetes firewall for dropping marked packets" -m mark --mark 0x8000/0x8000 -j DROP')).not.toContain('log.iptables-check-command');
  });
});

describe("kubernetes#80462: kube-proxy's iptables-restore v1.6.0 on a buster host", () => {
  const text = fixture('k8s80462-kube-proxy.log');
  const lines = () => scan(text, 'kube-proxy.log').matches.filter((x) => x.signature === 'log.iptables-couldnt-load-match');
  const withRules = (file: string) => ({ logs: [], iptables: [parseIptablesSave(fixture(file), file)] }) as unknown as NodeArtifacts;
  // missingChainTarget's wording and remedy, as the analyzer has them before legacyRestoreSkew runs
  const missingChainDraft = (m: LogMatch[]) => {
    const d = draftOf('log.iptables-couldnt-load-match', m, "the rule set a component loads jumps to KUBE-MARK-DROP. KUBE-MARK-DROP is kubelet's chain, not kube-proxy's: this node's nat table lacks it (kubelet did not create it, or something deleted it). Not a back-end or version mismatch.");
    d.remedy = { summary: 'create', commands: ['iptables -t nat -L KUBE-MARK-DROP -n >/dev/null 2>&1 || iptables -t nat -N KUBE-MARK-DROP'] };
    return d;
  };

  it('the line gives the restore version and the chain', () => {
    expect(lines()).toHaveLength(1);
    expect(lines()[0].facts).toMatchObject({ module: 'KUBE-MARK-DROP', version: '1.6.0', tool: 'iptables-restore' });
  });

  it('no rules in the bundle: the back-end split first, then the missing chain; nothing created unless the host is legacy', () => {
    const d = missingChainDraft(lines());
    legacyRestoreSkew(d, lines(), noArtifacts);
    expect(d.message).not.toMatch(/Not a back-end/);
    expect(d.message).toMatch(/knows only the legacy back end[^]*kubernetes#71305[^]*Or, where the host's iptables is legacy too: [^]*this node's nat table lacks it/);
    const cmds = d.remedy.commands;
    expect(cmds[0]).toMatch(/^iptables -V/);
    expect(cmds.join('\n')).toMatch(/iptables-legacy-save -t nat[^]*iptables-nft-save -t nat/);
    // every command that creates the chain is guarded by the host's back end being legacy
    for (const c of cmds.filter((x) => / -N KUBE-MARK-DROP| -A KUBE-MARK-DROP/.test(x))) expect(c).toMatch(/^iptables -V \| grep -q legacy && \{/);
  });

  it('the host\'s rules are nf_tables (real iptables-nft-save): the split alone', () => {
    const d = missingChainDraft(lines());
    legacyRestoreSkew(d, lines(), withRules('nft-host-nat-save.txt'));
    expect(d.message).toMatch(/are in nf_tables: that is where kubelet wrote KUBE-MARK-DROP/);
    expect(d.message).not.toMatch(/lacks it|Not a back-end/);
    expect(d.title).toMatch(/kubelet wrote it in nf_tables/);
  });

  it('the host\'s rules are legacy (real iptables-legacy-save): the missing-chain reading stands', () => {
    const d = missingChainDraft(lines());
    legacyRestoreSkew(d, lines(), withRules('legacy-host-nat-save.txt'));
    expect(d.message).toMatch(/Not a back-end or version mismatch/);
    expect(d.remedy.commands[0]).toBe('iptables -t nat -L KUBE-MARK-DROP -n >/dev/null 2>&1 || iptables -t nat -N KUBE-MARK-DROP');
  });

  it('an iptables-restore that says its back end (1.8.7 legacy) keeps the missing-chain wording', () => {
    const line = "E0805 12:09:08.443493       1 proxier.go:1402] Failed to execute iptables-restore: exit status 2 (iptables-restore v1.8.7 (legacy): Couldn't load target `KUBE-MARK-DROP':No such file or directory";
    const m = scan(line).matches.filter((x) => x.signature === 'log.iptables-couldnt-load-match');
    expect(m).toHaveLength(1);
    const d = missingChainDraft(m);
    legacyRestoreSkew(d, m, noArtifacts);
    expect(d.message).toMatch(/Not a back-end/);
  });
});
