/**
 * flannel.subnet-mismatch: flannel.1 and cni0 must sit inside the node's FLANNEL_SUBNET, and that
 * inside FLANNEL_NETWORK. Two causes, two findings under the one id:
 * - FLANNEL_SUBNET outside FLANNEL_NETWORK is a configuration error: the node's podCIDR (from the
 *   cluster's pod CIDR, kubeadm --pod-network-cidr / kube-controller-manager --cluster-cidr) and the
 *   Network of flannel's net-conf.json disagree (flannel#1983: 10.224.0.0/16 typed for 10.244.0.0/16;
 *   flannel#1428: 100.244.0.0/16, fixed by setting Network in the kube-flannel-cfg ConfigMap). Its fix
 *   is the configuration: deleting flannel.1 and cni0 re-creates the same lease.
 * - flannel.1 / cni0 outside FLANNEL_SUBNET: the "range set" mismatch (cni0 and flannel.1 in different
 *   /24s) and the "range affectation" mismatch (both agree, subnet.env says another /24), left by
 *   reinstallations over old state; rebuilt from the lease by the light or forced repair.
 */
import { defineAnalyzer } from '../src/engine/analyzer.js';
import type { Evidence } from '../src/report/schema.js';
import { addressIn, networkOf } from '../src/parsers/cidr.js';
import type { Setting } from '../src/parsers/flannel-env.js';
import { interfacesOf } from '../src/parsers/interfaces.js';
import type { Remedy } from '../src/report/schema.js';
import { flannelPod, flannelRemedy } from './lib/flannel.js';
import { NODE_SERVICE_KINDS, nodeServices } from './lib/node-services.js';
import type { NodeArtifacts } from '../src/engine/artifacts.js';

export default defineAnalyzer({
  id: 'flannel.subnet-mismatch',
  title: 'flannel interfaces outside the node subnet',
  description: 'flannel.1 / cni0 addresses outside FLANNEL_SUBNET, or FLANNEL_SUBNET outside FLANNEL_NETWORK.',
  scope: 'node',
  // subnet.env alone says whether FLANNEL_SUBNET is inside FLANNEL_NETWORK; the interface checks need ip addr
  requires: ['flannelSubnetEnv'],
  optional: [...new Set(['ipAddr', 'logs', 'flannelNetConf', ...NODE_SERVICE_KINDS] as const)],
  partialWithout: { ipAddr: 'the addresses of flannel.1 and cni0 were not checked (no ip addr in the bundle)' },
  analyze(input) {
    const { node, artifacts } = input;
    const env = artifacts.flannelSubnetEnv[0];
    // dual-stack flannel leases an IPv6 subnet too (FLANNEL_IPV6_SUBNET, device flannel-v6.1); an
    // IPv6-only one has no FLANNEL_SUBNET at all
    const v4 = env.subnet && env.subnetNetwork ? { subnet: env.subnet, subnetNetwork: env.subnetNetwork, network: env.network } : undefined;
    const v6Network = env.ipv6Subnet ? networkOf(env.ipv6Subnet.value) : undefined;
    const v6 = env.ipv6Subnet && v6Network ? { subnet: env.ipv6Subnet, subnetNetwork: v6Network, network: env.ipv6Network } : undefined;
    if (!v4 && !v6) return [];
    const haveIpAddr = (artifacts.ipAddr?.length ?? 0) > 0;
    const itfs = interfacesOf(artifacts.ipAddr ?? []);
    const checks = [...(v4 ? [check(FAMILIES[4], v4, itfs)] : []), ...(v6 ? [check(FAMILIES[6], v6, itfs)] : [])];
    if (checks.every((c) => c.problems.length === 0)) return [];
    const c4 = checks.find((c) => c.family === FAMILIES[4] && c.problems.length > 0);
    const c6 = checks.find((c) => c.family === FAMILIES[6] && c.problems.length > 0);
    const sentence = (c: Check) => `${c.problems.join('; ')}${c.form ? ` (the "${c.form}" of a flannel reinstalled over old state)` : ''}`;
    // the lease outside the cluster network: a configuration error, its own title and fix
    const outsideNet = checks.filter((c) => c.outsideNetwork);
    if (outsideNet.length > 0) return [configFinding(node, artifacts, checks, outsideNet, haveIpAddr, sentence)];
    const remedy = flannelRemedy(input, artifacts.logs, artifacts);
    // the IPv6 VXLAN device is rebuilt from the lease like flannel.1
    if (c6) remedy.commands = remedy.commands.flatMap((cmd) => (cmd === 'ip link delete flannel.1' ? [cmd, 'ip link delete flannel-v6.1'] : [cmd]));
    const devices = c6 && !c4 ? 'flannel-v6.1 and cni0' : 'flannel.1 and cni0';
    return [
      {
        severity: 'critical',
        title: 'flannel interfaces outside the node subnet',
        message:
          `On ${node}: ${[...(c4 ? [sentence(c4)] : []), ...(c6 ? [`for IPv6, ${sentence(c6)}`] : [])].join('; and ')}. Pods get ${c6 && !c4 ? 'IPv6 ' : ''}addresses other nodes do not route to this node, so cross-node pod traffic${c6 && !c4 ? ' over IPv6' : ''} is lost.` +
          (haveIpAddr ? '' : ` The addresses of ${devices} were not checked: the bundle has no ip addr output.`),
        impact: c6 && !c4 ? 'Pods on this node cannot reach pods on other nodes over IPv6, or reach the wrong node.' : 'Pods on this node cannot reach pods on other nodes, or reach the wrong node.',
        evidence: checks.filter((c) => c.problems.length > 0).flatMap((c) => c.evidence),
        facts: {
          form: c4?.form,
          subnet: env.subnet?.value,
          network: env.network?.value,
          outside: c4?.outside ?? [],
          ...(v6 ? { ipv6Form: c6?.form, ipv6Subnet: v6.subnet.value, ipv6Network: v6.network?.value, ipv6Outside: c6?.outside ?? [] } : {}),
          interfacesChecked: haveIpAddr,
        },
        remedy,
      },
    ];
  },
});

