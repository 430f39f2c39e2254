/**
 * Linux bridge ports and their hairpin setting, in the shapes a bundle carries them:
 *
 * - `bridge [-d] [-s [-s]] link [show]` (iproute2; sos' networking plugin runs `bridge -s -s -d link show`):
 *   `4: veth1a2b3c4d@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 master cni0 state forwarding priority 32 cost 2`,
 *   with `-d` an indented line after it: `    hairpin on guard off root_block off fastleave off learning on ...`.
 *   Without `-d` the hairpin setting is not shown (undefined, never "off").
 * - `ip -d link` / `ip -s -d link` (sos: `ip -s -d link`): a port's `bridge_slave state forwarding ... hairpin off ...`
 *   line, and each bridge's `promiscuity N` and PROMISC flag (kubelet's promiscuous-bridge mode sets it on cbr0).
 *   The PROMISC flag is what the user (or kubelet) asked for; `promiscuity` also counts what the kernel sets on a
 *   bridge's own ports, so only the flag says a bridge is promiscuous.
 * - hairpin_mode listings: `grep . /sys/class/net/*\/brport/hairpin_mode` (`/sys/class/net/vethX/brport/hairpin_mode:1`),
 *   the loop kubernetes#13375 / #20475 use (`for i in /sys/devices/virtual/net/*\/brif/*; do echo $i $(cat $i/hairpin_mode); done`:
 *   `/sys/devices/virtual/net/cni0/brif/vethX 1`), `grep . /sys/devices/virtual/net/cni0/brif/*\/hairpin_mode`
 *   (`.../brif/vethX/hairpin_mode:0`), and a copy of one such file (`0`) whose bundle path names the port.
 *
 * Every record keeps its {file, line}.
 */
import { excerpt as capped, lines, SkipFile, type ParseWarning, type SourceRef } from '../model/source.js';

export interface BridgePort {
  /** the port's name (`veth1a2b3c4d`), without the `@if2` peer suffix */
  port: string;
  /** `if2` / the peer's name when shown */
  peer?: string;
  /** the bridge it is enslaved to (`master cni0`; a brif path's bridge); undefined where the listing does not say */
  master?: string;
  /** true: hairpin on (hairpin_mode 1); false: off; undefined: the listing does not show it (`bridge link` without -d) */
  hairpin?: boolean;
  /** STP port state: forwarding, blocking, disabled, ... */
  state?: string;
  /** interface flags when shown (`UP`, `LOWER_UP`) */
  flags?: string[];
  ref: SourceRef;
  excerpt: string;
  /** where the hairpin setting itself is shown (the `-d` detail line), when not on the record's own line */
  hairpinRef?: SourceRef;
  hairpinExcerpt?: string;
}

export interface BridgeDevice {
  name: string;
  /** the PROMISC flag: promiscuous mode asked for on the bridge (kubelet's promiscuous-bridge, CNI's promiscMode) */
  promiscuous: boolean;
  /** `promiscuity N` of `ip -d link` */
  promiscuity?: number;
  flags: string[];
  ref: SourceRef;
  excerpt: string;
}

export interface BridgeLinkList {
  file: string;
  format: 'bridge-link' | 'ip-d-link' | 'hairpin-listing';
  /** `bridge link` was run with -d (or the listing is of hairpin_mode itself): a port without `hairpin` is not shown */
  detailed: boolean;
  ports: BridgePort[];
  /** bridges themselves (ip -d link only) */
  bridges: BridgeDevice[];
  warnings: ParseWarning[];
}

const HEADER = /^(\d+):\s+([^:@\s]+)(?:@([^:\s]+))?:\s+<([^>]*)>(.*)$/;
const SYS_BRPORT = /^\/?(?:sys\/class\/net|sys\/devices\/virtual\/net\/[^/\s]+\/brif|sys\/devices\/[^\s]*?\/net)\/([^/\s]+)\/brport\/hairpin_mode\s*[:\s]\s*([01])\s*$/;
const SYS_BRIF = /^\/?sys\/devices\/virtual\/net\/([^/\s]+)\/brif\/([^/\s]+?)(?:\/hairpin_mode)?\s*[:\s]\s*([01])\s*$/;
const SYS_CLASS_BRIF = /^\/?sys\/class\/net\/([^/\s]+)\/brif\/([^/\s]+?)(?:\/hairpin_mode)?\s*[:\s]\s*([01])\s*$/;

