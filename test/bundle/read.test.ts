import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BundleError } from '../../src/bundle/errors.js';
import { readBundle, type EntryInfo } from '../../src/bundle/read.js';
import { makeTar, makeTarGz, tmpDir, writeTmp } from '../helpers/archive.js';

const keepAll = { keep: () => true };

describe('readBundle: archives', () => {
  it('reads a tar.gz, keeps files in memory and resolves symlinks inside the bundle', async () => {
    const gz = await makeTarGz([
      { name: 'sosreport-h1/', type: 'directory' },
      { name: 'sosreport-h1/sos_commands/networking/ip_-o_addr', content: '1: lo    inet 127.0.0.1/8 scope host lo\n' },
      { name: 'sosreport-h1/ip_addr', type: 'symlink', linkname: 'sos_commands/networking/ip_-o_addr' },
      { name: 'sosreport-h1/passwd', type: 'symlink', linkname: '/etc/passwd' },
      { name: 'sosreport-h1/up', type: 'symlink', linkname: '../../etc/shadow' },
      { name: 'sosreport-h1/a', type: 'symlink', linkname: 'b' },
      { name: 'sosreport-h1/b', type: 'symlink', linkname: 'a' },
    ]);
    const tree = await readBundle(writeTmp('b.tgz', gz), keepAll);
    expect(tree.container).toBe('gzip');
    expect(tree.text('sosreport-h1/ip_addr')).toContain('127.0.0.1/8');
    expect(tree.resolve('sosreport-h1/ip_addr')).toBe('sosreport-h1/sos_commands/networking/ip_-o_addr');
    // links out of the bundle are never followed onto the host
    expect(tree.read('sosreport-h1/passwd')).toBeUndefined();
    expect(tree.read('sosreport-h1/up')).toBeUndefined();
    expect(tree.notes.join('\n')).toMatch(/passwd -> \/etc\/passwd points outside the bundle/);
    expect(tree.notes.join('\n')).toMatch(/up -> \.\.\/\.\.\/etc\/shadow points outside the bundle/);
    expect(tree.notes.join('\n')).toMatch(/sosreport-h1\/a -> b loops/);
  });

  it('a bundle of symlinks alone that point outside it: a one-line error saying so, never the files behind them (R33)', async () => {
    const gz = await makeTarGz([
      { name: 'case/iptables-save.txt', type: 'symlink', linkname: '/etc/passwd' },
      { name: 'case/ip_addr.txt', type: 'symlink', linkname: '../../etc/shadow' },
    ]);
    await expect(readBundle(writeTmp('links.tgz', gz), keepAll)).rejects.toThrow(/holds only symlinks \(2\) and none points to a file inside it; links pointing outside the bundle are not followed: copy the files in \(cp -L\)/);
    const dir = tmpDir();
    const outside = writeTmp('iptables-save.txt', '*filter\n');
    symlinkSync(outside, join(dir, 'iptables-save.txt'));
    const err = await readBundle(dir, keepAll).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BundleError);
    expect((err as BundleError).message).toMatch(/holds only symlinks \(1\)/);
    // with one real file beside them the bundle is read, and each link out is noted
    writeFileSync(join(dir, 'ip_addr.txt'), '1: lo    inet 127.0.0.1/8 scope host lo\n');
    const tree = await readBundle(dir, keepAll);
    expect(tree.paths()).toEqual(['ip_addr.txt']);
    expect(tree.notes.join('\n')).toMatch(/iptables-save\.txt -> .* points outside the bundle; ignored/);
  });

  it('refuses entry names that climb out of the root and reads absolute names as relative', async () => {
    const gz = await makeTarGz([
      { name: '../../x', content: 'evil' },
      { name: '/etc/x', content: 'abs' },
      { name: 'ok/file', content: 'fine' },
    ]);
    const tree = await readBundle(writeTmp('h.tgz', gz), keepAll);
    expect([...tree.entries.keys()].sort()).toEqual(['etc/x', 'ok/file']);
    expect(tree.notes.join('\n')).toMatch(/climbs out of the bundle/);
  });

  it('streams files a consumer asks for and drains what it leaves', async () => {
    const big = 'line\n'.repeat(100_000);
    const gz = await makeTarGz([
      { name: 'var/log/messages', content: big },
      { name: 'after', content: 'still read' },
    ]);
    const seen: EntryInfo[] = [];
    const tree = await readBundle(writeTmp('s.tgz', gz), {
      keep: () => true,
      streamTo: (info) =>
        info.path === 'var/log/messages'
          ? async (chunks, i) => {
              seen.push(i);
              // stop after the first chunk: the reader must drain the rest
              for await (const c of chunks) return c.length;
              return 0;
            }
          : undefined,
    });
    expect(seen.map((s) => s.path)).toEqual(['var/log/messages']);
    expect(tree.streamed.get('var/log/messages')).toBeGreaterThan(0);
    expect(tree.files.has('var/log/messages')).toBe(false);
    expect(tree.text('after')).toBe('still read');
  });

  it('opens archives nested inside the bundle (insights cluster archive of per-host tarballs)', async () => {
    const inner = await makeTarGz([{ name: 'host_01/insights_commands/hostname', content: 'node1\n' }]);
    const outer = await makeTarGz([{ name: 'host_01.tar.gz', content: inner }]);
    const tree = await readBundle(writeTmp('n.tgz', outer), keepAll);
    expect(tree.text('host_01.tar.gz/host_01/insights_commands/hostname')).toBe('node1\n');
    expect(tree.nestedArchives).toEqual(['host_01.tar.gz']);
  });

  it('a truncated nested archive is noted; the rest of the bundle is still read', async () => {
    const inner = await makeTarGz([{ name: 'x/file', content: 'y'.repeat(50_000) }]);
    const outer = await makeTarGz([
      { name: 'broken.tar.gz', content: inner.subarray(0, inner.length >> 1) },
      { name: 'z/ok', content: 'ok' },
    ]);
    const tree = await readBundle(writeTmp('nb.tgz', outer), keepAll);
    expect(tree.text('z/ok')).toBe('ok');
    expect(tree.notes.join('\n')).toMatch(/broken\.tar\.gz: nested archive unreadable \(truncated/);
  });

  it('reads a plain .tar', async () => {
    const tar = await makeTar([{ name: 'a/b.txt', content: 'hello' }]);
    const tree = await readBundle(writeTmp('p.tar', tar), keepAll);
    expect(tree.container).toBe('tar');
    expect(tree.text('a/b.txt')).toBe('hello');
  });
});

