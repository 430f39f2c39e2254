/**
 * iptables.container-dns-blocked: containers whose resolver is their bridge's own gateway address send
 * their DNS queries to the host, through its INPUT chain, not through FORWARD. A hardened host
 * (`-P INPUT DROP` plus RELATED,ESTABLISHED) drops them and name resolution inside the containers
 * fails while everything else works (containers/netavark#742, containers/aardvark-dns#453).
 *
 * Which bridges have a resolver on their gateway:
 * - Podman's netavark networks other than the default one: aardvark-dns answers on the gateway of every
 *   network with dns_enabled, which `podman network create` turns on (podman1, podman2, ...; the
 *   default network `podman` on podman0, 10.88.0.0/16, has DNS off). Without ip addr, netavark's own
 *   rules give the subnets (`-A NETAVARK_FORWARD -s <subnet> -j ACCEPT`), the gateway being the first
 *   address, as netavark assigns it.
 * - CNI-backed Podman (cni-podman1, ...): the dnsname plugin's dnsmasq on the gateway.
 * - libvirt's, LXD's, Incus' and lxc-net's bridges: their dnsmasq answers on the gateway.
 * - Docker's bridges only where the sockets show a listener on the gateway's port 53: Docker's own
 *   embedded DNS (127.0.0.11) answers inside the container's namespace and never crosses the host's INPUT.
 * - any bridge whose gateway address has a listener on port 53 (ss -lnu / -lnt).
 * - libvirt's, LXD's, Incus' and lxc-net's bridges by their default names in ip addr (virbr0, lxdbr0, incusbr0,
 *   lxcbr0) where the bundle has no live nft listing to show their own tables (canonical/lxd#6431: ufw + Docker).
 *
 * UDP 53 is traced from the bridge's second address to its gateway through the INPUT path (iptables and
 * native nftables tables, by hook priority); a DROP or REJECT is critical. For the dnsmasq of LXD, Incus,
 * lxc-net and libvirt, the guests' DHCPDISCOVER (0.0.0.0:68 -> 255.255.255.255:67 on the bridge) is traced
 * too: dropped, the guests get no IPv4 address (ufw's after-input sends udp 67 to its DROP policy).
 * TCP 53 (large answers) is traced too and fixed with it; TCP alone blocked is not reported (netavark's own rule accepts UDP only).
 * A listing without -v (`iptables -L -n`) shows no interfaces: no verdict on it, the coverage asks for -v.
 *
 * This is not iptables.port-blocked: that check walks TCP connections a log, a published port or
 * --require-port asks for; here the need is the resolver's presence, the protocol UDP, and the fix also
 * lies in netavark itself (1.8 adds this accept: containers/netavark#780).
 */
import { nftDropCutNote } from './lib/nft-cut.js';
import { defineAnalyzer } from '../src/engine/analyzer.js';
import type { Evidence } from '../src/report/schema.js';
import { trace, type Packet, type TraceResult } from '../src/netfilter/trace.js';
import { formatCidr, parseCidr } from '../src/parsers/cidr.js';
import { interfacesOf } from '../src/parsers/interfaces.js';
import type { NodeArtifacts } from '../src/engine/artifacts.js';
import { dockerBridges, liveIpv4, liveTables, localAddresses, nativeNftables, netavarkSubnetsFromRules, notePartialNft, otherBridgeOwner, otherContainerBridges, traceContext } from './lib/node-view.js';
import { hostFirewall, type HostFirewall } from './lib/host-firewall.js';
import { loadedNftablesConfig } from '../src/nft/config.js';
import { installedPackage, packageAtLeast, packageEvidence, packageLabel, type InstalledPackage } from './lib/package-versions.js';

/** A bridge whose containers query a resolver on the bridge's gateway address. */
export interface Resolver {
  /** the bridge; undefined when only its subnet is known (netavark's rules, no ip addr) */
  bridge?: string;
  gateway: string;
  subnet: string;
  /** who answers there: aardvark-dns, dnsmasq (libvirt, LXD), a listener */
  server: string;
  /** what shows the bridge and its resolver */
  evidence: Evidence[];
  /** netavark's network: its own fix exists (netavark >= 1.8) */
  netavark?: boolean;
  /** the gateway was taken as the subnet's first address (no ip addr) */
  assumedGateway?: boolean;
  /** a VM or system-container manager's dnsmasq (LXD, Incus, lxc-net, libvirt): it serves the guests' DHCP (udp 67) too */
  dhcp?: boolean;
  /** known only by the bridge's default name in ip addr (lxdbr0, virbr0, ...), not by its manager's rules */
  byName?: boolean;
}

/** The first address of a subnet: the gateway netavark and Docker give a bridge unless told otherwise. */
function firstAddress(cidr: string): string | undefined {
  const c = parseCidr(cidr);
  if (!c || c.family !== 4 || c.prefix > 30) return undefined;
  return formatCidr({ ...c, network: c.network + 1n, prefix: 32 }).replace(/\/32$/, '');
}

