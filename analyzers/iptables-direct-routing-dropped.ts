/**
 * iptables.direct-routing-dropped: Docker 28's protection of container addresses drops traffic that
 * other nodes route to the containers. Since 28.0.0 Docker writes, in raw PREROUTING, a DROP for
 * packets addressed to a container that do not come in on the container's bridge (moby#49325):
 *
 *   28.0.x / 28.1.x  `-A PREROUTING -d <ctr>/32 ! -i <bridge> -p tcp -m tcp --dport <port> -j DROP` (per published port)
 *   28.2+            `-A PREROUTING -d <ctr>/32 ! -i <bridge> -j DROP` (per container, moby#49829), and for each
 *                    interface of com.docker.network.bridge.trusted_host_interfaces an ACCEPT
 *                    `-d <ctr>/32 -i <iface>` ahead of it (moby#49832); none at all with "allow-direct-routing",
 *                    gateway modes nat-unprotected / routed, or DOCKER_INSECURE_NO_IPTABLES_RAW=1
 *   29 (nftables)    `table ip docker-bridges` chain raw-PREROUTING:
 *                    `ip daddr <ctr> iifname != { <bridge>, <trusted>... } counter drop comment "DROP DIRECT ACCESS"`
 *
 * On a single host that is intended. Where the container's subnet is reached from other nodes through
 * another interface, the packets arrive there and are dropped (moby/moby#49792): flannel with Docker's
 * bridge on flannel's subnet (`dockerd --bip=${FLANNEL_SUBNET}`) delivers on flannel.1; a tunnel (wg*,
 * tun*, gre, vxlan) on its own interface; static routes on the uplink. What routes the subnet in comes
 * from the bundle (subnet.env holding the container's address; routes to sibling container subnets or to
 * the overlay network over a tunnel), and the packet from a peer on it is walked through the rules with
 * the tracer: only a drop by Docker's own direct-access rule is reported (a trusted-interface ACCEPT, or
 * no rule, lets it through; Swarm's overlay traffic is decapsulated inside the overlay's namespace and
 * never meets the host's raw table: on a node docker info says is in a Swarm, the drops for
 * docker_gwbridge are left aside, and the coverage says so). A log line that timed out connecting to exactly such an address
 * and port is the symptom, and evidence; with no way in shown, that line and the rule alone make the
 * finding (critical when the rule's counters show drops).
 */
import { defineAnalyzer, type Partly } from '../src/engine/analyzer.js';
import type { NodeArtifacts } from '../src/engine/artifacts.js';
import type { Evidence, Remedy } from '../src/report/schema.js';
import type { Chain, Rule, Ruleset } from '../src/netfilter/rules.js';
import { trace, type Packet, type TraceResult, type TraceStep } from '../src/netfilter/trace.js';
import { iptablesTool } from '../src/netfilter/commands.js';
import { addressIn, cidrContains, formatCidr, parseCidr, parseIp, type Cidr } from '../src/parsers/cidr.js';
import { interfacesOf, type Interface } from '../src/parsers/interfaces.js';
import type { Route } from '../src/parsers/ip-route.js';
import { dockerdSettings } from '../src/parsers/dockerd-flags.js';
import { dockerEngine, dockerVersionNumbers } from '../src/parsers/docker-info.js';
import { ingressServices } from '../src/parsers/docker-service-ls.js';
import { swarmActive } from './lib/container-host.js';
import type { LogMatch } from '../src/logs/index.js';
import { distinctEvidence } from './lib/evidence.js';
import { dockerDirectAccessNftShape, dockerDirectAccessShape, type DirectAccessShape } from './lib/docker-direct-access.js';
import { FRAGMENT_CHAIN } from '../src/netfilter/list-format.js';
import { connectionSymptom, fromContainer, timeOf } from './lib/logs.js';
import { dockerRestartOf, restartDocker, type DockerRestart } from './lib/node-services.js';
import { dockerBridges, liveIpv4, liveTables, liveViews, nativeNftables, traceContext, uplinkOf } from './lib/node-view.js';

/** Interfaces that carry traffic between hosts inside a tunnel or overlay (Swarm's `vx-*` live in the overlay's namespace). */
const TUNNEL_NAME = /^(flannel[\w.-]*|wg[\w.-]*|tun\d+|tap\d+|vxlan[\w.-]*|gre[\w.-]*|gretap[\w.-]*|erspan[\w.-]*|ipip[\w.-]*|tunl\d+|sit\d+|ip6tnl[\w.-]*|vti[\w.-]*|zt[\w]+|tailscale\d*|nebula[\w.-]*|geneve[\w.-]*|ipsec[\w.-]*|xfrm[\w.-]*|ppp\d+)$/;
const TUNNEL_KIND = new Set(['vxlan', 'wireguard', 'tun', 'tap', 'gre', 'gretap', 'ipip', 'sit', 'ip6tnl', 'vti', 'geneve', 'xfrm', 'ipvlan']);
/** Local bridges and container ends: a route over one of them stays on the node. */
const LOCAL_LINK = /^(lo|docker\d*|docker_gwbridge|br-[0-9a-f]{12}|cni\d*|cbr\d*|virbr\d*|lxdbr\d*|lxcbr\d*|incusbr\d*|podman\d*|veth[\w.-]*|kube-bridge|kube-ipvs0|nodelocaldns)$/;

export default defineAnalyzer({
  id: 'iptables.direct-routing-dropped',
  title: "Docker's direct-access rule drops traffic routed to containers",
  description:
    "Docker 28+ drops, in raw PREROUTING (or its nftables table's raw-PREROUTING), packets for a container's address that do not arrive on its bridge; where other nodes reach the container subnet over flannel.1, a tunnel or a static route, their traffic is dropped. Also (iptables.swarm-ingress-dropped) Docker 28.0.0's filter DROP for docker_gwbridge reached before DOCKER-INGRESS, which drops Swarm's routing-mesh traffic.",
  scope: 'node',
  requires: [],
  requiresOneOf: ['iptables', 'nftables'],
  optional: ['iptables', 'nftables', 'ipAddr', 'routes', 'flannelSubnetEnv', 'flannelNetConf', 'dockerNetworks', 'dockerDaemon', 'services', 'logs', 'ipsets', 'dockerServices'],
  analyze({ node, artifacts, partly }) {
    // Docker 28.0.0's filter DROP for docker_gwbridge met by the routing mesh before DOCKER-INGRESS (moby#49536)
    const ingress = swarmIngressFindings(node, artifacts);
    return [...ingress, ...routedFindings(node, artifacts, partly)];
  },
});

