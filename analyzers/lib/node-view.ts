/**
 * Small views over a node's artifacts that several analyzers share: the live IPv4 (and IPv6) rule
 * sets merged across files, what shows Docker is present, the container bridges and their subnets.
 * Pure functions of the artifacts.
 */
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import type { Evidence } from '../../src/report/schema.js';
import { mergeRulesets, subnetBroadcasts, type TraceContext } from '../../src/netfilter/trace.js';
import { chosenTablesNote, type NftRule, type NftRuleset } from '../../src/nft/model.js';
import { nftExtraChains } from '../../src/nft/trace.js';
import type { Backend, Chain, Rule, Ruleset } from '../../src/netfilter/rules.js';
import { extraChainsBeside, groupByBackend } from '../../src/netfilter/backends.js';
import { interfacesOf, type Interface } from '../../src/parsers/interfaces.js';
import { ipv6PrefixKind, isLinkLocal6 } from '../../src/parsers/cidr.js';
import { findService, isActive, isEnabled } from '../../src/parsers/services.js';
import { dockerdSettings } from '../../src/parsers/dockerd-flags.js';
import { dockerEngine } from '../../src/parsers/docker-info.js';
import { ipsetMatcher } from './ipset.js';
import { KUBERNETES_UNITS, podNetworking, routeDevFor } from './container-host.js';
import type { Partly } from '../../src/engine/analyzer.js';
import { nftCutNote } from './nft-cut.js';
import { UPLINK_CANDIDATES } from './probe-address.js';

export function liveIpv4(artifacts: NodeArtifacts): Ruleset[] {
  return (artifacts.iptables ?? []).filter((r) => r.origin === 'live' && r.family !== 'ipv6');
}

/**
 * The live IPv4 rules of one iptables back end (legacy or nf_tables), its files merged. The
 * kernel runs the base chains of both back ends: a chain, jump or MASQUERADE in either is there,
 * and a packet must pass both.
 */
export interface BackendView {
  backend: Backend;
  rulesets: Ruleset[];
  tables: Map<string, Map<string, Chain>>;
  /** the file each table came from (for "searched here" evidence) */
  files: Map<string, string>;
  /**
   * tables every file of which is cut where the table may go on (sos's `.tailed`, a cut iptables-save: the whole file;
   * an nft listing left open inside that table): what they do not show may exist. table -> note. A table an nft listing
   * closed before its cut is whole and not here.
   */
  truncated: Map<string, string>;
  /**
   * set where a file of the view is cut: a table the view does not show at all may be in the cut-off part (nft lists
   * tables in creation order; a cut iptables-save loses the tables after the cut), so it is not known to be absent
   */
  unlistedCut?: string;
}

/** Merged once per node's rule files, however many analyzers ask (kube-proxy dumps have 40,000+ chains). */
const views = new WeakMap<readonly Ruleset[], BackendView[]>();

/** The node's live IPv4 rules per back end, the one plain `iptables` shows first. Read-only: analyzers share them. */
export function liveViews(artifacts: NodeArtifacts): BackendView[] {
  return cachedViews(artifacts, views, liveIpv4);
}

function cachedViews(artifacts: NodeArtifacts, cache: WeakMap<readonly Ruleset[], BackendView[]>, live: (a: NodeArtifacts) => Ruleset[]): BackendView[] {
  const key = artifacts.iptables;
  if (!key) return [];
  let v = cache.get(key);
  if (!v) cache.set(key, (v = groupByBackend(live(artifacts)).map(viewOf)));
  return v;
}

function viewOf(rulesets: Ruleset[]): BackendView {
  const files = new Map<string, string>();
  const truncated = new Map<string, string>();
  for (const rs of rulesets) for (const t of Object.keys(rs.tables)) if (!files.has(t)) files.set(t, rs.file);
  // a ruleset's cut hides more of table t unless it fell in another table (an nft listing: tables closed before it are whole)
  const cutIn = (rs: Ruleset, t: string) => rs.truncated !== undefined && (rs.truncated.table === undefined || rs.truncated.table === t);
  for (const t of files.keys()) {
    const holding = rulesets.filter((rs) => rs.tables[t]);
    if (holding.every((rs) => cutIn(rs, t))) truncated.set(t, holding[0].truncated!.note);
  }
  const cut = rulesets.find((rs) => rs.truncated);
  const view: BackendView = { backend: rulesets.find((r) => r.backend !== 'unknown')?.backend ?? 'unknown', rulesets, tables: mergeRulesets(rulesets), files, truncated };
  if (cut) view.unlistedCut = `${cut.file}: ${cut.truncated!.note}`;
  return view;
}

export function liveIpv6(artifacts: NodeArtifacts): Ruleset[] {
  return (artifacts.iptables ?? []).filter((r) => r.origin === 'live' && r.family === 'ipv6');
}

const views6 = new WeakMap<readonly Ruleset[], BackendView[]>();

/** liveViews for IPv6: the node's live ip6tables rules per back end, merged across files. Empty when the bundle has no ip6tables dump. Read-only. */
export function liveViews6(artifacts: NodeArtifacts): BackendView[] {
  return cachedViews(artifacts, views6, liveIpv6);
}

/** The live IPv4 tables of the back end plain `iptables` shows, merged across its files (the others: liveViews). Read-only. */
export function liveTables(artifacts: NodeArtifacts): Map<string, Map<string, Chain>> {
  return liveViews(artifacts)[0]?.tables ?? new Map();
}

/** The file each table of those live rules came from (for "searched here" evidence). */
export function tableFiles(artifacts: NodeArtifacts): Map<string, string> {
  return liveViews(artifacts)[0]?.files ?? new Map();
}

export interface DockerPresence {
  /** evidence that Docker runs on the node */
  evidence: Evidence[];
  /** Docker writes no iptables rules: --iptables=false or the nftables firewall back end */
  noIptables?: Evidence;
  /** Docker's nftables firewall back end (Docker 29+): its rules, NAT too, are in its own table `ip docker-bridges` */
  nftBackend?: Evidence;
  /**
   * `--iptables=false` on dockerd's command line (ps, docker.service, its options file) or
   * `"iptables": false` in daemon.json: Docker writes no firewall rules at all, NAT neither.
   * The note says where it was read.
   */
  firewallOff?: Evidence;
  /**
   * every dockerd runs rootless (as a user, in RootlessKit's network namespace): its bridges, rules
   * and NAT are in that namespace, none in the host's dumps (noIptables is set too)
   */
  rootless?: Evidence;
  /**
   * which firewall back end Docker uses is not known: an nft listing is cut off where Docker 29's `table ip
   * docker-bridges` (its nftables back end) could come after the cut, and nothing else decides it (docker info's
   * Firewall Backend, a firewall-backend flag or daemon.json key, Docker's iptables chains in the live rules). Then
   * noIptables/nftBackend are unset, and "Docker's iptables rules are missing" must not be said. The note says why.
   */
  backendUnknown?: string;
}

