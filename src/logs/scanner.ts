/**
 * One pass over one log file, in bounded memory, looking for every catalog signature at once.
 *
 * Bytes go through the line splitter (lines.ts), which hands over blocks of whole, capped
 * lines. The literal search (literals.ts) runs over each block's raw bytes; only a line that
 * holds a literal is decoded, and only the signatures owning the literals found in it run
 * their patterns. Lines that nothing matched are never turned into strings.
 *
 * Messages that go on over indented lines (psql, kubelet `err=<`) are joined to their
 * continuation lines before matching; a candidate whose continuation may lie in the next
 * chunk is held back (its few lines copied) until that chunk arrives, so matches come out in
 * line order and no line is scanned twice.
 */
import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { decodedUtf16Chunks } from '../bundle/encoding.js';
import { excerpt, EXCERPT_MAX, ParseError, type ParseWarning } from '../model/source.js';
import { decodeLine, forEachLine, LineSplitter, type LineBlock } from './lines.js';
import { LiteralSet } from './literals.js';
import { factsFrom, SIGNATURES, type LogSignature } from './signatures.js';
import { isKlogRecord, parseLogPrefix, yearHint, type LinePrefix, type LogTimestamp } from './timestamps.js';

/** What the bundle layout knows about a log: it applies to every line that does not say otherwise. */
export interface LogSourceHint {
  unit?: string;
  namespace?: string;
  pod?: string;
  container?: string;
}

export interface LogMatch {
  signature: string;
  file: string;
  /** 1-based line of the message's first line */
  line: number;
  /** last line of a message joined from continuation lines */
  endLine?: number;
  timestamp?: LogTimestamp;
  /** the unit or process that wrote the line, else the source hint's */
  unit?: string;
  pod?: string;
  container?: string;
  namespace?: string;
  excerpt: string;
  /** named groups of the signature's patterns: host, port, chain, table, line, ... */
  facts: Record<string, string>;
}

export interface LogScanResult {
  file: string;
  lines: number;
  bytes: number;
  truncatedLines: number;
  firstTimestamp?: LogTimestamp;
  lastTimestamp?: LogTimestamp;
  /** in line order; at most `maxMatchesPerSignature` per signature */
  matches: LogMatch[];
  /** every match per signature id, also those past the cap */
  counts: Record<string, number>;
  /** the file could be read only in part (corrupt gzip, size limit) */
  warnings?: ParseWarning[];
  /** who wrote the file, as its layout names it (a unit, or a pod's container): absent when unknown */
  source?: LogSourceHint;
}

export interface LogScanOptions {
  /** longer lines are cut to this (default 64 KiB) and counted in truncatedLines */
  maxLineBytes?: number;
  /** matches kept per signature and file (default 50); the rest are only counted */
  maxMatchesPerSignature?: number;
  source?: LogSourceHint;
  /** year of the log's first line, for formats without one (syslog, klog) */
  year?: number;
  /** when the bundle was collected (epoch ms): a year-less line's guessed year puts it no later (default: a day from now) */
  notAfter?: number;
}

export interface LogScanner {
  readonly file: string;
  /** the next bytes of the file, chunked any way */
  push(chunk: Buffer): void;
  /** one more line of text (without its newline) */
  pushLine(text: string): void;
  end(): LogScanResult;
}

/** Indented lines joined to a message: enough for psql's three-line errors and kubelet's err=<. */
const MAX_CONTINUATION = 4;
const CONTINUATION_MAX_CHARS = 2000;
/** Patterns see at most this much of a very long line, around the literal that was found. */
const PATTERN_WINDOW = 8 * 1024;
/** The first timestamp is looked for this far into a file, not further. */
const FIRST_TIMESTAMP_LINES = 200;
/** How many lines back from a block's end are tried for the last timestamp. */
const LAST_TIMESTAMP_LINES = 8;
const JOINT = ' ⏎ ';
/** excerpt() keeps this many characters */
const EXCERPT_ROOM = EXCERPT_MAX;
const NL = 10;