describe('readBundle: bad input', () => {
  it('a truncated .tgz is a one-line "truncated" error', async () => {
    const gz = await makeTarGz([{ name: 'f', content: 'x'.repeat(200_000) + Math.random() }]);
    const path = writeTmp('t.tgz', gz.subarray(0, Math.floor(gz.length / 2)));
    const err = await readBundle(path, keepAll).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BundleError);
    expect((err as BundleError).code).toBe('truncated');
    expect((err as Error).message).toMatch(/truncated archive/);
    expect((err as Error).message).not.toContain('\n');
  });

  it('random bytes are "not a bundle"', async () => {
    const bytes = Buffer.alloc(10_000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919 + 13) % 256;
    const err = await readBundle(writeTmp('r.bin', bytes), keepAll).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BundleError);
    expect((err as Error).message).toMatch(/not a bundle/);
  });

  it('gzip of binary data that is not a tar is a clear one-line error', async () => {
    const noise = Buffer.alloc(4096);
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 131 + 7) % 251;
    const path = writeTmp('x.gz', gzipSync(noise));
    const err = await readBundle(path, keepAll).catch((e: unknown) => e);
    expect((err as BundleError).code).toBe('corrupt');
    expect((err as Error).message).toBe(`${path}: gzip data that holds neither a tar archive nor text`);
  });

  it('an empty archive is an error', async () => {
    const err = await readBundle(writeTmp('e.tgz', await makeTarGz([])), keepAll).catch((e: unknown) => e);
    expect((err as BundleError).code).toBe('empty');
  });

  it('a missing input names itself', async () => {
    const err = await readBundle('/nonexistent/bundle.tgz', keepAll).catch((e: unknown) => e);
    expect((err as Error).message).toBe('/nonexistent/bundle.tgz: no such file or directory');
  });

  it('stops a decompression bomb by ratio', async () => {
    const zeros = Buffer.alloc(64 * 1024 * 1024);
    const gz = await makeTarGz([{ name: 'bomb', content: zeros }]);
    const err = await readBundle(writeTmp('bomb.tgz', gz), {
      keep: () => false,
      limits: { ratioCheckAfterBytes: 8 * 1024 * 1024, maxRatio: 100 },
    }).catch((e: unknown) => e);
    expect((err as BundleError).code).toBe('limit');
    expect((err as Error).message).toMatch(/decompression bomb/);
  });
});

describe('readBundle: folders', () => {
  it('reads an extracted bundle folder; a link to the host is not followed', async () => {
    const dir = tmpDir();
    mkdirSync(join(dir, 'sos_commands/networking'), { recursive: true });
    writeFileSync(join(dir, 'sos_commands/networking/ip_-o_addr'), '1: lo inet 127.0.0.1/8\n');
    symlinkSync('sos_commands/networking/ip_-o_addr', join(dir, 'ip_addr'));
    symlinkSync('/etc/passwd', join(dir, 'passwd'));
    const tree = await readBundle(dir, keepAll);
    expect(tree.container).toBe('directory');
    expect(tree.text('ip_addr')).toContain('127.0.0.1');
    expect(tree.read('passwd')).toBeUndefined();
    expect(tree.notes.join('\n')).toMatch(/passwd -> \/etc\/passwd points outside/);
  });
});
