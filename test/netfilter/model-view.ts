/**
 * What two dumps of the same rules must agree on: every field of the rule model except where
 * it came from (file, line, original text) and counters (compared on their own).
 */
import { readFileSync } from 'node:fs';
import type { Rule, Ruleset } from '../../src/netfilter/rules.js';
import { projectPath } from '../helpers/shared.js';

export const fixtureDir = (...p: string[]) => projectPath('test/fixtures/iptables', ...p);
export const fixture = (...p: string[]) => readFileSync(fixtureDir(...p), 'utf8');

export function ruleView(r: Rule, interfaces = true) {
  const matches = r.matches
    .flatMap((m) => (m.options.length ? m.options.map((o) => `${m.module} ${o.negated ? '!' : ''}${o.name}${o.value === undefined ? '' : `=${o.value}`}`) : [m.module]))
    .sort();
  return {
    target: r.target ?? null,
    targetKind: r.targetKind ?? null,
    targetOptions: { ...r.targetOptions },
    protocol: r.protocol ?? null,
    source: r.source ?? null,
    destination: r.destination ?? null,
    inInterface: interfaces ? (r.inInterface ?? null) : 'not shown',
    outInterface: interfaces ? (r.outInterface ?? null) : 'not shown',
    fragment: r.fragment ?? null,
    comment: r.comment ?? null,
    matches,
  };
}

/** table -> chain -> policy and rule views, for whole-ruleset comparisons. */
export function rulesetView(rs: Ruleset, interfaces = true) {
  const out: Record<string, Record<string, { policy: string | null; builtin: boolean; rules: ReturnType<typeof ruleView>[] }>> = {};
  for (const [tn, t] of Object.entries(rs.tables)) {
    out[tn] = {};
    for (const [cn, c] of Object.entries(t.chains)) out[tn][cn] = { policy: c.policy ?? null, builtin: c.builtin, rules: c.rules.map((r) => ruleView(r, interfaces)) };
  }
  return out;
}
