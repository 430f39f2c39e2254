/**
 * `ufw status`, `ufw status verbose` and `ufw status numbered` (ufw 0.3x, Ubuntu/Debian): the
 * `Status:` line, verbose's `Logging:` / `Default:` / `New profiles:` lines, and the rule table
 * (`To  Action  From`), each rule with its file and line. Read into the `ufwStatus` artifact kind.
 *
 * The shapes, as ufw 0.36 prints them (test/fixtures/ufw, from the real ufw in a network namespace):
 * - plain: `22/tcp  ALLOW  Anywhere`; the direction shown only for OUT and FWD (`ALLOW OUT`, `ALLOW FWD`),
 *   the IPv4 and IPv6 rules of each kind listed apart (`22/tcp (v6)  ALLOW  Anywhere (v6)`), an app
 *   profile by its name (`OpenSSH  ALLOW  Anywhere`);
 * - verbose: every direction shown (`ALLOW IN`), an app profile as its ports (`22/tcp (OpenSSH)`,
 *   `22/tcp (OpenSSH (v6))`), after `Default: deny (incoming), allow (outgoing), disabled (routed)`;
 * - numbered: `[ 1] 22/tcp  ALLOW IN  Anywhere`, an outgoing rule marked ` (out)` at the end.
 * Also: port ranges and lists (`6000:6007/tcp`, `80,443/tcp`), a destination address before the
 * port (`172.17.0.2 80/tcp  ALLOW FWD  Anywhere`), interfaces (`53 on docker0`, `Anywhere on eth0`),
 * comments (`# nrpe`), logged rules (` (log)`, ` (log-all)` after From), `DENY`, `REJECT`, `LIMIT`, and
 * `Status: inactive` (no table).
 */
import { SkipFile, excerpt as capped, lines, type ParseWarning, type SourceRef } from '../model/source.js';

export interface UfwSetting<T> {
  value: T;
  ref: SourceRef;
  excerpt: string;
}

export type UfwAction = 'ALLOW' | 'DENY' | 'REJECT' | 'LIMIT';
export type UfwDirection = 'IN' | 'OUT' | 'FWD';

/** One side of a rule (`To` or `From`): an address or Anywhere, ports, an interface, an app profile. */
export interface UfwEndpoint {
  /** as printed, the (v6) marks and the interface taken off: `22/tcp`, `172.17.0.2 80/tcp`, `Anywhere`, `OpenSSH` */
  text: string;
  /** an address or network (`10.0.0.0/8`, `172.17.0.2`); undefined for Anywhere */
  address?: string;
  /** port ranges, inclusive (`6000:6007` -> [6000, 6007]); undefined: every port */
  ports?: [number, number][];
  /** `/tcp`, `/udp` ...; undefined: any protocol */
  proto?: string;
  /** `on eth0` */
  iface?: string;
  /** an application profile: its name (plain shape: `OpenSSH`; verbose: `22/tcp (OpenSSH)`) */
  app?: string;
}

export interface UfwRule {
  /** `[ 3]` of the numbered shape */
  num?: number;
  action: UfwAction;
  /** IN unless the line says OUT or FWD (the plain shape shows no IN) */
  direction: UfwDirection;
  to: UfwEndpoint;
  from: UfwEndpoint;
  /** an IPv6 rule (`(v6)`) */
  v6: boolean;
  /** `(log)` / `(log-all)`: ufw prints it after the From column */
  log?: string;
  comment?: string;
  ref: SourceRef;
  excerpt: string;
}

export interface UfwDefaults {
  incoming?: string;
  outgoing?: string;
  routed?: string;
}

export interface UfwStatus {
  file: string;
  shape: 'plain' | 'verbose' | 'numbered';
  status?: UfwSetting<'active' | 'inactive'>;
  logging?: UfwSetting<string>;
  /** verbose only: `Default: deny (incoming), allow (outgoing), disabled (routed)` */
  defaults?: UfwSetting<UfwDefaults>;
  newProfiles?: UfwSetting<string>;
  /** the `To  Action  From` header line */
  header?: SourceRef;
  rules: UfwRule[];
  warnings: ParseWarning[];
}

const STATUS = /^\s*Status:\s*(active|inactive)\s*$/i;
const HEADER = /^\s*To\s+Action\s+From\s*$/;
const RULE = /^\s*(?:\[\s*(\d+)\]\s+)?(\S.*?)\s+(ALLOW|DENY|REJECT|LIMIT)(?:\s+(IN|OUT|FWD))?(?:\s+\((log(?:-all)?)\))?\s+(\S.*?)\s*$/;
const PORTS = /^([\d,:]+)(?:\/([a-z0-9]+))?$/;
const PROTO_ONLY = /^(?:\/)?(tcp|udp|ah|esp|gre|ipv6|igmp)$/;