interface CompiledCatalog {
  literals: LiteralSet;
  /** literal index -> indexes of the signatures that own it */
  owners: number[][];
}

const compiledCatalogs = new WeakMap<readonly LogSignature[], CompiledCatalog>();

function compile(catalog: readonly LogSignature[]): CompiledCatalog {
  const known = compiledCatalogs.get(catalog);
  if (known) return known;
  const index = new Map<string, number>();
  const specs: { text: string; ignoreCase: boolean }[] = [];
  const owners: number[][] = [];
  catalog.forEach((sig, si) => {
    if (sig.literals.length === 0) throw new TypeError(`signature ${sig.id} has no literals`);
    for (const text of sig.literals) {
      const ignoreCase = sig.ignoreCase === true;
      const key = `${ignoreCase ? 'i' : 'c'}:${text}`;
      let li = index.get(key);
      if (li === undefined) {
        li = specs.length;
        index.set(key, li);
        specs.push({ text, ignoreCase });
        owners.push([]);
      }
      if (!owners[li].includes(si)) owners[li].push(si);
    }
  });
  const compiled = { literals: new LiteralSet(specs), owners };
  compiledCatalogs.set(catalog, compiled);
  return compiled;
}

/** What decides which lines continue a message. */
interface Head {
  prefix: LinePrefix;
  /** indentation of the message itself: continuation lines are indented deeper */
  indent: number;
  /** the message is a klog record: every new record of its writer starts with a klog header */
  klog: boolean;
}

/** A line holding literals, decoded, with what may match it. */
interface Candidate {
  line: number;
  text: string;
  /** where in `text` the first literal sits (for excerpts of long lines) */
  at: number;
  /** the line's beginning, when `text` is a window that starts further in (a very long line) */
  lineHead?: string;
  prefix: LinePrefix;
  head: Head;
  signatures: number[];
}

/** Lines held back at a block's end because a candidate's continuation may follow. */
interface Held {
  bytes: Buffer;
  firstLine: number;
  /** lines still wanted from the next block */
  need: number;
}

class Scanner implements LogScanner {
  private readonly splitter: LineSplitter;
  private readonly compiled: CompiledCatalog;
  private readonly maxMatches: number;
  private readonly source: LogSourceHint;
  private readonly seen: Uint8Array;
  /** per signature: lines up to this one were absorbed into one of its matches */
  private readonly absorbedUntil: Int32Array;
  private readonly matches: LogMatch[] = [];
  private readonly counts: Record<string, number> = {};
  private readonly warnings: ParseWarning[] = [];
  private year: number | undefined;
  private readonly notAfter: number | undefined;
  private lastMonth = -1;
  private firstTimestamp: LogTimestamp | undefined;
  private lastTimestamp: LogTimestamp | undefined;
  private held: Held | undefined;
  private result: LogScanResult | undefined;

  constructor(
    private readonly catalog: readonly LogSignature[],
    readonly file: string,
    options: LogScanOptions,
  ) {
    this.compiled = compile(catalog);
    this.maxMatches = options.maxMatchesPerSignature ?? 50;
    this.source = options.source ?? {};
    this.year = options.year;
    this.notAfter = options.notAfter;
    this.seen = new Uint8Array(this.compiled.owners.length);
    this.absorbedUntil = new Int32Array(catalog.length);
    this.splitter = new LineSplitter((block) => this.onBlock(block), { maxLineBytes: options.maxLineBytes });
  }

  get bytes(): number {
    return this.splitter.bytes;
  }

  push(chunk: Buffer): void {
    if (this.result) throw new Error('LogScanner: push() after end()');
    this.splitter.push(chunk);
  }

  pushLine(text: string): void {
    this.push(Buffer.from(`${text}\n`, 'utf8'));
  }

  warn(message: string): void {
    this.warnings.push({ file: this.file, message });
  }

