/**
 * docker.forward-policy-drops-routed on a multi-homed server (reviewer R25 c12, test/fixtures/r25-multihome): three
 * NICs, policy routing, `net.ipv4.ip_forward = 1` in /etc/sysctl.d as Docker's and Kubernetes' install guides have
 * everyone set it, FORWARD's policy counters at 0. It routes for nobody: forwarding set at boot is a routing sign only
 * beside a VPN's or router's interface (test/analyzers/h47-*: a Tailscale exit node), not on its own.
 */
import { readFileSync } from 'node:fs';
import fg from 'fast-glob';
import { describe, expect, it } from 'vitest';
import analyzer from '../../analyzers/docker-forward-policy-drops-routed.js';
import { loadBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const DIR = projectPath('test/fixtures/r25-multihome');
const files = (): Record<string, string> => Object.fromEntries(fg.sync('**/*.{txt,conf}', { cwd: DIR }).map((f) => [f, readFileSync(`${DIR}/${f}`, 'utf8')]));

async function run(f: Record<string, string>, name: string) {
  const b = await loadBundle(writeFolder(f, name));
  expect(b.nodes).toHaveLength(1);
  return analyzer.scope === 'node' ? analyzer.analyze({ node: 'node-1', artifacts: b.nodes[0].artifacts as never, options: { requiredPorts: [] }, partly: () => {} }) : [];
}

describe('a multi-homed server with forwarding set in sysctl.d', () => {
  it('three NICs, policy routing, ip_forward = 1 at boot, no drop counted: nothing', async () => {
    const f = files();
    expect(f['etc/sysctl.d/90-multihome.conf']).toContain('net.ipv4.ip_forward = 1');
    expect(f['iptables-save.txt']).toMatch(/^:FORWARD DROP \[0:0\]$/m);
    expect(await run(f, 'r25-multihome')).toEqual([]);
  });

  it('the same server whose FORWARD policy counted drops nothing accepts: the warning, forwarding at boot cited', async () => {
    const f = files();
    f['iptables-save.txt'] = f['iptables-save.txt'].replace(/^:FORWARD DROP \[0:0\]$/m, ':FORWARD DROP [1842:110520]');
    const found = await run(f, 'r25-multihome-drops');
    expect(found.map((x) => x.severity)).toEqual(['warning']);
    expect(found[0].evidence).toEqual(expect.arrayContaining([expect.objectContaining({ excerpt: 'net.ipv4.ip_forward = 1' })]));
  });
});
