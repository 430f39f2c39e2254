/**
 * sysctl.bridge-nf-call-disabled on a dual-stack node: net.bridge.bridge-nf-call-ip6tables = 0
 * lets bridged IPv6 pod traffic skip ip6tables, where kube-proxy's IPv6 Services are. Text from the
 * reviewer's dual-stack flannel node (network namespaces; `ip -d address`, ip6tables -t nat -nvL).
 */
import { describe, expect, it } from 'vitest';
import bridgeNf from '../../analyzers/sysctl-bridge-nf-call-disabled.js';
import { parseSysctlConfig, parseSysctlText } from '../../src/parsers/sysctl.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseSubnetEnv } from '../../src/parsers/flannel-env.js';
import { parseSystemctlText } from '../../src/parsers/services.js';
import { parseIptablesList } from '../../src/netfilter/list-format.js';
import { runNode } from './helpers.js';

const kubelet = parseSystemctlText('UNIT FILE        STATE   VENDOR PRESET\nkubelet.service  enabled disabled\n', 'systemctl_list-unit-files');
const sysctlText = (v4: 0 | 1, v6: 0 | 1) =>
  `net.bridge.bridge-nf-call-arptables = 1\nnet.bridge.bridge-nf-call-ip6tables = ${v6}\nnet.bridge.bridge-nf-call-iptables = ${v4}\nnet.ipv4.conf.all.forwarding = 1\nnet.ipv4.ip_forward = 1\nnet.ipv6.conf.all.disable_ipv6 = 0\nnet.ipv6.conf.all.forwarding = 1\n`;
const SUBNET_ENV_DUAL = 'FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_IPV6_NETWORK=fd00:10:244::/56\nFLANNEL_IPV6_SUBNET=fd00:10:244:1::1/64\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n';
const SUBNET_ENV_V4 = 'FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n';
const CNI0 = (v6: boolean) =>
  `6: cni0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default qlen 1000
    link/ether 0e:e8:9c:ee:30:94 brd ff:ff:ff:ff:ff:ff promiscuity 0  allmulti 0 minmtu 68 maxmtu 65535 
    inet 10.244.1.1/24 scope global cni0
       valid_lft forever preferred_lft forever
${v6 ? '    inet6 fd00:10:244:1::1/64 scope global nodad \n       valid_lft forever preferred_lft forever\n' : ''}    inet6 fe80::ce8:9cff:feee:3094/64 scope link 
       valid_lft forever preferred_lft forever
7: veth9f8e7d6c@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue master cni0 state UP group default qlen 1000
    link/ether 0e:e8:9c:ee:30:94 brd ff:ff:ff:ff:ff:ff link-netns rv4p promiscuity 1  allmulti 1 minmtu 68 maxmtu 65535 
    inet6 fe80::ce8:9cff:feee:3094/64 scope link 
       valid_lft forever preferred_lft forever
`;
const IP6_NAT = `Chain KUBE-SERVICES (2 references)
 pkts bytes target     prot opt in     out     source               destination         
    0     0 KUBE-SVC-ERIFXISQEP7F7OF6  6    --  *      *       ::/0                 fd00:10:96::a        /* kube-system/kube-dns:dns-tcp cluster IP */ tcp dpt:53
    0     0 KUBE-NODEPORTS  0    --  *      *       ::/0                 ::/0                 /* kubernetes service nodeports; NOTE: this must be the last rule in this chain */ ADDRTYPE match dst-type LOCAL

Chain KUBE-SVC-ERIFXISQEP7F7OF6 (1 references)
 pkts bytes target     prot opt in     out     source               destination         
    0     0 KUBE-MARK-MASQ  6    --  *      *      !fd00:10:244::/56     fd00:10:96::a        /* kube-system/kube-dns:dns-tcp cluster IP */ tcp dpt:53
`;

