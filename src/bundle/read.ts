/**
 * Reads a bundle (archive or folder) in one streaming pass. Nothing is extracted to disk:
 * small files the layouts may want are kept in memory, big ones (logs) are handed to a
 * streaming consumer as their bytes go by, everything else is skipped. Symlinks are kept
 * as links and resolved later, inside the bundle only.
 */
import { createReadStream } from 'node:fs';
import { lstat, open, opendir, readlink } from 'node:fs/promises';
import { basename as hostBasename, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tarStream from 'tar-stream';

type TarEntry = ReturnType<typeof tarStream.extract> extends AsyncIterable<infer E> ? E : never;
import { decodedUtf16Chunks, decodeUtf16, utf16Of } from './encoding.js';
import { BundleError, explainReadError } from './errors.js';
import { archiveLikeName, compressedFileName, detectFormat, isTarHeader, looksLikeText, ownOutput, withoutNul, type ContainerFormat } from './formats.js';
import { normalizeEntryPath } from './paths.js';
import { BundleTree } from './tree.js';
import { loadXzDecoder, type XzDecoder } from './xz.js';

export interface ReadLimits {
  /** entries across the bundle and its nested archives */
  maxEntries: number;
  /** uncompressed bytes read in all */
  maxTotalBytes: number;
  /** past this many expanded bytes, a compression ratio above maxRatio is taken for a bomb */
  ratioCheckAfterBytes: number;
  maxRatio: number;
  /**
   * the same check earlier, for a ratio no real bundle comes near: past this many expanded
   * bytes, a compression ratio above maxEarlyRatio is taken for a bomb
   */
  earlyRatioCheckAfterBytes: number;
  maxEarlyRatio: number;
  /** a file kept in memory for parsing may be at most this big; bigger ones are noted and skipped */
  maxKeptFileBytes: number;
  maxKeptTotalBytes: number;
  /** archives inside archives */
  maxDepth: number;
}

/**
 * What all kept files of one bundle may hold together. Parsing costs several times the bytes it
 * reads (a 180,000-line kube-proxy iptables-save is ~20 MB and takes ~185 MB of memory to
 * parse), and the parsed artifacts of every node stay until the report is written: this bounds
 * the memory of a bundle whose every node holds a huge rules dump, below Node's default heap
 * limit (~4 GB here). 256 MiB holds a dozen such kube-proxy nodes, or a sosreport's same rules in
 * four formats for three of them; a bundle of sixteen nodes with 60 MB dumps each (1 GB of kept
 * files, 4.6 GB of memory before it died) now parses four of them in 1.9 GB and notes the rest
 * (160 MiB: 1.1 GB). Past it, files are skipped with a note.
 */
const KEPT_TOTAL_BYTES = 256 * 1024 ** 2;

export const DEFAULT_LIMITS: ReadLimits = {
  maxEntries: 250_000,
  maxTotalBytes: 16 * 1024 ** 3,
  ratioCheckAfterBytes: 2 * 1024 ** 3,
  maxRatio: 250,
  // A bomb of zeros expands 1,030:1 through gzip, 6,800:1 through xz; real bundles stay far
  // below 500:1: 7:1 to 18:1 for the example bundles, the corpus' archives and the bench's
  // 220 MB-log bundle (.tgz 7.2:1, .zip 7.1:1, .tar.xz 11.5:1), 31:1 (gzip -9) and 116:1 (xz)
  // for a kubelet log repeating one error every 137 ms. Refused at 256 MiB instead of 2 GiB, a
  // gzip bomb costs ~1 s of CPU instead of ~40.
  earlyRatioCheckAfterBytes: 256 * 1024 ** 2,
  maxEarlyRatio: 500,
  maxKeptFileBytes: 64 * 1024 ** 2,
  maxKeptTotalBytes: KEPT_TOTAL_BYTES,
  maxDepth: 3,
};

export interface EntryInfo {
  path: string;
  size: number;
  /** a `.gz` file inside the bundle (rotated log): the chunks handed over are still compressed */
  gzipped: boolean;
  /** the entry is the whole input: a file given on its own, plain or as one compressed file */
  sole?: boolean;
  /**
   * when the file was last written (epoch ms), as the archive or the file system states it: an
   * upper bound for the times in it (a year-less log line lies before it); absent when unknown
   * or implausible (0, the zip format's 1980 floor, ahead of now)
   */
  mtime?: number;
}

/** Consumes an entry's bytes as they stream by; what it returns is kept on the tree under the path. */
export type StreamConsumer = (chunks: AsyncIterable<Buffer>, info: EntryInfo, reader: StreamReader) => Promise<unknown>;

/** What a consumer may ask of the reader. */
export interface StreamReader {
  /**
   * Keep these bytes as the entry's file for parsing, as if keep() had said so: false (and a
   * note) when they are over the parsed-file limits. For a consumer that finds out from a
   * file's first bytes that it is not what it streams (an iptables dump with a name that says
   * nothing), or that keeps a copy for the sniffers (a file given on its own).
   */
  keep(data: Buffer): boolean;
  /** the most a kept file may hold */
  readonly maxKeptFileBytes: number;
  /** notes that the file grew past maxKeptFileBytes and is not kept */
  tooBig(): void;
  /** a reading note about this file (`<path>: ` is prepended) */
  note(message: string): void;
}

export interface ReadOptions {
  limits?: Partial<ReadLimits>;
  /** keep this file in memory for parsing */
  keep: (info: EntryInfo) => boolean;
  /** stream this file to a consumer instead (checked before keep) */
  streamTo?: (info: EntryInfo) => StreamConsumer | undefined;
  signal?: AbortSignal;
}

/**
 * Read and decompress size. Each chunk is a round trip between the decompressing thread and the
 * analysis: bigger chunks mean fewer of them, and the decoder waits less for the scanner to ask
 * for more. Measured on the bench's 220 MB-log bundle (2 vCPUs, runs interleaved): gzip 256 KiB
 * 1.33-1.56 s, 1 MiB 1.15-1.33 s, peak RSS 104 -> 110 MB; the same as .tar.xz, where
 * node-liblzma's default is 8 KiB: 3.56 s -> 2.18-2.36 s (xzcat: 1.40 s).
 */
const CHUNK = 1024 * 1024;

/**
 * The xz decoder (a native addon, or WebAssembly: see xz.ts) and the zip reader are loaded for the
 * first bundle that needs them, not at start: most bundles are .tar.gz, and every command pays
 * for what it imports. Load them before a stream starts flowing (a stream that flows with no
 * reader loses its data).
 */
let xzDecoder: XzDecoder | undefined;
async function loadXz(input: string): Promise<XzDecoder> {
  try {
    return (xzDecoder ??= await loadXzDecoder());
  } catch (err) {
    throw new BundleError(`${input}: cannot decode xz: ${(err as Error).message.split('\n')[0]}`, 'unreadable');
  }
}
let zipModule: typeof import('./zip.js') | undefined;
async function loadZip(): Promise<typeof import('./zip.js')> {
  return (zipModule ??= await import('./zip.js'));
}

export async function readBundle(input: string, options: ReadOptions): Promise<BundleTree> {
  const reader = new Reader(input, options);
  await reader.readInput();
  const tree = reader.finish();
  // a bundle of symlinks alone (R33: a folder of links to files elsewhere): links out of the bundle are never followed
  if (tree.entries.size === 0 && tree.paths().length === 0)
    throw new BundleError(
      `${input}: the bundle holds only symlinks (${tree.linkCount}) and none points to a file inside it; links pointing outside the bundle are not followed: copy the files in (cp -L) and run again`,
      'empty',
    );
  return tree;
}

class Reader {
  readonly limits: ReadLimits;
  readonly tree: BundleTree;
  private entryCount = 0;
  private expandedBytes = 0;
  private compressedBytes = 0;
  /**
   * The input's compressed bytes read from the file that its gzip decoder has not taken in yet
   * (up to a 1 MiB read chunk): left out of the early ratio check, which would otherwise weigh a
   * bomb's first chunk whole against the little it has expanded to so far.
   */
  private notYetDecoded: () => number = () => 0;
  private readFromInput = 0;
  private keptBytes = 0;
  /** the input file's modification time: a file given on its own (plain or one compressed file) was written no later */
  private inputMtime: number | undefined;

  constructor(
    readonly input: string,
    readonly options: ReadOptions,
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.tree = new BundleTree(input);
  }

  async readInput(): Promise<void> {
    let st;
    try {
      st = await lstat(this.input);
    } catch (err) {
      throw explainReadError(err, this.input);
    }
    if (st.isSymbolicLink()) {
      // The input itself may be a link the user made; follow that one (it is theirs, not the bundle's).
      const { stat } = await import('node:fs/promises');
      st = await stat(this.input).catch((err) => {
        throw explainReadError(err, this.input);
      });
    }
    if (st.isDirectory()) {
      this.tree.container = 'directory';
      await this.readDirectory(this.input, '');
    } else if (st.isFile()) {
      this.inputMtime = st.mtimeMs;
      await this.readFileInput(st.size);
    } else {
      throw new BundleError(`${this.input}: not a file or directory`, 'unreadable');
    }
    if (this.tree.entries.size === 0 && this.tree.linkCount === 0 && this.firstUnreadable !== undefined)
      throw new BundleError(`${this.input}: no file of the folder could be read (${this.firstUnreadable})`, 'unreadable');
    if (this.tree.entries.size === 0 && this.tree.linkCount === 0)
      throw new BundleError(`${this.input}: the bundle contains no files`, 'empty');
  }

  finish(): BundleTree {
    this.tree.bytesRead = this.expandedBytes;
    this.tree.resolveLinks();
    return this.tree;
  }

  private async readFileInput(size: number): Promise<void> {
    if (size === 0) throw new BundleError(`${this.input}: the file is empty`, 'empty');
    const head = await readHead(this.input);
    const format = detectFormat(head);
    this.tree.container = format;
    if (format === 'gzip' || format === 'tar' || format === 'xz') {
      if (format === 'xz') await loadXz(this.input);
      const counted = this.countCompressed(createReadStream(this.input, { highWaterMark: CHUNK }));
      try {
        await this.readArchive(counted, format, '', 0, hostBasename(this.input));
      } catch (err) {
        throw explainReadError(err, this.input);
      }
      return;
    }
    if (format === 'zip') {
      try {
        // the whole file is the compressed data the ratio check weighs (a 4 MB zip of 4 GiB of zeros)
        this.compressedBytes += size;
        await (await loadZip()).readZip({ path: this.input }, this.zipSink('', 0), CHUNK);
      } catch (err) {
        throw explainReadError(err, this.input);
      }
      if (this.entryCount === 0) throw new BundleError(`${this.input}: the archive contains no files`, 'empty');
      return;
    }
    if (format === 'text') {
      const name = hostBasename(this.input);
      // An error page or a half-written file saved under an archive's name: not a bundle.
      const promised = promisedFormat(name);
      if (promised)
        throw new BundleError(`${this.input}: named like ${promised} data but holds plain text (an error page or a failed download saved in its place?)`, 'corrupt');
      // Our own output fed back in: its finding titles would match the log signatures they name.
      const own = ownOutput(decodeUtf16(head));
      if (own)
        throw new BundleError(`${this.input}: a bundle-doctor ${own}, not a bundle${own === 'batch index' ? ' (to join the indexes of shards: bundle-doctor merge)' : ''}`, 'unknown-format');
      // A single command output or log attached on its own: a one-file bundle.
      await this.handleEntry(name, size, () => createReadStream(this.input, { highWaterMark: CHUNK }), 0, true, this.inputMtime);
      return;
    }
    throw new BundleError(unsupportedMessage(this.input, format), 'unknown-format');
  }

  private countCompressed(source: Readable): Readable {
    source.on('data', (chunk: Buffer) => {
      this.compressedBytes += chunk.length;
      this.readFromInput += chunk.length;
    });
    return source;
  }

  /**
   * Reads a gzip, xz or tar stream whose entries land under `prefix`. A compressed stream that
   * holds no tar is a single compressed file (a rotated log attached on its own): it becomes one entry.
   */
  private async readArchive(source: Readable, format: ContainerFormat, prefix: string, depth: number, name: string): Promise<void> {
    const gunzip = format === 'gzip' ? createGunzip({ chunkSize: CHUNK }) : undefined;
    // the input itself (not a nested archive): what its decoder has taken in is known exactly
    if (gunzip && depth === 0) this.notYetDecoded = () => Math.max(0, this.readFromInput - gunzip.bytesWritten);
    const plain = gunzip
      ? source.pipe(gunzip)
      : format === 'xz'
          ? (xzDecoder ?? (await loadXz(this.input))).unxz(source, CHUNK)
          : source;
    // A decompressor error must reach whoever reads `plain`.
    if (plain !== source) source.on('error', (err) => plain.destroy(err));
    const { head, rest } = await peek(plain, 512);
    if (head.length === 0) throw new BundleError(`${this.input}: the archive contains no files`, 'empty');
    if (!isTarHeader(head) && !head.subarray(0, 512).every((b) => b === 0)) {
      if (format !== 'tar' && (looksLikeText(head) || utf16Of(head) !== undefined)) {
        const inner = name.replace(/\.(gz|xz)$/i, '') || 'file';
        await this.handleEntry(prefix + inner, 0, () => rest, depth, depth === 0, depth === 0 ? this.inputMtime : undefined);
        return;
      }
      throw new BundleError(`${this.input}: ${format === 'tar' ? 'corrupt tar archive (invalid header)' : `${format} data that holds neither a tar archive nor text`}`, 'corrupt');
    }
    // old (v7) archives have no magic; their headers are checked by their checksum like any other
    const extract = tarStream.extract({ allowUnknownFormat: true } as Parameters<typeof tarStream.extract>[0]);
    let sawEntry = false;
    // where the last entry's data ends, and how many bytes the tar stream held: equal means no
    // end-of-archive blocks came after it (a tar cut at an entry boundary looks complete otherwise)
    let lastEnd = 0;
    let total = 0;
    rest.on('data', (chunk: Buffer) => {
      total += chunk.length;
    });
    const piping = pipeline(rest, extract as unknown as NodeJS.WritableStream);
    const consuming = (async () => {
      for await (const entry of extract) {
        sawEntry = true;
        const h = entry.header;
        lastEnd = ((h as { byteOffset?: number }).byteOffset ?? 0) + Math.ceil(Math.max(0, h.size ?? 0) / 512) * 512;
        await this.tarEntry(entry, prefix, depth);
      }
    })();
    // Whichever fails first explains the failure; the other is then torn down.
    try {
      await Promise.all([piping, consuming]);
    } catch (err) {
      source.destroy();
      extract.destroy();
      throw err;
    }
    // tar-stream rejects data that is not tar, so no entry and no error means an empty archive.
    if (!sawEntry && depth === 0) throw new BundleError(`${this.input}: the archive contains no files`, 'empty');
    if (!sawEntry) this.tree.note(`${name}: an empty archive (it holds no files)`);
    if (sawEntry && total <= lastEnd) this.tree.note(`${name}: the archive ends without its end marker: it may be cut short`);
  }

  /** Where the entries of a zip go: the same handling as tar entries. */
  private zipSink(prefix: string, depth: number) {
    return {
      file: async (name: string, size: number, open: () => Promise<Readable>, mtime?: number) => {
        const norm = normalizeEntryPath(name);
        if (!norm.path) {
          if (norm.note) this.tree.note(norm.note);
          return;
        }
        if (norm.note) this.tree.note(norm.note);
        const stream = await open();
        await this.handleEntry(prefix + norm.path, size, () => stream, depth, false, mtime);
      },
      symlink: (name: string, target: string) => {
        const norm = normalizeEntryPath(name);
        if (!norm.path) return;
        this.bumpEntries();
        this.tree.addLink(prefix + norm.path, target);
      },
    };
  }

  private async tarEntry(entry: TarEntry, prefix: string, depth: number): Promise<void> {
    const h = entry.header;
    const norm = normalizeEntryPath(h.name, false);
    if (h.type === 'directory' || !norm.path) {
      if (!norm.path && h.type !== 'directory' && norm.note) this.tree.note(norm.note);
      await drain(entry as unknown as AsyncIterable<Buffer>);
      return;
    }
    if (norm.note) this.tree.note(norm.note);
    const path = prefix + norm.path;
    if (h.type === 'symlink' || h.type === 'link') {
      this.bumpEntries();
      // Hard links name a path from the archive root; symlinks are relative to their folder.
      const target = h.linkname ?? '';
      this.tree.addLink(path, h.type === 'link' ? toRootRelative(target) : target, h.type === 'link' ? prefix : undefined);
      await drain(entry as unknown as AsyncIterable<Buffer>);
      return;
    }
    // GNU sparse files: tar-stream does not know the old GNU type 'S' (its type is null) nor
    // expand the PAX forms (GNU.sparse.* records); what it hands over is not the file's bytes.
    const pax = h.pax as Record<string, string> | null | undefined;
    if (h.type === null || (pax && Object.keys(pax).some((k) => k.startsWith('GNU.sparse.')))) {
      const realName = pax?.['GNU.sparse.name'];
      const real = realName !== undefined ? normalizeEntryPath(realName, false).path : undefined;
      const shown = real !== undefined ? prefix + real : path;
      this.bumpEntries();
      const realSize = Number(pax?.['GNU.sparse.realsize'] ?? pax?.['GNU.sparse.size']);
      this.tree.entries.set(shown, Number.isFinite(realSize) && realSize >= 0 ? realSize : (h.size ?? 0));
      this.tree.note(`${shown}: a sparse file (tar --sparse); not read`);
      await drain(entry as unknown as AsyncIterable<Buffer>);
      return;
    }
    if (h.type !== 'file' && h.type !== 'contiguous-file' && h.type !== undefined) {
      await drain(entry as unknown as AsyncIterable<Buffer>);
      return;
    }
    await this.handleEntry(path, h.size ?? 0, () => entry as unknown as Readable, depth, false, h.mtime?.getTime());
  }

  /** One regular file: nested archive, streamed, kept, or skipped. */
  private async handleEntry(path: string, size: number, open: () => Readable, depth: number, sole = false, mtime?: number): Promise<void> {
    this.bumpEntries();
    this.tree.entries.set(path, size);
    const gzipped = compressedFileName(path);
    const info: EntryInfo = sole ? { path, size, gzipped, sole } : { path, size, gzipped };
    const written = plausibleTime(mtime);
    if (written !== undefined) {
      info.mtime = written;
      this.tree.mtimes.set(path, written);
    }
    if (archiveLikeName(path)) {
      if (depth + 1 > this.limits.maxDepth) {
        this.tree.note(`${path}: archive nested deeper than ${this.limits.maxDepth} levels; not opened`);
        await drain(open());
        return;
      }
      await this.nestedArchive(path, open(), depth + 1);
      return;
    }
    const consumer = this.options.streamTo?.(info);
    if (consumer) {
      // The consumer may stop early; whatever it leaves is drained so the archive can go on.
      const it = this.counted(open())[Symbol.asyncIterator]();
      // UTF-16 text (a log saved on Windows) is handed over as UTF-8; a .gz log's bytes are compressed
      const chunks = gzipped ? unclosable(it) : decodedUtf16Chunks(unclosable(it));
      try {
        this.tree.streamed.set(path, await consumer(chunks, info, this.streamReader(path)));
      } catch (err) {
        if (err instanceof BundleError && err.code === 'limit') throw err;
        this.tree.note(`${path}: could not be read as a stream (${(err as Error).message})`);
      }
      await drainIterator(it);
      return;
    }
    if (this.options.keep(info)) {
      if (size > this.limits.maxKeptFileBytes) {
        this.tree.note(`${path}: ${formatBytes(size)} is over the ${formatBytes(this.limits.maxKeptFileBytes)} limit for a parsed file; skipped`);
        await drain(open());
        return;
      }
      if (this.keptBytes + size > this.limits.maxKeptTotalBytes) {
        this.tree.note(`${path}: memory limit for parsed files reached; skipped`);
        await drain(open());
        return;
      }
      // The declared size can lie (or be unknown for a decompressed single file): cap what is actually read.
      // While it holds, chunks land in one buffer of that size (no second copy to join them: a
      // kube-proxy dump is tens of MB); past it, they are collected and joined.
      const chunks: Buffer[] = [];
      let whole = size > 0 ? Buffer.allocUnsafe(size) : undefined;
      let got = 0;
      const it = this.counted(open())[Symbol.asyncIterator]();
      for (;;) {
        const next = await it.next();
        if (next.done) break;
        const chunk: Buffer = next.value;
        if (got + chunk.length > this.limits.maxKeptFileBytes || this.keptBytes + got + chunk.length > this.limits.maxKeptTotalBytes) {
          this.noteTooBig(path);
          await drainIterator(it);
          return;
        }
        if (whole !== undefined && got + chunk.length <= whole.length) chunk.copy(whole, got);
        else {
          if (whole !== undefined) chunks.push(whole.subarray(0, got));
          whole = undefined;
          chunks.push(chunk);
        }
        got += chunk.length;
      }
      // only the bytes read are ever exposed (the buffer is not zeroed)
      this.store(path, whole !== undefined ? whole.subarray(0, got) : Buffer.concat(chunks));
      return;
    }
    await drain(this.counted(open()));
  }

  private store(path: string, data: Buffer): void {
    this.keptBytes += data.length;
    // UTF-16 text (a command output saved by PowerShell) becomes UTF-8, lines where they were
    this.tree.files.set(path, withoutNulRuns(decodeUtf16(data)));
  }

  private noteTooBig(path: string): void {
    this.tree.note(`${path}: larger than the ${formatBytes(this.limits.maxKeptFileBytes)} limit for a parsed file; skipped`);
  }

  private streamReader(path: string): StreamReader {
    const tooBig = () => this.noteTooBig(path);
    return {
      maxKeptFileBytes: this.limits.maxKeptFileBytes,
      tooBig,
      note: (message: string) => this.tree.note(`${path}: ${message}`),
      keep: (data: Buffer) => {
        if (data.length > this.limits.maxKeptFileBytes) {
          tooBig();
          return false;
        }
        if (this.keptBytes + data.length > this.limits.maxKeptTotalBytes) {
          this.tree.note(`${path}: memory limit for parsed files reached; skipped`);
          return false;
        }
        this.store(path, data);
        return true;
      },
    };
  }

  private async nestedArchive(path: string, stream: Readable, depth: number): Promise<void> {
    const iterator = stream[Symbol.asyncIterator]();
    const first = await iterator.next();
    if (first.done) {
      this.tree.note(`${path}: empty nested archive`);
      return;
    }
    const head: Buffer = first.value;
    const detected = detectFormat(head);
    // an empty tar is its end-of-archive blocks: zeros only (tar-stream reads them as no entries)
    const format = detected === 'binary' && /\.tar$/i.test(path) && head.every((b) => b === 0) ? 'tar' : detected;
    if (format === 'zip') {
      await this.nestedZip(path, head, iterator, depth);
      return;
    }
    if (format !== 'gzip' && format !== 'tar' && format !== 'xz') {
      this.tree.note(`${path}: named like an archive but holds ${format === 'text' ? 'text' : format + ' data'}; not opened`);
      await drainIterator(iterator);
      return;
    }
    const rest = Readable.from(
      (async function* () {
        yield head;
        for (;;) {
          const next = await iterator.next();
          if (next.done) return;
          yield next.value as Buffer;
        }
      })(),
    );
    this.tree.nestedArchives.push(path);
    try {
      if (format === 'xz') await loadXz(this.input);
      await this.readArchive(this.countCompressed(rest), format, path + '/', depth, path);
    } catch (err) {
      if (err instanceof BundleError && err.code === 'limit') throw err;
      this.tree.note(`${path}: nested archive unreadable (${explainReadError(err, path).message.replace(path + ': ', '')}); the rest of the bundle was read`);
      await drainIterator(iterator);
    }
  }

  /** A zip needs random access (its directory is at the end): held in memory, within the kept-bytes budget. */
  private async nestedZip(path: string, head: Buffer, iterator: AsyncIterator<Buffer>, depth: number): Promise<void> {
    const chunks: Buffer[] = [head];
    let size = head.length;
    for (;;) {
      const next = await iterator.next();
      if (next.done) break;
      size += next.value.length;
      if (size > this.limits.maxKeptFileBytes || this.keptBytes + size > this.limits.maxKeptTotalBytes) {
        this.tree.note(`${path}: nested zip larger than ${formatBytes(this.limits.maxKeptFileBytes)}; not opened`);
        await drainIterator(iterator);
        return;
      }
      chunks.push(next.value);
    }
    this.tree.nestedArchives.push(path);
    const buffer = Buffer.concat(chunks);
    this.compressedBytes += buffer.length;
    try {
      await (await loadZip()).readZip({ buffer }, this.zipSink(path + '/', depth), CHUNK);
    } catch (err) {
      if (err instanceof BundleError && err.code === 'limit') throw err;
      this.tree.note(`${path}: nested archive unreadable (${explainReadError(err, path).message.replace(path + ': ', '')}); the rest of the bundle was read`);
    }
  }

  private async readDirectory(dir: string, prefix: string): Promise<void> {
    const names: { name: string; kind: 'dir' | 'file' | 'link' }[] = [];
    try {
      const handle = await opendir(dir);
      for await (const d of handle) {
        if (d.isDirectory()) names.push({ name: d.name, kind: 'dir' });
        else if (d.isSymbolicLink()) names.push({ name: d.name, kind: 'link' });
        else if (d.isFile()) names.push({ name: d.name, kind: 'file' });
      }
    } catch (err) {
      // the bundle folder itself is the input: that one fails the bundle
      if (prefix === '') throw explainReadError(err, dir);
      this.unreadable(prefix.slice(0, -1), err);
      return;
    }
    names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const { name, kind } of names) {
      const full = join(dir, name);
      const rel = prefix + name;
      if (kind === 'dir') await this.readDirectory(full, rel + '/');
      else if (kind === 'link') {
        let target;
        try {
          target = await readlink(full);
        } catch (err) {
          this.unreadable(rel, err);
          continue;
        }
        this.bumpEntries();
        this.tree.addLink(rel, target);
      } else await this.readFolderFile(full, rel);
    }
  }

  /**
   * One file of a folder bundle. A file that cannot be opened or read (no permission, an I/O
   * error, gone since the listing) is noted and the rest of the bundle is read.
   */
  private async readFolderFile(full: string, rel: string): Promise<void> {
    let fh;
    let size;
    let mtime;
    try {
      fh = await open(full, 'r');
      ({ size, mtimeMs: mtime } = await fh.stat());
    } catch (err) {
      await fh?.close().catch(() => undefined);
      this.unreadable(rel, err);
      return;
    }
    const file = fh;
    try {
      await this.handleEntry(rel, size, () => createReadStream('', { fd: file, highWaterMark: CHUNK, autoClose: false }), 0, false, mtime);
    } catch (err) {
      if (err instanceof BundleError) throw err;
      // what was kept or streamed of it is not trusted: a partial file is no file
      this.tree.files.delete(rel);
      this.tree.streamed.delete(rel);
      this.unreadable(rel, err);
    } finally {
      await file.close().catch(() => undefined);
    }
  }

  /** the first file or folder that could not be read, and why */
  private firstUnreadable?: string;
  private unreadable(rel: string, err: unknown): void {
    const e = err as NodeJS.ErrnoException;
    const why =
      e?.code === 'EACCES' || e?.code === 'EPERM'
        ? 'permission denied'
        : e?.code === 'ENOENT'
          ? 'gone while the folder was read'
          : `cannot be read (${String(e?.message ?? err).split('\n')[0]})`;
    this.firstUnreadable ??= `${rel}: ${why}`;
    this.tree.note(`${rel}: ${why}; skipped`);
  }

  private bumpEntries(): void {
    if (++this.entryCount > this.limits.maxEntries)
      throw new BundleError(`${this.input}: more than ${this.limits.maxEntries} entries; refusing to read further`, 'limit');
  }

  /** Counts expanded bytes and stops a decompression bomb early. */
  private counted(stream: Readable): AsyncIterable<Buffer> {
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          self.expandedBytes += chunk.length;
          self.checkExpansion();
          yield chunk;
        }
      },
    };
  }

  private checkExpansion(): void {
    const l = this.limits;
    if (this.expandedBytes > l.maxTotalBytes)
      throw new BundleError(`${this.input}: expands to more than ${formatBytes(l.maxTotalBytes)}; refusing to read further`, 'limit');
    const ratio = this.compressedBytes > 0 ? this.expandedBytes / this.compressedBytes : 0;
    const decoded = this.compressedBytes - this.notYetDecoded();
    if (
      (this.expandedBytes > l.earlyRatioCheckAfterBytes && decoded > 0 && this.expandedBytes / decoded > l.maxEarlyRatio) ||
      (this.expandedBytes > l.ratioCheckAfterBytes && ratio > l.maxRatio)
    )
      throw new BundleError(
        `${this.input}: decompression bomb suspected (${formatBytes(this.compressedBytes)} expanded past ${formatBytes(this.expandedBytes)}); refusing to read further`,
        'limit',
      );
  }
}

