/**
 * The abstract artifact kinds analyzers declare, and the type each parser produces for one
 * file of that kind. A node holds, per kind, the list of files parsed into it; combiners in the
 * parser modules give merged views (e.g. the effective sysctl configuration).
 */
import type { SysctlConfigFile, SysctlRuntime } from '../parsers/sysctl.js';
import type { ServiceList } from '../parsers/services.js';
import type { DockerDaemonConfig } from '../parsers/docker-daemon.js';
import type { LogScanResult } from '../logs/index.js';
import type { Ruleset } from '../netfilter/rules.js';
import type { IptablesVersion } from '../netfilter/iptables-version.js';
import type { InterfaceList } from '../parsers/interfaces.js';
import type { FlannelNetConf, FlannelSubnetEnv } from '../parsers/flannel-env.js';
import type { DockerNetworks } from '../parsers/docker-network-inspect.js';
import type { ListeningSockets } from '../parsers/listening.js';
import type { RouteTable } from '../parsers/ip-route.js';
import type { NftRuleset } from '../nft/model.js';
import type { NftablesConfig } from '../nft/config.js';
import type { FirewalldConf, FirewalldZones } from '../nft/firewalld.js';
import type { FirewalldPolicies } from '../nft/firewalld.js';
import type { PodmanNetworks, PodmanPorts } from '../parsers/podman.js';
import type { PodmanInfo } from '../parsers/podman-info.js';
import type { DockerPs } from '../parsers/docker-ps.js';
import type { IpvsadmList } from '../parsers/ipvsadm.js';
import type { IpsetList } from '../parsers/ipset.js';
import type { DistributionHint } from '../layouts/types.js';
import type { UfwStatus } from '../parsers/ufw-status.js';
import type { AwsCniNetworkSettings } from '../parsers/aws-cni.js';
import type { ResolvConfArtifact } from '../parsers/resolv-conf.js';
import type { IpNeighList } from '../parsers/ip-neigh.js';
import type { BridgeFdbList } from '../parsers/bridge-fdb.js';
import type { SystemdLinkFile } from '../parsers/systemd-link.js';
import type { KubeNodeList } from '../parsers/kube-nodes.js';
import type { BridgeLinkList } from '../parsers/bridge-link.js';
import type { CniNetworkConf } from '../parsers/cni-conf.js';
import type { IpRuleList } from '../parsers/ip-rule.js';
import type { ProxyEnvFile } from '../parsers/proxy-env.js';
import type { KubeClusterRanges } from '../parsers/kube-cluster-config.js';
import type { PackageList } from '../parsers/packages.js';
import type { ConntrackStats } from '../parsers/conntrack-stats.js';
import type { NetworkctlOutput } from '../parsers/networkctl.js';
import type { FelixConfig } from '../parsers/calico-felix-config.js';
import type { K3sVersion } from '../parsers/k3s-version.js';
import type { K3sFlags } from '../parsers/k3s-flags.js';
import type { NftTraceLog } from '../parsers/nft-trace.js';
import type { DockerServiceList } from '../parsers/docker-service-ls.js';
import type { KernelRelease } from '../parsers/uname.js';
import type { SystemdVersion } from '../parsers/systemd-version.js';
import type { SystemdNetworkFile } from '../parsers/systemd-network.js';
import type { EthtoolOutput } from '../parsers/ethtool.js';

