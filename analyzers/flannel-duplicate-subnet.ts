/** flannel.duplicate-subnet (cluster): two nodes with the same or overlapping flannel subnet or cni0 range, IPv4 or IPv6 (FLANNEL_IPV6_SUBNET, cni0's global IPv6 address). */
import { defineAnalyzer } from '../src/engine/analyzer.js';
import type { Evidence } from '../src/report/schema.js';
import { addressIn, cidrOverlap, networkOf, parseCidr } from '../src/parsers/cidr.js';
import { interfacesOf } from '../src/parsers/interfaces.js';

interface Claim {
  node: string;
  cidr: string;
  what: string;
  evidence: Evidence;
}

export default defineAnalyzer({
  id: 'flannel.duplicate-subnet',
  title: 'Two nodes share a flannel subnet',
  description: 'FLANNEL_SUBNET or cni0 ranges equal or overlapping across nodes.',
  scope: 'cluster',
  minNodes: 2,
  requires: [],
  optional: ['flannelSubnetEnv', 'ipAddr'],
  analyze({ nodes }) {
    const claims: Claim[] = [];
    for (const n of nodes) {
      const env = n.artifacts.flannelSubnetEnv?.[0];
      if (env?.subnetNetwork && env.subnet) claims.push({ node: n.node, cidr: env.subnetNetwork, what: 'FLANNEL_SUBNET', evidence: { file: env.subnet.ref.file, line: env.subnet.ref.line, excerpt: env.subnet.excerpt, node: n.node } });
      const v6 = env?.ipv6Subnet ? networkOf(env.ipv6Subnet.value) : undefined;
      if (env?.ipv6Subnet && v6) claims.push({ node: n.node, cidr: v6, what: 'FLANNEL_IPV6_SUBNET', evidence: { file: env.ipv6Subnet.ref.file, line: env.ipv6Subnet.ref.line, excerpt: env.ipv6Subnet.excerpt, node: n.node } });
      const addrs = interfacesOf(n.artifacts.ipAddr ?? []).get('cni0')?.addresses ?? [];
      const cni0 = addrs.find((a) => a.family === 4);
      if (cni0) claims.push({ node: n.node, cidr: cni0.network, what: 'cni0', evidence: { file: cni0.ref.file, line: cni0.ref.line, excerpt: cni0.excerpt, node: n.node } });
      // the bridge's IPv6 pod range; link-local fe80::/64 is on every bridge of every node
      const cni06 = addrs.find((a) => a.family === 6 && !addressIn(a.address, 'fe80::/10'));
      if (cni06) claims.push({ node: n.node, cidr: cni06.network, what: 'cni0', evidence: { file: cni06.ref.file, line: cni06.ref.line, excerpt: cni06.excerpt, node: n.node } });
    }
    // nodes named after their folders, no host: kubectl cannot be given their names
    const unnamed = new Set(nodes.filter((n) => n.nodeNameNotHost).map((n) => n.node));
    const findings = [];
    const reported = new Set<string>();
    for (let i = 0; i < claims.length; i++) {
      for (let j = i + 1; j < claims.length; j++) {
        const a = claims[i];
        const b = claims[j];
        if (a.node === b.node) continue;
        const ca = parseCidr(a.cidr);
        const cb = parseCidr(b.cidr);
        if (!ca || !cb || !cidrOverlap(ca, cb)) continue;
        const key = [a.node, b.node].sort().join('|') + '|' + [a.cidr, b.cidr].sort().join('|');
        if (reported.has(key)) continue;
        reported.add(key);
        const all = claims.filter((c) => (c.node === a.node || c.node === b.node) && (cidrOverlap(parseCidr(c.cidr)!, ca) || cidrOverlap(parseCidr(c.cidr)!, cb)));
        findings.push({
          severity: 'critical' as const,
          title: 'Two nodes share a flannel subnet',
          message: `${a.node} and ${b.node} use overlapping pod ranges: ${a.what} ${a.cidr} on ${a.node} and ${b.what} ${b.cidr} on ${b.node}. Traffic for those pods is routed to one node only: packet loss and misrouting.`,
          impact: 'Pods on one of the two nodes are unreachable from the rest of the cluster.',
          nodes: [a.node, b.node],
          evidence: all.map((c) => ({ ...c.evidence, note: `${c.what} on ${c.node}` })),
          facts: { subnet: a.cidr, nodes: [a.node, b.node] },
          remedy: {
            summary: `Give one of the nodes a new lease: on ${b.node}, delete flannel.1 and cni0 and restart its flannel pod, kubelet and docker (the forced flannel repair); check the node's podCIDR in the Node object first.`,
            commands: [
              unnamed.has(a.node) || unnamed.has(b.node)
                ? `kubectl get nodes -o custom-columns=NAME:.metadata.name,PODCIDR:.spec.podCIDR   # the two nodes whose podCIDR holds ${a.cidr}`
                : `kubectl get node ${a.node} ${b.node} -o custom-columns=NAME:.metadata.name,PODCIDR:.spec.podCIDR`, `# on ${b.node}:`, 'ip link delete flannel.1', ...(ca.family === 6 ? ['ip link delete flannel-v6.1'] : []), 'ip link delete cni0', 'systemctl restart kubelet docker'],
            caution: 'Pod traffic of the repaired node is cut for up to 5 minutes; restarting docker restarts every container there.',
          },
        });
      }
    }
    return findings;
  },
});
