/**
 * systemd .link files and which one udev applies to flannel.1, on real files:
 * - flannel-io/flannel#1155's /usr/lib/systemd/network/99-default.link (systemd 242 on Clear Linux, no [Match]), verbatim;
 * - Debian 12's systemd 252 99-default.link (`OriginalName=*`) and 73-usb-net-by-mac.link (`Path=*-usb-*`), copied
 *   from this machine's /usr/lib/systemd/network; its 80-container-ve.network (not a .link);
 * - rancher/rke#2270's /etc/systemd/network/50-flannel.link (`OriginalName=flannel*`, `MACAddressPolicy=none`), verbatim.
 * Ordering (first match by file name across directories, /etc masking /usr/lib by name, drop-ins) per systemd.link(5).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { effectiveLink, macAddressPolicy, parseSystemdLink, sniffSystemdLink, type SystemdLinkFile } from '../../src/parsers/systemd-link.js';
import { SkipFile } from '../../src/model/source.js';
import { projectPath } from '../helpers/shared.js';

const fx = (f: string) => readFileSync(projectPath('test/fixtures/flannel-vtep-mac', f), 'utf8');
const FLANNEL = { name: 'flannel.1', type: 'vxlan', kind: 'vxlan', driver: 'vxlan' };
const USR = 'usr/lib/systemd/network';
const debian = () => [parseSystemdLink(fx(`links/${USR}/99-default.link`), `node/${USR}/99-default.link`), parseSystemdLink(fx(`links/${USR}/73-usb-net-by-mac.link`), `node/${USR}/73-usb-net-by-mac.link`)];
const rke = (path = 'node/etc/systemd/network/50-flannel.link') => parseSystemdLink(fx('links/etc/systemd/network/50-flannel.link'), path);
const policy = (files: SystemdLinkFile[]) => {
  const m = effectiveLink(files, FLANNEL);
  return m ? [m.file.name, macAddressPolicy(m.file)?.value, macAddressPolicy(m.file)?.ref.line] : undefined;
};

describe('systemd .link parser', () => {
  it("flannel#1155's 99-default.link: no [Match], [Link] MACAddressPolicy=persistent on line 3; applies to flannel.1", () => {
    const f = parseSystemdLink(fx(`issue1155/clr-02/${USR}/99-default.link`), `clr-02/${USR}/99-default.link`);
    expect(f).toMatchObject({ name: '99-default.link', dir: 'usr-lib', match: [], empty: false });
    expect(f.link.map((s) => [s.key, s.value, s.ref.line])).toEqual([
      ['NamePolicy', 'keep kernel database onboard slot path', 2],
      ['MACAddressPolicy', 'persistent', 3],
    ]);
    expect(effectiveLink([f], FLANNEL)).toMatchObject({ because: [], assumed: [] });
    expect(policy([f])).toEqual(['99-default.link', 'persistent', 3]);
    expect(sniffSystemdLink(fx(`issue1155/clr-02/${USR}/99-default.link`))).toBe(true);
  });

  it("Debian 12 (systemd 252): 99-default.link's OriginalName=* matches flannel.1; 73-usb-net-by-mac.link's Path= never does", () => {
    const files = debian();
    const m = effectiveLink(files, FLANNEL)!;
    expect(m.file.name).toBe('99-default.link');
    expect(m.because.map((s) => [s.excerpt, s.ref.line])).toEqual([['OriginalName=*', 15]]);
    expect(policy(files)).toEqual(['99-default.link', 'persistent', 20]);
  });

  it("rke#2270's 50-flannel.link in /etc sorts before 99-default.link: flannel.1 gets MACAddressPolicy=none; eth0 still gets persistent", () => {
    const files = [...debian(), rke()];
    expect(policy(files)).toEqual(['50-flannel.link', 'none', 4]);
    expect(effectiveLink(files, { name: 'flannel-v6.1', type: 'vxlan' })!.file.name).toBe('50-flannel.link');
    expect(effectiveLink(files, { name: 'eth0', type: 'ether' })!.file.name).toBe('99-default.link');
  });

  it("agrees with systemd 252's udev (udevadm test-builtin net_setup_link on a VXLAN flannel.1, fixtures/flannel-vtep-mac/udev)", () => {
    const applied = (f: string) => /flannel\.1: Config file (\S+) is applied/.exec(fx(f))![1].split('/').pop();
    expect(effectiveLink(debian(), FLANNEL)!.file.name).toBe(applied('udev/udevadm-test-builtin-99-default.txt'));
    expect(effectiveLink([...debian(), rke()], FLANNEL)!.file.name).toBe(applied('udev/udevadm-test-builtin-50-flannel.txt'));
  });

  it('the same file named so it sorts after 99-default.link is never applied to flannel.1', () => {
    expect(policy([...debian(), rke('node/etc/systemd/network/99-flannel.link')])).toEqual(['99-default.link', 'persistent', 20]);
  });

  it('an empty /etc/systemd/network/99-default.link masks the /usr/lib one: no .link applies', () => {
    const mask = parseSystemdLink('', 'node/etc/systemd/network/99-default.link');
    expect(mask).toMatchObject({ dir: 'etc', empty: true });
    expect(effectiveLink([...debian(), mask], FLANNEL)).toBeUndefined();
  });

  it('a drop-in 99-default.link.d/*.conf overriding MACAddressPolicy is applied after the file', () => {
    const d = parseSystemdLink('[Link]\nMACAddressPolicy=none\n', 'node/etc/systemd/network/99-default.link.d/10-mac.conf');
    expect(d).toMatchObject({ dropInFor: '99-default.link', dir: 'etc' });
    expect(policy([...debian(), d])).toEqual(['99-default.link', 'none', 2]);
  });

  it('a negated OriginalName list and a Type that does not fit', () => {
    const neg = parseSystemdLink('[Match]\nOriginalName=!flannel* !cni0\n[Link]\nMACAddressPolicy=persistent\n', 'etc/systemd/network/10-x.link');
    expect(effectiveLink([neg], FLANNEL)).toBeUndefined();
    expect(effectiveLink([neg], { name: 'eth0' })?.file.name).toBe('10-x.link');
    const ether = parseSystemdLink('[Match]\nType=ether\n[Link]\nMACAddressPolicy=random\n', 'etc/systemd/network/10-y.link');
    expect(effectiveLink([ether], FLANNEL)).toBeUndefined();
  });

  it('a .network file is not a .link file', () => {
    expect(sniffSystemdLink(fx('links/80-container-ve.network'))).toBe(false);
    expect(() => parseSystemdLink('NamePolicy=kernel\n', 'x.link')).toThrow(SkipFile);
  });
  it("a leading ! inverts the whole [Match] list (Flatcar's zz-default Type=!loopback dummy bridge tunnel vxlan wireguard), as systemd's config_parse_match_strv reads it", () => {
    // the [Match] section of flatcar/init's usr/lib/systemd/network/zz-default.network, as a .link would carry it
    const match = readFileSync(projectPath('test/fixtures/networkd/flatcar/usr/lib/systemd/network/zz-default.network'), 'utf8').split('\n').filter((l) => /^(\[Match\]|Name=|Type=)/.test(l));
    const f = parseSystemdLink(`${match.join('\n')}\n[Link]\nMACAddressPolicy=none\n`, `node/${USR}/zz-default.link`);
    expect(effectiveLink([f], FLANNEL)).toBeUndefined();
    expect(effectiveLink([f], { name: 'cni0', type: 'bridge' })).toBeUndefined();
    expect(effectiveLink([f], { name: 'eth0', type: 'ether' })?.file).toBe(f);
  });
});
