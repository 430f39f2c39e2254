/**
 * docker.bridge-overlaps-host-route: a Docker bridge's connected route (docker0, a compose or user
 * network's br-<12 hex>, Swarm's docker_gwbridge) overlaps another IPv4 route of the host's main table.
 *
 * - the same prefix (docker/for-linux#1422: `172.17.0.0/16 via 10.3.33.1 dev ens192` beside
 *   `172.17.0.0/16 dev docker_gwbridge`; moby/moby#24796: `192.168.122.0/24 ... U 0 ... br-c2a15a4ad6d2` above
 *   `192.168.122.0/24 ... U 100 ... ens3`): the kernel uses the route with the lower metric; at equal metrics
 *   the one it holds first, which is the one `ip route` / `route -n` lists first (H102: checked with real
 *   `ip route get` in a namespace, test/fixtures/h102-netns/; a bridge's `linkdown` route still wins:
 *   ignore_routes_with_linkdown is 0 by default). The bridge's route winning takes the host's own network
 *   from the host (moby#24796: ssh "No route to host"); the other route winning leaves the containers on the
 *   bridge without that network and the host without its containers: critical either way.
 *   Two snapshots of one command (route-n-before.txt, route-n.txt) are not one table: the current one is read.
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
import { bipIn, FREE_CANDIDATES } from './lib/docker-default-pools.js';

const DOCKER_BRIDGE = /^(?:docker0|br-[0-9a-f]{12}|docker_gwbridge)$/;
/** ranges to offer for the bridge, the first no route of the host overlaps */

interface Overlap {
  other: Route;
  how: 'same' | 'inside-bridge' | 'bridge-inside';
}

const BEFORE = /^(?:before|old|prev|previous|orig|original|pre)$/i;
const AFTER = /^(?:after|now|current|new|latest|post)$/i;
const MARK = /([-_.])(before|old|prev|previous|orig|original|pre|after|now|current|new|latest|post)(?=[-_.]|$)|^(before|old|prev|previous|orig|original|pre|after|now|current|new|latest|post)[-_.]/gi;

/**
 * H102 (R32 10, moby/moby#24796): route tables that are snapshots of one command taken at different times
 * (`route-n-before.txt` beside `route-n.txt`) are not one table. Files whose paths are the same once a marker
 * word is taken out (before/old/prev/orig/pre, after/now/current/new/latest/post) are one command's snapshots:
 * the current one is the one marked after/now/current/new/latest/post, else the one without a marker, else the last
 * in file order. Tables of different commands (ip_route and route_-n) are read together as before.
 */
export function currentRouteTables<T extends { file: string }>(tables: readonly T[]): { used: T[]; skipped: { table: T; current: T }[] } {
  const groups = new Map<string, { table: T; mark?: 'before' | 'after' }[]>();
  for (const t of tables) {
    const slash = t.file.lastIndexOf('/');
    const dir = t.file.slice(0, slash + 1);
    const base = t.file.slice(slash + 1);
    let mark: 'before' | 'after' | undefined;
    const stem = base.replace(MARK, (_m, _sep: string | undefined, word: string | undefined, lead: string | undefined) => {
      const w = word ?? lead ?? '';
      if (BEFORE.test(w)) mark ??= 'before';
      else if (AFTER.test(w)) mark ??= 'after';
      return '';
    });
    const key = `${dir}${stem}`;
    const g = groups.get(key) ?? [];
    g.push({ table: t, mark });
    groups.set(key, g);
  }
  const used: T[] = [];
  const skipped: { table: T; current: T }[] = [];
  for (const g of groups.values()) {
    if (g.length === 1 || g.every((x) => !x.mark)) {
      used.push(...g.map((x) => x.table));
      continue;
    }
    const current = (g.filter((x) => x.mark === 'after').at(-1) ?? g.filter((x) => !x.mark).at(-1) ?? g.at(-1)!).table;
    used.push(current);
    for (const x of g) if (x.table !== current) skipped.push({ table: x.table, current });
  }
  // keep the bundle's order
  return { used: tables.filter((t) => used.includes(t)), skipped };
}

const unicast = (r: Route) => r.type === undefined || r.type === 'unicast';
const mainV4 = (r: Route) => (!r.table || r.table === 'main') && !r.destination.includes(':');
const ev = (r: Route, note: string): Evidence => ({ file: r.ref.file, line: r.ref.line, excerpt: r.excerpt, note });
const where = (r: Route) => `${r.ref.file}:${r.ref.line}`;
const path = (r: Route) => (r.via ? `via ${r.via}${r.dev ? ` on ${r.dev}` : ''}` : `on ${r.dev} (on-link)`);

/**
 * Which of two routes of one prefix the kernel uses: the lower metric; at equal metrics the one it holds first,
 * which `ip route` and `route -n` list first (the same file: the earlier line). Different files at equal metrics: unknown.
 */
function winner(bridge: Route, other: Route): 'bridge' | 'other' | undefined {
  const mb = bridge.metric ?? 0;
  const mo = other.metric ?? 0;
  if (mb !== mo) return mb < mo ? 'bridge' : 'other';
  if (bridge.ref.file !== other.ref.file) return undefined;
  return bridge.ref.line < other.ref.line ? 'bridge' : 'other';
}

function why(bridge: Route, other: Route, w: 'bridge' | 'other'): string {
  const mb = bridge.metric ?? 0;
  const mo = other.metric ?? 0;
  const [win, lose] = w === 'bridge' ? [mb, mo] : [mo, mb];
  return mb !== mo ? `metric ${win} beats metric ${lose}: the lower metric wins` : `both metric ${mb}: the kernel uses the one it holds first, listed first here`;
}

