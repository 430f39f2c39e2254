/**
 * sysctl.ip-forward-not-persistent: ip_forward is 1 now but the configuration sets 0, so the next
 * `sysctl --system` or network restart turns it off (seed 001: reloading kernel parameters broke access).
 */
import { defineAnalyzer } from '../src/engine/analyzer.js';
import { effectiveConfig, runtimeValue } from '../src/parsers/sysctl.js';

const KEY = 'net.ipv4.ip_forward';

export default defineAnalyzer({
  id: 'sysctl.ip-forward-not-persistent',
  title: 'IPv4 forwarding will turn off at the next reload',
  description: 'ip_forward is 1 at runtime but sysctl.conf / sysctl.d set it to 0.',
  scope: 'node',
  requires: ['sysctl', 'sysctlConfig'],
  analyze({ node, artifacts }) {
    const now = runtimeValue(artifacts.sysctl, KEY)[0];
    const conf = effectiveConfig(artifacts.sysctlConfig, KEY);
    if (!now || now.value !== '1' || !conf || conf.value !== '0') return [];
    return [
      {
        severity: 'warning',
        title: 'IPv4 forwarding will turn off at the next reload',
        message: `${KEY} is 1 on ${node} now (set by Docker or by hand), but ${conf.ref.file} sets it to 0: the next \`sysctl --system\`, network restart or reboot turns forwarding off and container networking stops.`,
        impact: 'A routine reload breaks all container networking on this node.',
        evidence: [
          { file: conf.ref.file, line: conf.ref.line, excerpt: conf.excerpt, note: 'applied at boot and on sysctl --system (the last setting wins)' },
          { file: now.ref.file, line: now.ref.line, excerpt: now.excerpt, note: 'runtime value' },
        ],
        remedy: {
          summary: `Change the setting in ${conf.ref.file.replace(/^.*?(etc\/|usr\/lib\/|run\/)/, '/$1')} to 1.`,
          commands: [`sed -i 's/^\\s*net\\.ipv4\\.ip_forward\\s*=\\s*0/net.ipv4.ip_forward = 1/' ${conf.ref.file.replace(/^.*?(etc\/|usr\/lib\/|run\/)/, '/$1')}`, 'sysctl --system'],
        },
      },
    ];
  },
});
