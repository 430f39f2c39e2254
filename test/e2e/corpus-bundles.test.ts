/** The real bundles of the corpus run through the whole flow without errors or false alarms. */
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { corpusPath, hasCorpus } from '../helpers/shared.js';

const CASES: { file: string; layout: string; nodes: string[] }[] = [
  { file: 'hotsos-charmed-k8s-flannel-sosreport-networking-subset.tar.gz', layout: 'sosreport', nodes: ['juju-110cc2-k8stest-4'] },
  { file: 'insights-core-cluster-hosts-4x-rhel75-openshift-node-archives.tar.gz', layout: 'insights', nodes: ['devbox1', 'devbox2', 'devbox3', 'devbox4'] },
  { file: 'troubleshoot-baseline-supportbundle-k3s-flannel.tar.gz', layout: 'troubleshoot', nodes: ['primary-node'] },
  { file: 'troubleshoot-k3s-support-bundle.tar.gz', layout: 'troubleshoot', nodes: ['k3d-mycluster-server-0'] },
  { file: 'troubleshoot-support-bundle-missing-version.tar.gz', layout: 'flat', nodes: ['support-bundle'] },
];

describe.skipIf(!hasCorpus)('corpus bundles end to end', () => {
  for (const c of CASES) {
    it(`${c.file}: ${c.layout}, nodes ${c.nodes.join(', ')}, no analyzer errors, no false ip_forward alarm`, async () => {
      const report = await analyzeBundle(corpusPath('bundles', c.file));
      expect(report.layout).toBe(c.layout);
      expect(report.nodes.map((n) => n.name).sort()).toEqual(c.nodes);
      const errors = report.coverage.nodes.flatMap((n) => n.analyzers.filter((a) => a.status === 'error'));
      expect(errors).toEqual([]);
      // every one of these hosts forwards (ip_forward = 1 where the bundle says anything)
      expect(report.findings.filter((f) => f.id === 'sysctl.ip-forward-disabled')).toEqual([]);
      for (const n of report.nodes) if (n.facts.ip_forward !== null) expect(n.facts.ip_forward).toBe('1');
    });
  }

  it('the troubleshoot baseline reads ip_forward = 1 from sysctl/primary-node line 450', async () => {
    const report = await analyzeBundle(corpusPath('bundles', 'troubleshoot-baseline-supportbundle-k3s-flannel.tar.gz'));
    expect(report.coverage.nodes[0].artifacts.sysctl).toEqual(['supportbundle/sysctl/primary-node']);
    expect(report.coverage.nodes[0].analyzers.find((a) => a.id === 'sysctl.ip-forward-disabled')).toMatchObject({ status: 'ran', findings: 0 });
  });
});
