/**
 * sysctl.bridge-nf-call-disabled: on a Kubernetes node whose pods sit on a Linux bridge (the
 * bridge CNI plugin's cni0, flannel, kubenet, kube-router, Weave), bridged pod traffic must pass
 * iptables (net.bridge.bridge-nf-call-iptables = 1, br_netfilter loaded), or Service traffic
 * between pods on one bridge bypasses kube-proxy's rules: the reply from a backend on the same
 * bridge goes straight back, never un-DNATed. CNIs that route each pod's veth (Calico, Cilium)
 * send that traffic through the host's routing, and iptables, without it.
 * On a dual-stack or IPv6 node the same holds for IPv6 and ip6tables
 * (net.bridge.bridge-nf-call-ip6tables): kube-proxy's IPv6 Services are ip6tables rules.
 */
import { defineAnalyzer } from '../src/engine/analyzer.js';
import type { Evidence } from '../src/report/schema.js';
import { runtimeValue } from '../src/parsers/sysctl.js';
import { hasKubernetes } from './lib/node-view.js';
import { kubeProxyRules, podNetworking } from './lib/container-host.js';
import { logEvidence } from './lib/logs.js';
import { podIpv6Use } from './lib/ipv6-use.js';
import { configSetting, persistSysctls, type SysctlSetting } from './lib/sysctl-fix.js';

const KEY = 'net.bridge.bridge-nf-call-iptables';
const KEY6 = 'net.bridge.bridge-nf-call-ip6tables';

