/**
 * iptables.forward-blocks-containers: the FORWARD path drops container traffic. Decided by
 * walking packets through the live rules with the packet tracer: a NEW connection from each
 * container bridge to the outside, and its reply back; a DROP or REJECT on the way is reported
 * with the rule (or policy) that decides.
 *
 * The reply is traced as the kernel sees it: when the connection left masqueraded (or SNATed), the
 * reply comes back addressed to the node's address, and conntrack rewrites it to the container's
 * only at nat PREROUTING (priority -100). raw and mangle PREROUTING (Docker 28+'s direct-access
 * DROP `-d <container> ! -i <bridge>` is there) see the node's address.
 *
 * IPv6 too, where containers or pods use it (analyzers/lib/ipv6-use.ts): the bridges' IPv6 subnets are
 * walked through the ip6tables rules (and nft ip6 / inet tables), and the remedies are ip6tables commands.
 *
 * A bundle with no live nftables listing but the configuration nftables.service loads at boot
 * (/etc/nftables.conf, /etc/sysconfig/nftables.conf and what it includes), the service enabled or
 * active: the packets are walked again with that configuration's base chains beside the live
 * iptables rules, and a drop there is a warning that says it comes from the saved configuration (file
 * and line) and to collect `nft list ruleset`, never the traced live verdict. A live listing decides alone.
 */
import { iptablesDropCutNote, nftDropCutNote } from './lib/nft-cut.js';
import { defineAnalyzer, type FindingDraft, type Partly } from '../src/engine/analyzer.js';
import type { Evidence, Remedy } from '../src/report/schema.js';
import { trace, type Packet, type TraceContext, type TraceResult, type TraceStep } from '../src/netfilter/trace.js';
import { addressIn, formatCidr, parseCidr } from '../src/parsers/cidr.js';
import { interfacesOf } from '../src/parsers/interfaces.js';
import { masqueradeAddress } from '../src/parsers/ip-route.js';
import type { Chain, Rule, Ruleset } from '../src/netfilter/rules.js';
import type { NftChain, NftRule, NftRuleset, NftTable } from '../src/nft/model.js';
import { loadedNftablesConfig, type NftablesConfig } from '../src/nft/config.js';
import { nftExtraChains } from '../src/nft/trace.js';
import { findService, isActive, isEnabled, type ServiceState } from '../src/parsers/services.js';
import type { NodeArtifacts } from '../src/engine/artifacts.js';
import { runtimeValue } from '../src/parsers/sysctl.js';
import { dockerEngine, dockerVersionNumbers, type Reported } from '../src/parsers/docker-info.js';
import { dockerOnFirewalldReload, dockerVersion, ruleSpec, type FirewalldReloadAnswer } from './lib/container-host.js';
import { distinctEvidence } from './lib/evidence.js';
import { isDockerDirectAccessStep } from './lib/docker-direct-access.js';
import { connectionSymptom, fromContainer, symptomFits, type ConnectionSymptom } from './lib/logs.js';
import { hostFirewall, persistCaution, persistHandWritten, persistNft, type HostFirewall } from './lib/host-firewall.js';
import {
  dockerBridges,
  dockerBridgesFromRules,
  dockerPresence,
  hasDockerChains,
  liveIpv4,
  liveIpv6,
  netavarkSubnetsFromRules,
  podNetworksFromRules,
  liveTables,
  liveViews6,
  localAddresses,
  nativeNftables,
  notePartialNft,
  otherBridgeOwner,
  otherContainerBridges,
  reaches,
  traceContext,
  traceContext6,
  UNKNOWN_UPLINK,
  uplinkOf,
  type OtherBridge,
  type RuleBridge,
} from './lib/node-view.js';
import { dockerIpv6Use, podIpv6Use } from './lib/ipv6-use.js';
import { iptablesTool } from '../src/netfilter/commands.js';
import { dockerRestartOf, restartDocker, type DockerRestart } from './lib/node-services.js';
import { parseIp } from '../src/parsers/cidr.js';
import { otherEngineBridges } from './docker-forward-drop-other-engine.js';
import { outsideAddress, unknownUplinkAddress } from './lib/probe-address.js';

const BUILTIN = new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']);

export default defineAnalyzer({
  id: 'iptables.forward-blocks-containers',
  title: 'FORWARD drops container traffic',
  description:
    "A packet from a container bridge (Docker's, cni0, kube-bridge, cbr0, LXD's, Incus's, LXC's, libvirt's) to the outside (or its reply) is dropped or rejected in the forward path, by iptables or by a native nftables table. Without ip addr the bridges and subnets are read from the rules themselves (Docker's masquerade and FORWARD rules) and the uplink is any interface no rule names.",
  scope: 'node',
  requires: [],
  // the rules decide; without ip addr the bridges come from the rules themselves
  requiresOneOf: ['iptables', 'nftables', 'nftablesConfig'],
  optional: ['iptables', 'nftables', 'nftablesConfig', 'ipAddr', 'dockerNetworks', 'routes', 'flannelSubnetEnv', 'logs', 'sysctl', 'services', 'dockerDaemon', 'ipsets', 'packages', 'iptablesVersion'],
  analyze({ node, artifacts, partly }) {
    // the notes of the trace are held until the catch-all check has run: where it decides, "could not check" is not said
    const held: Parameters<Partly>[] = [];
    const hold: Partly = (m, missing) => void held.push([m, missing]);
    const findings: FindingDraft[] = forwardFindings(node, artifacts, 4, hold);
    findings.push(...docker2800Order(node, artifacts, findings, hold));
    // a catch-all REJECT/DROP in FORWARD ahead of the pods' or containers' accepts (or Docker's accepts wiped): decided
    // from the rules' order alone, where the trace could not decide it (h66)
    const blockers = findings.length === 0 ? catchAllBlocksForward(node, artifacts) : [];
    findings.push(...blockers);
    for (const [m, missing] of held) if (blockers.length === 0 || !/^could not check container forwarding|could not decide whether a container/.test(m)) partly?.(m, missing);
    // IPv6: only where the bundle shows containers or pods using it (every node has ip6tables chains)
    if (dockerIpv6Use(artifacts).length > 0 || podIpv6Use(artifacts).length > 0) findings.push(...forwardFindings(node, artifacts, 6, partly));
    return findings;
  },
});

/** A bridge whose forward path is traced, and what shows it. */
interface Traced {
  name: string;
  cidrs: string[];
  /** who made it: Docker, the CNI bridge plugin, or another container / VM manager (LXD, Incus, LXC, libvirt) */
  owner: 'docker' | 'cni' | 'Podman' | OtherBridge['owner'];
  /** the bridge's name is not in the bundle (a netavark network read from its rules alone): a stand-in that matches `podman+` */
  nameUnknown?: boolean;
  /** read from the rules (no ip addr): the rule that names it, and which rule it was */
  namedBy?: Evidence;
  from?: RuleBridge['from'];
  other?: OtherBridge;
  /** a pod network its distribution's own FORWARD accepts name (MicroK8s', flannel's): the pods' interface is not named, the accepts are */
  pods?: { owner: 'MicroK8s' | 'flannel'; rules: Rule[] };
}

/** A name's possessive: MicroK8s', flannel's. */
const owns = (name: string) => (name.endsWith('s') ? `${name}'` : `${name}'s`);

/** The in-interface a pod network's packets are traced from when only its accepts name it (matched by no name a rule gives). */
const POD_STAND_IN = 'pod-unnamed';

/** Container bridges' names: Docker's (docker0, docker_gwbridge, br-<id>), the pod bridges, Podman's. */
const CONTAINER_BRIDGE_NAME = /^(?:docker0|docker_gwbridge|br-[0-9a-f]{12}|cni0|kube-bridge|cbr0|(?:cni-)?podman\d+)$/;
const CONTAINER_BRIDGE_IN_TEXT = /(?:docker0|docker_gwbridge|br-[0-9a-f]{12}|cni0|kube-bridge|cbr0|podman\d)/;

/**
 * The coverage when no bridge could be traced without ip addr: which rules name a container bridge,
 * when some do (a cut listing: `-i docker_gwbridge ! -o docker_gwbridge -j ACCEPT` alone, a
 * DOCKER-ISOLATION rule with no accept), so the reason does not say no rule names one.
 */
function unreadBridges(tables: Map<string, Map<string, Chain>>, v6: boolean): string {
  const head = `could not check container forwarding${v6 ? ' over IPv6' : ''}: interfaces and addresses (ip addr) are not in the bundle`;
  const named = new Map<string, Rule>();
  for (const t of tables.values())
    for (const c of t.values())
      for (const r of c.rules) {
        // the rule's text first: reading its interfaces parses it, and a kube-proxy dump's rules stay unparsed (LazyRule)
        if (!CONTAINER_BRIDGE_IN_TEXT.test(r.text)) continue;
        for (const i of [r.inInterface, r.outInterface]) if (i && CONTAINER_BRIDGE_NAME.test(i.value) && !named.has(i.value)) named.set(i.value, r);
      }
  // `iptables -L` without -v: no in/out column, so no rule can name a bridge (canonical/lxd#6431's paste); ip addr alone would not make its rows decidable
  const unverbose = [...(tables.get('filter')?.values() ?? [])].flatMap((c) => c.rules).find((r) => r.incomplete?.some((x) => x.startsWith('listing without -v')));
  if (named.size === 0 && unverbose)
    return `${head}, and the listing is iptables -L without -v (${unverbose.ref.file}:${unverbose.ref.line}): it shows no in/out interface, so no rule can name a bridge (Docker's, LXD's, libvirt's) and ip addr alone would not make its rules decidable; collect iptables -L -n -v (or iptables-save) and ip addr (and ip route)`;
  if (named.size === 0) return `${head}, and no rule names a container bridge (Docker's masquerade or FORWARD rules, netavark's NETAVARK_FORWARD); collect ip addr (and ip route)`;
  const list = [...named].map(([n, r]) => `${n} (${r.ref.file}:${r.ref.line})`).join(', ');
  // an accept of what leaves the bridge (`-i docker0 ! -o docker0 -j ACCEPT`, rke#485's listing) is among them when the
  // bridge was still not read (a nat table without Docker's masquerade): say what is missing, not that no rule accepts
  const leaves = [...(tables.get('filter')?.values() ?? [])]
    .flatMap((c) => c.rules)
    .find((r) => r.target === 'ACCEPT' && r.inInterface && !r.inInterface.negated && named.has(r.inInterface.value) && (!r.outInterface || (r.outInterface.negated && r.outInterface.value === r.inInterface.value)));
  if (leaves)
    return `${head}; rules name ${list}, and ${leaves.ref.file}:${leaves.ref.line} accepts what leaves ${leaves.inInterface!.value}, but no masquerade in the bundle gives the bridge's subnet (the nat rules hold none for it), so there is no path to trace from it (the listing may be cut); collect ip addr (and ip route) and the whole iptables-save`;
  return `${head}; rules name ${list}, but none of them is a masquerade (its subnet) or an accept of what leaves the bridge, so there is no path to trace from them (the listing may be cut); collect ip addr (and ip route) and the whole iptables-save`;
}

/** The pod bridges: the CNI bridge plugin's (flannel's, k3s') cni0, kube-router's kube-bridge, kubenet's cbr0. */
const POD_BRIDGES = ['cni0', 'kube-bridge', 'cbr0'] as const;

/**
 * kube-router appends its own FORWARD accepts for kube-bridge (`allow outbound traffic from pods`,
 * `allow inbound traffic to pods`: its routes controller's enableForwarding). A drop of kube-bridge's
 * traffic where they are absent: kube-router is not running, or wrote them into the other iptables
 * back end, where they cannot undo this one's drop (kube-router#1069: its image's iptables-legacy on an
 * nf_tables host; images with iptables-wrapper pick the host's back end, kube-router#592).
 */
function kubeRouterAccepts(b: Traced, tables: Map<string, Map<string, Chain>>, backend: string | undefined): { text: string; check: string } | undefined {
  if (b.name !== 'kube-bridge') return undefined;
  const forward = tables.get('filter')?.get('FORWARD')?.rules ?? [];
  if (forward.some((r) => /allow (?:outbound traffic from|inbound traffic to) pods/.test(r.comment ?? r.text))) return undefined;
  // the dump's own back end, where its header or name says; an unnamed one is taken for nf_tables, today's default
  const other = backend === 'legacy' ? 'iptables-nft-save' : 'iptables-legacy-save';
  return {
    text: ` kube-router's own accepts for kube-bridge (FORWARD "allow outbound traffic from pods" / "allow inbound traffic to pods") are not in these rules: kube-router is not running on the node, or it wrote them into the other iptables back end, where they cannot undo this drop (kube-router#1069: a kube-router image using iptables-legacy on an nf_tables host). The lasting fix is kube-router's: an image whose iptables-wrapper picks the host's back end (kube-router#592), then its pods restarted; the accept below is a stopgap.`,
    check: `${other} -t filter 2>/dev/null | grep -e kube-bridge -e KUBE-ROUTER   # kube-router's rules in the other back end? (kube-router#1069)`,
  };
}

/** kube-proxy's and the network plugins' own chains in the filter table: where pods' forwarded traffic is accepted. */
const POD_FORWARD_CHAIN = /^(?:KUBE-FORWARD|KUBE-ROUTER-|KUBE-POD-FW-|cali-|FLANNEL-|CILIUM_|WEAVE|ANTREA-|OVN-|CNI-)/;

/**
 * Without ip addr the pod bridge is not known (kube-router#1069's paste: a filter table alone). A Kubernetes node
 * (kubelet's own chains) whose FORWARD drops by policy and whose rules hold no chain of kube-proxy nor of any
 * network plugin: pods' forwarded traffic would meet that policy with nothing in this back end to accept it.
 * Said in the coverage, asking for what decides it.
 */
function podForwardingUnseen(tables: Map<string, Map<string, Chain>>): string | undefined {
  const filter = tables.get('filter');
  const forward = filter?.get('FORWARD');
  if (!filter || forward?.policy !== 'DROP') return undefined;
  const kubelet = filter.get('KUBE-FIREWALL') ?? filter.get('KUBE-KUBELET-CANARY');
  if (!kubelet || [...filter.keys()].some((c) => POD_FORWARD_CHAIN.test(c))) return undefined;
  // kube-router's own accepts sit in FORWARD itself (`-i kube-bridge ... "allow outbound traffic from pods"`)
  const podBridge = (i: { value: string } | undefined) => !!i && (POD_BRIDGES as readonly string[]).includes(i.value);
  if (forward.rules.some((r) => r.target === 'ACCEPT' && (podBridge(r.inInterface) || podBridge(r.outInterface)))) return undefined;
  return `a Kubernetes node (kubelet's ${kubelet.name}, ${kubelet.ref.file}:${kubelet.ref.line}) whose FORWARD policy is DROP (${forward.ref.file}:${forward.ref.line}) and whose filter rules hold no chain of kube-proxy or of a network plugin (KUBE-FORWARD, KUBE-ROUTER-*, cali-*, FLANNEL-*, CILIUM_*, WEAVE-*): pods' forwarded traffic would meet that policy with nothing here to accept it. Collect ip addr (the pod bridge: cni0, kube-bridge, cbr0) to trace it, and iptables-legacy-save / iptables-nft-save: the plugin's rules may sit in the other back end, where they cannot undo this drop (kube-router#1069)`;
}

/** The remedy where kube-router's accepts are missing: look for them in the other back end first, the accept a stopgap. */
function kubeRouterFirst(r: Remedy, check: string): Remedy {
  return {
    ...r,
    summary: `First see where kube-router's rules went (the first command); if they are in the other back end, move kube-router to the host's back end (an image with iptables-wrapper) and restart its pods: no rule surgery is needed then. Until then, as a stopgap: ${r.summary.charAt(0).toLowerCase()}${r.summary.slice(1)}`,
    commands: [check, ...r.commands],
  };
}

/** Podman's bridges: netavark's podman0, podman1, ... and CNI Podman's cni-podman0. */
const PODMAN_BRIDGE = /^(?:cni-)?podman\d+$/;

/**
 * netavark's networks as its own rules name them when the bundle has no ip addr: one
 * `-A NETAVARK_FORWARD -s <subnet> -j ACCEPT` per network (nft: `ip saddr <subnet> accept`). The
 * bridge is podman0 for the default network (10.88.0.0/16); for the others the rules do not say, so
 * the trace uses a stand-in name (matched by `podman+`, by no exact name) and a drop that could depend
 * on the name is left undecided.
 */
function netavarkNetworksFromRules(rulesets: Ruleset[], family: 4 | 6): Traced[] {
  return netavarkSubnetsFromRules(rulesets)
    .filter(({ subnet }) => subnet.includes(':') === (family === 6))
    .map(({ subnet, rule }) => {
      const known = subnet === '10.88.0.0/16';
      return {
        name: known ? 'podman0' : PODMAN_STAND_IN,
        nameUnknown: !known,
        cidrs: [subnet],
        owner: 'Podman' as const,
        namedBy: { file: rule.ref.file, line: rule.ref.line, excerpt: rule.text, note: `netavark's rule for its network ${subnet}${known ? ' (the default network: bridge podman0)' : ' (its bridge is not named in the bundle)'}` },
      };
    });
}

/** The name a netavark bridge is traced under when the bundle does not name it. */
const PODMAN_STAND_IN = 'podman-unnamed';

/** A container's address when the bundle names the bridge but not its subnet (a listing of the filter table alone): the end of 100.64.0.0/10 (RFC 6598), which no Docker default pool uses. */
const UNKNOWN_SUBNET_HOST: Record<4 | 6, string> = { 4: '100.127.255.2', 6: 'fd00:ffff:ffff:ffff::2' };

/**
 * The coverage note where the bundle has no IPv4 filter FORWARD chain and no native nftables forward chain: it
 * names the forward chains the bundle does hold (ip6tables' FORWARD, iptables-nft's in an nft listing, R24 c05:
 * `nft list chain ip6 filter FORWARD`), which are traced only where containers or pods use IPv6.
 */
function noForwardNote(artifacts: NodeArtifacts): string {
  const bare = 'could not check container forwarding: the bundle has no filter FORWARD chain (iptables-save, or iptables -L FORWARD) and no nftables forward chain';
  const read = new Map<string, { v6: boolean; text: string }>();
  for (const rs of artifacts.nftables ?? [])
    for (const t of rs.tables)
      for (const c of t.chains) {
        if (c.hook !== 'forward' || (t.family !== 'ip' && t.family !== 'ip6')) continue;
        const line = c.policyLine ?? c.ref.line;
        const key = `${c.ref.file}:${line}`;
        if (!read.has(key)) read.set(key, { v6: t.family === 'ip6', text: `${t.family} ${t.name} ${c.name} (${c.ref.file}:${line})` });
      }
  // ip6tables' FORWARD from an ip6tables dump (the same chain as an nft listing's, where it came from one)
  const fwd6 = liveViews6(artifacts)[0]?.tables.get('filter')?.get('FORWARD');
  if (fwd6 && !read.has(`${fwd6.ref.file}:${fwd6.ref.line}`)) read.set(`${fwd6.ref.file}:${fwd6.ref.line}`, { v6: true, text: `ip6tables' filter FORWARD (${fwd6.ref.file}:${fwd6.ref.line})` });
  if (read.size === 0) return bare;
  const v6 = [...read.values()].filter((x) => x.v6).map((x) => x.text);
  const v4 = [...read.values()].filter((x) => !x.v6).map((x) => x.text);
  const ipv6Used = dockerIpv6Use(artifacts).length > 0 || podIpv6Use(artifacts).length > 0;
  const parts = ['could not check container forwarding in IPv4: the bundle has no IPv4 filter FORWARD chain (iptables-save, or iptables -L FORWARD) and no native nftables forward chain'];
  if (v4.length) parts.push(`${v4.join(', ')} ${v4.length > 1 ? 'are' : 'is'} in an nft listing that was not read as the node's iptables rules (another listing was)`);
  if (v6.length)
    parts.push(
      `the forward chains read are IPv6's: ${v6.join(', ')}; ${ipv6Used ? 'they are traced for the containers or pods that use IPv6' : 'they are traced only where the bundle shows containers or pods using IPv6, and it shows none (no Docker network with IPv6, no IPv6 address on a container or pod bridge)'}`,
    );
  return parts.join('; ');
}

