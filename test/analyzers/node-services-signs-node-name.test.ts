/**
 * R13 #5: a node named only after its file or folder (LocatedNode.nameNotHost, handed to the
 * analyzers as `nodeNameNotHost`) gets `<NODE>` in pasteable commands, never the file's name.
 * Real text: the ip-rule fixtures of routing.policy-rule-bypasses-pods (nm-cloud-setup's 30400 rule,
 * reproduced in a network namespace with iproute2 6.1: test/fixtures/ip-rule/README.md, after
 * projectcalico/calico#4662), run through the analyzer's own entry point as the engine calls it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import analyzer from '../../analyzers/routing-policy-bypasses-pods.js';
import { nodeForCommands, NODE_PLACEHOLDER } from '../../analyzers/lib/node-services.js';
import type { NodeAnalyzer, NodeInput } from '../../src/engine/analyzer.js';
import { parseIpRules } from '../../src/parsers/ip-rule.js';
import { parseRoutes } from '../../src/parsers/ip-route.js';
import { projectPath } from '../helpers/shared.js';

const fx = (f: string) => readFileSync(projectPath('test/fixtures/ip-rule', f), 'utf8');
const artifacts = { ipRules: [parseIpRules(fx('nm-cloud-setup/ip_-4_rule_list'), 'ip_-4_rule_list')], routes: [parseRoutes(fx('nm-cloud-setup/ip_route_show_table_all'), 'ip_route_show_table_all')] };
const run = (node: string, nodeNameNotHost?: boolean) =>
  (analyzer as NodeAnalyzer).analyze({ node, artifacts, options: { requiredPorts: [] }, ...(nodeNameNotHost ? { nodeNameNotHost } : {}) } as NodeInput<[], []>);

describe('node names in commands', () => {
  it('a file name is no node name: kubectl drain <NODE>', () => {
    const [f] = run('flannel-1321-iptables-truncated.txt', true);
    const drain = f.remedy.commands!.find((c) => c.startsWith('kubectl drain'));
    expect(drain).toBe(`kubectl drain ${NODE_PLACEHOLDER} --ignore-daemonsets --delete-emptydir-data && reboot   # when convenient; then: kubectl uncordon ${NODE_PLACEHOLDER}`);
    expect(f.remedy.commands!.join('\n')).not.toContain('flannel-1321');
  });

  it('a host name the bundle shows stays in the command', () => {
    const [f] = run('ip-10-0-10-5.ec2.internal');
    expect(f.remedy.commands).toContain('kubectl drain ip-10-0-10-5.ec2.internal --ignore-daemonsets --delete-emptydir-data && reboot   # when convenient; then: kubectl uncordon ip-10-0-10-5.ec2.internal');
  });

  it('nodeForCommands', () => {
    expect(nodeForCommands({ node: 'worker-3' })).toEqual({ command: 'worker-3', prose: 'worker-3', known: true });
    expect(nodeForCommands({ node: 'dump.txt', nodeNameNotHost: true })).toEqual({ command: '<NODE>', prose: 'this node', known: false });
  });
});
