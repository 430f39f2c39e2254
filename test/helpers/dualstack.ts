/**
 * A dual-stack Docker host in three throwaway network namespaces, for checking IPv6 remedies with
 * the real tools: `h` (the host: eth0 2001:db8:1::10 / 192.0.2.10 to the outside, docker0
 * fd00:dead:beef::1/64 / 172.17.0.1/16, forwarding on), `c` (a container on docker0:
 * fd00:dead:beef::2 / 172.17.0.2) and `o` (the outside, 2001:db8:1::1 / 192.0.2.1, no route back to
 * the containers' subnets). Listeners are test/tracer/netns-probe.cjs processes. Callers skip
 * where canMakeNetns() is false, and close() in afterAll.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { projectPath } from './shared.js';

const PROBE = projectPath('test/tracer/netns-probe.cjs');

export class DualStackHost {
  readonly h: string;
  readonly c: string;
  readonly o: string;
  private listeners: ChildProcess[] = [];
  /** `prefix`: unique per test file (namespace names); `backend`: what `iptables` / `ip6tables` run as */
  constructor(
    readonly prefix: string,
    readonly backend: 'nft' | 'legacy',
  ) {
    this.h = `${prefix}-h-${backend}-${process.pid}`;
    this.c = `${prefix}-c-${backend}-${process.pid}`;
    this.o = `${prefix}-o-${backend}-${process.pid}`;
  }
  run(ns: string, cmd: string, input?: string): string {
    return execFileSync('ip', ['netns', 'exec', ns, 'sh', '-c', cmd], { encoding: 'utf8', input });
  }
  /** Builds the topology; `listen`: TCP listeners to start, by namespace ('h' or 'o') and port. */
  async start(listen: { at: 'h' | 'o'; port: number }[]): Promise<void> {
    for (const ns of [this.h, this.c, this.o]) {
      execFileSync('ip', ['netns', 'add', ns]);
      this.run(ns, 'ip link set lo up');
    }
    this.run(this.h, `ip link add eth0 type veth peer name eth0 netns ${this.o} && ip addr add 192.0.2.10/24 dev eth0 && ip -6 addr add 2001:db8:1::10/64 dev eth0 nodad && ip link set eth0 up`);
    this.run(this.o, 'ip addr add 192.0.2.1/24 dev eth0 && ip -6 addr add 2001:db8:1::1/64 dev eth0 nodad && ip link set eth0 up');
    this.run(this.h, 'ip route add default via 192.0.2.1 && ip -6 route add default via 2001:db8:1::1');
    this.run(this.h, 'ip link add docker0 type bridge && ip addr add 172.17.0.1/16 dev docker0 && ip -6 addr add fd00:dead:beef::1/64 dev docker0 nodad && ip link set docker0 up');
    this.run(this.h, `ip link add veth1a2b3c4 type veth peer name eth0 netns ${this.c} && ip link set veth1a2b3c4 master docker0 up`);
    this.run(this.c, 'ip addr add 172.17.0.2/16 dev eth0 && ip -6 addr add fd00:dead:beef::2/64 dev eth0 nodad && ip link set eth0 up && ip route add default via 172.17.0.1 && ip -6 route add default via fd00:dead:beef::1');
    this.run(this.h, 'sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1');
    for (const { at, port } of listen) {
      const l = spawn('ip', ['netns', 'exec', at === 'h' ? this.h : this.o, process.execPath, PROBE, 'listen', String(port)], { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, BD_FAMILY: '6' } });
      this.listeners.push(l);
      await new Promise<void>((resolve) => l.stdout!.once('data', () => resolve()));
    }
  }
  /** A printed command as the instance's back end runs it: every `iptables` / `ip6tables` of the line (`ip6tables -C ... || ip6tables -A ...`). */
  tool(cmd: string): string {
    return cmd.replace(/(^|\|\| )(ip6?tables)(-restore|-save)?\b/g, `$1$2-${this.backend}$3`);
  }
  /** A TCP connection from the container's IPv6 address to [dst]:port, neighbours forgotten first: connected, refused, unreachable, prohibited, timeout. */
  connect(dst: string, port: number): string {
    for (const ns of [this.h, this.c, this.o]) this.run(ns, 'ip -6 neigh flush all');
    return JSON.parse(execFileSync('ip', ['netns', 'exec', this.c, process.execPath, PROBE, 'probe', 'fd00:dead:beef::2', dst, '5000', String(port)], { encoding: 'utf8' }))[String(port)];
  }
  /** The bundle as an engineer would collect it from the host: ip a, ip route of both families, docker network inspect, and `files`. */
  snapshot(files: Record<string, string>): string {
    const dir = mkdtempSync(join(tmpdir(), `${this.prefix}-`));
    const all: Record<string, string> = {
      hostname: `${this.prefix}\n`,
      'ip_a.txt': this.run(this.h, 'ip a'),
      'ip_route.txt': this.run(this.h, 'ip route; ip -6 route'),
      'docker_network_inspect_bridge.json': readFileSync(projectPath('test/fixtures/ipv6/docker_network_inspect_bridge.json'), 'utf8'),
      ...files,
    };
    for (const [name, text] of Object.entries(all)) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    return dir;
  }
  close(): void {
    for (const l of this.listeners) l.kill();
    for (const ns of [this.h, this.c, this.o]) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
  }
}
