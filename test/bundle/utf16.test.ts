/**
 * Command outputs and logs saved as UTF-16 (Windows PowerShell's `>` writes UTF-16LE with a BOM
 * and CRLF) are read as the text they are: sniffed, parsed, scanned and quoted, line N of the
 * file cited as line N. A crashed syslog's NUL runs are still not UTF-16, binary is still binary.
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodedUtf16Chunks, decodeUtf16, utf16Of } from '../../src/bundle/encoding.js';
import { detectFormat, looksLikeText } from '../../src/bundle/formats.js';
import { BundleError } from '../../src/bundle/errors.js';
import { analyze, analyzeBundle } from '../../src/engine/analyze.js';
import { render } from '../../src/report/render.js';
import { syslogLine } from '../../bench/gen.js';
import { writeFolder, writeTmp } from '../helpers/archive.js';
import { corpusPath, hasCorpus, projectPath } from '../helpers/shared.js';

/** What PowerShell's `>` writes: UTF-16LE, a BOM, CRLF line ends. */
function powershell(text: string): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text.replace(/\r?\n/g, '\r\n'), 'utf16le')]);
}
/** UTF-16BE with its BOM. */
function utf16be(text: string): Buffer {
  const le = Buffer.from(text, 'utf16le');
  for (let i = 0; i + 1 < le.length; i += 2) [le[i], le[i + 1]] = [le[i + 1], le[i]];
  return Buffer.concat([Buffer.from([0xfe, 0xff]), le]);
}

const fixture = (name: string) => readFileSync(projectPath('test', 'fixtures', 'utf16-ticket', name), 'utf8');
const ticketFiles = () => ({
  'iptables-save.out': fixture('iptables-save.out'),
  'iptables.txt': fixture('iptables.txt'),
  'ipa.txt': fixture('ipa.txt'),
  'docker_network.json': fixture('docker_network.json'),
  'sysctl.txt': readFileSync(corpusPath('sysctl', 'jc-centos77-docker-sysctl-a.txt'), 'utf8'),
});

describe('telling UTF-16 text', () => {
  const rules = fixture('iptables-save.out');

  it('by its BOM (LE and BE), or NULs in every other byte around ASCII', () => {
    expect(utf16Of(powershell(rules))).toBe('utf-16le');
    expect(utf16Of(utf16be(rules))).toBe('utf-16be');
    expect(utf16Of(Buffer.from(rules, 'utf16le'))).toBe('utf-16le');
    expect(utf16Of(utf16be(rules).subarray(2))).toBe('utf-16be');
    expect(detectFormat(powershell(rules))).toBe('text');
    expect(decodeUtf16(powershell(rules)).toString('utf8')).toBe(rules.replace(/\n/g, '\r\n'));
    expect(decodeUtf16(Buffer.from(rules, 'utf16le')).toString('utf8')).toBe(rules);
  });

  it('not UTF-8 text, a crashed syslog with NUL runs, binary data, or UTF-32', () => {
    expect(utf16Of(Buffer.from(rules))).toBeUndefined();
    const crashed = Buffer.concat([Buffer.from('Nov 20 10:00:01 node-1 kernel: a line\n'), Buffer.alloc(3000), Buffer.from('Nov 20 10:05:00 node-1 kernel: after the crash\n')]);
    expect(utf16Of(crashed)).toBeUndefined();
    expect(looksLikeText(crashed)).toBe(true);
    expect(decodeUtf16(crashed)).toBe(crashed);
    expect(utf16Of(Buffer.alloc(1024))).toBeUndefined();
    const random = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24));
    expect(utf16Of(random)).toBeUndefined();
    // a BOM before binary code units is no text
    expect(utf16Of(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from([1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0])]))).toBeUndefined();
    expect(utf16Of(Buffer.concat([Buffer.from([0xff, 0xfe, 0, 0]), Buffer.from('abc\n', 'utf16le')]))).toBeUndefined();
    expect(detectFormat(random)).toBe('binary');
  });

  it('decodes a stream whose chunks split code units and surrogate pairs', async () => {
    const text = 'Nov 20 10:00:01 node-1 dockerd[981]: 容器 🐳 WARNING: IPv4 forwarding is disabled. Networking will not work.\n'.repeat(300);
    const bytes = powershell(text);
    const chunks = async function* () {
      for (let i = 0; i < bytes.length; i += 333) yield bytes.subarray(i, i + 333);
    };
    const out: Buffer[] = [];
    for await (const c of decodedUtf16Chunks(chunks())) out.push(c);
    expect(Buffer.concat(out).toString('utf8')).toBe(text.replace(/\n/g, '\r\n'));
    // UTF-8 goes through unchanged
    const plain: Buffer[] = [];
    for await (const c of decodedUtf16Chunks((async function* () { yield Buffer.from(text.slice(0, 10)); yield Buffer.from(text.slice(10)); })())) plain.push(c);
    expect(Buffer.concat(plain).toString('utf8')).toBe(text);
  });
});

