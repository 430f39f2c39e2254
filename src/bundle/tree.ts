/**
 * What a read left: the bundle's file names, the files kept for parsing, results of streamed
 * files, and links resolved inside the bundle. The layouts see only this.
 */
import { resolveLinkTarget } from './paths.js';
import type { ContainerFormat } from './formats.js';

const MAX_LINK_HOPS = 16;
const MAX_NOTES = 200;

export class BundleTree {
  container: ContainerFormat | 'directory' = 'directory';
  /** every regular file seen, with its size */
  readonly entries = new Map<string, number>();
  /** files kept in memory for parsing */
  readonly files = new Map<string, Buffer>();
  /** what stream consumers returned, by path */
  readonly streamed = new Map<string, unknown>();
  /** link path -> the regular file (or folder) it resolves to inside the bundle */
  readonly links = new Map<string, string>();
  readonly nestedArchives: string[] = [];
  readonly notes: string[] = [];
  bytesRead = 0;
  private readonly rawLinks = new Map<string, { target: string; fromRoot?: string }>();
  private droppedNotes = 0;

  constructor(readonly source: string) {}

  note(message: string): void {
    if (this.notes.length < MAX_NOTES) this.notes.push(message);
    else this.droppedNotes++;
  }

  get omittedNotes(): number {
    return this.droppedNotes;
  }

  /** `fromRoot` set: a hard link whose target is named from that archive root. */
  addLink(path: string, target: string, fromRoot?: string): void {
    this.rawLinks.set(path, { target, fromRoot });
  }

  /** Settles every link once the whole bundle has been seen. Links out of the bundle, dangling or looping, are noted and dropped. */
  resolveLinks(): void {
    for (const [path, raw] of this.rawLinks) {
      const first =
        raw.fromRoot !== undefined ? (raw.fromRoot + raw.target).replace(/\/+$/, '') : resolveLinkTarget(path, raw.target);
      if (first === undefined) {
        this.note(`symlink ${path} -> ${raw.target} points outside the bundle; ignored`);
        continue;
      }
      const resolved = this.follow(first, new Set([path]));
      if (resolved === 'loop') this.note(`symlink ${path} -> ${raw.target} loops; ignored`);
      else if (resolved === undefined) this.note(`symlink ${path} -> ${raw.target} points to nothing in the bundle; ignored`);
      else this.links.set(path, resolved);
    }
  }

  private follow(path: string, seen: Set<string>): string | undefined | 'loop' {
    let current = path;
    for (let hop = 0; hop < MAX_LINK_HOPS; hop++) {
      if (this.entries.has(current) || this.isFolder(current)) return current;
      const raw = this.rawLinks.get(current);
      if (!raw) {
        const viaFolder = this.resolveThroughFolders(current, seen);
        return viaFolder;
      }
      if (seen.has(current)) return 'loop';
      seen.add(current);
      const next = raw.fromRoot !== undefined ? raw.fromRoot + raw.target : resolveLinkTarget(current, raw.target);
      if (next === undefined) return undefined;
      current = next;
    }
    return 'loop';
  }

  /** A path under a linked folder (`a/link/b` where `a/link -> ../x`). */
  private resolveThroughFolders(path: string, seen: Set<string>): string | undefined | 'loop' {
    const parts = path.split('/');
    for (let i = parts.length - 1; i > 0; i--) {
      const prefix = parts.slice(0, i).join('/');
      if (this.rawLinks.has(prefix) && !seen.has(prefix)) {
        const base = this.follow(prefix, new Set(seen));
        if (base === undefined || base === 'loop') return base;
        return this.follow(base + '/' + parts.slice(i).join('/'), seen);
      }
    }
    return undefined;
  }

  private folderCache?: Set<string>;
  isFolder(path: string): boolean {
    if (!this.folderCache) {
      this.folderCache = new Set();
      for (const p of this.entries.keys()) {
        let i = p.lastIndexOf('/');
        while (i > 0) {
          const dir = p.slice(0, i);
          if (this.folderCache.has(dir)) break;
          this.folderCache.add(dir);
          i = dir.lastIndexOf('/');
        }
      }
    }
    return this.folderCache.has(path);
  }

  /** The real path behind `path` (itself when it is not a link). */
  resolve(path: string): string {
    const direct = this.links.get(path);
    if (direct !== undefined) return direct;
    if (this.entries.has(path)) return path;
    const parts = path.split('/');
    for (let i = parts.length - 1; i > 0; i--) {
      const target = this.links.get(parts.slice(0, i).join('/'));
      if (target !== undefined) return this.resolve(target + '/' + parts.slice(i).join('/'));
    }
    return path;
  }

  /** Every file path a layout can see: regular files and links that resolve to one. */
  paths(): string[] {
    const out = [...this.entries.keys()];
    for (const [link, target] of this.links) if (this.entries.has(target)) out.push(link);
    return out;
  }

  has(path: string): boolean {
    return this.entries.has(this.resolve(path));
  }

  /** Kept content of a file (through links), or undefined when it was not kept. */
  read(path: string): Buffer | undefined {
    return this.files.get(this.resolve(path));
  }

  /** Drops a kept file's bytes once it has been parsed. */
  release(path: string): void {
    this.files.delete(this.resolve(path));
  }

  text(path: string): string | undefined {
    const buf = this.read(path);
    return buf === undefined ? undefined : buf.toString('utf8');
  }

  streamedResult(path: string): unknown {
    return this.streamed.get(this.resolve(path));
  }
}
