/**
 * The packet tracer for native nftables tables (firewalld's `inet firewalld`, Docker 29's
 * `ip docker-bridges`): every base chain on each hook of the packet's path, in priority order
 * across tables and families. iptables-nft's compatibility tables are left to the iptables
 * tracer (the same rules must not be walked twice). A drop in any base chain wins; an accept only
 * ends its own chain. Expressions it does not model give "unknown at rule X".
 */
import { addressIn, parseIp } from '../parsers/cidr.js';
import { arrivesOnLoopback, destinationKind, isIpv6, isLocal6, originalDestination, originalSource, packetType, type ExtraChain, type Hook, type Packet, type TraceContext, type TraceStep, type Verdict } from '../netfilter/trace.js';
import { ICMP6_ECHO_REQUEST, nftIcmp6Number, nftIcmpNumber } from '../netfilter/icmp.js';
import { baseChainsOnHook, findChain, findSet, type NftChain, type NftExpr, type NftHook, type NftRule, type NftRuleset, type NftTable, type NftValue } from './model.js';

export interface NftStep {
  family: string;
  table: string;
  chain: string;
  /** 1-based rule index in its chain; 0 for the policy */
  index: number;
  text: string;
  file: string;
  line: number;
}

export type NftVerdict = { kind: 'ACCEPT' } | { kind: 'DROP' } | { kind: 'REJECT'; with: string } | { kind: 'unknown'; reason: string; at?: NftStep };

const MAX_DEPTH = 32;

/**
 * The native nftables base chains on each hook, for the packet tracer to walk among the iptables
 * tables in priority order. iptables-nft's own tables are left out: the iptables model already
 * has their rules, and they must not be walked twice. An IPv4 packet (`ip`) meets the chains of
 * `ip` and `inet` tables, an IPv6 packet (`ip6`) those of `ip6` and `inet` tables.
 */
export function nftExtraChains(rulesets: readonly NftRuleset[], family: 'ip' | 'ip6' = 'ip'): (hook: Hook) => ExtraChain[] {
  return (hook) =>
    rulesets
      .flatMap((rs) => baseChainsOnHook(rs, family, hook as NftHook))
      .filter((c) => !c.table.iptablesCompat)
      .map(({ table, chain }) => ({
        priority: chain.priority ?? 0,
        type: chain.type,
        walk(p: Packet, out: TraceStep[], ctx: TraceContext): Verdict & { by?: TraceStep } {
          // nat sees a connection's first packet only, and sets its destination up once (an earlier DNAT wins)
          if (chain.type === 'nat' && (p.state !== 'new' || (p.dnat && (hook === 'prerouting' || hook === 'output')))) return { kind: 'ACCEPT' };
          const steps: NftStep[] = [];
          const v = walkChain(table, chain, p, ctx, steps, 0);
          out.push(...steps.map(toTraceStep));
          // what accepted: the rule whose verdict was accept (the last step taken), else the chain's policy
          if (v === 'accept') return { kind: 'ACCEPT', by: out[out.length - 1] };
          if (v === 'return') {
            if (chain.policy !== 'drop') return { kind: 'ACCEPT', by: toTraceStep(policyStep(table, chain)) };
            out.push(toTraceStep(policyStep(table, chain)));
            return { kind: 'DROP' };
          }
          const verdict = v.verdict;
          if (verdict.kind === 'unknown') return { kind: 'unknown', reason: `nftables ${table.family} ${table.name}: ${verdict.reason}`, at: verdict.at ? toTraceStep(verdict.at) : undefined };
          return verdict;
        },
      }));
}

function toTraceStep(s: NftStep): TraceStep {
  return { table: `${s.family} ${s.table}`, chain: s.chain, num: s.index, text: s.text, file: s.file, line: s.line, action: s.index === 0 ? 'policy' : 'match', nft: { family: s.family, table: s.table } };
}

type Walk = 'accept' | 'return' | { verdict: NftVerdict; step?: NftStep };

