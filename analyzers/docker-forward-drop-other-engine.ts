/**
 * docker.forward-drop-other-engine: Docker and another container or VM engine (Podman with netavark or CNI,
 * libvirt, LXD, Incus, LXC) program the same host, Docker set filter FORWARD to policy DROP, and nothing
 * reachable from FORWARD before the policy (DOCKER-USER counts) accepts the other engine's forwarded traffic.
 *
 * Real cases:
 * - containers/netavark#532 (https://github.com/containers/netavark/issues/532): podman's published port stops
 *   answering once Docker starts; the nat table holds both DOCKER and NETAVARK-HOSTPORT-DNAT. netavark's iptables
 *   driver accepts in NETAVARK_FORWARD only `-s <subnet>` (what leaves) and `-d <subnet> RELATED,ESTABLISHED` (the
 *   replies): the first packet of a connection DNAT'ed to a published port matches neither and meets Docker's DROP
 *   (netavark src/firewall/varktables/types.rs, get_network_chains).
 * - containers/podman#6139, #1119 (https://github.com/podman-container-tools/podman/issues/6139): rootful podman
 *   (CNI, cni-podman0) beside Docker; FORWARD policy DROP with accepts for docker0 only.
 * - moby/moby#39439: "This breaks networking in LXD and Libvirt (Qemu) NAT running on the same host."
 *
 * Division of labour (no two findings for one cause):
 * - iptables.forward-blocks-containers traces what leaves each bridge it can name (ip addr, netavark's and
 *   LXD's / libvirt's own rules) and reports a drop of that with the rule that decides; this analyzer then says
 *   nothing of that direction. It reports what that one cannot: the published ports (a DNAT of the other
 *   engine, first packet of a connection from outside), a listing whose FORWARD jumps to a chain the dump does
 *   not hold (DOCKER-USER of `iptables -nvL FORWARD`-style pastes), an engine known only from its nat rules
 *   (CNI's `CNI-xxxx` masquerade chain), and a bundle with the nat table only (the filter table not collected).
 * - docker.forward-policy-drops-routed leaves container and VM bridges out (the host's own routing only).
 * Never on a Kubernetes node (kube-proxy's and the network plugins' chains: other analyzers), nor where
 * another firewall (ufw, firewalld) owns FORWARD.
 *
 * Severity: critical when the rules are complete and a DNAT of the other engine exists that nothing accepts,
 * or when the policy's counter shows drops Docker's own rules cannot account for; a warning when only the
 * presence is known (a chain not in the dump, no filter table).
 */
import { defineAnalyzer, type FindingDraft, type Partly } from '../src/engine/analyzer.js';
import type { NodeArtifacts } from '../src/engine/artifacts.js';
import type { Evidence } from '../src/report/schema.js';
import type { Chain, Rule } from '../src/netfilter/rules.js';
import { iptablesTool } from '../src/netfilter/commands.js';
import { interfacesOf } from '../src/parsers/interfaces.js';
import { cidrContains, parseCidr } from '../src/parsers/cidr.js';
import { liveViews, otherBridgeOwner, reachableChains, type BackendView } from './lib/node-view.js';
import { dockerVersion } from './lib/container-host.js';
import { distinctEvidence } from './lib/evidence.js';

const ID = 'docker.forward-drop-other-engine';

type Owner = 'Podman (netavark)' | 'Podman (CNI)' | 'libvirt' | 'LXD' | 'Incus' | 'LXC';

interface Dnat {
  rule: Rule;
  ip: string;
  port?: number;
  protocol?: string;
}

interface Engine {
  owner: Owner;
  bridges: { name: string; subnet?: string; evidence: Evidence }[];
  subnets: { cidr: string; evidence: Evidence }[];
  dnats: Dnat[];
  signs: Evidence[];
}

