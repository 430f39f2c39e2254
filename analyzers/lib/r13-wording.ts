/**
 * Wording and severity the log-signatures analyzer gives the H53 signatures (src/logs/signatures-kube-proxy.ts'
 * start-up failures, src/logs/signatures-r13.ts), from the lines around them (reviews R18 cases 05-07, R17 case 06):
 *
 * - kubeProxyConntrackSetup: kube-proxy exits because it cannot write nf_conntrack_max or the hash size
 *   (canonical/microk8s#119, kubernetes/minikube#11418, kubernetes-sigs/kind#2240). Critical while nothing later in
 *   the logs shows kube-proxy past its start (its config controllers starting, a completed sync); info "history"
 *   when something does. Remedies for the distribution the lines or the bundle show: MicroK8s' args file, k3s /
 *   RKE2 `kube-proxy-arg`, the kube-proxy ConfigMap's `conntrack.maxPerCore: 0` (kind#2241 did the same in kind),
 *   or the host's limit raised to what kube-proxy wants so it writes nothing (kubernetes PR #44919).
 * - kubeProxyFatal: a klog F line is kube-proxy's when its writer (unit, pod, container, file) says so, or a
 *   kube-proxy start line of the same process (klog's pid field) is at most 10 lines above it in the same file,
 *   unless the writer runs every component in one process (k3s, RKE2, k0s, kubelite: kube-router's
 *   `k3s[10542]: panic: F1205 ... network_policy_controller.go:413]`, cloudnativelabs/kube-router#1777).
 *   Lines another (non-quiet) signature matched are explained by that one and left to it. Returns false when no
 *   line is left: the finding is dropped.
 * - svclbForwarding: klipper-lb's `'[' 0 '!=' 1 ]` counts only between the `cat` of a forwarding file (at most 2
 *   lines above) and `+ exit 1` (at most 2 lines below); worded by family (k3s#4400 for IPv6, Calico's
 *   allow_ip_forwarding for IPv4, klipper-lb#6). Returns false when no line is such a trace.
 * - netavarkNftables: nft's error just above netavark's line: ENOENT is a missing nft expression module
 *   (netavark#1057: fib needs nft_fib_inet), EBUSY a race of parallel starts (podman#23404).
 */
import type { FindingDraft } from '../../src/engine/analyzer.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import type { LogMatch, LogScanResult } from '../../src/logs/index.js';
import type { Evidence } from '../../src/report/schema.js';
import { nodeServices } from './node-services.js';

const CONNTRACK_FAILED = 'log.kube-proxy-conntrack-setup-failed';
const FATAL = 'log.kube-proxy-fatal';
const STARTED = 'log.kube-proxy-started';
const SYNC_COMPLETE = 'log.kube-proxy-sync-complete';
const CONNTRACK_MAX = 'log.kube-proxy-conntrack-max';
/** kube-proxy's own start lines: their process's later F line is kube-proxy's */
const KUBE_PROXY_LINES = new Set(['log.kube-proxy-mode', CONNTRACK_MAX, CONNTRACK_FAILED, STARTED, 'log.kube-proxy-sync-complete', 'log.kube-proxy-sync-failed', 'log.kube-proxy-sync-retry', 'log.kube-proxy-nftables-unavailable', 'log.kube-proxy-nftables-housekeeping']);
/** a writer (unit, pod, container, file) that is kube-proxy: its pod and container, MicroK8s' daemon-proxy, a kube-proxy log */
const KUBE_PROXY_WRITER = /kube[-_]proxy|daemon-proxy/;
/** writers that run kube-proxy in one process with the other components (kube-router, the kubelet, the API server) */
const SHARED_PROCESS = /^(?:k3s(?:-agent|-server)?|rke2(?:-server|-agent)?|k0s\w*|microk8s\.daemon-kubelite|kubelite)$/;
/** kube-proxy's default conntrack.min: the least it raises nf_conntrack_max to */
const KUBE_PROXY_CONNTRACK_MIN = 131072;

type Logs = { logs?: readonly LogScanResult[] };

function allMatches(artifacts: Logs): LogMatch[] {
  return (artifacts.logs ?? []).flatMap((l) => l.matches);
}

/** whether `m` comes after `last`: later in the same file, else later in time */
function after(m: LogMatch, last: LogMatch): boolean {
  if (m.file === last.file) return m.line > last.line;
  return last.timestamp !== undefined && m.timestamp !== undefined && m.timestamp.epochMs > last.timestamp.epochMs;
}

