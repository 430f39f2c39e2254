/**
 * kube-proxy's sync failures in nftables mode, and the two lines around every sync that tell whether
 * a later one succeeded.
 *
 * kube-proxy (pkg/proxy/nftables/proxier.go, syncProxyRules) writes the whole ruleset as one
 * `nft -f -` transaction; when nft refuses it, nothing of it is applied and kube-proxy logs, through
 * klog's structured form:
 *
 *   E0911 16:35:49.547707  1 proxier.go:1851] "nftables sync failed" err=<
 *   	/dev/stdin:72:109-112: Error: Interface does not exist
 *   	add rule ip kube-proxy service-2QRHZV4L-default/kubernetes/tcp/https ip daddr 10.0.0.1 tcp dport 443 iif != azv* jump mark-for-masquerade
 *   	                                                                                                            ^^^^
 *
 * (kubernetes PR #134024), or on one line when nft itself fails (`"nftables sync failed" err="signal:
 * segmentation fault (core dumped)" ipFamily="IPv4"`, kubernetes#136786); with --logging-format=json
 * `"msg":"nftables sync failed","err":"..."`. A deferred function then logs `"Sync failed"
 * ipFamily="IPv4" retryingTime="30s"` (Info) and, last, `"SyncProxyRules complete" elapsed=...`
 * (V(2), logged after every sync, failed or not): a `SyncProxyRules complete` not preceded by a
 * failure of its sync is a successful sync (analyzers/lib/kube-proxy-sync.ts).
 *
 * Before any sync, kube-proxy checks that it can use nftables at all (pkg/proxy/nftables: getNFTablesInterface,
 * knftables.New) and exits when it cannot: `unable to create proxier: unable to create ipv4 proxier: could not
 * find nftables binary: exec: "nft": executable file not found in $PATH` (k3s-io/k3s#11267, 1.31), `kube-proxy in
 * nftables mode requires kernel 5.13 or later` (kubernetes PR #124152, 1.31+), `nft version must be v1.0.1 or
 * later (got ...)`, `could not run nftables command: ...`, wrapped by `nftables is not available on this host` /
 * `no nftables support on this host` in later layouts of the same check: log.kube-proxy-nftables-unavailable, a
 * finding of its own (no sync ever runs, so log.kube-proxy-sync-failed never fires). The same knftables error under
 * `"Error cleaning up nftables rules"` is kube-proxy in iptables or IPVS mode removing the nftables mode's table at
 * start (rancher/rke2#7438: no nft in the image): harmless, and context only.
 *
 * Around a sync kube-proxy also lists its table and deletes what went stale; when that fails the sync goes on
 * without the cleanup and the next one retries: `"Failed to list nftables chains: stale chains will not be
 * deleted"`, `"Failed to list nftables sets: stale affinity sets will not be deleted"` (1.29+), `"Failed to list
 * existing sets"` (kubernetes#136786), `"Failed to list nftables elements" err=< failed to run nft: JSON support not
 * compiled-in >` (rancher/rke2#8840, the reporter: "everything seems to be working fine"), `"Unable to delete stale
 * chains; will retry later" err=< ... Device or resource busy >` (kubernetes#122604, #128829: a chain a map element
 * still referenced, before kernel 6.2). log.kube-proxy-nftables-housekeeping keeps them as context (quiet): whether
 * the sync itself failed is the `nftables sync failed` line's.
 *
 * iptables mode is not here: kube-proxy's `"Failed to execute iptables-restore" err=<...>` is
 * log.iptables-restore-failed (and its cleanup of the other modes' chains log.iptables-cleanup-harmless).
 * Another program's "nftables sync failed" (no quote after it, as klog writes it) is not kube-proxy's.
 *
 * H53 (review R18 cases 05, 06): kube-proxy's own start-up failures.
 * - log.kube-proxy-conntrack-setup-failed: kube-proxy raises net.netfilter.nf_conntrack_max (and the
 *   conntrack hash size with it) at start and exits when it cannot: `F0926 17:32:16.176899 8435 server.go:361]
 *   write /sys/module/nf_conntrack/parameters/hashsize: operation not supported` (canonical/microk8s#119, MicroK8s in
 *   LXD), `F0513 15:57:17.447425 1 server.go:495] open /proc/sys/net/netfilter/nf_conntrack_max: permission denied`
 *   (kubernetes/minikube#11418, kubernetes-sigs/kind#2240: a node in a container on kernels >= 5.12.2 / 5.10.35,
 *   whose default limit is lower than kube-proxy's), `read-only file system` (kubernetes/kubernetes#24027). Newer
 *   kube-proxy says it as `"Error running ProxyServer" err="open /proc/sys/..."`. Severity and remedy are the
 *   analyzer's (analyzers/lib/r13-wording.ts): critical unless kube-proxy got past its start later in the logs.
 * - log.kube-proxy-started (quiet): kube-proxy past its conntrack setup, starting its config controllers
 *   (`Starting service config controller`, `Caches are synced for service config`; structured
 *   `"Caches are synced" controller="service config"`): the later start that makes a start-up failure history.
 * - log.kube-proxy-fatal: any klog `F` (fatal) line; the analyzer keeps only those it can attribute to kube-proxy
 *   (the line's unit, pod, container or file says kube-proxy, or the same process's kube-proxy start lines come just
 *   before it) and that no more specific signature explains: "kube-proxy exited: <text>".
 */
