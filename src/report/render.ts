/**
 * Renderers: Report -> Markdown | HTML | JSON, through the handlebars templates in templates/.
 * They see the Report and nothing else.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import type HandlebarsNS from 'handlebars';

/**
 * Handlebars is loaded when a Markdown or HTML report is first rendered: JSON output and
 * --version do without it. Templates precompiled at build time (templates/compiled.cjs) need
 * only its runtime; the compiler is loaded only for a template that changed since the build.
 */
const requireHere = createRequire(import.meta.url);
let hbModule: typeof HandlebarsNS | undefined;
const hb = (): typeof HandlebarsNS => (hbModule ??= requireHere('handlebars') as typeof HandlebarsNS);
let hbRuntime: typeof HandlebarsNS | undefined;
const runtime = (): typeof HandlebarsNS => (hbRuntime ??= requireHere('handlebars/runtime') as typeof HandlebarsNS);
type Precompiled = Record<string, { hash: string; spec: TemplateSpecification } | undefined>;
import type { AnalyzerRun, BatchIndex, BundleReport, Coverage, Finding, IndexEntry, NodeInfo, Report } from './schema.js';
import { checksRan, nothingCheckedReason, runStatus } from './coverage.js';
import { displayText, mapStrings, shortNames } from './names.js';
import { coreOf, coverageView } from './collect.js';
import { maskSecretsOf } from './redact.js';

export type OutputFormat = 'md' | 'html' | 'json';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['md', 'html', 'json'];

export interface RenderOptions {
  /** mask secrets (passwords, tokens, keys) in every format; default: yes (`--no-mask-secrets` says no) */
  maskSecrets?: boolean;
  /** the folder the Source line is relative to (default: the current directory) */
  cwd?: string;
}

export function render(report: Report, format: OutputFormat, options: RenderOptions = {}): string {
  // a report that comes redacted (--redact) leaves the company: no path of the analyst's in it
  const forSharing = report.redaction !== undefined;
  const shown = options.maskSecrets !== false ? maskSecretsOf(report) : report;
  switch (format) {
    case 'json':
      // scripts map `source` back to their input; redacted, it is the base name (sourcesShown)
      return JSON.stringify(forSharing ? withSources(shown, sourcesShown(shown, true, options.cwd)) : shown, null, 2) + '\n';
    case 'md':
      return templates().md(forDisplay(withViews(shown, forSharing, options.cwd)));
    case 'html': {
      const t = templates();
      return t.html({ ...forDisplay(withViews(shown, forSharing, options.cwd)), css: t.css, script: t.script, scriptHash: t.scriptHash });
    }
  }
}

/** The report with its bundles' and failures' `source` replaced (the same order as sourcesShown). */
function withSources(report: Report, shown: string[]): Report {
  return {
    ...report,
    bundles: report.bundles.map((b, i) => ({ ...b, source: shown[i] })),
    ...(report.failures ? { failures: report.failures.map((f, i) => ({ ...f, source: shown[report.bundles.length + i] })) } : {}),
  };
}

/**
 * An input's path as a shared report shows it: relative to the current directory when the input
 * lies under it (`tickets/T-1/bundle.tgz`), else its base name (`bundle.tgz`), never the analyst's
 * absolute path (`/home/ana/tickets/...`). `forSharing` (a redacted report): the base name always.
 */
export function sourceShown(source: string, forSharing: boolean, cwd = process.cwd()): string {
  const full = resolve(cwd, source);
  const base = basename(full) || source;
  if (forSharing) return base;
  const rel = relative(cwd, full);
  return rel === '' || rel === '..' || rel.startsWith('../') || isAbsolute(rel) ? base : rel;
}

/**
 * The sources of a report's bundles, then of its failures, as sourceShown shows them; names that
 * two inputs would share (`T-1/bundle.tgz`, `T-2/bundle.tgz`, both outside the current directory)
 * as the batch index names them: the shortest trailing part of the path that tells them apart.
 */
