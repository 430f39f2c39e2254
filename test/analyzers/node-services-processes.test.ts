/**
 * Without unit states, the distribution comes from the running processes (ps, a CGroup tree)
 * before the collector's paths: an RKE2 agent's ps -ef names `rke2 agent`, so its remedies
 * restart rke2-agent, not a kubelet.service that does not exist there. Text: the RKE2 ps -ef of
 * test/parsers/processes.test.ts, k3s' own process title.
 */
import { describe, expect, it } from 'vitest';
import { nodeServices } from '../../analyzers/lib/node-services.js';
import { parsePsDockerd } from '../../src/parsers/dockerd-flags.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';

const PS_EF = 'UID          PID    PPID  C STIME TTY          TIME CMD\n';
/** the kubelet's own chains in the host's rules: this host is a Kubernetes node */
const KUBELET_RULES = () => parseIptablesSave('*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:KUBE-FIREWALL - [0:0]\n:KUBE-KUBELET-CANARY - [0:0]\n-A INPUT -j KUBE-FIREWALL\nCOMMIT\n', 'iptables-save');

describe('nodeServices from processes', () => {
  it('rke2 agent in ps -ef: RKE2 agent, restarted as rke2-agent, cited at its line', () => {
    const ps = parsePsDockerd(`${PS_EF}root           1       0  0 04:47 ?        00:00:03 /sbin/init\nroot        1511       1  0 04:48 ?        00:00:41 /usr/local/bin/rke2 agent\n`, 'ps_-ef');
    const s = nodeServices({ dockerDaemon: [ps], iptables: [KUBELET_RULES()] });
    expect(s.distro).toMatchObject({ name: 'rke2', unit: 'rke2-agent', evidence: { file: 'ps_-ef', line: 3 } });
    expect(s.restartKubelet[0]).toMatch(/^systemctl restart rke2-agent /);
  });

  it("k3s' process title (k3s server): k3s", () => {
    const ps = parsePsDockerd('USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\nroot         888 11.2 16.5 6023484 2701232 ?     Ssl  Oct08 9134:36 /usr/local/bin/k3s server\n', 'ps');
    expect(nodeServices({ dockerDaemon: [ps], iptables: [KUBELET_RULES()] }).distro).toMatchObject({ name: 'k3s', unit: 'k3s' });
    // the same process where the host's interfaces show no pod network, and nothing else of
    // Kubernetes (rules, units): a k3d node container's, not this host's (reviewer R2)
    const ipA = parseInterfaces('1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN\n    inet 127.0.0.1/8 scope host lo\n2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP\n    inet 192.168.1.10/24 brd 192.168.1.255 scope global eth0\n3: docker0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP\n    inet 172.17.0.1/16 brd 172.17.255.255 scope global docker0\n', 'ip_a');
    expect(nodeServices({ dockerDaemon: [ps], ipAddr: [ipA] }).distro).toBeUndefined();
  });

  it('a plain dockerd host: no distribution from its processes', () => {
    const ps = parsePsDockerd('USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\nroot         812  0.4  2.1 2043312 86412 ?      Ssl  09:12   1:02 /usr/bin/dockerd -H fd://\n', 'ps');
    expect(nodeServices({ dockerDaemon: [ps] }).distro).toBeUndefined();
  });
});
