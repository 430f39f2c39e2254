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
 * Docker with `"iptables": false` writes no DNAT. Docker's nftables back end (29+, table ip
 * docker-bridges) is not looked at.
 */
import { defineAnalyzer } from '../src/engine/analyzer.js';
import type { Evidence } from '../src/report/schema.js';
import type { Chain, Rule } from '../src/netfilter/rules.js';
import { matchOption } from '../src/netfilter/rules.js';
import { trace, type Packet, type TraceResult, type TraceStep } from '../src/netfilter/trace.js';
import { interfacesOf } from '../src/parsers/interfaces.js';
import { ufwAllowsFromAnywhere, ufwAllowsFromSome, type UfwStatus } from '../src/parsers/ufw-status.js';
import { routeDevFor } from './lib/container-host.js';
import { dockerPresence, liveViews, liveViews6, traceContext, traceContext6, uplinkOf, UNKNOWN_UPLINK, UNKNOWN_UPLINK_ADDRESS, type BackendView } from './lib/node-view.js';
import { distinctEvidence } from './lib/evidence.js';

const OUTSIDE: Record<4 | 6, string> = { 4: '198.51.100.10', 6: '2001:db8:ffff::10' };
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
  dnat: Rule;
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

/** The published ports one family's rules let past ufw. */
export function exposures(artifacts: Parameters<typeof uplinkOf>[0], family: 4 | 6, status: UfwStatus | undefined): Exposure[] {
  const view = (family === 6 ? liveViews6(artifacts) : liveViews(artifacts))[0];
  if (!view || !hasUfwChains(view)) return [];
  const docker = view.tables.get('nat')?.get('DOCKER');
  if (!docker) return [];
  const tables = view.tables;
  const noNat = new Map<string, Map<string, Chain>>([...tables].filter(([t]) => t !== 'nat'));
  const base = family === 6 ? traceContext6(artifacts) : traceContext(artifacts);
  const uplink = uplinkOf(artifacts, family);
  const inInterface = uplink ?? UNKNOWN_UPLINK;
  const own = hostAddressOf(artifacts, family, uplink);
  const out: Exposure[] = [];
  for (const r of docker.rules) {
    if (r.target !== 'DNAT' || !r.protocol || r.protocol.negated || !['tcp', 'udp', 'sctp'].includes(r.protocol.value)) continue;
    const dport = matchOption(r, r.protocol.value, 'dport') ?? r.matches.flatMap((m) => m.options).find((o) => o.name === 'dport');
    const port = dport && !dport.negated ? Number(/^(\d+)/.exec(dport.value ?? '')?.[1] ?? NaN) : NaN;
    if (!Number.isInteger(port)) continue;
    // published on one address: loopback is not reachable from outside; another one is the address to try
    const d = r.destination && !r.destination.negated && !ANY.test(r.destination.value) ? r.destination.value.replace(/\/(32|128)$/, '') : undefined;
    if (d && LOOPBACK.test(d)) continue;
    if (d && d.includes('/')) continue;
    const dst = d ?? own ?? UNKNOWN_UPLINK_ADDRESS[family];
    const bridge = r.inInterface?.negated ? r.inInterface.value : undefined;
    const ctx = {
      ...base,
      localAddresses: [...new Set([...base.localAddresses, dst])],
      interfaceFor: (ip: string) => routeDevFor(artifacts, ip) ?? bridge,
    };
    const packet: Packet = { src: OUTSIDE[family], dst, protocol: r.protocol.value, sport: 40000, dport: port, inInterface: inInterface, state: 'new', mark: 0 };
    const through: TraceResult = trace(tables, 'input', packet, ctx);
    if (through.verdict.kind !== 'ACCEPT' || through.path !== 'forward') continue;
    // the DNAT that did it is this rule (not another one of the chain)
    const dnatStep = through.steps.find((s) => s.action === 'dnat');
    if (!dnatStep || dnatStep.line !== r.ref.line || dnatStep.file !== r.ref.file) continue;
    // a `ufw route allow` the admin wrote (ufw-user-forward, reached from DOCKER-USER): meant to be open
    if (through.decidedBy && UFW_CHAIN.test(through.decidedBy.chain)) continue;
    // the same connection, were the host serving the port: ufw must drop or reject it
    const local = trace(noNat, 'input', packet, ctx);
    if (local.path !== 'input' || (local.verdict.kind !== 'DROP' && local.verdict.kind !== 'REJECT')) continue;
    const by = local.decidedBy;
    const inputJumpsToUfw = (tables.get('filter')?.get('INPUT')?.rules ?? []).some((x) => UFW_CHAIN.test(x.target ?? ''));
    if (!by || !(UFW_CHAIN.test(by.chain) || (by.chain === 'INPUT' && by.action === 'policy' && inputJumpsToUfw))) continue;
    // ufw status, where the bundle has it: an ALLOW IN of the port from anywhere is the admin's (the rules should show it too)
    if (status && ufwAllowsFromAnywhere(status, r.protocol.value, port, family).length > 0) continue;
    const someSources = status ? ufwAllowsFromSome(status, r.protocol.value, port, family).map((u) => ({ file: u.ref.file, line: u.ref.line, excerpt: u.excerpt, note: `ufw allows ${port} only from ${u.from.address ?? u.from.text}: Docker's DNAT lets everyone in` })) : [];
    out.push({
      family,
      protocol: r.protocol.value,
      port,
      hostAddress: dst,
      publishedOn: d,
      to: r.targetOptions['to-destination'] ?? '?',
      bridge: through.packet.outInterface ?? bridge,
      dnat: r,
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
  requires: ['iptables'],
  optional: ['ufwStatus', 'ipAddr', 'routes', 'dockerDaemon', 'services', 'nftables', 'ipsets', 'dockerNetworks', 'logs'],
  analyze({ node, artifacts }) {
    const docker = dockerPresence(artifacts);
    if (docker.firewallOff) return [];
    const statuses = artifacts.ufwStatus ?? [];
    const status = statuses.find((s) => s.defaults) ?? statuses.find((s) => s.status) ?? undefined;
    if (status?.status?.value === 'inactive') return [];
    const incoming = status?.defaults?.value.incoming;
    if (incoming && incoming !== 'deny' && incoming !== 'reject') return [];
    const found = [...exposures(artifacts, 4, status), ...exposures(artifacts, 6, status)];
    if (found.length === 0) return [];

    const evidence: Evidence[] = [];
    if (status?.status) evidence.push({ file: status.status.ref.file, line: status.status.ref.line, excerpt: status.status.excerpt, note: 'ufw is active' });
    if (status?.defaults) evidence.push({ file: status.defaults.ref.file, line: status.defaults.ref.line, excerpt: status.defaults.excerpt, note: `ufw's default for incoming connections: ${incoming}` });
    const ports = [...new Set(found.map((e) => `${e.port}/${e.protocol}`))];
    if (status)
      evidence.push({ file: status.file, line: status.header?.line ?? 0, excerpt: status.header ? 'To  Action  From' : `ufw status: ${status.rules.length} rules`, note: `no ALLOW IN rule from Anywhere for ${ports.join(', ')} among ufw's ${status.rules.length} rules` });
    for (const e of found) {
      evidence.push({ file: e.dnat.ref.file, line: e.dnat.ref.line, excerpt: e.dnat.text, note: `Docker DNATs ${e.hostAddress === UNKNOWN_UPLINK_ADDRESS[e.family] ? `port ${e.port} of the host's addresses` : hostPort(e.hostAddress, e.port)}${e.family === 6 ? ' (IPv6)' : ''} to the container ${e.to}` });
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
    return [
      {
        severity: 'warning' as const,
        title: "Docker publishes ports that ufw's rules do not govern",
        message: `ufw on ${node} denies incoming connections${incoming ? ` (Default: ${incoming} (incoming))` : ' (its INPUT rules drop what they do not allow)'}, but Docker publishes ${list.join(', ')}, which ufw does not allow: Docker DNATs them in nat PREROUTING, the packets cross FORWARD where Docker's rules accept them, and ufw's INPUT rules never see them. They are reachable from any address that reaches the host.`,
        impact: 'Services published with docker run -p / compose ports are open to the network although ufw status suggests they are closed; ufw deny rules for these ports have no effect.',
        evidence: distinctEvidence(evidence),
        facts: {
          ports: found.map((e) => ({ family: e.family, protocol: e.protocol, port: e.port, hostAddress: e.hostAddress, to: e.to, bridge: e.bridge })),
          ufwStatus: status?.status?.value ?? 'active (from the rules)',
          defaultIncoming: incoming ?? 'deny (from the rules)',
        },
        remedy: {
          summary:
            'Publish what only this host uses on 127.0.0.1 (docker run -p 127.0.0.1:HOST:CONTAINER, compose "127.0.0.1:HOST:CONTAINER", or "ip": "127.0.0.1" in /etc/docker/daemon.json for every container); or let ufw decide in DOCKER-USER: jump to ufw\'s forward rules and drop new connections into the bridge from elsewhere, then open each public port with ufw route allow.',
          commands: [
            `# either: publish on loopback, e.g. docker run -p ${firstLoopback.family === 6 ? '[::1]' : '127.0.0.1'}:${firstLoopback.port}:${c0.port ?? firstLoopback.port} ...  (compose: ports: ["${firstLoopback.family === 6 ? '[::1]' : '127.0.0.1'}:${firstLoopback.port}:${c0.port ?? firstLoopback.port}"]), then re-create the container`,
            '# or: let ufw filter what reaches the containers (Docker leaves DOCKER-USER to you; ufw reload replaces its content, so this can be run twice):',
            ...block(4),
            ...(found.some((e) => e.family === 6) ? block(6) : []),
            'ufw reload',
            ...routeAllows,
          ],
          caution:
            'The DOCKER-USER drop also stops new connections into the bridge from other hosts and other Docker networks unless a ufw route allow rule lets them; container addresses change when a container is re-created, so ufw route rules naming them must follow (ufw-docker allow <container> automates it). Changing "ip" in daemon.json needs a docker restart and affects only containers created afterwards.',
        },
      },
    ];
  },
});
