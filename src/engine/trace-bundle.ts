/**
 * `bundle-doctor trace`: one packet through one node's rules, offline, from the bundle. Picks
 * the node, infers the interfaces from the node's addresses and routes unless given, and returns
 * the tracer's verdict with every rule it met (table, chain, number, text, file and line). An IPv6
 * packet is walked through the node's IPv6 rules (ip6tables, nft ip6 and inet tables), with its
 * IPv6 addresses and routes.
 */
import { BundleError } from '../bundle/errors.js';
import { extraChainsBeside, groupByBackend } from '../netfilter/backends.js';
import { destinationKind, isIpv6, isLocal6, mergeRulesets, subnetBroadcasts, trace, traceBranches, type BranchOutcome, type ConnState, type Packet, type TraceContext, type TraceResult } from '../netfilter/trace.js';
import type { Chain } from '../netfilter/rules.js';
import { addressIn, formatCidr, parseCidr, parseIp } from '../parsers/cidr.js';
import { ICMP6_NEIGHBOUR_SOLICITATION } from '../netfilter/icmp.js';
import { nftExtraChains } from '../nft/trace.js';
import { interfacesOf } from '../parsers/interfaces.js';
import { masqueradeAddress } from '../parsers/ip-route.js';
import type { NodeArtifacts } from './artifacts.js';
import { loadBundle } from './analyze.js';
import { dockerBridgesFromRules, liveIpv4, localAddresses, otherContainerBridges } from '../../analyzers/lib/node-view.js';
import { ipsetMatcher } from '../../analyzers/lib/ipset.js';

export interface TraceRequest {
  node?: string;
  src: string;
  dst: string;
  dport?: number;
  protocol: string;
  inInterface?: string;
  outInterface?: string;
  state: ConnState;
  /** the destination is one of the node's addresses (the INPUT path), whatever the bundle shows of them */
  toNode?: boolean;
}

export interface BundleTrace extends TraceResult {
  node: string;
  /** the packet as asked for (`packet` is the packet as it ended, after DNAT and MARK) */
  request: Packet;
  /** where each inferred value came from */
  inferred: string[];
  /** when the path crossed load-balancing (statistic) rules: the outcome of every branch */
  alternatives: BranchOutcome[];
  /** the native nftables tables (firewalld's, Docker's own) walked on the same hooks, in priority order with iptables' */
  nftTables: string[];
  rulesFrom: string[];
  /** why the packet took its path: the routing of the packet as asked, and DNAT when it changed that */
  pathReason: string;
  /**
   * set when the node does not forward (net.ipv4.ip_forward = 0, or net.ipv6.conf.all.forwarding = 0
   * for IPv6) and the packet's path is forward: the verdict is then DROP by the kernel, whatever the
   * rules say (`netfilter` keeps what the rules alone decided, for context)
   */
  forwarding?: { key: string; value: string; file: string; line: number; excerpt: string; netfilter: { verdict: TraceResult['verdict']; decidedBy?: TraceResult['decidedBy'] } };
  /**
   * IPv6: the neighbour solicitation the sender must get answered before its first packet reaches
   * the node (ICMPv6 135 to the solicited-node address of the node's address on that link), set when
   * the node's rules do not accept it: the packet itself is traced as if the neighbour were known
   * (a static or cached entry); without one the sender cannot reach the node at all.
   */
  neighbourDiscovery?: { target: string; verdict: TraceResult['verdict']; decidedBy?: TraceResult['decidedBy'] };
  /**
   * what the path rests on when the bundle does not list the node's addresses (no ip addr): an address
   * taken as the node's (a bridge's gateway read from the rules or docker network inspect), or that the
   * packet was taken as forwarded because neither end is known to be the node
   */
  assumption?: string;
}

