/**
 * overlay.vxlan-checksum-offload: a VXLAN overlay between VMware VMs whose NIC is a VMXNET3 with TX checksum
 * offload on: the encapsulated packets leave with checksums the virtual switch or the peer drops, so traffic
 * between containers or pods on different nodes (and Swarm's routing mesh) times out while each node's own
 * work, ICMP and the nodes' own traffic answer.
 *
 * What the sources show (the conditions the finding fires on):
 * - the NIC: driver vmxnet3 (`ethtool -i`) with `tx-checksum-ip-generic: on` (`ethtool -k`). Disabling it on
 *   the VMXNET3 NIC fixed Swarm's overlay (vmware/photon#1321, eth0; moby/moby#41775, ens192 on CentOS 8 Stream;
 *   coreos/fedora-coreos-tracker#1372, Swarm on vSphere); OpenShift turns it off on every vmxnet3 device on
 *   vSphere (openshift/machine-config-operator#2734, Bug 1987108, virtual hardware >= 14).
 * - the trigger: the VMXNET3 driver's UDP tunnel offload, advertised as `tx-udp_tnl-segmentation: on`
 *   (`tx-udp_tnl-csum-segmentation: on`), new with EL 8.3's vmxnet3 (1.5.x) on virtual hardware 14+: the same
 *   node's CentOS 8.2 listing shows `tx-udp_tnl-segmentation: off [fixed]` and worked, its 8.3 listing `on` and
 *   broke (kubernetes-sigs/kubespray#7268, projectcalico/calico#4384, #4727: vSphere 6.7u2+, EL 8.3, SLES 15 SP2).
 *   Hence: warning when the tunnel offload is on too (or the receiving kernel logs bad VXLAN checksums); info when
 *   the listing does not show it on (checksum offload alone on a vmxnet3 ran clean in #7268's 8.2).
 * - the overlay: VXLAN/Geneve the bundle shows (flannel.1, vxlan.calico, cilium_vxlan/geneve, Weave's
 *   vxlan-6784, any `vxlan`/`geneve` device) or Docker Swarm (ingress-mode services, docker_gwbridge,
 *   DOCKER-INGRESS, an overlay network). Without one the offload is harmless: no finding.
 * - the mitigation: the VXLAN device's own `tx-checksum-ip-generic: off` (flannel.1 / vxlan.calico: kURL,
 *   kops, Calico >= 3.25 with ChecksumOffloadBroken) computes the inner checksum in software: no finding.
 *
 * Not this check: the VXLAN device's offload bug with iptables `--random-fully` masquerade on kernels < 5.7
 * (flannel-io/flannel#1279, projectcalico/calico#3145) is any hypervisor's; the receiving kernel's
 * `UDP: bad checksum` line is log.vxlan-bad-udp-checksum's (src/logs/signatures-r12.ts), cited here as evidence.
 */
import { defineAnalyzer, type FindingDraft } from '../src/engine/analyzer.js';
import type { NodeArtifacts } from '../src/engine/artifacts.js';
import type { Evidence, Remedy } from '../src/report/schema.js';
import { ethtoolDevices, type EthtoolDevice, type EthtoolFeature, type EthtoolOutput } from '../src/parsers/ethtool.js';
import { interfacesOf } from '../src/parsers/interfaces.js';
import { overlaysOf } from './lib/overlay.js';
import { liveViews, uplinkOf } from './lib/node-view.js';
import { timeOf } from './lib/logs.js';

export const ID = 'overlay.vxlan-checksum-offload';
const CSUM = 'tx-checksum-ip-generic';
const TUNNEL = ['tx-udp_tnl-segmentation', 'tx-udp_tnl-csum-segmentation'];
const BAD_CHECKSUM_SIGNATURE = 'log.vxlan-bad-udp-checksum';

/** A VXLAN (or Geneve) overlay the bundle shows. */
export interface TunnelOverlay {
  name: string;
  /** its device on the node where the bundle names one (flannel.1); Swarm's live in hidden namespaces */
  device?: string;
  /** udp port, where known */
  port?: number;
  /** the interface the encapsulated packets leave by (vxlan `dev`) */
  dev?: string;
  evidence: Evidence[];
}

const DEVICE_OF: Record<string, string> = { 'flannel VXLAN': 'flannel.1', 'Calico VXLAN': 'vxlan.calico', 'Cilium VXLAN': 'cilium_vxlan', 'Cilium Geneve': 'cilium_geneve' };

