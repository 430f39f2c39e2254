/**
 * log.kube-proxy-sync-failed worded by its cause, and how bad it is now.
 *
 * The cause is in nft's Error line and the command it quotes (src/logs/signatures-kube-proxy.ts):
 *
 * - `Error: Interface does not exist` on a rule with `iif != <name>`: kube-proxy's nftables mode wrote
 *   an interface-index match (`iif`) where it meant the name (`iifname`), for --detect-local-mode
 *   InterfaceNamePrefix (`iif != azv*`: a wildcard no index can have) and BridgeInterface: nft refuses
 *   the whole transaction at every sync (kubernetes PR #134024; fixed in 1.35.0, cherry-picked to 1.34.2
 *   as #134118 and to 1.33.6 as #134099, per the 1.33 / 1.34 release notes).
 * - `Could not process rule: No such file or directory` or `Operation not supported` where nft's marker
 *   points at an expression the kernel has no module for (`fib saddr type local`: nft_fib_ipv4,
 *   siderolabs/pkgs#951 on a kernel built without CONFIG_NFT_FIB_IPV4): the modules to load. The same
 *   ENOENT on a chain's name is a missing chain, not a module.
 * - `err="signal: segmentation fault (core dumped)"`: the nft binary of kube-proxy's image crashed
 *   (kubernetes#136786: tables written by a newer nft, 1.1.3+, on the host). kubernetes PR #137501 ("take
 *   2" of #136796, which was reverted) changed how kube-proxy lists its table: in 1.36.0 and, cherry-picked,
 *   1.35.4 (#137807), 1.34.7 (#137808), 1.33.11 (#137809), per the release notes of those patch releases;
 *   none to release-1.32 was found. A crash of the sync itself was still reported on a build with it
 *   (kubernetes#140898, 1.36), and kubernetes PR #140405 (July 2026) put nft 1.0.6.1 in kube-proxy's image
 *   for the same issue: the finding names both and does not promise the patch releases fix every crash.
 * - anything else: nft's error and the command it refused, quoted.
 *
 * Severity: critical while nothing shows a later successful sync and the failure repeats (several
 * failed syncs), or its cause is one that fails every sync (the iif rule, a missing module), or the
 * log is verbose enough to show successful syncs (`SyncProxyRules complete`, V(2)) and shows none
 * after the failure. A single failure of another cause in a log that would not show a success (the
 * default verbosity) stays a warning: kube-proxy retries after its sync period and the log shows no
 * further failure. A success after the last failure makes it a warning whatever the cause.
 */
import type { FindingDraft } from '../../src/engine/analyzer.js';
import type { LogMatch, LogScanResult } from '../../src/logs/index.js';

const FAILED = 'log.kube-proxy-sync-failed';
const HOUSEKEEPING = 'log.kube-proxy-nftables-housekeeping';
const UNAVAILABLE = 'log.kube-proxy-nftables-unavailable';
const MODE = 'log.kube-proxy-mode';
const RETRY = 'log.kube-proxy-sync-retry';
const COMPLETE = 'log.kube-proxy-sync-complete';

/** releases that carry the fix of kubernetes PR #134024 (release notes of 1.33.6, 1.34.2; master before 1.35.0) */
export const IIF_FIXED_IN = ['1.33.6', '1.34.2', '1.35.0'] as const;

/**
 * releases that carry kubernetes PR #137501 (kube-proxy with nft 1.1.3 on the host, kubernetes#136786): the
 * release notes of 1.33.11 (#137809), 1.34.7 (#137808), 1.35.4 (#137807); master before 1.36.0
 */
export const NFT113_LIST_FIXED_IN = ['1.33.11', '1.34.7', '1.35.4', '1.36.0'] as const;

/**
 * nft expressions that live in a kernel module of their own, as kube-proxy's rules use them, and the
 * module per table family (`ip` / `ip6`).
 */
const EXPRESSION_MODULES: { expression: RegExp; modules: (family: 'ip' | 'ip6') => string[] }[] = [
  { expression: /^fib\b/, modules: (f) => [f === 'ip6' ? 'nft_fib_ipv6' : 'nft_fib_ipv4'] },
  { expression: /^numgen\b/, modules: () => ['nft_numgen'] },
  { expression: /^ct\b/, modules: () => ['nft_ct'] },
  { expression: /^masquerade\b/, modules: () => ['nft_masq'] },
  { expression: /^(?:dnat|snat)\b/, modules: () => ['nft_nat'] },
  { expression: /^reject\b/, modules: (f) => [f === 'ip6' ? 'nft_reject_ipv6' : 'nft_reject_ipv4'] },
  { expression: /^limit\b/, modules: () => ['nft_limit'] },
  { expression: /^log\b/, modules: () => ['nft_log'] },
];

