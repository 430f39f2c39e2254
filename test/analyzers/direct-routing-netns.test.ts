/**
 * iptables.direct-routing-dropped against the kernel: two flannel VXLAN nodes in namespaces (flannel.1
 * programmed the way flanneld does it: VXLAN id 1 on UDP 8472, an onlink route, a permanent neighbour
 * and an fdb entry per peer), Docker's default bridge on node 1 on flannel's subnet with a container
 * listening on 2181, and Docker's rules of each version loaded in node 1 (test/fixtures/direct-routing/rules).
 * A TCP connection from node 2 to the container: with Docker 28.0's and 28.2's rules, and Docker 29's
 * nftables table, it gets no answer and the analyzer, run on node 1's live ip a / ip route /
 * iptables-save (or nft list ruleset), reports it; the stop-gap its remedy prints, Docker 28.2's
 * trusted_host_interfaces ACCEPT and Docker 29's trusted iifname set let it through, and the analyzer is
 * quiet on them. Skipped without namespaces or VXLAN.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import directRouting from '../../analyzers/iptables-direct-routing-dropped.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { parseNftText } from '../../src/nft/parse-text.js';
import { parseSubnetEnv } from '../../src/parsers/flannel-env.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseRoutes } from '../../src/parsers/ip-route.js';
import { canMakeNetns, projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';

/** A VXLAN device can be made in a namespace (the vxlan module is there). */
function canMakeVxlan(): boolean {
  if (!canMakeNetns()) return false;
  const ns = `drvx${process.pid}`;
  try {
    execFileSync('ip', ['netns', 'add', ns], { stdio: 'ignore' });
    try {
      execFileSync('ip', ['netns', 'exec', ns, 'ip', 'link', 'add', 'vxprobe', 'type', 'vxlan', 'id', '1', 'dstport', '8472'], { stdio: 'ignore' });
      return true;
    } finally {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    }
  } catch {
    return false;
  }
}

const rules = (f: string) => readFileSync(projectPath('test/fixtures/direct-routing/rules', f), 'utf8');
const SUBNET_ENV = 'FLANNEL_NETWORK=10.1.0.0/16\nFLANNEL_SUBNET=10.1.215.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=false\n';

