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
 *
 * Without subnet.env (a ticket's pastes, k3s-io/k3s#7096): a live nat POSTROUTING jump to FLANNEL-POSTRTG
 * is flannel's own sign of ip-masq. flannel creates the chain and writes that jump only with ip-masq
 * (flannel-io/flannel main.go: `if opts.ipMasq { ... CreateIP4Chain("nat", "FLANNEL-POSTRTG") ...
 * SetupAndEnsureIP4Tables(MasqRules(...)) }`); k3s' embedded flannel always masquerades IPv4
 * (k3s pkg/agent/flannel/flannel.go creates the chain unconditionally). Every rule flannel 0.15+ writes
 * there carries `-m comment --comment "flanneld masq"` (network/iptables.go MasqRules, both the
 * --random-fully and the plain branch; before 0.15 there was no FLANNEL-POSTRTG). So the chain empty
 * and jumped to means flannel's masquerade is gone:
 * - a whole nat table (iptables-save, -S, or an -L listing with its POSTROUTING chain): the jump is
 *   seen, the chain is empty, and the packet walk finds no other masquerade: critical;
 * - a part of it (`iptables -t nat -vnL | grep ...`: FLANNEL-POSTRTG's `Chain` line with its reference
 *   count, no POSTROUTING): the bundle does not keep what the grep kept. `grep -i flannel` shows
 *   flannel's rules (their comment holds "flanneld"), but `grep FLANNEL` or `grep POSTRTG` shows the
 *   chain's header and the jump and hides every rule of it. Only where the chain cannot hold flannel's
 *   rules whatever the grep (k3s#7096 below) is it said; otherwise the coverage says why not.
 *   Where the paste keeps its command line (`$ sudo iptables -t nat -nvL | grep -i flannel`), the listing
 *   parser reads the pipe as grep reads it (list-format.ts outputFilterOf): an empty chain under a grep that
 *   would have shown every rule any flannel writes there is said (a warning: the grep hides the rest of
 *   POSTROUTING), and a grep that keeps POSTROUTING's header but hides the chain's rules is no whole table.
 * - FLANNEL-POSTRTG holding some of flannel's rules but not all (partialChain: which rule, what its absence
 *   breaks), where the listing is whole or the pasted grep would have shown the missing rule.
 * The pod network then comes from flannel's FLANNEL-FWD rules (`-s <network> ... "flanneld forward"`),
 * net-conf.json, the cluster's configured pod range, or k3s' default 10.42.0.0/16 (said to be assumed).
 *
 * k3s releases that cannot write flannel's rules with an iptables before 1.6.2 (KNOWN_ISSUES below, with sources):
 * k3s#6047 (flannel v0.19.1: v1.22.13, v1.23.10, v1.24.4) and k3s#7096 (flannel v0.21.1: v1.25.7, v1.26.2). The
 * iptables version comes from `iptables -V` or `k3s check-config` (src/parsers/k3s-check-config.ts). With one of
 * them, an empty FLANNEL-POSTRTG is believed whatever the grep kept, and on k3s a grep that would have shown
 * flannel's MASQUERADE rows and shows none (k3s#6047's `| grep 'MASQUERADE  all'`) is said critical
 * (k3sGrepWithoutFlannel); without one, such a grep is "ran in part", never "found nothing". The fix is the
 * upgrade: flannel then writes its rules itself.
 */
import { nftCutNote } from './lib/nft-cut.js';
import { defineAnalyzer, type FindingDraft, type Partly } from '../src/engine/analyzer.js';
import type { NodeArtifacts } from '../src/engine/artifacts.js';
import type { IptablesVersion } from '../src/netfilter/iptables-version.js';
import { compareK3sVersions, k3sVersionOf, type K3sVersion } from '../src/parsers/k3s-version.js';
import { fromK3sCheckConfig } from '../src/parsers/k3s-check-config.js';
import { appendOnce } from '../src/netfilter/commands.js';
import { outputFilterAt, filterKeeps } from '../src/netfilter/grep-filter.js';
import type { Chain, OutputFilter, Rule, Ruleset } from '../src/netfilter/rules.js';
import { parseCidr } from '../src/parsers/cidr.js';
import type { FlannelSubnetEnv } from '../src/parsers/flannel-env.js';
import { interfacesOf } from '../src/parsers/interfaces.js';
import type { Evidence } from '../src/report/schema.js';
import { routeDevFor } from './lib/container-host.js';
import { flannelRunner } from './lib/flannel.js';
import { NODE_SERVICE_KINDS, nodeServices } from './lib/node-services.js';
import { ipsetMatcher } from './lib/ipset.js';
import { logEvidence } from './lib/logs.js';
import { liveViews, localAddresses, nativeNftables, reachableChains, type BackendView } from './lib/node-view.js';
import { SOME_UPLINK, masqueradeRules, memberAddress, outboundPacket, postroutingNat, sourceNat } from './lib/source-nat.js';
import { outsideAddress } from './lib/probe-address.js';


export default defineAnalyzer({
  id: 'flannel.masquerade-missing',
  title: "flannel's masquerade for the pod network is missing",
  description: 'flannel runs with ip-masq (FLANNEL_IPMASQ=true in subnet.env, or nat POSTROUTING jumps to its FLANNEL-POSTRTG), but a packet from the pod network to the outside meets no MASQUERADE/SNAT in nat POSTROUTING (traced).',
  scope: 'node',
  requires: ['iptables'],
  optional: [...new Set(['flannelSubnetEnv', 'flannelNetConf', 'kubeClusterRanges', 'iptablesVersion', 'ipAddr', 'routes', 'nftables', 'services', 'logs', 'ipsets', 'k3sVersion', ...NODE_SERVICE_KINDS] as const)],
  analyze({ node, artifacts, partly }) {
    const envs = artifacts.flannelSubnetEnv ?? [];
    const live = liveViews(artifacts);
    // flannel's part of the rules: without subnet.env, a FLANNEL-* chain or a jump to one (a grep's rows), else nothing here is
    // flannel's -- except on k3s (which runs flannel unless told not to), where a grep that would have shown flannel's rows is evidence
    if (envs.length === 0 && !live.some(hasFlannelChains)) {
      const f = k3sGrepWithoutFlannel(node, artifacts, live, partly);
      return f ? [f] : [];
    }
    const views = live.filter((v) => v.tables.has('nat'));
    if (views.length === 0) {
      // rules without a nat table (a listing of filter alone): nothing was checked (R8's N2)
      if (live.length > 0) partly?.(`the live rules hold no nat table (${[...new Set(live.flatMap((v) => [...v.files.values()]))].join(', ')}): flannel's masquerade was not checked; collect iptables-save (every table) or nft list ruleset`, ['iptables']);
      return [];
    }
    // a dump cut at its top (sos's .tailed), or rows grepped out without their Chain lines, may have lost the rule
    if (views.some((v) => v.truncated.has('nat'))) {
      const cut = views.find((v) => v.truncated.has('nat'))!;
      if (envs.length === 0 && jumpRows(cut).length > 0)
        partly?.(`${cut.files.get('nat')} shows a jump to flannel's FLANNEL-POSTRTG (flannel masquerades), but not the chain itself (${cut.truncated.get('nat')}): whether its rules are there was not checked; collect iptables -t nat -S or iptables-save`);
      return [];
    }
    // every nat rule gone on a kube-proxy node: one flush, said by iptables.kube-chains-missing (with FLANNEL-POSTRTG among the emptied chains)
    if (views.every((v) => wholeNatFlushedWithKubeProxy(v))) return [];
    const out: FindingDraft[] = [];
    const seen = new Set<string>();
    const k3s = k3sVersions(artifacts);
    const iptv = iptablesVersions(artifacts);
    const issue = knownIssue(k3s, iptv);
    // only a part of nat listed (a grep: no POSTROUTING chain): what it hides may be flannel's rules, unless k3s#7096 keeps flannel from writing any
    const part = views.every((v) => !v.tables.get('nat')!.has('POSTROUTING'));
    for (const env of envs) {
      if (env.ipmasq?.value !== true || !env.network || !env.subnetNetwork) continue;
      const network = parseCidr(env.network.value);
      const subnet = parseCidr(env.subnetNetwork);
      if (!network || network.family !== 4 || !subnet || subnet.family !== 4) continue;
      const key = `${env.network.value} ${env.subnetNetwork}`;
      if (seen.has(key)) continue;
      seen.add(key);
      if (part && !issue) {
        // flannel's rules listed under their chain (`grep -i flannel` of a healthy node): there, nothing to say
        // some of flannel's rules listed: which are missing, and whether the grep would have shown them, is partialChain's
        if (!views.some((v) => flannelMasqRules(v).length > 0)) partly?.(partNote(views));
        continue;
      }
      const result = walk(artifacts, views, env.subnetNetwork);
      if (result.kind === 'undecided' && result.cut) partly?.(`whether the pods' traffic from ${env.subnetNetwork} is masqueraded was not decided: no rule shown masquerades it, but ${result.cut}; collect the whole nft list ruleset`, ['nftables']);
      if (result.kind !== 'missing') continue;
      out.push(finding(node, artifacts, views, env, result, issue));
    }
    // FLANNEL-POSTRTG holding some of flannel's rules, not all (a whole masquerade gone is said above)
    if (out.length === 0 && (envs.length === 0 || envs.some((e) => e.ipmasq?.value === true)))
      for (const v of views) {
        const f = partialChain(node, artifacts, v, envs, partly);
        if (f) {
          out.push(f);
          break;
        }
      }
    // subnet.env says whether flannel masquerades (FLANNEL_IPMASQ=false: it does not, whatever chain is left)
    if (envs.some((e) => e.ipmasq !== undefined)) return out;
    // no subnet.env (or one without FLANNEL_IPMASQ): flannel's own jump says it masquerades
    for (const v of views) {
      const f = withoutSubnetEnv(node, artifacts, v, k3s, iptv, partly);
      if (f) return [...out, f];
    }
    return out;
  },
});

