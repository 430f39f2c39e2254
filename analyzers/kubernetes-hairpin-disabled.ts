/**
 * kubernetes.hairpin-disabled: a pod cannot reach itself through its own Service. A pod connects to a Service
 * VIP; kube-proxy (or kube-router's IPVS proxy) picks an endpoint, and when that endpoint is the pod itself the
 * DNATed frame must leave the pod bridge through the port it came in on. A Linux bridge does that only on ports
 * with hairpin_mode 1 (or when the bridge itself is promiscuous: kubelet's `--hairpin-mode=promiscuous-bridge`
 * with kubenet). Otherwise the frame is dropped and the client times out (kubernetes#13375, kubernetes#20475,
 * cloudnativelabs/kube-router#637: `curl: (7) Failed to connect to 10.42.13.240 port 80: Connection timed out`
 * from the Service's only pod, fixed by `"hairpinMode":true` in the CNI conf).
 *
 * Who sets it: the CNI bridge plugin from its conf's `hairpinMode` (default false; flannel passes its
 * `delegate`'s on, and flannel's and k3s' stock confs set it true); kubelet only for the bridges it wires itself
 * (kubenet's cbr0, dockershim's docker0 without a network plugin) by its `--hairpin-mode`.
 *
 * - warning: a pod bridge (cni0, cbr0, kube-bridge, the bridge the CNI conf in use names; docker0 only where
 *   kubelet wires it) has pod veth ports with hairpin off and is not promiscuous; or, with no port listing, the
 *   conf in use leaves hairpinMode false / unset, or kubelet's `--hairpin-mode=none` governs it.
 * - critical: that, and a connection to a Service VIP timed out in the logs while the Service's endpoint (KUBE-SEP
 *   DNAT target, IPVS real server, kube-router's KUBE-ROUTER-HAIRPIN rule) is a pod on this node's pod bridge.
 * - warning, from the logs alone: such a timeout to a Service whose endpoint is a pod of this node, where the
 *   bundle shows neither the bridge ports nor the CNI conf: hairpin is the likely cause, not proven.
 * - quiet: every port has hairpin on; the bridge is promiscuous; no pod bridge; no Kubernetes on the node (a plain
 *   Docker host's docker0: Docker's userland proxy answers hairpinned published ports itself); the node shows
 *   net.bridge.bridge-nf-call-iptables = 0: the DNAT then happens on the routed path, not while the frame is
 *   bridged, and the reply leaves through the bridge device, so hairpin is not needed (checked in network
 *   namespaces on Linux 6.18: with br_netfilter's call on, a pod's connection to its own Service times out with
 *   hairpin off and succeeds with it on; with the call off it succeeds either way). sysctl-bridge-nf-call-disabled
 *   reports that 0 on a Kubernetes node.
 *
 * The artifact kinds bridgeLinks, cniConf and kubeletHairpin are read through `HairpinArtifacts` until the
 * engine declares them (see the parser modules).
 */
import { defineAnalyzer, type FindingDraft } from '../src/engine/analyzer.js';
import type { NodeArtifacts } from '../src/engine/artifacts.js';
import type { LogMatch } from '../src/logs/index.js';
import type { Rule, Ruleset } from '../src/netfilter/rules.js';
import { bridgeDevices, bridgePorts, type BridgeLinkList, type BridgePort } from '../src/parsers/bridge-link.js';
import { addressIn, networkOf, parseIp } from '../src/parsers/cidr.js';
import { bridgeName, bridgePlugins, cniConfInUse, type CniNetworkConf, type CniPluginConf } from '../src/parsers/cni-conf.js';
import { effectiveKubeletHairpin, kubeletHairpinFromProcess, KUBELET_DEFAULT_HAIRPIN_MODE, type KubeletHairpinSetting, type KubeletValue } from '../src/parsers/kubelet-hairpin.js';
import { nodeProcesses } from '../src/parsers/processes.js';
import type { Evidence } from '../src/report/schema.js';
import { connectionSymptom, timeOf } from './lib/logs.js';
import { hasKubernetes } from './lib/node-view.js';

