/**
 * sysctl.ip-forward-not-persistent: ip_forward is 1 now but the configuration sets 0, so the next
 * `sysctl --system` or network restart turns it off (seed 001: reloading kernel parameters broke access).
 */
import { defineAnalyzer } from '../src/engine/analyzer.js';
import { effectiveConfig, runtimeValue } from '../src/parsers/sysctl.js';
import { configSetting, hostSysctlPath, persistSysctl, persistSysctlsByMachineConfig } from './lib/sysctl-fix.js';
import { nodeServices } from './lib/node-services.js';

const KEY = 'net.ipv4.ip_forward';

export default defineAnalyzer({
  id: 'sysctl.ip-forward-not-persistent',
  title: 'IPv4 forwarding will turn off at the next reload',
  description: 'ip_forward is 1 at runtime but sysctl.conf / sysctl.d set it to 0.',
  scope: 'node',
  requires: ['sysctl', 'sysctlConfig'],
  optional: ['services', 'ipAddr', 'dockerDaemon'],
  analyze({ node, artifacts }) {
    const now = runtimeValue(artifacts.sysctl, KEY)[0];
    const conf = effectiveConfig(artifacts.sysctlConfig, KEY);
    if (!now || now.value !== '1' || !conf || conf.value !== '0') return [];
    const zeros = configSetting(artifacts.sysctlConfig, KEY, '0');
    // on RHCOS (OpenShift 4) /etc belongs to the Machine Config Operator: the fix is a MachineConfig, not a file edited on the node
    const services = nodeServices(artifacts);
    const persist = services.machineConfig
      ? persistSysctlsByMachineConfig([{ key: KEY, want: '1', wrong: '0', bad: zeros }], '/etc/sysctl.d/99-ip-forward.conf')
      : persistSysctl({ key: KEY, want: '1', wrong: '0', bad: zeros, dropIn: '/etc/sysctl.d/99-ip-forward.conf' });
    const host = hostSysctlPath(conf.ref.file);
    return [
      {
        severity: 'warning',
        title: 'IPv4 forwarding will turn off at the next reload',
        message: `${KEY} is 1 on ${node} now (set by Docker or by hand), but ${conf.ref.file}${host && host !== `/${conf.ref.file}` ? ` (${host} on the host)` : ''} sets it to 0: the next \`sysctl --system\`, network restart or reboot turns forwarding off and container networking stops.`,
        impact: 'A routine reload breaks all container networking on this node.',
        evidence: [
          ...zeros.map((z) => ({
            file: z.ref.file,
            line: z.ref.line,
            excerpt: z.excerpt,
            note: z === conf ? 'applied at boot and on sysctl --system (the last setting wins)' : 'sets it to 0 too (a later file overrides it, but fix it as well)',
          })),
          { file: now.ref.file, line: now.ref.line, excerpt: now.excerpt, note: 'runtime value' },
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
