/**
 * `iptables [-t T] -L [-n] [-v] [-x] [--line-numbers]` listings (what sosreports hold) mapped to
 * the same rule model as iptables-save, as far as a listing allows. The match text after the
 * addresses is read back into match modules (`tcp dpt:443` -> tcp dport 443); what cannot be
 * read is kept raw and the rule is marked incomplete.
 */
import { SkipFile, type SourceRef } from '../model/source.js';
import { BUILTIN_CHAINS, canonicalXmark, ensureChain, ensureTable, isBuiltin, isElisionLine, newRuleset, normalizeAddress, normalizeProtocol, type Counters, type Match, type Negatable, type OutputFilter, type Rule, type Ruleset } from './rules.js';
import { canonicalizeOption, logLevelNumber } from './values.js';
import { addressFamily, familyFromFileName, type Family } from './family.js';
import { commandLineTool, hintBackend } from './backends.js';
import { FOREIGN_BASE_CHAINS, noteIncompatible } from './save-format.js';
import type { Backend } from './rules.js';
import { TABLE_ONLY_TARGETS, tableFromFileName } from './save-format.js';
import { outputFilterOf } from './grep-filter.js';

const CHAIN_LINE = /^Chain (\S+) \((?:policy (\S+)(?: (\S+) packets, (\S+) bytes)?|(\d+) references?)\)/;
const TABLE_MARKER = /^#.*\s-t\s+(\w+)/;
/** protocol column: a name (`all`, `tcp`, `ipv6-icmp`) or number, maybe negated */
const PROTOS = /^!?([a-z][\w-]*|\d{1,3})$/;
const COLUMN_HEADER = /^(num\s+)?(pkts\s+bytes\s+)?target\s+prot\s+opt/;
const OPTS = /^(--|-f|!f)$/;
/** a shell prompt before a command (`root@host:~# `, `VM1# `, RHEL's bracketed `[root@host ~]# `) */
const PROMPTED = /^(?:\S*|\[[^\]]*\])[$#]\s/;
/** a shell prompt alone on its line, after a pasted command's output */
const BARE_PROMPT = /^(?:\S*|\[[^\]]*\])[$#]$/;
/** a listing's rows counted: `... -L ... | grep [-opts] "X" | wc -l` (the text grep searched for, unquoted) */
const GREP_COUNT = /\s(?:-[a-zA-Z]*L[a-zA-Z]*|--list)(?=\s)[^|]*\|\s*grep\s+(?:-[a-zA-Z]+\s+)*(?:"([^"]{1,200})"|'([^']{1,200})'|([^\s|'"]{1,200}))\s*\|\s*wc\s+-l\s*$/;

/**
 * The chain of rows read without their `Chain X (...)` line (`iptables -t raw -nvL | grep 2181`):
 * no real chain has a space in its name, so no rule jumps to it and no analyzer looks it up.
 */
export const FRAGMENT_CHAIN = '(chain not shown)';
/** What a ruleset holding such rows says of itself (its `truncated` note): not a complete table. */
export const FRAGMENT_NOTE = 'rows of an iptables -L listing without their "Chain" lines (a grep or cut of the output): the chains they are in, and every rule not shown, are unknown';

export interface ListOptions {
  table?: string;
  /** the chain of a fragment that has rows but no `Chain X (...)` line */
  chain?: string;
  /**
   * rows without a `Chain X (...)` line and no `chain` given: read them into FRAGMENT_CHAIN and mark
   * the ruleset `truncated` (it shows part of the rules only); without it such text is skipped
   */
  fragments?: boolean;
  family?: 'ipv4' | 'ipv6';
  origin?: Ruleset['origin'];
}

export function parseCount(s: string): { n: number; approximate: boolean } {
  const m = /^(\d+)([KMGTP]?)$/.exec(s);
  if (!m) return { n: NaN, approximate: false };
  const mult = { '': 1, K: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15 }[m[2] as '' | 'K'];
  return { n: Number(m[1]) * mult, approximate: m[2] !== '' };
}