import type { LogSignature } from './signatures.js';

export const KUBE_PROXY_SIGNATURES: readonly LogSignature[] = [
  {
    id: 'log.kube-proxy-sync-failed',
    literals: ['nftables sync failed"'],
    // klog text `"nftables sync failed" err=`, --logging-format=json `"msg":"nftables sync failed"`
    pattern: /"(?<mode>nftables) sync failed" err=|"msg":\s?"(?<mode_2>nftables) sync failed"/,
    extract: [
      // nft's first complaint and where: `/dev/stdin:72:109-112: Error: Interface does not exist`
      /(?:^|\n|\\n|\\t|\t)\s*\/dev\/stdin:(?<stdinLine>\d{1,7}):(?<column>\d{1,5})(?:-(?<columnEnd>\d{1,5}))?: Error: (?<nftError>[^\n\\]{1,300})/,
      // an Error line without a location (`Error: Could not process rule: ...` of older nft, `Error: syntax error`)
      /(?:^|\n|\\n|\\t|\t)\s*Error: (?<nftError>[^\n\\]{1,300})/,
      // the command nft quotes under its Error line
      /\n\s*(?<rule>(?:add|insert|replace|create|delete|flush|destroy) (?:rule|element|chain|set|map|table)\s[^\n]{1,1500})/,
      // the same in JSON, where the lines are `\n`-escaped in one string
      /\\n(?:\\t)?\s*(?<rule>(?:add|insert|replace|create|delete|flush|destroy) (?:rule|element|chain|set|map|table)\s[^\n\\]{1,1500})/,
      // nft itself failed: `err="signal: segmentation fault (core dumped)"`, `err="failed to run nft: ..."`
      /sync failed" err="(?<err>[^"\n]{1,300})"|sync failed",(?:[^\n]{0,200}?,)?"err":\s?"(?<err_2>[^"\n]{1,300})"/,
      /ipFamily"?[=:]"?(?<ipFamily>IPv4|IPv6)/,
      // the interface match of the rule (kubernetes#134024: `iif != azv*` where `iifname` was meant)
      /\biif (?:!= )?"?(?<iif>[^\s"]{1,16})/,
    ],
    continues: true,
    meaning:
      "kube-proxy (nftables mode) could not write its rules: nft refused the whole transaction of the sync (the Error line says why and quotes the command it refused), so none of that sync's changes were applied. Services, endpoints and NodePorts created or changed since the last successful sync are not programmed on this node, and kube-proxy retries the whole sync after its sync period (30s by default).",
    supports: [],
    severity: 'warning',
    title: 'kube-proxy (nftables) fails to sync its rules',
    advice:
      "Read nft's Error line and the command it quotes under it: the fix depends on the cause (a kube-proxy bug that generates a rule nft refuses, a kernel without the nf_tables module the rule needs, another program's tables, an nft binary that crashes). Check what kube-proxy's table holds now and whether later syncs still fail.",
    commands: [
      'nft list table ip kube-proxy | head -50   # what the last successful sync left (IPv6: nft list table ip6 kube-proxy)',
      "kubectl -n kube-system logs -l k8s-app=kube-proxy --tail=500 | grep -A4 'nftables sync failed'   # does every sync still fail",
    ],
  },
  {
    // the Info line the failed sync's deferred function writes: `"Sync failed" ipFamily="IPv4" retryingTime="30s"`
    // (older: `"Sync failed" retryingTime="30s"`, kubernetes#136786, k3s-io/k3s#6184); in both modes
    id: 'log.kube-proxy-sync-retry',
    literals: ['Sync failed"'],
    pattern: /"(?:msg":\s?")?Sync failed"[^\n]{0,120}?retryingTime/,
    extract: [/ipFamily"?[=:]"?(?<ipFamily>IPv4|IPv6)/],
    meaning: 'kube-proxy will retry a sync that failed after its sync period.',
    supports: [],
    severity: 'info',
    title: 'kube-proxy retries a failed sync',
    advice: 'Nothing to fix by itself: the line before it says why the sync failed.',
    quiet: true,
  },
  {
    // V(2), after every sync, failed or not: `"SyncProxyRules complete" ipFamily="IPv4" elapsed="46.2ms"`
    id: 'log.kube-proxy-sync-complete',
    literals: ['SyncProxyRules complete"'],
    pattern: /"(?:msg":\s?")?SyncProxyRules complete"/,
    extract: [/ipFamily"?[=:]"?(?<ipFamily>IPv4|IPv6)/],
    meaning: 'kube-proxy finished a sync (successful unless the lines just before it say it failed).',
    supports: [],
    severity: 'info',
    title: 'kube-proxy finished a sync',
    advice: 'Nothing to fix.',
    quiet: true,
  },
  {
    // kube-proxy cannot use nftables at all and exits before its first sync (see the header)
    id: 'log.kube-proxy-nftables-unavailable',
    literals: ['create ipv4 proxier', 'create ipv6 proxier', 'create IPv4 proxier', 'create IPv6 proxier', 'nftables is not available on this host', 'no nftables support', 'in nftables mode requires kernel'],
    pattern:
      /unable to create (?:ipv4|ipv6|IPv4|IPv6) proxier: (?<reason>could not find nftables binary|could not run nftables command|nft version must be v1\.0\.1 or later|kube-proxy in nftables mode requires kernel|could not check kernel version)|(?<reason_2>nftables is not available on this host|no nftables support (?:on this host|for primary IP family))|(?<reason_3>kube-proxy in nftables mode requires kernel)/,
    // iptables / IPVS mode removing the nftables table at start (rancher/rke2#7438) says the same knftables error
    unless: /Error cleaning up nftables rules/,
    extract: [
      /in nftables mode requires kernel (?<requiredKernel>\d{1,2}\.\d{1,3})/,
      /nft version must be v1\.0\.1 or later \(got (?:nftables )?(?<nftVersion>v?\d{1,2}\.\d{1,3}(?:\.\d{1,3})?)/,
      /could not find nftables binary: (?<detail>[^\n]{1,200})/,
      /could not run nftables command: (?<detail>[^\n"]{1,200})/,
      /unable to create (?<ipFamily>ipv4|ipv6|IPv4|IPv6) proxier/,
    ],
    meaning:
      "kube-proxy was configured for nftables mode and exited at start because it cannot use nftables on this node (no nft binary in its image or bundle, an nft older than 1.0.1, a kernel older than 5.13, or nft failing to run): it programs no Service rules at all, so ClusterIPs and NodePorts do not work on this node, and with k3s or RKE2 the whole agent stops with it.",
    supports: [],
    severity: 'warning',
    title: 'kube-proxy cannot run in nftables mode on this node',
    advice:
      'Read the reason in the line: install or ship an nft binary of version 1.0.1 or later where kube-proxy runs, run a kernel of 5.13 or later, or configure kube-proxy for iptables mode on this node; then restart kube-proxy.',
    commands: [
      'uname -r   # kube-proxy needs 5.13 or later for nftables mode',
      "nft --version; lsmod | grep -w nf_tables   # the host's nft and the kernel module",
      "kubectl -n kube-system get configmap kube-proxy -o yaml | grep -n 'mode:'   # the configured mode (k3s / RKE2: --kube-proxy-arg=proxy-mode=...)",
    ],
  },
  {
    // listing or deleting what went stale around a sync failed; the sync goes on (see the header): context only
    id: 'log.kube-proxy-nftables-housekeeping',
    literals: ['Failed to list existing sets"', 'Failed to list nftables', 'Unable to delete stale chains', 'Error cleaning up nftables rules"'],
    pattern:
      /"(?:msg":\s?")?(?<step>Failed to list existing sets|Failed to list nftables (?:chains|sets|elements)|Unable to delete stale chains|Error cleaning up nftables rules)(?::[^"\n]{0,80})?;?[^"\n]{0,40}"/,
    continues: true,
    extract: [
      // `err="could not find nftables binary: exec: \"nft\": executable file not found in $PATH"`: escaped quotes inside
      /err="(?<err>(?:[^"\\\n]|\\.){1,300})"/,
      /(?:^|\n|\t)\s*(?<err>failed to run nft: [^\n\\]{1,200})/,
      /(?:^|\n|\t)\s*(?:\/dev\/stdin:\d{1,7}:\d{1,5}(?:-\d{1,5})?: )?Error: (?<nftError>[^\n\\]{1,200})/,
      /ipFamily"?[=:]"?(?<ipFamily>IPv4|IPv6)/,
    ],
    meaning:
      "kube-proxy could not list or clean up part of its nftables table: around a sync in nftables mode (the sync itself goes on and the next one retries the cleanup), or at start in iptables or IPVS mode, removing the table of an nftables mode that may never have run.",
    supports: [],
    severity: 'info',
    title: 'kube-proxy could not tidy its nftables table',
    advice: 'Nothing to fix by itself: whether the sync failed is in the nftables sync failed line after it.',
    quiet: true,
  },
];

/**
 * kube-proxy's start-up failures (H53, see the header): spread into the catalog together with their analyzer hooks
 * (analyzers/lib/r13-wording.ts), since log.kube-proxy-fatal alone would take every component's F line for kube-proxy's.
 */
export const KUBE_PROXY_START_SIGNATURES: readonly LogSignature[] = [
  {
    // kube-proxy cannot raise the conntrack limit or hash size at start and exits (see the header)
    id: 'log.kube-proxy-conntrack-setup-failed',
    literals: ['/sys/module/nf_conntrack/parameters/hashsize: ', '/proc/sys/net/netfilter/nf_conntrack_max: '],
    pattern:
      /(?<op>write|open) (?<path>\/sys\/module\/nf_conntrack\/parameters\/hashsize|\/proc\/sys\/net\/netfilter\/nf_conntrack_max): (?<reason>operation not supported|read-only file system|permission denied)/,
    extract: [
      // how the line says kube-proxy stopped: a klog F line, cobra's `Error: `, the structured error of newer releases, k3s' fatal
      /(?:^|\s)(?<exit>F)(?:0[1-9]|1[0-2])[0-3]\d \d{2}:\d{2}:\d{2}/,
      /(?<exit>Error running ProxyServer|"command failed"|level=fatal|(?:^|\s)Error: (?:write|open) )/,
    ],
    meaning:
      "kube-proxy could not set up connection tracking when it started: it raises net.netfilter.nf_conntrack_max (and the conntrack hash size) to what its conntrack settings ask (conntrack.maxPerCore times the CPUs, at least conntrack.min) whenever the current value is lower, and the kernel refused the write. Only the host's initial namespace may change these: a node that runs in a container (LXD or LXC, kind, minikube's docker driver, k3d) sees them read-only. kube-proxy exits on it, so it programs no Service rules on this node.",
    supports: [],
    severity: 'warning',
    title: 'kube-proxy exits at start: it cannot set the conntrack limits',
    advice:
      "Tell kube-proxy to leave the conntrack limit alone (conntrack-max-per-core 0), or raise net.netfilter.nf_conntrack_max on the host to at least what kube-proxy wants, so that it has nothing to write (kubernetes PR #44919); then restart kube-proxy.",
    commands: ["cat /proc/sys/net/netfilter/nf_conntrack_max   # on the host, and inside the node"],
  },
  {
    // kube-proxy past its conntrack setup (see the header): a later start that went further than a start-up failure
    id: 'log.kube-proxy-started',
    literals: [' config controller', 'Caches are synced'],
    pattern:
      /Starting (?<controller>service|endpoint slice|endpoints) config controller|Caches are synced for (?<controller_2>service|endpoint slice|endpoints) config|"Caches are synced" controller="(?<controller_3>service|endpoint slice|endpoints) config"/,
    meaning: 'kube-proxy got past its start-up (conntrack setup included) and started watching Services and endpoints.',
    supports: [],
    severity: 'info',
    title: 'kube-proxy started its config controllers',
    advice: 'Nothing to fix.',
    quiet: true,
  },
  // log.kube-proxy-fatal follows these in the catalog: signatures-r13.ts (KUBE_PROXY_FATAL, every kube-proxy source file's F lines)
];
