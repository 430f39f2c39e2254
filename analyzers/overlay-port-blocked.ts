/**
 * iptables.overlay-port-blocked: the port (or protocol) the node's overlay receives its peers' traffic on
 * is dropped or rejected in INPUT, so pod traffic between the nodes fails while each node's own pods work.
 * The common tickets: firewalld (RHEL, CentOS) or iptables.service's final
 * `-A INPUT -j REJECT --reject-with icmp-host-prohibited` blocking flannel's VXLAN 8472/udp; a hardened
 * `-P INPUT DROP` without Weave's 6783/tcp + 6783-6784/udp (weaveworks/weave#2033); Calico's BGP 179/tcp,
 * IPIP (IP protocol 4) or VXLAN 4789/udp; Cilium's VXLAN 8472/udp or Geneve 6081/udp; WireGuard.
 *
 * The overlay is read from the bundle (lib/overlay.ts), never assumed from the distribution. A packet from a
 * peer node (a BGP peer the routes name, else another address on the uplink's subnet) arriving on the uplink
 * (the VXLAN device's `dev`, else the default route's interface) to the node's address there is traced
 * through the INPUT path: iptables' tables and native nftables tables (firewalld's) by hook priority.
 * IPIP is traced under each spelling a rule may use for protocol 4 (`-p ipencap`, `-p 4`): blocked only when
 * none is accepted. Cloud security groups between the nodes are not on the host: a finding says so.
 *
 * Docker Swarm (H76): where lib/swarm.ts's swarmOf() says the node is in a Swarm, 7946/tcp + 7946/udp (gossip),
 * 4789/udp (overlay networks' VXLAN) and 2377/tcp (the managers' cluster API; not traced where docker info says
 * the node is a worker) are traced the same way, from a node dockerd's Swarm log lines name, else a neighbour
 * on the uplink's subnet (docker info's Node Address picks the uplink). The RHEL / CentOS catch-all
 * `-A INPUT -j REJECT --reject-with icmp-host-prohibited` (iptables.service, firewalld's iptables back end:
 * moby/moby#26235, #33345) is the usual cause. A single-node Swarm needs none of these ports, so the finding
 * is made only where the bundle shows other nodes (a worker's managers, a gossip failure in the log); else the
 * coverage says what was seen. Critical where dockerd's log shows the Swarm failing (log.swarm-peer-unreachable).
 */
import { nftDropCutNote } from './lib/nft-cut.js';
import { defineAnalyzer } from '../src/engine/analyzer.js';
import type { Evidence, Remedy } from '../src/report/schema.js';
import { trace, type Packet, type TraceResult } from '../src/netfilter/trace.js';
import { formatCidr, parseCidr, addressIn } from '../src/parsers/cidr.js';
import { interfacesOf, type Address } from '../src/parsers/interfaces.js';
import type { NodeArtifacts } from '../src/engine/artifacts.js';
import { liveTables, nativeNftables, notePartialNft, traceContext, uplinkOf, UNKNOWN_UPLINK } from './lib/node-view.js';
import { peerAddress, unknownUplinkAddress } from './lib/probe-address.js';
import { hostFirewall, type HostFirewall } from './lib/host-firewall.js';
import { overlaysOf, portText, type Overlay, type OverlayPort } from './lib/overlay.js';
import { encryptedOverlayOf, swarmOf, swarmPortsOpened, type EncryptedOverlay } from './lib/swarm.js';
import { dockerEngine } from '../src/parsers/docker-info.js';
import { dockerVersion } from './lib/container-host.js';
import type { FindingDraft, Partly } from '../src/engine/analyzer.js';
import type { UfwStatus, UfwRule } from '../src/parsers/ufw-status.js';

/** An overlay to trace: lib/overlay.ts's, or Docker Swarm's (read here from lib/swarm.ts's signs). */
type Traced = Omit<Overlay, 'product'> & {
  product: Overlay['product'] | 'Docker Swarm';
  /** how the peers in `peers` were found (default: BGP routes) */
  peersFrom?: string;
  swarm?: SwarmTrace;
};

interface SwarmTrace {
  /** what shows the Swarm has nodes besides this one (a worker's managers, a gossip failure, docker info's Nodes:) */
  others?: Evidence;
  /** dockerd's log lines of the Swarm failing to reach a node (log.swarm-peer-unreachable) */
  symptoms: Evidence[];
  worker: boolean;
}

/** The spellings of IP protocol 4 in rules: iptables-save and nft print `ipencap` (/etc/protocols), a rule may say `4`. */
const IPIP_SPELLINGS = ['ipencap', '4', 'ipv4'];

/* A peer node when the bundle lists no interface: peerAddress (lib/probe-address.ts), a documentation address (198.51.100.2 first) the node does not show as its own. */

interface Path {
  uplink: string;
  /** the node's address on the uplink */
  own: string;
  /** the uplink's subnet (what a fix may accept from) */
  subnet?: string;
  peer: string;
  /** how the peer was chosen */
  peerFrom: string;
  /** the uplink and address are stand-ins: the bundle lists no interface */
  unknown?: boolean;
  evidence: Evidence[];
}

interface Blocked {
  port: OverlayPort;
  result: TraceResult;
}

const blocks = (t: TraceResult) => (t.verdict.kind === 'DROP' || t.verdict.kind === 'REJECT') && t.decidedBy !== undefined;
const by = (t: TraceResult) => {
  const d = t.decidedBy!;
  return d.nft ? `nftables ${d.nft.family} ${d.nft.table} chain ${d.chain} ${d.num === 0 ? 'policy' : `rule ${d.num}`}` : `${d.table}/${d.chain} ${d.num === 0 ? 'policy' : `rule ${d.num}`}`;
};

