/**
 * Route tables beyond `ip route`: net-tools' `route -n` / `route` / `route -nee` / `netstat -rn`
 * (src/parsers/route-n.ts, read through parseRoutes), and `ip route` lines of types without a device
 * (`unreachable 192.168.0.0/16  metric 999`), which the sniff used to miss.
 *
 * Real text: the pastes of https://github.com/moby/moby/issues/6442 (unreachable RFC1918 routes),
 * https://github.com/bitwarden/server/issues/947 (`route -n`, netstat's columns) and
 * https://github.com/docker/for-linux/issues/1422 (`ip route` with the reporter's `# ...` notes), verbatim in
 * test/fixtures/h62/<ticket>/; one `route -n` line of https://github.com/moby/moby/issues/21170; and
 * ip route / route / netstat output of network namespaces made on this machine (iproute2 6.1, net-tools
 * 2.10: test/fixtures/h62/ns-*.txt, the same routes printed by each tool).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseRoutes, sniffRoutes, type Route } from '../../src/parsers/ip-route.js';
import { maskLength, parseRouteN, sniffRouteN } from '../../src/parsers/route-n.js';
import { sniffableFormats } from '../../src/parsers/registry.js';
import { loadBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const fx = (...p: string[]) => readFileSync(projectPath('test/fixtures/h62', ...p), 'utf8');
const key = (r: Route) => `${r.destination} ${r.type ?? ''} ${r.via ?? ''} ${r.dev ?? ''}`;
const sniffedAs = (text: string) => sniffableFormats().find((f) => f.sniff!(text.slice(0, 4096)))?.id;

describe('route -n (net-tools)', () => {
  it('bitwarden/server#947: every line a route, prefix from the Genmask, gateway, Iface; line numbers kept', () => {
    const t = parseRoutes(fx('bitwarden-947', 'route_-n.txt'), 'route_-n.txt');
    expect(t.routes.map((r) => [r.destination, r.via, r.dev, r.ref.line])).toEqual([
      ['0.0.0.0/0', '10.3.0.1', 'eth0', 3],
      ['10.3.0.0/24', undefined, 'eth0', 4],
      ['168.63.129.16/32', '10.3.0.1', 'eth0', 5],
      ['169.254.169.254/32', '10.3.0.1', 'eth0', 6],
      ['172.17.0.0/16', undefined, 'docker0', 7],
      ['172.28.0.0/16', undefined, 'br-828c78b615e2', 8],
      ['172.29.0.0/16', undefined, 'br-adff3a5cad70', 9],
    ]);
    expect(t.routes[5].excerpt).toBe('172.28.0.0      0.0.0.0         255.255.0.0     U         0 0          0 br-828c78b615e2');
    // netstat's columns (MSS Window irtt) have no metric
    expect(t.routes.every((r) => r.metric === undefined)).toBe(true);
  });

  it('a namespace: reject routes (!) are unreachable with their metric, Iface * is a blackhole, UGH a /32 via the gateway', () => {
    const t = parseRouteN(fx('ns-unreachable-route-n.txt'), 'route-n.txt');
    const by = (d: string) => t.routes.find((r) => r.destination === d)!;
    expect(by('172.16.0.0/12')).toMatchObject({ type: 'unreachable', metric: 999 });
    expect([by('172.16.0.0/12').via, by('172.16.0.0/12').dev]).toEqual([undefined, undefined]);
    expect(by('192.168.0.0/16')).toMatchObject({ type: 'unreachable', metric: 999 });
    expect(by('10.99.0.0/16')).toMatchObject({ type: 'unreachable' }); // ip route's prohibit: net-tools prints it as a reject too
    expect(by('10.0.0.0/8')).toMatchObject({ type: 'blackhole' });
    expect(by('10.0.0.0/8').dev).toBeUndefined();
    expect(by('168.63.129.16/32')).toMatchObject({ via: '10.3.33.1', dev: 'eth0', metric: 0 });
    expect(by('0.0.0.0/0')).toMatchObject({ via: '10.3.33.1', dev: 'eth0' });
    expect(by('172.28.0.0/16')).toMatchObject({ dev: 'br-828c78b615e2' });
    expect([by('172.28.0.0/16').via, by('172.28.0.0/16').type]).toEqual([undefined, undefined]);
  });

  it('route -n, netstat -rn, route (names) and route -nee of one table give the same routes; ip route the same device routes', () => {
    const rn = parseRoutes(fx('ns-unreachable-route-n.txt'), 'a').routes.map(key);
    expect(parseRoutes(fx('ns-unreachable-netstat-rn.txt'), 'b').routes.map(key)).toEqual(rn);
    expect(parseRoutes(fx('ns-unreachable-route-names.txt'), 'c').routes.map(key)).toEqual(rn);
    // -nee cuts Iface to 8 characters (docker0 -> docker): only the destinations and gateways are the same
    expect(parseRoutes(fx('ns-unreachable-route-nee.txt'), 'd').routes.map((r) => `${r.destination} ${r.via}`)).toEqual(parseRoutes(fx('ns-unreachable-route-n.txt'), 'a').routes.map((r) => `${r.destination} ${r.via}`));
    const ip = parseRoutes(fx('ns-unreachable-ip-route.txt'), 'e').routes.filter((r) => r.dev).map((r) => `${r.destination} ${r.via ?? ''} ${r.dev}`).sort();
    const net = parseRoutes(fx('ns-unreachable-route-n.txt'), 'a').routes.filter((r) => r.dev).map((r) => `${r.destination} ${r.via ?? ''} ${r.dev}`).sort();
    expect(net).toEqual(ip);
    for (const f of ['ns-gwbridge', 'ns-covering', 'ns-healthy']) {
      const a = parseRoutes(fx(`${f}-ip-route.txt`), 'x').routes.map((r) => `${r.destination} ${r.via ?? ''} ${r.dev}`).sort();
      const b = parseRoutes(fx(`${f}-route-n.txt`), 'y').routes.map((r) => `${r.destination} ${r.via ?? ''} ${r.dev}`).sort();
      expect(b, f).toEqual(a);
    }
  });

  it('moby/moby#21170: a covering route via a gateway', () => {
    const text = 'Kernel IP routing table\nDestination     Gateway         Genmask         Flags Metric Ref    Use Iface\n172.16.0.0      10.10.1.254     255.240.0.0     UG    0      0        0 eth0\n';
    expect(parseRoutes(text, 'r').routes).toMatchObject([{ destination: '172.16.0.0/12', via: '10.10.1.254', dev: 'eth0', metric: 0, ref: { line: 3 } }]);
  });

  it('the IPv6 table (route -A inet6) is not read: a clear reason, no route', () => {
    expect(sniffRouteN(fx('ns-route-n-inet6.txt'))).toBe(false);
    expect(() => parseRouteN(fx('ns-route-n-inet6.txt'), 'r6')).toThrow(/IPv6 route -n table/);
  });

  it('bad input: no crash, a skip', () => {
    expect(() => parseRouteN('Kernel IP routing table\nDestination     Gateway         Genmask         Flags Metric Ref    Use Iface\n', 'e')).toThrow(/no routes/);
    expect(() => parseRouteN('Kernel IP routing table\nDestination Gateway Genmask Flags Metric Ref Use Iface\n10.0.0.0 0.0.0.0 255.0.255.0 U 0 0 0 eth0\nshort line\n', 'e')).toThrow(/no routes/);
    expect(maskLength('255.255.240.0')).toBe(20);
    expect(maskLength('255.255.255.255')).toBe(32);
    expect(maskLength('0.0.0.0')).toBe(0);
    expect(maskLength('255.0.255.0')).toBeUndefined();
    expect(maskLength('256.0.0.0')).toBeUndefined();
  });
});

describe('ip route: routes without a device', () => {
  it('moby/moby#6442: the unreachable-only paste is sniffed as routes and parsed with type and metric', () => {
    const text = fx('moby-6442', 'ip_route.txt');
    expect(sniffRoutes(text)).toBe(true);
    expect(sniffedAs(text)).toBe('routes');
    expect(parseRoutes(text, 'ip_route.txt').routes).toMatchObject([
      { destination: '192.168.0.0/16', type: 'unreachable', metric: 999, ref: { line: 1 } },
      { destination: '172.16.0.0/12', type: 'unreachable', metric: 999, ref: { line: 2 } },
    ]);
  });

  it('a namespace: blackhole, throw, prohibit and unreachable lines', () => {
    const t = parseRoutes(fx('ns-unreachable-ip-route.txt'), 'ip');
    expect(t.routes.filter((r) => r.type).map((r) => `${r.type} ${r.destination}`)).toEqual([
      'blackhole 10.0.0.0/8',
      'throw 10.98.0.0/16',
      'prohibit 10.99.0.0/16',
      'unreachable 172.16.0.0/12',
      'unreachable 192.168.0.0/16',
    ]);
    expect(sniffRoutes('blackhole 10.0.0.0/8 \n')).toBe(true);
    // not route lines: prose, an ip rule's action
    expect(sniffRoutes('unreachable host, giving up\n')).toBe(false);
    expect(sniffRoutes('32766:\tfrom all unreachable\n')).toBe(false);
  });

  it("docker/for-linux#1422: a reporter's `# note` after a route is not read as part of it, and stays in the excerpt", () => {
    const t = parseRoutes(fx('for-linux-1422', 'ip_route.txt'), 'ip_route.txt');
    const r = t.routes.filter((x) => x.destination === '172.17.0.0/16');
    expect(r).toMatchObject([
      { via: '10.3.33.1', dev: 'ens192', ref: { line: 3 }, excerpt: '172.17.0.0/16 via 10.3.33.1 dev ens192 # DHCP sent static route' },
      { dev: 'docker_gwbridge', proto: 'kernel', src: '172.17.0.1', ref: { line: 4 } },
    ]);
    expect(r[1].via).toBeUndefined();
  });

  it('route -n and netstat -rn are sniffed as routes (no earlier format takes them), and read from a hand-made bundle', async () => {
    expect(sniffedAs(fx('bitwarden-947', 'route_-n.txt'))).toBe('routes');
    expect(sniffedAs(fx('ns-unreachable-route-n.txt'))).toBe('routes');
    expect(sniffedAs(fx('ns-unreachable-netstat-rn.txt'))).toBe('routes');
    const b = await loadBundle(writeFolder({ 'route_-n.txt': fx('bitwarden-947', 'route_-n.txt'), 'ip_route.txt': fx('moby-6442', 'ip_route.txt') }, 'h62-route-n'));
    const tables = b.nodes[0].artifacts.routes ?? [];
    expect(tables.map((t) => t.file).sort()).toEqual(['ip_route.txt', 'route_-n.txt']);
    expect(tables.flatMap((t) => t.routes).length).toBe(9);
  });
});
