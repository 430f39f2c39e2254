/**
 * One pass over a log, with bounded memory whatever its size or line length. Bytes are split
 * into lines as latin1 (one char per byte: fast, and no UTF-8 sequence is ever cut); one
 * compiled alternation of every signature's literals finds candidate lines across a whole
 * chunk at once, so the per-signature patterns run only on the few lines that may match.
 */
import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { excerpt } from '../model/source.js';
import type { LogSource } from '../layouts/types.js';
import { factsOf, SIGNATURES, type Signature } from './signatures.js';
import { parseTimestamp, unitOf, type LogTime } from './timestamps.js';

export interface LogMatch {
  signature: string;
  file: string;
  line: number;
  timestamp?: LogTime;
  unit?: string;
  pod?: string;
  container?: string;
  namespace?: string;
  excerpt: string;
  facts: Record<string, string>;
}

export interface LogScanResult {
  file: string;
  lines: number;
  bytes: number;
  truncatedLines: number;
  firstTimestamp?: LogTime;
  lastTimestamp?: LogTime;
  matches: LogMatch[];
  /** every match counted, also those past the per-signature cap */
  counts: Record<string, number>;
}

export interface ScanOptions {
  maxLineBytes?: number;
  /** matches kept per signature and file; the rest are counted */
  maxMatchesPerSignature?: number;
  source?: LogSource;
  /** year for formats without one (syslog, klog) */
  year?: number;
  catalog?: Signature[];
}

const DEFAULT_MAX_LINE = 64 * 1024;
const CONTINUATION_LINES = 4;

interface Compiled {
  finder: RegExp;
  byLiteral: Map<string, Signature[]>;
}

const compiledCache = new WeakMap<Signature[], Compiled>();

function compile(catalog: Signature[]): Compiled {
  const hit = compiledCache.get(catalog);
  if (hit) return hit;
  const byLiteral = new Map<string, Signature[]>();
  for (const s of catalog) for (const l of s.literals) (byLiteral.get(l) ?? byLiteral.set(l, []).get(l)!).push(s);
  const literals = [...byLiteral.keys()].sort((a, b) => b.length - a.length);
  const finder = new RegExp(literals.map((l) => l.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
  const c = { finder, byLiteral };
  compiledCache.set(catalog, c);
  return c;
}

export class LogScanner {
  private readonly maxLine: number;
  private readonly maxMatches: number;
  private readonly compiled: Compiled;
  private readonly result: LogScanResult;
  /** bytes of an unfinished line carried to the next chunk (at most maxLine) */
  private carry = '';
  private carryTruncated = false;
  private lineNo = 0;
  private lastLine = '';
  /** a match waiting for its continuation lines */
  private pending?: { match: LogMatch; sig: Signature; text: string; need: number };

  constructor(
    readonly file: string,
    private readonly options: ScanOptions = {},
  ) {
    this.maxLine = options.maxLineBytes ?? DEFAULT_MAX_LINE;
    this.maxMatches = options.maxMatchesPerSignature ?? 50;
    this.compiled = compile(options.catalog ?? SIGNATURES);
    this.result = { file, lines: 0, bytes: 0, truncatedLines: 0, matches: [], counts: {} };
  }

  push(chunk: Buffer): void {
    this.result.bytes += chunk.length;
    let text = chunk.toString('latin1');
    let start = 0;
    if (this.carry !== '' || this.carryTruncated) {
      const nl = text.indexOf('\n');
      if (nl < 0) {
        this.extendCarry(text);
        return;
      }
      this.extendCarry(text.slice(0, nl));
      this.scanText(this.carry + '\n', this.carryTruncated);
      this.carry = '';
      this.carryTruncated = false;
      start = nl + 1;
    }
    const lastNl = text.lastIndexOf('\n');
    if (lastNl < start) {
      this.extendCarry(text.slice(start));
      return;
    }
    if (lastNl + 1 < text.length) this.extendCarry(text.slice(lastNl + 1));
    if (start > 0 || lastNl + 1 < text.length) text = text.slice(start, lastNl + 1);
    this.scanText(text, false);
  }

  end(): LogScanResult {
    if (this.carry !== '' || this.carryTruncated) {
      this.scanText(this.carry + '\n', this.carryTruncated);
      this.carry = '';
    }
    this.flushPending();
    if (this.lastLine) this.result.lastTimestamp = parseTimestamp(this.lastLine, { year: this.options.year }) ?? this.result.lastTimestamp;
    return this.result;
  }

  private extendCarry(s: string): void {
    if (this.carryTruncated) return;
    const room = this.maxLine - this.carry.length;
    if (s.length <= room) this.carry += s;
    else {
      this.carry += s.slice(0, Math.max(0, room));
      this.carryTruncated = true;
    }
  }

  /** `text` holds whole lines, each ending in '\n'. */
  private scanText(text: string, truncatedFirst: boolean): void {
    const firstLineNo = this.lineNo + 1;
    let lines = 0;
    // Count lines (and over-long ones) natively.
    let prev = -1;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) {
      lines++;
      if (i - prev - 1 > this.maxLine) this.result.truncatedLines++;
      prev = i;
    }
    if (truncatedFirst) this.result.truncatedLines++;
    if (this.pending) this.feedContinuation(text);
    if (this.result.firstTimestamp === undefined && this.lineNo === 0) {
      const first = text.slice(0, Math.min(text.indexOf('\n'), 300));
      this.result.firstTimestamp = parseTimestamp(first, { year: this.options.year });
    }
    const finder = this.compiled.finder;
    finder.lastIndex = 0;
    let lineStartIdx = 0;
    let lineNoAt = firstLineNo;
    let m: RegExpExecArray | null;
    while ((m = finder.exec(text)) !== null) {
      const begin = text.lastIndexOf('\n', m.index - 1) + 1;
      const endIdx = text.indexOf('\n', m.index);
      // line number of `begin`: count the newlines since the last counted position
      for (let i = text.indexOf('\n', lineStartIdx); i >= 0 && i < begin; i = text.indexOf('\n', i + 1)) lineNoAt++;
      lineStartIdx = begin;
      const raw = text.slice(begin, endIdx);
      this.matchLine(raw, lineNoAt, text, endIdx + 1);
      finder.lastIndex = endIdx + 1;
    }
    // long lines inside this block (not carried) are cut to the cap for scanning only
    this.lineNo += lines;
    this.result.lines = this.lineNo;
    const tail = text.lastIndexOf('\n', text.length - 2);
    this.lastLine = text.slice(tail + 1, Math.min(text.length - 1, tail + 1 + 300));
  }

  private matchLine(rawLatin1: string, lineNo: number, text: string, after: number): void {
    const line = decodeLine(rawLatin1.length > this.maxLine ? rawLatin1.slice(0, this.maxLine) : rawLatin1);
    const candidates = new Set<Signature>();
    for (const [literal, sigs] of this.compiled.byLiteral) if (line.includes(literal)) for (const s of sigs) candidates.add(s);
    for (const sig of candidates) {
      let subject = line;
      // multi-line messages: the continuation lines are needed to read the facts (psql's "on port 5432?")
      if (sig.continues) subject = line + '\n' + continuationOf(text, after, CONTINUATION_LINES);
      const m = sig.pattern.exec(subject);
      if (!m) continue;
      this.result.counts[sig.id] = (this.result.counts[sig.id] ?? 0) + 1;
      if (this.result.counts[sig.id] > this.maxMatches) continue;
      const src = this.options.source ?? {};
      const match: LogMatch = {
        signature: sig.id,
        file: this.file,
        line: lineNo,
        timestamp: parseTimestamp(line, { year: this.options.year }),
        unit: unitOf(line) ?? src.unit,
        pod: src.pod,
        container: src.container,
        namespace: src.namespace,
        excerpt: excerpt(subject.replace(/\n+$/, '').split('\n').slice(0, sig.continues ? 1 + CONTINUATION_LINES : 1).join(' ⏎ ')),
        facts: { ...factsOf(m.groups), ...extracted(sig, subject) },
      };
      for (const k of Object.keys(match) as (keyof LogMatch)[]) if (match[k] === undefined) delete match[k];
      this.result.matches.push(match);
      if (sig.continues && after >= text.length) this.pending = { match, sig, text: line, need: CONTINUATION_LINES };
    }
  }

  /** A continued message whose next lines came in the next chunk. */
  private feedContinuation(text: string): void {
    const p = this.pending!;
    this.pending = undefined;
    const more = continuationOf(text, 0, p.need);
    if (!more) return;
    const subject = p.text + '\n' + more;
    const m = p.sig.pattern.exec(subject);
    if (m) {
      p.match.facts = { ...p.match.facts, ...factsOf(m.groups), ...extracted(p.sig, subject) };
      p.match.excerpt = excerpt(subject.split('\n').join(' ⏎ '));
    }
  }

  private flushPending(): void {
    this.pending = undefined;
  }
}

function extracted(sig: Signature, subject: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const re of sig.extract ?? []) {
    const m = re.exec(subject);
    if (m) for (const [k, v] of Object.entries(factsOf(m.groups))) if (out[k] === undefined) out[k] = v;
  }
  return out;
}

