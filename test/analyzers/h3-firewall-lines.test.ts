/**
 * A firewall manager's log lines of containers' and pods' packets: ufw-docker's own prefix, and lines on the
 * host's own interfaces whose address is in a pod subnet the node shows (routed pod traffic).
 *
 * Real text:
 * - chaifeng/ufw-docker's README (after.rules: `-j LOG --log-prefix "[UFW DOCKER BLOCK] "` in its
 *   ufw-docker-logging-deny chain) and the lines its users pasted: chaifeng/ufw-docker#119
 *   (`[UFW DOCKER BLOCK] IN=enp6s0 OUT=br-280bbe3477ec ... SRC=XXX.XXX.XXX.XXX DST=172.19.0.4 ... DPT=80 ... SYN`,
 *   the source hidden by its poster), chaifeng/ufw-docker#156 (`IN=eth0 OUT=docker_gwbridge`, MAC and source
 *   hidden).
 * - test/fixtures/h3-logs/routed-*: kernel LOG lines made here in throw-away network namespaces (a pod of
 *   another node, 10.244.1.5, routed on eth0 without encapsulation, and that node's own address), with
 *   firewalld's and ufw's log prefixes, and the node's `ip route` / `ip addr`; see the README there.
 * - firewalld's FINAL_REJECT and ufw's [UFW BLOCK] for the host's own LAN traffic (the r4 test's lines).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import logSignatures from '../../analyzers/log-signatures.js';
import type { FindingDraft } from '../../src/engine/analyzer.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { scanLogText } from '../../src/logs/index.js';
import { parseSubnetEnv } from '../../src/parsers/flannel-env.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseRoutes } from '../../src/parsers/ip-route.js';
import { projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const read = (name: string) => readFileSync(projectPath('test/fixtures/h3-logs', name), 'utf8');
const ID = 'log.firewall-rejected-container-traffic';

function findings(log: string, host: NodeArtifacts = {}, file = 'messages'): FindingDraft[] {
  return runNode(logSignatures, { ...host, logs: [scanLogText(log, file, { year: 2026 })] });
}
const rejected = (fs: FindingDraft[]) => fs.find((f) => f.id === ID);

describe("ufw-docker's [UFW DOCKER BLOCK] lines", () => {
  const ISSUE_119 =
    'May  2 18:00:18 xxx-hetzner-1 kernel: [  216.304748] [UFW DOCKER BLOCK] IN=enp6s0 OUT=br-280bbe3477ec MAC=XX:XX:XX:XX:XX:XX:XX:XX SRC=XXX.XXX.XXX.XXX DST=172.19.0.4 LEN=60 TOS=0x00 PREC=0x00 TTL=51 ID=51523 DF PROTO=TCP SPT=33762 DPT=80 WINDOW=64240 RES=0x00 SYN URGP=0\n';
  const ISSUE_156 =
    'Aug  1 10:00:00 swarm-1 kernel: [UFW DOCKER BLOCK] IN=eth0 OUT=docker_gwbridge MAC=xx:xx:xx:xx...  SRC=xx.xx.xx.xx DST=198.51.100.3 LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID=30439 DF PROTO=TCP SPT=28061 DPT=80 WINDOW=64240 RES=0x00 SYN URGP=0\n';

  it('ufw-docker#119: the line is read (the hidden source does not lose the destination); ufw route allow to the container\'s port, a warning', () => {
    const m = scanLogText(ISSUE_119, 'kern.log', { year: 2026 }).matches.find((x) => x.signature === ID)!;
    expect(m.facts).toMatchObject({ prefix: 'UFW DOCKER BLOCK', in: 'enp6s0', out: 'br-280bbe3477ec', dst: '172.19.0.4', proto: 'TCP', dpt: '80', flags: 'SYN' });
    expect(m.facts.src).toBeUndefined();
    const f = rejected(findings(ISSUE_119))!;
    expect(f.severity).toBe('warning');
    expect(f.message).toContain("ufw-docker's rules (DOCKER-USER, [UFW DOCKER BLOCK]) dropped forwarded traffic enp6s0 → br-280bbe3477ec");
    expect(f.message).toContain('as it does for every container port not allowed with ufw route allow');
    expect(f.remedy.commands).toEqual(['ufw route allow proto tcp from any to 172.19.0.4 port 80   # the container\'s address now: it changes when the container is re-created']);
    expect(f.remedy.summary).toMatch(/^ufw-docker drops new connections from outside the private ranges/);
    expect(JSON.stringify(f.remedy)).not.toMatch(/firewall-cmd|ufw allow in on/);
  });

  it('ufw-docker#156: docker_gwbridge (a Swarm service published in host mode) is read too', () => {
    const f = rejected(findings(ISSUE_156))!;
    expect(f.facts?.zones).toEqual(['ufw-docker']);
    expect(f.remedy.commands).toEqual(['ufw route allow proto tcp from any to 198.51.100.3 port 80   # the container\'s address now: it changes when the container is re-created']);
  });

  it("ufw's own [UFW BLOCK] beside ufw-docker's: each gets its own remedy, and the container blocked by ufw itself keeps the finding critical", () => {
    const ufw =
      'Jan 21 22:28:23 kw kernel: [UFW BLOCK] IN=docker0 OUT= PHYSIN=veth9d6736b MAC=02:42:03:31:03:bd:02:42:ac:11:00:02:08:00 SRC=172.17.0.2 DST=192.168.1.5 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=46883 DF PROTO=TCP SPT=36484 DPT=9000 WINDOW=64240 RES=0x00 SYN URGP=0\n';
    const f = rejected(findings(ISSUE_119 + ufw))!;
    expect(f.severity).toBe('critical');
    expect(f.remedy.commands).toEqual(expect.arrayContaining(['ufw allow in on docker0 to any port 9000 proto tcp', expect.stringMatching(/^ufw route allow proto tcp from any to 172\.19\.0\.4 port 80/)]));
  });

  it('healthy: ufw-docker between host interfaces only, and its ALLOW-free audit wording, do not fire', () => {
    const log = [
      // the prefix on a packet between two host interfaces: not a container's
      'May  2 18:00:18 h kernel: [UFW DOCKER BLOCK] IN=enp6s0 OUT=enp7s0 MAC=XX SRC=203.0.113.9 DST=198.51.100.7 LEN=60 PROTO=TCP SPT=33762 DPT=80 WINDOW=64240 RES=0x00 SYN URGP=0',
      'May  2 18:00:19 h kernel: [UFW AUDIT] IN=br-280bbe3477ec OUT=enp6s0 SRC=172.19.0.4 DST=203.0.113.9 LEN=60 PROTO=TCP SPT=80 DPT=33762',
    ].join('\n');
    expect(rejected(findings(log))).toBeUndefined();
  });
});

describe('firewall lines of routed pod traffic (the uplink on both sides, a pod subnet the node shows)', () => {
  const dmesg = read('routed-dmesg.txt');
  const hostgw = (): NodeArtifacts => ({
    routes: [parseRoutes(read('hostgw-ip-route.txt'), 'ip_route')],
    ipAddr: [parseInterfaces(read('hostgw-ip-addr.txt'), 'ip_addr')],
    flannelSubnetEnv: [parseSubnetEnv(read('hostgw-subnet.env'), 'run/flannel/subnet.env')],
  });

  it("flannel host-gw: the remote pod's packets to the kubelet and node-exporter ports fire, critical, with the pod network as the source to trust; the host's own do not", () => {
    const f = rejected(findings(dmesg, hostgw(), 'dmesg'))!;
    expect(f).toBeDefined();
    expect(f.severity).toBe('critical');
    // three of the six lines: the pod's, not the remote node's own
    expect(f.facts?.count).toBe(3);
    expect(f.evidence.map((e) => e.line)).toEqual([1, 2, 3]);
    expect(f.message).toContain("firewalld's zone public (filter_IN_public_REJECT) rejected traffic eth0 → (the host) (10.244.1.5 → 192.168.56.11)");
    expect(f.message).toContain('ufw dropped traffic eth0 → (the host) (10.244.1.5 → 192.168.56.11)');
    expect(f.remedy.commands).toEqual([
      'firewall-cmd --permanent --zone=trusted --add-source=10.244.0.0/16',
      'ufw allow in on eth0 from 10.244.0.0/16 to any port 9100 proto tcp',
      'firewall-cmd --reload',
    ]);
    // never the uplink opened to everyone
    expect(f.remedy.commands.join('\n')).not.toMatch(/--add-interface=eth0|ufw allow in on eth0 to any/);
  });

  it("Calico's routed mode: BIRD's routes (proto bird) say which blocks are pods'", () => {
    const host: NodeArtifacts = { routes: [parseRoutes(read('calico-ip-route.txt'), 'ip_route')], ipAddr: [parseInterfaces(read('hostgw-ip-addr.txt'), 'ip_addr')] };
    const f = rejected(findings(dmesg, host, 'dmesg'))!;
    expect(f.facts?.count).toBe(3);
    expect(f.remedy.commands[0]).toBe('firewall-cmd --permanent --zone=trusted --add-source=10.244.1.0/26');
  });

  it('healthy: the same lines without any pod subnet in the bundle, or only the remote node\'s own address, never fire', () => {
    expect(rejected(findings(dmesg, {}, 'dmesg'))).toBeUndefined();
    const hostOnly = dmesg.split('\n').filter((l) => l.includes('SRC=192.168.56.12')).join('\n');
    expect(rejected(findings(hostOnly, hostgw(), 'dmesg'))).toBeUndefined();
    // the r4 test's host traffic on LANs, with a node that shows pod subnets
    const lan = [
      'Oct 27 22:39:31 localhost.com kernel: filter_IN_public_REJECT: IN=ens18 OUT= MAC=bc:24:11:33:ff:d0:08:00 SRC=192.168.137.1 DST=192.168.137.103 DF PROTO=TCP SPT=53214 DPT=80',
      'Jul 29 16:11:18 hadoop00 kernel: FINAL_REJECT: IN=enp125s0f0 OUT= MAC=f4:79:60:92:7c:82:c8:c2:fa:40:c1:e6:08:00 SRC=192.168.100.1 DST=192.168.100.12 LEN=420 TOS=0x00 PREC=0x00 TTL=64 ID=56876 DF PROTO=UDP SPT=1900 DPT=41797 LEN=400',
    ].join('\n');
    expect(rejected(findings(lan, hostgw()))).toBeUndefined();
  });

  it("healthy: a route to a container interface that covers the host's own LAN is no pod subnet", () => {
    // a (mis)configured route over the whole 192.168.0.0/16 to docker0 must not make the host's LAN a container subnet
    const routes = parseRoutes('default via 192.168.56.1 dev eth0\n192.168.0.0/16 dev docker0 proto kernel scope link src 192.168.0.1 linkdown\n192.168.56.0/24 dev eth0 proto kernel scope link src 192.168.56.11\n', 'ip_route');
    const hostOnly = dmesg.split('\n').filter((l) => l.includes('SRC=192.168.56.12')).join('\n');
    expect(rejected(findings(hostOnly, { routes: [routes], ipAddr: [parseInterfaces(read('hostgw-ip-addr.txt'), 'ip_addr')] }, 'dmesg'))).toBeUndefined();
  });
});
