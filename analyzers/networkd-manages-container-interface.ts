/**
 * host.networkd-manages-container-interface: systemd-networkd applies a .network file to an interface a
 * container runtime or CNI plugin owns (docker0, veth*, cni0, flannel.1, cali*, vxlan.calico, ...). networkd then
 * configures the link as the file says, not as Docker / the CNI left it: it drops addresses and routes it did not
 * set (the bridge loses its gateway address), sets the bridge master from the file's Bridge= (none: the container's
 * veth is detached from docker0, which goes NO-CARRIER), runs DHCP on it, applies IPForward= / IPMasquerade=.
 *
 * coreos/bugs#1205 (systemd v229: CoreOS's catch-all zz-default.network took docker0 and the veths; container DNS
 * failed with forwarding on) is the classic; the same happens on any host with a wildcard [Match] (`Name=*`,
 * netplan's `match: name: "*"`, `Name=en* eth* v*`). Flatcar (and CoreOS after the fix) ship docker.network,
 * cni.network, calico.network with `[Link] Unmanaged=yes` and a zz-default.network whose Type=/Driver= exclude
 * bridges, vxlan and veths (github.com/flatcar/init systemd/network/); Antrea's docs (docs/os-issues.md) ask for
 * the same files on CoreOS.
 *
 * Reproduced on this machine (systemd 252 networkd in a network namespace, test/fixtures/networkd/): with
 * `[Match] Name=*` networkctl shows docker0 and the veth `configured`, docker0's `Network File:` is the catch-all,
 * and networkd detached the veth from docker0 (docker0 NO-CARRIER); after the remedy's file and `networkctl
 * reload` both are `unmanaged`, but the veth stays detached until its container / Docker is restarted.
 *
 * Evidence: networkctl (list: SETUP `configured`/`configuring`/`failed`; status: `Network File:`), else the
 * .network files whose first match (by name across /etc, /run, /usr/lib) selects a container interface of the
 * bundle's ip addr without `[Link] Unmanaged=yes`. networkctl's `unmanaged` overrides the files; no networkctl and
 * no files: not run. Warning; critical when the bundle shows the damage: a managed container bridge without its
 * IPv4 address while Docker's network inspect gives its gateway, or without carrier while Docker lists containers
 * on it.
 */
import { defineAnalyzer, type FindingDraft } from '../src/engine/analyzer.js';
import type { NodeArtifacts } from '../src/engine/artifacts.js';
import type { Evidence } from '../src/report/schema.js';
import { interfacesOf, type Interface } from '../src/parsers/interfaces.js';
import { findService, isActive, isEnabled } from '../src/parsers/services.js';
import { isManaged, networkctlLinks, type NetworkctlLink } from '../src/parsers/networkctl.js';
import { effectiveNetwork, networkSetting, orderedNetworkFiles, unmanagedSetting, type NetworkMatch, type SystemdNetworkFile } from '../src/parsers/systemd-network.js';
import type { LinkDevice } from '../src/parsers/systemd-link.js';
import { DOCKER_RESTART_KINDS, dockerRestartOf, nodeForCommands, restartDocker } from './lib/node-services.js';


/** A container runtime's / CNI plugin's interface: what networkd sees of it (Type= as networkctl prints it, Driver=), and the Name= glob the remedy uses. */
interface Family {
  re: RegExp;
  /** networkctl's TYPE (the [Match] Type= it is tested against) */
  type: string;
  driver: string;
  glob: (name: string) => string;
  owner: 'docker' | 'cni' | 'flannel' | 'calico' | 'cilium' | 'weave' | 'kube-router' | 'podman';
  bridge?: boolean;
}

