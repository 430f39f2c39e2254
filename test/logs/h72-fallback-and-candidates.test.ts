/**
 * H72: log readings that mislead.
 * 1. ENETUNREACH for an IPv6 address on a host without IPv6 routes, then IPv4: the dual-stack fallback (info), not a fault.
 *    Lines produced here with real binaries (curl 7.88.1 -v in a network namespace with no routes but lo's,
 *    `--resolve NAME:8080:[2001:db8::72],127.0.0.1` / `,10.72.0.1` / IPv6 alone) and verbatim from public tickets:
 *    - https://github.com/spantaleev/matrix-docker-ansible-deploy/issues/2860: dockerd `dial tcp [2600:1f18:...]:443: connect: network is unreachable`
 *    - https://github.com/moby/libnetwork/issues/2481: `ip route` of a host with an IPv4 default route and no IPv6 route
 * 2. moby/moby#6442 (https://github.com/moby/moby/issues/6442, /tmp/r21/02): Docker 1.x's debug line per candidate range
 *    (`[debug] driver.go:254 172.17.42.1/16 requested network overlaps with existing network`) and `ip r s` with
 *    `unreachable 192.168.0.0/16  metric 999`; the final error and `Creating bridge %s with network %s` are Docker 1.x's
 *    own format strings (daemon/networkdriver/bridge/driver.go, createBridge).
 */
import { describe, expect, it } from 'vitest';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { scanLogText, type LogScanResult } from '../../src/logs/scanner.js';
import { parseRoutes } from '../../src/parsers/ip-route.js';
import logSignatures from '../../analyzers/log-signatures.js';
import { runNode } from '../analyzers/helpers.js';

const scan = (text: string, file = 'case.log') => scanLogText(text, file, { year: 2026 });
const run = (logs: LogScanResult[], more: Partial<NodeArtifacts> = {}) => runNode(logSignatures, { logs, ...more } as NodeArtifacts);
const unreachable = (logs: LogScanResult[], more: Partial<NodeArtifacts> = {}) => run(logs, more).find((x) => x.id === 'log.network-unreachable');

// moby/libnetwork#2481: an IPv4 default route, no IPv6 route
const ROUTES_2481 = [
  'default via 192.168.1.254 dev eno1 proto dhcp src 192.168.1.46 metric 10 ',
  '172.17.0.0/16 dev docker0 proto kernel scope link src 172.17.0.1 ',
  '192.168.1.0/24 dev eno1 proto kernel scope link src 192.168.1.46 ',
].join('\n');
const routes = { routes: [parseRoutes(ROUTES_2481, 'ip_route.txt')] };

// curl 7.88.1 -v, produced here: IPv6 first (no IPv6 route: ENETUNREACH at once), then IPv4, connected
const CURL_FALLBACK = [
  '* Added dual.h72.test:8080:[2001:db8::72],127.0.0.1 to DNS cache',
  '* Hostname dual.h72.test was found in DNS cache',
  '*   Trying [2001:db8::72]:8080...',
  '* Immediate connect fail for 2001:db8::72: Network is unreachable',
  '*   Trying 127.0.0.1:8080...',
  '* Connected to dual.h72.test (127.0.0.1) port 8080 (#0)',
  '> GET / HTTP/1.1',
  '< HTTP/1.0 200 OK',
  '* Closing connection 0',
].join('\n');
// the same, the name with an IPv6 address only: nothing to fall back to
const CURL_V6_ONLY = [
  '* Added v6only.h72.test:8080:[2001:db8::72] to DNS cache',
  '* Hostname v6only.h72.test was found in DNS cache',
  '*   Trying [2001:db8::72]:8080...',
  '* Immediate connect fail for 2001:db8::72: Network is unreachable',
  "* Failed to connect to v6only.h72.test port 8080 after 0 ms: Couldn't connect to server",
  '* Closing connection 0',
].join('\n');
// the same, the IPv4 address unroutable too: the IPv4 failure is the fault
const CURL_BOTH = [
  '* Added dual.h72.test:8080:[2001:db8::72],10.72.0.1 to DNS cache',
  '* Hostname dual.h72.test was found in DNS cache',
  '*   Trying [2001:db8::72]:8080...',
  '* Immediate connect fail for 2001:db8::72: Network is unreachable',
  '*   Trying 10.72.0.1:8080...',
  '* Immediate connect fail for 10.72.0.1: Network is unreachable',
  "* Failed to connect to dual.h72.test port 8080 after 0 ms: Couldn't connect to server",
  '* Closing connection 0',
].join('\n');
// spantaleev/matrix-docker-ansible-deploy#2860 (dockerd's error, quoted by Ansible)
const GO_V6 =
  '  msg: \'Error pulling image docker.io/devture/exim-relay:4.96-r1-0 - 500 Server Error for http+docker://localhost/v1.43/images/create?tag=4.96-r1-0&fromImage=docker.io%2Fdevture%2Fexim-relay: Internal Server Error ("Get "https://registry-1.docker.io/v2/devture/exim-relay/manifests/sha256:6aeb52edd282561aeaaa41de5757ba714419b21eb3e1454d9658d2bd0313fe14": dial tcp [2600:1f18:2148:bc02:4bf0:3a98:55ae:e3d5]:443: connect: network is unreachable")\'';

