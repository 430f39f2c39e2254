/**
 * net-tools' IPv4 routing table: `route -n` (`Destination Gateway Genmask Flags Metric Ref Use Iface`),
 * `route` without -n (names for addresses: `default`, a host name for the gateway), `route -nee` (MSS,
 * Window and irtt after Iface) and `netstat -rn` (`Destination Gateway Genmask Flags MSS Window irtt
 * Iface`), all under `Kernel IP routing table`. Each line becomes the record ip-route.ts makes of the
 * same route: prefix from the Genmask, the gateway unless 0.0.0.0 / `*` / `-`, Iface as dev, the
 * metric (netstat prints none). A reject route (flag `!`: ip route's unreachable and prohibit, which
 * net-tools does not tell apart) becomes type `unreachable`; a route with Iface `*` and no gateway
 * (how net-tools shows a blackhole or throw route) type `blackhole`. net-tools prints the main table only.
 * The IPv6 table (`Kernel IPv6 routing table`, route -A inet6) mixes in the local table and is not read.
 */
import { SkipFile, lines } from '../model/source.js';
import type { Route, RouteTable } from './ip-route.js';

const HEADER = /^Kernel IP routing table\s*$/;
const COLUMNS = /^Destination\s+Gateway\s+Genmask\s+Flags\b/;
const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/** The table's first lines: its title, or its column header where the title was cut off. */
export function sniffRouteN(head: string): boolean {
  return /^Kernel IP routing table\s*\n\s*Destination\s+Gateway\s+Genmask\s+Flags\b/m.test(head) || /^Destination\s+Gateway\s+Genmask\s+Flags\s+(Metric|MSS)\b/m.test(head);
}

/** 255.255.240.0 -> 20; undefined for a mask that is not contiguous ones. */
export function maskLength(mask: string): number | undefined {
  if (!IPV4.test(mask)) return undefined;
  const parts = mask.split('.').map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  const bits = parts.map((p) => p.toString(2).padStart(8, '0')).join('');
  return /^1*0*$/.test(bits) ? bits.indexOf('0') === -1 ? 32 : bits.indexOf('0') : undefined;
}

export function parseRouteN(text: string, file: string): RouteTable {
  const routes: Route[] = [];
  let cols: string[] | undefined;
  const all = lines(text);
  for (let i = 0; i < all.length; i++) {
    const raw = all[i].trim();
    if (raw === '' || raw.length > 4096) continue;
    if (HEADER.test(raw)) {
      cols = undefined;
      continue;
    }
    if (COLUMNS.test(raw)) {
      cols = raw.split(/\s+/);
      continue;
    }
    // another table (Kernel IPv6 routing table) ends this one; lines outside a table are not routes
    if (/^Kernel /.test(raw)) cols = undefined;
    if (!cols) continue;
    const w = raw.split(/\s+/);
    if (w.length < cols.length) continue;
    const c = cols;
    const at = (name: string) => {
      const k = c.indexOf(name);
      return k < 0 ? undefined : w[k];
    };
    const dst = at('Destination')!;
    const gw = at('Gateway')!;
    const flags = at('Flags') ?? '';
    const len = maskLength(at('Genmask') ?? '');
    const address = dst === 'default' ? '0.0.0.0' : dst;
    if (!IPV4.test(address) || len === undefined) continue;
    const iface = at('Iface');
    const r: Route = { destination: `${address}/${len}`, ref: { file, line: i + 1 }, excerpt: raw };
    if (gw && gw !== '0.0.0.0' && gw !== '*' && gw !== '-') r.via = gw;
    if (iface && iface !== '*' && iface !== '-') r.dev = iface;
    const metric = at('Metric');
    if (metric !== undefined && /^\d+$/.test(metric)) r.metric = Number(metric);
    if (flags.includes('!')) r.type = 'unreachable';
    else if (!r.dev && !r.via) r.type = 'blackhole';
    if (!r.dev && !r.via && !r.type) continue;
    routes.push(r);
  }
  if (routes.length === 0) throw new SkipFile(file, /^Kernel IPv6 routing table/m.test(text) ? 'an IPv6 route -n table (not read: it mixes in the local table)' : 'no routes');
  return { file, routes };
}
