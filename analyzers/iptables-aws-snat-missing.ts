/**
 * iptables.aws-snat-missing: on a node whose pods the Amazon VPC CNI serves (aws-node), the source
 * NAT that gives pods' traffic to destinations outside the VPC the node's primary address is gone.
 * Such packets leave with the pod's own (secondary) address: from a pod on a secondary ENI, EC2's
 * source/destination check drops them as they leave by the primary ENI; an internet gateway
 * translates no secondary address. Pods reach the VPC, not the internet (the classic "pods cannot
 * reach the internet" EKS ticket), until aws-node writes the rules again.
 *
 * What aws-node (ipamd) writes, by version (aws/amazon-vpc-cni-k8s pkg/networkutils/network.go):
 * - now: nat `-A POSTROUTING -m comment --comment "AWS SNAT CHAIN" -j AWS-SNAT-CHAIN-0`; in
 *   AWS-SNAT-CHAIN-0 a RETURN per VPC CIDR (and per AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS, comment
 *   "AWS SNAT CHAIN EXCLUSION"), then `! -o vlan+ -m comment --comment "AWS, SNAT" -m addrtype !
 *   --dst-type LOCAL -j SNAT --to-source <primary IP> [--random-fully]`; its connmark rules (nat
 *   PREROUTING "AWS, outbound connections" -> AWS-CONNMARK-CHAIN-0, "AWS, CONNMARK" restore-mark; in
 *   nftables mode of the newest versions, table ip aws-cni); mangle PREROUTING "AWS, primary ENI".
 * - before: a chain per VPC CIDR (AWS-SNAT-CHAIN-0 `! -d <cidr> -j AWS-SNAT-CHAIN-1`, ...), comment
 *   "AWS SNAT CHAN" in the oldest; the first versions put the SNAT rule straight into POSTROUTING.
 * ipamd writes them at start (nodeInit -> SetupHostNetwork) and afterwards only when the VPC's CIDRs
 * change (updateCIDRsRulesOnChange, every 30 s): a flush while aws-node runs (a firewall service
 * restart, a custom AMI's iptables.service restoring its file, `iptables -t nat -F`) stays until
 * aws-node restarts.
 *
 * With AWS_VPC_K8S_CNI_EXTERNALSNAT=true (a NAT gateway does the SNAT) aws-node still creates both
 * chains but leaves them empty and writes no jump: exactly what `iptables -t nat -F` leaves. The
 * setting itself is the best proof: ipamd's introspection endpoint prints the values it uses (the EKS
 * log collector's ipamd/networkutils-env-settings.json, artifact awsCniSettings): false makes the
 * missing SNAT a fault (critical, citing the key), true makes the empty chains expected (nothing, and
 * the coverage cites the key). So do exclusions (AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS) covering every
 * IPv4 destination: aws-node RETURNs everything before its SNAT, whose loss then changes nothing.
 * Without the file, the rules prove the missing SNAT only where aws-node's external-SNAT=false rules
 * survive the SNAT's loss (the POSTROUTING jump, a RETURN of its chain, its nat connmark rules, table
 * ip aws-cni): critical. Else ipamd's own log line must say so (its debug line listing the rules it
 * ensures, `... first SNAT rules for non-VPC outbound traffic shouldExist true ...`, read through the
 * log signature SNAT_CONFIG_SIGNATURE): critical; `shouldExist false` there is external SNAT: nothing.
 * Without either: where the nat table holds no AWS-SNAT-CHAIN at all (which ipamd always creates: the
 * table was rebuilt after aws-node started) a warning; where the chains are there but empty, nothing
 * can be told apart from external SNAT, and the coverage says so.
 *
 * Which node counts: the VPC CNI serves its pods (IPv4 routes to pods on its eni* veths, those veths,
 * or aws-node's logs: those the layout's log source names as ipamd's, its CNI plugins' or the aws-node
 * pod's); not an IPv6 cluster (aws-node then writes no IPv4 SNAT; its IPv4
 * rule "Block Node Local Pod access via IPv4" shows it), not a node Cilium serves (its interfaces or
 * chains: AWS rules it left behind do not count), not a node where another rule source-NATs the pods'
 * traffic (traced through nat POSTROUTING, as the other masquerade checks do). A cut nat dump, or
 * aws-node's rules possibly in the iptables-legacy tables the bundle lacks, decide nothing.
 */
