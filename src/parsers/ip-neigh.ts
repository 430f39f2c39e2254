/**
 * The kernel's neighbour (ARP / NDP) table as `ip neigh` prints it: `ip neigh [show]`, `ip -4|-6 neigh`,
 * `ip -s neigh` / `ip -s -s neigh show` (sosreport's networking plugin writes
 * sos_commands/networking/ip_-s_-s_neigh_show, older sos ip_neigh_show, and ip_neigh_show_nud_noarp for
 * the NOARP entries only), and net-tools' `arp -an` / `arp -na` (`? (10.244.1.0) at 5e:.. [ether] PERM on
 * flannel.1`, as pasted in flannel#1795). Each entry keeps its file and line.
 *
 * flannel's VXLAN backend adds, per peer node, a PERMANENT entry for the peer's flannel.1 address (its
 * subnet's network address) carrying the peer's VTEP MAC (pkg/backend/vxlan/vxlan_network.go: AddARP).
 */
import { SkipFile, excerpt as capped, lines, type ParseWarning, type SourceRef } from '../model/source.js';
import { parseIp } from './cidr.js';

/** NUD states `ip neigh` prints (upper case); `arp -an` prints PERM for a permanent entry. */
export const NUD_STATES = ['PERMANENT', 'NOARP', 'REACHABLE', 'STALE', 'NONE', 'INCOMPLETE', 'DELAY', 'PROBE', 'FAILED'] as const;

export interface NeighEntry {
  /** IPv4 or IPv6 address, as printed */
  address: string;
  family: 4 | 6;
  /** the device; absent where the listing was of one device (`ip neigh show dev flannel.1`) */
  dev?: string;
  /** link-layer address, lower case; absent for FAILED / INCOMPLETE entries */
  lladdr?: string;
  /** NUD states, upper case (`PERMANENT`; `arp -an`'s PERM is read as PERMANENT) */
  states: string[];
  /** `router`, `proxy`, `extern_learn`, ... */
  flags: string[];
  ref: SourceRef;
  excerpt: string;
}

export interface IpNeighList {
  file: string;
  format: 'ip' | 'arp';
  entries: NeighEntry[];
  warnings: ParseWarning[];
}

const MAC = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/i;
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;
const IPV6 = /^[0-9a-f:]*:[0-9a-f:.]*(?:%\S+)?$/i;
/** `10.244.1.0 dev flannel.1 lladdr 5e:89:db:49:c6:a4 PERMANENT` (and without dev, after `show dev X`) */
const IP_LINE = /^(\S+)\s+(?:dev\s+\S+|lladdr\s+\S+|(?:PERMANENT|NOARP|REACHABLE|STALE|NONE|INCOMPLETE|DELAY|PROBE|FAILED)\b)/;
/** `? (10.244.2.0) at 5e:89:db:49:c6:a4 [ether] PERM on flannel.1` */
const ARP_LINE = /^(\S+)\s+\(([0-9a-fA-F.:]+)\)\s+at\s+(\S+)(?:\s+\[(\w+)\])?(.*?)\s+on\s+(\S+)\s*$/;

function familyOf(address: string): 4 | 6 | undefined {
  if (IPV4.test(address)) return 4;
  // an IPv6 address, not a MAC (`d6:02:e3:df:ea:7a dev flannel.1 ...` is a bridge fdb line)
  if (IPV6.test(address) && !MAC.test(address)) return parseIp(address.split('%')[0])?.family === 6 ? 6 : undefined;
  return undefined;
}

/** `devHint`: the device of an `ip neigh show dev X` listing (its lines omit `dev`); else taken from a file name that says it. */
export function parseIpNeigh(text: string, file: string, devHint?: string): IpNeighList {
  const all = lines(text);
  const hint = devHint ?? /neigh[-_ ](?:show[-_ ])?dev[-_ ](.+?)(?:\.txt|\.out|\.log)?$/i.exec(file.split('/').pop() ?? '')?.[1];
  const out: IpNeighList = { file, format: 'ip', entries: [], warnings: [] };
  let arp = 0;
  for (let i = 0; i < all.length; i++) {
    const raw = all[i];
    if (raw.length > 4096) continue;
    const t = raw.trim();
    if (!t) continue;
    const ref = { file, line: i + 1 };
    const a = ARP_LINE.exec(t);
    if (a) {
      const family = familyOf(a[2]);
      if (!family) continue;
      const incomplete = a[3] === '<incomplete>';
      const states = /\bPERM\b/.test(a[5]) ? ['PERMANENT'] : incomplete ? ['INCOMPLETE'] : [];
      const flags = /\bPUB\b/.test(a[5]) ? ['proxy'] : [];
      out.entries.push({ address: a[2], family, dev: a[6], ...(MAC.test(a[3]) ? { lladdr: a[3].toLowerCase() } : {}), states, flags, ref, excerpt: capped(t) });
      arp++;
      continue;
    }
    if (!IP_LINE.test(t)) continue;
    const w = t.split(/\s+/);
    const family = familyOf(w[0]);
    if (!family) continue;
    const e: NeighEntry = { address: w[0], family, states: [], flags: [], ref, excerpt: capped(t) };
    for (let j = 1; j < w.length; j++) {
      const x = w[j];
      if (x === 'dev') e.dev = w[++j];
      else if (x === 'lladdr') {
        const m = w[++j];
        if (m && MAC.test(m)) e.lladdr = m.toLowerCase();
        else if (m) e.lladdr = m.toLowerCase(); // other link types (infiniband, ip6gre): kept as printed
      } else if (x === 'used') j++; // `used 263/0/1002` (iproute2 may glue `probes` to it: `0/0/0probes`)
      else if (x === 'probes' || /probes$/.test(x)) j++;
      else if (x === 'ref') j++;
      else if ((NUD_STATES as readonly string[]).includes(x)) e.states.push(x);
      else if (/^[a-z_]+$/.test(x)) e.flags.push(x);
    }
    if (!e.dev && hint) e.dev = hint;
    out.entries.push(e);
  }
  if (out.entries.length === 0) throw new SkipFile(file, 'no neighbour entries');
  if (arp === out.entries.length) out.format = 'arp';
  return out;
}

/** Content test: lines of `ip neigh` (`<addr> dev <if> lladdr <mac> <STATE>`) or `arp -an` (`? (<addr>) at <mac> [ether] on <if>`). */
export function sniffIpNeigh(head: string): boolean {
  const ip = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f]*:[0-9a-f:]+)\s+dev\s+\S+\s+(?:lladdr\s+[0-9a-f]{2}(?::[0-9a-f]{2})+\b.*\b(?:PERMANENT|NOARP|REACHABLE|STALE|DELAY|PROBE|NONE)|(?:\S+\s+)*(?:FAILED|INCOMPLETE))\s*$/im;
  const arp = /^\S+\s+\(\d{1,3}(?:\.\d{1,3}){3}\)\s+at\s+(?:[0-9a-f]{2}(?::[0-9a-f]{2}){5}|<incomplete>)(?:\s+\[\w+\])?.*\s+on\s+\S+\s*$/im;
  return ip.test(head) || arp.test(head);
}

/** The PERMANENT entries on one device (flannel's per-peer VTEP entries on flannel.1 / flannel-v6.1). */
export function permanentOn(lists: readonly IpNeighList[], dev: string): NeighEntry[] {
  return lists.flatMap((l) => l.entries.filter((e) => e.dev === dev && e.states.includes('PERMANENT') && e.lladdr));
}
