/**
 * H79: reviewer R26's false readings (cases /tmp/r26/12, 13, 14, 30; the lines below are those case files verbatim).
 * - 12: curl -v (curl's own step lines, as curl 7.88 prints them; see test/logs/h72-fallback-and-candidates.test.ts):
 *   IPv6 ENETUNREACH, then the IPv4 attempt, which timed out. Not "fell back to IPv4", not "no IPv4 address failed".
 * - 13: a Go program's `dial tcp [v6]:443: connect: network is unreachable` (Go's net.Dialer error format; the same as
 *   dockerd's in https://github.com/docker/for-win/issues/13728). Go returns a dial error only after every address failed
 *   and sorts an unroutable IPv6 address after the IPv4 ones (RFC 6724 rule 1), so the line is a failed connection.
 * - 14: moby/moby#6442 (https://github.com/moby/moby/issues/6442): Docker 1.x's candidate lines and final error, then a
 *   later start's `Creating bridge docker0 with network 10.1.42.1/16`: the failure is history.
 * - 30: wget, IPv6 then IPv4 connected: the healthy fallback, info.
 */
import { describe, expect, it } from 'vitest';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { scanLogText, type LogScanResult } from '../../src/logs/scanner.js';
import { parseRoutes } from '../../src/parsers/ip-route.js';
import logSignatures from '../../analyzers/log-signatures.js';
import { runNode } from '../analyzers/helpers.js';

const scan = (text: string, file: string) => scanLogText(text, file, { year: 2026 });
const run = (logs: LogScanResult[], more: Partial<NodeArtifacts> = {}) => runNode(logSignatures, { logs, ...more } as NodeArtifacts);
const byId = (logs: LogScanResult[], id: string, more: Partial<NodeArtifacts> = {}) => run(logs, more).find((x) => x.id === id);

const ROUTES_13 = ['default via 192.168.1.1 dev eth0 proto dhcp src 192.168.1.50 metric 100', '192.168.1.0/24 dev eth0 proto kernel scope link src 192.168.1.50 metric 100'].join('\n');
const routes13 = { routes: [parseRoutes(ROUTES_13, 'ip_route.txt')] };

const CURL_12 = [
  '*   Trying [2a04:4e42:8c::347]:443...',
  '* Immediate connect fail for 2a04:4e42:8c::347: Network is unreachable',
  '*   Trying 151.101.2.132:443...',
  '* connect to 151.101.2.132 port 443 failed: Connection timed out',
  "* Failed to connect to deb.debian.org port 443 after 129862 ms: Couldn't connect to server",
  '* Closing connection 0',
  "curl: (28) Failed to connect to deb.debian.org port 443 after 129862 ms: Couldn't connect to server",
].join('\n');
const GO_13 = [
  '2026/12/04 00:31:02 health check failed: Get "https://ipv6.google.com/": dial tcp [2607:f8b0:4004:c1b::71]:443: connect: network is unreachable',
  '2026/12/04 00:31:32 health check failed: Get "https://ipv6.google.com/": dial tcp [2607:f8b0:4004:c1b::71]:443: connect: network is unreachable',
].join('\n');
const WGET_30 = [
  '--2026-12-04 00:40:01--  http://deb.debian.org/debian/dists/bookworm/InRelease',
  'Resolving deb.debian.org (deb.debian.org)... 2a04:4e42:8c::644, 151.101.2.132',
  'Connecting to deb.debian.org (deb.debian.org)|2a04:4e42:8c::644|:80... failed: Network is unreachable.',
  'Connecting to deb.debian.org (deb.debian.org)|151.101.2.132|:80... connected.',
  'HTTP request sent, awaiting response... 200 OK',
].join('\n');

