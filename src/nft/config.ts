/**
 * A saved nftables configuration: the file nftables.service loads (/etc/nftables.conf on
 * Debian/Ubuntu and Arch, /etc/sysconfig/nftables.conf on RHEL/Fedora) and the files it includes
 * (RHEL's samples in /etc/nftables/). Never live rules: what the host *would* load at the next
 * start or reload. Only the top-level statements that say what a load does to the rest of the
 * ruleset are kept, each with its line: `flush ruleset`, the tables it declares (a `table` block,
 * `add table`, the table of an `add chain` / `add rule`), the tables it resets (`flush`, `delete`,
 * `destroy table`) and its `include`s. The tables' chains and rules are parsed too (`ruleset`), for
 * what the service *would* load where the bundle has no live listing: never taken for the live
 * rules, which only `nft list ruleset` shows.
 */
import { SkipFile, lines as splitLines, type ParseWarning, type SourceRef } from '../model/source.js';
import { NFT_FAMILIES, type NftFamily, type NftRuleset } from './model.js';
import { parseNftText } from './parse-text.js';

export type NftConfigStatementKind = 'flush-ruleset' | 'table' | 'flush-table' | 'delete-table' | 'destroy-table' | 'include';

export interface NftConfigStatement {
  kind: NftConfigStatementKind;
  /** `flush ruleset ip`: that family only (absent: every family); a table's family (`ip` when the file names none) */
  family?: NftFamily;
  /** the table of table statements */
  table?: string;
  /** `include "path"`: the path as written */
  path?: string;
  ref: SourceRef;
  /** the statement's first line as written */
  excerpt: string;
}

export interface NftablesConfig {
  /** the file in the bundle */
  file: string;
  /** the path on the host this copy is of (/etc/nftables.conf, /etc/sysconfig/nftables.conf, /etc/nftables/main.nft) */
  hostPath: string;
  /** true when the bundle's path does not say which file it is (a bare `nftables.conf`): hostPath is a guess from its content */
  hostPathGuessed?: boolean;
  statements: NftConfigStatement[];
  /**
   * the tables, chains and rules this file declares, parsed as a listing is (`define`d variables of
   * this file put in place; an unresolved `$name` is left as written); absent when it declares none.
   * What nftables.service would load, never the live rules.
   */
  ruleset?: NftRuleset;
  warnings: ParseWarning[];
}

const FAMILIES = new Set<string>(NFT_FAMILIES);
/** RHEL's stock /etc/sysconfig/nftables.conf says where its samples are */
const RHEL_SYSCONFIG = /include\s+"\/etc\/nftables\/|in \/etc\/nftables for nftables service/;

/**
 * The host path a bundle path is a copy of: `.../etc/<path>` as it is; a collector's copy without
 * the etc/ prefix (`sysconfig/nftables.conf`, `nftables/main.nft`, a bare `nftables.conf`) under /etc.
 */
export function nftConfigHostPath(file: string, text = ''): { hostPath: string; guessed?: boolean } {
  const etc = /(?:^|\/)(etc\/(?:sysconfig\/nftables\.conf|nftables\.conf|nftables(?:\.d)?\/.+))$/.exec(file);
  if (etc) return { hostPath: `/${etc[1]}` };
  const sub = /(?:^|\/)(sysconfig\/nftables\.conf|nftables\/[^/]+)$/.exec(file);
  if (sub) return { hostPath: `/etc/${sub[1]}` };
  // a bare nftables.conf: RHEL's names the samples of /etc/nftables, Debian's does not
  return RHEL_SYSCONFIG.test(text) ? { hostPath: '/etc/sysconfig/nftables.conf', guessed: true } : { hostPath: '/etc/nftables.conf', guessed: true };
}

interface Stmt {
  text: string;
  line: number;
}