export default defineAnalyzer({
  id: 'iptables.overlay-port-blocked',
  title: "The overlay network's port is blocked between the nodes",
  description:
    "Where the bundle shows an overlay (flannel VXLAN/WireGuard, Calico BGP/IPIP/VXLAN/WireGuard, Cilium VXLAN/Geneve/WireGuard, Weave Net), a packet from a peer node to its port (8472/udp, 4789/udp, 179/tcp, IP protocol 4, 6081/udp, 51820/udp, 6783/tcp + 6783-6784/udp) is traced through INPUT (iptables and firewalld's nftables).",
  scope: 'node',
  requires: [],
  requiresOneOf: ['iptables', 'nftables', 'ufwStatus'],
  optional: ['iptables', 'nftables', 'ufwStatus', 'ipAddr', 'routes', 'flannelNetConf', 'flannelSubnetEnv', 'services', 'ipsets', 'dockerDaemon', 'dockerNetworks', 'dockerServices', 'logs'],
  analyze({ node, artifacts, partly }) {
    const findings: FindingDraft[] = [];
    // H100: Docker's encrypted overlay networks: ESP (IP protocol 50) from the peers, and the data path port bug
    const enc = encryptedOverlayOf(artifacts);
    findings.push(...dataPathPortFindings(node, artifacts, enc, partly));
    findings.push(...espFindings(node, artifacts, enc, partly));
    const swarm = swarmOverlay(artifacts, enc);
    const overlays: Traced[] = [...overlaysOf(artifacts), ...(swarm ? [swarm] : [])];
    if (overlays.length === 0) return findings;
    const tables = liveTables(artifacts);
    if (!tables.get('filter') && nativeNftables(artifacts).length === 0) return findings;
    const ctx0 = traceContext(artifacts);
    const fw = hostFirewall(artifacts);
    for (const o of overlays) {
      const path = pathOf(artifacts, o);
      if (!path) {
        partly?.(`${o.name} (${o.evidence[0].file}:${o.evidence[0].line}): the node's address on its uplink is not in the bundle (no global IPv4 address on ${o.dev ?? uplinkOf(artifacts) ?? 'an uplink'}), so ${o.ports.map(portText).join(', ')} from the peers was not traced; collect ip addr and ip route`);
        continue;
      }
      const ctx = { ...ctx0, localAddresses: [...new Set([...ctx0.localAddresses, path.own])] };
      const blocked: Blocked[] = [];
      const undecided: string[] = [];
      for (const port of o.ports) {
        const results = (port.protocol === 'ipencap' ? IPIP_SPELLINGS : [port.protocol]).map((protocol) => {
          const p: Packet = { src: path.peer, dst: path.own, protocol, ...(port.port ? { dport: port.port, sport: port.protocol === 'tcp' ? 40000 : 40001 } : {}), inInterface: path.uplink, state: 'new', mark: 0 };
          return trace(tables, 'input', p, ctx);
        });
        if (results.some((r) => r.verdict.kind === 'ACCEPT')) continue;
        const r = results[0];
        // a cut-off nft listing: the deciding policy, or a chain the packet came back from, may go on past the cut
        const cut = blocks(r) ? nftDropCutNote(artifacts.nftables ?? [], r.decidedBy, r.steps) : undefined;
        if (cut && results.every(blocks)) undecided.push(`${portText(port)}: blocked by ${by(r)} as far as the listing shows, but rules past its end may accept it first (${cut}; collect the whole nft list ruleset)`);
        else if (blocks(r) && results.every(blocks)) blocked.push({ port, result: r });
        else if (r.verdict.kind === 'unknown') undecided.push(`${portText(port)}: ${r.verdict.reason}`);
      }
      if (undecided.length > 0) partly?.(`${o.name}: the trace of a peer's packet to ${undecided.join('; ')} could not be decided from the bundle`);
      if (blocked.length === 0) {
        if (undecided.length === 0) notePartialNft(artifacts, partly, `${o.name}'s ${o.ports.map(portText).join(', ')} from the other nodes`);
        continue;
      }
      const where = blocked.map((b) => `${portText(b.port)} by ${by(b.result)}`).join(', ');
      // a Swarm of one node needs none of its ports open: a finding only where the bundle shows other nodes
      if (o.swarm && !o.swarm.others) {
        partly?.(
          `Docker Swarm: a packet from another node (${path.unknown ? 'any address: the bundle lists no interface' : `${path.peer} on ${path.uplink}, a stand-in`}) to ${where.replace(/ by /g, ' is blocked by ')} in INPUT; that breaks the Swarm only if it has other nodes, which the bundle does not show (a single-node Swarm needs none of these ports). Collect docker info (its Nodes: line) or docker node ls`,
          ['dockerDaemon'],
        );
        continue;
      }
      // what only the bundle's gaps make a verdict: say so rather than assert it
      if (o.modeUnknown) {
        partly?.(`${o.name.replace(/ VXLAN$/, '')}: ${o.modeUnknown}; a peer's ${where.replace(/ by /, ' is blocked by ')}. If flannel uses VXLAN, pod traffic between the nodes fails; collect ip -d link (or net-conf.json)`, ['flannelNetConf']);
        continue;
      }
      // the peer traced is a stand-in (no route names one): where a rule accepts the port for some sources or
      // interfaces only, whether the real peers are those is not in the bundle
      const standIn = path.unknown || !o.peers.includes(path.peer);
      const conditional = standIn ? blocked.map((b) => ({ b, rule: acceptedSomewhere(artifacts, b.port) })).filter((x) => x.rule) : [];
      if (conditional.length > 0) {
        const rule = conditional[0].rule!;
        partly?.(
          `${o.name}: a peer's packet to ${where} is blocked when it comes from ${path.unknown ? 'an address and interface the rules do not name' : `${path.peer} on ${path.uplink} (a stand-in: the bundle names no peer node)`}, but a rule accepts ${conditional.map((x) => portText(x.b.port)).join(', ')} for some sources or interfaces (${rule.file}:${rule.line}: ${rule.text}); whether the other nodes are those is not in the bundle${path.unknown ? '; collect ip addr' : ''}`,
        );
        const rest = blocked.filter((b) => !conditional.some((x) => x.b === b));
        if (rest.length > 0) findings.push(finding(node, o, path, rest, fw, artifacts));
        continue;
      }
      findings.push(finding(node, o, path, blocked, fw, artifacts));
    }
    return findings;
  },
});

