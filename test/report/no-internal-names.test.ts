/**
 * Reviewer R13 #1: internal test-fixture names ("seed 000", "the forced repair of seed 004", "(seed 004)")
 * leaked into fixes and cautions the customer reads. Every example bundle (bundles/*.tgz) is analyzed and
 * its report rendered as md, html and json, with the batch index of them all in md, html and json: none
 * may name a seed. The same outputs must carry the texts that used to (the flannel caution, the fix of the
 * duplicate subnet, docker-chain-missing's caution), so the check cannot pass on an empty report.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/engine/analyze.js';
import { buildIndex, digestOf, indexEntry } from '../../src/batch/index-report.js';
import { OUTPUT_FORMATS, render, renderIndex } from '../../src/report/render.js';
import { projectPath } from '../helpers/shared.js';

const SEED = /\bseed \d{3}\b/i;
const bundles = readdirSync(projectPath('bundles'))
  .filter((f) => f.endsWith('.tgz'))
  .sort();

describe('no internal fixture names in what the customer reads', () => {
  it('the pattern catches the texts the reviewer found (R13 #1), and not ordinary prose', () => {
    expect('Pod traffic of the node is cut for up to 5 minutes while flannel rebuilds (seed 004)').toMatch(SEED);
    expect('Stop iptables.service from managing the live rules (seed 000), or keep').toMatch(SEED);
    expect('the random seed 12 of the test; 1000 seeds').not.toMatch(SEED);
  });

  it(`every bundle of bundles/ (${bundles.length}), rendered md, html and json, and their index, names no seed`, async () => {
    expect(bundles.length).toBeGreaterThanOrEqual(7);
    const report = await analyze(bundles.map((b) => projectPath('bundles', b)));
    expect(report.failures).toEqual([]);
    expect(report.bundles).toHaveLength(bundles.length);
    const index = buildIndex(
      report.bundles.map((b) => indexEntry({ input: b.source, ok: true, digest: digestOf(b), ms: 1 }, { md: 'x.md' })),
      new Map(report.bundles.flatMap((b) => b.findings.map((f) => [f.id, { severity: f.severity, title: f.title }] as const))),
    );
    const outputs: [string, string][] = [];
    for (const format of OUTPUT_FORMATS) {
      outputs.push([`report.${format}`, render(report, format)]);
      outputs.push([`index.${format}`, renderIndex(index, format)]);
      // one report per bundle too, as a batch writes them
      for (const b of report.bundles) outputs.push([`${b.source}.${format}`, render({ ...report, bundles: [b] }, format)]);
    }
    const hits = outputs.flatMap(([name, text]) =>
      text
        .split('\n')
        .map((line, i) => ({ name, line: i + 1, text: line }))
        .filter((l) => SEED.test(l.text))
        .map((l) => `${l.name}:${l.line}: ${l.text.match(/.{0,60}\bseed \d{3}\b.{0,20}/i)?.[0]}`),
    );
    expect(hits).toEqual([]);
    // the texts that named seeds are in the outputs, so the check above looked at them
    const md = outputs.find(([n]) => n === 'report.md')![1];
    expect(md).toMatch(/Pod traffic of the (repaired )?node is cut for up to 5 minutes/);
    expect(md).toMatch(/Give one of the nodes a new lease/);
    expect(md).toMatch(/Restarting docker restarts every container/);
  }, 240_000);
});
