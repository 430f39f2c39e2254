/**
 * The build precompiles templates/*.hbs (scripts/precompile-templates.mjs) so a run loads only
 * handlebars' runtime. The precompiled templates must render exactly what compiling the .hbs
 * does, and must be of the current sources (render.ts falls back to compiling a changed one).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { analyze } from '../../src/engine/analyze.js';
import { buildIndex, digestOf, indexEntry } from '../../src/batch/index-report.js';
import { render, renderIndex, usePrecompiledTemplates } from '../../src/report/render.js';
import { projectPath } from '../helpers/shared.js';

const compiledFile = projectPath('templates/compiled.cjs');

describe('precompiled templates', () => {
  afterEach(() => usePrecompiledTemplates(true));

  it('the build wrote them, one per template, each from the current .hbs', () => {
    expect(existsSync(compiledFile)).toBe(true);
    const compiled = createRequire(import.meta.url)(compiledFile) as Record<string, { hash: string }>;
    const files: Record<string, string> = { md: 'report.md.hbs', html: 'report.html.hbs', indexMd: 'index.md.hbs', indexHtml: 'index.html.hbs' };
    for (const [key, file] of Object.entries(files))
      expect(compiled[key]?.hash, key).toBe(createHash('sha256').update(readFileSync(projectPath('templates', file))).digest('hex'));
  });

  it('render the same reports and index as the .hbs compiled at run time', async () => {
    const report = await analyze([projectPath('bundles/docker-chains-flushed.tgz'), projectPath('bundles/three-node-cluster.tgz')]);
    const index = buildIndex(
      report.bundles.map((b) => indexEntry({ input: b.source, ok: true, digest: digestOf(b), ms: 1 }, { md: 'x.md' })),
      new Map(report.bundles.flatMap((b) => b.findings.map((f) => [f.id, { severity: f.severity, title: f.title }] as const))),
    );
    const outputs = () => [render(report, 'md'), render(report, 'html'), renderIndex(index, 'md'), renderIndex(index, 'html')];
    usePrecompiledTemplates(true);
    const precompiled = outputs();
    usePrecompiledTemplates(false);
    const compiled = outputs();
    expect(precompiled).toEqual(compiled);
    expect(precompiled[0]).toMatch(/iptables\.docker-chain-missing/);
  });
});