import { nftCutNote } from './lib/nft-cut.js';
import { defineAnalyzer, type FindingDraft } from '../src/engine/analyzer.js';
import type { NodeArtifacts } from '../src/engine/artifacts.js';
import type { LogMatch, LogScanResult } from '../src/logs/index.js';
import type { AwsCniNetworkSettings, AwsCniSetting } from '../src/parsers/aws-cni.js';
import type { Chain, Rule } from '../src/netfilter/rules.js';
import type { NftTable } from '../src/nft/model.js';
import { parseCidr } from '../src/parsers/cidr.js';
import { interfacesOf } from '../src/parsers/interfaces.js';
import type { Route } from '../src/parsers/ip-route.js';
import { flushingFirewallUnits, nodeForCommands } from './lib/node-services.js';
import type { Evidence } from '../src/report/schema.js';
import { distinctEvidence } from './lib/evidence.js';
import { ipsetMatcher } from './lib/ipset.js';
import { logEvidence, timeOf } from './lib/logs.js';
import { liveIpv4, liveViews, localAddresses, nativeNftables, reachableChains, uplinkOf, type BackendView } from './lib/node-view.js';
import { SOME_UPLINK, memberAddress, outboundPacket, postroutingNat, sourceNat } from './lib/source-nat.js';
import { outsideAddress } from './lib/probe-address.js';

/**
 * The log signature that reads ipamd's debug line of the SNAT rules it ensures (fact `shouldExist`:
 * `true` for the POSTROUTING jump = it does the SNAT itself). Not in the catalog yet: until it is,
 * only the rules can prove the loss (see the module comment).
 */
export const SNAT_CONFIG_SIGNATURE = 'log.aws-vpc-cni-snat-config';

const SNAT_CHAIN = /^AWS-SNAT-CHAIN-\d+$/;
const CONNMARK_CHAIN = /^AWS-CONNMARK-CHAIN-\d+$/;
/**
 * aws-node's logs, by the source the layout names them with (src/layouts/logs.ts): the units of
 * /var/log/aws-routed-eni (ipamd, its CNI plugins aws-cni and egress-cni, the network policy agent),
 * or a container of the aws-node DaemonSet's pod (kube-system/aws-node-xxxxx).
 */
const AWS_NODE_UNITS = new Set(['ipamd', 'aws-cni', 'egress-cni', 'network-policy-agent']);
const AWS_NODE_POD = /^aws-node-[a-z0-9]{5}$/;
/** Cilium serves the pods (ENI mode, or replacing aws-node): its interfaces */
const CILIUM_INTERFACE = /^(cilium_host|cilium_net|cilium_vxlan|cilium_geneve|lxc_health)$/;

