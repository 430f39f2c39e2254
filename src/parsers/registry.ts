/**
 * Every file format bundle-doctor reads: which artifact kind it yields, how to parse it, and
 * (for hand-made bundles) how to recognise it from its first bytes. Layouts name formats by id;
 * only this table knows which function reads which format.
 */
import type { ArtifactKind, ArtifactMap } from '../engine/artifacts.js';
import { parseDockerDaemonJson } from './docker-daemon.js';
import { parseDockerInfo, parseDockerVersionOutput, sniffDockerInfo, sniffDockerVersion } from './docker-info.js';
import { parseDockerEnvFile, parseDockerUnit, parsePsDockerd, sniffDockerUnit, sniffPs } from './dockerd-flags.js';
import { parseDockerNetworks, sniffDockerNetworks } from './docker-network-inspect.js';
import { parseFlannelNetConf, parseSubnetEnv, sniffFlannelNetConf, sniffSubnetEnv } from './flannel-env.js';
import { parseInterfaces, sniffInterfaces } from './interfaces.js';
import { parseIpset, sniffIpset } from './ipset.js';
import { parseUfwStatus, sniffUfwStatus } from './ufw-status.js';
import { parseKubeadmFlagsResolvConf, parseKubeletConfigResolvConf, parseResolvConf, sniffResolvConf } from './resolv-conf.js';
import { parseAwsCniNetworkSettings, sniffAwsCniNetworkSettings } from './aws-cni.js';
import { parseRoutes, sniffRoutes } from './ip-route.js';
import { parseListeningSockets, sniffListeningSockets } from './listening.js';
import { parseFirewallCmdListAllZones, parseFirewalldConf, parseFirewalldZoneXml, sniffFirewallCmd } from '../nft/firewalld.js';
import { parseFirewallCmdPolicies, parseFirewalldPolicyXml, sniffFirewallCmdPolicies } from '../nft/firewalld.js';
import { parsePodmanNetworkInspect, parsePodmanPort, parsePodmanPs, parsePodmanPublishDeclared, sniffPodmanNetworkInspect, sniffPodmanPort, sniffPodmanPs, sniffPodmanPublishDeclared } from './podman.js';
import { parsePodmanInfo, sniffPodmanInfo } from './podman-info.js';
import { parseDockerPs, sniffDockerPs } from './docker-ps.js';
import { parseDockerServiceLs, sniffDockerServiceLs } from './docker-service-ls.js';
import { parseDockerContainerInspect, parseDockerPsJsonLines, sniffDockerContainerInspect, sniffDockerPsJsonLines } from './docker-inspect.js';
import { parseIpvsadm, sniffIpvsadm } from './ipvsadm.js';
import { parseIpNeigh, sniffIpNeigh } from './ip-neigh.js';
import { parseBridgeFdb, sniffBridgeFdb } from './bridge-fdb.js';
import { parseSystemdLink, sniffSystemdLink } from './systemd-link.js';
import { parseNetworkctl, sniffNetworkctl } from './networkctl.js';
import { parseSystemdNetwork, sniffSystemdNetwork } from './systemd-network.js';
import { parseKubeNodes, sniffKubeNodes } from './kube-nodes.js';
import { parseBridgeLink, sniffBridgeLink } from './bridge-link.js';
import { loadCniConf, sniffCniConf } from './cni-conf.js';
import { parseIpRules, sniffIpRules } from './ip-rule.js';
import { parseConntrackStats, sniffConntrackStats } from './conntrack-stats.js';
import { parseFelixConfig, sniffFelixConfig } from './calico-felix-config.js';
import { parseK3sVersion, sniffK3sVersion } from './k3s-version.js';
import { parseK3sCheckConfig, sniffK3sCheckConfig } from './k3s-check-config.js';
import { parseNftTrace, sniffNftTrace } from './nft-trace.js';
import { k3sConfigFlags, parseK3sFlags, sniffK3sFlags } from './k3s-flags.js';
import { parseUname, sniffUname } from './uname.js';
import { parseEthtool, sniffEthtoolDriver, sniffEthtoolFeatures } from './ethtool.js';
import { parseSystemdVersion, sniffSystemdVersion } from './systemd-version.js';
import { parseDockerdCmdline, sniffDockerdCmdline } from './dockerd-cmdline.js';
import { parseApk, parseDpkgL, parseDpkgQueryW, parseDpkgS, sniffDpkgS, parsePackageListAny, parseRpmQa, parseSnapList, sniffApk, sniffDpkgL, sniffDpkgQueryW, sniffRpmQa, sniffSnapList } from './packages.js';
import { parseCalicoIpPools, parseK3sConfig, parseKubeadmConfig, parseStaticPodManifest, sniffCalicoIpPools, sniffStaticPodManifest } from './kube-cluster-config.js';
import { parseProxyEnv, sniffProxyEnv } from './proxy-env.js';
import { parseKubeletConfigHairpin, parseKubeletFlagsHairpin } from './kubelet-hairpin.js';
import { parseNftJson, sniffNftJson } from '../nft/parse-json.js';
import { parseNftText, sniffNftText } from '../nft/parse-text.js';
import { parseNftablesConfig } from '../nft/config.js';
import { parseIptablesList, sniffIptablesListFragment } from '../netfilter/list-format.js';
import { parseIptablesVersion, sniffIptablesVersion } from '../netfilter/iptables-version.js';
import { parseIptablesSave, parseIptablesSpec, sniffIptables } from '../netfilter/save-format.js';
import { parseSystemctlJson, parseSystemctlText, sniffSystemctl } from './services.js';
import { parseProcSysFile, parseSysctlConfig, parseSysctlJson, parseSysctlText, sniffProcSysListing, sniffSysctlText } from './sysctl.js';

