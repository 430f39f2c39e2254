/**
 * sysctl.bridge-nf-call-disabled is guarded: it reports only on a node the bundle shows to be Kubernetes.
 * kubernetes/kubernetes#33798 (a kubeadm 1.4 node on CentOS 7; the customer pasted only the two sysctl
 * lines, test/fixtures/bridge-nf/k8s33798-sysctl.txt, verbatim from the thread): no finding, but the coverage
 * no longer shows a plain "ran": it says the value was seen, why it was not reported, and the fix.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';
import { runStatus } from '../../src/report/coverage.js';
import { render } from '../../src/report/render.js';

const SYSCTL = readFileSync(projectPath('test/fixtures/bridge-nf/k8s33798-sysctl.txt'), 'utf8');
const run = (r: Awaited<ReturnType<typeof analyzeBundle>>) => r.coverage.nodes[0].analyzers.find((a) => a.id === 'sysctl.bridge-nf-call-disabled');

describe('sysctl.bridge-nf-call-disabled without a sign of Kubernetes (kubernetes/kubernetes#33798)', () => {
  it('bridge-nf-call-iptables = 0: an info finding (R12 case 05: it was only in the collapsed coverage); ip_forward, not in the file, is not run', async () => {
    const r = await analyzeBundle(writeFolder({ 'sysctl.txt': SYSCTL }, 'f4-brnf-zero'));
    expect(r.findings.filter((f) => f.id === 'sysctl.bridge-nf-call-disabled').map((f) => f.severity)).toEqual(['info']);
    expect(run(r)).toMatchObject({ status: 'ran', findings: 1 });
    // the file holds no net.ipv4.ip_forward: no ✅ for a check that read nothing (R12 case 05)
    const fwd = r.coverage.nodes[0].analyzers.find((a) => a.id === 'sysctl.ip-forward-disabled')!;
    expect(fwd).toMatchObject({ status: 'not-run', reason: 'not run: no net.ipv4.ip_forward in the bundle' });
    const md = render({ bundles: [r] }, 'md');
    expect(md).not.toMatch(/✅ `sysctl\.ip-forward-disabled`/);
    expect(md).toContain('no net.ipv4.ip_forward in the bundle');
  });

  it('bridge-nf-call-iptables = 1: a plain run', async () => {
    const r = await analyzeBundle(writeFolder({ 'sysctl.txt': SYSCTL.replace(/ = 0/g, ' = 1') }, 'f4-brnf-one'));
    expect(run(r)).toMatchObject({ status: 'ran', findings: 0 });
    expect(run(r)!.reason).toBeUndefined();
    expect(runStatus(run(r)!)).toBe('ran');
  });

  it('with kubelet enabled the same lines are a warning, as before', async () => {
    const units = 'UNIT FILE        STATE   VENDOR PRESET\nkubelet.service  enabled disabled\n';
    const r = await analyzeBundle(writeFolder({ 'sysctl.txt': SYSCTL, 'systemctl_list-unit-files': units }, 'f4-brnf-kube'));
    expect(r.findings.filter((f) => f.id === 'sysctl.bridge-nf-call-disabled').map((f) => f.severity)).toEqual(['warning']);
  });
});