function walkChain(table: NftTable, chain: NftChain, p: Packet, ctx: TraceContext, steps: NftStep[], depth: number): Walk {
  if (depth > MAX_DEPTH) return { verdict: { kind: 'unknown', reason: `jump depth over ${MAX_DEPTH} at ${chain.name}` } };
  for (const rule of chain.rules) {
    const step = stepOf(table, chain, rule);
    // a match the tracer cannot evaluate is a fork (netfilter/trace.ts explores both outcomes): the outcome it was told to assume
    const assumed = ctx.assume?.get(rule);
    let r = evalRule(table, rule, p, ctx, assumed === true, typeof assumed === 'number' ? assumed : undefined);
    if (typeof r === 'object' && 'unknown' in r && r.match && assumed === false) r = 'nomatch';
    if (typeof assumed === 'number') ctx.assumed?.push({ at: toTraceStep(step), reason: `nftables ${table.family} ${table.name}: load-balancing (numgen): each entry walked` });
    else if (assumed !== undefined) {
      const why = unknownOf(table, rule, p, ctx);
      if (why) ctx.assumed?.push({ at: toTraceStep(step), reason: `nftables ${table.family} ${table.name}: ${why}` });
    }
    if (r === 'nomatch') continue;
    if (typeof r === 'object' && 'unknown' in r) {
      if (r.match && ctx.pendingFork) ctx.pendingFork.rule = rule;
      if (r.choices && ctx.pendingFork) ctx.pendingFork = Object.assign(ctx.pendingFork, { rule, choices: r.choices });
      return { verdict: { kind: 'unknown', reason: r.unknown, at: step }, step };
    }
    steps.push(step);
    if (r === 'continue') continue;
    switch (r.kind) {
      case 'accept':
        return 'accept';
      case 'drop':
        return { verdict: { kind: 'DROP' }, step };
      case 'reject':
        return { verdict: { kind: 'REJECT', with: r.rejectWith ?? 'icmp port-unreachable' }, step };
      case 'return':
        return 'return';
      case 'queue':
        return { verdict: { kind: 'unknown', reason: 'queue hands the packet to user space', at: step }, step };
      case 'jump':
      case 'goto': {
        const target = r.target ? findChain(table, r.target) : undefined;
        if (!target) return { verdict: { kind: 'unknown', reason: `chain ${r.target} not in table ${table.name}`, at: step }, step };
        const v = walkChain(table, target, p, ctx, steps, depth + 1);
        if (v === 'return') {
          if (r.kind === 'goto') return 'return';
          continue;
        }
        return v;
      }
      default:
        continue;
    }
  }
  return 'return';
}

/** `match`: the unknown is a match's (the rule may be forked on: matched or not); else a statement the tracer cannot follow */
type RuleResult = 'nomatch' | 'continue' | { unknown: string; match?: boolean; choices?: number } | { kind: string; target?: string; rejectWith?: string };

/**
 * One rule, left to right. A match known to fail decides even after one not known (`ip saddr @x
 * ip daddr 10.0.0.1` fails for another destination); with `assumeMatched`, matches not known count
 * as matched (one side of a fork). Statements (mangle, nat, verdicts) run only when every match before
 * them is known to match.
 */
function evalRule(table: NftTable, rule: NftRule, p: Packet, ctx: TraceContext, assumeMatched = false, entry?: number): RuleResult {
  let pending: { unknown: string; match?: boolean } | undefined;
  for (const e of rule.exprs) {
    if (pending && e.kind !== 'match') return pending;
    const lb = e.kind === 'unknown' ? numgenVmap((e as { text: string }).text) : undefined;
    if (lb) {
      // kube-proxy's endpoint choice: a branch per entry (netfilter/trace.ts walks each, like -m statistic)
      if (entry === undefined) return { unknown: `load-balancing not followed: ${(e as { text: string }).text}`, choices: lb.entries.length };
      const en = lb.entries[entry];
      if (!en) return 'nomatch';
      return { kind: en.kind, target: en.target };
    }
    // a side effect must not run on a packet this walk will drop as not matching
    const r = evalExpr(table, e, p, ctx);
    if (r === true) continue;
    if (r === false) return 'nomatch';
    if (typeof r === 'object' && 'unknown' in r && r.match) {
      if (assumeMatched) continue;
      pending ??= r;
      continue;
    }
    return r;
  }
  return pending ?? 'continue';
}

/** `numgen random mod 2 vmap { 0 : goto a, 1 : goto b }` (kube-proxy's nftables mode picks an endpoint so): its entries */
function numgenVmap(text: string): { entries: { kind: string; target?: string }[] } | undefined {
  const m = /^numgen (?:random|inc) mod (\d+)(?: offset \d+)? vmap \{(.*)\}$/.exec(text.trim());
  if (!m) return undefined;
  const entries = m[2]
    .split(',')
    .map((x) => /^\s*\d+\s*:\s*(goto|jump|accept|drop)\s*(\S+)?\s*$/.exec(x))
    .map((x) => (x ? { kind: x[1], target: x[2] } : undefined));
  if (entries.length === 0 || entries.some((x) => !x)) return undefined;
  return { entries: entries as { kind: string; target?: string }[] };
}

