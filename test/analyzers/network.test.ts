import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import clusterInconsistent from '../../analyzers/cluster-node-inconsistent.js';
import bridgeMismatch from '../../analyzers/docker-bridge-mismatch.js';
import duplicateSubnet from '../../analyzers/flannel-duplicate-subnet.js';
import multipleAddresses from '../../analyzers/flannel-multiple-addresses.js';
import subnetMismatch from '../../analyzers/flannel-subnet-mismatch.js';
import bridgeNf from '../../analyzers/sysctl-bridge-nf-call-disabled.js';
import notPersistent from '../../analyzers/sysctl-ip-forward-not-persistent.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { parseDockerNetworks } from '../../src/parsers/docker-network-inspect.js';
import { parseSubnetEnv } from '../../src/parsers/flannel-env.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseSystemctlText } from '../../src/parsers/services.js';
import { parseSysctlConfig, parseSysctlText } from '../../src/parsers/sysctl.js';
import { hasCorpus, hasSeeds, projectPath, readCorpus, seedsDir } from '../helpers/shared.js';
import { runCluster, runNode } from './helpers.js';

const fx = (...p: string[]) => readFileSync(projectPath('test/fixtures', ...p), 'utf8');
const seed004 = () => readFileSync(join(seedsDir, readdirSync(seedsDir).find((f) => f.startsWith('004_'))!), 'utf8').split('\n').map((l) => l.replace(/\\ \*\*(\d+)\*\*\\/g, '$1'));
/** Lines a..b (1-based, inclusive) of seed 004 with the rst emphasis removed, as a customer would paste them. */
const seedLines = (a: number, b: number) => seed004().slice(a - 1, b).map((l) => l.trim()).filter((l) => !l.startsWith('$')).join('\n') + '\n';

const healthyNode = (): NodeArtifacts => ({
  ipAddr: [parseInterfaces(fx('iproute2/ip_a'), 'ip_a')],
  flannelSubnetEnv: [parseSubnetEnv('FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n', 'run/flannel/subnet.env')],
});

describe.skipIf(!hasSeeds)('flannel.subnet-mismatch and flannel.multiple-addresses on the seed 004 outputs', () => {
  it('range set mismatch: cni0 10.10.2.x, flannel.1 10.10.1.x, subnet.env 10.10.1.1/24', () => {
    const [f] = runNode(subnetMismatch, { ipAddr: [parseInterfaces(seedLines(495, 497), 'ip-a.txt')], flannelSubnetEnv: [parseSubnetEnv(seedLines(498, 499), 'subnet.env')] }, 'k8s-node-1');
    expect(f.severity).toBe('critical');
    expect(f.facts).toMatchObject({ form: 'range set mismatch', subnet: '10.10.1.1/24', outside: [{ name: 'cni0', cidr: '10.10.2.1/24' }] });
    expect(f.evidence[0]).toMatchObject({ file: 'subnet.env', line: 1, excerpt: 'FLANNEL_SUBNET=10.10.1.1/24' });
    expect(f.remedy.commands).toContain('ip link delete flannel.1');
    expect(f.remedy.caution).toMatch(/up to 5 minutes/);
  });

  it('range affectation mismatch: cni0 and flannel.1 in 10.10.2.x, subnet.env 10.10.3.1/24', () => {
    const [f] = runNode(subnetMismatch, { ipAddr: [parseInterfaces(seedLines(505, 507), 'ip-a.txt')], flannelSubnetEnv: [parseSubnetEnv(seedLines(508, 509), 'subnet.env')] });
    expect(f.facts?.form).toBe('range affectation mismatch');
    expect(f.message).toMatch(/cni0 and flannel\.1 agree \(10\.10\.2\.0\/24\) but subnet\.env says 10\.10\.3\.1\/24/);
  });

  it('flannel.1 with two addresses', () => {
    const [f] = runNode(multipleAddresses, { ipAddr: [parseInterfaces(seedLines(515, 518), 'ip-a.txt')] });
    expect(f.facts).toEqual({ addresses: ['10.10.2.0/32', '10.10.4.0/32'] });
  });

  it('the healthy outputs of seed 004 (lines 564-578) fire nothing', () => {
    const a: NodeArtifacts = { ipAddr: [parseInterfaces(seedLines(564, 566), 'ip-a.txt')], flannelSubnetEnv: [parseSubnetEnv(seedLines(574, 578), 'subnet.env')] };
    expect(runNode(subnetMismatch, a)).toEqual([]);
    expect(runNode(multipleAddresses, a)).toEqual([]);
  });
});

