/**
 * The packet tracer for native nftables tables (firewalld's `inet firewalld`, Docker 29's
 * `ip docker-bridges`): every base chain on each hook of the packet's path, in priority order
 * across tables and families. iptables-nft's compatibility tables are left to the iptables
 * tracer (the same rules must not be walked twice). A drop in any base chain wins; an accept only
 * ends its own chain. Expressions it does not model give "unknown at rule X".
 */
import { addressIn } from '../parsers/cidr.js';
import { originalDestination, originalSource, type ExtraChain, type Hook, type Packet, type TraceContext, type TraceStep, type Verdict } from '../netfilter/trace.js';
import { nftIcmpNumber } from '../netfilter/icmp.js';
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
 * has their rules, and they must not be walked twice.
 */
export function nftExtraChains(rulesets: readonly NftRuleset[]): (hook: Hook) => ExtraChain[] {
  return (hook) =>
    rulesets
      .flatMap((rs) => baseChainsOnHook(rs, 'ip', hook as NftHook))
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
    const r = evalRule(table, rule, p, ctx);
    if (r === 'nomatch') continue;
    if (typeof r === 'object' && 'unknown' in r) return { verdict: { kind: 'unknown', reason: r.unknown, at: step }, step };
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

type RuleResult = 'nomatch' | 'continue' | { unknown: string } | { kind: string; target?: string; rejectWith?: string };

function evalRule(table: NftTable, rule: NftRule, p: Packet, ctx: TraceContext): RuleResult {
  for (const e of rule.exprs) {
    const r = evalExpr(table, e, p, ctx);
    if (r === true) continue;
    if (r === false) return 'nomatch';
    return r;
  }
  return 'continue';
}

function evalExpr(table: NftTable, e: NftExpr, p: Packet, ctx: TraceContext): boolean | RuleResult {
  switch (e.kind) {
    case 'counter':
    case 'log':
    case 'limit':
      return true;
    case 'mangle':
      if (e.key === 'meta mark') p.mark = Number(e.value) >>> 0;
      return true;
    case 'verdict':
      // `reject with tcp reset` carries a hidden `meta l4proto tcp` (nft elides it from listings): only TCP matches
      if (e.verdict.kind === 'reject' && /tcp reset/.test(e.verdict.rejectWith ?? '') && p.protocol !== 'tcp') return 'nomatch';
      return { kind: e.verdict.kind, target: e.verdict.target, rejectWith: e.verdict.rejectWith };
    case 'nat':
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
      const key = fieldOf(e.key, p, ctx);
      if (key === 'unknown') return { unknown: `vmap key ${e.key} not modelled` };
      // the key does not apply to this packet (a tcp port of a udp packet): the rule does not match
      if (key === undefined) return false;
      const entries = e.entries ?? (e.setRef ? (findSet(table, e.setRef) as { entries?: { key: NftValue; verdict: { kind: string; target?: string; rejectWith?: string } }[] } | undefined)?.entries : undefined);
      if (!entries) return { unknown: `verdict map @${e.setRef} not found` };
      for (const en of entries) if (valueMatches(en.key, key, e.key, table)) return { kind: en.verdict.kind, target: en.verdict.target, rejectWith: en.verdict.rejectWith };
      return true;
    }
    case 'match': {
      const key = fieldOf(e.key, p, ctx);
      if (key === 'unknown') return { unknown: `match on ${e.key} not modelled` };
      // a key of another protocol carries an implicit dependency (`tcp dport != 22` is only for tcp): no match, whatever the operator
      if (key === undefined) return false;
      let v: string | number = key;
      if (e.mask !== undefined && typeof v === 'number') v = (v & Number(e.mask)) >>> 0;
      const hit = valueMatches(e.value, v, e.key, table);
      if (hit === 'unknown') return { unknown: `value of ${e.key} not modelled` };
      if (e.op === '==') return hit;
      if (e.op === '!=') return !hit;
      if (typeof v !== 'number' || e.value.kind !== 'value') return { unknown: `comparison on ${e.key}` };
      const n = Number(e.value.value);
      return e.op === '<' ? v < n : e.op === '>' ? v > n : e.op === '<=' ? v <= n : v >= n;
    }
    case 'xt':
      return { unknown: `iptables-nft expression xt ${e.name}` };
    default:
      return { unknown: `expression not modelled: ${(e as { text?: string }).text ?? (e as { kind: string }).kind}` };
  }
}

