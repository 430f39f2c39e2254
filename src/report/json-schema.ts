/** The published JSON Schemas, generated from the zod schemas (the source of truth). */
import { z } from 'zod';
import { BatchIndex, Report } from './schema.js';

const ID = 'https://bundle-doctor.invalid/schema';

export function reportJsonSchema(): Record<string, unknown> {
  return { ...z.toJSONSchema(Report, { target: 'draft-2020-12' }), $id: `${ID}/report.schema.json`, title: 'bundle-doctor report' };
}

export function indexJsonSchema(): Record<string, unknown> {
  return { ...z.toJSONSchema(BatchIndex, { target: 'draft-2020-12' }), $id: `${ID}/index.schema.json`, title: 'bundle-doctor batch index' };
}