function sourcesShown(report: Report, forSharing: boolean, cwd?: string): string[] {
  const sources = [...report.bundles.map((b) => b.source), ...(report.failures ?? []).map((f) => f.source)];
  const shown = sources.map((s) => sourceShown(s, forSharing, cwd));
  const count = new Map<string, number>();
  for (const s of shown) count.set(s, (count.get(s) ?? 0) + 1);
  if (![...count.values()].some((n) => n > 1)) return shown;
  const labels = shortNames(sources.map((s) => resolve(cwd ?? process.cwd(), s)));
  return shown.map((s, i) => ((count.get(s) ?? 0) > 1 && sources[i] !== s ? labels[i] : s));
}

/**
 * The report as the Markdown and HTML templates show it: each bundle with its coverage grouped by
 * what was missing (`view`), whether the core checks ran (`partial` when not, with what it lacked
 * most), each finding with an anchor the summary links to, its evidence once per place and its fix
 * without the commands an earlier fix on the same node gave (fixCommands); the source as
 * sourceShown says. The JSON is the report as it is.
 */
function withViews(report: Report, forSharing: boolean, cwd?: string) {
  const sources = sourcesShown(report, forSharing, cwd);
  return {
    ...report,
    ...(report.failures ? { failures: report.failures.map((f, i) => ({ ...f, source: sources[report.bundles.length + i] })) } : {}),
    bundles: report.bundles.map((b, bi) => {
      const view = coverageView(b);
      const core = coreOf(b, view);
      const commands = fixCommands(b.findings);
      return {
        ...b,
        source: sources[bi],
        view,
        partial: !core.core && checksRan(b.coverage) > 0 ? core : undefined,
        sideBySide: b.nodes.length > 1 && clusterLabels(b.nodes).length > 0,
        findings: b.findings.map((f, fi) => ({
          ...f,
          anchor: `b${bi + 1}-f${fi + 1}`,
          evidence: evidenceOnce(f.evidence),
          remedy: { ...f.remedy, commands: commands[fi] },
        })),
      };
    }),
  };
}

/**
 * A finding's evidence with each place (node, file, line) once: two analyzers' reasons may cite
 * the same log line (`dockerd writes to the logs`, the signature hit); it is shown once, with both
 * notes. Evidence of no line (what was looked for and not found) is kept as it is.
 */
export function evidenceOnce(evidence: Finding['evidence']): Finding['evidence'] {
  const out: Finding['evidence'] = [];
  const at = new Map<string, number>();
  for (const e of evidence) {
    const key = e.line ? `${e.node ?? ''}\u0000${e.file}\u0000${e.line}` : undefined;
    const i = key === undefined ? undefined : at.get(key);
    if (i === undefined) {
      if (key !== undefined) at.set(key, out.length);
      out.push(e);
      continue;
    }
    const first = out[i];
    const merged = { ...first };
    if (e.note && e.note !== first.note && !(first.note ?? '').split('; ').includes(e.note)) merged.note = first.note ? `${first.note}; ${e.note}` : e.note;
    // the time the other citation read from the line
    if (!first.time && e.time) Object.assign(merged, { time: e.time }, e.yearInferred ? { yearInferred: e.yearInferred } : {});
    out[i] = merged;
  }
  return out;
}

/**
 * What applies a change made before it: a restart or reload. Printed again in a later fix when
 * that fix adds a command of its own before it (the new rule needs the reload), else referenced.
 */
const APPLIES =
  /(?:^|[;&|]\s*)(?:sudo\s+)?(?:systemctl\s+(?:restart|reload|try-restart|reload-or-restart|try-reload-or-restart)\b|service\s+\S+\s+(?:restart|reload)\b|firewall-cmd\s+--(?:complete-)?reload\b|netfilter-persistent\s+(?:reload|start)\b|sysctl\s+(?:-p|--system)\b|reboot\b)/;

