/**
 * Which overlay (pod network between nodes) a node runs, from what its bundle shows, and the port or
 * protocol its peers reach it on:
 * - flannel: flannel.1 (VXLAN: `ip -d` gives its dstport, else flannel's Linux default 8472/udp),
 *   flannel-wg (WireGuard backend, 51820/udp), net-conf.json's Backend Type (vxlan, wireguard, udp 8285,
 *   ipip; host-gw needs no port); flannel's chains or subnet.env without any of these: flannel, backend not shown;
 * - Calico: vxlan.calico (VXLAN, 4789/udp by default), tunl0 with an address (IPIP, IP protocol 4),
 *   routes `proto bird` (BGP between the nodes, 179/tcp, whatever the encapsulation), wireguard.cali (51820/udp);
 * - Cilium: cilium_vxlan (8472/udp), cilium_geneve (6081/udp), cilium_wg0 (51871/udp);
 * - Weave Net: the weave bridge, vxlan-6784, or Weave's chains (WEAVE, WEAVE-NPC, WEAVE-EXPOSE):
 *   6783/tcp (control), 6783/udp (sleeve), 6784/udp (fastdp).
 * Every overlay carries the evidence it was read from. IPv4 only: flannel-v6.1 / flannel-wg-v6 are not traced.
 */
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import type { Evidence } from '../../src/report/schema.js';
import { interfacesOf, type Interface } from '../../src/parsers/interfaces.js';
import type { Route } from '../../src/parsers/ip-route.js';
import { liveViews } from './node-view.js';

/** A port (or, for IPIP, a protocol) peers send the overlay's traffic to. */
export interface OverlayPort {
  /** udp / tcp, or `ipencap` (IP protocol 4, IPIP), or `esp` (IP protocol 50: Docker's encrypted overlay networks) */
  protocol: 'udp' | 'tcp' | 'ipencap' | 'esp';
  port?: number;
  /** what the port carries: "VXLAN", "BGP", "Weave's control connections" */
  carries: string;
  /** the port is the product's default, not read from the bundle */
  assumed?: boolean;
  /** losing this port alone degrades the overlay (Weave's fastdp falls back to sleeve) rather than cutting it */
  degradesOnly?: boolean;
}

export interface Overlay {
  /** the product and mode: "flannel VXLAN", "Calico BGP", "Weave Net" */
  name: string;
  product: 'flannel' | 'Calico' | 'Cilium' | 'Weave Net';
  ports: OverlayPort[];
  evidence: Evidence[];
  /** the interface the encapsulated traffic leaves and arrives by, when the device names it (vxlan `dev eth0`) */
  dev?: string;
  /** the node's own address the device sends from (vxlan `local`) */
  local?: string;
  /** peer nodes' addresses the bundle shows (BGP routes `via`) */
  peers: string[];
  /** the overlay is there but its mode is not shown: the port traced is the product's default */
  modeUnknown?: string;
}

/** A portable text for a port: `8472/udp`, `IP protocol 4 (IPIP)`. */
export function portText(p: OverlayPort): string {
  return p.protocol === 'ipencap' ? 'IP protocol 4 (IPIP)' : p.protocol === 'esp' ? 'IP protocol 50 (ESP)' : `${p.port}/${p.protocol}`;
}

const itfEvidence = (i: Interface, note: string): Evidence => {
  const vx = i.vxlan ? ` vxlan id ${i.vxlan.id ?? '?'}${i.vxlan.local ? ` local ${i.vxlan.local}` : ''}${i.vxlan.dev ? ` dev ${i.vxlan.dev}` : ''}${i.vxlan.port ? ` dstport ${i.vxlan.port}` : ''}` : '';
  const a = i.addresses.find((x) => x.family === 4);
  return { file: i.ref.file, line: i.ref.line, excerpt: `${i.index !== undefined ? `${i.index}: ` : ''}${i.name}${vx}${a ? ` inet ${a.cidr}` : ''}`, note };
};