export default defineAnalyzer({
  id: 'sysctl.bridge-nf-call-disabled',
  title: 'Bridged traffic bypasses iptables',
  description: 'net.bridge.bridge-nf-call-iptables (on a dual-stack node also -ip6tables) is 0, or br_netfilter is not loaded, on a Kubernetes node.',
  scope: 'node',
  requires: ['sysctl'],
  optional: ['services', 'iptables', 'logs', 'ipAddr', 'nftables', 'flannelSubnetEnv', 'sysctlConfig'],
  analyze({ node, artifacts, partly }) {
    const kube = hasKubernetes(artifacts);
    if (!kube) {
      // guarded: off is the default on a host without Kubernetes (Docker needs it only for icc=false and the like);
      // a 0 is not reported, but the coverage says that it was seen and why it was not reported
      const zero = runtimeValue(artifacts.sysctl, KEY).find((v) => v.value === '0');
      if (zero)
        partly?.(
          `${KEY} = 0 (${zero.ref.file}:${zero.ref.line}), but nothing in the bundle shows a Kubernetes node (no kubelet or k3s unit, no KUBE- chain): not reported. If this is a Kubernetes node with pods on a bridge (flannel, the bridge CNI, kubenet), Services to pods on the same node fail: modprobe br_netfilter; sysctl -w ${KEY}=1, persisted in /etc/modules-load.d/ and /etc/sysctl.d/`,
        );
      return [];
    }
    const values = runtimeValue(artifacts.sysctl, KEY);
    const off = values.filter((v) => v.value === '0');
    const fullDump = artifacts.sysctl.some((s) => s.values.size > 200);
    const missing = values.length === 0 && fullDump;
    // IPv6: only where pods use it (flannel's IPv6 subnet, an IPv6 address on the pod bridge, kube-proxy IPv6 Services)
    const off6 = runtimeValue(artifacts.sysctl, KEY6).filter((v) => v.value === '0');
    const v6 = off6.length > 0 || missing ? podIpv6Use(artifacts) : [];
    const off6Used = v6.length > 0 ? off6 : [];
    if (off.length === 0 && !missing && off6Used.length === 0) return [];
    // pods on routed veths (Calico, Cilium) or on Open vSwitch ports (OVN-Kubernetes, Antrea) and no
    // Linux bridge of pods: nothing is bridged, nothing bypasses iptables
    const pods = podNetworking(artifacts);
    if (pods.bridged.length === 0 && (pods.routed.length > 0 || pods.ovs.length > 0)) return [];
    const proxy = kubeProxyRules(artifacts);
    const v4 = off.length > 0 || missing;
    const ipv6Too = v6.length > 0 && (off6Used.length > 0 || missing);
    const evidence: Evidence[] = missing
      ? [{ file: artifacts.sysctl.find((s) => s.values.size > 200)!.file, line: 0, excerpt: `no ${KEY} key: the br_netfilter module is not loaded` }]
      : [...off, ...off6Used].map((v) => ({ file: v.ref.file, line: v.ref.line, excerpt: v.excerpt }));
    evidence.push(kube, ...pods.bridged.slice(0, 2), ...(proxy ? [proxy] : []), ...(ipv6Too ? v6.slice(0, 2) : []), ...logEvidence(artifacts.logs, ['log.bridge-nf-call'], 3));
    const bridge = pods.bridged[0];
    // the bridge's name: the interface itself, or the one a rule names (`-o weave`) when the bundle has no ip addr
    const bridgeName = bridge ? (/^(\S+?): /.exec(bridge.note ?? '')?.[1] ?? bridge.excerpt) : '';
    const on = bridge ? ` with pods on a bridge (${bridgeName}, ${bridge.file}${bridge.line ? `:${bridge.line}` : ''})` : '';
    const dual = v6[0] ? ` (dual-stack: ${v6[0].note}, ${v6[0].file}${v6[0].line ? `:${v6[0].line}` : ''})` : '';
    const what = missing
      ? `br_netfilter is not loaded on ${node}, a Kubernetes node${on}${ipv6Too ? dual : ''}: traffic between pods on the same bridge skips iptables${ipv6Too ? ' and ip6tables' : ''}`
      : v4 && ipv6Too
        ? `${KEY} and ${KEY6} are 0 on ${node}, a Kubernetes node${on}${dual}: IPv4 and IPv6 traffic between pods on the same bridge skips iptables and ip6tables`
        : v4
          ? `${KEY} is 0 on ${node}, a Kubernetes node${on}: traffic between pods on the same bridge skips iptables`
          : `${KEY6} is 0 on ${node}, a Kubernetes node${on}${dual}: IPv6 traffic between pods on the same bridge skips ip6tables (IPv4 passes iptables: ${KEY} is on)`;
    const settings: SysctlSetting[] = [
      ...(v4 ? [{ key: KEY, want: '1', wrong: '0', bad: configSetting(artifacts.sysctlConfig, KEY, '0') }] : []),
      ...(ipv6Too ? [{ key: KEY6, want: '1', wrong: '0', bad: configSetting(artifacts.sysctlConfig, KEY6, '0') }] : []),
    ];
    for (const s of settings) for (const b of s.bad) evidence.push({ file: b.ref.file, line: b.ref.line, excerpt: b.excerpt, note: 'sets it to 0 again at every boot or `sysctl --system`' });
    // the drop-in holds both keys a node of this kind needs, whichever is off now: a later run for the other family rewrites it whole
    const persist = persistSysctls(settings, '/etc/sysctl.d/99-kubernetes-bridge.conf', [`${KEY} = 1`, ...(v6.length > 0 || ipv6Too ? [`${KEY6} = 1`] : [])]);
    return [
      {
        severity: 'warning',
        title: 'Bridged traffic bypasses iptables',
        message:
          `${what}, so ${proxy ? `kube-proxy's ${!v4 ? 'IPv6 ' : ''}Service translation (${proxy.excerpt})` : `${!v4 ? 'IPv6 ' : ''}Service address translation`} does not apply to it and ${!v4 ? 'IPv6 ' : ''}pod-to-Service connections on one node fail or time out.` +
          (bridge ? '' : " The bundle does not show how pods are attached (no bridge nor routed CNI interface seen): with a bridge CNI this applies; with one that routes pods' veths (Calico, Cilium) it does not."),
        impact: `${!v4 ? 'IPv6 ' : ''}Service traffic between pods on the same node breaks; network policies are not enforced on it.`,
        evidence,
        facts: { keys: settings.map((s) => s.key), brNetfilterLoaded: !missing, dualStack: v6.length > 0 },
        remedy: {
          summary: `Load br_netfilter and turn bridge netfilter on${v4 && ipv6Too ? ' for IPv4 and IPv6' : ipv6Too ? ' for IPv6 (ip6tables)' : ''}, now and at boot: ${persist.summary}.`,
          commands: ['modprobe br_netfilter', 'echo br_netfilter > /etc/modules-load.d/br_netfilter.conf', ...settings.map((s) => `sysctl -w ${s.key}=1`), ...persist.commands],
          caution: 'sysctl --system re-applies every setting of the configuration files, not only these.',
        },
      },
    ];
  },
});