/** the latest kube-proxy line after `last` that shows it past its start (config controllers, a completed sync) */
export function kubeProxyStartedAfter(last: LogMatch, artifacts: Logs): LogMatch | undefined {
  let found: LogMatch | undefined;
  for (const m of allMatches(artifacts)) {
    if (m.signature !== STARTED && m.signature !== SYNC_COMPLETE) continue;
    if (!after(m, last)) continue;
    if (!found || (m.timestamp?.epochMs ?? -Infinity) > (found.timestamp?.epochMs ?? -Infinity)) found = m;
  }
  return found;
}

function isKubeProxyWriter(m: LogMatch): boolean {
  return [m.unit, m.pod, m.container, m.file].some((w) => w !== undefined && KUBE_PROXY_WRITER.test(w));
}

/** the distribution that runs kube-proxy: the writer of its lines first (microk8s.daemon-proxy, k3s[pid]), else the bundle's units */
function distroOf(matches: readonly LogMatch[], artifacts: NodeArtifacts): { name: string; label: string; unit?: string } | undefined {
  for (const m of matches) {
    const w = m.unit ?? '';
    if (/^microk8s\b|snap\.microk8s/.test(w)) return { name: 'microk8s', label: 'MicroK8s' };
    if (/^k3s(?:-agent)?$/.test(w)) return { name: 'k3s', label: 'k3s', unit: w };
    if (/^rke2(?:-server|-agent)?$/.test(w)) return { name: 'rke2', label: 'RKE2', unit: w === 'rke2' ? 'rke2-server' : w };
  }
  const d = nodeServices(artifacts).distro;
  return d ? { name: d.name, label: d.label, unit: d.unit } : undefined;
}

function quote(s: string, max = 200): string {
  return s.length > max ? `${s.slice(0, max)}...` : s;
}

function evidenceOf(m: LogMatch, note?: string): Evidence {
  return { file: m.file, line: m.line, excerpt: m.excerpt, ...(note ? { note } : {}) };
}

/**
 * log.kube-proxy-conntrack-setup-failed: what kube-proxy could not write, the limit it wanted, whether it got past
 * it later; remedies for the node's distribution (the lines' writer, else the bundle's units), the host's limit.
 */
