/**
 * flannel.vtep-mac-stale (cluster): flannel.1's (or flannel-v6.1's) MAC on node A is not the VTEP MAC the
 * rest of the cluster uses for A: a peer B's PERMANENT neighbour entry for A's flannel address, B's fdb
 * entries toward A's public IP, or A's own node annotation (flannel.alpha.coreos.com/backend-data VtepMAC)
 * name another MAC; or, where B's tables are not in the bundle, the last `adding subnet: <A's subnet> ... VtepMAC: <mac>`
 * line B's flanneld logged (a warning: it tells what B programmed then; flannel-io/flannel#1473). Peers then send A VXLAN frames for a MAC A does not own and A drops them: cross-node
 * pod traffic to A is dead (flannel-io/flannel#1155, #1330, #1795; k3s-io/k3s#9957 for flannel-v6.1).
 *
 * flannel.vtep-mac-policy (node, warning): the cause. systemd >= 242 applies the first matching .link
 * file's MACAddressPolicy (99-default.link: persistent) to virtual devices too, and rewrites flannel.1's
 * MAC after flannel published it. Warned when a node runs flannel VXLAN and the .link udev applies to
 * flannel.1 sets MACAddressPolicy=persistent or random (no earlier .link for flannel* with
 * MACAddressPolicy=none). flannel >= v0.15.1 (PR #1485; k3s backported it with flannel v0.14.1) sets the
 * MAC when it creates the link; #1795 shows it could still happen with v0.22.1 under
 * MACAddressPolicy=random (fixed by #1796), and flannel-v6.1 kept changing MAC until v0.25.2 (#1946).
 *
 * The artifacts ipNeigh, bridgeFdb, systemdLink and kubeNodes are read through `Extra` until they are
 * wired into ArtifactMap: once they are, add them to `optional` (pick() passes only declared kinds).
 */
import { defineAnalyzer, type FindingDraft, type Partly } from '../src/engine/analyzer.js';
import type { LogMatch } from '../src/logs/index.js';
import type { NodeArtifacts } from '../src/engine/artifacts.js';
import type { Evidence, Remedy } from '../src/report/schema.js';
import { addressIn, parseIp } from '../src/parsers/cidr.js';
import type { Interface, InterfaceList } from '../src/parsers/interfaces.js';
import type { IpNeighList, NeighEntry } from '../src/parsers/ip-neigh.js';
import type { BridgeFdbList, FdbEntry } from '../src/parsers/bridge-fdb.js';
import { effectiveLink, macAddressPolicy, type SystemdLinkFile } from '../src/parsers/systemd-link.js';
import type { KubeNode, KubeNodeList, Located } from '../src/parsers/kube-nodes.js';
import { flannelRunner } from './lib/flannel.js';
import { nodeForCommands } from './lib/node-services.js';

/** The kinds this analyzer reads that ArtifactMap does not have yet. */
export interface Extra {
  ipNeigh?: IpNeighList[];
  bridgeFdb?: BridgeFdbList[];
  systemdLink?: SystemdLinkFile[];
  kubeNodes?: KubeNodeList[];
}

type Arts = NodeArtifacts & Extra;

const DEVS = [
  { dev: 'flannel.1', family: 4 as const },
  { dev: 'flannel-v6.1', family: 6 as const },
];

/** Devices that never carry a node's public (underlay) address. */
const NOT_UNDERLAY = /^(lo|flannel[.-].*|cni\d*|cbr0|docker\d+|br-[0-9a-f]+|veth.*|cali.*|kube-ipvs0|kube-bridge|tunl\d+|vxlan\.calico|cilium.*|weave|virbr\d+)$/;

interface Vtep {
  node: string;
  dev: string;
  family: 4 | 6;
  mac: string;
  itf: Interface;
  /** the line of `link/ether <mac>` (the header's next line in ip output; the header itself in ifconfig) */
  macEvidence: Evidence;
  /** the device's own non-link-local addresses (flannel.1: the subnet's network address) */
  addresses: string[];
  /** where peers send VXLAN to: vxlan `local` where ip -d shows it, else the node's underlay addresses */
  publicIps: string[];
}

function same(a: string, b: string): boolean {
  if (a === b) return true;
  const x = parseIp(a);
  const y = parseIp(b);
  return !!x && !!y && x.family === y.family && x.value === y.value;
}