/** The reason a rule's matches are not known for this packet (to name a forked rule), if they are not. */
function unknownOf(table: NftTable, rule: NftRule, p: Packet, ctx: TraceContext): string | undefined {
  const probe: Packet = { ...p };
  for (const e of rule.exprs) {
    if (e.kind !== 'match' && e.kind !== 'vmap') continue;
    const r = e.kind === 'match' ? evalExpr(table, e, probe, ctx) : true;
    if (typeof r === 'object' && 'unknown' in r) return r.unknown;
  }
  return undefined;
}

function evalExpr(table: NftTable, e: NftExpr, p: Packet, ctx: TraceContext): boolean | RuleResult {
  switch (e.kind) {
    case 'counter':
    case 'log':
    case 'limit':
      return true;
    case 'mangle': {
      if (e.key !== 'meta mark') return true;
      const mark = markValue(e.value, p.mark);
      if (mark === undefined) return { unknown: `meta mark set ${e.value} not modelled` };
      p.mark = mark;
      return true;
    }
    case 'verdict':
      // `reject with tcp reset` carries a hidden `meta l4proto tcp` (nft elides it from listings): only TCP matches
      if (e.verdict.kind === 'reject' && /tcp reset/.test(e.verdict.rejectWith ?? '') && p.protocol !== 'tcp') return 'nomatch';
      if (e.verdict.kind === 'reject' && isIpv6(p)) {
        // likewise `reject with icmp ...` in an inet table is for IPv4 only (a hidden `meta nfproto ipv4`); a plain reject sends ICMPv6 port unreachable
        if (/^icmp\s/.test(e.verdict.rejectWith ?? '')) return 'nomatch';
        return { kind: 'reject', rejectWith: e.verdict.rejectWith ?? 'icmpv6 port-unreachable' };
      }
      return { kind: e.verdict.kind, target: e.verdict.target, rejectWith: e.verdict.rejectWith };
    case 'nat':
      // `dnat ip to` / `snat ip to` in an inet table carry a hidden `meta nfproto ipv4`: not for an IPv6 packet
      if (isIpv6(p) && e.nat.family === 'ip') return 'nomatch';
      if (e.nat.kind === 'dnat' && e.nat.to) {
        p.dst = e.nat.to;
        if (e.nat.ports && /^\d+$/.test(e.nat.ports)) p.dport = Number(e.nat.ports);
        p.dnat = true;
      }
      // conntrack keeps the first source NAT of a connection; a masquerade takes the out interface's address
      if (!p.snat && e.nat.kind === 'snat') p.snat = { to: e.nat.to?.split('-')[0] };
      if (!p.snat && e.nat.kind === 'masquerade') p.snat = { masquerade: true };
      return { kind: 'accept' };
    case 'vmap': {
      const entries = e.entries ?? (e.setRef ? (findSet(table, e.setRef) as { entries?: { key: NftValue; verdict: { kind: string; target?: string; rejectWith?: string } }[] } | undefined)?.entries : undefined);
      if (!entries) return { unknown: `verdict map @${e.setRef} not found` };
      // an empty map gives no verdict, whatever the key (kube-proxy's maps are empty until a service needs them)
      if (entries.length === 0) return true;
      const key = fieldOf(e.key, p, ctx);
      if (key === 'unknown') return { unknown: `vmap key ${e.key} not modelled` };
      // the key does not apply to this packet (a tcp port of a udp packet): the rule does not match
      if (key === undefined) return false;
      for (const en of entries) {
        const hit = valueMatches(en.key, key, e.key, table);
        if (hit === 'unknown') return { unknown: `vmap key ${e.key}: element ${textOfValue(en.key)} not modelled` };
        if (hit) return { kind: en.verdict.kind, target: en.verdict.target, rejectWith: en.verdict.rejectWith };
      }
      return true;
    }
    case 'match': {
      const key = fieldOf(e.key, p, ctx);
      if (key === 'unknown') {
        // an unknown input interface is still not lo when the packet comes from another host (`iif "lo" accept`)
        const lo = loopbackMatch(e.key, e.value.kind === 'value' ? String(e.value.value) : undefined, p, ctx);
        if (lo !== undefined && (e.op === '==' || e.op === '!=')) return e.op === '==' ? lo : !lo;
        return { unknown: `match on ${e.key} not modelled`, match: true };
      }
      // a key of another protocol carries an implicit dependency (`tcp dport != 22` is only for tcp): no match, whatever the operator
      if (key === undefined) return false;
      let v: string | number = key;
      if (e.mask !== undefined && typeof v === 'number') v = (v & Number(e.mask)) >>> 0;
      const hit = valueMatches(e.value, v, e.key, table);
      if (hit === 'unknown') return { unknown: `value of ${e.key} not modelled`, match: true };
      if (e.op === '==') return hit;
      if (e.op === '!=') return !hit;
      if (typeof v !== 'number' || e.value.kind !== 'value') return { unknown: `comparison on ${e.key}`, match: true };
      const n = Number(e.value.value);
      return e.op === '<' ? v < n : e.op === '>' ? v > n : e.op === '<=' ? v <= n : v >= n;
    }
    case 'xt':
      return { unknown: `iptables-nft expression xt ${e.name}` };
    default:
      return { unknown: `expression not modelled: ${(e as { text?: string }).text ?? (e as { kind: string }).kind}` };
  }
}

