/**
 * Is this node a container host? Several analyzers only mean something on one (ip_forward off
 * is normal on a plain server), so they ask here and name what they saw.
 */
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { matchText, type Rule } from '../../src/netfilter/rules.js';
import { specOfText } from '../../src/netfilter/commands.js';
import type { Evidence } from '../../src/report/schema.js';
import { cidrContains, parseCidr } from '../../src/parsers/cidr.js';
import { interfacesOf } from '../../src/parsers/interfaces.js';
import { findService, isActive, isEnabled } from '../../src/parsers/services.js';
import { dockerdSettings } from '../../src/parsers/dockerd-flags.js';
import { daemonUnreachable, dockerEngine, dockerVersionNumbers } from '../../src/parsers/docker-info.js';
import { installedPackage, packageEvidence, packageLabel } from './package-versions.js';
import { latestDaemonVersionLine } from '../../src/logs/signatures-docker-version.js';

/**
 * The bridges, tunnels and veths a container runtime or CNI plugin creates: Docker (docker0,
 * br-<12 hex>, docker_gwbridge), Podman (podman0.. with netavark, cni-podman0.. with CNI), LXD,
 * the CNI bridge plugin (cni0, kubenet's cbr0), flannel, Calico (cali<11 hex>, vxlan.calico),
 * Cilium (cilium_host, lxc<hex>), Weave, kube-router (kube-bridge), kube-proxy in IPVS mode
 * (kube-ipvs0), NodeLocal DNSCache, Antrea, OVN-Kubernetes. Calico's tunl0 is apart: the ipip
 * module makes a tunl0 on any host that loads it; only an address on it says Calico uses it.
 */
const CONTAINER_INTERFACE =
  /^(docker0|docker_gwbridge|br-[0-9a-f]{12}|podman\d+|cni-podman\d+|lxdbr\d+|cni0|cbr0|flannel\.\d+|flannel-v6\.\d+|flannel-wg(-v6)?|cali[0-9a-f]{11}|vxlan\.calico|vxlan-v6\.calico|cilium_host|cilium_net|cilium_vxlan|cilium_geneve|lxc[0-9a-f]{8,}|lxc_health|weave|vxlan-6784|kube-bridge|kube-dummy-if|kube-ipvs0|nodelocaldns|antrea-gw0|ovn-k8s-mp\d+|genev_sys_6081|eni[0-9a-f]{11})$/;

/** iptables chains that only a container runtime, CNI plugin or kube-proxy creates, with whose they are. */
const CONTAINER_CHAINS: [RegExp, string][] = [
  [/^DOCKER(-|$)/, 'Docker'],
  [/^NETAVARK-/, 'Podman (netavark)'],
  [/^CNI-/, 'CNI plugins'],
  [/^KUBE-ROUTER-/, 'kube-router'],
  [/^KUBE-/, 'kube-proxy/kubelet'],
  [/^cali-/, 'Calico'],
  [/^CILIUM_/, 'Cilium'],
  [/^FLANNEL-/, 'flannel'],
  [/^WEAVE/, 'Weave'],
  [/^AWS-(SNAT|CONNMARK)-CHAIN-/, 'AWS VPC CNI'],
];

/** nftables tables of container networking: netavark's, Docker 29's, kube-proxy's nftables mode, Calico's nftables data plane. */
const CONTAINER_NFT_TABLES = /^(netavark|docker-bridges|kube-proxy|calico)$/;

/** The units that run a kubelet: kubeadm's, k3s, RKE2, k0s, MicroK8s (dotted snap names carry their suffix), Charmed Kubernetes, OpenShift 3. */
export const KUBERNETES_UNITS = [
  'kubelet',
  'k3s',
  'k3s-agent',
  'rke2-server',
  'rke2-agent',
  'k0scontroller',
  'k0sworker',
  'snap.microk8s.daemon-kubelite.service',
  'snap.kubelet.daemon.service',
  'atomic-openshift-node',
  'origin-node',
];

/** the docker snap runs dockerd as snap.docker.dockerd.service, with no docker.service */
const RUNTIME_UNITS = ['docker', 'snap.docker.dockerd.service', 'containerd', ...KUBERNETES_UNITS, 'snap.microk8s.daemon-containerd.service', 'crio', 'podman'];

