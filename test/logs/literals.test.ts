import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LiteralSet, type LiteralSpec } from '../../src/logs/literals.js';
import { SIGNATURES } from '../../src/logs/signatures.js';
import { hasCorpus, readCorpus } from '../helpers/shared.js';

/** Every [start, literal] pair, the slow obvious way. */
function bruteForce(text: Buffer, specs: LiteralSpec[]): [number, number][] {
  // case folding is ASCII-only, as in LiteralSet
  const asciiLower = (t: string) => t.replace(/[A-Z]+/g, (c) => c.toLowerCase());
  const hay = text.toString('latin1');
  const lower = asciiLower(hay);
  const out: [number, number][] = [];
  specs.forEach((s, id) => {
    const needle = Buffer.from(s.ignoreCase ? asciiLower(s.text) : s.text, 'utf8').toString('latin1');
    const where = s.ignoreCase ? lower : hay;
    for (let i = where.indexOf(needle); i >= 0; i = where.indexOf(needle, i + 1)) out.push([i, id]);
  });
  return out.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
}

/** The literals collect() reports for each line of `text`. */
function perLine(set: LiteralSet, text: Buffer, count: number): number[][] {
  const out: number[][] = [];
  const seen = new Uint8Array(count);
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf(10, start);
    if (end < 0) end = text.length;
    seen.fill(0);
    set.collect(text, start, end, seen);
    out.push([...seen.keys()].filter((i) => seen[i] === 1));
    start = end + 1;
  }
  return out;
}

/** The same from the brute-force list. */
function bruteForcePerLine(text: Buffer, specs: LiteralSpec[]): number[][] {
  const lineOf = (p: number) => text.subarray(0, p).filter((b) => b === 10).length;
  const lineCount = text.length === 0 ? 0 : text.toString('latin1').split('\n').length - (text[text.length - 1] === 10 ? 1 : 0);
  const out: number[][] = Array.from({ length: lineCount }, () => []);
  for (const [p, id] of bruteForce(text, specs)) if (!out[lineOf(p)].includes(id)) out[lineOf(p)].push(id);
  return out.map((ids) => ids.sort((a, b) => a - b));
}

describe('LiteralSet', () => {
  const specs: LiteralSpec[] = [
    { text: 'No chain/target/match by that name', ignoreCase: false },
    { text: 'xtables lock', ignoreCase: false },
    { text: 'subnet.env', ignoreCase: true },
    { text: 'tables lo', ignoreCase: false },
    { text: 'chain/target', ignoreCase: false },
  ];
  const set = new LiteralSet(specs);

  it('finds every occurrence, overlapping ones too, and honours case rules', () => {
    const text = Buffer.from(
      'x: No chain/target/match by that name.\nAnother app is currently holding the xtables lock.\n' +
        'open /run/flannel/SUBNET.ENV: no such file\nXTABLES LOCK in capitals does not count\n',
    );
    expect(perLine(set, text, specs.length)).toEqual([[0, 4], [1, 3], [2], []]);
    expect(perLine(set, text, specs.length)).toEqual(bruteForcePerLine(text, specs));
  });

  it('find() returns the first line holding a literal, and -1 when none is left', () => {
    const text = Buffer.from('nothing here\nstill nothing\nwaiting for the xtables lock\n');
    const at = set.find(text, 0, text.length);
    expect(text.toString('latin1', at, at + 9)).toBe('tables lo');
    expect(set.find(text, 0, 27)).toBe(-1);
    expect(set.matched).toBe(-1);
  });

  it('never reports a literal that crosses the end of the range', () => {
    const text = Buffer.from('the xtables lock');
    // 'tables lo' ends at 14, 'xtables lock' at 16
    expect(set.find(text, 0, 13)).toBe(-1);
    expect(set.find(text, 0, 14)).toBe(5);
    const seen = new Uint8Array(specs.length);
    set.collect(text, 0, 15, seen);
    expect([...seen]).toEqual([0, 0, 0, 1, 0]);
    set.collect(text, 0, 16, seen);
    expect([...seen]).toEqual([0, 1, 0, 1, 0]);
  });

  it.skipIf(!hasCorpus)('agrees with a brute-force search over a real journal, with the whole catalog', () => {
    const catalogSpecs = [...new Set(SIGNATURES.flatMap((s) => s.literals))].map((text) => ({ text, ignoreCase: false }));
    const catalogSet = new LiteralSet(catalogSpecs);
    const text = Buffer.from(readCorpus('logs', 'hotsos-charmed-k8s-snap-kube-proxy-journal.log'));
    const found: number[] = [];
    for (let from = 0; ; ) {
      const hit = catalogSet.find(text, from, text.length);
      if (hit < 0) break;
      found.push(hit);
      from = text.indexOf(10, hit) + 1;
    }
    const lineStarts = (positions: number[]) => [...new Set(positions.map((p) => text.lastIndexOf(10, p) + 1))];
    expect(lineStarts(found)).toEqual(lineStarts(bruteForce(text, catalogSpecs).map(([p]) => p)));
    // the 16 connection-refused lines, kube-proxy's three start lines (178-180), its two conntrack lines (184-185), its
    // config controllers' four start lines, and the 52 lines of kube-proxy's source files (server*.go, proxier.go, ...: the
    // prefilter of log.kube-proxy-fatal, whose pattern keeps their F lines only: none here)
    expect(found).toHaveLength(74);
  });

  it('agrees with a brute-force search on random literals and text: mixed case, UTF-8, overlaps', () => {
    // A small alphabet makes literals overlap, share three-byte groups and collide in the table.
    const alphabet = ['a', 'B', 'c', 'A', 'b', 'C', ' ', ':', 'é', 'Ä', '\u00ff', 'z', 'Z'];
    const word = (min: number, max: number) => fc.array(fc.constantFrom(...alphabet), { minLength: min, maxLength: max }).map((cs) => cs.join(''));
    const spec = fc.record({ text: word(3, 14), ignoreCase: fc.boolean() });
    const text = fc.array(fc.oneof(word(0, 40), fc.constant('\n')), { maxLength: 40 }).map((parts) => Buffer.from(parts.join(''), 'utf8'));
    fc.assert(
      fc.property(fc.array(spec, { minLength: 1, maxLength: 8 }), text, (specs, hay) => {
        const set = new LiteralSet(specs);
        expect(perLine(set, hay, specs.length)).toEqual(bruteForcePerLine(hay, specs));
      }),
      { numRuns: 600 },
    );
  });

  it('refuses literals that cannot work', () => {
    expect(() => new LiteralSet([])).toThrow(TypeError);
    expect(() => new LiteralSet([{ text: 'ab', ignoreCase: false }])).toThrow(/shorter than 3 bytes/);
    expect(() => new LiteralSet([{ text: 'a\nb', ignoreCase: false }])).toThrow(/spans lines/);
  });
});
