/**
 * ufw.published-ports-bypass: ufw denies incoming connections by default, yet Docker publishes a
 * port on the host's public addresses that ufw does not allow, and it is reachable from anywhere
 * (moby/moby#4737, Docker's docs "Docker and ufw"). Docker DNATs the published port in nat
 * PREROUTING; the packet then crosses filter FORWARD, where Docker's DOCKER chain accepts it, and
 * never meets ufw's INPUT chains (`ufw deny 8080` changes nothing). An exposure, not an outage: a warning.
 *
 * Decided by tracing, per family, a new connection from an outside address on the uplink to the
 * host's address on each port Docker's nat DOCKER chain DNATs (the rule's own `-d` when it has one):
 * - through every table: it is DNATed to a container and accepted in FORWARD, by a rule that is not
 *   ufw's (an accept in ufw-user-forward is a `ufw route allow` the admin wrote); a DOCKER-USER that
 *   drops it or hands it to ufw's chains (the ufw-docker pattern) ends in a drop: no finding;
 * - through the same rules without the nat table (the port as if the host served it): ufw's chains
 *   (or the INPUT policy ufw sets, with ufw's chains in INPUT) drop or reject it. That is what
 *   "ufw is active with incoming deny/reject and does not allow this port" means in the rules
 *   themselves: `ufw disable` leaves its chains empty and INPUT's policy ACCEPT; `ufw default allow
 *   incoming` sets that policy ACCEPT; `ufw allow 8080` adds an ACCEPT to ufw-user-input. So
 *   the rules alone decide, with or without `ufw status`; ufw's chains in the rules are required.
 * `ufw status` (any shape), when the bundle has it, is cited (its Status and Default lines) and is a
 * guard too: inactive, a default of allow incoming, or an ALLOW IN of the port from Anywhere: no finding.
 * Ports Docker publishes on 127.0.0.1 / ::1 only do not match a packet to the host's public address.
 * Docker with `"iptables": false` writes no DNAT.
 *
 * Docker's nftables back end (29+, `"firewall-backend": "nftables"`): its DNAT rules are in the nft table
 * `ip[6] docker-bridges`, traced with ufw's iptables chains on the same hooks (src/nft/trace.ts). Docker's
 * docs (engine/network/firewall-nftables, "FORWARD policy in iptables"): an nftables accept is not final,
 * so ufw's FORWARD policy DROP (its default routed policy, deny) still drops the DNATed packets: ufw
 * governs them through its route rules, no finding. With `ufw default allow routed` they pass: the same
 * warning, remedied by ufw's routed policy (Docker 29 does not jump to DOCKER-USER).
 *
 * No live rules at all (a ticket's `ufw status verbose` + `docker ps`): the published ports of running
 * containers (docker ps), with ufw active and denying incoming: a warning that says it rests on those, not
 * on a traced path (fromDockerPs).
 */
import { nftCutNote } from './lib/nft-cut.js';
import { defineAnalyzer, type Partly } from '../src/engine/analyzer.js';
import type { Evidence } from '../src/report/schema.js';
import type { Chain, Rule } from '../src/netfilter/rules.js';
import { matchOption } from '../src/netfilter/rules.js';
import { trace, type Packet, type TraceResult, type TraceStep } from '../src/netfilter/trace.js';
import { interfacesOf } from '../src/parsers/interfaces.js';
import { ufwAllowsFromAnywhere, ufwAllowsFromSome, type UfwStatus } from '../src/parsers/ufw-status.js';
import { routeDevFor } from './lib/container-host.js';
import { dockerPresence, liveViews, liveViews6, traceContext, traceContext6, uplinkOf, UNKNOWN_UPLINK, type BackendView } from './lib/node-view.js';
import { outsideAddress, unknownUplinkAddress } from './lib/probe-address.js';
import { distinctEvidence } from './lib/evidence.js';
import type { SourceRef } from '../src/model/source.js';
import type { NftRule, NftValue } from '../src/nft/model.js';
import { reachableBindings, type ReachableBinding } from '../src/parsers/docker-ps.js';

const UFW_CHAIN = /^ufw6?-/;
const LOOPBACK = /^(127\.|::1(\/128)?$|0:0:0:0:0:0:0:1)/;
const ANY = /^(0\.0\.0\.0\/0|::\/0|0\/0)$/;

