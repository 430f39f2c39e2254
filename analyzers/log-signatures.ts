/**
 * log.*: every log signature that matched becomes a finding of its own (warning or info) with its
 * lines in time order. Signatures that matched only lines another one matched fold into it where it
 * explains them (the catalog's `explains`, else a higher severity): one log line, one diagnosis. When a
 * diagnosis explains it (the signature's `supports`), the correlation stage folds it into that
 * diagnosis; what is left stands alone. Commands at a shell prompt and messages quoted in prose are
 * told as such; kubectl refused at localhost:8080 (no kubeconfig) is a finding of its own, not a firewall's.
 *
 * The remedy follows the node: the catalog's `remedies` for the runtime that owns the rules a line
 * is about (the chain's name says it, else the runtimes the bundle shows: Docker, Podman,
 * Kubernetes), kube-proxy, the firewall manager; the signature's own advice where the bundle shows
 * none of them. A few findings say more than their lines: Podman's flushed rules name the firewall
 * reload before them, a Swarm failure names its port's role and whether one refusal is all there is,
 * a full conntrack table its limit (kube-proxy's start line, the sysctl dump) against the count.
 * dockerd that did not start is critical while nothing shows it running since; Docker finding no free
 * address pool names the routes that cover its pools (a VPN's def1 pair); a firewall manager's log lines
 * of containers' packets name the zone and give that manager's commands (ufw-docker's own lines its
 * route rules), lines on the host's own interfaces counting where their address is in a pod or container
 * subnet the node shows (routed pod traffic); Calico's BGP peers, from the readiness probe and BIRD's own
 * lines, are checked against the node's bridge addresses (first-found autodetection), and what BIRD says
 * of them is told. iptables-nft's legacy-tables warning pasted with the command that printed it is
 * command output, not a log event: no finding of its own (iptables.mixed-backends still quotes it).
 */
import { defineAnalyzer, type FindingDraft } from '../src/engine/analyzer.js';
import type { NodeArtifacts } from '../src/engine/artifacts.js';
import type { LogMatch } from '../src/logs/index.js';
import { SIGNATURES } from '../src/logs/index.js';
import {
  CONTAINER_ITF,
  PROMPT_LINE,
  PROSE_QUOTE,
  XT_EXTENSION_CONFIG,
  XT_EXTENSION_MODULES,
  XT_IP6_EXTENSION_CONFIG,
  XT_IP6_EXTENSION_MODULES,
  XT_MORE_EXTENSION_MODULES,
  type HostTrait,
  type LogSignature,
} from '../src/logs/signatures.js';
import { interfacesOf } from '../src/parsers/interfaces.js';
import { findService, isActive, isEnabled } from '../src/parsers/services.js';
import { runtimeValue, type SysctlValue } from '../src/parsers/sysctl.js';
import type { Evidence, Remedy } from '../src/report/schema.js';
import { dockerdState, dockerOnFirewalldReload, kubeProxyRules, swarmActive } from './lib/container-host.js';
import { cidrOverlap, parseCidr, parseIp, addressIn } from '../src/parsers/cidr.js';
import { olderThanLogsEnd, timeOf } from './lib/logs.js';
import { hostFirewall } from './lib/host-firewall.js';
import { dockerBridges, dockerPresence, hasKubernetes, KUBE_PROXY_SERVICE_CHAIN, liveViews, nativeNftables, traceContext, uplinkOf } from './lib/node-view.js';
import { trace, type Packet, type Path, type TraceContext, type TraceStep } from '../src/netfilter/trace.js';
import { felixKubeProxyCleanup } from '../src/parsers/calico-felix-config.js';
import { kubeProxyNftablesUnavailable, kubeProxySync, syncOutcome } from './lib/kube-proxy-sync.js';
import { dockerRestartOf, NODE_SERVICE_KINDS, nodeForCommands, nodeServices, restartDocker } from './lib/node-services.js';
import { badRuleCheck, badRuleRoutineDelete, beforeWorkaround, firewalldZoneConflict, legacyRestoreSkew, offloadWorkarounds, vxlanChecksum } from './lib/r12-wording.js';
import { kubeProxyConntrackSetup, kubeProxyFatal, netavarkNftables, svclbForwarding } from './lib/r13-wording.js';
import { dockerChainsGone, dockerStartedAfter, firewalldReloadDocker, dockerStartedSays, imageLegacy, lockRace, networkUnreachable } from './lib/r14-wording.js';
import { networkUnreachableFallback } from './lib/ipv6-fallback.js';
import { slirp4netnsDnsTimeout, userModeNatLines, virtualBoxNatDns } from './lib/user-mode-nat.js';
import { dnsLookupKind } from '../src/logs/signatures-dns.js';
import { dnsLookupPast, dnsLookupWording, type ResolverContext } from './lib/dns-lookup.js';
import { resolvConfHostPath } from '../src/parsers/resolv-conf.js';
import { cniConfOrder, isNetDir } from '../src/parsers/cni-conf.js';
import { candidatesExhaustedFinding } from './lib/docker-default-pools.js';

const MAX_EVIDENCE = 10;
/** the signatures that make findings of their own (log.kube-proxy-fatal leaves their lines to them) */
const NOT_QUIET: ReadonlySet<string> = new Set(SIGNATURES.filter((s) => !s.quiet).map((s) => s.id));

export default defineAnalyzer({
  id: 'log.signatures',
  title: 'Known problems in the logs',
  description: 'Signature matches in syslog, journals, Docker and pod logs.',
  scope: 'node',
  requires: ['logs'],
  // what the remedies follow: the runtimes, kube-proxy and the firewall manager the node shows, its conntrack limit
  optional: [...new Set(['sysctl', 'uname', 'nftables', 'ipsets', 'iptablesVersion', 'dockerNetworks', 'firewalldZones', 'routes', 'ipAddr', 'flannelSubnetEnv', 'resolvConf', 'felixConfig', 'cniConf', ...NODE_SERVICE_KINDS] as const)],
  analyze({ node, nodeNameNotHost, artifacts }) {
    // the node's name in pasteable commands: <NODE> where the bundle names no host
    const cmdNode = nodeForCommands({ node, nodeNameNotHost }).command;
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
    // a firewall manager's lines on the host's own interfaces count where their private address is a pod's or container's
    const routed = podSubnetLines(byId.get('log.firewall-rejected-routed-traffic')?.matches ?? [], artifacts);
    if (routed.length > 0) {
      const e = byId.get(REJECTED) ?? byId.set(REJECTED, { matches: [], count: 0 }).get(REJECTED)!;
      e.matches.push(...routed);
      e.count += routed.length;
    }
    // kubectl without a kubeconfig refused at localhost:8080: its own finding, not a connection the node's rules decide
    const kubectl = takeKubectlLines(byId);
    // H75: lookups timing out at a user-mode NAT's own resolver (10.0.2.3): slirp4netns' become a finding of their own,
    // VirtualBox NAT's are worded as its DNS proxy; neither is a firewall's to trace
    const userNat = takeUserModeNatLines(byId, artifacts);
    const host = new HostView(artifacts);
    // a checksum-offload workaround typed in a pasted session (flannel#1279): dates the VXLAN finding and the failures before it
    const workarounds = offloadWorkarounds(byId.get('log.offload-workaround-typed')?.matches ?? [], byId.get('log.offload-workaround-output')?.matches ?? [], byId.get('log.dns-lookup-answered')?.matches ?? []);
    const out: FindingDraft[] = [];
    // the lines each finding was made of, for folding findings of one failure (foldSameLines)
    const lines = new Map<FindingDraft, LinesOf>();
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
      if (sig.id === 'log.conntrack-table-full') conntrack(draft, sorted, e.count, byId.get('log.kube-proxy-conntrack-max')?.matches ?? [], artifacts, context);
      draft.remedy = remedyFor(sig, facts, host, context);
      // firewalld's reload takes Swarm's ingress rules with it; Docker writes them again on the reload only from 29.0 (moby#50443)
      if (sig.id === 'log.swarm-peer-unreachable' && draft.remedy.commands.some((c) => c.startsWith('firewall-cmd --reload'))) {
        const answer = dockerOnFirewalldReload(artifacts);
        if (!answer?.restoresAll)
          draft.remedy.commands.push(...host.restartDocker().map((c) => (c.startsWith('#') ? c : `${c}; after the reload: ${answer ? answer.says : "Docker before 29.0 does not re-create Swarm's ingress rules when firewalld reloads (moby#50443)"}`)));
      }
      // Swarm's ingress chain found gone: a firewalld reload before it, the chain in the rules now, Docker's version
      if (sig.id === 'log.docker-ingress-chain-missing') swarmIngress(draft, sorted, byId.get('log.firewall-restart')?.matches ?? [], byId.get('log.iptables-cleanup-harmless')?.matches ?? [], artifacts, host);
      // what dockerd's failed start means now, the routes that took Docker's pools, the firewall's zone, Calico's peers
      if (DOCKER_START_FAILURES.has(sig.id)) dockerStart(draft, sig.id, sorted, byId.get('log.docker-daemon-initialized')?.matches ?? [], artifacts);
      if (sig.id === 'log.docker-network-controller-failed') networkController(draft, facts, sorted, host, artifacts);
      // H95: modprobe finding no module tree for the running kernel; a table refused after it in the same log
      if (sig.id === 'log.kernel-module-not-found' || sig.id === 'log.iptables-table-unavailable') kernelTreeFinding(draft, sig.id, facts, sorted, byId.get('log.kernel-module-not-found')?.matches ?? [], artifacts, byId);
      // H64: the table replaced under dockerd by a unit starting at that moment (coreos/bugs#469): start again, order the units
      if (sig.id === 'log.docker-network-controller-failed' || sig.id === 'log.docker-start-failed')
        lockRace(draft, sorted, ['log.firewall-writer-start', 'log.firewall-restart', 'log.kube-proxy-started'].flatMap((w) => byId.get(w)?.matches ?? []), byId.get('log.docker-daemon-initialized')?.matches ?? []);
      if (sig.id === 'log.iptables-module-missing') moduleMissing(draft, facts, sorted, { restores: byId.get('log.iptables-restore-failed')?.matches ?? [], artifacts, host, cmdNode });
      // H68 (R23 39): kube-proxy's / a CNI daemon's legacy iptables-restore finding no nat table on an nf_tables host: the
      // image's back end, not a module (loading iptable_nat there splits the back ends); istio-init keeps the module advice
      if (sig.id === 'log.iptables-module-missing') imageLegacy(draft, sig.id, sorted, artifacts, [...byId.values()].flatMap((v) => v.matches));
      // kube-proxy's nftables sync failures: worded by nft's error (kubernetes#134024's iif, a missing module, nft crashing)
      if (sig.id === 'log.kube-proxy-sync-failed') kubeProxySync(draft, sorted, artifacts);
      // kube-proxy cannot use nftables at all: worded by what it lacks; critical unless it started again later
      if (sig.id === 'log.kube-proxy-nftables-unavailable') kubeProxyNftablesUnavailable(draft, sorted, artifacts);
      // kube-proxy in a node container cannot set conntrack limits; other fatal lines of kube-proxy's; svclb's own
      // namespace without forwarding (never the host's sysctl); netavark's nft ENOENT worded by its context
      if (sig.id === 'log.kube-proxy-conntrack-setup-failed') kubeProxyConntrackSetup(draft, sorted, artifacts);
      if (sig.id === 'log.kube-proxy-fatal' && !kubeProxyFatal(draft, sorted, artifacts, NOT_QUIET)) continue;
      if (sig.id === 'log.svclb-forwarding-disabled' && !svclbForwarding(draft, sorted, artifacts)) continue;
      if (sig.id === 'log.netavark-nftables-failed') netavarkNftables(draft, sorted, artifacts);
      if (sig.id === 'log.neighbour-table-overflow') neighbourOverflow(draft, sorted, e.count, artifacts);
      if (sig.id === 'log.docker-dns-fallback-public') dnsFallback(draft, artifacts);
      // H72: the candidate ranges Docker 1.x rejected before it (moby/moby#6442's debug lines) and the routes that took them
      if (sig.id === 'log.docker-no-free-address-pool') noFreePool(draft, sorted, facts, artifacts, host, byId.get('log.docker-pool-candidate')?.matches ?? []);
      // H98 (R31 c01): a LOG rule of the host's own whose packets the bundle's rules accept after logging: no finding
      if (sig.id === 'log.firewall-rejected-container-traffic' && !firewallRejected(draft, node, sorted, e.count, artifacts, host)) continue;
      if (sig.id === 'log.calico-bgp-not-established') calicoBgp(draft, sorted, e.count, facts, artifacts);
      if (sig.id === 'log.iptables-couldnt-load-match') missingChainTarget(draft, sorted, host, node, artifacts, cmdNode);
      // kube-proxy's own iptables older than 1.8 (legacy only) against kubelet's chain: the back ends are split (kubernetes#71305)
      if (sig.id === 'log.iptables-couldnt-load-match') legacyRestoreSkew(draft, sorted, artifacts);
      // H64: Docker's chains gone (firewalld's passthrough: firewalld reloaded over them; dockerd's own: a unit flushed them); a chain name as target
      if (sig.id === 'log.iptables-no-chain' || sig.id === 'log.iptables-couldnt-load-match')
        dockerChainsGone(draft, sig.id, sorted, byId.get('log.docker-daemon-initialized')?.matches ?? [], host.restartDocker());
      // H64: ENETUNREACH: IPv6 tried first, a ClusterIP before kube-proxy's DNAT, the default route
      // H72: an IPv6 address on a host without an IPv6 route is the dual-stack fallback (info) unless the client had no IPv4 to try
      if (sig.id === 'log.network-unreachable')
        networkUnreachableFallback(draft, sorted, byId.get('log.client-connect-step')?.matches ?? [], artifacts, networkUnreachable, ['log.connection-timed-out', 'log.connection-refused', 'log.connection-failed'].flatMap((id) => byId.get(id)?.matches ?? []));
      // H64: a CNI image's legacy iptables on an nf_tables host (flannel#1306): the back ends first, the module after
      if ((sig.id === 'log.iptables-table-unavailable' || sig.id === 'log.flannel-iptables-failed') && imageLegacy(draft, sig.id, sorted, artifacts, [...byId.values()].flatMap((v) => v.matches)) === 'folded') continue;
      // Bad rule answering a -C check, not a delete: iptables-nft 1.8.0-1.8.2's -C bug (kubernetes#82361)
      if (sig.id === 'log.iptables-bad-rule') badRuleCheck(draft, sorted, byId.get('log.iptables-check-command')?.matches ?? [], artifacts);
      // H60: Docker's / libvirt's routine delete of its own bridge rule, absent before it adds it (moby/libnetwork#2622)
      if (sig.id === 'log.iptables-bad-rule' && e.count <= sorted.length) badRuleRoutineDelete(draft, sorted);
      if (sig.id === 'log.vxlan-bad-udp-checksum') vxlanChecksum(draft, facts, { matches: sorted, workarounds, artifacts });
      if (sig.id === 'log.docker-firewalld-zone-conflict') firewalldZoneConflict(draft, sorted);
      if (sig.id === 'log.nf-tables-chain-missing') kubeletChainMissing(draft, sorted);
      if (sig.id === 'log.iptables-restore-failed') restoreFailed(draft, sorted, sig.meaning, byId);
      // a command at a shell prompt, a message quoted in a sentence: not a log event of their own (R13 #10)
      if (sig.id === 'log.firewall-restart') promptCommand(draft, sorted, sig.meaning);
      // H68 (R23 12): firewalld reloaded under Docker 20.10+: Docker writes its rules again by itself
      if (sig.id === 'log.firewall-restart' && !draft.facts?.shellCommand) firewalldReloadDocker(draft, sorted, artifacts, host.restartDocker());
      if (sig.id === 'log.ports-not-listening' || sig.id === 'log.port-timeout') quotedInProse(draft, sorted);
      // H84: the kinds of DNS failure and what each resolver is (Docker's embedded DNS, systemd-resolved, kube-dns); info when every name simply does not exist
      // H91: kube-dns only where the bundle shows Kubernetes, the host's own nameserver named; failures at boot before the
      // network was online, or whose names were answered later, are history (info)
      if (sig.id === 'log.dns-lookup-failed') dnsLookupFailed(draft, sorted, { complete: e.count <= sorted.length, byId, artifacts, host });
      // H91: the runtime without a CNI network only until the node became ready: start-up, resolved
      if (sig.id === 'log.cni-not-initialized') cniNotInitialized(draft, sorted, sig.meaning, { complete: e.count <= sorted.length, ready: byId.get('log.node-became-ready')?.matches ?? [], artifacts });
      if (sig.id === 'log.connection-timed-out') virtualBoxNatDns(draft, sorted, sorted.filter((m) => userNat.virtualbox.includes(m)), sig.meaning);
      // H84: a DNS lookup's path is traced only where the resolver did not answer or refused (not NXDOMAIN / SERVFAIL: the resolver answered)
      // H91: nor where every failure is history (draft.facts.past)
      if (CONNECTION_FAILURES.has(sig.id) && !draft.facts?.past) traceCommands(draft, sorted.filter((m) => !userNat.virtualbox.includes(m) && (sig.id !== 'log.dns-lookup-failed' || ['timeout', 'refused'].includes(dnsLookupKind(m.facts) ?? ''))));
      if (CONNECTION_FAILURES.has(sig.id)) beforeWorkaround(draft, sorted, workarounds);
      // flannel exits on it (k3s with it: `level=fatal msg="flannel exited: ...`): the node's pods have no cross-node network
      if (sig.id === 'log.flannel-incompatible-addresses' && sorted.some((m) => /level=fatal|flannel exited|F\d{4} /.test(m.excerpt))) {
        draft.severity = 'critical';
        draft.message += ' flannel exited on it: until the address is gone, the node runs no flannel.';
      }
      out.push(draft);
      lines.set(draft, { matches: sorted, complete: e.count <= sorted.length });
    }
    // H102 (moby/moby#6442): every one of Docker 1.x's candidate ranges rejected and none taken, the final error not in the logs
    if (!out.some((d) => d.id === 'log.docker-no-free-address-pool')) {
      const exhausted = candidatesExhaustedFinding(node, byId.get('log.docker-pool-candidate')?.matches ?? [], artifacts);
      if (exhausted) out.push(exhausted);
    }
    if (kubectl.length > 0) out.push(kubectlWithoutKubeconfig(node, inTimeOrder(kubectl)));
    if (userNat.slirp.length > 0) {
      const sorted = inTimeOrder(userNat.slirp);
      const draft = slirp4netnsDnsTimeout(node, sorted, userNat.slirpCount, userNat.signs, asEvidence, userNat.hostResolver);
      out.push(draft);
      lines.set(draft, { matches: sorted, complete: true });
    }
    return foldSameLines(foldCniSetupIntoProxy(foldRestoreIntoMissingChain(foldRestoreIntoMissingModule(out))), lines);
  },
});

/** A target named like a chain (`KUBE-MARK-DROP`, `DOCKER-USER`, `CNI-HOSTPORT-DNAT`), not an extension (MASQUERADE, DNAT, TPROXY). */
const CHAIN_TARGET = /^(?:KUBE|DOCKER|CNI|CILIUM|cali|FLANNEL|WEAVE|NETAVARK|LIBVIRT|ufw6?|f2b|YOURLS)[-_]|^[A-Z][A-Z0-9]*-[A-Z0-9-]+$/;

/**
 * `Couldn't load target 'KUBE-MARK-DROP'`: the rule set jumps to a chain that is not in that table (iptables
 * says "target" for a chain it cannot find). Not a version or kernel-module problem then: the chain's
 * owner did not create it. kubelet made KUBE-MARK-DROP (and KUBE-MARK-MASQ) for the cluster's primary
 * family only on dual-stack nodes, so kube-proxy's ip6tables-restore fails at every sync and no IPv6
 * Service is programmed (kubernetes#96468): creating it in the ip6tables nat table lets the restore through.
 */
