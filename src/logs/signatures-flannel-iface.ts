/**
 * flannel's start-up lines that say which interface and address it chose (flannel's LookupExtIface,
 * main.go / pkg/ipmatch; k3s' embedded copy in pkg/agent/flannel/flannel.go logs the same words):
 *
 *   Determining IP address of default interface            (no --iface / --iface-regex: the default route's)
 *   Using interface with name enp0s3 and address 10.0.2.15  (the interface and its first IPv4 address)
 *   Using interface with name eth1 and v6 address fd00::11   (dual-stack / IPv6)
 *   Defaulting external address to interface address (10.0.2.15)   (no --public-ip: what it publishes)
 *   Using 192.168.35.10 as external address                 (--public-ip / FLANNELD_PUBLIC_IP given)
 *
 * The external address is the node's `flannel.alpha.coreos.com/public-ip`: where peers send VXLAN
 * (or route host-gw traffic). On VirtualBox every VM's NAT interface is 10.0.2.15 (flannel-io/flannel#98,
 * #1119, the troubleshooting guide of PR #764): every node then publishes the same address.
 *
 * All are context (quiet): flannel.public-ip-wrong reads them per node and compares them across nodes.
 */
import type { LogSignature } from './signatures.js';

const IPV4 = String.raw`\d{1,3}(?:\.\d{1,3}){3}`;
const IPV6 = String.raw`[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}`;
/** an interface name as Linux allows it (15 bytes, no spaces or slashes) */
const IFNAME = String.raw`[^\s/]{1,15}`;

export const FLANNEL_IFACE_SIGNATURES: readonly LogSignature[] = [
  {
    id: 'log.flannel-default-interface',
    literals: ['Determining IP address of default interface'],
    pattern: /Determining IP address of default interface/,
    meaning: "flannel was given no interface (--iface, --iface-regex, k3s' flannel-iface) and takes the interface of the default route for its traffic between nodes.",
    supports: ['flannel.public-ip-wrong'],
    severity: 'info',
    title: 'flannel picks the default route interface',
    advice: 'Nothing to fix by itself; where nodes have several interfaces, check that the one flannel chose is the one the nodes reach each other on.',
    quiet: true,
  },
  {
    id: 'log.flannel-interface-chosen',
    literals: ['Using interface with name'],
    pattern: new RegExp(String.raw`Using interface with name (?<iface>${IFNAME}) and (?:(?<v6>v6) )?address (?<address>${IPV4}|${IPV6})(?![\w:.])`),
    meaning: 'The interface flannel uses for its traffic between nodes, and its address.',
    supports: ['flannel.public-ip-wrong'],
    severity: 'info',
    title: 'flannel chose its interface',
    advice: 'Nothing to fix by itself; every node must use an interface whose address the other nodes reach, and no two nodes the same address.',
    quiet: true,
  },
  {
    id: 'log.flannel-external-address',
    literals: ['Defaulting external address to interface address', 'as external address'],
    // facts: address, and `defaulted` (no --public-ip: the interface's address) or `given` (--public-ip)
    pattern: new RegExp(String.raw`(?<defaulted>Defaulting) external address to interface address \((?<address>${IPV4}|${IPV6})\)|(?<given>Using) (?<address_2>${IPV4}|${IPV6}) as external address`),
    meaning: "The address flannel publishes for the node (its public-ip annotation): the interface's own address, or the one --public-ip gave.",
    supports: ['flannel.public-ip-wrong'],
    severity: 'info',
    title: 'flannel chose its external address',
    advice: 'Nothing to fix by itself; no two nodes may publish the same external address.',
    quiet: true,
  },
];