  end(): LogScanResult {
    if (this.result) return this.result;
    this.splitter.end();
    const held = this.held;
    if (held) {
      this.held = undefined;
      this.scan(held.bytes, 0, held.bytes.length, held.firstLine, true);
    }
    const s = this.splitter;
    const r: LogScanResult = { file: this.file, lines: s.lines, bytes: s.bytes, truncatedLines: s.truncatedLines, matches: this.matches, counts: this.counts };
    if (this.firstTimestamp) r.firstTimestamp = this.firstTimestamp;
    if (this.lastTimestamp) r.lastTimestamp = this.lastTimestamp;
    if (this.warnings.length > 0) r.warnings = this.warnings;
    if (Object.keys(this.source).length > 0) r.source = this.source;
    this.result = r;
    return r;
  }

  private onBlock(block: LineBlock): void {
    if (this.firstTimestamp === undefined && block.firstLine <= FIRST_TIMESTAMP_LINES) this.seekFirstTimestamp(block);
    let start = block.start;
    let firstLine = block.firstLine;
    // Finish what the previous block held back, lending it the lines it waits for.
    while (this.held !== undefined && start < block.end) {
      const held = this.held;
      this.held = undefined;
      let cut = start;
      let taken = 0;
      while (taken < held.need && cut < block.end) {
        const nl = block.buf.indexOf(NL, cut);
        cut = nl < 0 || nl >= block.end ? block.end : nl + 1;
        taken++;
      }
      const sep = held.bytes[held.bytes.length - 1] === NL ? [] : [Buffer.from('\n')];
      const joined = Buffer.concat([held.bytes, ...sep, block.buf.subarray(start, cut)]);
      start = cut;
      firstLine += taken;
      this.scan(joined, 0, joined.length, held.firstLine, false);
    }
    if (start < block.end) this.scan(block.buf, start, block.end, firstLine, false);
    this.noteLastTimestamp(block);
  }

  /**
   * Matches the lines of `buf[start, end)`. With `final` false, a candidate whose
   * continuation may go on past `end` is held back with the lines after it.
   */
  private scan(buf: Buffer, start: number, end: number, firstLine: number, final: boolean): void {
    const { literals, owners } = this.compiled;
    const seen = this.seen;
    let from = start;
    let cursor = start;
    let line = firstLine;
    while (from < end) {
      const hit = literals.find(buf, from, end);
      if (hit < 0) return;
      const ls = hit === start ? hit : Math.max(start, buf.lastIndexOf(NL, hit - 1) + 1);
      let le = buf.indexOf(NL, hit);
      if (le < 0 || le > end) le = end;
      for (let nl = buf.indexOf(NL, cursor); nl >= 0 && nl < ls; nl = buf.indexOf(NL, nl + 1)) line++;
      cursor = ls;
      seen.fill(0);
      literals.collect(buf, ls, le, seen);
      const signatures: number[] = [];
      for (let li = 0; li < seen.length; li++) {
        if (seen[li] === 0) continue;
        for (const si of owners[li]) if (!signatures.includes(si) && this.absorbedUntil[si] < line) signatures.push(si);
      }
      from = le + 1;
      if (signatures.length === 0) continue;
      signatures.sort((a, b) => a - b);
      const candidate = this.candidate(buf, ls, le, hit, line, signatures);
      let continuation: string[] = [];
      if (signatures.some((si) => this.catalog[si].continues)) {
        const look = this.continuationAfter(buf, le + 1, end, candidate.head);
        if (!look.complete && !final) {
          this.held = { bytes: Buffer.from(buf.subarray(ls, end)), firstLine: line, need: MAX_CONTINUATION - look.lines.length };
          return;
        }
        continuation = look.lines;
      }
      this.match(candidate, continuation);
    }
  }

