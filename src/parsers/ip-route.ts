/**
 * `ip route` / `ip route show table all`, and `ip -6 route` (sos's `ip_-6_route_show_table_all`, a
 * ticket's `ip -6 r`, or both families in one file): where the node sends a destination, and from
 * which interface.
 */
import { SkipFile, lines, type SourceRef } from '../model/source.js';
import type { Interface } from './interfaces.js';
import { isLinkLocal6 } from './cidr.js';
import { parseRouteN, sniffRouteN } from './route-n.js';

export interface Route {
  /** 0.0.0.0/0 for default */
  destination: string;
  type?: string;
  via?: string;
  dev?: string;
  proto?: string;
  scope?: string;
  src?: string;
  metric?: number;
  table?: string;
  /** a source-specific IPv6 route (`from 2001:db8::/64`): it applies to packets from there only */
  from?: string;
  /** multipath routes: every next hop (via/dev above are the first) */
  nexthops?: { via?: string; dev?: string }[];
  ref: SourceRef;
  excerpt: string;
}

export interface RouteTable {
  file: string;
  routes: Route[];
}

const TYPES = new Set(['unicast', 'local', 'broadcast', 'multicast', 'throw', 'unreachable', 'prohibit', 'blackhole', 'nat', 'anycast']);

export function parseRoutes(text: string, file: string): RouteTable {
  // net-tools' table (route -n, netstat -rn) under the same format: the same records, from its columns
  if (sniffRouteN(text.slice(0, 4096))) return parseRouteN(text, file);
  const routes: Route[] = [];
  const all = lines(text);
  for (let i = 0; i < all.length; i++) {
    const raw = all[i].trim();
    if (raw === '' || raw.length > 4096) continue;
    // a `# note` a ticket's author put after a pasted route (docker/for-linux#1422) is not part of the route
    const w = raw.replace(/\s+#.*$/, '').split(/\s+/);
    let j = 0;
    let type: string | undefined;
    if (TYPES.has(w[0])) type = w[j++];
    const dst = w[j++];
    if (!dst || !(dst === 'default' || /^[0-9a-fA-F.:]+(\/\d+)?$/.test(dst))) continue;
    // an IPv6 default: a v6 gateway or source, or `pref` (printed for IPv6 routes only)
    const v6default = dst === 'default' && (/\s(via|src) [0-9a-fA-F]*:[0-9a-fA-F:]*/.test(raw) || /\spref (low|medium|high)\b/.test(raw));
    const r: Route = { destination: dst === 'default' ? (v6default ? '::/0' : '0.0.0.0/0') : dst.includes('/') ? dst : `${dst}/${dst.includes(':') ? 128 : 32}`, type, ref: { file, line: i + 1 }, excerpt: raw };
    for (; j < w.length; j++) {
      const k = w[j];
      if (k === 'via') r.via = w[++j];
      else if (k === 'dev') r.dev = w[++j];
      else if (k === 'proto') r.proto = w[++j];
      else if (k === 'scope') r.scope = w[++j];
      else if (k === 'src') r.src = w[++j];
      else if (k === 'metric') r.metric = Number(w[++j]);
      else if (k === 'table') r.table = w[++j];
      else if (k === 'from') r.from = w[++j];
    }
    // a multipath route: its next hops follow on indented `nexthop via ... dev ...` lines
    if (!r.dev && !r.via) {
      const hops: { via?: string; dev?: string }[] = [];
      for (let k = i + 1; k < all.length && /^\s+nexthop\b/.test(all[k]); k++) {
        const h = all[k].trim().split(/\s+/);
        hops.push({ via: h[h.indexOf('via') + 1] && h.includes('via') ? h[h.indexOf('via') + 1] : undefined, dev: h.includes('dev') ? h[h.indexOf('dev') + 1] : undefined });
      }
      if (hops.length) {
        r.via = hops[0].via;
        r.dev = hops[0].dev;
        r.nexthops = hops;
      }
    }
    if (!r.dev && !r.via && !type) continue;
    routes.push(r);
  }
  if (routes.length === 0) throw new SkipFile(file, 'no routes');
  return { file, routes };
}

export function sniffRoutes(head: string): boolean {
  // net-tools: `Kernel IP routing table` / `Destination Gateway Genmask Flags ...` (route -n, netstat -rn)
  if (sniffRouteN(head)) return true;
  // IPv4 routes of a type without a device: `unreachable 192.168.0.0/16  metric 999` (moby/moby#6442), `blackhole 10.0.0.0/8`
  if (/^(?:unreachable|blackhole|prohibit|throw) \d+\.\d+\.\d+\.\d+(?:\/\d{1,2})?(?: |$)/m.test(head)) return true;
  // `ip -6 r` (often without a default route): `::1 dev lo proto kernel metric 256 pref medium`; before
  // iproute2 printed `pref`, `2001:db8:40:3::/120 dev vlan3  proto kernel  metric 256`: an IPv6 route always has a metric
  return /^(default via \S+ dev \S+|\d+\.\d+\.\d+\.\d+\/\d+ (via \S+ )?dev \S+ proto|(?:(?:unreachable|local|anycast|multicast) )?[0-9a-fA-F]*:[0-9a-fA-F:]*(?:\/\d{1,3})? +(?:from \S+ +)?(?:via \S+ +)?dev \S+ .*\bmetric \d+)/m.test(head);
}

/**
 * The address a masquerade gives a connection leaving by `dev` (the kernel's source address
 * choice): the default route's preferred source (`src`) when that route goes out by `dev`, else
 * the interface's first address of the family that is neither host- nor link-scoped (IPv6: nor
 * link-local, a listing without scopes included).
 */
export function masqueradeAddress(dev: string, routes: readonly RouteTable[], itfs: Map<string, Interface>, family: 4 | 6 = 4): string | undefined {
  const def = routes.flatMap((t) => t.routes).find((r) => r.destination === (family === 6 ? '::/0' : '0.0.0.0/0') && r.dev && !r.table);
  if (def?.dev === dev && def.src) return def.src;
  return itfs.get(dev)?.addresses.find((a) => a.family === family && a.scope !== 'host' && a.scope !== 'link' && !(family === 6 && isLinkLocal6(a.address)))?.address;
}

