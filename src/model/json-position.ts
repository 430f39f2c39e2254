/**
 * Positions in JSON text read with jsonc-parser: its nodes and errors carry character offsets, the
 * evidence cites 1-based lines. Shared by the parsers that keep {file, line} for what they read out of
 * JSON (parsers/cni-conf.ts, logs/kube-events.ts; in model/ so reading a bundle loads no parser).
 */
import { printParseErrorCode, type ParseError as JsonParseError } from 'jsonc-parser';

/** Offsets to 1-based line numbers, by a binary search over where each line starts. */
export class LineIndex {
  /** offset where each line starts */
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }

  /** the 1-based line holding the character at `offset` */
  lineAt(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }
}

/** A short, quoted view of the text at an offset, for an error message (one line, at most 20 characters). */
function textAt(text: string, offset: number): string {
  const near = text.slice(offset, offset + 24);
  const quoted = /^"[^"\\\n]{0,20}"/.exec(near);
  if (quoted) return quoted[0];
  const word = /^[^\s,:{}[\]"]{1,20}/.exec(near);
  return JSON.stringify(word ? word[0] : text.charAt(offset));
}

/** Where the comma before `offset` is, past blanks (a comma there makes a `}` or `]` a trailing comma); -1 when none. */
function commaBefore(text: string, offset: number): number {
  let i = offset - 1;
  while (i >= 0 && /\s/.test(text[i])) i--;
  return text[i] === ',' ? i : -1;
}

/**
 * What a jsonc-parser error means, in plain words for a support engineer (one line, no code names):
 * `the file ends inside the JSON (cut short?)`, `a comma before "}" (JSON allows none)`, `a comment (JSON has
 * none)`; and the offset to cite: the error's, or the trailing comma's (jsonc-parser points at the bracket after it).
 */
export function explainJsonError(error: JsonParseError, text: string): { message: string; offset: number } {
  const comma = /^(?:PropertyNameExpected|ValueExpected)$/.test(printParseErrorCode(error.error)) && /[}\]]/.test(text[error.offset] ?? '') ? commaBefore(text, error.offset) : -1;
  if (comma >= 0) return { message: `a comma before "${text[error.offset]}" (JSON allows none)`, offset: comma };
  return { message: describeJsonError(error, text), offset: error.offset };
}

/** What a jsonc-parser error means, in plain words (see explainJsonError). */
export function describeJsonError(error: JsonParseError, text: string): string {
  const at = error.offset;
  const atEnd = at >= text.trimEnd().length;
  const cutShort = 'the file ends inside the JSON (cut short?)';
  switch (printParseErrorCode(error.error)) {
    case 'InvalidSymbol':
      return atEnd ? cutShort : `unexpected ${textAt(text, at)} (a string needs double quotes)`;
    case 'InvalidNumberFormat':
      return `a malformed number ${textAt(text, at)}`;
    case 'PropertyNameExpected':
      if (text[at] === '}' && commaBefore(text, at) >= 0) return 'a comma before "}" (JSON allows none)';
      return atEnd ? cutShort : `expected a key in double quotes, found ${textAt(text, at)}`;
    case 'ValueExpected':
      if ((text[at] === ']' || text[at] === '}') && commaBefore(text, at) >= 0) return `a comma before "${text[at]}" (JSON allows none)`;
      return atEnd ? cutShort : `expected a value, found ${textAt(text, at)}`;
    case 'ColonExpected':
      return atEnd ? cutShort : `expected ":" after a key, found ${textAt(text, at)}`;
    case 'CommaExpected':
      return atEnd ? cutShort : `expected "," between two members, found ${textAt(text, at)}`;
    case 'CloseBraceExpected':
      return atEnd ? cutShort : `expected "," or "}", found ${textAt(text, at)}`;
    case 'CloseBracketExpected':
      return atEnd ? cutShort : `expected "," or "]", found ${textAt(text, at)}`;
    case 'EndOfFileExpected':
      return 'text after the end of the JSON value';
    case 'InvalidCommentToken':
      return 'a comment (JSON has none)';
    case 'UnexpectedEndOfComment':
      return 'a /* comment that is never closed';
    case 'UnexpectedEndOfString':
      // no line break after its opening quote: the file stops inside the string
      return atEnd || !/\n[^]*\S/.test(text.slice(at)) ? cutShort : 'a string not closed on its line';
    case 'UnexpectedEndOfNumber':
      return 'a number cut short';
    case 'InvalidUnicode':
      return 'a bad \\u escape in a string';
    case 'InvalidEscapeCharacter':
      return 'a bad escape (\\) in a string';
    case 'InvalidCharacter':
      return 'a control character inside a string';
    default:
      return 'not readable as JSON';
  }
}
