/**
 * Log signatures from reviewer R4's tickets: Docker finding no free address pool (the routes that took
 * its pools named, critical while dockerd is down), a firewall manager's LOG lines of containers'
 * packets (firewalld's LogDenied, ufw), Calico's BGP peers (a bridge's address autodetected), and
 * iptables-nft's table-level "incompatible" wording.
 *
 * Real text: moby/libnetwork#779 (dockerd 1.9 and `ip route`, test/fixtures/log-signatures-r4), docker/for-linux#123
 * as a Fedora/CentOS journal quotes it (the pool list), a compose run (`docker-compose up`: "ERROR: could not find an
 * available, non-overlapping IPv4 address pool"), a CentOS dockerd-current journal (iptables 1.4.21 without the nat
 * table), flannel-io/flannel#2055 (firewalld's filter_FWD_public_REJECT), firewalld's filter_IN_public_REJECT / FINAL_REJECT
 * for the host's own traffic (RHEL lab and forum pastes), ufw's [UFW BLOCK] from docker0 (a MinIO write-up: a container
 * to the host's port 9000), projectcalico/calico#8607 and kubectl describe's probe message (10.0.3.142,10.0.3.78),
 * moby/moby#48411 (iptables 1.8.10), and iptables-nft 1.8.9 run here in a throw-away namespace (`iptables -t nat -S`,
 * iptables-save over an nft-made nat table, `iptables -S NOPE`).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import logSignatures from '../../analyzers/log-signatures.js';
import type { FindingDraft } from '../../src/engine/analyzer.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { scanLogText } from '../../src/logs/index.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseRoutes } from '../../src/parsers/ip-route.js';
import { parseSystemctlText } from '../../src/parsers/services.js';
import { projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const FIX = 'test/fixtures/log-signatures-r4';
const read = (name: string) => readFileSync(projectPath(FIX, name), 'utf8');

function findings(log: string, host: NodeArtifacts = {}, file = 'messages'): FindingDraft[] {
  return runNode(logSignatures, { ...host, logs: [scanLogText(log, file, { year: 2026 })] });
}
const byId = (fs: FindingDraft[], id: string) => fs.find((f) => f.id === id);

const units = (state: 'active running' | 'failed failed') =>
  parseSystemctlText(
    `  UNIT                               LOAD   ACTIVE SUB     DESCRIPTION\n  docker.service                     loaded ${state.padEnd(15)} Docker Application Container Engine\n  ssh.service                        loaded active running OpenBSD Secure Shell server\n\nLOAD   = Reflects whether the unit definition was properly loaded.\n`,
    'systemctl_list-units',
  );

describe('Docker finds no free address pool', () => {
  const vpnRoutes = () => ({ routes: [parseRoutes(read('vpn-ip-route.txt'), 'ip-route.txt')] });

  it("moby/libnetwork#779: the VPN's def1 pair named, critical, bip as the fix, not iptables", () => {
    const fs = findings(read('vpn-docker-daemon.log'), vpnRoutes(), 'docker-daemon.log');
    const f = byId(fs, 'log.docker-no-free-address-pool')!;
    expect(f).toBeDefined();
    expect(f.severity).toBe('critical');
    expect(f.message).toContain('The routes 0.0.0.0/1 and 128.0.0.0/1 via 10.8.0.5 dev tun0 (ip-route.txt:1, :7)');
    expect(f.evidence.map((e) => `${e.file}:${e.line}`)).toEqual(expect.arrayContaining(['docker-daemon.log:6', 'ip-route.txt:1', 'ip-route.txt:7']));
    expect(f.remedy.summary).toMatch(/^Every private range is routed here/);
    expect(f.remedy.commands).toEqual(['# /etc/docker/daemon.json, beside its other settings: "bip": "10.200.0.1/24"   (a range the VPN need not carry)', 'systemctl start docker']);
    expect(JSON.stringify(f.remedy)).not.toMatch(/iptables/);
    // the same line is no longer the network controller's iptables finding
    expect(byId(fs, 'log.docker-network-controller-failed')).toBeUndefined();
  });

  it('docker/for-linux#123 with the pools listed: the routes that cover them, and a free range for bip and the pools', () => {
    const log =
      'Jan 22 17:21:45 l57f12112.sqa.nu8 dockerd[68317]: failed to start daemon: Error initializing network controller: list bridge addresses failed: PredefinedLocalScopeDefaultNetworks List: [172.17.0.0/16 172.18.0.0/16 172.19.0.0/16 172.20.0.0/16 172.21.0.0/16 172.22.0.0/16 172.23.0.0/16 172.24.0.0/16 172.25.0.0/16 172.26.0.0/16 172.27.0.0/16 172.28.0.0/16 172.29.0.0/16 172.30.0.0/16 172.31.0.0/16 192.168.0.0/20 192.168.16.0/20 192.168.32.0/20 192.168.48.0/20 192.168.64.0/20 192.168.80.0/20 192.168.96.0/20 192.168.112.0/20 192.168.128.0/20 192.168.144.0/20 192.168.160.0/20 192.168.176.0/20 192.168.192.0/20 192.168.208.0/20 192.168.224.0/20 192.168.240.0/20]: no available network\n';
    // a corporate VPN pushing 172.16.0.0/12 and 192.168.0.0/16 (iproute2's shape)
    const routes = parseRoutes('default via 10.0.2.2 dev enp0s3 proto dhcp metric 100 \n10.0.2.0/24 dev enp0s3 proto kernel scope link src 10.0.2.15 metric 100 \n172.16.0.0/12 via 10.9.0.1 dev tun0 \n192.168.0.0/16 via 10.9.0.1 dev tun0 \n', 'ip_route');
    const f = byId(findings(log, { routes: [routes], services: [units('failed failed')] }), 'log.docker-no-free-address-pool')!;
    expect(f.severity).toBe('critical');
    expect(f.message).toContain('Every one of the pools the message lists overlaps a route: 172.16.0.0/12 via 10.9.0.1 dev tun0; 192.168.0.0/16 via 10.9.0.1 dev tun0.');
    expect(f.message).toContain('dockerd was not running when the bundle was collected (failed)');
    expect(f.remedy.commands[0]).toBe('# /etc/docker/daemon.json, beside its other settings: "bip": "10.200.0.1/24", "default-address-pools": [{"base": "10.201.0.0/16", "size": 24}]');
  });

  it('dockerd running when the bundle was collected: a warning, the later start named', () => {
    const f = byId(findings(read('vpn-docker-daemon.log'), { ...vpnRoutes(), services: [units('active running')] }, 'docker-daemon.log'), 'log.docker-no-free-address-pool')!;
    expect(f.severity).toBe('warning');
    expect(f.message).toContain('docker.service was running when the bundle was collected');
  });

  it("dockerd's 'Daemon has completed initialization' after the failure: a warning", () => {
    const log = `${read('vpn-docker-daemon.log')}INFO[0003] Daemon has completed initialization          \n`;
    const f = byId(findings(log, vpnRoutes(), 'docker-daemon.log'), 'log.docker-no-free-address-pool')!;
    expect(f.severity).toBe('warning');
    expect(f.message).toContain('dockerd started after it (docker-daemon.log:7');
  });

  it('a compose network that finds no pool: Docker runs, a warning, docker network prune among the fixes', () => {
    const log = 'Creating network "php_default" with the default driver\nERROR: could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network\n';
    const f = byId(findings(log, {}, 'compose.log'), 'log.docker-no-free-address-pool')!;
    expect(f.severity).toBe('warning');
    expect(f.remedy.summary).toContain('docker network prune');
  });

  it('healthy: a network controller failing on iptables keeps the iptables advice, and no pool finding', () => {
    const log =
      "Nov 19 15:14:22 VM_0_16_centos dockerd-current[13155]: Error starting daemon: Error initializing network controller: error obtaining controller instance: failed to create NAT chain: iptables failed: iptables --wait -t nat -N DOCKER: iptables v1.4.21: can't initialize iptables table `nat': Table does not exist (do you need to insmod?)\n";
    const fs = findings(log);
    expect(byId(fs, 'log.docker-no-free-address-pool')).toBeUndefined();
    const f = byId(fs, 'log.docker-network-controller-failed')!;
    expect(f.remedy.summary).toContain('The reason names iptables: a missing kernel table module');
    // nothing shows dockerd up afterwards: it is down
    expect(f.severity).toBe('critical');
  });

  it("healthy: list bridge addresses failing on netlink (no pool wording) is no pool finding, nor iptables' advice", () => {
    const log = 'failed to start daemon: Error initializing network controller: list bridge addresses failed: Wrong sender portid 4026531993, expected 0\n';
    const fs = findings(log, { services: [units('active running')] });
    expect(byId(fs, 'log.docker-no-free-address-pool')).toBeUndefined();
    const f = byId(fs, 'log.docker-network-controller-failed')!;
    expect(f.remedy.summary).not.toMatch(/iptables/);
    expect(f.severity).toBe('warning');
  });
});

describe("a firewall manager's log lines of containers' packets", () => {
  /** flannel-io/flannel#2055, as pasted (cut at "T>") */
  const FLANNEL = 'Sep 15 09:10:14 kubeadm1.galifrey.net kernel: filter_FWD_public_REJECT: IN=flannel.1 OUT=cni0 MAC=56:91:4a:53:80:9b:7a:76:66:99:cf:da:08:00 SRC=10.244.1.0 DST=10.244.0.2 LEN=69 T>\n';
  const UFW_DOCKER0 =
    'Jan 21 22:28:23 kw kernel: [UFW BLOCK] IN=docker0 OUT= PHYSIN=veth9d6736b MAC=02:42:03:31:03:bd:02:42:ac:11:00:02:08:00 SRC=172.17.0.2 DST=192.168.1.5 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=46883 DF PROTO=TCP SPT=36484 DPT=9000 WINDOW=64240 RES=0x00 SYN URGP=0\n';

  it('flannel-io/flannel#2055: firewalld\'s zone public rejects flannel.1 → cni0: critical, the trusted zone for the pod network', () => {
    const f = byId(findings(FLANNEL), 'log.firewall-rejected-container-traffic')!;
    expect(f.severity).toBe('critical');
    expect(f.message).toBe(
      "1 line on node-1: firewalld's zone public (filter_FWD_public_REJECT) rejected forwarded traffic flannel.1 → cni0 (10.244.1.0 → 10.244.0.2). The firewall is rejecting these containers' traffic now.",
    );
    expect(f.remedy.commands).toEqual([
      "firewall-cmd --permanent --zone=trusted --add-source=10.244.0.0/16   # flannel's default Network, which holds both addresses: FLANNEL_NETWORK in /run/flannel/subnet.env says which it is",
      'firewall-cmd --permanent --zone=trusted --add-interface=flannel.1 --add-interface=cni0   # or the interfaces (--change-interface where another zone has one)',
      'firewall-cmd --reload',
    ]);
    expect(f.remedy.summary).toContain('Not systemctl stop firewalld.');
  });

  it('ufw blocking a container on docker0 from a host port: ufw allow in on docker0 for that port', () => {
    const f = byId(findings(UFW_DOCKER0), 'log.firewall-rejected-container-traffic')!;
    expect(f.severity).toBe('critical');
    expect(f.message).toContain('ufw dropped traffic docker0 → (the host) (172.17.0.2 → 192.168.1.5)');
    expect(f.remedy.commands).toEqual(['ufw allow in on docker0 to any port 9000 proto tcp']);
  });

  it("one old line (three days before the log's end) is info", () => {
    const log = `${FLANNEL}Sep 18 10:00:00 kubeadm1.galifrey.net systemd[1]: Started Session 12 of User root.\n`;
    expect(byId(findings(log), 'log.firewall-rejected-container-traffic')!.severity).toBe('info');
  });

  it('only TCP packets of closed connections (ACK FIN, no SYN) are info: late strays', () => {
    const log = UFW_DOCKER0.replace('RES=0x00 SYN URGP=0', 'RES=0x00 ACK FIN URGP=0');
    expect(byId(findings(log), 'log.firewall-rejected-container-traffic')!.severity).toBe('info');
  });

  it("healthy: the host's own traffic (IN=ens18 OUT=, FINAL_REJECT on the uplink, ufw on eth0) never fires", () => {
    const log = [
      'Oct 27 22:39:31 localhost.com kernel: filter_IN_public_REJECT: IN=ens18 OUT= MAC=bc:24:11:33:ff:d0:08:00 SRC=192.168.137.1 DST=192.168.137.103 DF PROTO=TCP SPT=53214 DPT=80',
      'Jul 29 16:11:18 hadoop00 kernel: FINAL_REJECT: IN=enp125s0f0 OUT= MAC=f4:79:60:92:7c:82:c8:c2:fa:40:c1:e6:08:00 SRC=192.168.100.1 DST=192.168.100.12 LEN=420 TOS=0x00 PREC=0x00 TTL=64 ID=56876 DF PROTO=UDP SPT=1900 DPT=41797 LEN=400',
      'Jan 21 22:30:01 kw kernel: [UFW BLOCK] IN=eth0 OUT= MAC=02:42:03:31:03:bd:02:42:ac:11:00:02:08:00 SRC=203.0.113.9 DST=192.168.1.5 LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID=54321 DF PROTO=TCP SPT=51234 DPT=22 WINDOW=64240 RES=0x00 SYN URGP=0',
    ].join('\n');
    expect(byId(findings(log), 'log.firewall-rejected-container-traffic')).toBeUndefined();
  });
});

