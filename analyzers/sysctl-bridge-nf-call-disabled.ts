/**
 * sysctl.bridge-nf-call-disabled: on a Kubernetes node whose pods sit on a Linux bridge (the
 * bridge CNI plugin's cni0, flannel, kubenet, kube-router, Weave), bridged pod traffic must pass
 * iptables (net.bridge.bridge-nf-call-iptables = 1, br_netfilter loaded), or Service traffic
 * between pods on one bridge bypasses kube-proxy's rules: the reply from a backend on the same
 * bridge goes straight back, never un-DNATed. CNIs that route each pod's veth (Calico, Cilium)
 * send that traffic through the host's routing, and iptables, without it.
 * On a dual-stack or IPv6 node the same holds for IPv6 and ip6tables
 * (net.bridge.bridge-nf-call-ip6tables): kube-proxy's IPv6 Services are ip6tables rules.
 * Where nothing in the bundle shows Kubernetes, a 0 is an info finding worded for what the bundle shows
 * (kubernetes/kubernetes#38802: the value was the thread's only host output).
 */
import { defineAnalyzer, type Partly } from '../src/engine/analyzer.js';
import type { Evidence } from '../src/report/schema.js';
import { runtimeValue } from '../src/parsers/sysctl.js';
import { hasKubernetes } from './lib/node-view.js';
import { kubeProxyRules, podNetworking } from './lib/container-host.js';
import { logEvidence } from './lib/logs.js';
import { podIpv6Use } from './lib/ipv6-use.js';
import { configSetting, persistSysctls, type SysctlSetting } from './lib/sysctl-fix.js';
import type { FindingDraft } from '../src/engine/analyzer.js';
import type { NodeArtifacts } from '../src/engine/artifacts.js';
import type { SysctlRuntime } from '../src/parsers/sysctl.js';
import { interfacesOf } from '../src/parsers/interfaces.js';

const KEY = 'net.bridge.bridge-nf-call-iptables';
const KEY6 = 'net.bridge.bridge-nf-call-ip6tables';