/** A rule of the bundle that accepts the port (or IPIP) for some packets: the verdict then depends on the source or interface. */
/** Docker Swarm as an overlay to trace: its ports, the node's address (docker info's Node Address), peers dockerd's log names. */
function swarmOverlay(artifacts: NodeArtifacts, enc?: EncryptedOverlay): Traced | undefined {
  const view = swarmOf(artifacts);
  if (!view) return undefined;
  const engine = dockerEngine(artifacts.dockerDaemon);
  // docker info's `Nodes:` line, where docker-info.ts reads it (swarmNodes): 1 is a Swarm of this node alone
  const nodes = engine?.swarmNodes;
  if (nodes && nodes.value <= 1) return undefined;
  const worker = view.manager?.value === false;
  const addr = engine?.swarmNodeAddr && /^\d{1,3}(\.\d{1,3}){3}$/.test(engine.swarmNodeAddr.value) ? engine.swarmNodeAddr : undefined;
  const symptoms: Evidence[] = [];
  const peers: string[] = [];
  for (const l of artifacts.logs ?? [])
    for (const m of l.matches) {
      if (m.signature !== 'log.swarm-peer-unreachable') continue;
      if (symptoms.length < 3) symptoms.push({ file: m.file, line: m.line, excerpt: m.excerpt, note: "dockerd's log: the Swarm cannot reach a node on a Swarm port" });
      const peer = m.facts.peer ?? m.facts.host;
      if (peer && /^\d{1,3}(\.\d{1,3}){3}$/.test(peer) && peer !== addr?.value && !peers.includes(peer)) peers.push(peer);
    }
  const others: Evidence | undefined = nodes
    ? { file: nodes.ref.file, line: nodes.ref.line, excerpt: nodes.excerpt, note: `docker info: the Swarm has ${nodes.value} nodes` }
    : worker
      ? { ...view.manager!.evidence, note: 'docker info: a worker, so its managers are other nodes that must reach it' }
      : symptoms[0];
  const ports: OverlayPort[] = [
    ...(worker ? [] : [{ protocol: 'tcp' as const, port: 2377, carries: "the managers' cluster API" }]),
    { protocol: 'tcp', port: 7946, carries: "Swarm's gossip between the nodes" },
    { protocol: 'udp', port: 7946, carries: "Swarm's gossip probes" },
    // the data path port (`docker swarm init --data-path-port`) where Docker's encrypted-overlay rules name it, else 4789
    ...(enc?.dataPathPorts.length ? enc.dataPathPorts.map((p) => ({ protocol: 'udp' as const, port: p.port, carries: "overlay networks' VXLAN data" })) : [{ protocol: 'udp' as const, port: 4789, carries: "overlay networks' VXLAN data" }]),
  ];
  const evidence: Evidence[] = [...view.signs.slice(0, 2)];
  if (view.manager && !evidence.some((e) => e.file === view.manager!.evidence.file && e.line === view.manager!.evidence.line)) evidence.push(view.manager.evidence);
  if (addr) evidence.push({ file: addr.ref.file, line: addr.ref.line, excerpt: addr.excerpt, note: "docker info: the address the node takes part in the Swarm with (the other nodes send to it)" });
  if (nodes) evidence.push(others!);
  return {
    name: 'Docker Swarm',
    product: 'Docker Swarm',
    ports,
    evidence,
    ...(addr ? { local: addr.value } : {}),
    peers,
    peersFrom: "a Swarm node dockerd's log names",
    swarm: { ...(others ? { others } : {}), symptoms, worker },
  };
}

/** firewalld's iptables back end (CentOS / RHEL 7): its chains, or INPUT's jumps to them where the listing holds INPUT only. */
function firewalldIptables(artifacts: NodeArtifacts): boolean {
  const filter = liveTables(artifacts).get('filter');
  if (!filter) return false;
  if (filter.has('INPUT_ZONES') || filter.has('INPUT_direct')) return true;
  return (filter.get('INPUT')?.rules ?? []).some((r) => r.target === 'INPUT_ZONES' || r.target === 'INPUT_direct');
}

function acceptedSomewhere(artifacts: NodeArtifacts, port: OverlayPort): { file: string; line: number; text: string } | undefined {
  const hit = (text: string) =>
    port.protocol === 'ipencap'
      ? /(-p|l4proto|protocol)\s+(ipencap|4|ipv4)\b/.test(text)
      : port.protocol === 'esp'
        ? /(-p|l4proto|protocol)\s+(esp|50)\b/.test(text)
        : new RegExp(`\\b${port.port}\\b`).test(text) && new RegExp(`\\b${port.protocol}\\b`).test(text);
  for (const chains of liveTables(artifacts).values()) for (const c of chains.values()) for (const r of c.rules) if (r.target === 'ACCEPT' && hit(r.text)) return { file: r.ref.file, line: r.ref.line, text: r.text };
  for (const rs of nativeNftables(artifacts)) for (const t of rs.tables) for (const c of t.chains) for (const r of c.rules) if (r.verdict?.kind === 'accept' && hit(r.text)) return { file: r.ref.file, line: r.ref.line, text: r.text };
  return undefined;
}

/** The uplink a peer's packet arrives on, the node's address there, and a peer address. */
function pathOf(artifacts: NodeArtifacts, o: Traced): Path | undefined {
  const itfs = interfacesOf(artifacts.ipAddr ?? []);
  const peersFrom = o.peersFrom ?? 'a BGP peer the routes name';
  if (itfs.size === 0) {
    const own = o.local ?? unknownUplinkAddress(artifacts, 4);
    const peer = o.peers[0] ?? peerAddress(artifacts, 4, [own]);
    return { uplink: UNKNOWN_UPLINK, own, peer, peerFrom: o.peers[0] ? peersFrom : 'a stand-in address', unknown: true, evidence: [] };
  }
  // the device's own word (vxlan local / dev), else the interface of a route to a peer, else the default route's
  const byLocal = o.local ? [...itfs.values()].find((i) => i.addresses.some((a) => a.family === 4 && a.address === o.local)) : undefined;
  const name = byLocal?.name ?? o.dev ?? uplinkOf(artifacts);
  const itf = name ? itfs.get(name) : undefined;
  if (!itf) return undefined;
  const global = itf.addresses.filter((a) => a.family === 4 && a.scope !== 'host' && a.scope !== 'link');
  const addr: Address | undefined = global.find((a) => a.address === o.local) ?? global.find((a) => o.peers.some((p) => addressIn(p, a.network))) ?? global[0];
  if (!addr) return undefined;
  const evidence: Evidence[] = [{ file: addr.ref.file, line: addr.ref.line, excerpt: addr.excerpt, note: `the node's address on ${itf.name}, where its peers' ${o.name} traffic arrives` }];
  const peerRoute = o.peers.find((p) => p !== addr.address);
  if (peerRoute) return { uplink: itf.name, own: addr.address, subnet: addr.prefix < 31 ? addr.network : undefined, peer: peerRoute, peerFrom: peersFrom, evidence };
  const peer = neighbourOf(addr, localV4(artifacts), defaultGateway(artifacts));
  if (!peer) return undefined;
  return { uplink: itf.name, own: addr.address, subnet: addr.network, peer, peerFrom: `another address on ${addr.network}`, evidence };
}

function localV4(artifacts: NodeArtifacts): Set<string> {
  return new Set([...interfacesOf(artifacts.ipAddr ?? []).values()].flatMap((i) => i.addresses.filter((a) => a.family === 4).map((a) => a.address)));
}

function defaultGateway(artifacts: NodeArtifacts): string | undefined {
  for (const t of artifacts.routes ?? []) for (const r of t.routes) if ((r.destination === '0.0.0.0/0' || r.destination === 'default') && (!r.table || r.table === 'main') && r.via) return r.via;
  return undefined;
}