export default defineAnalyzer({
  id: 'iptables.aws-snat-missing',
  title: "The AWS VPC CNI's source NAT for pods is missing",
  description:
    "The Amazon VPC CNI serves the node's pods, but nat POSTROUTING no longer reaches aws-node's SNAT to the primary ENI's address (AWS-SNAT-CHAIN-0), nor does another rule source-NAT a pod's packet to the outside (traced).",
  scope: 'node',
  requires: ['iptables'],
  optional: ['ipAddr', 'routes', 'logs', 'nftables', 'ipsets', 'services', 'awsCniSettings'],
  analyze(input) {
    const { node, artifacts, partly } = input;
    const commandNode = nodeForCommands(input).command;
    const all = liveViews(artifacts);
    const views = all.filter((v) => v.tables.has('nat'));
    const settings = cniSettings(artifacts.awsCniSettings);
    const pods = vpcCniPods(artifacts, all, settings?.vethPrefix?.value);
    // not a node the VPC CNI serves pods on (a Docker host, kubeadm with flannel/Calico, Cilium's ENI mode)
    if (pods.evidence.length === 0 || pods.cilium) return [];
    // an IPv6 cluster: aws-node writes no IPv4 SNAT (its pods reach IPv4 through the egress plugin's own SNAT)
    if (ipv6Mode(all)) return [];
    if (views.length === 0) {
      partly?.("the VPC CNI's SNAT was not checked: the bundle's iptables dump has no nat table");
      return [];
    }
    const cut = views.find((v) => v.truncated.has('nat'));
    if (cut) {
      partly?.(`the VPC CNI's SNAT was not checked: the nat dump is cut (${cut.truncated.get('nat')})`);
      return [];
    }
    const states = views.map(natState);
    // aws-node's SNAT reachable from POSTROUTING in a back end: there (RETURNs before it are its configuration)
    if (states.some((s) => s.reachableSnat)) return [];
    // aws-node may write to the iptables-legacy tables the nf_tables dump only mentions
    const legacyHidden = liveIpv4(artifacts).find((r) => r.legacyTablesPresent) && !all.some((v) => v.backend === 'legacy');
    const state = states.find((s) => s.awsChains.length > 0 || s.mangle.length > 0) ?? states[0];
    if (legacyHidden && state.awsChains.length === 0 && state.mangle.length === 0) {
      partly?.("the VPC CNI's SNAT was not checked: the dump says iptables-legacy tables are present, and the bundle does not show them");
      return [];
    }
    // another rule source-NATs a pod's packet to the outside (Calico's natOutgoing, a hand-written MASQUERADE)
    const uplink = uplinkOf(artifacts) ?? SOME_UPLINK;
    const src = pods.address ?? podLikeAddress(artifacts, uplink);
    const walked = sourceNat(
      views.map((v) => v.tables),
      // outside the VPC subnet the node sits in (connected): a probe inside it would not be source-NATed anyway
      outboundPacket(src, pods.veth ?? '(pod veth)', uplink, outsideAddress(artifacts, 4)),
      { localAddresses: localAddresses(artifacts), ipset: artifacts.ipsets?.length ? ipsetMatcher(artifacts.ipsets) : undefined },
      postroutingNat(nativeNftables(artifacts)),
    );
    if (walked.kind === 'covered') return [];
    // a cut-off nft listing: a source NAT in the rest of the table left open, or in a table after it, is not in the file
    const nftCut = nftCutNote(artifacts.nftables ?? []);
    if (nftCut) {
      partly?.(`the VPC CNI's SNAT was not checked: no rule shown source-NATs a pod's packet (${src}) to the outside, but ${nftCut}; collect the whole nft list ruleset`, ['nftables']);
      return [];
    }
    if (walked.kind !== 'none') {
      partly?.(`could not decide whether a pod's packet (${src}) to the outside is source-NATed: a rule's match could not be evaluated`);
      return [];
    }
    // what ipamd says it uses, at the bundle's collection: decides before its rules and its log
    const external = settings?.externalSnat;
    if (external?.value === true) {
      partly?.(
        `aws-node writes no SNAT for pods here, as configured: ${external.ref.file}${external.ref.line ? ` line ${external.ref.line}` : ''} says ${external.excerpt} (a NAT gateway source-NATs the pods' traffic leaving the VPC; it is outside the bundle and was not checked)`,
      );
      return [];
    }
    const excluded = settings?.excludeSnatCidrs;
    if (excluded && coversEveryAddress(excluded.value)) {
      partly?.(`aws-node would source-NAT nothing here: its exclusions (${excluded.excerpt}, ${excluded.ref.file}) cover every IPv4 destination, so its missing SNAT rules change nothing`);
      return [];
    }
    const config = snatConfigFromLog(artifacts.logs);
    // ipamd's last start said AWS_VPC_K8S_CNI_EXTERNALSNAT=true: a NAT gateway does it
    if (!external && config?.facts.shouldExist === 'false') return [];
    const nft = awsCniNftTable(artifacts);
    const proof: Evidence[] = [
      ...(external ? [settingEvidence(external)] : []),
      ...state.remains.filter((r) => r.target !== 'SNAT').slice(0, 3).map(remainEvidence),
      ...(nft ? [nft] : []),
      ...(config && config.facts.shouldExist === 'true' ? [configEvidence(config)] : []),
    ];
    const absent = state.awsChains.every((c) => !SNAT_CHAIN.test(c.name));
    if (proof.length > 0 || state.strandedSnat.length > 0) return [finding(node, artifacts, state, pods, proof, 'critical', settings, commandNode)];
    // no proof of the setting: the chain ipamd always creates is gone (the table was rebuilt after it
    // started), on a node with IPv4 pods, where this back end is the one its components write to
    const written = state.mangle[0] ?? kubeChain(state.view) ?? logEvidence(artifacts.logs, ['log.firewall-restart'], 1)[0];
    if (absent && pods.routes.length > 0 && written) return [finding(node, artifacts, state, pods, [], 'warning', undefined, commandNode)];
    partly?.(
      `nat POSTROUTING does not reach aws-node's SNAT (AWS-SNAT-CHAIN-0 ${absent ? 'is not there' : 'is empty or not jumped to'}), but the bundle does not say whether AWS_VPC_K8S_CNI_EXTERNALSNAT is true (then aws-node leaves exactly this, and a NAT gateway does the SNAT): see the aws-node DaemonSet's environment or ipamd/networkutils-env-settings.json`,
    );
    return [];
  },
});

