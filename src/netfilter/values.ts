/**
 * Typed readings of rule values, and the canonical spellings both dump formats are reduced to.
 * iptables-save prints numbers (`--dport 80`, `--icmp-type 8`, `--tcp-flags FIN,SYN,RST,ACK SYN`);
 * `iptables -L` without -n prints names (`dpt:http`, `icmp echo-request`), with -n hex
 * (`flags:0x17/0x02`); restore files may use either. The model keeps one spelling so a rule
 * compares equal whichever dump it came from, and analyzers and the tracer read numbers.
 */
import type { Match, MatchOption, Negatable, Rule } from './rules.js';

/**
 * Service names `iptables -L` (no -n) prints for ports, as in the Debian/RHEL services files.
 * Only names a container host is likely to show; any other name stays unresolved and the rule
 * says so rather than guessing.
 */
const SERVICE_PORTS: Record<string, number> = {
  ftp: 21, 'ftp-data': 20, ssh: 22, telnet: 23, smtp: 25, domain: 53, bootps: 67, bootpc: 68, tftp: 69, http: 80, www: 80, kerberos: 88,
  pop3: 110, sunrpc: 111, ntp: 123, 'netbios-ns': 137, 'netbios-dgm': 138, 'netbios-ssn': 139, imap2: 143, imap: 143, snmp: 161, 'snmp-trap': 162, bgp: 179,
  ldap: 389, https: 443, 'microsoft-ds': 445, isakmp: 500, syslog: 514, submission: 587, ldaps: 636, rsync: 873, imaps: 993, pop3s: 995,
  openvpn: 1194, 'ms-sql-s': 1433, nfs: 2049, etcd: 2379, 'etcd-server': 2380, 'cisco-sccp': 2000, mysql: 3306, 'ms-wbt-server': 3389,
  'ipsec-nat-t': 4500, vxlan: 4789, postgresql: 5432, postgres: 5432, mdns: 5353, amqp: 5672, x11: 6000, 'redis': 6379, 'http-alt': 8080, webcache: 8080,
  'dhcpv6-client': 546, 'dhcpv6-server': 547, 'mongodb': 27017, memcache: 11211, 'zabbix-agent': 10050, 'zabbix-trapper': 10051, 'git': 9418, 'puppet': 8140, 'jetdirect': 9100, 'sieve': 4190,
  'kerberos-adm': 749, 'socks': 1080, 'radius': 1812, 'radius-acct': 1813, 'nut': 3493, 'xmpp-client': 5222, 'xmpp-server': 5269,
};

export interface PortRange {
  from: number;
  to: number;
}

/** `80`, `1000:2000`, `:1024`, `1024:`, `80,443,8000:8080` (multiport) -> ranges; undefined if not numeric. */
export function parsePorts(spec: string): PortRange[] | undefined {
  const out: PortRange[] = [];
  for (const part of spec.split(',')) {
    const colon = part.indexOf(':');
    const a = colon < 0 ? part : part.slice(0, colon);
    const b = colon < 0 ? part : part.slice(colon + 1);
    const from = a === '' ? 0 : portNumber(a);
    const to = b === '' ? 65535 : portNumber(b);
    if (from === undefined || to === undefined) return undefined;
    out.push({ from, to });
  }
  return out;
}

function portNumber(s: string): number | undefined {
  if (!/^\d{1,5}$/.test(s)) return undefined;
  const n = Number(s);
  return n <= 65535 ? n : undefined;
}

/**
 * A port list with service names replaced by numbers (`http,https,8000:http-alt` ->
 * `80,443,8000:8080`); names not known are left in place and returned as unresolved.
 */
export function canonicalPorts(spec: string): { value: string; unresolved: string[] } {
  const unresolved: string[] = [];
  let value = spec;
  if (/[a-z]/i.test(value))
    value = value.replace(/[A-Za-z][\w.-]*/g, (name) => {
      const n = SERVICE_PORTS[name.toLowerCase()];
      if (n === undefined) unresolved.push(name);
      return n === undefined ? name : String(n);
    });
  // open ranges as iptables-save closes them: `1000:` -> `1000:65535`, `:1024` -> `0:1024`
  if (value.includes(':')) value = value.split(',').map((p) => (p.startsWith(':') ? '0' + p : p.endsWith(':') ? p + '65535' : p)).join(',');
  return { value, unresolved };
}