export function kubeProxyConntrackSetup(draft: FindingDraft, matches: readonly LogMatch[], artifacts: NodeArtifacts): void {
  const failed = matches.filter((m) => m.signature === CONNTRACK_FAILED);
  if (failed.length === 0) return;
  const last = failed[failed.length - 1];
  const hashsize = failed.some((m) => /hashsize/.test(m.facts.path ?? ''));
  const maxWrite = failed.some((m) => /nf_conntrack_max/.test(m.facts.path ?? ''));
  const reasons = [...new Set(failed.map((m) => m.facts.reason).filter(Boolean))];
  // the limit it wanted: kube-proxy's `Set sysctl 'net/netfilter/nf_conntrack_max' to N` just above the failure
  const wantedLine = allMatches(artifacts).find((c) => c.signature === CONNTRACK_MAX && failed.some((f) => f.file === c.file && c.line < f.line && c.line >= f.line - 5) && c.facts.max);
  const wanted = Number(wantedLine?.facts.max ?? KUBE_PROXY_CONNTRACK_MIN) || KUBE_PROXY_CONNTRACK_MIN;
  const exited = failed.some((m) => m.facts.exit !== undefined) || failed.some(isKubeProxyWriter);
  const started = kubeProxyStartedAfter(last, artifacts);
  const distro = distroOf(failed, artifacts);
  const facts: Record<string, unknown> = { ...(draft.facts ?? {}), wantedConntrackMax: wanted, exited, started: started !== undefined };
  if (distro) facts.distribution = distro.name;

  const what = [hashsize && 'the conntrack hash size (/sys/module/nf_conntrack/parameters/hashsize)', maxWrite && 'net.netfilter.nf_conntrack_max (/proc/sys/net/netfilter/nf_conntrack_max)'].filter(Boolean).join(' and ');
  const sentences: string[] = [
    `kube-proxy could not write ${what} (${reasons.join(', ')}; ${last.file}:${last.line})${wantedLine ? `, raising the limit to ${wanted} (${wantedLine.file}:${wantedLine.line})` : ''}.`,
  ];
  if (hashsize && !maxWrite)
    sentences.push('The hash size is a module parameter only the host may write: inside LXD or LXC it is refused even where the limit itself was written (canonical/microk8s#119).');
  if (maxWrite)
    sentences.push("Kernels 5.12.2 and 5.10.35 and later give a node container a lower default limit than kube-proxy wants, and /proc/sys is read-only in it (kubernetes/minikube#11418, kubernetes-sigs/kind#2240).");
  if (started) {
    draft.severity = 'info';
    draft.title = 'kube-proxy could not set the conntrack limits at an earlier start (history)';
    sentences.push(`kube-proxy got past its start later (${started.file}:${started.line}${started.timestamp ? `, ${started.timestamp.iso}` : ''}): this failure is history as far as the logs go.`);
  } else if (exited) {
    draft.severity = 'critical';
    sentences.push('kube-proxy exits on it, and nothing in the logs shows it past its start since: this node has no Service rules from kube-proxy (ClusterIPs, NodePorts) while it stays so.');
  } else {
    draft.severity = 'warning';
    sentences.push('The line does not show kube-proxy exiting on it; nothing later shows it past its start either.');
  }
  draft.message = `${draft.message} ${sentences.join(' ')}`;
  draft.facts = facts;

  const host = [
    `sysctl -w net.netfilter.nf_conntrack_max=${wanted}   # on the host (the LXD host, the machine that runs the kind or minikube containers): kube-proxy then has nothing to raise`,
    `echo 'net.netfilter.nf_conntrack_max = ${wanted}' > /etc/sysctl.d/90-kube-proxy-conntrack.conf   # on the host: the same at boot`,
  ];
  const hostWhy = `or raise net.netfilter.nf_conntrack_max on the host to at least ${wanted}: kube-proxy writes neither the limit nor the hash size when the limit is already that high (kubernetes PR #44919)`;
  if (distro?.name === 'microk8s') {
    draft.remedy = {
      summary: `MicroK8s: give kube-proxy --conntrack-max-per-core=0 in /var/snap/microk8s/current/args/kube-proxy (it then leaves the conntrack limit alone; the maintainers' answer in canonical/microk8s#119) and restart MicroK8s; ${hostWhy}.`,
      commands: [
        "grep -q -- '--conntrack-max-per-core' /var/snap/microk8s/current/args/kube-proxy || echo '--conntrack-max-per-core=0' >> /var/snap/microk8s/current/args/kube-proxy",
        'snap restart microk8s',
        ...host,
      ],
      caution: 'Restarting MicroK8s restarts its Kubernetes services on this node; running pods keep running.',
    };
  } else if (distro?.name === 'k3s' || distro?.name === 'rke2') {
    const dir = distro.name === 'k3s' ? '/etc/rancher/k3s' : '/etc/rancher/rke2';
    const unit = distro.unit ?? (distro.name === 'k3s' ? 'k3s' : 'rke2-server');
    draft.remedy = {
      summary: `${distro.label}: pass kube-proxy conntrack-max-per-core=0 (--kube-proxy-arg=conntrack-max-per-core=0, or that item in the kube-proxy-arg list of ${dir}/config.yaml) and restart ${unit}; ${hostWhy}.`,
      commands: [
        `grep -n -A3 '^kube-proxy-arg' ${dir}/config.yaml 2>/dev/null   # an existing list: add '- conntrack-max-per-core=0' to it by hand`,
        `grep -q 'conntrack-max-per-core' ${dir}/config.yaml 2>/dev/null || grep -q '^kube-proxy-arg' ${dir}/config.yaml 2>/dev/null || printf 'kube-proxy-arg:\\n  - conntrack-max-per-core=0\\n' >> ${dir}/config.yaml`,
        `systemctl restart ${unit}`,
        ...host,
      ],
      caution: `Restarting ${unit} restarts the node's Kubernetes services; running pods keep running.`,
    };
  } else {
    draft.remedy = {
      summary: `Set conntrack.maxPerCore: 0 in kube-proxy's configuration (kubeadm, kind, minikube: config.conf of the kube-proxy ConfigMap; the flag --conntrack-max-per-core=0) so it leaves the limit alone, then restart kube-proxy; kind set this itself from kind#2241 on, so a newer kind fixes new clusters; ${hostWhy}.`,
      commands: [
        "kubectl -n kube-system get configmap kube-proxy -o yaml | grep -n -A4 'conntrack:'   # maxPerCore: 0 leaves the limit as it is",
        '# kubectl -n kube-system edit configmap kube-proxy   (conntrack: maxPerCore: 0), then:',
        'kubectl -n kube-system rollout restart daemonset kube-proxy',
        ...host,
      ],
      caution: 'With maxPerCore 0 the node keeps the kernel\'s limit: raise it on the host if the node handles many connections.',
    };
  }
  if (started) draft.remedy.summary = `Nothing is failing now as far as the logs go. If it comes back: ${draft.remedy.summary}`;
}