/** Why a part of the nat table (no POSTROUTING: a grep, or one chain listed) decides nothing of flannel's masquerade. */
function partNote(views: BackendView[]): string {
  const nat = views[0].tables.get('nat')!;
  const chain = nat.get('FLANNEL-POSTRTG');
  const what = chain
    ? `FLANNEL-POSTRTG is listed with ${chain.rules.length === 0 ? 'no rule' : 'no masquerade'} (${chain.ref.file}:${chain.ref.line})`
    : `the nat rules (${views[0].files.get('nat')}) hold no masquerade for the pod network`;
  return (
    `${what}, but not the rest of the nat table (no POSTROUTING chain: a grep of the listing, or the one chain): ` +
    'the bundle does not say what the grep kept, and a grep for FLANNEL or POSTRTG shows the chain and the jump to it but hides every rule of it (they show only /* flanneld masq */); ' +
    "flannel's masquerade was not decided: collect iptables -t nat -S (or iptables-save)"
  );
}

/** The first evidence of each file line (k3s' version line is cited for k3s#7096 and as flannel's runner). */
function onePerLine(evidence: Evidence[]): Evidence[] {
  const seen = new Set<string>();
  return evidence.filter((e) => (e.line > 0 ? !seen.has(`${e.file}:${e.line}`) && !!seen.add(`${e.file}:${e.line}`) : true));
}

function hasFlannelChains(v: BackendView): boolean {
  return [...v.tables.values()].some((t) => [...t.values()].some((c) => c.name.startsWith('FLANNEL-') || c.rules.some((r) => r.target?.startsWith('FLANNEL-'))));
}

function wholeNatFlushedWithKubeProxy(v: BackendView): boolean {
  const nat = v.tables.get('nat')!;
  return [...nat.values()].every((c) => c.rules.length === 0) && [...v.tables.values()].some((t) => t.has('KUBE-PROXY-CANARY') || t.has('KUBE-SERVICES'));
}

type Walk = { kind: 'covered' } | { kind: 'undecided'; cut?: string } | { kind: 'missing'; src: string; uplink: string; passed: Evidence[] };

/** Walks a new connection from the pod subnet's .2 to the outside through nat POSTROUTING of each back end. */
function walk(artifacts: NodeArtifacts, views: BackendView[], subnet: string): Walk {
  const src = memberAddress(subnet);
  // an address outside the node and its networks (a bundle may hold the documentation address the probe would use)
  const outside = outsideAddress(artifacts, 4, [subnet]);
  const uplink = routeDevFor(artifacts, outside) ?? SOME_UPLINK;
  const bridge = interfacesOf(artifacts.ipAddr ?? []).has('cni0') || !artifacts.ipAddr?.length ? 'cni0' : '(pod interface)';
  const ipset = artifacts.ipsets?.length ? ipsetMatcher(artifacts.ipsets) : undefined;
  const walked = sourceNat(
    views.map((v) => v.tables),
    outboundPacket(src, bridge, uplink, outside),
    { localAddresses: localAddresses(artifacts), ipset },
    postroutingNat(nativeNftables(artifacts)),
  );
  if (walked.kind === 'covered') return walked;
  if (walked.kind !== 'none') return { kind: 'undecided' };
  // a cut-off nft listing: a masquerade in the rest of the table left open, or in a table after it, is not in the file
  const cut = nftCutNote(artifacts.nftables ?? []);
  if (cut) return { kind: 'undecided', cut };
  // with no route in the bundle, a masquerade out of one named interface may be the uplink's
  if (uplink === SOME_UPLINK && views.some((v) => masquerades(v).some((r) => r.outInterface && !r.outInterface.negated))) return { kind: 'undecided' };
  const passed: Evidence[] = views
    .flatMap((v) => masquerades(v))
    .slice(0, 4)
    .map((r) => ({ file: r.ref.file, line: r.ref.line, excerpt: r.text, note: `does not apply to ${src} → ${outside} leaving by ${uplink === SOME_UPLINK ? 'the uplink' : uplink}` }));
  return { kind: 'missing', src, uplink, passed };
}

function masquerades(v: BackendView) {
  return masqueradeRules(v.tables.get('nat'));
}

function finding(node: string, artifacts: NodeArtifacts, views: BackendView[], env: FlannelSubnetEnv, w: Extract<Walk, { kind: 'missing' }>, issue: KnownIssue | undefined): FindingDraft {
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
  const owner = runnerOf(node, artifacts);
  const randomFully = !issue && supportsRandomFully(iptablesVersions(artifacts)) !== false;
  // flannel 0.15+: its chain in order (emptied first when it holds some of them); before: the rules POSTROUTING lacks, appended in flannel's order
  const present = new Set((nat.get('POSTROUTING')?.rules ?? []).map((r) => r.text));
  // each safe to paste again, or after flannel wrote its rules itself: the jump and the old-style
  // rules checked (-C) before they are appended, the chain emptied before it is written in order
  const stopGap = chain
    ? [
        ...(jumped ? [] : [appendOnce('iptables -t nat -A POSTROUTING -m comment --comment "flanneld masq" -j FLANNEL-POSTRTG')]),
        ...(jumped || chain.rules.length === 0 ? ['iptables -t nat -F FLANNEL-POSTRTG   # flannel writes its chain in this order', ...newStyleRules(network, podSubnet, randomFully)] : []),
      ]
    : oldStyleRules(network, podSubnet, randomFully)
        .filter((c) => !present.has(c.replace('iptables -t nat ', '')))
        .map(appendOnce);
  return {
    severity: 'critical',
    title: "flannel's masquerade for the pod network is missing",
    message:
      `flannel on ${node} runs with ip-masq (${env.ipmasq!.excerpt}, ${env.ipmasq!.ref.file}:${env.ipmasq!.ref.line}), but a packet from a pod (${w.src}, pod subnet ${podSubnet} of ${network}) to an outside address leaving by ${w.uplink === SOME_UPLINK ? 'the uplink' : w.uplink} meets no MASQUERADE or SNAT in nat POSTROUTING` +
      `${chain ? (!jumped ? ': FLANNEL-POSTRTG exists but POSTROUTING does not jump to it' : chain.rules.length === 0 ? ': FLANNEL-POSTRTG is empty' : '') : ''}${w.passed.length ? ` (${w.passed.length === 1 ? 'the one masquerade there applies' : 'the masquerades there apply'} to other traffic only)` : ''}. ` +
      'Pods reach other pods, but not the outside: their packets leave with pod addresses, which nothing outside routes back.' +
      (logs.length ? ` flannel's log says it could not ensure its rules (${logs[0].file}:${logs[0].line}).` : '') +
      (issue ? ` ${issue.sentence}` : ''),
    impact: 'Pods on this node cannot reach addresses outside the cluster network (the internet, registries, external databases).',
    evidence: onePerLine([where, { file: env.network!.ref.file, line: env.network!.ref.line, excerpt: env.network!.excerpt, note: 'the cluster (pod) network flannel masquerades' }, { file: env.ipmasq!.ref.file, line: env.ipmasq!.ref.line, excerpt: env.ipmasq!.excerpt, note: 'flannel is told to masquerade it' }, ...w.passed, ...(issue?.evidence ?? []), ...owner.evidence, ...logs]),
    facts: { network, podSubnet, uplink: w.uplink === SOME_UPLINK ? undefined : w.uplink, ruleStyle: chain ? 'FLANNEL-POSTRTG (flannel 0.15+)' : 'POSTROUTING (flannel < 0.15)', ...issueFacts(issue) },
    remedy: issue ? issueRemedy(issue, node, owner, stopGap) : {
      summary: `flannel checks its rules every resync (--iptables-resync, 5 s) and rewrites them when one is missing; it did not here, so restart flannel on ${node} (${owner.name}). As a stop-gap the rules flannel writes can be added by hand, in this order.`,
      commands: [...owner.restart, '# stop-gap, only if the restart did not bring them back: the rules flannel writes (it rewrites them itself once it runs again)', ...stopGap, 'iptables -t nat -S POSTROUTING; iptables -t nat -S FLANNEL-POSTRTG   # check'],
      caution: owner.inProcess ? "Restarting k3s leaves running pods alone; the node's API server (on a server node) and kubelet are briefly away." : 'Deleting the flannel pod briefly interrupts pod networking on the node while flannel starts again.',
    },
  };
}

