/**
 * iptables-nft's tables as iptables rules, for bundles whose only view of the rules is
 * `nft list ruleset` (a customer on RHEL 8/9 or Debian 11+ ran what the distribution's docs
 * say). The kernel holds one rule set; iptables-save and nft only print it differently, so the
 * iptables analyzers (Docker's chains, MASQUERADE, KUBE-FIREWALL, TRACE) and the tracer can read
 * these tables as they read an iptables-save of the same host. Each rule keeps its nft line and
 * text as evidence. What nft shows without its meaning (an `xt match recent` whose options nft
 * does not print, a set lookup) becomes a match the tracer calls "not modelled", never a guess.
 */
import { canonicalXmark, normalizeAddress, normalizeProtocol, type Chain, type Match, type Negatable, type Rule, type Ruleset, type Table } from '../netfilter/rules.js';
import { nftIcmpNumber } from '../netfilter/icmp.js';
import { renderExpr } from './expr.js';
import type { NftExpr, NftNat, NftRule, NftRuleset, NftTable, NftValue, NftVerdict } from './model.js';

const FAMILIES = { ip: 'ipv4', ip6: 'ipv6' } as const;

/**
 * One iptables Ruleset per address family (ip, ip6) from the iptables-nft tables of an nft
 * listing; empty when it has none. Native nft tables (firewalld's, Docker 29's) are not iptables
 * rules and stay with the nft tracer.
 */
export function iptablesFromNft(nft: NftRuleset): Ruleset[] {
  const out: Ruleset[] = [];
  for (const family of ['ip', 'ip6'] as const) {
    const tables = nft.tables.filter((t) => t.family === family && t.iptablesCompat);
    if (tables.length === 0) continue;
    const rs: Ruleset = {
      family: FAMILIES[family],
      backend: 'nf_tables',
      format: 'nft',
      origin: 'live',
      file: nft.file,
      tables: {},
      warnings: [],
      legacyTablesPresent: nft.legacyTablesPresent,
    };
    // a cut listing (a table still open at its end): the open table is partial and tables after it may be missing
    // whole, of either family; what the view does not show is not known to be absent (analyzers read `truncated`)
    // `table`: the iptables table open at the cut (`ip filter` -> filter in the ipv4 view); a cut in a table of another family
    // or a native one leaves every table of this family shown closed before it, whole (its `family name` marks that)
    if (nft.truncated) {
      const open = nft.truncated.table;
      const compat = open !== undefined ? tables.find((t) => `${t.family} ${t.name}` === open) : undefined;
      rs.truncated = { note: nft.truncated.note, ...(open !== undefined ? { table: compat ? compat.name : open } : {}) };
    }
    for (const t of tables) rs.tables[t.name] = tableOf(t);
    out.push(rs);
  }
  return out;
}

function tableOf(t: NftTable): Table {
  const table: Table = { name: t.name, chains: {}, ref: t.ref };
  for (const c of t.chains) {
    // a base chain's ref is where its policy is written (iptables-save's `:FORWARD DROP` line)
    const ref = c.hook !== undefined && c.policyLine !== undefined ? { ...c.ref, line: c.policyLine } : c.ref;
    const chain: Chain = { name: c.name, table: t.name, builtin: c.hook !== undefined, rules: [], ref };
    if (c.policy) chain.policy = c.policy.toUpperCase();
    c.rules.forEach((r, i) => chain.rules.push(ruleOf(t, c.name, r, i + 1)));
    table.chains[c.name] = chain;
  }
  return table;
}

/** nft's reject types to iptables' --reject-with names (the defaults differ by family). */
function rejectWith(v: NftVerdict, family: string): string {
  const w = v.rejectWith;
  if (!w) return family === 'ip6' ? 'icmp6-port-unreachable' : 'icmp-port-unreachable';
  if (/^tcp reset$/.test(w)) return 'tcp-reset';
  const m = /^(icmpx|icmpv6|icmp)\s+(?:type\s+)?(\S+)$/.exec(w);
  if (!m) return w;
  const name = m[2] === 'prot-unreachable' ? 'proto-unreachable' : m[2];
  if (family === 'ip6') return `icmp6-${{ 'admin-prohibited': 'adm-prohibited', 'no-route': 'no-route', 'host-unreachable': 'addr-unreachable' }[name] ?? name}`;
  return `icmp-${name === 'no-route' ? 'net-unreachable' : name}`;
}

const PORT_KEYS = /^(tcp|udp|sctp|udplite|th) (dport|sport)$/;

