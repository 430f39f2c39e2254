/** Builds small tar / tar.gz archives in memory for reader tests (real tar format via tar-stream). */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import tarStream from 'tar-stream';

export interface TarItem {
  name: string;
  content?: string | Buffer;
  type?: 'file' | 'symlink' | 'link' | 'directory';
  linkname?: string;
  /** the header's modification time (tar-stream's default: now) */
  mtime?: Date;
}

export async function makeTar(items: TarItem[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on('data', (c: Buffer) => chunks.push(c));
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  for (const item of items) {
    const type = item.type ?? 'file';
    const mtime = item.mtime ? { mtime: item.mtime } : {};
    if (type === 'file') pack.entry({ name: item.name, type, ...mtime }, item.content ?? '');
    else pack.entry({ name: item.name, type, linkname: item.linkname, ...mtime });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export async function makeTarGz(items: TarItem[]): Promise<Buffer> {
  return gzipSync(await makeTar(items));
}

export function tmpDir(prefix = 'bd-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeTmp(name: string, data: Buffer | string, dir = tmpDir()): string {
  const path = join(dir, name);
  writeFileSync(path, data);
  return path;
}

/** A zip made with fflate (a real zip writer), entries as name -> content. */
export async function makeZip(files: Record<string, string | Buffer>): Promise<Buffer> {
  const { zipSync } = await import('fflate');
  const input: Record<string, Uint8Array> = {};
  for (const [name, content] of Object.entries(files)) input[name] = typeof content === 'string' ? Buffer.from(content) : content;
  return Buffer.from(zipSync(input));
}

/**
 * xz data made by liblzma (node-liblzma's WebAssembly build: the same encoder as the native
 * addon, and there where the addon cannot load). check: 0 none, 1 CRC32, 4 CRC64 (xz's default), 10 SHA-256.
 */
export async function xzEncode(data: Buffer | string, check = 4): Promise<Buffer> {
  const wasm = await import('node-liblzma/wasm');
  await wasm.initModule();
  return Buffer.from(wasm.easyBufferEncode(typeof data === 'string' ? Buffer.from(data) : data, 6, check));
}

/** tar.xz made with liblzma's xz encoder. */
export async function makeTarXz(items: TarItem[]): Promise<Buffer> {
  return xzEncode(await makeTar(items));
}

/** A hand-made bundle: a folder `name` in a fresh temp dir holding the files (paths may have folders). */
export function writeFolder(files: Record<string, string | Buffer>, name = 'ticket'): string {
  const dir = join(tmpDir(), name);
  mkdirSync(dir, { recursive: true });
  for (const [p, data] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), data);
  }
  return dir;
}

/** A folder's files as text, by path relative to it: to change one and write the variant with writeFolder. */
export function readFolder(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(root, p)] = readFileSync(p, 'utf8');
    }
  };
  walk(root);
  return out;
}