interface NatState {
  view: BackendView;
  nat: Map<string, Chain>;
  /** aws-node's chains in nat (AWS-SNAT-CHAIN-*, AWS-CONNMARK-CHAIN-*) */
  awsChains: Chain[];
  /** an SNAT rule of aws-node's that a packet in POSTROUTING reaches */
  reachableSnat: boolean;
  /** aws-node's SNAT rules nothing reaches */
  strandedSnat: Rule[];
  /** rules aws-node writes only with external SNAT off, still there (its stranded SNAT rule too) */
  remains: Rule[];
  /** mangle PREROUTING "AWS, primary ENI": aws-node writes to this back end (either SNAT setting) */
  mangle: Evidence[];
}

function natState(view: BackendView): NatState {
  const nat = view.tables.get('nat')!;
  const awsChains = [...nat.values()].filter((c) => SNAT_CHAIN.test(c.name) || CONNMARK_CHAIN.test(c.name));
  const reach = new Set(['POSTROUTING', ...reachableChains(nat, 'POSTROUTING')]);
  const snatRules = [...nat.values()].flatMap((c) => c.rules.filter((r) => r.target === 'SNAT' && (SNAT_CHAIN.test(c.name) || r.comment === 'AWS, SNAT')));
  // in the order that tells most: the SNAT chain's own rules, the jump to it, the connmark rules
  const remains: Rule[] = [];
  for (const c of awsChains) if (SNAT_CHAIN.test(c.name)) remains.push(...c.rules);
  for (const r of nat.get('POSTROUTING')?.rules ?? []) if (r.target && SNAT_CHAIN.test(r.target)) remains.push(r);
  for (const r of nat.get('PREROUTING')?.rules ?? []) if ((r.target && CONNMARK_CHAIN.test(r.target)) || r.comment === 'AWS, CONNMARK' || r.comment === 'AWS, outbound connections') remains.push(r);
  for (const c of awsChains) if (CONNMARK_CHAIN.test(c.name)) remains.push(...c.rules);
  const mangle = (view.tables.get('mangle')?.get('PREROUTING')?.rules ?? [])
    .filter((r) => r.comment === 'AWS, primary ENI')
    .slice(0, 1)
    .map((r) => ({ file: r.ref.file, line: r.ref.line, excerpt: r.text, note: 'aws-node writes this (with either SNAT setting): it programs this back end' }));
  return {
    view,
    nat,
    awsChains,
    reachableSnat: snatRules.some((r) => reach.has(r.chain)),
    strandedSnat: snatRules.filter((r) => !reach.has(r.chain)),
    remains,
    mangle,
  };
}

interface Pods {
  evidence: Evidence[];
  /** IPv4 routes to pods on the VPC CNI's veths (main table) */
  routes: Route[];
  address?: string;
  veth?: string;
  cilium: boolean;
}

/**
 * Whether the VPC CNI serves pods here: IPv4 /32 routes to its veths (`<prefix><11 hex>`, prefix
 * eni unless AWS_VPC_K8S_CNI_VETHPREFIX says otherwise, as aws-node's `-i <prefix>+` rules show),
 * those veths, or aws-node's logs. Cilium's interfaces or chains mean Cilium serves them.
 */
function vpcCniPods(artifacts: NodeArtifacts, views: BackendView[], configured?: string): Pods {
  const prefix = configured ?? vethPrefix(views);
  const veth = new RegExp(`^${prefix}[0-9a-f]{11}$`);
  const routes = (artifacts.routes ?? [])
    .flatMap((t) => t.routes)
    .filter((r) => (!r.table || r.table === 'main') && r.dev && veth.test(r.dev) && /^\d+\.\d+\.\d+\.\d+\/32$/.test(r.destination) && !r.destination.startsWith('169.254.'));
  const itfs = interfacesOf(artifacts.ipAddr ?? []);
  const veths = [...itfs.values()].filter((i) => veth.test(i.name));
  const logs = (artifacts.logs ?? []).filter(isAwsNodeLog);
  const evidence: Evidence[] = [
    ...routes.slice(0, 2).map((r) => ({ file: r.ref.file, line: r.ref.line, excerpt: r.excerpt, note: `a pod's address, routed to the VPC CNI's veth ${r.dev}` })),
    ...(routes.length === 0 ? veths.slice(0, 1).map((i) => ({ file: i.ref.file, line: i.ref.line, excerpt: i.name, note: "a pod's veth, as the VPC CNI names them" })) : []),
    ...logs.slice(0, 1).map((l) => ({ file: l.file, line: 0, excerpt: l.file, note: `aws-node's log (${awsNodeLogName(l)}): the VPC CNI runs here` })),
  ];
  // (only asked where the VPC CNI shows: a kube-proxy node's tables hold tens of thousands of chains)
  const cilium = evidence.length > 0 && ([...itfs.keys()].some((n) => CILIUM_INTERFACE.test(n)) || views.some((v) => [...v.tables.values()].some((t) => [...t.keys()].some((c) => c.startsWith('CILIUM_')))));
  return { evidence, routes, address: routes[0]?.destination.replace(/\/32$/, ''), veth: routes[0]?.dev ?? veths[0]?.name, cilium };
}