/** Short phrases naming what shows a container runtime on the node; empty when nothing does. */
export function containerHostEvidence(artifacts: NodeArtifacts): string[] {
  const seen: string[] = [];
  for (const unit of RUNTIME_UNITS) {
    const states = findService(artifacts.services ?? [], unit);
    if (isEnabled(states) || isActive(states)) seen.push(`${unit.replace(/\.service$/, '')}.service ${isActive(states) ? 'active' : 'enabled'}`);
  }
  const dockerd = dockerdSettings(artifacts.dockerDaemon);
  // a rootless dockerd's bridge, rules and forwarding live in RootlessKit's namespace, not the host's
  if (dockerd.running && !dockerd.rootless) seen.push(`dockerd running (${dockerd.commandLine!.ref.file})`);
  if (!dockerd.rootless && (artifacts.dockerDaemon ?? []).some((d) => (d.origin ?? 'daemon.json') === 'daemon.json')) seen.push('docker daemon.json');
  // the bridges and tunnels a container runtime or CNI plugin creates (ip addr)
  const itfs = [...interfacesOf(artifacts.ipAddr ?? []).values()]
    .filter((i) => CONTAINER_INTERFACE.test(i.name) || (i.name === 'tunl0' && i.addresses.some((a) => a.family === 4)))
    .map((i) => i.name);
  if (itfs.length > 0) seen.push(`${itfs.slice(0, 2).join(', ')} in ip addr`);
  // (a rootless dockerd's networks are in RootlessKit's namespace)
  if (!dockerd.rootless && (artifacts.dockerNetworks ?? []).some((d) => d.networks.length > 0)) seen.push('docker networks');
  // the rules they write: iptables chains (iptables-save, or iptables-nft's tables of an nft listing), native nftables tables
  const owners = new Map<string, string>();
  for (const rs of artifacts.iptables ?? []) {
    if (rs.origin !== 'live') continue;
    for (const t of Object.values(rs.tables))
      for (const c of Object.keys(t.chains)) {
        const hit = CONTAINER_CHAINS.find(([re]) => re.test(c));
        if (hit && !owners.has(hit[1])) owners.set(hit[1], c);
      }
  }
  if (owners.size > 0) seen.push(`${[...owners.keys()].slice(0, 2).join(' and ')} chains (${[...owners.values()].slice(0, 2).join(', ')})`);
  const tables = new Set<string>();
  for (const n of artifacts.nftables ?? []) for (const t of n.tables) if (!t.iptablesCompat && CONTAINER_NFT_TABLES.test(t.name)) tables.add(`table ${t.family} ${t.name}`);
  if (tables.size > 0) seen.push(`nftables ${[...tables].slice(0, 2).join(', ')}`);
  for (const s of artifacts.sysctl ?? []) {
    if ([...s.values.keys()].some((k) => k.startsWith('net.bridge.bridge-nf-call'))) {
      seen.push('br_netfilter loaded');
      break;
    }
  }
  return seen;
}

/** What the unit state says of dockerd: running, not running (failed / inactive), or nothing known. */
export interface DockerdState {
  running: boolean | undefined;
  /** failed, inactive, deactivating, ... when not running; `unreachable` where docker info / docker version alone say the CLI could not reach it */
  state?: string;
  /** the unit-state line that says so */
  evidence?: Evidence;
}

/**
 * docker.service's run state from `systemctl list-units` / troubleshoot's systemctl JSON. A socket
 * that listens (docker.socket active) does not make dockerd run: only docker.service counts. Without
 * a word from systemd: dockerd in the process listing; else docker info's (or docker version's) error
 * that no daemon answered (`Cannot connect to the Docker daemon at ...`, 29's `failed to connect to the
 * docker API at ...`): state `unreachable`; else the process listing without dockerd.
 */
