/**
 * Interfaces and their addresses from every shape `ip addr` takes in bundles: `ip a` / `ip addr
 * show`, `ip -d address` (vxlan, bridge, veth details), one-line `ip -o addr` (sosreport's
 * `ip_addr`), `ip -br addr`, `ifconfig`, and grep fragments such as
 * `inet 10.10.1.0/32 scope global flannel.1` pasted in tickets.
 */
import { SkipFile, excerpt as capped, lines, type ParseWarning, type SourceRef } from '../model/source.js';
import { networkOf } from './cidr.js';

export interface Address {
  family: 4 | 6;
  /** the address with its prefix as written: 10.244.1.1/24 */
  cidr: string;
  address: string;
  prefix: number;
  /** the network it sits in: 10.244.1.0/24 */
  network: string;
  scope?: string;
  broadcast?: string;
  label?: string;
  /** dadfailed, tentative, secondary, dynamic, noprefixroute ... */
  flags: string[];
  ref: SourceRef;
  excerpt: string;
}

export interface Interface {
  name: string;
  index?: number;
  /** `veth1a2b@if5` -> if5; `eth0@if28` in a container */
  peer?: string;
  flags: string[];
  mtu?: number;
  state?: string;
  master?: string;
  linkType?: string;
  mac?: string;
  /** from `ip -d`: vxlan, bridge, veth, bond, ... */
  kind?: string;
  vxlan?: { id?: number; local?: string; dev?: string; port?: number; /** metadata mode (`external`: Cilium's cilium_vxlan), the VNI set per packet */ external?: boolean };
  addresses: Address[];
  ref: SourceRef;
}

export interface InterfaceList {
  file: string;
  format: 'ip' | 'ip-oneline' | 'ip-brief' | 'ifconfig' | 'fragment';
  interfaces: Interface[];
  warnings: ParseWarning[];
}

const HEADER = /^(\d+):\s+([^:@\s]+)(?:@([^:\s]+))?:\s+<([^>]*)>(.*)$/;
const ONELINE = /^(\d+):\s+([^\s@]+)(?:@(\S+))?\s+(inet6?)\s+(\S+)(.*)$/;
const INET = /^\s*(inet6?)\s+([0-9a-fA-F.:]+(?:\/\d+)?)(.*)$/;
const IFCONFIG_HEADER = /^([A-Za-z0-9_.:@-]+?):?\s+(?:flags=\d+<([^>]*)>\s+mtu\s+(\d+)|Link encap:)/;
const ADDRESS_FLAGS = new Set(['dadfailed', 'tentative', 'secondary', 'dynamic', 'noprefixroute', 'deprecated', 'permanent', 'temporary', 'mngtmpaddr', 'home', 'nodad', 'optimistic']);

export function parseInterfaces(text: string, file: string): InterfaceList {
  const all = lines(text);
  const head = all.slice(0, 60).join('\n');
  if (/^\d+:\s+\S+\s+inet6?\s/m.test(head) && !/^\d+:\s+\S+:\s+</m.test(head)) return parseOneLine(all, file);
  if (/^\d+:\s+\S+:\s+</m.test(head)) return parseFull(all, file);
  if (/^\S+:?\s+flags=\d+</m.test(head) || /Link encap:/.test(head)) return parseIfconfig(all, file);
  if (/^\S+\s+(UP|DOWN|UNKNOWN|LOWERLAYERDOWN|DORMANT)\s/m.test(head)) return parseBrief(all, file);
  if (/^\s*inet6?\s+[0-9a-fA-F.:]+\/\d+.*\s\S+\s*$/m.test(head)) return parseFragments(all, file);
  throw new SkipFile(file, 'no ip addr output');
}

