/**
 * .network files: Flatcar's stock zz-default.network and docker.network (github.com/flatcar/init, systemd/network/),
 * netplan 0.106's generated 10-netplan-*.network (netplan generate on this machine), a catch-all, the remedy's file
 * (test/fixtures/networkd/README.md), and Antrea's documented CoreOS workaround (antrea docs/os-issues.md), which
 * writes Unmanaged=yes under [Network].
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { effectiveNetwork, networkMatches, networkSetting, parseSystemdNetwork, sniffSystemdNetwork, unmanagedSetting } from '../../src/parsers/systemd-network.js';
import { sniffSystemdLink } from '../../src/parsers/systemd-link.js';
import { projectPath } from '../helpers/shared.js';

const DIR = 'test/fixtures/networkd';
const fx = (f: string) => readFileSync(projectPath(DIR, f), 'utf8');
const read = (f: string) => parseSystemdNetwork(fx(f), f);
const docker0 = { name: 'docker0', type: 'bridge', kind: 'bridge', driver: 'bridge' };
const veth = { name: 'veth4c1f0a2', type: 'ether', kind: 'veth', driver: 'veth' };
const flannel = { name: 'flannel.1', type: 'vxlan', kind: 'vxlan', driver: 'vxlan' };
const eth0 = { name: 'eth0', type: 'ether', driver: 'virtio_net' };

const ANTREA_VETH = '# /etc/systemd/network/90-antrea-veth.network\n# may be redundant with 50-docker-veth.network, which should not be an issue\n[Match]\nDriver=veth\n\n[Network]\nUnmanaged=yes\n';

describe('systemd .network files', () => {
  it('reads sections with lines, the directory, and Unmanaged=', () => {
    const z = read('flatcar/usr/lib/systemd/network/zz-default.network');
    expect(z.dir).toBe('usr-lib');
    expect(z.match.map((m) => [m.key, m.value, m.ref.line])).toEqual([
      ['Name', '*', 7],
      ['Type', '!loopback dummy bridge tunnel vxlan wireguard', 8],
      ['Driver', '!veth', 9],
    ]);
    expect(networkSetting(z, 'DHCP')?.value).toBe('yes');
    const d = read('flatcar/usr/lib/systemd/network/docker.network');
    expect(unmanagedSetting(d)?.ref.line).toBe(7);
    const r = read('remedy/etc/systemd/network/10-container-interfaces-unmanaged.network');
    expect(r.dir).toBe('etc');
    expect(unmanagedSetting(r)?.excerpt).toBe('Unmanaged=yes');
  });

  it("Flatcar's zz-default.network leaves bridges, vxlan and veths out; a catch-all and netplan's name \"*\" take them", () => {
    const z = read('flatcar/usr/lib/systemd/network/zz-default.network');
    for (const dev of [docker0, veth, flannel]) expect(networkMatches(z, dev), dev.name).toBeUndefined();
    expect(networkMatches(z, eth0)).toBeDefined();
    const all = read('catchall/etc/systemd/network/99-catchall.network');
    const np = read('netplan-all/run/systemd/network/10-netplan-all.network');
    for (const dev of [docker0, veth, flannel]) {
      expect(networkMatches(all, dev)?.because.map((b) => b.excerpt), dev.name).toEqual(['Name=*']);
      expect(networkMatches(np, dev), dev.name).toBeDefined();
    }
  });

  it("netplan's per-interface files match only their interface", () => {
    const e = read('netplan-eth0/run/systemd/network/10-netplan-eth0.network');
    const m = read('netplan-mac/run/systemd/network/10-netplan-eth0.network');
    for (const dev of [docker0, veth, flannel]) {
      expect(networkMatches(e, dev)).toBeUndefined();
      expect(networkMatches(m, dev)).toBeUndefined();
    }
    expect(networkMatches(e, eth0)).toBeDefined();
  });

  it('the first file by name wins across directories: the remedy (10-) before the catch-all (99-), Flatcar docker.network before zz-default', () => {
    const files = [read('remedy/etc/systemd/network/99-catchall.network'), read('remedy/etc/systemd/network/10-container-interfaces-unmanaged.network')];
    expect(effectiveNetwork(files, docker0)?.file.name).toBe('10-container-interfaces-unmanaged.network');
    expect(effectiveNetwork(files, eth0)?.file.name).toBe('99-catchall.network');
    const flatcar = [read('flatcar/usr/lib/systemd/network/zz-default.network'), read('flatcar/usr/lib/systemd/network/docker.network')];
    expect(effectiveNetwork(flatcar, docker0)?.file.name).toBe('docker.network');
    expect(effectiveNetwork(flatcar, veth)).toBeUndefined();
    // a file of the same name in /etc masks /usr/lib's
    const masked = parseSystemdNetwork('', 'etc/systemd/network/docker.network');
    expect(effectiveNetwork([...flatcar, masked], docker0)).toBeUndefined();
  });

  it("Unmanaged= under [Network] (Antrea's CoreOS snippet) is not an Unmanaged setting: networkd reads it in [Link] only", () => {
    const f = parseSystemdNetwork(ANTREA_VETH, 'etc/systemd/network/90-antrea-veth.network');
    expect(unmanagedSetting(f)).toBeUndefined();
    expect(f.misplaced.map((s) => [s.key, s.ref.line])).toEqual([['Unmanaged', 7]]);
    expect(networkMatches(f, veth)).toBeDefined();
  });

  it("a leading ! inverts the whole list, as systemd parses it", () => {
    const twice = parseSystemdNetwork('[Match]\nName=!docker0 !veth*\n[Network]\nDHCP=yes\n', 'etc/systemd/network/50-x.network');
    expect(networkMatches(twice, docker0)).toBeUndefined();
    expect(networkMatches(twice, veth)).toBeDefined();
  });

  it('drop-ins add to their .network', () => {
    const base = read('catchall/etc/systemd/network/99-catchall.network');
    // one `!` inverts the whole list (a second `!veth*` would be the pattern "!veth*", matching nothing)
    const drop = parseSystemdNetwork('[Match]\nName=!docker0 veth*\n', 'etc/systemd/network/99-catchall.network.d/10-exclude.conf');
    expect(drop.dropInFor).toBe('99-catchall.network');
    expect(effectiveNetwork([base, drop], docker0)).toBeUndefined();
    expect(effectiveNetwork([base, drop], eth0)).toBeDefined();
  });

  it('sniffs .network files, not .link files or units', () => {
    for (const f of ['catchall/etc/systemd/network/99-catchall.network', 'flatcar/usr/lib/systemd/network/zz-default.network', 'flatcar/usr/lib/systemd/network/docker.network', 'netplan-mac/run/systemd/network/10-netplan-eth0.network']) {
      expect(sniffSystemdNetwork(fx(f)), f).toBe(true);
      expect(sniffSystemdLink(fx(f)), f).toBe(false);
    }
    expect(sniffSystemdNetwork('[Match]\nOriginalName=flannel*\n\n[Link]\nMACAddressPolicy=none\n')).toBe(false);
    expect(sniffSystemdNetwork('[Unit]\nDescription=x\n[Service]\nExecStart=/bin/true\n')).toBe(false);
  });
});
