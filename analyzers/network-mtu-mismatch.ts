/**
 * network.mtu-mismatch: containers (or pods) send and advertise packets larger than the way out
 * can carry.
 *
 * Why it breaks. A container's TCP advertises an MSS from its own interface's MTU (1500 gives 1460).
 * When the host's uplink is smaller (OpenStack's VXLAN-backed instances: 1400-1450, GCP: 1460,
 * WireGuard and other VPNs: 1420 or less), a peer on a 1500 network sends full-size segments back,
 * and the hop in front of the small link drops them; PMTU discovery only saves it where the ICMP
 * "fragmentation needed" gets through, which clouds and firewalls often prevent. Small packets pass,
 * so ping and small requests work while TLS handshakes, `apt-get`, `pip` and `docker build` stall
 * (moby/moby#22297, #22028, #20178; docker/for-linux#1426). Docker >= 1.10 no longer copies the
 * default route's MTU (moby/moby#18108): the bridge and its veths get 1500 unless `"mtu"` is set in
 * daemon.json (the default bridge) or `com.docker.network.driver.mtu` on a user network.
 *
 * What is compared. The container side: for each container bridge (docker0, br-<12 hex>, a Docker
 * network's bridge, cni0, podman<N>, cni-podman<N>) that carries traffic, the largest MTU of the
 * veths enslaved to it (`master <bridge>`: they have the containers' MTU), else the bridge's own
 * MTU (with carrier, a bridge's automatic MTU is the smallest of its ports', so its ports are at
 * least that large; since Docker 25 (moby/moby#46849) docker0's MTU is set explicitly to the
 * configured one, which its veths get too). The uplink: the interface of the main table's IPv4
 * default route (or of the 0.0.0.0/1 + 128.0.0.0/1 pair a VPN installs), the smaller of its MTU and
 * the route's own `mtu` attribute. Without a default route the uplink is unknown: only when every
 * other interface that is up with carrier (no container bridge, veth, overlay or loopback) is
 * smaller than the container side, whichever of them is the way out, is it said.
 * flannel: the pods' MTU (cni0's veths) must not exceed flannel.1's nor FLANNEL_MTU (subnet.env),
 * and the VXLAN device flannel.1 must leave 50 bytes of its underlay's MTU for the encapsulation
 * (flannel sets flannel.1 = underlay - 50 when it starts; an underlay whose MTU changed since, or a
 * hand-set value, breaks that): larger pod packets are dropped or fragmented between nodes.
 *
 * Guards.
 * - An idle bridge is not taken for its containers' MTU: docker0 with NO-CARRIER, or `state UNKNOWN` (a recent
 *   kernel's bridge that never had a port), or ifconfig without RUNNING, and no veth, shows 1500 whatever Docker
 *   is configured with before Docker 25, and carries no traffic (moby/moby#22495's
 *   `docker0: flags=4099<UP,BROADCAST,MULTICAST>  mtu 9000` over eth0 1500: the failing `docker pull` is
 *   dockerd's own traffic, which docker0 never carries). It is still judged as what the next containers get
 *   (idleDefaultFindings): an idle Docker bridge above an uplink smaller than 1500, with no MTU configured for
 *   it (no "mtu" / --mtu, no com.docker.network.driver.mtu up to the uplink's), is the most common MTU ticket
 *   (actions-runner-controller#385/#393's dind docker0 1500 over the pod's eth0 1450; moby/moby#49398,
 *   #22028, #20178; actions/runner#2966): the containers started next get 1500. Info, warning where
 *   the bundle shows Docker inside a Kubernetes pod (Docker-in-Docker CI runners, whose build containers come
 *   and go between jobs, so docker0 is idle at most moments a bundle is taken).
 * - Uplink MTU >= the container side: fine (a jumbo uplink under 1500 bridges included).
 * - A container side larger than an uplink of 1500 or more (docker0 9000 over eth0 1500): peers on
 *   1500 networks send no larger segments than their own MTU allows, so only jumbo peers are hurt:
 *   info, not a warning.
 * - A TCPMSS rule that rewrites the forwarded SYNs' MSS (`--clamp-mss-to-pmtu`, or `--set-mss` at most
 *   the uplink's MTU - 40) in FORWARD or POSTROUTING (or a chain they jump to), not limited to other
 *   interfaces; or nftables' `tcp option maxseg size set rt mtu` on the forward / postrouting hook:
 *   TCP is covered (UDP is not): info.
 *
 * dockerd's configured MTU ("mtu" in daemon.json, --mtu on its command line; the default bridge only): when
 * it is above the uplink's, the finding cites it and the fix lowers it (not "add"); when it fits but the veths
 * are larger, the containers were created before it took effect (a veth keeps the MTU of its creation): the fix
 * recreates them, restarting docker first only when docker0 does not show the configured MTU (Docker >= 25 sets
 * it on docker0) and the running command line does not have it. docker0 idle with a configured MTU above the
 * uplink's: info (nothing is lost yet; containers started later will be too large). docker0 idle with nothing
 * configured (Docker's 1500): nothing, as for any idle bridge (a host with Docker installed and unused is healthy).
 *
 * Severity: warning (pods above flannel.1 only: info, the node answers "fragmentation needed" to its own pods). Traffic is not broken now for everything (small packets, and paths where PMTU
 * discovery works, pass); it fails for large packets where ICMP is filtered, intermittently and by
 * destination. That is a degradation to fix, not an outage the bundle proves.
 */
import { defineAnalyzer, type FindingDraft } from '../src/engine/analyzer.js';
import type { NodeArtifacts } from '../src/engine/artifacts.js';
import type { Evidence } from '../src/report/schema.js';
import { interfacesOf, type Interface } from '../src/parsers/interfaces.js';
import type { Route } from '../src/parsers/ip-route.js';
import type { Chain, Rule } from '../src/netfilter/rules.js';
import { liveViews, nativeNftables, reachableChains } from './lib/node-view.js';
import { DOCKER_RESTART_KINDS, dockerRestartOf, nodeForCommands, restartDocker } from './lib/node-services.js';
import { flannelRunner } from './lib/flannel.js';
import { distinctEvidence } from './lib/evidence.js';
import { dockerdSettings, type DockerdSetting } from '../src/parsers/dockerd-flags.js';
import { dockerVersion } from './lib/container-host.js';

const ID = 'network.mtu-mismatch';
/** IPv4 + UDP + VXLAN + inner Ethernet: what flannel's vxlan backend subtracts from the underlay (IPv4 underlay) */
export const VXLAN_OVERHEAD = 50;
/** IPv4 + TCP headers: MSS = MTU - 40 */
const TCP_IP_HEADERS = 40;
/** what most of the Internet's paths carry: above it, only jumbo peers send larger packets */
const ETHERNET_MTU = 1500;

