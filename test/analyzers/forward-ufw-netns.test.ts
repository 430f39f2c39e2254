/**
 * ufw's DEFAULT_FORWARD_POLICY="REJECT" and Docker 28.0.0's rule order (moby/moby#49528), on the real
 * kernel: the rules (../fixtures/r3-forward/generated/ufw-docker2800.rules) in a namespace with a docker0
 * bridge, a container namespace on it and an outside namespace on the uplink. A connection out is
 * rejected; the finding's ufw fix is the rule `ufw route allow` writes (checked against the real ufw's
 * --dry-run where ufw is installed: it reads /etc/ufw, writes nothing); added, the connection passes and
 * the finding is gone; the other fix, DEFAULT_FORWARD_POLICY="DROP" (ufw-reject-forward empty), passes too.
 * Skipped where namespaces cannot be made.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';
import { canMakeNetns, projectPath } from '../helpers/shared.js';

const H = `bdufwh${process.pid}`;
const C = `bdufwc${process.pid}`;
const O = `bdufwo${process.pid}`;
const inNs = (ns: string, cmd: string, input?: string) => execFileSync('ip', ['netns', 'exec', ns, 'sh', '-c', cmd], { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
const connects = () => {
  try {
    execFileSync('ip', ['netns', 'exec', C, 'timeout', '3', 'bash', '-c', 'exec 3<>/dev/tcp/192.0.2.2/8443'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
async function analyze(name: string) {
  const files = { 'iptables-save.txt': inNs(H, 'iptables-save'), 'ip-a.txt': inNs(H, 'ip addr'), 'ip-route.txt': inNs(H, 'ip route') };
  const r = await analyzeBundle(writeFolder(files, name));
  return r.findings.filter((f) => f.id === 'iptables.forward-blocks-containers');
}
const ufw = ['/usr/sbin/ufw', '/sbin/ufw', '/usr/bin/ufw'].find((p) => existsSync(p));

describe.skipIf(!canMakeNetns())('ufw REJECT ahead of Docker 28.0.0 in network namespaces', () => {
  let listener: ChildProcess | undefined;
  beforeAll(() => {
    for (const ns of [H, C, O]) execFileSync('ip', ['netns', 'add', ns]);
    const ip = (...a: string[]) => execFileSync('ip', a, { stdio: 'pipe' });
    ip('-n', H, 'link', 'add', 'docker0', 'type', 'bridge');
    ip('-n', H, 'addr', 'add', '172.17.0.1/16', 'dev', 'docker0');
    ip('-n', H, 'link', 'set', 'docker0', 'up');
    ip('-n', H, 'link', 'add', 'vethc0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', C);
    ip('-n', H, 'link', 'set', 'vethc0', 'master', 'docker0', 'up');
    ip('-n', C, 'addr', 'add', '172.17.0.2/16', 'dev', 'eth0');
    ip('-n', C, 'link', 'set', 'eth0', 'up');
    ip('-n', C, 'link', 'set', 'lo', 'up');
    ip('-n', C, 'route', 'add', 'default', 'via', '172.17.0.1');
    ip('-n', H, 'link', 'add', 'enp3s0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', O);
    ip('-n', H, 'addr', 'add', '192.0.2.1/24', 'dev', 'enp3s0');
    ip('-n', H, 'link', 'set', 'enp3s0', 'up');
    ip('-n', H, 'route', 'add', 'default', 'via', '192.0.2.2');
    ip('-n', O, 'addr', 'add', '192.0.2.2/24', 'dev', 'eth0');
    ip('-n', O, 'link', 'set', 'eth0', 'up');
    ip('-n', O, 'link', 'set', 'lo', 'up');
    inNs(H, 'sysctl -qw net.ipv4.ip_forward=1');
    inNs(H, 'iptables-restore', readFileSync(projectPath('test/fixtures/r3-forward/generated/ufw-docker2800.rules'), 'utf8'));
    listener = spawn('ip', ['netns', 'exec', O, 'python3', '-c', "import socket\ns=socket.socket()\ns.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\ns.bind(('192.0.2.2',8443))\ns.listen(16)\nwhile True:\n c,_=s.accept()\n c.close()"], { stdio: 'ignore' });
    for (let i = 0; i < 50; i++) {
      try {
        execFileSync('ip', ['netns', 'exec', O, 'timeout', '1', 'bash', '-c', 'exec 3<>/dev/tcp/192.0.2.2/8443'], { stdio: 'ignore' });
        break;
      } catch {
        execFileSync('sleep', ['0.1']);
      }
    }
  });
  afterAll(() => {
    listener?.kill();
    for (const ns of [H, C, O])
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      } catch {
        /* not made */
      }
  });

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
