// Regenerates schema/*.schema.json from the zod schemas (run after `npm run build`).
import { writeFileSync } from 'node:fs';
import { indexJsonSchema, reportJsonSchema } from '../dist/src/report/json-schema.js';

writeFileSync(new URL('../schema/report.schema.json', import.meta.url), JSON.stringify(reportJsonSchema(), null, 2) + '\n');
writeFileSync(new URL('../schema/index.schema.json', import.meta.url), JSON.stringify(indexJsonSchema(), null, 2) + '\n');