function missingChainTarget(draft: FindingDraft, matches: LogMatch[], host: HostView, node: string, artifacts: NodeArtifacts, cmdNode = node): void {
  const chains = [...new Set(matches.filter((m) => m.facts.kind === 'target' && m.facts.module && CHAIN_TARGET.test(m.facts.module)).map((m) => m.facts.module))];
  if (chains.length === 0 || chains.length < new Set(matches.map((m) => m.facts.module)).size) return;
  const v6 = matches.some((m) => /ip6tables/.test(m.excerpt) || m.facts.tool?.startsWith('ip6tables'));
  const tool = v6 ? 'ip6tables' : 'iptables';
  const markDrop = chains.includes('KUBE-MARK-DROP');
  draft.title = `The rules jump to a chain that does not exist (${chains.join(', ')})`;
  draft.message =
    draft.message.replace(/: iptables does not know a match or target[^]*$/, ': ') +
    `the rule set ${v6 ? "kube-proxy (or another component) loads with ip6tables-restore" : 'a component loads'} jumps to ${chains.join(', ')}, which is not in that table (iptables says "Couldn't load target" for a chain it cannot find), so the whole restore fails and nothing of it is applied. ` +
    (markDrop ? markDropSentence(v6) : 'Not a back-end or version mismatch: the chain\'s owner did not create it (or something deleted it).');
  draft.facts = { ...draft.facts, missingChains: chains, family: v6 ? 'ipv6' : 'ipv4' };
  // kube-proxy's own chains gone between its syncs: someone deletes them; Calico's eBPF data plane does by default
  if (!markDrop && chains.every(isKubeProxyChain)) {
    kubeProxyChainsDeleted(draft, chains, tool, node, artifacts, cmdNode);
    return;
  }
  draft.remedy = markDrop
    ? markDropRemedy(v6)
    : {
        summary: `Recreate ${chains.join(', ')} by restarting the component that owns ${chains.length > 1 ? 'them' : 'it'} (its name says whose it is), then check the restore succeeds; do not align iptables versions for this.`,
        commands: [...chains.map((c) => `${tool} -S ${c} 2>&1 | head -3; ${tool} -t nat -S ${c} 2>&1 | head -3   # which table holds it, if any`), ...(chains.some((c) => c.startsWith('DOCKER')) ? host.restartDocker() : [])],
      };
}

function markDropSentence(v6: boolean): string {
  return v6
    ? "KUBE-MARK-DROP is kubelet's chain, not kube-proxy's: kubelet created it for the cluster's primary IP family only, so on this dual-stack node the IPv6 nat table lacks it and every IPv6 sync of kube-proxy fails: IPv6 Services and NodePorts are not programmed (kubernetes#96468). Not a back-end or version mismatch."
    : // an IPv4 node (R9: openshift/installer#1816's OpenShift 4.1 kube-proxy beside a kubelet that made no such chain)
      "KUBE-MARK-DROP is kubelet's chain, not kube-proxy's: kube-proxy's rules jump to it but only kubelet creates it (before Kubernetes 1.28), and this node's nat table lacks it (kubelet did not create it, or something deleted it), so every sync of kube-proxy fails: Services and NodePorts are not programmed. Not a back-end or version mismatch.";
}

/** KUBE-MARK-DROP created as kubelet makes it (checked with the real ip6tables 1.8.9: twice, one chain, one rule). */
function markDropRemedy(v6: boolean): Remedy {
  const tool = v6 ? 'ip6tables' : 'iptables';
  return {
    summary: `Create KUBE-MARK-DROP in the ${v6 ? 'IPv6 ' : ''}nat table as kubelet makes it (the chain and its one MARK rule), so kube-proxy's next sync succeeds; then ${v6 ? 'upgrade kubelet and kube-proxy to a release that manages the chain for both IP families' : 'run kubelet and kube-proxy of matching releases (a kube-proxy image that relies on a chain this kubelet does not make is the usual cause)'}.`,
    commands: [
      `${tool} -t nat -L KUBE-MARK-DROP -n >/dev/null 2>&1 || ${tool} -t nat -N KUBE-MARK-DROP`,
      `${tool} -t nat -C KUBE-MARK-DROP -j MARK --set-xmark 0x8000/0x8000 2>/dev/null || ${tool} -t nat -A KUBE-MARK-DROP -j MARK --set-xmark 0x8000/0x8000`,
      `kubectl -n kube-system logs -l k8s-app=kube-proxy --tail=20 | grep -i 'sync failed'   # gone within its sync period`,
    ],
  };
}

/** iptables-nft's wording of the same (`Chain 'KUBE-MARK-DROP' does not exist`): kubelet's chain, created as kubelet makes it. */
function kubeletChainMissing(draft: FindingDraft, matches: LogMatch[]): void {
  const chains = [...new Set(matches.map((m) => m.facts.chain).filter(Boolean))];
  if (chains.length !== 1 || chains[0] !== 'KUBE-MARK-DROP') return;
  const v6 = matches.some((m) => /ip6tables/.test(m.excerpt) || m.facts.tool?.startsWith('ip6tables'));
  draft.title = "kubelet's KUBE-MARK-DROP chain does not exist";
  draft.message = `${draft.message} ${markDropSentence(v6)}`;
  draft.facts = { ...draft.facts, missingChains: chains, family: v6 ? 'ipv6' : 'ipv4' };
  draft.remedy = markDropRemedy(v6);
}

/**
 * H75: the timed-out lookups to 10.0.2.3:53 a user-mode NAT answers itself (analyzers/lib/user-mode-nat.ts).
 * slirp4netns' leave log.connection-timed-out (one line, one diagnosis; its lines past the scanner's cap are
 * counted with them in the share they were seen); VirtualBox NAT's stay in it, to be worded there.
 */
function takeUserModeNatLines(byId: Map<string, { matches: LogMatch[]; count: number }>, artifacts: NodeArtifacts) {
  const e = byId.get('log.connection-timed-out');
  const split = userModeNatLines(e?.matches ?? [], artifacts);
  let slirpCount = split.slirp.length;
  if (e && split.slirp.length > 0) {
    const rest = e.matches.filter((m) => !split.slirp.includes(m));
    // lines past the cap: as many more of the same kind as the seen ones are
    const unseen = Math.max(0, e.count - e.matches.length);
    const mine = rest.length === 0 ? unseen : Math.round((unseen * split.slirp.length) / e.matches.length);
    slirpCount += mine;
    e.matches = rest;
    e.count = Math.max(rest.length, e.count - slirpCount);
  }
  return { ...split, slirpCount };
}

/** The client-side connection failures whose peer the lines name. */
const CONNECTION_FAILURES = new Set(['log.connection-timed-out', 'log.connection-refused', 'log.no-route-to-host', 'log.dns-lookup-failed']);

/**
 * The path to each peer the lines name by address (up to three), ready for `bundle-doctor trace`: the
 * rules of the bundle decide whether a packet from the client gets there. The client's own address is
 * in the line only for Go's socket pairs; else the engineer fills it in (a container's, a pod's).
 *
 * H60 (R19 N5): reports are shared with customers, who do not have bundle-doctor, so the trace lines are no
 * fix command: they go in `facts.supportTrace` (the JSON report) and in one remedy sentence addressed to support.
 */
function traceCommands(draft: FindingDraft, matches: LogMatch[]): void {
  const seen = new Set<string>();
  const out: string[] = [];
  const peers: string[] = [];
  for (const m of matches) {
    const { host, port, source } = m.facts;
    if (!host || !port || !parseIp(host)) continue;
    const proto = m.facts.protocol === 'udp' ? 'udp' : 'tcp';
    const dst = `${host.includes(':') ? `[${host}]` : host}:${port}/${proto}`;
    const src = source && parseIp(source) ? source : '<client address>';
    const cmd = `bundle-doctor trace <bundle> --src ${src} --dst ${dst}`;
    if (seen.has(cmd)) continue;
    seen.add(cmd);
    out.push(cmd);
    peers.push(`${host}:${port}`);
    if (out.length === 3) break;
  }
  if (out.length === 0) return;
  draft.facts = { ...(draft.facts ?? {}), supportTrace: out };
  const unknownSource = out.some((c) => c.includes('<client address>'));
  draft.remedy.supportNote =
    `${out.join('; ')} shows which rule of the bundle's decides a packet to ${[...new Set(peers)].join(', ')}` +
    (unknownSource ? " (the client address is the container's or pod's that wrote the line)." : '.');
}

/**
 * kube-proxy's `Failed to execute iptables-restore ... Couldn't load target 'KUBE-MARK-DROP' ... Error
 * occurred at line: 269` (iptables-nft: `Chain 'KUBE-MARK-DROP' does not exist`) is one failure told in three lines: the restore-failed finding, whose advice is
 * to align back ends, is wrong where the missing-chain one explains it. Its lines join that finding.
 */
function foldRestoreIntoMissingChain(out: FindingDraft[]): FindingDraft[] {
  const chain = out.find((d) => (d.id === 'log.iptables-couldnt-load-match' || d.id === 'log.nf-tables-chain-missing') && d.facts?.missingChains);
  const restore = out.find((d) => d.id === 'log.iptables-restore-failed');
  if (!chain || !restore) return out;
  const near = (e: Evidence) => chain.evidence.some((c) => c.file === e.file && e.line >= c.line - 2 && e.line <= c.line + 6);
  if (!restore.evidence.every(near) || Number(restore.facts?.count ?? 0) > restore.evidence.length) return out;
  // the restore's own lines (its `Error occurred at line:`), not the ones the chain finding cites already (R9: each listed twice)
  const cited = (e: Evidence) => chain.evidence.some((c) => c.file === e.file && c.line === e.line);
  chain.evidence.push(...restore.evidence.filter((e) => !cited(e)).map((e) => ({ ...e, note: `${e.note ? `${e.note}; ` : ''}the same failed restore` })));
  chain.related = [...new Set([...(chain.related ?? []), restore.id!])];
  return out.filter((d) => d !== restore);
}

/**
 * kube-proxy's `Failed to execute iptables-restore` err=< ... `Couldn't load target `REJECT'` (k3s-io/k3s#10099) or
 * `Extension recent revision 0 not supported, missing kernel module?` (k3s-io/k3s#9243) ... `Error occurred at line: 9`:
 * one failure, whose cause is the module the kernel lacks. The restore's lines (its header above the module line, its
 * `Error occurred at line:` below it, inside one message) join the module finding, as the missing chain's do
 * (foldRestoreIntoMissingChain); a restore failure with a line of its own elsewhere stays a finding.
 */
function foldRestoreIntoMissingModule(out: FindingDraft[]): FindingDraft[] {
  const mod = out.find((d) => d.id === 'log.iptables-module-missing');
  const restore = out.find((d) => d.id === 'log.iptables-restore-failed');
  if (!mod || !restore) return out;
  const near = (e: Evidence) => mod.evidence.some((c) => c.file === e.file && e.line >= c.line - 2 && e.line <= c.line + 6);
  if (!restore.evidence.every(near) || Number(restore.facts?.count ?? 0) > restore.evidence.length) return out;
  const cited = (e: Evidence) => mod.evidence.some((c) => c.file === e.file && c.line === e.line);
  for (const e of restore.evidence.filter((x) => !cited(x))) {
    const at = mod.evidence.findIndex((c) => c.file === e.file && c.line > e.line);
    const add = { ...e, note: `${e.note ? `${e.note}; ` : ''}the same failed restore` };
    if (at < 0) mod.evidence.push(add);
    else mod.evidence.splice(at, 0, add);
  }
  mod.related = [...new Set([...(mod.related ?? []), restore.id!])];
  return out.filter((d) => d !== restore);
}

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

/**
 * Swarm's ingress chain found missing (firewalld/firewalld#503). The same lines come from Docker's own
 * checks at a healthy Swarm start, so what they mean rests on the rest of the bundle:
 * - the live nat rules (a full dump) hold DOCKER-INGRESS: it is there now, info;
 * - a Swarm node whose live nat rules lack it: the routing mesh is down on this node, critical;
 * - a firewalld reload or restart logged before them: the reload took the chains, warning;
 * - else info, the meaning saying both readings.
 * Docker 29.0 re-creates them on firewalld's reload (moby#50443): then no restart is asked for.
 */
