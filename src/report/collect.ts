/**
 * What to collect next: the coverage grouped by the artifact each check lacked, each group with the
 * command that collects it, and whether the core of the diagnosis could run at all. Render-side only:
 * the JSON keeps every analyzer run as it is (`coverage`); these views are computed from it.
 */
import type { ArtifactKind } from '../engine/artifacts.js';
import { ARTIFACT_DESCRIPTIONS } from '../model/artifact-descriptions.js';
import type { AnalyzerRun, BundleReport, NodeCoverage } from './schema.js';
import { runStatus } from './coverage.js';

export interface CollectHint {
  /** a short name for the artifact, for a heading or a list */
  what: string;
  /** commands that collect it on the node (each safe to run: they only read) */
  commands: string[];
  /** the sos report plugin that collects it, where one does */
  sos?: string;
}

/**
 * Per artifact kind, the command that collects it. The sos plugin names are those of sos 4.x
 * (sos/report/plugins/*.py: networking, kernel, firewall_tables, firewalld, docker, systemd, logs,
 * ipvs, conntrack, ufw, podman, kubernetes); the example sosreports keep their output under
 * sos_commands/<plugin>/.
 */
export const COLLECT: Record<ArtifactKind, CollectHint> = {
  sysctl: { what: 'kernel parameters', commands: ['sysctl -a'], sos: 'kernel' },
  sysctlConfig: { what: 'sysctl configuration', commands: ['cat /etc/sysctl.conf /etc/sysctl.d/*.conf'], sos: 'kernel' },
  services: { what: 'systemd unit states', commands: ['systemctl list-unit-files', 'systemctl list-units --all'], sos: 'systemd' },
  dockerDaemon: { what: "Docker's daemon.json", commands: ['cat /etc/docker/daemon.json'], sos: 'docker' },
  logs: { what: 'logs', commands: ['journalctl -b --no-pager'], sos: 'logs' },
  iptables: { what: 'iptables rules', commands: ['iptables-save', 'ip6tables-save'], sos: 'firewall_tables' },
  iptablesVersion: { what: 'iptables version', commands: ['iptables -V'] },
  k3sVersion: { what: "k3s' version", commands: ['k3s --version'] },
  k3sFlags: { what: "k3s' flags", commands: ['cat /etc/rancher/k3s/config.yaml /etc/rancher/k3s/config.yaml.d/*.yaml', 'systemctl cat k3s'] },
  uname: { what: 'the kernel release', commands: ['uname -a'], sos: 'kernel' },
  systemdVersion: { what: "systemd's version", commands: ['systemctl --version'] },
  ipAddr: { what: 'ip addr', commands: ['ip -d address'], sos: 'networking' },
  flannelSubnetEnv: { what: "flannel's subnet.env", commands: ['cat /run/flannel/subnet.env'] },
  flannelNetConf: { what: "flannel's net-conf.json", commands: ['kubectl get configmap -A -l app=flannel -o yaml'] },
  dockerNetworks: { what: 'Docker networks', commands: ['docker network inspect $(docker network ls -q)'], sos: 'docker' },
  sockets: { what: 'listening sockets', commands: ['ss -tulpn'], sos: 'networking' },
  routes: { what: 'routes', commands: ['ip route show table all'], sos: 'networking' },
  nftables: { what: 'nftables rules', commands: ['nft list ruleset'], sos: 'firewall_tables' },
  nftTrace: { what: 'an nftables packet trace', commands: ['nft monitor trace   # while the failing traffic is sent, with a rule that sets meta nftrace set 1 on it'] },
  nftablesConfig: { what: 'nftables configuration', commands: ['cat /etc/nftables.conf /etc/sysconfig/nftables.conf'] },
  firewalldZones: { what: 'firewalld zones', commands: ['firewall-cmd --list-all-zones'], sos: 'firewalld' },
  firewalldConf: { what: 'firewalld.conf', commands: ['cat /etc/firewalld/firewalld.conf'], sos: 'firewalld' },
  firewalldPolicies: { what: 'firewalld policies', commands: ['firewall-cmd --list-all-policies'], sos: 'firewalld' },
  podmanPorts: { what: "Podman's published ports", commands: ['podman ps -a'], sos: 'podman' },
  podmanInfo: { what: 'podman info', commands: ['podman info'], sos: 'podman' },
  podmanNetworks: { what: 'podman network inspect', commands: ['podman network ls', 'podman network inspect $(podman network ls -q)'], sos: 'podman' },
  ipsets: { what: 'ipsets', commands: ['ipset list'] },
  resolvConf: { what: 'resolv.conf', commands: ['cat /etc/resolv.conf'] },
  distributionHint: { what: "a Kubernetes distribution's paths", commands: [] },
  awsCniSettings: { what: "the VPC CNI's settings", commands: ['curl -s http://localhost:61679/v1/networkutils-env-settings'] },
  ufwStatus: { what: 'ufw status', commands: ['ufw status verbose'], sos: 'ufw' },
  dockerPs: { what: "Docker's containers", commands: ['docker ps -a'], sos: 'docker' },
  dockerServices: { what: "Swarm's services and published ports", commands: ['docker service ls'], sos: 'docker' },
  ipvsadm: { what: 'the IPVS table', commands: ['ipvsadm -Ln'], sos: 'ipvs' },
  ipNeigh: { what: 'the neighbour table', commands: ['ip -s -s neigh show'], sos: 'networking' },
  bridgeFdb: { what: 'the bridge forwarding database', commands: ['bridge fdb show'], sos: 'networking' },
  systemdLink: { what: 'systemd .link files', commands: ['cat /etc/systemd/network/*.link'] },
  networkctl: { what: 'networkctl', commands: ['networkctl status -a'], sos: 'networking' },
  systemdNetwork: { what: 'systemd .network files', commands: ['cat /etc/systemd/network/*.network'] },
  kubeNodes: { what: 'Kubernetes nodes', commands: ['kubectl get nodes -o yaml'], sos: 'kubernetes' },
  bridgeLinks: { what: 'bridge ports', commands: ['bridge -d link show'], sos: 'networking' },
  cniConf: { what: 'CNI configuration', commands: ['cat /etc/cni/net.d/*'] },
  ipRules: { what: 'ip rule', commands: ['ip rule list'], sos: 'networking' },
  proxyEnv: { what: 'the runtime units\' proxy environment', commands: ['systemctl show -p Environment docker containerd kubelet'] },
  kubeClusterRanges: { what: "the cluster's pod and Service ranges", commands: ['kubectl -n kube-system get configmap kubeadm-config -o yaml'] },
  packages: { what: 'installed packages', commands: ['rpm -qa', 'dpkg -l'] },
  conntrackStats: { what: 'conntrack statistics', commands: ['conntrack -S'], sos: 'conntrack' },
  felixConfig: { what: "Calico Felix's configuration", commands: ['kubectl get felixconfiguration -o yaml'] },
  ethtool: { what: 'NIC offload features and drivers', commands: ['for d in $(ls /sys/class/net); do echo "== $d"; ethtool -i "$d"; ethtool -k "$d"; done'], sos: 'networking' },
};