function ruleOf(t: NftTable, chain: string, r: NftRule, num: number): Rule {
  const rule: Rule = { table: t.name, chain, num, ref: r.ref, text: r.text.trim(), matches: [], targetOptions: {} };
  if (r.counter) rule.counters = { packets: r.counter.packets, bytes: r.counter.bytes };
  if (r.comment !== undefined) rule.comment = r.comment;
  const incomplete: string[] = [];
  const notModelled = (e: NftExpr, why?: string) => {
    rule.matches.push({ module: 'nft', options: [], raw: renderExpr(e) });
    if (why) incomplete.push(why);
  };
  const impliedProtocol = (p: string) => {
    if (!rule.protocol) rule.protocol = { value: p, negated: false };
  };
  for (const e of r.exprs) {
    switch (e.kind) {
      case 'counter':
        break;
      case 'match':
        if (!matchOf(rule, e, impliedProtocol)) notModelled(e);
        break;
      case 'limit':
        rule.matches.push({ module: 'limit', options: [{ name: 'limit', value: `${e.rate}/${e.per}`, negated: !!e.over }] });
        break;
      case 'log':
        if (!rule.target) {
          rule.target = 'LOG';
          if (e.prefix !== undefined) rule.targetOptions['log-prefix'] = e.prefix;
        }
        break;
      case 'verdict':
        verdictOf(rule, e.verdict, t.family);
        break;
      case 'nat':
        natOf(rule, e.nat);
        break;
      case 'mangle':
        mangleOf(rule, e.key, e.value, incomplete);
        break;
      case 'xt':
        if (e.xtType === 'match') {
          // a comment matches every packet; nft does not print its text
          if (e.name === 'comment') rule.matches.push({ module: 'comment', options: [], raw: '-m comment (nft does not print its text)' });
          else rule.matches.push({ module: `xt:${e.name}`, options: [], raw: `xt match ${e.name}` });
          if (e.name !== 'comment') incomplete.push(`nft does not print the options of iptables-nft's ${e.name} match`);
        } else {
          rule.target = e.name;
          incomplete.push(`nft does not print the options of iptables-nft's ${e.name} target`);
        }
        break;
      case 'vmap':
        rule.target = 'NFT-VMAP';
        incomplete.push(`a verdict map: ${renderExpr(e)}`);
        break;
      case 'unknown':
        notModelled(e, `not understood: ${e.text}`);
        break;
    }
  }
  if (incomplete.length) rule.incomplete = incomplete;
  return rule;
}

function flat(v: NftValue): string[] | undefined {
  if (v.kind === 'value') return [v.value];
  if (v.kind === 'range') return [`${v.from}-${v.to}`];
  if (v.kind === 'set') {
    const parts = v.elements.map(flat);
    return parts.every((p) => p !== undefined) ? (parts as string[][]).flat() : undefined;
  }
  return undefined;
}

/** Translates one nft match into the rule's iptables fields; false when iptables has no equivalent here. */
function matchOf(rule: Rule, e: Extract<NftExpr, { kind: 'match' }>, impliedProtocol: (p: string) => void): boolean {
  // kube-proxy's load balancing (`-m statistic --mode random`): a branch the tracer follows
  if (e.key === 'meta random') {
    rule.matches.push({ module: 'statistic', options: [{ name: 'mode', value: 'random', negated: false }] });
    return true;
  }
  if (e.op !== '==' && e.op !== '!=') return false;
  const negated = e.op === '!=';
  const values = flat(e.value);
  if (!values || values.length === 0) return false;
  const one = values.length === 1 && e.value.kind === 'value' ? values[0] : undefined;
  const neg = <T>(value: T): Negatable<T> => ({ value, negated });
  const addOption = (module: string, name: string, value: string) => {
    const m: Match = { module, options: [{ name, value, negated }] };
    rule.matches.push(m);
  };
  if (e.mask !== undefined && e.key !== 'meta mark' && e.key !== 'ct mark' && e.key !== 'tcp flags') return false;
  switch (e.key) {
    case 'iifname':
    case 'oifname':
    case 'iif':
    case 'oif': {
      if (one === undefined || rule[e.key.startsWith('i') ? 'inInterface' : 'outInterface']) return false;
      const name = one.endsWith('*') ? one.slice(0, -1) + '+' : one;
      if (e.key.startsWith('i')) rule.inInterface = neg(name);
      else rule.outInterface = neg(name);
      return true;
    }
    case 'ip saddr':
    case 'ip daddr':
    case 'ip6 saddr':
    case 'ip6 daddr': {
      if (one === undefined || /-/.test(one)) return false;
      const field = e.key.endsWith('saddr') ? 'source' : 'destination';
      if (rule[field]) return false;
      rule[field] = neg(normalizeAddress(one));
      return true;
    }
    case 'meta l4proto':
    case 'ip protocol':
    case 'ip6 nexthdr':
      if (one === undefined) return false;
      // `meta l4proto tcp tcp dport 22`: the port match implied the same protocol already
      if (rule.protocol) return rule.protocol.value === normalizeProtocol(one) && rule.protocol.negated === negated;
      rule.protocol = neg(normalizeProtocol(one));
      return true;
    case 'ct state':
    case 'ct status':
      addOption('conntrack', e.key === 'ct state' ? 'ctstate' : 'ctstatus', values.map((v) => v.toUpperCase()).join(','));
      return true;
    case 'meta mark':
    case 'ct mark': {
      if (one === undefined) return false;
      addOption(e.key === 'meta mark' ? 'mark' : 'connmark', 'mark', e.mask !== undefined ? `${one}/${e.mask}` : one);
      return true;
    }
    case 'fib daddr type':
    case 'fib saddr type':
      addOption('addrtype', e.key === 'fib daddr type' ? 'dst-type' : 'src-type', values.map((v) => v.toUpperCase()).join(','));
      return true;
    case 'meta pkttype':
      if (one === undefined) return false;
      addOption('pkttype', 'pkt-type', one);
      return true;
    case 'icmp type':
    case 'icmpv6 type':
      if (one === undefined) return false;
      impliedProtocol(e.key === 'icmp type' ? 'icmp' : 'ipv6-icmp');
      // iptables-save writes the number (`--icmp-type 8`), nft the name (`echo-request`)
      addOption(e.key === 'icmp type' ? 'icmp' : 'icmp6', e.key === 'icmp type' ? 'icmp-type' : 'icmpv6-type', e.key === 'icmp type' ? String(nftIcmpNumber(one, 'type') ?? one) : one);
      return true;
    case 'tcp flags': {
      if (e.mask === undefined || one === undefined) return false;
      impliedProtocol('tcp');
      addOption('tcp', 'tcp-flags', `${e.mask.toUpperCase()} ${one.toUpperCase()}`);
      return true;
    }
  }
  const port = PORT_KEYS.exec(e.key);
  if (port) {
    const spec = values.map((v) => v.replace('-', ':')).join(',');
    if (port[1] === 'th') {
      addOption('multiport', port[2] === 'dport' ? 'dports' : 'sports', spec);
      return true;
    }
    impliedProtocol(port[1]);
    if (values.length === 1) addOption(port[1], port[2], spec);
    else addOption('multiport', port[2] === 'dport' ? 'dports' : 'sports', spec);
    return true;
  }
  return false;
}

