/**
 * The probe packets' stand-in "outside" addresses (analyzers/lib/probe-address.ts) must never be the node's own, nor
 * in a subnet it is connected to (R30: a node whose eth0 is 198.51.100.10 made the fixed probe destination local, and
 * docker0's own MASQUERADE "did not apply": a false critical of iptables.docker-masquerade-missing).
 *
 * Fixtures in test/fixtures/h96-probe are real output made in throwaway namespaces h96a..h96d (all deleted):
 * `ip addr`, `ip route` / `ip route show table all`, `ip -6 addr`, `iptables-save` after iptables-restore of R30's
 * _exp/n rules (/tmp/r30/_exp/n/iptables-save.txt, itself real iptables-save output of Docker 28's rules).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseRoutes } from '../../src/parsers/ip-route.js';
import { OUTSIDE_CANDIDATES, outsideAddress, peerAddress, takenAddresses, unknownUplinkAddress } from '../../analyzers/lib/probe-address.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const fixture = (...p: string[]) => readFileSync(projectPath('test/fixtures/h96-probe', ...p), 'utf8');
const ID = 'iptables.docker-masquerade-missing';
const DOCKER0_MASQ = '-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE\n';

function artifactsOf(addr: string | undefined, route: string | undefined, extra: Partial<NodeArtifacts> = {}): NodeArtifacts {
  return {
    ...(addr !== undefined ? { ipAddr: [parseInterfaces(addr, 'ip_addr.txt')] } : {}),
    ...(route !== undefined ? { routes: [parseRoutes(route, 'ip_route.txt')] } : {}),
    ...extra,
  } as unknown as NodeArtifacts;
}

describe('outsideAddress', () => {
  it('keeps 198.51.100.10 where the bundle shows nothing of it', () => {
    expect(outsideAddress(artifactsOf(undefined, undefined), 4)).toBe('198.51.100.10');
    expect(outsideAddress(artifactsOf(undefined, undefined), 6)).toBe('2001:db8:ffff::10');
  });

  it("the node's own address (eth0 198.51.100.10/24, real ip addr): another candidate, outside the connected /24", () => {
    const a = artifactsOf(fixture('node-owns-outside/ip_addr.txt'), fixture('node-owns-outside/ip_route.txt'));
    expect(takenAddresses(a).addresses.size).toBeGreaterThan(0);
    const got = outsideAddress(a, 4);
    expect(got).not.toBe('198.51.100.10');
    expect(got.startsWith('198.51.100.')).toBe(false);
    expect(got).toBe('203.0.113.10');
  });

  it('the address alone (no route file): its prefix from ip addr still counts as connected', () => {
    const a = artifactsOf(fixture('node-owns-outside/ip_addr.txt'), undefined);
    expect(outsideAddress(a, 4)).toBe('203.0.113.10');
  });

  it('connected subnets and a blackhole (ip route show table all): every documentation range taken, a public one', () => {
    // eth0 198.51.100.20/24, eth1 203.0.113.7/24, blackhole 192.0.2.0/24
    const a = artifactsOf(fixture('connected.ip_addr.txt'), fixture('connected.ip_route.txt'));
    expect(outsideAddress(a, 4)).toBe('1.1.1.1');
    // the route file alone says the same (connected routes, the local table's local and broadcast routes)
    expect(outsideAddress(artifactsOf(undefined, fixture('connected.ip_route.txt')), 4)).toBe('1.1.1.1');
  });

  it('a route by a gateway is the way out, not a collision', () => {
    const a = artifactsOf(undefined, 'default via 192.168.1.1 dev eth0 proto dhcp metric 100\n198.51.100.0/24 via 192.168.1.254 dev eth0\n');
    expect(outsideAddress(a, 4)).toBe('198.51.100.10');
  });

  it('IPv6: the node owns 2001:db8:ffff::10/64 (real ip -6 addr, ip -6 route show table all)', () => {
    const a = artifactsOf(fixture('v6.ip_addr.txt'), fixture('v6.ip_route.txt'));
    const got = outsideAddress(a, 6);
    expect(got).not.toBe('2001:db8:ffff::10');
    expect(got).toBe('3fff:ffff::10');
    // IPv4 untouched by the IPv6 address (docker0 172.17.0.1/16, eth0 198.51.100.10/24 in this namespace too)
    expect(OUTSIDE_CANDIDATES[4]).toContain(outsideAddress(a, 4));
  });

  it('a container subnet docker network inspect shows, and the avoid list, are skipped', () => {
    const a = artifactsOf(undefined, undefined, { dockerNetworks: [{ networks: [{ name: 'lab', driver: 'bridge', subnets: [{ subnet: '198.51.100.0/25' }], options: {} }] }] } as unknown as Partial<NodeArtifacts>);
    expect(outsideAddress(a, 4)).toBe('203.0.113.10');
    expect(outsideAddress(a, 4, ['203.0.113.0/24'])).toBe('192.0.2.10');
  });

  it('peer and uplink stand-ins skip the same way', () => {
    const a = artifactsOf(fixture('connected.ip_addr.txt'), fixture('connected.ip_route.txt'));
    expect(peerAddress(artifactsOf(undefined, undefined), 4)).toBe('198.51.100.2');
    expect(peerAddress(a, 4)).toBe('1.0.0.1');
    expect(unknownUplinkAddress(artifactsOf(undefined, undefined), 4)).toBe('203.0.113.1');
    expect(unknownUplinkAddress(artifactsOf(undefined, 'default via 10.0.0.1 dev eth0\n203.0.113.0/24 dev eth1 proto kernel scope link src 203.0.113.7\n'), 4)).toBe('198.51.100.1');
  });
});

describe('iptables.docker-masquerade-missing on a node that owns 198.51.100.10 (R30 h31, _exp/n)', () => {
  const bundle = (edit: (f: string, t: string) => string = (_f, t) => t) =>
    writeFolder(
      Object.fromEntries(['ip_addr.txt', 'ip_route.txt', 'iptables-save.txt'].map((f) => [`node/${f}`, edit(f, fixture('node-owns-outside', f))])),
      'h96-owns-outside',
    );
  const masq = async (dir: string) => (await analyzeBundle(dir)).findings.filter((f) => f.id === ID);

  it("healthy: docker0's MASQUERADE covers it (no false critical)", async () => {
    expect(fixture('node-owns-outside', 'iptables-save.txt')).toContain(DOCKER0_MASQ);
    expect(fixture('node-owns-outside', 'ip_addr.txt')).toContain('inet 198.51.100.10/24 scope global eth0');
    expect(await masq(bundle())).toEqual([]);
  });

  it("docker0's MASQUERADE deleted: still critical", async () => {
    const [f, ...rest] = await masq(bundle((file, t) => (file === 'iptables-save.txt' ? t.replace(DOCKER0_MASQ, '') : t)));
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: 'critical', facts: { subnet: '172.17.0.0/16', bridge: 'docker0' } });
  });
});