/**
 * Other words a "ran in part" reason of an older report (without `missing`) uses for a missing
 * artifact (an analyzer's own text, not the description): "(no ip route in the bundle)", "the live
 * rules hold no nat table". New reports carry the kinds: the analyzers pass them to `partly`.
 */
const PARTIAL_MENTIONS: [ArtifactKind, RegExp][] = [
  ['ipAddr', /\bno ip addr\b/],
  ['routes', /\bno ip route\b/],
  ['sysctl', /\bno sysctl -a\b/],
  ['iptables', /\bhold no nat table\b|\bhas no filter FORWARD chain\b/],
  ['ipRules', /\bno ip rule listing\b/],
  ['conntrackStats', /\bconntrack statistics are (?:not )?in the bundle\b|\bnor conntrack statistics\b/],
  ['resolvConf', /\bresolv\.conf\b[^:]*\bis not in the bundle\b/],
  ['flannelNetConf', /\bno net-conf\.json\b/],
];

const KINDS = Object.keys(ARTIFACT_DESCRIPTIONS) as ArtifactKind[];

/**
 * The artifact kinds a run lacked, and whether any one of them would do ("neither A nor B in the
 * bundle") or all are needed ("A; B not in the bundle"): the run's own `missing` / `anyOf`, which the
 * engine writes. A report older than those fields has only the reason's words: there, the engine
 * wrote them from ARTIFACT_DESCRIPTIONS, so a description found in the reason names its kind (one
 * that lies inside a longer description found at the same place is not counted twice), and a few
 * analyzers' own words name others.
 */