/** The VXLAN / Geneve overlays the node runs, from its interfaces, chains, Docker state and ethtool's own listings. */
export function tunnelOverlays(artifacts: NodeArtifacts, devices: Map<string, EthtoolDevice>): TunnelOverlay[] {
  const out: TunnelOverlay[] = [];
  const named = new Set<string>();
  for (const o of overlaysOf(artifacts)) {
    const tunnel = o.ports.find((p) => p.protocol === 'udp' && /VXLAN|Geneve/.test(p.carries));
    if (!tunnel || o.modeUnknown) continue;
    const device = o.product === 'Weave Net' ? 'vxlan-6784' : DEVICE_OF[o.name];
    if (device) named.add(device);
    out.push({ name: o.name, device, port: tunnel.port, dev: o.dev, evidence: o.evidence });
  }
  // other VXLAN / Geneve devices: ip -d link's `vxlan id ...`, or ethtool -i's `driver: vxlan`
  for (const i of interfacesOf(artifacts.ipAddr ?? []).values())
    if (i.vxlan && !named.has(i.name)) {
      named.add(i.name);
      out.push({ name: `VXLAN device ${i.name}`, device: i.name, port: i.vxlan.port, dev: i.vxlan.dev, evidence: [{ file: i.ref.file, line: i.ref.line, excerpt: `${i.name} vxlan${i.vxlan.port ? ` dstport ${i.vxlan.port}` : ''}`, note: 'a VXLAN device' }] });
    }
  for (const d of devices.values())
    if (d.name && d.driver && /^(vxlan|geneve)$/.test(d.driver.name) && !named.has(d.name)) {
      named.add(d.name);
      out.push({ name: `${d.driver.name === 'vxlan' ? 'VXLAN' : 'Geneve'} device ${d.name}`, device: d.name, evidence: [{ file: d.driver.ref.file, line: d.driver.ref.line, excerpt: d.driver.excerpt, note: `ethtool -i ${d.name}: a ${d.driver.name} tunnel device` }] });
    }
  const swarm = swarmEvidence(artifacts);
  if (swarm.length > 0) out.push({ name: 'Docker Swarm overlay', port: 4789, evidence: swarm });
  return out;
}

/** Signs the node is in a Swarm whose overlay networks carry VXLAN between the nodes (udp/4789 unless --data-path-port). */
function swarmEvidence(artifacts: NodeArtifacts): Evidence[] {
  const ev: Evidence[] = [];
  const svc = (artifacts.dockerServices ?? []).flatMap((l) => l.services)[0];
  if (svc) ev.push({ file: svc.ref.file, line: svc.ref.line, excerpt: svc.excerpt, note: "a Swarm service: the node is in a Swarm, its overlay networks' VXLAN runs between the nodes" });
  const gw = interfacesOf(artifacts.ipAddr ?? []).get('docker_gwbridge');
  if (gw) ev.push({ file: gw.ref.file, line: gw.ref.line, excerpt: 'docker_gwbridge', note: "Swarm's docker_gwbridge: containers here join overlay networks" });
  const net = (artifacts.dockerNetworks ?? []).flatMap((n) => n.networks).find((n) => n.driver === 'overlay');
  if (net) ev.push({ file: net.ref.file, line: net.ref.line, excerpt: `${net.name} driver overlay`, note: 'a Docker overlay network (VXLAN between the nodes)' });
  if (ev.length > 0) return ev;
  for (const v of liveViews(artifacts))
    for (const [table, cs] of v.tables) {
      const c = cs.get('DOCKER-INGRESS');
      if (c && ev.length === 0) ev.push({ file: c.ref.file, line: c.ref.line, excerpt: `${table} chain DOCKER-INGRESS`, note: "Swarm's routing-mesh chain: the node is in a Swarm" });
    }
  if (ev.length > 0) return ev;
  // the firewall opened for Swarm: udp/4789 (its VXLAN) accepted together with 2377/tcp or 7946 (its management, gossip)
  const accepts = liveViews(artifacts).flatMap((v) => [...v.tables.values()].flatMap((cs) => [...cs.values()].flatMap((c) => c.rules.filter((r) => r.target === 'ACCEPT'))));
  const port = (re: RegExp) => accepts.find((r) => re.test(r.text));
  const vxlan = port(/\budp\b.*(?:dpt:|--dport\s+)4789\b/);
  const swarmPort = port(/(?:dpt:|--dport\s+)(?:2377|7946)\b/);
  if (vxlan && swarmPort)
    for (const r of [swarmPort, vxlan]) ev.push({ file: r.ref.file, line: r.ref.line, excerpt: r.text, note: "the firewall accepts Docker Swarm's ports (2377/tcp, 7946, 4789/udp VXLAN): a Swarm node" });
  return ev;
}

const featureEvidence = (d: EthtoolDevice, f: EthtoolFeature, note: string): Evidence => ({ file: f.ref.file, line: f.ref.line, excerpt: f.excerpt, note: `ethtool -k ${d.name}: ${note}` });