describe('flannel on real iproute2 output and the corpus', () => {
  it('healthy: real cni0/flannel.1 in a namespace match subnet.env', () => {
    expect(runNode(subnetMismatch, healthyNode())).toEqual([]);
    expect(runNode(multipleAddresses, healthyNode())).toEqual([]);
  });

  it.skipIf(!hasCorpus)('hotsos sosreport (flannel.1 10.1.84.0/32, subnet 10.1.84.1/24) is healthy; flannel#1983 subnet outside the network fires', () => {
    const hot: NodeArtifacts = { ipAddr: [parseInterfaces(readCorpus('ip-addr/hotsos-charmed-k8s-flannel-node-ip-o-addr.txt'), 'ip_-o_addr')], flannelSubnetEnv: [parseSubnetEnv(readCorpus('flannel/hotsos-charmed-k8s-subnet.env'), 'subnet.env')] };
    expect(runNode(subnetMismatch, hot)).toEqual([]);
    const bad = parseSubnetEnv(readCorpus('flannel/flannel-1983-subnet.env-subnet-outside-network-mismatch.env'), 'subnet.env');
    const [f] = runNode(subnetMismatch, { ipAddr: [parseInterfaces(fx('iproute2/ip_a'), 'ip_a')], flannelSubnetEnv: [bad] });
    expect(f.message).toMatch(/FLANNEL_SUBNET 10\.224\.0\.1\/24 is outside FLANNEL_NETWORK 10\.244\.0\.0\/16/);
  });
});

describe('flannel.duplicate-subnet (cluster)', () => {
  it('two nodes with the same FLANNEL_SUBNET, evidence from both; three distinct nodes are fine', () => {
    const env = (s: string, f: string) => parseSubnetEnv(`FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=${s}\nFLANNEL_MTU=1450\n`, f);
    const nodes = [
      { node: 'k8s-node-1', artifacts: { flannelSubnetEnv: [env('10.244.1.1/24', 'node-1/subnet.env')] } },
      { node: 'k8s-node-2', artifacts: { flannelSubnetEnv: [env('10.244.2.1/24', 'node-2/subnet.env')] } },
      { node: 'k8s-node-3', artifacts: { flannelSubnetEnv: [env('10.244.1.1/24', 'node-3/subnet.env')] } },
    ];
    const [d] = runCluster(duplicateSubnet, nodes);
    expect(d.nodes).toEqual(['k8s-node-1', 'k8s-node-3']);
    expect(d.evidence.map((e) => `${e.node} ${e.file}:${e.line}`)).toEqual(['k8s-node-1 node-1/subnet.env:2', 'k8s-node-3 node-3/subnet.env:2']);
    nodes[2].artifacts.flannelSubnetEnv = [env('10.244.3.1/24', 'node-3/subnet.env')];
    expect(runCluster(duplicateSubnet, nodes)).toEqual([]);
  });
});

describe.skipIf(!hasCorpus)('docker.bridge-mismatch', () => {
  it('fires when the network says 172.18.0.0/16 but its bridge has another address, and when it overlaps flannel', () => {
    const nets = parseDockerNetworks(readCorpus('docker-network/docker-docs-inspect-user-defined-alpine-net-3-containers.json'), 'docker_network_inspect_alpine-net');
    const ip = parseInterfaces('9: br-e9261a8c9a19: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default\n    link/ether 02:42:5d:1f:3c:aa brd ff:ff:ff:ff:ff:ff\n    inet 172.19.0.1/16 brd 172.19.255.255 scope global br-e9261a8c9a19\n       valid_lft forever preferred_lft forever\n', 'ip_a');
    const [m] = runNode(bridgeMismatch, { dockerNetworks: [nets], ipAddr: [ip] });
    expect(m.facts?.problems).toEqual(['bridge br-e9261a8c9a19 has 172.19.0.1/16, outside the network\'s subnet 172.18.0.0/16']);
    const flannel = parseSubnetEnv('FLANNEL_NETWORK=172.16.0.0/12\nFLANNEL_SUBNET=172.18.5.1/24\n', 'subnet.env');
    const [o] = runNode(bridgeMismatch, { dockerNetworks: [nets], ipAddr: [parseInterfaces(fx('iproute2/ip_a'), 'ip_a')], flannelSubnetEnv: [flannel] });
    expect(o.message).toMatch(/overlaps the flannel network 172\.16\.0\.0\/12/);
  });

  it('is silent when the bridge matches (default bridge and real docker0)', () => {
    const nets = parseDockerNetworks(readCorpus('docker-network/docker-docs-inspect-bridge-alpine3-alpine4.json'), 'n');
    expect(runNode(bridgeMismatch, { dockerNetworks: [nets], ipAddr: [parseInterfaces(fx('iproute2/ip_a'), 'ip_a')], ...healthyNode() })).toEqual([]);
  });
});