export function parseIptablesList(text: string, file: string, opts: ListOptions = {}): Ruleset {
  const rs = newRuleset(file, 'list', opts.origin ?? 'live');
  rs.family = opts.family ?? 'unknown';
  const limits = new Set<string>();
  let table = opts.table ?? 'filter';
  /** a command line's -t or a table marker named the table */
  let tableSaid = false;
  let chain: ReturnType<typeof ensureChain> | undefined;
  let columns: string[] | undefined;
  let sawChain = false;
  let sawRows = false;
  /** back ends named by command lines above the output (`$ iptables-legacy -L`) */
  const commands = new Set<Backend>();
  /** the chain whose rows came without a column header line (said once per chain) */
  let headerless: string | undefined;
  /** rule rows read, for the count eks-log-collector appends */
  let rows = 0;
  /** a column header line seen before any Chain line (a fragment that kept its header) */
  let fragmentColumns: string[] | undefined;
  /** a `-L ... | grep "X" | wc -l` command line whose number has not come yet */
  let counting: { grep: string; command: SourceRef; commandText: string } | undefined;
  const lines = text.split('\n');
  /** the pipe of the command line whose output is being read (`| grep -i flannel`) */
  let filter: OutputFilter | undefined;
  const closeFilter = (lastLine: number) => {
    if (filter) filter.to = Math.max(filter.from - 1, lastLine);
    filter = undefined;
  };
  for (let n = 0; n < lines.length; n++) {
    const raw = lines[n].replace(/\r$/, '');
    const line = raw.trim();
    const ref: SourceRef = { file, line: n + 1 };
    if (line === '') {
      chain = undefined;
      continue;
    }
    if (counting && /^\d{1,9}$/.test(line)) {
      // the count wc -l printed (iptables-nft's legacy-tables warning, on stderr, may stand between)
      (rs.listedCounts ??= []).push({ grep: counting.grep, count: Number(line), ref, command: counting.command, commandText: counting.commandText });
      counting = undefined;
      continue;
    }
    if (counting && !line.startsWith('#')) counting = undefined;
    // a mark where the user left lines out (`...`, `[...]`, `<snip>`): the rows around it stay in their chain, and
    // the listing is cut there: the chain it stands in is not shown whole, and chains may be missing (rules.ts isElisionLine)
    if (isElisionLine(line)) {
      const note = `line ${n + 1} ("${line.slice(0, 40)}") stands for lines left out of the pasted listing${chain ? `, in chain ${chain.name}` : ''}: the listing is cut there, so rules not found in this file are not known to be absent`;
      rs.warnings.push({ file, line: n + 1, message: note });
      rs.truncated ??= { note };
      if (chain) chain.unlisted ??= { file, line: n + 1, after: chain.name };
      continue;
    }
    if (line.length > 64 * 1024) {
      rs.warnings.push({ file, line: n + 1, message: 'over-long line skipped' });
      continue;
    }
    const cmd = line.startsWith('#') || line.startsWith('$') || PROMPTED.test(line) ? commandLineTool(line) : undefined;
    if (cmd) {
      // the command whose output follows: `$ iptables-legacy -t filter -L FORWARD`, `# ip6tables -t nat -nvL`
      if (cmd.backend) commands.add(cmd.backend);
      // what its pipe lets through (`| grep -i flannel`), for the lines up to the next command line
      closeFilter(n);
      filter = { command: ref, commandText: line, from: n + 2, to: lines.length, ...outputFilterOf(line) };
      (rs.outputFilters ??= []).push(filter);
      const t = /\s(?:-t|--table)[\s=]+(\w+)/.exec(line);
      if (t && !opts.table) {
        table = t[1];
        tableSaid = true;
      }
      if (cmd.tool === 'ip6tables' && !opts.family) rs.family = 'ipv6';
      const g = cmd.save ? null : GREP_COUNT.exec(line);
      counting = g ? { grep: g[1] ?? g[2] ?? g[3], command: ref, commandText: line } : undefined;
      chain = undefined;
      continue;
    }
    if (line.startsWith('#')) {
      const m = TABLE_MARKER.exec(line);
      if (m) {
        table = m[1];
        tableSaid = true;
        if (/ip6tables/.test(line)) rs.family = 'ipv6';
      }
      if (/iptables-legacy tables present/.test(line)) rs.legacyTablesPresent = ref;
      // iptables-nft's first line of a listing of a table with base chains it leaves out (1.8.8+): the table it names is
      // the one listed after it; its chains are iptables' own only
      const foreign = FOREIGN_BASE_CHAINS.exec(line);
      if (foreign) {
        noteIncompatible(rs, foreign[1], ref, 'base-chains');
        if (!opts.table) {
          table = foreign[1];
          tableSaid = true;
        }
      }
      continue;
    }
    // eks-log-collector.sh appends `=======` and `Total Number of Rules: N` (N: the lines that are not
    // blank, Chain or column header lines) to its iptables -nvL files
    if (/^=+$/.test(line) && /^Total Number of Rules: \d+$/.test(lines[n + 1]?.trim() ?? '')) {
      const said = Number(/\d+/.exec(lines[n + 1])![0]);
      if (said !== rows) rs.warnings.push({ file, line: n + 2, message: `the collector counted ${said} rule lines, ${rows} were read: lines are missing or not understood` });
      n++;
      chain = undefined;
      continue;
    }
    const c = CHAIN_LINE.exec(line);
    if (c) {
      const t = ensureTable(rs, table, ref);
      chain = ensureChain(t, c[1], ref);
      chain.ref = ref;
      if (c[2]) {
        chain.policy = c[2];
        if (c[3] !== undefined) {
          const p = parseCount(c[3]);
          const b = parseCount(c[4]);
          chain.policyCounters = { packets: p.n, bytes: b.n, approximate: p.approximate || b.approximate || undefined };
        }
      }
      if (c[5] !== undefined) chain.references = Number(c[5]);
      columns = undefined;
      sawChain = true;
      continue;
    }
    if (BARE_PROMPT.test(line) || (line.startsWith('$') && PROMPTED.test(line))) {
      // a bare shell prompt after a pasted command's output (`VM1#`), or another command (`$ k3s -v`): the output ends
      closeFilter(n);
    }
    if (BARE_PROMPT.test(line)) {
      chain = undefined;
      continue;
    }
    if (!chain && !sawChain && COLUMN_HEADER.test(line)) {
      fragmentColumns = line.split(/\s+/);
      continue;
    }
    if (!chain && !sawChain && ((!sawRows && opts.chain) || (!opts.chain && opts.fragments))) {
      // a fragment pasted from the middle of a listing or grepped out of it: rows but no Chain line
      // (the column header maybe); only the caller can say which chain they are from, else they are
      // rows of a chain not shown, and the ruleset is no complete table
      const cols = fragmentColumns && parseRow(line, fragmentColumns, { table, chain: '', num: 1, ref }, new Set()) ? fragmentColumns : columnsOfRow(line);
      if (cols) {
        chain = ensureChain(ensureTable(rs, table, ref), opts.chain ?? FRAGMENT_CHAIN, ref);
        columns = cols;
        if (opts.chain) rs.warnings.push({ file, line: n + 1, message: `rows without a "Chain" line, read as chain ${opts.chain}` });
        else {
          // rows of a chain not shown say more than a cut mark before them: the fragment's note wins
          rs.truncated = { note: FRAGMENT_NOTE };
          if (!rs.warnings.some((w) => w.message.startsWith('rows without a "Chain" line'))) rs.warnings.push({ file, line: n + 1, message: `rows without a "Chain" line: read as rules of a chain not shown (${table} table), not as a complete table` });
        }
      }
    }
    if (!chain) continue;
    if (COLUMN_HEADER.test(line)) {
      columns = line.split(/\s+/);
      continue;
    }
    if (!columns) {
      // rows under a Chain line without the `target prot opt source destination` header (a hand
      // abridged paste): the columns are positional, their layout says which they are
      columns = columnsOfRow(line);
      if (!columns) {
        rs.warnings.push({ file, line: n + 1, message: `line not understood in chain ${chain.name} (no column header line before it): ${line.slice(0, 80)}` });
        continue;
      }
      if (headerless !== chain.name) rs.warnings.push({ file, line: n + 1, message: `rows of chain ${chain.name} without the "target prot opt source destination" header line: read by their layout (${columns.join(' ')})` });
      headerless = chain.name;
    }
    const rule = parseRow(line, columns, { table, chain: chain.name, num: chain.rules.length + 1, ref }, limits);
    if (rule) {
      chain.rules.push(rule);
      sawRows = true;
      rows++;
    }
    else rs.warnings.push({ file, line: n + 1, message: `rule line not understood: ${line.slice(0, 80)}` });
  }
  if (!sawChain && !sawRows) throw new SkipFile(file, 'no "Chain X (policy ...)" lines');
  if (!opts.table && !tableSaid) inferTable(rs, file);
  // what says the family, strongest first: the caller, a `# ip6tables -L` marker line, the file's
  // name (ip6tables-L.txt: a listing without -n shows `anywhere`, no address), what the rules hold
  if (rs.family === 'unknown' && familyFromFileName(file) === 'ipv6') rs.family = 'ipv6';
  if (rs.family === 'unknown') rs.family = familyOfListing(rs) ?? 'ipv4';
  rs.listingLimits = [...limits];
  hintBackend(rs, commands);
  return rs;
}

