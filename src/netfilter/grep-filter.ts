/**
 * What a pasted command's pipe let through: `$ sudo iptables -t nat -nvL | grep -i flannel`, `# iptables -S | grep -v
 * RETURN`. The iptables parsers (list-format.ts, save-format.ts) keep one OutputFilter per command line above an output;
 * analyzers ask whether a rule would have been shown (a rule hidden by the grep is not a rule missing).
 */
import type { GrepStage, OutputFilter, Ruleset } from './rules.js';


/**
 * The pipe after a pasted command line (`$ sudo iptables -t nat -nvL | grep -i flannel`,
 * `# iptables -S | egrep 'KUBE|DOCKER' | grep -v -w DROP`): each grep as a line filter, read as GNU grep
 * reads it (basic, extended or fixed patterns, -i, -v, -w, -x, several -e). No pipe: `greps` empty,
 * the whole output. Anything that is not a line filter of the listing or cannot be read exactly (head,
 * sort, awk, grep -P/-A/-c/-o, files as operands, a shell expansion, a pattern not understood) gives
 * `unknown`, with why: which lines were kept is then not known (never guessed).
 */
export function outputFilterOf(commandLine: string): { greps: GrepStage[]; unknown?: string } {
  const body = commandLine.trim().replace(/^(?:\[[^\]\n]*\][$#]\s*|\S*[$#]\s*|[$#]\s*)/, '');
  const segments = shellPipeline(body);
  if (typeof segments === 'string') return { greps: [], unknown: segments };
  const greps: GrepStage[] = [];
  for (const words of segments.slice(1)) {
    const stage = grepStage(words);
    if (typeof stage === 'string') return { greps, unknown: stage };
    if (stage) greps.push(stage);
  }
  return { greps };
}

/** Whether the filter keeps an output line: every grep of the pipe keeps it. Undefined: the filter is not known. */
export function filterKeeps(filter: { greps: GrepStage[]; unknown?: string }, line: string): boolean | undefined {
  if (filter.unknown !== undefined) return undefined;
  for (const g of filter.greps) {
    const flags = g.ignoreCase ? 'i' : '';
    const hit = g.source.some((s) => new RegExp(s, flags).test(line));
    if (hit === g.invert) return false;
  }
  return true;
}

/**
 * Whether the paste would show an output line printed at `line` of the ruleset's file (a rule of the
 * chain listed there): the pipe of the command line above it keeps it. Undefined where no command line
 * is above the line, or its pipe is not known as a line filter.
 */
export function shownByFilter(rs: Ruleset, line: number, text: string): boolean | undefined {
  const f = outputFilterAt(rs, line);
  return f ? filterKeeps(f, text) : undefined;
}

/** The command line's filter whose output holds file line `line`. */
export function outputFilterAt(rs: Ruleset, line: number): OutputFilter | undefined {
  return rs.outputFilters?.find((f) => line >= f.from && line <= f.to);
}

/** A command line's words per pipe stage, quotes removed; a string says why the line is not read (an expansion, `;`, `&&`). */
function shellPipeline(s: string): string[][] | string {
  const segments: string[][] = [[]];
  let word: string | undefined;
  const end = () => {
    if (word !== undefined) segments[segments.length - 1].push(word);
    word = undefined;
  };
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "'") {
      const j = s.indexOf("'", i + 1);
      if (j < 0) return 'an unclosed quote';
      word = (word ?? '') + s.slice(i + 1, j);
      i = j;
    } else if (c === '"') {
      let w = '';
      let j = i + 1;
      for (; j < s.length && s[j] !== '"'; j++) {
        if (s[j] === '$' || s[j] === '`') return 'a shell expansion in the command line';
        if (s[j] === '\\' && j + 1 < s.length && '"\\$`'.includes(s[j + 1])) w += s[++j];
        else w += s[j];
      }
      if (j >= s.length) return 'an unclosed quote';
      word = (word ?? '') + w;
      i = j;
    } else if (c === '\\') {
      if (i + 1 < s.length) word = (word ?? '') + s[++i];
    } else if (/\s/.test(c)) end();
    else if (c === '|') {
      if (s[i + 1] === '|' || s[i + 1] === '&') return `"${s.slice(i, i + 2)}" in the command line`;
      end();
      segments.push([]);
    } else if (c === '>' || c === '<') {
      // a redirection (2>/dev/null, 2>&1): its target is no word of the command; a `>` that sends stdout away is not a pipe
      const digits = word !== undefined && /^\d$/.test(word) ? word : undefined;
      if (word !== undefined && !digits) end();
      word = undefined;
      const m = /^[<>]{1,2}(&\d|\s*[^\s|;&<>]+)/.exec(s.slice(i));
      if (!m) return 'a redirection not understood';
      if (c === '>' && digits !== '2' && !/^>&2$/.test(m[0])) return 'the output redirected (>)';
      i += m[0].length - 1;
    } else if (c === ';' || c === '&' || c === '$' || c === '`' || c === '(' || c === ')') return `"${c}" in the command line (not one pipe of line filters)`;
    else if (c === '#' && word === undefined) break;
    else word = (word ?? '') + c;
  }
  end();
  if (segments.some((w) => w.length === 0)) return 'an empty pipe stage';
  return segments;
}