const TCP_FLAG_BITS: [string, number][] = [['FIN', 1], ['SYN', 2], ['RST', 4], ['PSH', 8], ['ACK', 16], ['URG', 32]];

function flagNames(bits: number): string {
  if (bits === 0) return 'NONE';
  return TCP_FLAG_BITS.filter(([, b]) => bits & b).map(([n]) => n).join(',');
}

function flagBits(list: string): number | undefined {
  if (/^0x[0-9a-f]+$/i.test(list)) return Number(list);
  let bits = 0;
  for (const name of list.toUpperCase().split(',')) {
    if (name === 'ALL') bits |= 63;
    else if (name === 'NONE') continue;
    else {
      const f = TCP_FLAG_BITS.find(([n]) => n === name);
      if (!f) return undefined;
      bits |= f[1];
    }
  }
  return bits;
}

/**
 * `--tcp-flags MASK COMP` as iptables-save prints it: flag names in bit order, NONE for none
 * (`ALL NONE` -> `FIN,SYN,RST,PSH,ACK,URG NONE`; listing `0x17/0x02` -> `FIN,SYN,RST,ACK SYN`).
 */
export function canonicalTcpFlags(mask: string, comp: string): string | undefined {
  const m = flagBits(mask);
  const c = flagBits(comp);
  if (m === undefined || c === undefined) return undefined;
  return `${flagNames(m)} ${flagNames(c)}`;
}

/** What `--syn` means, in the spelling iptables-save uses for it. */
export const SYN_FLAGS = 'FIN,SYN,RST,ACK SYN';

const ICMP_TYPES: Record<string, string> = {
  'echo-reply': '0', pong: '0', 'destination-unreachable': '3', 'network-unreachable': '3/0', 'host-unreachable': '3/1', 'protocol-unreachable': '3/2',
  'port-unreachable': '3/3', 'fragmentation-needed': '3/4', 'source-route-failed': '3/5', 'network-unknown': '3/6', 'host-unknown': '3/7',
  'network-prohibited': '3/9', 'host-prohibited': '3/10', 'TOS-network-unreachable': '3/11', 'TOS-host-unreachable': '3/12',
  'communication-prohibited': '3/13', 'host-precedence-violation': '3/14', 'precedence-cutoff': '3/15', 'source-quench': '4', redirect: '5',
  'network-redirect': '5/0', 'host-redirect': '5/1', 'TOS-network-redirect': '5/2', 'TOS-host-redirect': '5/3', 'echo-request': '8', ping: '8',
  'router-advertisement': '9', 'router-solicitation': '10', 'time-exceeded': '11', 'ttl-exceeded': '11', 'ttl-zero-during-transit': '11/0',
  'ttl-zero-during-reassembly': '11/1', 'parameter-problem': '12', 'ip-header-bad': '12/0', 'required-option-missing': '12/1',
  'timestamp-request': '13', 'timestamp-reply': '14', 'address-mask-request': '17', 'address-mask-reply': '18',
};

const ICMP6_TYPES: Record<string, string> = {
  'destination-unreachable': '1', 'no-route': '1/0', 'communication-prohibited': '1/1', 'beyond-scope': '1/2', 'address-unreachable': '1/3',
  'port-unreachable': '1/4', 'failed-policy': '1/5', 'reject-route': '1/6', 'packet-too-big': '2', 'time-exceeded': '3', 'ttl-exceeded': '3',
  'ttl-zero-during-transit': '3/0', 'ttl-zero-during-reassembly': '3/1', 'parameter-problem': '4', 'bad-header': '4/0', 'unknown-header-type': '4/1',
  'unknown-option': '4/2', 'echo-request': '128', ping: '128', 'echo-reply': '129', pong: '129', 'router-solicitation': '133',
  'router-advertisement': '134', 'neighbour-solicitation': '135', 'neighbor-solicitation': '135', 'neighbour-advertisement': '136',
  'neighbor-advertisement': '136', redirect: '137',
};

