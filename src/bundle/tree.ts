/**
 * What a read left: the bundle's file names, the files kept for parsing, results of streamed
 * files, and links resolved inside the bundle. The layouts see only this.
 */
import { resolveLinkTarget } from './paths.js';
import type { ContainerFormat } from './formats.js';

/** released files kept for quoting: each at most, and all together */
const QUOTE_FILE_BYTES = 1024 * 1024;
const QUOTE_TOTAL_BYTES = 32 * 1024 * 1024;

const MAX_LINK_HOPS = 16;
/**
 * Link substitutions one resolve() may make. A link into its own folder (`x -> x/y`) or two that
 * point into each other make every path through them longer at each step: past this, the path
 * is taken as it is (as the system would say ELOOP).
 */
const MAX_RESOLVE_STEPS = 40;
const MAX_NOTES = 200;

export class BundleTree {
  container: ContainerFormat | 'directory' = 'directory';
  /** every regular file seen, with its size */
  readonly entries = new Map<string, number>();
  /** files kept in memory for parsing */
  readonly files = new Map<string, Buffer>();
  /** when each file was last written (epoch ms), where the archive or file system said so plausibly (see EntryInfo.mtime) */
  readonly mtimes = new Map<string, number>();
  /** released small files, kept for quoting */
  private readonly quotable = new Map<string, Buffer>();
  private quotedBytes = 0;
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

  /** Links seen, resolved or not (before resolveLinks, `links` is still empty). */
  get linkCount(): number {
    return this.rawLinks.size;
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
      // a link to its own folder or below it (`x -> x/y`): every path through it goes round again
      if (resolved === 'loop' || resolved === path || (resolved !== undefined && resolved.startsWith(path + '/')))
        this.note(`symlink ${path} -> ${raw.target} loops; ignored`);
      else if (resolved === undefined) this.note(`symlink ${path} -> ${raw.target} points to nothing in the bundle; ignored`);
      else this.links.set(path, resolved);
    }
    // Links that lead into each other (`a -> b/c`, `b -> a/d`, with files under both) loop only
    // for the paths through them: each is tried once, and one that does not settle is dropped.
    for (const [path, target] of [...this.links]) {
      if (this.settle(path + '/\0') !== undefined) continue;
      this.links.delete(path);
      this.note(`symlink ${path} -> ${this.rawLinks.get(path)?.target ?? target} loops; ignored`);
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

  /** The real path behind `path` (itself when it is not a link, or when its links go round). */
  resolve(path: string): string {
    return this.settle(path) ?? path;
  }

  /** The real path behind `path`, or undefined when it does not settle within MAX_RESOLVE_STEPS. */
  private settle(path: string): string | undefined {
    let current = path;
    for (let step = 0; step <= MAX_RESOLVE_STEPS; step++) {
      const direct = this.links.get(current);
      if (direct !== undefined) return direct;
      if (this.entries.has(current)) return current;
      let next: string | undefined;
      for (let i = current.lastIndexOf('/'); i > 0; i = current.lastIndexOf('/', i - 1)) {
        const target = this.links.get(current.slice(0, i));
        if (target !== undefined) {
          next = target + current.slice(i);
          break;
        }
      }
      if (next === undefined) return current;
      current = next;
    }
    return undefined;
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

  /**
   * Drops a kept file's bytes once it has been parsed. A small one stays, within a small budget,
   * for quoting the lines findings cite (see engine/quote.ts); a big rules dump does not.
   */
  release(path: string): void {
    const key = this.resolve(path);
    const buf = this.files.get(key);
    if (buf === undefined) return;
    this.files.delete(key);
    if (buf.length <= QUOTE_FILE_BYTES && this.quotedBytes + buf.length <= QUOTE_TOTAL_BYTES) {
      this.quotable.set(key, buf);
      this.quotedBytes += buf.length;
    }
  }

  /** A kept file's bytes, or a released small one's: for quoting cited lines. */
  quoteSource(path: string): Buffer | undefined {
    const key = this.resolve(path);
    return this.files.get(key) ?? this.quotable.get(key);
  }

  text(path: string): string | undefined {
    const buf = this.read(path);
    return buf === undefined ? undefined : buf.toString('utf8');
  }

  streamedResult(path: string): unknown {
    return this.streamed.get(this.resolve(path));
  }
}