export function missingOf(run: AnalyzerRun): { kinds: ArtifactKind[]; anyOf: boolean } | undefined {
  const status = runStatus(run);
  if (status !== 'not-run' && status !== 'ran-in-part') return undefined;
  if (run.missing) {
    const kinds = run.missing.filter((k): k is ArtifactKind => Object.hasOwn(COLLECT, k));
    return kinds.length > 0 ? { kinds, anyOf: run.anyOf === true && kinds.length > 1 } : undefined;
  }
  return missingFromReason(run.reason ?? '', status);
}

/** An older report's run: the kinds its reason names */
function missingFromReason(reason: string, status: 'not-run' | 'ran-in-part'): { kinds: ArtifactKind[]; anyOf: boolean } | undefined {
  if (/\bneeds at least \d+ nodes\b/.test(reason)) return undefined;
  const hits: { kind: ArtifactKind; at: number; end: number }[] = [];
  for (const kind of KINDS) {
    const d = ARTIFACT_DESCRIPTIONS[kind];
    for (let at = reason.indexOf(d); at >= 0; at = reason.indexOf(d, at + 1)) hits.push({ kind, at, end: at + d.length });
  }
  if (status === 'ran-in-part') for (const [kind, re] of PARTIAL_MENTIONS) if (re.test(reason)) hits.push({ kind, at: -1, end: -1 });
  const kept = hits.filter((h) => h.at < 0 || !hits.some((o) => o !== h && o.at >= 0 && o.at <= h.at && o.end >= h.end && o.end - o.at > h.end - h.at));
  const kinds = [...new Set(kept.sort((a, b) => a.at - b.at).map((h) => h.kind))];
  if (kinds.length === 0) return undefined;
  return { kinds, anyOf: /^not run: neither /.test(reason) };
}

export interface CoverageGroup {
  status: 'not-run' | 'ran-in-part' | 'error';
  icon: string;
  /** what was missing ("iptables rules", "iptables rules or nftables rules"), or the reason shared by the group */
  label: string;
  /** the group is keyed by missing artifacts (else by its reason) */
  missing: boolean;
  ids: string[];
  /** the runs' own reasons, each once (a "ran in part" says which part it skipped) */
  reasons: string[];
  /** the commands that collect what was missing */
  collect: string[];
  /** artifacts that would do instead for some of the checks ("neither A nor B in the bundle") */
  alternatives: string[];
}

export interface CollectItem {
  what: string;
  commands: string[];
  /** analyzer runs (all nodes, cluster checks) that lacked it */
  checks: number;
}

export interface CoverageView {
  /** per node: its ✅ runs collapsed, the rest grouped */
  nodes: { node: string; clean: string[]; found: { id: string; findings: number }[]; groups: CoverageGroup[] }[];
  cluster: { clean: string[]; found: { id: string; findings: number }[]; groups: CoverageGroup[] };
  /** what to collect next, the artifact that would let most checks run first (the first few) */
  collect: CollectItem[];
  /** the others, by name */
  collectMore: string[];
  /** one `sos report -o ...` line for a sosreport bundle, with the plugins that collect what was missing */
  sos?: string;
  /** the sos plugins collect every artifact listed (else some need their own command) */
  sosAll: boolean;
  runs: number;
  notRun: number;
}