function swarmIngress(draft: FindingDraft, matches: LogMatch[], restarts: LogMatch[], cleanups: LogMatch[], artifacts: NodeArtifacts, host: HostView): void {
  const first = matches[0];
  // a reload, restart or stop of firewalld takes the chains; its start (at boot, before Docker) does not (R11 p22)
  const flushes = inTimeOrder(restarts).filter((r) => /firewalld|firewall-cmd|dynamic firewall daemon/.test(r.excerpt) && /reload|restart|stop/i.test(r.excerpt) && precedes(r, first));
  // Docker's own start-up cleanup (`-F DOCKER-ISOLATION`, `-D FORWARD -i docker0 ...` failing) between the reload and the
  // checks: dockerd (re)started after it, and a start creates Swarm's chains again
  const last = flushes[flushes.length - 1];
  const dockerStart = last ? cleanups.find((c) => /DOCKER|docker0|docker_gwbridge/.test(c.excerpt) && precedes(last, c) && precedes(c, first) && !(c.file === last.file && c.line === last.line)) : undefined;
  const reloads = dockerStart ? [] : flushes;
  if (dockerStart) draft.message += ` dockerd started after the firewall's reload (its start-up cleanup, ${dockerStart.file}:${dockerStart.line}): these are its checks while it creates its chains again.`;
  // a whole nat table (its built-in chains listed, not cut at its top): a single chain's listing says nothing of the others
  const nat = liveViews(artifacts).flatMap((v) => {
    const t = v.tables.get('nat');
    return t && t.has('PREROUTING') && t.has('POSTROUTING') && !v.truncated.has('nat') ? [{ chains: t, file: v.files.get('nat')! }] : [];
  });
  const present = nat.find((n) => n.chains.has('DOCKER-INGRESS'));
  const swarm = swarmNode(artifacts);
  const answer = dockerOnFirewalldReload(artifacts);
  // the lines' own reading, once the rest of the bundle has chosen between a healthy start and a reload
  const plain = (meaning: string) => {
    draft.message = draft.message.replace(/: An iptables command on Swarm's routing-mesh chain[^]*$/, `: ${meaning}`);
  };
  if (present) {
    const c = present.chains.get('DOCKER-INGRESS')!;
    draft.message += ` DOCKER-INGRESS is in the nat rules now (${c.ref.file}:${c.ref.line}): it was missing only for a while (Docker's own checks at start, or restored since).`;
    draft.evidence.push({ file: c.ref.file, line: c.ref.line, excerpt: 'nat chain DOCKER-INGRESS', note: 'Swarm\'s ingress chain, present in the nat rules' });
    return;
  }
  if (swarm && nat.length > 0) {
    draft.severity = 'critical';
    draft.title = "Swarm's ingress chains are gone: published Swarm service ports do not answer on this node";
    plain("Docker's checks of Swarm's routing-mesh chain DOCKER-INGRESS found it gone, and it is still gone: the routing mesh does not publish Swarm services' ports on this node.");
    draft.message += ` This node is in a Swarm (${swarm.says}) and its nat rules (${nat[0].file}) have no DOCKER-INGRESS chain${reloads.length > 0 ? `; firewalld reloaded before the lines (${reloads.slice(0, 3).map((r) => `${r.file}:${r.line}`).join(', ')}): that is what removed it` : ''}.`;
    draft.evidence.push(swarm.evidence);
  } else if (reloads.length > 0) {
    draft.severity = 'warning';
    draft.title = "A firewalld reload removed Swarm's ingress chain DOCKER-INGRESS";
    plain("Docker's checks of Swarm's routing-mesh chain DOCKER-INGRESS found it, or its RETURN rule, gone. Docker before 29.0 does not put Swarm's ingress chains back when firewalld reloads (moby#50443): published Swarm service ports stop answering on this node until dockerd restarts.");
    draft.message += ` firewalld reloaded before the lines (${reloads.slice(0, 3).map((r) => `${r.file}:${r.line}`).join(', ')}): the reload removed the chains, and these are the checks that found them gone.${swarm ? ` The node is in a Swarm (${swarm.says}).` : ''}`;
    draft.evidence.push(...reloads.slice(0, 3).map(asEvidence));
  } else return;
  if (answer?.restoresAll) {
    draft.message += ` ${answer.says}.`;
    return;
  }
  draft.remedy = {
    summary: `Restart docker on this node: it creates Swarm's ingress chains (nat and filter DOCKER-INGRESS) and their jumps again (this restarts its containers). ${answer ? `${answer.says}.` : 'Docker before 29.0 does not re-create them when firewalld reloads (moby#50443): restart it after every firewall-cmd --reload, or upgrade.'}`,
    commands: [...draft.remedy.commands.filter((c) => c.startsWith('iptables')), ...host.restartDocker()],
  };
}

/** A Swarm node: docker info's `Swarm: active`, else Swarm's bridge docker_gwbridge in ip addr. */
function swarmNode(artifacts: NodeArtifacts): { says: string; evidence: Evidence } | undefined {
  const s = swarmActive(artifacts);
  if (s) return { says: `docker info: "${s.excerpt.trim()}"`, evidence: { file: s.ref.file, line: s.ref.line, excerpt: s.excerpt, note: 'docker info: the node is in a Swarm' } };
  const gw = interfacesOf(artifacts.ipAddr ?? []).get('docker_gwbridge');
  if (gw) return { says: `Swarm's bridge docker_gwbridge in ${gw.ref.file}`, evidence: { file: gw.ref.file, line: gw.ref.line, excerpt: 'docker_gwbridge', note: "Swarm's bridge: the node is in a Swarm" } };
  return undefined;
}

/** kube-proxy's own chains (iptables mode): its Service, endpoint, firewall and node-port chains */
const KUBE_PROXY_OWN_CHAIN = /^KUBE-(?:SERVICES|NODEPORTS|POSTROUTING|EXTERNAL-SERVICES|PROXY-FIREWALL|FORWARD|PROXY-CANARY)$/;
const isKubeProxyChain = (c: string) => KUBE_PROXY_SERVICE_CHAIN.test(c) || KUBE_PROXY_OWN_CHAIN.test(c);

/**
 * kube-proxy's restore jumps to one of its own chains that is gone: kube-proxy writes only the chains that changed
 * since its last sync (1.26+), so another agent deleted it between two syncs. Calico's eBPF data plane does so by
 * default: with bpfEnabled, Felix removes kube-proxy's iptables rules unless bpfKubeProxyIptablesCleanupEnabled is
 * false (projectcalico/calico#10538; Calico's "Avoiding conflicts with kube-proxy"). Restarting kube-proxy does not
 * hold while Felix keeps cleaning.
 */
function kubeProxyChainsDeleted(draft: FindingDraft, chains: string[], tool: string, node: string, artifacts: NodeArtifacts, cmdNode = node): void {
  const felix = felixKubeProxyCleanup(artifacts.felixConfig ?? [], node);
  const cite = (s: { ref: { file: string; line: number }; excerpt: string }, note: string): Evidence => ({ file: s.ref.file, line: s.ref.line, excerpt: s.excerpt, note });
  const restartKubeProxy = `kubectl -n kube-system delete pod -l k8s-app=kube-proxy --field-selector spec.nodeName=${cmdNode}   # kube-proxy's next start writes every chain again`;
  const check = `${tool}-save -t nat | grep -c '^:KUBE-SVC-'   # kube-proxy's Service chains now (0: something keeps deleting them)`;
  if (felix?.cleans) {
    draft.message += ` Calico's eBPF data plane is on (${felix.bpf.excerpt}, ${felix.bpf.ref.file}:${felix.bpf.ref.line}) and its kube-proxy cleanup ${felix.cleanup ? `is on (${felix.cleanup.ref.file}:${felix.cleanup.ref.line})` : 'is not turned off (bpfKubeProxyIptablesCleanupEnabled defaults to true)'}: Felix deletes kube-proxy's iptables chains, and kube-proxy's next restore jumps to chains that are gone (projectcalico/calico#10538). Restarting kube-proxy does not hold while Felix keeps cleaning.`;
    draft.evidence.push(cite(felix.bpf, "Calico's eBPF data plane is on"), ...(felix.cleanup ? [cite(felix.cleanup, "Felix's kube-proxy cleanup is on")] : []));
    draft.facts = { ...draft.facts, deletedBy: 'calico-ebpf-kube-proxy-cleanup' };
    draft.remedy = {
      summary:
        "Keep one service proxy. Either let kube-proxy run beside Calico's eBPF data plane and turn Felix's kube-proxy cleanup off (then restart kube-proxy on the node so it writes every chain again), or let Calico's eBPF data plane replace kube-proxy and stop kube-proxy on Calico's nodes (Calico's documented nodeSelector patch on the kube-proxy DaemonSet).",
      commands: [
        `kubectl patch felixconfiguration default --type merge -p '{"spec":{"bpfKubeProxyIptablesCleanupEnabled":false}}'   # kube-proxy stays: Felix stops deleting its chains`,
        restartKubeProxy,
        check,
        `# or, kube-proxy goes: kubectl patch ds -n kube-system kube-proxy -p '{"spec":{"template":{"spec":{"nodeSelector":{"non-calico":"true"}}}}}'`,
      ],
    };
    return;
  }
  if (felix) {
    draft.message += ` Calico's eBPF data plane is on (${felix.bpf.ref.file}:${felix.bpf.ref.line}) with its kube-proxy cleanup turned off (${felix.cleanup!.excerpt}, ${felix.cleanup!.ref.file}:${felix.cleanup!.ref.line}): Felix no longer deletes kube-proxy's chains. Lines logged before that change are explained by it; if they go on, another agent deletes the chains.`;
    draft.evidence.push(cite(felix.bpf, "Calico's eBPF data plane is on"), cite(felix.cleanup!, "Felix's kube-proxy cleanup is off"));
    draft.remedy = { summary: "Restart kube-proxy on the node so it writes every chain again; if the failures come back, find what deletes kube-proxy's chains (another kube-proxy replacement, a firewall reload, a cleanup script).", commands: [restartKubeProxy, check] };
    return;
  }
  draft.message += " kube-proxy writes only the chains that changed since its last sync, so another agent deleted it in between: a kube-proxy replacement cleaning up kube-proxy's rules (Calico's eBPF data plane does by default, projectcalico/calico#10538; Cilium's kube-proxy replacement), a firewall reload, or a cleanup script.";
  draft.remedy = {
    summary: "Find what deletes kube-proxy's chains before restarting it (a restart alone will not hold while the deleter runs): on Calico, eBPF mode with bpfKubeProxyIptablesCleanupEnabled not false removes them; then restart kube-proxy on the node so it writes every chain again.",
    commands: [
      "kubectl get felixconfiguration -o yaml | grep -iE 'name:|bpfEnabled|bpfKubeProxyIptablesCleanupEnabled'   # Calico: eBPF on and its kube-proxy cleanup not false deletes these chains",
      ...chains.slice(0, 3).map((c) => `${tool} -t nat -S ${c} 2>&1 | head -3   # still gone?`),
      restartKubeProxy,
    ],
  };
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
function conntrack(draft: FindingDraft, matches: LogMatch[], lineCount: number, kubeProxy: LogMatch[], artifacts: NodeArtifacts, context: Record<string, string[]>): void {
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
  // every line is packets dropped (the kernel rate-limits them): several recent ones, or the table still full, is an outage;
  // "recent" against the logs' end, whose guessed years (klog's, syslog's) do not count
  const old = olderThanLogsEnd(matches, artifacts.logs);
  const stillFull = maxN !== undefined && countN !== undefined && maxN > 0 && countN / maxN >= 0.9;
  if (stillFull || (lineCount >= 3 && !old)) {
    draft.severity = 'critical';
    draft.title = 'The conntrack table is full: the kernel drops new connections';
    if (!stillFull) draft.message += ` ${lineCount} lines: new connections (to Services and ingress too) were being dropped then.`;
  } else if (old) draft.message += " The last line is more than a day older than the logs' end: it may be over since.";
  const known = maxN ?? (proxy.length > 0 ? Number(proxy[proxy.length - 1].facts.max) : undefined);
  context.conntrackNew = [known !== undefined && Number.isFinite(known) && known > 0 ? String(known * 2) : '<twice the current limit>'];
  draft.facts = { ...draft.facts, ...facts };
}

// ---- the neighbour table, Docker's DNS fallback ----------------------------------------------

/** the kernel's defaults of net.ipv4/ipv6.neigh.default.gc_thresh1/2/3 (ip-sysctl.rst) */
const NEIGH_DEFAULTS = ['128', '512', '1024'];
/**
 * The values of OpenAI's "Scaling Kubernetes to 2,500 Nodes" (2018), which kubernetes/kops#4533 points
 * to and Kubernetes node guides repeat; doubled where the node already has them or more.
 */
const NEIGH_RAISED = [80000, 90000, 100000];

/**
 * The kernel's neighbour table overflowed: the limits the sysctl dump shows (else the kernel's defaults,
 * said as such), critical where the lines repeat (3 or more) and the last is not a day older than the
 * logs' end, a warning otherwise. The fix is one sysctl.d file written with `>` (the same file however
 * often it runs), for IPv6 too where ndisc_cache overflowed.
 */
function neighbourOverflow(draft: FindingDraft, matches: LogMatch[], count: number, artifacts: NodeArtifacts): void {
  const v6 = matches.some((m) => m.facts.table === 'ndisc_cache' || m.facts.family?.toLowerCase() === 'ipv6');
  const v4 = matches.some((m) => m.facts.table === 'arp_cache' || m.facts.family?.toLowerCase() === 'ipv4' || (!m.facts.table && !m.facts.family));
  const families = [...(v4 ? ['ipv4'] : []), ...(v6 ? ['ipv6'] : [])];
  const sysctl = artifacts.sysctl ?? [];
  const said: string[] = [];
  const raised: Record<string, number[]> = {};
  for (const fam of families) {
    const values = [1, 2, 3].map((i) => runtimeValue(sysctl, `net.${fam}.neigh.default.gc_thresh${i}`)[0]);
    const now = values.every((v) => v && /^\d+$/.test(v.value)) ? values.map((v) => Number(v!.value)) : undefined;
    raised[fam] = now && now[2] >= NEIGH_RAISED[2] ? now.map((n) => n * 2) : NEIGH_RAISED;
    if (!now) continue;
    const defaults = values.every((v, i) => v!.value === NEIGH_DEFAULTS[i]);
    said.push(`net.${fam}.neigh.default.gc_thresh1/2/3 were ${now.join('/')}${defaults ? ' (the kernel defaults)' : ''}`);
    for (const v of values) draft.evidence.push({ file: v!.ref.file, line: v!.ref.line, excerpt: v!.excerpt, note: 'the limit when the bundle was collected' });
  }
  draft.message +=
    said.length > 0
      ? ` When the bundle was collected, ${said.join('; ')}.`
      : ` The bundle has no sysctl dump to tell the limits: the kernel defaults are gc_thresh1/2/3 = 128/512/1024, which the node runs unless something raised them (sysctl -a | grep gc_thresh shows them).`;
  const old = olderThanLogsEnd(matches, artifacts.logs);
  if (count >= 3 && !old) {
    draft.severity = 'critical';
    draft.message += ` ${count} lines: the table keeps overflowing, and new neighbours cannot be added while it does.`;
  } else if (old) draft.message += " The last line is more than a day older than the logs' end: it may be over since.";
  else draft.message += ` ${count === 1 ? 'One line' : `${count} lines`}: the table was full then; it matters if it goes on.`;
  const lines = families.flatMap((fam) => raised[fam].map((n, i) => `'net.${fam}.neigh.default.gc_thresh${i + 1} = ${n}'`));
  draft.facts = { ...draft.facts, families };
  draft.remedy = {
    summary: `Raise the neighbour table's limits for ${families.map((f) => (f === 'ipv4' ? 'IPv4 (arp_cache)' : 'IPv6 (ndisc_cache)')).join(' and ')} in one file in /etc/sysctl.d and apply it: gc_thresh3 is the hard limit, gc_thresh2 the soft one, gc_thresh1 the size below which nothing is collected. ${raised[families[0]] === NEIGH_RAISED ? "80000/90000/100000 are the values of OpenAI's \"Scaling Kubernetes to 2,500 Nodes\", which kubernetes/kops#4533 points to" : 'Twice what the node has now'}; keep gc_thresh3 above the entries the node needs (one per neighbour on each link: containers, pods, peers).`,
    commands: [
      "sysctl -a 2>/dev/null | grep 'neigh.default.gc_thresh'   # the limits now",
      ...families.map((f) => `ip -${f === 'ipv4' ? '4' : '6'} neigh show | wc -l   # ${f === 'ipv4' ? 'IPv4' : 'IPv6'} entries now, against gc_thresh3`),
      `printf '%s\\n' ${lines.join(' ')} > /etc/sysctl.d/90-neigh-gc-thresh.conf`,
      'sysctl --system',
    ],
    caution: 'Each neighbour entry takes kernel memory (a few hundred bytes): size the limits to the node.',
  };
}

/** Docker's fallback to public DNS: the host's resolv.conf with only loopback nameservers, where the bundle has it. */
function dnsFallback(draft: FindingDraft, artifacts: NodeArtifacts): void {
  const files = (artifacts.resolvConf ?? []).filter((f): f is Extract<typeof f, { format: 'resolv.conf' }> => f.format === 'resolv.conf' && (f.hostPath === undefined || f.hostPath === '/etc/resolv.conf') && f.owner === undefined);
  const loopbackOnly = files.filter((f) => f.nameservers.length > 0 && f.nameservers.every((n) => n.loopback));
  for (const f of loopbackOnly)
    for (const n of f.nameservers.slice(0, 3)) draft.evidence.push({ file: n.ref.file, line: n.ref.line, excerpt: n.excerpt, note: "a loopback nameserver: containers cannot reach the host's" });
  if (loopbackOnly.length > 0)
    draft.message += ` The host's resolv.conf (${loopbackOnly.map((f) => f.file).join(', ')}) lists only ${[...new Set(loopbackOnly.flatMap((f) => f.nameservers.map((n) => n.address)))].join(', ')}.`;
}

// ---- dockerd's failed start, Docker's address pools -------------------------------------------

const DOCKER_START_FAILURES = new Set(['log.docker-start-failed', 'log.docker-network-controller-failed', 'log.docker-no-free-address-pool', 'log.docker-firewalld-zone-conflict']);

/**
 * dockerd that did not start runs no container: critical (the README's "broken now"), unless it
 * started after the last failure (dockerd's `Daemon has completed initialization` later in the
 * logs) or the unit state shows it running when the bundle was collected. A pool that a user
 * network (docker network create, compose) could not get leaves dockerd up: its finding keeps its
 * severity.
 */
function dockerStart(draft: FindingDraft, id: string, matches: LogMatch[], started: LogMatch[], artifacts: NodeArtifacts): void {
  const failures = id === 'log.docker-no-free-address-pool' || id === 'log.docker-firewalld-zone-conflict' ? matches.filter((m) => m.facts.daemonStart) : matches;
  if (failures.length === 0) return;
  const last = failures[failures.length - 1];
  // a start line after the last failure: later in the same log, else later in time
  // H68 (R23 14, 38): one test for every "did dockerd start again" (r14-wording.ts dockerStartedAfter)
  const s = dockerStartedAfter([last], started);
  if (s) {
    draft.message += ` dockerd started after it (${dockerStartedSays(s)}).`;
    draft.facts = { ...draft.facts, dockerStartedAfter: `${s.file}:${s.line}` };
    return;
  }
  const state = dockerdState(artifacts);
  if (state.running === true) {
    draft.message += ' docker.service was running when the bundle was collected: a later start came through.';
    if (state.evidence) draft.evidence.push(state.evidence);
    return;
  }
  draft.severity = 'critical';
  draft.message +=
    state.running === false
      ? ` dockerd was not running when the bundle was collected (${state.state}): no container runs on this node.`
      : ' Nothing later in the logs shows dockerd starting: no container runs until it starts.';
  if (state.evidence) draft.evidence.push(state.evidence);
  draft.facts = { ...draft.facts, dockerRunning: state.running ?? 'unknown' };
}

/**
 * H95 (R29 02, 10): modprobe's `Module ip_tables not found in directory /lib/modules/<release>`: the running kernel has no
 * module tree, or none with that module. What it means and the remedy (never modprobe): the release from the path, checked
 * against the bundle's uname where it has one.
 */
function kernelTree(facts: Record<string, string[]>, artifacts: NodeArtifacts | undefined): { sentence: string; summary: string; commands: string[] } | undefined {
  const modules = [...new Set(facts.missingModule ?? [])];
  const kernels = [...new Set(facts.moduleKernel ?? [])];
  if (modules.length === 0 || kernels.length === 0) return undefined;
  const release = kernels[0];
  const uname = artifacts?.uname?.[0];
  const unameSays = uname ? (uname.release === release ? ` uname (${uname.file}) shows the same release running.` : ` uname (${uname.file}) shows ${uname.release} running now: the line is from an earlier boot of ${release}.`) : '';
  // H98 (R31 c06): WSL2's kernel ships no /lib/modules tree (microsoft/WSL#10412): no upgrade broke it, no package installs it
  if (WSL_RELEASE.test(release))
    return {
      sentence: `modprobe found no ${modules.join(', ')} for ${release}, WSL2's kernel, which has no /lib/modules tree at all: its features are built in or missing from the build (no module to load), so modprobe fails for every module, present or not.${unameSays} Whether ${modules.length > 1 ? 'they are' : 'it is'} built in shows in the kernel itself (its sysctl keys, /proc/config.gz), not in modprobe.`,
      summary: `Check whether the kernel has the feature built in before anything else; where it is missing, update WSL's kernel from Windows (wsl --update, then wsl --shutdown), whose newer builds carry more netfilter features, or run a custom WSL kernel built with it (the kernel= setting in .wslconfig). Not modprobe, not a package of modules: WSL's kernel takes none.`,
      commands: [
        `zcat /proc/config.gz | grep -E '${modules.map((m) => WSL_CONFIG[m] ?? m.toUpperCase()).slice(0, 3).join('|')}'   # =y: built in`,
        'sysctl -a 2>/dev/null | grep -E "^net\\.(bridge|netfilter)\\."   # the keys of br_netfilter and nf_conntrack, where they are built in',
        '# in Windows (PowerShell): wsl --update; wsl --shutdown   # a newer WSL kernel',
      ],
    };
  const sentence =
    `modprobe found no ${modules.join(', ')} for the running kernel ${release} (not in /lib/modules/${release}): that kernel's module tree is missing or lacks ${modules.length > 1 ? 'them' : 'it'}. Either the kernel was upgraded and ${release}'s modules were removed while it still runs (no reboot since), or a custom or vendor kernel runs without its modules (never installed, or netfilter not built). modprobe by hand fails the same way.${unameSays}`;
  return {
    sentence,
    summary: `Give the running kernel its modules; retrying modprobe does not help. After a kernel upgrade, reboot into the installed kernel (ls /lib/modules shows the releases whose modules are installed). Else install the modules for ${release}: Debian and Ubuntu linux-modules-$(uname -r) and linux-modules-extra-$(uname -r); a custom kernel: make modules_install from the tree it was built from (with CONFIG_IP_NF_IPTABLES, CONFIG_IP_NF_NAT and CONFIG_IP_NF_FILTER set), or boot a kernel built with netfilter (a cloud provider's bootscript or image with it).`,
    commands: [
      `uname -r; ls /lib/modules   # ${release} should be listed`,
      `find /lib/modules/$(uname -r) -name '${modules[0]}.ko*' 2>&1 | head -3   # "No such file or directory": no module tree for the running kernel; nothing printed: the tree lacks ${modules[0]}`,
      'reboot   # where /lib/modules lists a newer release: the kernel the upgrade installed, with its modules',
      '# Debian/Ubuntu, where the release is a packaged one: apt-get install -y linux-modules-$(uname -r) linux-modules-extra-$(uname -r)',
      '# a custom kernel: in its build tree, make modules_install (then depmod -a), or rebuild with CONFIG_IP_NF_IPTABLES=m CONFIG_IP_NF_NAT=m CONFIG_IP_NF_FILTER=m',
    ],
  };
}

/**
 * H95 (R29 01): iptables-nft's RULE_APPEND / RULE_INSERT refused with ENOENT on a rule that uses no extension: the kernel
 * lacks nf_tables (or nft_compat) support, WSL2's older kernels the classic case (microsoft/WSL#6655, #7705). The same
 * errno comes from a rule whose extension has no module (docker/for-linux#1521): that case has iptables' `missing kernel
 * module?` warning and is worded as the module (extensionModules) before this is tried.
 */
function nfTablesKernel(facts: Record<string, string[]>, artifacts: NodeArtifacts | undefined): { sentence: string; summary: string; commands: string[] } | undefined {
  if (!facts.ruleOp || (facts.backend ?? []).some((b) => b !== 'nf_tables')) return undefined;
  const uname = artifacts?.uname?.[0];
  const wsl = uname && /microsoft/i.test(`${uname.release} ${uname.version ?? ''}`);
  const reason = (facts.reason ?? []).join(' ');
  // a rule with a match or a non-standard target can also fail for its extension's module
  const plain = !/\s-m\s|\s--match\s/.test(reason);
  const sentence =
    `iptables-nft (the nf_tables back end) could not add a rule: ${facts.ruleOp[0]} failed (No such file or directory)${plain ? ' on a rule that uses no extension' : ''}. ` +
    (wsl
      ? `The kernel is WSL2's (${uname!.release}, ${uname!.file}), whose older builds lack the nf_tables support iptables-nft needs (microsoft/WSL#6655).`
      : `That is a kernel without the nf_tables support iptables-nft needs (nf_tables, nft_compat), WSL2's older kernels the classic case (microsoft/WSL#6655)${plain ? '' : ", or a kernel without the module of an extension the rule uses"}; the bundle shows no uname to tell which kernel this is.`);
  return {
    sentence,
    summary:
      "Switch iptables (and ip6tables) to the legacy back end, which this kernel supports; or run a kernel with nf_tables support (WSL: wsl --update from Windows, then wsl --shutdown).",
    commands: [
      'update-alternatives --set iptables /usr/sbin/iptables-legacy',
      'update-alternatives --set ip6tables /usr/sbin/ip6tables-legacy',
      'lsmod | grep -E "^nf_tables|^nft_compat"; modprobe nf_tables nft_compat   # "not found": this kernel has no nf_tables; the legacy switch above is the fix',
      ...(wsl || !uname ? ['# WSL, in Windows (PowerShell): wsl --update; wsl --shutdown   # a newer WSL kernel with nf_tables'] : []),
    ],
  };
}

/**
 * H95: the kernel-tree wording on modprobe's own finding, and on iptables' `Table does not exist (do you need to insmod?)`
 * where modprobe's line for the same kernel precedes it in the log (vzhilov/WDMC-Ex2-Ultra#3: modprobe on line 3,
 * iptables on line 4): its modprobe fix would fail the same way.
 */
function kernelTreeFinding(
  draft: FindingDraft,
  id: string,
  facts: Record<string, string[]>,
  matches: LogMatch[],
  modprobe: LogMatch[],
  artifacts: NodeArtifacts,
  byId?: Map<string, { matches: LogMatch[]; count: number }>,
): void {
  // H98 (R31 c05, c06, c07): modules renamed away, built into the kernel (WSL's), or conntrack helpers nothing needs
  if (id === 'log.kernel-module-not-found' && moduleNotNeeded(draft, facts, artifacts, byId)) return;
  let own = facts;
  if (id === 'log.iptables-table-unavailable' && !facts.missingModule) {
    const near = modprobe.filter((p) => matches.some((m) => m.file === p.file && p.line <= m.line && p.line >= m.line - 3));
    if (near.length === 0) return;
    own = collectFacts(near);
    draft.evidence.unshift(...near.slice(0, 2).map(asEvidence));
  }
  const kernel = kernelTree(own, artifacts);
  if (!kernel) return;
  const wsl = WSL_RELEASE.test(own.moduleKernel![0]);
  if (id === 'log.kernel-module-not-found') draft.title = wsl ? `WSL2's kernel ${own.moduleKernel![0]} has no module ${own.missingModule![0]} to load` : `The running kernel ${own.moduleKernel![0]} has no ${own.missingModule![0]} module`;
  // H98: WSL's kernel has no module tree by design: not the catalog's upgrade-without-reboot meaning
  if (wsl && id === 'log.kernel-module-not-found') draft.message = draft.message.replace(/: modprobe found no such module[^]*$/, ':');
  draft.message += ` ${kernel.sentence}`;
  draft.facts = { ...draft.facts, missingModule: own.missingModule!, moduleKernel: own.moduleKernel! };
  draft.remedy = { summary: kernel.summary, commands: kernel.commands };
}

/** H98 (R31 c05): nf_conntrack_ipv4 / nf_conntrack_ipv6 became part of nf_conntrack (Linux 4.19; RHEL 8's 4.18 backports it). */
const CONNTRACK_L3 = /^nf_conntrack_ipv[46]$/;
/** H98 (R31 c07): a conntrack or NAT helper (FTP, TFTP, SIP ...): protocols container networking does not need */
const CONNTRACK_HELPER = /^nf_(?:conntrack|nat)_(?:ftp|tftp|irc|sip|h323|pptp|amanda|netbios_ns|snmp|snmp_basic|sane|broadcast|proto_gre)$/;
/**
 * H98 (R31 c06): sysctl keys a module registers: present in the bundle's sysctl, the feature is in the running kernel
 * (loaded, or built in, as WSL2's kernel builds br_netfilter: microsoft/WSL#10412, "the default WSL has everything
 * built-in, no modules").
 */
const MODULE_SYSCTL: { module: RegExp; key: RegExp }[] = [
  { module: /^br_netfilter$/, key: /^net\.bridge\.bridge-nf-call-/ },
  { module: /^nf_conntrack$/, key: /^net\.netfilter\.nf_conntrack_/ },
  { module: /^ip_vs$/, key: /^net\.ipv4\.vs\./ },
];
const WSL_RELEASE = /microsoft-standard/i;
/** the kernel option of a module, for grepping a kernel's config (net/bridge/Kconfig, net/netfilter/Kconfig, net/ipv4/netfilter/Kconfig) */
const WSL_CONFIG: Record<string, string> = {
  br_netfilter: 'CONFIG_BRIDGE_NETFILTER',
  bridge: 'CONFIG_BRIDGE=',
  ip_tables: 'CONFIG_IP_NF_IPTABLES',
  iptable_nat: 'CONFIG_IP_NF_NAT',
  iptable_filter: 'CONFIG_IP_NF_FILTER',
  nf_conntrack: 'CONFIG_NF_CONNTRACK=',
  nf_nat: 'CONFIG_NF_NAT=',
  nf_tables: 'CONFIG_NF_TABLES=',
  veth: 'CONFIG_VETH',
  vxlan: 'CONFIG_VXLAN',
  ip_vs: 'CONFIG_IP_VS=',
};

/** A kernel release at or after the merge of nf_conntrack_ipv4 into nf_conntrack (kernel commit a0ae2562c6c4, 4.19; RHEL 8's 4.18.0-*.el8 has it). */
function conntrackMerged(release: string): boolean {
  const v = /^(\d{1,2})\.(\d{1,3})/.exec(release);
  if (!v) return false;
  const [major, minor] = [Number(v[1]), Number(v[2])];
  return major > 4 || (major === 4 && minor >= 19) || (major === 4 && minor === 18 && /\.el8/.test(release));
}

/** The bundle's sysctl line that shows a module's feature in the running kernel, if any. */
function featureShown(module: string, artifacts: NodeArtifacts): SysctlValue | undefined {
  const known = MODULE_SYSCTL.find((x) => x.module.test(module));
  if (!known) return undefined;
  const found = (artifacts.sysctl ?? []).flatMap((s) => [...s.values.values()]).filter((v) => !v.typed && known.key.test(v.key));
  // the key a reader knows best first (bridge-nf-call-iptables before -arptables)
  return found.find((v) => /iptables|_max$/.test(v.key)) ?? found[0];
}

/**
 * H98 (R31 c05, c06, c07): modprobe's `Module X not found` where X is not missing from the kernel in any way that matters:
 * nf_conntrack_ipv4/ipv6 on a kernel that merged them into nf_conntrack (the script is out of date: kubernetes#70398,
 * kubespray#3764, kURL#1470 for RHEL 8's backport); a module whose sysctl keys the bundle shows (built in or loaded); a
 * conntrack/NAT helper no other failure line of the bundle names. Info, worded as such, in place of the module-tree
 * diagnosis; true when every module of the lines is one of these. A WSL2 kernel (microsoft-standard) is worded as WSL's:
 * it has no /lib/modules tree, its features are built in or come with `wsl --update`.
 */
function moduleNotNeeded(draft: FindingDraft, facts: Record<string, string[]>, artifacts: NodeArtifacts, byId?: Map<string, { matches: LogMatch[]; count: number }>): boolean {
  const modules = [...new Set(facts.missingModule ?? [])];
  const release = facts.moduleKernel?.[0];
  if (modules.length === 0 || release === undefined) return false;
  const wsl = WSL_RELEASE.test(release);
  // the lines of other signatures that name the module (an iptables rule with -j CT --helper ftp refused, a daemon's error)
  const cited = (module: string): LogMatch | undefined => {
    const helper = /_(\w+)$/.exec(module)?.[1] ?? module;
    for (const [sid, e] of byId ?? []) {
      if (sid === 'log.kernel-module-not-found') continue;
      const hit = e.matches.find((m) => m.excerpt.includes(module) || new RegExp(`--helper\\s{1,4}${helper}\\b`).test(m.excerpt));
      if (hit) return hit;
    }
    return undefined;
  };
  const says: string[] = [];
  const evidence: Evidence[] = [];
  const commands: string[] = [];
  let title = '';
  for (const mod of modules) {
    if (CONNTRACK_L3.test(mod) && conntrackMerged(release)) {
      says.push(
        `${mod} does not exist on kernel ${release}: it was merged into nf_conntrack in Linux 4.19 (RHEL 8's 4.18 kernels have the change too), so modprobe ${mod} fails there on a healthy kernel. Renamed: load nf_conntrack instead; the script or playbook that asks for ${mod} is out of date (Kubespray, kube-proxy's IPVS checks and others changed to nf_conntrack for 4.19 and later).`,
      );
      commands.push('modprobe nf_conntrack && lsmod | grep ^nf_conntrack   # what replaces nf_conntrack_ipv4 / nf_conntrack_ipv6');
      title ||= `${mod} is now part of nf_conntrack (kernel ${release})`;
      continue;
    }
    const shown = featureShown(mod, artifacts);
    if (shown) {
      says.push(
        `${mod}'s feature is in the running kernel: the bundle's sysctl shows ${shown.key} = ${shown.value}, a key only ${mod} provides, so it is built into the kernel (or loaded) and modprobe's error changes nothing${wsl ? ". This is WSL2's kernel, which has no /lib/modules tree at all: its features are built in, or come with a newer kernel from wsl --update" : ''}.`,
      );
      evidence.push({ file: shown.ref.file, line: shown.ref.line, excerpt: shown.excerpt, note: `${mod}'s sysctl key: the feature is in the running kernel` });
      title ||= `${mod} is built into the kernel${wsl ? " (WSL2's)" : ''}: modprobe's error is harmless`;
      continue;
    }
    if (CONNTRACK_HELPER.test(mod) && !cited(mod)) {
      says.push(
        `${mod} is a connection-tracking or NAT helper for one protocol (FTP, TFTP, SIP and the like), which container networking does not use: Docker, Podman and Kubernetes need nf_conntrack and nf_nat, not the helpers. Whatever asked for it (a firewall tool such as fail2ban, a modules-load.d entry) only loses its support for that protocol, and no other line of the bundle names ${mod}.`,
      );
      title ||= `${mod} is not there: a protocol helper container networking does not need`;
      continue;
    }
    return false;
  }
  draft.severity = 'info';
  draft.title = modules.length === 1 ? title : `modprobe's missing modules are not needed here (${modules.join(', ')})`;
  draft.message = draft.message.replace(/: modprobe found no such module[^]*$/, `: ${says.join(' ')}`);
  draft.evidence.push(...evidence);
  draft.facts = { ...draft.facts, missingModule: modules, moduleKernel: [release], notNeeded: true };
  draft.remedy = {
    summary: `Nothing to fix in the kernel.${commands.length > 0 ? ' Update the script or playbook to load nf_conntrack in place of the old module.' : ''}${evidence.length === 0 && commands.length === 0 ? ' Remove the module from what asks for it (an /etc/modules-load.d file, the tool\'s settings) where the message is unwanted.' : ''}`,
    commands: [...new Set(commands)],
  };
  return true;
}

/** The iptables clause of the network controller's advice, only where its reason is iptables'. */
function networkController(draft: FindingDraft, facts: Record<string, string[]>, matches: LogMatch[], host: HostView, artifacts?: NodeArtifacts): void {
  const reason = (facts.reason ?? []).join(' ');
  // H95: the running kernel has no module tree (modprobe's own words in dockerd's reason), a kernel without nf_tables
  const kernel = kernelTree(facts, artifacts) ?? (extensionModules(facts, matches) ? undefined : nfTablesKernel(facts, artifacts));
  if (kernel) {
    draft.message = draft.message.replace(/ \(chain [^)]{1,200}\)(?=:)/, '') + ` ${kernel.sentence}`;
    draft.remedy = { summary: `${kernel.summary} Then start docker again.`, commands: [...kernel.commands, ...host.restartDocker()] };
    return;
  }
  const modules = extensionModules(facts, matches);
  if (modules) {
    // the chain the failed command works on (FORWARD) says nothing of the cause: the module does
    draft.message = draft.message.replace(/ \(chain [^)]{1,200}\)(?=:)/, '');
    draft.message += ` ${modules.sentence}`;
    draft.facts = { ...draft.facts, extensions: modules.extensions, kernelModules: modules.modules };
    draft.remedy = {
      summary: `${modules.summary} Then start docker again.${modules.docker28 ? ` ${DOCKER_28_IPSET}` : ''}`,
      commands: [...modules.commands, ...host.restartDocker()],
    };
    return;
  }
  if (facts.table || facts.chain || /\biptables\b|\bip6tables\b|nf_tables|xtables|Table does not exist|\bchain\b/i.test(reason))
    draft.remedy.summary += ' The reason names iptables: a missing kernel table module (iptable_nat, iptable_filter), a back-end mismatch (legacy against nf_tables) or flushed chains.';
}