/** Another host address of the subnet, not the node's own and not its gateway: a peer node stands there. */
function neighbourOf(addr: Address, own: Set<string>, gateway: string | undefined): string | undefined {
  const c = parseCidr(addr.network);
  const me = parseCidr(addr.address);
  if (!c || !me || c.family !== 4 || c.prefix > 30) return undefined;
  const size = 1n << BigInt(32 - c.prefix);
  for (let step = 1n; step < size && step < 64n; step++) {
    for (const v of [me.network + step, me.network - step]) {
      if (v <= c.network || v >= c.network + size - 1n) continue;
      const a = formatCidr({ family: 4, network: v, prefix: 32, text: '' }).replace(/\/32$/, '');
      if (!own.has(a) && a !== gateway) return a;
    }
  }
  return undefined;
}

function ruleEvidence(b: Blocked, o: Traced, path: Path): Evidence {
  const d = b.result.decidedBy!;
  const what = `${b.result.verdict.kind === 'REJECT' ? 'rejects' : 'drops'} ${o.name}'s ${portText(b.port)} from ${path.peer} on ${path.uplink}`;
  return { file: d.file, line: d.line, excerpt: d.nft || d.num !== 0 ? d.text : `:${d.chain} ${d.text.replace('policy ', '')}`, note: `${by(b.result)} ${what}` };
}

function finding(node: string, o: Traced, path: Path, blocked: Blocked[], fw: HostFirewall, artifacts: NodeArtifacts) {
  const degraded = blocked.every((b) => b.port.degradesOnly);
  const ports = blocked.map((b) => `${portText(b.port)} (${b.port.carries})`).join(', ');
  const verdicts = [...new Set(blocked.map((b) => (b.result.verdict.kind === 'REJECT' ? `rejected (${b.result.verdict.with})` : 'dropped')))].join(' / ');
  const byRules = [...new Set(blocked.map((b) => by(b.result)))].join(' and ');
  const evidence: Evidence[] = [];
  const seen = new Set<string>();
  for (const b of blocked) {
    const e = ruleEvidence(b, o, path);
    if (!seen.has(`${e.file}:${e.line}`)) {
      seen.add(`${e.file}:${e.line}`);
      evidence.push(e);
    }
  }
  evidence.push(...o.evidence, ...path.evidence);
  if (o.swarm) for (const e of [...(o.swarm.others ? [o.swarm.others] : []), ...o.swarm.symptoms]) if (!evidence.some((x) => x.file === e.file && x.line === e.line)) evidence.push(e);
  const assumed = blocked.filter((b) => b.port.assumed).map((b) => portText(b.port));
  const peerText = path.unknown
    ? ` The bundle lists no interface: the packet was traced as coming from any address on any interface, and no rule of the bundle accepts ${blocked.map((b) => portText(b.port)).join(', ')} for any source.`
    : ` Traced: a packet from ${path.peer} (${path.peerFrom}) arriving on ${path.uplink} for ${path.own}.`;
  const effect = o.swarm
    ? swarmEffect(blocked)
    : degraded
    ? `${o.name} falls back from its fast data path to the slower sleeve encapsulation (6783/udp) between the nodes.`
    : o.name === 'Calico BGP'
      ? 'The BGP sessions between the nodes do not come up (BIRD shows them in Connect / Active), so no node learns the routes to the others\' pod blocks: pod traffic between the nodes fails.'
      : o.name === 'Weave Net' && blocked.some((b) => b.port.protocol === 'tcp')
        ? 'The Weave peers cannot connect to this node (weave status shows the connections failing or retrying), so pod traffic between it and the other nodes fails.'
        : "Pod traffic between this node and the others fails (timeouts to pods and Services whose endpoints are on other nodes, DNS when CoreDNS runs elsewhere), while pods on the same node still reach each other.";
  return {
    severity: o.swarm ? (o.swarm.symptoms.length > 0 ? ('critical' as const) : ('warning' as const)) : degraded ? ('warning' as const) : ('critical' as const),
    title: "The overlay network's port is blocked between the nodes",
    message: `On ${node}, ${o.name}'s traffic from the other nodes, ${ports}, is ${verdicts} by ${byRules} in INPUT. ${effect}${peerText}${assumed.length ? ` ${assumed.join(', ')} is ${o.product}'s default port: the bundle does not list the device's own.` : ''} A cloud security group or network ACL between the nodes cannot be seen from the host: open the same port there too.`,
    impact: o.swarm
      ? `Containers on the other Swarm nodes cannot reach ${node}'s containers over overlay networks, and the routing mesh cannot reach the tasks on ${node}.`
      : degraded
        ? `${o.name} runs slower between the nodes.`
        : `Pods on ${node} cannot reach pods on the other nodes, nor they the pods here.`,
    evidence,
    facts: { overlay: o.name, ports: blocked.map((b) => portText(b.port)), blockedBy: blocked.map((b) => `${b.result.decidedBy!.nft ? `${b.result.decidedBy!.nft.table}/` : `${b.result.decidedBy!.table}/`}${b.result.decidedBy!.chain}#${b.result.decidedBy!.num}`), uplink: path.unknown ? undefined : path.uplink, peer: path.peer },
    remedy: remedyFor(o, path, blocked, fw, artifacts),
  };
}

/** What the other Swarm nodes lose, by the ports blocked. */
function swarmEffect(blocked: Blocked[]): string {
  const has = (protocol: string, port: number) => blocked.some((b) => b.port.protocol === protocol && b.port.port === port);
  const lost: string[] = [];
  if (has('tcp', 7946) || has('udp', 7946)) lost.push('gossip with it (7946: the nodes then miss which containers run where on the overlay networks)');
  if (has('udp', 4789)) lost.push("send it the overlay networks' traffic (4789/udp VXLAN: containers and services on other nodes cannot reach the containers here, and a port published through the routing mesh times out when the task is here, moby/moby#26235)");
  if (has('tcp', 2377)) lost.push('reach its cluster API (2377/tcp: nodes cannot join through this manager, workers lose their session with it, and the other managers their Raft connection)');
  return `${lost.map((l) => `The other Swarm nodes cannot ${l}.`).join(' ')} The node can still look Ready in docker node ls: its own connections out are not blocked.`;
}

/** `6783-6784/udp` for firewalld, `6783:6784` for iptables: consecutive ports of one protocol merged. */
function byProtocol(blocked: Blocked[]): { protocol: 'udp' | 'tcp'; first: number; last: number }[] {
  const out: { protocol: 'udp' | 'tcp'; first: number; last: number }[] = [];
  for (const b of [...blocked].sort((x, y) => (x.port.port ?? 0) - (y.port.port ?? 0))) {
    if (b.port.protocol === 'ipencap' || b.port.protocol === 'esp' || !b.port.port) continue;
    const proto = b.port.protocol;
    const last = out.find((r) => r.protocol === proto && r.last + 1 === b.port.port);
    if (last) last.last = b.port.port;
    else if (!out.some((r) => r.protocol === proto && r.first <= b.port.port! && b.port.port! <= r.last)) out.push({ protocol: proto, first: b.port.port, last: b.port.port });
  }
  return out;
}

