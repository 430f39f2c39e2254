/**
 * Runs bundles in child processes, a fixed number at a time (p-map). Each bundle is isolated:
 * a crash (the xz decoder is native code), a time-out or running out of its memory budget fails
 * that bundle alone, its process is replaced and the batch goes on.
 *
 * Processes rather than worker threads: a native crash or a V8 out-of-memory abort ends one child,
 * not the batch; a time-out can kill analysis stuck in native code; and each child gets the V8
 * flags that suit a batch, which a worker thread cannot have. Measured on a 2-vCPU machine
 * (`npm run bench`): single-threaded GC took 40 bundles from 4.3 s to 3.0 s at --concurrency 1 —
 * with every core busy analyzing, V8's parallel GC helpers only contend with the analysis.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pMap from 'p-map';
import type { AnalyzeOptions } from '../engine/analyze.js';
import type { OutputFormat } from '../report/render.js';
import type { BundleReport, Failure } from '../report/schema.js';
import type { BundleDigest } from './index-report.js';
import type { WorkerReply, WorkerTask } from './worker.js';
import { INTERRUPTED } from './interrupt.js';

export interface PoolOptions {
  concurrency: number;
  /** per bundle, milliseconds; 0 = none */
  timeoutMs: number;
  /** heap budget of one worker, MiB */
  maxMemoryMb: number;
  analyze: Pick<AnalyzeOptions, 'requiredPorts' | 'limits' | 'analyzersDir'>;
  /**
   * Each child renders and writes its bundle's reports here (file name: `names`) and sends back
   * only their names and the bundle's digest, so the parent neither receives nor renders whole
   * reports: it stays cheap however many children feed it.
   */
  write?: { dir: string; formats: OutputFormat[]; names: Map<string, string> };
  /** send each bundle's whole report back (one combined report, redaction) */
  returnReport?: boolean;
  /** send each bundle's report as one JSON line (--jsonl) */
  jsonl?: boolean;
  /** mask secrets in the reports and JSON lines the children render; default: yes (false: --no-mask-secrets) */
  maskSecrets?: boolean;
  onStart?: (input: string) => void;
  onDone?: (result: BatchResult) => void;
  /**
   * Interrupts the batch (Ctrl-C, a pod being stopped): bundles not started are not analyzed and
   * running ones are stopped, each a failure with code `interrupted`, so the index still lists
   * every input and what was done is kept.
   */
  signal?: AbortSignal;
}

export type BatchResult =
  | {
      input: string;
      ok: true;
      digest: BundleDigest;
      /** when returnReport was asked */
      report?: BundleReport;
      /** format -> file written by the child, when write was given */
      written?: Record<string, string>;
      /** when jsonl was asked */
      jsonl?: string;
      ms: number;
    }
  | { input: string; ok: false; failure: Failure; ms: number };

const WORKER_FILE = fileURLToPath(new URL('./worker.js', import.meta.url));

/**
 * How long a new child may take to start (boot Node, load the worker's modules) before its bundle
 * fails: the per-bundle limit counts only the analysis, from when the child takes the bundle.
 */
const START_LIMIT_MS = 120_000;

/** The tail of a child's stderr kept to explain how it died (V8 prints its out-of-memory reason there). */
const STDERR_TAIL = 4096;

interface Child {
  proc: ChildProcess;
  stderr: string;
}

