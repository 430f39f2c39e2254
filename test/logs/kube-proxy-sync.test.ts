/**
 * kube-proxy's nftables sync failures (src/logs/signatures-kube-proxy.ts) and their wording by cause
 * (analyzers/lib/kube-proxy-sync.ts), on real text:
 *
 * - test/fixtures/kube-proxy-sync/k8s-pr134024-kube-proxy.log: kubernetes PR #134024's description,
 *   verbatim (https://github.com/kubernetes/kubernetes/pull/134024): `iif != azv*`, "Interface does not
 *   exist". Fixed in 1.33.6 (#134099), 1.34.2 (#134118), 1.35.0: the 1.33 and 1.34 release notes.
 * - k8s-136786-kube-proxy.log: kubernetes#136786's description, verbatim
 *   (https://github.com/kubernetes/kubernetes/issues/136786): nft segfaults, one line per family.
 * - siderolabs-pkgs-951-nft-errors.txt: https://github.com/siderolabs/pkgs/issues/951, nft's lines of
 *   kube-proxy's failed sync as pasted, less the paste's terminal frame (`│     `): `fib saddr type`,
 *   "Could not process rule: No such file or directory" on a kernel without CONFIG_NFT_FIB_IPV4.
 * - nft-1.0.6-*.txt: the real nft 1.0.6 of this machine, `ip netns exec h23-x nft -f - < <input>.nft`
 *   with the .nft files beside them: the same `iif != azv*` refusal, and ENOENT on a jump to a chain the
 *   transaction adds only later (a chain, not a module).
 * - healthy: every log of the corpus (kube-proxy in iptables mode among them, the hotsos snap journal,
 *   k0s) and test/fixtures/logs: no nftables sync failure.
 * - iptables mode stays log.iptables-restore-failed: kube-proxy's own lines in the corpus
 *   (kubernetes#112292, kube-proxy-25).
 * - "nftables sync failed" in another program's source (a Rust firewall's `debug!(%err, "nftables sync
 *   failed")`, public code) is not kube-proxy's structured line.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { FindingDraft } from '../../src/engine/analyzer.js';
import type { LogMatch, LogScanResult } from '../../src/logs/index.js';
import { scanLogText } from '../../src/logs/scanner.js';
import { SIGNATURES, type LogSignature } from '../../src/logs/signatures.js';
import { KUBE_PROXY_SIGNATURES } from '../../src/logs/signatures-kube-proxy.js';
import { causeOf, failureOf, IIF_FIXED_IN, kubeProxySync, syncOutcome } from '../../analyzers/lib/kube-proxy-sync.js';
import { corpusPath, hasCorpus, projectPath, readCorpus } from '../helpers/shared.js';

/** the catalog with the kube-proxy entries, whether or not signatures.ts has them yet */
const CATALOG: readonly LogSignature[] = SIGNATURES.some((s) => s.id === 'log.kube-proxy-sync-failed') ? SIGNATURES : [...SIGNATURES, ...KUBE_PROXY_SIGNATURES];
const FAILED = 'log.kube-proxy-sync-failed';
const fixture = (name: string) => readFileSync(projectPath('test', 'fixtures', 'kube-proxy-sync', name), 'utf8');
const scan = (text: string, file = 'kube-proxy.log') => scanLogText(text, file, { catalog: CATALOG, year: 2025 });

/** what analyzers/log-signatures.ts hands the hook: the signature's draft, its matches in line order */
function draftOf(results: LogScanResult[]): { draft: FindingDraft; matches: LogMatch[] } {
  const matches = results.flatMap((r) => r.matches.filter((m) => m.signature === FAILED));
  const count = results.reduce((n, r) => n + (r.counts[FAILED] ?? 0), 0);
  const sig = KUBE_PROXY_SIGNATURES[0];
  const draft: FindingDraft = { id: sig.id, severity: sig.severity, title: sig.title, message: `${count} lines: ${sig.meaning}`, evidence: [], facts: { count }, remedy: { summary: sig.advice, commands: [] } };
  return { draft, matches };
}