/**
 * flannel 0.15+'s FLANNEL-POSTRTG rules (pkg/trafficmngr/iptables masqRules), with --random-fully where
 * iptables has it (1.6.2+; flannel's plain branch leaves it out for an older one, which refuses it).
 */
function newStyleRules(network: string, podSubnet: string, randomFully = true): string[] {
  const c = '-m comment --comment "flanneld masq"';
  const rf = randomFully ? ' --random-fully' : '';
  return [
    `iptables -t nat -A FLANNEL-POSTRTG -m mark --mark 0x4000/0x4000 ${c} -j RETURN`,
    `iptables -t nat -A FLANNEL-POSTRTG -s ${podSubnet} -d ${network} ${c} -j RETURN`,
    `iptables -t nat -A FLANNEL-POSTRTG -s ${network} -d ${podSubnet} ${c} -j RETURN`,
    `iptables -t nat -A FLANNEL-POSTRTG ! -s ${network} -d ${podSubnet} ${c} -j RETURN`,
    `iptables -t nat -A FLANNEL-POSTRTG -s ${network} ! -d 224.0.0.0/4 ${c} -j MASQUERADE${rf}`,
    `iptables -t nat -A FLANNEL-POSTRTG ! -s ${network} -d ${network} ${c} -j MASQUERADE${rf}`,
  ];
}

/** flannel 0.8-0.14's rules straight in POSTROUTING (network/iptables.go MasqRules). */
function oldStyleRules(network: string, podSubnet: string, randomFully = true): string[] {
  const rf = randomFully ? ' --random-fully' : '';
  return [
    `iptables -t nat -A POSTROUTING -s ${network} -d ${network} -j RETURN`,
    `iptables -t nat -A POSTROUTING -s ${network} ! -d 224.0.0.0/4 -j MASQUERADE${rf}`,
    `iptables -t nat -A POSTROUTING ! -s ${network} -d ${podSubnet} -j RETURN`,
    `iptables -t nat -A POSTROUTING ! -s ${network} -d ${network} -j MASQUERADE${rf}`,
  ];
}

/** The rows of a view's nat table that jump to FLANNEL-POSTRTG (a grep fragment's rows included). */
function jumpRows(v: BackendView) {
  return [...(v.tables.get('nat')?.values() ?? [])].flatMap((c) => c.rules.filter((r) => r.target === 'FLANNEL-POSTRTG'));
}

function k3sVersions(artifacts: NodeArtifacts): K3sVersion[] {
  return (artifacts.k3sVersion ?? []).flat();
}

function iptablesVersions(artifacts: NodeArtifacts): IptablesVersion[] {
  return (artifacts.iptablesVersion ?? []).flat().filter((v) => /^iptables(?:-legacy|-nft)?$/.test(v.tool));
}

/** Whether the node's iptables knows --random-fully (1.6.2 and later, as go-iptables' HasRandomFully decides); undefined: not in the bundle. */
function supportsRandomFully(versions: IptablesVersion[]): boolean | undefined {
  const v = versions[0];
  if (!v) return undefined;
  const [a, b, c] = v.version.split('.').map(Number);
  return a > 1 || (a === 1 && (b > 6 || (b === 6 && (c ?? 0) >= 2)));
}

interface KnownIssue {
  /** `k3s-io/k3s#7096` */
  id: string;
  k3s: K3sVersion;
  iptables: IptablesVersion;
  /** the first release of the node's k3s line with the fix */
  fixed: string;
  sentence: string;
  evidence: Evidence[];
}

/**
 * k3s releases whose embedded flannel cannot write its masquerade rules with an iptables older than 1.6.2
 * (CentOS 7's 1.4.21, Ubuntu 18.04's 1.6.1), each with the first release of its line that has the fix.
 *
 * - k3s-io/k3s#6047 (Ubuntu 18.04, iptables 1.6.1: no `flanneld masq` rule after the upgrade from v1.22.12 to
 *   v1.22.13): flannel v0.19.1 asks `iptables-restore --version`, which iptables-restore before 1.6.2 does not
 *   know (the thread: "iptables-restore on ubuntu 18.04 doesn't have the `--version` argument"); its rules are
 *   never written. flannel-io/flannel#1637 ("Fixed iptables-restore version check in case of version older
 *   than 1.6.2") is in flannel v0.19.2 (flannel#1638). The k3s releases that bundled v0.19.1 and the ones that
 *   brought v0.19.2, from k3s' release notes (k3s-io/docs docs/release-notes, "Embedded Component Versions"):
 *   v1.22.13+k3s1 (k3s#5968) -> v1.22.15+k3s1 (k3s#6094, validated in k3s#6092); v1.23.10+k3s1 (k3s#5966) ->
 *   v1.23.12+k3s1 (k3s#6091, k3s#6089); v1.24.4+k3s1 -> v1.24.6+k3s1 (k3s#6088; flannel#1637's thread: "broken
 *   ... when I upgraded my k3s cluster to 1.24.4+k3s1 (using flannel v0.19.1)"). k3s skipped v1.22.14,
 *   v1.23.11 and v1.24.5. The 1.25 line is left out: its release table lists flannel v0.19.1 for v1.25.0+k3s1,
 *   but k3s#6047 was validated as fixed on v1.25.0-rc2+k3s1, so which v1.25.0 builds carry it is not certain.
 * - k3s-io/k3s#7096: flannel v0.21.1 (k3s v1.25.7+k3s1 and v1.26.2+k3s1, reproduced in the thread; v1.25.6
 *   worked) checks each rule with an empty argument where --random-fully would go (`Bad argument `''`), and the
 *   chain is never written; fixed by flannel-io/flannel#1743 in k3s#7136 (v1.26.3+k3s1) and its 1.25 backport
 *   k3s#7138 (v1.25.8+k3s1).
 *
 * Only releases (`+k3sN`) are matched: a development build of the same patch (`v1.22.13+k3s-42190acd`, the
 * commit k3s#6092 validated the fix on) may already carry the fixed flannel.
 */
const KNOWN_ISSUES: { id: string; minor: number; broken: number; fixed: string; fixedBy: string; sentence: string }[] = [
  ...[
    { minor: 22, broken: 13, fixed: 'v1.22.15+k3s1', fixedBy: 'k3s#6094' },
    { minor: 23, broken: 10, fixed: 'v1.23.12+k3s1', fixedBy: 'k3s#6091' },
    { minor: 24, broken: 4, fixed: 'v1.24.6+k3s1', fixedBy: 'k3s#6088' },
  ].map((l) => ({
    ...l,
    id: 'k3s-io/k3s#6047',
    sentence:
      "its embedded flannel v0.19.1 asks `iptables-restore --version`, which iptables-restore before 1.6.2 does not know, fails, and never writes its masquerade rules (flannel-io/flannel#1637, fixed in flannel v0.19.2)",
  })),
  ...[
    { minor: 25, broken: 7, fixed: 'v1.25.8+k3s1', fixedBy: 'k3s#7138' },
    { minor: 26, broken: 2, fixed: 'v1.26.3+k3s1', fixedBy: 'k3s#7136' },
  ].map((l) => ({
    ...l,
    id: 'k3s-io/k3s#7096',
    sentence:
      'this iptables has no --random-fully: its flannel checks each masquerade rule with an empty argument where --random-fully would go, iptables refuses it ("Bad argument"), and the chain is never written',
  })),
];

function knownIssue(k3s: K3sVersion[], iptables: IptablesVersion[]): KnownIssue | undefined {
  const ipt = iptables[0];
  if (!ipt || supportsRandomFully(iptables) !== false) return undefined;
  for (const v of k3s) {
    const line = KNOWN_ISSUES.find((l) => v.major === 1 && v.minor === l.minor && v.patch === l.broken);
    if (!line || compareK3sVersions(v, k3sVersionOf(line.fixed)!) >= 0) continue;
    // a development build (`+k3s-42190acd`) may carry the fixed flannel already
    if (v.build !== undefined && !/^k3s\d+$/.test(v.build)) continue;
    const n = line.id.replace('k3s-io/k3s', 'k3s');
    return {
      id: line.id,
      k3s: v,
      iptables: ipt,
      fixed: line.fixed,
      sentence: `This is ${line.id}: k3s ${v.version} (${v.ref.file}:${v.ref.line}) with iptables ${ipt.version} (${ipt.ref.file}:${ipt.ref.line}): ${line.sentence}. Fixed in ${line.fixed} (${line.fixedBy}, flannel updated).`,
      evidence: [
        { file: v.ref.file, line: v.ref.line, excerpt: v.excerpt, note: `${n}: this release cannot write flannel's masquerade rules with an iptables older than 1.6.2; fixed in ${line.fixed}` },
        { file: ipt.ref.file, line: ipt.ref.line, excerpt: ipt.excerpt, note: 'older than 1.6.2' + (line.id.endsWith('7096') ? ': no --random-fully' : ': iptables-restore has no --version') },
      ],
    };
  }
  return undefined;
}