export function dockerPresence(artifacts: NodeArtifacts): DockerPresence {
  const evidence: Evidence[] = [];
  const itfs = interfacesOf(artifacts.ipAddr ?? []);
  const docker0 = itfs.get('docker0');
  if (docker0) evidence.push({ file: docker0.ref.file, line: docker0.ref.line, excerpt: `${docker0.name}${docker0.addresses[0] ? ' ' + docker0.addresses[0].cidr : ''}`, note: 'the docker0 bridge exists' });
  for (const n of (artifacts.dockerNetworks ?? []).flatMap((d) => d.networks).slice(0, 1))
    evidence.push({ file: n.ref.file, line: n.ref.line, excerpt: `network ${n.name} (${n.driver})`, note: 'Docker networks are defined' });
  for (const unit of ['docker', 'docker.socket']) {
    const states = findService(artifacts.services ?? [], unit);
    const s = isActive(states) ?? isEnabled(states);
    if (s) evidence.push({ file: s.ref.file, line: s.ref.line, excerpt: s.excerpt, note: `${s.unit} is ${isActive(states) ? 'active' : 'enabled'}` });
  }
  const dockerd = dockerdSettings(artifacts.dockerDaemon);
  const rootless: Evidence | undefined = dockerd.rootless
    ? { file: dockerd.rootless.ref.file, line: dockerd.rootless.ref.line, excerpt: dockerd.rootless.excerpt, note: `dockerd runs rootless${dockerd.rootless.user ? ` (as ${dockerd.rootless.user})` : ''}: its bridge, iptables rules and NAT live in RootlessKit's network namespace, not in the host's` }
    : undefined;
  // a rootless dockerd shows Docker too (where nothing else in the bundle does: `systemctl status --all` of its user's manager)
  if (rootless) evidence.push(rootless);
  else if (dockerd.running && dockerd.commandLine) evidence.push({ file: dockerd.commandLine.ref.file, line: dockerd.commandLine.ref.line, excerpt: dockerd.commandLine.excerpt, note: 'dockerd runs (the process list)' });
  const dockerLog = (artifacts.logs ?? []).find((l) => l.matches.some((m) => /^dockerd?$/.test(m.unit ?? '')));
  if (dockerLog && evidence.length === 0) {
    const m = dockerLog.matches.find((x) => /^dockerd?$/.test(x.unit ?? ''))!;
    evidence.push({ file: m.file, line: m.line, excerpt: m.excerpt, note: 'dockerd writes to the logs' });
  }
  let noIptables: Evidence | undefined;
  let nftBackend: Evidence | undefined;
  let firewallOff: Evidence | undefined;
  // Docker 29's nftables firewall back end: its own table in the nft listing, whatever daemon.json says
  for (const n of artifacts.nftables ?? []) {
    const t = n.tables.find((x) => x.name === 'docker-bridges');
    if (t) noIptables = nftBackend = { file: t.ref.file, line: t.ref.line, excerpt: `table ${t.family} docker-bridges`, note: 'Docker writes nftables rules (its nftables firewall back end), not iptables' };
  }
  // the running daemon's own word (docker info's `Firewall Backend:`, Docker 28.4+'s CLI) beats a
  // flag or daemon.json key it may not have been started with
  const engine = dockerEngine(artifacts.dockerDaemon);
  const running = engine?.firewallBackend && /^(iptables|nftables)\b/.exec(engine.firewallBackend.value)?.[1];
  // the flags of the running dockerd, else docker.service's, else daemon.json's keys (dockerd-flags.ts)
  if (dockerd.iptables?.value === false)
    noIptables = firewallOff = { file: dockerd.iptables.ref.file, line: dockerd.iptables.ref.line, excerpt: dockerd.iptables.excerpt, note: `Docker is told not to manage iptables (iptables false, read from ${dockerd.iptables.note})` };
  else if (running === 'nftables') {
    const fb = engine!.firewallBackend!;
    noIptables = nftBackend = { file: fb.ref.file, line: fb.ref.line, excerpt: fb.excerpt, note: `the running dockerd says it writes nftables rules, not iptables (docker info's Firewall Backend: ${fb.value}, read from ${fb.ref.file})` };
  } else if (running === 'iptables') {
    // the daemon says iptables: a daemon.json or flag saying nftables is not in effect (a leftover docker-bridges table neither)
    noIptables = nftBackend = undefined;
  } else if (dockerd.firewallBackend?.value === 'nftables')
    noIptables = nftBackend = { file: dockerd.firewallBackend.ref.file, line: dockerd.firewallBackend.ref.line, excerpt: dockerd.firewallBackend.excerpt, note: `Docker writes nftables rules, not iptables (firewall-backend nftables, read from ${dockerd.firewallBackend.note})` };
  if (!evidence.length) {
    const d = (artifacts.dockerDaemon ?? []).find((x) => (x.origin ?? 'daemon.json') === 'daemon.json' && (x.iptables || x.firewallBackend || x.bip));
    if (d) evidence.push({ file: d.file, line: 1, excerpt: 'daemon.json', note: 'Docker is configured on this node' });
    else if (dockerd.commandLine?.from === 'unit') evidence.push({ file: dockerd.commandLine.ref.file, line: dockerd.commandLine.ref.line, excerpt: dockerd.commandLine.excerpt, note: 'docker.service is installed' });
  }
  if (rootless) return { evidence, noIptables: rootless, rootless };
  // no docker-bridges table shown, but the listing may hold it past its cut: the back end is decided only by the daemon's
  // word (docker info, a flag, daemon.json; dockerd.firewallBackend `iptables` too) or Docker's iptables chains in the live rules
  let backendUnknown: string | undefined;
  // (an Engine older than 29 has no nftables back end: iptables)
  const major = Number(/^(\d+)\./.exec(engine?.serverVersion?.value ?? '')?.[1] ?? NaN);
  if (!noIptables && !running && !dockerd.firewallBackend && !firewallOff && !(major < 29)) {
    const cut = nftCutNote(artifacts.nftables ?? [], { family: 'ip', name: 'docker-bridges' });
    if (cut && ![...liveViews(artifacts), ...liveViews6(artifacts)].some((v) => hasDockerChains(v.tables)))
      backendUnknown = `whether Docker writes iptables rules or nftables ones (Docker 29's table ip docker-bridges) is not known: the nft listing may hold that table past its cut (${cut})`;
  }
  return { evidence, noIptables, nftBackend: firewallOff ? undefined : nftBackend, firewallOff, ...(backendUnknown ? { backendUnknown } : {}) };
}

