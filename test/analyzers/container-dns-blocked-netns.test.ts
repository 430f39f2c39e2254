/**
 * containers/netavark#742 on the real kernel: a host namespace with the thread's rules (INPUT policy DROP
 * plus RELATED,ESTABLISHED, loaded with iptables-restore), a podman1 bridge 10.89.0.1/24 with a resolver
 * stand-in answering UDP and TCP on 10.89.0.1:53, and a "container" namespace on it (10.89.0.2). A query
 * from the container gets no answer; the analyzer, given the namespace's own iptables-save and ip addr,
 * fires; its commands, run twice, add each accept once; the query is then answered (UDP and TCP) and the
 * analyzer is silent. Skipped where namespaces cannot be made.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';
import { BridgeHost } from '../helpers/bridge-host.js';
import { canMakeNetns, projectPath } from '../helpers/shared.js';

const host = new BridgeHost({ prefix: 'bdf4dns', bridge: 'podman1', bridgeAddress: '10.89.0.1/24', instanceAddress: '10.89.0.2/24' });
const H = host.h;
let resolver: ChildProcess | undefined;

/** A UDP query (and a TCP connection) from the container to 10.89.0.1:53, answered within 2 seconds. */
function answered(protocol: 'udp' | 'tcp'): boolean {
  const udp = "import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.settimeout(2)\ns.sendto(b'q',('10.89.0.1',53))\ns.recvfrom(64)";
  const tcp = "import socket\ns=socket.create_connection(('10.89.0.1',53),timeout=2)";
  try {
    execFileSync('ip', ['netns', 'exec', host.c, 'python3', '-c', protocol === 'udp' ? udp : tcp], { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

async function analyze(name: string) {
  const files = { 'iptables-save.txt': host.run(H, 'iptables-save'), 'ip-addr.txt': host.run(H, 'ip addr') };
  const r = await analyzeBundle(writeFolder(files, name));
  return r.findings.filter((f) => f.id === 'iptables.container-dns-blocked');
}

describe.skipIf(!canMakeNetns())('container DNS to the bridge gateway, in network namespaces (containers/netavark#742)', () => {
  beforeAll(() => {
    host.start();
    // the resolver stand-in: answers every datagram, accepts every TCP connection on 10.89.0.1:53
    resolver = spawn(
      'ip',
      ['netns', 'exec', H, 'python3', '-c', "import socket,threading\nu=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\nu.bind(('10.89.0.1',53))\nt=socket.socket()\nt.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\nt.bind(('10.89.0.1',53))\nt.listen(8)\ndef acc():\n while True:\n  c,_=t.accept()\n  c.close()\nthreading.Thread(target=acc,daemon=True).start()\nwhile True:\n d,a=u.recvfrom(64)\n u.sendto(d,a)"],
      { stdio: 'ignore' },
    );
    for (let i = 0; i < 50 && !answered('udp'); i++) execFileSync('sleep', ['0.1']);
    host.run(H, 'iptables-restore', readFileSync(projectPath('test/fixtures/container-dns/netavark742-iptables-save.txt'), 'utf8'));
  });
  afterAll(() => {
    resolver?.kill();
    host.close();
  });

  it('is dropped as the finding says; its commands, run twice, add each rule once; then DNS is answered and the finding is gone', async () => {
    expect(answered('udp')).toBe(false);
    expect(answered('tcp')).toBe(false);
    const [f, ...rest] = await analyze('f4-dns-netns-before');
    expect(rest).toEqual([]);
    expect(f.facts).toMatchObject({ bridge: 'podman1', gateway: '10.89.0.1', udpBlockedBy: 'INPUT#0', tcpBlocked: true });
    const commands = f.remedy.commands.filter((c) => !c.startsWith('#'));
    expect(commands).toHaveLength(2);
    for (let run = 0; run < 2; run++) for (const c of commands) host.run(H, c);
    expect(host.run(H, 'iptables -S INPUT').trim().split('\n')).toEqual([
      '-P INPUT DROP',
      '-A INPUT -i podman1 -p tcp -m tcp --dport 53 -j ACCEPT',
      '-A INPUT -i podman1 -p udp -m udp --dport 53 -j ACCEPT',
      '-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT',
    ]);
    expect(answered('udp')).toBe(true);
    expect(answered('tcp')).toBe(true);
    expect(await analyze('f4-dns-netns-after')).toEqual([]);
  });
});
