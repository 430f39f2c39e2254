/**
 * kube-proxy's nftables-mode errors other than a failed sync (src/logs/signatures-kube-proxy.ts) and their
 * wording (analyzers/lib/kube-proxy-sync.ts), on real text (test/fixtures/kube-proxy-nft-errors/README.md):
 *
 * - k3s-11267-kube-proxy-exited.log: https://github.com/k3s-io/k3s/issues/11267, the description's line,
 *   verbatim: kube-proxy in nftables mode without an nft binary exits (`unable to create ipv4 proxier: could
 *   not find nftables binary`): log.kube-proxy-nftables-unavailable.
 * - rke2-7438-kube-proxy-iptables-mode.log: https://github.com/rancher/rke2/issues/7438, verbatim: kube-proxy
 *   in iptables mode removing the nftables table at start says the same knftables error under `"Error
 *   cleaning up nftables rules"`, then runs: quiet context, no finding (healthy for this topic).
 * - k8s-122604-unable-to-delete-stale-chains.log (https://github.com/kubernetes/kubernetes/issues/122604) and
 *   k8s-128829-cri-unable-to-delete-stale-chains.log (https://github.com/kubernetes/kubernetes/issues/128829,
 *   a CRI container log): `"Unable to delete stale chains; will retry later"`, Device or resource busy.
 * - rke2-8840-list-elements-no-json.log: https://github.com/rancher/rke2/issues/8840, `"Failed to list
 *   nftables elements" err=< failed to run nft: JSON support not compiled-in >`; the reporter: "everything
 *   seems to be working fine".
 * - ../kube-proxy-sync/k8s-136786-kube-proxy.log (kubernetes#136786): `"Failed to list existing sets"
 *   err="failed to run nft: signal: segmentation fault (core dumped)"` before each failed sync.
 * - the kernel check: no public log of it was found; KERNEL below is format-exact, built from the source
 *   (pkg/proxy/nftables getNFTablesInterface: `kube-proxy in nftables mode requires kernel %s or later`, with
 *   utilkernel.NFTablesKubeProxyKernelVersion 5.13, kubernetes PR #124152) in the wrapping k3s-io/k3s#11267
 *   shows for 1.31 (`kube-proxy exited: unable to create proxier: unable to create ipv4 proxier: ...`).
 * - healthy: every log of the corpus and of test/fixtures/logs, kube-proxy's start in nftables mode
 *   (`"Using nftables Proxier"`, siderolabs/pkgs#951's comment), and the kube-proxy-sync fixtures: no
 *   kube-proxy-nftables-unavailable.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { FindingDraft } from '../../src/engine/analyzer.js';
import type { LogMatch, LogScanResult } from '../../src/logs/index.js';
import { scanLogText } from '../../src/logs/scanner.js';
import { SIGNATURES, type LogSignature } from '../../src/logs/signatures.js';
import { KUBE_PROXY_SIGNATURES } from '../../src/logs/signatures-kube-proxy.js';
import { kubeProxyNftablesUnavailable, kubeProxySync, NFT113_LIST_FIXED_IN, unavailableCause } from '../../analyzers/lib/kube-proxy-sync.js';
import { corpusPath, hasCorpus, projectPath } from '../helpers/shared.js';

const UNAVAILABLE = 'log.kube-proxy-nftables-unavailable';
const HOUSEKEEPING = 'log.kube-proxy-nftables-housekeeping';
const FAILED = 'log.kube-proxy-sync-failed';
/** the catalog with the kube-proxy entries, whether signatures.ts spreads them or not */
const CATALOG: readonly LogSignature[] = [...SIGNATURES.filter((s) => !KUBE_PROXY_SIGNATURES.some((k) => k.id === s.id)), ...KUBE_PROXY_SIGNATURES];
const fixture = (name: string) => readFileSync(projectPath('test', 'fixtures', 'kube-proxy-nft-errors', name), 'utf8');
const syncFixture = (name: string) => readFileSync(projectPath('test', 'fixtures', 'kube-proxy-sync', name), 'utf8');
const scan = (text: string, file = 'kube-proxy.log') => scanLogText(text, file, { catalog: CATALOG, year: 2025 });
const sig = (id: string) => CATALOG.find((s) => s.id === id)!;

/** format-exact (see the header): the kernel check's error in the wrapping of k3s-io/k3s#11267 */
const KERNEL = 'ERRO[0003] kube-proxy exited: unable to create proxier: unable to create ipv4 proxier: kube-proxy in nftables mode requires kernel 5.13 or later';
/** siderolabs/pkgs#951 (comment of 2024-05-07), verbatim: kube-proxy starting in nftables mode */
const USING_NFTABLES = 'I0507 11:39:31.916310       1 server_linux.go:304] "Using nftables Proxier"';