/** `6000:6007,8080` -> [[6000, 6007], [8080, 8080]]; undefined when any part is not a port or range. */
function portRanges(s: string): [number, number][] | undefined {
  const out: [number, number][] = [];
  for (const part of s.split(',')) {
    const m = /^(\d+)(?::(\d+))?$/.exec(part);
    if (!m) return undefined;
    const a = Number(m[1]);
    const b = m[2] ? Number(m[2]) : a;
    if (a > 65535 || b > 65535 || b < a) return undefined;
    out.push([a, b]);
  }
  return out;
}

/** One side of a rule, its (v6) marks and `on IFACE` already known to be part of it. */
function endpoint(raw: string): { ep: UfwEndpoint; v6: boolean } {
  let s = raw.trim();
  let v6 = false;
  let iface: string | undefined;
  const on = /\s+on\s+(\S+)$/.exec(s);
  if (on) {
    iface = on[1];
    s = s.slice(0, on.index).trim();
  }
  // verbose prints an app profile as its ports with the name: `22/tcp (OpenSSH)`, `22/tcp (OpenSSH (v6))`
  let app: string | undefined;
  const named = /^(\S+)\s+\((.+?)(?:\s+\(v6\))?\)$/.exec(s);
  if (named && PORTS.test(named[1]) && named[2] !== 'v6') {
    app = named[2];
    if (/\(v6\)\)$/.test(s)) v6 = true;
    s = named[1];
  }
  if (/\s*\(v6\)/.test(s)) {
    v6 = true;
    s = s.replace(/\s*\(v6\)/g, '').trim();
  }
  // ufw 0.36+ prints a protocol-only rule (`ufw allow proto esp from 10.0.0.0/24`) as
  // `Anywhere  ALLOW IN  10.0.0.0/24/esp`, `Anywhere/esp  ALLOW IN  Anywhere/esp` (H100, real ufw 0.36.2 output)
  const po = /^(Anywhere|[\d.]+(?:\/\d+)?|[0-9a-f:]+(?:\/\d+)?)\/(ah|esp|gre|ipv6|igmp)$/i.exec(s);
  if (po) {
    const pe: UfwEndpoint = { text: po[1], proto: po[2].toLowerCase() };
    if (iface) pe.iface = iface;
    if (!/^Anywhere$/i.test(po[1])) pe.address = po[1];
    return { ep: pe, v6 };
  }
  const ep: UfwEndpoint = { text: s };
  if (iface) ep.iface = iface;
  if (app) ep.app = app;
  if (/^Anywhere$/i.test(s)) return { ep, v6 };
  const words = s.split(/\s+/);
  const last = words[words.length - 1];
  const pm = PORTS.exec(last);
  const ports = pm ? portRanges(pm[1]) : undefined;
  const looksAddress = (w: string) => /^[\d.]+(\/\d+)?$/.test(w) || (w.includes(':') && /^[0-9a-f:]+(\/\d+)?$/i.test(w) && !/^\d+:\d+$/.test(w));
  if (ports && (words.length === 1 || (words.length === 2 && looksAddress(words[0])))) {
    ep.ports = ports;
    if (pm![2]) ep.proto = pm![2];
    if (words.length === 2) ep.address = words[0];
  } else if (words.length === 1 && looksAddress(last)) {
    ep.address = last;
  } else if (words.length === 2 && looksAddress(words[0]) && PROTO_ONLY.test(words[1])) {
    ep.address = words[0];
    ep.proto = PROTO_ONLY.exec(words[1])![1];
  } else if (!app) {
    // an application profile's name (`OpenSSH`, `Apache Full`), possibly after an address
    if (words.length > 1 && looksAddress(words[0])) {
      ep.address = words[0];
      ep.app = words.slice(1).join(' ');
    } else ep.app = s;
  }
  return { ep, v6 };
}

