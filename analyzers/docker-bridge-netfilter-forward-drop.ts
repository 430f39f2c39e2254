/**
 * docker.bridge-netfilter-forward-drop: Docker runs with `"iptables": false`, bridge netfilter is on
 * (br_netfilter loaded: net.bridge.bridge-nf-call-iptables = 1), and the host's own forward hook (an
 * nft `type filter hook forward` chain or iptables' FORWARD, policy drop) has no accept for traffic
 * between two containers of one bridge: with bridge netfilter on, a frame the bridge switches between
 * two of its ports passes the IPv4 forward hook (in and out interface: the bridge), and is dropped.
 *
 * How bridge netfilter got turned on (moby#48411, fixed by moby#48492 / 27.x backport #48511 in 27.3.0):
 * loading br_netfilter sets all three bridge-nf-call-* keys to 1. Docker 27.0-27.2 load it when the
 * daemon starts with iptables or ip6tables on, and 27.0 turned ip6tables on by default: with
 * `"iptables": false` and ip6tables left alone, 27.0-27.2 load it where 26.x did not. Before 27.0 only
 * an explicit ip6tables=true did (ip6tables was off by default). From 27.3.0 Docker loads it only when a
 * bridge network is set up that needs it: a network's enable_icc=false, and from 27.4 (moby#48676 /
 * #48685) userland-proxy=false; and only through the setting that is on (bridge_linux.go: the IPv4 step
 * with iptables on, the IPv6 step with ip6tables on, which does nothing for a network without IPv6). So
 * with iptables off, 27.3+ loads it only for a network with IPv6 (docker network inspect: an IPv6 subnet);
 * a daemon-wide "icc": false is no way in, dockerd refuses to start with it and iptables off.
 * "bridge": "none" (-b none): Docker makes no docker0; without ip addr, docker0 is not assumed (and a rule
 * naming it is not taken for a container bridge); "bridge": "<name>" makes that interface the default bridge.
 *
 * Decided by walking a packet from one container of the bridge to another (new TCP connection, in and
 * out interface the bridge) through the node's live rules with the packet tracer (iptables' tables and
 * native nftables base chains, in priority order). Critical when traced on a node where bridge netfilter
 * is on (the sysctl, docker info's JSON) or where the Docker version loads br_netfilter at start; a
 * warning when only the Docker version (not in the bundle) could make it so.
 *
 * Not when: Docker manages iptables (it accepts its bridges' own traffic), ip6tables false on a Docker
 * that loads br_netfilter only for it, Docker >= 27.3 without the settings that load it, bridge
 * netfilter off (the key 0, a full sysctl dump without it, docker info's "bridge-nf-call-iptables is
 * disabled"), the forward path accepts the bridge's traffic, or ip addr shows fewer than two containers'
 * veths on the bridge (nothing between containers to drop).
 */
import { nftDropCutNote } from './lib/nft-cut.js';
import { defineAnalyzer } from '../src/engine/analyzer.js';
import type { NodeArtifacts } from '../src/engine/artifacts.js';
import type { Evidence } from '../src/report/schema.js';
import { trace, type Packet, type TraceContext, type TraceResult, type TraceStep } from '../src/netfilter/trace.js';
import type { Chain, Rule } from '../src/netfilter/rules.js';
import { iptablesTool } from '../src/netfilter/commands.js';
import { extraChainsBeside } from '../src/netfilter/backends.js';
import { nftExtraChains } from '../src/nft/trace.js';
import type { NftRule, NftRuleset } from '../src/nft/model.js';
import { parseCidr } from '../src/parsers/cidr.js';
import { interfacesOf } from '../src/parsers/interfaces.js';
import { runtimeValue } from '../src/parsers/sysctl.js';
import { dockerdSettings } from '../src/parsers/dockerd-flags.js';
import { dockerEngine, dockerVersionNumbers, type Reported } from '../src/parsers/docker-info.js';
import { dockerBridges, dockerPresence, liveIpv4, liveTables, liveViews, localAddresses, nativeNftables, otherBridgeOwner } from './lib/node-view.js';
import { hostFirewall, persistHandWritten, persistNft } from './lib/host-firewall.js';
import { distinctEvidence } from './lib/evidence.js';

const ID = 'docker.bridge-netfilter-forward-drop';
const KEY = 'net.bridge.bridge-nf-call-iptables';
/** A container's address when the bundle names the bridge but not its subnet: the end of 100.64.0.0/10 (RFC 6598), which no Docker default pool uses. */
const UNKNOWN_SUBNET: [string, string] = ['100.127.255.2', '100.127.255.3'];
/** how many drops in a row (one per table or chain on the hook) the remedy walks through */
const MAX_FIXES = 4;

