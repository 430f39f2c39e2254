/**
 * Path rules: abstract artifact -> concrete paths per layout, with fallbacks (insights-core's
 * specs are the model). The only place besides the layouts that knows bundle paths.
 */

export interface PathRule {
  /** matched against the path relative to the node root */
  re: RegExp;
  format: string;
  savedConfig?: boolean;
  /** files of one group compete: only the best-ranked (lowest) present is used */
  group?: string;
  rank?: number;
  hint?: (m: RegExpExecArray) => Record<string, string>;
}

/**
 * sos keeps only the end of an output over its size limit, in `sos_strings/<plugin>/<file>.tailed`,
 * linked from sos_commands: a file whose real path (after the link) is one is cut at its top.
 */
export function isSosTailed(realPath: string): boolean {
  return realPath.endsWith('.tailed');
}

const SYSCTL_CONF: PathRule[] = [
  { re: /^etc\/sysctl\.conf$/, format: 'sysctl-conf' },
  { re: /^(etc|run|usr\/lib|lib|usr\/local\/lib)\/sysctl\.d\/[^/]+\.conf$/, format: 'sysctl-conf' },
];

/**
 * The same files anywhere in a hand-made bundle or a collector's copy (troubleshoot's copy
 * collector writes `host-collectors/<title>/sysctl.conf`, losing the etc/ prefix): configuration
 * applied at boot, never the live values, whatever its content looks like.
 */
const SYSCTL_CONF_ANYWHERE: PathRule[] = [
  { re: /(^|\/)sysctl\.conf$/, format: 'sysctl-conf' },
  { re: /(^|\/)sysctl\.d\/[^/]+\.conf$/, format: 'sysctl-conf' },
];

/** Whether a path (relative to anything) names a sysctl configuration file: for layouts matched without rules (troubleshoot). */
export function isSysctlConfigPath(path: string): boolean {
  return SYSCTL_CONF_ANYWHERE.some((rule) => rule.re.test(path));
}

/**
 * Saved iptables configurations, restored at boot by a firewall service: RHEL's iptables.service
 * and ip6tables.service read /etc/sysconfig/iptables and /etc/sysconfig/ip6tables, Debian's
 * netfilter-persistent (iptables-persistent) /etc/iptables/rules.v4 and rules.v6. Never the live
 * rules, whatever layout holds them.
 */
const SAVED_IPTABLES: PathRule[] = [
  { re: /^etc\/sysconfig\/(ip6?)tables$/, format: 'iptables-save', savedConfig: true, hint: (m) => ({ family: m[1] === 'ip6' ? 'ipv6' : 'ipv4' }) },
  { re: /^etc\/iptables\/rules\.v([46])$/, format: 'iptables-save', savedConfig: true, hint: (m) => ({ family: m[1] === '6' ? 'ipv6' : 'ipv4' }) },
  // Arch's iptables.service / ip6tables.service
  { re: /^etc\/iptables\/ip(6?)tables\.rules$/, format: 'iptables-save', savedConfig: true, hint: (m) => ({ family: m[1] === '6' ? 'ipv6' : 'ipv4' }) },
  // ufw's before.rules / after.rules (sos's ufw plugin copies /etc/ufw): PART of what ufw applies (ufwRulesFile)
  { re: /^etc\/ufw\/(?:before|after)(6?)\.rules$/, format: 'iptables-save', savedConfig: true, hint: (m) => ({ family: m[1] === '6' ? 'ipv6' : 'ipv4' }) },
];

/** The same files anywhere in a hand-made bundle (or a collector's copy): `sysconfig/iptables`, `iptables/rules.v4`, a bare `rules.v4`. */
const SAVED_IPTABLES_ANYWHERE: PathRule[] = [
  { re: /(^|\/)sysconfig\/(ip6?)tables$/, format: 'iptables-save', savedConfig: true, hint: (m) => ({ family: m[2] === 'ip6' ? 'ipv6' : 'ipv4' }) },
  { re: /(^|\/)rules\.v([46])$/, format: 'iptables-save', savedConfig: true, hint: (m) => ({ family: m[2] === '6' ? 'ipv6' : 'ipv4' }) },
  // under an iptables/ folder only: a bare iptables.rules is as often a live dump
  { re: /(^|\/)iptables\/ip(6?)tables\.rules$/, format: 'iptables-save', savedConfig: true, hint: (m) => ({ family: m[2] === '6' ? 'ipv6' : 'ipv4' }) },
  // ufw's before.rules / after.rules, in a ufw/ folder or bare (no live dump is given these names)
  { re: /(^|\/)(?:ufw\/)?(?:before|after)(6?)\.rules$/, format: 'iptables-save', savedConfig: true, hint: (m) => ({ family: m[2] === '6' ? 'ipv6' : 'ipv4' }) },
];

/**
 * ufw's rule files: /etc/ufw/before.rules and after.rules (after6/before6 for IPv6), which ufw applies
 * with `iptables-restore -n` around the rules of its command line (user.rules) at every start and
 * `ufw reload`. Each holds only part of what ufw applies (its own chains, and blocks admins append, such
 * as chaifeng/ufw-docker's DOCKER-USER block in after.rules): never the host's whole saved ruleset, and
 * nothing restores it with a flush. Which file a path (relative to anything) names, or undefined.
 */
export function ufwRulesFile(path: string): { file: 'before.rules' | 'after.rules' | 'before6.rules' | 'after6.rules'; hostPath: string } | undefined {
  const m = /(?:^|\/)((?:before|after)6?\.rules)$/.exec(path);
  if (!m) return undefined;
  const file = m[1] as 'before.rules' | 'after.rules' | 'before6.rules' | 'after6.rules';
  return { file, hostPath: `/etc/ufw/${file}` };
}

/**
 * Where a saved iptables configuration of a bundle sits on the host: the etc/... path a sosreport keeps,
 * ufw's before/after.rules, netfilter-persistent's rules.v4/v6, RHEL's iptables / ip6tables (also saved
 * flat as etc-sysconfig-iptables, iptables.txt), Arch's iptables.rules. undefined where the name says nothing.
 */
export function savedConfigHostPath(file: string): string | undefined {
  const etc = /(?:^|\/)(etc\/.+)$/.exec(file);
  if (etc) return `/${etc[1]}`;
  const ufw = ufwRulesFile(file);
  if (ufw) return ufw.hostPath;
  const base = file.split('/').pop() ?? file;
  if (/^rules\.v[46]$/.test(base)) return `/etc/iptables/${base}`;
  const sysconfig = /^(?:etc[-_]sysconfig[-_])?(ip6?tables)(?:\.txt)?$/.exec(base);
  if (sysconfig) return `/etc/sysconfig/${sysconfig[1]}`;
  if (/^ip6?tables\.rules$/.test(base)) return `/etc/iptables/${base}`;
  return undefined;
}

/** The saved-configuration rule a path (relative to anything) falls under, if any: for layouts matched without rules (troubleshoot). */
export function savedIptablesRule(path: string): { rule: PathRule; match: RegExpExecArray } | undefined {
  for (const rule of SAVED_IPTABLES_ANYWHERE) {
    const match = rule.re.exec(path);
    if (match) return { rule, match };
  }
  return undefined;
}