/** An ICMP type as iptables-save prints it: `8`, `3/3`, `any`; undefined for a name not known. */
export function canonicalIcmpType(spec: string, v6: boolean): string | undefined {
  if (spec === 'any' || spec === '255') return 'any';
  if (/^\d+(\/\d+)?$/.test(spec)) return spec;
  return (v6 ? ICMP6_TYPES : ICMP_TYPES)[spec];
}

const LOG_LEVELS: Record<string, string> = { emerg: '0', panic: '0', alert: '1', crit: '2', err: '3', error: '3', warn: '4', warning: '4', notice: '5', info: '6', debug: '7' };

/** Syslog level as a number (`info` -> `6`). */
export function logLevelNumber(level: string): string | undefined {
  return /^[0-7]$/.test(level) ? level : LOG_LEVELS[level.toLowerCase()];
}

/** The order iptables prints conntrack states and statuses in, whatever order they were given. */
const STATE_ORDER = ['INVALID', 'NEW', 'RELATED', 'ESTABLISHED', 'UNTRACKED', 'SNAT', 'DNAT'];
const STATUS_ORDER = ['NONE', 'EXPECTED', 'SEEN_REPLY', 'ASSURED', 'CONFIRMED'];

function inOrder(list: string, order: string[]): string {
  const items = list.toUpperCase().split(',');
  if (!items.every((x) => order.includes(x))) return list;
  return order.filter((x) => items.includes(x)).join(',');
}

/** A mark as iptables-save prints it: hex, the mask only when it is not all ones (`16` -> `0x10`). */
export function canonicalMark(spec: string): string | undefined {
  const m = parseMark(spec);
  if (!m) return undefined;
  return `0x${m.value.toString(16)}${m.mask === 0xffffffff ? '' : `/0x${m.mask.toString(16)}`}`;
}

/** Option names restore files may spell long; the model uses the short ones iptables-save prints. */
const OPTION_ALIASES: Record<string, string> = {
  'destination-port': 'dport',
  'source-port': 'sport',
  'destination-ports': 'dports',
  'source-ports': 'sports',
};

/**
 * A match option in canonical form; returns a note when a value could not be made canonical
 * (an unknown service name), so the rule can be marked incomplete.
 */
export function canonicalizeOption(module: string, option: MatchOption): string | undefined {
  const alias = OPTION_ALIASES[option.name];
  if (alias) option.name = alias;
  const v = option.value;
  switch (option.name) {
    case 'dport':
    case 'sport':
    case 'dports':
    case 'sports':
    case 'ports': {
      if (v === undefined) return undefined;
      const c = canonicalPorts(v);
      option.value = c.value;
      return c.unresolved.length ? `port ${c.unresolved.map((n) => JSON.stringify(n)).join(", ")} is a resolved name (list with -n)` : undefined;
    }
    case 'syn':
      option.name = 'tcp-flags';
      option.value = SYN_FLAGS;
      return undefined;
    case 'tcp-flags': {
      const [mask, comp] = (v ?? '').split(' ');
      const c = comp === undefined ? undefined : canonicalTcpFlags(mask, comp);
      if (c) option.value = c;
      return undefined;
    }
    case 'icmp-type':
    case 'icmpv6-type': {
      const c = v === undefined ? undefined : canonicalIcmpType(v, option.name === 'icmpv6-type' || module === 'icmp6');
      if (c) option.value = c;
      else return `ICMP type ${v ?? ''} not known`;
      return undefined;
    }
    case 'ctstate':
    case 'state':
      if (v !== undefined) option.value = inOrder(v, STATE_ORDER);
      return undefined;
    case 'ctstatus':
      if (v !== undefined) option.value = inOrder(v, STATUS_ORDER);
      return undefined;
    case 'src-type':
    case 'dst-type':
      if (v !== undefined) option.value = v.toUpperCase();
      return undefined;
    case 'mark':
      if (v !== undefined) option.value = canonicalMark(v) ?? v;
      return undefined;
    case 'mac-source':
      if (v !== undefined) option.value = v.toLowerCase();
      return undefined;
    default:
      return undefined;
  }
}

// ---- typed readers for analyzers and the packet tracer ----