function words(rest: string): string[] {
  return rest.trim().split(/\s+/).filter(Boolean);
}

function after(ws: string[], key: string): string | undefined {
  const i = ws.indexOf(key);
  return i >= 0 && i + 1 < ws.length ? ws[i + 1] : undefined;
}

function onOff(v: string | undefined): boolean | undefined {
  return v === 'on' || v === '1' ? true : v === 'off' || v === '0' ? false : undefined;
}

/** A `bridge link` listing, an `ip -d link` listing or a hairpin_mode listing; `relPath` names the port of a bare hairpin_mode copy. */
export function parseBridgeLink(text: string, file: string, relPath = file): BridgeLinkList {
  const all = lines(text);
  if (all.some((l) => /^\s+link\/\S+/.test(l))) return parseIpDetailLink(all, file);
  if (all.some((l) => HEADER.test(l) && /\bmaster\s+\S+/.test(l) && /\bstate\s+\S+/.test(l) && !/\bqdisc\b/.test(l))) return parseBridgeLinkShow(all, file);
  return parseHairpinListing(all, file, relPath);
}

function parseBridgeLinkShow(all: string[], file: string): BridgeLinkList {
  const ports: BridgePort[] = [];
  let detailed = false;
  let last: BridgePort | undefined;
  for (let i = 0; i < all.length; i++) {
    const raw = all[i];
    const h = HEADER.exec(raw);
    if (h) {
      const ws = words(h[5]);
      last = {
        port: h[2],
        ...(h[3] ? { peer: h[3] } : {}),
        master: after(ws, 'master'),
        state: after(ws, 'state'),
        flags: h[4].split(',').filter(Boolean),
        ref: { file, line: i + 1 },
        excerpt: capped(raw),
      };
      // `bridge -d link` of some iproute2 versions prints hairpin on the header line itself
      const hp = onOff(after(ws, 'hairpin'));
      if (hp !== undefined) {
        last.hairpin = hp;
        detailed = true;
      }
      ports.push(last);
      continue;
    }
    if (last && /^\s+/.test(raw)) {
      const ws = words(raw);
      const hp = onOff(after(ws, 'hairpin'));
      if (hp !== undefined && last.hairpin === undefined) {
        last.hairpin = hp;
        last.hairpinRef = { file, line: i + 1 };
        last.hairpinExcerpt = capped(raw);
        detailed = true;
      }
    }
  }
  if (ports.length === 0) throw new SkipFile(file, 'no bridge port');
  return { file, format: 'bridge-link', detailed, ports, bridges: [], warnings: [] };
}

function parseIpDetailLink(all: string[], file: string): BridgeLinkList {
  const ports: BridgePort[] = [];
  const bridges: BridgeDevice[] = [];
  let cur: { name: string; peer?: string; flags: string[]; master?: string; ref: SourceRef; excerpt: string; promiscuity?: number } | undefined;
  for (let i = 0; i < all.length; i++) {
    const raw = all[i];
    const h = HEADER.exec(raw);
    if (h) {
      const ws = words(h[5]);
      cur = { name: h[2], ...(h[3] ? { peer: h[3] } : {}), flags: h[4].split(',').filter(Boolean), master: after(ws, 'master'), ref: { file, line: i + 1 }, excerpt: capped(raw) };
      continue;
    }
    if (!cur) continue;
    const ws = words(raw);
    const pr = after(ws, 'promiscuity');
    if (pr !== undefined && /^\d+$/.test(pr)) cur.promiscuity = Number(pr);
    if (ws[0] === 'bridge_slave') {
      ports.push({
        port: cur.name,
        ...(cur.peer ? { peer: cur.peer } : {}),
        master: cur.master,
        state: after(ws, 'state'),
        hairpin: onOff(after(ws, 'hairpin')),
        flags: cur.flags,
        ref: cur.ref,
        excerpt: cur.excerpt,
        hairpinRef: { file, line: i + 1 },
        hairpinExcerpt: capped(raw),
      });
    } else if (ws[0] === 'bridge' && ws.includes('forward_delay')) {
      bridges.push({ name: cur.name, promiscuous: cur.flags.includes('PROMISC'), promiscuity: cur.promiscuity, flags: cur.flags, ref: cur.ref, excerpt: cur.excerpt });
    }
  }
  if (ports.length === 0 && bridges.length === 0) throw new SkipFile(file, 'no bridge nor bridge port in ip -d link');
  return { file, format: 'ip-d-link', detailed: true, ports, bridges, warnings: [] };
}

