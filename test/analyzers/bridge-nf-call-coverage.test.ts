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
  it('bridge-nf-call-iptables = 0: no finding, "ran in part" naming the line, why and the fix', async () => {
    const r = await analyzeBundle(writeFolder({ 'sysctl.txt': SYSCTL }, 'f4-brnf-zero'));
    expect(r.findings.filter((f) => f.id === 'sysctl.bridge-nf-call-disabled')).toEqual([]);
    const a = run(r)!;
    expect(a.status).toBe('ran');
    expect(a.reason).toMatch(/^ran in part: net\.bridge\.bridge-nf-call-iptables = 0 \(sysctl\.txt:1\), but nothing in the bundle shows a Kubernetes node \(no kubelet or k3s unit, no KUBE- chain\): not reported\./);
    expect(a.reason).toContain('sysctl -w net.bridge.bridge-nf-call-iptables=1');
    // what a renderer shows instead of a plain ✅
    expect(runStatus(a)).toBe('ran-in-part');
    const report = { bundles: [r] };
    const md = render(report, 'md');
    expect(md).toMatch(/^- ◑ `sysctl\.bridge-nf-call-disabled` — ran in part: /m);
    expect(md).not.toMatch(/✅ `sysctl\.bridge-nf-call-disabled`/);
    // runs that said nothing keep their ✅
    expect(md).toMatch(/^- ✅ `sysctl\.ip-forward-disabled`$/m);
    const html = render(report, 'html');
    expect(html).toMatch(/<li class="st-ran-in-part">◑ <code>sysctl\.bridge-nf-call-disabled<\/code> — ran in part: /);
    expect(html).toMatch(/<li class="st-ran">✅ <code>sysctl\.ip-forward-disabled<\/code><\/li>/);
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
