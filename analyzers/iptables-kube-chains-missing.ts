/**
 * iptables.kube-chains-missing: kube-proxy (or the proxy k3s, RKE2 and k0s run) writes its Service
 * rules on this node, but the live rules lack them: nat KUBE-SERVICES or its jumps from PREROUTING /
 * OUTPUT, nat KUBE-POSTROUTING (the masquerade of Service traffic) or filter KUBE-FORWARD, or those
 * chains are there but empty. Someone flushed the tables (`iptables -F`, iptables.service restoring
 * its file, a firewalld reload, a script): ClusterIPs and NodePorts stop answering.
 *
 * Which node counts: one whose rules show kube-proxy (its canary chain KUBE-PROXY-CANARY, survives a
 * flush; its chains KUBE-SERVICES, KUBE-SVC-*, ...), whose processes (ps, a `systemctl status` CGroup
 * tree) or logs are kube-proxy's, or whose unit or process is kube-proxy / k3s / rke2. Not: a pure
 * Docker host, a node whose only KUBE- chains are kubelet's (KUBE-FIREWALL, KUBE-KUBELET-CANARY,
 * KUBE-IPTABLES-HINT: Cilium's kube-proxy replacement keeps them), a node where kube-proxy is off
 * (k3s / RKE2 `--disable-kube-proxy`, k0s `--disable-components=kube-proxy`) or replaced (cilium-agent
 * running or `--kube-proxy-replacement=true`, its CILIUM_ chains, kube-router proxying Services: IPVS,
 * kube-dummy-if), kube-proxy in nftables mode (its rules are in table ip kube-proxy, checked there).
 * With kube-proxy replaced by Cilium, Cilium's own chains gone (a flush takes them too) is said instead.
 *
 * The mode: the running kube-proxy's `--proxy-mode` (or k3s' `--kube-proxy-arg=proxy-mode=`), else
 * what the rules show (IPVS chains, kube-ipvs0; table ip kube-proxy without iptables Service chains),
 * else what kube-proxy logged at start (log.kube-proxy-mode: "Using ipvs Proxier"). IPVS mode keeps
 * nat KUBE-SERVICES, KUBE-POSTROUTING and KUBE-FORWARD with their jumps, so those are checked there
 * too; only the "KUBE-SERVICES empty while Services exist" check is iptables mode's. ip6tables is
 * checked too where the node has IPv6 Services (KUBE-SVC-* / KUBE-SEP-* chains in ip6tables: a flush
 * leaves them). A table cut by sos (`.tailed`) proves no absence. Nor does a chain listed with no rule after
 * the last rule of an `iptables -S` dump (no end marker) or of a save table without COMMIT (Chain.unlisted):
 * when every gap rests on such chains the finding is an info "cannot tell: the dump ends at line N, before
 * X's rules", asking for a whole dump.
 */
import { nftCutNote } from './lib/nft-cut.js';
import type { Partly } from '../src/engine/analyzer.js';
import { distinctEvidence } from './lib/evidence.js';
import { defineAnalyzer, type FindingDraft } from '../src/engine/analyzer.js';
import type { NodeArtifacts } from '../src/engine/artifacts.js';
import type { LogMatch, LogScanResult } from '../src/logs/index.js';
import type { NftRuleset } from '../src/nft/model.js';
import type { Chain } from '../src/netfilter/rules.js';
import { iptablesTool } from '../src/netfilter/commands.js';
import { interfacesOf } from '../src/parsers/interfaces.js';
import { flagBool, flagValue, kubeProxyFlags, nodeProcesses, type ListedProcess } from '../src/parsers/processes.js';
import { findService, isActive, isEnabled } from '../src/parsers/services.js';
import { flushingFirewallUnits, nodeForCommands } from './lib/node-services.js';
import type { Evidence } from '../src/report/schema.js';
import { kubeProxyIpv6Services } from './lib/ipv6-use.js';
import { logEvidence, timeOf } from './lib/logs.js';
import { hostKubernetesSign, liveViews, liveViews6, reaches, type BackendView } from './lib/node-view.js';
import { jumpTargets, listingCannotShow, rowsComplete, type ListingGap } from './lib/list-coverage.js';

/**
 * Chains only kube-proxy creates (iptables and IPVS modes). Not kubelet's: KUBE-FIREWALL,
 * KUBE-KUBELET-CANARY, KUBE-IPTABLES-HINT, and before 1.28 (IPTablesOwnershipCleanup) also
 * KUBE-MARK-MASQ, KUBE-MARK-DROP and KUBE-POSTROUTING, which a kube-proxy-free node (Cilium, Calico
 * eBPF) keeps.
 */
const KUBE_PROXY_CHAIN = /^KUBE-(PROXY-CANARY|SERVICES|FORWARD|NODEPORTS|EXTERNAL-SERVICES|PROXY-FIREWALL|SVC-\w+|SEP-\w+|EXT-\w+|FW-\w+|XLB-\w+|NODE-PORT|LOAD-BALANCER)$/;
/** What only IPVS mode writes: its ipsets' chains, and its dummy interface. */
const IPVS_CHAIN = /^KUBE-(NODE-PORT|LOAD-BALANCER|LOOP-BACK)$/;

/** Units that run kube-proxy (or embed it), and how each is restarted. */
const PROXY_UNITS = ['kube-proxy', 'k3s', 'k3s-agent', 'rke2-server', 'rke2-agent'] as const;
/** Units that show a Kubernetes node (supporting evidence only). */
const NODE_UNITS = ['kubelet', 'k0scontroller', 'k0sworker', 'snap.microk8s.daemon-kubelite.service'];

type Mode = 'iptables' | 'ipvs' | 'nftables';