function parseHairpinListing(all: string[], file: string, relPath: string): BridgeLinkList {
  const ports: BridgePort[] = [];
  const warnings: ParseWarning[] = [];
  for (let i = 0; i < all.length; i++) {
    const raw = all[i];
    const t = raw.trim();
    if (!t) continue;
    let port: string | undefined;
    let master: string | undefined;
    let value: string | undefined;
    let m = SYS_BRIF.exec(t) ?? SYS_CLASS_BRIF.exec(t);
    if (m) [, master, port, value] = m;
    else if ((m = SYS_BRPORT.exec(t))) {
      [, port, value] = m;
      const b = /net\/([^/\s]+)\/brif\//.exec(t);
      if (b) master = b[1];
    }
    if (port && value !== undefined) {
      ports.push({ port, ...(master ? { master } : {}), hairpin: value === '1', ref: { file, line: i + 1 }, excerpt: capped(raw) });
    }
  }
  // a copy of one hairpin_mode file: its path names the port (and the bridge, under brif/)
  if (ports.length === 0 && /^\s*[01]\s*$/.test(all.join('\n'))) {
    const p = /(?:^|\/)(?:sys\/devices\/virtual\/net\/([^/]+)\/brif|sys\/class\/net)\/([^/]+)\/(?:brport\/)?hairpin_mode$/.exec(relPath);
    const line = all.findIndex((l) => /^\s*[01]\s*$/.test(l));
    if (p) return { file, format: 'hairpin-listing', detailed: true, ports: [{ port: p[2], ...(p[1] ? { master: p[1] } : {}), hairpin: all[line].trim() === '1', ref: { file, line: line + 1 }, excerpt: capped(all[line]) }], bridges: [], warnings };
  }
  if (ports.length === 0) throw new SkipFile(file, 'no bridge port nor hairpin_mode listing');
  return { file, format: 'hairpin-listing', detailed: true, ports, bridges: [], warnings };
}

/** Content test for hand-made files: a `bridge -d link` listing or a hairpin_mode listing (not `ip link`, which other formats read). */
export function sniffBridgeLink(head: string): boolean {
  const ls = head.split('\n').slice(0, 40);
  if (ls.some((l) => /\/(?:brport\/hairpin_mode|brif\/[^/\s]+(?:\/hairpin_mode)?)\s*[:\s]\s*[01]\s*$/.test(l.trim()))) return true;
  const headers = ls.filter((l) => HEADER.test(l));
  return headers.length > 0 && headers.every((l) => /\bmaster\s+\S+/.test(l) && /\bstate\s+(?:forwarding|blocking|disabled|listening|learning)\b/.test(l) && !/\bqdisc\b/.test(l));
}

/** Every port of a node's listings, later listings adding what earlier ones did not show (a port's hairpin from `-d`, its master from a brif path). */
export function bridgePorts(lists: readonly BridgeLinkList[] | undefined): BridgePort[] {
  const byName = new Map<string, BridgePort>();
  for (const l of lists ?? [])
    for (const p of l.ports) {
      const had = byName.get(p.port);
      if (!had) {
        byName.set(p.port, { ...p });
        continue;
      }
      if (had.master === undefined && p.master !== undefined) had.master = p.master;
      if (had.hairpin === undefined && p.hairpin !== undefined) {
        had.hairpin = p.hairpin;
        had.hairpinRef = p.hairpinRef ?? p.ref;
        had.hairpinExcerpt = p.hairpinExcerpt ?? p.excerpt;
      }
    }
  return [...byName.values()];
}

/** Bridges shown with their PROMISC flag (ip -d link). */
export function bridgeDevices(lists: readonly BridgeLinkList[] | undefined): BridgeDevice[] {
  return (lists ?? []).flatMap((l) => l.bridges);
}