/**
 * The family a listing's rules say: IPv6 or IPv4 addresses (`::/0` and `0.0.0.0/0` too, which the
 * rules drop as "any"), ICMPv6 (`ipv6-icmp`, `icmp6-adm-prohibited`, `ipv6-icmptype`) or ICMP;
 * undefined when they say nothing or both.
 */
function familyOfListing(rs: Ruleset): Family | undefined {
  let v4 = 0;
  let v6 = 0;
  // a few hundred rules tell as well as a kube-proxy listing's hundred thousand
  for (const t of Object.values(rs.tables))
    for (const c of Object.values(t.chains))
      for (const r of c.rules) {
        if (v4 + v6 >= 500) break;
        for (const a of [r.source?.value, r.destination?.value]) {
          const f = a === undefined ? undefined : addressFamily(a);
          if (f === 'ipv4') v4++;
          else if (f === 'ipv6') v6++;
        }
        if (/\s::\/0(?:\s|$)/.test(r.text)) v6++;
        if (/\s0\.0\.0\.0\/0(?:\s|$)/.test(r.text)) v4++;
        const proto = r.protocol?.value;
        const reject = r.targetOptions['reject-with'];
        if (proto === 'ipv6-icmp' || reject?.startsWith('icmp6-') || r.matches.some((m) => m.module === 'icmp6')) v6++;
        else if (proto === 'icmp' || reject?.startsWith('icmp-') || r.matches.some((m) => m.module === 'icmp')) v4++;
      }
  if (v6 > 0 && v4 === 0) return 'ipv6';
  if (v4 > 0 && v6 === 0) return 'ipv4';
  if (v4 > 0 && v6 > 0) return v6 > v4 ? 'ipv6' : 'ipv4';
  return undefined;
}