const KLOG_PID = /(?:^|\s)[IWEF](?:0[1-9]|1[0-2])[0-3]\d \d{2}:\d{2}:\d{2}\.\d{3,9}\s{1,12}(\d{1,10}) /;

/** the klog pid field of a line, when it is a klog line */
function klogPid(excerpt: string): string | undefined {
  return KLOG_PID.exec(excerpt)?.[1];
}

/**
 * log.kube-proxy-fatal: keeps the F lines that are kube-proxy's and that no other signature explains; words the
 * finding "kube-proxy exited: <text>". `explaining` are the ids of the non-quiet signatures (their lines are theirs).
 * Returns false when no line is left.
 */
export function kubeProxyFatal(draft: FindingDraft, matches: readonly LogMatch[], artifacts: Logs, explaining: ReadonlySet<string>): boolean {
  const all = allMatches(artifacts);
  const explained = new Set(all.filter((m) => m.signature !== FATAL && explaining.has(m.signature)).map((m) => `${m.file}\u0000${m.line}`));
  const kept = matches.filter((m) => {
    if (m.signature !== FATAL || explained.has(`${m.file}\u0000${m.line}`)) return false;
    // the line names its writer: a syslog tag of another process (`kubelet[4759]:`), or kubelet's own fatal wording,
    // whatever the file is called (R20: a kubelet line in a file named kube-proxy.log)
    const tag = /(?:^|\s)([\w.@-]{1,64})\[\d{1,10}\]:\s/.exec(m.excerpt)?.[1];
    if ((tag && !/kube-?proxy/i.test(tag)) || /failed to run Kubelet/i.test(m.facts.text ?? m.excerpt)) return false;
    if (isKubeProxyWriter(m)) return true;
    // one process for every component (k3s, RKE2, k0s, MicroK8s' kubelite): its pid says nothing about whose line it is
    if (m.unit !== undefined && SHARED_PROCESS.test(m.unit)) return false;
    const pid = m.facts.pid;
    return all.some((k) => KUBE_PROXY_LINES.has(k.signature) && k.file === m.file && k.line < m.line && k.line >= m.line - 10 && pid !== undefined && klogPid(k.excerpt) === pid);
  });
  if (kept.length === 0) return false;
  const last = kept[kept.length - 1];
  const texts = [...new Set(kept.map((m) => m.facts.text ?? m.excerpt))];
  draft.title = `kube-proxy exited: ${quote(texts[0], 120)}`;
  draft.evidence = kept.slice(0, 10).map((m) => evidenceOf(m, 'a fatal (F) line of kube-proxy: it exits after it'));
  const started = kubeProxyStartedAfter(last, artifacts);
  const n = kept.length;
  draft.message = `${n} fatal line${n > 1 ? 's' : ''} of kube-proxy (${last.file}:${last.line}): ${texts.slice(0, 3).map((t) => `"${quote(t)}"`).join('; ')}. kube-proxy exits after a fatal line, so it programs no Service rules until a start gets past it.${started ? ` A later start got past it (${started.file}:${started.line}).` : ''}`;
  draft.facts = { ...(draft.facts ?? {}), count: n, fatal: texts.slice(0, 3), started: started !== undefined };
  draft.severity = started ? 'info' : 'warning';
  return true;
}

/**
 * log.svclb-forwarding-disabled: keeps the test lines of a klipper-lb trace (the cat of a forwarding file just above,
 * `+ exit 1` just below) and words them by family. Returns false when none is such a trace.
 */
