/**
 * log.*: every log signature that matched becomes a finding of its own (warning or info) with its
 * lines in time order. When a diagnosis explains it (the signature's `supports`), the correlation
 * stage folds it into that diagnosis; what is left stands alone.
 *
 * The remedy follows the node: the catalog's `remedies` for the runtime that owns the rules a line
 * is about (the chain's name says it, else the runtimes the bundle shows: Docker, Podman,
 * Kubernetes), kube-proxy, the firewall manager; the signature's own advice where the bundle shows
 * none of them. A few findings say more than their lines: Podman's flushed rules name the firewall
 * reload before them, a Swarm failure names its port's role and whether one refusal is all there is,
 * a full conntrack table its limit (kube-proxy's start line, the sysctl dump) against the count.
 */
import { defineAnalyzer, type FindingDraft } from '../src/engine/analyzer.js';
import type { NodeArtifacts } from '../src/engine/artifacts.js';
import type { LogMatch } from '../src/logs/index.js';
import { SIGNATURES } from '../src/logs/index.js';
import type { HostTrait, LogSignature } from '../src/logs/signatures.js';
import { interfacesOf } from '../src/parsers/interfaces.js';
import { findService, isActive, isEnabled } from '../src/parsers/services.js';
import { runtimeValue, type SysctlValue } from '../src/parsers/sysctl.js';
import type { Evidence, Remedy } from '../src/report/schema.js';
import { kubeProxyRules } from './lib/container-host.js';
import { timeOf } from './lib/logs.js';
import { hostFirewall } from './lib/host-firewall.js';
import { dockerPresence, hasKubernetes } from './lib/node-view.js';
import { dockerRestartOf, NODE_SERVICE_KINDS, nodeServices, restartDocker } from './lib/node-services.js';

const MAX_EVIDENCE = 10;

export default defineAnalyzer({
  id: 'log.signatures',
  title: 'Known problems in the logs',
  description: 'Signature matches in syslog, journals, Docker and pod logs.',
  scope: 'node',
  requires: ['logs'],
  // what the remedies follow: the runtimes, kube-proxy and the firewall manager the node shows, its conntrack limit
  optional: [...new Set(['sysctl', 'nftables', 'dockerNetworks', 'firewalldZones', ...NODE_SERVICE_KINDS] as const)],
  analyze({ node, artifacts }) {
    const byId = new Map<string, { matches: LogMatch[]; count: number }>();
    for (const log of artifacts.logs) {
      for (const m of log.matches) {
        const e = byId.get(m.signature) ?? byId.set(m.signature, { matches: [], count: 0 }).get(m.signature)!;
        e.matches.push(m);
      }
      for (const [id, n] of Object.entries(log.counts)) {
        const e = byId.get(id) ?? byId.set(id, { matches: [], count: 0 }).get(id)!;
        e.count += n;
      }
    }
    const host = new HostView(artifacts);
    const out: FindingDraft[] = [];
    for (const sig of SIGNATURES) {
      const e = byId.get(sig.id);
      if (!e || e.matches.length === 0 || sig.quiet) continue;
      const sorted = inTimeOrder(e.matches);
      const timed = sorted.filter((m) => m.timestamp);
      const times = timed.map((m) => m.timestamp!.iso);
      const files = new Set(sorted.map((m) => m.file));
      const facts = collectFacts(sorted);
      const draft: FindingDraft = {
        id: sig.id,
        severity: sig.severity,
        title: sig.title,
        message: `${e.count} line${e.count > 1 ? 's' : ''} in ${files.size} log${files.size > 1 ? 's' : ''} on ${node}${factSummary(facts)}: ${sig.meaning}`,
        evidence: sorted.slice(0, MAX_EVIDENCE).map(asEvidence),
        facts: { count: e.count, ...facts },
        firstSeen: times[0],
        lastSeen: times[times.length - 1],
        ...(timed.length > 0 && (timed[0].timestamp!.yearInferred || timed[timed.length - 1].timestamp!.yearInferred) ? { seenYearInferred: true } : {}),
        remedy: { summary: sig.advice, commands: [] },
      };
      const context: Record<string, string[]> = {};
      if (sig.id === 'log.podman-rules-flushed') podmanFlushed(draft, sorted, byId.get('log.firewall-restart')?.matches ?? []);
      if (sig.id === 'log.swarm-peer-unreachable') swarm(draft, e.count, facts, context);
      if (sig.id === 'log.conntrack-table-full') conntrack(draft, byId.get('log.kube-proxy-conntrack-max')?.matches ?? [], artifacts, context);
      draft.remedy = remedyFor(sig, facts, host, context);
      out.push(draft);
    }
    return out;
  },
});