interface Family {
  family: 4 | 6;
  /** the variables of subnet.env, as named in messages */
  subnetVar: string;
  networkVar: string;
  /** flannel's VXLAN device of this family, and the bridge */
  devices: string[];
}

const FAMILIES: Record<4 | 6, Family> = {
  4: { family: 4, subnetVar: 'FLANNEL_SUBNET', networkVar: 'FLANNEL_NETWORK', devices: ['flannel.1', 'cni0'] },
  6: { family: 6, subnetVar: 'FLANNEL_IPV6_SUBNET', networkVar: 'FLANNEL_IPV6_NETWORK', devices: ['flannel-v6.1', 'cni0'] },
};

interface Lease {
  subnet: Setting<string>;
  subnetNetwork: string;
  network?: Setting<string>;
}

interface Check {
  family: Family;
  problems: string[];
  evidence: Evidence[];
  outside: { name: string; cidr: string }[];
  form?: string;
  /** the lease is outside the cluster network (a configuration error) */
  outsideNetwork: boolean;
  lease: Lease;
}

/** One family's lease against its interfaces: the lease inside the network, the devices inside the lease. */
function check(fam: Family, lease: Lease, itfs: ReturnType<typeof interfacesOf>): Check {
  const problems: string[] = [];
  const label = fam.family === 6 ? 'the IPv6 subnet flannel leased to this node' : 'the subnet flannel leased to this node';
  const evidence: Evidence[] = [{ file: lease.subnet.ref.file, line: lease.subnet.ref.line, excerpt: lease.subnet.excerpt, note: label }];
  const outsideNetwork = !!lease.network && !addressIn(lease.subnet.value, lease.network.value);
  if (lease.network && outsideNetwork) {
    problems.push(`${fam.subnetVar} ${lease.subnet.value} is outside ${fam.networkVar} ${lease.network.value}`);
    evidence.push({ file: lease.network.ref.file, line: lease.network.ref.line, excerpt: lease.network.excerpt, note: fam.family === 6 ? 'the cluster IPv6 network' : 'the cluster network' });
  }
  // link-local IPv6 addresses (fe80::/10) are on every interface and none of flannel's business
  const addresses = (name: string) => itfs.get(name)?.addresses.filter((x) => x.family === fam.family && !(fam.family === 6 && addressIn(x.address, 'fe80::/10'))) ?? [];
  const outside: { name: string; cidr: string }[] = [];
  for (const name of fam.devices) {
    for (const a of addresses(name)) {
      const inside = addressIn(a.address, lease.subnetNetwork);
      evidence.push({ file: a.ref.file, line: a.ref.line, excerpt: a.excerpt, note: inside ? `${name} inside ${lease.subnetNetwork}` : `${name} is NOT inside ${lease.subnetNetwork}` });
      if (!inside) outside.push({ name, cidr: a.cidr });
    }
  }
  const [vxlan, bridge] = fam.devices;
  const vx = addresses(vxlan);
  const br = addresses(bridge);
  let form: string | undefined;
  if (outside.length) {
    const sameNet = vx.length > 0 && br.length > 0 && vx.every((f) => br.some((c) => addressIn(f.address, c.network)));
    form = sameNet ? 'range affectation mismatch' : 'range set mismatch';
    problems.push(
      sameNet
        ? `${bridge} and ${vxlan} agree (${br[0].network}) but subnet.env says ${fam.family === 6 ? `${fam.subnetVar}=` : ''}${lease.subnet.value}`
        : `${outside.map((o) => `${o.name} ${o.cidr}`).join(' and ')} ${outside.length > 1 ? 'are' : 'is'} outside ${fam.subnetVar} ${lease.subnet.value}`,
    );
  }
  return { family: fam, problems, evidence, outside, form, outsideNetwork, lease };
}