export default defineAnalyzer({
  id: ID,
  title: "The host's forward chain drops traffic between containers on one bridge",
  description:
    'Docker runs with "iptables": false, bridge netfilter is on (br_netfilter loaded, as Docker 27.0-27.2 do at start with ip6tables left on), and the host\'s forward hook (nft policy drop, iptables FORWARD DROP) has no accept for traffic within a container bridge: traced container to container.',
  scope: 'node',
  requires: ['dockerDaemon'],
  requiresOneOf: ['iptables', 'nftables'],
  optional: ['iptables', 'nftables', 'sysctl', 'ipAddr', 'dockerNetworks', 'services'],
  analyze({ node, artifacts, partly }) {
    const presence = dockerPresence(artifacts);
    const off = presence.firewallOff;
    // Docker writes its own accepts (iptables on), or its bridges live in RootlessKit's namespace
    if (!off || presence.rootless) return [];
    const brnf = bridgeNetfilter(artifacts);
    if (brnf.state === 'off') return [];
    const loads = dockerLoadsBrNetfilter(artifacts);
    if (brnf.state === 'unknown' && loads.kind === 'no') return [];
    const critical = brnf.state === 'on' || loads.kind === 'at-start';

    const tables = liveTables(artifacts);
    const nft = nativeNftables(artifacts);
    if (!tables.get('filter')?.get('FORWARD') && !nft.some((rs) => rs.tables.some((t) => !t.iptablesCompat && t.chains.some((c) => c.hook === 'forward')))) return [];

    const bridges = containerBridges(artifacts);
    if (bridges.length === 0) {
      partly?.('could not check traffic between containers: no container bridge in the bundle (ip addr, docker network inspect) nor named by the rules');
      return [];
    }
    const baseCtx = ctxWith(artifacts, nft);
    const addressCandidates = candidateNetworks(tables, nft);
    const blockedOn: { bridge: Bridge; result: TraceResult; fixes: Fix[]; unfixed?: string }[] = [];
    for (const b of bridges) {
      // one container (or none) on the bridge: no traffic between containers to drop
      if (b.ports !== undefined && b.ports < 2) continue;
      const [src, dst] = b.cidr ? hostsIn(b.cidr) : UNKNOWN_SUBNET;
      const packet: Packet = { src, dst, protocol: 'tcp', sport: 40000, dport: 5000, inInterface: b.name, outInterface: b.name, state: 'new', mark: 0 };
      const r = trace(tables, 'forward', packet, baseCtx);
      if (r.verdict.kind === 'unknown') {
        const at = r.verdict.at;
        partly?.(`could not decide whether containers on ${b.name} reach each other: ${r.verdict.reason}${at ? ` at ${at.table}/${at.chain} ${at.num === 0 ? 'policy' : `rule ${at.num}`} (${at.file}:${at.line})` : ''}`);
        continue;
      }
      if (!blocked(r)) continue;
      // a cut-off nft listing: the deciding policy, or a chain the packet came back from, may go on past the cut
      const cut = nftDropCutNote(artifacts.nftables ?? [], r.decidedBy, r.steps);
      if (cut) {
        partly?.(`traffic between containers on ${b.name} is dropped as far as the listing shows, but rules past its end may accept it first: ${cut}; collect the whole nft list ruleset`, ['nftables']);
        continue;
      }
      // the subnet not known: an accept for some network a rule names could be the bridge's
      if (!b.cidr) {
        const passes = addressCandidates.find((net) => {
          const [s, d] = hostsIn(net);
          return !blocked(trace(tables, 'forward', { ...packet, src: s, dst: d }, baseCtx));
        });
        if (passes) {
          partly?.(`traffic between containers on ${b.name} is dropped unless the bridge's subnet is ${passes}, which a rule accepts: its subnet is not in the bundle (collect ip addr or docker network inspect)`);
          continue;
        }
      }
      const { fixes, unfixed } = fixesFor(artifacts, tables, nft, packet, r);
      blockedOn.push({ bridge: b, result: r, fixes, unfixed });
    }
    if (blockedOn.length === 0) return [];
    return [finding(node, artifacts, off, brnf, loads, critical, blockedOn)];
  },
});

// ---- bridge netfilter and Docker's part in it -------------------------------------------------

type BrNf = { state: 'on'; evidence: Evidence } | { state: 'off' } | { state: 'unknown' };

/** Whether bridged IPv4 traffic passes iptables/nftables' hooks now: the sysctl, else docker info's own view. */
function bridgeNetfilter(artifacts: NodeArtifacts): BrNf {
  const sysctl = artifacts.sysctl ?? [];
  const values = runtimeValue(sysctl, KEY);
  if (values.length > 0) {
    const on = values.find((v) => v.value !== '0');
    return on ? { state: 'on', evidence: { file: on.ref.file, line: on.ref.line, excerpt: on.excerpt, note: 'bridge netfilter is on: frames between ports of a bridge pass the IPv4 forward hook' } } : { state: 'off' };
  }
  // a full dump without the key: br_netfilter is not loaded
  if (sysctl.some((s) => s.values.size > 200)) return { state: 'off' };
  const engine = dockerEngine(artifacts.dockerDaemon);
  if (engine?.bridgeNfIptables) {
    const b = engine.bridgeNfIptables;
    return b.value ? { state: 'on', evidence: { file: b.ref.file, line: b.ref.line, excerpt: b.excerpt, note: "docker info: the daemon sees bridge-nf-call-iptables on" } } : { state: 'off' };
  }
  if (engine?.warnings.some((w) => w.kind === 'bridge-nf-call-iptables-disabled')) return { state: 'off' };
  return { state: 'unknown' };
}

