/**
 * Dual-stack flannel leases an IPv6 subnet too (FLANNEL_IPV6_SUBNET in subnet.env, VXLAN device
 * flannel-v6.1, cni0's global IPv6 address): it is checked like the IPv4 one, under the same
 * finding ids. Text: real `ip -d address` of a namespace set up as a dual-stack flannel node
 * (long detail lines left out) and flannel's subnet.env.
 */
import { describe, expect, it } from 'vitest';
import duplicateSubnet from '../../analyzers/flannel-duplicate-subnet.js';
import subnetMismatch from '../../analyzers/flannel-subnet-mismatch.js';
import { parseSubnetEnv } from '../../src/parsers/flannel-env.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { runCluster, runNode } from './helpers.js';

const IP_ADDR = `4: flannel.1@if3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default qlen 1000
    link/ether 02:b1:a0:40:ee:0b brd ff:ff:ff:ff:ff:ff link-netns rv4x promiscuity 0  allmulti 0 minmtu 68 maxmtu 65535 
    inet 10.244.1.0/32 scope global flannel.1
       valid_lft forever preferred_lft forever
    inet6 fe80::b1:a0ff:fe40:ee0b/64 scope link 
       valid_lft forever preferred_lft forever
5: flannel-v6.1@if4: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default qlen 1000
    link/ether 66:c7:bb:4e:46:57 brd ff:ff:ff:ff:ff:ff link-netns rv4x promiscuity 0  allmulti 0 minmtu 68 maxmtu 65535 
    inet6 fd00:10:244:1::/128 scope global nodad 
       valid_lft forever preferred_lft forever
    inet6 fe80::64c7:bbff:fe4e:4657/64 scope link 
       valid_lft forever preferred_lft forever
6: cni0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default qlen 1000
    link/ether 0e:e8:9c:ee:30:94 brd ff:ff:ff:ff:ff:ff promiscuity 0  allmulti 0 minmtu 68 maxmtu 65535 
    inet 10.244.1.1/24 scope global cni0
       valid_lft forever preferred_lft forever
    inet6 fd00:10:244:1::1/64 scope global nodad 
       valid_lft forever preferred_lft forever
    inet6 fe80::ce8:9cff:feee:3094/64 scope link 
       valid_lft forever preferred_lft forever
`;
const ENV = 'FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_IPV6_NETWORK=fd00:10:244::/56\nFLANNEL_IPV6_SUBNET=fd00:10:244:1::1/64\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n';
const env = (text: string) => parseSubnetEnv(text, 'run/flannel/subnet.env');
const ipAddr = (text = IP_ADDR) => parseInterfaces(text, 'sos_commands/networking/ip_-d_address');