function optionsOf(rule: Rule, modules: readonly string[], names: readonly string[]): { option: MatchOption; match: Match }[] {
  const out: { option: MatchOption; match: Match }[] = [];
  for (const m of rule.matches) if (modules.includes(m.module)) for (const o of m.options) if (names.includes(o.name)) out.push({ option: o, match: m });
  return out;
}

export interface PortCondition {
  /** tcp, udp, sctp, udplite, multiport */
  module: string;
  ranges: PortRange[];
  negated: boolean;
}

/**
 * The destination (or source) port conditions of a rule, from the protocol match and multiport.
 * `--ports` of multiport matches either side and is returned for both. A value that is not
 * numeric (an unresolved name) gives no ranges: callers treat the rule as unknown.
 */
export function portConditions(rule: Rule, side: 'dst' | 'src'): PortCondition[] {
  const names = side === 'dst' ? ['dport', 'dports', 'ports'] : ['sport', 'sports', 'ports'];
  return optionsOf(rule, ['tcp', 'udp', 'sctp', 'udplite', 'multiport', 'dccp'], names).map(({ option, match }) => ({
    module: match.module,
    ranges: parsePorts(option.value ?? '') ?? [],
    negated: option.negated,
  }));
}

export function portInRanges(port: number, ranges: PortRange[]): boolean {
  return ranges.some((r) => port >= r.from && port <= r.to);
}

/** Conntrack states the rule requires (`-m conntrack --ctstate` or the older `-m state --state`). */
export function ctStates(rule: Rule): Negatable<string[]> | undefined {
  const [hit] = optionsOf(rule, ['conntrack', 'state'], ['ctstate', 'state']);
  if (!hit) return undefined;
  return { value: (hit.option.value ?? '').toUpperCase().split(',').filter(Boolean), negated: hit.option.negated };
}

export interface MarkValue {
  value: number;
  /** 0xffffffff when the rule gives no mask */
  mask: number;
}

/** `0x4000/0x4000`, `0x1`, `16` -> value and mask (unsigned 32-bit). */
export function parseMark(spec: string): MarkValue | undefined {
  const slash = spec.indexOf('/');
  const value = toU32(slash < 0 ? spec : spec.slice(0, slash));
  const mask = slash < 0 ? 0xffffffff : toU32(spec.slice(slash + 1));
  if (value === undefined || mask === undefined) return undefined;
  return { value, mask };
}

function toU32(s: string): number | undefined {
  if (!/^(0x[0-9a-f]{1,8}|\d{1,10})$/i.test(s)) return undefined;
  const n = Number(s);
  return n <= 0xffffffff ? n >>> 0 : undefined;
}

/** The packet mark the rule tests (`-m mark --mark`), or the connection mark with `module: 'connmark'`. */
export function markCondition(rule: Rule, module: 'mark' | 'connmark' = 'mark'): (MarkValue & { negated: boolean }) | undefined {
  const [hit] = optionsOf(rule, [module], ['mark']);
  const m = hit && parseMark(hit.option.value ?? '');
  return m && { ...m, negated: hit.option.negated };
}

/** `-m addrtype --src-type/--dst-type` as type lists (LOCAL, UNICAST, BROADCAST, ...). */
export function addrTypes(rule: Rule): { src?: Negatable<string[]>; dst?: Negatable<string[]> } {
  const out: { src?: Negatable<string[]>; dst?: Negatable<string[]> } = {};
  for (const { option } of optionsOf(rule, ['addrtype'], ['src-type', 'dst-type'])) {
    const v = { value: (option.value ?? '').toUpperCase().split(',').filter(Boolean), negated: option.negated };
    if (option.name === 'src-type') out.src = v;
    else out.dst = v;
  }
  return out;
}

export interface NatAddress {
  /** first and last address of the range (equal for one address); absent when only ports are given */
  from?: string;
  to?: string;
  ports?: PortRange;
}

