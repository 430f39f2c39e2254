/**
 * H102: Docker's default ranges for docker0 and its networks, and which routes of the host take them.
 *
 * - Docker 1.0-1.8 (moby/moby daemon/networkdriver/bridge/driver.go, `addrs`): twelve fixed candidates for docker0,
 *   tried in this order; a candidate that overlaps a nameserver is skipped, one that overlaps a route is logged at debug
 *   level (`logrus.Debugf("%s %s", addr, err)`: `172.17.42.1/16 requested network overlaps with existing network`),
 *   the first free one is taken (`Creating bridge docker0 with network ...`); none free: `Could not find a free IP
 *   address range for interface 'docker0'`, and dockerd does not start (moby/moby#6442).
 * - libnetwork (Docker 1.9 and later; moby/moby libnetwork/ipamutils/utils.go, localScopeDefaultNetworks):
 *   172.17.0.0/16 ... 172.31.0.0/16 and 192.168.0.0/16 in /20s, 31 pools, unless daemon.json sets
 *   default-address-pools. docker0 takes the first pool no route overlaps (CheckRouteOverlaps reads the main
 *   table's IPv4 routes through netlink: unreachable and blackhole routes count, the default route has no
 *   destination and does not); "bip" is taken as it is, unchecked.
 */
import type { FindingDraft } from '../../src/engine/analyzer.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import type { LogMatch } from '../../src/logs/scanner.js';
import type { Route } from '../../src/parsers/ip-route.js';
import type { Evidence } from '../../src/report/schema.js';
import { cidrOverlap, parseCidr } from '../../src/parsers/cidr.js';

/** Docker 1.0-1.8's candidates for docker0, in the order it tries them (driver.go `addrs`) */
export const DOCKER_1X_CANDIDATES = [
  '172.17.42.1/16',
  '10.0.42.1/16',
  '10.1.42.1/16',
  '10.42.42.1/16',
  '172.16.42.1/24',
  '172.16.43.1/24',
  '172.16.44.1/24',
  '10.0.42.1/24',
  '10.0.43.1/24',
  '192.168.42.1/24',
  '192.168.43.1/24',
  '192.168.44.1/24',
];

/** libnetwork's local-scope default pools: 172.17-31.0.0/16 and 192.168.0.0/16 in /20s */
export const DOCKER_LOCAL_POOLS = [
  ...Array.from({ length: 15 }, (_, i) => `172.${17 + i}.0.0/16`),
  ...Array.from({ length: 16 }, (_, i) => `192.168.${i * 16}.0/20`),
];

/** Ranges offered in remedies for docker0 and Docker's pools, the first no route of the host covers. */
export const FREE_CANDIDATES = ['10.200.0.0/16', '10.201.0.0/16', '10.210.0.0/16', '10.220.0.0/16', '10.230.0.0/16'];

/** docker0's "bip" (its own address and prefix) in a free /16 of FREE_CANDIDATES: 10.200.0.0/16 -> 10.200.0.1/24 */
export const bipIn = (range: string) => range.replace(/\.0\.0\/16$/, '.0.1/24');
const DOCKER_BRIDGE = /^(?:docker0|br-[0-9a-f]{12}|docker_gwbridge)$/;

const overlaps = (a: string, b: string) => {
  const x = parseCidr(a);
  const y = parseCidr(b);
  return !!x && !!y && x.family === y.family && cidrOverlap(x, y);
};

/** The routes Docker checks its ranges against: the main table's IPv4 routes but the default route and Docker's own bridges. */
export function routesDockerChecks(artifacts: Partial<NodeArtifacts>): Route[] {
  return (artifacts.routes ?? [])
    .flatMap((t) => t.routes)
    .filter((r) => (!r.table || r.table === 'main') && !r.destination.includes(':') && r.destination !== '0.0.0.0/0')
    .filter((r) => !['local', 'broadcast', 'multicast'].includes(r.type ?? ''))
    .filter((r) => !DOCKER_BRIDGE.test(r.dev ?? '') && parseCidr(r.destination));
}

/** each pool with the routes that overlap it; a pool no route overlaps is free */
export function poolCover(pools: readonly string[], routes: readonly Route[]): { pool: string; by: Route[] }[] {
  return pools.map((pool) => ({ pool, by: routes.filter((r) => overlaps(r.destination, pool)) }));
}

