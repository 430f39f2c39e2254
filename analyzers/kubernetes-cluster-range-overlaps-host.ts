/**
 * kubernetes.cluster-range-overlaps-host: the cluster's pod or Service range overlaps the host's own network.
 *
 * The class: Calico's default IPPool 192.168.0.0/16 (kubeadm's docs' `--pod-network-cidr=192.168.0.0/16`) on
 * hosts whose LAN is 192.168.1.0/24 (projectcalico/calico#1401: "NAT outgoing doesn't work, because the NAT
 * rules think the host network is part of the pool; IPAM-chosen IPs can overlap with the real network";
 * calicoctl#1586: workload IPs allocated from 192.168.1.1, "which is my router!"); k3s' 10.42.0.0/16 inside a
 * VPC or VPN (k3s-io/k3s#4627, "don't do that"; #3451, the VPC 10.42.0.0/16); kubeadm podSubnet/serviceSubnet
 * overlapping (kubeadm#1591). Calico's docs: the pool must not overlap the host network.
 *
 * Ranges: the parsed cluster configuration (src/parsers/kube-cluster-config.ts: manifests, kubeadm, k3s/RKE2,
 * Calico IPPools; disabled pools left out: that is the migration's state), flannel's net-conf.json Network,
 * and kube-proxy's / k3s' / RKE2's --cluster-cidr / --service-cidr flags in the process listing. The flags are
 * used only where the host itself shows a Kubernetes node (hostKubernetesSign): kind's and k3d's nodes are
 * containers whose processes show in the host's ps, but whose pod and Service ranges live in the containers'
 * network namespaces, not on this host's interfaces.
 *
 * - critical: an address of the node on an interface that is not a pod, overlay, bridge or Service interface
 *   (the uplink, a VLAN, a VPN tunnel) lies inside a pod or Service range;
 * - warning: a route not installed by the CNI (not on a pod/overlay device, not a blackhole, not proto bird,
 *   not a per-node pod subnet via another node), other than the default route, to a destination that
 *   overlaps a pod or Service range: the hosts there are unreachable from pods (pod routes shadow them);
 * - warning: a host resolv.conf nameserver inside a pod or Service range that is not a cluster DNS address.
 * Pod ranges are not checked where pods are addressed from the VPC by design (the AWS VPC CNI: eni* veths or
 * its settings; Azure CNI's azure0 / azv* interfaces).
 */
import { defineAnalyzer, type FindingDraft } from '../src/engine/analyzer.js';
import type { NodeArtifacts } from '../src/engine/artifacts.js';
import type { Evidence, Remedy } from '../src/report/schema.js';
import { cidrContains, cidrOverlap, formatCidr, isLinkLocal6, parseCidr, type Cidr } from '../src/parsers/cidr.js';
import { interfacesOf } from '../src/parsers/interfaces.js';
import type { Route } from '../src/parsers/ip-route.js';
import { flagValue, nodeProcesses } from '../src/parsers/processes.js';
import { resolvConfFiles } from '../src/parsers/resolv-conf.js';
import type { ClusterRange } from '../src/parsers/kube-cluster-config.js';
import { hostKubernetesSign } from './lib/node-view.js';

const ID = 'kubernetes.cluster-range-overlaps-host';



/**
 * Interfaces whose addresses belong to the pod network, an overlay, a container bridge or kube-proxy's
 * Service dummy: not the host's own network. Docker's bridges are docker.bridge-mismatch's.
 */
export const NOT_HOST_NETWORK =
  /^(lo|cni\d*|cbr0|kube-bridge|kube-ipvs0|kube-dummy-if|nodelocaldns|weave|datapath|vxlan-\d+|flannel[.-].*|flannel-wg(-v6)?|cali[0-9a-f]+|vxlan\.calico|vxlan-v6\.calico|wireguard\.cali|egress\.calico|tunl0|cilium_.*|lxc.*|veth.*|docker\d*|docker_gwbridge|br-[0-9a-f]{12}|eni[0-9a-f]+|ovn-k8s-mp\d+|genev_sys_\d+|vxlan_sys_\d+|br-int|antrea-gw0|antrea-tun0|podman\d+|cni-podman\d+|azure0|azv.*|kilo\d+|nodelocaldns)$/;