const POD_FORWARD_CHAIN = /^(KUBE-FORWARD|KUBE-SERVICES|cali-FORWARD|FLANNEL-FWD|KUBE-ROUTER-FORWARD|CILIUM_FORWARD|WEAVE-NPC|ANTREA-FORWARD)$/;
const OTHER_FIREWALL_CHAIN = /^(ufw6?-|FORWARD_(direct|IN_ZONES|OUT_ZONES)$|f2b-|FWDI_|FWDO_)/;
const BUILTIN_TARGET = new Set(['ACCEPT', 'DROP', 'REJECT', 'RETURN', 'LOG', 'NFLOG', 'MARK', 'CONNMARK', 'TCPMSS', 'CT', 'NOTRACK', 'AUDIT', 'TRACE']);
const ANY = /^(0\.0\.0\.0\/0|0\/0)$/;
/** Bridges of Docker and the other engines (a prefix with `+` counts): traffic in on them is not from outside. */
const CONTAINER_BRIDGE = /^(docker0|docker_gwbridge|br-[0-9a-f]{0,12}|(cni-)?podman\d*|virbr\d*|lxdbr\d*|incusbr\d*|lxcbr\d*|cni0|veth)$/;

export default defineAnalyzer({
  id: ID,
  title: "Docker's FORWARD policy DROP drops another engine's traffic (Podman, libvirt, LXD)",
  description:
    "Docker set filter FORWARD to policy DROP on a host where another engine (Podman's netavark or CNI, libvirt, LXD, Incus) also runs its bridges and published ports, and no rule before the policy (DOCKER-USER counts) accepts that engine's forwarded traffic: its published ports, or its containers' and VMs' traffic, are dropped.",
  scope: 'node',
  requires: ['iptables'],
  optional: ['ipAddr', 'dockerDaemon'],
  analyze({ node, artifacts, partly }) {
    for (const view of liveViews(artifacts)) {
      const f = check(node, artifacts, view, partly);
      if (f) return [f];
    }
    return [];
  },
});

function tableChains(t: Map<string, Chain> | undefined): Chain[] {
  return t ? [...t.values()] : [];
}

