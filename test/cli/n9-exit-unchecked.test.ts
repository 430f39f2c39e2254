/**
 * R19 N9: an input that was read but where nothing could be checked (no artifact any check reads)
 * is not "analyzed" (exit 0 would read as all clear to a script): exit 2, one stderr line, and its
 * report is still printed or written. A bundle whose checks ran exits as before.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { makeTarGz, tmpDir, writeTmp } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const BIN = projectPath('dist/src/bin.js');

async function notesOnly(name: string): Promise<string> {
  // a ticket's attachment holding only prose and a binary blob: read, but nothing a check reads
  return writeTmp(name, await makeTarGz([
    { name: 'ticket/notes.bin', content: 'Customer says containers cannot reach the database since Monday.\n' },
    { name: 'ticket/blob.dat', content: Buffer.from([0, 1, 2, 3, 0, 0, 7]).toString('latin1') },
  ]));
}

function io() {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: (s: string) => void (out.stdout += s), stderr: (s: string) => void (out.stderr += s) } };
}

describe('exit status when nothing could be checked', () => {
  it('one input: exit 2, one stderr line, the report still printed', async () => {
    const path = await notesOnly('n9-notes.tgz');
    const r = io();
    expect(await main(['analyze', path, '--format', 'json'], r.io)).toBe(2);
    expect(r.out.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.out.stderr).toMatch(/n9-notes\.tgz: nothing could be checked .*no finding can be trusted to be absent/);
    expect(JSON.parse(r.out.stdout).bundles).toHaveLength(1);
  });

  it('a bundle whose checks ran still exits 0 (healthy) or 1 (--fail-on)', async () => {
    const healthy = io();
    expect(await main(['analyze', projectPath('bundles/healthy-docker-k8s.tgz'), '--format', 'json'], healthy.io)).toBe(0);
    expect(healthy.out.stderr).not.toMatch(/nothing could be checked/);
    const sick = io();
    expect(await main(['analyze', projectPath('bundles/ip-forward-off.tgz'), '--format', 'json', '--fail-on', 'critical'], sick.io)).toBe(1);
  });

  it.skipIf(!existsSync(BIN))('a batch: exit 2 after every report is written, the checked bundle included', async () => {
    const unchecked = await notesOnly('n9-batch-notes.tgz');
    const out = tmpDir('n9-out-');
    const r = spawnSync(process.execPath, [BIN, 'analyze', unchecked, projectPath('bundles/healthy-docker-k8s.tgz'), '--format', 'json', '-o', out + '/', '-q'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/n9-batch-notes\.tgz: nothing could be checked/);
    const reports = readdirSync(out).filter((f) => !f.startsWith('index'));
    expect(reports).toHaveLength(2);
    const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8'));
    expect(index.totals.analyzed).toBe(2);
    writeFileSync(join(out, 'seen'), '');
  }, 60_000);
});
