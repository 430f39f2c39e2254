/**
 * A batch run: many bundles through the worker pool, a report per bundle written as each one
 * completes (by the child that analyzed it; nothing is held for the whole batch but the small
 * index entries), an index, and optionally one JSON line per bundle on stdout.
 */
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { ownOutput } from '../bundle/formats.js';
import { shortNames } from '../report/names.js';
import { jsonlLine, type Redactor } from '../report/redact.js';
import { renderIndex, type OutputFormat } from '../report/render.js';
import type { BatchIndex, BundleReport, IndexEntry, Report } from '../report/schema.js';
import { SEVERITY_ORDER, type Severity } from '../report/severity.js';
import { VERSION } from '../version.js';
import { buildIndex, digestOf, indexEntry, uncheckedLine } from './index-report.js';
import { hasTokens, indexRedaction, qualifyEntry } from './merge-redaction.js';
import { runBatch, type BatchResult, type PoolOptions } from './pool.js';
import { writeReports } from './write.js';
import { Progress } from './progress.js';

export interface BatchRunOptions extends Omit<PoolOptions, 'onStart' | 'onDone' | 'write' | 'returnReport' | 'jsonl'> {
  formats: OutputFormat[];
  /** write reports and index here; undefined: collect one combined report */
  outDir?: string;
  jsonl?: (line: string) => void;
  progress: Progress;
  /** one redactor for the whole batch: the same address is the same token in every report */
  redactor?: Redactor;
  /** --resume: what an earlier run in outDir already did (see resumeFrom); `inputs` are then only the rest */
  previous?: Previous;
}

/**
 * An index.json, validated, for merge and --resume; else an error that says `notIndex` and what is
 * wrong in a few words (JSON's own message, or the first thing zod found: its message is a JSON
 * list). zod loads here only: a batch run's parent never needs it (the children validate reports).
 */