/** The other engines as the rules and ip addr show them. */
function enginesOf(artifacts: NodeArtifacts, view: BackendView): Engine[] {
  const engines = new Map<Owner, Engine>();
  const get = (o: Owner) => {
    let e = engines.get(o);
    if (!e) engines.set(o, (e = { owner: o, bridges: [], subnets: [], dnats: [], signs: [] }));
    return e;
  };
  const ev = (r: Rule, note: string): Evidence => ({ file: r.ref.file, line: r.ref.line, excerpt: r.text, note });
  const nat = view.tables.get('nat');
  const filter = view.tables.get('filter');
  for (const c of tableChains(nat)) {
    const dn = /^(NETAVARK|CNI)-DN-/.exec(c.name);
    if (dn) {
      const e = get(dn[1] === 'NETAVARK' ? 'Podman (netavark)' : 'Podman (CNI)');
      for (const r of c.rules) {
        if (r.target !== 'DNAT') continue;
        const to = r.targetOptions['to-destination'];
        const m = to && /^\[?([0-9.]+)\]?(?::(\d+))?/.exec(to);
        if (!m) continue;
        const tcp = r.matches.find((x) => x.module === 'tcp' || x.module === 'udp');
        const dport = tcp?.options.find((o) => o.name === 'dport' && !o.negated)?.value;
        e.dnats.push({ rule: r, ip: m[1], port: dport && /^\d+$/.test(dport) ? Number(dport) : undefined, protocol: r.protocol && !r.protocol.negated ? r.protocol.value : tcp?.module });
      }
    }
    for (const r of c.rules) {
      if (c.name === 'PREROUTING' && r.target && /^(NETAVARK|CNI)-HOSTPORT-DNAT$/.test(r.target))
        get(r.target.startsWith('NETAVARK') ? 'Podman (netavark)' : 'Podman (CNI)').signs.push(ev(r, `${r.target}: ${r.target.startsWith('NETAVARK') ? "netavark's" : "CNI's portmap"} chain for podman's published ports${r.counters ? ` (${r.counters.packets} packets entered it; every packet for a local address does, not only the published ports)` : ''}`));
      // `-s <subnet> -j NETAVARK-<hash>` / `-s <subnet> ... -j CNI-<hash>`: the engine's masquerade for its network
      if (c.name === 'POSTROUTING' && r.target && /^(NETAVARK-[0-9A-F]{8,}|CNI-[0-9a-f]{8,})$/.test(r.target) && r.source && !r.source.negated) {
        const owner: Owner = r.target.startsWith('NETAVARK') ? 'Podman (netavark)' : 'Podman (CNI)';
        const p = parseCidr(r.source.value);
        if (!p) continue;
        const e = get(owner);
        if (!e.subnets.some((s) => s.cidr === r.source!.value)) e.subnets.push({ cidr: r.source.value, evidence: ev(r, `${owner === 'Podman (CNI)' ? "CNI's" : "netavark's"} masquerade of podman's network ${r.source.value}`) });
      }
    }
  }
  for (const c of tableChains(filter)) {
    if (c.name === 'NETAVARK_FORWARD') {
      const e = get('Podman (netavark)');
      for (const r of c.rules)
        if (r.target === 'ACCEPT' && r.source && !r.source.negated && parseCidr(r.source.value) && !e.subnets.some((s) => s.cidr === r.source!.value))
          e.subnets.push({ cidr: r.source.value, evidence: ev(r, `netavark's accept of what leaves podman's network ${r.source.value}`) });
    }
    if (c.name === 'CNI-FORWARD') get('Podman (CNI)').signs.push({ file: c.ref.file, line: c.ref.line, excerpt: `chain ${c.name}`, note: "CNI's firewall plugin chain (podman's CNI networks)" });
    if (/^LIBVIRT_(FWO|FWI|FWX)$/.test(c.name) && c.rules.length > 0) get('libvirt').signs.push({ file: c.ref.file, line: c.ref.line, excerpt: `chain ${c.name}`, note: "libvirt's chain for its networks' forwarded traffic" });
  }
  for (const i of interfacesOf(artifacts.ipAddr ?? []).values()) {
    const a = i.addresses.find((x) => x.family === 4 && x.scope !== 'host' && x.scope !== 'link');
    const subnet = a ? cidrNetwork(a.cidr) : undefined;
    const owner: Owner | undefined = /^podman\d+$/.test(i.name) ? 'Podman (netavark)' : /^cni-podman\d+$/.test(i.name) ? 'Podman (CNI)' : otherBridgeOwner(i.name);
    if (!owner) continue;
    get(owner).bridges.push({ name: i.name, subnet, evidence: { file: i.ref.file, line: i.ref.line, excerpt: `${i.name}${a ? ` ${a.cidr}` : ''}`, note: `${i.name}: ${ownerText(owner)} bridge` } });
  }
  return [...engines.values()].filter((e) => e.bridges.length + e.subnets.length + e.dnats.length + e.signs.length > 0);
}

function cidrNetwork(cidr: string): string | undefined {
  const p = parseCidr(cidr);
  if (!p) return undefined;
  const n = Number(p.network);
  const mask = p.prefix === 0 ? 0 : (0xffffffff << (32 - p.prefix)) >>> 0;
  const net = (n & mask) >>> 0;
  return `${net >>> 24}.${(net >>> 16) & 255}.${(net >>> 8) & 255}.${net & 255}/${p.prefix}`;
}

function ownerText(o: Owner): string {
  return `${o}'s`;
}

function ifaceMatches(m: Rule['inInterface'], name: string | undefined): boolean | undefined {
  if (!m) return true;
  if (name === undefined) return undefined;
  const hit = m.value === name || (m.value.endsWith('+') && name.startsWith(m.value.slice(0, -1)));
  return m.negated ? !hit : hit;
}

