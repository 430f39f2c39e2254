/**
 * The side-by-side cluster view and cluster.node-inconsistent on bundles/three-node-cluster.tgz
 * (R13 #7): node-a and node-c share the flannel subnet 10.244.1.0/24 (flannel.duplicate-subnet says
 * so), node-b alone has its own 10.244.2.0/24; node-c alone has ip_forward 0, the legacy back end and
 * FORWARD ACCEPT. Per-node-unique facts are marked where a value is duplicated (node-a, node-c), not
 * where it is in the minority (node-b, the correct node). The ip_forward difference belongs to node-c's
 * sysctl.ip-forward-disabled; the other two differences are one finding with concrete commands.
 */
import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/engine/analyze.js';
import { render } from '../../src/report/render.js';
import { factMarks } from '../../src/engine/facts.js';
import { parseSysctlText } from '../../src/parsers/sysctl.js';
import clusterInconsistent from '../../analyzers/cluster-node-inconsistent.js';
import { projectPath } from '../helpers/shared.js';
import { runCluster } from './helpers.js';

describe('three-node-cluster.tgz side by side', async () => {
  const report = await analyze([projectPath('bundles/three-node-cluster.tgz')]);
  const b = report.bundles[0];
  const md = render(report, 'md');
  const row = (label: string) => md.split('\n').find((l) => l.startsWith(`| ${label} |`));

  it('marks the two nodes that share the flannel subnet, flannel.1 and cni0, not node-b', () => {
    expect(row('flannel subnet')).toBe('| flannel subnet | **`10.244.1.1/24`** ⚠️ | `10.244.2.1/24` | **`10.244.1.1/24`** ⚠️ |');
    expect(row('flannel.1')).toBe('| flannel.1 | **`10.244.1.0/32`** ⚠️ | `10.244.2.0/32` | **`10.244.1.0/32`** ⚠️ |');
    expect(row('cni0')).toBe('| cni0 | **`10.244.1.1/24`** ⚠️ | `10.244.2.1/24` | **`10.244.1.1/24`** ⚠️ |');
    expect(md).toContain('⚠️ on flannel subnet, flannel.1, cni0: the same value on more than one node, where each node needs its own.');
    // the decision is in the report, for every renderer
    const marks = Object.fromEntries(b.nodes.map((n) => [n.name, n.marks ?? {}]));
    expect(marks['node-b']).toEqual({});
    expect(marks['node-a']).toEqual({ 'flannel subnet': 'duplicated', 'flannel.1': 'duplicated', cni0: 'duplicated' });
    expect(marks['node-c']).toMatchObject({ ip_forward: 'differs', 'iptables back end': 'differs', 'FORWARD policy': 'differs', 'flannel subnet': 'duplicated' });
    // settings that must match keep the minority mark
    expect(row('ip_forward')).toBe('| ip_forward | `1` | `1` | **`0`** ⚠️ |');
    expect(row('docker0')).toBe('| docker0 | `172.17.0.1/16` | `172.17.0.1/16` | `172.17.0.1/16` |');
    const html = render(report, 'html');
    expect(html).toContain('title="the same as on another node: each node needs its own">10.244.1.1/24</td>');
  });

  it('one cluster.node-inconsistent: back end and FORWARD policy, ip_forward left to sysctl.ip-forward-disabled', () => {
    const cluster = b.findings.filter((f) => f.id === 'cluster.node-inconsistent');
    expect(cluster).toHaveLength(1);
    const [f] = cluster;
    expect(b.findings.find((x) => x.id === 'sysctl.ip-forward-disabled')?.node).toBe('node-c');
    expect(f.message).toBe(
      '2 settings that must match on every node differ: iptables back end: nf_tables on node-a, node-b; legacy on node-c; FORWARD policy: DROP on node-a, node-b; ACCEPT on node-c. Traffic that works between some nodes fails between others.',
    );
    expect(f.related).toEqual(['sysctl.ip-forward-disabled']);
    expect(f.evidence.some((e) => /ip_forward/.test(e.excerpt ?? ''))).toBe(false);
    expect(f.remedy.summary).not.toMatch(/findings of the odd node/);
    expect(f.remedy.commands).toContain('update-alternatives --set iptables /usr/sbin/iptables-nft');
    expect(f.remedy.commands).toContain('# on node-c (Debian/Ubuntu alternatives)');
    expect(f.remedy.summary).toMatch(/which side is wrong is not obvious/);
    expect(f.remedy.commands).toContain('iptables -S FORWARD');
    // R19: pasted whole after the back-end switch, a live DROP would drop every forwarded packet of node-c until its reboot
    expect(f.remedy.commands).toContain('# iptables -P FORWARD DROP');
    expect(f.remedy.commands.filter((c) => /^\s*iptables -P /.test(c))).toEqual([]);
    expect(f.facts?.settings).toEqual([
      { setting: 'iptables back end', values: { 'node-a': 'nf_tables', 'node-b': 'nf_tables', 'node-c': 'legacy' }, odd: ['node-c'] },
      { setting: 'FORWARD policy', values: { 'node-a': 'DROP', 'node-b': 'DROP', 'node-c': 'ACCEPT' }, odd: ['node-c'] },
    ]);
  });
});

describe('factMarks', () => {
  it('distinct per-node subnets and equal settings mark nothing (a healthy cluster)', () => {
    const facts = [
      { ip_forward: '1', 'flannel subnet': '10.244.0.1/24', cni0: '10.244.0.1/24', docker0: '172.17.0.1/16' },
      { ip_forward: '1', 'flannel subnet': '10.244.1.1/24', cni0: '10.244.1.1/24', docker0: '172.17.0.1/16' },
      { ip_forward: '1', 'flannel subnet': '10.244.2.1/24', cni0: '10.244.2.1/24', docker0: '172.17.0.1/16' },
    ];
    expect(factMarks(facts)).toEqual([{}, {}, {}]);
  });

  it('overlapping flannel subnets are duplicates even when written differently', () => {
    const marks = factMarks([{ 'flannel subnet': '10.244.1.1/24' }, { 'flannel subnet': '10.244.1.0/16' }, { 'flannel subnet': '10.245.0.1/24' }]);
    expect(marks).toEqual([{ 'flannel subnet': 'duplicated' }, { 'flannel subnet': 'duplicated' }, {}]);
  });
});

describe('cluster.node-inconsistent folds a sysctl difference into the node finding', () => {
  const node = (fwd: string) => ({ sysctl: [parseSysctlText(`net.ipv4.ip_forward = ${fwd}\nnet.bridge.bridge-nf-call-iptables = 1\n`, 'sysctl')] });
  it('ip_forward 0 on one node, where sysctl.ip-forward-disabled fires: no cluster finding', () => {
    expect(runCluster(clusterInconsistent, [{ node: 'a', artifacts: node('1') }, { node: 'b', artifacts: node('1') }, { node: 'c', artifacts: node('0') }])).toEqual([]);
  });
  it('identical nodes: nothing', () => {
    expect(runCluster(clusterInconsistent, [{ node: 'a', artifacts: node('1') }, { node: 'b', artifacts: node('1') }])).toEqual([]);
  });
});
