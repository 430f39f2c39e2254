/**
 * iptables.forward-blocks-containers over IPv6, on a dual-stack Docker host made with the real
 * binaries in network namespaces (test/fixtures/ipv6/make-docker-dualstack.sh: Docker 28's iptables
 * and ip6tables rules, docker0 with 172.17.0.1/16 and fd00:dead:beef::1/64): healthy, ip6tables'
 * FORWARD flushed under policy DROP, and an admin's REJECT ahead of Docker's chains. Then every
 * remedy command is run in namespaces built to the broken state, and a TCP connection from the
 * container to a host beyond the node must get through afterwards (it must not before).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { readFolder, writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';
import { canBridge } from '../tracer/topology.js';

const ID = 'iptables.forward-blocks-containers';
const fixture = (name: string) => projectPath('test/fixtures/ipv6', name);
const byId = async (dir: string) => (await analyzeBundle(dir)).findings.filter((f) => f.id === ID);
const commandsOf = (f: { remedy: { commands: string[] } }) => f.remedy.commands.map((c) => c.replace(/\s+#.*$/, ''));

describe('iptables.forward-blocks-containers, IPv6 (real ip6tables-save of a dual-stack Docker 28 host)', () => {
  it("healthy: Docker's real IPv4 and IPv6 rules (DOCKER-USER, DOCKER-FORWARD, DOCKER-CT, ...) raise nothing", async () => {
    expect(await byId(fixture('docker-dualstack-healthy'))).toEqual([]);
  });

  it('ip6tables FORWARD flushed under policy DROP: IPv6 container traffic is dropped, with ip6tables remedies; IPv4 is fine', async () => {
    const found = await byId(fixture('docker-dualstack-forward6-flushed'));
    expect(found).toHaveLength(1);
    const [f] = found;
    expect(f.facts).toMatchObject({ bridge: 'docker0', subnet: 'fd00:dead:beef::/64', uplink: 'eth0', verdict: 'DROP', decidedBy: 'filter/FORWARD#0', family: 'ipv6' });
    expect(f.title).toBe('FORWARD drops container IPv6 traffic');
    expect(f.evidence[0]).toMatchObject({ file: 'ip6tables-save.txt', excerpt: ':FORWARD DROP' });
    expect(commandsOf(f)).toEqual([
      '# Option A (restarts every container): Docker recreates its FORWARD rules; run the line below without its "# ", and skip option B:',
      '# systemctl restart docker',
      "# Option B (no restart; safe to paste twice): accept the bridge's traffic:",
      'ip6tables -C FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT 2>/dev/null || ip6tables -I FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      'ip6tables -C FORWARD -i docker0 ! -o docker0 -j ACCEPT 2>/dev/null || ip6tables -I FORWARD -i docker0 ! -o docker0 -j ACCEPT',
      'ip6tables -C FORWARD -i docker0 -o docker0 -j ACCEPT 2>/dev/null || ip6tables -I FORWARD -i docker0 -o docker0 -j ACCEPT',
    ]);
    expect(f.remedy.caution).toMatch(/\/etc\/sysconfig\/ip6tables/);
  });

  it("an ICMPv6 REJECT ahead of Docker's chains: named by its line; the remedy inserts ahead of it, or deletes it by its spec", async () => {
    const [f, ...more] = await byId(fixture('docker-dualstack-forward6-reject'));
    expect(more).toEqual([]);
    expect(f.facts).toMatchObject({ verdict: 'REJECT', decidedBy: 'filter/FORWARD#1', family: 'ipv6' });
    expect(f.evidence[0]).toMatchObject({ file: 'ip6tables-save.txt', excerpt: '-A FORWARD -j REJECT --reject-with icmp6-adm-prohibited' });
    expect(commandsOf(f)).toEqual([
      'ip6tables -C FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT 2>/dev/null || ip6tables -I FORWARD 1 -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      'ip6tables -C FORWARD -i docker0 ! -o docker0 -j ACCEPT 2>/dev/null || ip6tables -I FORWARD 1 -i docker0 ! -o docker0 -j ACCEPT',
      'ip6tables -C FORWARD -i docker0 -o docker0 -j ACCEPT 2>/dev/null || ip6tables -I FORWARD 1 -i docker0 -o docker0 -j ACCEPT',
      '# or instead, remove the blocking rule itself: ip6tables -D FORWARD -j REJECT --reject-with icmp6-adm-prohibited',
    ]);
  });

  it("Docker 27's real rules (test/fixtures/docker-ipv6): healthy raises nothing; RHEL's stock /etc/sysconfig/ip6tables restored over them is found", async () => {
    const files = readFolder(projectPath('test/fixtures/docker-ipv6'));
    delete files['README.md'];
    const flushed = files['ip6tables-save-flushed'];
    delete files['ip6tables-save-flushed'];
    expect(await byId(writeFolder(files, 'docker27-dualstack-healthy'))).toEqual([]);
    files['ip6tables-save-docker'] = flushed;
    const [f, ...more] = await byId(writeFolder(files, 'docker27-dualstack-rhel-ip6tables'));
    expect(more).toEqual([]);
    expect(f.facts).toMatchObject({ bridge: 'docker0', subnet: 'fd00:dead:beef::/64', verdict: 'REJECT', family: 'ipv6' });
    expect(f.evidence[0].excerpt).toMatch(/^-A FORWARD -j REJECT --reject-with icmp6-adm-prohibited$/);
    expect(commandsOf(f).every((c) => !/^iptables /.test(c))).toBe(true);
  });

  it('no IPv6 in use (no IPv6 address on docker0, no IPv6 subnet): a flushed ip6tables FORWARD is not this finding', async () => {
    const files = readFolder(fixture('docker-dualstack-forward6-flushed'));
    files['ip_a.txt'] = files['ip_a.txt'].replace(/^\s+inet6 fd00:dead:beef::1\/64.*\n.*\n/m, '');
    files['docker_network_inspect_bridge.json'] = files['docker_network_inspect_bridge.json'].replace(/,\s*\{\s*"Subnet": "fd00:dead:beef::\/64",\s*"Gateway": "fd00:dead:beef::1"\s*\}/, '').replace(/"IPv6Address": "fd00:dead:beef::2\/64"/, '"IPv6Address": ""').replace('"EnableIPv6": true', '"EnableIPv6": false');
    expect(files['ip_a.txt']).not.toMatch(/fd00:dead:beef/);
    expect(await byId(writeFolder(files, 'dualstack-v4-only'))).toEqual([]);
  });
});

const ok = canBridge();
const PROBE = projectPath('test/tracer/netns-probe.cjs');

/** The fixture's host in namespaces v6rm-h/-c/-o-<pid>: Docker 28's rules, the outside host at 2001:db8:1::1 listening on 80. */
class DualStackHost {
  readonly h = `v6rm-h-${process.pid}`;
  readonly c = `v6rm-c-${process.pid}`;
  readonly o = `v6rm-o-${process.pid}`;
  private listener?: ChildProcess;
  async start(): Promise<void> {
    const run = (ns: string, cmd: string) => execFileSync('ip', ['netns', 'exec', ns, 'sh', '-c', cmd], { stdio: 'ignore' });
    for (const ns of [this.h, this.c, this.o]) {
      execFileSync('ip', ['netns', 'add', ns]);
      run(ns, 'ip link set lo up');
    }
    run(this.h, `ip link add eth0 type veth peer name eth0 netns ${this.o} && ip addr add 192.0.2.10/24 dev eth0 && ip -6 addr add 2001:db8:1::10/64 dev eth0 nodad && ip link set eth0 up`);
    run(this.o, 'ip addr add 192.0.2.1/24 dev eth0 && ip -6 addr add 2001:db8:1::1/64 dev eth0 nodad && ip link set eth0 up');
    run(this.h, 'ip route add default via 192.0.2.1 && ip -6 route add default via 2001:db8:1::1');
    run(this.h, 'ip link add docker0 type bridge && ip addr add 172.17.0.1/16 dev docker0 && ip -6 addr add fd00:dead:beef::1/64 dev docker0 nodad && ip link set docker0 up');
    run(this.h, `ip link add veth1a2b3c4 type veth peer name eth0 netns ${this.c} && ip link set veth1a2b3c4 master docker0 up`);
    run(this.c, 'ip addr add 172.17.0.2/16 dev eth0 && ip -6 addr add fd00:dead:beef::2/64 dev eth0 nodad && ip link set eth0 up && ip route add default via 172.17.0.1 && ip -6 route add default via fd00:dead:beef::1');
    run(this.h, 'sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1');
    this.listener = spawn('ip', ['netns', 'exec', this.o, process.execPath, PROBE, 'listen', '80'], { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, BD_FAMILY: '6' } });
    await new Promise<void>((resolve) => this.listener!.stdout!.once('data', () => resolve()));
  }
  /** Docker's rules, then the breakage (ip6tables commands). */
  load(breakage: string): void {
    this.sh(`iptables-nft-restore < ${projectPath('test/fixtures/ipv6/docker28.iptables-restore')} && ip6tables-nft-restore < ${projectPath('test/fixtures/ipv6/docker28.ip6tables-restore')} && ${breakage}`);
  }
  sh(cmd: string): string {
    return execFileSync('ip', ['netns', 'exec', this.h, 'sh', '-c', cmd], { encoding: 'utf8' });
  }
  /** A TCP connection from the container's IPv6 address to the outside host's port 80. */
  connect(): string {
    return JSON.parse(execFileSync('ip', ['netns', 'exec', this.c, process.execPath, PROBE, 'probe', 'fd00:dead:beef::2', '2001:db8:1::1', '1500', '80'], { encoding: 'utf8' }))['80'];
  }
  /** The bundle as the fixture script snapshots it. */
  snapshot(): string {
    const dir = mkdtempSync(join(tmpdir(), 'v6rm-'));
    const files: Record<string, string> = {
      hostname: 'v6rm\n',
      'ip_a.txt': this.sh('ip a'),
      'ip_route.txt': this.sh('ip route; ip -6 route'),
      'iptables-save.txt': this.sh('iptables-save'),
      'ip6tables-save.txt': this.sh('ip6tables-save'),
      'sysctl-a.txt': this.sh('sysctl net.ipv4.ip_forward net.ipv6.conf.all.forwarding'),
      'docker_network_inspect_bridge.json': readFileSync(fixture('docker_network_inspect_bridge.json'), 'utf8'),
    };
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return dir;
  }
  close(): void {
    this.listener?.kill();
    for (const ns of [this.h, this.c, this.o]) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
  }
}