function inTimeOrder(matches: LogMatch[]): LogMatch[] {
  return [...matches].sort((a, b) => (a.timestamp?.epochMs ?? Infinity) - (b.timestamp?.epochMs ?? Infinity) || a.file.localeCompare(b.file) || a.line - b.line);
}

function asEvidence(m: LogMatch): Evidence {
  return {
    file: m.file,
    line: m.line,
    excerpt: m.excerpt,
    ...timeOf(m),
    note: [m.unit, m.pod && `pod ${m.namespace ? m.namespace + '/' : ''}${m.pod}`, m.container && `container ${m.container}`].filter(Boolean).join(', ') || undefined,
  };
}

/** Distinct values of each fact (ports, hosts, chains) across the matches. */
function collectFacts(matches: LogMatch[]): Record<string, string[]> {
  const out: Record<string, Set<string>> = {};
  for (const m of matches) for (const [k, v] of Object.entries(m.facts)) (out[k] ??= new Set()).add(v);
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, [...v].slice(0, 10)]));
}

function factSummary(facts: Record<string, string[]>): string {
  const parts: string[] = [];
  if (facts.chain) parts.push(`chain ${facts.chain.join(', ')}`);
  if (facts.host && facts.port) parts.push(`to ${facts.host.slice(0, 3).join(', ')} port ${facts.port.slice(0, 5).join(', ')}`);
  else if (facts.port) parts.push(`port ${facts.port.join(', ')}`);
  return parts.length ? ` (${parts.join('; ')})` : '';
}

/** The signature's commands with their `{fact}` filled in, once per value of the fact (`ss -ltnp 'sport = :5432'`). */
function commandsFor(templates: string[] | undefined, facts: Record<string, string[]>): string[] {
  return (templates ?? []).flatMap((t) => {
    const name = /\{(\w+)\}/.exec(t)?.[1];
    return name === undefined ? [t] : (facts[name] ?? []).map((v) => t.replaceAll(`{${name}}`, v));
  });
}

// ---- the remedy the node's runtimes, kube-proxy and firewall manager call for ----------------

type Runtime = 'docker' | 'podman' | 'kubernetes';
const RUNTIMES: readonly HostTrait[] = ['docker', 'podman', 'kubernetes'];

/**
 * The remedy: the catalog's `remedies` for what the node shows (for a line about a chain, the runtime
 * its name belongs to before the runtimes the bundle shows), else the signature's own; its caveats
 * unless the lines rule them out; `{restartDocker}` / `{restartKubelet}` as this node restarts them.
 */
function remedyFor(sig: LogSignature, facts: Record<string, string[]>, host: HostView, context: Record<string, string[]>): Remedy {
  const traits = new Set<HostTrait>(sig.remedies?.length ? host.traits() : []);
  const owners = facts.chain ? chainOwners(facts.chain, traits) : undefined;
  // the chain's name says whose rules they are, whatever else runs there
  if (owners)
    for (const r of RUNTIMES) {
      if (owners.has(r as Runtime)) traits.add(r);
      else traits.delete(r);
    }
  const applies = (sig.remedies ?? []).filter((r) => traits.has(r.when));
  const advised = applies.filter((r) => r.advice);
  const sentences = advised.length > 0 ? advised.map((r) => r.advice!) : [sig.advice];
  for (const c of sig.caveats ?? []) {
    const values = facts[c.fact];
    if (values === undefined || values.some((v) => c.matches.test(v))) sentences.push(c.advice);
  }
  const withCommands = applies.filter((r) => r.commands?.length);
  const templates = withCommands.length > 0 ? withCommands.flatMap((r) => r.commands!) : (sig.commands ?? []);
  const fill = { ...facts, ...context };
  if (templates.some((t) => t.includes('{restartDocker}'))) fill.restartDocker = host.restartDocker();
  if (templates.some((t) => t.includes('{restartKubelet}'))) fill.restartKubelet = host.restartKubelet();
  const commands = [...new Set(commandsFor(templates, fill))];
  return { summary: sentences.join(' '), commands, ...(sig.caution ? { caution: sig.caution } : {}) };
}

/**
 * Whose chains a line names: Docker's (DOCKER...), Podman's (NETAVARK...), Kubernetes' (KUBE-, and
 * its CNI plugins': flannel, Calico, Cilium, Weave); a CNI- chain is Podman's (CNI plugins under
 * Podman 3) or a Kubernetes CNI plugin's (portmap's CNI-HOSTPORT-...), as the node shows. Undefined
 * when no name says (a built-in chain, iptables 1.8.1's "Chain 'DNAT'"): then the node's runtimes.
 */
