/**
 * The xz decoders: node-liblzma's native addon and its WebAssembly build, which takes over where
 * the addon cannot load. Both must decode what xz writes (several streams, padding, every check)
 * and fail on data that is cut short or damaged.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadXzDecoder, XzTail, type XzDecoder } from '../../src/bundle/xz.js';
import { writeTmp, xzEncode } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

/** 1.3 MB of text that does not compress to nothing */
const text = Buffer.from(Array.from({ length: 60_000 }, (_, i) => `line ${i} ${(i * 2654435761) % 1000003}\n`).join(''));

function chunked(data: Buffer, size: number): Readable {
  const pieces: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) pieces.push(data.subarray(i, i + size));
  return Readable.from(pieces);
}

async function decode(decoder: XzDecoder, data: Buffer, { inChunk = 7777, outChunk = 64 * 1024 } = {}) {
  const out: Buffer[] = [];
  for await (const chunk of decoder.unxz(chunked(data, inChunk), outChunk)) out.push(chunk as Buffer);
  return { data: Buffer.concat(out) };
}

async function decodeError(decoder: XzDecoder, data: Buffer): Promise<string> {
  try {
    await decode(decoder, data);
  } catch (err) {
    return (err as Error).message;
  }
  return 'no error';
}

const nativeLoads = await loadXzDecoder('native').then(
  () => true,
  () => false,
);

for (const kind of ['wasm', 'native'] as const) {
  describe.skipIf(kind === 'native' && !nativeLoads)(`the ${kind} xz decoder`, () => {
    let decoder: XzDecoder;
    beforeAll(async () => {
      decoder = await loadXzDecoder(kind);
      expect(decoder.kind).toBe(kind);
    });

    it('decodes xz data fed in odd pieces', async () => {
      const { data } = await decode(decoder, await xzEncode(text));
      expect(data.equals(text)).toBe(true);
    });

    it('decodes every stream of concatenated xz files, with stream padding between and after', async () => {
      const a = await xzEncode(text.subarray(0, 500_000));
      const b = await xzEncode(text.subarray(500_000));
      const pad = Buffer.alloc(8);
      expect((await decode(decoder, Buffer.concat([a, b]))).data.equals(text)).toBe(true);
      expect((await decode(decoder, Buffer.concat([a, pad, b, pad]))).data.equals(text)).toBe(true);
    });

    it('reads every integrity check xz writes: none, CRC32, CRC64, SHA-256', async () => {
      for (const check of [0, 1, 4, 10]) expect((await decode(decoder, await xzEncode(text, check))).data.equals(text)).toBe(true);
    });

    it('fails on data cut short, wherever it is cut, even inside the stream footer', async () => {
      const xz = await xzEncode(text);
      for (const end of [100, xz.length >> 1, xz.length - 12, xz.length - 2, xz.length - 1])
        expect(await decodeError(decoder, xz.subarray(0, end)), `cut at ${end} of ${xz.length}`).toMatch(/unexpected end|no progress/i);
      // the second of two streams cut short
      const two = Buffer.concat([await xzEncode('first\n'), xz.subarray(0, xz.length >> 1)]);
      expect(await decodeError(decoder, two)).toMatch(/unexpected end|no progress|corrupt/i);
    });

    it('fails on damaged data and on data that is not xz', async () => {
      const xz = Buffer.from(await xzEncode(text));
      xz[xz.length >> 1] ^= 0x55;
      expect(await decodeError(decoder, xz)).toMatch(/corrupt|check/i);
      const notXz = Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), Buffer.from('not really xz at all, just text')]);
      expect(await decodeError(decoder, notXz)).not.toBe('no error');
    });

    it('a stream stopped halfway frees its decoder: the next one decodes', async () => {
      const xz = await xzEncode(text);
      for (let i = 0; i < 20; i++) {
        const stream = decoder.unxz(chunked(xz, 4096), 16 * 1024);
        for await (const _ of stream) break; // the iterator's return() destroys it
      }
      expect((await decode(decoder, xz)).data.equals(text)).toBe(true);
    });
  });
}

describe('XzTail: xz data must end with a stream footer ("YZ"), then only padding', () => {
  async function complete(pieces: number[][]): Promise<boolean> {
    const tail = new XzTail();
    const out: Buffer[] = [];
    for await (const c of Readable.from(pieces.map((p) => Buffer.from(p))).pipe(tail)) out.push(c as Buffer);
    expect(Buffer.concat(out).equals(Buffer.from(pieces.flat()))).toBe(true);
    return tail.complete();
  }
  const Y = 0x59;
  const Z = 0x5a;

  it('complete data, however it is split', async () => {
    expect(await complete([[1, 2, Y, Z]])).toBe(true);
    expect(await complete([[1, 2, Y], [Z]])).toBe(true);
    expect(await complete([[1, Y], [Z, 0, 0, 0, 0]])).toBe(true);
    expect(await complete([[1, 2, Y, Z], [0, 0, 0, 0], [0, 0, 0, 0]])).toBe(true);
    expect(await complete([[1, 2], [Y], [Z], [0, 0, 0, 0]])).toBe(true);
    expect(await complete([])).toBe(true); // empty input is the reader's to report ("empty")
  });

  it('data that stops before the footer ends', async () => {
    expect(await complete([[1, 2, Y]])).toBe(false);
    expect(await complete([[1, 2, Z]])).toBe(false);
    expect(await complete([[1, Y], [Y], [0, 0]])).toBe(false);
    expect(await complete([[Z, Y]])).toBe(false);
  });
});