/** The forward path of each container bridge's subnets of one family, through that family's rules. */
function forwardFindings(node: string, artifacts: NodeArtifacts, family: 4 | 6, partly?: Partly) {
  const v6 = family === 6;
    const view6 = v6 ? liveViews6(artifacts)[0] : undefined;
  const tables: Map<string, Map<string, Chain>> = v6 ? (view6?.tables ?? new Map()) : liveTables(artifacts);
  const nft = nativeNftables(artifacts);
  const leftToOtherEngine = family === 4 ? otherEngineBridges(node, artifacts) : new Set<string>();
  const itfs = interfacesOf(artifacts.ipAddr ?? []);
  // no live nftables listing: the tables nftables.service loads at boot, traced for a warning (never the live verdict)
  const savedOrSkipped = savedNftables(artifacts);
  const saved = savedOrSkipped && 'ruleset' in savedOrSkipped ? savedOrSkipped : undefined;
  if (savedOrSkipped && 'skipped' in savedOrSkipped && family === 4) partly?.(`did not trace the nftables configuration nftables.service loads at boot (the bundle has no live nft listing): ${savedOrSkipped.skipped}`);
  // iptables' FORWARD and native nftables forward chains (firewalld's, Docker's own) both decide
  if (!tables.get('filter')?.get('FORWARD') && nft.length === 0 && !saved?.ruleset.tables.length) {
    // a bundle of rules alone that lacks the filter table (a `-t nat` listing): nothing was checked, and the coverage says so
    if (itfs.size === 0 && family === 4 && (artifacts.iptables?.length || artifacts.nftables?.length)) partly?.(noForwardNote(artifacts), ['iptables']);
    return [];
  }
  // no ip addr: the bridges are read from the rules, and the uplink is "any interface other than the bridge"
  const listed = itfs.size > 0;
  const routedUplink = uplinkOf(artifacts, family);
  if (!routedUplink && listed) return [];
  const uplink = routedUplink ?? UNKNOWN_UPLINK;
  const uplinkKnown = routedUplink !== undefined;
  // the address a masquerade gives the containers' connections: the route's preferred source, else the uplink's first address
  // the node's address on an uplink the bundle does not show: a stand-in it does not show on the node either
  const standInAddress = unknownUplinkAddress(artifacts, family);
  const uplinkAddress = masqueradeAddress(uplink, artifacts.routes ?? [], itfs, family) ?? (listed ? undefined : standInAddress);
  const bridges: Traced[] = [];
  if (listed) {
    bridges.push(...dockerBridges(artifacts, family).map((b) => ({ name: b.name, cidrs: b.subnets.map((s) => s.cidr), owner: 'docker' as const })));
    // the pod bridges: the CNI bridge plugin's cni0, kube-router's kube-bridge, kubenet's cbr0
    for (const name of POD_BRIDGES) {
      const pod = itfs.get(name);
      if (pod) bridges.push({ name, cidrs: pod.addresses.filter((a) => a.family === family && (!v6 || (a.scope !== 'link' && a.scope !== 'host'))).map((a) => a.network), owner: 'cni' });
    }
    // Podman's bridges (netavark's podman0, podman1, ...; CNI Podman's cni-podman0)
    for (const i of itfs.values())
      if (PODMAN_BRIDGE.test(i.name)) {
        const cidrs = i.addresses.filter((a) => a.family === family && (!v6 || (a.scope !== 'link' && a.scope !== 'host'))).map((a) => a.network);
        if (cidrs.length > 0) bridges.push({ name: i.name, cidrs, owner: 'Podman' });
      }
  } else {
    for (const b of dockerBridgesFromRules(artifacts, family)) bridges.push({ name: b.name, cidrs: b.subnets.map((s) => s.cidr), owner: 'docker', namedBy: b.namedBy, from: b.from });
    bridges.push(...netavarkNetworksFromRules(v6 ? liveIpv6(artifacts) : liveIpv4(artifacts), family));
  }
  // the pod network MicroK8s' or flannel's own accepts name, where no bridge traced above covers it
  for (const p of podNetworksFromRules(v6 ? liveIpv6(artifacts) : liveIpv4(artifacts))) {
    if (p.subnet.includes(':') !== v6) continue;
    if (bridges.some((b) => b.cidrs.some((c) => addressIn(c.split('/')[0], p.subnet) || addressIn(p.subnet.split('/')[0], c)))) continue;
    const r = p.rules[0];
    bridges.push({
      name: POD_STAND_IN,
      cidrs: [p.subnet],
      owner: 'cni',
      pods: p,
      namedBy: { file: r.ref.file, line: r.ref.line, excerpt: r.text, note: `${owns(p.owner)} own accept for its pod network ${p.subnet} (the pods' interfaces are not named by it)` },
    });
  }
  // LXD's, Incus's, LXC's and libvirt's bridges: Docker's FORWARD policy DROP cuts them off (their own
  // accepts cannot undo a drop of another table or chain); only on a node with Docker's chains, and not
  // where forwarding is off (sysctl.ip-forward-disabled says that)
  const dockerHere = hasDockerChains(tables);
  const forwardingOff = runtimeValue(artifacts.sysctl ?? [], v6 ? 'net.ipv6.conf.all.forwarding' : 'net.ipv4.ip_forward').some((x) => x.value === '0');
  if (dockerHere && !forwardingOff)
    for (const o of otherContainerBridges(artifacts, family)) if (!bridges.some((b) => b.name === o.name)) bridges.push({ name: o.name, cidrs: o.subnets.map((s) => s.cidr), owner: o.owner, other: o });
  // the same managers' bridges by their default names in ip addr (lxdbr0, incusbr0, lxcbr0, virbr0), where the bundle
  // lacks their rules (LXD's table inet lxd without an nft listing; canonical/lxd#6431's ufw + Docker host): IPv4 only
  // (only without a live nft listing: with one, the manager's table, inet lxd or ip libvirt_network, would show, and its
  // absence says the bridge is not routed by it: an isolated libvirt network, a bridge LXD does not manage)
  if (dockerHere && !forwardingOff && listed && !v6 && nft.length === 0)
    for (const i of itfs.values()) {
      const owner = otherBridgeOwner(i.name);
      const a = owner ? i.addresses.find((x) => x.family === 4 && x.scope !== 'host' && x.prefix < 31) : undefined;
      if (!owner || !a || bridges.some((b) => b.name === i.name)) continue;
      const ev: Evidence = { file: a.ref.file, line: a.ref.line, excerpt: a.excerpt, note: `${i.name}: by its name ${owner}'s default bridge, serving ${a.network} (the bundle has no rule of ${owner}'s for it)` };
      bridges.push({ name: i.name, cidrs: [a.network], owner, other: { name: i.name, owner, subnets: [{ cidr: a.network, evidence: ev }], routes: ev } });
    }
  if (!listed) {
    const unsure = bridges.filter((b) => b.cidrs.length === 0).map((b) => b.name);
    partly?.(
      bridges.length === 0
        ? unreadBridges(tables, v6)
        : `interfaces and addresses (ip addr) are not in the bundle: ${bridges.map((b) => (b.nameUnknown ? `netavark's network ${b.cidrs[0]} (its bridge not named)` : b.pods ? `${owns(b.pods.owner)} pod network ${b.cidrs[0]} (its interfaces not named)` : b.name)).join(', ')} ${bridges.length > 1 ? 'were' : 'was'} read from the rules${unsure.length > 0 ? ` (${unsure.join(', ')} without a subnet)` : ''}, and the uplink ${uplinkKnown ? `from ip route (${uplink})` : 'taken as any interface the rules do not name'}; collect ip addr (and ip route) to check the real ones`, ['ipAddr']
    );
    if (family === 4) {
      const podsUnseen = podForwardingUnseen(tables);
      if (podsUnseen) partly?.(podsUnseen);
    }
  }
  let ctx = v6 ? traceContext6(artifacts) : traceContext(artifacts);
  if (!listed) ctx = { ...ctx, localAddresses: [...ctx.localAddresses, standInAddress] };
  // Docker's own FORWARD rules present (a jump from FORWARD to its chains): a restart of docker would not add them again ahead of a blocker
  const dockerJumps = (tables.get('filter')?.get('FORWARD')?.rules ?? []).some((r) => /^DOCKER(-USER|-FORWARD|-ISOLATION.*)?$/.test(r.target ?? ''));
  // Docker told not to write firewall rules (--iptables=false): a restart adds nothing; the host's firewall must accept
  const firewallOff = dockerPresence(artifacts).firewallOff;
  const brnf = bridgedTrafficPassesIptables(artifacts, family);
  const fw = hostFirewall(artifacts);
  // how dockerd runs here (docker.service, rootless, the snap, another unit): what restarts it
  const docker = dockerRestartOf(artifacts);
  const lines = containerConnectionLines(artifacts);
  // the command: `iptables` (as always for IPv4), `ip6tables` (or -nft / -legacy where both back ends hold IPv6 rules)
  // and, where both back ends hold rules, the one of the file that decided: a fix in the other back end changes nothing
  const live = v6 ? liveIpv6(artifacts) : liveIpv4(artifacts);
  const defaultTool = view6 ? iptablesTool(view6.rulesets[0], liveViews6(artifacts).flatMap((v) => v.rulesets)) : 'iptables';
  const toolFor = (file: string) => {
    const rs = live.find((r) => r.file === file);
    return rs ? iptablesTool(rs, live) : defaultTool;
  };
  // a host beyond the node: one the node neither owns nor is connected to, in no container subnet (R30: a node whose eth0
  // is 198.51.100.10 made a fixed one local)
  const OUT = outsideAddress(artifacts, family, [...bridges.flatMap((b) => b.cidrs), standInAddress]);
  // what the verdict rests on when the bundle does not say: the uplink (no ip addr, no route) and a bridge's subnet
  const ifCandidates = uplinkKnown ? NO_CANDIDATES : interfaceCandidates(tables, saved ? [...nft, saved.ruleset] : nft, new Set([...bridges.map((b) => b.name), 'lo']));
  const findings = [];
  // what the iptables side decided, for the note on the tables iptables-save never shows (otherHookTablesNote)
  const passed: { bridge: string; accepted: boolean }[] = [];
  let anyBlocked = false;
  // the bridges iptables could not decide for: said after the note on the other tables (the coverage keeps 4 notes)
  const undecided: string[] = [];
  for (const b of bridges) {
    for (const cidr of b.cidrs.length > 0 ? b.cidrs : [undefined]) {
      const c = cidr ? parseCidr(cidr) : undefined;
      if (cidr && (!c || c.prefix > (v6 ? 126 : 30))) continue;
      const cniContainer = cidr ? cniFirewallContainer(tables, cidr) : undefined;
      // the CNI firewall plugin accepts each container by address as it starts: a bridge of its network with no such
      // accept runs no container now, and the next one gets its own (R26 27b: no container, nothing dropped)
      if (cidr && !cniContainer && cniFirewallOwns(tables, cidr, b.name)) {
        partly?.(`${cidr} (${b.name}): no container runs on it (the CNI firewall plugin accepts each one in CNI-FORWARD as it starts, and none is there): nothing to trace`);
        continue;
      }
      const host = cidr ? (cniContainer ?? hostIn(cidr)) : UNKNOWN_SUBNET_HOST[family];
      const label = b.pods ? `a pod in ${cidr} (${owns(b.pods.owner)} pod network)` : cidr ? `${cidr} (${b.nameUnknown ? 'a Podman bridge' : b.name})` : `a container on ${b.name} (its subnet is not in the bundle)`;
      const via = uplinkKnown ? ` via ${uplink}` : b.pods ? ' (the uplink is not in the bundle)' : ` (out of any interface other than ${b.name}: the uplink is not in the bundle)`;
      // the packets of both directions through one set of tables (the rules as they are, or with a proposed change)
      const walk = (t: Map<string, Map<string, Chain>>, out: Packet, c: TraceContext = ctx) => {
        const results: [string, TraceResult, Packet, string?][] = [[`a new connection from ${label} to the outside${via}`, trace(t, 'forward', out, c), out]];
        const first = results[0][1];
        // a reply exists only for a connection that got out, and what it is addressed to depends on the
        // NAT the connection got: known when the trace went through nat POSTROUTING; when a rule the
        // tracer does not model stopped it, both are possible, and only a drop of both is reported
        const back = (natTo?: string, masquerade?: boolean): [string, TraceResult, Packet, string] => {
          const p: Packet = natTo
            ? { src: OUT, dst: natTo, protocol: 'tcp', dport: 40000, sport: 443, inInterface: out.outInterface, outInterface: out.inInterface ?? b.name, state: 'established', mark: 0, unSnat: { dst: out.src, dport: 40000 } }
            : { src: OUT, dst: out.src, protocol: 'tcp', dport: 40000, sport: 443, inInterface: out.outInterface, outInterface: out.inInterface ?? b.name, state: 'established', mark: 0 };
          const what = `the reply from the outside back to ${label}`;
          const how = natTo
            ? `The reply arrives addressed to ${natTo}, the address ${masquerade ? 'the masquerade' : 'SNAT'} gave the connection${natTo === standInAddress ? " (the node's address there is not in the bundle)" : ''}; conntrack restores the container's address at nat PREROUTING (priority -100), after raw and mangle.`
            : "The bridge's traffic is not masqueraded: the reply arrives addressed to the container itself.";
          return [what, trace(t, 'forward', p, c), p, how];
        };
        if (first.verdict.kind === 'ACCEPT') {
          // a rule the tracer could not evaluate (an ipset) may decide the NAT: the reply of each outcome,
          // and only a drop of every one is reported
          const snats = first.natOutcomes ? [...new Map(first.natOutcomes.map((o) => [`${o.snat?.to}|${o.snat?.masquerade}`, o.snat])).values()] : [first.packet.snat];
          const variants = snats.flatMap((snat) => {
            const natTo = snat ? (snat.to ?? uplinkAddress) : undefined;
            return !snat || natTo ? [back(natTo, snat?.masquerade)] : [];
          });
          if (variants.length === 1 || (variants.length > 1 && variants.every(([, r]) => blocked(r)))) results.push(variants[0]);
        } else if (first.verdict.kind === 'unknown') {
          const variants = [...(uplinkAddress ? [back(uplinkAddress, true)] : []), back()];
          if (variants.every(([, r]) => blocked(r))) results.push(variants[0]);
        }
        return results;
      };
      const out: Packet = { src: host, dst: OUT, protocol: 'tcp', dport: 443, sport: 40000, inInterface: b.name, outInterface: uplink, state: 'new', mark: 0 };
      // where the bridge and the uplink were read when the bundle has no ip addr (said in the message)
      const basisOf = (b: Traced, cidr: string | undefined) =>
        listed
          ? ''
          : b.pods
            ? ` The bundle has no ip addr: the pod network ${cidr} was read from ${owns(b.pods.owner)} own accepts (${b.namedBy?.file}:${b.namedBy?.line}), the pods' interfaces are not named (no rule on the path depends on them), and ${uplinkKnown ? `the uplink ${uplink} from ip route` : 'the uplink taken as any interface no rule names'}.`
            : ` The bundle has no ip addr: ${b.name}${cidr ? ` and ${cidr}` : ''} ${cidr ? 'were' : 'was'} read from ${b.from === 'docker network inspect' ? 'docker network inspect' : b.other ? `${b.owner}'s own rules` : b.owner === 'Podman' ? "netavark's own rules" : "Docker's own rules"} (${(b.namedBy ?? b.other?.routes)?.file}:${(b.namedBy ?? b.other?.routes)?.line}), and ${uplinkKnown ? `the uplink ${uplink} from ip route` : 'the uplink taken as any interface no rule names'}.`;
      const results = walk(tables, out);
      const first = results[0][1];
      if (results.some(([, r]) => blocked(r))) anyBlocked = true;
      else passed.push({ bridge: b.name, accepted: results.every(([, r]) => r.verdict.kind === 'ACCEPT') });
      if (first.verdict.kind === 'unknown' && results.length === 1) {
        // not an all-clear: the coverage says what could not be decided and at which rule
        const at = first.verdict.at;
        undecided.push(`could not decide whether ${label} reaches the outside${family === 6 ? ' over IPv6' : ''}: ${first.verdict.reason}${at ? ` at ${at.table}/${at.chain} ${at.num === 0 ? 'policy' : `rule ${at.num}`} (${at.file}:${at.line})` : ''}`);
      }
      for (const [i, [what, r, sent, how]] of results.entries()) {
        if (!blocked(r)) continue;
        const dir = i === 0 ? 'out' : 'back';
        // what the bundle does not say must not change the verdict: the uplink could be an interface a rule
        // names (`-o eth0 -j ACCEPT`), the subnet one a rule matches (`-s 10.0.0.0/8 -j ACCEPT`)
        const doubt = assumptionsChange(tables, walk, out, dir, ifCandidates, cidr ? NO_CANDIDATES : addressCandidates(tables, family));
        if (b.pods) {
          // the pods' interface is not named: a drop is reported only when no interface a rule names would pass instead
          const names = interfaceCandidates(tables, nft, new Set(['lo', POD_STAND_IN]));
          const other = names.overflow ? '(one of the many interfaces the rules name)' : names.list.find((n) => {
            const rs = walk(tables, { ...out, inInterface: n });
            const res = dir === 'out' ? rs[0]?.[1] : rs[1]?.[1];
            return res !== undefined && !blocked(res);
          });
          if (other) {
            const at = r.decidedBy!;
            partly?.(`${what} is ${r.verdict.kind === 'REJECT' ? 'rejected' : 'dropped'} by ${at.table}/${at.chain} ${at.num === 0 ? 'policy' : `rule ${at.num}`} (${at.file}:${at.line}) unless the pods' interface is ${other}, which a rule names: collect ip addr to decide`);
            break;
          }
        }
        if (b.nameUnknown) {
          // the bridge's name decides what rules naming it do: no finding on a name the bundle does not give
          const at = r.decidedBy!;
          partly?.(`${what} is ${r.verdict.kind === 'REJECT' ? 'rejected' : 'dropped'} by ${at.table}/${at.chain} ${at.num === 0 ? 'policy' : `rule ${at.num}`} (${at.file}:${at.line}) when traced from a Podman bridge whose name the bundle does not give (netavark's network ${cidr}, ${b.namedBy?.file}:${b.namedBy?.line}): collect ip addr to decide`);
          break;
        }
        if (doubt) {
          partly?.(`${what} is ${r.verdict.kind === 'REJECT' ? 'rejected' : 'dropped'} with what the bundle does not say (the uplink${cidr ? '' : ", the bridge's subnet"}) taken as no rule names it, but not if ${doubt}: collect ip addr (and ip route)`);
          break;
        }
        // `iptables -L` without -v prints no in/out column: a rule on the path may match another interface only
        // (Docker's `-o docker0 -j DROP` in DOCKER-ISOLATION-STAGE-2 reads as a DROP of everything)
        const hidden = r.steps.find((s) => !s.nft && s.num > 0 && tables.get(s.table)?.get(s.chain)?.rules[s.num - 1]?.incomplete?.some((x) => x.startsWith('listing without -v')));
        if (hidden) {
          const at = r.decidedBy!;
          partly?.(
            `${what} is ${r.verdict.kind === 'REJECT' ? 'rejected' : 'dropped'} by ${at.table}/${at.chain} ${at.num === 0 ? 'policy' : `rule ${at.num}`} (${at.file}:${at.line}) as traced through an iptables -L listing without -v (${hidden.file}:${hidden.line}), which shows no in/out interface: rules on the path may concern other interfaces only; collect iptables -L -n -v (or iptables-save) to decide`,
            ['iptables'],
          );
          break;
        }
        // the deciding chain's rows are not shown (an iptables -S cut before its rules: Chain.unlisted, R20's
        // `iptables -S | head`): its rules may accept the packet before its policy. Only the deciding chain: an empty
        // chain passed through at the end of a whole -S dump (DOCKER-USER) is marked so too, and is no doubt
        const unshown = [r.decidedBy].find((s) => s && !s.nft && tables.get(s.table)?.get(s.chain)?.unlisted);
        if (unshown) {
          const at = r.decidedBy!;
          const u = tables.get(unshown.table)!.get(unshown.chain)!.unlisted!;
          partly?.(
            `${what} is ${r.verdict.kind === 'REJECT' ? 'rejected' : 'dropped'} by ${at.table}/${at.chain} ${at.num === 0 ? 'policy' : `rule ${at.num}`} (${at.file}:${at.line}) as far as the dump shows, but ${unshown.table}/${unshown.chain}'s rules would come after where it ends (${u.file}:${u.line}): collect a complete iptables-save to decide`,
            ['iptables'],
          );
          break;
        }
        // a cut-off nft listing: the deciding chain's policy, or a chain the packet came back from, may go on past the
        // cut, where a rule may accept the packet first (a drop rule the listing shows is real)
        const cutAt = nftDropCutNote(artifacts.nftables ?? [], r.decidedBy, r.steps);
        if (cutAt) {
          const at = r.decidedBy!;
          partly?.(`${what} is ${r.verdict.kind === 'REJECT' ? 'rejected' : 'dropped'} by ${at.table}/${at.chain} ${at.num === 0 ? 'policy' : `rule ${at.num}`} (${at.file}:${at.line}) as far as the listing shows, but rules past its end may accept it first: ${cutAt}; collect the whole nft list ruleset to decide`, ['nftables']);
          break;
        }
        // a cut iptables dump (`...` in a paste, a table without COMMIT, sos's .tailed): a drop reached through a chain the
        // cut may have shortened (an accept left out could come first), or a policy drop where the cut's place is not known
        const dumpCut = iptablesDropCutNote(artifacts.iptables ?? [], tables, r.decidedBy, r.steps);
        if (dumpCut) {
          const at = r.decidedBy!;
          partly?.(`${what} is ${r.verdict.kind === 'REJECT' ? 'rejected' : 'dropped'} by ${at.table}/${at.chain} ${at.num === 0 ? 'policy' : `rule ${at.num}`} (${at.file}:${at.line}) as far as the dump shows, but a rule left out of it may accept it first: ${dumpCut}; collect a complete iptables-save -c to decide`, ['iptables']);
          break;
        }
        const d = r.decidedBy!;
        // Docker's FORWARD policy DROP cutting off a bridge whose engine keeps its rules in its own nftables table
        // (netavark's nftables driver, libvirt 9+, LXD, Incus): docker.forward-drop-other-engine reports it, with
        // both directions and that engine's published ports (one finding for one cause)
        if (!d.nft && d.table === 'filter' && d.chain === 'FORWARD' && d.num === 0 && leftToOtherEngine.has(b.name)) break;
        const evidence: Evidence[] = [
          { file: d.file, line: d.line, excerpt: d.num === 0 ? (d.nft ? d.text : `:${d.chain} ${d.text.replace('policy ', '')}`) : d.text, note: `${d.table}/${d.chain} ${d.num === 0 ? 'policy' : `rule ${d.num}`} ${r.verdict.kind === 'REJECT' ? 'rejects' : 'drops'} ${what}` },
          ...r.steps.filter((s) => s !== d).slice(-6).map((s) => ({ file: s.file, line: s.line, excerpt: s.text, note: `path: ${s.table}/${s.chain} ${s.num === 0 ? 'policy' : `rule ${s.num}`}` })),
        ];
        const rule = d.nft ? undefined : tables.get(d.table)?.get(d.chain)?.rules[d.num - 1];
        const direct = cidr !== undefined && isDockerDirectAccessStep(d, rule, b.name, cidr);
        const later = d.nft || d.num === 0 ? [] : (tables.get(d.table)?.get(d.chain)?.rules.slice(d.num) ?? []).map((x) => ruleSpec(x)).filter((x): x is string => x !== undefined);
        const where: Where = { later, dir, bridge: b.name, cidr, uplink, uplinkKnown, replyDst: sent.dst, verdict: r.verdict.kind, intraBridge: brnf, firewallOff: !!firewallOff, fw, family, tool: toolFor(d.file), docker, engine: dockerEngine(artifacts.dockerDaemon)?.serverVersion, reload: dockerOnFirewalldReload(artifacts) };
        // what a container's client sees: a drop of its SYN, or of the reply, is a timeout; a REJECT of its SYN is what the REJECT sends
        const seen: ConnectionSymptom = dir === 'back' || r.verdict.kind !== 'REJECT' ? 'timeout' : /tcp[- ]reset|port-unreach|proto(?:col)?-unreach/i.test(r.verdict.with) ? 'refused' : 'unreachable';
        const explainsLogLines = [...new Set(lines.filter((l) => symptomFits(l.symptom, seen)).map((l) => l.ref))];
        // where the bridge and the uplink were read (rules only: said in the message, the facts and the evidence)
        const namedBy = b.namedBy ?? (listed ? undefined : b.other?.subnets[0]?.evidence);
        if (namedBy && !evidence.some((e) => e.file === namedBy.file && e.line === namedBy.line)) evidence.push(namedBy);
        const basis = basisOf(b, cidr);
        // who set the DROP that cuts off another manager's bridge, and why its own accept does not help
        const otherCause = b.other ? otherBridgeCause(b.other, d, tables, fw) : undefined;
        const ufw = !d.nft && !direct && !b.other ? ufwBlock(d, tables, b.name, where, walk, out) : undefined;
        const kubeRouter = !d.nft && !ufw ? kubeRouterAccepts(b, tables, (v6 ? liveIpv6(artifacts) : liveIpv4(artifacts)).find((rs) => rs.file === d.file)?.backend) : undefined;
        // the pod network's own accepts, which the deciding rule keeps them from reaching
        const podAccepts = b.pods && !d.nft ? podAcceptsShadowed(b.pods, d) : undefined;
        if (podAccepts)
          for (const e of podAccepts.evidence) {
            const at = evidence.findIndex((x) => x.file === e.file && x.line === e.line);
            if (at > 0) evidence[at] = e;
            else if (at < 0) evidence.push(e);
          }
        if (ufw?.order) evidence.push(ufw.order);
        if (ufw?.engine) evidence.push(ufw.engine);
        if (otherCause?.evidence && !evidence.some((e) => e.file === otherCause.evidence!.file && e.line === otherCause.evidence!.line)) evidence.push(otherCause.evidence);
        // a Podman bridge that netavark's own nftables table accepts, dropped by iptables' (Docker's) FORWARD
        const netavark = b.owner === 'Podman' && !b.nameUnknown && !d.nft ? netavarkBeside(r.steps, nft, cidr, d, tables) : undefined;
        if (netavark && !evidence.some((e) => e.file === netavark.evidence.file && e.line === netavark.evidence.line)) evidence.push(netavark.evidence);
        findings.push({
          severity: 'critical' as const,
          title: v6 ? 'FORWARD drops container IPv6 traffic' : 'FORWARD drops container traffic',
          message: `On ${node}, ${b.other ? `${b.owner}'s bridge ${b.name}: ` : ''}${what} is ${r.verdict.kind === 'REJECT' ? 'rejected' : 'dropped'} by ${d.num === 0 ? `the ${d.chain} policy ${d.text.replace('policy ', '')}` : `${d.table}/${d.chain} rule ${d.num}`} (${d.file}:${d.line}). ${
            otherCause
              ? otherCause.text
              : netavark
                ? netavark.text
              : podAccepts
                ? podAccepts.text
                : ufw
                ? ufw.text
                : direct
                  ? "That is Docker's protection of the containers' addresses against direct access (Docker 28+): it drops what reaches a container's address from outside its bridge, which a reply does when the bridge's traffic is not masqueraded."
                  : d.num === 0
                    ? "No rule accepts this bridge's traffic before the policy applies."
                    : "It comes before any rule that accepts this bridge's traffic."
          }${kubeRouter?.text ?? ''}${how ? ` ${how}` : ''}${basis}`,
          impact: b.pods ? `Pods in ${cidr} cannot reach anything outside the node.` : b.other ? `${b.owner === 'libvirt' ? 'Virtual machines' : `${b.owner} instances`} on ${b.name} cannot reach anything outside the node.` : `${b.owner === 'cni' ? 'Pods' : 'Containers'} on ${b.name} cannot reach anything outside the node.`,
          evidence,
          facts: {
            bridge: b.name,
            ...(cidr ? { subnet: cidr } : { subnet: null }),
            uplink: uplinkKnown ? uplink : null,
            verdict: r.verdict.kind,
            decidedBy: `${d.table}/${d.chain}#${d.num}`,
            ...(b.other ? { bridgeOwner: b.owner } : {}),
            ...(b.pods ? { bridge: null, podNetworkOwner: b.pods.owner, shadowedAccepts: podAccepts?.shadowed ?? 0 } : {}),
            ...(listed ? {} : { basis: 'rules only: no ip addr in the bundle', bridgeFrom: b.from ?? `${b.pods?.owner ?? b.owner} rules`, uplinkKnown }),
            ...(ufw?.order ? { dockerRuleOrder: 'docker-28.0.0' } : {}),
            ...(netavark ? { netavarkFirewall: 'nftables', dockerForwardDrop: netavark.docker } : {}),
            ...(dir === 'back' ? { replyTo: sent.dst } : {}),
            ...(firewallOff ? { dockerIptables: false } : {}),
            ...(v6 ? { family: 'ipv6' } : {}),
            explainsLogLines,
          },
          remedy: direct
            ? dockerDirectAccessRemedy(b.name, cidr!, family, docker)
            : netavark
              ? netavarkRemedy(b.name, family, where.tool, netavark.docker && !!tables.get('filter')?.get('DOCKER-USER'))
            : podAccepts && iptablesHookOf(r.steps, d) === 'FORWARD'
              ? podRemedy(b.pods!, cidr!, d, rule, where)
            : otherCause?.remedy
              ? otherCause.remedy(where)
              : ufw?.remedy
                ? ufw.remedy
                : d.nft
                  ? nftRemedy(d, nftHookOf(nft, r.steps, d), where)
                  : kubeRouter
                    ? kubeRouterFirst(iptablesRemedy(d, rule, iptablesHookOf(r.steps, d), where, false), kubeRouter.check)
                    : withAlternative(iptablesRemedy(d, rule, iptablesHookOf(r.steps, d), where, dockerJumps && b.owner === 'docker'), ufw?.alternative),
        });
        break;
      }
      // the live rules let it through (or the bundle has none): the configuration nftables.service loads
      // at boot, walked beside them, where the bundle has no live nftables listing to say what runs
      if (saved && !results.some(([, r]) => blocked(r))) {
        const savedCtx = withSaved(ctx, saved, family);
        const savedWalk: Walk = (t, o) => walk(t, o, savedCtx);
        for (const [i, [what, r, sent, how]] of savedWalk(tables, out).entries()) {
          if (!blocked(r) || !r.decidedBy?.nft) continue;
          const dir = i === 0 ? 'out' : 'back';
          const doubt = assumptionsChange(tables, savedWalk, out, dir, ifCandidates, cidr ? NO_CANDIDATES : addressCandidates(tables, family));
          if (doubt) {
            partly?.(`the nftables configuration nftables.service loads would ${r.verdict.kind === 'REJECT' ? 'reject' : 'drop'} ${what} with what the bundle does not say (the uplink${cidr ? '' : ", the bridge's subnet"}) taken as no rule names it, but not if ${doubt}: collect ip addr (and ip route)`);
            break;
          }
          const d = r.decidedBy;
          const where: Where = { dir, bridge: b.name, cidr, uplink, uplinkKnown, replyDst: sent.dst, verdict: r.verdict.kind, intraBridge: brnf, firewallOff: !!firewallOff, fw, family, tool: toolFor(d.file), docker };
          const seen: ConnectionSymptom = dir === 'back' || r.verdict.kind !== 'REJECT' ? 'timeout' : /tcp[- ]reset|port-unreach|proto(?:col)?-unreach/i.test(r.verdict.with) ? 'refused' : 'unreachable';
          const explainsLogLines = [...new Set(lines.filter((l) => symptomFits(l.symptom, seen)).map((l) => l.ref))];
          const namedBy = b.namedBy ?? (listed ? undefined : b.other?.subnets[0]?.evidence);
          findings.push(savedFinding(node, saved, b, what, r, how, where, nftHookOf([saved.ruleset], r.steps, d), namedBy ? [namedBy] : [], basisOf(b, cidr), explainsLogLines));
          break;
        }
      }
    }
  }
  // iptables lets the containers' traffic through (or cannot say), and the bundle has no nft listing: another
  // table on the same forward hook (firewalld's, netavark's) may still drop it, and nothing here shows it
  if (family === 4 && findings.length === 0 && !anyBlocked && passed.length > 0) {
    const note = otherHookTablesNote(artifacts, tables, passed);
    if (note) partly?.(note, ['nftables']);
  }
  for (const u of undecided) partly?.(u);
  if (findings.length === 0 && bridges.length > 0 && family === 4) notePartialNft(artifacts, partly, "containers' traffic through FORWARD");
  return findings;
}