function vtepsOf(node: string, a: Arts): Vtep[] {
  const lists = a.ipAddr ?? [];
  const out: Vtep[] = [];
  for (const { dev, family } of DEVS) {
    let found: { itf: Interface; list: InterfaceList } | undefined;
    for (const list of lists) {
      const itf = list.interfaces.find((i) => i.name === dev && i.mac);
      if (itf) {
        found = { itf, list };
        break;
      }
    }
    if (!found) continue;
    const { itf, list } = found;
    const mac = itf.mac!.toLowerCase();
    const addrs = lists.flatMap((l) => l.interfaces.filter((i) => i.name === dev).flatMap((i) => i.addresses)).filter((x) => x.family === family && !x.address.toLowerCase().startsWith('fe80:'));
    const underlay = lists.flatMap((l) => l.interfaces.filter((i) => !NOT_UNDERLAY.test(i.name)).flatMap((i) => i.addresses)).filter((x) => x.family === family && x.scope !== 'link' && x.scope !== 'host').map((x) => x.address);
    const vx = lists.flatMap((l) => l.interfaces.filter((i) => i.name === dev && i.vxlan?.local)).map((i) => i.vxlan!.local!)[0];
    out.push({
      node,
      dev,
      family,
      mac,
      itf,
      macEvidence: { file: itf.ref.file, line: list.format === 'ip' ? itf.ref.line + 1 : itf.ref.line, excerpt: `link/ether ${itf.mac}`, node, note: `${dev}'s MAC on ${node} now` },
      addresses: [...new Set(addrs.map((x) => x.address))],
      publicIps: vx ? [vx, ...underlay.filter((u) => !same(u, vx))] : [...new Set(underlay)],
    });
  }
  return out;
}

/** flanneld's lines (src/logs/signatures-flannel-vtep.ts): what it programs for a peer's subnet */
const SUBNET_SIG = 'log.flannel-subnet-vtep';
const CALL_SIG = 'log.flannel-vtep-neigh-call';

/** One subnet flanneld on `node` programmed (or removed), from its log: the last such line per subnet is the state. */
interface Programmed {
  /** whose flanneld wrote the line */
  node: string;
  family: 4 | 6;
  /** from `adding subnet: <cidr>`; absent for a bare `calling AddARP` */
  subnet?: string;
  /** the subnet's network address: flannel's neighbour entry for the peer (its flannel.1 address) */
  address: string;
  /** as logged: an address, or what a paste left of it (`<redacted>`) */
  publicIp?: string;
  mac: string;
  op: 'add' | 'remove';
  match: LogMatch;
  /** the AddARP / AddFDB lines right after it naming the same MAC */
  support: LogMatch[];
}

/** The subnets each node's flanneld programs now (last line per subnet, removed ones dropped), and whether its log was cut. */
function programmedBy(node: string, a: Arts): { current: Programmed[]; capped: boolean } {
  const all: Programmed[] = [];
  let capped = false;
  let anyTimeless = false;
  for (const l of a.logs ?? []) {
    const kept = (id: string) => l.matches.filter((m) => m.signature === id).length;
    if ((l.counts[SUBNET_SIG] ?? 0) > kept(SUBNET_SIG) || (l.counts[CALL_SIG] ?? 0) > kept(CALL_SIG)) capped = true;
    let last: Programmed | undefined;
    for (const m of [...l.matches].filter((x) => x.signature === SUBNET_SIG || x.signature === CALL_SIG).sort((x, y) => x.line - y.line)) {
      const mac = m.facts.mac?.toLowerCase();
      if (!mac) continue;
      if (!m.timestamp) anyTimeless = true;
      if (m.signature === SUBNET_SIG) {
        const subnet = m.facts.subnet;
        if (!subnet) continue;
        const family = m.facts.v6 || subnet.includes(':') ? 6 : 4;
        last = { node, family, subnet, address: subnet.split('/')[0], ...(m.facts.publicIp ? { publicIp: m.facts.publicIp } : {}), mac, op: /^removing$/i.test(m.facts.op ?? '') ? 'remove' : 'add', match: m, support: [] };
        all.push(last);
        continue;
      }
      // a device call right after its subnet line, with the same MAC: more evidence for it
      if (last && last.match.file === m.file && m.line > last.match.line && m.line - last.match.line <= 4 && last.mac === mac) {
        last.support.push(m);
        continue;
      }
      // a bare AddARP / DelARP (a log that keeps V(4) lines but not the V(2) subnet line): the peer's flannel address -> MAC
      const call = m.facts.call ?? '';
      const ip = m.facts.ip;
      if (!/ARP$/.test(call) || !ip || !parseIp(ip)) continue;
      all.push({ node, family: call.includes('V6') || ip.includes(':') ? 6 : 4, address: ip, mac, op: call.startsWith('Del') ? 'remove' : 'add', match: m, support: [] });
      last = undefined;
    }
  }
  // the last line per subnet wins: by time where every line has one, else in the order the logs were read
  const ordered = anyTimeless ? all : [...all].sort((x, y) => x.match.timestamp!.epochMs - y.match.timestamp!.epochMs);
  const byKey = new Map<string, Programmed>();
  for (const p of ordered) {
    const ip = parseIp(p.address);
    byKey.set(`${p.family}|${ip ? ip.value : p.address}`, p);
  }
  return { current: [...byKey.values()].filter((p) => p.op === 'add'), capped };
}