function issueFacts(issue: KnownIssue | undefined): Record<string, string> {
  return issue ? { knownIssue: issue.id, k3sVersion: issue.k3s.version, iptablesVersion: issue.iptables.version, fixedIn: issue.fixed } : {};
}

/** The upgrade to the fixed release (k3s' manual binary upgrade, docs.k3s.io/upgrades/manual), then the stop-gap. */
function issueRemedy(issue: KnownIssue, node: string, owner: ReturnType<typeof runnerOf>, stopGap: string[]) {
  const tag = issue.fixed.replace('+', '%2B');
  return {
    summary:
      `Upgrade k3s on ${node} to ${issue.fixed} or later (${issue.id}): its flannel writes FLANNEL-POSTRTG itself with this iptables, no rule needs adding by hand. ` +
      'Upgrade the same way k3s was installed (the install script again with the options it was installed with, or the binary as below); every node running an affected release needs it.',
    commands: [
      `case "$(uname -m)" in x86_64) A=;; aarch64) A=-arm64;; armv7l) A=-armhf;; esac; curl -fL -o /tmp/k3s "https://github.com/k3s-io/k3s/releases/download/${tag}/k3s$A" && chmod 755 /tmp/k3s && /tmp/k3s -v`,
      'install -m 755 /tmp/k3s "$(command -v k3s)"   # replaces the k3s binary the unit runs (/usr/local/bin/k3s where the install script put it)',
      ...owner.restart,
      'iptables -t nat -S FLANNEL-POSTRTG   # check: flannel\'s RETURN and MASQUERADE rules, written by flannel itself',
      '# only until the upgrade, if it must wait: the rules flannel writes, without --random-fully (this iptables lacks it); flannel empties its chain when k3s starts again',
      ...stopGap,
    ],
    caution: "Restarting k3s leaves running pods alone; the node's API server (on a server node) and kubelet are briefly away. On a server of a multi-server cluster, upgrade the servers one at a time, then the agents.",
  };
}

/** Who runs flannel: as flannelRunner says, or k3s where only `k3s -v` shows it is k3s. */
function runnerOf(node: string, artifacts: NodeArtifacts): ReturnType<typeof flannelRunner> {
  const owner = flannelRunner(node, artifacts);
  const k3s = k3sVersions(artifacts)[0];
  if (nodeServices(artifacts).distro || !k3s) return owner;
  return {
    name: 'k3s',
    inProcess: true,
    restart: ['systemctl restart k3s   # k3s-agent on an agent node; k3s runs flannel in-process: it writes its rules again at start'],
    evidence: [{ file: k3s.ref.file, line: k3s.ref.line, excerpt: k3s.excerpt, note: 'k3s: flannel runs inside it' }],
  };
}

interface PodNetwork {
  cidr: string;
  /** the node's own pod subnet, where the bundle shows it (cni0's address, its route) */
  podSubnet?: string;
  evidence?: Evidence;
  /** not read from the node: k3s' default */
  assumed: boolean;
  why: string;
}

/** The cluster (pod) network flannel masquerades, from what the bundle holds, strongest first. */
function podNetworkOf(artifacts: NodeArtifacts, v: BackendView, k3s: boolean): PodNetwork | undefined {
  const podSubnet = cni0Subnet(artifacts);
  // flannel's own forward rules: `-A FLANNEL-FWD -s <network> -m comment --comment "flanneld forward" -j ACCEPT`
  const fwd = v.tables.get('filter')?.get('FLANNEL-FWD')?.rules.find((r) => r.target === 'ACCEPT' && r.source && !r.source.negated && parseCidr(r.source.value)?.family === 4);
  if (fwd) return { cidr: fwd.source!.value, podSubnet, evidence: { file: fwd.ref.file, line: fwd.ref.line, excerpt: fwd.text, note: "flannel's forward rule for its network" }, assumed: false, why: "flannel's FLANNEL-FWD rule" };
  const conf = (artifacts.flannelNetConf ?? []).find((c) => c.network && parseCidr(c.network.value)?.family === 4);
  if (conf) return { cidr: conf.network!.value, podSubnet, evidence: { file: conf.network!.ref.file, line: conf.network!.ref.line, excerpt: conf.network!.excerpt, note: "flannel's network (net-conf.json)" }, assumed: false, why: 'net-conf.json' };
  const range = (artifacts.kubeClusterRanges ?? []).flatMap((r) => r.podRanges).find((r) => parseCidr(r.cidr)?.family === 4);
  if (range) return { cidr: range.cidr, podSubnet, evidence: { file: range.ref.file, line: range.ref.line, excerpt: range.excerpt, note: "the cluster's pod range" }, assumed: false, why: `the cluster's pod range (${range.key})` };
  if (k3s) return { cidr: '10.42.0.0/16', podSubnet, assumed: true, why: "k3s' default --cluster-cidr, assumed: the bundle holds no subnet.env, net-conf.json or k3s config.yaml" };
  return undefined;
}

/** The node's pod subnet: the network of cni0's IPv4 address (flannel's bridge), where ip addr or the routes show it. */
function cni0Subnet(artifacts: NodeArtifacts): string | undefined {
  const a = interfacesOf(artifacts.ipAddr ?? []).get('cni0')?.addresses.find((x) => x.family === 4);
  if (a) return a.network;
  const route = (artifacts.routes ?? []).flatMap((t) => t.routes).find((r) => r.dev === 'cni0' && r.proto === 'kernel' && r.destination.includes('/') && parseCidr(r.destination)?.family === 4);
  return route?.destination;
}

/**
 * No usable subnet.env: FLANNEL-POSTRTG jumped to from nat POSTROUTING and holding no rule. A whole nat
 * table shows the jump; a part of it (a grep) only the chain's reference count, and is believed empty only
 * where k3s#7096 keeps flannel from writing it whatever the grep kept.
 */