const CLOUD = "Cloud security groups and network ACLs between the nodes are not visible from the host: allow the same ports there (AWS, GCP, Azure, OpenStack), from the nodes' addresses.";

function remedyFor(o: Traced, path: Path, blocked: Blocked[], fw: HostFirewall, artifacts: NodeArtifacts): Remedy {
  const ranges = byProtocol(blocked);
  const ipip = blocked.some((b) => b.port.protocol === 'ipencap');
  const esp = blocked.some((b) => b.port.protocol === 'esp');
  const from = path.subnet && !path.unknown ? path.subnet : undefined;
  const other = from ? `# nodes on other subnets: repeat with each of their subnets in place of ${from}` : undefined;
  // firewalld's nftables table, or its iptables back end (CentOS / RHEL 7: INPUT_ZONES, and the REJECT at the end of INPUT)
  const firewalld = blocked.find((b) => b.result.decidedBy!.nft?.table === 'firewalld') ?? (firewalldIptables(artifacts) ? blocked.find((b) => !b.result.decidedBy!.nft) : undefined);
  if (firewalld) {
    const itf = path.unknown ? undefined : path.uplink;
    const zone = itf ? `$(firewall-cmd --get-zone-of-interface=${itf} 2>/dev/null || firewall-cmd --get-default-zone)` : '$(firewall-cmd --get-default-zone)';
    // firewall-cmd takes several --add-port in one call, but not --add-protocol beside them
    const adds = [ranges.map((r) => `--add-port=${r.first}${r.last !== r.first ? `-${r.last}` : ''}/${r.protocol}`).join(' '), ...(ipip ? ['--add-protocol=ipencap'] : []), ...(esp ? ['--add-protocol=esp'] : [])].filter(Boolean);
    return {
      summary: `firewalld blocks it: open ${blocked.map((b) => portText(b.port)).join(', ')} in the zone ${itf ?? 'the uplink'} is in, at runtime and permanently.`,
      commands: [
        `z=${zone}; ${adds.map((a) => `firewall-cmd --zone="$z" ${a} && firewall-cmd --permanent --zone="$z" ${a}`).join(' && ')}`,
        ...(ipip ? ['# ipencap is IP protocol 4 (IPIP); "ipip" in /etc/protocols is protocol 94, which Calico does not use'] : []),
        ...(from
          ? [`# or only from the nodes' subnet, with rich rules (run each with and without --permanent): ${[...ranges.map((r) => `firewall-cmd --zone="$z" --add-rich-rule='rule family="ipv4" source address="${from}" port port="${r.first}${r.last !== r.first ? `-${r.last}` : ''}" protocol="${r.protocol}" accept'`), ...(ipip ? [`firewall-cmd --zone="$z" --add-rich-rule='rule family="ipv4" source address="${from}" protocol value="4" accept'`] : []), ...(esp ? [`firewall-cmd --zone="$z" --add-rich-rule='rule family="ipv4" source address="${from}" protocol value="esp" accept'`] : [])].join('; ')}`]
          : []),
      ],
      caution: `No firewall-cmd --reload: it removes the rules Docker, kube-proxy and the CNI added at runtime (the permanent change applies at the next start anyway)${o.swarm ? "; Docker before 29.0 does not re-create Swarm's ingress rules after a firewalld reload (moby/moby#50443)" : ''}. Adding a port already open only warns ALREADY_ENABLED.${o.swarm ? ' Open the same ports on every node of the Swarm.' : ''} ${CLOUD}`,
    };
  }
  const nft = blocked.find((b) => b.result.decidedBy!.nft);
  const nftRules = [
    ...ranges.map((r) => `${from ? `ip saddr ${from} ` : ''}${r.protocol} dport ${r.first === r.last ? r.first : `${r.first}-${r.last}`} accept`),
    ...(ipip ? [`${from ? `ip saddr ${from} ` : ''}meta l4proto ipencap accept`] : []),
    ...(esp ? [`${from ? `ip saddr ${from} ` : ''}meta l4proto esp accept`] : []),
  ];
  if (nft) {
    const d = nft.result.decidedBy!;
    const chain = `${d.nft!.family} ${d.nft!.table} ${d.chain}`;
    return {
      summary: `The nftables table ${d.nft!.family} ${d.nft!.table} blocks it: accept ${o.name}'s traffic from the nodes at the top of its chain ${d.chain}, and keep the rule in the configuration the nftables service loads.`,
      commands: [
        ...nftRules.map((x) => `nft list chain ${chain} | grep -qF '${x}' || nft insert rule ${chain} ${x}`),
        ...(other ? [other] : []),
        `# persist: in the file the nftables service loads (/etc/nftables.conf, /etc/sysconfig/nftables.conf), in table ${d.nft!.family} ${d.nft!.table}, chain ${d.chain}, above the rule that blocks it:`,
        ...nftRules.map((x) => `#   ${x}`),
      ],
      caution: `Do not stop or restart nftables.service on a running node: its stop action (ExecStop=nft flush ruleset) deletes kube-proxy's and the CNI's tables; nor load its file (nft -f, systemctl reload nftables) if it runs "flush ruleset" (Debian's stock /etc/nftables.conf starts with it; RHEL's reload flushes too: check with grep -n 'flush ruleset'). ${CLOUD}`,
    };
  }
  const specs = [
    ...ranges.map((r) => `INPUT ${from ? `-s ${from} ` : ''}-p ${r.protocol} -m ${r.protocol} --dport ${r.first === r.last ? r.first : `${r.first}:${r.last}`} -j ACCEPT`),
    ...(ipip ? [`INPUT ${from ? `-s ${from} ` : ''}-p 4 -j ACCEPT`] : []),
    ...(esp ? [`INPUT ${from ? `-s ${from} ` : ''}-p esp -j ACCEPT`] : []),
  ];
  const idempotent = specs.map((s) => `iptables -C ${s} 2>/dev/null || iptables -I ${s}`);
  if (fw === 'ufw') {
    return {
      summary: `ufw owns INPUT: allow ${o.name}'s traffic from the nodes through ufw, which keeps the rule and rebuilds its chains from it.`,
      commands: [
        ...ranges.map((r) => `ufw allow proto ${r.protocol} from ${from ?? 'any'} to any port ${r.first === r.last ? r.first : `${r.first}:${r.last}`}   # ufw skips a rule it already has`),
        ...(esp ? [ufwEspCommand(from)] : []),
        ...(ipip ? [`# IPIP (protocol 4) is not a ufw proto: add "-A ufw-before-input ${from ? `-s ${from} ` : ''}-p 4 -j ACCEPT" to the *filter section of /etc/ufw/before.rules, then ufw reload`] : []),
        ...(other ? [other] : []),
      ],
      caution: `Do not insert rules into ufw's chains with iptables: ufw rebuilds them at every reload and boot. ${CLOUD}`,
    };
  }
  const d = blocked[0].result.decidedBy!;
  const saved = (artifacts.iptables ?? []).some((r) => r.origin === 'saved-config');
  const persist =
    fw === 'iptables-services'
      ? ['# persist: add these lines by hand to the *filter section of /etc/sysconfig/iptables, above its final REJECT rule:']
      : fw === 'netfilter-persistent'
        ? ['# persist: add these lines by hand to the *filter section of /etc/iptables/rules.v4, above the rules that drop:']
        : [`# persist: add these lines by hand where the host firewall keeps its rules (/etc/sysconfig/iptables for iptables.service, /etc/iptables/rules.v4 for netfilter-persistent${saved ? ', the saved file in this bundle' : ''}), in the *filter section above the rule that blocks:`];
  return {
    summary: `Accept ${o.name}'s traffic from the nodes (${blocked.map((b) => portText(b.port)).join(', ')}) at the top of INPUT, ahead of ${d.num === 0 ? `the ${d.chain} policy` : `${d.chain} rule ${d.num}`}; each command adds its rule only if it is not there already.`,
    commands: [...idempotent, ...(other ? [other] : []), ...persist, ...specs.map((s) => `#   -A ${s}`)],
    caution: `Do not save the live rules into the boot configuration (iptables-save > ..., service iptables save, netfilter-persistent save): they hold Docker's, kube-proxy's and the CNI's chains, restored stale at every boot. ${CLOUD}`,
  };
}

