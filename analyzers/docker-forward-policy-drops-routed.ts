/**
 * docker.forward-policy-drops-routed: Docker's filter FORWARD policy DROP cuts off the host's own routing
 * between interfaces that are not containers' (a router's LAN and WAN, a VPN gateway's tunnel, OpenWrt's
 * br-lan), in IPv4 or IPv6. The containers work; everything else the host forwards is dropped.
 *
 * Not the "bridge beside Docker" case: LXD's, Incus', LXC's and libvirt's bridges are traced by
 * iptables.forward-blocks-containers (otherBridgeOwner); their interfaces are left out here.
 *
 * Why the policy is DROP (versions checked against the moby sources and threads):
 * - IPv4: Docker sets filter FORWARD to DROP when it turns net.ipv4.ip_forward on itself (it was 0
 *   when dockerd started, e.g. before the router's own sysctl ran: moby/libnetwork#1526, Docker 1.13).
 * - IPv6: Docker 27.x, which manages ip6tables by default, sets ip6tables' FORWARD policy to DROP whenever
 *   it starts with ip6tables on, even with no IPv6 network (openwrt/packages#24492, moby/moby#48365);
 *   28.0 sets it only when it turns IPv6 forwarding on itself (moby/moby#48594), and adds the daemon
 *   option `ip-forward-no-drop` (docker/cli#5598) that never sets it.
 *
 * Fires when: filter FORWARD of a family has policy DROP, jumps to DOCKER-USER (Docker's chains), no
 * other firewall owns the chain (ufw, firewalld's iptables back end), and the bundle shows the node routes
 * traffic that is not Docker's:
 * - counted drops no Docker rule could have accepted: no ACCEPT is reachable from FORWARD in that family
 *   (no Docker network of the family) and packets entered FORWARD (the counters of its rules, or the
 *   policy's own counter): every one of them was dropped and none was a container's (the OpenWrt case);
 *   where the dump lacks only DOCKER-USER's rules (`nft list chain ip6 filter FORWARD`, moby/moby#48392), the
 *   same, hedged: Docker puts no accept in DOCKER-USER, so only the administrator's own could have taken them
 *   (never critical then); without ip addr that alone is a warning asking for ip addr and ip -6 route;
 * - or two or more non-container interfaces with global addresses of the family, and a sign the node
 *   routes between them: OpenWrt's fw4 table or br-lan, forwarding set by the administrator (sysctl.conf,
 *   sysctl.d), a source NAT (MASQUERADE, SNAT) of a non-container interface's subnet, or a VPN interface
 *   (wg*, tailscale*, tun*, ppp*, zt*) with policy drops Docker's own rules cannot account for. Never two
 *   plain NICs alone, a VPN's name alone, nor policy drops that packets bound for a container bridge and
 *   fallen through Docker's chain (Docker 27's `-o docker0 -j DOCKER`) explain (R16 c03, c05).
 * An interface counts as accepted when an accept reachable from FORWARD takes its outbound traffic (by
 * interface, by a source covering its subnet, or by Tailscale's mark-then-accept) and one takes the replies
 * (by interface or destination, or a RELATED,ESTABLISHED accept) (R16 c04).
 * Not when ip addr shows fewer than two such interfaces (a plain Docker host: eth0 and docker0), nor when
 * accepts reachable from FORWARD (DOCKER-USER's, or the administrator's in FORWARD) already let each
 * routed interface's traffic through.
 * Critical where drops are counted and the node is a router (fw4 table, br-lan); a warning otherwise.
 *
 * On a Kubernetes node (FORWARD jumps to KUBE-FORWARD, cali-FORWARD, FLANNEL-FWD, ...) the same DROP meets the
 * traffic the node forwards for pods: podCheck, a warning when the policy counted drops and no rule accepts the pod
 * network (rancher/rke#485: kube-proxy without --cluster-cidr; Docker 17.03 had no DOCKER-USER, so no jump to it is needed).
 * A pod-network interface with an address of the family in ip addr (flannel.1, cni0, tunl0, vxlan.calico) is a sign too
 * (kubernetes/kubernetes#39823: flannel before 0.10 wrote no FORWARD rule). With the policy's counter 0 or no counters, the
 * drop is read from the rules alone (projectcalico/canal#31: felix-FORWARD, Calico <= 2.0, accepts only cali*): a warning
 * when every chain FORWARD reaches is in the dump, info when it rests on chains assumed as their owner writes them
 * (felix-FORWARD, cali-FORWARD, DOCKER-USER), nothing but a coverage note when ip addr or another chain's rules are missing.
 *
 * os-release (OPENWRT_RELEASE) is not an artifact of the project yet: OpenWrt is known here by fw4's
 * `table inet fw4` and its br-lan bridge.
 */
import { iptablesChainsCutNote, iptablesDumpCutNote } from './lib/nft-cut.js';
import { defineAnalyzer, type FindingDraft, type Partly } from '../src/engine/analyzer.js';
import type { NodeArtifacts } from '../src/engine/artifacts.js';
import type { Evidence } from '../src/report/schema.js';
import type { Chain, Rule } from '../src/netfilter/rules.js';
import { iptablesTool } from '../src/netfilter/commands.js';
import { interfacesOf, type Interface } from '../src/parsers/interfaces.js';
import { effectiveConfig, runtimeValue } from '../src/parsers/sysctl.js';
import { cidrContains, cidrOverlap, isLinkLocal6, parseCidr } from '../src/parsers/cidr.js';
import { liveViews, liveViews6, nativeNftables, otherBridgeOwner, reachableChains, type BackendView } from './lib/node-view.js';
import { dockerVersion, routeDevFor } from './lib/container-host.js';
import { distinctEvidence } from './lib/evidence.js';

const ID = 'docker.forward-policy-drops-routed';

/** Interfaces that are containers', VMs' or a CNI's, or carry nothing to route: never a routed end here. */
const NOT_ROUTED =
  /^(lo|docker0|docker_gwbridge|br-[0-9a-f]{12}|veth.*|podman\d+|cni-podman\d+|cni0|cbr0|flannel[.-].*|cali[0-9a-f]{11}|vxlan[.-].*|cilium_.*|lxc.*|weave|datapath|kube-.*|nodelocaldns|antrea-.*|ovn-k8s-.*|genev_sys_\d+|eni[0-9a-f]{11}|tunl0|dummy\d*|sit\d+|ip6tnl\d+|ip6gre\d+|gre\d+|gretap\d+|erspan\d+|ifb\d+|nlmon\d+)$/;
/** Interfaces whose traffic a host routes by design: a VPN's tunnel, a PPP uplink, OpenWrt's LAN bridge. */
const ROUTER_INTERFACE = /^(br-lan|wg[\w-]*|tailscale\d*|tun\d+|ppp\d+|pppoe-[\w-]+|zt[\w]+|nebula\d*|wt\d+)$/;
/** Chains of another firewall that also sets FORWARD's policy (its drop, not Docker's). */
const OTHER_FIREWALL_CHAIN = /^(ufw6?-|FORWARD_(direct|IN_ZONES|OUT_ZONES)$|f2b-|FWDI_|FWDO_)/;
const MAX_INTERNAL = 4;

interface Routed {
  itf: Interface;
  address: string;
}

