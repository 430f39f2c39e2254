/**
 * Which node a troubleshoot file belongs to: runDaemonSet's `<collector>/<node>.log`, and the
 * per-node host-collectors folders of a bundle without node_list.json.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readBundle } from '../../src/bundle/read.js';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { isWantedPath, locate, logSourceOf } from '../../src/layouts/index.js';
import { makeTarGz, writeFolder, writeTmp } from '../helpers/archive.js';
import { corpusPath, hasCorpus, projectPath } from '../helpers/shared.js';

const fx = (name: string) => readFileSync(projectPath('test/fixtures/troubleshoot-rundaemonset', name), 'utf8');
const ROOT = 'support-bundle-2024-11-20T10_00_00';
const VERSION = 'apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\nspec:\n  versionNumber: v0.107.1\n';
const PODS = JSON.stringify({
  kind: 'PodList',
  apiVersion: 'v1',
  items: [
    { metadata: { name: 'kube-flannel-ds-aaaaa', namespace: 'kube-system' }, spec: { nodeName: 'node-1' } },
    { metadata: { name: 'kube-flannel-ds-bbbbb', namespace: 'kube-system' }, spec: { nodeName: 'node-2' } },
  ],
});
const NODES = JSON.stringify({ kind: 'NodeList', apiVersion: 'v1', items: [{ metadata: { name: 'node-1' } }, { metadata: { name: 'node-2' } }] });
const SYSCTL_JSON = JSON.stringify({ 'net.ipv4.ip_forward': '1', 'net.bridge.bridge-nf-call-iptables': '1' }, null, 2);

const read = (path: string) => readBundle(path, { keep: (i) => i.size < 1 << 20 || isWantedPath(i.path) });
const located = async (files: Record<string, string>) => locate(await read(writeFolder(files, 'ts')), 'ts');
const rooted = (files: Record<string, string>) => Object.fromEntries(Object.entries(files).map(([k, v]) => [`${ROOT}/${k}`, v]));
const filesOf = (l: Awaited<ReturnType<typeof located>>) =>
  Object.fromEntries(l.nodes.map((n) => [n.name, n.files.map((f) => `${f.path.slice(ROOT.length + 1)} ${f.format}`).sort()]));

describe('troubleshoot runDaemonSet output, <collector>/<node>.log', () => {
  const bundle = rooted({
    'version.yaml': VERSION,
    'cluster-resources/nodes.json': NODES,
    'host-collectors/system/node_list.json': '{"nodes":["node-1","node-2"]}',
    'iptables-save/node-1.log': fx('iptables-save-healthy.log'),
    'iptables-save/node-2.log': fx('iptables-save-rhel-firewall.log'),
    'ip-addr/node-1.log': fx('ip-addr-node-1.log'),
    'ip-addr/node-2.log': fx('ip-addr-node-2.log'),
    // a runPod collector beside them: `<collector>/<pod>.log` with its pod JSON, no node's
    'run-example/run-example.log': 'hello\n',
    'run-example/run-example.json': '{}',
  });

  it('is that node\'s output, read for what it holds', async () => {
    const l = await located(bundle);
    expect(filesOf(l)).toEqual({
      // the cluster's Node objects (their flannel VTEP annotations) ride along with every node's host data
      'node-1': ['cluster-resources/nodes.json kube-nodes', 'ip-addr/node-1.log ip-addr', 'iptables-save/node-1.log iptables-save'],
      'node-2': ['cluster-resources/nodes.json kube-nodes', 'ip-addr/node-2.log ip-addr', 'iptables-save/node-2.log iptables-save'],
    });
    expect(l.nodes.flatMap((n) => n.logs.map((g) => g.path))).not.toContain(`${ROOT}/run-example/run-example.log`);
  });

  it('end to end from a tarball: the node whose rules were replaced has its criticals, the healthy node none', async () => {
    const tgz = writeTmp('rds.tar.gz', await makeTarGz(Object.entries(bundle).map(([name, content]) => ({ name, content }))));
    const report = await analyzeBundle(tgz);
    const critical = report.findings.filter((f) => f.severity === 'critical');
    const on = (node: string) => critical.filter((f) => f.node === node).map((f) => f.id);
    expect(on('node-2')).toEqual(expect.arrayContaining(['iptables.docker-chain-missing', 'iptables.forward-blocks-containers']));
    expect(on('node-1')).toEqual([]);
    expect(critical.find((f) => f.id === 'iptables.docker-chain-missing')?.evidence[0].file).toBe(`${ROOT}/iptables-save/node-2.log`);
  });

  it('the output files are not logs by their name, so they are kept for the sniffers; pod logs still are logs', () => {
    expect(logSourceOf(`${ROOT}/iptables-save/node-1.log`)).toBeUndefined();
    expect(logSourceOf('supportbundle/run-daemonset-example/primary-node.log')).toBeUndefined();
    expect(logSourceOf(`${ROOT}/cluster-resources/pods/logs/kube-system/kube-flannel-ds-aaaaa/kube-flannel.log`)).toEqual({
      namespace: 'kube-system',
      pod: 'kube-flannel-ds-aaaaa',
      container: 'kube-flannel',
    });
    // a hand-made bundle's log keeps being one (docker.log is dockerd's)
    expect(logSourceOf('ticket-123/node-a/docker.log')).toEqual({ unit: 'docker' });
    expect(logSourceOf('ticket-123/node-a/app.log')).toEqual({});
  });

  it.skipIf(!hasCorpus)('the real baseline bundle: run-daemonset-example/primary-node.log belongs to primary-node', async () => {
    const l = locate(await read(corpusPath('bundles/troubleshoot-baseline-supportbundle-k3s-flannel.tar.gz')), 'ts');
    expect(l.nodes.map((n) => n.name)).toEqual(['primary-node']);
    expect(l.nodes[0].logs.map((g) => g.path)).toContain('supportbundle/run-daemonset-example/primary-node.log');
    // runPod output is no node's
    expect(l.nodes[0].logs.map((g) => g.path)).not.toContain('supportbundle/run-example/run-example.log');
  });
});

describe('troubleshoot host-collectors per node without node_list.json', () => {
  const perNode = (layout: (type: string, node: string) => string, extra: Record<string, string> = {}) =>
    rooted({
      'version.yaml': VERSION,
      ...extra,
      ...Object.fromEntries(
        ['node-1', 'node-2'].flatMap((n) => [
          [`${layout('run-host', n)}/iptables-save.txt`, fx(n === 'node-1' ? 'iptables-save-healthy.log' : 'iptables-save-rhel-firewall.log')],
          [`${layout('run-host', n)}/ip-addr.txt`, fx(`ip-addr-${n}.log`)],
          [`${layout('system', n)}/sysctl.json`, SYSCTL_JSON],
          [`${layout('copy-flannel', n)}/subnet.env`, `FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.${n === 'node-1' ? 1 : 2}.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n`],
        ]),
      ),
    });
  const expected = (layout: (type: string, node: string) => string) =>
    Object.fromEntries(
      ['node-1', 'node-2'].map((n) => [
        n,
        [
          `host-collectors/${layout('copy-flannel', n)}/subnet.env subnet-env`,
          `host-collectors/${layout('run-host', n)}/ip-addr.txt ip-addr`,
          `host-collectors/${layout('run-host', n)}/iptables-save.txt iptables-save`,
          `host-collectors/${layout('system', n)}/sysctl.json sysctl-json`,
        ].sort(),
      ]),
    );
  const documented = (type: string, node: string) => `${type}/${node}`;
  const recent = (type: string, node: string) => `${node}/${type}`;
  const hc = (f: (t: string, n: string) => string) => (t: string, n: string) => `host-collectors/${f(t, n)}`;

  it('documented layout, nodes named by the pod specs', async () => {
    const l = await located(perNode(hc(documented), { 'cluster-resources/pods/kube-system.json': PODS }));
    expect(filesOf(l)).toEqual(expected(documented));
  });

  it('documented layout with nothing else naming the nodes: the node folders sit under several collectors', async () => {
    const l = await located(perNode(hc(documented)));
    expect(filesOf(l)).toEqual(expected(documented));
    expect(l.nodes.every((n) => n.nameFrom.endsWith('host-collectors'))).toBe(true);
  });

  it('recent layout host-collectors/<node>/<type>/ with nothing naming the nodes', async () => {
    const l = await located(perNode(hc(recent)));
    expect(filesOf(l)).toEqual(expected(recent));
  });

  it('end to end: node-2\'s criticals are its own, none lands on a merged pseudo-node', async () => {
    const report = await analyzeBundle(writeFolder(perNode(hc(documented), { 'cluster-resources/pods/kube-system.json': PODS }), 'ts'));
    expect(report.nodes.map((n) => n.name).sort()).toEqual(['node-1', 'node-2']);
    const critical = report.findings.filter((f) => f.severity === 'critical');
    expect(critical.filter((f) => f.node === 'node-2').map((f) => f.id)).toContain('iptables.docker-chain-missing');
    expect(critical.filter((f) => f.node === 'node-1')).toEqual([]);
  });

  it('a single host stays one node: run-host/<name>.txt, a run collector\'s output dir, a copied folder', async () => {
    const l = await located(
      rooted({
        'version.yaml': VERSION,
        'host-collectors/run-host/iptables-save.txt': fx('iptables-save-healthy.log'),
        'host-collectors/run-host/iptables-save-info.json': '{"command":"/usr/sbin/iptables-save","exitCode":"0"}',
        'host-collectors/run-host/ip-addr.txt': fx('ip-addr-node-1.log'),
        'host-collectors/run-host/netdiag/out/routes.txt': 'default via 10.0.0.1 dev eth0\n',
        'host-collectors/system/sysctl.json': SYSCTL_JSON,
        'host-collectors/copy-sysctl/sysctl.d/99-k8s.conf': 'net.ipv4.ip_forward = 1\n',
      }),
    );
    expect(l.nodes.map((n) => n.name)).toEqual(['host']);
    expect(filesOf(l).host).toEqual(
      expect.arrayContaining([
        'host-collectors/run-host/iptables-save.txt iptables-save',
        'host-collectors/system/sysctl.json sysctl-json',
        'host-collectors/copy-sysctl/sysctl.d/99-k8s.conf sysctl-conf',
      ]),
    );
  });
});
