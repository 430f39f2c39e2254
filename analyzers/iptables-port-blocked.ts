/**
 * iptables.port-blocked: a port the application needs is dropped or rejected between its
 * containers and the host (e.g. a default-deny INPUT blocks 5432/6379/11211 on docker0).
 * Which ports are needed comes from the bundle: connection refused / timed out lines that a
 * container wrote (not the host's own daemons) naming its peer's TCP port, ports Docker publishes
 * (DNAT rules), services listening on a container network's gateway address (`ss -ltn`), and
 * --require-port. Each is traced from every container network:
 * to the address a log line names when it names one (one of the node's own addresses: the INPUT
 * path; any other: the FORWARD path, out of the interface its route says), else to the host's
 * address on that network. The blocking rule is named, and what a client sees of it (a DROP
 * times out, a REJECT with tcp-reset / port-unreachable is "connection refused", one with
 * icmp-host-prohibited is "no route to host") is checked against what the log says.
 *
 * IPv6 the same way, through the ip6tables rules (and nft ip6 / inet tables), from the IPv6 side of
 * each container network (the bridge's or cni0's global or ULA gateway): a log line naming an IPv6
 * peer (`dial tcp [fd00:1::5]:5432`, Node's `connect ETIMEDOUT 2001:db8::10:443`), a service bound to
 * a bridge's IPv6 address, Docker's IPv6 published ports and --require-port. A REJECT with
 * icmp6-adm-prohibited (firewalld's `icmpx admin-prohibited`) is "Permission denied" to a client.
 * Link-local (fe80::/10) and ::1 peers are the host itself, as 127.0.0.0/8 is: no bridge is crossed.
 * Without IPv6 rules in the bundle, the IPv6 peers are not checked and the coverage says so.
 */
import { nftDropCutNote } from './lib/nft-cut.js';
import { defineAnalyzer, type FindingDraft, type Partly } from '../src/engine/analyzer.js';
import type { Evidence } from '../src/report/schema.js';
import { findChain, matchOption, type Chain, type Rule, type Ruleset } from '../src/netfilter/rules.js';
import { trace, type Packet, type TraceContext, type Verdict } from '../src/netfilter/trace.js';
import { ICMP6_NEIGHBOUR_SOLICITATION } from '../src/netfilter/icmp.js';
import { iptablesTool } from '../src/netfilter/commands.js';
import { addressIn, cidrContains, formatCidr, isLinkLocal6, parseCidr, parseIp } from '../src/parsers/cidr.js';
import { interfacesOf, type Address } from '../src/parsers/interfaces.js';
import type { NodeArtifacts } from '../src/engine/artifacts.js';
import type { LogMatch } from '../src/logs/index.js';
import { routeDevFor, ruleSpec } from './lib/container-host.js';
import { dockerBridges, dockerBridgesFromRules, liveIpv4, liveIpv6, liveTables, liveViews6, localAddresses, nativeNftables, notePartialNft, traceContext, traceContext6, uplinkOf } from './lib/node-view.js';
import { connectionSymptom, fromContainer, symptomFits, timeOf, type ConnectionSymptom } from './lib/logs.js';
import { distinctEvidence } from './lib/evidence.js';
import { hostFirewall, persistNft } from './lib/host-firewall.js';
import { savedConfigHostPath, ufwRulesFile } from '../src/layouts/rules.js';
import { dockerRestartOf, restartDocker, type DockerRestart } from './lib/node-services.js';

/** What a client prints when its connection meets a verdict. */
type Symptom = ConnectionSymptom;
const SAYS: Record<Symptom, string> = { refused: '"Connection refused"', timeout: 'a timeout', unreachable: '"No route to host"', prohibited: '"Permission denied" (EACCES)', answered: 'an answer at once (curl\'s "Couldn\'t connect to server" within a second: refused or rejected)' };

/**
 * DROP: no answer; REJECT tcp-reset / port-unreachable: ECONNREFUSED; the other ICMP errors (host-prohibited, admin-prohibited, net-/host-unreachable): EHOSTUNREACH / ENETUNREACH.
 * For IPv6 (`family` 6) the kernel turns ICMPv6 administratively-prohibited, failed-policy and reject-route into EACCES (icmpv6_err_convert).
 */
export function symptomOf(v: Verdict, family: 4 | 6 = 4): Symptom | undefined {
  if (v.kind === 'DROP') return 'timeout';
  if (v.kind !== 'REJECT') return undefined;
  if (/tcp[- ]reset|port-unreach|proto(?:col)?-unreach/i.test(v.with)) return 'refused';
  if (family === 6 && /adm(?:in)?-prohibited|policy-fail|reject-route/i.test(v.with)) return 'prohibited';
  return 'unreachable';
}

/** Why a port is needed, and where to when a log line names the peer. */
interface Need {
  why: Evidence;
  /** the address the log line names (psql's "(10.20.30.40)", a host that is an address), of the family it is traced in */
  to?: string;
  /** what the client printed */
  symptom?: Symptom;
  /** the name the log line gives, when it is not an address */
  host?: string;
  /** only that Docker publishes the port (a DNAT rule): not that anything in a container connects to it */
  published?: boolean;
}

interface Blocked {
  from: string;
  bridge: string;
  dst: string;
  /** dst is the host's own address on the source bridge (the traditional container -> host path) */
  gateway: boolean;
  /** the connection ends on this node (its address, or a DNAT to one): INPUT, not FORWARD */
  toHost: boolean;
  family: 4 | 6;
  rule: Evidence;
  verdict: Verdict;
  text: string;
  chain: string;
  table: string;
  num: number;
  /** the rule's text in iptables-save form, when the dump gave it (to find it in a saved config) */
  spec?: string;
  /**
   * forwarded (dst not an address of this node): the peer's reply, traced back in from where the SYN
   * left to the bridge, is not accepted either (a final `-A FORWARD -j REJECT` catches it too), so
   * accepting the SYN alone still leaves the connection to time out
   */
  replyBlocked?: { table: string; chain: string; num: number; spec?: string };
  nft?: { family: string; table: string };
  /**
   * a DNAT on the way (a Service's ClusterIP, a published port) rewrote the destination before the
   * filter rules saw it: what they match, and so what an ACCEPT must name
   */
  via?: { dst: string; port: number };
  /** IPv6: where the rules also stop the neighbour discovery the connection depends on (the bridge's side, the way out's) */
  nd?: NdBlock[];
  /** IPv6: the port itself is accepted; only the neighbour discovery it depends on is not */
  portAccepted?: boolean;
  /** the packet that was blocked, and the path it took (to trace a proposed fix before proposing it) */
  probe?: { path: 'input' | 'forward'; packet: Packet };
}

/**
 * Where the host's INPUT rules stop the neighbour discovery between the host and a neighbour on one
 * interface (ICMPv6 135 solicitations to the solicited-node group, 136 advertisements; conntrack
 * leaves both untracked): a container on its bridge, which resolves the host's address there before
 * its first packet, or the next hop on the way out, whose advertisement the host needs to forward.
 */
interface NdBlock {
  /** the interface (the bridge, or the way out) */
  itf: string;
  /** the message the connection cannot do without is stopped (the container's solicitation, the next hop's advertisement): every IPv6 connection that way fails with "No route to host" */
  fatal: boolean;
  table: string;
  chain: string;
  num: number;
  spec?: string;
  nft?: { family: string; table: string };
  verdict: Verdict;
  text: string;
  rule: Evidence;
}

/** The destination and port the filter rules see for a blocked connection (after any DNAT). */
function seenAs(b: Blocked, port: number): { dst?: string; port: number } {
  return b.via ? { dst: b.via.dst, port: b.via.port } : { dst: b.gateway ? undefined : b.dst, port };
}

export default defineAnalyzer({
  id: 'iptables.port-blocked',
  title: 'A port the application needs is blocked',
  description: 'A port named by the logs, published by Docker, served on a bridge address (ss -ltn) or required (--require-port) is dropped or rejected from a container network, by iptables or by a native nftables table (firewalld); over IPv6 too, through the ip6tables rules.',
  scope: 'node',
  requires: [],
  // the rules decide; without ip addr Docker's networks and the host's address on them are read from Docker's rules
  requiresOneOf: ['iptables', 'nftables'],
  optional: ['iptables', 'nftables', 'ipAddr', 'logs', 'sockets', 'dockerNetworks', 'routes', 'ipsets', 'services', 'dockerDaemon', 'ufwStatus'],
  analyze({ node, artifacts, options, partly }) {
    const needs = needsOf(artifacts, options.requiredPorts);
    const [v4, v6] = [portFindings(node, artifacts, 4, needs, partly), portFindings(node, artifacts, 6, needs, partly)];
    const findings = [...v4.findings, ...v6.findings, ...quietFinding(node, [...v4.quiet, ...v6.quiet])];
    const ports = [...new Set([...needs.byFamily[4].keys(), ...needs.byFamily[6].keys()])];
    if (findings.length === 0 && ports.length > 0) notePartialNft(artifacts, partly, `port${ports.length > 1 ? 's' : ''} ${ports.join(', ')}`);
    return findings;
  },
});