export interface Bridge {
  name: string;
  /** networks (cidr) served by the bridge */
  subnets: { cidr: string; evidence: Evidence }[];
  itf?: Interface;
  /** docker network name, when known */
  network?: string;
  /** Docker was told not to masquerade this network, or routes it without NAT */
  noMasquerade?: boolean;
}

/**
 * Docker bridges: from docker network inspect when present, else from docker0 / br-* interfaces.
 * Their IPv4 subnets, or with `family` 6 their IPv6 ones: only the networks that have IPv6 (ipv6Shown):
 * an IPv6 subnet in inspect or `"EnableIPv6": true`, else a global or ULA address (never a link-local
 * one) or route on the bridge, or Docker's ip6tables rules naming the bridge with a global address. A
 * network inspect shows with `"EnableIPv6": false` is left out of family 6 whatever else says: its
 * containers have no IPv6 to forward (Docker 26.0.2 and later disable IPv6 on their interfaces,
 * CVE-2024-32473 / GHSA-x84c-p2g9-rqv9; before, they had only the kernel's link-local fe80:: address,
 * which no router forwards). A family-6 bridge with IPv6 but no subnet known has `subnets` empty.
 */
export function dockerBridges(artifacts: NodeArtifacts, family: 4 | 6 = 4): Bridge[] {
  const itfs = interfacesOf(artifacts.ipAddr ?? []);
  const out = new Map<string, Bridge>();
  // a rootless dockerd's networks (docker network inspect run as its user) are bridges of RootlessKit's namespace, not the host's
  const rootless = dockerdSettings(artifacts.dockerDaemon).rootless !== undefined;
  // networks inspect shows without IPv6: not traced over IPv6 even where an address of the bridge says otherwise
  const ipv4Only = new Set<string>();
  for (const n of (artifacts.dockerNetworks ?? []).flatMap((d) => d.networks)) {
    if (n.driver !== 'bridge' || !n.bridgeName || n.internal) continue;
    if (rootless && !itfs.has(n.bridgeName)) continue;
    const o = n.options;
    const noMasq = o['com.docker.network.bridge.enable_ip_masquerade'] === 'false' || o['com.docker.network.bridge.gateway_mode_ipv4'] === 'routed';
    const b = out.get(n.bridgeName) ?? { name: n.bridgeName, subnets: [], itf: itfs.get(n.bridgeName), network: n.name, noMasquerade: noMasq };
    for (const s of n.subnets) if (s.subnet.includes(':') === (family === 6)) b.subnets.push({ cidr: s.subnet, evidence: { file: s.ref.file, line: s.ref.line, excerpt: s.excerpt, note: `docker network ${n.name}` } });
    if (family === 6 && b.subnets.length === 0) {
      if (n.enableIPv6?.value === false) {
        ipv4Only.add(n.bridgeName);
        continue;
      }
      // EnableIPv6 true without an IPv6 subnet in IPAM (or no EnableIPv6 key): what the bridge itself shows
      const shown = ipv6Shown(artifacts, n.bridgeName, b.itf);
      if (!shown && n.enableIPv6?.value !== true) continue;
      b.subnets.push(...(shown?.subnets ?? []));
    }
    ipv4Only.delete(n.bridgeName);
    out.set(n.bridgeName, b);
  }
  for (const itf of itfs.values()) {
    if (!(itf.name === 'docker0' || /^br-[0-9a-f]{12}$/.test(itf.name)) || out.has(itf.name) || ipv4Only.has(itf.name)) continue;
    if (family === 6) {
      // only a bridge that shows IPv6: a link-local fe80:: address alone (every interface has one) does not
      const shown = ipv6Shown(artifacts, itf.name, itf);
      if (shown) out.set(itf.name, { name: itf.name, itf, subnets: shown.subnets });
      continue;
    }
    const own = itf.addresses.filter((a) => a.family === 4);
    out.set(itf.name, {
      name: itf.name,
      itf,
      subnets: own.map((a) => ({ cidr: a.network, evidence: { file: a.ref.file, line: a.ref.line, excerpt: a.excerpt, note: `address of ${itf.name}` } })),
    });
  }
  return [...out.values()];
}

/** A global unicast, documentation or unique local (ULA) IPv6 prefix or address: not link-local, loopback, multicast or ::/0. */
function routable6(cidr: string): boolean {
  const k = ipv6PrefixKind(cidr);
  return (k === 'global' || k === 'documentation' || k === 'ula') && !ANY_ADDRESS.test(cidr);
}

/**
 * What shows a bridge carries IPv6 (the bundle's own lines): its global or ULA addresses (ip addr), the
 * global or ULA routes through it (ip -6 route), and Docker's ip6tables rules that name it with a global
 * address (`-s 2001:db8:1::/64 ! -o docker0 -j MASQUERADE`, `-d 2001:db8:1::2/128 ... -o docker0 ... -j ACCEPT`).
 * The subnets are those of the addresses and routes, else the source of such a masquerade; undefined when
 * nothing shows IPv6 on the bridge.
 */
