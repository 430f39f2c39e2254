/**
 * H104: over IPv6, only Docker networks that have IPv6 are traced (iptables.forward-blocks-containers,
 * lib/node-view dockerBridges), and docker.ipv6-prefix-unrouted stays quiet where the live ip6tables rules
 * NAT the prefix. The host is made with the real binaries in namespaces h104x / h104xc
 * (test/fixtures/h104-ipv6-networks/make.sh): docker0 with 172.17.0.1/16 and 2001:db8:1::1/64 (the daemon.json
 * of Docker's IPv6 docs, test/fixtures/h25/docs-daemon.json), two IPv4-only user networks whose bridges have
 * only the kernel's link-local fe80:: address, Docker 28's iptables rules for the three and its ip6tables rules
 * for docker0 only. docker network inspect: docker0's in Docker's format (test/fixtures/ipv6, the prefix
 * changed), alpine-net's (br-e9261a8c9a19, "EnableIPv6": false) read in place from the corpus (docker/docs'
 * standalone networking tutorial, /work/shared/corpus/SOURCES.md). Docker 26.0.2 and later disable IPv6 on the
 * interfaces of containers in such networks (CVE-2024-32473, github.com/moby/moby/security/advisories/GHSA-x84c-p2g9-rqv9).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { dockerBridges } from '../../analyzers/lib/node-view.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseRoutes } from '../../src/parsers/ip-route.js';
import { parseDockerNetworks } from '../../src/parsers/docker-network-inspect.js';
import { corpusPath, projectPath } from '../helpers/shared.js';

const FWD = 'iptables.forward-blocks-containers';
const PREFIX = 'docker.ipv6-prefix-unrouted';
const fx = (...p: string[]) => readFileSync(projectPath('test/fixtures/h104-ipv6-networks', ...p), 'utf8');
const ALPINE_NET = corpusPath('docker-network', 'docker-docs-inspect-user-defined-alpine-net-3-containers.json');
const hasAlpineNet = existsSync(ALPINE_NET);
const alpineNet = () => readFileSync(ALPINE_NET, 'utf8');
const docsDaemonJson = () => readFileSync(projectPath('test/fixtures/h25/docs-daemon.json'), 'utf8');

const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});
/** A bundle folder of the state's files (those named), plus extra files. */
function bundle(state: string, names: string[], extra: Record<string, string> = {}): string {
  const dir = join(tmpdir(), `h104-${state}-${process.pid}-${made.length}`, state);
  mkdirSync(dir, { recursive: true });
  made.push(join(dir, '..'));
  for (const n of names) writeFileSync(join(dir, n), fx(state, n));
  for (const [n, text] of Object.entries(extra)) writeFileSync(join(dir, n), text);
  return dir;
}
const ALL = ['hostname', 'ip_addr.txt', 'ip_route.txt', 'iptables-save.txt', 'ip6tables-save.txt', 'sysctl.txt'];
const inspect = () => ({ 'docker_network_inspect_bridge.json': fx('docker_network_inspect_bridge.json'), ...(hasAlpineNet ? { 'docker_network_inspect_alpine-net.json': alpineNet() } : {}) });
const findings = async (dir: string, id: string) => (await analyzeBundle(dir)).findings.filter((f) => f.id === id);

describe('dockerBridges over IPv6: only the networks that have IPv6', () => {
  const ipAddr = () => parseInterfaces(fx('healthy', 'ip_addr.txt'), 'ip_addr.txt');
  const routes = () => parseRoutes(fx('healthy', 'ip_route.txt'), 'ip_route.txt');

  it('ip addr and ip route alone: docker0 (2001:db8:1::1/64) in family 6; the link-local-only br-* bridges in family 4 only', () => {
    const a = { ipAddr: [ipAddr()], routes: [routes()] };
    expect(dockerBridges(a, 6).map((b) => [b.name, b.subnets.map((s) => s.cidr)])).toEqual([['docker0', ['2001:db8:1::/64']]]);
    expect(dockerBridges(a, 4).map((b) => b.name).sort()).toEqual(['br-3f1b2c4d5e6a', 'br-e9261a8c9a19', 'docker0']);
  });

  it.skipIf(!hasAlpineNet)('inspect\'s "EnableIPv6": false leaves alpine-net out of family 6 even where its bridge shows a global address', () => {
    // the same ip addr with a global address added on br-e9261a8c9a19 (by hand: inspect still says the network is IPv4-only)
    const text = fx('healthy', 'ip_addr.txt').replace(/(inet 172\.18\.0\.1\/16 scope global br-e9261a8c9a19\n {7}valid_lft forever preferred_lft forever\n)/, '$1    inet6 2001:db8:18::1/64 scope global nodad \n       valid_lft forever preferred_lft forever\n');
    expect(text).toContain('2001:db8:18::1/64');
    const withInspect = { ipAddr: [parseInterfaces(text, 'ip_addr.txt')], dockerNetworks: [parseDockerNetworks(alpineNet(), 'inspect.json')] };
    expect(dockerBridges(withInspect, 6).map((b) => b.name)).toEqual(['docker0']);
    expect(dockerBridges(withInspect, 4).find((b) => b.name === 'br-e9261a8c9a19')?.subnets.map((s) => s.cidr)).toEqual(['172.18.0.0/16']);
    // without the inspect, the global address is what shows IPv6 on it
    expect(dockerBridges({ ipAddr: [parseInterfaces(text, 'ip_addr.txt')] }, 6).map((b) => b.name).sort()).toEqual(['br-e9261a8c9a19', 'docker0']);
  });

  it('`ip -4 addr` and `ip -4 route`: docker0 has IPv6 only by Docker\'s ip6tables masquerade of 2001:db8:1::/64; the br-* bridges have none', () => {
    const a = {
      ipAddr: [parseInterfaces(fx('healthy', 'ip4_addr.txt'), 'ip4_addr.txt')],
      routes: [parseRoutes(fx('healthy', 'ip4_route.txt'), 'ip4_route.txt')],
      iptables: [parseIptablesSave(fx('healthy', 'ip6tables-save.txt'), 'ip6tables-save.txt')],
    };
    const six = dockerBridges(a, 6);
    expect(six.map((b) => b.name)).toEqual(['docker0']);
    expect(six[0].subnets[0]).toMatchObject({ cidr: '2001:db8:1::/64', evidence: { file: 'ip6tables-save.txt', excerpt: '-A POSTROUTING -s 2001:db8:1::/64 ! -o docker0 -j MASQUERADE' } });
    // no IPv6 rules at all: nothing shows IPv6 on any bridge
    expect(dockerBridges({ ipAddr: a.ipAddr, routes: a.routes }, 6)).toEqual([]);
  });
});