async function readIndex(file: string, notIndex: string): Promise<BatchIndex> {
  const { BatchIndex: BatchIndexSchema } = await import('../report/schema.js');
  try {
    return BatchIndexSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch (err) {
    const issue = (err as { issues?: { path: PropertyKey[]; message: string }[] }).issues?.[0];
    const why = issue ? `${issue.path.map(String).join('.') || 'the top level'}: ${issue.message}` : String((err as Error)?.message ?? err).split('\n')[0];
    throw new Error(`${file}: ${notIndex} (${why.slice(0, 160)})`);
  }
}

/** The part of an earlier run in the same output folder that a resumed run keeps. */
export interface Previous {
  /** index entries of the bundles analyzed before, whose reports are all there */
  entries: IndexEntry[];
  known: Map<string, { severity: Severity; title: string }>;
  /** every input of this run, kept ones included: report names are decided over all of them */
  allInputs: string[];
}

/**
 * `--resume`: the bundles of `inputs` that `outDir/index.json` lists as analyzed, with every
 * report asked for (`formats`) still in the folder, are kept; the others (failed, interrupted,
 * new, or missing a format) are to be analyzed. No index there: nothing to keep.
 */
export async function resumeFrom(outDir: string, inputs: string[], formats: OutputFormat[]): Promise<Previous> {
  const file = join(outDir, 'index.json');
  const previous: Previous = { entries: [], known: new Map(), allInputs: inputs };
  if (!existsSync(file)) return previous;
  const index = await readIndex(file, 'not a bundle-doctor index, cannot resume from it');
  const wanted = new Set(inputs);
  for (const e of index.bundles) {
    if (e.error !== undefined || !wanted.has(e.source)) continue;
    if (!formats.every((f) => e.reports[f] !== undefined && existsSync(join(outDir, e.reports[f])))) continue;
    previous.entries.push(e);
    wanted.delete(e.source);
  }
  for (const [id, f] of Object.entries(index.totals.byFinding)) previous.known.set(id, { severity: f.severity, title: f.title });
  return previous;
}

export interface BatchOutcome {
  index: BatchIndex;
  /** the combined report, when no output folder was given */
  report?: Report;
  failed: number;
  worst?: Severity;
  /**
   * inputs read where no check could run (checked 0), in the order of the index: for the caller
   * to say on stderr (uncheckedLine), one line each; kept bundles of a resumed run included
   */
  unchecked: { source: string; line: string }[];
}

export async function runBatchToOutputs(inputs: string[], options: BatchRunOptions): Promise<BatchOutcome> {
  const redactor = options.redactor?.options;
  const names = reportNames(options.previous?.allInputs ?? inputs, !!(redactor?.hostnames || redactor?.ips));
  const entries: IndexEntry[] = [...(options.previous?.entries ?? [])];
  const known = new Map<string, { severity: Severity; title: string }>(options.previous?.known ?? []);
  const combined: Report | undefined = options.outDir
    ? undefined
    : { tool: { name: 'bundle-doctor', version: VERSION }, generatedAt: new Date().toISOString(), bundles: [], failures: [] };
  if (options.outDir) makeOutDir(options.outDir);
  /** with a redactor: each entry's input and error as they were, redacted again at the end with every hostname of the batch */
  const unredacted = new Map<IndexEntry, { input: string; error?: string }>();
  /** with a redactor and -o DIR: each report written, kept aside (on disk) to be checked again at the end */
  const written: { base: string; file: string }[] = [];
  let recheckDir: string | undefined;
  const keepForRecheck = (report: BundleReport, base: string) => {
    recheckDir ??= mkdtempSync(join(tmpdir(), 'bundle-doctor-redact-'));
    const file = join(recheckDir, `${written.length}.json`);
    writeFileSync(file, JSON.stringify(report));
    return { base, file };
  };

  // Children write the reports themselves unless the parent must see every report: one
  // combined report (no -o DIR), or redaction (one batch-wide table of tokens).
  const childWrites = options.outDir !== undefined && !options.redactor;
  const onDone = (raw: BatchResult) => {
    options.progress.finish(raw);
    const result = redacted(raw, options.redactor);
    let reports: Record<string, string> = {};
    if (result.ok) {
      for (const f of result.digest.findings) {
        const prev = known.get(f.id);
        if (!prev || SEVERITY_ORDER[f.severity] < SEVERITY_ORDER[prev.severity]) known.set(f.id, { severity: f.severity, title: f.title });
      }
      if (result.written) reports = result.written;
      else if (options.outDir && result.report) {
        const base = names.get(raw.input)!;
        reports = writeReports(result.report, options.outDir, base, options.formats, { redaction: options.redactor?.describe(), maskSecrets: options.maskSecrets });
        if (options.redactor) written.push(keepForRecheck(result.report, base));
      }
      else if (combined && result.report) combined.bundles.push(result.report);
      options.jsonl?.(result.jsonl ?? jsonlLine(result.report!, options.maskSecrets !== false));
    } else {
      if (combined) combined.failures.push(result.failure);
      options.jsonl?.(JSON.stringify({ source: result.input, error: result.failure.error, code: result.failure.code }) + '\n');
    }
    const entry = indexEntry(result, reports);
    entries.push(entry);
    if (options.redactor) unredacted.set(entry, { input: raw.input, error: raw.ok ? undefined : raw.failure.error });
  };

  await runBatch(inputs, {
    ...options,
    write: childWrites ? { dir: options.outDir!, formats: options.formats, names } : undefined,
    returnReport: !childWrites,
    jsonl: options.jsonl !== undefined && !options.redactor,
    onStart: (i) => options.progress.start(i),
    onDone,
  });
  options.progress.end();
  if (options.redactor) {
    // A bundle's path may name a host that only a later bundle revealed (ticket-db01/sosreport-web02.tgz):
    // the index and the combined report are redacted again now that the batch's hosts are all known.
    const r = options.redactor;
    for (const [entry, raw] of unredacted) {
      entry.source = r.value(raw.input);
      if (raw.error !== undefined) entry.error = r.value(raw.error);
    }
    if (combined) {
      combined.bundles = combined.bundles.map((b) => r.value(b));
      combined.failures = combined.failures.map((f) => r.value(f));
    }
    // The same for reports written before a later bundle revealed a host they mention (in their
    // path, or in a log line naming another node): rewritten where the table changes them.
    try {
      for (const { base, file } of written) {
        const before = readFileSync(file, 'utf8');
        const again = r.value(JSON.parse(before) as BundleReport);
        if (JSON.stringify(again) !== before) writeReports(again, options.outDir!, base, options.formats, { redaction: r.describe(), maskSecrets: options.maskSecrets });
      }
    } finally {
      if (recheckDir) rmSync(recheckDir, { recursive: true, force: true });
    }
  }
  const index = buildIndex(entries, known);
  if (options.outDir) writeIndex(index, options.outDir, options.formats);
  if (combined) {
    const order = inputs.map((i) => (options.redactor ? options.redactor.value(i) : i));
    combined.bundles.sort((a, b) => order.indexOf(a.source) - order.indexOf(b.source));
    if (options.redactor) combined.redaction = options.redactor.describe();
  }
  const t = index.totals;
  // the most severe finding of the batch, kept bundles of a resumed run included
  const worst: Severity | undefined = t.critical > 0 ? 'critical' : t.warning > 0 ? 'warning' : t.info > 0 ? 'info' : undefined;
  const unchecked = index.bundles
    .filter((e) => e.error === undefined && e.checked === 0)
    .map((e) => ({ source: e.source, line: uncheckedLine(e.source, e.missing) }));
  return { index, report: combined, failed: t.failed, worst, unchecked };
}

/** The result as it may leave the company: report and failure text through the batch's redactor. */
function redacted(result: BatchResult, redactor: Redactor | undefined): BatchResult {
  if (!redactor) return result;
  if (result.ok) {
    // with a redactor the parent always has the whole report (returnReport) and renders it itself
    redactor.addHosts(result.report!.nodes.map((n) => n.name));
    const report = redactor.value(result.report!);
    return { input: redactor.value(result.input), ok: true, report, digest: digestOf(report), ms: result.ms };
  }
  return { ...result, input: redactor.value(result.input), failure: redactor.value(result.failure) };
}

/**
 * The output folder, or a one-line reason it cannot be made (a file in the way, no permission).
 * One level at a time: Node's recursive mkdir spins forever where the kernel says ENOENT for a
 * child of a folder that exists (under /proc, on a stale mount), retrying the parent.
 */
export function makeOutDir(dir: string): void {
  const missing: string[] = [];
  for (let d = resolve(dir); ; d = dirname(d)) {
    if (existsSync(d)) break;
    missing.unshift(d);
    if (dirname(d) === d) break;
  }
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && statSync(d, { throwIfNoEntry: false })?.isDirectory()) continue;
      throw new Error(`cannot create the output folder ${dir}: ${code === 'EEXIST' ? `${d} is in the way (a file or a broken link)` : (code ?? (err as Error).message)}`);
    }
  }
  if (!statSync(resolve(dir), { throwIfNoEntry: false })?.isDirectory()) throw new Error(`cannot create the output folder ${dir}: a file is in its place`);
}

