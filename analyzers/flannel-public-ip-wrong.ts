/**
 * flannel.public-ip-wrong (cluster): flannel bound to the wrong interface.
 *
 * flannel takes the interface of the default route unless --iface / --iface-regex (k3s and RKE2:
 * flannel-iface, RKE2's canal: the rke2-canal chart's flannel.iface) name another, and publishes that
 * interface's address as the node's `flannel.alpha.coreos.com/public-ip`: the address peers send VXLAN
 * to (or route host-gw traffic through). Two ways that goes wrong:
 *
 * - the same address on several nodes (critical): VirtualBox / Vagrant give every VM's NAT interface
 *   10.0.2.15 (flannel-io/flannel#98, #1119, the troubleshooting guide of PR #764, k3s-io/k3s#72), so every
 *   node publishes 10.0.2.15; a node's VXLAN frames for its peers' pods go to 10.0.2.15, its own address,
 *   and cross-node pod traffic dies. Shown by the Node objects' public-ip annotations, by flannel's own
 *   start-up line per node ("Using interface with name eth0 and address 10.0.2.15", "Defaulting external
 *   address to interface address (10.0.2.15)") where the bundle has no annotations, and by a node's
 *   flannel fdb entries whose VXLAN destination is one of its own addresses (the kernel then sends the
 *   frames to itself).
 * - flannel on another NIC than kubelet (warning; critical for 10.0.2.15): the node's public-ip is not its
 *   InternalIP while the node has an interface holding the InternalIP and another holding the public-ip:
 *   multi-NIC hosts where the default route leaves by a public or management NIC (k3s-io/k3s#1131,
 *   #1824, #10941); peers' VXLAN then crosses the network kubelet was not put on, often firewalled or
 *   unrouted. Quiet where the choice is deliberate: flanneld's --iface / --iface-regex / --public-ip,
 *   k3s' --flannel-iface / --flannel-external-ip / --node-external-ip on the command line, flannel's
 *   "Using A as external address" (--public-ip), or the public-ip-overwrite annotation k3s sets for
 *   node-external-ip (k3s-io/k3s#6180), where the Node object parser gives it.
 *
 * A public-ip on no interface of the node (a cloud's NAT address, an overwrite) is not judged here.
 */
import { defineAnalyzer, type FindingDraft } from '../src/engine/analyzer.js';
import type { NodeArtifacts } from '../src/engine/artifacts.js';
import type { Evidence, Remedy } from '../src/report/schema.js';
import { parseIp } from '../src/parsers/cidr.js';
import type { Address, Interface } from '../src/parsers/interfaces.js';
import type { FdbEntry } from '../src/parsers/bridge-fdb.js';
import type { KubeNode } from '../src/parsers/kube-nodes.js';
import type { LogMatch, LogScanResult } from '../src/logs/index.js';
import { flagValue, nodeProcesses, type ListedProcess } from '../src/parsers/processes.js';
import { flannelPod, flannelRunner } from './lib/flannel.js';
import { NODE_SERVICE_KINDS } from './lib/node-services.js';

/** VirtualBox's NAT address: every VM has it on its first NIC. */
const VBOX_NAT = '10.0.2.15';
/** Devices that never carry a node's underlay address. */
const NOT_UNDERLAY = /^(lo|flannel[.-].*|cni\d*|cbr0|docker\d+|docker_gwbridge|br-[0-9a-f]{12}|veth.*|cali.*|kube-ipvs0|kube-bridge|tunl\d+|vxlan[.-]calico|cilium.*|weave|virbr\d+|nodelocaldns)$/;
const LOG_IDS = new Set(['log.flannel-default-interface', 'log.flannel-interface-chosen', 'log.flannel-external-address']);

interface BundleNode {
  node: string;
  a: NodeArtifacts;
}

/** What one publisher (a Node object, a node's or a pod's flannel log, a node's fdb) says its public address is. */
interface Claim {
  /** the Kubernetes node name, the bundle node, or `pod <ns>/<name>` */
  who: string;
  address: string;
  evidence: Evidence[];
}

