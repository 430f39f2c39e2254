/** Child process of the batch pool: analyzes one bundle at a time, isolated from the others. */
import { BundleError, explainReadError } from '../bundle/errors.js';
import { analyzeBundle, type AnalyzeOptions } from '../engine/analyze.js';
import type { OutputFormat } from '../report/render.js';
import type { BundleReport } from '../report/schema.js';
import { jsonlLine } from '../report/redact.js';
import { digestOf, type BundleDigest } from './index-report.js';
import { writeReports } from './write.js';

export interface WorkerTask {
  id: number;
  input: string;
  options: Pick<AnalyzeOptions, 'requiredPorts' | 'limits' | 'analyzersDir'>;
  /** render and write the reports: `${base}.${format}` in `dir` */
  write?: { dir: string; base: string; formats: OutputFormat[] };
  returnReport: boolean;
  jsonl: boolean;
  /** mask secrets in what it renders (reports written, the JSON line): false with --no-mask-secrets */
  maskSecrets: boolean;
}

export type WorkerReply =
  /** the task was received: its analysis starts now (the time limit counts from here, not from the child's start-up) */
  | { id: number; started: true }
  | { id: number; ok: true; digest: BundleDigest; report?: BundleReport; written?: Record<string, string>; jsonl?: string }
  | { id: number; ok: false; error: string; code: string };

if (process.send) {
  // The later stages of analysis (analyzers, parsers, schemas), loaded from the start: part of the
  // child's start-up, which the bundle's time limit does not count.
  const stages = import('../engine/report-bundle.js');
  stages.catch(() => {});
  process.on('message', async (task: WorkerTask) => {
    // Loaded (with the --analyzers modules) before the bundle's analysis starts, and the parent told
    // so: it starts the bundle's time limit then. A failure to load is the analysis' own to report.
    await stages.then((s) => s.analyzerSet(task.options)).catch(() => {});
    process.send!({ id: task.id, started: true } satisfies WorkerReply);
    let reply: WorkerReply;
    let report: BundleReport | undefined;
    try {
      report = await analyzeBundle(task.input, task.options);
      reply = { id: task.id, ok: true, digest: digestOf(report) };
      if (task.write) reply.written = writeReports(report, task.write.dir, task.write.base, task.write.formats, { maskSecrets: task.maskSecrets });
      if (task.returnReport) reply.report = report;
      if (task.jsonl) reply.jsonl = jsonlLine(report, task.maskSecrets);
    } catch (err) {
      if (report !== undefined) {
        // analyzed, but the report could not be written (disk full, folder gone): say so, not "unreadable bundle"
        const why = String((err as Error)?.message ?? err).split('\n')[0].slice(0, 200);
        reply = { id: task.id, ok: false, error: `${task.input}: analyzed, but its report could not be written (${why})`, code: 'output' };
      } else {
        const e = err instanceof BundleError ? err : explainReadError(err, task.input);
        reply = { id: task.id, ok: false, error: e.message, code: e.code };
      }
    }
    process.send!(reply);
  });
  // the batch ended or died: nothing is left to do
  process.on('disconnect', () => process.exit(0));
}