/**
 * The nftables configuration nftables.service loads: /etc/nftables.conf (Debian/Ubuntu, Arch),
 * /etc/sysconfig/nftables.conf (RHEL/Fedora) and the files it includes from /etc/nftables/ (RHEL's
 * samples main.nft, nat.nft, router.nft; not osf/, pf.os fingerprints) or /etc/nftables.d/. sos's
 * firewall_tables plugin copies the first three. A saved configuration, never the live rules
 * (which `nft list ruleset` shows), whatever its `table` blocks look like: read as statements only
 * (src/nft/config.ts).
 */
const NFTABLES_CONF: PathRule[] = [
  { re: /^etc\/(sysconfig\/)?nftables\.conf$/, format: 'nftables-conf', savedConfig: true },
  { re: /^etc\/nftables\/(?!osf\/).+$/, format: 'nftables-conf', savedConfig: true },
  // the folder many configurations include (`include "/etc/nftables.d/*.nft"`), where a collector copied it
  { re: /^etc\/nftables\.d\/.+$/, format: 'nftables-conf', savedConfig: true },
];

/** The same in a hand-made bundle: a bare `nftables.conf` too; files of an nftables/ folder only under etc/ (a saved listing may be called `x.nft`). */
const NFTABLES_CONF_ANYWHERE: PathRule[] = [
  { re: /(^|\/)nftables\.conf$/, format: 'nftables-conf', savedConfig: true },
  { re: /(^|\/)etc\/nftables\/(?!osf\/).+$/, format: 'nftables-conf', savedConfig: true },
  { re: /(^|\/)etc\/nftables\.d\/.+$/, format: 'nftables-conf', savedConfig: true },
];

/**
 * Whether a path (relative to anything) names the nftables service's configuration: for layouts
 * matched without rules (troubleshoot's copy collectors write `host-collectors/<title>/nftables.conf`,
 * or `<title>/nftables/main.nft` for a copy of /etc/nftables, losing the etc/ prefix).
 */
export function isNftablesConfigPath(path: string): boolean {
  return NFTABLES_CONF_ANYWHERE.some((rule) => rule.re.test(path)) || /(^|\/)nftables\/[^/]+\.nft$/.test(path);
}

/**
 * docker.service, its drop-ins and the options files distributions pass to dockerd: they hold
 * dockerd's flags (--iptables=false, ...) when no process listing shows the running command line.
 */
const DOCKER_UNITS: PathRule[] = [
  { re: /^(etc|run|usr\/local\/lib|usr\/lib|lib)\/systemd\/system\/docker\.service$/, format: 'docker-unit' },
  { re: /^(etc|run|usr\/local\/lib|usr\/lib|lib)\/systemd\/system\/docker\.service\.d\/[^/]+\.conf$/, format: 'docker-unit' },
  { re: /^etc\/(sysconfig\/docker(-network)?|default\/docker)$/, format: 'docker-env' },
];

/** The same anywhere in a hand-made bundle or a collector's copy. */
const DOCKER_UNITS_ANYWHERE: PathRule[] = [
  // not the links of a .wants/ folder (the unit they point to is read where it is)
  { re: /^(?!.*\.(wants|requires)\/)(.*\/)?docker\.service$/, format: 'docker-unit' },
  { re: /(^|\/)docker\.service\.d\/[^/]+\.conf$/, format: 'docker-unit' },
  { re: /(^|\/)(sysconfig\/docker(-network)?|default\/docker)$/, format: 'docker-env' },
];

/**
 * `docker info` and `docker version` (the running daemon's version, Swarm state, rootless mode,
 * firewall back end and warnings): sos's docker plugin runs both (sos_commands/docker/docker_info,
 * docker_version; before sos 3.6 Ubuntu's plugin ran the `docker.io` binary: docker.io_info), only
 * while the docker service runs; insights' spec is `/usr/bin/docker info` (insights_commands/docker_info).
 */
const SOS_DOCKER_CLI: PathRule[] = [
  { re: /^sos_commands\/docker\/docker(?:\.io|-latest|-current)?(?:_-H_[^/]*)?_info$/, format: 'docker-info' },
  { re: /^sos_commands\/docker\/docker(?:\.io|-latest|-current)?(?:_-H_[^/]*)?_version$/, format: 'docker-version' },
];

/**
 * The same under the names people and collectors give them: `docker-info.txt`, `docker_info`,
 * `docker-system-info.json`, `docker-version.out`; the EKS log collector's `docker/docker-info.txt`
 * (older ones `system/docker/`), a troubleshoot run collector's `host-collectors/run-host/docker-info.txt`.
 */
const DOCKER_CLI_NAMES: PathRule[] = [
  { re: /(^|\/)docker[-_. ]?(?:system[-_. ]?)?info(?:[-_.][^/]*)?$/i, format: 'docker-info' },
  { re: /(^|\/)docker[-_. ]?version(?:[-_.][^/]*)?$/i, format: 'docker-version' },
];

/** Whether a path (relative to anything) names `docker info` or `docker version` output, and which: for layouts matched without rules (troubleshoot). */
export function dockerCliFormatOf(path: string): 'docker-info' | 'docker-version' | undefined {
  return DOCKER_CLI_NAMES.find((rule) => rule.re.test(path))?.format as 'docker-info' | 'docker-version' | undefined;
}

/**
 * Saved ipset configurations, restored at boot: RHEL's ipset-service (/etc/sysconfig/ipset), Debian's
 * ipset-persistent plugin of netfilter-persistent (/etc/iptables/ipsets), Arch's ipset.service
 * (/etc/ipset.conf). `ipset save` text; never the live sets.
 */
const SAVED_IPSETS: PathRule[] = [
  { re: /^etc\/sysconfig\/ipset$/, format: 'ipset', savedConfig: true },
  { re: /^etc\/iptables\/ipsets$/, format: 'ipset', savedConfig: true },
  { re: /^etc\/ipset\.conf$/, format: 'ipset', savedConfig: true },
];

/** The same anywhere in a hand-made bundle or a collector's copy. */
const SAVED_IPSETS_ANYWHERE: PathRule[] = [
  { re: /(^|\/)sysconfig\/ipset$/, format: 'ipset', savedConfig: true },
  { re: /(^|\/)iptables\/ipsets$/, format: 'ipset', savedConfig: true },
  { re: /(^|\/)ipset\.conf$/, format: 'ipset', savedConfig: true },
];

/** Whether a path (relative to anything) names a saved ipset configuration: for layouts matched without rules (troubleshoot). */
export function isSavedIpsetPath(path: string): boolean {
  return SAVED_IPSETS_ANYWHERE.some((rule) => rule.re.test(path));
}

/**
 * Live ipset output under the names people and collectors give it: `ipset_list`, `ipset-list.txt`,
 * `ipset.txt`, `ipset_save`, `ipset-L.out`, `ipset_list_-t`; calicoctl node diags writes `ipsets` and
 * `ipset_container` (calico/node's own ipset binary run in its container).
 */
const IPSET_NAMES: PathRule[] = [
  { re: /(^|\/)(ipsets?|ipset[_ .-]*(list|save|-?-?[LlSs]\b|container)[^/]*?)(\.(txt|out))?$/i, format: 'ipset' },
];

