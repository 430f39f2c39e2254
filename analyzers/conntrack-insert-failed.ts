/**
 * Connection tracking statistics (`conntrack -S`, /proc/net/stat/nf_conntrack) and the table's size
 * (nf_conntrack_count / nf_conntrack_max from the sysctl dump).
 *
 * conntrack.insert-failed: the kernel could not insert a new connection's entry because another with
 * the same tuple won the race (kubernetes#56903, weaveworks' "racy conntrack and DNS lookup timeouts",
 * weaveworks/weave#3287). glibc sends the A and AAAA queries of one lookup from one UDP socket at
 * once; on a container host both go through DNAT (the DNS Service) and SNAT (masquerade), on two CPUs,
 * and the second packet's entry loses: the packet is dropped and the lookup waits out its 5-second
 * timeout. Each lost insert counts one `insert_failed` (kernels since 4.19/5.0 also count the dropped
 * packet in `drop` when the clash cannot be resolved). Counters count since boot, so a non-zero value
 * says it happened, not that it happens now: the check is `conntrack -S` twice while lookups time out.
 * insert_failed 0 everywhere rules the race out (the thread's negative: 22 resolve failures, 0 failed
 * inserts): the coverage says so.
 *
 * conntrack.table-full: the table holds nf_conntrack_max entries; a new connection first evicts an
 * unreplied one (`early_drop`), else its packet is dropped (`drop`) and the kernel logs "nf_conntrack:
 * table full, dropping packet" (log.conntrack-table-full, cited as evidence). A separate id: another
 * cause (too many connections, too small a limit), another fix (the limit, the flood), and a reader who
 * mutes one should not lose the other.
 */
import { defineAnalyzer, type FindingDraft, type Partly } from '../src/engine/analyzer.js';
import type { NodeArtifacts } from '../src/engine/artifacts.js';
import type { Evidence } from '../src/report/schema.js';
import type { LogMatch } from '../src/logs/index.js';
import { runtimeValue, type SysctlValue } from '../src/parsers/sysctl.js';
import { dockerEngine } from '../src/parsers/docker-info.js';
import { nonZero, type ConntrackStats, type ConntrackTotals } from '../src/parsers/conntrack-stats.js';
import { containerHostEvidence } from './lib/container-host.js';
import { timeOf } from './lib/logs.js';
import { userModeNatLines } from './lib/user-mode-nat.js';
import { dnsLookupKind } from '../src/logs/signatures-dns.js';


interface Input {
  node: string;
  artifacts: NodeArtifacts;
  partly?: Partly;
}

const HOST_KINDS = ['services', 'dockerDaemon', 'ipAddr', 'dockerNetworks', 'iptables', 'nftables'] as const;

export const conntrackInsertFailed = defineAnalyzer({
  id: 'conntrack.insert-failed',
  title: 'Conntrack inserts fail (the parallel UDP / DNS race)',
  description:
    "conntrack's insert_failed counter is not zero on a container host: a connection's entry lost the insert race, its packet was dropped. Parallel UDP (glibc's A + AAAA DNS queries) through DNAT/SNAT: lookups wait 5 seconds.",
  scope: 'node',
  requires: ['conntrackStats'],
  optional: [...new Set(['sysctl', 'logs', 'resolvConf', ...HOST_KINDS] as const)],
  analyze({ node, artifacts, partly }) {
    return insertFailedFindings({ node, artifacts, partly });
  },
});

export const conntrackTableFull = defineAnalyzer({
  id: 'conntrack.table-full',
  title: 'The conntrack table is full',
  description:
    'The connection tracking table is at (or near) nf_conntrack_max, or its counters show entries evicted (early_drop) or packets dropped for want of room: new connections fail.',
  scope: 'node',
  requires: [],
  requiresOneOf: ['conntrackStats', 'sysctl'],
  optional: [...new Set(['conntrackStats', 'sysctl', 'logs', ...HOST_KINDS] as const)],
  analyze({ node, artifacts, partly }) {
    return tableFullFindings({ node, artifacts, partly });
  },
});