export default defineAnalyzer({
  id: 'iptables.kube-chains-missing',
  title: "kube-proxy's iptables rules are missing",
  description: 'kube-proxy runs (iptables or IPVS mode) but nat KUBE-SERVICES or its jumps, KUBE-POSTROUTING or KUBE-FORWARD are missing or empty: the rules were flushed.',
  scope: 'node',
  requires: ['iptables'],
  optional: ['services', 'logs', 'ipAddr', 'nftables', 'dockerDaemon'],
  analyze({ node, nodeNameNotHost, artifacts, partly }) {
    // the node's name in pasteable commands: <NODE> where the bundle names no host (a file's or folder's name)
    const cmd = nodeForCommands({ node, nodeNameNotHost }).command;
    const views = liveViews(artifacts);
    if (views.length === 0) return [];
    // kube-proxy's userspace proxier (--proxy-mode=userspace, removed in 1.26) writes KUBE-PORTALS-CONTAINER /
    // KUBE-PORTALS-HOST, jumped to from PREROUTING / OUTPUT, and never KUBE-SERVICES nor KUBE-POSTROUTING
    const portals = userspacePortals(views, artifacts);
    if (portals) {
      partly?.(`kube-proxy runs in userspace mode here (${portals}): that proxier writes no KUBE-SERVICES or KUBE-POSTROUTING, so their absence says nothing; its portal rules were not checked`);
      return [];
    }
    const proxy = kubeProxyPresence(artifacts, views);
    if (!proxy.runs) return proxy.replacedBy ? replacementChainsGone(node, views, proxy.replacedBy, cmd) : [];
    if (proxy.mode === 'nftables') return nftablesMode(node, artifacts, proxy, cmd, partly);
    const gaps: Gap[] = [...familyGaps(views, proxy, 'ipv4')];
    // ip6tables: where the node has IPv6 Services (kube-proxy writes its base chains in both families on any IPv6-capable host)
    const views6 = liveViews6(artifacts);
    const ipv6 = views6.length > 0 ? ipv6Services(artifacts, views6) : undefined;
    if (ipv6) gaps.push(...familyGaps(views6, proxy, 'ipv6'));
    if (gaps.length === 0) return [];
    // what a dump that may end before the chain's rules cannot tell (Chain.unlisted): not a flush
    const undecided = gaps.filter((g) => g.unlisted);
    if (undecided.length === gaps.length) return [cannotTell(node, views, undecided)];
    if (undecided.length > 0)
      partly?.(`not judged, the dump may end before their rules: ${undecided.map((g) => `${g.what} (${g.unlisted!.file}: ends at line ${g.unlisted!.line})`).join('; ')}`);
    gaps.splice(0, gaps.length, ...gaps.filter((g) => !g.unlisted));
    // what only a listing cut short (iptables -L ... | head, a paste of its first rows) was searched for: no absence judged
    const cut = gaps.filter((g) => g.cut);
    if (cut.length > 0) {
      partly?.(`not judged, only a listing cut short shows them: ${cut.map((g) => `${g.what} (${g.cut!.file}: ${g.cut!.why})`).join('; ')}`);
      gaps.splice(0, gaps.length, ...gaps.filter((g) => !g.cut));
      if (gaps.length === 0) return [];
    }
    if (ipv6 && gaps.some((g) => g.family === 'ipv6')) {
      proxy.evidence.push(ipv6);
      const dual = (artifacts.logs ?? []).flatMap((l) => l.matches).find((m) => m.signature === 'log.kube-proxy-mode' && m.facts.stack === 'dual');
      if (dual) proxy.evidence.push(logLine(dual, 'kube-proxy said at start that it runs dual-stack: it keeps its rules in ip6tables too'));
    }
    return [finding(node, artifacts, views, proxy, gaps, cmd)];
  },
});

/**
 * The userspace proxier, and no KUBE-SERVICES: where it shows (file:line), else undefined. A rule of
 * PREROUTING or OUTPUT jumping to KUBE-PORTALS-CONTAINER / KUBE-PORTALS-HOST (a jump proves its chain
 * exists: iptables refuses a jump to a missing chain; a listing cut after PREROUTING's first rows shows no
 * chain header of it, kubernetes#14870), or kube-proxy's log creating its portal chain (`running iptables
 * -N [KUBE-PORTALS-CONTAINER -t nat]`) or saying "Using userspace Proxier" (log.kube-proxy-mode's
 * `portal` / `mode` facts) where no rule file holds KUBE-SERVICES.
 */
function userspacePortals(views: BackendView[], artifacts: NodeArtifacts): string | undefined {
  if (views.some((v) => v.tables.get('nat')?.has('KUBE-SERVICES'))) return undefined;
  for (const v of views) {
    const nat = v.tables.get('nat');
    if (!nat) continue;
    const jump = [...(nat.get('PREROUTING')?.rules ?? []), ...(nat.get('OUTPUT')?.rules ?? [])].find((r) => r.target === 'KUBE-PORTALS-CONTAINER' || r.target === 'KUBE-PORTALS-HOST');
    if (jump) return `${jump.ref.file}:${jump.ref.line}: ${jump.text.trim()}`;
  }
  const said = (artifacts.logs ?? []).flatMap((l) => l.matches).find((m) => m.signature === 'log.kube-proxy-mode' && (m.facts.portal !== undefined || m.facts.mode === 'userspace'));
  return said ? `${said.file}:${said.line}: ${said.excerpt.trim()}` : undefined;
}

function familyGaps(views: BackendView[], proxy: ProxyPresence, family: 'ipv4' | 'ipv6'): Gap[] {
  const gaps: Gap[] = [];
  for (const table of ['nat', 'filter'] as const) {
    const results = views.filter((v) => v.tables.has(table)).map((v) => ({ v, gaps: gapsOf(table, v, proxy, family) }));
    if (results.length === 0 || results.some((r) => r.gaps.length === 0)) continue;
    // a dump cut at its top (sos's .tailed) does not show what is absent; one cut at its end (no COMMIT)
    // still says which chains its end kept from view (Chain.unlisted): that is said, not judged
    for (const r of results) if (r.v.truncated.has(table)) r.gaps = r.gaps.filter((g) => g.unlisted);
    if (results.some((r) => r.gaps.length === 0)) continue;
    // the copy with the fewest gaps (kube-proxy writes one back end), the fewest undecided among those
    const undecided = (r: { gaps: Gap[] }) => r.gaps.filter((g) => g.unlisted).length;
    gaps.push(...results.sort((a, b) => a.gaps.length - undecided(a) - (b.gaps.length - undecided(b)) || undecided(a) - undecided(b))[0].gaps);
  }
  return gaps;
}

/** IPv6 Services: ip6tables Service chains (KUBE-SVC-*, KUBE-SEP-*; a flush leaves them), or KUBE-SERVICES leading to one. */
function ipv6Services(artifacts: NodeArtifacts, views6: BackendView[]): Evidence | undefined {
  const rules = kubeProxyIpv6Services(artifacts);
  if (rules) return rules;
  for (const v of views6) {
    const nat = v.tables.get('nat');
    if (!nat) continue;
    let n = 0;
    let first: Chain | undefined;
    for (const c of nat.values())
      if (c.name.startsWith('KUBE-SVC-') || c.name.startsWith('KUBE-SEP-')) {
        n++;
        first ??= c;
      }
    if (first)
      return { ...chainEvidence(first, `${n} IPv6 Service chain${n > 1 ? 's' : ''} (KUBE-SVC-*, KUBE-SEP-*) in ip6tables: the node proxies IPv6 Services`), excerpt: first.ref.line ? `chain nat ${first.name} (ip6tables)` : `chain ${first.name} (ip6tables)` };
  }
  return undefined;
}