/**
 * The resolver configuration kubelet hands pods: /etc/resolv.conf (sos's networking plugin; on Ubuntu a link to
 * ../run/systemd/resolve/stub-resolv.conf, kept with its target), systemd-resolved's files, the file k3s / RKE2
 * write when the host's are loopback; kubelet's resolvConf in its KubeletConfiguration and kubeadm's flags file.
 */
const RESOLV_CONF: PathRule[] = [
  { re: /^etc\/resolv\.conf$/, format: 'resolv-conf' },
  { re: /^run\/systemd\/resolve\/(stub-)?resolv\.conf$/, format: 'resolv-conf' },
  { re: /^var\/lib\/rancher\/(k3s|rke2)\/agent\/etc\/resolv\.conf$/, format: 'resolv-conf' },
  { re: /^var\/lib\/kubelet\/config\.yaml$/, format: 'kubelet-config' },
  { re: /^var\/lib\/kubelet\/kubeadm-flags\.env$/, format: 'kubeadm-flags' },
];

/** The same in a hand-made bundle or a collector's copy: `resolv.conf.txt`, `cat_etc_resolv.conf`, `kubelet/config.yaml`, `kubelet-config.json`. */
const RESOLV_CONF_ANYWHERE: PathRule[] = [
  { re: /(^|\/)(?:cat[-_ .]*)?(?:etc[-_ .]*)?(?:stub-)?resolv\.conf(?:[-_.](?:txt|out|log))?$/i, format: 'resolv-conf' },
  { re: /(^|\/)kubelet\/config\.ya?ml$|(^|\/)kubelet[-_.]config\.(?:ya?ml|json)$/, format: 'kubelet-config' },
  { re: /(^|\/)kubeadm-flags\.env$/, format: 'kubeadm-flags' },
];

/** systemd .link files (udev's naming and MAC policy of new links) and their .link.d drop-ins; the directory decides precedence */
const SYSTEMD_LINK: PathRule[] = [{ re: /^(?:etc|run|usr\/local\/lib|usr\/lib|lib)\/systemd\/network\/(?:[^/]+\.link|[^/]+\.link\.d\/[^/]+\.conf)$/, format: 'systemd-link' }];
const SYSTEMD_NETWORK: PathRule[] = [{ re: /^(?:etc|run|usr\/local\/lib|usr\/lib|lib)\/systemd\/network\/(?:[^/]+\.network|[^/]+\.network\.d\/[^/]+\.conf)$/, format: 'systemd-network' }];
const SYSTEMD_NETWORK_ANYWHERE: PathRule[] = [{ re: /(^|\/)(?:etc|run|usr\/local\/lib|usr\/lib|lib)\/systemd\/network\/(?:[^/]+\.network|[^/]+\.network\.d\/[^/]+\.conf)$/, format: 'systemd-network' }];
const SYSTEMD_LINK_ANYWHERE: PathRule[] = [{ re: /(^|\/)(?:etc|run|usr\/local\/lib|usr\/lib|lib)\/systemd\/network\/(?:[^/]+\.link|[^/]+\.link\.d\/[^/]+\.conf)$/, format: 'systemd-link' }];

/**
 * The proxy environment of the units that run pods' networking: containerd / CRI-O / kubelet units and drop-ins,
 * k3s' and RKE2's env files, system.conf's DefaultEnvironment=, /etc/environment, sos's systemctl show outputs
 */
const PROXY_ENV: PathRule[] = [
  { re: /^(etc|run|usr\/local\/lib|usr\/lib|lib)\/systemd\/system\/(containerd|crio|cri-o|kubelet|cri-docker|snap\.k8s\.containerd)\.service(\.d\/[^/]+\.conf)?$/, format: 'proxy-env' },
  { re: /^etc\/systemd\/system\/(k3s|k3s-agent|rke2-server|rke2-agent)\.service\.env$/, format: 'proxy-env' },
  { re: /^etc\/(default|sysconfig)\/(containerd|crio|kubelet|k3s|k3s-agent|rke2-server|rke2-agent)$/, format: 'proxy-env' },
  { re: /^etc\/systemd\/system\.conf(\.d\/[^/]+\.conf)?$/, format: 'proxy-env' },
  { re: /^etc\/environment$/, format: 'proxy-env' },
  { re: /^sos_commands\/systemd\/systemctl_show_service_--all$/, format: 'proxy-env' },
  { re: /^sos_commands\/systemd\/systemctl_show-environment$/, format: 'proxy-env' },
];
const PROXY_ENV_ANYWHERE: PathRule[] = [
  { re: /(^|\/)(containerd|crio|kubelet|cri-docker)\.service\.d\/[^/]+\.conf$/, format: 'proxy-env' },
  { re: /(^|\/)(k3s|k3s-agent|rke2-server|rke2-agent)\.service\.env$|(^|\/)(default|sysconfig)\/(containerd|crio|kubelet|k3s|k3s-agent|rke2-server|rke2-agent)$/, format: 'proxy-env' },
  { re: /(^|\/)etc[-_/]environment(\.txt)?$/, format: 'proxy-env' },
  { re: /(^|\/)systemctl[-_]show[-_][^/]*(environment|containerd|kubelet|crio)[^/]*$/i, format: 'proxy-env' },
];

/** CNI network configurations: /etc/cni/net.d, and k3s' / RKE2's own directory */
const CNI_CONF: PathRule[] = [
  { re: /^etc\/cni\/net\.d\/[^/]+\.(?:conf|conflist|json)$/, format: 'cni-conf' },
  { re: /^var\/lib\/rancher\/(?:k3s|rke2)\/agent\/etc\/cni\/net\.d\/[^/]+\.(?:conf|conflist|json)$/, format: 'cni-conf' },
];

/** the cluster's pod and Service ranges: static pod manifests, kubeadm's configuration, k3s/RKE2 config.yaml */
const KUBE_CLUSTER_CONFIG: PathRule[] = [
  { re: /^etc\/kubernetes\/manifests\/kube-(controller-manager|apiserver)\.ya?ml$/, format: 'kube-static-pod-manifest' },
  { re: /^etc\/kubernetes\/kubeadm(-config)?\.ya?ml$/, format: 'kubeadm-config' },
  { re: /^etc\/rancher\/(k3s|rke2)\/config\.yaml(\.d\/[^/]+\.yaml)?$/, format: 'k3s-config' },
];
const KUBE_CLUSTER_CONFIG_ANYWHERE: PathRule[] = [
  { re: /(^|\/)kube-(controller-manager|apiserver)\.ya?ml$/, format: 'kube-static-pod-manifest' },
  { re: /(^|\/)kubeadm[-_]config(?:[-_.][^/]*)?\.(ya?ml|json|txt)$|(^|\/)kubeadm\.ya?ml$/, format: 'kubeadm-config' },
  { re: /(^|\/)rancher\/(k3s|rke2)\/config\.yaml(\.d\/[^/]+\.ya?ml)?$|(^|\/)(k3s|rke2)[-_]config\.ya?ml$/, format: 'k3s-config' },
  { re: /(^|\/)(?:calicoctl[-_ ]get[-_ ]ip-?pools?|kubectl[-_ ]get[-_ ]ippools?[^/]*|ippools?(?:\.crd\.projectcalico\.org)?)(?:[-_.][^/]*)?\.(ya?ml|json|txt)$/i, format: 'calico-ippools' },
  // Calico Felix's configuration: felixconfiguration.yaml, felixconfigurations.crd.projectcalico.org.yaml, calicoctl-get-felixconfig.yaml
  { re: /(^|\/)(?:calicoctl[-_ ]get[-_ ]felixconfig\w*|kubectl[-_ ]get[-_ ]felixconfig\w*|felix[-_]?config\w*(?:\.crd\.projectcalico\.org)?)(?:[-_.][^/]*)?\.(ya?ml|json|txt)$/i, format: 'calico-felix-config' },
];

