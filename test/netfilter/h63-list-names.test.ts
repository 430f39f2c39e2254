/**
 * `iptables -L` without -n (and without -v): names where -n prints numbers. `anywhere` is any address,
 * service names are their ports, the names of /etc/networks' defaults and localhost their addresses; any
 * other host name is an address not known: kept as printed, never read as "any" (0.0.0.0/0).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { isAddressLiteral } from '../../src/netfilter/rules.js';
import { parseIptablesSave, sniffIptables } from '../../src/netfilter/save-format.js';
import { parseIptablesList } from '../../src/netfilter/list-format.js';
import { projectPath } from '../helpers/shared.js';
import { ruleView } from './model-view.js';

const fx = (f: string) => readFileSync(projectPath('test/fixtures/h63', f), 'utf8');

describe('k3s#283: iptables -L without -n/-v (https://github.com/k3s-io/k3s/issues/283, verbatim)', () => {
  const text = fx('k3s-283.iptables-L.txt');
  const rs = parseIptablesList(text, 'iptables_-L.txt');
  const fwd = rs.tables.filter.chains.FORWARD.rules;
  it('is read as a listing, every row understood', () => {
    expect(sniffIptables(text)).toBe('list');
    expect(rs.warnings).toEqual([]);
    expect(rs.tables.filter.chains.INPUT.rules).toHaveLength(7);
    expect(fwd).toHaveLength(4);
  });
  it('anywhere is any address; dpt:ssh is port 22; the REJECT keeps its reject-with', () => {
    const input = rs.tables.filter.chains.INPUT.rules;
    expect(input.every((r) => r.source === undefined && r.destination === undefined)).toBe(true);
    expect(ruleView(input[5]).matches).toEqual(['state state=NEW', 'tcp dport=22']);
    expect(fwd[1]).toMatchObject({ target: 'REJECT', targetOptions: { 'reject-with': 'icmp-host-prohibited' } });
    expect(fwd[1].source).toBeUndefined();
  });
  it('schmitch01/16 is a name: kept as printed, not an address and not any, the rule marked', () => {
    expect(fwd[2].source).toEqual({ value: 'schmitch01/16', negated: false });
    expect(fwd[3].destination).toEqual({ value: 'schmitch01/16', negated: false });
    expect(isAddressLiteral(fwd[2].source!.value)).toBe(false);
    expect(fwd[2].incomplete).toEqual(expect.arrayContaining(['address "schmitch01/16" is a resolved name (list with -n)']));
  });
  it('no interface is read into a listing without -v, and the rules say so', () => {
    expect(fwd.every((r) => r.inInterface === undefined && r.outInterface === undefined)).toBe(true);
    expect(fwd.every((r) => r.incomplete?.includes('listing without -v: interfaces and counters not shown'))).toBe(true);
  });
});

describe('iptables -L made in namespace h63x (hosts: 10.42.0.0 schmitch01, 192.168.1.10 node-a.example)', () => {
  const save = parseIptablesSave(fx('names-iptables-save.txt'), 'iptables-save');
  const named = parseIptablesList(fx('names-iptables-L.txt'), 'iptables-L');
  const numeric = parseIptablesList(fx('names-iptables-L-n.txt'), 'iptables-L-n');
  const pairs = Object.keys(save.tables.filter.chains).flatMap((c) => save.tables.filter.chains[c].rules.map((r, i) => [r, named.tables.filter.chains[c].rules[i], numeric.tables.filter.chains[c].rules[i]] as const));
  const hostNamed = (r: (typeof pairs)[number][1]) => [r.source?.value, r.destination?.value].some((a) => a !== undefined && !isAddressLiteral(a));
  it('every row without a host name equals the saved rule: services, ranges, multiport, loopback/8, localhost', () => {
    const plain = pairs.filter(([, l]) => !hostNamed(l));
    expect(plain.length).toBeGreaterThan(20);
    for (const [s, l] of plain) expect(ruleView(l, false), l.text).toEqual(ruleView(s, false));
    // the names this check rests on are in the listing
    expect(fx('names-iptables-L.txt')).toMatch(/dpts:bootps:bootpc[\s\S]*dpt:postgresql[\s\S]*multiport dports http,https,http-alt[\s\S]*loopback\/8[\s\S]*localhost/);
  });
  it('every row with a host name keeps it: neither any address nor a guess, the -n listing has the address', () => {
    const hosts = pairs.filter(([, l]) => hostNamed(l));
    expect(hosts.map(([, l]) => [l.source?.value ?? null, l.destination?.value ?? null])).toEqual([
      ['node-a.example', null],
      ['schmitch01/16', null],
      [null, 'schmitch01/16'],
      ['schmitch01/16', '10.43.0.0/16'],
      [null, 'schmitch01/16'],
    ]);
    expect(hosts[3][1].source?.negated).toBe(true);
    for (const [s, , n] of hosts) expect(ruleView(n, false)).toEqual(ruleView(s, false));
    for (const [, l] of hosts) expect(l.incomplete?.some((x) => /is a resolved name/.test(x))).toBe(true);
  });
});

describe('isAddressLiteral', () => {
  it.each(['10.42.0.0/16', '192.168.1.10/32', '0.0.0.0/0', '::/0', 'fe80::/10', 'fd00:dead:beef::2/128', '127.0.0.1'])('%s is an address', (a) => expect(isAddressLiteral(a)).toBe(true));
  it.each(['schmitch01/16', 'node-a.example', 'anywhere', 'localhost', 'db', 'cafe'])('%s is a name', (a) => expect(isAddressLiteral(a)).toBe(false));
});
