/**
 * `ip -d address` prints a metadata-mode VXLAN device (Cilium's cilium_vxlan) as `vxlan external id 0 ...`:
 * it is a VXLAN device with its port like flannel's `vxlan id 4096 ...`. Real output of iproute2 6.1.0
 * (test/fixtures/h38/ip-d-address-flannel-4096.txt, made in a scratch namespace; its SOURCES.md).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { projectPath } from '../helpers/shared.js';

describe('ip -d: VXLAN devices, with and without external', () => {
  const list = parseInterfaces(readFileSync(projectPath('test/fixtures/h38/ip-d-address-flannel-4096.txt'), 'utf8'), 'ip-d-address.txt');
  const byName = new Map(list.interfaces.map((i) => [i.name, i]));

  it("flannel's vxlan id 4096 on 4789", () => {
    expect(byName.get('flannel.4096')).toMatchObject({ kind: 'vxlan', vxlan: { id: 4096, port: 4789 } });
    expect(byName.get('flannel.4096')!.vxlan!.external).toBeUndefined();
  });

  it("Cilium's metadata-mode cilium_vxlan (vxlan external id 0) on 8472", () => {
    expect(byName.get('cilium_vxlan')).toMatchObject({ kind: 'vxlan', vxlan: { id: 0, port: 8472, external: true } });
  });

  it('the loopback is no VXLAN', () => {
    expect(byName.get('lo')?.kind).not.toBe('vxlan');
  });
});