const PROC_SYS: PathRule[] = [{ re: /^proc\/sys\/net\/(ipv4|ipv6|bridge|netfilter)\/[^/]+$/, format: 'proc-sys' }];

export const SOSREPORT_RULES: PathRule[] = [
  { re: /^sos_commands\/kernel\/sysctl_-a$/, format: 'sysctl-text' },
  { re: /^sos_commands\/kernel\/uname_-a$/, format: 'uname' },
  { re: /^sos_commands\/networking\/ethtool_-k_([^/]+)$/, format: 'ethtool-features', hint: (m) => ({ device: m[1] }) },
  { re: /^sos_commands\/networking\/ethtool_-i_([^/]+)$/, format: 'ethtool-driver', hint: (m) => ({ device: m[1] }) },
  { re: /^(etc|usr\/local\/lib|usr\/lib|lib)\/systemd\/system\/(k3s|k3s-agent)\.service$/, format: 'k3s-flags' },
  ...PROC_SYS,
  ...SYSCTL_CONF,
  { re: /^sos_commands\/systemd\/systemctl_list-unit-files$/, format: 'systemctl-text' },
  { re: /^sos_commands\/systemd\/systemctl_list-units(_--all)?$/, format: 'systemctl-text' },
  { re: /^sos_commands\/systemd\/systemctl_status_--all$/, format: 'systemctl-text' },
  { re: /^etc\/docker\/daemon\.json$/, format: 'docker-daemon-json' },
  ...DOCKER_UNITS,
  ...PROXY_ENV,
  // the running processes with their command lines (not ps -elfL: a line per thread; not the axo
  // listings: command names only)
  { re: /^sos_commands\/process\/ps_auxwww$/, format: 'ps', group: 'ps', rank: 0 },
  { re: /^sos_commands\/process\/ps_auxfwww$/, format: 'ps', group: 'ps', rank: 1 },
  { re: /^sos_commands\/process\/ps_alxwww$/, format: 'ps', group: 'ps', rank: 2 },
  ...SAVED_IPTABLES,
  ...NFTABLES_CONF,
  {
    re: /^sos_commands\/(?:firewall_tables|networking)\/(ip6?)tables_-t_(\w+)_-nvL$/,
    format: 'iptables-list',
    hint: (m) => ({ family: m[1] === 'ip6' ? 'ipv6' : 'ipv4', table: m[2] }),
  },
  {
    // sos's default filter listing; only used when the per-table listing of filter is absent
    re: /^sos_commands\/(?:firewall_tables|networking)\/(ip6?)tables_-vnxL$/,
    format: 'iptables-list',
    group: 'filter-listing-$1',
    rank: 2,
    hint: (m) => ({ family: m[1] === 'ip6' ? 'ipv6' : 'ipv4', table: 'filter' }),
  },
  { re: /^sos_commands\/firewall_tables\/nft_(-a_)?list_ruleset$/, format: 'nft-text' },
  { re: /^sos_commands\/networking\/ip_-d_address$/, format: 'ip-addr', group: 'ip-addr', rank: 0 },
  { re: /^sos_commands\/networking\/ip_address$/, format: 'ip-addr', group: 'ip-addr', rank: 1 },
  { re: /^sos_commands\/networking\/ip_-o_addr$/, format: 'ip-addr', group: 'ip-addr', rank: 2 },
  { re: /^ip_addr$/, format: 'ip-addr', group: 'ip-addr', rank: 3 },
  { re: /^sos_commands\/networking\/ip_route_show_table_all$/, format: 'routes', group: 'routes', rank: 0 },
  { re: /^sos_commands\/networking\/ip_-4_route_show_table_all$/, format: 'routes', group: 'routes', rank: 1 },
  // the IPv6 routes: sos collects them apart (the IPv6 uplink, routeDevFor for IPv6 peers)
  { re: /^sos_commands\/networking\/ip_-6_route_show_table_all$/, format: 'routes', group: 'routes6', rank: 0 },
  { re: /^sos_commands\/networking\/(ss_-[a-zA-Z]*l[a-zA-Z]*|netstat_-[a-zA-Z]*l[a-zA-Z]*.*)$/, format: 'sockets', group: 'sockets', rank: 0 },
  { re: /^sos_commands\/networking\/(ss_-peaonmi|netstat_-W_-neopa|netstat_-neopa)$/, format: 'sockets', group: 'sockets', rank: 1 },
  { re: /^(run|var\/run)\/flannel\/subnet\.env$/, format: 'subnet-env' },
  { re: /^etc\/kube-flannel\/net-conf\.json$/, format: 'flannel-net-conf' },
  { re: /^sos_commands\/docker\/docker_network_inspect_[^/]+$/, format: 'docker-network-json' },
  ...SOS_DOCKER_CLI,
  // sos's ufw plugin runs `ufw status numbered` (sos/report/plugins/ufw.py); verbose / plain where a collector adds them
  { re: /^sos_commands\/ufw\/ufw_status(_numbered|_verbose)?$/, format: 'ufw-status' },
  { re: /^sos_commands\/firewalld\/firewall-cmd_--list-all-zones$/, format: 'firewalld-zones' },
  { re: /^etc\/firewalld\/zones\/[^/]+\.xml$/, format: 'firewalld-zone-xml' },
  { re: /^etc\/firewalld\/firewalld\.conf$/, format: 'firewalld-conf' },
  // sos's firewalld plugin copies /etc/firewalld/*.xml and zones/, not policies/ (nor runs --list-all-policies): there when added by hand
  { re: /^etc\/firewalld\/policies\/[^/]+\.xml$/, format: 'firewalld-policy-xml' },
  // sos's podman plugin (root's containers): podman ps, podman ps -a, podman port --all
  { re: /^sos_commands\/podman\/podman_ps(_-a)?$/, format: 'podman-ps' },
  { re: /^sos_commands\/podman\/podman_port_--all$/, format: 'podman-port' },
  { re: /^sos_commands\/podman\/podman_info$/, format: 'podman-info' },
  // sos collects `podman network inspect <name>` per network (newer sos under networks/)
  { re: /^sos_commands\/podman\/(?:networks\/)?podman_network_inspect_/, format: 'podman-network-inspect' },
  // sos's docker plugin (sos/report/plugins/docker.py): docker ps, docker ps -a, docker ps -as (its size option); docker.io_ps before sos 3.6
  { re: /^sos_commands\/docker\/docker(?:\.io|-latest|-current)?_ps(?:_-a|_-as)?$/, format: 'docker-ps' },
  // ... and `docker inspect <container>` per container (its containers/ subdir; images/ and volumes/ hold other inspects)
  { re: /^sos_commands\/docker\/containers\/docker_inspect_[^/]+$/, format: 'docker-container-inspect' },
  // sos's ipvs plugin (when ip_vs is loaded and ipvsadm installed): ipvsadm -Ln and its --stats / --rate / --persistent-conn / --thresholds forms
  { re: /^sos_commands\/ipvs\/ipvsadm_-Ln(?:_--(?:stats|rate|persistent-conn|thresholds))?$/, format: 'ipvsadm' },
  { re: /^sos_commands\/(?:firewall_tables|networking)\/iptables_-V$/, format: 'iptables-version' },
  // no sos plugin runs ipset today (networking, firewall_tables, firewalld checked); sos names a
  // command's output by the command, so one that did would write sos_commands/<plugin>/ipset_list
  { re: /^sos_commands\/[^/]+\/ipset_(list|save|-L|-S|--list|--save)(_[^/]*)?$/, format: 'ipset' },
  ...SAVED_IPSETS,
  ...RESOLV_CONF,
  // the neighbour table and the forwarding database (sos's networking plugin; ip_neigh_show_nud_noarp holds only NOARP entries: not read)
  { re: /^sos_commands\/networking\/ip_-s_-s_neigh_show$/, format: 'ip-neigh', group: 'ip-neigh', rank: 0 },
  { re: /^sos_commands\/networking\/ip_neigh_show$/, format: 'ip-neigh', group: 'ip-neigh', rank: 1 },
  { re: /^sos_commands\/networking\/bridge_-s_-s_-d_-t_fdb_show$/, format: 'bridge-fdb', group: 'bridge-fdb', rank: 0 },
  { re: /^sos_commands\/networking\/bridge_(?:-d_)?fdb_show$/, format: 'bridge-fdb', group: 'bridge-fdb', rank: 1 },
  // bridge ports with their hairpin setting (bridge -s -s -d link show; ip -s -d link's bridge_slave lines), sysfs copies
  { re: /^sos_commands\/networking\/bridge_(?:-s_-s_)?-d_link(?:_show)?$/, format: 'bridge-link' },
  { re: /^sos_commands\/networking\/ip_-s_-d_link$/, format: 'bridge-link' },
  { re: /^sys\/class\/net\/[^/]+\/brport\/hairpin_mode$|^sys\/devices\/virtual\/net\/[^/]+\/brif\/[^/]+\/hairpin_mode$/, format: 'bridge-link' },
  ...SYSTEMD_LINK,
  ...SYSTEMD_NETWORK,
  // sos' networking plugin: networkctl status -a (and list where it ran it)
  { re: /^sos_commands\/networking\/networkctl_(?:status_-a|status|list)$/, format: 'networkctl' },
  ...CNI_CONF,
  ...KUBE_CLUSTER_CONFIG,
  // the routing policy database (sos 4: ip_-4_rule_list; sos 3: ip_-4_rule)
  { re: /^sos_commands\/networking\/ip_-4_rule(_list)?$/, format: 'ip-rule', hint: () => ({ family: 'ipv4' }) },
  { re: /^sos_commands\/networking\/ip_-6_rule(_list)?$/, format: 'ip-rule', hint: () => ({ family: 'ipv6' }) },
  // installed packages (sos's rpm plugin: `rpm --nodigest -qa --qf "%-59{NVRA} %{INSTALLTIME:date}" | sort -V`, linked as
  // installed-rpms, and package-data; dpkg plugin: dpkg -l, linked as installed-debs; snap plugin: snap list --all, installed-snaps)
  { re: /^installed-rpms$/, format: 'rpm-qa', group: 'rpm-packages', rank: 0 },
  { re: /^sos_commands\/rpm\/sh_-c_rpm_[^/]*-qa[^/]*$/, format: 'rpm-qa', group: 'rpm-packages', rank: 1 },
  { re: /^sos_commands\/rpm\/package-data$/, format: 'rpm-qa', group: 'rpm-packages', rank: 2 },
  { re: /^installed-debs$/, format: 'dpkg-l', group: 'dpkg-packages', rank: 0 },
  { re: /^sos_commands\/dpkg\/dpkg_-l$/, format: 'dpkg-l', group: 'dpkg-packages', rank: 1 },
  { re: /^installed-snaps$/, format: 'snap-list', group: 'snap-packages', rank: 0 },
  { re: /^sos_commands\/snap\/snap_list(_--all)?$/, format: 'snap-list', group: 'snap-packages', rank: 1 },
  // the kernel's per-CPU conntrack counters (sos's networking plugin copies /proc/net/ whole) and sos's conntrack plugin's
  // `conntrack -S` (when conntrack-tools is installed): the same counters, the kernel's file first (it has the entry count);
  // not sos' per-namespace ip_netns_exec_<ns>_conntrack_-S (pods' namespaces, not the host's)
  { re: /^proc\/net\/stat\/nf_conntrack$/, format: 'conntrack-stats', group: 'conntrack-stats', rank: 0 },
  { re: /^sos_commands\/conntrack\/conntrack_-S$/, format: 'conntrack-stats', group: 'conntrack-stats', rank: 1 },
];