/** The kinds this analyzer reads that the engine does not declare yet (parsers: bridge-link.ts, cni-conf.ts, kubelet-hairpin.ts). */
export interface PendingHairpinKinds {
  /** `bridge -d link`, `ip -d link`, hairpin_mode listings */
  bridgeLinks?: BridgeLinkList[];
  /** CNI network configurations (/etc/cni/net.d, k3s' agent/etc/cni/net.d) */
  cniConf?: CniNetworkConf[];
  /** kubelet's hairpinMode / --hairpin-mode (config.yaml, kubeadm-flags.env) */
  kubeletHairpin?: KubeletHairpinSetting[];
}

export type HairpinArtifacts = NodeArtifacts & PendingHairpinKinds;

export const PENDING_KINDS = ['bridgeLinks', 'cniConf', 'kubeletHairpin'] as const;
const KNOWN_POD_BRIDGES = ['cni0', 'cbr0', 'kube-bridge'];
const MAX_PORTS = 12;
const BR_NF_CALL = 'net.bridge.bridge-nf-call-iptables';
const MAX_LOG_EVIDENCE = 4;

type HairpinState = 'off' | 'on' | 'unknown';

interface BridgeView {
  name: string;
  /** who wires it: the CNI bridge plugin (conf), kubelet (kubenet's cbr0, dockershim's docker0), or not known */
  wiredBy: 'cni' | 'kubelet' | 'unknown';
  plugin?: { plugin: CniPluginConf; via?: CniPluginConf; conf: CniNetworkConf };
  ports: BridgePort[];
  offPorts: BridgePort[];
  promiscuous?: Evidence;
  state: HairpinState;
  /** why the state is what it is */
  evidence: Evidence[];
  /** the networks of its pods: its addresses, the conf's ipam subnets */
  subnets: { network: string; evidence: Evidence }[];
}

function isPodPort(p: BridgePort): boolean {
  return /^veth/.test(p.port) || /^if\d+$/.test(p.peer ?? '');
}

function settingEvidence(s: KubeletValue, note: string): Evidence {
  return { file: s.ref.file, line: s.ref.line, excerpt: s.excerpt, note };
}

function pluginEvidence(b: NonNullable<BridgeView['plugin']>): Evidence {
  const p = b.plugin;
  const where = b.via ? `flannel's delegate (${b.conf.file})` : `the bridge plugin conf ${b.conf.file}`;
  if (p.hairpinMode)
    return { file: p.hairpinMode.ref.file, line: p.hairpinMode.ref.line, excerpt: p.hairpinMode.excerpt, note: `${where} sets hairpinMode ${p.hairpinMode.value}` };
  // the plugin's "type" line (flannel's, when it has no delegate), else the object's first line
  const owner = b.via && !b.via.delegate ? b.via : p;
  const at = owner.keys.type ?? owner.keys.delegate ?? { ref: owner.ref, excerpt: owner.excerpt };
  return { file: at.ref.file, line: at.ref.line, excerpt: at.excerpt, note: `${where} sets no hairpinMode: the bridge plugin's default is false (hairpin off on every pod's veth)` };
}

function kubeletOf(artifacts: HairpinArtifacts): ReturnType<typeof effectiveKubeletHairpin> & { sources: KubeletHairpinSetting[] } {
  const sources: KubeletHairpinSetting[] = [...(artifacts.kubeletHairpin ?? [])];
  // kubelet's config.yaml / kubeadm-flags.env are one format each (resolv-conf.ts's kubelet readers): should those
  // readers carry hairpinMode / networkPlugin too (the proposed merge), they are read from there
  for (const r of artifacts.resolvConf ?? []) {
    const x = r as unknown as Partial<KubeletHairpinSetting> & { format: string; file: string };
    if ((x.format === 'kubelet-config' || x.format === 'kubeadm-flags') && (x.hairpinMode || x.networkPlugin) && !sources.some((s) => s.file === x.file))
      sources.push({ format: x.format, file: x.file, ...(x.hairpinMode ? { hairpinMode: x.hairpinMode } : {}), ...(x.networkPlugin ? { networkPlugin: x.networkPlugin } : {}), warnings: [] });
  }
  for (const p of nodeProcesses(artifacts).processes) {
    const s = kubeletHairpinFromProcess(p);
    if (s) sources.push(s);
  }
  return { ...effectiveKubeletHairpin(sources), sources };
}