/** a match as the scanner makes it, from the signature's own patterns on real nft text */
function matchOn(subject: string): LogMatch {
  const sig = KUBE_PROXY_SIGNATURES[0];
  const facts: Record<string, string> = {};
  for (const re of sig.extract ?? []) {
    const g = re.exec(subject)?.groups ?? {};
    for (const [k, v] of Object.entries(g)) if (v !== undefined && facts[k.replace(/_\d+$/, '')] === undefined) facts[k.replace(/_\d+$/, '')] = v.trim();
  }
  return { signature: FAILED, file: 'x.log', line: 1, excerpt: '', facts };
}

describe('log.kube-proxy-sync-failed: the signature', () => {
  it("fires on kubernetes PR #134024's log, joining nft's Error line and the rule it refused", () => {
    const r = scan(fixture('k8s-pr134024-kube-proxy.log'));
    const m = r.matches.filter((x) => x.signature === FAILED);
    expect(m).toHaveLength(1);
    expect(m[0].line).toBe(2);
    expect(m[0].endLine).toBeGreaterThanOrEqual(5);
    expect(m[0].facts).toMatchObject({
      mode: 'nftables',
      nftError: 'Interface does not exist',
      stdinLine: '72',
      column: '109',
      columnEnd: '112',
      iif: 'azv*',
      rule: 'add rule ip kube-proxy service-2QRHZV4L-default/kubernetes/tcp/https ip daddr 10.0.0.1 tcp dport 443 iif != azv* jump mark-for-masquerade',
    });
    // the continuation lines are the match's: no other entry takes them
    expect(r.matches.filter((x) => x.line > 2 && x.line <= 5)).toEqual([]);
    expect(failureOf(m[0]).marked).toBe('azv*');
  });

  it("fires once per failed sync on kubernetes#136786's one-line errors, with the family; the retry line is quiet context", () => {
    const r = scan(fixture('k8s-136786-kube-proxy.log'));
    const m = r.matches.filter((x) => x.signature === FAILED);
    expect(m.map((x) => [x.line, x.facts.ipFamily, x.facts.err])).toEqual([
      [2, 'IPv4', 'signal: segmentation fault (core dumped)'],
      [5, 'IPv6', 'signal: segmentation fault (core dumped)'],
    ]);
    expect(r.counts['log.kube-proxy-sync-retry']).toBe(2);
    expect(CATALOG.find((s) => s.id === 'log.kube-proxy-sync-retry')!.quiet).toBe(true);
  });

  it('leaves iptables mode to log.iptables-restore-failed (no second finding for the same line)', () => {
    if (!hasCorpus) return;
    for (const f of ['kubernetes-112292-kube-proxy-iptables-restore-line-1193.log', 'kube-proxy-25-ip6tables-restore-unknown-option-xor-mark.log']) {
      const r = scan(readCorpus('logs', f), f);
      expect(r.counts['log.iptables-restore-failed'], f).toBeGreaterThan(0);
      expect(r.counts[FAILED], f).toBeUndefined();
    }
  });

  it("stays quiet on another program's wording", () => {
    for (const text of ['            debug!(%err, "nftables sync failed");', '                message: "nftables sync failed".to_string(),']) expect(scan(text).counts[FAILED], text).toBeUndefined();
  });

  describe.skipIf(!hasCorpus)('healthy logs', () => {
    it('no corpus log and no healthy fixture gives a kube-proxy sync failure', () => {
      const files = [
        ...readdirSync(corpusPath('logs')).map((f) => corpusPath('logs', f)),
        ...readdirSync(projectPath('test', 'fixtures', 'logs')).filter((f) => f.endsWith('.log')).map((f) => projectPath('test', 'fixtures', 'logs', f)),
      ];
      expect(files.length).toBeGreaterThan(10);
      for (const f of files) expect(scan(readFileSync(f, 'utf8'), f).counts[FAILED], f).toBeUndefined();
    });
  });
});

