/**
 * Runs bundles in worker threads, a fixed number at a time (p-map). Each bundle is isolated:
 * a crash, a time-out or running out of its memory budget fails that bundle alone, the worker
 * is replaced and the batch goes on.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import pMap from 'p-map';
import type { AnalyzeOptions } from '../engine/analyze.js';
import type { BundleReport, Failure } from '../report/schema.js';
import type { WorkerReply, WorkerTask } from './worker.js';

export interface PoolOptions {
  concurrency: number;
  /** per bundle, milliseconds; 0 = none */
  timeoutMs: number;
  /** heap budget of one worker, MiB */
  maxMemoryMb: number;
  analyze: Pick<AnalyzeOptions, 'requiredPorts' | 'limits' | 'analyzersDir'>;
  onStart?: (input: string) => void;
  onDone?: (result: BatchResult) => void;
}

export type BatchResult = { input: string; ok: true; report: BundleReport; ms: number } | { input: string; ok: false; failure: Failure; ms: number };

/**
 * A small young generation: bundle analysis streams data through short-lived objects, and the
 * default young generation (up to 48 MB that V8 keeps resident) doubled peak memory on big logs.
 */
const YOUNG_GENERATION_MB = 16;

const WORKER_FILE = fileURLToPath(new URL('./worker.js', import.meta.url));

export async function runBatch(inputs: string[], options: PoolOptions): Promise<BatchResult[]> {
  if (!existsSync(WORKER_FILE)) throw new Error(`batch worker not built (${WORKER_FILE}); run npm run build`);
  const idle: Worker[] = [];
  let nextId = 0;
  const make = () =>
    new Worker(WORKER_FILE, {
      resourceLimits: { maxOldGenerationSizeMb: options.maxMemoryMb, maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
      stdout: false,
      stderr: false,
    });

  const runOne = (input: string): Promise<BatchResult> => {
    const worker = idle.pop() ?? make();
    const started = performance.now();
    options.onStart?.(input);
    return new Promise<BatchResult>((resolve) => {
      const id = nextId++;
      let settled = false;
      const finish = (result: BatchResult, reusable: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        if (reusable) idle.push(worker);
        else void worker.terminate();
        options.onDone?.(result);
        resolve(result);
      };
      const fail = (error: string, code: string, reusable: boolean) =>
        finish({ input, ok: false, failure: { source: input, error, code }, ms: performance.now() - started }, reusable);
      const onMessage = (reply: WorkerReply) => {
        if (reply.id !== id) return;
        if (reply.ok) finish({ input, ok: true, report: reply.report, ms: performance.now() - started }, true);
        else fail(reply.error, reply.code, true);
      };
      const onError = (err: Error & { code?: string }) =>
        err.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? fail(`${input}: ran out of its ${options.maxMemoryMb} MiB memory budget; skipped`, 'limit', false)
          : fail(`${input}: analysis crashed (${err.message.split('\n')[0]})`, 'unreadable', false);
      const onExit = (code: number) => fail(`${input}: analysis stopped unexpectedly (exit ${code})`, 'unreadable', false);
      const timer =
        options.timeoutMs > 0
          ? setTimeout(() => fail(`${input}: took longer than ${Math.round(options.timeoutMs / 1000)} s; stopped`, 'timeout', false), options.timeoutMs)
          : undefined;
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      const task: WorkerTask = { id, input, options: options.analyze };
      worker.postMessage(task);
    });
  };

  try {
    return await pMap(inputs, runOne, { concurrency: Math.max(1, options.concurrency) });
  } finally {
    await Promise.all(idle.map((w) => w.terminate()));
  }
}
