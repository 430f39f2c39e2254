/**
 * Turns what the user typed into a list of bundles: files, globs, folders of attachments
 * (a batch) and extracted bundles (one bundle), in a stable order.
 */
import { closeSync, openSync, readdir, readdirSync, readSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { createRequire } from 'node:module';
import type FastGlob from 'fast-glob';
import { ownOutput } from '../bundle/formats.js';

/** fast-glob, loaded when a pattern or a folder of attachments needs it (a CommonJS module: loaded synchronously). */
let fgModule: typeof FastGlob | undefined;
const fg = (): typeof FastGlob => (fgModule ??= createRequire(import.meta.url)('fast-glob') as typeof FastGlob);
/** Characters without which a path is no glob pattern (saves loading fast-glob for plain paths). */
const GLOB_CHARS = /[*?[\]{}()!+@]/;

export type DirMode = 'auto' | 'bundle' | 'batch';

const ARCHIVE = /\.(tar\.gz|tgz|tar\.xz|txz|tar|zip|gz)$/i;
/**
 * An archive that is a bundle in its own right (a tar or a zip of many files), not a rotated
 * single-file log (`messages-1.gz`): two of them in a folder are two tickets, not one bundle.
 */
const BUNDLE_ARCHIVE = /\.(tar\.gz|tgz|tar\.xz|txz|tar|zip)$/i;
const BUNDLE_MARKERS = /^(sos_commands|insights_commands|host-collectors|cluster-resources|version\.yaml|sos_reports|etc|proc|var|run)$/;

export interface ExpandedInput {
  bundles: string[];
  /** inputs that named nothing (a pattern matching no file, a batch folder without archives): reported as failures */
  missing: { source: string; error: string; code: 'not-found' | 'empty' }[];
  /**
   * How a folder holding bundle archives was guessed (no --as-bundle / --as-batch), one line
   * each, naming the option that reads it the other way: for the CLI to print on stderr.
   */
  notes: { source: string; note: string }[];
}

/** How a folder argument is taken, for the library (the CLI's --as-bundle / --as-batch). */
export interface InputOptions {
  /** a folder is one extracted bundle */
  asBundle?: boolean;
  /** a folder is a folder of bundle archives (a batch) */
  asBatch?: boolean;
}

/** The folder mode of InputOptions; both at once is the caller's mistake. */
export function dirModeOf(options: InputOptions): DirMode {
  if (options.asBundle && options.asBatch) throw new TypeError('asBundle and asBatch exclude each other');
  return options.asBundle ? 'bundle' : options.asBatch ? 'batch' : 'auto';
}

export async function expandInputs(inputs: string[], mode: DirMode = 'auto'): Promise<ExpandedInput> {
  const bundles: string[] = [];
  const missing: ExpandedInput['missing'] = [];
  const notes: ExpandedInput['notes'] = [];
  for (const input of inputs) {
    // a file or folder that exists under exactly this name is what was meant, even when its name
    // reads as a pattern (`ticket[1].tgz`): a path found by a pattern can be given again as is
    if (GLOB_CHARS.test(input) && fg().isDynamicPattern(input) && !exists(input)) {
      const unreadable: string[] = [];
      const found = await fg()(input, { onlyFiles: false, dot: false, followSymbolicLinks: false, unique: true, ...skipUnreadable(unreadable) });
      // a folder the pattern had to look into but could not: a failed input of its own (the
      // reader says why: permission denied), spelled like the paths the pattern matched
      const failed = new Set(unreadable.map((dir) => spelledLike(input, dir)));
      if (found.length === 0 && failed.size === 0) missing.push({ source: input, error: `${input}: the pattern matches no file`, code: 'not-found' });
      for (const f of [...found, ...failed].sort()) bundles.push(...(failed.has(f) ? [f] : await expandPath(f, mode, missing, notes)));
      continue;
    }
    let st;
    try {
      st = statSync(input);
    } catch {
      // left to the reader, which names the problem in one line
      bundles.push(input);
      continue;
    }
    if (st.isDirectory()) bundles.push(...(await expandPath(input, mode, missing, notes)));
    else bundles.push(input);
  }
  return { bundles: once(bundles), missing, notes };
}

/** An absolute path found under a pattern, spelled from the pattern's base as fast-glob spells its matches (`../t/x`, `/abs/t/x`). */
function spelledLike(pattern: string, path: string): string {
  for (const { base } of fg().generateTasks(pattern)) {
    const rel = relative(resolve(base), path);
    if (rel.split(sep)[0] === '..' || isAbsolute(rel)) continue;
    // not join(): it would drop the `./` that fast-glob keeps in its matches
    return !rel ? base : base === '.' ? rel : `${base.endsWith('/') ? base : base + '/'}${rel}`;
  }
  return relative(process.cwd(), path) || '.';
}

/** Each bundle once, however it was named (`a.tgz`, `./a.tgz`, its absolute path), first spelling kept. */
function once(paths: string[]): string[] {
  const seen = new Map<string, string>();
  for (const p of paths) {
    const key = resolve(p);
    if (!seen.has(key)) seen.set(key, p);
  }
  return [...seen.values()];
}

async function expandPath(path: string, mode: DirMode, missing: ExpandedInput['missing'], notes: ExpandedInput['notes']): Promise<string[]> {
  let st;
  try {
    st = statSync(path);
  } catch {
    return [path];
  }
  if (!st.isDirectory()) return [path];
  if (mode === 'bundle') return [path];
  const kind = mode === 'batch' ? undefined : await folderKind(path);
  if (mode === 'batch' || kind!.batch) {
    const found = await batchInputs(path);
    // an empty batch is said, not silently skipped (unreadable folders in it are failed inputs already)
    if (found.length === 0) missing.push({ source: path, error: `${path}: no bundle archives in this folder (.tar.gz, .tgz, .tar.xz, .tar, .zip, .gz)`, code: 'empty' });
    // two archives made it a batch where its other content alone would have made it one bundle
    else if (kind?.why) notes.push({ source: path, note: `${path}: read as ${found.length} bundles, one per archive, loose log or extracted bundle in it (it holds ${plural(kind.archives, 'bundle archive')}, beside ${kind.why}); --as-bundle reads it as one bundle` });
    return found;
  }
  if (kind!.archives > 0)
    notes.push({ source: path, note: `${path}: read as one bundle (${kind!.why}), with the ${plural(kind!.archives, 'archive')} in it; --as-batch reads one bundle per archive and loose log` });
  return [path];
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/**
 * A folder is a batch when it holds archives, nothing that marks an extracted bundle at its
 * top, and no other file that is bundle content (named like an artifact or a log, or starting
 * like one): ticket notes beside the attachments do not make it a bundle, while a hand-made
 * bundle keeps its rotated logs (.gz) or a nested sosreport beside the command outputs it is
 * made of. An extracted bundle is analyzed as one. A folder with two or more bundle archives
 * (tar, zip: not rotated `.gz` logs) that does not mark an extracted bundle at its top is a batch
 * whatever else it holds: a log attached beside the tickets' archives is an input of its own.
 */
export async function isBatchFolder(dir: string): Promise<boolean> {
  return (await folderKind(dir)).batch;
}

interface FolderKind {
  batch: boolean;
  /** bundle archives (tar, zip) in it, outside extracted bundles in its sub-folders */
  archives: number;
  /** what else in it is bundle content (says why it is one bundle, or what a batch overrode) */
  why?: string;
}

async function folderKind(dir: string): Promise<FolderKind> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return { batch: false, archives: 0 };
  }
  const marker = names.find((n) => BUNDLE_MARKERS.test(n));
  const { files } = filesIn(dir);
  if (marker) return { batch: false, archives: files.filter((f) => BUNDLE_ARCHIVE.test(f)).length, why: `an extracted bundle: ${marker} at its top` };
  // a sosreport / troubleshoot folder one level down is a bundle too
  const extracted = extractedSubfolders(dir, names);
  const outside = files.filter((f) => !extracted.some((d) => f.startsWith(`${d}/`)));
  const archives = outside.filter((f) => BUNDLE_ARCHIVE.test(f)).length;
  if (archives >= 2) {
    // a hand-made bundle: two or more command outputs at its top (iptables-save, ip addr, sysctl) beside the archives
    // it also holds, is one node's bundle, not tickets with a log beside them (R20: its findings vanished when split)
    // each file's head is read once: the top's content decides, and names the note's example
    const top = await bundleContent(dir, outside.filter((f) => !f.includes('/') && !ARCHIVE.test(f)), Infinity);
    const outputs = await commandOutputs(top);
    if (outputs.length >= 2) return { batch: false, archives, why: `its top holds command output (${outputs.slice(0, 2).join(', ')}) beside them: a hand-made bundle` };
    const content = extracted.length > 0 ? [`the extracted bundle ${extracted[0]}/`] : [];
    const loose = top.length > 0 ? top : await bundleContent(dir, outside.filter((f) => f.includes('/') && !ARCHIVE.test(f)), 1);
    if (loose.length > 0) content.push(`bundle content such as ${loose[0]}`);
    return { batch: true, archives, why: content.length > 0 ? content.join(' and ') : undefined };
  }
  if (extracted.length > 0) return { batch: false, archives, why: `an extracted bundle in ${extracted[0]}/` };
  if (!files.some((f) => ARCHIVE.test(f))) return { batch: false, archives };
  const content = await bundleContent(dir, files.filter((f) => !ARCHIVE.test(f)), 1);
  if (content.length > 0) return { batch: false, archives, why: `its other files are bundle content, such as ${content[0]}` };
  return { batch: true, archives };
}

