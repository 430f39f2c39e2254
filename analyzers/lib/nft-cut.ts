/**
 * A cut-off `nft list ruleset` (a ticket paste, `| head`, sos's size limit) still shows what it shows: a drop it
 * lists is real. What it does not show is unknown: the rest of the table left open at the end (`truncated.table`)
 * and every table nft would have listed after it. These helpers answer "could table T / chain C be in the cut-off
 * part?" for analyzers that read nft listings directly and would otherwise claim something absent.
 */
import type { NftRuleset } from '../../src/nft/model.js';

/** A table asked about: `family` undefined means any family of that name (`ip`, `ip6`, `inet` ...). */
export interface NftTableRef {
  family?: string;
  name: string;
}

const sameTable = (family: string, name: string, want: NftTableRef) => name === want.name && (want.family === undefined || want.family === family);

/**
 * Whether `rs` may hold more of table `want` than it shows: it is cut inside that table, or it is cut and does
 * not show the table at all (it may be listed after the cut). A table closed before the cut is whole.
 */
export function tableMaybeCut(rs: NftRuleset, want: NftTableRef): boolean {
  const cut = rs.truncated;
  if (!cut) return false;
  if (!cut.table) return true;
  const [family, ...rest] = cut.table.split(' ');
  if (sameTable(family, rest.join(' '), want)) return true;
  return !rs.tables.some((t) => sameTable(t.family, t.name, want));
}

/**
 * Whether `rs` may hold more of chain `chain` of table `want` than it shows: the table may be cut (tableMaybeCut)
 * and the chain is not listed, or it is the last chain listed in the open table (the cut may be inside it).
 */
export function chainMaybeCut(rs: NftRuleset, want: NftTableRef, chain: string): boolean {
  if (!tableMaybeCut(rs, want)) return false;
  const open = rs.tables.filter((t) => sameTable(t.family, t.name, want) && rs.truncated?.table === `${t.family} ${t.name}`);
  if (open.length === 0) return true;
  for (const t of open) {
    const c = t.chains.find((x) => x.name === chain);
    if (!c) return true;
    const last = t.chains.reduce((m, x) => (x.ref.line > m ? x.ref.line : m), 0);
    if (c.ref.line >= last) return true;
  }
  return false;
}

/**
 * The note to say a claim of absence about `want` (a table, or with `chain` a chain of it; no `want`: anything in
 * any table) was held back, or undefined when the listings settle it: no listing is cut where the thing could be,
 * or a whole `nft list ruleset` is there too.
 */
export function nftCutNote(rulesets: readonly NftRuleset[], want?: NftTableRef, chain?: string): string | undefined {
  const cut = rulesets.filter((rs) => rs.truncated && (!want || (chain === undefined ? tableMaybeCut(rs, want) : chainMaybeCut(rs, want, chain))));
  if (cut.length === 0) return undefined;
  // a whole listing of the ruleset (or a whole one showing that table) beside the cut one settles it
  if (rulesets.some((rs) => !rs.truncated && !rs.chosenTables)) return undefined;
  if (want && rulesets.some((rs) => !rs.truncated && rs.tables.some((t) => sameTable(t.family, t.name, want)))) return undefined;
  return `${cut[0].file}: ${cut[0].truncated!.note}`;
}

/** A step of a packet trace (src/netfilter/trace.ts TraceStep): `nft` set in a native nftables table. */
interface StepLike {
  table: string;
  chain: string;
  num: number;
  text: string;
  file: string;
  nft?: { family: string; table: string };
}

/**
 * The note to hold back a drop a packet trace found, when a cut-off nft listing may hide what would have accepted
 * the packet first: the drop is the policy of a chain that may go on past the cut (its rules after the cut may
 * accept), or the packet came back from a chain it jumped to that may go on past the cut. A drop rule the listing
 * shows, reached through chains shown whole, is real: undefined. Steps of iptables-nft's tables read from the same
 * listing (`filter`/`FORWARD`, no `nft` mark) are judged in that listing's `ip`/`ip6` table.
 */
