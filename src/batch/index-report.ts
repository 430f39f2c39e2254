/** The batch index: every bundle with its counts and top diagnosis, and totals across the batch. */
import type { BatchIndex, BundleReport, IndexEntry } from '../report/schema.js';
import { SEVERITY_ORDER, type Severity } from '../report/severity.js';
import { checksRan } from '../report/coverage.js';
import { coreOf } from '../report/collect.js';
import { VERSION } from '../version.js';
import type { BatchResult } from './pool.js';

/** What the index needs of an analyzed bundle; a batch child sends this instead of the whole report. */
export interface BundleDigest {
  source: string;
  layout: string;
  nodes: number;
  summary: BundleReport['summary'];
  top?: IndexEntry['top'];
  /** each finding id once, with its most severe severity (findings come sorted by severity) */
  findings: { id: string; severity: Severity; title: string }[];
  /** analyzer runs that ran (0: nothing in the bundle could be checked) */
  checked: number;
  /** analyzer runs in all, and those that did not run */
  runs: number;
  notRun: number;
  /** the core checks (ip_forward, filter and nat tables, ip addr) could run on every node */
  core: boolean;
  /** the core artifacts missing, then what most checks lacked (at most 4) */
  missing: string[];
}

export function digestOf(r: BundleReport): BundleDigest {
  const top = r.findings[0];
  const seen = new Set<string>();
  const findings: BundleDigest['findings'] = [];
  for (const f of r.findings) {
    if (seen.has(f.id)) continue;
    seen.add(f.id);
    findings.push({ id: f.id, severity: f.severity, title: f.title });
  }
  return {
    source: r.source,
    layout: r.layout,
    nodes: r.nodes.length,
    summary: r.summary,
    top: top ? { id: top.id, severity: top.severity, title: top.title, node: top.node ?? top.nodes?.join(', ') } : undefined,
    findings,
    checked: checksRan(r.coverage),
    ...coreOf(r),
  };
}

/**
 * The stderr line for an input that was read but where no check could run (no artifact any
 * analyzer needs: a text that is no bundle, an empty or foreign archive): its report says so, yet
 * nothing in the exit status does (a report without findings), so the run says it in one line.
 * `missing`: what most checks lacked (the digest's `missing`).
 */
export function uncheckedLine(source: string, missing: readonly string[] = []): string {
  return `${source}: nothing could be checked${missing.length > 0 ? ` (missing: ${missing.join(', ')})` : ''}: read, but no finding can be trusted to be absent`;
}

export function indexEntry(result: BatchResult, reports: Record<string, string>): IndexEntry {
  if (!result.ok) {
    return {
      source: result.input,
      reports,
      nodes: 0,
      summary: { critical: 0, warning: 0, info: 0 },
      findingIds: [],
      error: result.failure.error,
      code: result.failure.code,
      ms: Math.round(result.ms),
    };
  }
  const d = result.digest;
  return {
    source: d.source,
    reports,
    layout: d.layout,
    nodes: d.nodes,
    summary: d.summary,
    top: d.top,
    findingIds: d.findings.map((f) => f.id),
    severities: d.findings.map((f) => f.severity),
    checked: d.checked,
    runs: d.runs,
    notRun: d.notRun,
    core: d.core,
    missing: d.missing,
    ms: Math.round(result.ms),
  };
}

/** Builds the index from entries (also used to merge shards); titles and severities come from `known`. */
export function buildIndex(entries: IndexEntry[], known: Map<string, { severity: Severity; title: string }>, shards?: string[]): BatchIndex {
  const bundles = [...entries].sort(compareEntries);
  const byFinding: BatchIndex['totals']['byFinding'] = {};
  for (const e of bundles)
    e.findingIds.forEach((id, i) => {
      const k = known.get(id) ?? { severity: 'info' as const, title: id };
      // the severity in this bundle (indexes of older versions do not say: the most severe known)
      const sev = e.severities?.[i] ?? k.severity;
      const prev = byFinding[id];
      const bySeverity = { ...prev?.bySeverity, [sev]: (prev?.bySeverity?.[sev] ?? 0) + 1 };
      byFinding[id] = { severity: k.severity, title: k.title, bundles: (prev?.bundles ?? 0) + 1, bySeverity };
    });
  const sortedByFinding = Object.fromEntries(
    Object.entries(byFinding).sort(([a, x], [b, y]) => SEVERITY_ORDER[x.severity] - SEVERITY_ORDER[y.severity] || y.bundles - x.bundles || a.localeCompare(b)),
  );
  return {
    tool: { name: 'bundle-doctor', version: VERSION },
    generatedAt: new Date().toISOString(),
    ...(shards ? { shards } : {}),
    totals: {
      bundles: bundles.length,
      analyzed: bundles.filter((b) => !b.error).length,
      failed: bundles.filter((b) => b.error).length,
      critical: bundles.reduce((n, b) => n + b.summary.critical, 0),
      warning: bundles.reduce((n, b) => n + b.summary.warning, 0),
      info: bundles.reduce((n, b) => n + b.summary.info, 0),
      byFinding: sortedByFinding,
    },
    bundles,
  };
}

/** Failures first (they need a person), then by severity of findings, then by name. */
function compareEntries(a: IndexEntry, b: IndexEntry): number {
  const rank = (e: IndexEntry) => (e.error ? -1 : e.summary.critical > 0 ? 0 : e.summary.warning > 0 ? 1 : e.summary.info > 0 ? 2 : 3);
  return rank(a) - rank(b) || b.summary.critical - a.summary.critical || b.summary.warning - a.summary.warning || a.source.localeCompare(b.source);
}

/** finding id -> severity and title, from full reports. */
export function knownFindings(reports: BundleReport[]): Map<string, { severity: Severity; title: string }> {
  const out = new Map<string, { severity: Severity; title: string }>();
  for (const r of reports)
    for (const f of r.findings) {
      const prev = out.get(f.id);
      if (!prev || SEVERITY_ORDER[f.severity] < SEVERITY_ORDER[prev.severity]) out.set(f.id, { severity: f.severity, title: f.title });
    }
  return out;
}
