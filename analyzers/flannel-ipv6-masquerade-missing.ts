/**
 * flannel.ipv6-masquerade-missing: k3s runs its embedded flannel with a dual-stack (or IPv6-only)
 * cluster-cidr whose IPv6 range is a unique local one (fc00::/7), and without `--flannel-ipv6-masq`
 * (config.yaml `flannel-ipv6-masq: true`). flannel then masquerades the pods' IPv4 traffic only: their
 * IPv6 packets leave the node with the pods' own ULA source addresses, which nothing beyond the site
 * routes back, so pods' IPv6 connections out of the cluster get no answer (k3s-io/k3s#4683: install line
 * `--cluster-cidr="10.42.0.0/16,fc15:1::/56"`, k3s v1.22.4+k3s1, "any outgoing pod traffic is exiting
 * the node with the ipv6 address of the pod instead of the address of the nodes interface").
 *
 * The fix is k3s PR #4952 "Add IPv6 NAT" (merged 2022-01): a new server flag `--flannel-ipv6-masq` (off by
 * default) that adds `-s <v6 cluster-cidr> ! -d ff00::/8 -j MASQUERADE --random-fully` to ip6tables' nat
 * table. Backports #4982 (release-1.21, issue #4979) and #4983 (release-1.22, issue #4980) were validated
 * by the k3s QA team on v1.21.9-rc1+k3s1 and v1.22.6-rc1+k3s1, so v1.21.9+k3s1 and v1.22.6+k3s1 are the
 * first releases of those lines with the flag. The v1.23 line (k3s' master when #4952 merged) is taken to
 * have it from v1.23.2+k3s1, the first v1.23 release after the merge (inferred from the dates, not read
 * in a release note). k3s' docs: "Apply masquerading rules to IPv6 traffic (default for IPv4). Only
 * applies on dual-stack or IPv6-only clusters. Compatible with any Flannel backend other than none", and
 * "Flannel options can only be set on server nodes, and must be identical on all servers in the cluster"
 * (docs.k3s.io/networking/basic-network-options); agents take the setting from the server.
 *
 * Quiet when: the flag is set (any source; the command line over config.yaml, as k3s reads them); the
 * cluster is IPv4-only; the IPv6 range is global (2000::/3, routed to the nodes by design, the
 * layout k3s' maintainers assume, k3s#4725); flannel-backend is none (another CNI); the bundle's ip6tables
 * rules hold a MASQUERADE for the IPv6 cluster-cidr, or one for every source (`-o eth0 -j MASQUERADE`: someone
 * added it by hand, or another tool did);
 * only an agent's flags are shown (the setting lives on the servers).
 *
 * Severity: a warning. The bundle shows a configuration that cannot carry pods' IPv6 beyond the site
 * unless the network NATs or routes the ULA range; no bundle artifact this tool reads shows a pod's
 * IPv6 connection failing, so it never says critical.
 */
import { defineAnalyzer, type FindingDraft } from '../src/engine/analyzer.js';
import type { Evidence } from '../src/report/schema.js';
import { parseCidr, cidrOverlap, type Cidr } from '../src/parsers/cidr.js';
import { compareK3sVersions, k3sVersionOf, type K3sVersion } from '../src/parsers/k3s-version.js';
import { carriedK3sFlags, k3sBool, k3sInstallVersion, k3sSetting, type K3sFlags, type K3sSetting } from '../src/parsers/k3s-flags.js';
import type { KubeClusterRanges } from '../src/parsers/kube-cluster-config.js';
import { flagBool, flagValue, processesOf, type ListedProcess, type ProcessSources } from '../src/parsers/processes.js';
import type { KernelRelease } from '../src/parsers/uname.js';
import type { Ruleset } from '../src/netfilter/rules.js';
import { ipv6PrefixKind } from '../src/parsers/cidr.js';

const ID = 'flannel.ipv6-masquerade-missing';

/** What the check reads. `k3sFlags` and `uname` are the kinds of src/parsers/k3s-flags.ts and uname.ts. */
export interface Ipv6MasqInputs extends ProcessSources {
  k3sFlags?: K3sFlags[];
  kubeClusterRanges?: KubeClusterRanges[];
  k3sVersion?: K3sVersion[][];
  iptables?: Ruleset[];
  uname?: KernelRelease[];
}

/** The first release of each k3s line with --flannel-ipv6-masq (PR #4952 and its backports). */
export const IPV6_MASQ_SINCE: Record<string, { version: string; verified: boolean }> = {
  '1.21': { version: 'v1.21.9+k3s1', verified: true },
  '1.22': { version: 'v1.22.6+k3s1', verified: true },
  '1.23': { version: 'v1.23.2+k3s1', verified: false },
};