/** The packet's value for a match key; undefined when the key does not apply (a tcp key on udp); 'unknown' when not modelled. */
function fieldOf(key: string, p: Packet, ctx: TraceContext): string | number | undefined | 'unknown' {
  const [proto, field] = key.split(' ');
  switch (key) {
    case 'iifname':
    case 'iif':
      return p.inInterface ?? 'unknown';
    case 'oifname':
    case 'oif':
      return p.outInterface ?? 'unknown';
    case 'ip saddr':
      return p.src;
    case 'ip daddr':
      return p.dst;
    case 'meta l4proto':
    case 'ip protocol':
      return p.protocol;
    case 'meta nfproto':
      return 'ipv4';
    case 'ct state':
      return p.state;
    case 'ct status':
      return p.dnat ? 'dnat' : '';
    case 'ct original ip saddr':
    case 'ct original saddr':
      return originalSource(p) ?? 'unknown';
    case 'ct original ip daddr':
    case 'ct original daddr':
      return originalDestination(p) ?? 'unknown';
    case 'meta mark':
      return p.mark;
    case 'fib daddr type':
      return ctx.localAddresses.includes(p.dst) || addressIn(p.dst, '127.0.0.0/8') ? 'local' : 'unicast';
    case 'meta pkttype':
      return 'host';
    case 'icmp type':
      return p.protocol === 'icmp' ? (p.icmpType ?? 8) : undefined;
    case 'icmp code':
      return p.protocol === 'icmp' ? (p.icmpCode ?? 0) : undefined;
  }
  if ((proto === 'tcp' || proto === 'udp' || proto === 'th' || proto === 'sctp') && (field === 'dport' || field === 'sport')) {
    if (proto !== 'th' && proto !== p.protocol) return undefined;
    const port = field === 'dport' ? p.dport : p.sport;
    return port ?? 'unknown';
  }
  // keys of another family or protocol do not apply to this IPv4 packet (the rule does not match)
  if (proto === 'ip6' || proto === 'icmpv6' || key === 'meta nfproto ipv6') return undefined;
  if (['icmp', 'igmp', 'ah', 'esp', 'comp', 'dccp', 'udplite', 'sctp'].includes(proto) && p.protocol !== proto) return undefined;
  return 'unknown';
}

function valueMatches(v: NftValue, actual: string | number, key: string, table: NftTable): boolean | 'unknown' {
  switch (v.kind) {
    case 'value':
      return scalarMatches(v.value, actual, key);
    case 'range': {
      if (typeof actual === 'number') return actual >= Number(v.from) && actual <= Number(v.to);
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

function scalarMatches(expected: string, actual: string | number, key: string): boolean {
  if (typeof actual === 'number' && (key === 'icmp type' || key === 'icmp code')) return nftIcmpNumber(expected, key === 'icmp type' ? 'type' : 'code') === actual;
  if (typeof actual === 'number') {
    if (/^0x[0-9a-f]+$/i.test(expected) || /^\d+$/.test(expected)) return Number(expected) === actual;
    return false;
  }
  if (key === 'ct state' || key === 'ct status') return expected.split(',').map((s) => s.trim()).includes(actual);
  if (key === 'iifname' || key === 'oifname' || key === 'iif' || key === 'oif') {
    const e = expected.replace(/^"|"$/g, '');
    return e.endsWith('*') ? actual.startsWith(e.slice(0, -1)) : e === actual;
  }
  if (key === 'ip saddr' || key === 'ip daddr' || /^ct original (ip )?[sd]addr$/.test(key)) return addressIn(actual, expected.includes('/') ? expected : `${expected}/32`);
  if (key === 'meta l4proto' || key === 'ip protocol') return expected === actual || (expected === '6' && actual === 'tcp') || (expected === '17' && actual === 'udp') || (expected === '1' && actual === 'icmp');
  return expected === actual;
}

function inIpRange(ip: string, from: string, to: string): boolean {
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