/** The next address (a container beside the gateway). */
function nextAddress(address: string): string {
  return address.replace(/\.(\d+)$/, (_, d: string) => `.${Math.min(254, Number(d) + 1)}`);
}

/** netavark's default network (`podman`, podman0 / cni-podman0): DNS off unless its configuration turns it on. */
const PODMAN_DEFAULT_SUBNET = '10.88.0.0/16';

/** The bridges of the node whose containers' resolver is the bridge's gateway (IPv4). */
export function resolversOf(artifacts: NodeArtifacts): Resolver[] {
  const out = new Map<string, Resolver>();
  const add = (r: Resolver) => {
    const key = `${r.gateway}`;
    const had = out.get(key);
    if (!had) out.set(key, r);
    else if (!had.bridge && r.bridge) out.set(key, { ...r, evidence: [...r.evidence, ...had.evidence], netavark: r.netavark || had.netavark });
  };
  const itfs = interfacesOf(artifacts.ipAddr ?? []);
  const listeners = (artifacts.sockets ?? []).flatMap((s) => s.sockets).filter((l) => l.port === 53);
  const listenerOn = (address: string) => listeners.find((l) => l.address === address);
  const listenerEvidence = (address: string): Evidence[] => {
    const l = listenerOn(address);
    return l ? [{ file: l.ref.file, line: l.ref.line, excerpt: l.excerpt, note: `${l.process ?? 'a process'} listens on ${address}:53 (${l.proto})` }] : [];
  };
  const addressOf = (name: string) => itfs.get(name)?.addresses.find((a) => a.family === 4 && a.scope !== 'host');
  // Podman: netavark (podman1, ...) and CNI (cni-podman1, ...) networks by their bridge's address
  for (const itf of itfs.values()) {
    const m = /^(cni-)?podman(\d+)$/.exec(itf.name);
    if (!m) continue;
    const a = addressOf(itf.name);
    if (!a) continue;
    const heard = listenerEvidence(a.address);
    const isDefault = m[2] === '0' || a.network === PODMAN_DEFAULT_SUBNET;
    if (isDefault && heard.length === 0) continue;
    add({
      bridge: itf.name,
      gateway: a.address,
      subnet: a.network,
      server: m[1] ? "the dnsname plugin's dnsmasq" : 'aardvark-dns',
      netavark: !m[1],
      evidence: [{ file: a.ref.file, line: a.ref.line, excerpt: a.excerpt, note: `${itf.name}: a Podman network's bridge, ${a.address} its gateway, where ${m[1] ? "the dnsname plugin's dnsmasq" : 'aardvark-dns'} answers the containers' DNS` }, ...heard],
    });
  }
  // netavark's own rules (no ip addr needed): NETAVARK_FORWARD -s <subnet> -j ACCEPT, one per network
  for (const { subnet: src, rule: r } of netavarkSubnetsFromRules(liveIpv4(artifacts))) {
    const gw = firstAddress(src);
    if (!gw) continue;
    const heard = listenerEvidence(gw);
    if (src === PODMAN_DEFAULT_SUBNET && heard.length === 0) continue;
    const bridge = [...itfs.values()].find((i) => i.addresses.some((a) => a.family === 4 && a.network === src));
    if (bridge && !bridge.name.startsWith('podman') && heard.length === 0) continue;
    const own = bridge ? addressOf(bridge.name) : undefined;
    add({
      bridge: bridge?.name,
      gateway: own?.address ?? gw,
      subnet: src,
      server: 'aardvark-dns',
      netavark: true,
      assumedGateway: own === undefined,
      evidence: [{ file: r.ref.file, line: r.ref.line, excerpt: r.text, note: `netavark's rule for its network ${src}${own ? '' : ` (gateway taken as ${gw}, the first address, as netavark assigns it)`}` }, ...heard],
    });
  }
  // libvirt, LXD, Incus, lxc-net: dnsmasq on the bridge's gateway
  for (const b of otherContainerBridges(artifacts, 4)) {
    const a = addressOf(b.name);
    const subnet = a?.network ?? b.subnets[0]?.cidr;
    const gw = a?.address ?? (subnet ? firstAddress(subnet) : undefined);
    if (!gw || !subnet) continue;
    add({
      bridge: b.name,
      gateway: gw,
      subnet,
      server: `${b.owner}'s dnsmasq`,
      assumedGateway: a === undefined,
      dhcp: true,
      evidence: [...(a ? [{ file: a.ref.file, line: a.ref.line, excerpt: a.excerpt, note: `${b.name}: ${b.owner}'s bridge, ${gw} its gateway, where its dnsmasq answers the guests' DHCP and DNS` }] : [{ ...b.routes }]), ...listenerEvidence(gw)],
    });
  }
  // the same managers' bridges by their default names in ip addr (lxdbr0, incusbr0, lxcbr0, virbr0), where the
  // bundle lacks their rules (LXD's table inet lxd without an nft listing, lxd#6431's ufw host): their dnsmasq
  // serves DHCP and DNS on the bridge's address (LXD's documentation: "a local dnsmasq process to provide DHCP,
  // IPv6 route announcements and DNS services to the network")
  // (only without a live nft listing: with one, the manager's own table would show, and its absence says it does not manage the bridge)
  for (const itf of nativeNftables(artifacts).length === 0 ? itfs.values() : []) {
    const owner = otherBridgeOwner(itf.name);
    const a = owner ? addressOf(itf.name) : undefined;
    if (!owner || !a || a.prefix >= 31 || out.has(a.address)) continue;
    add({
      bridge: itf.name,
      gateway: a.address,
      subnet: a.network,
      server: `${owner}'s dnsmasq`,
      dhcp: true,
      byName: true,
      evidence: [{ file: a.ref.file, line: a.ref.line, excerpt: a.excerpt, note: `${itf.name}: by its name ${owner}'s default bridge, ${a.address} its gateway, where ${owner}'s dnsmasq serves the guests' DHCP and DNS` }, ...listenerEvidence(a.address)],
    });
  }
  // Docker's bridges: only with a listener on the gateway's port 53 (its embedded DNS never crosses INPUT)
  for (const b of dockerBridges(artifacts, 4)) {
    const a = b.itf?.addresses.find((x) => x.family === 4);
    if (!a) continue;
    const heard = listenerEvidence(a.address);
    if (heard.length === 0) continue;
    add({ bridge: b.name, gateway: a.address, subnet: a.network, server: listenerOn(a.address)?.process ?? 'a DNS server', evidence: [{ file: a.ref.file, line: a.ref.line, excerpt: a.excerpt, note: `${b.name}: a Docker bridge, ${a.address} its gateway` }, ...heard] });
  }
  // any other bridge whose gateway address has a DNS listener
  for (const l of listeners) {
    if (out.has(l.address)) continue;
    const itf = [...itfs.values()].find((i) => i.addresses.some((a) => a.family === 4 && a.address === l.address && a.prefix < 31));
    if (!itf || !/^(br-|docker|virbr|lxdbr|incusbr|lxcbr|podman|cni)/.test(itf.name)) continue;
    const a = itf.addresses.find((x) => x.address === l.address)!;
    add({ bridge: itf.name, gateway: a.address, subnet: a.network, server: l.process ?? 'a DNS server', evidence: [{ file: a.ref.file, line: a.ref.line, excerpt: a.excerpt, note: `${itf.name}'s address` }, ...listenerEvidence(a.address)] });
  }
  return [...out.values()];
}