export async function runBatch(inputs: string[], options: PoolOptions): Promise<BatchResult[]> {
  if (!existsSync(WORKER_FILE)) throw new Error(`batch worker not built (${WORKER_FILE}); run npm run build`);
  const idle: Child[] = [];
  let nextId = 0;
  const make = (): Child => {
    const proc = fork(WORKER_FILE, [], {
      execArgv: [
        // every core is busy with a bundle: GC helper threads would only contend (see above)
        '--single-threaded-gc',
        // a small young generation: analysis streams data through short-lived objects, and V8's
        // default (up to 48 MB kept resident) doubled peak memory on big logs
        '--max-semi-space-size=8',
        `--max-old-space-size=${Math.max(8, Math.round(options.maxMemoryMb))}`,
      ],
      env: childEnv(),
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    const child: Child = { proc, stderr: '' };
    proc.stderr?.setEncoding('utf8');
    proc.stderr?.on('data', (d: string) => {
      child.stderr = (child.stderr + d).slice(-STDERR_TAIL);
    });
    return child;
  };

  const interrupted = (input: string, started: number, running: boolean): BatchResult => ({
    input,
    ok: false,
    failure: { source: input, error: `${input}: ${running ? 'stopped' : 'not analyzed'}: the batch was interrupted`, code: INTERRUPTED },
    ms: performance.now() - started,
  });

  const runOne = (input: string): Promise<BatchResult> => {
    if (options.signal?.aborted) {
      const result = interrupted(input, performance.now(), false);
      options.onDone?.(result);
      return Promise.resolve(result);
    }
    const child = idle.pop() ?? make();
    const { proc } = child;
    const started = performance.now();
    options.onStart?.(input);
    return new Promise<BatchResult>((resolve) => {
      const id = nextId++;
      let settled = false;
      const finish = (result: BatchResult, reusable: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        proc.off('message', onMessage);
        proc.off('error', onError);
        proc.off('exit', onExit);
        if (reusable) idle.push(child);
        else proc.kill('SIGKILL');
        options.onDone?.(result);
        resolve(result);
      };
      const fail = (error: string, code: string, reusable: boolean) =>
        // a child that died with the batch's interruption (Ctrl-C reaches the whole process group) was stopped, not crashed
        options.signal?.aborted && !reusable
          ? finish(interrupted(input, started, true), false)
          : finish({ input, ok: false, failure: { source: input, error, code }, ms: performance.now() - started }, reusable);
      const onAbort = () => finish(interrupted(input, started, true), false);
      const onMessage = (reply: WorkerReply) => {
        if (reply.id !== id) return;
        if ('started' in reply) {
          // the analysis starts now: the bundle's own time limit replaces the start-up one
          clearTimeout(timer);
          timer =
            options.timeoutMs > 0
              ? setTimeout(() => fail(`${input}: took longer than ${Math.round(options.timeoutMs / 1000)} s; stopped`, 'timeout', false), options.timeoutMs)
              : undefined;
          return;
        }
        if (reply.ok) {
          const { id: _id, ok: _ok, ...rest } = reply;
          finish({ input, ok: true, ...rest, ms: performance.now() - started }, true);
        }
        else fail(reply.error, reply.code, true);
      };
      const onError = (err: Error) => fail(`${input}: analysis could not run (${err.message.split('\n')[0]})`, 'unreadable', false);
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        // the stderr pipe may still hold the reason: read what is left before deciding
        setImmediate(() => {
          if (/heap out of memory|Reached heap limit|allocation failed/i.test(child.stderr)) fail(`${input}: ran out of its ${options.maxMemoryMb} MiB memory budget; skipped`, 'limit', false);
          else fail(`${input}: analysis crashed (${signal ? `signal ${signal}` : `exit ${code}`}${lastLine(child.stderr)})`, 'unreadable', false);
        });
      };
      // until the child takes the bundle: a child that cannot start fails the bundle, never hangs the batch
      const startLimitMs = Math.max(START_LIMIT_MS, options.timeoutMs);
      let timer: NodeJS.Timeout | undefined = setTimeout(
        () => fail(`${input}: the analysis process did not start within ${Math.round(startLimitMs / 1000)} s; stopped`, 'timeout', false),
        startLimitMs,
      );
      proc.on('message', onMessage);
      proc.on('error', onError);
      proc.on('exit', onExit);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const base = options.write?.names.get(input);
      const task: WorkerTask = {
        id,
        input,
        options: options.analyze,
        write: options.write && base !== undefined ? { dir: options.write.dir, base, formats: options.write.formats } : undefined,
        returnReport: options.returnReport === true,
        jsonl: options.jsonl === true,
        maskSecrets: options.maskSecrets !== false,
      };
      proc.send(task);
    });
  };

  try {
    return await pMap(inputs, runOne, { concurrency: Math.max(1, options.concurrency) });
  } finally {
    for (const c of idle) c.proc.kill();
  }
}

/**
 * glibc's allocator, told to reuse freed buffers instead of handing them back to the kernel.
 * A bundle streams through 1 MiB buffers (file reads, gunzip output); by default glibc maps and
 * unmaps buffers that size, or trims them off the heap, one after another, so each is
 * page-faulted and zeroed anew. Here buffers under 4 MiB come from the heap and up to 32 MiB of
 * free heap is kept. Measured on the bench's 40 bundles (2 vCPUs, 3 runs each, interleaved with
 * and without): page faults 51-62k -> 33-44k at --concurrency 1 and 68-88k -> 57-69k at 2; wall
 * 3.10-3.26 s -> 2.86-2.97 s at 1, 2.80-3.26 s -> 2.65-2.75 s at 2. Read at process start, so it is set for the children only; other C libraries ignore
 * it, and a GLIBC_TUNABLES of the user's own wins.
 */
export const CHILD_MALLOC_TUNABLES = 'glibc.malloc.mmap_threshold=4194304:glibc.malloc.trim_threshold=33554432';

export function childEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return env.GLIBC_TUNABLES ? env : { ...env, GLIBC_TUNABLES: CHILD_MALLOC_TUNABLES };
}

function lastLine(stderr: string): string {
  const line = stderr.trim().split('\n').pop()?.trim();
  return line ? `: ${line.slice(0, 200)}` : '';
}