const ICON: Record<CoverageGroup['status'], string> = { 'not-run': '⏭️', 'ran-in-part': '◑', error: '❌' };

function commandsOf(kinds: ArtifactKind[]): string[] {
  return [...new Set(kinds.flatMap((k) => COLLECT[k].commands))];
}

/**
 * The kind a check is filed under: the one it lacked; of "neither A nor B", the one most checks of the
 * bundle lack (collecting it serves them all); a check that lacked several at once, under all of them.
 */
function fileUnder(m: { kinds: ArtifactKind[]; anyOf: boolean }, need: Map<ArtifactKind, number>): ArtifactKind[] {
  if (!m.anyOf || m.kinds.length === 1) return m.kinds;
  const best = [...m.kinds].sort((a, b) => (need.get(b) ?? 0) - (need.get(a) ?? 0) || m.kinds.indexOf(a) - m.kinds.indexOf(b))[0];
  return [best];
}

function groupRuns(runs: AnalyzerRun[], need: Map<ArtifactKind, number>) {
  const clean: string[] = [];
  const found: { id: string; findings: number }[] = [];
  const groups = new Map<string, CoverageGroup>();
  const add = (key: string, group: Omit<CoverageGroup, 'ids' | 'reasons'>, run: AnalyzerRun) => {
    const g = groups.get(key) ?? { ...group, ids: [], reasons: [] };
    if (!g.ids.includes(run.id)) g.ids.push(run.id);
    const why = (run.reason ?? '').replace(/^(?:not run|ran in part): /, '');
    if (why && !g.reasons.includes(why)) g.reasons.push(why);
    groups.set(key, g);
  };
  for (const run of runs) {
    const status = runStatus(run);
    if (status === 'ran') {
      if (run.findings > 0) found.push({ id: run.id, findings: run.findings });
      else clean.push(run.id);
      continue;
    }
    const m = missingOf(run);
    if (m) {
      for (const k of fileUnder(m, need)) {
        const others = m.anyOf ? m.kinds.filter((o) => o !== k) : [];
        add(`${status}|${k}`, { status, icon: ICON[status], label: COLLECT[k].what, missing: true, collect: commandsOf([k]), alternatives: [] }, run);
        // "neither A nor B": B would do as well for some of them; A's line says so
        const g = groups.get(`${status}|${k}`)!;
        for (const o of others) if (!g.alternatives.includes(COLLECT[o].what)) g.alternatives.push(COLLECT[o].what);
      }
    } else {
      add(`${status}|reason|${run.reason ?? ''}`, { status, icon: ICON[status], label: (run.reason ?? '').replace(/^(?:not run|ran in part): /, ''), missing: false, collect: [], alternatives: [] }, run);
    }
  }
  const order = { 'not-run': 1, 'ran-in-part': 2, error: 0 };
  const sorted = [...groups.values()].sort((a, b) => order[a.status] - order[b.status] || Number(b.missing) - Number(a.missing) || b.ids.length - a.ids.length);
  return { clean, found, groups: sorted };
}

/** Per kind, how many runs (all nodes and cluster checks) lacked it; "neither A nor B" counts for both. */
function needs(runs: AnalyzerRun[]): Map<ArtifactKind, number> {
  const need = new Map<ArtifactKind, number>();
  for (const run of runs) {
    const m = missingOf(run);
    for (const k of m?.kinds ?? []) need.set(k, (need.get(k) ?? 0) + 1);
  }
  return need;
}

