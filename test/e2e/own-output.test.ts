/**
 * bundle-doctor's own reports fed back in: saved into the bundle folder by an earlier run, or
 * given as an input by mistake. Their finding titles and evidence excerpts match the very log
 * signatures they came from, so read as logs they would double every finding.
 */
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildIndex, digestOf, indexEntry, knownFindings } from '../../src/batch/index-report.js';
import { BundleError } from '../../src/bundle/errors.js';
import { ownOutput } from '../../src/bundle/formats.js';
import { analyze, analyzeBundle } from '../../src/engine/analyze.js';
import { render, renderIndex, type OutputFormat } from '../../src/report/render.js';
import { tmpDir, writeTmp } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const FORMATS: OutputFormat[] = ['json', 'md', 'html'];
const example = () => projectPath('bundles', 'src', 'ip-forward-off', 'ticket-4712');
const evidence = (r: Awaited<ReturnType<typeof analyzeBundle>>) => r.findings.map((f) => `${f.id} ${f.evidence.map((e) => `${e.file}:${e.line}`).join(' ')}`);

async function outputs() {
  const report = await analyze(example());
  const b = report.bundles[0];
  const index = buildIndex([indexEntry({ input: b.source, ok: true, report: b, digest: digestOf(b), ms: 1 }, {})], knownFindings([b]));
  return {
    reports: FORMATS.map((f) => [`report.${f}`, render(report, f)] as const),
    indexes: FORMATS.map((f) => [`index.${f}`, renderIndex(index, f)] as const),
  };
}

describe("bundle-doctor's own output", () => {
  it('is told by its first bytes, every format; look-alikes are not', async () => {
    const { reports, indexes } = await outputs();
    for (const [, text] of reports) expect(ownOutput(Buffer.from(text))).toBe('report');
    for (const [, text] of indexes) expect(ownOutput(Buffer.from(text))).toBe('batch index');
    for (const text of [
      '{\n  "tool": {\n    "name": "other-tool"\n  },\n  "bundles": []\n}\n',
      '# bundle-doctor notes\nran it on the 20th\n',
      '<!DOCTYPE html><title>Support ticket 4711</title> bundle-doctor report attached',
      'Nov 20 10:00:01 h dockerd[1]: WARNING: IPv4 forwarding is disabled. (bundle-doctor report)\n',
      '',
    ])
      expect(ownOutput(Buffer.from(text))).toBeUndefined();
  });

  it('saved in a hand-made bundle: not read, said in a note, the findings unchanged', async () => {
    const clean = await analyzeBundle(example());
    expect(clean.findings.map((f) => f.id)).toEqual(['sysctl.ip-forward-disabled']);
    const dir = join(tmpDir(), 'ticket-4712');
    cpSync(example(), dir, { recursive: true });
    const { reports, indexes } = await outputs();
    for (const [name, text] of [...reports, ...indexes]) writeFileSync(join(dir, name), text);
    // a big one (over the 1 MiB that is kept whole) is sniffed as it streams
    const [, md] = reports.find(([n]) => n === 'report.md')!;
    writeFileSync(join(dir, 'big-report.md'), md.repeat(Math.ceil((2 << 20) / md.length)));
    const again = await analyzeBundle(dir);
    expect(evidence(again)).toEqual(evidence(clean));
    expect(again.coverage.nodes.flatMap((n) => n.logs.map((l) => l.file))).toEqual(clean.coverage.nodes.flatMap((n) => n.logs.map((l) => l.file)));
    for (const [name] of [...reports, ...indexes]) expect(again.coverage.notes.join('\n')).toContain(`${name}: a bundle-doctor`);
  });

  it('given as an input: a one-line error that says what it is', async () => {
    const { reports, indexes } = await outputs();
    await expect(analyzeBundle(writeTmp('report.md', reports[1][1]))).rejects.toThrow(BundleError);
    await expect(analyzeBundle(writeTmp('r.html', reports[2][1]))).rejects.toThrow(/r\.html: a bundle-doctor report, not a bundle$/);
    await expect(analyzeBundle(writeTmp('index.json', indexes[0][1]))).rejects.toThrow(/index\.json: a bundle-doctor batch index, not a bundle \(to join the indexes of shards: bundle-doctor merge\)$/);
  });
});
