/**
 * kubernetes.hairpin-disabled: docker0 is a pod bridge only where kubelet runs its pods through Docker
 * (dockershim, the default before 1.24; a dockershim / cri-dockerd endpoint) with no network plugin. A
 * kubelet whose flags name containerd's endpoint leaves docker0 to Docker, whose hairpin is off by design
 * (R8's F1; real text in test/fixtures/hairpin-cri-docker0). The same kubelet line with cri-dockerd's
 * endpoint wires pods to docker0 again: the warning stays.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const fx = (f: string) => readFileSync(projectPath('test/fixtures/hairpin-cri-docker0', f), 'utf8');
const ID = 'kubernetes.hairpin-disabled';
const files = (ps: string) => ({ 'ip_addr.txt': fx('ip_addr.txt'), 'bridge_-d_link_show.txt': fx('bridge_-d_link_show.txt'), 'ps.txt': ps });

describe('kubernetes.hairpin-disabled: docker0 beside a CRI kubelet', () => {
  it("kubelet of containerd (--container-runtime-endpoint): docker0's hairpin is Docker's business, no finding", async () => {
    const r = await analyzeBundle(writeFolder(files(fx('ps.txt')), 'hairpin-containerd'));
    expect(r.findings.map((f) => f.id)).not.toContain(ID);
  });

  it("the same kubelet on cri-dockerd's endpoint: pods on docker0, hairpin off: the warning", async () => {
    const ps = fx('ps.txt').replace(/--container-runtime-endpoint=\S+/, '--container-runtime-endpoint=unix:///var/run/cri-dockerd.sock');
    expect(ps).toContain('cri-dockerd.sock');
    const r = await analyzeBundle(writeFolder(files(ps), 'hairpin-cri-dockerd'));
    expect(r.findings.filter((f) => f.id === ID).map((f) => [f.severity, f.facts?.bridge])).toEqual([['warning', 'docker0']]);
  });
});