  private candidate(buf: Buffer, ls: number, le: number, hit: number, line: number, signatures: number[]): Candidate {
    if (le - ls <= PATTERN_WINDOW) {
      const text = decodeLine(buf, ls, le);
      // a character offset, needed only where the excerpt must be cut around the literal
      const at = text.length > EXCERPT_ROOM ? buf.toString('utf8', ls, hit).length : 0;
      return { line, text, at, ...headOf(text, this.year, this.notAfter), signatures };
    }
    // A very long line: patterns and excerpt get a window around the literal, the prefix the line's head.
    const ws = Math.max(ls, hit - PATTERN_WINDOW / 2);
    const we = Math.min(le, ws + PATTERN_WINDOW);
    const text = decodeLine(buf, ws, we);
    const head = ws === ls ? text : buf.toString('utf8', ls, Math.min(le, ls + 512));
    const candidate: Candidate = { line, text, at: buf.toString('utf8', ws, hit).length, ...headOf(prefixText(buf, ls, le), this.year, this.notAfter), signatures };
    if (ws > ls) candidate.lineHead = head.slice(0, EXCERPT_HEAD);
    return candidate;
  }

  /**
   * The continuation lines of a message (see continuationText). `complete` is false when the
   * block ended before it was clear whether more follow.
   */
  private continuationAfter(buf: Buffer, from: number, end: number, head: Head): { lines: string[]; complete: boolean } {
    const lines: string[] = [];
    let pos = from;
    while (lines.length < MAX_CONTINUATION) {
      if (pos >= end) return { lines, complete: false };
      let nl = buf.indexOf(NL, pos);
      if (nl < 0 || nl > end) nl = end;
      const text = continuationText(buf, pos, nl, head);
      if (text === undefined) return { lines, complete: true };
      lines.push(text);
      pos = nl + 1;
    }
    return { lines, complete: true };
  }

  private match(c: Candidate, continuation: string[]): void {
    const found: { match: LogMatch; span?: [number, number] }[] = [];
    const unit = c.prefix.unit ?? this.source.unit;
    for (const si of c.signatures) {
      const sig = this.catalog[si];
      if (sig.units && (unit === undefined || !sig.units.test(unit))) continue;
      const joined = sig.continues === true && continuation.length > 0;
      const subject = joined ? `${c.text}\n${continuation.join('\n')}` : c.text;
      // a custom catalog may bring /g patterns, whose exec() remembers where it stopped
      sig.pattern.lastIndex = 0;
      const m = sig.pattern.exec(subject);
      if (m === null) continue;
      if (joined) this.absorbedUntil[si] = c.line + continuation.length;
      if (sig.unless) {
        sig.unless.lastIndex = 0;
        if (sig.unless.test(subject)) continue;
      }
      const n = (this.counts[sig.id] ?? 0) + 1;
      this.counts[sig.id] = n;
      if (n > (sig.maxMatches ?? this.maxMatches)) continue;
      const facts = factsFrom(m.groups);
      for (const re of sig.extract ?? []) {
        re.lastIndex = 0;
        factsFrom(re.exec(subject)?.groups, facts);
      }
      const match: LogMatch = { signature: sig.id, file: this.file, line: c.line, excerpt: '', facts };
      if (joined) {
        match.excerpt = excerptAt(subject.split('\n').join(JOINT), c.at);
        match.endLine = c.line + continuation.length;
      }
      const ts = this.dated(c.prefix.timestamp);
      if (ts) match.timestamp = ts;
      if (unit !== undefined) match.unit = unit;
      if (this.source.pod !== undefined) match.pod = this.source.pod;
      if (this.source.container !== undefined) match.container = this.source.container;
      if (this.source.namespace !== undefined) match.namespace = this.source.namespace;
      found.push(joined ? { match } : { match, span: [m.index, m.index + m[0].length] });
      this.matches.push(match);
    }
    // Matches of one line share an excerpt that shows what each of them matched: a long dockerd
    // line that is both a port-programming failure and "No chain/target/match" shows both.
    const spans = found.flatMap((f) => (f.span ? [f.span] : []));
    if (spans.length === 0) return;
    const shared = excerptAround(c.text, spans, c.lineHead);
    for (const f of found) if (f.span) f.match.excerpt = shared;
  }