interface DockerLoads {
  /**
   * at-start: this Docker loads br_netfilter when it starts (27.0-27.2 with ip6tables on; before 27.0
   * with ip6tables=true); if-27.0-27.2: it does if its version is one of those (not in the bundle);
   * on-demand: 27.3+ loads it for userland-proxy=false networks; no: it does not
   */
  kind: 'at-start' | 'if-27.0-27.2' | 'on-demand' | 'no';
  version?: Reported<string>;
  numbers?: [number, number, number];
  /** the ip6tables setting as written; undefined: left at its default */
  ip6tables?: { value: boolean; evidence: Evidence };
  /** ip6tables in effect: explicit, else the version's default (on since 27.0); undefined: not known */
  ip6On?: boolean;
  userlandProxyOff?: Evidence;
  /**
   * on-demand: the bridge networks with IPv6 for which this Docker loads br_netfilter (enable_icc=false on
   * the network, or userland-proxy=false); empty when the bundle does not list the networks
   */
  networks?: { name: string; why: 'icc' | 'userland-proxy'; evidence: Evidence }[];
  /** where daemon.json is (for "no ip6tables key" evidence) */
  daemonJson?: string;
}

function dockerLoadsBrNetfilter(artifacts: NodeArtifacts): DockerLoads {
  const s = dockerdSettings(artifacts.dockerDaemon);
  const engine = dockerEngine(artifacts.dockerDaemon);
  const version = engine?.serverVersion;
  const numbers = version ? dockerVersionNumbers(version.value) : undefined;
  const ip6 = s.ip6tables ? { value: s.ip6tables.value, evidence: { file: s.ip6tables.ref.file, line: s.ip6tables.ref.line, excerpt: s.ip6tables.excerpt, note: `ip6tables ${s.ip6tables.value}, read from ${s.ip6tables.note}` } } : undefined;
  const at27 = numbers ? numbers[0] >= 27 : undefined;
  const ip6On = ip6 ? ip6.value : at27;
  const userlandProxyOff = s.userlandProxy?.value === false ? { file: s.userlandProxy.ref.file, line: s.userlandProxy.ref.line, excerpt: s.userlandProxy.excerpt, note: `userland-proxy false, read from ${s.userlandProxy.note}` } : undefined;
  const daemonJson = (artifacts.dockerDaemon ?? []).find((c) => (c.origin ?? 'daemon.json') === 'daemon.json')?.file;
  const base = { version, numbers, ip6tables: ip6, ip6On, userlandProxyOff, daemonJson };
  if (ip6?.value === false) return { kind: 'no', ...base };
  if (!numbers) return { kind: 'if-27.0-27.2', ...base };
  const before273 = numbers[0] < 27 || (numbers[0] === 27 && numbers[1] < 3);
  if (before273) return { kind: ip6On ? 'at-start' : 'no', ...base };
  // 27.3+ (moby#48492 / #48511): only when a network is set up that needs it, and only through the
  // setting that is on: with iptables off, through ip6tables, for a network with IPv6 (bridge_linux.go
  // queues setupIPv6BridgeNetFiltering only with ip6tables on; it returns at once for a network
  // without IPv6). Needed for a network's enable_icc=false, and from 27.4 (moby#48676 / #48685) for
  // userland-proxy=false. A daemon-wide "icc": false is no way in: dockerd refuses to start with it and
  // iptables off ("You specified --iptables=false with --icc=false", daemon_unix.go).
  if (!ip6On) return { kind: 'no', ...base };
  const proxyLoads = numbers[0] > 27 || numbers[1] >= 4;
  const proxyOff = proxyLoads && userlandProxyOff !== undefined;
  const listed = (artifacts.dockerNetworks ?? []).flatMap((d) => d.networks).filter((n) => n.driver === 'bridge');
  if (listed.length === 0) {
    // the networks are not in the bundle: userland-proxy=false makes it so for any network with IPv6
    return { kind: proxyOff ? 'on-demand' : 'no', networks: [], ...base };
  }
  const networks: NonNullable<DockerLoads['networks']> = [];
  for (const n of listed) {
    // moby's bridge driver decides by EnableIPv6 where inspect shows it, else by an IPv6 subnet
    const v6 = n.subnets.find((x) => x.subnet.includes(':'));
    const hasV6 = n.enableIPv6 ? n.enableIPv6.value : v6 !== undefined;
    if (!hasV6) continue;
    const at = v6 ? { ref: v6.ref, excerpt: v6.excerpt, what: v6.subnet } : { ref: n.enableIPv6!.ref, excerpt: n.enableIPv6!.excerpt, what: 'EnableIPv6: true' };
    const iccOff = n.options['com.docker.network.bridge.enable_icc'] === 'false';
    if (!iccOff && !proxyOff) continue;
    networks.push({
      name: n.name,
      why: iccOff ? 'icc' : 'userland-proxy',
      evidence: { file: at.ref.file, line: at.ref.line, excerpt: at.excerpt, note: `docker network ${n.name}: IPv6 (${at.what})${iccOff ? ', enable_icc=false' : ''}: Docker loads br_netfilter to set it up` },
    });
  }
  return { kind: networks.length > 0 ? 'on-demand' : 'no', networks, ...base };
}

