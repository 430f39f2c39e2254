/**
 * The CIDR helpers (src/parsers/cidr.ts) on the prefixes real tools print: every route
 * destination the kernel reports is already a network, so networkOf() must give it back unchanged.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { addressIn, cidrContains, cidrOverlap, formatCidr, networkOf, parseCidr, parseIp } from '../../src/parsers/cidr.js';
import { projectPath } from '../helpers/shared.js';

const cidr = (text: string) => {
  const c = parseCidr(text);
  if (!c) throw new Error(`test input ${text} must parse`);
  return c;
};

describe('parseIp', () => {
  it('IPv4 as a 32-bit value, rejecting octets past 255 and short forms', () => {
    expect(parseIp('10.244.1.1')).toEqual({ family: 4, value: 0x0af40101n });
    expect(parseIp('255.255.255.255')).toEqual({ family: 4, value: 0xffffffffn });
    expect(parseIp('0.0.0.0')).toEqual({ family: 4, value: 0n });
    for (const bad of ['256.1.1.1', '10.1.1', '10.1.1.1.1', '10.1.1.x', '', ' 10.1.1.1', '10.1.1.1/24']) expect(parseIp(bad), bad).toBeUndefined();
  });

  it('IPv6 with and without ::, rejecting two :: and groups of five digits', () => {
    expect(parseIp('::1')).toEqual({ family: 6, value: 1n });
    expect(parseIp('::')).toEqual({ family: 6, value: 0n });
    expect(parseIp('fe80::')).toEqual({ family: 6, value: 0xfe80n << 112n });
    expect(parseIp('fd00:10:244:1::1')?.value).toBe(0xfd000010024400010000000000000001n);
    expect(parseIp('2001:db8:0:0:0:0:0:1')?.value).toBe(parseIp('2001:db8::1')?.value);
    for (const bad of ['1::2::3', '12345::1', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', 'g::1', ':::']) expect(parseIp(bad), bad).toBeUndefined();
  });
});

describe('parseCidr / formatCidr / networkOf', () => {
  it('clears host bits and keeps the text it came from', () => {
    expect(cidr('10.10.1.1/24')).toMatchObject({ family: 4, network: 0x0a0a0100n, prefix: 24, text: '10.10.1.1/24' });
    expect(networkOf('10.10.1.1/24')).toBe('10.10.1.0/24');
    expect(networkOf('10.10.1.0/32')).toBe('10.10.1.0/32');
    expect(networkOf('172.17.0.1/16')).toBe('172.17.0.0/16');
    expect(networkOf('192.168.33.33/26')).toBe('192.168.33.0/26');
    expect(networkOf('10.0.0.7/0')).toBe('0.0.0.0/0');
  });

  it('a bare address is a host prefix', () => {
    expect(cidr('10.1.84.0').prefix).toBe(32);
    expect(cidr('fe80::1').prefix).toBe(128);
  });

  it('prefixes out of range are refused', () => {
    for (const bad of ['10.0.0.0/33', '10.0.0.0/-1', '10.0.0.0/x', '::/129', 'nonsense/8']) expect(parseCidr(bad), bad).toBeUndefined();
  });

  it('IPv6 networks come out in the compressed form the kernel prints', () => {
    expect(networkOf('fd00:10:244:1::1/64')).toBe('fd00:10:244:1::/64');
    expect(networkOf('fe80::74fd:21ff:fe2d:3281/64')).toBe('fe80::/64');
    expect(networkOf('::1/128')).toBe('::1/128');
    expect(networkOf('2001::211:3fff:fee2:f59e/64')).toBe('2001::/64');
    expect(formatCidr(cidr('::/0'))).toBe('::/0');
  });

  it('every destination in a real `ip route show table all` is its own network', () => {
    const text = readFileSync(projectPath('test/fixtures/iproute2/ip_route_show_table_all'), 'utf8');
    const prefixes = text
      .split('\n')
      .map((l) => l.split(/\s+/).find((w) => /^[0-9a-f.:]+\/\d+$/.test(w)))
      .filter((w): w is string => !!w);
    // 10.244.1.0/24 ... ff00::/8: both families, several prefix lengths
    expect(prefixes.length).toBeGreaterThanOrEqual(12);
    for (const p of prefixes) expect(networkOf(p), p).toBe(p);
  });

  // RFC 5952: the LONGEST run of zero groups becomes "::"; iproute2 prints fd00:0:0:1::/64.
  // Today formatCidr compresses the first run it meets, so string comparison with `ip`
  // output (or between two files) misses. Turn into `it` once fixed.
  it('the longest run of zero groups is compressed, not the first', () => {
    expect(networkOf('fd00:0:0:1::5/64')).toBe('fd00:0:0:1::/64');
  });

  // `10.0.0.0/` reads as /0 (Number('') is 0) and `/1e1` as /10: a typo becomes "everything".
  it('an empty or non-decimal prefix is refused', () => {
    expect(parseCidr('10.0.0.0/')).toBeUndefined();
    expect(parseCidr('10.0.0.0/1e1')).toBeUndefined();
  });
});

describe('containment and overlap', () => {
  it('flannel: subnet inside network, or not (flannel-1983: 10.224.0.1/24 vs 10.244.0.0/16)', () => {
    expect(addressIn('10.1.84.1/24', '10.1.0.0/16')).toBe(true);
    expect(addressIn('10.224.0.1/24', '10.244.0.0/16')).toBe(false);
    expect(cidrContains(cidr('10.244.0.0/16'), cidr('10.244.1.0/24'))).toBe(true);
    expect(cidrContains(cidr('10.244.1.0/24'), cidr('10.244.0.0/16'))).toBe(false);
    expect(cidrContains(cidr('0.0.0.0/0'), cidr('192.168.32.0/20'))).toBe(true);
    expect(cidrContains(cidr('10.10.1.0/32'), cidr('10.10.1.0/32'))).toBe(true);
  });

  it('the two families never contain or overlap each other', () => {
    expect(cidrContains(cidr('::/0'), cidr('10.0.0.0/8'))).toBe(false);
    expect(cidrOverlap(cidr('0.0.0.0/0'), cidr('fd00::/8'))).toBe(false);
    expect(addressIn('10.0.0.1', '::/0')).toBe(false);
  });

  it('overlap is symmetric: docker default pool vs a LAN, docker0 vs 172.16/12', () => {
    const pool = cidr('192.168.32.0/20');
    const lan = cidr('192.168.40.0/24');
    expect(cidrOverlap(pool, lan)).toBe(true);
    expect(cidrOverlap(lan, pool)).toBe(true);
    expect(cidrOverlap(cidr('172.17.0.0/16'), cidr('172.16.0.0/12'))).toBe(true);
    expect(cidrOverlap(cidr('172.17.0.0/16'), cidr('172.18.0.0/16'))).toBe(false);
  });

  it('IPv6 containment through BigInt', () => {
    expect(addressIn('fd00:10:244:1::5', 'fd00:10:244:1::/64')).toBe(true);
    expect(addressIn('fd00:10:244:2::5', 'fd00:10:244:1::/64')).toBe(false);
    expect(cidrContains(cidr('fe80::/10'), cidr('fe80::4cfd:7cff:fe9e:aa63/64'))).toBe(true);
  });
});
