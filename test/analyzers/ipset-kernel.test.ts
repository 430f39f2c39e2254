/**
 * analyzers/lib/ipset.ts against the kernel: random sets of every modelled type are loaded with the
 * real ipset into a network namespace, listed with `ipset list`, parsed, and for a batch of random
 * elements (half of them near a member) the helper's answer for the equivalent packet must be the
 * kernel's `ipset test`. list:set cannot be asked that way (`ipset test` of a list:set names a
 * member set): its answer must be what the kernel says of its member sets, in order, of the
 * packet's family. Skips cleanly where namespaces cannot be made or ipset is missing.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Packet } from '../../src/netfilter/trace.js';
import { formatCidr, parseCidr } from '../../src/parsers/cidr.js';
import { parseIpset } from '../../src/parsers/ipset.js';
import { ipsetMatcher, type IpsetDecider } from '../../analyzers/lib/ipset.js';

const NS = `ips${process.pid}`;

function probe(): boolean {
  const ns = `ips${process.pid}p`;
  try {
    execFileSync('ip', ['netns', 'add', ns], { stdio: 'ignore' });
    try {
      execFileSync('ip', ['netns', 'exec', ns, 'ipset', 'list'], { stdio: 'ignore' });
      return true;
    } finally {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    }
  } catch {
    return false;
  }
}
const canRun = probe();

const ipset = (args: string[], input?: string) => execFileSync('ip', ['netns', 'exec', NS, 'ipset', ...args], { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });

/** `ipset test` of each element: true in, false not in; anything else (a syntax error) throws. */
function kernelTest(set: string, elements: string[]): boolean[] {
  const script = `while IFS= read -r e; do r=$(ipset test ${set} "$e" 2>&1); echo "$?	$r"; done`;
  const out = execFileSync('ip', ['netns', 'exec', NS, 'sh', '-c', script], { input: elements.join('\n') + '\n', encoding: 'utf8', maxBuffer: 64 << 20 });
  return out.trimEnd().split('\n').map((l, i) => {
    const [code, msg] = l.split('\t');
    if (code === '0') return true;
    if (/is NOT in set/.test(msg)) return false;
    throw new Error(`ipset test ${set} ${elements[i]}: ${msg}`);
  });
}

/** mulberry32: the same sets and elements on every run. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)] };
}
type R = ReturnType<typeof rng>;

const v4 = (r: R) => `10.${r.int(3)}.${r.int(4)}.${r.int(256)}`;
const v6 = (r: R) => `2001:db8:${r.int(3).toString(16)}:${r.int(4).toString(16)}::${r.int(256).toString(16)}`;
const net4 = (r: R) => formatCidr(parseCidr(`${v4(r)}/${r.pick([8, 12, 15, 16, 20, 23, 24, 24, 26, 28, 30, 32])}`)!);
const net6 = (r: R) => formatCidr(parseCidr(`${v6(r)}/${r.pick([32, 40, 47, 48, 56, 64, 64, 100, 120, 128])}`)!);
/** An address inside a network (half the elements fall into a member, to hit nomatch and longest-match). */
function inside(r: R, cidr: string): string {
  const c = parseCidr(cidr)!;
  const bits = c.family === 4 ? 32 : 128;
  let host = 0n;
  for (let i = 0; i < bits - c.prefix; i++) if (r.next() < 0.5) host |= 1n << BigInt(i);
  const v = c.network | host;
  if (c.family === 4) return [24, 16, 8, 0].map((s) => Number((v >> BigInt(s)) & 255n)).join('.');
  return formatCidr({ family: 6, network: v, prefix: 128, text: '' }).replace(/\/128$/, '');
}
const PORTS = [22, 53, 80, 443, 8080];
const protoPort = (r: R, v6fam = false) => (r.next() < 0.15 ? (v6fam ? `icmpv6:${r.pick(['128/0', '129/0', '1/4'])}` : `icmp:${r.pick(['8/0', '0/0', '3/3', '8/1'])}`) : `${r.pick(['tcp', 'udp', 'sctp'])}:${r.pick(PORTS)}`);
const IFACES = ['eth0', 'eth1', 'docker0'];

/** The ICMP names ipset lists (type/code pairs), for the elements taken from a listing. */
const ICMP_NAMES: Record<string, string> = { 'echo-request': '8/0', 'echo-reply': '0/0', 'port-unreachable': '3/3' };
const ICMP6_NAMES: Record<string, string> = { 'echo-request': '128/0', 'echo-reply': '129/0', 'port-unreachable': '1/4' };