export const INSIGHTS_RULES: PathRule[] = [
  { re: /^insights_commands\/uname_-a$/, format: 'uname' },
  { re: /^insights_commands\/sysctl(_-a)?$/, format: 'sysctl-text' },
  ...PROC_SYS,
  ...SYSCTL_CONF,
  { re: /^insights_commands\/systemctl_list-unit-files$/, format: 'systemctl-text' },
  { re: /^insights_commands\/systemctl_list-units.*$/, format: 'systemctl-text' },
  { re: /^insights_commands\/systemctl_status_--all$/, format: 'systemctl-text' },
  { re: /^etc\/docker\/daemon\.json$/, format: 'docker-daemon-json' },
  ...DOCKER_UNITS,
  { re: /^insights_commands\/ps_auxw+$/, format: 'ps', group: 'ps', rank: 0 },
  { re: /^insights_commands\/ps_-?ef$/, format: 'ps', group: 'ps', rank: 1 },
  ...SAVED_IPTABLES,
  ...NFTABLES_CONF,
  { re: /^insights_commands\/iptables-save$/, format: 'iptables-save', hint: () => ({ family: 'ipv4' }) },
  { re: /^insights_commands\/ip6tables-save$/, format: 'iptables-save', hint: () => ({ family: 'ipv6' }) },
  { re: /^insights_commands\/nft_-j_list_ruleset$/, format: 'nft-json' },
  { re: /^insights_commands\/nft_list_ruleset$/, format: 'nft-text' },
  { re: /^insights_commands\/ip_addr$/, format: 'ip-addr' },
  { re: /^insights_commands\/ip_route_show_table_all$/, format: 'routes' },
  { re: /^insights_commands\/ip_-6_route_show_table_all$/, format: 'routes' },
  { re: /^insights_commands\/(ss_-tupna|ss_-tulpn|netstat_-neopa)$/, format: 'sockets' },
  { re: /^insights_commands\/docker_network_inspect.*$/, format: 'docker-network-json' },
  { re: /^insights_commands\/docker_info$/, format: 'docker-info' },
  { re: /^insights_commands\/docker_version$/, format: 'docker-version' },
  // insights' docker_list_containers spec: /usr/bin/docker ps --all --no-trunc
  { re: /^insights_commands\/docker_ps(?:_[^/]*)?$/, format: 'docker-ps' },
  { re: /^insights_commands\/iptables_-V$/, format: 'iptables-version' },
  { re: /^(run|var\/run)\/flannel\/subnet\.env$/, format: 'subnet-env' },
  { re: /^insights_commands\/ipset_(list|save|-L|-S|--list|--save)(_[^/]*)?$/, format: 'ipset' },
  ...SAVED_IPSETS,
  ...PROXY_ENV,
  ...RESOLV_CONF,
  { re: /^insights_commands\/ip_(?:-s_)?neigh(?:_show)?$/, format: 'ip-neigh' },
  // insights' installed_rpms spec: rpm -qa --qf '...' (tab-separated in older clients, JSON lines in newer); not rpm -V
  { re: /^insights_commands\/rpm_-qa(?:_[^/]*)?$/, format: 'rpm-qa' },
  { re: /^insights_commands\/dpkg_-l$/, format: 'dpkg-l' },
  ...SYSTEMD_LINK,
  ...SYSTEMD_NETWORK,
  ...CNI_CONF,
];