/** Why a Docker >= 27.3 loads br_netfilter with iptables off: for which networks, by which setting. */
function onDemandWhy(loads: DockerLoads): string {
  const nets = loads.networks ?? [];
  if (nets.length === 0) return `for a bridge network with IPv6 when userland-proxy is false (${at(loads.userlandProxyOff!)}) and ip6tables is on`;
  const icc = nets.filter((x) => x.why === 'icc').map((x) => x.name);
  const proxy = nets.filter((x) => x.why === 'userland-proxy').map((x) => x.name);
  const parts = [
    ...(icc.length > 0 ? [`for its IPv6 network${icc.length > 1 ? 's' : ''} ${icc.join(', ')} with enable_icc=false (${at(nets.find((x) => x.why === 'icc')!.evidence)})`] : []),
    ...(proxy.length > 0 ? [`for its IPv6 network${proxy.length > 1 ? 's' : ''} ${proxy.join(', ')} because userland-proxy is false (${at(loads.userlandProxyOff!)})`] : []),
  ];
  return `${parts.join(' and ')}, with ip6tables on`;
}

// ---- the bridges ------------------------------------------------------------------------------

interface Bridge {
  name: string;
  /** its IPv4 network, when known */
  cidr?: string;
  evidence: Evidence;
  /** how many ports (containers' veths) ip addr shows on it; undefined without ip addr */
  ports?: number;
}

/** Names of interfaces that are no container bridge (uplinks, tunnels, VPNs, other managers' bridges, pods' interfaces, a host's own br0). */
const NOT_A_CONTAINER_BRIDGE =
  /^(lo|eth|en|em|eno|ens|enp|wl|ww|ppp|tun|tap|wg|tailscale|zt|bond|team|vlan|ib|usb|veth|vxlan|flannel|cali|cilium|weave|kube-|nodelocaldns|cni|podman|virbr|lxdbr|incusbr|lxcbr|ovs|gre|ipip|sit|dummy)|^br\d+$|\./;

/**
 * The container bridges of the node: Docker's (docker network inspect, docker0 and br-<id> in ip addr),
 * bridges in ip addr with a veth enslaved (a network named with com.docker.network.bridge.name), and,
 * without ip addr, the interfaces the host's own rules name (`iifname "hass"`) that are no uplink,
 * tunnel or other manager's bridge, and docker0 (Docker's default bridge).
 */
function containerBridges(artifacts: NodeArtifacts): Bridge[] {
  const out = new Map<string, Bridge>();
  for (const b of dockerBridges(artifacts, 4)) {
    const s = b.subnets[0];
    const ev = s?.evidence ?? (b.itf ? { file: b.itf.ref.file, line: b.itf.ref.line, excerpt: b.name, note: `the bridge ${b.name}` } : undefined);
    if (ev) out.set(b.name, { name: b.name, cidr: s?.cidr, evidence: ev });
  }
  const itfs = interfacesOf(artifacts.ipAddr ?? []);
  if (itfs.size > 0) {
    const masters = new Set([...itfs.values()].filter((i) => i.master && (i.kind === 'veth' || /^veth/.test(i.name) || i.peer)).map((i) => i.master!));
    for (const i of itfs.values()) {
      if (out.has(i.name) || !masters.has(i.name) || otherBridgeOwner(i.name) || /^(cni|podman|cni-podman|virbr|ovs)/.test(i.name)) continue;
      const a = i.addresses.find((x) => x.family === 4);
      out.set(i.name, {
        name: i.name,
        cidr: a?.network,
        evidence: a ? { file: a.ref.file, line: a.ref.line, excerpt: a.excerpt, note: `${i.name}: a bridge with containers' veths` } : { file: i.ref.file, line: i.ref.line, excerpt: i.name, note: `${i.name}: a bridge with containers' veths` },
      });
    }
    for (const b of out.values()) b.ports = [...itfs.values()].filter((i) => i.master === b.name).length;
    return [...out.values()];
  }
  // no ip addr: the names the host's rules use
  const settings = dockerdSettings(artifacts.dockerDaemon);
  // "bridge": "none" (-b none): Docker makes no default bridge; a rule naming docker0 is left from before, nothing is on it
  const noDefaultBridge = settings.bridge?.value === 'none';
  for (const [name, ev] of ruleInterfaceNames(artifacts)) {
    if (out.has(name)) continue;
    if (name === 'docker0' && noDefaultBridge) continue;
    if (name !== 'docker0' && name !== 'docker_gwbridge' && !/^br-[0-9a-f]{12}$/.test(name) && NOT_A_CONTAINER_BRIDGE.test(name)) continue;
    out.set(name, { name, evidence: { ...ev, note: `the host's rules name ${name}${name === 'docker0' ? " (Docker's default bridge)" : ' (taken for a container bridge: no ip addr in the bundle)'}` } });
  }
  // Docker makes docker0 unless told otherwise ("bridge": "none"; "bridge": "<name>" makes that interface the default bridge)
  const defaultBridge = settings.bridge?.value ?? 'docker0';
  if (!noDefaultBridge && !out.has(defaultBridge)) {
    const b = settings.bridge;
    const d = b ?? settings.iptables;
    if (d)
      out.set(defaultBridge, {
        name: defaultBridge,
        evidence: { file: d.ref.file, line: d.ref.line, excerpt: d.excerpt, note: b ? `Docker's default bridge ${defaultBridge}, named by ${b.note} (assumed: no ip addr in the bundle)` : "Docker's default bridge docker0 (assumed: no ip addr in the bundle)" },
      });
  }
  return [...out.values()];
}