/** The sub-folders (names, sorted) that are extracted bundles: a marker (sos_commands, version.yaml, ...) at their top. */
function extractedSubfolders(dir: string, names: string[]): string[] {
  const found: string[] = [];
  for (const n of names) {
    try {
      if (statSync(join(dir, n)).isDirectory() && readdirSync(join(dir, n)).some((m) => BUNDLE_MARKERS.test(m))) found.push(n);
    } catch {
      // unreadable sub-folder: does not decide
    }
  }
  return found.sort();
}

/**
 * The inputs of a batch folder: its archives (sub-folders included), each extracted bundle in a
 * sub-folder of its own, and each loose file at its top that is bundle content (a log attached
 * beside the archives: a single-file bundle); ticket notes and earlier reports are left out.
 * A symlink to an archive counts (attachment folders are often links into a ticket store);
 * symlinked folders are not descended into, so a link loop cannot make the walk endless. A
 * sub-folder that cannot be read (no permission) is listed among them, sorted in its place: it
 * fails alone as an input of its own (the reader says `permission denied`), and the rest of the
 * batch is analyzed.
 */
async function batchInputs(dir: string): Promise<string[]> {
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    // unreadable: filesIn lists the folder itself (''), which fails alone
  }
  const extracted = extractedSubfolders(dir, names);
  const { files, unreadable } = filesIn(dir);
  const outside = files.filter((f) => !extracted.some((d) => f.startsWith(`${d}/`)));
  const loose = await bundleContent(
    dir,
    outside.filter((f) => !f.includes('/') && !ARCHIVE.test(f)),
    Infinity,
  );
  return [...outside.filter((f) => ARCHIVE.test(f)), ...unreadable, ...extracted, ...loose]
    .sort()
    .map((f) => (f === '' ? dir : join(dir, f)));
}

