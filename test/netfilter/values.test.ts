/**
 * Typed readings of rule values (what analyzers and the packet tracer use instead of strings),
 * on rules dumped by the real iptables binaries, read from iptables-save and from `iptables -L`.
 */
import { describe, expect, it } from 'vitest';
import { parseIptablesList } from '../../src/netfilter/list-format.js';
import { findChain, type Ruleset } from '../../src/netfilter/rules.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { addrTypes, canonicalPorts, canonicalTcpFlags, ctStates, markCondition, parseMark, parseNatAddress, parsePorts, portConditions, portInRanges, targetSpec } from '../../src/netfilter/values.js';
import { fixture } from './model-view.js';

const hostSave = parseIptablesSave(fixture('nft', 'host-firewall', 'iptables-save'), 'iptables-save');
const hostNames = (table: string) => parseIptablesList(fixture('legacy', 'host-firewall', `iptables_-t_${table}_-L`), `iptables_-t_${table}_-L`, { table });
const kubeSave = parseIptablesSave(fixture('legacy', 'docker-kube-flannel', 'iptables-save'), 'iptables-save');
const rule = (rs: Ruleset, table: string, chain: string, num: number) => findChain(rs, table, chain)!.rules[num - 1];

describe('ports', () => {
  it('single ports, ranges, open ranges and multiport lists', () => {
    expect(parsePorts('80')).toEqual([{ from: 80, to: 80 }]);
    expect(parsePorts('1024:65535')).toEqual([{ from: 1024, to: 65535 }]);
    expect(parsePorts(':1024')).toEqual([{ from: 0, to: 1024 }]);
    expect(parsePorts('80,443,8000:8080')).toEqual([{ from: 80, to: 80 }, { from: 443, to: 443 }, { from: 8000, to: 8080 }]);
    expect(parsePorts('http')).toBeUndefined();
    expect(parsePorts('70000')).toBeUndefined();
    expect(portInRanges(8042, parsePorts('80,443,8000:8080')!)).toBe(true);
    expect(portInRanges(8081, parsePorts('80,443,8000:8080')!)).toBe(false);
  });

  it('from iptables-save: multiport, a udp source and destination range, a negated port', () => {
    const input = (n: number) => rule(hostSave, 'filter', 'INPUT', n);
    expect(input(9).text).toBe('-A INPUT -p tcp -m iprange --src-range 10.0.0.1-10.0.0.9 -m multiport --dports 80,443,8000:8080 -j ACCEPT');
    expect(portConditions(input(9), 'dst')).toEqual([{ module: 'multiport', ranges: [{ from: 80, to: 80 }, { from: 443, to: 443 }, { from: 8000, to: 8080 }], negated: false }]);
    expect(portConditions(input(12), 'src')).toEqual([{ module: 'udp', ranges: [{ from: 53, to: 53 }], negated: false }]);
    expect(portConditions(input(12), 'dst')).toEqual([{ module: 'udp', ranges: [{ from: 1024, to: 65535 }], negated: false }]);
    expect(portConditions(input(14), 'dst')).toEqual([{ module: 'tcp', ranges: [{ from: 3306, to: 3306 }], negated: true }]);
  });

  it('from `iptables -L` without -n: service names become the same numbers', () => {
    const input = findChain(hostNames('filter'), 'filter', 'INPUT')!.rules;
    expect(input[8].text).toContain('multiport dports http,https,8000:http-alt');
    expect(portConditions(input[8], 'dst')).toEqual(portConditions(rule(hostSave, 'filter', 'INPUT', 9), 'dst'));
    expect(input[13].text).toContain('tcp dpt:!mysql');
    expect(portConditions(input[13], 'dst')).toEqual([{ module: 'tcp', ranges: [{ from: 3306, to: 3306 }], negated: true }]);
    expect(input[10].text).toContain('tcp dpt:ssh');
    expect(portConditions(input[10], 'dst')[0].ranges).toEqual([{ from: 22, to: 22 }]);
  });

  it('a service name no table knows stays a name, and says so', () => {
    expect(canonicalPorts('http,cisco-sccp:2001,frobnicate')).toEqual({ value: '80,2000:2001,frobnicate', unresolved: ['frobnicate'] });
    const rs = parseIptablesList('Chain INPUT (policy ACCEPT)\ntarget     prot opt source               destination\nACCEPT     tcp  --  anywhere             anywhere             tcp dpt:frobnicate\n', 'L', { table: 'filter' });
    const r = rule(rs, 'filter', 'INPUT', 1);
    expect(r.incomplete).toEqual(['port "frobnicate" is a resolved name (list with -n)', 'listing without -v: interfaces and counters not shown']);
    expect(portConditions(r, 'dst')).toEqual([{ module: 'tcp', ranges: [], negated: false }]);
  });
});