/** Interface names (no wildcards) the node's live rules match on, in and out, with the first rule naming each. */
function ruleInterfaceNames(artifacts: NodeArtifacts): Map<string, Evidence> {
  const out = new Map<string, Evidence>();
  const add = (name: string | undefined, ev: () => Evidence) => {
    if (name && !/[+*]$/.test(name) && !out.has(name)) out.set(name, ev());
  };
  for (const rs of liveIpv4(artifacts))
    for (const t of Object.values(rs.tables))
      for (const c of Object.values(t.chains))
        for (const r of c.rules) {
          const ev = () => ({ file: r.ref.file, line: r.ref.line, excerpt: r.text });
          add(r.inInterface?.value, ev);
          add(r.outInterface?.value, ev);
        }
  for (const rs of nativeNftables(artifacts))
    for (const t of rs.tables) {
      if (t.iptablesCompat || (t.family !== 'ip' && t.family !== 'inet')) continue;
      for (const c of t.chains)
        for (const r of c.rules)
          for (const e of r.exprs)
            if (e.kind === 'match' && (e.key === 'iifname' || e.key === 'oifname') && e.value.kind === 'value') add(e.value.value, () => ({ file: r.ref.file, line: r.ref.line, excerpt: r.text }));
    }
  return out;
}

/** The IPv4 networks the forward rules match addresses on (for a bridge whose subnet is not known). */
function candidateNetworks(tables: Map<string, Map<string, Chain>>, nft: NftRuleset[]): string[] {
  const out = new Set<string>();
  const add = (v: string | undefined) => {
    const c = v ? parseCidr(v.includes('/') ? v : `${v}/32`) : undefined;
    if (c && c.family === 4 && c.prefix > 0 && c.prefix <= 30) out.add(v!.includes('/') ? v! : `${v}/32`);
  };
  for (const c of tables.get('filter')?.values() ?? [])
    for (const r of c.rules) {
      if (r.source && !r.source.negated) add(r.source.value);
      if (r.destination && !r.destination.negated) add(r.destination.value);
    }
  for (const rs of nft)
    for (const t of rs.tables)
      for (const c of t.chains)
        for (const r of c.rules)
          for (const e of r.exprs) if (e.kind === 'match' && (e.key === 'ip saddr' || e.key === 'ip daddr') && e.op === '==' && e.value.kind === 'value') add(e.value.value);
  return [...out];
}

/** Two containers' addresses in a network: .2 and .3. */
function hostsIn(cidr: string): [string, string] {
  const o = cidr.split('/')[0].split('.').map(Number);
  const at = (n: number) => [o[0], o[1], o[2], Math.min(254, o[3] + n)].join('.');
  return [at(2), at(3)];
}

const blocked = (r: TraceResult) => r.verdict.kind === 'DROP' || r.verdict.kind === 'REJECT';

function ctxWith(artifacts: NodeArtifacts, nft: NftRuleset[]): TraceContext {
  const extraChains = extraChainsBeside(liveViews(artifacts).slice(1), nft.length > 0 ? nftExtraChains(nft) : undefined);
  return { localAddresses: localAddresses(artifacts), extraChains };
}

// ---- the fix: an accept for the bridge where each drop is, traced again -------------------------

interface Fix {
  /** the drop it answers */
  at: TraceStep;
  /** nft: `<family> <table>`; iptables: the tool (iptables, iptables-nft, iptables-legacy) */
  where: { kind: 'nft'; family: string; table: string; chain: string } | { kind: 'iptables'; tool: string; table: string; chain: string; nftFamily?: string };
}

/**
 * One accept per drop on the way: at the top of the chain that dropped (its policy's base chain, or
 * the chain of the dropping rule), then the packet traced again with it, until it passes (a drop in a
 * second table or base chain needs its own accept: an accept ends only its own base chain).
 */
function fixesFor(artifacts: NodeArtifacts, tables0: Map<string, Map<string, Chain>>, nft0: NftRuleset[], packet: Packet, first: TraceResult): { fixes: Fix[]; unfixed?: string } {
  let tables = tables0;
  let nft = nft0;
  let r = first;
  const fixes: Fix[] = [];
  const live = liveIpv4(artifacts);
  for (let i = 0; i < MAX_FIXES && blocked(r); i++) {
    const d = r.decidedBy;
    if (!d) return { fixes, unfixed: 'the tracer did not name the rule that dropped it' };
    const bridge = packet.inInterface!;
    if (d.nft) {
      fixes.push({ at: d, where: { kind: 'nft', family: d.nft.family, table: d.nft.table, chain: d.chain } });
      nft = withNftAccept(nft, d.nft.family, d.nft.table, d.chain, bridge);
    } else {
      const rs = live.find((x) => x.file === d.file);
      // iptables-nft's tables read from an nft listing: nft commands (a native table with iptables' names refuses iptables)
      const nftFamily = rs?.format === 'nft' ? 'ip' : undefined;
      fixes.push({ at: d, where: { kind: 'iptables', tool: rs ? iptablesTool(rs, live) : 'iptables', table: d.table, chain: d.chain, ...(nftFamily ? { nftFamily } : {}) } });
      tables = withIptablesAccept(tables, d.table, d.chain, bridge);
    }
    r = trace(tables, 'forward', packet, ctxWith(artifacts, nft));
  }
  if (r.verdict.kind === 'unknown') return { fixes, unfixed: `with these accepts the packet meets a rule the tracer cannot decide: ${r.verdict.reason}` };
  if (blocked(r)) return { fixes, unfixed: `more than ${MAX_FIXES} chains drop it` };
  return { fixes };
}

