/**
 * An empty tar is its two end-of-archive blocks: 1024 zero bytes. Troubleshoot's copy-from-host
 * collector writes one for a path that held nothing (the k3s baseline bundle has two). It is an
 * empty archive, not "binary data".
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readBundle } from '../../src/bundle/read.js';
import { makeTar, makeTarGz, writeTmp } from '../helpers/archive.js';
import { corpusPath, hasCorpus } from '../helpers/shared.js';

const keepAll = { keep: () => true };

describe('an empty archive inside a bundle', () => {
  it('1024 zero bytes named .tar (and an empty tar gzipped) are noted as empty archives', async () => {
    const empty = await makeTar([]);
    expect(empty.length).toBe(1024);
    expect(empty.every((b) => b === 0)).toBe(true);
    const gz = await makeTarGz([
      { name: 'supportbundle/version.yaml', content: 'apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\n' },
      { name: 'supportbundle/copy-from-host-example/primary-node/archive.tar', content: empty },
      { name: 'supportbundle/copy-from-host-example/worker-node/archive.tar.gz', content: gzipSync(empty) },
    ]);
    const tree = await readBundle(writeTmp('b.tgz', gz), keepAll);
    const notes = tree.notes.join('\n');
    expect(notes).not.toMatch(/binary/);
    expect(tree.notes).toEqual([
      'supportbundle/copy-from-host-example/primary-node/archive.tar: an empty archive (it holds no files)',
      'supportbundle/copy-from-host-example/worker-node/archive.tar.gz: an empty archive (it holds no files)',
    ]);
  });

  it('a nested archive with files is read as before; zeros under another name, or data that is no tar, are still binary', async () => {
    const inner = await makeTar([{ name: 'etc/flannel/subnet.env', content: 'FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\n' }]);
    const garbage = Buffer.from(Array.from({ length: 1024 }, (_, i) => ((i * 2654435761) >>> 24) | 1));
    const gz = await makeTarGz([
      { name: 'b/host/archive.tar', content: inner },
      { name: 'b/host/other.tar', content: garbage },
      { name: 'b/host/zeros.zip', content: Buffer.alloc(1024) },
    ]);
    const tree = await readBundle(writeTmp('c.tgz', gz), keepAll);
    expect(tree.text('b/host/archive.tar/etc/flannel/subnet.env')).toMatch(/^FLANNEL_NETWORK/);
    expect(tree.notes).toEqual([
      'b/host/other.tar: named like an archive but holds binary data; not opened',
      'b/host/zeros.zip: named like an archive but holds binary data; not opened',
    ]);
  });
});

describe.skipIf(!hasCorpus)('the troubleshoot k3s baseline bundle', () => {
  it("notes its copy-from-host archive.tar files as empty", async () => {
    const tree = await readBundle(corpusPath('bundles', 'troubleshoot-baseline-supportbundle-k3s-flannel.tar.gz'), keepAll);
    const notes = tree.notes.filter((n) => n.includes('archive.tar'));
    expect(notes).toEqual([
      'supportbundle/collectd/rrd/primary-node/archive.tar: an empty archive (it holds no files)',
      'supportbundle/copy-from-host-example/primary-node/archive.tar: an empty archive (it holds no files)',
    ]);
  });
});
