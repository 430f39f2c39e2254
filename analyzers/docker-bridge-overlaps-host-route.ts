/**
 * docker.bridge-overlaps-host-route: a Docker bridge's connected route (docker0, a compose or user
 * network's br-<12 hex>, Swarm's docker_gwbridge) overlaps another IPv4 route of the host's main table.
 *
 * - the same prefix (docker/for-linux#1422: `172.17.0.0/16 via 10.3.33.1 dev ens192` beside
 *   `172.17.0.0/16 dev docker_gwbridge`): the two routes compete (the kernel takes the one added first,
 *   which changes with the order the network and Docker come up), and the containers on the bridge take
 *   the whole prefix as their own subnet: critical.
 * - the other route more specific (a LAN or a routed network inside the bridge's range): the host still
 *   reaches it by the longer prefix, the containers on the bridge never do: critical.
 * - the bridge inside a wider route via a gateway or an on-link network (172.16.0.0/12 via the VPN,
 *   docker0 on 172.17.0.0/16): the bridge's longer prefix wins, so that part of the wider network is
 *   sent into the bridge; whether anything the host needs lives there the routes do not say: warning.
 *
 * Not here: the default route, a VPN's 0.0.0.0/1 + 128.0.0.0/1 pair (routes that cover everything:
 * log.docker-no-free-address-pool names them), routes of other types (unreachable, blackhole, ...),
 * two Docker bridges against each other, other tables. A route table alone cannot show a LAN the
 * host reaches only through its default route (bitwarden/server#947): nothing fires on that.
 */
import { defineAnalyzer } from '../src/engine/analyzer.js';
import type { FindingDraft } from '../src/engine/analyzer.js';
import type { Evidence } from '../src/report/schema.js';
import type { Route } from '../src/parsers/ip-route.js';
import { cidrContains, cidrOverlap, parseCidr, type Cidr } from '../src/parsers/cidr.js';
import { DOCKER_RESTART_KINDS, dockerRestartOf, restartDocker } from './lib/node-services.js';

const DOCKER_BRIDGE = /^(?:docker0|br-[0-9a-f]{12}|docker_gwbridge)$/;
/** ranges to offer for the bridge, the first no route of the host overlaps */
const FREE_CANDIDATES = ['10.200.0.0/16', '10.201.0.0/16', '10.210.0.0/16', '10.220.0.0/16', '10.230.0.0/16'];

interface Overlap {
  other: Route;
  how: 'same' | 'inside-bridge' | 'bridge-inside';
}

const unicast = (r: Route) => r.type === undefined || r.type === 'unicast';
const mainV4 = (r: Route) => (!r.table || r.table === 'main') && !r.destination.includes(':');
const ev = (r: Route, note: string): Evidence => ({ file: r.ref.file, line: r.ref.line, excerpt: r.excerpt, note });
const where = (r: Route) => `${r.ref.file}:${r.ref.line}`;
const path = (r: Route) => (r.via ? `via ${r.via}${r.dev ? ` on ${r.dev}` : ''}` : `on ${r.dev} (on-link)`);

