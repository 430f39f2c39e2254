/**
 * src/parsers/bridge-link.ts on real output (test/fixtures/hairpin/README.md: iproute2 6.1.0 in network namespaces
 * on this machine), and the hairpin listings of kubernetes/kubernetes#13375 / #20475 / #23322
 * (`for intf in /sys/devices/virtual/net/docker0/brif/*; do cat $intf/hairpin_mode; done`), as their loop prints.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bridgeDevices, bridgePorts, parseBridgeLink, sniffBridgeLink } from '../../src/parsers/bridge-link.js';
import { SkipFile } from '../../src/model/source.js';
import { projectPath } from '../helpers/shared.js';

const fx = (name: string) => readFileSync(projectPath('test', 'fixtures', 'hairpin', name), 'utf8');

describe('bridge -d link show', () => {
  it('reads each port, its master, state and hairpin from the detail line', () => {
    const l = parseBridgeLink(fx('bridge-d-link-hairpin-off.txt'), 'bridge_-d_link_show');
    expect(l.format).toBe('bridge-link');
    expect(l.detailed).toBe(true);
    expect(l.ports.map((p) => [p.port, p.master, p.state, p.hairpin, p.ref.line, p.hairpinRef?.line])).toEqual([
      ['veth5c7a1e01', 'cni0', 'forwarding', false, 1, 2],
      ['veth5c7a1e02', 'cni0', 'forwarding', false, 3, 4],
    ]);
    expect(l.ports[0].hairpinExcerpt).toMatch(/^\s+hairpin off guard off/);
  });

  it('sos\' `bridge -s -s -d link show` with hairpin on', () => {
    const l = parseBridgeLink(fx('bridge-s-s-d-link-hairpin-on.txt'), 'sos_commands/networking/bridge_-s_-s_-d_link_show');
    expect(l.ports.map((p) => p.hairpin)).toEqual([true, true]);
  });

  it('`bridge link` without -d does not show hairpin: unknown, never off', () => {
    const l = parseBridgeLink(fx('bridge-link-no-d.txt'), 'bridge-link.txt');
    expect(l.detailed).toBe(false);
    expect(l.ports).toHaveLength(2);
    expect(l.ports.every((p) => p.hairpin === undefined)).toBe(true);
  });

  it('an empty listing (sos on a host without bridge ports) is skipped', () => {
    expect(() => parseBridgeLink('', 'bridge_-s_-s_-d_link_show')).toThrow(SkipFile);
  });
});

describe('ip -d link / ip -s -d link', () => {
  it('reads bridge_slave lines and the bridge itself, not promiscuous', () => {
    const l = parseBridgeLink(fx('ip-d-link-hairpin-off.txt'), 'ip_-d_link');
    expect(l.format).toBe('ip-d-link');
    expect(l.ports.map((p) => [p.port, p.peer, p.master, p.hairpin, p.ref.line, p.hairpinRef?.line])).toEqual([
      ['veth5c7a1e01', 'if2', 'cni0', false, 6, 9],
      ['veth5c7a1e02', 'if2', 'cni0', false, 10, 13],
    ]);
    expect(l.bridges.map((b) => [b.name, b.promiscuous, b.promiscuity, b.ref.line])).toEqual([['cni0', false, 0, 3]]);
  });

  it('a bridge with the PROMISC flag (ip link set cni0 promisc on), with sos\' -s statistics lines between', () => {
    for (const f of ['ip-d-link-promisc-bridge.txt', 'ip-s-d-link-promisc-bridge.txt']) {
      const l = parseBridgeLink(fx(f), f);
      expect(l.bridges.map((b) => [b.name, b.promiscuous, b.promiscuity])).toEqual([['cni0', true, 1]]);
      expect(l.ports.map((p) => p.hairpin)).toEqual([false, false]);
    }
  });

  it('ip addr (no -d) has neither: skipped, left to the ip-addr parser', () => {
    expect(() => parseBridgeLink(fx('ip-addr-node.txt'), 'ip_addr')).toThrow(SkipFile);
  });
});

describe('hairpin_mode listings', () => {
  it('grep . /sys/class/net/*/brport/hairpin_mode', () => {
    const off = parseBridgeLink(fx('grep-brport-hairpin-mode-off.txt'), 'hairpin.txt');
    expect(off.format).toBe('hairpin-listing');
    expect(off.ports.map((p) => [p.port, p.master, p.hairpin, p.ref.line])).toEqual([
      ['veth5c7a1e01', undefined, false, 1],
      ['veth5c7a1e02', undefined, false, 2],
    ]);
    expect(parseBridgeLink(fx('grep-brport-hairpin-mode-on.txt'), 'h.txt').ports.map((p) => p.hairpin)).toEqual([true, true]);
  });

  it('the brif loop (`echo $i $(cat $i/hairpin_mode)`) names the bridge', () => {
    const l = parseBridgeLink(fx('brif-loop-hairpin-off.txt'), 'brif.txt');
    expect(l.ports.map((p) => [p.port, p.master, p.hairpin])).toEqual([
      ['veth5c7a1e01', 'cni0', false],
      ['veth5c7a1e02', 'cni0', false],
    ]);
  });

  it('grep -H over brif/*/hairpin_mode, and one copied hairpin_mode file named by its path', () => {
    const l = parseBridgeLink('/sys/class/net/cni0/brif/veth5c7a1e01/hairpin_mode:1\n/sys/class/net/cni0/brif/veth5c7a1e02/hairpin_mode:1\n', 'g.txt');
    expect(l.ports.map((p) => [p.port, p.master, p.hairpin])).toEqual([
      ['veth5c7a1e01', 'cni0', true],
      ['veth5c7a1e02', 'cni0', true],
    ]);
    const one = parseBridgeLink('0\n', 'bundle/sys/class/net/vethdeadbeef/brport/hairpin_mode', 'sys/class/net/vethdeadbeef/brport/hairpin_mode');
    expect(one.ports.map((p) => [p.port, p.hairpin, p.ref.line])).toEqual([['vethdeadbeef', false, 1]]);
  });

  it("kubernetes#23322's `cat .../brif/veth*/hairpin_mode` (values without names) says nothing of any port: skipped", () => {
    expect(() => parseBridgeLink('0\n0\n0\n0\n', 'cat.txt')).toThrow(SkipFile);
  });
});