export function dockerdState(artifacts: NodeArtifacts): DockerdState {
  const states = findService(artifacts.services ?? [], 'docker');
  const active = isActive(states);
  if (active) return { running: true, state: active.active, evidence: { file: active.ref.file, line: active.ref.line, excerpt: active.excerpt, note: `docker.service is ${active.active}` } };
  const down = states.find((s) => s.active === 'failed') ?? states.find((s) => s.active === 'inactive' || s.active === 'deactivating');
  if (down)
    return {
      running: false,
      state: down.active,
      evidence: { file: down.ref.file, line: down.ref.line, excerpt: down.excerpt, note: `docker.service is ${down.active}${down.sub && down.sub !== down.active ? ` (${down.sub})` : ''}: dockerd is not running` },
    };
  // `systemctl list-units` (sos runs it without --all) lists the loaded units that are active or
  // failed: a docker.service enabled but absent from it is not running (stopped, or never started)
  const listing = (artifacts.services ?? []).find((l) => /list-units(?!-files)/.test(l.file) && l.services.some((x) => x.active !== undefined && x.unit.endsWith('.service')));
  if (listing && states.length > 0 && states.every((x) => x.active === undefined)) {
    const enabled = isEnabled(states);
    if (enabled)
      return {
        running: false,
        state: 'inactive',
        evidence: { file: listing.file, line: 0, excerpt: 'docker.service is not among the loaded units listed', note: `enabled (${enabled.ref.file}:${enabled.ref.line}) but not active or failed: dockerd is not running` },
      };
  }
  // no word from systemd (a hand-made bundle, a host without systemd): the process listing
  const ps = dockerdSettings(artifacts.dockerDaemon);
  if (ps.running === true && ps.commandLine?.from === 'process')
    return { running: true, state: 'running', evidence: { file: ps.commandLine.ref.file, line: ps.commandLine.ref.line, excerpt: ps.commandLine.excerpt, note: 'dockerd is running (process listing)' } };
  // docker info / docker version could not reach the daemon when the bundle was collected
  const unreachable = daemonUnreachable(dockerEngine(artifacts.dockerDaemon));
  if (unreachable)
    return {
      running: false,
      state: 'unreachable',
      evidence: { file: unreachable.ref.file, line: unreachable.ref.line, excerpt: unreachable.excerpt, note: 'docker info could not reach the daemon: dockerd was not running (or not on its socket) when the bundle was collected' },
    };
  if (ps.running === false) {
    const listing = (artifacts.dockerDaemon ?? []).find((d) => d.origin === 'process');
    if (listing) return { running: false, state: 'not running', evidence: { file: listing.file, line: 0, excerpt: 'no dockerd in the process listing', note: 'dockerd is not running' } };
  }
  return { running: undefined };
}

/**
 * The interface a packet to `dst` leaves by, for an IPv4 or an IPv6 destination: the most specific
 * route of the main table of that family, the lowest metric among equals (not an IPv6
 * source-specific `from` route), else undefined.
 * `0.0.0.0/0` / `::/0` ask for the default route.
 */
export function routeDevFor(artifacts: NodeArtifacts, dst: string): string | undefined {
  const to = parseCidr(dst);
  if (!to) return undefined;
  const any = to.family === 4 ? '0.0.0.0/0' : '::/0';
  let best: { prefix: number; metric: number; dev: string } | undefined;
  for (const t of artifacts.routes ?? [])
    for (const r of t.routes) {
      if (!r.dev || (r.table && r.table !== 'main') || (r.type && r.type !== 'unicast') || (r.from && r.from !== any)) continue;
      const c = parseCidr(r.destination === 'default' ? any : r.destination.includes('/') ? r.destination : `${r.destination}/${to.family === 4 ? 32 : 128}`);
      if (!c || c.family !== to.family || !cidrContains(c, to)) continue;
      // the most specific route; among equals, the lowest metric (the kernel's choice)
      const metric = r.metric ?? 0;
      if (!best || c.prefix > best.prefix || (c.prefix === best.prefix && metric < best.metric)) best = { prefix: c.prefix, metric, dev: r.dev };
    }
  return best?.dev;
}

/**
 * A rule as `iptables -A CHAIN <spec>` would take it (for `iptables -D CHAIN <spec>` and to find it in
 * a saved configuration): its own text in iptables-save / -S dumps; rebuilt from the model for a
 * listing (`iptables -L -n -v`), unless the listing hid something (an unknown match, a name it
 * resolved): then undefined, and the caller names the rule by number instead.
 */