/** Point-to-point / VPN devices: a route via one of them is the VPN's, never a pod subnet via another node. */
const TUNNEL_DEV = /^(tun\d+|tap\d+|wg\d+|ppp\d+|ipsec\d*|vti\d*|xfrm\d*|tailscale\d*|zt[0-9a-z]+|utun\d+|nordlynx|proton\d*|gpd\d+|cscotun\d+)$/;

interface Range {
  cidr: Cidr;
  text: string;
  kind: 'pod' | 'service';
  evidence: Evidence[];
  sources: string[];
  pool?: ClusterRange['pool'];
}

function ranges(artifacts: NodeArtifacts): { pod: Range[]; service: Range[]; fromProcessesSkipped?: string } {
  const out = new Map<string, Range>();
  const add = (kind: 'pod' | 'service', text: string, source: string, e: Evidence, pool?: ClusterRange['pool']) => {
    const c = parseCidr(text);
    if (!c || c.prefix === 0) return;
    const key = `${kind} ${formatCidr(c)}`;
    const r = out.get(key) ?? { cidr: c, text: formatCidr(c), kind, evidence: [], sources: [] };
    if (!r.sources.includes(source)) r.sources.push(source);
    if (r.evidence.length < 3 && !r.evidence.some((x) => x.file === e.file && x.line === e.line)) r.evidence.push(e);
    if (pool && !r.pool) r.pool = pool;
    out.set(key, r);
  };
  const all = artifacts.kubeClusterRanges;
  for (const f of all ?? []) {
    for (const r of f.podRanges) {
      if (r.pool?.disabled) continue;
      add('pod', r.cidr, r.source, { file: r.ref.file, line: r.ref.line, excerpt: r.excerpt, note: `pod range (${r.source}${r.pool?.name ? ` ${r.pool.name}` : ''})` }, r.pool);
    }
    for (const r of f.serviceRanges) add('service', r.cidr, r.source, { file: r.ref.file, line: r.ref.line, excerpt: r.excerpt, note: `Service range (${r.source})` });
  }
  for (const n of artifacts.flannelNetConf ?? [])
    if (n.network) add('pod', n.network.value, 'flannel net-conf.json', { file: n.network.ref.file, line: n.network.ref.line, excerpt: n.network.excerpt, note: "pod range (flannel's Network)" });
  const procs = nodeProcesses(artifacts).processes.filter((p) => ['kube-proxy', 'k3s', 'rke2', 'kube-apiserver', 'kube-controller-manager'].includes(p.component));
  let skipped: string | undefined;
  if (procs.length > 0) {
    if (hostKubernetesSign(artifacts) === undefined) skipped = 'the listed kube-proxy/k3s processes run in containers (kind, k3d): the host shows no pod network of its own';
    else
      for (const p of procs) {
        const e = (note: string): Evidence => ({ file: p.ref.file, line: p.ref.line, excerpt: p.excerpt, note });
        const cc = p.component === 'kube-apiserver' ? undefined : flagValue(p, 'cluster-cidr');
        if (cc) for (const v of cc.split(',')) add('pod', v.trim(), `${p.component} --cluster-cidr`, e(`pod range (${p.component} --cluster-cidr)`));
        // k3s / RKE2: --service-cidr; the control plane's own: --service-cluster-ip-range (apiserver, controller-manager)
        const flag = p.component === 'k3s' || p.component === 'rke2' ? 'service-cidr' : p.component === 'kube-proxy' ? undefined : 'service-cluster-ip-range';
        const sc = flag ? flagValue(p, flag) : undefined;
        if (sc && flag) for (const v of sc.split(',')) add('service', v.trim(), `${p.component} --${flag}`, e(`Service range (${p.component} --${flag})`));
      }
  }
  const rs = [...out.values()];
  return { pod: rs.filter((r) => r.kind === 'pod'), service: rs.filter((r) => r.kind === 'service'), ...(skipped ? { fromProcessesSkipped: skipped } : {}) };
}

