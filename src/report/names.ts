/**
 * Text for people: short names for a batch's inputs, and strings made safe to print or render.
 *
 * Short, distinguishing names for the inputs of a batch. Ticket attachments are often all called
 * `bundle.tgz` or `sosreport.tar.xz`, one per ticket folder: an index that lists them by file name
 * alone cannot say which ticket a row is. Each path is named by its shortest trailing part (whole
 * path segments) that no other path in the list shares: `T-1/bundle.tgz` and `T-2/bundle.tgz`, but
 * plain `att.zip` where the file name is unique.
 */
export function shortNames(paths: readonly string[]): string[] {
  const segments = paths.map((p) => {
    const s = p.replace(/\/+$/, '').split('/');
    return s.length > 1 && s.every((x) => x === '') ? ['/'] : s;
  });
  const take = segments.map(() => 1);
  const label = (i: number) => segments[i].slice(-take[i]).join('/');
  for (let changed = true; changed; ) {
    changed = false;
    const groups = new Map<string, number[]>();
    paths.forEach((_, i) => {
      const key = label(i);
      groups.set(key, [...(groups.get(key) ?? []), i]);
    });
    for (const members of groups.values()) {
      if (members.length < 2) continue;
      for (const i of members) {
        if (take[i] < segments[i].length) {
          take[i]++;
          changed = true;
        }
      }
    }
  }
  return paths.map((_, i) => label(i) || paths[i]);
}

/**
 * Bidirectional controls (LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI, LRM, RLM, ALM): invisible,
 * they reorder what follows (`rtl\u202egol.txt` shows as `rtlxt.log`), so a file name or log line
 * could make a report or a terminal say something other than the bytes. Shown as `\u202e`.
 */
const BIDI = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g;
const bidiEscape = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * A name or message safe to print on one line: control characters (a newline in a file name,
 * an escape sequence) are shown escaped, so each bundle stays one line of progress or error
 * output for whoever parses it, and no file name can move the terminal's cursor; bidirectional
 * controls are shown escaped too, so none can reorder the line.
 */
export function printable(s: string): string {
  return s
    .replace(/[\x00-\x1f\x7f]/g, (c) => (c === '\n' ? '\\n' : c === '\t' ? '\\t' : c === '\r' ? '\\r' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`))
    .replace(BIDI, bidiEscape);
}

// ANSI escape sequences: CSI (colors, cursor moves), OSC (titles, links) and the two-byte ones
const ANSI = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])/g;
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/g;

/**
 * Text as a person should see it in a Markdown or HTML report: log lines often carry colour
 * codes (`\x1b[31mERROR\x1b[0m`, from `docker logs` of most apps), which showed as `[31m` in
 * HTML and reached the terminal of whoever ran `cat report.md`, where a hostile bundle's could
 * rewrite the screen. Escape sequences are dropped, carriage returns (CRLF logs) too, and other
 * control characters are shown escaped, bidirectional controls too (`\u202e`: they would reorder
 * the line on screen). The JSON report keeps the bytes as they were.
 */
export function displayText(s: string): string {
  if (!/[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/.test(s)) return s;
  return s
    .replace(ANSI, '')
    .replace(CONTROL, (c) => (c === '\r' ? '' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`))
    .replace(BIDI, bidiEscape);
}

/**
 * A JSON-like value with every string in it passed through `fn`, object keys too (facts keyed by
 * node name or address are data like any other): through `key` when given, else `fn`. A copy;
 * the value is untouched.
 */
export function mapStrings<T>(value: T, fn: (s: string) => string, key: (k: string) => string = fn): T {
  const walk = (x: unknown): unknown => {
    if (typeof x === 'string') return fn(x);
    if (Array.isArray(x)) return x.map(walk);
    if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, y]) => [key(k), walk(y)]));
    return x;
  };
  return walk(value) as T;
}