/**
 * FLANNEL_SUBNET (or FLANNEL_IPV6_SUBNET) outside the network: the node's podCIDR and flannel's Network
 * disagree. The fix is the configuration (net-conf.json's Network, or the cluster's pod CIDR); any
 * interface problems found beside it are told too, and the interfaces are said to be unchecked without ip addr.
 */
function configFinding(node: string, artifacts: NodeArtifacts, checks: Check[], outsideNet: Check[], haveIpAddr: boolean, sentence: (c: Check) => string) {
  const v6Only = outsideNet.every((c) => c.family.family === 6);
  const leases = outsideNet.map((c) => `${c.family.subnetVar} ${c.lease.subnet.value} is outside ${c.family.networkVar} ${c.lease.network!.value}`);
  // interface problems of any family, beside the configuration error
  const itfProblems = checks.filter((c) => c.outside.length > 0).map((c) => `${c.family.family === 6 ? 'for IPv6, ' : ''}${c.problems.filter((p) => !/ is outside FLANNEL_(IPV6_)?NETWORK /.test(p)).join('; ')}`);
  const devices = v6Only ? 'flannel-v6.1 and cni0' : 'flannel.1 and cni0';
  const netConf = artifacts.flannelNetConf?.find((c) => c.network)?.network;
  const evidence: Evidence[] = checks.filter((c) => c.problems.length > 0).flatMap((c) => c.evidence);
  if (netConf) evidence.push({ file: netConf.ref.file, line: netConf.ref.line, excerpt: netConf.excerpt, note: 'Network in flannel\'s net-conf.json' });
  const nets = outsideNet.map((c) => c.lease.network!.value).join(' and ');
  return {
    severity: 'critical' as const,
    title: "flannel's node subnet is outside the cluster network",
    message:
      `On ${node}: ${leases.join('; and ')}. The pod range this node was given (its podCIDR, from the cluster's pod CIDR: kubeadm --pod-network-cidr, kube-controller-manager --cluster-cidr) and the Network in flannel's net-conf.json disagree: a configuration error, such as a typo in one of them (flannel#1983: --pod-network-cidr=10.224.0.0/16 against flannel's 10.244.0.0/16). ` +
      `flannel routes only ${nets}, so pods on this node get ${v6Only ? 'IPv6 ' : ''}addresses the other nodes do not route here, and flannel may not start at all.` +
      (itfProblems.length ? ` Besides: ${itfProblems.join('; ')}.` : '') +
      (haveIpAddr ? '' : ` The addresses of ${devices} were not checked: the bundle has no ip addr output.`),
    impact: v6Only ? 'Pods on this node cannot reach pods on other nodes over IPv6, or flannel does not start.' : 'Pods on this node cannot reach pods on other nodes, or flannel does not start.',
    evidence,
    facts: {
      cause: 'network-config',
      subnet: outsideNet[0].lease.subnet.value,
      network: outsideNet[0].lease.network!.value,
      ...(netConf ? { netConfNetwork: netConf.value } : {}),
      outside: checks.find((c) => c.family.family === 4)?.outside ?? [],
      interfacesChecked: haveIpAddr,
    },
    remedy: configRemedy(node, artifacts, outsideNet.map((c) => c.lease.subnet.value)),
  };
}

