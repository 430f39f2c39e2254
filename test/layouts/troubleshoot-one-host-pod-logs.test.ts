/**
 * A troubleshoot host bundle of a one-node cluster (reviewer R25 c15, test/fixtures/r25-ts-one-host): the pod logs
 * under cluster-resources/pods/logs have no pod spec naming their node, and the only host with data is the one the
 * run-host collectors describe (kw1, from hostnames.txt). The pods' logs are that host's: no pseudo-node
 * "(unassigned pod logs)" beside it, so their lines meet kw1's facts. Without any host data they stay unassigned.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBundle } from '../../src/engine/analyze.js';
import { projectPath } from '../helpers/shared.js';

const SRC = projectPath('test/fixtures/r25-ts-one-host');
const ROOT = 'support-bundle-2026-12-04T00_10_00';

describe('pod logs of a one-host troubleshoot bundle', () => {
  it("go to the one host (kw1): one node, the flannel pod's log among its logs", async () => {
    const b = await loadBundle(SRC);
    expect(b.nodes.map((n) => n.name)).toEqual(['kw1']);
    expect(b.nodes[0].sources.logs).toEqual(expect.arrayContaining([expect.stringMatching(/cluster-resources\/pods\/logs\/kube-flannel\/kube-flannel-ds-7xk2p\/kube-flannel\.log$/)]));
  });

  it('without host data (cluster resources only), the pod logs stay on a node of their own', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bd-ts-one-host-'));
    try {
      cpSync(join(SRC, ROOT), join(dir, ROOT), { recursive: true });
      rmSync(join(dir, ROOT, 'host-collectors'), { recursive: true });
      const b = await loadBundle(dir);
      expect(b.nodes.map((n) => n.name)).toEqual(['(unassigned pod logs)']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('two pods of one DaemonSet unplaced (one per node: the cluster has more nodes than this host): they stay apart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bd-ts-two-ds-'));
    try {
      cpSync(join(SRC, ROOT), join(dir, ROOT), { recursive: true });
      const second = join(dir, ROOT, 'cluster-resources/pods/logs/kube-flannel/kube-flannel-ds-9qzt4');
      mkdirSync(second, { recursive: true });
      cpSync(projectPath('test/fixtures/r26-second-ds-pod/kube-flannel.log'), join(second, 'kube-flannel.log'));
      const b = await loadBundle(dir);
      expect(b.nodes.map((n) => n.name).sort()).toEqual(['(unassigned pod logs)', 'kw1']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
