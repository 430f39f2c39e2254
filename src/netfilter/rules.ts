/**
 * One rule model for every iptables dump format (iptables-save, `iptables -S`, `iptables -L -n -v`).
 * A rule keeps its file and line, its original text, and its matches in a structured form the
 * analyzers and the packet tracer can evaluate without re-parsing. What a listing cannot say
 * (exact counters, unresolved names) is marked, never guessed.
 */
import type { ParseWarning, SourceRef } from '../model/source.js';

export interface Negatable<T> {
  value: T;
  negated: boolean;
}

export interface MatchOption {
  /** option name without dashes: dport, ctstate, mark, dst-type, comment */
  name: string;
  value?: string;
  negated: boolean;
}

export interface Match {
  /** match module: tcp, udp, conntrack, state, multiport, mark, addrtype, comment, physdev, set, statistic, recent, icmp, limit, ...; 'unknown' for listing text not understood */
  module: string;
  options: MatchOption[];
  /** the listing text it came from (listings only; see matchText for any format) */
  raw?: string;
}

/** The match as iptables-save would write it (for messages). */
export function matchText(m: Match): string {
  if (m.raw) return m.raw;
  // options whose value is several words as iptables writes them (`--match-set NAME dst`) stay unquoted
  const plain = (o: Match['options'][number]) => o.name === 'match-set' && /^\S+ \S+$/.test(o.value ?? '');
  return [`-m ${m.module}`, ...m.options.map((o) => `${o.negated ? '! ' : ''}--${o.name}${o.value !== undefined ? ' ' + (/[\s"]/.test(o.value) && !plain(o) ? JSON.stringify(o.value) : o.value) : ''}`)].join(' ');
}

export interface Counters {
  packets: number;
  bytes: number;
  /** listing counters with K/M/G suffixes are rounded */
  approximate?: boolean;
}

export interface Rule {
  table: string;
  chain: string;
  /** 1-based position in its chain */
  num: number;
  ref: SourceRef;
  text: string;
  counters?: Counters;
  /** absent: any protocol */
  protocol?: Negatable<string>;
  source?: Negatable<string>;
  destination?: Negatable<string>;
  inInterface?: Negatable<string>;
  outInterface?: Negatable<string>;
  fragment?: Negatable<boolean>;
  /** every match module but comment (a comment matches everything: see `comment`) */
  matches: Match[];
  comment?: string;
  target?: string;
  targetKind?: 'jump' | 'goto';
  /** target options by name without dashes: reject-with, to-destination, set-xmark, or-mark, random-fully */
  targetOptions: Record<string, string>;
  /** what the source format could not express */
  incomplete?: string[];
}

/** A count pasted under a grep of a listing: `# iptables -L -v -n | grep "X" | wc -l`, then the number. */
export interface ListedCount {
  /** what the grep searched for (its quotes removed) */
  grep: string;
  count: number;
  /** the number line */
  ref: SourceRef;
  /** the command line */
  command: SourceRef;
  commandText: string;
}

/**
 * One grep of a pipe after the listing command (`| grep -i flannel`, `| egrep 'KUBE|DOCKER'`, `| grep -v -e A -e B`):
 * a line is kept when one of `patterns` matches it (none does, with `invert`). `source` holds the
 * patterns translated to JavaScript regular expressions (fixed strings escaped, -w/-x applied).
 */
export interface GrepStage {
  /** the patterns as given (quotes removed), one per -e or the one operand */
  patterns: string[];
  syntax: 'basic' | 'extended' | 'fixed';
  ignoreCase: boolean;
  invert: boolean;
  /** -w: the match must be a whole word */
  word: boolean;
  /** -x: the match must be the whole line */
  line: boolean;
  /** each pattern as a JavaScript regular expression source (with the `i` flag for ignoreCase) */
  source: string[];
}

/**
 * The pipe a pasted listing command sends its output through (`$ sudo iptables -t nat -nvL | grep -i flannel`),
 * for the output lines after the command line (up to the next command line): which of the command's
 * lines the paste can hold. `greps` empty: no filter, the whole output; `unknown`: a pipe stage that
 * cannot be read as a line filter (head, sort, awk, grep -P or -A, an expression not understood),
 * so which lines were kept is not known.
 */
