/**
 * sysctl.bridge-nf-call-disabled: pods on Open vSwitch (OVN-Kubernetes: ovn-k8s-mp0,
 * genev_sys_6081, br-int) sit on no Linux bridge, so br_netfilter plays no part; on Weave the
 * evidence of a pod bridge is the `weave` bridge itself, not the WEAVE-CANARY chain. Listing text
 * as `iptables -L -v` (iptables 1.8.x, names not numeric) prints it on a kURL Weave node.
 */
import { describe, expect, it } from 'vitest';
import analyzer from '../../analyzers/sysctl-bridge-nf-call-disabled.js';
import { parseSystemctlText } from '../../src/parsers/services.js';
import { parseSysctlText } from '../../src/parsers/sysctl.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseIptablesList } from '../../src/netfilter/list-format.js';
import { runNode } from './helpers.js';

const BRNF_OFF = parseSysctlText('net.bridge.bridge-nf-call-arptables = 0\nnet.bridge.bridge-nf-call-ip6tables = 0\nnet.bridge.bridge-nf-call-iptables = 0\nnet.ipv4.ip_forward = 1\n', 'sysctl-a.txt');
const KUBELET = parseSystemctlText('  UNIT                 LOAD   ACTIVE SUB     DESCRIPTION\n  crio.service         loaded active running CRI-O\n  kubelet.service      loaded active running Kubernetes Kubelet\n', 'systemctl_list-units');

const OVNK = `2: ens3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel master ovs-system state UP group default qlen 1000
    link/ether fa:16:3e:11:22:33 brd ff:ff:ff:ff:ff:ff
    openvswitch_slave
4: genev_sys_6081: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 65000 qdisc noqueue master ovs-system state UNKNOWN group default qlen 1000
    link/ether 3a:55:66:77:88:99 brd ff:ff:ff:ff:ff:ff
    geneve external id 0 ttl auto dstport 6081 udp6zerocsumrx
    openvswitch_slave
5: br-int: <BROADCAST,MULTICAST> mtu 1400 qdisc noop state DOWN group default qlen 1000
    link/ether 5e:aa:bb:cc:dd:ee brd ff:ff:ff:ff:ff:ff
    openvswitch
6: ovn-k8s-mp0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1400 qdisc noqueue state UNKNOWN group default qlen 1000
    link/ether 0a:58:0a:81:00:02 brd ff:ff:ff:ff:ff:ff
    openvswitch
    inet 10.129.0.2/23 brd 10.129.1.255 scope global ovn-k8s-mp0
       valid_lft forever preferred_lft forever
`;

const CNI0 = `4: cni0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UP group default qlen 1000
    link/ether 52:54:00:04:1c:1c brd ff:ff:ff:ff:ff:ff
    inet 10.42.0.1/24 brd 10.42.0.255 scope global cni0
       valid_lft forever preferred_lft forever
`;

const WEAVE_LIST = `Chain INPUT (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination         
    0     0 KUBE-FIREWALL  all  --  any    any     anywhere             anywhere            
    0     0 WEAVE-NPC-EGRESS  all  --  weave  any     anywhere             anywhere            

Chain FORWARD (policy DROP 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination         
    0     0 WEAVE-NPC-EGRESS  all  --  weave  any     anywhere             anywhere             /* NOTE: this must go before '-j KUBE-FORWARD' */
    0     0 WEAVE-NPC  all  --  any    weave   anywhere             anywhere             /* NOTE: this must go before '-j KUBE-FORWARD' */
    0     0 DROP       all  --  any    weave   anywhere             anywhere            
    0     0 ACCEPT     all  --  weave  !weave  anywhere             anywhere            

Chain OUTPUT (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination         

Chain KUBE-FIREWALL (1 references)
 pkts bytes target     prot opt in     out     source               destination         

Chain KUBE-SERVICES (0 references)
 pkts bytes target     prot opt in     out     source               destination         

Chain WEAVE-CANARY (0 references)
 pkts bytes target     prot opt in     out     source               destination         

Chain WEAVE-NPC (1 references)
 pkts bytes target     prot opt in     out     source               destination         

Chain WEAVE-NPC-EGRESS (2 references)
 pkts bytes target     prot opt in     out     source               destination         
`;

describe('sysctl.bridge-nf-call-disabled on OVN-Kubernetes and Weave', () => {
  it('OVN-Kubernetes (ovn-k8s-mp0, genev_sys_6081, br-int on OVS): silent', () => {
    expect(runNode(analyzer, { sysctl: [BRNF_OFF], services: [KUBELET], ipAddr: [parseInterfaces(OVNK, 'ip_-d_address')] })).toEqual([]);
  });

  it('a Linux bridge of pods beside it (cni0): fires', () => {
    const f = runNode(analyzer, { sysctl: [BRNF_OFF], services: [KUBELET], ipAddr: [parseInterfaces(OVNK + CNI0, 'ip_-d_address')] });
    expect(f.map((x) => x.severity)).toEqual(['warning']);
  });

  it('Weave without ip addr: the warning cites the weave bridge named by the rules, not the WEAVE-CANARY chain', () => {
    const rules = parseIptablesList(WEAVE_LIST, 'host-collectors/run-host/iptables.txt');
    const [f] = runNode(analyzer, { sysctl: [BRNF_OFF], services: [KUBELET], iptables: [rules] });
    expect(f.severity).toBe('warning');
    expect(f.message).not.toMatch(/WEAVE-CANARY/);
    const bridge = f.evidence.find((e) => /weave: the bridge pods are attached to/.test(e.note ?? ''));
    expect(bridge).toBeDefined();
    expect(bridge!.line).toBe(8);
    expect(bridge!.excerpt).toMatch(/WEAVE-NPC-EGRESS +all +-- +weave/);
    expect(f.evidence.some((e) => /WEAVE-CANARY/.test(e.excerpt))).toBe(false);
    expect(f.message).toMatch(/with pods on a bridge \(weave, host-collectors\/run-host\/iptables\.txt:8\)/);
  });

  it('Weave with ip addr: the weave bridge of ip addr', () => {
    const weave = `4: weave: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1376 qdisc noqueue state UP group default qlen 1000
    link/ether 9e:6d:5a:11:22:33 brd ff:ff:ff:ff:ff:ff
    inet 10.32.0.1/12 brd 10.47.255.255 scope global weave
       valid_lft forever preferred_lft forever
`;
    const [f] = runNode(analyzer, { sysctl: [BRNF_OFF], services: [KUBELET], ipAddr: [parseInterfaces(weave, 'ip-addr.txt')], iptables: [parseIptablesList(WEAVE_LIST, 'iptables.txt')] });
    expect(f.message).toMatch(/pods on a bridge \(weave, ip-addr\.txt:1\)/);
  });
});