/** Does this k3s release have --flannel-ipv6-masq? undefined where the version is not known. */
export function hasIpv6MasqFlag(v: Pick<K3sVersion, 'major' | 'minor' | 'patch' | 'prerelease' | 'build'>): boolean {
  if (v.major !== 1) return v.major > 1;
  if (v.minor >= 24) return true;
  const since = IPV6_MASQ_SINCE[`1.${v.minor}`];
  if (!since) return false; // before 1.21: no dual-stack in k3s, and no flag
  const s = k3sVersionOf(since.version)!;
  // a release candidate of the first release has it (the backports were validated on -rc1)
  return compareK3sVersions({ ...v, prerelease: undefined, build: undefined }, { ...s, prerelease: undefined, build: undefined }) >= 0;
}

interface RangeSeen {
  cidr: Cidr;
  text: string;
  ref: { file: string; line: number };
  excerpt: string;
}

/** The IPv6 ranges of cluster-cidr: k3s' flags (the command line over config.yaml), else the running k3s' own flags. */
function ipv6ClusterRanges(setting: K3sSetting | undefined, proc: ListedProcess | undefined): RangeSeen[] {
  const out: RangeSeen[] = [];
  const add = (value: string, ref: { file: string; line: number }, excerpt: string) => {
    for (const part of value.split(',')) {
      const c = parseCidr(part.trim());
      if (c && c.family === 6) out.push({ cidr: c, text: part.trim(), ref, excerpt });
    }
  };
  const procCidr = proc ? flagValue(proc, 'cluster-cidr') : undefined;
  if (proc && procCidr) add(procCidr, proc.ref, proc.excerpt);
  else if (setting) add(setting.value, setting.ref, setting.excerpt);
  return out;
}

/** A MASQUERADE (or SNAT) in an IPv6 nat table for traffic from the range. */
function ip6Masquerade(rulesets: readonly Ruleset[], range: Cidr): { rule?: { file: string; line: number; excerpt: string }; natTables: Ruleset[] } {
  const natTables: Ruleset[] = [];
  for (const rs of rulesets) {
    const nat = rs.tables['nat'];
    if (!nat) continue;
    let v6 = rs.family === 'ipv6';
    for (const chain of Object.values(nat.chains)) {
      for (const r of chain.rules) {
        const src = r.source && !r.source.negated ? parseCidr(r.source.value) : undefined;
        if (src?.family === 6) v6 = true;
        const nat6 = r.target === 'MASQUERADE' || r.target === 'SNAT';
        // a source within the range, or no source at all in an IPv6 table (`-o eth0 -j MASQUERADE`: every source, the pods' too)
        if (nat6 && ((src && src.family === 6 && cidrOverlap(src, range)) || (!r.source && rs.family === 'ipv6'))) return { rule: { file: r.ref.file, line: r.ref.line, excerpt: r.text }, natTables };
      }
    }
    if (v6) natTables.push(rs);
  }
  return { natTables };
}

const at = (s: { ref: { file: string; line: number }; excerpt: string }, note: string): Evidence => ({ file: s.ref.file, line: s.ref.line, excerpt: s.excerpt, note });

const CONFIG = '/etc/rancher/k3s/config.yaml';
const ORIGIN_TEXT: Record<K3sFlags['origin'], string> = { config: 'config.yaml keys', install: "install line's flags", unit: "unit's ExecStart flags", command: "command line's flags" };
/** Sets `flannel-ipv6-masq: true` in config.yaml: replaces an existing line, else appends one (on a line of its own). */
export const SET_IPV6_MASQ =
  `mkdir -p /etc/rancher/k3s && touch ${CONFIG} && if grep -qE '^"?flannel-ipv6-masq"?[[:space:]]*:' ${CONFIG}; then ` +
  `sed -i -E 's/^("?flannel-ipv6-masq"?[[:space:]]*:).*/\\1 true/' ${CONFIG}; else printf '\\nflannel-ipv6-masq: true\\n' >> ${CONFIG}; fi`;

