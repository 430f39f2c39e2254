/**
 * One nftables model for `nft list ruleset` text (with or without `-a` handles) and `nft -j`
 * JSON. Rules keep their file and line, their text, and their expressions in a structured form
 * the packet tracer can evaluate without re-parsing. What a parser did not understand stays as
 * `{kind: 'unknown'}` at its place in the rule, so later code can say "unknown at rule X"
 * instead of guessing.
 */
import type { ParseWarning, SourceRef } from '../model/source.js';

export type NftFamily = 'ip' | 'ip6' | 'inet' | 'bridge' | 'arp' | 'netdev';
export type NftHook = 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting' | 'ingress' | 'egress';
export type NftChainType = 'filter' | 'nat' | 'route';

export const NFT_FAMILIES: readonly NftFamily[] = ['ip', 'ip6', 'inet', 'bridge', 'arp', 'netdev'];
export const NFT_HOOKS: readonly NftHook[] = ['prerouting', 'input', 'forward', 'output', 'postrouting', 'ingress', 'egress'];

/**
 * A value on the right of a match or in a set. Literals are normalized so the text and JSON
 * forms agree: quotes removed, prefixes as `addr/len`, service names as port numbers, marks and
 * masks as lowercase hex without padding (`0x8000`). Interface wildcards keep their `*`.
 */
export type NftValue =
  | { kind: 'value'; value: string }
  | { kind: 'range'; from: string; to: string }
  /** an anonymous set `{ 22, 80 }`, or a flag list `established,related` */
  | { kind: 'set'; elements: NftValue[] }
  /** a named set or map `@name`: see the table's `sets` / `maps` */
  | { kind: 'setRef'; name: string };

/**
 * `==` also stands for the implicit operator. On bitmask keys (ct state, ct status, tcp flags)
 * a list means "any of these bits", which is what nft does for `ct state established,related`.
 */
export type NftOp = '==' | '!=' | '<' | '>' | '<=' | '>=';

export interface NftVerdict {
  kind: 'accept' | 'drop' | 'reject' | 'jump' | 'goto' | 'return' | 'continue' | 'queue';
  /** jump/goto: the chain */
  target?: string;
  /** reject: `icmpx admin-prohibited`, `icmp host-prohibited`, `tcp reset`; absent: the default */
  rejectWith?: string;
}

export interface NftNat {
  kind: 'dnat' | 'snat' | 'masquerade' | 'redirect';
  /** address part of `to` (IPv6 without brackets) */
  to?: string;
  /** port or port range part of `to` */
  ports?: string;
  /** inet tables: `dnat ip to ...` */
  family?: 'ip' | 'ip6';
  /** random, fully-random, persistent */
  flags?: string[];
}

export interface NftVmapEntry {
  key: NftValue;
  verdict: NftVerdict;
}

export type NftExpr =
  /**
   * A match. `key` is canonical: `iifname`, `oifname`, `iif`, `oif`, `ip saddr`, `ip6 daddr`,
   * `tcp dport`, `th dport`, `meta l4proto`, `meta nfproto`, `meta mark`, `ct state`,
   * `ct status`, `ct mark`, `fib daddr type`, `icmp type`; concatenations as `ip saddr . tcp dport`.
   * `mask` is the `and`/`&` operand (`meta mark and 0xff00 == 0x100`).
   */
  | { kind: 'match'; key: string; op: NftOp; value: NftValue; mask?: string }
  /** `iifname vmap { "lo" : accept, ... }` (entries) or `oifname vmap @name` (setRef) */
  | { kind: 'vmap'; key: string; entries?: NftVmapEntry[]; setRef?: string }
  | { kind: 'verdict'; verdict: NftVerdict }
  | { kind: 'nat'; nat: NftNat }
  | { kind: 'counter'; packets?: number; bytes?: number; name?: string }
  | { kind: 'log'; prefix?: string; level?: string; group?: number }
  | { kind: 'limit'; rate: number; per: string; unit?: string; burst?: number; over?: boolean }
  /** `meta mark set mark or 0x4000`, `ct mark set mark and 0xff0000`, `meta nftrace set 1` */
  | { kind: 'mangle'; key: string; value: string }
  /** an iptables-nft compat expression nft could not translate (`xt match recent`, `xt target CHECKSUM`) */
  | { kind: 'xt'; xtType: 'match' | 'target'; name: string }
  | { kind: 'unknown'; text: string };

export interface NftRule {
  table: string;
  family: NftFamily;
  chain: string;
  /** 1-based position in its chain */
  index: number;
  handle?: number;
  ref: SourceRef;
  /** the rule as listed (text input), or rendered from the expressions (JSON input) */
  text: string;
  exprs: NftExpr[];
  /** the rule's terminal verdict, if it has one (a vmap's verdicts are in the vmap expression) */
  verdict?: NftVerdict;
  nat?: NftNat;
  counter?: { packets: number; bytes: number };
  comment?: string;
  /** an iptables-nft compat (xt) expression is present: its semantics are not in this model */
  xt?: boolean;
}