/**
 * A listing of unknown table (no layout hint, no `-t` on a command line, no table marker), read as
 * filter: its built-in chains say which table it is; else, as for `iptables -S` output, the file's
 * name (`iptables-t-nat-nvL.txt`), else a target only one table has (a single nat chain pasted:
 * kube-router's `KUBE-ROUTER-HAIRPIN` with its SNAT); a name or target only where every built-in
 * chain shown can be in that table.
 */
function inferTable(rs: Ruleset, file: string): void {
  const t = rs.tables.filter;
  if (!t || Object.keys(rs.tables).length !== 1) return;
  const builtins = new Set(Object.keys(t.chains).filter((c) => /^(PREROUTING|INPUT|FORWARD|OUTPUT|POSTROUTING)$/.test(c)));
  const has = (...c: string[]) => c.every((x) => builtins.has(x));
  const fits = (table: string) => [...builtins].every((c) => BUILTIN_CHAINS[table]?.includes(c));
  const named = tableFromFileName(file);
  const only = new Set(Object.values(t.chains).flatMap((c) => c.rules.flatMap((r) => (r.target && TABLE_ONLY_TARGETS[r.target] ? [TABLE_ONLY_TARGETS[r.target]] : []))));
  let name: string | undefined;
  if (has('PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING')) name = 'mangle';
  else if (has('PREROUTING', 'POSTROUTING') && !builtins.has('FORWARD')) name = 'nat';
  else if (has('PREROUTING', 'OUTPUT') && builtins.size === 2) name = 'raw';
  else if (named && fits(named)) name = named;
  else if (!named && only.size === 1 && fits([...only][0])) name = [...only][0];
  if (!name || name === 'filter') return;
  delete rs.tables.filter;
  t.name = name;
  for (const c of Object.values(t.chains)) {
    c.table = name;
    c.builtin = isBuiltin(name, c.name);
    for (const r of c.rules) r.table = name;
  }
  rs.tables[name] = t;
}

/** The columns of a row met without a header: counters first means -v, a leading number --line-numbers. */
function columnsOfRow(line: string): string[] | undefined {
  const t = line.split(/\s+/, 4);
  const count = (s: string | undefined) => s !== undefined && /^\d+[KMGTP]?$/.test(s);
  const verbose = ['pkts', 'bytes', 'target', 'prot', 'opt', 'in', 'out', 'source', 'destination'];
  const plain = ['target', 'prot', 'opt', 'source', 'destination'];
  const candidates = [count(t[0]) && count(t[1]) && count(t[2]) ? ['num', ...verbose] : undefined, count(t[0]) && count(t[1]) ? verbose : undefined, plain];
  for (const cols of candidates) if (cols && parseRow(line, cols, { table: 'filter', chain: '', num: 1, ref: { file: '', line: 0 } }, new Set())) return cols;
  return undefined;
}

/** Whitespace-separated words with where each starts, so the match text keeps its own spacing. */
function words(line: string): { words: string[]; starts: number[] } {
  const out: string[] = [];
  const starts: number[] = [];
  const re = /\S+/g;
  for (let m = re.exec(line); m; m = re.exec(line)) {
    out.push(m[0]);
    starts.push(m.index);
  }
  return { words: out, starts };
}

function parseRow(line: string, columns: string[], base: { table: string; chain: string; num: number; ref: SourceRef }, limits: Set<string>): Rule | undefined {
  const { words: tok, starts } = words(line);
  let i = 0;
  const hasNum = columns[0] === 'num';
  const verbose = columns.includes('pkts');
  if (hasNum) {
    if (!/^\d+$/.test(tok[0] ?? '')) return undefined;
    i++;
  }
  let counters: Counters | undefined;
  if (verbose) {
    const p = parseCount(tok[i] ?? '');
    const b = parseCount(tok[i + 1] ?? '');
    if (Number.isNaN(p.n) || Number.isNaN(b.n)) return undefined;
    counters = { packets: p.n, bytes: b.n, approximate: p.approximate || b.approximate || undefined };
    if (counters.approximate) limits.add('counters rounded (K/M/G); list with -x for exact values');
    i += 2;
  }
  // the target column is empty for rules without a target: then the protocol comes first
  let target: string | undefined = tok[i];
  if (target !== undefined && PROTOS.test(target) && OPTS.test(tok[i + 1] ?? '')) target = undefined;
  else i++;
  const prot = tok[i++];
  const opt = tok[i++];
  if (prot === undefined || opt === undefined || !PROTOS.test(prot) || !OPTS.test(opt)) return undefined;
  let inIf: string | undefined;
  let outIf: string | undefined;
  if (verbose) {
    inIf = tok[i++];
    outIf = tok[i++];
  }
  const src = tok[i++];
  const dst = tok[i++];
  if (src === undefined || dst === undefined) return undefined;
  const rest = i < tok.length ? line.slice(starts[i]) : '';
  const incomplete: string[] = [];
  const rule: Rule = { ...base, text: line, matches: [], targetOptions: {}, incomplete };
  if (counters) rule.counters = counters;
  if (target) rule.target = target;
  const p = negatable(prot);
  p.value = normalizeProtocol(p.value);
  if (!(p.value === 'all' && !p.negated)) rule.protocol = p;
  if (opt === '-f' || opt === '!f') rule.fragment = { value: true, negated: opt === '!f' };
  // any interface: `*` with -n, `any` without it
  if (inIf && inIf !== '*' && inIf !== 'any') rule.inInterface = negatable(inIf);
  if (outIf && outIf !== '*' && outIf !== 'any') rule.outInterface = negatable(outIf);
  const s = address(src, incomplete);
  if (s) rule.source = s;
  const d = address(dst, incomplete);
  if (d) rule.destination = d;
  parseMatchText(rest, rule, incomplete);
  if (!verbose) incomplete.push('listing without -v: interfaces and counters not shown');
  if (!incomplete.length) delete rule.incomplete;
  return rule;
}