function bridgeViews(artifacts: HairpinArtifacts): BridgeView[] {
  const conf = cniConfInUse(artifacts.cniConf);
  const kubelet = kubeletOf(artifacts);
  const ports = bridgePorts(artifacts.bridgeLinks);
  const devices = bridgeDevices(artifacts.bridgeLinks);
  const interfaces = (artifacts.ipAddr ?? []).flatMap((l) => l.interfaces);
  // a port listing without masters (grep of /sys/class/net/*/brport): ip addr names each port's master
  for (const p of ports) if (!p.master) p.master = interfaces.find((i) => i.name === p.port && i.master)?.master;

  const names = new Set<string>();
  const plugins = new Map<string, BridgeView['plugin']>();
  if (conf && !/podman/i.test(conf.name?.value ?? ''))
    for (const b of bridgePlugins(conf)) {
      const n = bridgeName(b.plugin);
      if (/^cni-podman/.test(n)) continue;
      names.add(n);
      plugins.set(n, { ...b, conf });
    }
  for (const n of KNOWN_POD_BRIDGES) if (!plugins.has(n) && (ports.some((p) => p.master === n) || interfaces.some((i) => i.name === n))) names.add(n);
  // docker0 is a pod bridge only where kubelet wires pods to it itself: its runtime is Docker (dockershim, the
  // default before 1.24; a dockershim / cri-dockerd endpoint) with no network plugin. A kubelet whose flags name a
  // CRI runtime (a containerd / CRI-O endpoint, --container-runtime=remote) leaves docker0 to Docker (R8's F1)
  const kubeletOnDocker0 =
    !conf &&
    kubelet.runtime?.docker !== false &&
    kubelet.sources.some((s) => s.format !== 'kubelet-config') &&
    (kubelet.networkPlugin === undefined || kubelet.networkPlugin.value === '' || kubelet.networkPlugin.value === 'docker');
  if (kubeletOnDocker0 && kubelet.sources.some((s) => s.format === 'process')) names.add('docker0');

  const out: BridgeView[] = [];
  for (const name of names) {
    const plugin = plugins.get(name);
    const kubeletWired = !plugin && ((name === 'cbr0' && kubelet.networkPlugin?.value === 'kubenet') || name === 'docker0');
    const mine = ports.filter((p) => p.master === name && isPodPort(p));
    const shown = mine.filter((p) => p.hairpin !== undefined);
    const offPorts = shown.filter((p) => p.hairpin === false);
    const evidence: Evidence[] = [];
    let promiscuous: Evidence | undefined;
    const dev = devices.find((d) => d.name === name);
    const iface = interfaces.find((i) => i.name === name);
    if (dev?.promiscuous) promiscuous = { file: dev.ref.file, line: dev.ref.line, excerpt: dev.excerpt, note: `${name} is promiscuous: it hands hairpinned frames back` };
    else if (iface?.flags.includes('PROMISC')) promiscuous = { file: iface.ref.file, line: iface.ref.line, excerpt: `${iface.name}: <${iface.flags.join(',')}>`, note: `${name} is promiscuous: it hands hairpinned frames back` };
    else if (plugin?.plugin.promiscMode?.value === true)
      promiscuous = { file: plugin.plugin.promiscMode.ref.file, line: plugin.plugin.promiscMode.ref.line, excerpt: plugin.plugin.promiscMode.excerpt, note: 'the bridge plugin puts the bridge in promiscuous mode' };
    const promiscKnownOff = !!dev || !!iface;
    let state: HairpinState = 'unknown';
    if (promiscuous) state = 'on';
    else if (shown.length > 0) {
      state = offPorts.length > 0 ? 'off' : 'on';
      for (const p of offPorts.slice(0, MAX_PORTS))
        evidence.push({ file: (p.hairpinRef ?? p.ref).file, line: (p.hairpinRef ?? p.ref).line, excerpt: p.hairpinExcerpt ?? p.excerpt, note: `${p.port} (port of ${name}): hairpin off` });
    } else if (plugin) {
      const e = pluginEvidence(plugin);
      state = plugin.plugin.hairpinMode?.value === true ? 'on' : 'off';
      if (state === 'off') evidence.push(e);
    } else if (kubeletWired) {
      // kubelet falls back from promiscuous-bridge to hairpin-veth where it does not run kubenet (kubernetes#23322)
      const mode = kubelet.hairpinMode?.value ?? KUBELET_DEFAULT_HAIRPIN_MODE;
      if (mode === 'none') {
        state = 'off';
        evidence.push(settingEvidence(kubelet.hairpinMode!, `kubelet's hairpin mode is none: it leaves hairpin off on ${name}'s ports and the bridge not promiscuous`));
      } else if (mode === 'hairpin-veth' || mode === 'promiscuous-bridge') state = mode === 'promiscuous-bridge' && name === 'cbr0' && promiscKnownOff ? 'unknown' : 'on';
    }
    // with the ports listed, the conf says whether new pods get it right (true: the listed ones predate it)
    if (state === 'off' && plugin && shown.length > 0) evidence.push(pluginEvidence(plugin));
    if (state === 'off' && promiscKnownOff && (dev || iface)) {
      const at = dev ?? iface!;
      evidence.push({ file: at.ref.file, line: at.ref.line, excerpt: dev ? dev.excerpt : `${iface!.name}: <${iface!.flags.join(',')}>`, note: `${name} is not promiscuous (no PROMISC flag)` });
    }
    const subnets: BridgeView['subnets'] = [];
    for (const a of iface?.addresses ?? []) subnets.push({ network: a.network, evidence: { file: a.ref.file, line: a.ref.line, excerpt: a.excerpt, note: `${name}'s address: its pods are in ${a.network}` } });
    for (const s of plugin?.plugin.ipam?.subnets ?? []) {
      const n = networkOf(s.value);
      if (n) subnets.push({ network: n, evidence: { file: s.ref.file, line: s.ref.line, excerpt: s.excerpt, note: `the pods on ${name} get addresses from ${n}` } });
    }
    if (plugin?.via)
      for (const f of artifacts.flannelSubnetEnv ?? [])
        if (f.subnet && f.subnetNetwork)
          subnets.push({ network: f.subnetNetwork, evidence: { file: f.subnet.ref.file, line: f.subnet.ref.line, excerpt: f.subnet.excerpt, note: `flannel gives this node's pods on ${name} ${f.subnetNetwork}` } });
    out.push({ name, wiredBy: plugin ? 'cni' : kubeletWired ? 'kubelet' : 'unknown', plugin, ports: mine, offPorts, promiscuous, state, evidence, subnets });
  }
  return out;
}