function chainOwners(chains: string[], traits: Set<HostTrait>): Set<Runtime> | undefined {
  const owners = new Set<Runtime>();
  for (const c of chains) {
    if (/^DOCKER(?:-|$)/.test(c)) owners.add('docker');
    else if (/^NETAVARK[-_]/.test(c)) owners.add('podman');
    else if (/^(?:KUBE-|FLANNEL-|cali-|CILIUM_|WEAVE)/.test(c)) owners.add('kubernetes');
    else if (/^CNI-/.test(c)) {
      if (traits.has('podman')) owners.add('podman');
      if (traits.has('kubernetes')) owners.add('kubernetes');
    }
  }
  return owners.size > 0 ? owners : undefined;
}

const PODMAN_ITF = /^(?:podman\d+|cni-podman\d+)$/;
/** a log line of Podman's own: its CNI network "podman" in a rule comment, netavark, its chains */
const PODMAN_LINE = /\bname: \\?"podman\\?"|CNI network \\?"podman\\?"|\bnetavark\b|\bNETAVARK[-_]/;
const KUBE_UNIT = /^(?:kubelet|kube-proxy|k3s(?:-agent|-server)?|rke2(?:-agent|-server)?|k0s(?:worker|controller)|snap\.microk8s\..+)$/;

/** What the node shows, computed once per node and only when a finding asks. */
class HostView {
  private cached?: Set<HostTrait>;

  constructor(private readonly artifacts: NodeArtifacts) {}

  traits(): Set<HostTrait> {
    if (this.cached) return this.cached;
    const a = this.artifacts;
    const t = new Set<HostTrait>();
    const docker = dockerPresence(a);
    // a rootless dockerd's rules live in RootlessKit's namespace: a host firewall's flush leaves them alone
    if (docker.evidence.length > 0 && !docker.rootless) t.add('docker');
    if (this.podman()) t.add('podman');
    const matches = (a.logs ?? []).flatMap((l) => l.matches);
    const kubeProxyLogs = matches.some((m) => m.signature === 'log.kube-proxy-mode' || m.signature === 'log.kube-proxy-conntrack-max' || m.unit === 'kube-proxy');
    if (kubeProxyRules(a) || kubeProxyLogs) t.add('kube-proxy');
    if (t.has('kube-proxy') || hasKubernetes(a) || nodeServices(a).distro || matches.some((m) => KUBE_UNIT.test(m.unit ?? ''))) t.add('kubernetes');
    const on = (unit: string) => {
      const states = findService(a.services ?? [], unit);
      return isActive(states) ?? isEnabled(states);
    };
    if (on('firewalld') || (a.firewalldZones ?? []).length > 0) t.add('firewalld');
    // ufw's chains in the live rules, or its unit on
    if (hostFirewall(a) === 'ufw') t.add('ufw');
    // the unit states are there and show neither: rules are kept by hand, iptables.service or netfilter-persistent
    if ((a.services ?? []).some((l) => l.services.length > 0) && !t.has('firewalld') && !t.has('ufw')) t.add('plain-iptables');
    return (this.cached = t);
  }

  private podman(): boolean {
    const a = this.artifacts;
    const matches = (a.logs ?? []).flatMap((l) => l.matches);
    if (matches.some((m) => m.signature === 'log.podman-rules-flushed' || /^(?:podman|conmon|netavark)/.test(m.unit ?? '') || PODMAN_LINE.test(m.excerpt))) return true;
    if ([...interfacesOf(a.ipAddr ?? []).keys()].some((n) => PODMAN_ITF.test(n))) return true;
    if ((a.iptables ?? []).some((rs) => rs.origin === 'live' && Object.values(rs.tables).some((tb) => Object.keys(tb.chains).some((c) => /^NETAVARK[-_]/.test(c))))) return true;
    if ((a.nftables ?? []).some((n) => n.tables.some((tb) => tb.name === 'netavark' && !tb.iptablesCompat))) return true;
    return ['podman', 'podman.socket', 'netavark-firewalld-reload'].some((u) => {
      const states = findService(a.services ?? [], u);
      return isActive(states) ?? isEnabled(states);
    });
  }

  restartDocker(): string[] {
    return restartDocker({ dockerRestart: dockerRestartOf(this.artifacts) }, 'this restarts its containers');
  }

  restartKubelet(): string[] {
    return nodeServices(this.artifacts).restartKubelet;
  }
}

// ---- findings that say more than their lines -------------------------------------------------

/** The firewall restart before Podman's teardown found its rules gone: the reload that flushed them. */
function podmanFlushed(draft: FindingDraft, matches: LogMatch[], restarts: LogMatch[]): void {
  const first = matches[0];
  const before = inTimeOrder(restarts).filter((r) => precedes(r, first));
  if (before.length === 0) return;
  const at = before.slice(0, 3).map((r) => `${r.file}:${r.line}`);
  draft.message += ` A firewall restart is logged before it (${at.join(', ')}): that is what flushed them.`;
  draft.facts = { ...draft.facts, firewallRestart: at };
}