describe('flannel.subnet-mismatch for the IPv6 lease', () => {
  it('healthy dual-stack node: nothing', () => {
    expect(runNode(subnetMismatch, { flannelSubnetEnv: [env(ENV)], ipAddr: [ipAddr()] })).toEqual([]);
  });

  it('FLANNEL_IPV6_SUBNET another /64 than cni0 and flannel-v6.1: critical, naming the IPv6 subnet and the interface address', () => {
    const [f] = runNode(subnetMismatch, { flannelSubnetEnv: [env(ENV.replace('fd00:10:244:1::1/64', 'fd00:10:244:3::1/64'))], ipAddr: [ipAddr()] }, 'k8s-ds-1');
    expect(f.message).toMatch(/^On k8s-ds-1: for IPv6, cni0 and flannel-v6\.1 agree \(fd00:10:244:1::\/64\) but subnet\.env says FLANNEL_IPV6_SUBNET=fd00:10:244:3::1\/64 \(the "range affectation mismatch"/);
    expect(f.facts).toMatchObject({ ipv6Form: 'range affectation mismatch', ipv6Subnet: 'fd00:10:244:3::1/64', outside: [], ipv6Outside: [{ name: 'flannel-v6.1', cidr: 'fd00:10:244:1::/128' }, { name: 'cni0', cidr: 'fd00:10:244:1::1/64' }] });
    expect(f.evidence.map((e) => [e.line, e.note])).toEqual([
      [4, 'the IPv6 subnet flannel leased to this node'],
      [9, 'flannel-v6.1 is NOT inside fd00:10:244:3::/64'],
      [17, 'cni0 is NOT inside fd00:10:244:3::/64'],
    ]);
    expect(f.remedy.commands).toContain('ip link delete flannel-v6.1');
  });

  it('an IPv6-only subnet.env (no FLANNEL_SUBNET) is checked too: outside its network, and the bridge outside it', () => {
    const v6only = 'FLANNEL_IPV6_NETWORK=fd00:10:244::/56\nFLANNEL_IPV6_SUBNET=fd00:10:245:1::1/64\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n';
    const [f] = runNode(subnetMismatch, { flannelSubnetEnv: [env(v6only)], ipAddr: [ipAddr()] });
    expect(f.message).toMatch(/FLANNEL_IPV6_SUBNET fd00:10:245:1::1\/64 is outside FLANNEL_IPV6_NETWORK fd00:10:244::\/56/);
    const ok = 'FLANNEL_IPV6_NETWORK=fd00:10:244::/56\nFLANNEL_IPV6_SUBNET=fd00:10:244:1::1/64\nFLANNEL_MTU=1450\n';
    expect(runNode(subnetMismatch, { flannelSubnetEnv: [env(ok)], ipAddr: [ipAddr()] })).toEqual([]);
  });

  it('an IPv4 mismatch on a dual-stack node reads as before, without the healthy IPv6 lines', () => {
    const [f] = runNode(subnetMismatch, { flannelSubnetEnv: [env(ENV.replace('FLANNEL_SUBNET=10.244.1.1/24', 'FLANNEL_SUBNET=10.244.3.1/24'))], ipAddr: [ipAddr()] });
    expect(f.message).toMatch(/^On node-1: cni0 and flannel\.1 agree \(10\.244\.1\.0\/24\) but subnet\.env says 10\.244\.3\.1\/24 \(/);
    expect(f.message).not.toMatch(/IPv6/);
    expect(f.evidence.every((e) => !/IPv6|fd00/.test(`${e.note} ${e.excerpt}`))).toBe(true);
  });
});

describe('flannel.duplicate-subnet across nodes, IPv6', () => {
  const node = (name: string, v4: string, v6: string) => ({
    node: name,
    artifacts: { flannelSubnetEnv: [env(ENV.replace('10.244.1.1/24', v4).replace('fd00:10:244:1::1/64', v6))], ipAddr: [ipAddr(IP_ADDR.replaceAll('10.244.1.', v4.replace(/\.\d+\/24$/, '.')).replaceAll('fd00:10:244:1::', v6.replace(/1\/64$/, '')))] },
  });

  it('two nodes with the same FLANNEL_IPV6_SUBNET (IPv4 leases apart): critical, naming the IPv6 subnet', () => {
    const [f, ...rest] = runCluster(duplicateSubnet, [node('n1', '10.244.1.1/24', 'fd00:10:244:1::1/64'), node('n2', '10.244.2.1/24', 'fd00:10:244:1::1/64')]);
    expect(rest).toEqual([]);
    expect(f.message).toMatch(/^n1 and n2 use overlapping pod ranges: FLANNEL_IPV6_SUBNET fd00:10:244:1::\/64 on n1 and FLANNEL_IPV6_SUBNET fd00:10:244:1::\/64 on n2/);
    expect(f.remedy.commands).toContain('ip link delete flannel-v6.1');
  });

  it('leases apart in both families, and link-local addresses alike on every cni0: nothing', () => {
    expect(runCluster(duplicateSubnet, [node('n1', '10.244.1.1/24', 'fd00:10:244:1::1/64'), node('n2', '10.244.2.1/24', 'fd00:10:244:2::1/64')])).toEqual([]);
  });
});
