/**
 * What the text and JSON parsers share: canonical match keys, literal normalization (so both
 * forms of one ruleset give equal expressions), rendering expressions back to nft syntax (the
 * text of a rule read from JSON), and the per-rule summary (verdict, NAT, counter).
 */
import type { NftExpr, NftNat, NftRule, NftValue, NftVerdict } from './model.js';

/** payload protocol -> fields nft knows (enough to tell a match from something else) */
export const PAYLOAD_FIELDS: Record<string, ReadonlySet<string>> = {
  ip: new Set(['version', 'hdrlength', 'dscp', 'ecn', 'length', 'id', 'frag-off', 'ttl', 'protocol', 'checksum', 'saddr', 'daddr']),
  ip6: new Set(['version', 'dscp', 'ecn', 'flowlabel', 'length', 'nexthdr', 'hoplimit', 'saddr', 'daddr']),
  tcp: new Set(['sport', 'dport', 'sequence', 'ackseq', 'doff', 'reserved', 'flags', 'window', 'checksum', 'urgptr']),
  udp: new Set(['sport', 'dport', 'length', 'checksum']),
  udplite: new Set(['sport', 'dport', 'csumcov', 'checksum']),
  sctp: new Set(['sport', 'dport', 'vtag', 'checksum']),
  dccp: new Set(['sport', 'dport', 'type']),
  th: new Set(['sport', 'dport']),
  icmp: new Set(['type', 'code', 'checksum', 'id', 'sequence', 'gateway', 'mtu']),
  icmpv6: new Set(['type', 'code', 'checksum', 'parameter-problem', 'packet-too-big', 'id', 'sequence', 'max-delay']),
  igmp: new Set(['type', 'mrt', 'checksum', 'group']),
  ether: new Set(['saddr', 'daddr', 'type']),
  vlan: new Set(['id', 'cfi', 'dei', 'pcp', 'type']),
  arp: new Set(['htype', 'ptype', 'hlen', 'plen', 'operation']),
};

export const META_KEYS: ReadonlySet<string> = new Set([
  'length', 'nfproto', 'l4proto', 'protocol', 'priority', 'mark', 'iif', 'iifname', 'iiftype', 'oif', 'oifname', 'oiftype',
  'skuid', 'skgid', 'nftrace', 'rtclassid', 'ibrname', 'obrname', 'ibrpvid', 'ibrvproto', 'pkttype', 'cpu', 'iifgroup',
  'oifgroup', 'cgroup', 'random', 'ipsec', 'secpath', 'iifkind', 'oifkind', 'time', 'day', 'hour', 'sdif', 'sdifname', 'secmark', 'broute',
]);

/** meta keys nft writes without `meta` */
export const BARE_META_KEYS: ReadonlySet<string> = new Set([
  'iifname', 'oifname', 'iif', 'oif', 'iiftype', 'oiftype', 'mark', 'skuid', 'skgid', 'pkttype', 'cpu', 'iifgroup', 'oifgroup',
  'cgroup', 'nftrace', 'rtclassid', 'ibrname', 'obrname',
]);

export const CT_KEYS: ReadonlySet<string> = new Set([
  'state', 'direction', 'status', 'mark', 'expiration', 'helper', 'l3proto', 'protocol', 'saddr', 'daddr', 'proto-src',
  'proto-dst', 'bytes', 'packets', 'avgpkt', 'zone', 'count', 'id', 'label', 'event', 'secmark',
]);

/** Interface names are the ones a reader compares most: these four keep no `meta` prefix. */
const UNPREFIXED_META = new Set(['iifname', 'oifname', 'iif', 'oif']);

export function metaKey(name: string): string {
  return UNPREFIXED_META.has(name) ? name : `meta ${name}`;
}

/** Older nft prints well-known ports by service name (`tcp dport ssh`); the model keeps numbers. */
const SERVICES: Record<string, string> = {
  ftp: '21', ssh: '22', telnet: '23', smtp: '25', domain: '53', bootps: '67', bootpc: '68', http: '80', pop3: '110',
  ntp: '123', imap2: '143', snmp: '161', ldap: '389', https: '443', submission: '587', ldaps: '636', 'dhcpv6-client': '546',
  'dhcpv6-server': '547', imaps: '993', pop3s: '995', mysql: '3306', postgresql: '5432', mdns: '5353', 'http-alt': '8080',
};

