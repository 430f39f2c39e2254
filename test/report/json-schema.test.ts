/** The published JSON Schema matches the zod schema, and real reports validate against it. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/engine/analyze.js';
import { indexJsonSchema, reportJsonSchema } from '../../src/report/json-schema.js';
import { makeTarGz, writeTmp } from '../helpers/archive.js';
import { corpusPath, hasCorpus, projectPath } from '../helpers/shared.js';

const ajv = new (Ajv2020 as unknown as typeof Ajv2020.default)({ strict: false, allErrors: true });
const validateReport = ajv.compile(reportJsonSchema());

describe('JSON Schema', () => {
  it('schema/*.schema.json is what the zod schemas generate (run `npm run schema` after changing them)', () => {
    expect(JSON.parse(readFileSync(projectPath('schema/report.schema.json'), 'utf8'))).toEqual(reportJsonSchema());
    expect(JSON.parse(readFileSync(projectPath('schema/index.schema.json'), 'utf8'))).toEqual(indexJsonSchema());
  });

  it('every example bundle report validates', async () => {
    const dir = projectPath('bundles');
    const bundles = readdirSync(dir).filter((f) => /\.(tgz|tar\.gz|zip|tar\.xz)$/.test(f));
    expect(bundles.length).toBeGreaterThanOrEqual(4);
    const report = await analyze(bundles.map((b) => join(dir, b)));
    expect(report.failures).toEqual([]);
    const ok = validateReport(JSON.parse(JSON.stringify(report)));
    expect(validateReport.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it.skipIf(!hasCorpus)('the corpus bundle reports validate', async () => {
    const report = await analyze([corpusPath('bundles/hotsos-charmed-k8s-flannel-sosreport-networking-subset.tar.gz'), corpusPath('bundles/troubleshoot-k3s-support-bundle.tar.gz')]);
    expect(validateReport(JSON.parse(JSON.stringify(report)))).toBe(true);
  });

  it('a report with a finding validates, and a broken one does not', async () => {
    const path = writeTmp('f.tgz', await makeTarGz([{ name: 'h/sysctl.txt', content: 'net.ipv4.ip_forward = 0\nnet.core.a = 1\nnet.core.b = 2\n' }]));
    const report = JSON.parse(JSON.stringify(await analyze([path])));
    expect(report.bundles[0].findings).toHaveLength(1);
    expect(validateReport(report)).toBe(true);
    report.bundles[0].findings[0].severity = 'fatal';
    expect(validateReport(report)).toBe(false);
  });
});
