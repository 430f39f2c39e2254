/**
 * The IPVS table as ipvsadm prints it: `ipvsadm -Ln` (virtual services, their scheduler and flags,
 * their real servers with forward method, weight and connection counts), the same with `--stats`,
 * `--rate`, `--persistent-conn` or `--thresholds` (other columns, same layout), and without `-n` (names
 * for ports and hosts: `100.64.134.163:http`). The save format (`ipvsadm -S`) is not read: no real
 * output of it was at hand to test against. sosreport's ipvs plugin writes sos_commands/ipvs/ipvsadm_-Ln (and
 * `_--stats`, `_--rate`, ...) where the ip_vs module is loaded and ipvsadm installed. Every service and
 * real server keeps its file and line.
 *
 * `--connection` and `--timeout` print no services: not this format. A listing shortened by hand
 * (lines of `...`, as pasted in tickets) is marked `elided`: a service shown without real servers
 * there may have had some cut away.
 */
import { SkipFile, excerpt, lines, type ParseWarning, type SourceRef } from '../model/source.js';

export type IpvsForward = 'Masq' | 'Route' | 'Tunnel' | 'Local';

export interface IpvsRealServer {
  /** the host as printed: an address with -n, else perhaps a name; IPv6 without brackets */
  host: string;
  /** numeric port (undefined when printed as a service name) */
  port?: number;
  /** the port as printed when it is a name (`http`, `postgresql`) */
  portName?: string;
  /** list format: Masq (NAT, kube-proxy's), Route (direct routing), Tunnel (IPIP), Local */
  forward?: IpvsForward | string;
  weight?: number;
  activeConns?: number;
  inactiveConns?: number;
  /** the other columns by their header name (Conns, InPkts, CPS, PersistConn, Uthreshold ...); 125426K as 125426000 */
  columns?: Record<string, number>;
  ref: SourceRef;
  excerpt: string;
}

export interface IpvsVirtualService {
  protocol: 'TCP' | 'UDP' | 'SCTP' | 'FWM';
  /** the host as printed (FWM: undefined) */
  host?: string;
  port?: number;
  portName?: string;
  /** FWM services: the firewall mark */
  fwmark?: number;
  /** rr, wrr, lc, sh ... (list and save formats) */
  scheduler?: string;
  /** persistence timeout in seconds */
  persistent?: number;
  /** the rest as printed: `ops`, `mask 255.255.255.255`, `pe sip`, scheduler flags */
  flags: string[];
  /** stats / rate columns of the service line */
  columns?: Record<string, number>;
  realServers: IpvsRealServer[];
  /** a `...` line follows the service line: its real servers, if any, were cut from the listing */
  cutAfter?: true;
  ref: SourceRef;
  excerpt: string;
}

export interface IpvsadmList {
  file: string;
  format: 'list' | 'stats' | 'rate' | 'persistent-conn' | 'thresholds';
  /** `IP Virtual Server version 1.2.1 (size=4096)` */
  version?: string;
  services: IpvsVirtualService[];
  /** lines of `...` (a listing shortened by hand): services may miss real servers, the list may miss services */
  elided: boolean;
  warnings: ParseWarning[];
}

const MAX_LINE = 4096;
const PROTO = /^(TCP|UDP|SCTP|FWM)$/;
const VERSION = /^IP Virtual Server version (\S+)/;

/** `10.0.0.1:443`, `[2001:db8::1]:80`, `100.64.134.163:http`, `kube-apiserver:6443`. */
export function parseEndpoint(text: string): { host: string; port?: number; portName?: string } | undefined {
  const m = /^\[([0-9A-Fa-f:.%\w]+)\]:([\w-]+)$/.exec(text) ?? /^([^\s:[\]]+):([\w-]+)$/.exec(text);
  if (!m) return undefined;
  return /^\d+$/.test(m[2]) ? { host: m[1], port: Number(m[2]) } : { host: m[1], portName: m[2] };
}

/** `0`, `14209`, `125426K`, `13034M` (ipvsadm's --stats scaling) */
function count(v: string): number | undefined {
  const m = /^(\d+)([KMGT]?)$/.exec(v);
  if (!m) return undefined;
  const mult = { '': 1, K: 1e3, M: 1e6, G: 1e9, T: 1e12 }[m[2] as '' | 'K' | 'M' | 'G' | 'T'];
  return Number(m[1]) * mult;
}

export function parseIpvsadm(text: string, file: string): IpvsadmList {
  const all = lines(text);
  const head = text.slice(0, 65536);
  // `ipvsadm -Lnc`: connection entries (`TCP 14:57 ESTABLISHED 10.0.0.1:1234 ...`), not services
  if (/^IPVS connection entries|^pro expire state /m.test(head)) throw new SkipFile(file, 'IPVS connection entries, not services');
  const out = parseList(all, file);
  if (out.services.length === 0 && !out.version && !/^Prot LocalAddress:Port/m.test(head)) throw new SkipFile(file, 'no IPVS services');
  return out;
}