function ipv6Shown(artifacts: NodeArtifacts, bridge: string, itf: Interface | undefined): { subnets: Bridge['subnets'] } | undefined {
  const subnets: Bridge['subnets'] = [];
  const add = (cidr: string, evidence: Evidence) => {
    if (!subnets.some((x) => x.cidr === cidr)) subnets.push({ cidr, evidence });
  };
  for (const a of itf?.addresses ?? [])
    if (a.family === 6 && a.scope !== 'host' && a.scope !== 'link' && !isLinkLocal6(a.address) && routable6(a.address))
      add(a.network, { file: a.ref.file, line: a.ref.line, excerpt: a.excerpt, note: `address of ${bridge}` });
  for (const t of artifacts.routes ?? [])
    for (const r of t.routes)
      if (r.dev === bridge && !r.via && r.destination.includes(':') && r.destination.includes('/') && routable6(r.destination) && !r.type)
        add(r.destination, { file: r.ref.file, line: r.ref.line, excerpt: r.excerpt, note: `route to ${r.destination} through ${bridge}` });
  if (subnets.length > 0) return { subnets };
  let named = false;
  for (const v of liveViews6(artifacts))
    for (const t of v.tables.values())
      for (const c of t.values())
        for (const r of c.rules) {
          // the rule's text first: reading its interfaces parses a lazily kept rule (a kube-proxy dump's 100,000s)
          if (!r.text.includes(bridge)) continue;
          if (r.inInterface?.value !== bridge && r.outInterface?.value !== bridge) continue;
          const s = r.source && !r.source.negated && routable6(r.source.value) ? r.source.value : undefined;
          const d = r.destination && !r.destination.negated && routable6(r.destination.value) ? r.destination.value : undefined;
          if (!s && !d) continue;
          named = true;
          // Docker's masquerade of the network: `-s <subnet> ! -o <bridge> -j MASQUERADE`
          if (s && r.target === 'MASQUERADE' && r.outInterface?.negated && r.outInterface.value === bridge && s.includes('/'))
            add(s, { file: r.ref.file, line: r.ref.line, excerpt: r.text, note: `Docker's IPv6 masquerade: ${bridge} serves ${s}` });
        }
  return subnets.length > 0 || named ? { subnets } : undefined;
}

/** The node's native nftables rulesets (firewalld's, Docker's own, nftables.conf): those with a table iptables-nft did not make. */
export function nativeNftables(artifacts: NodeArtifacts): NftRuleset[] {
  return (artifacts.nftables ?? []).filter((rs) => rs.tables.some((t) => !t.iptablesCompat));
}

/**
 * A trace that found nothing dropping, through nft listings of chosen tables only (`nft list table ip filter`, no
 * `nft list ruleset`): the coverage says "ran in part" (a table not listed can drop the packets) rather than ✅.
 */
export function notePartialNft(artifacts: NodeArtifacts, partly: Partly | undefined, what: string): void {
  const note = chosenTablesNote(artifacts.nftables ?? [], what);
  if (note) partly?.(note);
}

/** What the packet tracer needs of a node: its addresses, and its native nftables chains to walk beside iptables'. */
export function traceContext(artifacts: NodeArtifacts): TraceContext {
  const nft = nativeNftables(artifacts);
  // the other iptables back end's base chains run on the same hooks as the traced one's
  const extraChains = extraChainsBeside(liveViews(artifacts).slice(1), nft.length > 0 ? nftExtraChains(nft) : undefined);
  // the subnets' directed broadcasts: delivered locally (INPUT), never forwarded
  const broadcastAddresses = subnetBroadcasts([...interfacesOf(artifacts.ipAddr ?? []).values()].flatMap((i) => i.addresses));
  return { localAddresses: localAddresses(artifacts), broadcastAddresses, extraChains, ipset: ipsetDecider(artifacts) };
}

/** The sets' members the bundle lists (`ipset list` / `ipset save`): `-m set` matches are decided from them. */
function ipsetDecider(artifacts: NodeArtifacts): TraceContext['ipset'] {
  return artifacts.ipsets?.length ? ipsetMatcher(artifacts.ipsets) : undefined;
}

/** The node's own IPv4 addresses (for addrtype LOCAL); with `family` 6 its IPv6 ones, link-local and ::1 included. */
export function localAddresses(artifacts: NodeArtifacts, family: 4 | 6 = 4): string[] {
  return [...interfacesOf(artifacts.ipAddr ?? []).values()].flatMap((i) => i.addresses.filter((a) => a.family === family).map((a) => a.address));
}

/** traceContext for IPv6 packets: the node's IPv6 addresses, the other ip6tables back end's base chains, nft ip6 and inet tables. */
export function traceContext6(artifacts: NodeArtifacts): TraceContext {
  const nft = nativeNftables(artifacts);
  const extraChains = extraChainsBeside(liveViews6(artifacts).slice(1), nft.length > 0 ? nftExtraChains(nft, 'ip6') : undefined);
  return { localAddresses: localAddresses(artifacts, 6), extraChains, ipset: ipsetDecider(artifacts) };
}

/**
 * The interface traffic to the outside leaves by: the main table's default route of the family,
 * else the first interface with a global address of the family that is no bridge, tunnel or
 * container interface (kube-ipvs0 and nodelocaldns hold Service addresses, not a way out).
 */
export function uplinkOf(artifacts: NodeArtifacts, family: 4 | 6 = 4): string | undefined {
  // the main table's default route of the family: the lowest metric, not a source-specific one (`default from 2001:db8::/64`)
  const dev = routeDevFor(artifacts, family === 6 ? '::/0' : '0.0.0.0/0');
  if (dev) return dev;
  // no default route in the bundle: the first interface with a global address that is not a container, pod or
  // overlay one; a VPN or tunnel (tailscale0, wg0, zt*, ...; tun* and tunl0 never) only where nothing else has
  // one: a host's traffic leaves by its physical uplink, and a VPN's own chains (tailscale's ts-forward) concern
  // that VPN's interface only
  const candidates = [...interfacesOf(artifacts.ipAddr ?? []).values()].filter(
    (i) => !/^(lo|docker|cni|flannel|br-|veth|cali|vxlan|tun|virbr|lxdbr|incusbr|lxcbr|podman|cilium|weave|kube-ipvs|nodelocaldns)/.test(i.name) && i.addresses.some((a) => a.family === family && a.scope === 'global'),
  );
  return (candidates.find((i) => !TUNNEL_INTERFACE.test(i.name)) ?? candidates[0])?.name;
}

/** VPN and tunnel interfaces by their usual names: Tailscale, WireGuard, ZeroTier, OpenVPN's tap, IPsec VTI, GRE, SIT / IPIP, Nebula, Netmaker. */
const TUNNEL_INTERFACE = /^(tailscale|ts\d|wg|zt|tap|vti|ipsec|gre|erspan|ip6tnl|sit\d|ipip|nebula|netmaker|vpn)/;

export function hasKubernetes(artifacts: NodeArtifacts): Evidence | undefined {
  for (const unit of KUBERNETES_UNITS) {
    const states = findService(artifacts.services ?? [], unit);
    const s = isActive(states) ?? isEnabled(states);
    if (s) return { file: s.ref.file, line: s.ref.line, excerpt: s.excerpt, note: `${s.unit} runs here` };
  }
  for (const rs of liveIpv4(artifacts)) {
    const c = kubeChainOf(rs);
    if (c) return { file: c.ref.file, line: c.ref.line, excerpt: `chain ${c.name}`, note: 'kube-proxy/kubelet chains exist' };
  }
  return undefined;
}

