/**
 * Paths inside a bundle. Nothing is ever written to disk, but names still matter: a hostile
 * `../../etc/x` must never be confused with a real file of the bundle, and a symlink must only
 * ever resolve to another entry of the same bundle.
 */
import { posix } from 'node:path';

export type NormalizedPath = { path: string; note?: string } | { path: undefined; note: string };

/**
 * Makes an archive entry name relative and clean; entries that climb out of the root are refused. A
 * backslash separates folders in a zip made on Windows; in a tar it is a character of the name (a
 * Linux file may hold one), so tar entries keep it (R19: `node\x` was shown as `node/x`).
 */
export function normalizeEntryPath(raw: string, backslashIsSeparator = true): NormalizedPath {
  let name = backslashIsSeparator ? raw.replace(/\\/g, '/') : raw;
  let note: string | undefined;
  if (name.startsWith('/')) {
    note = `absolute entry name ${JSON.stringify(raw)} read as relative`;
    name = name.replace(/^\/+/, '');
  }
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) return { path: undefined, note: `entry ${JSON.stringify(raw)} climbs out of the bundle; ignored` };
      parts.pop();
      continue;
    }
    parts.push(part);
  }
  if (parts.length === 0) return { path: undefined, note: `entry ${JSON.stringify(raw)} has no usable name; ignored` };
  return { path: parts.join('/'), note };
}

/**
 * Resolves a symlink target against the link's own folder, inside the bundle. Returns undefined
 * when the target is absolute or climbs above the bundle root: such a link would read the host.
 */
export function resolveLinkTarget(linkPath: string, target: string): string | undefined {
  if (target.startsWith('/')) return undefined;
  const joined = posix.join(posix.dirname(linkPath), target);
  if (joined.startsWith('..') || joined === '.' ) return undefined;
  return posix.normalize(joined);
}

export function basename(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? path : path.slice(i + 1);
}

export function dirname(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

/** Path of `path` relative to `root` (a folder path, '' for the bundle root), or undefined if outside. */
export function relativeTo(root: string, path: string): string | undefined {
  if (root === '') return path;
  if (path === root) return '';
  return path.startsWith(root + '/') ? path.slice(root.length + 1) : undefined;
}
