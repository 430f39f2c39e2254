/**
 * A node's live iptables rules per back end. Legacy (x_tables) and nf_tables keep separate
 * tables, and the kernel runs the base chains of both on every hook: a packet must pass the
 * FORWARD of each, a MASQUERADE in either rewrites it. So the two are never merged into one
 * view (a chain name present in both would hide one of them); files of one back end are
 * (sosreports hold one listing per table, iptables-save and ip6tables-save one per family).
 * Also: what a truncated dump (sos's `.tailed`) cannot tell.
 */
import { TABLES_ON_HOOK, tablePriority, trace, type ExtraChain, type Hook, type Path, type TraceContext } from './trace.js';
import type { Backend, Chain, Ruleset } from './rules.js';

/**
 * The live rulesets grouped by back end, the group `iptables` itself shows first: the group of
 * the first file whose name does not say legacy or nft (`iptables-save`, sos's
 * `iptables_-t_nat_-nvL`), else of the first file. Files whose back end is not known (listings
 * carry no header) join that first group: they are what plain `iptables` printed.
 */
export function groupByBackend(rulesets: readonly Ruleset[]): Ruleset[][] {
  const known = rulesets.filter((r) => r.backend !== 'unknown');
  const plain = known.find((r) => !/legacy|nft/i.test(baseName(r.file)));
  const order: Backend[] = [];
  if (plain) order.push(plain.backend);
  for (const r of known) if (!order.includes(r.backend)) order.push(r.backend);
  if (order.length === 0) return rulesets.length > 0 ? [[...rulesets]] : [];
  const groups = order.map((b) => rulesets.filter((r) => r.backend === b));
  groups[0].push(...rulesets.filter((r) => r.backend === 'unknown'));
  return groups;
}

function baseName(file: string): string {
  return file.slice(file.lastIndexOf('/') + 1);
}

/**
 * sos keeps the end of an output it cut (`sos_strings/<plugin>/<file>.tailed`, linked from
 * sos_commands): the top of the dump is gone, so a chain, jump or rule it does not show may
 * well exist. Marks the ruleset and says so in its warnings (shown in the report's coverage).
 */
export function markTruncated(rs: Ruleset, realPath: string): void {
  const note = `only the end of this output is in the bundle (sos cut it: ${realPath}); the start of the dump (its first tables and chains) is missing, so rules not found in it are not known to be absent`;
  rs.truncated = { note };
  rs.warnings.unshift({ file: rs.file, line: 1, message: note });
}



/** The tracer's path that walks a hook's base chain (and no other base chain of a one-hook view). */
const PATH_OF: Record<Hook, Path> = { prerouting: 'input', input: 'input', forward: 'forward', output: 'output', postrouting: 'output' };

const BUILTIN = ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'];

/**
 * Another back end's base chains as extra chains of the tracer, at iptables' own priorities:
 * on each hook its tables run beside those of the back end traced, and a DROP in either
 * decides (legacy and nf_tables chains of one priority run in an order not known; it does not
 * matter for a drop). Each chain is walked by the iptables tracer over a view of its table
 * that holds no other base chain, so only that hook's chain runs; its MARK and DNAT carry over.
 * Limit: `-m statistic` branches inside it are followed, not explored one by one.
 */
export function backendExtraChains(tables: Map<string, Map<string, Chain>>, label: string): (hook: Hook) => ExtraChain[] {
  const cache = new Map<Hook, ExtraChain[]>();
  return (hook) => {
    let out = cache.get(hook);
    if (out) return out;
    const chain = hook.toUpperCase();
    const names = TABLES_ON_HOOK[hook];
    out = [];
    for (const name of names) {
      const chains = tables.get(name);
      if (!chains?.has(chain)) continue;
      let view: Map<string, Map<string, Chain>> | undefined;
      out.push({
        priority: tablePriority(name, chain),
        walk(p, steps, ctx: TraceContext) {
          if (!view) {
            const only = new Map(chains);
            for (const b of BUILTIN) if (b !== chain) only.delete(b);
            view = new Map([[name, only]]);
          }
          const r = trace(view, PATH_OF[hook], p, { ...ctx, extraChains: undefined });
          steps.push(...r.steps.map((s) => ({ ...s, text: s.num === 0 ? `${s.text} (${label})` : s.text })));
          p.mark = r.packet.mark;
          if (r.packet.dnat) {
            p.dst = r.packet.dst;
            p.dport = r.packet.dport;
            p.dnat = true;
          }
          return r.verdict;
        },
      });
    }
    cache.set(hook, out);
    return out;
  };
}

/** How a back end is named in a trace step (`policy DROP (iptables-legacy)`). */
export function backendLabel(backend: Backend): string {
  return backend === 'legacy' ? 'iptables-legacy' : backend === 'nf_tables' ? 'iptables-nft' : 'other back end';
}

/**
 * What the tracer walks beside the first back end's tables: the other back ends' base chains
 * (`others`, each merged view with its back end) and any native nftables chains, joined into one
 * provider; undefined when there is nothing beside them.
 */
export function extraChainsBeside(
  others: readonly { backend: Backend; tables: Map<string, Map<string, Chain>> }[],
  nft?: (hook: Hook) => ExtraChain[],
): ((hook: Hook) => ExtraChain[]) | undefined {
  const providers = others.map((v) => backendExtraChains(v.tables, backendLabel(v.backend)));
  if (nft) providers.push(nft);
  if (providers.length <= 1) return providers[0];
  return (hook) => providers.flatMap((p) => p(hook));
}

