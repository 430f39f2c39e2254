/**
 * A container host in three throwaway network namespaces, for running a forward-path finding's
 * remedy on the real kernel: `h` (the host: a bridge with its address, the uplink enp3s0
 * 192.0.2.1/24, forwarding on), `c` (an instance or container whose veth is the bridge's port) and
 * `o` (the outside, 192.0.2.2, a TCP listener on 8443). Callers load their rules into `h`, skip where
 * canMakeNetns() is false, and close() in afterAll.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';

export interface BridgeSpec {
  /** unique per test file: the namespaces' names start with it */
  prefix: string;
  /** the bridge (docker0, lxdbr0) and its address with prefix length */
  bridge: string;
  bridgeAddress: string;
  /** the instance's address on the bridge, same prefix length */
  instanceAddress: string;
}

export class BridgeHost {
  readonly h: string;
  readonly c: string;
  readonly o: string;
  private listeners: ChildProcess[] = [];
  constructor(readonly spec: BridgeSpec) {
    this.h = `${spec.prefix}h${process.pid}`;
    this.c = `${spec.prefix}c${process.pid}`;
    this.o = `${spec.prefix}o${process.pid}`;
  }

  /** A shell command in a namespace, its output (stderr kept apart). */
  run(ns: string, cmd: string, input?: string): string {
    return execFileSync('ip', ['netns', 'exec', ns, 'sh', '-c', cmd], { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
  }

  /** Builds the namespaces, the bridge with the instance's veth, the uplink, and the outside's listener. */
  start(): void {
    const { bridge, bridgeAddress, instanceAddress } = this.spec;
    const [h, c, o] = [this.h, this.c, this.o];
    for (const ns of [h, c, o]) execFileSync('ip', ['netns', 'add', ns]);
    const ip = (...a: string[]) => execFileSync('ip', a, { stdio: 'pipe' });
    ip('-n', h, 'link', 'add', bridge, 'type', 'bridge');
    ip('-n', h, 'addr', 'add', bridgeAddress, 'dev', bridge);
    ip('-n', h, 'link', 'set', bridge, 'up');
    ip('-n', h, 'link', 'add', 'vethc0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', c);
    ip('-n', h, 'link', 'set', 'vethc0', 'master', bridge, 'up');
    ip('-n', c, 'addr', 'add', instanceAddress, 'dev', 'eth0');
    ip('-n', c, 'link', 'set', 'eth0', 'up');
    ip('-n', c, 'link', 'set', 'lo', 'up');
    ip('-n', c, 'route', 'add', 'default', 'via', bridgeAddress.split('/')[0]);
    ip('-n', h, 'link', 'add', 'enp3s0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', o);
    ip('-n', h, 'addr', 'add', '192.0.2.1/24', 'dev', 'enp3s0');
    ip('-n', h, 'link', 'set', 'enp3s0', 'up');
    ip('-n', h, 'route', 'add', 'default', 'via', '192.0.2.2');
    ip('-n', o, 'addr', 'add', '192.0.2.2/24', 'dev', 'eth0');
    ip('-n', o, 'link', 'set', 'eth0', 'up');
    ip('-n', o, 'link', 'set', 'lo', 'up');
    this.run(h, 'sysctl -qw net.ipv4.ip_forward=1');
    this.listen(o, '192.0.2.2', 8443);
  }

  /** A TCP listener on the instance's own address (a published container port's target), once it accepts. */
  listenInInstance(port: number): void {
    this.listen(this.c, this.spec.instanceAddress.split('/')[0], port);
  }

  /** A TCP listener in a namespace that accepts and closes, waited for until it accepts (asked from that namespace), killed at close(). */
  private listen(ns: string, address: string, port: number): void {
    this.listeners.push(spawn('ip', ['netns', 'exec', ns, 'python3', '-c', `import socket\ns=socket.socket()\ns.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\ns.bind(('${address}',${port}))\ns.listen(16)\nwhile True:\n c,_=s.accept()\n c.close()`], { stdio: 'ignore' }));
    for (let i = 0; i < 50 && !this.tcp(ns, 1, address, port); i++) execFileSync('sleep', ['0.1']);
  }

  /** A TCP connection from the instance to the outside's listener, established within 3 seconds. */
  connects(): boolean {
    return this.tcp(this.c, 3);
  }

  private tcp(ns: string, seconds = 1, address = '192.0.2.2', port = 8443): boolean {
    try {
      execFileSync('ip', ['netns', 'exec', ns, 'timeout', String(seconds), 'bash', '-c', `exec 3<>/dev/tcp/${address}/${port}`], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    for (const l of this.listeners) l.kill();
    this.listeners = [];
    for (const ns of [this.h, this.c, this.o])
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      } catch {
        /* not made */
      }
  }
}