/** `a` happened before `b`: by their times when both have one, by line in one file; unknown (taken as before) across files without times. */
function precedes(a: LogMatch, b: LogMatch): boolean {
  if (a.timestamp && b.timestamp) return a.timestamp.epochMs <= b.timestamp.epochMs;
  if (a.file === b.file) return a.line < b.line;
  return true;
}

const SWARM_PORTS: Record<string, string> = {
  '2377': '2377/tcp is the managers\' cluster API',
  '7946': '7946 is the gossip among all nodes (TCP and UDP)',
  '4789': '4789/udp carries the overlay networks\' VXLAN traffic',
};

/** What the Swarm lines say: the role of each port, UDP blocked where TCP passed, a lone refusal. */
function swarm(draft: FindingDraft, count: number, facts: Record<string, string[]>, context: Record<string, string[]>): void {
  const roles = (facts.port ?? []).flatMap((p) => (SWARM_PORTS[p] ? [SWARM_PORTS[p]] : []));
  if (roles.length > 0) draft.message += ` ${capital(roles.join('; '))}.`;
  const symptoms = new Set(facts.symptom ?? []);
  if (symptoms.has('UDP'))
    draft.message += ` memberlist reached ${(facts.peerName ?? ['a peer']).slice(0, 3).join(', ')} over TCP but not over UDP: 7946/udp is blocked between the nodes.`;
  if (count === 1 && [...symptoms].every((s) => s === 'connection refused'))
    draft.message += ' Only one refusal is logged: a peer whose dockerd was restarting refuses until it listens again; if the refusals go on, the port is closed or blocked on the peer.';
  // the rules name the peers the lines give; without an address (a node name only), a placeholder
  context.peer = facts.peer?.slice(0, 3) ?? ["<the other node's address>"];
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * A full conntrack table against its limit: kube-proxy's start line (the limit it set, and that it
 * owns the setting), the sysctl dump's nf_conntrack_max and nf_conntrack_count at collection. The
 * new limit in the commands is twice the one the bundle shows.
 */
function conntrack(draft: FindingDraft, kubeProxy: LogMatch[], artifacts: NodeArtifacts, context: Record<string, string[]>): void {
  const sysctl = artifacts.sysctl ?? [];
  const value = (key: string): SysctlValue | undefined => runtimeValue(sysctl, key)[0] ?? runtimeValue(sysctl, key.replace('net.netfilter.', 'net.'))[0];
  const max = value('net.netfilter.nf_conntrack_max');
  const count = value('net.netfilter.nf_conntrack_count');
  const proxy = inTimeOrder(kubeProxy);
  const facts: Record<string, unknown> = {};
  if (proxy.length > 0) {
    const last = proxy[proxy.length - 1];
    const limit = last.facts.max;
    draft.message += ` kube-proxy set the limit to ${limit} when it started (${last.file}:${last.line}): its own settings decide it, not /etc/sysctl.d.`;
    facts.kubeProxyConntrackMax = limit;
    // klog gives no year: a guessed one would put kube-proxy's start on the timeline years from the kernel's lines
    const { time, yearInferred, ...line } = asEvidence(last);
    draft.evidence.push({ ...line, ...(time && !yearInferred ? { time } : {}), note: [line.note, 'kube-proxy set the limit at start'].filter(Boolean).join(', ') });
  }
  const maxN = max && /^\d+$/.test(max.value) ? Number(max.value) : undefined;
  const countN = count && /^\d+$/.test(count.value) ? Number(count.value) : undefined;
  if (maxN !== undefined) {
    const full = countN !== undefined && maxN > 0 ? Math.round((countN / maxN) * 100) : undefined;
    draft.message +=
      countN !== undefined
        ? ` When the bundle was collected, net.netfilter.nf_conntrack_max was ${maxN} and nf_conntrack_count ${countN} (${full}% of the limit)${full! >= 90 ? ': the table is still (nearly) full' : ': the table had room again then'}.`
        : ` When the bundle was collected, net.netfilter.nf_conntrack_max was ${maxN}.`;
    facts.conntrackMax = maxN;
    if (countN !== undefined) facts.conntrackCount = countN;
    draft.evidence.push({ file: max!.ref.file, line: max!.ref.line, excerpt: max!.excerpt, note: 'the limit when the bundle was collected' });
    if (count) draft.evidence.push({ file: count.ref.file, line: count.ref.line, excerpt: count.excerpt, note: 'connections tracked then' });
  }
  const known = maxN ?? (proxy.length > 0 ? Number(proxy[proxy.length - 1].facts.max) : undefined);
  context.conntrackNew = [known !== undefined && Number.isFinite(known) && known > 0 ? String(known * 2) : '<twice the current limit>'];
  draft.facts = { ...draft.facts, ...facts };
}