export interface OutputFilter {
  command: SourceRef;
  commandText: string;
  /** first and last file line of the output under this command line */
  from: number;
  to: number;
  greps: GrepStage[];
  unknown?: string;
}

export interface Chain {
  name: string;
  table: string;
  builtin: boolean;
  /** builtin chains: ACCEPT / DROP (REJECT is not a valid policy, kept if seen) */
  policy?: string;
  policyCounters?: Counters;
  references?: number;
  rules: Rule[];
  ref: SourceRef;
  /**
   * The dump may end before this chain's rules: `iptables -S` (and iptables-save) print every chain's
   * -P/-N (`:`) line first, then the -A lines chain by chain in that order; a chain after the one of
   * the last -A line, listed with no rule, is empty or its rules were cut off. `-S` has no end marker
   * (no COMMIT), so such a chain of it is never known to be empty; a save table without COMMIT likewise.
   * `line`: the table's last line in the file; `after`: the chain of its last -A line (none: no -A line).
   */
  unlisted?: { file: string; line: number; after?: string };
}

export interface Table {
  name: string;
  chains: Record<string, Chain>;
  ref: SourceRef;
}

export type Backend = 'legacy' | 'nf_tables' | 'unknown';

export interface Ruleset {
  family: 'ipv4' | 'ipv6' | 'unknown';
  backend: Backend;
  version?: string;
  /** nft: iptables-nft's tables read from `nft list ruleset` (no iptables dump in the bundle) */
  format: 'save' | 'spec' | 'list' | 'nft';
  /** live rules, or a saved configuration (/etc/sysconfig/iptables) restored at boot */
  origin: 'live' | 'saved-config';
  file: string;
  tables: Record<string, Table>;
  /** the "iptables-legacy tables present" warning line */
  legacyTablesPresent?: SourceRef;
  /**
   * Tables iptables-nft could not show whole. `replaced` (or no kind): iptables-nft-save's `# Table `nat' is incompatible,
   * use 'nft' tool.`, printed in place of a table holding rules written with nft that iptables cannot express (exit 0):
   * the table is in the kernel, not in this dump. `base-chains`: iptables 1.8.8+'s `# Table `nat' contains incompatible
   * base-chains, use 'nft' tool to list them.`, printed above a table listed with iptables' own chains only (the kernel
   * also holds base chains iptables cannot list). See save-format.ts.
   */
  incompatibleTables?: { table: string; ref: SourceRef; kind?: 'replaced' | 'base-chains' }[];
  /** the save's `# Generated by iptables-save v1.8.8 (nf_tables) ...` line that gave `version` */
  versionRef?: { ref: SourceRef; excerpt: string };
  /**
   * counts pasted under a grep of the listing: `# iptables -L -v -n | grep "X" | wc -l` (`command`,
   * `commandText`), then the number line (`ref`): that many rows held `grep`'s text
   */
  listedCounts?: ListedCount[];
  /** listings: the pipes of the pasted command lines above the output (what a grep kept), in file order */
  outputFilters?: OutputFilter[];
  warnings: ParseWarning[];
  /** listing format: what it cannot express */
  listingLimits?: string[];
  /**
   * the file holds only part of the output (sos's `.tailed`, an iptables-save without COMMIT or with a `...` mark, an
   * `nft list ruleset` cut off): what it does not show may exist. `table`, where the cut is known to fall inside one
   * table (an nft listing left open at its end, an iptables-save table without COMMIT): the iptables table open at the cut (`filter`), or where the cut falls
   * in a table that is no iptables table of this ruleset, that nft table as `family name` (`inet firewalld`, a name no
   * iptables table has). Every other table the ruleset shows is whole; tables it does not show may come after the cut.
   * Unset: where the cut falls is not known, so no table of the file is known whole.
   */
  truncated?: { note: string; table?: string };
}