function address(family: string, cidr: string, rest: string, ref: SourceRef, excerpt: string): Address | undefined {
  const [addr, p] = cidr.split('/');
  const fam: 4 | 6 = family === 'inet6' ? 6 : 4;
  const prefix = p === undefined ? (fam === 4 ? 32 : 128) : Number(p);
  const full = `${addr}/${prefix}`;
  const network = networkOf(full);
  if (!network) return undefined;
  // one-line output continues after a backslash with lifetimes: not part of the address
  const words = rest.split('\\')[0].trim().split(/\s+/).filter(Boolean);
  const a: Address = { family: fam, cidr: full, address: addr, prefix, network, flags: [], ref, excerpt: capped(excerpt.trim().replace(/\\\s+valid_lft.*$/, '')) };
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w === 'scope') a.scope = words[++i];
    else if (w === 'brd') a.broadcast = words[++i];
    else if (w === 'peer') i++;
    else if (ADDRESS_FLAGS.has(w)) a.flags.push(w);
    else if (w === 'valid_lft' || w === 'preferred_lft') i++;
    else if (w.startsWith('\\')) break;
    else if (i === words.length - 1 || words[i + 1]?.startsWith('\\')) a.label = w;
  }
  return a;
}

function parseFull(all: string[], file: string): InterfaceList {
  const out: InterfaceList = { file, format: 'ip', interfaces: [], warnings: [] };
  let cur: Interface | undefined;
  for (let i = 0; i < all.length; i++) {
    const raw = all[i];
    if (raw.length > 8192) continue;
    const ref = { file, line: i + 1 };
    const h = HEADER.exec(raw);
    if (h) {
      cur = { name: h[2], index: Number(h[1]), peer: h[3], flags: h[4].split(',').filter(Boolean), addresses: [], ref };
      const rest = h[5].trim().split(/\s+/);
      for (let j = 0; j < rest.length; j++) {
        if (rest[j] === 'mtu') cur.mtu = Number(rest[++j]);
        else if (rest[j] === 'state') cur.state = rest[++j];
        else if (rest[j] === 'master') cur.master = rest[++j];
      }
      out.interfaces.push(cur);
      continue;
    }
    if (!cur) continue;
    const t = raw.trim();
    const inet = INET.exec(raw);
    if (inet) {
      const a = address(inet[1], inet[2], inet[3], ref, t);
      if (a) cur.addresses.push(a);
      continue;
    }
    const link = /^link\/(\S+)(?:\s+(\S+))?/.exec(t);
    if (link) {
      cur.linkType = link[1];
      if (link[2] && /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(link[2])) cur.mac = link[2];
      continue;
    }
    // ip -d detail lines
    // `vxlan id 4096 ...`, and a metadata-mode device's `vxlan external id 0 ...` (Cilium's cilium_vxlan; iproute2
    // prints `external` before the id, and no id where the device has none)
    const vx = /^vxlan((?: external)?(?: id \d+)?)\b(.*)$/.exec(t);
    if (vx && (vx[1] !== '' || /^\s+(?:srcport|dstport|local|remote|dev)\b/.test(vx[2]))) {
      cur.kind = 'vxlan';
      const w = vx[2].trim().split(/\s+/);
      const id = /id (\d+)/.exec(vx[1]);
      cur.vxlan = { ...(id ? { id: Number(id[1]) } : {}), ...(vx[1].includes('external') ? { external: true } : {}) };
      for (let j = 0; j < w.length; j++) {
        if (w[j] === 'local') cur.vxlan.local = w[++j];
        else if (w[j] === 'dev') cur.vxlan.dev = w[++j];
        else if (w[j] === 'dstport') cur.vxlan.port = Number(w[++j]);
      }
      continue;
    }
    const kind = /^(bridge|veth|bond|dummy|vlan|macvlan|ipvlan|tun|tap|geneve|wireguard|ipip|gre|openvswitch|bridge_slave|bond_slave)\b/.exec(t);
    if (kind && !cur.kind) cur.kind = kind[1] === 'bridge_slave' || kind[1] === 'bond_slave' ? cur.kind : kind[1];
  }
  if (out.interfaces.length === 0) throw new SkipFile(file, 'no interfaces');
  return out;
}

