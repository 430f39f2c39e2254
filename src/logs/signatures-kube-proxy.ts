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
 * iptables mode is not here: kube-proxy's `"Failed to execute iptables-restore" err=<...>` is
 * log.iptables-restore-failed (and its cleanup of the other modes' chains log.iptables-cleanup-harmless).
 * Another program's "nftables sync failed" (no quote after it, as klog writes it) is not kube-proxy's.
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
];