describe('log.network-unreachable: IPv6 without a route, what the client did next (H79)', () => {
  it('R26 12: curl tried IPv4 next and that timed out: warning, cites the IPv4 failure, never "no IPv4 address failed"', () => {
    const f = byId([scan(CURL_12, 'curl-v.log')], 'log.network-unreachable')!;
    expect(f.severity).toBe('warning');
    expect(f.title).toBe('No IPv6 route, and the IPv4 attempt after it failed too');
    expect(f.message).not.toMatch(/No IPv4 address failed|fell back/);
    expect(f.message).toMatch(/then tried IPv4 \(curl-v\.log:3: 151\.101\.2\.132\), and that attempt failed too \(curl-v\.log:4: \* connect to 151\.101\.2\.132 port 443 failed: Connection timed out\)/);
    expect(f.evidence.map((e) => [e.line, e.note ?? ''])).toEqual([
      [2, ''],
      [3, 'the same client tried IPv4 after it'],
      [4, 'that IPv4 attempt failed too'],
    ]);
    expect(f.facts?.ipv4AfterFailed).toBe(1);
    expect(f.remedy.commands[0]).toBe('ip route get 151.101.2.132   # the route the IPv4 attempt takes');
  });
  it("R26 12 without the timeout line: curl's own `Failed to connect` after the IPv4 attempt is its failure", () => {
    const text = CURL_12.split('\n').filter((_, i) => i !== 3).join('\n');
    const f = byId([scan(text, 'curl-v.log')], 'log.network-unreachable')!;
    expect(f.severity).toBe('warning');
    expect(f.message).toMatch(/that attempt failed too \(curl-v\.log:4: \* Failed to connect to deb\.debian\.org port 443/);
  });
  it('R26 13: Go dial errors for an IPv6 address, no IPv4 step: warning worded as a failed connection, no fallback claimed', () => {
    const f = byId([scan(GO_13, 'app.log')], 'log.network-unreachable', routes13)!;
    expect(f.severity).toBe('warning');
    expect(f.title).toBe('Network is unreachable: the address is IPv6 and the host has no IPv6 route');
    expect(f.message).not.toMatch(/fell back|went on to IPv4|No IPv4 address failed/);
    expect(f.message).toMatch(/a Go program's "dial tcp" error is its final one/);
    expect(f.message).toMatch(/IPv6 addresses only, or its IPv4 addresses failed too/);
    expect(f.facts?.ipv6NoIpv4Step).toBe(2);
    expect(f.remedy.commands).toContain('ip -6 route get 2607:f8b0:4004:c1b::71   # "Network is unreachable": no IPv6 route covers it');
  });
  it('R26 30 (healthy): wget connected over IPv4 after the IPv6 line: info, names the connection', () => {
    const f = byId([scan(WGET_30, 'wget.log')], 'log.network-unreachable')!;
    expect(f.severity).toBe('info');
    expect(f.title).toBe('No IPv6 route: clients fell back to IPv4');
    expect(f.message).toMatch(/wget\.log:4 connected to 151\.101\.2\.132/);
    expect(run([scan(WGET_30, 'wget.log')]).filter((x) => x.severity !== 'info')).toEqual([]);
  });
});

// ---- R26 14: moby/moby#6442, then a later start ------------------------------------------------------
const CANDIDATES = [
  '172.17.42.1/16', '10.0.42.1/16', '10.1.42.1/16', '10.42.42.1/16', '172.16.42.1/24', '172.16.43.1/24', '172.16.44.1/24',
  '10.0.42.1/24', '10.0.43.1/24', '192.168.42.1/24', '192.168.43.1/24', '192.168.44.1/24',
].map((c) => `[debug] driver.go:254 ${c} requested network overlaps with existing network`);
const FINAL = "2014/06/16 12:41:32 Could not find a free IP address range for interface 'docker0'. Please configure its address manually and run 'docker -b docker0'";
const LATER = [CANDIDATES[0], CANDIDATES[1], '[debug] driver.go:264 Creating bridge docker0 with network 10.1.42.1/16', '[debug] server.go:1040 Registering GET, /containers/{name:.*}/json'];
const routes14 = { routes: [parseRoutes(['unreachable 192.168.0.0/16  metric 999', 'unreachable 172.16.0.0/12  metric 999'].join('\n'), 'ip_route.txt')] };

describe('log.docker-no-free-address-pool: a later start took a range; Docker 1.x wording (H79)', () => {
  it('R26 14: the failure, then `Creating bridge docker0 with network 10.1.42.1/16`: info, cites the later range', () => {
    const f = byId([scan([...CANDIDATES, FINAL, ...LATER].join('\n'), 'docker.log')], 'log.docker-no-free-address-pool', routes14)!;
    expect(f.severity).toBe('info');
    expect(f.message).toMatch(/Later in the same log dockerd created docker0 with 10\.1\.42\.1\/16 \(docker\.log:16: \[debug\] driver\.go:264 Creating bridge docker0/);
    expect(f.message).toMatch(/the failure is history/);
    expect(f.message).not.toMatch(/it runs no containers/);
    expect(f.evidence.some((e) => e.line === 16 && e.note === 'a later start took 10.1.42.1/16')).toBe(true);
    expect(f.remedy.summary).toMatch(/--bip=10\.1\.42\.1\/16/);
    expect(f.remedy.summary).not.toMatch(/default-address-pools/);
  });
  it('R26 14 cut at the failure (dockerd did not come up): still a warning, its remedy worded for Docker 1.x (--bip, no default-address-pools)', () => {
    const f = byId([scan([...CANDIDATES, FINAL].join('\n'), 'docker.log')], 'log.docker-no-free-address-pool', routes14)!;
    expect(f.severity).toBe('warning');
    expect(f.message).not.toMatch(/daemon\.json's default-address-pools\)/);
    expect(f.message).toMatch(/no default-address-pools before Docker 18\.06/);
    expect(f.remedy.summary).toMatch(/--bip/);
    expect(f.remedy.summary).toMatch(/no default-address-pools \(that option came with Docker 18\.06\)/);
    expect(f.remedy.commands.join('\n')).not.toMatch(/"default-address-pools"/);
  });
  it('a modern no-free-pool error keeps default-address-pools in its remedy', () => {
    // docker/for-linux#599 (https://github.com/docker/for-linux/issues/599), as in test/fixtures/forlinux599/docker-error.txt
    const line = 'Error response from daemon: could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network';
    const f = byId([scan(line, 'compose.txt')], 'log.docker-no-free-address-pool', routes14);
    if (!f) return expect.fail('the modern wording should be read as no-free-pool');
    expect(f.severity).not.toBe('info');
    expect(f.remedy.commands.join('\n')).toMatch(/default-address-pools/);
  });
});