export function svclbForwarding(draft: FindingDraft, matches: readonly LogMatch[], artifacts: Logs): boolean {
  const all = allMatches(artifacts);
  const reads = all.filter((m) => m.signature === 'log.svclb-forwarding-read');
  const exits = all.filter((m) => m.signature === 'log.shell-trace-exit' && m.facts.code === '1');
  const refused = all.filter((m) => m.signature === 'log.svclb-forwarding-write-refused');
  const found: { test: LogMatch; read: LogMatch; exit: LogMatch }[] = [];
  for (const m of matches) {
    const read = reads.filter((r) => r.file === m.file && r.line < m.line && r.line >= m.line - 2).pop();
    const exit = exits.find((e) => e.file === m.file && e.line > m.line && e.line <= m.line + 2);
    if (read && exit) found.push({ test: m, read, exit });
  }
  if (found.length === 0) return false;
  const families = [...new Set(found.map((f) => f.read.facts.family))].filter(Boolean).sort();
  const v6 = families.includes('ipv6');
  const v4 = families.includes('ipv4');
  const readOnly = refused.filter((r) => found.some((f) => f.read.file === r.file && r.line < f.read.line && r.line >= f.read.line - 4));
  const f0 = found[0];
  const names = families.map((f) => (f === 'ipv6' ? 'net.ipv6.conf.all.forwarding' : 'net.ipv4.ip_forward'));
  draft.title = `k3s ServiceLB (svclb) exits: ${names.join(' and ')} is 0 in the svclb pod's own namespace${v6 ? ' (k3s#4400)' : ''}`;
  draft.evidence = found.slice(0, 5).flatMap((f) => [
    evidenceOf(f.read, "klipper-lb reads forwarding in its pod's network namespace"),
    evidenceOf(f.test, 'the value it read is 0'),
    evidenceOf(f.exit, 'and it exits'),
  ]);
  const sentences = [
    `klipper-lb read ${names.join(' and ')} in its pod (${f0.read.file}:${f0.read.line}), found 0 (${f0.test.file}:${f0.test.line}) and exited 1 (${f0.exit.file}:${f0.exit.line}). This is the svclb pod's network namespace, not the host's: the host's sysctl is not shown to be off and changing it is not the fix.`,
  ];
  if (readOnly.length > 0)
    sentences.push(`Its script first tried to turn it on and /proc/sys is read-only in the pod (${readOnly[0].file}:${readOnly[0].line}), as in an unprivileged pod or a node in LXC (k3s-io/klipper-lb#10).`);
  const commands: string[] = ['kubectl get pods -A -o wide | grep svclb-   # the svclb pods and their restarts'];
  const parts: string[] = [];
  if (v6) {
    sentences.push("In a dual-stack cluster on kernels older than 5.1 (RHEL and CentOS 8) a new namespace starts with IPv6 forwarding 0 whatever the host has, so the IPv6 side of every LoadBalancer Service stays down (k3s-io/k3s#4400).");
    parts.push('IPv6: upgrade k3s to a release with k3s PR #4437 (backported to 1.22 as #4518 and to 1.21 as #4519): k3s then sets net.ipv6.conf.all.forwarding=1 as a sysctl of the svclb pods of dual-stack Services.');
    commands.push("k3s --version", "kubectl get pods -A -o yaml | grep -n 'net.ipv6.conf.all.forwarding'   # with the fix, the svclb pods carry the sysctl");
  }
  if (v4) {
    parts.push("IPv4: the pod's ip_forward comes from the CNI plugin: Calico and Canal leave it 0 unless their CNI configuration has \"container_settings\": {\"allow_ip_forwarding\": true} (k3s-io/klipper-lb#6); set it in the calico-config ConfigMap's cni_network_config and recreate the svclb pods.");
    commands.push("kubectl -n kube-system get configmap calico-config -o yaml 2>/dev/null | grep -n allow_ip_forwarding   # Calico or Canal: false or absent keeps pods from forwarding");
  }
  parts.push("Do not change the host's sysctl for this.");
  draft.message = `${draft.message} ${sentences.join(' ')}`;
  draft.remedy = { summary: parts.join(' '), commands };
  draft.facts = { ...(draft.facts ?? {}), count: found.length, families, namespace: 'pod' };
  draft.severity = 'warning';
  return true;
}

/** nft expression modules netavark's nftables rules use: fib (its `fib daddr type local` jumps), NAT, masquerade, ct */
export const NETAVARK_NFT_MODULES = ['nft_fib_inet', 'nft_fib_ipv4', 'nft_fib_ipv6', 'nft_chain_nat', 'nft_nat', 'nft_masq', 'nft_ct'] as const;