/** Container bridges of Docker, the bridge CNI (flannel's cni0) and Podman. */
const CONTAINER_BRIDGE = /^(docker0|br-[0-9a-f]{12}|cni0|podman\d+|cni-podman\d+)$/;
/** Interfaces that are never the host's way out: container and VM bridges, veths, overlays, service dummies. */
const NOT_UPLINK = /^(lo|docker\d*|br-[0-9a-f]{12}|cni|podman|cni-podman|veth|flannel|cali|vxlan|tunl0|cilium|lxc|weave|datapath|kube-|nodelocaldns|virbr|lxdbr|incusbr|lxcbr|genev_sys|vxlan_sys|ovs-system)/;

export default defineAnalyzer({
  id: ID,
  title: 'Container MTU larger than the way out',
  description: "A container bridge's (or its veths', or a Docker network's) MTU exceeds the uplink's (the default route's interface), or pods' MTU exceeds flannel.1's / FLANNEL_MTU, or flannel.1 leaves less than 50 bytes of its underlay for VXLAN.",
  scope: 'node',
  requires: ['ipAddr'],
  optional: [...new Set(['routes', 'flannelSubnetEnv', 'dockerNetworks', 'iptables', 'nftables', ...DOCKER_RESTART_KINDS] as const)],
  analyze(input) {
    const { node, artifacts, partly } = input;
    const itfs = interfacesOf(artifacts.ipAddr);
    const uplink = uplinkMtu(artifacts, itfs);
    const out: FindingDraft[] = [];
    // with flannel's VXLAN device, cni0 is judged against it (pods <= flannel.1 <= underlay - 50 puts them under the uplink too)
    const flannelVxlan = [...itfs.keys()].some((n) => /^flannel\.\d+$/.test(n));
    for (const side of containerSides(artifacts, itfs)) {
      if (!uplink || uplink.names.includes(side.bridge) || (side.bridge === 'cni0' && flannelVxlan)) continue;
      if (uplink.from === 'interfaces' && side.mtu <= uplink.mtu && side.mtu > uplink.minMtu)
        partly?.(`no default route in the bundle: ${side.bridge} (MTU ${side.mtu}) is larger than some interfaces that could be the way out (${uplink.names.join(', ')}) and not others; collect ip route`);
      if (side.mtu <= uplink.mtu) continue;
      out.push(bridgeFinding(node, artifacts, side, uplink));
    }
    const idle = idleConfiguredFinding(node, artifacts, itfs, uplink, out);
    if (idle) out.push(idle);
    out.push(...idleDefaultFindings(node, artifacts, itfs, uplink, out));
    const undecided = uncompared(artifacts, itfs, uplink);
    if (undecided) partly?.(undecided.what, undecided.missing);
    out.push(...flannelFindings(node, artifacts, itfs, uplink, nodeForCommands(input).command));
    return out;
  },
});

// ---- the uplink -------------------------------------------------------------------------

interface Uplink {
  /** the default route's interface; without one, every candidate (all smaller than what is compared) */
  names: string[];
  mtu: number;
  /** the smallest of the candidates (from 'interfaces'); the uplink's MTU otherwise */
  minMtu: number;
  /** how it was decided */
  from: 'route' | 'interfaces';
  evidence: Evidence[];
}

/** `ip link` / `ip addr` flags say it has carrier: LOWER_UP (ip), RUNNING (ifconfig), and no NO-CARRIER. */
function hasCarrier(i: Interface): boolean {
  return (i.flags.includes('LOWER_UP') || i.flags.includes('RUNNING')) && !i.flags.includes('NO-CARRIER') && i.state !== 'DOWN';
}

/**
 * A container bridge with no port in the listing carries traffic only if its carrier shows a port
 * forwarding: `state UP` (iproute2). An empty bridge is `NO-CARRIER … state DOWN` once a port has left,
 * and on a recent kernel (6.18, checked in a network namespace) a bridge that never had a port shows
 * `LOWER_UP … state UNKNOWN`: neither counts. ifconfig has no operstate and shows RUNNING for both
 * carrier and "unknown": only with a veth in the same listing is a RUNNING bridge taken for active.
 */
function bridgeActive(br: Interface, fromIfconfig: boolean, anyVeth: boolean): boolean {
  if (fromIfconfig) return br.flags.includes('RUNNING') && anyVeth;
  return br.flags.includes('LOWER_UP') && !br.flags.includes('NO-CARRIER') && br.state === 'UP';
}

function isUp(i: Interface): boolean {
  return i.flags.includes('UP') && hasCarrier(i);
}

/** The interface line as cited (the engine quotes the file's own line where it kept the file). */
export function itfEvidence(i: Interface, note: string): Evidence {
  const excerpt = `${i.index !== undefined ? `${i.index}: ` : ''}${i.name}${i.peer ? `@${i.peer}` : ''}: <${i.flags.join(',')}> mtu ${i.mtu}${i.master ? ` … master ${i.master}` : ''}${i.state ? ` … state ${i.state}` : ''}`;
  return { file: i.ref.file, line: i.ref.line, excerpt, note };
}

/** A route's own `mtu N` / `mtu lock N` attribute. */
function routeMtu(r: Route): number | undefined {
  const m = /\smtu (?:lock )?(\d+)\b/.exec(r.excerpt);
  return m ? Number(m[1]) : undefined;
}

const mainIpv4 = (r: Route) => !r.destination.includes(':') && (!r.table || r.table === 'main') && (!r.type || r.type === 'unicast') && r.dev !== undefined;

