/**
 * A dockerd command line saved on its own: what people paste when they say how they start Docker
 * (moby/moby#32605: `docker daemon --ip-forward=true --iptables=true --ipv6 --fixed-cidr-v6="2001:db8:1::/64"`),
 * `dockerd --ipv6 --fixed-cidr-v6=...`, `$ sudo dockerd -D ...`, or docker.service's `ExecStart=` line
 * pasted alone, continued over several lines with `\`.
 *
 * It is read as docker.service's ExecStart would be (a DockerDaemonConfig of origin `unit` holding that one
 * line), so dockerdSettings (dockerd-flags.ts) combines it as it combines the unit files: the running
 * process's flags (ps) win over it, a real docker.service of the bundle (ranked by its path) too, and a
 * flag of it wins over daemon.json's key. It says how dockerd is started, not that it runs.
 *
 * The sniff is strict: the file's first line that is not a comment or blank must be the invocation
 * itself (after an optional shell prompt, sudo, env assignments), and only comments may follow its
 * continuation lines. A ps listing (header, PID columns), a log line mentioning dockerd, a pipeline or a
 * script using it are not it.
 */
import { SkipFile, excerpt as capped, lines, type SourceRef } from '../model/source.js';
import type { DockerDaemonConfig } from './docker-daemon.js';
import { dockerdArgs } from './dockerd-flags.js';

/** a shell prompt before the command: `$ `, `# `, `root@host:~# `, `[root@host ~]# `, `user@host:~$ ` */
const PROMPT = /^(?:\[[^\]\n]{1,80}\][$#]\s+|[\w.-]{1,64}@[\w.-]{1,64}:[^\s$#]{0,200}[$#]\s+|[$#]\s+)/;
/** what may stand before the executable: sudo (and its -E), env, nohup, exec, VAR=value assignments */
const WRAPPER = /^(?:sudo(?:\s+-[EHn]+)*|env|nohup|exec|[A-Za-z_][A-Za-z0-9_]*=\S*)$/;

/** The words of a command line as the shell reads them: quotes removed (`--fixed-cidr-v6="2001:db8:1::/64"` -> `--fixed-cidr-v6=2001:db8:1::/64`). */
export function shellWords(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let has = false;
  let q: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) {
      if (c === q) q = undefined;
      else if (c === '\\' && q === '"' && i + 1 < text.length && /["\\$`]/.test(text[i + 1])) cur += text[++i];
      else cur += c;
      continue;
    }
    if (c === '"' || c === "'") {
      q = c;
      has = true;
    } else if (c === '\\' && i + 1 < text.length) {
      cur += text[++i];
      has = true;
    } else if (/\s/.test(c)) {
      if (has) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (has) out.push(cur);
  return out;
}

interface Invocation {
  /** the command line from the executable on, its words joined by single spaces, quotes removed */
  commandLine: string;
  ref: SourceRef;
  excerpt: string;
}

/** The invocation a line starts (with its `\` continuations), or undefined where the line is no dockerd invocation. */
function invocationAt(ls: readonly string[], i: number, file: string): { inv: Invocation; end: number } | undefined {
  let text = ls[i].replace(/\r$/, '').trim();
  let end = i;
  while (/\\$/.test(text) && end + 1 < ls.length) {
    end++;
    text = text.replace(/\\$/, ' ') + ls[end].replace(/\r$/, '').trim();
  }
  let body = text.replace(/^ExecStart\s*=\s*[-@+!:]*/, '');
  body = body.replace(PROMPT, '');
  const words = shellWords(body);
  let k = 0;
  while (k < words.length - 1 && WRAPPER.test(words[k])) k++;
  const rest = words.slice(k);
  if (rest.length === 0 || !dockerdArgs(rest.join(' '))) return undefined;
  // a pipeline or a list after it: a script's line (`dockerd ... &`, `... | tee`), not how the daemon alone is started
  if (rest.some((w) => /^(?:\d?[<>]|&|\||;)|;$/.test(w))) return undefined;
  return { inv: { commandLine: rest.join(' '), ref: { file, line: i + 1 }, excerpt: capped(ls[i].trim()) }, end };
}

/** Comment and blank lines: `#` or `//` and prose; `# dockerd ...` / `# sudo dockerd ...` is root's prompt, not a comment. */
function isComment(l: string): boolean {
  const t = l.trim();
  if (t === '' || t.startsWith('//')) return true;
  return t.startsWith('#') && !/^#\s+(?:sudo\s+)?(?:\S*\/)?docker(?:d)?(?:-current)?(?:\s|$)/.test(t);
}

/** A file whose first line that is not a comment is a dockerd / `docker daemon` invocation, and which holds nothing else. */
export function sniffDockerdCmdline(head: string): boolean {
  const ls = head.split('\n');
  // the last line of a 4 KiB head may be cut
  const n = head.length >= 4000 ? ls.length - 1 : ls.length;
  let i = 0;
  while (i < n && isComment(ls[i])) i++;
  if (i >= n) return false;
  const first = invocationAt(ls.slice(0, n), i, 'head');
  if (!first) return false;
  for (let j = first.end + 1; j < n; j++) if (!isComment(ls[j])) return false;
  return true;
}

/**
 * The file's dockerd invocation as docker.service's ExecStart (origin `unit`): the last invocation of the
 * file wins (as the last ExecStart= of a unit does). Flags read by dockerd-flags.ts' parseDockerdFlags.
 */
export function parseDockerdCmdline(text: string, file: string, relPath = file): DockerDaemonConfig {
  const ls = lines(text);
  const found: Invocation[] = [];
  for (let i = 0; i < ls.length && i < 1000; i++) {
    if (isComment(ls[i])) continue;
    const at = invocationAt(ls, i, file);
    if (!at) continue;
    found.push(at.inv);
    i = at.end;
  }
  const last = found.at(-1);
  if (!last) throw new SkipFile(file, 'no dockerd / docker daemon command line');
  return {
    file,
    origin: 'unit',
    unit: { path: relPath, dropIn: false, execStart: [{ value: last.commandLine, ref: last.ref, excerpt: last.excerpt }], environment: {}, environmentFiles: [] },
  };
}