export function writeIndex(index: BatchIndex, outDir: string, formats: OutputFormat[]): void {
  makeOutDir(outDir);
  // index.json is always written: it is what `merge` reads.
  const written = new Set<OutputFormat>(['json', ...formats]);
  for (const format of written) writeFileSync(join(outDir, `index.${format}`), renderIndex(index, format));
  // An index of another format left by an earlier run in this folder (--resume, a merge again,
  // with another --format) would link to what this run no longer lists: removed, when it is
  // one bundle-doctor wrote (told by its first bytes), never a file of someone else's.
  for (const format of ['html', 'md'] as const) {
    if (written.has(format)) continue;
    const stale = join(outDir, `index.${format}`);
    const head = readHead(stale);
    if (head && ownOutput(head) === 'batch index') rmSync(stale, { force: true });
  }
}

/** A file's first 4 KiB, or undefined when there is none (or it cannot be read). */
function readHead(path: string): Buffer | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(4096);
    return head.subarray(0, readSync(fd, head, 0, head.length, 0));
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Safe, unique file names for each input's reports, decided before the run so they do not depend
 * on completion order. `anonymous`: for reports redacted of hostnames or addresses, whose input
 * names often carry them (`sosreport-db01-...`): the names are then only the input's position.
 *
 * A name is the input's short name (src/report/names.ts) without its archive extension. Names
 * that collide (`a.tgz`, `a.zip`, `a.tar.xz`, the folder `a`; case does not tell files apart on
 * every file system) keep their whole file name (`a.tgz`, `a.zip`, `a`), so that each is a
 * function of the input alone, never of the order the inputs were given in; names still alike
 * after that (`t/a/bundle.tgz` and `a_bundle.tgz` both read `a_bundle`) take a short hash of the
 * input's path (`a_bundle-3f2c91d0`). `index` is the batch's own.
 */
