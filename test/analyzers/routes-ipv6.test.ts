/**
 * `ip -6 route` (src/parsers/ip-route.ts) and the family-aware route lookup (routeDevFor in
 * analyzers/lib/container-host.ts): the real IPv6 table of the hotsos sosreport (no default route:
 * only its content says what it is) and one the real iproute2 printed for a namespace with two
 * IPv6 defaults (the preferred one by metric first), a more specific route and a source-specific
 * default (`from`), which applies only to packets from its prefix.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { routeDevFor } from '../../analyzers/lib/container-host.js';
import { readBundle } from '../../src/bundle/read.js';
import { locate } from '../../src/layouts/index.js';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { parseRoutes, sniffRoutes } from '../../src/parsers/ip-route.js';
import { writeFolder } from '../helpers/archive.js';
import { canMakeNetns, corpusPath, hasCorpus } from '../helpers/shared.js';

/**
 * `ip -6 route` of namespace h1x-rt (iproute2 6.1, Linux 6.18): eth0 2001:db8:1::10/64, eth1
 * 2001:db8:5::10/64; defaults via fe80::1 dev eth1 (metric 100) and via 2001:db8:1::1 dev eth0
 * (metric 1024); 2001:db8:9::/48 via 2001:db8:1::1; `default from 2001:db8:5::/64 via
 * 2001:db8:1::2 dev eth0 metric 50`. (peer0/peer1 are the veths' other ends.)
 */
const IP6R = `default from 2001:db8:5::/64 via 2001:db8:1::2 dev eth0 metric 50 pref medium
2001:db8:1::/64 dev eth0 proto kernel metric 256 pref medium
2001:db8:5::/64 dev eth1 proto kernel metric 256 pref medium
2001:db8:9::/48 via 2001:db8:1::1 dev eth0 metric 1024 pref medium
fe80::/64 dev peer0 proto kernel metric 256 pref medium
fe80::/64 dev eth0 proto kernel metric 256 pref medium
fe80::/64 dev peer1 proto kernel metric 256 pref medium
fe80::/64 dev eth1 proto kernel metric 256 pref medium
default via fe80::1 dev eth1 metric 100 pref medium
default via 2001:db8:1::1 dev eth0 metric 1024 pref medium
`;
/** `ip route` of the same namespace */
const IPR = 'default via 192.0.2.1 dev eth0 \n192.0.2.0/24 dev eth0 proto kernel scope link src 192.0.2.10 \n';

/** Builds that namespace again with the installed iproute2 and prints its IPv6 table. */
function makeTable(): string {
  const ns = `h1rt${process.pid}`;
  const r = (...a: string[]) => execFileSync('ip', ['netns', 'exec', ns, ...a], { encoding: 'utf8' });
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    r('ip', 'link', 'set', 'lo', 'up');
    r('ip', 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'peer0');
    r('ip', 'link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'peer1');
    for (const i of ['eth0', 'eth1', 'peer0', 'peer1']) r('ip', 'link', 'set', i, 'up');
    r('ip', 'addr', 'add', '192.0.2.10/24', 'dev', 'eth0');
    r('ip', '-6', 'addr', 'add', '2001:db8:1::10/64', 'dev', 'eth0', 'nodad');
    r('ip', '-6', 'addr', 'add', '2001:db8:5::10/64', 'dev', 'eth1', 'nodad');
    r('ip', 'route', 'add', 'default', 'via', '192.0.2.1');
    r('ip', '-6', 'route', 'add', 'default', 'via', '2001:db8:1::1', 'dev', 'eth0', 'metric', '1024');
    r('ip', '-6', 'route', 'add', 'default', 'via', 'fe80::1', 'dev', 'eth1', 'metric', '100');
    r('ip', '-6', 'route', 'add', '2001:db8:9::/48', 'via', '2001:db8:1::1', 'dev', 'eth0');
    r('ip', '-6', 'route', 'add', 'default', 'from', '2001:db8:5::/64', 'via', '2001:db8:1::2', 'dev', 'eth0', 'metric', '50');
    // the link-local routes appear once the links are up
    for (let i = 0; i < 50 && (r('ip', '-6', 'route').match(/^fe80::\/64/gm) ?? []).length < 4; i++) execFileSync('sleep', ['0.1']);
    return r('ip', '-6', 'route');
  } finally {
    execFileSync('ip', ['netns', 'del', ns]);
  }
}

