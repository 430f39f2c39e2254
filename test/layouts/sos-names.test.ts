/**
 * A sosreport without a hostname file is named after its folder: sos's archive name less the
 * date, the random suffix and a numeric case id, never less a piece of the host name.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readBundle } from '../../src/bundle/read.js';
import { isWantedPath, locate } from '../../src/layouts/index.js';
import { sosHostOf } from '../../src/layouts/locate.js';
import { makeTarXz, makeZip, writeTmp } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

describe('the host in a sosreport name', () => {
  it.each([
    // sos 4: sosreport-<host>[-<case id>]-<YYYY-MM-DD>-<random>
    ['sosreport-ip-10-0-1-5-2024-11-20-abcdef', 'ip-10-0-1-5'],
    ['sosreport-k8s-worker01-2024-11-20-abcdef', 'k8s-worker01'],
    ['sosreport-k8s-worker01-03512345-2024-11-20-x1y2z3', 'k8s-worker01'],
    ['sosreport-node-a-2024-11-20-abcdef', 'node-a'],
    // older sos: <host>.<case id>, a 7-letter random suffix
    ['sosreport-node-d.01234567-2019-05-10-xyzabcd', 'node-d'],
    // sos 3: sosreport-<host>[-<case id>]-<YYYYMMDDHHMMSS>
    ['sosreport-rhel7-node3-01234567-20190510101010', 'rhel7-node3'],
    ['sosreport-rhel7-node3-20190510101010', 'rhel7-node3'],
    // renamed by hand: only the prefix goes
    ['sosreport-worker-2', 'worker-2'],
  ])('%s -> %s', (folder, host) => {
    expect(sosHostOf(folder)).toBe(host);
  });

  it('not a sosreport name', () => {
    expect(sosHostOf('node-a')).toBeUndefined();
  });

  it('two sosreports of ip-named EC2 hosts in one zip, no hostname files: two distinct nodes', async () => {
    const ipA = readFileSync(projectPath('test/fixtures/iproute2/ip_a'), 'utf8');
    const sos = async (host: string) =>
      makeTarXz([
        { name: `sosreport-${host}-2024-11-20-abcdef/sos_commands/networking/ip_-d_address`, content: ipA },
        { name: `sosreport-${host}-2024-11-20-abcdef/version.txt`, content: 'sosreport: 4.5.6\n' },
      ]);
    const zip = await makeZip({
      'sosreport-ip-10-0-1-5-2024-11-20-abcdef.tar.xz': await sos('ip-10-0-1-5'),
      'sosreport-ip-10-0-1-6-2024-11-20-abcdef.tar.xz': await sos('ip-10-0-1-6'),
    });
    const tree = await readBundle(writeTmp('case.zip', zip), { keep: (i) => i.size < 1 << 20 || isWantedPath(i.path) });
    const l = locate(tree, 'case');
    expect(l.nodes.map((n) => [n.name, n.nameFrom])).toEqual([
      ['ip-10-0-1-5', 'folder name'],
      ['ip-10-0-1-6', 'folder name'],
    ]);
    expect(l.notes.filter((n) => n.includes('two nodes are named'))).toEqual([]);
  });
});