function routedFindings(node: string, artifacts: NodeArtifacts, partly?: Partly) {
  {
    const drops = swarmAside(directAccessDrops(artifacts), artifacts, partly);
    if (drops.length === 0) return [];
    // only where Docker's direct-access rules exist is the way in of routed traffic looked for (R6 W8: not on every bundle without ip addr)
    const ways = waysIn(artifacts, drops);
    // the way in is assumed only where one is shown (flannel's files, a route): not on a single-host Docker (R8's N4)
    if (!artifacts.ipAddr?.length && (ways.length > 0 || artifacts.flannelSubnetEnv?.length || artifacts.flannelNetConf?.length)) partly?.('without ip addr the interface flannel or a tunnel delivers on is assumed (flannel.1 for flannel)');
    const timeouts = timeoutLines(artifacts);
    const findings = [];
    const traced = traceWays(artifacts, drops, ways, timeouts, partly);
    for (const g of traced) findings.push(routedFinding(node, artifacts, g));
    // with no way in shown: a client that timed out on exactly a protected address and port
    const covered = new Set(traced.flatMap((g) => g.hits.map((h) => h.drop)));
    // a grepped row (its chain not shown) cannot be traced: with a way in or not, only a timed-out client on it makes a finding
    findings.push(...logOnlyFindings(node, artifacts, drops.filter((d) => !covered.has(d) && (d.fragment || !ways.some((w) => w.covers(d.ip) && w.iface !== d.bridge))), timeouts, ways));
    // the drops shown with nothing to tell the ways in by (R27 02, uncloud#293: the raw table alone, the WireGuard mesh in prose):
    // not "found nothing", which reads as "nothing routes to the containers"
    if (findings.length === 0 && ways.length === 0 && !artifacts.routes?.length && !artifacts.ipAddr?.length && !artifacts.flannelSubnetEnv?.length)
      partly?.(
        `Docker's direct-access rules drop packets for ${drops.length === 1 ? 'a container address' : `${drops.length} container addresses`} that do not arrive on the container's bridge (${drops.slice(0, 2).map((d) => `${d.file}:${d.line}`).join(', ')}); the bundle has no routes or ip addr to tell whether other hosts reach the containers by their own addresses (a WireGuard or Tailscale tunnel, flannel, static routes), which these rules would drop. Collect: ip route show table all; ip -d address`,
      );
    return findings;
  }
}

// ---- Docker's direct-access rules ---------------------------------------------------------------

/** One of Docker's direct-access DROPs (analyzers/lib/docker-direct-access.ts), where it stands. */
interface DirectDrop extends DirectAccessShape {
  /** interfaces an earlier ACCEPT (or the nft rule's iifname set) lets through: trusted_host_interfaces */
  trusted: string[];
  packets?: number;
  file: string;
  line: number;
  text: string;
  /** the iptables rule (not for nft) */
  rule?: Rule;
  ruleset?: Ruleset;
  num: number;
  /**
   * read from a grep of `iptables -t raw -nvL` (list-format.ts FRAGMENT_CHAIN): the row's chain is not
   * shown; Docker writes these rules only in raw PREROUTING, but the rules around it are not known
   */
  fragment?: boolean;
}

/** Docker's direct-access DROPs of the node's live IPv4 rules: iptables' raw PREROUTING, and its own nftables table. */
function directAccessDrops(artifacts: NodeArtifacts): DirectDrop[] {
  const out: DirectDrop[] = [];
  for (const view of liveViews(artifacts))
    for (const name of ['PREROUTING', FRAGMENT_CHAIN]) {
      const chain = view.tables.get('raw')?.get(name);
      if (!chain) continue;
      const fragment = name === FRAGMENT_CHAIN;
      const accepts: { dst: string; iface: string }[] = [];
      for (const r of chain.rules) {
        if (r.target === 'ACCEPT' && r.destination && !r.destination.negated && r.inInterface && !r.inInterface.negated && !r.source) {
          // the host's own `-i lo` ACCEPT (the subnet-wide form) trusts no other node
          if (r.inInterface.value !== 'lo') accepts.push({ dst: r.destination.value, iface: r.inInterface.value });
          continue;
        }
        const d = dockerDirectAccessShape(r);
        if (!d) continue;
        // a grepped row of a rule the full chain shows too (the grep beside nft list ruleset or iptables-save): that one stands
        if (fragment && out.some((o) => !o.fragment && o.dst === d.dst && o.bridge === d.bridge && o.protocol === d.protocol && o.port === d.port)) continue;
        const trusted = accepts.filter((a) => addressIn(d.ip, a.dst) || a.dst === d.dst).map((a) => a.iface);
        out.push({ ...d, trusted: [...new Set(trusted)], packets: r.counters?.packets, file: r.ref.file, line: r.ref.line, text: r.text, rule: r, ruleset: view.rulesets.find((rs) => rs.file === r.ref.file), num: r.num, ...(fragment ? { fragment } : {}) });
      }
    }
  const names = new Set(dockerBridges(artifacts).map((b) => b.name));
  for (const rs of nativeNftables(artifacts))
    for (const t of rs.tables) {
      if (t.name !== 'docker-bridges' || t.family !== 'ip') continue;
      for (const c of t.chains) {
        if (c.name !== 'raw-PREROUTING') continue;
        for (const r of c.rules) {
          const d = dockerDirectAccessNftShape(r, names);
          if (d) out.push({ ...d, trusted: d.trusted ?? [], packets: r.counter?.packets, file: r.ref.file, line: r.ref.line, text: r.text, num: r.index });
        }
      }
    }
  return out;
}

/**
 * On a Swarm node (docker info's `Swarm: active`) the tasks' addresses on docker_gwbridge are not
 * reached from other nodes: Swarm carries that traffic over its overlay (VXLAN to the node's own
 * address, decapsulated in the overlay's namespace), which never meets the host's raw table. Docker's
 * drops for docker_gwbridge are left aside, and the coverage says so, citing the line. `Swarm:
 * inactive` (or pending, error) is no Swarm: nothing is left aside.
 */
function swarmAside(drops: DirectDrop[], artifacts: NodeArtifacts, partly?: Partly): DirectDrop[] {
  const swarm = swarmActive(artifacts);
  if (!swarm) return drops;
  const gw = drops.filter((d) => d.bridge === 'docker_gwbridge');
  if (gw.length === 0) return drops;
  partly?.(
    `Docker's direct-access rules for docker_gwbridge (${gw.slice(0, 3).map((d) => `${d.file}:${d.line}`).join(', ')}) were not checked: docker info says the node is in a Swarm ("${swarm.excerpt.trim()}", ${swarm.ref.file}:${swarm.ref.line}), whose traffic between nodes goes over the overlay, not to docker_gwbridge's addresses`,
  );
  return drops.filter((d) => d.bridge !== 'docker_gwbridge');
}

// ---- what routes the container subnet into the node ----------------------------------------------

interface WayIn {
  /** the interface the other nodes' packets arrive on */
  iface: string;
  /** why the interface is assumed rather than read from ip addr */
  assumed?: string;
  kind: 'flannel' | 'tunnel' | 'route';
  /** flannel and tunnels: shown; static routes on the uplink: the other hosts' routes are inferred from this one's */
  strength: 'proven' | 'likely';
  /** the container subnet the way leads to */
  subnet: string;
  covers(ip: string): boolean;
  /** a remote address on that way, the traced packet's source */
  peer: string;
  evidence: Evidence[];
  /** one sentence for the message */
  says: string;
}