/** iptables 1.8 and later (its nf_tables back end, native nft tables beside it): the version line the bundle gives. */
function iptables18(artifacts: NodeArtifacts): { version: string; at: string } | undefined {
  const at18 = (v: string) => {
    const [maj, min] = v.split('.').map(Number);
    return maj > 1 || (maj === 1 && min >= 8);
  };
  for (const rs of artifacts.iptables ?? [])
    if (rs.origin === 'live' && rs.version && at18(rs.version)) return { version: rs.version, at: rs.versionRef ? `${rs.versionRef.ref.file}:${rs.versionRef.ref.line}` : rs.file };
  for (const v of (artifacts.iptablesVersion ?? []).flat()) if (at18(v.version)) return { version: v.version, at: `${v.ref.file}:${v.ref.line}` };
  return undefined;
}

/**
 * firewalld#844 (firewalld 1.0, a Docker `internal: true` network): iptables' FORWARD accepts the containers'
 * traffic (policy ACCEPT, packets counted through DOCKER-USER) and they still cannot connect, because a table
 * iptables-save never shows filters on the same forward hook: firewalld's `inet firewalld` (firewalld >= 0.6
 * with its nftables back end: RHEL 8+, Fedora 32+), whose catch-all reject meets a bridge in no zone (Docker
 * does not put an internal network's bridge in zone docker, moby/libnetwork#2647), or netavark's `inet netavark`.
 * Said only where iptables is 1.8 or later, the bundle holds no nft listing, and the iptables side accepted or
 * could not decide (never where it decides a drop).
 */
function otherHookTablesNote(artifacts: NodeArtifacts, tables: Map<string, Map<string, Chain>>, passed: { bridge: string; accepted: boolean }[]): string | undefined {
  if ((artifacts.nftables ?? []).length > 0) return undefined;
  const v = iptables18(artifacts);
  if (!v) return undefined;
  const forward = tables.get('filter')?.get('FORWARD');
  const said: string[] = [];
  if (forward?.policy === 'ACCEPT') said.push(`FORWARD policy ${forward.policy}${forward.policyCounters && forward.policyCounters.packets > 0 ? ` (${forward.policyCounters.packets} packets)` : ''}`);
  const user = forward?.rules.find((r) => r.target === 'DOCKER-USER');
  if (user?.counters && user.counters.packets > 0) said.push(`${user.counters.packets} packets through DOCKER-USER (${user.ref.file}:${user.ref.line})`);
  const names = new Set(passed.map((p) => p.bridge));
  const counted = forward?.rules
    .filter((r) => r.target === 'ACCEPT' && r.counters && r.counters.packets > 0 && ((r.inInterface && names.has(r.inInterface.value)) || (r.outInterface && names.has(r.outInterface.value))))
    .sort((a, b) => b.counters!.packets - a.counters!.packets)[0];
  if (counted) said.push(`${counted.counters!.packets} packets accepted for ${counted.outInterface && names.has(counted.outInterface.value) ? counted.outInterface.value : counted.inInterface!.value} (${counted.ref.file}:${counted.ref.line})`);
  const all = passed.every((p) => p.accepted);
  const which = [...names].slice(0, 4).join(', ') + (names.size > 4 ? ', ...' : '');
  return (
    `the iptables rules ${all ? 'accept' : 'decide no drop of'} the containers' forwarded traffic (${which}${said.length > 0 ? `; ${said.join(', ')}` : ''}), yet iptables here is ${v.version} (${v.at}), ` +
    'so native nftables tables can filter on the same forward hook, in tables iptables-save never shows, and the bundle has no nft listing: ' +
    'each of them must accept the packet too. firewalld >= 0.6 with its nftables back end (RHEL 8+, Fedora 32+, firewalld 1.0) filters in its own table inet firewalld, ' +
    "where a bridge in no firewalld zone (a Docker --internal network's, which Docker does not put in zone docker, moby/libnetwork#2647, firewalld#844) meets its catch-all reject; " +
    "netavark's table inet netavark (Podman 5, Fedora 41+) and any other table's forward chain decide as well. " +
    'Collect `nft list ruleset`, `firewall-cmd --get-active-zones` and `ip -br a`'
  );
}

/**
 * podman#24486 (Fedora 41): netavark's nftables driver accepts its bridge's traffic in its own table
 * (`inet netavark`), and Docker's ip filter FORWARD (policy DROP) drops it all the same: every base chain
 * on the forward hook runs, and a drop in any of them is final. The accept netavark's table gave on the
 * traced path (or, not on it, the rule of its forward chain that names the bridge's subnet).
 */
function netavarkBeside(steps: TraceStep[], nft: NftRuleset[], cidr: string | undefined, d: TraceStep, tables: Map<string, Map<string, Chain>>): { text: string; evidence: Evidence; docker: boolean } | undefined {
  let own: { file: string; line: number; text: string; table: string } | undefined;
  const step = steps.find((s) => s.nft?.table === 'netavark' && s.action === 'match' && /\baccept\b/.test(s.text));
  if (step) own = { file: step.file, line: step.line, text: step.text, table: `${step.nft!.family} ${step.nft!.table}` };
  else if (cidr)
    for (const rs of nft)
      for (const t of rs.tables)
        if (t.name === 'netavark' && !t.iptablesCompat)
          for (const c of t.chains)
            if (c.hook === 'forward')
              for (const r of c.rules ?? [])
                if (r.verdict?.kind === 'accept' && r.text.includes(`saddr ${cidr}`) && !own) own = { file: r.ref.file, line: r.ref.line, text: r.text, table: `${t.family} ${t.name}` };
  if (!own) return undefined;
  const docker = hasDockerChains(tables);
  const by = d.num === 0 ? `${docker ? "Docker's " : ''}${d.chain} policy DROP` : `${d.table}/${d.chain} rule ${d.num}`;
  return {
    docker,
    evidence: { file: own.file, line: own.line, excerpt: own.text.trim(), note: `netavark's own accept (table ${own.table}), which cannot undo the drop in iptables' ${d.table}/${d.chain}` },
    text:
      `netavark accepts it in its own nftables table (${own.table}, ${own.file}:${own.line}: ${own.text.trim()}), but that cannot override ${by}: nftables runs every base chain on the forward hook, netavark's and iptables', and a drop in any one of them is final.` +
      (docker
        ? ' This is Fedora 41\'s known issue with Docker (podman#24486): netavark moved to its nftables driver there (https://fedoraproject.org/wiki/Changes/NetavarkNftablesDefault), so its accepts no longer sit in the iptables FORWARD chain Docker sets to DROP. Rootless containers are not affected (their traffic does not cross the host\'s forward hook).'
        : ''),
  };
}

