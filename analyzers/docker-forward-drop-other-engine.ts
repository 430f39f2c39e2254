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
 * - podman#24486 (Fedora 41, netavark's nftables driver), moby/moby#52612 (Fedora 44, libvirt's nftables backend):
 *   the other engine keeps its rules in its own nftables table (table inet netavark, ip libvirt_network, inet lxd,
 *   inet incus). Its accepts there cannot undo Docker's iptables(-nft) filter FORWARD policy DROP: every base chain
 *   on the forward hook must accept a packet. Its networks, accepts and published ports (DNATs) are read from that
 *   table (nftEngines); the finding cites its own accepts for the network (what leaves it, the replies), and names
 *   Fedora 41's known issue (netavark), libvirt's nftables backend, or LXD's / Incus' documented DOCKER-USER fix.
 *   canonical/lxd#8716 (LXD), podman#24486 and libvirt's guest_output accept are checked in forward-lxd.test.ts,
 *   forward-lxd-netns.test.ts (the remedy run in network namespaces) and h46-forward-other-hook-tables.test.ts.
 *
 * Division of labour (no two findings for one cause):
 * - an engine with its own nftables table: this analyzer reports both directions (what leaves its bridge and
 *   the replies, and its published ports) in one finding, and iptables.forward-blocks-containers leaves those
 *   bridges to it when its trace ends at filter FORWARD's policy (otherEngineBridges names them).
 * - otherwise iptables.forward-blocks-containers traces what leaves each bridge it can name (ip addr, netavark's
 *   and LXD's / libvirt's own iptables rules) and reports a drop of that with the rule that decides; this analyzer
 *   then says nothing of that direction. It reports what that one cannot: the published ports (a DNAT of the other
 *   engine, first packet of a connection from outside), a listing whose FORWARD jumps to a chain the dump does
 *   not hold (DOCKER-USER of `iptables -nvL FORWARD`-style pastes), an engine known only from its nat rules
 *   (CNI's `CNI-xxxx` masquerade chain), and a bundle with the nat table only (the filter table not collected).
 * - docker.forward-policy-drops-routed leaves container and VM bridges out (the host's own routing only).
 * Never on a Kubernetes node (kube-proxy's and the network plugins' chains: other analyzers), nor where
 * another firewall (ufw, firewalld) owns FORWARD, nor where IPv4 forwarding is off (sysctl.ip-forward-disabled).
 *
 * Severity: critical when the rules are complete and a DNAT of the other engine exists that nothing accepts,
 * or when the policy's counter shows drops Docker's own rules cannot account for; a warning when only the
 * presence is known (a chain not in the dump, no filter table).
 */
import { iptablesChainsCutNote, iptablesDumpCutNote } from './lib/nft-cut.js';
import { defineAnalyzer, type FindingDraft, type Partly } from '../src/engine/analyzer.js';
import type { NodeArtifacts } from '../src/engine/artifacts.js';
import type { Evidence } from '../src/report/schema.js';
import type { Chain, Rule } from '../src/netfilter/rules.js';
import { iptablesTool } from '../src/netfilter/commands.js';
import { interfacesOf } from '../src/parsers/interfaces.js';
import { runtimeValue } from '../src/parsers/sysctl.js';
import { cidrContains, parseCidr } from '../src/parsers/cidr.js';
import { liveViews, nativeNftables, otherBridgeOwner, reachableChains, uplinkOf, type BackendView } from './lib/node-view.js';
import type { NftExpr, NftRule, NftValue } from '../src/nft/model.js';
import { dockerVersion } from './lib/container-host.js';
import { distinctEvidence } from './lib/evidence.js';

const ID = 'docker.forward-drop-other-engine';

type Owner = 'Podman (netavark)' | 'Podman (CNI)' | 'libvirt' | 'LXD' | 'Incus' | 'LXC';

interface Dnat {
  /** where the DNAT rule is (iptables' nat table or the engine's own nftables table) */
  file: string;
  line: number;
  text: string;
  packets?: number;
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
  /** the engine keeps its rules in its own nftables table (netavark's nftables driver, libvirt 9+, LXD, Incus) */
  nft?: { table: string; evidence: Evidence; accepts: Evidence[]; own: NftAccept[] };
}

/** An accept of the engine's own table on the forward hook, with what it names (to cite the ones for a network). */
interface NftAccept {
  evidence: Evidence;
  iif?: string;
  oif?: string;
  saddr?: string;
  daddr?: string;
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
  optional: ['ipAddr', 'routes', 'dockerDaemon', 'nftables', 'sysctl'],
  analyze({ node, artifacts, partly }) {
    for (const view of liveViews(artifacts)) {
      const f = check(node, artifacts, view, partly);
      if (f) return [f];
    }
    return [];
  },
});

/**
 * The bridges (IPv4) whose forwarded traffic this analyzer's finding on this node reports as dropped by Docker's
 * FORWARD policy because their engine keeps its rules in its own nftables table (netavark's nftables driver, libvirt
 * 9+, LXD, Incus). iptables.forward-blocks-containers leaves those bridges to this finding when its trace ends at
 * filter FORWARD's policy: one finding for one cause (Docker's DROP beside that engine), with both directions and
 * the published ports.
 */
export function otherEngineBridges(node: string, artifacts: NodeArtifacts): Set<string> {
  const out = new Set<string>();
  for (const view of liveViews(artifacts)) {
    const f = check(node, artifacts, view, undefined);
    if (!f) continue;
    const nets = (f.facts as { networks?: unknown } | undefined)?.networks;
    if (Array.isArray(nets))
      for (const n of nets as { bridge?: string; outboundDropped?: boolean; nftTable?: string }[]) if (n.bridge && n.outboundDropped && n.nftTable) out.add(n.bridge);
    break;
  }
  return out;
}

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
        e.dnats.push({ file: r.ref.file, line: r.ref.line, text: r.text, packets: r.counters?.packets, ip: m[1], port: dport && /^\d+$/.test(dport) ? Number(dport) : undefined, protocol: r.protocol && !r.protocol.negated ? r.protocol.value : tcp?.module });
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
  nftEngines(artifacts, get);
  return [...engines.values()].filter((e) => e.bridges.length + e.subnets.length + e.dnats.length + e.signs.length > 0);
}

