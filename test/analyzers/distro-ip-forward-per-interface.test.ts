/**
 * IPv4 forwarding is decided per incoming interface (net.ipv4.conf.<in>.forwarding): ip_forward = 0
 * with forwarding = 1 on every container interface and the uplink (OVN-Kubernetes' "ipForwarding:
 * Restricted", OpenShift 4.14+) forwards container traffic. The sysctl lines are as `sysctl -a`
 * prints them (checked in a network namespace: `net.ipv4.conf.cni0.forwarding = 1` beside
 * `net.ipv4.ip_forward = 0`); ip addr as `ip -d address` prints it on an OVN-Kubernetes node.
 */
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';

const OVNK_IP_ADDR = `1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
    inet 127.0.0.1/8 scope host lo
       valid_lft forever preferred_lft forever
2: ens3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel master ovs-system state UP group default qlen 1000
    link/ether fa:16:3e:11:22:33 brd ff:ff:ff:ff:ff:ff
    openvswitch_slave
3: ovs-system: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN group default qlen 1000
    link/ether 6a:0e:7f:11:22:33 brd ff:ff:ff:ff:ff:ff
    openvswitch
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
7: br-ex: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UNKNOWN group default qlen 1000
    link/ether fa:16:3e:11:22:33 brd ff:ff:ff:ff:ff:ff
    openvswitch
    inet 10.0.90.21/24 brd 10.0.90.255 scope global dynamic noprefixroute br-ex
       valid_lft 80000sec preferred_lft 80000sec
8: 8a1b2c3d4e5f6a7@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1400 qdisc noqueue master ovs-system state UP group default
    link/ether 66:77:88:99:aa:bb brd ff:ff:ff:ff:ff:ff link-netns 1a2b3c4d-1111-2222-3333-444455556666
    veth
    openvswitch_slave
`;

const sysctl = (mp0: string, brex: string) => `net.bridge.bridge-nf-call-arptables = 0
net.bridge.bridge-nf-call-ip6tables = 0
net.bridge.bridge-nf-call-iptables = 0
net.ipv4.conf.all.forwarding = 0
net.ipv4.conf.br-ex.forwarding = ${brex}
net.ipv4.conf.default.forwarding = 0
net.ipv4.conf.ens3.forwarding = 0
net.ipv4.conf.genev_sys_6081.forwarding = 0
net.ipv4.conf.lo.forwarding = 0
net.ipv4.conf.ovn-k8s-mp0.forwarding = ${mp0}
net.ipv4.ip_forward = 0
net.ipv4.ip_forward_update_priority = 1
net.ipv4.ip_forward_use_pmtu = 0
net.ipv6.conf.all.forwarding = 1
`;

const UNITS = `  UNIT                                LOAD   ACTIVE SUB     DESCRIPTION
  crio.service                        loaded active running Container Runtime Interface for OCI (CRI-O)
  kubelet.service                     loaded active running Kubernetes Kubelet
  ovs-configuration.service           loaded active exited  Configures OVS with proper host networking configuration
  ovs-vswitchd.service                loaded active running Open vSwitch Forwarding Unit
`;

function ocpNode(mp0: string, brex: string) {
  return writeFolder(
    {
      'worker-0/hostname': 'worker-0.ocp.example.com\n',
      'worker-0/ip_-d_address': OVNK_IP_ADDR,
      'worker-0/sysctl_-a': sysctl(mp0, brex),
      'worker-0/systemctl_list-units': UNITS,
    },
    `ocp-${mp0}${brex}`,
  );
}