/** How a programmed subnet was tied to a node of the bundle. */
type OwnedHow = 'address' | 'public-ip' | 'pod-cidr' | 'mac' | 'elimination';

function holdsAddress(v: Vtep, p: Programmed): boolean {
  return v.addresses.some((x) => (p.subnet ? addressIn(x, p.subnet) : same(x, p.address)));
}

/**
 * The flannel device each programmed subnet belongs to: the node whose flannel.1 address is in it, whose
 * public IP flannel logged, whose Node object has it as podCIDR, whose flannel.1 has the MAC; else, by
 * elimination, the one other node with a flannel.1 nothing else explains when exactly one subnet is left.
 */
function ownersOf(progs: Programmed[], vteps: Vtep[], kube: KubeNode[]): { owned: Map<Programmed, { v: Vtep; how: OwnedHow }>; unowned: Programmed[] } {
  const owned = new Map<Programmed, { v: Vtep; how: OwnedHow }>();
  const rules: [OwnedHow, (v: Vtep, p: Programmed) => boolean][] = [
    ['address', holdsAddress],
    ['public-ip', (v, p) => !!p.publicIp && !!parseIp(p.publicIp) && v.publicIps.some((x) => same(x, p.publicIp!))],
    ['pod-cidr', (v, p) => kube.some((k) => k.name === v.node && k.podCidrs.some((c) => addressIn(p.address, c)))],
    ['mac', (v, p) => v.mac === p.mac],
  ];
  for (const p of progs) {
    const peers = vteps.filter((v) => v.node !== p.node && v.family === p.family);
    for (const [how, test] of rules) {
      const hit = peers.filter((v) => test(v, p));
      if (hit.length === 1) {
        owned.set(p, { v: hit[0], how });
        break;
      }
    }
  }
  const left = progs.filter((p) => !owned.has(p));
  if (left.length === 1) {
    const p = left[0];
    const claimed = new Set([...owned.values()].map((o) => o.v));
    // a flannel.1 whose address the bundle shows outside the subnet, or whose node shows underlay addresses without the logged public IP, is not it
    const candidates = vteps.filter(
      (v) => v.node !== p.node && v.family === p.family && !claimed.has(v) && v.addresses.length === 0 && !(p.publicIp && parseIp(p.publicIp) && v.publicIps.length > 0 && !v.publicIps.some((x) => same(x, p.publicIp!))),
    );
    if (candidates.length === 1) owned.set(p, { v: candidates[0], how: 'elimination' });
  }
  return { owned, unowned: progs.filter((p) => !owned.has(p)) };
}

function logEv(m: LogMatch, node: string, note: string): Evidence {
  return { file: m.file, line: m.line, excerpt: m.excerpt, node, note };
}

