/**
 * flannel.vtep-mac-stale (cluster): flannel.1's (or flannel-v6.1's) MAC on node A is not the VTEP MAC the
 * rest of the cluster uses for A: a peer B's PERMANENT neighbour entry for A's flannel address, B's fdb
 * entries toward A's public IP, or A's own node annotation (flannel.alpha.coreos.com/backend-data VtepMAC)
 * name another MAC. Peers then send A VXLAN frames for a MAC A does not own and A drops them: cross-node
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
import { defineAnalyzer, type FindingDraft } from '../src/engine/analyzer.js';
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

/** `commandNode`: v.node in commands, `<NODE>` where the bundle does not show the host's name (nodeForCommands) */
function staleRemedy(v: Vtep, a: Arts, published?: boolean, commandNode = v.node): Remedy {
  const runner = flannelRunner(commandNode, a);
  return {
    summary: `Restart ${runner.name} on ${v.node} so flannel publishes ${v.dev}'s current MAC ${v.mac} as its VtepMAC again; the peers' flannel then rewrites their neighbour and fdb entries${published ? '' : ' (check with the kubectl command)'}. Before that, add a .link that keeps udev off flannel's devices so the MAC does not change again at the next boot; or upgrade flannel to v0.15.1 or later (k3s/RKE2 to a release with it; flannel-v6.1: flannel v0.25.2, k3s v1.30.1 / v1.29.5 / v1.28.10).`,
    commands: [
      `# on ${v.node}`,
      ...linkFix(),
      ...runner.restart,
      `kubectl get node ${commandNode} -o jsonpath='{.metadata.annotations.flannel\\.alpha\\.coreos\\.com/backend${v.family === 6 ? '-v6' : ''}-data}'   # must show "VtepMAC":"${v.mac}"`,
      `# on every other node: the entry for ${v.node} must carry ${v.mac}`,
      `ip ${v.family === 6 ? '-6 ' : ''}neigh show dev ${v.dev}`,
      `bridge fdb show dev ${v.dev}`,
    ],
    caution: `Restarting ${runner.name} briefly interrupts pod networking on ${v.node}${runner.inProcess ? ' (k3s restarts its embedded components; running pods keep running)' : ''}.`,
  };
}

export default defineAnalyzer({
  id: 'flannel.vtep-mac-stale',
  title: "Peers hold a stale flannel VTEP MAC for a node",
  description: "flannel.1's MAC differs from the MAC other nodes (neighbour / fdb entries) or the node's flannel annotation hold for it; or systemd's .link MACAddressPolicy will change it.",
  scope: 'cluster',
  minNodes: 1,
  requires: [],
  // a node's flannel.1 MAC, what its peers hold for it, or the .link policy: without any of them nothing to compare
  requiresOneOf: ['ipAddr', 'ipNeigh', 'bridgeFdb', 'kubeNodes', 'systemdLink'],
  optional: ['ipAddr', 'ipNeigh', 'bridgeFdb', 'systemdLink', 'kubeNodes', 'flannelNetConf', 'flannelSubnetEnv', 'logs', 'services', 'dockerDaemon', 'distributionHint'],
  analyze({ nodes }) {
    const ns = nodes.map((n) => ({ node: n.node, ...(n.nodeNameNotHost ? { nodeNameNotHost: true } : {}), artifacts: n.artifacts as unknown as Arts }));
    const findings: FindingDraft[] = [];
    const kube = kubeNodesOf(ns);
    const stale = new Set<string>();
    for (const A of ns) {
      const allAddresses = (A.artifacts.ipAddr ?? []).flatMap((l) => l.interfaces.flatMap((i) => i.addresses.map((x) => x.address)));
      for (const v of vtepsOf(A.node, A.artifacts)) {
        const evidence: Evidence[] = [v.macEvidence];
        const holders: string[] = [];
        const wrongMacs = new Set<string>();
        // peers: PERMANENT neighbour entry for A's flannel address, fdb entries toward A's public IP
        for (const B of ns) {
          if (B.node === A.node) continue;
          const neigh: NeighEntry[] = (B.artifacts.ipNeigh ?? []).flatMap((l) => l.entries).filter((e) => e.dev === v.dev && e.lladdr && e.states.includes('PERMANENT') && v.addresses.some((x) => same(x, e.address)));
          const fdb: FdbEntry[] = v.publicIps.length ? (B.artifacts.bridgeFdb ?? []).flatMap((l) => l.entries).filter((e) => e.dev === v.dev && e.dst && e.mac !== '00:00:00:00:00:00' && v.publicIps.some((p) => same(p, e.dst!))) : [];
          const badNeigh = neigh.filter((e) => e.lladdr !== v.mac);
          // fdb: stale when B has entries toward A but none with A's MAC (an extra old entry beside the right one is harmless)
          const badFdb = fdb.length > 0 && !fdb.some((e) => e.mac === v.mac) ? fdb : [];
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
        const badAnnotation = published && published.value !== v.mac ? published : undefined;
        if (badAnnotation) {
          wrongMacs.add(badAnnotation.value);
          evidence.push(ev(badAnnotation, v.node, `the VtepMAC flannel published for ${obj!.name || v.node} (node annotation): ${badAnnotation.value}, not ${v.mac}`));
        }
        if (holders.length === 0 && !badAnnotation) continue;
        stale.add(A.node);
        const who = [...holders.map((h) => `${h}'s neighbour/fdb entries`), ...(badAnnotation ? [`${obj!.name || v.node}'s flannel annotation (backend${v.family === 6 ? '-v6' : ''}-data)`] : [])];
        const policy = policyOn(A.node, A.artifacts, v.dev);
        if (policy) evidence.push(...policy.evidence);
        findings.push({
          severity: 'critical',
          title: `Peers hold a stale flannel VTEP MAC for ${v.node}`,
          message: `${v.dev} on ${v.node} has MAC ${v.mac}, but ${who.join(' and ')} name ${[...wrongMacs].join(', ')}. Peers address their VXLAN frames for ${v.node}'s pods to a MAC ${v.node} does not own, and it drops them: pod traffic from other nodes to ${v.node} fails.${policy ? ` ${policy.sentence}` : ' The usual cause is systemd (>= 242) rewriting the MAC after flannel published it (MACAddressPolicy in a .link file; flannel-io/flannel#1155).'}`,
          impact: `Cross-node pod traffic to ${v.node} is lost at layer 2${holders.length ? ` from ${holders.join(', ')}` : ' from every node that programmed the published MAC'}.`,
          nodes: [v.node, ...holders],
          evidence,
          facts: { device: v.dev, node: v.node, mac: v.mac, staleMacs: [...wrongMacs], holders, ...(badAnnotation ? { publishedVtepMac: badAnnotation.value } : {}) },
          remedy: staleRemedy(v, A.artifacts, !!badAnnotation, nodeForCommands(nodes.find((n) => n.node === A.node)!).command),
          related: ['flannel.vtep-mac-policy'],
        });
      }
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
