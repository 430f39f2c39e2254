/**
 * Kubernetes events as evidence (H69's parser, wired here): `kubectl get events -A -o json` given alone or in
 * a hand-made bundle, and a troubleshoot bundle's cluster-resources/events/<ns>.json, are scanned as one log
 * line per event, each match cited at the JSON line of its message. Real troubleshoot events (the corpus'
 * k3s bundles, `"items": null` for an empty namespace) read quietly; a JSON document that is no event list
 * (bundles/expected.json) stays unread.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/engine/analyze.js';
import { makeTarGz, writeTmp } from '../helpers/archive.js';
import { corpusPath, hasCorpus, projectPath } from '../helpers/shared.js';

const FLANNEL = projectPath('test/fixtures/h69/kubectl-events-flannel.json');

describe('Kubernetes events', () => {
  it("given alone: flannel's cni0 holding an old subnet's address, cited at the message's JSON line", async () => {
    const b = (await analyze([FLANNEL])).bundles[0];
    const f = b.findings.find((x) => x.id === 'log.cni-bridge-address-mismatch');
    expect(f?.severity).toBe('warning');
    expect(f?.evidence[0]).toMatchObject({ file: 'kubectl-events-flannel.json', line: 50 });
  });

  it("in a troubleshoot bundle's cluster-resources/events", async () => {
    const path = writeTmp('ts-events.tgz', await makeTarGz([
      { name: 'sb/version.yaml', content: 'apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\n' },
      { name: 'sb/cluster-resources/events/default.json', content: readFileSync(FLANNEL, 'utf8') },
    ]));
    const b = (await analyze([path])).bundles[0];
    expect(b.findings.find((x) => x.id === 'log.cni-bridge-address-mismatch')?.evidence[0]).toMatchObject({ file: 'sb/cluster-resources/events/default.json', line: 50 });
  });

  it.skipIf(!hasCorpus)("the corpus' troubleshoot bundles: their events are read, quietly (no note, no new finding)", async () => {
    for (const [name, before] of [['troubleshoot-k3s-support-bundle.tar.gz', ['log.connection-timed-out']], ['troubleshoot-baseline-supportbundle-k3s-flannel.tar.gz', []]] as const) {
      const b = (await analyze([corpusPath('bundles', name)])).bundles[0];
      expect(b.coverage.nodes.flatMap((n) => n.artifacts.logs ?? []).some((l) => /cluster-resources\/events\/kube-system\.json$/.test(l)), name).toBe(true);
      expect(b.coverage.notes.filter((n) => /events/.test(n)), name).toEqual([]);
      expect(b.findings.map((f) => f.id), name).toEqual(before);
    }
  });

  it('a JSON document that is no event list stays unread', async () => {
    const b = (await analyze([projectPath('bundles/expected.json')])).bundles[0];
    expect(b.findings).toEqual([]);
  });
});
