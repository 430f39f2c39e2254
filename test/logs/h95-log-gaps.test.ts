/**
 * H95 (reviewer R29): a LOG rule of the host's own dropping containers' forwarded traffic (R29 06, 07), a running kernel
 * without its module tree (R29 02, 10; R29 03's wording: on the host, ip_tables too), iptables-nft on a kernel without
 * nf_tables (R29 01, WSL2). Every log line below is verbatim from the ticket named beside it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const REJECTED = 'log.firewall-rejected-container-traffic';
const CONTROLLER = 'log.docker-network-controller-failed';
const TABLE = 'log.iptables-table-unavailable';

// voxpupuli/puppet-nftables#114
const PUPPET_NFT =
  '2021-12-06T15:28:47.648098+01:00 cbox-appsdev-01.cern.ch kernel: [nftables] FORWARD Rejected: IN=br-ea660202f5a0 OUT=eth0 PHYSIN=vethbd4a68f MACSRC=xxxxxx MACDST=xxxxxx MACPROTO=0800 SRC=172.19.0.2 DST=x.x.x.x LEN=56 TOS=0x00 PREC=0x00 TTL=63 ID=19185 DF PROTO=UDP SPT=54587 DPT=53 LEN=36 ';
// oniGino/docker-nftables-scripts#1
const NFT_CONF_DROP = 'NFTABLES IPv4 FORWARD DROP - IN=docker0 OUT=eno1 PHYSIN=veth1504c43 SRC=172.17.0.4 DST=8.8.8.8 ...';
// flannel-io/flannel#2055 (firewalld's LogDenied): still firewalld's remedy
const FIREWALLD = 'Sep 15 09:10:14 kubeadm1.galifrey.net kernel: filter_FWD_public_REJECT: IN=flannel.1 OUT=cni0 MAC=56:91:4a:53:80:9b:7a:76:66:99:cf:da:08:00 SRC=10.244.1.0 DST=10.244.0.2 LEN=69 T>';
// vzhilov/WDMC-Ex2-Ultra#3, dockerd -D
const WDMC = [
  'failed to start daemon: Error initializing network controller: error obtaining controller instance: failed to create NAT chain DOCKER: iptables failed: iptables -t nat -N DOCKER: modprobe: FATAL: Module ip_tables not found in directory /lib/modules/5.5.3-mvebu-tld-1-dirty',
  "iptables v1.8.4 (legacy): can't initialize iptables table `nat': Table does not exist (do you need to insmod?)",
  'Perhaps iptables or your kernel needs to be upgraded.',
].join('\n');
// scaleway/kernel-tools#228 (journalctl -u docker, one line)
const SCALEWAY =
  'time="2016-03-12T19:22:38.210063311Z" level=fatal msg="Error starting daemon: Error initializing network controller: error obtaining controller instance: failed to create NAT chain: iptables failed: iptables -t nat -N DOCKER: modprobe: FATAL: Module ip_tables not found in directory /lib/modules/4.4.4-std-manual\\niptables v1.4.21: can\'t initialize iptables table `nat\': Table does not exist (do you need to insmod?)\\nPerhaps iptables or your kernel needs to be upgraded.\\n (exit status 3)" ';
// dockur/windows#250 (a container's log)
const DOCKUR = "iptables v1.8.10 (legacy): can't initialize iptables table `nat': Table does not exist (do you need to insmod?)\nPerhaps iptables or your kernel needs to be upgraded.";
// microsoft/WSL#6655
const WSL =
  ' failed to start daemon: Error initializing network controller: error obtaining controller instance: unable to add return rule in DOCKER-ISOLATION-STAGE-1 chain:  (iptables failed: iptables --wait -A DOCKER-ISOLATION-STAGE-1 -j RETURN: iptables v1.8.7 (nf_tables):  RULE_APPEND failed (No such file or directory): rule in chain DOCKER-ISOLATION-STAGE-1\n (exit status 4))';
// microsoft/WSL#767: the release of a WSL2 kernel as its reporter's uname -a printed it (uname -r's output)
const WSL_UNAME = '4.19.84-microsoft-standard';

async function findings(files: Record<string, string>, name: string) {
  return (await analyzeBundle(writeFolder(files, name))).findings;
}

describe('a LOG rule of the host\'s own that drops or rejects containers\' traffic (R29 06, 07)', () => {
  it("puppet-nftables' forward reject of a Docker bridge's DNS: a warning naming the bridge, the direction, the port, the host's own rules", async () => {
    const f = (await findings({ messages: `${PUPPET_NFT}\n` }, 'h95-puppet')).find((x) => x.id === REJECTED);
    expect(f).toBeDefined();
    expect(f!.severity).toBe('warning');
    expect(f!.message).toContain('[nftables] FORWARD Rejected:');
    expect(f!.message).toContain('br-ea660202f5a0 → eth0');
    expect(f!.message).toContain('udp port 53 (DNS)');
    expect(f!.message).not.toContain('undefined');
    expect(f!.remedy.summary).toMatch(/host's own nftables or iptables configuration/);
    expect(f!.remedy.summary).toMatch(/flush ruleset/);
    expect(f!.remedy.commands).toContain('nft insert rule inet filter forward iifname "br-ea660202f5a0" accept');
    expect(f!.remedy.commands.some((c) => c.startsWith('firewall-cmd') || c.startsWith('ufw '))).toBe(false);
  });

  it("a hand-written nftables.conf's forward drop with Docker's iptables off: docker0 → eno1, the masquerade for that case", async () => {
    const f = (await findings({ 'journalctl-k.txt': `${NFT_CONF_DROP}\n` }, 'h95-nftconf')).find((x) => x.id === REJECTED);
    expect(f).toBeDefined();
    expect(f!.severity).toBe('warning');
    expect(f!.message).toContain('docker0 → eno1 (172.17.0.4 → 8.8.8.8)');
    expect(f!.remedy.commands).toContain('nft insert rule inet filter forward iifname "docker0" accept');
    expect(f!.remedy.commands.some((c) => /masquerade/.test(c) && c.includes('172.17.0.0/16'))).toBe(true);
  });

  it("firewalld's own prefix keeps firewalld's remedy (flannel-io/flannel#2055)", async () => {
    const f = (await findings({ messages: `${FIREWALLD}\n` }, 'h95-firewalld')).find((x) => x.id === REJECTED);
    expect(f).toBeDefined();
    expect(f!.remedy.commands.some((c) => c.startsWith('firewall-cmd --permanent --zone=trusted'))).toBe(true);
    expect(f!.remedy.commands.some((c) => c.startsWith('nft insert'))).toBe(false);
  });

  it('healthy: allow and accept logs, an INPUT drop on the host\'s own interface, a prefix without a drop word, Calico\'s own log', async () => {
    const healthy = [
      'Dec  3 10:00:00 node-1 kernel: [UFW ALLOW] IN=docker0 OUT=eth0 PHYSIN=veth9d6736b SRC=172.17.0.2 DST=1.1.1.1 LEN=60 PROTO=TCP SPT=36484 DPT=443',
      'Dec  3 10:00:01 node-1 kernel: nft ACCEPT IN=docker0 OUT=eth0 SRC=172.17.0.2 DST=1.1.1.1 LEN=60 PROTO=TCP SPT=36485 DPT=443',
      'Dec  3 10:00:02 node-1 kernel: [  12.345678] INPUT DROP: IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 SRC=203.0.113.9 DST=10.0.0.5 LEN=60 PROTO=TCP SPT=51234 DPT=22',
      'Dec  3 10:00:03 node-1 kernel: IPT-INPUT: IN=docker0 OUT= PHYSIN=veth9d6736b SRC=172.17.0.2 DST=172.17.0.1 LEN=60 PROTO=TCP SPT=36484 DPT=22',
      'Dec  3 10:00:04 node-1 kernel: calico-packet: IN=cali12345678901 OUT=eth0 SRC=10.244.1.5 DST=1.1.1.1 LEN=60 PROTO=TCP SPT=36484 DPT=443',
    ];
    const fs = await findings({ 'kern.log': `${healthy.join('\n')}\n` }, 'h95-healthy-log');
    expect(fs.map((x) => x.id)).not.toContain(REJECTED);
  });
});

describe('a running kernel without its module tree (R29 02, 10)', () => {
  it("WDMC's custom kernel: dockerd's failure and iptables' table say the release, and no remedy is modprobe", async () => {
    const fs = await findings({ 'dockerd-D.txt': `${WDMC}\n` }, 'h95-wdmc');
    const c = fs.find((x) => x.id === CONTROLLER);
    expect(c).toBeDefined();
    expect(c!.severity).toBe('critical');
    expect(c!.message).toContain('the running kernel 5.5.3-mvebu-tld-1-dirty');
    expect(c!.remedy.summary).toMatch(/make modules_install/);
    expect(c!.remedy.summary).toMatch(/reboot into the installed kernel/);
    const t = fs.find((x) => x.id === TABLE);
    expect(t).toBeDefined();
    for (const f of [c!, t!]) expect(f.remedy.commands.filter((x) => /^(?:lsmod[^;]*\|\| )?modprobe /.test(x))).toEqual([]);
    expect(t!.message).toContain('5.5.3-mvebu-tld-1-dirty');
  });

  it("Scaleway's bootscript kernel: one line, one critical finding naming the kernel (the table's line folds in)", async () => {
    const fs = await findings({ 'journalctl-docker.txt': `${SCALEWAY}\n` }, 'h95-scaleway');
    const c = fs.find((x) => x.id === CONTROLLER);
    expect(c!.message).toContain('no ip_tables for the running kernel 4.4.4-std-manual');
    expect(fs.map((x) => x.id)).not.toContain('log.kernel-module-not-found');
  });

  it('modprobe alone: its own finding, with uname saying whether the release still runs', async () => {
    const line = 'modprobe: FATAL: Module ip_tables not found in directory /lib/modules/4.4.4-std-manual';
    // the kernel the maintainer had the reporter boot instead (scaleway/kernel-tools#228: the 4.4.5-docker bootscript), as uname -r
    const fs = await findings({ 'messages': `${line}\n`, 'uname-r.txt': '4.4.5-docker\n' }, 'h95-modprobe');
    const f = fs.find((x) => x.id === 'log.kernel-module-not-found');
    expect(f).toBeDefined();
    expect(f!.title).toBe('The running kernel 4.4.4-std-manual has no ip_tables module');
    expect(f!.message).toContain('shows 4.4.5-docker running now');
  });

  it("dockur's container log without modprobe's line: load on the host, ip_tables named (R29 03); modprobe stays the fix there", async () => {
    const t = (await findings({ 'docker-logs-windows.txt': `${DOCKUR}\n` }, 'h95-dockur')).find((x) => x.id === TABLE);
    expect(t).toBeDefined();
    expect(t!.remedy.summary).toMatch(/on the host, not in a container/);
    expect(t!.remedy.commands.join('\n')).toMatch(/modprobe ip_tables && modprobe iptable_nat/);
  });
});

describe('iptables-nft on a kernel without nf_tables (R29 01)', () => {
  it('WSL2: the legacy switch for iptables and ip6tables, the WSL kernel named from uname', async () => {
    const fs = await findings({ 'dockerd.log': `${WSL}\n`, 'uname-r.txt': `${WSL_UNAME}\n` }, 'h95-wsl');
    const c = fs.find((x) => x.id === CONTROLLER);
    expect(c).toBeDefined();
    expect(c!.severity).toBe('critical');
    expect(c!.message).toMatch(/The kernel is WSL2's \(4\.19\.84-microsoft-standard/);
    expect(c!.remedy.commands).toEqual(expect.arrayContaining(['update-alternatives --set iptables /usr/sbin/iptables-legacy', 'update-alternatives --set ip6tables /usr/sbin/ip6tables-legacy']));
  });

  it('no uname: says the kernel cannot be told and names WSL2 as the classic case', async () => {
    const c = (await findings({ 'dockerd.log': `${WSL}\n` }, 'h95-wsl-nouname')).find((x) => x.id === CONTROLLER);
    expect(c!.message).toMatch(/the bundle shows no uname to tell which kernel this is/);
  });

  it("a missing xt module (docker/for-linux#1521, iptables' `missing kernel module?`): the module, not the nf_tables switch", async () => {
    const syslog = readFileSync(projectPath('test', 'fixtures', 'h13-logs', 'for-linux-1521', 'syslog'), 'utf8');
    const c = (await findings({ syslog }, 'h95-1521')).find((x) => x.id === CONTROLLER);
    expect(c).toBeDefined();
    expect(c!.remedy.commands.join('\n')).not.toMatch(/iptables-legacy/);
    expect(c!.remedy.commands.join('\n')).toMatch(/xt_set/);
  });
});