describe('sniffing and merging', () => {
  it('claims bridge link and hairpin listings, not ip link / ip addr', () => {
    expect(sniffBridgeLink(fx('bridge-d-link-hairpin-off.txt'))).toBe(true);
    expect(sniffBridgeLink(fx('bridge-link-no-d.txt'))).toBe(true);
    expect(sniffBridgeLink(fx('grep-brport-hairpin-mode-off.txt'))).toBe(true);
    expect(sniffBridgeLink(fx('brif-loop-hairpin-off.txt'))).toBe(true);
    expect(sniffBridgeLink(fx('ip-d-link-hairpin-off.txt'))).toBe(false);
    expect(sniffBridgeLink(fx('ip-addr-node.txt'))).toBe(false);
  });

  it('a later detailed listing fills in what `bridge link` left out', () => {
    const ports = bridgePorts([parseBridgeLink(fx('bridge-link-no-d.txt'), 'a'), parseBridgeLink(fx('grep-brport-hairpin-mode-off.txt'), 'b')]);
    expect(ports.map((p) => [p.port, p.master, p.hairpin, p.hairpinRef?.file])).toEqual([
      ['veth5c7a1e01', 'cni0', false, 'b'],
      ['veth5c7a1e02', 'cni0', false, 'b'],
    ]);
    expect(bridgeDevices([parseBridgeLink(fx('ip-d-link-promisc-bridge.txt'), 'c')]).map((b) => b.name)).toEqual(['cni0']);
  });
});
