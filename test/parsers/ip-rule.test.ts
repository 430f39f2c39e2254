/**
 * `ip rule` parser on real text:
 * - output of iproute2 6.1 on this machine, in network namespaces (test/fixtures/ip-rule/, README there):
 *   `ip rule show`, `ip -d rule show`, `ip -4 rule list`, `ip -6 rule list` with one rule of each selector
 *   and action, nm-cloud-setup's `30400: from 10.0.10.5 lookup 30400 proto static`, the AWS VPC CNI's rules;
 * - the shared corpus' sosreport (hotsos charmed-k8s flannel node): sos_commands/networking/ip_-4_rule and
 *   ip_-6_rule (sos 3.x names; sos 4 writes ip_-4_rule_list / ip_-6_rule_list).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fwmarkOf, isDefaultRule, parseIpRules, sniffIpRules } from '../../src/parsers/ip-rule.js';
import { SkipFile } from '../../src/model/source.js';
import { corpusPath, hasCorpus, projectPath } from '../helpers/shared.js';

const fx = (f: string) => readFileSync(projectPath('test/fixtures/ip-rule', f), 'utf8');
const HOTSOS = 'hotsos-charmed-k8s-flannel-sosreport-networking-subset.tar.gz';
const member = (m: string) => execFileSync('tar', ['-xzOf', corpusPath('bundles', HOTSOS), `hotsos-kubernetes-sosreport-subset/${m}`], { encoding: 'utf8' });

describe('ip rule parser', () => {
  it('every selector and action of `ip rule show`, each at its line', () => {
    const l = parseIpRules(fx('syntax/ip_rule_show'), 'ip_rule_show');
    const by = (p: number) => l.rules.find((r) => r.priority === p)!;
    expect(l.rules.map((r) => r.priority)).toEqual([0, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 32766, 32767]);
    expect(by(0)).toMatchObject({ from: 'all', action: 'lookup', table: 'local', not: false, ref: { file: 'ip_rule_show', line: 1 }, excerpt: '0:\tfrom all lookup local' });
    expect(by(100)).toMatchObject({ iif: 'lo', table: '100' });
    expect(by(101)).toMatchObject({ oif: 'eth0', table: '101' });
    expect(by(102)).toMatchObject({ from: '10.0.0.0/8', to: '192.168.0.0/16', tos: '0x10', table: '102', family: 4 });
    expect(by(103)).toMatchObject({ action: 'goto', goto: 32766 });
    expect(by(103).table).toBeUndefined();
    expect(by(104)).toMatchObject({ action: 'blackhole', to: '198.51.100.0/24' });
    expect(by(105)).toMatchObject({ action: 'unreachable', to: '198.51.100.1' });
    expect(by(106)).toMatchObject({ action: 'prohibit', to: '198.51.100.2' });
    expect(by(107)).toMatchObject({ not: true, from: '10.0.10.5', table: '107' });
    expect(by(108)).toMatchObject({ iif: 'eth0' });
    expect(by(109)).toMatchObject({ uidrange: '1000-2000' });
    expect(by(110)).toMatchObject({ ipproto: 'tcp', dport: '443' });
    expect(by(111)).toMatchObject({ fwmark: '0x1', suppressIfgroup: '5', table: '111' });
    expect(by(112)).toMatchObject({ table: '200', realms: '3/4' });
    expect(l.warnings).toEqual([]);
    expect(isDefaultRule(by(0)) && isDefaultRule(by(32766)) && isDefaultRule(by(32767))).toBe(true);
    expect(isDefaultRule(by(100))).toBe(false);
  });

  it('`ip -d rule show` adds proto: kept, the rest read the same', () => {
    const plain = parseIpRules(fx('syntax/ip_rule_show'), 'a');
    const d = parseIpRules(fx('syntax/ip_-d_rule_show'), 'a');
    expect(d.rules.map((r) => r.proto)).toEqual(['kernel', ...Array(13).fill('unspec'), 'kernel', 'kernel']);
    expect(d.rules.map(({ proto: _p, excerpt: _e, ...r }) => r)).toEqual(plain.rules.map(({ proto: _p, excerpt: _e, ...r }) => r));
  });

  it("nm-cloud-setup's rule (`ip -4 rule list`, as sos collects it)", () => {
    const l = parseIpRules(fx('nm-cloud-setup/ip_-4_rule_list'), 'sos_commands/networking/ip_-4_rule_list');
    expect(l.rules[1]).toMatchObject({ priority: 30400, from: '10.0.10.5', action: 'lookup', table: '30400', proto: 'static', family: 4, ref: { line: 2 } });
    expect(sniffIpRules(fx('nm-cloud-setup/ip_-4_rule_list'))).toBe(true);
  });

  it("newer nm-cloud-setup's `lookup main suppress_prefixlength 0`", () => {
    const r = parseIpRules(fx('nm-cloud-setup-suppress/ip_rule_show'), 'x').rules.find((x) => x.priority === 30350)!;
    expect(r).toMatchObject({ from: 'all', table: 'main', suppressPrefixlength: 0, proto: 'static' });
  });

  it("the AWS VPC CNI's rules: `to <pod> lookup main`, a masked fwmark, `from <pod> lookup 2`", () => {
    const l = parseIpRules(fx('aws-vpc-cni/ip_-4_rule_list'), 'x');
    expect(l.rules.slice(1, 4).map((r) => [r.priority, r.from, r.to, r.fwmark, r.table])).toEqual([
      [512, 'all', '10.0.10.7', undefined, 'main'],
      [1024, 'all', undefined, '0x80/0x80', 'main'],
      [1536, '10.0.10.7', undefined, undefined, '2'],
    ]);
    expect(fwmarkOf(l.rules[2])).toEqual({ value: 0x80, mask: 0x80 });
  });

  it("Calico WireGuard's `not from all fwmark ...` and Cilium's proxy marks; a mark without mask means every bit", () => {
    const l = parseIpRules(fx('wireguard-cilium/ip_rule_show'), 'x');
    const wg = l.rules.find((r) => r.priority === 99)!;
    expect(wg).toMatchObject({ not: true, from: 'all', fwmark: '0x100000/0x100000', table: '1' });
    expect(fwmarkOf(wg)).toEqual({ value: 0x100000, mask: 0x100000 });
    expect(fwmarkOf(parseIpRules('111:\tfrom all fwmark 0x1 lookup 111\n', 'x').rules[0])).toEqual({ value: 1, mask: 0xffffffff });
  });

  it('`ip -6 rule list`: the family from the addresses, else from the file name', () => {
    const l = parseIpRules(fx('syntax/ip_-6_rule_list'), 'sos_commands/networking/ip_-6_rule_list');
    expect(l.rules.map((r) => [r.priority, r.family])).toEqual([[0, 6], [200, 6], [32766, 6]]);
    const bare = parseIpRules(fx('nm-cloud-setup/ip_-6_rule_list'), 'sos_commands/networking/ip_-6_rule_list');
    expect(bare.rules.every((r) => r.family === 6)).toBe(true);
    expect(parseIpRules(fx('nm-cloud-setup/ip_-6_rule_list'), 'rules.txt').rules.every((r) => r.family === undefined)).toBe(true);
  });

  it('`ip rule; ip -6 rule` in one file: two listings, each with its family', () => {
    const l = parseIpRules(fx('nm-cloud-setup/ip_-4_rule_list') + fx('syntax/ip_-6_rule_list'), 'rules.txt');
    expect(l.rules.map((r) => [r.priority, r.listing, r.family])).toEqual([
      [0, 0, 4], [30400, 0, 4], [32766, 0, 4], [32767, 0, 4],
      [0, 1, 6], [200, 1, 6], [32766, 1, 6],
    ]);
    expect(l.rules[4].ref.line).toBe(5);
  });

  it('a pasted listing with its prompt line and a detached interface', () => {
    const text = '[ec2-user@ip-10-0-10-5 ~]$ ip rule\n0:\tfrom all lookup local\n100:\tfrom all iif cali12345678901 [detached] lookup 100\n32766:\tfrom all lookup main\n';
    const l = parseIpRules(text, 't');
    expect(l.rules.map((r) => r.ref.line)).toEqual([2, 3, 4]);
    expect(l.rules[1]).toMatchObject({ iif: 'cali12345678901', iifDetached: true, table: '100' });
    expect(sniffIpRules(text)).toBe(true);
  });

  it('not an ip rule listing: ip route, ip addr and prose are skipped, not sniffed', () => {
    const route = fx('nm-cloud-setup/ip_route_show_table_all');
    expect(() => parseIpRules(route, 'r')).toThrow(SkipFile);
    expect(sniffIpRules(route)).toBe(false);
    const addr = '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000\n    inet 127.0.0.1/8 scope host lo\n2: eth0@if3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500\n';
    expect(() => parseIpRules(addr, 'a')).toThrow(SkipFile);
    expect(sniffIpRules(addr)).toBe(false);
    expect(sniffIpRules('the rule: from all lookup main is fine\n')).toBe(false);
  });
});

describe.skipIf(!hasCorpus)('ip rule parser on the corpus sosreport', () => {
  it('hotsos: ip_-4_rule holds the three default rules, ip_-6_rule two; all default', () => {
    const v4 = parseIpRules(member('sos_commands/networking/ip_-4_rule'), 'sos_commands/networking/ip_-4_rule');
    expect(v4.rules.map((r) => [r.priority, r.table, r.family])).toEqual([[0, 'local', 4], [32766, 'main', 4], [32767, 'default', 4]]);
    const v6 = parseIpRules(member('sos_commands/networking/ip_-6_rule'), 'sos_commands/networking/ip_-6_rule');
    expect(v6.rules.map((r) => [r.priority, r.table, r.family])).toEqual([[0, 'local', 6], [32766, 'main', 6]]);
    expect([...v4.rules, ...v6.rules].every(isDefaultRule)).toBe(true);
    expect(sniffIpRules(member('sos_commands/networking/ip_-4_rule'))).toBe(true);
  });
});
