/**
 * sysctl.ip-forward-disabled: with net.ipv4.ip_forward = 0 the kernel forwards nothing, so
 * containers reach neither other nodes nor the outside. The same for IPv6: with
 * net.ipv6.conf.all.forwarding = 0 the kernel routes no IPv6 packet, so on a host whose containers
 * or pods use IPv6 their IPv6 traffic off the host is dropped.
 */
import { defineAnalyzer, type FindingDraft } from '../src/engine/analyzer.js';
import type { NodeArtifacts } from '../src/engine/artifacts.js';
import type { Evidence } from '../src/report/schema.js';
import { effectiveConfig, runtimeValue, type SysctlRuntime } from '../src/parsers/sysctl.js';
import { interfacesOf } from '../src/parsers/interfaces.js';
import { containerHostEvidence, ipv4ForwardingKey, ipv4ForwardingPaths, type InterfaceForwarding } from './lib/container-host.js';
import { NODE_SERVICE_KINDS, nodeForCommands, nodeServices, restartDocker, restartedNames, type NodeServices } from './lib/node-services.js';
import { dockerdSettings } from '../src/parsers/dockerd-flags.js';
import { timeOf } from './lib/logs.js';
import { configSetting, persistSysctl, persistSysctlsByMachineConfig } from './lib/sysctl-fix.js';
import { dockerIpv6Use, podIpv6Use } from './lib/ipv6-use.js';

const KEY = 'net.ipv4.ip_forward';
const KEY6 = 'net.ipv6.conf.all.forwarding';

export default defineAnalyzer({
  id: 'sysctl.ip-forward-disabled',
  title: 'IPv4 forwarding is disabled',
  description: 'net.ipv4.ip_forward is 0 at runtime (or net.ipv6.conf.all.forwarding on a host whose containers use IPv6): the node forwards no container traffic.',
  scope: 'node',
  requires: ['sysctl'],
  optional: [...new Set(['sysctlConfig', 'services', 'dockerDaemon', 'logs', 'ipAddr', 'dockerNetworks', 'iptables', 'nftables', 'flannelSubnetEnv', 'routes', ...NODE_SERVICE_KINDS] as const)],
  analyze(input) {
    const { node, artifacts, partly } = input;
    // sysctl values of other keys only (a lone /proc/sys/net/bridge file): no green tick for a check without its input
    if (runtimeValue(artifacts.sysctl, KEY).length === 0)
      partly?.(runtimeValue(artifacts.sysctl, KEY6).length === 0 ? `not run: no ${KEY} in the bundle` : `IPv4 not checked: no ${KEY} in the bundle (IPv6 forwarding was)`);
    return [...ipv4(node, artifacts, nodeForCommands(input).command), ...ipv6(node, artifacts)];
  },
});

