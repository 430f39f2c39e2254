/**
 * LXD beside Docker, on the real kernel (canonical/lxd#8716): an iptables-nft `ip filter FORWARD` with
 * Docker's policy DROP, LXD's `table inet lxd` accepting lxdbr0, a veth pair as lxdbr0's port to an
 * "instance" namespace, and a veth uplink to an "outside" namespace. A TCP connection from the instance
 * to the outside fails; the analyzer, given the namespace's own `nft list ruleset`, `ip addr` and
 * `ip route`, names Docker's policy; its remedy, run twice, adds each DOCKER-USER rule once; the
 * connection then succeeds and the analyzer gives no finding. Skipped where namespaces cannot be made.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';
import { canMakeNetns, projectPath } from '../helpers/shared.js';

const gen = (f: string) => projectPath('test/fixtures/r3-forward/generated', f);
const H = `bdlxdh${process.pid}`;
const C = `bdlxdc${process.pid}`;
const O = `bdlxdo${process.pid}`;
const inNs = (ns: string, cmd: string, input?: string) => execFileSync('ip', ['netns', 'exec', ns, 'sh', '-c', cmd], { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
/** A TCP connection from the instance to the outside: true when it is established within 3 seconds. */
const connects = () => {
  try {
    execFileSync('ip', ['netns', 'exec', C, 'timeout', '3', 'bash', '-c', 'exec 3<>/dev/tcp/192.0.2.2/8443'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
async function analyze(name: string) {
  const files = { 'nft-list-ruleset.txt': inNs(H, 'nft list ruleset'), 'ip-a.txt': inNs(H, 'ip addr'), 'ip-route.txt': inNs(H, 'ip route') };
  const r = await analyzeBundle(writeFolder(files, name));
  return r.findings.filter((f) => f.id === 'iptables.forward-blocks-containers');
}

describe.skipIf(!canMakeNetns())('LXD beside Docker in network namespaces', () => {
  let listener: ChildProcess | undefined;
  beforeAll(() => {
    for (const ns of [H, C, O]) execFileSync('ip', ['netns', 'add', ns]);
    const ip = (...a: string[]) => execFileSync('ip', a, { stdio: 'pipe' });
    // lxdbr0 with an instance's veth as its port
    ip('-n', H, 'link', 'add', 'lxdbr0', 'type', 'bridge');
    ip('-n', H, 'addr', 'add', '10.148.92.1/24', 'dev', 'lxdbr0');
    ip('-n', H, 'link', 'set', 'lxdbr0', 'up');
    ip('-n', H, 'link', 'add', 'vethlxd0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', C);
    ip('-n', H, 'link', 'set', 'vethlxd0', 'master', 'lxdbr0', 'up');
    ip('-n', C, 'addr', 'add', '10.148.92.50/24', 'dev', 'eth0');
    ip('-n', C, 'link', 'set', 'eth0', 'up');
    ip('-n', C, 'link', 'set', 'lo', 'up');
    ip('-n', C, 'route', 'add', 'default', 'via', '10.148.92.1');
    // the uplink to the outside
    ip('-n', H, 'link', 'add', 'enp3s0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', O);
    ip('-n', H, 'addr', 'add', '192.0.2.1/24', 'dev', 'enp3s0');
    ip('-n', H, 'link', 'set', 'enp3s0', 'up');
    ip('-n', H, 'route', 'add', 'default', 'via', '192.0.2.2');
    ip('-n', O, 'addr', 'add', '192.0.2.2/24', 'dev', 'eth0');
    ip('-n', O, 'link', 'set', 'eth0', 'up');
    ip('-n', O, 'link', 'set', 'lo', 'up');
    inNs(H, 'sysctl -qw net.ipv4.ip_forward=1');
    // Docker's rules (FORWARD policy DROP) through iptables-nft, LXD's table through nft
    inNs(H, 'iptables-nft-restore', readFileSync(gen('docker20-filter-nat.rules'), 'utf8'));
    inNs(H, 'nft -f -', readFileSync(gen('lxd.nft'), 'utf8'));
    listener = spawn('ip', ['netns', 'exec', O, 'python3', '-c', "import socket\ns=socket.socket()\ns.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\ns.bind(('192.0.2.2',8443))\ns.listen(16)\nwhile True:\n c,_=s.accept()\n c.close()"], { stdio: 'ignore' });
    // wait until it listens (from the outside namespace itself)
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

  it("fails as the finding says; the remedy, run twice, adds each rule once; then the connection passes and the finding is gone", async () => {
    expect(connects()).toBe(false);
    const found = await analyze('r3-lxd-netns-before');
    const f = found.find((x) => x.facts?.bridge === 'lxdbr0')!;
    expect(f).toBeDefined();
    expect(f.facts).toMatchObject({ bridgeOwner: 'LXD', uplink: 'enp3s0', decidedBy: 'filter/FORWARD#0', verdict: 'DROP' });
    const commands = f.remedy.commands.filter((c) => !c.startsWith('#')).map((c) => c.replace(/\s+#.*$/, ''));
    expect(commands).toHaveLength(2);
    for (let run = 0; run < 2; run++) for (const c of commands) inNs(H, c);
    expect(inNs(H, 'iptables -S DOCKER-USER').trim().split('\n')).toEqual([
      '-N DOCKER-USER',
      '-A DOCKER-USER -o lxdbr0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      '-A DOCKER-USER -i lxdbr0 -j ACCEPT',
      '-A DOCKER-USER -j RETURN',
    ]);
    expect(connects()).toBe(true);
    expect((await analyze('r3-lxd-netns-after')).filter((x) => x.facts?.bridge === 'lxdbr0')).toEqual([]);
  });
});
