/**
 * iptables.kube-chains-missing: kube-proxy (or the proxy k3s, RKE2 and k0s run) writes its Service
 * rules on this node, but the live rules lack them: nat KUBE-SERVICES or its jumps from PREROUTING /
 * OUTPUT, nat KUBE-POSTROUTING (the masquerade of Service traffic) or filter KUBE-FORWARD, or those
 * chains are there but empty. Someone flushed the tables (`iptables -F`, iptables.service restoring
 * its file, a firewalld reload, a script): ClusterIPs and NodePorts stop answering.
 *
 * Which node counts: one whose rules show kube-proxy (its canary chain KUBE-PROXY-CANARY, survives a
 * flush; its chains KUBE-SERVICES, KUBE-SVC-*, ...), whose logs are kube-proxy's, or whose unit is
 * kube-proxy / k3s / rke2. Not: a pure Docker host, a node whose only KUBE- chains are kubelet's
 * (KUBE-FIREWALL, KUBE-KUBELET-CANARY, KUBE-IPTABLES-HINT: Cilium's kube-proxy replacement keeps
 * them), kube-proxy in nftables mode (its rules are in table ip kube-proxy, checked there), kube-router
 * proxying Services (IPVS, kube-dummy-if). IPVS mode keeps nat KUBE-SERVICES, KUBE-POSTROUTING and
 * KUBE-FORWARD with their jumps, so those are checked there too; only the "KUBE-SERVICES empty while
 * Services exist" check is iptables mode's. A table cut by sos (`.tailed`) proves no absence.
 */
import { defineAnalyzer, type FindingDraft } from '../src/engine/analyzer.js';
import type { NodeArtifacts } from '../src/engine/artifacts.js';
import type { Chain } from '../src/netfilter/rules.js';
import { interfacesOf } from '../src/parsers/interfaces.js';
import { findService, isActive, isEnabled } from '../src/parsers/services.js';
import type { Evidence } from '../src/report/schema.js';
import { logEvidence } from './lib/logs.js';
import { liveViews, reaches, type BackendView } from './lib/node-view.js';

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

export default defineAnalyzer({
  id: 'iptables.kube-chains-missing',
  title: "kube-proxy's iptables rules are missing",
  description: 'kube-proxy runs (iptables or IPVS mode) but nat KUBE-SERVICES or its jumps, KUBE-POSTROUTING or KUBE-FORWARD are missing or empty: the rules were flushed.',
  scope: 'node',
  requires: ['iptables'],
  optional: ['services', 'logs', 'ipAddr', 'nftables'],
  analyze({ node, artifacts }) {
    const views = liveViews(artifacts);
    if (views.length === 0) return [];
    const proxy = kubeProxyPresence(artifacts, views);
    if (!proxy.runs) return [];
    if (proxy.mode === 'nftables') return nftablesMode(node, artifacts, proxy);
    const gaps: Gap[] = [];
    for (const table of ['nat', 'filter'] as const) {
      const results = views.filter((v) => v.tables.has(table)).map((v) => ({ v, gaps: gapsOf(table, v, proxy) }));
      if (results.length === 0 || results.some((r) => r.gaps.length === 0)) continue;
      // a dump cut at its top (sos's .tailed) does not show what is absent
      if (results.some((r) => r.v.truncated.has(table))) continue;
      // the copy with the fewest gaps (kube-proxy writes one back end)
      gaps.push(...results.sort((a, b) => a.gaps.length - b.gaps.length)[0].gaps);
    }
    if (gaps.length === 0) return [];
    return [finding(node, artifacts, views, proxy, gaps)];
  },
});

