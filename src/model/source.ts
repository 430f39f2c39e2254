/**
 * Contracts shared by every layer: where a fact came from, and how a parser says
 * "unusable" versus "does not apply" (insights-core's exception model).
 */

/** A place in the bundle. `file` is the path inside the bundle, `line` is 1-based (0 = the file as a whole). */
export interface SourceRef {
  file: string;
  line: number;
}

/** A problem met while parsing that did not make the whole file unusable. */
export interface ParseWarning {
  file: string;
  line?: number;
  message: string;
}

/** The file is meant for this parser but its data cannot be used. Shown in the report's coverage. */
export class ParseError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly line?: number,
  ) {
    super(message);
    this.name = 'ParseError';
  }
}

/** The file is not of this parser's format: skipped silently. */
export class SkipFile extends Error {
  constructor(readonly file: string, reason = 'not of this format') {
    super(reason);
    this.name = 'SkipFile';
  }
}

/** Longest excerpt any layer keeps from a bundle line. */
export const EXCERPT_MAX = 400;

export function excerpt(text: string, max = EXCERPT_MAX): string {
  const oneLine = text.replace(/\r?\n$/, '');
  return oneLine.length > max ? oneLine.slice(0, max - 1) + '…' : oneLine;
}

/** Splits text into lines, keeping 1-based numbers; tolerates CRLF. */
export function lines(text: string): string[] {
  const out = text.split('\n');
  if (out.length > 0 && out[out.length - 1] === '') out.pop();
  for (let i = 0; i < out.length; i++) {
    const l = out[i];
    if (l.endsWith('\r')) out[i] = l.slice(0, -1);
  }
  return out;
}