export const BUILTIN_CHAINS: Record<string, string[]> = {
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  security: ['INPUT', 'FORWARD', 'OUTPUT'],
};

export function isBuiltin(table: string, chain: string): boolean {
  return (BUILTIN_CHAINS[table] ?? ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']).includes(chain);
}

const PROTOCOL_NUMBERS: Record<string, string> = { '0': 'all', '1': 'icmp', '2': 'igmp', '4': 'ipencap', '6': 'tcp', '17': 'udp', '41': 'ipv6', '47': 'gre', '50': 'esp', '51': 'ah', '58': 'ipv6-icmp', '89': 'ospf', '112': 'vrrp', '132': 'sctp', '136': 'udplite' };

export function normalizeProtocol(p: string): string {
  const lower = p.toLowerCase();
  return PROTOCOL_NUMBERS[lower] ?? (lower === 'icmpv6' ? 'ipv6-icmp' : lower);
}

/**
 * A host address without prefix is a /32 (or /128), a dotted netmask a prefix length
 * (`10.0.0.0/255.0.0.0` -> `10.0.0.0/8`), as iptables-save prints them: both formats then
 * compare equal. Names are kept as they are.
 */
export function normalizeAddress(a: string): string {
  const slash = a.indexOf('/');
  if (slash >= 0) {
    const mask = a.slice(slash + 1);
    if (mask.includes('.')) {
      const bits = netmaskBits(mask);
      if (bits !== undefined) return `${a.slice(0, slash)}/${bits}`;
    }
    return a;
  }
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(a)) return `${a}/32`;
  if (/^[0-9a-fA-F:]+$/.test(a) && a.includes(':')) return `${a}/128`;
  return a;
}

/** Prefix length of a contiguous dotted netmask; undefined for anything else. */
function netmaskBits(mask: string): number | undefined {
  const parts = mask.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  const n = parts.reduce((acc, p) => acc * 256 + Number(p), 0);
  const bits = n.toString(2).padStart(32, '0');
  return /^1*0*$/.test(bits) ? bits.indexOf('0') === -1 ? 32 : bits.indexOf('0') : undefined;
}

export function newRuleset(file: string, format: Ruleset['format'], origin: Ruleset['origin']): Ruleset {
  return { family: 'unknown', backend: 'unknown', format, origin, file, tables: {}, warnings: [] };
}

export function ensureTable(rs: Ruleset, name: string, ref: SourceRef): Table {
  return (rs.tables[name] ??= { name, chains: {}, ref });
}

export function ensureChain(table: Table, name: string, ref: SourceRef): Chain {
  return (table.chains[name] ??= { name, table: table.name, builtin: isBuiltin(table.name, name), rules: [], ref });
}

export function findChain(rs: Ruleset, table: string, chain: string): Chain | undefined {
  return rs.tables[table]?.chains[chain];
}

export function allRules(rs: Ruleset): Rule[] {
  return Object.values(rs.tables).flatMap((t) => Object.values(t.chains).flatMap((c) => c.rules));
}

/** How many rules a ruleset holds, without building the list (kube-proxy dumps hold 100,000+). */
export function ruleCount(rs: Ruleset): number {
  let n = 0;
  for (const t of Object.values(rs.tables)) for (const c of Object.values(t.chains)) n += c.rules.length;
  return n;
}

/** Rules of `table` that jump or go to `chain`. */
export function jumpsTo(rs: Ruleset, table: string, chain: string): Rule[] {
  const t = rs.tables[table];
  if (!t) return [];
  return Object.values(t.chains).flatMap((c) => c.rules.filter((r) => r.target === chain));
}

export function matchOption(rule: Rule, module: string, option: string): MatchOption | undefined {
  for (const m of rule.matches) if (m.module === module) for (const o of m.options) if (o.name === option) return o;
  return undefined;
}

export function hasMatch(rule: Rule, module: string): boolean {
  return rule.matches.some((m) => m.module === module);
}

