/**
 * A zip's CRC-32 is checked: yauzl checks sizes only, and a flipped bit in an entry's data was
 * analyzed as the bundle's text (`net.ipv4.ip_forward = 0` read as `= 1`: the critical finding gone).
 */
import { describe, expect, it } from 'vitest';
import { BundleError } from '../../src/bundle/errors.js';
import { readBundle } from '../../src/bundle/read.js';
import { writeTmp } from '../helpers/archive.js';

/** a zip whose entries are stored (not deflated), so a flipped byte changes the text, not the inflating */
async function storedZip(files: Record<string, string>): Promise<Buffer> {
  const { zipSync } = await import('fflate');
  const input: Record<string, [Uint8Array, { level: 0 }]> = {};
  for (const [name, content] of Object.entries(files)) input[name] = [Buffer.from(content), { level: 0 }];
  return Buffer.from(zipSync(input));
}

function flip(zip: Buffer, text: string, from: string, to: string): Buffer {
  const out = Buffer.from(zip);
  const at = out.indexOf(text);
  expect(at).toBeGreaterThan(0);
  out.write(text.replace(from, to), at);
  return out;
}

const keepAll = { keep: () => true };

describe('zip entries are checked against their CRC-32', () => {
  const sysctl = 'net.ipv4.ip_forward = 0\nnet.bridge.bridge-nf-call-iptables = 1\n';
  // over 256 KiB: read by our own reader, not yauzl's
  const big = 'kernel: nf_conntrack: table full, dropping packet\n'.repeat(8000) + sysctl;

  it('an intact zip reads as ever', async () => {
    const tree = await readBundle(writeTmp('ok.zip', await storedZip({ 'node/sysctl-a.txt': sysctl, 'node/big.txt': big })), keepAll);
    expect(tree.text('node/sysctl-a.txt')).toBe(sysctl);
    expect(tree.text('node/big.txt')).toBe(big);
  });

  for (const [what, name, content] of [
    ['a small entry', 'node/sysctl-a.txt', sysctl],
    ['a big entry', 'node/big.txt', big],
    // a message that names a .xz file is still the zip's error, not an xz one
    ['an entry named like an xz file', 'node/messages-1.xz', sysctl],
  ] as const) {
    it(`a flipped byte in ${what} is a corrupt archive, named`, async () => {
      const zip = await storedZip({ [name]: content });
      const bad = flip(zip, 'ip_forward = 0', '0', '1');
      const err = await readBundle(writeTmp('bad.zip', bad), keepAll).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BundleError);
      expect((err as BundleError).code).toBe('corrupt');
      expect((err as Error).message).toMatch(new RegExp(`bad\\.zip: corrupt zip archive \\(CRC mismatch in ${name.replace('.', '\\.')}: [0-9a-f]{8}, should be [0-9a-f]{8}\\)$`));
    });
  }
});

describe('a zip bomb is refused as a tar.gz one is', () => {
  it('the compression ratio counts the zip file itself as the compressed bytes', async () => {
    const { zipSync } = await import('fflate');
    // 24 MiB of zeros deflate to ~24 KiB: a ratio of ~1000
    const zip = Buffer.from(zipSync({ 'node/messages': new Uint8Array(24 * 1024 * 1024) }));
    const limits = { ratioCheckAfterBytes: 8 * 1024 * 1024, maxRatio: 250 };
    const err = await readBundle(writeTmp('bomb.zip', zip), { keep: () => false, limits }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BundleError);
    expect((err as Error).message).toMatch(/bomb\.zip: decompression bomb suspected/);
    // the same zip under a ratio it keeps to is read
    await expect(readBundle(writeTmp('fine.zip', zip), { keep: () => false, limits: { ...limits, maxRatio: 5000 } })).resolves.toBeDefined();
  });
});