/** A log's current claim: the last external address (else interface address) flannel logged. */
interface LogClaim extends Claim {
  iface?: string;
  /** "Using A as external address": --public-ip gave it */
  given: boolean;
  /** "Determining IP address of default interface" before it: no interface was configured */
  defaulted: boolean;
  at?: number;
  /** the claim is a bundle node's own (not a pod of a cluster-wide collection) */
  bundleNode?: string;
}

function key(ip: string): string {
  const p = parseIp(ip);
  return p ? `${p.family}:${p.value}` : ip;
}

function ev(x: { ref: { file: string; line: number }; excerpt: string }, node: string | undefined, note: string): Evidence {
  return { file: x.ref.file, line: x.ref.line, excerpt: x.excerpt, ...(node ? { node } : {}), note };
}

function matchEv(m: LogMatch, node: string, note: string): Evidence {
  return { file: m.file, line: m.line, excerpt: m.excerpt, node, note };
}

/** The node's global addresses, each with its interface. */
function addressesOf(a: NodeArtifacts): { itf: Interface; addr: Address }[] {
  return (a.ipAddr ?? []).flatMap((l) => l.interfaces.flatMap((itf) => itf.addresses.filter((x) => x.scope !== 'link' && x.scope !== 'host' && !/^127\.|^::1$|^fe80:/i.test(x.address)).map((addr) => ({ itf, addr }))));
}

function holder(a: NodeArtifacts, ip: string): { itf: Interface; addr: Address } | undefined {
  const k = key(ip);
  return addressesOf(a).find((x) => key(x.addr.address) === k);
}

/** The Node objects of the bundle, one per name (troubleshoot's nodes.json may be seen by several nodes). */
function kubeNodesOf(ns: BundleNode[]): KubeNode[] {
  const seen = new Set<string>();
  const out: KubeNode[] = [];
  for (const n of ns)
    for (const l of n.a.kubeNodes ?? [])
      for (const k of l.nodes) {
        const id = k.name || `${k.ref.file}:${k.ref.line}`;
        if (seen.has(id)) continue;
        seen.add(id);
        out.push(k);
      }
  return out;
}

/** The bundle node that is this Node object: same name, else the one node holding its (unshared) InternalIP. */
function bundleNodeFor(k: KubeNode, ns: BundleNode[], kube: KubeNode[]): BundleNode | undefined {
  const byName = ns.find((n) => n.node === k.name);
  if (byName) return byName;
  if (ns.length === 1 && kube.length === 1) return ns[0];
  const ips = k.internalIps.filter((ip) => kube.filter((o) => o.internalIps.some((x) => key(x) === key(ip))).length === 1);
  const hits = ns.filter((n) => ips.some((ip) => holder(n.a, ip)));
  return hits.length === 1 ? hits[0] : undefined;
}

/** Per log file, the last claim; per publisher, the newest (files that disagree without timestamps say nothing). */
function logClaims(ns: BundleNode[]): LogClaim[] {
  const byWho = new Map<string, LogClaim[]>();
  for (const n of ns) {
    for (const log of n.a.logs ?? []) {
      const ms = log.matches.filter((m) => LOG_IDS.has(m.signature));
      if (ms.length === 0) continue;
      const ext = ms.filter((m) => m.signature === 'log.flannel-external-address').at(-1);
      const itf = ms.filter((m) => m.signature === 'log.flannel-interface-chosen' && !m.facts.v6).at(-1);
      const last = ext ?? itf;
      if (!last?.facts.address) continue;
      const who = publisherOf(log, n.node);
      const evidence: Evidence[] = [];
      if (itf && itf !== last) evidence.push(matchEv(itf, n.node, `flannel's interface (${who})`));
      evidence.push(matchEv(last, n.node, `the address flannel publishes (${who})`));
      const anchor = itf ?? last;
      const claim: LogClaim = {
        who,
        address: last.facts.address,
        evidence,
        iface: itf && key(itf.facts.address) === key(last.facts.address) ? itf.facts.iface : ext ? undefined : itf?.facts.iface,
        given: !!ext?.facts.given,
        defaulted: ms.some((m) => m.signature === 'log.flannel-default-interface' && m.line <= anchor.line),
        at: last.timestamp?.epochMs,
        ...(who === n.node ? { bundleNode: n.node } : {}),
      };
      byWho.set(who, [...(byWho.get(who) ?? []), claim]);
    }
  }
  const out: LogClaim[] = [];
  for (const claims of byWho.values()) {
    if (claims.length === 1) out.push(claims[0]);
    else if (claims.every((c) => c.at !== undefined)) out.push(claims.reduce((x, y) => (y.at! > x.at! ? y : x)));
    else if (new Set(claims.map((c) => key(c.address))).size === 1) out.push(claims[0]);
  }
  return out;
}

