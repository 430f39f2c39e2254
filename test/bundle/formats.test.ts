import { describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { BundleError } from '../../src/bundle/errors.js';
import { readBundle } from '../../src/bundle/read.js';
import { makeTarGz, makeTarXz, makeZip, writeTmp } from '../helpers/archive.js';

const keepAll = { keep: () => true };

describe('every archive format', () => {
  it('.tar.xz (sosreport default) is streamed through xz', async () => {
    const xz = await makeTarXz([{ name: 'sosreport-h/sos_commands/kernel/sysctl_-a', content: 'net.ipv4.ip_forward = 1\n' }]);
    const tree = await readBundle(writeTmp('s.tar.xz', xz), keepAll);
    expect(tree.container).toBe('xz');
    expect(tree.text('sosreport-h/sos_commands/kernel/sysctl_-a')).toBe('net.ipv4.ip_forward = 1\n');
  });

  it('.zip ticket attachment, with a tar.gz bundle inside it', async () => {
    const inner = await makeTarGz([{ name: 'bundle/sysctl-a.txt', content: 'net.ipv4.ip_forward = 0\n' }]);
    const zip = await makeZip({ 'notes.txt': 'customer says pods cannot talk', 'ticket-42/bundle.tar.gz': inner });
    const tree = await readBundle(writeTmp('att.zip', zip), keepAll);
    expect(tree.container).toBe('zip');
    expect(tree.text('notes.txt')).toBe('customer says pods cannot talk');
    expect(tree.text('ticket-42/bundle.tar.gz/bundle/sysctl-a.txt')).toBe('net.ipv4.ip_forward = 0\n');
  });

  it('a zip inside a tar.gz is opened from memory', async () => {
    const zip = await makeZip({ 'x/ip_a.txt': '1: lo: <LOOPBACK,UP> mtu 65536\n' });
    const gz = await makeTarGz([{ name: 'att/logs.zip', content: zip }]);
    const tree = await readBundle(writeTmp('n.tgz', gz), keepAll);
    expect(tree.text('att/logs.zip/x/ip_a.txt')).toContain('LOOPBACK');
  });

  it('a zip holding a truncated tar.gz: the broken part is noted, the rest is read', async () => {
    const inner = await makeTarGz([{ name: 'b/f', content: 'z'.repeat(100_000) + Math.random() }]);
    const zip = await makeZip({ 'broken.tar.gz': inner.subarray(0, inner.length >> 1), 'ok.txt': 'fine' });
    const tree = await readBundle(writeTmp('z.zip', zip), keepAll);
    expect(tree.text('ok.txt')).toBe('fine');
    expect(tree.notes.join('\n')).toMatch(/broken\.tar\.gz: nested archive unreadable \(truncated/);
  });

  it('a big deflated zip entry streams whole, in chunks far bigger than 16 KiB, from disk and from memory', async () => {
    const log = Array.from({ length: 60_000 }, (_, i) => `Nov 20 10:00:${String(i % 60).padStart(2, '0')} h kubelet[1]: line ${i} ${(i * 2654435761) >>> 0}\n`).join('');
    const zip = await makeZip({ 'h/var/log/messages': log, 'h/small.txt': 'ok' });
    const sizes: number[] = [];
    const streamTo = () => async (chunks: AsyncIterable<Buffer>) => {
      const parts: Buffer[] = [];
      for await (const c of chunks) {
        sizes.push(c.length);
        parts.push(c);
      }
      return Buffer.concat(parts).toString();
    };
    const tree = await readBundle(writeTmp('big.zip', zip), { keep: (i) => i.path.endsWith('small.txt'), streamTo: (i) => (i.path.endsWith('messages') ? streamTo() : undefined) });
    expect(tree.streamed.get('h/var/log/messages')).toBe(log);
    expect(tree.text('h/small.txt')).toBe('ok');
    expect(Math.max(...sizes)).toBeGreaterThan(64 * 1024);
    // the same zip inside a tar.gz is read from memory (yauzl's buffer reader) through the same inflater
    const nested = await readBundle(writeTmp('nested.tgz', await makeTarGz([{ name: 'att/big.zip', content: zip }])), {
      keep: () => true,
      streamTo: (i) => (i.path.endsWith('messages') ? streamTo() : undefined),
    });
    expect(nested.streamed.get('att/big.zip/h/var/log/messages')).toBe(log);
  });

  it('a zip entry that inflates to more or fewer bytes than its header declares is a corrupt archive, small (yauzl) or big (read here)', async () => {
    const small = 'net.ipv4.ip_forward = 1\n'.repeat(2000);
    // compresses to well over 256 KiB, so its data is read and inflated here rather than by yauzl
    const big = Array.from({ length: 120_000 }, (_, i) => `${i} ${(Math.imul(i, 2654435761) >>> 0).toString(36)} ${(Math.imul(i, 40503) >>> 0).toString(16)}`).join('\n');
    for (const body of [small, big])
      for (const declared of [body.length - 100, body.length + 100]) {
        const zip = await makeZip({ 'h/sysctl.txt': body });
        // the central directory's uncompressed size (what yauzl reports) is 24 bytes into its header
        const cd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
        if (body === big) expect(zip.readUInt32LE(cd + 20)).toBeGreaterThan(256 * 1024);
        zip.writeUInt32LE(declared, cd + 24);
        const path = writeTmp(`lie-${declared}.zip`, zip);
        const err = await readBundle(path, keepAll).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(BundleError);
        expect((err as Error).message).toMatch(/: corrupt zip archive \((too many|too few|not enough) bytes in the stream/);
      }
  });

  it('a zip entry with damaged deflate data is a corrupt archive, in one line, small or big', async () => {
    for (const lines of [5000, 120_000]) {
      const zip = await makeZip({ 'h/a.txt': Array.from({ length: lines }, (_, i) => `line ${i} ${(Math.imul(i, 2654435761) >>> 0).toString(36)}`).join('\n') });
      const lh = zip.indexOf(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
      const dataStart = lh + 30 + zip.readUInt16LE(lh + 26) + zip.readUInt16LE(lh + 28);
      for (let i = dataStart + 10; i < dataStart + 60; i++) zip[i] ^= 0xa5;
      const err = await readBundle(writeTmp(`damaged-${lines}.zip`, zip), keepAll).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BundleError);
      expect((err as Error).message).toMatch(/damaged-\d+\.zip: (corrupt compressed data|corrupt zip archive|truncated archive)/);
      expect((err as Error).message).not.toContain('\n');
    }
  });

  it('a password-protected zip says so and what to do, alone or inside another archive', async () => {
    const zip = await makeZip({ 'node1/sysctl.txt': 'net.ipv4.ip_forward = 0\n' });
    // the "encrypted" flag (general purpose bit 0) in the local and the central header, as zip -P sets it
    const lh = zip.indexOf(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
    const ch = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    zip.writeUInt16LE(zip.readUInt16LE(lh + 6) | 1, lh + 6);
    zip.writeUInt16LE(zip.readUInt16LE(ch + 8) | 1, ch + 8);
    const err = await readBundle(writeTmp('ticket.zip', zip), keepAll).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BundleError);
    expect((err as Error).message).toMatch(/ticket\.zip: a password-protected zip; bundle-doctor cannot decrypt it: extract it with its password \(unzip -P, 7z x\) and analyze the folder$/);
    const outer = await makeTarGz([{ name: 'att/locked.zip', content: zip }, { name: 'att/notes.txt', content: 'see the zip' }]);
    const tree = await readBundle(writeTmp('outer.tgz', outer), keepAll);
    expect(tree.notes.join('\n')).toMatch(/locked\.zip: nested archive unreadable \(a password-protected zip;/);
  });

  it('a truncated zip is a one-line error', async () => {
    const zip = await makeZip({ 'a.txt': 'x'.repeat(10_000) });
    const path = writeTmp('t.zip', zip.subarray(0, zip.length - 30));
    const err = await readBundle(path, keepAll).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BundleError);
    expect((err as Error).message).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: corrupt zip archive`));
  });

  it('a .gz of a single log is a one-file bundle whose content is streamed decompressed', async () => {
    const path = writeTmp('messages.gz', gzipSync('Nov 20 10:00:00 h dockerd[1]: WARNING: IPv4 forwarding is disabled. Networking will not work.\n'));
    const tree = await readBundle(path, {
      keep: () => false,
      streamTo: () => async (chunks) => {
        let text = '';
        for await (const c of chunks) text += c.toString();
        return text;
      },
    });
    expect([...tree.streamed.keys()]).toEqual(['messages']);
    expect(tree.streamed.get('messages')).toMatch(/IPv4 forwarding is disabled/);
  });

  it('a file given on its own is marked sole; a consumer may keep what it streamed, within the parsed-file limit', async () => {
    const text = 'Nov 20 10:00:00 h kernel: eth0: link up\n'.repeat(100);
    for (const [name, data] of [['journal-export', Buffer.from(text)], ['journal-export.gz', gzipSync(text)]] as const) {
      for (const [max, kept] of [[1 << 20, true], [100, false]] as const) {
        const seen: { sole?: boolean; path: string }[] = [];
        const tree = await readBundle(writeTmp(name, data), {
          limits: { maxKeptFileBytes: max },
          keep: () => false,
          streamTo: (info) => {
            seen.push({ path: info.path, sole: info.sole });
            return async (chunks, _info, reader) => {
              const parts: Buffer[] = [];
              for await (const c of chunks) parts.push(c);
              const all = Buffer.concat(parts);
              reader.keep(all);
              return all.length;
            };
          },
        });
        expect(seen).toEqual([{ path: 'journal-export', sole: true }]);
        expect(tree.streamed.get('journal-export')).toBe(text.length);
        expect(tree.text('journal-export')).toBe(kept ? text : undefined);
        expect(tree.notes).toEqual(kept ? [] : ['journal-export: larger than the 100 B limit for a parsed file; skipped']);
      }
    }
  });

  it('entries of an archive are not sole', async () => {
    const path = writeTmp('b.tgz', await makeTarGz([{ name: 'journal-export', content: 'x\n' }]));
    const soles: (boolean | undefined)[] = [];
    const tree = await readBundle(path, { keep: () => true, streamTo: (info) => (soles.push(info.sole), undefined) });
    expect(soles).toEqual([undefined]);
    expect(tree.text('journal-export')).toBe('x\n');
  });

  it('truncated xz is a one-line error', async () => {
    const xz = await makeTarXz([{ name: 'f', content: 'q'.repeat(200_000) + Math.random() }]);
    const path = writeTmp('t.tar.xz', xz.subarray(0, xz.length >> 1));
    const err = await readBundle(path, keepAll).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BundleError);
    expect((err as Error).message.split('\n')).toHaveLength(1);
    expect((err as Error).message).toMatch(/t\.tar\.xz: .*(truncated|corrupt)/);
  });
});
