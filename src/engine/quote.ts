/**
 * An excerpt cited at a file and line is that line's text. Analyzers often describe what a line
 * means (`:FORWARD DROP` for `-P FORWARD DROP` or `Chain FORWARD (policy DROP ...)`, `docker0
 * 172.17.0.1/16` for the interface's header line, `2 rules in the legacy back end` for an
 * iptables-save header): a report shown as a quote of the bundle must not put words in its mouth.
 * Where the bundle's file was kept, such an excerpt becomes the line itself and the description
 * moves into the note. Log lines (streamed, not kept) are quoted by the scanner already.
 *
 * A cited line that is not a line of readable text keeps the analyzer's excerpt: a JSON document
 * written on one line (`nft -j list ruleset`: every rule is at line 1, whose start is the
 * metainfo object) or a line far longer than an excerpt. Its start would say nothing of what
 * was cited; the excerpt says which part of it is meant.
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
      if (text === undefined || !readableLine(text) || quotes(e.excerpt, text)) continue;
      requote(e, text);
    }
  }
}

function requote(e: Evidence, text: string): void {
  const said = e.excerpt.trim();
  e.excerpt = capped(text);
  if (said && !quotes(said, text)) e.note = e.note ? `${e.note} (${said})` : said;
}

/**
 * Lines longer than this are not quoted: an excerpt shows a few hundred characters, and text
 * lines run shorter (a kube-proxy rule with its comment ~300, an `ip -d` bridge details line ~900).
 */
const MAX_QUOTED_LINE = 1024;
/** A JSON document on one line this long or longer is data, not a line to quote. */
const MIN_JSON_DOCUMENT = 80;

/** whether a cited line can be quoted: a line of text, not a long blob or a JSON document on one line */
export function readableLine(text: string): boolean {
  if (text.length > MAX_QUOTED_LINE) return false;
  const t = text.trim();
  if (t.length < MIN_JSON_DOCUMENT) return true;
  const open = t[0];
  const close = t[t.length - 1];
  return !(((open === '{' && close === '}') || (open === '[' && close === ']')) && t.includes('":'));
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
    // a line that long (at up to 4 bytes a character) is no line to quote: its start is enough to say so
    return this.buf.toString('utf8', from, Math.min(to, from + 4 * MAX_QUOTED_LINE + 4));
  }
}
