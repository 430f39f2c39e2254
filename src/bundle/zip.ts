/**
 * Zip archives (ticket attachments) through yauzl: it reads the central directory, validates
 * entry sizes against what was declared, and streams each entry. A zip needs random access,
 * so it is read from its file, or from memory when it sits inside another archive.
 */
import type { Readable } from 'node:stream';
import yauzl from 'yauzl';

export interface ZipSink {
  file(name: string, size: number, open: () => Promise<Readable>): Promise<void>;
  symlink(name: string, target: string): void;
}

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const MAX_LINK_TARGET = 4096;

export async function readZip(source: { path: string } | { buffer: Buffer }, sink: ZipSink): Promise<void> {
  const zip = await openZip(source);
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('error', reject);
      zip.on('end', resolve);
      zip.on('entry', (entry: yauzl.Entry) => {
        handle(zip, entry, sink).then(
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

async function handle(zip: yauzl.ZipFile, entry: yauzl.Entry, sink: ZipSink): Promise<void> {
  if (entry.fileName.endsWith('/')) return;
  const mode = (entry.externalFileAttributes >>> 16) & S_IFMT;
  const open = () =>
    new Promise<Readable>((resolve, reject) => zip.openReadStream(entry, (err, stream) => (err || !stream ? reject(err ?? new Error('no stream')) : resolve(stream))));
  if (mode === S_IFLNK) {
    if (entry.uncompressedSize > MAX_LINK_TARGET) return;
    const chunks: Buffer[] = [];
    for await (const c of await open()) chunks.push(c as Buffer);
    sink.symlink(entry.fileName, Buffer.concat(chunks).toString('utf8'));
    return;
  }
  await sink.file(entry.fileName, entry.uncompressedSize, open);
}

function openZip(source: { path: string } | { buffer: Buffer }): Promise<yauzl.ZipFile> {
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
