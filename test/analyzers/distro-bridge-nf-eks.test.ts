/**
 * sysctl.bridge-nf-call-disabled on an EKS node: the AWS VPC CNI puts each pod on a routed veth
 * (eni<11 hex> on the host side), no bridge, so br_netfilter plays no part. The interface text is
 * ifconfig's, which is what the EKS log collector saves (networking/ifconfig.txt).
 */
import { describe, expect, it } from 'vitest';
import analyzer from '../../analyzers/sysctl-bridge-nf-call-disabled.js';
import { parseSystemctlText } from '../../src/parsers/services.js';
import { parseSysctlText } from '../../src/parsers/sysctl.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { runNode } from './helpers.js';

const BRNF_OFF = parseSysctlText('net.bridge.bridge-nf-call-iptables = 0\nnet.ipv4.ip_forward = 1\n', 'sysctls/sysctl_all.txt');
const KUBELET = parseSystemctlText('  UNIT                 LOAD   ACTIVE SUB     DESCRIPTION\n  containerd.service   loaded active running containerd\n  kubelet.service      loaded active running Kubernetes Kubelet\n', 'system/services.txt');

const IFCONFIG = `eni3e2a1f0c9b7: flags=4163<UP,BROADCAST,RUNNING,MULTICAST>  mtu 9001
        inet6 fe80::6c5d:9eff:fe0a:1b2c  prefixlen 64  scopeid 0x20<link>
        ether 6e:5d:9e:0a:1b:2c  txqueuelen 0  (Ethernet)

eth0: flags=4163<UP,BROADCAST,RUNNING,MULTICAST>  mtu 9001
        inet 192.168.45.12  netmask 255.255.224.0  broadcast 192.168.63.255
        ether 02:1a:2b:3c:4d:5e  txqueuelen 1000  (Ethernet)

lo: flags=73<UP,LOOPBACK,RUNNING>  mtu 65536
        inet 127.0.0.1  netmask 255.0.0.0
        loop  txqueuelen 1000  (Local Loopback)
`;

const AWS_NAT = `*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:AWS-CONNMARK-CHAIN-0 - [0:0]
:AWS-SNAT-CHAIN-0 - [0:0]
-A PREROUTING -i eni+ -m comment --comment "AWS, outbound connections" -j AWS-CONNMARK-CHAIN-0
-A POSTROUTING -m comment --comment "AWS SNAT CHAIN" -j AWS-SNAT-CHAIN-0
-A AWS-SNAT-CHAIN-0 -d 192.168.0.0/16 -m comment --comment "AWS SNAT CHAIN" -j RETURN
-A AWS-SNAT-CHAIN-0 ! -o vlan+ -m comment --comment "AWS, SNAT" -m addrtype ! --dst-type LOCAL -j SNAT --to-source 192.168.45.12 --random-fully
COMMIT
`;

describe('sysctl.bridge-nf-call-disabled on an EKS (AWS VPC CNI) node', () => {
  it('pods on eni* routed veths: silent', () => {
    expect(runNode(analyzer, { sysctl: [BRNF_OFF], services: [KUBELET], ipAddr: [parseInterfaces(IFCONFIG, 'networking/ifconfig.txt')] })).toEqual([]);
  });

  it("without interfaces, the VPC CNI's chains say the pods are routed: silent", () => {
    expect(runNode(analyzer, { sysctl: [BRNF_OFF], services: [KUBELET], iptables: [parseIptablesSave(AWS_NAT, 'networking/iptables-save.txt')] })).toEqual([]);
  });
});