function withoutSubnetEnv(node: string, artifacts: NodeArtifacts, v: BackendView, k3s: K3sVersion[], iptv: IptablesVersion[], partly: Partly | undefined): FindingDraft | undefined {
  const nat = v.tables.get('nat')!;
  const chain = nat.get('FLANNEL-POSTRTG');
  if (!chain || chain.rules.length > 0) return undefined;
  // a pasted command's grep (`| grep -E 'Chain|FLANNEL'`) may list POSTROUTING's header and hide the chain's rules: not whole
  const rs = v.rulesets.find((r) => r.file === chain.ref.file && r.tables.nat?.chains['FLANNEL-POSTRTG']);
  const pasted = rs ? outputFilterAt(rs, chain.ref.line) : undefined;
  const whole = nat.has('POSTROUTING') && !(pasted && (pasted.greps.length > 0 || pasted.unknown !== undefined));
  const jumps = whole ? (nat.get('POSTROUTING')?.rules ?? []).filter((r) => r.target === 'FLANNEL-POSTRTG') : [];
  if (whole && !reachableChains(nat, 'POSTROUTING').has('FLANNEL-POSTRTG')) return undefined;
  const issue = knownIssue(k3s, iptv);
  const at = `${chain.ref.file}:${chain.ref.line}`;
  const isK3s = k3s.length > 0 || nodeServices(artifacts).distro?.name === 'k3s';
  const net = podNetworkOf(artifacts, v, isK3s);
  /** the pasted command whose grep would have shown every rule flannel writes in the chain (`| grep -i flannel`) */
  let shownBy: OutputFilter | undefined;
  if (!whole) {
    if (!chain.references) return undefined;
    if (!issue) {
      shownBy = filterShowingFlannelRules(v, chain, net);
      if (!shownBy) {
        partly?.(partNote([v]));
        return undefined;
      }
    }
  }
  if (!net) {
    partly?.(`FLANNEL-POSTRTG is empty (${at}), but the bundle does not say flannel's network (no subnet.env, net-conf.json, FLANNEL-FWD rule or cluster pod range): the pod traffic was not walked through nat POSTROUTING`);
    return undefined;
  }
  const w = walk(artifacts, [v], net.podSubnet ?? net.cidr);
  if (w.kind === 'undecided' && w.cut) partly?.(`whether the pods' traffic from ${net.podSubnet ?? net.cidr} is masqueraded was not decided: no rule shown masquerades it, but ${w.cut}; collect the whole nft list ruleset`, ['nftables']);
  if (w.kind !== 'missing') return undefined;
  const owner = runnerOf(node, artifacts);
  const randomFully = !issue && supportsRandomFully(iptv) !== false;
  const stopGap = net.podSubnet
    ? [`iptables -t nat -F FLANNEL-POSTRTG   # flannel writes its chain in this order`, ...newStyleRules(net.cidr, net.podSubnet, randomFully)]
    : ["# the rules flannel writes name this node's pod subnet (cni0's network, not in the bundle): see iptables -t nat -S on a healthy node of the cluster"];
  const chainEvidence: Evidence = {
    file: chain.ref.file,
    line: chain.ref.line,
    excerpt: chain.ref.line > 0 ? `chain nat FLANNEL-POSTRTG (no rules${chain.references !== undefined ? `, ${chain.references} reference${chain.references === 1 ? '' : 's'}` : ''})` : 'chain nat FLANNEL-POSTRTG (no rules)',
    note: whole
      ? "flannel 0.15+'s masquerade chain: POSTROUTING jumps to it (flannel writes that jump only with ip-masq), but it holds no rule"
      : issue
        ? `flannel 0.15+'s masquerade chain: referenced (flannel's jump from POSTROUTING), no rule listed; with ${issue.k3s.version} and iptables ${issue.iptables.version} flannel cannot write any`
        : `flannel 0.15+'s masquerade chain: referenced (flannel's jump from POSTROUTING), no rule listed, and the pasted \`${pipeOf(shownBy!)}\` would have shown every rule flannel writes there`,
  };
  const network = net.cidr;
  return {
    severity: shownBy ? 'warning' : 'critical',
    title: "flannel's masquerade for the pod network is missing",
    message:
      `flannel on ${node} masquerades its pod network (${whole ? 'nat POSTROUTING jumps to its FLANNEL-POSTRTG' : `FLANNEL-POSTRTG's header counts ${chain.references} reference${chain.references === 1 ? '' : 's'}: flannel's jump from nat POSTROUTING`}), but FLANNEL-POSTRTG holds no rule (${at})` +
      `${whole ? `, and a packet from a pod (${w.src}, network ${network}) to an outside address leaving by ${w.uplink === SOME_UPLINK ? 'the uplink' : w.uplink} meets no other MASQUERADE or SNAT in nat POSTROUTING` : ''}. ` +
      `The pod network ${network} is ${net.assumed ? net.why : `from ${net.why}`}. ` +
      'Pods reach other pods, but not the outside: their packets leave with pod addresses, which nothing outside routes back.' +
      (shownBy ? ` The pasted \`${pipeOf(shownBy)}\` (${shownBy.command.file}:${shownBy.command.line}) shows every rule flannel writes in FLANNEL-POSTRTG (each carries its "flanneld masq" comment), and hides the rest of nat POSTROUTING: unless a rule there masquerades the pod network, pods cannot reach the outside.` : '') +
      (issue ? ` ${issue.sentence}` : ''),
    impact: 'Pods on this node cannot reach addresses outside the cluster network (the internet, registries, external databases).',
    evidence: onePerLine([chainEvidence, ...(shownBy ? [{ file: shownBy.command.file, line: shownBy.command.line, excerpt: shownBy.commandText, note: "the command pasted: its grep shows flannel's rules" }] : []), ...jumps.slice(0, 1).map((r) => ({ file: r.ref.file, line: r.ref.line, excerpt: r.text, note: 'flannel\'s jump: it masquerades (ip-masq)' })), ...(net.evidence ? [net.evidence] : []), ...w.passed, ...(issue?.evidence ?? []), ...owner.evidence, ...logEvidence(artifacts.logs, ['log.flannel-iptables-failed', 'log.iptables-no-chain', 'log.firewall-restart'])]),
    facts: { network, networkAssumed: net.assumed, networkFrom: net.why, podSubnet: net.podSubnet, uplink: w.uplink === SOME_UPLINK ? undefined : w.uplink, ruleStyle: 'FLANNEL-POSTRTG (flannel 0.15+)', listing: whole ? 'whole nat table' : shownBy ? `grep: ${shownBy.commandText}` : 'part of the nat table (a grep or one chain)', ...issueFacts(issue) },
    remedy: issue
      ? issueRemedy(issue, node, owner, stopGap)
      : {
          summary: `flannel checks its rules every resync (--iptables-resync, 5 s) and rewrites them when one is missing; it did not here, so restart flannel on ${node} (${owner.name}). As a stop-gap the rules flannel writes can be added by hand, in this order.`,
          commands: [...owner.restart, '# stop-gap, only if the restart did not bring them back: the rules flannel writes (it rewrites them itself once it runs again)', ...stopGap, 'iptables -t nat -S POSTROUTING; iptables -t nat -S FLANNEL-POSTRTG   # check'],
          caution: owner.inProcess ? "Restarting k3s leaves running pods alone; the node's API server (on a server node) and kubelet are briefly away." : 'Deleting the flannel pod briefly interrupts pod networking on the node while flannel starts again.',
        },
  };
}


/**
 * k3s (its `k3s -v`, or `k3s check-config`) and only a grep of the nat listing, with no flannel rule, no FLANNEL
 * chain and no subnet.env (k3s-io/k3s#6047: `iptables -vnL -t nat |grep 'MASQUERADE  all'` showing kube-proxy's two
 * rows). k3s runs flannel with ip-masq unless --flannel-backend=none, and flannel's MASQUERADE rows carry
 * "flanneld masq". Where the pasted grep would have shown both of flannel's MASQUERADE rows (each form an iptables
 * of the node's version prints them in; `all` before 1.8.9, `0` from it with -n) and shows none: with a k3s
 * release and an iptables that cannot write them (KNOWN_ISSUES), critical; otherwise the coverage says what the
 * absence leaves open (flannel not running, or its masquerade gone). A grep that would not have shown them, or a
 * paste without its command line: the coverage says so. Never a bare "found nothing" on such a fragment.
 */
