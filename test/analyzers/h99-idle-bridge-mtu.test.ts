/**
 * network.mtu-mismatch: an idle Docker bridge at Docker's default 1500 over an uplink below 1500, nothing
 * configured (the most common MTU ticket). Real text (test/fixtures/h99-arc/SOURCE.md):
 * actions/actions-runner-controller#385 / #393's ifconfig from a dind runner pod
 * (https://github.com/actions/actions-runner-controller/pull/385: docker0 `UP BROADCAST MULTICAST  MTU:1500`,
 * eth0 `MTU:1450` with the CNI-derived MAC 0A:58:AC:16:02:B5), moby/moby#22028's abbreviated `ip addr`
 * (https://github.com/moby/moby/issues/22028), openSUSE's packaged daemon.json, and iproute2's own output in
 * namespaces h99x/h99y (test/fixtures/h99-netns/make-fixtures.sh): an idle docker0 over eth0 at 1450 / 1500 /
 * 9001, a tun0 at 1400 without the default route, eth0 down.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import analyzer from '../../analyzers/network-mtu-mismatch.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseRoutes } from '../../src/parsers/ip-route.js';
import { parseDockerDaemonJson } from '../../src/parsers/docker-daemon.js';
import { projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const read = (dir: string, f: string) => readFileSync(projectPath('test/fixtures', dir, f), 'utf8');
const netns = (f: string) => parseInterfaces(read('h99-netns', f), f);
const route = (f = 'netns-idle-docker0.ip-route.txt') => parseRoutes(read('h99-netns', f), 'ip-route.txt');
const arc = () => parseInterfaces(read('h99-arc', 'arc-385.ifconfig.txt'), 'ifconfig.txt');
const run = (a: NodeArtifacts) => runNode(analyzer, a);
/** the analyzer with the engine's coverage callback: what it says it could not decide */
function withCoverage(a: NodeArtifacts): { findings: ReturnType<typeof run>; partly: string[] } {
  const partly: string[] = [];
  if (analyzer.scope !== 'node') throw new Error('node analyzer expected');
  const findings = analyzer.analyze({ node: 'n', artifacts: a as never, options: { requiredPorts: [] }, partly: (w) => partly.push(w) });
  return { findings, partly };
}