describe(`${FWD} over IPv6 on a host with IPv4-only user networks (real ip addr, ip6tables-save)`, () => {
  it('healthy: Docker 28 accepts docker0 in ip6tables; the IPv4-only br-* bridges are not traced over IPv6 (with inspect)', async () => {
    expect(await findings(bundle('healthy', ALL, inspect()), FWD)).toEqual([]);
  });

  it('healthy without docker network inspect: bridges with only a link-local address are not claimed to drop IPv6', async () => {
    expect(await findings(bundle('healthy', ALL), FWD)).toEqual([]);
  });

  it("fires for docker0 alone when ip6tables' FORWARD is flushed under policy DROP (its 2001:db8:1::/64 is dropped)", async () => {
    for (const extra of [inspect(), {}]) {
      const found = await findings(bundle('forward6-flushed', ALL, extra), FWD);
      expect(found).toHaveLength(1);
      expect(found[0].facts).toMatchObject({ bridge: 'docker0', subnet: '2001:db8:1::/64', verdict: 'DROP', family: 'ipv6' });
      expect(found[0].evidence[0]).toMatchObject({ file: 'ip6tables-save.txt', excerpt: ':FORWARD DROP' });
      expect(found[0].message).not.toContain('br-');
    }
  });
});

describe(`${PREFIX}: the live ip6tables rules decide whether the prefix is NATed`, () => {
  it("quiet on the healthy host: Docker's `-A POSTROUTING -s 2001:db8:1::/64 ! -o docker0 -j MASQUERADE` (daemon.json without ip6tables, no docker version)", async () => {
    expect(await findings(bundle('healthy', ALL, { 'daemon.json': docsDaemonJson() }), PREFIX)).toEqual([]);
  });

  it("quiet with an admin's own NAT66 of the prefix and no Docker rule in ip6tables, no IPv4 rules in the bundle", async () => {
    const names = ALL.filter((n) => n !== 'iptables-save.txt');
    expect(await findings(bundle('admin-nat6', names, { 'daemon.json': docsDaemonJson() }), PREFIX)).toEqual([]);
  });

  it('fires (warning) where the live ip6tables nat table NATs nothing, and asks to collect only what the bundle lacks', async () => {
    const names = ALL.filter((n) => n !== 'iptables-save.txt');
    const [f, ...rest] = await findings(bundle('no-ip6tables', names, { 'daemon.json': docsDaemonJson() }), PREFIX);
    expect(rest).toEqual([]);
    expect(f.severity).toBe('warning');
    expect(f.message).toContain('does not NAT them');
    expect(f.message).toContain('ip6tables-save.txt');
    expect(f.evidence.some((e) => e.file === 'ip6tables-save.txt' && e.excerpt === ':POSTROUTING')).toBe(true);
    // the bundle has ip -6 route, ip6tables-save and both sysctl keys, and the live rules decide (docker version does not)
    expect(f.remedy!.commands.filter((c) => c.includes('what to collect'))).toEqual([]);
    expect(f.remedy!.summary).not.toContain('Collect');
    expect(f.message).not.toContain('`docker version` decides');
  });

  it('with no ip6tables rules in the bundle it stays info and asks for them', async () => {
    const names = ['hostname', 'ip_addr.txt', 'sysctl.txt'];
    const [f] = await findings(bundle('no-ip6tables', names, { 'daemon.json': docsDaemonJson() }), PREFIX);
    expect(f.severity).toBe('info');
    expect(f.remedy!.commands[0]).toBe('ip -6 route; ip6tables-save; docker version   # what to collect (not in the bundle)');
  });
});