function parseOneLine(all: string[], file: string): InterfaceList {
  const out: InterfaceList = { file, format: 'ip-oneline', interfaces: [], warnings: [] };
  const byName = new Map<string, Interface>();
  for (let i = 0; i < all.length; i++) {
    const raw = all[i];
    const m = ONELINE.exec(raw);
    if (!m) continue;
    const ref = { file, line: i + 1 };
    let itf = byName.get(m[2]);
    if (!itf) {
      itf = { name: m[2], index: Number(m[1]), peer: m[3], flags: [], addresses: [], ref };
      byName.set(m[2], itf);
      out.interfaces.push(itf);
    }
    const a = address(m[4], m[5], m[6], ref, raw);
    if (a) itf.addresses.push(a);
  }
  if (out.interfaces.length === 0) throw new SkipFile(file, 'no ip -o addr lines');
  return out;
}

function parseBrief(all: string[], file: string): InterfaceList {
  const out: InterfaceList = { file, format: 'ip-brief', interfaces: [], warnings: [] };
  for (let i = 0; i < all.length; i++) {
    const w = all[i].trim().split(/\s+/);
    if (w.length < 2 || !/^(UP|DOWN|UNKNOWN|LOWERLAYERDOWN|DORMANT|NOTPRESENT|TESTING)$/.test(w[1])) continue;
    const ref = { file, line: i + 1 };
    const [name, peer] = w[0].split('@');
    const itf: Interface = { name, peer, state: w[1], flags: [], addresses: [], ref };
    for (const c of w.slice(2)) {
      if (!c.includes('/')) continue;
      const a = address(c.includes(':') ? 'inet6' : 'inet', c, '', ref, all[i]);
      if (a) itf.addresses.push(a);
    }
    out.interfaces.push(itf);
  }
  if (out.interfaces.length === 0) throw new SkipFile(file, 'no ip -br addr lines');
  return out;
}

function parseIfconfig(all: string[], file: string): InterfaceList {
  const out: InterfaceList = { file, format: 'ifconfig', interfaces: [], warnings: [] };
  let cur: Interface | undefined;
  for (let i = 0; i < all.length; i++) {
    const raw = all[i];
    const ref = { file, line: i + 1 };
    const h = IFCONFIG_HEADER.exec(raw);
    if (h && !/^\s/.test(raw)) {
      cur = { name: h[1], flags: h[2] ? h[2].split(',') : [], mtu: h[3] ? Number(h[3]) : undefined, addresses: [], ref };
      // net-tools < 2.0: `eth0      Link encap:Ethernet  HWaddr 02:42:6e:28:e1:7a`
      const hw = /\bHWaddr ([0-9a-f]{2}(?::[0-9a-f]{2}){5})\b/i.exec(raw);
      if (hw) cur.mac = hw[1];
      out.interfaces.push(cur);
      continue;
    }
    if (!cur) continue;
    // net-tools < 2.0 and BusyBox: the flags and the MTU on a line of their own, `UP BROADCAST RUNNING MULTICAST  MTU:1500  Metric:1`
    const old = cur.mtu === undefined ? /^\s+((?:[A-Z][A-Z_-]*\s+)*)MTU:(\d+)\b/.exec(raw) : null;
    if (old) {
      cur.mtu = Number(old[2]);
      cur.flags = old[1].trim().split(/\s+/).filter(Boolean);
      continue;
    }
    const v4 = /^\s+inet (?:addr:)?(\d+\.\d+\.\d+\.\d+)\s+(?:netmask |Mask:|.*?Mask:)(\d+\.\d+\.\d+\.\d+)/.exec(raw);
    if (v4) {
      const prefix = v4[2].split('.').reduce((n, o) => n + (Number(o) >>> 0).toString(2).split('').filter((b) => b === '1').length, 0);
      const a = address('inet', `${v4[1]}/${prefix}`, '', ref, raw);
      if (a) cur.addresses.push(a);
      continue;
    }
    const v6 = /^\s+inet6 (?:addr:\s*)?([0-9a-fA-F:]+)(?:\/(\d+)|\s+prefixlen (\d+))/.exec(raw);
    if (v6) {
      const a = address('inet6', `${v6[1]}/${v6[2] ?? v6[3]}`, '', ref, raw);
      if (a) cur.addresses.push(a);
      continue;
    }
    const ether = /^\s+ether ([0-9a-f:]{17})/i.exec(raw) ?? /HWaddr ([0-9a-f:]{17})/i.exec(raw);
    if (ether) cur.mac = ether[1];
  }
  if (out.interfaces.length === 0) throw new SkipFile(file, 'no ifconfig output');
  return out;
}