export function nftDropCutNote(rulesets: readonly NftRuleset[], decided: StepLike | undefined, steps: readonly StepLike[] = []): string | undefined {
  if (!decided) return undefined;
  const from = rulesets.filter((rs) => rs.file === decided.file && rs.truncated);
  if (from.length === 0) return undefined;
  const tableOf = (s: StepLike): NftTableRef[] => (s.nft ? [{ family: s.nft.family, name: s.nft.table }] : [{ family: 'ip', name: s.table }, { family: 'ip6', name: s.table }]);
  // only chains the listing shows: a jump to a chain it does not show is left unknown by the tracer, and `-j DROP` is no chain
  const maybeCut = (s: StepLike, chain: string) =>
    from.some((rs) => tableOf(s).some((t) => rs.tables.some((x) => x.family === t.family && x.name === t.name && x.chains.some((c) => c.name === chain)) && chainMaybeCut(rs, t, chain)));
  const note = `${from[0].file}: ${from[0].truncated!.note}`;
  if (decided.num === 0 && maybeCut(decided, decided.chain)) return note;
  let found: string | undefined;
  steps.forEach((s, i) => {
    if (s === decided || s.file !== decided.file || s.table !== decided.table) return;
    // the packet came back from the chain it jumped to when the path goes on in the jumping chain (a chain on the way
    // to the drop, or the one holding it, is shown up to there: what it lists before is whole)
    const back = decided.chain === s.chain || steps.slice(i + 1).some((x) => x.table === s.table && x.chain === s.chain);
    if (!back) return;
    for (const m of s.text.matchAll(/(?:\b(?:jump|goto)|(?:^|\s)-[jg])\s+"?([A-Za-z0-9_.:-]+)/g)) if (m[1] !== decided.chain && maybeCut(s, m[1])) found ??= note;
  });
  return found;
}

/**
 * iptables chains read from an nft listing (iptables-nft's `table ip filter` in `nft list ruleset`, turned into the
 * iptables view): the note when one of `chains` of iptables table `table` may go on past the listing's cut (or is
 * not listed and may come after it). Undefined when the chains came from elsewhere (iptables-save) or are whole.
 */
export function iptablesChainsCutNote(rulesets: readonly NftRuleset[], file: string, table: string, chains: readonly string[], family: 'ip' | 'ip6' = 'ip'): string | undefined {
  const from = rulesets.filter((rs) => rs.file === file && rs.truncated);
  const cut = from.find((rs) => chains.some((c) => chainMaybeCut(rs, { family, name: table }, c)));
  return cut ? `${cut.file}: ${cut.truncated!.note}` : undefined;
}

/** The iptables view's part a cut dump check needs (analyzers/lib/node-view.ts BackendView). */
interface CutView {
  rulesets: readonly { file: string; format: string; tables: Record<string, unknown>; truncated?: { note: string; table?: string } }[];
  truncated: ReadonlyMap<string, string>;
}

/**
 * An iptables dump (iptables-save, -S, -L: not an nft listing, which iptablesChainsCutNote judges chain by chain) cut
 * where table `table` may go on: an elision mark (`...`) in a paste, a table without COMMIT, sos's `.tailed`. Rules not
 * in it (an ACCEPT, a jump) are not known to be absent: the note names the file and the cut. Undefined when a whole
 * copy of the table is in the view too, or the cut is in another table of an nft listing.
 */
export function iptablesDumpCutNote(view: CutView, table = 'filter'): string | undefined {
  if (!view.truncated.has(table)) return undefined;
  const rs = view.rulesets.find((r) => r.tables[table] && r.truncated && r.format !== 'nft');
  return rs ? `${rs.file}: ${rs.truncated!.note}` : undefined;
}

/** A chain of the iptables view as iptablesDropCutNote reads it (src/netfilter/rules.ts Chain). */
interface ChainLike {
  name: string;
  rules: readonly { ref: { file: string; line: number } }[];
  policyCounters?: { packets: number };
  unlisted?: { file: string; line: number };
}

/**
 * The note to hold back a drop a packet trace found in iptables rules read from a cut dump (an elision mark `...` in a
 * paste, a table without COMMIT, sos's `.tailed`, an `iptables -S` ending among its -N lines; not an nft listing:
 * nftDropCutNote), where an accept left out of the dump could have come first: the packet went through a chain the cut
 * may have shortened (one marked Chain.unlisted, or the one whose rules end where the dump is cut). A policy's counter
 * does not settle that: it counts every packet the policy dropped, not whose. Where the cut falls is not known
 * (sos's `.tailed` lost the start): a policy drop counts only where its own counter shows dropped packets; a drop rule
 * shown counts. Undefined: the drop stands.
 */
export function iptablesDropCutNote(
  rulesets: readonly { file: string; format: string; truncated?: { note: string; table?: string } }[],
  tables: ReadonlyMap<string, ReadonlyMap<string, ChainLike>>,
  decided: StepLike | undefined,
  steps: readonly StepLike[] = [],
): string | undefined {
  if (!decided || decided.nft) return undefined;
  const rs = rulesets.find((r) => r.file === decided.file && r.format !== 'nft' && r.truncated && (r.truncated.table === undefined || r.truncated.table === decided.table));
  if (!rs) return undefined;
  const note = `${rs.file}: ${rs.truncated!.note}`;
  const chains = tables.get(decided.table);
  if (!chains) return note;
  // the table save-format.ts found without COMMIT: the dump ends inside it
  const uncommitted = rs.truncated!.table;
  const own = [...chains.values()];
  const cutLines = new Set(own.flatMap((c) => (c.unlisted?.file === rs.file ? [c.unlisted.line] : [])));
  const located = cutLines.size > 0 || uncommitted !== undefined;
  if (uncommitted === decided.table) cutLines.add(Number.POSITIVE_INFINITY);
  const maybeCut = new Set(own.filter((c) => c.unlisted?.file === rs.file).map((c) => c.name));
  // the chain whose shown rules end last before a cut: its later rules may be the ones left out
  for (const at of cutLines) {
    let best: { name: string; line: number } | undefined;
    for (const c of own)
      for (const r of c.rules) if (r.ref.file === rs.file && r.ref.line < at && (!best || r.ref.line > best.line)) best = { name: c.name, line: r.ref.line };
    if (best) maybeCut.add(best.name);
  }
  const upTo = steps.indexOf(decided);
  const path = [...(upTo >= 0 ? steps.slice(0, upTo + 1) : [...steps, decided])].filter((s) => !s.nft && s.file === rs.file && s.table === decided.table);
  if (path.some((s) => maybeCut.has(s.chain))) return note;
  if (located) return undefined;
  if (decided.num === 0) return (chains.get(decided.chain)?.policyCounters?.packets ?? 0) > 0 ? undefined : note;
  return undefined;
}
