/**
 * Splitting a byte stream into lines without ever holding more than one capped line of it.
 *
 * Push-style on purpose: handing out every line as a string (or an async generator step)
 * costs far more than the signature search itself, and almost no line of a log is ever
 * looked at. So the splitter hands out *blocks*: views of the incoming chunk that hold
 * whole lines, already counted, with every line at most `maxLineBytes` long. Only a line
 * that straddles two chunks is copied, into one reused buffer of `maxLineBytes`.
 */

export const DEFAULT_MAX_LINE_BYTES = 64 * 1024;

export interface LineBlock {
  /**
   * Lines `buf[start, end)`, separated by '\n'; the block's last line may lack its '\n'.
   * A view: valid only during the callback (the carry buffer is reused afterwards).
   */
  buf: Buffer;
  start: number;
  end: number;
  /** 1-based number of the block's first line */
  firstLine: number;
  /** the block is one line, cut at `maxLineBytes` (the rest of it was skipped) */
  cut: boolean;
}

export interface LineSplitterOptions {
  /** longer lines are cut to this many bytes (the '\n' not counted) and counted as truncated */
  maxLineBytes?: number;
}

const NL = 10;
const CR = 13;

export class LineSplitter {
  /** lines seen so far (a last line without '\n' counts once `end()` is called) */
  lines = 0;
  bytes = 0;
  truncatedLines = 0;
  readonly maxLineBytes: number;
  private carry: Buffer | undefined;
  private carryLen = 0;
  /** the carried line outgrew the cap: its remaining bytes are dropped up to the next '\n' */
  private carryCut = false;
  private ended = false;

  constructor(
    private readonly onBlock: (block: LineBlock) => void,
    options: LineSplitterOptions = {},
  ) {
    const max = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`maxLineBytes must be a positive integer, got ${max}`);
    this.maxLineBytes = max;
  }

  push(chunk: Buffer): void {
    if (this.ended) throw new Error('LineSplitter: push() after end()');
    const n = chunk.length;
    if (n === 0) return;
    this.bytes += n;
    let pos = 0;
    if (this.carryLen > 0 || this.carryCut) {
      const nl = chunk.indexOf(NL);
      if (nl < 0) {
        this.appendCarry(chunk, 0, n);
        return;
      }
      this.appendCarry(chunk, 0, nl);
      this.emitCarry();
      pos = nl + 1;
    }
    const max = this.maxLineBytes;
    let blockStart = pos;
    let blockFirst = this.lines + 1;
    for (;;) {
      const nl = chunk.indexOf(NL, pos);
      if (nl < 0) break;
      if (nl - pos > max) {
        // An over-long line gets a block of its own, cut at the cap, so that every
        // consumer sees the same capped line however the stream was chunked.
        if (blockStart < pos) this.onBlock({ buf: chunk, start: blockStart, end: pos, firstLine: blockFirst, cut: false });
        this.lines++;
        this.truncatedLines++;
        this.onBlock({ buf: chunk, start: pos, end: pos + max, firstLine: this.lines, cut: true });
        blockStart = nl + 1;
        blockFirst = this.lines + 1;
      } else {
        this.lines++;
      }
      pos = nl + 1;
    }
    if (blockStart < pos) this.onBlock({ buf: chunk, start: blockStart, end: pos, firstLine: blockFirst, cut: false });
    if (pos < n) this.appendCarry(chunk, pos, n);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.carryLen > 0 || this.carryCut) this.emitCarry();
  }

  private appendCarry(src: Buffer, from: number, to: number): void {
    if (this.carryCut) return;
    const max = this.maxLineBytes;
    this.carry ??= Buffer.allocUnsafe(max);
    const room = max - this.carryLen;
    const len = to - from;
    if (len > room) {
      src.copy(this.carry, this.carryLen, from, from + room);
      this.carryLen = max;
      this.carryCut = true;
    } else {
      src.copy(this.carry, this.carryLen, from, to);
      this.carryLen += len;
    }
  }

  private emitCarry(): void {
    this.lines++;
    const cut = this.carryCut;
    if (cut) this.truncatedLines++;
    const len = this.carryLen;
    this.carryLen = 0;
    this.carryCut = false;
    this.onBlock({ buf: this.carry ?? Buffer.alloc(0), start: 0, end: len, firstLine: this.lines, cut });
  }
}

/** The text of line `buf[start, end)` (no '\n'); a trailing '\r' is dropped, bad UTF-8 becomes U+FFFD. */
export function decodeLine(buf: Buffer, start: number, end: number): string {
  if (end > start && buf[end - 1] === CR) end--;
  return buf.toString('utf8', start, end);
}

/** Calls `fn` for each line of a block with its bounds (without '\n') and number, until `fn` returns false. */
export function forEachLine(block: LineBlock, fn: (start: number, end: number, line: number) => boolean | void): void {
  const { buf, end } = block;
  let line = block.firstLine;
  let pos = block.start;
  while (pos < end) {
    let nl = buf.indexOf(NL, pos);
    if (nl < 0 || nl >= end) nl = end;
    if (fn(pos, nl, line++) === false) return;
    pos = nl + 1;
  }
}

export interface SplitLine {
  text: string;
  line: number;
  truncated: boolean;
}

/**
 * Lines of a stream as strings, for callers that want every line (small files, tests).
 * The signature scanner does not use this: it works on the blocks directly.
 */
export async function* splitLines(source: AsyncIterable<Buffer>, options: LineSplitterOptions = {}): AsyncGenerator<SplitLine> {
  let out: SplitLine[] = [];
  const splitter = new LineSplitter((block) => {
    forEachLine(block, (s, e, line) => {
      out.push({ text: decodeLine(block.buf, s, e), line, truncated: block.cut });
    });
  }, options);
  for await (const chunk of source) {
    splitter.push(chunk);
    const ready = out;
    out = [];
    yield* ready;
  }
  splitter.end();
  yield* out;
}
