/**
 * networkctl list / status, real output of systemd 252 on this machine (test/fixtures/networkd/README.md).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SkipFile } from '../../src/model/source.js';
import { isManaged, networkctlLinks, parseNetworkctl, sniffNetworkctl } from '../../src/parsers/networkctl.js';
import { projectPath } from '../helpers/shared.js';

const DIR = 'test/fixtures/networkd';
const fx = (f: string) => readFileSync(projectPath(DIR, f), 'utf8');
const read = (f: string) => parseNetworkctl(fx(f), `${DIR}/${f}`);

describe('networkctl', () => {
  it('list: every row with its line, SETUP configured for docker0 under a catch-all', () => {
    const o = read('catchall/networkctl-list.txt');
    expect(o.links.map((l) => [l.index, l.name, l.type, l.operational, l.setup, l.ref.line])).toEqual([
      [1, 'lo', 'loopback', 'carrier', 'configured', 2],
      [2, 'docker0', 'bridge', 'no-carrier', 'configured', 3],
      [3, 'eth0c', 'ether', 'carrier', 'configured', 4],
      [4, 'veth4c1f0a2', 'ether', 'carrier', 'configured', 5],
    ]);
    expect(o.links[1].excerpt).toBe('2 docker0     bridge   no-carrier  configured');
    expect(isManaged(o.links[1].setup)).toBe(true);
  });

  it('list: unmanaged (Flatcar, after the remedy) and configuring (netplan dhcp4 on every link) read as such', () => {
    expect(read('flatcar/networkctl-list.txt').links.every((l) => l.setup === 'unmanaged' && !isManaged(l.setup))).toBe(true);
    expect(read('remedy/networkctl-list.txt').links.find((l) => l.name === 'docker0')?.setup).toBe('unmanaged');
    const np = read('netplan-all/networkctl-list.txt').links.find((l) => l.name === 'docker0');
    expect(np?.setup).toBe('configuring');
    expect(isManaged(np?.setup)).toBe(true);
  });

  it('status: the Network File, the State line, type, kind and addresses', () => {
    const [d] = read('catchall/networkctl-status-docker0.txt').links;
    expect(d).toMatchObject({ name: 'docker0', index: 2, type: 'bridge', kind: 'bridge', setup: 'configured', operational: 'no-carrier', networkFile: '/etc/systemd/network/99-catchall.network', from: 'status' });
    expect(d.networkFileRef).toEqual({ file: `${DIR}/catchall/networkctl-status-docker0.txt`, line: 3 });
    expect(d.setupRef?.line).toBe(4);
    expect(d.addresses).toEqual(['172.17.0.1']);
    const [u] = read('flatcar/networkctl-status-docker0.txt').links;
    expect(u.networkFile).toBeUndefined();
    expect(u.setup).toBe('unmanaged');
  });

  it('status -a: several blocks; merged by name with the list', () => {
    const text = fx('catchall/networkctl-status-docker0.txt') + '\n' + fx('flatcar/networkctl-status-docker0.txt').replace(/docker0/, 'docker1');
    const o = parseNetworkctl(text, 'networkctl_status_-a');
    expect(o.links.map((l) => [l.name, l.setup])).toEqual([
      ['docker0', 'configured'],
      ['docker1', 'unmanaged'],
    ]);
    const merged = networkctlLinks([read('catchall/networkctl-list.txt'), read('catchall/networkctl-status-docker0.txt')]);
    expect(merged.get('docker0')?.map((l) => l.from)).toEqual(['list', 'status']);
  });

  it('sniffs list and status, nothing else', () => {
    for (const f of ['catchall/networkctl-list.txt', 'catchall/networkctl-status-docker0.txt', 'flatcar/networkctl-status-docker0.txt', 'netplan-all/networkctl-list.txt']) expect(sniffNetworkctl(fx(f)), f).toBe(true);
    expect(sniffNetworkctl(fx('catchall/ip-addr.txt'))).toBe(false);
    expect(sniffNetworkctl('[Match]\nName=*\n')).toBe(false);
    expect(() => parseNetworkctl('Failed to connect system bus: No such file or directory\n', 'x')).toThrow(SkipFile);
  });
});