/** A container network the ports are traced from: the bridge, the host's address on it (of one family) and its subnets. */
interface Source {
  name: string;
  gateway?: Address;
  subnets: string[];
  /** read from the rules (no ip addr): where the network was read, and that the host's address on it is Docker's default */
  assumed?: { namedBy: Evidence; gatewayFrom: 'docker network inspect' | 'first address' };
}

/** A global or unique-local IPv6 address: not link-local, not ::1. */
const routable6 = (a: Address) => a.family === 6 && !isLinkLocal6(a.address) && a.scope !== 'host' && a.scope !== 'link';

/**
 * Without ip addr: Docker's networks as its own rules (or docker network inspect) give them, the host's
 * address on each being the gateway inspect names, else the first address of the subnet (what Docker
 * gives its bridge unless told otherwise). A bridge whose subnet the rules do not give is left out.
 */
function ruleSources(artifacts: NodeArtifacts, family: 4 | 6): Source[] {
  const networks = (artifacts.dockerNetworks ?? []).flatMap((d) => d.networks);
  const out: Source[] = [];
  for (const b of dockerBridgesFromRules(artifacts, family)) {
    const s = b.subnets[0];
    const c = s ? parseCidr(s.cidr) : undefined;
    if (!s || !c || c.prefix > (family === 6 ? 126 : 30)) continue;
    const inspected = networks.find((n) => n.bridgeName === b.name)?.subnets.find((x) => x.subnet === s.cidr && x.gateway)?.gateway?.split('/')[0];
    const address = inspected ?? formatCidr({ ...c, network: c.network + 1n, prefix: family === 6 ? 128 : 32 }).replace(/\/(32|128)$/, '');
    const gateway: Address = { family, cidr: `${address}/${c.prefix}`, address, prefix: c.prefix, network: s.cidr, flags: [], ref: { file: s.evidence.file, line: s.evidence.line }, excerpt: s.evidence.excerpt };
    out.push({ name: b.name, gateway, subnets: b.subnets.map((x) => x.cidr), assumed: { namedBy: b.namedBy, gatewayFrom: inspected ? 'docker network inspect' : 'first address' } });
  }
  return out;
}

/** The container networks of one family: Docker's bridges and cni0, with the host's address on each. */
function sourcesOf(artifacts: NodeArtifacts, family: 4 | 6): Source[] {
  if (interfacesOf(artifacts.ipAddr ?? []).size === 0) return ruleSources(artifacts, family);
  const own = (a: Address) => (family === 4 ? a.family === 4 : routable6(a));
  const sources: Source[] = dockerBridges(artifacts, family).map((b) => ({ name: b.name, gateway: b.itf?.addresses.find(own), subnets: b.subnets.map((x) => x.cidr) }));
  const cni0 = interfacesOf(artifacts.ipAddr ?? []).get('cni0');
  if (cni0) sources.push({ name: 'cni0', gateway: cni0.addresses.find(own), subnets: cni0.addresses.filter(own).map((a) => a.network) });
  return sources;
}

/** The log lines, ports and listeners that say a port is needed, per family (an address says its family; a port alone is traced in both where the network has both). */
interface Needs {
  byFamily: Record<4 | 6, Map<number, Need[]>>;
  /** every connection log line taken as a need, with the port and destination it was traced as (the lines a finding explains, for the correlation) */
  logLines: { ref: string; port: number; to: string; symptom?: Symptom; family: 4 | 6 }[];
}

function needsOf(artifacts: NodeArtifacts, requiredPorts: number[]): Needs {
  const byFamily: Needs['byFamily'] = { 4: new Map(), 6: new Map() };
  const add = (families: (4 | 6)[], port: number, need: Need) => {
    if (!Number.isInteger(port) || port < 1 || port > 65535) return;
    for (const f of families) {
      const list = byFamily[f].get(port) ?? byFamily[f].set(port, []).get(port)!;
      if (list.length < 4) list.push(need);
    }
  };
  for (const p of requiredPorts) add([4, 6], p, { why: { file: '(--require-port)', line: 0, excerpt: `port ${p} is an installation requirement`, note: 'required' } });
  const logLines: Needs['logLines'] = [];
  for (const log of artifacts.logs ?? [])
    for (const m of log.matches) {
      // curl's "Couldn't connect to server" after some seconds: a need whose symptom is not told
      const symptom = connectionSymptom(m);
      if ((!symptom && m.signature !== 'log.connection-failed') || !fromContainer(m)) continue;
      const peer = peerOf(m);
      if (!peer) continue;
      // the trace walks TCP; a DNS lookup goes over UDP unless the line says otherwise
      if ((m.facts.protocol ?? (m.facts.lookup ? 'udp' : 'tcp')) !== 'tcp') continue;
      const named = peer.address;
      const host = peer.host && peer.host !== named && parseIp(peer.host) === undefined ? peer.host : undefined;
      // a container's localhost is its own network namespace, a host process's is lo: neither crosses a
      // bridge; nor does a link-local peer (fe80::/10: on the container's own link, the host's address there)
      if ((named && (addressIn(named, '127.0.0.0/8') || named === '::1' || isLinkLocal6(named))) || (!named && host && /^(localhost|ip6-localhost)$/i.test(host))) continue;
      const family: 4 | 6 = named?.includes(':') ? 6 : 4;
      const port = Number(peer.port);
      if (Number.isInteger(port) && port >= 1 && port <= 65535) logLines.push({ ref: `${m.file}:${m.line}`, port, to: named ?? '', symptom, family });
      const shown = `${m.facts.host ?? ''}${m.facts.address && m.facts.address !== m.facts.host ? ` (${m.facts.address})` : ''}` || (named ? hostPort(named) : '');
      add([family], port, {
        why: { file: m.file, line: m.line, excerpt: m.excerpt, ...timeOf(m), note: `the application could not reach ${shown ? shown + ':' : 'port '}${peer.port}` },
        to: named,
        host,
        symptom,
      });
    }
  // Docker's published ports: DNAT rules of its nat DOCKER chain (kube-proxy's KUBE-SEP DNATs are not ports the host serves), of each family
  for (const [family, rulesets] of [
    [4, liveIpv4(artifacts)],
    [6, liveIpv6(artifacts)],
  ] as const)
    for (const rs of rulesets)
      for (const r of findChain(rs, 'nat', 'DOCKER')?.rules ?? [])
        if (r.target === 'DNAT') {
          const dport = matchOption(r, 'tcp', 'dport')?.value;
          if (!dport || !/^\d+$/.test(dport)) continue;
          // the host address the port is published on (`-p 10.20.0.5:9100:9100` writes `-d 10.20.0.5/32`): a
          // container reaches it there, not on its bridge's gateway; one published on 127.0.0.1 or ::1
          // (`-p 127.0.0.1:8080:80`) is the host's own: no container and no other host can use it
          const bound = boundAddress(r);
          if (bound === null) continue;
          add([family], Number(dport), { why: { file: r.ref.file, line: r.ref.line, excerpt: r.text, note: `Docker publishes port ${dport}${bound ? ` on ${bound}` : ''}${family === 6 ? ' (IPv6)' : ''}` }, published: true, ...(bound ? { to: bound } : {}) });
        }
  // A service bound to a container network's own gateway address is there for the containers
  // (postgres on 172.17.0.1:5432). Wildcard listeners (sshd on 0.0.0.0:22) say nothing of what
  // the containers need: they only corroborate a port named by something else.
  const sources = { 4: sourcesOf(artifacts, 4), 6: sourcesOf(artifacts, 6) };
  for (const l of (artifacts.sockets ?? []).flatMap((x) => x.sockets)) {
    if (l.proto !== 'tcp') continue;
    const address = canonical(l.address) ?? l.address;
    const family: 4 | 6 = address.includes(':') ? 6 : 4;
    const s = sources[family].find((x) => x.gateway?.address === address);
    if (s) add([family], l.port, { why: { file: l.ref.file, line: l.ref.line, excerpt: l.excerpt, note: `${l.process ?? 'a process'} listens on ${hostPort(address, l.port)}, the address of ${s.name}: it serves the containers` } });
  }
  return { byFamily, logLines };
}

