/**
 * `ip neigh` / `arp -an` parser on real text:
 * - flannel-io/flannel#1155 (clr-01's `ip neigh`, verbatim: the stale PERMANENT VTEP entry);
 * - flannel-io/flannel#1795 (`arp -na | grep 172.27.4.0`, verbatim);
 * - output of iproute2 6.1 / net-tools on this machine, in network namespaces (fixtures/flannel-vtep-mac/forms:
 *   `ip neigh`, `ip -4 neigh show`, `ip -6 neigh`, `ip -s neigh` with its glued `0/0/0probes`, `arp -an`);
 * - the shared corpus' sosreport (hotsos charmed-k8s flannel node): ip_-s_-s_neigh_show and ip_neigh_show_nud_noarp.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseIpNeigh, permanentOn, sniffIpNeigh } from '../../src/parsers/ip-neigh.js';
import { SkipFile } from '../../src/model/source.js';
import { corpusPath, hasCorpus, projectPath } from '../helpers/shared.js';

const fx = (f: string) => readFileSync(projectPath('test/fixtures/flannel-vtep-mac', f), 'utf8');
const HOTSOS = 'hotsos-charmed-k8s-flannel-sosreport-networking-subset.tar.gz';
const member = (m: string) => execFileSync('tar', ['-xzOf', corpusPath('bundles', HOTSOS), `hotsos-kubernetes-sosreport-subset/${m}`], { encoding: 'utf8' });

describe('ip neigh parser', () => {
  it("flannel#1155's ip neigh on clr-01: one PERMANENT entry on flannel.1 with the stale MAC, line 1", () => {
    const l = parseIpNeigh(fx('issue1155/clr-01/ip-neigh.txt'), 'clr-01/ip-neigh.txt');
    expect(l.format).toBe('ip');
    expect(l.entries).toEqual([
      { address: '10.244.1.0', family: 4, dev: 'flannel.1', lladdr: '5e:89:db:49:c6:a4', states: ['PERMANENT'], flags: [], ref: { file: 'clr-01/ip-neigh.txt', line: 1 }, excerpt: '10.244.1.0 dev flannel.1 lladdr 5e:89:db:49:c6:a4 PERMANENT' },
    ]);
    expect(sniffIpNeigh(fx('issue1155/clr-01/ip-neigh.txt'))).toBe(true);
  });

  it("flannel#1795's arp -na line: PERM read as PERMANENT, device flannel.1", () => {
    const l = parseIpNeigh(fx('issue1795/peer/arp-na.txt'), 'arp-na.txt');
    expect(l.format).toBe('arp');
    expect(l.entries[0]).toMatchObject({ address: '172.27.4.0', dev: 'flannel.1', lladdr: 'e6:7c:02:8e:e8:7e', states: ['PERMANENT'], ref: { line: 1 } });
    expect(sniffIpNeigh(fx('issue1795/peer/arp-na.txt'))).toBe(true);
  });

  it('ip neigh of a namespace: IPv4 and IPv6 entries, FAILED without lladdr', () => {
    const l = parseIpNeigh(fx('forms/node-b.ip-neigh.txt'), 'ip-neigh.txt');
    expect(l.entries.map((e) => [e.address, e.family, e.dev, e.lladdr, e.states.join(','), e.ref.line])).toEqual([
      ['10.244.1.0', 4, 'flannel.1', 'd6:02:e3:df:ea:7a', 'PERMANENT', 1],
      ['192.168.1.99', 4, 'eth0', undefined, 'FAILED', 2],
      ['fd00:42:1::', 6, 'flannel-v6.1', '96:41:be:0f:2e:88', 'PERMANENT', 3],
    ]);
    expect(permanentOn([l], 'flannel-v6.1').map((e) => e.address)).toEqual(['fd00:42:1::']);
    for (const f of ['forms/node-b.ip-neigh.txt', 'forms/node-b.ip-6-neigh.txt', 'forms/node-b.ip-4-neigh-show.txt', 'forms/node-b.ip-s-neigh.txt', 'forms/node-b.arp-an.txt']) expect(sniffIpNeigh(fx(f)), f).toBe(true);
  });

  it('ip -s neigh: the statistics (and iproute2 6.1 gluing `probes` to them) do not leak into states or flags', () => {
    const l = parseIpNeigh(fx('forms/node-b.ip-s-neigh.txt'), 'ip-s-neigh.txt');
    expect(l.entries.map((e) => [e.address, e.lladdr, e.states, e.flags])).toEqual([
      ['10.244.1.0', 'd6:02:e3:df:ea:7a', ['PERMANENT'], []],
      ['192.168.1.99', undefined, ['FAILED'], []],
      ['fd00:42:1::', '96:41:be:0f:2e:88', ['PERMANENT'], []],
    ]);
  });

  it('ip -4 neigh show dev flannel.1 omits the device: taken from the file name or the caller', () => {
    const text = fx('udev/peer.ip-4-neigh-show-dev-flannel.1.txt');
    expect(parseIpNeigh(text, 'node-b/ip-4-neigh-show-dev-flannel.1.txt').entries[0]).toMatchObject({ address: '10.244.1.0', dev: 'flannel.1', lladdr: 'de:4f:63:cf:00:fb', states: ['PERMANENT'] });
    expect(parseIpNeigh(text, 'neigh.txt').entries[0].dev).toBeUndefined();
    expect(parseIpNeigh(text, 'neigh.txt', 'flannel.1').entries[0].dev).toBe('flannel.1');
  });

  it('arp -an with an <incomplete> entry', () => {
    const l = parseIpNeigh(fx('forms/node-b.arp-an.txt'), 'arp-an.txt');
    expect(l.entries.map((e) => [e.address, e.dev, e.lladdr, e.states])).toEqual([
      ['10.244.1.0', 'flannel.1', 'd6:02:e3:df:ea:7a', ['PERMANENT']],
      ['192.168.1.99', 'eth0', undefined, ['INCOMPLETE']],
    ]);
  });

  it('not neighbour tables: ip route, ip -d link, bridge fdb are neither sniffed nor parsed', () => {
    for (const f of ['forms/node-b.ip-route.txt', 'forms/node-a.ip-d-link.txt', 'forms/node-b.bridge-d-fdb.txt']) {
      expect(sniffIpNeigh(fx(f)), f).toBe(false);
      expect(() => parseIpNeigh(fx(f), f), f).toThrow(SkipFile);
    }
  });
});

describe.skipIf(!hasCorpus)('ip neigh parser on the corpus sosreport', () => {
  it('ip_-s_-s_neigh_show: flannel.1 peers PERMANENT with their VTEP MACs, ens3 neighbours with their states', () => {
    const text = member('sos_commands/networking/ip_-s_-s_neigh_show');
    expect(sniffIpNeigh(text)).toBe(true);
    const l = parseIpNeigh(text, 'ip_-s_-s_neigh_show');
    expect(l.entries).toHaveLength(22);
    expect(permanentOn([l], 'flannel.1').map((e) => [e.address, e.lladdr, e.ref.line])).toEqual([
      ['10.1.12.0', '92:22:3f:b6:02:6c', 1],
      ['10.1.7.0', '46:af:62:75:ec:ee', 4],
    ]);
    expect(l.entries[1]).toMatchObject({ address: '10.6.0.12', dev: 'ens3', states: ['REACHABLE'], flags: [] });
  });

  it('ip_neigh_show_nud_noarp: NOARP multicast entries, none PERMANENT', () => {
    const l = parseIpNeigh(member('sos_commands/networking/ip_neigh_show_nud_noarp'), 'ip_neigh_show_nud_noarp');
    expect(l.entries.every((e) => e.states.join() === 'NOARP')).toBe(true);
    expect(permanentOn([l], 'flannel.1')).toEqual([]);
  });
});