interface ProxyPresence {
  runs: boolean;
  mode: 'iptables' | 'ipvs' | 'nftables';
  evidence: Evidence[];
  /** the services (or pod logs) that say who runs the proxy: for the restart */
  owner: 'k3s' | 'k3s-agent' | 'rke2-server' | 'rke2-agent' | 'kube-proxy.service' | 'k0s' | 'pod';
  /** Service chains (KUBE-SVC-*, KUBE-SEP-*) that exist: the cluster has Services */
  serviceChains: number;
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
  const proxyLog = (artifacts.logs ?? []).find((l) => /kube-proxy/.test(l.file) || l.matches.some((m) => m.unit === 'kube-proxy'));
  if (proxyLog) strong.push({ file: proxyLog.file, line: 0, excerpt: `${proxyLog.lines} lines of kube-proxy's log`, note: "kube-proxy's log is in the bundle: it runs on this node" });
  // who else proxies Services: Cilium's kube-proxy replacement, kube-router's IPVS proxy
  const itfs = interfacesOf(artifacts.ipAddr ?? []);
  const replacement = itfs.has('kube-dummy-if') || [...views].some((v) => [...v.tables.values()].some((t) => [...t.keys()].some((c) => /^CILIUM_/.test(c))));
  const runs = strong.length > 0 || (weak.length > 0 && !replacement);
  // the mode: kube-ipvs0 or IPVS's chains; nftables when its table is there and no iptables Service chain is
  const kubeIpvs0 = itfs.get('kube-ipvs0');
  if (!ipvs && kubeIpvs0) ipvs = { file: kubeIpvs0.ref.file, line: kubeIpvs0.ref.line, excerpt: 'kube-ipvs0', note: 'the dummy interface of kube-proxy in IPVS mode' };
  const nftTable = (artifacts.nftables ?? []).flatMap((n) => n.tables).find((t) => t.name === 'kube-proxy' && !t.iptablesCompat);
  const iptablesServices = views.some((v) => v.tables.get('nat')?.has('KUBE-SERVICES'));
  const mode: ProxyPresence['mode'] = nftTable && !iptablesServices && !seen.has('KUBE-PROXY-CANARY') ? 'nftables' : ipvs ? 'ipvs' : 'iptables';
  const evidence = [...strong, ...weak, ...support, ...(ipvs ? [ipvs] : [])];
  return { runs: runs || (mode === 'nftables' && nftTable !== undefined && support.length + weak.length > 0), mode, evidence, owner, serviceChains };
}

function chainEvidence(c: Chain, note: string): Evidence {
  return { file: c.ref.file, line: c.ref.line, excerpt: c.ref.line ? `chain ${c.table} ${c.name}` : `chain ${c.name}`, note };
}

type Gap = Evidence & { what: string };