interface Endpoint {
  address: string;
  /** kube-router writes KUBE-ROUTER-HAIRPIN rules for its node's own pods only */
  localByRule: boolean;
  evidence: Evidence[];
}

function ruleEvidence(r: Rule, note: string): Evidence {
  return { file: r.ref.file, line: r.ref.line, excerpt: r.text, note };
}

function bare(v: string | undefined): string | undefined {
  return v?.replace(/\/(?:32|128)$/, '');
}

function dport(r: Rule): string | undefined {
  for (const m of r.matches) for (const o of m.options ?? []) if ((o.name === 'dport' || o.name === 'dports') && !o.negated) return o.value;
  return /\bdpts?:(\S+)/.exec(r.text)?.[1];
}

function portFits(spec: string | undefined, port: string | undefined): boolean {
  if (!spec || !port) return true;
  return spec.split(',').some((s) => {
    const [a, b] = s.split(':').map(Number);
    const p = Number(port);
    return b === undefined ? a === p : p >= a && p <= b;
  });
}

function ipvsOption(r: Rule, name: string): string | undefined {
  for (const m of r.matches) for (const o of m.options ?? []) if (o.name === name && !o.negated) return o.value;
  return new RegExp(String.raw`\b${name} (\S+)`).exec(r.text)?.[1];
}