/**
 * Top-level statements: a newline or `;` ends one unless a `{` is open; `#` starts a comment
 * outside quotes; a backslash at a line's end continues it. Text inside braces is dropped (a
 * table's chains and rules), the header before the first `{` kept.
 */
function topLevelStatements(text: string): Stmt[] {
  const out: Stmt[] = [];
  const src = splitLines(text);
  let depth = 0;
  let cur = '';
  let start = 0;
  const end = () => {
    const t = cur.trim();
    if (t) out.push({ text: t, line: start });
    cur = '';
  };
  for (let i = 0; i < src.length; i++) {
    const l = src[i];
    let quoted = false;
    for (let j = 0; j < l.length; j++) {
      const c = l[j];
      if (c === '"') quoted = !quoted;
      if (!quoted && c === '#') break;
      if (!quoted && c === '{') {
        if (depth === 0) {
          if (!cur.trim()) start = i + 1;
          cur += ' {';
        }
        depth++;
        continue;
      }
      if (!quoted && c === '}') {
        depth = Math.max(0, depth - 1);
        if (depth === 0) end();
        continue;
      }
      if (depth > 0) continue;
      if (!quoted && c === ';') {
        end();
        continue;
      }
      if (!cur.trim() && c.trim()) start = i + 1;
      cur += c;
    }
    if (depth === 0 && !/\\\s*$/.test(l.replace(/#.*$/, ''))) end();
    else if (depth === 0) cur = cur.replace(/\\\s*$/, ' ');
  }
  end();
  return out;
}

/** `[family] name` at the start of `toks`: family `ip` when none is written (nft's default). */
function familyAndName(toks: string[]): { family: NftFamily; table: string } | undefined {
  if (toks.length === 0) return undefined;
  if (FAMILIES.has(toks[0]) && toks.length >= 2 && toks[1] !== '{') return { family: toks[0] as NftFamily, table: unquote(toks[1]) };
  if (FAMILIES.has(toks[0]) && (toks.length === 1 || toks[1] === '{')) return undefined;
  return { family: 'ip', table: unquote(toks[0]) };
}

const unquote = (s: string) => s.replace(/^"(.*)"$/, '$1');

export function parseNftablesConfig(text: string, file: string): NftablesConfig {
  if (text.slice(0, 8192).includes('\u0000')) throw new SkipFile(file, 'binary data, not an nftables configuration');
  const { hostPath, guessed } = nftConfigHostPath(file, text);
  const config: NftablesConfig = { file, hostPath, ...(guessed ? { hostPathGuessed: true } : {}), statements: [], warnings: [] };
  const src = splitLines(text);
  for (const s of topLevelStatements(text)) {
    const toks = s.text.replace(/\{.*$/, ' {').match(/"[^"]*"|[^\s{]+|\{/g) ?? [];
    const ref = { file, line: s.line };
    const excerpt = (src[s.line - 1] ?? s.text).trim();
    const push = (st: Omit<NftConfigStatement, 'ref' | 'excerpt'>) => config.statements.push({ ...st, ref, excerpt });
    const [a, b] = toks;
    if (a === 'flush' && b === 'ruleset') {
      const fam = toks[2] && FAMILIES.has(toks[2]) ? (toks[2] as NftFamily) : undefined;
      push({ kind: 'flush-ruleset', ...(fam ? { family: fam } : {}) });
    } else if (a === 'include' && b) push({ kind: 'include', path: unquote(b) });
    else if (a === 'table' || ((a === 'add' || a === 'create') && b === 'table')) {
      const t = familyAndName(toks.slice(a === 'table' ? 1 : 2));
      if (t) push({ kind: 'table', ...t });
    } else if ((a === 'flush' || a === 'delete' || a === 'destroy') && b === 'table') {
      const t = familyAndName(toks.slice(2));
      if (t && t.table !== 'handle') push({ kind: `${a}-table` as NftConfigStatementKind, ...t });
    } else if ((a === 'add' || a === 'create' || a === 'insert') && ['chain', 'rule', 'set', 'map', 'element', 'flowtable'].includes(b ?? '')) {
      // `add rule ip filter INPUT ...`: the table it writes to exists after the load
      const t = familyAndName(toks.slice(2));
      if (t) push({ kind: 'table', ...t });
    }
  }
  if (config.statements.some((st) => st.kind === 'table')) {
    try {
      config.ruleset = parseNftText(withDefines(text), file);
    } catch {
      // no table nft text can read (a `add rule` script): the statements above are all there is
    }
  }
  return config;
}

/**
 * `define name = value` (one line) put in place of `$name` in the lines after it, every line kept
 * where it is (the rules' line numbers are the file's). A variable defined in another file stays `$name`.
 */
function withDefines(text: string): string {
  const vars = new Map<string, string>();
  return splitLines(text)
    .map((l) => {
      const d = /^\s*(?:re)?define\s+([A-Za-z_][\w-]*)\s*=\s*(.*?)\s*(?:#.*)?$/.exec(l);
      const out = l.includes('$') ? l.replace(/\$([A-Za-z_][\w-]*)/g, (m, n: string) => vars.get(n) ?? m) : l;
      if (d && !d[2].endsWith('\\') && (d[2].match(/\{/g) ?? []).length === (d[2].match(/\}/g) ?? []).length) vars.set(d[1], d[2].includes('$') ? d[2].replace(/\$([A-Za-z_][\w-]*)/g, (m, n: string) => vars.get(n) ?? m) : d[2]);
      return out;
    })
    .join('\n');
}

/**
 * The bundle's configuration files an `include` names: an absolute path or glob, a relative one
 * against the including file's folder or /etc (nft's include path), in the order nft reads a glob's.
 */
export function includedConfigs(configs: readonly NftablesConfig[], path: string, from: string): NftablesConfig[] {
  const candidates = path.startsWith('/') ? [path] : [`${from.slice(0, from.lastIndexOf('/'))}/${path}`, `/etc/${path}`];
  const res = candidates.map((p) => new RegExp(`^${p.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`));
  return configs.filter((c) => res.some((re) => re.test(c.hostPath))).sort((a, b) => a.hostPath.localeCompare(b.hostPath));
}

/** What the nftables service loads: the file, the files it includes (those in the bundle), their statements in load order (includes expanded in place). */
export interface LoadedNftablesConfig {
  /** /etc/nftables.conf (Debian, Ubuntu, Arch) or /etc/sysconfig/nftables.conf (RHEL, Fedora) */
  main: NftablesConfig;
  flavour: 'debian' | 'rhel';
  statements: NftConfigStatement[];
  /** the files loaded, main first */
  files: NftablesConfig[];
  /** includes that name files the bundle does not hold */
  missing: string[];
}

export function loadedNftablesConfig(configs: readonly NftablesConfig[]): LoadedNftablesConfig | undefined {
  const main = configs.find((c) => c.hostPath === '/etc/sysconfig/nftables.conf') ?? configs.find((c) => c.hostPath === '/etc/nftables.conf');
  if (!main) return undefined;
  const statements: NftConfigStatement[] = [];
  const files: NftablesConfig[] = [];
  const missing: string[] = [];
  const walk = (c: NftablesConfig, depth: number) => {
    if (files.includes(c) || depth > 8) return;
    files.push(c);
    for (const st of c.statements) {
      if (st.kind !== 'include') {
        statements.push(st);
        continue;
      }
      const found = includedConfigs(configs, st.path!, c.hostPath);
      // a glob that matches nothing here may match files the collector did not copy (sos copies /etc/nftables only)
      if (found.length === 0) missing.push(st.path!);
      for (const f of found) walk(f, depth + 1);
    }
  };
  walk(main, 0);
  return { main, flavour: main.hostPath === '/etc/sysconfig/nftables.conf' ? 'rhel' : 'debian', statements, files, missing };
}