function k3sGrepWithoutFlannel(node: string, artifacts: NodeArtifacts, live: BackendView[], partly: Partly | undefined): FindingDraft | undefined {
  const k3s = k3sVersions(artifacts);
  const iptv = iptablesVersions(artifacts);
  const checkConfig = (artifacts.iptablesVersion ?? []).flat().find(fromK3sCheckConfig);
  if (k3s.length === 0 && !checkConfig) return undefined;
  // a nat table with POSTROUTING listed and no FLANNEL chain: flannel does not masquerade here (--flannel-backend=none, another CNI)
  if (live.some((v) => v.tables.get('nat')?.has('POSTROUTING'))) return undefined;
  const v = live.find((x) => x.tables.has('nat'));
  if (!v) return undefined;
  const nat = v.tables.get('nat')!;
  const rows = [...nat.values()].flatMap((c) => c.rules);
  // flannel's own rows shown (its comment, or a masquerade of k3s' pod network): nothing is missing
  if (rows.length === 0 || rows.some((r) => r.comment === 'flanneld masq' || r.comment?.includes('flanneld'))) return undefined;
  const net = podNetworkOf(artifacts, v, true)!;
  if (rows.some((r) => (r.target === 'MASQUERADE' || r.target === 'SNAT') && r.source && !r.source.negated && r.source.value === net.cidr)) return undefined;
  const rs = v.rulesets.find((r) => r.tables.nat && r.file === rows[0].ref.file);
  const filter = rs ? outputFilterAt(rs, rows[0].ref.line) : undefined;
  const file = v.files.get('nat') ?? rows[0].ref.file;
  const k3sSign = k3s[0] ? `k3s ${k3s[0].version} (${k3s[0].ref.file}:${k3s[0].ref.line})` : `k3s check-config (${checkConfig!.ref.file}:${checkConfig!.ref.line})`;
  const lead = `${file} lists ${rows.length} nat row${rows.length === 1 ? '' : 's'} without their chains, none of them flannel's, on a k3s node (${k3sSign}; k3s runs flannel with ip-masq unless --flannel-backend=none)`;
  const collect = 'collect iptables -t nat -S (or iptables-save) and cat /run/flannel/subnet.env';
  if (!filter || filter.unknown !== undefined || !rs) {
    partly?.(`${lead}, ${!filter ? 'with no command line above them: what the paste kept is not known' : `under \`${filter.commandText}\`, whose pipe is not read as a line filter (${filter.unknown})`}: flannel's masquerade was not decided; ${collect}`, ['iptables']);
    return undefined;
  }
  const numeric = /\s-[A-Za-z]*n[A-Za-z]*\b|\s--numeric\b/.test(filter.commandText.replace(/\|.*$/, ''));
  const networks = net.assumed ? [net.cidr, '10.244.0.0/16'] : [net.cidr];
  const N = (n: string, negated = false): Addr => ({ value: n, negated });
  const shapes: RuleShape[] = networks.flatMap((n) => [
    { src: N(n), dst: { value: '224.0.0.0/4', negated: true }, target: 'MASQUERADE' as const },
    { src: N(n, true), dst: N(n), target: 'MASQUERADE' as const },
  ]);
  const shows = numeric && shapes.every((sh) => printedAs(sh, rs.format, protocolSpellings(iptv)).every((t) => filterKeeps(filter, t) === true));
  const pipe = pipeOf(filter);
  // the version not known: whether the grep shows them may hang on the spelling of the protocol alone
  const showsWith = (p: string) => numeric && shapes.every((sh) => printedAs(sh, rs.format, [p]).every((t) => filterKeeps(filter, t) === true));
  if (!shows && !iptv[0] && (showsWith('all') || showsWith('0'))) {
    partly?.(
      `${lead}, under \`${pipe}\` (${filter.command.file}:${filter.command.line}), which would have shown flannel's MASQUERADE rows only if iptables printed their protocol as \`${showsWith('all') ? 'all' : '0'}\` (${showsWith('all') ? 'before 1.8.9' : 'iptables 1.8.9 and later, with -n'}): ` +
        `flannel's masquerade was not decided; with the iptables version (iptables -V, or k3s check-config) it would be, and a k3s release that cannot write flannel's rules (k3s-io/k3s#6047, #7096) recognised`,
      ['iptables', 'iptablesVersion'],
    );
    return undefined;
  }
  if (!shows) {
    partly?.(
      `${lead}, under \`${pipe}\` (${filter.command.file}:${filter.command.line}), which would not ${numeric ? '' : 'be known to '}have shown flannel's MASQUERADE rows ("-s ${net.cidr} ! -d 224.0.0.0/4 ... /* flanneld masq */")` +
        `${numeric ? `${iptv[0] ? ` as iptables ${iptv[0].version} prints them` : ' as every iptables version prints them'}` : ' (a listing without -n)'}: flannel's masquerade was not decided; ${collect}`,
      ['iptables'],
    );
    return undefined;
  }
  const issue = knownIssue(k3s, iptv);
  if (!issue) {
    partly?.(
      `${lead}: the pasted \`${pipe}\` (${filter.command.file}:${filter.command.line}) would have shown flannel's MASQUERADE rows of ${net.cidr}${net.assumed ? " (k3s' default pod network, assumed)" : ''} and shows none, so flannel does not run here (--flannel-backend=none, another CNI) or its masquerade is missing; ` +
        `${iptv[0] ? '' : 'with the iptables version (iptables -V, or k3s check-config) a k3s release that cannot write flannel\'s rules (k3s-io/k3s#6047, #7096) would be recognised; '}not decided: ${collect}`,
      iptv[0] ? ['iptables', 'flannelSubnetEnv'] : ['iptables', 'iptablesVersion'],
    );
    return undefined;
  }
  const owner = runnerOf(node, artifacts);
  const stopGap = net.podSubnet
    ? [
        'iptables -t nat -N FLANNEL-POSTRTG 2>/dev/null || true   # flannel\'s chain (kept if it exists)',
        appendOnce('iptables -t nat -A POSTROUTING -m comment --comment "flanneld masq" -j FLANNEL-POSTRTG'),
        'iptables -t nat -F FLANNEL-POSTRTG   # flannel writes its chain in this order',
        ...newStyleRules(net.cidr, net.podSubnet, false),
      ]
    : ["# the rules flannel writes name this node's pod subnet (cni0's network, not in the bundle): see iptables -t nat -S on a healthy node of the cluster"];
  const network = net.cidr;
  return {
    severity: 'critical',
    title: "flannel's masquerade for the pod network is missing",
    message:
      `k3s on ${node} runs flannel, which masquerades the pod network ${network} (${net.assumed ? net.why : `from ${net.why}`}), but the pasted \`${pipe}\` (${filter.command.file}:${filter.command.line}) would have shown flannel's two MASQUERADE rows (\`-s ${network} ! -d 224.0.0.0/4\` and \`! -s ${network} -d ${network}\`, each /* flanneld masq */) and shows none: ` +
      `only ${rows.length} other row${rows.length === 1 ? '' : 's'}. ${issue.sentence} ` +
      'Pods reach other pods, but not the outside: their packets leave with pod addresses, which nothing outside routes back. The grep hides the rest of nat POSTROUTING: unless a rule there masquerades the pod network, pods cannot reach the outside.',
    impact: 'Pods on this node cannot reach addresses outside the cluster network (the internet, registries, external databases).',
    evidence: onePerLine([
      { file: filter.command.file, line: filter.command.line, excerpt: filter.commandText, note: "the command pasted: its grep would have shown flannel's MASQUERADE rows" },
      ...rows.slice(0, 3).map((r) => ({ file: r.ref.file, line: r.ref.line, excerpt: r.text, note: r.comment ? `not flannel's (/* ${r.comment} */)` : "not flannel's" })),
      ...issue.evidence,
      ...owner.evidence,
      ...logEvidence(artifacts.logs, ['log.flannel-iptables-failed', 'log.iptables-no-chain', 'log.firewall-restart']),
    ]),
    facts: { network, networkAssumed: net.assumed, networkFrom: net.why, podSubnet: net.podSubnet, ruleStyle: 'FLANNEL-POSTRTG (flannel 0.15+)', listing: `grep: ${filter.commandText}`, ...issueFacts(issue) },
    remedy: issueRemedy(issue, node, owner, stopGap),
  };
}

/** flannel's rules in its FLANNEL-POSTRTG (each carries the "flanneld masq" comment). */
function flannelMasqRules(v: BackendView): Rule[] {
  return v.tables.get('nat')?.get('FLANNEL-POSTRTG')?.rules.filter((r) => r.comment === 'flanneld masq') ?? [];
}

type Addr = { value: string; negated: boolean };
interface RuleShape {
  src?: Addr;
  dst?: Addr;
  mark?: boolean;
  target: 'RETURN' | 'MASQUERADE';
}
interface MissingRule {
  /** what the rule is for */
  what: string;
  /** what its absence does */
  breaks: string;
  /** the forms flannel writes it in (two versions may differ): the paste must have shown every one */
  shapes: RuleShape[];
  severity: 'critical' | 'warning';
}

/**
 * The lines an iptables listing prints a FLANNEL-POSTRTG rule as (with and without -v and its counters,
 * `all` or `0` for any protocol as iptables before / since 1.8.9 print it, with or without random-fully),
 * and its -S line: what a grep of the paste was tested on.
 */
function printedAs(s: RuleShape, format: Ruleset['format'], protocols: string[] = ['all', '0']): string[] {
  const out: string[] = [];
  for (const rf of s.target === 'MASQUERADE' ? [true, false] : [false])
    for (const counters of ['    0     0 ', '  969 58796 ', '']) for (const prot of protocols) out.push(listedAs(s, prot, counters, rf));
  if (format !== 'list') {
    const a = (flag: string, x?: Addr) => (x ? `${x.negated ? '! ' : ''}${flag} ${x.value} ` : '');
    for (const rf of s.target === 'MASQUERADE' ? [' --random-fully', ''] : [''])
      out.push(`-A FLANNEL-POSTRTG ${a('-s', s.src)}${a('-d', s.dst)}${s.mark ? '-m mark --mark 0x4000/0x4000 ' : ''}-m comment --comment "flanneld masq" -j ${s.target}${rf}`);
  }
  return out;
}

/**
 * One row of `iptables -nL` (counters: `-vnL`) for a rule of flannel's, laid out as iptables prints it
 * (iptables.c print_firewall, the same in 1.6.1 and 1.8.9): the target in 9 columns and a space, the
 * protocol's `!` column, the protocol in 5, `-- `, with -v the in and out interfaces (` %-6s `, `%-6s `), then
 * source and destination each as a `!` column and 19 columns and a space, then the matches' and target's words
 * after a further space. Checked against iptables 1.8.9's rows (test/fixtures/h41/healthy-grep-MASQUERADE-0.txt).
 */
function listedAs(s: RuleShape, prot: string, counters: string, randomFully: boolean): string {
  const col = (a?: Addr) => `${a?.negated ? '!' : ' '}${(a ? a.value : '0.0.0.0/0').padEnd(19)} `;
  const ifs = counters ? ` ${'*'.padEnd(6)} ${'*'.padEnd(6)} ` : '';
  const words = [s.mark ? 'mark match 0x4000/0x4000' : '', '/* flanneld masq */', randomFully ? 'random-fully' : ''].filter(Boolean).join(' ');
  return `${counters}${s.target.padEnd(9)}  ${prot.padEnd(5)}-- ${ifs}${col(s.src)}${col(s.dst)} ${words}`;
}

/** The listing's spelling of "any protocol": `all` before iptables 1.8.9, `0` from it on with -n; both where the version is not known. */
function protocolSpellings(versions: IptablesVersion[]): string[] {
  const v = versions[0];
  if (!v) return ['all', '0'];
  const [a, b, c] = v.version.split('.').map(Number);
  return a > 1 || (a === 1 && (b > 8 || (b === 8 && (c ?? 0) >= 9))) ? ['0'] : ['all'];
}

