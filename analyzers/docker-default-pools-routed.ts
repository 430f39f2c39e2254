/**
 * docker.default-pools-routed (H102, R32 07, moby/moby#6442): the host's routes cover every range Docker may take for
 * docker0 and docker0 has no address: at its next start dockerd finds no free range and does not start (Docker 1.x:
 * `Could not find a free IP address range for interface 'docker0'`; libnetwork: `no available network`).
 * The usual causes: `unreachable` / `blackhole` routes for all private ranges (a router-style hardening,
 * moby/moby#6442: `unreachable 192.168.0.0/16  metric 999`, `unreachable 172.16.0.0/12  metric 999`), a VPN client's
 * routes for the private ranges, or its 0.0.0.0/1 + 128.0.0.0/1 pair.
 *
 * The ranges (analyzers/lib/docker-default-pools.ts, from moby's source): daemon.json's default-address-pools when set;
 * else Docker 1.0-1.8's twelve candidates when the bundle shows such a version; else libnetwork's 31 default pools
 * (172.17-31.0.0/16, 192.168.0.0/16 in /20s). Silent when any range is free, when docker0 holds an address (a route
 * or an address on it), when "bip" is set (Docker takes it unchecked), when nothing in the bundle shows Docker, and
 * when a log already says it (log.docker-no-free-address-pool, or Docker 1.x's rejected candidates: that finding
 * names the routes).
 */
import { defineAnalyzer } from '../src/engine/analyzer.js';
import type { Evidence } from '../src/report/schema.js';
import { bipIn, DOCKER_1X_CANDIDATES, DOCKER_LOCAL_POOLS, docker0Address, exhaustedCandidateRuns, freeRanges, poolCover, routeText, routesDockerChecks } from './lib/docker-default-pools.js';
import { DOCKER_RESTART_KINDS, dockerRestartOf, restartDocker } from './lib/node-services.js';
import { parseCidr } from '../src/parsers/cidr.js';

/** Docker 1.0-1.8 by its reported version */
const legacyVersion = (v: string | undefined) => !!v && /^1\.[0-8](?:\.|$)/.test(v.trim());