function uplinkMtu(artifacts: NodeArtifacts, itfs: Map<string, Interface>): Uplink | undefined {
  const routes = (artifacts.routes ?? []).flatMap((t) => t.routes).filter(mainIpv4);
  // a VPN's redirect-gateway def1 pair outranks the default route for every destination
  const half = (d: string) => routes.find((r) => r.destination === d);
  const low = half('0.0.0.0/1');
  const high = half('128.0.0.0/1');
  let def: Route | undefined;
  if (low && high && low.dev === high.dev) def = low;
  else def = routes.filter((r) => r.destination === '0.0.0.0/0').sort((a, b) => (a.metric ?? 0) - (b.metric ?? 0))[0];
  if (def?.dev) {
    const dev = itfs.get(def.dev);
    if (dev?.mtu === undefined) return undefined;
    const rmtu = routeMtu(def);
    const mtu = rmtu !== undefined ? Math.min(rmtu, dev.mtu) : dev.mtu;
    const evidence = [
      { file: def.ref.file, line: def.ref.line, excerpt: def.excerpt, note: `the way out: ${def.dev}${rmtu !== undefined ? ` (this route's MTU ${rmtu})` : ''}` },
      itfEvidence(dev, `${dev.name}, the uplink: MTU ${dev.mtu}`),
    ];
    if (low && high && def === low) evidence.splice(1, 0, { file: high.ref.file, line: high.ref.line, excerpt: high.excerpt, note: 'with 0.0.0.0/1, every destination leaves by this interface' });
    return { names: [dev.name], mtu, minMtu: mtu, from: 'route', evidence };
  }
  // no default route in the bundle: the way out is one of the interfaces that are up (not a container's end of a veth: `eth0@vethX`); a claim holds only if it holds for all of them
  const candidates = [...itfs.values()].filter((i) => i.mtu !== undefined && !i.flags.includes('LOOPBACK') && !i.flags.includes('SLAVE') && !i.master && !NOT_UPLINK.test(i.name) && !/^veth/.test(i.peer ?? '') && isUp(i));
  if (candidates.length === 0) return undefined;
  const mtu = Math.max(...candidates.map((i) => i.mtu!));
  const names = candidates.map((i) => i.name);
  return {
    names,
    mtu,
    minMtu: Math.min(...candidates.map((i) => i.mtu!)),
    from: 'interfaces',
    evidence: candidates.map((i) => itfEvidence(i, `${i.name}: MTU ${i.mtu}${candidates.length > 1 ? '' : ', the only interface up besides container ones'}`)),
  };
}

// ---- container bridges ----------------------------------------------------------------

interface ContainerSide {
  bridge: string;
  /** Docker, flannel's cni0, Podman */
  owner: 'docker' | 'cni' | 'podman';
  /** the docker network, when known */
  network?: string;
  mtu: number;
  /** the bridge interface's own MTU, when ip addr shows it */
  bridgeMtu?: number;
  evidence: Evidence[];
}

function ownerOf(name: string): ContainerSide['owner'] {
  if (name === 'cni0') return 'cni';
  if (/^(podman|cni-podman)\d+$/.test(name)) return 'podman';
  return 'docker';
}

/** Each container bridge carrying traffic, with the MTU its containers use and what shows it. */
function containerSides(artifacts: NodeArtifacts, itfs: Map<string, Interface>): ContainerSide[] {
  const networks = new Map<string, { name: string; mtu?: number; evidence?: Evidence; containers: number }>();
  for (const n of (artifacts.dockerNetworks ?? []).flatMap((d) => d.networks)) {
    if (n.driver !== 'bridge' || !n.bridgeName) continue;
    const opt = n.options['com.docker.network.driver.mtu'];
    const mtu = opt !== undefined && /^\d+$/.test(opt) ? Number(opt) : undefined;
    networks.set(n.bridgeName, {
      name: n.name,
      mtu,
      containers: n.containers.length,
      evidence: mtu !== undefined ? { file: n.ref.file, line: n.ref.line, excerpt: `"com.docker.network.driver.mtu": "${opt}"`, note: `docker network ${n.name}: its MTU option` } : undefined,
    });
  }
  const names = new Set([...[...itfs.keys()].filter((n) => CONTAINER_BRIDGE.test(n)), ...networks.keys()]);
  const ifconfigNames = new Set((artifacts.ipAddr ?? []).filter((l) => l.format === 'ifconfig').flatMap((l) => l.interfaces.map((i) => i.name)));
  const anyVeth = [...itfs.keys()].some((n) => /^veth/.test(n));
  const out: ContainerSide[] = [];
  for (const name of names) {
    const br = itfs.get(name);
    const net = networks.get(name);
    const ports = [...itfs.values()].filter((i) => i.master === name && i.mtu !== undefined);
    const livePorts = ports.filter((p) => !p.flags.includes('NO-CARRIER') && p.state !== 'DOWN');
    if (br) {
      if (br.mtu === undefined && ports.length === 0) continue;
      // idle: no port, no carrier: nothing crosses it (and before Docker 25 its 1500 says nothing of the configured MTU)
      if (livePorts.length === 0 && !bridgeActive(br, ifconfigNames.has(name), anyVeth)) continue;
      const evidence: Evidence[] = [];
      let mtu: number;
      if (livePorts.length > 0) {
        mtu = Math.max(...livePorts.map((p) => p.mtu!));
        const top = livePorts.filter((p) => p.mtu === mtu);
        if (br.mtu !== undefined) evidence.push(itfEvidence(br, `the container bridge ${name}: MTU ${br.mtu}`));
        for (const p of top.slice(0, 3)) evidence.push(itfEvidence(p, `a container's veth on ${name}: MTU ${p.mtu}, the MTU the container uses`));
        if (top.length > 3) evidence.push({ ...itfEvidence(top[3], `and ${top.length - 3} more veths on ${name} with MTU ${mtu}`) });
      } else {
        if (br.mtu === undefined) continue;
        mtu = br.mtu;
        evidence.push(itfEvidence(br, `the container bridge ${name}, up with carrier (a container is attached): MTU ${mtu}; its ports' MTU is at least that`));
      }
      if (net?.evidence) evidence.push(net.evidence);
      out.push({ bridge: name, owner: ownerOf(name), network: net?.name, mtu, bridgeMtu: br.mtu, evidence });
    } else if (net && net.mtu !== undefined && net.containers > 0) {
      // no ip addr line for it (another file's listing); the network's own option, with containers attached
      out.push({ bridge: name, owner: 'docker', network: net.name, mtu: net.mtu, evidence: [net.evidence!] });
    }
  }
  return out;
}

// ---- TCPMSS clamping ----------------------------------------------------------------------

/** `eth+` matches every name starting with eth (iptables' wildcard) */
function nameMatches(pattern: string, name: string): boolean {
  return pattern.endsWith('+') ? name.startsWith(pattern.slice(0, -1)) : pattern === name;
}

function allows(cond: Rule['inInterface'], names: string[]): boolean {
  if (!cond) return true;
  return names.some((n) => nameMatches(cond.value, n) !== cond.negated);
}

/**
 * A rule that rewrites the MSS of the SYNs forwarded from `bridge` out of the uplink to fit it, when the
 * bundle shows one: iptables' TCPMSS in FORWARD / POSTROUTING (any table: the target is not limited to
 * mangle) or a chain they jump to, or nftables' `maxseg size set` on the forward / postrouting hook.
 */
function mssClamp(artifacts: NodeArtifacts, bridge: string, uplink: Uplink): Evidence | undefined {
  for (const v of liveViews(artifacts))
    for (const [, chains] of v.tables) {
      const scope = new Set<string>();
      for (const base of ['FORWARD', 'POSTROUTING']) {
        if (!chains.has(base)) continue;
        scope.add(base);
        for (const c of reachableChains(chains as Map<string, Chain>, base)) scope.add(c);
      }
      for (const name of scope)
        for (const r of chains.get(name)?.rules ?? []) {
          if (r.target !== 'TCPMSS') continue;
          if (r.protocol && (r.protocol.negated || r.protocol.value !== 'tcp')) continue;
          const o = r.targetOptions;
          const set = o['set-mss'] !== undefined ? Number(o['set-mss']) : undefined;
          const clamps = 'clamp-mss-to-pmtu' in o || (set !== undefined && set <= uplink.mtu - TCP_IP_HEADERS);
          if (!clamps || !allows(r.inInterface, [bridge]) || !allows(r.outInterface, uplink.names)) continue;
          return { file: r.ref.file, line: r.ref.line, excerpt: r.text, note: `${r.table} ${r.chain}: rewrites the MSS of forwarded SYNs${set !== undefined ? ` to ${set}` : ' to fit the route out'}` };
        }
    }
  for (const rs of nativeNftables(artifacts))
    for (const t of rs.tables) {
      if (t.iptablesCompat) continue;
      for (const c of t.chains) {
        if (c.hook !== 'forward' && c.hook !== 'postrouting') continue;
        for (const r of c.rules) {
          const m = /maxseg size set (rt mtu|\d+)/.exec(r.text);
          if (!m || (m[1] !== 'rt mtu' && Number(m[1]) > uplink.mtu - TCP_IP_HEADERS)) continue;
          const iif = /\biifname (!= )?"?([^"\s]+)"?/.exec(r.text);
          const oif = /\boifname (!= )?"?([^"\s]+)"?/.exec(r.text);
          const ok = (m2: RegExpExecArray | null, names: string[]) => !m2 || names.some((n) => (m2[2].endsWith('*') ? n.startsWith(m2[2].slice(0, -1)) : n === m2[2]) !== Boolean(m2[1]));
          if (!ok(iif, [bridge]) || !ok(oif, uplink.names)) continue;
          return { file: r.ref.file, line: r.ref.line, excerpt: r.text, note: `${t.family} ${t.name} ${c.name}: rewrites the MSS of forwarded SYNs` };
        }
      }
    }
  return undefined;
}