/** A ruleset's first KUBE- chain, looked for once per ruleset (a kube-proxy dump has tens of thousands of chains, and many checks ask). */
const kubeChains = new WeakMap<Ruleset, Chain | null>();
function kubeChainOf(rs: Ruleset): Chain | undefined {
  let c = kubeChains.get(rs);
  if (c === undefined) {
    c = null;
    search: for (const t of Object.values(rs.tables))
      for (const name in t.chains)
        if (name.startsWith('KUBE-')) {
          c = t.chains[name];
          break search;
        }
    kubeChains.set(rs, c);
  }
  return c ?? undefined;
}

/** The chains a packet entering chain `from` can reach by jumps and gotos (not `from` itself, unless a jump leads back to it). */
export function reachableChains(chains: Map<string, Chain>, from: string): Set<string> {
  const seen = new Set<string>();
  reach(chains, from, seen);
  return seen;
}

/**
 * Whether a jump or goto from `from` leads to `target`, directly or through other chains: the walk
 * stops as soon as it gets there (a kube-proxy nat table reaches 12,000 Service chains from
 * PREROUTING; its first rule is the jump asked about).
 */
export function reaches(chains: Map<string, Chain>, from: string, target: string): boolean {
  return reach(chains, from, new Set<string>(), target);
}

function reach(chains: Map<string, Chain>, from: string, seen: Set<string>, target?: string): boolean {
  const todo = [from];
  while (todo.length > 0) {
    for (const r of chains.get(todo.pop()!)?.rules ?? [])
      if (r.target && chains.has(r.target) && !seen.has(r.target)) {
        if (r.target === target) return true;
        seen.add(r.target);
        todo.push(r.target);
      }
  }
  return false;
}

/**
 * What shows this host itself is a Kubernetes node, beyond a process in its listing: what
 * hasKubernetes finds (a Kubernetes unit, a KUBE-* chain in its live rules), its pods' interfaces
 * (a CNI bridge, routed pod veths, OVS ports), kube-proxy.service, or kube-proxy's nftables table.
 * A kube-proxy, kubelet or k3s process alone is not enough where the bundle lists the host's
 * interfaces and they show no pod network: kind's and k3d's nodes are containers, and their
 * processes show in the host's ps while their rules live in the containers' network namespaces.
 * Without an interface listing the processes are all there is: `true` (the bundle cannot tell them apart).
 */
export function hostKubernetesSign(artifacts: NodeArtifacts): Evidence | true | undefined {
  const known = hasKubernetes(artifacts);
  if (known) return known;
  const pods = podNetworking(artifacts);
  const itf = pods.bridged[0] ?? pods.routed[0] ?? pods.ovs[0];
  if (itf) return itf;
  const states = findService(artifacts.services ?? [], 'kube-proxy');
  const unit = isActive(states) ?? isEnabled(states);
  if (unit) return { file: unit.ref.file, line: unit.ref.line, excerpt: unit.excerpt, note: `${unit.unit}: a Kubernetes node` };
  // kube-proxy in nftables mode: its table in the host's nft listing
  for (const n of artifacts.nftables ?? []) {
    const t = n.tables.find((x) => x.name === 'kube-proxy' && !x.iptablesCompat);
    if (t) return { file: n.file, line: t.ref.line, excerpt: `table ${t.family} kube-proxy`, note: "kube-proxy's nftables table in the host's ruleset" };
  }
  return interfacesOf(artifacts.ipAddr ?? []).size === 0 ? true : undefined;
}

/**
 * The uplink when the bundle does not list the interfaces (no `ip addr`): "any interface other than
 * the bridge". Longer than IFNAMSIZ - 1 (15 characters), so no real interface and no rule can name
 * it: a rule `-o eth0` does not match it, a rule `! -o docker0` does.
 */
/** kube-proxy's per-Service and per-endpoint chains (iptables mode), rewritten whole by every sync's iptables-restore */
export const KUBE_PROXY_SERVICE_CHAIN = /^KUBE-(?:SVC|SEP|EXT|FW|XLB|SVL)-[A-Z0-9]{8,16}$/;

export const UNKNOWN_UPLINK = 'uplink-not-in-bundle';
/**
 * The node's address on that uplink, for the replies to a masqueraded connection: documentation addresses (RFC 5737,
 * RFC 3849). Only the first choice: use unknownUplinkAddress (./probe-address.ts), which takes another where the
 * bundle shows this one on the node, in a connected subnet or a container network.
 */
export const UNKNOWN_UPLINK_ADDRESS: Record<4 | 6, string> = { 4: UPLINK_CANDIDATES[4][0], 6: UPLINK_CANDIDATES[6][0] };

/** A container bridge named by the rules themselves, for a bundle without `ip addr`. */
export interface RuleBridge {
  name: string;
  /** its networks, when the rules (or docker network inspect) give them */
  subnets: { cidr: string; evidence: Evidence }[];
  /** the rule (or inspect line) that names the bridge */
  namedBy: Evidence;
  /** where its name and subnet were read: Docker's masquerade rule, Docker's FORWARD rules, docker network inspect */
  from: 'docker masquerade' | 'docker forward rules' | 'docker network inspect';
}

/** The bridges only Docker names so: the default bridge, Swarm's docker_gwbridge, a user network's br-<first 12 hex of its id>. */
const DOCKER_BRIDGE_NAME = /^(?:docker0|docker_gwbridge|br-[0-9a-f]{12})$/;

/** Any address of the family: 0.0.0.0/0, ::/0 (what a listing prints for "no -s"). */
const ANY_ADDRESS = /^(0\.0\.0\.0\/0|::\/0|0\/0)$/;

/** Docker's chains in a live rule set: its nat DOCKER chain, or a filter chain of its own (DOCKER, DOCKER-USER, DOCKER-FORWARD, ...). */
export function hasDockerChains(tables: Map<string, Map<string, Chain>>): boolean {
  if (tables.get('nat')?.has('DOCKER')) return true;
  return [...(tables.get('filter')?.keys() ?? [])].some((c) => /^DOCKER(-|$)/.test(c));
}