describe('the CLI with either decoder', () => {
  const BIN = projectPath('dist/src/bin.js');
  beforeAll(() => {
    if (!existsSync(BIN)) execFileSync('npm', ['run', 'build'], { cwd: projectPath(), stdio: 'ignore' });
  });

  function analyze(file: string, env: NodeJS.ProcessEnv = {}, nodeArgs: string[] = []) {
    const r = spawnSync(process.execPath, [...nodeArgs, BIN, 'analyze', file, '--format', 'json'], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, BUNDLE_DOCTOR_XZ: undefined, ...env },
    });
    const findings = r.status === 0 ? (JSON.parse(r.stdout).bundles[0].findings as { id: string; evidence: { file: string; line: number }[] }[]) : [];
    return { code: r.status, stderr: r.stderr, findings: findings.map((f) => `${f.id} ${f.evidence.map((e) => `${e.file}:${e.line}`).join(' ')}`) };
  }

  it('an example bundle as .tar.xz gives the findings of its .tgz, decoded natively, in WebAssembly, and when the addon cannot load', async () => {
    const tgz = projectPath('bundles/docker-chains-flushed.tgz');
    const xz = writeTmp('docker-chains-flushed.tar.xz', await xzEncode(gunzipSync(readFileSync(tgz))));
    const want = analyze(tgz);
    expect(want.code).toBe(0);
    // one finding since the cause folds its symptoms (iptables.service-conflict), with their evidence: a report worth comparing
    expect(want.findings.length).toBeGreaterThanOrEqual(1);
    expect(want.findings.join(' ').split(' ').filter((x) => /:\d+$/.test(x)).length).toBeGreaterThanOrEqual(10);
    const runs = [
      analyze(xz, { BUNDLE_DOCTOR_XZ: 'wasm' }),
      analyze(xz, {}, ['--import', projectPath('test/helpers/no-native-xz.mjs')]),
      ...(nativeLoads ? [analyze(xz, { BUNDLE_DOCTOR_XZ: 'native' })] : []),
    ];
    for (const run of runs) {
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.findings).toEqual(want.findings);
    }
  });

  it('insisting on the native decoder where it cannot load is one line that says so', async () => {
    const xz = writeTmp('y.tar.xz', await xzEncode(gunzipSync(readFileSync(projectPath('bundles/ip-forward-off.tgz')))));
    const r = spawnSync(process.execPath, ['--import', projectPath('test/helpers/no-native-xz.mjs'), BIN, 'analyze', xz], {
      encoding: 'utf8',
      env: { ...process.env, BUNDLE_DOCTOR_XZ: 'native' },
    });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/y\.tar\.xz: cannot decode xz: the native decoder \(BUNDLE_DOCTOR_XZ=native\) could not load: .*GLIBCXX/);
  });

  it('a truncated single .xz log is reported, not read as a whole one', async () => {
    const log = Buffer.from(Array.from({ length: 200_000 }, (_, i) => `Nov 20 09:57:${String(i % 60).padStart(2, '0')} node1 kubelet[812]: sync loop ${i} ${(i * 2654435761) % 1000003}\n`).join(''));
    const xz = await xzEncode(log);
    const kinds = [{ BUNDLE_DOCTOR_XZ: 'wasm' }, ...(nativeLoads ? [{ BUNDLE_DOCTOR_XZ: 'native' }] : [])];
    const run = (file: string, env: NodeJS.ProcessEnv) =>
      spawnSync(process.execPath, [BIN, 'analyze', file, '--format', 'json'], { encoding: 'utf8', env: { ...process.env, ...env } });
    // Cut in the middle: what came before the cut was analyzed, and the report says the data ends early.
    const half = writeTmp('messages-1.xz', xz.subarray(0, xz.length >> 1));
    for (const env of kinds) {
      const r = run(half, env);
      expect(r.status, r.stderr).toBe(0);
      const bundle = JSON.parse(r.stdout).bundles[0];
      expect(bundle.coverage.notes.join('\n')).toMatch(/messages-1: xz data broken after \d+ bytes of text \(xz: unexpected end of input\); the lines before were read/);
      expect(bundle.coverage.nodes[0].logs[0].lines).toBeGreaterThan(10_000);
    }
    // Cut in the stream footer, after all the text: the native decoder gave it all, and no error.
    const footer = writeTmp('messages-2.xz', xz.subarray(0, xz.length - 6));
    for (const env of kinds) {
      const r = run(footer, env);
      expect(r.status, r.stderr).toBe(0);
      const bundle = JSON.parse(r.stdout).bundles[0];
      expect(bundle.coverage.notes.join('\n')).toMatch(/messages-2: xz data broken after \d+ bytes of text \(xz: unexpected end of input\)/);
      expect(bundle.coverage.nodes[0].logs[0].lines).toBe(200_000);
    }
  });
});
