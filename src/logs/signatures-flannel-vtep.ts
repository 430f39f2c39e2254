/**
 * flanneld's lines that say which VTEP MAC it programs for a peer's subnet (the VXLAN backend's
 * handleSubnetEvents and its device calls), as flannel has written them since 2015:
 *
 *   vxlan_network.go:139] adding subnet: 10.244.1.0/24 PublicIP: 10.162.0.6 VtepMAC: fe:06:04:ca:6d:1e   (v0.8 ... today, klog V(2); k3s' copy at info)
 *   Adding subnet: 10.1.15.0/24 PublicIP: 10.0.0.5 VtepMAC: 62:4f:73:05:24:e1                         (v0.5-v0.7 handleInitialSubnetEvents)
 *   adding v6 subnet: fd00:42:1::/64 PublicIPv6: 2001:db8::5 VtepMAC: 96:41:be:0f:2e:88                 (dual-stack, flannel-v6.1)
 *   removing subnet: 10.244.1.0/24 PublicIP: 10.162.0.6 VtepMAC: fe:06:04:ca:6d:1e                      (the lease went away)
 *   removing v6subnet: fd00:42:1::/64 PublicIPv6: 2001:db8::5 VtepMAC: ...
 *   device.go:160] calling AddARP: 10.244.1.0, fe:06:04:ca:6d:1e       (the neighbour entry: the subnet's address -> MAC; V(4))
 *   device.go:137] calling AddFDB: 10.162.0.6, fe:06:04:ca:6d:1e       (the fdb entry: the peer's public IP -> MAC; V(4))
 *   calling DelARP / DelFDB / AddV6ARP / AddV6FDB / DelV6ARP / DelV6FDB: <ip>, <mac>
 *
 * Sources: flannel-io/flannel pkg/backend/vxlan/vxlan_network.go and device.go; the lines as logged in
 * flannel-io/flannel#1473 (k3s v1.21.4, flannel v0.14.0) and gravitational/workshop gravity_networking.md
 * (`flanneld[692]: I0123 17:08:19.427401 692 vxlan_network.go:138] adding subnet: 10.244.6.0/24 PublicIP: 10.162.0.6 VtepMAC: 62:4f:73:05:24:e1`).
 *
 * Context only (quiet): flannel.vtep-mac-stale compares the MAC a node's flanneld programs for a peer
 * with the MAC of that peer's flannel.1. A pasted log may have the peer's address redacted
 * (`calling AddFDB: <redacted> fe:06:...`, #1473): the address is then any non-space word, the comma optional.
 */
import type { LogSignature } from './signatures.js';

const MAC = String.raw`[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}`;
/** an IPv4 or IPv6 network in CIDR notation */
const CIDR = String.raw`(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7})\/\d{1,3}`;

export const FLANNEL_VTEP_SIGNATURES: readonly LogSignature[] = [
  {
    id: 'log.flannel-subnet-vtep',
    literals: ['VtepMAC: '],
    // facts: op (adding|Adding|removing), v6 (v6 subnets), subnet, publicIp, mac
    pattern: new RegExp(String.raw`\b(?<op>adding|Adding|removing) (?<v6>v6 ?)?subnet: (?<subnet>${CIDR}) PublicIP(?:v6)?: (?<publicIp>\S+) VtepMAC: (?<mac>${MAC})(?![\w:])`),
    meaning: "flanneld programs (adding) or removes (removing) the neighbour and fdb entries for a peer's subnet: the VTEP MAC it names is where this node sends VXLAN frames for that subnet's pods.",
    supports: ['flannel.vtep-mac-stale'],
    severity: 'info',
    title: "flannel programs a peer's VTEP MAC",
    advice: "Nothing to fix by itself; the MAC must be the one the peer's flannel.1 has (ip link show flannel.1 on that node).",
    quiet: true,
    // the latest line per subnet decides: a long flanneld log is read to its end
    maxMatches: 2000,
  },
  {
    id: 'log.flannel-vtep-neigh-call',
    literals: ['calling AddARP', 'calling AddFDB', 'calling DelARP', 'calling DelFDB', 'calling AddV6ARP', 'calling AddV6FDB', 'calling DelV6ARP', 'calling DelV6FDB'],
    // facts: call (AddARP|AddFDB|...), ip (the subnet's address for ARP, the peer's public IP for FDB; as pasted), mac
    pattern: new RegExp(String.raw`\bcalling (?<call>(?:Add|Del)(?:V6)?(?:ARP|FDB)): (?<ip>[^\s,]+),? (?<mac>${MAC})(?![\w:])`),
    meaning: "flanneld writes (Add) or deletes (Del) a neighbour (ARP) or fdb entry on its VXLAN device: the MAC it names is a peer's VTEP MAC.",
    supports: ['flannel.vtep-mac-stale'],
    severity: 'info',
    title: 'flannel writes a VXLAN neighbour or fdb entry',
    advice: "Nothing to fix by itself; the MAC must be the one the peer's flannel.1 has.",
    quiet: true,
    // the latest line per subnet decides: a long flanneld log is read to its end
    maxMatches: 2000,
  },
];