/** Reads at least `n` bytes (or all there is) and returns them with a stream of everything, those bytes included. */
async function peek(stream: Readable, n: number): Promise<{ head: Buffer; rest: Readable }> {
  const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const got: Buffer[] = [];
  let size = 0;
  let done = false;
  while (size < n) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    got.push(next.value);
    size += next.value.length;
  }
  const head = Buffer.concat(got);
  const rest = Readable.from(
    (async function* () {
      if (head.length > 0) yield head;
      if (done) return;
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        yield next.value;
      }
    })(),
    { objectMode: false },
  );
  return { head, rest };
}

/**
 * A kept file that is text with runs of NUL bytes (a crashed log's unwritten blocks) loses the
 * NULs: neither the sniffers nor the parsers would read past them. Binary data is kept as it is.
 */
function withoutNulRuns(data: Buffer): Buffer {
  return data.indexOf(0) >= 0 && looksLikeText(data.subarray(0, 4096)) ? withoutNul(data) : data;
}

function toRootRelative(target: string): string {
  return target.replace(/^\/+/, '');
}

async function readHead(path: string): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(4096);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** Reads a stream to its end, keeping nothing (tar can only move on once an entry is consumed). */
async function drain(stream: AsyncIterable<Buffer>): Promise<void> {
  for await (const _ of stream) {
    // discard
  }
}