export async function traceBundle(input: string, req: TraceRequest): Promise<BundleTrace> {
  const { nodes } = await loadBundle(input);
  const hasRules = (n: (typeof nodes)[number]) => (n.artifacts.iptables?.length ?? 0) > 0 || (n.artifacts.nftables?.length ?? 0) > 0;
  const node = req.node ? nodes.find((n) => n.name === req.node) : nodes.find(hasRules);
  if (!node) throw new BundleError(req.node ? `${input}: no node named ${req.node} (nodes: ${nodes.map((n) => n.name).join(', ')})` : `${input}: no node with iptables or nftables rules`, 'unreadable');
  const v6 = isIpv6(req);
  const live = (node.artifacts.iptables ?? []).filter((r) => r.origin === 'live' && (v6 ? r.family === 'ipv6' : r.family !== 'ipv6'));
  const nftRules = node.artifacts.nftables ?? [];
  if (live.length === 0 && nftRules.length === 0) throw new BundleError(`${input}: node ${node.name} has no live ${v6 ? 'IPv6 ip6tables' : 'IPv4 iptables'} or nftables rules in the bundle`, 'unreadable');
  const { packet, path, inferred, local, broadcasts, pathReason, assumption } = buildPacket(node.artifacts, req);
  // legacy and nf_tables rules both run (mixed back ends): the first is traced, the others' base chains beside it
  const [first = [], ...others] = groupByBackend(live);
  const tables = mergeRulesets(first);
  const beside = others.map((g) => ({ backend: g.find((r) => r.backend !== 'unknown')?.backend ?? ('unknown' as const), tables: mergeRulesets(g) }));
  const ipsets = node.artifacts.ipsets ?? [];
  const ctx = {
    localAddresses: local,
    broadcastAddresses: broadcasts,
    interfaceFor: (ip: string) => interfaceFor(node.artifacts, ip),
    extraChains: extraChainsBeside(beside, nftRules.length > 0 ? nftExtraChains(nftRules, v6 ? 'ip6' : 'ip') : undefined),
    // `-m set` decided from the sets' members where the bundle lists them (ipset list / save)
    ipset: ipsets.length > 0 ? ipsetMatcher(ipsets) : undefined,
  };
  // what was asked, before a reply is readdressed to the NAT address it comes back to
  const request = { ...packet };
  if (path === 'forward' && packet.state !== 'new') replyOfNat(node.artifacts, tables, packet, ctx, inferred);
  const result = trace(tables, path, packet, ctx);
  const alternatives = result.branchRules.length > 0 ? traceBranches(tables, path, packet, ctx) : [];
  const nftTables = [...new Set(nftRules.flatMap((rs) => rs.tables.filter((t) => !t.iptablesCompat).map((t) => `${t.family} ${t.name}`)))];
  // the routing decision is taken after PREROUTING: DNAT can turn a delivery into a forward (or back)
  const why = result.path === path || destinationKind(request.dst, ctx) ? pathReason : `${pathReason}, but DNAT rewrote the destination to ${result.packet.dst}${result.packet.dport ? ':' + result.packet.dport : ''}, ${result.path === 'forward' ? 'which the node forwards' : "one of the node's addresses"}`;
  const out: BundleTrace = { ...result, node: node.name, request, inferred, alternatives, nftTables, rulesFrom: [...live.map((r) => r.file), ...nftRules.map((r) => r.file)], pathReason: why, ...(assumption ? { assumption } : {}) };
  // a multicast destination needs no neighbour: its link address is the group's (33:33:...)
  if (v6 && path !== 'output' && !destinationKind(request.dst, ctx)) {
    const nd = neighbourSolicitation(node.artifacts, request, path);
    if (nd) {
      const r = trace(tables, 'input', nd.packet, ctx);
      if (r.verdict.kind !== 'ACCEPT') out.neighbourDiscovery = { target: nd.target, verdict: r.verdict, decidedBy: r.decidedBy };
    }
  }
  if (result.path === 'forward') {
    const off = forwardingOff(node.artifacts, packet.dst.includes(':') ? 6 : 4);
    if (off) {
      out.forwarding = { ...off, netfilter: { verdict: result.verdict, decidedBy: result.decidedBy } };
      out.verdict = { kind: 'DROP' };
      out.decidedBy = { table: 'kernel', chain: 'routing', num: 0, text: `forwarding disabled (${off.key} = ${off.value})`, file: off.file, line: off.line, action: 'policy' };
    }
  }
  return out;
}

/**
 * The node's live forwarding switch for the family (sysctl -a, /proc/sys, sysctl.json; not the
 * configuration files, which apply at the next boot): the value when every runtime source shows 0.
 * Sources that disagree (taken at different moments) leave it undecided.
 */