function addrCovers(m: Rule['source'], inner: string | undefined): boolean {
  if (!m) return true;
  if (!m.negated && ANY.test(m.value)) return true;
  if (!inner || m.negated) return false;
  const o = parseCidr(m.value);
  const i = parseCidr(inner);
  return !!o && !!i && cidrContains(o, i);
}

function overlaps(a: string, b: string | undefined): boolean {
  const x = parseCidr(a);
  const y = b ? parseCidr(b) : undefined;
  return !!x && !!y && (cidrContains(x, y) || cidrContains(y, x));
}

function states(r: Rule): string[] | undefined {
  const m = r.matches.find((x) => x.module === 'conntrack' || x.module === 'state');
  const o = m?.options.find((x) => (x.name === 'ctstate' || x.name === 'state') && !x.negated);
  return o?.value ? o.value.toUpperCase().split(',') : undefined;
}

/** The first packet of a connection DNAT'ed to ip:port, going out the engine's bridge, is accepted. */
function inboundAccepted(accepts: Rule[], d: Dnat, bridge: string | undefined, subnet: string | undefined): Rule | undefined {
  return accepts.find((a) => {
    // from a container or VM bridge (Docker's `-i docker0 ! -o docker0 -j ACCEPT`, the engine's own): not a connection from outside
    if (a.inInterface && !a.inInterface.negated && (CONTAINER_BRIDGE.test(a.inInterface.value.replace(/\+$/, '')) || (bridge && ifaceMatches(a.inInterface, bridge)))) return false;
    const out = ifaceMatches(a.outInterface, bridge);
    if (out === false) return false;
    if (out === undefined && !(a.outInterface!.value.startsWith('podman') || a.outInterface!.value.startsWith('cni-podman'))) return false;
    if (a.source && !(!a.source.negated && ANY.test(a.source.value))) return false;
    if (!addrCovers(a.destination, `${d.ip}/32`) && !addrCovers(a.destination, subnet)) return false;
    if (a.protocol && !a.protocol.negated && d.protocol && a.protocol.value !== d.protocol) return false;
    const s = states(a);
    if (s && !s.includes('NEW') && !s.includes('DNAT')) return false;
    const port = a.matches.flatMap((m) => m.options).find((o) => o.name === 'dport' && !o.negated)?.value;
    if (port && d.port !== undefined && /^\d+$/.test(port) && Number(port) !== d.port) return false;
    // other matches (mark, set, ...) are counted as accepting: leniently, never a false drop
    return true;
  });
}

/** What leaves the bridge (or subnet) is accepted, and its replies. */
function outboundAccepted(accepts: Rule[], bridge: string | undefined, subnet: string | undefined): boolean {
  const out = accepts.some((a) => {
    const s = states(a);
    if (s && !s.includes('NEW')) return false;
    if (a.destination && !(!a.destination.negated && ANY.test(a.destination.value))) return false;
    const byItf = a.inInterface && !a.inInterface.negated && ifaceMatches(a.inInterface, bridge) === true;
    // by source: the subnet, or part of it (CNI's firewall plugin accepts each container's address, `-s 10.88.0.61/32`)
    const bySrc = a.source && !a.source.negated && !ANY.test(a.source.value) && overlaps(a.source.value, subnet);
    const bare = !a.inInterface && !a.outInterface && !a.source && !a.protocol && a.matches.length === 0;
    return (byItf && addrCovers(a.source, subnet)) || (bySrc && !a.inInterface) || bare;
  });
  const back = accepts.some((a) => {
    const s = states(a);
    if (s && !s.includes('ESTABLISHED')) return false;
    if (a.source && !(!a.source.negated && ANY.test(a.source.value))) return false;
    if (a.inInterface && !a.inInterface.negated && ifaceMatches(a.inInterface, bridge) === true) return false;
    const byItf = a.outInterface && !a.outInterface.negated && ifaceMatches(a.outInterface, bridge) === true && addrCovers(a.destination, subnet);
    const byDst = a.destination && !a.destination.negated && !ANY.test(a.destination.value) && overlaps(a.destination.value, subnet) && !a.outInterface;
    const bare = !a.inInterface && !a.outInterface && !a.destination && !a.protocol;
    return byItf || byDst || bare;
  });
  return out && back;
}