/**
 * `meta mark set <value>`: a number, or the mark combined with numbers left to right (`mark or
 * 0x4000`, `mark and 0xffffdfff`, `mark xor 0x4000`; the listing's `|`, `&`, `^` are read as those).
 * undefined when the value is something else (ct mark, a map).
 */
export function markValue(value: string, mark: number): number | undefined {
  const toks = value.trim().replace(/\b(meta\s+)?mark\b/g, 'mark').split(/\s+/).filter(Boolean);
  const num = (t: string | undefined) => (t !== undefined && /^(0x[0-9a-f]+|\d+)$/i.test(t) ? Number(t) >>> 0 : undefined);
  let acc = toks[0] === 'mark' ? mark >>> 0 : num(toks[0]);
  if (acc === undefined) return undefined;
  for (let i = 1; i < toks.length; i += 2) {
    const n = num(toks[i + 1]);
    if (n === undefined) return undefined;
    switch (toks[i]) {
      case 'or':
      case '|':
        acc = (acc | n) >>> 0;
        break;
      case 'and':
      case '&':
        acc = (acc & n) >>> 0;
        break;
      case 'xor':
      case '^':
        acc = (acc ^ n) >>> 0;
        break;
      default:
        return undefined;
    }
  }
  return acc;
}

function textOfValue(v: NftValue): string {
  switch (v.kind) {
    case 'value':
      return v.value;
    case 'range':
      return `${v.from}-${v.to}`;
    case 'set':
      return `{ ${v.elements.map(textOfValue).join(', ')} }`;
    case 'setRef':
      return `@${v.name}`;
  }
}

/**
 * The packet's value for a match key; undefined when the key does not apply (a tcp key on udp);
 * 'unknown' when not modelled. A concatenation (`ip daddr . meta l4proto . th dport`) gives its
 * parts joined by ` . `.
 */
