/**
 * sysctl.ip-forward-not-persistent: ip_forward is 1 now but the configuration sets 0, so the next
 * `sysctl --system` or network restart turns it off: reloading kernel parameters breaks container access.
 * Without a runtime value in the bundle, on a container host the configuration's 0 alone is said
 * (a CIS-hardening sysctl.d file: moby/moby#47966, where systemd-sysctl ran after dockerd at boot).
 */
import { defineAnalyzer } from '../src/engine/analyzer.js';
import { effectiveConfig, runtimeValue } from '../src/parsers/sysctl.js';
import { configSetting, hostSysctlPath, persistSysctl, persistSysctlsByMachineConfig } from './lib/sysctl-fix.js';
import { nodeServices } from './lib/node-services.js';
import { containerHostEvidence } from './lib/container-host.js';

const KEY = 'net.ipv4.ip_forward';

export default defineAnalyzer({
  id: 'sysctl.ip-forward-not-persistent',
  title: 'IPv4 forwarding will turn off at the next reload',
  description: 'ip_forward is 1 at runtime but sysctl.conf / sysctl.d set it to 0.',
  scope: 'node',
  requires: ['sysctlConfig'],
  optional: ['sysctl', 'services', 'ipAddr', 'dockerDaemon', 'dockerNetworks', 'iptables', 'nftables'],
  partialWithout: { sysctl: 'the runtime value was not checked (no sysctl -a or /proc/sys in the bundle): only the configuration was read' },
  analyze({ node, artifacts }) {
    const now = runtimeValue(artifacts.sysctl ?? [], KEY)[0];
    const conf = effectiveConfig(artifacts.sysctlConfig, KEY);
    if (!conf || conf.value !== '0') return [];
    // no runtime value: said only on a container host, where Docker or the runtime turn it on at start and a reload turns it off again
    const host = now ? [] : containerHostEvidence(artifacts);
    if (now ? now.value !== '1' : host.length === 0) return [];
    const zeros = configSetting(artifacts.sysctlConfig, KEY, '0');
    // on RHCOS (OpenShift 4) /etc belongs to the Machine Config Operator: the fix is a MachineConfig, not a file edited on the node
    const services = nodeServices(artifacts);
    const persist = services.machineConfig
      ? persistSysctlsByMachineConfig([{ key: KEY, want: '1', wrong: '0', bad: zeros }], '/etc/sysctl.d/99-ip-forward.conf')
      : persistSysctl({ key: KEY, want: '1', wrong: '0', bad: zeros, dropIn: '/etc/sysctl.d/99-ip-forward.conf' });
    const path = hostSysctlPath(conf.ref.file);
    const where = `${conf.ref.file}${path && path !== `/${conf.ref.file}` ? ` (${path} on the host)` : ''}`;
    return [
      {
        severity: 'warning',
        title: 'IPv4 forwarding will turn off at the next reload',
        message: now
          ? `${KEY} is 1 on ${node} now (set by Docker or by hand), but ${where} sets it to 0: the next \`sysctl --system\`, network restart or reboot turns forwarding off and container networking stops.`
          : `${where} sets ${KEY} to 0 on ${node}, a container host (${host.slice(0, 2).join(', ')}); the bundle has no runtime value. Docker (or the runtime) turns forwarding on as it starts, but every \`sysctl --system\`, network restart or boot where systemd-sysctl runs after it turns it off again, and container networking stops.`,
        impact: 'A routine reload breaks all container networking on this node.',
        evidence: [
          ...zeros.map((z) => ({
            file: z.ref.file,
            line: z.ref.line,
            excerpt: z.excerpt,
            note: z === conf ? 'applied at boot and on sysctl --system (the last setting wins)' : 'sets it to 0 too (a later file overrides it, but fix it as well)',
          })),
          ...(now ? [{ file: now.ref.file, line: now.ref.line, excerpt: now.excerpt, note: 'runtime value' }] : []),
        ],
        remedy: {
          summary: `Make the configuration say 1: ${persist.summary}.`,
          commands: persist.commands,
          caution: services.machineConfig
            ? 'The Machine Config Operator drains and reboots the nodes of the pool one at a time to apply a MachineConfig. With OVN-Kubernetes (ipForwarding: Restricted, the default since 4.14) ip_forward = 0 is intended: set ipForwarding: Global in the Cluster Network Operator instead when the node must forward on every interface.'
            : 'sysctl --system re-applies every setting of the configuration files, not only this one.',
        },
      },
    ];
  },
});
