/**
 * iptables.direct-routing-dropped: Docker 28's raw PREROUTING DROP for container addresses
 * (`-d <ctr> ! -i <bridge> -j DROP`) against traffic other nodes route in over flannel.1, a tunnel or
 * a static route (moby/moby#49792). Fixtures (test/fixtures/direct-routing/, made by its
 * make-fixtures.sh): node 1 of two flannel VXLAN namespaces with Docker's default bridge on flannel's
 * subnet, its ip a / ip route / iptables-save / nft list ruleset for each Docker version's rules, and
 * what a connection from node 2 to the container did (flannel-vxlan/results.txt); the issue's own
 * paste and the reviewer's reconstruction of the reporter's node (moby-49792*, see SOURCE.txt);
 * hosts with a tunnel, static routes, a Swarm node. Quiet cases: trusted_host_interfaces,
 * allow-direct-routing, single-host Docker 28 (the rule is meant to drop there), Swarm, flannel whose
 * subnet is not Docker's.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import directRouting from '../../analyzers/iptables-direct-routing-dropped.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { scanLogText } from '../../src/logs/index.js';
import { parseIptablesList } from '../../src/netfilter/list-format.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { parseNftText } from '../../src/nft/parse-text.js';
import { parseDockerNetworks } from '../../src/parsers/docker-network-inspect.js';
import { parsePsDockerd } from '../../src/parsers/dockerd-flags.js';
import { parseSubnetEnv } from '../../src/parsers/flannel-env.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseRoutes } from '../../src/parsers/ip-route.js';
import { projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const fx = (...p: string[]) => readFileSync(projectPath('test/fixtures', ...p), 'utf8');
const DR = 'direct-routing';
const flannelNode = (rules: Pick<NodeArtifacts, 'iptables' | 'nftables'>, extra: NodeArtifacts = {}): NodeArtifacts => ({
  ipAddr: [parseInterfaces(fx(DR, 'flannel-vxlan/ip_a.txt'), 'ip_a.txt')],
  routes: [parseRoutes(fx(DR, 'flannel-vxlan/ip_route.txt'), 'ip_route.txt')],
  flannelSubnetEnv: [parseSubnetEnv(fx(DR, 'flannel-vxlan/subnet.env'), 'run/flannel/subnet.env')],
  ...rules,
  ...extra,
});
const save = (f: string) => ({ iptables: [parseIptablesSave(fx(DR, 'flannel-vxlan', f), 'iptables-save.txt')] });
const nft = (f: string) => ({ nftables: [parseNftText(fx(DR, 'flannel-vxlan', f), 'nft_list_ruleset.txt')] });
/** the client line, as a container's log holds it */
/** A node folder of the fixtures with iptables-save.txt, ip_a.txt and ip_route.txt. */
const savedNode = (...dir: string[]): NodeArtifacts => ({
  iptables: [parseIptablesSave(fx(...dir, 'iptables-save.txt'), 'iptables-save.txt')],
  ipAddr: [parseInterfaces(fx(...dir, 'ip_a.txt'), 'ip_a.txt')],
  routes: [parseRoutes(fx(...dir, 'ip_route.txt'), 'ip_route.txt')],
});
const NC = 'nc: connect to 10.1.215.5 port 2181 (tcp) failed: Connection timed out\n';
const containerLog = (text: string) => scanLogText(text, 'containers/zk-client.log', { source: { container: 'zk-client' } });

