/**
 * Remedy commands for one rule of a dump: the tool of the rule's family (ip6tables for an IPv6
 * ruleset) and back end, and a delete that names the rule by its spec where the dump shows it.
 */
import type { Rule, Ruleset } from './rules.js';

/**
 * `iptables` or `ip6tables` for the ruleset's family; `iptables-nft` / `iptables-legacy` (and the
 * ip6tables ones) when the node has live rules of that family in both back ends, where the plain
 * name would act on whichever back end the host's alternative points at.
 */
export function iptablesTool(rs: Ruleset, all: readonly Ruleset[] = [rs]): string {
  const base = rs.family === 'ipv6' ? 'ip6tables' : 'iptables';
  if (rs.backend === 'unknown') return base;
  const sameFamily = (r: Ruleset) => (rs.family === 'ipv6' ? r.family === 'ipv6' : r.family !== 'ipv6');
  const mixed = all.some((r) => r !== rs && r.origin === 'live' && sameFamily(r) && r.backend !== 'unknown' && r.backend !== rs.backend);
  return mixed ? `${base}-${rs.backend === 'nf_tables' ? 'nft' : 'legacy'}` : base;
}

/** The rule's arguments as written in an iptables-save or -S dump (without -S -v's counters); undefined for listings and nft. */
export function ruleSpec(rule: Rule, rs: Ruleset): string | undefined {
  if (rs.format !== 'save' && rs.format !== 'spec') return undefined;
  return specOfText(rule);
}

/**
 * A rule's arguments from its own `-A CHAIN ...` text, without the counters `iptables -S -v` writes as
 * `-c PKTS BYTES` (iptables-save -c's `[pkts:bytes]` prefix is taken off when the line is read);
 * undefined when the text is not an -A line of the rule's chain.
 */
export function specOfText(rule: Pick<Rule, 'text' | 'chain'>): string | undefined {
  const m = /^(?:-A|--append)\s+(\S+)\s+(.*)$/.exec(rule.text.trim());
  if (!m || m[1] !== rule.chain) return undefined;
  const spec = m[2].replace(/(^|\s)-c\s+\d+\s+\d+(?=\s|$)/, '').trim();
  return spec === '' ? undefined : spec;
}

/**
 * `ip6tables -t raw -D PREROUTING -s 2001:db8:1::1/128 -j TRACE`: by spec where the dump shows
 * it (a number shifts as soon as an earlier rule of the chain goes), by number otherwise, guarded
 * by the rule's target so that a second run cannot delete the rule that took its place.
 */
export function deleteRuleCommand(rule: Rule, rs: Ruleset, all: readonly Ruleset[] = [rs]): { command: string; bySpec: boolean } {
  const table = rule.table === 'filter' ? '' : `-t ${rule.table} `;
  const tool = iptablesTool(rs, all);
  const spec = ruleSpec(rule, rs);
  if (spec !== undefined) return { command: `${tool} ${table}-D ${rule.chain} ${spec}`, bySpec: true };
  // A number points at whatever rule is there when the command runs: pasted twice, or after
  // Docker or kube-proxy rewrote the chain, `-D PREROUTING 1` deletes the rule that moved up into
  // place (Docker's raw DROP). Delete it only while the rule at that number still has its target.
  if (rule.target && /^[\w-]+$/.test(rule.target))
    return { command: `${tool} ${table}-S ${rule.chain} ${rule.num} | grep -qE -- '-[jg] ${rule.target}( |$)' && ${tool} ${table}-D ${rule.chain} ${rule.num}`, bySpec: false };
  return { command: `${tool} ${table}-D ${rule.chain} ${rule.num}`, bySpec: false };
}

/**
 * Delete commands for several rules, safe to run in the order given: deletes by spec first, then
 * the ones by number from the highest number down in each chain (deleting rule 1 first would
 * make the rule meant by "2" the third one of the dump).
 */
export function deleteRulesCommands(rules: readonly { rule: Rule; rs: Ruleset }[], all: readonly Ruleset[], comment = (r: Rule) => r.text): string[] {
  const made = rules.map(({ rule, rs }) => ({ rule, rs, ...deleteRuleCommand(rule, rs, all) }));
  const bySpec = made.filter((c) => c.bySpec).map((c) => c.command);
  const byNumber = made
    .filter((c) => !c.bySpec)
    .sort((a, b) => (a.rs === b.rs ? 0 : all.indexOf(a.rs) - all.indexOf(b.rs)) || a.rule.table.localeCompare(b.rule.table) || a.rule.chain.localeCompare(b.rule.chain) || b.rule.num - a.rule.num)
    .map((c) => `${c.command}   # ${comment(c.rule).slice(0, 80)}`);
  return [...bySpec, ...byNumber];
}

/**
 * `iptables ... -A CHAIN spec` made safe to paste again, or to run after the owner (Docker, flannel)
 * wrote the rule itself: `iptables ... -C CHAIN spec 2>/dev/null || iptables ... -A CHAIN spec`.
 */
export function appendOnce(command: string): string {
  return `${command.replace(' -A ', ' -C ')} 2>/dev/null || ${command}`;
}