export default conntrackInsertFailed;

// ---- conntrack.insert-failed ---------------------------------------------------------------

export function insertFailedFindings({ node, artifacts, partly }: Input): FindingDraft[] {
  const stats = (artifacts.conntrackStats ?? []).filter((s) => s.totals.insert_failed !== undefined);
  if (stats.length === 0) {
    partly?.('the conntrack statistics in the bundle have no insert_failed counter');
    return [];
  }
  const failing = stats.filter((s) => s.totals.insert_failed! > 0);
  if (failing.length === 0) {
    const where = stats.map((s) => `${s.file}:${s.ref.line}`).join(', ');
    const drop = Math.max(0, ...stats.map((s) => s.totals.drop ?? 0));
    partly?.(
      `insert_failed is 0 in ${where}${drop === 0 && stats.every((s) => s.totals.drop !== undefined) ? ' (drop 0 too)' : ''}: the conntrack insert race of parallel UDP (DNS A + AAAA through DNAT/SNAT, kubernetes#56903) is not shown; ` +
        'DNS timeouts have another cause here (CoreDNS itself, ndots/search expansion, the upstream resolver)',
    );
    return [];
  }
  // two files of one node are mostly the same counters twice (sos: conntrack -S and /proc/net/stat/nf_conntrack): the largest, not the sum
  const total = Math.max(...failing.map((s) => s.totals.insert_failed!));
  const rising = failing.filter((s) => risingBy(s, 'insert_failed') > 0);
  const host = containerHostEvidence(artifacts);
  const kube = host.some((h) => /kube|k3s|rke2|microk8s|cali|flannel|cilium|weave/i.test(h));
  const dns = dnsTimeouts(artifacts);
  const kernel = kernelRelease(artifacts);
  const reopen = resolverOptions(artifacts);

  const evidence: Evidence[] = [];
  for (const s of failing) {
    for (const c of nonZero(s, 'insert_failed').slice(0, 4))
      evidence.push({ file: c.ref.file, line: c.ref.line, excerpt: c.excerpt, note: `${c.cpu !== undefined ? `CPU ${c.cpu}: ` : ''}insert_failed ${c.counters.insert_failed} (since boot)` });
    const r = risingBy(s, 'insert_failed');
    if (r > 0) evidence.push({ file: s.file, line: lastListingLine(s), excerpt: lastListingExcerpt(s), note: `a later snapshot of the same file: insert_failed rose by ${r}` });
  }
  for (const m of dns.slice(0, 4)) evidence.push({ file: m.file, line: m.line, excerpt: m.excerpt, note: 'a DNS lookup timed out', ...timeOf(m) });
  if (kernel) evidence.push({ file: kernel.ref.file, line: kernel.ref.line, excerpt: kernel.excerpt, note: `kernel ${kernel.value}` });
  for (const o of reopen) evidence.push({ file: o.ref.file, line: o.ref.line, excerpt: o.excerpt, note: 'this resolver configuration already sends the two queries apart' });

  const major = kernel ? kernelMajorMinor(kernel.value) : undefined;
  const oldKernel = major !== undefined && (major[0] < 5);
  const severity = host.length > 0 || dns.length > 0 || rising.length > 0 ? 'warning' : 'info';
  const commands = [
    'conntrack -S; sleep 60; conntrack -S   # insert_failed counts since boot: it matters if it rises while lookups time out',
    ...(kernel ? [] : ['uname -r   # kernels before 5.0 have neither fix of the race']),
  ];
  if (kube)
    commands.push(
      '# per pod (glibc images; musl/Alpine ignores the option): spec.dnsConfig.options: [{name: single-request-reopen}]',
      '# per cluster: NodeLocal DNSCache (https://kubernetes.io/docs/tasks/administer-cluster/nodelocaldns/): pods query a node-local cache without DNAT, and it talks TCP upstream',
    );
  else if (host.length > 0)
    commands.push(
      "jq '.\"dns-opts\" = ((.\"dns-opts\" // []) + [\"single-request-reopen\"] | unique)' /etc/docker/daemon.json > /etc/docker/daemon.json.new && mv /etc/docker/daemon.json.new /etc/docker/daemon.json   # Docker containers' resolv.conf gets the option (new containers); keeps the other settings",
      'docker run --dns-opt single-request-reopen ...   # or per container',
    );
  else commands.push("echo 'options single-request-reopen' >> /etc/resolv.conf   # only if the file has no such line; glibc only");

  return [
    {
      severity,
      title: 'Conntrack inserts fail: parallel UDP packets (DNS A + AAAA) are dropped',
      message:
        `conntrack's insert_failed counter is ${total} on ${node}${failing.length > 1 ? ` (the largest of ${failing.length} files)` : ''}` +
        (rising.length > 0 ? ', and it rose between the snapshots the bundle holds' : ' (counted since boot: the bundle does not show whether it still rises)') +
        '. A failed insert is the conntrack race of two packets of one UDP socket sent at once through DNAT/SNAT: the second loses and is dropped. ' +
        "glibc's resolver sends a lookup's A and AAAA queries so, and on a container host both cross the DNS Service's DNAT and the masquerade: the dropped query makes the lookup wait its 5-second timeout (kubernetes#56903)." +
        (host.length > 0 ? ` This node runs containers (${host.slice(0, 3).join(', ')}).` : ' Nothing in the bundle shows a container runtime on this node: the race needs NAT of parallel UDP flows.') +
        (dns.length > 0 ? ` The logs show ${dns.length} DNS lookup${dns.length > 1 ? 's' : ''} timing out.` : '') +
        (kernel
          ? oldKernel
            ? ` The kernel is ${kernel.value}: before 5.0, with neither netfilter fix of the race.`
            : ` The kernel is ${kernel.value}, with the 5.0 fixes: what still races is two packets DNATed to different DNS endpoints (a DNS Service with several pods).`
          : '') +
        (reopen.length > 0 ? ` A resolver configuration in the bundle already has ${reopen[0].value} (${reopen[0].ref.file}): check the pods' own resolv.conf.` : ''),
      impact: 'DNS lookups (and other parallel UDP exchanges) lose packets at random: 5-second delays, intermittent resolution failures.',
      evidence,
      facts: {
        insertFailed: total,
        rising: rising.length > 0,
        containerHost: host,
        dnsTimeouts: dns.length,
        ...(kernel ? { kernel: kernel.value } : {}),
      },
      remedy: {
        summary:
          'Check that insert_failed rises while lookups time out. Then stop sending the two queries at once from one socket: `options single-request-reopen` in the resolv.conf of glibc-based containers (musl/Alpine ignores it; `use-vc` sends DNS over TCP instead)' +
          (kube ? ', or NodeLocal DNSCache, which takes pod DNS off DNAT altogether' : '') +
          (oldKernel || !kernel ? '; and a kernel of 5.0 or later, which fixes the race for packets NATed alike' : '') +
          '.',
        commands,
        caution: 'A dnsConfig change applies to pods created after it; a daemon.json change to containers created after docker restarts (restarting docker restarts its containers unless live-restore is on).',
      },
    },
  ];
}