function waysIn(artifacts: NodeArtifacts, drops: DirectDrop[]): WayIn[] {
  const itfs = interfacesOf(artifacts.ipAddr ?? []);
  const routes = (artifacts.routes ?? []).flatMap((t) => t.routes).filter((r) => (!r.table || r.table === 'main') && (!r.type || r.type === 'unicast'));
  const ways: WayIn[] = [...flannelWays(artifacts, itfs, routes)];
  // the container subnets the drops protect: each bridge's subnet holding the address, else the rule's own destination
  const subnets = new Map<string, Cidr>();
  for (const d of drops) {
    const s = bridgeSubnets(artifacts, d.bridge).find((c) => addressIn(d.ip, formatCidr(c))) ?? parseCidr(d.dst);
    if (s) subnets.set(formatCidr(s), s);
  }
  const byKey = new Map<string, WayIn>();
  for (const r of routes) {
    if (!r.dev || r.proto === 'kernel' || LOCAL_LINK.test(r.dev)) continue;
    const rc = parseCidr(r.destination);
    if (!rc || rc.family !== 4 || rc.prefix < 8) continue;
    const tunnel = isTunnel(r.dev, itfs.get(r.dev));
    for (const [text, c] of subnets) {
      const sibling = isSibling(rc, c);
      // the whole overlay network over a tunnel (flannel's udp back end: 10.1.0.0/16 dev flannel0): weaker, a VPN's 10/8 looks alike
      const overlay = tunnel && rc.prefix >= 16 && rc.prefix < c.prefix && cidrContains(rc, c);
      if (!sibling && !overlay) continue;
      if (ways.some((w) => w.kind === 'flannel' && w.iface === r.dev && w.subnet === text)) continue;
      const key = `${r.dev}|${text}`;
      const w = byKey.get(key);
      if (w) {
        if (w.evidence.length < 3) w.evidence.push(routeEvidence(r, text, tunnel));
        continue;
      }
      const way: WayIn = {
        iface: r.dev,
        kind: tunnel ? 'tunnel' : 'route',
        strength: tunnel && sibling ? 'proven' : 'likely',
        subnet: text,
        covers: (ip) => addressIn(ip, text),
        peer: peerIn(rc, c),
        evidence: [routeEvidence(r, text, tunnel)],
        says: tunnel
          ? `this node reaches ${sibling ? 'the other hosts\' container subnets' : `the network ${r.destination}`} through the tunnel ${r.dev}, and the other end routes ${text} back to it the same way`
          : `this node routes the other Docker hosts' container subnets (${r.destination}) to them over ${r.dev}; they route ${text} to this node the same way, and those packets arrive on ${r.dev}`,
      };
      byKey.set(key, way);
    }
  }
  ways.push(...byKey.values());
  return ways;
}

/** flannel: the node's lease (FLANNEL_SUBNET) is what the other nodes route here, over flannel.1 (VXLAN), flannel0 (udp), flannel-wg, or the uplink (host-gw). */
function flannelWays(artifacts: NodeArtifacts, itfs: Map<string, Interface>, routes: Route[]): WayIn[] {
  const out: WayIn[] = [];
  for (const env of artifacts.flannelSubnetEnv ?? []) {
    const subnet = env.subnetNetwork ? parseCidr(env.subnetNetwork) : undefined;
    if (!subnet || subnet.family !== 4 || !env.subnet) continue;
    const text = formatCidr(subnet);
    const network = env.network ? parseCidr(env.network.value) : undefined;
    const inNetwork = (r: Route) => {
      const c = parseCidr(r.destination);
      return !!c && !!network && c.family === 4 && c.prefix > 0 && cidrContains(network, c) && !cidrContains(c, subnet);
    };
    const flannelItfs = [...itfs.values()].filter((i) => /^flannel/.test(i.name) && i.addresses.some((a) => a.family === 4));
    const own = flannelItfs.find((i) => network && i.addresses.some((a) => a.family === 4 && addressIn(a.address, formatCidr(network)))) ?? flannelItfs[0];
    let iface: string;
    let assumed: string | undefined;
    const evidence: Evidence[] = [{ file: env.subnet.ref.file, line: env.subnet.ref.line, excerpt: env.subnet.excerpt, note: `flannel's lease for this node: the other nodes route ${text} here` }];
    if (env.network) evidence.push({ file: env.network.ref.file, line: env.network.ref.line, excerpt: env.network.excerpt, note: 'the flannel network' });
    if (own) {
      iface = own.name;
      const a = own.addresses.find((x) => x.family === 4)!;
      evidence.push({ file: a.ref.file, line: a.ref.line, excerpt: a.excerpt, note: `${own.name}: the other nodes' packets for ${text} arrive here` });
    } else {
      const via = routes.find((r) => r.dev && inNetwork(r) && !LOCAL_LINK.test(r.dev));
      if (via?.dev) {
        iface = via.dev;
        if (!/^flannel/.test(via.dev)) assumed = `no flannel interface in ip addr: flannel's host-gw back end routes the other nodes' subnets over ${via.dev}`;
      } else if (itfs.size > 0) {
        const up = uplinkOf(artifacts);
        if (!up) continue;
        iface = up;
        assumed = `no flannel interface in ip addr: with flannel's host-gw back end the packets arrive on the uplink ${up}`;
      } else {
        iface = 'flannel.1';
        assumed = "no ip addr in the bundle: flannel.1 is flannel's VXLAN interface (its default back end)";
      }
    }
    const peerRoute = routes.find((r) => r.dev === iface && inNetwork(r));
    if (peerRoute) evidence.push({ file: peerRoute.ref.file, line: peerRoute.ref.line, excerpt: peerRoute.excerpt, note: `another node's subnet, over ${iface}` });
    const peer = peerRoute ? peerIn(parseCidr(peerRoute.destination)!, subnet) : network ? siblingHost(network, subnet) : undefined;
    if (!peer) continue;
    if (out.some((w) => w.iface === iface && w.subnet === text)) continue;
    out.push({
      iface,
      assumed,
      kind: 'flannel',
      strength: 'proven',
      subnet: text,
      covers: (ip) => addressIn(ip, text),
      peer,
      evidence,
      says: `flannel routes the other nodes' traffic for ${text} (FLANNEL_SUBNET) to this node, where it comes in on ${iface}`,
    });
  }
  return out;
}

function isTunnel(name: string, itf?: Interface): boolean {
  return TUNNEL_NAME.test(name) || (!!itf?.kind && TUNNEL_KIND.has(itf.kind));
}

/** Another host's container subnet: as large, disjoint, in the same /16 (10.1.33.0/24 beside 10.1.215.0/24). */
function isSibling(r: Cidr, c: Cidr): boolean {
  if (r.family !== c.family || r.family !== 4 || r.prefix !== c.prefix || r.prefix < 16 || r.prefix > 30) return false;
  return r.network !== c.network && r.network >> 16n === c.network >> 16n;
}

function routeEvidence(r: Route, subnet: string, tunnel: boolean): Evidence {
  return { file: r.ref.file, line: r.ref.line, excerpt: r.excerpt, note: tunnel ? `a route over the tunnel ${r.dev}: the way ${subnet} is reached from the other end too` : `a route to another host's container subnet: the other hosts route ${subnet} here the same way` };
}

/** A remote host's address in `r`, outside the container subnet `c`. */
function peerIn(r: Cidr, c: Cidr): string {
  const at = (n: bigint) => formatCidr({ ...r, network: n, prefix: 32 }).split('/')[0];
  const size = 1n << BigInt(32 - r.prefix);
  const first = r.network + (size > 4n ? 2n : 0n);
  if (!cidrContains(c, { ...r, network: first, prefix: 32 })) return at(first);
  // r holds c (the overlay network): the first address past c
  return at(c.network + (1n << BigInt(32 - c.prefix)) + 2n);
}