/**
 * The address a published port's DNAT is bound to (its `-d`, one address): undefined for every
 * address (no `-d`, a network, a negated one), null for a loopback one (127.0.0.0/8, ::1), which
 * only the host itself reaches (Docker's raw PREROUTING drops it from anywhere but lo).
 */
function boundAddress(r: Rule): string | null | undefined {
  const d = r.destination;
  if (!d || d.negated) return undefined;
  const [address, prefix] = d.value.split('/');
  const a = canonical(address);
  if (!a) return undefined;
  if (addressIn(a, '127.0.0.0/8') || a === '::1') return null;
  const single = prefix === undefined || prefix === (a.includes(':') ? '128' : '32');
  return single ? a : undefined;
}

/**
 * The peer a connection error names: its address (an IPv4 or IPv6 address, brackets and spelling
 * normalised; an IPv4-mapped IPv6 address is the IPv4 address the kernel sends to), the name it
 * gave, and the port. Node prints an IPv6 peer without brackets, the port last
 * (`connect ETIMEDOUT 2001:db8::10:443`): read from the line when the scanner found no port.
 */
function peerOf(m: LogMatch): { address?: string; host?: string; port: string } | undefined {
  const strip = (x: string | undefined) => (x && /^\[.*\]$/.test(x) ? x.slice(1, -1) : x);
  let port = m.facts.port;
  let candidates = [strip(m.facts.address), strip(m.facts.host)];
  if (!port) {
    const node = /\b(?:connect|read|write) (?:ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH) ([0-9A-Fa-f]*:[0-9A-Fa-f:.]*):(\d{1,5})\b/.exec(m.excerpt);
    if (!node || canonical(node[1]) === undefined) return undefined;
    port = node[2];
    candidates = [node[1]];
  }
  const named = candidates.map((x) => (x ? canonical(x) : undefined)).find((x) => x !== undefined);
  return { address: named, host: strip(m.facts.host), port };
}

/** An address in one spelling: IPv6 as iproute2 prints it (RFC 5952), an IPv4-mapped one as its IPv4 address; undefined when not an address. */
function canonical(address: string): string | undefined {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped) return parseIp(mapped[1]) ? mapped[1] : undefined;
  const ip = parseIp(address);
  if (!ip) return undefined;
  return ip.family === 4 ? address : formatCidr({ family: 6, network: ip.value, prefix: 128, text: address }).replace(/\/128$/, '');
}

/** ICMPv6 neighbour advertisement (RFC 4861). */
const ICMP6_NEIGHBOUR_ADVERTISEMENT = 136;

/** The solicited-node multicast group of an IPv6 address (ff02::1:ffXX:XXXX): where a neighbour solicitation for it goes. */
function solicitedNode(address: string): string {
  const value = parseIp(address)?.value ?? 0n;
  return formatCidr({ family: 6, network: 0xff0200000000000000000001ff000000n | (value & 0xffffffn), prefix: 128, text: '' }).replace(/\/128$/, '');
}

/**
 * The neighbour a packet to `dst` is handed to: the gateway of the most specific route of the main
 * table, or `dst` itself on a connected network (or with no route in the bundle, for a destination on
 * an interface's network). Undefined when the bundle cannot say.
 */
function nextHop(artifacts: NodeArtifacts, dst: string): string | undefined {
  const to = parseCidr(dst);
  if (!to) return undefined;
  let best: { prefix: number; via?: string } | undefined;
  for (const t of artifacts.routes ?? [])
    for (const r of t.routes) {
      if (!r.dev || (r.table && r.table !== 'main') || (r.type && r.type !== 'unicast') || r.from) continue;
      const c = parseCidr(r.destination);
      if (!c || c.family !== to.family || !cidrContains(c, to)) continue;
      if (!best || c.prefix > best.prefix) best = { prefix: c.prefix, via: r.via };
    }
  if (best) return best.via ?? dst;
  return [...interfacesOf(artifacts.ipAddr ?? []).values()].some((i) => i.addresses.some((a) => a.family === to.family && a.prefix < 128 && addressIn(dst, a.network))) ? dst : undefined;
}

/** `10.0.0.5:5432`, `[fd00::5]:5432` */
function hostPort(address: string, port?: number): string {
  const a = address.includes(':') ? `[${address}]` : address;
  return port === undefined ? a : `${a}:${port}`;
}

/** The next address after `address` (a client beside the gateway): .2 after .1 (at most .254), ::2 after ::1. */
function nextAddress(address: string): string {
  const c = parseCidr(address);
  if (c?.family === 6) return formatCidr({ ...c, network: c.network + 1n }).replace(/\/128$/, '');
  return address.replace(/\.(\d+)$/, (_, d: string) => `.${Math.min(254, Number(d) + 1)}`);
}

