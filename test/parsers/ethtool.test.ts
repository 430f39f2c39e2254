/**
 * ethtool -k / ethtool -i parsing (src/parsers/ethtool.ts), on real text only:
 * - weaveworks/weave#3887 (https://github.com/weaveworks/weave/issues/3887): `ethtool -i ens192` of a VMXNET3 NIC;
 * - kubernetes-sigs/kubespray#7268 (https://github.com/kubernetes-sigs/kubespray/issues/7268): `[CentOS 8.2]# ethtool -k ens192`;
 * - flannel-io/flannel#1279 (https://github.com/flannel-io/flannel/issues/1279): a typed `ethtool -K` and its `Actual changes:`;
 * - this machine's ethtool 6.1 (test/fixtures/h52/SOURCES.md): eth0 (virtio_net) and a VXLAN device in a namespace;
 * - the corpus' sosreport (hotsos charmed-k8s flannel): sos_commands/networking/ethtool_-k_* and ethtool_-i_*.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { ethtoolDevices, parseEthtool, sniffEthtoolDriver, sniffEthtoolFeatures } from '../../src/parsers/ethtool.js';
import { SkipFile } from '../../src/model/source.js';
import { hasCorpus, projectPath } from '../helpers/shared.js';
import { corpusTarFiles } from '../helpers/corpus-tar.js';

const fx = (name: string) => readFileSync(projectPath('test', 'fixtures', 'h52', name), 'utf8');

describe('ethtool -i', () => {
  it("reads weave#3887's vmxnet3 driver, its version and bus, naming the device from the typed command", () => {
    const o = parseEthtool(fx('weave3887-ethtool-i-ens192.txt'), 'ethtool-i.txt');
    expect(o.devices).toHaveLength(1);
    const d = o.devices[0];
    expect(d.name).toBe('ens192');
    expect(d.driver).toMatchObject({ name: 'vmxnet3', version: '1.5.0.0-k-NAPI', busInfo: '0000:0b:00.0', ref: { file: 'ethtool-i.txt', line: 2 } });
    expect(d.driver?.firmware).toBeUndefined();
    expect(sniffEthtoolDriver(fx('weave3887-ethtool-i-ens192.txt'))).toBe(true);
  });

  it("names the device from the path's hint where the output does not (sos's ethtool_-i_eth0)", () => {
    const o = parseEthtool(fx('machine-ethtool-i-eth0.txt'), 'sos_commands/networking/ethtool_-i_eth0', 'eth0');
    expect(o.devices[0]).toMatchObject({ name: 'eth0', driver: { name: 'virtio_net', version: '1.0.0', busInfo: '0000:00:03.0' } });
    expect(parseEthtool(fx('machine-ethtool-i-vx0.txt'), 'x', 'vx0').devices[0].driver).toMatchObject({ name: 'vxlan', version: '0.1' });
    expect(sniffEthtoolDriver(fx('machine-ethtool-i-eth0.txt'))).toBe(true);
    expect(sniffEthtoolFeatures(fx('machine-ethtool-i-eth0.txt'))).toBe(false);
  });
});

describe('ethtool -k', () => {
  it("reads kubespray#7268's CentOS 8.2 listing: checksum offload on, the UDP tunnel offload off [fixed]", () => {
    const o = parseEthtool(fx('kubespray7268-centos82-ethtool-k-ens192.txt'), 'k.txt');
    const d = o.devices[0];
    expect(d.name).toBe('ens192');
    expect(d.featuresRef).toEqual({ file: 'k.txt', line: 2 });
    expect(d.features?.['tx-checksum-ip-generic']).toMatchObject({ on: true, fixed: false, ref: { line: 6 }, excerpt: 'tx-checksum-ip-generic: on' });
    expect(d.features?.['tx-checksum-ipv4']).toMatchObject({ on: false, fixed: true });
    expect(d.features?.['tx-udp_tnl-segmentation']).toMatchObject({ on: false, fixed: true });
    expect(d.features?.['fcoe-mtu']).toMatchObject({ on: false, fixed: true });
    expect(sniffEthtoolFeatures(fx('kubespray7268-centos82-ethtool-k-ens192.txt'))).toBe(true);
    expect(sniffEthtoolDriver(fx('kubespray7268-centos82-ethtool-k-ens192.txt'))).toBe(false);
  });

  it("reads this machine's eth0 and VXLAN device, before and after ethtool -K ... off", () => {
    const eth0 = parseEthtool(fx('machine-ethtool-k-eth0.txt'), 'k').devices[0];
    expect(eth0.name).toBe('eth0');
    expect(Object.keys(eth0.features!).length).toBeGreaterThan(50);
    expect(eth0.features!['tx-checksum-ip-generic'].on).toBe(true);
    const on = parseEthtool(fx('machine-ethtool-k-vx0.txt'), 'k').devices[0];
    const off = parseEthtool(fx('machine-ethtool-k-vx0-off.txt'), 'k').devices[0];
    expect(on.features!['tx-checksum-ip-generic'].on).toBe(true);
    expect(off.features!['tx-checksum-ip-generic']).toMatchObject({ on: false, fixed: false });
    expect(off.features!['tx-checksumming'].on).toBe(false);
  });

  it("skips ethtool -K's Actual changes (flannel#1279's session): a change report is no listing", () => {
    expect(() => parseEthtool(fx('flannel1279-session.txt'), 's')).toThrow(SkipFile);
    expect(sniffEthtoolFeatures(fx('flannel1279-session.txt'))).toBe(false);
    expect(sniffEthtoolDriver(fx('flannel1279-session.txt'))).toBe(false);
  });

  it('merges a pasted session of -i and -k of one device into one device', () => {
    const text = `${fx('weave3887-ethtool-i-ens192.txt')}\n${fx('kubespray7268-centos83-ethtool-k-ens192.txt')}`;
    const o = parseEthtool(text, 'paste.txt');
    expect(o.devices).toHaveLength(1);
    expect(o.devices[0].driver?.name).toBe('vmxnet3');
    expect(o.devices[0].features?.['tx-udp_tnl-segmentation']).toMatchObject({ on: true, ref: { line: 12 + 36 } });
    // the -i paste is 11 lines and a blank; its line 36 (tx-udp_tnl-segmentation) lands on 48. -i and -k of the same NIC in two files:
    const m = ethtoolDevices([parseEthtool(fx('weave3887-ethtool-i-ens192.txt'), 'i'), parseEthtool(fx('kubespray7268-centos82-ethtool-k-ens192.txt'), 'k')]);
    expect(m.get('ens192')).toMatchObject({ driver: { name: 'vmxnet3' }, features: { 'tx-checksum-ip-generic': { on: true } } });
  });

  it('rejects text that is neither', () => {
    expect(() => parseEthtool('Chain INPUT (policy ACCEPT)\n', 'x')).toThrow(SkipFile);
    expect(sniffEthtoolFeatures(fx('photon1321-iptables-L.txt'))).toBe(false);
    expect(sniffEthtoolDriver('driver: overlay2\n')).toBe(false);
  });
});

describe.skipIf(!hasCorpus)("the corpus' sosreport ethtool files", () => {
  it('reads ethtool_-k_* and ethtool_-i_* of ens3 (virtio_net), flannel.1 (vxlan) and lo (no driver)', async () => {
    const files = await corpusTarFiles('hotsos-charmed-k8s-flannel-sosreport-networking-subset.tar.gz', /sos_commands\/networking\/ethtool_-[ki]_/);
    expect(files.size).toBe(6);
    const outs = [...files].map(([path, text]) => {
      expect(path.includes('_-k_') ? sniffEthtoolFeatures(text) : sniffEthtoolDriver(text) || /Cannot get driver/.test(text), path).toBe(true);
      return parseEthtool(text, path, path.replace(/^.*ethtool_-[ki]_/, ''));
    });
    const m = ethtoolDevices(outs);
    expect(m.get('ens3')).toMatchObject({ driver: { name: 'virtio_net' }, features: { 'tx-checksum-ip-generic': { on: true } } });
    expect(m.get('flannel.1')).toMatchObject({ driver: { name: 'vxlan', version: '0.1' }, features: { 'tx-checksum-ip-generic': { on: true } } });
    expect(m.get('lo')?.noDriver).toBeDefined();
    expect(m.get('lo')?.features?.['tx-checksum-ip-generic']).toMatchObject({ on: true, fixed: true });
  });
});