/** `cmdNode`: the node's name in oc / kubectl commands (<NODE> where the bundle names no host) */
function ipv4(node: string, artifacts: NodeArtifacts & { sysctl: SysctlRuntime[] }, cmdNode = node): FindingDraft[] {
  const values = runtimeValue(artifacts.sysctl, KEY);
  const off = values.filter((v) => v.value === '0');
  if (off.length === 0) return [];
  const evidence: Evidence[] = off.map((v) => ({ file: v.ref.file, line: v.ref.line, excerpt: v.excerpt, note: 'runtime value' }));
  const on = values.filter((v) => v.value !== '0');
  for (const v of on) evidence.push({ file: v.ref.file, line: v.ref.line, excerpt: v.excerpt, note: 'another source of the bundle shows it on (taken at a different moment)' });
  const configured = artifacts.sysctlConfig ? effectiveConfig(artifacts.sysctlConfig, KEY) : undefined;
  const zeros = configSetting(artifacts.sysctlConfig, KEY, '0');
  for (const z of zeros)
    evidence.push({
      file: z.ref.file,
      line: z.ref.line,
      excerpt: z.excerpt,
      note: z === configured ? 'sets it to 0 again at every boot or `sysctl --system`' : 'sets it to 0 too (a later file overrides it, but fix it as well)',
    });
  const logLines = (artifacts.logs ?? []).flatMap((l) => l.matches.filter((m) => m.signature === 'log.ip-forward-disabled'));
  for (const m of logLines.slice(0, 5)) evidence.push({ file: m.file, line: m.line, excerpt: m.excerpt, note: 'the container runtime warns that networking will not work', ...timeOf(m) });
  const host = containerHostEvidence(artifacts);
  // dockerd --ip-forward=false ("ip-forward": false): Docker leaves forwarding as it finds it
  const dockerForward = dockerdSettings(artifacts.dockerDaemon).ipForward;
  const dockerLeavesIt = dockerForward?.value === false ? dockerForward : undefined;
  if (dockerLeavesIt)
    evidence.push({ file: dockerLeavesIt.ref.file, line: dockerLeavesIt.ref.line, excerpt: dockerLeavesIt.excerpt, note: `Docker is told not to turn forwarding on (ip-forward false, read from ${dockerLeavesIt.note})` });
  const corroborated = logLines.length > 0;
  // the only runtime a rootless dockerd: its containers are forwarded in RootlessKit's namespace, not by the host
  if (host.length === 0 && !corroborated && dockerdSettings(artifacts.dockerDaemon).rootless) return [];
  const services = nodeServices(artifacts);
  // the kernel forwards by the incoming interface's own setting: ip_forward = 0 with every container
  // interface and the uplink set to 1 one by one (OVN-Kubernetes' ipForwarding: Restricted) forwards them
  const per = ipv4ForwardingPaths(artifacts);
  if (per) {
    const on = per.paths.filter((p) => p.value === '1');
    const offPaths = per.paths.filter((p) => p.value === '0');
    const unknown = per.paths.filter((p) => p.value === undefined);
    // without ip route the uplink is a guess: an addressed interface at 0 beside one at 1 (a storage or
    // management NIC left out on purpose) does not prove the pods' way out is closed
    const uplinkGuessOk = per.uplinkFrom === 'addresses' && on.some((p) => p.role !== 'container');
    const blocking = offPaths.filter((p) => p.role !== 'uplink' || !uplinkGuessOk);
    const names = (ps: InterfaceForwarding[]) => ps.map((p) => p.itf).join(', ');
    if (blocking.length === 0 && unknown.length === 0)
      return [restricted(node, off, on, offPaths, services, cmdNode)];
    if (blocking.length > 0) return [perInterfaceOff(node, evidence, blocking, on, unknown, services, host, corroborated, logLines.length, names, artifacts, cmdNode)];
  }
  // OVN-Kubernetes (OpenShift 4.14+ by default) keeps ip_forward at 0 and turns forwarding on for its own
  // interfaces only: without their per-interface values the bundle does not show a fault
  const ovnkItfs = ['ovn-k8s-mp0', 'br-ex'].filter((i) => interfacesOf(artifacts.ipAddr ?? []).has(i));
  if (ovnkItfs.includes('ovn-k8s-mp0')) {
    const keys = ovnkItfs.map(ipv4ForwardingKey);
    return [
      {
        severity: 'warning',
        title: 'IPv4 forwarding is disabled globally (per-interface values not in the bundle)',
        message:
          `${KEY} is 0 on ${node}, an OVN-Kubernetes node (${ovnkItfs.join(', ')} in ip addr). OVN-Kubernetes with ipForwarding: Restricted (the default since OpenShift 4.14) keeps it at 0 and sets ${keys.join(' and ')} to 1 instead: the kernel decides by the interface a packet arrives on. ` +
          `The bundle has no per-interface forwarding values, so it does not show whether pod traffic is forwarded: check ${keys.join(' and ')}.`,
        impact: 'None if the per-interface values are 1; pod traffic to and from other nodes and the outside is dropped if they are 0.',
        evidence,
        facts: { key: KEY, value: 0, ovnKubernetes: ovnkItfs, containerHost: host, ...(services.summary ? { nodeServices: services.summary } : {}) },
        remedy: {
          summary: `Check the per-interface values on the node. If one is 0, restart the node's ovnkube-node pod, which sets them when it starts. Do not set ${KEY} = 1 on the node${services.machineConfig ? ' (RHCOS: host configuration belongs to the Machine Config Operator)' : ''}: global forwarding is the Cluster Network Operator's ipForwarding: Global.`,
          commands: [
            `sysctl ${keys.join(' ')}   # on the node (oc debug node/${cmdNode} -- chroot /host ...): each must print 1`,
            `oc -n openshift-ovn-kubernetes delete pod -l app=ovnkube-node --field-selector spec.nodeName=${cmdNode}   # only if one prints 0`,
            `oc patch network.operator cluster --type=merge -p '{"spec":{"defaultNetwork":{"ovnKubernetesConfig":{"gatewayConfig":{"ipForwarding":"Global"}}}}}'   # only if the node must forward on every interface`,
          ],
          caution: 'Deleting the ovnkube-node pod briefly interrupts pod networking on the node while it restarts.',
        },
      },
    ];
  }
  const persist = services.machineConfig
    ? persistSysctlsByMachineConfig([{ key: KEY, want: '1', wrong: '0', bad: zeros }], '/etc/sysctl.d/99-ip-forward.conf')
    : persistSysctl({ key: KEY, want: '1', wrong: '0', bad: zeros, dropIn: '/etc/sysctl.d/99-ip-forward.conf' });
  const restart = restartCommands(services);
  return [
    {
      severity: host.length > 0 || corroborated ? 'critical' : 'warning',
      title: 'IPv4 forwarding is disabled',
      message:
        `${KEY} is 0 on ${node}${host.length > 0 ? ` (a container host: ${host.slice(0, 3).join(', ')})` : ''}: ` +
        'the kernel forwards no packets, so containers and pods cannot reach other nodes or the outside, not even the docker0/cni0 address of another node.' +
        (dockerLeavesIt ? ` dockerd runs with ip-forward off (${dockerLeavesIt.note}, ${dockerLeavesIt.ref.file}:${dockerLeavesIt.ref.line}), so it does not turn forwarding on itself: the host must.` : '') +
        (corroborated ? ` The logs confirm it (${logLines.length} "IPv4 forwarding is disabled" line${logLines.length > 1 ? 's' : ''}).` : '') +
        (host.length === 0 && !corroborated ? ' Nothing in the bundle shows a container runtime on this node; if it runs none, this is expected.' : ''),
      impact: 'Container traffic that leaves the node is dropped; cross-node pod and container networking is down.',
      evidence,
      facts: { key: KEY, value: 0, persistedOffIn: configured?.value === '0' ? configured.ref.file : undefined, containerHost: host, ...(services.summary ? { nodeServices: services.summary } : {}) },
      remedy: {
        summary: `Turn forwarding on now and persist it: ${persist.summary}. Then ${restart.summary}.`,
        commands: [`sysctl -w ${KEY}=1`, ...persist.commands, ...restart.commands],
        caution: `sysctl --system re-applies every setting of the configuration files, not only this one. ${restart.caution}`,
      },
    },
  ];
}

