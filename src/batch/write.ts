/** A bundle's report files in a batch: one per format, each a Report holding that bundle alone. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { render, type OutputFormat } from '../report/render.js';
import type { BundleReport, Report } from '../report/schema.js';
import { VERSION } from '../version.js';

/** Writes `${base}.${format}` in `dir` for each format; returns format -> file name. */
export function writeReports(report: BundleReport, dir: string, base: string, formats: OutputFormat[], options: { redaction?: Report['redaction']; maskSecrets?: boolean } = {}): Record<string, string> {
  const single: Report = { tool: { name: 'bundle-doctor', version: VERSION }, generatedAt: new Date().toISOString(), bundles: [report], failures: [] };
  if (options.redaction) single.redaction = options.redaction;
  const written: Record<string, string> = {};
  for (const format of formats) {
    const file = `${base}.${format}`;
    writeFileSync(join(dir, file), render(single, format, { maskSecrets: options.maskSecrets }));
    written[format] = file;
  }
  return written;
}
