/**
 * flannel.masquerade-missing: flannel runs with ip-masq (FLANNEL_IPMASQ=true in subnet.env), but a
 * packet from a pod to an address outside the cluster leaves the node without source NAT: pods
 * cannot reach anything outside the pod network (the answers go to a pod address nobody routes).
 *
 * flannel's rules, by version (flannel-io/flannel):
 * - 0.15 and later (pkg/trafficmngr/iptables/iptables.go masqRules; network/iptables.go before the
 *   move): `-A POSTROUTING -m comment --comment "flanneld masq" -j FLANNEL-POSTRTG`, and in
 *   FLANNEL-POSTRTG: RETURN for kube-proxy's mark 0x4000, RETURN for pod subnet <-> cluster network,
 *   RETURN for `! -s <network> -d <pod subnet>`, `-s <network> ! -d 224.0.0.0/4 -j MASQUERADE
 *   --random-fully`, `! -s <network> -d <network> -j MASQUERADE --random-fully`.
 * - 0.8 to 0.14 (network/iptables.go MasqRules): the same four rules straight in nat POSTROUTING,
 *   without comments (`-s <network> -d <network> -j RETURN`, `-s <network> ! -d 224.0.0.0/4 -j MASQUERADE`...).
 * - before (network/ipmasq.go): `-A POSTROUTING -s <network> -j FLANNEL`, FLANNEL: `-d <network> -j ACCEPT`,
 *   `! -d 224.0.0.0/4 -j MASQUERADE`.
 * Rather than looking for those rules, a packet from the node's pod subnet to an outside address,
 * leaving by the uplink, is walked through nat POSTROUTING by the packet tracer (as
 * iptables.docker-masquerade-missing does for Docker's subnets): any rule that masquerades it counts
 * (Calico's natOutgoing under canal, a broad `-o eth0 -j MASQUERADE`); a rule the tracer cannot
 * decide (an ipset whose members the bundle lacks) leaves it undecided, and nothing is said.
 */
import { defineAnalyzer, type FindingDraft } from '../src/engine/analyzer.js';
import type { NodeArtifacts } from '../src/engine/artifacts.js';
import { appendOnce } from '../src/netfilter/commands.js';
import { parseCidr } from '../src/parsers/cidr.js';
import type { FlannelSubnetEnv } from '../src/parsers/flannel-env.js';
import { interfacesOf } from '../src/parsers/interfaces.js';
import type { Evidence } from '../src/report/schema.js';
import { routeDevFor } from './lib/container-host.js';
import { flannelRunner } from './lib/flannel.js';
import { NODE_SERVICE_KINDS } from './lib/node-services.js';
import { ipsetMatcher } from './lib/ipset.js';
import { logEvidence } from './lib/logs.js';
import { liveViews, localAddresses, nativeNftables, reachableChains, type BackendView } from './lib/node-view.js';
import { OUTSIDE, SOME_UPLINK, masqueradeRules, memberAddress, outboundPacket, postroutingNat, sourceNat } from './lib/source-nat.js';