/** moby's 28.0.1 release notes (quoted in hashicorp/nomad#25419): the ipset rules of 28.0.0 were replaced. */
const DOCKER_28_IPSET =
  "Docker 28.0.0 added the rules that match the ipsets docker-ext-bridges-v4/-v6; 28.0.1 removed its dependency on ip_set, ip_set_hash_net and xt_set (moby/moby#49530, the 28.0.1 release notes), so upgrading Docker past 28.0.0 also lets it start without them.";

interface ExtensionModules {
  extensions: string[];
  modules: string[];
  sentence: string;
  summary: string;
  commands: string[];
  /** the command that shows whether the running kernel was built with the extensions' options */
  configCheck?: string;
  docker28: boolean;
}

/** The modules of an extension: ip6tables' own where it has one, the table's, else the module whose alias is ipt_<extension>. */
function modulesOf(extension: string, v6: boolean): { modules: readonly string[]; guessed: boolean } {
  const known = (v6 ? XT_IP6_EXTENSION_MODULES[extension] : undefined) ?? XT_EXTENSION_MODULES[extension] ?? XT_MORE_EXTENSION_MODULES[extension];
  return known ? { modules: known, guessed: false } : { modules: [`ipt_${extension}`], guessed: true };
}

/** The kernel options that build an extension's module (net/netfilter/Kconfig, net/ipv4|ipv6/netfilter/Kconfig). */
function configOf(extension: string, v6: boolean): readonly string[] | undefined {
  return (v6 ? XT_IP6_EXTENSION_CONFIG[extension] : undefined) ?? XT_EXTENSION_CONFIG[extension];
}

/**
 * The kernel modules of the extensions a line says iptables could not use (`Extension set revision 0
 * not supported, missing kernel module?`; legacy iptables' `Couldn't load target `REJECT'`), by
 * XT_EXTENSION_MODULES and XT_MORE_EXTENSION_MODULES (ip6tables' REJECT: ip6t_REJECT); an extension not in
 * the tables gets the kernel's naming (the alias ipt_<name>), said as such. The custom-kernel hint names
 * each extension's own options (XT_EXTENSION_CONFIG). Undefined when the lines name no extension.
 */
function extensionModules(facts: Record<string, string[]>, matches: LogMatch[]): ExtensionModules | undefined {
  const extensions = [...new Set(facts.extension ?? [])];
  if (extensions.length === 0) return undefined;
  const v6 = matches.some((m) => m.facts.tool?.startsWith('ip6tables'));
  const guessed = extensions.filter((e) => modulesOf(e, v6).guessed);
  const modules = [...new Set(extensions.flatMap((e) => modulesOf(e, v6).modules))];
  const docker28 = extensions.includes('set') && matches.some((m) => /docker-ext-bridges-v[46]/.test(m.excerpt) || /docker-ext-bridges-v[46]/.test(m.facts.reason ?? ''));
  const named = extensions.map((e) => `"${e}" (${modulesOf(e, v6).guessed ? `the module with the alias ipt_${e}` : modulesOf(e, v6).modules.join(', ')})`).join(', ');
  // legacy iptables says `Couldn't load target `REJECT'`, iptables-nft `Extension ... not supported, missing kernel module?`
  const notLoaded = matches.filter((m) => m.facts.kind !== undefined && !/missing kernel module\?/.test(m.excerpt));
  const said = notLoaded.length > 0 && notLoaded.length === matches.length ? `"Couldn't load ${notLoaded[0].facts.kind} \`${extensions[0]}'"` : '"missing kernel module?"';
  const builtIn =
    notLoaded.length > 0
      ? ` ${extensions.map((e) => `"${e}"`).join(', ')} ${extensions.length > 1 ? 'are' : 'is'} a built-in iptables extension, not a chain (iptables refuses a chain of that name): the kernel lacks its module, unless the iptables that printed it was built without the extension's own library (libxt_<name>.so: a stripped container image).`
      : '';
  const sentence =
    `iptables could not use the extension${extensions.length > 1 ? 's' : ''} ${named}: the running kernel has no module for ${extensions.length > 1 ? 'them' : 'it'} (${said}), so the rule was not added.${builtIn}` +
    (guessed.length > 0 ? ` modinfo ${guessed.map((e) => `ipt_${e}`).join(' ')} names the module on the node.` : '');
  const options = extensions.map((e) => ({ e, options: configOf(e, v6) }));
  const known = options.filter((o) => o.options);
  const custom =
    known.length > 0
      ? `a custom or vendor kernel needs the option built (${known.map((o) => `${o.options!.join(' and ')} for ${o.e}`).join('; ')}), as a module (=m) or in the kernel (=y)`
      : 'a custom or vendor kernel needs the option that builds the module';
  const file = `/etc/modules-load.d/iptables-${extensions.map((e) => e.toLowerCase()).join('-')}.conf`;
  return {
    extensions,
    modules,
    docker28,
    sentence: docker28 ? `${sentence} Docker 28.0.0 matches its bridges with the ipsets docker-ext-bridges-v4/-v6, which need xt_set, ip_set and ip_set_hash_net.` : sentence,
    ...(known.length > 0
      ? { configCheck: `{ zcat /proc/config.gz 2>/dev/null || cat /boot/config-$(uname -r); } | grep -E '^(# )?(${[...new Set(known.flatMap((o) => o.options!))].join('|')})[= ]'   # "is not set" or nothing: this kernel was built without it` }
      : {}),
    summary: `Load ${modules.join(', ')} and keep ${modules.length > 1 ? 'them' : 'it'} loaded at boot. Where modprobe finds no such module, the running kernel's modules are not installed: on Ubuntu the extra modules package (linux-modules-extra-$(uname -r)); after a kernel upgrade that removed the running kernel's modules, reboot into the installed kernel; ${custom}.`,
    commands: [
      ...modules.map((m) => (guessed.length > 0 && m.startsWith('ipt_') && !Object.values(XT_MORE_EXTENSION_MODULES).some((l) => l.includes(m)) ? `modprobe ${m}   # loads the module whose alias this is; nothing when it is loaded` : `lsmod | grep -qw ${m} || modprobe ${m}`)),
      `printf '%s\\n' ${modules.join(' ')} > ${file}   # loaded again at boot`,
      `modinfo -n ${modules[0]} || ls /lib/modules   # no module for $(uname -r): the kernels whose modules are installed`,
      '# Ubuntu, where modinfo finds none: apt-get install -y linux-modules-extra-$(uname -r)',
    ],
  };
}

/** The kernel options of the legacy tables' modules (net/ipv4/netfilter/Kconfig, net/ipv6/netfilter/Kconfig), and nf_nat's. */
const TABLE_CONFIG: Record<string, string> = { filter: 'FILTER', nat: 'NAT', mangle: 'MANGLE', raw: 'RAW', security: 'SECURITY' };
/** Istio's sidecar interception (istio.io, Platform Requirements: the iptables back end, REDIRECT mode): the modules istio-init needs. */
const ISTIO_MODULES = ['br_netfilter', 'iptable_nat', 'iptable_mangle', 'nf_nat', 'xt_REDIRECT', 'xt_owner', 'xt_conntrack', 'xt_tcpudp', 'xt_multiport'];
const ISTIO_INIT = /istio-init|istio-iptables|ISTIO_(?:REDIRECT|INBOUND|OUTPUT)|istio-validation/;

/**
 * H54 (R18 08): legacy iptables-restore's `unable to initialize table 'nat'` (istio/istio#23009, rancher/rancher#31012): the
 * kernel has no module for that table of the legacy back end loaded (iptable_nat, and nf_nat for nat). Where the lines are
 * istio-init's, Istio's list (xt_REDIRECT, xt_owner ...) and that an init container cannot load modules: the host must.
 */
function tableModules(facts: Record<string, string[]>, matches: LogMatch[], ctx?: ModuleContext): ExtensionModules | undefined {
  const tables = [...new Set(facts.initTable ?? [])];
  if (tables.length === 0) return undefined;
  const v6 = matches.some((m) => /ip6tables/.test(m.facts.tool ?? '') || /ip6tables/.test(m.excerpt));
  // ip6tables alone: on a host booted with ipv6.disable=1 no IPv6 table can be initialized at all, module or not
  // (R20; istio/istio#19380): said, and not critical on its own
  const v6Only = matches.every((m) => /ip6tables/.test(m.facts.tool ?? '') || /ip6tables/.test(m.excerpt));
  const prefix = v6 ? 'ip6table_' : 'iptable_';
  const istio = matches.some((m) => ISTIO_INIT.test(`${m.file} ${m.container ?? ''} ${m.pod ?? ''} ${m.excerpt}`)) || (ctx?.artifacts.logs ?? []).some((l) => ISTIO_INIT.test(l.file));
  const own = [...tables.map((t) => `${prefix}${t}`), ...(tables.includes('nat') ? ['nf_nat'] : [])];
  const modules = istio ? [...new Set([...own, ...ISTIO_MODULES])] : own;
  const version = matches.find((m) => m.facts.version)?.facts;
  const who = version?.version ? `the ${version.backend === 'nf_tables' ? 'iptables-nft' : 'legacy iptables'} ${version.version}${istio ? " in istio-init's image" : ''}` : `iptables${istio ? " in istio-init's image" : ''}`;
  const options = [...tables.map((t) => `CONFIG_IP${v6 ? '6' : ''}_NF_${TABLE_CONFIG[t]}`), ...(tables.includes('nat') ? ['CONFIG_NF_NAT'] : [])];
  const sentence =
    `iptables could not initialize the ${tables.map((t) => `"${t}"`).join(', ')} table ("unable to initialize table '${tables[0]}'"): the running kernel has no ${own.join(', ')} loaded for ${who}, so the whole restore was refused.` +
    (istio ? ` These lines are istio-init's: an init container cannot load kernel modules, so every pod with a sidecar fails to start on this node until the host loads them (Istio's platform requirements list ${ISTIO_MODULES.join(', ')}); or use istio-cni.` : '') +
    (v6Only ? ' Only ip6tables failed: where the host runs without IPv6 (booted with ipv6.disable=1: no /proc/sys/net/ipv6), no IPv6 table can be initialized and no module helps; then what matters is whether the component needs IPv6 rules at all.' : '');
  const file = istio ? '/etc/modules-load.d/istio-iptables.conf' : `/etc/modules-load.d/iptables-${tables.join('-')}.conf`;
  return {
    extensions: [],
    modules,
    docker28: false,
    sentence,
    configCheck: `{ zcat /proc/config.gz 2>/dev/null || cat /boot/config-$(uname -r); } | grep -E '^(# )?(${options.join('|')})[= ]'   # "is not set" or nothing: this kernel was built without it`,
    summary: `On the host (${istio ? 'every node that runs pods with a sidecar' : 'this node'}), load ${modules.join(', ')} and keep them loaded at boot${istio ? ': istio-init cannot' : ''}. Where modprobe finds no such module, the running kernel's modules are not installed (reboot into the installed kernel), or a custom kernel lacks ${options.join(' / ')}.`,
    commands: [
      `for m in ${modules.join(' ')}; do lsmod | grep -qw $m || modprobe $m; done`,
      `printf '%s\\n' ${modules.join(' ')} > ${file}   # loaded again at boot; written with >, so running it twice is safe`,
      ...(istio ? [`kubectl get pods -A --field-selector spec.nodeName=${ctx?.cmdNode ?? '<NODE>'} | grep -E 'Init:(Error|CrashLoopBackOff)'   # the pods to restart once the modules load`] : []),
    ],
  };
}

/** The programs whose lines a module-missing finding holds, as a restart command names them. */
type Writer = 'kube-proxy-pod' | 'kube-proxy-unit' | 'k3s' | 'rke2' | 'k0s' | 'kubelet' | 'docker';

