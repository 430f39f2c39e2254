/**
 * iptables.kube-chains-missing on kube-proxy's userspace proxier (R8's F4): its nat table has
 * KUBE-PORTALS-CONTAINER / KUBE-PORTALS-HOST, jumped to from PREROUTING / OUTPUT, and never
 * KUBE-SERVICES or KUBE-POSTROUTING. The corpus' 2015 userspace dump (kubernetes' proxier test data)
 * is a working node: no finding, and the coverage says the mode. The same dump with its portal
 * jumps removed is no userspace node any more: the check goes on as before.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';
import { corpusPath, hasCorpus } from '../helpers/shared.js';

const ID = 'iptables.kube-chains-missing';
const dump = () => readFileSync(corpusPath('iptables-save/k8s-proxier-test-2015-userspace-kube-proxy-cbr0-nat-filter.txt'), 'utf8');

describe.skipIf(!hasCorpus)('kube-chains-missing: kube-proxy in userspace mode', () => {
  it('the userspace dump: no finding; the coverage names the mode and the portal jump', async () => {
    const r = await analyzeBundle(writeFolder({ 'iptables-save.txt': dump() }, 'k8s-userspace'));
    expect(r.findings.filter((f) => f.id === ID)).toHaveLength(0);
    const c = r.coverage.nodes[0].analyzers.find((a) => a.id === ID)!;
    expect(c.reason).toMatch(/ran in part: kube-proxy runs in userspace mode here \(iptables-save\.txt:\d+: -A PREROUTING .*-j KUBE-PORTALS-CONTAINER\)/);
  });

  it('without the portal jumps it is not taken for userspace mode (the check runs as for iptables mode)', async () => {
    const cut = dump()
      .split('\n')
      .filter((l) => !/^-A (PREROUTING|OUTPUT) .*-j KUBE-PORTALS-/.test(l))
      .join('\n');
    const r = await analyzeBundle(writeFolder({ 'iptables-save.txt': cut }, 'k8s-userspace-cut'));
    const c = r.coverage.nodes[0].analyzers.find((a) => a.id === ID)!;
    expect(c.reason ?? '').not.toMatch(/userspace/);
    expect(r.findings.filter((f) => f.id === ID)).toHaveLength(1);
  });
});