/** docker0 holds an address: a route on it, or an IPv4 address on it in ip addr */
export function docker0Address(artifacts: Partial<NodeArtifacts>): string | undefined {
  const route = (artifacts.routes ?? []).flatMap((t) => t.routes).find((r) => r.dev === 'docker0' && !r.via && !r.destination.includes(':'));
  if (route) return `${route.destination} (${route.ref.file}:${route.ref.line})`;
  for (const l of artifacts.ipAddr ?? [])
    for (const i of l.interfaces) if (i.name === 'docker0') for (const a of i.addresses) if (a.family === 4) return `${a.address} (${l.file})`;
  return undefined;
}

/** a route as `ip route` prints it, on one line */
export const routeText = (r: Route) => r.excerpt.trim().replace(/\s+/g, ' ');

export interface ExhaustedRun {
  /** the rejected candidates of one attempt, in line order */
  rejected: LogMatch[];
  /** a `Creating bridge ...` line later in the same file: a later start took a range */
  laterChosen?: LogMatch;
}

/**
 * Docker 1.x's per-candidate lines (log.docker-pool-candidate) where one attempt rejected every one of its twelve
 * candidates and took none. An attempt starts at the first candidate (172.17.42.1/16) and ends at a `Creating bridge`
 * line; a candidate not logged (skipped for a nameserver, which Docker 1.x does not log) leaves the attempt undecided.
 */
export function exhaustedCandidateRuns(candidates: readonly LogMatch[]): ExhaustedRun[] {
  const byFile = new Map<string, LogMatch[]>();
  for (const c of candidates) byFile.set(c.file, [...(byFile.get(c.file) ?? []), c]);
  const out: ExhaustedRun[] = [];
  for (const ms of byFile.values()) {
    ms.sort((a, b) => a.line - b.line);
    let run: LogMatch[] = [];
    const close = () => {
      const tried = new Set(run.map((c) => c.facts.rejected));
      if (run.length > 0 && DOCKER_1X_CANDIDATES.every((c) => tried.has(c))) out.push({ rejected: run });
      run = [];
    };
    for (const m of ms) {
      if (m.facts.chosen) {
        run = [];
        continue;
      }
      if (!m.facts.rejected) continue;
      if (m.facts.rejected === DOCKER_1X_CANDIDATES[0]) close();
      run.push(m);
    }
    close();
    for (const r of out) if (r.rejected[0].file === ms[0].file) r.laterChosen = ms.find((m) => m.facts.chosen && m.line > r.rejected[r.rejected.length - 1].line);
  }
  return out;
}

/** FREE_CANDIDATES no route covers */
export function freeRanges(routes: readonly Route[]): string[] {
  return FREE_CANDIDATES.filter((c) => !routes.some((r) => overlaps(r.destination, c)));
}

const asEvidence = (m: LogMatch, note: string): Evidence => ({ file: m.file, line: m.line, excerpt: m.excerpt, note });
const routeEvidence = (r: Route, note: string): Evidence => ({ file: r.ref.file, line: r.ref.line, excerpt: r.excerpt, note });

/**
 * log.docker-no-free-address-pool from Docker 1.x's per-candidate lines alone (moby/moby#6442: every candidate
 * `requested network overlaps with existing network`, the final error not in the log): critical, dockerd did not start.
 * A later `Creating bridge` in the same file, or docker0 holding an address in the bundle: info, history.
 * Undefined when no attempt rejected all twelve candidates.
 */
