/**
 * Log signatures from H53 (reviews R18 case 07, R17 case 06) that are not kube-proxy's (those are in
 * signatures-kube-proxy.ts). Wording and severity: analyzers/lib/r13-wording.ts.
 *
 * k3s ServiceLB (klipper-lb, the svclb-* pods). Its entry script runs under `set -x` and, before it writes its
 * DNAT rule, checks that forwarding is on in the pod's own network namespace; the trace of a refusal is
 *
 *   + cat /proc/sys/net/ipv6/conf/all/forwarding
 *   + '[' 0 '!=' 1 ]
 *   + exit 1
 *
 * (k3s-io/k3s#4400: dual-stack on RHEL, whose kernels before 5.1 give a new namespace net.ipv6.conf.all.forwarding
 * = 0 whatever the host has; fixed by k3s PR #4437, which sets the sysctl on the svclb pod, backported as #4518 to
 * 1.22 and #4519 to 1.21; the same for IPv4 with Calico's `allow_ip_forwarding: false`, k3s-io/klipper-lb#6, and
 * in LXC where the script cannot write /proc/sys first, klipper-lb#10). The value is the pod's, not the host's:
 * these lines never say anything about the host's sysctl (sysctl.ip-forward-disabled). A healthy trace reads
 * `'[' 1 '!=' 1 ]` (or, in later klipper-lb, `'[' 1 '==' 1 ]`) and goes on to iptables.
 * - log.svclb-forwarding-disabled: the `'[' 0 '!=' 1 ]` test line; the analyzer keeps it only where the `cat` of a
 *   forwarding file is just above it and `+ exit 1` just below (a shell trace of anything else is not klipper-lb's).
 * - quiet context: log.svclb-forwarding-read (the cat line: which family), log.shell-trace-exit (`+ exit 1`),
 *   log.svclb-forwarding-write-refused (`can't create /proc/sys/net/ipv4/ip_forward: Read-only file system`).
 *
 * netavark's nftables driver (Podman 5's default firewall driver). It applies its rules through nft's JSON API,
 * so nft's complaint has no line or marker: `internal:0:0-0: Error: Could not process rule: No such file or
 * directory`, then `Error: netavark: nftables error: nft did not return successfully while applying ruleset`
 * (containers/netavark#1057, containers/podman#23404, containers/podman#25201). ENOENT from the kernel on adding a
 * rule means an expression module the rule needs is not there: netavark's `fib daddr type local` needs
 * nft_fib_inet (netavark#1057, the maintainer's answer; microsoft/WSL#13479 asks for CONFIG_NFT_FIB_INET for it),
 * its NAT chains nft_chain_nat / nft_nat / nft_masq, its `ct state` nft_ct. The same ENOENT on a delete or on a rule
 * for a table or chain that is not there means "no such table / chain" (nft marks the name: `delete table inet x`
 * under `/dev/stdin:1:19-27: Error: Could not process rule: No such file or directory`, nft 1.0.6 here).
 * - log.netavark-nftables-failed: netavark's summary line, or a line that names netavark with nft's error.
 * - log.nft-rule-not-processed (quiet): nft's `Error: Could not process rule: <errno text>` from any program, the
 *   context the netavark finding reads just above its own line. firewalld's `'python-nftables' failed: internal:0:0-0:
 *   Error: Could not process rule: ...` (firewalld#1370) is firewalld's and fires nothing here.
 */
import type { LogSignature } from './signatures.js';

/** klipper-lb's forwarding test, refused: `+ '[' 0 '!=' 1 ]` (bash prints the closing bracket unquoted, some shells quote it) */
export const SVCLB_FORWARDING_TEST = /(?:^|\s)\+ '\[' (?<value>0) '!=' 1 '?\]'?\s*$/;