  /**
   * The first line's time. When it has no year and nothing gave one, the first line within
   * FIRST_TIMESTAMP_LINES that states its year (a pod log's logrus lines amid klog ones) gives it:
   * the same year, or the one before when its month comes earlier than the first line's (a log
   * that went on over New Year).
   */
  private seekFirstTimestamp(block: LineBlock): void {
    let first: string | undefined;
    let firstMonth = -1;
    let dated: LogTimestamp | undefined;
    forEachLine(block, (s, e, line) => {
      if (line > FIRST_TIMESTAMP_LINES) return false;
      const text = prefixText(block.buf, s, e);
      // the journal's own header states the year, which outranks the caller's guess
      if (line === 1) this.year = yearHint(text) ?? this.year;
      const ts = parseLogPrefix(text, { year: this.year, notAfter: this.notAfter }).timestamp;
      if (ts === undefined) return true;
      if (first === undefined) {
        first = text;
        firstMonth = monthOf(ts);
        // a year known, or stated by this line: nothing to look for
        return ts.yearless === true;
      }
      if (ts.yearInferred) return true;
      dated = ts;
      return false;
    });
    if (first === undefined) return;
    if (dated !== undefined) {
      const year = yearOf(dated);
      this.year = firstMonth > monthOf(dated) ? year - 1 : year;
    }
    this.firstTimestamp = this.dated(parseLogPrefix(first, { year: this.year, notAfter: this.notAfter }).timestamp);
  }

  private noteLastTimestamp(block: LineBlock): void {
    const { buf, start } = block;
    let e = block.end;
    if (e > start && buf[e - 1] === NL) e--;
    for (let i = 0; i < LAST_TIMESTAMP_LINES && e >= start; i++) {
      const s = e > start ? Math.max(start, buf.lastIndexOf(NL, e - 1) + 1) : start;
      const ts = parseLogPrefix(prefixText(buf, s, e), { year: this.year, notAfter: this.notAfter }).timestamp;
      if (ts) {
        this.lastTimestamp = this.dated(ts);
        return;
      }
      e = s - 1;
    }
  }

  /**
   * A line that states its year sets the year of the year-less lines after it (klog lines amid
   * logrus ones in a pod log, syslog lines after a dated header): the nearest dated line before
   * them is the best witness of their year. Year-less formats cross New Year silently: when the
   * month drops by half a year or more between two timestamps read with the context year, the
   * log went on into the next year.
   */
  private dated(ts: LogTimestamp | undefined): LogTimestamp | undefined {
    if (ts === undefined) return ts;
    if (!ts.yearInferred) {
      this.year = yearOf(ts);
      this.lastMonth = monthOf(ts);
      return ts;
    }
    if (this.year === undefined || ts.yearless) return ts;
    const d = new Date(ts.epochMs);
    if (d.getUTCFullYear() !== this.year) return ts;
    const month = d.getUTCMonth();
    if (this.lastMonth >= 0 && month <= this.lastMonth - 6) {
      this.year++;
      d.setUTCFullYear(this.year);
      this.lastMonth = month;
      return { ...ts, iso: d.toISOString(), epochMs: d.getTime() };
    }
    if (month > this.lastMonth) this.lastMonth = month;
    return ts;
  }
}

/**
 * The message part of a continuation line, or undefined when the line starts a new message.
 * A line indented deeper than the message continues it; so does, after a klog record, a
 * line without a klog header from the same process (journald splits `Failed to execute
 * iptables-restore ...` / `Error occurred at line: 33` so), or in a raw klog file a line
 * without any timestamp.
 */