/** What of kube-proxy's chains and jumps one back end's copy of a table lacks. */
function gapsOf(table: 'nat' | 'filter', v: BackendView, proxy: ProxyPresence): Gap[] {
  const chains = v.tables.get(table)!;
  const file = v.files.get(table)!;
  const header = v.rulesets.find((r) => r.tables[table])?.tables[table];
  const at = (c: Chain | undefined, excerpt: string, note: string, what: string): Gap =>
    c ? { file: c.ref.file, line: c.ref.line, excerpt, note, what } : { file: header?.ref.file ?? file, line: header?.ref.line ?? 0, excerpt, note, what };
  const gaps: Gap[] = [];
  const need = (chain: string, from: string[], jump: string, emptyMatters: boolean) => {
    const c = chains.get(chain);
    if (!c) {
      gaps.push(at(undefined, `*${table}: no ${chain} chain`, `searched the live ${table} table here`, `${table} ${chain} is gone`));
      return;
    }
    if (c.rules.length === 0 && emptyMatters) gaps.push(at(c, chain, `the chain exists but holds no rule: it was flushed`, `${table} ${chain} is empty`));
    for (const base of from) {
      if (!chains.has(base)) continue;
      if (!reaches(chains, base, chain)) {
        const b = chains.get(base)!;
        gaps.push(at(b, `${base}: no ${jump.replace('{base}', base)}`, `${table} ${base} holds ${b.rules.length} rule${b.rules.length === 1 ? '' : 's'}, none leading to ${chain}`, `${table} ${base} does not jump to ${chain}`));
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

function finding(node: string, artifacts: NodeArtifacts, views: BackendView[], proxy: ProxyPresence, gaps: Gap[]): FindingDraft {
  const flushed = gaps.filter((g) => / is empty$/.test(g.what));
  // a flush of whole tables: every chain of nat and filter holds no rule
  const wholeFlush = views.some((v) => ['nat', 'filter'].every((t) => !v.tables.has(t) || [...v.tables.get(t)!.values()].every((c) => c.rules.length === 0)));
  const emptyOthers = wholeFlush ? otherEmptyChains(views) : [];
  const logs = logEvidence(artifacts.logs, ['log.iptables-no-chain', 'log.flannel-iptables-failed', 'log.firewall-restart', 'log.iptables-restore-failed']);
  const restart = logs.find((e) => e.note?.startsWith('log.firewall-restart'));
  const firewall = firewallUnits(artifacts);
  const what = gaps.map((g) => g.what);
  const how = wholeFlush
    ? `every rule of the ${views[0].tables.has('mangle') ? 'filter, nat and mangle' : 'filter and nat'} tables is gone while their chains are still defined${emptyOthers.length ? ` (${emptyOthers.slice(0, 4).join(', ')} too)` : ''}: someone ran iptables -F (or a tool that does)`
    : flushed.length && flushed.length === gaps.length
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
      `kube-proxy${proxy.mode === 'ipvs' ? ' (IPVS mode)' : ''} runs on ${node}, but ${wholeFlush && flushed.length ? `its chains ${[...new Set(flushed.map((g) => g.what.split(' ')[1]))].join(', ')} are empty and nothing jumps to them` : what.join('; ')}: ${how}.${services} ` +
      'Pods and the node cannot reach ClusterIPs (DNS at the cluster DNS address included), NodePorts do not answer, and Service traffic leaving the node is not masqueraded.' +
      cause,
    impact: 'Service traffic (ClusterIP, NodePort, cluster DNS) to and from this node is broken until kube-proxy rewrites its rules.',
    evidence: [...gaps.map(({ what: _w, ...e }) => e), ...proxy.evidence, ...firewall, ...logs],
    facts: { missing: what, mode: proxy.mode, wholeFlush, serviceChains: proxy.serviceChains, proxyOwner: proxy.owner, firewallRestartAt: restart?.time },
    related: firewall.length ? ['iptables.service-conflict'] : undefined,
    remedy: remedyFor(node, proxy, firewall),
  };
}

/** Other components' chains emptied by the same flush (flannel's, CNI portmap's, kube-router's). */
function otherEmptyChains(views: BackendView[]): string[] {
  const out: string[] = [];
  for (const t of views[0].tables.values())
    for (const c of t.values()) if (!c.builtin && c.rules.length === 0 && /^(FLANNEL-|CNI-|KUBE-ROUTER-|cali-|WEAVE)/.test(c.name) && !out.includes(c.name)) out.push(c.name);
  return out;
}

/** The firewall units whose start flushes every live rule. */
function firewallUnits(artifacts: NodeArtifacts): Evidence[] {
  const out: Evidence[] = [];
  for (const unit of ['iptables', 'firewalld', 'netfilter-persistent', 'ufw']) {
    const states = findService(artifacts.services ?? [], unit);
    const s = isActive(states) ?? isEnabled(states);
    if (s) out.push({ file: s.ref.file, line: s.ref.line, excerpt: s.excerpt, note: `${s.unit} is ${isActive(states) ? 'active' : 'enabled'}: its start or reload replaces the live rules with its own (iptables.service-conflict)` });
  }
  return out;
}

function remedyFor(node: string, proxy: ProxyPresence, firewall: Evidence[]): FindingDraft['remedy'] {
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
        : 'iptables -t nat -S KUBE-SERVICES | head -n 5 && iptables -t nat -S PREROUTING && iptables -t nat -S POSTROUTING   # check: the jumps to KUBE-SERVICES and KUBE-POSTROUTING are back',
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
function nftablesMode(node: string, artifacts: NodeArtifacts, proxy: ProxyPresence): FindingDraft[] {
  const listings = artifacts.nftables ?? [];
  if (listings.length === 0) return [];
  const table = listings.flatMap((n) => n.tables).find((t) => t.family === 'ip' && t.name === 'kube-proxy');
  if (!table) return [];
  const services = table.chains.find((c) => c.name === 'services');
  const base = table.chains.filter((c) => c.hook);
  const empty = (services && services.rules.length === 0) || (base.length > 0 && base.every((c) => c.rules.length === 0));
  if (!empty && services) return [];
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
      remedy: remedyFor(node, { ...proxy }, firewallUnits(artifacts)),
    },
  ];
}