describe('conntrack states, marks, address types', () => {
  it('KUBE-FIREWALL: negated ctstate list and the 0x8000 mark', () => {
    const [localnet, marked] = findChain(kubeSave, 'filter', 'KUBE-FIREWALL')!.rules;
    expect(ctStates(localnet)).toEqual({ value: ['RELATED', 'ESTABLISHED', 'DNAT'], negated: true });
    expect(markCondition(marked)).toEqual({ value: 0x8000, mask: 0x8000, negated: false });
    expect(ctStates(rule(hostSave, 'filter', 'INPUT', 1))).toEqual({ value: ['RELATED', 'ESTABLISHED'], negated: false });
  });

  it('a negated mark, from the save and from the listing alike', () => {
    const fromSave = markCondition(rule(hostSave, 'filter', 'OUTPUT', 1));
    expect(fromSave).toEqual({ value: 0x4000, mask: 0x4000, negated: true });
    expect(markCondition(findChain(hostNames('filter'), 'filter', 'OUTPUT')!.rules[0])).toEqual(fromSave);
    expect(parseMark('16')).toEqual({ value: 16, mask: 0xffffffff });
    expect(parseMark('0x1/zz')).toBeUndefined();
    expect(parseMark('0x1ffffffff')).toBeUndefined();
  });

  it('addrtype LOCAL on the Docker nat jumps', () => {
    expect(addrTypes(rule(hostSave, 'nat', 'PREROUTING', 1))).toEqual({ dst: { value: ['LOCAL'], negated: false } });
    expect(addrTypes(rule(hostSave, 'nat', 'OUTPUT', 1))).toEqual({ dst: { value: ['LOCAL'], negated: false } });
    expect(rule(hostSave, 'nat', 'OUTPUT', 1).destination).toEqual({ value: '127.0.0.0/8', negated: true });
  });

  it('tcp flags in the three spellings iptables prints', () => {
    expect(canonicalTcpFlags('0x17', '0x02')).toBe('FIN,SYN,RST,ACK SYN');
    expect(canonicalTcpFlags('ALL', 'NONE')).toBe('FIN,SYN,RST,PSH,ACK,URG NONE');
    expect(canonicalTcpFlags('SYN,RST', 'SYN')).toBe('SYN,RST SYN');
    expect(canonicalTcpFlags('BOGUS', 'SYN')).toBeUndefined();
  });
});

describe('targets', () => {
  it('NAT targets with addresses, ranges and ports', () => {
    expect(targetSpec(rule(hostSave, 'nat', 'DOCKER', 2))).toEqual({ kind: 'DNAT', to: { from: '172.18.0.4', to: '172.18.0.4', ports: { from: 15672, to: 15672 } } });
    expect(targetSpec(rule(hostSave, 'nat', 'DOCKER', 3))).toEqual({ kind: 'DNAT', to: { from: '172.17.0.3', to: '172.17.0.3', ports: { from: 6000, to: 6010 } } });
    expect(targetSpec(rule(hostSave, 'nat', 'POSTROUTING', 2))).toEqual({ kind: 'MASQUERADE', ports: { from: 20000, to: 30000 }, randomFully: false });
    expect(targetSpec(rule(hostSave, 'nat', 'POSTROUTING', 3))).toEqual({ kind: 'SNAT', to: { from: '203.0.113.7', to: '203.0.113.7' } });
    expect(targetSpec(rule(hostSave, 'nat', 'PREROUTING', 2))).toEqual({ kind: 'REDIRECT', ports: { from: 22, to: 22 } });
    expect(targetSpec(rule(kubeSave, 'nat', 'KUBE-POSTROUTING', 3))).toEqual({ kind: 'MASQUERADE', ports: undefined, randomFully: true });
    const v6 = parseIptablesSave(fixture('nft', 'docker-ipv6', 'iptables-save'), 'v6');
    expect(targetSpec(rule(v6, 'nat', 'DOCKER', 2))).toEqual({ kind: 'DNAT', to: { from: 'fd00:dead:beef::2', to: 'fd00:dead:beef::2', ports: { from: 80, to: 80 } } });
    expect(parseNatAddress('10.0.0.1-10.0.0.3')).toEqual({ from: '10.0.0.1', to: '10.0.0.3' });
    expect(parseNatAddress(':x')).toBeUndefined();
  });

  it('MARK, LOG, REJECT, goto, a user chain and a rule without target', () => {
    expect(targetSpec(rule(kubeSave, 'nat', 'KUBE-POSTROUTING', 2))).toEqual({ kind: 'MARK', xmark: { value: 0x4000, mask: 0 } });
    expect(targetSpec(rule(hostSave, 'filter', 'OUTPUT', 2))).toEqual({ kind: 'MARK', xmark: { value: 0x10, mask: 0xff } });
    expect(targetSpec(rule(hostSave, 'filter', 'INPUT', 14))).toEqual({ kind: 'LOG', prefix: 'new-conn ', level: '6' });
    expect(targetSpec(rule(hostSave, 'filter', 'LOGDROP', 1))).toEqual({ kind: 'LOG', prefix: 'dropped: ', level: '4' });
    expect(targetSpec(rule(hostSave, 'filter', 'INPUT', 16))).toEqual({ kind: 'REJECT', with: 'icmp-host-prohibited' });
    expect(targetSpec(rule(hostSave, 'filter', 'INPUT', 11))).toEqual({ kind: 'chain', chain: 'SSH-GUARD', goto: true });
    expect(targetSpec(rule(hostSave, 'filter', 'INPUT', 15))).toEqual({ kind: 'none' });
    expect(targetSpec(rule(hostSave, 'raw', 'PREROUTING', 1))).toEqual({ kind: 'TRACE' });
    expect(targetSpec(rule(hostSave, 'raw', 'PREROUTING', 2))).toEqual({ kind: 'other', target: 'CT', options: { notrack: '' } });
  });
});
