/**
 * kubernetes.cluster-range-overlaps-host on real text: `ip addr` / `ip route` made in network namespaces
 * (test/fixtures/cluster-range-overlap/SOURCES.md), the IPPool list and Installation, the kube-controller-manager
 * manifest of prometheus-operator/kube-prometheus#633 and k3s-io/k3s#5457's config.yaml.
 * Firing: Calico's 192.168.0.0/16 on a 192.168.1.10/24 host (projectcalico/calico#1401, calicoctl#1586); a VPN
 * route 10.42.64.0/18 inside k3s' 10.42.0.0/16 (k3s-io/k3s#3451). Quiet: flannel host-gw + IPVS with disjoint
 * ranges, a disabled pool, kind-style processes without a host pod network.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import analyzer from '../../analyzers/kubernetes-cluster-range-overlaps-host.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseRoutes } from '../../src/parsers/ip-route.js';
import { parseResolvConf } from '../../src/parsers/resolv-conf.js';
import { parseCalicoIpPools, parseK3sConfig, parseStaticPodManifest, type KubeClusterRanges } from '../../src/parsers/kube-cluster-config.js';
import { runNode } from './helpers.js';

const fx = (n: string) => readFileSync(new URL(`../fixtures/cluster-range-overlap/${n}`, import.meta.url), 'utf8');
const host = (name: string) => ({ ipAddr: [parseInterfaces(fx(`${name}-ip-addr.txt`), `${name}/ip_addr`)], routes: [parseRoutes(fx(`${name}-ip-route.txt`), `${name}/ip_route`)] });
const run = (a: NodeArtifacts & { kubeClusterRanges?: KubeClusterRanges[] }) => runNode(analyzer, a as NodeArtifacts);

describe('kubernetes.cluster-range-overlaps-host', () => {
  it("fires critical: Calico's default pool 192.168.0.0/16 holds the host's 192.168.1.10/24", () => {
    const f = run({ ...host('calico-lan'), kubeClusterRanges: [parseCalicoIpPools(fx('ippools.yaml'), 'ippools.yaml')] });
    expect(f).toHaveLength(1);
    expect(f[0].severity).toBe('critical');
    expect(f[0].message).toContain('192.168.0.0/16');
    const files = f[0].evidence.map((e) => `${e.file}:${e.line}`);
    // the eth0 address line, the pool's cidr line, the host's connected route
    expect(files).toContain('calico-lan/ip_addr:5');
    expect(files).toContain('ippools.yaml:19');
    expect(f[0].evidence.some((e) => e.excerpt.startsWith('192.168.1.0/24 dev eth0'))).toBe(true);
    // Calico's own routes (tunl0, blackhole proto bird, cali veth) are not reported as host routes
    expect(f.some((x) => x.severity === 'warning')).toBe(false);
    // the fix is Calico's pool migration to a free range, not 192.168.x
    const cmds = f[0].remedy.commands.join('\n');
    expect(cmds).toContain("calicoctl patch ippool default-ipv4-ippool -p '{\"spec\": {\"disabled\": true}}'");
    expect(cmds).toMatch(/cidr: 10\.244\.0\.0\/16/);
  });

  it('fires warning: a VPN route 10.42.64.0/18 via tun0 inside k3s cluster-cidr 10.42.0.0/16; flannel.1 / cni0 routes quiet', () => {
    const k3s: KubeClusterRanges = parseK3sConfig('cluster-cidr: 10.42.0.0/16\nservice-cidr: 10.43.0.0/16\n', 'etc/rancher/k3s/config.yaml');
    const f = run({ ...host('k3s-vpn'), kubeClusterRanges: [k3s] });
    expect(f.map((x) => x.severity)).toEqual(['warning']);
    expect(f[0].evidence[0].excerpt).toMatch(/^10\.42\.64\.0\/18 via 10\.8\.0\.1 dev tun0/);
    expect(f[0].evidence.some((e) => e.file === 'etc/rancher/k3s/config.yaml' && e.line === 1)).toBe(true);
    expect(JSON.stringify(f[0].facts)).not.toContain('flannel.1');
  });

  it("warns on the host's nameserver inside a pod range when no address is", () => {
    const resolv = parseResolvConf('nameserver 192.168.176.1\nsearch lan\n', 'etc/resolv.conf', 'etc/resolv.conf');
    const f = run({ ...host('k3s-vpn'), resolvConf: [resolv], kubeClusterRanges: [parseK3sConfig(fx('k3s-config.yaml'), 'etc/rancher/k3s/config.yaml')] });
    expect(f.map((x) => x.severity)).toEqual(['warning']);
    expect(f[0].evidence[0]).toMatchObject({ file: 'etc/resolv.conf', line: 1 });
  });

  it('quiet: kubeadm 10.244.0.0/16 + 10.96.0.0/12 with flannel host-gw routes and kube-ipvs0 on a 192.168.1.0/24 host', () => {
    const f = run({ ...host('healthy-ipvs'), resolvConf: [parseResolvConf('nameserver 10.96.0.10\nnameserver 192.168.1.1\n', 'etc/resolv.conf', 'etc/resolv.conf')], kubeClusterRanges: [parseStaticPodManifest(fx('kube-controller-manager.yaml'), 'kube-controller-manager.yaml')] });
    expect(f).toEqual([]);
  });

  it('quiet: the same 192.168.0.0/16 pool once disabled (the migration done)', () => {
    const disabled = fx('ippools.yaml').replace('    natOutgoing: true', '    natOutgoing: true\n    disabled: true');
    expect(run({ ...host('calico-lan'), kubeClusterRanges: [parseCalicoIpPools(disabled, 'ippools.yaml')] })).toEqual([]);
  });

  it('quiet: the Calico pool against a host whose networks are disjoint (k3s-vpn host)', () => {
    expect(run({ ...host('k3s-vpn'), kubeClusterRanges: [parseCalicoIpPools(fx('calico-installation.yaml'), 'installation.yaml')] })).toEqual([]);
  });
});
