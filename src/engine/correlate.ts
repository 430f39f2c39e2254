/**
 * Correlation: findings that share a root cause become one diagnosis carrying all the evidence.
 * Rules are data: when a finding `absorb`s another on the same node, the absorbed one's evidence
 * moves into it and its id is listed in `related`.
 */
import { SEVERITY_ORDER, type Finding } from '../report/schema.js';
import { SIGNATURES } from '../logs/index.js';

export interface CorrelationRule {
  /** the finding that names the root cause */
  root: string;
  /** findings explained by it (same node, or overlapping nodes for cluster findings) */
  absorbs: string[];
}

/**
 * Rules from the signature catalog: a diagnosis absorbs the log findings that support it (the
 * "No chain" lines and the firewall restart become evidence of iptables.docker-chain-missing).
 */
export const CORRELATION_RULES: CorrelationRule[] = (() => {
  const byRoot = new Map<string, string[]>();
  for (const s of SIGNATURES) for (const root of s.supports) byRoot.set(root, [...(byRoot.get(root) ?? []), s.id]);
  return [...byRoot].map(([root, absorbs]) => ({ root, absorbs }));
})();

/**
 * A logged cause folds the symptoms it explains: a firewall service whose restart is logged
 * (facts.loggedRestart) flushed the rules, and where Docker's chains are missing on that node
 * (iptables.docker-chain-missing: Docker has not re-created them since), the missing MASQUERADE
 * and the FORWARD rule restored ahead of Docker's are the same flush. The cause takes the most
 * severe of them and leads, with a one-sentence root cause in facts.rootCause.
 */
export interface CauseRule {
  root: string;
  /** the finding on the same node that shows the cause took effect */
  anchor: string;
  absorbs: string[];
}

export const CAUSE_RULES: CauseRule[] = [
  {
    root: 'iptables.service-conflict',
    anchor: 'iptables.docker-chain-missing',
    absorbs: ['iptables.docker-chain-missing', 'iptables.docker-masquerade-missing', 'iptables.forward-blocks-containers'],
  },
];

export function correlate(findings: Finding[], rules: CorrelationRule[] = CORRELATION_RULES, causes: CauseRule[] = CAUSE_RULES): Finding[] {
  const kept = correlateRules(findings, rules);
  return foldCauses(kept, causes);
}

function foldCauses(findings: Finding[], causes: CauseRule[]): Finding[] {
  const removed = new Set<Finding>();
  for (const rule of causes) {
    for (const root of findings.filter((f) => f.id === rule.root && !removed.has(f))) {
      const facts = root.facts as Record<string, unknown> | undefined;
      if (!facts?.loggedRestart || typeof facts.cause !== 'string') continue;
      if (!findings.some((f) => f.id === rule.anchor && !removed.has(f) && f.node !== undefined && f.node === root.node)) continue;
      const folded = findings.filter((f) => f !== root && !removed.has(f) && rule.absorbs.includes(f.id) && f.node !== undefined && f.node === root.node);
      for (const other of folded) {
        root.evidence.push(...other.evidence.filter((e) => !root.evidence.some((r) => r.file === e.file && r.line === e.line)));
        root.related = [...new Set([...(root.related ?? []), other.id, ...(other.related ?? [])])];
        root.firstSeen = earliest(root.firstSeen, other.firstSeen);
        root.lastSeen = latest(root.lastSeen, other.lastSeen);
        if (other.seenYearInferred) root.seenYearInferred = true;
        if (SEVERITY_ORDER[other.severity] < SEVERITY_ORDER[root.severity]) root.severity = other.severity;
        removed.add(other);
      }
      const explains = folded.map((f) => (/^(?:No|The|A|An|Some|One)\b/.test(f.title) ? f.title.charAt(0).toLowerCase() + f.title.slice(1) : f.title)); // Docker, FORWARD, IPv4 keep their case
      root.facts = { ...facts, rootCause: `${facts.cause}; nothing re-created the container rules since, which explains: ${explains.join('; ')}.` };
      root.evidence = timeOrdered(root.evidence);
    }
  }
  return findings.filter((f) => !removed.has(f));
}

function correlateRules(findings: Finding[], rules: CorrelationRule[]): Finding[] {
  const merged = mergeDuplicates(findings);
  const removed = new Set<Finding>();
  for (const rule of rules) {
    for (const root of merged.filter((f) => f.id === rule.root && !removed.has(f))) {
      for (const other of merged) {
        if (other === root || removed.has(other) || !rule.absorbs.includes(other.id) || !sameScope(root, other)) continue;
        // a log finding more severe than the state-based root stays a finding of its own: folded, its severity
        // would be lost (an info root would hide a critical failure its lines prove)
        if (SEVERITY_ORDER[other.severity] < SEVERITY_ORDER[root.severity]) continue;
        // log lines the root says it does not explain (port-blocked: the client saw another
        // symptom than the blocking rule gives), or, when it names the lines it explains, lines that
        // name another peer (another port, another address, a host daemon's) stay a finding of their own
        const unexplained = new Set(unexplainedBy(root));
        const only = namesPeers(other) ? explainedBy(root) : undefined;
        const explained = other.evidence.filter((e) => !unexplained.has(`${e.file}:${e.line}`) && (only === undefined || only.has(`${e.file}:${e.line}`)));
        if (explained.length === 0) continue;
        const fresh = explained.filter((e) => !root.evidence.some((r) => r.file === e.file && r.line === e.line));
        root.evidence.push(...fresh);
        if (explained.length < other.evidence.length) {
          other.evidence = other.evidence.filter((e) => !explained.includes(e));
          root.related = [...new Set([...(root.related ?? []), other.id])];
          continue;
        }
        root.related = [...new Set([...(root.related ?? []), other.id, ...(other.related ?? [])])];
        root.firstSeen = earliest(root.firstSeen, other.firstSeen);
        root.lastSeen = latest(root.lastSeen, other.lastSeen);
        if (other.seenYearInferred) root.seenYearInferred = true;
        removed.add(other);
      }
    }
  }
  const kept = merged.filter((f) => !removed.has(f));
  for (const f of kept) if (f.related?.length) f.evidence = timeOrdered(f.evidence);
  return kept;
}

/** `file:line` of evidence a finding says it does not explain (facts.logSymptomMismatch) */
function unexplainedBy(f: Finding): string[] {
  const m = (f.facts as Record<string, unknown> | undefined)?.logSymptomMismatch;
  return Array.isArray(m) ? m.filter((x): x is string => typeof x === 'string') : [];
}

/** `file:line` of the log lines a finding says it explains (facts.explainsLogLines), when it names them */
function explainedBy(f: Finding): Set<string> | undefined {
  const m = (f.facts as Record<string, unknown> | undefined)?.explainsLogLines;
  return Array.isArray(m) ? new Set(m.filter((x): x is string => typeof x === 'string')) : undefined;
}

/** A log finding whose lines name where they connected (host, port, socket): each line is about its own peer. */
function namesPeers(f: Finding): boolean {
  const facts = f.facts as Record<string, unknown> | undefined;
  return facts !== undefined && ['host', 'port', 'address', 'socket'].some((k) => k in facts);
}

/** Evidence without a time keeps its place (state first); timed evidence follows in time order. */
function timeOrdered(evidence: Finding['evidence']): Finding['evidence'] {
  const untimed = evidence.filter((e) => !e.time);
  const timed = evidence.filter((e) => e.time).sort((a, b) => a.time!.localeCompare(b.time!));
  return [...untimed, ...timed];
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