/** The stop-gap, safe to paste twice: adds the clamp only where it is missing. */
export const CLAMP_RULE = 'FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu';
export const CLAMP_COMMAND = `iptables -t mangle -C ${CLAMP_RULE} 2>/dev/null || iptables -t mangle -A ${CLAMP_RULE}`;

// ---- findings -----------------------------------------------------------------------------

/** Docker's default bridge, whose MTU dockerd's "mtu" (daemon.json) / --mtu sets. */
const isDefaultBridge = (side: ContainerSide) => side.owner === 'docker' && (side.bridge === 'docker0' || side.network === 'bridge');

const at = (s: DockerdSetting<unknown>) => `${s.ref.file}:${s.ref.line}`;
/** where a setting is, and (for a flag) which command line it was read from */
const where = (s: DockerdSetting<unknown>) => (s.from === 'daemon.json' ? at(s) : `${at(s)}, ${s.note}`);

function settingEvidence(s: DockerdSetting<number>, note: string): Evidence {
  return { file: s.ref.file, line: s.ref.line, excerpt: s.excerpt, note: `${note} (read from ${s.note})` };
}

/**
 * The running dockerd gives docker0 the configured MTU: its command line has it, or docker0 shows it
 * (Docker >= 25 sets the bridge's MTU to the configured one, moby/moby#46849).
 */
function configuredApplied(side: ContainerSide, cfg: DockerdSetting<number>): boolean {
  return cfg.from === 'process' || side.bridgeMtu === cfg.value;
}

const RECREATE_DEFAULT_BRIDGE =
  'docker ps --filter network=bridge   # the containers on the default bridge: recreate each (docker rm -f, then docker run again; or docker compose up -d --force-recreate): a veth keeps the MTU of its creation';

/** What the finding says of dockerd's configured MTU for docker0. */
function configuredPhrase(side: ContainerSide, cfg: DockerdSetting<number> | undefined, uplinkMtu: number): string {
  if (!cfg) return '';
  if (cfg.value > uplinkMtu) return ` dockerd is configured to give the default bridge MTU ${cfg.value} (${where(cfg)}): that setting is too large for the uplink, not missing.`;
  const applied = configuredApplied(side, cfg);
  return (
    ` dockerd is already configured with MTU ${cfg.value} for the default bridge (${where(cfg)}), which fits: ` +
    (applied
      ? `${cfg.from === 'process' ? 'the running dockerd has it' : `docker0 has it (MTU ${cfg.value})`}, so these containers were created before it took effect, and a veth keeps the MTU of its creation: recreate them.`
      : `docker0 shows MTU ${side.bridgeMtu ?? 'unknown'}, so dockerd has not been restarted since it was set (or, before Docker 25, docker0 shows its ports' MTU); either way these containers were created with ${side.mtu}, and a veth keeps the MTU of its creation: restart docker if needed, then recreate them.`)
  );
}

/**
 * docker0 without a container (idle: no veth, no carrier), and dockerd configured with an MTU ("mtu",
 * --mtu) larger than the uplink's: nothing is lost now, but every container started on the default
 * bridge will be too large. Info. Not for Docker's default 1500 when nothing is configured: an idle
 * bridge carries nothing, and a host with Docker installed and unused is healthy (the warning comes
 * when containers run); not with "bridge": "none" or another bridge named (no docker0 of Docker's).
 */
