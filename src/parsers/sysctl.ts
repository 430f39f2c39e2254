/**
 * Kernel parameters in every form bundles carry them: `sysctl -a` text, troubleshoot's
 * in-cluster `sysctl/<node>` lines keyed by /proc path, single /proc/sys files, troubleshoot's
 * host `sysctl.json`, and the configuration files that set values at boot.
 */
import { ParseError, SkipFile, lines, type SourceRef } from '../model/source.js';

export interface SysctlValue {
  /** dotted form: net.ipv4.ip_forward */
  key: string;
  value: string;
  ref: SourceRef;
  excerpt: string;
  /** set where the value is a typed assignment (`sysctl -w key=value`), not sysctl's own output */
  typed?: true;
}

/** Runtime values read from one file. */
export interface SysctlRuntime {
  file: string;
  values: Map<string, SysctlValue>;
}

/** Settings a configuration file applies at boot or on `sysctl --system`. */
export interface SysctlConfigFile {
  file: string;
  entries: SysctlValue[];
}

/**
 * `/proc/sys/net/ipv4/ip_forward` or `net/ipv4/ip_forward` -> `net.ipv4.ip_forward`. As in
 * sysctl(8), the first separator says the form: in the slash form a dot belongs to a name
 * (`net/ipv4/conf/flannel.1/forwarding`), in the dot form a slash stands for one
 * (`net.ipv4.conf.flannel/1.forwarding`, as `sysctl -a` prints it); both give the dot form.
 */