function forwardingOff(a: NodeArtifacts, family: 4 | 6): { key: string; value: string; file: string; line: number; excerpt: string } | undefined {
  const key = family === 6 ? 'net.ipv6.conf.all.forwarding' : 'net.ipv4.ip_forward';
  const values = (a.sysctl ?? []).flatMap((s) => {
    const v = s.values.get(key);
    return v ? [v] : [];
  });
  if (values.length === 0 || values.some((v) => v.value.trim() !== '0')) return undefined;
  const v = values[0];
  return { key, value: v.value.trim(), file: v.ref.file, line: v.ref.line, excerpt: v.excerpt };
}

/**
 * A reply (established/related) crossing the node comes back to the address its connection was
 * source-NATed to, not to the container: raw and mangle PREROUTING see that address, and conntrack
 * restores the container's at nat PREROUTING (-100). The connection's way out is traced first; when
 * a MASQUERADE or SNAT took it, the reply is addressed to the NAT address (SNAT's, or the address of
 * the interface the masquerade sent it out by) and un-NATed on the way in.
 */
function replyOfNat(a: NodeArtifacts, tables: Map<string, Map<string, Chain>>, p: Packet, ctx: TraceContext, inferred: string[]): void {
  const out: Packet = { src: p.dst, dst: p.src, protocol: p.protocol, dport: p.sport, sport: p.dport, inInterface: p.outInterface, outInterface: p.inInterface, state: 'new', mark: 0 };
  const snat = trace(tables, 'forward', out, ctx).packet.snat;
  if (!snat) return;
  // (SNAT's `to` is its address alone: the tracer strips ports and ranges)
  const natTo = snat.to ?? (p.inInterface ? masqueradeAddress(p.inInterface, a.routes ?? [], interfacesOf(a.ipAddr ?? []), isIpv6(p) ? 6 : 4) : undefined);
  if (!natTo) return;
  p.unSnat = { dst: p.dst, dport: p.dport };
  inferred.push(`a reply of a ${snat.masquerade ? 'masqueraded' : 'source-NATed'} connection: it arrives addressed to ${natTo}${snat.masquerade ? ` (the address of ${p.inInterface})` : ''}; conntrack restores ${p.dst} at nat PREROUTING (priority -100), after raw and mangle`);
  p.dst = natTo;
}

/**
 * The neighbour solicitation an IPv6 packet coming in depends on: from its source, for the node's
 * address it reaches first (its destination when delivered, else the in interface's address on the
 * source's network), to that address's solicited-node multicast group (ff02::1:ffXX:XXXX).
 */
function neighbourSolicitation(a: NodeArtifacts, p: Packet, path: 'input' | 'forward'): { target: string; packet: Packet } | undefined {
  let target: string | undefined = path === 'input' ? p.dst : undefined;
  if (!target && p.inInterface) {
    const own = interfacesOf(a.ipAddr ?? []).get(p.inInterface)?.addresses.filter((x) => x.family === 6) ?? [];
    target = (own.find((x) => addressIn(p.src, x.network)) ?? own.find((x) => x.scope !== 'link' && x.scope !== 'host') ?? own[0])?.address;
  }
  const value = target ? parseIp(target) : undefined;
  if (!target || value?.family !== 6 || addressIn(target, '::1/128')) return undefined;
  const group = formatCidr({ family: 6, network: 0xff020000000000000000000000000000n | 0x1ff000000n | (value.value & 0xffffffn), prefix: 128, text: '' }).replace(/\/128$/, '');
  return { target, packet: { src: p.src, dst: group, protocol: 'ipv6-icmp', icmpType: ICMP6_NEIGHBOUR_SOLICITATION, icmpCode: 0, inInterface: p.inInterface, state: 'untracked', mark: 0 } };
}

/** The interface a node reaches an address through: a directly connected network, else the most specific route. */
function interfaceFor(a: NodeArtifacts, ip: string): string | undefined {
  const itfs = [...interfacesOf(a.ipAddr ?? []).values()];
  const family = parseIp(ip)?.family === 6 ? 6 : 4;
  const direct = itfs.find((i) => i.addresses.some((x) => x.family === family && x.prefix < (family === 6 ? 128 : 32) && addressIn(ip, x.network)));
  if (direct) return direct.name;
  const routes = (a.routes ?? []).flatMap((r) => r.routes).filter((r) => (!r.table || r.table === 'main') && r.dev && addressIn(ip, r.destination));
  return routes.sort((x, y) => Number(y.destination.split('/')[1]) - Number(x.destination.split('/')[1]))[0]?.dev;
}