/* ---------------- H100: Docker's encrypted overlay networks ---------------- */

/** ESP as a port to trace: IP protocol 50, spelt `esp` by iptables-save / nft, `50` in a hand-written rule. */
const ESP_PORT: OverlayPort = { protocol: 'esp', carries: "encrypted overlay networks' traffic (their VXLAN inside IPsec ESP)" };
const ESP_SPELLINGS = ['esp', '50'];
const ESP_DOC = 'Docker adds no firewall rule for ESP itself; its docs: "If you plan on creating an overlay network with encryption (--opt encrypted), you also need to ensure IP protocol 50 (IPSec ESP) traffic is allowed" (moby/moby#26523, docker/docs#230)';

/** `ufw allow proto esp` exists since ufw 0.36 (Ubuntu 20.04); older ufw takes it in before.rules. */
function ufwEspCommand(from: string | undefined, iface?: string): string {
  return `ufw allow ${iface ? `in on ${iface} ` : ''}proto esp from ${from ?? 'any'}   # ufw 0.36+ (Ubuntu 20.04+); older ufw: add "-A ufw-before-input ${iface ? `-i ${iface} ` : ''}${from ? `-s ${from} ` : ''}-p esp -j ACCEPT" to the *filter section of /etc/ufw/before.rules, then ufw reload`;
}

/**
 * ESP from a peer node where the bundle proves an encrypted overlay (critical), or where the host firewall opens
 * Swarm's three ports and nothing shows encryption (info: ESP matters only for encrypted overlays). Traced through
 * INPUT like the other overlay ports; a bundle with only `ufw status` is read through ufw's own rules and default.
 */
function espFindings(node: string, artifacts: NodeArtifacts, enc: EncryptedOverlay | undefined, partly: Partly | undefined): FindingDraft[] {
  const likely = enc ? undefined : swarmPortsOpened(artifacts);
  if (!enc && !likely) return [];
  const engine = dockerEngine(artifacts.dockerDaemon);
  // a Swarm of this node alone: no peer sends it ESP
  if (engine?.swarmNodes && engine.swarmNodes.value <= 1) return [];
  const swarm = swarmOverlay(artifacts, enc);
  const o: Traced = {
    name: 'Docker Swarm encrypted overlay',
    product: 'Docker Swarm',
    ports: [ESP_PORT],
    evidence: (enc?.evidence ?? likely!).slice(0, 3),
    ...(swarm?.local ? { local: swarm.local } : {}),
    peers: swarm?.peers ?? [],
    peersFrom: "a Swarm node dockerd's log names",
  };
  const path = pathOf(artifacts, o);
  const what = enc ? 'the encrypted overlay networks' : "Swarm's encrypted overlay networks, if any";
  if (!path) {
    partly?.(`Docker Swarm: ESP (IP protocol 50) for ${what} from the other nodes was not traced: the node's address on its uplink is not in the bundle; collect ip addr and ip route`);
    return [];
  }
  const tables = liveTables(artifacts);
  const standIn = path.unknown || !o.peers.includes(path.peer);
  if (tables.get('filter') || nativeNftables(artifacts).length > 0) {
    const ctx0 = traceContext(artifacts);
    const ctx = { ...ctx0, localAddresses: [...new Set([...ctx0.localAddresses, path.own])] };
    const results = ESP_SPELLINGS.map((protocol) => trace(tables, 'input', { src: path.peer, dst: path.own, protocol, inInterface: path.uplink, state: 'new', mark: 0 }, ctx));
    if (results.some((r) => r.verdict.kind === 'ACCEPT')) return [];
    const r = results[0];
    const cut = blocks(r) ? nftDropCutNote(artifacts.nftables ?? [], r.decidedBy, r.steps) : undefined;
    if (cut) {
      partly?.(`Docker Swarm: ESP (IP protocol 50) from the other nodes is blocked by ${by(r)} as far as the listing shows, but rules past its end may accept it first (${cut}; collect the whole nft list ruleset)`);
      return [];
    }
    if (!blocks(r) || !results.every(blocks)) {
      if (r.verdict.kind === 'unknown') partly?.(`Docker Swarm: the trace of a peer's ESP (IP protocol 50) for ${what} could not be decided from the bundle: ${r.verdict.reason}`);
      return [];
    }
    const some = standIn ? acceptedSomewhere(artifacts, ESP_PORT) : undefined;
    if (some) {
      partly?.(`Docker Swarm: ESP (IP protocol 50) for ${what} is blocked from ${path.unknown ? 'an address the rules do not name' : `${path.peer} on ${path.uplink} (a stand-in: the bundle names no other Swarm node)`}, but a rule accepts ESP for some sources or interfaces (${some.file}:${some.line}: ${some.text}); whether the other nodes are those is not in the bundle`);
      return [];
    }
    const b: Blocked = { port: ESP_PORT, result: r };
    const verdict = r.verdict.kind === 'REJECT' ? `rejected (${r.verdict.with})` : 'dropped';
    return [espFinding(node, o, path, enc, likely, `${verdict} by ${by(r)} in INPUT`, [ruleEvidence(b, o, path)], remedyFor(o, path, [b], hostFirewall(artifacts), artifacts), { blockedBy: `${r.decidedBy!.nft ? r.decidedBy!.nft.table : r.decidedBy!.table}/${r.decidedBy!.chain}#${r.decidedBy!.num}` })];
  }
  // only `ufw status` shows the firewall: ufw's rules in order, then its default incoming policy
  for (const s of artifacts.ufwStatus ?? []) {
    if (s.status?.value !== 'active') continue;
    const d = ufwEspDecision(s, path, path.unknown === true);
    if (d.kind === 'accept') return [];
    if (d.kind === 'conditional') {
      partly?.(`Docker Swarm: ufw (${s.file}) accepts ESP (IP protocol 50) only ${d.rule ? `for some sources or interfaces (${s.file}:${d.rule.ref.line}: ${d.rule.excerpt})` : ''}; whether the other Swarm nodes are those is not in the bundle${path.unknown ? ' (collect ip addr and the other nodes\' addresses)' : ''}`);
      return [];
    }
    const from = path.subnet && !path.unknown ? path.subnet : undefined;
    // the interface ufw opens the Swarm's VXLAN port on (`4789 on eth1`), else the uplink traced
    const iface = s.rules.find((r) => !r.v6 && r.direction === 'IN' && r.to.iface && r.to.ports?.some(([a, b]) => a <= 4789 && 4789 <= b))?.to.iface ?? (path.unknown ? undefined : path.uplink);
    return [
      espFinding(node, o, path, enc, likely, d.how, [d.evidence], {
        summary: `ufw drops ESP: allow IP protocol 50 from the other Swarm nodes through ufw, which keeps the rule.`,
        commands: [ufwEspCommand(from, iface), ...(from ? [`# nodes on other subnets: repeat with each of their subnets in place of ${from}`] : ['# better: one rule per Swarm node subnet (ufw allow proto esp from 10.0.0.0/24) rather than from any'])],
        caution: `Do not insert rules into ufw's chains with iptables: ufw rebuilds them at every reload and boot. ${CLOUD}`,
      }, { blockedBy: d.blockedBy }),
    ];
  }
  return [];
}