/** A host in another node's subnet of a flannel network (the lease's size). */
function siblingHost(network: Cidr, own: Cidr): string | undefined {
  if (network.family !== 4 || !cidrContains(network, own) || network.prefix >= own.prefix) return undefined;
  const size = 1n << BigInt(32 - own.prefix);
  const other = own.network === network.network ? network.network + size : network.network;
  return formatCidr({ ...own, network: other + (size > 4n ? 2n : 0n), prefix: 32 }).split('/')[0];
}

/** A bridge's IPv4 subnets: Docker's networks and ip addr, else Docker's masquerade rule for it (`-s S ! -o <bridge>`). */
function bridgeSubnets(artifacts: NodeArtifacts, bridge: string): Cidr[] {
  const known = dockerBridges(artifacts).find((b) => b.name === bridge);
  const own = (known?.subnets ?? []).map((s) => parseCidr(s.cidr)).filter((c): c is Cidr => !!c && c.family === 4);
  const itf = interfacesOf(artifacts.ipAddr ?? []).get(bridge);
  for (const a of itf?.addresses ?? []) if (a.family === 4) own.push(parseCidr(a.network)!);
  if (own.length > 0) return own;
  for (const r of liveTables(artifacts).get('nat')?.get('POSTROUTING')?.rules ?? [])
    if (r.target === 'MASQUERADE' && r.source && !r.source.negated && r.outInterface?.negated && r.outInterface.value === bridge) {
      const c = parseCidr(r.source.value);
      if (c) own.push(c);
    }
  return own;
}

// ---- tracing ------------------------------------------------------------------------------------

interface Hit {
  drop: DirectDrop;
  /** the container address traced */
  ip: string;
  /** the rule that dropped it (Docker's) */
  by: TraceStep;
  protocol: string;
  port?: number;
  result: TraceResult;
  /** with Docker's direct-access rules out of the way, the filter rules still drop it: the port is not published */
  alsoBlocked?: TraceStep;
  logLines: LogMatch[];
}

interface Group {
  way: WayIn;
  bridge: string;
  hits: Hit[];
}

function traceWays(artifacts: NodeArtifacts, drops: DirectDrop[], ways: WayIn[], timeouts: LogMatch[], partly?: Partly): Group[] {
  const tables = liveTables(artifacts);
  const ctx = traceContext(artifacts);
  const skip = new Set(drops.flatMap((d) => (d.rule ? [d.rule] : [])));
  const groups = new Map<string, Group>();
  const published = publishedPorts(artifacts);
  // the step that dropped the packet is one of Docker's direct-access rules
  const isDocker = (s: TraceStep | undefined) => !!s && drops.some((d) => d.file === s.file && d.line === s.line) && (s.nft ? s.nft.table === 'docker-bridges' : s.table === 'raw');
  for (const way of ways)
    for (const d of drops) {
      if (d.fragment || !way.covers(d.ip) || way.iface === d.bridge) continue;
      const logFor = (ip: string, port?: number) => timeouts.filter((m) => peerOf(m) === ip && (port === undefined || Number(m.facts.port) === port));
      for (const { ip, protocol, port } of portsOf(d, published, timeouts)) {
        const p: Packet = { src: way.peer, dst: ip, protocol, dport: port, sport: port === undefined ? undefined : 40000, inInterface: way.iface, outInterface: d.bridge, state: 'new', mark: 0 };
        const result = trace(tables, 'forward', p, ctx);
        if (result.verdict.kind === 'unknown') {
          const at = result.verdict.at;
          partly?.(`could not decide whether ${way.peer} reaches ${ip}${port ? `:${port}/${protocol}` : ''} in on ${way.iface}: ${result.verdict.reason}${at ? ` at ${at.table}/${at.chain} rule ${at.num} (${at.file}:${at.line})` : ''}`);
          continue;
        }
        if (result.verdict.kind !== 'DROP' || !isDocker(result.decidedBy)) continue;
        const hit: Hit = { drop: d, ip, by: result.decidedBy!, protocol, port, result, logLines: logFor(ip, port) };
        if (!result.decidedBy!.nft && skip.size > 0) {
          const without = trace(tables, 'forward', p, { ...ctx, skipBranches: skip });
          if ((without.verdict.kind === 'DROP' || without.verdict.kind === 'REJECT') && without.decidedBy) hit.alsoBlocked = without.decidedBy;
        }
        const key = `${way.iface}|${d.bridge}`;
        const g = groups.get(key) ?? { way, bridge: d.bridge, hits: [] };
        g.hits.push(hit);
        groups.set(key, g);
      }
    }
  return [...groups.values()];
}

/** Ports Docker publishes, by container address: its filter ACCEPTs and nat DNATs, or its nftables table's. Built once per node. */
function publishedPorts(artifacts: NodeArtifacts): Map<string, Map<string, { protocol: string; port: number }>> {
  const out = new Map<string, Map<string, { protocol: string; port: number }>>();
  const add = (ip: string, protocol: string, port: number) => {
    const m = out.get(ip) ?? new Map<string, { protocol: string; port: number }>();
    m.set(`${protocol}/${port}`, { protocol, port });
    out.set(ip, m);
  };
  for (const rs of liveIpv4(artifacts))
    for (const t of Object.values(rs.tables)) {
      if (t.name !== 'filter' && t.name !== 'nat') continue;
      for (const c of Object.values(t.chains))
        for (const r of c.rules) {
          const proto = r.protocol && !r.protocol.negated ? r.protocol.value : undefined;
          if (!proto || !['tcp', 'udp', 'sctp'].includes(proto)) continue;
          if (r.target === 'DNAT' && t.name === 'nat') {
            const to = /^([\d.]+):(\d+)$/.exec(r.targetOptions['to-destination'] ?? '');
            if (to) add(to[1], proto, Number(to[2]));
          } else if (r.target === 'ACCEPT' && t.name === 'filter' && r.destination && !r.destination.negated && /\/32$|^[\d.]+$/.test(r.destination.value)) {
            const port = r.matches.flatMap((m) => m.options).find((o) => o.name === 'dport' && !o.negated)?.value;
            if (port && /^\d+$/.test(port)) add(r.destination.value.split('/')[0], proto, Number(port));
          }
        }
    }
  for (const rs of nativeNftables(artifacts))
    for (const t of rs.tables) {
      if (t.name !== 'docker-bridges') continue;
      for (const c of t.chains)
        for (const r of c.rules) {
          const dn = /(tcp|udp|sctp) dport \d+ .*dnat to ([\d.]+):(\d+)/.exec(r.text);
          if (dn) add(dn[2], dn[1], Number(dn[3]));
          const acc = /ip daddr ([\d.]+) (tcp|udp|sctp) dport (\d+) .*accept/.exec(r.text);
          if (acc) add(acc[1], acc[2], Number(acc[3]));
        }
    }
  return out;
}

/**
 * The ports to trace to a protected container: the rule's own (Docker 28.0 / 28.1), else the ports
 * Docker publishes for it and those of log lines that timed out on it. None known: ICMP echo (Docker's
 * filter rules drop it anyway, published or not).
 */