/** What restarts the runtime so it re-applies its network setup: today's line on a Docker host, the node's own services elsewhere. */
function restartCommands(s: NodeServices): { summary: string; commands: string[]; caution: string } {
  const dockerHost = s.docker === true && (!s.distro || s.distro.name === 'kubelet');
  if (dockerHost)
    return {
      summary: 'restart the container runtime so it re-applies its network setup',
      commands: restartDocker(s, 'or the node service / kubelet that owns the container network'),
      caution: 'Restarting docker restarts every container on the node; a network service restart briefly interrupts connectivity.',
    };
  if (!s.distro && !s.runtime)
    return {
      summary: 'restart the container runtime so it re-applies its network setup',
      commands: s.restartRuntime,
      caution: 'Restarting the container runtime can restart the containers on the node; a network service restart briefly interrupts connectivity.',
    };
  return {
    summary: `restart what owns the container network here (${s.summary}) so it re-applies its network setup`,
    commands: s.restartRuntime,
    caution: `Restarting ${restartedNames(s.restartRuntime).join(' and ')} interrupts the node's Kubernetes services for a moment; a network service restart briefly interrupts connectivity.`,
  };
}

/** ip_forward = 0, but every interface container traffic arrives on forwards: the per-interface setting ("ipForwarding: Restricted"). */
function restricted(node: string, off: { ref: { file: string; line: number }; excerpt: string }[], on: InterfaceForwarding[], offPaths: InterfaceForwarding[], s: NodeServices, cmdNode = node): FindingDraft {
  const ovnk = on.some((p) => p.itf === 'ovn-k8s-mp0' || p.role === 'gateway');
  return {
    severity: 'info',
    title: 'IPv4 forwarding is on per interface only',
    message:
      `${KEY} is 0 on ${node}, but ${on.map((p) => ipv4ForwardingKey(p.itf)).join(', ')} ${on.length > 1 ? 'are' : 'is'} 1: the kernel decides by the interface a packet arrives on, so the container traffic of these interfaces is forwarded and other traffic is not` +
      (ovnk ? ' (OVN-Kubernetes with ipForwarding: Restricted, the default since OpenShift 4.14: forwarding only on the interfaces it manages)' : '') +
      '. Nothing to fix; a new interface gets net.ipv4.conf.default.forwarding, so whatever creates container interfaces must keep setting them.' +
      (offPaths.length ? ` ${offPaths.map((p) => p.itf).join(', ')} ${offPaths.length > 1 ? 'are' : 'is'} at 0 (not shown to carry container traffic: the bundle has no ip route to say which interface is the uplink).` : ''),
    evidence: [
      ...off.map((v) => ({ file: v.ref.file, line: v.ref.line, excerpt: v.excerpt, note: 'global switch off' })),
      ...on.map((p) => ({ ...p.evidence!, note: `${p.itf} (${p.role === 'container' ? 'container interface' : p.role === 'gateway' ? 'OVN-Kubernetes gateway bridge' : 'uplink'}) forwards` })),
    ],
    facts: { key: KEY, value: 0, ipForwarding: 'Restricted', forwardingOn: on.map((p) => p.itf), ...(s.summary ? { nodeServices: s.summary } : {}) },
    remedy: {
      summary: ovnk
        ? 'None needed. Only if this node must route traffic that is not the cluster\'s, switch OVN-Kubernetes to global forwarding through the Cluster Network Operator (not sysctl on the node).'
        : 'None needed.',
      commands: ovnk ? [`oc patch network.operator cluster --type=merge -p '{"spec":{"defaultNetwork":{"ovnKubernetesConfig":{"gatewayConfig":{"ipForwarding":"Global"}}}}}'   # only to make nodes route all traffic (turns forwarding on for every interface)`] : [],
    },
  };
}