export interface ParseContext {
  /** path relative to the node's root folder (what layouts matched on) */
  relPath: string;
  /** the file is a saved configuration (e.g. /etc/sysconfig/iptables), not live state */
  savedConfig?: boolean;
  /** what the file's name says about its content (e.g. `table` of a sosreport iptables listing) */
  hint?: Record<string, string>;
}

export interface FormatSpec<K extends ArtifactKind = ArtifactKind> {
  id: string;
  kind: K;
  parse(text: string, file: string, ctx: ParseContext): ArtifactMap[K];
  /** content test on the first 4 KiB, for files no layout rule names */
  sniff?(head: string): boolean;
  /**
   * the command prints its daemon's own warnings among its output (`docker info`: "WARNING: IPv4
   * forwarding is disabled"): its text is also read by the log catalog, and lines that match are log evidence
   */
  scannedAsLog?: { unit: string };
}

function family(ctx: ParseContext): 'ipv4' | 'ipv6' | undefined {
  return ctx.hint?.family === 'ipv6' ? 'ipv6' : ctx.hint?.family === 'ipv4' ? 'ipv4' : undefined;
}

function format<K extends ArtifactKind>(spec: FormatSpec<K>): FormatSpec<K> {
  return spec;
}

const FORMATS = [
  format({ id: 'sysctl-text', kind: 'sysctl', parse: parseSysctlText, sniff: sniffSysctlText }),
  format({ id: 'sysctl-json', kind: 'sysctl', parse: parseSysctlJson }),
  format({ id: 'proc-sys', kind: 'sysctl', parse: (text, file, ctx) => parseProcSysFile(text, file, ctx.relPath) }),
  format({ id: 'sysctl-conf', kind: 'sysctlConfig', parse: parseSysctlConfig }),
  format({ id: 'systemctl-text', kind: 'services', parse: parseSystemctlText, sniff: sniffSystemctl }),
  format({ id: 'systemctl-json', kind: 'services', parse: parseSystemctlJson }),
  format({ id: 'docker-daemon-json', kind: 'dockerDaemon', parse: parseDockerDaemonJson }),
  // dockerd's flags: the running process's command line, docker.service (+ drop-ins), its options files.
  // A ps listing's other networking processes (kube-proxy, k3s, cilium-agent, ...) ride along in its
  // artifact (`listing`, processes.ts: nodeProcesses); `systemctl status` CGroup trees in `services`.
  format({ id: 'ps', kind: 'dockerDaemon', parse: parsePsDockerd, sniff: sniffPs }),
  format({ id: 'docker-unit', kind: 'dockerDaemon', parse: (text, file, ctx) => parseDockerUnit(text, file, ctx.relPath), sniff: sniffDockerUnit }),
  format({ id: 'dockerd-cmdline', kind: 'dockerDaemon', parse: (text, file, ctx) => parseDockerdCmdline(text, file, ctx.relPath), sniff: sniffDockerdCmdline }),
  format({ id: 'docker-env', kind: 'dockerDaemon', parse: (text, file, ctx) => parseDockerEnvFile(text, file, ctx.relPath) }),
  // what the running daemon says of itself: `docker info` / `docker version`, text or JSON (origin docker-info / docker-version)
  format({ id: 'docker-info', kind: 'dockerDaemon', parse: parseDockerInfo, sniff: sniffDockerInfo, scannedAsLog: { unit: 'dockerd' } }),
  format({ id: 'docker-version', kind: 'dockerDaemon', parse: parseDockerVersionOutput, sniff: sniffDockerVersion }),
  format({
    id: 'iptables-save',
    kind: 'iptables',
    parse: (text, file, ctx) => parseIptablesSave(text, file, { origin: ctx.savedConfig ? 'saved-config' : 'live', family: family(ctx) }),
    sniff: (head) => sniffIptables(head) === 'save',
  }),
  format({
    id: 'iptables-spec',
    kind: 'iptables',
    parse: (text, file, ctx) => parseIptablesSpec(text, file, { family: family(ctx), table: ctx.hint?.table }),
    sniff: (head) => sniffIptables(head) === 'spec',
  }),
  format({
    id: 'iptables-list',
    kind: 'iptables',
    parse: (text, file, ctx) => parseIptablesList(text, file, { table: ctx.hint?.table, family: family(ctx) }),
    sniff: (head) => sniffIptables(head) === 'list',
  }),
  format({ id: 'ip-addr', kind: 'ipAddr', parse: parseInterfaces, sniff: sniffInterfaces }),
  format({ id: 'subnet-env', kind: 'flannelSubnetEnv', parse: parseSubnetEnv, sniff: sniffSubnetEnv }),
  format({ id: 'flannel-net-conf', kind: 'flannelNetConf', parse: parseFlannelNetConf, sniff: sniffFlannelNetConf }),
  format({ id: 'docker-network-json', kind: 'dockerNetworks', parse: parseDockerNetworks, sniff: sniffDockerNetworks }),
  format({ id: 'sockets', kind: 'sockets', parse: parseListeningSockets, sniff: sniffListeningSockets }),
  format({ id: 'routes', kind: 'routes', parse: parseRoutes, sniff: sniffRoutes }),
  format({ id: 'nft-text', kind: 'nftables', parse: parseNftText, sniff: sniffNftText }),
  format({ id: 'nft-json', kind: 'nftables', parse: parseNftJson, sniff: sniffNftJson }),
  // the file nftables.service loads (and those it includes): a saved configuration, never the live rules; named by path only
  format({ id: 'nftables-conf', kind: 'nftablesConfig', parse: parseNftablesConfig }),
  format({ id: 'firewalld-zones', kind: 'firewalldZones', parse: parseFirewallCmdListAllZones, sniff: sniffFirewallCmd }),
  format({
    id: 'firewalld-zone-xml',
    kind: 'firewalldZones',
    // one zone per XML file; the zone is named by its file (public.xml -> public)
    parse: (text, file) => {
      const zone = parseFirewalldZoneXml(text, file);
      return { file, zones: [zone], warnings: [] };
    },
  }),
  format({ id: 'firewalld-conf', kind: 'firewalldConf', parse: parseFirewalldConf }),
  // firewall-cmd [--permanent] --list-all-policies / --info-policy=NAME (runtime unless --permanent); etc/firewalld/policies/*.xml (permanent)
  format({ id: 'firewalld-policies', kind: 'firewalldPolicies', parse: (text, file, ctx) => parseFirewallCmdPolicies(text, file, { permanent: /--permanent/.test(ctx.relPath) }), sniff: sniffFirewallCmdPolicies }),
  format({ id: 'firewalld-policy-xml', kind: 'firewalldPolicies', parse: parseFirewalldPolicyXml }),
  // podman ps [-a] (sniffed only under a `podman ps` command line: docker ps prints the same header), podman port --all
  format({ id: 'podman-ps', kind: 'podmanPorts', parse: parsePodmanPs, sniff: sniffPodmanPs }),
  format({ id: 'podman-port', kind: 'podmanPorts', parse: parsePodmanPort, sniff: sniffPodmanPort }),
  format({ id: 'podman-info', kind: 'podmanInfo', parse: parsePodmanInfo, sniff: sniffPodmanInfo }),
  // ports a quadlet .container file (PublishPort=) or a typed `podman run -p` declares (not running: declared)
  format({ id: 'podman-publish-declared', kind: 'podmanPorts', parse: parsePodmanPublishDeclared, sniff: sniffPodmanPublishDeclared }),
  format({ id: 'podman-network-inspect', kind: 'podmanNetworks', parse: parsePodmanNetworkInspect, sniff: sniffPodmanNetworkInspect }),
  // docker ps [-a] / docker container ls: the same header as podman ps, sniffed when no podman command line stands above it
  // the table, or the same listing as JSON lines (`--format '{{json .}}'`, `--format json`) under a docker-ps name
  format({ id: 'docker-ps', kind: 'dockerPs', parse: (text, file) => (sniffDockerPsJsonLines(text.slice(0, 4096)) ? parseDockerPsJsonLines(text, file) : parseDockerPs(text, file)), sniff: sniffDockerPs }),
  format({ id: 'docker-ps-json', kind: 'dockerPs', parse: parseDockerPsJsonLines, sniff: sniffDockerPsJsonLines }),
  // `docker inspect` of containers (sos: one file per container): their state and NetworkSettings.Ports
  format({ id: 'docker-container-inspect', kind: 'dockerPs', parse: parseDockerContainerInspect, sniff: sniffDockerContainerInspect }),
  // docker service ls: Swarm's services and their published ports (`*:80->80/tcp`: ingress mode, the routing mesh)
  format({ id: 'docker-service-ls', kind: 'dockerServices', parse: parseDockerServiceLs, sniff: sniffDockerServiceLs }),
  // ipvsadm -Ln (and --stats/--rate/--persistent-conn/--thresholds); -Lnc and --timeout are skipped by the parser
  format({ id: 'ipvsadm', kind: 'ipvsadm', parse: parseIpvsadm, sniff: sniffIpvsadm }),
  format({ id: 'iptables-version', kind: 'iptablesVersion', parse: parseIptablesVersion, sniff: sniffIptablesVersion }),
  // k3s -v / k3s --version (k3s-io/k3s#7096: its embedded flannel's masquerade on an old iptables), found by content
  format({ id: 'k3s-version', kind: 'k3sVersion', parse: parseK3sVersion, sniff: sniffK3sVersion }),
  // k3s check-config: its "System:" iptables line read as the host's iptables version (k3s-io/k3s#6047), found by content
  format({ id: 'k3s-check-config', kind: 'iptablesVersion', parse: parseK3sCheckConfig, sniff: sniffK3sCheckConfig }),
  // k3s' flags: install line, k3s.service ExecStart, a k3s server command line (k3s-io/k3s#4683); config.yaml rides on k3s-config
  format({ id: 'k3s-flags', kind: 'k3sFlags', parse: parseK3sFlags, sniff: sniffK3sFlags }),
  format({ id: 'uname', kind: 'uname', parse: parseUname, sniff: sniffUname }),
  format({ id: 'systemd-version', kind: 'systemdVersion', parse: parseSystemdVersion, sniff: sniffSystemdVersion }),
  // ipset list / -L / list -t / save / -S, live or a saved configuration (/etc/sysconfig/ipset)
  format({ id: 'ipset', kind: 'ipsets', parse: (text, file, ctx) => parseIpset(text, file, { savedConfig: ctx.savedConfig }), sniff: sniffIpset }),
  // aws-node's ipamd introspection: GET /v1/networkutils-env-settings (the EKS log collector's ipamd/networkutils-env-settings.json)
  format({ id: 'aws-cni-network-settings', kind: 'awsCniSettings', parse: parseAwsCniNetworkSettings, sniff: sniffAwsCniNetworkSettings }),
  // ufw status / ufw status verbose / ufw status numbered (sos's ufw plugin: sos_commands/ufw/ufw_status_numbered)
  format({ id: 'ufw-status', kind: 'ufwStatus', parse: parseUfwStatus, sniff: sniffUfwStatus }),
  // nft monitor trace: each packet's hops and verdicts (docker/for-linux#1353: firewalld's final FORWARD reject)
  format({ id: 'nft-trace', kind: 'nftTrace', parse: parseNftTrace, sniff: sniffNftTrace }),
  // resolv.conf (/etc/resolv.conf, systemd-resolved's stub and uplink lists, k3s' own): which host file it is comes from its path or header
  format({ id: 'resolv-conf', kind: 'resolvConf', parse: (text, file, ctx) => parseResolvConf(text, file, ctx.relPath), sniff: sniffResolvConf }),
  // kubelet's resolvConf: its KubeletConfiguration (/var/lib/kubelet/config.yaml) and kubeadm's flags file; named by path only
  // (and its hairpinMode / --hairpin-mode / --network-plugin, which kubernetes.hairpin-disabled reads from the same files)
  format({ id: 'kubelet-config', kind: 'resolvConf', parse: (text, file) => withKubeletHairpin(parseKubeletConfigResolvConf, parseKubeletConfigHairpin, text, file) }),
  format({ id: 'kubeadm-flags', kind: 'resolvConf', parse: (text, file) => withKubeletHairpin(parseKubeadmFlagsResolvConf, parseKubeletFlagsHairpin, text, file) }),
  // after the older formats, so a file they read stays theirs
  format({ id: 'ip-neigh', kind: 'ipNeigh', parse: (text, file, ctx) => parseIpNeigh(text, file, ctx.hint?.dev), sniff: sniffIpNeigh }),
  format({ id: 'bridge-fdb', kind: 'bridgeFdb', parse: (text, file, ctx) => parseBridgeFdb(text, file, ctx.hint?.dev), sniff: sniffBridgeFdb }),
  format({ id: 'systemd-link', kind: 'systemdLink', parse: parseSystemdLink, sniff: sniffSystemdLink }),
  // systemd-networkd: networkctl's list and status, its .network files (coreos/bugs#1205: networkd takes docker0)
  format({ id: 'networkctl', kind: 'networkctl', parse: parseNetworkctl, sniff: sniffNetworkctl }),
  format({ id: 'systemd-network', kind: 'systemdNetwork', parse: parseSystemdNetwork, sniff: sniffSystemdNetwork }),
  format({ id: 'kube-nodes', kind: 'kubeNodes', parse: parseKubeNodes, sniff: sniffKubeNodes }),
  format({ id: 'bridge-link', kind: 'bridgeLinks', parse: (text, file, ctx) => parseBridgeLink(text, file, ctx.relPath), sniff: sniffBridgeLink }),
  format({ id: 'cni-conf', kind: 'cniConf', parse: loadCniConf, sniff: sniffCniConf }),
  format({ id: 'proxy-env', kind: 'proxyEnv', parse: (text, file, ctx) => parseProxyEnv(text, file, ctx.relPath), sniff: sniffProxyEnv }),
  format({ id: 'ip-rule', kind: 'ipRules', parse: (text, file, ctx) => parseIpRules(text, file, { family: ctx.hint?.family === 'ipv6' ? 6 : ctx.hint?.family === 'ipv4' ? 4 : undefined }), sniff: sniffIpRules }),
  format({ id: 'kube-static-pod-manifest', kind: 'kubeClusterRanges', parse: parseStaticPodManifest, sniff: sniffStaticPodManifest }),
  format({ id: 'kubeadm-config', kind: 'kubeClusterRanges', parse: parseKubeadmConfig }),
  // config.yaml: its ranges, with all its keys carried along as k3sFlags (flannel.ipv6-masquerade-missing reads them)
  format({ id: 'k3s-config', kind: 'kubeClusterRanges', parse: (text, file) => ({ ...parseK3sConfig(text, file), ...(RKE2_CONFIG.test(file) ? {} : { k3sFlags: k3sConfigFlags(text, file) }) }) }),
  format({ id: 'calico-ippools', kind: 'kubeClusterRanges', parse: parseCalicoIpPools, sniff: sniffCalicoIpPools }),
  // installed packages: rpm -qa in its shapes (sos's installed-rpms and package-data, insights' tab and JSON lines), dpkg -l,
  // dpkg-query -W, apk info -v / apk list --installed, snap list; `packages`: any of them, told apart by content (named only)
  format({ id: 'rpm-qa', kind: 'packages', parse: parseRpmQa, sniff: sniffRpmQa }),
  format({ id: 'dpkg-l', kind: 'packages', parse: parseDpkgL, sniff: sniffDpkgL }),
  format({ id: 'dpkg-query', kind: 'packages', parse: parseDpkgQueryW, sniff: sniffDpkgQueryW }),
  format({ id: 'dpkg-s', kind: 'packages', parse: parseDpkgS, sniff: sniffDpkgS }),
  format({ id: 'apk', kind: 'packages', parse: parseApk, sniff: sniffApk }),
  format({ id: 'snap-list', kind: 'packages', parse: parseSnapList, sniff: sniffSnapList }),
  format({ id: 'packages', kind: 'packages', parse: parsePackageListAny }),
  // conntrack's counters: conntrack -S (conntrack-tools 1.4.4's total, 1.4.5+'s per-CPU lines), /proc/net/stat/nf_conntrack
  format({ id: 'conntrack-stats', kind: 'conntrackStats', parse: parseConntrackStats, sniff: sniffConntrackStats }),
  // Calico Felix's eBPF settings: FelixConfiguration (kubectl, calicoctl, troubleshoot's custom resources), calico-node's FELIX_BPF* environment
  format({ id: 'calico-felix-config', kind: 'felixConfig', parse: parseFelixConfig, sniff: sniffFelixConfig }),
  format({ id: 'ethtool-features', kind: 'ethtool', parse: (text, file, ctx) => parseEthtool(text, file, ctx.hint?.device), sniff: sniffEthtoolFeatures }),
  format({ id: 'ethtool-driver', kind: 'ethtool', parse: (text, file, ctx) => parseEthtool(text, file, ctx.hint?.device), sniff: sniffEthtoolDriver }),
  // /proc/sys values pasted from a terminal (`for f in /proc/sys/.../forwarding; do echo -n $f ": "; cat $f; done`,
  // `grep . /proc/sys/...`, `cat /proc/sys/...` and the value, `==> path <==` of head): late, so a file another sniffer
  // claims stays its; the rest of the paste (nslookup's errors) is scanned as log lines as before
  format({ id: 'proc-sys-listing', kind: 'sysctl', parse: parseSysctlText, sniff: sniffProcSysListing, scannedAsLog: { unit: 'shell' } }),
  // a pasted `iptables [-t T] -L ... | grep ...`: rows without their Chain line, kept as rules of a chain not
  // shown in a ruleset marked cut (list-format.ts FRAGMENT_CHAIN / FRAGMENT_NOTE). Sniffed last, so a file any
  // other sniffer claims stays as it was; the rest of such a transcript (`nc: ... Connection timed out`) is
  // read as log lines too
  format({
    id: 'iptables-list-fragment',
    kind: 'iptables',
    parse: (text, file, ctx) => parseIptablesList(text, file, { table: ctx.hint?.table, family: family(ctx), fragments: true }),
    sniff: sniffIptablesListFragment,
    scannedAsLog: { unit: 'shell' },
  }),
] as FormatSpec[];