// ---- conntrack.table-full ------------------------------------------------------------------

export function tableFullFindings({ node, artifacts, partly }: Input): FindingDraft[] {
  const stats = artifacts.conntrackStats ?? [];
  const size = tableSize(artifacts);
  // the largest of the files, not their sum: sos holds the same counters twice (conntrack -S, /proc/net/stat/nf_conntrack)
  const early = Math.max(0, ...stats.map((s) => s.totals.early_drop ?? 0));
  // a clash the kernel cannot resolve counts in drop and insert_failed alike: only drops beyond the failed inserts want room
  const dropBeyond = Math.max(0, ...stats.map((s) => (s.totals.drop ?? 0) - (s.totals.insert_failed ?? 0)));
  const rising = stats.filter((s) => risingBy(s, 'early_drop') > 0 || risingBy(s, 'drop') - risingBy(s, 'insert_failed') > 0);
  const ratio = size ? size.count / size.max : undefined;
  const logs = (artifacts.logs ?? []).flatMap((l) => l.matches.filter((m) => m.signature === 'log.conntrack-table-full'));
  const near = ratio !== undefined && ratio >= 0.9;
  // without conntrack's own counters, the kernel's "table full" lines are log.conntrack-table-full's to tell (kube-proxy's
  // limit, the count against it): the two findings would say one thing twice. With the counters, the lines fold in here.
  if (stats.length === 0 && logs.length > 0) return [];
  if (!near && early === 0 && dropBeyond === 0 && rising.length === 0 && logs.length === 0) {
    const parts: string[] = [];
    if (size) parts.push(`${size.count} of ${size.max} entries (${Math.round(ratio! * 100)}%)`);
    if (stats.some((s) => s.totals.early_drop !== undefined)) parts.push('early_drop 0');
    if (stats.some((s) => s.totals.drop !== undefined)) parts.push(`drop ${Math.max(0, ...stats.map((s) => s.totals.drop ?? 0))}${stats.some((s) => (s.totals.drop ?? 0) > 0) ? ' (no more than the failed inserts)' : ''}`);
    if (parts.length === 0) partly?.('neither the conntrack entry count and limit (nf_conntrack_count / nf_conntrack_max) nor conntrack statistics are in the bundle', ['conntrackStats']);
    else partly?.(`the conntrack table is not full: ${parts.join(', ')}`);
    return [];
  }
  const evidence: Evidence[] = [];
  if (size) {
    evidence.push({ file: size.countRef.ref.file, line: size.countRef.ref.line, excerpt: size.countRef.excerpt, note: `entries tracked${size.fromStats ? ' (conntrack statistics)' : ''}` });
    evidence.push({ file: size.maxRef.ref.file, line: size.maxRef.ref.line, excerpt: size.maxRef.excerpt, note: 'the limit' });
  }
  for (const s of stats) {
    for (const c of nonZero(s, 'early_drop').slice(0, 3)) evidence.push({ file: c.ref.file, line: c.ref.line, excerpt: c.excerpt, note: `${c.cpu !== undefined ? `CPU ${c.cpu}: ` : ''}early_drop ${c.counters.early_drop}: entries evicted to make room (since boot)` });
    if ((s.totals.drop ?? 0) > (s.totals.insert_failed ?? 0))
      for (const c of nonZero(s, 'drop').slice(0, 3)) evidence.push({ file: c.ref.file, line: c.ref.line, excerpt: c.excerpt, note: `${c.cpu !== undefined ? `CPU ${c.cpu}: ` : ''}drop ${c.counters.drop} (since boot)` });
  }
  for (const m of logs.slice(0, 5)) evidence.push({ file: m.file, line: m.line, excerpt: m.excerpt, note: 'the kernel dropped a packet: table full', ...timeOf(m) });
  const full = ratio !== undefined && ratio >= 1;
  const dropped = early > 0 || dropBeyond > 0 || logs.length > 0;
  // critical: at the limit now, or near it with drops on record, or drops rising between snapshots; a counter alone may be months old
  const severity = full || (near && dropped) || rising.length > 0 ? 'critical' : 'warning';
  const host = containerHostEvidence(artifacts);
  const kube = host.some((h) => /kube|k3s|rke2|microk8s/i.test(h)) || (artifacts.logs ?? []).some((l) => l.matches.some((m) => m.signature === 'log.kube-proxy-conntrack-max'));
  const newMax = size ? String(size.max * 2) : '<twice the current limit>';
  const what: string[] = [];
  if (size) what.push(`${size.count} of ${size.max} entries (${Math.round(ratio! * 100)}%)${size.fromStats ? ', the count from the conntrack statistics' : ''}`);
  if (early > 0) what.push(`early_drop ${early} (entries evicted for room)`);
  if (dropBeyond > 0) what.push(`${dropBeyond} packet${dropBeyond > 1 ? 's' : ''} dropped beyond the failed inserts`);
  if (rising.length > 0) what.push('the drop counters rose between the snapshots');
  if (logs.length > 0) what.push(`the kernel logged "table full, dropping packet" ${logs.length} time${logs.length > 1 ? 's' : ''}${logs[0].timestamp ? ` (first ${logs[0].timestamp.iso})` : ''}`);
  return [
    {
      severity,
      title: full ? 'The conntrack table is full' : near ? 'The conntrack table is nearly full' : 'The conntrack table has been full',
      message:
        `Connection tracking on ${node}: ${what.join('; ')}. ` +
        (full || near
          ? 'At the limit the kernel evicts an unreplied entry for each new connection, and where none can go it drops the packet: new connections fail at random.'
          : `The table was full at some time${size ? ', not at the moment the count was taken: a burst of connections' : ''}; the counters count since boot. Compare nf_conntrack_count with nf_conntrack_max on the node while it happens.`),
      impact: 'New connections (and their DNS lookups) fail or time out while the table is full.',
      evidence,
      facts: { ...(size ? { count: size.count, max: size.max } : {}), earlyDrop: early, dropBeyondInsertFailed: dropBeyond, rising: rising.length > 0, logLines: logs.length },
      remedy: {
        summary:
          'Find what opens so many connections (a flood, a client without keep-alive, a scan) and raise net.netfilter.nf_conntrack_max in steps the node can hold, now and persistently' +
          (kube ? ": kube-proxy sets the limit itself at every start (conntrack.maxPerCore × cores, at least conntrack.min), so keep the value in kube-proxy's configuration" : '') +
          '.',
        commands: [
          'cat /proc/sys/net/netfilter/nf_conntrack_count /proc/sys/net/netfilter/nf_conntrack_max   # entries tracked now, and the limit',
          "conntrack -L 2>/dev/null | awk '{for(i=1;i<=NF;i++) if($i ~ /^src=/){print $i; break}}' | sort | uniq -c | sort -rn | head   # the sources with the most entries",
          "conntrack -L 2>/dev/null | awk '{print $1}' | sort | uniq -c   # entries per protocol",
          `sysctl -w net.netfilter.nf_conntrack_max=${newMax}`,
          kube
            ? '# keep it, kubeadm: kubectl -n kube-system edit configmap kube-proxy (conntrack: maxPerCore, min), then kubectl -n kube-system rollout restart daemonset kube-proxy'
            : `echo 'net.netfilter.nf_conntrack_max = ${newMax}' > /etc/sysctl.d/90-conntrack-max.conf   # kept across reboots`,
        ],
        caution: 'Every tracked connection takes a few hundred bytes of kernel memory: raise the limit in steps the node can hold. conntrack -L on a full table prints hundreds of thousands of lines: it reads, it changes nothing.',
      },
    },
  ];
}

