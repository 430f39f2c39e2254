/**
 * iptables.aws-snat-missing on real rule text: test/fixtures/aws-snat/*.rules, made by the real
 * iptables 1.8.9 in a network namespace (make-fixtures.sh) from the rule specs aws-node writes
 * (aws/amazon-vpc-cni-k8s pkg/networkutils/network.go), then broken the way their names say; the
 * node's interfaces and routes are real ifconfig / `ip route show table all` output of the same
 * namespace, in the EKS log collector's folder (networking/ifconfig.txt, networking/iproute.txt).
 * The ipamd log lines are in ipamd's format (its JSON logger; the iptableRules line as
 * amazon-vpc-cni-k8s issue 2837 quotes it).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import analyzer from '../../analyzers/iptables-aws-snat-missing.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { scanLogText } from '../../src/logs/index.js';
import { markTruncated } from '../../src/netfilter/backends.js';
import { parseIptablesList } from '../../src/netfilter/list-format.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseRoutes } from '../../src/parsers/ip-route.js';
import { SIGNATURES } from '../../src/logs/index.js';
import { canMakeNetns, projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const E2E = 'eks_i-0a1b2c3d4e5f60718_2026-12-01_1031-UTC_0.7.8';
const fx = (...p: string[]) => readFileSync(projectPath('test/fixtures/aws-snat', ...p), 'utf8');
const NODE = 'ip-192-168-12-34.us-west-2.compute.internal';
const SAVE = 'networking/iptables-save.txt';
const IFCONFIG = parseInterfaces(fx(E2E, 'networking/ifconfig.txt'), 'networking/ifconfig.txt');
const ROUTES = parseRoutes(fx(E2E, 'networking/iproute.txt'), 'networking/iproute.txt');
const IPAMD_LOG = fx(E2E, 'var_log/aws-routed-eni/ipamd.log');

/** ipamd's debug line of the SNAT rules it ensures (log.aws-vpc-cni-snat-config) is in the catalog: the real scanner reads it. */
const CATALOG = SIGNATURES;

function logs(text: string, file: string, unit?: string) {
  return scanLogText(text, file, { catalog: CATALOG, source: unit ? { unit } : {}, year: 2026 });
}

/** An EKS node of the fixtures: its rules, ifconfig, routes and ipamd.log (as the collector copies it). */
function eksNode(rules: string, extra: Partial<NodeArtifacts> = {}, ipamd = IPAMD_LOG): NodeArtifacts {
  return {
    iptables: [parseIptablesSave(fx(rules), SAVE)],
    ipAddr: [IFCONFIG],
    routes: [ROUTES],
    logs: [logs(ipamd, 'var_log/aws-routed-eni/ipamd.log', 'ipamd')],
    ...extra,
  };
}

/** ipamd.log of an aws-node started with external SNAT on (its rules' shouldExist false). */
const IPAMD_EXTERNAL = IPAMD_LOG.replace(/shouldExist true/g, 'shouldExist false');
/** ipamd.log of a version before it printed shouldExist (aws-node 1.6, issue 2114's shape): says nothing of the setting */
const IPAMD_OLD = IPAMD_LOG.replace(/ shouldExist (true|false) rule \[[^\]]*\]/g, '');

const lineOf = (rules: string, n: number) => fx(rules).split('\n')[n - 1];