/** For tests: the rows a listing prints for flannel's rule shapes. */
export const flannelRowsForTest = { listedAs, protocolSpellings };

/** Two /24s of the network (flannel's default lease size), for a rule naming the node's pod subnet where the bundle does not say it. */
function someSubnets(network: string): string[] {
  const m = /^(\d+)\.(\d+)\.(\d+)\.\d+\/(\d+)$/.exec(network);
  if (!m || Number(m[4]) > 23) return [network];
  return [`${m[1]}.${m[2]}.${m[3]}.0/24`, `${m[1]}.${m[2]}.${Number(m[3]) + 1}.0/24`];
}

/**
 * FLANNEL-POSTRTG holding some of flannel's rules but not all. flannel's rule sets there, by version
 * (flannel-io/flannel):
 * - 0.15 to 0.20.1 (network/iptables.go MasqRules; the four listed in flannel#1679 for v0.20.1):
 *   `-s N -d N RETURN`, `-s N ! -d 224.0.0.0/4 MASQUERADE`, `! -s N -d <pod subnet> RETURN`, `! -s N -d N MASQUERADE`;
 * - 0.20.2 on (flannel PR #1681, "avoid double NAT"): `-m mark --mark 0x4000/0x4000 -j RETURN` first;
 * - pkg/trafficmngr/iptables masqRules (the later releases): mark RETURN, `-s <pod subnet> -d N RETURN`,
 *   `-s N -d <pod subnet> RETURN`, `! -s N -d <pod subnet> RETURN`, then the two MASQUERADEs;
 * every one with `-m comment --comment "flanneld masq"`, MASQUERADE with --random-fully where iptables has it.
 * A rule every version writes (or the later form's, where the chain shows that form) is missing: said where
 * the listing is whole, or where the pasted command's grep would have shown the rule; otherwise the coverage says so.
 */
function partialChain(node: string, artifacts: NodeArtifacts, v: BackendView, envs: FlannelSubnetEnv[], partly: Partly | undefined): FindingDraft | undefined {
  const nat = v.tables.get('nat')!;
  const chain = nat.get('FLANNEL-POSTRTG');
  const rules = flannelMasqRules(v);
  if (!chain || rules.length === 0) return undefined;
  const env = envs.find((e) => e.ipmasq?.value === true && e.network && parseCidr(e.network.value)?.family === 4);
  const plain = (x?: Addr) => (x && !x.negated ? x.value : undefined);
  const negated = (x?: Addr) => (x?.negated ? x.value : undefined);
  const network = rules.find((r) => r.target === 'MASQUERADE' && plain(r.source))?.source!.value ?? rules.find((r) => negated(r.source))?.source!.value ?? env?.network!.value ?? widerOfReturn(rules);
  if (!network || parseCidr(network)?.family !== 4) return undefined;
  const ret = (r: Rule) => r.target === 'RETURN';
  const inOld = rules.find((r) => ret(r) && plain(r.source) === network && plain(r.destination) === network);
  const inFromSubnet = rules.find((r) => ret(r) && plain(r.source) !== undefined && r.source!.value !== network && plain(r.destination) === network);
  const inToSubnet = rules.find((r) => ret(r) && plain(r.source) === network && plain(r.destination) !== undefined && r.destination!.value !== network);
  const fromOutside = rules.find((r) => ret(r) && negated(r.source) === network && plain(r.destination) !== undefined);
  const outMasq = rules.find((r) => r.target === 'MASQUERADE' && plain(r.source) === network && r.destination?.negated);
  const hostMasq = rules.find((r) => r.target === 'MASQUERADE' && negated(r.source) === network && plain(r.destination) === network);
  const markRet = rules.find((r) => ret(r) && r.matches.some((m) => m.module === 'mark'));
  const podSubnet = inFromSubnet?.source!.value ?? inToSubnet?.destination!.value ?? fromOutside?.destination!.value ?? env?.subnetNetwork ?? cni0Subnet(artifacts);
  const subnets = podSubnet ? [podSubnet] : someSubnets(network);
  const N = (negatedAddr = false): Addr => ({ value: network, negated: negatedAddr });
  const sn = (s: string): Addr => ({ value: s, negated: false });
  const later = !!(inFromSubnet || inToSubnet);
  const missing: MissingRule[] = [];
  if (!inOld && !inFromSubnet && !inToSubnet)
    missing.push({
      what: `the RETURN that keeps traffic inside the pod network ${network} from being masqueraded (\`-s ${network} -d ${network}\`, or \`-s <pod subnet> -d ${network}\` and \`-s ${network} -d <pod subnet>\` in later flannel)`,
      breaks: `pod-to-pod traffic (to pods on other nodes, and through cni0 with br_netfilter) reaches the next rule, flannel's MASQUERADE of ${network} to anything but multicast, and leaves with the node's address: pods see other pods' connections come from nodes, NetworkPolicies that allow pods by address (podSelector, ipBlock) no longer match them`,
      shapes: [{ src: N(), dst: N(), target: 'RETURN' }, ...subnets.flatMap((s) => [{ src: sn(s), dst: N(), target: 'RETURN' as const }, { src: N(), dst: sn(s), target: 'RETURN' as const }])],
      severity: 'warning',
    });
  else if (!inOld && (!inFromSubnet || !inToSubnet)) {
    const s = inFromSubnet ? inFromSubnet.source!.value : inToSubnet!.destination!.value;
    missing.push({
      what: inFromSubnet ? `the RETURN for traffic from the pod network to this node's pods (\`-s ${network} -d ${s}\`)` : `the RETURN for traffic from this node's pods to the pod network (\`-s ${s} -d ${network}\`)`,
      breaks: inFromSubnet
        ? `pods of other nodes reaching this node's pods (${s}) are masqueraded by flannel's MASQUERADE of ${network} on the way in: this node's pods see their connections come from this node, NetworkPolicies that allow pods by address no longer match them`
        : `this node's pods (${s}) reaching pods on other nodes are masqueraded by flannel's MASQUERADE of ${network}: the other pods see the connections come from this node, NetworkPolicies that allow pods by address no longer match them`,
      shapes: [inFromSubnet ? { src: N(), dst: sn(s), target: 'RETURN' } : { src: sn(s), dst: N(), target: 'RETURN' }],
      severity: 'warning',
    });
  }
  if (!fromOutside)
    missing.push({
      what: `the RETURN for traffic from outside the pod network to this node's pods (\`! -s ${network} -d ${podSubnet ?? '<pod subnet>'}\`)`,
      breaks: `connections from outside ${network} to this node's pods (a NodePort or LoadBalancer with externalTrafficPolicy: Local, host-network clients) are masqueraded by flannel's \`! -s ${network} -d ${network}\` MASQUERADE: the pods see the node instead of the client's address`,
      shapes: subnets.map((s) => ({ src: N(true), dst: sn(s), target: 'RETURN' as const })),
      severity: 'warning',
    });
  if (!outMasq)
    missing.push({
      what: `the MASQUERADE of the pod network to the outside (\`-s ${network} ! -d 224.0.0.0/4 -j MASQUERADE\`)`,
      breaks: 'pods reach other pods, but not the outside: their packets leave with pod addresses, which nothing outside routes back',
      shapes: [{ src: N(), dst: { value: '224.0.0.0/4', negated: true }, target: 'MASQUERADE' }],
      severity: 'critical',
    });
  if (!hostMasq)
    missing.push({
      what: `the MASQUERADE of traffic from outside the pod network to pods (\`! -s ${network} -d ${network} -j MASQUERADE\`)`,
      breaks: `packets from an address outside ${network} (the node's own address, a host routing through it) to pods on other nodes keep their source: the remote pod's answer goes back by its own node's routes, not through this one, and is lost or dropped as invalid`,
      shapes: [{ src: N(true), dst: N(), target: 'MASQUERADE' }],
      severity: 'warning',
    });
  if (later && !markRet)
    missing.push({
      what: "the RETURN for packets kube-proxy marked for masquerade (`-m mark --mark 0x4000/0x4000 -j RETURN`, flannel 0.20.2+, flannel-io/flannel#1681)",
      breaks: "service traffic kube-proxy masquerades is masqueraded by flannel too (double NAT, flannel-io/flannel#1679): slow or stalled connections through the VXLAN tunnel on some kernels",
      shapes: [{ mark: true, target: 'RETURN' }],
      severity: 'warning',
    });
  if (missing.length === 0) return undefined;

  const at = `${chain.ref.file}:${chain.ref.line}`;
  const rs = v.rulesets.find((r) => r.file === chain.ref.file && r.tables.nat?.chains['FLANNEL-POSTRTG']);
  const filter = rs ? outputFilterAt(rs, chain.ref.line) : undefined;
  const grepped = !!filter && (filter.greps.length > 0 || filter.unknown !== undefined);
  // without the command line (iptables-save, -S: save-format keeps no pipe yet), a whole table shows the
  // built-in chains' policies (`:POSTROUTING ACCEPT [0:0]`, `-P POSTROUTING ACCEPT`, `Chain POSTROUTING (policy
  // ACCEPT)`), which a grep for rules (`| grep MASQUERADE`) drops
  const policies = ['PREROUTING', 'OUTPUT', 'POSTROUTING'].every((c) => nat.get(c)?.policy !== undefined);
  const whole = !v.truncated.has('nat') && (filter ? !grepped : policies);
  const names = (ms: MissingRule[]) => ms.map((m) => m.what.replace(/ \(`.*$/, '')).join('; ');
  if (!whole && !grepped) {
    partly?.(`FLANNEL-POSTRTG (${at}) lacks ${names(missing)}, but the paste is a part of the nat table (no policy line of its built-in chains) with no command line above it: whether a grep hid those rules is not known; collect iptables -t nat -S (or iptables-save)`);
    return undefined;
  }
  let shown = missing;
  if (grepped) {
    const verdict = (m: MissingRule) => {
      const all = m.shapes.flatMap((s) => printedAs(s, rs!.format)).map((t) => filterKeeps(filter!, t));
      return all.every((k) => k === true) ? 'shown' : all.some((k) => k === undefined) ? 'unknown' : 'hidden';
    };
    shown = missing.filter((m) => verdict(m) === 'shown');
    const quiet = missing.filter((m) => verdict(m) !== 'shown');
    if (quiet.length)
      partly?.(
        `FLANNEL-POSTRTG (${at}) lacks ${names(quiet)}, but the paste is filtered by \`${filter!.commandText.replace(/^.*?(?=\|)/, '').trim()}\` (${filter!.command.file}:${filter!.command.line})` +
          (filter!.unknown !== undefined ? `, which is not read as a line filter (${filter!.unknown})` : ', which would not have shown it') +
          ': whether it is there was not decided; collect iptables -t nat -S (or iptables-save)',
      );
  }
  if (whole && shown.some((m) => m.severity === 'critical')) {
    const w = walk(artifacts, [v], podSubnet ?? network);
    if (w.kind !== 'missing') {
      shown = shown.filter((m) => m.severity !== 'critical');
      if (w.kind === 'undecided') partly?.(`FLANNEL-POSTRTG (${at}) lacks flannel's MASQUERADE of ${network} to the outside, but whether another rule of nat POSTROUTING masquerades the pods' traffic was not decided${w.cut ? ` (${w.cut})` : ''}`);
    }
  }
  if (shown.length === 0) return undefined;
  const severity = shown.some((m) => m.severity === 'critical') && whole ? 'critical' : 'warning';
  const owner = runnerOf(node, artifacts);
  const randomFully = rules.some((r) => 'random-fully' in r.targetOptions) || (!rules.some((r) => r.target === 'MASQUERADE') && supportsRandomFully(iptablesVersions(artifacts)) !== false);
  const stopGap = podSubnet
    ? ['iptables -t nat -F FLANNEL-POSTRTG   # flannel writes its chain in this order', ...newStyleRules(network, podSubnet, randomFully)]
    : ["# the rules flannel writes name this node's pod subnet (cni0's network, not in the bundle): see iptables -t nat -S FLANNEL-POSTRTG on a healthy node of the cluster"];
  const how = grepped ? `the pasted \`${filter!.commandText.replace(/^.*?(?=\|)/, '').trim()}\` would have shown ${shown.length === 1 ? 'it' : 'them'} (${filter!.command.file}:${filter!.command.line})` : 'the nat table is listed whole';
  return {
    severity,
    title: "flannel's masquerade chain FLANNEL-POSTRTG lacks some of flannel's rules",
    message:
      `FLANNEL-POSTRTG on ${node} (${at}) holds ${rules.length} of flannel's rules, but not ${shown.map((m) => m.what).join('; nor ')} (${how}). ` +
      shown.map((m) => `Without ${m.what.replace(/ \(`.*$/, '')}, ${m.breaks}.`).join(' ') +
      (grepped && shown.some((m) => m.severity === 'critical') ? ' The grep hides the rest of nat POSTROUTING: unless a rule there masquerades the pod network, pods cannot reach the outside.' : '') +
      ` flannel checks its rules every resync (--iptables-resync, 5 s) and rewrites the chain when one is missing: a chain left like this means flannel is not running its check on ${node}.`,
    impact: shown.map((m) => m.breaks.charAt(0).toUpperCase() + m.breaks.slice(1)).join('. ') + '.',
    evidence: onePerLine([
      { file: chain.ref.file, line: chain.ref.line, excerpt: `chain nat FLANNEL-POSTRTG (${rules.length} of flannel's rules)`, note: `lacks ${names(shown)}` },
      ...rules.slice(0, 6).map((r) => ({ file: r.ref.file, line: r.ref.line, excerpt: r.text, note: "flannel's rule, present" })),
      ...(filter ? [{ file: filter.command.file, line: filter.command.line, excerpt: filter.commandText, note: grepped ? 'the command pasted: its grep would have shown the missing rule' : 'the command pasted: the whole table' }] : []),
      ...owner.evidence,
      ...logEvidence(artifacts.logs, ['log.flannel-iptables-failed', 'log.iptables-no-chain', 'log.firewall-restart']),
    ]),
    facts: { network, podSubnet, missing: shown.map((m) => m.what), listing: grepped ? `grep: ${filter!.commandText}` : 'whole nat table', ruleStyle: later ? 'FLANNEL-POSTRTG (pod-subnet RETURNs: later flannel)' : 'FLANNEL-POSTRTG (flannel 0.15+)' },
    remedy: {
      summary: `Restart flannel on ${node} (${owner.name}): it writes FLANNEL-POSTRTG again, whole and in order. As a stop-gap the chain can be written by hand as flannel writes it.`,
      commands: [...owner.restart, '# stop-gap, only if the restart did not bring them back: the rules flannel writes (it rewrites them itself once it runs again)', ...stopGap, 'iptables -t nat -S FLANNEL-POSTRTG   # check'],
      caution: owner.inProcess ? "Restarting k3s leaves running pods alone; the node's API server (on a server node) and kubelet are briefly away." : 'Deleting the flannel pod briefly interrupts pod networking on the node while flannel starts again.',
    },
  };
}