/** The first address of an IPv4 subnet of a bridge's size (/8 to /30): the gateway Docker, netavark, libvirt and LXD give a bridge unless told otherwise. */
function firstAddress(cidr: string): string | undefined {
  const c = parseCidr(cidr);
  if (!c || c.family !== 4 || c.prefix < 8 || c.prefix > 30) return undefined;
  return formatCidr({ ...c, network: c.network + 1n, prefix: 32 }).replace(/\/32$/, '');
}

/**
 * Without ip addr, the node's addresses the bundle still shows: the gateways of its container bridges
 * (docker network inspect's Gateway; else the first address of a subnet that Docker's masquerade
 * `-s <subnet> ! -o <bridge>`, netavark's rules (`-A NETAVARK_FORWARD -s <subnet> -j ACCEPT`,
 * `-A POSTROUTING -s <subnet> -j NETAVARK-<hash>`), libvirt's `-s <subnet> ! -d <subnet> -j MASQUERADE`,
 * a plain `-s <subnet> -j MASQUERADE` of a /24 or smaller, or LXD's, Incus' and lxc-net's rules give). IPv4 only. A cluster-wide pod network (flannel's
 * `-s 10.244.0.0/16 ...`) is no bridge's subnet: its first address is one node's, not necessarily this one's.
 */
export function nodeAddressesFromRules(a: NodeArtifacts): { address: string; why: string; /** the subnet it is the gateway of, when known */ subnet?: string }[] {
  const out = new Map<string, { why: string; subnet?: string }>();
  const at = (e: { file: string; line: number }) => `${e.file}:${e.line}`;
  for (const n of (a.dockerNetworks ?? []).flatMap((d) => d.networks))
    for (const s of n.subnets) {
      const gw = s.gateway?.split('/')[0];
      if (gw && parseIp(gw)?.family === 4 && !out.has(gw)) out.set(gw, { why: `the gateway docker network inspect gives the network ${n.name} (${at(s.ref)})`, subnet: s.subnet && parseCidr(s.subnet)?.family === 4 ? s.subnet : undefined });
    }
  const fromSubnet = (cidr: string, why: string) => {
    const gw = firstAddress(cidr);
    if (gw && !out.has(gw)) out.set(gw, { why: `the first address of ${cidr}, ${why}`, subnet: cidr });
  };
  for (const b of dockerBridgesFromRules(a, 4)) for (const s of b.subnets) fromSubnet(s.cidr, `the subnet of ${b.name} (${at(s.evidence)})`);
  for (const b of otherContainerBridges(a, 4)) for (const s of b.subnets) fromSubnet(s.cidr, `the subnet of ${b.owner}'s bridge ${b.name} (${at(s.evidence)})`);
  for (const rs of liveIpv4(a)) {
    for (const r of rs.tables.filter?.chains.NETAVARK_FORWARD?.rules ?? [])
      if (r.target === 'ACCEPT' && r.source && !r.source.negated && !r.destination && !r.inInterface && !r.outInterface) fromSubnet(r.source.value, `the subnet of a netavark (Podman) network (${at(r.ref)})`);
    for (const c of ['POSTROUTING', 'LIBVIRT_PRT'])
      for (const r of rs.tables.nat?.chains[c]?.rules ?? []) {
        const s = r.source && !r.source.negated ? r.source.value : undefined;
        if (!s) continue;
        if (/^NETAVARK-/.test(r.target ?? '')) fromSubnet(s, `the subnet of a netavark (Podman) network (${at(r.ref)})`);
        else if (r.target === 'MASQUERADE' && r.destination?.negated && r.destination.value === s) fromSubnet(s, `a bridge's subnet its own masquerade names (${at(r.ref)})`);
        // a plain `-s <subnet> -j MASQUERADE` of one bridge's size (/24 or smaller): a cluster's pod network (/16) is not one bridge
        else if (r.target === 'MASQUERADE' && !r.destination && !r.inInterface && !r.outInterface && r.matches.length === 0 && Number(s.split('/')[1]) >= 24) fromSubnet(s, `a subnet masqueraded on its own (${at(r.ref)})`);
      }
  }
  return [...out].map(([address, x]) => ({ address, ...x }));
}