/** ~1.5 MB of ordinary journal (too big to keep, so streamed), a dockerd failure at line 9001. */
function bigJournal(): string {
  const lines = Array.from({ length: 12000 }, (_, i) => {
    const k = i * 3 + 100;
    return syslogLine(k % 20011 === 7 || k % 30011 === 11 ? k + 1 : k);
  });
  lines[9000] = syslogLine(7);
  return lines.join('');
}

type Report = Awaited<ReturnType<typeof analyzeBundle>>;
const cited = (r: Report) =>
  r.findings
    .flatMap((f) => f.evidence.map((e) => `${f.id} ${e.file.split('/').pop()}:${e.line} ${e.excerpt.slice(0, 40)}`))
    .sort();

describe.skipIf(!hasCorpus)('a hand-made bundle saved by PowerShell', () => {
  it('gives the findings the same files give in UTF-8, citing the same lines', async () => {
    const files = ticketFiles();
    const utf8 = await analyzeBundle(writeFolder(files));
    const utf16 = await analyzeBundle(writeFolder(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, powershell(v)]))));
    expect(utf8.findings.filter((f) => f.severity === 'critical').length).toBeGreaterThanOrEqual(3);
    expect(cited(utf16)).toEqual(cited(utf8));
    // the quoted line is the file's line, decoded: no NULs, no BOM
    const reject = utf16.findings.flatMap((f) => f.evidence).find((e) => e.file.endsWith('iptables-save.out') && e.line === 11);
    expect(reject?.excerpt).toBe('-A FORWARD -j REJECT --reject-with icmp-host-prohibited');
    // BOM-less UTF-16LE and UTF-16BE read the same
    const bare = await analyzeBundle(writeFolder({ ...files, 'iptables-save.out': Buffer.from(files['iptables-save.out'], 'utf16le'), 'ipa.txt': utf16be(files['ipa.txt']) }));
    expect(cited(bare)).toEqual(cited(utf8));
  });

  it('a file given on its own is read, not called binary', async () => {
    const report = await analyzeBundle(writeTmp('iptables-save.out', powershell(fixture('iptables-save.out'))));
    expect(report.coverage.nodes[0].artifacts.iptables).toEqual(['iptables-save.out']);
    const log = await analyzeBundle(writeTmp('dockerd.txt', powershell(readFileSync(corpusPath('logs', 'moby-22805-ipv4-forwarding-disabled-warning.log'), 'utf8'))));
    expect(log.findings.map((f) => f.id)).toEqual(['log.ip-forward-disabled']);
  });

  it('a report of an earlier run saved by PowerShell (`bundle-doctor ... > report.md`) is still told as ours', async () => {
    const files = ticketFiles();
    const md = powershell(render(await analyze(writeFolder(files)), 'md'));
    const alone = analyzeBundle(writeTmp('report.md', md));
    await expect(alone).rejects.toThrow(BundleError);
    await expect(alone).rejects.toThrow(/a bundle-doctor report, not a bundle/);
    const inside = await analyzeBundle(writeFolder({ ...files, 'report.md': md }));
    expect(inside.coverage.notes).toContain("report.md: a bundle-doctor report saved in the bundle (an earlier run's output), not read");
  });

  it('a big journal export saved on Windows is scanned as it streams, its lines numbered right', async () => {
    const journal = bigJournal();
    for (const [name, data] of [
      ['kubelet-journal', powershell(journal)],
      ['messages-20261120.gz', gzipSync(powershell(journal))],
    ] as const) {
      const report = await analyzeBundle(writeFolder({ 'ipa.txt': fixture('ipa.txt'), [name]: data }));
      const hit = report.findings.flatMap((f) => f.evidence).find((e) => e.file.endsWith(name) && e.line > 0);
      expect(hit, name).toMatchObject({ line: 9001 });
      expect(hit!.excerpt).toMatch(/^Nov 20 10:00:07 node-1 dockerd\[981\]: .*No chain\/target\/match by that name/);
      expect(report.coverage.nodes[0].logs?.find((l) => l.file.endsWith(name))?.lines).toBe(12000);
    }
  });
});