describe('log.network-unreachable: IPv6 first, then IPv4 (H72)', () => {
  it("curl's IPv6 attempt, then connected over IPv4: info, names the IPv4 connection", () => {
    const f = unreachable([scan(CURL_FALLBACK, 'curl-v.txt')], routes)!;
    expect(f.severity).toBe('info');
    expect(f.title).toBe('No IPv6 route: clients fell back to IPv4');
    expect(f.facts?.host).toEqual(['2001:db8::72']);
    expect(f.message).toMatch(/curl-v\.txt:6 connected to 127\.0\.0\.1/);
    expect(f.message).toMatch(/the routes in the bundle have no IPv6 default route/);
    expect(f.evidence.map((e) => e.line)).toEqual([4, 6]);
  });
  // H79 (R26 13): was info ("fell back to IPv4"). The ticket's own line says the pull failed (500 Server Error): Go's dialer
  // returns a dial error only after every address failed, and sorts an unroutable IPv6 address after the IPv4 ones.
  it('a Go line for an IPv6 address and no IPv4 step of the client: warning, a failed connection, no fallback claimed', () => {
    const f = unreachable([scan(GO_V6, 'ansible.txt')], routes)!;
    expect(f.severity).toBe('warning');
    expect(f.title).toBe('Network is unreachable: the address is IPv6 and the host has no IPv6 route');
    expect(f.message).not.toMatch(/No IPv4 address failed|fell back/);
  });
  it('the name has IPv6 only and the client failed: a warning that says so', () => {
    const f = unreachable([scan(CURL_V6_ONLY, 'curl-v.txt')], routes)!;
    expect(f.severity).toBe('warning');
    expect(f.title).toMatch(/IPv6-only destination/);
    expect(f.message).toMatch(/curl-v\.txt:5: \* Failed to connect to v6only\.h72\.test port 8080/);
    expect(f.remedy.commands).toContain('ip -6 route get 2001:db8::72   # "Network is unreachable": no IPv6 route covers it');
  });
  it('the IPv4 address unreachable too: warning, worded by the IPv4 failure, the IPv6 line named as the fallback', () => {
    const noDefault = { routes: [parseRoutes(ROUTES_2481.split('\n').slice(1).join('\n'), 'ip_route.txt')] };
    const f = unreachable([scan(CURL_BOTH, 'curl-v.txt')], noDefault)!;
    expect(f.severity).toBe('warning');
    expect(f.message).toMatch(/have no IPv4 default route: that is why/);
    expect(f.message).toMatch(/The IPv6 address 2001:db8::72 fails the same way/);
  });
  it('an IPv4 address alone keeps its warning', () => {
    const f = unreachable([scan(CURL_BOTH.split('\n').slice(4).join('\n'), 'curl-v.txt')], routes)!;
    expect(f.severity).toBe('warning');
    expect(f.facts?.host).toEqual(['10.72.0.1']);
  });
  it('a host that shows an IPv6 default route: not the fallback wording', () => {
    const v6 = { routes: [parseRoutes(`${ROUTES_2481}\ndefault via fe80::1 dev eno1 proto ra metric 1024 pref medium`, 'ip_route.txt')] };
    const f = unreachable([scan(CURL_FALLBACK, 'curl-v.txt')], v6)!;
    expect(f.severity).toBe('warning');
    expect(f.title).not.toMatch(/fell back/);
  });
});