/** Hand-made bundles: names people give command output; everything else is sniffed. */
export const FLAT_RULES: PathRule[] = [
  { re: /(^|\/)uname(?:[-_ ]+-?[ar])?(?:\.(?:txt|out|log))?$/i, format: 'uname' },
  { re: /(^|\/)ethtool[-_ ]+-?k[-_ ]+([\w.@:-]+?)(?:\.(?:txt|out|log))?$/, format: 'ethtool-features', hint: (m) => ({ device: m[2] }) },
  { re: /(^|\/)ethtool[-_ ]+-?i[-_ ]+([\w.@:-]+?)(?:\.(?:txt|out|log))?$/, format: 'ethtool-driver', hint: (m) => ({ device: m[2] }) },
  { re: /(^|\/)(?:etc\/systemd\/system\/)?(k3s|k3s-agent)\.service$/, format: 'k3s-flags' },
  { re: /(^|\/)system(?:ctl|d)[-_ ]*-{0,2}version(?:\.(?:txt|out|log))?$/i, format: 'systemd-version' },
  { re: /(^|\/)docker(?:d|[-_ ]?daemon)[-_ ]*(?:cmd[-_ ]?line|command(?:[-_ ]?line)?|args|flags)(?:\.(?:txt|out|log))?$/i, format: 'dockerd-cmdline' },
  ...SYSCTL_CONF_ANYWHERE,
  ...PROC_SYS,
  ...SAVED_IPTABLES_ANYWHERE,
  ...NFTABLES_CONF_ANYWHERE,
  ...RESOLV_CONF_ANYWHERE,
  { re: /(^|\/)subnet\.env$/, format: 'subnet-env' },
  { re: /(^|\/)net-conf\.json$/, format: 'flannel-net-conf' },
  { re: /(^|\/)daemon\.json$/, format: 'docker-daemon-json' },
  ...DOCKER_UNITS_ANYWHERE,
  ...PROXY_ENV_ANYWHERE,
  ...KUBE_CLUSTER_CONFIG_ANYWHERE,
  { re: /(^|\/)sysctl\.json$/, format: 'sysctl-json' },
  { re: /(^|\/)systemctl_services\.json$/, format: 'systemctl-json' },
  { re: /(^|\/)zones\/[^/]+\.xml$/, format: 'firewalld-zone-xml' },
  { re: /(^|\/)firewalld\.conf$/, format: 'firewalld-conf' },
  { re: /(^|\/)policies\/[^/]+\.xml$/, format: 'firewalld-policy-xml' },
  { re: /(^|\/)podman[-_. ]?ps(?:[-_. ][^/]*)?$/, format: 'podman-ps' },
  { re: /(^|\/)podman[-_. ]?port(?:[-_. ][^/]*)?$/, format: 'podman-port' },
  { re: /(^|\/)podman[-_. ]?(?:system[-_. ]?)?info(?:[-_.][^/]*)?$/i, format: 'podman-info' },
  { re: /(^|\/)podman[-_. ]?network[-_. ]?inspect(?:[-_. ][^/]*)?$/i, format: 'podman-network-inspect' },
  // quadlet units: /etc/containers/systemd/*.container, ~/.config/containers/systemd/*.container
  { re: /(^|\/)containers\/systemd\/(?:[^/]+\/)*[^/]+\.container$/, format: 'podman-publish-declared' },
  // docker ps [-a] / docker container ls under the names people give them (docker-ps.txt, docker_ps_-a); others are sniffed
  { re: /(^|\/)docker[-_. ]?(?:ps|container[-_. ]?(?:ls|list|ps))(?:[-_. ][^/]*)?$/i, format: 'docker-ps' },
  { re: /(^|\/)ipvsadm(?:[-_. ][^/]*)?$/i, format: 'ipvsadm' },
  ...SAVED_IPSETS_ANYWHERE,
  ...IPSET_NAMES,
  ...DOCKER_CLI_NAMES,
  // `ufw status [verbose|numbered]` under the names people give it (ufw-status.txt, ufw_status_verbose); others are sniffed
  { re: /(^|\/)(sudo[-_ ])?ufw[-_ ]status(?:[-_ .][^/]*)?$/i, format: 'ufw-status' },
  // `nft monitor trace` saved under its own name (nft-monitor-trace.txt); others are sniffed
  { re: /(^|\/)nft[-_ ]monitor[-_ ]trace[^/]*$/i, format: 'nft-trace' },
  // aws-node's settings (ipamd's introspection JSON), under the EKS collector's or aws-cni-support.sh's name
  { re: /(^|\/)networkutils-env(-settings\.json|\.out)$/, format: 'aws-cni-network-settings' },
  ...SYSTEMD_LINK_ANYWHERE,
  ...SYSTEMD_NETWORK_ANYWHERE,
  { re: /(^|\/)[^/]+\.network$/, format: 'systemd-network' },
  { re: /(^|\/)networkctl(?:[-_ .][^/]*)?$/i, format: 'networkctl' },
  { re: /(^|\/)(?:ip[-_ ]?(?:-[46s][-_ ])*neigh[^/]*|arp[-_ ]?-?(?:an|na)[^/]*)$/i, format: 'ip-neigh' },
  { re: /(^|\/)bridge[-_ ]?(?:-\w+[-_ ])*fdb[^/]*$/i, format: 'bridge-fdb' },
  { re: /(^|\/)(?:nodes\.json|kubectl[-_ ]get[-_ ]nodes?[^/]*)$/i, format: 'kube-nodes' },
  { re: /(^|\/)bridge[-_ .]*(?:-[sd][-_ .]*)*link(?:[-_ .]*show)?(?:\.(?:txt|out))?$/i, format: 'bridge-link' },
  { re: /(^|\/)hairpin[-_ .]*mode[^/]*$/i, format: 'bridge-link' },
  { re: /(^|\/)cni\/net\.d\/[^/]+\.(?:conf|conflist|json)$|(^|\/)[^/]+\.conflist$/, format: 'cni-conf' },
  // ip-rule.txt, ip_rule_show, "ip -6 rule.txt", iprule.txt, ip6rule.txt (not iproute.txt / iptables-rules.txt)
  { re: /(^|\/)ip(6)?[-_ ]?(?:-[46d][-_ ])*rules?(?:[-_ ](?:show|list|ls))?(?:\.(?:txt|out|log))?$/i, format: 'ip-rule' },
  // installed packages under the names people give them: rpm-qa.txt, rpm_-qa, installed-rpms, dpkg-l.txt, dpkg_-l,
  // installed-debs, dpkg-query.txt, apk-info.txt, apk_list_--installed, snap-list.txt; packages.txt / pkglist.txt by content
  { re: /(^|\/)(?:installed-rpms|rpm[-_ ]*-?qa[^/]*)$/i, format: 'rpm-qa' },
  { re: /(^|\/)(?:installed-debs|dpkg[-_ ]*-?(?:l|-list)(?:[-_.][^/]*)?)$/i, format: 'dpkg-l' },
  { re: /(^|\/)dpkg[-_ ]*query[^/]*$/i, format: 'dpkg-query' },
  // dpkg -s <package> (its stanza, or only its Version: line: the package is in the name, dpkg-s-iptables.txt)
  { re: /(^|\/)dpkg[-_ ]{1,3}-?s[-_ ][^/]*$/i, format: 'dpkg-s' },
  { re: /(^|\/)apk[-_ ]*(?:info|list)[^/]*$/i, format: 'apk' },
  { re: /(^|\/)(?:installed-snaps|snap[-_ ]*list[^/]*)$/i, format: 'snap-list' },
  { re: /(^|\/)(?:(?:installed[-_ ]?)?packages|pkg[-_ ]?list|package[-_ ]?list)(?:\.(?:txt|out|log))?$/i, format: 'packages' },
  // conntrack -S as people save it (conntrack-S.txt, conntrack_-S, "conntrack -S.txt", conntrack-stats.txt); /proc/net/stat/nf_conntrack
  // copied as stat/nf_conntrack or proc-net-stat-nf_conntrack.txt (not proc/net/nf_conntrack, the connection list)
  { re: /(^|\/)conntrack[-_ ]?(?:-S|--stats|[Ss]tats?)(?:\.(?:txt|out|log))?$/, format: 'conntrack-stats' },
  { re: /(^|\/)(?:proc[-_/]net[-_/])?stat[-_/]nf_conntrack(?:\.(?:txt|out))?$/, format: 'conntrack-stats' },
];