interface Network {
  engine: Engine;
  bridge?: string;
  subnet?: string;
  evidence: Evidence[];
  dnats: Dnat[];
}

/** The engine's networks: each bridge (with its subnet), each subnet no bridge in ip addr holds; the DNATs into each. */
function networksOf(e: Engine): Network[] {
  const out: Network[] = e.bridges.map((b) => ({ engine: e, bridge: b.name, subnet: b.subnet, evidence: [b.evidence], dnats: [] }));
  for (const s of e.subnets) {
    const n = out.find((x) => x.subnet && parseCidr(x.subnet) && parseCidr(s.cidr) && (cidrContains(parseCidr(x.subnet)!, parseCidr(s.cidr)!) || cidrContains(parseCidr(s.cidr)!, parseCidr(x.subnet)!)));
    if (n) n.evidence.push(s.evidence);
    // netavark's default network 10.88.0.0/16 is on podman0; other networks' bridges are not named by the rules
    else out.push({ engine: e, bridge: e.owner === 'Podman (netavark)' && s.cidr === '10.88.0.0/16' ? 'podman0' : undefined, subnet: s.cidr, evidence: [s.evidence], dnats: [] });
  }
  for (const d of e.dnats) {
    let n = out.find((x) => x.subnet && addrCovers({ value: x.subnet, negated: false }, `${d.ip}/32`));
    if (!n) {
      n = out.find((x) => !x.subnet && !x.bridge);
      if (!n) out.push((n = { engine: e, evidence: [], dnats: [] }));
    }
    n.dnats.push(d);
  }
  if (out.length === 0 && e.signs.length > 0) out.push({ engine: e, evidence: [], dnats: [] });
  return out;
}

function excerptOf(c: Chain): string {
  return c.policyCounters ? `:${c.name} ${c.policy} [${c.policyCounters.packets}:${c.policyCounters.bytes}]` : `chain ${c.name} (policy ${c.policy})`;
}

