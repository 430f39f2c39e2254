/**
 * What the live rule files of one back end can say of a chain's absence, and what their jumps prove.
 *
 * - A jump to a chain proves the chain exists: iptables refuses a rule whose target chain is missing
 *   ("Couldn't load target"), and a chain cannot be deleted while a rule jumps to it. So a chain any
 *   rule of the table jumps to, in any file of the back end, is there, listed or not.
 * - An `iptables -L` listing has no end marker. It lists the table's built-in chains first (filter:
 *   INPUT, FORWARD, OUTPUT), then the user chains in byte order (legacy and nf_tables, iptables
 *   1.8.9: checked in namespaces). So a listing shows a chain missing only where it lists every
 *   built-in chain (not a `-L CHAIN` listing, not one cut in the built-ins), its last line was read
 *   (not a row or `Chain` line cut mid-line), it lists every chain its own rules jump to, no pipe
 *   (grep) chose its lines, and its user chains do not stop at a name before the chain's (where the
 *   chain would come later). A chain's rows are all shown where the listing goes on past it (another
 *   `Chain` line follows) or the listing is whole.
 * - iptables-save and `iptables -S` dumps: their own marks (sos's `.tailed`, Chain.unlisted) say it;
 *   here they count as showing the table.
 * Pure functions of the parsed rule sets.
 */
import { BUILTIN_CHAINS, type Chain, type Ruleset } from '../../src/netfilter/rules.js';
import { isBuiltinTarget } from '../../src/netfilter/values.js';

export interface ListingGap {
  file: string;
  /** the line the listing is judged by (its last line read, or its first `Chain` line) */
  line: number;
  /** why the listing cannot show the chain missing */
  why: string;
}


/** Whether a rule's target is a chain (a jump or goto), not a target extension. */
export function isChainTarget(target: string | undefined): target is string {
  return target !== undefined && target !== '' && !isBuiltinTarget(target);
}

/** The chains the table's rules jump (or go) to in any of these rule sets, with the first such rule's place. */
export function jumpTargets(rulesets: Ruleset[], table: string): Map<string, { file: string; line: number; from: string }> {
  const out = new Map<string, { file: string; line: number; from: string }>();
  for (const rs of rulesets)
    for (const c of Object.values(rs.tables[table]?.chains ?? {}))
      for (const r of c.rules) if (isChainTarget(r.target) && !out.has(r.target)) out.set(r.target, { file: r.ref.file, line: r.ref.line, from: c.name });
  return out;
}

/** The last line of the file this rule set read (a chain header or a rule), and the last chain listed. */
function lastRead(rs: Ruleset, table: string): { line: number; chain?: Chain } {
  let line = 0;
  let chain: Chain | undefined;
  for (const c of Object.values(rs.tables[table]?.chains ?? {})) {
    if (c.ref.line >= line) {
      line = c.ref.line;
      chain = c;
    }
    for (const r of c.rules) if (r.ref.line > line) line = r.ref.line;
  }
  return { line, chain };
}

/**
 * Why one `iptables -L` listing of the table cannot show `chain` missing; undefined where it can
 * (and for dumps of other formats).
 */
export function listingCannotShow(rs: Ruleset, table: string, chain: string): ListingGap | undefined {
  if (rs.format !== 'list' && rs.format !== 'spec') return undefined;
  const t = rs.tables[table];
  if (!t) return undefined;
  const chains = Object.values(t.chains);
  const names = chains.map((c) => c.name);
  const first = chains.reduce((a, c) => (c.ref.line < a.ref.line ? c : a), chains[0]);
  const { line, chain: last } = lastRead(rs, table);
  const at = (l: number, why: string): ListingGap => ({ file: rs.file, line: l, why });
  if (rs.truncated) return at(first?.ref.line ?? 1, rs.truncated.note);
  if ((rs.outputFilters ?? []).some((f) => f.greps.length > 0 || f.unknown)) return at(first?.ref.line ?? 1, 'a pipe (grep) chose which lines of the listing were kept');
  const builtins = BUILTIN_CHAINS[table] ?? [];
  const absentBuiltins = builtins.filter((b) => !names.includes(b));
  if (absentBuiltins.length > 0) {
    const listed = names.length > 3 ? `${names.slice(0, 3).join(', ')}, ...` : names.join(', ');
    return at(
      line,
      rs.format === 'list' && last && builtins.includes(last.name) && names.includes(builtins[0]) && absentBuiltins.every((b) => builtins.indexOf(b) > builtins.indexOf(last.name))
        ? `the listing ends at line ${line}, in ${last.name}, before ${absentBuiltins.join(', ')} (a listing cut after its first rows)`
        : rs.format === 'spec'
          ? `the dump shows only ${listed}, not ${absentBuiltins.join(', ')}: a dump of some chains (iptables -S CHAIN) or a part of one`
          : `the listing shows only ${listed}, not ${absentBuiltins.join(', ')}: a listing of some chains (iptables -L CHAIN) or a part of one`,
    );
  }
  // `iptables -S` lists its chains whole (Chain.unlisted says where it may end early): judged by the built-ins only
  if (rs.format === 'spec') return undefined;
  // a line after the last one read that was not understood: the listing ends inside a row or a Chain line
  const cutLine = rs.warnings.filter((w) => w.file === rs.file && (w.line ?? 0) > line).at(-1);
  if (cutLine) return at(cutLine.line!, `the listing ends at line ${cutLine.line} with a line cut short (${cutLine.message.slice(0, 80)})`);
  const unlistedJump = chains.flatMap((c) => c.rules).find((r) => isChainTarget(r.target) && !names.includes(r.target));
  if (unlistedJump) return at(unlistedJump.ref.line, `its rules jump to ${unlistedJump.target} (line ${unlistedJump.ref.line}), which it does not list: the listing is cut or partial`);
  // user chains are listed in byte order: one that stops at a name before the chain's may have been cut before it
  if (last && !last.builtin && last.name < chain) return at(line, `the listing ends at line ${line}, in chain ${last.name}, before ${chain} would be listed (iptables -L lists user chains by name)`);
  return undefined;
}

/**
 * Whether a chain's rows are all shown in its rule set: other formats, a chain another `Chain` line
 * follows, or the last chain of a whole listing.
 */
export function rowsComplete(rs: Ruleset, table: string, chain: Chain): boolean {
  if (rs.format !== 'list') return true;
  if (rs.truncated) return false;
  if (Object.values(rs.tables[table]?.chains ?? {}).some((c) => c !== chain && c.ref.line > chain.ref.line)) return true;
  // the last chain: whole where the listing is (the order test against no name: '' sorts first)
  return listingCannotShow(rs, table, '') === undefined;
}