// ---- what both read ------------------------------------------------------------------------

/** How much a counter rose between a file's first and last snapshot (0 for one snapshot). */
function risingBy(s: ConntrackStats, counter: keyof Omit<ConntrackTotals, 'all' | 'entries'>): number {
  if (s.listings.length < 2) return 0;
  const first = s.listings[0][counter];
  const last = s.listings[s.listings.length - 1][counter];
  return first !== undefined && last !== undefined && last > first ? last - first : 0;
}

function lastListingLine(s: ConntrackStats): number {
  const l = s.listings.length - 1;
  return s.cpus.find((c) => c.listing === l)!.ref.line;
}
function lastListingExcerpt(s: ConntrackStats): string {
  const l = s.listings.length - 1;
  return s.cpus.find((c) => c.listing === l)!.excerpt;
}

/**
 * DNS lookups that timed out: a client's timeout naming port 53 or a `lookup <name> on <server>:53`; not slirp4netns'
 * forwarder nor VirtualBox NAT's DNS proxy (10.0.2.3 in user-mode NAT: no conntrack between the client and it).
 */
function dnsTimeouts(artifacts: NodeArtifacts): LogMatch[] {
  const timeouts = (artifacts.logs ?? []).flatMap((l) => l.matches.filter((m) => (m.signature === 'log.connection-timed-out' || (m.signature === 'log.dns-lookup-failed' && dnsLookupKind(m.facts) === 'timeout')) && (m.facts.port === '53' || m.facts.lookup !== undefined)));
  const userNat = userModeNatLines(timeouts, artifacts);
  const skip = new Set([...userNat.slirp, ...userNat.virtualbox]);
  return timeouts.filter((m) => !skip.has(m));
}