function buildPacket(a: NodeArtifacts, req: TraceRequest): { packet: Packet; path: 'input' | 'forward' | 'output'; inferred: string[]; local: string[]; broadcasts: string[]; pathReason: string; assumption?: string } {
  const v6 = isIpv6(req);
  const itfs = interfacesOf(a.ipAddr ?? []);
  const listed = itfs.size > 0;
  // without ip addr: the gateways the rules show are taken as the node's addresses
  const fromRules = listed || v6 ? [] : nodeAddressesFromRules(a);
  const local = [...localAddresses(a, v6 ? 6 : 4), ...fromRules.map((x) => x.address)];
  // the broadcast addresses of the node's subnets (ip addr; else those of the bridges the rules show)
  const broadcasts = v6 ? [] : subnetBroadcasts([...[...itfs.values()].flatMap((i) => i.addresses), ...fromRules.flatMap((x) => (x.subnet ? [{ cidr: x.subnet }] : []))]);
  const special = destinationKind(req.dst, { broadcastAddresses: broadcasts });
  const inferred: string[] = [];
  const ifaceFor = (ip: string) => interfaceFor(a, ip);
  const fromHere = v6 ? isLocal6(req.src, { localAddresses: local }) : local.includes(req.src);
  const toHere = req.toNode === true || special !== undefined || (v6 ? isLocal6(req.dst, { localAddresses: local }) : local.includes(req.dst) || addressIn(req.dst, '127.0.0.0/8'));
  const path = fromHere ? 'output' : toHere ? 'input' : 'forward';
  let assumption: string | undefined;
  const taken = (ip: string) => fromRules.find((x) => x.address === ip);
  const end = fromHere ? taken(req.src) : toHere && !req.toNode ? taken(req.dst) : undefined;
  if (end) assumption = `node addresses unknown (no ip addr): ${end.address} taken as the node's, ${end.why}; collect ip addr to confirm`;
  else if (!listed && path === 'forward' && !req.outInterface)
    assumption = `node addresses unknown (no ip addr): assumed forwarded, as neither ${req.src} nor ${req.dst} is known to be the node's; collect ip addr to decide, or pass --to-node if ${req.dst} is the node's (an address of the node is traced through INPUT, not FORWARD)`;
  if (req.toNode && !fromHere && !local.includes(req.dst)) inferred.push(`${req.dst} taken as the node's address (as asked)`);
  let inInterface = req.inInterface;
  // 0.0.0.0 (a DHCP client with no address yet) comes from no network: its interface is not known from it
  if (!inInterface && !fromHere && req.src !== '0.0.0.0' && !(v6 && addressIn(req.src, '::/128'))) {
    inInterface = ifaceFor(req.src);
    if (inInterface) inferred.push(`in-interface ${inInterface} (the network of ${req.src})`);
  }
  let outInterface = req.outInterface;
  if (!outInterface && !toHere) {
    outInterface = ifaceFor(req.dst);
    if (outInterface) inferred.push(`out-interface ${outInterface} (the route to ${req.dst})`);
  }
  const pathReason = fromHere
    ? 'the source is the node itself'
    : special && !req.toNode
      ? SPECIAL_REASON[special]
      : toHere
        ? "the destination is one of the node's addresses"
        : listed ? 'neither end is the node' : 'neither end is known to be the node';
  return {
    pathReason,
    ...(assumption ? { assumption } : {}),
    packet: { src: req.src, dst: req.dst, protocol: v6 && ['icmp', 'icmpv6', 'icmp6'].includes(req.protocol) ? 'ipv6-icmp' : req.protocol, dport: req.dport, sport: 40000, inInterface, outInterface, state: req.state, mark: 0 },
    path,
    inferred,
    local,
    broadcasts,
  };
}

/** Why a broadcast or multicast packet is traced through INPUT (the kernel's input routing, ip_route_input). */
const SPECIAL_REASON: Record<NonNullable<ReturnType<typeof destinationKind>>, string> = {
  'limited broadcast': 'the destination is the limited broadcast: the kernel delivers it to the node itself and never forwards it',
  'directed broadcast': "the destination is the broadcast address of one of the node's subnets: the kernel delivers it to the node itself and does not forward it (net.ipv4.conf.*.bc_forwarding is off by default)",
  multicast: 'the destination is a multicast group: the kernel delivers it to the node when a socket there joined the group (ip maddr shows them), and forwards multicast only with a multicast routing daemon',
};