function check(node: string, artifacts: NodeArtifacts, view: BackendView, partly: Partly | undefined): FindingDraft | undefined {
  const filter = view.tables.get('filter');
  const nat = view.tables.get('nat');
  const fwd = filter?.get('FORWARD');
  const engines = enginesOf(artifacts, view);
  if (engines.length === 0) return undefined;
  const rs = view.rulesets.find((r) => r.tables.filter?.chains.FORWARD) ?? view.rulesets[0];
  const tool = iptablesTool(rs, artifacts.iptables ?? []);
  const version = dockerVersion(artifacts);

  // the nat table alone (netavark#532's paste): Docker's and the other engine's DNATs, the filter table not collected
  if (!fwd) {
    const dockerNat = nat && (nat.has('DOCKER') || (nat.get('PREROUTING')?.rules.some((r) => r.target === 'DOCKER') ?? false));
    if (!dockerNat) return undefined;
    const podman = engines.filter((e) => e.owner.startsWith('Podman') && (e.dnats.length > 0 || e.signs.length > 0));
    if (podman.length === 0) return undefined;
    const dockerJump = nat!.get('PREROUTING')?.rules.find((r) => r.target === 'DOCKER');
    const e = podman[0];
    const nets = networksOf(e);
    const evidence: Evidence[] = [];
    if (dockerJump) evidence.push({ file: dockerJump.ref.file, line: dockerJump.ref.line, excerpt: dockerJump.text, note: "Docker's DNAT chain for its published ports" });
    evidence.push(...e.signs.slice(0, 2), ...nets.flatMap((n) => n.evidence).slice(0, 2), ...e.dnats.slice(0, 2).map((d) => ({ file: d.rule.ref.file, line: d.rule.ref.line, excerpt: d.rule.text, note: `podman's published port to ${d.ip}${d.port ? ` (host port ${d.port})` : ''}` })));
    const where = nets.map((n) => [n.bridge, n.subnet].filter(Boolean).join(' ')).filter(Boolean);
    partly?.(`the filter table is not in the bundle: whether Docker's FORWARD policy DROP drops podman's forwarded traffic on ${node} was not decided; collect iptables-save (every table)`, ['iptables']);
    return {
      severity: 'warning',
      title: `Docker and ${e.owner} both program this host; Docker's FORWARD policy DROP may drop podman's published ports`,
      message:
        `Docker and ${e.owner} both program ${node}'s nat table (Docker's DOCKER chain and podman's ${e.owner === 'Podman (CNI)' ? 'CNI-HOSTPORT-DNAT' : 'NETAVARK-HOSTPORT-DNAT'}${where.length ? `, podman's network ${where.join(', ')}` : ''}). ` +
        `Docker sets filter FORWARD's policy to DROP when it starts (when it turns IPv4 forwarding on itself) and accepts only its own bridges' traffic; podman's published ports are DNAT'ed to a podman container, so that traffic is forwarded too and is dropped by that policy unless a rule before it (in DOCKER-USER) accepts it: ${e.owner === 'Podman (netavark)' ? "netavark's iptables rules accept only what leaves podman's network and its replies, not the first packet of a connection to a published port" : "CNI's rules do not accept the first packet of a connection to a published port"}. ` +
        `The filter table is not in the bundle, so the policy and any such accept could not be checked.`,
      impact: "Podman's published ports stop answering from other hosts while Docker runs (they may still answer on the host itself); Docker's own containers keep working.",
      evidence: distinctEvidence(evidence),
      facts: { engine: e.owner, filterTable: false, networks: where, dnats: e.dnats.length },
      remedy: remedyFor(tool, nets, version?.numbers, true),
    };
  }

  if (fwd.policy?.toUpperCase() !== 'DROP') return undefined;
  const dockerJump = fwd.rules.find((r) => r.target && /^DOCKER(-|$)/.test(r.target));
  if (!dockerJump) return undefined;
  if ([...filter!.keys()].some((c) => OTHER_FIREWALL_CHAIN.test(c))) return undefined;
  if (fwd.rules.some((r) => r.target && POD_FORWARD_CHAIN.test(r.target))) return undefined;

  const reached = [fwd, ...[...reachableChains(filter!, 'FORWARD')].map((c) => filter!.get(c)).filter((c): c is Chain => !!c)];
  const accepts = reached.flatMap((c) => c.rules.filter((r) => r.target === 'ACCEPT'));
  const unlisted = [...new Set(reached.flatMap((c) => c.rules.map((r) => r.target).filter((t): t is string => !!t && !BUILTIN_TARGET.has(t) && !filter!.has(t))))];
  const dropped = fwd.policyCounters?.packets;

  const found: { n: Network; inbound: Dnat[]; outbound: boolean }[] = [];
  for (const e of engines)
    for (const n of networksOf(e)) {
      const inbound = n.dnats.filter((d) => !inboundAccepted(accepts, d, n.bridge, n.subnet));
      // what leaves the bridge: iptables.forward-blocks-containers traces it where it can name the bridge and the
      // rules are complete; this analyzer reports it only where that one cannot decide
      const traced = unlisted.length === 0 && (!!n.bridge && (e.bridges.some((b) => b.name === n.bridge) || e.owner === 'Podman (netavark)'));
      const outbound = !traced && (n.bridge !== undefined || n.subnet !== undefined) && !outboundAccepted(accepts, n.bridge, n.subnet);
      if (inbound.length > 0 || outbound) found.push({ n, inbound, outbound });
    }
  if (found.length === 0) return undefined;

  const anyInbound = found.some((f) => f.inbound.length > 0);
  const counted = (dropped ?? 0) > 0;
  const severity = unlisted.length === 0 && (anyInbound || counted) ? 'critical' : 'warning';
  if (unlisted.length > 0) partly?.(`${unlisted.join(', ')} (jumped to from FORWARD) ${unlisted.length > 1 ? 'are' : 'is'} not in the dump: an accept there for the other engine's traffic could not be seen; collect iptables-save`, ['iptables']);

  const evidence: Evidence[] = [
    { file: fwd.ref.file, line: fwd.ref.line, excerpt: excerptOf(fwd), note: `filter FORWARD: policy DROP${dropped !== undefined ? `, ${dropped} packets dropped by it` : ''}` },
    { file: dockerJump.ref.file, line: dockerJump.ref.line, excerpt: dockerJump.text, note: `FORWARD's jump to ${dockerJump.target}: Docker's chains, Docker set this policy` },
  ];
  const dockerAccept = fwd.rules.find((r) => r.target === 'ACCEPT' && r.inInterface && !r.inInterface.negated && /^(docker0|br-[0-9a-f]{12})$/.test(r.inInterface.value));
  if (dockerAccept) evidence.push({ file: dockerAccept.ref.file, line: dockerAccept.ref.line, excerpt: dockerAccept.text, note: `FORWARD's accepts are Docker's own, for ${dockerAccept.inInterface!.value}` });
  for (const f of found) {
    evidence.push(...f.n.evidence.slice(0, 2), ...f.n.engine.signs.slice(0, 1));
    for (const d of f.inbound.slice(0, 2)) evidence.push({ file: d.rule.ref.file, line: d.rule.ref.line, excerpt: d.rule.text, note: `${ownerText(f.n.engine.owner)} published port: DNAT to ${d.ip}${d.port ? `, host port ${d.port}` : ''}${d.rule.counters ? ` (${d.rule.counters.packets} packets DNAT'ed)` : ''}; no rule before the policy accepts it` });
  }
  if (version) evidence.push(version.evidence);

  const engineNames = [...new Set(found.map((f) => f.n.engine.owner))];
  const netText = (n: Network) => [n.bridge, n.subnet].filter(Boolean).join(' ') || 'its network';
  const parts: string[] = [];
  for (const f of found) {
    const what: string[] = [];
    if (f.inbound.length > 0) what.push(`its published ports (${f.inbound.slice(0, 3).map((d) => `${d.protocol ?? ''}${d.port ? ` ${d.port}` : ''} -> ${d.ip}`.trim()).join(', ')}): no rule accepts the first packet of a connection DNAT'ed to it`);
    if (f.outbound) what.push('what leaves it and its replies: no rule accepts them');
    parts.push(`${ownerText(f.n.engine.owner)} ${netText(f.n)}: ${what.join('; ')}`);
  }
  const netavarkNote = found.some((f) => f.n.engine.owner === 'Podman (netavark)' && f.inbound.length > 0)
    ? " netavark's iptables rules (NETAVARK_FORWARD) accept only what leaves podman's subnet and its RELATED,ESTABLISHED replies; a connection from outside to a published port is forwarded to the container as a new connection and falls through to Docker's policy (containers/netavark#532)."
    : '';
  const message =
    `filter FORWARD on ${node} has policy DROP with Docker's chains (${dockerJump.target}), and ${engineNames.join(' and ')} also ${engineNames.length > 1 ? 'run' : 'runs'} networks on this host. Docker sets FORWARD's policy to DROP when it starts and accepts only its own bridges' traffic; nothing before the policy accepts the other engine's: ${parts.join('. ')}.` +
    netavarkNote +
    (counted ? ` The policy has dropped ${dropped} packets.` : dropped === 0 ? ' The policy counter reads 0: no drop counted yet (or the counters were reset).' : '') +
    (unlisted.length ? ` ${unlisted.join(', ')} ${unlisted.length > 1 ? 'are' : 'is'} jumped to from FORWARD but not in the dump: unless ${unlisted.length > 1 ? 'they accept' : 'it accepts'} this traffic, it is dropped.` : '');
  return {
    severity,
    title: `Docker's FORWARD policy DROP drops ${engineNames.join(' and ')} traffic on this host`,
    message,
    impact: anyInbound
      ? `${engineNames.join(' and ')} published ports do not answer from other hosts while Docker runs; Docker's own containers keep working, which hides the cause.`
      : `${engineNames.join(' and ')} containers or VMs lose traffic to and from outside the host while Docker runs; Docker's own containers keep working.`,
    evidence: distinctEvidence(evidence),
    facts: {
      engines: engineNames,
      policy: 'DROP',
      droppedPackets: dropped,
      networks: found.map((f) => ({ owner: f.n.engine.owner, bridge: f.n.bridge, subnet: f.n.subnet, publishedPortsDropped: f.inbound.length, outboundDropped: f.outbound })),
      unlistedChains: unlisted,
      dockerVersion: version?.version,
    },
    remedy: remedyFor(tool, found.map((f) => f.n), version?.numbers, anyInbound),
  };
}

function remedyFor(tool: string, nets: Network[], version: [number, number, number] | undefined, published: boolean): FindingDraft['remedy'] {
  const lines: string[] = [];
  const add = (spec: string, why: string) => lines.push(`${tool} -C DOCKER-USER ${spec} 2>/dev/null || ${tool} -I DOCKER-USER ${spec}   # ${why}`);
  const named = nets.filter((n) => n.bridge || n.subnet).slice(0, 4);
  for (const n of named) {
    const out = n.bridge ? `-o ${n.bridge}` : `-d ${n.subnet}`;
    const inn = n.bridge ? `-i ${n.bridge}` : `-s ${n.subnet}`;
    add(`${inn} -j ACCEPT`, `what leaves ${n.bridge ?? n.subnet}`);
    add(`${out} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`, 'the replies back in');
    if (published || n.dnats.length > 0) add(`${out} -m conntrack --ctstate DNAT -j ACCEPT`, 'connections to its published ports (DNAT\'ed by its own nat rules)');
  }
  const commands: string[] = [];
  if (lines.length) commands.push(...lines);
  else commands.push(`# name the other engine's bridge (ip -br addr: podman0, cni-podman0, virbr0, lxdbr0), then: ${tool} -I DOCKER-USER -i <bridge> -j ACCEPT; ${tool} -I DOCKER-USER -o <bridge> -m conntrack --ctstate RELATED,ESTABLISHED,DNAT -j ACCEPT`);
  commands.push(
    "# persist: DOCKER-USER's rules are lost at reboot; run those lines each time dockerd starts, e.g. a drop-in for docker.service (systemctl edit docker) with one ExecStartPost= line per rule",
  );
  const atLeast28 = version ? version[0] >= 28 : undefined;
  commands.push(
    `# or, Docker 28.0 or later${atLeast28 === false ? ' (this node runs an older one: upgrade first)' : ''}: "ip-forward-no-drop": true in /etc/docker/daemon.json, restart docker and set the policy back (${tool} -P FORWARD ACCEPT): Docker then never sets FORWARD to DROP (it still drops what is not published to its own containers)`,
  );
  return {
    summary:
      "Accept the other engine's bridge in DOCKER-USER, the chain Docker runs first in FORWARD and leaves to the administrator: what leaves the bridge, the replies back, and (for published ports) connections DNAT'ed to it. Setting the policy back to ACCEPT by hand does not last: Docker sets DROP again each time it starts.",
    commands,
    caution:
      "The accepts let through everything the other engine's containers or VMs send out, its replies and its published ports, ahead of Docker's rules (which do not concern that bridge). Do not save the live rules with iptables-save to restore at boot: they hold Docker's and the other engine's chains.",
  };
}