export type Owner =
  | 'docker'
  | 'kube-proxy'
  | 'kubelet'
  | 'flannel'
  | 'calico'
  | 'cilium'
  | 'kube-router'
  | 'weave'
  | 'aws-vpc-cni'
  | 'ovn-kubernetes'
  | 'firewalld'
  | 'libvirt'
  | 'tailscale'
  | 'cni'
  | 'ufw'
  | 'netavark'
  | 'lxd'
  | 'incus'
  | 'lxc'
  | 'system'
  | 'other';

/** Which component writes a chain, from its name (the conventions each project uses). */
export function ownerOf(chain: string, table = 'filter'): Owner {
  if (isBuiltin(table, chain)) return 'system';
  if (/^DOCKER/.test(chain)) return 'docker';
  if (/^KUBE-(FIREWALL|KUBELET-CANARY|MARK-DROP|IPTABLES-HINT)$/.test(chain) && chain !== 'KUBE-IPTABLES-HINT') return 'kubelet';
  // kube-router's network policy and service proxy chains (k3s and k0s embed its policy controller), before kube-proxy's KUBE-
  if (/^KUBE-ROUTER|^KUBE-NWPLCY|^KUBE-POD-FW/.test(chain)) return 'kube-router';
  if (/^KUBE-/.test(chain)) return 'kube-proxy';
  if (/^(FLANNEL|flannel)/.test(chain)) return 'flannel';
  if (/^(cali|felix)-/.test(chain)) return 'calico';
  if (/^(CILIUM|OLD_CILIUM)/.test(chain)) return 'cilium';
  if (/^WEAVE/.test(chain)) return 'weave';
  if (/^AWS-(SNAT|CONNMARK)-CHAIN/.test(chain)) return 'aws-vpc-cni';
  if (/^OVN-KUBE-/.test(chain)) return 'ovn-kubernetes';
  if (/_(direct|ZONES|ZONES_SOURCE)$|^(IN|FWDI|FWDO|FWD|OUT|PRE|POST)_\w+(_allow|_deny|_log|_pre|_post)?$/.test(chain)) return 'firewalld';
  if (/^LIBVIRT_/.test(chain)) return 'libvirt';
  if (/^ts-/.test(chain)) return 'tailscale';
  if (/^CNI-/.test(chain)) return 'cni';
  // ufw's chains (ufw-before-forward, ufw-user-input, ...; ufw6-* in ip6tables): ufw rebuilds them at every reload
  if (/^ufw6?-/.test(chain)) return 'ufw';
  // Podman's netavark (NETAVARK_FORWARD, NETAVARK-<hash>, NETAVARK-DN-<hash>, NETAVARK-HOSTPORT-*)
  if (/^NETAVARK[-_]/.test(chain)) return 'netavark';
  return 'other';
}

/**
 * Which component writes a native nftables table, from its name: LXD's and Incus's nftables drivers
 * (`inet lxd`, `inet incus`), lxc-net (`inet lxc`, `ip lxc`), libvirt's nftables back end
 * (`ip libvirt_network`), netavark, firewalld, Docker 29's nftables back end (`ip docker-bridges`),
 * kube-proxy's nftables mode.
 */
export function ownerOfNftTable(name: string): Owner {
  switch (name) {
    case 'lxd':
      return 'lxd';
    case 'incus':
      return 'incus';
    case 'lxc':
      return 'lxc';
    case 'libvirt_network':
      return 'libvirt';
    case 'netavark':
      return 'netavark';
    case 'firewalld':
      return 'firewalld';
    case 'docker-bridges':
      return 'docker';
    case 'kube-proxy':
      return 'kube-proxy';
    default:
      return /^cali/.test(name) ? 'calico' : /^cilium/.test(name) ? 'cilium' : 'other';
  }
}

export interface ChainSummary {
  table: string;
  chain: string;
  policy?: string;
  rules: number;
  owner: Owner;
}

/** The compact view the report shows per node: tables, chains with policy and rule counts, owners. */
export function summarize(rs: Ruleset): ChainSummary[] {
  const out: ChainSummary[] = [];
  for (const t of Object.values(rs.tables))
    for (const c of Object.values(t.chains)) out.push({ table: t.name, chain: c.name, policy: c.policy, rules: c.rules.length, owner: ownerOf(c.name, t.name) });
  return out;
}