/** Other files looked at before a folder with archives is taken for a batch. */
const MAX_CONTENT_CHECKS = 500;
/** layouts/wanted.ts SNIFF_BYTES, not imported: that module loads only when a sniffer is needed (a test checks they agree) */
export const HEAD_BYTES = 4096;

/** Up to `max` of `all` (relative to `dir`) that are bundle content: named or starting like an artifact or a log, not our own reports. */
async function bundleContent(dir: string, all: string[], max: number): Promise<string[]> {
  const heads = new Map<string, Buffer | undefined>();
  const headOf = (rel: string) => (heads.has(rel) ? heads.get(rel) : heads.set(rel, readHead(join(dir, rel))).get(rel));
  // an earlier run's reports saved beside the attachments (-o tickets/out) are not bundle content
  const others = all.slice(0, MAX_CONTENT_CHECKS).filter((rel) => {
    const head = headOf(rel);
    return !head || ownOutput(head) === undefined;
  });
  if (others.length === 0) return [];
  // loaded only for a folder that mixes archives and other files
  const [{ isWantedPath }, { logSourceOf }, { sniffHead }] = await Promise.all([
    import('../layouts/wanted.js'),
    import('../layouts/logs.js'),
    import('../layouts/locate.js'),
  ]);
  const found: string[] = [];
  for (const rel of others) {
    if (found.length >= max) break;
    if (isWantedPath(rel) || logSourceOf(rel)) {
      found.push(rel);
      continue;
    }
    const head = headOf(rel);
    // unreadable: does not decide
    if (head && sniffHead(head)) found.push(rel);
  }
  return found;
}