/** The ports needed in one family, traced through that family's rules from its container networks. */
function portFindings(node: string, artifacts: NodeArtifacts, family: 4 | 6, { byFamily, logLines: allLines }: Needs, partly?: Partly) {
  const v6 = family === 6;
  const listed = interfacesOf(artifacts.ipAddr ?? []).size > 0;
  // without ip addr the host's address on a bridge is assumed: only a port something asks for (a log line,
  // --require-port, a listener on that address) is checked, not one Docker merely publishes
  const needs = listed ? byFamily[family] : new Map([...byFamily[family]].map(([p, n]) => [p, n.filter((x) => !x.published)] as const).filter(([, n]) => n.length > 0));
  const none = { findings: [] as FindingDraft[], quiet: [] as QuietPort[] };
  if (needs.size === 0) return none;
  const sources = sourcesOf(artifacts, family);
  // no container network of this family: nothing crosses a bridge in it (a node with IPv6 addresses but IPv4 containers)
  if (!sources.some((s) => s.gateway)) {
    if (!listed && family === 4) partly?.(`could not check port${needs.size > 1 ? 's' : ''} ${[...needs.keys()].join(', ')} from the container networks: interfaces and addresses (ip addr) are not in the bundle, and no rule gives a container network's subnet (Docker's masquerade); collect ip addr`, ['ipAddr']);
    return none;
  }
  if (!listed)
    partly?.(
      `interfaces and addresses (ip addr) are not in the bundle: ${sources.map((s) => `${s.name} (${s.subnets.join(', ')})`).join(', ')} read from Docker's rules, the host's address on ${sources.length > 1 ? 'each' : 'it'} taken as ${sources.map((s) => s.gateway!.address).join(', ')}; ports are checked to those addresses only (a log line naming another address is not: whether it is this node's is not known); collect ip addr`, ['ipAddr']
    );
  const view6 = v6 ? liveViews6(artifacts)[0] : undefined;
  const tables = v6 ? (view6?.tables ?? new Map()) : liveTables(artifacts);
  const nft = nativeNftables(artifacts);
  // nothing to walk: no live filter table of the family and no native nftables table it meets
  const nftOfFamily = nft.some((rs) => rs.tables.some((t) => !t.iptablesCompat && (v6 ? t.family === 'ip6' || t.family === 'inet' : t.family !== 'ip6')));
  if (!tables.get('filter') && !(v6 ? nftOfFamily : nft.length > 0)) {
    if (v6) partly?.(`IPv6 was not checked for port${needs.size > 1 ? 's' : ''} ${[...needs.keys()].join(', ')}: the bundle has no ip6tables rules (ip6tables-save) nor nftables ip6 / inet tables`);
    return none;
  }
  // without ip addr, the host's addresses known are the gateways taken for Docker's networks
  const local = new Set([...localAddresses(artifacts, family), ...(listed ? [] : sources.map((s) => s.gateway!.address))]);
  const logLines = allLines.filter((l) => l.family === family);

  // where a packet to a remote address leaves: a bridge that holds it, its route, or the uplink
  const uplink = uplinkOf(artifacts, family);
  const outFor = (dst: string) => sources.find((s) => s.subnets.some((n) => addressIn(dst, n)))?.name ?? routeDevFor(artifacts, dst) ?? uplink;
  const savedConfigs = (artifacts.iptables ?? []).filter((r) => r.origin === 'saved-config' && (v6 ? r.family === 'ipv6' : r.family !== 'ipv6'));
  const fw = hostFirewall(artifacts);
  // the command that edits the rules: iptables (as always for IPv4), ip6tables (-nft / -legacy where both back ends hold IPv6 rules)
  const tool = view6 ? iptablesTool(view6.rulesets[0], liveViews6(artifacts).flatMap((v) => v.rulesets)) : v6 ? 'ip6tables' : 'iptables';

  // native nftables tables (firewalld's, Docker's own) are walked with iptables' chains, hook by hook in priority order
  const ctx0 = v6 ? traceContext6(artifacts) : traceContext(artifacts);
  const ctx = listed ? ctx0 : { ...ctx0, localAddresses: [...local] };
  const listening = (artifacts.sockets ?? []).flatMap((x) => x.sockets);
  // IPv6: a container resolves the host's address on its bridge before any packet leaves it, and
  // the host resolves the next hop before it forwards one: rules that stop that in INPUT cut the way
  // off, whatever the port (each side once per neighbour)
  const ndBlocks = new Map<string, NdBlock | undefined>();
  const ndOf = (itf: string, peer: string, hostAddress: string, needs: 'solicitation' | 'advertisement'): NdBlock | undefined => {
    const key = `${itf}|${peer}|${hostAddress}`;
    if (ndBlocks.has(key)) return ndBlocks.get(key);
    const icmp = (type: number, dst: string): Packet => ({ src: peer, dst, protocol: 'ipv6-icmp', icmpType: type, icmpCode: 0, inInterface: itf, state: 'untracked', mark: 0 });
    const stopped = (p: Packet) => {
      const r = trace(tables, 'input', p, ctx);
      return (r.verdict.kind === 'DROP' || r.verdict.kind === 'REJECT') && r.decidedBy ? { verdict: r.verdict, d: r.decidedBy } : undefined;
    };
    const ns = stopped(icmp(ICMP6_NEIGHBOUR_SOLICITATION, solicitedNode(hostAddress)));
    const na = stopped(icmp(ICMP6_NEIGHBOUR_ADVERTISEMENT, hostAddress));
    const fatal = needs === 'solicitation' ? ns : na;
    const hit = fatal ?? ns ?? na;
    let block: NdBlock | undefined;
    if (hit) {
      const { d, verdict } = hit;
      const message = hit === ns ? `solicitation (ICMPv6 135) ${peer} sends on ${itf} for ${hostAddress}` : `advertisement (ICMPv6 136) ${peer} answers the host's solicitations on ${itf} with`;
      const what = `${verdict.kind === 'REJECT' ? 'rejects' : 'drops'} the neighbour ${message}`;
      block = {
        itf,
        fatal: fatal !== undefined,
        table: d.table,
        chain: d.nft ? `${d.nft.family} ${d.nft.table} ${d.chain}` : d.chain,
        num: d.num,
        ...(d.nft ? { nft: d.nft } : { spec: specOf(tables.get(d.table)?.get(d.chain)?.rules[d.num - 1], d.num) }),
        verdict,
        text: d.text,
        rule: d.nft
          ? { file: d.file, line: d.line, excerpt: d.text, note: `nftables ${d.nft.family} ${d.nft.table} chain ${d.chain} ${d.num === 0 ? 'policy' : `rule ${d.num}`} ${what}` }
          : { file: d.file, line: d.line, excerpt: d.num === 0 ? `:${d.chain} ${d.text.replace('policy ', '')}` : d.text, note: `${d.table}/${d.chain} ${d.num === 0 ? 'policy' : `rule ${d.num}`} ${what}` },
      };
    }
    ndBlocks.set(key, block);
    return block;
  };
  /** The neighbour discovery a connection from `src` on the bridge to `dst` needs: with the container, and (forwarded) with the next hop. */
  const ndFor = (s: Source, src: string, dst: string, out: string | undefined): NdBlock[] => {
    if (!v6 || !s.gateway) return [];
    const blocks = [ndOf(s.name, src, s.gateway.address, 'solicitation')];
    const hop = out ? nextHop(artifacts, dst) : undefined;
    const own = out ? interfacesOf(artifacts.ipAddr ?? []).get(out)?.addresses.filter((a) => a.family === 6) ?? [] : [];
    // the host solicits the next hop from its address on that link: the link-local one for a link-local router
    const hostAddress = hop && (isLinkLocal6(hop) ? own.find((a) => isLinkLocal6(a.address)) : (own.find((a) => routable6(a) && addressIn(hop, a.network)) ?? own.find(routable6)))?.address;
    if (out && hop && hostAddress) blocks.push(ndOf(out, hop, hostAddress, 'advertisement'));
    return blocks.filter((x): x is NdBlock => x !== undefined);
  };
  const findings: FindingDraft[] = [];
  const quiet: QuietPort[] = [];
  for (const [port, all] of [...needs].sort((a, b) => a[0] - b[0])) {
    // the destinations to trace: each address a log names, and the host's address on each bridge
    // for every other reason (and for a log line that names a peer by a name the bundle cannot resolve)
    const byDst = new Map<string, Need[]>();
    for (const n of all) {
      const k = n.to ?? '';
      byDst.set(k, [...(byDst.get(k) ?? []), n]);
    }
    const blocked: Blocked[] = [];
    const dnatSteps: Evidence[] = [];
    const explained: Need[] = [];
    const blockedTo = new Set<string>();
    for (const [to, why] of byDst) {
      // without ip addr, an address a log names may be this node's (INPUT) or not (FORWARD): not traced
      if (!listed && to && !local.has(to)) continue;
      // a port Docker publishes on an address the bundle does not show as this node's: nothing to trace to
      if (to && why.every((n) => n.published) && !local.has(to)) continue;
      // a log naming a bridge's own address was written by a container on that bridge (a port published
      // on one is reached from every bridge)
      const own = to && why.some((n) => !n.published) ? sources.filter((s) => s.gateway?.address === to) : [];
      let hit = false;
      for (const s of own.length > 0 ? own : sources) {
        if (!s.gateway) continue;
        const dst = to || s.gateway.address;
        const isLocal = local.has(dst);
        const src = nextAddress(s.gateway.address);
        const packet: Packet = { src, dst, protocol: 'tcp', dport: port, sport: 40000, inInterface: s.name, state: 'new', mark: 0 };
        if (!isLocal) packet.outInterface = outFor(dst);
        const r = trace(tables, isLocal ? 'input' : 'forward', packet, ctx);
        const nd = ndFor(s, src, dst, packet.outInterface);
        const fatal = nd.find((x) => x.fatal);
        if ((r.verdict.kind !== 'DROP' && r.verdict.kind !== 'REJECT') || !r.decidedBy) {
          // not an all-clear where the walk could not decide (an nft `fib` reverse-path check, ...): the coverage says so
          if (v6 && r.verdict.kind === 'unknown') {
            const at = r.verdict.at;
            partly?.(`could not decide whether ${s.name} reaches ${hostPort(dst, port)} over IPv6: ${r.verdict.reason}${at ? ` at ${at.table}/${at.chain} ${at.num === 0 ? 'policy' : `rule ${at.num}`} (${at.file}:${at.line})` : ''}`);
          }
          // the port is open, but the neighbour discovery the connection needs is not
          if (!fatal) continue;
          hit = true;
          const { rule, verdict, text, table, num, chain, spec, nft } = fatal;
          blocked.push({ from: `${s.gateway.network} (${s.name})`, bridge: s.name, dst, gateway: dst === s.gateway.address, toHost: isLocal, family, rule, verdict, text, table, num, chain, ...(spec ? { spec } : {}), ...(nft ? { nft } : {}), nd, portAccepted: true });
          continue;
        }
        // a cut-off nft listing: the deciding policy, or a chain the packet came back from, may go on past the cut
        const cut = nftDropCutNote(artifacts.nftables ?? [], r.decidedBy, r.steps);
        if (cut) {
          partly?.(`${s.name} -> ${hostPort(dst, port)} is ${r.verdict.kind === 'REJECT' ? 'rejected' : 'dropped'} by ${r.decidedBy.table}/${r.decidedBy.chain} ${r.decidedBy.num === 0 ? 'policy' : `rule ${r.decidedBy.num}`} (${r.decidedBy.file}:${r.decidedBy.line}) as far as the listing shows, but rules past its end may accept it first: ${cut}; collect the whole nft list ruleset`, ['nftables']);
          continue;
        }
        hit = true;
        const d = r.decidedBy;
        // a DNAT on the way (kube-proxy's Service rules): the filter rules saw the rewritten destination
        const dnat = r.steps.find((x) => x.action === 'dnat');
        const via = dnat && r.packet.dport !== undefined && (r.packet.dst !== dst || r.packet.dport !== port) ? { dst: r.packet.dst, port: r.packet.dport } : undefined;
        const what = `${r.verdict.kind === 'REJECT' ? 'rejects' : 'drops'} ${s.name} -> ${hostPort(dst, port)}${via ? ` (after a DNAT to ${hostPort(via.dst, via.port)})` : ''}`;
        if (dnat && via) dnatSteps.push({ file: dnat.file, line: dnat.line, excerpt: dnat.text, note: `${dnat.table}/${dnat.chain} rule ${dnat.num} rewrites ${hostPort(dst, port)} to ${hostPort(via.dst, via.port)}${local.has(via.dst) ? ', an address of this node' : ''}: the filter rules see that` });
        // the reply of a forwarded connection comes back in where the SYN left and out to the bridge
        // (traced as addressed to the container: a masquerade's reply is restored to it before filter)
        const back = isLocal ? undefined : trace(tables, 'forward', { src: dst, dst: src, protocol: 'tcp', sport: port, dport: 40000, inInterface: packet.outInterface, outInterface: s.name, state: 'established', mark: 0 }, ctx);
        const rd = back?.decidedBy;
        // where the reply is stopped (an iptables rule or policy; else where the SYN is, at the top of its chain)
        const replyBlocked =
          !back || back.verdict.kind === 'ACCEPT'
            ? undefined
            : rd && !rd.nft && (rd.table === 'filter' || rd.table === 'mangle')
              ? { table: rd.table, chain: rd.chain, num: rd.num, spec: specOf(tables.get(rd.table)?.get(rd.chain)?.rules[rd.num - 1], rd.num) }
              : { table: d.table, chain: d.chain, num: 0 };
        const base = { from: `${s.gateway.network} (${s.name})`, bridge: s.name, dst, gateway: dst === s.gateway.address, toHost: local.has(via?.dst ?? dst), family, verdict: r.verdict, text: d.text, table: d.table, num: d.num, ...(replyBlocked !== undefined ? { replyBlocked } : {}), ...(via ? { via } : {}), ...(nd.length > 0 ? { nd } : {}), probe: { path: isLocal ? ('input' as const) : ('forward' as const), packet } };
        if (d.nft) {
          blocked.push({
            ...base,
            rule: { file: d.file, line: d.line, excerpt: d.text, note: `nftables ${d.nft.family} ${d.nft.table} chain ${d.chain} ${d.num === 0 ? 'policy' : `rule ${d.num}`} ${what}${tables.get('filter') ? ' (iptables-save does not show it)' : ''}` },
            chain: `${d.nft.family} ${d.nft.table} ${d.chain}`,
            nft: d.nft,
          });
          continue;
        }
        blocked.push({
          ...base,
          rule: { file: d.file, line: d.line, excerpt: d.num === 0 ? `:${d.chain} ${d.text.replace('policy ', '')}` : d.text, note: `${d.table}/${d.chain} ${d.num === 0 ? 'policy' : `rule ${d.num}`} ${what}` },
          chain: d.chain,
          spec: specOf(tables.get(d.table)?.get(d.chain)?.rules[d.num - 1], d.num),
        });
      }
      if (hit) {
        explained.push(...why);
        blockedTo.add(to);
      }
    }
    if (blocked.length === 0) continue;
    const first = blocked[0];
    // a container that cannot resolve the host's address gets EHOSTUNREACH, whatever the rule for the port does
    const seen: Symptom = first.nd?.some((x) => x.fatal) ? 'unreachable' : symptomOf(first.verdict, family)!;
    // log lines whose symptom this verdict cannot produce: kept as evidence of the need, not of the cause
    const mismatched = explained.filter((n) => n.symptom && !symptomFits(n.symptom, seen));
    // the log lines about this port and a destination found blocked: the only ones the correlation may fold in
    const about = logLines.filter((l) => l.port === port && blockedTo.has(l.to));
    const unexplainedLines = [...new Set(about.filter((l) => l.symptom && !symptomFits(l.symptom, seen)).map((l) => l.ref))];
    const explainedLines = [...new Set(about.map((l) => l.ref))].filter((r) => !unexplainedLines.includes(r));
    const why = explained.map((n) => {
      let note = n.why.note ?? '';
      if (n.host && !n.to) note += ` (${n.host}: no address in the bundle; traced to the host's address on each container network)`;
      if (mismatched.includes(n)) note += `; it says ${SAYS[n.symptom!]}, but the rule that blocks the port gives ${SAYS[seen]}: this line is not explained by it`;
      return note === n.why.note ? n.why : { ...n.why, note };
    });
    const listen = listening.find((l) => l.port === port && l.proto === 'tcp');
    const rules = distinctEvidence([...blocked.map((b) => b.rule), ...dnatSteps]);
    // the rule that stops the neighbour discovery: cited, or its note added where it is the same line
    for (const nd of distinctEvidence(blocked.flatMap((b) => (b.nd ?? []).map((x) => x.rule)))) {
      const at = rules.findIndex((e) => e.file === nd.file && e.line === nd.line);
      if (at < 0) rules.push(nd);
      else if (rules[at].note !== nd.note) rules[at] = { ...rules[at], note: `${rules[at].note}; it also ${nd.note!.replace(/^.*? (drops|rejects) /, '$1 ')}` };
    }
    const evidence: Evidence[] = [...rules, ...why];
    if (listen && !why.some((w) => w.file === listen.ref.file && w.line === listen.ref.line)) evidence.push({ file: listen.ref.file, line: listen.ref.line, excerpt: listen.excerpt, note: `${listen.process ?? 'a process'} listens on ${hostPort(listen.address, port)}` });
    const verdictText = first.portAccepted ? 'unreachable' : first.verdict.kind === 'REJECT' ? `rejected (${first.verdict.with})` : 'dropped';
    const remote = [...new Set(blocked.filter((b) => !b.gateway).map((b) => b.dst))];
    const toHost = blocked.every((b) => b.gateway);
    const rewritten = (a: string) => blocked.find((b) => b.dst === a && b.via)?.via;
    const named = remote.map((a) => {
      const v = rewritten(a);
      return v ? `${a} (a DNAT rewrites it to ${hostPort(v.dst, v.port)}${local.has(v.dst) ? ', an address of this node' : ''})` : a;
    });
    const anyVia = remote.some((a) => rewritten(a));
    const where = toHost
      ? ''
      : ` to ${blocked.some((b) => b.gateway) ? 'the bridge address and to ' : ''}${named.join(', ')}${anyVia ? '' : remote.every((a) => local.has(a)) ? ' (an address of this node)' : remote.some((a) => local.has(a)) ? '' : ' (forwarded: not an address of this node)'}`;
    const byOf = (b: { nft?: unknown; chain: string; num: number }) =>
      b.nft ? `nftables ${b.chain} ${b.num === 0 ? 'policy' : `rule ${b.num}`} (iptables-save does not show it)` : b.num === 0 ? `the ${b.chain} policy` : `${b.chain} rule ${b.num}`;
    const by = byOf(first);
    // IPv6: neighbour discovery stopped too (or only it)
    const fatalNd = [...new Map(blocked.flatMap((b) => (b.nd ?? []).filter((x) => x.fatal)).map((x) => [`${x.itf}|${x.chain}|${x.num}`, x])).values()];
    const ndText =
      fatalNd.length > 0
        ? ` ${first.portAccepted ? 'The port itself is accepted, but' : 'And'} ${fatalNd
            .map((x) => `${byOf(x)} ${x.verdict.kind === 'REJECT' ? 'rejects' : 'drops'} the neighbour ${blocked.some((b) => b.bridge === x.itf) ? `solicitation (ICMPv6 135) the containers on ${x.itf} send for the host's address there before their first packet` : `advertisement (ICMPv6 136) of the next hop on ${x.itf}, which the host needs before it forwards anything that way`}`)
            .join('; and ')}: their IPv6 connections that way fail with "No route to host", whatever the port.`
        : '';
    const client = `Containers that connect to ${toHost ? 'the host' : `${blocked.some((b) => b.gateway) ? 'the host or ' : ''}${remote.join(', ')}`} on this port get ${SAYS[seen]}${seen === 'timeout' ? ' ("Port Timeout", "Error waiting for ports to enter listening state")' : ''}.`;
    const caveat =
      mismatched.length > 0
        ? ` The log${mismatched.length > 1 ? 's' : ''} say${mismatched.length > 1 ? '' : 's'} ${[...new Set(mismatched.map((n) => SAYS[n.symptom!]))].join(' / ')} (${mismatched.map((n) => `${n.why.file}:${n.why.line}`).join(', ')}), which ${first.nd?.some((x) => x.fatal) ? 'the stopped neighbour discovery' : `this ${first.verdict.kind === 'REJECT' ? `REJECT (${first.verdict.with})` : 'DROP'}`} does not produce: ${mismatched.some((n) => n.symptom === 'refused') ? 'a refusal comes from the peer (nothing listening there) or from a REJECT with tcp-reset / port-unreachable, ' : ''}so ${mismatched.length > 1 ? 'those lines were' : 'that line was'} written on another path or before the rules changed; the block is real, but it is not what the log shows.`
        : '';
    // read from the rules alone (no ip addr): which networks, and the host's address taken on each
    const assumed = listed ? [] : sources.filter((x) => x.assumed && blocked.some((b) => b.bridge === x.name));
    const basis =
      assumed.length > 0
        ? ` The bundle has no ip addr: ${assumed.map((x) => `${x.name} and ${x.subnets.join(', ')} were read from ${x.assumed!.namedBy.file}:${x.assumed!.namedBy.line}, and the host's address on it taken as ${x.gateway!.address} (${x.assumed!.gatewayFrom === 'docker network inspect' ? 'the gateway docker network inspect names' : 'the first address of the subnet, as Docker gives its bridge unless told otherwise'})`).join('; ')}.`
        : '';
    for (const x of assumed) if (!evidence.some((e) => e.file === x.assumed!.namedBy.file && e.line === x.assumed!.namedBy.line)) evidence.push(x.assumed!.namedBy);
    const ufw = ufwFix(blocked, port, fw, tables, ctx);
    // only Docker's publishing names the port (no log line, listener or --require-port): clients from outside reach it
    // through the DNAT; what fails is a container using it through the host's address, which nothing shows one does
    // docker-proxy listens on every port Docker publishes (userland proxy): it says nothing of what the containers use
    const publishedOnly = explained.length > 0 && explained.every((n) => n.published) && !(listen && listen.process !== 'docker-proxy');
    // a port only Docker's publishing names goes into the node's one info (quietFinding), which keeps this
    // finding's evidence, facts and remedy; its own title and message are for ports something shows in use
    const finding: FindingDraft = {
      severity: 'critical',
      title: 'A port the application needs is blocked',
      message: `On ${node}, TCP port ${port}${v6 ? ' (IPv6)' : ''}${where} is ${verdictText} from ${[...new Set(blocked.map((b) => b.from))].join(', ')}${first.portAccepted ? '' : ` by ${by}`}.${ndText} ${client}${caveat}${ufw ? ` ${ufw.why}` : ''}${basis}`,
      impact: toHost
        ? `Anything in the containers that needs port ${port} on the host (databases, caches, the app's own services) cannot connect${v6 ? ' over IPv6' : ''}.`
        : `Anything in the containers that needs ${remote.map((a) => hostPort(a, port)).join(', ')} cannot connect${v6 ? ' over IPv6' : ''}.`,
      evidence,
      facts: {
        port,
        protocol: 'tcp',
        from: [...new Set(blocked.map((b) => b.from))],
        to: [...new Set(blocked.map((b) => b.dst))],
        ...(blocked.some((b) => b.via) ? { dnatTo: [...new Set(blocked.filter((b) => b.via).map((b) => hostPort(b.via!.dst, b.via!.port)))] } : {}),
        blockedBy: blocked.map((b) => `${b.chain}#${b.num}`),
        ...(blocked.some((b) => b.nd) ? { neighbourDiscoveryBlockedBy: [...new Set(blocked.flatMap((b) => (b.nd ?? []).map((x) => `${x.itf}:${x.chain}#${x.num}`)))] } : {}),
        clientSees: seen,
        explainsLogLines: explainedLines,
        ...(unexplainedLines.length > 0 ? { logSymptomMismatch: unexplainedLines } : {}),
        ...(v6 ? { family: 'ipv6' } : {}),
        ...(assumed.length > 0 ? { basis: 'rules only: no ip addr in the bundle', hostAddressAssumed: assumed.map((x) => `${x.name} ${x.gateway!.address}`) } : {}),
      },
      remedy: ufw?.remedy ?? remedyFor(blocked, port, savedConfigs, dockerRestartOf(artifacts), tool, fw),
    };
    if (publishedOnly)
      quiet.push({ port, family, where, verdictText: first.portAccepted ? 'unreachable' : verdictText, by: first.portAccepted ? 'the neighbour discovery it needs being stopped' : by, from: [...new Set(blocked.map((b) => b.from))], seen, finding });
    else findings.push(finding);
  }
  return { findings, quiet };
}