describe('fires where the VPC CNI serves the pods and its SNAT is gone', () => {
  it('nat POSTROUTING flushed (`iptables -t nat -F POSTROUTING`): critical, from the rules alone', () => {
    const [f, ...more] = runNode(analyzer, eksNode('postrouting-flushed.rules', {}, IPAMD_OLD), NODE);
    expect(more).toEqual([]);
    expect(f.severity).toBe('critical');
    expect(f.facts).toMatchObject({ snatChain: 'not-jumped', podAddress: '192.168.9.201', primaryAddress: '192.168.12.34', proof: 'aws-node-rules' });
    // where the jump should be: nat POSTROUTING, which only jumps to kube-proxy's chain now
    expect(f.evidence[0]).toMatchObject({ file: SAVE });
    expect(lineOf('postrouting-flushed.rules', f.evidence[0].line)).toBe(':POSTROUTING ACCEPT [0:0]');
    // aws-node's SNAT rule, stranded
    expect(lineOf('postrouting-flushed.rules', f.evidence[1].line)).toBe(
      '-A AWS-SNAT-CHAIN-0 ! -o vlan+ -m comment --comment "AWS, SNAT" -m addrtype ! --dst-type LOCAL -j SNAT --to-source 192.168.12.34 --random-fully',
    );
    // the rules aws-node writes only with external SNAT off: its RETURN for the VPC, its connmark rules
    const proof = f.evidence.filter((e) => e.note?.includes('only with AWS_VPC_K8S_CNI_EXTERNALSNAT=false')).map((e) => e.excerpt);
    expect(proof).toEqual([
      '-A AWS-SNAT-CHAIN-0 -d 192.168.0.0/16 -m comment --comment "AWS SNAT CHAIN" -j RETURN',
      '-A PREROUTING -i eni+ -m comment --comment "AWS, outbound connections" -j AWS-CONNMARK-CHAIN-0',
      '-A PREROUTING -m comment --comment "AWS, CONNMARK" -j CONNMARK --restore-mark --nfmask 0x80 --ctmask 0x80',
    ]);
    // the VPC CNI's pods and aws-node itself
    expect(f.evidence).toContainEqual(expect.objectContaining({ file: 'networking/iproute.txt', excerpt: '192.168.9.201 dev eni9c51b0f4a21 scope link' }));
    expect(f.evidence).toContainEqual(expect.objectContaining({ file: 'var_log/aws-routed-eni/ipamd.log', line: 0 }));
    expect(f.remedy.commands).toEqual([
      `kubectl -n kube-system get pods -l k8s-app=aws-node --field-selector spec.nodeName=${NODE} -o wide`,
      `kubectl -n kube-system delete pod -l k8s-app=aws-node --field-selector spec.nodeName=${NODE}`,
      expect.stringMatching(/^iptables -t nat -S POSTROUTING \| grep AWS-SNAT-CHAIN; iptables -t nat -S AWS-SNAT-CHAIN-0 /),
    ]);
    expect(f.remedy.caution).toMatch(/running pods keep theirs/);
  });

  it('aws-node 1.5 (a chain per VPC CIDR), its last chain flushed: critical, the `! -d <VPC>` jump is the proof', () => {
    const [f] = runNode(analyzer, eksNode('chained-snat-flushed.rules', {}, IPAMD_OLD), NODE);
    expect(f.severity).toBe('critical');
    expect(f.facts).toMatchObject({ snatChain: 'no-snat-rule' });
    expect(lineOf('chained-snat-flushed.rules', f.evidence[0].line)).toBe(':AWS-SNAT-CHAIN-0 - [0:0]');
    expect(f.evidence.map((e) => e.excerpt)).toContain('-A AWS-SNAT-CHAIN-0 ! -d 192.168.0.0/16 -m comment --comment "AWS SNAT CHAN" -j AWS-SNAT-CHAIN-1');
  });

  it('`iptables -t nat -F` (chains left empty, as external SNAT leaves them): critical only with ipamd\'s log line saying the node does the SNAT', () => {
    const [f, ...more] = runNode(analyzer, eksNode('nat-flushed.rules'), NODE);
    expect(more).toEqual([]);
    expect(f.severity).toBe('critical');
    expect(f.facts).toMatchObject({ snatChain: 'empty', proof: 'ipamd-log' });
    const line = f.evidence.find((e) => e.file === 'var_log/aws-routed-eni/ipamd.log' && e.line > 0)!;
    expect(IPAMD_LOG.split('\n')[line.line - 1]).toContain('nat/POSTROUTING rule first SNAT rules for non-VPC outbound traffic shouldExist true');
    expect(lineOf('nat-flushed.rules', f.evidence[0].line)).toBe(':POSTROUTING ACCEPT [0:0]');
    expect(f.evidence.map((e) => e.excerpt)).toContain('chain nat AWS-SNAT-CHAIN-0 (no rules)');
  });

  it('iptables.service restarted (every chain deleted, kube-proxy\'s written again): a warning that says what to check; critical with ipamd\'s line', () => {
    const messages = logs(
      'Dec  1 10:20:01 ip-192-168-12-34 systemd: Stopping IPv4 firewall with iptables...\nDec  1 10:20:01 ip-192-168-12-34 systemd: Starting IPv4 firewall with iptables...\nDec  1 10:20:01 ip-192-168-12-34 systemd: Started IPv4 firewall with iptables.\n',
      'var_log/messages',
    );
    const node = eksNode('firewall-restarted.rules', {}, IPAMD_OLD);
    node.logs!.push(messages);
    const [w] = runNode(analyzer, node, NODE);
    expect(w.severity).toBe('warning');
    expect(w.facts).toMatchObject({ snatChain: 'absent', flushedBy: 'iptables.service' });
    expect(w.evidence[0]).toMatchObject({ file: SAVE, line: 0, excerpt: 'no chain AWS-SNAT-CHAIN-0 in the nat table' });
    expect(w.evidence).toContainEqual(expect.objectContaining({ file: 'var_log/messages', line: 1 }));
    expect(w.remedy.commands[0]).toBe("kubectl -n kube-system set env daemonset/aws-node --list | grep -E 'AWS_VPC_K8S_CNI_(EXTERNALSNAT|EXCLUDE_SNAT_CIDRS)'");
    // never --now: iptables.service's stop flushes every table (aws-node's and kube-proxy's rules with it)
    expect(w.remedy.commands.some((c) => c.startsWith('systemctl disable iptables.service   # not --now'))).toBe(true);
    expect(w.remedy.commands).toContain('systemctl mask iptables.service');
    expect(w.remedy.commands.map((c) => c.split('#')[0]).join('\n')).not.toMatch(/--now/);
    expect(w.remedy.caution).toMatch(/Do not stop iptables\.service/);
    const [c] = runNode(analyzer, eksNode('firewall-restarted.rules', { logs: [logs(IPAMD_LOG, 'var_log/aws-routed-eni/ipamd.log', 'ipamd'), messages] }), NODE);
    expect(c.severity).toBe('critical');
  });

  it("the collector's per-table listings instead of the save (iptables -n -v -L -t nat / mangle, with its trailer): the same critical", () => {
    const listing = (t: string) => parseIptablesList(fx('listings', `iptables-${t}.txt`), `networking/iptables-${t}.txt`, { table: t });
    const [f, ...more] = runNode(analyzer, { ...eksNode('postrouting-flushed.rules'), iptables: [listing('mangle'), listing('nat')] }, NODE);
    expect(more).toEqual([]);
    expect(f).toMatchObject({ severity: 'critical', facts: { snatChain: 'not-jumped', primaryAddress: '192.168.12.34' } });
    expect(f.evidence[0].file).toBe('networking/iptables-nat.txt');
    expect(fx('listings', 'iptables-nat.txt').split('\n')[f.evidence[0].line - 1]).toBe('Chain POSTROUTING (policy ACCEPT 0 packets, 0 bytes)');
  });

  it('without a node name the cluster knows (the instance id), the kubectl selector asks for it', () => {
    const [f] = runNode(analyzer, eksNode('postrouting-flushed.rules'), 'i-0a1b2c3d4e5f60718');
    expect(f.remedy.commands[1]).toBe('kubectl -n kube-system delete pod -l k8s-app=aws-node --field-selector spec.nodeName=<node name>');
  });
});