/** Whether the layout names this log as aws-node's (see AWS_NODE_UNITS). */
function isAwsNodeLog(l: LogScanResult): boolean {
  const src = l.source;
  if (!src) return false;
  if (src.unit && AWS_NODE_UNITS.has(src.unit)) return true;
  return src.pod !== undefined && AWS_NODE_POD.test(src.pod) && (src.namespace === undefined || src.namespace === 'kube-system');
}

function awsNodeLogName(l: LogScanResult): string {
  const src = l.source ?? {};
  return src.unit ?? `pod ${src.namespace ? `${src.namespace}/` : ''}${src.pod}${src.container ? `, container ${src.container}` : ''}`;
}

/** The node's aws-node settings: the file that names the SNAT setting (the collector saves one). */
function cniSettings(files: AwsCniNetworkSettings[] | undefined): AwsCniNetworkSettings | undefined {
  return files?.find((f) => f.externalSnat) ?? files?.[0];
}

/** Whether these CIDRs together hold every IPv4 address (0.0.0.0/0, or 0.0.0.0/1 with 128.0.0.0/1, ...). */
function coversEveryAddress(cidrs: string[]): boolean {
  const ranges = cidrs
    .map((c) => parseCidr(c))
    .filter((c): c is NonNullable<typeof c> => c !== undefined && c.family === 4)
    .map((c) => {
      const start = c.network;
      return [start, start + (1n << BigInt(32 - c.prefix))] as const;
    })
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let covered = 0n;
  for (const [start, end] of ranges) {
    if (start > covered) return false;
    if (end > covered) covered = end;
  }
  return covered >= 1n << 32n;
}

const SETTING_NOTE =
  "aws-node's settings, as ipamd reported them when the bundle was collected: external SNAT is off, so the node itself must source-NAT the pods' traffic leaving the VPC (aws-node's SNAT to the primary ENI's address)";

function settingEvidence(s: AwsCniSetting<boolean>): Evidence {
  return { file: s.ref.file, line: s.ref.line, excerpt: s.excerpt, note: SETTING_NOTE };
}

/** The veth prefix aws-node's `-i <prefix>+` rules name (mangle "AWS, primary ENI", nat "AWS, outbound connections"), else eni. */
function vethPrefix(views: BackendView[]): string {
  for (const v of views)
    for (const table of ['mangle', 'nat'])
      for (const r of v.tables.get(table)?.get('PREROUTING')?.rules ?? []) {
        const i = r.inInterface;
        if (i && !i.negated && /^[A-Za-z0-9]+\+$/.test(i.value) && i.value !== 'vlan+' && (r.comment === 'AWS, primary ENI' || r.comment === 'AWS, outbound connections')) return i.value.slice(0, -1);
      }
  return 'eni';
}

/** aws-node in IPv6 mode: its IPv4 rule blocking pods from the node-local egress range (setupRuleToBlockNodeLocalAccess). */
function ipv6Mode(views: BackendView[]): boolean {
  return views.some((v) => (v.tables.get('filter')?.get('FORWARD')?.rules ?? []).some((r) => r.comment === 'Block Node Local Pod access via IPv4'));
}

/** A source for the traced packet when no pod route is in the bundle: an address of the uplink's subnet that is not the node's. */
function podLikeAddress(artifacts: NodeArtifacts, uplink: string): string {
  const own = new Set(localAddresses(artifacts));
  const net = interfacesOf(artifacts.ipAddr ?? []).get(uplink)?.addresses.find((a) => a.family === 4)?.network;
  const c = net ? parseCidr(net) : undefined;
  if (c && c.prefix <= 29) {
    const candidate = memberAddress(net!);
    if (!own.has(candidate)) return candidate;
  }
  return '10.0.0.2';
}