export default defineAnalyzer({
  id: 'flannel.masquerade-missing',
  title: "flannel's masquerade for the pod network is missing",
  description: 'FLANNEL_IPMASQ=true, but a packet from the pod subnet to the outside meets no MASQUERADE/SNAT in nat POSTROUTING (traced).',
  scope: 'node',
  requires: ['flannelSubnetEnv', 'iptables'],
  optional: [...new Set(['ipAddr', 'routes', 'nftables', 'services', 'logs', 'ipsets', ...NODE_SERVICE_KINDS] as const)],
  analyze({ node, artifacts, partly }) {
    const views = liveViews(artifacts).filter((v) => v.tables.has('nat'));
    if (views.length === 0) {
      // rules without a nat table (a listing of filter alone): nothing was checked (R8's N2)
      const live = liveViews(artifacts);
      if (live.length > 0) partly?.(`the live rules hold no nat table (${[...new Set(live.flatMap((v) => [...v.files.values()]))].join(', ')}): flannel's masquerade was not checked; collect iptables-save (every table) or nft list ruleset`);
      return [];
    }
    // a dump cut at its top (sos's .tailed) may have lost the rule
    if (views.some((v) => v.truncated.has('nat'))) return [];
    // every nat rule gone on a kube-proxy node: one flush, said by iptables.kube-chains-missing (with FLANNEL-POSTRTG among the emptied chains)
    if (views.every((v) => wholeNatFlushedWithKubeProxy(v))) return [];
    const out: FindingDraft[] = [];
    const seen = new Set<string>();
    for (const env of artifacts.flannelSubnetEnv) {
      if (env.ipmasq?.value !== true || !env.network || !env.subnetNetwork) continue;
      const network = parseCidr(env.network.value);
      const subnet = parseCidr(env.subnetNetwork);
      if (!network || network.family !== 4 || !subnet || subnet.family !== 4) continue;
      const key = `${env.network.value} ${env.subnetNetwork}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const result = walk(artifacts, views, env.subnetNetwork);
      if (result.kind !== 'missing') continue;
      out.push(finding(node, artifacts, views, env, result));
    }
    return out;
  },
});

function wholeNatFlushedWithKubeProxy(v: BackendView): boolean {
  const nat = v.tables.get('nat')!;
  return [...nat.values()].every((c) => c.rules.length === 0) && [...v.tables.values()].some((t) => t.has('KUBE-PROXY-CANARY') || t.has('KUBE-SERVICES'));
}

type Walk = { kind: 'covered' } | { kind: 'undecided' } | { kind: 'missing'; src: string; uplink: string; passed: Evidence[] };

/** Walks a new connection from the pod subnet's .2 to the outside through nat POSTROUTING of each back end. */
function walk(artifacts: NodeArtifacts, views: BackendView[], subnet: string): Walk {
  const src = memberAddress(subnet);
  const uplink = routeDevFor(artifacts, OUTSIDE) ?? SOME_UPLINK;
  const bridge = interfacesOf(artifacts.ipAddr ?? []).has('cni0') || !artifacts.ipAddr?.length ? 'cni0' : '(pod interface)';
  const ipset = artifacts.ipsets?.length ? ipsetMatcher(artifacts.ipsets) : undefined;
  const walked = sourceNat(
    views.map((v) => v.tables),
    outboundPacket(src, bridge, uplink),
    { localAddresses: localAddresses(artifacts), ipset },
    postroutingNat(nativeNftables(artifacts)),
  );
  if (walked.kind === 'covered') return walked;
  if (walked.kind !== 'none') return { kind: 'undecided' };
  // with no route in the bundle, a masquerade out of one named interface may be the uplink's
  if (uplink === SOME_UPLINK && views.some((v) => masquerades(v).some((r) => r.outInterface && !r.outInterface.negated))) return { kind: 'undecided' };
  const passed: Evidence[] = views
    .flatMap((v) => masquerades(v))
    .slice(0, 4)
    .map((r) => ({ file: r.ref.file, line: r.ref.line, excerpt: r.text, note: `does not apply to ${src} → ${OUTSIDE} leaving by ${uplink === SOME_UPLINK ? 'the uplink' : uplink}` }));
  return { kind: 'missing', src, uplink, passed };
}

function masquerades(v: BackendView) {
  return masqueradeRules(v.tables.get('nat'));
}

function finding(node: string, artifacts: NodeArtifacts, views: BackendView[], env: FlannelSubnetEnv, w: Extract<Walk, { kind: 'missing' }>): FindingDraft {
  const network = env.network!.value;
  const podSubnet = env.subnetNetwork!;
  const nat = views[0].tables.get('nat')!;
  const natFile = views[0].files.get('nat')!;
  const chain = nat.get('FLANNEL-POSTRTG');
  const jumped = reachableChains(nat, 'POSTROUTING').has('FLANNEL-POSTRTG');
  const where: Evidence = chain
    ? {
        file: chain.ref.file,
        line: chain.ref.line,
        excerpt: `chain nat FLANNEL-POSTRTG${chain.rules.length === 0 ? ' (no rules)' : ''}`,
        note: !jumped
          ? 'flannel 0.15+ chain: nat POSTROUTING does not jump to it'
          : chain.rules.length === 0
            ? "flannel 0.15+'s chain is there and POSTROUTING jumps to it, but it holds no rule: it was flushed"
            : `holds no masquerade for ${network} to the outside`,
      }
    : { file: natFile, line: 0, excerpt: `no "-s ${network} ! -d 224.0.0.0/4 -j MASQUERADE" reachable from nat POSTROUTING`, note: `searched the live nat table here (flannel before 0.15 writes its rules straight into POSTROUTING)` };
  const logs = logEvidence(artifacts.logs, ['log.flannel-iptables-failed', 'log.iptables-no-chain', 'log.firewall-restart']);
  const owner = flannelRunner(node, artifacts);
  // flannel 0.15+: its chain in order (emptied first when it holds some of them); before: the rules POSTROUTING lacks, appended in flannel's order
  const present = new Set((nat.get('POSTROUTING')?.rules ?? []).map((r) => r.text));
  // each safe to paste again, or after flannel wrote its rules itself: the jump and the old-style
  // rules checked (-C) before they are appended, the chain emptied before it is written in order
  const stopGap = chain
    ? [
        ...(jumped ? [] : [appendOnce('iptables -t nat -A POSTROUTING -m comment --comment "flanneld masq" -j FLANNEL-POSTRTG')]),
        ...(jumped || chain.rules.length === 0 ? ['iptables -t nat -F FLANNEL-POSTRTG   # flannel writes its chain in this order', ...newStyleRules(network, podSubnet)] : []),
      ]
    : oldStyleRules(network, podSubnet)
        .filter((c) => !present.has(c.replace('iptables -t nat ', '')))
        .map(appendOnce);
  return {
    severity: 'critical',
    title: "flannel's masquerade for the pod network is missing",
    message:
      `flannel on ${node} runs with ip-masq (${env.ipmasq!.excerpt}, ${env.ipmasq!.ref.file}:${env.ipmasq!.ref.line}), but a packet from a pod (${w.src}, pod subnet ${podSubnet} of ${network}) to an outside address leaving by ${w.uplink === SOME_UPLINK ? 'the uplink' : w.uplink} meets no MASQUERADE or SNAT in nat POSTROUTING` +
      `${chain ? (!jumped ? ': FLANNEL-POSTRTG exists but POSTROUTING does not jump to it' : chain.rules.length === 0 ? ': FLANNEL-POSTRTG is empty' : '') : ''}${w.passed.length ? ` (${w.passed.length === 1 ? 'the one masquerade there applies' : 'the masquerades there apply'} to other traffic only)` : ''}. ` +
      'Pods reach other pods, but not the outside: their packets leave with pod addresses, which nothing outside routes back.' +
      (logs.length ? ` flannel's log says it could not ensure its rules (${logs[0].file}:${logs[0].line}).` : ''),
    impact: 'Pods on this node cannot reach addresses outside the cluster network (the internet, registries, external databases).',
    evidence: [where, { file: env.network!.ref.file, line: env.network!.ref.line, excerpt: env.network!.excerpt, note: 'the cluster (pod) network flannel masquerades' }, { file: env.ipmasq!.ref.file, line: env.ipmasq!.ref.line, excerpt: env.ipmasq!.excerpt, note: 'flannel is told to masquerade it' }, ...w.passed, ...owner.evidence, ...logs],
    facts: { network, podSubnet, uplink: w.uplink === SOME_UPLINK ? undefined : w.uplink, ruleStyle: chain ? 'FLANNEL-POSTRTG (flannel 0.15+)' : 'POSTROUTING (flannel < 0.15)' },
    remedy: {
      summary: `flannel checks its rules every resync (--iptables-resync, 5 s) and rewrites them when one is missing; it did not here, so restart flannel on ${node} (${owner.name}). As a stop-gap the rules flannel writes can be added by hand, in this order.`,
      commands: [...owner.restart, '# stop-gap, only if the restart did not bring them back: the rules flannel writes (it rewrites them itself once it runs again)', ...stopGap, 'iptables -t nat -S POSTROUTING; iptables -t nat -S FLANNEL-POSTRTG   # check'],
      caution: owner.inProcess ? "Restarting k3s leaves running pods alone; the node's API server (on a server node) and kubelet are briefly away." : 'Deleting the flannel pod briefly interrupts pod networking on the node while flannel starts again.',
    },
  };
}

/** flannel 0.15+'s FLANNEL-POSTRTG rules (pkg/trafficmngr/iptables masqRules), --random-fully as iptables 1.6.2+ supports. */
function newStyleRules(network: string, podSubnet: string): string[] {
  const c = '-m comment --comment "flanneld masq"';
  return [
    `iptables -t nat -A FLANNEL-POSTRTG -m mark --mark 0x4000/0x4000 ${c} -j RETURN`,
    `iptables -t nat -A FLANNEL-POSTRTG -s ${podSubnet} -d ${network} ${c} -j RETURN`,
    `iptables -t nat -A FLANNEL-POSTRTG -s ${network} -d ${podSubnet} ${c} -j RETURN`,
    `iptables -t nat -A FLANNEL-POSTRTG ! -s ${network} -d ${podSubnet} ${c} -j RETURN`,
    `iptables -t nat -A FLANNEL-POSTRTG -s ${network} ! -d 224.0.0.0/4 ${c} -j MASQUERADE --random-fully`,
    `iptables -t nat -A FLANNEL-POSTRTG ! -s ${network} -d ${network} ${c} -j MASQUERADE --random-fully`,
  ];
}

/** flannel 0.8-0.14's rules straight in POSTROUTING (network/iptables.go MasqRules). */
function oldStyleRules(network: string, podSubnet: string): string[] {
  return [
    `iptables -t nat -A POSTROUTING -s ${network} -d ${network} -j RETURN`,
    `iptables -t nat -A POSTROUTING -s ${network} ! -d 224.0.0.0/4 -j MASQUERADE --random-fully`,
    `iptables -t nat -A POSTROUTING ! -s ${network} -d ${podSubnet} -j RETURN`,
    `iptables -t nat -A POSTROUTING ! -s ${network} -d ${network} -j MASQUERADE --random-fully`,
  ];
}