/** The overlays the node runs, as its bundle shows them. */
export function overlaysOf(artifacts: NodeArtifacts): Overlay[] {
  const itfs = interfacesOf(artifacts.ipAddr ?? []);
  const out: Overlay[] = [];
  const vxlanPort = (i: Interface, def: number, carries: string): OverlayPort =>
    i.vxlan?.port ? { protocol: 'udp', port: i.vxlan.port, carries } : { protocol: 'udp', port: def, carries, assumed: true };
  const fromDevice = (i: Interface) => ({ dev: i.vxlan?.dev, local: i.vxlan?.local });
  const chains = new Set<string>();
  const chainRef = new Map<string, Evidence>();
  for (const v of liveViews(artifacts))
    for (const [table, cs] of v.tables)
      for (const c of cs.values()) {
        chains.add(c.name);
        if (!chainRef.has(c.name)) chainRef.set(c.name, { file: c.ref.file, line: c.ref.line, excerpt: `${table} chain ${c.name}`, note: '' });
      }
  const chainEvidence = (re: RegExp, note: string): Evidence | undefined => {
    const name = [...chains].find((c) => re.test(c));
    return name ? { ...chainRef.get(name)!, note } : undefined;
  };

  // flannel
  const netConf = (artifacts.flannelNetConf ?? []).find((c) => c.backend);
  const backend = netConf?.backend;
  const backendEvidence = backend ? [{ file: backend.ref.file, line: backend.ref.line, excerpt: backend.excerpt, note: `flannel's backend is ${backend.value}` }] : [];
  const flannel1 = itfs.get('flannel.1');
  const flannelWg = itfs.get('flannel-wg');
  let flannelShown = false;
  // net-conf.json's own port (Backend.Port; wireguard's ListenPort): what peers send to when the device's listing does not say
  const confPort = netConf?.backendPort;
  const confPortEvidence = confPort ? [{ file: confPort.ref.file, line: confPort.ref.line, excerpt: confPort.excerpt, note: `flannel's backend port is ${confPort.value}` }] : [];
  if (flannel1) {
    flannelShown = true;
    const listed = vxlanPort(flannel1, 8472, 'VXLAN');
    const p: OverlayPort = listed.assumed && confPort ? { protocol: 'udp', port: confPort.value, carries: 'VXLAN' } : listed;
    out.push({
      name: 'flannel VXLAN',
      product: 'flannel',
      ports: [p],
      evidence: [
        itfEvidence(flannel1, `flannel's VXLAN device${!listed.assumed ? `: peers send to udp ${p.port}` : confPort ? '' : " (its port not listed: flannel's Linux default, 8472/udp)"}`),
        ...backendEvidence,
        ...(listed.assumed ? confPortEvidence : []),
      ],
      ...fromDevice(flannel1),
      peers: [],
    });
  }
  if (flannelWg) {
    flannelShown = true;
    const wgPort: OverlayPort = confPort ? { protocol: 'udp', port: confPort.value, carries: 'WireGuard' } : { protocol: 'udp', port: 51820, carries: 'WireGuard', assumed: true };
    out.push({ name: 'flannel WireGuard', product: 'flannel', ports: [wgPort], evidence: [itfEvidence(flannelWg, `flannel's WireGuard device${confPort ? '' : ' (backend wireguard: its default port 51820/udp)'}`), ...backendEvidence, ...confPortEvidence], peers: [] });
  }
  if (!flannelShown && backend) {
    const b = backend.value.toLowerCase();
    const udp = (def: number, carries: string): OverlayPort => (confPort ? { protocol: 'udp', port: confPort.value, carries } : { protocol: 'udp', port: def, carries, assumed: true });
    const p: OverlayPort | undefined =
      b === 'vxlan'
        ? udp(8472, 'VXLAN')
        : b === 'wireguard'
          ? udp(51820, 'WireGuard')
          : b === 'udp'
            ? udp(8285, "flannel's UDP encapsulation")
            : b === 'ipip'
              ? { protocol: 'ipencap', carries: 'IPIP' }
              : undefined;
    // host-gw (and alloc, or a cloud backend): routed, nothing reaches the nodes on a port of flannel's
    if (p) {
      flannelShown = true;
      out.push({ name: `flannel ${b === 'vxlan' ? 'VXLAN' : b === 'wireguard' ? 'WireGuard' : b === 'ipip' ? 'IPIP' : 'UDP'}`, product: 'flannel', ports: [p], evidence: [...backendEvidence, ...(p.protocol === 'udp' ? confPortEvidence : [])], peers: [] });
    } else flannelShown = true;
  }
  if (!flannelShown) {
    // flannel runs (its chains, its subnet.env) but its backend is not shown: VXLAN is its default
    const env = (artifacts.flannelSubnetEnv ?? []).find((e) => e.subnet ?? e.network);
    const ev: Evidence | undefined = chainEvidence(/^FLANNEL-/, "flannel's chains: flannel runs here") ?? (env ? { file: env.file, line: (env.subnet ?? env.network)!.ref.line, excerpt: (env.subnet ?? env.network)!.excerpt, note: "flannel's subnet.env: flannel runs here" } : undefined);
    if (ev)
      out.push({
        name: 'flannel VXLAN',
        product: 'flannel',
        ports: [{ protocol: 'udp', port: 8472, carries: 'VXLAN', assumed: true }],
        evidence: [ev],
        peers: [],
        modeUnknown: "the bundle shows flannel but not its backend (no flannel.1 in ip -d link, no net-conf.json): traced as VXLAN, flannel's default",
      });
  }

  // Calico
  const calicoSign = [...itfs.values()].find((i) => /^cali[0-9a-f]{11}$/.test(i.name));
  const calicoChain = chainEvidence(/^cali-/, "Calico's chains: Calico runs here");
  const calicoEvidence = calicoSign ? itfEvidence(calicoSign, "a Calico pod's veth: Calico runs here") : calicoChain;
  const vxCalico = itfs.get('vxlan.calico');
  if (vxCalico) {
    const p = vxlanPort(vxCalico, 4789, 'VXLAN');
    out.push({ name: 'Calico VXLAN', product: 'Calico', ports: [p], evidence: [itfEvidence(vxCalico, `Calico's VXLAN device${p.assumed ? " (its port not listed: Calico's default, 4789/udp)" : `: peers send to udp ${p.port}`}`)], ...fromDevice(vxCalico), peers: [] });
  }
  const tunl0 = itfs.get('tunl0');
  const tunl0Address = tunl0?.addresses.find((a) => a.family === 4);
  if (tunl0 && tunl0Address && (calicoEvidence || (artifacts.routes ?? []).some((t) => t.routes.some((r) => r.dev === 'tunl0')))) {
    out.push({ name: 'Calico IPIP', product: 'Calico', ports: [{ protocol: 'ipencap', carries: 'IPIP' }], evidence: [itfEvidence(tunl0, 'tunl0 holds a pod-network address: IPIP encapsulation between the nodes'), ...(calicoEvidence ? [calicoEvidence] : [])], peers: [] });
  }
  const bird: Route[] = (artifacts.routes ?? []).flatMap((t) => t.routes.filter((r) => r.proto === 'bird' && (!r.table || r.table === 'main')));
  if (bird.length > 0) {
    const peers = [...new Set(bird.flatMap((r) => [r.via, ...(r.nexthops ?? []).map((n) => n.via)]).filter((x): x is string => !!x && !x.includes(':')))];
    const viaUplink = bird.filter((r) => r.via && r.dev && !/^(tunl0|vxlan\.calico)$/.test(r.dev));
    const first = bird.find((r) => r.via) ?? bird[0];
    out.push({
      name: 'Calico BGP',
      product: 'Calico',
      ports: [{ protocol: 'tcp', port: 179, carries: 'BGP (BIRD) sessions' }],
      evidence: [{ file: first.ref.file, line: first.ref.line, excerpt: first.excerpt, note: `routes learnt by BIRD (proto bird): the nodes exchange routes over BGP, 179/tcp${peers.length ? `, with ${peers.join(', ')}` : ''}` }, ...(calicoEvidence ? [calicoEvidence] : [])],
      dev: viaUplink[0]?.dev,
      peers,
    });
  }
  const wgCali = itfs.get('wireguard.cali');
  if (wgCali) out.push({ name: 'Calico WireGuard', product: 'Calico', ports: [{ protocol: 'udp', port: 51820, carries: 'WireGuard', assumed: true }], evidence: [itfEvidence(wgCali, "Calico's WireGuard device (its default port 51820/udp)")], peers: [] });

  // Cilium
  const ciliumVx = itfs.get('cilium_vxlan');
  if (ciliumVx) {
    const p = vxlanPort(ciliumVx, 8472, 'VXLAN');
    out.push({ name: 'Cilium VXLAN', product: 'Cilium', ports: [p], evidence: [itfEvidence(ciliumVx, `Cilium's VXLAN device${p.assumed ? " (Cilium's default port 8472/udp)" : ''}`)], peers: [] });
  }
  const ciliumGeneve = itfs.get('cilium_geneve');
  if (ciliumGeneve) out.push({ name: 'Cilium Geneve', product: 'Cilium', ports: [{ protocol: 'udp', port: 6081, carries: 'Geneve', assumed: true }], evidence: [itfEvidence(ciliumGeneve, "Cilium's Geneve device (port 6081/udp)")], peers: [] });
  const ciliumWg = itfs.get('cilium_wg0');
  if (ciliumWg) out.push({ name: 'Cilium WireGuard', product: 'Cilium', ports: [{ protocol: 'udp', port: 51871, carries: 'WireGuard', assumed: true }], evidence: [itfEvidence(ciliumWg, "Cilium's WireGuard device (its port 51871/udp)")], peers: [] });

  // Weave Net
  const weave = itfs.get('weave') ?? itfs.get('vxlan-6784');
  const weaveChain = chainEvidence(/^WEAVE(-NPC|-EXPOSE)?$/, "Weave Net's chains: Weave runs here");
  if (weave || weaveChain)
    out.push({
      name: 'Weave Net',
      product: 'Weave Net',
      ports: [
        { protocol: 'tcp', port: 6783, carries: "Weave's control connections between peers" },
        { protocol: 'udp', port: 6783, carries: "Weave's sleeve data path" },
        { protocol: 'udp', port: 6784, carries: "Weave's fast data path (VXLAN)", degradesOnly: true },
      ],
      evidence: [...(weave ? [itfEvidence(weave, weave.name === 'weave' ? "Weave Net's bridge" : "Weave Net's fast-datapath VXLAN device")] : []), ...(weaveChain ? [weaveChain] : [])],
      peers: [],
    });
  return out;
}