type Dir = 'src' | 'dst';
const other = (d: Dir): Dir => (d === 'src' ? 'dst' : 'src');

/** The packet an element of this type stands for, with directions that give each dimension its own field. */
function packetFor(type: string, element: string, r: R): { dirs: Dir[]; p: Packet } {
  const parts = element.split(',');
  const family6 = parts[0].includes(':') && !/^\d+$/.test(parts[0]);
  const p: Packet = { src: family6 ? '2001:db8:ffff::1' : '192.0.2.1', dst: family6 ? '2001:db8:ffff::2' : '192.0.2.2', protocol: 'tcp', sport: 40000, dport: 40001, state: 'new', mark: 0 };
  const dirs: Dir[] = [];
  let addrDir: Dir = r.pick(['src', 'dst'] as const);
  const dims = type === 'bitmap:port' ? ['port'] : type.split(':')[1].split(',');
  dims.forEach((dim, i) => {
    const text = parts[i];
    if (dim === 'ip' || dim === 'net') {
      const addr = text.split('/')[0];
      if (addrDir === 'src') p.src = addr;
      else p.dst = addr;
      dirs.push(addrDir);
      addrDir = other(addrDir);
    } else if (dim === 'port') {
      const d: Dir = r.pick(['src', 'dst'] as const);
      dirs.push(d);
      const m = /^(?:([\w-]+):)?(.+)$/.exec(text)!;
      const proto = m[1] ?? r.pick(['tcp', 'udp']);
      if (proto === 'icmp' || proto === 'icmpv6' || proto === 'ipv6-icmp') {
        const code = (proto === 'icmp' ? ICMP_NAMES : ICMP6_NAMES)[m[2]] ?? m[2];
        const [t, c] = code.split('/').map(Number);
        Object.assign(p, { protocol: proto, icmpType: t, icmpCode: c });
      } else {
        p.protocol = proto;
        if (d === 'src') p.sport = Number(m[2]);
        else p.dport = Number(m[2]);
      }
    } else if (dim === 'iface') {
      const d: Dir = r.pick(['src', 'dst'] as const);
      dirs.push(d);
      if (d === 'src') p.inInterface = text;
      else p.outInterface = text;
    }
  });
  return { dirs, p };
}

interface Case {
  type: string;
  create: string;
  member: (r: R) => string;
  /** an element to test; `near` is a member's text to aim at */
  element: (r: R, near: string | undefined) => string;
  nomatch?: boolean;
  members?: number;
  label?: string;
}