function fieldOf(key: string, p: Packet, ctx: TraceContext): string | number | undefined | 'unknown' {
  if (key.includes(' . ')) {
    const parts = key.split(' . ').map((k) => fieldOf(k.trim(), p, ctx));
    if (parts.some((x) => x === undefined)) return undefined;
    if (parts.some((x) => x === 'unknown')) return 'unknown';
    return parts.join(' . ');
  }
  const [proto, field] = key.split(' ');
  switch (key) {
    case 'iifname':
    case 'iif':
      return p.inInterface ?? 'unknown';
    case 'oifname':
    case 'oif':
      return p.outInterface ?? 'unknown';
    case 'ip saddr':
      return isIpv6(p) ? undefined : p.src;
    case 'ip daddr':
      return isIpv6(p) ? undefined : p.dst;
    case 'ip6 saddr':
      return isIpv6(p) ? p.src : undefined;
    case 'ip6 daddr':
      return isIpv6(p) ? p.dst : undefined;
    case 'meta l4proto':
      return p.protocol;
    case 'ip protocol':
      return isIpv6(p) ? undefined : p.protocol;
    case 'ip6 nexthdr':
      return isIpv6(p) ? p.protocol : undefined;
    case 'meta nfproto':
      return isIpv6(p) ? 'ipv6' : 'ipv4';
    case 'ct state':
      return p.state;
    case 'ct status':
      return p.dnat ? 'dnat' : '';
    case 'ct original ip saddr':
    case 'ct original ip6 saddr':
    case 'ct original saddr':
      return originalSource(p) ?? 'unknown';
    case 'ct original ip daddr':
    case 'ct original ip6 daddr':
    case 'ct original daddr':
      return originalDestination(p) ?? 'unknown';
    case 'meta mark':
      return p.mark;
    case 'fib daddr type':
      if (isIpv6(p)) return isLocal6(p.dst, ctx) ? 'local' : addressIn(p.dst, 'ff00::/8') ? 'multicast' : 'unicast';
      if (ctx.localAddresses.includes(p.dst) || addressIn(p.dst, '127.0.0.0/8')) return 'local';
      // the limited broadcast and the node's subnets' broadcast addresses are RTN_BROADCAST, 224.0.0.0/4 RTN_MULTICAST
      return destinationKind(p.dst, ctx) === 'multicast' ? 'multicast' : destinationKind(p.dst, ctx) ? 'broadcast' : 'unicast';
    case 'meta pkttype': {
      // nft names PACKET_HOST `host` (`unicast` is accepted for it)
      const t = packetType(p, ctx);
      return t === 'unicast' ? 'host' : t;
    }
    case 'icmp type':
      return p.protocol === 'icmp' ? (p.icmpType ?? 8) : undefined;
    case 'icmp code':
      return p.protocol === 'icmp' ? (p.icmpCode ?? 0) : undefined;
    case 'icmpv6 type':
      return p.protocol === 'ipv6-icmp' ? (p.icmpType ?? ICMP6_ECHO_REQUEST) : undefined;
    case 'icmpv6 code':
      return p.protocol === 'ipv6-icmp' ? (p.icmpCode ?? 0) : undefined;
  }
  if ((proto === 'tcp' || proto === 'udp' || proto === 'th' || proto === 'sctp') && (field === 'dport' || field === 'sport')) {
    if (proto !== 'th' && proto !== p.protocol) return undefined;
    const port = field === 'dport' ? p.dport : p.sport;
    return port ?? 'unknown';
  }
  // keys of another family or protocol do not apply to the packet (the rule does not match)
  if (isIpv6(p) ? proto === 'ip' || proto === 'icmp' || proto === 'igmp' : proto === 'ip6' || proto === 'icmpv6' || key === 'meta nfproto ipv6') return undefined;
  if (['icmp', 'igmp', 'ah', 'esp', 'comp', 'dccp', 'udplite', 'sctp'].includes(proto) && p.protocol !== proto) return undefined;
  return 'unknown';
}

function valueMatches(v: NftValue, actual: string | number, key: string, table: NftTable): boolean | 'unknown' {
  if (key.includes(' . ')) return concatMatches(v, String(actual), key, table);
  switch (v.kind) {
    case 'value':
      return scalarMatches(v.value, actual, key);
    case 'range': {
      if (typeof actual === 'number') return actual >= Number(v.from) && actual <= Number(v.to);
      if (parseIp(String(actual))?.family === 6) return inIpRange(String(actual), v.from, v.to);
      return addressIn(String(actual), `${v.from}/32`) || inIpRange(String(actual), v.from, v.to);
    }
    case 'set':
      for (const el of v.elements) {
        const r = valueMatches(el, actual, key, table);
        if (r === true) return true;
        if (r === 'unknown') return 'unknown';
      }
      return false;
    case 'setRef': {
      const set = findSet(table, v.name) as { elements?: NftValue[] } | undefined;
      if (!set?.elements) return 'unknown';
      return valueMatches({ kind: 'set', elements: set.elements }, actual, key, table);
    }
  }
}

/** An element of a concatenated key (`10.96.0.10 . udp . 53`, ranges and prefixes per part) against the packet's parts. */
function concatMatches(v: NftValue, actual: string, key: string, table: NftTable): boolean | 'unknown' {
  if (v.kind === 'set') {
    let unknown = false;
    for (const el of v.elements) {
      const r = concatMatches(el, actual, key, table);
      if (r === true) return true;
      if (r === 'unknown') unknown = true;
    }
    return unknown ? 'unknown' : false;
  }
  if (v.kind === 'setRef') {
    const set = findSet(table, v.name) as { elements?: NftValue[]; entries?: { key: NftValue }[] } | undefined;
    const els = set?.elements ?? set?.entries?.map((e) => e.key);
    if (!els) return 'unknown';
    return concatMatches({ kind: 'set', elements: els }, actual, key, table);
  }
  if (v.kind !== 'value') return 'unknown';
  const keys = key.split(' . ').map((k) => k.trim());
  const want = v.value.split(/\s+\.\s+/);
  const have = actual.split(' . ');
  if (want.length !== keys.length || have.length !== keys.length) return 'unknown';
  for (let i = 0; i < keys.length; i++) {
    const a = have[i];
    const k = keys[i];
    const w = want[i];
    const num = /^\d+$/.test(a) ? Number(a) : undefined;
    const range = /^([^-\s]+)-([^-\s]+)$/.exec(w);
    let ok: boolean;
    if (range && num !== undefined) ok = num >= Number(range[1]) && num <= Number(range[2]);
    else if (range) ok = inIpRange(a, range[1], range[2]);
    else ok = scalarMatches(w, num ?? a, k);
    if (!ok) return false;
  }
  return true;
}