export function reportNames(inputs: string[], anonymous = false): Map<string, string> {
  const out = new Map<string, string>();
  if (anonymous) {
    const width = String(inputs.length).length;
    inputs.forEach((input, i) => out.set(input, `bundle-${String(i + 1).padStart(width, '0')}`));
    return out;
  }
  const safe = (s: string) =>
    lastBytes(
      s
        .normalize('NFC')
        // letters and digits of any script are safe in a file name (`チケット.html`); what is
        // not (separators, quotes, shell and control characters, bidi marks) goes
        .replace(/[^\p{L}\p{M}\p{N}._-]+/gu, '_')
        .replace(/^\.+/, '_'),
      120,
    ) || 'bundle';
  const short = shortNames(inputs);
  const plain = short.map((s) => safe(s.replace(/\.(tar\.gz|tgz|tar\.xz|txz|tar|zip|gz)$/i, '')));
  const key = (name: string) => name.toLowerCase();
  const clashing = (names: string[]) => {
    const counts = new Map<string, number>();
    for (const n of names) counts.set(key(n), (counts.get(key(n)) ?? 0) + 1);
    return (n: string) => counts.get(key(n))! > 1 || key(n) === 'index';
  };
  const first = clashing(plain);
  let names = plain.map((n, i) => (first(n) ? safe(short[i]) : n));
  const second = clashing(names);
  names = names.map((n, i) => (second(n) ? `${lastBytes(plain[i], 110)}-${createHash('sha256').update(inputs[i]).digest('hex').slice(0, 8)}` : n));
  // a clash left (a hash alike, a file named like another's hashed name): numbered in the
  // inputs' sorted order, which the order they were given in does not change
  const used = new Set<string>();
  const byInput = inputs.map((_, i) => i).sort((a, b) => (inputs[a] < inputs[b] ? -1 : inputs[a] > inputs[b] ? 1 : 0));
  const third = clashing(names);
  for (const i of byInput.filter((j) => !third(names[j]))) used.add(key(names[i]));
  for (const i of byInput.filter((j) => third(names[j]))) {
    let name = names[i];
    for (let n = 2; used.has(key(name)) || key(name) === 'index'; n++) name = `${names[i]}-${n}`;
    used.add(key(name));
    names[i] = name;
  }
  inputs.forEach((input, i) => out.set(input, names[i]));
  return out;
}

/**
 * The end of a name, at most `max` bytes in UTF-8 (file systems count bytes: 255 in a name), cut
 * between characters, never inside one.
 */
function lastBytes(name: string, max: number): string {
  const chars = [...name];
  let bytes = 0;
  let i = chars.length;
  while (i > 0 && bytes + Buffer.byteLength(chars[i - 1]) <= max) bytes += Buffer.byteLength(chars[--i]);
  return chars.slice(i).join('');
}