interface Blocked {
  r: Resolver;
  udp: TraceResult;
  tcp: TraceResult;
  /** a guest's DHCPDISCOVER (0.0.0.0:68 -> 255.255.255.255:67 on the bridge), traced for a dnsmasq of LXD, Incus, lxc-net or libvirt */
  dhcp?: TraceResult;
}

const blocks = (t: TraceResult) => (t.verdict.kind === 'DROP' || t.verdict.kind === 'REJECT') && t.decidedBy !== undefined;
const by = (t: TraceResult) => {
  const d = t.decidedBy!;
  return d.nft ? `nftables ${d.nft.family} ${d.nft.table} chain ${d.chain} ${d.num === 0 ? 'policy' : `rule ${d.num}`}` : `${d.table}/${d.chain} ${d.num === 0 ? 'policy' : `rule ${d.num}`}`;
};

export default defineAnalyzer({
  id: 'iptables.container-dns-blocked',
  title: "Containers' DNS to their bridge's resolver is blocked",
  description: "Containers whose resolver is their bridge's gateway (aardvark-dns of Podman networks, libvirt's and LXD's dnsmasq, a DNS listener on a Docker bridge's gateway) send DNS through the host's INPUT: traced for UDP and TCP 53.",
  scope: 'node',
  requires: [],
  requiresOneOf: ['iptables', 'nftables'],
  optional: ['iptables', 'nftables', 'ipAddr', 'sockets', 'services', 'dockerNetworks', 'routes', 'packages', 'nftablesConfig'],
  analyze({ node, artifacts, partly }) {
    const resolvers = resolversOf(artifacts);
    const tables = liveTables(artifacts);
    const input = tables.get('filter')?.get('INPUT');
    // `iptables -L -n` without -v prints no in/out column: no rule can be tied to a bridge (canonical/lxd#6431's paste)
    const unverbose = listingWithoutInterfaces(tables);
    const noIpAddr = interfacesOf(artifacts.ipAddr ?? []).size === 0;
    if (unverbose && input?.policy === 'DROP' && (resolvers.length > 0 || noIpAddr)) {
      const ufw = input.rules.some((x) => /^ufw-/.test(x.target ?? '')) || hostFirewall(artifacts) === 'ufw';
      partly?.(
        `the INPUT policy is DROP (${input.ref.file}:${input.ref.line}), and the listing is iptables -L without -v (${unverbose.file}:${unverbose.line}): it shows no in/out interface column, so no rule can be tied to a bridge, and ip addr alone would not decide it${
          ufw ? `; ufw's chains own INPUT: without a rule for the bridge (LXD's documented one: ufw allow in on lxdbr0) they drop the DHCP (udp 67) and DNS of LXD's and libvirt's guests to the dnsmasq on their bridge, and the guests get no IPv4 address` : ''
        }. Containers' and guests' DNS and DHCP to a bridge's gateway, which cross INPUT, were not checked${resolvers.length > 0 ? ` (${resolvers.map((r) => r.bridge ?? r.subnet).join(', ')})` : ''}; collect iptables -L -n -v (or iptables-save)${noIpAddr ? ' and ip addr' : ''}`,
        noIpAddr ? ['iptables', 'ipAddr'] : ['iptables'],
      );
      return [];
    }
    if (resolvers.length === 0) {
      // a dropping INPUT and nothing to say which bridges there are: say what was not checked
      if (interfacesOf(artifacts.ipAddr ?? []).size === 0 && input?.policy === 'DROP')
        partly?.(
          `the INPUT policy is DROP (${input.ref.file}:${input.ref.line}), but the bundle has no ip addr and no container manager's rules that name a bridge with a resolver on its gateway (Podman's aardvark-dns, libvirt's or LXD's dnsmasq): containers' DNS to such a gateway, which crosses INPUT, was not checked; collect ip addr`,
          ['ipAddr'],
        );
      return [];
    }
    if (!tables.get('filter') && nativeNftables(artifacts).length === 0) return [];
    const ctx0 = traceContext(artifacts);
    const local = new Set([...localAddresses(artifacts, 4), ...resolvers.map((r) => r.gateway)]);
    const ctx = { ...ctx0, localAddresses: [...local] };
    const blocked: Blocked[] = [];
    for (const r of resolvers) {
      const probe = (protocol: 'udp' | 'tcp'): TraceResult => {
        const p: Packet = { src: nextAddress(r.gateway), dst: r.gateway, protocol, dport: 53, sport: 40000, inInterface: r.bridge, state: 'new', mark: 0 };
        return trace(tables, 'input', p, ctx);
      };
      const udp = probe('udp');
      // DHCP: the guest has no address yet and broadcasts to the server port on the bridge (the gateway's dnsmasq answers)
      // (the tracer routes by its local addresses: the limited broadcast is delivered to the host, so it is listed as one of them for this probe)
      const dhcp = r.dhcp && r.bridge ? trace(tables, 'input', { src: '0.0.0.0', dst: '255.255.255.255', protocol: 'udp', sport: 68, dport: 67, inInterface: r.bridge, state: 'new', mark: 0 }, ctx) : undefined; // the limited broadcast is delivered locally by the tracer (INPUT), and is BROADCAST, not LOCAL, to addrtype
      const dhcpBlocked = dhcp && blocks(dhcp) ? dhcp : undefined;
      if (!blocks(udp) && !dhcpBlocked) continue;
      // a cut-off nft listing: the deciding policy, or a chain the packet came back from, may go on past the cut
      const cut = [blocks(udp) ? udp : undefined, dhcpBlocked].map((t) => (t ? nftDropCutNote(artifacts.nftables ?? [], t.decidedBy, t.steps) : undefined)).find(Boolean);
      if (cut) {
        partly?.(`DNS from containers to ${r.gateway}:53${dhcpBlocked ? ' (or their DHCP)' : ''} is dropped as far as the listing shows, but rules past its end may accept it first: ${cut}; collect the whole nft list ruleset`, ['nftables']);
        continue;
      }
      blocked.push({ r, udp, tcp: probe('tcp'), dhcp: dhcpBlocked });
    }
    if (blocked.length === 0) {
      notePartialNft(artifacts, partly, `DNS from containers to ${resolvers.map((r) => `${r.gateway}:53`).join(', ')}${resolvers.some((r) => r.dhcp && r.bridge) ? ' and their DHCP (udp 67)' : ''}`);
      return [];
    }
    const fw = hostFirewall(artifacts);
    // netavark's own fix (1.8 adds the accept itself): the installed version says whether it applies
    const netavark = blocked.some((b) => b.r.netavark) ? installedPackage(artifacts, ['netavark']) : undefined;
    return blocked.map(({ r, udp, tcp, dhcp }) => finding(node, r, udp, tcp, dhcp, fw, r.netavark ? netavarkVersion(netavark, artifacts, r.subnet) : undefined, artifacts));
  },
});

