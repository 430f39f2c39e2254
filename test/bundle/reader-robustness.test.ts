/**
 * Hostile or damaged bundles the reader must finish with a note, not hang on, fail whole, or
 * read silently wrong: a link into its own folder, an unreadable file in a folder bundle, the
 * kept-bytes budget, logs with NUL runs, GNU sparse members, v7 tar, a tar cut at an entry boundary.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectFormat, looksLikeText } from '../../src/bundle/formats.js';
import { DEFAULT_LIMITS, readBundle } from '../../src/bundle/read.js';
import { BundleTree } from '../../src/bundle/tree.js';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { makeTar, makeTarGz, tmpDir, writeTmp } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const keepAll = { keep: () => true };
const BIN = projectPath('dist/src/bin.js');

function cli(args: string[], opts: { uid?: number; gid?: number } = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000, ...opts });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, error: r.error, signal: r.signal };
}

function hasTool(cmd: string): boolean {
  return spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Rewrites a tar block's checksum after an edit. */
function fixChecksum(block: Buffer): void {
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += block[i];
  block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
}

/** The headers of a tar, with their offsets. */
function headerOffsets(tar: Buffer): number[] {
  const out: number[] = [];
  for (let off = 0; off + 512 <= tar.length; ) {
    const block = tar.subarray(off, off + 512);
    if (block.every((b) => b === 0)) break;
    out.push(off);
    const size = parseInt(block.toString('latin1', 124, 136).replace(/\0.*$/, '').trim() || '0', 8);
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

/** A tar as `tar --format=v7` writes it: no ustar magic, no owner names, no prefix. */
function toV7(tar: Buffer): Buffer {
  const out = Buffer.from(tar);
  for (const off of headerOffsets(out)) {
    const block = out.subarray(off, off + 512);
    block.fill(0, 257, 512);
    // v7 knows regular files as '\0'
    if (block[156] === 0x30) block[156] = 0;
    fixChecksum(block);
  }
  return out;
}

/** A sysctl output that fires sysctl.ip-forward-disabled, for bundles that must still be analyzed. */
const SYSCTL = 'net.ipv4.ip_forward = 0\nnet.bridge.bridge-nf-call-iptables = 1\n';
const conntrackLine = (i: number) => `Dec  1 10:00:${String(i % 60).padStart(2, '0')} host kernel: nf_conntrack: table full, dropping packet\n`;

beforeAll(() => {
  if (!existsSync(BIN)) execFileSync('npm', ['run', 'build'], { cwd: projectPath(), stdio: 'ignore' });
});

describe('entry names with a backslash', () => {
  it("a tar keeps it as a character of the name (a Linux file may hold one); a zip made on Windows separates folders with it", async () => {
    const gz = await makeTarGz([{ name: 'node\\x/docker.log', content: 'x\n' }]);
    const tree = await readBundle(writeTmp('backslash.tgz', gz), keepAll);
    expect(tree.paths()).toEqual(['node\\x/docker.log']);
    const { normalizeEntryPath } = await import('../../src/bundle/paths.js');
    expect(normalizeEntryPath('node\\x\\docker.log')).toEqual({ path: 'node/x/docker.log' });
    expect(normalizeEntryPath('..\\..\\etc\\passwd', false)).toEqual({ path: '..\\..\\etc\\passwd' });
  });
});

describe('a symlink into its own folder', () => {
  it('is noted as a loop and dropped; paths through it resolve at once', async () => {
    const gz = await makeTarGz([
      { name: 'node/x/y/z', content: 'deep\n' },
      { name: 'node/docker.log', content: 'x\n' },
      { name: 'node/x', type: 'symlink', linkname: 'x/y' },
    ]);
    const tree = await readBundle(writeTmp('selflink.tgz', gz), keepAll);
    expect(tree.notes.join('\n')).toMatch(/symlink node\/x -> x\/y loops; ignored/);
    expect(tree.links.has('node/x')).toBe(false);
    expect(tree.resolve('node/x/foo')).toBe('node/x/foo');
    expect(tree.has('node/x/y/z')).toBe(true);
    expect(tree.text('node/x/y/z')).toBe('deep\n');
    expect(tree.paths().sort()).toEqual(['node/docker.log', 'node/x/y/z']);
  });

  it('two links into each other are dropped, and resolve() stays bounded', () => {
    const tree = new BundleTree('t');
    tree.entries.set('b/c/f', 1);
    tree.entries.set('a/d/g', 1);
    tree.entries.set('ok/file', 1);
    tree.addLink('a', 'b/c');
    tree.addLink('b', 'a/d');
    tree.addLink('good', 'ok');
    tree.resolveLinks();
    expect(tree.notes.join('\n')).toMatch(/ loops; ignored/);
    // at least one of the pair is gone: nothing resolves round and round
    expect(tree.links.has('a') && tree.links.has('b')).toBe(false);
    expect(typeof tree.resolve('a/q/r')).toBe('string');
    expect(typeof tree.resolve('b/q/r')).toBe('string');
    expect(tree.resolve('good/file')).toBe('ok/file');
  });

  it('a sosreport whose command folder links into itself is analyzed to the end (built CLI)', async () => {
    const gz = await makeTarGz([
      { name: 'sosreport-h1/sos_commands/x/networking/ip_-o_addr', content: '1: lo    inet 127.0.0.1/8 scope host lo\n' },
      { name: 'sosreport-h1/sos_commands/kernel/sysctl_-a', content: SYSCTL },
      { name: 'sosreport-h1/sos_commands', type: 'symlink', linkname: 'sos_commands/x' },
      { name: 'node/x/y/z', content: 'deep\n' },
      { name: 'node/x', type: 'symlink', linkname: 'x/y' },
    ]);
    const r = cli(['analyze', writeTmp('selflink2.tgz', gz), '--format', 'json', '-q']);
    expect(r.signal).toBeNull();
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const notes: string[] = JSON.parse(r.stdout).bundles[0].coverage.notes;
    expect(notes.join('\n')).toMatch(/symlink sosreport-h1\/sos_commands -> sos_commands\/x loops; ignored/);
    expect(notes.join('\n')).toMatch(/symlink node\/x -> x\/y loops; ignored/);
  });
});

describe('a folder bundle with an unreadable file or folder', () => {
  const root = process.getuid?.() === 0;
  let dir = '';
  beforeAll(() => {
    const base = tmpDir();
    chmodSync(base, 0o755);
    dir = join(base, 'bundle');
    mkdirSync(join(dir, 'node1', 'private'), { recursive: true });
    writeFileSync(join(dir, 'node1', 'sysctl-a.txt'), SYSCTL);
    writeFileSync(join(dir, 'node1', 'hostname'), 'node1\n');
    writeFileSync(join(dir, 'node1', 'messages'), conntrackLine(1) + conntrackLine(2));
    writeFileSync(join(dir, 'node1', 'secret.txt'), 'no one may read this\n');
    writeFileSync(join(dir, 'node1', 'private', 'inside.txt'), 'nor this\n');
    chmodSync(dir, 0o755);
    chmodSync(join(dir, 'node1'), 0o755);
    chmodSync(join(dir, 'node1', 'sysctl-a.txt'), 0o644);
    chmodSync(join(dir, 'node1', 'hostname'), 0o644);
    chmodSync(join(dir, 'node1', 'messages'), 0o644);
    chmodSync(join(dir, 'node1', 'secret.txt'), 0o000);
    chmodSync(join(dir, 'node1', 'private'), 0o000);
  });
  afterAll(() => {
    if (!dir) return;
    chmodSync(join(dir, 'node1', 'private'), 0o755);
    chmodSync(join(dir, 'node1', 'secret.txt'), 0o644);
  });

  it.skipIf(root)('notes each unreadable one and reads the rest', async () => {
    const tree = await readBundle(dir, keepAll);
    expect(tree.text('node1/sysctl-a.txt')).toBe(SYSCTL);
    expect(tree.notes).toContain('node1/secret.txt: permission denied; skipped');
    expect(tree.notes).toContain('node1/private: permission denied; skipped');
  });

  // root reads every file whatever its mode: the built CLI runs as nobody instead
  it.skipIf(!root)('notes each unreadable one and reads the rest (built CLI as nobody)', () => {
    const r = cli(['analyze', dir, '--as-bundle', '--format', 'json', '-q'], { uid: 65534, gid: 65534 });
    if (r.error) return; // no such user, or spawning as another user is not allowed here
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const b = JSON.parse(r.stdout).bundles[0];
    expect(b.coverage.notes).toContain('node1/secret.txt: permission denied; skipped');
    expect(b.coverage.notes).toContain('node1/private: permission denied; skipped');
    expect(b.findings.map((f: { id: string }) => f.id)).toContain('log.conntrack-table-full');
  });

  it('a folder none of whose files can be read is one clear error', async () => {
    const base = tmpDir();
    chmodSync(base, 0o755);
    const none = join(base, 'none');
    mkdirSync(join(none, 'n'), { recursive: true });
    writeFileSync(join(none, 'n', 'f'), 'x\n');
    chmodSync(none, 0o755);
    chmodSync(join(none, 'n'), 0o755);
    chmodSync(join(none, 'n', 'f'), 0o000);
    try {
      if (!root) {
        await expect(readBundle(none, keepAll)).rejects.toThrow(/none: no file of the folder could be read \(n\/f: permission denied\)/);
        return;
      }
      const r = cli(['analyze', none, '--as-bundle', '-q'], { uid: 65534, gid: 65534 });
      if (r.error) return;
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toMatch(/none: no file of the folder could be read \(n\/f: permission denied\)$/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      chmodSync(join(none, 'n', 'f'), 0o644);
    }
  });
});

describe('the budget for parsed files', () => {
  it('is what a real multi-node bundle needs, not a gigabyte', () => {
    // several 180,000-line kube-proxy dumps (~20 MB each) fit; 16 nodes of 60 MB dumps do not
    expect(DEFAULT_LIMITS.maxKeptTotalBytes).toBeGreaterThanOrEqual(6 * 20 * 1024 ** 2);
    expect(DEFAULT_LIMITS.maxKeptTotalBytes).toBeLessThanOrEqual(256 * 1024 ** 2);
    expect(DEFAULT_LIMITS.maxKeptFileBytes).toBeLessThanOrEqual(DEFAULT_LIMITS.maxKeptTotalBytes);
  });

  it('past it, files are skipped with a note and the rest is read', async () => {
    const rules = '*filter\n' + '-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT\n'.repeat(100) + 'COMMIT\n';
    const items = [];
    for (let k = 0; k < 6; k++) {
      items.push({ name: `node${k}/iptables-save.txt`, content: rules });
      items.push({ name: `node${k}/hostname`, content: `node${k}\n` });
    }
    const tree = await readBundle(writeTmp('mem.tgz', await makeTarGz(items)), {
      keep: () => true,
      limits: { maxKeptTotalBytes: 3 * rules.length + 100 },
    });
    const limited = tree.notes.filter((n) => /memory limit for parsed files reached; skipped/.test(n));
    expect(limited.length).toBeGreaterThanOrEqual(2);
    expect(tree.text('node0/iptables-save.txt')).toBe(rules);
    expect(tree.entries.size).toBe(12);
  });
});

describe('logs with runs of NUL bytes (a crash left preallocated blocks)', () => {
  const lines = Array.from({ length: 1000 }, (_, i) => conntrackLine(i));
  const crashed = Buffer.concat([Buffer.from(lines[0]), Buffer.alloc(3000), Buffer.from(lines.slice(1).join(''))]);

  it('text with NUL runs is text; NULs between characters, a padded name or many control bytes are binary', () => {
    expect(looksLikeText(crashed.subarray(0, 4096))).toBe(true);
    expect(detectFormat(crashed.subarray(0, 4096))).toBe('text');
    // a log whose end was never written
    expect(looksLikeText(Buffer.concat([Buffer.from(lines.slice(0, 5).join('')), Buffer.alloc(4000)]))).toBe(true);
    // a stray NUL in every line
    expect(looksLikeText(Buffer.from(lines.slice(0, 60).map((l) => l.replace(', ', ',\0 ')).join('')))).toBe(true);
    expect(looksLikeText(Buffer.alloc(4096))).toBe(false);
    expect(looksLikeText(Buffer.from(lines.slice(0, 40).join(''), 'utf16le'))).toBe(false);
    // the first bytes of a cut tar: a name padded with NULs
    expect(looksLikeText(Buffer.concat([Buffer.from('support-bundle-2026-11-20T11_00_00/'), Buffer.alloc(64)]))).toBe(false);
    const binary = Buffer.alloc(4096);
    for (let i = 0; i < binary.length; i += 2) binary[i] = (i * 31) & 0xff;
    expect(looksLikeText(binary)).toBe(false);
  });

  it('a kept one is read as text, without the NULs', async () => {
    const tree = await readBundle(writeTmp('nul.tgz', await makeTarGz([{ name: 'node/messages', content: crashed }])), keepAll);
    const text = tree.text('node/messages')!;
    expect(text).not.toContain('\0');
    expect(text.split('\n').length).toBe(1001);
    expect(text).toContain('table full');
  });

  it('in a hand-made bundle it is found as a log and scanned', async () => {
    const gz = await makeTarGz([
      { name: 'node/messages', content: crashed },
      { name: 'node/sysctl-a.txt', content: SYSCTL },
      { name: 'node/hostname', content: 'node\n' },
    ]);
    const report = await analyzeBundle(writeTmp('nulmessages.tgz', gz));
    expect(report.findings.map((f) => f.id)).toContain('log.conntrack-table-full');
  });

  it('given on its own it is a log, not "binary data"', async () => {
    const report = await analyzeBundle(writeTmp('crashlog.log', crashed));
    expect(report.findings.map((f) => f.id)).toContain('log.conntrack-table-full');
  });

  it('a big binary file with no name a rule knows is noted, not dropped silently', async () => {
    const dir = join(tmpDir(), 'bundle');
    mkdirSync(join(dir, 'node'), { recursive: true });
    writeFileSync(join(dir, 'node', 'sysctl-a.txt'), SYSCTL);
    writeFileSync(join(dir, 'node', 'hostname'), 'node\n');
    const bin = Buffer.alloc(2 * 1024 * 1024);
    for (let i = 0; i < bin.length; i++) bin[i] = (i * 7919) & 0xff;
    writeFileSync(join(dir, 'node', 'core-dump'), bin);
    const report = await analyzeBundle(dir);
    expect(report.coverage.notes).toContain('node/core-dump: binary data; not scanned as a log');
  });
});

describe('GNU sparse members', () => {
  it('an old GNU sparse entry (type S) is noted, not read as a file', async () => {
    const tar = await makeTar([
      { name: 'node/sysctl-a.txt', content: SYSCTL },
      { name: 'node/messages', content: conntrackLine(0) },
      { name: 'node/hostname', content: 'node\n' },
    ]);
    const offsets = headerOffsets(tar);
    const block = tar.subarray(offsets[1], offsets[1] + 512);
    block[156] = 'S'.charCodeAt(0);
    fixChecksum(block);
    const tree = await readBundle(writeTmp('sparse.tar', tar), keepAll);
    expect(tree.notes).toContain('node/messages: a sparse file (tar --sparse); not read');
    expect(tree.read('node/messages')).toBeUndefined();
    expect(tree.text('node/hostname')).toBe('node\n');
  });

  it.skipIf(!hasTool('tar') || !hasTool('truncate'))('GNU tar --sparse, in GNU and in POSIX format', async () => {
    const base = tmpDir();
    mkdirSync(join(base, 'node'));
    writeFileSync(join(base, 'node', 'sysctl-a.txt'), SYSCTL);
    const log = join(base, 'node', 'messages');
    execFileSync('truncate', ['-s', '10M', log]);
    writeFileSync(log, conntrackLine(1), { flag: 'a' });
    execFileSync('truncate', ['-s', '20M', log]);
    for (const format of ['gnu', 'posix']) {
      const out = join(base, `sparse-${format}.tgz`);
      execFileSync('tar', ['-C', base, '--sparse', `--format=${format}`, '-czf', out, 'node']);
      const tree = await readBundle(out, keepAll);
      // a file system without holes stores it whole: then it is a plain file
      if (tree.read('node/messages') !== undefined) continue;
      expect(tree.notes).toContain('node/messages: a sparse file (tar --sparse); not read');
      expect(tree.text('node/sysctl-a.txt')).toBe(SYSCTL);
    }
  });
});

describe('v7 tar (no ustar magic)', () => {
  const items = [
    { name: 'node/sysctl-a.txt', content: SYSCTL },
    { name: 'node/hostname', content: 'node\n' },
  ];

  it('is read plain and gzipped', async () => {
    const v7 = toV7(await makeTar(items));
    expect(v7.toString('latin1', 257, 262)).not.toBe('ustar');
    for (const [name, data] of [
      ['v7.tar', v7],
      ['v7.tar.gz', gzipSync(v7)],
    ] as const) {
      const tree = await readBundle(writeTmp(name, data), keepAll);
      expect(tree.text('node/sysctl-a.txt'), name).toBe(SYSCTL);
      expect(tree.text('node/hostname'), name).toBe('node\n');
    }
  });

  it.skipIf(!hasTool('tar'))('as GNU tar --format=v7 writes it', async () => {
    const base = tmpDir();
    mkdirSync(join(base, 'node'));
    writeFileSync(join(base, 'node', 'sysctl-a.txt'), SYSCTL);
    const out = join(base, 'v7.tar');
    execFileSync('tar', ['-C', base, '--format=v7', '-cf', out, 'node']);
    const tree = await readBundle(out, keepAll);
    expect(tree.container).toBe('tar');
    expect(tree.text('node/sysctl-a.txt')).toBe(SYSCTL);
    const gz = writeTmp('v7.tar.gz', gzipSync(readFileSync(out)));
    expect((await readBundle(gz, keepAll)).text('node/sysctl-a.txt')).toBe(SYSCTL);
  });
});

describe('a tar cut at an entry boundary', () => {
  const items = [
    { name: 'node/sysctl-a.txt', content: SYSCTL },
    { name: 'node/hostname', content: 'node\n' },
  ];

  it('is read, with a note that it may be cut short', async () => {
    const tar = await makeTar(items);
    const offsets = headerOffsets(tar);
    const end = offsets[1] + 1024; // the second header and its one block of data
    expect(tar.subarray(end).every((b) => b === 0)).toBe(true);
    const cut = tar.subarray(0, end);
    const tree = await readBundle(writeTmp('cut.tar', cut), keepAll);
    expect(tree.text('node/hostname')).toBe('node\n');
    expect(tree.notes).toContain('cut.tar: the archive ends without its end marker: it may be cut short');
    const tgz = await readBundle(writeTmp('cut.tgz', gzipSync(cut)), keepAll);
    expect(tgz.notes).toContain('cut.tgz: the archive ends without its end marker: it may be cut short');
  });

  it('a complete tar gets no such note', async () => {
    const tree = await readBundle(writeTmp('whole.tar', await makeTar(items)), keepAll);
    expect(tree.notes).toEqual([]);
  });
});