describe('sysctl.bridge-nf-call-disabled: ip6tables on a dual-stack node', () => {
  it('fires for bridge-nf-call-ip6tables = 0 with flannel IPv6 and cni0 IPv6, naming the key and IPv6', () => {
    const found = runNode(bridgeNf, {
      sysctl: [parseSysctlText(sysctlText(1, 0), 'sos_commands/kernel/sysctl_-a')],
      services: [kubelet],
      ipAddr: [parseInterfaces(CNI0(true), 'sos_commands/networking/ip_-d_address')],
      flannelSubnetEnv: [parseSubnetEnv(SUBNET_ENV_DUAL, 'run/flannel/subnet.env')],
    });
    expect(found).toHaveLength(1);
    const [f] = found;
    expect(f.message).toMatch(/^net\.bridge\.bridge-nf-call-ip6tables is 0 on node-1, a Kubernetes node with pods on a bridge \(cni0, .*\) \(dual-stack: flannel gives this node an IPv6 pod subnet, run\/flannel\/subnet\.env:4\): IPv6 traffic/);
    expect(f.evidence[0]).toMatchObject({ file: 'sos_commands/kernel/sysctl_-a', line: 2, excerpt: 'net.bridge.bridge-nf-call-ip6tables = 0' });
    expect(f.remedy.commands).toContain('sysctl -w net.bridge.bridge-nf-call-ip6tables=1');
    expect(f.remedy.commands).not.toContain('sysctl -w net.bridge.bridge-nf-call-iptables=1');
    // the drop-in keeps both keys: it is rewritten whole
    expect(f.remedy.commands).toContain("printf '%s\\n' 'net.bridge.bridge-nf-call-iptables = 1' 'net.bridge.bridge-nf-call-ip6tables = 1' > /etc/sysctl.d/99-kubernetes-bridge.conf");
  });

  it('kube-proxy IPv6 Services in ip6tables are enough to call the node dual-stack', () => {
    const ip6nat = parseIptablesList(IP6_NAT, 'sos_commands/firewall_tables/ip6tables_-t_nat_-nvL', { table: 'nat', family: 'ipv6' });
    const [f] = runNode(bridgeNf, {
      sysctl: [parseSysctlText(sysctlText(1, 0), 'sysctl_-a')],
      services: [kubelet],
      ipAddr: [parseInterfaces(CNI0(false), 'ip_-d_address')],
      iptables: [ip6nat],
    });
    expect(f.message).toMatch(/dual-stack: kube-proxy has IPv6 Services/);
  });

  it('both off: one finding naming both keys; a 0 in /etc/sysctl.conf is edited there', () => {
    const [f] = runNode(bridgeNf, {
      sysctl: [parseSysctlText(sysctlText(0, 0), 'sysctl_-a')],
      services: [kubelet],
      ipAddr: [parseInterfaces(CNI0(true), 'ip_-d_address')],
      sysctlConfig: [parseSysctlConfig('net/bridge/bridge-nf-call-ip6tables = 0\n', 'etc/sysctl.conf')],
    });
    expect(f.message).toMatch(/^net\.bridge\.bridge-nf-call-iptables and net\.bridge\.bridge-nf-call-ip6tables are 0/);
    expect(f.remedy.commands.filter((c) => c.startsWith('sed '))).toEqual([
      "sed -i -E 's|^[[:space:]]*-?net[./]bridge[./]bridge-nf-call-ip6tables[[:space:]]*=[[:space:]]*0[[:space:]]*$|net.bridge.bridge-nf-call-ip6tables = 1|' /etc/sysctl.conf",
    ]);
  });

  it('is silent when both are on on the dual-stack node, and for ip6tables = 0 on an IPv4-only node (RHEL 7 sets it 0 by default)', () => {
    const dual = { services: [kubelet], ipAddr: [parseInterfaces(CNI0(true), 'ip_-d_address')], flannelSubnetEnv: [parseSubnetEnv(SUBNET_ENV_DUAL, 'run/flannel/subnet.env')] };
    expect(runNode(bridgeNf, { ...dual, sysctl: [parseSysctlText(sysctlText(1, 1), 'sysctl_-a')] })).toEqual([]);
    const v4only = { services: [kubelet], ipAddr: [parseInterfaces(CNI0(false), 'ip_-d_address')], flannelSubnetEnv: [parseSubnetEnv(SUBNET_ENV_V4, 'run/flannel/subnet.env')] };
    expect(runNode(bridgeNf, { ...v4only, sysctl: [parseSysctlText(sysctlText(1, 0), 'sysctl_-a')] })).toEqual([]);
  });

  it('the IPv4 warning is unchanged on the dual-stack node', () => {
    const [f] = runNode(bridgeNf, {
      sysctl: [parseSysctlText(sysctlText(0, 1), 'sysctl_-a')],
      services: [kubelet],
      ipAddr: [parseInterfaces(CNI0(true), 'ip_-d_address')],
      flannelSubnetEnv: [parseSubnetEnv(SUBNET_ENV_DUAL, 'run/flannel/subnet.env')],
    });
    expect(f.message).toMatch(/^net\.bridge\.bridge-nf-call-iptables is 0 on node-1, a Kubernetes node with pods on a bridge \(cni0/);
    expect(f.remedy.commands).toContain('sysctl -w net.bridge.bridge-nf-call-iptables=1');
  });
});