describe('ip -6 route: read, and looked up by family', () => {
  it('parses every line; the defaults are ::/0, the source-specific one keeps its `from`', () => {
    const t = parseRoutes(IP6R, 'ip-6-route.txt');
    expect(t.routes).toHaveLength(IP6R.trimEnd().split('\n').length);
    expect(t.routes[0]).toMatchObject({ destination: '::/0', from: '2001:db8:5::/64', via: '2001:db8:1::2', dev: 'eth0', metric: 50 });
    expect(t.routes.filter((r) => r.destination === '::/0').map((r) => [r.dev, r.from])).toEqual([['eth0', '2001:db8:5::/64'], ['eth1', undefined], ['eth0', undefined]]);
  });

  it('routeDevFor takes IPv6 destinations: the most specific route, else the default (not the source-specific one); IPv4 as before', () => {
    const routes = [parseRoutes(IPR, 'ip-route.txt'), parseRoutes(IP6R, 'ip-6-route.txt')];
    expect(routeDevFor({ routes }, '2001:db8:9::5')).toBe('eth0');
    expect(routeDevFor({ routes }, '2001:db8:5::77')).toBe('eth1');
    expect(routeDevFor({ routes }, '2001:4860::8888')).toBe('eth1');
    expect(routeDevFor({ routes }, '::/0')).toBe('eth1');
    expect(routeDevFor({ routes }, '8.8.8.8')).toBe('eth0');
    expect(routeDevFor({ routes }, '0.0.0.0/0')).toBe('eth0');
    // no IPv6 route at all: nothing to say
    expect(routeDevFor({ routes: [parseRoutes(IPR, 'ip-route.txt')] }, '2001:4860::8888')).toBeUndefined();
    expect(routeDevFor({ routes }, 'not-an-address')).toBeUndefined();
  });

  it.skipIf(!canMakeNetns())('the table above is what the installed iproute2 prints for that namespace today', () => {
    expect(makeTable()).toBe(IP6R);
  });
});

describe.skipIf(!hasCorpus)('ip_-6_route_show_table_all of the hotsos sosreport (no IPv6 default route)', () => {
  async function v6Table(): Promise<string> {
    const archive = readdirSync(corpusPath('bundles')).find((f) => f.startsWith('hotsos-'))!;
    const tree = await readBundle(corpusPath('bundles', archive), { keep: (i) => /sos_commands\/networking\/ip_-6_route_show_table_all$/.test(i.path) });
    return tree.text(tree.paths().find((p) => p.endsWith('ip_-6_route_show_table_all'))!)!;
  }

  it('is recognised by its content, and a hand-made bundle holding it as a file of its own has its routes', async () => {
    const text = await v6Table();
    expect(text).not.toMatch(/^default/m);
    expect(sniffRoutes(text)).toBe(true);
    const r = await analyzeBundle(writeFolder({ 'ip-6-route.txt': text, 'hostname': 'juju-node\n' }, 'v6-routes-only'));
    expect(r.coverage.nodes[0].artifacts.routes).toEqual(['ip-6-route.txt']);
  });
});

describe("a sosreport's IPv6 routes are read beside its IPv4 ones", () => {
  it('sos_commands/networking/ip_-6_route_show_table_all is a routes file of its own (not a rival of ip_route_show_table_all)', async () => {
    const dir = writeFolder(
      {
        'sosreport-node1-2024-11-20-abcdef/version.txt': 'sosreport: 4.5.6\n',
        'sosreport-node1-2024-11-20-abcdef/sos_commands/networking/ip_route_show_table_all': 'default via 192.168.1.1 dev eth0 proto dhcp metric 100\n',
        'sosreport-node1-2024-11-20-abcdef/sos_commands/networking/ip_-6_route_show_table_all': 'default via fe80::1 dev eth0 proto ra metric 100 pref medium\n',
      },
      'sos-v6-routes',
    );
    const located = locate(await readBundle(dir, { keep: () => true }), 'sos-v6-routes');
    const routes = located.nodes[0].files.filter((f) => f.format === 'routes').map((f) => f.path.replace(/^.*\//, ''));
    expect(routes.sort()).toEqual(['ip_-6_route_show_table_all', 'ip_route_show_table_all']);
  });
});