function parseList(all: string[], file: string): IpvsadmList {
  const out: IpvsadmList = { file, format: 'list', services: [], elided: false, warnings: [] };
  /** the columns after LocalAddress:Port on the Prot line, and after RemoteAddress:Port on the -> line */
  let svcCols: string[] = ['Scheduler', 'Flags'];
  let rsCols: string[] = ['Forward', 'Weight', 'ActiveConn', 'InActConn'];
  let cur: IpvsVirtualService | undefined;
  let orphans = 0;
  for (let i = 0; i < all.length; i++) {
    const raw = all[i];
    const ref = { file, line: i + 1 };
    if (raw.length > MAX_LINE) {
      out.warnings.push({ file, line: i + 1, message: `line of ${raw.length} characters skipped` });
      continue;
    }
    const line = raw.trim();
    if (line === '') continue;
    const v = VERSION.exec(line);
    if (v) {
      out.version = v[1];
      continue;
    }
    if (/^\.{3,}$|^…$/.test(line)) {
      out.elided = true;
      // what followed this service's line was cut: its real servers are not known
      if (cur && cur.realServers.length === 0) cur.cutAfter = true;
      continue;
    }
    const w = line.split(/\s+/);
    if (w[0] === 'Prot' && w[1] === 'LocalAddress:Port') {
      svcCols = w.slice(2);
      if (svcCols[0] === 'Conns') out.format = 'stats';
      else if (svcCols[0] === 'CPS') out.format = 'rate';
      else if (svcCols.includes('PersistConn')) out.format = 'persistent-conn';
      else if (svcCols.includes('Uthreshold')) out.format = 'thresholds';
      continue;
    }
    if (w[0] === '->' && w[1] === 'RemoteAddress:Port') {
      // --stats / --rate print no column names here: the Prot line's apply; --persistent-conn prints them on the Prot line too
      if (w.length > 2) {
        rsCols = w.slice(2);
        if (rsCols.includes('Uthreshold')) out.format = 'thresholds';
      } else rsCols = svcCols;
      continue;
    }
    if (w[0] === '->') {
      const ep = parseEndpoint(w[1] ?? '');
      if (!ep || !cur) {
        if (!cur) orphans++;
        else out.warnings.push({ file, line: i + 1, message: `not an IPVS real server: ${excerpt(line, 80)}` });
        continue;
      }
      cur.realServers.push(realServer(ep, w.slice(2), rsCols, ref, raw));
      continue;
    }
    if (PROTO.test(w[0]) && w.length >= 2) {
      const svc = service(w, svcCols, out.format, ref, raw);
      if (!svc) {
        out.warnings.push({ file, line: i + 1, message: `not an IPVS virtual service: ${excerpt(line, 80)}` });
        continue;
      }
      out.services.push(svc);
      cur = svc;
      continue;
    }
    out.warnings.push({ file, line: i + 1, message: `not an ipvsadm line: ${excerpt(line, 80)}` });
  }
  if (orphans > 0) out.warnings.push({ file, message: `${orphans} real server line(s) before the first service (a file cut at its top?) skipped` });
  return out;
}

function service(w: string[], cols: string[], format: IpvsadmList['format'], ref: SourceRef, raw: string): IpvsVirtualService | undefined {
  const protocol = w[0] as IpvsVirtualService['protocol'];
  const svc: IpvsVirtualService = { protocol, flags: [], realServers: [], ref, excerpt: excerpt(raw) };
  if (protocol === 'FWM') {
    if (!/^\d+$/.test(w[1])) return undefined;
    svc.fwmark = Number(w[1]);
  } else {
    const ep = parseEndpoint(w[1]);
    if (!ep) return undefined;
    Object.assign(svc, ep);
  }
  const rest = w.slice(2);
  if (format === 'stats' || format === 'rate') {
    svc.columns = numbers(rest, cols);
    return svc;
  }
  // list and --persistent-conn: `rr persistent 10800 ops`, `wlc persistent 60`, `sh mask 255.255.255.0`
  if (rest[0]) svc.scheduler = rest[0];
  for (let i = 1; i < rest.length; i++) {
    if (rest[i] === 'persistent' && /^\d+$/.test(rest[i + 1] ?? '')) {
      svc.persistent = Number(rest[++i]);
      continue;
    }
    if ((rest[i] === 'mask' || rest[i] === 'pe') && rest[i + 1]) {
      svc.flags.push(`${rest[i]} ${rest[++i]}`);
      continue;
    }
    svc.flags.push(rest[i]);
  }
  return svc;
}

function realServer(ep: NonNullable<ReturnType<typeof parseEndpoint>>, rest: string[], cols: string[], ref: SourceRef, raw: string): IpvsRealServer {
  const rs: IpvsRealServer = { ...ep, ref, excerpt: excerpt(raw) };
  let k = 0;
  if (cols[0] === 'Forward') {
    rs.forward = rest[0];
    k = 1;
  }
  const nums = numbers(rest.slice(k), cols.slice(k));
  const other: Record<string, number> = {};
  for (const [name, n] of Object.entries(nums)) {
    if (name === 'Weight') rs.weight = n;
    else if (name === 'ActiveConn') rs.activeConns = n;
    else if (name === 'InActConn') rs.inactiveConns = n;
    else other[name] = n;
  }
  if (Object.keys(other).length > 0) rs.columns = other;
  return rs;
}

function numbers(values: string[], cols: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < values.length && i < cols.length; i++) {
    const n = count(values[i]);
    if (n !== undefined) out[cols[i]] = n;
  }
  return out;
}

/** ipvsadm's listing: `IP Virtual Server version`, or the `Prot LocalAddress:Port` header. */
export function sniffIpvsadm(head: string): boolean {
  return /^IP Virtual Server version \d/m.test(head) || /^Prot LocalAddress:Port\s+\S/m.test(head);
}

/** `10.96.0.10:53` (IPv6 bracketed), the way messages name a service or real server. */
export function endpointText(e: { host?: string; port?: number; portName?: string; fwmark?: number }): string {
  if (e.fwmark !== undefined) return `fwmark ${e.fwmark}`;
  const host = e.host?.includes(':') ? `[${e.host}]` : (e.host ?? '?');
  return `${host}:${e.port ?? e.portName ?? '?'}`;
}