/** Up to two of `content` (bundle content at a folder's top) that are command output, not logs: no log rule names them and no `.log` ends them. */
async function commandOutputs(content: string[]): Promise<string[]> {
  if (content.length < 2) return [];
  const { logSourceOf } = await import('../layouts/logs.js');
  return content.filter((rel) => !logSourceOf(rel) && !/\.log(?:\.\d+)?$|(?:^|[-_.])(?:messages|syslog|journal(?:ctl)?|dmesg)(?:[-_.]|$)/i.test(rel)).slice(0, 2);
}

/** A file's first 4 KiB (what the sniffers and ownOutput read), or undefined when it cannot be read. */
function readHead(path: string): Buffer | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(HEAD_BYTES);
    return head.subarray(0, readSync(fd, head, 0, head.length, 0));
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Regular files in a folder and its sub-folders (symlinks to files included), relative, sorted;
 * and the folders that could not be read (relative, '' for `dir` itself), skipped by the walk.
 */
function filesIn(dir: string): { files: string[]; unreadable: string[] } {
  const unreadable: string[] = [];
  const files = fg()
    .sync('**/*', { cwd: dir, onlyFiles: false, followSymbolicLinks: false, dot: false, stats: false, ...skipUnreadable(unreadable) })
    .filter((f) => isFile(join(dir, f)))
    .sort();
  const root = resolve(dir);
  return { files, unreadable: [...new Set(unreadable.map((d) => relative(root, d)))].sort() };
}

/**
 * fast-glob options under which a folder it cannot read (EACCES, EPERM, EIO, ...) is skipped
 * instead of ending the whole walk (its default rejects with the first such error, and the batch
 * had nothing to analyze): each is noted (an absolute path: fast-glob reads `cwd`-resolved paths)
 * in `unreadable`, so that it is not lost silently. ENOENT (a folder removed during the walk) is
 * skipped unnoted, as fast-glob always does.
 */
function skipUnreadable(unreadable: string[]): { suppressErrors: true; fs: { readdir: typeof readdir; readdirSync: typeof readdirSync } } {
  const note = (dir: unknown, err: unknown) => {
    const code = (err as NodeJS.ErrnoException | null)?.code;
    if (err && code !== 'ENOENT') unreadable.push(resolve(String(dir)));
  };
  const watchedReaddir = (dir: string, ...rest: unknown[]) => {
    const done = rest.pop() as (err: NodeJS.ErrnoException | null, entries?: unknown) => void;
    const cb = (err: NodeJS.ErrnoException | null, entries?: unknown) => {
      note(dir, err);
      done(err, entries);
    };
    (readdir as unknown as (...args: unknown[]) => void)(dir, ...rest, cb);
  };
  const watchedReaddirSync = (dir: string, ...rest: unknown[]) => {
    try {
      return (readdirSync as unknown as (...args: unknown[]) => unknown)(dir, ...rest);
    } catch (err) {
      note(dir, err);
      throw err;
    }
  };
  return { suppressErrors: true, fs: { readdir: watchedReaddir as unknown as typeof readdir, readdirSync: watchedReaddirSync as unknown as typeof readdirSync } };
}

function exists(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false }) !== undefined;
  } catch {
    return false;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