/**
 * MARK target options in one canonical form, `set-xmark` value/mask (mark = (mark & ~mask) ^ value),
 * which is how iptables-save prints them whatever the rule was written with; listings print
 * `or`, `xor`, `and`, `set`, `xset`.
 */
export function canonicalXmark(op: string, arg: string): string | undefined {
  const hex = (n: number) => '0x' + (n >>> 0).toString(16);
  const [v, m] = arg.split('/').map((x) => Number(x));
  if (!Number.isFinite(v)) return undefined;
  switch (op) {
    case 'set-xmark':
    case 'xset':
      return `${hex(v)}/${hex(Number.isFinite(m) ? m : 0xffffffff)}`;
    case 'set-mark':
    case 'set':
      return `${hex(v)}/${hex(Number.isFinite(m) ? m : 0xffffffff)}`;
    case 'or-mark':
    case 'or':
      return `${hex(v)}/${hex(v)}`;
    case 'xor-mark':
    case 'xor':
      return `${hex(v)}/0x0`;
    case 'and-mark':
    case 'and':
      return `0x0/${hex(~v)}`;
    default:
      return undefined;
  }
}

/**
 * Whether a pasted dump's line is a mark the user put where they left lines out: `...`, `…`, `[...]`,
 * `<snip>`, `# ... snip ...`, `(truncated)`, `--- snip ---`, `[output truncated]`, `(120 lines omitted)`,
 * `... 40 more rules ...`. Only the mark alone on its line: a comment that says more (`# drop truncated
 * packets`) is not one. Cheap to call on any line: most lines fail at their first test.
 */
export function isElisionLine(line: string): boolean {
  let s = line.trim();
  if (s === '' || s.length > 80) return false;
  const c = s.charCodeAt(0);
  // rule, chain, table and listing lines start with a letter, digit, `:`, `*`; `-` only before a letter (`-A`)
  if ((c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 58 || c === 42) return false;
  if (c === 45) {
    const d = s.charCodeAt(1) | 32;
    if (d >= 97 && d <= 122) return false;
  }
  // comment leaders, then the decorations around the mark: brackets, dashes, scissors
  s = s.replace(/^(?:#+|\/\/|;+)\s*/, '');
  // a scissors line alone (`-- >8 --`, `✂----`) is a mark too
  const scissors = /8<|>8|✂|✄/.test(s);
  s = s.replace(/8<|>8/g, ' ').replace(/[[\](){}<>\-=~_*|✂✄]/g, ' ').trim();
  if (s === '') return scissors;
  const dots = '(?:(?:\\.\\s?){2,}\\.|…+)';
  const word = '(?:snip(?:ped)?|cut|truncated|trimmed|omitted|elided|skipped|redacted|removed|shortened)';
  const count = '(?:(?:and\\s+)?\\+?\\d+\\s+(?:more\\s+)?(?:lines?|rules?|rows?|entries|chains?)(?:\\s+more)?)';
  const re = new RegExp(`^${dots}?\\s*(?:(?:output\\s+|rest\\s+|lines?\\s+|rules?\\s+)?${word}|${count}(?:\\s+${word})?|${word}\\s+${count}|etc\\.?|more)?\\s*${dots}?$`, 'i');
  if (!re.test(s)) return false;
  return new RegExp(dots).test(s) || new RegExp(word, 'i').test(s) || new RegExp(count, 'i').test(s);
}

/**
 * Whether an address of a rule is an address (`10.0.0.0/8`, `fe80::1`), not a name `iptables -L` printed
 * without -n (`schmitch01/16`, `node-a.example`): a name's address is not known, so a rule with one
 * matches an unknown set of packets, neither everything nor nothing.
 */
export function isAddressLiteral(value: string): boolean {
  return /^[0-9.]+(?:\/\d{1,2})?$/.test(value) || (value.includes(':') && /^[0-9a-fA-F:.]+(?:\/\d{1,3})?$/.test(value));
}