/**
 * A filter listing that jumps to Docker's chains without holding them (`iptables -L FORWARD` alone:
 * `DOCKER-ISOLATION`, `-o docker0 -j DOCKER`, as in rancher/rke#485). Only for reading bridge names from
 * the rules: it says nothing of Docker's nat rules, so it is not hasDockerChains.
 */
function jumpsToDockerChains(tables: Map<string, Map<string, Chain>>): boolean {
  const filter = tables.get('filter');
  if (!filter) return false;
  return [...filter.values()].some((c) => c.rules.some((r) => !!r.target && /^DOCKER(-|$)/.test(r.target) && !filter.has(r.target)));
}

/**
 * Docker's bridges as its own rules name them, when the bundle has no `ip addr` (a customer pasted
 * `iptables -nvL`, iptables-save or `nft list ruleset`): only where Docker's chains exist.
 * - nat POSTROUTING `-s <subnet> ! -o <bridge> -j MASQUERADE` (iptables-nft: `oifname != "<bridge>"
 *   ip saddr <subnet> masquerade`), the rule Docker writes for each network it masquerades: name and subnet;
 * - with no nat table in the bundle at all (a listing of the filter table alone), the filter rules Docker
 *   writes per bridge: `-o <bridge> -j DOCKER` (FORWARD, DOCKER-BRIDGE), `! -i <bridge> -o <bridge> -j DROP`
 *   (DOCKER, 28+), DOCKER-ISOLATION-STAGE-1 `-i <bridge> ! -o <bridge>`, DOCKER-CT `-o <bridge>`, and only
 *   where Docker also accepts what leaves the bridge (`-i <bridge> ! -o <bridge> -j ACCEPT`, 28+'s
 *   `-i <bridge> -j ACCEPT`; an internal network has neither): the name alone, its subnet not known.
 * docker network inspect, when the bundle has it, gives both (dockerBridges).
 */
export function dockerBridgesFromRules(artifacts: NodeArtifacts, family: 4 | 6 = 4): RuleBridge[] {
  const out = new Map<string, RuleBridge>();
  for (const b of dockerBridges(artifacts, family))
    if (b.subnets.length > 0) out.set(b.name, { name: b.name, subnets: b.subnets, namedBy: b.subnets[0].evidence, from: 'docker network inspect' });
  const views = family === 6 ? liveViews6(artifacts) : liveViews(artifacts);
  for (const v of views) {
    // a listing of FORWARD alone (`iptables -L FORWARD`, rke#485) holds no chain of Docker's, only the jumps to them
    if (!hasDockerChains(v.tables) && !jumpsToDockerChains(v.tables)) continue;
    for (const r of v.tables.get('nat')?.get('POSTROUTING')?.rules ?? []) {
      const o = r.outInterface;
      const s = r.source;
      if (r.target !== 'MASQUERADE' || !o?.negated || /[+*]$/.test(o.value) || !s || s.negated || ANY_ADDRESS.test(s.value) || r.inInterface || (r.destination && !ANY_ADDRESS.test(r.destination.value))) continue;
      if (s.value.includes(':') !== (family === 6)) continue;
      const b = out.get(o.value) ?? { name: o.value, subnets: [], namedBy: { file: r.ref.file, line: r.ref.line, excerpt: r.text, note: `Docker's masquerade of ${s.value} names the bridge ${o.value}` }, from: 'docker masquerade' as const };
      if (!b.subnets.some((x) => x.cidr === s.value)) b.subnets.push({ cidr: s.value, evidence: { file: r.ref.file, line: r.ref.line, excerpt: r.text, note: `Docker's masquerade: ${o.value} serves ${s.value}` } });
      out.set(o.value, b);
    }
    // a listing of the filter table alone: the bridges Docker's filter rules name (their subnets are not in it)
    if (v.tables.has('nat')) continue;
    const filter = v.tables.get('filter');
    if (!filter) continue;
    const named = new Set<string>();
    const plain = (x: { value: string; negated: boolean } | undefined) => (x && !x.negated && !/[+*]$/.test(x.value) ? x.value : undefined);
    for (const c of filter.values())
      for (const r of c.rules) {
        const o = plain(r.outInterface);
        const i = plain(r.inInterface);
        if (o && r.target === 'DOCKER') named.add(o);
        if (o && c.name === 'DOCKER' && r.target === 'DROP' && r.inInterface?.negated && r.inInterface.value === o) named.add(o);
        if (i && c.name === 'DOCKER-ISOLATION-STAGE-1' && r.outInterface?.negated && r.outInterface.value === i) named.add(i);
        if (o && c.name === 'DOCKER-CT' && r.target === 'ACCEPT') named.add(o);
      }
    for (const c of [filter.get('FORWARD'), filter.get('DOCKER-FORWARD')])
      for (const r of c?.rules ?? []) {
        const i = plain(r.inInterface);
        // a name only Docker gives (docker0, docker_gwbridge, br-<12 hex>) is enough where the listing is cut before Docker's other rules for it
        if (!i || r.target !== 'ACCEPT' || !(named.has(i) || DOCKER_BRIDGE_NAME.test(i)) || out.has(i) || r.matches.length > 0 || r.source || r.destination) continue;
        if (r.outInterface && !(r.outInterface.negated && r.outInterface.value === i)) continue;
        out.set(i, { name: i, subnets: [], namedBy: { file: r.ref.file, line: r.ref.line, excerpt: r.text, note: `Docker accepts what leaves its bridge ${i} (its subnet is not in the bundle: no nat table, no ip addr)` }, from: 'docker forward rules' });
      }
  }
  return [...out.values()];
}

/**
 * netavark's networks as its own rules name them (no ip addr needed): one `-A NETAVARK_FORWARD -s <subnet>
 * -j ACCEPT` per network (nft: `ip saddr <subnet> accept`), with no destination and no interface. Each
 * subnet once, in rule order, with the rule that names it.
 */
export function netavarkSubnetsFromRules(rulesets: Ruleset[]): { subnet: string; rule: Rule }[] {
  const out = new Map<string, Rule>();
  for (const rs of rulesets)
    for (const r of rs.tables.filter?.chains.NETAVARK_FORWARD?.rules ?? []) {
      const src = r.source && !r.source.negated ? r.source.value : undefined;
      if (r.target !== 'ACCEPT' || !src || r.destination || r.inInterface || r.outInterface || out.has(src)) continue;
      out.set(src, r);
    }
  return [...out].map(([subnet, rule]) => ({ subnet, rule }));
}