interface UfwEspDecision {
  kind: 'accept' | 'drop' | 'conditional';
  rule?: UfwRule;
  how: string;
  evidence: Evidence;
  blockedBy: string;
}

const ADDR = /^[\d.]+(\/\d+)?$/;

/** ufw's first IPv4 incoming rule that takes ESP from the peer, else its default incoming policy (plain `ufw status` lacks it: deny, ufw's own default, assumed and said). */
function ufwEspDecision(s: UfwStatus, path: Path, standIn: boolean): UfwEspDecision {
  let conditional: UfwRule | undefined;
  for (const r of s.rules) {
    if (r.v6 || r.direction !== 'IN') continue;
    // `Anywhere  ALLOW IN  10.0.0.0/24/esp`, `Anywhere/esp  ALLOW IN  Anywhere/esp` (ufw 0.36's `proto esp` rules): the
    // parser gives such a rule its protocol on both sides and its address without `/esp`
    const esp = r.to.proto === 'esp';
    const anyProto = !r.to.ports && !r.to.proto && !r.to.app && !r.from.ports && !r.from.proto && !r.from.app;
    if (!esp && !anyProto) continue;
    const src = r.from.address ?? r.from.text;
    const dst = r.to.address ?? r.to.text;
    let unsure = false;
    if (!/^Anywhere$/i.test(src)) {
      if (!ADDR.test(src)) continue;
      if (standIn) unsure = true;
      else if (!addressIn(path.peer, src.includes('/') ? src : `${src}/32`)) continue;
    }
    if (!/^Anywhere$/i.test(dst)) {
      if (!ADDR.test(dst)) continue;
      if (path.unknown) unsure = true;
      else if (!addressIn(path.own, dst.includes('/') ? dst : `${dst}/32`)) continue;
    }
    if (r.to.iface || r.from.iface) {
      if (path.unknown) unsure = true;
      else if ((r.to.iface ?? r.from.iface) !== path.uplink) continue;
    }
    const allows = r.action === 'ALLOW' || r.action === 'LIMIT';
    if (unsure) {
      if (allows && !conditional) conditional = r;
      continue;
    }
    if (allows) return conditional ? { kind: 'conditional', rule: conditional, how: '', evidence: ruleEv(r, ''), blockedBy: '' } : { kind: 'accept', rule: r, how: '', evidence: ruleEv(r, ''), blockedBy: '' };
    if (conditional) return { kind: 'conditional', rule: conditional, how: '', evidence: ruleEv(r, ''), blockedBy: '' };
    return { kind: 'drop', rule: r, how: `${r.action === 'REJECT' ? 'rejected' : 'dropped'} by ufw's rule ${s.file}:${r.ref.line} (${r.excerpt})`, evidence: ruleEv(r, `ufw ${r.action === 'REJECT' ? 'rejects' : 'denies'} ESP from the other nodes`), blockedBy: `ufw/${r.ref.line}` };
  }
  if (conditional) return { kind: 'conditional', rule: conditional, how: '', evidence: ruleEv(conditional, ''), blockedBy: '' };
  const def = s.defaults?.value.incoming;
  if (def === 'allow') return { kind: 'accept', how: '', evidence: { file: s.file, line: s.defaults!.ref.line, excerpt: s.defaults!.excerpt }, blockedBy: '' };
  if (def) {
    const ev: Evidence = { file: s.file, line: s.defaults!.ref.line, excerpt: s.defaults!.excerpt, note: `ufw's default incoming policy (${def}): no ufw rule allows ESP (IP protocol 50), so it is ${def === 'reject' ? 'rejected' : 'dropped'}` };
    return { kind: 'drop', how: `${def === 'reject' ? 'rejected' : 'dropped'} by ufw's default incoming policy (${def}), no rule of ${s.file} allowing it`, evidence: ev, blockedBy: 'ufw/default incoming' };
  }
  const st = s.status!;
  return {
    kind: 'drop',
    how: `dropped by ufw: ufw is active and no rule of ${s.file} allows ESP; plain \`ufw status\` does not print the default incoming policy, so ufw's own default, deny, is assumed (\`ufw status verbose\` shows it)`,
    evidence: { file: s.file, line: st.ref.line, excerpt: st.excerpt, note: "ufw is active; no rule in its table allows ESP (IP protocol 50); default incoming policy assumed deny (ufw's default; not printed by plain ufw status)" },
    blockedBy: 'ufw/default incoming (assumed deny)',
  };
}

