/**
 * One log line, one diagnosis (reviewer R13 #8, #9): where several signatures match the same lines, the
 * finding whose signature explains the others (the catalog's `explains`), else the more severe one, is
 * kept and the others fold into it (`related`, "Also explains"). A finding with a line of its own stays.
 * iptables-restore's failure is worded by what its line says (exit status 4 and the xtables lock, status 2 a
 * bad argument, status 1 with `line N failed` a rule the local iptables could not apply).
 *
 * Real text (the corpus, SOURCES.md): moby/moby#32349, #37694, #26494, #16137, docker/for-linux#1128,
 * sismics/docs#253, kata-containers/tests#4617, opsnull/follow-me-install-kubernetes-cluster#217,
 * kubernetes/kubernetes#36652, kubernetes/kube-proxy#25, cloudnativelabs/kube-router#1057, flannel-io/flannel#971
 * and #1271. iptables' exit codes: include/xtables.h (enum xtables_exittype: OTHER_PROBLEM = 1,
 * PARAMETER_PROBLEM = 2, RESOURCE_PROBLEM = 4) and iptables/xshared.c (xtables_lock_or_exit prints "Another
 * app is currently holding the xtables lock." and exits RESOURCE_PROBLEM); iptables-restore 1.8.9 run here in
 * a throw-away namespace exits 2 on `-A INPUT -s  -j ACCEPT` (Bad argument) and 1 on a missing chain (line 2 failed).
 */
import { describe, expect, it } from 'vitest';
import logSignatures from '../../analyzers/log-signatures.js';
import type { FindingDraft } from '../../src/engine/analyzer.js';
import { scanLogText } from '../../src/logs/index.js';
import { SIGNATURES } from '../../src/logs/signatures.js';
import { runNode } from '../analyzers/helpers.js';
import { hasCorpus, readCorpus } from '../helpers/shared.js';

const scan = (file: string, catalog = SIGNATURES) => scanLogText(readCorpus('logs', file), file, { year: 2026, catalog });
const run = (...files: string[]): FindingDraft[] => runNode(logSignatures, { logs: files.map((f) => scan(f)) });
const lines = (f: FindingDraft) => f.evidence.map((e) => `${e.file}:${e.line}`);

/** every file:line cited by more than one finding */
function sharedLines(fs: FindingDraft[]): string[] {
  const seen = new Map<string, number>();
  for (const f of fs) for (const l of new Set(lines(f))) seen.set(l, (seen.get(l) ?? 0) + 1);
  return [...seen].filter(([, n]) => n > 1).map(([l]) => l);
}