/** The latest ipamd line naming its SNAT setting (see SNAT_CONFIG_SIGNATURE). */
function snatConfigFromLog(logs: NodeArtifacts['logs']): LogMatch | undefined {
  const matches = (logs ?? []).flatMap((l) => l.matches.filter((m) => m.signature === SNAT_CONFIG_SIGNATURE && (m.facts.shouldExist === 'true' || m.facts.shouldExist === 'false')));
  matches.sort((a, b) => (a.timestamp?.epochMs ?? 0) - (b.timestamp?.epochMs ?? 0) || a.file.localeCompare(b.file) || a.line - b.line);
  return matches.at(-1);
}

const CONFIG_NOTE = 'ipamd at its start: the POSTROUTING jump to its SNAT chain should exist (AWS_VPC_K8S_CNI_EXTERNALSNAT is false: the node does the SNAT)';

function configEvidence(m: LogMatch): Evidence {
  return { file: m.file, line: m.line, excerpt: m.excerpt, ...timeOf(m), note: CONFIG_NOTE };
}

/** The newest aws-node's nftables connmark table (nftables mode): it exists only with external SNAT off. */
function awsCniNftTable(artifacts: NodeArtifacts): Evidence | undefined {
  const t: NftTable | undefined = nativeNftables(artifacts)
    .flatMap((rs) => rs.tables)
    .find((x) => x.family === 'ip' && x.name === 'aws-cni' && x.chains.some((c) => c.rules.length > 0));
  return t ? { file: t.ref.file, line: t.ref.line, excerpt: 'table ip aws-cni', note: "aws-node's connmark rules for its SNAT (nftables mode): it writes them only with AWS_VPC_K8S_CNI_EXTERNALSNAT=false" } : undefined;
}

function remainEvidence(r: Rule): Evidence {
  return { file: r.ref.file, line: r.ref.line, excerpt: r.text, note: "aws-node writes this only with AWS_VPC_K8S_CNI_EXTERNALSNAT=false (the node does the pods' SNAT), and it is still here" };
}

function kubeChain(view: BackendView): Evidence | undefined {
  const c = view.tables.get('nat')?.get('KUBE-SERVICES') ?? view.tables.get('nat')?.get('KUBE-POSTROUTING');
  return c ? { file: c.ref.file, line: c.ref.line, excerpt: `chain ${c.name}`, note: "kube-proxy's rules are in this back end" } : undefined;
}

