/**
 * Rules without a nat table (`iptables-save -t filter`, an iptables-nft-save of a host that has no nat
 * table): docker-masquerade-missing and flannel-masquerade-missing checked nothing, and said a plain
 * "ran" (R8's N2). The coverage now says the nat table is not there. Real output in
 * test/fixtures/nat-table-absent (SOURCES.md).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import type { BundleReport } from '../../src/report/schema.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const folder = (name: string) => {
  const dir = projectPath('test/fixtures/nat-table-absent', name);
  return Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(`${dir}/${f}`, 'utf8')]));
};
const coverage = (r: BundleReport, id: string) => r.coverage.nodes[0].analyzers.find((a) => a.id === id)!;

describe('no nat table in the rules: the masquerade checks say they did not check', () => {
  it("Docker's filter rules alone: docker-masquerade-missing ran in part, no finding", async () => {
    const r = await analyzeBundle(writeFolder(folder('docker-filter-only'), 'nat-absent-docker'));
    expect(r.findings.map((f) => f.id)).not.toContain('iptables.docker-masquerade-missing');
    expect(coverage(r, 'iptables.docker-masquerade-missing').reason).toMatch(/^ran in part: the live rules hold no nat table \(iptables-save_-t_filter\.txt\): Docker's masquerade was not checked/);
  });

  it('a flannel node whose iptables-nft-save has no nat table: flannel-masquerade-missing ran in part', async () => {
    const r = await analyzeBundle(writeFolder(folder('flannel-no-nat'), 'nat-absent-flannel'));
    expect(r.findings.map((f) => f.id)).not.toContain('flannel.masquerade-missing');
    expect(coverage(r, 'flannel.masquerade-missing').reason).toMatch(/^ran in part: the live rules hold no nat table \(iptables-save\.txt\): flannel's masquerade was not checked/);
    // no Docker on this node: Docker's check says nothing of a nat table
    expect(coverage(r, 'iptables.docker-masquerade-missing').reason ?? '').not.toMatch(/nat table/);
  });

  it("a Podman-only host's nft listing: Docker's masquerade check says nothing of iptables (R8's N3)", async () => {
    const r = await analyzeBundle(writeFolder(folder('podman5-nft'), 'nat-absent-podman'));
    expect(r.findings).toHaveLength(0);
    expect(coverage(r, 'iptables.docker-masquerade-missing').reason ?? '').not.toMatch(/ran in part/);
  });
});