/** The Node objects of the bundle (troubleshoot's nodes.json may be seen by several nodes: one copy each). */
function kubeNodesOf(nodes: { node: string; artifacts: Arts }[]): (KubeNode & { owner: string })[] {
  const seen = new Set<string>();
  const out: (KubeNode & { owner: string })[] = [];
  for (const n of nodes)
    for (const l of n.artifacts.kubeNodes ?? [])
      for (const k of l.nodes) {
        const key = `${k.name}|${k.ref.file}|${k.ref.line}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ ...k, owner: n.node });
      }
  return out;
}

/** The Node object that is this bundle node: same name, its flannel address in the podCIDR, or its public-ip on the node. */
function nodeObjectFor(v: Vtep, all: (KubeNode & { owner: string })[], allAddresses: string[]): KubeNode | undefined {
  const byName = all.filter((k) => k.name && k.name === v.node);
  if (byName.length === 1) return byName[0];
  // a grep of one node's annotations (`kubectl get node X -o yaml | grep Vtep`) filed beside its ip addr: that node's
  const nameless = all.filter((k) => !k.name && k.owner === v.node);
  if (nameless.length === 1 && all.filter((k) => k.owner === v.node).length === 1) return nameless[0];
  const byCidr = all.filter((k) => k.podCidrs.some((c) => v.addresses.some((a) => addressIn(a, c))));
  if (byCidr.length === 1) return byCidr[0];
  const byIp = all.filter((k) => {
    const pub = v.family === 4 ? k.flannel.publicIp?.value : k.flannel.publicIpv6?.value;
    return pub !== undefined && allAddresses.some((a) => same(a, pub));
  });
  return byIp.length === 1 ? byIp[0] : undefined;
}

function ev(e: { ref: { file: string; line: number }; excerpt: string }, node: string, note: string): Evidence {
  return { file: e.ref.file, line: e.ref.line, excerpt: e.excerpt, node, note };
}

const LINK_FILE = "printf '[Match]\\nOriginalName=flannel*\\n\\n[Link]\\nMACAddressPolicy=none\\n' > /etc/systemd/network/50-flannel.link";

function linkFix(): string[] {
  return ['mkdir -p /etc/systemd/network', `${LINK_FILE}   # udev then leaves flannel.* MACs alone (rke#2270, Flatcar coreos-overlay#282)`, 'udevadm control --reload'];
}

/** Why flannel.1's MAC changed: the .link policy the bundle shows, or the known cause where it shows none. */
function causeSentence(policy: { sentence: string } | undefined, a: Arts, dev: string): string {
  if (policy) return ` ${policy.sentence}`;
  if ((a.systemdLink ?? []).length > 0)
    return ` The .link files in the bundle do not give ${dev} MACAddressPolicy=persistent or random, so systemd's MAC policy (the known cause, flannel-io/flannel#1155) does not explain it; ${dev} may have been deleted and created again after flannel published its MAC.`;
  return ` One known cause: systemd (>= 242) rewrites the MAC after flannel published it (MACAddressPolicy in a .link file; flannel-io/flannel#1155); the bundle has no .link files to tell whether it applies here.`;
}

/** What a log-only holder's line means, and how the subnet was tied to the node. */
function logSentence(l: { node: string; p: Programmed; how: OwnedHow }, v: Vtep, all: Programmed[]): string {
  const at = `${l.p.match.file} line ${l.p.match.line}`;
  const what = l.p.subnet ?? l.p.address;
  const tie: Record<OwnedHow, string> = {
    address: `${v.node}'s ${v.dev} address is in ${what}`,
    'public-ip': `flannel logged ${v.node}'s address ${l.p.publicIp} as the subnet's public IP`,
    'pod-cidr': `${what} is ${v.node}'s podCIDR`,
    mac: `the MACs agree`,
    elimination: `the bundle does not show ${v.node}'s ${v.dev} address: ${v.node} is taken for the holder of ${what} because it is the only other node with a ${v.dev} in the bundle, and ${what} the only subnet ${l.node}'s flanneld programs${all.length > 1 ? ' that no other node of the bundle explains' : ''}`,
  };
  return `${l.node}'s flanneld last programmed ${what} with VtepMAC ${l.p.mac} (${at}; ${tie[l.how]}). The line tells what flanneld wrote then; ${l.node}'s own neighbour and fdb tables are not in the bundle to show whether it still holds.`;
}

/** A peer that holds the stale MAC: restarting its flannel makes it program the peers' leases again. */
interface Holder {
  node: string;
  /** the name commands take (`<NODE>` where the bundle names no host) */
  command: string;
  artifacts: Arts;
}

/** `commandNode`: v.node in commands, `<NODE>` where the bundle does not show the host's name (nodeForCommands) */
function staleRemedy(v: Vtep, a: Arts, published?: boolean, commandNode = v.node, holders: Holder[] = []): Remedy {
  const runner = flannelRunner(commandNode, a);
  const peers = holders.map((h) => ({ h, r: flannelRunner(h.command, h.artifacts) }));
  const peerText = peers.length ? ` Then restart ${peers.map(({ h, r }) => `${r.name} on ${h.node}`).join(' and ')} so it programs ${v.node}'s MAC again (restarting flannel on both nodes is the fix confirmed in flannel-io/flannel#1473).` : ` The peers' flannel then rewrites their neighbour and fdb entries${published ? '' : ' (check with the kubectl command)'}.`;
  return {
    summary: `Restart ${runner.name} on ${v.node} so flannel publishes ${v.dev}'s current MAC ${v.mac} as its VtepMAC again.${peerText} Before that, add a .link that keeps udev off flannel's devices so the MAC does not change again at the next boot; and if flannel is older than v0.15.1 (the bundle does not show its version), upgrade it: v0.15.1 sets the MAC itself when it creates the device (k3s/RKE2: a release with it; flannel-v6.1: flannel v0.25.2, k3s v1.30.1 / v1.29.5 / v1.28.10).`,
    commands: [
      `# on ${v.node}`,
      ...linkFix(),
      ...runner.restart,
      `kubectl get node ${commandNode} -o jsonpath='{.metadata.annotations.flannel\\.alpha\\.coreos\\.com/backend${v.family === 6 ? '-v6' : ''}-data}'   # must show "VtepMAC":"${v.mac}"`,
      ...peers.flatMap(({ h, r }) => [`# then on ${h.node}`, ...r.restart]),
      `# on every other node: the entry for ${v.node} must carry ${v.mac}`,
      `ip ${v.family === 6 ? '-6 ' : ''}neigh show dev ${v.dev}`,
      `bridge fdb show dev ${v.dev}`,
    ],
    caution: `Restarting ${runner.name} briefly interrupts pod networking on ${v.node}${runner.inProcess ? ' (k3s restarts its embedded components; running pods keep running)' : ''}${peers.length ? `; restarting flannel on ${peers.map(({ h }) => h.node).join(', ')} does the same there` : ''}.`,
  };
}

export default defineAnalyzer({
  id: 'flannel.vtep-mac-stale',
  title: "Peers hold a stale flannel VTEP MAC for a node",
  description: "flannel.1's MAC differs from the MAC other nodes (neighbour / fdb entries, their flanneld's \"adding subnet\" log lines) or the node's flannel annotation hold for it; or systemd's .link MACAddressPolicy will change it.",
  scope: 'cluster',
  minNodes: 1,
  requires: [],
  // a node's flannel.1 MAC, what its peers hold for it (tables, annotation, flanneld's log), or the .link policy: without any of them nothing to compare
  requiresOneOf: ['ipAddr', 'ipNeigh', 'bridgeFdb', 'kubeNodes', 'systemdLink', 'logs'],
  optional: ['ipAddr', 'ipNeigh', 'bridgeFdb', 'systemdLink', 'kubeNodes', 'flannelNetConf', 'flannelSubnetEnv', 'logs', 'services', 'dockerDaemon', 'distributionHint'],
  analyze(input) {
    const { nodes } = input;
    const partly: Partly | undefined = input.partly;
    const ns = nodes.map((n) => ({ node: n.node, ...(n.nodeNameNotHost ? { nodeNameNotHost: true } : {}), artifacts: n.artifacts as unknown as Arts }));
    const findings: FindingDraft[] = [];
    const kube = kubeNodesOf(ns);
    const stale = new Set<string>();
    const vteps = ns.flatMap((n) => vtepsOf(n.node, n.artifacts));
    // what each node's flanneld programs for its peers (its own log), tied to the peers' flannel devices
    const logOwned = new Map<Programmed, { v: Vtep; how: OwnedHow }>();
    const unowned: Programmed[] = [];
    const cappedLogs: string[] = [];
    /** per node: every subnet its flanneld programs now (for the elimination wording) */
    const programsOf = new Map<string, Programmed[]>();
    for (const B of ns) {
      const { current, capped } = programmedBy(B.node, B.artifacts);
      // a log cut at the scanner's match limit may have lost the later line that replaced a stale one: not used
      if (capped) {
        cappedLogs.push(B.node);
        continue;
      }
      programsOf.set(B.node, current);
      const { owned, unowned: left } = ownersOf(current, vteps, kube);
      for (const [p, o] of owned) logOwned.set(p, o);
      unowned.push(...left);
    }
    const compared = new Set<Vtep>();
    for (const A of ns) {
      const allAddresses = (A.artifacts.ipAddr ?? []).flatMap((l) => l.interfaces.flatMap((i) => i.addresses.map((x) => x.address)));
      for (const v of vteps.filter((x) => x.node === A.node)) {
        const evidence: Evidence[] = [v.macEvidence];
        const holders: string[] = [];
        /** holders whose stale MAC only their flanneld's log tells (no neighbour or fdb table of theirs toward A) */
        const logHolders: { node: string; p: Programmed; how: OwnedHow }[] = [];
        const wrongMacs = new Set<string>();
        // peers: PERMANENT neighbour entry for A's flannel address, fdb entries toward A's public IP
        for (const B of ns) {
          if (B.node === A.node) continue;
          const neigh: NeighEntry[] = (B.artifacts.ipNeigh ?? []).flatMap((l) => l.entries).filter((e) => e.dev === v.dev && e.lladdr && e.states.includes('PERMANENT') && v.addresses.some((x) => same(x, e.address)));
          const fdb: FdbEntry[] = v.publicIps.length ? (B.artifacts.bridgeFdb ?? []).flatMap((l) => l.entries).filter((e) => e.dev === v.dev && e.dst && e.mac !== '00:00:00:00:00:00' && v.publicIps.some((p) => same(p, e.dst!))) : [];
          if (neigh.length || fdb.length) compared.add(v);
          const badNeigh = neigh.filter((e) => e.lladdr !== v.mac);
          // fdb: stale when B has entries toward A but none with A's MAC (an extra old entry beside the right one is harmless)
          const badFdb = fdb.length > 0 && !fdb.some((e) => e.mac === v.mac) ? fdb : [];
          // B's flanneld log: what it last programmed for A's subnet. B's own tables, where the bundle has them, say what holds now.
          if (neigh.length === 0 && fdb.length === 0) {
            const mine = [...logOwned].filter(([p, o]) => p.node === B.node && o.v === v);
            if (mine.length) compared.add(v);
            for (const [p, o] of mine) {
              if (p.mac === v.mac) continue;
              holders.push(B.node);
              logHolders.push({ node: B.node, p, how: o.how });
              wrongMacs.add(p.mac);
              const what = p.subnet ? `${p.subnet}` : `${v.node}'s ${v.dev} address ${p.address}`;
              evidence.push(logEv(p.match, B.node, `${B.node}'s flanneld programs ${what} (${v.node}'s${o.how === 'elimination' ? ', by elimination' : ''}) with VtepMAC ${p.mac}, not ${v.mac}: the last such line in its log`));
              for (const m of p.support) evidence.push(logEv(m, B.node, `the ${m.facts.call ?? 'device'} entry it writes with ${p.mac}`));
            }
            continue;
          }
          if (badNeigh.length === 0 && badFdb.length === 0) continue;
          holders.push(B.node);
          for (const e of badNeigh) {
            wrongMacs.add(e.lladdr!);
            evidence.push(ev(e, B.node, `${B.node}'s neighbour entry for ${v.node}'s ${v.dev} address: ${e.lladdr}, not ${v.mac}`));
          }
          for (const e of badFdb) {
            wrongMacs.add(e.mac);
            evidence.push(ev(e, B.node, `${B.node}'s fdb entry toward ${v.node} (${e.dst}): ${e.mac}, not ${v.mac}`));
          }
        }
        // the node's own annotation: what flannel published for it
        const obj = kube.length ? nodeObjectFor(v, kube, allAddresses) : undefined;
        const published: Located | undefined = obj ? (v.family === 4 ? obj.flannel.vtepMac : obj.flannel.vtepMacV6) : undefined;
        if (published) compared.add(v);
        const badAnnotation = published && published.value !== v.mac ? published : undefined;
        if (badAnnotation) {
          wrongMacs.add(badAnnotation.value);
          evidence.push(ev(badAnnotation, v.node, `the VtepMAC flannel published for ${obj!.name || v.node} (node annotation): ${badAnnotation.value}, not ${v.mac}`));
        }
        if (holders.length === 0 && !badAnnotation) continue;
        stale.add(A.node);
        const tableHolders = holders.filter((h) => !logHolders.some((l) => l.node === h));
        const who = [
          ...tableHolders.map((h) => `${h}'s neighbour/fdb entries`),
          ...logHolders.map((l) => `the last "adding subnet" line of ${l.node}'s flanneld for it`),
          ...(badAnnotation ? [`${obj!.name || v.node}'s flannel annotation (backend${v.family === 6 ? '-v6' : ''}-data)`] : []),
        ];
        const policy = policyOn(A.node, A.artifacts, v.dev);
        if (policy) evidence.push(...policy.evidence);
        // the tables or the annotation show the stale MAC in force now: critical. A log line shows what flanneld
        // programmed when it wrote it, and the holder's tables are not in the bundle to show it still holds: warning.
        const onlyLog = tableHolders.length === 0 && !badAnnotation;
        findings.push({
          severity: onlyLog ? 'warning' : 'critical',
          title: `Peers hold a stale flannel VTEP MAC for ${v.node}`,
          message: `${v.dev} on ${v.node} has MAC ${v.mac}, but ${who.join(' and ')} name${who.length === 1 && logHolders.length === 1 ? 's' : ''} ${[...wrongMacs].join(', ')}. Peers address their VXLAN frames for ${v.node}'s pods to a MAC ${v.node} does not own, and it drops them: pod traffic from other nodes to ${v.node} fails.${logHolders.map((l) => ` ${logSentence(l, v, programsOf.get(l.node) ?? [])}`).join('')}${causeSentence(policy, A.artifacts, v.dev)}`,
          impact: `Cross-node pod traffic to ${v.node} is lost at layer 2${holders.length ? ` from ${holders.join(', ')}` : ' from every node that programmed the published MAC'}.`,
          nodes: [v.node, ...holders],
          evidence,
          facts: { device: v.dev, node: v.node, mac: v.mac, staleMacs: [...wrongMacs], holders, ...(logHolders.length ? { fromLog: logHolders.map((l) => ({ node: l.node, subnet: l.p.subnet ?? l.p.address, vtepMac: l.p.mac, tiedBy: l.how })) } : {}), ...(badAnnotation ? { publishedVtepMac: badAnnotation.value } : {}) },
          remedy: staleRemedy(
            v,
            A.artifacts,
            !!badAnnotation,
            nodeForCommands(nodes.find((n) => n.node === A.node)!).command,
            holders.map((h) => {
              const n = nodes.find((x) => x.node === h)!;
              return { node: h, command: nodeForCommands(n).command, artifacts: n.artifacts as unknown as Arts };
            }),
          ),
          related: ['flannel.vtep-mac-policy'],
        });
      }
    }
    // what could not be compared: said as "ran in part" (or "not run"), never a bare "ran" a reader takes for all clear
    if (partly) {
      const policyChecked = ns.some((n) => (n.artifacts.systemdLink ?? []).length > 0);
      const notRun = findings.length === 0 && !policyChecked ? 'not run: ' : '';
      for (const p of unowned) {
        const known = vteps.some((v) => v.mac === p.mac);
        if (known) continue;
        partly(
          vteps.some((v) => v.node !== p.node && v.family === p.family)
            ? `${p.node}'s flanneld programs ${p.subnet ?? p.address} with VtepMAC ${p.mac}, which no ${p.family === 6 ? 'flannel-v6.1' : 'flannel.1'} in the bundle has, and the bundle does not show which node holds that subnet (its ${p.family === 6 ? 'flannel-v6.1' : 'flannel.1'} address or public IP)`
            : `${notRun}${p.node}'s flanneld programs ${p.subnet ?? p.address} with VtepMAC ${p.mac}, but no other node's ${p.family === 6 ? 'flannel-v6.1' : 'flannel.1'} MAC is in the bundle to compare it with`,
          ['ipAddr'],
        );
      }
      const alone = vteps.filter((v) => !compared.has(v));
      if (alone.length)
        partly(
          `${alone.length === vteps.length ? notRun : ''}nothing in the bundle says which MAC the other nodes use for ${alone.map((v) => `${v.dev} of ${v.node}`).join(', ')} (no peer's neighbour or fdb entries toward it, no flannel node annotation, no flanneld "adding subnet" line for its subnet)`,
          ['ipNeigh', 'bridgeFdb', 'kubeNodes'],
        );
      const programmed = [...programsOf.values()].some((x) => x.length > 0);
      // ip addr is what to collect only where the bundle has none: a host with ip addr and no flannel.1 runs no flannel VXLAN
      const noIpAddr = ns.every((n) => (n.artifacts.ipAddr ?? []).length === 0);
      if (vteps.length === 0 && !programmed && !policyChecked) partly('not run: no flannel.1 or flannel-v6.1 MAC and no flanneld "adding subnet" line in the bundle', noIpAddr ? ['ipAddr'] : []);
      for (const n of cappedLogs) partly(`${n}'s flanneld log has more "adding subnet" lines than the log scanner keeps: a later line may have replaced what the kept ones say, so that log was not compared`);
    }
    // the cause on nodes where the MAC has not (visibly) gone stale: a .link that will rewrite it
    for (const N of ns) {
      if (stale.has(N.node)) continue;
      const flannelVxlan = runsFlannelVxlan(N.node, N.artifacts, kube);
      if (!flannelVxlan) continue;
      for (const dev of flannelVxlan.devs) {
        const policy = policyOn(N.node, N.artifacts, dev);
        if (!policy) continue;
        // persistent: flannel v0.15.1+ sets the MAC itself when it creates the link, so udev keeps it; only the
        // flannel versions before that (not read from the bundle), and flannel-v6.1 before v0.25.2, lose it. The
        // stock 99-default.link every systemd host ships says persistent: an info, not a warning (R8's N1).
        // random was seen again on v0.22.1 (#1795): a warning.
        const severity = policy.value === 'random' || dev === 'flannel-v6.1' ? ('warning' as const) : ('info' as const);
        findings.push({
          id: 'flannel.vtep-mac-policy',
          severity,
          title: `systemd may rewrite ${dev}'s MAC on ${N.node}`,
          message: `${N.node} runs flannel with the VXLAN backend, and ${policy.sentence} When flannel creates ${dev} (at boot, or after it was deleted), udev can change its MAC after flannel published it as its VtepMAC; peers then hold a stale MAC and cross-node pod traffic to ${N.node} dies (flannel-io/flannel#1155). flannel v0.15.1 and later set the MAC when they create the link (PR #1485), which avoids the race with MACAddressPolicy=persistent; with MACAddressPolicy=random it was seen again on v0.22.1 (#1795, fixed by #1796), and flannel-v6.1 changed MAC at every boot before flannel v0.25.2 (#1946). The flannel version is not read from the bundle, so this cannot tell whether the node's flannel has those fixes: a .link for flannel* is the safe fix either way.`,
          impact: `After the next reboot or flannel.1 re-creation, pods on other nodes may be unable to reach pods on ${N.node}.`,
          nodes: [N.node],
          evidence: [...flannelVxlan.evidence, ...policy.evidence],
          facts: { device: dev, link: policy.file, policy: policy.value },
          remedy: {
            summary: `Add /etc/systemd/network/50-flannel.link matching flannel* with MACAddressPolicy=none (sorted before ${policy.file}, so udev applies it to flannel's devices instead), reload udev, and restart flannel so it republishes the MAC its devices have.`,
            commands: [`# on ${N.node}`, ...linkFix(), ...flannelRunner(N, N.artifacts).restart],
            caution: 'The .link file only affects devices created after udev reloads it; restarting flannel interrupts pod networking on the node briefly.',
          },
        });
      }
    }
    return findings;
  },
});

/** The .link udev applies to the flannel device, when it sets MACAddressPolicy=persistent|random. */
function policyOn(node: string, a: Arts, dev: string): { file: string; value: string; evidence: Evidence[]; sentence: string } | undefined {
  const files = a.systemdLink ?? [];
  if (files.length === 0) return undefined;
  const m = effectiveLink(files, { name: dev, type: 'vxlan', kind: 'vxlan', driver: 'vxlan' });
  if (!m) return undefined;
  const p = macAddressPolicy(m.file);
  if (!p || !/^(persistent|random)$/.test(p.value)) return undefined;
  const evidence: Evidence[] = [
    ...m.because.map((s) => ({ file: s.ref.file, line: s.ref.line, excerpt: s.excerpt, node, note: `${m.file.name} matches ${dev}` })),
    { file: p.ref.file, line: p.ref.line, excerpt: p.excerpt, node, note: `the first .link matching ${dev}: udev applies this policy to it` },
  ];
  const matchAll = m.because.length === 0;
  const others = files.filter((f) => f.name !== m.file.name && !f.dropInFor && /flannel/i.test(f.match.map((x) => x.value).join(' ')));
  const sentence = `${m.file.name} is the first .link file that matches ${dev} (${matchAll ? 'it has no [Match] condition: every device' : m.because.map((s) => s.excerpt).join(', ')}) and sets ${p.excerpt}${others.length ? `; ${others.map((f) => f.name).join(', ')} sort after it and are never applied to ${dev}` : '; no .link for flannel* with MACAddressPolicy=none comes before it'}.${matchAll ? ' (Newer systemd ignores a .link without [Match] conditions; systemd 242, as in flannel#1155, applies it.)' : ''}${m.assumed.length ? ` Conditions not checked: ${m.assumed.map((s) => s.excerpt).join(', ')}.` : ''}`;
  return { file: m.file.name, value: p.value, evidence, sentence };
}

/** The node runs flannel with the VXLAN backend: a flannel.1 / flannel-v6.1 VXLAN device, net-conf Backend vxlan, or its annotation. */
function runsFlannelVxlan(node: string, a: Arts, kube: KubeNode[]): { devs: string[]; evidence: Evidence[] } | undefined {
  const evidence: Evidence[] = [];
  const devs = new Set<string>();
  for (const l of a.ipAddr ?? [])
    for (const i of l.interfaces)
      if (DEVS.some((d) => d.dev === i.name) && (i.kind === undefined || i.kind === 'vxlan')) {
        if (!devs.has(i.name)) evidence.push({ file: i.ref.file, line: i.ref.line, excerpt: `${i.name}${i.kind ? ` (${i.kind}${i.vxlan?.port ? ` dstport ${i.vxlan.port}` : ''})` : ''}`, node, note: `flannel's VXLAN device on ${node}` });
        devs.add(i.name);
      }
  const backend = (a.flannelNetConf ?? []).map((c) => c.backend).find((b) => b);
  if (backend && backend.value.toLowerCase() !== 'vxlan') return undefined; // host-gw, wireguard, ...: no VTEP MAC
  if (backend) {
    evidence.push({ file: backend.ref.file, line: backend.ref.line, excerpt: backend.excerpt, node, note: 'flannel backend' });
    devs.add('flannel.1');
  }
  const own = kube.find((k) => k.name === node);
  if (own?.flannel.backendType && own.flannel.backendType.value !== 'vxlan') return undefined;
  if (own?.flannel.backendType?.value === 'vxlan') {
    evidence.push(ev(own.flannel.backendType, node, 'flannel backend published for the node'));
    devs.add('flannel.1');
    if (own.flannel.vtepMacV6) devs.add('flannel-v6.1');
  }
  return devs.size ? { devs: [...devs].sort(), evidence } : undefined;
}