/**
 * The pod network as a Kubernetes distribution's own FORWARD accepts name it (no ip addr needed), the way
 * NETAVARK_FORWARD names Podman's networks:
 * - MicroK8s: `-A FORWARD -s 10.1.0.0/16 -m comment --comment "generated for MicroK8s pods" -j ACCEPT` (and `-d`),
 *   appended by its start scripts (microk8s#4310);
 * - flannel: `-A FLANNEL-FWD -s <network> -m comment --comment "flanneld forward" -j ACCEPT` (and `-d`), jumped to from FORWARD.
 * Only ACCEPTs with that comment, one source or destination network and no interface or other match. Each
 * network once, with every rule that names it (the -s and the -d accepts), in rule order. kube-router's own
 * accepts name its bridge (`-i kube-bridge`), not the network: they are read where ip addr gives kube-bridge.
 */
export function podNetworksFromRules(rulesets: Ruleset[]): { subnet: string; owner: 'MicroK8s' | 'flannel'; rules: Rule[] }[] {
  const out = new Map<string, { subnet: string; owner: 'MicroK8s' | 'flannel'; rules: Rule[] }>();
  const specific = (a: { value: string; negated: boolean } | undefined) => (a && !a.negated && !ANY_ADDRESS.test(a.value) ? a.value : undefined);
  const any = (a: { value: string; negated: boolean } | undefined) => !a || (!a.negated && ANY_ADDRESS.test(a.value));
  for (const rs of rulesets) {
    const chains = rs.tables.filter?.chains;
    if (!chains) continue;
    for (const [chain, owner, comment] of [
      ['FORWARD', 'MicroK8s', /^generated for MicroK8s pods$/],
      ['FLANNEL-FWD', 'flannel', /^flanneld forward$/],
    ] as const)
      for (const r of chains[chain]?.rules ?? []) {
        if (r.target !== 'ACCEPT' || !comment.test(r.comment ?? '') || r.inInterface || r.outInterface || r.matches.length > 0) continue;
        const s = specific(r.source);
        const d = specific(r.destination);
        const subnet = s && any(r.destination) ? s : d && any(r.source) ? d : undefined;
        if (!subnet || !subnet.includes('/')) continue;
        const had = out.get(subnet) ?? { subnet, owner, rules: [] };
        had.rules.push(r);
        out.set(subnet, had);
      }
  }
  return [...out.values()];
}

/** A bridge of another container or VM manager on the node: LXD, Incus, LXC (lxc-net), libvirt. */
export interface OtherBridge {
  name: string;
  owner: 'LXD' | 'Incus' | 'LXC' | 'libvirt';
  subnets: { cidr: string; evidence: Evidence }[];
  /** what shows the bridge is meant to route to the outside: its masquerade, or its forward accept */
  routes: Evidence;
  /** its own accept for the bridge's forwarded traffic, when it has one (LXD's fwd.<bridge>, libvirt's guest_output / LIBVIRT_FWO) */
  ownAccept?: Evidence;
  /** where that accept is: a native nftables table (its own base chain on the hook) or iptables */
  ownAcceptIn?: 'nftables' | 'iptables';
}

/** Bridges those managers create by default, recognised in ip addr. */
const OTHER_BRIDGE_NAME: [RegExp, OtherBridge['owner']][] = [
  [/^lxdbr\d+$/, 'LXD'],
  [/^incusbr\d+$/, 'Incus'],
  [/^lxcbr\d+$/, 'LXC'],
  [/^virbr\d+$/, 'libvirt'],
];

/**
 * The bridges of LXD, Incus, LXC and libvirt, as their own rules show them, each with what shows it is
 * meant to route to the outside (its masquerade, or its forward accept): without that there is nothing
 * to check (an isolated libvirt network, a bridge LXD does not manage). Read from:
 * - nftables: `table inet lxd` / `table inet incus` (chains `fwd.<bridge>`, `pstrt.<bridge>`: LXD's and
 *   Incus's nftables driver), `table inet lxc` + `table ip lxc` (lxc-net), `table ip libvirt_network`
 *   (libvirt's nftables back end: guest_output `ip saddr <subnet> iif "<bridge>" accept`, guest_nat);
 * - iptables: libvirt's LIBVIRT_FWO `-s <subnet> -i <bridge> -j ACCEPT` and LIBVIRT_PRT masquerade, LXD's and
 *   Incus's rules commented "generated for LXD network <bridge>", lxc-net's `-A FORWARD -i lxcbr0 -j ACCEPT`;
 * and their subnets, where the rules do not give them, from the bridge's address in ip addr.
 */
