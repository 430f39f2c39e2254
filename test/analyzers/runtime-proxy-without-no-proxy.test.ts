/**
 * runtime.proxy-without-no-proxy on real text:
 * - projectcalico/calico#10352: the Events of the coredns pod (`... Get "https://172.20.0.1:443/...": Service Unavailable`);
 *   root cause (NierYYDS): containerd had an HTTP proxy without the service network in NO_PROXY
 * - vmware-tanzu/cluster-api-provider-bringyourownhost#561: containerd's http-proxy.conf, NO_PROXY `localhost, 127.0.0.0/8, ::1`
 * - rancher/rke2#4924: /etc/default/rke2-server, CONTAINERD_NO_PROXY=.my-domain (pods stuck in ContainerCreating)
 * - k3s-io/k3s#5642: /etc/systemd/system/k3s.service.env, CONTAINERD_NO_PROXY=".docker.io"
 * - kubernetes/kubernetes#48792: system.conf.d DefaultEnvironment="http_proxy=..."
 * - Canonical Kubernetes docs (documentation.ubuntu.com/canonical-kubernetes, snap/howto/proxy): a healthy NO_PROXY
 * - docs.docker.com via gist nanusdad/cb0adc76b594363184e7067aeef26787: `systemctl show --property=Environment docker`
 * - KUBE-SERVICES' default/kubernetes rule: iptables-restore + iptables-save v1.8.9 (nf_tables) in a netns on this machine
 * - flannel's subnet.env: the corpus' flannel/flannel-sample-subnet.env
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import analyzer, { analyzeRuntimeProxy, type ProxyAnalyzerArtifacts } from '../../analyzers/runtime-proxy-without-no-proxy.js';
import { parseProxyEnv } from '../../src/parsers/proxy-env.js';
import { scanLogText } from '../../src/logs/scanner.js';
import { SIGNATURES } from '../../src/logs/signatures.js';
import { PROXY_SIGNATURES } from '../../src/logs/signatures-proxy.js';
import { parseIptablesSave } from '../../src/netfilter/index.js';
import { parseSubnetEnv } from '../../src/parsers/flannel-env.js';
import { parseDockerUnit } from '../../src/parsers/dockerd-flags.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { corpusPath, hasCorpus, projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const fx = (name: string) => readFileSync(projectPath(`test/fixtures/runtime-proxy/${name}`), 'utf8');
const env = (name: string, relPath: string) => parseProxyEnv(fx(name), `node/${relPath}`, relPath);
const calicoLog = () => scanLogText(fx('calico-10352-kubectl-describe-pod-coredns.txt'), 'node/kubectl-describe-pod-coredns.txt', { catalog: SIGNATURES });
const run = (a: Partial<ProxyAnalyzerArtifacts>) => runNode(analyzer, a as NodeArtifacts);

describe('runtime.proxy-without-no-proxy', () => {
  it('calico#10352 + byoh#561: critical, the ClusterIP of the error line added to the NO_PROXY the drop-in sets', () => {
    const f = run({ proxyEnv: [env('byoh-561-containerd-http-proxy.conf', 'etc/systemd/system/containerd.service.d/http-proxy.conf')], logs: [calicoLog()] });
    expect(f).toHaveLength(1);
    expect(f[0].severity).toBe('critical');
    expect(f[0].facts).toMatchObject({ unit: 'containerd', missing: ['172.20.0.1', '.svc', '.cluster.local'] });
    // 172.20.0.1 is outside kubeadm's 10.96.0.0/12: the cluster's own range is unknown, nothing is assumed
    expect(f[0].facts?.assumed).toBeUndefined();
    expect(f[0].remedy.summary).toContain('Environment="NO_PROXY=localhost,127.0.0.0/8,::1,172.20.0.1,.svc,.cluster.local"');
    expect(f[0].remedy.commands).toEqual([
      `mkdir -p /etc/systemd/system/containerd.service.d && printf '[Service]\\n%s\\n' 'Environment="NO_PROXY=localhost,127.0.0.0/8,::1,172.20.0.1,.svc,.cluster.local" "no_proxy=localhost,127.0.0.0/8,::1,172.20.0.1,.svc,.cluster.local"' > /etc/systemd/system/containerd.service.d/zz-no-proxy.conf`,
      'systemctl daemon-reload',
      'systemctl restart containerd',
      "systemctl restart kubelet   # the kubelet's unit, where it is not kubelet.service",
    ]);
    const files = f[0].evidence.map((e) => `${e.file}:${e.line}`);
    expect(files).toContain('node/etc/systemd/system/containerd.service.d/http-proxy.conf:3');
    expect(files).toContain('node/etc/systemd/system/containerd.service.d/http-proxy.conf:4');
    expect(files).toContain('node/kubectl-describe-pod-coredns.txt:5');
  });

  it('the remedy applied (its drop-in read back beside the old one) leaves nothing to report', () => {
    const proxyEnv = [env('byoh-561-containerd-http-proxy.conf', 'etc/systemd/system/containerd.service.d/http-proxy.conf')];
    const [finding] = run({ proxyEnv, logs: [calicoLog()] });
    const written = /printf '\[Service\]\\n%s\\n' '(.*)' > (\S+)$/.exec(finding.remedy.commands[0])!;
    const dropIn = parseProxyEnv(`[Service]\n${written[1]}\n`, `node${written[2]}`, written[2].slice(1));
    expect(run({ proxyEnv: [...proxyEnv, dropIn], logs: [calicoLog()] })).toEqual([]);
  });

  it('the same drop-in without the error line: warning, the API ClusterIP from KUBE-SERVICES', () => {
    const ipt = parseIptablesSave(fx('netns-kube-services-default-kubernetes-iptables-save.txt'), 'node/iptables-save.txt');
    const f = run({ proxyEnv: [env('byoh-561-containerd-http-proxy.conf', 'etc/systemd/system/containerd.service.d/http-proxy.conf')], iptables: Array.isArray(ipt) ? ipt : [ipt] });
    expect(f).toHaveLength(1);
    expect(f[0].severity).toBe('warning');
    expect(f[0].facts?.missing).toEqual(['10.96.0.0/12', '10.96.0.1', '.svc', '.cluster.local']);
    expect(f[0].evidence.some((e) => e.file === 'node/iptables-save.txt' && e.line === 11)).toBe(true);
  });

  it('rke2#4924: CONTAINERD_NO_PROXY without the cluster ranges: warning, fixed in the environment file, range assumed and said so', () => {
    const f = run({
      proxyEnv: [env('rke2-4924-default-rke2-server', 'etc/default/rke2-server')],
      distributionHint: [{ name: 'rke2', unit: 'rke2-server', file: 'node/var/lib/rancher/rke2', why: 'RKE2 data directory' }],
    });
    expect(f).toHaveLength(1);
    expect(f[0].severity).toBe('warning');
    expect(f[0].facts).toMatchObject({ unit: 'containerd', embeddedIn: 'rke2-server', missing: ['10.43.0.0/16', '.svc', '.cluster.local'] });
    expect(String(f[0].facts?.assumed)).toContain('10.43.0.0/16');
    expect(f[0].remedy.commands[0]).toBe(
      "f=/etc/default/rke2-server; grep -q '^CONTAINERD_NO_PROXY=' \"$f\" && sed -i 's|^CONTAINERD_NO_PROXY=.*|CONTAINERD_NO_PROXY=.my-domain,10.43.0.0/16,.svc,.cluster.local|' \"$f\" || echo 'CONTAINERD_NO_PROXY=.my-domain,10.43.0.0/16,.svc,.cluster.local' >> \"$f\"   # the file that sets CONTAINERD_HTTPS_PROXY (node/etc/default/rke2-server)",
    );
    expect(f[0].remedy.commands[1]).toBe('systemctl restart rke2-server');
  });

  it.skipIf(!hasCorpus)('k3s#5642: k3s.service.env, the pod CIDR from flannel as well', () => {
    const subnet = parseSubnetEnv(readFileSync(corpusPath('flannel/flannel-sample-subnet.env'), 'utf8'), 'node/run/flannel/subnet.env');
    const f = run({
      proxyEnv: [env('k3s-5642-k3s.service.env', 'etc/systemd/system/k3s.service.env')],
      distributionHint: [{ name: 'k3s', unit: 'k3s', file: 'node/var/lib/rancher/k3s', why: 'k3s data directory' }],
      flannelSubnetEnv: [subnet],
    });
    expect(f).toHaveLength(1);
    expect(f[0].facts?.missing).toEqual(['10.43.0.0/16', '10.1.0.0/16', '.svc', '.cluster.local']);
  });

  it.skipIf(!hasCorpus)('kubernetes#48792: DefaultEnvironment http_proxy only: the HTTPS API call is not proxied, the pod CIDR is', () => {
    const subnet = parseSubnetEnv(readFileSync(corpusPath('flannel/flannel-sample-subnet.env'), 'utf8'), 'node/run/flannel/subnet.env');
    const f = run({ proxyEnv: [env('kubernetes-48792-01-proxy-environment.conf', 'etc/systemd/system.conf.d/01-proxy-environment.conf')], flannelSubnetEnv: [subnet] });
    expect(f).toHaveLength(1);
    expect(f[0].severity).toBe('warning');
    expect(f[0].facts?.missing).toEqual(['10.1.0.0/16', '.svc', '.cluster.local']);
  });

  it('healthy: the Canonical Kubernetes drop-in exempts the API ClusterIP (and lists its ranges): nothing', () => {
    const f = run({
      proxyEnv: [env('canonical-k8s-snap-containerd-http-proxy.conf', 'etc/systemd/system/snap.k8s.containerd.service.d/http-proxy.conf')],
      logs: [scanLogText('error getting ClusterInformation: Get "https://10.152.183.1:443/apis/crd.projectcalico.org/v1/clusterinformations/default": Service Unavailable', 'node/x.log', { catalog: PROXY_SIGNATURES })],
    });
    expect(f).toEqual([]);
  });

  it.skipIf(!hasCorpus)('healthy: NO_PROXY with the service and pod CIDRs', () => {
    const text = fx('byoh-561-containerd-http-proxy.conf').replace('::1"', '::1,10.96.0.0/12,10.1.0.0/16"');
    const subnet = parseSubnetEnv(readFileSync(corpusPath('flannel/flannel-sample-subnet.env'), 'utf8'), 'node/run/flannel/subnet.env');
    const ipt = parseIptablesSave(fx('netns-kube-services-default-kubernetes-iptables-save.txt'), 'node/iptables-save.txt');
    const proxyEnv = [parseProxyEnv(text, 'node/c.conf', 'etc/systemd/system/containerd.service.d/http-proxy.conf')];
    expect(run({ proxyEnv, iptables: Array.isArray(ipt) ? ipt : [ipt], flannelSubnetEnv: [subnet] })).toEqual([]);
  });

  it('quiet on a Docker host that is no Kubernetes node: dockerd\'s proxy only concerns pulls', () => {
    expect(run({ proxyEnv: [parseProxyEnv(fx('docker-docs-systemctl-show-environment-docker.txt'), 'node/systemctl-show-environment-docker.txt')] })).toEqual([]);
  });

  it('quiet without a proxy: /etc/environment that no unit reads', () => {
    const f = analyzeRuntimeProxy('n', { proxyEnv: [env('kubernetes-130029-etc-environment', 'etc/environment')], logs: [calicoLog()] });
    expect(f).toEqual([]);
  });

  it("docker.service's drop-in: quiet, even on a Kubernetes node whose NO_PROXY misses the pod range (dockerd's proxy serves registry pulls only, R7)", () => {
    const ipt = parseIptablesSave(fx('netns-kube-services-default-kubernetes-iptables-save.txt'), 'node/iptables-save.txt');
    const tight = parseDockerUnit(fx('docker-gist-multi-assignment-http-proxy.conf').replace(',10.0.0.0/8', ''), 'node/d.conf', 'etc/systemd/system/docker.service.d/http-proxy.conf');
    const subnet = { file: 'node/run/flannel/subnet.env', network: { value: '10.1.0.0/16', ref: { file: 'node/run/flannel/subnet.env', line: 1 }, excerpt: 'FLANNEL_NETWORK=10.1.0.0/16' } };
    expect(analyzeRuntimeProxy('n', { proxyEnv: [], dockerDaemon: [tight], iptables: Array.isArray(ipt) ? ipt : [ipt], flannelSubnetEnv: [subnet] })).toEqual([]);
    // the same proxy on containerd, which runs the CNI plugin: the warning
    const containerd = parseProxyEnv(fx('docker-gist-multi-assignment-http-proxy.conf').replace(',10.0.0.0/8', ''), 'node/c.conf', 'etc/systemd/system/containerd.service.d/http-proxy.conf');
    const f = analyzeRuntimeProxy('n', { proxyEnv: [containerd], iptables: Array.isArray(ipt) ? ipt : [ipt], flannelSubnetEnv: [subnet] });
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'warning', facts: { unit: 'containerd' } });
  });

  it("sos' systemctl show-environment (VAR=value lines; here kubernetes#130029's lines): the manager environment every unit gets", () => {
    const file = parseProxyEnv(fx('kubernetes-130029-etc-environment'), 'sos/sos_commands/systemd/systemctl_show-environment', 'sos_commands/systemd/systemctl_show-environment');
    expect(file.units[0]).toMatchObject({ unit: 'systemd-default', httpsProxy: { name: 'HTTPS_PROXY', value: 'http://192.168.10.10:80', ref: { line: 4 } } });
    // 172.20.0.1 (calico#10352's ClusterIP) is not in 192.168.0.0/16: critical
    const f = analyzeRuntimeProxy('n', { proxyEnv: [file], logs: [calicoLog()] });
    expect(f).toHaveLength(1);
    expect(f[0].severity).toBe('critical');
    expect(f[0].facts).toMatchObject({ unit: 'systemd-default', missing: ['172.20.0.1', '.svc', '.cluster.local'] });
  });
});