/** A port only Docker's publishing names, blocked from the containers: reported together with the others of the node. */
interface QuietPort {
  port: number;
  family: 4 | 6;
  /** ` to 10.20.0.5 (an address of this node)`, or '' for the host's address on each bridge */
  where: string;
  verdictText: string;
  by: string;
  from: string[];
  seen: Symptom;
  finding: FindingDraft;
}

/**
 * The ports only Docker's publishing names, blocked from the containers on their way to the host's
 * address: ONE finding for the node, at info. A default-deny INPUT on a hardened host does that to every
 * published port, deliberately: clients from other hosts still reach them through Docker's DNAT, and
 * nothing in the bundle (a log line, a listener on a bridge address, --require-port) shows a container
 * using one through a host address. A port something does show in use keeps its own finding.
 */
function quietFinding(node: string, quiet: QuietPort[]) {
  if (quiet.length === 0) return [];
  const label = (q: QuietPort) => `${q.port}${q.family === 6 ? ' (IPv6)' : ''}`;
  const groups = new Map<string, QuietPort[]>();
  for (const q of quiet) {
    const k = `${q.where}|${q.verdictText}|${q.by}|${q.from.join(', ')}`;
    groups.set(k, [...(groups.get(k) ?? []), q]);
  }
  const parts = [...groups.values()].map((g) => {
    const q = g[0];
    return `TCP ${g.map(label).join(', ')}${q.where || " to the host's address on the container's own network"}: ${q.verdictText} from ${q.from.join(', ')} by ${q.by}`;
  });
  const ports = quiet.map(label);
  const many = quiet.length > 1;
  const says = [...new Set(quiet.map((q) => SAYS[q.seen]))].join(' or ');
  const example = quiet[0];
  const evidence = distinctEvidence(quiet.flatMap((q) => q.finding.evidence));
  const first = example.finding.remedy;
  return [
    {
      severity: 'info' as const,
      title: `Port${many ? 's' : ''} Docker publishes ${many ? 'are' : 'is'} closed to the containers through the host's address`,
      message: `On ${node}, the firewall stops containers from reaching ${many ? `${quiet.length} ports` : 'a port'} Docker publishes through the host's own address${many ? 'es' : ''}: ${parts.join('; ')}. Clients from other hosts reach ${many ? 'them' : 'it'} through Docker's DNAT, which this does not touch. Nothing in the bundle shows a container using ${many ? 'them' : 'it'} that way (no log line of a refused or timed-out connection, no listener on a container network's address, no required port): on a host whose default-deny firewall is deliberate, this is expected. A container that does connect to ${many ? 'one of them' : 'it'} through a host address (another compose project, host.docker.internal) gets ${says}.`,
      impact: `Only a container that connects to ${ports.join(', ')} through a host address is affected; clients from other hosts are not.`,
      evidence,
      facts: {
        ports: quiet.map((q) => ({ port: q.port, ...(q.family === 6 ? { family: 'ipv6' } : {}), to: q.finding.facts?.to, blockedBy: [...new Set((q.finding.facts?.blockedBy as string[] | undefined) ?? [])], clientSees: q.seen })),
        protocol: 'tcp',
        publishedOnly: true,
        explainsLogLines: [],
      },
      remedy: {
        summary: `Nothing to change unless a container connects to ${many ? 'one of these ports' : 'this port'} through a host address. If one does, let it reach the service by its container name over a shared Docker network (no firewall change), or open only that port from that container's network: the commands below do it for port ${label(example)}${example.where}${many ? '; another port the same way, with its number (and its address, where it is published on one)' : ''}.`,
        commands: first.commands,
        caution: first.caution,
      },
    },
  ];
}