/** The running kernel's release: the sysctl dump's kernel.osrelease, else docker info's Kernel Version. */
function kernelRelease(artifacts: NodeArtifacts): { value: string; ref: { file: string; line: number }; excerpt: string } | undefined {
  const [v] = runtimeValue(artifacts.sysctl ?? [], 'kernel.osrelease');
  if (v) return { value: v.value, ref: v.ref, excerpt: v.excerpt };
  const k = dockerEngine(artifacts.dockerDaemon)?.kernelVersion;
  return k ? { value: k.value, ref: k.ref, excerpt: k.excerpt } : undefined;
}

function kernelMajorMinor(release: string): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)/.exec(release);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** resolv.conf `options` lines that already keep the two queries apart. */
function resolverOptions(artifacts: NodeArtifacts): { value: string; ref: { file: string; line: number }; excerpt: string }[] {
  const out: { value: string; ref: { file: string; line: number }; excerpt: string }[] = [];
  for (const r of artifacts.resolvConf ?? []) {
    if (r.format !== 'resolv.conf') continue;
    for (const rec of r.records)
      if (rec.keyword === 'options') {
        const hit = rec.values.find((v) => v === 'single-request-reopen' || v === 'single-request' || v === 'use-vc');
        if (hit) out.push({ value: hit, ref: rec.ref, excerpt: rec.excerpt });
      }
  }
  return out;
}

