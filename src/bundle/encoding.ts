/**
 * Text saved as UTF-16 (PowerShell's `>` and `Out-File` on Windows PowerShell write UTF-16LE
 * with a BOM, and CRLF; Notepad's "Unicode"): a ticket's command outputs are often saved so.
 * Every other byte of such text is NUL, so it would pass for binary data: it is decoded to
 * UTF-8 before anything sniffs, parses or scans it. Line breaks stay where they were (CRLF is
 * read as a line break everywhere), so line N of the decoded text is line N of the file.
 */

export type Utf16 = 'utf-16le' | 'utf-16be';

/** Bytes looked at to tell UTF-16 text */
const SNIFF = 4096;

/**
 * The UTF-16 encoding of text starting with `head`: told by its byte order mark, or, without
 * one, by NULs in every other byte around printable ASCII (text written without a BOM). Text
 * with runs of NULs (a log the system crashed while writing) is not UTF-16: its NULs fall on
 * even and odd bytes alike.
 */
export function utf16Of(head: Buffer): Utf16 | undefined {
  const n = Math.min(head.length, SNIFF) & ~1;
  if (n < 2) return undefined;
  let enc: Utf16 | undefined;
  if (head[0] === 0xff && head[1] === 0xfe) {
    // FF FE 00 00 is UTF-32LE's mark
    if (n >= 4 && head[2] === 0 && head[3] === 0) return undefined;
    enc = 'utf-16le';
  } else if (head[0] === 0xfe && head[1] === 0xff) enc = 'utf-16be';
  else {
    if (n < 8) return undefined;
    let zeroEven = 0;
    let zeroOdd = 0;
    for (let i = 0; i < n; i += 2) {
      if (head[i] === 0) zeroEven++;
      if (head[i + 1] === 0) zeroOdd++;
    }
    const units = n / 2;
    // mostly ASCII: the high byte of nearly every code unit is zero, the low byte nearly never
    if (zeroOdd >= units * 0.9 && zeroEven <= units * 0.02) enc = 'utf-16le';
    else if (zeroEven >= units * 0.9 && zeroOdd <= units * 0.02) enc = 'utf-16be';
    else return undefined;
  }
  return readableText(new TextDecoder(enc).decode(head.subarray(0, n))) ? enc : undefined;
}

/** Decoded, the start reads as text: few control characters, none of them NUL. */
function readableText(text: string): boolean {
  if (text.length === 0) return true;
  let control = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0) return false;
    if (c < 9 || (c > 13 && c < 32) || c === 127 || c === 0xfffd) control++;
  }
  return control / text.length < 0.02;
}

/** The file as UTF-8 when it is UTF-16 text (see utf16Of); otherwise the buffer itself. */
export function decodeUtf16(data: Buffer): Buffer {
  const enc = utf16Of(data.subarray(0, SNIFF));
  return enc === undefined ? data : Buffer.from(new TextDecoder(enc).decode(data), 'utf8');
}

/**
 * A stream of a file's bytes, as UTF-8 when the file is UTF-16 text (told from its first 4 KiB),
 * else unchanged. A code unit or a surrogate pair split between two chunks is decoded whole.
 */
export async function* decodedUtf16Chunks(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const it = chunks[Symbol.asyncIterator]();
  let done = false;
  try {
    const head: Buffer[] = [];
    let got = 0;
    while (got < SNIFF) {
      const next = await it.next();
      if (next.done) {
        done = true;
        break;
      }
      head.push(next.value);
      got += next.value.length;
    }
    const start = head.length === 1 ? head[0] : Buffer.concat(head, got);
    const enc = utf16Of(start);
    if (enc === undefined) {
      if (got > 0) yield start;
      while (!done) {
        const next = await it.next();
        if (next.done) done = true;
        else yield next.value;
      }
      return;
    }
    const decoder = new TextDecoder(enc);
    const out = (text: string) => (text.length > 0 ? Buffer.from(text, 'utf8') : undefined);
    let piece = out(decoder.decode(start, { stream: true }));
    if (piece) yield piece;
    while (!done) {
      const next = await it.next();
      if (next.done) done = true;
      else {
        piece = out(decoder.decode(next.value, { stream: true }));
        if (piece) yield piece;
      }
    }
    piece = out(decoder.decode());
    if (piece) yield piece;
  } finally {
    // a reader that stopped early closes the source too (a gunzip stream is destroyed)
    if (!done) await it.return?.();
  }
}