const BY_ID = new Map(FORMATS.map((f) => [f.id, f]));

export type FormatId = string;

export function formatById(id: FormatId): FormatSpec {
  const f = BY_ID.get(id);
  if (!f) throw new Error(`unknown format id ${id}`);
  return f;
}

/** Formats that can be recognised from content, in the order they are tried. */
export function sniffableFormats(): FormatSpec[] {
  return FORMATS.filter((f) => f.sniff);
}

export function allFormats(): readonly FormatSpec[] {
  return FORMATS;
}

/** kubelet's resolvConf reader of a file, with the same file's hairpin settings merged in (either may be absent). */
function withKubeletHairpin(
  resolv: (text: string, file: string) => ArtifactMap['resolvConf'],
  hairpin: (text: string, file: string) => { hairpinMode?: unknown; networkPlugin?: unknown },
  text: string,
  file: string,
): ArtifactMap['resolvConf'] {
  let h: { hairpinMode?: unknown; networkPlugin?: unknown } = {};
  try {
    h = hairpin(text, file);
  } catch {
    // not a hairpin setting: the resolvConf reader decides alone
  }
  const r = resolv(text, file);
  return { ...r, ...(h.hairpinMode ? { hairpinMode: h.hairpinMode } : {}), ...(h.networkPlugin ? { networkPlugin: h.networkPlugin } : {}) } as ArtifactMap['resolvConf'];
}
/**
 * RKE2's config.yaml (etc/rancher/rke2/, the Rancher collector's rke2/, an rke2-config.yaml): its flags are not k3s's.
 * Told by a folder or file name, not by "rke2" anywhere in the path (a host named rke2-… running k3s).
 */
const RKE2_CONFIG = /(^|\/)rke2(\/|[-_]config\.ya?ml$)/;