/** Pods are addressed from the VPC by design (AWS VPC CNI, Azure CNI): their pod range is the host's network. */
function vpcNativePods(artifacts: NodeArtifacts): boolean {
  if ((artifacts.awsCniSettings ?? []).length > 0) return true;
  return [...interfacesOf(artifacts.ipAddr ?? []).keys()].some((n) => /^(eni[0-9a-f]{11}|azure0|azv[0-9a-f]+)$/.test(n));
}

function describe(r: Range): string {
  return `${r.kind === 'pod' ? 'pod' : 'Service'} range ${r.text} (${r.sources.join(', ')})`;
}

/** The first of some private ranges that overlaps none of the host's networks, routes or the cluster's other ranges. */
function freeRange(taken: Cidr[], prefix: number): string | undefined {
  for (const cand of ['10.244.0.0', '172.20.0.0', '100.64.0.0', '10.200.0.0', '172.30.0.0', '10.32.0.0']) {
    const c = parseCidr(`${cand}/${prefix}`)!;
    if (!taken.some((t) => t.family === 4 && cidrOverlap(t, c))) return formatCidr(c);
  }
  return undefined;
}

function remedy(hit: Range[], taken: Cidr[], calico: Range | undefined, vpn: boolean): Remedy {
  const pod = hit.find((r) => r.kind === 'pod');
  const svc = hit.find((r) => r.kind === 'service');
  const newPod = pod && pod.cidr.family === 4 ? freeRange(taken, Math.min(Math.max(pod.cidr.prefix, 12), 16)) : undefined;
  const newSvc = svc && svc.cidr.family === 4 ? freeRange([...taken, ...(newPod ? [parseCidr(newPod)!] : [])], Math.min(Math.max(svc.cidr.prefix, 12), 16)) : undefined;
  const commands: string[] = [];
  if (calico && pod === calico) {
    const p = calico.pool ?? {};
    const name = p.name ?? 'default-ipv4-ippool';
    commands.push(
      `# Calico's "migrate from one IP pool to another": create a pool that overlaps nothing, disable the old one, recreate the pods, delete the old pool`,
      `calicoctl get ippool -o wide   # the pools and their CIDRs`,
      `cat <<'EOF' | calicoctl apply -f -\napiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: new-pool\nspec:\n  cidr: ${newPod ?? '<a CIDR that overlaps no host network>'}\n  ipipMode: ${p.ipipMode ?? 'Always'}\n  vxlanMode: ${p.vxlanMode && /^(Always|Never|CrossSubnet)$/.test(p.vxlanMode) ? p.vxlanMode : 'Never'}\n  natOutgoing: true\nEOF`,
      `calicoctl patch ippool ${name} -p '{"spec": {"disabled": true}}'`,
      `kubectl get pods -A -o wide | grep ' ${calico.text.split('.').slice(0, 2).join('.')}\\.'   # pods still on the old pool: delete them (their controllers recreate them on the new pool)`,
      `calicoctl delete ippool ${name}   # once no pod uses it`,
    );
  }
  if (pod && pod !== calico)
    commands.push(
      `# the pod range is fixed when the cluster is created (node podCIDRs cannot change): build the cluster anew with a range that overlaps nothing`,
      `kubeadm init --pod-network-cidr=${newPod ?? '<free CIDR>'}${newSvc ? ` --service-cidr=${newSvc}` : ''}   # kubeadm; match the CNI's own setting (flannel net-conf.json Network, Calico CALICO_IPV4POOL_CIDR)`,
      `# k3s / RKE2: /etc/rancher/k3s/config.yaml  cluster-cidr: ${newPod ?? '<free CIDR>'}${newSvc ? `  service-cidr: ${newSvc}` : ''}  on a freshly installed server (k3s-uninstall.sh first)`,
    );
  if (svc && !pod)
    commands.push(
      `# the Service range cannot be moved in place: kube-apiserver keeps allocated ClusterIPs; build the cluster anew with a free one`,
      `kubeadm init --service-cidr=${newSvc ?? '<free CIDR>'} ...   # or k3s/RKE2 config.yaml  service-cidr: ${newSvc ?? '<free CIDR>'}`,
    );
  const summary =
    (calico && pod === calico
      ? `Move the pods to a new Calico IPPool that overlaps no host network (Calico's documented pool migration: create the pool, disable the old one, recreate the pods, delete it).`
      : `The cluster's ${pod ? 'pod' : 'Service'} range cannot be changed in place: rebuild the cluster with a ${pod ? 'pod' : 'Service'} range that overlaps no host network, LAN or VPN.`) +
    (vpn ? ' For a LAN or VPN route, the other way out is on that side: renumber it or stop routing that range to this host.' : '');
  return { summary, commands, caution: calico && pod === calico ? 'Every pod on the old pool is restarted; pods keep their old addresses until they are recreated.' : 'Rebuilding the cluster recreates every workload.' };
}