export interface KubeProxyFailure {
  match: LogMatch;
  nftError?: string;
  rule?: string;
  /** the text nft's marker (`^^^^`, the Error line's columns) points at in the rule */
  marked?: string;
  err?: string;
  ipFamily?: string;
}

export function failureOf(m: LogMatch): KubeProxyFailure {
  const f: KubeProxyFailure = { match: m };
  const { nftError, rule, err, ipFamily, column, columnEnd } = m.facts;
  if (nftError) f.nftError = nftError.trim();
  if (rule) f.rule = rule.trim();
  if (err) f.err = err;
  if (ipFamily) f.ipFamily = ipFamily;
  if (f.rule && column) {
    const from = Number(column) - 1;
    const to = columnEnd ? Number(columnEnd) : from + 1;
    if (from >= 0 && to > from && to <= f.rule.length) f.marked = f.rule.slice(from, to);
  }
  return f;
}

export type SyncCause =
  | { kind: 'iif'; iif: string; failure: KubeProxyFailure }
  | { kind: 'module'; modules: string[]; expression: string; failure: KubeProxyFailure }
  | { kind: 'nft-crashed'; failure: KubeProxyFailure }
  | { kind: 'other'; failure: KubeProxyFailure };

/** The cause one failure's text shows. */
export function causeOf(f: KubeProxyFailure): SyncCause {
  const iif = f.match.facts.iif ?? /\biif != "?([^\s"]{1,16})/.exec(f.rule ?? '')?.[1];
  if (f.nftError && /Interface does not exist/i.test(f.nftError) && iif && (!f.marked || f.marked.replace(/"/g, '') === iif || f.marked.includes(iif)))
    return { kind: 'iif', iif, failure: f };
  if (f.nftError && /Could not process rule: No such file or directory|Operation not supported/.test(f.nftError) && f.marked) {
    const family = /^(?:add|insert|replace|create) rule ip6 /.test(f.rule ?? '') ? 'ip6' : 'ip';
    const known = EXPRESSION_MODULES.find((e) => e.expression.test(f.marked!.trim()));
    if (known) return { kind: 'module', modules: known.modules(family), expression: f.marked.trim(), failure: f };
  }
  if (f.err && /segmentation fault|signal: (?:SIGSEGV|segmentation)/i.test(f.err)) return { kind: 'nft-crashed', failure: f };
  return { kind: 'other', failure: f };
}

interface SyncEvent {
  kind: 'failed' | 'retry' | 'complete';
  m: LogMatch;
}

/**
 * What the logs say after the last failure: `recovered`, a sync that completed without failing after
 * it (`SyncProxyRules complete` whose previous sync line for the same IP family, where the lines name
 * one, is not a failure nor its retry line): later in the same file, or later in time in another file
 * (a rotated log); `verbose` when the node's logs hold `SyncProxyRules complete` lines at all (V(2):
 * they would show a success); `unplaced` when the scanner's cap on kept matches (the first 50 per
 * file) hides completed syncs beyond those of the failed ones, so where they fall is not known.
 */
export function syncOutcome(failures: readonly LogMatch[], logs: readonly LogScanResult[]): { recovered?: LogMatch; verbose: boolean; unplaced: boolean } {
  let recovered: LogMatch | undefined;
  let verbose = false;
  let unplaced = false;
  const lastLine = new Map<string, number>();
  for (const f of failures) lastLine.set(f.file, Math.max(lastLine.get(f.file) ?? 0, f.line));
  const times = failures.flatMap((f) => (f.timestamp ? [f.timestamp.epochMs] : []));
  const lastTime = times.length > 0 ? Math.max(...times) : undefined;
  for (const log of logs) {
    const completes = log.counts[COMPLETE] ?? 0;
    if (completes === 0) continue;
    verbose = true;
    const events: SyncEvent[] = log.matches
      .filter((m) => m.signature === FAILED || m.signature === RETRY || m.signature === COMPLETE)
      .map((m) => ({ kind: m.signature === FAILED ? ('failed' as const) : m.signature === RETRY ? ('retry' as const) : ('complete' as const), m }))
      .sort((a, b) => a.m.line - b.m.line);
    const last = lastLine.get(log.file);
    for (let i = 0; i < events.length; i++) {
      const e = events[i];
      if (e.kind !== 'complete') continue;
      const after = last !== undefined ? e.m.line > last : lastTime !== undefined && e.m.timestamp !== undefined && e.m.timestamp.epochMs > lastTime;
      if (!after) continue;
      // the sync line before it for the same family: a failure or its retry line make this the failed sync's own end
      const family = e.m.facts.ipFamily;
      const prev = events.slice(0, i).reverse().find((p) => !family || !p.m.facts.ipFamily || p.m.facts.ipFamily === family);
      if (prev && prev.kind !== 'complete') continue;
      if (!recovered || (e.m.timestamp?.epochMs ?? -Infinity) > (recovered.timestamp?.epochMs ?? -Infinity)) recovered = e.m;
      break;
    }
    // the first 50 completes are kept: past them, completes beyond one per failed sync are successes at unknown places
    const keptCompletes = events.filter((e) => e.kind === 'complete');
    if (last !== undefined && completes > keptCompletes.length) {
      const lastKept = keptCompletes[keptCompletes.length - 1].m.line;
      const failedSyncsPast = (log.counts[RETRY] ?? log.counts[FAILED] ?? 0) - events.filter((e) => e.kind === (log.counts[RETRY] ? 'retry' : 'failed') && e.m.line < lastKept).length;
      if (completes - keptCompletes.length > failedSyncsPast) unplaced = true;
    }
  }
  return recovered ? { recovered, verbose, unplaced } : { verbose, unplaced };
}

const quote = (s: string, max = 240): string => (s.length > max ? `${s.slice(0, max)}...` : s);

/**
 * Words the finding of log.kube-proxy-sync-failed by the cause its lines show, and sets its severity
 * by what the logs show after the last failure. `matches` are the signature's matches in time order.
 */
export function kubeProxySync(draft: FindingDraft, matches: readonly LogMatch[], artifacts: { logs?: readonly LogScanResult[] }): void {
  const failed = matches.filter((m) => m.signature === FAILED);
  if (failed.length === 0) return;
  const failures = failed.map(failureOf);
  const causes = failures.map(causeOf);
  const count = typeof draft.facts?.count === 'number' ? draft.facts.count : failed.length;
  const iif = causes.find((c): c is Extract<SyncCause, { kind: 'iif' }> => c.kind === 'iif');
  const modules = causes.filter((c): c is Extract<SyncCause, { kind: 'module' }> => c.kind === 'module');
  const crashed = causes.find((c) => c.kind === 'nft-crashed');
  const first = failures.find((f) => f.nftError) ?? failures[0];
  const outcome = syncOutcome(failed, artifacts.logs ?? []);
  const every = iif !== undefined || modules.length > 0;
  const repeated = count >= 2;

  const sentences: string[] = [];
  const facts: Record<string, unknown> = { ...(draft.facts ?? {}), mode: 'nftables' };
  if (iif) {
    const prefix = iif.iif.endsWith('*');
    draft.title = `kube-proxy (nftables) fails every sync on its own rule: iif != ${iif.iif} (kubernetes#134024)`;
    sentences.push(
      `nft refuses kube-proxy's rule \`${quote(iif.failure.rule ?? `iif != ${iif.iif}`)}\` ("${iif.failure.nftError}"): kube-proxy's local-traffic detection by interface (${prefix ? 'detectLocalMode: InterfaceNamePrefix' : 'detectLocalMode: BridgeInterface or InterfaceNamePrefix'}) wrote \`iif\`, a match on an interface index that nft resolves when it loads the rule, where it meant \`iifname\`, a match on the name; ${prefix ? `a wildcard (${iif.iif}) is no interface, so this rule is in every sync and every sync fails` : `the interface ${iif.iif} does not exist when the rule loads, so every sync fails until it does`}. A known bug, kubernetes PR #134024, fixed in kube-proxy ${IIF_FIXED_IN.join(', ')} and later.`,
    );
    facts.cause = 'kubernetes#134024';
    facts.iif = iif.iif;
    draft.remedy = {
      summary: `Upgrade kube-proxy to ${IIF_FIXED_IN.join(', ')} or a later patch release of its line (kubernetes PR #134024, cherry-picks #134099 and #134118). Until then make kube-proxy detect local traffic by the pod range instead of the interface: in its configuration (kubeadm: config.conf of the kube-proxy ConfigMap) set detectLocalMode: ClusterCIDR and clusterCIDR: the cluster's whole pod CIDR (flags --detect-local-mode=ClusterCIDR --cluster-cidr=<pod CIDR>), then restart kube-proxy; or run it in iptables mode.`,
      commands: [
        "kubectl -n kube-system get configmap kube-proxy -o yaml | grep -nE 'mode:|detectLocal|interfaceNamePrefix|bridgeInterface|clusterCIDR'   # the detect-local settings",
        "kubectl -n kube-system get daemonset kube-proxy -o jsonpath='{.spec.template.spec.containers[0].image}{\"\\n\"}'   # the version",
        'nft list table ip kube-proxy | head -30   # what the last successful sync left (IPv6: ip6 kube-proxy)',
        '# fix: kubectl -n kube-system edit configmap kube-proxy (detectLocalMode: ClusterCIDR, clusterCIDR: <pod CIDR>), then kubectl -n kube-system rollout restart daemonset kube-proxy',
      ],
      caution: "ClusterCIDR needs the cluster's whole pod range: traffic from a pod outside it is taken for external and masqueraded. Restarting kube-proxy's pods keeps established connections.",
    };
  } else if (modules.length > 0) {
    const mods = [...new Set(modules.flatMap((c) => c.modules))];
    const exprs = [...new Set(modules.map((c) => c.expression))];
    const f = modules[0].failure;
    draft.title = `kube-proxy (nftables) fails every sync: the kernel lacks ${mods.join(', ')}`;
    sentences.push(
      `nft refuses kube-proxy's rule \`${quote(f.rule ?? '')}\` ("${f.nftError}") at ${exprs.map((e) => `\`${e}\``).join(', ')}: the kernel has no module for that expression (${mods.join(', ')}: not loaded, not installed for this kernel, or not built, as on kernels without CONFIG_NFT_FIB_IPV4, siderolabs/pkgs#951). Every sync carries the rule, so every sync fails.`,
    );
    facts.cause = 'kernel module missing';
    facts.modules = mods;
    draft.remedy = {
      summary: `Load ${mods.join(', ')} and have ${mods.length > 1 ? 'them' : 'it'} loaded at boot; kube-proxy's next sync then succeeds. Where modinfo finds no such module the kernel was built without it: use a kernel with it (or its distribution's extra-modules package), or run kube-proxy in iptables mode.`,
      commands: [
        ...mods.map((m) => `modinfo -F filename ${m}   # is it built for this kernel`),
        `modprobe -a ${mods.join(' ')}`,
        `printf '%s\\n' ${mods.join(' ')} > /etc/modules-load.d/kube-proxy-nftables.conf   # loaded at boot`,
        "kubectl -n kube-system logs -l k8s-app=kube-proxy --tail=100 | grep -c 'nftables sync failed'   # no new ones after the next sync",
      ],
    };
  } else if (crashed) {
    draft.title = 'kube-proxy (nftables) fails to sync: its nft crashes';
    const listing = (artifacts.logs ?? []).flatMap((l) => l.matches.filter((m) => m.signature === HOUSEKEEPING && /segmentation fault|SIGSEGV/i.test(m.facts.err ?? '')));
    sentences.push(
      `kube-proxy's nft binary crashed (${quote(crashed.failure.err ?? '')}): a known problem (kubernetes#136786) where the nft in kube-proxy's image cannot read tables or sets a newer nft (1.1.3 and later) on the host wrote; no sync succeeds while those tables are there.${listing.length > 0 ? ` Its listing of the table crashed the same way (\`${listing[0].facts.step ?? 'Failed to list existing sets'}\`, ${listing[0].file}:${listing[0].line}).` : ''}`,
    );
    facts.cause = 'kubernetes#136786';
    draft.remedy = {
      summary: `Upgrade kube-proxy to ${NFT113_LIST_FIXED_IN.join(', ')} or a later patch release of its line (kubernetes PR #137501, cherry-picked to 1.33-1.35 only); if the sync still crashes with it (reported on 1.36, kubernetes#140898), use a kube-proxy image whose nft is 1.0.6.1 (kubernetes PR #140405), or run kube-proxy in iptables mode.`,
      commands: [
        'nft --version   # on the host: 1.1.3 or later writes what older nft crashes on',
        "nft list tables   # the other owners' tables next to ip kube-proxy",
        "kubectl -n kube-system get daemonset kube-proxy -o jsonpath='{.spec.template.spec.containers[0].image}{\"\\n\"}'   # the version",
      ],
    };
  } else {
    const quoted = first.nftError ? `nft says "${first.nftError}"${first.rule ? ` about \`${quote(first.rule)}\`` : ''}${first.marked ? ` (at \`${first.marked}\`)` : ''}` : first.err ? `the error: ${quote(first.err)}` : '';
    if (quoted) sentences.push(`${quoted[0].toUpperCase()}${quoted.slice(1)}.`);
  }
  if (first.nftError) facts.nftError = first.nftError;
  if (first.rule) facts.rule = first.rule;

  // how bad it is now
  let critical: boolean;
  const hidden = outcome.unplaced ? ' (kube-proxy completed more syncs than the lines kept show: whether one came after the last failure is not shown)' : '';
  if (outcome.recovered) {
    critical = false;
    sentences.push(`A later sync succeeded${outcome.recovered.timestamp ? ` (${outcome.recovered.timestamp.iso})` : ''} (\`SyncProxyRules complete\` without a failure before it, ${outcome.recovered.file}:${outcome.recovered.line}): the rules are in place as of then.`);
  } else if (repeated || every) {
    critical = true;
    sentences.push(`${repeated ? `It failed ${count} times` : 'Its cause is in every sync'} and nothing shows a successful sync after it${hidden}: Service changes since the last good sync are not on this node.`);
  } else if (outcome.verbose && !outcome.unplaced) {
    critical = true;
    sentences.push('The log shows completed syncs (verbosity 2) but no successful one after the failure.');
  } else {
    critical = false;
    sentences.push(
      outcome.unplaced
        ? `One failure${hidden}.`
        : "One failure, and no later one: at kube-proxy's default verbosity a successful sync logs nothing, so the retry after the sync period most likely succeeded; check the table.",
    );
  }
  draft.severity = critical ? 'critical' : 'warning';
  facts.recovered = outcome.recovered !== undefined;
  draft.facts = facts;
  if (sentences.length > 0) draft.message = `${draft.message} ${sentences.join(' ')}`;
}

/** what kube-proxy's start-up check said it lacks (log.kube-proxy-nftables-unavailable's facts) */
export type UnavailableCause = 'kernel' | 'nft-missing' | 'nft-old' | 'nft-failed' | 'unknown';

export function unavailableCause(m: LogMatch): UnavailableCause {
  const { reason, requiredKernel, nftVersion } = m.facts;
  if (requiredKernel || /requires kernel|check kernel version/.test(reason ?? '')) return 'kernel';
  if (nftVersion || /nft version must be/.test(reason ?? '') || /nft version must be/.test(m.excerpt)) return 'nft-old';
  if (/could not find nftables binary/.test(reason ?? '') || /could not find nftables binary/.test(m.excerpt)) return 'nft-missing';
  if (/could not run nftables command/.test(reason ?? '') || /could not run nftables command/.test(m.excerpt)) return 'nft-failed';
  return 'unknown';
}

/**
 * Words log.kube-proxy-nftables-unavailable by what the check lacked, and sets its severity: critical
 * (kube-proxy exits and programs nothing) unless kube-proxy started afterwards: a mode line (`Using ...
 * Proxier`) or a completed sync later than the last failure, in the same file or later in time.
 */
export function kubeProxyNftablesUnavailable(draft: FindingDraft, matches: readonly LogMatch[], artifacts: { logs?: readonly LogScanResult[] }): void {
  const failed = matches.filter((m) => m.signature === UNAVAILABLE);
  if (failed.length === 0) return;
  const last = failed[failed.length - 1];
  const causes = [...new Set(failed.map(unavailableCause))];
  const cause = causes.find((c) => c !== 'unknown') ?? 'unknown';
  const withFact = (k: string) => failed.find((m) => m.facts[k])?.facts[k];
  const facts: Record<string, unknown> = { ...(draft.facts ?? {}), mode: 'nftables', cause };
  const sentences: string[] = [];
  const restart = 'then restart kube-proxy (kubectl -n kube-system rollout restart daemonset kube-proxy; k3s / RKE2: restart the k3s or rke2 service)';
  if (cause === 'kernel') {
    const need = withFact('requiredKernel') ?? '5.13';
    draft.title = `kube-proxy refuses nftables mode: the kernel is older than ${need}`;
    sentences.push(`kube-proxy checks the kernel before using nftables and refuses kernels older than ${need} (kubernetes PR #124152): it takes an older kernel to mean an nft on the host older than 1.0.1, which kube-proxy's rules could break.`);
    draft.remedy = { summary: `Run this node on a kernel of ${need} or later, or configure kube-proxy for iptables mode on it; ${restart}.`, commands: ['uname -r', "kubectl -n kube-system get configmap kube-proxy -o yaml | grep -n 'mode:'"] };
    facts.requiredKernel = need;
  } else if (cause === 'nft-missing') {
    draft.title = 'kube-proxy cannot run in nftables mode: no nft binary';
    sentences.push(`kube-proxy runs the nft command for every change and found none (${quote(withFact('detail') ?? 'could not find nftables binary')}): k3s bundled no nft before its November 2024 releases (k3s-io/k3s#11267, backports #11291, #11292, #11293 for 1.31, 1.30, 1.29); the upstream kube-proxy image carries one.`);
    draft.remedy = { summary: `Give kube-proxy an nft of version 1.0.1 or later: upgrade k3s to a release that bundles it, use the upstream kube-proxy image, or install the distribution's nftables package where kube-proxy runs on the host; or configure iptables mode; ${restart}.`, commands: ['command -v nft && nft --version', "kubectl -n kube-system get configmap kube-proxy -o yaml | grep -n 'mode:'"] };
  } else if (cause === 'nft-old') {
    const v = withFact('nftVersion');
    draft.title = `kube-proxy refuses nftables mode: ${v ? `nft ${v}` : 'its nft'} is older than 1.0.1`;
    sentences.push('kube-proxy (knftables) refuses nft before 1.0.1: older nft parses the whole ruleset, not only kube-proxy\'s table, and can crash on other programs\' rules (kubernetes PR #124152).');
    draft.remedy = { summary: `Use a kube-proxy image (or host package) with nft 1.0.1 or later, or configure iptables mode; ${restart}.`, commands: ['nft --version', "kubectl -n kube-system get daemonset kube-proxy -o jsonpath='{.spec.template.spec.containers[0].image}{\"\\n\"}'"] };
    if (withFact('nftVersion')) facts.nftVersion = withFact('nftVersion');
  } else if (cause === 'nft-failed') {
    draft.title = 'kube-proxy cannot run in nftables mode: nft fails on this node';
    sentences.push(`kube-proxy's test command (\`nft --version\` or \`nft --check add table ...\`) failed: ${quote(withFact('detail') ?? 'could not run nftables command')}. A kernel without nf_tables, or a container without NET_ADMIN, gives this.`);
    draft.remedy = { summary: `Make nft work where kube-proxy runs (kernel module nf_tables loaded, kube-proxy privileged), or configure iptables mode; ${restart}.`, commands: ['lsmod | grep -w nf_tables || modprobe nf_tables', 'nft list tables'] };
  }
  // did kube-proxy start afterwards (a later mode line or completed sync)?
  const lastTime = last.timestamp?.epochMs;
  let started: LogMatch | undefined;
  for (const log of artifacts.logs ?? [])
    for (const m of log.matches) {
      if (m.signature !== MODE && m.signature !== 'log.kube-proxy-sync-complete') continue;
      if (m.signature === MODE && !m.facts.mode) continue;
      const after = m.file === last.file ? m.line > last.line : lastTime !== undefined && m.timestamp !== undefined && m.timestamp.epochMs > lastTime;
      if (after && (!started || (m.timestamp?.epochMs ?? -Infinity) > (started.timestamp?.epochMs ?? -Infinity))) started = m;
    }
  if (started) {
    draft.severity = 'warning';
    sentences.push(`kube-proxy started again afterwards (${started.file}:${started.line}${started.facts.mode ? `, ${started.facts.mode} mode` : ''}): the failure is past, as far as the logs go.`);
  } else {
    draft.severity = 'critical';
    sentences.push("Nothing in the logs shows kube-proxy running after it: this node has no Service rules from kube-proxy (ClusterIPs, NodePorts) while it stays so.");
  }
  facts.started = started !== undefined;
  draft.facts = facts;
  draft.message = `${draft.message} ${sentences.join(' ')}`;
}