function endpointsOf(vip: string, port: string | undefined, artifacts: HairpinArtifacts): Endpoint[] {
  const out: Endpoint[] = [];
  const rulesets: Ruleset[] = (artifacts.iptables ?? []).filter((r) => r.origin === 'live' && r.family !== 'ipv6');
  for (const rs of rulesets) {
    const chains = new Map<string, Rule[]>();
    for (const t of Object.values(rs.tables)) for (const c of Object.values(t.chains)) chains.set(c.name, [...(chains.get(c.name) ?? []), ...c.rules]);
    // kube-router: SNAT of a pod's connection to itself through a Service (`-s E -d E -m ipvs --vaddr VIP --vport P`)
    for (const r of chains.get('KUBE-ROUTER-HAIRPIN') ?? []) {
      if (bare(ipvsOption(r, 'vaddr')) !== vip || !portFits(ipvsOption(r, 'vport'), port)) continue;
      const e = bare(r.source?.value);
      if (e) out.push({ address: e, localByRule: true, evidence: [ruleEvidence(r, `kube-router's hairpin rule: ${e} is a pod of this node behind ${vip}${port ? `:${port}` : ''}`)] });
    }
    // kube-proxy: KUBE-SERVICES -d VIP --dport P -> KUBE-SVC-* -> KUBE-SEP-* DNAT
    for (const [, rules] of chains)
      for (const r of rules) {
        if (bare(r.destination?.value) !== vip || r.destination?.negated || !r.target || !chains.has(r.target) || !portFits(dport(r), port)) continue;
        const seen = new Set<string>([r.target]);
        const todo = [r.target];
        while (todo.length) {
          for (const x of chains.get(todo.pop()!) ?? []) {
            if (x.target === 'DNAT') {
              const to = x.targetOptions['to-destination'] ?? /\bto:(\S+)/.exec(x.text)?.[1];
              const addr = to ? (/^\[([^\]]+)\]/.exec(to)?.[1] ?? to.replace(/:\d+(?:-\d+)?$/, '')) : undefined;
              if (addr && parseIp(addr)) out.push({ address: addr, localByRule: false, evidence: [ruleEvidence(r, `the Service ${vip}${port ? `:${port}` : ''}`), ruleEvidence(x, `its endpoint ${to}`)] });
            } else if (x.target && chains.has(x.target) && !seen.has(x.target)) {
              seen.add(x.target);
              todo.push(x.target);
            }
          }
        }
      }
  }
  for (const l of artifacts.ipvsadm ?? [])
    for (const s of l.services)
      if (s.host === vip && (port === undefined || s.port === undefined || String(s.port) === port))
        for (const rs of s.realServers)
          if (parseIp(rs.host))
            out.push({ address: rs.host, localByRule: false, evidence: [{ file: s.ref.file, line: s.ref.line, excerpt: s.excerpt, note: `the IPVS virtual service ${vip}` }, { file: rs.ref.file, line: rs.ref.line, excerpt: rs.excerpt, note: `its real server ${rs.host}` }] });
  return out;
}

interface Failure {
  match: LogMatch;
  vip: string;
  port?: string;
  endpoints: { endpoint: Endpoint; bridge?: BridgeView; subnet?: Evidence }[];
}

