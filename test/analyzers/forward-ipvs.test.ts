/**
 * iptables.forward-blocks-containers on a kube-proxy IPVS + flannel node: the tracer used to stop
 * "unknown" at nat KUBE-SERVICES -m set --match-set KUBE-CLUSTER-IP; whichever way the set goes,
 * FORWARD's policy decides. Real iptables-save output in test/fixtures/rv5/ipvs-forward-drop.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

function bundle(healthy: boolean): string {
  const dir = projectPath('test/fixtures/rv5/ipvs-forward-drop');
  const files: Record<string, string> = {};
  for (const f of readdirSync(dir)) {
    if (f.startsWith('iptables-save')) continue;
    files[`k8s-w1/${f}`] = readFileSync(`${dir}/${f}`, 'utf8');
  }
  files['k8s-w1/iptables-save.txt'] = readFileSync(`${dir}/${healthy ? 'iptables-save.healthy.txt' : 'iptables-save.txt'}`, 'utf8');
  return writeFolder(files, healthy ? 'ipvs-ok' : 'ipvs-drop');
}

describe('IPVS node, FORWARD policy DROP without an accept for cni0', () => {
  it('fires: the FORWARD policy drops the pods\' traffic (file and line of the policy)', async () => {
    const f = (await analyzeBundle(bundle(false))).findings.filter((x) => x.id === 'iptables.forward-blocks-containers');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'critical', facts: { bridge: 'cni0', subnet: '10.244.1.0/24', verdict: 'DROP', decidedBy: 'filter/FORWARD#0' } });
    expect(f[0].evidence[0]).toMatchObject({ line: 4 });
  });

  it('healthy (flannel accepts the pod network): nothing', async () => {
    const ids = (await analyzeBundle(bundle(true))).findings.map((x) => x.id);
    expect(ids).not.toContain('iptables.forward-blocks-containers');
  });
});