/** One published port that reaches its container past ufw. */
export interface Exposure {
  family: 4 | 6;
  protocol: string;
  /** the host port, as the DNAT rule matches it */
  port: number;
  /** the address the trace connected to (the host's, or the DNAT rule's own -d) */
  hostAddress: string;
  /** the DNAT rule's own -d: the port is published on that address only; undefined: on every address */
  publishedOn?: string;
  /** the container address and port, as the DNAT rule rewrites them */
  to: string;
  /** the bridge the container sits on (the DNAT rule's `! -i`, or the route) */
  bridge?: string;
  /** the DNAT rule: Docker's iptables nat DOCKER rule, or (Docker 29's nftables back end) its rule in `ip[6] docker-bridges` */
  dnat: Pick<Rule, 'ref' | 'text'>;
  /** the DNAT rule is Docker's nftables one (no DOCKER-USER chain there: Docker 29 does not jump to it) */
  nft?: boolean;
  /** the rule (or policy) that accepted the forwarded connection */
  acceptedBy?: TraceStep;
  /** what ufw does to the port were the host serving it */
  deniedBy?: TraceStep;
  /** ufw rules that allow the port from some sources only */
  someSources: Evidence[];
}

const ev = (s: TraceStep, note: string): Evidence => ({ file: s.file, line: s.line, excerpt: s.text, note });
const hostPort = (a: string, p: number) => (a.includes(':') ? `[${a}]:${p}` : `${a}:${p}`);

function hasUfwChains(v: BackendView): boolean {
  return [...(v.tables.get('filter')?.keys() ?? [])].some((c) => UFW_CHAIN.test(c));
}

/** The host's address to connect to: the uplink's first global address of the family, else a documentation address added to the node's own. */
function hostAddressOf(artifacts: Parameters<typeof uplinkOf>[0], family: 4 | 6, uplink: string | undefined): string | undefined {
  if (!uplink) return undefined;
  return interfacesOf(artifacts.ipAddr ?? []).get(uplink)?.addresses.find((a) => a.family === family && (a.scope === undefined || a.scope === 'global'))?.address;
}

/** A port Docker DNATs: its iptables nat DOCKER rule, or its rule in the nftables table `ip[6] docker-bridges`. */
interface DnatCandidate {
  ref: SourceRef;
  text: string;
  protocol: string;
  port: number;
  /** the rule's own destination address (published on that address only) */
  destination?: string;
  /** the container address and port (`172.17.0.2:80`, `[fd00::2]:80`) */
  to: string;
  /** the bridge (the rule's `! -i` / `iifname !=`) */
  bridge?: string;
  nft?: boolean;
}

function iptablesDnats(view: BackendView): DnatCandidate[] {
  const out: DnatCandidate[] = [];
  for (const r of view.tables.get('nat')?.get('DOCKER')?.rules ?? []) {
    if (r.target !== 'DNAT' || !r.protocol || r.protocol.negated || !['tcp', 'udp', 'sctp'].includes(r.protocol.value)) continue;
    const dport = matchOption(r, r.protocol.value, 'dport') ?? r.matches.flatMap((m) => m.options).find((o) => o.name === 'dport');
    const port = dport && !dport.negated ? Number(/^(\d+)/.exec(dport.value ?? '')?.[1] ?? NaN) : NaN;
    if (!Number.isInteger(port)) continue;
    out.push({
      ref: r.ref,
      text: r.text,
      protocol: r.protocol.value,
      port,
      destination: r.destination && !r.destination.negated ? r.destination.value : undefined,
      to: r.targetOptions['to-destination'] ?? '?',
      bridge: r.inInterface?.negated ? r.inInterface.value : undefined,
    });
  }
  return out;
}

/**
 * Docker 29's nftables back end: `iifname != "br-x" tcp dport 8080 dnat to 172.18.0.2:80` in the
 * chains of `ip docker-bridges` (`ip6` for IPv6). Docker's docs (engine/network/firewall-nftables):
 * an iptables FORWARD policy DROP drops what Docker's nftables rules accept (an nftables accept is not
 * final), so ufw's routed default decides: deny (ufw's default) blocks the port, allow lets it past ufw.
 */