export default defineAnalyzer({
  id: 'sysctl.bridge-nf-call-disabled',
  title: 'Bridged traffic bypasses iptables',
  description: 'net.bridge.bridge-nf-call-iptables (on a dual-stack node also -ip6tables) is 0, or br_netfilter is not loaded, on a Kubernetes node (info where the bundle shows no Kubernetes: the value 0 alone).',
  scope: 'node',
  requires: ['sysctl'],
  optional: ['services', 'iptables', 'logs', 'ipAddr', 'nftables', 'flannelSubnetEnv', 'sysctlConfig'],
  analyze({ node, artifacts, partly }) {
    const kube = hasKubernetes(artifacts);
    if (!kube) return withoutKubernetes(node, artifacts, partly);
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

/** Bridges container runtimes and bridge CNIs make: traffic between their ports is what bridge netfilter decides on. */
const CONTAINER_BRIDGE = /^(docker0|br-[0-9a-f]{12}|cni0|cbr0|kube-bridge|weave|cni-podman\d+|podman\d+)$/;

/**
 * bridge-nf-call-iptables = 0 where nothing in the bundle shows Kubernetes: an info finding, worded for what the
 * bundle does show (kubernetes/kubernetes#38802: the sysctl value was the only host output, the node a Kubernetes
 * node with a bridge CNI). Off is the default of a plain host, but its key exists only while br_netfilter is loaded,
 * and a value of 0 with the module loaded was set so: on a Kubernetes node with pods on a bridge it breaks
 * ClusterIP traffic between pods of one node. Not said where pods are shown on routed veths or Open vSwitch only.
 */
function withoutKubernetes(node: string, artifacts: NodeArtifacts & { sysctl: SysctlRuntime[] }, partly?: Partly): FindingDraft[] {
  const off = runtimeValue(artifacts.sysctl, KEY).filter((v) => v.value === '0');
  if (off.length === 0) return [];
  const pods = podNetworking(artifacts);
  if (pods.bridged.length === 0 && (pods.routed.length > 0 || pods.ovs.length > 0)) {
    partly?.(`${KEY} = 0 (${off[0].ref.file}:${off[0].ref.line}) not reported: the pods shown are on routed veths or Open vSwitch, not on a bridge`);
    return [];
  }
  const bridges = [...interfacesOf(artifacts.ipAddr ?? []).values()]
    .filter((i) => CONTAINER_BRIDGE.test(i.name))
    .map((i) => ({ file: i.ref.file, line: i.ref.line, excerpt: i.name, note: `${i.name}: a container bridge` }));
  const shown = [...pods.bridged, ...bridges.filter((b) => !pods.bridged.some((p) => p.excerpt === b.excerpt))].slice(0, 3);
  const at = (e: { file: string; line: number }) => `${e.file}${e.line ? `:${e.line}` : ''}`;
  const value = `${KEY} is 0 on ${node} (${at(off[0].ref)})`;
  // a runtime value (/proc/sys/net/bridge/..., sysctl -a) exists only while br_netfilter is loaded
  const loaded = ' The key exists only while the br_netfilter module is loaded: it was turned off, on purpose or by a configuration file.';
  const where = shown.length
    ? `${value}, and the bundle shows ${shown.length > 1 ? 'container bridges' : 'a container bridge'} (${shown.map((b) => `${b.excerpt}, ${at(b)}`).join('; ')}): traffic between the containers or pods on one bridge skips iptables. Nothing in it shows a Kubernetes node (no kubelet or k3s unit, no KUBE- chain).`
    : `${value}: traffic crossing a Linux bridge skips iptables. The bundle shows nothing else of the host: no Kubernetes (no kubelet or k3s unit, no KUBE- chain), no container bridge.`;
  const settings: SysctlSetting[] = [{ key: KEY, want: '1', wrong: '0', bad: configSetting(artifacts.sysctlConfig, KEY, '0') }];
  const evidence: Evidence[] = [...off.map((v) => ({ file: v.ref.file, line: v.ref.line, excerpt: v.excerpt })), ...shown];
  for (const b of settings[0].bad) evidence.push({ file: b.ref.file, line: b.ref.line, excerpt: b.excerpt, note: 'sets it to 0 again at every boot or `sysctl --system`' });
  const persist = persistSysctls(settings, '/etc/sysctl.d/99-kubernetes-bridge.conf', [`${KEY} = 1`]);
  return [
    {
      severity: 'info',
      title: 'Bridged traffic bypasses iptables (no Kubernetes shown)',
      message:
        `${where}${loaded} ` +
        "If this is a Kubernetes node whose pods sit on a bridge (the bridge CNI, flannel, kubenet), a pod reaching a ClusterIP whose backend is on the same node gets the reply straight from the backend's own address, not un-DNATed by kube-proxy's rules, and drops it: Services fail or time out between pods of one node (kubernetes/kubernetes#38802). " +
        'On a plain Docker host the default network needs it only for iptables rules between containers of one bridge (icc=false and the like); a host with no container bridge does not need it.',
      impact: 'On a Kubernetes node with a bridge CNI: ClusterIP traffic between pods of the same node breaks. Otherwise none.',
      evidence,
      facts: { keys: [KEY], kubernetes: false, bridges: shown.map((b) => b.excerpt) },
      remedy: {
        summary: `Only where the host runs pods (or containers that need iptables between them) on a bridge: load br_netfilter and turn bridge netfilter on, now and at boot: ${persist.summary}.`,
        commands: ['modprobe br_netfilter', 'echo br_netfilter > /etc/modules-load.d/br_netfilter.conf', `sysctl -w ${KEY}=1`, ...persist.commands],
        caution:
          "With it on, every bridged packet (virtual machines' and LXD bridges' too) passes the host's iptables FORWARD chain: under a FORWARD policy DROP such traffic needs an ACCEPT rule. sysctl --system re-applies every setting of the configuration files, not only this one.",
      },
    },
  ];
}