export default defineAnalyzer({
  id: ID,
  title: "Docker's FORWARD policy DROP drops the host's own routing",
  description: "Docker set filter FORWARD (or ip6tables' FORWARD) to policy DROP, and the node routes between interfaces that are not containers' (a router, a VPN gateway), or is a Kubernetes node whose pod network no rule accepts while the policy counts drops: that traffic is dropped.",
  scope: 'node',
  requires: ['iptables'],
  optional: ['ipAddr', 'routes', 'sysctl', 'sysctlConfig', 'nftables', 'dockerDaemon', 'packages'],
  analyze({ node, artifacts, partly }) {
    const out: FindingDraft[] = [];
    for (const family of [4, 6] as const) {
      const views = family === 4 ? liveViews(artifacts) : liveViews6(artifacts);
      for (const view of views) {
        const f = check(node, artifacts, family, view, partly);
        if (f && heldByCut(view, `${family === 6 ? 'IPv6' : 'IPv4'}: whether ${node}'s FORWARD policy DROP drops routed traffic was not decided`, partly)) break;
        if (f) {
          out.push(f);
          break;
        }
      }
      // a Kubernetes node: the traffic it forwards for pods (rancher/rke#485)
      for (const view of views) {
        const f = podCheck(node, artifacts, family, view, partly);
        if (f && heldByCut(view, `${family === 6 ? 'IPv6' : 'IPv4'}: whether ${node}'s FORWARD policy DROP drops the pod network's traffic was not decided`, partly)) break;
        if (f) {
          out.push(f);
          break;
        }
      }
    }
    return out;
  },
});

/** kube-proxy's and the network plugins' chains FORWARD jumps to: the node forwards pods' traffic. */
const POD_FORWARD_CHAIN = /^(KUBE-FORWARD|cali-FORWARD|felix-FORWARD|FLANNEL-FWD|KUBE-ROUTER-FORWARD|CILIUM_FORWARD|WEAVE-NPC|WEAVE-NPC-EGRESS|WEAVE-EXPOSE|ANTREA-FORWARD)$/;
/**
 * Calico's chains, as Calico writes them, accept only the traffic of this node's own pods: felix-FORWARD (Calico 2.0 and
 * earlier: `-i cali+ -j ACCEPT`, `-o cali+ -j ACCEPT`), cali-FORWARD (the same in 2.x-3.x, then by its policy mark
 * 0x10000). Traffic the node forwards between its uplink and the overlay or tunnel (a NodePort for a pod on another node,
 * projectcalico/canal#31, rancher/rke#485) never crosses a cali* interface. Where the dump does not hold their rules,
 * that is what is assumed.
 */
const WORKLOAD_ONLY_CHAIN = /^(felix-FORWARD|cali-FORWARD)$/;
/** Docker's own chains: they accept only what goes to or comes from Docker's bridges, never the pods' overlay. */
const DOCKER_OWN_CHAIN = /^DOCKER(-ISOLATION(-STAGE-[12])?|-FORWARD|-BRIDGE|-CT|-INTERNAL|-INGRESS)?$/;
/**
 * Interfaces that show the node carries a pod network or overlay (a sign even where FORWARD jumps to no plugin chain:
 * kubeadm 1.5 with flannel and Docker 1.13, kubernetes/kubernetes#39823): with an address of the family, so that a
 * `tunl0` the ipip module creates on any host (DOWN, no address) is not one.
 */
const POD_SIGN_INTERFACE = /^(cni0|cbr0|kube-bridge|flannel\.\d+|flannel-v6\.\d+|flannel-wg(-v6)?|tunl0|vxlan\.calico|vxlan-v6\.calico|wireguard\.cali|cilium_host|weave|antrea-gw0)$/;
/** Targets that are not chains (a jump to one of them is not a chain the dump lacks). */
const BUILTIN_TARGET = /^(ACCEPT|DROP|REJECT|RETURN|LOG|NFLOG|ULOG|MARK|CONNMARK|CT|NOTRACK|TRACE|AUDIT|CHECKSUM|CLASSIFY|DSCP|TCPMSS|TOS|TTL|HL|SET|NFQUEUE|QUEUE|MASQUERADE|SNAT|DNAT|REDIRECT|TEE)$/;
/** The interfaces pods' traffic between nodes (and to this node's pods) crosses: overlays, tunnels, pod bridges. */
const POD_INTERFACE = /^(cni0|cbr0|kube-bridge|flannel[.-][\w.-]*|tunl0|vxlan\.calico|vxlan-v6\.calico|wireguard\.cali|cilium_[\w]+|weave|antrea-gw0|cali\+?)$/;
const ANY = /^(0\.0\.0\.0\/0|::\/0|0\/0)$/;

/**
 * An accept that lets the pod network's forwarded traffic through (kubernetes/kubernetes#52569, projectcalico/calico#2230):
 * - no condition at all (`-j ACCEPT`);
 * - by address, a network other than "any" (`-s`/`-d`), alone or with RELATED,ESTABLISHED: kube-proxy's
 *   `--cluster-cidr` rules ("kubernetes forwarding conntrack pod source/destination rule"), flannel's
 *   FLANNEL-FWD, MicroK8s' accepts;
 * - RELATED,ESTABLISHED with no interface or address (kube-proxy 1.2x's "kubernetes forwarding conntrack rule"):
 *   the replies, the ones rke#485 lost;
 * - by a pod or overlay interface (`-i flannel.1`, `-o cni0`, `-i tunl0`), alone or with RELATED,ESTABLISHED.
 * Calico's accepts of its own workload interfaces (`-i cali+`) do not count: traffic the node forwards between
 * its uplink and the tunnel (a NodePort's, rke#485) never crosses them.
 */
function podAccept(r: Rule): 'all' | 'address' | 'replies' | 'interface' | undefined {
  if (r.target !== 'ACCEPT' || r.protocol || r.fragment) return undefined;
  const m = r.matches;
  const replies = m.length === 1 && repliesOnly(r);
  if (m.length > 0 && !replies) return undefined;
  const addr = (a: Rule['source']) => !!a && !a.negated && !ANY.test(a.value);
  const anyAddr = (a: Rule['source']) => !a || (!a.negated && ANY.test(a.value));
  const podItf = (i: Rule['inInterface']) => !!i && !i.negated && POD_INTERFACE.test(i.value) && !/^cali\+?$/.test(i.value);
  if (!r.inInterface && !r.outInterface && anyAddr(r.source) && anyAddr(r.destination)) return m.length === 0 ? 'all' : 'replies';
  if (!r.inInterface && !r.outInterface && (addr(r.source) || addr(r.destination))) return 'address';
  if ((podItf(r.inInterface) || podItf(r.outInterface)) && anyAddr(r.source) && anyAddr(r.destination)) return 'interface';
  return undefined;
}

/**
 * docker.forward-policy-drops-routed, pods: a Kubernetes node (FORWARD jumps to kube-proxy's KUBE-FORWARD or a
 * network plugin's chain, or ip addr shows the pod network's interfaces) with Docker's chains, whose FORWARD policy
 * is DROP, and where no rule before the policy accepts the pod network (podAccept). rancher/rke#485: Calico, RKE's kube-proxy
 * without --cluster-cidr (so KUBE-FORWARD accepted only kube-proxy's marked packets, not their replies), Docker
 * 17.03's DROP: a NodePort answered only on the node running the pod, the policy counting each try.
 * Silent where an accept covers the pod network (kube-proxy with --cluster-cidr, kube-proxy 1.2x's bare
 * RELATED,ESTABLISHED accept, flannel's FLANNEL-FWD), where the policy counted nothing beyond packets for
 * Docker's bridges, or where another firewall (ufw, firewalld) owns the chain. A warning: a policy counter does
 * not say whose packets it dropped. With the counter 0 or no counters, the drop is read from the rules alone
 * (H101): a warning when every chain FORWARD reaches is in the dump, info when it rests on chains assumed as
 * their owner writes them, a coverage note when ip addr or another chain's rules are missing.
 */
