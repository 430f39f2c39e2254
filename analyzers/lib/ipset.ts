/**
 * Decides `-m set --match-set NAME dir[,dir...]` for a traced packet from the ipset listings in the
 * bundle, the way the kernel's ip_set types do (net/netfilter/ipset):
 *
 * - the match gives one direction per dimension (`src`/`dst`): an address, a port (source or
 *   destination port; an ICMP packet's type/code), an interface (`src` the incoming one, `dst` the
 *   outgoing one); fewer directions than the set has dimensions never match;
 * - sets with a network dimension (hash:net, hash:ip,port,net, hash:net,port, hash:net,iface) are
 *   looked up from the longest prefix the set holds to the shortest: the first entry found decides,
 *   and a `nomatch` entry decides "no"; hash:net,iface stops at the first prefix where the network
 *   is listed with any interface (the kernel's multi-match rule), even if none of them is this one;
 * - hash:ip with `netmask` stores networks: the address is masked first;
 * - list:set matches when a member set does, in order, skipping members of the other family.
 *
 * Undefined ("not known", the tracer then walks both ways) when the set is not in a listing, was
 * listed without its members or cut, is of a type or has an option not modelled here (timeouts:
 * what a dynamic set held when listed says little about another moment), or the packet's family is
 * not the set's; never a guess.
 */
import { icmp6TypeMatches, icmpTypeMatches } from '../../src/netfilter/icmp.js';
import type { Packet, TraceContext } from '../../src/netfilter/trace.js';
import { cidrContains, parseCidr, parseIp, type Cidr } from '../../src/parsers/cidr.js';
import type { IpsetList, IpsetMember, IpsetSet } from '../../src/parsers/ipset.js';

export type IpsetDecider = NonNullable<TraceContext['ipset']>;

export interface IpsetMatcherOptions {
  /**
   * Sets created with a timeout: `unknown` (default) decides nothing from them; `as-listed` takes the
   * members as listed (what the kernel held at that moment: how the kernel agreement test uses them).
   */
  timeouts?: 'unknown' | 'as-listed';
}

type Dim = 'ip' | 'net' | 'port' | 'iface';

/** The element's dimensions, per set type. */
const DIMS: Record<string, Dim[]> = {
  'hash:ip': ['ip'],
  'bitmap:ip': ['ip'],
  'hash:net': ['net'],
  'hash:ip,port': ['ip', 'port'],
  'hash:ip,port,ip': ['ip', 'port', 'ip'],
  'hash:ip,port,net': ['ip', 'port', 'net'],
  'hash:net,port': ['net', 'port'],
  'hash:net,iface': ['net', 'iface'],
  'bitmap:port': ['port'],
};

/** list:set cannot hold list:set in the kernel; the bound keeps a hand-made listing from looping. */
const MAX_DEPTH = 4;

type Part =
  | { dim: 'ip' | 'net'; cidr: Cidr }
  | { dim: 'port'; proto?: string; port?: number; icmp?: string }
  | { dim: 'iface'; name: string; physdev: boolean };

interface Entry {
  parts: Part[];
  nomatch: boolean;
  wildcard: boolean;
  member: IpsetMember;
}

type Compiled =
  | { kind: 'unknown'; reason: string }
  | { kind: 'list'; set: IpsetSet; members: string[] }
  | { kind: 'elements'; set: IpsetSet; dims: Dim[]; family?: 4 | 6; netmask?: number; entries: Entry[] };

/**
 * The ipset decider for the tracer (TraceContext['ipset']): from the live listings (a saved
 * configuration is not what the kernel holds); the first complete listing of a set wins.
 */
export function ipsetMatcher(lists: readonly IpsetList[], options: IpsetMatcherOptions = {}): IpsetDecider {
  const byName = new Map<string, IpsetSet>();
  for (const l of lists) {
    if (l.savedConfig) continue;
    for (const s of l.sets) {
      const had = byName.get(s.name);
      if (!had || (!had.complete && s.complete)) byName.set(s.name, s);
    }
  }
  const compiled = new Map<string, Compiled>();
  const compiledOf = (name: string): Compiled | undefined => {
    const set = byName.get(name);
    if (!set) return undefined;
    let c = compiled.get(name);
    if (!c) compiled.set(name, (c = compile(set, options)));
    return c;
  };
  const decide = (name: string, dirs: string[], p: Packet, depth: number, inList: boolean): boolean | undefined => {
    const c = compiledOf(name);
    if (!c || c.kind === 'unknown') return undefined;
    if (c.kind === 'list') {
      if (depth >= MAX_DEPTH) return undefined;
      let unknown = false;
      for (const member of c.members) {
        const r = decide(member, dirs, p, depth + 1, true);
        if (r === true) return true;
        if (r === undefined) unknown = true;
      }
      return unknown ? undefined : false;
    }
    const family = familyOf(p);
    // a member of a list:set of the other family is skipped by the kernel; a set named directly is not known to be this one
    if (c.family !== undefined && family !== c.family) return inList && family !== undefined ? false : undefined;
    if (dirs.length < c.dims.length) return false;
    return matchElements(c, dirs, p);
  };
  return (name, dirs, p) => decide(name, dirs, p, 0, false);
}

