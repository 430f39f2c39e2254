/**
 * runtime.proxy-without-no-proxy end to end, through the layout and the log scanner: R6's calico#10352 case (the
 * pod's events, verbatim: `plugin type="calico" failed (add): error getting ClusterInformation: Get
 * "https://172.20.0.1:443/...": Service Unavailable`) beside byoh#561's containerd drop-in (HTTP(S)_PROXY with a
 * NO_PROXY that lacks the service range), as a hand-made bundle holds them.
 * - Both: the critical names the ClusterIP and gives the NO_PROXY line; the log line is its evidence, not a second
 *   finding. The events alone: one warning `log.cni-api-via-proxy` — the generic `log.cni-setup-failed` of the same
 *   line (whose advice names flannel's subnet.env, R6 W6) is folded into it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const fx = (f: string) => readFileSync(projectPath('test/fixtures/runtime-proxy', f), 'utf8');
const EVENTS = 'calico-10352-kubectl-describe-pod-coredns.txt';

describe('runtime.proxy-without-no-proxy through analyzeBundle', () => {
  it("the pod's events and containerd's proxy drop-in: one critical with the NO_PROXY fix", async () => {
    const r = await analyzeBundle(
      writeFolder({ 'kubectl-describe-pod-coredns.txt': fx(EVENTS), 'etc/systemd/system/containerd.service.d/http-proxy.conf': fx('byoh-561-containerd-http-proxy.conf') }, 'proxy-e2e-both'),
    );
    const ids = r.findings.map((f) => `${f.severity}:${f.id}`);
    expect(ids).toContain('critical:runtime.proxy-without-no-proxy');
    expect(ids.filter((i) => i.endsWith('log.cni-setup-failed'))).toEqual([]);
    const f = r.findings.find((x) => x.id === 'runtime.proxy-without-no-proxy')!;
    expect(f.message).toContain('172.20.0.1');
    expect(f.evidence.some((e) => e.file === 'kubectl-describe-pod-coredns.txt' && e.line === 5)).toBe(true);
    expect(f.remedy.commands.join('\n')).toMatch(/NO_PROXY=.*172\.20\.0\.1/);
  });

  it('the events alone: one warning naming the proxy, not the generic CNI-setup advice', async () => {
    const r = await analyzeBundle(writeFolder({ 'kubectl-describe-pod-coredns.txt': fx(EVENTS) }, 'proxy-e2e-events'));
    expect(r.findings.map((f) => `${f.severity}:${f.id}`)).toEqual(['warning:log.cni-api-via-proxy']);
  });
});