/** An iterable over `it` whose early exit does not close `it`, so the rest can still be drained. */
function unclosable(it: AsyncIterator<Buffer>): AsyncIterable<Buffer> {
  return {
    [Symbol.asyncIterator]: () => ({ next: () => it.next() }),
  };
}

async function drainIterator(it: AsyncIterator<Buffer>): Promise<void> {
  for (;;) {
    const n = await it.next();
    if (n.done) return;
  }
}

export function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(n % 1024 ** 3 === 0 ? 0 : 1)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(n % 1024 ** 2 === 0 ? 0 : 1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(0)} KiB`;
  return `${n} B`;
}

/** What a file's name says it holds, when the name is an archive's or a compressed file's. */
function promisedFormat(name: string): string | undefined {
  if (/\.zip$/i.test(name)) return 'zip';
  if (/\.(xz|txz)$/i.test(name)) return 'xz';
  if (/\.(gz|tgz)$/i.test(name)) return 'gzip';
  if (/\.tar$/i.test(name)) return 'tar';
  return undefined;
}

function unsupportedMessage(input: string, format: ContainerFormat): string {
  switch (format) {
    case 'bzip2':
    case 'zstd':
      return `${input}: ${format}-compressed archives are not supported`;
    default:
      return `${input}: not a bundle (expected a .tar.gz, .tgz, .tar, .tar.xz or .zip archive, or a folder; the file is binary data of no known format)`;
  }
}

/** Earliest modification time taken as real: archivers write 0 (the epoch) or the zip format's 1980 floor when they have none. */
const EARLIEST_MTIME = Date.UTC(2000, 0, 1);

/** A modification time usable as an upper bound for the times in a file: not missing, not a placeholder, not ahead of now. */
function plausibleTime(mtime: number | undefined): number | undefined {
  if (mtime === undefined || !Number.isFinite(mtime)) return undefined;
  return mtime >= EARLIEST_MTIME && mtime <= Date.now() + 24 * 3600 * 1000 ? mtime : undefined;
}