function portsOf(d: DirectDrop, published: Map<string, Map<string, { protocol: string; port: number }>>, timeouts: LogMatch[]): { ip: string; protocol: string; port?: number }[] {
  if (d.port !== undefined) return [{ ip: d.ip, protocol: d.protocol ?? 'tcp', port: d.port }];
  const inDst = (ip: string) => (d.form === 'subnet' ? addressIn(ip, d.dst) : ip === d.ip);
  const seen = new Map<string, { ip: string; protocol: string; port?: number }>();
  for (const [ip, ports] of published) if (inDst(ip)) for (const v of ports.values()) seen.set(`${ip}|${v.protocol}/${v.port}`, { ip, ...v });
  for (const m of timeouts) {
    const ip = peerOf(m);
    if (ip && inDst(ip) && /^\d+$/.test(m.facts.port ?? '')) {
      const protocol = m.facts.protocol === 'udp' ? 'udp' : 'tcp';
      seen.set(`${ip}|${protocol}/${m.facts.port}`, { ip, protocol, port: Number(m.facts.port) });
    }
  }
  if (seen.size > 0) return [...seen.values()];
  // a subnet-wide rule with nothing published: a container's address in it (.2)
  const c = parseCidr(d.dst)!;
  return [{ ip: d.form === 'subnet' ? formatCidr({ ...c, network: c.network + 2n, prefix: 32 }).split('/')[0] : d.ip, protocol: 'icmp' }];
}

// ---- logs ---------------------------------------------------------------------------------------

/** Connections that got no answer, written by anything but the host's own daemons (whose connections never pass PREROUTING). */
function timeoutLines(artifacts: NodeArtifacts): LogMatch[] {
  return (artifacts.logs ?? []).flatMap((l) => l.matches.filter((m) => connectionSymptom(m) === 'timeout' && fromContainer(m) && peerOf(m) !== undefined));
}

function peerOf(m: LogMatch): string | undefined {
  return [m.facts.address, m.facts.host].find((x) => x !== undefined && parseIp(x)?.family === 4);
}

function logEvidence(m: LogMatch, what: string): Evidence {
  return { file: m.file, line: m.line, excerpt: m.excerpt, ...timeOf(m), note: what };
}

// ---- findings -----------------------------------------------------------------------------------

function targetText(h: { ip: string; protocol: string; port?: number }): string {
  return h.port !== undefined ? `${h.ip}:${h.port}/${h.protocol}` : `${h.ip} (${h.protocol})`;
}

/** What the rule protects: the container's address, or the whole subnet. */
function guarded(d: DirectDrop): string {
  return `${d.form === 'subnet' ? d.dst : d.ip}${d.port !== undefined ? ` port ${d.port}` : ''}`;
}

function ruleName(d: DirectDrop): string {
  if (d.fragment) return 'a raw-table rule whose chain the grep did not show';
  return d.form === 'nft' ? `the nftables rule ip docker-bridges raw-PREROUTING #${d.num}` : `raw/PREROUTING rule ${d.num}`;
}

function formSays(d: DirectDrop): string {
  switch (d.form) {
    case 'per-port':
      return "These are Docker 28.0/28.1's rules (one per published port); Docker 28.2 made them one per container and added the options that let an interface through.";
    case 'nft':
      return "This is Docker's nftables back end (Docker 29, firewall-backend nftables): the interfaces allowed are the bridge's and trusted_host_interfaces'.";
    case 'subnet':
      return 'The rule covers the whole bridge subnet.';
    default:
      return '';
  }
}

function routedFinding(node: string, artifacts: NodeArtifacts, g: Group) {
  const { way, bridge, hits } = g;
  const first = hits[0];
  const d = first.drop;
  const targets = [...new Set(hits.map(targetText))];
  const lines = distinctLines(hits.flatMap((h) => h.logLines));
  const unpublished = hits.filter((h) => h.alsoBlocked);
  const drops = [...new Map(hits.map((h) => [`${h.by.file}:${h.by.line}`, h])).values()];
  const evidence: Evidence[] = distinctEvidence([
    ...drops.slice(0, 6).map((h) => ({
      file: h.by.file,
      line: h.by.line,
      excerpt: h.by.text,
      note: `${ruleName(h.drop)}: Docker's direct-access rule drops what reaches ${guarded(h.drop)} from anywhere but ${bridge}${h.drop.packets ? ` (it counted ${h.drop.packets} dropped packet${h.drop.packets === 1 ? '' : 's'})` : ''}`,
    })),
    ...way.evidence,
    ...bridgeEvidence(artifacts, bridge, way.subnet),
    ...lines.slice(0, 4).map((m) => logEvidence(m, `a connection to ${peerOf(m)}:${m.facts.port} that got no answer: what the drop does to a client`)),
  ]);
  const assumed = way.assumed ? ` (${way.assumed})` : '';
  const also = unpublished.length
    ? ` Past that rule, ${unpublished.map((h) => `${targetText(h)} is also dropped by ${h.alsoBlocked!.table}/${h.alsoBlocked!.chain} rule ${h.alsoBlocked!.num}`).join('; ')}: the port is not published, and trusting the interface opens published ports only.`
    : '';
  const proven = way.strength === 'proven';
  return {
    severity: proven ? ('critical' as const) : ('warning' as const),
    title: "Docker's direct-access rule drops traffic routed to containers from other nodes",
    message:
      `On ${node}, Docker's protection of container addresses drops packets for ${targets.join(', ')} that arrive on ${way.iface}${assumed}: ${ruleName(d)} (${d.file}:${d.line}) drops everything addressed to ${guarded(d)} that does not come in on ${bridge}. ` +
      `${capital(way.says)}${proven ? '' : ' (inferred from this node\'s routes)'}, so ${way.kind === 'flannel' ? 'containers and hosts on the other nodes' : 'hosts on the other end'} get no answer. ` +
      `Traced: ${way.peer} -> ${targetText(first)} in on ${way.iface}: DROP by ${first.by.nft ? `${first.by.nft.table} ${first.by.chain}` : `${first.by.table}/${first.by.chain}`} rule ${first.by.num}. ${formSays(d)}${also}` +
      (lines.length ? ` ${lines.length === 1 ? 'A client' : `${lines.length} client lines`} timed out on exactly that address (${lines.map((m) => `${m.file}:${m.line}`).join(', ')}).` : ''),
    impact: `Traffic routed to the containers on ${bridge} through ${way.iface} (other nodes' containers and hosts) times out; only connections to ports published on this node's own addresses get in.`,
    evidence,
    facts: {
      bridge,
      subnet: way.subnet,
      interface: way.iface,
      via: way.kind,
      ...(way.assumed ? { interfaceAssumed: true } : {}),
      dockerRules: d.form,
      dropped: targets,
      decidedBy: drops.map((h) => `${h.by.file}:${h.by.line}`),
      ...(unpublished.length ? { notPublished: unpublished.map(targetText) } : {}),
      explainsLogLines: lines.map((m) => `${m.file}:${m.line}`),
    },
    remedy: remedyFor(artifacts, { bridge, iface: way.iface, subnet: way.subnet, drop: d }),
  };
}