function idleConfiguredFinding(node: string, artifacts: NodeArtifacts, itfs: Map<string, Interface>, uplink: Uplink | undefined, found: readonly FindingDraft[]): FindingDraft | undefined {
  if (!uplink) return undefined;
  const s = dockerdSettings(artifacts.dockerDaemon);
  const cfg = s.mtu;
  if (!cfg || cfg.value <= uplink.mtu || s.rootless) return undefined;
  if (s.bridge && s.bridge.value !== 'docker0') return undefined;
  const br = itfs.get('docker0');
  if (!br || uplink.names.includes('docker0') || found.some((f) => f.facts?.bridge === 'docker0')) return undefined;
  const N = uplink.mtu;
  const dockerRestart = dockerRestartOf(artifacts);
  return {
    severity: 'info',
    title: "Docker's configured MTU larger than the uplink (no container on docker0 yet)",
    message:
      `On ${node}, dockerd is configured to give the default bridge docker0 MTU ${cfg.value} (${where(cfg)}), larger than ${uplinkPhrase(uplink)}. ` +
      `No container is on docker0 now (no veth on it${br.mtu !== undefined ? `; docker0 shows MTU ${br.mtu}` : ''}), so nothing is lost yet; a container started on the default bridge will get MTU ${cfg.value} and advertise a TCP MSS of ${cfg.value - TCP_IP_HEADERS}, ` +
      (N >= ETHERNET_MTU ? 'which only peers with jumbo frames exceed the uplink with.' : 'and its large packets will be lost where PMTU discovery does not work.'),
    impact: `Containers started later on docker0 will use MTU ${cfg.value} over an uplink of ${N}.`,
    evidence: distinctEvidence([...uplink.evidence, itfEvidence(br, `docker0, no container attached: MTU ${br.mtu}`), settingEvidence(cfg, `dockerd gives the default bridge MTU ${cfg.value}, larger than the uplink's ${N}`)]),
    facts: { bridge: 'docker0', idle: true, configuredMtu: cfg.value, configuredFrom: cfg.from, uplink: uplink.names, uplinkMtu: N, uplinkFrom: uplink.from },
    remedy: {
      summary: `Lower dockerd's MTU for the default bridge from ${cfg.value} to ${N} (${at(cfg)}) and restart docker before containers run on docker0.`,
      commands: [
        cfg.from === 'daemon.json'
          ? `# ${dockerRestart.daemonJson} (${at(cfg)}): lower "mtu" from ${cfg.value} to ${N}`
          : `# ${at(cfg)} (${cfg.note}): lower --mtu=${cfg.value} to --mtu=${N}`,
        ...restartDocker({ dockerRestart }),
      ],
      caution: 'Restarting docker restarts every container.',
    },
  };
}

/**
 * Docker bridges with no container now (docker0; a user network's br-<id> that docker network inspect
 * shows) at an MTU above an uplink smaller than 1500, nothing configured that fits the uplink: the
 * containers started next get the bridge's MTU (Docker's 1500) and lose their large packets where PMTU
 * discovery does not work (actions-runner-controller#385: dind's docker0 `UP BROADCAST MULTICAST
 * MTU:1500` over the pod's eth0 `MTU:1450`). An uplink of 1500 or more is left to the active check (a
 * jumbo docker0 over 1500 hurts jumbo peers only, and only once containers run).
 *
 * Not said: where dockerd's "mtu" / --mtu is set (above the uplink: idleConfiguredFinding; at most the
 * uplink: fine, before Docker 25 docker0 shows 1500 whatever is configured), or docker network inspect
 * gives the default bridge an MTU that fits; rootless Docker; `"bridge"` naming another interface.
 *
 * Severity: info (nothing is lost now, and a host with Docker installed and unused loses nothing), warning
 * where the uplink is a Kubernetes pod's interface (its MAC is 0a:58 followed by its IPv4 address, the
 * address CNI's hwaddr package derives: containernetworking/plugins pkg/utils/hwaddr): Docker in a pod is
 * Docker-in-Docker, a CI runner whose build containers start and stop with each job, so an idle docker0
 * there is the moment between builds, not an unused Docker. Never critical: small packets pass, and large
 * ones fail only where PMTU discovery is blocked.
 */