export function coverageView(bundle: Pick<BundleReport, 'coverage' | 'layout' | 'nodes'>): CoverageView {
  const all = [...bundle.coverage.nodes.flatMap((n) => n.analyzers), ...bundle.coverage.cluster];
  const need = needs(all);
  const nodes = bundle.coverage.nodes.map((n) => ({ node: n.node, ...groupRuns(n.analyzers, need) }));
  const cluster = groupRuns(bundle.coverage.cluster, need);
  // what to collect: each kind with the runs filed under it (a run counted once)
  const filed = new Map<ArtifactKind, number>();
  for (const run of all) {
    const m = missingOf(run);
    if (m) for (const k of fileUnder(m, need)) filed.set(k, (filed.get(k) ?? 0) + 1);
  }
  const collect = [...filed.entries()]
    .filter(([k]) => COLLECT[k].commands.length > 0)
    .sort(([a, x], [b, y]) => y - x || KINDS.indexOf(a) - KINDS.indexOf(b))
    .map(([k, n]) => ({ what: COLLECT[k].what, commands: COLLECT[k].commands, checks: n }));
  const isSos = bundle.layout === 'sosreport' || bundle.nodes.some((n) => n.layout === 'sosreport');
  const plugins = [...new Set([...filed.keys()].map((k) => COLLECT[k].sos).filter((p): p is string => !!p))].sort();
  return {
    nodes,
    cluster,
    collect: collect.slice(0, COLLECT_SHOWN),
    collectMore: collect.slice(COLLECT_SHOWN).map((c) => c.what),
    sos: isSos && plugins.length > 0 ? `sos report -o ${plugins.join(',')}` : undefined,
    sosAll: collect.every((c) => [...filed.keys()].some((k) => COLLECT[k].what === c.what && !!COLLECT[k].sos)),
    runs: all.length,
    notRun: all.filter((r) => r.status === 'not-run').length,
  };
}

/** "Collect next" lists this many artifacts with their commands, the others by name. */
const COLLECT_SHOWN = 6;

/**
 * The core of a container-host diagnosis, per node: the runtime kernel parameters (ip_forward, the
 * first cause of "containers cannot reach out"), the filter and nat tables (where Docker, kube-proxy and
 * the CNI program forwarding and masquerade; nftables rules hold both), and the interfaces and addresses
 * the rules are compared with. Without them most checks cannot run, and no finding says little.
 */
export function nodeCoreMissing(n: NodeCoverage, tables: Set<string>): string[] {
  const has = (k: ArtifactKind) => (n.artifacts[k]?.length ?? 0) > 0;
  const missing: string[] = [];
  if (!has('sysctl')) missing.push(COLLECT.sysctl.what);
  if (!has('nftables') && !(tables.has('filter') && tables.has('nat')))
    missing.push(has('iptables') ? `iptables ${tables.has('filter') ? 'nat table' : tables.has('nat') ? 'filter table' : 'filter and nat tables'}` : COLLECT.iptables.what);
  if (!has('ipAddr')) missing.push(COLLECT.ipAddr.what);
  return missing;
}

/** The core artifacts some node lacks (empty: every node has them), most common first. */
export function coreMissing(bundle: Pick<BundleReport, 'coverage' | 'nodes'>): string[] {
  const count = new Map<string, number>();
  for (const n of bundle.coverage.nodes) {
    const info = bundle.nodes.find((x) => x.name === n.node);
    const tables = new Set((info?.iptables ?? []).flatMap((r) => r.chains.map((c) => c.table)));
    for (const m of nodeCoreMissing(n, tables)) count.set(m, (count.get(m) ?? 0) + 1);
  }
  if (bundle.coverage.nodes.length === 0) return [COLLECT.sysctl.what, COLLECT.iptables.what, COLLECT.ipAddr.what];
  return [...count.entries()].sort(([, a], [, b]) => b - a).map(([m]) => m);
}

/** Whether the core checks could run, how many checks did not, and what the bundle lacked most (at most 4). */
export function coreOf(r: Pick<BundleReport, 'coverage' | 'layout' | 'nodes'>, view = coverageView(r)): { runs: number; notRun: number; core: boolean; missing: string[] } {
  const core = coreMissing(r);
  const missing = [...new Set([...core, ...view.collect.map((c) => c.what)])].slice(0, 4);
  return { runs: view.runs, notRun: view.notRun, core: core.length === 0, missing };
}