export function candidatesExhaustedFinding(node: string, candidates: readonly LogMatch[], artifacts: Partial<NodeArtifacts>): FindingDraft | undefined {
  const runs = exhaustedCandidateRuns(candidates);
  if (runs.length === 0) return undefined;
  const run = runs[runs.length - 1];
  const first = run.rejected[0];
  const last = run.rejected[run.rejected.length - 1];
  const span = `${first.file}:${first.line}-${last.line}`;
  const routes = routesDockerChecks(artifacts);
  const haveRoutes = (artifacts.routes ?? []).some((t) => t.routes.length > 0);
  const cover = poolCover(DOCKER_1X_CANDIDATES, routes);
  const blockers = [...new Set(cover.flatMap((c) => c.by))].sort((a, b) => (a.ref.file === b.ref.file ? a.ref.line - b.ref.line : 0));
  const unexplained = cover.filter((c) => c.by.length === 0).map((c) => c.pool);
  const now = docker0Address(artifacts);
  const history = run.laterChosen;
  const free = freeRanges(routes);
  const bip = bipIn(free[0] ?? FREE_CANDIDATES[0]);
  let message = `On ${node}, dockerd (Docker 1.x, which tries a fixed list of twelve ranges for docker0: 172.17.42.1/16 first, then 10.0.42.1/16, 10.1.42.1/16, 10.42.42.1/16, 172.16.42-44.1/24, 10.0.42-43.1/24, 192.168.42-44.1/24) rejected every one of them as overlapping an existing network (${span}) and took none (no "Creating bridge docker0 with network ..." after them).`;
  message += ` With no free range Docker 1.x cannot create docker0 and does not start ("Could not find a free IP address range for interface 'docker0'"; that final line is not in ${first.file}: logged elsewhere, or the log was cut).`;
  if (haveRoutes) {
    if (blockers.length > 0) message += ` The routes that cover them: ${blockers.slice(0, 6).map((r) => `${routeText(r)} (${r.ref.file}:${r.ref.line})`).join('; ')}.`;
    if (unexplained.length > 0) message += ` No route in the bundle covers ${unexplained.join(', ')}: the routes were collected later or in part, or another interface holds the range.`;
  } else message += ' The bundle has no routes (ip route) to tell which routes cover the ranges.';
  const evidence: Evidence[] = run.rejected.slice(0, 12).map((c) => {
    const by = cover.find((x) => x.pool === c.facts.rejected)?.by ?? [];
    return asEvidence(c, by.length > 0 ? `candidate rejected: overlaps the route ${by.slice(0, 2).map(routeText).join('; ')}` : 'candidate rejected: overlaps an existing network');
  });
  for (const r of blockers.slice(0, 6)) evidence.push(routeEvidence(r, `covers Docker 1.x's candidates ${cover.filter((x) => x.by.includes(r)).map((x) => x.pool).join(', ')}`));
  let severity: FindingDraft['severity'] = 'critical';
  let title = 'Docker finds no free address range for docker0: every candidate overlaps a route';
  let impact: string | undefined = 'dockerd does not start: no containers run on this host.';
  if (history) {
    severity = 'info';
    title = 'Docker found no free range for docker0 once; a later start took a range';
    message += ` Later in the same log dockerd created ${history.facts.bridge ?? 'docker0'} with ${history.facts.chosen} (${history.file}:${history.line}): that start came through, so the failure is history.`;
    evidence.push(asEvidence(history, `a later start took ${history.facts.chosen}`));
    impact = undefined;
  } else if (now) {
    severity = 'info';
    title = 'Docker found no free range for docker0 at a start; docker0 holds an address now';
    message += ` docker0 holds ${now} in the bundle: a later start found a range (or was given one), so the failure is history.`;
    impact = undefined;
  }
  return {
    id: 'log.docker-no-free-address-pool',
    severity,
    title,
    message,
    ...(impact ? { impact } : {}),
    evidence,
    facts: { rejectedCandidates: run.rejected.map((c) => c.facts.rejected), coveringRoutes: blockers.map(routeText), ...(history ? { laterChosen: history.facts.chosen } : {}), ...(now ? { docker0: now } : {}) },
    remedy: history || now
      ? {
          summary: `Nothing to fix now. To keep a start from failing again when the routes change, pin docker0's range: --bip in the daemon's options (DOCKER_OPTS in /etc/default/docker or /etc/sysconfig/docker; "bip" in daemon.json from Docker 1.10).`,
          commands: ['ip -4 addr show docker0   # the range docker0 holds now'],
        }
      : {
          summary: `Give docker0 a range yourself, which Docker does not check against the routes: --bip=${bip} in the daemon's options (DOCKER_OPTS in /etc/default/docker or OPTIONS in /etc/sysconfig/docker; "bip" in /etc/docker/daemon.json from Docker 1.10; Docker 18.06 and later also read "default-address-pools"), or make the covering routes narrower so one candidate is free; then start docker.`,
          commands: [
            ...(haveRoutes ? [] : ['ip -4 route   # the routes that cover the candidate ranges']),
            `# Docker 1.x: DOCKER_OPTS="--bip=${bip}" in /etc/default/docker (Debian/Ubuntu) or OPTIONS="--bip=${bip}" in /etc/sysconfig/docker (RHEL/CentOS)`,
            'service docker start   # or systemctl start docker',
            'ip -4 addr show docker0   # docker0 on the range given',
          ],
          caution: `Pick a range this host never needs to reach elsewhere${free.length > 0 && haveRoutes ? ` (${free.slice(0, 2).join(', ')} are free of routes here)` : ''}: traffic for it goes into docker0.`,
        },
  };
}
