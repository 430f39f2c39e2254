/**
 * routing.policy-rule-bypasses-pods against the kernel: in network namespaces, a node with a Calico-style pod
 * (projectcalico/calico#4662's addresses), nm-cloud-setup's `30400: from 10.0.10.5 lookup 30400` and its table
 * (NetworkManager src/nm-cloud-setup/main.c). The analyzer reads the live `ip -4 rule list` and
 * `ip route show table all`, and its verdict is checked against `ip route get <pod> from <node address>`;
 * then the fix (`ip rule del priority 30400`) and newer nm-cloud-setup's 30350 suppress rule.
 * Skipped where namespaces cannot be made (not root, no iproute2).
 */
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeRoutingPolicy } from '../../analyzers/routing-policy-bypasses-pods.js';
import { parseIpRules } from '../../src/parsers/ip-rule.js';
import { parseRoutes } from '../../src/parsers/ip-route.js';
import { canMakeNetns } from '../helpers/shared.js';

const NODE = `h14n${process.pid}`;
const POD = `h14p${process.pid}`;
const GW = `h14g${process.pid}`;
const ip = (...args: string[]) => execFileSync('ip', args, { encoding: 'utf8' });
const inNode = (...args: string[]) => execFileSync('ip', ['netns', 'exec', NODE, 'ip', ...args], { encoding: 'utf8' });

function analyze() {
  const rules = parseIpRules(inNode('-4', 'rule', 'list'), 'ip_-4_rule_list');
  const routes = parseRoutes(inNode('route', 'show', 'table', 'all'), 'ip_route_show_table_all');
  return analyzeRoutingPolicy(NODE, { ipRules: [rules], routes: [routes] });
}

describe.skipIf(!canMakeNetns())('routing.policy-rule-bypasses-pods in network namespaces', () => {
  afterAll(() => {
    for (const n of [NODE, POD, GW]) {
      try {
        ip('netns', 'del', n);
      } catch {
        /* not made */
      }
    }
  });

  it("fires while the kernel routes node → pod out of eth0, and stops once it routes by main's pod route", () => {
    for (const n of [NODE, POD, GW]) ip('netns', 'add', n);
    ip('link', 'add', 'eth0', 'netns', NODE, 'type', 'veth', 'peer', 'name', 'gw0', 'netns', GW);
    ip('link', 'add', 'calie56a59d32a1', 'netns', NODE, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', POD);
    inNode('addr', 'add', '10.0.10.5/28', 'dev', 'eth0');
    inNode('link', 'set', 'eth0', 'up');
    inNode('link', 'set', 'calie56a59d32a1', 'up');
    ip('-n', GW, 'link', 'set', 'gw0', 'up');
    inNode('route', 'add', 'default', 'via', '10.0.10.1', 'dev', 'eth0', 'proto', 'dhcp', 'metric', '100');
    inNode('route', 'add', '192.168.234.1', 'dev', 'calie56a59d32a1', 'scope', 'link');
    inNode('rule', 'add', 'priority', '30400', 'from', '10.0.10.5', 'table', '30400');
    inNode('route', 'add', 'default', 'via', '10.0.10.1', 'dev', 'eth0', 'table', '30400', 'proto', 'static', 'metric', '10');

    expect(inNode('route', 'get', '192.168.234.1', 'from', '10.0.10.5')).toMatch(/via 10\.0\.10\.1 dev eth0 table 30400/);
    const f = analyze();
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'critical', facts: { priority: 30400, table: '30400', nmCloudSetup: true } });

    // newer nm-cloud-setup: main first for everything but its default route
    inNode('rule', 'add', 'priority', '30350', 'table', 'main', 'suppress_prefixlength', '0');
    expect(inNode('route', 'get', '192.168.234.1', 'from', '10.0.10.5')).toMatch(/dev calie56a59d32a1/);
    expect(analyze()).toEqual([]);
    inNode('rule', 'del', 'priority', '30350');

    // the immediate fix of the remedy
    execFileSync('ip', ['netns', 'exec', NODE, 'sh', '-c', 'while ip rule del priority 30400 2>/dev/null; do :; done']);
    expect(inNode('route', 'get', '192.168.234.1', 'from', '10.0.10.5')).toMatch(/dev calie56a59d32a1/);
    expect(analyze()).toEqual([]);
  });
});
