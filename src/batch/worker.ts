/** Child process of the batch pool: analyzes one bundle at a time, isolated from the others. */
import { BundleError, explainReadError } from '../bundle/errors.js';
import { analyzeBundle, type AnalyzeOptions } from '../engine/analyze.js';

export interface WorkerTask {
  id: number;
  input: string;
  options: Pick<AnalyzeOptions, 'requiredPorts' | 'limits' | 'analyzersDir'>;
}

export type WorkerReply =
  | { id: number; ok: true; report: Awaited<ReturnType<typeof analyzeBundle>> }
  | { id: number; ok: false; error: string; code: string };

if (process.send) {
  process.on('message', async (task: WorkerTask) => {
    let reply: WorkerReply;
    try {
      reply = { id: task.id, ok: true, report: await analyzeBundle(task.input, task.options) };
    } catch (err) {
      const e = err instanceof BundleError ? err : explainReadError(err, task.input);
      reply = { id: task.id, ok: false, error: e.message, code: e.code };
    }
    process.send!(reply);
  });
  // the batch ended or died: nothing is left to do
  process.on('disconnect', () => process.exit(0));
}