describe("Calico's BGP peers", () => {
  /** projectcalico/calico#8607's title, the readiness probe's message */
  const PROBE = 'calico/node is not ready: BIRD is not ready: BGP not established with 172.21.0.1\n';

  it("calico#8607 with ip addr: 172.21.0.1 is a Docker bridge's address here: critical, autodetection on the uplink", () => {
    const host = {
      ipAddr: [parseInterfaces(read('calico-ip-addr.txt'), 'ip_addr')],
      routes: [parseRoutes(read('calico-ip-route.txt'), 'ip_route')],
    };
    const f = byId(findings(PROBE, host, 'calico-node.log'), 'log.calico-bgp-not-established')!;
    expect(f.severity).toBe('critical');
    expect(f.message).toContain("172.21.0.1 is the address of br-5e2a8c1f0b7d on this node: Calico's first-found autodetection registered a node with a bridge's address");
    expect(f.evidence.map((e) => `${e.file}:${e.line}`)).toEqual(['calico-node.log:1', 'ip_addr:9']);
    expect(f.remedy.commands).toEqual([
      `kubectl patch installation default --type=merge -p '{"spec":{"calicoNetwork":{"nodeAddressAutodetectionV4":{"interface":"eth0"}}}}'   # operator install`,
      'kubectl -n kube-system set env daemonset/calico-node IP_AUTODETECTION_METHOD=interface=eth0   # manifest install',
      'calicoctl get nodes -o wide   # afterwards: every node with its uplink address',
    ]);
  });

  it('calico#8607 as pasted (no ip addr): the gateway shape, a warning, hedged', () => {
    const f = byId(findings(PROBE, {}, 'calico-node.log'), 'log.calico-bgp-not-established')!;
    expect(f.severity).toBe('warning');
    expect(f.message).toContain("172.21.0.1 looks like a Docker or libvirt bridge's gateway");
  });

  it('node addresses as peers: one probe line is info (calico-node starting), two a warning with the port 179 checks', () => {
    const line = 'calico/node is not ready: BIRD is not ready: BGP not established with 10.0.3.142,10.0.3.78\n';
    const one = byId(findings(line, {}, 'calico-node.log'), 'log.calico-bgp-not-established')!;
    expect(one.severity).toBe('info');
    expect(one.facts?.peers).toEqual(['10.0.3.142', '10.0.3.78']);
    const two = byId(findings(line + line, {}, 'calico-node.log'), 'log.calico-bgp-not-established')!;
    expect(two.severity).toBe('warning');
    expect(two.remedy.commands).toContain('nc -zv -w 3 10.0.3.142 179   # BGP\'s port on the peer');
    expect(JSON.stringify(two.remedy)).not.toMatch(/nodeAddressAutodetectionV4.*interface":"/);
  });

  it('healthy: BGP established lines do not fire', () => {
    const log = '2022-11-21 01:46:49.282 [INFO][1063] confd/health.go 180: Number of node(s) with BGP peering established = 2\n';
    expect(byId(findings(log, {}, 'calico-node.log'), 'log.calico-bgp-not-established')).toBeUndefined();
  });
});