/** The check itself, on the node's artifacts (the analyzer below hands them in). */
export function flannelIpv6MasqFindings(node: string, a: Ipv6MasqInputs): FindingDraft[] {
  // k3s' flags: files read as such, and a config.yaml read for its ranges that carries its flags along
  const carried = (a.kubeClusterRanges ?? []).map(carriedK3sFlags).filter((f): f is K3sFlags => f !== undefined);
  const flags = [...(a.k3sFlags ?? []), ...carried.filter((c) => !(a.k3sFlags ?? []).some((f) => f.file === c.file))];
  if (flags.length === 0) return [];
  // a k3s config.yaml read for its ranges only (kube-cluster-config.ts) but not for its other keys: it may
  // set flannel-ipv6-masq, which this check cannot see
  const seenConfigs = new Set(flags.filter((f) => f.origin === 'config').map((f) => f.file));
  if ((a.kubeClusterRanges ?? []).some((r) => r.format === 'k3s-config' && !/rke2/.test(r.file) && !seenConfigs.has(r.file))) return [];
  // the running k3s server, where ps shows its flags (k3s usually hides them behind `k3s server`)
  const proc = processesOf(a, 'k3s').find((p) => p.argsShown && p.flags.size > 0 && p.role !== 'agent');

  // an agent's flags alone: flannel's options are the servers' (agents take them from the server)
  const roles = new Set([...flags.map((f) => f.role), proc?.role].filter((r): r is 'server' | 'agent' => r !== undefined));
  if (roles.size > 0 && !roles.has('server') && seenConfigs.size === 0) return [];

  const backend = (proc ? flagValue(proc, 'flannel-backend') : undefined) ?? k3sSetting(flags, 'flannel-backend')?.value;
  if (backend === 'none') return [];

  const masqSetting = k3sSetting(flags, 'flannel-ipv6-masq');
  const masq = (proc ? flagBool(proc, 'flannel-ipv6-masq') : undefined) ?? k3sBool(masqSetting);
  if (masq === true) return [];

  const ranges = ipv6ClusterRanges(k3sSetting(flags, 'cluster-cidr'), proc);
  const ula = ranges.filter((r) => ipv6PrefixKind(r.text) === 'ula');
  if (ula.length === 0) return [];

  const rulesets = a.iptables ?? [];
  const seenMasq = ula.map((r) => ip6Masquerade(rulesets, r.cidr));
  if (seenMasq.some((m) => m.rule)) return [];
  const natTables = seenMasq.flatMap((m) => m.natTables);

  // the release: k3s -v, else the install line's INSTALL_K3S_VERSION
  const ver = a.k3sVersion?.flatMap((v) => v)[0];
  const installVer = k3sInstallVersion(flags);
  const parsedInstall = installVer ? k3sVersionOf(installVer.value) : undefined;
  const version = ver ? { text: ver.version, v: ver, ev: at(ver, '') } : installVer && parsedInstall ? { text: installVer.value, v: parsedInstall, ev: at(installVer, '') } : undefined;
  const hasFlag = version ? hasIpv6MasqFlag(version.v) : undefined;
  const since = version ? IPV6_MASQ_SINCE[`${version.v.major}.${version.v.minor}`] : undefined;
  const upgradeTo = since ? since.version : 'v1.22.6+k3s1 / v1.21.9+k3s1 or any later line';

  const r0 = ula[0];
  const evidence: Evidence[] = ula.map((r) =>
    at(r, `the pods' IPv6 range ${r.text} is a unique local one (fc00::/7): no network beyond the site routes it back`),
  );
  if (masqSetting) evidence.push(at(masqSetting, "flannel-ipv6-masq is off: flannel masquerades the pods' IPv4 only"));
  else
    for (const f of flags)
      evidence.push({ file: f.file, line: 0, excerpt: `no flannel-ipv6-masq among the k3s ${ORIGIN_TEXT[f.origin]}`, note: 'without it k3s writes no IPv6 masquerade rule' });
  if (version) {
    version.ev.note =
      hasFlag === false
        ? `k3s ${version.text} predates PR #4952: it has no IPv6 masquerade at all (--flannel-ipv6-masq came with ${upgradeTo})`
        : `k3s ${version.text} has --flannel-ipv6-masq (PR #4952), off by default`;
    evidence.push(version.ev);
  }
  for (const rs of natTables.slice(0, 2)) evidence.push({ file: rs.file, line: rs.tables['nat'].ref.line, excerpt: `*nat (ip6tables): no MASQUERADE or SNAT for ${ula.map((r) => r.text).join(', ')}`, note: 'the IPv6 nat table as read: nothing rewrites the pods\' source' });
  const kernel = a.uname?.[0];
  if (kernel) evidence.push(at(kernel, `kernel ${kernel.release}${kernel.major < 3 || (kernel.major === 3 && kernel.minor < 7) ? ': older than 3.7, which brought IPv6 NAT (MASQUERADE in ip6tables)' : ''}`));

  const rangeText = ula.map((r) => r.text).join(', ');
  const message =
    `k3s on ${node} gives its pods IPv6 addresses from ${rangeText} (cluster-cidr, ${r0.ref.file}:${r0.ref.line}), a unique local range, ` +
    `and flannel does not masquerade them: ${masqSetting ? `flannel-ipv6-masq is ${masqSetting.value}` : 'flannel-ipv6-masq is not set'}` +
    (hasFlag === false ? `, and k3s ${version!.text} could not do it anyway (the option came with PR #4952, in ${upgradeTo})` : '') +
    `. flannel writes masquerade rules for the IPv4 range only, so pods' IPv6 packets leave the node with their ULA source address, which no router beyond the site routes back: ` +
    `pods' IPv6 connections out of the cluster get no answer while IPv4 works (k3s-io/k3s#4683).` +
    (natTables.length > 0 ? ` The bundle's ip6tables nat table confirms it: no MASQUERADE for ${rangeText}.` : ' The bundle holds no ip6tables nat rules to confirm it (`ip6tables-save -t nat`).') +
    (seenConfigs.size === 0 && !masqSetting ? ` The bundle has no ${CONFIG}: if it sets flannel-ipv6-masq: true, this does not apply.` : '');
  const upgrade = hasFlag === false ? [`# first upgrade k3s on every node, servers first, to ${upgradeTo} or later (the install line with INSTALL_K3S_VERSION=..., or the system-upgrade-controller): flannel runs on every node`] : [];
  return [
    {
      id: ID,
      severity: 'warning',
      title: "k3s' flannel does not masquerade the pods' unique local IPv6 addresses",
      message,
      impact: "Pods' IPv6 connections beyond the cluster time out (no reply reaches the ULA source); IPv4 and in-cluster IPv6 work. Clients that try IPv6 first stall before falling back.",
      evidence,
      facts: { ipv6ClusterCidr: ula.map((r) => r.text), flannelIpv6Masq: masqSetting?.value ?? null, k3sVersion: version?.text ?? null, flagAvailable: hasFlag ?? null, ip6tablesNatSeen: natTables.length > 0 },
      remedy: {
        summary:
          (hasFlag === false ? `Upgrade k3s on every node to ${upgradeTo} or later (this release has no IPv6 masquerade), then ` : '') +
          `${hasFlag === false ? 's' : 'S'}et \`flannel-ipv6-masq: true\` in ${CONFIG} on every server (flannel options are the servers' and must match on all of them; agents take it from the server) and restart k3s: flannel then writes masquerade rules for ${rangeText} into ip6tables' nat table (k3s PR #4952: \`-s ${r0.text} ! -d ff00::/8 -j MASQUERADE --random-fully\`). ` +
          `Where k3s was started with flags instead (the install line, k3s.service's ExecStart), adding \`--flannel-ipv6-masq\` there does the same. ` +
          `Or give the pods a global prefix routed to the nodes instead of NAT (cluster-cidr cannot change on an existing cluster: that means a new cluster).`,
        commands: [
          ...upgrade,
          SET_IPV6_MASQ,
          "grep -HnE '^\"?flannel-ipv6-masq\"?[[:space:]]*:' /etc/rancher/k3s/config.yaml.d/*.yaml 2>/dev/null   # a drop-in here is read after config.yaml and overrides it: set it to true there, or remove it",
          'systemctl restart k3s   # on each server, one at a time; agents: systemctl restart k3s-agent',
          `ip6tables -t nat -S | grep -F -- '${r0.text}'   # check: a MASQUERADE for the pods' IPv6 range`,
        ],
        caution:
          'Restarting k3s restarts its embedded control plane and flannel (pods keep running; the API is away for a moment): on a single server, expect a short API outage. ' +
          'A `--flannel-ipv6-masq=false` on k3s\' command line (unit ExecStart) overrides config.yaml: remove it there. So does a drop-in in /etc/rancher/k3s/config.yaml.d/ that sets `flannel-ipv6-masq: false`: k3s reads those after config.yaml, in alphabetical order, and the last value wins. Releases older than those named have no such option: upgrade first.',
      },
    },
  ];
}

export default defineAnalyzer({
  id: ID,
  title: "k3s' flannel does not masquerade the pods' unique local IPv6 addresses",
  description:
    'k3s with a unique local (fc00::/7) IPv6 cluster-cidr and flannel, without flannel-ipv6-masq (or on a k3s before PR #4952, which has no IPv6 masquerade): pods\' IPv6 leaves with its ULA source and gets no answer.',
  scope: 'node',
  requires: [],
  requiresOneOf: ['k3sFlags', 'kubeClusterRanges'],
  optional: ['k3sVersion', 'iptables', 'dockerDaemon', 'services', 'kubeClusterRanges', 'k3sFlags', 'uname'],
  analyze({ node, artifacts }) {
    return flannelIpv6MasqFindings(node, artifacts);
  },
});
