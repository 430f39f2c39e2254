/**
 * ufw's DEFAULT_FORWARD_POLICY="REJECT" and Docker 28.0.0's rule order (moby/moby#49528), on the real
 * kernel: the rules (../fixtures/r3-forward/generated/ufw-docker2800.rules) in a namespace with a docker0
 * bridge, a container namespace on it and an outside namespace on the uplink. A connection out is
 * rejected; the finding's ufw fix is the rule `ufw route allow` writes (checked against the real ufw's
 * --dry-run where ufw is installed: it reads /etc/ufw, writes nothing); added, the connection passes and
 * the finding is gone; the other fix, DEFAULT_FORWARD_POLICY="DROP" (ufw-reject-forward empty), passes too.
 * Skipped where namespaces cannot be made.
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';
import { BridgeHost } from '../helpers/bridge-host.js';
import { canMakeNetns, projectPath } from '../helpers/shared.js';

const host = new BridgeHost({ prefix: 'bdufw', bridge: 'docker0', bridgeAddress: '172.17.0.1/16', instanceAddress: '172.17.0.2/16' });
const H = host.h;
const inNs = (ns: string, cmd: string, input?: string) => host.run(ns, cmd, input);
const connects = () => host.connects();
async function analyze(name: string) {
  const files = { 'iptables-save.txt': inNs(H, 'iptables-save'), 'ip-a.txt': inNs(H, 'ip addr'), 'ip-route.txt': inNs(H, 'ip route') };
  const r = await analyzeBundle(writeFolder(files, name));
  return r.findings.filter((f) => f.id === 'iptables.forward-blocks-containers');
}
const ufw = ['/usr/sbin/ufw', '/sbin/ufw', '/usr/bin/ufw'].find((p) => existsSync(p));

describe.skipIf(!canMakeNetns())('ufw REJECT ahead of Docker 28.0.0 in network namespaces', () => {
  beforeAll(() => {
    host.start();
    host.run(H, 'iptables-restore', readFileSync(projectPath('test/fixtures/r3-forward/generated/ufw-docker2800.rules'), 'utf8'));
  });
  afterAll(() => host.close());

  it("rejected as the finding says; the rule `ufw route allow in on docker0 out on enp3s0` writes lets it through", async () => {
    expect(connects()).toBe(false);
    const [f] = await analyze('r3-ufw-netns-before');
    expect(f.facts).toMatchObject({ bridge: 'docker0', uplink: 'enp3s0', decidedBy: 'filter/ufw-reject-forward#1', verdict: 'REJECT', dockerRuleOrder: 'docker-28.0.0' });
    const route = f.remedy.commands.find((c) => c.startsWith('ufw route allow'))!;
    expect(route).toMatch(/^ufw route allow in on docker0 out on enp3s0   # ufw adds "(-A ufw-user-forward -i docker0 -o enp3s0 -j ACCEPT)"/);
    const rule = /ufw adds "([^"]+)"/.exec(route)![1];
    // the real ufw writes exactly that rule for that command (--dry-run: nothing is changed)
    if (ufw) expect(execFileSync(ufw, ['--dry-run', 'route', 'allow', 'in', 'on', 'docker0', 'out', 'on', 'enp3s0'], { encoding: 'utf8' }).split('\n')).toContain(rule);
    inNs(H, `iptables ${rule}`);
    expect(connects()).toBe(true);
    expect(await analyze('r3-ufw-netns-route')).toEqual([]);
    inNs(H, `iptables ${rule.replace(/^-A /, '-D ')}`);
    expect(connects()).toBe(false);
  });

  it('the other fix, DEFAULT_FORWARD_POLICY="DROP" (ufw-reject-forward emptied by ufw reload), lets it through too', async () => {
    const [f] = await analyze('r3-ufw-netns-before-2');
    expect(f.remedy.commands).toEqual(expect.arrayContaining([expect.stringMatching(/DEFAULT_FORWARD_POLICY="DROP"/)]));
    inNs(H, 'iptables -F ufw-reject-forward');
    expect(connects()).toBe(true);
    expect(await analyze('r3-ufw-netns-policy-drop')).toEqual([]);
  });
});
