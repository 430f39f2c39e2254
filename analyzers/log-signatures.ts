/**
 * log.*: every log signature that matched becomes a finding of its own (warning or info) with its
 * lines in time order. When a diagnosis explains it (the signature's `supports`), the correlation
 * stage folds it into that diagnosis; what is left stands alone.
 */
import { defineAnalyzer, type FindingDraft } from '../src/engine/analyzer.js';
import type { LogMatch } from '../src/logs/index.js';
import { SIGNATURES } from '../src/logs/index.js';
import { timeOf } from './lib/logs.js';

const MAX_EVIDENCE = 10;

export default defineAnalyzer({
  id: 'log.signatures',
  title: 'Known problems in the logs',
  description: 'Signature matches in syslog, journals, Docker and pod logs.',
  scope: 'node',
  requires: ['logs'],
  analyze({ node, artifacts }) {
    const byId = new Map<string, { matches: LogMatch[]; count: number }>();
    for (const log of artifacts.logs) {
      for (const m of log.matches) {
        const e = byId.get(m.signature) ?? byId.set(m.signature, { matches: [], count: 0 }).get(m.signature)!;
        e.matches.push(m);
      }
      for (const [id, n] of Object.entries(log.counts)) {
        const e = byId.get(id) ?? byId.set(id, { matches: [], count: 0 }).get(id)!;
        e.count += n;
      }
    }
    const out: FindingDraft[] = [];
    for (const sig of SIGNATURES) {
      const e = byId.get(sig.id);
      if (!e || e.matches.length === 0) continue;
      const sorted = [...e.matches].sort((a, b) => (a.timestamp?.epochMs ?? Infinity) - (b.timestamp?.epochMs ?? Infinity) || a.file.localeCompare(b.file) || a.line - b.line);
      const timed = sorted.filter((m) => m.timestamp);
      const times = timed.map((m) => m.timestamp!.iso);
      const files = new Set(sorted.map((m) => m.file));
      const facts = collectFacts(sorted);
      out.push({
        id: sig.id,
        severity: sig.severity,
        title: sig.title,
        message: `${e.count} line${e.count > 1 ? 's' : ''} in ${files.size} log${files.size > 1 ? 's' : ''} on ${node}${factSummary(facts)}: ${sig.meaning}`,
        evidence: sorted.slice(0, MAX_EVIDENCE).map((m) => ({
          file: m.file,
          line: m.line,
          excerpt: m.excerpt,
          ...timeOf(m),
          note: [m.unit, m.pod && `pod ${m.namespace ? m.namespace + '/' : ''}${m.pod}`, m.container && `container ${m.container}`].filter(Boolean).join(', ') || undefined,
        })),
        facts: { count: e.count, ...facts },
        firstSeen: times[0],
        lastSeen: times[times.length - 1],
        ...(timed.length > 0 && (timed[0].timestamp!.yearInferred || timed[timed.length - 1].timestamp!.yearInferred) ? { seenYearInferred: true } : {}),
        remedy: { summary: sig.advice, commands: commandsFor(sig.commands, facts) },
      });
    }
    return out;
  },
});

/** Distinct values of each fact (ports, hosts, chains) across the matches. */
function collectFacts(matches: LogMatch[]): Record<string, string[]> {
  const out: Record<string, Set<string>> = {};
  for (const m of matches) for (const [k, v] of Object.entries(m.facts)) (out[k] ??= new Set()).add(v);
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, [...v].slice(0, 10)]));
}

function factSummary(facts: Record<string, string[]>): string {
  const parts: string[] = [];
  if (facts.chain) parts.push(`chain ${facts.chain.join(', ')}`);
  if (facts.host && facts.port) parts.push(`to ${facts.host.slice(0, 3).join(', ')} port ${facts.port.slice(0, 5).join(', ')}`);
  else if (facts.port) parts.push(`port ${facts.port.join(', ')}`);
  return parts.length ? ` (${parts.join('; ')})` : '';
}

/** The signature's commands with their `{fact}` filled in, once per value of the fact (`ss -ltnp 'sport = :5432'`). */
function commandsFor(templates: string[] | undefined, facts: Record<string, string[]>): string[] {
  return (templates ?? []).flatMap((t) => {
    const name = /\{(\w+)\}/.exec(t)?.[1];
    return name === undefined ? [t] : (facts[name] ?? []).map((v) => t.replaceAll(`{${name}}`, v));
  });
}