const ruleEv = (r: UfwRule, note: string): Evidence => ({ file: r.ref.file, line: r.ref.line, excerpt: r.excerpt, note });

function espFinding(node: string, o: Traced, path: Path, enc: EncryptedOverlay | undefined, likely: Evidence[] | undefined, how: string, blockEvidence: Evidence[], remedy: Remedy, facts: Record<string, unknown>): FindingDraft {
  const peerText = path.unknown
    ? ' The bundle lists no interface: ESP was traced as coming from any address on any interface.'
    : ` Traced: ESP from ${path.peer} (${path.peerFrom}) arriving on ${path.uplink} for ${path.own}.`;
  const evidence: Evidence[] = [...blockEvidence];
  for (const e of [...o.evidence, ...path.evidence]) if (!evidence.some((x) => x.file === e.file && x.line === e.line)) evidence.push(e);
  const common = {
    title: enc ? "Encrypted overlay networks' ESP (IP protocol 50) is blocked between the nodes" : 'ESP (IP protocol 50) is not allowed: encrypted overlay networks would fail between the nodes',
    evidence,
    remedy: { ...remedy, caution: `${remedy.caution ?? ''} Allow ESP on every node of the Swarm, from the other nodes' addresses. ${ESP_DOC}.`.trim() },
    facts: { overlay: 'Docker Swarm encrypted overlay', ports: ['IP protocol 50 (ESP)'], encrypted: !!enc, uplink: path.unknown ? undefined : path.uplink, peer: path.unknown ? undefined : path.peer, ...facts },
  };
  if (enc) {
    const first = enc.evidence[0];
    return {
      ...common,
      severity: 'critical',
      message: `On ${node}, IP protocol 50 (ESP) from the other Swarm nodes is ${how}, and the node runs an encrypted overlay network (${first.file}:${first.line}: ${first.excerpt}). Docker sends an encrypted overlay's VXLAN traffic inside IPsec ESP, so containers on encrypted overlay networks cannot reach containers on the other nodes (names resolve, connections time out), while unencrypted overlays keep working.${peerText} A cloud security group or network ACL between the nodes cannot be seen from the host: allow IP protocol 50 there too.`,
      impact: `Containers on the other Swarm nodes cannot reach ${node}'s containers over encrypted overlay networks.`,
    };
  }
  return {
    ...common,
    severity: 'info',
    message: `On ${node}, the host firewall opens Docker Swarm's ports (${likely!.map((e) => `${e.file}:${e.line}`).join(', ')}: 2377/tcp, 7946, 4789), so this is likely a Swarm node, but IP protocol 50 (ESP) from the other nodes is ${how}. That breaks nothing unless an overlay network is encrypted (docker network create --opt encrypted): Docker sends such a network's VXLAN traffic inside IPsec ESP, and with ESP dropped its containers cannot reach containers on other nodes (moby/moby#26523). The bundle does not show whether any overlay network is encrypted: check with docker network inspect (an "encrypted" key in Options).${peerText}`,
    impact: 'Only encrypted overlay networks are affected, if there are any.',
  };
}

/** Docker's encryption was hard-coded to 4789/udp before 23.0.7 / 24.0.2 (moby/moby#45635, fixed by #45636): a data path port other than 4789 sends the VXLAN unencrypted, and the peers drop it. */
function dataPathPortFindings(node: string, artifacts: NodeArtifacts, enc: EncryptedOverlay | undefined, partly: Partly | undefined): FindingDraft[] {
  const odd = (enc?.dataPathPorts ?? []).filter((p) => p.port !== 4789);
  if (odd.length === 0) return [];
  const ports = odd.map((p) => `${p.port}/udp`).join(', ');
  const v = dockerVersion(artifacts);
  if (!v) {
    partly?.(`Docker Swarm: Docker's encrypted-overlay rules use the data path port ${ports}, not 4789 (${odd[0].evidence.file}:${odd[0].evidence.line}); Docker before 23.0.7 / 24.0.2 encrypts only 4789/udp, so encrypted overlays then fail between the nodes (moby/moby#45635). The Docker version is not in the bundle: collect docker version`, ['dockerDaemon']);
    return [];
  }
  const [maj, min, pat] = v.numbers;
  const affected = maj < 23 || (maj === 23 && min === 0 && pat < 7) || (maj === 24 && min === 0 && pat < 2);
  if (!affected) return [];
  return [
    {
      id: 'swarm.encrypted-overlay-datapath-port',
      severity: 'warning',
      title: 'Encrypted overlay networks fail on a data path port other than 4789',
      message: `On ${node}, Docker ${v.version} runs encrypted overlay networks on the Swarm's data path port ${ports} (set by docker swarm init --data-path-port). Before Docker 23.0.7 and 24.0.2, dockerd sets up the IPsec (XFRM) policies for 4789/udp only: VXLAN on ${ports} leaves the node unencrypted, and each peer's Docker rule "--pol none ... --dport ${odd[0].port} ... -j DROP" drops it, so containers on encrypted overlay networks cannot reach containers on other nodes (moby/moby#45635, fixed by moby/moby#45636).`,
      impact: `Containers on encrypted overlay networks on ${node} cannot reach those on the other Swarm nodes; unencrypted overlays work.`,
      evidence: [
        ...odd.map((p) => p.evidence),
        ...(enc!.evidence.filter((e) => !odd.some((p) => p.evidence === e)).slice(0, 2)),
        { ...v.evidence, note: `Docker ${v.version}: before 23.0.7 (23.x) / 24.0.2 (24.x), encryption covers 4789/udp only` },
      ],
      facts: { dockerVersion: v.version, dataPathPorts: odd.map((p) => p.port) },
      remedy: {
        summary: 'Upgrade Docker on every Swarm node to 24.0.2 or later (23.0.7 on the 23.0 line): the fix makes the IPsec policies follow the data path port.',
        commands: [
          "docker version --format '{{.Server.Version}}'   # on every node: 24.0.2 / 23.0.7 or later",
          '# the data path port is set only at docker swarm init (--data-path-port); going back to 4789 means creating the Swarm anew',
        ],
        caution: 'Upgrade the nodes one at a time (drain each first: docker node update --availability drain <node>); until every node runs a fixed version, encrypted overlays between an old and a new node still fail.',
      },
    },
  ];
}