/** grep options that print other lines than the matching ones, or read other input (context, counts, files). */
const GREP_NOT_A_FILTER = /^--(?:count|only-matching|quiet|silent|files-with(?:out)?-match(?:es)?|max-count|after-context|before-context|context|file|recursive|dereference-recursive|null-data|perl-regexp|with-filename|byte-offset|label|include|exclude|exclude-dir|binary-files=(?!text|binary))/;

/** One pipe stage as a grep (undefined: a stage that passes every line, as cat; a string: why it is no known line filter). */
function grepStage(words: string[]): GrepStage | undefined | string {
  let w = words;
  if (w[0] === 'sudo') w = w.slice(1);
  const cmd = (w[0] ?? '').replace(/^.*\//, '');
  if (cmd === 'cat' && w.length === 1) return undefined;
  if ((cmd === 'less' || cmd === 'more') && w.length === 1) return undefined;
  if (cmd !== 'grep' && cmd !== 'egrep' && cmd !== 'fgrep') return `"${w.join(' ').slice(0, 40)}" in the pipe is no grep`;
  let syntax: GrepStage['syntax'] = cmd === 'egrep' ? 'extended' : cmd === 'fgrep' ? 'fixed' : 'basic';
  let ignoreCase = false;
  let invert = false;
  let word = false;
  let line = false;
  const patterns: string[] = [];
  const operands: string[] = [];
  let viaE = false;
  let optionsDone = false;
  for (let i = 1; i < w.length; i++) {
    const a = w[i];
    if (optionsDone || !a.startsWith('-') || a === '-') {
      operands.push(a);
      continue;
    }
    if (a === '--') {
      optionsDone = true;
      continue;
    }
    if (a.startsWith('--')) {
      if (GREP_NOT_A_FILTER.test(a)) return `grep ${a} does not print the matching lines alone`;
      const [name, value] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
      if (name === '--ignore-case') ignoreCase = true;
      else if (name === '--no-ignore-case') ignoreCase = false;
      else if (name === '--invert-match') invert = true;
      else if (name === '--word-regexp') word = true;
      else if (name === '--line-regexp') line = true;
      else if (name === '--extended-regexp') syntax = 'extended';
      else if (name === '--fixed-strings') syntax = 'fixed';
      else if (name === '--basic-regexp') syntax = 'basic';
      else if (name === '--regexp') {
        const v = value ?? w[++i];
        if (v === undefined) return 'grep --regexp without its pattern';
        patterns.push(v);
        viaE = true;
      } else if (!/^--(?:colou?r|line-buffered|no-messages|text|line-number|no-filename|binary-files|initial-tab|label)$/.test(name)) return `grep ${a} not understood`;
      continue;
    }
    for (let k = 1; k < a.length; k++) {
      const f = a[k];
      if (f === 'i' || f === 'y') ignoreCase = true;
      else if (f === 'v') invert = true;
      else if (f === 'w') word = true;
      else if (f === 'x') line = true;
      else if (f === 'E') syntax = 'extended';
      else if (f === 'F') syntax = 'fixed';
      else if (f === 'G') syntax = 'basic';
      else if (f === 'e') {
        const v = k + 1 < a.length ? a.slice(k + 1) : w[++i];
        if (v === undefined) return 'grep -e without its pattern';
        patterns.push(v);
        viaE = true;
        break;
      } else if ('nsahTU'.includes(f)) continue;
      else return `grep -${f} does not print the matching lines alone, or is not understood`;
    }
  }
  if (!viaE) {
    const p = operands.shift();
    if (p === undefined) return 'grep without a pattern';
    patterns.push(p);
  }
  if (operands.length > 0) return `grep reads ${operands.join(' ')}, not the listing`;
  // a pattern holding a newline is several patterns (grep $'a\nb')
  const all = patterns.flatMap((p) => p.split('\n'));
  const source: string[] = [];
  for (const p of all) {
    let s = syntax === 'fixed' ? p.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&') : posixToJs(p, syntax === 'extended');
    if (s === undefined) return `grep pattern not understood: ${p.slice(0, 60)}`;
    if (word) s = `(?<![A-Za-z0-9_])(?:${s})(?![A-Za-z0-9_])`;
    else if (line) s = `^(?:${s})$`;
    try {
      new RegExp(s, ignoreCase ? 'i' : '');
    } catch {
      return `grep pattern not understood: ${p.slice(0, 60)}`;
    }
    source.push(s);
  }
  return { patterns: all, syntax, ignoreCase, invert, word, line, source };
}

const POSIX_CLASSES: Record<string, string> = {
  alpha: 'A-Za-z', digit: '0-9', alnum: 'A-Za-z0-9', upper: 'A-Z', lower: 'a-z', space: ' \\t\\n\\r\\f\\v', blank: ' \\t',
  xdigit: '0-9A-Fa-f', punct: '!-\\/:-@\\[-`{-~', cntrl: '\\x00-\\x1f\\x7f', print: ' -~', graph: '!-~',
};

/**
 * A POSIX basic or extended regular expression (GNU grep's dialect: `\|`, `\+`, `\?` in basic, `\<`, `\>`,
 * `\b`, `\w`, `\s`) as a JavaScript one; undefined for what is not read exactly (collating elements,
 * equivalence classes, GNU's buffer anchors, an escape grep does not define).
 */
export function posixToJs(p: string, extended: boolean): string | undefined {
  let out = '';
  /** at the start of an expression or group (where `*` is literal, and `^` an anchor in a basic one) */
  let atStart = true;
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    const start = atStart;
    atStart = false;
    if (c === '\\') {
      const n = p[i + 1];
      if (n === undefined) return undefined;
      i++;
      if (!extended && '(|'.includes(n)) {
        out += n;
        atStart = true;
      } else if (!extended && ')+?'.includes(n)) out += n;
      else if (!extended && n === '{') {
        const m = /^(\d*)(,(\d*))?\\\}/.exec(p.slice(i + 1));
        if (!m || (m[1] === '' && m[2] === undefined)) return undefined;
        out += `{${m[1] || '0'}${m[2] !== undefined ? `,${m[3]}` : ''}}`;
        i += m[0].length;
      } else if (n === '<') out += '\\b(?=\\w)';
      else if (n === '>') out += '\\b(?<=\\w)';
      else if ('bBwWsS'.includes(n)) out += `\\${n}`;
      else if (/[1-9]/.test(n)) out += `\\${n}`;
      else if (/[A-Za-z0-9`']/.test(n)) return undefined;
      else out += /[\\^$.|?*+()[\]{}/]/.test(n) ? `\\${n}` : n;
    } else if (c === '[') {
      let j = i + 1;
      let cls = '';
      if (p[j] === '^') {
        cls += '^';
        j++;
      }
      if (p[j] === ']') {
        cls += '\\]';
        j++;
      }
      for (; j < p.length && p[j] !== ']'; j++) {
        if (p[j] === '[' && (p[j + 1] === ':' || p[j + 1] === '.' || p[j + 1] === '=')) {
          const close = p.indexOf(`${p[j + 1]}]`, j + 2);
          if (close < 0) return undefined;
          const name = p.slice(j + 2, close);
          if (p[j + 1] !== ':' || !POSIX_CLASSES[name]) return undefined;
          cls += POSIX_CLASSES[name];
          j = close + 1;
        } else cls += p[j] === '\\' || p[j] === '[' ? `\\${p[j]}` : p[j];
      }
      if (j >= p.length) return undefined;
      out += `[${cls}]`;
      i = j;
    } else if (c === '*') out += start ? '\\*' : '*';
    else if (c === '^') {
      if (extended || start) {
        out += '^';
        atStart = true;
      } else out += '\\^';
    } else if (c === '$') {
      const rest = p.slice(i + 1);
      out += extended || rest === '' || rest.startsWith('\\)') || rest.startsWith('\\|') ? '$' : '\\$';
    } else if (extended && (c === '(' || c === '|')) {
      out += c;
      atStart = true;
    } else if (extended && c === ')') out += c;
    else if (extended && (c === '+' || c === '?')) out += start ? `\\${c}` : c;
    else if (extended && c === '{') {
      const m = /^\{(\d*)(,(\d*))?\}/.exec(p.slice(i));
      if (m && !(m[1] === '' && m[2] === undefined) && !start) {
        out += `{${m[1] || '0'}${m[2] !== undefined ? `,${m[3]}` : ''}}`;
        i += m[0].length - 1;
      } else out += '\\{';
    } else out += /[\\^$.|?*+()[\]{}/]/.test(c) && c !== '.' ? `\\${c}` : c;
  }
  return out;
}