/** Make flannel's Network and the cluster's pod CIDR agree; deleting the links alone re-creates the same lease. */
function configRemedy(node: string, artifacts: NodeArtifacts, subnets: string[]): Remedy {
  const distro = nodeServices(artifacts).distro?.name;
  const nodes = 'kubectl get nodes -o custom-columns=NAME:.metadata.name,PODCIDR:.spec.podCIDR,PODCIDRS:.spec.podCIDRs   # the pod ranges the cluster handed out';
  const keep = `Deleting flannel.1 and cni0 on ${node} does not help: flannel re-creates the same lease.`;
  if (distro === 'k3s' || distro === 'microk8s') {
    return {
      summary: `Make flannel's network and the cluster's pod CIDR agree: ${distro === 'k3s' ? "k3s writes flannel's net-conf.json from the server's --cluster-cidr, so the nodes' podCIDRs and the cluster-cidr of the servers must be the same range" : "MicroK8s' flanneld takes its Network from /var/snap/microk8s/current/args/flannel-network-mgr-config, which must hold the cluster's pod CIDR (kube-controller-manager --cluster-cidr)"}; the range must contain ${subnets.join(' and ')}. ${keep}`,
      commands: [nodes],
      caution: 'Changing the cluster\'s pod CIDR changes every node\'s pod range: pods are recreated with new addresses; plan it as a maintenance.',
    };
  }
  const pod = flannelPod(artifacts.logs);
  const ns = pod?.namespace ?? 'kube-flannel';
  const alt = pod?.namespace ? '' : '   # or -n kube-system, where the DaemonSet runs';
  return {
    summary:
      `Make flannel's Network and the cluster's pod CIDR agree. Usually: set "Network" in net-conf.json (the kube-flannel-cfg ConfigMap) to the cluster's pod CIDR, the range that holds ${subnets.join(' and ')}, then restart the flannel pods. ` +
      `If the pod CIDR is the typo instead, correct kube-controller-manager's --cluster-cidr (kubeadm: networking.podSubnet): a node's podCIDR cannot be changed in place, so each node must be drained, deleted and re-joined. ${keep}`,
    commands: [
      nodes,
      `kubectl -n ${ns} get configmap kube-flannel-cfg -o jsonpath='{.data.net-conf\\.json}'${alt}`,
      `kubectl -n ${ns} edit configmap kube-flannel-cfg   # set "Network" to the cluster's pod CIDR`,
      `kubectl -n ${ns} rollout restart daemonset kube-flannel-ds   # the DaemonSet's name as kubectl -n ${ns} get ds shows it`,
    ],
    caution: 'Restarting the flannel pods briefly interrupts pod traffic between nodes on every node. Nodes that were running with the wrong Network may need the light flannel repair afterwards (delete flannel.1 and restart the node\'s flannel pod).',
  };
}