function idleDefaultFindings(node: string, artifacts: NodeArtifacts, itfs: Map<string, Interface>, uplink: Uplink | undefined, found: readonly FindingDraft[]): FindingDraft[] {
  if (!uplink || uplink.mtu >= ETHERNET_MTU) return [];
  const s = dockerdSettings(artifacts.dockerDaemon);
  if (s.rootless) return [];
  const active = new Set(containerSides(artifacts, itfs).map((c) => c.bridge));
  const said = new Set(found.map((f) => f.facts?.bridge));
  const networks = (artifacts.dockerNetworks ?? []).flatMap((d) => d.networks).filter((n) => n.driver === 'bridge' && n.bridgeName);
  const pod = podInterface(uplink, itfs);
  const out: FindingDraft[] = [];
  const N = uplink.mtu;
  for (const br of itfs.values()) {
    if (br.mtu === undefined || br.mtu <= N || active.has(br.name) || said.has(br.name) || uplink.names.includes(br.name)) continue;
    const isDocker0 = br.name === 'docker0';
    const net = networks.find((n) => n.bridgeName === br.name);
    if (!isDocker0 && !(/^br-[0-9a-f]{12}$/.test(br.name) && net)) continue;
    const optText = net?.options['com.docker.network.driver.mtu'];
    const opt = optText !== undefined && /^\d+$/.test(optText) ? Number(optText) : undefined;
    if (opt !== undefined && opt <= N) continue;
    const evidence: Evidence[] = [...uplink.evidence, itfEvidence(br, `${br.name}, no container attached: MTU ${br.mtu}`)];
    if (opt !== undefined && net) evidence.push({ file: net.ref.file, line: net.ref.line, excerpt: `"com.docker.network.driver.mtu": "${optText}"`, note: `docker network ${net.name}: its containers get MTU ${opt}` });
    let configured: string;
    let known: boolean;
    if (isDocker0) {
      if (s.mtu || (s.bridge && s.bridge.value !== 'docker0')) continue;
      const json = (artifacts.dockerDaemon ?? []).find((c) => (c.origin ?? 'daemon.json') === 'daemon.json');
      const version = dockerVersion(artifacts);
      const v25 = version !== undefined && version.numbers[0] >= 25;
      const shown: string[] = [];
      if (json) shown.push(`${json.file} has no "mtu"`);
      if (s.commandLine) {
        shown.push(`dockerd's command line (${s.commandLine.ref.file}:${s.commandLine.ref.line}) has no --mtu`);
        evidence.push({ file: s.commandLine.ref.file, line: s.commandLine.ref.line, excerpt: s.commandLine.excerpt, note: "dockerd's command line: no --mtu" });
      }
      if (opt !== undefined) shown.push(`docker network inspect gives the default bridge network MTU ${opt}`);
      if (v25) {
        shown.push(`Docker ${version.version} sets docker0's MTU to the configured one`);
        evidence.push(version.evidence);
      }
      known = shown.length > 0;
      configured = known
        ? `Nothing sets Docker's MTU, so it is the default 1500: ${shown.join('; ')}.`
        : `The bundle has neither /etc/docker/daemon.json nor dockerd's command line, so it does not show whether Docker's "mtu" is set (before Docker 25 an idle docker0 shows 1500 whatever is configured): if it is already ${N} or less, this does not apply.`;
    } else {
      known = true;
      configured = opt !== undefined ? `Docker network ${net!.name} is created with MTU ${opt}.` : `Docker network ${net!.name} has no com.docker.network.driver.mtu option, so its containers get 1500.`;
    }
    const mtu = opt ?? (isDocker0 ? ETHERNET_MTU : br.mtu);
    if (mtu <= N) continue;
    if (pod) evidence.push(itfEvidence(pod.itf, `${pod.itf.name}'s MAC ${pod.mac} is 0a:58 followed by its address ${pod.address}: the MAC Kubernetes' CNI gives a pod's interface`));
    const who = isDocker0 ? 'docker0' : `${br.name} (docker network ${net!.name})`;
    const dockerRestart = dockerRestartOf(artifacts);
    const commands: string[] = isDocker0
      ? [
          `# ${dockerRestart.daemonJson}: add "mtu": ${N} (the default bridge docker0), e.g. { "mtu": ${N} }`,
          `#   and for user networks created later (Docker 24+): "default-network-opts": { "bridge": { "com.docker.network.driver.mtu": "${N}" } }`,
          ...(pod ? [`# Docker-in-Docker: start the inner dockerd with --mtu=${N} (actions-runner-controller: the runner's dockerMTU: ${N}; docker:dind service: command: ["--mtu=${N}"])`] : []),
          ...restartDocker({ dockerRestart }, 'then recreate the containers created before: a veth keeps the MTU of its creation'),
        ]
      : [
          `docker network inspect ${net!.name}   # note its subnet and options, then recreate it with the MTU (its containers must be detached first)`,
          `docker network rm ${net!.name} && docker network create -o com.docker.network.driver.mtu=${N} <same options> ${net!.name}`,
        ];
    out.push({
      severity: pod ? 'warning' : 'info',
      title: pod ? "Docker-in-Docker's bridge MTU larger than the pod's interface" : "Docker's bridge MTU larger than the uplink (no container on it now)",
      message:
        `On ${node}, ${who} has MTU ${br.mtu}, larger than ${uplinkPhrase(uplink)}. ` +
        `No container is on ${br.name} now (no veth on it), so nothing is lost at this moment, but every container started on it gets MTU ${mtu} and advertises a TCP MSS of ${mtu - TCP_IP_HEADERS}: ` +
        `its packets over ${N} bytes are dropped where PMTU discovery does not work (ICMP "fragmentation needed" filtered), so ping and small requests work while TLS handshakes, git clone, apt-get, pip and docker build hang. ${configured}` +
        (pod
          ? ` ${pod.itf.name}'s MAC (${pod.mac}) is the one Kubernetes' CNI derives from its address ${pod.address}: this Docker runs inside a pod (Docker-in-Docker, such as a CI runner), whose build containers start and stop with each job, so ${br.name} is idle between builds.`
          : ''),
      impact: `Containers started on ${br.name} will lose packets over ${N} bytes where PMTU discovery does not work: downloads and TLS connections hang.`,
      evidence: distinctEvidence(evidence),
      facts: { bridge: br.name, network: net?.name, idle: true, bridgeMtu: br.mtu, containerMtu: mtu, uplink: uplink.names, uplinkMtu: N, uplinkFrom: uplink.from, configKnown: known, pod: pod !== undefined },
      remedy: {
        summary: isDocker0
          ? `Give Docker the uplink's MTU (${N}): "mtu": ${N} in /etc/docker/daemon.json (or dockerd --mtu=${N}${pod ? ', for Docker-in-Docker the runner\'s MTU setting' : ''}), com.docker.network.driver.mtu=${N} for user networks, then restart docker and recreate the containers (an existing veth keeps its MTU).`
          : `Recreate docker network ${net!.name} with com.docker.network.driver.mtu=${N}, then its containers.`,
        commands,
        caution: 'Restarting docker restarts every container; recreating a network detaches its containers.',
      },
    });
  }
  return out;
}

/** The uplink is a Kubernetes pod's interface: its MAC is 0a:58 + its IPv4 address (CNI's hwaddr.GenerateHardwareAddr4). */
function podInterface(uplink: Uplink, itfs: Map<string, Interface>): { itf: Interface; mac: string; address: string } | undefined {
  for (const name of uplink.names) {
    const i = itfs.get(name);
    const mac = i?.mac?.toLowerCase();
    if (!i || !mac) continue;
    for (const a of i.addresses) {
      if (a.family !== 4) continue;
      const derived = ['0a', '58', ...a.address.split('.').map((o) => Number(o).toString(16).padStart(2, '0'))].join(':');
      if (mac === derived) return { itf: i, mac, address: a.address };
    }
  }
  return undefined;
}

/**
 * What the check could not compare, for the coverage line: Docker/CNI/Podman bridges in the listing,
 * but no uplink to judge them against, or no MTU for them.
 */
function uncompared(artifacts: NodeArtifacts, itfs: Map<string, Interface>, uplink: Uplink | undefined): { what: string; missing?: ('routes' | 'ipAddr')[] } | undefined {
  const bridges = [...itfs.values()].filter((i) => CONTAINER_BRIDGE.test(i.name));
  if (bridges.length === 0) return undefined;
  const names = bridges.map((b) => b.name).join(', ');
  if (!uplink) {
    const routes = (artifacts.routes ?? []).flatMap((t) => t.routes).filter(mainIpv4);
    const def = routes.find((r) => r.destination === '0.0.0.0/0' || r.destination === '0.0.0.0/1');
    if (def?.dev) {
      const dev = itfs.get(def.dev);
      return { what: `could not compare MTUs: the default route's interface ${def.dev} (${def.ref.file}:${def.ref.line}) ${dev ? 'has no MTU in' : 'is not in'} the interface listing, so ${names} ${bridges.length > 1 ? 'were' : 'was'} not checked against the way out; collect ip addr` , missing: ['ipAddr'] };
    }
    return {
      what: `could not compare MTUs: the bundle has ${artifacts.routes?.length ? 'no default route' : 'no routes (ip route)'} and no interface up besides container ones, so the way out of ${names} and its MTU are unknown; collect ip route and ip addr`,
      missing: artifacts.routes?.length ? undefined : ['routes'],
    };
  }
  const unknown = bridges.filter((b) => b.mtu === undefined && !uplink.names.includes(b.name));
  if (unknown.length > 0) return { what: `could not compare MTUs: the listing shows no MTU for ${unknown.map((b) => `${b.name} (${b.ref.file}:${b.ref.line})`).join(', ')}; collect ip addr (not ip -brief)`, missing: ['ipAddr'] };
  return undefined;
}

function uplinkPhrase(u: Uplink): string {
  if (u.from === 'route') return `${u.names[0]} (MTU ${u.mtu}), the interface of the default route`;
  return u.names.length === 1
    ? `${u.names[0]} (MTU ${u.mtu}), the only interface up besides container ones (the bundle has no default route)`
    : `every interface that could be the way out (${u.names.join(', ')}: MTU ${u.mtu} at most; the bundle has no default route)`;
}