function withIptablesAccept(tables: Map<string, Map<string, Chain>>, table: string, chain: string, bridge: string): Map<string, Map<string, Chain>> {
  const t = tables.get(table);
  const c = t?.get(chain);
  if (!t || !c) return tables;
  const rule: Rule = {
    table,
    chain,
    num: 1,
    ref: { file: '(proposed)', line: 0 },
    text: `-A ${chain} -i ${bridge} -o ${bridge} -j ACCEPT`,
    inInterface: { value: bridge, negated: false },
    outInterface: { value: bridge, negated: false },
    matches: [],
    target: 'ACCEPT',
    targetOptions: {},
  };
  const copy = new Map(tables);
  const tc = new Map(t);
  tc.set(chain, { ...c, rules: [rule, ...c.rules.map((x) => ({ ...x, num: x.num + 1 }))] });
  copy.set(table, tc);
  return copy;
}

function withNftAccept(rulesets: NftRuleset[], family: string, table: string, chain: string, bridge: string): NftRuleset[] {
  return rulesets.map((rs) => ({
    ...rs,
    tables: rs.tables.map((t) =>
      t.family !== family || t.name !== table
        ? t
        : {
            ...t,
            chains: t.chains.map((c) => {
              if (c.name !== chain) return c;
              const rule: NftRule = {
                table,
                family: t.family,
                chain,
                index: 1,
                ref: { file: '(proposed)', line: 0 },
                text: `iifname "${bridge}" oifname "${bridge}" accept`,
                exprs: [
                  { kind: 'match', key: 'iifname', op: '==', value: { kind: 'value', value: bridge } },
                  { kind: 'match', key: 'oifname', op: '==', value: { kind: 'value', value: bridge } },
                  { kind: 'verdict', verdict: { kind: 'accept' } },
                ],
                verdict: { kind: 'accept' },
              };
              return { ...c, rules: [rule, ...c.rules.map((x) => ({ ...x, index: x.index + 1 }))] };
            }),
          },
    ),
  }));
}

/** The accept as a command safe to paste twice, and the line that persists it. */
function acceptCommand(f: Fix, bridge: string): { command: string; persist: { kind: 'nft'; family: string; table: string; chain: string; rule: string } | { kind: 'iptables'; table: string; line: string } | { kind: 'none' } } {
  const w = f.where;
  // firewalld's own table: it rewrites it; a zone that forwards within itself (trusted, or Docker's "docker" zone) does it
  if (w.kind === 'nft' && w.table === 'firewalld')
    return {
      command: `firewall-cmd --zone=trusted --change-interface=${bridge} && firewall-cmd --permanent --zone=trusted --change-interface=${bridge}   # now and at boot: firewalld forwards within the trusted zone (or the "docker" zone where it exists, moby#48375)`,
      persist: { kind: 'none' },
    };
  if (w.kind === 'nft' || w.nftFamily) {
    const family = w.kind === 'nft' ? w.family : w.nftFamily!;
    const table = w.table;
    const rule = `iifname "${bridge}" oifname "${bridge}" accept`;
    return {
      command: `nft list chain ${family} ${table} ${w.chain} | grep -qF '${rule}' || nft insert rule ${family} ${table} ${w.chain} ${rule}   # containers on ${bridge} reach each other`,
      persist: { kind: 'nft', family, table, chain: w.chain, rule },
    };
  }
  const t = w.table === 'filter' ? '' : `-t ${w.table} `;
  const spec = `${w.chain} -i ${bridge} -o ${bridge} -j ACCEPT`;
  return {
    command: `${w.tool} ${t}-C ${spec} 2>/dev/null || ${w.tool} ${t}-I ${spec}   # containers on ${bridge} reach each other`,
    persist: { kind: 'iptables', table: w.table, line: `-A ${spec}` },
  };
}

// ---- the finding ------------------------------------------------------------------------------

function at(e: { file: string; line: number }): string {
  return e.line > 0 ? `${e.file}:${e.line}` : e.file;
}