/**
 * The findings: per VMXNET3 NIC carrying an overlay's traffic with TX checksum offload on.
 * `ethtool`: the node's ethtool files (artifact kind `ethtool`).
 */
export function checksumOffloadFindings(node: string, artifacts: NodeArtifacts, ethtool: readonly EthtoolOutput[] | undefined, partly?: (note: string) => void): FindingDraft[] {
  const devices = ethtoolDevices(ethtool);
  const vmxnet3 = [...devices.values()].filter((d) => d.driver?.name === 'vmxnet3');
  if (vmxnet3.length === 0) return [];
  const overlays = tunnelOverlays(artifacts, devices);
  if (overlays.length === 0) return [];
  // the overlay's own device with checksum offload off: the inner checksum is computed in software
  const open = overlays.filter((o) => !(o.device && devices.get(o.device)?.features?.[CSUM] && !devices.get(o.device)!.features![CSUM].on));
  if (open.length === 0) return [];
  // the NIC the tunnel leaves by, where the bundle says: the VXLAN device's `dev`, else the default route's
  const carriers = new Set(open.map((o) => o.dev).filter((x): x is string => !!x));
  const uplink = uplinkOf(artifacts);
  if (carriers.size === 0 && uplink) carriers.add(uplink);
  const nics = carriers.size > 0 && vmxnet3.some((d) => carriers.has(d.name!)) ? vmxnet3.filter((d) => carriers.has(d.name!)) : carriers.size > 0 ? [] : vmxnet3;
  const badChecksums = (artifacts.logs ?? []).flatMap((l) => l.matches.filter((m) => m.signature === BAD_CHECKSUM_SIGNATURE));
  const findings: FindingDraft[] = [];
  for (const nic of nics) {
    const csum = nic.features?.[CSUM];
    if (!csum) {
      partly?.(`${nic.name} is a VMXNET3 NIC (${nic.driver!.ref.file}:${nic.driver!.ref.line}) carrying ${open.map((o) => o.name).join(', ')}, but its offload features are not in the bundle: collect ethtool -k ${nic.name}`);
      continue;
    }
    if (!csum.on) continue;
    const tunnel = TUNNEL.map((n) => nic.features![n]).filter((f): f is EthtoolFeature => !!f && f.on);
    findings.push(finding(node, nic, csum, tunnel, open, badChecksums));
  }
  return findings;
}