interface ProxyPresence {
  runs: boolean;
  mode: Mode;
  /** where the mode was read: the running process' flags, the rules, kube-proxy's log, or the default */
  modeFrom: 'process' | 'rules' | 'log' | 'default';
  evidence: Evidence[];
  /** the services (or pod logs) that say who runs the proxy: for the restart */
  owner: 'k3s' | 'k3s-agent' | 'rke2-server' | 'rke2-agent' | 'kube-proxy.service' | 'k0s' | 'pod';
  /** Service chains (KUBE-SVC-*, KUBE-SEP-*) that exist: the cluster has Services */
  serviceChains: number;
  /** kube-proxy does not run: Cilium (its agent listed) proxies Services instead */
  replacedBy?: { process: ListedProcess; evidence: Evidence[] };
}

function procEvidence(p: ListedProcess, note: string): Evidence {
  return { file: p.ref.file, line: p.ref.line, excerpt: p.excerpt, note };
}

/** What the node's process listings say of kube-proxy: who runs it, in which mode, or who turned it off. */
function processFacts(artifacts: NodeArtifacts) {
  // processes of kind's or k3d's node containers show in the host's ps: they speak for this host
  // only where it shows Kubernetes itself (its chains, its pods' interfaces, its units)
  const processes = hostKubernetesSign(artifacts) ? nodeProcesses(artifacts).processes : [];
  const kubeProxy = processes.find((p) => p.component === 'kube-proxy');
  // k3s runs kube-proxy in its own process; RKE2 as a static pod; k0s as a DaemonSet
  const distro = processes.find((p) => p.component === 'k3s' || p.component === 'rke2' || p.component === 'k0s' || p.component === 'kubelite');
  let off: Evidence | undefined;
  for (const p of processes) {
    if ((p.component === 'k3s' || p.component === 'rke2') && flagBool(p, 'disable-kube-proxy') === true) off = procEvidence(p, `${p.component} runs with --disable-kube-proxy: no kube-proxy on this node`);
    else if (p.component === 'k0s' && (flagValue(p, 'disable-components') ?? '').split(',').includes('kube-proxy')) off = procEvidence(p, 'k0s runs with --disable-components=kube-proxy: no kube-proxy in this cluster');
    if (off) break;
  }
  // who proxies Services instead: Cilium's kube-proxy replacement, kube-router's IPVS service proxy (on unless --run-service-proxy=false)
  const cilium = processes.find((p) => p.component === 'cilium-agent');
  const kpr = cilium && /^(true|strict)$/.test(flagValue(cilium, 'kube-proxy-replacement') ?? '') ? cilium : undefined;
  const router = processes.find((p) => p.component === 'kube-router' && p.argsShown && flagBool(p, 'run-service-proxy') !== false);
  if (!off && kpr) off = procEvidence(kpr, `cilium-agent runs with --kube-proxy-replacement=${flagValue(kpr, 'kube-proxy-replacement')}: Cilium proxies Services, not kube-proxy`);
  if (!off && router) off = procEvidence(router, 'kube-router runs its service proxy (--run-service-proxy, on by default): it proxies Services with IPVS, not kube-proxy');
  // the mode the running kube-proxy was given: its --proxy-mode, or k3s' --kube-proxy-arg=proxy-mode=
  let mode: { value: Mode; evidence: Evidence } | undefined;
  for (const p of [kubeProxy, distro]) {
    const v = p && kubeProxyFlags(p).get('proxy-mode')?.at(-1);
    if (p && (v === 'iptables' || v === 'ipvs' || v === 'nftables')) {
      mode = { value: v, evidence: procEvidence(p, `${p.component === 'kube-proxy' ? 'kube-proxy' : `${p.component} (its kube-proxy)`} runs with proxy mode ${v}`) };
      break;
    }
  }
  return { kubeProxy, distro, off, cilium, mode };
}

/** kube-proxy's start lines (log.kube-proxy-mode): the mode it said last, and its IP families. */
function logFacts(artifacts: NodeArtifacts): { mode?: { value: Mode; match: LogMatch }; any?: LogMatch } {
  const matches = (artifacts.logs ?? []).flatMap((l) => l.matches.filter((m) => m.signature === 'log.kube-proxy-mode'));
  if (matches.length === 0) return {};
  // the last start wins (a restart with another mode); lines without a time keep their order
  const ordered = matches.map((m, i) => ({ m, i })).sort((a, b) => (a.m.timestamp?.epochMs ?? 0) - (b.m.timestamp?.epochMs ?? 0) || a.i - b.i).map((x) => x.m);
  const last = [...ordered].reverse().find((m) => /^(iptables|ipvs|nftables)$/.test(m.facts.mode ?? ''));
  return { mode: last ? { value: last.facts.mode as Mode, match: last } : undefined, any: ordered.at(-1) };
}

function logLine(m: LogMatch, note: string): Evidence {
  return { file: m.file, line: m.line, excerpt: m.excerpt, ...timeOf(m), note };
}

