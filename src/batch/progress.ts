/**
 * Progress on stderr: a bar redrawn in place on a terminal (done/total, current names, rate,
 * ETA), one quiet line per bundle otherwise, nothing with --quiet.
 */
import { basename } from 'node:path';
import type { BatchResult } from './pool.js';

export type ProgressMode = 'bar' | 'lines' | 'quiet';

export class Progress {
  private done = 0;
  private readonly running = new Set<string>();
  private readonly started = performance.now();

  constructor(
    private readonly total: number,
    private readonly mode: ProgressMode,
    private readonly write: (s: string) => void,
    private readonly columns = 100,
  ) {}

  start(input: string): void {
    this.running.add(input);
    this.draw();
  }

  finish(result: BatchResult): void {
    this.running.delete(result.input);
    this.done++;
    if (this.mode === 'lines') {
      const what = result.ok
        ? `${result.digest.summary.critical} critical, ${result.digest.summary.warning} warning, ${result.digest.summary.info} info`
        : `failed: ${result.failure.error}`;
      this.write(`[${this.done}/${this.total}] ${result.input}: ${what} (${Math.round(result.ms)} ms)\n`);
    }
    this.draw();
  }

  end(): void {
    if (this.mode === 'bar') this.write('\r\x1b[2K');
  }

  /** Redrawn only on start and finish of a bundle: at most twice per bundle. */
  private draw(): void {
    if (this.mode !== 'bar') return;
    const now = performance.now();
    const elapsed = (now - this.started) / 1000;
    const rate = this.done / Math.max(elapsed, 0.001);
    const eta = this.done > 0 ? Math.round((this.total - this.done) / rate) : undefined;
    const width = 24;
    const filled = Math.round((this.done / Math.max(this.total, 1)) * width);
    const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
    const names = [...this.running].map((p) => basename(p)).join(', ');
    let line = `[${bar}] ${this.done}/${this.total} ${rate.toFixed(1)}/s ETA ${eta === undefined ? '?' : eta + 's'} ${names}`;
    if (line.length > this.columns - 1) line = line.slice(0, this.columns - 2) + '…';
    this.write(`\r\x1b[2K${line}`);
  }
}
