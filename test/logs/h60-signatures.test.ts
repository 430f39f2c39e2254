/**
 * H60: log.kube-proxy-fatal from any kube-proxy source file; a routine delete of Docker's / libvirt's own bridge rule
 * through firewalld (R20 D2b); the trace command out of a customer's fix commands (R19 N5). Real lines:
 * - https://github.com/kubernetes/kubernetes/issues/66819 (description): `F0731 09:46:25.335474   26014 server.go:361] <nil>`
 * - https://kind.sigs.k8s.io/docs/user/rootless/ (kind's docs, rootless podman + IPVS): kube-proxy's `E0724 ... proxier.go:596]` line
 * - https://github.com/kubernetes/kubernetes/issues/55864 (comment by roffe): kube-proxy's start, server_others.go / proxier.go / conntrack.go I and W lines
 * - https://github.com/minishift/minishift/issues/2777 (comment by skabashnyuk): firewalld started, then Docker's `-D FORWARD -i docker0 -o docker0 -j DROP`
 * - https://github.com/bitnami/bitnami-docker-suitecrm/issues/74 (description): the same delete for a user network `br-c62056a3457c`
 * - https://github.com/moby/moby/issues/16137 (comment by MaciejKucia): libvirt's `--delete INPUT --in-interface virbr0 ...`
 * - https://github.com/moby/moby/issues/16137 (same comment): Docker's `-A DOCKER ... No chain` (no cleanup)
 */
import { describe, expect, it } from 'vitest';
import type { FindingDraft } from '../../src/engine/analyzer.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { scanLogText, type LogMatch, type LogScanResult } from '../../src/logs/scanner.js';
import { SIGNATURES } from '../../src/logs/signatures.js';
import { KUBE_PROXY_FATAL } from '../../src/logs/signatures-r13.js';
import { kubeProxyFatal } from '../../analyzers/lib/r13-wording.js';
import { badRuleRoutineDelete } from '../../analyzers/lib/r12-wording.js';
import logSignatures from '../../analyzers/log-signatures.js';
import { runNode } from '../analyzers/helpers.js';

const NOT_QUIET = new Set(SIGNATURES.filter((s) => !s.quiet).map((s) => s.id));
const scan = (text: string, file = 'case.log') => scanLogText(text, file, { year: 2026 });
const of = (r: LogScanResult, id: string) => r.matches.filter((m) => m.signature === id);
const artifactsOf = (...logs: LogScanResult[]) => ({ logs }) as unknown as NodeArtifacts;
function draftOf(id: string, matches: LogMatch[]): FindingDraft {
  const sig = SIGNATURES.find((s) => s.id === id)!;
  return { id, severity: sig.severity, title: sig.title, message: `${matches.length} lines in 1 log on n1: ${sig.meaning}`, evidence: matches.map((m) => ({ file: m.file, line: m.line, excerpt: m.excerpt })), remedy: { summary: sig.advice, commands: [] } };
}

// kubernetes#55864: kube-proxy's start (server_others.go, proxier.go, conntrack.go, config.go lines of pid 1)
const START_55864 = [
  'I1116 12:50:34.001621       1 server_others.go:164] Using ipvs Proxier.',
  'W1116 12:50:34.020545       1 proxier.go:239] IPVS scheduler not specified, use rr by default',
  'I1116 12:50:34.020648       1 server_others.go:187] Tearing down inactive rules.',
  "I1116 12:50:34.061939       1 conntrack.go:98] Set sysctl 'net/netfilter/nf_conntrack_max' to 131072",
];
// kind's rootless docs: kube-proxy's IPVS check, an E line of proxier.go
const KIND_E = 'E0724 05:58:59.052824       1 proxier.go:596] "Can\'t read the ipvs" err="could not get IPVS services: operation not permitted"';