/** The first rule of a filter chain read from `iptables -L` without -v (no in/out columns), if the listing is one. */
function listingWithoutInterfaces(tables: ReturnType<typeof liveTables>): { file: string; line: number } | undefined {
  for (const c of tables.get('filter')?.values() ?? [])
    for (const x of c.rules) if (x.incomplete?.some((i) => i.startsWith('listing without -v'))) return x.ref;
  return undefined;
}

function ruleEvidence(t: TraceResult, what: string): Evidence {
  const d = t.decidedBy!;
  return { file: d.file, line: d.line, excerpt: d.nft || d.num !== 0 ? d.text : `:${d.chain} ${d.text.replace('policy ', '')}`, note: `${by(t)} ${t.verdict.kind === 'REJECT' ? 'rejects' : 'drops'} ${what}` };
}

/** What the installed netavark says of its own fix (containers/netavark#780, in 1.8): upgrade where it is older; where it has the fix, the block is elsewhere. */
interface NetavarkVersion {
  pkg: InstalledPackage;
  hasFix: boolean;
  /** netavark's own `NETAVARK_INPUT -s <subnet> -p udp --dport 53 -j ACCEPT` is in the live rules */
  acceptPresent: boolean;
}

function netavarkVersion(pkg: InstalledPackage | undefined, artifacts: NodeArtifacts, subnet: string): NetavarkVersion | undefined {
  if (!pkg) return undefined;
  const acceptPresent = liveIpv4(artifacts).some((rs) =>
    (rs.tables.filter?.chains.NETAVARK_INPUT?.rules ?? []).some(
      (x) => x.target === 'ACCEPT' && x.source?.value === subnet && !x.source.negated && x.matches.some((m) => m.options.some((o) => o.name === 'dport' && o.value === '53' && !o.negated)),
    ),
  );
  return { pkg, hasFix: packageAtLeast(pkg, '1.8'), acceptPresent };
}