const CASES: Case[] = [
  { type: 'hash:ip', create: 'hash:ip family inet', member: v4, element: (r, n) => n ?? v4(r) },
  { type: 'hash:ip', create: 'hash:ip family inet netmask 24', member: v4, element: (r, n) => (n ? inside(r, `${n}/24`) : v4(r)), members: 5 },
  { type: 'hash:ip', create: 'hash:ip family inet6', member: v6, element: (r, n) => n ?? v6(r) },
  { type: 'hash:ip', create: 'hash:ip family inet timeout 600', member: v4, element: (r, n) => n ?? v4(r) },
  { type: 'hash:net', create: 'hash:net family inet', member: net4, element: (r, n) => (n ? inside(r, n.split(' ')[0]) : v4(r)), nomatch: true, members: 40 },
  { type: 'hash:net', create: 'hash:net family inet6', member: net6, element: (r, n) => (n ? inside(r, n.split(' ')[0]) : v6(r)), nomatch: true, members: 40 },
  { type: 'hash:ip,port', create: 'hash:ip,port family inet', member: (r) => `${v4(r)},${protoPort(r)}`, element: (r, n) => (n && r.next() < 0.7 ? n : `${n ? n.split(',')[0] : v4(r)},${protoPort(r)}`) },
  { type: 'hash:ip,port', create: 'hash:ip,port family inet6', member: (r) => `${v6(r)},${protoPort(r, true)}`, element: (r, n) => (n && r.next() < 0.7 ? n : `${n ? n.split(',')[0] : v6(r)},${protoPort(r, true)}`) },
  {
    type: 'hash:ip,port,ip',
    create: 'hash:ip,port,ip family inet',
    member: (r) => `${v4(r)},${protoPort(r)},${v4(r)}`,
    element: (r, n) => (n && r.next() < 0.6 ? n : n ? `${n.split(',')[0]},${protoPort(r)},${n.split(',')[2]}` : `${v4(r)},${protoPort(r)},${v4(r)}`),
  },
  {
    type: 'hash:ip,port,net',
    create: 'hash:ip,port,net family inet',
    member: (r) => `${r.pick(['10.0.0.1', '10.0.0.2'])},${r.pick(['tcp:80', 'udp:53'])},${net4(r)}`,
    element: (r, n) => (n ? `${n.split(',')[0]},${r.next() < 0.8 ? n.split(',')[1] : 'tcp:443'},${inside(r, n.split(',')[2].split(' ')[0])}` : `10.0.0.1,tcp:80,${v4(r)}`),
    nomatch: true,
    members: 40,
  },
  {
    type: 'hash:net,port',
    create: 'hash:net,port family inet',
    member: (r) => `${net4(r)},${r.pick(['tcp:80', 'udp:53', 'tcp:443'])}`,
    element: (r, n) => (n ? `${inside(r, n.split(',')[0])},${r.next() < 0.8 ? n.split(',')[1].split(' ')[0] : 'udp:80'}` : `${v4(r)},tcp:80`),
    nomatch: true,
    members: 40,
  },
  {
    type: 'hash:net,iface',
    create: 'hash:net,iface family inet',
    member: (r) => `${net4(r)},${r.pick(IFACES)}`,
    element: (r, n) => (n ? `${inside(r, n.split(',')[0])},${r.next() < 0.6 ? n.split(',')[1].split(' ')[0] : r.pick(IFACES)}` : `${v4(r)},${r.pick(IFACES)}`),
    nomatch: true,
    members: 40,
  },
  {
    // wildcard interfaces (a prefix of the name), without nomatch
    type: 'hash:net,iface',
    label: 'hash:net,iface family inet, wildcard interfaces',
    create: 'hash:net,iface family inet',
    member: (r) => `${net4(r)},${r.pick(['eth', 'eth0', 'docker', 'veth'])}${r.next() < 0.5 ? ' wildcard' : ''}`,
    element: (r, n) => (n ? `${inside(r, n.split(',')[0])},${r.pick(['eth0', 'eth1', 'docker0', 'veth12ab', 'eth'])}` : `${v4(r)},${r.pick(IFACES)}`),
    members: 40,
  },
  { type: 'bitmap:port', create: 'bitmap:port range 0-65535', member: (r) => String(r.int(600)), element: (r, n) => n ?? String(r.int(600)) },
  { type: 'bitmap:ip', create: 'bitmap:ip range 10.0.0.0/16', member: (r) => `10.0.${r.int(4)}.${r.int(256)}`, element: (r, n) => n ?? `10.0.${r.int(4)}.${r.int(256)}` },
];

interface Tally {
  agree: number;
  total: number;
  unknown: number;
}
const tally: Record<string, Tally> = {};

