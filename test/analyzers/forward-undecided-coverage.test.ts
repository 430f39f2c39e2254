/**
 * A forward path the tracer cannot decide (a jump to a chain the bundle does not show: a listing of
 * FORWARD alone) is not an all-clear: the coverage says "ran in part" with the packet and the rule
 * where the walk stopped. A path it decides says nothing of the kind.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

// `iptables -L FORWARD -n` on a k3s node with iptables-services' stock REJECT (iptables 1.8 output)
const FORWARD_ONLY = `Chain FORWARD (policy ACCEPT)
target     prot opt source               destination
KUBE-FORWARD  all  --  0.0.0.0/0            0.0.0.0/0            /* kubernetes forwarding rules */
REJECT     all  --  0.0.0.0/0            0.0.0.0/0            reject-with icmp-host-prohibited
ACCEPT     all  --  10.42.0.0/16         0.0.0.0/0
`;
const IP_A = readFileSync(projectPath('test/fixtures/clusterip/ip-addr.txt'), 'utf8');

const coverage = async (files: Record<string, string>, name: string) => {
  const r = await analyzeBundle(writeFolder(files, name));
  return r.coverage.nodes[0].analyzers.find((a) => a.id === 'iptables.forward-blocks-containers')!;
};

describe('forward-blocks-containers: an undecided path is said in the coverage', () => {
  it('a jump to a chain the bundle lacks: ran in part, naming the packet and the rule', async () => {
    const run = await coverage({ 'iptables-L-FORWARD.txt': FORWARD_ONLY, 'ip-a.txt': IP_A }, 'k3s-node');
    expect(run.status).toBe('ran');
    expect(run.reason).toMatch(/^ran in part: could not decide whether 10\.42\.0\.0\/24 \(cni0\) reaches the outside: .*KUBE-FORWARD.* at filter\/FORWARD rule 1 \(iptables-L-FORWARD\.txt:3\)/);
  });

  it('a decided path: no such note', async () => {
    const run = await coverage({ 'iptables-L-FORWARD.txt': FORWARD_ONLY.replace(/^KUBE-FORWARD.*\n/m, ''), 'ip-a.txt': IP_A }, 'k3s-node-2');
    expect(run.reason ?? '').not.toMatch(/could not decide/);
  });
});
