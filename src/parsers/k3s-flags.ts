/**
 * k3s' own settings (its flags), each with the file and line it is written on, from the places a
 * bundle or a ticket shows them:
 *
 * - the install line: `curl -sfL https://get.k3s.io | INSTALL_K3S_CHANNEL=v1.22 sh -s - \` with the flags on
 *   the lines after it (k3s-io/k3s#4683), `INSTALL_K3S_EXEC="server --flannel-ipv6-masq"` before `sh`,
 *   `INSTALL_K3S_VERSION=v1.22.4+k3s1`; the words after `sh -s -` (or `sh -s`) are passed to k3s;
 * - /etc/rancher/k3s/config.yaml (and config.yaml.d/*.yaml): each top-level key is a flag's name without
 *   its dashes (`flannel-ipv6-masq: true`, `cluster-cidr: 10.42.0.0/16,fd42::/56`; a YAML list for the
 *   repeatable ones; `key+:` appends);
 * - k3s.service / k3s-agent.service: `ExecStart=/usr/local/bin/k3s \` then `server \`, then one quoted
 *   flag a line (`'--cluster-cidr=10.42.0.0/16,fd42::/56' \`), as the install script writes it;
 * - a command line or a ps row: `k3s server --cluster-cidr ...` (k3s usually replaces its process title
 *   with `k3s server`, so a ps row rarely shows a flag; ps files themselves are read by processes.ts).
 *
 * Read into one `K3sFlags` per file; k3sSettings() merges them the way k3s does: the command line
 * (a unit's ExecStart, the install line, a ps row) over the configuration file.
 * The cluster ranges alone (cluster-cidr, service-cidr) are also read by kube-cluster-config.ts'
 * parseK3sConfig into `kubeClusterRanges`; this reader keeps every key, for the checks that need the
 * others (flannel-backend, flannel-ipv6-masq).
 */
import { SkipFile, excerpt as capped, lines, type ParseWarning, type SourceRef } from '../model/source.js';

export type K3sFlagsOrigin = 'install' | 'config' | 'unit' | 'command';

export interface K3sFlag {
  /** without dashes: `cluster-cidr`, `flannel-ipv6-masq` */
  name: string;
  /** as written, quotes removed; a flag without a value (`--flannel-ipv6-masq`) is `true` */
  value: string;
  ref: SourceRef;
  excerpt: string;
}

export interface K3sFlags {
  file: string;
  origin: K3sFlagsOrigin;
  /** `server` or `agent` where the text says (install: agent when K3S_URL is given and no command is) */
  role?: 'server' | 'agent';
  /** the flags in the order written */
  flags: K3sFlag[];
  /** install line: INSTALL_K3S_VERSION, INSTALL_K3S_CHANNEL, K3S_URL and the other environment set for the script */
  installEnv?: K3sFlag[];
  warnings: ParseWarning[];
}

interface Word {
  text: string;
  line: number;
  lineText: string;
}

/** Flags of k3s that take no value (urfave/cli BoolFlags) among those a network check reads. */
const BOOLEAN = new Set([
  'flannel-ipv6-masq',
  'flannel-external-ip',
  'disable-network-policy',
  'disable-kube-proxy',
  'disable-cloud-controller',
  'disable-helm-controller',
  'cluster-init',
  'docker',
  'rootless',
  'prefer-bundled-bin',
  'embedded-registry',
  'secrets-encryption',
  'selinux',
  'protect-kernel-defaults',
  'debug',
]);

