/**
 * klog and syslog lines have no year. It comes from the log's own dated lines (the nearest one
 * before, or the first within the file's first lines), else it is guessed: the collection's year,
 * or the one before when the date would lie ahead of it. Never the future. Real text: traefik's
 * pod log from the k3s troubleshoot bundle (logrus lines with 2022 amid klog lines without a year).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readBundle } from '../../src/bundle/read.js';
import { scanLogText } from '../../src/logs/scanner.js';
import { parseTimestamp } from '../../src/logs/timestamps.js';
import { corpusPath, hasCorpus } from '../helpers/shared.js';

// read in place from the corpus bundle (never copied into the project)
const MEMBER = 'support-bundle/cluster-resources/pods/logs/kube-system/traefik-7cd4fcff68-9blj6/traefik-previous.log';
let traefik = '';
let lines: string[] = [];
beforeAll(async () => {
  if (!hasCorpus) return;
  const tree = await readBundle(corpusPath('bundles', 'troubleshoot-k3s-support-bundle.tar.gz'), { keep: (i) => i.path === MEMBER, streamTo: () => undefined });
  traefik = tree.read(MEMBER)!.toString('utf8');
  lines = traefik.split('\n');
});
/** when the k3s bundle was read in the review: 2026-12-01 */
const reviewed = Date.UTC(2026, 11, 1, 21, 0, 0);

describe.skipIf(!hasCorpus)('the year of a year-less line', () => {
  it('klog lines amid logrus ones take the year of the dated lines (k3s traefik pod log)', () => {
    const r = scanLogText(traefik, 'traefik-previous.log', { notAfter: reviewed });
    const klog = r.matches.filter((m) => /^E1220 /.test(m.excerpt));
    expect(klog.length).toBeGreaterThan(3);
    for (const m of klog) {
      expect(m.timestamp?.iso.slice(0, 10)).toBe('2022-12-20');
      expect(m.timestamp?.yearInferred).toBe(true);
      expect(m.timestamp?.yearless).toBeUndefined();
    }
    const logrus = r.matches.find((m) => m.line === 2);
    expect(logrus?.timestamp).toEqual({ iso: '2022-12-20T23:41:04.000Z', epochMs: Date.UTC(2022, 11, 20, 23, 41, 4) });
    expect(r.firstTimestamp?.iso).toBe('2022-12-20T23:40:34.000Z');
    expect(r.lastTimestamp?.iso.slice(0, 4)).toBe('2022');
    for (const m of r.matches) expect(m.timestamp!.epochMs).toBeLessThan(reviewed);
  });

  it('a log that starts with klog lines takes the year of the first dated line after them', () => {
    // the klog lines of the same log first, then its logrus lines
    const klogFirst = [...lines.slice(2, 14), ...lines.slice(0, 2)].join('\n') + '\n';
    const r = scanLogText(klogFirst, 'traefik-previous.log', { notAfter: reviewed });
    expect(r.firstTimestamp?.iso).toBe('2022-12-20T23:41:04.429Z');
    expect(r.firstTimestamp?.yearInferred).toBe(true);
    expect(r.matches.filter((m) => m.timestamp?.iso.startsWith('2022-12-20')).length).toBe(r.matches.length);
  });

  it('with no dated line, the guess is never ahead of the collection: Dec 20 read on Dec 1 is last year', () => {
    const klog = lines[4];
    expect(klog).toMatch(/^E1220 23:41:04\.430149/);
    const ts = parseTimestamp(klog, { notAfter: reviewed });
    expect(ts).toMatchObject({ iso: '2025-12-20T23:41:04.430Z', yearless: true, yearInferred: true, zoneless: true });
    // a date before the collection is that year
    expect(parseTimestamp('I1120 09:00:00.000000       1 main.go:1] up', { notAfter: reviewed })?.iso).toBe('2026-11-20T09:00:00.000Z');
    const r = scanLogText(lines.slice(2, 14).join('\n') + '\n', 'traefik.log', { notAfter: reviewed });
    expect(r.matches.length).toBeGreaterThan(0);
    for (const m of r.matches) expect(m.timestamp).toMatchObject({ yearless: true, iso: expect.stringMatching(/^2025-12-20T/) });
    // without a collection time, now is the bound
    expect(parseTimestamp(klog)!.epochMs).toBeLessThanOrEqual(Date.now() + 24 * 3600 * 1000);
  });
});

describe('the year of a year-less line, on text of its own (no corpus needed)', () => {
  it('a klog log over New Year: a December line before a dated January line is last year', () => {
    const text = [
      'E1231 23:59:58.000001       1 reflector.go:138] Failed to watch *v1.Service: dial tcp 10.43.0.1:443: i/o timeout',
      'time="2023-01-01T00:00:03Z" level=error msg="Error watching kubernetes events: dial tcp 10.43.0.1:443: i/o timeout"',
      'E0101 00:00:05.000001       1 reflector.go:138] Failed to watch *v1.Service: dial tcp 10.43.0.1:443: i/o timeout',
      '',
    ].join('\n');
    const r = scanLogText(text, 'x.log', { notAfter: reviewed });
    expect(r.matches.map((m) => m.timestamp?.iso)).toEqual(['2022-12-31T23:59:58.000Z', '2023-01-01T00:00:03.000Z', '2023-01-01T00:00:05.000Z']);
  });

  it('a year given by the context (a journal header) and a line that states its own year are kept', () => {
    expect(parseTimestamp('Nov 20 10:00:01 node-1 kernel: x', { year: 2024, notAfter: reviewed })).toMatchObject({ iso: '2024-11-20T10:00:01.000Z', yearInferred: true });
    expect(parseTimestamp('time="2022-12-20T23:41:04Z" level=error msg="x"', { notAfter: reviewed })).toEqual({ iso: '2022-12-20T23:41:04.000Z', epochMs: Date.UTC(2022, 11, 20, 23, 41, 4) });
  });
});
