/**
 * uplinkOf (analyzers/lib/node-view.ts) with no default route in the bundle (H87's finding): it fell back to the
 * first interface with a global address, and on a host where tailscale0 comes first in ip addr it picked tailscale0,
 * so iptables.forward-blocks-containers traced containers' outbound traffic through tailscale's ts-forward. Now a
 * VPN or tunnel interface (tailscale*, wg*, zt*, ...) is picked only where no other interface has a global address;
 * a default route still decides where there is one, whatever its interface.
 *
 * Fixtures: test/fixtures/h89-uplink, real `ip addr` / `ip route` output made by make-fixtures.sh in the network
 * namespace h89u (deleted at the end).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { uplinkOf } from '../../analyzers/lib/node-view.js';
import { loadBundle } from '../../src/engine/analyze.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const fx = (f: string) => readFileSync(projectPath('test/fixtures/h89-uplink', f), 'utf8');
let seq = 0;
async function artifactsOf(files: Record<string, string>): Promise<NodeArtifacts> {
  const b = await loadBundle(writeFolder(files, `h89-uplink-${++seq}`));
  expect(b.nodes).toHaveLength(1);
  const a = b.nodes[0].artifacts as NodeArtifacts;
  expect(a.ipAddr?.length).toBeGreaterThan(0);
  return a;
}

describe('uplinkOf: never a VPN or tunnel when another interface has a global address', () => {
  it('no default route, tailscale0 and wg0 before eth0 in ip addr: eth0', async () => {
    const text = fx('tailscale-first.ip-addr.txt');
    // the fixture is the case: tailscale0 and wg0 come before eth0, all three with a global address
    expect(text.indexOf('tailscale0:')).toBeLessThan(text.indexOf('eth0@'));
    expect(text.indexOf('wg0:')).toBeLessThan(text.indexOf('eth0@'));
    expect(uplinkOf(await artifactsOf({ 'ip-addr.txt': text }))).toBe('eth0');
  });

  it('no default route and only tunnels with a global address (docker0 aside): the first tunnel, tailscale0', async () => {
    expect(uplinkOf(await artifactsOf({ 'ip-addr.txt': fx('tunnels-only.ip-addr.txt') }))).toBe('tailscale0');
  });

  it('a default route decides where there is one: via eth0, eth0; on tailscale0 (an exit node), tailscale0', async () => {
    expect(uplinkOf(await artifactsOf({ 'ip-addr.txt': fx('tailscale-first.ip-addr.txt'), 'ip-route.txt': fx('eth0-default.ip-route.txt') }))).toBe('eth0');
    expect(uplinkOf(await artifactsOf({ 'ip-addr.txt': fx('tailscale-first.ip-addr.txt'), 'ip-route.txt': fx('tailscale-default.ip-route.txt') }))).toBe('tailscale0');
  });
});