function finding(node: string, r: Resolver, udp: TraceResult, tcp: TraceResult, dhcp: TraceResult | undefined, fw: HostFirewall, nv: NetavarkVersion | undefined, artifacts: NodeArtifacts) {
  const where = r.bridge ? `${r.bridge} (${r.subnet})` : r.subnet;
  const dns = blocks(udp);
  const tcpToo = dns && blocks(tcp);
  const same = (a: TraceResult, b: TraceResult) => a.decidedBy!.file === b.decidedBy!.file && a.decidedBy!.line === b.decidedBy!.line;
  const evidence: Evidence[] = [];
  if (dns) evidence.push(ruleEvidence(udp, `DNS (udp 53) from ${where} to ${r.gateway}${dhcp && same(dhcp, udp) ? ', and the guests\' DHCP requests (udp 67)' : ''}`));
  if (tcpToo && !same(tcp, udp)) evidence.push(ruleEvidence(tcp, `DNS over TCP from ${where} to ${r.gateway}`));
  if (dhcp && (!dns || !same(dhcp, udp))) evidence.push(ruleEvidence(dhcp, `the guests' DHCP requests (udp 67, broadcast on ${r.bridge})`));
  evidence.push(...r.evidence);
  if (nv)
    evidence.push(
      packageEvidence(
        nv.pkg,
        nv.hasFix
          ? `netavark ${nv.pkg.upstream} installed: 1.8 and later accept DNS from their networks themselves (containers/netavark#780), so what blocks it here is outside netavark's rule`
          : `netavark ${nv.pkg.upstream} installed: older than 1.8, which adds the DNS accept for its networks itself (containers/netavark#780)`,
      ),
    );
  const verdictOf = (t: TraceResult) => (t.verdict.kind === 'REJECT' ? `rejected (${t.verdict.with})` : 'dropped');
  const assumed = r.assumedGateway ? ` The bundle has no ip addr for this bridge: its gateway is taken as ${r.gateway}, the subnet's first address.` : '';
  const guests = r.server.startsWith('libvirt') ? 'virtual machines' : 'guests';
  const dnsText = dns
    ? `DNS queries from the containers on ${where} to ${r.server} on ${r.gateway}:53 are ${verdictOf(udp)} by ${by(udp)}${tcpToo ? ` (TCP 53 too${!same(tcp, udp) ? `, by ${by(tcp)}` : ''})` : ''}: the resolver is the host itself, so the queries go through its INPUT chain, not FORWARD. Name resolution in those containers fails (timeouts in getaddrinfo, "Temporary failure in name resolution", "no such host"), while connections by address work.`
    : '';
  const dhcpText = dhcp
    ? `${dns ? ' ' : ''}The ${guests}' DHCP requests on ${r.bridge} (udp 67, to ${r.server}) are ${verdictOf(dhcp)}${dns && same(dhcp, udp) ? ' there too' : ` by ${by(dhcp)}`}: ${guests} that boot or renew their lease get no IPv4 address (\`lxc list\` shows none; canonical/lxd#6431), which is worse than the DNS failure: without an address they reach nothing.`
    : '';
  const firewall = fw === 'ufw' ? " ufw owns INPUT here (its policy DROP, its chains): LXD's and libvirt's own accepts, where they sit in their own nftables table, do not override a drop in iptables' INPUT, since every table on the hook must accept the packet." : '';
  return {
    severity: 'critical' as const,
    title: dhcp ? "Guests' DHCP and DNS to their bridge's dnsmasq are blocked" : "Containers' DNS to their bridge's resolver is blocked",
    message: `On ${node}, ${dnsText}${dhcpText}${dhcp ? firewall : ''}${assumed}${nv ? ` ${netavarkSentence(nv, udp)}` : ''}`,
    impact: dhcp ? `${guests === 'guests' ? 'Instances' : 'Virtual machines'} on ${r.bridge} get no IPv4 address${dns ? ' and cannot resolve names' : ''}.` : `Containers on ${r.bridge ?? r.subnet} cannot resolve one another's names nor outside names.`,
    evidence,
    facts: {
      bridge: r.bridge,
      gateway: r.gateway,
      subnet: r.subnet,
      server: r.server,
      ...(dns ? { udpBlockedBy: `${udp.decidedBy!.chain}#${udp.decidedBy!.num}` } : {}),
      tcpBlocked: tcpToo,
      ...(dhcp ? { dhcpBlockedBy: `${dhcp.decidedBy!.chain}#${dhcp.decidedBy!.num}` } : {}),
      ...(r.byName ? { bridgeKnownBy: 'name' } : {}),
      ...(r.assumedGateway ? { gatewayAssumed: true } : {}),
      ...(nv ? { netavarkPackage: packageLabel(nv.pkg), netavarkHasDnsAccept: nv.hasFix } : {}),
    },
    remedy: remedyFor(r, dns ? udp : dhcp!, fw, dhcp !== undefined, nv, artifacts),
  };
}

