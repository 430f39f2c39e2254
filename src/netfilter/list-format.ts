/**
 * `iptables [-t T] -L [-n] [-v] [-x] [--line-numbers]` listings (what sosreports hold) mapped to
 * the same rule model as iptables-save, as far as a listing allows. The match text after the
 * addresses is read back into match modules (`tcp dpt:443` -> tcp dport 443); what cannot be
 * read is kept raw and the rule is marked incomplete.
 */
import { SkipFile, type SourceRef } from '../model/source.js';
import { canonicalXmark, ensureChain, ensureTable, isBuiltin, newRuleset, normalizeAddress, normalizeProtocol, type Counters, type Match, type Negatable, type Rule, type Ruleset } from './rules.js';

const CHAIN_LINE = /^Chain (\S+) \((?:policy (\S+)(?: (\S+) packets, (\S+) bytes)?|(\d+) references?)\)/;
const TABLE_MARKER = /^#.*\s-t\s+(\w+)/;
const PROTOS = /^(all|tcp|udp|icmp|udplite|esp|ah|sctp|gre|ipv6-icmp|icmpv6|mh|igmp|\d{1,3}|!\S+)$/;
const OPTS = /^(--|-f|!f)$/;

export interface ListOptions {
  table?: string;
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
  let chain: ReturnType<typeof ensureChain> | undefined;
  let columns: string[] | undefined;
  let sawChain = false;
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const raw = lines[n].replace(/\r$/, '');
    const line = raw.trim();
    const ref: SourceRef = { file, line: n + 1 };
    if (line === '') {
      chain = undefined;
      continue;
    }
    if (line.length > 64 * 1024) {
      rs.warnings.push({ file, line: n + 1, message: 'over-long line skipped' });
      continue;
    }
    if (line.startsWith('#')) {
      const m = TABLE_MARKER.exec(line);
      if (m) {
        table = m[1];
        if (/ip6tables/.test(line)) rs.family = 'ipv6';
      }
      if (/iptables-legacy tables present/.test(line)) rs.legacyTablesPresent = ref;
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
    if (!chain) continue;
    if (/^(num\s+)?(pkts\s+bytes\s+)?target\s+prot\s+opt/.test(line)) {
      columns = line.split(/\s+/);
      continue;
    }
    if (!columns) continue;
    const rule = parseRow(line, columns, { table, chain: chain.name, num: chain.rules.length + 1, ref }, limits);
    if (rule) chain.rules.push(rule);
    else rs.warnings.push({ file, line: n + 1, message: `rule line not understood: ${line.slice(0, 80)}` });
  }
  if (!sawChain) throw new SkipFile(file, 'no "Chain X (policy ...)" lines');
  if (!opts.table) inferTable(rs);
  if (rs.family === 'unknown') rs.family = /\s[0-9a-f]*:[0-9a-f:]*\/\d+/.test(text) || /::\/0/.test(text) ? 'ipv6' : 'ipv4';
  rs.listingLimits = [...limits];
  return rs;
}

/** A listing of unknown table (no -t marker, no name hint): its built-in chains say which table it is. */
function inferTable(rs: Ruleset): void {
  const t = rs.tables.filter;
  if (!t || Object.keys(rs.tables).length !== 1) return;
  const builtins = new Set(Object.keys(t.chains).filter((c) => /^(PREROUTING|INPUT|FORWARD|OUTPUT|POSTROUTING)$/.test(c)));
  const has = (...c: string[]) => c.every((x) => builtins.has(x));
  let name: string | undefined;
  if (has('PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING')) name = 'mangle';
  else if (has('PREROUTING', 'POSTROUTING') && !builtins.has('FORWARD')) name = 'nat';
  else if (has('PREROUTING', 'OUTPUT') && builtins.size === 2) name = 'raw';
  if (!name) return;
  delete rs.tables.filter;
  t.name = name;
  for (const c of Object.values(t.chains)) {
    c.table = name;
    c.builtin = isBuiltin(name, c.name);
    for (const r of c.rules) r.table = name;
  }
  rs.tables[name] = t;
}