function failures(artifacts: HairpinArtifacts, bridges: BridgeView[]): Failure[] {
  const out: Failure[] = [];
  for (const l of artifacts.logs ?? [])
    for (const m of l.matches) {
      if (connectionSymptom(m) !== 'timeout') continue;
      const vip = m.facts.address ?? m.facts.host;
      if (!vip || !parseIp(vip)) continue;
      const port = m.facts.port;
      const local: Failure['endpoints'] = [];
      for (const e of endpointsOf(vip, port, artifacts)) {
        let hit: { bridge: BridgeView; subnet: Evidence } | undefined;
        for (const b of bridges) {
          const s = b.subnets.find((x) => addressIn(e.address, x.network));
          if (s) {
            hit = { bridge: b, subnet: s.evidence };
            break;
          }
        }
        if (hit) local.push({ endpoint: e, bridge: hit.bridge, subnet: hit.subnet });
        else if (e.localByRule) local.push({ endpoint: e, bridge: bridges.length === 1 ? bridges[0] : bridges.find((b) => b.name === 'kube-bridge') });
      }
      if (local.length > 0 && !local.some((x) => x.endpoint.address === vip)) out.push({ match: m, vip, port, endpoints: local });
    }
  out.sort((a, b) => (a.match.timestamp?.epochMs ?? Infinity) - (b.match.timestamp?.epochMs ?? Infinity) || a.match.file.localeCompare(b.match.file) || a.match.line - b.match.line);
  return out;
}

function logEvidence(f: Failure): Evidence {
  return { file: f.match.file, line: f.match.line, excerpt: f.match.excerpt, ...timeOf(f.match), note: `a connection to the Service ${f.vip}${f.port ? ` port ${f.port}` : ''} timed out` };
}

function remedy(b: BridgeView | undefined, node: string): FindingDraft['remedy'] {
  const name = b?.name ?? 'cni0';
  const off = b?.offPorts.map((p) => p.port) ?? [];
  const now =
    off.length > 0
      ? off.slice(0, MAX_PORTS).map((p) => `bridge link set dev ${p} hairpin on   # the same as: echo 1 > /sys/class/net/${p}/brport/hairpin_mode`)
      : [`for p in /sys/class/net/${name}/brif/*; do echo 1 > "$p/hairpin_mode"; done   # every port of ${name}, at once (until the pods are recreated)`];
  const commands = [...now, `bridge -d link show | grep -B1 'hairpin off'   # what is left with hairpin off`];
  let summary: string;
  if (b?.plugin?.plugin.hairpinMode?.value === true && off.length > 0)
    summary = `${b.plugin.conf.file} already sets "hairpinMode": true: the ports listed belong to pods created before it did (a veth keeps the setting it was created with). Recreate those pods, or turn hairpin on for them now with the commands below.`;
  else if (b?.wiredBy === 'kubelet')
    summary = `Run kubelet with --hairpin-mode=hairpin-veth (KubeletConfiguration hairpinMode: hairpin-veth${name === 'cbr0' ? ', or promiscuous-bridge with kubenet' : ''}) and restart it; the commands below turn hairpin on for the pods running now.`;
  else if (b?.plugin?.via)
    summary = `Set "hairpinMode": true in flannel's "delegate" in ${b.plugin.conf.file} (kube-flannel's ConfigMap kube-flannel-cfg, cni-conf.json, where flannel runs as a DaemonSet: it rewrites the file), then recreate the pods on ${node}: existing veths keep their setting. The commands below fix the running pods now.`;
  else if (b?.plugin)
    summary = `Set "hairpinMode": true in the bridge plugin of ${b.plugin.conf.file} (for kube-router: in its ConfigMap's cni-conf.json, which kube-router writes to the node), then recreate the pods on ${node}: existing veths keep their setting. The commands below fix the running pods now.`;
  else summary = `Turn hairpin on for the pod bridge's ports where the network plugin creates them ("hairpinMode": true in the CNI bridge conf; kubelet --hairpin-mode=hairpin-veth where kubelet wires the bridge), then recreate the pods; the commands below fix the running pods now.`;
  return {
    summary,
    commands,
    caution: 'The sysfs / bridge commands last until a pod is recreated (its new veth takes the conf\'s setting). Recreating pods restarts them: drain the node (kubectl drain) or delete its pods a few at a time.',
  };
}

