/**
 * kubernetes.hairpin-disabled (analyzers/kubernetes-hairpin-disabled.ts), on inputs the parsers make of real text:
 *
 * - test/fixtures/hairpin (README.md there): a node namespace with the bridge cni0 and two pod namespaces, a
 *   kube-proxy Service 10.96.100.10:80 whose endpoint is pod 10.244.2.23; from that pod, `curl` to the Service
 *   gave up after 134 s with hairpin off (the fixture) and got 200 with hairpin on, while the other pod got 200
 *   either way. The remedy's commands (`bridge link set dev X hairpin on`, `echo 1 > .../brport/hairpin_mode`, the
 *   brif loop) were each run there and made the pod's own Service answer.
 * - https://github.com/cloudnativelabs/kube-router/issues/637 (the reviewer's case 05, /tmp/rv5/cases, verbatim):
 *   `curl: (7) Failed to connect to 10.42.13.240 port 80: Connection timed out` from the Service's only pod, and
 *   kube-router's `KUBE-ROUTER-HAIRPIN` SNAT rule; fixed by `"hairpinMode":true` in the CNI conf
 *   (kube-router's generic-kuberouter.yaml conf had none: test/fixtures/hairpin/kube-router-10-kuberouter.conf).
 * - k3s' and kube-flannel's 10-flannel.conflist (hairpinMode true in flannel's delegate): healthy.
 * - kubelet wiring docker0 itself (no network plugin): its ps line from the Kubernetes docs' "Debug Services" page
 *   (`--hairpin-mode=promiscuous-bridge`, which kubelet turns into hairpin-veth off kubenet, kubernetes#23322, whose
 *   reporter found `hairpin_mode` 0 on docker0's veths all the same).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import analyzer, { analyzeHairpin, type HairpinArtifacts } from '../../analyzers/kubernetes-hairpin-disabled.js';
import { scanLogText } from '../../src/logs/index.js';
import { parseIptablesList } from '../../src/netfilter/list-format.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { parseBridgeLink } from '../../src/parsers/bridge-link.js';
import { parseCniConf } from '../../src/parsers/cni-conf.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseKubeletFlagsHairpin } from '../../src/parsers/kubelet-hairpin.js';
import { parseSysctlText } from '../../src/parsers/sysctl.js';
import { parsePsDockerd } from '../../src/parsers/dockerd-flags.js';
import { projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const fx = (name: string) => readFileSync(projectPath('test', 'fixtures', 'hairpin', name), 'utf8');
const CASE05 = `# curl 10.244.2.23/index.php
37

# curl 10.42.13.240/index.php
curl: (7) Failed to connect to 10.42.13.240 port 80: Connection timed out
`;
const CASE05_NAT = `Chain KUBE-ROUTER-HAIRPIN (1 references)
    pkts      bytes target     prot opt in     out     source               destination         
       0        0 SNAT       all  --  *      *       10.244.2.23          10.244.2.23          vaddr 10.42.13.240 vport 80 to:10.42.13.240
`;

function node(extra: Partial<HairpinArtifacts> = {}): HairpinArtifacts {
  return {
    ipAddr: [parseInterfaces(fx('ip-addr-node.txt'), 'ip_addr')],
    iptables: [parseIptablesSave(fx('iptables-save-nat-kube-proxy.txt'), 'iptables-save', { origin: 'live' })],
    ...extra,
  };
}

const bridgeOff = () => [parseBridgeLink(fx('bridge-d-link-hairpin-off.txt'), 'sos_commands/networking/bridge_-s_-s_-d_link_show')];
const podCurl = () => [scanLogText(fx('curl-pod-to-own-service.txt'), 'curl.txt')];

describe('kubernetes.hairpin-disabled: the namespace node (kube-proxy Service -> pod on cni0)', () => {
  it("critical: the pod's own Service timed out, its endpoint is on cni0, whose ports have hairpin off", () => {
    const f = analyzeHairpin('node-1', node({ bridgeLinks: bridgeOff(), logs: podCurl() }));
    expect(f).toHaveLength(1);
    expect(f[0].severity).toBe('critical');
    expect(f[0].facts).toMatchObject({ bridge: 'cni0', service: '10.96.100.10', port: '80', endpoint: '10.244.2.23', portsHairpinOff: ['veth5c7a1e01', 'veth5c7a1e02'] });
    const ev = f[0].evidence.map((e) => `${e.file}:${e.line}`);
    expect(ev).toContain('curl.txt:2');
    expect(f[0].evidence.find((e) => e.excerpt.includes('--to-destination 10.244.2.23:80'))).toBeDefined();
    expect(f[0].evidence.find((e) => e.excerpt.includes('-d 10.96.100.10/32'))).toBeDefined();
    expect(ev).toContain('ip_addr:9'); // inet 10.244.2.1/24 scope global cni0
    expect(ev).toContain('sos_commands/networking/bridge_-s_-s_-d_link_show:2');
    expect(ev).toContain('sos_commands/networking/bridge_-s_-s_-d_link_show:4');
    expect(f[0].remedy.commands[0]).toMatch(/^bridge link set dev veth5c7a1e01 hairpin on /);
    expect(f[0].remedy.commands[1]).toMatch(/^bridge link set dev veth5c7a1e02 hairpin on /);
  });

  it('the same with hairpin on (sos\' bridge -s -s -d link show after the fix): quiet, logs and all', () => {
    const on = [parseBridgeLink(fx('bridge-s-s-d-link-hairpin-on.txt'), 'bridge_-s_-s_-d_link_show')];
    expect(analyzeHairpin('node-1', node({ bridgeLinks: on, logs: podCurl() }))).toEqual([]);
    expect(analyzeHairpin('node-1', node({ bridgeLinks: [parseBridgeLink(fx('grep-brport-hairpin-mode-on.txt'), 'hairpin.txt')] }))).toEqual([]);
  });

  it('warning: hairpin off and no failure in the logs; a hairpin_mode listing (masters from ip addr) does as well', () => {
    for (const l of [bridgeOff(), [parseBridgeLink(fx('grep-brport-hairpin-mode-off.txt'), 'hairpin.txt')], [parseBridgeLink(fx('brif-loop-hairpin-off.txt'), 'brif.txt')], [parseBridgeLink(fx('ip-d-link-hairpin-off.txt'), 'ip_-s_-d_link')]]) {
      const f = analyzeHairpin('node-1', node({ bridgeLinks: l }));
      expect(f.map((x) => [x.severity, x.facts?.bridge])).toEqual([['warning', 'cni0']]);
      expect(f[0].evidence.filter((e) => /hairpin off/.test(e.note ?? '')).length).toBe(2);
    }
  });

  it('quiet where bridged frames skip iptables (net.bridge.bridge-nf-call-iptables = 0: the namespace run succeeded with hairpin off)', () => {
    const sysctl = [parseSysctlText('net.bridge.bridge-nf-call-arptables = 1\nnet.bridge.bridge-nf-call-ip6tables = 1\nnet.bridge.bridge-nf-call-iptables = 0\n', 'sysctl_-a')];
    expect(analyzeHairpin('node-1', node({ bridgeLinks: bridgeOff(), logs: podCurl(), sysctl }))).toEqual([]);
  });

  it('quiet on a promiscuous bridge (ip -d link / ip -s -d link: PROMISC on cni0)', () => {
    for (const f of ['ip-d-link-promisc-bridge.txt', 'ip-s-d-link-promisc-bridge.txt'])
      expect(analyzeHairpin('node-1', node({ bridgeLinks: [parseBridgeLink(fx(f), f)] }))).toEqual([]);
  });

  it('quiet without a sign of Kubernetes (no KUBE- chain, no kubelet, no CNI conf): a bridge with veths is not a pod bridge by itself', () => {
    expect(analyzeHairpin('node-1', { ipAddr: [parseInterfaces(fx('ip-addr-node.txt'), 'ip_addr')], bridgeLinks: bridgeOff() })).toEqual([]);
  });

  it("quiet on a plain Docker host's docker0 with hairpin off, and with a kubelet that uses CNI", () => {
    const docker0 = [parseBridgeLink(fx('bridge-d-link-docker0-plain-host.txt'), 'bridge.txt')];
    expect(analyzeHairpin('node-1', { bridgeLinks: docker0 })).toEqual([]);
    const kubelet = [parseKubeletFlagsHairpin('KUBELET_KUBEADM_ARGS="--network-plugin=cni --pod-infra-container-image=k8s.gcr.io/pause:3.1"\n', 'kubeadm-flags.env')];
    expect(analyzeHairpin('node-1', { bridgeLinks: docker0, kubeletHairpin: kubelet, iptables: node().iptables })).toEqual([]);
  });

  it('through the analyzer contract (runNode), as the engine will call it', () => {
    const f = runNode(analyzer, node({ bridgeLinks: bridgeOff(), logs: podCurl() }) as never);
    expect(f.map((x) => x.severity)).toEqual(['critical']);
  });
});

describe('kubernetes.hairpin-disabled: CNI confs', () => {
  it("warning: kube-router's 10-kuberouter.conf without hairpinMode on a Kubernetes node, its type line cited", () => {
    const conf = [parseCniConf(fx('kube-router-10-kuberouter.conf'), 'etc/cni/net.d/10-kuberouter.conf')];
    const f = analyzeHairpin('node-1', { cniConf: conf, iptables: node().iptables });
    expect(f.map((x) => [x.severity, x.facts?.bridge, x.facts?.wiredBy])).toEqual([['warning', 'kube-bridge', 'cni']]);
    expect(f[0].evidence[0]).toMatchObject({ file: 'etc/cni/net.d/10-kuberouter.conf', line: 3, excerpt: '"type":"bridge",' });
    expect(f[0].evidence[0].note).toMatch(/default is false/);
    expect(f[0].remedy.summary).toMatch(/"hairpinMode": true in the bridge plugin of etc\/cni\/net\.d\/10-kuberouter\.conf/);
    expect(f[0].remedy.commands[0]).toMatch(/^for p in \/sys\/class\/net\/kube-bridge\/brif\/\*; do echo 1 > "\$p\/hairpin_mode"; done/);
  });

  it("quiet: k3s' and kube-flannel's 10-flannel.conflist (hairpinMode true in flannel's delegate)", () => {
    const k3s = [parseCniConf(fx('k3s-10-flannel.conflist'), 'var/lib/rancher/k3s/agent/etc/cni/net.d/10-flannel.conflist')];
    const flannel = [parseCniConf(fx('kube-flannel-10-flannel.conflist'), 'etc/cni/net.d/10-flannel.conflist')];
    for (const c of [k3s, flannel]) {
      expect(analyzeHairpin('node-1', node({ cniConf: c }))).toEqual([]);
      expect(analyzeHairpin('node-1', node({ cniConf: c, logs: podCurl() }))).toEqual([]);
    }
  });

  it("ports with hairpin off under a conf that sets it (pods older than the conf): warning, the remedy says recreate them, not edit the conf", () => {
    const flannel = [parseCniConf(fx('kube-flannel-10-flannel.conflist'), 'etc/cni/net.d/10-flannel.conflist')];
    const f = analyzeHairpin('node-1', node({ cniConf: flannel, bridgeLinks: bridgeOff() }));
    expect(f.map((x) => [x.severity, x.facts?.bridge])).toEqual([['warning', 'cni0']]);
    expect(f[0].evidence.find((e) => e.file === 'etc/cni/net.d/10-flannel.conflist')).toMatchObject({ line: 8, excerpt: '"hairpinMode": true,' });
    expect(f[0].remedy.summary).toMatch(/already sets "hairpinMode": true: the ports listed belong to pods created before it did/);
  });

  it('live ports decide over the conf: the conf leaves hairpin unset but every port has it on: quiet', () => {
    const conf = [parseCniConf(fx('kube-router-10-kuberouter.conf'), 'etc/cni/net.d/10-kuberouter.conf')];
    const on = [parseBridgeLink(fx('bridge-s-s-d-link-hairpin-on.txt').replace(/master cni0/g, 'master kube-bridge'), 'bridge.txt')];
    expect(analyzeHairpin('node-1', { cniConf: conf, bridgeLinks: on, iptables: node().iptables })).toEqual([]);
  });
});

describe('kubernetes.hairpin-disabled: the reviewer\'s case 05 (cloudnativelabs/kube-router#637)', () => {
  const nat = () => [parseIptablesList(CASE05_NAT, 'iptables-t-nat-nvL.txt', { table: 'nat' })];
  const curl = () => [scanLogText(CASE05, 'curl.txt')];

  it('the curl line and the hairpin rule alone: a warning that names hairpin as the likely cause', () => {
    const f = analyzeHairpin('clr-05', { iptables: nat(), logs: curl() });
    expect(f.map((x) => x.severity)).toEqual(['warning']);
    expect(f[0].facts).toMatchObject({ service: '10.42.13.240', port: '80', endpoint: '10.244.2.23' });
    expect(f[0].evidence.map((e) => `${e.file}:${e.line}`)).toEqual(['curl.txt:5', 'iptables-t-nat-nvL.txt:3']);
    expect(f[0].message).toMatch(/not proven/);
  });

  it("the same listing read without its table (the parser's default): still found by the chain's name", () => {
    const f = analyzeHairpin('clr-05', { iptables: [parseIptablesList(CASE05_NAT, 'iptables.txt')], logs: curl() });
    expect(f.map((x) => x.severity)).toEqual(['warning']);
  });

  it("with kube-router's conf of that time (no hairpinMode): critical", () => {
    const conf = [parseCniConf(fx('kube-router-10-kuberouter.conf'), 'etc/cni/net.d/10-kuberouter.conf')];
    const f = analyzeHairpin('clr-05', { iptables: nat(), logs: curl(), cniConf: conf });
    expect(f.map((x) => [x.severity, x.facts?.bridge, x.facts?.endpoint])).toEqual([['critical', 'kube-bridge', '10.244.2.23']]);
    expect(f[0].evidence.map((e) => `${e.file}:${e.line}`)).toEqual(['curl.txt:5', 'iptables-t-nat-nvL.txt:3', 'etc/cni/net.d/10-kuberouter.conf:3']);
  });

  it('with the conf fixed (hairpinMode true, as kube-router#637 was closed): no hairpin finding', () => {
    const fixed = fx('kube-router-10-kuberouter.conf').replace('"isDefaultGateway":true,', '"isDefaultGateway":true,\n  "hairpinMode":true,');
    const conf = [parseCniConf(fixed, 'etc/cni/net.d/10-kuberouter.conf')];
    expect(analyzeHairpin('clr-05', { iptables: nat(), logs: curl(), cniConf: conf })).toEqual([]);
  });

  it('a timeout to an address that is no Service of the node: nothing', () => {
    expect(analyzeHairpin('clr-05', { iptables: nat(), logs: [scanLogText('curl: (7) Failed to connect to 10.42.99.1 port 80: Connection timed out\n', 'c.txt')] })).toEqual([]);
  });
});

describe('kubernetes.hairpin-disabled: docker0 wired by kubelet (dockershim without a network plugin)', () => {
  const PS = [
    'USER       PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND',
    'root      3392  1.1  0.8 186804 65208 ?        Sl   00:51  11:11 /usr/local/bin/kubelet --enable-debugging-handlers=true --config=/etc/kubernetes/manifests --allow-privileged=True --v=4 --cluster-dns=10.0.0.10 --cluster-domain=cluster.local --configure-cbr0=true --cgroup-root=/ --system-cgroups=/system --hairpin-mode=promiscuous-bridge --runtime-cgroups=/docker-daemon --kubelet-cgroups=/kubelet --babysit-daemons=true --max-pods=110 --serialize-image-pulls=false --outofdisk-transition-frequency=0',
  ].join('\n');
  const docker0 = () => [parseBridgeLink(fx('bridge-d-link-docker0-plain-host.txt'), 'bridge.txt')];

  it("warning: kubelet's docker0 ports with hairpin off (kubernetes#23322's state); the kubelet fix in the remedy", () => {
    const f = analyzeHairpin('node-1', { bridgeLinks: docker0(), dockerDaemon: [parsePsDockerd(PS, 'ps_auxww')] });
    expect(f.map((x) => [x.severity, x.facts?.bridge, x.facts?.wiredBy])).toEqual([['warning', 'docker0', 'kubelet']]);
    expect(f[0].remedy.summary).toMatch(/--hairpin-mode=hairpin-veth/);
    expect(f[0].remedy.commands[0]).toMatch(/^bridge link set dev veth3f9a2c1 hairpin on/);
  });

  it('the same ports with hairpin on: quiet', () => {
    const on = [parseBridgeLink(fx('bridge-d-link-docker0-plain-host.txt').replace('hairpin off', 'hairpin on'), 'bridge.txt')];
    expect(analyzeHairpin('node-1', { bridgeLinks: on, dockerDaemon: [parsePsDockerd(PS, 'ps_auxww')] })).toEqual([]);
  });
});
