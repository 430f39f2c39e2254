/** Every built-in analyzer, in the order they run. One line per analyzer. */
import type { Analyzer } from '../src/engine/analyzer.js';
import logSignatures from './log-signatures.js';
import clusterNodeInconsistent from './cluster-node-inconsistent.js';
import dockerBridgeMismatch from './docker-bridge-mismatch.js';
import dockerBridgeOverlapsHostRoute from './docker-bridge-overlaps-host-route.js';
import dockerDefaultPoolsRouted from './docker-default-pools-routed.js';
import dockerBridgeNetfilterForwardDrop from './docker-bridge-netfilter-forward-drop.js';
import firewalldContainerInterfaceUnzoned from './firewalld-container-interface-unzoned.js';
import firewalldNetavarkPortForwardsLost from './firewalld-netavark-port-forwards-lost.js';
import flannelDuplicateSubnet from './flannel-duplicate-subnet.js';
import flannelMultipleAddresses from './flannel-multiple-addresses.js';
import flannelSubnetMismatch from './flannel-subnet-mismatch.js';
import sysctlBridgeNfCallDisabled from './sysctl-bridge-nf-call-disabled.js';
import sysctlRpFilterDropsPodTraffic from './sysctl-rp-filter-drops-pod-traffic.js';
import sysctlIpForwardNotPersistent from './sysctl-ip-forward-not-persistent.js';
import iptablesDockerChainMissing from './iptables-docker-chain-missing.js';
import iptablesDockerMasqueradeMissing from './iptables-docker-masquerade-missing.js';
import iptablesAwsSnatMissing from './iptables-aws-snat-missing.js';
import iptablesForwardBlocksContainers from './iptables-forward-blocks-containers.js';
import dockerForwardPolicyDropsRouted from './docker-forward-policy-drops-routed.js';
import dockerForwardDropOtherEngine from './docker-forward-drop-other-engine.js';
import iptablesDirectRoutingDropped from './iptables-direct-routing-dropped.js';
import iptablesKubeFirewallCorrupted from './iptables-kube-firewall-corrupted.js';
import iptablesKubeChainsMissing from './iptables-kube-chains-missing.js';
import flannelMasqueradeMissing from './flannel-masquerade-missing.js';
import iptablesMixedBackends from './iptables-mixed-backends.js';
import iptablesPortBlocked from './iptables-port-blocked.js';
import iptablesContainerDnsBlocked from './iptables-container-dns-blocked.js';
import iptablesOverlayPortBlocked from './overlay-port-blocked.js';
import overlayVxlanChecksumOffload from './overlay-checksum-offload.js';
import { ipvsMasqueradeMissing, ipvsServiceNoEndpoints } from './kube-proxy-ipvs.js';
import iptablesServiceConflict from './iptables-service-conflict.js';
import iptablesTraceRulesLeft from './iptables-trace-rules-left.js';
import networkMtuMismatch from './network-mtu-mismatch.js';
import sysctlIpForwardDisabled from './sysctl-ip-forward-disabled.js';
import ufwPublishedPortsBypass from './ufw-published-ports-bypass.js';
import dnsResolvConfLoop from './dns-resolv-conf-loop.js';
import dockerDnsLoopbackNameserver from './docker-dns-loopback-nameserver.js';
import flannelVtepMacStale from './flannel-vtep-mac-stale.js';
import flannelPublicIpWrong from './flannel-public-ip-wrong.js';
import kubernetesClusterRangeOverlapsHost from './kubernetes-cluster-range-overlaps-host.js';
import kubernetesHairpinDisabled from './kubernetes-hairpin-disabled.js';
import dockerRootlessSourceIp from './docker-rootless-source-ip.js';
import dockerDaemonConfigInvalid from './docker-daemon-config-invalid.js';
import cniConfigInvalid from './cni-config-invalid.js';
import podmanAardvarkDnsFailed from './podman-aardvark-dns-failed.js';
import podmanAardvarkDnsPortShadowed from './podman-aardvark-dns-port-shadowed.js';
import tailscaleStatefulFilterDropsContainers from './tailscale-stateful-filter-drops-containers.js';
import dockerIpv6PrefixUnrouted from './docker-ipv6-prefix-unrouted.js';
import flannelIpv6MasqueradeMissing from './flannel-ipv6-masquerade-missing.js';
import routingPolicyBypassesPods from './routing-policy-bypasses-pods.js';
import runtimeProxyWithoutNoProxy from './runtime-proxy-without-no-proxy.js';
import { conntrackInsertFailed, conntrackTableFull } from './conntrack-insert-failed.js';
import nftNativeRuleInIptablesTable from './nft-native-rule-in-iptables-table.js';
import iptablesRuleDuplicated from './iptables-rule-duplicated.js';
import networkdManagesContainerInterface from './networkd-manages-container-interface.js';

export const BUILTIN_ANALYZERS: readonly Analyzer[] = [
  sysctlIpForwardDisabled,
  iptablesDockerChainMissing,
  iptablesDockerMasqueradeMissing,
  iptablesAwsSnatMissing,
  iptablesForwardBlocksContainers,
  dockerForwardPolicyDropsRouted,
  dockerForwardDropOtherEngine,
  iptablesDirectRoutingDropped,
  iptablesKubeFirewallCorrupted,
  iptablesKubeChainsMissing,
  ipvsMasqueradeMissing,
  ipvsServiceNoEndpoints,
  iptablesMixedBackends,
  iptablesTraceRulesLeft,
  iptablesServiceConflict,
  iptablesPortBlocked,
  iptablesContainerDnsBlocked,
  iptablesOverlayPortBlocked,
  sysctlIpForwardNotPersistent,
  sysctlBridgeNfCallDisabled,
  sysctlRpFilterDropsPodTraffic,
  flannelSubnetMismatch,
  flannelMultipleAddresses,
  flannelMasqueradeMissing,
  dockerBridgeMismatch,
  dockerBridgeOverlapsHostRoute,
  dockerDefaultPoolsRouted,
  dockerBridgeNetfilterForwardDrop,
  tailscaleStatefulFilterDropsContainers,
  networkMtuMismatch,
  firewalldContainerInterfaceUnzoned,
  ufwPublishedPortsBypass,
  firewalldNetavarkPortForwardsLost,
  dnsResolvConfLoop,
  dockerDnsLoopbackNameserver,
  kubernetesHairpinDisabled,
  routingPolicyBypassesPods,
  kubernetesClusterRangeOverlapsHost,
  runtimeProxyWithoutNoProxy,
  conntrackInsertFailed,
  conntrackTableFull,
  nftNativeRuleInIptablesTable,
  iptablesRuleDuplicated,
  networkdManagesContainerInterface,
  dockerRootlessSourceIp,
  dockerDaemonConfigInvalid,
  cniConfigInvalid,
  dockerIpv6PrefixUnrouted,
  flannelIpv6MasqueradeMissing,
  flannelDuplicateSubnet,
  flannelVtepMacStale,
  flannelPublicIpWrong,
  overlayVxlanChecksumOffload,
  clusterNodeInconsistent,
  podmanAardvarkDnsFailed,
  podmanAardvarkDnsPortShadowed,
  logSignatures,
];