describe.skipIf(!hasCorpus)('sysctl.bridge-nf-call-disabled', () => {
  const kubelet = parseSystemctlText('UNIT FILE        STATE   VENDOR PRESET\nkubelet.service  enabled disabled\n', 'systemctl_list-unit-files');
  it('fires on the CentOS dump with bridge-nf-call-iptables = 0 when kubelet runs', () => {
    const f = 'sysctl/jc-centos77-docker-sysctl-a.txt';
    const [b] = runNode(bridgeNf, { sysctl: [parseSysctlText(readCorpus(f), f)], services: [kubelet] });
    expect(b.evidence[0]).toMatchObject({ file: f, line: 220 });
  });

  it('fires when br_netfilter is not loaded (no net.bridge keys in a full dump) on a node with KUBE chains', () => {
    const f = 'sysctl/jc-ubuntu1804-sysctl-a-ip-forward-0.txt';
    const [b] = runNode(bridgeNf, { sysctl: [parseSysctlText(readCorpus(f), f)], iptables: [parseIptablesSave(fx('netfilter/nft/iptables-save'), 'iptables-save')] });
    expect(b.message).toMatch(/br_netfilter is not loaded/);
  });

  it('is silent on the hotsos k8s node (1); info on a host without Kubernetes', () => {
    const h = 'sysctl/hotsos-charmed-k8s-flannel-node-sysctl-a.txt';
    expect(runNode(bridgeNf, { sysctl: [parseSysctlText(readCorpus(h), h)], services: [kubelet] })).toEqual([]);
    const c = 'sysctl/jc-centos77-docker-sysctl-a.txt';
    // without a sign of Kubernetes: info, naming the Docker bridge (R12 case 05)
    expect(runNode(bridgeNf, { sysctl: [parseSysctlText(readCorpus(c), c)] }).map((f) => f.severity)).toEqual(['info']);
  });
});

describe.skipIf(!hasCorpus)('sysctl.ip-forward-not-persistent', () => {
  it('fires when runtime is 1 but /etc/sysctl.conf sets 0; silent when sysctl.d keeps 1 (kubeadm#312 file)', () => {
    const rt = 'sysctl/hotsos-charmed-k8s-flannel-node-sysctl-a.txt';
    const runtime = parseSysctlText(readCorpus(rt), rt);
    const [p] = runNode(notPersistent, { sysctl: [runtime], sysctlConfig: [parseSysctlConfig('# Disable routing\nnet.ipv4.ip_forward = 0\n', 'sosreport-x/etc/sysctl.conf')] });
    expect(p.evidence[0]).toMatchObject({ file: 'sosreport-x/etc/sysctl.conf', line: 2 });
    expect(p.remedy.commands[0]).toContain('/etc/sysctl.conf');
    const k = 'sysctl/kubeadm-312-centos7-usr-lib-sysctl.d-00-system.conf-edited.conf';
    expect(runNode(notPersistent, { sysctl: [runtime], sysctlConfig: [parseSysctlConfig(readCorpus(k), 'usr/lib/sysctl.d/00-system.conf')] })).toEqual([]);
  });
});

describe('cluster.node-inconsistent', () => {
  it('an ip_forward difference is node c\'s own sysctl.ip-forward-disabled (test/analyzers/cluster-view.test.ts); identical nodes are fine', () => {
    const node = (fwd: string) => ({ sysctl: [parseSysctlText(`net.ipv4.ip_forward = ${fwd}\n`, 'sysctl')] });
    expect(runCluster(clusterInconsistent, [
      { node: 'a', artifacts: node('1') },
      { node: 'b', artifacts: node('1') },
      { node: 'c', artifacts: node('0') },
    ])).toEqual([]);
    expect(runCluster(clusterInconsistent, [{ node: 'a', artifacts: node('1') }, { node: 'b', artifacts: node('1') }])).toEqual([]);
  });
});