function bridgeFinding(node: string, artifacts: NodeArtifacts, side: ContainerSide, uplink: Uplink): FindingDraft {
  const clamp = mssClamp(artifacts, side.bridge, uplink);
  // dockerd's "mtu" / --mtu: the default bridge's only (user networks take com.docker.network.driver.mtu)
  const cfg = isDefaultBridge(side) ? dockerdSettings(artifacts.dockerDaemon).mtu : undefined;
  const jumboOnly = uplink.mtu >= ETHERNET_MTU;
  const N = uplink.mtu;
  const what = side.owner === 'cni' ? 'pods' : 'containers';
  const who = `${side.bridge}${side.network ? ` (docker network ${side.network})` : ''}`;
  const message =
    `On ${node}, ${what} on ${who} use MTU ${side.mtu}, larger than ${uplinkPhrase(uplink)}: ` +
    (jumboOnly
      ? `they advertise a TCP MSS of ${side.mtu - TCP_IP_HEADERS}; peers on ${ETHERNET_MTU}-byte networks are unaffected, but a peer with jumbo frames sends packets over ${N} bytes that the uplink cannot take.`
      : `their packets over ${N} bytes are dropped or need PMTU discovery, and the TCP MSS they advertise (${side.mtu - TCP_IP_HEADERS}) makes peers send segments the uplink cannot carry: small requests and ping work, TLS handshakes and downloads stall where ICMP "fragmentation needed" is filtered.`) +
    (clamp ? ` A TCPMSS rule clamps forwarded TCP (${clamp.file}:${clamp.line}): TCP is covered, UDP is not.` : '') +
    configuredPhrase(side, cfg, N);
  const dockerRestart = dockerRestartOf(artifacts);
  const commands: string[] = [];
  if (side.owner === 'docker') {
    if (cfg && cfg.value > N)
      commands.push(
        cfg.from === 'daemon.json'
          ? `# ${dockerRestart.daemonJson} (${at(cfg)}): lower "mtu" from ${cfg.value} to ${N} (the default bridge docker0 only)`
          : `# ${at(cfg)} (${cfg.note}): lower --mtu=${cfg.value} to --mtu=${N} (the default bridge docker0 only)`,
        `#   and for user networks created later: "default-network-opts": { "bridge": { "com.docker.network.driver.mtu": "${N}" } }`,
        ...restartDocker({ dockerRestart }, 'then recreate the containers: an existing veth keeps its MTU'),
      );
    else if (cfg)
      commands.push(
        ...(configuredApplied(side, cfg) ? [] : restartDocker({ dockerRestart }, `dockerd reads its MTU (${cfg.value}) when it starts`)),
        RECREATE_DEFAULT_BRIDGE,
      );
    else if (isDefaultBridge(side))
      commands.push(
        `# ${dockerRestart.daemonJson}: add "mtu": ${N} (the default bridge docker0 only)`,
        `#   and for user networks created later: "default-network-opts": { "bridge": { "com.docker.network.driver.mtu": "${N}" } }`,
        ...restartDocker({ dockerRestart }, 'then recreate the containers: an existing veth keeps its MTU'),
      );
    else {
      const net = side.network ?? '<network>';
      commands.push(
        `docker network inspect ${net}   # note its subnet and options, then recreate it with the MTU (its containers must be detached first)`,
        `docker network rm ${net} && docker network create -o com.docker.network.driver.mtu=${N} <same options> ${net}`,
        `# compose: networks: { ${net === '<network>' ? 'default' : net}: { driver_opts: { com.docker.network.driver.mtu: ${N} } } }, then docker compose up -d --force-recreate`,
      );
    }
  } else if (side.owner === 'podman') {
    commands.push(`podman network create --opt mtu=${N} <name>   # Podman networks take their MTU at creation: recreate the network (or set it in containers.conf for the default one) and its containers`);
  } else {
    commands.push(`# set the CNI bridge's MTU to at most ${N} (the "mtu" of the bridge plugin in /etc/cni/net.d/*.conflist, or your CNI's MTU setting), then recreate the pods on ${node}`);
  }
  if (!clamp) commands.push(`# stop-gap for TCP until then (persist it with your firewall's rules): clamp the MSS of forwarded SYNs to the route's MTU`, CLAMP_COMMAND);
  const evidence = distinctEvidence([
    ...uplink.evidence,
    ...side.evidence,
    ...(cfg ? [settingEvidence(cfg, cfg.value > N ? `dockerd gives the default bridge MTU ${cfg.value}, larger than the uplink's ${N}` : `dockerd gives the default bridge MTU ${cfg.value}, which fits the uplink's ${N}: the containers predate it`)] : []),
    ...(clamp ? [clamp] : []),
  ]);
  return {
    severity: clamp || jumboOnly ? 'info' : 'warning',
    title: jumboOnly ? 'Container MTU larger than the uplink (jumbo peers only)' : 'Container MTU larger than the way out',
    message,
    impact: jumboOnly
      ? 'Only traffic with peers that use jumbo frames can lose its large packets.'
      : `Large packets of the ${what} on ${side.bridge} are lost where PMTU discovery does not work: connections hang after the handshake or in the middle of transfers.`,
    evidence,
    facts: { bridge: side.bridge, network: side.network, containerMtu: side.mtu, uplink: uplink.names, uplinkMtu: N, uplinkFrom: uplink.from, mssClamp: clamp !== undefined, ...(cfg ? { configuredMtu: cfg.value, configuredFrom: cfg.from } : {}) },
    remedy: {
      summary:
        cfg && cfg.value > N
          ? `Lower dockerd's MTU for the default bridge from ${cfg.value} to the uplink's (${N}) where it is set (${at(cfg)}), restart docker, and recreate the containers on docker0.${clamp ? '' : ' Until then, clamp the TCP MSS of forwarded SYNs.'}`
          : cfg
            ? `dockerd is already configured with MTU ${cfg.value}, which fits the uplink: ${configuredApplied(side, cfg) ? '' : 'restart docker if it has not been since, then '}recreate the containers on docker0, which kept the MTU of their creation.${clamp ? '' : ' Until then, clamp the TCP MSS of forwarded SYNs.'}`
            : side.owner === 'docker'
          ? `Give Docker's ${side.bridge === 'docker0' ? 'default bridge' : 'network'} the uplink's MTU (${N}): "mtu": ${N} in daemon.json for docker0, com.docker.network.driver.mtu=${N} for a user network; containers get it when they are recreated.${clamp ? '' : ' Until then, clamp the TCP MSS of forwarded SYNs.'}`
          : `Give the ${side.owner === 'cni' ? 'CNI' : 'Podman'} network an MTU of at most ${N}, then recreate its ${what}.${clamp ? '' : ' Until then, clamp the TCP MSS of forwarded SYNs.'}`,
      commands,
      caution: 'Restarting docker restarts every container; recreating a network detaches its containers. The TCPMSS rule covers TCP only, and is lost at reboot unless the firewall configuration keeps it.',
    },
  };
}