/** `inet 10.10.1.0/32 scope global flannel.1` lines with no interface header: the label names the interface. */
function parseFragments(all: string[], file: string): InterfaceList {
  const out: InterfaceList = { file, format: 'fragment', interfaces: [], warnings: [] };
  const byName = new Map<string, Interface>();
  for (let i = 0; i < all.length; i++) {
    const raw = all[i];
    const m = INET.exec(raw);
    if (!m) continue;
    const ref = { file, line: i + 1 };
    const a = address(m[1], m[2], m[3], ref, raw);
    if (!a || !a.label) {
      out.warnings.push({ file, line: i + 1, message: 'address line names no interface' });
      continue;
    }
    let itf = byName.get(a.label);
    if (!itf) {
      itf = { name: a.label, flags: [], addresses: [], ref };
      byName.set(a.label, itf);
      out.interfaces.push(itf);
    }
    itf.addresses.push(a);
  }
  if (out.interfaces.length === 0) throw new SkipFile(file, 'no inet lines');
  return out;
}

export function sniffInterfaces(head: string): boolean {
  return (
    /^\d+:\s+\S+:\s+<[A-Z_,-]*>\s+mtu\s+\d+/m.test(head) ||
    /^\d+:\s+\S+\s+inet6?\s+[0-9a-fA-F.:]+\/\d+/m.test(head) ||
    /^\S+:?\s+flags=\d+<[A-Z,]*>\s+mtu\s+\d+/m.test(head) ||
    /^\s*inet\s+\d+\.\d+\.\d+\.\d+\/\d+\s+(brd \S+ )?scope \w+/m.test(head) ||
    // net-tools < 2.10 ifconfig
    /^\S+\s+Link encap:/m.test(head) ||
    // `ip -br addr`: name, state, addresses (not `ip -br link`, whose MAC and <flags> follow the state)
    /^\S+\s+(UP|DOWN|UNKNOWN|LOWERLAYERDOWN|DORMANT|NOTPRESENT)\s+(?:[0-9a-fA-F.:]+\/\d+\s*)+$/m.test(head)
  );
}

/**
 * All interfaces of a node across its ip-addr files: the first file that names an interface wins, and
 * what it lacks that a later one shows is taken from there (the `ip -d` details, kind and vxlan, from a
 * separate `ip -d link`; the addresses where the first was `ip link`). The parsed records are not changed:
 * a merged interface is a copy.
 */
export function interfacesOf(lists: InterfaceList[]): Map<string, Interface> {
  const out = new Map<string, Interface>();
  for (const l of lists)
    for (const i of l.interfaces) {
      const had = out.get(i.name);
      if (!had) {
        out.set(i.name, i);
        continue;
      }
      const kind = !had.kind && i.kind;
      const vxlan = !had.vxlan && i.vxlan;
      const addresses = had.addresses.length === 0 && i.addresses.length > 0;
      if (kind || vxlan || addresses) out.set(i.name, { ...had, ...(kind ? { kind: i.kind } : {}), ...(vxlan ? { vxlan: i.vxlan } : {}), ...(addresses ? { addresses: i.addresses } : {}) });
    }
  return out;
}