function negatable(s: string): Negatable<string> {
  return s.startsWith('!') ? { value: s.slice(1), negated: true } : { value: s, negated: false };
}

/**
 * Names `iptables -L` prints without -n that mean the same address on every distribution
 * (/etc/networks and /etc/hosts defaults); any other name is a lookup result we cannot undo.
 */
const WELL_KNOWN_NAMES: Record<string, string> = { loopback: '127.0.0.0', localhost: '127.0.0.1', 'link-local': '169.254.0.0', 'ip6-localhost': '::1', 'ip6-loopback': '::1' };

function address(s: string, incomplete: string[]): Negatable<string> | undefined {
  const a = negatable(s);
  if (a.value === '0.0.0.0/0' || a.value === '::/0' || a.value === 'anywhere') return a.negated ? a : undefined;
  const slash = a.value.indexOf('/');
  const host = slash < 0 ? a.value : a.value.slice(0, slash);
  const known = WELL_KNOWN_NAMES[host];
  if (known) a.value = known + (slash < 0 ? '' : a.value.slice(slash));
  else if (!/^[0-9.]+(\/\d+)?$/.test(a.value) && !/^[0-9a-fA-F:]+(\/\d+)?$/.test(a.value)) incomplete.push(`address "${a.value}" is a resolved name (list with -n)`);
  return { value: normalizeAddress(a.value), negated: a.negated };
}

interface PhraseContext {
  rule: Rule;
  incomplete: string[];
  /** the match the previous phrase added: conntrack prints several options as separate phrases */
  last?: Match;
}

type Opt = [name: string, value?: string, negated?: boolean];

function addMatch(ctx: PhraseContext, module: string, raw: string, options: Opt[], merge = false): void {
  const opts = options.map(([name, value, negated]) => ({ name, value, negated: !!negated }));
  for (const o of opts) {
    const note = canonicalizeOption(module, o);
    if (note) ctx.incomplete.push(note);
  }
  if (merge && ctx.last?.module === module) {
    ctx.last.options.push(...opts);
    ctx.last.raw = `${ctx.last.raw} ${raw}`;
    return;
  }
  const m: Match = { module, options: opts, raw };
  ctx.rule.matches.push(m);
  ctx.last = m;
}

const PORT_WORDS: Record<string, string> = { spt: 'sport', spts: 'sport', dpt: 'dport', dpts: 'dport', flags: 'tcp-flags', option: 'tcp-option' };
const LOG_FLAGS: [number, string][] = [[1, 'log-tcp-sequence'], [2, 'log-tcp-options'], [4, 'log-ip-options'], [8, 'log-uid'], [32, 'log-macdecode']];
const LOG_WORDS: Record<string, string> = { 'tcp-sequence': 'log-tcp-sequence', 'tcp-options': 'log-tcp-options', 'ip-options': 'log-ip-options', uid: 'log-uid', macdecode: 'log-macdecode' };
const RECENT_COMMANDS: Record<string, string> = { SET: 'set', CHECK: 'rcheck', UPDATE: 'update', REMOVE: 'remove' };
const TTL_OPS: Record<string, [string, boolean]> = { '==': ['ttl-eq', false], '!=': ['ttl-eq', true], '<': ['ttl-lt', false], '>': ['ttl-gt', false] };
const neg = (s: string | undefined) => s !== undefined && s.trim() !== '';

function icmpOption(family6: boolean, type: string, code: string | undefined, negated: boolean): Opt {
  return [family6 ? 'icmpv6-type' : 'icmp-type', code === undefined ? type : `${type}/${code}`, negated];
}

function setTargetOptions(rule: Rule, options: Record<string, string>): void {
  Object.assign(rule.targetOptions, options);
}

