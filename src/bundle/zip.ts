/**
 * Zip archives (ticket attachments) through yauzl: it reads the central directory and streams
 * each entry. A zip needs random access, so it is read from its file, or from memory when it
 * sits inside another archive.
 *
 * A big entry's data is read and inflated here rather than by yauzl, which reads 16 KiB at a
 * time and inflates with zlib's default 16 KiB chunks: every 16 KiB of a big log was a round
 * trip to the thread pool. yauzl still finds where the data starts (readLocalFileHeader); the
 * data is then read in the reader's chunk and inflated with it. The bench's 220 MB-log bundle
 * zipped: 1.34-1.6 s -> 1.05-1.13 s (unzip -p: 0.87-0.95 s). Small entries, most files of a
 * bundle, stay with yauzl: a stream of our own per entry cost 8% on a zip of 5,000 files.
 * Sizes and the CRC-32 are checked against the entry's either way: yauzl checks sizes only, and a
 * flipped bit in a deflated or stored entry (`ip_forward = 0` read as `= 1`) went unnoticed.
 */
import { createReadStream } from 'node:fs';
import { pipeline, Readable, Transform, type TransformCallback } from 'node:stream';
import { crc32, createInflateRaw } from 'node:zlib';
import yauzl from 'yauzl';

export interface ZipSink {
  /** mtime: the entry's modification time (epoch ms), when the archive states one */
  file(name: string, size: number, open: () => Promise<Readable>, mtime?: number): Promise<void>;
  symlink(name: string, target: string): void;
}

type ZipSource = { path: string } | { buffer: Buffer };

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const MAX_LINK_TARGET = 4096;
/** Entries whose compressed data is bigger than this are read and inflated here. */
const BIG_ENTRY = 256 * 1024;

export async function readZip(source: ZipSource, sink: ZipSink, chunkSize: number): Promise<void> {
  const zip = await openZip(source);
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('error', reject);
      zip.on('end', resolve);
      zip.on('entry', (entry: yauzl.Entry) => {
        handle(zip, source, entry, sink, chunkSize).then(
          () => zip.readEntry(),
          (err) => reject(err),
        );
      });
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
}

async function handle(zip: yauzl.ZipFile, source: ZipSource, entry: yauzl.Entry, sink: ZipSink, chunkSize: number): Promise<void> {
  if (entry.fileName.endsWith('/')) return;
  const mode = (entry.externalFileAttributes >>> 16) & S_IFMT;
  // encrypted entries and other methods stay with yauzl, which refuses them with its own message
  const readHere = entry.compressedSize > BIG_ENTRY && (entry.compressionMethod === 8 || entry.compressionMethod === 0) && !entry.isEncrypted();
  const open = async () => {
    const data = readHere
      ? await bigEntry(zip, source, entry, chunkSize)
      : await new Promise<Readable>((resolve, reject) =>
          zip.openReadStream(entry, (err, stream) => (err || !stream ? reject(err ?? new Error('no stream')) : resolve(stream))),
        );
    return pipeline(data, crcChecked(entry), done);
  };
  if (mode === S_IFLNK) {
    if (entry.uncompressedSize > MAX_LINK_TARGET) return;
    const chunks: Buffer[] = [];
    for await (const c of await open()) chunks.push(c as Buffer);
    sink.symlink(entry.fileName, Buffer.concat(chunks).toString('utf8'));
    return;
  }
  await sink.file(entry.fileName, entry.uncompressedSize, open, zipTime(entry));
}

/** A big stored or deflated entry: its data read in `chunkSize` pieces, inflated, its size checked. */
async function bigEntry(zip: yauzl.ZipFile, source: ZipSource, entry: yauzl.Entry, chunkSize: number): Promise<Readable> {
  const { fileDataStart } = await new Promise<{ fileDataStart: number }>((resolve, reject) =>
    zip.readLocalFileHeader(entry, { minimal: true }, (err, header) => (err ? reject(err) : resolve(header))),
  );
  // a stored entry is its data: its two sizes must agree
  if (entry.compressionMethod === 0 && entry.compressedSize !== entry.uncompressedSize)
    throw new Error(`too ${entry.compressedSize > entry.uncompressedSize ? 'many' : 'few'} bytes in the stream: a stored entry of ${entry.compressedSize} bytes declares ${entry.uncompressedSize}`);
  const end = fileDataStart + entry.compressedSize;
  let raw: Readable;
  if ('path' in source) raw = createReadStream(source.path, { start: fileDataStart, end: end - 1, highWaterMark: chunkSize });
  else {
    if (end > source.buffer.length) throw new Error('unexpected end of file');
    raw = Readable.from([source.buffer.subarray(fileDataStart, end)], { objectMode: false });
  }
  // a file shorter than the entry claims ends the raw stream early: caught by the size checks
  if (entry.compressionMethod === 0) return pipeline(raw, sizeChecked(entry.compressedSize), done);
  // zlib allocates its output chunk up front; never more than the entry needs
  const inflate = createInflateRaw({ chunkSize: Math.min(chunkSize, Math.max(16 * 1024, entry.uncompressedSize)) });
  // pipeline destroys every stage with the first error, so the reader of the last one sees it
  return pipeline(raw, sizeChecked(entry.compressedSize), inflate, sizeChecked(entry.uncompressedSize), done);
}

/** Passes an entry's data through and fails at its end when its CRC-32 is not the entry's. */
function crcChecked(entry: yauzl.Entry): Transform {
  let crc = 0;
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      crc = crc32(chunk, crc);
      cb(null, chunk);
    },
    flush(cb: TransformCallback) {
      const want = entry.crc32 >>> 0;
      cb(crc >>> 0 === want ? null : new Error(`corrupt zip archive (CRC mismatch in ${entry.fileName}: ${hex(crc)}, should be ${hex(want)})`));
    },
  });
}

const hex = (n: number) => (n >>> 0).toString(16).padStart(8, '0');

/** pipeline() wants a callback; failures reach the consumer through the last stream. */
function done(): void {}

/** Passes bytes through, failing as soon as there are more than `expected`, or at the end when fewer. */
function sizeChecked(expected: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      seen += chunk.length;
      if (seen > expected) cb(new Error(`too many bytes in the stream: more than the ${expected} declared`));
      else cb(null, chunk);
    },
    flush(cb: TransformCallback) {
      cb(seen < expected ? new Error(`too few bytes in the stream: expected ${expected}, got ${seen}`) : null);
    },
  });
}

function openZip(source: ZipSource): Promise<yauzl.ZipFile> {
  const options = { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: false, decodeStrings: true };
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, zip?: yauzl.ZipFile) => {
      if (err || !zip) reject(new Error(`corrupt zip archive (${firstLine(err?.message ?? 'unreadable')})`));
      else resolve(zip);
    };
    if ('path' in source) yauzl.open(source.path, options, done);
    else yauzl.fromBuffer(source.buffer, options, done);
  });
}

function firstLine(s: string): string {
  return s.split('\n')[0].slice(0, 200);
}

/** An entry's modification time: the extended timestamp field (UTC) when there is one, else the DOS time (local time, read as UTC). */
function zipTime(entry: yauzl.Entry): number | undefined {
  try {
    const t = entry.getLastModDate().getTime();
    return Number.isFinite(t) ? t : undefined;
  } catch {
    return undefined;
  }
}