describe('kubeProxySync: the cause, worded', () => {
  it('PR #134024: names the bug, the fixed releases and the ClusterCIDR workaround; critical, since every sync carries the rule', () => {
    const r = scan(fixture('k8s-pr134024-kube-proxy.log'));
    const { draft, matches } = draftOf([r]);
    kubeProxySync(draft, matches, { logs: [r] });
    expect(draft.severity).toBe('critical');
    expect(draft.title).toContain('kubernetes#134024');
    expect(draft.title).toContain('iif != azv*');
    expect(draft.message).toContain('iifname');
    for (const v of IIF_FIXED_IN) expect(draft.remedy.summary).toContain(v);
    expect(IIF_FIXED_IN).toEqual(['1.33.6', '1.34.2', '1.35.0']);
    expect(draft.remedy.summary).toMatch(/detectLocalMode: ClusterCIDR/);
    expect(draft.remedy.summary).toMatch(/clusterCIDR/);
    expect(draft.facts).toMatchObject({ mode: 'nftables', cause: 'kubernetes#134024', iif: 'azv*', nftError: 'Interface does not exist', recovered: false });
    // read-only commands, and the one that changes the configuration is a comment to act on
    for (const c of draft.remedy.commands) expect(c).toMatch(/^(?:#|kubectl -n kube-system get |nft list )/);
  });

  it("the real nft's own refusal of `iif != azv*` (nft 1.0.6 here) is the same cause", () => {
    const m = matchOn(fixture('nft-1.0.6-iif-wildcard.txt'));
    expect(m.facts).toMatchObject({ nftError: 'Interface does not exist', column: '67', columnEnd: '70', iif: 'azv*' });
    const f = failureOf(m);
    expect(f.marked).toBe('azv*');
    expect(causeOf(f)).toMatchObject({ kind: 'iif', iif: 'azv*' });
  });

  it('siderolabs/pkgs#951: ENOENT at `fib saddr type` is the missing nft_fib_ipv4 module', () => {
    const m = matchOn(fixture('siderolabs-pkgs-951-nft-errors.txt'));
    const f = failureOf(m);
    expect(f.nftError).toBe('Could not process rule: No such file or directory');
    expect(f.marked).toBe('fib saddr type');
    expect(causeOf(f)).toMatchObject({ kind: 'module', modules: ['nft_fib_ipv4'] });
    const draft: FindingDraft = { severity: 'warning', title: 't', message: 'm', evidence: [], facts: { count: 1 }, remedy: { summary: '', commands: [] } };
    kubeProxySync(draft, [m], { logs: [] });
    expect(draft.severity).toBe('critical');
    expect(draft.title).toContain('nft_fib_ipv4');
    expect(draft.remedy.commands).toContain('modprobe -a nft_fib_ipv4');
    expect(draft.remedy.commands.some((c) => c.startsWith('modinfo -F filename nft_fib_ipv4'))).toBe(true);
  });

  it('ENOENT on the name of a chain (real nft 1.0.6: a jump to a chain added later) is no module', () => {
    const m = matchOn(fixture('nft-1.0.6-jump-chain-not-yet-added.txt'));
    const f = failureOf(m);
    expect(f.nftError).toBe('Could not process rule: No such file or directory');
    expect(f.marked).toBe('svc2');
    expect(causeOf(f).kind).toBe('other');
    const draft: FindingDraft = { severity: 'warning', title: 't', message: 'm', evidence: [], facts: { count: 1 }, remedy: { summary: 'keep', commands: [] } };
    kubeProxySync(draft, [m], { logs: [] });
    // quoted, not guessed; one failure and nothing that would show a success: a warning
    expect(draft.message).toContain('Could not process rule: No such file or directory');
    expect(draft.message).toContain('`svc2`');
    expect(draft.severity).toBe('warning');
    expect(draft.remedy.summary).toBe('keep');
  });

  it('kubernetes#136786: nft crashing, in both families, is critical and named', () => {
    const r = scan(fixture('k8s-136786-kube-proxy.log'));
    const { draft, matches } = draftOf([r]);
    kubeProxySync(draft, matches, { logs: [r] });
    expect(draft.severity).toBe('critical');
    expect(draft.message).toContain('kubernetes#136786');
    expect(draft.message).toContain('It failed 2 times');
  });
});

describe('kubeProxySync: a later successful sync', () => {
  // composed of verbatim lines, only the times changed: kubernetes#136786's IPv4 failure and retry, then
  // kube-proxy's V(2) end-of-sync line as kubernetes PR #111219 (dcbw's log) prints it. That a failed sync
  // logs it too, after "Sync failed", is the deferred functions' order in pkg/proxy/nftables/proxier.go
  // (and iptables': a public troubleshooting post's log shows "Failed to execute iptables-restore" /
  // "Sync failed" retryingTime="30s" / "SyncProxyRules complete" in that order)
  const FAIL = 'E0205 20:24:22.721950       1 proxier.go:1788] "nftables sync failed" err="signal: segmentation fault (core dumped)" ipFamily="IPv4"';
  const RETRY = 'I0205 20:24:22.723136       1 proxier.go:1143] "Sync failed" ipFamily="IPv4" retryingTime="30s"';
  const COMPLETE = (t: string) => `I0205 ${t}    2171 proxier.go:832] "SyncProxyRules complete" elapsed="175.66099ms"`;

  it("the failed sync's own end line is no success; a later one alone is", () => {
    const failedOnly = scan([FAIL, RETRY, COMPLETE('20:24:22.723200')].join('\n'));
    const fo = syncOutcome(failedOnly.matches.filter((m) => m.signature === FAILED), [failedOnly]);
    expect(fo.recovered).toBeUndefined();
    expect(fo.verbose).toBe(true);
    const { draft, matches } = draftOf([failedOnly]);
    kubeProxySync(draft, matches, { logs: [failedOnly] });
    expect(draft.severity).toBe('critical');

    const later = scan([FAIL, RETRY, COMPLETE('20:24:22.723200'), COMPLETE('20:24:52.801000')].join('\n'));
    const lo = syncOutcome(later.matches.filter((m) => m.signature === FAILED), [later]);
    expect(lo.recovered?.line).toBe(4);
    const d2 = draftOf([later]);
    kubeProxySync(d2.draft, d2.matches, { logs: [later] });
    expect(d2.draft.severity).toBe('warning');
    expect(d2.draft.message).toContain('A later sync succeeded');
  });

  it('past the 50 kept end-of-sync lines, repeated failures stay critical and the finding says what it cannot place', () => {
    // 60 completed syncs (the healthy V(2) line), then kubernetes#136786's two failed syncs with their own end lines
    const healthy = Array.from({ length: 60 }, (_, i) => COMPLETE(`20:${String(10 + Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}.100000`));
    const failing = fixture('k8s-136786-kube-proxy.log').trimEnd().split('\n');
    const text = [...healthy, failing[1], failing[2], COMPLETE('20:24:22.723200'), failing[4], failing[5], COMPLETE('20:24:24.762000')].join('\n');
    const r = scan(text);
    expect(r.counts['log.kube-proxy-sync-complete']).toBe(62);
    expect(r.matches.filter((m) => m.signature === 'log.kube-proxy-sync-complete')).toHaveLength(50);
    const o = syncOutcome(r.matches.filter((m) => m.signature === FAILED), [r]);
    expect(o).toMatchObject({ verbose: true, unplaced: true });
    expect(o.recovered).toBeUndefined();
    const { draft, matches } = draftOf([r]);
    kubeProxySync(draft, matches, { logs: [r] });
    expect(draft.severity).toBe('critical');
    expect(draft.message).toContain('whether one came after the last failure is not shown');
  });

  it('a success in another (rotated) log counts by its time', () => {
    const old = scan([FAIL, RETRY, COMPLETE('20:24:22.723200')].join('\n'), 'kube-proxy.log.1');
    const now = scan(COMPLETE('20:25:52.801000'), 'kube-proxy.log');
    const before = scan(COMPLETE('20:20:00.000000'), 'kube-proxy.log.2');
    const failures = old.matches.filter((m) => m.signature === FAILED);
    expect(syncOutcome(failures, [old, before]).recovered).toBeUndefined();
    expect(syncOutcome(failures, [old, now, before]).recovered?.file).toBe('kube-proxy.log');
  });
});