function nftDnats(artifacts: Parameters<typeof uplinkOf>[0], family: 4 | 6): DnatCandidate[] {
  const fam = family === 6 ? 'ip6' : 'ip';
  const out: DnatCandidate[] = [];
  const value = (e: { value: NftValue }) => (e.value.kind === 'value' ? e.value.value : undefined);
  for (const t of (artifacts.nftables ?? []).flatMap((rs) => rs.tables)) {
    if (t.name !== 'docker-bridges' || t.family !== fam) continue;
    for (const c of t.chains)
      for (const r of c.rules as NftRule[]) {
        if (r.nat?.kind !== 'dnat' || !r.nat.to) continue;
        let protocol: string | undefined;
        let port = NaN;
        let destination: string | undefined;
        let bridge: string | undefined;
        let unusable = false;
        for (const e of r.exprs) {
          if (e.kind !== 'match') continue;
          const m = /^(tcp|udp|sctp) dport$/.exec(e.key);
          if (m) {
            const v = value(e);
            if (e.op !== '==' || !v || !/^\d+$/.test(v)) unusable = true;
            else {
              protocol = m[1];
              port = Number(v);
            }
          } else if (e.key === `${fam} daddr`) {
            const v = value(e);
            if (e.op !== '==' || !v) unusable = true;
            else destination = v;
          } else if (e.key === 'iifname' && e.op === '!=') bridge = value(e);
        }
        if (unusable || !protocol || !Number.isInteger(port)) continue;
        const addr = r.nat.to.includes(':') ? `[${r.nat.to}]` : r.nat.to;
        out.push({ ref: r.ref, text: r.text, protocol, port, destination, to: r.nat.ports ? `${addr}:${r.nat.ports}` : addr, bridge, nft: true });
      }
  }
  return out;
}

/** The published ports one family's rules let past ufw. */
export function exposures(artifacts: Parameters<typeof uplinkOf>[0], family: 4 | 6, status: UfwStatus | undefined, partly?: Partly): Exposure[] {
  const view = (family === 6 ? liveViews6(artifacts) : liveViews(artifacts))[0];
  if (!view || !hasUfwChains(view)) return [];
  const candidates = [...iptablesDnats(view), ...nftDnats(artifacts, family)];
  if (candidates.length === 0) return [];
  const tables = view.tables;
  const noNat = new Map<string, Map<string, Chain>>([...tables].filter(([t]) => t !== 'nat'));
  const base = family === 6 ? traceContext6(artifacts) : traceContext(artifacts);
  const uplink = uplinkOf(artifacts, family);
  const inInterface = uplink ?? UNKNOWN_UPLINK;
  const own = hostAddressOf(artifacts, family, uplink);
  const out: Exposure[] = [];
  for (const r of candidates) {
    const { protocol, port } = r;
    // published on one address: loopback is not reachable from outside; another one is the address to try
    const d = r.destination && !ANY.test(r.destination) ? r.destination.replace(/\/(32|128)$/, '') : undefined;
    if (d && LOOPBACK.test(d)) continue;
    if (d && d.includes('/')) continue;
    const dst = d ?? own ?? unknownUplinkAddress(artifacts, family);
    const bridge = r.bridge;
    const ctx = {
      ...base,
      localAddresses: [...new Set([...base.localAddresses, dst])],
      interfaceFor: (ip: string) => routeDevFor(artifacts, ip) ?? bridge,
    };
    // a client beyond the node: an address the node neither owns nor is connected to (R30: a fixed 198.51.100.10 was the node's own)
    const packet: Packet = { src: outsideAddress(artifacts, family, [dst]), dst, protocol, sport: 40000, dport: port, inInterface: inInterface, state: 'new', mark: 0 };
    const through: TraceResult = trace(tables, 'input', packet, ctx);
    if (through.verdict.kind === 'unknown' && r.nft) {
      const at = through.verdict.at;
      partly?.(`could not decide whether ${hostPort(dst, port)}/${protocol} (Docker's nftables DNAT, ${r.ref.file}:${r.ref.line}) gets past ufw: ${through.verdict.reason}${at ? ` at ${at.table} ${at.chain} (${at.file}:${at.line})` : ''}`);
      continue;
    }
    if (through.verdict.kind !== 'ACCEPT' || through.path !== 'forward') continue;
    // the DNAT that did it is this rule (not another one of the chain)
    const dnatStep = r.nft
      ? through.packet.dst === containerAddress(r.to).ip
        ? through.steps.find((s) => s.nft && s.file === r.ref.file && s.line === r.ref.line)
        : undefined
      : through.steps.find((s) => s.action === 'dnat');
    if (!dnatStep || dnatStep.line !== r.ref.line || dnatStep.file !== r.ref.file) continue;
    // a `ufw route allow` the admin wrote (ufw-user-forward, reached from DOCKER-USER): meant to be open
    if (through.decidedBy && UFW_CHAIN.test(through.decidedBy.chain)) continue;
    // with Docker's nftables rules, ufw's FORWARD runs first and its accept is not final (Docker's chain accepts after it): an accept in ufw's chains is the admin's
    if (r.nft && through.steps.some((s) => !s.nft && UFW_CHAIN.test(s.chain) && /-j ACCEPT\b/.test(s.text))) continue;
    // the same connection, were the host serving the port: ufw must drop or reject it (no DNAT: for Docker's nftables rules, nor its nat chains)
    const local = trace(noNat, 'input', packet, r.nft && base.extraChains ? { ...ctx, extraChains: (h) => base.extraChains!(h).filter((e) => e.type !== 'nat') } : ctx);
    if (local.path !== 'input' || (local.verdict.kind !== 'DROP' && local.verdict.kind !== 'REJECT')) continue;
    const by = local.decidedBy;
    const inputJumpsToUfw = (tables.get('filter')?.get('INPUT')?.rules ?? []).some((x) => UFW_CHAIN.test(x.target ?? ''));
    if (!by || !(UFW_CHAIN.test(by.chain) || (by.chain === 'INPUT' && by.action === 'policy' && inputJumpsToUfw))) continue;
    // ufw status, where the bundle has it: an ALLOW IN of the port from anywhere is the admin's (the rules should show it too)
    if (status && ufwAllowsFromAnywhere(status, protocol, port, family).length > 0) continue;
    const someSources = status ? ufwAllowsFromSome(status, protocol, port, family).map((u) => ({ file: u.ref.file, line: u.ref.line, excerpt: u.excerpt, note: `ufw allows ${port} only from ${u.from.address ?? u.from.text}: Docker's DNAT lets everyone in` })) : [];
    out.push({
      family,
      protocol,
      port,
      hostAddress: dst,
      publishedOn: d,
      to: r.to,
      bridge: through.packet.outInterface ?? bridge,
      dnat: r,
      nft: r.nft,
      acceptedBy: through.decidedBy,
      deniedBy: by,
      someSources,
    });
  }
  return out;
}