/** A pod log of a cluster-wide collection (troubleshoot's cluster-resources/pods/logs) speaks for its pod's node, not the bundle node. */
function publisherOf(log: LogScanResult, node: string): string {
  const pod = log.source?.pod;
  if (pod && /(^|\/)cluster-resources\/pods\/logs\//.test(log.file)) return `pod ${log.source?.namespace ? `${log.source.namespace}/` : ''}${pod}`;
  return node;
}

/** flannel's VXLAN entries on a node whose destination is one of the node's own addresses. */
function selfDestinations(n: BundleNode): { address: string; entries: FdbEntry[]; held: { itf: Interface; addr: Address } }[] {
  const out = new Map<string, { address: string; entries: FdbEntry[]; held: { itf: Interface; addr: Address } }>();
  for (const e of (n.a.bridgeFdb ?? []).flatMap((l) => l.entries)) {
    if (!e.dev || !/^flannel[.-]/.test(e.dev) || !e.dst || e.mac === '00:00:00:00:00:00') continue;
    const held = holder(n.a, e.dst);
    if (!held) continue;
    const k = key(e.dst);
    const cur = out.get(k) ?? { address: e.dst, entries: [], held };
    cur.entries.push(e);
    out.set(k, cur);
  }
  return [...out.values()];
}

/** Where the node's flannel interface is configured on purpose: the flag or log that says so. */
function deliberate(n: BundleNode | undefined, k: KubeNode | undefined, log: LogClaim | undefined): Evidence | undefined {
  if (k?.flannel.publicIpOverwrite) return ev(k.flannel.publicIpOverwrite, n?.node, 'public-ip-overwrite: the public address is set on purpose');
  if (log?.given) return log.evidence.at(-1);
  if (!n) return undefined;
  for (const p of nodeProcesses(n.a).processes) {
    const flags: [ListedProcess['component'], string][] = [
      ['flanneld', 'iface'],
      ['flanneld', 'iface-regex'],
      ['flanneld', 'public-ip'],
      ['k3s', 'flannel-iface'],
      ['k3s', 'flannel-external-ip'],
      ['k3s', 'node-external-ip'],
      ['rke2', 'node-external-ip'],
    ];
    for (const [c, f] of flags) if (p.component === c && flagValue(p, f) !== undefined) return ev(p, n.node, `${c} --${f}: flannel's address is chosen on purpose`);
  }
  return undefined;
}

/** The interface kubelet's InternalIP sits on, per node that shows it. */
interface NicHint {
  who: string;
  itf: string;
  address: string;
  evidence: Evidence;
}

function nicHint(k: KubeNode, n: BundleNode | undefined, avoid: string): NicHint | undefined {
  if (!n) return undefined;
  for (const ip of k.internalIps) {
    if (key(ip) === key(avoid)) continue;
    const h = holder(n.a, ip);
    if (h && !NOT_UNDERLAY.test(h.itf.name)) return { who: k.name, itf: h.itf.name, address: h.addr.address, evidence: ev(h.addr, n.node, `${k.name}'s InternalIP ${ip} is on ${h.itf.name}`) };
  }
  return undefined;
}

/** Without a usable InternalIP: the node's one other underlay address of the family (VirtualBox's host-only NIC beside the NAT one). */
function otherNic(n: BundleNode, avoid: string): NicHint | undefined {
  const fam = parseIp(avoid)?.family;
  const others = addressesOf(n.a).filter((x) => !NOT_UNDERLAY.test(x.itf.name) && x.addr.family === fam && key(x.addr.address) !== key(avoid));
  const itfs = [...new Set(others.map((x) => x.itf.name))];
  if (itfs.length !== 1) return undefined;
  const x = others[0];
  return { who: n.node, itf: x.itf.name, address: x.addr.address, evidence: ev(x.addr, n.node, `${n.node}'s other interface: ${x.itf.name} ${x.addr.address}`) };
}

function remedyFor(involved: BundleNode[], hints: NicHint[], nodeNames: string[], nodeIpToo: NicHint[], ns: BundleNode[]): Remedy {
  // pods' logs of a cluster-wide collection speak for nodes the bundle does not hold: then every bundle node's artifacts
  const pool = involved.length ? involved : ns;
  const host = pool.find((n) => flannelRunner(n.node, n.a).evidence.length > 0) ?? pool[0];
  const runner = host ? flannelRunner(host.node, host.a) : undefined;
  const name = runner?.name ?? 'the kube-flannel pod';
  const nics = [...new Set(hints.map((h) => h.itf))];
  const nicText = nics.length ? nics.join(' / ') : 'the interface on the network the nodes share (the one holding each node\'s InternalIP)';
  const findNic = ['# on each node: the interface whose address the other nodes reach (not the NAT / default-route one)', 'ip -4 -br addr show'];
  const commands: string[] = [];
  let summary: string;
  const k3sUnit = /^k3s/.test(name) ? name : undefined;
  if (k3sUnit || name === 'the canal pod' || name === 'microk8s.daemon-flanneld') {
    const perNode = nodeNames.map((who) => ({ who, nic: hints.find((h) => h.who === who)?.itf }));
    if (k3sUnit) {
      summary = `k3s runs flannel in-process: set flannel-iface to ${nicText} in /etc/rancher/k3s/config.yaml on each node (k3s then also takes that interface's address as node-ip unless node-ip is set) and restart k3s there, so flannel publishes that address again.`;
      for (const p of perNode) {
        if (!p.nic) continue;
        commands.push(`# on ${p.who}`, 'mkdir -p /etc/rancher/k3s', `grep -q '^flannel-iface:' /etc/rancher/k3s/config.yaml 2>/dev/null || echo 'flannel-iface: ${p.nic}' >> /etc/rancher/k3s/config.yaml   # an existing flannel-iface line: change it by hand`, `systemctl restart ${k3sUnit}   # k3s-agent on agents`);
      }
      if (commands.length === 0) commands.push(...findNic, "# then, on each node: add `flannel-iface: <that interface>` to /etc/rancher/k3s/config.yaml and restart k3s (k3s-agent on agents)");
    } else if (name === 'the canal pod') {
      const nic = nics.length === 1 ? nics[0] : undefined;
      summary = `RKE2 runs flannel in its canal pods: set the rke2-canal chart's flannel.iface to ${nicText} with a HelmChartConfig, then restart the canal DaemonSet so flannel publishes that address.`;
      const write = (i: string) => `test -e /var/lib/rancher/rke2/server/manifests/rke2-canal-config.yaml || printf 'apiVersion: helm.cattle.io/v1\\nkind: HelmChartConfig\\nmetadata:\\n  name: rke2-canal\\n  namespace: kube-system\\nspec:\\n  valuesContent: |-\\n    flannel:\\n      iface: "${i}"\\n' > /var/lib/rancher/rke2/server/manifests/rke2-canal-config.yaml`;
      if (nic) commands.push('# on a server node; if the file exists, add flannel.iface under its valuesContent instead', write(nic), 'kubectl -n kube-system rollout restart ds rke2-canal');
      else commands.push(...findNic, `# then, on a server node, with that interface's name in place of IFACE: ${write('IFACE')}`, '# and: kubectl -n kube-system rollout restart ds rke2-canal');
    } else {
      summary = `MicroK8s runs flanneld as a snap service: add --iface=${nicText} to its arguments on each node and restart it.`;
      for (const p of perNode) {
        if (!p.nic) continue;
        commands.push(`# on ${p.who}`, `grep -q -- '^--iface' /var/snap/microk8s/current/args/flanneld || echo '--iface=${p.nic}' >> /var/snap/microk8s/current/args/flanneld`, 'snap restart microk8s.daemon-flanneld');
      }
      if (commands.length === 0) commands.push(...findNic, '# then add --iface=<that interface> to /var/snap/microk8s/current/args/flanneld and: snap restart microk8s.daemon-flanneld');
    }
  } else {
    const pod = pool.map((n) => flannelPod(n.a.logs)).find((p) => p?.namespace);
    const nsName = pod?.namespace ?? 'kube-flannel';
    const where = pod?.namespace ? '' : '   # kube-system and kube-flannel-ds-amd64 in older manifests';
    summary = `Tell flannel which interface to use: add --iface=${nicText} to the kube-flannel DaemonSet's args (flannel tries each --iface in turn; --iface-regex matches names or addresses), then let the DaemonSet recreate its pods so each node republishes its public-ip.`;
    const patch = (nicList: string[]) => `kubectl -n ${nsName} patch daemonset kube-flannel-ds --type=json -p '[${nicList.map((nic) => `{"op":"add","path":"/spec/template/spec/containers/0/args/-","value":"--iface=${nic}"}`).join(',')}]'`;
    if (nics.length) commands.push(`${patch(nics)}${where}`);
    else commands.push(...findNic, `# then, with that interface's name in place of IFACE: ${patch(['IFACE'])}${where}`);
    commands.push(`kubectl -n ${nsName} rollout status daemonset kube-flannel-ds   # an OnDelete DaemonSet: kubectl -n ${nsName} delete pod -l app=flannel`);
  }
  if (nodeIpToo.length) {
    summary += ` kubelet registered the same shared address as its InternalIP: give kubelet --node-ip too (${nodeIpToo.map((h) => `${h.who}: ${h.address}`).join(', ')}).`;
    for (const h of nodeIpToo)
      commands.push(k3sUnit ? `# on ${h.who}: node-ip: ${h.address} in /etc/rancher/k3s/config.yaml (flannel-iface sets it when node-ip is unset), then restart k3s` : `# on ${h.who}: --node-ip=${h.address} in KUBELET_EXTRA_ARGS (/etc/default/kubelet or /etc/sysconfig/kubelet), then: systemctl restart kubelet`);
  }
  commands.push(`kubectl get nodes -o custom-columns=NAME:.metadata.name,PUBLIC-IP:.metadata.annotations.flannel\\.alpha\\.coreos\\.com/public-ip,INTERNAL-IP:.status.addresses[0].address   # every PUBLIC-IP distinct, on the nodes' shared network`);
  return {
    summary,
    commands,
    caution: `Restarting ${name} interrupts pod networking on each node briefly; until every node has republished, traffic between fixed and unfixed nodes can still fail.${runner && !runner.inProcess && name !== 'the canal pod' && name !== 'microk8s.daemon-flanneld' ? ' The DaemonSet\'s --iface applies to every node: flannel stops on a node that has none of the named interfaces, so list each node\'s name (or use --iface-regex) where they differ.' : ''}`,
  };
}

export default defineAnalyzer({
  id: 'flannel.public-ip-wrong',
  title: 'flannel publishes the wrong address for a node',
  description: "Several nodes publish the same flannel public-ip (VirtualBox's NAT 10.0.2.15), a node's flannel VXLAN entries point at its own address, or flannel chose another interface than the one holding the node's InternalIP.",
  scope: 'cluster',
  minNodes: 1,
  requires: [],
  requiresOneOf: ['kubeNodes', 'bridgeFdb', 'logs'],
  optional: [...new Set(['kubeNodes', 'bridgeFdb', 'ipAddr', ...NODE_SERVICE_KINDS] as const)],
  analyze({ nodes }) {
    const ns: BundleNode[] = nodes.map((n) => ({ node: n.node, a: n.artifacts as NodeArtifacts }));
    const kube = kubeNodesOf(ns);
    const logs = logClaims(ns);
    const annotated = kube.filter((k) => k.flannel.publicIp || k.flannel.publicIpv6);
    const findings: FindingDraft[] = [];

    // ---- the same address published by several nodes ----
    const groups = new Map<string, { address: string; annotations: Claim[]; logs: LogClaim[]; fdb: { node: string; evidence: Evidence[] }[] }>();
    const group = (address: string) => {
      const k = key(address);
      let g = groups.get(k);
      if (!g) groups.set(k, (g = { address, annotations: [], logs: [], fdb: [] }));
      return g;
    };
    // a nameless Node object (a grep of annotations) may be a named one's copy: it does not count as another node
    for (const k of kube.filter((x) => x.name))
      for (const p of [k.flannel.publicIp, k.flannel.publicIpv6])
        if (p) group(p.value).annotations.push({ who: k.name, address: p.value, evidence: [ev(p, bundleNodeFor(k, ns, kube)?.node, `${k.name}'s flannel public-ip`)] });
    for (const c of logs) group(c.address).logs.push(c);
    for (const n of ns)
      for (const s of selfDestinations(n))
        group(s.address).fdb.push({
          node: n.node,
          evidence: [ev(s.held.addr, n.node, `${s.address} is ${n.node}'s own address (${s.held.itf.name})`), ...s.entries.map((e) => ev(e, n.node, `${n.node}'s flannel sends VXLAN for ${e.mac} to ${e.dst}: itself`))],
        });
    const reported = new Set<string>();
    for (const [k, g] of groups) {
      const annNames = [...new Set(g.annotations.map((c) => c.who))];
      // the annotations are the current state; without them, flannel's newest start-up line per publisher
      const logWho = annotated.length ? [] : [...new Set(g.logs.map((c) => c.who))];
      if (annNames.length < 2 && logWho.length < 2 && g.fdb.length === 0) continue;
      reported.add(k);
      const names = [...new Set([...annNames, ...logWho, ...g.fdb.map((f) => f.node)])];
      const involvedKube = kube.filter((x) => names.includes(x.name));
      const involved = [...new Set([...involvedKube.map((x) => bundleNodeFor(x, ns, kube)), ...ns.filter((n) => names.includes(n.node))].filter((x): x is BundleNode => !!x))];
      const hints: NicHint[] = [];
      const nodeIpToo: NicHint[] = [];
      for (const x of involvedKube) {
        const n = bundleNodeFor(x, ns, kube);
        const h = nicHint(x, n, g.address) ?? (n ? otherNic(n, g.address) : undefined);
        if (h) hints.push({ ...h, who: x.name });
        if (h && x.internalIps.some((ip) => key(ip) === k)) nodeIpToo.push({ ...h, who: x.name });
      }
      for (const n of involved) if (!hints.some((h) => h.who === n.node) && !involvedKube.some((x) => bundleNodeFor(x, ns, kube) === n)) {
        const h = otherNic(n, g.address);
        if (h) hints.push(h);
      }
      const vbox = key(g.address) === key(VBOX_NAT);
      const evidence = [
        ...g.annotations.flatMap((c) => c.evidence),
        ...g.logs.flatMap((c) => c.evidence),
        ...g.fdb.flatMap((f) => f.evidence),
        ...hints.map((h) => h.evidence),
      ];
      const who = names.length >= 2 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)} all publish ${g.address}` : `${names[0]}'s flannel sends VXLAN for its peers to ${g.address}, its own address: a peer published the same address`;
      const sources = [annNames.length >= 2 ? 'their flannel.alpha.coreos.com/public-ip annotations' : '', logWho.length >= 2 ? "flannel's start-up lines" : '', g.fdb.length ? `the fdb of ${g.fdb.map((f) => f.node).join(', ')}` : ''].filter(Boolean);
      findings.push({
        severity: 'critical',
        title: `Several nodes publish the same flannel address ${g.address}`,
        message:
          `${who} as their flannel public IP (${sources.join('; ')}). Each node sends the VXLAN frames (host-gw: the routed packets) for its peers' pods to ${g.address}, which is its own address, so pod traffic between nodes is lost` +
          (vbox ? `. ${g.address} is VirtualBox's NAT address, the same on every VM: flannel took the NAT interface of the default route instead of the host-only one` : ': flannel took the same-addressed interface of the default route on every node') +
          (hints.length ? `. The nodes' shared network is on ${[...new Set(hints.map((h) => h.itf))].join(' / ')} (${hints.map((h) => `${h.who}: ${h.address}`).join(', ')}).` : '.'),
        impact: 'Pods on different nodes cannot reach each other; Services whose endpoints are on another node time out.',
        nodes: names,
        evidence,
        facts: { address: g.address, nodes: names, virtualBoxNat: vbox, interfaces: [...new Set(hints.map((h) => h.itf))], ...(nodeIpToo.length ? { internalIpShared: true } : {}) },
        remedy: remedyFor(involved, hints, names, nodeIpToo, ns),
      });
    }

    // ---- flannel on another NIC than kubelet ----
    for (const k of kube) {
      const n = bundleNodeFor(k, ns, kube);
      if (!n || k.internalIps.length === 0) continue;
      const log = logs.find((c) => c.bundleNode === n.node);
      const pub: { address: string; evidence: Evidence[] } | undefined = k.flannel.publicIp ? { address: k.flannel.publicIp.value, evidence: [ev(k.flannel.publicIp, n.node, `${k.name}'s flannel public-ip`)] } : log && parseIp(log.address)?.family === 4 ? { address: log.address, evidence: log.evidence } : undefined;
      if (!pub || reported.has(key(pub.address))) continue;
      if (k.internalIps.some((ip) => key(ip) === key(pub.address))) continue;
      const pubHeld = holder(n.a, pub.address);
      const hint = nicHint(k, n, pub.address);
      if (!pubHeld || !hint || pubHeld.itf.name === hint.itf) continue;
      if (deliberate(n, k, log)) continue;
      // VirtualBox's NAT address: unreachable from every other VM; a cluster of one has no peer to lose
      const vbox = key(pub.address) === key(VBOX_NAT) && kube.length > 1;
      const logLine = log && key(log.address) === key(pub.address) ? log.evidence : [];
      findings.push({
        severity: vbox ? 'critical' : 'warning',
        title: `flannel on ${k.name} uses ${pubHeld.itf.name}, not the interface of its InternalIP (${hint.itf})`,
        message:
          `flannel publishes ${pub.address} (${pubHeld.itf.name}) as ${k.name}'s public IP, but kubelet registered ${hint.address} (${hint.itf}) as its InternalIP. Peers send their VXLAN (host-gw: route their pod traffic) for ${k.name}'s pods to ${pub.address}, over the network of ${pubHeld.itf.name}, not the one the nodes were joined on` +
          (vbox ? `: ${pub.address} is VirtualBox's NAT address, the same on every VM and unreachable from the others, so pod traffic to ${k.name} is lost.` : '; where that network is firewalled (UDP 8472), unrouted between the nodes, or metered, pod traffic to this node fails or takes the wrong path.') +
          (log?.defaulted ? ` flannel's log shows it was given no interface and took the default route's.` : ''),
        impact: vbox ? `Pods on other nodes cannot reach pods on ${k.name}.` : `Cross-node pod traffic to ${k.name} depends on ${pubHeld.itf.name}'s network, not the cluster's.`,
        nodes: [k.name],
        evidence: [...pub.evidence, ...logLine.filter((e) => !pub.evidence.includes(e)), ev(pubHeld.addr, n.node, `${pub.address} is on ${pubHeld.itf.name}`), hint.evidence],
        facts: { node: k.name, publicIp: pub.address, publicInterface: pubHeld.itf.name, internalIp: hint.address, internalInterface: hint.itf },
        remedy: remedyFor([n], [hint], [k.name], [], ns),
      });
    }
    return findings;
  },
});