export function ruleSpec(rule: Rule): string | undefined {
  if (/^(?:-A|--append)\s/.test(rule.text)) return specOfText(rule);
  if (rule.incomplete?.length || !rule.target || rule.targetKind === 'goto') return undefined;
  // iptables -D compares the matches in order, and the model keeps the comment apart from the
  // others: where `-m comment` stood among them (`-m comment ... -m conntrack ...` or the other way
  // round) a listing does not reliably say, so a spec rebuilt with it in any one place can be a
  // "Bad rule". Then the rule is named by its number in the chain instead.
  if (rule.comment !== undefined && rule.matches.length > 0) return undefined;
  const parts: string[] = [];
  const field = (flag: string, v: { value: string; negated: boolean } | undefined, any?: string) => {
    if (v && v.value !== any) parts.push(`${v.negated ? '! ' : ''}${flag} ${v.value}`);
  };
  field('-s', rule.source, '0.0.0.0/0');
  field('-d', rule.destination, '0.0.0.0/0');
  field('-i', rule.inInterface);
  field('-o', rule.outInterface);
  if (rule.protocol && !['all', '0'].includes(rule.protocol.value)) field('-p', rule.protocol);
  for (const m of rule.matches) {
    if (m.module === 'unknown' || m.options.length === 0) return undefined;
    // as iptables-save writes it, not the listing's text (`tcp dpt:5432`)
    parts.push(matchText({ module: m.module, options: m.options }));
  }
  if (rule.comment) parts.push(`-m comment --comment ${JSON.stringify(rule.comment)}`);
  parts.push(`-j ${rule.target}`, ...Object.entries(rule.targetOptions).map(([k, v]) => `--${k} ${v}`));
  return parts.join(' ');
}

/** Bridges the bridge CNI plugins create for pods: the CNI bridge plugin (flannel's too), kubenet, kube-router, Weave. */
const POD_BRIDGE = /^(cni0|cbr0|kube-bridge|weave)$/;
/** Interfaces of CNIs that route each pod's veth instead of bridging it: Calico, Cilium (and their tunnels), the AWS VPC CNI's eni* veths. */
const ROUTED_POD_INTERFACE = /^(cali[0-9a-f]{11}|vxlan\.calico|vxlan-v6\.calico|cilium_host|cilium_net|cilium_vxlan|cilium_geneve|lxc[0-9a-f]{8,}|lxc_health|eni[0-9a-f]{11})$/;

export interface PodNetworking {
  /** pods (or containers beside kube-proxy) sit on a Linux bridge: what shows it */
  bridged: Evidence[];
  /** pods sit on routed veths (Calico, Cilium): what shows it */
  routed: Evidence[];
  /** pods sit on Open vSwitch ports (OVN-Kubernetes, Antrea): no Linux bridge, br_netfilter plays no part */
  ovs: Evidence[];
}

/** OVN-Kubernetes' and Antrea's interfaces: the management port, the Geneve tunnel, the OVS integration bridge, Antrea's gateway. */
const OVS_POD_INTERFACE = /^(ovn-k8s-mp\d+|genev_sys_6081|br-int|antrea-gw0|antrea-tun0)$/;

/**
 * How the node connects its pods, as far as the bundle shows: on a Linux bridge (the bridge CNI
 * plugin's cni0, flannel, kubenet's cbr0, kube-router, Weave; a docker0 or br-* with containers on
 * a node with kube-proxy rules), or on routed veths (Calico's cali*, Cilium's lxc*). Only bridged
 * traffic needs br_netfilter: routed traffic passes iptables anyway.
 */