/** Up to `n` indented lines right after `from` (continuations of a multi-line message). */
function continuationOf(text: string, from: number, n: number): string {
  const out: string[] = [];
  let i = from;
  while (out.length < n && i < text.length) {
    const end = text.indexOf('\n', i);
    const line = text.slice(i, end < 0 ? text.length : end);
    if (!/^[\t ]/.test(line) && !/^\S+ \d+ [\d:]+ \S+ \S+:\s{2,}/.test(line)) break;
    out.push(decodeLine(line.length > 2000 ? line.slice(0, 2000) : line).trim());
    if (end < 0) break;
    i = end + 1;
  }
  return out.join('\n');
}

/** Back from latin1 to the UTF-8 the bytes were; invalid sequences become U+FFFD. */
function decodeLine(latin1: string): string {
  // pure ASCII needs no work
  // eslint-disable-next-line no-control-regex
  if (!/[^\x00-\x7f]/.test(latin1)) return latin1.replace(/\r$/, '');
  return Buffer.from(latin1, 'latin1').toString('utf8').replace(/\r$/, '');
}

/** Scans a stream of Buffers (a tar entry as it goes by); `gzip` for rotated `.gz` logs. */
export async function scanLogStream(chunks: AsyncIterable<Buffer>, file: string, options: ScanOptions & { gzip?: boolean } = {}): Promise<LogScanResult> {
  const scanner = new LogScanner(file, options);
  const source: AsyncIterable<Buffer> = options.gzip ? Readable.from(chunks).pipe(createGunzip({ chunkSize: 256 * 1024 })) : chunks;
  for await (const chunk of source) scanner.push(chunk as Buffer);
  return scanner.end();
}

export function scanLogText(text: string, file: string, options: ScanOptions = {}): LogScanResult {
  const s = new LogScanner(file, options);
  s.push(Buffer.from(text, 'utf8'));
  return s.end();
}
