/** flannel.multiple-addresses: flannel.1 carries more than one address (left by a reinstallation over old state). */
import { defineAnalyzer } from '../src/engine/analyzer.js';
import { interfacesOf } from '../src/parsers/interfaces.js';
import { flannelRemedy } from './lib/flannel.js';
import { NODE_SERVICE_KINDS } from './lib/node-services.js';

export default defineAnalyzer({
  id: 'flannel.multiple-addresses',
  title: 'flannel.1 has more than one address',
  description: 'The VXLAN device carries several IPv4 addresses: an old lease was never removed.',
  scope: 'node',
  requires: ['ipAddr'],
  optional: [...new Set(['logs', 'flannelSubnetEnv', ...NODE_SERVICE_KINDS] as const)],
  analyze(input) {
    const { node, artifacts } = input;
    const v4 = interfacesOf(artifacts.ipAddr).get('flannel.1')?.addresses.filter((a) => a.family === 4) ?? [];
    if (v4.length < 2) return [];
    return [
      {
        severity: 'critical',
        title: 'flannel.1 has more than one address',
        message: `flannel.1 on ${node} carries ${v4.length} addresses (${v4.map((a) => a.cidr).join(', ')}): an old lease was never removed, and VXLAN traffic may use the stale one.`,
        impact: 'Cross-node pod traffic is sent from or to the wrong subnet.',
        evidence: v4.map((a) => ({ file: a.ref.file, line: a.ref.line, excerpt: a.excerpt })),
        facts: { addresses: v4.map((a) => a.cidr) },
        remedy: flannelRemedy(input, artifacts.logs, artifacts),
      },
    ];
  },
});