/** The unit or pod that wrote a line: k3s, RKE2 and k0s run kube-proxy inside their own process (their syslog tag). */
function writerOf(m: LogMatch): Writer | undefined {
  if (m.pod?.startsWith('kube-proxy') || m.container === 'kube-proxy') return 'kube-proxy-pod';
  // the syslog tag, else the line's own `k3s[2242]:` (a journal pasted without its date, k3s-io/k3s#10099)
  const unit = m.unit ?? /^(?:\S+ )?([\w.-]{2,40})\[\d{1,9}\]: /.exec(m.excerpt)?.[1] ?? '';
  if (/^k3s(?:-agent|-server)?$/.test(unit)) return 'k3s';
  if (/^rke2(?:-agent|-server)?$/.test(unit)) return 'rke2';
  if (/^k0s(?:worker|controller)?$/.test(unit)) return 'k0s';
  if (unit === 'kube-proxy') return 'kube-proxy-unit';
  if (unit === 'kubelet') return 'kubelet';
  if (unit === 'dockerd' || unit === 'docker') return 'docker';
  return undefined;
}

/** kube-proxy's sync: its `Failed to execute iptables-restore` (proxier.go), or a kube-proxy pod's or Kubernetes distribution's line */
const KUBE_PROXY_RESTORE = /proxier\.go:\d{1,5}\][^\n]{0,40}?Failed to execute ip6?tables-restore|"Failed to execute ip6?tables-restore"/;

interface ModuleContext {
  restores: LogMatch[];
  artifacts: NodeArtifacts;
  host: HostView;
  cmdNode: string;
}

/**
 * iptables' missing-module warning on its own (kube-proxy, a CNI, a script): the modules of its extension,
 * each one's kernel option, the service to restart as the lines' writer says. Where the failed rule is in
 * kube-proxy's restore (its `Failed to execute iptables-restore` beside the line, from kube-proxy or a
 * distribution that runs it: k3s, RKE2, k0s), no Service rule of that sync is applied, and the cause is in
 * every sync: critical unless the logs show a completed sync or kube-proxy starting again after the last one
 * (syncOutcome, as for nftables mode; log.kube-proxy-mode).
 */
function moduleMissing(draft: FindingDraft, facts: Record<string, string[]>, matches: LogMatch[], ctx?: ModuleContext): void {
  const modules = extensionModules(facts, matches) ?? tableModules(facts, matches, ctx);
  if (!modules) return;
  draft.message = draft.message.replace(/ \(chain [^)]{1,200}\)(?=:)/, '') + ` ${modules.sentence}`;
  draft.title = `iptables: kernel module ${modules.modules[0]} is missing`;
  draft.facts = { ...draft.facts, kernelModules: modules.modules };
  // H54: istio-init refused: no pod with a sidecar starts on this node until the host loads the modules
  if (modules.extensions.length === 0 && / are istio-init's: /.test(modules.sentence) && !/ Only ip6tables failed: /.test(modules.sentence)) draft.severity = 'critical';
  const near = (r: LogMatch) => matches.some((m) => m.file === r.file && r.line >= m.line - 2 && r.line <= (m.endLine ?? m.line) + 6);
  const restores = (ctx?.restores ?? []).filter((r) => near(r) || matches.some((m) => m.file === r.file && m.line >= r.line && m.line <= (r.endLine ?? r.line)));
  const kubeProxy = [...matches, ...restores].some((m) => KUBE_PROXY_RESTORE.test(m.excerpt) && (writerOf(m) === undefined || writerOf(m) !== 'docker'));
  const writers = new Set([...matches, ...restores].map(writerOf).filter((w): w is Writer => w !== undefined));
  const restart = ctx ? restartFor(writers, ctx) : undefined;
  let tail = restart ? ` ${restart.sentence}` : ' Then restart the program whose rule failed.';
  if (kubeProxy && ctx) {
    const last = matches[matches.length - 1];
    const outcome = syncOutcome(matches, ctx.artifacts.logs ?? []);
    const started = (ctx.artifacts.logs ?? []).flatMap((l) => l.matches).filter((m) => m.signature === 'log.kube-proxy-mode' && (m.file === last.file ? m.line > last.line : !!m.timestamp && !!last.timestamp && m.timestamp.epochMs > last.timestamp.epochMs));
    if (outcome.recovered) {
      draft.message += ` A later sync completed (${outcome.recovered.file}:${outcome.recovered.line}${outcome.recovered.timestamp ? `, ${outcome.recovered.timestamp.iso}` : ''}): the rules may be in place as of then.`;
    } else if (started.length > 0) {
      draft.message += ` kube-proxy started again after it (${started[0].file}:${started[0].line}) and no failure of this kind follows in the logs.`;
    } else {
      draft.severity = 'critical';
      draft.message += ` The rule is in kube-proxy's iptables-restore, which applies its whole rule set or nothing: that sync applied no Service rule, and every sync fails the same way while the kernel lacks the module (nothing in the logs shows a later successful sync or a restart). Service changes since the last good sync are not on this node.`;
      draft.facts = { ...draft.facts, kubeProxySyncBlocked: true };
    }
    if (restart) tail = ` ${restart.sentence} kube-proxy retries at every sync, so once the module loads the next sync should go through; the restart makes it immediate.`;
  }
  draft.remedy = {
    summary: `${modules.summary}${tail}${modules.docker28 ? ` ${DOCKER_28_IPSET}` : ''}`,
    commands: [...modules.commands, ...(modules.configCheck ? [modules.configCheck] : []), ...(writers.has('k3s') ? ['k3s check-config   # the kernel options k3s needs, and which this kernel lacks'] : []), ...(restart?.commands ?? [])],
  };
}

/** The restart the lines' writer calls for: the unit or pod the evidence names, as the bundle shows it. */
function restartFor(writers: Set<Writer>, ctx: ModuleContext): { sentence: string; commands: string[] } | undefined {
  if (writers.size !== 1) return undefined;
  const [w] = writers;
  const kubelet = ctx.host.restartKubelet();
  const named = (unit: RegExp) => kubelet.filter((c) => !c.startsWith('#') && unit.test(c));
  switch (w) {
    case 'k3s': {
      const own = named(/systemctl restart k3s(?:-agent)?\b/);
      return { sentence: 'Then restart k3s, which runs kube-proxy in its own process (k3s-agent on an agent node).', commands: own.length > 0 ? own : ['systemctl restart k3s   # k3s-agent on an agent node: kube-proxy runs inside it'] };
    }
    case 'rke2': {
      const own = named(/systemctl restart rke2-(?:server|agent)\b/);
      return { sentence: 'Then restart RKE2 (rke2-server, or rke2-agent on an agent node).', commands: own.length > 0 ? own : ['systemctl restart rke2-server   # rke2-agent on an agent node'] };
    }
    case 'k0s': {
      const own = named(/systemctl restart k0s/);
      return { sentence: 'Then restart k0s (k0sworker, or k0scontroller).', commands: own.length > 0 ? own : ['systemctl restart k0sworker   # k0scontroller on a controller that runs workloads'] };
    }
    case 'kube-proxy-unit':
      // a collector's kube-proxy container log and a kube-proxy.service journal both say kube-proxy: the one that runs here
      return {
        sentence: 'Then restart kube-proxy: its pod where it runs as a DaemonSet, the unit where it runs as a service.',
        commands: [
          `kubectl -n kube-system delete pod -l k8s-app=kube-proxy --field-selector spec.nodeName=${ctx.cmdNode}   # kube-proxy as a DaemonSet: it starts again`,
          'systemctl restart kube-proxy   # kube-proxy as a systemd service',
        ],
      };
    case 'kube-proxy-pod':
      return {
        sentence: "Then restart this node's kube-proxy pod (its DaemonSet starts it again).",
        commands: [`kubectl -n kube-system delete pod -l k8s-app=kube-proxy --field-selector spec.nodeName=${ctx.cmdNode}   # the DaemonSet starts it again`],
      };
    case 'kubelet':
      return { sentence: 'Then restart the service that runs the kubelet.', commands: kubelet };
    case 'docker':
      return { sentence: 'Then restart docker so that it adds its rules again (this restarts its containers).', commands: ctx.host.restartDocker() };
  }
  return undefined;
}

/**
 * A CNI ADD that failed because the plugin's API call went through an HTTP proxy (`log.cni-api-via-proxy`, the
 * proxy's status after the ClusterIP URL) is that finding only: the generic CNI-setup warning on the same lines
 * would point at the plugin's own state (R6's calico#10352 case, W6).
 */
function foldCniSetupIntoProxy(out: FindingDraft[]): FindingDraft[] {
  const proxy = out.find((d) => d.id === 'log.cni-api-via-proxy');
  const cni = out.find((d) => d.id === 'log.cni-setup-failed');
  if (!proxy || !cni) return out;
  const same = (e: Evidence) => proxy.evidence.some((c) => c.file === e.file && c.line === e.line);
  if (!cni.evidence.every(same) || Number(cni.facts?.count ?? 0) > cni.evidence.length) return out;
  proxy.related = [...new Set([...(proxy.related ?? []), cni.id!])];
  return out.filter((d) => d !== cni);
}

// ---- one failure, one finding ------------------------------------------------------------------

/** The lines a finding was made of; `complete` is false where the scanner kept fewer lines than it counted. */
interface LinesOf {
  matches: LogMatch[];
  complete: boolean;
}

const SEVERITY_RANK: Record<string, number> = { info: 0, warning: 1, critical: 2 };
const EXPLAINS = new Map(SIGNATURES.map((s) => [s.id, new Set(s.explains ?? [])]));

/** Whether `a` is the finding that `b` folds into, where their lines allow it: the catalog says so, else the higher severity does. */
function outranks(a: FindingDraft, b: FindingDraft): boolean {
  if (EXPLAINS.get(a.id!)?.has(b.id!)) return true;
  if (EXPLAINS.get(b.id!)?.has(a.id!)) return false;
  return SEVERITY_RANK[a.severity] > SEVERITY_RANK[b.severity];
}

/** Whether two matches are one message: the same file, and their lines (a message over continuation lines: all of them) meet. */
function sameMessage(a: LogMatch, b: LogMatch): boolean {
  return a.file === b.file && a.line <= (b.endLine ?? b.line) && b.line <= (a.endLine ?? a.line);
}

/**
 * One log line, one diagnosis (reviewer R13 #8): where every line a finding was made of is a line
 * (or inside a multi-line message) another finding was made of, and that finding outranks it (its
 * signature `explains` this one's, else its severity is higher), the lesser one folds into it: its id
 * goes to `related` ("Also explains"), any line of it the other does not cite joins its evidence. A
 * finding with a line of its own stays, and so does one whose lines the scanner did not all keep.
 * dockerd's failed start quoting `No chain/target/match by that name` (moby#32349) is the critical
 * start failure; kube-router's iptables-restore that could not take the xtables lock (kube-router#1057) is the lock.
 */
function foldSameLines(out: FindingDraft[], lines: Map<FindingDraft, LinesOf>): FindingDraft[] {
  const gone = new Set<FindingDraft>();
  // the strongest first, so that a chain (a into b into c) ends in the strongest
  const order = [...out].sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity]);
  for (const weak of [...order].reverse()) {
    const own = lines.get(weak);
    if (!own?.complete || own.matches.length === 0) continue;
    const into = order.find((strong) => {
      if (strong === weak || gone.has(strong) || !outranks(strong, weak)) return false;
      const theirs = lines.get(strong);
      return theirs !== undefined && own.matches.every((m) => theirs.matches.some((t) => sameMessage(m, t)));
    });
    if (!into) continue;
    gone.add(weak);
    into.related = [...new Set([...(into.related ?? []), weak.id!, ...(weak.related ?? [])])];
    const cited = (e: Evidence) => into.evidence.some((c) => c.file === e.file && c.line === e.line);
    for (const e of weak.evidence.filter((x) => !cited(x) && own.matches.some((m) => m.file === x.file && m.line === x.line))) {
      const at = into.evidence.findIndex((c) => c.file === e.file && c.line > e.line);
      const add = { ...e, note: `${e.note ? `${e.note}; ` : ''}the same failure (${weak.id})` };
      if (at < 0) into.evidence.push(add);
      else into.evidence.splice(at, 0, add);
    }
    lines.set(into, { matches: [...lines.get(into)!.matches, ...own.matches], complete: lines.get(into)!.complete });
  }
  return out.filter((d) => !gone.has(d));
}

// ---- commands and prose read from a log ---------------------------------------------------------

/**
 * log.firewall-restart made only of commands at a shell prompt (`# systemctl restart iptables.service`,
 * `$ firewall-cmd --reload`): typed in a terminal transcript they ran, quoted from documentation they did
 * not; the line alone cannot tell, so the finding says what the line is and what follows either way.
 */
function promptCommand(draft: FindingDraft, matches: LogMatch[], meaning: string): void {
  if (!matches.every((m) => PROMPT_LINE.test(m.excerpt))) return;
  draft.title = 'A firewall restart command at a shell prompt';
  draft.message = draft.message.replace(
    meaning,
    `a command to ${[...new Set(matches.map((m) => m.facts.action).filter(Boolean))].join(' or ') || 'restart'} a firewall service at a shell prompt, not a line the system logged: typed in a terminal transcript, it ran${promptEffect(matches)}; quoted from documentation or a ticket, nothing happened. No log line of the service itself shows it.`,
  );
  draft.facts = { ...draft.facts, shellCommand: true };
}

/**
 * What a typed firewall command did. `firewall-cmd --reload` is firewalld rebuilding its own rules: with its
 * nftables back end (the default since firewalld 0.6: RHEL 8+, Fedora) iptables-nft's tables, where Docker and
 * Kubernetes write, are not touched; runtime-only changes are dropped (Docker binds its bridges to the docker zone
 * again when it sees the reload). Only with FirewallBackend=iptables are the others' rules flushed (R27 11, kubesolo#146:
 * a transcript whose reloads changed nothing but the zone binding).
 */
function promptEffect(matches: LogMatch[]): string {
  const firewalld = matches.every((m) => /\bfirewall-cmd\b/.test(m.excerpt));
  if (firewalld)
    return " and firewalld rebuilt its own rules from the permanent configuration, dropping runtime-only changes (Docker binds its bridges to the docker zone again when it sees the reload); with firewalld's nftables back end (the default since firewalld 0.6) the iptables rules the container runtimes and Kubernetes added stay, with FirewallBackend=iptables they are flushed";
  return ' and flushed the rules the container runtimes and Kubernetes added at run time';
}

/**
 * A port signature whose lines are all prose (a ticket's `Customer:` turn, a message in typographic quotes):
 * second-hand, of no known time, told as such and of info severity.
 */
function quotedInProse(draft: FindingDraft, matches: LogMatch[]): void {
  if (!matches.every((m) => PROSE_QUOTE.test(m.excerpt))) return;
  draft.severity = 'info';
  draft.title = `Quoted in a ticket or article: ${draft.title.charAt(0).toLowerCase()}${draft.title.slice(1)}`;
  draft.message += ' The line is a sentence that quotes the message (a ticket, an article), not the application\'s own log: second-hand, and of no known time.';
  draft.facts = { ...draft.facts, quotedInProse: true };
}

// ---- iptables-restore's failure, worded by its exit status --------------------------------------

/**
 * What iptables-restore's exit status says (iptables' include/xtables.h, enum xtables_exittype:
 * OTHER_PROBLEM = 1, PARAMETER_PROBLEM = 2, VERSION_PROBLEM = 3, RESOURCE_PROBLEM = 4; iptables/xshared.c's
 * xtables_lock_or_exit prints `Another app is currently holding the xtables lock.` and exits with
 * RESOURCE_PROBLEM). Checked with the real iptables-restore 1.8.9 here: a rule with an empty `-s` exits 2
 * (`Bad argument`), a rule in a chain that does not exist exits 1 (`line 2 failed`).
 */
type RestoreKind = 'lock' | 'argument' | 'line';

