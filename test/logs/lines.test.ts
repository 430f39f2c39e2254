import { describe, expect, it } from 'vitest';
import { decodeLine, forEachLine, LineSplitter, splitLines, type LineBlock } from '../../src/logs/lines.js';
import { hasCorpus, readCorpus } from '../helpers/shared.js';

interface Seen {
  text: string;
  line: number;
  cut: boolean;
}

/** Every line the splitter hands out, as text, for a given chunking of `bytes`. */
function split(bytes: Buffer, chunkSize: number, maxLineBytes?: number): { lines: Seen[]; splitter: LineSplitter } {
  const lines: Seen[] = [];
  const splitter = new LineSplitter(
    (block: LineBlock) =>
      forEachLine(block, (s, e, line) => {
        lines.push({ text: decodeLine(block.buf, s, e), line, cut: block.cut });
      }),
    { maxLineBytes },
  );
  for (let off = 0; off < bytes.length; off += chunkSize) splitter.push(bytes.subarray(off, off + chunkSize));
  splitter.end();
  return { lines, splitter };
}

async function* chunksOf(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let off = 0; off < bytes.length; off += size) yield bytes.subarray(off, off + size);
}

describe.skipIf(!hasCorpus)('line splitting of a real journal', () => {
  // the suite body runs even when skipped: read the corpus only where it is there
  const journal = hasCorpus ? Buffer.from(readCorpus('logs', 'hotsos-charmed-k8s-snap-kube-proxy-journal.log')) : Buffer.alloc(0);
  const expected = journal.toString('utf8').split('\n').slice(0, -1);

  it.each([1, 7, 64, 4096, journal.length])('gives the same numbered lines with %i-byte chunks', (size) => {
    const { lines, splitter } = split(journal, size);
    expect(lines.map((l) => l.text)).toEqual(expected);
    expect(lines.map((l) => l.line)).toEqual(expected.map((_, i) => i + 1));
    expect(splitter.lines).toBe(208);
    expect(splitter.bytes).toBe(journal.length);
    expect(splitter.truncatedLines).toBe(0);
  });

  it('splitLines yields the same lines from an async stream', async () => {
    const got: string[] = [];
    for await (const l of splitLines(chunksOf(journal, 1000))) got.push(l.text);
    expect(got).toEqual(expected);
  });
});

describe('line splitting edge cases', () => {
  it('CRLF line ends lose their CR; a last line without newline still counts', () => {
    const { lines, splitter } = split(Buffer.from('Nov 20 10:00:00 a b: one\r\ntwo\r\nthree'), 3);
    expect(lines).toEqual([
      { text: 'Nov 20 10:00:00 a b: one', line: 1, cut: false },
      { text: 'two', line: 2, cut: false },
      { text: 'three', line: 3, cut: false },
    ]);
    expect(splitter.lines).toBe(3);
  });

  it('empty input has no lines; empty lines are counted', () => {
    expect(split(Buffer.alloc(0), 10).splitter.lines).toBe(0);
    const { lines } = split(Buffer.from('\n\nx\n'), 1);
    expect(lines.map((l) => [l.line, l.text])).toEqual([
      [1, ''],
      [2, ''],
      [3, 'x'],
    ]);
  });

  it('cuts lines over the cap, in a chunk or across chunks, and keeps counting after them', () => {
    const text = `short\n${'a'.repeat(10)}\n${'b'.repeat(11)}\n${'c'.repeat(25)}\nend\n`;
    for (const size of [1, 4, 9, 100]) {
      const { lines, splitter } = split(Buffer.from(text), size, 10);
      expect(lines).toEqual([
        { text: 'short', line: 1, cut: false },
        { text: 'a'.repeat(10), line: 2, cut: false },
        { text: 'b'.repeat(10), line: 3, cut: true },
        { text: 'c'.repeat(10), line: 4, cut: true },
        { text: 'end', line: 5, cut: false },
      ]);
      expect(splitter.truncatedLines).toBe(2);
    }
  });

  it('a cut last line without newline', async () => {
    const got = [];
    for await (const l of splitLines(chunksOf(Buffer.from(`ok\n${'z'.repeat(50)}`), 8), { maxLineBytes: 16 })) got.push(l);
    expect(got).toEqual([
      { text: 'ok', line: 1, truncated: false },
      { text: 'z'.repeat(16), line: 2, truncated: true },
    ]);
  });

  it('invalid UTF-8 and NUL bytes decode without throwing', () => {
    const bytes = Buffer.from([0x66, 0x6f, 0xff, 0xfe, 0x00, 0x0a, 0xe6, 0x9c, 0x0a, 0xe6, 0x9c, 0x88, 0x0a]);
    const { lines } = split(bytes, 1);
    expect(lines.map((l) => l.text)).toEqual(['fo\ufffd\ufffd\u0000', '\ufffd', '月']);
  });

  it('rejects a nonsensical cap and pushes after end', () => {
    expect(() => new LineSplitter(() => {}, { maxLineBytes: 0 })).toThrow(RangeError);
    const s = new LineSplitter(() => {});
    s.end();
    expect(() => s.push(Buffer.from('x'))).toThrow(/after end/);
  });
});