/** The fix for netavark's bridge under iptables' drop: accept it in DOCKER-USER (Docker's chain for the administrator's rules), or netavark's iptables driver. */
function netavarkRemedy(bridge: string, family: 4 | 6, tool: string, dockerUser: boolean): Remedy {
  const chain = dockerUser ? 'DOCKER-USER' : 'FORWARD';
  const add = (spec: string, why: string) => `${tool} -C ${chain} ${spec} 2>/dev/null || ${tool} -I ${chain} ${spec}   # ${why}`;
  return {
    summary:
      `Accept ${bridge}'s traffic in iptables too, ${dockerUser ? "in DOCKER-USER, the chain Docker keeps for the administrator's rules (it runs first in FORWARD and Docker never flushes it)" : 'at the top of FORWARD'}; ` +
      "or, Fedora's workaround, put netavark back on its iptables driver, whose accepts go into the same FORWARD chain as Docker's.",
    commands: [
      add(`-o ${bridge} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`, 'replies to the Podman containers'),
      add(`-i ${bridge} ! -o ${bridge} -j ACCEPT`, "the Podman containers' own connections"),
      ...(family === 4
        ? [
            `# or instead: mkdir -p /etc/containers/containers.conf.d && printf '[network]\\nfirewall_driver = "iptables"\\n' > /etc/containers/containers.conf.d/50-netavark-iptables.conf   # then restart the rootful Podman containers (a reboot also removes table inet netavark)`,
          ]
        : []),
    ],
    caution: `These rules are not kept across a reboot: add them where your firewall or a docker.service drop-in (ExecStartPost) writes them at boot. A Podman network on another bridge (podman1, ...) needs the same two rules.`,
  };
}

/**
 * A pod network's own accepts (MicroK8s', flannel's) against the rule that decided: those in the same chain
 * after it are shadowed (never reached: microk8s#4310's `-A FORWARD -j DROP` above MicroK8s' appended accepts).
 */
function podAcceptsShadowed(p: NonNullable<Traced['pods']>, d: TraceStep): { text: string; evidence: Evidence[]; shadowed: number } {
  const after = (r: Rule) => d.num !== 0 && r.chain === d.chain && r.table === d.table && r.num > d.num;
  const shadowed = p.rules.filter(after);
  const lines = p.rules.map((r) => `${r.chain} rule ${r.num}, ${r.ref.file}:${r.ref.line}`).join('; ');
  const own = p.owner === 'MicroK8s' ? "MicroK8s' own accepts for its pods (comment \"generated for MicroK8s pods\")" : "flannel's own accepts (FLANNEL-FWD, comment \"flanneld forward\")";
  const text =
    shadowed.length > 0
      ? `${own} (${lines}) come after it in the same chain, so they never match: ${p.owner} appends them to the rules already there${p.owner === 'MicroK8s' ? ' (microk8s#4310)' : ''}, and restarting it appends them below the blocking rule again.`
      : `${own} (${lines}) are not reached before it.`;
  return {
    text,
    shadowed: shadowed.length,
    evidence: p.rules.map((r) => ({ file: r.ref.file, line: r.ref.line, excerpt: r.text, note: after(r) ? `${owns(p.owner)} accept for its pods, ${r.chain} rule ${r.num}: after ${d.chain} rule ${d.num}, never reached` : `${owns(p.owner)} accept for its pods, not reached before ${d.chain} ${d.num === 0 ? 'policy' : `rule ${d.num}`}` })),
  };
}

/**
 * The fix when a FORWARD rule or policy drops a pod network its distribution's accepts name: the same two
 * accepts (source and destination network) inserted at the top of FORWARD. They carry no comment, so that
 * `-C` does not find the distribution's own commented rule below the blocker and skip the insert; pasted twice,
 * one rule each. Removing the blocking rule is offered only for one the administrator placed.
 */
function podRemedy(p: NonNullable<Traced['pods']>, cidr: string, d: TraceStep, rule: Rule | undefined, w: Where) {
  const t = w.tool;
  const specs: [string, string][] = [
    [`-s ${cidr} -j ACCEPT`, `what the pods send (${cidr})`],
    [`-d ${cidr} -j ACCEPT`, 'what comes back to them'],
  ];
  // an uncommented copy already below the blocker would make -C skip the insert: deleted first
  const below = (spec: string) => w.later?.includes(spec) ?? false;
  const spec = rule && rule.num === d.num ? ruleSpec(rule) : undefined;
  const what = d.num === 0 ? `the FORWARD policy ${d.text.replace('policy ', '')}` : `${d.chain} rule ${d.num}`;
  return {
    summary: `Accept ${owns(p.owner)} pod network ${cidr} in both directions at the top of FORWARD, ahead of ${what}${d.num !== 0 ? `; or remove that rule, if you (not a package or a firewall manager) placed it there` : ''}. ${p.owner} appends its own accepts, so restarting it does not put them above it.${w.uplinkKnown ? '' : ' The uplink is not in the bundle (no ip addr): these rules do not name it.'}`,
    commands: [
      ...specs.map(([x, note]) => `${below(x) ? `${t} -D FORWARD ${x} 2>/dev/null; ` : ''}${t} -C FORWARD ${x} 2>/dev/null || ${t} -I FORWARD 1 ${x}   # ${note}`),
      ...persistHandWritten(w.fw, 'filter', specs.map(([x]) => `-A FORWARD ${x}`)).map((l) => l.replace(/above its final REJECT rules/, `above the ${d.num === 0 ? 'policy' : 'blocking rule'}`)),
      ...(d.num !== 0 && d.chain === 'FORWARD'
        ? [
            spec
              ? `# or instead, only if you placed that rule yourself (it is not ${owns(p.owner)}, nor ufw's or firewalld's, which write it again at their reload): ${t} -D FORWARD ${spec}   # and remove it from the file that loads it at boot`
              : `# or instead, only if you placed that rule yourself: ${t} -D FORWARD ${d.num}   # rule ${d.num} in the rules as they are, before the inserts above (check with ${t} -L FORWARD -n --line-numbers)`,
          ]
        : []),
    ],
    caution: `These accept everything from and to ${cidr} ahead of the rest of FORWARD, as ${owns(p.owner)} own rules would if they were reached. ${persistCaution(w.fw, w.family)}`,
  };
}

/**
 * Docker 28.0.0's FORWARD order, decided from the filter FORWARD chain alone (no bridge, no subnet needed):
 * its rules written straight into FORWARD (`-m set --match-set docker-ext-bridges-v4` accepts and jumps; no
 * DOCKER-FORWARD chain), with ufw's forward chains jumped to after them. 28.0.0 appends its per-bridge
 * `-i <bridge> ! -o <bridge> -j ACCEPT` after those jumps, so ufw's DEFAULT_FORWARD_POLICY="REJECT"
 * (ufw-reject-forward) rejects containers' new outbound connections (moby/moby#49528); 28.0.1 moved them into
 * DOCKER-FORWARD, jumped to from the top of FORWARD (moby/moby#49518). Critical when counters show packets
 * ended in ufw-reject-forward, a warning when its body or counters are not in the bundle; nothing when
 * ufw-reject-forward is listed empty (DEFAULT_FORWARD_POLICY="DROP": Docker's accepts are still reached).
 * Where the trace already reported the block (a named bridge), the fingerprint is added to that finding.
 * Without ufw, the layout is said in the coverage.
 */
