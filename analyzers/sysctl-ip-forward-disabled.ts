/**
 * sysctl.ip-forward-disabled: with net.ipv4.ip_forward = 0 the kernel forwards nothing, so
 * containers reach neither other nodes nor the outside (seed 001).
 */
import { defineAnalyzer } from '../src/engine/analyzer.js';
import type { Evidence } from '../src/report/schema.js';
import { effectiveConfig, runtimeValue } from '../src/parsers/sysctl.js';
import { containerHostEvidence } from './lib/container-host.js';
import { timeOf } from './lib/logs.js';

const KEY = 'net.ipv4.ip_forward';

export default defineAnalyzer({
  id: 'sysctl.ip-forward-disabled',
  title: 'IPv4 forwarding is disabled',
  description: 'net.ipv4.ip_forward is 0 at runtime: the node forwards no container traffic.',
  scope: 'node',
  requires: ['sysctl'],
  optional: ['sysctlConfig', 'services', 'dockerDaemon', 'logs', 'ipAddr', 'dockerNetworks'],
  analyze({ node, artifacts }) {
    const values = runtimeValue(artifacts.sysctl, KEY);
    const off = values.filter((v) => v.value === '0');
    if (off.length === 0) return [];
    const evidence: Evidence[] = off.map((v) => ({ file: v.ref.file, line: v.ref.line, excerpt: v.excerpt, note: 'runtime value' }));
    const on = values.filter((v) => v.value !== '0');
    for (const v of on)
      evidence.push({ file: v.ref.file, line: v.ref.line, excerpt: v.excerpt, note: 'another source of the bundle shows it on (taken at a different moment)' });
    const configured = artifacts.sysctlConfig ? effectiveConfig(artifacts.sysctlConfig, KEY) : undefined;
    if (configured?.value === '0')
      evidence.push({ file: configured.ref.file, line: configured.ref.line, excerpt: configured.excerpt, note: 'sets it to 0 again at every boot or `sysctl --system`' });
    const logLines = (artifacts.logs ?? []).flatMap((l) => l.matches.filter((m) => m.signature === 'log.ip-forward-disabled'));
    for (const m of logLines.slice(0, 5))
      evidence.push({ file: m.file, line: m.line, excerpt: m.excerpt, note: 'the container runtime warns that networking will not work', ...timeOf(m) });
    const host = containerHostEvidence(artifacts);
    const corroborated = logLines.length > 0;
    const persist = configured?.value === '0' ? configured.ref.file : '/etc/sysctl.d/99-ip-forward.conf';
    return [
      {
        severity: host.length > 0 || corroborated ? 'critical' : 'warning',
        title: 'IPv4 forwarding is disabled',
        message:
          `${KEY} is 0 on ${node}${host.length > 0 ? ` (a container host: ${host.slice(0, 3).join(', ')})` : ''}: ` +
          'the kernel forwards no packets, so containers and pods cannot reach other nodes or the outside, not even the docker0/cni0 address of another node.' +
          (corroborated ? ` The logs confirm it (${logLines.length} "IPv4 forwarding is disabled" line${logLines.length > 1 ? 's' : ''}).` : '') +
          (host.length === 0 && !corroborated ? ' Nothing in the bundle shows a container runtime on this node; if it runs none, this is expected.' : ''),
        impact: 'Container traffic that leaves the node is dropped; cross-node pod and container networking is down.',
        evidence,
        facts: { key: KEY, value: 0, persistedOffIn: configured?.value === '0' ? configured.ref.file : undefined, containerHost: host },
        remedy: {
          summary: `Turn forwarding on now and persist it${configured?.value === '0' ? ` (replace the 0 in ${configured.ref.file})` : ''}, then restart the container runtime so it re-applies its network setup.`,
          commands: [
            `sysctl -w ${KEY}=1`,
            configured?.value === '0'
              ? `sed -i 's/^\\s*net\\.ipv4\\.ip_forward\\s*=\\s*0/net.ipv4.ip_forward = 1/' ${persist.replace(/^.*?(\/?etc\/|\/?usr\/lib\/|\/?run\/)/, '/$1').replace('//', '/')}`
              : `echo '${KEY} = 1' > ${persist}`,
            'sysctl --system',
            'systemctl restart docker   # or the node service / kubelet that owns the container network',
          ],
          caution: 'Restarting docker restarts every container on the node; a network service restart briefly interrupts connectivity.',
        },
      },
    ];
  },
});