/** The engines that keep their rules in their own nftables table, by the table's name (the names their sources use). */
const NFT_ENGINE: [family: string, name: string, owner: Owner][] = [
  ['inet', 'netavark', 'Podman (netavark)'], // containers/netavark src/firewall/nft.rs (TABLENAME)
  ['ip', 'libvirt_network', 'libvirt'], // libvirt 9+, firewall_backend = "nftables"
  ['inet', 'lxd', 'LXD'], // canonical/lxd lxd/firewall/drivers/drivers_nftables.go
  ['inet', 'incus', 'Incus'],
];
const ENGINE_BRIDGE = /^(podman\d+|cni-podman\d+|virbr\d+|lxdbr\d+|incusbr\d+|lxcbr\d+)$/;

function nftValue(v: NftValue): string | undefined {
  return v.kind === 'value' ? v.value : undefined;
}

/**
 * The other engines' own nftables tables (not iptables-nft's): their networks (bridges, subnets), their accepts on
 * the forward hook and their published ports (DNATs). Rules in such a table cannot accept a packet iptables'
 * FORWARD policy DROP drops: nftables runs every base chain on the hook, and a drop in any one of them is final.
 */
function nftEngines(artifacts: NodeArtifacts, get: (o: Owner) => Engine): void {
  for (const rs of nativeNftables(artifacts))
    for (const t of rs.tables) {
      if (t.iptablesCompat) continue;
      const owner = NFT_ENGINE.find(([f, n]) => f === t.family && n === t.name)?.[2];
      if (!owner) continue;
      const e = get(owner);
      const table = `${t.family} ${t.name}`;
      if (!e.nft) e.nft = { table, evidence: { file: t.ref.file, line: t.ref.line, excerpt: `table ${table}`, note: `${ownerText(owner)} own nftables table (its rules are not in iptables)` }, accepts: [], own: [] };
      const byName = new Map(t.chains.map((c) => [c.name, c]));
      // the chains the forward hook reaches in this table
      const reached = new Set<string>();
      const walk = (name: string) => {
        if (reached.has(name)) return;
        reached.add(name);
        for (const r of byName.get(name)?.rules ?? []) if (r.verdict && (r.verdict.kind === 'jump' || r.verdict.kind === 'goto') && r.verdict.target) walk(r.verdict.target);
      };
      for (const c of t.chains) if (c.hook === 'forward' && c.type === 'filter') walk(c.name);
      const addBridge = (name: string, subnet: string | undefined, r: NftRule) => {
        const b = e.bridges.find((x) => x.name === name);
        if (b) {
          if (!b.subnet && subnet) b.subnet = subnet;
          return;
        }
        e.bridges.push({ name, subnet, evidence: { file: r.ref.file, line: r.ref.line, excerpt: r.text.trim(), note: `${ownerText(owner)} rule for its bridge ${name}${subnet ? ` (${subnet})` : ''} (table ${table}; the bridge is not in ip addr)` } });
      };
      const addSubnet = (cidr: string, r: NftRule, note: string) => {
        if (!e.subnets.some((x) => x.cidr === cidr)) e.subnets.push({ cidr, evidence: { file: r.ref.file, line: r.ref.line, excerpt: r.text.trim(), note } });
      };
      for (const c of t.chains) {
        // LXD's and Incus' chains are named for their bridge: fwd.lxdbr0, pstrt.lxdbr0
        const chainBridge = owner === 'LXD' || owner === 'Incus' ? /^(?:fwd|pstrt|in|out)\.([^.]+)$/.exec(c.name)?.[1] : undefined;
        for (const r of c.rules) {
          const m = (key: string) => r.exprs.find((x): x is Extract<NftExpr, { kind: 'match' }> => x.kind === 'match' && x.key === key && x.op === '==');
          const itf = ['iifname', 'oifname', 'iif', 'oif'].map((k) => m(k)).map((x) => (x ? nftValue(x.value) : undefined)).find((v) => v !== undefined && !v.includes('*'));
          const saddr = nftValue(m('ip saddr')?.value ?? { kind: 'setRef', name: '' });
          const daddr = nftValue(m('ip daddr')?.value ?? { kind: 'setRef', name: '' });
          const cidr = [saddr, daddr].find((v) => v !== undefined && v.includes('/') && parseCidr(v) && !/^(224\.|255\.)/.test(v));
          const bridge = itf && (ENGINE_BRIDGE.test(itf) || itf === chainBridge) ? itf : chainBridge;
          if (reached.has(c.name)) {
            if (r.verdict?.kind === 'accept') {
              const ev: Evidence = { file: r.ref.file, line: r.ref.line, excerpt: r.text.trim(), note: `${ownerText(owner)} own accept (table ${table}), which cannot undo iptables' FORWARD policy DROP` };
              if (e.nft.accepts.length < 3) e.nft.accepts.push(ev);
              const one = (keys: string[]) => keys.map((k) => m(k)).map((x) => (x ? nftValue(x.value) : undefined)).find((v) => v !== undefined && !v.includes('*'));
              if (e.nft.own.length < 40) e.nft.own.push({ evidence: ev, iif: one(['iifname', 'iif']), oif: one(['oifname', 'oif']), saddr, daddr });
              if (bridge) addBridge(bridge, cidr, r);
              if (cidr && saddr === cidr) addSubnet(cidr, r, `${ownerText(owner)} accept of what leaves its network ${cidr} (table ${table})`);
            }
          } else if (c.type === 'nat' && c.hook === 'postrouting' && saddr && saddr === cidr && (r.nat?.kind === 'masquerade' || r.verdict?.kind === 'jump')) {
            addSubnet(cidr, r, `${ownerText(owner)} masquerade of its network ${cidr} (table ${table})`);
            if (chainBridge) addBridge(chainBridge, cidr, r);
          }
          if (r.nat?.kind === 'dnat' && r.nat.to && /^\d+\.\d+\.\d+\.\d+$/.test(r.nat.to) && !(c.type === 'nat' && c.hook === 'output')) {
            const dport = r.exprs.find((x): x is Extract<NftExpr, { kind: 'match' }> => x.kind === 'match' && /^(tcp|udp|th|sctp) dport$/.test(x.key) && x.op === '==');
            const port = dport ? nftValue(dport.value) : undefined;
            const l4 = dport?.key.startsWith('th') ? nftValue(m('meta l4proto')?.value ?? { kind: 'setRef', name: '' }) : dport?.key.split(' ')[0];
            if (!e.dnats.some((d) => d.ip === r.nat!.to && d.port === (port && /^\d+$/.test(port) ? Number(port) : undefined)))
              e.dnats.push({ file: r.ref.file, line: r.ref.line, text: r.text.trim(), packets: r.counter?.packets, ip: r.nat.to, port: port && /^\d+$/.test(port) ? Number(port) : undefined, protocol: l4 === 'tcp' || l4 === 'udp' ? l4 : undefined });
          }
        }
      }
    }
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

/**
 * The engine's own accepts (its nftables table) for a network: the one for what leaves it (in on its bridge, or from
 * its subnet) and the one for the replies back (out on its bridge, or to its subnet), as the finding cites them.
 */
function ownAcceptsFor(n: Network): Evidence[] {
  const own = n.engine.nft?.own ?? [];
  const isBr = (v: string | undefined) => !!v && !!n.bridge && v === n.bridge;
  const inNet = (v: string | undefined) => !!v && overlaps(v, n.subnet);
  const out = own.find((a) => (isBr(a.iif) || (inNet(a.saddr) && !a.iif)) && !isBr(a.oif)) ?? own.find((a) => isBr(a.iif) || inNet(a.saddr));
  const back = own.find((a) => a !== out && (isBr(a.oif) || (inNet(a.daddr) && !a.oif)) && !isBr(a.iif));
  const picked = [out, back].filter((a): a is NftAccept => !!a).map((a) => a.evidence);
  return picked.length ? picked : (n.engine.nft?.accepts.slice(0, 1) ?? []);
}

/** Who sits behind a bridge, as the impact names them. */
function whoOn(n: Network): string {
  const where = n.bridge ?? n.subnet ?? 'its network';
  const o = n.engine.owner;
  return o === 'libvirt' ? `Virtual machines on ${where}` : o === 'LXD' || o === 'Incus' || o === 'LXC' ? `${o} instances on ${where}` : `Podman containers on ${where}`;
}

const LXD_DOCS: Partial<Record<Owner, string>> = {
  LXD: 'https://documentation.ubuntu.com/lxd/en/latest/howto/network_bridge_firewalld/#prevent-connectivity-issues-with-lxd-and-docker',
  Incus: 'https://linuxcontainers.org/incus/docs/main/howto/network_bridge_firewalld/#prevent-connectivity-issues-with-incus-and-docker',
};

function excerptOf(c: Chain): string {
  return c.policyCounters ? `:${c.name} ${c.policy} [${c.policyCounters.packets}:${c.policyCounters.bytes}]` : `chain ${c.name} (policy ${c.policy})`;
}

function check(node: string, artifacts: NodeArtifacts, view: BackendView, partly: Partly | undefined): FindingDraft | undefined {
  const filter = view.tables.get('filter');
  const nat = view.tables.get('nat');
  const fwd = filter?.get('FORWARD');
  // IPv4 forwarding off: nothing is forwarded at all, and sysctl.ip-forward-disabled says that (one finding for one cause)
  if (runtimeValue(artifacts.sysctl ?? [], 'net.ipv4.ip_forward').some((x) => x.value === '0')) return undefined;
  const engines = enginesOf(artifacts, view);
  if (engines.length === 0) return undefined;
  const rs = view.rulesets.find((r) => r.tables.filter?.chains.FORWARD) ?? view.rulesets[0];
  const tool = iptablesTool(rs, artifacts.iptables ?? []);
  const version = dockerVersion(artifacts);
  const uplink = uplinkOf(artifacts);

  // the nat table alone (netavark#532's paste): Docker's and the other engine's DNATs, the filter table not collected
  if (!fwd) {
    const dockerNat = nat && (nat.has('DOCKER') || (nat.get('PREROUTING')?.rules.some((r) => r.target === 'DOCKER') ?? false));
    if (!dockerNat) return undefined;
    // podman with its iptables rules (netavark#532's paste); netavark's nftables table is in a listing that shows the filter table too
    const podman = engines.filter((e) => e.owner.startsWith('Podman') && !e.nft && (e.dnats.length > 0 || e.signs.length > 0));
    if (podman.length === 0) return undefined;
    const dockerJump = nat!.get('PREROUTING')?.rules.find((r) => r.target === 'DOCKER');
    const e = podman[0];
    const nets = networksOf(e);
    const evidence: Evidence[] = [];
    if (dockerJump) evidence.push({ file: dockerJump.ref.file, line: dockerJump.ref.line, excerpt: dockerJump.text, note: "Docker's DNAT chain for its published ports" });
    evidence.push(...e.signs.slice(0, 2), ...nets.flatMap((n) => n.evidence).slice(0, 2), ...e.dnats.slice(0, 2).map((d) => ({ file: d.file, line: d.line, excerpt: d.text, note: `podman's published port to ${d.ip}${d.port ? ` (host port ${d.port})` : ''}` })));
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
  // FORWARD read from a cut-off nft listing: an accept past the cut (in FORWARD or a chain it jumps to) is not in the file
  const cut = iptablesChainsCutNote(artifacts.nftables ?? [], fwd.ref.file, 'filter', [fwd.name, ...reached.map((c) => c.name), ...unlisted]);
  if (cut) {
    partly?.(`whether Docker's FORWARD policy DROP drops another engine's forwarded traffic on ${node} was not decided: ${cut}; collect the whole nft list ruleset (or iptables-save)`, ['nftables']);
    return undefined;
  }

  const found: { n: Network; inbound: Dnat[]; outbound: boolean }[] = [];
  for (const e of engines)
    for (const n of networksOf(e)) {
      const inbound = n.dnats.filter((d) => !inboundAccepted(accepts, d, n.bridge, n.subnet));
      // what leaves the bridge: iptables.forward-blocks-containers traces it where it can name the bridge and the
      // rules are complete; this analyzer reports it only where that one cannot decide, and for an engine whose rules
      // are in its own nftables table (the cause is Docker's policy beside that engine: that one yields those bridges
      // to this finding, see otherEngineBridges)
      const traced = !e.nft && unlisted.length === 0 && (!!n.bridge && (e.bridges.some((b) => b.name === n.bridge) || e.owner === 'Podman (netavark)'));
      const outbound = !traced && (n.bridge !== undefined || n.subnet !== undefined) && !outboundAccepted(accepts, n.bridge, n.subnet);
      if (inbound.length > 0 || outbound) found.push({ n, inbound, outbound });
    }
  if (found.length === 0) return undefined;
  // a cut iptables dump (a `...` in a paste, a table without COMMIT, sos's .tailed): an accept for the other engine's
  // traffic may be in the part left out; only the policy's own counter (packets it dropped) still shows the drop
  const dumpCut = iptablesDumpCutNote(view);
  if (dumpCut && !((dropped ?? 0) > 0)) {
    partly?.(`whether Docker's FORWARD policy DROP drops another engine's forwarded traffic on ${node} was not decided: ${dumpCut}; collect the whole iptables-save -c`, ['iptables']);
    return undefined;
  }

  const anyInbound = found.some((f) => f.inbound.length > 0);
  const counted = (dropped ?? 0) > 0;
  // an engine with its own nftables table forwards its bridge's traffic (its accepts are there): iptables' DROP drops it all
  const nftOut = found.some((f) => f.outbound && f.n.engine.nft);
  const severity = unlisted.length === 0 && (anyInbound || counted || nftOut) ? 'critical' : 'warning';
  if (dumpCut) partly?.(`the FORWARD policy's counter shows ${dropped} packets dropped, but the dump is cut (${dumpCut}): an accept for the other engine's traffic may be in the part left out`, ['iptables']);
  if (unlisted.length > 0) partly?.(`${unlisted.join(', ')} (jumped to from FORWARD) ${unlisted.length > 1 ? 'are' : 'is'} not in the dump: an accept there for the other engine's traffic could not be seen; collect iptables-save`, ['iptables']);

  const evidence: Evidence[] = [
    { file: fwd.ref.file, line: fwd.ref.line, excerpt: excerptOf(fwd), note: `filter FORWARD: policy DROP${dropped !== undefined ? `, ${dropped} packets dropped by it` : ''}` },
    { file: dockerJump.ref.file, line: dockerJump.ref.line, excerpt: dockerJump.text, note: `FORWARD's jump to ${dockerJump.target}: Docker's chains, Docker set this policy` },
  ];
  const dockerAccept = fwd.rules.find((r) => r.target === 'ACCEPT' && r.inInterface && !r.inInterface.negated && /^(docker0|br-[0-9a-f]{12})$/.test(r.inInterface.value));
  if (dockerAccept) evidence.push({ file: dockerAccept.ref.file, line: dockerAccept.ref.line, excerpt: dockerAccept.text, note: `FORWARD's accepts are Docker's own, for ${dockerAccept.inInterface!.value}` });
  for (const f of found) {
    evidence.push(...f.n.evidence.slice(0, 2), ...f.n.engine.signs.slice(0, 1));
    if (f.n.engine.nft) evidence.push(f.n.engine.nft.evidence, ...ownAcceptsFor(f.n));
    for (const d of f.inbound.slice(0, 2)) evidence.push({ file: d.file, line: d.line, excerpt: d.text, note: `${ownerText(f.n.engine.owner)} published port${f.n.engine.nft ? ` (table ${f.n.engine.nft.table})` : ''}: DNAT to ${d.ip}${d.port ? `, host port ${d.port}` : ''}${d.packets !== undefined ? ` (${d.packets} packets DNAT'ed)` : ''}; no rule before the policy accepts it` });
  }
  if (version) evidence.push(version.evidence);

  const engineNames = [...new Set(found.map((f) => f.n.engine.owner))];
  const netText = (n: Network) => [n.bridge, n.subnet].filter(Boolean).join(' ') || 'its network';
  const parts: string[] = [];
  for (const f of found) {
    const what: string[] = [];
    if (f.inbound.length > 0) what.push(`its published ports (${f.inbound.slice(0, 3).map((d) => `${d.protocol ?? ''}${d.port ? ` ${d.port}` : ''} -> ${d.ip}`.trim()).join(', ')}): no rule accepts the first packet of a connection DNAT'ed to it`);
    if (f.outbound) what.push(f.n.engine.nft ? 'what leaves it and its replies: no iptables rule accepts them' : 'what leaves it and its replies: no rule accepts them');
    parts.push(`${ownerText(f.n.engine.owner)} ${netText(f.n)}: ${what.join('; ')}`);
  }
  const nftEngines = [...new Map(found.filter((f) => f.n.engine.nft).map((f) => [f.n.engine.owner, f.n.engine])).values()];
  const nftNote = nftEngines
    .map((e) => {
      const first = found.find((f) => f.n.engine === e && f.outbound) ?? found.find((f) => f.n.engine === e)!;
      const own = ownAcceptsFor(first.n);
      const cited = own.map((a) => `${a.file}:${a.line}: ${a.excerpt}`).join('; ');
      return (
        ` ${e.owner} keeps its rules in its own nftables table (table ${e.nft!.table}, ${e.nft!.evidence.file}:${e.nft!.evidence.line})` +
        (own.length ? `; its own accept${own.length > 1 ? 's' : ''} there (${cited}) cannot override Docker's FORWARD policy DROP` : `: its accepts there cannot override Docker's FORWARD policy DROP`) +
        `: nftables runs every base chain on the forward hook, that table's and iptables' filter FORWARD, and a drop in any one of them is final.` +
        (e.owner === 'Podman (netavark)'
          ? " This is Fedora 41's known issue with Docker (podman#24486): Podman 5 there uses netavark's nftables driver by default (https://fedoraproject.org/wiki/Changes/NetavarkNftablesDefault), so netavark's accepts no longer sit in the iptables FORWARD chain Docker sets to DROP. Rootless Podman containers are not affected (their traffic does not cross the host's forward hook)."
          : e.owner === 'libvirt'
            ? ' libvirt writes its rules there with its nftables firewall backend (firewall_backend in /etc/libvirt/network.conf), as on Fedora 44 (moby/moby#52612).'
            : LXD_DOCS[e.owner]
              ? ` ${e.owner}'s documentation gives the fix for Docker beside ${e.owner}: accept the bridge in DOCKER-USER (${LXD_DOCS[e.owner]}).`
              : '')
      );
    })
    .join('');
  const netavarkNote = found.some((f) => f.n.engine.owner === 'Podman (netavark)' && !f.n.engine.nft && f.inbound.length > 0)
    ? " netavark's iptables rules (NETAVARK_FORWARD) accept only what leaves podman's subnet and its RELATED,ESTABLISHED replies; a connection from outside to a published port is forwarded to the container as a new connection and falls through to Docker's policy (containers/netavark#532)."
    : '';
  const message =
    `filter FORWARD on ${node} has policy DROP with Docker's chains (${dockerJump.target}), and ${engineNames.join(' and ')} also ${engineNames.length > 1 ? 'run' : 'runs'} networks on this host. Docker sets FORWARD's policy to DROP when it starts and accepts only its own bridges' traffic; nothing before the policy accepts the other engine's: ${parts.join('. ')}.` +
    nftNote +
    netavarkNote +
    (counted ? ` The policy has dropped ${dropped} packets.` : dropped === 0 ? ' The policy counter reads 0: no drop counted yet (or the counters were reset).' : '') +
    (unlisted.length ? ` ${unlisted.join(', ')} ${unlisted.length > 1 ? 'are' : 'is'} jumped to from FORWARD but not in the dump: unless ${unlisted.length > 1 ? 'they accept' : 'it accepts'} this traffic, it is dropped.` : '');
  const cutOff = [...new Set(found.filter((f) => f.outbound).map((f) => whoOn(f.n)))];
  const impact =
    [
      cutOff.length ? `${cutOff.join(' and ')} cannot reach anything outside the host${uplink ? ` (out ${uplink})` : ''} while Docker runs: what they send and the replies to it are dropped` : '',
      anyInbound ? `${engineNames.join(' and ')} published ports do not answer from other hosts while Docker runs` : '',
    ]
      .filter(Boolean)
      .join('; ') + "; Docker's own containers keep working, which hides the cause.";
  return {
    severity,
    title: `Docker's FORWARD policy DROP drops ${engineNames.join(' and ')} traffic on this host`,
    message,
    impact,
    evidence: distinctEvidence(evidence),
    facts: {
      engines: engineNames,
      policy: 'DROP',
      droppedPackets: dropped,
      networks: found.map((f) => ({ owner: f.n.engine.owner, bridge: f.n.bridge, subnet: f.n.subnet, publishedPortsDropped: f.inbound.length, outboundDropped: f.outbound, ...(f.n.engine.nft ? { nftTable: f.n.engine.nft.table } : {}) })),
      unlistedChains: unlisted,
      dockerVersion: version?.version,
      ...(uplink ? { uplink } : {}),
    },
    remedy: remedyFor(tool, found.map((f) => f.n), version?.numbers, anyInbound),
  };
}

function remedyFor(tool: string, nets: Network[], version: [number, number, number] | undefined, published: boolean): FindingDraft['remedy'] {
  const lines: string[] = [];
  const specs: string[] = [];
  const rule = (spec: string) => `${tool} -C DOCKER-USER ${spec} 2>/dev/null || ${tool} -I DOCKER-USER ${spec}`;
  const add = (spec: string, why: string) => {
    specs.push(spec);
    lines.push(`${rule(spec)}   # ${why}`);
  };
  const named = nets.filter((n) => n.bridge || n.subnet).slice(0, 4);
  for (const n of named) {
    const out = n.bridge ? `-o ${n.bridge}` : `-d ${n.subnet}`;
    const inn = n.bridge ? `-i ${n.bridge}` : `-s ${n.subnet}`;
    add(`${inn} -j ACCEPT`, `what leaves ${n.bridge ?? n.subnet}`);
    add(`${out} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`, 'the replies back in');
    if (published || n.dnats.length > 0) add(`${out} -m conntrack --ctstate DNAT -j ACCEPT`, 'connections to its published ports (DNAT\'ed by its own nat rules)');
  }
  const commands: string[] = [];
  if (lines.length) {
    commands.push(...lines);
    const bridges = [...new Set(named.map((n) => n.bridge).filter((b): b is string => !!b))];
    const file = bridges.length === 1 && named.length === 1 ? `${bridges[0]}-forward.conf` : 'other-engines-forward.conf';
    commands.push(
      `# persist: DOCKER-USER's rules do not survive a reboot; run ${specs.length === 2 ? 'both lines' : 'those lines'} each time docker starts, e.g. a drop-in /etc/systemd/system/docker.service.d/${file} holding "[Service]" and "ExecStartPost=/bin/sh -c '${specs.map(rule).join('; ')}'", then: systemctl daemon-reload`,
    );
  } else {
    commands.push(`# name the other engine's bridge (ip -br addr: podman0, cni-podman0, virbr0, lxdbr0), then: ${tool} -I DOCKER-USER -i <bridge> -j ACCEPT; ${tool} -I DOCKER-USER -o <bridge> -m conntrack --ctstate RELATED,ESTABLISHED,DNAT -j ACCEPT`);
    commands.push("# persist: DOCKER-USER's rules do not survive a reboot; run those lines each time docker starts, e.g. a drop-in for docker.service (systemctl edit docker) with an ExecStartPost= line");
  }
  // Fedora's workaround for podman#24486: netavark back on its iptables driver, whose accepts go into iptables' FORWARD (ahead of the policy)
  if (nets.some((n) => n.engine.owner === 'Podman (netavark)' && n.engine.nft))
    commands.push(
      `# or instead (Fedora's workaround, podman#24486): mkdir -p /etc/containers/containers.conf.d && printf '[network]\\nfirewall_driver = "iptables"\\n' > /etc/containers/containers.conf.d/50-netavark-iptables.conf, then restart the rootful Podman containers (a reboot also removes table inet netavark): netavark's iptables rules accept what leaves its networks and the replies${published ? ", not connections to its published ports (netavark#532): keep the --ctstate DNAT line above for those" : ''}`,
    );
  const atLeast28 = version ? version[0] >= 28 : undefined;
  commands.push(
    `# or, Docker 28 or later${atLeast28 === false ? ' (this node runs an older one: upgrade first)' : ''}: "ip-forward-no-drop": true in /etc/docker/daemon.json, restart docker and set the policy back (${tool} -P FORWARD ACCEPT): Docker then never sets FORWARD to DROP (it still drops what is not published to its own containers)`,
  );
  const docs = [...new Set(nets.map((n) => n.engine.owner))].filter((o) => LXD_DOCS[o]);
  return {
    summary:
      `Accept the other engine's bridge in DOCKER-USER, the chain Docker runs first in FORWARD and leaves to the administrator: what leaves the bridge, the replies back, and (for published ports) connections DNAT'ed to it${docs.length ? ` (for the first two, the fix ${docs.join(' and ')}'s documentation gives for Docker's FORWARD policy)` : ''}. Setting the policy back to ACCEPT by hand does not last: Docker sets DROP again each time it starts.`,
    commands,
    caution:
      "The accepts let through everything the other engine's containers or VMs send out, its replies and its published ports, ahead of Docker's rules (which do not concern that bridge). Do not save the live rules with iptables-save to restore at boot: they hold Docker's and the other engine's chains.",
  };
}
