/**
 * Reviewer R7's false findings of this session's checks, on the verbatim inputs it found them with
 * (test/fixtures/r7-false/README.md): each must now stay quiet.
 */
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { tmpDir } from '../helpers/archive.js';
import { corpusPath, hasCorpus, projectPath } from '../helpers/shared.js';

async function run(fixture: string, extra: Record<string, string> = {}) {
  const dir = join(tmpDir(), fixture);
  cpSync(projectPath('test/fixtures/r7-false', fixture), dir, { recursive: true });
  for (const [name, text] of Object.entries(extra)) cpSync(text, join(dir, name));
  return analyzeBundle(dir);
}

describe("R7's false findings stay quiet", () => {
  it("Tailscale's lookup 52 and a disabled nm-cloud-setup: no policy-routing finding; the unlisted table is named in the coverage", async () => {
    const r = await run('tailscale-nmcs-disabled');
    expect(r.findings.filter((f) => f.id === 'routing.policy-rule-bypasses-pods')).toEqual([]);
    const cov = r.coverage.nodes[0].analyzers.find((a) => a.id === 'routing.policy-rule-bypasses-pods');
    expect(cov?.reason).toMatch(/rule 5270 .* looks up table 52, which the bundle does not list/);
  });

  it("NVIDIA's --add-runtime beside daemon.json's runtimes: dockerd merges them, no config finding", async () => {
    const r = await run('nvidia-runtimes');
    expect(readFileSync(projectPath('test/fixtures/r7-false/nvidia-runtimes/etc/docker/daemon.json'), 'utf8')).toContain('"runtimes"');
    expect(r.findings.filter((f) => f.id === 'docker.daemon-config-invalid')).toEqual([]);
  });

  it.skipIf(!hasCorpus)("docker.service's proxy on a Kubernetes node: no proxy finding (dockerd serves pulls only)", async () => {
    const r = await run('dockerd-proxy-k8s', { 'iptables-save.txt': corpusPath('iptables-save', 'k8s-cleanup-test-kube-proxy-1.29-full-state-with-foreign-rules.txt') });
    expect(r.findings.filter((f) => f.id === 'runtime.proxy-without-no-proxy')).toEqual([]);
  });
});