function docker2800Order(node: string, artifacts: NodeArtifacts, traced: FindingDraft[], partly?: Partly): FindingDraft[] {
  const filter = liveTables(artifacts).get('filter');
  const forward = filter?.get('FORWARD');
  if (!filter || !forward || filter.has('DOCKER-FORWARD') || forward.rules.some((r) => r.target === 'DOCKER-FORWARD')) return [];
  const setRules = forward.rules.filter((r) => /match-set docker-ext-bridges-v4\b/.test(r.text));
  if (setRules.length === 0) return [];
  const lastDocker = Math.max(...setRules.map((r) => r.num));
  const ufwJumps = forward.rules.filter((r) => r.num > lastDocker && /^ufw-\S*forward$/.test(r.target ?? ''));
  const layout = `FORWARD holds Docker 28.0.0's layout (${setRules.map((r) => `${r.ref.file}:${r.ref.line}`).join(', ')}: docker-ext-bridges-v4 rules in FORWARD itself, no DOCKER-FORWARD chain), whose per-bridge accepts come after whatever was in FORWARD before Docker started; Docker 28.0.1 fixed that order (moby/moby#49518)`;
  if (ufwJumps.length === 0) {
    partly?.(`${layout}; no ufw chain follows it here, but another firewall's rules there (Tailscale's stateful filtering, moby/moby#49498) can still stop containers' new connections`);
    return [];
  }
  const jump = forward.rules.find((r) => r.num > lastDocker && r.target === 'ufw-reject-forward');
  const body = filter.get('ufw-reject-forward');
  const rejects = body?.rules.filter((r) => r.target === 'REJECT' || r.target === 'DROP') ?? [];
  // listed empty: ufw's DEFAULT_FORWARD_POLICY is DROP, and Docker's accepts after it are reached
  if (!jump || (body && rejects.length === 0)) return [];
  const next = forward.rules.find((r) => r.num === jump.num + 1);
  const ended = jump.counters && next?.counters && !next.source && !next.destination && !next.inInterface && !next.outInterface && next.matches.length === 0 ? jump.counters.packets - next.counters.packets : undefined;
  const counted = rejects.reduce((n, r) => n + (r.counters?.packets ?? 0), 0) || (ended !== undefined && ended > 0 ? ended : 0);
  const ev = (r: Rule, note: string): Evidence => ({ file: r.ref.file, line: r.ref.line, excerpt: r.text, note });
  const evidence: Evidence[] = [
    ev(jump, `FORWARD rule ${jump.num} jumps to ufw-reject-forward${jump.counters ? ` (${jump.counters.packets} packets)` : ''}, after Docker's rules`),
    ...setRules.map((r) => ev(r, `FORWARD rule ${r.num}: Docker 28.0.0 writes its docker-ext-bridges-v4 rules into FORWARD itself (28.0.1 puts them in DOCKER-FORWARD)`)),
    ...rejects.map((r) => ev(r, `ufw-reject-forward rule ${r.num}: DEFAULT_FORWARD_POLICY="REJECT"${r.counters ? ` (${r.counters.packets} packets)` : ''}`)),
    ...(ended !== undefined && next ? [ev(next, `the next rule counts ${next.counters!.packets} packets: ${ended} of those that entered ufw-reject-forward did not come back`)] : []),
  ];
  const fingerprint = `FORWARD has Docker 28.0.0's order: Docker's rules sit in FORWARD itself (docker-ext-bridges-v4 matches, no DOCKER-FORWARD chain) and ufw's forward chains come after them, so the per-bridge accepts Docker 28.0.0 appends come after ufw-reject-forward and are never reached by containers' new outbound connections (moby/moby#49528). Docker 28.0.1 moved them into DOCKER-FORWARD, jumped to from the top of FORWARD (moby/moby#49518).`;
  // the trace reported ufw's block for a named bridge: the fingerprint joins that finding
  const blockedByUfw = traced.filter((f) => /^filter\/(?:ufw-reject-forward|FORWARD#0)/.test(String(f.facts?.decidedBy)) && !f.facts?.family);
  if (traced.some((f) => f.facts?.dockerRuleOrder) || blockedByUfw.length > 0) {
    for (const f of blockedByUfw)
      if (!f.facts?.dockerRuleOrder) {
        f.message += ` ${fingerprint}`;
        f.evidence.push(...evidence.filter((e) => !f.evidence.some((x) => x.file === e.file && x.line === e.line)));
        f.facts = { ...f.facts, dockerRuleOrder: 'docker-28.0.0' };
      }
    return [];
  }
  // trace what each Docker bridge sends out through ufw's chains: a `ufw route allow in on <bridge>` (ufw-user-forward,
  // reached from ufw-before-forward) accepts it ahead of ufw-reject-forward, and then the order harms nothing for it
  const order = orderTraces(artifacts, filter, jump, !!body);
  const rejected = order.traces.filter((t) => t.outcome === 'rejected' && !t.doubt);
  const undecided = order.traces.filter((t) => t.outcome === 'undecided');
  // accepted before ufw-reject-forward: decided, said in the finding if another bridge is reported; rejected only
  // with the uplink (or subnet) taken as one no rule names: undecided, said in the coverage
  const passNotes = order.traces.filter((t) => t.outcome === 'passes' || t.doubt).map((t) => t.note);
  const doubts = order.traces.filter((t) => t.doubt);
  const shortLayout = `FORWARD holds Docker 28.0.0's layout (docker-ext-bridges-v4 rules in FORWARD, ${setRules.map((r) => `${r.ref.file}:${r.ref.line}`).join(', ')}) with ufw's forward chains after it (moby/moby#49528)`;
  if (doubts.length > 0) partly?.(`${shortLayout}; ${doubts.map((t) => t.note).join('; ')}`, ['ipAddr']);
  if (rejected.length === 0 && undecided.length === 0) return [];
  const known = body ? `ufw-reject-forward holds ${rejects.map((r) => `${r.text.trim()} (${r.ref.file}:${r.ref.line})`).join(', ')}` : "ufw-reject-forward's own rules are not in the bundle";
  const proof =
    counted > 0
      ? rejects.length > 0 && rejects.some((r) => (r.counters?.packets ?? 0) > 0)
        ? ` Its REJECT has counted ${counted} packets (every forwarded packet that reached it, not only containers').`
        : ` ${jump.counters!.packets} packets entered ufw-reject-forward (${jump.ref.file}:${jump.ref.line}) and only ${next!.counters!.packets} reached the next rule (${next!.ref.file}:${next!.ref.line}): ${ended} ended there, rejected.`
      : body
        ? ''
        : ` If /etc/default/ufw says DEFAULT_FORWARD_POLICY="REJECT", containers cannot open new connections out; with "DROP" the chain is empty and they can.${jump.counters && jump.counters.packets > 0 ? ` ${jump.counters.packets} packets entered ufw-reject-forward (${jump.ref.file}:${jump.ref.line}); with "REJECT" they were rejected (the listing does not show whether they came back).` : ''}`;
  const hit = [...rejected, ...undecided];
  const names = hit.filter((t) => !t.standIn).map((t) => t.bridge);
  const which = order.standIn
    ? ` The bundle does not name the bridge (${order.unnamedBecause}), so this applies to every Docker bridge network whose containers connect out (docker0 and each br-<id>).`
    : ` ${hit.map((t) => t.note).join('; ').replace(/^./, (c) => c.toUpperCase())}.${passNotes.length > 0 ? ` Not so for the others: ${passNotes.join('; ')}.` : ''}`;
  const undecidedText = order.standIn && undecided.length > 0 ? ` Whether ufw's chains accept containers' traffic before ufw-reject-forward is not shown: ${undecided[0].note}.` : '';
  for (const t of hit) if (t.namedBy && !evidence.some((e) => e.file === t.namedBy!.file && e.line === t.namedBy!.line)) evidence.push(t.namedBy);
  const routeAllow = order.standIn
    ? ['# or, until then: ufw route allow in on docker0   # and the same for each br-<id> whose containers connect out (ip -br link show type bridge lists them); ufw keeps it in /etc/ufw/user.rules']
    : names.map((n) => `# or, until then: ufw route allow in on ${n}${order.uplinkKnown ? ` out on ${order.uplink}` : ''}   # ufw adds "-A ufw-user-forward -i ${n}${order.uplinkKnown ? ` -o ${order.uplink}` : ''} -j ACCEPT", reached from ufw-before-forward ahead of ufw-reject-forward; ufw keeps it in /etc/ufw/user.rules`);
  return [
    {
      severity: counted > 0 ? ('critical' as const) : ('warning' as const),
      title: "Docker 28.0.0's FORWARD order puts ufw's reject ahead of Docker's accepts",
      message: `On ${node}, ${fingerprint} ${known}.${proof}${which}${undecidedText}`,
      impact:
        counted > 0
          ? `${names.length > 0 ? `New connections from containers on ${names.join(', ')}` : "Containers' new connections"} to anything outside the node are rejected; replies to connections made from outside still pass.`
          : `If ufw's DEFAULT_FORWARD_POLICY is "REJECT", containers${names.length > 0 ? ` on ${names.join(', ')}` : ''} cannot open new connections to anything outside the node.`,
      evidence,
      facts: {
        bridge: names.length === 1 ? names[0] : null,
        ...(names.length > 1 ? { bridges: names } : {}),
        subnet: null,
        dockerRuleOrder: 'docker-28.0.0',
        decidedBy: 'filter/ufw-reject-forward',
        verdict: 'REJECT',
        rejectedPackets: counted > 0 ? counted : null,
        basis: order.standIn ? 'filter FORWARD alone: no bridge named' : `traced from ${names.join(', ')} through ufw's chains`,
        explainsLogLines: [],
      },
      remedy: {
        summary: "Upgrade Docker Engine to 28.0.1 or later (moby/moby#49518): it jumps to its rules from the top of FORWARD, ahead of ufw's chains. Until then, let the bridges' traffic through ufw, not with iptables rules in ufw's chains (ufw rebuilds them).",
        commands: [
          "docker version --format '{{.Server.Version}}'   # 28.0.0 writes this order; 28.0.1 and later do not",
          '# upgrade with the package manager that installed Docker (e.g. apt-get install --only-upgrade docker-ce docker-ce-cli), then: systemctl restart docker',
          ...routeAllow,
          `# or instead: sed -i 's/^DEFAULT_FORWARD_POLICY=.*/DEFAULT_FORWARD_POLICY="DROP"/' /etc/default/ufw && ufw reload   # ufw-reject-forward is then empty and the packets reach Docker's own accepts`,
        ],
        caution: "Restarting docker restarts every container on the node. Do not insert rules into ufw's chains with iptables or save the live rules (they hold Docker's chains).",
      },
    },
  ];
}

/** The rules with ufw-reject-forward as ufw writes it for DEFAULT_FORWARD_POLICY="REJECT", where the bundle does not show its rules. */
function withUfwReject(tables: Map<string, Map<string, Chain>>, jump: Rule): Map<string, Map<string, Chain>> {
  const filter = tables.get('filter');
  if (!filter) return tables;
  const ref = { file: '(supposed: ufw-reject-forward for DEFAULT_FORWARD_POLICY="REJECT")', line: 0 };
  const rule: Rule = { table: 'filter', chain: 'ufw-reject-forward', num: 1, ref, text: '-A ufw-reject-forward -j REJECT --reject-with icmp-port-unreachable', matches: [], target: 'REJECT', targetOptions: { 'reject-with': 'icmp-port-unreachable' } };
  const f = new Map(filter);
  f.set('ufw-reject-forward', { name: 'ufw-reject-forward', table: 'filter', builtin: false, rules: [rule], ref: jump.ref });
  return new Map(tables).set('filter', f);
}

/** Docker's bridge names (docker0, docker_gwbridge, br-<12 hex>). */
const DOCKER_BRIDGE = /^(?:docker0|docker_gwbridge|br-[0-9a-f]{12})$/;

/** One bridge's new outbound connection traced through FORWARD, for Docker 28.0.0's order behind ufw. */
interface OrderTrace {
  bridge: string;
  /** no bridge is named in the bundle: docker0 traced as the stand-in for every Docker bridge */
  standIn: boolean;
  namedBy?: Evidence;
  /** rejected: it reaches ufw-reject-forward (which rejects it, or whose rules are not shown); passes: accepted (or decided) before it; undecided: the trace stopped before it */
  outcome: 'rejected' | 'passes' | 'undecided';
  /** rejected only with what the bundle does not say (the uplink, the subnet) taken as no rule names it */
  doubt?: string;
  /** what the trace found, in words, with the deciding rule */
  note: string;
}

/**
 * Traces a new connection from each Docker bridge the bundle shows (ip addr and docker network inspect, else
 * the bridges Docker's rules name, and any Docker bridge name a filter rule matches `-i` on, such as ufw's
 * `-A ufw-user-forward -i docker0 -o eth0 -j ACCEPT`) to the outside, through FORWARD with ufw's chains: which
 * of them reach ufw-reject-forward. Without ip addr the uplink is any interface no rule names, and a bridge
 * that would pass if the uplink were one a rule names is not counted as rejected (the same candidates as the
 * main trace). With no bridge named, docker0 stands in for them all.
 */
function orderTraces(artifacts: NodeArtifacts, filter: Map<string, Chain>, jump: Rule, bodyShown: boolean) {
  const live = liveTables(artifacts);
  // ufw-reject-forward's rules not shown: traced as DEFAULT_FORWARD_POLICY="REJECT" fills it (what the finding supposes)
  const tables = bodyShown ? live : withUfwReject(live, jump);
  const itfs = interfacesOf(artifacts.ipAddr ?? []);
  const listed = itfs.size > 0;
  const routed = uplinkOf(artifacts, 4);
  const uplink = routed ?? UNKNOWN_UPLINK;
  const found = new Map<string, { cidrs: string[]; namedBy?: Evidence }>();
  const fromData = listed ? dockerBridges(artifacts, 4).map((b) => ({ name: b.name, cidrs: b.subnets.map((s) => s.cidr), namedBy: b.subnets[0]?.evidence })) : dockerBridgesFromRules(artifacts, 4).map((b) => ({ name: b.name, cidrs: b.subnets.map((s) => s.cidr), namedBy: b.namedBy }));
  for (const b of fromData) found.set(b.name, { cidrs: b.cidrs, namedBy: b.namedBy });
  if (!listed)
    for (const c of filter.values())
      for (const r of c.rules) {
        const i = r.inInterface;
        if (!i || i.negated || !DOCKER_BRIDGE.test(i.value) || found.has(i.value)) continue;
        found.set(i.value, { cidrs: [], namedBy: { file: r.ref.file, line: r.ref.line, excerpt: r.text, note: `${c.name} rule ${r.num} matches what comes in from ${i.value}, a Docker bridge's name` } });
      }
  const standIn = found.size === 0;
  if (standIn) found.set('docker0', { cidrs: [] });
  let ctx = traceContext(artifacts);
  const standInAddress = unknownUplinkAddress(artifacts, 4);
  if (!listed) ctx = { ...ctx, localAddresses: [...ctx.localAddresses, standInAddress] };
  const at = (s: TraceStep | undefined) => (s ? `${s.chain} ${s.num === 0 ? 'policy' : `rule ${s.num}`} (${s.file}:${s.line}${s.num === 0 ? '' : `: ${s.text.trim().replace(/\s+/g, ' ')}`})` : 'an unmodelled rule');
  const outcome = (r: TraceResult): OrderTrace['outcome'] => {
    const entered = r.steps.some((s) => !s.nft && s.table === 'filter' && s.chain === 'FORWARD' && s.num === jump.num);
    if (entered && blocked(r) && r.decidedBy?.chain === 'ufw-reject-forward') return 'rejected';
    return r.verdict.kind === 'unknown' ? 'undecided' : 'passes';
  };
  const names = [...found.keys()];
  const ifCandidates = routed ? NO_CANDIDATES : interfaceCandidates(tables, nativeNftables(artifacts), new Set([...names, 'lo']));
  const traces: OrderTrace[] = [];
  const outside = outsideAddress(artifacts, 4, [...[...found.values()].flatMap((b) => b.cidrs), standInAddress]);
  for (const [name, b] of found) {
    const cidr = b.cidrs.find((c) => (parseCidr(c)?.prefix ?? 32) <= 30);
    const src = cidr ? hostIn(cidr) : UNKNOWN_SUBNET_HOST[4];
    const out: Packet = { src, dst: outside, protocol: 'tcp', dport: 443, sport: 40000, inInterface: name, outInterface: uplink, state: 'new', mark: 0 };
    const r = trace(tables, 'forward', out, ctx);
    const o = outcome(r);
    const who = standIn ? 'a container on a Docker bridge (the rules name none: traced as docker0)' : `a container on ${name}${b.namedBy ? ` (named by ${b.namedBy.file}:${b.namedBy.line})` : ''}`;
    const via = routed ? ` via ${uplink}` : ' (the uplink not in the bundle: any interface no rule names)';
    if (o === 'rejected') {
      // what the bundle does not say must not decide it: the uplink could be one a rule names, the subnet one a rule matches
      let doubt: string | undefined;
      const addrCandidates = cidr ? NO_CANDIDATES : addressCandidates(tables, 4);
      if (ifCandidates.overflow || addrCandidates.overflow) doubt = 'the uplink or the subnet is one of the many a rule names (too many to try)';
      for (const itf of ifCandidates.list) {
        if (doubt) break;
        const alt = trace(tables, 'forward', { ...out, outInterface: itf }, ctx);
        if (outcome(alt) !== 'rejected') doubt = `the uplink is ${itf}, which a rule names: then ${alt.verdict.kind === 'ACCEPT' ? `${at(alt.decidedBy)} accepts it first` : 'the trace does not reach ufw-reject-forward'}`;
      }
      for (const a of addrCandidates.list) {
        if (doubt) break;
        const alt = trace(tables, 'forward', { ...out, src: a }, ctx);
        if (outcome(alt) !== 'rejected') doubt = `the bridge's subnet holds ${a}, which a rule matches: then ${alt.verdict.kind === 'ACCEPT' ? `${at(alt.decidedBy)} accepts it first` : 'the trace does not reach ufw-reject-forward'}`;
      }
      const reached = bodyShown ? `is rejected by ${at(r.decidedBy)}` : `reaches ufw-reject-forward (FORWARD rule ${jump.num}, ${jump.ref.file}:${jump.ref.line}), whose rules are not shown`;
      const note = doubt
        ? `a new connection from ${who} to the outside${via} ${reached} only if the uplink is none a rule names: not if ${doubt} (collect ip addr and ip route to decide)`
        : `traced through ufw's chains, a new connection from ${who} to the outside${via} ${reached}: no rule before it (ufw-before-forward, ufw-user-forward) accepts it`;
      traces.push({ bridge: name, standIn, namedBy: b.namedBy, outcome: o, doubt, note });
    } else if (o === 'passes')
      traces.push({ bridge: name, standIn, namedBy: b.namedBy, outcome: o, note: `a new connection from ${who} to the outside${via} is ${r.verdict.kind === 'ACCEPT' ? 'accepted' : r.verdict.kind === 'REJECT' ? 'rejected' : 'dropped'} by ${at(r.decidedBy)} before ufw-reject-forward${r.verdict.kind === 'ACCEPT' ? ', so the order harms nothing for it' : ''}` });
    else
      traces.push({ bridge: name, standIn, namedBy: b.namedBy, outcome: o, note: `the trace of a new connection from ${who} stops before ufw-reject-forward: ${r.verdict.kind === 'unknown' ? r.verdict.reason : ''}${r.verdict.kind === 'unknown' && r.verdict.at ? ` at ${at(r.verdict.at)}` : ''}` });
  }
  const unnamedBecause = [listed ? 'no Docker bridge in ip addr' : 'no ip addr', tables.has('nat') ? '' : 'no nat table', 'no rule that names a Docker bridge'].filter(Boolean).join(', ');
  return { traces, standIn, uplink, uplinkKnown: !!routed, unnamedBecause };
}

/** A remedy with one more alternative command at its end. */
function withAlternative<R extends { commands: string[] }>(remedy: R, alternative: string | undefined): R {
  return alternative ? { ...remedy, commands: [...remedy.commands, alternative] } : remedy;
}

const blocked = (r: TraceResult) => r.verdict.kind === 'DROP' || r.verdict.kind === 'REJECT';

type Walk = (t: Map<string, Map<string, Chain>>, out: Packet) => [string, TraceResult, Packet, string?][];

/**
 * Whether what the bundle does not say could change a blocked verdict: the same packets with the uplink
 * being each interface a rule names, and (a bridge whose subnet is unknown) with the container's address
 * in each network a rule matches. Says which one passes; undefined when none does.
 */
function assumptionsChange(tables: Map<string, Map<string, Chain>>, walk: Walk, out: Packet, dir: 'out' | 'back', ifCandidates: Candidates, addrCandidates: Candidates): string | undefined {
  if (ifCandidates.overflow) return 'the uplink is one of the many interfaces the rules name (too many to try)';
  if (addrCandidates.overflow) return "the bridge's subnet is one of the many networks the rules match (too many to try)";
  const passes = (o: Packet) => {
    const rs = walk(tables, o);
    const r = dir === 'out' ? rs[0]?.[1] : rs[1]?.[1];
    return r !== undefined && !blocked(r);
  };
  for (const itf of ifCandidates.list) if (passes({ ...out, outInterface: itf })) return `the uplink is ${itf}, which a rule names`;
  for (const a of addrCandidates.list) if (passes({ ...out, src: a })) return `the bridge's subnet holds ${a}, which a rule matches`;
  return undefined;
}

/** At most this many alternatives are tried for an unknown uplink or subnet; more and the verdict is left undecided. */
const MAX_CANDIDATES = 24;

/** The alternatives to try, and whether there were more than MAX_CANDIDATES. */
interface Candidates {
  list: string[];
  overflow: boolean;
}

const NO_CANDIDATES: Candidates = { list: [], overflow: false };
const candidates = (all: Set<string>): Candidates => ({ list: [...all].slice(0, MAX_CANDIDATES), overflow: all.size > MAX_CANDIDATES });

/**
 * The interface names the rules match on (iptables `-i`/`-o`, nft `iifname`/`oifname`/`iif`/`oif`), other
 * than the bridges: what the uplink could be, when the bundle does not list the interfaces. A wildcard
 * (`eth+`, `eth*`) stands for one name it matches.
 */
const NAMES_INTERFACE = /(?:^|\s)(?:-[io]|--in-interface|--out-interface)\s/;

function interfaceCandidates(tables: Map<string, Map<string, Chain>>, nft: NftRuleset[], exclude: Set<string>): Candidates {
  const names = new Set<string>();
  const add = (v: string | undefined) => {
    if (!v) return;
    const name = /[+*]$/.test(v) ? `${v.slice(0, -1)}0` : v;
    if (!exclude.has(name) && !exclude.has(v)) names.add(name);
  };
  // a save-format rule names an interface only with -i / -o: the others are not parsed for it (a
  // kube-proxy node's 130,000 rules are parsed when first read, and almost none names one)
  for (const t of tables.values())
    for (const c of t.values())
      for (const r of c.rules) if (!r.text.startsWith('-') || NAMES_INTERFACE.test(r.text)) (add(r.inInterface?.value), add(r.outInterface?.value));
  for (const rs of nft)
    for (const t of rs.tables) {
      if (t.iptablesCompat) continue;
      for (const c of t.chains)
        for (const r of c.rules)
          for (const e of r.exprs)
            if (e.kind === 'match' && /^(iifname|oifname|iif|oif)$/.test(e.key)) for (const v of e.value.kind === 'set' ? e.value.elements : [e.value]) if (v.kind === 'value') add(v.value.replace(/^"|"$/g, ''));
    }
  return candidates(names);
}

/** An address inside each network a rule matches by source or destination (what a bridge's unknown subnet could hold). */
function addressCandidates(tables: Map<string, Map<string, Chain>>, family: 4 | 6): Candidates {
  const out = new Set<string>();
  for (const t of tables.values())
    for (const c of t.values())
      for (const r of c.rules)
        for (const a of [r.source, r.destination]) {
          const n = a ? parseCidr(a.value.includes('/') ? a.value : `${a.value}/${family === 6 ? 128 : 32}`) : undefined;
          if (!n || n.family !== family || n.prefix === 0) continue;
          out.add(n.prefix >= (family === 6 ? 127 : 31) ? a!.value.split('/')[0] : hostIn(formatCidr(n)));
        }
  return candidates(out);
}

/**
 * The connection failures a container wrote (not the host's own daemons: dockerd pulling an image,
 * kubelet probing a pod connect from the host, not through FORWARD), to a peer that is not the
 * node itself (that is the INPUT path): the log lines a blocked forward path explains, for the correlation.
 */
function containerConnectionLines(artifacts: NodeArtifacts): { ref: string; symptom: ConnectionSymptom }[] {
  const local = new Set(localAddresses(artifacts));
  const out: { ref: string; symptom: ConnectionSymptom }[] = [];
  for (const log of artifacts.logs ?? [])
    for (const m of log.matches) {
      const symptom = connectionSymptom(m);
      if (!symptom || !fromContainer(m)) continue;
      const named = [m.facts.address, m.facts.host].find((x) => x && parseIp(x)?.family === 4);
      if (named && (addressIn(named, '127.0.0.0/8') || local.has(named))) continue;
      if (!named && m.facts.host && /^(localhost|ip6-localhost)$/i.test(m.facts.host)) continue;
      out.push({ ref: `${m.file}:${m.line}`, symptom });
    }
  return out;
}

/**
 * Whether traffic between two containers on one bridge passes iptables' FORWARD: bridge netfilter on
 * (net.bridge.bridge-nf-call-iptables = 1), or not known (no sysctl in the bundle). Off: the key is 0, or a
 * full sysctl dump lacks it (br_netfilter not loaded).
 */
function bridgedTrafficPassesIptables(artifacts: NodeArtifacts, family: 4 | 6 = 4): boolean {
  const KEY = family === 6 ? 'net.bridge.bridge-nf-call-ip6tables' : 'net.bridge.bridge-nf-call-iptables';
  const sysctl = artifacts.sysctl ?? [];
  const values = runtimeValue(sysctl, KEY);
  if (values.length > 0) return values.some((v) => v.value !== '0');
  return !sysctl.some((s) => s.values.size > 200);
}

/** Which packet was dropped, and what the remedy's rules may match it by. */
interface Where {
  dir: 'out' | 'back';
  /**
   * the specs of the deciding chain's rules after the deciding rule (as iptables -A would take them): an accept the
   * chain already holds below the REJECT/DROP makes `-C || -I` a no-op, so it is deleted before it is inserted above
   */
  later?: string[];
  bridge: string;
  /** undefined: the bundle names the bridge, not its subnet */
  cidr?: string;
  uplink: string;
  /** the uplink is the real one (ip route / ip addr), not "any interface other than the bridge" */
  uplinkKnown: boolean;
  /** the reply's destination as it arrives (the NAT address when masqueraded) */
  replyDst: string;
  verdict: string;
  /** traffic between containers of the bridge passes FORWARD (bridge-nf-call-iptables = 1, or not known) */
  intraBridge: boolean;
  /** Docker runs with --iptables=false: it adds no FORWARD rules, restarting it does not help */
  firewallOff: boolean;
  fw: HostFirewall;
  family: 4 | 6;
  /** the command that edits the rules: iptables, ip6tables (-nft / -legacy with both back ends) */
  tool: string;
  /** how dockerd runs on the node: what restarts it */
  docker: DockerRestart;
  /** the engine's version as docker info / docker version state it */
  engine?: Reported<string>;
  /** whether that engine writes all its rules again after a firewalld reload (undefined: its version is not in the bundle) */
  reload?: FirewalldReloadAnswer;
}

/** The base chain (hook) an iptables step was walked from: the nearest built-in chain of its table at or before it. */
function iptablesHookOf(steps: TraceStep[], d: TraceStep): string {
  if (BUILTIN.has(d.chain)) return d.chain;
  for (let i = steps.indexOf(d) - 1; i >= 0 && steps[i].table === d.table; i--) if (BUILTIN.has(steps[i].chain)) return steps[i].chain;
  return 'FORWARD';
}

/** The native nftables base chain (hook, priority) a step was walked from. */
function nftHookOf(rulesets: NftRuleset[], steps: TraceStep[], d: TraceStep): NftChain | undefined {
  const chainOf = (s: TraceStep) => rulesets.flatMap((rs) => rs.tables).find((t) => t.family === s.nft?.family && t.name === s.nft?.table)?.chains.find((c) => c.name === s.chain);
  const own = chainOf(d);
  if (own?.hook) return own;
  for (let i = steps.indexOf(d) - 1; i >= 0 && steps[i].table === d.table; i--) {
    const c = chainOf(steps[i]);
    if (c?.hook) return c;
  }
  return undefined;
}

/**
 * When Docker's direct-access protection drops the replies: they reach the container's address from
 * the uplink because the bridge's traffic is not masqueraded. Docker's rule is right to be there;
 * the network's configuration is what to change (masquerade, or gateway mode routed, in which Docker
 * does not add the protection and the upstream routes the subnet to this node).
 */
function dockerDirectAccessRemedy(bridge: string, cidr: string, family: 4 | 6, docker: DockerRestart) {
  const mode = family === 6 ? 'gateway_mode_ipv6' : 'gateway_mode_ipv4';
  return {
    summary: `Do not delete Docker's direct-access rule: let Docker masquerade ${cidr} (the default), or, if the network is meant to be routed without NAT, give it gateway mode routed (Docker then adds no direct-access drop; the upstream router needs a route to ${cidr} via this node).`,
    commands: [
      `docker network inspect $(docker network ls -q --filter driver=bridge) --format '{{.Name}} {{json .Options}}'   # which network uses ${bridge}, and its enable_ip_masquerade / ${mode}`,
      `# a user-defined network: recreate it with masquerading (drop -o com.docker.network.bridge.enable_ip_masquerade=false), or routed: docker network create ${family === 6 ? '--ipv6 ' : ''}-o com.docker.network.bridge.${mode}=routed --subnet ${cidr} <name>`,
      ...(bridge === 'docker0'
        ? docker.how === 'docker.service'
          ? ['# the default bridge: remove "ip-masq": false from /etc/docker/daemon.json, then systemctl restart docker']
          : [`# the default bridge: remove "ip-masq": false from ${docker.daemonJson}, then restart dockerd:`, ...restartDocker({ dockerRestart: docker })]
        : [`# then reconnect the containers of ${bridge} to the new network`]),
    ],
    caution: 'Recreating a network disconnects its containers; restarting docker restarts every container on the node.',
  };
}

/**
 * The fix when an iptables rule or policy decides. It must let both directions through (a rule for
 * the containers' new connections alone leaves the replies to the blocker, and the next analysis
 * asks for the same rule again), and an alternative that deletes the blocker must not depend on
 * the inserts having run: it names the rule by its spec, or by its number in the rules as they are.
 * The rules it proposes are valid where they go: no `-o` on the PREROUTING hook (iptables refuses
 * it), no conntrack match in raw (it runs before conntrack), and a reply in raw/mangle PREROUTING
 * still carries the address it came back to (the NAT address), not the container's.
 */
function iptablesRemedy(d: TraceStep, rule: Rule | undefined, hook: string, w: Where, dockerJumps: boolean) {
  const { bridge, cidr, uplink } = w;
  const table = d.table === 'filter' ? '' : `-t ${d.table} `;
  const docker = bridge === 'docker0' || /^br-[0-9a-f]{12}$/.test(bridge);
  const restart = docker && !dockerJumps && hook === 'FORWARD' && !w.firewallOff;
  // the way in for the replies: the uplink, or (not in the bundle) anything but the bridge
  const fromOutside = w.uplinkKnown ? `-i ${uplink}` : `! -i ${bridge}`;
  // each rule as [spec, comment]: inserted only when the chain does not hold it already (-C || -I): pasted twice, one rule
  const acceptSpecs: [string, string][] =
    hook === 'PREROUTING'
      ? [
          d.table === 'raw'
            ? [`${fromOutside} -d ${w.replyDst} -p tcp -j ACCEPT`, 'replies to the containers, as they arrive (raw runs before conntrack: no state to match; ACCEPT here only ends the raw table, filter still decides)']
            : [`${fromOutside} -m conntrack --ctstate RELATED,ESTABLISHED${cidr ? ` --ctorigsrc ${cidr}` : ''} -j ACCEPT`, "replies to the containers' connections (matched by the connection's original source: NAT has not restored it yet here)"],
          [`-i ${bridge}${cidr ? ` -s ${cidr}` : ''} -j ACCEPT`, `the containers' own connections${cidr ? ` (${cidr})` : ''}`],
        ]
      : [
          [`-o ${bridge} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`, 'replies to the containers'],
          [`-i ${bridge} ! -o ${bridge} -j ACCEPT`, `the containers' own connections${cidr ? ` (${cidr})` : ''}`],
          // bridged frames between two containers of the bridge pass FORWARD too when bridge netfilter is on (Docker accepts them itself)
          ...(w.intraBridge ? [[`-i ${bridge} -o ${bridge} -j ACCEPT`, `containers on ${bridge} reaching each other (bridged traffic passes iptables: net.bridge.bridge-nf-call-${w.family === 6 ? 'ip6tables' : 'iptables'} = 1 or not known)`] as [string, string]] : []),
        ];
  // an accept already in the chain below the deciding rule (appended after the REJECT by hand) is moved up: -C alone would skip it
  const below = (spec: string) => w.later?.includes(spec) ?? false;
  const accept = (at: string) =>
    acceptSpecs.map(([spec, note]) => `${below(spec) ? `${w.tool} ${table}-D ${d.chain} ${spec} 2>/dev/null; ` : ''}${w.tool} ${table}-C ${d.chain} ${spec} 2>/dev/null || ${w.tool} ${table}-I ${d.chain} ${at}${spec}   # ${note}${below(spec) ? ' (the chain holds it below the blocking rule, where it never matches: moved up)' : ''}`);
  // the same rules as lines of a saved configuration (-A, in chain order), for a host whose firewall Docker leaves alone
  const persistLines = acceptSpecs.map(([spec]) => `-A ${d.chain} ${spec}`);
  const handWritten = w.firewallOff && !d.nft ? (w.family === 6 ? persist6(d.table, persistLines) : persistHandWritten(w.fw, d.table, persistLines)) : [];
  const offNote = w.firewallOff ? " Docker runs with --iptables=false: it writes no FORWARD rules, so restarting it does not help; the host's firewall has to accept the bridge's traffic, now and at boot." : '';
  const caution = w.firewallOff
    ? 'Add only these rules to the firewall configuration; the order matters where a REJECT or DROP rule ends the chain (put them above it).'
    : `${persistCaution(w.fw, w.family)}${restart ? ' Restarting docker restarts every container on the node.' : ''}`;
  const unnamed = w.uplinkKnown ? '' : ' The uplink is not in the bundle (no ip addr): these rules do not name it.';
  if (d.num === 0)
    return {
      summary: `Accept the bridge's traffic and its replies in ${d.chain}${hook === 'FORWARD' ? ' (what Docker adds for its bridges)' : ''}${restart ? "; Docker's own FORWARD rules are missing: restarting docker adds them again" : ''}.${offNote}${unnamed}`,
      commands: restart
        ? [...optionA(w, "Docker recreates its FORWARD rules"), "# Option B (no restart; safe to paste twice): accept the bridge's traffic:", ...accept(''), ...handWritten]
        : [...accept(''), ...handWritten],
      caution,
    };
  const spec = rule && rule.num === d.num ? ruleSpec(rule) : undefined;
  return {
    summary: `Accept the bridge's traffic and its replies ahead of ${d.table === 'filter' ? '' : `${d.table}/`}${d.chain} rule ${d.num}, which ${w.verdict === 'REJECT' ? 'rejects' : 'drops'} them${restart ? " (Docker's own FORWARD rules are missing: restarting docker puts them back ahead of it)" : ''}, or remove that rule.${offNote}${unnamed}`,
    commands: [
      ...(restart ? [...optionA(w, `Docker inserts its FORWARD rules ahead of rule ${d.num}`), `# Option B (no restart; safe to paste twice): accept the bridge's traffic ahead of rule ${d.num}:`] : []),
      ...accept(`${d.num} `),
      ...handWritten,
      spec
        ? `# or instead, remove the blocking rule itself: ${w.tool} ${table}-D ${d.chain} ${spec}`
        : `# or instead, remove the blocking rule itself, rule ${d.num} of ${d.chain} in the rules as they are (check with ${w.tool} ${table}-L ${d.chain} -n --line-numbers; not after the inserts above, which move it down): ${w.tool} ${table}-D ${d.chain} ${d.num}`,
    ],
    caution,
  };
}

/**
 * Restarting docker as option A of a block whose other option is pasted as it is: its lines are
 * comments, so pasting the whole block runs option B only (one restart or the inserts, never both).
 */
function optionA(w: Where, what: string): string[] {
  return [
    `# Option A (restarts every container): ${what}; run the line below without its "# ", and skip option B:`,
    ...restartDocker({ dockerRestart: w.docker }).map((c) => (c.startsWith('#') ? c : `# ${c}`)),
  ];
}

/** Where a host keeps its own ip6tables rules, for the rules to persist when Docker writes none. */
function persist6(table: string, lines: string[]): string[] {
  return [`# persist: add to the *${table} section of /etc/sysconfig/ip6tables (RHEL iptables-services, above its final REJECT rules) or /etc/iptables/rules.v6 (Debian iptables-persistent):`, ...lines.map((l) => `#   ${l}`)];
}

/** `nft insert` only when the chain does not list the rule already (nft lists each rule on its own line): pasted twice, one rule. */
function nftInsertIfMissing(family: string, table: string, chain: string, rule: string): string {
  const bare = rule.replace(/\s+#.*$/, '');
  return `nft list chain ${family} ${table} ${chain} | sed 's/^[[:space:]]*//' | grep -qxF '${bare}' || nft insert rule ${family} ${table} ${chain} ${bare}`;
}

/**
 * When a native nftables table decides: firewalld's zones, Docker's own table (not to be edited:
 * Docker rewrites it), or a rule in another table. The rules it proposes fit the chain's hook: no
 * `oifname` before routing (prerouting), no `ct` match before conntrack (priority below -200).
 */
function nftRemedy(d: TraceStep, base: NftChain | undefined, w: Where) {
  const t = d.nft!;
  const { bridge } = w;
  if (t.table === 'firewalld')
    return {
      summary: `firewalld's own nftables table blocks the bridge's forwarded traffic (iptables-save does not show it): put ${bridge} in a zone that forwards it (Docker 20.10+ makes a "docker" zone).`,
      commands: [
        `firewall-cmd --permanent --zone=docker --add-interface=${bridge}   # or --zone=trusted`,
        'firewall-cmd --reload',
        ...(w.reload?.restoresAll
          ? [`iptables -S DOCKER-FORWARD >/dev/null 2>&1 || nft list table ip docker-bridges >/dev/null   # ${w.reload.says} (${w.reload.evidence.file}:${w.reload.evidence.line}); this checks its rules are back`]
          : restartDocker({ dockerRestart: w.docker }, w.reload ? w.reload.says : "a firewalld reload removes Docker's rules")),
      ],
      caution: w.reload?.restoresAll ? "firewall-cmd --reload removes Docker's iptables rules for a moment, until Docker writes them again." : 'Restarting docker restarts every container on the node.',
    };
  if (t.family === 'ip' && t.table === 'docker-bridges')
    return {
      summary: `Docker's own nftables table (${t.family} ${t.table}) blocks it: do not edit that table (Docker rewrites it, and an accept in another table cannot undo its drop); check the network's Docker options (masquerade, gateway mode, icc) and let Docker write its rules again.`,
      commands: [`docker network inspect $(docker network ls -q --filter driver=bridge) --format '{{.Name}} {{json .Options}}'   # the options of the network on ${bridge}`, ...restartDocker({ dockerRestart: w.docker }, 'Docker writes its table afresh')],
      caution: 'Restarting docker restarts every container on the node.',
    };
  const { own, replies } = nftAccepts(base, w);
  return {
    summary: `The nftables table ${t.family} ${t.table} blocks it, not iptables: accept the bridge's traffic ahead of the blocking ${d.num === 0 ? 'policy' : 'rule'} in that chain, and persist it where the nftables service loads its rules.${w.uplinkKnown ? '' : ' The uplink is not in the bundle (no ip addr): these rules do not name it.'}`,
    commands: [
      // against a policy, add-if-missing (pasted twice, one rule); against a rule, always first: the same
      // accept further down the chain, after the blocking rule, would make a check skip the insert
      ...[own, replies].map((x) => (d.num === 0 ? nftInsertIfMissing(t.family, t.table, d.chain, x) : `nft insert rule ${t.family} ${t.table} ${d.chain} ${x}`)),
      ...persistNft(t.family, t.table, d.chain, `as its first rules (ahead of the blocking ${d.num === 0 ? 'policy' : 'rule'})`, [replies, own]),
    ],
    caution: 'nft insert puts the rule first in the chain; check it does not open more than the bridge needs.',
  };
}

/**
 * The nft rules that accept the bridge's traffic and its replies in a chain of the hook `base` is on:
 * no `oifname` before routing (prerouting), no `ct` match before conntrack (priority below -200).
 */
function nftAccepts(base: NftChain | undefined, w: Where): { own: string; replies: string } {
  const { bridge, cidr, uplink } = w;
  const hook = base?.hook ?? 'forward';
  const priority = base?.priority ?? 0;
  const pre = hook === 'prerouting' || hook === 'input';
  const ip = w.family === 6 ? 'ip6' : 'ip';
  const fromOutside = w.uplinkKnown ? `iifname "${uplink}"` : `iifname != "${bridge}"`;
  const replies = pre
    ? hook === 'prerouting' && priority <= -200
      ? `${fromOutside} ${ip} daddr ${w.replyDst} accept   # replies to the containers as they arrive (before conntrack: no state to match)`
      : `${fromOutside} ct state established,related${cidr ? ` ct original ${ip} saddr ${cidr}` : ''} accept   # replies to the containers' connections (NAT has not restored the container's address before priority -100)`
    : `oifname "${bridge}" ct state established,related accept`;
  const own = pre ? `iifname "${bridge}"${cidr ? ` ${ip} saddr ${cidr}` : ''} accept   # the containers' own connections` : `iifname "${bridge}" accept`;
  return { own, replies };
}

/**
 * A running container's address in the bridge's subnet, where the CNI firewall plugin (Podman's CNI networks,
 * containerd's) names each one: it accepts per container in CNI-FORWARD (`-s 10.88.0.61/32 -j ACCEPT`, and
 * `-d 10.88.0.61/32 ... RELATED,ESTABLISHED -j ACCEPT` for the replies) and adds the pair when the container
 * starts. Traced from such an address, not from the subnet's .2: a stand-in no rule names would be dropped
 * where every container the host runs is accepted (H71's docker-cni-published: Docker's policy DROP beside it).
 */
function cniFirewallContainer(tables: Map<string, Map<string, Chain>>, cidr: string): string | undefined {
  const chain = tables.get('filter')?.get('CNI-FORWARD');
  for (const r of chain?.rules ?? []) {
    const src = r.source;
    if (r.target !== 'ACCEPT' || !src || src.negated || r.destination || r.inInterface || r.outInterface || r.protocol || r.matches.length > 0) continue;
    const m = /^([\d.]+)(?:\/32)?$|^([0-9a-f]*:[0-9a-f:]*)(?:\/128)?$/i.exec(src.value);
    const ip = m?.[1] ?? m?.[2];
    if (ip && addressIn(ip, cidr)) return ip;
  }
  return undefined;
}

/**
 * Whether the CNI firewall plugin handles the forwarding of this network: FORWARD jumps to CNI-FORWARD, and the bridge
 * is Podman's CNI bridge by name or CNI's masquerade rule for the subnet (`-s 10.88.0.0/16 ... -j CNI-<id>`) names it.
 */
function cniFirewallOwns(tables: Map<string, Map<string, Chain>>, cidr: string, bridge: string): boolean {
  const forward = tables.get('filter')?.get('FORWARD');
  if (!forward?.rules.some((r) => r.target === 'CNI-FORWARD')) return false;
  // a CNI bridge by name (Podman's cni-podman0), or CNI's masquerade of the subnet where a container ran
  if (/^cni-podman\d+$/.test(bridge)) return true;
  return [...(tables.get('nat')?.get('POSTROUTING')?.rules ?? [])].some((r) => r.source && !r.source.negated && r.source.value === cidr && /^CNI-[0-9a-f]{8,}$/.test(r.target ?? ''));
}

/** The second address of a network (.2, or ::2): a container's, not the gateway's. */
function hostIn(cidr: string): string {
  const c = parseCidr(cidr);
  if (c?.family === 6) return formatCidr({ ...c, network: c.network + 2n, prefix: 128 }).replace(/\/128$/, '');
  const [ip] = cidr.split('/');
  const o = ip.split('.').map(Number);
  o[3] = Math.min(254, o[3] + 2);
  return o.join('.');
}

/** The tables with a rule appended to a chain, or a chain emptied: a proposed change, traced before it is proposed. */
function changed(tables: Map<string, Map<string, Chain>>, chain: string, change: { append: Rule } | { clear: true }): Map<string, Map<string, Chain>> | undefined {
  const filter = tables.get('filter');
  const c = filter?.get(chain);
  if (!filter || !c) return undefined;
  const copy = new Map(tables);
  const f = new Map(filter);
  f.set(chain, { ...c, rules: 'append' in change ? [...c.rules, { ...change.append, chain, num: c.rules.length + 1 }] : [] });
  copy.set('filter', f);
  return copy;
}

/** A rule as ufw writes it into ufw-user-forward for `ufw route allow in on <bridge> [out on <uplink>]`. */
function ufwRouteRule(chain: string, bridge: string, out?: string): Rule {
  return {
    table: 'filter',
    chain,
    num: 0,
    ref: { file: '(proposed: ufw route allow)', line: 0 },
    text: `-A ${chain} -i ${bridge}${out ? ` -o ${out}` : ''} -j ACCEPT`,
    inInterface: { value: bridge, negated: false },
    ...(out ? { outInterface: { value: out, negated: false } } : {}),
    matches: [],
    target: 'ACCEPT',
    targetOptions: {},
  };
}

/**
 * A block by ufw (a rule in one of its chains, ufw-reject-forward for DEFAULT_FORWARD_POLICY="REJECT",
 * or the FORWARD policy on a ufw host): its cause and a ufw-shaped fix. ufw owns its chains and rebuilds
 * them at every reload and boot, so an `iptables -I ufw-...` does not last. Each fix offered is traced
 * first on the rules with the change made: `ufw route allow in on <bridge>` (what ufw adds to
 * ufw-user-forward, checked with `ufw --dry-run`), and DEFAULT_FORWARD_POLICY="DROP" (ufw-reject-forward
 * empty) where Docker's own ACCEPT rules come after ufw's jumps. That order is Docker 28.0.0's: it
 * appended its per-bridge FORWARD rules after the jumps ufw had put there (moby/moby#49528); 28.0.1 moved
 * them into DOCKER-FORWARD, jumped to from the top of FORWARD (moby/moby#49518).
 */
function ufwBlock(d: TraceStep, tables: Map<string, Map<string, Chain>>, bridge: string, w: Where, walk: Walk, out: Packet): { text: string; remedy?: ReturnType<typeof iptablesRemedy>; order?: Evidence; engine?: Evidence; alternative?: string } | undefined {
  if (w.fw !== 'ufw' || d.table !== 'filter' || !(/^ufw6?-/.test(d.chain) || (d.chain === 'FORWARD' && d.num === 0))) return undefined;
  const prefix = w.family === 6 ? 'ufw6' : 'ufw';
  const forward = tables.get('filter')?.get('FORWARD')?.rules ?? [];
  const jump = forward.find((r) => r.target?.startsWith(`${prefix}-`));
  const dockerAccept = jump ? forward.find((r) => r.num > jump.num && r.target === 'ACCEPT' && r.inInterface?.value === bridge && !r.inInterface.negated && r.matches.length === 0) : undefined;
  const order: Evidence | undefined = dockerAccept
    ? { file: dockerAccept.ref.file, line: dockerAccept.ref.line, excerpt: dockerAccept.text, note: `Docker's own ACCEPT for ${bridge} is FORWARD rule ${dockerAccept.num}, after ufw's jumps (from rule ${jump!.num}): the order Docker 28.0.0 writes` }
    : undefined;
  // docker info / docker version in the bundle: the engine that wrote them
  const engine = order && w.engine ? w.engine : undefined;
  const v = engine ? dockerVersionNumbers(engine.value) : undefined;
  const is2800 = !!v && v[0] === 28 && v[1] === 0 && v[2] === 0;
  const engineSays = engine ? ` The bundle's docker info says the engine is ${engine.value} (${engine.ref.file}:${engine.ref.line})${is2800 ? ': 28.0.0, the release with that order.' : '.'}` : '';
  const passes = (t: Map<string, Map<string, Chain>> | undefined) => t !== undefined && walk(t, out).every(([, r]) => r.verdict.kind === 'ACCEPT');
  const route = passes(changed(tables, `${prefix}-user-forward`, { append: ufwRouteRule(`${prefix}-user-forward`, bridge, w.uplinkKnown ? w.uplink : undefined) }));
  const reject = d.chain === `${prefix}-reject-forward`;
  const policyDrop = reject && passes(changed(tables, d.chain, { clear: true }));
  const text =
    (reject
      ? `That rule is ufw's: ufw fills ${d.chain} when /etc/default/ufw says DEFAULT_FORWARD_POLICY="REJECT".`
      : d.chain === 'FORWARD'
        ? "ufw sets that policy (DEFAULT_FORWARD_POLICY in /etc/default/ufw; Docker sets DROP too), and no rule of ufw's or Docker's accepts this bridge's traffic before it."
        : `That rule is ufw's (chain ${d.chain}).`) +
    (order
      ? ` Docker's own ACCEPT for ${bridge} (FORWARD rule ${dockerAccept!.num}, ${dockerAccept!.ref.file}:${dockerAccept!.ref.line}) comes after ufw's jumps, so it is never reached: the order Docker 28.0.0 writes (it appended its per-bridge rules to FORWARD). Docker 28.0.1 puts them in DOCKER-FORWARD, jumped to from the top of FORWARD (moby/moby#49518).${engineSays}`
      : '');
  const routeCommand = `ufw route allow in on ${bridge}${w.uplinkKnown ? ` out on ${w.uplink}` : ''}`;
  // Docker writes no rules here (--iptables=false): the host firewall's own rules are the fix, which the
  // hand-written remedy gives; the ufw rule is its alternative
  if (w.firewallOff) return { text, ...(route ? { alternative: `# or, the ufw way (kept by ufw in /etc/ufw/user${w.family === 6 ? '6' : ''}.rules): ${routeCommand}` } : {}) };
  if (!route && !policyDrop && !order) return { text };
  const commands = [
    ...(order && !is2800 ? ["docker version --format '{{.Server.Version}}'   # 28.0.0 writes its FORWARD rules after ufw's: upgrade Docker to 28.0.1 or later (moby/moby#49518), which jumps to its rules from the top of FORWARD"] : []),
    ...(route
      ? [
          `${routeCommand}   # ufw adds "-A ${prefix}-user-forward -i ${bridge}${w.uplinkKnown ? ` -o ${w.uplink}` : ''} -j ACCEPT", reached from ${prefix}-before-forward ahead of ${d.chain}; the replies pass ${prefix}-before-forward's RELATED,ESTABLISHED rule; ufw keeps it in /etc/ufw/user${w.family === 6 ? '6' : ''}.rules`,
        ]
      : []),
    ...(policyDrop
      ? [`# or instead: sed -i 's/^DEFAULT_FORWARD_POLICY=.*/DEFAULT_FORWARD_POLICY="DROP"/' /etc/default/ufw && ufw reload   # ${d.chain} is then empty and the packets reach Docker's own ACCEPT rules (ufw reload rebuilds only ufw's chains)`]
      : []),
  ];
  return {
    text,
    order,
    ...(engine ? { engine: { file: engine.ref.file, line: engine.ref.line, excerpt: engine.excerpt, note: `the Docker engine's version${is2800 ? ': 28.0.0 writes its FORWARD rules after ufw\'s (fixed in 28.0.1)' : ''}` } } : {}),
    remedy: {
      summary: `Let ${bridge}'s traffic through ufw${order ? ', or upgrade Docker to 28.0.1 or later' : ''}, not with iptables: ufw owns ${d.chain === 'FORWARD' ? "the FORWARD policy and its chains" : d.chain} and rebuilds ${d.chain === 'FORWARD' ? 'them' : 'it'} at every ufw reload and boot, so a rule inserted there with iptables does not last.${w.uplinkKnown ? '' : ' The uplink is not in the bundle (no ip addr): the ufw rule does not name it (add "out on" with the uplink to narrow it).'}`,
      commands,
      caution: `ufw keeps its rules in /etc/ufw (user.rules, before.rules) and rebuilds its chains from them: do not insert rules into ufw's chains with iptables, and do not save the live rules anywhere (they hold Docker's chains).${route ? ` "ufw route allow in on ${bridge}" lets the containers open connections to anything ufw's other route rules do not deny.` : ''}`,
    },
  };
}

/**
 * Why another manager's bridge (LXD, Incus, LXC, libvirt) is cut off, when Docker's FORWARD policy DROP
 * decides: Docker sets it when it turns IP forwarding on (moby/libnetwork#1526), and that manager's own
 * accept, in its own nftables table, cannot undo it: every base chain on the hook runs, and a drop in
 * any one of them is final. The fix is LXD's documented one: accept the bridge in DOCKER-USER.
 */
function otherBridgeCause(o: OtherBridge, d: TraceStep, tables: Map<string, Map<string, Chain>>, fw: HostFirewall): { text: string; evidence?: Evidence; remedy?: (w: Where) => ReturnType<typeof iptablesRemedy> } | undefined {
  const filter = tables.get('filter');
  if (d.nft || d.table !== 'filter' || d.chain !== 'FORWARD' || d.num !== 0 || !filter?.has('DOCKER-USER') || !reaches(filter, 'FORWARD', 'DOCKER-USER')) return undefined;
  const own = o.ownAccept
    ? o.ownAcceptIn === 'nftables'
      ? ` ${o.owner}'s own accept (${o.ownAccept.file}:${o.ownAccept.line}: ${o.ownAccept.excerpt.trim()}) cannot override it: nftables runs every base chain on the forward hook, its table's and iptables', and a drop in any one of them is final.`
      : ` ${o.owner}'s own accept (${o.ownAccept.file}:${o.ownAccept.line}) is not reached before the policy.`
    : '';
  return {
    text: `Docker set that policy${fw === 'ufw' ? ' (so does ufw, with DEFAULT_FORWARD_POLICY="DROP")' : ''}: it sets FORWARD to DROP when it turns IP forwarding on, and accepts only its own bridges' traffic.${own}`,
    evidence: o.ownAccept ?? o.routes,
    remedy: (w) => dockerUserRemedy(o, w, fw === 'ufw' && reaches(filter, 'FORWARD', 'ufw-user-forward')),
  };
}

/** LXD's documented fix: accept the bridge in DOCKER-USER (idempotent, so a second run adds nothing), kept across reboots by a drop-in for docker.service. */
function dockerUserRemedy(o: OtherBridge, w: Where, ufwRoute = false) {
  const t = w.tool;
  const br = o.name;
  const lines = [`${t} -C DOCKER-USER -i ${br} -j ACCEPT 2>/dev/null || ${t} -I DOCKER-USER -i ${br} -j ACCEPT`, `${t} -C DOCKER-USER -o ${br} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT 2>/dev/null || ${t} -I DOCKER-USER -o ${br} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`];
  const unit = w.docker.how === 'snap' ? 'snap.docker.dockerd.service' : 'docker.service';
  return {
    summary: `Accept ${br}'s traffic in DOCKER-USER, the chain Docker runs first in FORWARD and leaves to the administrator (the fix LXD's documentation gives for Docker's FORWARD policy); do not set the policy back to ACCEPT by hand: Docker sets it to DROP again when it starts.`,
    commands: [
      `${lines[0]}   # what leaves ${br} (its ${o.owner === 'libvirt' ? 'VMs' : 'instances'}' own connections)`,
      `${lines[1]}   # the replies to them`,
      `# persist: DOCKER-USER's rules do not survive a reboot; run both lines each time docker starts, e.g. a drop-in /etc/systemd/system/${unit}.d/${br}-forward.conf holding "[Service]" and "ExecStartPost=/bin/sh -c '${lines.join('; ')}'", then: systemctl daemon-reload`,
      ...(ufwRoute
        ? [`# or, ufw being the firewall here and its ufw-user-forward reached from FORWARD: ufw route allow in on ${br}; ufw route allow out on ${br}   (LXD's documented ufw rules; ufw keeps them across reboots and skips a rule it has already)`]
        : []),
      `# or, Docker 28 or later: "ip-forward-no-drop": true in /etc/docker/daemon.json, then restart docker and set the policy back (${t} -P FORWARD ACCEPT): Docker no longer sets FORWARD to DROP, for all forwarded traffic, not only ${br} (its containers' published ports become reachable from the local network: moby/moby#14041)`,
    ],
    caution: `These rules accept everything ${br} sends and the replies to it, ahead of Docker's own rules (which do not concern ${br}); do not save the live rules with iptables-save or netfilter-persistent: they hold Docker's chains.`,
  };
}

/**
 * What nftables.service loads at boot, for a bundle without a live nftables listing: the tables the
 * saved configuration (/etc/nftables.conf, /etc/sysconfig/nftables.conf and the files it includes)
 * declares, in load order (a `flush ruleset`, `delete table` or `flush table` of a later line undoes
 * what came before it; a table declared twice is one table). Never the live rules: a finding from
 * them is a warning that says where it comes from.
 */
interface SavedNft {
  ruleset: NftRuleset;
  /** the file the service loads: /etc/nftables.conf or /etc/sysconfig/nftables.conf */
  main: NftablesConfig;
  /** the line that says the service is on (active, or enabled) */
  service: ServiceState;
  /** the bundle's files it loads, main first */
  files: string[];
  /** each of those files' path on the host */
  hostPaths: Map<string, string>;
}

/** Why the saved configuration is not traced though the service is on (for the coverage), or what it loads. */
function savedNftables(artifacts: NodeArtifacts): SavedNft | { skipped: string } | undefined {
  // a live listing shows what runs: the live trace decides
  if ((artifacts.nftables ?? []).length > 0) return undefined;
  const loaded = loadedNftablesConfig(artifacts.nftablesConfig ?? []);
  if (!loaded) return undefined;
  const { main, missing } = loaded;
  const states = findService(artifacts.services ?? [], 'nftables');
  if (states.some((s) => /^masked/.test(s.enabled ?? ''))) return undefined;
  const service = isActive(states) ?? isEnabled(states);
  if (!service) return undefined;
  // firewalld conflicts with nftables.service: with firewalld running and nftables.service not, the file is not loaded
  if (!isActive(states) && isActive(findService(artifacts.services ?? [], 'firewalld'))) return undefined;
  const tables = new Map<string, NftTable>();
  const byFile = new Map(loaded.files.map((c) => [c.file, c]));
  let unread: string | undefined;
  // the statements in load order, includes expanded in place
  for (const st of loaded.statements) {
    const key = `${st.family} ${st.table}`;
    switch (st.kind) {
      case 'flush-ruleset':
        for (const [k, t] of tables) if (!st.family || t.family === st.family) tables.delete(k);
        break;
      case 'delete-table':
      case 'destroy-table':
        tables.delete(key);
        break;
      case 'flush-table': {
        const t = tables.get(key);
        if (t) tables.set(key, { ...t, chains: t.chains.map((ch) => copyChain(ch, [])) });
        break;
      }
      case 'table': {
        // `add rule` / `add chain` lines (an nft script): rules nft text does not hold, the path is not known
        if (/^(add|insert|create|replace)\s+(rule|chain)\b/.test(st.excerpt)) unread ??= `${st.ref.file}:${st.ref.line} (${st.excerpt})`;
        const block = byFile.get(st.ref.file)?.ruleset?.tables.find((t) => t.family === st.family && t.name === st.table && t.ref.line === st.ref.line);
        const had = tables.get(key);
        if (!block) {
          if (!had) tables.set(key, { family: st.family!, name: st.table!, chains: [], sets: [], maps: [], ref: st.ref, iptablesCompat: false });
          break;
        }
        tables.set(key, had ? mergeTables(had, block) : { ...block, chains: block.chains.map((ch) => copyChain(ch, ch.rules)), sets: [...block.sets], maps: [...block.maps] });
        break;
      }
    }
  }
  const files = loaded.files.map((c) => c.file);
  const hostPaths = new Map(loaded.files.map((c) => [c.file, c.hostPath]));
  if (missing.length > 0) return { skipped: `${main.file} includes ${missing.join(', ')}, which the bundle does not hold` };
  if (unread) return { skipped: `it adds rules with nft commands (${unread})` };
  const ruleset: NftRuleset = { file: main.file, format: 'text', tables: [...tables.values()], warnings: [], notices: [] };
  // a `$name` left as written (defined in another file): its rules cannot be matched
  const unresolved = ruleset.tables.flatMap((t) => t.chains.flatMap((ch) => ch.rules)).find((r) => /\$[A-Za-z_]/.test(r.text));
  if (unresolved) return { skipped: `a rule uses a variable the bundle does not define (${unresolved.ref.file}:${unresolved.ref.line}: ${unresolved.text})` };
  return { ruleset, main, service, files, hostPaths };
}

/** A chain with other rules, numbered in it; its policy's line kept (not an enumerable property). */
function copyChain(ch: NftChain, rules: NftRule[]): NftChain {
  const copy: NftChain = { ...ch, rules: rules.map((r, i) => (r.index === i + 1 ? r : { ...r, index: i + 1 })) };
  if (ch.policyLine !== undefined) Object.defineProperty(copy, 'policyLine', { value: ch.policyLine, enumerable: false, writable: true, configurable: true });
  return copy;
}

/** A table declared again: its chains' rules appended, its new chains, sets and maps added (what `nft -f` does with a second `table` block). */
function mergeTables(had: NftTable, more: NftTable): NftTable {
  const chains = had.chains.map((ch) => copyChain(ch, ch.rules));
  for (const ch of more.chains) {
    const i = chains.findIndex((x) => x.name === ch.name);
    if (i < 0) chains.push(copyChain(ch, ch.rules));
    else {
      const base = ch.hook !== undefined ? { ...chains[i], type: ch.type, hook: ch.hook, priority: ch.priority } : chains[i];
      const merged = copyChain(ch.policy ? { ...base, policy: ch.policy } : base, [...chains[i].rules, ...ch.rules]);
      if (ch.policy && ch.policyLine !== undefined) Object.defineProperty(merged, 'policyLine', { value: ch.policyLine, enumerable: false, writable: true, configurable: true });
      else if (!ch.policy && chains[i].policyLine !== undefined) Object.defineProperty(merged, 'policyLine', { value: chains[i].policyLine, enumerable: false, writable: true, configurable: true });
      chains[i] = merged;
    }
  }
  return { ...had, chains, sets: [...had.sets, ...more.sets.filter((s) => !had.sets.some((x) => x.name === s.name))], maps: [...had.maps, ...more.maps.filter((m) => !had.maps.some((x) => x.name === m.name))] };
}


/** The trace context with the saved configuration's base chains walked beside the live rules'. */
function withSaved(ctx: TraceContext, saved: SavedNft, family: 4 | 6): TraceContext {
  const extra = nftExtraChains([saved.ruleset], family === 6 ? 'ip6' : 'ip');
  return { ...ctx, extraChains: (hook) => [...(ctx.extraChains?.(hook) ?? []), ...extra(hook)] };
}

/**
 * The warning when the saved configuration would drop what the live rules let through: not the
 * traced live verdict (the bundle does not show whether the table is loaded now), so a warning that
 * says where the verdict comes from and what to collect to confirm it.
 */
function savedFinding(node: string, saved: SavedNft, b: Traced, what: string, r: TraceResult, how: string | undefined, w: Where, base: NftChain | undefined, extra: Evidence[], basis: string, explainsLogLines: string[]) {
  const d = r.decidedBy!;
  const t = d.nft!;
  const verb = r.verdict.kind === 'REJECT' ? 'reject' : 'drop';
  const by = d.num === 0 ? `the ${d.chain} chain's ${d.text}` : `rule ${d.num} of chain ${d.chain}`;
  const svc = saved.service;
  const svcSays = [svc.enabled, svc.active].filter(Boolean).join(', ');
  const { own, replies } = nftAccepts(base, w);
  const bare = (x: string) => x.replace(/\s+#.*$/, '');
  const ensure = (rule: string) => nftInsertIfMissing(t.family, t.table, d.chain, rule);
  const chainFile = saved.hostPaths.get(d.file) ?? saved.main.hostPath;
  const where = `${saved.main.hostPath}${chainFile !== saved.main.hostPath ? `, which includes ${chainFile}` : ''}`;
  return {
    severity: 'warning' as const,
    title: w.family === 6 ? 'The saved nftables configuration drops container IPv6 traffic' : 'The saved nftables configuration drops container traffic',
    message:
      `On ${node}, the nftables configuration that ${svc.unit} loads at boot (${where}; the service is ${svcSays}, ${svc.ref.file}:${svc.ref.line}) would ${verb} ${what}: table ${t.family} ${t.table}, ${by} (${d.file}:${d.line}). ` +
      `${saved.main.hostPathGuessed ? `(The bundle's ${saved.main.file} is taken for ${saved.main.hostPath}.) ` : ''}The bundle holds no live nftables listing, so this verdict comes from the saved configuration, not from the rules seen running: unless that table was removed since the service loaded it, ${b.other ? `${b.owner}'s instances` : 'containers'} on ${b.name} cannot reach the outside. ` +
      `An accept in Docker's or kube-proxy's own rules does not undo it: nftables runs every base chain on the hook, and a ${verb} in any one of them is final.${how ? ` ${how}` : ''}${basis} ` +
      'Collect `nft list ruleset` to confirm.',
    impact: `If the configuration is loaded, ${b.other ? `${b.owner === 'libvirt' ? 'virtual machines' : `${b.owner} instances`}` : 'containers'} on ${b.name}${w.cidr ? ` (${w.cidr})` : ''} cannot reach anything outside the node.`,
    evidence: [
      { file: d.file, line: d.line, excerpt: d.text, note: `saved configuration (loaded by ${svc.unit} at boot, not the live rules): table ${t.family} ${t.table} chain ${d.chain} ${d.num === 0 ? 'policy' : `rule ${d.num}`} ${verb}s ${what}` },
      { file: svc.ref.file, line: svc.ref.line, excerpt: svc.excerpt, note: `${svc.unit}: ${svcSays}` },
      ...r.steps
        .filter((s) => s !== d && s.nft)
        .slice(-4)
        .map((s) => ({ file: s.file, line: s.line, excerpt: s.text, note: `saved configuration, path: ${s.table}/${s.chain} ${s.num === 0 ? 'policy' : `rule ${s.num}`}` })),
      ...extra,
    ],
    facts: {
      source: 'saved-config',
      config: saved.main.hostPath,
      configFiles: saved.files,
      service: svc.unit,
      serviceState: svcSays,
      bridge: b.name,
      subnet: w.cidr ?? null,
      uplink: w.uplinkKnown ? w.uplink : null,
      verdict: r.verdict.kind,
      decidedBy: `${d.table}/${d.chain}#${d.num}`,
      ...(w.dir === 'back' ? { replyTo: w.replyDst } : {}),
      ...(w.family === 6 ? { family: 'ipv6' } : {}),
      explainsLogLines,
    },
    remedy: {
      summary: `First check what runs: nft list ruleset (the bundle has none). If table ${t.family} ${t.table} is loaded, accept ${b.name}'s traffic and its replies ahead of the blocking ${d.num === 0 ? 'policy' : 'rule'} in chain ${d.chain}, and add the same rules to ${where}, so the next boot keeps them.${w.uplinkKnown ? '' : ' The uplink is not in the bundle (no ip addr): these rules do not name it.'}`,
      commands: [
        `nft list ruleset   # is table ${t.family} ${t.table} loaded, with chain ${d.chain} as in ${d.file}:${d.line}? Attach this to the next bundle`,
        `${ensure(own)}   # the containers' own connections (fails harmlessly when the table is not loaded)`,
        `${ensure(replies)}   # the replies to them`,
        `# persist: in ${chainFile}, table ${t.family} ${t.table}, chain ${d.chain}, as its first rules (${base?.name === d.chain ? 'after its type/policy line, ' : ''}ahead of the blocking ${d.num === 0 ? 'policy' : 'rule'}):`,
        `#   ${bare(replies)}`,
        `#   ${bare(own)}`,
        `# then check the file: nft -c -f ${saved.main.hostPath}   # do not load it now (systemctl restart nftables, nft -f) while Docker or kube-proxy run if it starts with "flush ruleset": that deletes their tables too`,
      ],
      caution: `The rules inserted with nft apply at once and last until the next boot or reload of ${svc.unit}; the file keeps them after that. Check they do not open more than the bridge needs.`,
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// A catch-all REJECT/DROP in FORWARD ahead of the pods' or containers' accepts (h66)
// ---------------------------------------------------------------------------------------------------------------

/** Network plugins' own FORWARD chains that accept the pod network themselves: not listed, they may decide. */
const PLUGIN_ACCEPT_CHAIN = /^(?:FLANNEL-FWD|cali-FORWARD|KUBE-ROUTER-FORWARD|CILIUM_FORWARD|WEAVE-NPC.*|ANTREA-FORWARD|KUBE-POD-FW-.*|OVN-.*|CNI-FORWARD)$/;
/** Docker's chains that hold the bridges' accepts (Docker 28's DOCKER-FORWARD): not listed, they may accept a container. */
const DOCKER_ACCEPT_CHAIN = /^(?:DOCKER-FORWARD|DOCKER-CT|DOCKER-BRIDGE)$/;
/** Interfaces pod traffic crosses: an accept naming one lets the pods through. */
const POD_ITF = /^(?:cni0|cbr0|kube-bridge|flannel[.-][\w.-]*|tunl0|vxlan\.calico|cali\+?|weave|cilium_\w+|antrea-gw0)$/;
const ANY_ADDR = /^(?:0\.0\.0\.0\/0|::\/0|0\/0|anywhere)$/;

/** Whose new outbound connection is walked: the pods (a Kubernetes node) or a Docker bridge's containers. */
interface Client {
  kind: 'pods' | 'docker';
  /** the bridge (docker0) or undefined for pods (cni0, flannel.1, cali*: any pod interface) */
  itf?: string;
  /** the network, where the bundle says it */
  cidr?: string;
  /** what says so */
  cidrFrom?: string;
}

type Step = { rule: Rule; what: 'assumed-return' | 'plugin-unlisted' | 'accept' | 'undecided' | 'decides'; note?: string };

const anyAddr = (a: Rule['source']) => !a || (!a.negated && ANY_ADDR.test(a.value));
const noVerbose = (r: Rule) => (r.incomplete ?? []).some((x) => /without -v/.test(x));

/** A rule with no condition at all: no protocol, address, interface or match (a comment is none). */
function catchAll(r: Rule): boolean {
  return !r.protocol && anyAddr(r.source) && anyAddr(r.destination) && !r.inInterface && !r.outInterface && !r.fragment && r.matches.length === 0;
}

/** Whether an interface match can take the client's packet going out (in: its interface; out: the uplink, not named). */
function itfMatch(m: Rule['inInterface'], itf: string | undefined, kind: Client['kind'], dir: 'in' | 'out'): boolean | undefined {
  if (!m) return true;
  const glob = (n: string) => m.value === n || (m.value.endsWith('+') && n.startsWith(m.value.slice(0, -1)));
  if (dir === 'out') {
    // the uplink is not named here: `! -o docker0` takes it, `-o docker0` / `-o cni0` does not, `-o eth0` may
    if (m.negated) return true;
    if (CONTAINER_BRIDGE_NAME.test(m.value) || POD_ITF.test(m.value) || /^veth|^lxc|^cali/.test(m.value)) return false;
    return undefined;
  }
  if (itf) return m.negated ? !glob(itf) : glob(itf);
  // pods: any pod interface
  if (m.negated) return CONTAINER_BRIDGE_NAME.test(m.value) && kind === 'pods' ? true : undefined;
  if (kind === 'pods' && POD_ITF.test(m.value)) return true;
  if (CONTAINER_BRIDGE_NAME.test(m.value) || m.value === 'lo') return false;
  return undefined;
}

/** Whether an address match takes the client's packet (source: the client's network; destination: the outside). */
function addrMatch(a: Rule['source'], c: Client, dir: 'src' | 'dst'): boolean | undefined {
  if (anyAddr(a)) return true;
  if (dir === 'dst') return a!.negated ? undefined : false;
  const net = parseCidr(a!.value);
  if (!c.cidr || !net) return undefined;
  const inner = parseCidr(c.cidr);
  if (!inner) return undefined;
  const inside = addressIn(c.cidr.split('/')[0], a!.value) && net.prefix <= inner.prefix;
  return a!.negated ? !inside : inside;
}

/** ctstate/state: NEW among the states (or negated without NEW): the match takes a new connection. */
function stateTakesNew(r: Rule): boolean | undefined {
  for (const m of r.matches) {
    if (m.module !== 'conntrack' && m.module !== 'state') return undefined;
    const o = m.options.find((x) => x.name === 'ctstate' || x.name === 'state');
    if (!o?.value || m.options.length !== 1) return undefined;
    const has = o.value.toUpperCase().split(',').includes('NEW');
    if (o.negated ? has : !has) return false;
  }
  return true;
}

/**
 * Walk a new connection of the client out of the node through a chain's rules; chains jumped to are walked when the
 * dump holds their rules, else assumed to return (said aloud). Stops at an accept or at a catch-all REJECT/DROP.
 */
function walkChain(filter: Map<string, Chain>, chain: Chain, c: Client, steps: Step[], depth: number): 'accept' | 'decides' | 'undecided' | 'return' {
  for (const r of chain.rules) {
    const t = r.target ?? '';
    if (t === 'LOG' || t === 'NFLOG' || t === '' || t === 'MARK' || t === 'CONNMARK' || t === 'CT' || t === 'NOTRACK' || t === 'TRACE') continue;
    // does the rule take this packet at all?
    const parts = [itfMatch(r.inInterface, c.itf, c.kind, 'in'), itfMatch(r.outInterface, undefined, c.kind, 'out'), addrMatch(r.source, c, 'src'), addrMatch(r.destination, c, 'dst'), r.protocol || r.fragment ? undefined : true, stateTakesNew(r)];
    if (parts.includes(false)) continue;
    const sure = !parts.includes(undefined);
    if (t === 'ACCEPT') {
      if (!sure) {
        // a partial accept (a port, a protocol, an interface the bundle does not place) lets only part through: undecided
        if (r.protocol || r.matches.some((m) => m.module !== 'conntrack' && m.module !== 'state')) continue;
        steps.push({ rule: r, what: 'undecided' });
        return 'undecided';
      }
      // in a listing without -v an accept with no visible condition may be for an interface: undecided
      if (noVerbose(r) && c.kind === 'docker') {
        steps.push({ rule: r, what: 'undecided' });
        return 'undecided';
      }
      steps.push({ rule: r, what: 'accept' });
      return 'accept';
    }
    if (t === 'REJECT' || t === 'DROP') {
      // a paste cut ('...', R23's cases 33-35) before this rule may hide the accepts above it: what it decides is not known
      if (catchAll(r) && chain.unlisted && chain.unlisted.file === r.ref.file && r.ref.line > chain.unlisted.line) {
        steps.push({ rule: r, what: 'undecided' });
        return 'undecided';
      }
      // a network plugin's own chain (Calico's cali-from-wl-dispatch "Unknown interface" DROP, a policy's drop) is its
      // policy, no catch-all of the host's: never a finding whose fix would put accepts above the plugin's chains (R23 44)
      if (catchAll(r) && PLUGIN_OWN_CHAIN.test(chain.name)) {
        steps.push({ rule: r, what: 'undecided' });
        return 'undecided';
      }
      // iptables -L without -v hides the interfaces: a bare-looking DROP in Docker's isolation chain is `-o docker0`
      // (h51's ufw + Docker + LXD host). Only the stock firewall's REJECT in FORWARD itself (iptables-services',
      // firewalld's `--reject-with icmp-host-prohibited`, k3s#283) is known to have none.
      if (catchAll(r) && noVerbose(r) && !(depth === 0 && t === 'REJECT' && /icmp-host-prohibited/.test(r.text))) {
        steps.push({ rule: r, what: 'undecided' });
        return 'undecided';
      }
      if (catchAll(r)) {
        steps.push({ rule: r, what: 'decides' });
        return 'decides';
      }
      continue;
    }
    if (t === 'RETURN') {
      if (catchAll(r) && depth > 0) return 'return';
      continue;
    }
    // a jump or goto to a chain
    const sub = filter.get(t);
    const listed = sub && (sub.rules.length > 0 || (!sub.unlisted && !noVerbose(r)) || (sub.references !== undefined));
    if (sub && listed && depth < 6) {
      const got = walkChain(filter, sub, c, steps, depth + 1);
      // a jump the packet may not take (`-i cali12d4a061371 -g cali-fw-...`: Calico's per-workload policy, whose
      // "Drop if no profiles matched" is no catch-all for the pods as a whole): what the chain decides is not known
      if (!sure && got !== 'return') {
        steps.push({ rule: r, what: 'undecided' });
        return 'undecided';
      }
      if (got !== 'return') return got;
      if (r.targetKind === 'goto') return 'return';
      continue;
    }
    if ((c.kind === 'pods' && PLUGIN_ACCEPT_CHAIN.test(t)) || (c.kind === 'docker' && DOCKER_ACCEPT_CHAIN.test(t))) {
      steps.push({ rule: r, what: 'plugin-unlisted' });
      return 'undecided';
    }
    steps.push({ rule: r, what: 'assumed-return' });
  }
  return 'return';
}

/** The pod network: flannel's subnet.env, the accepts of flannel/MicroK8s or KUBE-FORWARD by address, a FORWARD accept by address after the blocker. */
function podNetwork(artifacts: NodeArtifacts, filter: Map<string, Chain>, after: Rule[]): { cidr?: string; from?: string } {
  const env = (artifacts.flannelSubnetEnv ?? []).find((e) => e.network?.value);
  if (env?.network) return { cidr: env.network.value, from: `flannel's FLANNEL_NETWORK (${env.file})` };
  const rules = podNetworksFromRules(liveIpv4(artifacts));
  if (rules[0]) return { cidr: rules[0].subnet, from: `${owns(rules[0].owner)} accepts (${rules[0].rules[0].ref.file}:${rules[0].rules[0].ref.line})` };
  for (const r of [...(filter.get('KUBE-FORWARD')?.rules ?? []), ...after]) {
    const a = [r.source, r.destination].find((x) => x && !x.negated && !ANY_ADDR.test(x.value));
    if (a && r.target === 'ACCEPT') return parseCidr(a.value) ? { cidr: a.value, from: `${r.ref.file}:${r.ref.line}` } : { from: `${r.ref.file}:${r.ref.line} (${a.value}, a name the listing resolved: list with -n)` };
  }
  return {};
}

/** Docker's bridges FORWARD names (`-o docker0 -j DOCKER`, its accepts), else docker0 where FORWARD jumps to Docker's chains. */
function dockerClients(fwd: Chain): Client[] {
  const names = new Set<string>();
  for (const r of fwd.rules) for (const i of [r.inInterface, r.outInterface]) if (i && !i.negated && DOCKER_BRIDGE.test(i.value)) names.add(i.value);
  if (names.size === 0 && fwd.rules.some((r) => /^DOCKER(?:$|-)/.test(r.target ?? ''))) names.add('docker0');
  return [...names].map((n) => ({ kind: 'docker' as const, itf: n }));
}

/** chains of a network plugin or kube-proxy: their drops are the plugin's policy, not the host firewall's catch-all */
const PLUGIN_OWN_CHAIN = /^(?:cali-|KUBE-|FLANNEL|CILIUM_|WEAVE|ANTREA|KUBE-ROUTER)/;

export function catchAllBlocksForward(node: string, artifacts: NodeArtifacts): FindingDraft[] {
  const tables = liveTables(artifacts);
  const filter = tables.get('filter');
  const fwd = filter?.get('FORWARD');
  if (!filter || !fwd) return [];
  // kube-proxy's or a network plugin's chains say pods are routed here; kubelet's own (KUBE-FIREWALL, KUBE-MARK-*,
  // KUBE-KUBELET-CANARY) do not: with dockershim and no CNI the pods sit on docker0, whose accepts are Docker's
  const kube =
    [...filter.keys(), ...fwd.rules.map((r) => r.target ?? '')].find((n) => /^(?:KUBE-|FLANNEL|cali-|CILIUM_|KUBE-ROUTER)/.test(n) && !/^KUBE-(?:FIREWALL|MARK-|KUBELET-CANARY|IPTABLES-HINT)/.test(n)) ??
    ((artifacts.flannelSubnetEnv ?? []).length ? 'flannel subnet.env' : undefined);
  const pod = kube ? podNetwork(artifacts, filter, []) : {};
  const clients: Client[] = [...(kube ? [{ kind: 'pods' as const, cidr: pod.cidr, cidrFrom: pod.from }] : []), ...dockerClients(fwd)];
  const out: FindingDraft[] = [];
  const lines = containerConnectionLines(artifacts);
  for (const c of clients) {
    const steps: Step[] = [];
    const got = walkChain(filter, fwd, c, steps, 0);
    let decider: Rule | undefined;
    if (got === 'decides') decider = steps[steps.length - 1].rule;
    else if (got !== 'return' || fwd.policy?.toUpperCase() !== 'DROP') continue;
    // the policy DROP decides: only for pods on a node with no plugin's or kube-proxy's FORWARD chain (podCheck of
    // docker.forward-policy-drops-routed speaks where FORWARD jumps to one)
    if (!decider && (c.kind !== 'pods' || fwd.rules.some((r) => POD_FORWARD_CHAIN.test(r.target ?? '')))) continue;
    // the policy decides only where FORWARD is shown whole: a cut paste may hide the accepts
    if (!decider && fwd.unlisted) continue;
    const f = blockerFinding(node, artifacts, filter, fwd, c, steps, decider, lines);
    if (f) out.push(f);
  }
  return out;
}

function blockerFinding(node: string, artifacts: NodeArtifacts, filter: Map<string, Chain>, fwd: Chain, c: Client, steps: Step[], decider: Rule | undefined, lines: { ref: string; symptom: ConnectionSymptom }[]): FindingDraft | undefined {
  const assumed = steps.filter((s) => s.what === 'assumed-return').map((s) => s.rule);
  const inFwd = decider?.chain === 'FORWARD';
  const idx = decider && inFwd ? fwd.rules.indexOf(decider) : fwd.rules.length;
  const after = fwd.rules.slice(idx + 1);
  // the accepts below the blocker that can never match: by address (the pod CIDR), by a pod or container interface
  const shadowed = after.filter((r) => r.target === 'ACCEPT' && ((r.source && !ANY_ADDR.test(r.source.value)) || (r.destination && !ANY_ADDR.test(r.destination.value)) || [r.inInterface, r.outInterface].some((i) => i && !i.negated && (POD_ITF.test(i.value) || CONTAINER_BRIDGE_NAME.test(i.value)))));
  const pod = c.kind === 'pods' && !c.cidr ? podNetwork(artifacts, filter, after) : { cidr: c.cidr, from: c.cidrFrom };
  const packets = decider ? decider.counters?.packets : undefined;
  const rejects = decider ? decider.target === 'REJECT' : false;
  const logFits = lines.filter((l) => (rejects ? symptomFits('unreachable', l.symptom) || l.symptom === 'prohibited' || l.symptom === 'answered' : l.symptom === 'timeout'));
  const proven = (packets ?? 0) > 0 || (decider !== undefined && logFits.length > 0);
  const severity: FindingDraft['severity'] = proven ? 'critical' : 'warning';
  const who = c.kind === 'pods' ? `the pods${pod.cidr ? ` (${pod.cidr})` : ''}` : `containers on ${c.itf}`;
  const where = decider ? `rule ${decider.num} of ${decider.chain}` : 'the policy';
  const deciderText = decider ? `${decider.target}${decider.targetOptions['reject-with'] ? ` --reject-with ${decider.targetOptions['reject-with']}` : ''}` : 'DROP';
  // the stock RHEL/CentOS rule (iptables-services' /etc/sysconfig/iptables) names the manager where the bundle does not
  const fw0 = hostFirewall(artifacts);
  const fw: HostFirewall = fw0 === 'unknown' && decider?.targetOptions['reject-with'] === 'icmp-host-prohibited' ? 'iptables-services' : fw0;
  const firewalld = [...filter.keys()].some((k) => /^FORWARD_(?:direct|IN_ZONES)/.test(k)) || fwd.rules.some((r) => /^FORWARD_(?:direct|IN_ZONES)/.test(r.target ?? ''));
  const tool = iptablesTool(liveIpv4(artifacts).find((r) => r.tables.filter?.chains.FORWARD) ?? liveIpv4(artifacts)[0], artifacts.iptables ?? []);
  const dockerAccepts = c.kind === 'docker' ? fwd.rules.filter((r) => r.target === 'ACCEPT' && r.inInterface?.value === c.itf && !r.inInterface?.negated) : [];

  const evidence: Evidence[] = [];
  if (decider)
    evidence.push({ file: decider.ref.file, line: decider.ref.line, excerpt: decider.text, note: `${where}: a ${deciderText} with no condition: it decides for every packet that reaches it${packets !== undefined ? `; ${packets} packets counted on it${packets > 0 ? ' (forwarded packets it refused)' : ''}` : ' (the listing has no counters)'}${noVerbose(decider) ? '. The listing is iptables -L without -v: it shows no interfaces; the stock rule has none' : ''}` });
  else evidence.push({ file: fwd.ref.file, line: fwd.ref.line, excerpt: `FORWARD policy DROP`, note: `FORWARD's policy DROP${fwd.policyCounters ? `: ${fwd.policyCounters.packets} packets dropped by it` : ''}` });
  for (const r of c.kind === 'docker' && dockerAccepts.length === 0 ? fwd.rules.filter((x) => x.outInterface?.value === c.itf && /^DOCKER/.test(x.target ?? '')).slice(0, 1) : [])
    evidence.push({ file: r.ref.file, line: r.ref.line, excerpt: r.text, note: `Docker's rule for ${c.itf} is here, its accepts of what leaves ${c.itf} are not` });
  for (const r of assumed.slice(0, 4)) evidence.push({ file: r.ref.file, line: r.ref.line, excerpt: r.text, note: `a jump to ${r.target}, whose rules the bundle does not show: taken to return (to let these packets on)` });
  for (const r of shadowed.slice(0, 3)) evidence.push({ file: r.ref.file, line: r.ref.line, excerpt: r.text, note: `an accept below ${where}: it can never match` });
  for (const l of logFits.slice(0, 2)) {
    const [file, line] = [l.ref.slice(0, l.ref.lastIndexOf(':')), Number(l.ref.slice(l.ref.lastIndexOf(':') + 1))];
    evidence.push({ file, line, excerpt: l.ref, note: `a container's connection failed (${l.symptom})` });
  }
  const version = dockerVersion(artifacts);

  const assumption = assumed.length ? ` The bundle does not show the rules of ${[...new Set(assumed.map((r) => r.target))].join(', ')}: if ${assumed.length > 1 ? 'they return' : 'it returns'} (${assumed.some((r) => r.target === 'KUBE-FORWARD') ? "kube-proxy's KUBE-FORWARD accepts only the packets it marked and replies, never a pod's new connection out" : 'nothing there accepts these packets'}), ${where} rejects them.` : '';
  const missingDocker =
    c.kind === 'docker' && dockerAccepts.length === 0
      ? ` None of Docker's own accepts for ${c.itf} is in FORWARD (\`-i ${c.itf} ! -o ${c.itf} -j ACCEPT\`, \`-o ${c.itf} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\`): they were removed after Docker wrote them, typically by a firewall restore (iptables.service, iptables-restore, firewalld) run after docker started (coreos/bugs#344).`
      : '';
  const message =
    `A new connection from ${who} out of ${node} meets ${where} (${deciderText}) before any rule accepts it.${assumption}${missingDocker}` +
    (shadowed.length ? ` The accepts for them below it (${shadowed.map((r) => `rule ${r.num}`).join(', ')}) can never match.` : '') +
    (proven ? (packets ? ` ${packets} packets were counted on it: traffic is being refused.` : ` A container's failed connection fits it (${logFits[0].ref}).`) : decider ? ' No counter or log line shows traffic hitting it.' : '') +
    (pod.from && c.kind === 'pods' ? ` The pod network is read from ${pod.from}.` : '') +
    (!decider ? ' No chain of kube-proxy or of a network plugin is in these rules: the plugin may have written its accepts into the other iptables back end (iptables-legacy vs iptables-nft), where they cannot undo this drop (kube-router#1069).' : '');

  const n = decider && inFwd ? decider.num : undefined;
  const at = n ? `${tool} -I FORWARD ${n}` : `${tool} -I FORWARD 1`;
  const commands: string[] = [];
  let summary: string;
  if (c.kind === 'docker' && dockerAccepts.length === 0) {
    summary = `Restart Docker: it writes its FORWARD accepts for ${c.itf} again, ahead of the REJECT. Then make the firewall's restore run before docker.service, so it does not wipe them at the next boot or reload.`;
    commands.push(...restartDocker({ dockerRestart: dockerRestartOf(artifacts) }));
    commands.push(`${tool} -S FORWARD | grep -e '-i ${c.itf} ! -o ${c.itf} -j ACCEPT' -e '-o ${c.itf} -m conntrack'   # Docker's accepts are back`);
    commands.push(`# order the restore before Docker: systemctl edit docker.service, add [Unit] After=iptables.service iptables-restore.service firewalld.service`);
  } else {
    const spec = c.kind === 'pods' ? (pod.cidr ? [`-s ${pod.cidr} -j ACCEPT`, `-d ${pod.cidr} -j ACCEPT`] : ['-s <pod CIDR> -j ACCEPT', '-d <pod CIDR> -j ACCEPT']) : [`-i ${c.itf} ! -o ${c.itf} -j ACCEPT`, `-o ${c.itf} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`];
    summary = decider
      ? `Put accepts for ${c.kind === 'pods' ? 'the pod network' : c.itf} above ${where} (${deciderText}), and keep them the way the host's firewall keeps its rules; or stop the stock firewall where the cluster (or Docker) owns the rules.`
      : `Accept the pod network's forwarded traffic ahead of FORWARD's policy DROP (the pod bridge cni0 and the overlay, or the pod CIDR).`;
    for (const s of spec) commands.push(`${at} ${s}`);
    if (c.kind === 'pods' && !decider) commands.push(`${tool} -A FORWARD -i cni0 -j ACCEPT; ${tool} -A FORWARD -o cni0 -j ACCEPT   # the pod bridge, where the pods sit on cni0`);
    if (firewalld) commands.push(...spec.map((s) => `firewall-cmd --permanent --direct --add-rule ipv4 filter FORWARD 0 ${s.replace(/ -j ACCEPT$/, '')} -j ACCEPT`), `# or: firewall-cmd --permanent --zone=trusted --add-interface=${c.kind === 'pods' ? 'cni0 (and flannel.1)' : c.itf}; then firewall-cmd --reload`);
    else if (c.kind === 'docker') commands.push(`# Docker's own place for them, kept across its restarts: ${tool} -I DOCKER-USER ${spec[0]}`);
    else commands.push(...persistHandWritten(fw, 'filter', spec.map((s) => `-A FORWARD ${s}`)));
    if (c.kind === 'pods') commands.push('# or: flannel v0.20 and later puts its accepts in FLANNEL-FWD, jumped to from the top of FORWARD (flannel-io/flannel#1650); or on a node the cluster owns, systemctl disable --now iptables (firewalld)');
  }
  return {
    severity,
    title: decider
      ? `FORWARD's ${deciderText} (${where}) refuses ${who} before any rule accepts them`
      : `FORWARD's policy DROP drops ${who}: no rule accepts the pod network`,
    message,
    impact: c.kind === 'pods' ? 'Pods cannot reach anything outside the node (other nodes\' pods, Services on other nodes, the Internet); a REJECT shows as "No route to host".' : `Containers on ${c.itf} cannot reach anything outside the host; a REJECT shows as "No route to host".`,
    evidence: distinctEvidence(evidence),
    facts: { client: c.kind, bridge: c.itf, podNetwork: pod.cidr, decider: decider ? `${decider.chain} rule ${decider.num}` : 'policy DROP', deciderPackets: packets, assumedReturn: [...new Set(assumed.map((r) => r.target!))], shadowedAccepts: shadowed.map((r) => r.num), dockerAcceptsMissing: c.kind === 'docker' ? dockerAccepts.length === 0 : undefined, dockerVersion: version?.version },
    remedy: { summary, commands, caution: persistCaution(fw) },
  };
}