function continuationText(buf: Buffer, s: number, e: number, head: Head): string | undefined {
  if (s === e) return undefined;
  const text = decodeLine(buf, s, Math.min(e, s + CONTINUATION_MAX_CHARS));
  if (head.prefix.unit === undefined) {
    if (indentOf(text) > head.indent) return text.trim();
    return head.klog && text.trim() !== '' && parseLogPrefix(text).timestamp === undefined ? text.trim() : undefined;
  }
  const p = parseLogPrefix(text);
  if (p.unit !== head.prefix.unit || p.host !== head.prefix.host || p.pid !== head.prefix.pid || p.messageStart === 0) {
    // a raw indented line inside a journal (copied output) still continues
    return indentOf(text) > 0 && p.timestamp === undefined ? text.trim() : undefined;
  }
  const message = text.slice(p.messageStart);
  if (message.trim() === '') return undefined;
  if (indentOf(message) > head.indent) return message.trim();
  return head.klog && !isKlogRecord(message) ? message.trim() : undefined;
}

/** The year and month (0-11) a timestamp's text stated, as its ISO form (UTC) writes them. */
function yearOf(ts: LogTimestamp): number {
  return +ts.iso.slice(0, 4);
}
function monthOf(ts: LogTimestamp): number {
  return +ts.iso.slice(5, 7) - 1;
}

function headOf(text: string, year: number | undefined, notAfter: number | undefined): { prefix: LinePrefix; head: Head } {
  const prefix = parseLogPrefix(text, { year, notAfter });
  const message = text.slice(prefix.messageStart);
  return { prefix, head: { prefix, indent: indentOf(message), klog: isKlogRecord(message) } };
}

/** How much of a line's beginning is read for its time and writer. */
const PREFIX_BYTES = 512;
/** how much of a long JSON line's end comes with it: docker's json-file writes `"time"` last */
const JSON_TAIL_BYTES = 128;

/**
 * What parseLogPrefix needs of the line `buf[s, e)`: its beginning, and for a long JSON line its end
 * too (json-file's `"time":"..."}`), without decoding the middle of a long line.
 */
function prefixText(buf: Buffer, s: number, e: number): string {
  if (e - s <= PREFIX_BYTES) return decodeLine(buf, s, e);
  const head = buf.toString('utf8', s, s + PREFIX_BYTES);
  return buf[s] === 123 /* { */ ? head + decodeLine(buf, Math.max(s + PREFIX_BYTES, e - JSON_TAIL_BYTES), e) : head;
}

/** Leading blanks, a tab counting as eight. */
function indentOf(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 32) n++;
    else if (c === 9) n += 8;
    else break;
  }
  return n;
}

/** A capped excerpt that shows the literal even when it sits deep in a long line. */
function excerptAt(text: string, at: number): string {
  if (text.length <= EXCERPT_ROOM || at < EXCERPT_ROOM / 2) return excerpt(text);
  return excerpt(`…${text.slice(at - 100)}`);
}

/** How much of a long line's beginning (time, host, process) an excerpt keeps before a cut. */
const EXCERPT_HEAD = 120;
/** context kept on each side of what a pattern matched, at the least */
const EXCERPT_CONTEXT = 40;

/**
 * A capped excerpt of a line that shows what each pattern matched (spans in `text`): the whole
 * line when it fits, else its beginning and, after "…", each match with a little context.
 * `lineHead` is the line's beginning when `text` is a window further in.
 */
export function excerptAround(text: string, spans: readonly (readonly [number, number])[], lineHead?: string): string {
  if (lineHead === undefined && (text.length <= EXCERPT_ROOM || spans.every(([, e]) => e + EXCERPT_CONTEXT / 2 <= EXCERPT_ROOM - 1))) return excerpt(text);
  // what the room left after the head and the matches allows, shared out as context, at least EXCERPT_CONTEXT
  const matched = spans.reduce((n, [s, e]) => n + e - s, 0);
  const headLength = lineHead?.length ?? EXCERPT_HEAD;
  const context = Math.max(EXCERPT_CONTEXT, Math.floor((EXCERPT_ROOM - headLength - matched - 4 * spans.length) / (2 * spans.length)));
  const windows: [number, number][] = [];
  for (const [s, e] of [...spans].sort((a, b) => a[0] - b[0])) {
    const w: [number, number] = [Math.max(0, s - context), Math.min(text.length, e + context)];
    const last = windows[windows.length - 1];
    if (last && w[0] <= last[1]) last[1] = Math.max(last[1], w[1]);
    else windows.push(w);
  }
  let out = lineHead ?? text.slice(0, EXCERPT_HEAD);
  let pos = lineHead === undefined ? EXCERPT_HEAD : 0;
  const budget = Math.floor((EXCERPT_ROOM - 1 - out.length) / windows.length) - 1;
  for (const [ws, we] of windows) {
    // a gap shorter than the "…" would save is shown
    const from = ws - pos < 24 ? pos : ws;
    const to = Math.min(we, from + budget);
    if (to <= from) continue;
    out += (from > pos || (lineHead !== undefined && pos === 0) ? '…' : '') + text.slice(from, to);
    pos = to;
  }
  return excerpt(pos < text.length ? `${out}…` : out);
}