export interface NftChain {
  name: string;
  handle?: number;
  /** base chains only */
  type?: NftChainType;
  hook?: NftHook;
  /** resolved number: `filter + 10` is 10, `dstnat` is -100 (bridge family: -300) */
  priority?: number;
  /** the priority as written, when it was a name (`filter + 10`) */
  priorityText?: string;
  policy?: 'accept' | 'drop';
  /**
   * the line (in `ref.file`) where the policy is written: `type filter hook forward priority 0; policy drop;`
   * in a text listing, where `ref` is the `chain x {` line. Set as a non-enumerable property (evidence
   * only: models compared or saved as JSON stay as they were; a copy without it falls back to `ref`).
   */
  policyLine?: number;
  /** netdev ingress/egress chains */
  device?: string;
  comment?: string;
  rules: NftRule[];
  ref: SourceRef;
}

export interface NftSet {
  name: string;
  handle?: number;
  /** `ipv4_addr`, `inet_service`, `ifname`, concatenations as `ipv4_addr . inet_service` */
  type?: string;
  flags: string[];
  elements: NftValue[];
  ref: SourceRef;
}

export interface NftMapEntry {
  key: NftValue;
  /** verdict maps */
  verdict?: NftVerdict;
  /** data maps */
  value?: NftValue;
}

export interface NftMap {
  name: string;
  handle?: number;
  type?: string;
  /** `verdict`, `ipv4_addr`, ... */
  dataType?: string;
  flags: string[];
  entries: NftMapEntry[];
  ref: SourceRef;
}

export interface NftFlowtable {
  name: string;
  handle?: number;
  hook?: NftHook;
  priority?: number;
  devices: string[];
  ref: SourceRef;
}

export interface NftTable {
  family: NftFamily;
  name: string;
  handle?: number;
  chains: NftChain[];
  sets: NftSet[];
  maps: NftMap[];
  flowtables?: NftFlowtable[];
  ref: SourceRef;
  /**
   * Created by iptables-nft (or arptables/ebtables-nft): nft's "managed by iptables-nft"
   * warning names it, a rule holds an xt expression, or it is named filter/nat/mangle/raw/security
   * with only iptables' built-in base chains (INPUT, FORWARD, ...).
   */
  iptablesCompat: boolean;
  comment?: string;
}

/** A `# Warning: ...` line of nft or iptables-nft output, kept verbatim. */
export interface NftNotice {
  text: string;
  ref: SourceRef;
}

export interface NftRuleset {
  file: string;
  format: 'text' | 'json';
  tables: NftTable[];
  warnings: ParseWarning[];
  notices: NftNotice[];
  /** `# Warning: iptables-legacy tables present, use iptables-legacy to see them` */
  legacyTablesPresent?: SourceRef;
  /** `nft -j` metainfo version */
  nftVersion?: string;
  /**
   * the listing is of chosen tables (`nft list table ip filter`, by its command line or its file's name), not
   * `nft list ruleset`: a table it does not show may still hold a base chain on any hook
   */
  chosenTables?: SourceRef;
  /**
   * the text listing ends with a table (or chain, set) still open: it was cut after `line` (a paste, `head`, a size
   * limit). The open table is partial, and tables nft would list after it (creation order) may be missing whole:
   * what the listing does not show is not known to be absent. `table`: the open table (`ip nat`).
   */
  truncated?: { note: string; line: number; table?: string };
}

/** `nft [-a] list table|chain <family> <name>` in a listing's first lines or its file's name (`nft-list-table-ip-filter.txt`). */
export function chosenTablesListing(text: string, file: string): SourceRef | undefined {
  const head = text.slice(0, 2048).split(/\r?\n/).slice(0, 3);
  const at = head.findIndex((l) => /\bnft\s+(?:-[a-zA-Z]+\s+)*list\s+(?:table|chain)\s+\S/.test(l));
  if (at >= 0) return { file, line: at + 1 };
  const base = file.split('/').pop() ?? file;
  return /nft[-_. ]+(?:-?a[-_. ]+)?list[-_. ]+(?:table|chain)(?!s)/i.test(base) && !/ruleset/i.test(base) ? { file, line: 0 } : undefined;
}

/**
 * When every nft listing of a node is of chosen tables (no `nft list ruleset`): what a trace that found nothing
 * dropping cannot vouch for. Undefined when a full listing is there or there is no nft listing at all.
 */
export function chosenTablesNote(rulesets: readonly NftRuleset[], what: string): string | undefined {
  if (rulesets.length === 0 || rulesets.some((rs) => !rs.chosenTables)) return undefined;
  const tables = [...new Set(rulesets.flatMap((rs) => rs.tables.map((t) => `${t.family} ${t.name}`)))];
  const files = [...new Set(rulesets.map((rs) => rs.file))];
  return `${what}: only the nftables tables listed one by one were seen (${tables.length > 0 ? tables.join(', ') : 'none'}, in ${files.join(', ')}): a table not listed (Debian's table inet filter, firewalld's) can hold a chain on the same hook that drops it; collect nft list ruleset`;
}

