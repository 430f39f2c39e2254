/**
 * `bridge fdb show` parser on real text: iproute2 6.1 output in network namespaces (fixtures/flannel-vtep-mac:
 * `bridge -s -s -d -t fdb show` as sos runs it, `bridge -d fdb`, `bridge fdb show`, `bridge fdb show dev flannel.1`
 * which omits the device), and the shared corpus' sosreport (hotsos charmed-k8s flannel node:
 * sos_commands/networking/bridge_-s_-s_-d_-t_fdb_show with flannel's `<VTEP MAC> dev flannel.1 dst <peer> ... self permanent`).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseBridgeFdb, remotesOn, sniffBridgeFdb } from '../../src/parsers/bridge-fdb.js';
import { SkipFile } from '../../src/model/source.js';
import { corpusPath, hasCorpus, projectPath } from '../helpers/shared.js';

const fx = (f: string) => readFileSync(projectPath('test/fixtures/flannel-vtep-mac', f), 'utf8');
const HOTSOS = 'hotsos-charmed-k8s-flannel-sosreport-networking-subset.tar.gz';
const member = (m: string) => execFileSync('tar', ['-xzOf', corpusPath('bundles', HOTSOS), `hotsos-kubernetes-sosreport-subset/${m}`], { encoding: 'utf8' });

describe('bridge fdb parser', () => {
  it('bridge -s -s -d -t fdb show (stale node): the flannel.1 entry toward 192.168.1.12 with its `used` counters skipped', () => {
    const l = parseBridgeFdb(fx('stale/node-b/bridge-fdb-show.txt'), 'node-b/bridge-fdb-show.txt');
    expect(remotesOn([l], 'flannel.1')).toEqual([
      { mac: '5e:89:db:49:c6:a4', dev: 'flannel.1', dst: '192.168.1.12', flags: ['self', 'permanent'], ref: { file: 'node-b/bridge-fdb-show.txt', line: 1 }, excerpt: '5e:89:db:49:c6:a4 dev flannel.1 dst 192.168.1.12 used 2/2 self permanent' },
    ]);
    expect(l.entries.filter((e) => e.dev === 'eth0').map((e) => e.mac)).toEqual(['33:33:00:00:00:01', '01:00:5e:00:00:01', '33:33:ff:59:2d:7d']);
    expect(sniffBridgeFdb(fx('stale/node-b/bridge-fdb-show.txt'))).toBe(true);
  });

  it('bridge -d fdb with an IPv6 remote on flannel-v6.1', () => {
    const l = parseBridgeFdb(fx('forms/node-b.bridge-d-fdb.txt'), 'bridge-d-fdb.txt');
    expect(remotesOn([l], 'flannel-v6.1').map((e) => [e.mac, e.dst, e.ref.line])).toEqual([['96:41:be:0f:2e:88', 'fd00::12', 2]]);
    expect(remotesOn([l], 'flannel.1').map((e) => [e.mac, e.dst])).toEqual([['d6:02:e3:df:ea:7a', '192.168.1.12']]);
  });

  it('bridge fdb show dev flannel.1: the device comes from the file name (sos-style) or the caller', () => {
    const text = fx('forms/bridge_fdb_show_dev_flannel.1');
    expect(sniffBridgeFdb(text)).toBe(true);
    expect(parseBridgeFdb(text, 'forms/bridge_fdb_show_dev_flannel.1').entries[0]).toMatchObject({ mac: 'd6:02:e3:df:ea:7a', dev: 'flannel.1', dst: '192.168.1.12', flags: ['self', 'permanent'] });
    expect(parseBridgeFdb(text, 'fdb.txt').entries[0].dev).toBeUndefined();
    expect(parseBridgeFdb(text, 'fdb.txt', 'flannel.1').entries[0].dev).toBe('flannel.1');
  });

  it('not fdb listings: ip neigh, ip route, ip -d link', () => {
    for (const f of ['forms/node-b.ip-neigh.txt', 'forms/node-b.ip-route.txt', 'forms/node-a.ip-d-link.txt']) {
      expect(sniffBridgeFdb(fx(f)), f).toBe(false);
      expect(() => parseBridgeFdb(fx(f), f), f).toThrow(SkipFile);
    }
  });
});

describe.skipIf(!hasCorpus)('bridge fdb parser on the corpus sosreport', () => {
  it("bridge_-s_-s_-d_-t_fdb_show: flannel's two peer entries, the same MACs as the PERMANENT neighbours", () => {
    const text = member('sos_commands/networking/bridge_-s_-s_-d_-t_fdb_show');
    expect(sniffBridgeFdb(text)).toBe(true);
    const l = parseBridgeFdb(text, 'bridge_-s_-s_-d_-t_fdb_show');
    expect(l.entries).toHaveLength(8);
    expect(remotesOn([l], 'flannel.1').map((e) => [e.mac, e.dst, e.ref.line])).toEqual([
      ['46:af:62:75:ec:ee', '10.6.1.235', 7],
      ['92:22:3f:b6:02:6c', '10.6.3.76', 8],
    ]);
  });
});