describe("iptables-nft's incompatible tables", () => {
  it('moby/moby#48411: iptables 1.8.10 refuses the whole filter and nat tables: nft list table for each', () => {
    const log = "iptables v1.8.10 (nf_tables): table `filter' is incompatible, use 'nft' tool.\niptables v1.8.10 (nf_tables): table `nat' is incompatible, use 'nft' tool.\n";
    const f = byId(findings(log, {}, 'terminal.log'), 'log.nf-tables-incompatible')!;
    expect(f.facts?.table).toEqual(['filter', 'nat']);
    expect(f.remedy.commands).toEqual(['nft list table ip filter   # the rules iptables cannot show', 'nft list table ip nat   # the rules iptables cannot show']);
  });

  it("iptables-save 1.8.9's comment over a nat table nft made, and the chain wording, still fire", () => {
    expect(byId(findings("# Table `nat' is incompatible, use 'nft' tool.\n", {}, 'terminal.log'), 'log.nf-tables-incompatible')).toBeDefined();
    const chain = byId(findings("iptables v1.8.9 (nf_tables): chain `NOPE' in table `filter' is incompatible, use 'nft' tool.\n", {}, 'terminal.log'), 'log.nf-tables-incompatible')!;
    expect(chain.facts?.chain).toEqual(['NOPE']);
  });

  it('healthy: a normal iptables-save header does not fire', () => {
    expect(byId(findings('# Generated by iptables-save v1.8.9 (nf_tables) on Wed Dec  2 14:53:50 2026\n*filter\n', {}, 'terminal.log'), 'log.nf-tables-incompatible')).toBeUndefined();
  });
});

describe('docker/for-linux#599: the client\'s "Error response from daemon" (R10)', () => {
  it('says the daemon runs, not that dockerd exits', () => {
    // verbatim: the title (the daemon's answer to docker network create) and a reporter's ip route under NordVPN
    const err = readFileSync(projectPath('test/fixtures/forlinux599/docker-error.txt'), 'utf8');
    const routes = parseRoutes(readFileSync(projectPath('test/fixtures/forlinux599/ip-route.txt'), 'utf8'), 'ip-route.txt');
    const f = byId(findings(err, { routes: [routes] }, 'docker-error.txt'), 'log.docker-no-free-address-pool')!;
    expect(f.message).not.toMatch(/dockerd exits/);
    expect(f.message).toMatch(/the daemon answered a request \(Error response from daemon\): it runs/);
    expect(f.message).toMatch(/128\.0\.0\.0\/1 via 10\.8\.8\.1 dev tun0/);
  });
});

