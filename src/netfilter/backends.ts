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
  const unknown = rulesets.filter((r) => r.backend === 'unknown');
  // a file of unnamed back end that gives a built-in chain another policy than the first group's
  // files is not of that back end (`iptables -L FORWARD`: policy DROP beside `iptables-legacy -L
  // FORWARD`: policy ACCEPT): its own group, first when no known file is plain iptables' output
  const apart = unknown.filter((u) => groups[0].some((k) => policyConflict(k, u) !== undefined));
  groups[0].push(...unknown.filter((u) => !apart.includes(u)));
  if (apart.length > 0) {
    if (plain) groups.push(apart);
    else groups.unshift(apart);
  }
  return groups;
}

/**
 * A built-in chain two live files of one family give different policies: one back end has one
 * policy per chain, so in one snapshot the two are two back ends' tables. Undefined when they agree.
 */
export function policyConflict(a: Ruleset, b: Ruleset): { table: string; chain: string; a: Chain; b: Chain } | undefined {
  if ((a.family === 'ipv6') !== (b.family === 'ipv6') || a.file === b.file) return undefined;
  for (const [name, ta] of Object.entries(a.tables)) {
    const tb = b.tables[name];
    if (!tb) continue;
    for (const ca of Object.values(ta.chains)) {
      const cb = tb.chains[ca.name];
      if (ca.builtin && cb && ca.policy && cb.policy && ca.policy !== cb.policy) return { table: name, chain: ca.name, a: ca, b: cb };
    }
  }
  return undefined;
}

/**
 * The back end a file's name says: `iptables-legacy-save`, `iptables-legacy-L-FORWARD.txt`,
 * `ip6tables-nft-save.txt`, `iptables_nft_-S`. Undefined when it says none (or both).
 */
export function backendFromFileName(file: string): Backend | undefined {
  const name = baseName(file).toLowerCase();
  const legacy = /(?:^|[^a-z0-9])(?:ip6?tables|xtables)[-_]legacy(?:[^a-z0-9]|$)/.test(name);
  const nft = /(?:^|[^a-z0-9])(?:ip6?tables|xtables)[-_]nft(?:[^a-z0-9]|$)/.test(name);
  return legacy === nft ? undefined : legacy ? 'legacy' : 'nf_tables';
}

/**
 * A command line saved above its output (`$ iptables-legacy -t filter -L FORWARD`,
 * `# iptables-nft -S`, `root@host:~# sudo ip6tables-legacy-save`, a bracketed prompt as RHEL's bash
 * prints it, `[root@host ~]# iptables -t raw -nvL`): which iptables tool it ran,
 * and the back end its name says (undefined for plain `iptables`, whose back end is whatever
 * the alternatives point at). Undefined when the line is not such a command.
 */
export function commandLineTool(line: string): { tool: 'iptables' | 'ip6tables'; backend?: Backend; save: boolean } | undefined {
  const m = /^(?:\[[^\]\n]*\][$#]\s*|\S*[$#]\s*|[$#]\s*)(?:sudo\s+(?:-\S+\s+)*)?(?:\S*\/)?(ip6?tables)(?:-(legacy|nft))?(-save)?(?=\s|$)/.exec(line.trim());
  if (!m) return undefined;
  return { tool: m[1] as 'iptables' | 'ip6tables', backend: m[2] === 'legacy' ? 'legacy' : m[2] === 'nft' ? 'nf_tables' : undefined, save: m[3] !== undefined };
}

/**
 * The back end an iptables-save header proves, from the iptables sources:
 * - `(nf_tables)` after the version: iptables-nft-save 1.8.8 and later (its program version
 *   embeds the variant since "xtables_globals: Embed variant name in .program_version", Dec 2021);
 * - `xtables-save`: iptables-nft-save 1.8.0 to 1.8.3, which printed that name whatever it was
 *   called as ("xtables-save: Use argv[0] as program name" came with 1.8.4);
 * - `iptables-nft-save`: nft by name (1.8.4 and later print the name they are called as);
 * - a plain `iptables-save` with no suffix: legacy before 1.8.0 (there was no other) and from
 *   1.8.8 on (legacy prints its fixed name and version, nft always adds `(nf_tables)`), also in
 *   1.8.0 to 1.8.3 (nft called itself xtables-save then); in 1.8.4 to 1.8.7 it is iptables-nft-save
 *   called through the `iptables-save` alternative as often as legacy: unknown.
 */
export function backendOfSaveHeader(tool: string, variant: string | undefined, version: string, suffix: string | undefined): Backend {
  if (suffix === 'nf_tables' || variant === 'nft' || tool === 'xtables') return 'nf_tables';
  if (suffix === 'legacy' || variant === 'legacy') return 'legacy';
  const [major, minor, patch] = version.split('.').map(Number);
  if (major !== 1) return major < 1 ? 'legacy' : 'unknown';
  if (minor < 8) return 'legacy';
  if (minor > 8) return 'legacy';
  const p = patch ?? 0;
  return p <= 3 || p >= 8 ? 'legacy' : 'unknown';
}

/**
 * A ruleset whose header proves no back end: the command line saved above it (`$ iptables-legacy
 * -L`), else the file's name (`iptables-legacy-save.txt`), says which it is. Command lines of both
 * back ends in one file say nothing of a ruleset made of both.
 */
export function hintBackend(rs: Ruleset, commands: ReadonlySet<Backend> | undefined): void {
  if (rs.backend !== 'unknown') return;
  if (commands && commands.size === 1) {
    rs.backend = [...commands][0];
    return;
  }
  if (commands && commands.size > 1) {
    rs.warnings.push({ file: rs.file, line: 1, message: 'command lines of both iptables back ends (legacy and nft) above this output: its back end is not known' });
    return;
  }
  const named = backendFromFileName(rs.file);
  if (named) rs.backend = named;
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

