import { utf16Of } from './encoding.js';

/** Recognises containers by their first bytes, never by the file name alone. */
export type ContainerFormat = 'gzip' | 'xz' | 'bzip2' | 'zstd' | 'zip' | 'tar' | 'text' | 'binary';

export function detectFormat(head: Buffer): ContainerFormat {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (head.length >= 3 && head.toString('latin1', 0, 3) === 'BZh') return 'bzip2';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && (head[2] === 3 || head[2] === 5) && (head[3] === 4 || head[3] === 6))
    return 'zip';
  if (head.length >= 262 && head.toString('latin1', 257, 262) === 'ustar') return 'tar';
  // an old (v7) tar has no magic, only a header whose checksum matches
  if (isTarHeader(head)) return 'tar';
  // UTF-16 text (a command output saved by PowerShell) is text: the reader decodes it
  return looksLikeText(head) || utf16Of(head) !== undefined ? 'text' : 'binary';
}

/** A valid tar header block: its checksum matches (old v7 archives have no "ustar" magic). */
export function isTarHeader(block: Buffer): boolean {
  if (block.length < 512) return false;
  const stored = parseInt(block.toString('latin1', 148, 156).replace(/\0.*$/, '').trim(), 8);
  if (!Number.isFinite(stored)) return false;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : block[i];
  return sum === stored;
}

/**
 * Mostly printable UTF-8/ASCII. NUL bytes are left out of the count while lines of text lie
 * between them: a log the system crashed while writing has blocks of zeros where its
 * preallocated space was never written (or a stray NUL in a line), and the text around them is
 * still a log. NULs between most of the other bytes (UTF-16, binary records), data that is all
 * NULs or has no line break besides them, or many control bytes besides the NULs are binary.
 */
export function looksLikeText(head: Buffer): boolean {
  if (head.length === 0) return true;
  const n = Math.min(head.length, 4096);
  let control = 0;
  let nul = 0;
  let nulRuns = 0;
  let lineBreaks = 0;
  for (let i = 0; i < n; i++) {
    const b = head[i];
    if (b === 0) {
      nul++;
      if (i === 0 || head[i - 1] !== 0) nulRuns++;
    } else if (b === 10) lineBreaks++;
    else if (b < 9 || (b > 13 && b < 32) || b === 127) control++;
  }
  if (nul === 0) return control / n < 0.02;
  const other = n - nul;
  // runs of zeros between lines of text (or a stray NUL in a line); not zeros between most
  // characters (UTF-16), nor a name padded with zeros (the start of a tar header)
  if (other < 16 || lineBreaks === 0 || nulRuns > other / 16) return false;
  return control / other < 0.02;
}

/**
 * The bytes without their NUL bytes: a log the system crashed while writing holds runs of them
 * where preallocated blocks were never written. They carry no text and no line breaks, so line
 * numbers stay the same. The buffer itself when it has none.
 */
export function withoutNul(data: Buffer): Buffer {
  if (data.indexOf(0) < 0) return data;
  const out = Buffer.allocUnsafe(data.length);
  let n = 0;
  for (let from = 0; from < data.length; ) {
    const at = data.indexOf(0, from);
    const end = at < 0 ? data.length : at;
    n += data.copy(out, n, from, end);
    if (at < 0) break;
    from = at + 1;
  }
  return out.subarray(0, n);
}

/** File names that promise an archive (used only to decide whether to look inside a nested entry). */
export function archiveLikeName(path: string): boolean {
  return /\.(tar\.gz|tgz|tar|tar\.xz|txz|zip)$/i.test(path);
}

/** A single compressed file (a rotated log), not an archive. */
export function compressedFileName(path: string): boolean {
  return /\.gz$/i.test(path) && !/\.(tar\.gz|tgz)$/i.test(path);
}

/**
 * A report or batch index bundle-doctor wrote (JSON, Markdown or HTML), told by its first bytes.
 * An earlier run's report saved into the bundle folder, or given as an input by mistake, must
 * not be read as a log: its finding titles and evidence excerpts match the very signatures they
 * came from.
 */