function familyOf(p: Packet): 4 | 6 | undefined {
  return parseIp(p.src)?.family ?? parseIp(p.dst)?.family;
}

function compile(set: IpsetSet, options: IpsetMatcherOptions): Compiled {
  if (!set.complete || !set.members) return { kind: 'unknown', reason: set.incomplete ?? 'members not listed' };
  if (set.header.timeout !== undefined && options.timeouts !== 'as-listed') return { kind: 'unknown', reason: 'a set with timeouts (dynamic)' };
  if (set.type === 'list:set') return { kind: 'list', set, members: set.members.map((m) => m.element) };
  const dims = DIMS[set.type];
  if (!dims) return { kind: 'unknown', reason: `type ${set.type} not modelled` };
  const bitmap = set.type.startsWith('bitmap:');
  const family: 4 | 6 | undefined = set.type === 'bitmap:port' ? undefined : bitmap ? 4 : set.header.family === 'inet6' ? 6 : 4;
  const netmask = set.type === 'hash:ip' || set.type === 'bitmap:ip' ? set.header.netmask : undefined;
  const entries: Entry[] = [];
  for (const m of set.members) {
    const texts = m.element.split(',');
    if (texts.length !== dims.length) return { kind: 'unknown', reason: `member ${m.element} does not fit ${set.type}` };
    const parts: Part[] = [];
    for (let i = 0; i < dims.length; i++) {
      const part = parsePart(dims[i], texts[i], family, dims[i] === 'ip' ? netmask : undefined);
      if (!part) return { kind: 'unknown', reason: `member ${m.element} not understood` };
      parts.push(part);
    }
    if (parts.some((x) => x.dim === 'iface' && x.physdev)) return { kind: 'unknown', reason: 'physdev members' };
    entries.push({ parts, nomatch: m.nomatch, wildcard: !!m.wildcard, member: m });
  }
  return { kind: 'elements', set, dims, family, netmask, entries };
}

function parsePart(dim: Dim, text: string, family: 4 | 6 | undefined, netmask: number | undefined): Part | undefined {
  if (dim === 'ip' || dim === 'net') {
    // a hash:ip with netmask lists the masked address; bitmap:ip with netmask may print the prefix
    const c = parseCidr(dim === 'ip' && netmask !== undefined && !text.includes('/') ? `${text}/${netmask}` : text);
    if (!c || (family !== undefined && c.family !== family)) return undefined;
    return { dim, cidr: c };
  }
  if (dim === 'iface') {
    const physdev = text.startsWith('physdev:');
    return { dim, name: physdev ? text.slice('physdev:'.length) : text, physdev };
  }
  if (/^\d+$/.test(text)) return { dim, port: Number(text) };
  const m = /^([\w-]+):(.+)$/.exec(text);
  if (!m) return undefined;
  const proto = m[1].toLowerCase();
  if (proto === 'icmp' || proto === 'ipv6-icmp' || proto === 'icmpv6') return { dim, proto: proto === 'icmp' ? 'icmp' : 'ipv6-icmp', icmp: m[2] };
  if (!/^\d+$/.test(m[2])) return undefined;
  return { dim, proto, port: Number(m[2]) };
}

const PORT_PROTOS = new Set(['tcp', 'udp', 'sctp', 'udplite']);

/** What the packet brings to one dimension, or 'unknown'. */
type Key =
  | { dim: 'ip' | 'net'; addr: Cidr }
  | { dim: 'port'; proto: string; port?: number; icmp?: [number, number] }
  | { dim: 'iface'; name: string };