describe.skipIf(!hasCorpus)('one log line, one finding', () => {
  // [file, the finding kept, its severity, the ones folded into it, the lines it cites]
  const CASES: [string, string, string, string[], number[]][] = [
    ['moby-32349-dockerd-inject-PREROUTING-no-chain.log', 'log.docker-network-controller-failed', 'critical', ['log.iptables-no-chain'], [5]],
    ['docker-for-linux-1128-dockerd-nf_tables-chain-add-failed.log', 'log.docker-network-controller-failed', 'critical', ['log.nf-tables-chain-missing'], [4]],
    ['moby-37694-dockerd-nat-table-does-not-exist-centos7.log', 'log.docker-network-controller-failed', 'critical', ['log.iptables-table-unavailable'], [1]],
    ['kata-tests-4617-filter-DOCKER-chain-removed.log', 'log.docker-port-programming-failed', 'warning', ['log.iptables-no-chain'], [1]],
    ['moby-26494-docker-run-publish-nat-DOCKER-chain-missing.log', 'log.docker-port-programming-failed', 'warning', ['log.iptables-no-chain'], [3]],
    // iptables 1.8.1 (nf_tables) took the DNAT target for a chain: the cause is the nf_tables finding's, Docker's line says who failed
    ['sismics-docs-253-docker-nf_tables-1.8.1-chain-DNAT-does-not-exist.log', 'log.nf-tables-chain-missing', 'warning', ['log.docker-port-programming-failed'], [2]],
    ['opsnull-217-flanneld-out-of-subnets.log', 'log.flannel-out-of-subnets', 'warning', ['log.flannel-lease-failed'], [5, 7]],
    ['kube-router-1057-iptables-restore-xtables-lock.log', 'log.xtables-lock', 'warning', ['log.iptables-restore-failed'], [4, 6, 8]],
    ['kubernetes-36652-kube-proxy-restore-bad-argument-empty-source.log', 'log.iptables-bad-argument', 'warning', ['log.iptables-restore-failed'], [7]],
    // kube-proxy's `err=<` over four lines: the restore on line 1, iptables' unknown option on line 2 of the same message
    ['kube-proxy-25-ip6tables-restore-unknown-option-xor-mark.log', 'log.iptables-unknown-option', 'warning', ['log.iptables-restore-failed'], [1, 2]],
  ];

  it.each(CASES)('%s: %s, folding %j', (file, kept, severity, folded, cited) => {
    const fs = run(file);
    expect(fs.map((f) => f.id)).toEqual([kept]);
    const [f] = fs;
    expect(f.severity).toBe(severity);
    expect(f.related).toEqual(folded);
    expect(f.evidence.map((e) => e.line)).toEqual(cited);
  });

  it('kube-proxy#25: the restore line the unknown option folded in is cited, marked as the same failure', () => {
    const [f] = run('kube-proxy-25-ip6tables-restore-unknown-option-xor-mark.log');
    expect(f.evidence[0].excerpt).toContain('Failed to execute iptables-restore');
    expect(f.evidence[0].note).toMatch(/the same failure \(log\.iptables-restore-failed\)$/);
  });

  it("kube-router#1057: the lock, not a version mismatch, anywhere in what is left", () => {
    const fs = run('kube-router-1057-iptables-restore-xtables-lock.log');
    expect(JSON.stringify(fs)).not.toMatch(/version or back-end mismatch|Compare iptables -V/);
  });

  it('a finding with a line of its own stays: moby#16137\'s `No chain` from firewalld beside moby#32349\'s failed start', () => {
    const fs = run('moby-32349-dockerd-inject-PREROUTING-no-chain.log', 'moby-16137-firewalld-centos7-dnat-no-chain.log');
    // (moby#16137's `Bad rule` lines are a finding of their own, log.iptables-bad-rule)
    expect(fs.map((f) => f.id)).toEqual(expect.arrayContaining(['log.docker-network-controller-failed', 'log.iptables-no-chain']));
    expect(fs.find((f) => f.id === 'log.docker-network-controller-failed')!.related).toBeUndefined();
    const noChain = fs.find((f) => f.id === 'log.iptables-no-chain')!;
    expect(noChain.related).toBeUndefined();
    // its lines are both files' (the failed start's too): nothing of it was dropped
    expect(lines(noChain)).toEqual(expect.arrayContaining(['moby-32349-dockerd-inject-PREROUTING-no-chain.log:5', 'moby-16137-firewalld-centos7-dnat-no-chain.log:1']));
  });

  it("flannel#1271: equal severity and no catalog relation: flannel's finding and the table's both stay", () => {
    const fs = run('flannel-1271-iptables-nat-bad-address-exit-status.log');
    expect(fs.map((f) => f.id).sort()).toEqual(['log.flannel-iptables-failed', 'log.iptables-table-unavailable']);
    expect(fs.every((f) => f.related === undefined)).toBe(true);
  });

  it('across the named corpus logs, no line is cited by two findings any more (flannel#1271 aside)', () => {
    for (const [file] of CASES) expect(sharedLines(run(file)), file).toEqual([]);
  });
});

describe.skipIf(!hasCorpus)("iptables-restore's failure, worded by what its line says", () => {
  // the restore signature alone (no xtables-lock, bad-argument, unknown-option finding to fold into): its own wording
  const RESTORE_ONLY = SIGNATURES.filter((s) => s.id === 'log.iptables-restore-failed');
  const restore = (file: string) => runNode(logSignatures, { logs: [scan(file, RESTORE_ONLY)] }).find((f) => f.id === 'log.iptables-restore-failed')!;

  it('kube-router#1057, exit status 4 and the xtables lock: a lock held by another writer, no iptables -V comparison', () => {
    const f = restore('kube-router-1057-iptables-restore-xtables-lock.log');
    expect(f.title).toBe('iptables-restore could not take the xtables lock');
    expect(f.message).toContain('another program held the xtables lock (exit status 4');
    expect(f.message).not.toMatch(/line number points at the rule/);
    expect(f.remedy.summary).toMatch(/--wait/);
    expect(f.remedy.summary).not.toMatch(/iptables -V/);
    expect(f.remedy.commands[0]).toMatch(/^fuser -v \/run\/xtables\.lock/);
    expect(f.facts).toMatchObject({ cause: 'xtables-lock' });
  });

  it('kubernetes#36652, exit status 2 (Bad argument): a parameter problem', () => {
    const f = restore('kubernetes-36652-kube-proxy-restore-bad-argument-empty-source.log');
    expect(f.title).toBe('iptables-restore rejects an argument of the rule set');
    expect(f.message).toContain('exit status 2: a parameter problem');
    expect(f.facts).toMatchObject({ cause: 'bad-argument' });
  });

  it('flannel#971, exit status 1 with `line 3868 failed`: the rule the local iptables could not apply, as before', () => {
    const f = restore('flannel-971-kube-proxy-restore-line-3868.log');
    expect(f.title).toBe('iptables-restore fails');
    expect(f.message).toContain('the line number points at the rule the local iptables could not read');
    // a race on POSTROUTING, not two back ends (R15, H37): the error's own lines, no "use one back end" where the logs show one back end
    expect(f.remedy.summary).toMatch(/^Read the error iptables-restore printed/);
    expect(f.remedy.summary).not.toMatch(/one back end/);
    expect(f.facts).not.toHaveProperty('cause');
  });
});
