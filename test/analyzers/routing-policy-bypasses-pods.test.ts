/**
 * routing.policy-rule-bypasses-pods on real text:
 * - projectcalico/calico#4662 (https://github.com/projectcalico/calico/issues/4662, RHEL 8.4 on AWS,
 *   nm-cloud-setup): the reporter's `ip r`, verbatim with its prompt line (fixtures/ip-rule/calico-4662/ip-r.txt);
 *   the thread shows no `ip rule`, so the rule comes from the reproduction below, made with the thread's addresses;
 * - reproductions in network namespaces with iproute2 6.1 (fixtures/ip-rule/README.md): nm-cloud-setup's
 *   `30400: from 10.0.10.5 lookup 30400` (ping to the pod lost, curl timed out, `ip route get` out of eth0
 *   by table 30400; both fixed by `ip rule del priority 30400` and by newer nm-cloud-setup's 30350
 *   `lookup main suppress_prefixlength 0`), the same on a flannel node (the pod cannot reach the node's
 *   address), a VPN-style `from all lookup 100`, and the healthy rule sets of the AWS VPC CNI, Calico
 *   WireGuard and Cilium's proxy marks;
 * - the corpus' hotsos sosreport (ip_-4_rule with the default rules, ip_route_show_table_all of a flannel node).
 * The fixes (rke2 docs known issues, k3s docs "systemctl disable nm-cloud-setup.service nm-cloud-setup.timer;
 * reboot", kubermatic/machine-controller#1076) are checked in the remedy.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import analyzer, { analyzeRoutingPolicy, type RoutingPolicyArtifacts } from '../../analyzers/routing-policy-bypasses-pods.js';
import { parseIpRules } from '../../src/parsers/ip-rule.js';
import { parseRoutes } from '../../src/parsers/ip-route.js';
import { parseSystemctlText } from '../../src/parsers/services.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { runNode } from './helpers.js';
import { corpusPath, hasCorpus, projectPath } from '../helpers/shared.js';

const fx = (f: string) => readFileSync(projectPath('test/fixtures/ip-rule', f), 'utf8');
const rules = (f: string) => parseIpRules(fx(f), f);
const routes = (f: string) => parseRoutes(fx(f), f);
const run = (a: RoutingPolicyArtifacts, partly?: (w: string) => void) => analyzeRoutingPolicy('node-1', a, partly);

describe('routing.policy-rule-bypasses-pods', () => {
  it("nm-cloud-setup's 30400 rule on a Calico node: critical, the rule, table 30400's default route and main's pod route cited", () => {
    const f = run({ ipRules: [rules('nm-cloud-setup/ip_-4_rule_list')], routes: [routes('nm-cloud-setup/ip_route_show_table_all')] });
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ id: 'routing.policy-rule-bypasses-pods', severity: 'critical', facts: { priority: 30400, table: '30400', nmCloudSetup: true, complete: true } });
    expect(f[0].evidence.map((e) => [e.file, e.line, e.excerpt])).toEqual([
      ['nm-cloud-setup/ip_-4_rule_list', 2, '30400:\tfrom 10.0.10.5 lookup 30400 proto static'],
      ['nm-cloud-setup/ip_route_show_table_all', 1, 'default via 10.0.10.1 dev eth0 table 30400 proto static metric 10'],
      ['nm-cloud-setup/ip_route_show_table_all', 4, '192.168.234.1 dev calie56a59d32a1 scope link'],
    ]);
    // what the kernel said in the namespace: `ip route get 192.168.234.1 from 10.0.10.5` -> via 10.0.10.1 dev eth0 table 30400
    expect(fx('nm-cloud-setup/symptoms-before.txt')).toContain('192.168.234.1 from 10.0.10.5 via 10.0.10.1 dev eth0 table 30400');
    expect(f[0].message).toContain('10.0.10.5');
    expect(f[0].message).toContain('out of eth0 to 10.0.10.1');
    expect(f[0].message).toContain('nm-cloud-setup');
    expect(f[0].remedy.commands[0]).toBe('systemctl disable --now nm-cloud-setup.timer nm-cloud-setup.service');
    expect(f[0].remedy.commands[1]).toMatch(/^while ip rule del priority 30400 2>\/dev\/null; do :; done   # now/);
    expect(f[0].remedy.commands[3]).toBe('kubectl drain node-1 --ignore-daemonsets --delete-emptydir-data && reboot   # when convenient; then: kubectl uncordon node-1');
    expect(f[0].remedy.summary).toMatch(/come back/);
  });

  it('the engine contract: a node analyzer requiring routes, with ip rule or the unit listing', () => {
    const artifacts = { ipRules: [rules('nm-cloud-setup/ip_-4_rule_list')], routes: [routes('nm-cloud-setup/ip_route_show_table_all')] } as unknown as NodeArtifacts;
    expect(analyzer.scope).toBe('node');
    expect(analyzer.requires).toEqual(['routes']);
    expect(analyzer.requiresOneOf).toEqual(['ipRules', 'services']);
    expect(runNode(analyzer, artifacts)).toHaveLength(1);
  });

  it("nm-cloud-setup's units in a unit listing are named and cited", () => {
    // systemctl list-unit-files in its own format (the units RHEL's NetworkManager-cloud-setup package ships)
    const units = parseSystemctlText(['UNIT FILE                    STATE   VENDOR PRESET', 'nm-cloud-setup.service       enabled disabled', 'nm-cloud-setup.timer         enabled disabled', '', '2 unit files listed.'].join('\n'), 'systemctl_list-unit-files');
    const f = run({ ipRules: [rules('nm-cloud-setup/ip_-4_rule_list')], routes: [routes('nm-cloud-setup/ip_route_show_table_all')], services: [units] });
    expect(f[0].evidence.slice(-2).map((e) => [e.file, e.line])).toEqual([['systemctl_list-unit-files', 2], ['systemctl_list-unit-files', 3]]);
    expect(f[0].message).toContain('nm-cloud-setup.timer is listed');
  });

  it("calico#4662's verbatim `ip r` (main table only): nm-cloud-setup's table is taken for what it writes; the BGP routes (proto 80) are bypassed too", () => {
    const partly: string[] = [];
    const f = run({ ipRules: [rules('nm-cloud-setup/ip_-4_rule_list')], routes: [routes('calico-4662/ip-r.txt')] }, (w) => partly.push(w));
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'critical', facts: { complete: false, nmCloudSetup: true } });
    expect(f[0].facts!.pods).toEqual(['192.168.94.0/26', '192.168.165.192/26', '192.168.234.1/32']);
    expect(f[0].evidence.map((e) => e.excerpt)).toContain('192.168.234.1 dev calie56a59d32a1 scope link');
    expect(f[0].message).toContain("nm-cloud-setup's table holds only a default route");
    expect(partly).toEqual([]);
  });

  it('a flannel node with nm-cloud-setup: the node address 10.0.10.5 as source is diverted (the pod could not reach the node)', () => {
    const f = run({ ipRules: [rules('flannel-nm-cloud-setup/ip_-4_rule_list')], routes: [routes('flannel-nm-cloud-setup/ip_route_show_table_all')] });
    expect(f).toHaveLength(1);
    expect(f[0].facts).toMatchObject({ priority: 30400, nmCloudSetup: true, pods: ['10.42.0.0/24', '10.42.1.0/24'] });
    expect(fx('flannel-nm-cloud-setup/symptoms.txt')).toContain('100% packet loss');
  });

  it('a VPN-style `100: from all lookup 100` on a flannel node: critical, host and pod traffic; the remedy puts the pod CIDRs in main before it, idempotently', () => {
    const f = run({ ipRules: [rules('flannel-catch-all/ip_rule_show')], routes: [routes('flannel-catch-all/ip_route_show_table_all')] });
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'critical', facts: { priority: 100, table: '100', nmCloudSetup: false } });
    expect(f[0].message).toContain('and traffic between pods');
    expect(f[0].remedy.commands).toEqual([
      'ip rule show pref 99 to 10.42.0.0/24 | grep -q . || ip rule add pref 99 to 10.42.0.0/24 lookup main   # pod destinations use main\'s routes first',
      'ip rule show pref 99 to 10.42.1.0/24 | grep -q . || ip rule add pref 99 to 10.42.1.0/24 lookup main   # pod destinations use main\'s routes first',
      'ip rule show   # check the order: the pod rules must come before 100',
    ]);
  });

  it("a second NIC's source routing (`200: from 10.0.20.5 lookup 200`): only that address is diverted, a warning", () => {
    const f = run({ ipRules: [rules('second-nic/ip_rule_show')], routes: [routes('second-nic/ip_route_show_table_all')] });
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'warning', facts: { priority: 200, table: '200', nmCloudSetup: false } });
    expect(f[0].message).toContain("10.0.20.5 is not the node's primary address");
    expect(f[0].evidence[1]).toMatchObject({ line: 1, excerpt: 'default via 10.0.20.1 dev eth1 table 200 linkdown' });
  });

  it("healthy: newer nm-cloud-setup's 30350 `lookup main suppress_prefixlength 0` before its 30400 rule (ping and curl worked)", () => {
    expect(run({ ipRules: [rules('nm-cloud-setup-suppress/ip_rule_show')], routes: [routes('nm-cloud-setup/ip_route_show_table_all')] })).toEqual([]);
  });

  it('healthy: after `ip rule del priority 30400` (the default rules alone)', () => {
    expect(run({ ipRules: [rules('nm-cloud-setup-fixed/ip_rule_show')], routes: [routes('nm-cloud-setup-fixed/ip_route_show_table_all')] })).toEqual([]);
    expect(fx('nm-cloud-setup-fixed/symptoms-after.txt')).toContain('2 received');
  });

  it("healthy: the AWS VPC CNI's 512 `to <pod> lookup main`, 1024 fwmark, 1536 `from <pod> lookup 2`", () => {
    expect(run({ ipRules: [rules('aws-vpc-cni/ip_-4_rule_list')], routes: [routes('aws-vpc-cni/ip_route_show_table_all')] })).toEqual([]);
  });

  it("healthy: Calico WireGuard's `not from all fwmark ... lookup 1` (a throw for the local pod) and Cilium's proxy fwmark rules", () => {
    expect(run({ ipRules: [rules('wireguard-cilium/ip_rule_show')], routes: [routes('wireguard-cilium/ip_route_show_table_all')] })).toEqual([]);
  });

  it("healthy: `lookup 100 suppress_prefixlength 0` (table 100 holds only a default route, ignored) and wg-quick's `not from all fwmark 0xca6c` pair", () => {
    expect(run({ ipRules: [rules('wg-quick-suppress/ip_rule_show')], routes: [routes('wg-quick-suppress/ip_route_show_table_all')] })).toEqual([]);
    // the same table 100 without the suppressor is the catch-all that diverts (flannel-catch-all)
    const unsuppressed = parseIpRules(fx('wg-quick-suppress/ip_rule_show').replace('lookup 100 suppress_prefixlength 0', 'lookup 100'), 'r');
    expect(run({ ipRules: [unsuppressed], routes: [routes('wg-quick-suppress/ip_route_show_table_all')] })[0]?.facts).toMatchObject({ priority: 100, table: '100' });
    // and wg-quick's `not fwmark` rule without its 32764 main-first rule catches the unmarked pod traffic (checked in the
    // namespace: with 100 and 32764 deleted, `ip route get 10.42.0.5` gave `via 10.0.10.1 dev eth0 table 51820`, ping lost 100%)
    const noMainFirst = parseIpRules(fx('wg-quick-suppress/ip_rule_show').replace(/^(100|32764):.*\n/gm, ''), 'r');
    expect(run({ ipRules: [noMainFirst], routes: [routes('wg-quick-suppress/ip_route_show_table_all')] })[0]?.facts).toMatchObject({ priority: 32765, table: '51820' });
  });

  it('undecidable: a catch-all rule to a table a main-only `ip r` cannot show is said through partly, not reported', () => {
    const partly: string[] = [];
    const f = run({ ipRules: [rules('flannel-catch-all/ip_rule_show')], routes: [routes('calico-4662/ip-r.txt')] }, (w) => partly.push(w));
    expect(f).toEqual([]);
    expect(partly).toEqual(['rule 100 (flannel-catch-all/ip_rule_show:2) looks up table 100, which the bundle does not list (collect `ip route show table all`)']);
  });

  it('IPv6 rules are not walked for IPv4 pod routes', () => {
    const v6 = parseIpRules('0:\tfrom all lookup local\n100:\tfrom all lookup 100\n32766:\tfrom all lookup main\n', 'sos_commands/networking/ip_-6_rule_list');
    expect(run({ ipRules: [v6], routes: [routes('flannel-catch-all/ip_route_show_table_all')] })).toEqual([]);
  });
});

describe.skipIf(!hasCorpus)('routing.policy-rule-bypasses-pods on the corpus', () => {
  it('hotsos sosreport (charmed-k8s flannel node): the default rules, no finding', () => {
    const HOTSOS = 'hotsos-charmed-k8s-flannel-sosreport-networking-subset.tar.gz';
    const member = (m: string) => execFileSync('tar', ['-xzOf', corpusPath('bundles', HOTSOS), `hotsos-kubernetes-sosreport-subset/${m}`], { encoding: 'utf8' });
    const r4 = parseIpRules(member('sos_commands/networking/ip_-4_rule'), 'sos_commands/networking/ip_-4_rule');
    const r6 = parseIpRules(member('sos_commands/networking/ip_-6_rule'), 'sos_commands/networking/ip_-6_rule');
    const rt = parseRoutes(member('sos_commands/networking/ip_route_show_table_all'), 'sos_commands/networking/ip_route_show_table_all');
    expect(rt.routes.some((r) => r.dev === 'flannel.1')).toBe(true);
    expect(run({ ipRules: [r4, r6], routes: [rt] })).toEqual([]);
    // nm-cloud-setup's rule for the node's address added: its table absent from the full dump is empty, the kernel goes on to main
    const withNmcs = parseIpRules(member('sos_commands/networking/ip_-4_rule').replace('32766:', '30400:\tfrom 10.6.3.201 lookup 30400\n32766:'), 'x');
    expect(run({ ipRules: [withNmcs], routes: [rt] })).toEqual([]);
    // with its table (the default route via the node's gateway), the node's flannel routes are bypassed
    const rtNmcs = parseRoutes('default via 10.6.0.1 dev ens3 table 30400 proto static metric 10 \n' + member('sos_commands/networking/ip_route_show_table_all'), 'r');
    const f = run({ ipRules: [withNmcs], routes: [rtNmcs] });
    expect(f[0]?.facts).toMatchObject({ priority: 30400, nmCloudSetup: true, pods: ['10.1.7.0/24', '10.1.12.0/24'] });
  });
});