const STANDARD_PRIORITY: Record<string, number> = { raw: -300, mangle: -150, dstnat: -100, filter: 0, security: 50, srcnat: 100 };
const BRIDGE_PRIORITY: Record<string, number> = { dstnat: -300, filter: -200, out: 100, srcnat: 300 };

/**
 * A chain priority as nft writes it (`filter`, `filter + 10`, `dstnat - 5`, `-300`) to its number.
 * Names depend on the family (bridge has its own table); undefined when not understood.
 */
export function resolvePriority(family: NftFamily, text: string): number | undefined {
  const t = text.trim();
  if (/^[+-]?\d+$/.test(t)) return Number(t);
  const m = /^([a-z]+)\s*(?:([+-])\s*(\d+))?$/.exec(t);
  if (!m) return undefined;
  const names = family === 'bridge' ? BRIDGE_PRIORITY : STANDARD_PRIORITY;
  const base = Object.prototype.hasOwnProperty.call(names, m[1]) ? names[m[1]] : undefined;
  if (base === undefined) return undefined;
  if (!m[2]) return base;
  return m[2] === '+' ? base + Number(m[3]) : base - Number(m[3]);
}

const IPTABLES_TABLES = new Set(['filter', 'nat', 'mangle', 'raw', 'security', 'broute']);
const IPTABLES_BUILTIN_CHAINS = new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING', 'BROUTING']);

/** The name-based half of `iptablesCompat`: iptables' table names with only its built-in base chains (or none). */
export function looksLikeIptablesTable(table: Pick<NftTable, 'family' | 'name' | 'chains'>): boolean {
  if (!IPTABLES_TABLES.has(table.name) || table.family === 'inet' || table.family === 'netdev') return false;
  let bases = 0;
  for (const c of table.chains) {
    if (c.hook === undefined) continue;
    if (!IPTABLES_BUILTIN_CHAINS.has(c.name)) return false;
    bases++;
  }
  // an empty `table ip nat {}`: what iptables-nft leaves after `iptables -t nat -F -X`
  return bases > 0 || table.chains.length === 0;
}

/** Sets `iptablesCompat` and each rule's `xt` from what was parsed (shared by both parsers). */
export function markIptablesCompat(ruleset: NftRuleset): void {
  const managed = new Set<string>();
  for (const n of ruleset.notices) {
    const m = /table (\w+) (\S+) is managed by iptables-nft/.exec(n.text);
    if (m) managed.add(`${m[1]} ${m[2]}`);
  }
  for (const t of ruleset.tables) {
    let xt = false;
    for (const c of t.chains)
      for (const r of c.rules) {
        if (r.exprs.some((e) => e.kind === 'xt')) r.xt = true;
        if (r.xt) xt = true;
      }
    t.iptablesCompat = xt || managed.has(`${t.family} ${t.name}`) || looksLikeIptablesTable(t);
  }
}

/** The families whose tables see a packet of `family` (an inet table sees IPv4 and IPv6). */
function familiesSeeing(family: 'ip' | 'ip6' | 'bridge' | 'arp' | 'netdev'): NftFamily[] {
  if (family === 'ip' || family === 'ip6') return [family, 'inet'];
  return [family];
}

export interface NftBaseChainRef {
  table: NftTable;
  chain: NftChain;
}

/**
 * Every base chain a packet of `family` meets on `hook`, in the order the kernel runs them
 * (ascending priority; equal priorities keep listing order, which is registration order in a
 * fresh dump but not guaranteed by the kernel).
 */
export function baseChainsOnHook(ruleset: NftRuleset, family: 'ip' | 'ip6' | 'bridge' | 'arp' | 'netdev', hook: NftHook): NftBaseChainRef[] {
  const families = familiesSeeing(family);
  const out: NftBaseChainRef[] = [];
  for (const table of ruleset.tables) {
    if (!families.includes(table.family)) continue;
    for (const chain of table.chains) if (chain.hook === hook) out.push({ table, chain });
  }
  return out
    .map((r, i) => ({ r, i }))
    .sort((a, b) => (a.r.chain.priority ?? 0) - (b.r.chain.priority ?? 0) || a.i - b.i)
    .map((x) => x.r);
}

export function findTable(ruleset: NftRuleset, family: NftFamily, name: string): NftTable | undefined {
  return ruleset.tables.find((t) => t.family === family && t.name === name);
}

export function findChain(table: NftTable, name: string): NftChain | undefined {
  return table.chains.find((c) => c.name === name);
}

/** Named set or map by its `@name` (without the @). */
export function findSet(table: NftTable, name: string): NftSet | NftMap | undefined {
  return table.sets.find((s) => s.name === name) ?? table.maps.find((m) => m.name === name);
}
