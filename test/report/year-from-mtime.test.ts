/**
 * A year-less log line (syslog, klog) takes its year from when the file was written, as the
 * archive or the folder states it: a bundle collected in March of last year is not read as this
 * year's. A placeholder time (0, the zip format's 1980 floor) is no witness: the guess from today stays.
 */
import { utimesSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { makeTarGz, writeFolder, writeTmp } from '../helpers/archive.js';

const LINE = 'Mar  3 10:15:02 h1 dockerd[981]: WARNING: IPv4 forwarding is disabled. Networking will not work.\n';
const WRITTEN = new Date(Date.UTC(2025, 2, 5, 8, 0, 0));
const SYSCTL = 'net.ipv4.ip_forward = 0\n';

async function timeOfLine(input: string): Promise<string | undefined> {
  const r = await analyzeBundle(input);
  const e = r.findings.flatMap((f) => f.evidence).find((x) => x.file.endsWith('messages'));
  expect(e?.yearInferred).toBe(true);
  return e?.time;
}

/** The year today's guess gives March 3rd (the year before when it would lie more than a day ahead). */
function guessedYear(): number {
  const now = Date.now() + 24 * 3600 * 1000;
  const y = new Date(now).getUTCFullYear();
  return Date.UTC(y, 2, 3, 10, 15, 2) > now ? y - 1 : y;
}

describe('year of a year-less log line', () => {
  it('from the tar entry time', async () => {
    const tgz = await makeTarGz([
      { name: 'h1/sysctl.txt', content: SYSCTL, mtime: WRITTEN },
      { name: 'h1/var/log/messages', content: LINE, mtime: WRITTEN },
    ]);
    expect(await timeOfLine(writeTmp('old-ticket.tgz', tgz))).toMatch(/^2025-03-03T10:15:02/);
  });

  it('from the zip entry time', async () => {
    const { zipSync } = await import('fflate');
    const zip = zipSync({ 'h1/sysctl.txt': [Buffer.from(SYSCTL), { mtime: WRITTEN }], 'h1/var/log/messages': [Buffer.from(LINE), { mtime: WRITTEN }] });
    expect(await timeOfLine(writeTmp('old-ticket.zip', Buffer.from(zip)))).toMatch(/^2025-03-03T10:15:02/);
  });

  it("from a folder file's modification time, and a log given on its own", async () => {
    const dir = writeFolder({ 'sysctl.txt': SYSCTL, 'var/log/messages': LINE }, 'h1');
    utimesSync(join(dir, 'var/log/messages'), WRITTEN, WRITTEN);
    expect(await timeOfLine(dir)).toMatch(/^2025-03-03T10:15:02/);
    const sole = writeTmp('messages', LINE);
    utimesSync(sole, WRITTEN, WRITTEN);
    const r = await analyzeBundle(sole);
    const m = r.findings.flatMap((f) => f.evidence).find((x) => x.file.endsWith('messages'));
    expect(m?.time).toMatch(/^2025-03-03T10:15:02/);
  });

  it("a placeholder time (the epoch) is no witness: today's guess", async () => {
    const tgz = await makeTarGz([
      { name: 'h1/sysctl.txt', content: SYSCTL, mtime: new Date(0) },
      { name: 'h1/var/log/messages', content: LINE, mtime: new Date(0) },
    ]);
    expect(await timeOfLine(writeTmp('epoch.tgz', tgz))).toMatch(new RegExp(`^${guessedYear()}-03-03T10:15:02`));
  });
});
