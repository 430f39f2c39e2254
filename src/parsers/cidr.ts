/** IPv4/IPv6 addresses and prefixes: containment and overlap, for subnets found across files. */

export interface Cidr {
  family: 4 | 6;
  /** network address as a big integer */
  network: bigint;
  prefix: number;
  /** the text it came from */
  text: string;
}

export function parseIp(ip: string): { family: 4 | 6; value: bigint } | undefined {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (v4) {
    const o = v4.slice(1).map(Number);
    if (o.some((x) => x > 255)) return undefined;
    return { family: 4, value: BigInt(((o[0] << 24) >>> 0) + (o[1] << 16) + (o[2] << 8) + o[3]) };
  }
  if (!ip.includes(':') || !/^[0-9a-fA-F:.]+$/.test(ip)) return undefined;
  const [head, tail] = ip.split('::');
  if (ip.split('::').length > 2) return undefined;
  const hs = head ? head.split(':') : [];
  const ts = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const missing = 8 - hs.length - ts.length;
  if ((tail === undefined && missing !== 0) || missing < 0) return undefined;
  const groups = [...hs, ...Array(tail === undefined ? 0 : missing).fill('0'), ...ts];
  let value = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    value = (value << 16n) + BigInt(parseInt(g, 16));
  }
  return { family: 6, value };
}

/** `10.244.1.1/24` -> network 10.244.1.0/24 (host bits cleared); a bare address is a /32 or /128. */
export function parseCidr(text: string): Cidr | undefined {
  const [ip, p] = text.trim().split('/');
  const addr = parseIp(ip);
  if (!addr) return undefined;
  const bits = addr.family === 4 ? 32 : 128;
  // `10.0.0.0/` or `/1e1` are typos, not "everything" or /10
  if (p !== undefined && !/^\d{1,3}$/.test(p)) return undefined;
  const prefix = p === undefined ? bits : Number(p);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > bits) return undefined;
  const mask = prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(bits - prefix);
  return { family: addr.family, network: addr.value & mask, prefix, text };
}

export function formatCidr(c: Cidr): string {
  if (c.family === 4) {
    const n = Number(c.network);
    return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}/${c.prefix}`;
  }
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((c.network >> BigInt(i * 16)) & 0xffffn).toString(16));
  // RFC 5952 (and iproute2): the longest run of two or more zero groups becomes "::", the first on a tie
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const text = best < 0 ? groups.join(':') : `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
  return `${text}/${c.prefix}`;
}

/** `inner` lies entirely within `outer`. */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  if (outer.family !== inner.family || inner.prefix < outer.prefix) return false;
  const bits = outer.family === 4 ? 32 : 128;
  const shift = BigInt(bits - outer.prefix);
  return outer.prefix === 0 || inner.network >> shift === outer.network >> shift;
}

export function cidrOverlap(a: Cidr, b: Cidr): boolean {
  return cidrContains(a, b) || cidrContains(b, a);
}

/** The network an interface address belongs to: 10.244.1.1/24 -> 10.244.1.0/24. */
export function networkOf(addressWithPrefix: string): string | undefined {
  const c = parseCidr(addressWithPrefix);
  return c ? formatCidr(c) : undefined;
}

/** An address (with or without prefix) inside a network. */
export function addressIn(address: string, network: string): boolean {
  const a = parseCidr(address.split('/')[0]);
  const n = parseCidr(network);
  return !!a && !!n && cidrContains(n, a);
}

/** An IPv6 link-local address (fe80::/10), in any spelling. */
export function isLinkLocal6(address: string): boolean {
  return /^fe[89ab][0-9a-f]:/i.test(address);
}

export type Ipv6PrefixKind = 'global' | 'documentation' | 'ula' | 'link-local' | 'other';

/** What a prefix is: global unicast (2000::/3; 2001:db8::/32 is documentation's), ULA (fc00::/7), link-local (fe80::/10), else other. */
export function ipv6PrefixKind(prefix: string): Ipv6PrefixKind | undefined {
  const m = /^([0-9A-Fa-f]{0,4})(?::([0-9A-Fa-f]{0,4}))?[0-9A-Fa-f:.]*(?:\/(\d{1,3}))?$/.exec(prefix.trim());
  if (!m || !prefix.includes(':')) return undefined;
  const h1 = parseInt(m[1] || '0', 16);
  const h2 = parseInt(m[2] || '0', 16);
  if ((h1 & 0xfe00) === 0xfc00) return 'ula';
  if ((h1 & 0xffc0) === 0xfe80) return 'link-local';
  if (h1 === 0x2001 && h2 === 0x0db8) return 'documentation';
  if ((h1 & 0xe000) === 0x2000) return 'global';
  return 'other';
}