/** what analyzers/log-signatures.ts hands a hook: the signature's draft, its matches in line order */
function draftOf(id: string, results: LogScanResult[]): { draft: FindingDraft; matches: LogMatch[] } {
  const matches = results.flatMap((r) => r.matches.filter((m) => m.signature === id));
  const count = results.reduce((n, r) => n + (r.counts[id] ?? 0), 0);
  const s = sig(id);
  const draft: FindingDraft = { id, severity: s.severity, title: s.title, message: `${count} lines: ${s.meaning}`, evidence: [], facts: { count }, remedy: { summary: s.advice, commands: [] } };
  return { draft, matches };
}

describe('log.kube-proxy-nftables-unavailable: the signature', () => {
  it("fires on k3s-io/k3s#11267's exit without an nft binary, with the reason", () => {
    const r = scan(fixture('k3s-11267-kube-proxy-exited.log'));
    const m = r.matches.filter((x) => x.signature === UNAVAILABLE);
    expect(m).toHaveLength(1);
    expect(m[0].facts).toMatchObject({ reason: 'could not find nftables binary', ipFamily: 'ipv4' });
    expect(m[0].facts.detail).toContain('executable file not found in $PATH');
    expect(unavailableCause(m[0])).toBe('nft-missing');
    // no other entry takes the line
    expect(r.matches.map((x) => x.signature)).toEqual([UNAVAILABLE]);
  });

  it('fires on the kernel check (format-exact line) with the kernel it needs', () => {
    const m = scan(KERNEL).matches.filter((x) => x.signature === UNAVAILABLE);
    expect(m).toHaveLength(1);
    expect(m[0].facts).toMatchObject({ requiredKernel: '5.13', ipFamily: 'ipv4' });
    expect(unavailableCause(m[0])).toBe('kernel');
  });

  it("stays quiet on kube-proxy in iptables mode removing the nftables table at start (rancher/rke2#7438): context only", () => {
    const r = scan(fixture('rke2-7438-kube-proxy-iptables-mode.log'));
    expect(r.counts[UNAVAILABLE]).toBeUndefined();
    expect(r.counts[HOUSEKEEPING]).toBe(2);
    expect(sig(HOUSEKEEPING).quiet).toBe(true);
    expect(r.matches.filter((m) => m.signature === HOUSEKEEPING).map((m) => m.facts.step)).toEqual(['Error cleaning up nftables rules', 'Error cleaning up nftables rules']);
    expect(r.counts['log.kube-proxy-mode']).toBe(2);
  });

  it('stays quiet on kube-proxy starting in nftables mode', () => {
    const r = scan(USING_NFTABLES);
    expect(r.counts[UNAVAILABLE]).toBeUndefined();
    expect(r.matches.map((m) => [m.signature, m.facts.mode])).toEqual([['log.kube-proxy-mode', 'nftables']]);
  });

  describe.skipIf(!hasCorpus)('healthy logs', () => {
    it('no corpus log, no healthy fixture and no sync-failure fixture says kube-proxy cannot use nftables', () => {
      const files = [
        ...readdirSync(corpusPath('logs')).map((f) => corpusPath('logs', f)),
        ...readdirSync(projectPath('test', 'fixtures', 'logs')).filter((f) => f.endsWith('.log')).map((f) => projectPath('test', 'fixtures', 'logs', f)),
        ...readdirSync(projectPath('test', 'fixtures', 'kube-proxy-sync')).filter((f) => f.endsWith('.log')).map((f) => projectPath('test', 'fixtures', 'kube-proxy-sync', f)),
      ];
      expect(files.length).toBeGreaterThan(10);
      for (const f of files) expect(scan(readFileSync(f, 'utf8'), f).counts[UNAVAILABLE], f).toBeUndefined();
    });
  });
});