export function podNetworking(artifacts: NodeArtifacts): PodNetworking {
  const bridged: Evidence[] = [];
  const routed: Evidence[] = [];
  const ovs: Evidence[] = [];
  const itfs = interfacesOf(artifacts.ipAddr ?? []);
  const at = (i: { name: string; ref: { file: string; line: number } }, note: string): Evidence => ({ file: i.ref.file, line: i.ref.line, excerpt: i.name, note });
  const members = (bridge: string) => [...itfs.values()].filter((i) => i.master === bridge && (i.kind === 'veth' || i.peer !== undefined || /^veth/.test(i.name)));
  const kubeProxy = kubeProxyRules(artifacts);
  for (const i of itfs.values()) {
    if (POD_BRIDGE.test(i.name)) bridged.push(at(i, `${i.name}: the bridge pods are attached to`));
    else if (/^flannel(\.\d+|-wg)$/.test(i.name) && !itfs.has('cni0')) bridged.push(at(i, `${i.name}: flannel's CNI puts pods on the cni0 bridge`));
    else if ((i.name === 'docker0' || /^br-[0-9a-f]{12}$/.test(i.name)) && kubeProxy && members(i.name).length > 0)
      bridged.push(at(i, `${i.name} has ${members(i.name).length} container veth${members(i.name).length > 1 ? 's' : ''} attached, on a node with kube-proxy rules`));
    else if (ROUTED_POD_INTERFACE.test(i.name) && !i.master && routed.length < 2) routed.push(at(i, `${i.name}: pods on routed veths (no bridge)`));
    else if (OVS_POD_INTERFACE.test(i.name) && ovs.length < 2) ovs.push(at(i, `${i.name}: pods on Open vSwitch (OVN-Kubernetes / Antrea), not on a Linux bridge`));
  }
  // canal: flannel carries Calico's routed veths between nodes; no cni0 means no bridge
  if (routed.length > 0) {
    const flannelOnly = bridged.filter((e) => !/^flannel/.test(e.excerpt));
    bridged.length = 0;
    bridged.push(...flannelOnly);
  }
  if (itfs.size === 0) {
    // no ip addr: a rule that names the pod bridge (`-o weave`, `-i cni0`) shows the bridge itself;
    // else the CNI's chains say which it is
    for (const rs of artifacts.iptables ?? []) {
      if (rs.origin !== 'live' || bridged.length > 0) continue;
      // FORWARD first: pod traffic crosses it; then the other chains
      const chains = Object.values(rs.tables.filter?.chains ?? {}).sort((a, b) => Number(b.name === 'FORWARD') - Number(a.name === 'FORWARD'));
      for (const c of chains)
        for (const r of c.rules) {
          const named = [r.inInterface, r.outInterface].find((x) => x && !x.negated && POD_BRIDGE.test(x.value));
          if (named && bridged.length === 0)
            bridged.push({ file: r.ref.file, line: r.ref.line, excerpt: r.text, note: `${named.value}: the bridge pods are attached to (named by this ${c.name} rule)` });
        }
    }
    for (const rs of artifacts.iptables ?? []) {
      if (rs.origin !== 'live') continue;
      for (const t of Object.values(rs.tables))
        for (const c of Object.values(t.chains)) {
          if (/^(FLANNEL-|WEAVE|KUBE-ROUTER-)/.test(c.name) && bridged.length === 0) bridged.push({ file: c.ref.file, line: c.ref.line, excerpt: `chain ${c.name}`, note: 'a bridge CNI (flannel, Weave, kube-router) writes this chain' });
          if (/^(cali-|CILIUM_|AWS-(SNAT|CONNMARK)-CHAIN-)/.test(c.name) && routed.length === 0)
            routed.push({ file: c.ref.file, line: c.ref.line, excerpt: `chain ${c.name}`, note: 'Calico, Cilium or the AWS VPC CNI (pods on routed veths) writes this chain' });
          if (/^(OVN-KUBE-|ANTREA-)/.test(c.name) && ovs.length === 0) ovs.push({ file: c.ref.file, line: c.ref.line, excerpt: `chain ${c.name}`, note: 'OVN-Kubernetes or Antrea (pods on Open vSwitch) writes this chain' });
        }
    }
  }
  return { bridged, routed, ovs };
}

/** kube-proxy's Service rules: KUBE-SERVICES (iptables mode), KUBE-IPVS / kube-ipvs0 (ipvs mode), table kube-proxy (nftables mode). */
export function kubeProxyRules(artifacts: NodeArtifacts): Evidence | undefined {
  for (const rs of artifacts.iptables ?? []) {
    if (rs.origin !== 'live') continue;
    const c = rs.tables.nat?.chains['KUBE-SERVICES'] ?? rs.tables.filter?.chains['KUBE-SERVICES'];
    if (c) return { file: c.ref.file, line: c.ref.line, excerpt: 'chain KUBE-SERVICES', note: "kube-proxy's Service rules" };
  }
  const ipvs = interfacesOf(artifacts.ipAddr ?? []).get('kube-ipvs0');
  if (ipvs) return { file: ipvs.ref.file, line: ipvs.ref.line, excerpt: 'kube-ipvs0', note: 'kube-proxy in IPVS mode' };
  for (const n of artifacts.nftables ?? []) {
    const t = n.tables.find((x) => x.name === 'kube-proxy' && !x.iptablesCompat);
    if (t) return { file: t.ref.file, line: t.ref.line, excerpt: `table ${t.family} kube-proxy`, note: 'kube-proxy in nftables mode' };
  }
  return undefined;
}

/** One interface whose net.ipv4.conf.<itf>.forwarding decides whether the kernel forwards what arrives on it. */
export interface InterfaceForwarding {
  itf: string;
  /** container: a bridge, tunnel or routed veth of a runtime or CNI; gateway: OVN-Kubernetes' gateway bridge (br-ex); uplink: where the node's own traffic leaves */
  role: 'container' | 'gateway' | 'uplink';
  /** '1', '0', or undefined when the sysctl dump has no key for it */
  value?: string;
  evidence?: Evidence;
  /** the ip addr line of the interface */
  at: Evidence;
}