function verdictOf(rule: Rule, v: NftVerdict, family: string): void {
  switch (v.kind) {
    case 'accept':
    case 'drop':
    case 'return':
      rule.target = v.kind.toUpperCase();
      break;
    case 'reject':
      rule.target = 'REJECT';
      rule.targetOptions['reject-with'] = rejectWith(v, family);
      break;
    case 'jump':
    case 'goto':
      rule.target = v.target;
      rule.targetKind = v.kind;
      break;
    case 'queue':
      rule.target = 'NFQUEUE';
      break;
    case 'continue':
      break;
  }
}

function natOf(rule: Rule, n: NftNat): void {
  const to = n.to !== undefined ? (n.to.includes(':') ? `[${n.to}]` : n.to) + (n.ports ? `:${n.ports}` : '') : n.ports ? `:${n.ports}` : undefined;
  switch (n.kind) {
    case 'masquerade':
      rule.target = 'MASQUERADE';
      if (n.ports) rule.targetOptions['to-ports'] = n.ports;
      break;
    case 'snat':
      rule.target = 'SNAT';
      if (to) rule.targetOptions['to-source'] = to;
      break;
    case 'dnat':
      rule.target = 'DNAT';
      if (to) rule.targetOptions['to-destination'] = to;
      break;
    case 'redirect':
      rule.target = 'REDIRECT';
      if (n.ports) rule.targetOptions['to-ports'] = n.ports;
      break;
  }
  for (const f of n.flags ?? []) rule.targetOptions[f === 'fully-random' ? 'random-fully' : f] = '';
}

/** `meta mark set mark or 0x4000` is MARK --set-xmark 0x4000/0x4000; `meta nftrace set 1` is TRACE. */
function mangleOf(rule: Rule, key: string, value: string, incomplete: string[]): void {
  if (key === 'meta nftrace' && value === '1') {
    rule.target = 'TRACE';
    return;
  }
  if (key === 'ct mark') {
    rule.target = 'CONNMARK';
    incomplete.push(`connmark not translated: ${key} set ${value}`);
    return;
  }
  if (key === 'meta mark') {
    rule.target = 'MARK';
    const m = /^(?:mark\s+(or|and|xor)\s+)?(0x[0-9a-f]+|\d+)$/i.exec(value.trim());
    const x = m ? canonicalXmark(m[1] ?? 'set-mark', m[2]) : undefined;
    if (x) rule.targetOptions['set-xmark'] = x;
    else incomplete.push(`mark expression not translated: ${key} set ${value}`);
    return;
  }
  rule.target = 'NFT-SET';
  incomplete.push(`not translated: ${key} set ${value}`);
}