/** Accept DNS (and the guests' DHCP, where it is blocked) from the bridge ahead of the block, safe to paste twice, kept where the host's firewall keeps its rules. */
function remedyFor(r: Resolver, udp: TraceResult, fw: HostFirewall, dhcp: boolean, nv: NetavarkVersion | undefined, artifacts: NodeArtifacts) {
  const d = udp.decidedBy!;
  const match = r.bridge ? `-i ${r.bridge}` : `-s ${r.subnet}`;
  const netavark = !r.netavark
    ? []
    : nv?.hasFix
      ? nv.acceptPresent
        ? [`# netavark ${nv.pkg.upstream} is installed (${nv.pkg.ref.file}:${nv.pkg.ref.line}) and its "-A NETAVARK_INPUT -s ${r.subnet} -p udp -m udp --dport 53 -j ACCEPT" is there: the accept above is needed because ${by(udp)} decides first`]
        : [`# netavark ${nv.pkg.upstream} is installed (${nv.pkg.ref.file}:${nv.pkg.ref.line}): with its iptables driver it adds "-A NETAVARK_INPUT -s ${r.subnet} -p udp -m udp --dport 53 -j ACCEPT" itself, missing from these rules; "podman network reload --all" writes netavark's rules again`]
      : [
          `# or upgrade netavark${nv ? ` (installed: ${packageLabel(nv.pkg)}, ${nv.pkg.ref.file}:${nv.pkg.ref.line})` : ''} to 1.8 or later (with its iptables driver): it adds "-A NETAVARK_INPUT -s ${r.subnet} -p udp -m udp --dport 53 -j ACCEPT" itself for every network with DNS (containers/netavark#780)`,
        ];
  if (d.nft && d.nft.table === 'firewalld') {
    const zone = r.bridge ? `$(firewall-cmd --get-zone-of-interface=${r.bridge} 2>/dev/null || firewall-cmd --get-default-zone)` : '$(firewall-cmd --get-default-zone)';
    return {
      summary: `firewalld blocks it: allow the dns${dhcp ? ' and dhcp services' : ' service'} in the zone ${r.bridge ?? 'the bridge'} is in, at runtime and permanently.`,
      commands: [`z=${zone}; firewall-cmd --zone="$z" --add-service=dns${dhcp ? ' --add-service=dhcp' : ''} && firewall-cmd --permanent --zone="$z" --add-service=dns${dhcp ? ' --add-service=dhcp' : ''}`, ...netavark],
      caution: 'No firewall-cmd --reload: it removes the rules Docker and netavark added at runtime. --add-service on a service already enabled changes nothing.',
    };
  }
  if (d.nft) {
    const chain = `${d.nft.family} ${d.nft.table} ${d.chain}`;
    const saved = savedNftables(artifacts, d.nft.family, d.nft.table);
    const rules = r.bridge ? [`iifname "${r.bridge}" udp dport 53 accept`, `iifname "${r.bridge}" tcp dport 53 accept`, ...(dhcp ? [`iifname "${r.bridge}" udp dport 67 accept`] : [])] : [`ip saddr ${r.subnet} udp dport 53 accept`, `ip saddr ${r.subnet} tcp dport 53 accept`];
    return {
      summary: `The nftables table ${d.nft.family} ${d.nft.table} blocks it: accept DNS${dhcp ? ' and DHCP' : ''} from ${r.bridge ?? r.subnet} at the top of its chain ${d.chain}, and keep the rules in the configuration the nftables service loads.`,
      commands: [
        ...rules.map((x) => `nft list chain ${chain} | grep -qF '${x}' || nft insert rule ${chain} ${x}`),
        `# persist: in ${saved.declaredIn ?? 'the file the nftables service loads (/etc/nftables.conf, /etc/sysconfig/nftables.conf)'}, in table ${d.nft.family} ${d.nft.table}, chain ${d.chain}, above the rule that blocks it:`,
        ...rules.map((x) => `#   ${x}`),
        ...netavark,
      ],
      caution: saved.caution,
    };
  }
  const specs = [...['udp', 'tcp'].map((p) => `INPUT ${match} -p ${p} -m ${p} --dport 53 -j ACCEPT`), ...(dhcp && r.bridge ? [`INPUT -i ${r.bridge} -p udp -m udp --dport 67 -j ACCEPT`] : [])];
  const idempotent = specs.map((s) => `iptables -C ${s} 2>/dev/null || iptables -I ${s}`);
  if (fw === 'ufw' && r.dhcp && r.bridge) {
    // LXD's documentation ("How to configure your firewall", ufw): allow in on the bridge, and route in and out of it
    return {
      summary: `ufw owns INPUT: let ${r.bridge}'s guests reach ${r.server} (DHCP udp 67, DNS 53) through ufw, with the rules LXD's documentation gives for ufw; ufw keeps them and rebuilds its chains from them.`,
      commands: [
        `ufw allow in on ${r.bridge}   # DHCP and DNS to the host's dnsmasq (LXD's documented rule; ufw skips a rule it has already)`,
        `# narrower, if the guests need nothing else on the host: ufw allow in on ${r.bridge} to any port 67 proto udp; ufw allow in on ${r.bridge} to any port 53`,
        `# their forwarded traffic (iptables.forward-blocks-containers says whether it is dropped): ufw route allow in on ${r.bridge}; ufw route allow out on ${r.bridge}`,
      ],
      caution: `"ufw allow in on ${r.bridge}" lets the guests reach every service of the host, not only dnsmasq. Do not insert rules into ufw's chains with iptables: ufw rebuilds them at every reload and boot.`,
    };
  }
  if (fw === 'ufw') {
    return {
      summary: `ufw owns INPUT: allow DNS from ${r.bridge ?? r.subnet} to ${r.gateway} through ufw, which keeps the rule and rebuilds its chains from it.`,
      commands: [`ufw allow in ${r.bridge ? `on ${r.bridge} ` : `from ${r.subnet} `}to ${r.gateway} port 53   # udp and tcp; ufw skips a rule it has already`, ...netavark],
      caution: "Do not insert rules into ufw's chains with iptables: ufw rebuilds them at every reload and boot.",
    };
  }
  const persist =
    fw === 'iptables-services'
      ? [`# persist: add these lines by hand to the *filter section of /etc/sysconfig/iptables, above its final REJECT rules:`]
      : fw === 'netfilter-persistent'
        ? [`# persist: add these lines by hand to the *filter section of /etc/iptables/rules.v4, above the rules that drop:`]
        : [`# persist: add these lines by hand where the host firewall keeps its rules (/etc/sysconfig/iptables for iptables.service, /etc/iptables/rules.v4 for netfilter-persistent), in the *filter section above the rules that drop:`];
  return {
    summary: `Accept DNS (udp and tcp 53)${dhcp && r.bridge ? ' and DHCP (udp 67)' : ''} from ${r.bridge ?? r.subnet} at the top of INPUT, ahead of ${d.num === 0 ? 'the INPUT policy' : `${d.chain} rule ${d.num}`}; each command adds its rule only if it is not there already.`,
    commands: [...idempotent, ...persist, ...specs.map((s) => `#   -A ${s}`), ...netavark],
    caution: "Do not save the live rules into the boot configuration (iptables-save > ..., service iptables save, netfilter-persistent save): they hold the container managers' chains (netavark's, Docker's), restored stale at every boot.",
  };
}