function kubeProxyPresence(artifacts: NodeArtifacts, views: BackendView[]): ProxyPresence {
  const strong: Evidence[] = [];
  const weak: Evidence[] = [];
  let serviceChains = 0;
  let ipvs: Evidence | undefined;
  const seen = new Set<string>();
  for (const v of views)
    for (const t of v.tables.values())
      for (const c of t.values()) {
        // a kube-proxy node has tens of thousands of Service chains: the cheap tests first
        if (!c.name.startsWith('KUBE-')) continue;
        if (c.name.startsWith('KUBE-SVC-') || c.name.startsWith('KUBE-SEP-')) {
          serviceChains++;
          if (weak.length > 0) continue;
        }
        if (!ipvs && IPVS_CHAIN.test(c.name)) ipvs = chainEvidence(c, 'a chain only kube-proxy in IPVS mode writes');
        if (c.name === 'KUBE-PROXY-CANARY') {
          if (!seen.has(c.name)) strong.push(chainEvidence(c, "kube-proxy's canary chain: kube-proxy runs here (a flush leaves the chain)"));
          seen.add(c.name);
        } else if (weak.length < 1 && KUBE_PROXY_CHAIN.test(c.name)) weak.push(chainEvidence(c, 'a chain kube-proxy creates'));
      }
  let owner: ProxyPresence['owner'] = 'pod';
  for (const unit of PROXY_UNITS) {
    const states = findService(artifacts.services ?? [], unit);
    const s = isActive(states);
    if (!s) continue;
    (unit === 'kube-proxy' ? strong : weak).push({ file: s.ref.file, line: s.ref.line, excerpt: s.excerpt, note: `${s.unit} is active${unit === 'kube-proxy' ? '' : ': it runs kube-proxy in-process unless --disable-kube-proxy'}` });
    owner = unit === 'kube-proxy' ? 'kube-proxy.service' : unit;
    break;
  }
  const support: Evidence[] = [];
  for (const unit of NODE_UNITS) {
    const states = findService(artifacts.services ?? [], unit);
    const s = isActive(states) ?? isEnabled(states);
    if (s) {
      support.push({ file: s.ref.file, line: s.ref.line, excerpt: s.excerpt, note: `${s.unit}: a Kubernetes node` });
      if (owner === 'pod' && /^k0s/.test(unit)) owner = 'k0s';
      break;
    }
  }
  // who else proxies Services: Cilium's kube-proxy replacement, kube-router's IPVS proxy
  const itfs = interfacesOf(artifacts.ipAddr ?? []);
  const ciliumChains = views.some((v) => [...v.tables.values()].some((t) => [...t.keys()].some((c) => /^CILIUM_/.test(c))));
  const procs = processFacts(artifacts);
  // cilium-agent listed: the replacement's sign a flush does not take away (its CILIUM_ chains go with the rest)
  const replacement = itfs.has('kube-dummy-if') || ciliumChains || procs.cilium !== undefined;
  // a log is history: kube-proxy's log or start line shows it ran, strongly only where nothing replaces it now
  const history = replacement ? weak : strong;
  const proxyLog = (artifacts.logs ?? []).find(isKubeProxyLog);
  if (proxyLog) history.push({ file: proxyLog.file, line: 0, excerpt: `${proxyLog.lines} lines of kube-proxy's log`, note: "kube-proxy's log is in the bundle: it runs on this node" });
  // the processes: kube-proxy itself, the distribution that embeds it, who turned it off or replaced it
  if (procs.kubeProxy) {
    strong.push(procEvidence(procs.kubeProxy, `kube-proxy runs on this node (${procs.kubeProxy.unit ? `${procs.kubeProxy.unit}'s CGroup` : 'the process listing'})`));
    if (owner === 'pod' && procs.kubeProxy.unit === 'kube-proxy.service') owner = 'kube-proxy.service';
  } else if (procs.distro?.component === 'k3s' || procs.distro?.component === 'kubelite')
    weak.push(procEvidence(procs.distro, `${procs.distro.component === 'k3s' ? `k3s ${procs.distro.role}` : "MicroK8s' kubelite"} runs: it runs kube-proxy in-process unless it is disabled`));
  if (owner === 'pod' && procs.distro && procs.distro.component !== 'kubelite')
    owner = procs.distro.component === 'k0s' ? 'k0s' : procs.distro.component === 'k3s' ? (procs.distro.role === 'agent' ? 'k3s-agent' : 'k3s') : procs.distro.role === 'agent' ? 'rke2-agent' : 'rke2-server';
  const logs = logFacts(artifacts);
  // k3s and RKE2 log their kube-proxy's start (`Running kube-proxy --...`): it ran here
  if (!proxyLog && logs.any) history.push(logLine(logs.any, 'kube-proxy logged its start here: it runs on this node'));
  // turned off (or replaced) by what runs now: the chains and logs of an earlier kube-proxy do not count, its own process does
  const runs = procs.kubeProxy !== undefined || (!procs.off && (strong.length > 0 || (weak.length > 0 && !replacement)));
  // the mode: the running process', else the rules' (kube-ipvs0 or IPVS's chains; nftables when its table is there and no iptables Service chain is), else the log's
  const kubeIpvs0 = itfs.get('kube-ipvs0');
  if (!ipvs && kubeIpvs0) ipvs = { file: kubeIpvs0.ref.file, line: kubeIpvs0.ref.line, excerpt: 'kube-ipvs0', note: 'the dummy interface of kube-proxy in IPVS mode' };
  const nftTable = (artifacts.nftables ?? []).flatMap((n) => n.tables).find((t) => t.name === 'kube-proxy' && !t.iptablesCompat);
  const iptablesServices = views.some((v) => v.tables.get('nat')?.has('KUBE-SERVICES'));
  const rulesMode: Mode | undefined =
    nftTable && !iptablesServices && !seen.has('KUBE-PROXY-CANARY') ? 'nftables' : ipvs ? 'ipvs' : serviceChains > 0 || seen.has('KUBE-PROXY-CANARY') ? 'iptables' : undefined;
  let mode: Mode;
  let modeFrom: ProxyPresence['modeFrom'];
  const modeEvidence: Evidence[] = [];
  if (procs.mode) {
    mode = procs.mode.value;
    modeFrom = 'process';
    if (!strong.some((e) => e.file === procs.mode!.evidence.file && e.line === procs.mode!.evidence.line)) modeEvidence.push(procs.mode.evidence);
  } else if (rulesMode) {
    mode = rulesMode;
    modeFrom = 'rules';
  } else if (logs.mode) {
    mode = logs.mode.value;
    modeFrom = 'log';
    modeEvidence.push(logLine(logs.mode.match, `kube-proxy said at start that it runs in ${mode} mode`));
  } else {
    mode = 'iptables';
    modeFrom = 'default';
  }
  const evidence = [...strong, ...weak, ...support, ...(ipvs && mode === 'ipvs' ? [ipvs] : []), ...modeEvidence];
  const presence: ProxyPresence = {
    runs: runs || (mode === 'nftables' && nftTable !== undefined && support.length + weak.length > 0 && !procs.off),
    mode,
    modeFrom,
    evidence: distinctEvidence(evidence),
    owner,
    serviceChains,
  };
  // Cilium proxies Services: its chains are what a flush took from this node
  if (!presence.runs && procs.cilium) {
    const off = procs.off && !(procs.off.file === procs.cilium.ref.file && procs.off.line === procs.cilium.ref.line) ? [procs.off] : [];
    presence.replacedBy = { process: procs.cilium, evidence: [procEvidence(procs.cilium, 'cilium-agent runs here: Cilium proxies Services, kube-proxy does not run'), ...off] };
  }
  return presence;
}

/**
 * kube-proxy's own writers, as a layout names a log's source (src/layouts/logs.ts) or a line its tag:
 * the unit (kube-proxy.service; Charmed Kubernetes' snap.kube-proxy.daemon, tagged kube-proxy.daemon;
 * MicroK8s before kubelite, snap.microk8s.daemon-proxy), a kube-proxy pod (kubeadm's DaemonSet
 * kube-proxy-xxxxx, RKE2's static pod kube-proxy-<node>) or its container.
 */
const KUBE_PROXY_UNIT = /^(?:kube-proxy|snap\.kube-proxy\.daemon|kube-proxy\.daemon|snap\.microk8s\.daemon-proxy|microk8s\.daemon-proxy)(?:\.service)?$/;
const KUBE_PROXY_POD = /^kube-proxy(?:-[a-z0-9][a-z0-9.-]*)?$/;

/**
 * Whether a log is kube-proxy's: by the source its layout names (a unit, a pod or its container); by a
 * line's own tag; by the file's path only where the layout named no source (a hand-made bundle's
 * `kube-proxy.log`).
 */
function isKubeProxyLog(l: LogScanResult): boolean {
  if (l.matches.some((m) => m.unit !== undefined && KUBE_PROXY_UNIT.test(m.unit))) return true;
  const src = l.source;
  if (!src) return /kube-proxy/.test(l.file);
  if (src.unit !== undefined && KUBE_PROXY_UNIT.test(src.unit)) return true;
  if (src.container === 'kube-proxy') return true;
  return src.pod !== undefined && KUBE_PROXY_POD.test(src.pod) && (src.namespace === undefined || src.namespace === 'kube-system');
}

function chainEvidence(c: Chain, note: string): Evidence {
  return { file: c.ref.file, line: c.ref.line, excerpt: c.ref.line ? `chain ${c.table} ${c.name}` : `chain ${c.name}`, note };
}

type Gap = Evidence & {
  what: string;
  family: 'ipv4' | 'ipv6';
  /** the gap rests on a chain listed with no rule after the dump's last rule: it may be the dump's end, not a flush */
  unlisted?: { chain: string; file: string; line: number; after?: string };
  /** only `iptables -L` listings cut short (list-coverage) were searched: they cannot show the chain missing, nor a chain's rows all */
  cut?: ListingGap;
};

/** What of kube-proxy's chains and jumps one back end's copy of a table lacks. */
function gapsOf(table: 'nat' | 'filter', v: BackendView, proxy: ProxyPresence, family: 'ipv4' | 'ipv6' = 'ipv4'): Gap[] {
  const chains = v.tables.get(table)!;
  const file = v.files.get(table)!;
  const header = v.rulesets.find((r) => r.tables[table])?.tables[table];
  // IPv6 gaps are named as ip6tables' (`ip6tables nat KUBE-SERVICES is empty`); IPv4's as they always were
  const tool = family === 'ipv6' ? 'ip6tables ' : '';
  const at = (c: Chain | undefined, excerpt: string, note: string, what: string): Gap =>
    c ? { file: c.ref.file, line: c.ref.line, excerpt, note, what: tool + what, family } : { file: header?.ref.file ?? file, line: header?.ref.line ?? 0, excerpt, note, what: tool + what, family };
  const gaps: Gap[] = [];
  // `iptables -L` listings show a chain missing, or a chain's rows all, only where whole (analyzers/lib/list-coverage.ts);
  // a chain any rule jumps to exists, listed or not
  const holding = v.rulesets.filter((rs) => rs.tables[table]);
  let jumps: ReturnType<typeof jumpTargets> | undefined;
  const absenceCut = (chain: string): ListingGap | undefined => {
    const cannot = holding.map((rs) => listingCannotShow(rs, table, chain));
    return cannot.every((x) => x !== undefined) ? cannot[0] : undefined;
  };
  const rowsCut = (name: string): ListingGap | undefined => {
    const rs = holding.filter((r) => r.tables[table]!.chains[name]);
    if (rs.length === 0 || rs.some((r) => rowsComplete(r, table, r.tables[table]!.chains[name]))) return undefined;
    return listingCannotShow(rs[0], table, '') ?? { file: rs[0].file, line: rs[0].tables[table]!.chains[name].ref.line, why: `the listing may end inside ${name}'s rows` };
  };
  const need = (chain: string, from: string[], jump: string, emptyMatters: boolean) => {
    const c = chains.get(chain);
    if (!c) {
      const jumped = (jumps ??= jumpTargets(holding, table)).get(chain);
      if (!jumped) {
        const cut = absenceCut(chain);
        gaps.push({ ...at(undefined, `*${table}: no ${chain} chain`, `searched the live ${tool}${table} table here`, `${table} ${chain} is gone`), ...(cut ? { cut } : {}) });
        return;
      }
      // listed nowhere but jumped to (from a cut listing): it exists; its rules are not shown, the jumps to it are checked
      for (const base of from) {
        const b = chains.get(base);
        if (b && !b.rules.some((r) => r.target === chain) && !reaches(chains, base, chain)) {
          const cut = rowsCut(base);
          gaps.push({ ...at(b, `${base}: no ${jump.replace('{base}', base)}`, `${table} ${base} holds ${b.rules.length} rule${b.rules.length === 1 ? '' : 's'}, none leading to ${chain}`, `${table} ${base} does not jump to ${chain}`), ...(cut ? { cut } : {}) });
        }
      }
      return;
    }
    if (c.rules.length === 0 && emptyMatters && rowsCut(chain)) gaps.push({ ...at(c, chain, 'listed with no rule', `${table} ${chain} is empty`), cut: rowsCut(chain)! });
    else if (c.rules.length === 0 && emptyMatters)
      gaps.push(
        c.unlisted
          ? { ...at(c, chain, `listed with no rule, after the last rule of the dump (line ${c.unlisted.line}): its rules would come later`, `${table} ${chain} is empty`), unlisted: { chain, ...c.unlisted } }
          : at(c, chain, `the chain exists but holds no rule: it was flushed`, `${table} ${chain} is empty`),
      );
    for (const base of from) {
      if (!chains.has(base)) continue;
      if (!reaches(chains, base, chain)) {
        const b = chains.get(base)!;
        const gap = at(b, `${base}: no ${jump.replace('{base}', base)}`, `${table} ${base} holds ${b.rules.length} rule${b.rules.length === 1 ? '' : 's'}, none leading to ${chain}`, `${table} ${base} does not jump to ${chain}`);
        const cut = rowsCut(base);
        gaps.push(
          b.unlisted && b.rules.length === 0
            ? { ...gap, note: `${table} ${base} is listed with no rule, after the last rule of the dump (line ${b.unlisted.line}): its rules, the jump to ${chain} among them, would come later`, unlisted: { chain: base, ...b.unlisted } }
            : cut
              ? { ...gap, cut }
              : gap,
        );
      }
    }
  };
  if (table === 'nat') {
    // iptables mode always ends KUBE-SERVICES with its NodePort rule, and the default/kubernetes Service exists:
    // empty means flushed. IPVS mode's rules there depend on its sets: not judged by count
    need('KUBE-SERVICES', ['PREROUTING', 'OUTPUT'], '-A {base} -m comment --comment "kubernetes service portals" -j KUBE-SERVICES', proxy.mode === 'iptables');
    need('KUBE-POSTROUTING', ['POSTROUTING'], '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING', true);
  } else {
    // KUBE-FORWARD: kube-proxy 1.9 and later; a node without the chain and without the canary (1.16+) may be older
    if (chains.has('KUBE-FORWARD') || proxy.evidence.some((e) => /KUBE-PROXY-CANARY/.test(e.excerpt)))
      need('KUBE-FORWARD', ['FORWARD'], '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD', true);
  }
  return gaps;
}

/**
 * Every gap rests on chains a dump lists before its rules and whose rules it does not reach: `iptables -S`
 * (and iptables-save) print all -P/-N (`:`) lines first, then the -A lines chain by chain in that order, so
 * a chain listed after the chain of the last -A line shows no rule whether it is empty or the paste, the
 * excerpt or the truncated attachment ended first. Said at info level with what would tell: a whole dump.
 */
function cannotTell(node: string, views: BackendView[], undecided: Gap[]): FindingDraft {
  const byEnd = new Map<string, Gap[]>();
  for (const g of undecided) {
    const k = `${g.unlisted!.file}:${g.unlisted!.line}`;
    byEnd.set(k, [...(byEnd.get(k) ?? []), g]);
  }
  const rulesetOf = (file: string) => views.flatMap((v) => v.rulesets).find((r) => r.file === file);
  const ends = [...byEnd.values()].map((gs) => {
    const u = gs[0].unlisted!;
    const chains = [...new Set(gs.map((g) => g.unlisted!.chain))];
    const list = chains.length > 1 ? `${chains.slice(0, -1).join(', ')} and ${chains.at(-1)}` : chains[0];
    const after = u.after ? `its last rule is ${u.after}'s` : 'it holds no -A line at all';
    const end = rulesetOf(u.file)?.format === 'save' ? 'its table has no COMMIT' : 'iptables -S prints no end marker';
    return `${u.file} ends at line ${u.line}, before the rules of ${list} would be listed (${after}; ${end})`;
  });
  const what = [...new Set(undecided.map((g) => g.what))];
  // the back end the cut dump is of, where it says so (iptables-legacy -S, a save header): ask for that one
  // (iptables before 1.8 has no iptables-legacy-save: its iptables-save is legacy)
  const cut = rulesetOf(undecided[0].unlisted!.file);
  const old = /^1\.[0-7]\./.test(cut?.version ?? '');
  const tool = cut?.backend === 'legacy' && !old ? 'iptables-legacy' : cut?.backend === 'nf_tables' ? 'iptables-nft' : kubeTool(views);
  const v6 = undecided.some((g) => g.family === 'ipv6');
  return {
    severity: 'info',
    title: "kube-proxy's iptables rules: the dump ends before them",
    message:
      `Cannot tell whether kube-proxy's rules are in place on ${node}: ${ends.join('; ')}. ` +
      `iptables -S and iptables-save list every chain first, then the rules chain by chain in that order, so a chain listed after the last rule shown is empty or its rules were cut off with the end of the output (an excerpt, a paste, a truncated attachment). Not judged: ${what.join('; ')}.`,
    impact: 'None known: a complete dump is needed to tell whether the rules were flushed.',
    evidence: distinctEvidence(undecided.map(({ what: _w, family: _f, unlisted: _u, cut: _c, ...e }) => e)),
    facts: { undecided: what, dumpEnds: [...byEnd.keys()] },
    remedy: {
      summary: 'Collect the whole rule dump of the back end kube-proxy uses, uncut, and run the check again.',
      commands: [`${tool}-save > ${tool}-save.txt`, ...(v6 ? [`${tool.replace(/^iptables/, 'ip6tables')}-save > ${tool.replace(/^iptables/, 'ip6tables')}-save.txt`] : [])],
    },
  };
}

function finding(node: string, artifacts: NodeArtifacts, views: BackendView[], proxy: ProxyPresence, gaps: Gap[], cmd = node): FindingDraft {
  const flushed = gaps.filter((g) => / is empty$/.test(g.what) && g.family === 'ipv4');
  const ipv6Gaps = gaps.filter((g) => g.family === 'ipv6');
  // a flush of whole tables: every chain of nat and filter holds no rule
  const wholeFlush = views.some((v) => ['nat', 'filter'].every((t) => !v.tables.has(t) || [...v.tables.get(t)!.values()].every((c) => c.rules.length === 0)));
  const emptyOthers = wholeFlush ? otherEmptyChains(views) : [];
  const logs = logEvidence(artifacts.logs, ['log.iptables-no-chain', 'log.flannel-iptables-failed', 'log.firewall-restart', 'log.iptables-restore-failed']);
  const restart = logs.find((e) => e.note?.startsWith('log.firewall-restart'));
  const firewall = firewallUnits(artifacts);
  const what = gaps.map((g) => g.what);
  const how = wholeFlush
    ? `every rule of the ${views[0].tables.has('mangle') ? 'filter, nat and mangle' : 'filter and nat'} tables is gone while their chains are still defined${emptyOthers.length ? ` (${emptyOthers.slice(0, 4).join(', ')} too)` : ''}: someone ran iptables -F (or a tool that does)`
    : gaps.every((g) => / is empty$/.test(g.what))
      ? 'the chains are there but empty: they were flushed'
      : 'the rules kube-proxy keeps were removed';
  const services = proxy.serviceChains > 0 ? ` ${proxy.serviceChains} Service chain${proxy.serviceChains > 1 ? 's' : ''} (KUBE-SVC-*, KUBE-SEP-*) still exist${flushed.length ? ', empty too' : ''}: the cluster has Services this node no longer proxies.` : '';
  const cause = restart
    ? ` A firewall restart is logged${restart.time ? ` at ${restart.time}` : ''}: it flushed the rules.`
    : firewall.length
      ? ` ${firewall.map((f) => f.excerpt.split(/\s+/)[0]).join(' and ')} ${firewall.length > 1 ? 'are' : 'is'} enabled here: its start or reload flushes the live rules (see iptables.service-conflict).`
      : ' Nothing in the bundle names who flushed them: look for an iptables.service or firewalld (re)start, netfilter-persistent, or a script running iptables -F.';
  return {
    severity: 'critical',
    title: "kube-proxy's iptables rules are missing",
    message:
      `kube-proxy${proxy.mode === 'ipvs' ? ' (IPVS mode)' : ''} runs on ${node}, but ${wholeFlush && flushed.length ? `its chains ${[...new Set(flushed.map((g) => g.what.split(' ')[1]))].join(', ')} are empty and nothing jumps to them${ipv6Gaps.length ? `; ${ipv6Gaps.map((g) => g.what).join('; ')}` : ''}` : what.join('; ')}: ${how}.${services} ` +
      'Pods and the node cannot reach ClusterIPs (DNS at the cluster DNS address included), NodePorts do not answer, and Service traffic leaving the node is not masqueraded.' +
      cause,
    impact: `${ipv6Gaps.length === gaps.length ? 'IPv6 ' : ''}Service traffic (ClusterIP, NodePort, cluster DNS) to and from this node is broken until kube-proxy rewrites its rules.`,
    evidence: [...gaps.map(({ what: _w, family: _f, unlisted: _u, cut: _c, ...e }) => e), ...proxy.evidence, ...firewall, ...logs],
    facts: { missing: what, mode: proxy.mode, modeFrom: proxy.modeFrom, wholeFlush, serviceChains: proxy.serviceChains, proxyOwner: proxy.owner, firewallRestartAt: restart?.time },
    related: firewall.length ? ['iptables.service-conflict'] : undefined,
    remedy: remedyFor(cmd, proxy, firewall, ipv6Gaps.length > 0, kubeTool(views)),
  };
}

/** Other components' chains emptied by the same flush (flannel's, CNI portmap's, kube-router's). */
function otherEmptyChains(views: BackendView[]): string[] {
  const out: string[] = [];
  for (const t of views[0].tables.values())
    for (const c of t.values()) if (!c.builtin && c.rules.length === 0 && /^(FLANNEL-|CNI-|KUBE-ROUTER-|cali-|WEAVE)/.test(c.name) && !out.includes(c.name)) out.push(c.name);
  return out;
}

/** The firewall units whose start flushes every live rule, as evidence. */
function firewallUnits(artifacts: NodeArtifacts): Evidence[] {
  return flushingFirewallUnits(artifacts).map(({ state: s, active }) => ({ file: s.ref.file, line: s.ref.line, excerpt: s.excerpt, note: `${s.unit} is ${active ? 'active' : 'enabled'}: its start or reload replaces the live rules with its own (iptables.service-conflict)` }));
}

/**
 * The command that shows kube-proxy's rules: `iptables`, or where both back ends hold IPv4 rules the
 * one kube-proxy's own chains are in (a check through the other shows "No chain" whatever it does).
 */
function kubeTool(views: BackendView[]): string {
  if (views.length < 2) return 'iptables';
  const all = views.flatMap((v) => v.rulesets);
  const own = views.find((v) => [...v.tables.values()].some((t) => [...t.keys()].some((c) => c.startsWith('KUBE-'))));
  return own ? iptablesTool(own.rulesets[0], all) : 'iptables';
}

function remedyFor(node: string, proxy: ProxyPresence, firewall: Evidence[], ipv6 = false, tool = 'iptables'): FindingDraft['remedy'] {
  const restart: Record<ProxyPresence['owner'], string[]> = {
    k3s: ['systemctl restart k3s   # its in-process kube-proxy, flannel and network policy controller write their rules again at start'],
    'k3s-agent': ['systemctl restart k3s-agent   # its in-process kube-proxy and flannel write their rules again at start'],
    'rke2-server': ['crictl --config /var/lib/rancher/rke2/agent/etc/crictl.yaml ps --name kube-proxy -q | xargs -r crictl --config /var/lib/rancher/rke2/agent/etc/crictl.yaml stop   # kube-proxy is a static pod: the kubelet starts it again'],
    'rke2-agent': ['crictl --config /var/lib/rancher/rke2/agent/etc/crictl.yaml ps --name kube-proxy -q | xargs -r crictl --config /var/lib/rancher/rke2/agent/etc/crictl.yaml stop   # kube-proxy is a static pod: the kubelet starts it again'],
    'kube-proxy.service': ['systemctl restart kube-proxy'],
    k0s: [`k0s kubectl -n kube-system delete pod -l k8s-app=kube-proxy --field-selector spec.nodeName=${node}   # the DaemonSet starts it again`],
    pod: [`kubectl -n kube-system delete pod -l k8s-app=kube-proxy --field-selector spec.nodeName=${node}   # the DaemonSet starts it again`],
  };
  return {
    summary:
      'kube-proxy writes its jumps and top-level chains again only on a full sync: at start, when its canary chain KUBE-PROXY-CANARY disappears (iptables -X), and (1.28+) about hourly; a flush that leaves the chains (iptables -F) goes unnoticed until then. Restart kube-proxy on this node so it writes everything now, then stop whatever flushed the rules from doing it again' +
      (firewall.length ? ' (the firewall service enabled here: see iptables.service-conflict).' : ' (iptables.service, a firewalld reload, netfilter-persistent, a script running iptables -F).'),
    commands: [
      ...restart[proxy.owner],
      proxy.mode === 'nftables'
        ? 'nft list chain ip kube-proxy services | head -n 20   # check: the Service rules are back'
        : `${tool} -t nat -S KUBE-SERVICES | head -n 5 && ${tool} -t nat -S PREROUTING && ${tool} -t nat -S POSTROUTING   # check: the jumps to KUBE-SERVICES and KUBE-POSTROUTING are back`,
      ...(ipv6 ? ['ip6tables -t nat -S KUBE-SERVICES | head -n 5 && ip6tables -t nat -S PREROUTING && ip6tables -t nat -S POSTROUTING   # the same for IPv6'] : []),
      "journalctl --since '-1 day' --no-pager | grep -Ei 'iptables|firewalld|netfilter' | tail -n 30   # who flushed the rules",
    ],
    caution:
      proxy.owner === 'k3s' || proxy.owner === 'k3s-agent'
        ? 'Restarting k3s leaves running pods alone, but the node\'s API server (on a server node) and kubelet are briefly away.'
        : 'Until kube-proxy runs again no Service traffic of this node works; restarting it takes seconds.',
  };
}

/**
 * kube-proxy in nftables mode: its rules are the table ip kube-proxy. Missing while kube-proxy runs
 * in that mode, or emptied (nft flush table), it proxies nothing. Only said when the bundle has an nft listing.
 */
function nftablesMode(node: string, artifacts: NodeArtifacts, proxy: ProxyPresence, cmd = node, partly?: Partly): FindingDraft[] {
  const listings = artifacts.nftables ?? [];
  if (listings.length === 0) return [];
  const table = listings.flatMap((n) => n.tables).find((t) => t.family === 'ip' && t.name === 'kube-proxy');
  // a listing cut inside table ip kube-proxy, or before it: a table, chain or rule it lacks may be past the cut
  const cut = nftCutNote(listings, { family: 'ip', name: 'kube-proxy' });
  const held = () => {
    partly?.(`kube-proxy's nftables table (table ip kube-proxy) was not checked: ${cut}; collect the whole nft list ruleset`, ['nftables']);
    return [];
  };
  // the mode known from the running kube-proxy or its log, not from the table itself: a listing without the table says it is gone (nft flush ruleset, nft delete table)
  if (!table) return proxy.modeFrom === 'process' || proxy.modeFrom === 'log' ? (cut ? held() : [nftTableGone(node, artifacts, proxy, listings[0], cmd)]) : [];
  const services = table.chains.find((c) => c.name === 'services');
  const base = table.chains.filter((c) => c.hook);
  const empty = (services && services.rules.length === 0) || (base.length > 0 && base.every((c) => c.rules.length === 0));
  if (!empty && services) return [];
  if (cut) return held();
  const where: Evidence = services
    ? { file: services.ref.file, line: services.ref.line, excerpt: `chain services { } (table ip kube-proxy)`, note: 'the chain every Service rule hangs from holds nothing: the table was flushed' }
    : { file: table.ref.file, line: table.ref.line, excerpt: 'table ip kube-proxy', note: 'no services chain in it' };
  return [
    {
      severity: 'critical',
      title: "kube-proxy's nftables rules are missing",
      message: `kube-proxy runs in nftables mode on ${node}, but its table ip kube-proxy ${services ? 'is empty' : 'has no services chain'}: Pods and the node cannot reach ClusterIPs and NodePorts do not answer.`,
      impact: 'Service traffic (ClusterIP, NodePort, cluster DNS) of this node is broken until kube-proxy rewrites its table.',
      evidence: [where, ...proxy.evidence],
      facts: { mode: 'nftables' },
      remedy: remedyFor(cmd, { ...proxy }, firewallUnits(artifacts)),
    },
  ];
}

function nftTableGone(node: string, artifacts: NodeArtifacts, proxy: ProxyPresence, listing: NftRuleset, cmd = node): FindingDraft {
  const others = listing.tables.length;
  return {
    severity: 'critical',
    title: "kube-proxy's nftables rules are missing",
    message:
      `kube-proxy runs in nftables mode on ${node} (${proxy.modeFrom === 'process' ? 'its command line' : 'its log'} says so), but the nft listing has no table ip kube-proxy` +
      `${others ? ` (${others} other table${others > 1 ? 's' : ''})` : ', no table at all'}: it was deleted (nft flush ruleset, nft delete table). Pods and the node cannot reach ClusterIPs and NodePorts do not answer.`,
    impact: 'Service traffic (ClusterIP, NodePort, cluster DNS) of this node is broken until kube-proxy writes its table again.',
    evidence: [{ file: listing.file, line: 0, excerpt: 'no table ip kube-proxy', note: `searched the nft listing: ${others ? listing.tables.slice(0, 4).map((t) => `${t.family} ${t.name}`).join(', ') : 'empty'}` }, ...proxy.evidence],
    facts: { mode: 'nftables', modeFrom: proxy.modeFrom, missing: ['table ip kube-proxy is gone'] },
    remedy: remedyFor(cmd, { ...proxy }, firewallUnits(artifacts)),
  };
}

/**
 * kube-proxy replaced by Cilium (its agent listed), and Cilium's own chains gone with every other
 * rule: a flush of nat and filter (not a rule left in either) took CILIUM_FORWARD, CILIUM_POST_nat and
 * the rest, which the agent installs at its start. Service proxying is in eBPF and goes on; what the
 * chains did (accepting forwarded pod traffic, masquerading it unless BPF masquerading is on) does not.
 * Not said when the agent runs with --install-iptables-rules=false, or a dump is cut.
 */
function replacementChainsGone(node: string, views: BackendView[], replaced: NonNullable<ProxyPresence['replacedBy']>, cmd = node): FindingDraft[] {
  const agent = replaced.process;
  if (flagBool(agent, 'install-iptables-rules') === false || !agent.argsShown) return [];
  for (const v of views) {
    if (!v.tables.has('nat') || !v.tables.has('filter') || v.truncated.has('nat') || v.truncated.has('filter')) return [];
    for (const t of v.tables.values()) for (const c of t.values()) if (c.name.startsWith('CILIUM_')) return [];
    if (!['nat', 'filter'].every((t) => [...v.tables.get(t)!.values()].every((c) => c.rules.length === 0))) return [];
  }
  const v = views[0];
  const header = (t: 'nat' | 'filter') => v.rulesets.find((r) => r.tables[t])?.tables[t];
  const at = (t: 'nat' | 'filter', chain: string, note: string): Evidence => ({ file: header(t)?.ref.file ?? v.files.get(t)!, line: header(t)?.ref.line ?? 0, excerpt: `*${t}: no ${chain} chain`, note });
  return [
    {
      severity: 'warning',
      title: "Cilium's iptables chains are missing",
      message:
        `Cilium replaces kube-proxy on ${node} (cilium-agent runs; kube-proxy does not), and nat and filter hold no rule at all, Cilium's CILIUM_* chains gone with the rest: the tables were flushed. ` +
        "Services are proxied in eBPF and go on working, but what Cilium's chains did is undone until the agent installs them again: accepting forwarded pod traffic (CILIUM_FORWARD) and, without BPF masquerading, masquerading pod traffic that leaves the node (CILIUM_POST_nat).",
      impact: 'Pod traffic forwarded by the node may be dropped (FORWARD policy) or leave unmasqueraded until the Cilium agent on this node restarts.',
      evidence: [
        at('filter', 'CILIUM_FORWARD', 'searched the live filter table: no CILIUM_ chain, no rule'),
        at('nat', 'CILIUM_POST_nat', 'searched the live nat table: no CILIUM_ chain, no rule'),
        ...replaced.evidence,
      ],
      facts: { missing: ['filter CILIUM_FORWARD is gone', 'nat CILIUM_POST_nat is gone'], proxy: 'cilium', wholeFlush: true },
      remedy: {
        summary: 'Restart the Cilium agent on this node: it installs its iptables chains at start. Then find what flushed the tables (iptables.service, a firewalld reload, netfilter-persistent, a script running iptables -F) and stop it.',
        commands: [
          `kubectl -n kube-system delete pod -l k8s-app=cilium --field-selector spec.nodeName=${cmd}   # the DaemonSet starts it again`,
          'iptables -S | grep -c CILIUM_   # check: the chains are back',
          "journalctl --since '-1 day' --no-pager | grep -Ei 'iptables|firewalld|netfilter' | tail -n 30   # who flushed the rules",
        ],
        caution: "Restarting the agent leaves running pods' connections alone; new endpoints on this node wait for it (seconds).",
      },
    },
  ];
}