function packetKey(dim: Dim, dir: string, p: Packet): Key | 'unknown' {
  const src = dir === 'src';
  if (dim === 'ip' || dim === 'net') {
    const addr = parseCidr(src ? p.src : p.dst);
    return addr ? { dim, addr } : 'unknown';
  }
  if (dim === 'iface') {
    const name = src ? p.inInterface : p.outInterface;
    return name ? { dim, name } : 'unknown';
  }
  const proto = (p.protocol ?? '').toLowerCase();
  if (PORT_PROTOS.has(proto)) {
    const port = src ? p.sport : p.dport;
    return port === undefined ? 'unknown' : { dim, proto, port };
  }
  if (proto === 'icmp') return { dim, proto, icmp: [p.icmpType ?? 8, p.icmpCode ?? 0] };
  if (proto === 'icmpv6' || proto === 'ipv6-icmp') return { dim, proto: 'ipv6-icmp', icmp: [p.icmpType ?? 128, p.icmpCode ?? 0] };
  return 'unknown';
}

/** ipset's ICMP names are type/code pairs (`echo-request` is 8/0, not any code of 8). */
function icmpMatches(name: string, v6: boolean, type: number, code: number): boolean | 'unknown' {
  const test = v6 ? icmp6TypeMatches : icmpTypeMatches;
  const numeric = /^(\d+)\/(\d+)$/.exec(name);
  if (numeric) return Number(numeric[1]) === type && Number(numeric[2]) === code;
  const r = test(name, type, code);
  if (r !== true) return r;
  // a name iptables gives for a whole type means its code 0 here
  const anyCode = test(name, type, code === 0 ? 1 : 0) === true;
  return anyCode ? code === 0 : true;
}

function partMatches(part: Part, key: Key, wildcard: boolean): boolean | 'unknown' {
  if (part.dim === 'ip' || part.dim === 'net') return cidrContains(part.cidr, (key as { addr: Cidr }).addr);
  if (part.dim === 'iface') {
    const name = (key as { name: string }).name;
    return wildcard ? name.startsWith(part.name) : name === part.name;
  }
  const k = key as Extract<Key, { dim: 'port' }>;
  const q = part as Extract<Part, { dim: 'port' }>;
  // bitmap:port: a port of any protocol that has one; an ICMP packet's is its type << 8 | code
  if (q.proto === undefined) return k.icmp ? q.port === ((k.icmp[0] << 8) | k.icmp[1]) : q.port === k.port;
  if (q.proto !== k.proto) return false;
  if (k.icmp) return icmpMatches(q.icmp ?? `${q.port}`, k.proto === 'ipv6-icmp', k.icmp[0], k.icmp[1]);
  return q.port === k.port;
}

function matchElements(c: Extract<Compiled, { kind: 'elements' }>, dirs: string[], p: Packet): boolean | undefined {
  const keys: Key[] = [];
  for (let i = 0; i < c.dims.length; i++) {
    const k = packetKey(c.dims[i], dirs[i], p);
    if (k === 'unknown') return undefined;
    keys.push(k);
  }
  const netIndex = c.dims.indexOf('net');
  const hasIface = c.dims.includes('iface');
  // every entry the packet falls in, by each dimension (networks contain the address)
  const hits: Entry[] = [];
  for (const e of c.entries) {
    let all = true;
    for (let i = 0; i < keys.length && all; i++) {
      // the interface is weighed below: the kernel stops at a listed network whatever its interface
      if (c.dims[i] === 'iface') continue;
      const r = partMatches(e.parts[i], keys[i], e.wildcard);
      if (r === 'unknown') return undefined;
      all = r;
    }
    if (all) hits.push(e);
  }
  if (netIndex < 0) {
    // no network dimension: exact elements, no nomatch
    return hits.length > 0;
  }
  if (hits.length === 0) return false;
  const prefixOf = (e: Entry) => (e.parts[netIndex] as { cidr: Cidr }).cidr.prefix;
  const longest = Math.max(...hits.map(prefixOf));
  let atLongest = hits.filter((e) => prefixOf(e) === longest);
  if (hasIface) {
    const ifIndex = c.dims.indexOf('iface');
    atLongest = atLongest.filter((e) => partMatches(e.parts[ifIndex], keys[ifIndex], e.wildcard) === true);
    // the network is listed at this prefix, only with other interfaces: the kernel looks no further
    if (atLongest.length === 0) return false;
  }
  const verdicts = new Set(atLongest.map((e) => !e.nomatch));
  // two entries at one prefix (a wildcard interface and an exact one) that disagree: the kernel takes whichever its hash bucket holds first
  return verdicts.size === 1 ? [...verdicts][0] : undefined;
}