describe('log.kube-proxy-fatal: every kube-proxy source file, through the byte prefilter', () => {
  it('the catalog carries the H60 entry (its literals are no shorter than the prefilter window needs)', () => {
    const sig = SIGNATURES.find((s) => s.id === 'log.kube-proxy-fatal')!;
    expect(sig).toBe(KUBE_PROXY_FATAL);
    for (const l of sig.literals) expect(Buffer.byteLength(l)).toBeGreaterThanOrEqual(9);
  });
  it("kubernetes#66819's server.go F line still fires", () => {
    const r = scan('W0731 09:46:25.248141   26014 server.go:195] WARNING: all flags other than --config, --write-config-to, and --cleanup are deprecated. Please begin using a config file ASAP.\nI0731 09:46:25.268579   26014 server.go:448] Version: v1.11.1\nF0731 09:46:25.335474   26014 server.go:361] <nil>\n', 'kube-proxy.log');
    expect(of(r, 'log.kube-proxy-fatal').map((m) => [m.line, m.facts.source, m.facts.pid])).toEqual([[3, 'server.go', '26014']]);
  });
  it('an F line of proxier.go after the same process\'s start lines fires and is kept as kube-proxy\'s', () => {
    // kind's real E line written at klog's fatal level (the header shape klog.Fatalf gives the same call): no public ticket quotes one
    const fatal = KIND_E.replace(/^E/, 'F').replace('     1 ', '     1 ');
    const r = scan([...START_55864, fatal].join('\n'), 'pasted.txt');
    const f = of(r, 'log.kube-proxy-fatal');
    expect(f.map((m) => [m.line, m.facts.source])).toEqual([[5, 'proxier.go']]);
    const d = draftOf('log.kube-proxy-fatal', f);
    expect(kubeProxyFatal(d, f, artifactsOf(r), NOT_QUIET)).toBe(true);
    expect(d.title).toMatch(/^kube-proxy exited: "?Can't read the ipvs/);
  });
  it('I, W and E lines of those files do not fire', () => {
    const r = scan([...START_55864, KIND_E].join('\n'), 'kube-proxy.log');
    expect(of(r, 'log.kube-proxy-fatal')).toEqual([]);
  });
  it("another component's F line from a file kube-proxy does not have is not read; the kubelet's server.go F line in a k3s journal is read but not kube-proxy's", () => {
    // cloudnativelabs/kube-router#1777's F line shape (the corpus test in h53 reads the file itself)
    const r = scan('Dec 05 08:05:15 abc k3s[10542]: F1205 08:05:15.000000   10542 network_policy_controller.go:413] Failed to run iptables command\n', 'journal.txt');
    expect(of(r, 'log.kube-proxy-fatal')).toEqual([]);
    const k = scan('Dec 05 08:05:15 abc k3s[1]: F0405 05:33:40.511159       1 server.go:274] failed to run Kubelet: misconfiguration: kubelet cgroup driver: "cgroupfs" is different from docker cgroup driver: "systemd"\n', 'kube-proxy.log');
    const f = of(k, 'log.kube-proxy-fatal');
    expect(f).toHaveLength(1);
    expect(kubeProxyFatal(draftOf('log.kube-proxy-fatal', f), f, artifactsOf(k), NOT_QUIET)).toBe(false);
  });
});

// minishift#2777: firewalld's start, then Docker's routine delete through its passthrough
const MINISHIFT = [
  'Dec 16 22:58:29 sj-i7 systemd[1]: Starting firewalld - dynamic firewall daemon...',
  'Dec 16 22:58:29 sj-i7 systemd[1]: Started firewalld - dynamic firewall daemon.',
  "Dec 16 22:58:29 sj-i7 firewalld[5324]: WARNING: COMMAND_FAILED: '/usr/sbin/iptables -w10 -D FORWARD -i docker0 -o docker0 -j DROP' failed: iptables: Bad rule (does a matching rule exist in that chain?).",
  "Dec 16 22:58:29 sj-i7 firewalld[5324]: WARNING: COMMAND_FAILED: '/usr/sbin/iptables -w10 -D FORWARD -i docker0 -o docker0 -j DROP' failed: iptables: Bad rule (does a matching rule exist in that chain?).",
].join('\n');
const BITNAMI = "Jan 11 13:26:03 136-144-177-45.colo.transip.net firewalld[2285]: WARNING: COMMAND_FAILED: '/usr/sbin/iptables -w2 -D FORWARD -i br-c62056a3457c -o br-c62056a3457c -j DROP' failed: iptables: Bad rule (does a matching rule exist in that chain?).";
const LIBVIRT = "Sep 01 12:16:10 PC4 firewalld[11649]: 2017-09-01 12:16:10 ERROR: COMMAND_FAILED: '/sbin/iptables -w2 -w --table filter --delete INPUT --in-interface virbr0 --protocol tcp --destination-port 53 --jump ACCEPT' failed: iptables: Bad rule (does a matching rule exist in that chain?).";

describe("R20 D2b: a runtime's routine delete of its own bridge rule is harmless", () => {
  const finding = (text: string) => runNode(logSignatures, { logs: [scan(text, 'journalctl-firewalld.txt')] }).find((f) => f.id === 'log.iptables-bad-rule');
  it("Docker's -D of its inter-container DROP rule at firewalld's start: info, routine, not 'someone removed its rules'", () => {
    const f = finding(MINISHIFT)!;
    expect(f.severity).toBe('info');
    expect(f.title).toBe('Routine cleanup: Docker tried to delete a rule that was not there (harmless)');
    expect(f.message).toMatch(/routine cleanup/);
    expect(f.message).not.toMatch(/someone else removed/);
    expect(f.facts).toMatchObject({ routineDelete: true, bridges: ['docker0'] });
    expect(f.remedy.summary).toMatch(/^Nothing to fix/);
  });
  it("a user network's bridge, and libvirt's virbr0 deletes, read the same", () => {
    expect(finding(BITNAMI)!.facts).toMatchObject({ routineDelete: true, bridges: ['br-c62056a3457c'] });
    const l = finding(LIBVIRT)!;
    expect(l.title).toMatch(/libvirt tried to delete/);
    expect(l.facts).toMatchObject({ owners: ['libvirt'], bridges: ['virbr0'] });
  });
  it('a check (-C) or a delete of another rule keeps its wording', () => {
    const check = "Aug 03 14:47:08 admin2 firewalld[23713]: WARNING: COMMAND_FAILED: '/sbin/iptables -w2 -t filter -C FORWARD -i br-f4cb3ea53e43 -o br-f4cb3ea53e43 -j ACCEPT' failed: iptables: Bad rule (does a matching rule exist in that chain?).";
    const r = scan(check, 'fw.log');
    const d = draftOf('log.iptables-bad-rule', of(r, 'log.iptables-bad-rule'));
    expect(badRuleRoutineDelete(d, of(r, 'log.iptables-bad-rule'))).toBe(false);
    // moby#16137's own line 2 shape: a delete of an INPUT rule that names no runtime bridge
    const other = "Sep 01 12:16:10 PC4 firewalld[11649]: 2017-09-01 12:16:10 ERROR: COMMAND_FAILED: '/sbin/iptables -w2 -t filter -D INPUT -p tcp --dport 22 -j ACCEPT' failed: iptables: Bad rule (does a matching rule exist in that chain?).";
    const o = scan(other, 'fw.log');
    const g = draftOf('log.iptables-bad-rule', of(o, 'log.iptables-bad-rule'));
    expect(badRuleRoutineDelete(g, of(o, 'log.iptables-bad-rule'))).toBe(false);
    expect(g.message).toMatch(/tried to delete a rule that was no longer there/);
    // a mixed set (Docker's routine delete and another delete): the general wording stays
    const m = scan(`${BITNAMI}\n${other}`, 'fw.log');
    expect(badRuleRoutineDelete(draftOf('log.iptables-bad-rule', of(m, 'log.iptables-bad-rule')), of(m, 'log.iptables-bad-rule'))).toBe(false);
  });
  it("an -A that fails for a missing chain is no cleanup: it stays log.iptables-no-chain (critical: it was a published port's DNAT)", () => {
    const add = "Sep 01 12:16:10 PC4 firewalld[11649]: 2017-09-01 12:16:10 ERROR: COMMAND_FAILED: '/sbin/iptables -w2 -t nat -A DOCKER -p tcp -d 0/0 --dport 2003 -j DNAT --to-destination 172.17.0.5:22 ! -i docker0' failed: iptables: No chain/target/match by that name.";
    const out = runNode(logSignatures, { logs: [scan(`${add}\n${LIBVIRT}`, 'fw.log')] });
    expect(out.find((f) => f.id === 'log.iptables-no-chain')?.severity).toBe('critical'); // a published port's DNAT failed (H64)
    expect(out.find((f) => f.id === 'log.iptables-bad-rule')?.severity).toBe('info');
  });
});

describe('R19 N5: bundle-doctor trace is a note for support, never a fix command', () => {
  it("a connection failure's trace line goes to facts.supportTrace and the remedy's support note, not remedy.commands", () => {
    // Go's `read tcp local->peer` shape (moby#33721's dockerd), as trace-command-remedy.test.ts writes it
    const line = 'time="2026-11-20T10:00:01Z" level=warning msg="read tcp 10.244.1.5:51111->10.96.0.1:443: i/o timeout"\n';
    const f = runNode(logSignatures, { logs: [scan(line, 'app.log')] }).find((x) => x.id === 'log.connection-timed-out')!;
    expect(f.remedy.commands.join('\n')).not.toMatch(/bundle-doctor/);
    expect(f.facts?.supportTrace).toEqual(['bundle-doctor trace <bundle> --src 10.244.1.5 --dst 10.96.0.1:443/tcp']);
    expect(f.remedy.summary).not.toMatch(/bundle-doctor/);
    expect(f.remedy.supportNote).toMatch(/^bundle-doctor trace <bundle> --src 10\.244\.1\.5 --dst 10\.96\.0\.1:443\/tcp shows which rule of the bundle's decides a packet to 10\.96\.0\.1:443\.$/);
  });
  it('no finding of the catalog puts bundle-doctor in its commands or its meaning', () => {
    for (const s of SIGNATURES) {
      expect(`${s.meaning}\n${s.advice}\n${(s.commands ?? []).join('\n')}`).not.toMatch(/bundle-doctor/);
    }
  });
});