describe.skipIf(!canMakeVxlan())("Docker 28's direct-access DROP against flannel VXLAN, in namespaces", () => {
  it("drops node 2's connection to the container; the remedy's stop-gap and trusted_host_interfaces let it in", async () => {
    const N1 = `drn1${process.pid}`;
    const N2 = `drn2${process.pid}`;
    const C1 = `drc1${process.pid}`;
    const run = (ns: string, cmd: string, input?: string) => execFileSync('ip', ['netns', 'exec', ns, 'sh', '-c', cmd], { encoding: 'utf8', input });
    const setup = [
      [N1, 'ip link add eth0 type veth peer name eth0 netns ' + N2],
      [N1, 'ip addr add 192.168.50.11/24 dev eth0 && ip link set eth0 up'],
      [N2, 'ip addr add 192.168.50.12/24 dev eth0 && ip link set eth0 up'],
      [N1, 'ip link add flannel.1 address 5e:8a:1c:2d:3e:4f type vxlan id 1 local 192.168.50.11 dev eth0 dstport 8472 nolearning'],
      [N2, 'ip link add flannel.1 address 7a:11:22:33:44:55 type vxlan id 1 local 192.168.50.12 dev eth0 dstport 8472 nolearning'],
      [N1, 'ip addr add 10.1.215.0/32 dev flannel.1 && ip link set flannel.1 mtu 1450 up'],
      [N2, 'ip addr add 10.1.33.0/32 dev flannel.1 && ip link set flannel.1 mtu 1450 up'],
      [N1, 'ip route add 10.1.33.0/24 via 10.1.33.0 dev flannel.1 onlink && ip neigh add 10.1.33.0 lladdr 7a:11:22:33:44:55 dev flannel.1 nud permanent && bridge fdb append 7a:11:22:33:44:55 dev flannel.1 dst 192.168.50.12'],
      [N2, 'ip route add 10.1.215.0/24 via 10.1.215.0 dev flannel.1 onlink && ip neigh add 10.1.215.0 lladdr 5e:8a:1c:2d:3e:4f dev flannel.1 nud permanent && bridge fdb append 5e:8a:1c:2d:3e:4f dev flannel.1 dst 192.168.50.11'],
      [N1, 'ip link add docker0 type bridge && ip addr add 10.1.215.1/24 dev docker0 && ip link set docker0 mtu 1450 up'],
      [N1, `ip link add veth5f3a2b1 type veth peer name eth0 netns ${C1} && ip link set veth5f3a2b1 master docker0 up`],
      [C1, 'ip addr add 10.1.215.5/24 dev eth0 && ip link set eth0 mtu 1450 up && ip route add default via 10.1.215.1'],
      [N1, 'sysctl -qw net.ipv4.ip_forward=1'],
    ];
    let server: ReturnType<typeof spawn> | undefined;
    const made: string[] = [];
    try {
      for (const ns of [N1, N2, C1]) {
        execFileSync('ip', ['netns', 'add', ns]);
        made.push(ns);
        run(ns, 'ip link set lo up');
      }
      for (const [ns, cmd] of setup) run(ns, cmd);
      const srv = spawn('ip', ['netns', 'exec', C1, process.execPath, '-e', "require('net').createServer((s) => s.end('ok')).listen(2181, () => console.log('listening'))"], { stdio: ['ignore', 'pipe', 'inherit'] });
      server = srv;
      await new Promise<void>((resolve, reject) => {
        srv.stdout!.on('data', (d: Buffer) => (String(d).includes('listening') ? resolve() : undefined));
        srv.on('exit', (code) => reject(new Error(`the container's server exited (${code})`)));
      });
      const connect = () =>
        execFileSync('ip', ['netns', 'exec', N2, process.execPath, '-e', "const s = require('net').connect({ host: '10.1.215.5', port: 2181 }); s.setTimeout(1500, () => { console.log('no answer'); process.exit(0); }); s.on('data', () => { console.log('connected'); process.exit(0); }); s.on('error', (e) => { console.log(e.code); process.exit(0); });"], { encoding: 'utf8' }).trim();
      const base = (): NodeArtifacts => ({
        ipAddr: [parseInterfaces(run(N1, 'ip a'), 'ip_a.txt')],
        routes: [parseRoutes(run(N1, 'ip route'), 'ip_route.txt')],
        flannelSubnetEnv: [parseSubnetEnv(SUBNET_ENV, 'run/flannel/subnet.env')],
      });
      const node1 = (): NodeArtifacts => ({ ...base(), iptables: [parseIptablesSave(run(N1, 'iptables-save'), 'iptables-save.txt')] });

      // Docker 28.0: the per-port DROP
      run(N1, 'iptables-restore', rules('docker28.0.iptables-restore'));
      expect(connect()).toBe('no answer');
      const [f, ...rest] = runNode(directRouting, node1(), 'node-1');
      expect(rest).toHaveLength(0);
      expect(f.severity).toBe('critical');
      expect(f.facts).toMatchObject({ interface: 'flannel.1', dropped: ['10.1.215.5:2181/tcp'] });
      expect(Number(run(N1, "iptables -t raw -L PREROUTING -v -n -x | awk '$3 == \"DROP\" { print $1 }'").trim())).toBeGreaterThan(0);
      // the remedy's stop-gap, as printed
      const stopGap = f.remedy.commands.find((c) => /-t raw -I PREROUTING 1 /.test(c))!;
      expect(stopGap).toBeDefined();
      run(N1, stopGap.replace(/\s+#.*$/, ''));
      expect(connect()).toBe('connected');
      expect(runNode(directRouting, node1(), 'node-1')).toEqual([]);

      // Docker 28.2: the per-container DROP, then with trusted_host_interfaces=flannel.1
      run(N1, 'iptables-restore', rules('docker28.2.iptables-restore'));
      expect(connect()).toBe('no answer');
      expect(runNode(directRouting, node1(), 'node-1').map((x) => x.severity)).toEqual(['critical']);
      run(N1, 'iptables-restore', rules('docker28.2-trusted.iptables-restore'));
      expect(connect()).toBe('connected');
      expect(runNode(directRouting, node1(), 'node-1')).toEqual([]);

      // Docker 29's nftables back end, then with the trusted interface in its iifname set
      const node1nft = (): NodeArtifacts => ({ ...base(), nftables: [parseNftText(run(N1, 'nft list ruleset'), 'nft_list_ruleset.txt')] });
      run(N1, 'nft flush ruleset && nft -f -', rules('docker29.nft'));
      expect(connect()).toBe('no answer');
      const [g] = runNode(directRouting, node1nft(), 'node-1');
      expect(g.facts).toMatchObject({ dockerRules: 'nft', interface: 'flannel.1' });
      run(N1, 'nft flush ruleset && nft -f -', rules('docker29-trusted.nft'));
      expect(connect()).toBe('connected');
      expect(runNode(directRouting, node1nft(), 'node-1')).toEqual([]);
    } finally {
      server?.kill();
      for (const ns of made) execFileSync('ip', ['netns', 'del', ns]);
    }
  });
});