/** With no way in shown: a client timed out on exactly an address (and port) Docker's rule protects. */
function logOnlyFindings(node: string, artifacts: NodeArtifacts, drops: DirectDrop[], timeouts: LogMatch[], ways: WayIn[]) {
  const byBridge = new Map<string, { drop: DirectDrop; lines: LogMatch[] }[]>();
  for (const d of drops) {
    // a trusted interface is let through: which one the client came in on, the bundle does not say
    if (d.trusted.length > 0) continue;
    const lines = timeouts.filter((m) => {
      const ip = peerOf(m);
      return !!ip && (d.form === 'subnet' ? addressIn(ip, d.dst) : ip === d.ip) && (d.port === undefined || Number(m.facts.port) === d.port);
    });
    if (lines.length === 0) continue;
    const list = byBridge.get(d.bridge) ?? [];
    list.push({ drop: d, lines });
    byBridge.set(d.bridge, list);
  }
  const out = [];
  for (const [bridge, list] of byBridge) {
    const lines = distinctLines(list.flatMap((x) => x.lines));
    const counted = list.filter((x) => (x.drop.packets ?? 0) > 0);
    const d = list[0].drop;
    const targets = [...new Set(list.flatMap((x) => x.lines.map((m) => `${peerOf(m)}:${m.facts.port}`)))];
    const way = ways.find((w) => w.covers(d.ip) && w.iface !== bridge);
    const fragment = list.find((x) => x.drop.fragment)?.drop;
    out.push({
      severity: counted.length > 0 ? ('critical' as const) : ('warning' as const),
      title: "Docker's direct-access rule drops traffic routed to containers from other nodes",
      message:
        `On ${node}, connections to ${targets.join(', ')} timed out (${lines.map((m) => `${m.file}:${m.line}`).join(', ')}), and ${ruleName(d)} (${d.file}:${d.line}) is Docker's protection of that container's address: it drops every packet for ${guarded(d)} that does not arrive on ${bridge}. ` +
        (counted.length > 0 ? `It counted ${counted.map((x) => x.drop.packets).join(', ')} dropped packets: traffic for the container did come in on another interface. ` : '') +
        "A client on another host that routes to the container's address (flannel with Docker's bridge on its subnet, a tunnel, a static route) gets no answer. " +
        (way
          ? `${capital(way.says)}. `
          : "The bundle does not show which interface that traffic arrives on (no flannel subnet.env, tunnel or route to the subnet): check `ip route` and flannel's subnet.env on this node. ") +
        (fragment
          ? `The rule was read from rows grepped out of an iptables -L listing (${fragment.file}): the chain it is in was not shown. Docker writes such DROPs only in raw PREROUTING; whether an ACCEPT for the interface stands before it there, the grep does not show: check with \`iptables -t raw -nvL PREROUTING --line-numbers\`. `
          : '') +
        formSays(d),
      impact: `Traffic routed to the containers on ${bridge} from other hosts times out; only connections to ports published on this node's own addresses get in.`,
      evidence: distinctEvidence([
        ...list.slice(0, 6).map((x) => ({ file: x.drop.file, line: x.drop.line, excerpt: x.drop.text, note: `${ruleName(x.drop)}: Docker's direct-access rule for ${guarded(x.drop)} (not from ${bridge}: dropped)${x.drop.packets ? `, ${x.drop.packets} packets dropped so far` : ''}` })),
        ...lines.slice(0, 4).map((m) => logEvidence(m, `a connection to ${peerOf(m)}:${m.facts.port} that got no answer`)),
        ...(way ? way.evidence : []),
        ...bridgeEvidence(artifacts, bridge),
      ]),
      facts: {
        bridge,
        dockerRules: d.form,
        dropped: targets,
        decidedBy: list.map((x) => `${x.drop.file}:${x.drop.line}`),
        ...(fragment ? { chainNotShown: true } : {}),
        ...(way ? { interface: way.iface, via: way.kind } : {}),
        ...(counted.length ? { droppedPackets: counted.reduce((n, x) => n + (x.drop.packets ?? 0), 0) } : {}),
        explainsLogLines: lines.map((m) => `${m.file}:${m.line}`),
      },
      remedy: remedyFor(artifacts, { bridge, iface: way?.iface ?? '<the interface the other hosts\' traffic arrives on: flannel.1 with flannel VXLAN>', subnet: way?.subnet ?? bridgeSubnets(artifacts, bridge).map(formatCidr)[0], drop: d }),
    });
  }
  return out;
}