/**
 * log.netavark-nftables-failed: worded by nft's error on the same line or in the 12 lines above it (the quiet
 * log.nft-rule-not-processed): ENOENT, a missing expression module; EBUSY, a race; else quoted.
 */
export function netavarkNftables(draft: FindingDraft, matches: readonly LogMatch[], artifacts: Logs): void {
  const context = allMatches(artifacts).filter((c) => c.signature === 'log.nft-rule-not-processed' && matches.some((m) => m.file === c.file && c.line <= m.line && c.line >= m.line - 12));
  const errors = [...new Set([...matches.map((m) => m.facts.nftError), ...context.map((c) => c.facts.nftError)].filter((e): e is string => !!e).map((e) => e.trim()))];
  const enoent = errors.some((e) => /^No such file or directory/.test(e));
  const ebusy = errors.some((e) => /^Device or resource busy/.test(e));
  if (context.length > 0) {
    const own = context.filter((c) => !matches.some((m) => m.file === c.file && m.line === c.line)).slice(0, 3);
    draft.evidence = [...own.map((c) => evidenceOf(c, "nft's error for netavark's batch")), ...draft.evidence].slice(0, 10);
  }
  draft.facts = { ...(draft.facts ?? {}), nftErrors: errors };
  if (enoent) {
    draft.title = 'netavark (nftables) cannot add its rules: the kernel lacks an nft module they use';
    draft.message += ` nft answered "No such file or directory" to netavark's batch. netavark applies its rules through nft's JSON interface (so the error says internal:0:0-0 and marks no word): for rules it adds, ENOENT from the kernel means an nftables expression the rule uses has no module in this kernel. Most often fib (netavark's "fib daddr type local" jumps to its port-forwarding chain need nft_fib_inet: containers/netavark#1057, microsoft/WSL#13479), else NAT, masquerade or ct. A table or chain missing gives the same errno, but netavark creates its own table in the same batch.`;
    const mods = NETAVARK_NFT_MODULES.join(' ');
    draft.remedy = {
      summary: `Load the nft modules netavark's rules use (${NETAVARK_NFT_MODULES.join(', ')}) and keep them loaded at boot; where one is neither a module nor built in (CONFIG_NFT_FIB_INET, CONFIG_NFT_FIB_IPV4, CONFIG_NFT_FIB_IPV6, CONFIG_NFT_NAT, CONFIG_NFT_MASQ, CONFIG_NFT_CT not set, as in WSL2 kernels before microsoft/WSL#13479) use a kernel that has it, or switch netavark to its iptables driver (containers.conf [network] firewall_driver = "iptables").`,
      commands: [
        `for m in ${mods}; do modprobe $m 2>/dev/null || echo "$m: no such module (built in, or missing: see the kernel config)"; done`,
        "grep -E '^# CONFIG_NFT_(FIB|FIB_INET|FIB_IPV4|FIB_IPV6|NAT|MASQ|CT) |^CONFIG_NFT_(FIB|FIB_INET|FIB_IPV4|FIB_IPV6|NAT|MASQ|CT)=' /boot/config-$(uname -r) 2>/dev/null || zcat /proc/config.gz | grep -E 'CONFIG_NFT_(FIB|NAT|MASQ|CT)'   # y or m: there; 'is not set': the kernel lacks it",
        `for m in ${mods}; do modinfo $m >/dev/null 2>&1 && echo $m; done > /etc/modules-load.d/netavark-nftables.conf   # loaded at boot: the ones this kernel has as modules`,
        '# or the iptables driver, with every container stopped first:',
        `mkdir -p /etc/containers/containers.conf.d && printf '[network]\\nfirewall_driver = "iptables"\\n' > /etc/containers/containers.conf.d/90-firewall-driver.conf`,
      ],
      caution: "Change netavark's firewall driver only with all containers stopped: rules of the old driver are left behind otherwise (a reboot clears them). The iptables driver needs iptables installed.",
    };
  } else if (ebusy) {
    draft.message += ' nft answered "Device or resource busy": netavark\'s batch collided with another change of the same table, which containers started in parallel can cause (containers/podman#23404); starting the container again usually works.';
    draft.remedy = { summary: 'Start the container again; if it keeps failing on its own, report it to netavark with the output of the failing command.', commands: ['nft list table inet netavark | head -40'] };
  } else if (errors.length > 0) {
    draft.message += ` nft said: ${errors.slice(0, 3).map((e) => `"${quote(e)}"`).join('; ')}.`;
  }
}
