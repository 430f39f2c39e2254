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
import { liveTables } from './lib/node-view.js';

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
  // virtual machines' bridges (Proxmox's vmbr0, libvirt's virbr0) under a FORWARD policy DROP: the 0 is the usual workaround
  const vm = vmBridgeHazard(artifacts);
  for (const b of vm?.bridges ?? []) evidence.push(b.evidence);
  if (vm?.policy) evidence.push(vm.policy);
  const names = vm?.bridges.map((b) => b.name) ?? [];
  const userAccepts = names.map((n) => `iptables -C DOCKER-USER -i ${n} -o ${n} -j ACCEPT 2>/dev/null || iptables -I DOCKER-USER -i ${n} -o ${n} -j ACCEPT   # first: ${n}'s bridged traffic past the FORWARD policy DROP once bridge netfilter is on`);
  const vmText = vm
    ? ` ${names.join(', ')} ${names.length > 1 ? 'are bridges' : 'is a bridge'} of virtual machines or guests (${vm.bridges.map((b) => `${b.ports.join(', ')}: ${at(b.evidence)}`).join('; ')}), and ${
        vm.policy ? `iptables' FORWARD policy is DROP (${at(vm.policy)}; Docker sets it)` : "the bundle shows no iptables rules: Docker sets iptables' FORWARD policy to DROP"
      }: with bridge netfilter on, the guests' bridged traffic passes that FORWARD chain and ${vm.policy ? 'is' : 'would be'} dropped, unless DOCKER-USER accepts it. On Proxmox and libvirt hosts that also run Docker, a 0 here is the usual workaround: leave it unless containers or pods need iptables between them on one bridge, and then accept the guests' bridge in DOCKER-USER first.`
    : '';
  return [
    {
      severity: 'info',
      title: 'Bridged traffic bypasses iptables (no Kubernetes shown)',
      message:
        `${where}${loaded} ` +
        "If this is a Kubernetes node whose pods sit on a bridge (the bridge CNI, flannel, kubenet), a pod reaching a ClusterIP whose backend is on the same node gets the reply straight from the backend's own address, not un-DNATed by kube-proxy's rules, and drops it: Services fail or time out between pods of one node (kubernetes/kubernetes#38802). " +
        'On a plain Docker host the default network needs it only for iptables rules between containers of one bridge (icc=false and the like); a host with no container bridge does not need it.' +
        vmText,
      impact: 'On a Kubernetes node with a bridge CNI: ClusterIP traffic between pods of the same node breaks. Otherwise none.',
      evidence,
      facts: { keys: [KEY], kubernetes: false, bridges: shown.map((b) => b.excerpt), ...(vm ? { vmBridges: names, forwardPolicyDrop: vm.policy ? true : undefined } : {}) },
      remedy: vm
        ? {
            summary: `Leave it at 0 while the guests of ${names.join(', ')} need it and nothing on the host needs iptables between the ports of one bridge. Where pods or containers do: first accept ${names.join(', ')}'s bridged traffic in DOCKER-USER (Docker's documented place for rules of its own FORWARD chain), then load br_netfilter and turn bridge netfilter on, now and at boot: ${persist.summary}.`,
            commands: [...userAccepts, 'modprobe br_netfilter', 'echo br_netfilter > /etc/modules-load.d/br_netfilter.conf', `sysctl -w ${KEY}=1`, ...persist.commands],
            caution: `Run the DOCKER-USER commands before the sysctl ones: in the other order the guests lose their network until the rule is in. A rule added by hand to DOCKER-USER is gone after a reboot: keep it in a unit that runs after docker.service (or in the host firewall's configuration) before bridge netfilter comes on at boot. sysctl --system re-applies every setting of the configuration files, not only this one.`,
          }
        : {
            summary: `Only where the host runs pods (or containers that need iptables between them) on a bridge: load br_netfilter and turn bridge netfilter on, now and at boot: ${persist.summary}.`,
            commands: ['modprobe br_netfilter', 'echo br_netfilter > /etc/modules-load.d/br_netfilter.conf', `sysctl -w ${KEY}=1`, ...persist.commands],
            caution:
              "With it on, every bridged packet (virtual machines' and LXD bridges' too) passes the host's iptables FORWARD chain: under a FORWARD policy DROP such traffic needs an ACCEPT rule. sysctl --system re-applies every setting of the configuration files, not only this one.",
          },
    },
  ];
}

/** Ports of virtual machines and system containers: Proxmox's QEMU taps, LXC veths and firewall links, libvirt's vnet, macvtap. */
const GUEST_PORT = /^(tap\d+i\d+|veth\d+i\d+|fwpr\d+p\d+|fwln\d+i\d+|vnet\d+|macvtap\d+)$/;

/**
 * Bridges of virtual machines or guests (a Proxmox vmbr0 with tap100i0 / veth101i0 ports, libvirt's virbr0 with
 * vnet0) on a host where iptables' FORWARD policy is DROP (Docker's), or where no iptables rules are shown but Docker
 * is: with bridge-nf-call-iptables = 1 their bridged frames pass FORWARD (as -i vmbr0 -o vmbr0) and that policy drops
 * them, so 0 is the usual workaround (Docker's documentation, "Docker on a router": accept them in DOCKER-USER).
 * A bridge that DOCKER-USER or FORWARD accepts already (ahead of Docker's chains) is left out.
 */
function vmBridgeHazard(artifacts: NodeArtifacts): { bridges: { name: string; ports: string[]; evidence: Evidence }[]; policy?: Evidence } | undefined {
  const itfs = [...interfacesOf(artifacts.ipAddr ?? []).values()];
  const byBridge = new Map<string, typeof itfs>();
  for (const i of itfs)
    if (i.master && GUEST_PORT.test(i.name) && !CONTAINER_BRIDGE.test(i.master)) byBridge.set(i.master, [...(byBridge.get(i.master) ?? []), i]);
  if (byBridge.size === 0) return undefined;
  const filter = liveTables(artifacts).get('filter');
  const forward = filter?.get('FORWARD');
  let policy: Evidence | undefined;
  if (forward) {
    if (forward.policy !== 'DROP') return undefined;
    policy = { file: forward.ref.file, line: forward.ref.line, excerpt: `:FORWARD DROP`, note: "iptables' FORWARD policy: DROP" };
  } else if (filter || !itfs.some((i) => i.name === 'docker0')) return undefined;
  // an accept for the bridge's own traffic in DOCKER-USER, or in FORWARD itself
  const accepted = (name: string) =>
    ['DOCKER-USER', 'FORWARD'].some((c) =>
      (filter?.get(c)?.rules ?? []).some(
        (r) => r.target === 'ACCEPT' && r.inInterface?.value === name && !r.inInterface.negated && (!r.outInterface || (r.outInterface.value === name && !r.outInterface.negated)) && !r.source && !r.destination && !r.protocol && r.matches.length === 0,
      ),
    );
  const bridges = [...byBridge.entries()]
    .filter(([name]) => !accepted(name))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, ports]) => ({
      name,
      ports: ports.map((p) => p.name),
      evidence: { file: ports[0].ref.file, line: ports[0].ref.line, excerpt: ports[0].name, note: `${ports[0].name}: a guest's port on ${name}${ports.length > 1 ? ` (${ports.length - 1} more: ${ports.slice(1, 4).map((p) => p.name).join(', ')})` : ''}` },
    }));
  return bridges.length ? { bridges, ...(policy ? { policy } : {}) } : undefined;
}