const FAMILIES: Family[] = [
  { re: /^docker0$/, type: 'bridge', driver: 'bridge', glob: () => 'docker0', owner: 'docker', bridge: true },
  { re: /^docker_gwbridge$/, type: 'bridge', driver: 'bridge', glob: () => 'docker_gwbridge', owner: 'docker', bridge: true },
  // user-defined Docker networks: br- and 12 hex digits; `?` keeps a host bridge named br-lan out
  { re: /^br-[0-9a-f]{12}$/, type: 'bridge', driver: 'bridge', glob: () => 'br-????????????', owner: 'docker', bridge: true },
  { re: /^veth[0-9a-f]{6,}$/, type: 'ether', driver: 'veth', glob: () => 'veth*', owner: 'docker' },
  { re: /^(cni0|cbr0)$/, type: 'bridge', driver: 'bridge', glob: (n) => n, owner: 'cni', bridge: true },
  { re: /^(podman\d+|cni-podman\d+)$/, type: 'bridge', driver: 'bridge', glob: (n) => n.replace(/\d+$/, '*'), owner: 'podman', bridge: true },
  { re: /^kube-bridge$/, type: 'bridge', driver: 'bridge', glob: () => 'kube-bridge', owner: 'kube-router', bridge: true },
  { re: /^flannel(-v6)?\.\d+$/, type: 'vxlan', driver: 'vxlan', glob: () => 'flannel*', owner: 'flannel' },
  { re: /^flannel-wg(-v6)?$/, type: 'wireguard', driver: 'wireguard', glob: () => 'flannel*', owner: 'flannel' },
  { re: /^cali[0-9a-f]{11}$/, type: 'ether', driver: 'veth', glob: () => 'cali*', owner: 'calico' },
  { re: /^vxlan(-v6)?\.calico$/, type: 'vxlan', driver: 'vxlan', glob: (n) => n, owner: 'calico' },
  { re: /^tunl0$/, type: 'tunnel', driver: 'ipip', glob: () => 'tunl0', owner: 'calico' },
  { re: /^lxc[0-9a-f]{8,}$|^lxc_health$/, type: 'ether', driver: 'veth', glob: () => 'lxc*', owner: 'cilium' },
  { re: /^cilium_(host|net)$/, type: 'ether', driver: 'veth', glob: () => 'cilium_*', owner: 'cilium' },
  { re: /^cilium_(vxlan|geneve)$/, type: 'vxlan', driver: 'vxlan', glob: () => 'cilium_*', owner: 'cilium' },
  { re: /^weave$/, type: 'bridge', driver: 'bridge', glob: () => 'weave', owner: 'weave', bridge: true },
];

const familyOf = (name: string) => FAMILIES.find((f) => f.re.test(name));

/** ip -d's kind, networkctl's Kind: a better type than the name's where the bundle has it. */
function deviceOf(name: string, fam: Family, itf?: Interface, nc?: NetworkctlLink[]): LinkDevice {
  const kind = itf?.kind ?? nc?.find((l) => l.kind)?.kind;
  const type = nc?.find((l) => l.type)?.type;
  if (kind === 'veth') return { name, type: type ?? 'ether', kind, driver: 'veth' };
  if (kind === 'bridge') return { name, type: type ?? 'bridge', kind, driver: 'bridge' };
  if (kind === 'vxlan') return { name, type: type ?? 'vxlan', kind, driver: 'vxlan' };
  return { name, type: type ?? fam.type, kind: kind ?? (fam.driver === 'ipip' ? 'ipip' : fam.driver), driver: fam.driver };
}

interface Managed {
  name: string;
  fam: Family;
  /** networkctl's rows / State lines saying configured */
  by: NetworkctlLink[];
  /** the .network that takes it (networkctl's Network File, or the first match of the files) */
  match?: NetworkMatch;
  networkFile?: string;
  itf?: Interface;
}

const id = 'host.networkd-manages-container-interface';

export default defineAnalyzer({
  id,
  title: 'systemd-networkd manages a container interface',
  description:
    "A .network file of systemd-networkd matches docker0, a veth, cni0, flannel.1 or a Calico interface (a catch-all [Match] Name=*, netplan's match name \"*\") and lacks [Link] Unmanaged=yes: networkd reconfigures the interface, removing the runtime's addresses or detaching its veths.",
  scope: 'node',
  requires: [],
  requiresOneOf: ['networkctl', 'systemdNetwork'],
  optional: [...new Set(['networkctl', 'systemdNetwork', 'ipAddr', 'dockerNetworks', ...DOCKER_RESTART_KINDS] as const)],
  analyze(input) {
    return analyzeNetworkd(input.node, input.artifacts, nodeForCommands(input).command);
  },
});