export interface ArtifactMap {
  /** runtime kernel parameters (sysctl -a, /proc/sys, sysctl.json) */
  sysctl: SysctlRuntime;
  /** boot-time kernel parameter settings (sysctl.conf, sysctl.d) */
  sysctlConfig: SysctlConfigFile;
  /** systemd unit states */
  services: ServiceList;
  /** /etc/docker/daemon.json */
  dockerDaemon: DockerDaemonConfig;
  /** signature matches of one log file (scanned while the bundle streamed by) */
  logs: LogScanResult;
  /** iptables rules of one dump (save, -S or -L listing; live or saved configuration) */
  iptables: Ruleset;
  /** `iptables -V` lines of one file */
  iptablesVersion: IptablesVersion[];
  /** `k3s -v` / `k3s --version` of one file: the k3s release (v1.26.2+k3s1), its commit and Go */
  k3sVersion: K3sVersion[];
  /** k3s' own flags of one file: its install line (curl https://get.k3s.io | sh -s - ...), k3s.service's ExecStart, a `k3s server` command line */
  k3sFlags: K3sFlags;
  /** uname -a / uname -r: the running kernel's release */
  uname: KernelRelease;
  /** systemctl --version of one file: systemd's release, package version, feature line */
  systemdVersion: SystemdVersion[];
  /** interfaces and addresses (ip addr in any shape, ifconfig) */
  ipAddr: InterfaceList;
  /** /run/flannel/subnet.env */
  flannelSubnetEnv: FlannelSubnetEnv;
  /** flannel network configuration (net-conf.json) */
  flannelNetConf: FlannelNetConf;
  /** docker network inspect */
  dockerNetworks: DockerNetworks;
  /** listening sockets (ss / netstat) */
  sockets: ListeningSockets;
  /** routes (ip route, route -n, netstat -rn) */
  routes: RouteTable;
  /** nftables rules (nft list ruleset, text or JSON) */
  nftables: NftRuleset;
  /** `nft monitor trace` output: per packet, the chains, rules and verdicts it met, with iif/oif */
  nftTrace: NftTraceLog;
  /**
   * a saved nftables configuration nftables.service loads (/etc/nftables.conf, /etc/sysconfig/nftables.conf,
   * /etc/nftables/*): its top-level statements (flush ruleset, tables, includes). Never live rules.
   */
  nftablesConfig: NftablesConfig;
  /** firewalld zones (firewall-cmd --list-all-zones, zone XML files) */
  firewalldZones: FirewalldZones;
  /** /etc/firewalld/firewalld.conf */
  firewalldConf: FirewalldConf;
  /** firewalld policies (firewall-cmd --list-all-policies / --info-policy, runtime or permanent; policy XML files, permanent) */
  firewalldPolicies: FirewalldPolicies;
  /** ports Podman's containers publish (podman ps, podman port --all) */
  podmanPorts: PodmanPorts;
  /** podman info (YAML or --format json): network backend, rootless and its network command (pasta / slirp4netns), netavark / aardvark-dns / pasta versions */
  podmanInfo: PodmanInfo;
  /** podman network inspect: each network's driver, dns_enabled and gateways */
  podmanNetworks: PodmanNetworks;
  /** ipset sets and their members (ipset list / ipset save); a saved configuration is marked so */
  ipsets: IpsetList;
  /** resolver configuration: resolv.conf files (/etc/resolv.conf, systemd-resolved's) and kubelet's resolvConf setting (config.yaml, kubeadm-flags.env) */
  resolvConf: ResolvConfArtifact;
  /** the Kubernetes distribution the node's paths show (the layout's hint: /var/lib/rancher/k3s, k0scontroller-logs) */
  distributionHint: DistributionHint;
  /** the Amazon VPC CNI's network settings as ipamd uses them (its introspection endpoint's networkutils-env-settings JSON) */
  awsCniSettings: AwsCniNetworkSettings;
  /** `ufw status` (plain, verbose or numbered): ufw's state, its defaults and its rules */
  ufwStatus: UfwStatus;
  /** `docker ps [-a]` / `docker container ls`: Docker's containers, their status and the ports they publish */
  dockerPs: DockerPs;
  /** docker service ls: Swarm's services and the ports they publish (`*:80->80/tcp` = ingress mode, the routing mesh) */
  dockerServices: DockerServiceList;
  /** the IPVS table: `ipvsadm -Ln` (also --stats, --rate, --persistent-conn): virtual services and their real servers */
  ipvsadm: IpvsadmList;
  /** the neighbour (ARP / NDP) table: ip neigh, ip -s -s neigh show, arp -an */
  ipNeigh: IpNeighList;
  /** the bridge / VXLAN forwarding database: bridge fdb show */
  bridgeFdb: BridgeFdbList;
  /** a systemd .link file (or a .link.d drop-in) udev applies to new network devices */
  systemdLink: SystemdLinkFile;
  /** systemd-networkd's view of the links: networkctl [list] rows, networkctl status blocks (SETUP, Network File) */
  networkctl: NetworkctlOutput;
  /** a systemd-networkd .network file (or .network.d drop-in): [Match], [Link] Unmanaged=, [Network] */
  systemdNetwork: SystemdNetworkFile;
  /** Kubernetes Node objects: name, InternalIP, podCIDRs, flannel annotations */
  kubeNodes: KubeNodeList;
  /** bridge ports and their hairpin setting (bridge -d link, ip -d link, hairpin_mode listings) */
  bridgeLinks: BridgeLinkList;
  /** CNI network configurations (/etc/cni/net.d, k3s' agent/etc/cni/net.d) */
  cniConf: CniNetworkConf;
  /** the routing policy database: `ip rule`, `ip -4 rule list`, `ip -6 rule list` */
  ipRules: IpRuleList;
  /** HTTP proxy environment of the runtime / kubelet units (drop-ins, systemctl show -p Environment, /etc/environment, /etc/default|sysconfig/<unit>) */
  proxyEnv: ProxyEnvFile;
  /** the cluster's pod and Service ranges: kube-controller-manager / kube-apiserver manifests, kubeadm ClusterConfiguration, k3s/RKE2 config.yaml, Calico IPPools */
  kubeClusterRanges: KubeClusterRanges;
  /** installed packages and their versions: rpm -qa (sos's installed-rpms, package-data; insights' rpm -qa), dpkg -l (installed-debs), dpkg-query -W, apk info -v / apk list --installed, snap list */
  packages: PackageList;
  /** conntrack statistics: `conntrack -S` (old total or per-CPU) and /proc/net/stat/nf_conntrack; counters since boot */
  conntrackStats: ConntrackStats;
  /** Calico Felix's eBPF settings (FelixConfiguration, calico-node's FELIX_BPF* environment): bpfEnabled, bpfKubeProxyIptablesCleanupEnabled */
  felixConfig: FelixConfig;
  /** ethtool -k (offload features) and ethtool -i (driver) of network devices: sos_commands/networking/ethtool_-k_<dev>, ethtool_-i_<dev>, pasted output */
  ethtool: EthtoolOutput;
}

export type ArtifactKind = keyof ArtifactMap;

/** Per node: every file parsed into each kind. */
export type NodeArtifacts = { [K in ArtifactKind]?: ArtifactMap[K][] };

export { ARTIFACT_DESCRIPTIONS } from '../model/artifact-descriptions.js';