export const R13_SIGNATURES: readonly LogSignature[] = [
  {
    id: 'log.svclb-forwarding-disabled',
    literals: ["0 '!=' 1"],
    pattern: SVCLB_FORWARDING_TEST,
    meaning:
      "k3s ServiceLB's pod (klipper-lb, the svclb-<service> pods) exited: its entry script reads forwarding in the pod's own network namespace before it writes its DNAT rule, found 0 and stopped with exit 1. That value is the pod's, not the host's (a new network namespace starts from its own defaults): the host's net.ipv4.ip_forward or net.ipv6.conf.all.forwarding may well be 1. The LoadBalancer port of this family does not answer on this node while the pod crash-loops.",
    supports: [],
    severity: 'warning',
    title: "k3s ServiceLB (svclb) exits: forwarding is off in the svclb pod's namespace",
    advice:
      "Look at the svclb pod's own value, not the host's; a k3s with the fix (k3s PR #4437) sets it on the pod for IPv6. Do not change the host's sysctl for this.",
    commands: ['kubectl get pods -A -o wide | grep svclb-   # which svclb pods crash-loop'],
  },
  {
    id: 'log.svclb-forwarding-read',
    literals: ['+ cat /proc/sys/net/'],
    pattern: /(?:^|\s)\+ cat \/proc\/sys\/net\/(?:(?<family>ipv6)\/conf\/all\/forwarding|(?<family_2>ipv4)\/ip_forward)\s*$/,
    meaning: "klipper-lb's entry script reading forwarding in its pod's namespace.",
    supports: [],
    severity: 'info',
    title: 'klipper-lb reads forwarding',
    advice: 'Nothing to fix by itself.',
    quiet: true,
  },
  {
    id: 'log.shell-trace-exit',
    literals: ['+ exit 1', '+ exit 2', '+ exit 3', '+ exit 4', '+ exit 5', '+ exit 6', '+ exit 7', '+ exit 8', '+ exit 9'],
    pattern: /(?:^|\s)\+ exit (?<code>[1-9]\d{0,2})\s*$/,
    meaning: 'a shell script traced with set -x exited with an error status.',
    supports: [],
    severity: 'info',
    title: 'a traced script exited',
    advice: 'Nothing to fix by itself.',
    quiet: true,
  },
  {
    id: 'log.svclb-forwarding-write-refused',
    literals: ["can't create /proc/sys/net/"],
    pattern: /can't create \/proc\/sys\/net\/(?:(?<family>ipv6)\/conf\/all\/forwarding|(?<family_2>ipv4)\/ip_forward): (?<reason>Read-only file system|Permission denied)/,
    meaning: "klipper-lb's older entry script tried to turn forwarding on in its pod and /proc/sys is read-only there.",
    supports: [],
    severity: 'info',
    title: 'klipper-lb cannot write forwarding',
    advice: 'Nothing to fix by itself.',
    quiet: true,
  },
  {
    id: 'log.netavark-nftables-failed',
    literals: ['netavark'],
    pattern:
      /netavark: nftables error: (?<what>"?nft"? did not return successfully while applying ruleset)|netavark[^\n]{0,200}?(?:internal:\d{1,6}:\d{1,6}-\d{1,6}: )?Error: Could not process rule: (?<nftError>[^\n]{1,120})/,
    meaning:
      "netavark (Podman's network stack, nftables firewall driver) could not apply its rules: nft refused the batch, so the container's network was not set up (podman run fails, or the container has no NAT or published ports).",
    supports: [],
    severity: 'warning',
    title: 'netavark (nftables) cannot apply its rules',
    advice: "Read nft's error line just above netavark's: the fix depends on it.",
    commands: ['nft list table inet netavark | head -40   # what netavark has now'],
  },
  {
    id: 'log.nft-rule-not-processed',
    literals: ['Could not process rule: '],
    pattern: /(?:(?<where>internal:\d{1,6}:\d{1,6}-\d{1,6}|\/dev\/stdin:\d{1,7}:\d{1,5}-\d{1,5}): )?Error: Could not process rule: (?<nftError>[^\n]{1,120})/,
    meaning: "nft refused a command of its batch (the kernel's errno in words).",
    supports: [],
    severity: 'info',
    title: 'nft refused a rule',
    advice: 'Nothing to fix by itself: the program that ran nft says what it was doing.',
    quiet: true,
  },
];

/**
 * H60: kube-proxy's klog source files that have written F (fatal) lines across its releases: cmd/kube-proxy/app
 * (server.go, server_others.go, server_linux.go, server_windows.go, conntrack.go, init_linux.go), the proxiers
 * (pkg/proxy/{iptables,ipvs,nftables,userspace,winkernel}/proxier.go, meta_proxier.go), pkg/util/iptables' iptables.go,
 * the IPVS mode's ipset.go and netlink / ipvs helpers. klog's level letter and date (`F0926 `) are too short and too
 * varied for the byte prefilter, so the file name before `:LINE] ` is the literal: a line of one of these files is
 * decoded and the pattern then asks for the F header; no other line is (the bench's `kuberuntime_manager.go:` lines
 * share only `.go:` with them). Which F lines are kube-proxy's is the analyzer's (analyzers/lib/r13-wording.ts:
 * kubelet, kube-router and flannel use some of the same file names).
 */
export const KUBE_PROXY_FATAL_FILES = ['server.go', 'server_others.go', 'server_linux.go', 'server_windows.go', 'conntrack.go', 'init_linux.go', 'proxier.go', 'iptables.go', 'ipset.go', 'netlink_linux.go', 'graceful_termination.go'] as const;

export const KUBE_PROXY_FATAL: LogSignature = {
  // a klog fatal line from one of kube-proxy's source files; the analyzer keeps kube-proxy's only (signatures-kube-proxy.ts' header)
  id: 'log.kube-proxy-fatal',
  // `proxier.go:` without a leading space also holds meta_proxier.go; the others start at the klog field's space
  literals: KUBE_PROXY_FATAL_FILES.map((f) => (f === 'proxier.go' ? `${f}:` : ` ${f}:`)),
  pattern: new RegExp(
    String.raw`(?:^|\s)F(?:0[1-9]|1[0-2])[0-3]\d \d{2}:\d{2}:\d{2}\.\d{3,9}\s{1,12}(?<pid>\d{1,10}) (?<source>(?:${KUBE_PROXY_FATAL_FILES.filter((f) => f !== 'proxier.go')
      .map((f) => f.replace('.', String.raw`\.`))
      .join('|')}|(?:meta_)?proxier\.go)):\d{1,6}\] (?<text>[^\n]{1,400})`,
  ),
  meaning: 'kube-proxy logged a fatal error (klog level F) and exited: it programs no Service rules until it starts again and gets past it.',
  supports: [],
  severity: 'warning',
  title: 'kube-proxy exited on a fatal error',
  advice: "Read the fatal line: it is the reason kube-proxy stopped. Fix that and restart kube-proxy; its earlier lines show how far the start got.",
  commands: ["kubectl -n kube-system logs -l k8s-app=kube-proxy --previous --tail=50   # the start that ended on it"],
};