/** Dummies and devices that hold addresses but receive no packet to forward: kube-proxy's IPVS dummy, NodeLocal DNSCache's, kube-router's. */
const NOT_A_PATH = /^(kube-ipvs0|kube-dummy-if|nodelocaldns|lo)$/;

/** The sysctl key of an interface's IPv4 forwarding: a dotted name (flannel.1, eth0.100) is written with '/' in the dotted form. */
export function ipv4ForwardingKey(itf: string): string {
  return `net.ipv4.conf.${itf.replace(/\./g, '/')}.forwarding`;
}

/**
 * The IPv4 forwarding that counts, per interface. The kernel decides per INCOMING interface: a
 * packet not for the host is forwarded only when net.ipv4.conf.<in>.forwarding is 1 (ip_route_input
 * checks IN_DEV_FORWARD of the receiving device; net.ipv4.ip_forward and conf.all.forwarding are
 * only switches that write every interface's value at once, and conf.default the value of
 * interfaces created later). So with ip_forward = 0 a node still forwards container traffic when
 * the interfaces that traffic arrives on are set to 1 one by one: what OVN-Kubernetes does since
 * OpenShift 4.14 (`ipForwarding: Restricted`: br-ex and ovn-k8s-mp0 only).
 *
 * The interfaces that matter: the container-facing ones at layer 3 (bridges, tunnels, routed veths;
 * not the ports enslaved to a Linux or OVS bridge, whose packets the kernel routes as arriving on the
 * bridge), OVN-Kubernetes' gateway bridge, and the uplink (replies from the outside arrive there):
 * the default route's device, or without `ip route` every other interface with a global IPv4
 * address. Undefined when the bundle cannot tell: no ip addr, no container interface, or no
 * per-interface key in the sysctl dump (sysctl.json with ip_forward alone).
 */
export function ipv4ForwardingPaths(artifacts: NodeArtifacts): { paths: InterfaceForwarding[]; uplinkFrom: 'route' | 'addresses' } | undefined {
  const itfs = interfacesOf(artifacts.ipAddr ?? []);
  if (itfs.size === 0) return undefined;
  const sysctl = artifacts.sysctl ?? [];
  if (!sysctl.some((s) => [...s.values.keys()].some((k) => (/^net\.ipv4\.conf\.[^.]+\.forwarding$/.test(k) && !/\.(all|default)\./.test(k)) || /^net\/ipv4\/conf\/[^/]+\/forwarding$/.test(k)))) return undefined;
  const lookup = (itf: string) => {
    for (const s of sysctl) {
      const v = s.values.get(ipv4ForwardingKey(itf));
      if (v) return v;
    }
    return undefined;
  };
  const ovnk = itfs.has('ovn-k8s-mp0');
  const paths: InterfaceForwarding[] = [];
  const add = (i: { name: string; ref: { file: string; line: number } }, role: InterfaceForwarding['role']) => {
    if (paths.some((p) => p.itf === i.name)) return;
    const v = lookup(i.name);
    paths.push({
      itf: i.name,
      role,
      value: v?.value,
      evidence: v ? { file: v.ref.file, line: v.ref.line, excerpt: v.excerpt } : undefined,
      at: { file: i.ref.file, line: i.ref.line, excerpt: i.name },
    });
  };
  for (const i of itfs.values()) {
    if (i.master || NOT_A_PATH.test(i.name)) continue;
    if (CONTAINER_INTERFACE.test(i.name) || (i.name === 'tunl0' && i.addresses.some((a) => a.family === 4))) add(i, 'container');
    else if (ovnk && i.name === 'br-ex') add(i, 'gateway');
  }
  if (!paths.some((p) => p.role === 'container')) return undefined;
  const viaRoute = routeDevFor(artifacts, '0.0.0.0/0') ?? routeDevFor(artifacts, '8.8.8.8');
  if (viaRoute && itfs.has(viaRoute)) add(itfs.get(viaRoute)!, 'uplink');
  else
    for (const i of itfs.values())
      if (!i.master && !NOT_A_PATH.test(i.name) && !CONTAINER_INTERFACE.test(i.name) && i.addresses.some((a) => a.family === 4 && !a.address.startsWith('127.') && !a.address.startsWith('169.254.') && a.scope !== 'host'))
        add(i, 'uplink');
  return { paths, uplinkFrom: viaRoute ? 'route' : 'addresses' };
}