/** The pod network a RETURN of flannel's between it and a pod subnet names (`-s 10.42.0.0/24 -d 10.42.0.0/16`): the wider of the two. */
function widerOfReturn(rules: Rule[]): string | undefined {
  for (const r of rules) {
    if (r.target !== 'RETURN' || !r.source || r.source.negated || !r.destination || r.destination.negated) continue;
    const a = parseCidr(r.source.value);
    const b = parseCidr(r.destination.value);
    if (!a || !b || a.family !== 4 || b.family !== 4) continue;
    return a.prefix <= b.prefix ? r.source.value : r.destination.value;
  }
  return undefined;
}

/** The pipe of a pasted command line, for messages (`| grep -i flannel`). */
function pipeOf(f: OutputFilter): string {
  const i = f.commandText.indexOf('|');
  return i < 0 ? f.commandText : f.commandText.slice(i).trim();
}

/**
 * The pasted command above an empty FLANNEL-POSTRTG whose grep would have shown every rule any flannel
 * version writes there (`| grep -i flannel`: each carries "flanneld masq"); undefined where no command line
 * is above it, its pipe is not known, or it would hide one of them (`| grep FLANNEL`).
 */
function filterShowingFlannelRules(v: BackendView, chain: Chain, net: PodNetwork | undefined): OutputFilter | undefined {
  const rs = v.rulesets.find((r) => r.file === chain.ref.file && r.tables.nat?.chains['FLANNEL-POSTRTG']);
  const filter = rs ? outputFilterAt(rs, chain.ref.line) : undefined;
  if (!rs || !filter || filter.unknown !== undefined) return undefined;
  // an address the bundle does not hold is tried as two (a grep for addresses must show both)
  const networks = net && !net.assumed ? [net.cidr] : [...new Set([net?.cidr ?? '10.42.0.0/16', '10.244.0.0/16'])];
  const shapes: RuleShape[] = [{ mark: true, target: 'RETURN' }];
  for (const n of networks) {
    const N = (negated = false): Addr => ({ value: n, negated });
    shapes.push({ src: N(), dst: N(), target: 'RETURN' }, { src: N(), dst: { value: '224.0.0.0/4', negated: true }, target: 'MASQUERADE' }, { src: N(true), dst: N(), target: 'MASQUERADE' });
    for (const s of net?.podSubnet && n === net.cidr ? [net.podSubnet] : someSubnets(n)) {
      const S: Addr = { value: s, negated: false };
      shapes.push({ src: S, dst: N(), target: 'RETURN' }, { src: N(), dst: S, target: 'RETURN' }, { src: N(true), dst: S, target: 'RETURN' });
    }
  }
  return shapes.every((sh) => printedAs(sh, rs.format).every((t) => filterKeeps(filter, t) === true)) ? filter : undefined;
}