export function ownOutput(head: Buffer): 'report' | 'batch index' | undefined {
  const first = head[0];
  // '{', '#', '<': the cheap test first, for every kept file of a big bundle
  if ((first !== 0x7b && first !== 0x23 && first !== 0x3c) || head.subarray(0, 600).indexOf('bundle-doctor') < 0) return undefined;
  const text = head.toString('latin1', 0, 4096);
  const json = /^\{\s*"tool"\s*:\s*\{\s*"name"\s*:\s*"bundle-doctor"[^]*?\n\s*"(bundles|totals)"\s*:/.exec(text);
  if (json) return json[1] === 'totals' ? 'batch index' : 'report';
  const page = /^(?:# |<!DOCTYPE html>[^]*?<title>)bundle-doctor (batch )?report/.exec(text);
  if (page) return page[1] ? 'batch index' : 'report';
  return undefined;
}

/** Keys a JSON log record carries: docker's json-file (`log`, `stream`, `time`), journalctl -o json, zap, logrus, bunyan, Elastic. */
const LOG_RECORD_KEY = /^"(log|msg|message|MESSAGE|__REALTIME_TIMESTAMP|__CURSOR|time|ts|timestamp|@timestamp|level|severity)"$/;

/** How far into a file its first JSON value is followed, to tell one document from JSON lines (see firstValue). */
const JSON_HEAD_CHARS = 64 * 1024;

/**
 * A JSON document (one object or array, pretty-printed or not): data, not a log. `whole` says the
 * text is the entire file: it is then a document when it parses as one JSON value, unless it is a
 * single line holding one log record (JSON lines with one line: docker's json-file
 * `{"log":"...","stream":"stderr","time":"..."}`, journalctl -o json). Pretty-printed JSON (the
 * opening bracket alone on its line, then an indented member) is a document from its head alone: a
 * log writes one record a line and never breaks inside one. Compact JSON is a document from its head
 * alone too when its first value does not end there (a 30 MB `kubectl get pods -A -o json | jq -c`,
 * `docker inspect` of 200 containers on one line, a file a collector cut short), unless that value's
 * own keys are a log record's (a json-file log whose first line is longer than the head). JSON lines
 * (a record a line) never parse as one value and their first record ends on its line: they stay logs.
 */
export function jsonDocument(text: string, whole: boolean): boolean {
  const t = text.replace(/^\uFEFF/, '').trimStart();
  if (t[0] !== '{' && t[0] !== '[') return false;
  if (/^[{[][ \t]*\r?\n[ \t]*(["{[\]}]|-?\d|true\b|false\b|null\b)/.test(t)) return true;
  if (whole) {
    let value: unknown;
    try {
      value = JSON.parse(t);
    } catch {
      // not one value: JSON lines, or one document cut short (judged by its start, below)
      value = undefined;
    }
    if (value !== undefined) {
      if (t.trimEnd().includes('\n') || typeof value !== 'object' || value === null || Array.isArray(value)) return true;
      return !Object.keys(value).some((k) => LOG_RECORD_KEY.test(JSON.stringify(k)));
    }
  }
  const first = firstValue(t.slice(0, JSON_HEAD_CHARS));
  // ends within the head: a record a line (JSON lines), or a value with text after it (no one document)
  if (first.ends) return false;
  return t[0] === '[' || !first.keys.some((k) => LOG_RECORD_KEY.test(`"${k}"`));
}

/**
 * Follows the first JSON value of `t` (which starts with `{` or `[`): whether it ends within `t`, and the
 * keys of its own members read so far (an object's top-level keys). Strings are skipped whole, escapes
 * and all; nothing else is checked (this tells shapes apart, it does not validate). A line break inside a
 * string is no JSON: the value is taken to end there (the text is then no one document).
 */
function firstValue(t: string): { ends: boolean; keys: string[] } {
  const keys: string[] = [];
  let depth = 0;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c === 0x22) {
      // a string: to its closing quote
      const start = i + 1;
      for (i++; i < t.length && t.charCodeAt(i) !== 0x22; i++) {
        const s = t.charCodeAt(i);
        // a line break inside a string: no JSON (a log line such as `[  OK  ] "x` followed by more lines)
        if (s === 0x0a) return { ends: true, keys };
        if (s === 0x5c) i++;
      }
      if (i >= t.length) return { ends: false, keys };
      if (depth === 1 && t[0] === '{' && keys.length < 64) {
        // a key of the value itself: a string followed by a colon
        let j = i + 1;
        while (j < t.length && (t[j] === ' ' || t[j] === '\t' || t[j] === '\r' || t[j] === '\n')) j++;
        if (t[j] === ':') keys.push(t.slice(start, i));
      }
    } else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth === 0) return { ends: true, keys };
    }
  }
  return { ends: false, keys };
}
