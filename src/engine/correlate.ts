/**
 * Correlation: findings that share a root cause become one diagnosis carrying all the evidence.
 * Rules are data: when a finding `absorb`s another on the same node, the absorbed one's evidence
 * moves into it and its id is listed in `related`.
 */
import type { Finding } from '../report/schema.js';

export interface CorrelationRule {
  /** the finding that names the root cause */
  root: string;
  /** findings explained by it (same node, or overlapping nodes for cluster findings) */
  absorbs: string[];
}

export const CORRELATION_RULES: CorrelationRule[] = [];

export function correlate(findings: Finding[], rules: CorrelationRule[] = CORRELATION_RULES): Finding[] {
  const merged = mergeDuplicates(findings);
  const removed = new Set<Finding>();
  for (const rule of rules) {
    for (const root of merged.filter((f) => f.id === rule.root && !removed.has(f))) {
      for (const other of merged) {
        if (other === root || removed.has(other) || !rule.absorbs.includes(other.id) || !sameScope(root, other)) continue;
        root.evidence.push(...other.evidence.filter((e) => !root.evidence.some((r) => r.file === e.file && r.line === e.line)));
        root.related = [...new Set([...(root.related ?? []), other.id, ...(other.related ?? [])])];
        root.firstSeen = earliest(root.firstSeen, other.firstSeen);
        root.lastSeen = latest(root.lastSeen, other.lastSeen);
        removed.add(other);
      }
    }
  }
  return merged.filter((f) => !removed.has(f));
}

/** The same id on the same node twice (e.g. from two log files) is one finding with both evidences. */
function mergeDuplicates(findings: Finding[]): Finding[] {
  const byKey = new Map<string, Finding>();
  const out: Finding[] = [];
  for (const f of findings) {
    const key = `${f.id}\u0000${f.node ?? ''}\u0000${(f.nodes ?? []).join(',')}\u0000${f.message}`;
    const prev = byKey.get(key);
    if (!prev) {
      const copy = { ...f, evidence: [...f.evidence] };
      byKey.set(key, copy);
      out.push(copy);
      continue;
    }
    prev.evidence.push(...f.evidence.filter((e) => !prev.evidence.some((p) => p.file === e.file && p.line === e.line)));
  }
  return out;
}

function sameScope(a: Finding, b: Finding): boolean {
  if (a.node && b.node) return a.node === b.node;
  const an = a.nodes ?? (a.node ? [a.node] : []);
  const bn = b.nodes ?? (b.node ? [b.node] : []);
  return an.some((n) => bn.includes(n));
}

function earliest(a?: string, b?: string): string | undefined {
  if (!a) return b;
  if (!b) return a;
  return a < b ? a : b;
}

function latest(a?: string, b?: string): string | undefined {
  if (!a) return b;
  if (!b) return a;
  return a > b ? a : b;
}