export function normalizeSysctlKey(key: string): string {
  let k = key.trim();
  k = k.replace(/^\/?proc\/sys\//, '');
  const slash = k.indexOf('/');
  const dot = k.indexOf('.');
  if (slash >= 0 && (dot < 0 || slash < dot)) k = k.replace(/\./g, '\u0000').replace(/\//g, '.').replace(/\u0000/g, '/');
  return k;
}

const LINE = /^\s*([-]?)([A-Za-z0-9_./:@-]+?)\s*=\s*(.*?)\s*$/;
/**
 * A sysctl.d line: systemd-sysctl also takes globs in the key (`net.ipv4.conf.*.rp_filter = 2`,
 * `-net.ipv4.conf.lxc*.rp_filter = 0`), applied to every matching key and to interfaces created later.
 * Glob keys never equal an exact key: analyzers that look one up are not affected.
 */
const CONFIG_LINE = /^\s*([-]?)([A-Za-z0-9_./:@*?[\]!-]+?)\s*=\s*(.*?)\s*$/;
const MAX_LINE = 8192;
/** `net.ipv4.ip_forward=1`, `net/ipv4/ip_forward=1`, `net.ipv4.ip_local_port_range="1024 65000"` (a kernel parameter's namespaces only) */
const SYSCTL_ASSIGNMENT = String.raw`(?:net|kernel|vm|fs|dev|user|abi|debug|sunrpc|crypto)[./][\w./@:+-]*=(?:"[^"\n]{0,200}"|'[^'\n]{0,200}'|[^\s"'#]{0,200})`;

/**
 * `sysctl -a` output, or troubleshoot's `/proc/sys/... = v` lines; and the ways people paste /proc/sys
 * values by hand (see PROC_SYS_LISTING): `path : v` / `path:v` lines, `cat <path>` or `sysctl -n <key>`
 * after a prompt with the value on the next line, `==> <path> <==` headers of head/tail with the value below.
 */
export function parseSysctlText(text: string, file: string): SysctlRuntime {
  const values = new Map<string, SysctlValue>();
  let bad = 0;
  const all = lines(text);
  /** a `cat` / `sysctl -n` prompt or a head header whose values are the next lines, one per key in order */
  let pending: { keys: string[]; shown: string } | undefined;
  /** index of the last typed `sysctl -w key=value` line: an error sysctl prints under it undoes its value */
  let typedAt = -1;
  /** what each typed assignment replaced (undone when sysctl refuses it) */
  const replaced = new Map<string, SysctlValue | undefined>();
  for (let i = 0; i < all.length; i++) {
    const raw = all[i];
    if (raw.length > MAX_LINE) continue;
    const listed = listingLine(raw);
    if (listed) {
      pending = undefined;
      if ('value' in listed) values.set(listed.key, { key: listed.key, value: listed.value, ref: { file, line: i + 1 }, excerpt: raw.trim() });
      else pending = listed;
      continue;
    }
    if (raw.trim() === '') continue;
    if (pending) {
      const p = pending;
      // `cat a b` where b is missing prints cat's error for b among the values (stderr and stdout in one
      // terminal): that key has no value, the others keep their order
      const gone = missingPath(raw, p.keys);
      if (gone >= 0) {
        p.keys.splice(gone, 1);
        if (p.keys.length === 0) pending = undefined;
        continue;
      }
      const value = valueLine(raw);
      const key = p.keys.shift()!;
      if (value === undefined || p.keys.length === 0) pending = undefined;
      if (value !== undefined) {
        values.set(key, { key, value, ref: { file, line: i + 1 }, excerpt: `${p.shown} → ${value}` });
        continue;
      }
    }
    const assigned = typedAssignments(raw);
    if (assigned) {
      for (const a of assigned) {
        replaced.set(a.key, values.get(a.key));
        values.set(a.key, { key: a.key, value: a.value, ref: { file, line: i + 1 }, excerpt: raw.trim(), typed: true });
      }
      typedAt = i;
      continue;
    }
    if (typedAt >= 0 && /^sysctl:\s/i.test(raw.trim())) {
      // `sysctl: permission denied on key "k"`, `sysctl: setting key "k": Operation not permitted`, `sysctl: cannot
      // stat /proc/sys/...`: the assignment typed above did not take effect
      // (procps-ng 4: `sysctl: setting key "k", ignoring: Read-only file system`, a comma after the key; exit status 0)
      const k = /(?:key\s+["'‘“]?|\/proc\/sys\/)([\w./@+-]+?)["'’”]?(?::|,|\s|$)/.exec(raw.trim());
      const key = k ? normalizeSysctlKey(k[1]) : undefined;
      // the value the typed line replaced (a read-back above it) stands again
      const undo = (k2: string) => {
        const before = replaced.get(k2);
        if (before) values.set(k2, before);
        else values.delete(k2);
      };
      const fromTyped = (v: SysctlValue | undefined) => !!v?.typed && v.ref.line === typedAt + 1;
      if (key) {
        if (fromTyped(values.get(key))) undo(key);
      } else for (const [k2, v] of [...values]) if (fromTyped(v)) undo(k2); // an error naming no key: the typed line failed
      bad++;
      continue;
    }
    if (raw.startsWith('#')) continue;
    const m = LINE.exec(raw);
    if (!m || m[1] === '-') {
      // sysctl -a prints "sysctl: permission denied on key ..." lines among values
      bad++;
      continue;
    }
    const key = normalizeSysctlKey(m[2]);
    values.set(key, { key, value: m[3], ref: { file, line: i + 1 }, excerpt: raw.trim() });
  }
  if (values.size === 0) {
    if (bad > 0 && all.length > 0) throw new SkipFile(file, 'no key = value lines');
    throw new SkipFile(file, 'empty');
  }
  return { file, values };
}

/**
 * A typed assignment, at a prompt or alone on a line: `sysctl net.ipv4.ip_unprivileged_port_start=53`
 * (containers/netavark#1470), `sysctl -w net.ipv4.ip_forward=1`, `$ sudo sysctl -w k=v k2=v2`,
 * `[root@n1 ~]# /sbin/sysctl -q -w k="1024 65000"`. sysctl(8) sets each `key=value` it is given (-w is kept for
 * compatibility), so the value is the runtime one from then on; `sysctl -p` / `--system` (files) and reads
 * (`sysctl key`, no `=`) are not assignments.
 */
const TYPED = new RegExp(
  String.raw`^\s*(?:(?:\[[^\]]*\]|[\w.-]+@[\w.-]+(?::\S*)?(?:\s+\S+)?)\s*[#$%>]\s*|[#$%>]\s*)?(?:sudo\s+(?:-[A-Za-z]\s+)*)?(?:\/usr)?(?:\/s?bin\/)?sysctl((?:\s+(?:-[wq]{1,2}|--write|--quiet))*)\s+(${SYSCTL_ASSIGNMENT}(?:\s+${SYSCTL_ASSIGNMENT})*)\s*(?:\s#.*)?$`,
);

/** Key/value pairs of a typed `sysctl [-w] key=value ...` line; undefined for any other line. */
export function typedAssignments(raw: string): { key: string; value: string }[] | undefined {
  const l = raw.replace(/\r$/, '');
  if (l.length > 2048) return undefined;
  const m = TYPED.exec(l);
  if (!m) return undefined;
  const out: { key: string; value: string }[] = [];
  for (const a of m[2].matchAll(new RegExp(SYSCTL_ASSIGNMENT, 'g'))) {
    const eq = a[0].indexOf('=');
    const value = a[0].slice(eq + 1).replace(/^"(.*)"$|^'(.*)'$/, (_x, d?: string, q?: string) => d ?? q ?? '');
    out.push({ key: normalizeSysctlKey(a[0].slice(0, eq)), value: value.trim() });
  }
  return out.length > 0 ? out : undefined;
}

/** A /proc/sys path as people paste it (no globs, no spaces); `(?!\/)` keeps `cat /proc/sys/net/` (a folder) out. */
const PROC_PATH = String.raw`\/proc\/sys\/(?:net|kernel|vm|fs|dev|user|abi|debug|sunrpc|crypto)\/[\w.@+-]+(?:\/[\w.@+-]+)*`;
/** `for f in /proc/sys/...; do echo -n $f ": "; cat $f; done` -> `path : v`; `grep . /proc/sys/...` -> `path:v` */
const LISTED = new RegExp(`^\\s*(${PROC_PATH})\\s*:\\s?(.*?)\\s*$`);
/**
 * `core@host ~ $ cat /proc/sys/net/ipv4/ip_forward`, `# cat ...`, `$ sudo cat ...`, `[root@n1 ~]# sysctl -n net.ipv4.ip_forward`;
 * several files or keys in one command print one value per line, in the order given
 */
const SYSCTL_N_KEY = String.raw`(?:net|kernel|vm|fs)[./][\w./@+-]+`;
const PROMPTED = new RegExp(`^(?:.*?[#$%>]\\s*)?(?:sudo\\s+)?(?:cat\\s+(${PROC_PATH}(?:\\s+${PROC_PATH})*)|sysctl\\s+-n\\s+(${SYSCTL_N_KEY}(?:\\s+${SYSCTL_N_KEY})*))\\s*$`);
/** head / tail of several files: `==> /proc/sys/net/bridge/bridge-nf-call-iptables <==` */
const HEADER = new RegExp(`^==> (${PROC_PATH}) <==\\s*$`);
/** what a /proc/sys file or a command prints instead of a value */
const NOT_A_VALUE = /^(?:cat|head|tail|grep|sysctl|sh|bash|-?bash|zsh):\s|no such file|permission denied|not permitted|cannot (?:open|stat|access)|invalid argument/i;

/** a shell prompt at the start of a line: `root@h:~# `, `core@host ~ $ `, `[root@n1 ~]# `, a bare `# ` or `$ ` */
const SHELL_PROMPT = /^(?:\[[^\]]*\]|[\w.-]+@[\w.-]+(?::\S*)?(?:\s+\S+)?)\s*[#$%>](?:\s|$)|^[#$]\s/;

type Listed = { key: string; value: string } | { keys: string[]; shown: string };

/** One line of a pasted /proc/sys listing: a value with its path, or a command / header whose value follows. */
function listingLine(raw: string): Listed | undefined {
  const l = raw.replace(/\r$/, '');
  if (l.length > 1024) return undefined;
  const m = LISTED.exec(l);
  if (m) {
    const value = m[2];
    if (value === '' || NOT_A_VALUE.test(value)) return undefined;
    return { key: normalizeSysctlKey(m[1]), value };
  }
  const h = HEADER.exec(l);
  if (h) return { keys: [normalizeSysctlKey(h[1])], shown: h[0].trim() };
  const p = PROMPTED.exec(l);
  if (p) return { keys: (p[1] ?? p[2]).split(/\s+/).map(normalizeSysctlKey), shown: l.trim() };
  return undefined;
}

/** Which of the awaited keys an error line (`cat: /proc/sys/...: No such file or directory`, `sysctl: cannot stat ...`) is about; -1: none. */
function missingPath(raw: string, keys: readonly string[]): number {
  if (!NOT_A_VALUE.test(raw)) return -1;
  const m = /(\/proc\/sys\/[\w.@+/-]+|\b(?:net|kernel|vm|fs)\.[\w.@+-]+)/.exec(raw);
  return m ? keys.indexOf(normalizeSysctlKey(m[1].replace(/[:.]+$/, ''))) : -1;
}

/** The line after a `cat` / header: the value, unless it is an error, a prompt, or another record. */
function valueLine(raw: string): string | undefined {
  const v = raw.replace(/\r$/, '').trim();
  if (v === '' || v.length > 512 || NOT_A_VALUE.test(v) || LINE.test(v) || /^==> /.test(v) || SHELL_PROMPT.test(v)) return undefined;
  return v;
}

/**
 * Content test for a pasted /proc/sys listing (a terminal paste, a ticket attachment): lines that name a
 * /proc/sys path with its value in one of the forms parseSysctlText reads. Two such records, or one and
 * nothing else; error lines (`cat: ...: No such file or directory`) and prompts do not count against it.
 */
export function sniffProcSysListing(head: string): boolean {
  const all = head.split('\n', 200);
  // the sniffers see a file's first bytes: a last line without its newline may be cut short
  if (all.length > 1 && !head.endsWith('\n')) all.pop();
  let records = 0;
  let other = 0;
  /** values still awaited after a `cat a b` / `sysctl -n k1 k2` prompt */
  let pending = 0;
  // `$ sysctl net.netfilter.nf_conntrack_max net.netfilter.nf_conntrack_count` and its `key = value` lines, in a
  // terminal paste that goes on with other commands (R11 p17)
  let afterSysctl = false;
  for (const raw of all) {
    if (raw.trim() === '') continue;
    if (PROMPT.test(raw)) {
      afterSysctl = true;
      continue;
    }
    if (afterSysctl && SYSCTL_KEY.test(raw)) {
      records++;
      continue;
    }
    afterSysctl = false;
    const listed = listingLine(raw);
    if (listed) {
      if ('value' in listed) records++;
      pending = 'value' in listed ? 0 : listed.keys.length;
      continue;
    }
    if (pending > 0) {
      pending--;
      if (NOT_A_VALUE.test(raw)) continue;
      if (valueLine(raw) !== undefined) {
        records++;
        continue;
      }
    }
    other++;
  }
  return records >= 2 || (records === 1 && other === 0);
}

/** One `/proc/sys/...` file copied into the bundle: the value is its content. */
export function parseProcSysFile(text: string, file: string, procPath: string): SysctlRuntime {
  const content = text.replace(/\s+$/, '');
  if (content.length > MAX_LINE || content.includes('\n')) {
    // Multi-valued entries (e.g. ip_local_port_range is one line; tables are not): keep the first line.
    const first = content.split('\n')[0];
    return single(procPath, first, file);
  }
  return single(procPath, content, file);
}

function single(procPath: string, value: string, file: string): SysctlRuntime {
  const key = normalizeSysctlKey(procPath);
  return { file, values: new Map([[key, { key, value: value.trim(), ref: { file, line: 1 }, excerpt: value.trim() }]]) };
}

/** troubleshoot `host-collectors/system/sysctl.json`: a flat map of key to value. */
export function parseSysctlJson(text: string, file: string): SysctlRuntime {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ParseError(`not valid JSON (${(err as Error).message})`, file);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new ParseError('expected a JSON object of sysctl keys', file);
  const values = new Map<string, SysctlValue>();
  const fileLines = lines(text);
  // Line numbers: find each key's line once; pretty-printed JSON has one key per line.
  const lineOf = new Map<string, number>();
  for (let i = 0; i < fileLines.length; i++) {
    const m = /^\s*"([^"]+)"\s*:/.exec(fileLines[i]);
    if (m && !lineOf.has(m[1])) lineOf.set(m[1], i + 1);
  }
  for (const [rawKey, v] of Object.entries(data as Record<string, unknown>)) {
    if (v === null || typeof v === 'object') continue;
    const key = normalizeSysctlKey(rawKey);
    const line = lineOf.get(rawKey) ?? 1;
    const value = String(v).trim();
    values.set(key, { key, value, ref: { file, line }, excerpt: `"${rawKey}": ${JSON.stringify(v)}` });
  }
  if (values.size === 0) throw new SkipFile(file, 'no sysctl values');
  return { file, values };
}

/** /etc/sysctl.conf, /etc/sysctl.d/*.conf, /usr/lib/sysctl.d/*.conf. */
export function parseSysctlConfig(text: string, file: string): SysctlConfigFile {
  const entries: SysctlValue[] = [];
  const all = lines(text);
  for (let i = 0; i < all.length; i++) {
    const raw = all[i];
    const t = raw.trim();
    if (t === '' || t.startsWith('#') || t.startsWith(';') || t.length > MAX_LINE) continue;
    const m = CONFIG_LINE.exec(t);
    if (!m) continue;
    const key = normalizeSysctlKey(m[2]);
    entries.push({ key, value: m[3], ref: { file, line: i + 1 }, excerpt: t });
  }
  return { file, entries };
}

const SYSCTL_KEY = /^(\/proc\/sys\/)?(net|kernel|vm|fs|dev|user|abi|debug|sunrpc|crypto)[./][\w./-]+\s*=\s*\S*/;
const COMMENT = /^\s*[#;]/;
/** A pasted shell prompt running sysctl (`# sysctl net.ipv4.ip_forward`, `[root@n1 ~]# sysctl -a | grep forward`): not a comment. */
const PROMPT = /^\s*(\[[^\]]*\][#$]|[\w@.:~/-]*[#$])\s*(sudo\s+)?sysctl(\s+-[A-Za-z]+)*(\s+[a-z]+[./][\w./*-]+)*\s*(\|.*)?$/;

/**
 * Cheap content test for hand-made bundles: `sysctl -a` (or `sysctl <key>`) output. Several
 * `a.b.c = v` lines, or a short file of nothing else: a customer asked for
 * `sysctl net.ipv4.ip_forward` sends one line, maybe after the prompt. sysctl never prints a comment (`#`, `;`): text with
 * one is a configuration file (sniffSysctlConfig), unless most of it is values, as only
 * `sysctl -a` prints them (a dump with a note on top).
 */
export function sniffSysctlText(head: string): boolean {
  let hits = 0;
  let other = 0;
  let comments = 0;
  const all = head.split('\n', 40);
  for (const raw of all) {
    const l = raw.replace(/\r$/, '');
    if (l.trim() === '' || PROMPT.test(l)) continue;
    if (typedAssignments(l)) hits++;
    else if (COMMENT.test(l)) comments++;
    else if (SYSCTL_KEY.test(l)) hits++;
    // sysctl's own complaint (`sysctl: permission denied on key ...`): its output, neither a value nor foreign text
    else if (/^sysctl:\s/.test(l)) continue;
    else other++;
  }
  if (comments > 0) return hits >= DUMP_LINES;
  return hits >= 3 || (hits > 0 && other === 0);
}

/** Value lines among the first 40 that only a `sysctl -a` dump has; a configuration file sets a few keys between comments. */
const DUMP_LINES = 30;

/**
 * A sysctl configuration file by content: only comments, blank lines and `key = value` lines
 * (sysctl.d allows a leading `-` and globs), at least one of them a kernel parameter. For files
 * whose name says configuration (`*.conf`); a head cut mid-line does not count against it.
 */
export function sniffSysctlConfig(head: string): boolean {
  const all = head.split('\n');
  // the sniffers see a file's first bytes: a last line without its newline may be cut short
  if (all.length > 1 && !head.endsWith('\n')) all.pop();
  let hits = 0;
  for (const raw of all) {
    const l = raw.replace(/\r$/, '').trim();
    if (l === '' || COMMENT.test(l)) continue;
    if (!SYSCTL_KEY.test(l.replace(/^-/, '').replace(/\*/g, 'x'))) return false;
    hits++;
  }
  return hits > 0;
}

/**
 * Configuration files in the order `sysctl --system` (and systemd-sysctl) applies them: by base name
 * across the sysctl.d folders (compared as bytes, as they sort them), a base name in /etc overriding
 * /run overriding /usr/lib, `/etc/sysctl.conf` last.
 */
export function orderedConfig<T extends { file: string }>(files: readonly T[]): T[] {
  return [...files].sort((a, b) => {
    const ra = configRank(a.file);
    const rb = configRank(b.file);
    return ra < rb ? -1 : ra > rb ? 1 : 0;
  });
}

/** The value a set of configuration files leaves in force after `sysctl --system`: the last setting of a key wins. */
export function effectiveConfig(files: SysctlConfigFile[], key: string): SysctlValue | undefined {
  let found: SysctlValue | undefined;
  for (const f of orderedConfig(files)) for (const e of f.entries) if (e.key === key) found = e;
  return found;
}

function configRank(file: string): string {
  const base = file.slice(file.lastIndexOf('/') + 1);
  if (base === 'sysctl.conf' && !/sysctl\.d\//.test(file)) return '\uffff';
  // Same base name in several folders: /etc overrides /run overrides /usr/lib.
  const dirRank = /(^|\/)etc\/sysctl\.d\//.test(file) ? '2' : /(^|\/)run\/sysctl\.d\//.test(file) ? '1' : '0';
  return base + '\u0000' + dirRank;
}

/** The runtime value of a key across the node's runtime sources, preferring the first found. */
export function runtimeValue(sources: SysctlRuntime[], key: string): SysctlValue[] {
  const out: SysctlValue[] = [];
  for (const s of sources) {
    const v = s.values.get(key);
    if (v) out.push(v);
  }
  // a value read back (sysctl -a, /proc) before one typed at a prompt: the typed command may be a fix tried after
  // the dump, or may have failed without its error pasted; the dump is what the kernel said
  return out.filter((v) => !v.typed).concat(out.filter((v) => v.typed));
}