/** `commandNode`: the node's name in commands, `<NODE>` where the bundle does not show it (nodeForCommands) */
export function analyzeNetworkd(node: string, a: NodeArtifacts, commandNode = node): FindingDraft[] {
  const nc = networkctlLinks(a.networkctl ?? []);
  const files = a.systemdNetwork ?? [];
  if (nc.size === 0 && files.length === 0) return [];
  const itfs = interfacesOf(a.ipAddr ?? []);
  const names = new Set<string>([...itfs.keys(), ...nc.keys()]);
  const networkd = networkdState(a);
  const managed: Managed[] = [];
  for (const name of names) {
    const fam = familyOf(name);
    if (!fam) continue;
    const seen = nc.get(name) ?? [];
    const itf = itfs.get(name);
    // networkctl decides where it shows a SETUP: unmanaged is fine, pending is undecided
    const withSetup = seen.filter((l) => l.setup);
    if (withSetup.length > 0) {
      const by = withSetup.filter((l) => isManaged(l.setup));
      if (by.length === 0) continue;
      const networkFile = seen.find((l) => l.networkFile)?.networkFile;
      const match = networkFile ? files.find((f) => sameFile(f.file, networkFile)) : undefined;
      const m = match ? { file: match, because: match.match.filter((s) => s.key === 'Name'), assumed: [] } : fileMatch(files, name, fam, itf, seen);
      managed.push({ name, fam, by, match: m, networkFile: networkFile ?? m?.file.file, itf });
      continue;
    }
    // the files alone: only where networkd is not known to be off
    if (networkd.off) continue;
    const m = fileMatch(files, name, fam, itf, seen);
    if (m) managed.push({ name, fam, by: [], match: m, networkFile: m.file.file, itf });
  }
  if (managed.length === 0) return [];
  return [finding(node, managed, a, networkd, files, commandNode)];
}

/** The first .network that selects the interface, unless it says Unmanaged=yes. */
function fileMatch(files: SystemdNetworkFile[], name: string, fam: Family, itf: Interface | undefined, nc: NetworkctlLink[]): NetworkMatch | undefined {
  if (files.length === 0) return undefined;
  const m = effectiveNetwork(files, deviceOf(name, fam, itf, nc));
  if (!m || unmanagedSetting(m.file)) return undefined;
  return m;
}

/** networkctl prints the host path (/etc/systemd/network/x.network); the bundle has it under some root. */
function sameFile(bundlePath: string, hostPath: string): boolean {
  const h = hostPath.replace(/^\/+/, '');
  return bundlePath === h || bundlePath.endsWith('/' + h);
}

interface NetworkdState {
  /** the unit list shows systemd-networkd neither enabled nor active */
  off: boolean;
  /** running (active), or shown by networkctl answering at all */
  running: boolean;
  unit?: { file: string; line: number; excerpt: string };
}

function networkdState(a: NodeArtifacts): NetworkdState {
  const states = findService(a.services ?? [], 'systemd-networkd.service');
  const active = isActive(states);
  const enabled = isEnabled(states);
  const shown = active ?? enabled ?? states[0];
  const unit = shown ? { file: shown.ref.file, line: shown.ref.line, excerpt: shown.excerpt } : undefined;
  const answered = (a.networkctl ?? []).some((o) => o.links.some((l) => l.setup && l.setup !== 'pending'));
  return { off: states.length > 0 && !active && !enabled && !answered, running: !!active || answered, unit };
}