function remedyFor(blocked: Blocked[], port: number, savedConfigs: Ruleset[], dockerRestart: DockerRestart, tool = 'iptables', fw = 'unknown') {
  const first = blocked[0];
  const v6 = first.family === 6;
  const bridges = [...new Set(blocked.map((b) => b.bridge))];
  if (first.nft && first.nft.table !== 'firewalld') {
    const cmds = [...new Map(blocked.filter((b) => !b.portAccepted).map((b) => [`${b.chain}|${b.num}|${b.bridge}|${seenAs(b, port).dst ?? ''}`, b])).values()];
    // the neighbour discovery the IPv6 containers need, where an nftables table stops it
    const nds = [...new Map(blocked.flatMap((b) => (b.nd ?? []).filter((x) => x.nft)).map((x) => [`${x.chain}|${x.itf}`, x])).values()];
    return {
      summary: `The nftables table ${first.nft.family} ${first.nft.table} blocks it, not iptables: allow exactly this traffic ahead of the blocking rule in that chain, and persist it in the nftables configuration the service loads at boot.`,
      commands: [
        ...nds.map((x) => `nft insert rule ${x.chain} ${x.num > 0 ? `position <handle of rule ${x.num}> ` : ''}iifname "${x.itf}" icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept   # neighbour discovery on ${x.itf}`),
        ...cmds.map((b) => `nft insert rule ${b.chain} ${b.num > 0 ? `position <handle of rule ${b.num}> ` : ''}${nftAccept(b, port, v6)}`),
        ...persistNft(first.nft.family, first.nft.table, first.chain.split(' ').slice(2).join(' '), 'above the rule that blocks it', [
          ...nds.map((x) => `iifname "${x.itf}" icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept`),
          ...cmds.map((b) => nftAccept(b, port, v6)),
        ]),
      ],
      caution: 'nft insert needs the handle of the blocking rule (nft -a list chain ...); without a position it goes first in the chain.',
    };
  }
  if (first.nft)
    return {
      summary: `firewalld (or another nftables table) blocks it, not iptables: put ${bridges.join(', ')} in a zone that accepts its traffic, or open the port in its zone.`,
      commands: [...bridges.map((b) => `firewall-cmd --permanent --zone=trusted --add-interface=${b}`), `# or open the port in the zone ${bridges.join(', ')} ${bridges.length > 1 ? 'are' : 'is'} in (else the default zone): z=$(firewall-cmd --get-zone-of-interface=${bridges[0]} 2>/dev/null || firewall-cmd --get-default-zone); firewall-cmd --permanent --zone="$z" --add-port=${seenAs(first, port).port}/tcp`, 'firewall-cmd --reload', ...restartDocker({ dockerRestart }, "a firewalld reload removes Docker's rules")],
      caution: 'Restarting docker restarts every container on the node.',
    };
  // one ACCEPT per bridge and destination, ahead of the rule (or in the chain whose policy) that blocks it
  // what the filter rules see: after a DNAT (a Service), the rewritten destination and port
  const conns = [...new Map(blocked.filter((b) => !b.portAccepted).map((b) => [`${b.table}|${b.chain}|${b.bridge}|${seenAs(b, port).dst ?? ''}|${seenAs(b, port).port}`, b])).values()].map((b) => {
    const to = seenAs(b, port);
    return { b, spec: `-i ${b.bridge}${to.dst ? ` -d ${to.dst}/${v6 ? 128 : 32}` : ''} -p tcp -m tcp --dport ${to.port} -j ACCEPT`, reply: false, why: '' };
  });
  // IPv6: the neighbour discovery between the bridge's containers and the host, ahead of the rule (or in the chain whose policy) that stops it
  const nds = [...new Map(blocked.flatMap((b) => (b.nd ?? []).filter((x) => !x.nft).map((x) => [`${x.table}|${x.chain}|${x.itf}`, { b, x }] as const))).values()].flatMap(({ b, x }) =>
    (['neighbour-solicitation', 'neighbour-advertisement'] as const).map((type) => ({
      b: { ...b, table: x.table, chain: x.chain, num: x.num, spec: x.spec },
      spec: `-i ${x.itf} -p ipv6-icmp -m icmp6 --icmpv6-type ${type} -j ACCEPT`,
      reply: false,
      why:
        type === 'neighbour-solicitation'
          ? `   # neighbour discovery on ${x.itf}: ${x.itf === b.bridge ? `${x.itf}'s containers resolve the host's address before their first packet` : 'the next hop resolves the host to send the replies back'}`
          : `   # and the advertisements that answer the host's own solicitations${x.itf === b.bridge ? '' : ' (the next hop\'s, before the host forwards anything that way)'}`,
    })),
  );
  // a forwarded connection whose reply the rules block too: the replies to the bridge's connections, once per chain and bridge (what Docker adds itself)
  const replies = [...new Map(blocked.filter((b) => b.replyBlocked).map((b) => [`${b.replyBlocked!.table}|${b.replyBlocked!.chain}|${b.bridge}`, b])).values()].map((b) => ({
    b: { ...b, ...b.replyBlocked! },
    spec: `-o ${b.bridge} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
    reply: true,
    why: `   # the replies to ${b.bridge}'s connections: the rule that blocks the port blocks them on their way back too`,
  }));
  const rules = [...nds, ...conns, ...replies];
  const t = (b: Blocked) => (b.table === 'filter' ? '' : `-t ${b.table} `);
  const persist: string[] = [];
  // ufw's before/after.rules that the lines go into: ufw applies them at its start and at every ufw reload
  const ufwSaved = new Set<string>();
  for (const { b, spec } of rules) {
    const line = `-A ${b.chain} ${spec}`;
    // ufw's before.rules hold its own chains: INPUT and FORWARD rules go into ufw-before-input / ufw-before-forward
    const ufwLine = `-A ${b.chain === 'INPUT' ? `${v6 ? 'ufw6' : 'ufw'}-before-input` : b.chain === 'FORWARD' ? `${v6 ? 'ufw6' : 'ufw'}-before-forward` : b.chain} ${spec}`;
    // the blocking rule is in a saved configuration of the bundle: insert the one line above it there
    const saved = b.spec ? savedConfigs.find((rs) => Object.values(rs.tables[b.table]?.chains ?? {}).some((c) => c.rules.some((r) => r.text === b.spec))) : undefined;
    if (saved && b.spec) {
      const path = savedHostPath(saved.file, v6);
      if (ufwRulesFile(saved.file)) ufwSaved.add(path);
      persist.push(`sed -i '${sedAddress(b.spec)}i ${line}' ${path}`);
    }
    else if (fw === 'ufw') persist.push(`#   ${ufwLine}`);
    else persist.push(`#   ${line}${b.num > 0 ? `   (above the line ${b.spec ? `"${b.spec}"` : `of ${b.chain} rule ${b.num}`})` : ` (in the *${b.table} section, before COMMIT)`}`);
  }
  const bySaved = persist.every((p) => p.startsWith('sed '));
  return {
    summary:
      'Allow exactly this traffic ahead of the blocking rule, and persist that one rule where the firewall keeps its configuration, so a restart does not bring the block back; do not save the live rules over that configuration: they hold Docker\'s chains, which iptables.service would then restore stale at boot (see iptables.service-conflict).',
    commands: [
      ...rules.map(({ b, spec, why }) => `${tool} ${t(b)}-I ${b.chain} ${b.num > 0 ? b.num : 1} ${spec.replace(/ -m (?:tcp|icmp6)(?= )/, '')}${why}`),
      bySaved
        ? ufwSaved.size > 0
          ? `# persist: ufw applies ${[...ufwSaved].join(' and ')} at every boot and reload: add only ${rules.length > 1 ? 'these rules' : 'this rule'} there, above the rule that blocks it, then reload ufw:`
          : `# persist: add only ${rules.length > 1 ? 'these rules' : 'this rule'} to the saved configuration the firewall service restores at boot, above the rule that blocks it:`
        : fw === 'ufw'
          ? `# persist (ufw host: ufw rebuilds its chains at every reload and boot): add ${rules.length > 1 ? 'these lines' : 'this line'} to the *filter section of ${v6 ? '/etc/ufw/before6.rules' : '/etc/ufw/before.rules'} (before its COMMIT; a rule of INPUT or FORWARD as -A ufw-before-input / -A ufw-before-forward), then ufw reload:`
          : v6
          ? `# persist: edit the saved configuration by hand (/etc/sysconfig/ip6tables for ip6tables.service, /etc/iptables/rules.v6 for netfilter-persistent) and add only ${rules.length > 1 ? 'these lines' : 'this line'}:`
          : `# persist: edit the saved configuration by hand (/etc/sysconfig/iptables for iptables.service, /etc/iptables/rules.v4 for netfilter-persistent) and add only ${rules.length > 1 ? 'these lines' : 'this line'}:`,
      ...persist,
      ...(ufwSaved.size > 0 ? [`ufw reload   # applies ${[...ufwSaved].join(' and ')} as edited: it empties the chains the file declares and fills them from it, the new line included (if the file no longer loads, ufw says at which line)`] : []),
      ...firewalldAlternative(blocked, port, v6),
    ],
    caution:
      fw === 'ufw'
        ? "Do not save the live rules anywhere on a container host (iptables-save, netfilter-persistent save): they hold Docker's and Kubernetes' chains; ufw restores only what its own files say."
        : 'Do not save the live rules into the boot configuration on a container host (iptables-save into /etc/sysconfig/iptables, service iptables save, netfilter-persistent save): that writes Docker\'s and Kubernetes\' chains into it, restored stale at every boot. With firewalld, a firewall-cmd --reload removes Docker\'s rules: restart docker after one (restarts every container).',
  };
}