describe('flannel VXLAN with docker0 on the flannel subnet (moby#49792), real rules from a namespace', () => {
  it("Docker 28.0's per-port rule drops what flannel.1 delivers: critical, traced, with the lease and flannel.1 as evidence", () => {
    const f = runNode(directRouting, flannelNode(save('docker28.0.iptables-save')));
    expect(f).toHaveLength(1);
    const [x] = f;
    expect(x.severity).toBe('critical');
    expect(x.facts).toMatchObject({ bridge: 'docker0', interface: 'flannel.1', via: 'flannel', subnet: '10.1.215.0/24', dockerRules: 'per-port', dropped: ['10.1.215.5:2181/tcp'] });
    expect(x.message).toMatch(/arrive on flannel\.1/);
    expect(x.message).toMatch(/Traced: 10\.1\.33\.2 -> 10\.1\.215\.5:2181\/tcp in on flannel\.1: DROP by raw\/PREROUTING rule 1/);
    const excerpts = x.evidence.map((e) => e.excerpt);
    expect(excerpts).toContain('-A PREROUTING -d 10.1.215.5/32 ! -i docker0 -p tcp -m tcp --dport 2181 -j DROP');
    expect(excerpts).toContain('FLANNEL_SUBNET=10.1.215.1/24');
    expect(x.evidence.some((e) => e.file === 'ip_a.txt' && /10\.1\.215\.0\/32 .*flannel\.1/.test(e.excerpt))).toBe(true);
    expect(x.evidence.some((e) => e.file === 'ip_route.txt' && /10\.1\.33\.0\/24 via 10\.1\.33\.0 dev flannel\.1/.test(e.excerpt))).toBe(true);
    // 28.0 has no option: upgrade, then allow-direct-routing for the default bridge; the stop-gap is exact; never the insecure variable
    expect(x.remedy.summary).toMatch(/Upgrade Docker to 28\.2/);
    expect(x.remedy.commands.join('\n')).toMatch(/"allow-direct-routing": true/);
    expect(x.remedy.commands).toContain("iptables -t raw -I PREROUTING 1 -d 10.1.215.0/24 -i flannel.1 -j ACCEPT   # stop-gap until then: lets flannel.1's packets past Docker's DROP (the filter rules still open published ports only); gone at reboot");
    expect(x.remedy.commands.join('\n')).not.toMatch(/DOCKER_INSECURE_NO_IPTABLES_RAW=1/);
    expect(x.remedy.caution).toMatch(/Avoid DOCKER_INSECURE_NO_IPTABLES_RAW=1/);
  });

  it('the same rule as `iptables -t raw -L -v -n` lists it (protocol 6, the counters of the failed connection)', () => {
    const list = parseIptablesList(fx(DR, 'flannel-vxlan/docker28.0.iptables-raw-L-v-n'), 'iptables_-t_raw_-nvL', { table: 'raw' });
    const [x, ...rest] = runNode(directRouting, flannelNode({ iptables: [list] }));
    expect(rest).toHaveLength(0);
    expect(x.severity).toBe('critical');
    expect(x.facts).toMatchObject({ interface: 'flannel.1', dropped: ['10.1.215.5:2181/tcp'], dockerRules: 'per-port' });
    expect(x.evidence[0]).toMatchObject({ file: 'iptables_-t_raw_-nvL', line: 3 });
    expect(x.evidence[0].note).toMatch(/it counted [1-9]\d* dropped packets?/);
  });

  it("Docker 28.2's per-container rule: the published port comes from Docker's DNAT/ACCEPT, no upgrade asked", () => {
    const [x, ...rest] = runNode(directRouting, flannelNode(save('docker28.2.iptables-save')));
    expect(rest).toHaveLength(0);
    expect(x.severity).toBe('critical');
    expect(x.facts).toMatchObject({ dockerRules: 'per-container', dropped: ['10.1.215.5:2181/tcp'], interface: 'flannel.1' });
    expect(x.facts?.notPublished).toBeUndefined();
    expect(x.remedy.summary).not.toMatch(/Upgrade/);
  });

  it('the subnet-wide rule moby#52224 proposes (-d <subnet> ! -i <bridge>, with -i lo accepted): traced to the published container', () => {
    const [x, ...rest] = runNode(directRouting, flannelNode(save('subnet-wide.iptables-save')));
    expect(rest).toHaveLength(0);
    expect(x.facts).toMatchObject({ dockerRules: 'subnet', dropped: ['10.1.215.5:2181/tcp'], interface: 'flannel.1' });
    expect(x.message).toMatch(/drops everything addressed to 10\.1\.215\.0\/24 that does not come in on docker0/);
  });

  it('a client line that timed out on exactly that address and port is evidence, and explained', () => {
    const [x] = runNode(directRouting, flannelNode(save('docker28.0.iptables-save'), { logs: [containerLog(NC)] }));
    expect(x.facts?.explainsLogLines).toEqual(['containers/zk-client.log:1']);
    expect(x.evidence.some((e) => e.file === 'containers/zk-client.log' && e.line === 1)).toBe(true);
  });

  it('a port that is not published: the raw rule drops it first, and the message says the filter would too', () => {
    const [x] = runNode(directRouting, flannelNode(save('docker28.2.iptables-save'), { logs: [containerLog('nc: connect to 10.1.215.5 port 8080 (tcp) failed: Connection timed out\n')] }));
    expect(x.facts?.dropped).toEqual(['10.1.215.5:2181/tcp', '10.1.215.5:8080/tcp']);
    expect(x.facts?.notPublished).toEqual(['10.1.215.5:8080/tcp']);
    expect(x.message).toMatch(/10\.1\.215\.5:8080\/tcp is also dropped by filter\/DOCKER rule 2: the port is not published/);
  });

  it("Docker 28.2 with trusted_host_interfaces=flannel.1 (its ACCEPT ahead of the DROP): quiet", () => {
    expect(runNode(directRouting, flannelNode(save('docker28.2-trusted.iptables-save'), { logs: [containerLog(NC)] }))).toEqual([]);
  });

  it('allow-direct-routing (no raw rules), and the stop-gap applied to 28.0: quiet', () => {
    expect(runNode(directRouting, flannelNode(save('docker28.2-allow-direct-routing.iptables-save'), { logs: [containerLog(NC)] }))).toEqual([]);
    expect(runNode(directRouting, flannelNode(save('docker28.0-stopgap.iptables-save'), { logs: [containerLog(NC)] }))).toEqual([]);
  });

  it("Docker 29's nftables back end: the drop in ip docker-bridges raw-PREROUTING; trusted (iifname set) is quiet", () => {
    const [x, ...rest] = runNode(directRouting, flannelNode(nft('docker29.nft')));
    expect(rest).toHaveLength(0);
    expect(x.severity).toBe('critical');
    expect(x.facts).toMatchObject({ dockerRules: 'nft', interface: 'flannel.1', dropped: ['10.1.215.5:2181/tcp'] });
    expect(x.evidence[0].excerpt).toMatch(/^ip daddr 10\.1\.215\.5 iifname != "docker0" counter packets [1-9]\d* bytes \d+ drop comment "DROP DIRECT ACCESS"$/);
    // no iptables stop-gap: an accept in another table cannot undo Docker's drop
    expect(x.remedy.commands.join('\n')).not.toMatch(/-t raw -I PREROUTING/);
    expect(runNode(directRouting, flannelNode(nft('docker29-trusted.nft')))).toEqual([]);
  });

  it("dockerd --bip=${FLANNEL_SUBNET} (the classic flannel + Docker setup) is shown as evidence", () => {
    const ps = parsePsDockerd('USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\nroot         812  0.4  2.1 2043312 86412 ?      Ssl  09:12   1:02 /usr/bin/dockerd --bip=10.1.215.1/24 --mtu=1450 -H fd://\n', 'ps_auxwww');
    const [x] = runNode(directRouting, flannelNode(save('docker28.2.iptables-save'), { dockerDaemon: [ps] }));
    expect(x.evidence.some((e) => e.file === 'ps_auxwww' && /--bip=10\.1\.215\.1\/24/.test(e.excerpt))).toBe(true);
  });

  it('without ip addr: flannel.1 is assumed (and said so), still critical', () => {
    const a = flannelNode(save('docker28.0.iptables-save'));
    delete a.ipAddr;
    delete a.routes;
    const [x] = runNode(directRouting, a);
    expect(x.severity).toBe('critical');
    expect(x.facts).toMatchObject({ interface: 'flannel.1', interfaceAssumed: true });
    expect(x.message).toMatch(/no ip addr in the bundle: flannel\.1 is flannel's VXLAN interface/);
  });
});

describe("the reviewer's reconstruction of the reporter's node, and the issue's paste", () => {
  it('moby-49792-full (Docker 28.0.4, flannel.1, subnet.env): critical', () => {
    const d = 'moby-49792-full';
    const [x, ...rest] = runNode(directRouting, {
      iptables: [parseIptablesSave(fx(DR, d, 'iptables-save.txt'), 'iptables-save.txt')],
      ipAddr: [parseInterfaces(fx(DR, d, 'ip-a.txt'), 'ip-a.txt')],
      flannelSubnetEnv: [parseSubnetEnv(fx(DR, d, 'subnet.env'), 'subnet.env')],
    });
    expect(rest).toHaveLength(0);
    expect(x.severity).toBe('critical');
    expect(x.facts).toMatchObject({ interface: 'flannel.1', dropped: ['10.1.215.5:2181/tcp'], dockerRules: 'per-port' });
    expect(x.evidence[0]).toMatchObject({ file: 'iptables-save.txt', line: 5 });
  });

  it("the pasted `iptables -t raw -L -v -n | grep 2181` and the nc that timed out: the rule counted 33 drops, critical", () => {
    // the layout does not yet read this file as rules: parsed here as the raw table's PREROUTING rows it is
    const text = fx(DR, 'moby-49792', 'iptables-raw.txt');
    const [x, ...rest] = runNode(directRouting, {
      iptables: [parseIptablesList(text, 'iptables-raw.txt', { table: 'raw', chain: 'PREROUTING' })],
      logs: [scanLogText(text, 'iptables-raw.txt')],
    });
    expect(rest).toHaveLength(0);
    expect(x.severity).toBe('critical');
    expect(x.facts).toMatchObject({ bridge: 'docker0', dropped: ['10.1.215.5:2181'], droppedPackets: 33, explainsLogLines: ['iptables-raw.txt:7'] });
    expect(x.evidence[0]).toMatchObject({ file: 'iptables-raw.txt', line: 3 });
    expect(x.message).toMatch(/It counted 33 dropped packets/);
  });

  it('the same timeout with rules that count nothing (iptables-save without -c): a warning', () => {
    const [x] = runNode(directRouting, { iptables: [parseIptablesSave(fx(DR, 'flannel-vxlan/docker28.2.iptables-save'), 'iptables-save.txt')], logs: [containerLog(NC)] });
    expect(x.severity).toBe('warning');
    expect(x.facts?.explainsLogLines).toEqual(['containers/zk-client.log:1']);
  });
});

describe('tunnels and static routes', () => {
  const host = (d: string): NodeArtifacts => ({
    iptables: [parseIptablesSave(fx(DR, d, 'iptables-save.txt'), 'iptables-save.txt')],
    ipAddr: [parseInterfaces(fx(DR, d, 'ip_a.txt'), 'ip_a.txt')],
    routes: [parseRoutes(fx(DR, d, 'ip_route.txt'), 'ip_route.txt')],
  });

  it("the other hosts' container subnets over tun0: critical, traced in on tun0", () => {
    const [x, ...rest] = runNode(directRouting, host('tun-route'));
    expect(rest).toHaveLength(0);
    expect(x.severity).toBe('critical');
    expect(x.facts).toMatchObject({ interface: 'tun0', via: 'tunnel', subnet: '10.20.1.0/24', dropped: ['10.20.1.5:2181/tcp'] });
    expect(x.evidence.some((e) => /^10\.20\.2\.0\/24 via 10\.8\.0\.2 dev tun0/.test(e.excerpt))).toBe(true);
  });

  it("flannel's host-gw back end (no flannel.1; the lease's siblings routed over eth0): critical, in on eth0", () => {
    const a = host('static-route');
    a.flannelSubnetEnv = [parseSubnetEnv('FLANNEL_NETWORK=10.20.0.0/16\nFLANNEL_SUBNET=10.20.1.1/24\nFLANNEL_MTU=1500\nFLANNEL_IPMASQ=false\n', 'subnet.env')];
    const [x, ...rest] = runNode(directRouting, a);
    expect(rest).toHaveLength(0);
    expect(x.severity).toBe('critical');
    expect(x.facts).toMatchObject({ interface: 'eth0', via: 'flannel', interfaceAssumed: true });
    expect(x.message).toMatch(/host-gw back end routes the other nodes' subnets over eth0/);
  });

  it("static routes to the other Docker hosts' bridge subnets over eth0: a warning (their routes back are inferred)", () => {
    const [x, ...rest] = runNode(directRouting, host('static-route'));
    expect(rest).toHaveLength(0);
    expect(x.severity).toBe('warning');
    expect(x.facts).toMatchObject({ interface: 'eth0', via: 'route' });
    expect(x.message).toMatch(/inferred from this node's routes/);
  });
});

describe('quiet where the drop is intended', () => {
  it("a tunnel and routes that lead elsewhere (an office /24 and a corporate 10/8 over tun0, a /16 via the gateway)", () => {
    const d = 'tun-unrelated';
    expect(
      runNode(directRouting, savedNode(DR, d)),
    ).toEqual([]);
  });

  it('a single-host Docker 28 host (no overlay, tunnel or route into the bridge subnet)', () => {
    const d = 'ipv6/docker-dualstack-healthy';
    expect(
      runNode(directRouting, savedNode(d)),
    ).toEqual([]);
  });

  it('Docker 28 with a routed upstream and no masquerade (forward-blocks-containers reports that one), and with NAT', () => {
    const d = 'netfilter/docker-direct-access';
    for (const f of ['docker28-nomasq.iptables-save', 'docker28-nat.iptables-save'])
      expect(
        runNode(directRouting, {
          iptables: [parseIptablesSave(fx(d, f), 'iptables-save')],
          ipAddr: [parseInterfaces(fx(d, 'ip_addr'), 'ip_addr')],
          routes: [parseRoutes(fx(d, 'ip_route'), 'ip_route')],
          dockerNetworks: [parseDockerNetworks(fx(d, 'docker_network_inspect'), 'docker_network_inspect')],
        }),
      ).toEqual([]);
  });

  it('a Swarm node: overlay traffic is decapsulated in the overlay namespace, docker_gwbridge is not routed in', () => {
    const d = 'swarm';
    expect(
      runNode(directRouting, savedNode(DR, d)),
    ).toEqual([]);
  });

  it("flannel for Kubernetes pods (cni0) beside Docker's own docker0: the lease does not hold Docker's containers", () => {
    const d = 'ipv6/docker-dualstack-healthy';
    expect(
      runNode(directRouting, {
        iptables: [parseIptablesSave(fx(d, 'iptables-save.txt'), 'iptables-save.txt')],
        ipAddr: [parseInterfaces(fx(d, 'ip_a.txt'), 'ip_a.txt')],
        flannelSubnetEnv: [parseSubnetEnv('FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n', 'subnet.env')],
        logs: [containerLog('nc: connect to 10.244.2.7 port 80 (tcp) failed: Connection timed out\n')],
      }),
    ).toEqual([]);
  });

  it("a host daemon's timeout to a container address (its packets never pass PREROUTING): quiet", () => {
    const logs = [scanLogText('Dec 02 10:00:00 vm1 dockerd[812]: dial tcp 10.1.215.5:2181: connect: connection timed out\n', 'journal.txt', { year: 2026 })];
    expect(runNode(directRouting, { iptables: [parseIptablesSave(fx(DR, 'flannel-vxlan/docker28.2.iptables-save'), 'iptables-save.txt')], logs })).toEqual([]);
  });
});
