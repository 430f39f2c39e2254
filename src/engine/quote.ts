/**
 * An excerpt cited at a file and line is that line's text. Analyzers often describe what a line
 * means (`:FORWARD DROP` for `-P FORWARD DROP` or `Chain FORWARD (policy DROP ...)`, `docker0
 * 172.17.0.1/16` for the interface's header line, `2 rules in the legacy back end` for an
 * iptables-save header): a report shown as a quote of the bundle must not put words in its mouth.
 * Where the bundle's file was kept, such an excerpt becomes the line itself and the description
 * moves into the note. Log lines (streamed, not kept) are quoted by the scanner already.
 */
import type { BundleTree } from '../bundle/tree.js';
import { excerpt as capped } from '../model/source.js';
import type { Evidence, Finding } from '../report/schema.js';

export function quoteEvidence(findings: Finding[], tree: BundleTree): void {
  const files = new Map<string, FileLines | undefined>();
  const linesOf = (file: string): FileLines | undefined => {
    if (!files.has(file)) {
      const buf = tree.quoteSource(file);
      files.set(file, buf === undefined ? undefined : new FileLines(buf));
    }
    return files.get(file);
  };
  for (const finding of findings) {
    for (const e of finding.evidence) {
      if (e.line <= 0) continue;
      const text = linesOf(e.file)?.line(e.line);
      if (text === undefined || quotes(e.excerpt, text)) continue;
      requote(e, text);
    }
  }
}

function requote(e: Evidence, text: string): void {
  const said = e.excerpt.trim();
  e.excerpt = capped(text);
  if (said && !quotes(said, text)) e.note = e.note ? `${e.note} (${said})` : said;
}

/** whether the excerpt is the line's text: whole, or its pieces around "…" in order, spaces aside */
export function quotes(excerpt: string, line: string): boolean {
  const squeeze = (s: string) => s.replace(/\s+/g, ' ').trim();
  const l = squeeze(line);
  let at = 0;
  for (const piece of excerpt.split('…').map(squeeze)) {
    if (!piece) continue;
    const found = l.indexOf(piece, at);
    if (found < 0) return false;
    at = found + piece.length;
  }
  return true;
}

/** A kept file's lines, found on demand (a rules dump can be tens of MB). */
class FileLines {
  private starts: number[] | undefined;
  constructor(private readonly buf: Buffer) {}

  line(n: number): string | undefined {
    if (!this.starts) {
      this.starts = [0];
      for (let i = this.buf.indexOf(10); i >= 0; i = this.buf.indexOf(10, i + 1)) this.starts.push(i + 1);
    }
    if (n > this.starts.length) return undefined;
    const from = this.starts[n - 1];
    let to = n < this.starts.length ? this.starts[n] - 1 : this.buf.length;
    if (from > this.buf.length) return undefined;
    if (to > from && this.buf[to - 1] === 13) to--;
    // a line longer than any excerpt needs only its start
    return this.buf.toString('utf8', from, Math.min(to, from + 4096));
  }
}