export interface MergeOptions {
  /** join indexes redacted with ips/hostnames by separate runs, each run's tokens marked with its shard */
  allowSeparateTokens?: boolean;
}

/** A merge's result: the index, and the indexes whose tokens were marked with their shard (`s0`). */
export interface MergeOutcome {
  index: BatchIndex;
  qualified: { file: string; label: string }[];
}

/**
 * `bundle-doctor merge`: shard indexes -> one index whose report links still point at the shard
 * folders. Indexes redacted with ips or hostnames each have their own tokens: more than one of
 * them, or one beside indexes with real names, is refused unless `allowSeparateTokens`, and then
 * the tokens of each are marked with its shard (`s0:host-1`, s0 being the first index given).
 */
export async function mergeIndexes(files: string[], outDir: string, formats: OutputFormat[], options: MergeOptions = {}): Promise<MergeOutcome> {
  const entries: IndexEntry[] = [];
  const known = new Map<string, { severity: Severity; title: string }>();
  const seen = new Map<string, string>();
  const indexes: { file: string; parsed: BatchIndex; applied: string[] | undefined }[] = [];
  for (const file of files) {
    const parsed = await readIndex(file, 'not a bundle-doctor index.json');
    indexes.push({ file, parsed, applied: indexRedaction(file, parsed) });
  }
  const tokenized = indexes.filter((x) => hasTokens(x.applied));
  // an index whose redaction is unknown (no report of it left to read) conflicts with none
  const plain = indexes.find((x) => x.applied !== undefined && !hasTokens(x.applied));
  const separate = tokenized.length > 1 || (tokenized.length === 1 && plain !== undefined);
  if (separate && !options.allowSeparateTokens) {
    const what = (x: (typeof indexes)[number]) => `${x.file} (--redact ${x.applied!.filter((a) => a !== 'secrets').join(',')})`;
    throw new Error(
      tokenized.length > 1
        ? `${tokenized.map(what).join(' and ')} were redacted by separate runs, each with its own table of tokens: host-1 of one is not host-1 of another, and the merged index would make them one; redact the whole batch in one run (without --shard), or merge with --allow-separate-tokens to mark each run's tokens with its shard (s0:host-1)`
        : `${what(tokenized[0])} is redacted and ${plain!.file} is not: the merged index would mix tokens with the real names; merge with --allow-separate-tokens to join them anyway, the tokens marked with their shard (s0:host-1)`,
    );
  }
  const qualified: MergeOutcome['qualified'] = [];
  for (const [i, { file, parsed, applied }] of indexes.entries()) {
    const label = separate && hasTokens(applied) ? `s${i}` : undefined;
    if (label) qualified.push({ file, label });
    for (const [id, f] of Object.entries(parsed.totals.byFinding)) {
      const prev = known.get(id);
      if (!prev || SEVERITY_ORDER[f.severity] < SEVERITY_ORDER[prev.severity]) known.set(id, { severity: f.severity, title: f.title });
    }
    for (const original of parsed.bundles) {
      const e = label ? qualifyEntry(original, label) : original;
      if (seen.has(e.source)) throw new Error(`${e.source} appears in both ${seen.get(e.source)} and ${file}: shards overlap`);
      seen.set(e.source, file);
      const reports = Object.fromEntries(
        Object.entries(e.reports).map(([fmt, rel]) => [fmt, linkPath(relative(resolve(outDir), resolve(dirname(file), rel)))]),
      );
      entries.push({ ...e, reports });
    }
  }
  const index = buildIndex(entries, known, files);
  writeIndex(index, outDir, formats);
  return { index, qualified };
}

/**
 * A report's path as a link: a merged index.json comes from elsewhere, and a "report" named
 * `javascript:...` or `https:...` next to the index would be read as a URL, not a file.
 */
export function linkPath(rel: string): string {
  return /^[A-Za-z][A-Za-z0-9+.-]*:/.test(rel) ? `./${rel}` : rel;
}