describe('log.kube-proxy-nftables-housekeeping: quiet context', () => {
  it('kubernetes#122604: the stale-chain deletion refused (Device or resource busy) is one match with its continuation lines, no failed sync', () => {
    const r = scan(fixture('k8s-122604-unable-to-delete-stale-chains.log'));
    const m = r.matches.filter((x) => x.signature === HOUSEKEEPING);
    expect(m).toHaveLength(1);
    expect(m[0].line).toBe(1);
    expect(m[0].facts).toMatchObject({ step: 'Unable to delete stale chains', nftError: 'Could not process rule: Device or resource busy' });
    expect(r.counts[FAILED]).toBeUndefined();
    // nft's own error line is quiet context (log.nft-rule-not-processed, for netavark's wording): no finding of its own
    expect(r.matches.filter((x) => x.signature !== HOUSEKEEPING && x.signature !== 'log.nft-rule-not-processed')).toEqual([]);
  });

  it('kubernetes#128829: the same in a CRI container log (whose prefixed continuation lines the scanner does not join), and nothing else fires on them', () => {
    const r = scan(fixture('k8s-128829-cri-unable-to-delete-stale-chains.log'));
    const m = r.matches.filter((x) => x.signature === HOUSEKEEPING);
    expect(m).toHaveLength(1);
    expect(m[0].facts).toMatchObject({ step: 'Unable to delete stale chains' });
    // nft's own error line is quiet context (log.nft-rule-not-processed, for netavark's wording): no finding of its own
    expect(r.matches.filter((x) => x.signature !== HOUSEKEEPING && x.signature !== 'log.nft-rule-not-processed')).toEqual([]);
  });

  it("rancher/rke2#8840: an nft without JSON support fails kube-proxy's listing, not its sync", () => {
    const r = scan(fixture('rke2-8840-list-elements-no-json.log'));
    const m = r.matches.filter((x) => x.signature === HOUSEKEEPING);
    expect(m).toHaveLength(1);
    expect(m[0].facts).toMatchObject({ step: 'Failed to list nftables elements', err: 'failed to run nft: JSON support not compiled-in', ipFamily: 'IPv4' });
    // nft's own error line is quiet context (log.nft-rule-not-processed, for netavark's wording): no finding of its own
    expect(r.matches.filter((x) => x.signature !== HOUSEKEEPING && x.signature !== 'log.nft-rule-not-processed')).toEqual([]);
  });

  it("kubernetes#136786: the listing's segfault before each failed sync, per family", () => {
    const r = scan(syncFixture('k8s-136786-kube-proxy.log'));
    expect(r.matches.filter((x) => x.signature === HOUSEKEEPING).map((m) => [m.line, m.facts.step, m.facts.err, m.facts.ipFamily])).toEqual([
      [1, 'Failed to list existing sets', 'failed to run nft: signal: segmentation fault (core dumped)', 'IPv4'],
      [4, 'Failed to list existing sets', 'failed to run nft: signal: segmentation fault (core dumped)', 'IPv6'],
    ]);
    expect(r.counts[FAILED]).toBe(2);
  });
});

describe('kubeProxyNftablesUnavailable: the cause, worded', () => {
  it('k3s-io/k3s#11267: no nft binary, nothing after it: critical, with the k3s backports and the restart', () => {
    const r = scan(fixture('k3s-11267-kube-proxy-exited.log'));
    const { draft, matches } = draftOf(UNAVAILABLE, [r]);
    kubeProxyNftablesUnavailable(draft, matches, { logs: [r] });
    expect(draft.severity).toBe('critical');
    expect(draft.title).toContain('no nft binary');
    expect(draft.message).toContain('k3s-io/k3s#11267');
    expect(draft.message).toContain('no Service rules');
    expect(draft.facts).toMatchObject({ cause: 'nft-missing', started: false });
    expect(draft.remedy.summary).toMatch(/nft of version 1\.0\.1 or later/);
  });

  it('a later start of kube-proxy in the same log makes it a warning', () => {
    const r = scan([fixture('k3s-11267-kube-proxy-exited.log').trimEnd(), USING_NFTABLES].join('\n'));
    const { draft, matches } = draftOf(UNAVAILABLE, [r]);
    kubeProxyNftablesUnavailable(draft, matches, { logs: [r] });
    expect(draft.severity).toBe('warning');
    expect(draft.message).toContain('kube-proxy started again afterwards');
    expect(draft.facts).toMatchObject({ started: true });
  });

  it("the mode line of the failing start itself (before the error) is no recovery", () => {
    const r = scan([USING_NFTABLES, fixture('k3s-11267-kube-proxy-exited.log').trimEnd()].join('\n'));
    const { draft, matches } = draftOf(UNAVAILABLE, [r]);
    kubeProxyNftablesUnavailable(draft, matches, { logs: [r] });
    expect(draft.severity).toBe('critical');
  });

  it('the kernel check: names the kernel it needs and kubernetes PR #124152', () => {
    const r = scan(KERNEL);
    const { draft, matches } = draftOf(UNAVAILABLE, [r]);
    kubeProxyNftablesUnavailable(draft, matches, { logs: [r] });
    expect(draft.title).toBe('kube-proxy refuses nftables mode: the kernel is older than 5.13');
    expect(draft.message).toContain('kubernetes PR #124152');
    expect(draft.remedy.commands).toContain('uname -r');
    expect(draft.severity).toBe('critical');
  });
});

describe('kubeProxySync: the nft crash of kubernetes#136786, versioned', () => {
  it('names the patch releases with PR #137501, the later image fix, and the listing crash', () => {
    const r = scan(syncFixture('k8s-136786-kube-proxy.log'));
    const { draft, matches } = draftOf(FAILED, [r]);
    kubeProxySync(draft, matches, { logs: [r] });
    expect(NFT113_LIST_FIXED_IN).toEqual(['1.33.11', '1.34.7', '1.35.4', '1.36.0']);
    for (const v of NFT113_LIST_FIXED_IN) expect(draft.remedy.summary).toContain(v);
    expect(draft.remedy.summary).toContain('#137501');
    expect(draft.remedy.summary).toContain('#140405');
    expect(draft.remedy.summary).toContain('kubernetes#140898');
    expect(draft.remedy.summary).not.toMatch(/for 1\.33: 1\.33\.11/);
    expect(draft.message).toContain('Its listing of the table crashed the same way (`Failed to list existing sets`, kube-proxy.log:1)');
    expect(draft.severity).toBe('critical');
  });
});