export function otherContainerBridges(artifacts: NodeArtifacts, family: 4 | 6 = 4): OtherBridge[] {
  const out = new Map<string, OtherBridge>();
  const ipKey = family === 6 ? 'ip6' : 'ip';
  const add = (name: string, owner: OtherBridge['owner'], what: { routes?: Evidence; ownAccept?: Evidence; subnet?: { cidr: string; evidence: Evidence } }, from: 'nftables' | 'iptables' = 'nftables') => {
    const b: OtherBridge = out.get(name) ?? { name, owner, subnets: [], routes: (what.routes ?? what.ownAccept)! };
    if (!b.routes && (what.routes ?? what.ownAccept)) b.routes = (what.routes ?? what.ownAccept)!;
    if (what.ownAccept && !b.ownAccept) {
      b.ownAccept = what.ownAccept;
      b.ownAcceptIn = from;
    }
    if (what.subnet && !b.subnets.some((s) => s.cidr === what.subnet!.cidr)) b.subnets.push(what.subnet);
    out.set(name, b);
  };
  const valueOf = (r: NftRule, key: string, op: '==' | '!=' = '==') => {
    const e = r.exprs.find((x) => x.kind === 'match' && x.key === key && x.op === op);
    return e && e.kind === 'match' && e.value.kind === 'value' ? e.value.value.replace(/^"|"$/g, '') : undefined;
  };
  const nftEvidence = (r: NftRule, note: string): Evidence => ({ file: r.ref.file, line: r.ref.line, excerpt: r.text, note });
  for (const rs of nativeNftables(artifacts))
    for (const t of rs.tables) {
      if (t.iptablesCompat) continue;
      if ((t.name === 'lxd' || t.name === 'incus') && (t.family === 'inet' || t.family === ipKey)) {
        const owner = t.name === 'lxd' ? 'LXD' : 'Incus';
        for (const c of t.chains) {
          const m = /^(fwd|pstrt)\.(.+)$/.exec(c.name);
          if (!m) continue;
          const br = m[2];
          for (const r of c.rules) {
            if (m[1] === 'fwd' && r.verdict?.kind === 'accept' && (valueOf(r, 'iifname') === br || valueOf(r, 'oifname') === br) && valueOf(r, family === 6 ? 'ip version' : 'ip6 version') === undefined)
              add(br, owner, { ownAccept: nftEvidence(r, `${owner}'s own accept for ${br}'s forwarded traffic (table ${t.family} ${t.name})`) });
            const src = valueOf(r, `${ipKey} saddr`);
            if (m[1] === 'pstrt' && r.nat?.kind === 'masquerade' && src && valueOf(r, `${ipKey} daddr`, '!=') === src)
              add(br, owner, { routes: nftEvidence(r, `${owner} masquerades ${br}'s subnet ${src}`), subnet: { cidr: src, evidence: nftEvidence(r, `${owner}'s masquerade: ${br} serves ${src}`) } });
          }
        }
      }
      if (t.name === 'lxc' && (t.family === 'inet' || t.family === ipKey)) {
        // lxc-net: one bridge (lxcbr0 by default), its forward accepts in inet lxc, its masquerade in ip lxc
        for (const c of t.chains)
          for (const r of c.rules) {
            const br = valueOf(r, 'iifname');
            if (c.hook === 'forward' && r.verdict?.kind === 'accept' && br && !/[*]$/.test(br)) add(br, 'LXC', { ownAccept: nftEvidence(r, `lxc-net's own accept for ${br}'s forwarded traffic (table ${t.family} lxc)`) });
          }
      }
      if (t.name === 'libvirt_network' && t.family === ipKey)
        for (const c of t.chains)
          for (const r of c.rules) {
            const br = valueOf(r, 'iif') ?? valueOf(r, 'iifname');
            const src = valueOf(r, `${ipKey} saddr`);
            if (c.name === 'guest_output' && r.verdict?.kind === 'accept' && br && src) add(br, 'libvirt', { ownAccept: nftEvidence(r, `libvirt's own accept for ${br}'s traffic out (table ${t.family} libvirt_network)`), subnet: { cidr: src, evidence: nftEvidence(r, `libvirt: ${br} serves ${src}`) } });
          }
    }
  // lxc-net's masquerade (table ip lxc) belongs to its one bridge
  const lxc = [...out.values()].filter((b) => b.owner === 'LXC');
  if (lxc.length === 1)
    for (const rs of nativeNftables(artifacts))
      for (const t of rs.tables)
        if (t.name === 'lxc' && !t.iptablesCompat)
          for (const c of t.chains)
            for (const r of c.rules) {
              const src = valueOf(r, `${ipKey} saddr`);
              if (r.nat?.kind === 'masquerade' && src) add(lxc[0].name, 'LXC', { routes: nftEvidence(r, `lxc-net masquerades ${src}`), subnet: { cidr: src, evidence: nftEvidence(r, `lxc-net's masquerade: ${lxc[0].name} serves ${src}`) } });
            }
  // iptables (xtables) forms
  const views = family === 6 ? liveViews6(artifacts) : liveViews(artifacts);
  const ruleEvidence = (r: Rule, note: string): Evidence => ({ file: r.ref.file, line: r.ref.line, excerpt: r.text, note });
  for (const v of views) {
    const filter = v.tables.get('filter');
    for (const r of filter?.get('LIBVIRT_FWO')?.rules ?? []) {
      const br = r.inInterface && !r.inInterface.negated ? r.inInterface.value : undefined;
      if (r.target === 'ACCEPT' && br && r.source && !r.source.negated) add(br, 'libvirt', { ownAccept: ruleEvidence(r, `libvirt's own accept for ${br}'s traffic out (LIBVIRT_FWO)`), subnet: { cidr: r.source.value, evidence: ruleEvidence(r, `libvirt: ${br} serves ${r.source.value}`) } }, 'iptables');
    }
    for (const [table, chains] of v.tables)
      for (const c of chains.values())
        for (const r of c.rules) {
          // (the comment only of rules whose text has it: a kube-proxy node's 130,000 rules are parsed when asked for one)
          const gen = r.text.includes('generated for') ? /generated for (LXD|Incus) network (\S+)/.exec(r.comment ?? '') : null;
          if (gen) {
            const owner = gen[1] as 'LXD' | 'Incus';
            const br = gen[2];
            if (table === 'filter' && c.name === 'FORWARD' && r.target === 'ACCEPT' && r.inInterface?.value === br && !r.inInterface.negated) add(br, owner, { ownAccept: ruleEvidence(r, `${owner}'s own accept for ${br}'s forwarded traffic`) }, 'iptables');
            if (table === 'nat' && r.target === 'MASQUERADE' && r.source && !r.source.negated) add(br, owner, { routes: ruleEvidence(r, `${owner} masquerades ${br}'s subnet ${r.source.value}`), subnet: { cidr: r.source.value, evidence: ruleEvidence(r, `${owner}'s masquerade: ${br} serves ${r.source.value}`) } }, 'iptables');
          }
          if (table === 'filter' && c.name === 'FORWARD' && r.target === 'ACCEPT' && r.inInterface && !r.inInterface.negated && /^lxcbr\d+$/.test(r.inInterface.value) && !r.outInterface && r.matches.length === 0)
            add(r.inInterface.value, 'LXC', { ownAccept: ruleEvidence(r, `lxc-net's own accept for ${r.inInterface.value}'s forwarded traffic`) }, 'iptables');
        }
  }
  // the subnets the rules do not give: the bridge's own address (ip addr)
  const itfs = interfacesOf(artifacts.ipAddr ?? []);
  for (const b of out.values()) {
    if (b.subnets.length > 0) continue;
    const itf = itfs.get(b.name);
    for (const a of itf?.addresses ?? [])
      if (a.family === family && a.scope !== 'host' && a.scope !== 'link' && !(family === 6 && isLinkLocal6(a.address)))
        b.subnets.push({ cidr: a.network, evidence: { file: a.ref.file, line: a.ref.line, excerpt: a.excerpt, note: `address of ${b.name}` } });
  }
  return [...out.values()].filter((b) => b.routes !== undefined);
}

/** Which manager a bridge name is the default of (lxdbr0, incusbr0, lxcbr0, virbr0), if any. */
export function otherBridgeOwner(name: string): OtherBridge['owner'] | undefined {
  return OTHER_BRIDGE_NAME.find(([re]) => re.test(name))?.[1];
}