describe('an idle docker0 at 1500 over a smaller uplink', () => {
  it("fires on actions-runner-controller#385's dind ifconfig: warning (Docker inside a pod), both interfaces with MTU and line, the daemon.json fix", () => {
    const f = run({ ipAddr: [arc()] });
    expect(f).toHaveLength(1);
    expect(f[0].severity).toBe('warning');
    expect(f[0].facts).toMatchObject({ bridge: 'docker0', idle: true, bridgeMtu: 1500, containerMtu: 1500, uplink: ['eth0'], uplinkMtu: 1450, uplinkFrom: 'interfaces', pod: true, configKnown: false });
    expect(f[0].message).toMatch(/docker0 has MTU 1500, larger than eth0 \(MTU 1450\), the only interface up besides container ones/);
    expect(f[0].message).toMatch(/TLS handshakes, git clone, apt-get, pip and docker build hang/);
    expect(f[0].message).toMatch(/MAC \(0a:58:ac:16:02:b5\) is the one Kubernetes' CNI derives from its address 172\.22\.2\.181/);
    // ifconfig.txt: line 1 is the prompt, docker0 at 2, eth0 at 10
    expect(f[0].evidence.map((e) => `${e.file}:${e.line}`)).toEqual(['ifconfig.txt:10', 'ifconfig.txt:2']);
    expect(f[0].evidence[0].excerpt).toMatch(/^eth0: <UP,BROADCAST,RUNNING,MULTICAST> mtu 1450/);
    expect(f[0].evidence[1].excerpt).toMatch(/^docker0: <UP,BROADCAST,MULTICAST> mtu 1500/);
    expect(f[0].remedy.commands).toContain('# /etc/docker/daemon.json: add "mtu": 1450 (the default bridge docker0), e.g. { "mtu": 1450 }');
    expect(f[0].remedy.commands.join('\n')).toMatch(/--mtu=1450 \(actions-runner-controller: the runner's dockerMTU: 1450/);
    expect(f[0].remedy.commands.join('\n')).toMatch(/recreate the containers created before: a veth keeps the MTU of its creation/);
  });

  it('end to end on the pasted file as a bundle: the finding, and the coverage line counts it', async () => {
    const report = await analyzeBundle(projectPath('test/fixtures/h99-arc/arc-385.ifconfig.txt'));
    const f = report.findings.filter((x) => x.id === 'network.mtu-mismatch');
    expect(f.map((x) => x.severity)).toEqual(['warning']);
    const cov = report.coverage.nodes[0].analyzers.find((a) => a.id === 'network.mtu-mismatch');
    expect(cov).toMatchObject({ status: 'ran', findings: 1 });
  });

  it('fires on the ip addr form (real netns: docker0 that never had a port, eth0 1450 with the default route): info, no sign of use', () => {
    const f = run({ ipAddr: [netns('netns-idle-docker0-uplink-1450.ip-addr.txt')], routes: [route()] });
    expect(f).toHaveLength(1);
    expect(f[0].severity).toBe('info');
    expect(f[0].facts).toMatchObject({ bridge: 'docker0', uplink: ['eth0'], uplinkMtu: 1450, uplinkFrom: 'route', pod: false, configKnown: false });
    expect(f[0].message).toMatch(/docker0 has MTU 1500, larger than eth0 \(MTU 1450\), the interface of the default route/);
    expect(f[0].message).toMatch(/does not show whether Docker's "mtu" is set .*: if it is already 1450 or less, this does not apply/);
    expect(f[0].evidence.map((e) => `${e.file}:${e.line}`)).toEqual(['ip-route.txt:1', 'netns-idle-docker0-uplink-1450.ip-addr.txt:7', 'netns-idle-docker0-uplink-1450.ip-addr.txt:13']);
  });

  it('says the MTU is unset when daemon.json is in the bundle without "mtu" (openSUSE\'s packaged file)', () => {
    const daemon = parseDockerDaemonJson(read('h99-arc', 'opensuse.daemon.json'), 'daemon.json');
    const f = run({ ipAddr: [netns('netns-idle-docker0-uplink-1450.ip-addr.txt')], routes: [route()], dockerDaemon: [daemon] });
    expect(f.map((x) => [x.severity, x.facts?.configKnown])).toEqual([['info', true]]);
    expect(f[0].message).toMatch(/Nothing sets Docker's MTU, so it is the default 1500: daemon\.json has no "mtu"\./);
  });
});

describe('healthy: must not fire', () => {
  it('uplink 1500, and 9001 (AWS), with the default route (real netns)', () => {
    expect(run({ ipAddr: [netns('netns-idle-docker0-uplink-1500.ip-addr.txt')], routes: [route()] })).toEqual([]);
    expect(run({ ipAddr: [netns('netns-idle-docker0-uplink-9001.ip-addr.txt')], routes: [route()] })).toEqual([]);
  });

  it('a VPN tun0 at 1400 that carries no default route (real netns), with and without the routes', () => {
    expect(run({ ipAddr: [netns('netns-idle-docker0-tun0-1400.ip-addr.txt')], routes: [route('netns-idle-docker0-tun0-1400.ip-route.txt')] })).toEqual([]);
    expect(run({ ipAddr: [netns('netns-idle-docker0-tun0-1400.ip-addr.txt')] })).toEqual([]);
  });

  it('Docker\'s MTU configured at most the uplink: "mtu": 1400 (moby#37937\'s daemon.json) over eth0 1450', () => {
    const daemon = parseDockerDaemonJson(read('h1-daemon', 'moby-37937.daemon.json'), 'daemon.json');
    expect(run({ ipAddr: [netns('netns-idle-docker0-uplink-1450.ip-addr.txt')], routes: [route()], dockerDaemon: [daemon] })).toEqual([]);
  });

  it("moby/moby#22028's abbreviated `ip addr` (R32 case 09) is not read as an interface listing", () => {
    expect(() => parseInterfaces(read('h99-arc', 'moby-22028.ip-addr.txt'), 'ip_addr.txt')).toThrow(/no ip addr output/);
  });
});

describe('coverage: says what it could not compare instead of a bare "ran"', () => {
  it('no routes and no interface up besides docker0 (real netns, eth0 down): one plain line, no finding', () => {
    const { findings, partly } = withCoverage({ ipAddr: [netns('netns-idle-docker0-eth0-down.ip-addr.txt')] });
    expect(findings).toEqual([]);
    expect(partly).toEqual(['could not compare MTUs: the bundle has no routes (ip route) and no interface up besides container ones, so the way out of docker0 and its MTU are unknown; collect ip route and ip addr']);
  });

  it("the default route's interface is not in the listing (moby#49398's route over the netns listing)", () => {
    const r = parseRoutes(read('mtu', 'moby-49398.ip-route.txt'), 'ip-route.txt');
    const { findings, partly } = withCoverage({ ipAddr: [netns('netns-idle-docker0-uplink-1450.ip-addr.txt')], routes: [r] });
    expect(findings).toEqual([]);
    expect(partly).toEqual([expect.stringMatching(/^could not compare MTUs: the default route's interface enp7s0 \(ip-route\.txt:1\) is not in the interface listing, so docker0 was not checked/)]);
  });

  it('says nothing extra when it could compare', () => {
    expect(withCoverage({ ipAddr: [netns('netns-idle-docker0-uplink-1500.ip-addr.txt')], routes: [route()] }).partly).toEqual([]);
  });
});
