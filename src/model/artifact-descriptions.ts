/**
 * What each artifact kind is, in the words the coverage uses ("not run: <description> not in the bundle").
 * A module of its own, free of the engine, so that the report renderers (the coverage's "Collect next") can
 * read it without loading the engine at the CLI's start (test/engine/module-graph.test.ts).
 */
import type { ArtifactKind } from '../engine/artifacts.js';

export const ARTIFACT_DESCRIPTIONS: Record<ArtifactKind, string> = {
  sysctl: 'kernel parameters (sysctl -a, /proc/sys, sysctl.json)',
  sysctlConfig: 'sysctl configuration files (/etc/sysctl.conf, sysctl.d)',
  services: 'systemd unit states (systemctl list-unit-files / list-units)',
  dockerDaemon: 'Docker daemon configuration (/etc/docker/daemon.json)',
  logs: 'logs (syslog, journal, docker and pod logs)',
  iptables: 'iptables rules (iptables-save, iptables -S or iptables -L output, or iptables-nft\'s tables in nft list ruleset)',
  iptablesVersion: 'iptables version (iptables -V, or k3s check-config)',
  k3sVersion: "k3s' version (k3s -v / k3s --version)",
  systemdVersion: "systemd's version (systemctl --version)",
  ipAddr: 'interfaces and addresses (ip addr)',
  flannelSubnetEnv: 'flannel subnet.env',
  flannelNetConf: 'flannel network configuration (net-conf.json)',
  dockerNetworks: 'Docker networks (docker network inspect)',
  sockets: 'listening sockets (ss / netstat)',
  routes: 'routes (ip route)',
  nftables: 'nftables rules (nft list ruleset)',
  nftablesConfig: 'nftables configuration the nftables service loads (/etc/nftables.conf, /etc/sysconfig/nftables.conf)',
  firewalldZones: 'firewalld zones (firewall-cmd --list-all-zones, zone XML)',
  firewalldConf: 'firewalld configuration (firewalld.conf)',
  firewalldPolicies: 'firewalld policies (firewall-cmd --list-all-policies / --info-policy, policy XML)',
  podmanPorts: 'ports Podman containers publish (podman ps / podman port --all)',
  podmanInfo: 'podman info (network backend, rootless network command, netavark and aardvark-dns versions)',
  ipsets: 'ipset sets and members (ipset list / ipset save)',
  resolvConf: "resolver configuration (/etc/resolv.conf, systemd-resolved's resolv.conf, kubelet's resolvConf in /var/lib/kubelet/config.yaml)",
  distributionHint: "a Kubernetes distribution's paths (/var/lib/rancher/k3s, k0s unit journals)",
  awsCniSettings: "the AWS VPC CNI's network settings (aws-node's ipamd/networkutils-env-settings.json)",
  ufwStatus: 'ufw status (ufw status verbose / numbered)',
  dockerPs: "Docker's containers and published ports (docker ps / docker ps -a, as a table or JSON lines; docker inspect of containers)",
  ipvsadm: 'the IPVS table (ipvsadm -Ln, also --stats / --rate)',
  ipNeigh: 'neighbour table (ip neigh, ip -s -s neigh show, arp -an)',
  bridgeFdb: 'forwarding database (bridge fdb show)',
  systemdLink: 'systemd .link files (/etc, /run, /usr/lib/systemd/network/*.link)',
  networkctl: 'systemd-networkd link states (networkctl list, networkctl status)',
  systemdNetwork: 'systemd-networkd .network files (/etc, /run, /usr/lib/systemd/network/*.network)',
  kubeNodes: 'Kubernetes Node objects (cluster-resources/nodes.json, kubectl get nodes -o json|yaml)',
  bridgeLinks: 'bridge ports and hairpin (bridge -d link show, ip -d link, /sys/class/net/*/brport/hairpin_mode)',
  cniConf: 'CNI network configurations (/etc/cni/net.d/*.conf, *.conflist)',
  ipRules: 'routing policy rules (ip rule, ip -4 / -6 rule list)',
  proxyEnv: "proxy environment of containerd, CRI-O, kubelet, k3s/RKE2 (systemd drop-ins' Environment=, DefaultEnvironment=, systemctl show -p Environment, /etc/environment, /etc/default|sysconfig/<unit>)",
  kubeClusterRanges: "the cluster's pod and Service ranges (kube-controller-manager / kube-apiserver manifests, kubeadm ClusterConfiguration and the kubeadm-config ConfigMap, k3s/RKE2 config.yaml, Calico IPPools)",
  packages: "installed packages and their versions (rpm -qa / sos's installed-rpms, dpkg -l / installed-debs, dpkg-query -W, apk info -v, snap list)",
  conntrackStats: 'conntrack statistics (conntrack -S, /proc/net/stat/nf_conntrack)',
  felixConfig: "Calico Felix's configuration (kubectl get felixconfiguration -o yaml, calico-node's FELIX_BPF* environment)",
  ethtool: "network devices' offload features and drivers (ethtool -k <dev>, ethtool -i <dev>)",
  // the order is Collect next's tie-break: artifacts most bundles can give first; these, which a kind of host or a
  // reproduction alone gives (k3s, Swarm, a packet trace), last
  k3sFlags: "k3s' flags (its install line, k3s.service's ExecStart, a k3s server command line; /etc/rancher/k3s/config.yaml)",
  uname: 'the kernel release (uname -a / uname -r)',
  nftTrace: 'an nftables packet trace (nft monitor trace)',
  dockerServices: "Swarm's services and their published ports (docker service ls)",
};
