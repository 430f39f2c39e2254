/**
 * IPv6 packets through ip6tables rules, on a dump the real ip6tables-save printed in a network
 * namespace (test/fixtures/ipv6/unit-host.ip6tables-save: rules written with `-p icmpv6`, `-p 58`,
 * `FD99:0:0:0::3`, `--icmpv6-type ping`, which ip6tables-save prints canonically), and on
 * hand-written restore files as they sit in /etc/sysconfig/ip6tables.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { icmp6TypeMatches, nftIcmp6Number } from '../../src/netfilter/icmp.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { isIpv6, mergeRulesets, trace, type Packet, type TraceContext } from '../../src/netfilter/trace.js';
import { parseNftText } from '../../src/nft/parse-text.js';
import { nftExtraChains } from '../../src/nft/trace.js';
import { projectPath } from '../helpers/shared.js';

const rs = parseIptablesSave(readFileSync(projectPath('test/fixtures/ipv6/unit-host.ip6tables-save'), 'utf8'), 'ip6tables-save');
const tables = mergeRulesets([rs]);
const HOST = 'fd99::1';
const ctx: TraceContext = { localAddresses: ['10.99.0.1', HOST, 'fe80::1c2d:3eff:fe4f:5a6b', 'fd98::1'], interfaceFor: (ip) => (ip.startsWith('fd00:dead:beef:') ? 'docker0' : ip.startsWith('fd99:') ? 'br0' : 'eth0') };
const pkt = (over: Partial<Packet>): Packet => ({ src: 'fd99::2', dst: HOST, protocol: 'tcp', sport: 40000, inInterface: 'br0', state: 'new', mark: 0, ...over });
const at = (r: ReturnType<typeof trace>) => `${r.verdict.kind}${r.verdict.kind === 'REJECT' ? ` ${r.verdict.with}` : ''} ${r.decidedBy ? `${r.decidedBy.table}/${r.decidedBy.chain}#${r.decidedBy.num}` : '-'}`;

describe('IPv6 packets through ip6tables rules', () => {
  it('the dump is IPv6, and IPv6 packets are told by their addresses', () => {
    expect(rs.family).toBe('ipv6');
    expect(isIpv6(pkt({}))).toBe(true);
    expect(isIpv6({ src: '10.0.0.1', dst: '10.0.0.2' })).toBe(false);
  });

  it('ICMPv6 types by number and name: echo request is 128, neighbour discovery 135/136; an ICMPv6 reject and tcp-reset', () => {
    expect(icmp6TypeMatches('echo-request', 128, 0)).toBe(true);
    expect(icmp6TypeMatches('ping', 128, 0)).toBe(true);
    expect(icmp6TypeMatches('128', 128, 0)).toBe(true);
    expect(icmp6TypeMatches('neighbour-solicitation', 135, 0)).toBe(true);
    expect(icmp6TypeMatches('neighbor-advertisement', 136, 0)).toBe(true);
    expect(icmp6TypeMatches('1/4', 1, 4)).toBe(true);
    expect(icmp6TypeMatches('port-unreachable', 1, 3)).toBe(false);
    expect(icmp6TypeMatches('echo-request', 8, 0)).toBe(false);
    expect(icmp6TypeMatches('no-such-type', 128, 0)).toBe('unknown');
    expect(nftIcmp6Number('nd-neighbor-solicit', 'type')).toBe(135);
    expect(nftIcmp6Number('admin-prohibited', 'code')).toBe(1);
    // fd99::3 (written FD99:0:0:0::3) is refused with icmp6-adm-prohibited; fd99::2 gets its echo accepted
    expect(at(trace(tables, 'input', pkt({ src: 'fd99::3', protocol: 'ipv6-icmp' }), ctx))).toBe('REJECT icmp6-adm-prohibited filter/INPUT#6');
    expect(at(trace(tables, 'input', pkt({ protocol: 'ipv6-icmp' }), ctx))).toBe('ACCEPT filter/INPUT#7');
    // an echo reply is none of those: the final reject (an ICMPv6 packet gets icmp6-port-unreachable)
    expect(at(trace(tables, 'input', pkt({ protocol: 'ipv6-icmp', icmpType: 129 }), ctx))).toBe('REJECT icmp6-port-unreachable filter/INPUT#15');
    // an ICMP (v4) rule never catches ICMPv6
    expect(at(trace(tables, 'input', pkt({ protocol: 'tcp', dport: 23 }), ctx))).toBe('REJECT tcp-reset filter/INPUT#14');
  });

  it('neighbour discovery: the solicitation needs hop limit 255 (-m hl is not modelled: a fork), the advertisement is accepted', () => {
    const ns = trace(tables, 'input', pkt({ dst: 'ff02::1:ff00:1', protocol: 'ipv6-icmp', icmpType: 135, state: 'untracked' }), ctx);
    // the hl rule matched: ACCEPT; not matched: the final REJECT. The sides differ: unknown, at that rule
    expect(ns.verdict.kind).toBe('unknown');
    expect(ns.verdict.kind === 'unknown' && ns.verdict.reason).toMatch(/-m hl --hl-eq 255/);
    expect(at(trace(tables, 'input', pkt({ protocol: 'ipv6-icmp', icmpType: 136, state: 'untracked' }), ctx))).toBe('ACCEPT filter/INPUT#5');
  });

  it('prefixes in any spelling; link-local and addrtype LOCAL with the node IPv6 addresses; no routing header, no fragment', () => {
    expect(at(trace(tables, 'input', pkt({ src: 'FD99::0:2', dport: 22 }), ctx))).toBe('ACCEPT filter/INPUT#8');
    expect(at(trace(tables, 'input', pkt({ src: 'fd98::7', dport: 22 }), ctx))).toBe('REJECT tcp-reset filter/INPUT#14');
    expect(at(trace(tables, 'input', pkt({ dst: 'fe80::1c2d:3eff:fe4f:5a6b', protocol: 'udp', dport: 546 }), ctx))).toBe('ACCEPT filter/INPUT#9');
    // addrtype LOCAL: the node's ULA in another spelling, and ::1 (the loopback rule is for -i lo)
    expect(at(trace(tables, 'input', pkt({ dst: 'FD98:0::1', dport: 8080 }), ctx))).toBe('ACCEPT filter/INPUT#10');
    expect(at(trace(tables, 'input', pkt({ src: '::1', dst: '::1', inInterface: 'eth0', dport: 8080 }), ctx))).toBe('ACCEPT filter/INPUT#10');
    // -m rt and -m ipv6header --header ipv6-frag --soft do not match a plain packet
    expect(trace(tables, 'input', pkt({ dport: 8080 }), ctx).steps.some((s) => /-m rt|ipv6header/.test(s.text))).toBe(false);
  });

  it('-m hl is not modelled: walked both ways; a verdict only where both sides agree', () => {
    const r = trace(tables, 'input', pkt({ dport: 5432 }), ctx);
    expect(r.verdict.kind).toBe('unknown');
    expect(r.verdict.kind === 'unknown' && r.verdict.reason).toMatch(/match not modelled: -m hl --hl-lt 10/);
  });

  it('Docker --ip6tables: DNAT to [addr]:port turns a delivery into a forward; MASQUERADE of the ULA subnet on the way out', () => {
    const r = trace(tables, 'input', pkt({ src: '2001:db8::9', dst: 'fd98::1', inInterface: 'eth0', dport: 8088 }), ctx);
    expect(r.path).toBe('forward');
    expect(r.packet).toMatchObject({ dst: 'fd00:dead:beef::2', dport: 80, dnat: true, outInterface: 'docker0' });
    expect(at(r)).toBe('ACCEPT filter/DOCKER#1');
    const out = trace(tables, 'forward', pkt({ src: 'fd00:dead:beef::2', dst: '2001:db8::9', inInterface: 'docker0', dport: 443 }), ctx);
    expect(at(out)).toBe('ACCEPT filter/FORWARD#3');
    expect(out.packet.snat).toEqual({ masquerade: true });
    // the reply: conntrack ESTABLISHED, no nat
    expect(at(trace(tables, 'forward', pkt({ src: '2001:db8::9', dst: 'fd00:dead:beef::2', inInterface: 'eth0', sport: 443, dport: 40000, state: 'established' }), ctx))).toBe('ACCEPT filter/FORWARD#1');
    // a new connection from outside to a port Docker did not publish: the FORWARD policy
    expect(at(trace(tables, 'forward', pkt({ src: '2001:db8::9', dst: 'fd00:dead:beef::2', inInterface: 'eth0', dport: 81 }), ctx))).toBe('DROP filter/FORWARD#0');
  });

  it('hand-written restore files: short reject names, an unbracketed DNAT address, SNAT to an IPv6 address', () => {
    const text = [
      '*nat',
      ':PREROUTING ACCEPT [0:0]',
      ':INPUT ACCEPT [0:0]',
      ':OUTPUT ACCEPT [0:0]',
      ':POSTROUTING ACCEPT [0:0]',
      '-A PREROUTING -d fd98::1 -p tcp --dport 9000 -j DNAT --to-destination fd99::2',
      '-A POSTROUTING -s fd99::/64 -j SNAT --to-source fd98::1',
      'COMMIT',
      '*filter',
      ':INPUT ACCEPT [0:0]',
      ':FORWARD ACCEPT [0:0]',
      ':OUTPUT ACCEPT [0:0]',
      '-A INPUT -p udp -j REJECT --reject-with adm-prohibited',
      '-A INPUT -p tcp --dport 7 -j REJECT',
      'COMMIT',
      '',
    ].join('\n');
    const t = mergeRulesets([parseIptablesSave(text, 'ip6tables')]);
    expect(at(trace(t, 'input', pkt({ protocol: 'udp', dport: 53 }), ctx))).toBe('REJECT icmp6-adm-prohibited filter/INPUT#1');
    expect(at(trace(t, 'input', pkt({ dport: 7 }), ctx))).toBe('REJECT icmp6-port-unreachable filter/INPUT#2');
    const d = trace(t, 'input', pkt({ src: '2001:db8::9', dst: 'fd98::1', inInterface: 'eth0', dport: 9000 }), ctx);
    expect(d.packet).toMatchObject({ dst: 'fd99::2', dport: 9000, dnat: true });
    expect(d.path).toBe('forward');
    expect(trace(t, 'forward', pkt({ dst: '2001:db8::9', outInterface: 'eth0', dport: 443 }), ctx).packet.snat).toEqual({ to: 'fd98::1' });
  });

  it('nftables: an IPv6 packet meets ip6 and inet tables, never ip ones', () => {
    const nft = parseNftText(
      [
        'table ip v4only {',
        '\tchain input {',
        '\t\ttype filter hook input priority filter; policy drop;',
        '\t}',
        '}',
        'table inet fw {',
        '\tchain input {',
        '\t\ttype filter hook input priority filter + 10; policy accept;',
        '\t\tip saddr 10.0.0.0/8 drop',
        '\t\ticmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept',
        '\t\tip6 saddr fd99::3 icmpv6 type echo-request reject with icmpv6 admin-prohibited',
        '\t\tip6 saddr fd99::/64 tcp dport 22 accept',
        '\t\tmeta l4proto ipv6-icmp accept',
        '\t\treject with icmp host-prohibited',
        '\t\treject',
        '\t}',
        '}',
        '',
      ].join('\n'),
      'nft-list-ruleset',
    );
    const c: TraceContext = { ...ctx, extraChains: nftExtraChains([nft], 'ip6') };
    const empty = new Map();
    const v = (p: Partial<Packet>) => {
      const r = trace(empty, 'input', pkt(p), c);
      return `${r.verdict.kind}${r.verdict.kind === 'REJECT' ? ` ${r.verdict.with}` : ''} ${r.decidedBy?.num ?? '-'}`;
    };
    expect(v({ dport: 22 })).toBe('ACCEPT 4');
    expect(v({ protocol: 'ipv6-icmp', src: 'fd99::3' })).toBe('REJECT icmpv6 admin-prohibited 3');
    expect(v({ protocol: 'ipv6-icmp', icmpType: 135, state: 'untracked' })).toBe('ACCEPT 2');
    expect(v({ protocol: 'ipv6-icmp', icmpType: 129 })).toBe('ACCEPT 5');
    // `reject with icmp ...` is for IPv4: the plain reject after it sends ICMPv6 port unreachable
    expect(v({ dport: 80 })).toBe('REJECT icmpv6 port-unreachable 7');
    // the same rules for an IPv4 packet: the ip table's drop policy
    const r4 = trace(empty, 'input', { src: '10.99.0.2', dst: '10.99.0.1', protocol: 'tcp', dport: 22, state: 'new', mark: 0, inInterface: 'br0' }, { ...ctx, extraChains: nftExtraChains([nft]) });
    expect(r4.verdict.kind).toBe('DROP');
  });
});