function finding(node: string, managed: Managed[], a: NodeArtifacts, networkd: NetworkdState, files: SystemdNetworkFile[], commandNode: string): FindingDraft {
  const evidence: Evidence[] = [];
  const add = (e: Evidence) => {
    if (!evidence.some((x) => x.file === e.file && x.line === e.line)) evidence.push(e);
  };
  const damage: string[] = [];
  const docker = (a.dockerNetworks ?? []).flatMap((d) => d.networks);
  const allLinks = (a.networkctl ?? []).flatMap((o) => o.links);
  for (const m of managed) {
    for (const l of m.by) if (l.setupRef) add({ file: l.setupRef.file, line: l.setupRef.line, excerpt: l.setupExcerpt ?? l.excerpt, note: `networkd manages ${m.name} (SETUP ${l.setup})` });
    for (const l of allLinks.filter((x) => x.name === m.name && x.networkFileRef))
      add({ file: l.networkFileRef!.file, line: l.networkFileRef!.line, excerpt: l.networkFileExcerpt!, note: `the .network networkd applied to ${m.name}` });
    if (m.match) {
      const lines = m.match.because.length > 0 ? m.match.because : m.match.file.match.slice(0, 1);
      for (const s of lines) add({ file: s.ref.file, line: s.ref.line, excerpt: s.excerpt, note: `[Match] of ${m.match.file.name} selects ${managedNamesOf(managed, m.match.file)}; it has no [Link] Unmanaged=yes` });
      for (const key of ['IPForward', 'IPMasquerade', 'DHCP', 'Bridge', 'Address']) {
        const s = networkSetting(m.match.file, key);
        if (s) add({ file: s.ref.file, line: s.ref.line, excerpt: s.excerpt, note: 'networkd applies this to the interfaces it matches' });
      }
      for (const s of m.match.file.misplaced.filter((x) => x.key === 'Unmanaged'))
        add({ file: s.ref.file, line: s.ref.line, excerpt: s.excerpt, note: 'Unmanaged= belongs in [Link]: under [Network] networkd ignores it' });
    }
    // the damage: a managed bridge without the gateway address Docker gave it, or without carrier while containers hang on it
    if (m.fam.bridge && m.itf) {
      const net = docker.find((n) => (n.bridgeName ?? (n.name === 'bridge' ? 'docker0' : undefined)) === m.name);
      const gw = net?.subnets.find((s) => s.gateway && !s.gateway.includes(':'));
      const v4 = m.itf.addresses.filter((x) => x.family === 4);
      if (gw && v4.length === 0) {
        damage.push(`${m.name} has no IPv4 address in ip addr, while Docker's network ${net!.name} gives it ${gw.gateway}`);
        add({ file: m.itf.ref.file, line: m.itf.ref.line, excerpt: itfExcerpt(m.itf), note: `no inet line: the address Docker set is gone` });
        add({ file: gw.ref.file, line: gw.ref.line, excerpt: gw.excerpt, note: `Docker's network ${net!.name} on ${m.name}: gateway ${gw.gateway}` });
      } else if (net && net.containers.length > 0 && (m.itf.flags.includes('NO-CARRIER') || !m.itf.flags.includes('UP'))) {
        damage.push(`${m.name} is ${m.itf.flags.includes('NO-CARRIER') ? 'NO-CARRIER' : 'down'} while Docker lists ${net.containers.length} container${net.containers.length > 1 ? 's' : ''} on it: their veths are no longer its ports`);
        add({ file: m.itf.ref.file, line: m.itf.ref.line, excerpt: itfExcerpt(m.itf), note: 'no port of the bridge has carrier' });
        add({ file: net.ref.file, line: net.ref.line, excerpt: `"Name": "${net.name}"`, note: `${net.containers.length} container(s) attached` });
      }
    }
  }
  // a Docker veth is always a port of its bridge: one without `master` in full ip addr output was detached (networkd
  // sets the master from Bridge=; reproduced with systemd 252: veth4c1f0a2 lost docker0, which went NO-CARRIER)
  const fullIpAddr = new Set((a.ipAddr ?? []).filter((l) => l.format === 'ip' || l.format === 'ip-oneline').flatMap((l) => l.interfaces.map((i) => i.name)));
  const bridges = managed.filter((m) => m.fam.owner === 'docker' && m.fam.bridge);
  if (bridges.length > 0) {
    const detached = managed.filter((m) => m.fam.owner === 'docker' && !m.fam.bridge && m.itf && fullIpAddr.has(m.name) && !m.itf.master);
    if (detached.length > 0) {
      damage.push(`${detached.map((m) => m.name).join(', ')} ${detached.length > 1 ? 'are' : 'is'} no longer a port of any bridge (no master in ip addr): networkd detached the container's veth from ${bridges.map((b) => b.name).join(', ')}`);
      for (const m of detached.slice(0, 3)) add({ file: m.itf!.ref.file, line: m.itf!.ref.line, excerpt: itfExcerpt(m.itf!), note: 'a container veth without master: not attached to its bridge' });
    }
  }
  if (networkd.unit) add({ ...networkd.unit, note: 'systemd-networkd on this node' });
  const names = managed.map((m) => m.name);
  const fromNetworkctl = managed.filter((m) => m.by.length > 0).map((m) => m.name);
  const fromFiles = managed.filter((m) => m.by.length === 0).map((m) => m.name);
  const offenders = [...new Set(managed.map((m) => m.match?.file.name ?? m.networkFile?.replace(/^.*\//, '')).filter((x): x is string => !!x))];
  const remedy = unmanageRemedy(commandNode, managed, offenders, files, restartDocker({ dockerRestart: dockerRestartOf(a) }, "re-creates docker0's address and reattaches the containers' veths"));
  const critical = damage.length > 0;
  // a file that selects the link only through a condition the bundle cannot tell (Flatcar's older yy-vmware.network:
  // `[Match] Virtualization=vmware` alone): it matches only on such a host (R11 p09)
  const conditional = managed.filter((m) => m.by.length === 0 && m.match && m.match.because.length === 0 && m.match.assumed.length > 0);
  const onlyIf = !critical && conditional.length === managed.length ? [...new Set(conditional.flatMap((m) => m.match!.assumed.map((x) => x.excerpt)))] : [];
  for (const m of conditional) for (const x of m.match!.assumed) add({ file: x.ref.file, line: x.ref.line, excerpt: x.excerpt, note: 'a condition the bundle cannot check: the file matches only where it holds' });
  const shown = (xs: string[]) => (xs.length > 4 ? `${xs.slice(0, 4).join(', ')} and ${xs.length - 4} more` : xs.join(', '));
  const message =
    (fromNetworkctl.length > 0 ? `networkctl shows ${shown(fromNetworkctl)} managed by systemd-networkd${offenders.length > 0 ? ` (${offenders.join(', ')})` : ''}. ` : '') +
    (fromFiles.length > 0
      ? `${offenders.length > 0 ? offenders.join(', ') : 'A .network file'} matches ${shown(fromFiles)} (the first .network by name whose [Match] selects ${fromFiles.length > 1 ? 'them' : 'it'}) and does not say Unmanaged=yes${networkd.running ? '' : ' (the bundle does not show whether systemd-networkd runs: this holds if it does)'}. `
      : '') +
    'networkd configures such an interface as the file says, not as the container runtime or CNI plugin left it: it removes the addresses and routes it did not set, detaches a veth from its bridge (no Bridge= in the file), runs DHCP on it. ' +
    (critical ? `The bundle shows it happened: ${damage.join('; ')}.` : 'The bundle does not show damage yet; it comes when networkd (re)configures the link: a restart or reload, the link going down and up.') +
    (onlyIf.length > 0 ? ` The file selects ${fromFiles.length > 1 ? 'them' : 'it'} only where ${onlyIf.join(', ')} holds, which the bundle does not show: on any other host it matches nothing.` : '');
  return {
    severity: critical ? 'critical' : onlyIf.length > 0 ? 'info' : 'warning',
    title: critical ? 'systemd-networkd took over a container interface and removed its configuration' : 'systemd-networkd manages a container interface',
    message,
    impact: critical
      ? 'Containers on the affected bridge have no way off the host (no gateway address, or their veth is no longer a port of the bridge): DNS and every outbound connection fail.'
      : 'When networkd reconfigures the link, containers or pods on it lose connectivity until the runtime / CNI plugin recreates its configuration.',
    evidence,
    facts: {
      interfaces: names,
      ...(fromNetworkctl.length > 0 ? { managedPerNetworkctl: fromNetworkctl } : {}),
      ...(fromFiles.length > 0 ? { matchedByFiles: fromFiles } : {}),
      networkFiles: offenders,
      networkdRunning: networkd.running ? true : networkd.unit ? false : 'unknown',
      ...(critical ? { damage } : {}),
    },
    remedy,
  };
}

function managedNamesOf(managed: Managed[], f: SystemdNetworkFile): string {
  return managed.filter((m) => m.match?.file.name === f.name).map((m) => m.name).join(', ');
}

function itfExcerpt(i: Interface): string {
  return `${i.index !== undefined ? `${i.index}: ` : ''}${i.name}: <${i.flags.join(',')}>${i.state ? ` state ${i.state}` : ''}`;
}

const UNMANAGED_NAMES = ['10-container-interfaces-unmanaged.network', '00-container-interfaces-unmanaged.network', '0-container-interfaces-unmanaged.network', '0-0-container-interfaces-unmanaged.network'];

/**
 * A file with `[Link] Unmanaged=yes` for the container interfaces, named to sort before the file that takes them
 * (networkd applies the first match), written whole with tee (pasting it twice writes the same file), then networkd
 * reloaded; then the owners restarted, because networkd gives back nothing it removed.
 */
function unmanageRemedy(node: string, managed: Managed[], offenders: string[], files: SystemdNetworkFile[], dockerRestart: string[]): FindingDraft['remedy'] {
  const globs = new Set<string>();
  for (const m of managed) globs.add(m.fam.glob(m.name));
  // a bridge's ports are veths networkd would detach: leave them alone too
  if (managed.some((m) => m.fam.bridge && m.fam.owner !== 'docker')) globs.add('veth*');
  if (managed.some((m) => m.fam.owner === 'docker')) globs.add('veth*');
  const first = [...offenders].sort()[0];
  const taken = new Set(orderedNetworkFiles(files).map((f) => f.name));
  const name = UNMANAGED_NAMES.find((n) => (!first || n < first) && !taken.has(n));
  const nameList = [...globs].join(' ');
  const owners = new Set(managed.map((m) => m.fam.owner));
  const restarts: string[] = [];
  if (owners.has('docker')) restarts.push(...dockerRestart);
  if (owners.has('podman')) restarts.push('podman network reload --all   # re-creates the podman bridges\' configuration for running containers');
  if (owners.has('flannel')) restarts.push(`kubectl -n kube-flannel delete pod --field-selector spec.nodeName=${node} -l app=flannel   # (kube-system in older manifests) re-creates flannel.1`);
  if (owners.has('calico')) restarts.push(`kubectl -n calico-system delete pod --field-selector spec.nodeName=${node} -l k8s-app=calico-node   # (kube-system without the operator) re-creates the node's Calico routes and devices`);
  if (owners.has('cilium')) restarts.push(`kubectl -n kube-system delete pod --field-selector spec.nodeName=${node} -l k8s-app=cilium`);
  if (owners.has('cni') || owners.has('kube-router') || owners.has('weave')) restarts.push('# cni0 / kube-bridge / weave: restart the CNI plugin\'s pod on this node (or the node\'s pods) so it re-creates the bridge\'s address and ports');
  if (!name)
    return {
      summary: `Tighten the [Match] of ${offenders.join(', ')} so it no longer selects ${[...globs].join(', ')} (a drop-in <file>.d/10-no-containers.conf with [Match] Name=!${[...globs].join(' ')}: one ! at the start negates the whole list; or Type=!bridge vxlan and Driver=!veth as Flatcar's zz-default.network does), reload networkd, then restart what owns the interfaces.`,
      commands: ['networkctl reload 2>/dev/null || systemctl restart systemd-networkd   # networkctl reload: systemd >= 244', ...restarts],
      caution: 'Restarting docker restarts its containers; deleting a CNI pod interrupts pod networking on the node for a moment.',
    };
  const path = `/etc/systemd/network/${name}`;
  return {
    summary:
      `Tell networkd to leave the container interfaces alone: a .network file with [Match] Name=${nameList} and [Link] Unmanaged=yes, named to sort before ${first ?? 'the file that takes them'} (networkd applies the first file that matches), as Flatcar ships docker.network / cni.network / calico.network. ` +
      'Reload networkd, then restart what owns the interfaces: networkd does not give back the addresses or bridge ports it removed.',
    commands: [
      `printf '%s\\n' '[Match]' 'Name=${nameList}' '' '[Link]' 'Unmanaged=yes' | tee ${path} >/dev/null`,
      'networkctl reload 2>/dev/null || systemctl restart systemd-networkd   # networkctl reload: systemd >= 244',
      `networkctl list   # ${[...new Set(managed.map((m) => m.name))].slice(0, 3).join(', ')}: SETUP unmanaged`,
      ...restarts,
    ],
    caution: (
      `${path} is written whole (running it again writes the same file). Check that no interface networkd should configure matches ${nameList}. ` +
      (managed.some((m) => m.fam.owner === 'docker') ? 'Restarting docker restarts its containers. ' : '') +
      (restarts.some((r) => r.startsWith('kubectl')) ? 'Deleting a CNI pod interrupts pod networking on the node for a moment.' : '')).trim(),
  };
}