function restoreKind(m: LogMatch): RestoreKind | undefined {
  const text = m.excerpt;
  if (/xtables lock/.test(text)) return 'lock';
  const status = m.facts.exitStatus;
  if (status === '2' || /Bad argument `|unknown option|Try `ip6?tables-restore -h'/.test(text)) return 'argument';
  if (status === '1' || (status === undefined && m.facts.line !== undefined)) return 'line';
  return undefined;
}

/** How log.iptables-restore-failed reads where every line is of one kind ('line' keeps the signature's own wording). */
const RESTORE_WORDING: Partial<Record<RestoreKind, { title: string; meaning: string; cause: string; remedy: FindingDraft['remedy'] }>> = {
  lock: {
    title: 'iptables-restore could not take the xtables lock',
    meaning:
      'iptables-restore gave up because another program held the xtables lock (exit status 4, "Another app is currently holding the xtables lock"): the rule set was not loaded that time. A lock held by another writer, not a version or back-end mismatch; the line number, if any, says nothing of the rules.',
    cause: 'xtables-lock',
    remedy: {
      summary:
        "Find what holds the lock so often (another component calling iptables in a loop, a TRACE flood slowing every call) and let the failing component wait for the lock (iptables-restore --wait, from iptables 1.6.2) or retry; a component in a pod shares the host's lock only with /run/xtables.lock mounted from the host. Do not change iptables versions or back ends for this.",
      commands: ['fuser -v /run/xtables.lock   # the processes holding the lock now (XTABLES_LOCKFILE moves it)', 'iptables -t raw -S | grep TRACE   # TRACE rules left from debugging'],
    },
  },
  argument: {
    title: 'iptables-restore rejects an argument of the rule set',
    meaning:
      'iptables-restore rejected an option or argument in the rule set (exit status 2: a parameter problem): the component generated a malformed rule (an empty address, a bad comment), or uses an option this iptables does not know (an older or differently built iptables than the component expects). Nothing of that rule set was applied.',
    cause: 'bad-argument',
    remedy: {
      summary:
        "Read the rule at the line number the error names in the component's own log (it prints the rule set it loaded): an empty value is the component's bug (upgrade it); an unknown option means its iptables is older than the rules it writes (compare iptables -V on the host and in the component's image).",
      commands: [],
    },
  },
};

/**
 * log.iptables-restore-failed worded by what its lines say: the xtables lock, a bad argument, or a line iptables
 * could not apply. iptables-restore waits for the lock with --wait from iptables 1.6.2, which made the lock
 * mandatory (projectcalico/felix#1903, antrea-io/antrea#698); a pod sees the host's lock only with
 * /run/xtables.lock mounted (felix#1903's manifests, kubespray#3191).
 */
function restoreFailed(draft: FindingDraft, matches: LogMatch[], meaning: string, byId?: Map<string, { matches: LogMatch[] }>): void {
  // "use one back end" only where the logs show both (R15: k3s-io/k3s#9243 and #10099 needed a kernel module, not a back end)
  const split = byId ? backEndsSplit(byId) : undefined;
  if (split) {
    draft.remedy.summary += ` The logs show both iptables back ends (${split}): use one back end (legacy or nf_tables) on the host and in every component's image.`;
    draft.facts = { ...draft.facts, backEndsSplit: true };
  }
  const kinds = new Set(matches.map(restoreKind));
  const [kind] = kinds;
  const wording = kinds.size === 1 && kind ? RESTORE_WORDING[kind] : undefined;
  if (!wording) return;
  draft.title = wording.title;
  draft.message = draft.message.replace(meaning, wording.meaning);
  draft.facts = { ...draft.facts, cause: wording.cause };
  draft.remedy = { summary: wording.remedy.summary, commands: [...wording.remedy.commands] };
}

/**
 * Where the node's log lines show both iptables back ends: iptables-nft's `Warning: iptables-legacy tables present`,
 * or iptables versions printed with `(legacy)` and with `(nf_tables)`. Says which, for the message; undefined otherwise.
 */
function backEndsSplit(byId: Map<string, { matches: LogMatch[] }>): string | undefined {
  const legacyPresent = byId.get('log.iptables-legacy-tables-present')?.matches[0];
  if (legacyPresent) return `"iptables-legacy tables present", ${legacyPresent.file}:${legacyPresent.line}`;
  const seen = new Map<string, LogMatch>();
  for (const e of byId.values()) for (const m of e.matches) if (m.facts.backend && !seen.has(m.facts.backend)) seen.set(m.facts.backend, m);
  const legacy = seen.get('legacy');
  const nft = seen.get('nf_tables');
  return legacy && nft ? `(legacy) at ${legacy.file}:${legacy.line}, (nf_tables) at ${nft.file}:${nft.line}` : undefined;
}

/**
 * kubectl with no kubeconfig (KUBECONFIG unset, no ~/.kube/config for the user it runs as) falls back to
 * http://localhost:8080 and prints `The connection to the server localhost:8080 was refused - did you specify
 * the right host or port?` (seed 004: an Ansible task's stderr). Nothing listens there on a kubeadm or k3s
 * node: the client's configuration, not a firewall (reviewer R13).
 */
const KUBECTL_NO_CONFIG = /The connection to the server (?:localhost|127\.0\.0\.1):8080 was refused/;

/** The kubectl lines of log.connection-refused, taken out of it (its count too). */
function takeKubectlLines(byId: Map<string, { matches: LogMatch[]; count: number }>): LogMatch[] {
  const e = byId.get('log.connection-refused');
  if (!e) return [];
  const kubectl = e.matches.filter((m) => KUBECTL_NO_CONFIG.test(m.excerpt));
  e.matches = e.matches.filter((m) => !kubectl.includes(m));
  e.count -= kubectl.length;
  return kubectl;
}

function kubectlWithoutKubeconfig(node: string, matches: LogMatch[]): FindingDraft {
  const files = new Set(matches.map((m) => m.file));
  const times = matches.filter((m) => m.timestamp).map((m) => m.timestamp!.iso);
  return {
    id: 'log.kubectl-no-kubeconfig',
    severity: 'info',
    title: 'kubectl ran without a kubeconfig (localhost:8080 refused)',
    message:
      `${matches.length} line${matches.length > 1 ? 's' : ''} in ${files.size} log${files.size > 1 ? 's' : ''} on ${node}: kubectl found no kubeconfig (KUBECONFIG unset, no ~/.kube/config for the user it ran as) and fell back to localhost:8080, where no API server listens: ` +
      "the client's configuration, not a firewall or a REJECT rule. What that kubectl was to do (an install step, a script) did not happen.",
    evidence: matches.slice(0, MAX_EVIDENCE).map(asEvidence),
    facts: { count: matches.length, cause: 'kubectl-no-kubeconfig' },
    firstSeen: times[0],
    lastSeen: times[times.length - 1],
    ...(matches.some((m) => m.timestamp?.yearInferred) ? { seenYearInferred: true } : {}),
    remedy: {
      summary:
        "Run kubectl with the cluster's kubeconfig: KUBECONFIG=/etc/kubernetes/admin.conf on a kubeadm control-plane node (or a copy in ~/.kube/config of the user that runs it), /etc/rancher/k3s/k3s.yaml on k3s. Nothing to change in the firewall.",
      commands: ['kubectl config view --minify   # empty: this user has no kubeconfig', 'ls -l /etc/kubernetes/admin.conf /etc/rancher/k3s/k3s.yaml ~/.kube/config 2>&1   # the kubeconfigs this node has'],
    },
  };
}

/** Docker's default local pools (libnetwork ipamutils): 172.17-31.0.0/16, then 192.168.0.0/16 in /20s. */
const DOCKER_DEFAULT_POOLS = [...Array.from({ length: 15 }, (_, i) => `172.${17 + i}.0.0/16`), '192.168.0.0/16'];
/** Ranges to suggest for bip and default-address-pools, the first no route covers. */
const FREE_CANDIDATES = ['10.200.0.0/16', '10.201.0.0/16', '10.210.0.0/16', '10.220.0.0/16', '10.230.0.0/16'];

/**
 * Which routes took Docker's pools: the pools the message lists, else daemon.json's
 * default-address-pools, else Docker's defaults, against the main table's IPv4 routes (not the
 * default route, which Docker ignores; not Docker's own bridges). The remedy follows: a range no
 * route covers for bip and the pools, or, where every private range is routed (a VPN's def1 pair),
 * bip alone (Docker does not check it against the routes) and the VPN's routes.
 */
/**
 * H72 (moby/moby#6442): the candidate ranges dockerd rejected before its final error, in the same log: Docker 1.x's debug
 * line per candidate (`172.17.42.1/16 requested network overlaps with existing network`), after the last range it took
 * (`Creating bridge docker0 with network ...`, an earlier start that came through) and before the error. One line per range.
 */
function rejectedCandidates(failures: readonly LogMatch[], candidates: readonly LogMatch[]): LogMatch[] {
  const out = new Map<string, LogMatch>();
  for (const f of failures) {
    const before = candidates.filter((c) => c.file === f.file && c.line < f.line);
    const chosen = before.filter((c) => c.facts.chosen).reduce((n, c) => Math.max(n, c.line), 0);
    for (const c of before) if (c.facts.rejected && c.line > chosen && !out.has(c.facts.rejected)) out.set(c.facts.rejected, c);
  }
  return [...out.values()].sort((a, b) => a.line - b.line);
}

function noFreePool(draft: FindingDraft, matches: LogMatch[], facts: Record<string, string[]>, artifacts: NodeArtifacts, host: HostView, candidates: readonly LogMatch[] = []): void {
  const atStart = matches.some((m) => m.facts.daemonStart);
  // the client's `Error response from daemon: ...` (docker network create, compose up): the daemon answered, so it runs
  if (!atStart && matches.some((m) => /Error response from daemon/.test(m.excerpt)))
    draft.message = draft.message.replace(' At start, for docker0, dockerd exits: it runs no containers.', ' Here the daemon answered a request (Error response from daemon): it runs, and only the network asked for was not created.');
  // Docker has no default IPv6 pools: an IPv6 network needs its subnet given (--subnet, fixed-cidr-v6, an IPv6 base in default-address-pools)
  if ((facts.family ?? []).every((f) => f === '6') && facts.family?.length) {
    draft.remedy = {
      summary: 'Give the IPv6 network its subnet: docker network create --ipv6 --subnet <prefix>, compose ipam config, or an IPv6 base in default-address-pools (daemon.json) for networks created without one.',
      commands: [],
    };
    return;
  }
  const haveRoutes = (artifacts.routes ?? []).some((t) => t.routes.length > 0);
  // H79 (R26 14): Docker before 18.06 (no default-address-pools): 1.x's own error (`run 'docker -b docker0'`), libnetwork
  // 1.7-1.9's `can't find an address range for interface`, or 1.x's per-candidate debug lines
  const legacy = matches.some((m) => /docker -b docker0|can't find an address range for interface/.test(m.excerpt)) || candidates.some((c) => c.facts.rejected);
  if (legacy) draft.message = draft.message.replace(/every pool it may pick \([^)]*\)/, "every range it may pick (Docker 1.x: its fixed list of candidates for docker0, 172.17.42.1/16 first; no default-address-pools before Docker 18.06)");
  // H79 (R26 14): a later `Creating bridge docker0 with network X` in the same log: a later start took a range, the failure is history
  const laterChosen = (f: LogMatch) => candidates.filter((c) => c.file === f.file && c.facts.chosen && c.line > f.line).sort((a, b) => a.line - b.line)[0];
  const taken = matches.map(laterChosen);
  if (matches.length > 0 && taken.every((c) => c)) {
    const c = taken.reduce((a, b) => (b!.line > a!.line ? b : a))!;
    draft.severity = 'info';
    draft.title = 'Docker found no free address pool once; a later start took a range';
    draft.message = draft.message.replace(' At start, for docker0, dockerd exits: it runs no containers.', ' At start, for docker0, dockerd exits: that start ran no containers.');
    draft.message += ` Later in the same log dockerd created ${c.facts.bridge ?? 'docker0'} with ${c.facts.chosen} (${c.file}:${c.line}: ${c.excerpt.trim()}): that start came through, so the failure is history, not the daemon's state.`;
    draft.evidence.push({ ...asEvidence(c), note: `a later start took ${c.facts.chosen}` });
    draft.facts = { ...draft.facts, laterChosen: c.facts.chosen };
    draft.remedy = {
      summary: `Nothing to fix now. To keep a start from failing again when the routes change (a VPN up at boot), pin docker0's range: ${legacy ? `--bip=${c.facts.chosen} in the daemon's options (DOCKER_OPTS in /etc/default/docker or /etc/sysconfig/docker; "bip" in daemon.json from Docker 1.10)` : `"bip": "${c.facts.chosen}" in /etc/docker/daemon.json`}.`,
      commands: ['ip -4 addr show docker0   # the range docker0 holds now'],
    };
    return;
  }
  const listed = (facts.pools ?? []).flatMap((p) => p.split(/\s+/)).filter((p) => parseCidr(p));
  const configured = (artifacts.dockerDaemon ?? []).flatMap((d) => d.defaultAddressPools ?? []).map((p) => p.base).filter((p) => parseCidr(p));
  // H72: the ranges dockerd's own debug lines say it tried and rejected, before the error: those are its pools here
  const rejected = rejectedCandidates(matches, candidates);
  const tried = rejected.map((c) => c.facts.rejected);
  const pools = tried.length > 0 ? tried : listed.length > 0 ? [...new Set(listed)] : configured.length > 0 ? configured : DOCKER_DEFAULT_POOLS;
  const poolsFrom =
    tried.length > 0 ? 'the ranges dockerd tried' : listed.length > 0 ? 'the pools the message lists' : configured.length > 0 ? "daemon.json's default-address-pools" : "Docker's default pools (172.17.0.0/16-172.31.0.0/16, 192.168.0.0/16)";
  const routes = (artifacts.routes ?? [])
    .flatMap((t) => t.routes)
    .filter((r) => (!r.table || r.table === 'main') && !r.destination.includes(':') && r.destination !== '0.0.0.0/0' && !/^(?:docker0|br-[0-9a-f]{12}|docker_gwbridge)$/.test(r.dev ?? ''));
  const overlaps = (r: { destination: string }, pool: string) => {
    const a = parseCidr(r.destination);
    const b = parseCidr(pool);
    return !!a && !!b && cidrOverlap(a, b);
  };
  const covering = routes.filter((r) => pools.some((p) => overlaps(r, p)));
  const def1 = ['0.0.0.0/1', '128.0.0.0/1'].map((d) => routes.find((r) => r.destination === d));
  const pair = def1[0] && def1[1] ? def1 : undefined;
  const coveredPools = pools.filter((p) => covering.some((r) => overlaps(r, p)));
  const via = (r: { via?: string; dev?: string }) => [r.via && `via ${r.via}`, r.dev && `dev ${r.dev}`].filter(Boolean).join(' ');
  if (rejected.length > 0) {
    // the route that blocked each candidate, as `ip route` prints it (an `unreachable 172.16.0.0/12` route counts: moby/moby#6442)
    const routeText = (r: (typeof routes)[number]) => r.excerpt.trim().replace(/\s+/g, ' ');
    const blockers = (cidr: string) => routes.filter((r) => overlaps(r, cidr));
    const span = rejected.length > 1 ? `${rejected[0].file}:${rejected[0].line}-${rejected[rejected.length - 1].line}` : `${rejected[0].file}:${rejected[0].line}`;
    const nameservers = rejected.filter((c) => c.facts.overlapsWith === 'nameserver').map((c) => c.facts.rejected);
    draft.message += ` Before it dockerd tried ${rejected.length} candidate range${rejected.length > 1 ? 's' : ''} for docker0 and rejected ${rejected.length > 1 ? 'each' : 'it'} (${span}): ${tried.join(', ')}${nameservers.length > 0 ? ` (${nameservers.join(', ')} for a nameserver in /etc/resolv.conf)` : ''}.`;
    if (haveRoutes) {
      const unexplained = tried.filter((t) => !nameservers.includes(t) && blockers(t).length === 0);
      if (unexplained.length > 0) draft.message += ` No route in the bundle covers ${unexplained.join(', ')}: the routes were collected later or elsewhere, or another interface holds the range.`;
    }
    for (const c of rejected.slice(0, 12)) {
      const by = blockers(c.facts.rejected);
      draft.evidence.push({
        ...asEvidence(c),
        note:
          c.facts.overlapsWith === 'nameserver'
            ? 'candidate rejected: overlaps a nameserver'
            : by.length > 0
              ? `candidate rejected: overlaps the route ${by.slice(0, 2).map(routeText).join('; ')}`
              : 'candidate rejected: overlaps an existing network',
      });
    }
    draft.facts = { ...draft.facts, rejectedCandidates: tried };
  }
  if (!haveRoutes) {
    draft.message += ' The bundle has no routes (ip route) to tell which route covers the pools.';
  } else if (covering.length === 0) {
    draft.message += ` No route covers ${poolsFrom}: Docker's own networks hold them all (docker network ls), or a route was gone when the bundle was collected.`;
  } else {
    const shown = [...new Set([...(pair ?? []), ...covering])].filter((r): r is NonNullable<typeof r> => r !== undefined).slice(0, 6);
    const names = shown.map((r) => `${r.destination} ${via(r)}`);
    draft.message += pair
      ? ` The routes 0.0.0.0/1 and 128.0.0.0/1 ${via(pair[1]!)} (${pair[0]!.ref.file}:${pair[0]!.ref.line}, :${pair[1]!.ref.line}), a VPN's redirect-gateway def1 pair, cover every address, so ${coveredPools.length === pools.length ? 'every one' : `${coveredPools.length} of ${pools.length}`} of ${poolsFrom} overlaps a route.`
      : ` ${coveredPools.length === pools.length ? 'Every one' : `${coveredPools.length} of ${pools.length}`} of ${poolsFrom} overlaps a route: ${names.join('; ')}.`;
    for (const r of shown)
      draft.evidence.push({ file: r.ref.file, line: r.ref.line, excerpt: r.excerpt, note: pair?.includes(r) ? "half of the VPN's def1 pair: with the other it covers every address" : `covers Docker's pool${pools.filter((p) => overlaps(r, p)).length > 1 ? 's' : ''} ${pools.filter((p) => overlaps(r, p)).slice(0, 3).join(', ')}${pools.filter((p) => overlaps(r, p)).length > 3 ? ' ...' : ''}` });
    draft.facts = { ...draft.facts, coveringRoutes: names, poolsCovered: `${coveredPools.length}/${pools.length}` };
  }
  // a range no route covers (the def1 pair covers them all)
  const free = FREE_CANDIDATES.filter((c) => !routes.some((r) => overlaps(r, c)));
  const bip = free[0] ? free[0].replace(/\.0\.0\/16$/, '.0.1/24') : '10.200.0.1/24';
  const poolBase = free[1] ?? free[0];
  const commands: string[] = [];
  let summary: string;
  if (free.length > 0 && haveRoutes) {
    summary = `Give Docker ranges no route covers, in /etc/docker/daemon.json: "bip" for docker0 and "default-address-pools" for the networks it creates (${free.slice(0, 2).join(', ')} are free of routes here; pick ranges this host never needs to reach elsewhere), then ${atStart ? 'start' : 'restart'} docker.`;
    commands.push(`# /etc/docker/daemon.json, beside its other settings: "bip": "${bip}", "default-address-pools": [{"base": "${poolBase}", "size": 24}]`);
  } else if (haveRoutes) {
    summary = `Every private range is routed here, and Docker checks its pools (default-address-pools too) against the routes: set "bip" in /etc/docker/daemon.json, which Docker takes as it is, to a range this host never needs to reach through the VPN, and give user networks explicit subnets (docker network create --subnet, compose ipam); or have the VPN install a real default route instead of the 0.0.0.0/1 + 128.0.0.0/1 pair, or not route the ranges Docker needs. Then ${atStart ? 'start' : 'restart'} docker.`;
    commands.push(`# /etc/docker/daemon.json, beside its other settings: "bip": "${bip}"   (a range the VPN need not carry)`);
  } else {
    summary = `${draft.remedy.summary}`;
    commands.push('ip -4 route   # the routes that cover 172.17.0.0/16-172.31.0.0/16 and 192.168.0.0/16 (or the configured pools)');
    commands.push(`# /etc/docker/daemon.json, beside its other settings: "bip": "${bip}", "default-address-pools": [{"base": "${poolBase}", "size": 24}]`);
  }
  if (legacy) {
    // H79: Docker 1.x reads no default-address-pools (18.06 added it): docker0's range is its --bip (or -b with --fixed-cidr)
    summary = `Give docker0 a range no route covers with --bip${free.length > 0 && haveRoutes ? ` (${bip} is free of routes here)` : ''}: this Docker (1.x) has no default-address-pools (that option came with Docker 18.06). Put --bip=${bip} in the daemon's options (DOCKER_OPTS in /etc/default/docker or /etc/sysconfig/docker; "bip" in daemon.json from Docker 1.10), or make a bridge yourself and start dockerd with -b <bridge> (--fixed-cidr limits containers to part of it), then ${atStart ? 'start' : 'restart'} docker.`;
    commands.length = 0;
    if (!haveRoutes) commands.push('ip -4 route   # the routes that cover the candidate ranges');
    commands.push(`# Docker 1.x: DOCKER_OPTS="--bip=${bip}" in /etc/default/docker (Debian/Ubuntu) or OPTIONS in /etc/sysconfig/docker (RHEL)`);
  }
  if (!atStart && !legacy) {
    summary += ' For docker network create and compose, unused networks also hold pools (31 with the defaults): docker network prune frees them.';
    commands.push('docker network ls   # networks holding pools; docker network prune removes the unused ones');
  }
  commands.push(...(atStart ? ['systemctl start docker'] : host.restartDocker()));
  draft.remedy = { summary, commands, caution: atStart ? 'A new bip renumbers docker0: containers get addresses in the new range.' : 'Changing daemon.json takes a docker restart, which restarts its containers.' };
}

// ---- firewall managers' log lines of containers' packets --------------------------------------

const FLANNEL_DEFAULTS = ['10.244.0.0/16', '10.42.0.0/16'];
const CONTAINER_ITF_ONLY = new RegExp(`^${CONTAINER_ITF}$`);
const REJECTED = 'log.firewall-rejected-container-traffic';

/**
 * The pod and container subnets the node shows, each with where it was read: Docker's networks, flannel's
 * network and this node's subnet (subnet.env), and the routes of the main table to a container's or pod's
 * interface (cni0, docker0, cali*, flannel.1, tunl0 ...) or that Calico's BIRD installed (proto bird: the
 * blocks of other nodes, routed on the uplink without encapsulation). Not a subnet that holds an address of
 * the host's own interfaces (its LAN), nor one wider than /8: the host's own traffic is never a pod's.
 */
function podSubnets(artifacts: NodeArtifacts): Map<string, string> {
  const found = new Map<string, string>();
  for (const b of dockerBridges(artifacts)) for (const s of b.subnets) found.set(s.cidr, `docker ${b.network ?? b.name}`);
  for (const f of artifacts.flannelSubnetEnv ?? []) {
    if (f.network?.value) found.set(f.network.value, 'the flannel network (FLANNEL_NETWORK)');
    if (f.subnetNetwork && !found.has(f.subnetNetwork)) found.set(f.subnetNetwork, "this node's flannel subnet (FLANNEL_SUBNET)");
  }
  for (const r of (artifacts.routes ?? []).flatMap((t) => t.routes)) {
    if ((r.table && r.table !== 'main') || r.destination.includes(':') || found.has(r.destination)) continue;
    const byItf = r.dev !== undefined && CONTAINER_ITF_ONLY.test(r.dev);
    if (byItf || r.proto === 'bird') found.set(r.destination, `the route ${r.destination}${r.dev ? ` dev ${r.dev}` : ''}${r.proto === 'bird' ? ' proto bird' : ''} (${r.ref.file}:${r.ref.line})`);
  }
  const own = [...interfacesOf(artifacts.ipAddr ?? []).values()].filter((i) => i.name !== 'lo' && !CONTAINER_ITF_ONLY.test(i.name)).flatMap((i) => i.addresses.map((a) => a.address));
  for (const cidr of [...found.keys()]) {
    const c = parseCidr(cidr);
    if (!c || c.prefix < 8 || own.some((a) => addressIn(a, cidr))) found.delete(cidr);
  }
  return found;
}

/** The subnet of `subnets` that holds `ip`, the widest (the cluster's flannel network before this node's /24): what a remedy lets through. */
function subnetOf(ip: string | undefined, subnets: Map<string, string>): string | undefined {
  if (!ip) return undefined;
  let best: { cidr: string; prefix: number } | undefined;
  for (const cidr of subnets.keys()) {
    const c = parseCidr(cidr);
    if (c && addressIn(ip, cidr) && (!best || c.prefix < best.prefix)) best = { cidr, prefix: c.prefix };
  }
  return best?.cidr;
}

/** A firewall manager's lines on the host's own interfaces whose source or destination is in a pod or container subnet of the node. */
function podSubnetLines(matches: LogMatch[], artifacts: NodeArtifacts): LogMatch[] {
  if (matches.length === 0) return [];
  const subnets = podSubnets(artifacts);
  if (subnets.size === 0) return [];
  return matches.filter((m) => subnetOf(m.facts.src, subnets) !== undefined || subnetOf(m.facts.dst, subnets) !== undefined);
}

/** The lines of the manager and zone (or ufw) one remedy serves. */
interface RejectGroup {
  /** ufw-docker: chaifeng/ufw-docker's rules in ufw's after.rules, which log `[UFW DOCKER BLOCK]` */
  /** own: a LOG rule of the host's own nftables or iptables rules (H95: a prefix no manager writes, that says drop or reject) */
  manager: 'firewalld' | 'ufw' | 'ufw-docker' | 'own';
  zone?: string;
  prefix: string;
  lines: LogMatch[];
}

/** A LOG rule of the bundle's live rules with a prefix (iptables `--log-prefix "X"`, nft `log prefix "X"`). */
interface OwnLogRule {
  file: string;
  line: number;
  text: string;
}

/** What the bundle's live rules say of a prefix: whether they are there at all, cut, and the LOG rules with it. */
interface OwnLogRules {
  /** the bundle holds live rules (iptables or native nftables) */
  known: boolean;
  /** a file of them is cut, or lists chosen tables only: a rule not seen may be in what is not shown */
  partial: boolean;
  rules: OwnLogRule[];
}

/** H98 (R31 c01): the LOG rules of the live rules whose prefix is the line's (compared without the trailing space). */
function ownLogRules(prefix: string, artifacts: NodeArtifacts): OwnLogRules {
  const want = prefix.trim();
  const views = liveViews(artifacts);
  const nft = nativeNftables(artifacts);
  const rules: OwnLogRule[] = [];
  for (const v of views)
    for (const chains of v.tables.values())
      for (const c of chains.values())
        for (const r of c.rules) if (r.target === 'LOG' && (r.targetOptions['log-prefix'] ?? '').trim() === want) rules.push({ file: r.ref.file, line: r.ref.line, text: r.text });
  for (const rs of nft)
    for (const t of rs.tables)
      for (const c of t.chains)
        for (const r of c.rules) if (r.exprs.some((e) => e.kind === 'log' && (e.prefix ?? '').trim() === want)) rules.push({ file: r.ref.file, line: r.ref.line, text: r.text });
  const seen = new Set<string>();
  return {
    known: views.some((v) => v.tables.size > 0) || nft.length > 0,
    partial: views.some((v) => v.unlistedCut !== undefined || v.truncated.size > 0) || nft.some((rs) => rs.truncated !== undefined || rs.chosenTables !== undefined),
    rules: rules.filter((r) => !seen.has(`${r.file}:${r.line}`) && !!seen.add(`${r.file}:${r.line}`)),
  };
}

/** What the bundle's rules do with the packet a LOG line describes, traced through the path its IN= / OUT= say. */
interface OwnLineTrace {
  outcome: 'accepted' | 'dropped' | 'unknown';
  path?: Path;
  /** the rule or policy that decided (dropped, accepted) */
  by?: TraceStep;
  /** why it is not decided */
  why?: string;
}

/**
 * H98 (R31 c01, c02): the packet of a kernel LOG line (IN, OUT, SRC, DST, PROTO, SPT, DPT; SYN or no TCP flags: a new
 * connection) through the node's live rules, as the other analyzers trace (traceContext: both iptables back ends, native
 * nftables). Decided only where the walk passed a LOG rule with the line's prefix: else the line's packet is not the one
 * the trace modelled.
 */
function traceOwnLine(m: LogMatch, rules: OwnLogRule[], artifacts: NodeArtifacts, ctx: TraceContext): OwnLineTrace {
  const f = m.facts;
  if (!f.src || !f.dst || parseIp(f.src)?.family !== 4 || parseIp(f.dst)?.family !== 4) return { outcome: 'unknown', why: 'the line gives no IPv4 source and destination to trace' };
  const path: Path = f.in && f.out ? 'forward' : f.in ? 'input' : 'output';
  const protocol = (f.proto ?? '').toLowerCase();
  if (!protocol) return { outcome: 'unknown', why: 'the line gives no protocol' };
  const tcpFlags = protocol === 'tcp' ? f.flags : undefined;
  const packet: Packet = {
    src: f.src,
    dst: f.dst,
    protocol,
    ...(f.dpt ? { dport: Number(f.dpt) } : {}),
    ...(f.spt ? { sport: Number(f.spt) } : {}),
    ...(f.in ? { inInterface: f.in } : {}),
    ...(f.out ? { outInterface: f.out } : {}),
    state: tcpFlags !== undefined && !/\bSYN\b/.test(tcpFlags) ? 'established' : 'new',
    mark: 0,
  };
  const r = trace(liveViews(artifacts)[0]?.tables ?? new Map(), path, packet, ctx);
  const onPath = r.steps.some((st) => rules.some((x) => x.file === st.file && x.line === st.line));
  if (r.verdict.kind === 'unknown') return { outcome: 'unknown', path, why: r.verdict.reason };
  if (!onPath) return { outcome: 'unknown', path, why: `the trace of the line's packet (${path}) did not pass the LOG rule` };
  return { outcome: r.verdict.kind === 'ACCEPT' ? 'accepted' : 'dropped', path, by: r.decidedBy };
}

/** The step that decided, as a reader finds it: the rule's text, or the chain's policy. */
function stepText(st: TraceStep | undefined): string {
  if (!st) return 'the rules';
  return st.action === 'policy' ? `the ${st.chain} chain's ${st.text || 'policy'}` : `"${st.text}"`;
}

/**
 * A firewall manager logged containers' packets it rejected or dropped. Critical where that is
 * going on when the logs end (the last line within a day of the node's newest log time, or no time
 * to tell), not only TCP packets of connections already gone (ACK/FIN/RST without SYN: late
 * strays); info for one old line, a warning for older ones. The remedy names the zone the prefix
 * gives and the interfaces and subnets the lines show.
 */
function firewallRejected(draft: FindingDraft, node: string, allMatches: LogMatch[], allCount: number, artifacts: NodeArtifacts, host: HostView): boolean {
  // H98 (R31 c01): a prefix of the host's own against the bundle's live rules: the LOG rules with that prefix, and what the
  // rules do with each line's packet after logging it. Lines whose packet is accepted are no drop: left out.
  const own = new Map<string, { rules: OwnLogRules; traces: Map<LogMatch, OwnLineTrace> }>();
  let ctx: TraceContext | undefined;
  // one trace per packet shape (the source port aside: a rule matching it is rare), at most 20 shapes per prefix
  const byShape = new Map<string, OwnLineTrace>();
  for (const m of allMatches) {
    const prefix = m.facts.ownPrefix;
    if (prefix === undefined) continue;
    const o = own.get(prefix) ?? own.set(prefix, { rules: ownLogRules(prefix, artifacts), traces: new Map() }).get(prefix)!;
    if (o.rules.rules.length === 0) continue;
    const f = m.facts;
    const shape = [prefix, f.in, f.out, f.src, f.dst, f.proto, f.dpt, f.proto?.toUpperCase() === 'TCP' ? /\bSYN\b/.test(f.flags ?? 'SYN') : ''].join('|');
    let t = byShape.get(shape);
    if (!t && [...byShape.keys()].filter((k) => k.startsWith(`${prefix}|`)).length < 20) {
      ctx ??= traceContext(artifacts);
      byShape.set(shape, (t = traceOwnLine(m, o.rules.rules, artifacts, ctx)));
    }
    if (t) o.traces.set(m, t);
  }
  const accepted = allMatches.filter((m) => m.facts.ownPrefix !== undefined && own.get(m.facts.ownPrefix)?.traces.get(m)?.outcome === 'accepted');
  if (accepted.length === allMatches.length) return false;
  const matches = allMatches.filter((m) => !accepted.includes(m));
  const count = Math.max(matches.length, allCount - accepted.length);
  if (accepted.length > 0) {
    draft.evidence = matches.slice(0, MAX_EVIDENCE).map(asEvidence);
    draft.facts = { ...draft.facts, count, loggedThenAccepted: accepted.length };
  }
  const groups = new Map<string, RejectGroup>();
  for (const m of matches) {
    const manager = m.facts.ownPrefix !== undefined ? 'own' : m.facts.prefix === 'UFW BLOCK' ? 'ufw' : m.facts.prefix === 'UFW DOCKER BLOCK' ? 'ufw-docker' : 'firewalld';
    const zone = manager === 'firewalld' ? m.facts.zone : undefined;
    const key = manager === 'firewalld' ? `firewalld:${zone ?? ''}` : manager === 'own' ? `own:${m.facts.ownPrefix}` : manager;
    const g = groups.get(key) ?? groups.set(key, { manager, zone, prefix: m.facts.ownPrefix ?? m.facts.prefix ?? '', lines: [] }).get(key)!;
    g.lines.push(m);
  }
  const old = olderThanLogsEnd(matches, artifacts.logs);
  const stray = matches.every((m) => /^TCP$/i.test(m.facts.proto ?? '') && m.facts.flags !== undefined && !/\bSYN\b/.test(m.facts.flags));
  draft.severity = old ? (count === 1 ? 'info' : 'warning') : stray ? 'info' : 'critical';
  // ufw-docker drops new connections from outside the private ranges to published ports by design (the
  // internet's scans among them): a container meant to be public is a warning, not a breakage
  const byDesign = [...groups.values()].every((g) => g.manager === 'ufw-docker');
  if (byDesign && draft.severity === 'critical') draft.severity = 'warning';
  // H95: a prefix of the host's own says what its author meant, not what the rule after it does (a LOG rule may be
  // followed by an accept, or be rate-limited): a warning at most where only such lines are
  const ownOnly = [...groups.values()].every((g) => g.manager === 'own');
  // H98: where the bundle's rules were traced and drop every such line, the prefix is no longer all there is
  const ownTraced = (g: RejectGroup) => g.lines.map((m) => own.get(g.prefix)?.traces.get(m));
  const ownConfirmed = ownOnly && [...groups.values()].every((g) => ownTraced(g).every((t) => t?.outcome === 'dropped'));
  if (ownOnly && !ownConfirmed && draft.severity === 'critical') draft.severity = 'warning';
  // the container subnets the bundle knows: Docker's bridges, flannel's network, the routes to pods
  const subnets = podSubnets(artifacts);
  const inSubnet = (ip: string | undefined) => subnetOf(ip, subnets);
  const parts: string[] = [];
  const commands: string[] = [];
  const summaries: string[] = [];
  let reload = false;
  for (const g of groups.values()) {
    const paths = [...new Set(g.lines.map((m) => `${m.facts.in || '(the host)'} → ${m.facts.out || '(the host)'}`))];
    const pairs = [...new Set(g.lines.filter((m) => m.facts.src).map((m) => `${m.facts.src} → ${m.facts.dst ?? '(address not shown)'}`))].slice(0, 3);
    const itfs = [...new Set(g.lines.flatMap((m) => [m.facts.in, m.facts.out]).filter((x): x is string => !!x && CONTAINER_ITF_ONLY.test(x)))];
    // per-pod interfaces (veths, cali*, lxc*) come and go: the subnet is what stays
    const bridges = itfs.filter((i) => !/^(?:veth|cali[0-9a-f]|lxc)/.test(i));
    const cidrs = [...new Set(g.lines.flatMap((m) => [inSubnet(m.facts.src), inSubnet(m.facts.dst)]).filter((x): x is string => !!x))];
    const forwarded = g.lines.some((m) => m.facts.in && m.facts.out);
    const who = g.manager === 'own' ? `a LOG rule of the host's own nftables or iptables rules (prefix "${g.prefix}")` : g.manager === 'ufw' ? 'ufw' : g.manager === 'ufw-docker' ? "ufw-docker's rules (DOCKER-USER, [UFW DOCKER BLOCK])" : g.zone ? `firewalld's zone ${g.zone} (${g.prefix})` : `firewalld's catch-all reject (${g.prefix}, the iptables back end)`;
    const verb = g.manager === 'own' ? (/reject/i.test(g.prefix) ? 'logged as rejected' : /den(?:y|ied)/i.test(g.prefix) ? 'logged as denied' : /block/i.test(g.prefix) ? 'logged as blocked' : 'logged as dropped') : /DROP/.test(g.prefix) || g.manager !== 'firewalld' ? 'dropped' : 'rejected';
    const ports = g.manager === 'own' ? [...new Set(g.lines.filter((m) => m.facts.dpt).map((m) => `${(m.facts.proto ?? '').toLowerCase() || 'port'} ${m.facts.dpt}`.replace(/^port port/, 'port')))].slice(0, 3) : [];
    parts.push(`${who} ${verb} ${forwarded ? 'forwarded ' : ''}traffic ${paths.slice(0, 3).join(', ')}${pairs.length ? ` (${pairs.join(', ')})` : ''}${ports.length ? `, to ${ports.map((p) => (/^(?:tcp|udp) /.test(p) ? p.replace(' ', ' port ') : p)).join(', ')}${g.lines.some((m) => m.facts.dpt === '53') ? ' (DNS)' : ''}` : ''}`);
    if (g.manager === 'own') {
      // H98: what the bundle's live rules say of the prefix and of each line's packet
      const o = own.get(g.prefix);
      const traces = ownTraced(g);
      const dropped = traces.filter((t): t is OwnLineTrace => t?.outcome === 'dropped');
      const undecided = traces.filter((t): t is OwnLineTrace => t?.outcome === 'unknown');
      if (o?.rules.known && o.rules.rules.length === 0)
        parts.push(
          `no LOG rule in the bundle's rules has the prefix "${g.prefix}"${o.rules.partial ? ' (the rules in the bundle are cut or list chosen tables only: it may be in what they do not show)' : ''}: the lines come from rules not loaded when the bundle was collected (changed since), or from another network namespace, so whether this traffic is dropped now is not known`,
        );
      for (const r of o?.rules.rules.slice(0, 2) ?? []) draft.evidence.push({ file: r.file, line: r.line, excerpt: r.text, note: `the LOG rule with the prefix "${g.prefix}"` });
      if (dropped.length > 0) {
        const by = dropped[0].by;
        parts.push(
          `traced through the bundle's rules (the ${dropped[0].path} path), ${dropped.length === g.lines.length ? "the lines' packets are" : `the packets of ${dropped.length} of these lines are`} dropped after the LOG rule, by ${stepText(by)}${by ? ` (${by.file}:${by.line})` : ''}`,
        );
        if (by) draft.evidence.push({ file: by.file, line: by.line, excerpt: by.text, note: 'the rule or policy that drops the logged packet (traced)' });
        // a rule of its own drops them (not the chain's policy): that is the rule to change
        if (by && by.action !== 'policy') {
          summaries.push(`Traced through the bundle's rules, "${by.text}" (${by.file}:${by.line}) drops these packets after the LOG rule: change that rule, or put an accept for this traffic before it, where the containers are meant to reach the destination.`);
          commands.push(by.nft ? `nft -a list chain ${by.nft.family} ${by.nft.table} ${by.chain}   # the rule that drops them, with its handle` : `iptables${by.table && by.table !== 'filter' ? ` -t ${by.table}` : ''} -L ${by.chain} -n -v --line-numbers   # the rule that drops them (rule ${by.num})`);
        }
      }
      if (undecided.length > 0)
        parts.push(
          `the bundle's rules hold the LOG rule, but the trace of ${undecided.length === g.lines.length ? "the lines' packets" : `${undecided.length} of these lines' packets`} was not decided (${undecided[0].why}): whether the rules drop them after logging is not known`,
        );
      const br = bridges.length > 0 ? bridges : ['docker0'];
      // H98 (R31 c02): packets to the host itself (OUT= empty: a container asking the host's DNS on docker0) or from it
      // (IN= empty) are the input or output chain's, not the forward chain's: no forward accept, no masquerade
      const hook = g.lines.every((m) => !m.facts.out) ? 'input' : g.lines.every((m) => !m.facts.in) ? 'output' : 'forward';
      const grep = `nft -a list ruleset | grep -n -F '${g.prefix.replace(/'/g, '').slice(0, 40)}'   # the LOG rule, its table and chain; iptables: iptables -S | grep -F -- '--log-prefix'`;
      if (hook !== 'forward') {
        const ipt = hook === 'input' ? 'INPUT' : 'OUTPUT';
        const dir = hook === 'input' ? 'iifname' : 'oifname';
        const flag = hook === 'input' ? '-i' : '-o';
        const services = [
          ...new Map(
            g.lines.map((m) => {
              const itf = (hook === 'input' ? m.facts.in : m.facts.out) ?? br[0];
              const proto = m.facts.proto && /^(TCP|UDP)$/i.test(m.facts.proto) ? m.facts.proto.toLowerCase() : undefined;
              const port = proto && m.facts.dpt ? m.facts.dpt : undefined;
              return [`${itf}|${proto ?? ''}|${port ?? ''}`, { itf, proto, port }] as const;
            }),
          ).values(),
        ].slice(0, 5);
        const says = services.map((x) => `${dir} "${x.itf}"${x.proto && x.port ? ` ${x.proto} dport ${x.port}` : ''} accept`).join('; ');
        summaries.push(
          `The prefix "${g.prefix}" is not Docker's, a CNI plugin's nor a firewall manager's: it is a LOG rule of the host's own nftables or iptables configuration, in its ${hook} chain: ${hook === 'input' ? "these are the containers' packets to the host itself" : "these are the host's own packets to the containers"}${g.lines.some((m) => m.facts.dpt === '53') ? ' (DNS: a resolver on the host, such as one listening on the bridge address)' : ''}, which that chain drops unless it accepts them. Accept them in the ${hook} chain, before the drop (${says}); put the same rule in the configuration file so that the next reload keeps it.`,
        );
        commands.push(grep);
        for (const x of services) commands.push(`iptables -I ${ipt} ${flag} ${x.itf}${x.proto ? ` -p ${x.proto}` : ''}${x.port ? ` --dport ${x.port}` : ''} -j ACCEPT`);
        for (const x of services) commands.push(`nft insert rule inet filter ${hook} ${dir} "${x.itf}"${x.proto && x.port ? ` ${x.proto} dport ${x.port}` : ''} accept   # use the table and chain the grep shows`);
        continue;
      }
      const intoContainers = g.lines.some((m) => CONTAINER_ITF_ONLY.test(m.facts.out ?? '') && !CONTAINER_ITF_ONLY.test(m.facts.in ?? ''));
      summaries.push(
        `The prefix "${g.prefix}" is not Docker's, a CNI plugin's nor a firewall manager's: it is a LOG rule of the host's own nftables or iptables configuration (an /etc/nftables.conf, a configuration tool such as puppet-nftables), whose forward chain drops what it does not accept. Let the containers' traffic through in that forward chain, before the drop: replies of established connections first (ct state established,related accept), then new connections from the containers' bridges (iifname "${br[0]}" accept)${intoContainers ? `, and replies to them (oifname "${br[0]}" ct state established,related accept)` : ''}; put the same rules in the configuration file so that the next reload keeps them.` +
          ` Where Docker runs with "iptables": false, it adds no rule of its own: the host's ruleset must also masquerade the containers' subnet on the way out.` +
          ` An /etc/nftables.conf that starts with flush ruleset also removes Docker's own rules at every nftables reload (systemctl restart nftables, nft -f): flush only the host's own tables (flush table inet filter, or delete table and re-create it), or restart docker after each reload.`,
      );
      commands.push(grep);
      commands.push('nft insert rule inet filter forward ct state established,related accept   # use the table and chain the grep shows (inet filter forward is the usual name)');
      for (const b of br) commands.push(`nft insert rule inet filter forward iifname "${b}" accept`);
      if (intoContainers) for (const b of br) commands.push(`nft insert rule inet filter forward oifname "${b}" ct state established,related accept`);
      commands.push(`# iptables instead of nft: iptables -I FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT; ${br.map((b) => `iptables -I FORWARD -i ${b} -j ACCEPT`).join('; ')}`);
      const subnetsHere = cidrs.length > 0 ? cidrs : [...new Set(g.lines.map((m) => m.facts.src).filter((x): x is string => !!x && /^172\.17\./.test(x)).map(() => '172.17.0.0/16'))];
      if (subnetsHere.length > 0) commands.push(`# Docker with "iptables": false only: nft add rule inet nat postrouting ip saddr ${subnetsHere[0]} oifname != "${br[0]}" masquerade   # in a nat table with a postrouting chain (type nat hook postrouting)`);
    } else if (g.manager === 'firewalld') {
      reload = true;
      // no subnet in the bundle: flannel's default Network (kubeadm's 10.244.0.0/16, k3s' 10.42.0.0/16) where flannel's
      // interfaces and both addresses say so, marked as assumed
      const assumed = cidrs.length > 0 ? undefined : FLANNEL_DEFAULTS.find((c) => itfs.some((i) => /^(?:flannel|cni0$)/.test(i)) && g.lines.every((m) => !m.facts.src || (addressIn(m.facts.src, c) && addressIn(m.facts.dst ?? '', c))));
      const sources = cidrs.length > 0 ? cidrs : assumed ? [assumed] : ['<the pod or container subnet>'];
      summaries.push(
        `Put the containers' traffic in firewalld's trusted zone, not in ${g.zone ? `the zone ${g.zone}` : 'the zone it falls in now'}: their subnet as a source (${sources.join(', ')})${bridges.length ? ` or their interfaces (${bridges.join(', ')}; an interface is in one zone only)` : ''}, permanently, then reload; or a policy from their zone that accepts the traffic (firewalld 0.9 and later). Not systemctl stop firewalld.`,
      );
      for (const c of sources) commands.push(`firewall-cmd --permanent --zone=trusted --add-source=${c}${c === assumed ? "   # flannel's default Network, which holds both addresses: FLANNEL_NETWORK in /run/flannel/subnet.env says which it is" : ''}`);
      if (bridges.length) commands.push(`firewall-cmd --permanent --zone=trusted ${bridges.map((b) => `--add-interface=${b}`).join(' ')}   # or the interfaces (--change-interface where another zone has one)`);
    } else if (g.manager === 'ufw-docker') {
      summaries.push(
        "ufw-docker drops new connections from outside the private ranges to containers' published ports, as it is set up to: let through those meant to be public with ufw route allow to the container's address and port (the container's port, not the host's: the line's DPT is the container's, after Docker's DNAT); ufw-docker allow <container> <port>/tcp does the same by the container's name, where the ufw-docker script is installed.",
      );
      for (const m of g.lines.slice(0, 20)) {
        const proto = m.facts.proto && /^(TCP|UDP)$/i.test(m.facts.proto) ? m.facts.proto.toLowerCase() : undefined;
        if (proto && m.facts.dpt && m.facts.dst) commands.push(`ufw route allow proto ${proto} from any to ${m.facts.dst} port ${m.facts.dpt}   # the container's address now: it changes when the container is re-created`);
      }
    } else {
      const podRouted = g.lines.some((m) => !CONTAINER_ITF_ONLY.test(m.facts.in ?? '') && !CONTAINER_ITF_ONLY.test(m.facts.out ?? ''));
      summaries.push(
        `Let the containers' traffic through ufw: ufw route allow for forwarded traffic, ufw allow in on the container interface for traffic to the host${podRouted ? "; on the host's own interface, only from the pods' subnet (ufw allow in on <interface> from <subnet>), not from everyone on it" : ''}.`,
      );
      for (const m of g.lines.slice(0, 20)) {
        const port = m.facts.dpt && m.facts.proto && /^(TCP|UDP)$/i.test(m.facts.proto) ? ` to any port ${m.facts.dpt} proto ${m.facts.proto.toLowerCase()}` : '';
        // on the host's own interface (routed pod traffic): only from the pods' subnet, not from anyone on that interface
        const onHostItf = (itf: string | undefined) => !!itf && !CONTAINER_ITF_ONLY.test(itf);
        const podSrc = inSubnet(m.facts.src);
        const from = podSrc && onHostItf(m.facts.in) && (!m.facts.out || onHostItf(m.facts.out)) ? ` from ${podSrc}` : '';
        if (m.facts.in && m.facts.out) commands.push(`ufw route allow in on ${m.facts.in} out on ${m.facts.out}${from}${port}`);
        else if (m.facts.in) commands.push(`ufw allow in on ${m.facts.in}${from}${port}`);
        else if (m.facts.out) commands.push(`ufw allow out on ${m.facts.out}${port}`);
      }
    }
  }
  // lines on the host's own interfaces count by their address: say which subnet made them a pod's
  const routed = matches.filter((m) => !CONTAINER_ITF_ONLY.test(m.facts.in ?? '') && !CONTAINER_ITF_ONLY.test(m.facts.out ?? ''));
  const routedSubnets = [...new Set(routed.flatMap((m) => [inSubnet(m.facts.src), inSubnet(m.facts.dst)]).filter((x): x is string => !!x))];
  if (routedSubnets.length > 0)
    parts.push(
      `on the host's own interfaces (${[...new Set(routed.flatMap((m) => [m.facts.in, m.facts.out]).filter(Boolean))].join(', ')}) these are pods' or containers' packets, routed without a pod interface (flannel host-gw, Calico's routed mode): ${routedSubnets.map((c) => `${c} is ${subnets.get(c)}`).join('; ')}`,
    );
  if (reload) {
    commands.push('firewall-cmd --reload');
    const answer = dockerOnFirewalldReload(artifacts);
    if (host.traits().has('docker') && !answer?.restoresAll)
      commands.push(`# then restart docker: ${answer ? answer.says : 'Docker before 28.3.3 does not re-create all its rules when firewalld reloads (docker version says which runs here)'}`, ...host.restartDocker());
  }
  // H98: certain only where the trace says so; where the bundle's rules do not show it, the prefix is all there is
  const ownRulesSilent = [...groups.values()].some((g) => g.manager === 'own' && (own.get(g.prefix)?.rules.known ?? false) && !ownTraced(g).every((t) => t?.outcome === 'dropped'));
  const ownClosing = ownRulesSilent
    ? "The host's own rules logged this traffic up to the logs' end under a prefix that says it is refused; the bundle's rules do not show that they drop it, so that the containers cannot reach that destination is likely, not certain."
    : "The host's own rules are logging this traffic as refused up to the logs' end: the containers cannot reach that destination while the rule stands.";
  if (accepted.length > 0) {
    const prefixes = [...new Set(accepted.map((m) => m.facts.ownPrefix!))];
    parts.push(`${accepted.length} more line${accepted.length > 1 ? 's' : ''} (prefix ${prefixes.map((x) => `"${x}"`).join(', ')}) ${accepted.length > 1 ? 'were' : 'was'} logged, then accepted by the bundle's rules (traced): no drop, left out`);
  }
  draft.message = `${count} line${count > 1 ? 's' : ''} on ${node}: ${parts.join('; ')}. ${draft.severity === 'critical' ? (ownConfirmed ? "The host's own rules drop these containers' packets now (traced through the bundle's rules)." : 'The firewall is rejecting these containers\' traffic now.') : ownOnly && !old && !stray ? ownClosing : byDesign && !old && !stray ? "ufw-docker is dropping these connections now, as it does for every container port not allowed with ufw route allow: it matters where the container is meant to be reached from there." : old ? `The last line is more than a day older than the logs' end: ${count === 1 ? 'one old packet, maybe fixed since' : 'it may be fixed since'}.` : 'Only TCP packets of connections already closed (no SYN): late stray packets, which firewalls log once conntrack has forgotten the connection.'}`;
  draft.facts = { ...draft.facts, zones: [...groups.values()].map((g) => g.zone ?? g.manager) };
  draft.remedy = {
    summary: summaries.join(' '),
    commands: [...new Set(commands)],
    ...(reload ? { caution: "firewall-cmd --reload rebuilds firewalld's rules; where Docker needs restarting after it, that restarts every container." } : {}),
  };
  return true;
}


// ---- Calico's BGP peers ---------------------------------------------------------------------

const LOCAL_BRIDGE = /^(?:docker0|docker_gwbridge|br-[0-9a-f]{12}|cni0|cbr0|virbr\d{1,3}|lxcbr\d|lxdbr\d|incusbr\d|podman\d{1,4}|cni-podman\d{1,4})$/;
/** a Docker network's gateway (172.17-31.x.1, 192.168.<multiple of 16>.1) or libvirt's default (192.168.122.1) */
const BRIDGE_GATEWAY = /^(?:172\.(?:1[6-9]|2\d|3[01])\.\d{1,3}\.1|192\.168\.(?:0|16|32|48|64|80|96|112|128|144|160|176|192|208|224|240)\.1|192\.168\.122\.1)$/;

/** Calico's name of a BGP session with an IPv4 peer (its bird.cfg templates: the address with `_` for `.`) */
const BIRD_PROTOCOL_V4 = /^(?:Mesh|Node|Global)_(\d{1,3})_(\d{1,3})_(\d{1,3})_(\d{1,3})$/;

/**
 * What BIRD's own lines say of the sessions, a sentence per kind: the local address it cannot bind
 * (the address Calico registered for this node is not on it), the peer refusing or not answering on
 * TCP 179, the peer rejecting the session (it has no peer of the address this node comes from), a
 * connection from an address no peer has (a node whose BGP traffic leaves from another address than
 * the one it registered).
 */
function birdSays(draft: FindingDraft, facts: Record<string, string[]>): void {
  const errors = facts.birdError ?? [];
  const said: string[] = [];
  if (errors.some((e) => /^bind: (?:Address not available|Cannot assign requested address)/.test(e)))
    said.push("BIRD cannot bind the local address Calico registered for this node's BGP sessions: that address is not on the node (it changed since calico-node registered it, or the registered address is wrong); calico-node detects its address again when it restarts");
  if (errors.some((e) => /^bind: Address (?:already )?in use/.test(e))) said.push('BIRD cannot bind its BGP socket: another process (another BGP daemon) holds TCP 179 on this node');
  if (errors.some((e) => /Connection refused/.test(e))) said.push("the peer refused BIRD's connection to TCP 179: calico-node is not running there, or a REJECT rule answers for the port");
  if (errors.some((e) => /Connection timed out|No route to host|Network is unreachable|Host is unreachable/.test(e))) said.push('the peer did not answer on TCP 179, or no route leads to it: a firewall drops BGP between the nodes, or the peer is down or gone');
  if (errors.includes('Connection rejected')) said.push("the peer rejected the session (BGP Cease: Connection rejected): it has no BGP peer of the address this node connects from, so one of the two registered another address than the one its BGP traffic uses");
  if (errors.includes('Hold timer expired')) said.push('sessions came up and then went silent (Hold timer expired): BGP keepalives are dropped between the nodes, or the peer is overloaded');
  const unknown = facts.unknownAddress ?? [];
  if (unknown.length > 0)
    said.push(`a node connected from ${unknown.slice(0, 3).join(', ')}, which no Calico node registered: that node's BGP traffic leaves from another address than the one it registered (several interfaces; autodetection picked the wrong one)`);
  if (said.length === 0) return;
  draft.message += ` BIRD's lines: ${said.join('; ')}.`;
  draft.facts = { ...draft.facts, birdErrors: [...new Set(errors)], ...(unknown.length ? { unknownAddresses: unknown } : {}) };
}

/**
 * BIRD has no session with these peers. A peer that is a bridge's address on this node (docker0,
 * br-*, virbr0 ...) is a node whose first-found autodetection registered a bridge's address:
 * critical, with the autodetection setting as the fix. A peer shaped like a Docker or libvirt
 * gateway says the same, hedged (a warning). Otherwise the usual causes; one line alone (the probe
 * at calico-node's start, before BGP comes up) is info.
 */
function calicoBgp(draft: FindingDraft, matches: LogMatch[], count: number, facts: Record<string, string[]>, artifacts: NodeArtifacts): void {
  const probed = (facts.peers ?? []).flatMap((p) => p.split(/,\s?/)).map((p) => p.trim());
  // BIRD's lines name the session, Calico's templates the peer in it: Mesh_10_0_5_102 is 10.0.5.102
  const named = (facts.birdProtocol ?? []).map((p) => BIRD_PROTOCOL_V4.exec(p)?.slice(1, 5).join('.') ?? '');
  const peers = [...new Set([...probed, ...named].filter(Boolean))];
  birdSays(draft, facts);
  const local = new Map<string, { itf: string; ref: { file: string; line: number }; excerpt: string }>();
  for (const i of interfacesOf(artifacts.ipAddr ?? []).values())
    if (LOCAL_BRIDGE.test(i.name)) for (const a of i.addresses) local.set(a.address, { itf: i.name, ref: a.ref, excerpt: a.excerpt });
  const onBridge = peers.filter((p) => local.has(p));
  const shaped = peers.filter((p) => !local.has(p) && BRIDGE_GATEWAY.test(p));
  const uplink = uplinkOf(artifacts) ?? '<the uplink, e.g. ens.*>';
  draft.facts = { ...draft.facts, peers };
  if (onBridge.length > 0 || shaped.length > 0) {
    draft.severity = onBridge.length > 0 ? 'critical' : 'warning';
    for (const p of onBridge) {
      const l = local.get(p)!;
      draft.evidence.push({ file: l.ref.file, line: l.ref.line, excerpt: l.excerpt, note: `${p} is ${l.itf}'s address on this node: a bridge's address, not a node's` });
    }
    draft.message +=
      onBridge.length > 0
        ? ` ${onBridge.join(', ')} ${onBridge.length > 1 ? 'are bridge addresses' : `is the address of ${local.get(onBridge[0])!.itf}`} on this node: Calico's first-found autodetection registered a node with a bridge's address (Docker's, libvirt's) instead of its uplink's, so its peers dial an address no node listens on for BGP.`
        : ` ${shaped.join(', ')} ${shaped.length > 1 ? 'look like' : 'looks like'} a Docker or libvirt bridge's gateway: Calico's first-found autodetection likely registered a node with a bridge's address instead of its uplink's (calicoctl get nodes -o wide shows it).`;
    draft.remedy = {
      summary: `Make Calico take each node's address from its uplink, not the first interface it finds: nodeAddressAutodetectionV4 in the operator's Installation, or IP_AUTODETECTION_METHOD in the calico-node DaemonSet of a manifest install (interface=${uplink}, or can-reach=<another node's address>). calico-node restarts and registers the right address.`,
      commands: [
        `kubectl patch installation default --type=merge -p '{"spec":{"calicoNetwork":{"nodeAddressAutodetectionV4":{"interface":"${uplink}"}}}}'   # operator install`,
        `kubectl -n kube-system set env daemonset/calico-node IP_AUTODETECTION_METHOD=interface=${uplink}   # manifest install`,
        'calicoctl get nodes -o wide   # afterwards: every node with its uplink address',
      ],
      caution: 'calico-node restarts on every node: BGP sessions and routes come back within a minute.',
    };
    return;
  }
  draft.severity = count === 1 ? 'info' : 'warning';
  if (count === 1) draft.message += ' One line only: calico-node reports this until BGP comes up after it starts; it matters if it goes on.';
  draft.remedy.commands = [...draft.remedy.commands, ...peers.slice(0, 3).map((p) => `nc -zv -w 3 ${p} 179   # BGP's port on the peer`)];
}

/**
 * H84: log.dns-lookup-failed worded by its kinds and resolvers (analyzers/lib/dns-lookup.ts).
 * H91 (R28 11, 12, 15): kube-dns's usual addresses are the cluster's DNS only where the bundle shows Kubernetes (the
 * node's traits, a pod's lines, CoreDNS' own); an address of the host's own resolv.conf is the host's nameserver; where
 * every failure came at boot before the network was online, or its name was answered later, the finding is info and
 * says when.
 */
function dnsLookupFailed(
  draft: FindingDraft,
  matches: LogMatch[],
  ctx: { complete: boolean; byId: Map<string, { matches: LogMatch[]; count: number }>; artifacts: NodeArtifacts; host: HostView },
): void {
  const kubernetes = ctx.host.traits().has('kubernetes') || matches.some((m) => m.pod !== undefined || m.facts.reporter === 'plugin/errors');
  const past = dnsLookupPast(matches, ctx.byId.get('log.coredns-query-answered')?.matches ?? [], ctx.byId.get('log.network-online')?.matches ?? [], ctx.complete);
  const context: ResolverContext & { past?: boolean } = { kubernetes, hostNameservers: hostNameservers(ctx.artifacts, kubernetes), past: past.all };
  const w = dnsLookupWording(matches, context);
  draft.severity = w.severity;
  if (w.message) draft.message += ` ${w.message}`;
  draft.remedy = { ...draft.remedy, commands: [...draft.remedy.commands, ...w.commands] };
  draft.facts = { ...draft.facts, kinds: w.kinds, resolvers: w.resolvers };
  if (past.message && !past.all) draft.message += ` ${past.message}`;
  if (!past.all) return;
  draft.severity = 'info';
  if (past.title) draft.title = past.title;
  draft.message += ` ${past.message}`;
  for (const l of [...past.online, ...past.answered].slice(0, 3))
    draft.evidence.push({
      file: l.file,
      line: l.line,
      excerpt: l.excerpt,
      ...timeOf(l),
      note: l.signature === 'log.network-online' ? 'the network came online after the failures' : `the same name answered later (${l.facts.rcode ?? 'NOERROR'})`,
    });
  draft.facts = { ...draft.facts, past: past.why.every((x) => x === 'boot') ? 'boot' : past.why.every((x) => x === 'answered') ? 'answered-later' : 'boot-or-answered-later' };
  draft.remedy = {
    summary: `Nothing to fix for these lines: ${draft.facts.past === 'answered-later' ? 'the same names were answered later' : 'the network came online seconds later'}.${draft.facts.past !== 'answered-later' ? ' Where a service keeps failing at boot, order it after network-online.target (Wants= and After= in a drop-in).' : ''} Where failures come back, ask the same resolver from the same place.`,
    commands: draft.remedy.commands,
  };
}

/** The nameservers of the host's own resolv.conf: not a container's or build's; on Kubernetes only a file known to be the host's. */
function hostNameservers(artifacts: NodeArtifacts, kubernetes: boolean): { address: string; file: string; line: number }[] {
  const out: { address: string; file: string; line: number }[] = [];
  for (const r of artifacts.resolvConf ?? []) {
    if (r.format !== 'resolv.conf' || r.owner !== undefined) continue;
    // a pod's resolv.conf names kube-dns: on a Kubernetes node only a file whose path says it is the host's counts
    if (kubernetes && (r.hostPath === undefined || resolvConfHostPath(r.file) === undefined)) continue;
    for (const n of r.nameservers) if (!n.loopback) out.push({ address: n.address, file: r.file, line: n.ref.line });
  }
  return out;
}

/**
 * H91 (R28 16): kubelet's `cni plugin not initialized` at start-up, followed by the node becoming ready (kubelet's
 * "Fast updating node status as it just became ready", the NodeReady event): the CNI add-on wrote its file and the
 * runtime loaded it; info in the past tense, with how long it took. Where nothing later shows the node ready but the
 * directory holds a file the runtime loads first, that is said (the lines may be from before it was written).
 */
function cniNotInitialized(draft: FindingDraft, matches: LogMatch[], meaning: string, ctx: { complete: boolean; ready: LogMatch[]; artifacts: NodeArtifacts }): void {
  const timed = matches.filter((m) => m.timestamp);
  const lastFail = timed[timed.length - 1]?.timestamp;
  const ready = ctx.complete && lastFail ? inTimeOrder(ctx.ready).find((r) => r.timestamp && r.timestamp.epochMs > lastFail.epochMs) : undefined;
  const clock = (t: { iso: string }): string => t.iso.slice(11, 19);
  if (ready && timed.length === matches.length) {
    const first = timed[0].timestamp!;
    const secs = Math.round((ready.timestamp!.epochMs - first.epochMs) / 1000);
    const took = secs < 120 ? `${secs} s` : secs < 7200 ? `${Math.round(secs / 60)} min` : `${Math.round(secs / 3600)} h`;
    draft.title = 'The container runtime had no CNI network during start-up (resolved)';
    draft.message = draft.message.replace(
      meaning,
      `The container runtime had no usable CNI network configuration during start-up (${took}, from ${clock(first)}), resolved at ${clock(ready.timestamp!)}: kubelet reported the node ready after it (${ready.excerpt.includes('just became ready') ? '"Fast updating node status as it just became ready"' : 'NodeReady'}). The network add-on wrote its file and the runtime loaded it; nothing to fix.`,
    );
    draft.severity = 'info';
    draft.evidence.push({ file: ready.file, line: ready.line, excerpt: ready.excerpt, ...timeOf(ready), note: 'kubelet: the node became ready after the lines' });
    draft.facts = { ...draft.facts, resolvedAt: ready.timestamp!.iso, startupSeconds: secs };
    draft.remedy = { summary: 'Nothing to fix: the node became ready once the network add-on had written its configuration. It matters only if the lines come back after the node was ready.', commands: [`kubectl get node ${ready.facts.node ?? '<node>'}   # Ready now`] };
    return;
  }
  // no later ready line: a file the runtime loads first is there now (cni.config-invalid's reading of the directory)
  const order = cniConfOrder(ctx.artifacts.cniConf);
  const loaded = order && isNetDir(order.dir) ? order.files[0] : undefined;
  if (loaded && !loaded.invalid && lastFail) {
    const base = loaded.file.slice(loaded.file.lastIndexOf('/') + 1);
    draft.message += ` The directory holds a file the runtime can load now (${base}): the lines (last at ${clock(lastFail)}) may be from before the add-on wrote it. Where the node is still NotReady with the file in place, the runtime did not reload it: restart it (containerd did not pick up a file written later in containerd/containerd#7196).`;
    draft.evidence.push({ file: loaded.file, line: loaded.name?.ref.line ?? 1, excerpt: loaded.name?.excerpt ?? base, note: `a valid CNI configuration (${loaded.plugins.map((p) => p.type ?? '?').join(' + ')})` });
  }
}