function finding(
  node: string,
  artifacts: NodeArtifacts,
  off: Evidence,
  brnf: BrNf,
  loads: DockerLoads,
  critical: boolean,
  blockedOn: { bridge: Bridge; result: TraceResult; fixes: Fix[]; unfixed?: string }[],
) {
  const first = blockedOn[0];
  const d = first.result.decidedBy!;
  const names = blockedOn.map((x) => x.bridge.name);
  const dropWhere = (s: TraceStep) => (s.num === 0 ? `the ${s.nft ? `${s.nft.family} ${s.nft.table} ` : ''}${s.chain} policy ${s.text.replace(/^policy /, '').replace(/;$/, '')}` : `${s.nft ? `${s.nft.family} ${s.nft.table}` : s.table}/${s.chain} rule ${s.num}`);
  const version = loads.version ? `Docker ${loads.version.value} (${at(loads.version.ref)})` : undefined;
  const ip6Text = loads.ip6tables ? `ip6tables ${loads.ip6tables.value} (${at(loads.ip6tables.evidence)})` : 'ip6tables left at its default (on since Docker 27.0)';
  const fixedIn = 'moby#48411, fixed in 27.3.0';
  let brnfPart: string;
  if (brnf.state === 'on') {
    const on = `Bridge netfilter is on (${brnf.evidence.excerpt.trim()}, ${at(brnf.evidence)})`;
    brnfPart =
      loads.kind === 'at-start'
        ? `${on}: ${version} loaded br_netfilter when it started with ip6tables on, even with iptables off (${fixedIn}), and loading it sets ${KEY} = 1.`
        : loads.kind === 'if-27.0-27.2'
          ? `${on}: br_netfilter is loaded, as Docker 27.0-27.2 do when they start with ip6tables on, even with iptables off (${fixedIn}; docker version is not in the bundle).`
          : loads.kind === 'on-demand'
            ? `${on}: br_netfilter is loaded, as ${version} does ${onDemandWhy(loads)}.`
            : `${on}: br_netfilter is loaded, though not by ${version ?? 'Docker'} with these settings (something else loaded it: Kubernetes, libvirt, a modules-load.d entry, a network with icc=false).`;
  } else if (critical) {
    brnfPart = `${version} loads br_netfilter when it starts with ip6tables on, even with iptables off (${fixedIn}), and loading it sets ${KEY} = 1 (no sysctl in the bundle to confirm).`;
  } else if (loads.kind === 'on-demand') {
    brnfPart = `${version} loads br_netfilter ${onDemandWhy(loads)}; if it did, that set ${KEY} = 1 (no sysctl in the bundle to tell).`;
  } else {
    brnfPart = `If this Docker is 27.0-27.2 (docker version is not in the bundle), it loaded br_netfilter when it started with ip6tables on, even with iptables off (${fixedIn}), which set ${KEY} = 1 (no sysctl in the bundle to tell).`;
  }
  const rejects = first.result.verdict.kind === 'REJECT';
  const bridgesText = blockedOn.map((x) => `${x.bridge.name}${x.bridge.cidr ? ` (${x.bridge.cidr})` : ''}`).join(', ');
  const message =
    `On ${node}, Docker runs with iptables off (${at(off)}) and ${ip6Text}. ${brnfPart} ` +
    `${critical ? 'So' : 'Then'} a frame the bridge switches between two of its containers passes the host's forward hook, and ${dropWhere(d)} (${at(d)}) ${rejects ? 'rejects' : 'drops'} it: no rule accepts traffic from ${names.length > 1 ? 'a bridge to itself' : `${names[0]} to ${names[0]}`}. ` +
    `Containers on ${bridgesText} cannot reach each other (${rejects ? 'connections are refused at once with an ICMP error' : 'connections time out'}; ping still works where the chain accepts ICMP). Docker writes no accepts with iptables off; its traffic to the outside is iptables.forward-blocks-containers' concern.`;

  const evidence: Evidence[] = [off];
  if (loads.ip6tables) evidence.push(loads.ip6tables.evidence);
  else if (loads.daemonJson) evidence.push({ file: loads.daemonJson, line: 0, excerpt: 'no "ip6tables" key', note: 'ip6tables at its default: on since Docker 27.0' });
  if (loads.version) evidence.push({ file: loads.version.ref.file, line: loads.version.ref.line, excerpt: loads.version.excerpt, note: loads.kind === 'at-start' ? 'this Docker loads br_netfilter at start (27.0-27.2)' : 'the Docker version' });
  if (loads.kind === 'on-demand' && loads.userlandProxyOff && !loads.networks?.every((x) => x.why === 'icc')) evidence.push(loads.userlandProxyOff);
  if (loads.kind === 'on-demand') for (const x of loads.networks ?? []) evidence.push(x.evidence);
  if (brnf.state === 'on') evidence.push(brnf.evidence);
  // one piece of evidence per dropping rule or policy, naming every bridge it drops
  const drops = new Map<string, { step: TraceStep; bridges: string[] }>();
  for (const x of blockedOn) {
    const s = x.result.decidedBy!;
    const k = `${s.file}:${s.line}:${s.table}:${s.chain}:${s.num}`;
    const d0 = drops.get(k) ?? { step: s, bridges: [] };
    d0.bridges.push(x.bridge.name);
    drops.set(k, d0);
  }
  for (const { step: s, bridges } of drops.values())
    evidence.push({ file: s.file, line: s.line, excerpt: s.text, note: `${dropWhere(s)} drops a new connection from one container to another on ${bridges.join(', on ')} (traced: in and out interface the bridge)` });
  for (const x of blockedOn) evidence.push(x.bridge.evidence);

  // the remedy: accepts where the drops are (work now), then the Docker-side fixes
  const commands: string[] = [];
  const persistNftRules = new Map<string, { family: string; table: string; chain: string; rules: string[] }>();
  const persistIpt = new Map<string, string[]>();
  const listed = new Set<string>();
  const checks: string[] = [`sysctl ${KEY}   # 1: bridged traffic passes the forward chains`];
  for (const x of blockedOn) {
    for (const f of x.fixes) {
      const c = acceptCommand(f, x.bridge.name);
      commands.push(c.command);
      if (c.persist.kind === 'none') continue;
      if (c.persist.kind === 'nft') {
        const k = `${c.persist.family} ${c.persist.table} ${c.persist.chain}`;
        const p = persistNftRules.get(k) ?? { family: c.persist.family, table: c.persist.table, chain: c.persist.chain, rules: [] };
        p.rules.push(c.persist.rule);
        persistNftRules.set(k, p);
        if (!listed.has(k)) checks.push(`nft list chain ${k}   # the forward chain that drops it`);
        listed.add(k);
      } else {
        const l = persistIpt.get(c.persist.table) ?? [];
        l.push(c.persist.line);
        persistIpt.set(c.persist.table, l);
        const w = f.where as Extract<Fix['where'], { kind: 'iptables' }>;
        const k = `${w.tool} ${w.table === 'filter' ? '' : `-t ${w.table} `}-S ${w.chain}`;
        if (!listed.has(k)) checks.push(`${k}   # the forward chain that drops it`);
        listed.add(k);
      }
    }
  }
  for (const p of persistNftRules.values()) commands.push(...persistNft(p.family, p.table, p.chain, 'as its first rules', p.rules));
  const fw = hostFirewall(artifacts);
  for (const [table, lines] of persistIpt) commands.push(...persistHandWritten(fw, table, lines));
  const n = loads.numbers;
  const upgrade = loads.kind === 'at-start' || loads.kind === 'if-27.0-27.2';
  if (upgrade) commands.push(`# or: upgrade Docker to 27.3.0 or later${n ? ` (this is ${loads.version!.value})` : ''}: it loads br_netfilter only for networks that need it (icc=false; from 27.4 userland-proxy=false)`);
  if (loads.ip6tables?.value !== false && loads.kind !== 'no')
    commands.push(`# or: add "ip6tables": false to /etc/docker/daemon.json (Docker then writes no ip6tables rules either: only where containers use no IPv6), then: systemctl restart docker`);
  if (loads.kind === 'on-demand' && loads.userlandProxyOff && !loads.networks?.every((x) => x.why === 'icc'))
    commands.push('# or: remove "userland-proxy": false from /etc/docker/daemon.json (docker-proxy serves published ports again), then: systemctl restart docker');
  for (const x of loads.kind === 'on-demand' ? loads.networks ?? [] : [])
    if (x.why === 'icc') commands.push(`# or: docker network ${x.name} (IPv6, enable_icc=false) is what loads br_netfilter: recreate it without enable_icc=false, or without IPv6, where its containers need neither`);
  commands.push(
    loads.kind === 'no'
      ? `# or, where nothing on the host needs bridge netfilter (no Kubernetes, no icc=false network): sysctl -w ${KEY}=0 (until the next boot; see what loads br_netfilter: /etc/modules-load.d, lsmod)`
      : `# after either: br_netfilter stays loaded; turn bridge netfilter off until the next boot only where nothing needs it (no Kubernetes, no icc=false network): sysctl -w ${KEY}=0`,
  );
  const unfixed = blockedOn.filter((x) => x.unfixed).map((x) => `${x.bridge.name}: ${x.unfixed}`);
  const firewalld = blockedOn.some((x) => x.fixes.some((f) => f.where.kind === 'nft' && f.where.table === 'firewalld'));
  const summary =
    `Accept traffic within each container bridge in the forward chain that drops it${firewalld ? " (firewalld's: put the bridge in a zone that forwards within itself)" : ''} (works at once, no restart), and persist it${upgrade ? '; or upgrade Docker to 27.3.0 or later' : ''}${loads.ip6tables?.value !== false && loads.kind !== 'no' ? ', or set "ip6tables": false' : ''}${loads.kind === 'no' ? '' : `, then set ${KEY} = 0 or reboot (a Docker restart does not unload br_netfilter)`}.` +
    (unfixed.length > 0 ? ` Not all of it could be traced through: ${unfixed.join('; ')}.` : '');

  return {
    severity: critical ? ('critical' as const) : ('warning' as const),
    title: "The host's forward chain drops traffic between containers on one bridge",
    message,
    impact: `Containers on the same bridge (${names.join(', ')}) cannot connect to each other: services that talk to each other over the network break.`,
    evidence: distinctEvidence(evidence),
    facts: {
      bridges: blockedOn.map((x) => ({ name: x.bridge.name, subnet: x.bridge.cidr ?? null, droppedBy: `${x.result.decidedBy!.nft ? `${x.result.decidedBy!.nft.family} ${x.result.decidedBy!.nft.table}` : x.result.decidedBy!.table}/${x.result.decidedBy!.chain}#${x.result.decidedBy!.num}` })),
      dockerIptables: false,
      ip6tables: loads.ip6tables?.value ?? null,
      dockerVersion: loads.version?.value ?? null,
      brNetfilter: brnf.state,
      dockerLoadsBrNetfilter: loads.kind,
    },
    remedy: {
      summary,
      commands: [...checks, ...commands],
      caution:
        'The accept lets every container of the bridge reach every other, as Docker does itself with icc=true; leave it out for a network created with enable_icc=false. Setting ' +
        `${KEY} to 0 stops iptables/nftables filtering of all bridged traffic (Kubernetes bridge CNIs and icc=false need it on). Restarting docker restarts every container on the node.`,
    },
  };
}
