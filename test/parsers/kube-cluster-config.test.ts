/**
 * The cluster-range readers on real text (sources in test/fixtures/cluster-range-overlap/SOURCES.md):
 * kube-controller-manager manifest (prometheus-operator/kube-prometheus#633), k3s config.yaml (k3s-io/k3s#5457),
 * `kubectl get ippools -o yaml` and the Tigera Installation; troubleshoot's kube-system ConfigMapList from the
 * corpus (a k3s bundle: no kubeadm-config, so no ranges).
 */
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseCalicoIpPools, parseK3sConfig, parseKubeadmConfig, parseStaticPodManifest, sniffCalicoIpPools, sniffStaticPodManifest } from '../../src/parsers/kube-cluster-config.js';
import { corpusPath, hasCorpus } from '../helpers/shared.js';

const fx = (n: string) => readFileSync(new URL(`../fixtures/cluster-range-overlap/${n}`, import.meta.url), 'utf8');

describe('kube-cluster-config readers', () => {
  it('reads --cluster-cidr and --service-cluster-ip-range from the controller-manager manifest, with lines', () => {
    const text = fx('kube-controller-manager.yaml');
    expect(sniffStaticPodManifest(text)).toBe(true);
    const r = parseStaticPodManifest(text, 'etc/kubernetes/manifests/kube-controller-manager.yaml');
    expect(r.podRanges.map((x) => [x.cidr, x.ref.line, x.source])).toEqual([['10.244.0.0/16', 20, 'kube-controller-manager']]);
    expect(r.serviceRanges.map((x) => [x.cidr, x.ref.line])).toEqual([['10.96.0.0/12', 30]]);
    expect(r.podRanges[0].excerpt).toBe('- --cluster-cidr=10.244.0.0/16');
  });

  it('reads k3s config.yaml cluster-cidr', () => {
    const r = parseK3sConfig(fx('k3s-config.yaml'), 'etc/rancher/k3s/config.yaml');
    expect(r.podRanges.map((x) => [x.cidr, x.ref.line, x.source])).toEqual([['192.168.176.0/20', 1, 'k3s config']]);
    expect(r.serviceRanges).toEqual([]);
  });

  it('reads an IPPool list with its settings, ignoring the trailing comments', () => {
    const text = fx('ippools.yaml');
    expect(sniffCalicoIpPools(text)).toBe(true);
    const r = parseCalicoIpPools(text, 'ippools.yaml');
    expect(r.podRanges).toHaveLength(1);
    expect(r.podRanges[0]).toMatchObject({ cidr: '192.168.0.0/16', source: 'Calico IPPool', ref: { line: 19 }, pool: { name: 'default-ipv4-ippool', ipipMode: 'Never', vxlanMode: 'CrossSubnet', natOutgoing: 'true' } });
  });

  it("reads the Tigera Installation's ipPools and not the APIServer after it", () => {
    const r = parseCalicoIpPools(fx('calico-installation.yaml'), 'installations.operator.tigera.io.yaml');
    expect(r.podRanges.map((x) => [x.cidr, x.ref.line, x.source, x.pool?.name, x.pool?.vxlanMode])).toEqual([['192.168.0.0/16', 10, 'Calico Installation', 'default-ipv4-ippool', 'VXLANCrossSubnet']]);
  });

  it('a disabled pool is marked so (JSON, as kubectl prints it)', () => {
    const json = JSON.stringify({ apiVersion: 'crd.projectcalico.org/v1', kind: 'IPPool', metadata: { name: 'old' }, spec: { cidr: '192.168.0.0/16', disabled: true, ipipMode: 'Always' } }, null, 2);
    const r = parseCalicoIpPools(json, 'pool.json');
    expect(r.podRanges[0]).toMatchObject({ cidr: '192.168.0.0/16', pool: { name: 'old', disabled: true, ipipMode: 'Always' } });
  });

  it('reads kubeadm ClusterConfiguration networking in YAML', () => {
    // the keys kubeadm's ClusterConfiguration uses (networking.podSubnet / serviceSubnet); a minimal document written here, not a copy
    const text = ['apiVersion: kubeadm.k8s.io/v1beta3', 'kind: ClusterConfiguration', 'networking:', '  dnsDomain: cluster.local', '  podSubnet: 192.168.0.0/16', '  serviceSubnet: 10.96.0.0/12'].join('\n');
    const r = parseKubeadmConfig(text, 'etc/kubernetes/kubeadm-config.yaml');
    expect(r.podRanges.map((x) => [x.cidr, x.ref.line])).toEqual([['192.168.0.0/16', 5]]);
    expect(r.serviceRanges.map((x) => [x.cidr, x.ref.line])).toEqual([['10.96.0.0/12', 6]]);
  });

  describe.skipIf(!hasCorpus)('corpus', () => {
    it("troubleshoot's kube-system ConfigMapList of a k3s cluster holds no kubeadm ranges", () => {
      const text = execFileSync('tar', ['xzOf', corpusPath('bundles/troubleshoot-baseline-supportbundle-k3s-flannel.tar.gz'), 'supportbundle/cluster-resources/configmaps/kube-system.json'], { encoding: 'utf8', maxBuffer: 64 << 20 });
      const r = parseKubeadmConfig(text, 'cluster-resources/configmaps/kube-system.json');
      expect(r.format).toBe('configmaps-json');
      expect(r.podRanges).toEqual([]);
      expect(r.serviceRanges).toEqual([]);
    });
  });
});
