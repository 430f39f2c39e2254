/**
 * Log signatures from H69.
 *
 * - log.cni-bridge-address-mismatch: the CNI bridge plugin (containernetworking/plugins, bridge.go ensureAddr:
 *   `%q already has an IP address different from %v`, wrapped as `failed to set bridge addr: ...`) found the bridge it
 *   puts pods on (`cni0`, flannel's delegate) carrying an address other than the gateway of the pod subnet it was given
 *   now. With flannel that subnet is the node's lease (FLANNEL_SUBNET, from its podCIDR): the node was reset and
 *   rejoined (kubeadm reset / k3s reinstall), or the cluster's pod network changed, and cni0 kept the old /24's address
 *   (flannel-io/flannel#1321; the kubelet line `... plugin type=\"flannel\" failed (add): failed to delegate add: failed
 *   to set bridge addr: \"cni0\" already has an IP address different from 10.244.0.1/24`). Every new pod of the node
 *   fails its sandbox (FailedCreatePodSandBox): the line is the same in kubelet's and containerd's journal and in the
 *   pod's event. Facts: bridge, expected (the address the plugin wanted: the new subnet's gateway), plugin, pod.
 *   Podman's CNI networks say the same of their own bridge (`"cni-podman1" already has an IP address different from
 *   10.25.31.1/24`, containers/podman#12306): the same fix, the network's bridge recreated.
 */
import type { LogSignature } from './signatures.js';

/** a bridge name as the plugin quotes it (%q), through up to three layers of escaping (klog's err="...", an event's nested desc) */
const Q = String.raw`\\{0,7}"`;
const IFNAME = String.raw`[^\s"\\/]{1,15}`;
const CIDR = String.raw`\d{1,3}(?:\.\d{1,3}){3}\/\d{1,2}|[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}\/\d{1,3}`;

export const BRIDGE_ADDRESS_MISMATCH = new RegExp(`${Q}(?<bridge>${IFNAME})${Q} already has an IP address different from (?<expected>${CIDR})`);

export const R15_SIGNATURES: readonly LogSignature[] = [
  {
    id: 'log.cni-bridge-address-mismatch',
    literals: ['already has an IP address different from'],
    pattern: BRIDGE_ADDRESS_MISMATCH,
    extract: [/plugin type=\\{0,7}"(?<plugin>[\w.-]{1,40})/, /\bpod=\\?"(?<pod>[^"\\\s]{1,253})/],
    meaning:
      "The CNI bridge (cni0 with flannel) still has the address of an old pod subnet, not the gateway of the node's current one that the message names: the node's pod subnet (its podCIDR, flannel's lease in /run/flannel/subnet.env) changed, after a kubeadm reset and rejoin, a reinstall or a new pod network, and the bridge was left from before. The bridge plugin refuses to use it, so no new pod on this node gets a network (FailedCreatePodSandBox); the pods stay in ContainerCreating.",
    supports: ['flannel.subnet-mismatch'],
    severity: 'warning',
    title: 'The CNI bridge has the address of an old pod subnet',
    advice:
      "On the node that logged this, delete the bridge so that the CNI plugin creates it again with the address of the node's current subnet; with flannel, delete flannel.1 too when its address is outside FLANNEL_SUBNET as well. Then restart flannel's pod on that node (or k3s, or the kubelet) so that it rebuilds them from its lease, and delete the pods stuck in ContainerCreating.",
    commands: [
      'cat /run/flannel/subnet.env   # FLANNEL_SUBNET: the subnet whose gateway the bridge must have (the message wants {expected})',
      'ip -4 addr show {bridge}; ip -4 addr show flannel.1   # an address outside FLANNEL_SUBNET is left from before',
      'ip link set {bridge} down && ip link delete {bridge}',
      'ip link delete flannel.1   # only where its address is outside FLANNEL_SUBNET too',
      'kubectl -n kube-flannel delete pod --field-selector spec.nodeName=<node> -l app=flannel   # kube-system on older installs; k3s: systemctl restart k3s (or k3s-agent)',
    ],
    caution: "Deleting the bridge cuts the network of every pod on this node until the plugin recreates it and the pods are recreated: a short interruption of the node's pod networking.",
    explains: ['log.cni-setup-failed'],
  },
];