/**
 * The same with firewalld. A zone's rich rules filter traffic to the host only, in the zone of the
 * interface it arrives on (the bridge's zone, else the default zone): not the default zone blindly.
 * Forwarded traffic is governed by firewalld's policies (0.9+), not by a zone's rich rules: a rich
 * rule would open nothing, so the alternative says what to create instead of printing one.
 */
function firewalldAlternative(blocked: Blocked[], port: number, v6: boolean): string[] {
  const open = [...new Map(blocked.filter((b) => !b.portAccepted).map((b) => [`${b.from}|${seenAs(b, port).dst ?? ''}|${seenAs(b, port).port}`, b])).values()];
  const out: string[] = [];
  const toHost = open.filter((b) => b.toHost);
  if (toHost.length > 0) {
    out.push("# or, with firewalld: the same at runtime and permanently, in the zone of the container's interface (no reload, which would remove Docker's rules):");
    for (const b of toHost) {
      const to = seenAs(b, port);
      const rich = `'rule family="${v6 ? 'ipv6' : 'ipv4'}" source address="${b.from.split(' ')[0]}"${to.dst ? ` destination address="${to.dst}"` : ''} port port="${to.port}" protocol="tcp" accept'`;
      out.push(`z=$(firewall-cmd --get-zone-of-interface=${b.bridge} 2>/dev/null || firewall-cmd --get-default-zone) && firewall-cmd --zone="$z" --add-rich-rule=${rich} && firewall-cmd --permanent --zone="$z" --add-rich-rule=${rich}`);
    }
  }
  const forwarded = open.filter((b) => !b.toHost);
  if (forwarded.length > 0) {
    const dests = [...new Set(forwarded.map((b) => { const to = seenAs(b, port); return `${to.dst ?? b.dst} port ${to.port}`; }))].join(', ');
    out.push(`# with firewalld, forwarded traffic (to ${dests}) is not opened by a zone's rich rule: it takes a policy from the zone of ${[...new Set(forwarded.map((b) => b.bridge))].join(', ')} (firewall-cmd --get-zone-of-interface) to the egress zone that accepts this port (firewall-cmd --permanent --new-policy <name>; --policy <name> --add-ingress-zone / --add-egress-zone / --add-rich-rule; firewalld 0.9 or later)`);
  }
  return out;
}