/** ip_forward = 0 and per-interface forwarding does not cover the interfaces container traffic arrives on. */
function perInterfaceOff(
  node: string,
  base: Evidence[],
  blocking: InterfaceForwarding[],
  on: InterfaceForwarding[],
  unknown: InterfaceForwarding[],
  s: NodeServices,
  host: string[],
  corroborated: boolean,
  logCount: number,
  names: (ps: InterfaceForwarding[]) => string,
  artifacts: NodeArtifacts,
  cmdNode = node,
): FindingDraft {
  const evidence: Evidence[] = [...base];
  for (const p of blocking) evidence.push({ ...(p.evidence ?? p.at), note: `${p.itf} (${p.role === 'container' ? 'container interface' : p.role === 'gateway' ? 'OVN-Kubernetes gateway bridge' : 'uplink'}): the kernel forwards nothing that arrives on it` });
  for (const p of on) evidence.push({ ...p.evidence!, note: `${p.itf} forwards` });
  const ovnk = [...blocking, ...on].some((p) => p.itf === 'ovn-k8s-mp0' || p.role === 'gateway');
  const perItf = blocking.map((p) => `sysctl -w ${ipv4ForwardingKey(p.itf)}=1`);
  const zeros = configSetting(artifacts.sysctlConfig, KEY, '0');
  let commands: string[];
  let summary: string;
  if (ovnk) {
    commands = [
      ...perItf.map((c) => `${c}   # now, on the node (oc debug node/${cmdNode} -- chroot /host ${c.split('   ')[0]})`),
      `oc -n openshift-ovn-kubernetes delete pod -l app=ovnkube-node --field-selector spec.nodeName=${cmdNode}   # ovnkube-node sets forwarding on the interfaces it manages when it starts`,
      `oc patch network.operator cluster --type=merge -p '{"spec":{"defaultNetwork":{"ovnKubernetesConfig":{"gatewayConfig":{"ipForwarding":"Global"}}}}}'   # only if the node must forward on every interface`,
    ];
    summary = `Set forwarding back on ${names(blocking)}, and let OVN-Kubernetes own it: restarting the node's ovnkube-node pod re-applies the per-interface settings (ipForwarding: Restricted). Do not set ${KEY} = 1 by hand or in a file on the node: on RHCOS the host configuration belongs to the Machine Config Operator, and global forwarding is a Cluster Network Operator setting (ipForwarding: Global).`;
  } else {
    const persist = s.machineConfig
      ? persistSysctlsByMachineConfig([{ key: KEY, want: '1', wrong: '0', bad: zeros }], '/etc/sysctl.d/99-ip-forward.conf')
      : persistSysctl({ key: KEY, want: '1', wrong: '0', bad: zeros, dropIn: '/etc/sysctl.d/99-ip-forward.conf' });
    const restart = restartCommands(s);
    commands = [...perItf, `sysctl -w ${KEY}=1   # or forwarding for every interface at once, as container hosts usually run`, ...persist.commands, ...restart.commands];
    summary = `Turn forwarding on for ${names(blocking)} now, or globally, and persist it: ${persist.summary}. Then ${restart.summary}.`;
  }
  return {
    severity: 'critical',
    title: 'IPv4 forwarding is disabled on container interfaces',
    message:
      `${KEY} is 0 on ${node}${host.length > 0 ? ` (a container host: ${host.slice(0, 3).join(', ')})` : ''} and ${blocking.map((p) => `${ipv4ForwardingKey(p.itf)} = 0`).join(', ')}: ` +
      'the kernel forwards by the interface a packet arrives on, so container and pod traffic arriving there is dropped and cannot reach other nodes or the outside.' +
      (on.length ? ` Forwarding is on for ${names(on)} only.` : '') +
      (unknown.length ? ` The sysctl dump has no forwarding value for ${names(unknown)}.` : '') +
      (corroborated ? ` The logs confirm it (${logCount} "IPv4 forwarding is disabled" line${logCount > 1 ? 's' : ''}).` : ''),
    impact: 'Container traffic arriving on these interfaces is dropped; cross-node pod and container networking through them is down.',
    evidence,
    facts: { key: KEY, value: 0, forwardingOff: blocking.map((p) => p.itf), forwardingOn: on.map((p) => p.itf), containerHost: host, ...(s.summary ? { nodeServices: s.summary } : {}) },
    remedy: {
      summary,
      commands,
      caution: ovnk ? 'Deleting the ovnkube-node pod briefly interrupts pod networking on the node while it restarts.' : 'sysctl --system re-applies every setting of the configuration files, not only this one.',
    },
  };
}