export function createLogScanner(catalog: readonly LogSignature[] = SIGNATURES, options: LogScanOptions & { file: string }): LogScanner {
  return new Scanner(catalog, options.file, options);
}

export interface LogStreamOptions extends LogScanOptions {
  /** the bytes are gzip (rotated `messages-20261101.gz`, `syslog.2.gz`) */
  gzip?: boolean;
  catalog?: readonly LogSignature[];
  /** stop after this many bytes of log text, with a warning (a guard against gzip bombs) */
  maxBytes?: number;
}

/**
 * Scans a log as it streams by (a tar entry): never more than a chunk and a few capped lines
 * in memory. Errors of the source itself are passed on; a corrupt or cut gzip stream gives
 * the lines read so far with a warning, or a ParseError when nothing could be read.
 */
export async function scanLogStream(source: AsyncIterable<Buffer>, file: string, options: LogStreamOptions = {}): Promise<LogScanResult> {
  const scanner = new Scanner(options.catalog ?? SIGNATURES, file, options);
  const limit = options.maxBytes ?? Infinity;
  let input: AsyncIterable<Buffer> = source;
  if (options.gzip) {
    const gunzip = createGunzip({ chunkSize: 256 * 1024 });
    // pipeline, not pipe: an error of the source must end the iteration below, not hang it
    pipeline(Readable.from(source), gunzip, () => {});
    // a rotated log saved as UTF-16 (the reader decodes plain files; these bytes were compressed)
    input = decodedUtf16Chunks(gunzip);
  }
  try {
    for await (const chunk of input) {
      const room = limit - scanner.bytes;
      if (chunk.length > room) {
        if (room > 0) scanner.push(chunk.subarray(0, room));
        scanner.warn(`scan stopped after ${limit} bytes`);
        break;
      }
      scanner.push(chunk);
    }
  } catch (err) {
    // A cut or damaged compressed stream, inflated here (a rotated log in a bundle) or by the
    // reader (messages.gz or .xz given on its own): the lines before the damage count, with a warning.
    const kind = decompressorOf(err);
    if (!kind) throw err;
    const message = (err as Error).message;
    if (scanner.bytes === 0) throw new ParseError(`not a readable ${kind} stream: ${message}`, file);
    scanner.warn(`${kind} data broken after ${scanner.bytes} bytes of text (${message}); the lines before were read`);
  }
  return scanner.end();
}

function decompressorOf(err: unknown): 'gzip' | 'xz' | undefined {
  const { code, name } = (err ?? {}) as { code?: unknown; name?: unknown };
  if (typeof code === 'string' && code.startsWith('Z_')) return 'gzip';
  if (typeof name === 'string' && name.startsWith('LZMA')) return 'xz';
  return undefined;
}

/** Scans text already in memory (small files, tests). */
export function scanLogText(text: string, file: string, options: LogScanOptions & { catalog?: readonly LogSignature[] } = {}): LogScanResult {
  const scanner = new Scanner(options.catalog ?? SIGNATURES, file, options);
  scanner.push(Buffer.from(text, 'utf8'));
  return scanner.end();
}