function finding(node: string, nic: EthtoolDevice, csum: EthtoolFeature, tunnel: EthtoolFeature[], overlays: TunnelOverlay[], badChecksums: NonNullable<NodeArtifacts['logs']>[number]['matches']): FindingDraft {
  const dev = nic.name!;
  const drv = nic.driver!;
  const known = tunnel.length > 0 || badChecksums.length > 0;
  const names = overlays.map((o) => `${o.name}${o.port ? ` (udp/${o.port})` : ''}`).join(', ');
  const evidence: Evidence[] = [
    featureEvidence(nic, csum, 'TX checksum offload is on'),
    { file: drv.ref.file, line: drv.ref.line, excerpt: drv.excerpt, note: `ethtool -i ${dev}: VMware's VMXNET3 virtual NIC${drv.version ? `, driver ${drv.version}` : ''}` },
    ...tunnel.map((f) => featureEvidence(nic, f, "the driver's UDP tunnel (VXLAN/Geneve) offload is on: the combination that drops VXLAN on vSphere")),
    ...overlays.flatMap((o) => o.evidence.slice(0, 2)),
    ...badChecksums.slice(0, 3).map((m) => ({ file: m.file, line: m.line, excerpt: m.excerpt, note: 'the receiving side drops VXLAN packets for their checksum', ...timeOf(m) })),
  ];
  const deviceNamed = overlays.map((o) => o.device).filter((x): x is string => !!x);
  const calico = overlays.some((o) => o.name === 'Calico VXLAN');
  const swarm = overlays.some((o) => o.name === 'Docker Swarm overlay');
  const flannel = overlays.some((o) => o.name === 'flannel VXLAN');
  const commands = [
    `ethtool -K ${dev} tx-checksum-ip-generic off   # now, on every VMware node of the overlay; running it again changes nothing`,
    `ethtool -k ${dev} | grep -E 'tx-checksum-ip-generic|udp_tnl'   # check: tx-checksum-ip-generic: off`,
    // by driver and the final name ($name): at boot the add event still sees the kernel's eth0 before the rename (R20)
    `printf 'ACTION=="add", SUBSYSTEM=="net", DRIVERS=="vmxnet3", RUN+="%s -K $name tx-checksum-ip-generic off"\\n' "$(command -v ethtool)" > /etc/udev/rules.d/90-vmxnet3-tx-checksum-off.rules   # every VMXNET3 NIC, under the name it ends up with; keeps it across reboots (rewrites the same file when run again)`,
    `nmcli connection modify "$(nmcli -g GENERAL.CONNECTION device show ${dev})" ethtool.feature-tx-checksum-ip-generic off   # instead of the udev rule where NetworkManager manages ${dev}: applied at its next activation`,
    ...(calico ? [`kubectl patch felixconfiguration default --type=merge -p '{"spec":{"featureDetectOverride":"ChecksumOffloadBroken=true"}}'   # Calico: Felix turns checksum offload off on vxlan.calico itself (the default from Calico 3.25)`] : []),
    ...(flannel
      ? [`printf 'ACTION=="add|change|move", SUBSYSTEM=="net", ENV{INTERFACE}=="flannel.1", RUN+="%s -K flannel.1 tx-checksum-ip-generic off"\\n' "$(command -v ethtool)" > /etc/udev/rules.d/90-flannel.rules   # flannel's own workaround (its troubleshooting guide): the device is created again when flannel restarts`]
      : []),
  ];
  const remedy: Remedy = {
    summary: `Turn TX checksum offload off on ${dev} on every VMware node of the overlay, and make it last (a udev rule, or NetworkManager's ethtool.feature-tx-checksum-ip-generic; a systemd .link file's TransmitChecksumOffload=false also does, but a .link file that matches ${dev} replaces 99-default.link's naming policy for it).${swarm ? ' Docker Swarm: a swarm created with `docker swarm init --data-path-port <port>` other than 4789 avoids the port VMware treats as VXLAN (it cannot be changed on a running swarm).' : ''}${calico ? " Calico: featureDetectOverride ChecksumOffloadBroken=true makes Felix turn it off on vxlan.calico." : ''}${deviceNamed.length > 0 ? ` Turning it off on the overlay's own device (${deviceNamed.join(', ')}) instead also works around it.` : ''}`,
    commands,
    caution: 'The CPU computes the checksums instead: a small throughput cost. ethtool -K does not survive a reboot or the device being created again: persist it.',
  };
  return {
    severity: known ? 'warning' : 'info',
    title: known ? 'VXLAN overlay traffic is dropped by VMXNET3 checksum offload' : 'VMXNET3 checksum offload is on under a VXLAN overlay',
    message: known
      ? `${dev} is a VMware VMXNET3 NIC with TX checksum offload on${tunnel.length > 0 ? ' and its UDP tunnel offload on' : ''}, and the node runs ${names}. On vSphere that combination corrupts the checksums of encapsulated packets, which are dropped between the nodes: traffic between containers or pods on different nodes (and Swarm's routing mesh) times out while ICMP and each node's own work answer (vmware/photon#1321, coreos/fedora-coreos-tracker#1372, projectcalico/calico#4727).${badChecksums.length > 0 ? ' The logs show VXLAN packets dropped for their checksum.' : ''}`
      : `${dev} is a VMware VMXNET3 NIC with TX checksum offload on, and the node runs ${names}. The known-bad combination also has the driver's UDP tunnel offload on (tx-udp_tnl-segmentation), which ${dev}'s listing does not show${nic.features!['tx-udp_tnl-segmentation'] ? ' (off)' : ''}: if pod or container traffic between the nodes times out, turn the checksum offload off first (vmware/photon#1321, kubernetes-sigs/kubespray#7268).`,
    impact: 'Overlay traffic between the nodes is lost while each node alone works.',
    evidence,
    remedy,
    facts: { nic: dev, driver: drv.name, driverVersion: drv.version, udpTunnelOffload: tunnel.length > 0, overlays: overlays.map((o) => o.name), badChecksumLogLines: badChecksums.length },
  };
}

export default defineAnalyzer({
  id: ID,
  title: 'A VXLAN overlay runs over a VMXNET3 NIC with TX checksum offload on',
  description:
    "Where a node's NIC is VMware's VMXNET3 (ethtool -i) with tx-checksum-ip-generic on (ethtool -k) and the node runs a VXLAN/Geneve overlay (flannel, Calico, Cilium, Weave, Docker Swarm), the encapsulated packets can be dropped between the nodes: a warning when the NIC's UDP tunnel offload is on too or the logs show bad VXLAN checksums, info otherwise.",
  scope: 'node',
  requires: ['ethtool'],
  optional: ['ipAddr', 'routes', 'iptables', 'nftables', 'dockerServices', 'dockerNetworks', 'flannelNetConf', 'flannelSubnetEnv', 'logs'],
  analyze({ node, artifacts, partly }) {
    return checksumOffloadFindings(node, artifacts, artifacts.ethtool, partly);
  },
});