describe('sysctl.ip-forward-disabled: forwarding per incoming interface', () => {
  it('OVN-Kubernetes, ipForwarding: Restricted (ip_forward = 0, ovn-k8s-mp0 and br-ex at 1): no critical, an info naming the per-interface setting', async () => {
    const r = await analyzeBundle(ocpNode('1', '1'));
    const f = r.findings.filter((x) => x.id === 'sysctl.ip-forward-disabled');
    expect(f.map((x) => x.severity)).toEqual(['info']);
    expect(f[0].message).toMatch(/net\.ipv4\.conf\.ovn-k8s-mp0\.forwarding, net\.ipv4\.conf\.br-ex\.forwarding are 1/);
    expect(f[0].message).toMatch(/ipForwarding: Restricted/);
    expect(f[0].facts).toMatchObject({ ipForwarding: 'Restricted', forwardingOn: ['ovn-k8s-mp0', 'br-ex'] });
    // no hand-made sysctl.d file, no docker, on RHCOS
    const cmds = f[0].remedy.commands.join('\n');
    expect(cmds).not.toMatch(/sysctl\.d|restart docker|sysctl -w net\.ipv4\.ip_forward/);
  });

  it('OVN-Kubernetes with ovn-k8s-mp0 at 0: critical naming the interface, remedy through ovnkube-node and the Cluster Network Operator, not /etc/sysctl.d', async () => {
    const r = await analyzeBundle(ocpNode('0', '1'));
    const [f] = r.findings.filter((x) => x.id === 'sysctl.ip-forward-disabled');
    expect(f.severity).toBe('critical');
    expect(f.message).toMatch(/net\.ipv4\.conf\.ovn-k8s-mp0\.forwarding = 0/);
    expect(f.message).not.toMatch(/br-ex\.forwarding = 0/);
    expect(f.facts).toMatchObject({ forwardingOff: ['ovn-k8s-mp0'], forwardingOn: ['br-ex'] });
    const cmds = f.remedy.commands.join('\n');
    expect(cmds).toMatch(/sysctl -w net\.ipv4\.conf\.ovn-k8s-mp0\.forwarding=1/);
    expect(cmds).toMatch(/oc -n openshift-ovn-kubernetes delete pod -l app=ovnkube-node --field-selector spec\.nodeName=worker-0\.ocp\.example\.com/);
    expect(cmds).toMatch(/ipForwarding":"Global"/);
    expect(cmds).not.toMatch(/\/etc\/sysctl\.d|restart docker/);
    expect(f.remedy.summary).toMatch(/Machine Config Operator/);
  });

  it('the same generally (no OpenShift): a flannel node with cni0 and flannel.1 forwarding and the uplink not: critical naming eth0; all three on: info', async () => {
    const ipAddr = `1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
    inet 127.0.0.1/8 scope host lo
       valid_lft forever preferred_lft forever
2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP group default qlen 1000
    link/ether 52:54:00:02:1c:0e brd ff:ff:ff:ff:ff:ff
    inet 192.168.122.10/24 brd 192.168.122.255 scope global eth0
       valid_lft forever preferred_lft forever
3: flannel.1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN group default
    link/ether 52:54:00:03:1c:15 brd ff:ff:ff:ff:ff:ff
    inet 10.42.0.0/32 scope global flannel.1
       valid_lft forever preferred_lft forever
4: cni0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UP group default qlen 1000
    link/ether 52:54:00:04:1c:1c brd ff:ff:ff:ff:ff:ff
    inet 10.42.0.1/24 brd 10.42.0.255 scope global cni0
       valid_lft forever preferred_lft forever
5: veth3f1c2a9b@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue master cni0 state UP group default
    link/ether 52:54:00:05:1c:23 brd ff:ff:ff:ff:ff:ff
`;
    const route = 'default via 192.168.122.1 dev eth0 proto static\n10.42.0.0/24 dev cni0 proto kernel scope link src 10.42.0.1\n192.168.122.0/24 dev eth0 proto kernel scope link src 192.168.122.10\n';
    const sys = (eth0: string) =>
      `net.ipv4.conf.all.forwarding = 0\nnet.ipv4.conf.cni0.forwarding = 1\nnet.ipv4.conf.default.forwarding = 0\nnet.ipv4.conf.eth0.forwarding = ${eth0}\nnet.ipv4.conf.flannel/1.forwarding = 1\nnet.ipv4.conf.lo.forwarding = 0\nnet.ipv4.ip_forward = 0\n`;
    const units = 'UNIT FILE       STATE    VENDOR PRESET\nkubelet.service  enabled  enabled\ncontainerd.service enabled enabled\n';
    const node = (eth0: string) => writeFolder({ 'n1/hostname': 'n1\n', 'n1/ip-addr.txt': ipAddr, 'n1/ip-route.txt': route, 'n1/sysctl-a.txt': sys(eth0), 'n1/systemctl_list-unit-files.txt': units }, `flannel-${eth0}`);
    const [off] = (await analyzeBundle(node('0'))).findings.filter((x) => x.id === 'sysctl.ip-forward-disabled');
    expect(off.severity).toBe('critical');
    expect(off.message).toMatch(/net\.ipv4\.conf\.eth0\.forwarding = 0/);
    expect(off.message).toMatch(/Forwarding is on for flannel\.1, cni0 only|Forwarding is on for cni0, flannel\.1 only/);
    const [on] = (await analyzeBundle(node('1'))).findings.filter((x) => x.id === 'sysctl.ip-forward-disabled');
    expect(on.severity).toBe('info');
    expect(on.message).toMatch(/net\.ipv4\.conf\.flannel\/1\.forwarding|flannel\/1/);
  });

  it('ip_forward = 0 and no per-interface values in the bundle: an OVN-Kubernetes node gets a warning asking for them, no MachineConfig or sysctl.d forcing ip_forward; a flannel node stays critical', async () => {
    const dir = writeFolder(
      {
        'worker-0/hostname': 'worker-0\n',
        'worker-0/ip_-d_address': OVNK_IP_ADDR,
        'worker-0/sysctl_-a': 'net.ipv4.ip_forward = 0\nnet.ipv4.ip_forward_use_pmtu = 0\nnet.bridge.bridge-nf-call-iptables = 1\n',
        'worker-0/systemctl_list-units': UNITS,
      },
      'ocp-no-per-itf',
    );
    const [f] = (await analyzeBundle(dir)).findings.filter((x) => x.id === 'sysctl.ip-forward-disabled');
    expect(f.severity).toBe('warning');
    expect(f.remedy.commands[0]).toMatch(/^sysctl net\.ipv4\.conf\.ovn-k8s-mp0\.forwarding net\.ipv4\.conf\.br-ex\.forwarding/);
    expect(f.remedy.commands.join('\n')).not.toMatch(/sysctl\.d|MachineConfig|sysctl -w net\.ipv4\.ip_forward|restart docker/);
    const flannel = writeFolder(
      {
        'n1/hostname': 'n1\n',
        'n1/ip-addr.txt': '4: cni0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UP group default qlen 1000\n    link/ether 52:54:00:04:1c:1c brd ff:ff:ff:ff:ff:ff\n    inet 10.42.0.1/24 brd 10.42.0.255 scope global cni0\n       valid_lft forever preferred_lft forever\n',
        'n1/sysctl-a.txt': 'net.ipv4.ip_forward = 0\nnet.ipv4.ip_forward_use_pmtu = 0\n',
      },
      'flannel-no-per-itf',
    );
    const [g] = (await analyzeBundle(flannel)).findings.filter((x) => x.id === 'sysctl.ip-forward-disabled');
    expect(g.severity).toBe('critical');
  });
});