/**
 * The EKS log collector's archive (awslabs/amazon-eks-ami log-collector-script/linux/eks-log-collector.sh,
 * `eks_<instance id>_<time>_<version>.tar.gz`, its folders at the archive's top). Paths relative to
 * that top. `networking/iptables-{mangle,filter,nat}.txt` and `iptables.txt` are `iptables -n -v -L`
 * listings (the last of the filter table) with the collector's `=======` / `Total Number of Rules:`
 * trailer; `iptables-save.txt` holds every table exactly: where it is, the listings are left out
 * (one group per family; the save ranks first).
 */
export const EKS_RULES: PathRule[] = [
  // eks-log-collector.sh: `ip rule show > networking/iprule.txt`, `ip -6 rule show > networking/ip6rule.txt`
  { re: /^networking\/iprule\.txt$/, format: 'ip-rule', hint: () => ({ family: 'ipv4' }) },
  { re: /^networking\/ip6rule\.txt$/, format: 'ip-rule', hint: () => ({ family: 'ipv6' }) },
  { re: /^networking\/(ip6?)tables-save\.txt$/, format: 'iptables-save', group: 'eks-$1tables', rank: 0, hint: (m) => ({ family: m[1] === 'ip6' ? 'ipv6' : 'ipv4' }) },
  {
    re: /^networking\/(ip6?)tables-(filter|nat|mangle|raw)\.txt$/,
    format: 'iptables-list',
    group: 'eks-$1tables',
    rank: 1,
    hint: (m) => ({ family: m[1] === 'ip6' ? 'ipv6' : 'ipv4', table: m[2] }),
  },
  // `iptables -L` without -t: the filter table again, for collectors older than the per-table listings
  { re: /^networking\/(ip6?)tables\.txt$/, format: 'iptables-list', group: 'eks-$1tables', rank: 2, hint: (m) => ({ family: m[1] === 'ip6' ? 'ipv6' : 'ipv4', table: 'filter' }) },
  // the collector saves no `ip addr`: `ifconfig` is its interfaces and addresses
  { re: /^networking\/ifconfig\.txt$/, format: 'ip-addr' },
  { re: /^networking\/iproute\.txt$/, format: 'routes' },
  { re: /^networking\/ipset\.txt$/, format: 'ipset' },
  // the collector's copy of /etc/resolv.conf
  { re: /^networking\/resolv\.conf$/, format: 'resolv-conf' },
  { re: /^sysctls\/sysctl_all\.txt$/, format: 'sysctl-text' },
  // `rpm -qa` or `dpkg --list` (get_pkglist), whichever the node has
  { re: /^system\/pkglist\.txt$/, format: 'packages' },
  // `systemctl list-units` (systemd); `initctl show-config` + `service --status-all` elsewhere, which no parser reads
  { re: /^system\/services\.txt$/, format: 'systemctl-text' },
  // `ps fauxwww`
  { re: /^system\/ps\.txt$/, format: 'ps' },
  // `netstat -plant`
  { re: /^system\/netstat\.txt$/, format: 'sockets' },
  // `docker info` / `docker version` (2>&1: their warnings and errors too); older collectors under system/
  { re: /^(?:system\/)?docker\/docker-info\.txt$/, format: 'docker-info' },
  { re: /^(?:system\/)?docker\/docker-version\.txt$/, format: 'docker-version' },
  // aws-node's settings: the collector's curl of ipamd's introspection endpoint (empty when it did not
  // answer); an aws-cni-support.sh run before it left the same JSON in /var/log/aws-routed-eni
  { re: /^ipamd\/networkutils-env-settings\.json$/, format: 'aws-cni-network-settings', group: 'eks-aws-cni-settings', rank: 0 },
  { re: /^var_log\/aws-routed-eni\/networkutils-env\.out$/, format: 'aws-cni-network-settings', group: 'eks-aws-cni-settings', rank: 1 },
];

/** Files whose presence directly under a folder marks an EKS log collector archive there (two of them, or one in an `eks_i-...` folder). */
export const EKS_MARKERS: RegExp[] = [
  /^sysctls\/sysctl_all\.txt$/,
  /^networking\/ip6?tables-(save|filter|nat|mangle)\.txt$/,
  /^system\/(instance-id|region|availability-zone)\.txt$/,
  /^ipamd\/[^/]+\.json$/,
  /^var_log\/aws-routed-eni\//,
  /^kubelet\/kubelet(_service\.txt|\.log)$/,
  /^containerd\/containerd-(log|config)\.txt$/,
  /^kernel\/dmesg\.(current|human\.current|boot)$/,
  /^sandbox-image\/sandbox-image-log\.txt$/,
];

/**
 * Rancher's log collector (rancherlabs/support-tools collection/rancher/v2.x/logs-collector/rancher2_logs_collector.sh):
 * one host per run, its files under `<hostname>-<YYYY-MM-DD_HH_MM_SS>/` (the archive is that folder, tarred from its
 * parent). Paths relative to that folder; each name checked against the command the script runs for it. The listings
 * (`iptables --numeric --verbose --list [--table mangle|nat]`) stand in only where the iptables-save is missing (one
 * group per family); `ip route show table all` holds both families, `ip -6 route show` only IPv6's main table.
 */