function parseRow(line: string, columns: string[], base: { table: string; chain: string; num: number; ref: SourceRef }, limits: Set<string>): Rule | undefined {
  const tok = line.split(/\s+/);
  let i = 0;
  const hasNum = columns[0] === 'num';
  const verbose = columns.includes('pkts');
  if (hasNum) i++;
  let counters: Counters | undefined;
  if (verbose) {
    const p = parseCount(tok[i]);
    const b = parseCount(tok[i + 1]);
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
  if (prot === undefined || opt === undefined) return undefined;
  let inIf: string | undefined;
  let outIf: string | undefined;
  if (verbose) {
    inIf = tok[i++];
    outIf = tok[i++];
  }
  const src = tok[i++];
  const dst = tok[i++];
  if (src === undefined || dst === undefined) return undefined;
  const rest = tok.slice(i).join(' ');
  const rule: Rule = { ...base, text: line, matches: [], targetOptions: {} };
  if (counters) rule.counters = counters;
  if (target) rule.target = target;
  const p = negatable(prot);
  p.value = normalizeProtocol(p.value);
  if (!(p.value === 'all' && !p.negated)) rule.protocol = p;
  if (opt === '-f' || opt === '!f') rule.fragment = { value: true, negated: opt === '!f' };
  if (inIf && inIf !== '*') rule.inInterface = negatable(inIf);
  if (outIf && outIf !== '*') rule.outInterface = negatable(outIf);
  const incomplete: string[] = [];
  const s = address(src, incomplete);
  if (s) rule.source = s;
  const d = address(dst, incomplete);
  if (d) rule.destination = d;
  parseMatchText(rest, rule, incomplete);
  if (!verbose) incomplete.push('listing without -v: interfaces and counters not shown');
  if (incomplete.length) rule.incomplete = incomplete;
  return rule;
}

function negatable(s: string): Negatable<string> {
  return s.startsWith('!') ? { value: s.slice(1), negated: true } : { value: s, negated: false };
}

function address(s: string, incomplete: string[]): Negatable<string> | undefined {
  const a = negatable(s);
  if (a.value === '0.0.0.0/0' || a.value === '::/0' || a.value === 'anywhere') return a.negated ? a : undefined;
  if (!/^[0-9.]+(\/\d+)?$/.test(a.value) && !/^[0-9a-fA-F:]+(\/\d+)?$/.test(a.value)) incomplete.push(`address "${a.value}" is a resolved name (list with -n)`);
  return { value: normalizeAddress(a.value), negated: a.negated };
}

/** Listing phrases -> match modules and target options, in the save format's vocabulary. */
const PHRASES: { re: RegExp; apply: (m: RegExpExecArray, rule: Rule) => void }[] = [
  { re: /^\[goto\]/, apply: (_m, r) => (r.targetKind = 'goto') },
  // a protocol match with no options of its own (DNAT rules print "tcp to:...")
  { re: /^(tcp|udp|sctp|udplite)(?=\s|$)(?! (?:!\s?)?(?:spts?|dpts?|flags|option)[:=])/, apply: (m, r) => addMatch(r, m[1], m[0], []) },
  { re: /^\/\* (.*?) \*\//, apply: (m, r) => (r.comment = m[1]) },
  { re: /^(!\s?)?ctstate (\S+)/, apply: (m, r) => addMatch(r, 'conntrack', m[0], [['ctstate', m[2], !!m[1]]]) },
  { re: /^(!\s?)?ctstatus (\S+)/, apply: (m, r) => addMatch(r, 'conntrack', m[0], [['ctstatus', m[2], !!m[1]]]) },
  { re: /^(!\s?)?state (\S+)/, apply: (m, r) => addMatch(r, 'state', m[0], [['state', m[2], !!m[1]]]) },
  { re: /^(tcp|udp|sctp|udplite) ((?:(?:!\s?)?(?:spts?|dpts?):\S+\s?|flags:\S+\s?|option=\S+\s?)+)/, apply: (m, r) => {
    const opts: [string, string, boolean?][] = [];
    for (const part of m[2].trim().split(/\s+(?=!|spt|dpt|flags|option)/)) {
      const x = /^(!\s?)?(spts?|dpts?|flags|option)[:=](\S+)/.exec(part.trim());
      if (!x) continue;
      const name = x[2].startsWith('spt') ? 'sport' : x[2].startsWith('dpt') ? 'dport' : x[2] === 'flags' ? 'tcp-flags' : 'tcp-option';
      opts.push([name, x[3], !!x[1]]);
    }
    addMatch(r, m[1], m[0], opts);
  } },
  { re: /^multiport ((?:!\s?)?)(dports|sports|ports) (\S+)/, apply: (m, r) => addMatch(r, 'multiport', m[0], [[m[2], m[3], !!m[1]]]) },
  { re: /^ADDRTYPE match ((?:(?:!\s?)?(?:src|dst)-type \S+\s?(?:limit-in\s?|limit-out\s?)?)+)/, apply: (m, r) => {
    const opts: [string, string, boolean?][] = [];
    for (const x of m[1].matchAll(/(!\s?)?(src|dst)-type (\S+)/g)) opts.push([`${x[2]}-type`, x[3], !!x[1]]);
    addMatch(r, 'addrtype', m[0], opts);
  } },
  { re: /^mark match (!\s?)?(\S+)/, apply: (m, r) => addMatch(r, 'mark', m[0], [['mark', m[2], !!m[1]]]) },
  { re: /^connmark match (!\s?)?(\S+)/, apply: (m, r) => addMatch(r, 'connmark', m[0], [['mark', m[2], !!m[1]]]) },
  { re: /^PHYSDEV match ((?:(?:!\s?)?--physdev-\S+(?: [^-!\s]\S*)?\s?)+)/, apply: (m, r) => {
    const opts: [string, string | undefined, boolean?][] = [];
    for (const x of m[1].matchAll(/(!\s?)?--(physdev-[\w-]+)(?: ([^-!\s]\S*))?/g)) opts.push([x[2], x[3], !!x[1]]);
    addMatch(r, 'physdev', m[0], opts);
  } },
  { re: /^(!\s?)?match-set (\S+) (\S+)/, apply: (m, r) => addMatch(r, 'set', m[0], [['match-set', `${m[2]} ${m[3]}`, !!m[1]]]) },
  { re: /^statistic mode (\w+)(?: probability (\S+))?(?: every (\d+)(?: packet (\d+))?)?/, apply: (m, r) => addMatch(r, 'statistic', m[0], [['mode', m[1]], ...(m[2] ? [['probability', m[2]] as [string, string]] : []), ...(m[3] ? [['every', m[3]] as [string, string]] : []), ...(m[4] ? [['packet', m[4]] as [string, string]] : [])]) },
  { re: /^(ipv6-icmp|icmp|icmpv6) ?(!\s?)?(?:type|icmptype|ipv6-icmptype) (\d+|any)(?: code (\d+))?/, apply: (m, r) => addMatch(r, m[1] === 'icmp' ? 'icmp' : 'icmp6', m[0], [[m[1] === 'icmp' ? 'icmp-type' : 'icmpv6-type', m[4] ? `${m[3]}/${m[4]}` : m[3], !!m[2]]]) },
  { re: /^(icmptype|ipv6-icmptype) (\d+|any)/, apply: (m, r) => addMatch(r, m[1] === 'icmptype' ? 'icmp' : 'icmp6', m[0], [[m[1] === 'icmptype' ? 'icmp-type' : 'icmpv6-type', m[2]]]) },
  { re: /^limit: (?:up to|avg) (\S+)(?: burst (\d+))?/, apply: (m, r) => addMatch(r, 'limit', m[0], [['limit', m[1]], ...(m[2] ? [['limit-burst', m[2]] as [string, string]] : [])]) },
  { re: /^recent: (\w+)(?: seconds: (\d+))?(?: hit_count: (\d+))?(?: (?:reap|rttl))*(?: name: (\S+))?(?: side: (\w+))?(?: mask: \S+)?/, apply: (m, r) => addMatch(r, 'recent', m[0], [[m[1].toLowerCase() === 'set' ? 'set' : m[1].toLowerCase() === 'check' ? 'rcheck' : m[1].toLowerCase(), undefined], ...(m[2] ? [['seconds', m[2]] as [string, string]] : []), ...(m[4] ? [['name', m[4]] as [string, string]] : [])]) },
  { re: /^MAC (!\s?)?(\S+)/, apply: (m, r) => addMatch(r, 'mac', m[0], [['mac-source', m[2], !!m[1]]]) },
  { re: /^(!\s?)?source IP range (\S+)/, apply: (m, r) => addMatch(r, 'iprange', m[0], [['src-range', m[2], !!m[1]]]) },
  { re: /^(!\s?)?destination IP range (\S+)/, apply: (m, r) => addMatch(r, 'iprange', m[0], [['dst-range', m[2], !!m[1]]]) },
  { re: /^(!\s?)?rpfilter(?: (?:loose|validmark|accept-local|invert))*/, apply: (m, r) => addMatch(r, 'rpfilter', m[0], []) },
  { re: /^owner (UID|GID) match (\S+)/, apply: (m, r) => addMatch(r, 'owner', m[0], [[m[1] === 'UID' ? 'uid-owner' : 'gid-owner', m[2]]]) },
  { re: /^length (\S+)/, apply: (m, r) => addMatch(r, 'length', m[0], [['length', m[1]]]) },
  { re: /^pkttype match (\S+)/, apply: (m, r) => addMatch(r, 'pkttype', m[0], [['pkt-type', m[1]]]) },
  // target options
  { re: /^to:(\S+)(?: (persistent|random|random-fully))*/, apply: (m, r) => (r.targetOptions[r.target === 'SNAT' ? 'to-source' : 'to-destination'] = m[1]) },
  { re: /^masq ports: (\S+)/, apply: (m, r) => (r.targetOptions['to-ports'] = m[1]) },
  { re: /^redir ports (\S+)/, apply: (m, r) => (r.targetOptions['to-ports'] = m[1]) },
  { re: /^random-fully/, apply: (_m, r) => (r.targetOptions['random-fully'] = '') },
  { re: /^random\b/, apply: (_m, r) => (r.targetOptions['random'] = '') },
  { re: /^reject-with (\S+)/, apply: (m, r) => (r.targetOptions['reject-with'] = m[1]) },
  { re: /^MARK (xset|set|or|and|xor) (\S+)/, apply: (m, r) => {
    const x = canonicalXmark(m[1], m[2]);
    if (x) r.targetOptions['set-xmark'] = x;
  } },
  { re: /^CONNMARK (?:xset|set|save|restore)\b[^/]*/, apply: (m, r) => (r.targetOptions['connmark'] = m[0]) },
  { re: /^LOG flags (\d+) level (\d+)(?: prefix "(.*?)")?/, apply: (m, r) => Object.assign(r.targetOptions, { 'log-level': m[2], ...(m[3] !== undefined ? { 'log-prefix': m[3] } : {}) }) },
  { re: /^CHECKSUM fill/, apply: (_m, r) => (r.targetOptions['checksum-fill'] = '') },
  { re: /^TRACE/, apply: () => undefined },
  { re: /^NFQUEUE num (\d+)/, apply: (m, r) => (r.targetOptions['queue-num'] = m[1]) },
];

function addMatch(rule: Rule, module: string, raw: string, options: [string, string | undefined, boolean?][]): void {
  const m: Match = { module, options: options.map(([name, value, negated]) => ({ name, value, negated: !!negated })), raw };
  rule.matches.push(m);
}

export function parseMatchText(text: string, rule: Rule, incomplete: string[]): void {
  let rest = text.trim();
  if (rule.target) rule.targetKind = 'jump';
  let guard = 0;
  while (rest !== '' && guard++ < 64) {
    let done = false;
    for (const p of PHRASES) {
      const m = p.re.exec(rest);
      if (!m || m[0].length === 0) continue;
      p.apply(m, rule);
      rest = rest.slice(m[0].length).trim();
      done = true;
      break;
    }
    if (!done) {
      // unknown phrase: keep the rest raw, and say the rule could not be fully read
      rule.matches.push({ module: 'unknown', options: [], raw: rest });
      incomplete.push(`match text not understood: ${rest.slice(0, 80)}`);
      break;
    }
  }
}