const INT_RE = /^(?:0x[0-9a-fA-F]+|\d+)$/;

function isMarkKey(key: string): boolean {
  return key === 'meta mark' || key === 'ct mark' || key.endsWith(' mark');
}

/** `0x0000ff00`, `65280` -> `0xff00`: the same in both forms whatever padding nft printed. */
export function hexNumber(raw: string | number): string {
  const n = typeof raw === 'number' ? raw : raw.startsWith('0x') || raw.startsWith('0X') ? parseInt(raw, 16) : Number(raw);
  if (!Number.isFinite(n) || n < 0) return String(raw);
  return '0x' + n.toString(16);
}

/** `"docker0"` -> `docker0`, with nft's `\"` escapes. */
export function unquote(tok: string): string {
  if (tok.length >= 2 && tok.charCodeAt(0) === 34 && tok.charCodeAt(tok.length - 1) === 34) {
    const inner = tok.slice(1, -1);
    return inner.includes('\\') ? inner.replace(/\\(.)/g, '$1') : inner;
  }
  return tok;
}

/** One literal as the model keeps it, given the key it is compared with. */
export function normalizeLiteral(key: string, raw: string): string {
  const v = unquote(raw);
  if (isMarkKey(key) && INT_RE.test(v)) return hexNumber(v);
  if ((key.endsWith('dport') || key.endsWith('sport')) && Object.prototype.hasOwnProperty.call(SERVICES, v)) return SERVICES[v];
  return v;
}

const NUMERIC_BOUND = /^(?:\d+|0x[0-9a-fA-F]+|\d{1,3}(?:\.\d{1,3}){3}|[0-9a-fA-F:]*:[0-9a-fA-F:.]*)$/;

/**
 * A literal token to a value: `1000-2000` and `10.0.0.1-10.0.0.9` are ranges, but `ipv6-icmp`
 * and `nd-router-advert` are names, and a quoted `"br-int"` is never a range.
 */
export function literalValue(key: string, tok: string): NftValue {
  if (tok.charCodeAt(0) !== 34) {
    const dash = tok.indexOf('-', 1);
    if (dash > 0 && tok.indexOf('-', dash + 1) < 0) {
      const from = tok.slice(0, dash);
      const to = tok.slice(dash + 1);
      if (NUMERIC_BOUND.test(from) && NUMERIC_BOUND.test(to)) return { kind: 'range', from: normalizeLiteral(key, from), to: normalizeLiteral(key, to) };
    }
  }
  return { kind: 'value', value: normalizeLiteral(key, tok) };
}

const VERDICT_WORDS = new Set(['accept', 'drop', 'continue', 'return']);

export function isVerdictWord(w: string): w is 'accept' | 'drop' | 'continue' | 'return' {
  return VERDICT_WORDS.has(w);
}

/** `with icmp type host-prohibited` (nft <= 1.0.6) and `with icmp host-prohibited` say the same. */
export function normalizeRejectWith(parts: string[]): string | undefined {
  const p = parts.filter((x, i) => !(x === 'type' && i === 1 && (parts[0] === 'icmp' || parts[0] === 'icmpv6' || parts[0] === 'icmpx')));
  return p.length ? p.join(' ') : undefined;
}

/**
 * A NAT statement's target `172.17.0.2:80`, `[fe80::1]:80`, `:8080`, `10.0.0.1-10.0.0.9:80-90`
 * into address and ports.
 */
export function splitNatTarget(to: string): { to?: string; ports?: string } {
  if (to.startsWith('[')) {
    const close = to.indexOf(']');
    if (close > 0) {
      const rest = to.slice(close + 1);
      return { to: to.slice(1, close), ports: rest.startsWith(':') ? rest.slice(1) : undefined };
    }
  }
  if (to.startsWith(':')) return { ports: to.slice(1) };
  const colons = to.split(':').length - 1;
  if (colons === 1) {
    const [a, p] = to.split(':');
    return { to: a, ports: p };
  }
  // bare IPv6 (no port) or IPv4 without port
  return { to };
}