const kindText = (v: TraceResult['verdict']) => (v.kind === 'REJECT' ? `REJECT (${v.with})` : v.kind === 'unknown' ? `unknown: ${v.reason}` : v.kind);
const by = (d: NonNullable<TraceResult['decidedBy']>) => `${d.table}/${d.chain} ${d.num === 0 ? 'policy' : `rule ${d.num}`} (${d.file}:${d.line})`;

export function formatTrace(t: BundleTrace): string {
  const verdict = kindText(t.verdict);
  const p = t.request;
  const dst = p.dst.includes(':') && p.dport ? `[${p.dst}]` : p.dst;
  const lines = [
    `node ${t.node}: ${p.src} -> ${dst}${p.dport ? ':' + p.dport : ''}/${p.protocol} (${p.state})`,
    t.forwarding
      ? `verdict: DROP: forwarding disabled (${t.forwarding.key} = ${t.forwarding.value}) (${t.forwarding.file}:${t.forwarding.line})`
      : `verdict: ${verdict}${t.decidedBy ? ` by ${by(t.decidedBy)}` : ''}${t.verdict.kind === 'REJECT' && /broadcast|multicast group/.test(t.pathReason) ? ' (no ICMP error is sent for a broadcast or multicast packet: the sender sees a silent drop)' : ''}`,
    ...(t.assumption ? [`assumed: ${t.assumption}`] : []),
    ...(t.forwarding
      ? [`  the kernel forwards nothing; the rules alone would give: ${kindText(t.forwarding.netfilter.verdict)}${t.forwarding.netfilter.decidedBy ? ` by ${by(t.forwarding.netfilter.decidedBy)}` : ''}`]
      : []),
    ...(t.undecided && t.undecided.length > 0
      ? [
          `undecided: ${t.undecided.length === 1 ? 'a rule' : `${t.undecided.length} rules`} the tracer cannot evaluate; every outcome was walked and reaches this verdict:`,
          ...t.undecided.map((u) => `  ${u.at.table}/${u.at.chain} ${u.at.num === 0 ? 'policy' : '#' + u.at.num}: ${u.reason}    (${u.at.file}:${u.at.line})`),
        ]
      : []),
    ...(t.neighbourDiscovery
      ? [
          `neighbour discovery: a neighbour solicitation from ${p.src} for ${t.neighbourDiscovery.target} (ICMPv6 135) gets ${kindText(t.neighbourDiscovery.verdict)}${t.neighbourDiscovery.decidedBy ? ` by ${by(t.neighbourDiscovery.decidedBy)}` : ''}: unless it knows the node's link address already, ${p.src} cannot send this packet at all (the verdict above assumes it does)`,
        ]
      : []),
    ...(t.natOutcomes
      ? [
          `NAT uncertain: the outcomes differ in NAT (the verdict holds for each):`,
          ...t.natOutcomes.map((o) => `  -> ${o.path} to ${o.dst}${o.dport ? ':' + o.dport : ''}${o.snat ? (o.snat.masquerade ? ', masqueraded' : `, source NAT to ${o.snat.to ?? '?'}`) : ', no source NAT'}`),
        ]
      : []),
    `path: ${t.path} (${t.pathReason})`,
    ...t.inferred.map((i) => `inferred: ${i}`),
    ...(t.nftTables.length > 0 ? [`nftables tables walked with iptables' (by hook and priority): ${t.nftTables.join(', ')}`] : []),
    ...(t.alternatives.length > 1
      ? [
          `load-balanced: ${t.alternatives.length} branches (-m statistic), each possible:`,
          ...t.alternatives.map((a) => `  -> ${a.dst}${a.dport ? ':' + a.dport : ''}: ${a.verdict.kind}${a.decidedBy ? ` (${a.decidedBy.table}/${a.decidedBy.chain} ${a.decidedBy.num === 0 ? 'policy' : '#' + a.decidedBy.num})` : ''}`),
        ]
      : []),
    '',
    'rules met:',
    ...t.steps.map((s) => `  ${s.table}/${s.chain} ${s.num === 0 ? 'policy' : '#' + s.num} [${s.action}] ${s.text}    (${s.file}:${s.line})`),
  ];
  return lines.join('\n') + '\n';
}
