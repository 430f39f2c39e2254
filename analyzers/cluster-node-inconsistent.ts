/**
 * cluster.node-inconsistent: a setting that must be the same on every node differs (ip_forward,
 * bridge netfilter, iptables back end, FORWARD policy, flannel MTU). The odd node is named.
 */
import { defineAnalyzer } from '../src/engine/analyzer.js';
import { FACT_PROVIDERS } from '../src/engine/facts.js';

export default defineAnalyzer({
  id: 'cluster.node-inconsistent',
  title: 'Nodes differ where they should not',
  description: 'A setting that must match across nodes differs between them.',
  scope: 'cluster',
  minNodes: 2,
  requires: [],
  optional: ['sysctl', 'iptables', 'iptablesVersion', 'flannelSubnetEnv'],
  analyze({ nodes }) {
    const findings = [];
    for (const p of FACT_PROVIDERS.filter((x) => x.shouldMatch)) {
      const values = nodes.map((n) => ({ node: n.node, value: p.compute(n.artifacts), ref: p.source?.(n.artifacts) })).filter((v) => v.value !== undefined && v.value !== null);
      if (values.length < 2) continue;
      const counts = new Map<string, string[]>();
      for (const v of values) counts.set(String(v.value), [...(counts.get(String(v.value)) ?? []), v.node]);
      if (counts.size < 2) continue;
      const sorted = [...counts.entries()].sort((a, b) => b[1].length - a[1].length);
      const [common] = sorted;
      const odd = sorted.slice(1).flatMap(([value, ns]) => ns.map((n) => `${n} (${value})`));
      findings.push({
        severity: 'warning' as const,
        title: 'Nodes differ where they should not',
        message: `${p.label} differs between nodes: ${common[1].length > 1 || sorted.length === 2 ? `${common[0]} on ${common[1].join(', ')}, but ` : ''}${odd.join(', ')}. Traffic that works between some nodes fails between others.`,
        impact: 'Cross-node traffic depends on which nodes it touches; the odd node is where to look.',
        nodes: values.map((v) => v.node),
        evidence: values.map((v) => ({ file: v.ref?.file ?? '(not located)', line: v.ref?.line ?? 0, excerpt: `${p.label} = ${v.value}`, node: v.node, note: String(v.value) === common[0] ? `as on most nodes` : 'differs from the other nodes' })),
        facts: { setting: p.label, values: Object.fromEntries(values.map((v) => [v.node, v.value])) },
        remedy: {
          summary: `Make ${p.label} the same on every node; the findings of the odd node say how.`,
          commands: [],
        },
      });
    }
    return findings;
  },
});