describe('silent where nothing is wrong, or nothing can be told', () => {
  it('a healthy VPC CNI node (its SNAT reached from POSTROUTING)', () => {
    expect(runNode(analyzer, eksNode('healthy.rules'), NODE)).toEqual([]);
  });

  it('aws-node 1.5, healthy', () => {
    expect(runNode(analyzer, eksNode('chained-healthy.rules', {}, IPAMD_OLD), NODE)).toEqual([]);
  });

  it('AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS with 0.0.0.0/0 (every destination RETURNs before the SNAT): configuration, not a loss', () => {
    expect(runNode(analyzer, eksNode('exclude-snat-cidrs.rules'), NODE)).toEqual([]);
  });

  it('AWS_VPC_K8S_CNI_EXTERNALSNAT=true: nothing, whether ipamd\'s log says so or not (then the coverage says it could not tell)', () => {
    expect(runNode(analyzer, eksNode('external-snat.rules', {}, IPAMD_EXTERNAL), NODE)).toEqual([]);
    const said: string[] = [];
    const f = analyzer.scope === 'node' ? analyzer.analyze({ node: NODE, artifacts: eksNode('external-snat.rules', {}, IPAMD_OLD) as never, options: { requiredPorts: [] }, partly: (w) => said.push(w) }) : [];
    expect(f).toEqual([]);
    expect(said).toEqual([expect.stringMatching(/does not say whether AWS_VPC_K8S_CNI_EXTERNALSNAT is true/)]);
    // `iptables -t nat -F` leaves the very same nat table: without ipamd's line, the same nothing
    expect(runNode(analyzer, eksNode('nat-flushed.rules', {}, IPAMD_OLD), NODE)).toEqual([]);
    // ipamd restarted later with external SNAT on: the last line decides
    expect(runNode(analyzer, eksNode('nat-flushed.rules', {}, IPAMD_LOG + IPAMD_EXTERNAL), NODE)).toEqual([]);
  });

  it('another rule source-NATs the pods (a MASQUERADE of everything leaving by ens5)', () => {
    expect(runNode(analyzer, eksNode('postrouting-flushed-masq-ens5.rules'), NODE)).toEqual([]);
  });

  it('an IPv6 cluster: aws-node writes no IPv4 SNAT (its "Block Node Local Pod access via IPv4" rule shows the mode)', () => {
    const v6routes = parseRoutes(
      'default via fe80::4f:11ff:fe2a:3b00 dev ens5 proto ra metric 1024 pref medium\n2600:1f14:3a1:2b00:8f2e::3 dev eni3e2a1f0c9b7 metric 1024 pref medium\n169.254.172.10 dev veth5c0e4b1a scope link\n',
      'networking/iproute.txt',
    );
    // (ipamd versions that program IPv6 mode's rules through the same code log shouldExist true for the ip6tables jump)
    expect(runNode(analyzer, eksNode('ipv6-cluster.rules', { routes: [v6routes] }), NODE)).toEqual([]);
  });

  it('Cilium serves the pods (aws-node gone, its connmark and mangle rules left behind)', () => {
    const cilium = parseInterfaces(
      `${fx(E2E, 'networking/ifconfig.txt')}cilium_host: flags=4291<UP,BROADCAST,RUNNING,NOARP,MULTICAST>  mtu 9001\n        inet 192.168.14.2  netmask 255.255.255.255  broadcast 0.0.0.0\n        ether 3a:1f:0c:5e:77:21  txqueuelen 1000  (Ethernet)\n\n`,
      'networking/ifconfig.txt',
    );
    expect(runNode(analyzer, eksNode('cilium-leftover.rules', { ipAddr: [cilium] }, IPAMD_OLD), NODE)).toEqual([]);
    // the same rules with the VPC CNI's pods and no Cilium: its leftovers are proof, and it fires (what the Cilium check stops)
    expect(runNode(analyzer, eksNode('cilium-leftover.rules', {}, IPAMD_OLD), NODE)[0]?.severity).toBe('critical');
  });

  it('a plain Docker host and kubeadm nodes (flannel), healthy or flushed: not VPC CNI nodes', () => {
    const dir = 'test/fixtures/netfilter/docker-direct-access';
    const docker: NodeArtifacts = {
      iptables: [parseIptablesSave(readFileSync(projectPath(dir, 'docker28-nat.iptables-save'), 'utf8'), 'iptables-save')],
      ipAddr: [parseInterfaces(readFileSync(projectPath(dir, 'ip_addr'), 'utf8'), 'ip_addr')],
      routes: [parseRoutes(readFileSync(projectPath(dir, 'ip_route'), 'utf8'), 'ip_route')],
    };
    expect(runNode(analyzer, docker)).toEqual([]);
    for (const f of ['kubeadm-healthy.rules', 'kubeadm-flushed.rules'])
      expect(runNode(analyzer, { iptables: [parseIptablesSave(readFileSync(projectPath('test/fixtures/k8s-flush', f), 'utf8'), 'iptables-save')] })).toEqual([]);
  });

  it('a cut nat dump, or no nat table at all: nothing, and the coverage says why', () => {
    const said: string[] = [];
    const run = (a: NodeArtifacts) => (analyzer.scope === 'node' ? analyzer.analyze({ node: NODE, artifacts: a as never, options: { requiredPorts: [] }, partly: (w) => said.push(w) }) : []);
    const cut = parseIptablesSave(fx('postrouting-flushed.rules'), SAVE);
    markTruncated(cut, 'sos_strings/networking/iptables-save.tailed');
    expect(run({ ...eksNode('postrouting-flushed.rules'), iptables: [cut] })).toEqual([]);
    // the collector's filter listing only (networking/iptables.txt of an old collector)
    const filterOnly = parseIptablesList('Chain INPUT (policy ACCEPT 0 packets, 0 bytes)\n pkts bytes target     prot opt in     out     source               destination\n', 'networking/iptables.txt', { table: 'filter' });
    expect(run({ ...eksNode('postrouting-flushed.rules'), iptables: [filterOnly] })).toEqual([]);
    expect(said).toEqual([expect.stringMatching(/the nat dump is cut/), expect.stringMatching(/has no nat table/)]);
  });
});