// ---- moby/moby#6442 ---------------------------------------------------------------------------------
const CANDIDATES_6442 = [
  '    [debug] driver.go:254 172.17.42.1/16 requested network overlaps with existing network',
  '    [debug] driver.go:254 10.0.42.1/16 requested network overlaps with existing network',
  '    [debug] driver.go:254 10.1.42.1/16 requested network overlaps with existing network',
  '    [debug] driver.go:254 10.42.42.1/16 requested network overlaps with existing network',
  '    [debug] driver.go:254 172.16.42.1/24 requested network overlaps with existing network',
  '    [debug] driver.go:254 172.16.43.1/24 requested network overlaps with existing network',
  '    [debug] driver.go:254 172.16.44.1/24 requested network overlaps with existing network',
  '    [debug] driver.go:254 10.0.42.1/24 requested network overlaps with existing network',
  '    [debug] driver.go:254 10.0.43.1/24 requested network overlaps with existing network',
  '    [debug] driver.go:254 192.168.42.1/24 requested network overlaps with existing network',
  '    [debug] driver.go:254 192.168.43.1/24 requested network overlaps with existing network',
  '    [debug] driver.go:254 192.168.44.1/24 requested network overlaps with existing network',
];
const ROUTES_6442 = ['unreachable 192.168.0.0/16  metric 999', 'unreachable 172.16.0.0/12  metric 999'].join('\n');
// Docker 1.x's error (its fmt.Errorf in createBridge, verbatim); the `[error]` prefix is Docker 1.0's log format, as the ticket's `[debug]`
const FINAL_6442 = "[error] Could not find a free IP address range for interface 'docker0'. Please configure its address manually and run 'docker -b docker0'";
const routes6442 = { routes: [parseRoutes(ROUTES_6442, 'ip_route.txt')] };