const CONFIG_FILE = /(^|\/)config\.ya?ml(\.d\/[^/]+\.ya?ml)?$|(^|\/)k3s[-_]config\.ya?ml$/;
const INSTALL = /get\.k3s\.io|(^|\/)(install|install-k3s|k3s-install)\.sh$/;
const PROMPT = /^(?:\S*[$#]\s+|\[[^\]]*\][$#]\s*)/;

/** Every k3s setting of the file: its install line, its unit's ExecStart, a k3s command line, or a config.yaml. */
export function parseK3sFlags(text: string, file: string): K3sFlags {
  const all = lines(text);
  const commands = parseCommands(all, file);
  if (commands) return commands;
  if (CONFIG_FILE.test(file) || sniffK3sConfigYaml(all.slice(0, 200).join('\n'))) return parseK3sConfigFlags(all, file);
  throw new SkipFile(file, 'no k3s install line, k3s ExecStart, k3s command line or k3s config.yaml');
}

/** The physical lines of the file grouped into commands (a trailing backslash continues one), with their words. */
function logicalCommands(all: string[]): Word[][] {
  const out: Word[][] = [];
  let cur: Word[] | undefined;
  for (let i = 0; i < all.length; i++) {
    const raw = all[i];
    const cont = /\\\s*$/.test(raw);
    const body = raw.replace(/\\\s*$/, '');
    const t = body.trim();
    const words = t === '' || t.startsWith('#') ? [] : shellWords(t.replace(/\s+#\s.*$/, '')).map((w) => ({ text: w, line: i + 1, lineText: raw.trim() }));
    if (!cur) cur = [];
    cur.push(...words);
    if (!cont) {
      if (cur.length > 0) out.push(cur);
      cur = undefined;
    }
  }
  if (cur && cur.length > 0) out.push(cur);
  return out;
}

function parseCommands(all: string[], file: string): K3sFlags | undefined {
  let found: K3sFlags | undefined;
  // `export INSTALL_K3S_EXEC="..."` lines: the environment a later install line (or `curl ... | sh -`) runs with
  const exported: Word[] = [];
  for (const cmd of logicalCommands(all)) {
    if (cmd[0]?.text === 'export') {
      exported.push(...cmd.slice(1).filter((w) => /^(INSTALL_K3S_|K3S_)[A-Z0-9_]*=/.test(w.text)));
      continue;
    }
    const r = installCommand([...exported, ...cmd], file) ?? unitCommand(cmd, file) ?? k3sCommand(cmd, file);
    // the last command of the file wins (a unit's last ExecStart=, a re-run install line)
    if (r) found = r;
  }
  // exported INSTALL_K3S_EXEC with no install line shown: still what the install script runs k3s with
  if (!found && exported.some((w) => w.text.startsWith('INSTALL_K3S_EXEC='))) found = installCommand([...exported, { text: 'install.sh', line: exported[0].line, lineText: exported[0].lineText }], file);
  return found;
}

/**
 * `curl -sfL https://get.k3s.io | [ENV=...] sh -s - [server|agent] [flags]`, or the script run directly
 * (`INSTALL_K3S_EXEC=server ./install-k3s.sh [flags]`); `INSTALL_K3S_EXEC="..."` words come first.
 */
function installCommand(cmd: Word[], file: string): K3sFlags | undefined {
  const script = cmd.findIndex((w) => INSTALL.test(w.text));
  if (script < 0) return undefined;
  const pipe = cmd.findIndex((w, j) => j > script && (w.text === '|' || w.text.endsWith('|')));
  const env: K3sFlag[] = [];
  const out: K3sFlags = { file, origin: 'install', flags: [], warnings: [] };
  const envOf = (w: Word) => {
    const a = /^([A-Z_][A-Z0-9_]*)=([\s\S]*)$/.exec(w.text);
    if (a) env.push({ name: a[1], value: a[2], ref: { file, line: w.line }, excerpt: capped(w.lineText) });
    return a !== null;
  };
  let i: number;
  if (pipe >= 0) {
    // curl ... | [sudo] [ENV=...] sh -s - args
    i = pipe + 1;
    for (; i < cmd.length; i++) if (!(cmd[i].text === 'sudo' || cmd[i].text === 'env' || cmd[i].text === '-E' || envOf(cmd[i]))) break;
    if (!cmd[i] || !/^(?:\S*\/)?(?:sh|bash|dash)$/.test(cmd[i].text)) return undefined;
    i++;
    while (i < cmd.length && /^-s$|^-$/.test(cmd[i].text)) i++;
  } else {
    // [sudo] [ENV=...] [sh] ./install.sh args: the environment before the script
    for (let j = 0; j < script; j++) envOf(cmd[j]);
    i = script + 1;
  }
  const words: Word[] = [];
  const exec = env.find((e) => e.name === 'INSTALL_K3S_EXEC');
  if (exec) for (const part of shellWords(exec.value)) words.push({ text: part, line: exec.ref.line, lineText: exec.excerpt });
  words.push(...cmd.slice(i));
  readArgs(words, out, file);
  if (!out.role) out.role = env.some((e) => e.name === 'K3S_URL' && e.value !== '') ? 'agent' : 'server';
  if (env.length > 0) out.installEnv = env;
  return out;
}

/** `ExecStart=/usr/local/bin/k3s server ...` (continuation lines joined) */
function unitCommand(cmd: Word[], file: string): K3sFlags | undefined {
  const first = cmd[0];
  if (!first) return undefined;
  const m = /^ExecStart\s*=\s*[-@+!:]*(\S*)$/.exec(first.text);
  if (!m) return undefined;
  const exe = m[1] !== '' ? m[1] : cmd[1]?.text ?? '';
  if (!/(^|\/)k3s$/.test(exe)) return undefined;
  const rest = cmd.slice(m[1] !== '' ? 1 : 2);
  const out: K3sFlags = { file, origin: 'unit', flags: [], warnings: [] };
  readArgs(rest, out, file);
  return out;
}

/** `k3s server --flag ...`: a pasted command (after a prompt), a ps row (the k3s word found in it). */
function k3sCommand(cmd: Word[], file: string): K3sFlags | undefined {
  const at = cmd.findIndex((w, j) => (/(^|\/)k3s$/.test(w.text.replace(PROMPT, '')) && /^(server|agent)$/.test(cmd[j + 1]?.text ?? '')) || /(^|\/)k3s-(server|agent)$/.test(w.text));
  if (at < 0) return undefined;
  const out: K3sFlags = { file, origin: 'command', flags: [], warnings: [] };
  readArgs(cmd.slice(/-(server|agent)$/.test(cmd[at].text) ? at : at + 1), out, file);
  if (!out.role) {
    const comm = /-(server|agent)$/.exec(cmd[at].text);
    if (comm) out.role = comm[1] as 'server' | 'agent';
  }
  return out;
}

/** [server|agent] then flags: `--name=value`, `--name value`, `--bool`. */
function readArgs(words: Word[], out: K3sFlags, file: string): void {
  let i = 0;
  if (words[0] && /^(server|agent)$/.test(words[0].text)) {
    out.role = words[0].text as 'server' | 'agent';
    i = 1;
  }
  for (; i < words.length; i++) {
    const w = words[i];
    const m = /^--?([A-Za-z][\w.-]*)(?:=([\s\S]*))?$/.exec(w.text);
    if (!m) continue;
    const ref = { file, line: w.line };
    if (m[2] !== undefined) out.flags.push({ name: m[1], value: unquote(m[2]), ref, excerpt: capped(w.lineText) });
    else if (!BOOLEAN.has(m[1]) && words[i + 1] !== undefined && !words[i + 1].text.startsWith('-')) {
      const v = words[++i];
      out.flags.push({ name: m[1], value: unquote(v.text), ref, excerpt: capped(w.line === v.line ? w.lineText : `${w.lineText} ${v.lineText}`) });
    } else out.flags.push({ name: m[1], value: 'true', ref, excerpt: capped(w.lineText) });
  }
}

/**
 * A command line's words as a shell splits them: quotes ('...', "..." with backslash escapes) may sit
 * inside a word (`INSTALL_K3S_EXEC="--a --b"`, `--node-ip="a,b"`) and are removed; `|` stands alone.
 */
export function shellWords(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      cur += end < 0 ? line.slice(i + 1) : line.slice(i + 1, end);
      i = end < 0 ? line.length : end;
      inWord = true;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === '\\' && j + 1 < line.length) j++;
        cur += line[j];
      }
      i = j;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      inWord = true;
    } else if (/\s/.test(c) || c === '|') {
      if (inWord) out.push(cur);
      if (c === '|') out.push('|');
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) out.push(cur);
  return out;
}

function unquote(v: string): string {
  return v.trim().replace(/^"([\s\S]*)"$|^'([\s\S]*)'$/, (_, a: string | undefined, b: string | undefined) => a ?? b ?? '');
}

// ---- config.yaml ----------------------------------------------------------------------------------

const CONFIG_KEY = /^"?([a-z][a-z0-9-]*)(\+)?"?\s*:\s*(.*)$/;

/** A k3s config.yaml by its content: top-level keys, at least one of them a k3s-only one. */
export function sniffK3sConfigYaml(head: string): boolean {
  if (/^\s*(apiVersion|kind)\s*:/m.test(head)) return false;
  return /^"?(cluster-cidr|service-cidr|flannel-backend|flannel-ipv6-masq|disable-network-policy|write-kubeconfig-mode|node-ip|tls-san|cluster-init|disable-kube-proxy)"?\s*:/m.test(head);
}

function parseK3sConfigFlags(all: string[], file: string): K3sFlags {
  const out: K3sFlags = { file, origin: 'config', flags: [], warnings: [] };
  for (let i = 0; i < all.length; i++) {
    const l = all[i];
    const m = CONFIG_KEY.exec(l);
    if (!m) continue;
    const name = m[1];
    const v = m[3].replace(/\s+#.*$/, '').trim();
    const ref = { file, line: i + 1 };
    if (v.startsWith('[')) {
      for (const item of v.replace(/^\[|\]$/g, '').split(',')) if (item.trim() !== '') out.flags.push({ name, value: unquote(item), ref, excerpt: capped(l.trim()) });
      continue;
    }
    if (v !== '') {
      out.flags.push({ name, value: unquote(v), ref, excerpt: capped(l.trim()) });
      continue;
    }
    let items = 0;
    for (let j = i + 1; j < all.length; j++) {
      const item = /^\s*-\s*(\S.*)$/.exec(all[j]);
      if (!item) break;
      items++;
      out.flags.push({ name, value: unquote(item[1].replace(/\s+#.*$/, '')), ref: { file, line: j + 1 }, excerpt: capped(all[j].trim()) });
    }
    if (items === 0) out.warnings.push({ file, line: i + 1, message: `${name}: no value` });
  }
  if (out.flags.length === 0) throw new SkipFile(file, 'no k3s setting in the config file');
  return out;
}

// ---- merged view ----------------------------------------------------------------------------------

/** A setting as k3s uses it: the value and where it is written. */
export interface K3sSetting {
  name: string;
  value: string;
  origin: K3sFlagsOrigin;
  ref: SourceRef;
  excerpt: string;
}

const RANK: Record<K3sFlagsOrigin, number> = { config: 0, install: 1, unit: 2, command: 3 };

/**
 * One setting of the node's k3s: the command line over the configuration file (k3s applies the
 * config file's values first and the command line's over them); among command lines the running
 * process' over the unit's over the install line's (the unit is what the install line wrote, the
 * process what the unit started). Within a source the last value wins. A comma-joined value
 * (cluster-cidr) is returned as written.
 */
export function k3sSetting(list: readonly K3sFlags[] | undefined, name: string): K3sSetting | undefined {
  let best: K3sSetting | undefined;
  for (const f of [...(list ?? [])].sort((a, b) => RANK[a.origin] - RANK[b.origin] || configOrder(a, b))) {
    for (const x of f.flags) if (x.name === name) best = { name, value: x.value, origin: f.origin, ref: x.ref, excerpt: x.excerpt };
  }
  return best;
}

/**
 * The order k3s reads its configuration files in: config.yaml, then the drop-ins config.yaml.d/*.yaml in
 * alphabetical order, a later file's key replacing an earlier one's (docs.k3s.io/installation/configuration,
 * "Multiple Config Files"; `key+:` appends to a list instead). Files of no such place keep their order.
 */
function configOrder(a: K3sFlags, b: K3sFlags): number {
  if (a.origin !== 'config' || b.origin !== 'config') return 0;
  const drop = (f: K3sFlags) => /(?:^|\/)config\.ya?ml\.d\/([^/]+)$/.exec(f.file)?.[1];
  const da = drop(a);
  const db = drop(b);
  if (da === undefined && db === undefined) return 0;
  if (da === undefined) return -1;
  if (db === undefined) return 1;
  return da < db ? -1 : da > db ? 1 : 0;
}

/** A boolean setting: true, false, or undefined where it is not written (or not a boolean). */
export function k3sBool(s: K3sSetting | undefined): boolean | undefined {
  if (!s) return undefined;
  if (/^(1|t|true|yes|on)$/i.test(s.value)) return true;
  if (/^(0|f|false|no|off)$/i.test(s.value)) return false;
  return undefined;
}

/** INSTALL_K3S_VERSION of an install line, where one is given: the release the script installed. */
export function k3sInstallVersion(list: readonly K3sFlags[] | undefined): K3sFlag | undefined {
  for (const f of list ?? []) {
    const v = f.installEnv?.find((e) => e.name === 'INSTALL_K3S_VERSION' && e.value !== '');
    if (v) return v;
  }
  return undefined;
}

// ---- recognising the text -------------------------------------------------------------------------

/**
 * k3s flags by content: an install line (`get.k3s.io ... | sh`, an `INSTALL_K3S_EXEC=` export), an
 * `ExecStart=` running k3s, or a `k3s server|agent` command line with a flag. A ps listing is not
 * one (ps files are read by processes.ts; try this after the ps sniffer), nor a config.yaml (named by
 * its path: /etc/rancher/k3s/config.yaml).
 */
export function sniffK3sFlags(head: string): boolean {
  const ls = head.split('\n').slice(0, 200);
  return ls.some(
    (l) =>
      (/get\.k3s\.io/.test(l) && /\|\s*(?:sudo\s+)?(?:\S+=\S*\s+)*(?:\S*\/)?(?:sh|bash)\b/.test(l)) ||
      /^\s*export\s+INSTALL_K3S_EXEC=/.test(l) ||
      /^\s*ExecStart\s*=\s*[-@+!:]*\S*\/k3s(\s|\\?$)/.test(l) ||
      /(?:^|[\s/])k3s\s+(?:server|agent)\s+--[a-z]/.test(l),
  );
}

/**
 * The flags of a k3s config.yaml, or undefined where the text holds none: for a reader of the file
 * that yields another kind (kube-cluster-config.ts' ranges) to carry them along as `k3sFlags`.
 */
export function k3sConfigFlags(text: string, file: string): K3sFlags | undefined {
  try {
    return parseK3sConfigFlags(lines(text), file);
  } catch (e) {
    if (e instanceof SkipFile) return undefined;
    throw e;
  }
}

/** The k3sFlags a kube-cluster-config.ts artifact carries (registry: the k3s-config format adds them). */
export function carriedK3sFlags(x: object): K3sFlags | undefined {
  const f = (x as { k3sFlags?: unknown }).k3sFlags;
  return f && typeof f === 'object' && Array.isArray((f as K3sFlags).flags) ? (f as K3sFlags) : undefined;
}