/** The container address of a DNAT target (`172.17.0.2:80`, `[fd00::2]:80`). */
function containerAddress(to: string): { ip: string; port?: string } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?/.exec(to);
  if (v6) return { ip: v6[1], port: v6[2] };
  const [ip, port] = to.split(':');
  return { ip, port };
}

export default defineAnalyzer({
  id: 'ufw.published-ports-bypass',
  title: "Docker publishes ports that ufw's rules do not govern",
  description: 'ufw denies incoming connections by default, but a port Docker publishes on the host\'s public address reaches its container from anywhere: the DNATed packets cross FORWARD, never ufw\'s INPUT rules.',
  scope: 'node',
  requires: [],
  // the rules to trace, else (a ticket's `ufw status verbose` + `docker ps`) the ports docker ps shows published
  requiresOneOf: ['iptables', 'dockerPs'],
  optional: ['iptables', 'dockerPs', 'ufwStatus', 'ipAddr', 'routes', 'dockerDaemon', 'services', 'nftables', 'ipsets', 'dockerNetworks', 'logs'],
  analyze({ node, artifacts, partly }) {
    const docker = dockerPresence(artifacts);
    if (docker.firewallOff) return [];
    const statuses = artifacts.ufwStatus ?? [];
    const status = statuses.find((s) => s.defaults) ?? statuses.find((s) => s.status) ?? undefined;
    if (status?.status?.value === 'inactive') return [];
    const incoming = status?.defaults?.value.incoming;
    if (incoming && incoming !== 'deny' && incoming !== 'reject') return [];
    // no live rules at all: what docker ps and ufw status say, not a traced path
    if (liveViews(artifacts).length === 0 && liveViews6(artifacts).length === 0) return fromDockerPs(node, artifacts, status, docker, partly);
    // Docker 29's nftables back end with no nft listing: its DNAT rules are not in the bundle
    const nftDocker = (artifacts.nftables ?? []).some((rs) => rs.tables.some((t) => t.name === 'docker-bridges'));
    if (docker.nftBackend && !nftDocker && liveViews(artifacts).some(hasUfwChains))
      partly?.(`Docker writes nftables rules (${docker.nftBackend.file}:${docker.nftBackend.line}) and the bundle has no nft list ruleset: the ports it publishes were not traced past ufw; collect nft list ruleset`, ['nftables']);
    // a cut-off nft listing: DNATs of Docker's table past the cut are not in the file (those shown are traced)
    const dockerCut = docker.nftBackend && liveViews(artifacts).some(hasUfwChains) ? nftCutNote(artifacts.nftables ?? [], { name: 'docker-bridges' }) : undefined;
    if (dockerCut) partly?.(`the ports Docker publishes through its nftables table docker-bridges were traced past ufw only as far as the listing shows them: ${dockerCut}; collect the whole nft list ruleset`, ['nftables']);
    // a cut listing that may hide Docker 29's table: Docker's DNATs may be there, past the cut
    if (docker.backendUnknown && liveViews(artifacts).some(hasUfwChains)) partly?.(`the ports Docker publishes were traced through iptables only: ${docker.backendUnknown}; collect the whole nft list ruleset`, ['nftables']);
    const found = [...exposures(artifacts, 4, status, partly), ...exposures(artifacts, 6, status, partly)];
    if (found.length === 0) return [];

    const evidence: Evidence[] = [];
    if (status?.status) evidence.push({ file: status.status.ref.file, line: status.status.ref.line, excerpt: status.status.excerpt, note: 'ufw is active' });
    if (status?.defaults) evidence.push({ file: status.defaults.ref.file, line: status.defaults.ref.line, excerpt: status.defaults.excerpt, note: `ufw's default for incoming connections: ${incoming}` });
    const ports = [...new Set(found.map((e) => `${e.port}/${e.protocol}`))];
    if (status)
      evidence.push({ file: status.file, line: status.header?.line ?? 0, excerpt: status.header ? 'To  Action  From' : `ufw status: ${status.rules.length} rules`, note: `no ALLOW IN rule from Anywhere for ${ports.join(', ')} among ufw's ${status.rules.length} rules` });
    for (const e of found) {
      evidence.push({ file: e.dnat.ref.file, line: e.dnat.ref.line, excerpt: e.dnat.text, note: `Docker DNATs ${e.hostAddress === unknownUplinkAddress(artifacts, e.family) ? `port ${e.port} of the host's addresses` : hostPort(e.hostAddress, e.port)}${e.family === 6 ? ' (IPv6)' : ''} to the container ${e.to}` });
      if (e.acceptedBy) evidence.push(ev(e.acceptedBy, `${e.acceptedBy.action === 'policy' ? 'the policy' : `${e.acceptedBy.table}/${e.acceptedBy.chain} rule ${e.acceptedBy.num}`} accepts it in FORWARD: ufw's INPUT rules never see it`));
      if (e.deniedBy) evidence.push(ev(e.deniedBy, e.deniedBy.action === 'policy' ? `ufw would drop ${e.port}/${e.protocol} were the host serving it: no ufw rule allows it, and INPUT's policy (ufw's default incoming) drops it` : `ufw would ${/REJECT/.test(e.deniedBy.text) ? 'reject' : 'drop'} ${e.port}/${e.protocol} were the host serving it (${e.deniedBy.chain})`));
      evidence.push(...e.someSources);
    }

    const list = found.map((e) => `${hostPort(e.publishedOn ?? (e.family === 6 ? '::' : '0.0.0.0'), e.port)}/${e.protocol} -> ${e.to}`);
    const bridges = [...new Set(found.filter((e) => e.bridge).map((e) => `${e.family}|${e.bridge}`))].map((k) => ({ family: Number(k.split('|')[0]) as 4 | 6, bridge: k.split('|')[1] }));
    const block = (family: 4 | 6) => {
      const bs = bridges.filter((b) => b.family === family).map((b) => b.bridge);
      if (!bs.length) return [];
      const file = family === 6 ? '/etc/ufw/after6.rules' : '/etc/ufw/after.rules';
      const fwd = family === 6 ? 'ufw6-user-forward' : 'ufw-user-forward';
      const lines = ['# BEGIN bundle-doctor DOCKER-USER', '*filter', `:${fwd} - [0:0]`, ':DOCKER-USER - [0:0]', `-A DOCKER-USER -j ${fwd}`, ...bs.map((b) => `-A DOCKER-USER -o ${b} ! -i ${b} -m conntrack --ctstate NEW -j DROP`), 'COMMIT', '# END bundle-doctor DOCKER-USER'];
      return [`grep -q '^# BEGIN bundle-doctor DOCKER-USER' ${file} || printf '%s\\n' ${lines.map((l) => `'${l}'`).join(' ')} >> ${file}`];
    };
    const routeAllows = found.map((e) => {
      const c = containerAddress(e.to);
      return `ufw route allow proto ${e.protocol} from any to ${c.ip}${c.port ? ` port ${c.port}` : ''}   # only for a port meant to be public (${e.port}/${e.protocol} -> ${e.to})`;
    });
    const firstLoopback = found.find((e) => e.family === 4) ?? found[0];
    const c0 = containerAddress(firstLoopback.to);
    const viaNft = found.some((e) => e.nft);
    const loopbackHint = `# either: publish on loopback, e.g. docker run -p ${firstLoopback.family === 6 ? '[::1]' : '127.0.0.1'}:${firstLoopback.port}:${c0.port ?? firstLoopback.port} ...  (compose: ports: ["${firstLoopback.family === 6 ? '[::1]' : '127.0.0.1'}:${firstLoopback.port}:${c0.port ?? firstLoopback.port}"]), then re-create the container`;
    if (viaNft) {
      // the iptables FORWARD policy ufw sets from its routed default: ACCEPT lets Docker's nftables accept stand
      const fwd = liveViews(artifacts)[0]?.tables.get('filter')?.get('FORWARD');
      if (fwd && fwd.policy === 'ACCEPT') evidence.push({ file: fwd.ref.file, line: fwd.ref.line, excerpt: `:FORWARD ${fwd.policy}`, note: "iptables' FORWARD policy is ACCEPT (ufw's routed default: allow): nothing in ufw's chains drops the forwarded connection, so Docker's nftables accept stands" });
    }
    const finding = (how: string, facts: Record<string, unknown>, remedy: { summary: string; commands: string[]; caution: string }) => ({
      severity: 'warning' as const,
      title: "Docker publishes ports that ufw's rules do not govern",
      message: `ufw on ${node} denies incoming connections${incoming ? ` (Default: ${incoming} (incoming))` : ' (its INPUT rules drop what they do not allow)'}, but Docker${how}, and ufw's INPUT rules never see them. They are reachable from any address that reaches the host.`,
      impact: 'Services published with docker run -p / compose ports are open to the network although ufw status suggests they are closed; ufw deny rules for these ports have no effect.',
      evidence: distinctEvidence(evidence),
      facts: {
        ports: found.map((e) => ({ family: e.family, protocol: e.protocol, port: e.port, hostAddress: e.hostAddress, to: e.to, bridge: e.bridge })),
        ufwStatus: status?.status?.value ?? 'active (from the rules)',
        defaultIncoming: incoming ?? 'deny (from the rules)',
        ...facts,
      },
      remedy,
    });
    if (viaNft)
      return [
        finding(
          ` (its nftables firewall back end) publishes ${list.join(', ')}, which ufw does not allow: Docker DNATs them in its table docker-bridges, the packets cross FORWARD, where ufw's routed policy accepts them and Docker's nftables rules accept them too`,
          { firewallBackend: 'nftables' },
          {
            summary:
              "Publish what only this host uses on 127.0.0.1; or let ufw's routed policy drop forwarded connections (Docker's nftables accept is not final: an iptables FORWARD drop still drops), then open each public port with ufw route allow. Docker's nftables back end has no DOCKER-USER chain.",
            commands: [loopbackHint, "# or: make ufw's routed (FORWARD) policy drop, then allow each public port to its container:", 'ufw default deny routed', ...routeAllows],
            caution:
              "ufw default deny routed drops every forwarded connection ufw's route rules do not allow: containers reaching other hosts need established replies (ufw's before rules accept them) and outgoing connections from the bridges may need ufw route allow in on <bridge>; container addresses change when a container is re-created, so ufw route rules naming them must follow.",
          },
        ),
      ];
    return [
      finding(` publishes ${list.join(', ')}, which ufw does not allow: Docker DNATs them in nat PREROUTING, the packets cross FORWARD where Docker's rules accept them`, {}, {
        summary:
          'Publish what only this host uses on 127.0.0.1 (docker run -p 127.0.0.1:HOST:CONTAINER, compose "127.0.0.1:HOST:CONTAINER", or "ip": "127.0.0.1" in /etc/docker/daemon.json for every container); or let ufw decide in DOCKER-USER: jump to ufw\'s forward rules and drop new connections into the bridge from elsewhere, then open each public port with ufw route allow.',
        commands: [
          loopbackHint,
          '# or: let ufw filter what reaches the containers (Docker leaves DOCKER-USER to you; ufw reload replaces its content, so this can be run twice):',
          ...block(4),
          ...(found.some((e) => e.family === 6) ? block(6) : []),
          'ufw reload',
          ...routeAllows,
        ],
        caution:
          'The DOCKER-USER drop also stops new connections into the bridge from other hosts and other Docker networks unless a ufw route allow rule lets them; container addresses change when a container is re-created, so ufw route rules naming them must follow (ufw-docker allow <container> automates it). Changing "ip" in daemon.json needs a docker restart and affects only containers created afterwards.',
      }),
    ];
  },
});

/**
 * No rules in the bundle (a ticket's `ufw status verbose` and `docker ps`): the ports running containers
 * publish on 0.0.0.0 or a host address, with ufw active and denying incoming connections. With Docker's
 * iptables rules these reach their containers through FORWARD, never ufw's INPUT (moby#4737); a DOCKER-USER
 * block in /etc/ufw/after.rules would govern them, and only the rules show one. IPv4 bindings only: a
 * `:::8080` binding is DNATed only where Docker manages ip6tables (default since 27), else docker-proxy
 * serves it on the host, behind ufw's INPUT. With Docker's nftables back end ufw's routed default decides.
 */
function fromDockerPs(
  node: string,
  artifacts: Parameters<typeof uplinkOf>[0],
  status: UfwStatus | undefined,
  docker: ReturnType<typeof dockerPresence>,
  partly: Partly | undefined,
) {
  const lists = artifacts.dockerPs ?? [];
  if (lists.length === 0 || !status?.status || status.status.value !== 'active') return [];
  const reachable = reachableBindings(lists).filter((r) => r.family === 4);
  if (reachable.length === 0) return [];
  const incoming = status.defaults?.value.incoming;
  if (!incoming) {
    partly?.(`Docker publishes ${reachable.length} port binding(s) on the host's addresses (docker ps) and ufw is active, but ${status.file} does not show ufw's defaults: whether ufw denies incoming connections was not checked (collect ufw status verbose, or iptables-save)`);
    return [];
  }
  const portsOf = (b: ReachableBinding['binding']) => Array.from({ length: Math.min(b.hostPortEnd - b.hostPort + 1, 1024) }, (_, k) => b.hostPort + k);
  // the admin opened the port to everyone: meant to be public
  const open = reachable.filter((r) => !portsOf(r.binding).every((p) => ufwAllowsFromAnywhere(status, r.binding.protocol, p, 4).length > 0));
  if (open.length === 0) return [];
  const routed = status.defaults?.value.routed;
  if (docker.nftBackend) {
    // Docker 29's nftables rules: ufw's FORWARD (iptables) runs beside them and its drop is final
    if (routed === 'deny' || routed === 'reject') return [];
    if (routed !== 'allow') {
      partly?.(`Docker writes nftables rules (${docker.nftBackend.file}:${docker.nftBackend.line}): whether ufw's FORWARD policy drops the ports docker ps shows published was not decided (${status.file} does not say ufw's routed default); collect nft list ruleset and iptables-save`);
      return [];
    }
  }
  const label = (r: ReachableBinding) => `${r.binding.hostIp ?? '0.0.0.0'}:${r.binding.hostPort === r.binding.hostPortEnd ? r.binding.hostPort : `${r.binding.hostPort}-${r.binding.hostPortEnd}`}->${r.binding.containerPort}/${r.binding.protocol}`;
  const list = [...new Set(open.map((r) => `${label(r)} (${r.container.name ?? r.container.id})`))];
  const evidence: Evidence[] = [
    { file: status.status.ref.file, line: status.status.ref.line, excerpt: status.status.excerpt, note: 'ufw is active' },
  ];
  if (status.defaults) evidence.push({ file: status.defaults.ref.file, line: status.defaults.ref.line, excerpt: status.defaults.excerpt, note: `ufw's default for incoming connections: ${incoming}${docker.nftBackend ? `, for routed ones: ${routed}` : ''}` });
  const ports = [...new Set(open.map((r) => `${r.binding.hostPort}/${r.binding.protocol}`))];
  evidence.push({ file: status.file, line: status.header?.line ?? 0, excerpt: status.header ? 'To  Action  From' : `ufw status: ${status.rules.length} rules`, note: `no ALLOW IN rule from Anywhere for ${ports.join(', ')} among ufw's ${status.rules.length} rules` });
  for (const r of open) evidence.push({ file: r.container.ref.file, line: r.container.ref.line, excerpt: r.container.excerpt, note: `container ${r.container.name ?? r.container.id} is ${r.container.status ?? 'running'} and publishes ${label(r)} on ${r.binding.hostIp && r.binding.hostIp !== '0.0.0.0' ? r.binding.hostIp : "every host address"}` });
  if (docker.nftBackend) evidence.push(docker.nftBackend);
  const first = open[0];
  const cport = first.binding.containerPort.split('-')[0];
  return [
    {
      severity: 'warning' as const,
      title: "Docker publishes ports that ufw's rules do not govern",
      message: `ufw on ${node} is active and denies incoming connections (Default: ${incoming} (incoming)), but running containers publish ${list.join(', ')} on the host's addresses (docker ps), and ufw has no ALLOW IN rule for them. ${docker.nftBackend ? "Docker's nftables rules DNAT them and ufw's routed default (allow) lets the forwarded packets through" : "Docker DNATs published ports in nat PREROUTING and the packets cross FORWARD, where Docker's rules accept them"}: ufw's INPUT rules never see them, so they are reachable from any address that reaches the host. This rests on docker ps and ufw status, not on a traced path: the bundle has no iptables rules. A DOCKER-USER block in /etc/ufw/after.rules (the ufw-docker pattern) or ufw route rules would stop or govern these connections, and only the rules show one: collect iptables-save and ip6tables-save${docker.nftBackend ? ' and nft list ruleset' : ''} to confirm.`,
      impact: 'Services published with docker run -p / compose ports are open to the network although ufw status suggests they are closed; ufw deny rules for these ports have no effect.',
      evidence: distinctEvidence(evidence),
      facts: {
        ports: open.map((r) => ({ family: 4, protocol: r.binding.protocol, port: r.binding.hostPort, portEnd: r.binding.hostPortEnd, hostIp: r.binding.hostIp ?? '0.0.0.0', containerPort: r.binding.containerPort, container: r.container.name ?? r.container.id })),
        ufwStatus: status.status.value,
        defaultIncoming: incoming,
        basis: 'docker ps and ufw status (no rules traced)',
        ...(docker.nftBackend ? { firewallBackend: 'nftables', defaultRouted: routed } : {}),
      },
      remedy: {
        summary:
          "Confirm with the rules (a DOCKER-USER block would show there), then publish what only this host uses on 127.0.0.1 (docker run -p 127.0.0.1:HOST:CONTAINER, compose \"127.0.0.1:HOST:CONTAINER\"), or let ufw decide what reaches the containers (a DOCKER-USER block in /etc/ufw/after.rules with ufw route allow per public port; with Docker's nftables back end, ufw default deny routed).",
        commands: [
          'iptables-save > iptables-save.txt; ip6tables-save > ip6tables-save.txt   # the rules decide: attach both to the ticket (read-only)',
          'iptables -S DOCKER-USER   # only "-A DOCKER-USER -j RETURN" or nothing: no rule stands between the published ports and the network',
          ...(docker.nftBackend ? ['nft list ruleset > nft-list-ruleset.txt   # Docker\'s table ip docker-bridges (read-only)'] : []),
          `# either: publish on loopback, e.g. docker run -p 127.0.0.1:${first.binding.hostPort}:${cport} ...  (compose: ports: ["127.0.0.1:${first.binding.hostPort}:${cport}"]), then re-create the container`,
          `docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}' ${first.container.name ?? first.container.id}   # the container's address, for ufw route allow proto ${first.binding.protocol} from any to <address> port ${cport}`,
        ],
        caution: "Re-creating a container restarts its service. ufw route rules name container addresses, which change when a container is re-created.",
      },
    },
  ];
}