/** net.bridge.bridge-nf-call-iptables = 0 at runtime: bridged frames skip iptables, Service DNAT happens routed. */
function bridgeNfCallOff(artifacts: HairpinArtifacts): boolean {
  const vs = (artifacts.sysctl ?? []).map((s) => s.values.get(BR_NF_CALL)).filter((v) => v !== undefined);
  return vs.length > 0 && vs.every((v) => v!.value.trim() === '0');
}

export function analyzeHairpin(node: string, artifacts: HairpinArtifacts): FindingDraft[] {
  if (bridgeNfCallOff(artifacts)) return [];
  const bridges = bridgeViews(artifacts);
  const kubeSign =
    hasKubernetes(artifacts) ??
    (artifacts.distributionHint?.[0] ? { file: artifacts.distributionHint[0].file, line: 0, excerpt: artifacts.distributionHint[0].file, note: artifacts.distributionHint[0].why } : undefined) ??
    (kubeletOf(artifacts).sources[0] ? { file: kubeletOf(artifacts).sources[0].file, line: 0, excerpt: kubeletOf(artifacts).sources[0].file, note: "kubelet's configuration is on the node" } : undefined) ??
    bridges.find((b) => b.plugin && (b.plugin.via || b.name === 'kube-bridge' || b.name === 'cbr0'))?.evidence[0];
  const fails = failures(artifacts, bridges);
  if (!kubeSign && fails.length === 0) return [];

  const off = bridges.filter((b) => b.state === 'off');
  const proven = fails.filter((f) => f.endpoints.some((e) => e.bridge?.state === 'off'));
  if (proven.length > 0) {
    const f = proven[0];
    const hit = f.endpoints.find((e) => e.bridge?.state === 'off')!;
    const b = hit.bridge!;
    const evidence = [
      ...proven.slice(0, MAX_LOG_EVIDENCE).map(logEvidence),
      ...hit.endpoint.evidence,
      ...(hit.subnet ? [hit.subnet] : []),
      ...b.evidence,
    ];
    return [
      {
        severity: 'critical',
        title: `A pod cannot reach itself through its Service: hairpin is off on ${b.name}`,
        message: `A connection to the Service ${f.vip}${f.port ? ` port ${f.port}` : ''} timed out, and that Service's endpoint ${hit.endpoint.address} is a pod on this node's bridge ${b.name}, whose ${b.offPorts.length > 0 ? `ports have hairpin off (${b.offPorts.map((p) => p.port).slice(0, MAX_PORTS).join(', ')})` : 'pods get their veths with hairpin off'} and which is not promiscuous. When the Service sends the pod's connection back to the pod itself, the DNATed frame must leave ${b.name} through the port it came in on; the bridge drops it, and the client waits until it times out. Clients behind other ports of the bridge, or on other nodes, are not affected.`,
        impact: `Pods that are endpoints of a Service they call themselves (through its ClusterIP or name) time out whenever the connection is balanced to themselves; with a single endpoint, always.`,
        evidence,
        remedy: remedy(b, node),
        facts: { bridge: b.name, service: f.vip, port: f.port, endpoint: hit.endpoint.address, portsHairpinOff: b.offPorts.map((p) => p.port) },
      },
    ];
  }
  if (off.length > 0) {
    const out: FindingDraft[] = [];
    for (const b of off) {
      const how = b.offPorts.length > 0 ? `${b.offPorts.length} of its ${b.ports.filter((p) => p.hairpin !== undefined).length} pod port${b.ports.length === 1 ? '' : 's'} have hairpin off` : b.wiredBy === 'kubelet' ? "kubelet's hairpin mode leaves its ports with hairpin off" : "the CNI conf in use gives new pods' veths hairpin off";
      out.push({
        severity: 'warning',
        title: `Hairpin is off on the pod bridge ${b.name}: a pod cannot reach itself through its Service`,
        message: `On ${b.name} ${how}, and the bridge is not promiscuous. A pod that calls a Service it backs itself (its ClusterIP or name) times out whenever the connection is balanced back to it: the bridge does not send a frame out of the port it came in on. Nothing in the bundle's logs shows such a timeout.`,
        impact: 'Pods that call their own Service (leader election through a Service, self-registration, a single-replica app calling its own name) hang intermittently, or always with a single endpoint.',
        evidence: [...b.evidence, ...(kubeSign && !b.evidence.some((e) => e.file === kubeSign.file && e.line === kubeSign.line) ? [kubeSign] : [])],
        remedy: remedy(b, node),
        facts: { bridge: b.name, portsHairpinOff: b.offPorts.map((p) => p.port), wiredBy: b.wiredBy },
      });
    }
    return out;
  }
  // a timeout to a Service whose endpoint is this node's pod, the bridge's hairpin setting not shown
  const likely = fails.filter((f) => f.endpoints.some((e) => !e.bridge || e.bridge.state === 'unknown'));
  if (likely.length > 0 && !bridges.some((b) => b.state === 'on' && likely[0].endpoints.some((e) => e.bridge === b))) {
    const f = likely[0];
    const hit = f.endpoints.find((e) => !e.bridge || e.bridge.state === 'unknown')!;
    const b = hit.bridge;
    return [
      {
        severity: 'warning',
        title: `A connection to a Service timed out where its endpoint is a pod of this node: hairpin off on the pod bridge is the likely cause`,
        message: `A connection to the Service ${f.vip}${f.port ? ` port ${f.port}` : ''} timed out, and its endpoint ${hit.endpoint.address} is a pod on this node${b ? ` (bridge ${b.name})` : ''}. If the client was that pod (or another pod of this node's bridge), the bridge must send the frame back out of the port it came in on, which it does only with hairpin on for that port (or a promiscuous bridge). The bundle does not show the bridge's ports (bridge -d link show) nor the CNI conf in use, so this is not proven.`,
        evidence: [...likely.slice(0, MAX_LOG_EVIDENCE).map(logEvidence), ...hit.endpoint.evidence, ...(hit.subnet ? [hit.subnet] : [])],
        remedy: {
          summary: `Check hairpin on the node's pod bridge: every pod port should show "hairpin on" (or the bridge be promiscuous). If not, set "hairpinMode": true in the CNI bridge conf (flannel: in its "delegate"; kube-router: its ConfigMap's cni-conf.json) and recreate the pods; the loop below turns it on for the running pods.`,
          commands: [
            'bridge -d link show | grep -B1 hairpin   # each pod port: hairpin on / off',
            'grep -H . /sys/class/net/*/brport/hairpin_mode',
            'grep -rH hairpinMode /etc/cni/net.d/',
            `for p in /sys/class/net/${b?.name ?? 'kube-bridge'}/brif/*; do echo 1 > "$p/hairpin_mode"; done   # the running pods, until they are recreated`,
          ],
          caution: 'The sysfs loop lasts until a pod is recreated; the CNI conf decides for new pods.',
        },
        facts: { service: f.vip, port: f.port, endpoint: hit.endpoint.address, bridge: b?.name },
      },
    ];
  }
  return [];
}

export default defineAnalyzer({
  id: 'kubernetes.hairpin-disabled',
  title: 'Hairpin off on the pod bridge: a pod cannot reach itself through its Service',
  description:
    "A Kubernetes node's pod bridge (cni0, cbr0, kube-bridge) whose pod ports have hairpin off and which is not promiscuous, or whose CNI bridge conf leaves hairpinMode unset: a pod calling a Service it backs times out. Critical with such a timeout in the logs to a Service whose endpoint is a pod of this node.",
  scope: 'node',
  requires: [],
  requiresOneOf: ['ipAddr', 'logs', 'bridgeLinks', 'cniConf'],
  optional: ['ipAddr', 'logs', 'bridgeLinks', 'cniConf', 'iptables', 'ipvsadm', 'sysctl', 'resolvConf', 'flannelSubnetEnv', 'services', 'dockerDaemon', 'distributionHint'],
  analyze({ node, artifacts }) {
    return analyzeHairpin(node, artifacts as HairpinArtifacts);
  },
});