/**
 * `iif "lo"` / `iifname "lo"` for a packet whose input interface is not known: false when its source is no
 * address of the node (a packet from another host or a container never arrives on lo); undefined when it
 * cannot be told.
 */
function loopbackMatch(key: string, expected: string | undefined, p: Packet, ctx: TraceContext): boolean | undefined {
  if ((key !== 'iif' && key !== 'iifname') || p.inInterface !== undefined || expected?.replace(/^"|"$/g, '') !== 'lo') return undefined;
  return arrivesOnLoopback(p, ctx) === false ? false : undefined;
}

function scalarMatches(expected: string, actual: string | number, key: string): boolean {
  if (typeof actual === 'number' && (key === 'icmp type' || key === 'icmp code')) return nftIcmpNumber(expected, key === 'icmp type' ? 'type' : 'code') === actual;
  if (typeof actual === 'number' && (key === 'icmpv6 type' || key === 'icmpv6 code')) return nftIcmp6Number(expected, key === 'icmpv6 type' ? 'type' : 'code') === actual;
  if (typeof actual === 'number') {
    if (/^0x[0-9a-f]+$/i.test(expected) || /^\d+$/.test(expected)) return Number(expected) === actual;
    return false;
  }
  if (key === 'meta pkttype') return (expected === 'unicast' ? 'host' : expected) === actual;
  if (key === 'ct state' || key === 'ct status') return expected.split(',').map((s) => s.trim()).includes(actual);
  if (key === 'iifname' || key === 'oifname' || key === 'iif' || key === 'oif') {
    const e = expected.replace(/^"|"$/g, '');
    return e.endsWith('*') ? actual.startsWith(e.slice(0, -1)) : e === actual;
  }
  if (parseIp(actual)?.family === 6 && (key === 'ip6 saddr' || key === 'ip6 daddr' || /^ct original (ip6 )?[sd]addr$/.test(key))) return addressIn(actual, expected);
  if (key === 'ip saddr' || key === 'ip daddr' || /^ct original (ip )?[sd]addr$/.test(key)) return addressIn(actual, expected.includes('/') ? expected : `${expected}/32`);
  if (actual === 'ipv6-icmp' && (key === 'meta l4proto' || key === 'ip6 nexthdr')) return ['ipv6-icmp', 'icmpv6', '58'].includes(expected);
  if (key === 'meta l4proto' || key === 'ip protocol' || key === 'ip6 nexthdr') return expected === actual || (expected === '6' && actual === 'tcp') || (expected === '17' && actual === 'udp') || (expected === '1' && actual === 'icmp');
  return expected === actual;
}

function inIpRange(ip: string, from: string, to: string): boolean {
  const [a, lo, hi] = [parseIp(ip), parseIp(from), parseIp(to)];
  if (a?.family === 6) return lo?.family === 6 && hi?.family === 6 && a.value >= lo.value && a.value <= hi.value;
  const n = (x: string) => x.split('.').reduce((a, o) => a * 256 + Number(o), 0);
  return n(ip) >= n(from) && n(ip) <= n(to);
}

function stepOf(table: NftTable, chain: NftChain, rule: NftRule): NftStep {
  return { family: table.family, table: table.name, chain: chain.name, index: rule.index, text: rule.text, file: rule.ref.file, line: rule.ref.line };
}

function policyStep(table: NftTable, chain: NftChain): NftStep {
  // the line where the policy is written (`type filter hook forward priority 0; policy drop;`), else the chain's
  return { family: table.family, table: table.name, chain: chain.name, index: 0, text: `policy ${chain.policy ?? 'accept'}`, file: chain.ref.file, line: chain.policyLine ?? chain.ref.line };
}