function finding(node: string, artifacts: NodeArtifacts, s: NatState, pods: Pods, proof: Evidence[], severity: 'critical' | 'warning', settings?: AwsCniNetworkSettings, commandNode = node): FindingDraft {
  const natFile = s.view.files.get('nat')!;
  const post = s.nat.get('POSTROUTING');
  const snatChain = s.nat.get('AWS-SNAT-CHAIN-0');
  const jump = post?.rules.find((r) => r.target && SNAT_CHAIN.test(r.target));
  const stranded = s.strandedSnat[0];
  const to = stranded?.targetOptions['to-source'];
  let where: Evidence;
  let state: 'absent' | 'empty' | 'not-jumped' | 'no-snat-rule';
  if (!snatChain) {
    state = 'absent';
    where = { file: natFile, line: 0, excerpt: 'no chain AWS-SNAT-CHAIN-0 in the nat table', note: "aws-node creates it at every start (with either SNAT setting): the nat table was rebuilt after aws-node started" };
  } else if (!jump) {
    state = snatChain.rules.length === 0 ? 'empty' : 'not-jumped';
    where = post
      ? {
          file: post.ref.file,
          line: post.ref.line,
          excerpt: `chain nat POSTROUTING: ${post.rules.length === 0 ? 'no rules' : post.rules.map((r) => r.target).join(', ')}`,
          note: `no '-m comment --comment "AWS SNAT CHAIN" -j AWS-SNAT-CHAIN-0' here: nothing leads to aws-node's SNAT`,
        }
      : { file: natFile, line: 0, excerpt: 'no nat POSTROUTING rule jumps to AWS-SNAT-CHAIN-0', note: 'searched the nat table here' };
  } else {
    state = 'no-snat-rule';
    where = { file: snatChain.ref.file, line: snatChain.ref.line, excerpt: `chain nat AWS-SNAT-CHAIN-0${snatChain.rules.length === 0 ? ' (no rules)' : ''}`, note: 'POSTROUTING jumps here, but no rule of the chain (nor of the chains it jumps to) source-NATs' };
  }
  const evidence: Evidence[] = [where];
  if (stranded) evidence.push({ file: stranded.ref.file, line: stranded.ref.line, excerpt: stranded.text, note: "aws-node's SNAT rule is still here, but no rule of nat POSTROUTING leads to it" });
  if (snatChain && state === 'empty') evidence.push({ file: snatChain.ref.file, line: snatChain.ref.line, excerpt: 'chain nat AWS-SNAT-CHAIN-0 (no rules)', note: "aws-node's chain is there, emptied" });
  evidence.push(...proof, ...pods.evidence, ...s.mangle);
  const flushers = logEvidence(artifacts.logs, ['log.firewall-restart'], 3);
  evidence.push(...flushers.map((e) => ({ ...e, note: `${e.note}: a firewall service restart flushes the rules aws-node wrote` })));
  const firewall = activeFirewall(artifacts);
  // an instance id, or a name the bundle does not show for the host (nodeForCommands: `<NODE>`), is no Kubernetes node name
  const k8sNode = /^i-[0-9a-f]{8,17}$/.test(commandNode) ? '<node name>' : commandNode;
  const selector = `-l k8s-app=aws-node --field-selector spec.nodeName=${k8sNode}`;
  const bySettings = proof.some((p) => p.note === SETTING_NOTE);
  const byLog = proof.some((p) => p.note === CONFIG_NOTE);
  const why =
    severity === 'warning'
      ? `aws-node creates AWS-SNAT-CHAIN-0 whenever it starts, so the nat table was rebuilt after it started (${flushers.length ? 'a firewall service restarted' : 'a firewall restart, a flush'}), and nothing in the bundle says whether AWS_VPC_K8S_CNI_EXTERNALSNAT is set. Unless it is true (a NAT gateway doing the SNAT), pods cannot reach anything outside the VPC.`
      : `${bySettings ? "The settings aws-node reported when the bundle was collected (ipamd's introspection) say the node does the pods' SNAT (AWS_VPC_K8S_CNI_EXTERNALSNAT is false)" : byLog ? "ipamd's log says the node does the pods' SNAT (AWS_VPC_K8S_CNI_EXTERNALSNAT is false)" : "The other rules aws-node writes for that SNAT are still here, and it writes them only when the node does the pods' SNAT (AWS_VPC_K8S_CNI_EXTERNALSNAT=false)"}: pods' traffic to anything outside the VPC leaves with the pod's own address and gets no answer; traffic inside the VPC still works.`;
  const expected = expectedRules(settings, to ?? primaryAddress(artifacts));
  return {
    severity,
    title: "The AWS VPC CNI's source NAT for pods is missing",
    message:
      `The Amazon VPC CNI serves the pods of ${node}, but nat POSTROUTING no longer reaches aws-node's SNAT${to ? ` to ${to}` : ''} (${stateText(state)}), and no other rule source-NATs a pod's packet (${pods.address ?? 'a pod address'} → ${outsideAddress(artifacts, 4)}) leaving by the primary ENI. ` +
      `${why[0].toUpperCase()}${why.slice(1)} aws-node writes these rules when it starts, and afterwards only when the VPC's CIDRs change: it does not notice a flush.`,
    impact:
      "Pods on this node (hostNetwork pods aside) cannot reach addresses outside the VPC's CIDRs (the internet, public AWS endpoints, on-premises networks): their packets leave with the pod's secondary address, which EC2's source/destination check drops on the primary ENI and an internet gateway does not translate. Traffic within the VPC is unaffected.",
    evidence: distinctEvidence(evidence),
    facts: {
      snatChain: state,
      podAddress: pods.address,
      primaryAddress: to,
      proof: severity === 'critical' ? (bySettings ? 'aws-node-settings' : byLog ? 'ipamd-log' : 'aws-node-rules') : undefined,
      flushedBy: firewall,
      expectedSnatRule: expected?.snat,
    },
    remedy: {
      summary:
        (severity === 'warning' ? 'First check that external SNAT is off (the first command prints nothing, or false). ' : '') +
        `Restart aws-node on ${node}: the DaemonSet starts a new pod at once, and ipamd writes its SNAT, connmark and mangle rules again as it starts. Then find what flushed the nat table${firewall ? ` (here ${firewall})` : ' (a firewall service restart, a custom AMI\'s iptables.service, a script running iptables -t nat -F)'} and stop it, or restart aws-node after it every time.`,
      commands: [
        ...(severity === 'warning' ? ["kubectl -n kube-system set env daemonset/aws-node --list | grep -E 'AWS_VPC_K8S_CNI_(EXTERNALSNAT|EXCLUDE_SNAT_CIDRS)'"] : []),
        `kubectl -n kube-system get pods ${selector} -o wide`,
        `kubectl -n kube-system delete pod ${selector}`,
        `iptables -t nat -S POSTROUTING | grep AWS-SNAT-CHAIN; iptables -t nat -S AWS-SNAT-CHAIN-0   # on the node, once the new aws-node is Running: the jump, then RETURNs for the VPC CIDRs${expected?.exclusions.length ? ` and the exclusions ${expected.exclusions.join(', ')}` : ''} and the SNAT rule${expected?.snat ? ` (-A AWS-SNAT-CHAIN-0 ${expected.snat})` : ''}`,
        // not --now: iptables.service's stop action (RHEL's iptables.init) flushes every table and sets ACCEPT at once
        ...(firewall === 'iptables.service'
          ? [
              'systemctl disable iptables.service   # not --now: its stop action flushes every table now (aws-node\'s and kube-proxy\'s rules too); it restores /etc/sysconfig/iptables over the rules aws-node and kube-proxy write at run time',
              'systemctl mask iptables.service',
            ]
          : []),
      ],
      caution:
        "While the new aws-node starts (seconds to a minute), pods being created on this node wait for an address; running pods keep theirs and their connections. The restart does not bring the rules back for good if the component that flushed them runs again." +
        (firewall === 'iptables.service'
          ? ' Do not stop iptables.service (systemctl stop, disable --now): its stop action flushes every rule of every table and sets the policies to ACCEPT, removing aws-node\'s and kube-proxy\'s rules with the host firewall. Disabled, it is not started at the next boot: move the host rules it restored to a firewall that keeps them before then.'
          : ''),
    },
  };
}