describe.skipIf(!canRun)('the ipset helper agrees with the kernel (ipset test in a namespace)', () => {
  beforeAll(() => {
    execFileSync('ip', ['netns', 'add', NS], { stdio: 'ignore' });
  });
  afterAll(() => {
    try {
      execFileSync('ip', ['netns', 'del', NS], { stdio: 'ignore' });
    } catch {
      // already gone
    }
    // the measured agreement, for the record
    console.log(Object.entries(tally).map(([k, t]) => `${k}: ${t.agree}/${t.total} agree, ${t.unknown} unknown`).join('\n'));
  });

  CASES.forEach((c, ci) => {
    for (const round of [0, 1, 2]) {
      it(`${c.label ?? c.create} (round ${round + 1})`, () => {
        const r = rng(1000 * ci + round + 1);
        const name = `s${ci}r${round}`;
        const members = new Set<string>();
        const n = c.members ?? 30;
        for (let i = 0; i < n * 3 && members.size < n; i++) members.add(c.member(r));
        const lines = [`create ${name} ${c.create}`, ...[...members].map((m) => `add ${name} ${m}${c.nomatch && r.next() < 0.35 ? ' nomatch' : ''}`)];
        // -exist: a member that another covers or equals (same key) is not an error
        ipset(['-exist', 'restore'], lines.join('\n') + '\n');
        const listing = parseIpset(ipset(['list', name]), `ipset_list_${name}`);
        const listed = listing.sets[0].members!.map((m) => m.element + (m.nomatch ? ' nomatch' : ''));
        const elements: string[] = [];
        for (let i = 0; i < 120; i++) elements.push(c.element(r, r.next() < 0.6 ? r.pick(listed) : undefined));
        const kernel = kernelTest(name, elements);
        const decide: IpsetDecider = ipsetMatcher([listing], { timeouts: 'as-listed' });
        const t = (tally[c.label ?? c.create] ??= { agree: 0, total: 0, unknown: 0 });
        const disagree: string[] = [];
        elements.forEach((e, i) => {
          const { dirs, p } = packetFor(c.type, e, r);
          const ours = decide(name, dirs, p);
          t.total++;
          if (ours === undefined) t.unknown++;
          else if (ours === kernel[i]) t.agree++;
          else disagree.push(`${e}: kernel ${kernel[i]}, helper ${ours} (${dirs.join(',')})`);
        });
        expect(disagree).toEqual([]);
        expect(t.unknown).toBe(0);
        // some in, some out: the batch says something
        expect(kernel.some(Boolean) && kernel.some((k) => !k)).toBe(true);
        ipset(['destroy', name]);
      });
    }
  });

  it('a timeout set decides nothing unless asked to take the members as listed', () => {
    ipset(['restore'], 'create tmo hash:ip family inet timeout 600\nadd tmo 10.0.0.1\n');
    const listing = parseIpset(ipset(['list', 'tmo']), 'ipset_list_tmo');
    const p: Packet = { src: '10.0.0.1', dst: '192.0.2.1', protocol: 'tcp', sport: 1, dport: 2, state: 'new', mark: 0 };
    expect(ipsetMatcher([listing])('tmo', ['src'], p)).toBeUndefined();
    expect(ipsetMatcher([listing], { timeouts: 'as-listed' })('tmo', ['src'], p)).toBe(true);
    ipset(['destroy', 'tmo']);
  });

  it('list:set: what the kernel says of its member sets, in order, of the packet family', () => {
    const r = rng(77);
    const a = [...new Set(Array.from({ length: 20 }, () => net4(r)))];
    const b = [...new Set(Array.from({ length: 20 }, () => v4(r)))];
    const c6 = [...new Set(Array.from({ length: 20 }, () => net6(r)))];
    const restore = [
      'create la hash:net family inet',
      ...a.map((x, i) => `add la ${x}${i % 3 === 0 ? ' nomatch' : ''}`),
      'create lb hash:ip family inet',
      ...b.map((x) => `add lb ${x}`),
      'create lc hash:net family inet6',
      ...c6.map((x) => `add lc ${x}`),
      'create ll list:set size 8',
      'add ll la',
      'add ll lc',
      'add ll lb',
    ];
    ipset(['-exist', 'restore'], restore.join('\n') + '\n');
    const listing = parseIpset(ipset(['list']), 'ipset_list');
    const decide = ipsetMatcher([listing]);
    const v4s = Array.from({ length: 80 }, () => (r.next() < 0.6 ? inside(r, r.pick([...a, ...b.map((x) => `${x}/32`)])) : v4(r)));
    const v6s = Array.from({ length: 40 }, () => (r.next() < 0.6 ? inside(r, r.pick(c6)) : v6(r)));
    const inA = kernelTest('la', v4s);
    const inB = kernelTest('lb', v4s);
    const inC = kernelTest('lc', v6s);
    const t = (tally['list:set'] ??= { agree: 0, total: 0, unknown: 0 });
    v4s.forEach((x, i) => {
      const ours = decide('ll', ['dst'], { src: '192.0.2.1', dst: x, protocol: 'udp', sport: 1, dport: 2, state: 'new', mark: 0 });
      t.total++;
      if (ours === (inA[i] || inB[i])) t.agree++;
      expect(ours).toBe(inA[i] || inB[i]);
    });
    v6s.forEach((x, i) => {
      const ours = decide('ll', ['src'], { src: x, dst: '2001:db8:ffff::2', protocol: 'udp', sport: 1, dport: 2, state: 'new', mark: 0 });
      t.total++;
      if (ours === inC[i]) t.agree++;
      expect(ours).toBe(inC[i]);
    });
    // the sets go with the namespace (a list:set's members stay referenced a moment after it is destroyed)
  });
});