/**
 * Listing phrases -> match modules and target options, in the save format's vocabulary, as
 * iptables 1.4 to 1.8 print them (negation sits where each module prints it: `dpt:!22`,
 * `! ctstate NEW`, `multiport dports  !80`, `icmp !type 8`).
 */
const PHRASES: { re: RegExp; apply: (m: RegExpExecArray, ctx: PhraseContext) => void }[] = [
  { re: /^\[goto\]/, apply: (_m, c) => (c.rule.targetKind = 'goto') },
  { re: /^\/\* (.*?) \*\//, apply: (m, c) => (c.rule.comment = m[1]) },
  // a protocol match with no options of its own (DNAT rules print "tcp to:...")
  { re: /^(tcp|udp|sctp|udplite|dccp)(?=\s|$)(?! (?:spts?|dpts?|flags|option)[:=])/, apply: (m, c) => addMatch(c, m[1], m[0], []) },
  { re: /^(tcp|udp|sctp|udplite|dccp)((?: (?:spts?|dpts?|flags|option)[:=]!?\S+)+)/, apply: (m, c) => {
    const opts: Opt[] = [];
    for (const x of m[2].matchAll(/(spts?|dpts?|flags|option)[:=](!?)(\S+)/g)) {
      let value = x[3];
      if (x[1] === 'flags') {
        const [mask, comp] = value.split('/');
        value = `${mask} ${comp ?? ''}`;
      }
      opts.push([PORT_WORDS[x[1]], value, x[2] === '!']);
    }
    addMatch(c, m[1], m[0], opts);
  } },
  { re: /^(!\s?)?(ctstate|ctstatus|ctproto|ctorigsrc|ctorigdst|ctreplsrc|ctrepldst|ctorigsrcport|ctorigdstport|ctreplsrcport|ctrepldstport|ctexpire|ctdir) (\S+)/, apply: (m, c) => addMatch(c, 'conntrack', m[0], [[m[2], m[3], neg(m[1])]], true) },
  { re: /^(!\s?)?state (\S+)/, apply: (m, c) => addMatch(c, 'state', m[0], [['state', m[2], neg(m[1])]]) },
  { re: /^multiport (!\s?)?(dports|sports|ports) +(!?)(\S+)/, apply: (m, c) => addMatch(c, 'multiport', m[0], [[m[2], m[4], neg(m[1]) || m[3] === '!']]) },
  { re: /^ADDRTYPE match((?: (?:!\s?)?(?:src|dst)-type !?\S+| limit-(?:in|out))+)/, apply: (m, c) => {
    const opts: Opt[] = [];
    for (const x of m[1].matchAll(/(!\s?)?(src|dst)-type (!?)(\S+)|limit-(in|out)/g)) {
      if (x[5]) opts.push([`limit-iface-${x[5]}`, undefined]);
      else opts.push([`${x[2]}-type`, x[4], neg(x[1]) || x[3] === '!']);
    }
    addMatch(c, 'addrtype', m[0], opts);
  } },
  { re: /^mark match (!\s?)?(\S+)/, apply: (m, c) => addMatch(c, 'mark', m[0], [['mark', m[2], neg(m[1])]]) },
  { re: /^connmark match +(!\s?)?(\S+)/, apply: (m, c) => addMatch(c, 'connmark', m[0], [['mark', m[2], neg(m[1])]]) },
  { re: /^PHYSDEV match((?: (?:!\s?)?--physdev-[\w-]+(?: [^-!\s]\S*)?)+)/, apply: (m, c) => {
    const opts: Opt[] = [];
    for (const x of m[1].matchAll(/(!\s?)?--(physdev-[\w-]+)(?: ([^-!\s]\S*))?/g)) opts.push([x[2], x[3], neg(x[1])]);
    addMatch(c, 'physdev', m[0], opts);
  } },
  { re: /^(!\s?)?match-set (\S+) (\S+)/, apply: (m, c) => addMatch(c, 'set', m[0], [['match-set', `${m[2]} ${m[3]}`, neg(m[1])]]) },
  { re: /^statistic mode (\w+)(?: probability (\S+))?(?: every (\d+)(?: packet (\d+))?)?/, apply: (m, c) => addMatch(c, 'statistic', m[0], [['mode', m[1]], ...(m[2] ? [['probability', m[2]] as Opt] : []), ...(m[3] ? [['every', m[3]] as Opt] : []), ...(m[4] ? [['packet', m[4]] as Opt] : [])]) },
  // -n: `icmptype 8`, `icmptype 3 code 3`, `icmp !type 8`, `ipv6-icmptype 135`; without -n: `icmp echo-request`
  { re: /^(ipv6-)?icmptype (!?)(\d+)(?: code (\d+))?/, apply: (m, c) => addMatch(c, m[1] ? 'icmp6' : 'icmp', m[0], [icmpOption(!!m[1], m[3], m[4], m[2] === '!')]) },
  { re: /^(icmp|ipv6-icmp) (!?)type (\d+)(?: code (\d+))?/, apply: (m, c) => addMatch(c, m[1] === 'icmp' ? 'icmp' : 'icmp6', m[0], [icmpOption(m[1] !== 'icmp', m[3], m[4], m[2] === '!')]) },
  { re: /^(icmp|ipv6-icmp) (!?)([A-Za-z][\w-]*)/, apply: (m, c) => addMatch(c, m[1] === 'icmp' ? 'icmp' : 'icmp6', m[0], [icmpOption(m[1] !== 'icmp', m[3], undefined, m[2] === '!')]) },
  // a burst of 5 is the default, which iptables-save leaves out
  { re: /^limit: avg (\S+) burst (\d+)/, apply: (m, c) => addMatch(c, 'limit', m[0], [['limit', m[1]], ...(m[2] !== '5' ? [['limit-burst', m[2]] as Opt] : [])]) },
  { re: /^limit: (up to|above) (\S+) burst (\d+)(?: mode (\S+))?/, apply: (m, c) => {
    addMatch(c, 'hashlimit', m[0], [[m[1] === 'above' ? 'hashlimit-above' : 'hashlimit-upto', m[2]], ...(m[3] !== '5' ? [['hashlimit-burst', m[3]] as Opt] : []), ...(m[4] ? [['hashlimit-mode', m[4]] as Opt] : [])]);
    c.incomplete.push('hashlimit name not shown by listings');
  } },
  { re: /^recent: (SET|CHECK|UPDATE|REMOVE)(?: seconds: (\d+))?( reap)?(?: hit_count: (\d+))?( TTL-Match)?(?: name: (\S+))?(?: side: (source|dest))?(?: mask: (\S+))?/, apply: (m, c) =>
    addMatch(c, 'recent', m[0], [
      [RECENT_COMMANDS[m[1]]],
      ...(m[2] ? [['seconds', m[2]] as Opt] : []),
      ...(m[3] ? [['reap'] as Opt] : []),
      ...(m[4] ? [['hitcount', m[4]] as Opt] : []),
      ...(m[5] ? [['rttl'] as Opt] : []),
      ...(m[6] ? [['name', m[6]] as Opt] : []),
      ...(m[8] ? [['mask', m[8]] as Opt] : []),
      [m[7] === 'dest' ? 'rdest' : 'rsource'],
    ]) },
  { re: /^MAC (!\s?)?(\S+)/, apply: (m, c) => addMatch(c, 'mac', m[0], [['mac-source', m[2], neg(m[1])]]) },
  { re: /^(!\s?)?(source|destination) IP range (!\s?)?(\S+)/, apply: (m, c) => addMatch(c, 'iprange', m[0], [[m[2] === 'source' ? 'src-range' : 'dst-range', m[4], neg(m[1]) || neg(m[3])]]) },
  { re: /^(!\s?)?rpfilter(?: (?:loose|validmark|accept-local|invert))*/, apply: (m, c) => addMatch(c, 'rpfilter', m[0], []) },
  { re: /^owner (UID|GID) match (!?)(\S+)/, apply: (m, c) => {
    // only root is the same id everywhere; another name depends on the host's passwd file
    const id = m[3] === 'root' ? '0' : m[3];
    if (!/^\d+(-\d+)?$/.test(id)) c.incomplete.push(`owner "${id}" is a resolved name (list with -n)`);
    addMatch(c, 'owner', m[0], [[m[1] === 'UID' ? 'uid-owner' : 'gid-owner', id, m[2] === '!']]);
  } },
  { re: /^length (!?)(\S+)/, apply: (m, c) => addMatch(c, 'length', m[0], [['length', m[2], m[1] === '!']]) },
  { re: /^PKTTYPE (!?)= (\S+)/, apply: (m, c) => addMatch(c, 'pkttype', m[0], [['pkt-type', m[2], m[1] === '!']]) },
  { re: /^TTL match TTL (==|!=|<|>) (\d+)/, apply: (m, c) => addMatch(c, 'ttl', m[0], [[TTL_OPS[m[1]][0], m[2], TTL_OPS[m[1]][1]]]) },
  // target options
  { re: /^to:(\S+)((?: (?:persistent|random-fully|random))*)/, apply: (m, c) => {
    c.rule.targetOptions[c.rule.target === 'SNAT' ? 'to-source' : 'to-destination'] = m[1];
    for (const f of m[2].trim().split(' ').filter(Boolean)) c.rule.targetOptions[f] = '';
  } },
  { re: /^masq ports: (\S+)/, apply: (m, c) => (c.rule.targetOptions['to-ports'] = m[1]) },
  { re: /^redir ports (\S+)/, apply: (m, c) => (c.rule.targetOptions['to-ports'] = m[1]) },
  { re: /^(random-fully|random|persistent)\b/, apply: (m, c) => (c.rule.targetOptions[m[1]] = '') },
  { re: /^reject-with (\S+)/, apply: (m, c) => (c.rule.targetOptions['reject-with'] = m[1]) },
  { re: /^MARK (xset|set|or|and|xor) (\S+)/, apply: (m, c) => {
    const x = canonicalXmark(m[1], m[2]);
    if (x) c.rule.targetOptions['set-xmark'] = x;
  } },
  { re: /^CONNMARK (xset|set|or|and|xor) (\S+)/, apply: (m, c) => {
    const x = canonicalXmark(m[1], m[2]);
    if (x) c.rule.targetOptions['set-xmark'] = x;
  } },
  // iptables-save always writes both masks, 0xffffffff when none was given
  { re: /^CONNMARK (save|restore)(?: mask (\S+))?/, apply: (m, c) => setTargetOptions(c.rule, { [`${m[1]}-mark`]: '', nfmask: m[2] ?? '0xffffffff', ctmask: m[2] ?? '0xffffffff' }) },
  { re: /^LOG(?: flags (\d+))? level (\S+)((?: (?:tcp-sequence|tcp-options|ip-options|uid|macdecode))*)(?: prefix "(.*)")?/, apply: (m, c) => {
    const o: Record<string, string> = {};
    if (m[4] !== undefined) o['log-prefix'] = m[4];
    const level = logLevelNumber(m[2]) ?? m[2];
    // level 4 is the default, which iptables-save leaves out
    if (level !== '4') o['log-level'] = level;
    const flags = Number(m[1] ?? 0);
    for (const [bit, name] of LOG_FLAGS) if (flags & bit) o[name] = '';
    for (const w of m[3].trim().split(' ').filter(Boolean)) o[LOG_WORDS[w]] = '';
    setTargetOptions(c.rule, o);
  } },
  { re: /^CHECKSUM fill/, apply: (_m, c) => (c.rule.targetOptions['checksum-fill'] = '') },
  { re: /^TCPMSS clamp to PMTU/, apply: (_m, c) => (c.rule.targetOptions['clamp-mss-to-pmtu'] = '') },
  { re: /^TCPMSS set (\d+)/, apply: (m, c) => (c.rule.targetOptions['set-mss'] = m[1]) },
  { re: /^CT notrack/, apply: (_m, c) => (c.rule.targetOptions['notrack'] = '') },
  { re: /^TRACE/, apply: () => undefined },
  { re: /^NFQUEUE num (\d+)/, apply: (m, c) => (c.rule.targetOptions['queue-num'] = m[1]) },
  { re: /^nflog-group (\d+)/, apply: (m, c) => (c.rule.targetOptions['nflog-group'] = m[1]) },
];

export function parseMatchText(text: string, rule: Rule, incomplete: string[]): void {
  let rest = text.trim();
  if (rule.target) rule.targetKind = 'jump';
  const ctx: PhraseContext = { rule, incomplete };
  // every phrase consumes text, so this ends; the bound only guards against a phrase that would not
  for (let guard = 0; rest !== '' && guard < 256; guard++) {
    let done = false;
    for (const p of PHRASES) {
      const m = p.re.exec(rest);
      if (!m || m[0].length === 0) continue;
      p.apply(m, ctx);
      rest = rest.slice(m[0].length).trim();
      done = true;
      break;
    }
    if (!done) break;
  }
  if (rest !== '') {
    // unknown phrase (or more phrases than any rule has): keep the rest raw, and say the rule
    // could not be fully read
    rule.matches.push({ module: 'unknown', options: [], raw: rest });
    incomplete.push(`match text not understood: ${rest.slice(0, 80)}`);
  }
}

/**
 * A pasted `iptables [-t T] -L ... | grep ...` (or ip6tables): a command line naming the listing,
 * then, before any `Chain` line, a row an iptables -L listing would print. For a format that reads
 * such files with `fragments: true` (the command line is also what gives the table).
 */
export function sniffIptablesListFragment(head: string): boolean {
  const lines = head.split('\n').map((l) => l.replace(/\r$/, ''));
  let listed = false;
  /** a row before any command line: the paste may put the command that counted such rows after it (kubernetes#76431) */
  let rowFirst = false;
  let commands = 0;
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '') continue;
    if (CHAIN_LINE.test(line)) return false;
    const cmd = line.startsWith('#') || line.startsWith('$') || PROMPTED.test(line) ? commandLineTool(line) : undefined;
    if (cmd) {
      // -L, --list, or -L among combined flags (-nvL, -vnxL)
      listed = !cmd.save && /\s(?:-[a-zA-Z]*L[a-zA-Z]*|--list)(?=\s|$)/.test(line);
      if (rowFirst && commands === 0 && !cmd.save && GREP_COUNT.test(line)) return true;
      commands++;
      continue;
    }
    if (commands === 0 && !line.startsWith('#') && !COLUMN_HEADER.test(line) && columnsOfRow(line)) rowFirst = true;
    if (line.startsWith('#') || COLUMN_HEADER.test(line)) continue;
    if (listed && columnsOfRow(line)) return true;
  }
  return false;
}