/** The message's word on the installed netavark. */
function netavarkSentence(nv: NetavarkVersion, udp: TraceResult): string {
  const d = udp.decidedBy!;
  if (!nv.hasFix) return `The installed netavark is ${nv.pkg.upstream} (${packageLabel(nv.pkg)}), older than 1.8: from 1.8 netavark accepts DNS from its networks itself, so upgrading it is a fix too.`;
  const own = `The installed netavark is ${nv.pkg.upstream} (${packageLabel(nv.pkg)}), which adds its own DNS accept (1.8+, containers/netavark#780)`;
  if (!nv.acceptPresent)
    return `${own}, but that accept is not in the live rules (netavark's nftables driver, or a firewall reload or restart removed its rules: \`podman network reload --all\` writes them again): upgrading netavark does not fix this.`;
  const where = d.nft ? `nftables table ${d.nft.family} ${d.nft.table}, which netavark's iptables accept does not override` : `${by(udp)}, before netavark's NETAVARK_INPUT accept is reached`;
  return `${own}, and it is in the rules; the query is blocked anyway, by ${where}: upgrading netavark does not fix this.`;
}

/**
 * Where the blocking native table is kept, and what loading that file or restarting the nftables service does
 * to the other tables (the container managers': inet incus, inet lxd, ip docker-bridges, iptables-nft's), as far as
 * the bundle shows. The packaged units (Debian/Ubuntu's and Arch's: ExecReload=nft -f /etc/nftables.conf; RHEL/
 * Fedora's: ExecReload=nft 'flush ruleset; include "/etc/sysconfig/nftables.conf";') all stop with
 * ExecStop=nft flush ruleset: a stop or restart deletes every table whatever the file holds. The file itself
 * deletes them only where it runs `flush ruleset` (Debian's stock file does; a file that resets only its own
 * table with `table inet filter` / `delete table inet filter` does not).
 */
