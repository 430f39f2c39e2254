/**
 * H102 (review R32 07 and 10).
 *
 * Real text:
 * - https://github.com/moby/moby/issues/24796: `route -n` before and after `service docker start`
 *   (test/fixtures/h102-24796/, verbatim but the reporter's markdown `>` and `<br/>`): br-c2a15a4ad6d2 (metric 0) took the
 *   guest's own LAN 192.168.122.0/24 from ens3 (metric 100); ssh to the guest: "No route to host".
 * - https://github.com/moby/moby/issues/6442: Docker 1.0's debug line per candidate range and `ip r s` with two
 *   `unreachable ... metric 999` routes (test/fixtures/h102-6442/, verbatim).
 * - namespaces made here (test/fixtures/h102-netns/): `ip route`, `route -n` and `ip route get` of a bridge on the same
 *   /24 as a veth "ens3" (bridge linkdown metric 0, ens3 metric 100: `ip route get 192.168.122.50` answers the bridge),
 *   and two on-link routes of one /24 at equal metric (the first listed, eth7, answers); `ip route` of hosts with
 *   unreachable routes over every default pool, and with three of them left free.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import overlaps, { currentRouteTables } from '../../analyzers/docker-bridge-overlaps-host-route.js';
import poolsRouted from '../../analyzers/docker-default-pools-routed.js';
import { candidatesExhaustedFinding, DOCKER_LOCAL_POOLS, exhaustedCandidateRuns } from '../../analyzers/lib/docker-default-pools.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { loadBundle } from '../../src/engine/analyze.js';
import type { FindingDraft } from '../../src/engine/analyzer.js';
import { scanLogText } from '../../src/logs/scanner.js';
import { parseDockerDaemonJson } from '../../src/parsers/docker-daemon.js';
import { parseRoutes } from '../../src/parsers/ip-route.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const fx = (...p: string[]) => readFileSync(projectPath('test/fixtures', ...p), 'utf8');

async function overlapsOf(files: Record<string, string>, name: string): Promise<FindingDraft[]> {
  const b = await loadBundle(writeFolder(files, name));
  return overlaps.scope === 'node' ? overlaps.analyze({ node: 'node-1', artifacts: b.nodes[0].artifacts as never, options: { requiredPorts: [] } }) : [];
}

const LOG_6442 = fx('h102-6442', 'docker-debug.log');
const candidates = (text: string, file = 'docker-debug.log') => scanLogText(text, file, { year: 2026 }).matches.filter((m) => m.signature === 'log.docker-pool-candidate');
const routes6442 = () => [parseRoutes(fx('h102-6442', 'ip_route.txt'), 'ip_route.txt')];

describe('docker.bridge-overlaps-host-route: which route the kernel uses (moby/moby#24796)', () => {
  it('route-n-before.txt + route-n.txt: the current table only; the bridge (metric 0) beats ens3 (metric 100): the host loses its LAN', async () => {
    const f = await overlapsOf({ 'route-n-before.txt': fx('h102-24796', 'route-n-before.txt'), 'route-n.txt': fx('h102-24796', 'route-n.txt') }, 'h102-24796');
    expect(f).toHaveLength(1);
    expect(f[0].severity).toBe('critical');
    expect(f[0].message).not.toMatch(/added first/);
    expect(f[0].message).toContain("the kernel uses br-c2a15a4ad6d2's route (metric 0 beats metric 100: the lower metric wins)");
    expect(f[0].message).toContain('the host itself sends everything for 192.168.122.0/24 into br-c2a15a4ad6d2');
    expect(f[0].message).toContain('route-n-before.txt and route-n.txt are snapshots of one command; read route-n.txt, the current one');
    // the before snapshot is not evidence of the current state; the ens3 route named once
    expect(f[0].evidence.map((e) => `${e.file}:${e.line}`)).toEqual(['route-n.txt:5', 'route-n.txt:6']);
    expect(f[0].impact).toBe('The host itself cannot reach 192.168.122.0/24 on ens3: its traffic goes into br-c2a15a4ad6d2. Containers on br-c2a15a4ad6d2 cannot reach 192.168.122.0/24.');
  });

  it('the before snapshot alone (no Docker bridge yet): nothing', async () => {
    expect(await overlapsOf({ 'route-n-before.txt': fx('h102-24796', 'route-n-before.txt') }, 'h102-24796b')).toEqual([]);
  });

  it('one route read from two files of different commands is named once', async () => {
    const t = fx('h102-24796', 'route-n.txt');
    const f = await overlapsOf({ 'route_-n.txt': t, 'netstat_-rn.txt': t }, 'h102-dup');
    expect(f).toHaveLength(1);
    expect(f[0].impact).not.toMatch(/192\.168\.122\.0\/24, 192\.168\.122\.0\/24/);
    expect((f[0].facts?.overlapping as unknown[]).length).toBe(1);
  });

  it('a namespace: the linkdown bridge at metric 0 wins (ip route get answers it); at equal metrics the first listed (eth7) wins', async () => {
    expect(fx('h102-netns', 'ip_route_get.txt')).toMatch(/^192\.168\.122\.50 dev br-c2a15a4ad6d2 /m);
    expect(fx('h102-netns', 'ip_route_get.txt')).toMatch(/^10\.9\.0\.50 dev eth7 /m);
    for (const file of ['ip_route.txt', 'route-n.txt']) {
      const f = await overlapsOf({ [file]: fx('h102-netns', file) }, `h102-ns-${file.slice(0, 5)}`);
      const by = (b: string) => f.find((x) => x.facts?.bridge === b)!;
      expect(f, file).toHaveLength(2);
      expect(by('br-c2a15a4ad6d2').message, file).toContain("the kernel uses br-c2a15a4ad6d2's route (metric 0 beats metric 100");
      expect(by('br-aaaaaaaaaaaa').message, file).toContain('and the kernel uses that route (both metric 0: the kernel uses the one it holds first, listed first here)');
      expect(by('br-aaaaaaaaaaaa').impact, file).toBe('The host sends traffic for its containers on br-aaaaaaaaaaaa to eth7 instead. Containers on br-aaaaaaaaaaaa cannot reach 10.9.0.0/24.');
    }
  });

  it('currentRouteTables: before/after pairs collapse to the current one; different commands stay', () => {
    const t = (file: string) => ({ file });
    const pick = (...files: string[]) => currentRouteTables(files.map(t)).used.map((x) => x.file);
    expect(pick('route-n-before.txt', 'route-n.txt')).toEqual(['route-n.txt']);
    expect(pick('ip_route_before.txt', 'ip_route_after.txt')).toEqual(['ip_route_after.txt']);
    expect(pick('old-ip-route.txt', 'ip-route.txt')).toEqual(['ip-route.txt']);
    expect(pick('ip_route.txt', 'route_-n.txt')).toEqual(['ip_route.txt', 'route_-n.txt']);
    expect(pick('node1/ip_route.txt', 'node2/ip_route_before.txt')).toEqual(['node1/ip_route.txt', 'node2/ip_route_before.txt']);
  });
});

describe('log.docker-no-free-address-pool from the rejected candidates alone (moby/moby#6442)', () => {
  it('every one of the twelve candidates rejected, no Creating bridge, no final error: critical, the covering routes named', () => {
    const f = candidatesExhaustedFinding('node-1', candidates(LOG_6442), { routes: routes6442() })!;
    expect(f.id).toBe('log.docker-no-free-address-pool');
    expect(f.severity).toBe('critical');
    expect(f.message).toContain('rejected every one of them as overlapping an existing network (docker-debug.log:1-12) and took none');
    expect(f.message).toContain('unreachable 192.168.0.0/16 metric 999 (ip_route.txt:2); unreachable 172.16.0.0/12 metric 999 (ip_route.txt:3)');
    // the paste lost its third route (10.0.0.0/8 by the ticket): the 10.x candidates are named as not explained
    expect(f.message).toContain('No route in the bundle covers 10.0.42.1/16, 10.1.42.1/16, 10.42.42.1/16, 10.0.42.1/24, 10.0.43.1/24');
    expect(f.evidence.filter((e) => e.file === 'docker-debug.log')).toHaveLength(12);
    expect(f.remedy.summary).toMatch(/--bip=10\.200\.0\.1\/24/);
  });

  it('a later Creating bridge in the same log: info, history', () => {
    const later = `${LOG_6442}\n[debug] driver.go:254 172.17.42.1/16 requested network overlaps with existing network\n[debug] driver.go:260 Creating bridge docker0 with network 10.0.42.1/16`;
    const f = candidatesExhaustedFinding('node-1', candidates(later), { routes: routes6442() })!;
    expect(f.severity).toBe('info');
    expect(f.facts?.laterChosen).toBe('10.0.42.1/16');
  });

  it('stays silent: a candidate taken after the rejected ones, or fewer than all twelve rejected', () => {
    const took = LOG_6442.split('\n').slice(0, 3).join('\n') + '\n[debug] driver.go:260 Creating bridge docker0 with network 10.1.42.1/16';
    expect(candidatesExhaustedFinding('node-1', candidates(took), { routes: routes6442() })).toBeUndefined();
    const eleven = LOG_6442.split('\n').slice(0, 11).join('\n');
    expect(exhaustedCandidateRuns(candidates(eleven))).toEqual([]);
  });
});

describe('docker.default-pools-routed: routes alone cover every default pool', () => {
  const daemon = parseDockerDaemonJson('{\n  "log-level": "debug"\n}\n', '/etc/docker/daemon.json');
  const run = (a: Partial<NodeArtifacts>) => runNode(poolsRouted, a as NodeArtifacts);

  it('moby/moby#6442 routes, Docker configured, no docker0: warning naming both unreachable routes', () => {
    const f = run({ routes: routes6442(), dockerDaemon: [daemon] });
    expect(f).toHaveLength(1);
    expect(f[0].severity).toBe('warning');
    expect(f[0].facts?.coveringRoutes).toEqual(['unreachable 192.168.0.0/16 metric 999', 'unreachable 172.16.0.0/12 metric 999']);
    expect(f[0].remedy.commands.join('\n')).toContain('jq \'.bip = "10.200.0.1/24" | ."default-address-pools" = [{"base": "10.201.0.0/16", "size": 24}]\'');
    expect(DOCKER_LOCAL_POOLS).toHaveLength(31);
  });

  it('a namespace with the same unreachable routes: warning', () => {
    const f = run({ routes: [parseRoutes(fx('h102-netns', 'vpnless-unreachable-ip-route.txt'), 'ip_route.txt')], dockerDaemon: [daemon] });
    expect(f.map((x) => x.severity)).toEqual(['warning']);
  });

  it('stays silent: a pool left free; docker0 with an address; "bip" set; no sign of Docker; the log already says it', () => {
    expect(run({ routes: [parseRoutes(fx('h102-netns', 'one-pool-free-ip-route.txt'), 'ip_route.txt')], dockerDaemon: [daemon] })).toEqual([]);
    expect(run({ routes: [parseRoutes(fx('h62', 'ns-unreachable-ip-route.txt'), 'ip_route.txt')], dockerDaemon: [daemon] })).toEqual([]);
    const withBip = parseDockerDaemonJson('{\n  "bip": "10.200.0.1/24"\n}\n', '/etc/docker/daemon.json');
    expect(run({ routes: routes6442(), dockerDaemon: [withBip] })).toEqual([]);
    expect(run({ routes: routes6442() })).toEqual([]);
    expect(run({ routes: routes6442(), logs: [scanLogText(LOG_6442, 'docker-debug.log', { year: 2026 })] })).toEqual([]);
    // a healthy Docker host (h62's namespace): docker0 on 172.17.0.0/16
    expect(run({ routes: [parseRoutes(fx('h62', 'ns-healthy-ip-route.txt'), 'ip_route.txt')], dockerDaemon: [daemon] })).toEqual([]);
  });
});
