/**
 * `ip route show table all` (src/parsers/ip-route.ts) on real output: the hotsos sosreport read in
 * place from its archive, and the routes the real iproute2 printed for the fixtures' namespaces.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readBundle } from '../../src/bundle/read.js';
import { ParseError, SkipFile } from '../../src/model/source.js';
import { parseRoutes, sniffRoutes, type RouteTable } from '../../src/parsers/ip-route.js';
import { canMakeNetns, corpusPath, hasCorpus, projectPath } from '../helpers/shared.js';

const fixture = (f: string) => readFileSync(projectPath('test/fixtures/iproute2', f), 'utf8');
const brief = (t: RouteTable) => t.routes.map((r) => [r.type, r.destination, r.via, r.dev, r.table, r.ref.line]);

async function hotsosNetworking(): Promise<Map<string, string>> {
  const archive = readdirSync(corpusPath('bundles')).find((f) => f.startsWith('hotsos-'))!;
  const tree = await readBundle(corpusPath('bundles', archive), { keep: (i) => /sos_commands\/networking\/ip_(-6_)?route/.test(i.path) });
  const out = new Map<string, string>();
  for (const p of tree.paths()) {
    const name = p.split('/').pop()!;
    if (/^ip_(-6_)?route_show_table_all$/.test(name)) out.set(name, tree.text(p)!);
  }
  return out;
}

describe.skipIf(!hasCorpus)('hotsos sosreport (charmed kubernetes, flannel vxlan)', () => {
  it('ip_route_show_table_all: default via DHCP, flannel routes onlink via flannel.1, the local table', async () => {
    const text = (await hotsosNetworking()).get('ip_route_show_table_all')!;
    const t = parseRoutes(text, 'sos_commands/networking/ip_route_show_table_all');
    expect(t.routes).toHaveLength(text.trimEnd().split('\n').length);
    expect(t.routes[0]).toMatchObject({ destination: '0.0.0.0/0', via: '10.6.0.1', dev: 'ens3', proto: 'dhcp', src: '10.6.3.201', metric: 100, ref: { line: 1 } });
    expect(brief(t).slice(1, 5)).toEqual([
      [undefined, '10.1.7.0/24', '10.1.7.0', 'flannel.1', undefined, 2],
      [undefined, '10.1.12.0/24', '10.1.12.0', 'flannel.1', undefined, 3],
      [undefined, '10.6.0.0/16', undefined, 'ens3', undefined, 4],
      [undefined, '169.254.169.254/32', '10.6.0.2', 'ens3', undefined, 5],
    ]);
    expect(t.routes[5]).toMatchObject({ type: 'local', destination: '10.1.84.0/32', dev: 'flannel.1', table: 'local', scope: 'host', src: '10.1.84.0', ref: { line: 6 } });
    expect(t.routes.filter((r) => r.type === 'broadcast').map((r) => r.destination)).toEqual(['10.6.0.0/32', '10.6.255.255/32', '127.0.0.0/32', '127.255.255.255/32']);
    // iproute2 of that sosreport printed both families in one listing
    expect(t.routes.filter((r) => r.destination.includes(':')).map((r) => r.destination)).toEqual(['::1/128', 'fe80::/64', 'fe80::/64', '::1/128', 'fe80::98e0:6bff:fec3:cee3/128', 'fe80::f816:3eff:fe1f:96bd/128', 'ff00::/8', 'ff00::/8']);
    expect(sniffRoutes(text)).toBe(true);
  });

  it('ip_-6_route_show_table_all: metrics and types of the IPv6 table', async () => {
    const t = parseRoutes((await hotsosNetworking()).get('ip_-6_route_show_table_all')!, 'v6');
    expect(t.routes.map((r) => [r.type, r.destination, r.dev, r.metric])).toEqual([
      [undefined, '::1/128', 'lo', 256],
      [undefined, 'fe80::/64', 'ens3', 256],
      [undefined, 'fe80::/64', 'flannel.1', 256],
      ['local', '::1/128', 'lo', 0],
      ['local', 'fe80::98e0:6bff:fec3:cee3/128', 'flannel.1', 0],
      ['local', 'fe80::f816:3eff:fe1f:96bd/128', 'ens3', 0],
      ['multicast', 'ff00::/8', 'ens3', 256],
      ['multicast', 'ff00::/8', 'flannel.1', 256],
    ]);
  });
});

describe('routes the real iproute2 printed for the fixtures', () => {
  it('healthy node: one route per line, every line', () => {
    const text = fixture('ip_route_show_table_all');
    const t = parseRoutes(text, 'healthy');
    expect(t.routes.map((r) => r.ref.line)).toEqual(text.trimEnd().split('\n').map((_, i) => i + 1));
    expect(t.routes.filter((r) => r.table === 'local').length).toBe(18);
    expect(t.routes.find((r) => r.destination === 'fd00:10:244:1::/64')).toMatchObject({ dev: 'cni0', proto: 'kernel', metric: 256 });
  });

  it('broken node: blackhole, unreachable, prohibit, throw, a second table, the IPv6 default', () => {
    const t = parseRoutes(fixture('broken-node/ip_route_show_table_all'), 'broken');
    expect(brief(t).slice(0, 5)).toEqual([
      [undefined, '10.40.0.0/16', '192.168.56.1', 'ens3', '100', 1],
      ['throw', '10.50.0.0/16', undefined, undefined, '100', 2],
      [undefined, '0.0.0.0/0', '192.168.56.1', 'ens3', undefined, 3],
      [undefined, '10.10.1.0/24', '10.10.1.0', 'flannel.1', undefined, 4],
      [undefined, '10.10.2.0/24', undefined, 'cni0', undefined, 5],
    ]);
    expect(t.routes.filter((r) => ['blackhole', 'unreachable', 'prohibit'].includes(r.type ?? '') && r.destination.startsWith('10.')).map((r) => [r.type, r.destination, r.ref.line])).toEqual([
      ['blackhole', '10.30.0.0/16', 9],
      ['unreachable', '10.31.0.0/16', 10],
      ['prohibit', '10.32.0.0/16', 11],
    ]);
    // both /32 of flannel.1 show up as local routes: the two-address problem is visible here too
    expect(t.routes.filter((r) => r.type === 'local' && r.dev === 'flannel.1' && r.destination.startsWith('10.')).map((r) => r.destination)).toEqual(['10.10.2.0/32', '10.10.4.0/32']);
  });

  // `10.20.0.0/16` alone on a line, its `nexthop via ... dev ...` lines indented below: the route has
  // neither dev nor via on its own line and is dropped.
  it('a multipath route is kept, with its next hops', () => {
    const t = parseRoutes(fixture('broken-node/ip_route_show_table_all'), 'broken');
    expect(t.routes.find((r) => r.destination === '10.20.0.0/16')).toMatchObject({ ref: { line: 6 } });
  });

  // `default via fd00:100::1 dev ens3.100` (a dot in the device name) and `unreachable default dev lo
  // table 200 ... pref medium` (no colon at all) are IPv6 defaults, read as 0.0.0.0/0. `pref` is
  // printed for IPv6 routes only.
  it('IPv6 default routes are ::/0', () => {
    const t = parseRoutes(fixture('broken-node/ip_route_show_table_all'), 'broken');
    const defaults = t.routes.filter((r) => r.destination.endsWith('/0')).map((r) => [r.destination, r.via, r.table]);
    expect(defaults).toEqual([
      ['0.0.0.0/0', '192.168.56.1', undefined],
      ['::/0', undefined, '200'],
      ['::/0', 'fd00:100::1', undefined],
    ]);
  });

  it.skipIf(!canMakeNetns())('the script, rerun now, prints the same routes', () => {
    const dir = mkdtempSync(join(tmpdir(), `bd-routes-${process.pid}-`));
    try {
      execFileSync('bash', [projectPath('scripts/make-iproute2-fixtures.sh'), dir], { stdio: 'ignore', timeout: 30_000 });
      // link-local addresses come from random MACs, and which veth end keeps fd00:56::12 is the
      // kernel's choice: compare everything else
      const stable = (t: RouteTable) => t.routes.filter((r) => (!r.destination.startsWith('fe80::') || r.destination === 'fe80::/64') && !r.destination.startsWith('fd00:56:')).map((r) => [r.type, r.destination, r.via, r.dev, r.table, r.metric]);
      expect(stable(parseRoutes(readFileSync(join(dir, 'broken-node/ip_route_show_table_all'), 'utf8'), 'live'))).toEqual(stable(parseRoutes(fixture('broken-node/ip_route_show_table_all'), 'fixture')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('what is not a route table', () => {
  it('sniff refuses ip addr, ss and subnet.env; parse skips them', () => {
    for (const f of ['ip_a', 'ip_-o_addr', 'sockets/ss_-ltnp']) {
      expect(sniffRoutes(fixture(f)), f).toBe(false);
    }
    expect(() => parseRoutes('FLANNEL_NETWORK=10.244.0.0/16\n', 'x')).toThrow(SkipFile);
  });

  it('binary and very long lines never throw anything but SkipFile / ParseError', () => {
    const inputs = ['', Buffer.from(Array.from({ length: 65536 }, (_, i) => (i * 131) & 255)).toString('latin1'), `default via ${'1.'.repeat(1_000_000)} dev eth0`];
    for (const t of inputs) {
      try {
        parseRoutes(t, 'junk');
      } catch (err) {
        expect(err instanceof SkipFile || err instanceof ParseError).toBe(true);
      }
    }
  });

  // Speed is the benchmark's business: the time limit only bounds a hang or a quadratic blow-up.
  it('200,000 routes parse', () => {
    const text = Array.from({ length: 200_000 }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32 via 10.0.0.1 dev eth0 proto bird metric 20`).join('\n');
    const t = parseRoutes(text, 'big');
    expect(t.routes).toHaveLength(200_000);
    expect(t.routes[199_999]).toMatchObject({ destination: '10.3.13.63/32', proto: 'bird', ref: { line: 200_000 } });
  }, 60_000);
});