/** What the node's Docker does when firewalld reloads (which removes the iptables rules of others), by its version. */
export interface FirewalldReloadAnswer {
  /** true: Docker re-creates all its rules on firewalld's reload signal, no restart needed; false: some stay gone until dockerd restarts */
  restoresAll: boolean;
  /** the version, with the docker info / docker version line it was read from */
  version: string;
  evidence: Evidence;
  /** one clause for a command's comment or a message */
  says: string;
  /**
   * where the version came from: the running engine (docker info / docker version) or, without those,
   * the installed package (`docker-ce 3:28.4.0-1.el9`): the daemon that runs may be older until restarted
   */
  from?: 'engine' | 'package';
}

/**
 * The packages that install Docker's engine, the daemon's own first: Docker's (docker-ce), Fedora's
 * (moby-engine), Debian's and Ubuntu's (docker.io), Alpine's (docker-engine), and the `docker` of RHEL 7,
 * Alpine's meta package and the docker snap. Not docker-ce-cli: the client says nothing of the daemon
 * it talks to (which may be on another host, or of another version).
 */
export const DOCKER_ENGINE_PACKAGES = ['docker-ce', 'moby-engine', 'docker.io', 'docker-engine', 'docker'] as const;

/**
 * Docker listens for firewalld's `Reloaded` D-Bus signal and writes its rules again (since
 * libnetwork#947, Docker 1.11), but for years not all of them: before 28.0.0 the network-isolation
 * rules stayed gone (CVE-2025-54410), 28.0.0-28.3.2 the per-container direct-access rules
 * (CVE-2025-54388, fixed by moby#50506 in 28.3.3), and Swarm's ingress rules until moby#50443
 * (29.0; its 28.x backport #50506 left them out). So `firewall-cmd --reload` alone is enough from
 * 28.3.3 on (29.0 on a Swarm node); older versions need dockerd restarted after it.
 *
 * The version is the running engine's (docker info / docker version) where the bundle has it;
 * else the installed engine package's (docker-ce, moby-engine, docker.io, ...), said to be the
 * package's (the daemon that runs may be older until it is restarted), Swarm then told by its
 * DOCKER-INGRESS chain or docker_gwbridge. Undefined where neither names a version: then the
 * remedies keep restarting it.
 */
export function dockerOnFirewalldReload(artifacts: NodeArtifacts): FirewalldReloadAnswer | undefined {
  const d = dockerVersion(artifacts);
  if (!d) return undefined;
  if (d.from === 'engine' && d.via !== 'log') {
    const swarm = swarmActive(artifacts) !== undefined;
    return { ...reloadAnswer(d.numbers, `Docker ${d.version}`, swarm), version: d.version, evidence: d.evidence, from: 'engine' };
  }
  // no docker info (the version from dockerd's log or the installed package): Swarm told by its chain or bridge
  const swarm = swarmSigns(artifacts);
  const source = d.via === 'log' ? `dockerd's latest logged start, ${d.evidence.file}:${d.evidence.line}` : `installed package ${d.label}; the running daemon may be older until restarted`;
  const who = `Docker ${d.version} (${source}${swarm ? `; a Swarm node: ${swarm}` : ''})`;
  return { ...reloadAnswer(d.numbers, who, swarm !== undefined), version: d.version, evidence: d.evidence, from: d.from };
}

/** The Docker engine's version and where it was read. */
export interface DockerVersion {
  /** `28.4.0`, `20.10.24+dfsg1` */
  version: string;
  numbers: [number, number, number];
  /** engine: docker info / docker version of the running daemon; package: the installed engine package (the daemon may be older until restarted) */
  from: 'engine' | 'package';
  /** the package and its full version (`docker-ce 3:28.4.0-1.el9`), for `from: 'package'` */
  label?: string;
  /**
   * `log`: an engine version read from dockerd's own start line in the logs (`msg="Docker daemon" ... version=26.1.3`),
   * the latest one, where the bundle has no docker info or docker version: the daemon that started then
   */
  via?: 'log';
  evidence: Evidence;
}

/**
 * The Docker engine's version: the running daemon's (docker info / docker version) where the bundle
 * has it, else the one dockerd named at its latest start in the logs (`msg="Docker daemon" ...
 * version=26.1.3`, log.docker-daemon-version), else the installed engine package's
 * (DOCKER_ENGINE_PACKAGES); undefined where none says. The logged start comes before the package:
 * the package may have been upgraded without dockerd restarting, and a restart logs a new line.
 */