let host: DualStackHost;

describe.skipIf(!ok)('the IPv6 remedies, run in namespaces built to the broken state', () => {
  beforeAll(async () => {
    host = new DualStackHost();
    await host.start();
  }, 60_000);
  afterAll(() => host?.close());

  const cases: [string, string, string][] = [
    ['FORWARD flushed under policy DROP', 'ip6tables -F FORWARD', 'timeout'],
    ["an ICMPv6 REJECT ahead of Docker's chains", 'ip6tables -I FORWARD 1 -j REJECT --reject-with icmp6-adm-prohibited', 'prohibited'],
  ];
  for (const [what, breakage, broken] of cases)
    it(`${what}: the container's IPv6 connection fails, and every remedy printed makes it work`, async () => {
      host.load('true');
      expect(host.connect()).toBe('connected');
      host.load(breakage);
      // a TCP client sees an ICMPv6 error as a soft error (retries): a timeout, or EACCES on older kernels
      expect([broken, 'timeout']).toContain(host.connect());
      const dir = host.snapshot();
      try {
        const [f] = await byId(dir);
        expect(f.facts).toMatchObject({ family: 'ipv6' });
        const cmds = commandsOf(f);
        // the guarded inserts (what runs without restarting docker: the lines a paste of the block runs), then each alternative on its own
        const inserts = cmds.filter((c) => c.startsWith('ip6tables '));
        const alternatives = cmds.filter((c) => c.startsWith('# or instead')).map((c) => c.replace(/^# or instead, remove the blocking rule itself: /, ''));
        expect(inserts.length).toBeGreaterThan(0);
        expect(inserts.every((c) => /^ip6tables -C FORWARD (.+) 2>\/dev\/null \|\| ip6tables -I FORWARD (?:\d+ )?\1$/.test(c)), inserts.join('\n')).toBe(true);
        // everything else is a comment: option A's restart is commented out, so a paste of the block runs the inserts only
        expect(cmds.every((c) => c.startsWith('ip6tables ') || c.startsWith('# or instead') || c === '# systemctl restart docker' || /^# Option [AB] /.test(c))).toBe(true);
        for (const c of inserts) host.sh(c);
        expect(host.connect()).toBe('connected');
        // pasted twice: the -C guards hold, no rule is added again
        const once = host.sh('ip6tables-save -t filter').replace(/^#.*\n/gm, '').replace(/\[\d+:\d+\]/g, '');
        for (const c of inserts) host.sh(c);
        expect(host.sh('ip6tables-save -t filter').replace(/^#.*\n/gm, '').replace(/\[\d+:\d+\]/g, '')).toBe(once);
        expect(host.connect()).toBe('connected');
        for (const alt of alternatives) {
          host.load(breakage);
          host.sh(alt);
          expect(host.connect()).toBe('connected');
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 120_000);
});