export const RANCHER_RULES: PathRule[] = [
  // networking(): iptables-save / ip6tables-save, then the per-table listings
  { re: /^networking\/(ip6?)tablessave$/, format: 'iptables-save', group: 'rancher-$1tables', rank: 0, hint: (m) => ({ family: m[1] === 'ip6' ? 'ipv6' : 'ipv4' }) },
  { re: /^networking\/(ip6?)tables(mangle|nat)$/, format: 'iptables-list', group: 'rancher-$1tables', rank: 1, hint: (m) => ({ family: m[1] === 'ip6' ? 'ipv6' : 'ipv4', table: m[2] }) },
  { re: /^networking\/(ip6?)tables$/, format: 'iptables-list', group: 'rancher-$1tables', rank: 1, hint: (m) => ({ family: m[1] === 'ip6' ? 'ipv6' : 'ipv4', table: 'filter' }) },
  // nft list ruleset
  { re: /^networking\/nft_ruleset$/, format: 'nft-text' },
  // ip addr show (both families); ifconfig -a where ip is missing. ip -6 addr show (networking/ipv6addrshow) is a part of it: not read
  { re: /^networking\/ipaddrshow$/, format: 'ip-addr', group: 'rancher-ip-addr', rank: 0 },
  { re: /^networking\/ifconfiga$/, format: 'ip-addr', group: 'rancher-ip-addr', rank: 1 },
  // ip route show table all (both families); ip -6 route show (IPv6 main table) where it is missing
  { re: /^networking\/iproute$/, format: 'routes', group: 'rancher-routes', rank: 0 },
  { re: /^networking\/ipv6route$/, format: 'routes', group: 'rancher-routes', rank: 1 },
  // ip rule show / ip -6 rule show
  { re: /^networking\/iprule$/, format: 'ip-rule', hint: () => ({ family: 'ipv4' }) },
  { re: /^networking\/ipv6rule$/, format: 'ip-rule', hint: () => ({ family: 'ipv6' }) },
  // ip neighbour / ip -6 neighbour
  { re: /^networking\/ip(?:v6)?neighbour$/, format: 'ip-neigh' },
  // ipvsadm -ln
  { re: /^networking\/ipvsadm$/, format: 'ipvsadm' },
  // ss -tunlp4 / ss -tunlp6 (listening TCP/UDP with processes); netstat --programs --all --numeric --tcp --udp; ss -anp
  { re: /^networking\/sstunlp[46]$/, format: 'sockets', group: 'rancher-sockets', rank: 0 },
  { re: /^networking\/netstat$/, format: 'sockets', group: 'rancher-sockets', rank: 1 },
  { re: /^networking\/ssanp$/, format: 'sockets', group: 'rancher-sockets', rank: 2 },
  // cp -r -p /etc/cni/net.d/* networking/cni
  { re: /^networking\/cni\/[^/]+\.(?:conf|conflist|json)$/, format: 'cni-conf' },
  // system-all(): sysctl -a, uname -a, ps auxfww, systemctl list-units / list-unit-files, conntrack -S
  { re: /^systeminfo\/sysctla$/, format: 'sysctl-text' },
  { re: /^systeminfo\/uname$/, format: 'uname' },
  { re: /^systeminfo\/ps$/, format: 'ps' },
  { re: /^systeminfo\/systemd-unit(?:s|-files)$/, format: 'systemctl-text' },
  { re: /^systeminfo\/conntrack$/, format: 'conntrack-stats' },
  // cp -p /etc/resolv.conf systeminfo/etcresolvconf; cp -p /run/systemd/resolve/resolv.conf systeminfo/systemd-resolved
  // (the layout hands the parser the host path each stands for: RANCHER_HOST_PATHS)
  { re: /^systeminfo\/etcresolvconf$/, format: 'resolv-conf' },
  { re: /^systeminfo\/systemd-resolved$/, format: 'resolv-conf' },
  // system-ubuntu(): ufw status, dpkg -l; system-rhel() / system-sles(): rpm -qa
  { re: /^systeminfo\/ubuntu-ufw$/, format: 'ufw-status' },
  { re: /^systeminfo\/packages-dpkg$/, format: 'dpkg-l' },
  { re: /^systeminfo\/packages-rpm$/, format: 'rpm-qa' },
  // rke-logs(): docker info, docker ps -a, a copy of /etc/docker/daemon.json
  { re: /^docker\/dockerinfo$/, format: 'docker-info' },
  { re: /^docker\/dockerpsa$/, format: 'docker-ps' },
  { re: /^docker\/etcdockerdaemon\.json$/, format: 'docker-daemon-json' },
  // k3s-logs() / rke2-logs(): /etc/rancher/<distro>/config.yaml without its token lines, and each file of config.yaml.d
  // beside it; k3s check-config; the k3s*.service units (sed'ed, tokens redacted) as k3s/k3s.service
  { re: /^(?:k3s|rke2)\/[^/]+\.ya?ml$/, format: 'k3s-config' },
  { re: /^k3s\/k3s\.service$/, format: 'k3s-flags' },
  { re: /^k3s\/check-config$/, format: 'k3s-check-config' },
  // rke2-k8s(): cp -p <data-dir>/agent/pod-manifests/* rke2/pod-manifests
  { re: /^rke2\/pod-manifests\/kube-(?:controller-manager|apiserver)\.ya?ml$/, format: 'kube-static-pod-manifest' },
];

/** The host file a Rancher collector copy stands for (for parsers that read meaning from the path: resolv.conf's role). */
export const RANCHER_HOST_PATHS: Record<string, string> = {
  'systeminfo/etcresolvconf': 'etc/resolv.conf',
  'systeminfo/systemd-resolved': 'run/systemd/resolve/resolv.conf',
};

/**
 * Files directly under a folder that mark a Rancher log collector run there (two kinds of them, or one in a folder named
 * `<host>-<YYYY-MM-DD_HH_MM_SS>`): names only this script gives (`iptablessave`, `ipaddrshow`, `sysctla`, ...).
 */
export const RANCHER_MARKERS: RegExp[] = [
  /^systeminfo\/(?:hostnamefqdn|sysctla|etcresolvconf|etchosts|freem|dfh|ulimit-hard|systemd-unit-files)$/,
  /^networking\/(?:ip6?tablessave|ipaddrshow|nft_ruleset|iplinkshow|ipneighbour|ssanp|sstunlp4)$/,
  /^journald\/(?:k3s|rke2-server|rke2-agent|rancher-system-agent|kubeproxy)$/,
  /^(?:k3s|rke2)\/crictl\/(?:psa|pods|imagefsinfo)$/,
];

/** Files of a Rancher collector run read by nothing: a part of another (ip -6 addr show), the collector's own log, tables no parser reads. */
export const RANCHER_NOT_READ = /^(?:networking\/ipv6addrshow|collector-output\.log|(?:k3s|rke2|rke|kubeadm)\/(?:kubectl|crictl|certs|tmpcerts|directories|containerinspect|podinspect)\/.*|rancher\/containerinspect\/.*|etcd\/.*)$/;