/**
 * A finding on a cut iptables dump (a `...` in a paste, a table without COMMIT, sos's .tailed): the accept it misses may
 * be in the part left out, so it is held back (said in the coverage), unless the FORWARD policy's own counter shows it
 * dropped packets. Cut nft listings are judged chain by chain in check / podCheck (iptablesChainsCutNote).
 */
function heldByCut(view: BackendView, what: string, partly: Partly | undefined): boolean {
  const cut = iptablesDumpCutNote(view);
  if (!cut || (view.tables.get('filter')?.get('FORWARD')?.policyCounters?.packets ?? 0) > 0) return false;
  partly?.(`${what}: ${cut}; collect the whole iptables-save -c`, ['iptables']);
  return true;
}

function podCheck(node: string, artifacts: NodeArtifacts, family: 4 | 6, view: BackendView, partly: Partly | undefined): FindingDraft | undefined {
  const filter = view.tables.get('filter');
  const fwd = filter?.get('FORWARD');
  if (!filter || !fwd || fwd.policy?.toUpperCase() !== 'DROP') return undefined;
  if ([...filter.keys()].some((c) => OTHER_FIREWALL_CHAIN.test(c))) return undefined;
  const dockerJump = fwd.rules.find((r) => r.target && /^DOCKER(-|$)/.test(r.target));
  if (!dockerJump) return undefined;
  const podJumps = fwd.rules.filter((r) => r.target && POD_FORWARD_CHAIN.test(r.target));
  // the pod network's interfaces in ip addr (flannel.1, cni0, tunl0 with an address of the family): a sign of its own
  const ipItfs = interfacesOf(artifacts.ipAddr ?? []);
  const signs = [...ipItfs.values()].filter((i) => POD_SIGN_INTERFACE.test(i.name) && i.addresses.some((a) => a.family === family && a.scope !== 'link' && a.scope !== 'host' && !(family === 6 && isLinkLocal6(a.address))));
  if (podJumps.length === 0 && signs.length === 0) return undefined;
  const fam = family === 6 ? 'IPv6' : 'IPv4';
  const reached = [fwd, ...[...reachableChains(filter, 'FORWARD')].map((c) => filter.get(c)).filter((c): c is Chain => !!c)];
  // chains jumped to from what FORWARD reaches that the dump does not hold (a listing of FORWARD alone)
  // (and chains declared whose rules a cut dump may have left out: Chain.unlisted, an `iptables -S` cut among them, flannel-io/flannel#1321)
  const unlistedAll = [
    ...new Set([
      ...reached.flatMap((c) => c.rules.map((r) => r.target)).filter((t): t is string => !!t && !filter.has(t) && !BUILTIN_TARGET.test(t)),
      ...reached.filter((c) => c.unlisted).map((c) => c.name),
    ]),
  ];
  // FORWARD read from a cut-off nft listing: an accept past the cut (in FORWARD or a chain it jumps to) is not in the file
  const cut = iptablesChainsCutNote(artifacts.nftables ?? [], fwd.ref.file, 'filter', [...reached.map((c) => c.name), ...podJumps.map((r) => r.target!), ...unlistedAll], family === 6 ? 'ip6' : 'ip');
  if (cut) {
    partly?.(`${fam}: whether ${node}'s FORWARD policy DROP drops the pod network's traffic was not decided: ${cut}; collect the whole nft list ruleset (or iptables-save)`, ['nftables']);
    return undefined;
  }
  const accepted = reached.flatMap((c) => c.rules.map((r) => ({ r, kind: podAccept(r) }))).filter((x) => x.kind);
  if (accepted.length > 0) return undefined;
  const podChains = [...new Set(podJumps.map((r) => r.target!))];
  const unlisted = podChains.filter((c) => !filter.has(c));
  const what = podChains.length ? `FORWARD jumps to ${podChains.join(', ')}` : `ip addr shows ${signs.map((i) => i.name).join(', ')}`;
  const dropped = fwd.policyCounters?.packets;
  const docker = containerFallThrough(reached, filter);
  const unexplained = dropped === undefined ? 0 : Math.max(0, dropped - docker);
  const tool = iptablesTool(view.rulesets.find((r) => r.tables.filter?.chains.FORWARD) ?? view.rulesets[0], artifacts.iptables ?? []);
  const chain = filter.has('DOCKER-USER') ? 'DOCKER-USER' : 'FORWARD';
  const kubeForward = filter.get('KUBE-FORWARD');
  const markOnly = kubeForward?.rules.filter((r) => r.target === 'ACCEPT' && r.matches.some((m) => m.module === 'mark'));
  // accepts of this node's own pods only (Calico's -i cali+ / -o cali+, its policy mark): what they leave out is the transit
  const workloadAccepts = reached.flatMap((c) => c.rules.filter((r) => workloadAccept(r)));
  const version = dockerVersion(artifacts);
  const evidenceOf = (policyNote: string): Evidence[] => {
    const evidence: Evidence[] = [{ file: fwd.ref.file, line: fwd.ref.line, excerpt: excerptOf(fwd), note: policyNote }];
    for (const j of podJumps) evidence.push({ file: j.ref.file, line: j.ref.line, excerpt: j.text, note: `FORWARD's jump to ${j.target}: ${j.target === 'KUBE-FORWARD' ? "kube-proxy's chain" : "the network plugin's chain"}${filter.has(j.target!) ? '' : ` (its rules are not in the dump${WORKLOAD_ONLY_CHAIN.test(j.target!) ? "; as Calico writes it, it accepts only this node's pods' interfaces (cali*)" : ''})`}` });
    evidence.push({ file: dockerJump.ref.file, line: dockerJump.ref.line, excerpt: dockerJump.text, note: `FORWARD's jump to ${dockerJump.target}: Docker's chains` });
    for (const r of workloadAccepts.slice(0, 1)) evidence.push({ file: r.ref.file, line: r.ref.line, excerpt: r.text, note: `${r.chain} accepts only the traffic of this node's pods (cali* interfaces, or Calico's policy mark), not traffic the node forwards between its uplink and the overlay` });
    for (const r of (markOnly ?? []).slice(0, 1)) evidence.push({ file: r.ref.file, line: r.ref.line, excerpt: r.text, note: "KUBE-FORWARD accepts only the packets kube-proxy marked (a Service's, a NodePort's), not their replies: no rule of kube-proxy's --cluster-cidr" });
    const dockerAccepts = fwd.rules.filter((r) => r.target === 'ACCEPT' && r.inInterface && !r.inInterface.negated && /^(docker0|br-[0-9a-f]{12}|docker_gwbridge)$/.test(r.inInterface.value));
    for (const r of dockerAccepts.slice(0, 1)) evidence.push({ file: r.ref.file, line: r.ref.line, excerpt: r.text, note: `the accepts in FORWARD are Docker's, for its bridge ${r.inInterface!.value}: none is for the pods` });
    const itfs = [...new Set([...signs, ...[...ipItfs.values()].filter((i) => POD_INTERFACE.test(i.name) || /^cali[0-9a-f]{11}$/.test(i.name))])];
    for (const i of itfs.slice(0, 3)) evidence.push({ file: i.ref.file, line: i.ref.line, excerpt: i.name, note: `${i.name}: an interface of the pod network${signs.includes(i) ? ` (${i.addresses.find((a) => a.family === family)?.cidr})` : ''}` });
    if (version) evidence.push(version.evidence);
    return distinctEvidence(evidence);
  };

  if (unexplained === 0) {
    // nothing counted (a counter of 0: nothing dropped since the counters were zeroed, by a reboot or iptables -Z; or no
    // counters in the dump): the drop is read from the rules alone, so only where the node shows its pod network's
    // interfaces in this family, and every chain FORWARD reaches is in the dump or is one whose rules are known
    const counterText =
      dropped === undefined
        ? 'the dump has no counters'
        : dropped === 0
          ? "the policy's counter is 0"
          : `the ${dropped} packets the policy counted can all be packets for a Docker bridge that fell through Docker's chain`;
    const base = `${fam}: ${node}'s FORWARD policy is DROP (${fwd.ref.file}:${fwd.ref.line}) on a Kubernetes or overlay node (${what}) with Docker's chains, and no rule accepts the pod network; ${counterText}`;
    if (signs.length === 0) {
      // FORWARD jumps to a pod chain, but ip addr shows no interface of the pod network in this family
      if (ipItfs.size === 0) partly?.(`${base}, and the bundle has no ip addr to show the pod network's interfaces (flannel.1, cni0, tunl0, vxlan.calico): not reported; collect ip addr and ${tool}-save -c`, ['iptables', 'ipAddr']);
      return undefined;
    }
    const unknown = unlistedAll.filter((c) => !WORKLOAD_ONLY_CHAIN.test(c) && !DOCKER_OWN_CHAIN.test(c) && c !== 'DOCKER-USER');
    if (unknown.length > 0) {
      const why = unknown.map((c) => (c === 'KUBE-FORWARD' ? "KUBE-FORWARD (kube-proxy run with --cluster-cidr accepts the pod network there)" : c === 'FLANNEL-FWD' ? "FLANNEL-FWD (flannel writes its accepts of the pod network there)" : c)).join(', ');
      partly?.(`${base}, and the rules of ${why} are not in the dump: not decided; collect ${tool}-save -c`, ['iptables']);
      return undefined;
    }
    const assumed = unlistedAll.filter((c) => WORKLOAD_ONLY_CHAIN.test(c) || c === 'DOCKER-USER');
    const overlay = signs.map((i) => i.name);
    const overlayText = overlay.join(', ');
    const transitOnly = workloadAccepts.length > 0 || assumed.some((c) => WORKLOAD_ONLY_CHAIN.test(c));
    const assumedText = assumed.length
      ? ` The dump does not hold the rules of ${assumed.join(' and ')}: ${assumed
          .map((c) => (c === 'DOCKER-USER' ? 'Docker puts no accept in DOCKER-USER (an administrator may have)' : `${c}, as Calico writes it, accepts only the traffic of this node's pods (-i cali+ / -o cali+)`))
          .join('; ')}; that is assumed, so this is not more than info: collect ${tool}-save -c to see them.`
      : '';
    const droppedText = transitOnly
      ? `Calico's rules accept the traffic of this node's own pods, but nothing accepts what the node forwards between its uplink and ${overlayText}: a NodePort reached on this node for a pod on another node, and its replies, meet the DROP policy (projectcalico/canal#31, rancher/rke#485, projectcalico/calico#875).`
      : `Nothing accepts traffic forwarded into or out of ${overlayText}: traffic between pods on different nodes, and a NodePort reached on this node for a pod on another node, meet the DROP policy (kubernetes/kubernetes#39823, kubeadm#387; flannel before 0.10.0 wrote no FORWARD accepts, flannel-io/flannel#872).`;
    const severity = assumed.length > 0 ? 'info' : 'warning';
    const message =
      `${fam} filter FORWARD on ${node} has policy DROP, and the node is a Kubernetes or overlay node (${what}) that runs Docker (${dockerJump.target}), which sets FORWARD's policy to DROP when it starts (Docker 1.13 and later, moby/libnetwork#1526). ${droppedText}${markOnly?.length ? ' KUBE-FORWARD accepts only the packets kube-proxy marked, not their replies: kube-proxy runs without --cluster-cidr (kubernetes/kubernetes#52569).' : ''} ` +
      `No drop is counted (${counterText}${dropped === 0 ? ': nothing was dropped by the policy since the counters were last zeroed, by a reboot or iptables -Z, or no such traffic has come yet' : ''}); the drop is read from the rules, not seen.${assumedText}`;
    return {
      severity,
      title: `${fam} FORWARD policy DROP (Docker's) on a Kubernetes node: no rule accepts the traffic forwarded over ${overlayText}`,
      message,
      impact: transitOnly
        ? `NodePort Services answer only on the node that runs the pod; pods themselves keep talking to each other.`
        : `Pods on different nodes cannot reach each other, and NodePort Services answer only on the node that runs the pod; the node itself (and curl from it) keeps working, which hides the cause.`,
      evidence: evidenceOf(`${fam} filter FORWARD: policy DROP; ${counterText}`),
      facts: { family: fam, policy: 'DROP', droppedPackets: dropped, droppedNotDockers: 0, podChains, unlistedChains: unlisted, assumedChains: assumed, podInterfaces: overlay, transitOnly, kubeForwardMarkOnly: !!markOnly?.length, dockerVersion: version?.version },
      remedy: podRemedy(tool, chain, overlay),
    };
  }

  const listedText = unlisted.length
    ? ` The dump shows FORWARD alone: the rules of ${unlisted.join(' and ')} are not in it, and only Docker's accepts (its bridge) are; collect iptables-save -c to see whether ${unlisted.includes('KUBE-FORWARD') ? "kube-proxy's KUBE-FORWARD accepts the cluster CIDR" : 'they accept the pod network'}.`
    : markOnly?.length
      ? " KUBE-FORWARD accepts only the packets kube-proxy marked (0x4000: a NodePort's or a Service's first packets), not their replies: kube-proxy runs without --cluster-cidr, the option that adds its accepts of the cluster CIDR's RELATED,ESTABLISHED traffic (kubernetes/kubernetes#52569)."
      : ` No rule reachable from FORWARD accepts the pod network's traffic (by its CIDR, by an overlay or pod bridge interface, or as RELATED,ESTABLISHED).`;
  const message =
    `${fam} filter FORWARD on ${node} has policy DROP and the policy has dropped ${dropped} packets${docker > 0 ? ` (${unexplained} more than packets for Docker's bridges can account for)` : ''}. The node is a Kubernetes node (${what}) and runs Docker (${dockerJump.target}), which sets FORWARD's policy to DROP when it starts (Docker 1.13 and later, moby/libnetwork#1526).${listedText} ` +
    `Traffic the node forwards for pods is dropped there: a NodePort reached on this node for a pod on another node, and pod-to-pod traffic between nodes over the overlay or tunnel (cni0, flannel.1, tunl0, cali*) when the network plugin does not accept it itself (rancher/rke#485, kubernetes/kubernetes#39823). A policy counter does not say whose packets it dropped; they may also be strays.`;
  return {
    severity: 'warning',
    title: `${fam} FORWARD policy DROP (Docker's) drops packets on a Kubernetes node, and no rule accepts the pod network`,
    message,
    impact: `NodePort Services answer only on the node that runs the pod, and pods on other nodes can lose traffic forwarded through ${node}; the node itself (and curl from it) keeps working, which hides the cause.`,
    evidence: evidenceOf(`${fam} filter FORWARD: policy DROP, ${dropped} packets dropped by it${docker > 0 ? ` (${docker} of them can be packets for a Docker bridge that fell through Docker's chain)` : ''}`),
    facts: { family: fam, policy: 'DROP', droppedPackets: dropped, droppedNotDockers: unexplained, podChains, unlistedChains: unlisted, podInterfaces: signs.map((i) => i.name), kubeForwardMarkOnly: !!markOnly?.length, dockerVersion: version?.version },
    remedy: podRemedy(tool, chain, signs.map((i) => i.name)),
  };
}

/** An accept of this node's own pods only: Calico's `-i cali+` / `-o cali+`, or its policy mark (0x10000; 0x1000000 in Calico 2.x). */
function workloadAccept(r: Rule): boolean {
  if (r.target !== 'ACCEPT') return false;
  const cali = (i: Rule['inInterface']) => !!i && !i.negated && /^cali/.test(i.value);
  if (cali(r.inInterface) || cali(r.outInterface)) return true;
  return !r.inInterface && !r.outInterface && !r.source && !r.destination && r.matches.length === 1 && r.matches[0].module === 'mark' && /^(cali:|Policy explicitly accepted)/.test(r.comment ?? '');
}

function podRemedy(tool: string, chain: string, overlay: string[]): FindingDraft['remedy'] {
  const itfLines = overlay.filter((i) => /^(flannel|cni0|cbr0|tunl0|vxlan|weave|cilium_host|antrea-gw0|kube-bridge)/.test(i)).slice(0, 2).flatMap((i) => [
    `${tool} -C ${chain} -o ${i} -j ACCEPT 2>/dev/null || ${tool} -I ${chain} -o ${i} -j ACCEPT   # what the node forwards into the pod network (${i}); lost at reboot`,
    `${tool} -C ${chain} -i ${i} -j ACCEPT 2>/dev/null || ${tool} -I ${chain} -i ${i} -j ACCEPT   # and what comes out of it`,
  ]);
  const flannel = overlay.some((i) => /^flannel/.test(i));
  return {
    summary:
      "Have kube-proxy accept the cluster CIDR: run it with --cluster-cidr=<the pods' CIDR> (clusterCIDR in its configuration file); KUBE-FORWARD then accepts the pods' RELATED,ESTABLISHED traffic ahead of the policy (kubernetes/kubernetes#52569). RKE passes it itself since rancher/rke#700." +
      (flannel ? ' With flannel, 0.10.0 and later also accept the pod network in FORWARD themselves (flannel-io/flannel#872; later its FLANNEL-FWD chain).' : '') +
      ' Setting the policy back to ACCEPT is only a stopgap: Docker sets it to DROP again each time it starts.',
    commands: [
      `${tool}-save -c -t filter | grep -e '^:FORWARD' -e KUBE-FORWARD -e FLANNEL-FWD -e felix-FORWARD -e cali-FORWARD   # the policy's counter, and what the pod chains accept`,
      "ps -eo args | grep '[k]ube-proxy' | grep -o -e '--cluster-cidr=[^ ]*' -e '--config=[^ ]*'   # empty: kube-proxy runs without --cluster-cidr (or it is in the --config file: clusterCIDR)",
      "# RKE: in cluster.yml, services: kubeproxy: extra_args: cluster-cidr: <the cluster_cidr of services.kube-controller>, then rke up (RKE releases with rancher/rke#700 set it themselves)",
      '# kubeadm: kubectl -n kube-system edit configmap kube-proxy (clusterCIDR: <the pods\' CIDR>), then kubectl -n kube-system rollout restart daemonset kube-proxy',
      ...(flannel ? ['# flannel older than 0.10.0 writes no FORWARD accepts: upgrade the kube-flannel DaemonSet (0.10.0 and later accept -s/-d <its Network> in FORWARD, flannel-io/flannel#872)'] : []),
      ...itfLines,
      `${tool} -C ${chain} -s <cluster-cidr> -j ACCEPT 2>/dev/null || ${tool} -I ${chain} -s <cluster-cidr> -j ACCEPT   # stopgap until kube-proxy has the option; also -d <cluster-cidr>; lost at reboot`,
      `# last resort, as in the ticket (rancher/rke#485, kubernetes/kubernetes#59656): ${tool} -P FORWARD ACCEPT; Docker sets DROP again when it restarts, so it must be run after each start of dockerd (ExecStartPost= in a systemd drop-in for docker.service)`,
    ],
    caution:
      "The policy ACCEPT lets every forwarded packet through, including from outside to Docker's containers on their private addresses, the reason Docker sets DROP (moby/moby#14041); prefer kube-proxy's --cluster-cidr. Do not save the live rules with iptables-save to restore at boot: they hold Docker's and kube-proxy's chains.",
  };
}

function check(node: string, artifacts: NodeArtifacts, family: 4 | 6, view: BackendView, partly: Partly | undefined): FindingDraft | undefined {
  const filter = view.tables.get('filter');
  const fwd = filter?.get('FORWARD');
  if (!filter || !fwd || fwd.policy?.toUpperCase() !== 'DROP') return undefined;
  if (!fwd.rules.some((r) => r.target === 'DOCKER-USER')) return undefined;
  if ([...filter.keys()].some((c) => OTHER_FIREWALL_CHAIN.test(c))) return undefined;
  const rs = view.rulesets.find((r) => r.tables.filter?.chains.FORWARD) ?? view.rulesets[0];
  const tool = iptablesTool(rs, artifacts.iptables ?? []);
  const fam = family === 6 ? 'IPv6' : 'IPv4';

  // what FORWARD can reach: its own rules and those of the chains it jumps to, in order
  const reached = [fwd, ...[...reachableChains(filter, 'FORWARD')].map((c) => filter.get(c)).filter((c): c is Chain => !!c)];
  // a chain it jumps to that the dump does not hold (a listing of FORWARD alone) may accept anything
  const unlistedChains = [...new Set(fwd.rules.map((r) => r.target).filter((t): t is string => !!t && !filter.has(t) && !['ACCEPT', 'DROP', 'REJECT', 'RETURN', 'LOG'].includes(t)))];
  const unlisted = unlistedChains.length > 0;
  // FORWARD read from a cut-off nft listing: an accept past the cut (in FORWARD or a chain it jumps to) is not in the file
  const cut = iptablesChainsCutNote(artifacts.nftables ?? [], fwd.ref.file, 'filter', [...reached.map((c) => c.name), ...unlistedChains], family === 6 ? 'ip6' : 'ip');
  if (cut) {
    partly?.(`${fam}: whether ${node}'s FORWARD policy DROP drops routed traffic was not decided: ${cut}; collect the whole nft list ruleset (or iptables-save)`, ['nftables']);
    return undefined;
  }
  const accepts = reached.flatMap((c) => c.rules.filter((r) => r.target === 'ACCEPT'));
  // DOCKER-USER alone not in the dump (`nft list chain ip6 filter FORWARD`, moby/moby#48392): Docker puts no accept
  // there (27.x: a lone RETURN; 28.0: empty), so only the administrator's own rules could accept what entered FORWARD
  const dockerUserUnlisted = unlistedChains.length === 1 && unlistedChains[0] === 'DOCKER-USER';
  const acceptsNothing = accepts.length === 0 && (!unlisted || dockerUserUnlisted);

  // packets counted: the policy's own counter (iptables-save, -L -v), else, where FORWARD reaches no accept,
  // what entered FORWARD (its unconditional first rule's counter): all of it was dropped
  const entered = enteredCount(fwd);
  const dropped = fwd.policyCounters ? fwd.policyCounters.packets : acceptsNothing ? entered?.packets : undefined;
  const droppedEvidence: Evidence | undefined =
    fwd.policyCounters && fwd.policyCounters.packets > 0
      ? { file: fwd.ref.file, line: fwd.ref.line, excerpt: excerptOf(fwd), note: `${fwd.policyCounters.packets} packets dropped by the ${fam} FORWARD policy` }
      : acceptsNothing && entered && entered.packets > 0
        ? {
            file: entered.rule.ref.file,
            line: entered.rule.ref.line,
            excerpt: entered.rule.text,
            note: dockerUserUnlisted
              ? `${entered.packets} packets entered ${fam} FORWARD, where no listed rule accepts anything (DOCKER-USER's rules are not in the dump): unless the administrator added an accept to DOCKER-USER, every one was dropped, and none was a container's (no Docker network of this family)`
              : `${entered.packets} packets entered ${fam} FORWARD, where no rule accepts anything: every one was dropped, and none was a container's (no Docker network of this family)`,
          }
        : undefined;

  // the node's interfaces of this family that are not containers'
  const itfs = interfacesOf(artifacts.ipAddr ?? []);
  const haveIpAddr = itfs.size > 0;
  const routed: Routed[] = [];
  for (const i of itfs.values()) {
    if (i.master || NOT_ROUTED.test(i.name) || otherBridgeOwner(i.name)) continue;
    const a = i.addresses.find((x) => x.family === family && x.scope !== 'host' && x.scope !== 'link' && !(family === 6 && isLinkLocal6(x.address)) && !x.address.startsWith('127.') && !x.address.startsWith('169.254.'));
    if (a) routed.push({ itf: i, address: a.cidr });
  }
  const fw4 = nativeNftables(artifacts)
    .flatMap((n) => n.tables)
    .find((t) => t.name === 'fw4' && t.family === 'inet' && !t.iptablesCompat);
  const brLan = routed.find((r) => r.itf.name === 'br-lan');
  const routerItfs = routed.filter((r) => ROUTER_INTERFACE.test(r.itf.name));
  const router = !!fw4 || !!brLan;

  const countedNotDockers = acceptsNothing && (dropped ?? 0) > 0;
  // the policy's drops that Docker's own rules cannot account for: a packet bound for a container bridge that
  // fell through Docker's chain (Docker 27's `-o docker0 -j DOCKER`: late or stray packets to an unpublished
  // port) also ends at the policy, so the counters of those jumps come off (R16 c03)
  const unexplained = fwd.policyCounters ? Math.max(0, fwd.policyCounters.packets - containerFallThrough(reached, filter)) : countedNotDockers ? dropped : undefined;
  const fwdKey = family === 6 ? 'net.ipv6.conf.all.forwarding' : 'net.ipv4.ip_forward';
  // forwarding the administrator set at boot (sysctl.conf, sysctl.d): Docker sets it at runtime only
  const adminForwarding = effectiveConfig(artifacts.sysctlConfig ?? [], fwdKey);
  const adminRoutes = adminForwarding?.value.trim() === '1' ? adminForwarding : undefined;
  let routing: boolean;
  const natted: { r: Routed; rule: Rule }[] = [];
  if (haveIpAddr) {
    // a plain Docker host (eth0 and docker0) routes nothing of its own, whatever its counters say
    if (routed.length < 2) return undefined;
    const upName = routeDevFor(artifacts, family === 6 ? '::/0' : '0.0.0.0/0');
    natted.push(...nattedInterfaces(view, routed.filter((r) => r.itf.name !== upName)));
    // a sign the node routes, beyond two interfaces and a VPN's name (R16 c03, c05): OpenWrt (fw4, br-lan),
    // forwarded packets nothing accepts, forwarding set by the administrator on a node with a VPN's or router's
    // interface (a Tailscale exit node's 99-tailscale.conf) or with policy drops Docker's rules cannot account for, a source NAT of a non-container subnet, or a VPN
    // interface with policy drops Docker's rules cannot account for. Forwarding set in sysctl.d alone is no sign:
    // Docker's and Kubernetes' install guides have everyone set it (kubeadm's k8s.conf), and a multi-homed server
    // (management, storage, data networks) routes for nobody (R25 c12)
    routing = countedNotDockers || router || (!!adminRoutes && (routerItfs.length > 0 || (unexplained ?? 0) > 0)) || natted.length > 0 || (routerItfs.length > 0 && (unexplained ?? 0) > 0);
  } else {
    routing = countedNotDockers || (router && (unexplained ?? 0) > 0);
    // Docker's DROP, and nothing in the bundle to say whether the node routes anything of its own
    if (!routing) partly?.(`${fam}: whether ${node} routes traffic between interfaces that are not containers' (Docker's FORWARD policy is DROP): collect ip addr and ${routeCmd(family)}`, ['ipAddr', 'routes']);
  }
  if (!routing) return undefined;

  // the uplink and the interfaces behind it; which of them FORWARD already lets through
  const uplinkName = routeDevFor(artifacts, family === 6 ? '::/0' : '0.0.0.0/0');
  const uplink = routed.find((r) => r.itf.name === uplinkName);
  const internal = routed.filter((r) => r !== uplink);
  const marked = markAccepted(reached);
  const uncovered = haveIpAddr ? internal.filter((r) => !outboundPasses(accepts, marked, r, uplink?.itf.name) || !repliesPass(accepts, r, uplink?.itf.name)) : [];
  if (haveIpAddr && uncovered.length === 0) return undefined;
  if (!haveIpAddr) partly?.(`${fam}: which interfaces ${node} routes between, for the DOCKER-USER accepts: collect ip addr and ${routeCmd(family)}`, ['ipAddr', 'routes']);

  const evidence: Evidence[] = [{ file: fwd.ref.file, line: fwd.ref.line, excerpt: excerptOf(fwd), note: `${fam} filter FORWARD: policy DROP` }];
  const dockerUser = filter.get('DOCKER-USER');
  const jump = fwd.rules.find((r) => r.target === 'DOCKER-USER')!;
  evidence.push({ file: jump.ref.file, line: jump.ref.line, excerpt: jump.text, note: "FORWARD's jump to DOCKER-USER: Docker's chains" });
  if (droppedEvidence) evidence.push(droppedEvidence);
  const ret = dockerUser?.rules.find((r) => r.target === 'RETURN');
  if (ret && dockerUser!.rules.length === 1) evidence.push({ file: ret.ref.file, line: ret.ref.line, excerpt: ret.text, note: 'DOCKER-USER only returns: it accepts nothing' });
  if (fw4) evidence.push({ file: fw4.ref.file, line: fw4.ref.line, excerpt: 'table inet fw4', note: "OpenWrt's firewall (fw4): the node is a router" });
  for (const r of [...new Set([...(brLan ? [brLan] : []), ...routerItfs, ...uncovered, ...(uplink ? [uplink] : [])])].slice(0, 6))
    evidence.push({ file: r.itf.ref.file, line: r.itf.ref.line, excerpt: `${r.itf.name} ${r.address}`, note: r === uplink ? `${r.itf.name}: the ${fam} default route's interface (the uplink)` : `${r.itf.name}: not a container's interface` });
  const fwdValue = runtimeValue(artifacts.sysctl ?? [], fwdKey)[0];
  if (fwdValue) evidence.push({ file: fwdValue.ref.file, line: fwdValue.ref.line, excerpt: fwdValue.excerpt, note: fwdValue.value === '1' ? `${fam} forwarding is on` : `${fam} forwarding reads ${fwdValue.value}` });
  if (adminRoutes) evidence.push({ file: adminRoutes.ref.file, line: adminRoutes.ref.line, excerpt: adminRoutes.excerpt, note: `${fam} forwarding set at boot by the administrator's configuration: the node is meant to route` });
  for (const n of natted.slice(0, 2)) evidence.push({ file: n.rule.ref.file, line: n.rule.ref.line, excerpt: n.rule.text, note: `source NAT of ${n.r.itf.name}'s subnet: the node routes it out` });
  const version = dockerVersion(artifacts);
  if (version) evidence.push(version.evidence);

  // DOCKER-USER not in the dump: its rules may be the administrator's accepts, so never more than a warning
  const severity = (unexplained ?? 0) > 0 && router && !dockerUserUnlisted ? 'critical' : 'warning';
  const names = uncovered.map((r) => r.itf.name);
  const what = haveIpAddr
    ? `${names.join(', ')} ${names.length > 1 ? 'are' : 'is'} routed${uplink ? ` to and from ${uplink.itf.name}` : ''} and no rule ${dockerUserUnlisted ? 'listed ' : ''}before the policy accepts ${names.length > 1 ? 'their' : 'its'} traffic`
    : `the bundle has no ip addr to name the interfaces it routes between (collect ip addr and ${routeCmd(family)}: interfaces with global ${fam} addresses other than Docker's bridges are what it routes)`;
  const countText =
    dropped && dropped > 0
      ? countedNotDockers
        ? dockerUserUnlisted
          ? ` ${dropped} packets were forwarded in ${fam} and, unless DOCKER-USER accepts them, dropped: no rule listed in that FORWARD accepts anything (Docker has no ${fam} network there), so none of them was a container's; DOCKER-USER's rules are not in the dump (${tool}-save -c -t filter shows them), and Docker itself puts no accept there.`
          : ` ${dropped} packets were forwarded in ${fam} and dropped: nothing in that FORWARD accepts anything (Docker has no ${fam} network there), so none of them was a container's.`
        : unexplained !== undefined && unexplained < dropped
          ? ` The policy has dropped ${dropped} packets, ${dropped - unexplained} of which can be Docker's own (packets for a container bridge that fell through Docker's chain).`
          : ` The policy has dropped ${dropped} packets.`
      : ' The dump shows no drop counted yet (or no counters).';
  const why =
    family === 6
      ? `Docker 27.x, which manages ip6tables by default, sets ip6tables' FORWARD policy to DROP whenever it starts, even without an IPv6 network (openwrt/packages#24492, moby/moby#48365); 28.0 sets it only when it turns IPv6 forwarding on itself (moby/moby#48594).`
      : 'Docker sets FORWARD to DROP when it turns net.ipv4.ip_forward on itself (it was 0 when dockerd started, e.g. before the router\'s own forwarding setting was applied).';
  const versionText = version ? ` The node runs Docker ${version.version}${version.from === 'package' ? ' (the installed package)' : ''}.` : '';
  const message =
    `${fam} filter FORWARD on ${node} has policy DROP, with Docker's chains (DOCKER-USER) in it, and the node routes traffic that is not Docker's: ${what}.${countText} ` +
    `${why}${versionText}${router ? ` ${fw4 ? 'fw4 (OpenWrt\'s firewall) filters in its own table, but nftables runs every base chain on the forward hook and a drop in any of them is final: fw4\'s accepts cannot undo this policy.' : 'br-lan shows an OpenWrt-style router.'}` : ''}`;

  return {
    severity,
    title: `Docker's ${fam} FORWARD policy DROP drops the traffic this host routes`,
    message,
    impact: `Clients routed through ${node} (its LAN, VPN peers) lose ${fam} connectivity beyond it; the containers themselves keep working, which hides the cause.`,
    evidence: distinctEvidence(evidence),
    facts: {
      family: fam,
      policy: 'DROP',
      droppedPackets: dropped,
      droppedNotDockers: countedNotDockers,
      dockerUserUnlisted: dockerUserUnlisted || undefined,
      routedInterfaces: routed.map((r) => r.itf.name),
      notAccepted: names,
      uplink: uplink?.itf.name,
      router: fw4 ? 'fw4' : brLan ? 'br-lan' : adminRoutes ? 'sysctl-config' : natted.length ? 'source-nat' : routerItfs.length ? 'routed-interface' : undefined,
      dockerVersion: version?.version,
    },
    remedy: remedyFor(family, tool, uncovered, uplink, version?.numbers, !!fw4),
  };
}

/** The command that lists the family's routes (the IPv6 ones are not in plain `ip route`). */
function routeCmd(family: 4 | 6): string {
  return family === 6 ? 'ip -6 route' : 'ip route';
}

/** The unconditional first rule of FORWARD (a jump to DOCKER-USER): every packet entering the chain passes it. */
function enteredCount(fwd: Chain): { rule: Rule; packets: number } | undefined {
  const r = fwd.rules[0];
  if (!r?.counters || !unconditional(r)) return undefined;
  return { rule: r, packets: r.counters.packets };
}

function unconditional(r: Rule): boolean {
  return !r.protocol && !r.source && !r.destination && !r.inInterface && !r.outInterface && !r.fragment && r.matches.length === 0;
}

function matchesItf(m: Rule['inInterface'], name: string): boolean {
  if (!m) return true;
  if (m.negated) return m.value !== name && !(m.value.endsWith('+') && name.startsWith(m.value.slice(0, -1)));
  return m.value === name || (m.value.endsWith('+') && name.startsWith(m.value.slice(0, -1)));
}

/** The interface's own subnet (from ip addr), for accepts written by address (`-s 10.8.0.0/24 -j ACCEPT`). */
function subnetOf(r: Routed) {
  return parseCidr(r.address);
}

/** An address match (`-s`/`-d`) that covers the whole subnet of the interface. */
function covers(m: Rule['source'], r: Routed): boolean {
  if (!m) return true;
  const outer = parseCidr(m.value);
  const inner = subnetOf(r);
  if (!outer || !inner || m.negated) return false;
  return cidrContains(outer, inner);
}

/** ctstate / state RELATED,ESTABLISHED (and nothing narrower): a match on replies. */
function repliesOnly(r: Rule): boolean {
  if (r.matches.length !== 1) return false;
  const m = r.matches[0];
  if (m.module !== 'conntrack' && m.module !== 'state') return false;
  const o = m.options.find((x) => x.name === 'ctstate' || x.name === 'state');
  if (!o || o.negated || !o.value) return false;
  const states = o.value.toUpperCase().split(',');
  return states.includes('ESTABLISHED');
}

/**
 * The interface's new outbound traffic (in on it, out the uplink) is accepted: an accept on the interfaces
 * with no other limit, or limited only by a source covering the interface's subnet (the stock OpenVPN
 * `-s 10.8.0.0/24 -j ACCEPT`, R16 c04), or a mark accept that marks that interface's packets (Tailscale's ts-forward, R16 c05).
 */
function outboundPasses(accepts: Rule[], marked: Set<string>, r: Routed, uplink: string | undefined): boolean {
  if ([...marked].some((m) => matchesItf({ value: m, negated: false }, r.itf.name))) return true;
  return accepts.some(
    (a) =>
      matchesItf(a.inInterface, r.itf.name) &&
      (uplink === undefined ? !a.outInterface || a.outInterface.negated : matchesItf(a.outInterface, uplink)) &&
      !a.protocol &&
      !a.destination &&
      a.matches.length === 0 &&
      covers(a.source, r),
  );
}

/** The replies back to the interface are accepted: the same, or an accept of RELATED,ESTABLISHED (bare or on these interfaces). */
function repliesPass(accepts: Rule[], r: Routed, uplink: string | undefined): boolean {
  return accepts.some(
    (a) =>
      (uplink === undefined ? true : matchesItf(a.inInterface, uplink)) &&
      matchesItf(a.outInterface, r.itf.name) &&
      !a.protocol &&
      !a.source &&
      covers(a.destination, r) &&
      (a.matches.length === 0 || repliesOnly(a)),
  );
}

/**
 * Interfaces whose packets a chain marks and then accepts by that mark (Tailscale's ts-forward:
 * `-i tailscale0 -j MARK --set-xmark 0x40000/0xff0000`, then `-m mark --mark 0x40000/0xff0000 -j ACCEPT`).
 */
function markAccepted(chains: Chain[]): Set<string> {
  const out = new Set<string>();
  for (const c of chains) {
    const setBy = new Map<string, string[]>();
    for (const r of c.rules) {
      if (r.target === 'MARK' && r.inInterface && !r.inInterface.negated && !r.outInterface && !r.source && !r.destination && !r.protocol && r.matches.length === 0) {
        const v = normMark(r.targetOptions['set-xmark'] ?? r.targetOptions['set-mark']);
        if (v) setBy.set(v, [...(setBy.get(v) ?? []), r.inInterface.value]);
      } else if (r.target === 'ACCEPT' && !r.inInterface && !r.outInterface && !r.source && !r.destination && !r.protocol && r.matches.length === 1 && r.matches[0].module === 'mark') {
        const o = r.matches[0].options.find((x) => x.name === 'mark');
        const v = o && !o.negated ? normMark(o.value) : undefined;
        for (const i of (v && setBy.get(v)) ?? []) out.add(i);
      }
    }
  }
  return out;
}

function normMark(v: string | undefined): string | undefined {
  if (!v) return undefined;
  const [val, mask] = v.trim().split('/');
  const n = (x: string | undefined, d: bigint) => {
    try {
      return x === undefined ? d : BigInt(x);
    } catch {
      return undefined;
    }
  };
  const a = n(val, 0n);
  const m = n(mask, 0xffffffffn);
  return a === undefined || m === undefined ? undefined : `${a & m}/${m}`;
}

/**
 * Packets that reached the policy through Docker's own jumps for a container bridge: the counters of the
 * rules `-o <container bridge> -j <Docker's chain>` (Docker 27's `-o docker0 -j DOCKER`, Docker 28's
 * DOCKER-BRIDGE) whose chain does not end in a drop. An upper bound: DOCKER accepts the published ports.
 */
function containerFallThrough(reached: Chain[], filter: Map<string, Chain>): number {
  let n = 0;
  for (const c of reached)
    for (const r of c.rules) {
      if (!r.counters || !r.outInterface || r.outInterface.negated || !NOT_ROUTED.test(r.outInterface.value.replace(/\+$/, ''))) continue;
      const t = r.target ? filter.get(r.target) : undefined;
      if (!t || !/^DOCKER/.test(t.name)) continue;
      const last = t.rules[t.rules.length - 1];
      if (last && last.target === 'DROP' && !last.source && !last.protocol && last.matches.length === 0 && (!last.inInterface || last.inInterface.negated)) continue;
      n += r.counters.packets;
    }
  return n;
}

/** Source NAT (MASQUERADE, SNAT) in nat POSTROUTING of a subnet that is a routed interface's: the node routes it out. */
function nattedInterfaces(view: BackendView, candidates: Routed[]): { r: Routed; rule: Rule }[] {
  const nat = view.tables.get('nat');
  const post = nat?.get('POSTROUTING');
  if (!nat || !post) return [];
  const chains = [post, ...[...reachableChains(nat, 'POSTROUTING')].map((c) => nat.get(c)).filter((c): c is Chain => !!c)];
  const out: { r: Routed; rule: Rule }[] = [];
  for (const c of chains)
    for (const rule of c.rules) {
      if ((rule.target !== 'MASQUERADE' && rule.target !== 'SNAT') || !rule.source || rule.source.negated) continue;
      const src = parseCidr(rule.source.value);
      if (!src || src.prefix === 0) continue;
      for (const r of candidates) {
        const sub = subnetOf(r);
        if (sub && cidrOverlap(src, sub) && !out.some((x) => x.r === r)) out.push({ r, rule });
      }
    }
  return out;
}

function excerptOf(c: Chain): string {
  return c.policyCounters ? `:${c.name} ${c.policy} [${c.policyCounters.packets}:${c.policyCounters.bytes}]` : `chain ${c.name} (policy ${c.policy})`;
}

function remedyFor(family: 4 | 6, tool: string, internal: Routed[], uplink: Routed | undefined, version: [number, number, number] | undefined, openwrt: boolean): FindingDraft['remedy'] {
  const commands: string[] = [];
  const pair = (i: string, o: string) => [
    `${tool} -C DOCKER-USER -i ${i} -o ${o} -j ACCEPT 2>/dev/null || ${tool} -I DOCKER-USER -i ${i} -o ${o} -j ACCEPT`,
    `${tool} -C DOCKER-USER -i ${o} -o ${i} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT 2>/dev/null || ${tool} -I DOCKER-USER -i ${o} -o ${i} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
  ];
  const lines: string[] = [];
  if (internal.length > 0 && uplink) for (const r of internal.slice(0, MAX_INTERNAL)) lines.push(...pair(r.itf.name, uplink.itf.name));
  else if (internal.length > 0) for (const r of internal.slice(0, MAX_INTERNAL)) lines.push(`${tool} -C DOCKER-USER -i ${r.itf.name} -j ACCEPT 2>/dev/null || ${tool} -I DOCKER-USER -i ${r.itf.name} -j ACCEPT`);
  if (lines.length > 0) commands.push(...lines.map((l, n) => `${l}   # ${n % 2 === 0 || !uplink ? 'what the host routes out' : 'the replies back in'}`));
  else commands.push(...pair('<lan>', '<wan>').map((l) => `# ${l}   (name the interfaces: ip -br addr; ${family === 6 ? 'ip -6 route' : 'ip route'})`));
  const persistent = lines.length > 0 ? lines.join('; ') : undefined;
  commands.push(
    persistent
      ? `# persist: DOCKER-USER's rules do not survive a reboot or a restart of the firewall; run those lines each time dockerd starts (a systemd drop-in for docker.service with ExecStartPost=/bin/sh -c '${persistent}'${openwrt ? "; on OpenWrt, from /etc/init.d/dockerd's start or a procd hotplug script" : ''})`
      : "# persist: run the two lines each time dockerd starts (a systemd drop-in for docker.service with ExecStartPost=)",
  );
  const atLeast28 = version ? version[0] >= 28 : undefined;
  commands.push(
    `# or, Docker 28.0 or later${atLeast28 === false ? ' (this node runs an older one: upgrade first)' : ''}: "ip-forward-no-drop": true in /etc/docker/daemon.json (dockerd --ip-forward-no-drop), then restart docker and set the policy back (${tool} -P FORWARD ACCEPT): Docker then never sets FORWARD to DROP; it still drops what is not published to its own containers (28.0's per-network rules), but any other forwarded traffic is then up to the host's firewall`,
  );
  if (family === 6)
    commands.push(
      openwrt
        ? `# or, what OpenWrt merged (openwrt/packages#24578, 23.05: #24591): uci set dockerd.globals.ip6tables='0' && uci commit dockerd && /etc/init.d/dockerd restart, then ${tool} -P FORWARD ACCEPT: Docker then writes no IPv6 rules at all (no IPv6 port publishing or isolation for its IPv6 networks)`
        : `# or "ip6tables": false in /etc/docker/daemon.json, restart docker, then ${tool} -P FORWARD ACCEPT: Docker then writes no IPv6 rules at all (no IPv6 port publishing, NAT66 or isolation for its IPv6 networks)`,
    );
  else commands.push('# not "iptables": false: Docker would then write no IPv4 rules at all, and its containers lose their NAT and published ports');
  return {
    summary: `Accept the routed interfaces' traffic in DOCKER-USER, the chain Docker runs first in FORWARD and leaves to the administrator (outbound, and the replies back); do not only set the policy back to ACCEPT by hand: Docker sets it to DROP again when it starts.`,
    commands,
    caution: `The accepts let through everything the LAN side sends out and only the replies back in, ahead of Docker's own rules (which do not concern these interfaces); connections from the uplink into the LAN stay dropped. Do not save the live rules with iptables-save or netfilter-persistent: they hold Docker's chains.`,
  };
}