function savedNftables(artifacts: NodeArtifacts, family: string, table: string): { declaredIn?: string; caution: string } {
  const config = loadedNftablesConfig(artifacts.nftablesConfig ?? []);
  const key = `${family} ${table}`;
  const statements = config?.statements ?? [];
  const declared = [...new Set(statements.filter((st) => st.kind === 'table').map((st) => `${st.family} ${st.table}`))];
  const decl = statements.find((st) => st.kind === 'table' && `${st.family} ${st.table}` === key);
  const hostPathOf = (file: string) => config?.files.find((f) => f.file === file)?.hostPath ?? file;
  const declaredIn = decl ? `${hostPathOf(decl.ref.file)} (line ${decl.ref.line})` : undefined;
  // the other live tables, which the file does not declare: the container managers' (and iptables-nft's)
  const others = [...new Set((artifacts.nftables ?? []).flatMap((n) => n.tables).map((t) => `${t.family} ${t.name}`))].filter((t) => t !== key && !declared.includes(t));
  const named = (ts: string[], none: string) => (ts.length ? `the other tables (${ts.slice(0, 4).map((t) => `table ${t}`).join(', ')}${ts.length > 4 ? `, ${ts.length - 4} more` : ''})` : none);
  const theirs = named(others, "the container managers' tables");
  const flushes = statements.filter((st) => st.kind === 'flush-ruleset');
  const stop =
    `Do not stop or restart nftables.service while the containers run: the packaged unit's stop action (ExecStop=nft flush ruleset, in Debian's and Ubuntu's unit as in RHEL's and Fedora's) deletes every table, ${theirs} too${config?.flavour === 'rhel' ? ', and RHEL\'s "systemctl reload nftables" runs flush ruleset before it loads the file again' : ''}.`;
  if (!config)
    return {
      declaredIn,
      caution:
        `The bundle does not hold the file the nftables service loads: where it runs "flush ruleset" (Debian's stock /etc/nftables.conf starts with it), loading it (nft -f, systemctl reload nftables) deletes ${theirs} too; check first with grep -n 'flush ruleset' /etc/nftables.conf /etc/sysconfig/nftables.conf /etc/nftables/*.nft. ` +
        `${stop} The nft commands above change the live rules only.`,
    };
  const conf = config.main.hostPath;
  if (flushes.length) {
    const f = flushes[0];
    const where = `${hostPathOf(f.ref.file)}${f.ref.file === config.main.file ? '' : ` (which ${conf} includes)`}`;
    return {
      declaredIn,
      caution:
        `Do not load ${conf} again while the containers run (nft -f ${conf}, systemctl reload or restart nftables): ${where} runs "${f.excerpt.trim()}" (line ${f.ref.line}), which deletes every table${f.family ? ` of the ${f.family} family, ${named(others.filter((t) => t.startsWith(`${f.family} `)), `the container managers' ${f.family} tables`)}` : `, ${theirs}`} included. ` +
        `Edit the file without loading it: the nft commands above already apply. ${stop}`,
    };
  }
  if (config.missing.length)
    return {
      declaredIn,
      caution: `${conf} includes ${config.missing.join(', ')}, which the bundle does not hold: whether loading it (nft -f ${conf}, systemctl reload nftables) runs "flush ruleset" and deletes ${theirs} is not shown; check with grep -n 'flush ruleset' before loading it. ${stop}`,
    };
  const resets = statements.filter((st) => /^(delete|destroy|flush)-table$/.test(st.kind)).map((st) => `${st.family} ${st.table}`);
  const own = declared.length && declared.every((t) => resets.includes(t)) ? ` resets only its own table${declared.length > 1 ? 's' : ''} (${declared.map((t) => `table ${t}`).join(', ')}) and` : '';
  return {
    declaredIn,
    caution:
      `${conf}${own} has no "flush ruleset": loading it again (nft -f ${conf}${config.flavour === 'debian' ? ', or systemctl reload nftables: Debian\'s unit reloads with that same nft -f' : ''}) leaves ${theirs} alone. ${stop}`,
  };
}
