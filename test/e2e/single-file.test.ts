/**
 * A file given on its own, the way it comes attached to a ticket: messages.gz, a journal saved
 * under any name, an iptables dump. It is scanned as a log unless it is something else.
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BundleError } from '../../src/bundle/errors.js';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { kubeProxySave, syslogLine } from '../../bench/gen.js';
import { makeTarGz, writeTmp } from '../helpers/archive.js';
import { corpusPath, hasCorpus } from '../helpers/shared.js';

/** Ordinary kubelet and dockerd chatter: nothing in it is a known failure. */
const quiet = Array.from({ length: 2000 }, (_, i) => syslogLine(i * 3 + 100)).join('');

describe.skipIf(!hasCorpus)('a file given on its own', () => {
  const log = () => readFileSync(corpusPath('logs', 'moby-16137-firewalld-centos7-dnat-no-chain.log'));

  for (const [name, data] of [
    ['ticket-4711-output', () => log()],
    ['messages.gz', () => gzipSync(log())],
  ] as const) {
    it(`${name}: scanned as a log, each finding pointing at its line`, async () => {
      const report = await analyzeBundle(writeTmp(name, data()));
      const inner = name.replace(/\.gz$/, '');
      expect(report.coverage.nodes[0].logs.map((l) => l.file)).toEqual([inner]);
      const ids = report.findings.map((f) => f.id).sort();
      expect(ids).toEqual(['log.iptables-bad-rule', 'log.iptables-no-chain']);
      const noChain = report.findings.find((f) => f.id === 'log.iptables-no-chain')!;
      expect(noChain.evidence.map((e) => `${e.file}:${e.line}`)).toEqual([`${inner}:1`, `${inner}:3`]);
    });
  }

  it('an iptables dump under a name no layout knows is parsed as rules, not scanned as a log', async () => {
    const rules = readFileSync(corpusPath('iptables-save', 'calico-1129-iptables-save-c-counters-cali-docker-isolation-fragment.txt'));
    for (const [name, data] of [['capture-01', rules], ['capture-01.gz', gzipSync(rules)]] as const) {
      const report = await analyzeBundle(writeTmp(name, data));
      expect(report.coverage.nodes[0].artifacts.iptables).toEqual(['capture-01']);
      expect(report.coverage.nodes[0].logs).toEqual([]);
    }
  });
});

describe('a file given on its own, healthy or mislabelled', () => {
  it('a big iptables dump under any name is parsed as rules, also gzipped', async () => {
    const dump = kubeProxySave(2500);
    expect(dump.length).toBeGreaterThan(2 << 20);
    for (const [name, data] of [['kp-dump.txt', dump], ['kp-dump.txt.gz', gzipSync(dump)]] as const) {
      const report = await analyzeBundle(writeTmp(name, data));
      expect(report.coverage.nodes[0].artifacts.iptables, name).toEqual(['kp-dump.txt']);
      expect(report.nodes[0].iptables?.[0].rules, name).toBe(dump.split('\n').filter((l) => l.startsWith('-A ')).length);
    }
  });

  it('a quiet log gives no finding, and says it was scanned', async () => {
    const report = await analyzeBundle(writeTmp('node-1-journal', quiet));
    expect(report.findings).toEqual([]);
    expect(report.coverage.nodes[0].logs).toEqual([expect.objectContaining({ file: 'node-1-journal', lines: 2000 })]);
    expect(report.coverage.nodes[0].analyzers.find((a) => a.id === 'log.signatures')?.status).toBe('ran');
  });

  it('text saved under an archive name is a one-line corrupt-input error, not an empty healthy report', async () => {
    for (const name of ['ticket.tgz', 'bundle.tar.gz', 'sosreport.tar.xz', 'attachment.zip', 'logs.tar', 'messages.gz']) {
      const err = await analyzeBundle(writeTmp(name, '<html><body>502 Bad Gateway</body></html>\n')).catch((e: unknown) => e);
      expect(err, name).toBeInstanceOf(BundleError);
      expect((err as BundleError).code).toBe('corrupt');
      expect((err as Error).message).toMatch(new RegExp(`${name.replace('.', '\\.')}: named like (gzip|xz|zip|tar) data but holds plain text`));
      expect((err as Error).message.split('\n')).toHaveLength(1);
    }
  });
});

describe('a cut compressed log', () => {
  // an app retrying its database for days, then the file cut (a download or upload that stopped)
  const log = Buffer.from(
    Array.from({ length: 30_000 }, (_, i) => `${syslogLine(i * 3 + 100).trimEnd()}${i === 50 ? ' dial tcp 10.0.0.21:5432: connect: connection refused' : ''}\n`).join(''),
  );
  const gz = gzipSync(log);

  it('given on its own: the lines before the cut are analyzed, and the report says the data is broken', async () => {
    const report = await analyzeBundle(writeTmp('messages.gz', gz.subarray(0, gz.length >> 1)));
    expect(report.findings.map((f) => f.id)).toEqual(['log.connection-refused']);
    expect(report.coverage.nodes[0].logs[0].lines).toBeGreaterThan(1000);
    expect(report.coverage.notes).toEqual([expect.stringMatching(/^messages: gzip data broken after \d+ bytes of text \(unexpected end of file\); the lines before were read$/)]);
  });

  it('a rotated log in a bundle: the same, and the other logs as ever', async () => {
    const bundle = await makeTarGz([
      { name: 'b/var/log/messages', content: quiet },
      { name: 'b/var/log/messages-1.gz', content: gz.subarray(0, gz.length >> 1) },
    ]);
    const report = await analyzeBundle(writeTmp('b.tgz', bundle));
    expect(report.findings.map((f) => f.id)).toEqual(['log.connection-refused']);
    expect(report.coverage.nodes[0].logs.map((l) => l.file)).toEqual(['b/var/log/messages', 'b/var/log/messages-1.gz']);
    expect(report.coverage.notes).toEqual([expect.stringMatching(/^b\/var\/log\/messages-1\.gz: gzip data broken after \d+ bytes of text/)]);
  });
});