describe("Docker's per-candidate pool lines (moby/moby#6442, H72)", () => {
  it('candidate lines alone, all twelve rejected and none taken: the no-free-range finding without its final error line (H102)', () => {
    const out = run([scan(CANDIDATES_6442.join('\n'), 'docker-daemon-debug.log')], routes6442);
    const f = out.find((x) => x.id === 'log.docker-no-free-address-pool')!;
    expect(f.severity).toBe('critical');
    expect(f.title).toMatch(/every candidate overlaps a route/);
    expect(f.evidence.map((e) => `${e.file}:${e.line}`)).toEqual(expect.arrayContaining(['docker-daemon-debug.log:1', 'ip_route.txt:1', 'ip_route.txt:2']));
  });
  it('only some candidates logged (the rest skipped silently, or the log cut): no finding above info', () => {
    const out = run([scan(CANDIDATES_6442.slice(0, 7).join('\n'), 'docker-daemon-debug.log')], routes6442);
    expect(out.filter((x) => x.severity !== 'info')).toEqual([]);
  });
  it('candidates rejected, then a range taken (a free one further down the list): no finding above info', () => {
    // the first five rejected, then Docker 1.x's `Creating bridge %s with network %s` for the sixth
    const text = [...CANDIDATES_6442.slice(0, 5), '    [debug] driver.go:258 Creating bridge docker0 with network 172.16.43.1/24'].join('\n');
    const out = run([scan(text, 'docker-daemon-debug.log')], routes6442);
    expect(out.filter((x) => x.severity !== 'info')).toEqual([]);
    expect(out.find((x) => x.id === 'log.docker-no-free-address-pool')).toBeUndefined();
  });
  it('every candidate rejected, then the final error: the finding names the candidates and the routes that blocked them', () => {
    const f = run([scan([...CANDIDATES_6442, FINAL_6442].join('\n'), 'docker-daemon-debug.log')], routes6442).find((x) => x.id === 'log.docker-no-free-address-pool')!;
    expect(f.severity).not.toBe('info');
    expect(f.facts?.rejectedCandidates).toHaveLength(12);
    expect(f.message).toMatch(/dockerd tried 12 candidate ranges for docker0 and rejected each \(docker-daemon-debug\.log:1-12\): 172\.17\.42\.1\/16, 10\.0\.42\.1\/16/);
    // the ticket's excerpt cut the 10.0.0.0/8 route: the 10.x candidates are said to have no route in the bundle
    expect(f.message).toMatch(/No route in the bundle covers 10\.0\.42\.1\/16, 10\.1\.42\.1\/16/);
    const c = f.evidence.find((e) => e.line === 10 && e.file === 'docker-daemon-debug.log')!;
    expect(c.note).toBe('candidate rejected: overlaps the route unreachable 192.168.0.0/16 metric 999');
    expect(f.evidence.find((e) => e.line === 1 && e.file === 'docker-daemon-debug.log')!.note).toBe('candidate rejected: overlaps the route unreachable 172.16.0.0/12 metric 999');
    expect(f.evidence.some((e) => e.file === 'ip_route.txt' && e.line === 1)).toBe(true);
  });
  it("a range taken at an earlier start is not counted among this start's rejections", () => {
    const text = [...CANDIDATES_6442.slice(0, 2), '    [debug] driver.go:258 Creating bridge docker0 with network 10.1.42.1/16', ...CANDIDATES_6442.slice(9), FINAL_6442].join('\n');
    const f = run([scan(text, 'docker-daemon-debug.log')], routes6442).find((x) => x.id === 'log.docker-no-free-address-pool')!;
    expect(f.facts?.rejectedCandidates).toEqual(['192.168.42.1/24', '192.168.43.1/24', '192.168.44.1/24']);
  });
  it("libnetwork 1.7-1.9's wording of the final error is Docker's no-free-pool finding, not the network controller's", () => {
    // libnetwork's IPv4AddrRangeError (drivers/bridge/errors.go: `can't find an address range for interface %q`) in dockerd's
    // fatal start line of that era (moby/libnetwork@master errors.go; the line as quoted in public Docker-on-CentOS notes)
    const line = 'time="2016-06-25T18:54:56.380986865+08:00" level=fatal msg="Error starting daemon: Error initializing network controller: Error creating default \\"bridge\\" network: can\'t find an address range for interface \\"docker0\\""';
    const out = run([scan(line, 'docker.log')]);
    expect(out.find((x) => x.id === 'log.docker-no-free-address-pool')).toBeDefined();
    expect(out.find((x) => x.id === 'log.docker-network-controller-failed')).toBeUndefined();
  });
});

describe('the catalog examples of the new entries (proposed for test/logs/signatures.test.ts EXAMPLES)', () => {
  it.each([
    ['log.client-connect-step', '* Connected to dual.h72.test (127.0.0.1) port 8080 (#0)', { connected: '127.0.0.1', name: 'dual.h72.test', port: '8080' }],
    ['log.client-connect-step', '*   Trying 10.72.0.1:8080...', { attempt: '10.72.0.1' }],
    ['log.client-connect-step', "* Failed to connect to v6only.h72.test port 8080 after 0 ms: Couldn't connect to server", { failed: 'Failed to connect to v6only.h72.test port 8080' }],
    ['log.docker-pool-candidate', '    [debug] driver.go:254 172.17.42.1/16 requested network overlaps with existing network', { rejected: '172.17.42.1/16', overlapsWith: 'existing network' }],
    ['log.network-unreachable', '* Immediate connect fail for 2001:db8::72: Network is unreachable', { host: '2001:db8::72' }],
  ] as const)('%s: %s', (id, line, facts) => {
    const m = scanLogText(line, 'example.log', { year: 2026 }).matches.find((x) => x.signature === id);
    expect(m?.facts).toMatchObject(facts);
  });
  it("a `Trying` that is no address and a `Connected to` without one are no step", () => {
    const r = scanLogText(['Trying to reconnect to the server...', 'Connected to database primary'].join('\n'), 'app.log', { year: 2026 });
    expect(r.matches.filter((x) => x.signature === 'log.client-connect-step')).toEqual([]);
  });
});
