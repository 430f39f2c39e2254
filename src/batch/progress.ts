/**
 * Progress on stderr: a bar redrawn in place on a terminal (done/total, failures, rate, elapsed
 * time, ETA, the bundles in progress), one quiet line per bundle otherwise, nothing with --quiet.
 */
import { basename } from 'node:path';
import { printable } from '../report/names.js';
import { INTERRUPTED } from './interrupt.js';
import type { BatchResult } from './pool.js';

export type ProgressMode = 'bar' | 'lines' | 'quiet';

/** `42s`, `4m05s`, `1h02m`: an ETA of thousands of bundles read at a glance. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * A failure's message without the input's name it starts with (`in/x.tgz: corrupt ...`): the
 * progress line names the input already, once.
 */
export function withoutInput(error: string, input: string): string {
  return error.startsWith(`${input}: `) ? error.slice(input.length + 2) : error;
}

export class Progress {
  private done = 0;
  private failed = 0;
  private readonly running = new Set<string>();
  private readonly started = performance.now();
  private ticker: NodeJS.Timeout | undefined;

  /**
   * `labels`: what to call each input on the bar (the batch's short names, so that ten
   * `bundle.tgz` in ten ticket folders can be told apart); the file name otherwise.
   */
  constructor(
    private readonly total: number,
    private readonly mode: ProgressMode,
    private readonly write: (s: string) => void,
    private readonly columns = 100,
    private readonly labels?: ReadonlyMap<string, string>,
  ) {}

  start(input: string): void {
    this.running.add(input);
    // a bundle can take minutes: the elapsed time and ETA keep moving between completions
    if (this.mode === 'bar' && !this.ticker) this.ticker = setInterval(() => this.draw(), 1000).unref();
    this.draw();
  }

  finish(result: BatchResult): void {
    this.running.delete(result.input);
    this.done++;
    if (!result.ok) this.failed++;
    // bundles a stopped batch did not get to are summed up once at the end, not listed here
    if (this.mode === 'lines' && !(!result.ok && result.failure.code === INTERRUPTED)) {
      const what = result.ok
        ? `${result.digest.summary.critical} critical, ${result.digest.summary.warning} warning, ${result.digest.summary.info} info${result.digest.checked === 0 ? '; nothing could be checked' : ''}`
        : `failed: ${withoutInput(result.failure.error, result.input)}`;
      this.write(`[${this.done}/${this.total}] ${printable(`${result.input}: ${what}`)} (${Math.round(result.ms)} ms)\n`);
    }
    this.draw();
  }

  end(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
    if (this.mode === 'bar') this.write('\r\x1b[2K');
  }

  private draw(): void {
    if (this.mode !== 'bar') return;
    const elapsed = (performance.now() - this.started) / 1000;
    const rate = this.done / Math.max(elapsed, 0.001);
    const eta = this.done > 0 ? formatDuration((this.total - this.done) / rate) : '?';
    const width = 24;
    const filled = Math.round((this.done / Math.max(this.total, 1)) * width);
    const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
    const failed = this.failed > 0 ? ` (${this.failed} failed)` : '';
    const names = printable([...this.running].map((p) => this.labels?.get(p) ?? basename(p)).join(', '));
    let line = `[${bar}] ${this.done}/${this.total}${failed} ${rate.toFixed(1)}/s ${formatDuration(elapsed)} ETA ${eta} ${names}`;
    if (line.length > this.columns - 1) line = line.slice(0, this.columns - 2) + '…';
    this.write(`\r\x1b[2K${line}`);
  }
}
