/**
 * sos keeps only the end of a log over its size limit: the tail goes to
 * sos_strings/logs/<name>.tailed and sos_commands/logs/<name> is a symlink to it. Evidence from
 * such a log names the path the layout uses (the symlink), the same the coverage names, and a
 * note says the log's start is missing.
 */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { syslogLine } from '../../bench/gen.js';
import { tmpDir } from '../helpers/archive.js';
import { corpusPath, hasCorpus } from '../helpers/shared.js';

const root = 'sosreport-node-t-2024-11-20-tttttt';

/** ~1.5 MB of journal, the tail sos kept, a dockerd failure at line `at` */
function journalTail(at: number): string {
  const lines = Array.from({ length: 12000 }, (_, i) => {
    const k = i * 3 + 100;
    return syslogLine(k % 20011 === 7 || k % 30011 === 11 ? k + 1 : k);
  });
  lines[at - 1] = syslogLine(7);
  return lines.join('');
}

function sosFolder(files: Record<string, string>, links: Record<string, string>): string {
  const dir = join(tmpDir(), root);
  for (const [p, data] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), data);
  }
  for (const [p, target] of Object.entries(links)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    symlinkSync(target, join(dir, p));
  }
  return dir;
}

describe.skipIf(!hasCorpus)('a journal sos cut to its tail', () => {
  it('is cited by its sos_commands path, as in the coverage, with a note that its start is missing', async () => {
    const dir = sosFolder(
      {
        hostname: 'node-t\n',
        'sos_commands/networking/ip_-d_address': readFileSync(corpusPath('ip-addr', 'jc-centos77-docker0-ifconfig.txt'), 'utf8'),
        'sos_strings/logs/journalctl_--no-pager.tailed': journalTail(9001),
        // a log sos kept whole: cited as itself, no note
        'var/log/messages': readFileSync(corpusPath('logs', 'moby-22805-ipv4-forwarding-disabled-warning.log'), 'utf8'),
      },
      { 'sos_commands/logs/journalctl_--no-pager': '../../sos_strings/logs/journalctl_--no-pager.tailed' },
    );
    const report = await analyzeBundle(dir);
    const journal = 'sos_commands/logs/journalctl_--no-pager';
    const evidence = report.findings.flatMap((f) => f.evidence);
    const fromJournal = evidence.filter((e) => e.file.includes('journalctl'));
    expect(fromJournal.length).toBeGreaterThan(0);
    for (const e of fromJournal) expect(e.file).toBe(journal);
    expect(fromJournal.find((e) => e.line === 9001)?.excerpt).toMatch(/dockerd\[981\].*No chain\/target\/match/);
    expect(evidence.some((e) => e.file.includes('sos_strings'))).toBe(false);
    for (const t of report.timeline ?? []) expect(t.file).not.toMatch(/sos_strings/);
    const node = report.coverage.nodes[0];
    expect(node.logs?.map((l) => l.file).sort()).toEqual([journal, 'var/log/messages']);
    expect(report.coverage.notes).toContain(
      `${journal}: sos kept only the end of this log (sos_strings/logs/journalctl_--no-pager.tailed); its start is missing, and its line numbers count from where the kept part begins`,
    );
    expect(report.coverage.notes.filter((n) => n.includes('var/log/messages'))).toEqual([]);
    expect(evidence.some((e) => e.file === 'var/log/messages')).toBe(true);
  });
});