function impactOf(bridge: string, b: Route, strong: Overlap[]): string {
  const parts: string[] = [];
  const lost = (ws: Overlap[]) => [...new Set(ws.map((o) => o.other.destination))].join(', ');
  const same = strong.filter((o) => o.how === 'same');
  const hostLoses = same.filter((o) => winner(b, o.other) === 'bridge');
  const hostKeeps = same.filter((o) => winner(b, o.other) === 'other');
  const unknown = same.filter((o) => winner(b, o.other) === undefined);
  const inside = strong.filter((o) => o.how === 'inside-bridge');
  if (hostLoses.length > 0) parts.push(`The host itself cannot reach ${lost(hostLoses)} on ${[...new Set(hostLoses.map((o) => o.other.via ?? o.other.dev))].join(', ')}: its traffic goes into ${bridge}.`);
  if (hostKeeps.length > 0) parts.push(`The host sends traffic for its containers on ${bridge} to ${[...new Set(hostKeeps.map((o) => o.other.via ?? o.other.dev))].join(', ')} instead.`);
  if (unknown.length > 0) parts.push(`The host loses either ${lost(unknown)} or its containers on ${bridge}, whichever route the kernel holds first.`);
  parts.push(`Containers on ${bridge} cannot reach ${lost([...same, ...inside])}.`);
  return parts.join(' ');
}

export default defineAnalyzer({
  id: 'docker.bridge-overlaps-host-route',
  title: "A Docker bridge's subnet overlaps a route of the host",
  description: "A Docker bridge's connected route (docker0, br-<id>, docker_gwbridge) has the same prefix as, contains, or lies inside another route of the host, so traffic for that network goes into the bridge.",
  scope: 'node',
  requires: ['routes'],
  optional: [...DOCKER_RESTART_KINDS],
  analyze({ node, artifacts, partly }) {
    const { used, skipped } = currentRouteTables(artifacts.routes);
    const all = used.flatMap((t) => t.routes).filter(mainV4);
    const snapshots = skipped.length > 0 ? ` ${skipped.map((x) => `${x.table.file} and ${x.current.file} are snapshots of one command; read ${x.current.file}, the current one (${x.table.file}'s name marks it as taken earlier).`).join(' ')}` : '';
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
      // one route read from two files (ip_route and route_-n): named once
      const named = new Set<string>();
      for (const o of others) {
        const oc = cidr.get(o)!;
        if (!cidrOverlap(bc, oc)) continue;
        const id = `${o.destination} ${o.via ?? ''} ${o.dev ?? ''} ${o.metric ?? 0}`;
        if (named.has(id)) continue;
        named.add(id);
        overlaps.push({ other: o, how: oc.prefix === bc.prefix ? 'same' : cidrContains(bc, oc) ? 'inside-bridge' : 'bridge-inside' });
      }
      if (overlaps.length === 0) continue;
      const strong = overlaps.filter((o) => o.how !== 'bridge-inside');
      const severity = strong.length > 0 ? ('critical' as const) : ('warning' as const);
      const shown = [...strong, ...overlaps.filter((o) => o.how === 'bridge-inside')].slice(0, 4);
      const bridge = b.dev!;
      const sentences = shown.map((o) => {
        const r = o.other;
        if (o.how === 'same') {
          const w = winner(b, r);
          const hosts = `the hosts of ${r.destination} ${r.via ? `behind ${r.via}` : `on ${r.dev}`}`;
          if (w === 'bridge')
            return `${r.destination} is also routed ${path(r)} (${where(r)}), but the kernel uses ${bridge}'s route (${why(b, r, 'bridge')}): the host itself sends everything for ${r.destination} into ${bridge}, so it loses ${hosts} (replies to them, ssh sessions included, go into the bridge: "No route to host"), and the containers on ${bridge} never reach them either.`;
          if (w === 'other')
            return `${r.destination} is also routed ${path(r)} (${where(r)}), and the kernel uses that route (${why(b, r, 'other')}): the host reaches ${hosts}, but sends traffic for its own containers on ${bridge} there too, and the containers take all of ${b.destination} for their own subnet, so they never reach ${hosts}.`;
          return `${r.destination} is also routed ${path(r)} (${where(r)}): both routes have metric ${b.metric ?? 0}, and the kernel uses the one it holds first (the one ip route lists first; they are in different files here, so the order is not shown); either the host loses ${hosts} into ${bridge}, or it loses its containers on ${bridge}, and the containers on ${bridge} never reach ${hosts}.`;
        }
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
        const bip = subnet.includes('<') ? '<a free address/24>' : bipIn(subnet);
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
        message: `On ${node}, Docker's bridge ${bridge} has ${b.destination} (${where(b)}${b.metric ? `, metric ${b.metric}` : ''}). ${sentences.join(' ')}${snapshots}`,
        impact: severity === 'critical' ? impactOf(bridge, b, strong) : `Hosts in ${b.destination} beyond ${[...new Set(shown.map((o) => o.other.via ?? o.other.dev))].join(', ')}, if any, are unreachable from this host.`,
        evidence,
        facts: { bridge, subnet: b.destination, overlapping: shown.map((o) => ({ route: o.other.destination, via: o.other.via, dev: o.other.dev, how: o.how })), suggestedSubnet: free[0] },
        remedy: { summary, commands, caution },
      });
    }
    return findings;
  },
});
