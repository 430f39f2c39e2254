/**
 * The batch index (R13 #11, #14, "Also noted"): "healthy" only when the core checks ran (runtime
 * kernel parameters for ip_forward, the filter and nat tables, ip addr), else "no finding, N of M
 * checks not run"; totals by severity when a finding has different severities across bundles; the
 * node after an em dash, not "on"; failed bundles show "—", not 0 | 0 | 0.
 * Real bundles: the project's examples (bundles/*.tgz) and corpus files (see the corpus' SOURCES.md).
 */
import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/engine/analyze.js';
import { buildIndex, digestOf, indexEntry, knownFindings } from '../../src/batch/index-report.js';
import { renderIndex, usePrecompiledTemplates, verdictOf } from '../../src/report/render.js';
import type { BundleReport } from '../../src/report/schema.js';
import { corpusPath, hasCorpus, projectPath } from '../helpers/shared.js';

usePrecompiledTemplates(false);

const entriesOf = (bundles: BundleReport[]) =>
  bundles.map((b, i) => indexEntry({ input: b.source, ok: true, digest: digestOf(b), ms: 1 }, { md: `r${i}.md`, html: `r${i}.html` }));
const rowOf = (md: string, label: string) => md.split('\n').find((l) => l.startsWith(`| \`${label}\``)) ?? '';

describe('index: healthy only when the core checks ran', () => {
  it('healthy-docker-k8s (sysctl -a, iptables filter and nat, ip addr) is healthy; its entry says the core ran', async () => {
    const report = await analyze([projectPath('bundles/healthy-docker-k8s.tgz')]);
    const [e] = entriesOf(report.bundles);
    expect(e.core).toBe(true);
    expect(e.findingIds).toEqual([]);
    expect(verdictOf(e)).toEqual({ kind: 'healthy', text: 'healthy' });
    expect(rowOf(renderIndex(buildIndex([e], new Map()), 'md'), 'healthy-docker-k8s.tgz')).toContain('| healthy |');
  });

  it('an index of an older version (no core field) says "no finding", never "healthy"', () => {
    const e = { source: 'old.tgz', reports: {}, nodes: 1, summary: { critical: 0, warning: 0, info: 0 }, findingIds: [], checked: 12, ms: 1 };
    expect(verdictOf(e).kind).toBe('partial');
    expect(verdictOf(e).text).toBe('no finding');
  });

  it('a failed bundle shows — for its counts, not 0 | 0 | 0', () => {
    const failed = indexEntry({ input: 'bad.tgz', ok: false, failure: { source: 'bad.tgz', error: 'bad.tgz: truncated archive', code: 'truncated' }, ms: 1 } as never, {});
    const md = renderIndex(buildIndex([failed], new Map()), 'md');
    expect(rowOf(md, 'bad.tgz')).toMatch(/^\| `bad\.tgz` \| — \| — \| — \| — \| ❌ failed: truncated archive \|/);
    const html = renderIndex(buildIndex([failed], new Map()), 'html');
    expect(html).toMatch(/<tr class="failed"[\s\S]*?<td class="num">—<\/td><td class="num">—<\/td><td class="num">—<\/td>/);
  });

  it('ip-forward-off: the node follows an em dash, not "on" (the title may end in "on ...")', async () => {
    const report = await analyze([projectPath('bundles/ip-forward-off.tgz')]);
    const [e] = entriesOf(report.bundles);
    expect(e.top?.node).toBe('docker-host-02');
    const md = renderIndex(buildIndex([e], knownFindings(report.bundles)), 'md');
    expect(rowOf(md, 'ip-forward-off.tgz')).toContain(` — docker-host-02 |`);
    expect(rowOf(md, 'ip-forward-off.tgz')).not.toContain(' on docker-host-02');
    expect(renderIndex(buildIndex([e], knownFindings(report.bundles)), 'html')).toContain('<span class="on">— docker-host-02</span>');
  });
});

describe.skipIf(!hasCorpus)('index on corpus bundles', () => {
  it('insights 4-node archive and a lone nat listing: "no finding, N of M checks not run", not healthy', async () => {
    const report = await analyze([
      corpusPath('bundles/insights-core-cluster-hosts-4x-rhel75-openshift-node-archives.tar.gz'),
      corpusPath('iptables-list/jc-ubuntu1804-nat-L.txt'),
    ]);
    const entries = entriesOf(report.bundles);
    const md = renderIndex(buildIndex(entries, knownFindings(report.bundles)), 'md');
    for (const e of entries) {
      if (e.findingIds.length > 0) continue;
      expect(e.core).toBe(false);
      expect(e.notRun).toBeGreaterThan(0);
      const label = md.split('\n').find((l) => l.includes(e.source.split('/').pop()!.slice(0, 20)))!;
      expect(label).toMatch(new RegExp(`no finding, ${e.notRun} of ${e.runs} checks not run; missing: `));
      expect(label).not.toMatch(/\| healthy \|/);
    }
    const insights = entries.find((e) => e.source.includes('insights-core'))!;
    expect(insights.missing).toEqual(expect.arrayContaining(['kernel parameters', 'iptables rules']));
  });

  it('a finding with different severities across bundles is totalled "critical ×n, warning ×m", not as the most severe', async () => {
    const report = await analyze([projectPath('bundles/ip-forward-off.tgz'), corpusPath('sysctl/jc-ubuntu1804-sysctl-a-ip-forward-0.txt')]);
    const sev = report.bundles.map((b) => b.findings.find((f) => f.id === 'sysctl.ip-forward-disabled')?.severity);
    expect(sev.every(Boolean)).toBe(true);
    const index = buildIndex(entriesOf(report.bundles), knownFindings(report.bundles));
    const t = index.totals.byFinding['sysctl.ip-forward-disabled'];
    expect(t.bundles).toBe(2);
    const counts = { critical: 0, warning: 0, info: 0 };
    for (const s of sev) counts[s!]++;
    for (const s of ['critical', 'warning', 'info'] as const) expect(t.bySeverity?.[s] ?? 0).toBe(counts[s]);
    const row = renderIndex(index, 'md').split('\n').find((l) => l.includes('`sysctl.ip-forward-disabled`'))!;
    if (sev[0] !== sev[1]) {
      expect(row).toContain(['critical', 'warning', 'info'].filter((s) => counts[s as 'critical'] > 0).map((s) => `${s} ×1`).join(', '));
      expect(row).not.toContain('🔴 CRITICAL');
    } else expect(row).not.toContain('×');
  });
});