/**
 * The table's entry count and limit. The sysctl dump's pair (net.netfilter.nf_conntrack_count / _max, or
 * the older net.ipv4.netfilter.ip_conntrack_*), from one file when it can: one moment. Else the statistics'
 * entry count against the sysctl limit.
 */
function tableSize(artifacts: NodeArtifacts): { count: number; max: number; countRef: SysctlValue | { ref: { file: string; line: number }; excerpt: string }; maxRef: SysctlValue; fromStats: boolean } | undefined {
  const sysctl = artifacts.sysctl ?? [];
  for (const [countKey, maxKey] of [
    ['net.netfilter.nf_conntrack_count', 'net.netfilter.nf_conntrack_max'],
    ['net.ipv4.netfilter.ip_conntrack_count', 'net.ipv4.netfilter.ip_conntrack_max'],
  ]) {
    const counts = runtimeValue(sysctl, countKey);
    const maxes = [...runtimeValue(sysctl, maxKey), ...runtimeValue(sysctl, 'net.nf_conntrack_max')];
    if (maxes.length === 0) continue;
    const pair = counts.map((c) => [c, maxes.find((m) => m.ref.file === c.ref.file) ?? maxes[0]] as const)[0];
    const max = Number((pair?.[1] ?? maxes[0]).value);
    if (!Number.isFinite(max) || max <= 0) continue;
    if (pair) {
      const count = Number(pair[0].value);
      if (Number.isFinite(count)) return { count, max, countRef: pair[0], maxRef: pair[1], fromStats: false };
    }
    const withEntries = (artifacts.conntrackStats ?? []).find((s) => s.totals.entries !== undefined);
    if (withEntries) {
      const first = withEntries.cpus.find((c) => c.listing === withEntries.listings.length - 1 && c.counters.entries !== undefined)!;
      return { count: withEntries.totals.entries!, max, countRef: { ref: first.ref, excerpt: first.excerpt }, maxRef: maxes[0], fromStats: true };
    }
  }
  return undefined;
}
