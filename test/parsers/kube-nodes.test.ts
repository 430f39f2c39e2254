/**
 * Kubernetes Node objects on real text:
 * - the shared corpus' troubleshoot bundles: cluster-resources/nodes.json (k3s / k3d NodeLists, one node each);
 *   the two real Node objects joined into a bare array (the other shape troubleshoot writes);
 * - kubernetes/kubernetes#58599: `kubectl get node --output yaml` as pasted (the List up to status.addresses);
 * - flannel-io/flannel#1795: `kubectl get node xxx.164 -o yaml | grep Vtep` (one annotation line, no name).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseKubeNodes, sniffKubeNodes } from '../../src/parsers/kube-nodes.js';
import { SkipFile } from '../../src/model/source.js';
import { corpusPath, hasCorpus, projectPath } from '../helpers/shared.js';

const fx = (f: string) => readFileSync(projectPath('test/fixtures/flannel-vtep-mac', f), 'utf8');
const nodesJson = (bundle: string, root: string) => execFileSync('tar', ['-xzOf', corpusPath('bundles', bundle), `${root}/cluster-resources/nodes.json`], { encoding: 'utf8' });
const K3D = () => nodesJson('troubleshoot-k3s-support-bundle.tar.gz', 'support-bundle');
const BASELINE = () => nodesJson('troubleshoot-baseline-supportbundle-k3s-flannel.tar.gz', 'supportbundle');

describe.skipIf(!hasCorpus)('kube nodes parser on the corpus', () => {
  it("troubleshoot's nodes.json (k3d): name, InternalIP, podCIDR, kubelet version, flannel annotations with their lines", () => {
    const text = K3D();
    expect(sniffKubeNodes(text.slice(0, 4096))).toBe(true);
    const l = parseKubeNodes(text, 'cluster-resources/nodes.json');
    expect(l.format).toBe('json');
    expect(l.nodes).toHaveLength(1);
    const n = l.nodes[0];
    expect(n).toMatchObject({ name: 'k3d-mycluster-server-0', ref: { line: 12 }, internalIps: ['172.19.0.2'], podCidrs: ['10.42.0.0/24'], kubeletVersion: 'v1.24.4+k3s1' });
    expect(n.flannel.vtepMac).toEqual({ value: '72:0b:f5:d9:11:46', ref: { file: 'cluster-resources/nodes.json', line: 29 }, excerpt: '"flannel.alpha.coreos.com/backend-data": "{\\"VNI\\":1,\\"VtepMAC\\":\\"72:0b:f5:d9:11:46\\"}",' });
    expect(n.flannel.backendType).toMatchObject({ value: 'vxlan', ref: { line: 30 } });
    expect(n.flannel.publicIp).toMatchObject({ value: '172.19.0.2', ref: { line: 32 } });
    expect(n.flannel.vtepMacV6).toBeUndefined();
    // the managedFields' "f:flannel.alpha.coreos.com/backend-data" (line 113) is not the annotation
    expect(text.split('\n')[112]).toContain('f:flannel.alpha.coreos.com/backend-data');
  });

  it('the two corpus Node objects as a bare array: each annotation found between its own node and the next', () => {
    const a = JSON.parse(K3D()).items[0];
    const b = JSON.parse(BASELINE()).items[0];
    const text = JSON.stringify([b, a], null, 2);
    const l = parseKubeNodes(text, 'nodes.json');
    expect(l.nodes.map((n) => [n.name, n.flannel.vtepMac?.value, n.podCidrs.join()])).toEqual([
      ['primary-node', '3a:5a:3d:4f:cc:94', '10.42.0.0/24'],
      ['k3d-mycluster-server-0', '72:0b:f5:d9:11:46', '10.42.0.0/24'],
    ]);
    const lines = text.split('\n');
    for (const n of l.nodes) {
      expect(lines[n.flannel.vtepMac!.ref.line - 1]).toContain(n.flannel.vtepMac!.value);
      expect(n.flannel.vtepMac!.ref.line).toBeGreaterThan(n.ref.line);
    }
    expect(l.nodes[1].ref.line).toBeGreaterThan(l.nodes[0].flannel.vtepMac!.ref.line);
  });
});

describe('kube nodes parser (YAML)', () => {
  it("kubernetes#58599's kubectl get node --output yaml: the node, its VtepMAC (line 7), public-ip, podCIDR, InternalIP", () => {
    const text = fx('k8s58599-kubectl-get-node-output-yaml.txt');
    expect(sniffKubeNodes(text)).toBe(true);
    const l = parseKubeNodes(text, 'node.yaml');
    expect(l.format).toBe('yaml');
    expect(l.nodes).toHaveLength(1);
    expect(l.nodes[0]).toMatchObject({ name: 'ajaisys-scm-ai-k8s-1-7a9fd2c5.novalocal', ref: { line: 19 }, podCidrs: ['10.244.0.0/24'], internalIps: ['10.135.80.73'] });
    expect(l.nodes[0].flannel).toMatchObject({ vtepMac: { value: '12:ec:07:26:03:a3', ref: { line: 7 } }, backendType: { value: 'vxlan', ref: { line: 8 } }, publicIp: { value: '10.135.80.73', ref: { line: 10 } } });
  });

  it("flannel#1795's grep of one node's annotation: a nameless node with the published VtepMAC", () => {
    const l = parseKubeNodes(fx('issue1795/node-164/kubectl-get-node-yaml-grep-vtep.txt'), 'grep.txt');
    expect(l.nodes).toEqual([{ name: '', ref: { file: 'grep.txt', line: 1 }, internalIps: [], podCidrs: [], flannel: { vtepMac: { value: 'e6:7c:02:8e:e8:7e', ref: { file: 'grep.txt', line: 1 }, excerpt: `flannel.alpha.coreos.com/backend-data: '{"VNI":1,"VtepMAC":"e6:7c:02:8e:e8:7e"}'` } } }]);
  });

  it('not Node objects: a .link file, an ip neigh listing', () => {
    expect(() => parseKubeNodes(fx('links/etc/systemd/network/50-flannel.link'), 'x')).toThrow(SkipFile);
    expect(() => parseKubeNodes(fx('forms/node-b.ip-neigh.txt'), 'x')).toThrow(SkipFile);
    expect(sniffKubeNodes(fx('forms/node-b.ip-neigh.txt'))).toBe(false);
  });
});