export default defineAnalyzer({
  id: 'docker.default-pools-routed',
  title: "The host's routes cover every range Docker may take for docker0",
  description: 'Routes of the host (unreachable, blackhole, a VPN\'s) overlap every default range Docker picks docker0\'s subnet from, and docker0 has no address: dockerd finds no free range at its next start and does not start.',
  scope: 'node',
  requires: ['routes'],
  optional: ['ipAddr', 'logs', 'dockerNetworks', 'dockerPs', ...DOCKER_RESTART_KINDS],
  analyze({ node, artifacts, partly }) {
    const docker = artifacts.dockerDaemon ?? [];
    const logs = artifacts.logs ?? [];
    const matches = logs.flatMap((l) => l.matches);
    const restart = dockerRestartOf(artifacts);
    // Docker in the bundle at all: its configuration, its unit, its networks or containers, its own log lines
    const dockerShown =
      docker.length > 0 ||
      !!restart.evidence ||
      (artifacts.dockerNetworks ?? []).length > 0 ||
      (artifacts.dockerPs ?? []).length > 0 ||
      matches.some((m) => m.signature.startsWith('log.docker-'));
    if (!dockerShown) {
      partly?.("not run: nothing in the bundle shows Docker (its daemon.json, unit, networks, containers or log lines)");
      return [];
    }
    if (docker0Address(artifacts)) return [];
    if (docker.some((d) => d.bip)) return [];
    // the log says it already, with the routes: log.docker-no-free-address-pool
    if (matches.some((m) => m.signature === 'log.docker-no-free-address-pool')) return [];
    if (exhaustedCandidateRuns(matches.filter((m) => m.signature === 'log.docker-pool-candidate')).length > 0) return [];
    const configured = docker.flatMap((d) => d.defaultAddressPools ?? []).map((p) => p.base).filter((p) => parseCidr(p));
    const version = docker.map((d) => d.engine?.serverVersion?.value).find((v) => v);
    const [pools, poolsFrom] =
      configured.length > 0
        ? [configured, "daemon.json's default-address-pools"]
        : legacyVersion(version)
          ? [DOCKER_1X_CANDIDATES, `Docker ${version}'s twelve candidates for docker0 (172.17.42.1/16 first)`]
          : [DOCKER_LOCAL_POOLS, "Docker's default pools (172.17.0.0/16-172.31.0.0/16 and 192.168.0.0/16 in /20s)"];
    const routes = routesDockerChecks(artifacts);
    const cover = poolCover(pools, routes);
    if (cover.some((c) => c.by.length === 0)) return [];
    // the routes that name the cover: the one covering most ranges first, until every range is named
    const shown: typeof routes = [];
    const left = new Set(cover.map((c) => c.pool));
    while (left.size > 0) {
      let best: (typeof routes)[number] | undefined;
      let bestCount = 0;
      for (const r of routes) {
        const n = cover.filter((c) => left.has(c.pool) && c.by.includes(r)).length;
        if (n > bestCount) [best, bestCount] = [r, n];
      }
      if (!best) break;
      shown.push(best);
      for (const c of cover) if (c.by.includes(best)) left.delete(c.pool);
    }
    shown.sort((a, b) => (a.ref.file === b.ref.file ? a.ref.line - b.ref.line : 0));
    const kinds = [...new Set(shown.map((r) => r.type ?? 'unicast'))];
    const kindWords = kinds.filter((k) => k !== 'unicast').map((k) => `${k} routes (the kernel drops traffic for them; Docker still counts them as taken)`);
    const free = freeRanges(routes);
    const bip = free[0] ? bipIn(free[0]) : undefined;
    const daemonJson = restart.daemonJson;
    const evidence: Evidence[] = shown.slice(0, 8).map((r) => ({
      file: r.ref.file,
      line: r.ref.line,
      excerpt: r.excerpt,
      note: `covers ${cover.filter((c) => c.by.includes(r)).length} of the ${pools.length} ranges`,
    }));
    const legacy = pools === DOCKER_1X_CANDIDATES;
    return [
      {
        severity: 'warning',
        title: `The host's routes cover every range Docker may take for docker0, and docker0 has no address`,
        message: `On ${node}, every one of ${poolsFrom} overlaps a route of the host: ${shown.slice(0, 8).map((r) => `${routeText(r)} (${r.ref.file}:${r.ref.line})`).join('; ')}${kindWords.length > 0 ? `; ${kindWords.join(', ')}` : ''}. docker0 has no address in the bundle (no route on it${(artifacts.ipAddr ?? []).length > 0 ? ', no address in ip addr' : ''}), so at its next start dockerd has to pick a range, finds none free, and does not start (Docker 1.x: "Could not find a free IP address range for interface 'docker0'"; later: "no available network").`,
        impact: 'dockerd cannot create docker0: it does not start, and no containers run until it is given a range.',
        evidence,
        facts: { pools: pools.length, poolsFrom, coveringRoutes: shown.map(routeText), ...(version ? { dockerVersion: version } : {}) },
        remedy: {
          summary: `Give docker0 a range yourself: "bip" in ${daemonJson}${legacy ? ' (Docker 1.x: --bip in DOCKER_OPTS / OPTIONS)' : ''}, which Docker takes without checking it against the routes${legacy ? '' : ', and "default-address-pools" with a range no route covers for the networks Docker creates'}; or make the covering routes narrower so one of Docker's ranges is free. Then start docker.`,
          commands: [
            'ip -4 route   # the routes above: which of them the host needs',
            legacy
              ? `# Docker 1.x: DOCKER_OPTS="--bip=${bip ?? '<a free address/24>'}" in /etc/default/docker, or OPTIONS in /etc/sysconfig/docker`
              : `[ -s ${daemonJson} ] || echo '{}' > ${daemonJson}; jq '.bip = "${bip ?? '<a free address/24>'}" | ."default-address-pools" = [{"base": "${free[1] ?? free[0] ?? '<a free /16>'}", "size": 24}]' ${daemonJson} > ${daemonJson}.new && mv ${daemonJson}.new ${daemonJson}   # keeps the other settings`,
            ...restartDocker({ dockerRestart: restart }, 'docker0 on the range given'),
          ],
          caution: `Pick ranges this host never needs to reach elsewhere${free.length > 0 ? ` (${free.slice(0, 2).join(', ')} are free of routes here)` : ''}: traffic for them goes into docker0.`,
        },
      },
    ];
  },
});