export default defineAnalyzer({
  id: ID,
  title: "cluster's pod or Service range overlaps the host network",
  description: "The cluster's pod range (cluster-cidr, podSubnet, Calico IPPool, flannel Network) or Service range overlaps an address, route or nameserver of the node's own network.",
  scope: 'node',
  requires: [],
  requiresOneOf: ['kubeClusterRanges', 'flannelNetConf', 'dockerDaemon', 'services'],
  optional: ['kubeClusterRanges', 'flannelNetConf', 'dockerDaemon', 'services', 'ipAddr', 'routes', 'resolvConf', 'iptables', 'nftables', 'awsCniSettings'],
  partialWithout: { ipAddr: "the node's addresses were not checked (no ip addr in the bundle)", routes: "the node's routes were not checked (no ip route in the bundle)" },
  analyze({ artifacts: a }) {
    const artifacts = a as NodeArtifacts;
    const rs = ranges(artifacts);
    const vpcPods = vpcNativePods(artifacts);
    const checked = [...(vpcPods ? [] : rs.pod), ...rs.service];
    if (checked.length === 0) return [];
    const itfs = interfacesOf(artifacts.ipAddr ?? []);
    const findings: FindingDraft[] = [];
    const calico = rs.pod.find((r) => r.sources.some((s) => /^Calico/.test(s)));

    // what the host's network occupies, for a free range to suggest
    const taken: Cidr[] = [...checked.map((r) => r.cidr)];

    // 1. the node's own addresses
    const addrHits: { r: Range; e: Evidence; net: Cidr; dev: string }[] = [];
    for (const i of itfs.values()) {
      const hostItf = !NOT_HOST_NETWORK.test(i.name.split('@')[0]);
      for (const ad of i.addresses) {
        if (ad.scope === 'host' || ad.scope === 'link' || (ad.family === 6 && isLinkLocal6(ad.address)) || /^127\./.test(ad.address) || ad.address === '::1') continue;
        const net = parseCidr(ad.network);
        if (net && hostItf) taken.push(net);
        if (!hostItf) continue;
        const a1 = parseCidr(ad.address);
        if (!a1 || !net) continue;
        for (const r of checked)
          if (cidrContains(r.cidr, a1))
            addrHits.push({ r, net, dev: i.name, e: { file: ad.ref.file, line: ad.ref.line, excerpt: ad.excerpt, note: `${i.name}'s address ${ad.address} lies inside the ${describe(r)}` } });
      }
    }

    // 2. routes not the CNI's own
    const routeHits: { r: Range; route: Route }[] = [];
    const connectedOfHit = (route: Route, dst: Cidr) => addrHits.some((h) => h.dev === route.dev && formatCidr(h.net) === formatCidr(dst));
    const connectedOfHitRoutes: Evidence[] = [];
    for (const t of artifacts.routes ?? [])
      for (const route of t.routes) {
        if (route.table === 'local' || (route.type && route.type !== 'unicast')) continue;
        const dst = parseCidr(route.destination);
        if (!dst || dst.prefix === 0) continue;
        if (route.proto && /^(bird6?|zebra|bgp)$/.test(route.proto)) continue;
        const devs = [route.dev, ...(route.nexthops ?? []).map((n) => n.dev)].filter((d): d is string => !!d);
        // the CNI's own routes: pod veths, bridges, overlays, tunnels, Service dummies
        if (devs.length > 0 && devs.every((d) => NOT_HOST_NETWORK.test(d))) continue;
        if (!devs.some((d) => /^(docker|br-)/.test(d))) taken.push(dst);
        else continue;
        for (const r of checked) {
          if (!cidrOverlap(r.cidr, dst)) continue;
          // a per-node pod subnet via another node (flannel host-gw, kube-router, cloud routes): the CNI's
          const viaNode = route.via && !devs.some((d) => TUNNEL_DEV.test(d)) && r.kind === 'pod' && cidrContains(r.cidr, dst) && dst.prefix > r.cidr.prefix && dst.prefix >= (dst.family === 4 ? 24 : 64);
          if (viaNode) continue;
          if (connectedOfHit(route, dst)) {
            if (connectedOfHitRoutes.length < 3) connectedOfHitRoutes.push({ file: route.ref.file, line: route.ref.line, excerpt: route.excerpt, note: `the host's own route to ${route.destination}, inside the ${describe(r)}` });
            continue;
          }
          routeHits.push({ r, route });
        }
      }

    // 3. nameservers of the host's resolv.conf
    const clusterDns = (ip: string): boolean => {
      const c = parseCidr(ip);
      if (!c) return false;
      for (const s of rs.service) if (s.cidr.family === 4 && c.family === 4 && c.network === s.cidr.network + 10n) return true;
      for (const n of ['kube-ipvs0', 'nodelocaldns', 'kube-dummy-if']) if (itfs.get(n)?.addresses.some((x) => x.address === ip)) return true;
      return false;
    };
    const nsHits: { r: Range; e: Evidence; covered: boolean }[] = [];
    for (const f of resolvConfFiles(artifacts.resolvConf))
      for (const ns of f.nameservers) {
        if (ns.loopback || clusterDns(ns.address)) continue;
        const c = parseCidr(ns.address);
        if (!c) continue;
        for (const r of checked)
          if (cidrContains(r.cidr, c)) {
            const covered = addrHits.some((h) => cidrContains(h.net, c));
            if (!nsHits.some((x) => x.e.excerpt === ns.excerpt && x.r === r)) nsHits.push({ r, covered, e: { file: ns.ref.file, line: ns.ref.line, excerpt: ns.excerpt, note: `nameserver ${ns.address} lies inside the ${describe(r)}` } });
          }
      }

    const rangeEvidence = (hit: Range[]) => [...new Set(hit)].flatMap((r) => r.evidence.slice(0, 2));
    if (addrHits.length > 0) {
      const hit = [...new Set(addrHits.map((h) => h.r))];
      const covered = nsHits.filter((n) => n.covered);
      const first = addrHits[0];
      findings.push({
        severity: 'critical',
        title: `The node's own address lies inside the cluster's ${hit.some((r) => r.kind === 'pod') ? 'pod' : 'Service'} range`,
        message:
          `${first.dev}'s address ${first.e.excerpt.trim()} lies inside the ${describe(first.r)}` +
          (addrHits.length > 1 ? ` (and ${addrHits.length - 1} more address${addrHits.length > 2 ? 'es' : ''})` : '') +
          `. Addresses of the host's own network are handed out to ${first.r.kind === 'pod' ? 'pods' : 'Services'}, and the cluster's rules and routes take traffic for them: ` +
          (first.r.kind === 'pod'
            ? 'pods cannot reach the nodes and LAN hosts in that range (their traffic is routed into the pod network or left un-NATed, as the CNI takes it for pod traffic), and a pod can get the address of a real host.'
            : "kube-proxy's rules capture connections to ClusterIPs that are real hosts' addresses.") +
          (covered.length > 0 ? ` The node's nameserver is in that network too.` : ''),
        impact: 'Cross-node pod traffic, pod access to the LAN and Service traffic break in ways that depend on which address is hit.',
        evidence: [...addrHits.slice(0, 4).map((h) => h.e), ...rangeEvidence(hit), ...connectedOfHitRoutes, ...covered.slice(0, 2).map((n) => n.e)],
        remedy: remedy(hit, taken, calico, false),
        facts: { ranges: hit.map((r) => ({ kind: r.kind, cidr: r.text, sources: r.sources })), addresses: addrHits.map((h) => ({ dev: h.dev, address: h.e.excerpt.trim(), range: h.r.text })) },
      });
    }
    if (routeHits.length > 0) {
      const hit = [...new Set(routeHits.map((h) => h.r))];
      const first = routeHits[0];
      findings.push({
        severity: 'warning',
        title: "A host route overlaps the cluster's " + (hit.some((r) => r.kind === 'pod') ? 'pod' : 'Service') + ' range',
        message:
          `The node routes ${first.route.destination}${first.route.dev ? ` out of ${first.route.dev}` : ''}${first.route.via ? ` via ${first.route.via}` : ''}, which overlaps the ${describe(first.r)}` +
          (routeHits.length > 1 ? ` (and ${routeHits.length - 1} more route${routeHits.length > 2 ? 's' : ''})` : '') +
          `: the hosts there (a LAN, a VPN) are unreachable from pods, whose traffic to those addresses is taken for ${first.r.kind === 'pod' ? 'pod traffic and routed into the pod network' : 'Service traffic by kube-proxy'}, and pod routes shadow the host's own route.`,
        impact: 'Pods cannot reach the hosts behind that route; the node may lose them too where pod routes are more specific.',
        evidence: [...routeHits.slice(0, 4).map((h) => ({ file: h.route.ref.file, line: h.route.ref.line, excerpt: h.route.excerpt, note: `route to ${h.route.destination}, overlapping the ${describe(h.r)}` })), ...rangeEvidence(hit)],
        remedy: remedy(hit, taken, calico, true),
        facts: { ranges: hit.map((r) => ({ kind: r.kind, cidr: r.text, sources: r.sources })), routes: routeHits.map((h) => ({ destination: h.route.destination, dev: h.route.dev, via: h.route.via, range: h.r.text })) },
      });
    }
    const nsAlone = nsHits.filter((n) => !n.covered);
    if (nsAlone.length > 0) {
      const hit = [...new Set(nsAlone.map((h) => h.r))];
      findings.push({
        severity: 'warning',
        title: "The node's nameserver lies inside the cluster's " + (hit.some((r) => r.kind === 'pod') ? 'pod' : 'Service') + ' range',
        message: `${nsAlone[0].e.note}. Pods that inherit the node's resolv.conf, and CoreDNS forwarding to it, send their queries to an address the cluster takes for its own: DNS from pods fails or reaches the wrong host.`,
        impact: 'Name resolution from pods (and CoreDNS upstream forwarding) fails.',
        evidence: [...nsAlone.slice(0, 3).map((n) => n.e), ...rangeEvidence(hit)],
        remedy: remedy(hit, taken, calico, true),
        facts: { ranges: hit.map((r) => ({ kind: r.kind, cidr: r.text, sources: r.sources })), nameservers: nsAlone.map((n) => n.e.excerpt.trim()) },
      });
    }
    return findings;
  },
});
