/**
 * iptables.trace-rules-left: TRACE rules left in the raw table after a debug session:
 * they log every matching packet, can eat CPU and keep the xtables lock busy.
 */
import { defineAnalyzer } from '../src/engine/analyzer.js';
import { deleteRulesCommands, ruleSpec } from '../src/netfilter/commands.js';
import { logEvidence } from './lib/logs.js';
import type { Rule, Ruleset } from '../src/netfilter/rules.js';

export default defineAnalyzer({
  id: 'iptables.trace-rules-left',
  title: 'TRACE rules left in the raw table',
  description: '-j TRACE rules from a debugging session are still installed.',
  scope: 'node',
  requires: ['iptables'],
  optional: ['logs'],
  analyze({ node, artifacts }) {
    const live = (artifacts.iptables ?? []).filter((r) => r.origin === 'live');
    const found = distinctTraces(live);
    const traces = found.map((f) => f.rule);
    if (traces.length === 0) return [];
    const families = new Set(found.map((f) => (f.rs.family === 'ipv6' ? 'IPv6' : 'IPv4')));
    const lock = logEvidence(artifacts.logs, ['log.xtables-lock'], 4);
    return [
      {
        severity: 'warning',
        title: 'TRACE rules left in the raw table',
        message: `${traces.length} TRACE rule${traces.length > 1 ? 's are' : ' is'} still in the ${[...families].sort().join(' and ')} raw table of ${node}: every matching packet is logged through the whole rule path.` + (lock.length ? ` The logs show xtables lock contention (${lock.length} line${lock.length > 1 ? 's' : ''}), which a TRACE flood causes.` : ''),
        impact: 'Log floods, CPU load, and iptables commands of Docker/kube-proxy waiting for the xtables lock.',
        evidence: [...found.map(({ rule: r, rs }) => ({ file: r.ref.file, line: r.ref.line, excerpt: r.text, note: `${rs.family === 'ipv6' ? 'ip6tables ' : ''}raw ${r.chain} rule ${r.num}` })), ...lock],
        remedy: {
          summary: 'Delete the TRACE rules.',
          // by spec where the dump shows it; by number from the last rule of each chain up, so that
          // one delete does not shift the numbers of the next
          commands: deleteRulesCommands(found, live),
        },
      },
    ];
  },
});

const familyOf = (rs: Ruleset) => (rs.family === 'ipv6' ? 'ipv6' : 'ipv4');
const hasSpec = (rs: Ruleset) => rs.format === 'save' || rs.format === 'spec';

/**
 * Each TRACE rule once: a sosreport holds the same raw table as iptables-save and as a -nvL
 * listing (and a hand-made bundle may hold two saves). Where a save or -S dump of a family (and
 * back end) shows the raw table, listings of that family are the same rules again: counting them
 * said "4 rules" for 2, and their delete-by-number, run after the deletes by spec, removed the
 * rules that had moved up into those places (Docker's raw DROPs).
 */
function distinctTraces(live: Ruleset[]): { rule: Rule; rs: Ruleset }[] {
  const specs = live.filter((rs) => hasSpec(rs) && rs.tables.raw);
  const shownBySpec = (rs: Ruleset) =>
    specs.some((s) => familyOf(s) === familyOf(rs) && (s.backend === rs.backend || s.backend === 'unknown' || rs.backend === 'unknown'));
  const seen = new Set<string>();
  const out: { rule: Rule; rs: Ruleset }[] = [];
  for (const rs of live) {
    if (!hasSpec(rs) && shownBySpec(rs)) continue;
    for (const c of Object.values(rs.tables.raw?.chains ?? {}))
      for (const rule of c.rules) {
        if (rule.target !== 'TRACE') continue;
        const spec = ruleSpec(rule, rs);
        const key = spec !== undefined ? `${familyOf(rs)}/${rs.backend}/${rule.chain}/${spec}` : `${rs.file}/${rule.chain}/${rule.num}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ rule, rs });
      }
  }
  return out;
}