export function parseUfwStatus(text: string, file: string): UfwStatus {
  const out: UfwStatus = { file, shape: 'plain', rules: [], warnings: [] };
  const all = lines(text);
  let inTable = false;
  all.forEach((raw, i) => {
    const ref = { file, line: i + 1 };
    const line = raw.replace(/\t/g, '    ');
    const st = STATUS.exec(line);
    if (st) {
      out.status = { value: st[1].toLowerCase() as 'active' | 'inactive', ref, excerpt: capped(raw.trim()) };
      inTable = false;
      return;
    }
    const kv = /^\s*(Logging|Default|New profiles):\s*(.*?)\s*$/.exec(line);
    if (kv && !inTable) {
      const setting = { ref, excerpt: capped(raw.trim()) };
      if (kv[1] === 'Logging') out.logging = { value: kv[2], ...setting };
      else if (kv[1] === 'New profiles') out.newProfiles = { value: kv[2], ...setting };
      else {
        const d: UfwDefaults = {};
        for (const m of kv[2].matchAll(/(\w+)\s*\((incoming|outgoing|routed)\)/g)) d[m[2] as keyof UfwDefaults] = m[1].toLowerCase();
        out.defaults = { value: d, ...setting };
        out.shape = 'verbose';
      }
      return;
    }
    if (HEADER.test(line)) {
      inTable = true;
      out.header = ref;
      if (/^\s+To/.test(line)) out.shape = 'numbered';
      return;
    }
    if (!inTable || /^\s*(--\s+------\s+----\s*)?$/.test(line)) return;
    let body = line;
    let comment: string | undefined;
    const c = /\s#\s?(.*?)\s*$/.exec(body);
    if (c) {
      comment = c[1];
      body = body.slice(0, c.index);
    }
    // after the From column: ` (log)` / ` (log-all)` (a logged rule), ` (out)` (numbered: an outgoing rule)
    let log: string | undefined;
    for (let t = /\s+\((out|log|log-all)\)\s*$/.exec(body); t; t = /\s+\((out|log|log-all)\)\s*$/.exec(body)) {
      if (t[1] !== 'out') log = t[1];
      body = body.slice(0, t.index);
    }
    const m = RULE.exec(body);
    if (!m) {
      // ufw's own complaints (`ERROR: ...`) and whatever followed the table
      if (/\S/.test(line)) out.warnings.push({ file, line: i + 1, message: `not a ufw rule line: ${capped(raw.trim(), 120)}` });
      return;
    }
    const to = endpoint(m[2]);
    const from = endpoint(m[6]);
    // one protocol per rule: a protocol-only rule prints it on the From side alone (`Anywhere  ALLOW IN  10.0.0.0/24/esp`)
    if (from.ep.proto && !to.ep.proto && !to.ep.ports) to.ep.proto = from.ep.proto;
    const rule: UfwRule = {
      action: m[3] as UfwAction,
      direction: (m[4] as UfwDirection | undefined) ?? 'IN',
      to: to.ep,
      from: from.ep,
      v6: to.v6 || from.v6,
      ref,
      excerpt: capped(raw.trim()),
    };
    if (m[1]) rule.num = Number(m[1]);
    if (m[5] ?? log) rule.log = m[5] ?? log;
    if (comment !== undefined) rule.comment = comment;
    out.rules.push(rule);
  });
  if (!out.status) throw new SkipFile(file, 'no ufw "Status:" line');
  return out;
}

/** `ufw status` output in the first bytes: its `Status: active|inactive` line, with ufw's table header or verbose lines, or alone. */
export function sniffUfwStatus(head: string): boolean {
  const ls = head.split('\n').map((l) => l.replace(/\r$/, ''));
  const i = ls.findIndex((l) => STATUS.test(l));
  if (i < 0 || i > 5) return false;
  const rest = ls.slice(i + 1).filter((l) => l.trim() !== '');
  if (rest.length === 0) return true;
  return rest.slice(0, 6).some((l) => HEADER.test(l) || /^\s*(Logging: (on|off)|Default: \w+ \(incoming\))/.test(l));
}

/** Does a port range list cover the port? (no list: every port) */
export function coversPort(ports: [number, number][] | undefined, port: number): boolean {
  return !ports || ports.some(([a, b]) => a <= port && port <= b);
}

/**
 * The incoming rules that let `proto/port` in from anywhere, for the family: ALLOW or LIMIT, to any
 * address of the host (no address, or `Anywhere`), on no particular interface, from Anywhere. An app
 * profile counts only where the shape shows its ports (verbose, numbered with ports).
 */
export function ufwAllowsFromAnywhere(s: UfwStatus, proto: string, port: number, family: 4 | 6): UfwRule[] {
  return s.rules.filter(
    (r) =>
      r.direction === 'IN' &&
      (r.action === 'ALLOW' || r.action === 'LIMIT') &&
      r.v6 === (family === 6) &&
      !r.to.address &&
      !r.to.iface &&
      /^Anywhere$/i.test(r.from.text) &&
      !r.from.iface &&
      (!r.to.app || r.to.ports) &&
      (!r.to.proto || r.to.proto === proto) &&
      coversPort(r.to.ports, port),
  );
}

/** The incoming ALLOW / LIMIT rules of `proto/port` that only some sources may use (`5666/tcp ALLOW IN 10.0.0.0/8`, a masked `95.xx.xx.xx`). */
export function ufwAllowsFromSome(s: UfwStatus, proto: string, port: number, family: 4 | 6): UfwRule[] {
  return s.rules.filter(
    (r) =>
      r.direction === 'IN' &&
      (r.action === 'ALLOW' || r.action === 'LIMIT') &&
      r.v6 === (family === 6) &&
      !r.to.iface &&
      !/^Anywhere$/i.test(r.from.text) &&
      !r.to.address &&
      (!r.to.app || r.to.ports) &&
      (!r.to.proto || r.to.proto === proto) &&
      r.to.ports !== undefined &&
      coversPort(r.to.ports, port),
  );
}