/** flannel: pods' MTU vs flannel.1 / FLANNEL_MTU, and flannel.1 vs its underlay. */
/** `commandNode`: the node's name in kubectl commands (<NODE> where the bundle names no host) */
function flannelFindings(node: string, artifacts: NodeArtifacts, itfs: Map<string, Interface>, uplink: Uplink | undefined, commandNode = node): FindingDraft[] {
  const out: FindingDraft[] = [];
  const vx = [...itfs.values()].find((i) => /^flannel\.\d+$/.test(i.name) && i.mtu !== undefined);
  const env = (artifacts.flannelSubnetEnv ?? []).find((e) => e.mtu !== undefined && Number.isFinite(e.mtu.value));
  const envMtu = env?.mtu;
  const runner = () => flannelRunner(commandNode, artifacts);
  // flannel.1 against its underlay: the vxlan's dev (ip -d), else the uplink
  if (vx && (!vx.kind || vx.kind === 'vxlan')) {
    const under = vx.vxlan?.dev ? itfs.get(vx.vxlan.dev) : undefined;
    const underMtu = under?.mtu ?? uplink?.mtu;
    const underEvidence = under ? [itfEvidence(under, `${under.name}, flannel.1's underlay (vxlan dev): MTU ${under.mtu}`)] : uplink?.evidence ?? [];
    if (underMtu !== undefined && vx.mtu! > underMtu - VXLAN_OVERHEAD && (under || uplink)) {
      const want = underMtu - VXLAN_OVERHEAD;
      const r = runner();
      out.push({
        severity: 'warning',
        title: 'flannel.1 leaves no room for the VXLAN header',
        message: `On ${node}, flannel.1 has MTU ${vx.mtu}, but its underlay ${under ? under.name : uplinkPhrase(uplink!)} carries ${underMtu}: VXLAN adds ${VXLAN_OVERHEAD} bytes, so flannel.1 must be at most ${want}. Pod packets over ${want} bytes between nodes are dropped or fragmented. flannel sets ${want} itself when it starts: the underlay's MTU changed since, or flannel's MTU was set by hand.`,
        impact: 'Large pod-to-pod packets across nodes are lost where fragments or ICMP are dropped: connections between pods on different nodes stall.',
        evidence: distinctEvidence([...underEvidence, itfEvidence(vx, `flannel.1 (VXLAN): MTU ${vx.mtu}`), ...(envMtu ? [{ file: envMtu.ref.file, line: envMtu.ref.line, excerpt: envMtu.excerpt, note: 'the MTU flannel gives pods' }] : [])]),
        facts: { flannelMtu: vx.mtu, underlay: under?.name ?? uplink?.names, underlayMtu: underMtu, expected: want },
        remedy: {
          summary: `Restart flannel (${r.name}) so it recomputes its MTU from the underlay (${want}), then recreate the pods on ${node}; or remove a hand-set MTU from flannel's configuration.`,
          commands: [...r.restart, `ip -d link show flannel.1   # afterwards: mtu ${want}`, `cat /run/flannel/subnet.env   # FLANNEL_MTU=${want}`],
          caution: 'Pods keep the MTU they were created with until they are recreated.',
        },
      });
    }
  }
  // the pods' MTU (cni0's veths, else cni0 with carrier) against flannel.1 and FLANNEL_MTU
  const limits: { mtu: number; evidence: Evidence }[] = [];
  if (vx) limits.push({ mtu: vx.mtu!, evidence: itfEvidence(vx, `flannel.1, the overlay between nodes: MTU ${vx.mtu}`) });
  if (envMtu) limits.push({ mtu: envMtu.value, evidence: { file: envMtu.ref.file, line: envMtu.ref.line, excerpt: envMtu.excerpt, note: 'the MTU flannel gives pods' } });
  if (limits.length === 0) return out;
  const side = containerSides(artifacts, itfs).find((s) => s.bridge === 'cni0');
  const limit = Math.min(...limits.map((l) => l.mtu));
  if (side && side.mtu > limit) {
    const clamp = uplink ? mssClamp(artifacts, 'cni0', { ...uplink, names: [...uplink.names, ...(vx ? [vx.name] : [])] }) : undefined;
    const r = runner();
    out.push({
      // the node itself sends "fragmentation needed" to its own pod for a packet too large for flannel.1, and a pod
      // at flannel's MTU on the other end advertises an MSS that fits: unlike the uplink case, TCP mostly copes
      severity: 'info',
      title: "Pods' MTU larger than flannel's",
      message: `On ${node}, pods on cni0 use MTU ${side.mtu}, larger than ${limits.map((l) => (l.evidence.excerpt.startsWith('FLANNEL') ? `FLANNEL_MTU (${l.mtu})` : `flannel.1 (MTU ${l.mtu})`)).join(' and ')}: their packets over ${limit} bytes to pods on other nodes need PMTU discovery (the node answers "fragmentation needed" itself), and UDP datagrams over ${limit} bytes are fragmented or dropped. flannel's CNI plugin gives pods FLANNEL_MTU: a fixed "mtu" in the CNI configuration, or pods created before flannel's MTU changed, differ.${clamp ? ` A TCPMSS rule clamps forwarded TCP (${clamp.file}:${clamp.line}).` : ''}`,
      impact: 'Large UDP datagrams between pods on different nodes are lost; TCP relies on PMTU discovery at the node.',
      evidence: distinctEvidence([...side.evidence, ...limits.map((l) => l.evidence), ...(clamp ? [clamp] : [])]),
      facts: { bridge: 'cni0', podMtu: side.mtu, flannelMtu: vx?.mtu, flannelEnvMtu: envMtu?.value },
      remedy: {
        summary: `Let the pods take flannel's MTU (${limit}): remove a fixed "mtu" from the CNI configuration (/etc/cni/net.d/10-flannel.conflist) or set it to ${limit}, restart flannel (${r.name}), then recreate the pods on ${node}.`,
        commands: ['grep -n mtu /etc/cni/net.d/*.conflist /etc/cni/net.d/*.conf /run/flannel/subnet.env', ...r.restart, `# then recreate the pods on ${node} (kubectl delete pod ... or roll their deployments): a pod keeps the MTU of its creation`],
        caution: 'Recreating pods interrupts them.',
      },
    });
  }
  return out;
}