function needsQuotes(key: string, v: string): boolean {
  return key.endsWith('ifname') || key === 'comment' || /[\s"{}]/.test(v) || v === '';
}

export function renderValue(key: string, v: NftValue): string {
  switch (v.kind) {
    case 'value':
      return needsQuotes(key, v.value) ? JSON.stringify(v.value) : v.value;
    case 'range':
      return `${v.from}-${v.to}`;
    case 'setRef':
      return `@${v.name}`;
    case 'set':
      return `{ ${v.elements.map((e) => renderValue(key, e)).join(', ')} }`;
  }
}

export function renderVerdict(v: NftVerdict): string {
  if (v.kind === 'jump' || v.kind === 'goto') return `${v.kind} ${v.target ?? ''}`.trim();
  if (v.kind === 'reject' && v.rejectWith) return `reject with ${v.rejectWith}`;
  return v.kind;
}

export function renderNat(n: NftNat): string {
  const fam = n.family ? ` ${n.family}` : '';
  let to = '';
  if (n.to !== undefined || n.ports !== undefined) {
    const addr = n.to === undefined ? '' : n.to.includes(':') && n.ports !== undefined ? `[${n.to}]` : n.to;
    to = ` to ${addr}${n.ports !== undefined ? ':' + n.ports : ''}`;
  }
  const flags = n.flags?.length ? ' ' + n.flags.join(',') : '';
  return `${n.kind}${fam}${to}${flags}`;
}

/** nft syntax for one expression (the rule text of JSON input; messages). */
export function renderExpr(e: NftExpr): string {
  switch (e.kind) {
    case 'match': {
      const mask = e.mask !== undefined ? ` and ${e.mask}` : '';
      const op = e.op === '==' && e.mask === undefined ? '' : `${e.op} `;
      return `${e.key}${mask} ${op}${renderValue(e.key, e.value)}`;
    }
    case 'vmap':
      return e.setRef !== undefined
        ? `${e.key} vmap @${e.setRef}`
        : `${e.key} vmap { ${(e.entries ?? []).map((x) => `${renderValue(e.key, x.key)} : ${renderVerdict(x.verdict)}`).join(', ')} }`;
    case 'verdict':
      return renderVerdict(e.verdict);
    case 'nat':
      return renderNat(e.nat);
    case 'counter':
      if (e.name !== undefined) return `counter name ${JSON.stringify(e.name)}`;
      return e.packets !== undefined ? `counter packets ${e.packets} bytes ${e.bytes ?? 0}` : 'counter';
    case 'log': {
      const parts = ['log'];
      if (e.prefix !== undefined) parts.push(`prefix ${JSON.stringify(e.prefix)}`);
      if (e.level !== undefined) parts.push(`level ${e.level}`);
      if (e.group !== undefined) parts.push(`group ${e.group}`);
      return parts.join(' ');
    }
    case 'limit':
      return `limit rate ${e.over ? 'over ' : ''}${e.rate}${e.unit ? ' ' + e.unit : ''}/${e.per}${e.burst !== undefined ? ` burst ${e.burst} ${e.unit ?? 'packets'}` : ''}`;
    case 'mangle':
      return `${e.key} set ${e.value}`;
    case 'xt':
      return `xt ${e.xtType} ${e.name}`;
    case 'unknown':
      return e.text;
  }
}

const XT_TARGET_NAT: Record<string, NftNat['kind']> = { MASQUERADE: 'masquerade', DNAT: 'dnat', SNAT: 'snat', REDIRECT: 'redirect' };

/**
 * Fills a rule's summary from its expressions. An untranslated xt target still says what it
 * does in its name: REJECT rejects, MASQUERADE/DNAT/SNAT/REDIRECT translate (details unknown).
 */
export function summarizeRule(rule: NftRule): void {
  for (const e of rule.exprs) {
    if (e.kind === 'verdict') rule.verdict = e.verdict;
    else if (e.kind === 'nat') rule.nat = e.nat;
    else if (e.kind === 'counter' && e.packets !== undefined) rule.counter = { packets: e.packets, bytes: e.bytes ?? 0 };
    else if (e.kind === 'xt') {
      rule.xt = true;
      if (e.xtType === 'target') {
        if (e.name === 'REJECT') rule.verdict = { kind: 'reject' };
        else if (Object.prototype.hasOwnProperty.call(XT_TARGET_NAT, e.name)) rule.nat = { kind: XT_TARGET_NAT[e.name] };
      }
    }
  }
}