function distinctLines(ms: LogMatch[]): LogMatch[] {
  return [...new Map(ms.map((m) => [`${m.file}:${m.line}`, m])).values()];
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** The bridge's address (ip addr or docker network inspect), and dockerd's --bip when it is set. */
function bridgeEvidence(artifacts: NodeArtifacts, bridge: string, subnet?: string): Evidence[] {
  const out: Evidence[] = [];
  const b = dockerBridges(artifacts).find((x) => x.name === bridge);
  const s = b?.subnets.find((x) => !subnet || x.cidr === subnet) ?? b?.subnets[0];
  if (s) out.push({ ...s.evidence, note: `${bridge}: the containers' bridge (${s.cidr})` });
  const bip = dockerdSettings(artifacts.dockerDaemon).bip;
  if (bip && (!subnet || addressIn(bip.value.split('/')[0], subnet))) out.push({ file: bip.ref.file, line: bip.ref.line, excerpt: bip.excerpt, note: `dockerd's --bip (read from ${bip.note}): docker0 on ${subnet ?? bip.value}` });
  return out;
}

// ---- the fix ------------------------------------------------------------------------------------

function remedyFor(artifacts: NodeArtifacts, w: { bridge: string; iface: string; subnet?: string; drop: DirectDrop }): Remedy {
  const { bridge, iface, subnet, drop } = w;
  const docker: DockerRestart = dockerRestartOf(artifacts);
  const old = drop.form === 'per-port';
  const defaultBridge = bridge === 'docker0';
  const named = !iface.startsWith('<');
  const tool = drop.ruleset ? iptablesTool(drop.ruleset, liveIpv4(artifacts)) : 'iptables';
  const commands: string[] = [];
  if (old) commands.push("docker version --format '{{.Server.Version}}'   # 28.2.0 or later has allow-direct-routing and trusted_host_interfaces: upgrade first");
  if (defaultBridge) {
    commands.push(`# the default bridge (docker0${subnet ? `, ${subnet}` : ''}): in ${docker.daemonJson} add  "allow-direct-routing": true  (Docker 28.2+; it applies to every bridge network of the host)`);
    commands.push(...restartDocker({ dockerRestart: docker }, 'Docker writes its raw rules again, without the direct-access DROPs'));
    commands.push(`# or run the containers on a user-defined network instead, which can trust ${named ? iface : 'that interface'} alone: docker network create -o com.docker.network.bridge.trusted_host_interfaces=${named ? iface : '<interface>'} --subnet <subnet> <name>  (a subnet is on one bridge only: docker0 has to leave ${subnet ?? 'it'} first)`);
  } else {
    commands.push(`docker network ls --filter driver=bridge -q | xargs docker network inspect --format '{{.Name}} {{index .Options "com.docker.network.bridge.name"}} {{json .IPAM.Config}}'   # which network is ${bridge}`);
    commands.push(`docker network create -o com.docker.network.bridge.trusted_host_interfaces=${named ? iface : '<interface>'} --subnet ${subnet ?? '<subnet>'} <name>   # Docker 28.2+: recreate the network with ${named ? iface : 'the interface'} trusted (colon-separated for several), then reconnect its containers`);
    commands.push(`# or, for every bridge network of the host: "allow-direct-routing": true in ${docker.daemonJson}, then restart dockerd`);
  }
  if (drop.form !== 'nft' && named && subnet)
    commands.push(`${tool} -t raw -I PREROUTING 1 -d ${subnet} -i ${iface} -j ACCEPT   # stop-gap until then: lets ${iface}'s packets past Docker's DROP (the filter rules still open published ports only); gone at reboot`);
  if (drop.form === 'nft') commands.push(`nft list chain ip docker-bridges raw-PREROUTING   # afterwards: iifname != { "${bridge}", "${named ? iface : '<interface>'}" } (trusted), or no DROP (allow-direct-routing)`);
  else commands.push(`${tool} -t raw -S PREROUTING   # afterwards: -A PREROUTING -d ${drop.ip}/32 -i ${named ? iface : '<interface>'} -j ACCEPT ahead of Docker's DROP (trusted), or no DROP (allow-direct-routing)`);
  const summary = `${old ? 'Upgrade Docker to 28.2 or later (28.0/28.1 have no option for this), then let' : 'Let'} ${named ? iface : 'the interface the other hosts\' traffic arrives on'} reach the containers: ${defaultBridge ? '"allow-direct-routing": true in daemon.json for the default bridge' : `com.docker.network.bridge.trusted_host_interfaces=${named ? iface : '<interface>'} on the network of ${bridge}`}. Do not delete Docker's rule (Docker writes it again for each container it starts), and an ACCEPT in DOCKER-USER does not help (the raw table runs before filter)${drop.form === 'nft' ? '; an accept in another nftables table does not undo a drop in Docker\'s' : ''}.`;
  return {
    summary,
    commands,
    caution:
      'Avoid DOCKER_INSECURE_NO_IPTABLES_RAW=1 and gateway mode nat-unprotected as workarounds: the variable drops the raw rules of every network (ports published even on 127.0.0.1 become reachable from any host with a route), and nat-unprotected opens every port of every container of the network to every interface. allow-direct-routing lets any routed host reach published ports on container addresses, for every bridge network; trusted_host_interfaces only the interfaces it names. Restarting dockerd restarts the containers (unless live-restore is on); a recreated network disconnects them.',
  };
}

// ---- Swarm's routing mesh and Docker 28.0.0's docker_gwbridge DROP (moby#49536) ----------------

/**
 * Docker 28.0.0 writes, per bridge, `-A DOCKER ! -i <bridge> -o <bridge> -j DROP` in the filter table:
 * what was not accepted for a published port before it is dropped. The routing mesh DNATs a published
 * port to the ingress sandbox's address on docker_gwbridge; DOCKER-INGRESS accepts those packets, and it
 * has to be met first. In 28.0.0 the FORWARD jump to DOCKER-INGRESS is not put back at the top when its
 * chain already exists (a daemon restart), so it ends up behind the jump to DOCKER and the DROP takes the
 * mesh's traffic: published Swarm services stop answering (moby/moby#49536). 28.0.1 jumps to DOCKER-INGRESS
 * first thing in DOCKER-FORWARD (moby/moby#49538; release notes: "Fix an issue with Swarm ingress, caused
 * by incorrect ordering of iptables rules"). From the rules: the DROP for docker_gwbridge, its counter,
 * and, where FORWARD is shown, which of DOCKER-INGRESS and DOCKER it reaches first; the Swarm signs are
 * docker info's `Swarm: active`, a DOCKER-INGRESS chain, and `docker service ls` ports in ingress mode.
 */
type IngressOrder = 'ingress-first' | 'docker-first' | 'no-ingress' | 'unknown';

interface GwbridgeDrop {
  rule: Rule;
  order: IngressOrder;
  /** the FORWARD rules that decide the order (the jump reaching DOCKER, the one reaching DOCKER-INGRESS) */
  orderRules: Rule[];
  /** the DOCKER-USER chain's rules other than RETURN (the stop-gap goes ahead of them) */
  userRules: Rule[];
}

/**
 * Which of DOCKER-INGRESS and DOCKER the FORWARD chain reaches first, following its jumps in order:
 * `no-ingress` where FORWARD is shown and never reaches DOCKER-INGRESS (no routing mesh on the node:
 * the DROP is Docker's intended protection, or Swarm's ingress chains are gone, another check's matter).
 */
function ingressOrder(filter: Map<string, Chain> | undefined): { order: IngressOrder; rules: Rule[] } {
  const forward = filter?.get('FORWARD');
  if (!forward || forward.rules.length === 0) return { order: 'unknown', rules: [] };
  const seen = new Set<string>();
  const reached: { target: 'DOCKER' | 'DOCKER-INGRESS'; at: Rule }[] = [];
  const walk = (chain: Chain, via: Rule | undefined): void => {
    if (seen.has(chain.name)) return;
    seen.add(chain.name);
    for (const r of chain.rules) {
      const at = via ?? r;
      if (r.target === 'DOCKER-INGRESS' || r.target === 'DOCKER') {
        reached.push({ target: r.target, at });
        continue;
      }
      const next = r.target ? filter!.get(r.target) : undefined;
      if (next && !next.builtin) walk(next, at);
    }
  };
  walk(forward, undefined);
  const ingress = reached.findIndex((x) => x.target === 'DOCKER-INGRESS');
  if (ingress < 0) return { order: 'no-ingress', rules: [] };
  const docker = reached.findIndex((x) => x.target === 'DOCKER');
  if (docker >= 0 && docker < ingress) return { order: 'docker-first', rules: [reached[docker].at, reached[ingress].at] };
  return { order: 'ingress-first', rules: [reached[ingress].at] };
}

function gwbridgeDrops(artifacts: NodeArtifacts): GwbridgeDrop[] {
  const out: GwbridgeDrop[] = [];
  for (const view of liveViews(artifacts)) {
    const filter = view.tables.get('filter');
    const docker = filter?.get('DOCKER');
    if (!docker) continue;
    const { order, rules } = ingressOrder(filter);
    const userRules = (filter?.get('DOCKER-USER')?.rules ?? []).filter((r) => r.target !== 'RETURN');
    for (const r of docker.rules)
      if (r.target === 'DROP' && r.inInterface?.negated && r.inInterface.value === 'docker_gwbridge' && r.outInterface && !r.outInterface.negated && r.outInterface.value === 'docker_gwbridge' && !r.source && !r.destination && !r.protocol)
        out.push({ rule: r, order, orderRules: rules, userRules });
  }
  return out;
}

interface SwarmSign {
  evidence: Evidence;
  says: string;
}

function swarmSignsOf(artifacts: NodeArtifacts): { signs: SwarmSign[]; inactive?: Evidence } {
  const signs: SwarmSign[] = [];
  const info = swarmActive(artifacts);
  if (info) signs.push({ says: `docker info says "${info.excerpt.trim()}"`, evidence: { file: info.ref.file, line: info.ref.line, excerpt: info.excerpt.trim(), note: 'the node is in a Swarm' } });
  const state = dockerEngine(artifacts.dockerDaemon)?.swarm;
  const inactive = !info && state && /^inactive$/i.test(state.value) ? { file: state.ref.file, line: state.ref.line, excerpt: state.excerpt.trim(), note: 'docker info: not in a Swarm' } : undefined;
  for (const view of liveViews(artifacts))
    for (const t of ['filter', 'nat']) {
      const c = view.tables.get(t)?.get('DOCKER-INGRESS');
      if (c && !signs.some((s) => s.says.startsWith('chain DOCKER-INGRESS'))) signs.push({ says: `chain DOCKER-INGRESS (${t}) exists`, evidence: { file: c.ref.file, line: c.ref.line, excerpt: `chain DOCKER-INGRESS (${t} table)`, note: "Swarm's routing-mesh chain" } });
    }
  const services = ingressServices(artifacts.dockerServices);
  for (const s of services.slice(0, 3)) {
    const ports = s.ports.filter((p) => p.mode === 'ingress').map((p) => p.text);
    signs.push({ says: `service ${s.name} publishes ${ports.join(', ')} in ingress mode`, evidence: { file: s.ref.file, line: s.ref.line, excerpt: s.excerpt, note: `Swarm service ${s.name} publishes ${ports.join(', ')} through the routing mesh (ingress mode: DNAT to the ingress sandbox on docker_gwbridge)` } });
  }
  return { signs, inactive };
}

function swarmIngressFindings(node: string, artifacts: NodeArtifacts) {
  const drops = gwbridgeDrops(artifacts).filter((d) => d.order === 'docker-first' || d.order === 'unknown');
  if (drops.length === 0) return [];
  const { signs, inactive } = swarmSignsOf(artifacts);
  if (inactive) return [];
  const version = dockerEngine(artifacts.dockerDaemon)?.serverVersion;
  const nums = version ? dockerVersionNumbers(version.value) : undefined;
  const fixed = !!nums && (nums[0] > 28 || (nums[0] === 28 && (nums[1] > 0 || nums[2] >= 1)));
  const is2800 = !!nums && nums[0] === 28 && nums[1] === 0 && nums[2] === 0;
  const findings = [];
  for (const d of drops) {
    // a version that has the fix with the order not shown: the layout is 28.0.1's
    if (fixed && d.order === 'unknown') continue;
    const packets = d.rule.counters?.packets;
    const swarm = signs.length > 0;
    let severity: 'critical' | 'warning';
    if (packets !== undefined && packets > 0) severity = swarm ? 'critical' : 'warning';
    else if (packets === undefined) {
      if (!swarm) continue;
      severity = 'warning';
    } else {
      // a zero counter: nothing dropped yet; only a shown wrong order on a Swarm node is worth saying
      if (!(swarm && d.order === 'docker-first')) continue;
      severity = 'warning';
    }
    findings.push(ingressFinding(node, d, { severity, signs, version, is2800, fixed }));
  }
  return findings;
}

function ingressFinding(node: string, d: GwbridgeDrop, o: { severity: 'critical' | 'warning'; signs: SwarmSign[]; version?: { value: string; ref: { file: string; line: number }; excerpt: string }; is2800: boolean; fixed: boolean }) {
  const r = d.rule;
  const packets = r.counters?.packets;
  const counted = packets !== undefined ? (packets > 0 ? `it has dropped ${packets} packet${packets === 1 ? '' : 's'}` : 'its counter is still 0') : 'the dump has no counters';
  const orderSays =
    d.order === 'docker-first'
      ? `FORWARD reaches the DOCKER chain (${d.orderRules[0].ref.file}:${d.orderRules[0].ref.line}) before DOCKER-INGRESS (${d.orderRules[1].ref.file}:${d.orderRules[1].ref.line}): Docker 28.0.0's order`
      : 'the FORWARD chain is not in the dump, so whether DOCKER-INGRESS is met first is not shown';
  const versionSays = o.version ? ` Docker ${o.version.value} (${o.version.ref.file}:${o.version.ref.line})${o.is2800 ? ' is the release with this bug' : o.fixed ? ' should have the fix, yet the rules show the old order: restart dockerd so it rewrites them' : ''}.` : '';
  const swarmSays = o.signs.length ? ` The node runs Swarm: ${o.signs.map((s) => s.says).join('; ')}.` : ' No Swarm sign is in the bundle (docker info, DOCKER-INGRESS, docker service ls): if the node is not in a Swarm, these are direct-access attempts the rule is meant to drop.';
  const evidence: Evidence[] = distinctEvidence([
    { file: r.ref.file, line: r.ref.line, excerpt: r.text, note: `Docker 28's DROP for docker_gwbridge in the DOCKER chain: ${counted}` },
    ...d.orderRules.map((x, i) => ({ file: x.ref.file, line: x.ref.line, excerpt: x.text, note: i === 0 ? 'FORWARD reaches the DOCKER chain here, before DOCKER-INGRESS' : 'and DOCKER-INGRESS only here, after it' })),
    ...o.signs.map((s) => s.evidence),
    ...(o.version ? [{ file: o.version.ref.file, line: o.version.ref.line, excerpt: o.version.excerpt.trim(), note: 'the Docker version' }] : []),
  ]);
  const tool = 'iptables';
  const stopgap = `${tool} -C DOCKER-USER -j DOCKER-INGRESS 2>/dev/null || ${tool} -I DOCKER-USER -j DOCKER-INGRESS`;
  const users = d.userRules.length
    ? ` DOCKER-USER holds rules of its own (${d.userRules.slice(0, 3).map((x) => `${x.ref.file}:${x.ref.line}`).join(', ')}): the jump goes ahead of them, so they no longer filter the published Swarm ports; to keep them first, insert it below them (\`-I DOCKER-USER <n>\`).`
    : '';
  return {
    id: 'iptables.swarm-ingress-dropped',
    severity: o.severity,
    title: "Docker 28.0.0's DROP for docker_gwbridge takes Swarm's routing-mesh traffic",
    message:
      `On ${node}, the DOCKER chain's \`! -i docker_gwbridge -o docker_gwbridge -j DROP\` (${r.ref.file}:${r.ref.line}): ${counted}. ` +
      `Swarm's routing mesh DNATs a published port to the ingress sandbox on docker_gwbridge, and DOCKER-INGRESS must accept it before that DROP; ${orderSays}.${swarmSays}${versionSays} ` +
      'In Docker 28.0.0 the FORWARD jump to DOCKER-INGRESS falls behind the jump to DOCKER once dockerd restarts with the chain in place (moby/moby#49536); 28.0.1 jumps to DOCKER-INGRESS first in DOCKER-FORWARD (moby/moby#49538).',
    impact: 'Services published in ingress mode (`*:port` in docker service ls) do not answer on this node: the routing mesh\'s packets are dropped on their way to the ingress sandbox.',
    evidence,
    facts: {
      rule: `${r.ref.file}:${r.ref.line}`,
      droppedPackets: packets ?? null,
      order: d.order,
      swarm: o.signs.map((s) => s.says),
      ...(o.version ? { dockerVersion: o.version.value } : {}),
    },
    remedy: {
      summary:
        'Upgrade Docker Engine to 28.0.1 or later (moby/moby#49538 puts the jump to DOCKER-INGRESS first in DOCKER-FORWARD). Until then, a jump to DOCKER-INGRESS in DOCKER-USER lets the published Swarm ports through ahead of the DROP, as in 27.x: it accepts only what DOCKER-INGRESS accepts (the published ports and their replies) and returns everything else.' +
        users,
      commands: [
        '# stop-gap until the upgrade (once; pasting it again adds nothing):',
        stopgap,
        `# after upgrading to 28.0.1+, remove it: ${tool} -D DOCKER-USER -j DOCKER-INGRESS`,
      ],
      caution: 'DOCKER-USER is not rewritten by dockerd: the stop-gap survives its restarts but not a reboot; delete it after the upgrade. DOCKER-INGRESS accepts the published ports from any interface, as Swarm does in 27.x and 28.0.1.',
    },
  };
}