export function dockerVersion(artifacts: NodeArtifacts): DockerVersion | undefined {
  const v = dockerEngine(artifacts.dockerDaemon)?.serverVersion;
  const n = v ? dockerVersionNumbers(v.value) : undefined;
  if (v && n) return { version: v.value, numbers: n, from: 'engine', evidence: { file: v.ref.file, line: v.ref.line, excerpt: v.excerpt, note: `the Docker engine's version (${v.value})` } };
  const logged = loggedDockerVersion(artifacts);
  if (logged) return logged;
  const pkg = installedPackage(artifacts, DOCKER_ENGINE_PACKAGES);
  const pn = pkg ? dockerVersionNumbers(pkg.upstream) : undefined;
  if (!pkg || !pn) return undefined;
  return {
    version: pkg.upstream,
    numbers: pn,
    from: 'package',
    label: packageLabel(pkg),
    evidence: packageEvidence(pkg, `the installed Docker engine package (${packageLabel(pkg)}): the bundle has no docker info or docker version naming the running engine's version`),
  };
}

/** dockerd's latest logged start (log.docker-daemon-version): the version of the daemon that started then. */
function loggedDockerVersion(artifacts: NodeArtifacts): DockerVersion | undefined {
  const m = latestDaemonVersionLine(artifacts.logs, (v) => dockerVersionNumbers(v) !== undefined);
  const numbers = m ? dockerVersionNumbers(m.facts.version) : undefined;
  if (!m || !numbers) return undefined;
  const at = m.timestamp ? ` at ${m.timestamp.iso.replace(/\.\d+Z$/, 'Z')}` : '';
  return {
    version: m.facts.version,
    numbers,
    from: 'engine',
    via: 'log',
    evidence: { file: m.file, line: m.line, excerpt: m.excerpt, ...(m.timestamp ? { time: m.timestamp.iso, ...(m.timestamp.yearInferred ? { yearInferred: true as const } : {}) } : {}), note: `dockerd's latest logged start${at} names its version (${m.facts.version}): the bundle has no docker info or docker version` },
  };
}

function reloadAnswer(n: [number, number, number], who: string, swarm: boolean): { restoresAll: boolean; says: string } {
  const atLeast = (m: number, i: number, p: number) => n[0] > m || (n[0] === m && (n[1] > i || (n[1] === i && n[2] >= p)));
  if (swarm)
    return atLeast(29, 0, 0)
      ? { restoresAll: true, says: `${who} re-creates all its rules, Swarm's too, when firewalld reloads (29.0+, moby#50443): no restart needed` }
      : { restoresAll: false, says: `${who} on a Swarm node does not re-create Swarm's ingress rules when firewalld reloads (29.0 does, moby#50443): restart it after the reload` };
  return atLeast(28, 3, 3)
    ? { restoresAll: true, says: `${who} re-creates its rules when firewalld reloads (28.3.3+, moby#50506): no restart needed` }
    : {
        restoresAll: false,
        says: `${who} does not re-create all its rules when firewalld reloads (${atLeast(28, 0, 0) ? 'its direct-access rules stay gone until 28.3.3, CVE-2025-54388' : 'its network-isolation rules stay gone until 28.0, CVE-2025-54410'}): restart it after the reload`,
      };
}

/** docker info's `Swarm: active` (or `locked`): the node is in a Swarm; `inactive`, `pending`, `error` are not. */
export function swarmActive(artifacts: NodeArtifacts): NonNullable<ReturnType<typeof dockerEngine>>['swarm'] | undefined {
  const s = dockerEngine(artifacts.dockerDaemon)?.swarm;
  return s && /^(active|locked)$/i.test(s.value) ? s : undefined;
}

/** Without docker info's Swarm line: Swarm's own chain (DOCKER-INGRESS) or bridge (docker_gwbridge) shows a Swarm node. */
function swarmSigns(artifacts: NodeArtifacts): string | undefined {
  for (const rs of artifacts.iptables ?? []) {
    if (rs.origin !== 'live') continue;
    for (const t of Object.values(rs.tables)) if (t.chains['DOCKER-INGRESS']) return `chain DOCKER-INGRESS in ${t.chains['DOCKER-INGRESS'].ref.file}`;
  }
  const gw = interfacesOf(artifacts.ipAddr ?? []).get('docker_gwbridge');
  return gw ? `docker_gwbridge in ${gw.ref.file}` : undefined;
}