export default defineAnalyzer({
  id: 'docker.bridge-overlaps-host-route',
  title: "A Docker bridge's subnet overlaps a route of the host",
  description: "A Docker bridge's connected route (docker0, br-<id>, docker_gwbridge) has the same prefix as, contains, or lies inside another route of the host, so traffic for that network goes into the bridge.",
  scope: 'node',
  requires: ['routes'],
  optional: [...DOCKER_RESTART_KINDS],
  analyze({ node, artifacts, partly }) {
    const all = artifacts.routes.flatMap((t) => t.routes).filter(mainV4);
    const routes = all.filter(unicast);
    const cidr = new Map<Route, Cidr>();
    for (const r of all) {
      const c = parseCidr(r.destination);
      if (c) cidr.set(r, c);
    }
    const bridges = routes.filter((r) => r.dev && DOCKER_BRIDGE.test(r.dev) && !r.via && cidr.has(r));
    // nothing to compare: a host without Docker's bridges (or routes taken while they were down) is not checked here
    if (bridges.length === 0) {
      partly?.('not run: no Docker bridge (docker0, br-<id>, docker_gwbridge) among the routes');
      return [];
    }
    // the default route and a VPN's /1 halves cover every address: not a bridge's overlap (log.docker-no-free-address-pool)
    const others = routes.filter((r) => cidr.has(r) && cidr.get(r)!.prefix >= 2 && !(r.dev && DOCKER_BRIDGE.test(r.dev)) && r.dev !== 'lo' && (r.via || r.dev));
    const findings: FindingDraft[] = [];
    const seen = new Set<string>();
    for (const b of bridges) {
      const bc = cidr.get(b)!;
      const key = `${b.dev} ${b.destination}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const overlaps: Overlap[] = [];
      for (const o of others) {
        const oc = cidr.get(o)!;
        if (!cidrOverlap(bc, oc)) continue;
        overlaps.push({ other: o, how: oc.prefix === bc.prefix ? 'same' : cidrContains(bc, oc) ? 'inside-bridge' : 'bridge-inside' });
      }
      if (overlaps.length === 0) continue;
      const strong = overlaps.filter((o) => o.how !== 'bridge-inside');
      const severity = strong.length > 0 ? ('critical' as const) : ('warning' as const);
      const shown = [...strong, ...overlaps.filter((o) => o.how === 'bridge-inside')].slice(0, 4);
      const bridge = b.dev!;
      const sentences = shown.map((o) => {
        const r = o.other;
        if (o.how === 'same')
          return `${r.destination} is also routed ${path(r)} (${where(r)}): the two routes compete (the kernel uses the one added first, which changes with the order the network and Docker come up), and the containers on ${bridge} take all of ${b.destination} for their own subnet, so they never reach the hosts of ${r.destination} ${r.via ? `behind ${r.via}` : `on ${r.dev}`}.`;
        if (o.how === 'inside-bridge')
          return `${r.destination} ${path(r)} (${where(r)}) lies inside ${b.destination}: the host still reaches it by that longer prefix, but the containers on ${bridge} take it for part of their own subnet and look for those hosts on the bridge, so they never reach ${r.destination}.`;
        return `${bridge}'s ${b.destination} lies inside ${r.destination} routed ${path(r)} (${where(r)}): the bridge's longer prefix wins, so the host and its containers send traffic for ${b.destination} into the bridge instead of ${r.via ? `to ${r.via}` : `onto ${r.dev}`}; the routes do not show whether anything the host needs lives in that part of ${r.destination}.`;
      });
      const dockerRestart = dockerRestartOf(artifacts);
      const daemonJson = dockerRestart.daemonJson;
      const free = FREE_CANDIDATES.filter((c) => !all.some((r) => cidr.has(r) && cidr.get(r)!.prefix >= 2 && cidrOverlap(cidr.get(r)!, parseCidr(c)!)));
      const subnet = free[0] ?? '<a free range>';
      const pool = free[1] ?? free[0] ?? '<a free /16>';
      const jq = (expr: string, what: string) =>
        `[ -s ${daemonJson} ] || echo '{}' > ${daemonJson}; jq '${expr}' ${daemonJson} > ${daemonJson}.new && mv ${daemonJson}.new ${daemonJson}   # ${what}; keeps the other settings`;
      const pools = jq(`."default-address-pools" = [{"base": "${pool}", "size": 24}]`, 'networks Docker creates from now on avoid the overlap (replaces any default-address-pools there)');
      let summary: string;
      let commands: string[];
      let caution: string;
      if (bridge === 'docker0') {
        const bip = subnet.includes('<') ? '<a free address/24>' : subnet.replace(/\.0\.0\/16$/, '.0.1/24');
        summary = `Move docker0 out of ${b.destination}: set "bip" (docker0's own address) in ${daemonJson} to a range no route of the host uses, and "default-address-pools" for the networks Docker creates, merged into the file with jq (never overwrite it), then restart docker.`;
        commands = [jq(`.bip = "${bip}"`, 'docker0 moves to this range'), pools, ...restartDocker({ dockerRestart }, 'docker0 comes back on the new range'), 'ip -4 route   # docker0 on the new range, the overlapping route gone'];
        caution = 'Restarting docker restarts its containers; containers on the default bridge get addresses in the new range.';
      } else if (bridge === 'docker_gwbridge') {
        summary = `Recreate docker_gwbridge on a free subnet: Docker's documentation has it created by hand, before the node joins or initialises the swarm (docker swarm init / join), with the options Swarm uses; give Docker "default-address-pools" outside the host's networks too (merged with jq).`;
        commands = [
          'docker network inspect docker_gwbridge --format "{{range .Containers}}{{.Name}} {{end}}"   # what uses it (swarm tasks, ingress-sbox)',
          'docker swarm leave   # docker_gwbridge can be replaced only outside the swarm; a manager needs --force and its state: plan this',
          'docker network rm docker_gwbridge',
          `docker network create --subnet ${subnet} --opt com.docker.network.bridge.name=docker_gwbridge --opt com.docker.network.bridge.enable_icc=false --opt com.docker.network.bridge.enable_ip_masquerade=true docker_gwbridge`,
          pools,
          ...restartDocker({ dockerRestart }, 'reads default-address-pools'),
          'docker swarm join --token <token> <manager>:2377   # or docker swarm init: after docker_gwbridge exists',
        ];
        caution = "Leaving the swarm stops this node's tasks until it joins again; on a manager, leaving can cost the swarm its quorum.";
      } else {
        const id = bridge.slice(3);
        summary = `Give the network of ${bridge} a subnet outside the host's networks: pin it in the compose file (networks: <name>: ipam: config: - subnet: ${subnet}) or with docker network create --subnet, then remove and recreate the network; set "default-address-pools" (merged with jq) so networks Docker creates from now on avoid the overlap.`;
        commands = [
          `docker network ls --filter id=${id}   # the network behind ${bridge}: its name and the compose project`,
          `# compose: under networks: <name>: ipam: config: - subnet: ${subnet}; then docker compose down && docker compose up -d (down removes the network, up recreates it)`,
          `# a network made by hand: docker network rm <name>; docker network create --subnet ${subnet} <name>; reconnect its containers`,
          pools,
          ...restartDocker({ dockerRestart }, 'reads default-address-pools'),
        ];
        caution = "Removing the network stops its containers' traffic until they are recreated on the new subnet; restarting docker restarts every container.";
      }
      const evidence: Evidence[] = [
        ev(b, `Docker's bridge ${bridge}: its connected route`),
        ...shown.map((o) =>
          ev(o.other, o.how === 'same' ? `the same network, ${path(o.other)}` : o.how === 'inside-bridge' ? `inside ${bridge}'s ${b.destination}` : `covers ${bridge}'s ${b.destination}`),
        ),
      ];
      findings.push({
        severity,
        title: `Docker's bridge ${bridge} (${b.destination}) overlaps ${shown.length === 1 ? `the host's route to ${shown[0].other.destination}` : 'routes of the host'}`,
        message: `On ${node}, Docker's bridge ${bridge} has ${b.destination} (${where(b)}). ${sentences.join(' ')}`,
        impact: severity === 'critical' ? `Containers on ${bridge} (and, where the routes compete, the host) cannot reach ${strong.map((o) => o.other.destination).join(', ')}.` : `Hosts in ${b.destination} beyond ${shown.map((o) => o.other.via ?? o.other.dev).join(', ')}, if any, are unreachable from this host.`,
        evidence,
        facts: { bridge, subnet: b.destination, overlapping: shown.map((o) => ({ route: o.other.destination, via: o.other.via, dev: o.other.dev, how: o.how })), suggestedSubnet: free[0] },
        remedy: { summary, commands, caution },
      });
    }
    return findings;
  },
});