/** A command line as compared across fixes: trimmed, spaces collapsed, without a trailing `# comment`; undefined for a comment or blank line. */
function commandKey(line: string): string | undefined {
  const t = line.trim();
  if (t === '' || t.startsWith('#')) return undefined;
  // a `#` after a space that is outside quotes starts the comment
  let quote = '';
  for (let i = 0; i < t.length; i++) {
    const c = t[i];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '#' && /\s/.test(t[i - 1] ?? '')) return t.slice(0, i).trim().replace(/\s+/g, ' ');
  }
  return t.replace(/\s+/g, ' ');
}

/**
 * Each finding's fix commands as the Markdown and HTML reports print them (D2, R19): a command an
 * earlier finding's fix on the same node already gave (the same text, a trailing comment aside) is
 * a reference, `# already in the fix of <id> above: <command>`, so a customer who follows the report
 * top down adds each rule, reloads firewalld and restarts Docker once, not once per finding. A
 * restart or reload is printed again where the fix changed something before it. Lines continued
 * with `\` are kept whole. The JSON keeps every finding's commands as they are.
 */
export function fixCommands(findings: readonly Finding[]): string[][] {
  const shownOn = new Map<string, Map<string, string>>();
  return findings.map((f) => {
    const node = f.node ?? (f.nodes ?? []).join(',');
    const shown = shownOn.get(node) ?? new Map<string, string>();
    shownOn.set(node, shown);
    const commands = f.remedy.commands ?? [];
    const out: string[] = [];
    const mine: string[] = [];
    let changed = false;
    commands.forEach((line, i) => {
      const key = commandKey(line);
      const continued = line.includes('\n') || /\\\s*$/.test(line) || (i > 0 && /\\\s*$/.test(commands[i - 1]));
      const first = key === undefined || continued ? undefined : shown.get(key);
      if (first === undefined || (changed && APPLIES.test(key!))) {
        out.push(line);
        if (key !== undefined) {
          mine.push(key);
          changed = true;
        }
      } else out.push(`# already in the fix of ${f.id === first ? 'this finding' : first} above: ${key}`);
    });
    for (const k of mine) if (!shown.has(k)) shown.set(k, f.id);
    return out;
  });
}

function forDisplay<T>(value: T): T {
  return mapStrings(value, displayText);
}

/** The batch index in one format. */
export function renderIndex(index: BatchIndex, format: OutputFormat): string {
  switch (format) {
    case 'json':
      return JSON.stringify(index, null, 2) + '\n';
    case 'md':
      return templates().indexMd(forDisplay(indexView(index, 'md')));
    case 'html': {
      const t = templates();
      return t.indexHtml({ ...forDisplay(indexView(index, 'html')), css: t.css, script: t.indexScript, scriptHash: hashOf(t.indexScript) });
    }
  }
}

/** How many bundles the Markdown index names in a finding's row; the HTML index names them all, folded. */
const MD_WHICH = 10;

/**
 * The index as the templates show it: each bundle with a label (the shortest trailing part of
 * its path that tells it from the others), and each finding with the bundles that have it, linked
 * to their reports in the index's own format where there is one: which tickets have
 * `iptables.docker-chain-missing` is the support lead's next question.
 */
function indexView(index: BatchIndex, format: 'md' | 'html') {
  const labels = shortNames(index.bundles.map((b) => b.source));
  // a failure's reason without the path the row already names (`fifo/x.tgz: truncated archive`)
  const reason = (b: IndexEntry) => (b.error?.startsWith(`${b.source}: `) ? b.error.slice(b.source.length + 2) : b.error);
  const bundles = index.bundles.map((b, i) => ({ ...b, label: labels[i], reason: reason(b), verdict: verdictOf(b) }));
  const byFinding = Object.fromEntries(
    Object.entries(index.totals.byFinding).map(([id, f]) => {
      const which = bundles.filter((b) => b.findingIds.includes(id)).map((b) => ({ label: b.label, href: b.reports[format] ?? Object.values(b.reports)[0] }));
      // "critical ×2, warning ×1" when the bundles have it at different severities
      const mix = SEVERITIES_DESC.filter((s) => (f.bySeverity?.[s] ?? 0) > 0);
      const severityMix = mix.length > 1 ? mix.map((s) => `${s} ×${f.bySeverity![s]}`).join(', ') : undefined;
      return [id, { ...f, severityMix, which: format === 'md' ? which.slice(0, MD_WHICH) : which, more: format === 'md' ? Math.max(0, which.length - MD_WHICH) : 0 }];
    }),
  );
  return { ...index, bundles, totals: { ...index.totals, byFinding } };
}

