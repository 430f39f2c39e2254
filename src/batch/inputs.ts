/**
 * Turns what the user typed into a list of bundles: files, globs, folders of attachments
 * (a batch) and extracted bundles (one bundle), in a stable order.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type FastGlob from 'fast-glob';

/** fast-glob, loaded when a pattern or a folder of attachments needs it (a CommonJS module: loaded synchronously). */
let fgModule: typeof FastGlob | undefined;
const fg = (): typeof FastGlob => (fgModule ??= createRequire(import.meta.url)('fast-glob') as typeof FastGlob);
/** Characters without which a path is no glob pattern (saves loading fast-glob for plain paths). */
const GLOB_CHARS = /[*?[\]{}()!+@]/;

export type DirMode = 'auto' | 'bundle' | 'batch';

const ARCHIVE = /\.(tar\.gz|tgz|tar\.xz|txz|tar|zip|gz)$/i;
const BUNDLE_MARKERS = /^(sos_commands|insights_commands|host-collectors|cluster-resources|version\.yaml|sos_reports|etc|proc|var|run)$/;

export interface ExpandedInput {
  bundles: string[];
  /** inputs that named nothing: reported as failures */
  missing: { source: string; error: string }[];
}

export async function expandInputs(inputs: string[], mode: DirMode = 'auto'): Promise<ExpandedInput> {
  const bundles: string[] = [];
  const missing: ExpandedInput['missing'] = [];
  for (const input of inputs) {
    if (GLOB_CHARS.test(input) && fg().isDynamicPattern(input)) {
      const found = (await fg()(input, { onlyFiles: false, dot: false, followSymbolicLinks: false, unique: true })).sort();
      if (found.length === 0) missing.push({ source: input, error: `${input}: the pattern matches no file` });
      for (const f of found) bundles.push(...expandPath(f, mode, missing));
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
    if (st.isDirectory()) bundles.push(...expandPath(input, mode, missing));
    else bundles.push(input);
  }
  return { bundles: [...new Set(bundles)], missing };
}

function expandPath(path: string, mode: DirMode, missing: ExpandedInput['missing']): string[] {
  let st;
  try {
    st = statSync(path);
  } catch {
    return [path];
  }
  if (!st.isDirectory()) return [path];
  if (mode === 'bundle') return [path];
  if (mode === 'batch' || isBatchFolder(path)) {
    const found = archivesIn(path);
    // an empty batch is said, not silently skipped
    if (found.length === 0) missing.push({ source: path, error: `${path}: no bundle archives in this folder (.tar.gz, .tgz, .tar.xz, .tar, .zip, .gz)` });
    return found;
  }
  return [path];
}

/**
 * A folder is a batch when it holds archives and nothing that marks an extracted bundle
 * at its top; an extracted bundle is analyzed as one.
 */
export function isBatchFolder(dir: string): boolean {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return false;
  }
  if (names.some((n) => BUNDLE_MARKERS.test(n))) return false;
  // a sosreport / troubleshoot folder one level down is a bundle too
  for (const n of names) {
    try {
      if (statSync(join(dir, n)).isDirectory() && readdirSync(join(dir, n)).some((m) => BUNDLE_MARKERS.test(m))) return false;
    } catch {
      // unreadable sub-folder: does not decide
    }
  }
  return archivesIn(dir).length > 0;
}

/**
 * The archives in a folder of attachments, sub-folders included. A symlink to an archive counts
 * (attachment folders are often links into a ticket store); symlinked folders are not descended
 * into, so a link loop cannot make the walk endless.
 */
function archivesIn(dir: string): string[] {
  return fg()
    .sync('**/*', { cwd: dir, onlyFiles: false, followSymbolicLinks: false, dot: false, stats: false })
    .filter((f) => ARCHIVE.test(f) && isFile(join(dir, f)))
    .sort()
    .map((f) => join(dir, f));
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