describe('with the real iptables', () => {
  it.skipIf(!canMakeNetns())('the jump aws-node adds at its start, added to the flushed rules by the real iptables, leaves nothing to report', () => {
    const ns = `haws${process.pid}`;
    const run = (args: string[], input?: string) => execFileSync('ip', ['netns', 'exec', ns, ...args], { input, encoding: 'utf8' });
    execFileSync('ip', ['netns', 'add', ns]);
    try {
      run(['iptables-restore'], fx('postrouting-flushed.rules'));
      expect(runNode(analyzer, eksNode('postrouting-flushed.rules'), NODE)).toHaveLength(1);
      // ipamd's updateIptablesRules: `-C` finds the jump missing (shouldExist true), so it appends it
      run(['iptables', '-t', 'nat', '-A', 'POSTROUTING', '-m', 'comment', '--comment', 'AWS SNAT CHAIN', '-j', 'AWS-SNAT-CHAIN-0']);
      const after = run(['iptables-save']);
      expect(after).toContain('-A POSTROUTING -m comment --comment "AWS SNAT CHAIN" -j AWS-SNAT-CHAIN-0');
      expect(runNode(analyzer, { ...eksNode('postrouting-flushed.rules'), iptables: [parseIptablesSave(after, SAVE)] }, NODE)).toEqual([]);
    } finally {
      execFileSync('ip', ['netns', 'del', ns]);
    }
  });
});