/** Interfaces a container runtime or CNI makes: their accept_ra does not matter. */
const CONTAINER_ITF = /^(lo|all|default|docker\d*|docker_gwbridge|br-[0-9a-f]{12}|veth.*|cni\d*|cbr0|flannel.*|cali.*|vxlan.*|cilium.*|lxc.*|weave|kube-.*|podman\d+|tunl0|ip6tnl0|sit0|nodelocaldns)$/;

function ipv6(node: string, artifacts: NodeArtifacts & { sysctl: SysctlRuntime[] }): FindingDraft[] {
  const values = runtimeValue(artifacts.sysctl, KEY6);
  const off = values.filter((v) => v.value === '0');
  if (off.length === 0) return [];
  const docker = dockerIpv6Use(artifacts);
  const pods = podIpv6Use(artifacts);
  const uses = [...docker, ...pods];
  // forwarding off is the host default: it only matters when containers or pods use IPv6
  if (uses.length === 0) return [];
  const evidence: Evidence[] = off.map((v) => ({ file: v.ref.file, line: v.ref.line, excerpt: v.excerpt, note: 'runtime value' }));
  for (const v of values.filter((x) => x.value !== '0'))
    evidence.push({ file: v.ref.file, line: v.ref.line, excerpt: v.excerpt, note: 'another source of the bundle shows it on (taken at a different moment)' });
  evidence.push(...uses.slice(0, 4));
  const configured = artifacts.sysctlConfig ? effectiveConfig(artifacts.sysctlConfig, KEY6) : undefined;
  const zeros = configSetting(artifacts.sysctlConfig, KEY6, '0');
  for (const z of zeros)
    evidence.push({ file: z.ref.file, line: z.ref.line, excerpt: z.excerpt, note: z === configured ? 'sets it to 0 again at every boot or `sysctl --system`' : 'sets it to 0 too' });

  // forwarding on makes the kernel ignore router advertisements where accept_ra = 1: an uplink
  // configured by SLAAC then loses its default route and addresses as they expire
  const itfs = interfacesOf(artifacts.ipAddr ?? []);
  const ra = [...new Map(runtimeSuffixes(artifacts.sysctl, 'net.ipv6.conf.', '.accept_ra').filter((x) => x.value === '1' && !CONTAINER_ITF.test(x.itf)).map((x) => [x.itf, x])).values()];
  const slaac = ra.filter((x) => itfs.get(x.itf)?.addresses.some((a) => a.family === 6 && (a.flags.includes('dynamic') || a.flags.includes('mngtmpaddr'))));
  for (const s of slaac) evidence.push({ file: s.ref.file, line: s.ref.line, excerpt: s.excerpt, note: `${s.itf} takes router advertisements (its IPv6 address is dynamic: SLAAC)` });
  const raKey = (itf: string) => `net.ipv6.conf.${itf.replace(/\./g, '/')}.accept_ra`;
  const raLines = slaac.map((s) => `${raKey(s.itf)} = 2`);
  const persist = persistSysctl({ key: KEY6, want: '1', wrong: '0', bad: zeros, dropIn: '/etc/sysctl.d/99-ipv6-forward.conf', dropInLines: [...raLines, `${KEY6} = 1`] });
  const what = docker.length > 0 && pods.length > 0 ? 'containers and pods' : docker.length > 0 ? 'Docker containers' : 'pods';
  const shown = uses[0];
  const others = ra.filter((x) => !slaac.includes(x));
  return [
    {
      severity: 'critical',
      title: 'IPv6 forwarding is disabled',
      message:
        `${KEY6} is 0 on ${node}, whose ${what} use IPv6 (${shown.note}, ${shown.file}${shown.line ? `:${shown.line}` : ''}${uses.length > 1 ? `; ${uses.length - 1} more sign${uses.length > 2 ? 's' : ''} in the evidence` : ''}): ` +
        'the kernel routes no IPv6 packets, so the IPv6 traffic of the containers to other hosts and the outside, and back, is dropped; IPv4 is not affected.' +
        (docker.length > 0 ? ' Docker turns IPv6 forwarding on itself only when it manages ip6tables (Docker 27+, or "ip6tables": true before) and ip-forward is not off: it did not here, or something (sysctl --system, a hardening profile) turned it off since.' : ''),
      impact: 'Container and pod IPv6 connectivity beyond the host is down.',
      evidence,
      facts: { key: KEY6, value: 0, persistedOffIn: configured?.value === '0' ? configured.ref.file : undefined, ipv6Use: uses.map((u) => u.excerpt), slaacUplinks: slaac.map((s) => s.itf) },
      remedy: {
        summary:
          `Turn IPv6 forwarding on now and persist it: ${persist.summary}.` +
          (slaac.length ? ` Before that, let ${slaac.map((s) => s.itf).join(', ')} keep taking router advertisements (accept_ra = 2), or ${slaac.length > 1 ? 'they lose their' : 'it loses its'} SLAAC address and default route.` : ''),
        commands: [...slaac.map((s) => `sysctl -w ${raKey(s.itf)}=2`), `sysctl -w ${KEY6}=1`, ...persist.commands],
        caution:
          'With forwarding on, the kernel ignores router advertisements on every interface whose accept_ra is 1: an uplink that gets its IPv6 address or default route by SLAAC loses them as they expire. Set net.ipv6.conf.<uplink>.accept_ra=2 on such an uplink first (and in the drop-in)' +
          (others.length ? `; the bundle shows accept_ra = 1 on ${others.slice(0, 4).map((o) => o.itf).join(', ')}: check whether ${others.length > 1 ? 'they are' : 'it is'} configured by router advertisements (ip -6 route: "proto ra"; ip -6 addr: "dynamic").` : '.') +
          ' sysctl --system re-applies every setting of the configuration files, not only this one.',
      },
    },
  ];
}

/** Runtime values of `<prefix><itf><suffix>` keys: per-interface settings such as net.ipv6.conf.eth0.accept_ra. */
function runtimeSuffixes(sources: SysctlRuntime[], prefix: string, suffix: string) {
  const out: { itf: string; value: string; ref: { file: string; line: number }; excerpt: string }[] = [];
  for (const s of sources)
    for (const [k, v] of s.values)
      if (k.startsWith(prefix) && k.endsWith(suffix)) {
        const itf = k.slice(prefix.length, k.length - suffix.length);
        // a dotted interface name (eth0.100) is written eth0/100 in the dotted key form
        if (itf !== '' && !itf.includes('.')) out.push({ itf: itf.replace(/\//g, '.'), value: v.value, ref: v.ref, excerpt: v.excerpt });
      }
  return out;
}