const SEVERITIES_DESC = ['critical', 'warning', 'info'] as const;

/**
 * A bundle without findings, as the index shows it: "healthy" only when the core checks (ip_forward,
 * the filter and nat tables, ip addr) ran on every node; else "no finding" with how many checks did
 * not run and what the bundle lacked. An index of an older version, which does not say, shows "no finding".
 */
export function verdictOf(e: IndexEntry): { kind: 'failed' | 'finding' | 'unchecked' | 'healthy' | 'partial'; text: string } {
  if (e.error) return { kind: 'failed', text: 'failed' };
  if (e.top) return { kind: 'finding', text: e.top.title };
  if (e.checked === 0) return { kind: 'unchecked', text: 'nothing could be checked' };
  if (e.core === true) return { kind: 'healthy', text: 'healthy' };
  const counted = typeof e.notRun === 'number' && typeof e.runs === 'number' ? `, ${e.notRun} of ${e.runs} checks not run` : '';
  const lacks = e.missing?.length ? `; missing: ${e.missing.join(', ')}` : '';
  return { kind: 'partial', text: `no finding${counted}${lacks}` };
}

interface Templates {
  md: HandlebarsTemplateDelegate;
  html: HandlebarsTemplateDelegate;
  indexMd: HandlebarsTemplateDelegate;
  indexHtml: HandlebarsTemplateDelegate;
  css: string;
  script: string;
  scriptHash: string;
  indexScript: string;
}

let cache: Templates | undefined;

/** The CSP allows exactly the page's own script: bundle text that slipped into the page could not run. */
function hashOf(script: string): string {
  return `sha256-${createHash('sha256').update(script).digest('base64')}`;
}

let usePrecompiled = true;
/** For tests: render through the build's precompiled templates (the default) or compile the .hbs files. */
export function usePrecompiledTemplates(on: boolean): void {
  usePrecompiled = on;
  cache = undefined;
}

function templates() {
  if (cache) return cache;
  const dir = templatesDir();
  const read = (name: string) => readFileSync(join(dir, name), 'utf8');
  let precompiled: Precompiled = {};
  try {
    if (usePrecompiled) precompiled = requireHere(join(dir, 'compiled.cjs')) as Precompiled;
  } catch {
    // not built: every template is compiled here
  }
  const envs = new Map<string, typeof HandlebarsNS>();
  /** The template from its precompiled form while that matches the .hbs, else compiled now, in an environment with its helpers. */
  const template = (key: string, file: string, kind: 'md' | 'html'): HandlebarsTemplateDelegate => {
    const source = read(file);
    const pre = precompiled[key];
    const fresh = pre !== undefined && pre.hash === createHash('sha256').update(source).digest('hex');
    const envKey = `${fresh ? 'runtime' : 'compiler'}-${kind}`;
    let env = envs.get(envKey);
    if (!env) {
      env = (fresh ? runtime() : hb()).create();
      registerHelpers(env, kind);
      envs.set(envKey, env);
    }
    return fresh ? env.template(pre.spec) : env.compile(source, kind === 'md' ? { noEscape: true, strict: false } : { strict: false });
  };
  const script = read('partials/report.js');
  cache = {
    md: template('md', 'report.md.hbs', 'md'),
    html: template('html', 'report.html.hbs', 'html'),
    indexMd: template('indexMd', 'index.md.hbs', 'md'),
    indexHtml: template('indexHtml', 'index.html.hbs', 'html'),
    css: read('partials/report.css'),
    script,
    scriptHash: hashOf(script),
    indexScript: read('partials/index.js'),
  };
  return cache;
}

function templatesDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'templates');
    if (existsSync(join(candidate, 'report.md.hbs'))) return candidate;
    dir = dirname(dir);
  }
  throw new Error('templates/ not found next to the bundle-doctor package');
}

const SEVERITY_BADGE: Record<string, string> = { critical: '🔴 CRITICAL', warning: '🟠 WARNING', info: '🔵 INFO' };
const STATUS_ICON: Record<string, string> = { ran: '✅', 'ran-in-part': '◑', 'not-run': '⏭️', error: '❌' };

/** Plain text safe in Markdown prose and table cells: no markup, no raw HTML, one line. */
export function mdText(value: unknown): string {
  return (
    String(value ?? '')
      .replace(/\r?\n/g, ' ')
      .replace(/[\\`*[\]|~>]/g, (c) => '\\' + c)
      // intraword underscores (ip_forward) are not emphasis in CommonMark; only escape the others
      .replace(/(^|[^A-Za-z0-9])_|_(?=[^A-Za-z0-9]|$)/g, (m) => m.replace('_', '\\_'))
      .replace(/^#/, '\\#')
      .replace(/</g, '&lt;')
  );
}

/** A `quoted command` in prose: a backtick pair on one line around up to 300 characters. */
const PROSE_CODE = /`([^`\n]{1,300})`/g;

/** Prose with each backtick pair given to `code` and the text around them to `text`. */
function prose(s: string, text: (t: string) => string, code: (c: string) => string): string {
  let out = '';
  let last = 0;
  for (const m of s.matchAll(PROSE_CODE)) {
    out += text(s.slice(last, m.index)) + code(m[1]);
    last = m.index! + m[0].length;
  }
  return out + text(s.slice(last));
}

/**
 * Prose whose `quoted commands` are code: each backtick pair becomes a code span, the rest is
 * mdText. A code span shows its content as it is (no markup, no HTML), so nothing in it needs escaping.
 */
export function mdProse(value: unknown): string {
  return prose(String(value ?? '').replace(/\r?\n/g, ' '), mdText, (c) => mdCode(c));
}

/** The same for HTML: escaped text, the backtick pairs as <code>. */
export function htmlProse(value: unknown, escape: (s: string) => string): string {
  return prose(String(value ?? ''), escape, (c) => `<code>${escape(c)}</code>`);
}

/**
 * A code span that survives backticks in its content. `inTable`: it sits in a table cell, where
 * a `|` ends the cell even inside a code span unless escaped (GFM unescapes `\|` there); anywhere
 * else a backslash in a code span is shown as it is, so the `|` is left alone.
 */
export function mdCode(value: unknown, inTable = false): string {
  let s = String(value ?? '').replace(/\r?\n/g, ' ');
  if (inTable) s = s.replace(/\|/g, '\\|');
  const longest = Math.max(0, ...(s.match(/`+/g) ?? []).map((r) => r.length));
  const ticks = '`'.repeat(longest + 1);
  const pad = s.startsWith('`') || s.endsWith('`') || longest > 0 ? ' ' : '';
  return `${ticks}${pad}${s}${pad}${ticks}`;
}

/** A fenced block longer than any backtick run inside it. */
export function mdFence(value: unknown, lang: string, indent = 0): string {
  const s = String(value ?? '');
  const longest = Math.max(2, ...(s.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  const pad = ' '.repeat(indent);
  return [`${fence}${lang}`, ...s.split('\n'), fence].map((l) => pad + l).join('\n');
}

function registerHelpers(env: typeof HandlebarsNS, kind: 'md' | 'html'): void {
  env.registerHelper('md', (v: unknown) => mdText(v));
  // messages, remedies, notes: prose whose `quoted commands` are shown as code
  env.registerHelper('prose', (v: unknown) => (kind === 'md' ? mdProse(v) : new env.SafeString(htmlProse(v, (t) => env.escapeExpression(t)))));
  // `code` in prose (headings, bullets, the Source line), `cellCode` in a table cell
  env.registerHelper('code', (v: unknown) => mdCode(v));
  env.registerHelper('cellCode', (v: unknown) => mdCode(v, true));
  env.registerHelper('fence', (v: unknown, lang: unknown, indent: unknown) =>
    mdFence(v, typeof lang === 'string' ? lang : '', typeof indent === 'number' ? indent : 0),
  );
  env.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  env.registerHelper('gt', (a: number, b: number) => a > b);
  env.registerHelper('count', (n: number, noun: string) => `${n} ${n === 1 ? noun : `${noun}s`}`);
  // no check ran at all: "no problems found" would read as a clean bill of health
  env.registerHelper('nothingChecked', (c: Coverage) => checksRan(c) === 0);
  env.registerHelper('nothingCheckedReason', (c: Coverage) => nothingCheckedReason(c));
  env.registerHelper('join', (list: unknown, sep: unknown) => (Array.isArray(list) ? list.join(typeof sep === 'string' ? sep : ', ') : ''));
  env.registerHelper('lines', (list: unknown) => (Array.isArray(list) ? list.join('\n') : ''));
  env.registerHelper('basename', (p: string) => String(p ?? '').replace(/\/+$/, '').split('/').pop());
  env.registerHelper('loc', (file: string, line: number) => (line ? `${file}:${line}` : file));
  env.registerHelper('severityBadge', (s: string) => SEVERITY_BADGE[s] ?? s);
  // a run that said what it could not check ("ran in part: ...") is no plain ✅ (see runStatus)
  env.registerHelper('runIcon', (run: AnalyzerRun) => STATUS_ICON[runStatus(run)] ?? run.status);
  env.registerHelper('runStatus', (run: AnalyzerRun) => runStatus(run));
  env.registerHelper('nodeLabel', (f: Finding) => f.node ?? (f.nodes?.length ? f.nodes.join(', ') : 'bundle'));
  env.registerHelper('firstEvidence', (f: Finding) => f.evidence[0]);
  env.registerHelper('manyEvidence', (e: unknown[]) => Array.isArray(e) && e.length > 3);
  env.registerHelper('sumLines', (logs: { lines: number }[]) => logs.reduce((n, l) => n + l.lines, 0));
  env.registerHelper('bytes', (n: number) => formatSize(n));
  env.registerHelper('trunc', (v: unknown, n: number) => {
    const t = String(v ?? '');
    return t.length > n ? t.slice(0, n - 1) + '…' : t;
  });
  env.registerHelper('anyRules', (nodes: NodeInfo[]) => nodes.some((n) => (n.iptables ?? []).length > 0));
  env.registerHelper('ownerLine', (owners: Record<string, { chains: number; rules: number }>) =>
    Object.entries(owners ?? {})
      .filter(([o]) => o !== 'system')
      .map(([o, c]) => `${o}: ${c.chains} chains, ${c.rules} rules`)
      .join('; ') || 'no custom chains',
  );
  env.registerHelper('isNum', (v: unknown) => typeof v === 'number');
  env.registerHelper('hasKeys', (o: unknown) => !!o && typeof o === 'object' && Object.keys(o).length > 0);
  env.registerHelper('mdLink', (href: string) => encodeURI(String(href ?? '')).replace(/[()]/g, (c) => encodeURIComponent(c)));
  env.registerHelper('rowRank', (e: IndexEntry) => (e.error ? 0 : e.summary.critical > 0 ? 1 : e.summary.warning > 0 ? 2 : e.summary.info > 0 ? 3 : 4));
  env.registerHelper('severityLine', (s: BundleReport['summary']) =>
    s.critical + s.warning + s.info === 0 ? 'none' : `${s.critical} critical, ${s.warning} warning, ${s.info} info`,
  );
  // HTML table cells: a short token stays whole (.tok), a long one may break anywhere (.long)
  env.registerHelper('tok', (v: unknown) => tokClass(v));
  if (kind === 'md') env.registerHelper('clusterTableMd', (nodes: NodeInfo[]) => clusterTable(nodes, 'md'));
  else env.registerHelper('clusterTableHtml', (nodes: NodeInfo[]) => new env.SafeString(clusterTable(nodes, 'html')));
}

/** Longer than this, a name or value in an HTML table cell may break anywhere; shorter, it stays whole. */
const TOKEN_MAX = 40;
function tokClass(v: unknown): 'tok' | 'long' {
  return String(v ?? '').length > TOKEN_MAX ? 'long' : 'tok';
}

/** The rows of "Nodes side by side": the facts some node has a value for (none: the section is left out). */
function clusterLabels(nodes: NodeInfo[]): string[] {
  return [...new Set(nodes.flatMap((n) => Object.keys(n.facts ?? {})))].filter((l) => nodes.some((n) => n.facts[l] !== null && n.facts[l] !== undefined));
}

/** Facts as rows, nodes as columns; a value that differs from the majority is marked. */
export function clusterTable(nodes: NodeInfo[], kind: 'md' | 'html'): string {
  const labels = clusterLabels(nodes);
  // which cells to mark is the report's decision (facts.ts factMarks): a minority value where nodes
  // should agree, a per-node-unique value (flannel subnet, cni0) that two nodes share
  const mark = (n: NodeInfo, label: string) => (n.facts[label] === null || n.facts[label] === undefined ? undefined : n.marks?.[label]);
  const duplicated = labels.filter((l) => nodes.some((n) => mark(n, l) === 'duplicated'));
  if (kind === 'md') {
    const head = `| | ${nodes.map((n) => mdCode(n.name, true)).join(' | ')} |\n|---|${nodes.map(() => '---').join('|')}|\n`;
    const rows = labels
      .map((l) => `| ${mdText(l)} | ${nodes.map((n) => cellMd(n.facts[l], mark(n, l) !== undefined)).join(' | ')} |`)
      .join('\n');
    const note = duplicated.length > 0 ? `\n\n⚠️ on ${duplicated.map((l) => mdText(l)).join(', ')}: the same value on more than one node, where each node needs its own.` : '';
    return head + rows + note;
  }
  const esc = (s: unknown) => runtime().escapeExpression(String(s ?? '—'));
  return (
    `<table class="cluster"><thead><tr><th></th>${nodes.map((n) => `<th><code class="${tokClass(n.name)}">${esc(n.name)}</code></th>`).join('')}</tr></thead><tbody>` +
    labels
      .map(
        (l) =>
          `<tr><th class="${tokClass(l)}">${esc(l)}</th>${nodes
            .map((n) => `<td class="${tokClass(n.facts[l])}${MARK_TITLE[mark(n, l) ?? ''] ?? ''}">${esc(n.facts[l] ?? '—')}</td>`)
            .join('')}</tr>`,
      )
      .join('') +
    '</tbody></table>' +
    (duplicated.length > 0 ? `<p class="note">⚠️ on ${duplicated.map((l) => esc(l)).join(', ')}: the same value on more than one node, where each node needs its own.</p>` : '')
  );
}

const MARK_TITLE: Record<string, string> = {
  differs: ' odd" title="differs from the other nodes',
  duplicated: ' odd" title="the same as on another node: each node needs its own',
};

function cellMd(v: unknown, isOdd: boolean): string {
  if (v === null || v === undefined) return '—';
  const s = mdCode(v, true);
  return isOdd ? `**${s}** ⚠️` : s;
}

function formatSize(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}
