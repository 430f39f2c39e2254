/**
 * sysctl.bridge-nf-call-disabled: on a Kubernetes node, bridged pod traffic must pass iptables
 * (net.bridge.bridge-nf-call-iptables = 1, br_netfilter loaded), or Service traffic between pods
 * on one bridge bypasses kube-proxy's rules.
 */
import { defineAnalyzer } from '../src/engine/analyzer.js';
import { runtimeValue } from '../src/parsers/sysctl.js';
import { hasKubernetes } from './lib/node-view.js';
import { logEvidence } from './lib/logs.js';

const KEY = 'net.bridge.bridge-nf-call-iptables';

export default defineAnalyzer({
  id: 'sysctl.bridge-nf-call-disabled',
  title: 'Bridged traffic bypasses iptables',
  description: 'net.bridge.bridge-nf-call-iptables is 0 (or br_netfilter is not loaded) on a Kubernetes node.',
  scope: 'node',
  requires: ['sysctl'],
  optional: ['services', 'iptables', 'logs'],
  analyze({ node, artifacts }) {
    const kube = hasKubernetes(artifacts);
    if (!kube) return [];
    const values = runtimeValue(artifacts.sysctl, KEY);
    const off = values.filter((v) => v.value === '0');
    const fullDump = artifacts.sysctl.some((s) => s.values.size > 200);
    const missing = values.length === 0 && fullDump;
    if (off.length === 0 && !missing) return [];
    const evidence = off.length
      ? off.map((v) => ({ file: v.ref.file, line: v.ref.line, excerpt: v.excerpt }))
      : [{ file: artifacts.sysctl.find((s) => s.values.size > 200)!.file, line: 0, excerpt: `no ${KEY} key: the br_netfilter module is not loaded` }];
    evidence.push(kube, ...logEvidence(artifacts.logs, ['log.bridge-nf-call'], 3));
    return [
      {
        severity: 'warning',
        title: 'Bridged traffic bypasses iptables',
        message: `${missing ? 'br_netfilter is not loaded' : `${KEY} is 0`} on ${node}, a Kubernetes node: traffic between pods on the same bridge skips iptables, so Service addresses are not translated for it and pod-to-Service connections on one node fail or time out.`,
        impact: 'Service traffic between pods on the same node breaks; network policies are not enforced on it.',
        evidence,
        remedy: {
          summary: 'Load br_netfilter and turn bridge netfilter on, now and at boot.',
          commands: ['modprobe br_netfilter', 'echo br_netfilter > /etc/modules-load.d/br_netfilter.conf', `sysctl -w ${KEY}=1`, `echo '${KEY} = 1' > /etc/sysctl.d/99-kubernetes-bridge.conf`],
        },
      },
    ];
  },
});
