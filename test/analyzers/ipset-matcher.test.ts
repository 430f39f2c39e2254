/**
 * analyzers/lib/ipset.ts on the real listings of test/fixtures/ipset (kube-proxy IPVS, Calico, and
 * sets with every option): what each `--match-set` of those rules decides, and where it must not
 * decide. The kernel agreement over random sets is ipset-kernel.test.ts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ipsetMatcher } from '../../analyzers/lib/ipset.js';
import type { Packet } from '../../src/netfilter/trace.js';
import { parseIpset } from '../../src/parsers/ipset.js';
import { projectPath } from '../helpers/shared.js';

const fx = (f: string) => readFileSync(projectPath('test/fixtures/ipset', f), 'utf8');
const pkt = (p: Partial<Packet>): Packet => ({ src: '192.0.2.1', dst: '192.0.2.2', protocol: 'tcp', sport: 40000, dport: 443, state: 'new', mark: 0, ...p });

describe('kube-proxy IPVS sets', () => {
  const m = ipsetMatcher([parseIpset(fx('kube-proxy-ipvs.list'), 'ipset_list')]);

  it('KUBE-CLUSTER-IP dst,dst: the service address and protocol:port', () => {
    expect(m('KUBE-CLUSTER-IP', ['dst', 'dst'], pkt({ dst: '10.96.0.1', dport: 443 }))).toBe(true);
    expect(m('KUBE-CLUSTER-IP', ['dst', 'dst'], pkt({ dst: '10.96.0.1', dport: 80 }))).toBe(false);
    expect(m('KUBE-CLUSTER-IP', ['dst', 'dst'], pkt({ dst: '10.96.0.10', protocol: 'udp', dport: 53 }))).toBe(true);
    expect(m('KUBE-CLUSTER-IP', ['dst', 'dst'], pkt({ dst: '10.96.0.10', protocol: 'udp', dport: 9153 }))).toBe(false);
    // the source port is not the service's
    expect(m('KUBE-CLUSTER-IP', ['dst', 'src'], pkt({ dst: '10.96.0.1', dport: 443, sport: 40000 }))).toBe(false);
    // fewer directions than the set has dimensions never match (the kernel's rule)
    expect(m('KUBE-CLUSTER-IP', ['dst'], pkt({ dst: '10.96.0.1', dport: 443 }))).toBe(false);
    // an ICMP packet has no such element
    expect(m('KUBE-CLUSTER-IP', ['dst', 'dst'], pkt({ dst: '10.96.0.1', protocol: 'icmp' }))).toBe(false);
    // a protocol not modelled, a port not given: not known
    expect(m('KUBE-CLUSTER-IP', ['dst', 'dst'], pkt({ dst: '10.96.0.1', protocol: 'gre' }))).toBeUndefined();
    expect(m('KUBE-CLUSTER-IP', ['dst', 'dst'], pkt({ dst: '10.96.0.1', dport: undefined }))).toBeUndefined();
  });

  it('KUBE-LOOP-BACK dst,dst,src: an endpoint talking to itself', () => {
    expect(m('KUBE-LOOP-BACK', ['dst', 'dst', 'src'], pkt({ src: '10.244.1.5', dst: '10.244.1.5', dport: 8080 }))).toBe(true);
    expect(m('KUBE-LOOP-BACK', ['dst', 'dst', 'src'], pkt({ src: '10.244.1.9', dst: '10.244.1.5', dport: 8080 }))).toBe(false);
  });

  it('KUBE-NODE-PORT-TCP dst (bitmap:port); an empty set matches nothing', () => {
    expect(m('KUBE-NODE-PORT-TCP', ['dst'], pkt({ dport: 30080 }))).toBe(true);
    expect(m('KUBE-NODE-PORT-TCP', ['dst'], pkt({ dport: 30081 }))).toBe(false);
    expect(m('KUBE-NODE-PORT-UDP', ['dst'], pkt({ protocol: 'udp', dport: 30080 }))).toBe(false);
    // bitmap:port has no family
    expect(m('KUBE-NODE-PORT-TCP', ['dst'], pkt({ src: '2001:db8::1', dst: '2001:db8::2', dport: 31443 }))).toBe(true);
  });

  it('KUBE-LOAD-BALANCER-SOURCE-CIDR dst,dst,src: a nomatch /25 inside the allowed /24', () => {
    const lb = (src: string) => m('KUBE-LOAD-BALANCER-SOURCE-CIDR', ['dst', 'dst', 'src'], pkt({ src, dst: '203.0.113.10', dport: 80 }));
    expect(lb('198.51.100.7')).toBe(true);
    expect(lb('198.51.100.200')).toBe(false);
    expect(lb('192.0.2.7')).toBe(false);
    expect(m('KUBE-LOAD-BALANCER-SOURCE-IP', ['dst', 'dst', 'src'], pkt({ src: '192.0.2.7', dst: '203.0.113.10', dport: 80 }))).toBe(true);
  });

  it('an IPv6 packet against an inet set, a set not listed: not known', () => {
    expect(m('KUBE-CLUSTER-IP', ['dst', 'dst'], pkt({ src: '2001:db8::1', dst: '2001:db8::2' }))).toBeUndefined();
    expect(m('KUBE-EXTERNAL-IP-LOCAL', ['dst', 'dst'], pkt({ dst: '192.0.2.50', dport: 8443 }))).toBeUndefined();
  });

  it('ipset save decides the same; headers only (list -t) decides nothing', () => {
    const s = ipsetMatcher([parseIpset(fx('kube-proxy-ipvs.save'), 'ipset_save')]);
    expect(s('KUBE-CLUSTER-IP', ['dst', 'dst'], pkt({ dst: '10.96.0.1', dport: 443 }))).toBe(true);
    expect(s('KUBE-CLUSTER-IP', ['dst', 'dst'], pkt({ dst: '10.96.0.2', dport: 443 }))).toBe(false);
    const t = ipsetMatcher([parseIpset(fx('kube-proxy-ipvs.headers'), 'ipset_list_-t')]);
    expect(t('KUBE-CLUSTER-IP', ['dst', 'dst'], pkt({ dst: '10.96.0.1', dport: 443 }))).toBeUndefined();
    // a full listing beside the headers-only one: the full one decides
    const both = ipsetMatcher([parseIpset(fx('kube-proxy-ipvs.headers'), 'a'), parseIpset(fx('kube-proxy-one-set.list'), 'b')]);
    expect(both('KUBE-CLUSTER-IP', ['dst', 'dst'], pkt({ dst: '10.96.0.1', dport: 443 }))).toBe(true);
    expect(both('KUBE-LOOP-BACK', ['dst', 'dst', 'src'], pkt({ dst: '10.96.0.1', dport: 443 }))).toBeUndefined();
  });

  it('a saved configuration is not the live sets', () => {
    const saved = ipsetMatcher([parseIpset(fx('kube-proxy-ipvs.save'), 'etc/sysconfig/ipset', { savedConfig: true })]);
    expect(saved('KUBE-CLUSTER-IP', ['dst', 'dst'], pkt({ dst: '10.96.0.1', dport: 443 }))).toBeUndefined();
  });

  it('a cut listing decides nothing for the cut set', () => {
    const text = fx('kube-proxy-ipvs.list');
    const cut = ipsetMatcher([parseIpset(text.slice(0, text.indexOf('10.103.7.21')), 'x')]);
    expect(cut('KUBE-CLUSTER-IP', ['dst', 'dst'], pkt({ dst: '10.96.0.1', dport: 443 }))).toBeUndefined();
  });
});

describe('Calico sets', () => {
  const m = ipsetMatcher([parseIpset(fx('calico.list'), 'ipsets')]);
  it('cali40masq-ipam-pools src: the pool, not Docker', () => {
    expect(m('cali40masq-ipam-pools', ['src'], pkt({ src: '10.244.3.7' }))).toBe(true);
    expect(m('cali40masq-ipam-pools', ['src'], pkt({ src: '172.17.0.2' }))).toBe(false);
    expect(m('cali40all-hosts-net', ['dst'], pkt({ dst: '192.168.56.11' }))).toBe(true);
    expect(m('cali40all-hosts-net', ['dst'], pkt({ dst: '192.168.56.12' }))).toBe(false);
    expect(m('cali40this-host', ['dst'], pkt({ dst: '127.0.0.1' }))).toBe(true);
    expect(m('cali60masq-ipam-pools', ['src'], pkt({ src: 'fd00:10:244:1::5', dst: '2001:db8::1' }))).toBe(true);
    expect(m('cali60masq-ipam-pools', ['src'], pkt({ src: '10.244.3.7' }))).toBeUndefined();
  });
});

describe('options', () => {
  const m = ipsetMatcher([parseIpset(fx('options.list'), 'ipset.txt')]);

  it('hash:net: the longest prefix decides, nomatch excludes', () => {
    const nets = (a: string) => m('nets', ['src'], pkt({ src: a }));
    expect(nets('10.200.0.1')).toBe(true); // 10.0.0.0/8
    expect(nets('10.1.9.9')).toBe(false); // 10.1.0.0/16 nomatch
    expect(nets('10.1.2.9')).toBe(true); // 10.1.2.0/24 inside the nomatch
    expect(nets('10.1.2.200')).toBe(false); // 10.1.2.128/25 nomatch inside that
    expect(nets('192.168.7.9')).toBe(true);
    expect(nets('192.168.7.8')).toBe(false);
    expect(m('nets6', ['dst'], pkt({ src: '2001:db8:9::1', dst: '2001:db8:2::1' }))).toBe(true);
    expect(m('nets6', ['dst'], pkt({ src: '2001:db8:9::1', dst: '2001:db8:1::1' }))).toBe(false);
  });

  it('hash:ip netmask 24: the address is masked', () => {
    expect(m('subnets24', ['dst'], pkt({ dst: '192.0.2.200' }))).toBe(true);
    expect(m('subnets24', ['dst'], pkt({ dst: '192.0.3.1' }))).toBe(false);
  });

  it('hash:net,iface: src is the incoming interface, dst the outgoing; an unknown interface is not known', () => {
    expect(m('ifnets', ['src', 'dst'], pkt({ src: '10.5.0.1', outInterface: 'eth0' }))).toBe(true);
    expect(m('ifnets', ['src', 'src'], pkt({ src: '10.5.0.1', inInterface: 'eth0' }))).toBe(true);
    expect(m('ifnets', ['src', 'dst'], pkt({ src: '10.5.0.1', outInterface: 'eth1' }))).toBe(false);
    expect(m('ifnets', ['src', 'dst'], pkt({ src: '10.9.0.1', outInterface: 'eth0' }))).toBe(false); // nomatch
    expect(m('ifnets', ['src', 'dst'], pkt({ src: '10.5.0.1' }))).toBeUndefined();
  });

  it("hash:net,iface stops at the longest prefix listed with any interface (what the kernel answered: 10.1.2.3,eth0 is NOT in set x)", () => {
    const x = ipsetMatcher([parseIpset('Name: x\nType: hash:net,iface\nHeader: family inet\nNumber of entries: 2\nMembers:\n10.0.0.0/8,eth0\n10.1.0.0/16,eth1\n', 'x')]);
    expect(x('x', ['src', 'dst'], pkt({ src: '10.1.2.3', outInterface: 'eth0' }))).toBe(false);
    expect(x('x', ['src', 'dst'], pkt({ src: '10.2.2.3', outInterface: 'eth0' }))).toBe(true);
    expect(x('x', ['src', 'dst'], pkt({ src: '10.1.2.3', outInterface: 'eth1' }))).toBe(true);
    const w = ipsetMatcher([parseIpset('Name: y\nType: hash:net,iface\nHeader: family inet\nMembers:\n10.0.0.0/8,eth wildcard\n', 'y')]);
    expect(w('y', ['src', 'dst'], pkt({ src: '10.1.1.1', outInterface: 'eth1' }))).toBe(true);
    expect(w('y', ['src', 'dst'], pkt({ src: '10.1.1.1', outInterface: 'docker0' }))).toBe(false);
  });

  it('ICMP by type/code names; IPv6 hash:ip,port', () => {
    expect(m('icmp4', ['dst', 'dst'], pkt({ dst: '10.0.0.1', protocol: 'icmp', icmpType: 8, icmpCode: 0 }))).toBe(true);
    expect(m('icmp4', ['dst', 'dst'], pkt({ dst: '10.0.0.1', protocol: 'icmp', icmpType: 8, icmpCode: 1 }))).toBe(false);
    expect(m('icmp4', ['dst', 'dst'], pkt({ dst: '10.0.0.1', protocol: 'icmp', icmpType: 3, icmpCode: 3 }))).toBe(false);
    const v6 = { src: '2001:db8::99' };
    expect(m('ports6', ['dst', 'dst'], pkt({ ...v6, dst: 'fd00::1', dport: 443 }))).toBe(true);
    expect(m('ports6', ['dst', 'dst'], pkt({ ...v6, dst: '2001:db8::10', protocol: 'icmpv6', icmpType: 128, icmpCode: 0 }))).toBe(true);
    expect(m('ports6', ['dst', 'dst'], pkt({ ...v6, dst: '2001:db8::10', protocol: 'udp', dport: 54 }))).toBe(false);
  });

  it('list:set: any member set of the packet family', () => {
    expect(m('allweb', ['dst'], pkt({ dst: '192.0.2.80' }))).toBe(true);
    expect(m('allweb', ['dst'], pkt({ src: '2001:db8::1', dst: '2001:db8::80' }))).toBe(true);
    expect(m('allweb', ['dst'], pkt({ dst: '192.0.2.81' }))).toBe(false);
  });

  it('timeouts (dynamic sets) decide nothing unless asked', () => {
    expect(m('blocked', ['src'], pkt({ src: '198.51.100.23' }))).toBeUndefined();
    const asListed = ipsetMatcher([parseIpset(fx('options.list'), 'ipset.txt')], { timeouts: 'as-listed' });
    expect(asListed('blocked', ['src'], pkt({ src: '198.51.100.23' }))).toBe(true);
    expect(asListed('blocked', ['src'], pkt({ src: '198.51.100.26' }))).toBe(false);
  });

  it('types not modelled, odd members, list:set loops: not known', () => {
    const odd = ipsetMatcher([
      parseIpset(
        [
          'create macs hash:mac',
          'add macs 00:11:22:33:44:55',
          'create marks hash:ip,mark family inet',
          'add marks 10.0.0.1,0x10',
          'create phys hash:net,iface family inet',
          'add phys 10.0.0.0/8,physdev:eth0',
          'create a list:set size 8',
          'create b list:set size 8',
          'add a b',
          'add b a',
          'create c list:set size 8',
          'add c missing',
          'add c macs',
          '',
        ].join('\n'),
        'restore.txt',
      ),
    ]);
    const p = pkt({ src: '10.0.0.1', outInterface: 'eth0' });
    for (const name of ['macs', 'marks', 'a', 'c']) expect(odd(name, ['src', 'src'], p)).toBeUndefined();
    expect(odd('phys', ['src', 'dst'], p)).toBeUndefined();
  });
});