/**
 * The SNAT rule aws-node writes by its settings (buildIptablesSNATRules): after a RETURN per VPC
 * CIDR and per exclusion, `! -o vlan+ ... -j SNAT --to-source <primary IP>` with `--random` for
 * hashrandom, `--random-fully` for prng (`--random` where iptables lacks it), nothing for none.
 */
function expectedRules(settings: AwsCniNetworkSettings | undefined, primary: string | undefined): { snat?: string; exclusions: string[] } | undefined {
  if (!settings) return undefined;
  const ports = settings.randomizeSnat?.value;
  const flag = ports === 'hashrandom' ? ' --random' : ports === 'prng' ? ' --random-fully' : '';
  const snat = primary && ports ? `! -o vlan+ -m comment --comment "AWS, SNAT" -m addrtype ! --dst-type LOCAL -j SNAT --to-source ${primary}${flag}` : undefined;
  return { snat, exclusions: settings.excludeSnatCidrs?.value ?? [] };
}

/** The primary ENI's IPv4 address: the uplink's first. */
function primaryAddress(artifacts: NodeArtifacts): string | undefined {
  const uplink = uplinkOf(artifacts);
  return uplink ? interfacesOf(artifacts.ipAddr ?? []).get(uplink)?.addresses.find((a) => a.family === 4)?.address : undefined;
}

function stateText(state: 'absent' | 'empty' | 'not-jumped' | 'no-snat-rule'): string {
  switch (state) {
    case 'absent':
      return 'the nat table has no AWS-SNAT-CHAIN-0';
    case 'empty':
      return 'AWS-SNAT-CHAIN-0 is empty and POSTROUTING does not jump to it';
    case 'not-jumped':
      return 'AWS-SNAT-CHAIN-0 still holds its rules, but POSTROUTING does not jump to it';
    case 'no-snat-rule':
      return 'POSTROUTING jumps to AWS-SNAT-CHAIN-0, which holds no SNAT rule';
  }
}

/** A firewall service that flushes iptables when it starts, running or enabled here (or named by the log of its restart). */
function activeFirewall(artifacts: NodeArtifacts): string | undefined {
  const unit = flushingFirewallUnits(artifacts)[0]?.unit;
  if (unit) return `${unit}.service`;
  const m = (artifacts.logs ?? []).flatMap((l) => l.matches).find((x) => x.signature === 'log.firewall-restart' && x.facts.service);
  if (!m) return undefined;
  const svc = m.facts.service;
  return /^ip6?tables$/.test(svc) || /IPv4 firewall/.test(svc) ? 'iptables.service' : /firewalld/.test(svc) ? 'firewalld.service' : /netfilter persistent|netfilter-persistent/i.test(svc) ? 'netfilter-persistent.service' : /ufw|Uncomplicated/i.test(svc) ? 'ufw.service' : /nftables|Netfilter Tables/i.test(svc) ? 'nftables.service' : undefined;
}