/** `--to-destination 172.18.0.4:15672`, `10.0.0.1-10.0.0.9:1000-2000`, `[fd00::2]:80`, `:8080`. */
export function parseNatAddress(spec: string): NatAddress | undefined {
  let host = spec;
  let ports: string | undefined;
  const bracket = /^\[([^\]]+)\](?::(.+))?$/.exec(spec);
  if (bracket) {
    host = bracket[1];
    ports = bracket[2];
  } else if ((spec.match(/:/g) ?? []).length === 1) {
    [host, ports] = spec.split(':');
  }
  const out: NatAddress = {};
  if (host !== '') {
    const [from, to] = host.split('-');
    out.from = from;
    out.to = to ?? from;
  }
  if (ports !== undefined) {
    const [a, b] = ports.split('-');
    const from = portNumber(a);
    const to = b === undefined ? from : portNumber(b);
    if (from === undefined || to === undefined) return undefined;
    out.ports = { from, to };
  }
  return out.from === undefined && out.ports === undefined ? undefined : out;
}

/** The target with its options read into values; `other` for targets without a typed form. */
export type TargetSpec =
  | { kind: 'none' }
  | { kind: 'verdict'; verdict: 'ACCEPT' | 'DROP' | 'RETURN' | 'QUEUE' }
  | { kind: 'REJECT'; with: string }
  | { kind: 'DNAT'; to?: NatAddress }
  | { kind: 'SNAT'; to?: NatAddress }
  | { kind: 'MASQUERADE'; ports?: PortRange; randomFully: boolean }
  | { kind: 'REDIRECT'; ports?: PortRange }
  | { kind: 'MARK'; xmark?: MarkValue }
  | { kind: 'LOG'; prefix?: string; level: string }
  | { kind: 'TRACE' }
  | { kind: 'chain'; chain: string; goto: boolean }
  | { kind: 'other'; target: string; options: Record<string, string> };

/** iptables' own target names (extensions), as against a user chain's */
export function isBuiltinTarget(name: string): boolean {
  return BUILTIN_TARGETS.has(name);
}

const BUILTIN_TARGETS = new Set(['ACCEPT', 'DROP', 'RETURN', 'QUEUE', 'REJECT', 'DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT', 'MARK', 'LOG', 'TRACE', 'CONNMARK', 'CT', 'NOTRACK', 'TCPMSS', 'CHECKSUM', 'NFQUEUE', 'NFLOG', 'ULOG', 'TPROXY', 'CLASSIFY', 'DSCP', 'TOS', 'TTL', 'HL', 'SET', 'AUDIT', 'SECMARK', 'CONNSECMARK', 'NETMAP', 'TEE', 'IDLETIMER', 'LED', 'RATEEST', 'SYNPROXY', 'HMARK', 'CLUSTERIP', 'ECN']);

/**
 * The target read into values. A name that is no iptables target is a user chain: the tracer
 * needs the rule set to be sure, so `chain` here means "not a known target".
 */
export function targetSpec(rule: Rule): TargetSpec {
  const t = rule.target;
  const o = rule.targetOptions;
  if (!t) return { kind: 'none' };
  switch (t) {
    case 'ACCEPT':
    case 'DROP':
    case 'RETURN':
    case 'QUEUE':
      return { kind: 'verdict', verdict: t };
    case 'REJECT':
      return { kind: 'REJECT', with: o['reject-with'] ?? 'icmp-port-unreachable' };
    case 'DNAT':
      return { kind: 'DNAT', to: o['to-destination'] === undefined ? undefined : parseNatAddress(o['to-destination']) };
    case 'SNAT':
      return { kind: 'SNAT', to: o['to-source'] === undefined ? undefined : parseNatAddress(o['to-source']) };
    case 'MASQUERADE':
      return { kind: 'MASQUERADE', ports: o['to-ports'] === undefined ? undefined : parseNatAddress(':' + o['to-ports'])?.ports, randomFully: 'random-fully' in o };
    case 'REDIRECT':
      return { kind: 'REDIRECT', ports: o['to-ports'] === undefined ? undefined : parseNatAddress(':' + o['to-ports'])?.ports };
    case 'MARK':
      return { kind: 'MARK', xmark: o['set-xmark'] === undefined ? undefined : parseMark(o['set-xmark']) };
    case 'LOG':
      return { kind: 'LOG', prefix: o['log-prefix'], level: o['log-level'] ?? '4' };
    case 'TRACE':
      return { kind: 'TRACE' };
    default:
      if (!BUILTIN_TARGETS.has(t)) return { kind: 'chain', chain: t, goto: rule.targetKind === 'goto' };
      return { kind: 'other', target: t, options: o };
  }
}