/** The nft rule that accepts the blocked connection (the address and port the chain sees, after a DNAT). */
function nftAccept(b: Blocked, port: number, v6: boolean): string {
  const to = seenAs(b, port);
  return `iifname "${b.bridge}" ${to.dst ? `${v6 ? 'ip6' : 'ip'} daddr ${to.dst} ` : ''}tcp dport ${to.port} accept`;
}

/** The blocking rule as iptables-save writes it (`-A CHAIN ...`), when it is a rule and the dump lets it be rebuilt. */
function specOf(rule: Rule | undefined, num: number): string | undefined {
  if (!rule || num === 0 || rule.num !== num) return undefined;
  const spec = ruleSpec(rule);
  return spec ? `-A ${rule.chain} ${spec}` : undefined;
}

/** Where a saved configuration of the bundle sits on the host; a name that says nothing: RHEL's. */
function savedHostPath(file: string, v6: boolean): string {
  return savedConfigHostPath(file) ?? (v6 ? '/etc/sysconfig/ip6tables' : '/etc/sysconfig/iptables');
}

/** A sed address matching exactly this line. */
function sedAddress(line: string): string {
  return `/^${line.replace(/[\\/.*[\]^$]/g, (c) => `\\${c}`)}$/`;
}


/**
 * On a ufw host whose own chains (or INPUT / FORWARD policy) block the port: the ufw rule that opens it
 * (`ufw allow in on <bridge> to <address> port <p> proto tcp` for the host itself, `ufw route allow ...`
 * for a forwarded connection; checked with `ufw --dry-run`, which writes them into ufw-user-input /
 * ufw-user-forward), traced on the rules with those lines added before it is proposed. ufw rebuilds its
 * chains at every reload: an `iptables -I ufw-...` would not last, and /etc/sysconfig/iptables is not
 * where an Ubuntu host keeps anything. Undefined when a blocker is not ufw's, or the ufw rules would not open it.
 */
function ufwFix(blocked: Blocked[], port: number, fw: string, tables: Map<string, Map<string, Chain>>, ctx: TraceContext): { why: string; remedy: { summary: string; commands: string[]; caution: string } } | undefined {
  if (fw !== 'ufw') return undefined;
  const open = blocked.filter((b) => !b.portAccepted);
  if (open.length === 0 || blocked.some((b) => b.nft || (b.nd ?? []).length > 0 || !b.probe)) return undefined;
  if (!open.every((b) => b.table === 'filter' && (/^ufw6?-/.test(b.chain) || (b.num === 0 && (b.chain === 'INPUT' || b.chain === 'FORWARD'))))) return undefined;
  const v6 = open[0].family === 6;
  const prefix = v6 ? 'ufw6' : 'ufw';
  const conns = [...new Map(open.map((b) => [`${b.bridge}|${seenAs(b, port).dst ?? b.dst}|${b.probe!.path}`, b])).values()];
  const rules = conns.map((b) => {
    const to = seenAs(b, port);
    const dst = to.dst ?? b.dst;
    const chain = `${prefix}-user-${b.probe!.path === 'input' ? 'input' : 'forward'}`;
    const rule: Rule = {
      table: 'filter',
      chain,
      num: 0,
      ref: { file: '(proposed: ufw allow)', line: 0 },
      text: `-A ${chain} -i ${b.bridge} -p tcp -d ${dst} --dport ${to.port} -j ACCEPT`,
      inInterface: { value: b.bridge, negated: false },
      protocol: { value: 'tcp', negated: false },
      destination: { value: `${dst}/${v6 ? 128 : 32}`, negated: false },
      matches: [{ module: 'tcp', options: [{ name: 'dport', value: String(to.port), negated: false }] }],
      target: 'ACCEPT',
      targetOptions: {},
    };
    return { b, rule, command: `ufw ${b.probe!.path === 'input' ? '' : 'route '}allow in on ${b.bridge} to ${dst} port ${to.port} proto tcp` };
  });
  // the rules as they would be with ufw's lines appended to its user chains
  const filter = tables.get('filter');
  if (!filter) return undefined;
  const f = new Map(filter);
  for (const { rule } of rules) {
    const c = f.get(rule.chain);
    if (!c) return undefined;
    f.set(rule.chain, { ...c, rules: [...c.rules, { ...rule, num: c.rules.length + 1 }] });
  }
  const after = new Map(tables).set('filter', f);
  if (!open.every((b) => trace(after, b.probe!.path, b.probe!.packet, ctx).verdict.kind === 'ACCEPT')) return undefined;
  const chains = [...new Set(open.map((b) => (b.num === 0 ? `the ${b.chain} policy` : b.chain)))];
  return {
    why: `ufw owns ${chains.join(' and ')}: open the port through ufw, which keeps its rules in /etc/ufw and rebuilds its chains from them.`,
    remedy: {
      summary: `Open the port through ufw, not with iptables: ufw owns ${chains.join(' and ')} and rebuilds ${chains.length > 1 ? 'them' : 'it'} at every ufw reload and boot, so a rule inserted there with iptables does not last.`,
      commands: rules.map(({ b, rule, command }) => `${command}   # ufw adds "${rule.text}" (its ${b.probe!.path === 'input' ? 'INPUT' : 'FORWARD'} rules for this port, ahead of ${b.num === 0 ? `the ${b.chain} policy` : b.chain}); kept in /etc/ufw/user${v6 ? '6' : ''}.rules`),
      caution: "ufw keeps its rules in /etc/ufw (user.rules, before.rules) and rebuilds its chains from them: do not insert rules into ufw's chains with iptables, and do not save the live rules anywhere (they hold Docker's chains).",
    },
  };
}
