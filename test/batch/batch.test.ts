/** Batch runs through the built CLI: globs, folders, isolation of bad bundles, index, jsonl, shards and merge. */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { isBatchFolder } from '../../src/batch/inputs.js';
import { parseShard, shardOf } from '../../src/batch/shard.js';
import { reportNames } from '../../src/batch/run.js';
import { makeTarGz, makeZip, tmpDir } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const BIN = projectPath('dist/src/bin.js');
const run = (args: string[], cwd?: string) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

const OFF = 'net.ipv4.ip_forward = 0\nnet.bridge.bridge-nf-call-iptables = 1\nnet.core.somaxconn = 1\n';
const ON = OFF.replace('= 0', '= 1');

let tickets: string;
beforeAll(async () => {
  if (!existsSync(BIN)) execFileSync('npm', ['run', 'build'], { cwd: projectPath(), stdio: 'ignore' });
  tickets = tmpDir('bd-batch-');
  for (let i = 0; i < 12; i++) {
    const dir = join(tickets, `ticket-${String(i).padStart(3, '0')}`);
    mkdirSync(dir, { recursive: true });
    const content = i % 3 === 0 ? OFF : ON;
    if (i % 4 === 1) writeFileSync(join(dir, 'attachment.zip'), await makeZip({ [`node-${i}/sysctl.txt`]: content }));
    else writeFileSync(join(dir, 'bundle.tgz'), await makeTarGz([{ name: `node-${i}/sysctl.txt`, content }]));
  }
  // a hostile one and a truncated one: they fail alone
  const bad = join(tickets, 'ticket-bad');
  mkdirSync(bad);
  writeFileSync(join(bad, 'random.tgz'), Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 256)));
  const gz = await makeTarGz([{ name: 'x/sysctl.txt', content: OFF + 'y'.repeat(100_000) + Math.random() }]);
  writeFileSync(join(bad, 'truncated.tgz'), gz.subarray(0, gz.length >> 1));
});

describe('batch analyze', () => {
  it('a folder of attachments is a batch; bad bundles fail alone and the index lists them', () => {
    const out = join(tmpDir(), 'out');
    const r = run(['analyze', tickets, '-o', out, '--format', 'html,md,json', '--concurrency', '2', '--quiet']);
    expect(r.code).toBe(2); // two inputs failed; all others were analyzed
    // --quiet silences progress, not failures: one line each
    expect(r.stderr.trim().split('\n').sort()).toEqual([expect.stringMatching(/random\.tgz: not a bundle/), expect.stringMatching(/truncated\.tgz: truncated archive/)]);
    const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8'));
    expect(index.totals).toMatchObject({ bundles: 14, analyzed: 12, failed: 2 });
    expect(index.totals.byFinding['sysctl.ip-forward-disabled']).toEqual({ severity: 'critical', title: 'IPv4 forwarding is disabled', bundles: 4, bySeverity: { critical: 4 } });
    // failures first, then the critical ones
    expect(index.bundles.slice(0, 2).map((b: { code: string }) => b.code).sort()).toEqual(['truncated', 'unknown-format']);
    expect(index.bundles[2].top).toMatchObject({ id: 'sysctl.ip-forward-disabled', severity: 'critical' });
    for (const b of index.bundles.filter((x: { error?: string }) => !x.error))
      for (const f of Object.values(b.reports) as string[]) expect(existsSync(join(out, f))).toBe(true);
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain('class="bundles sortable"');
    const md = readFileSync(join(out, 'index.md'), 'utf8');
    expect(md).toMatch(/\*\*14 bundles\*\*: 12 analyzed, 2 failed/);
    // every ticket's attachment is called bundle.tgz: rows and report files say which ticket
    expect(md).toContain('| `ticket-000/bundle.tgz` | 1 |');
    expect(md).toContain('| `random.tgz` | — |');
    // a failure's reason, without the path its row already names
    const failedRow = md.split('\n').find((l) => l.startsWith('| `random.tgz`'))!;
    expect(failedRow).toMatch(/❌ failed: [a-z]/);
    expect(failedRow).not.toContain(tickets);
    expect(index.bundles.find((b: { source: string }) => b.source.endsWith('ticket-000/bundle.tgz')).reports.md).toBe('ticket-000_bundle.md');
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain(`<td title="${join(tickets, 'ticket-000', 'bundle.tgz')}"><code>ticket-000/bundle.tgz</code></td>`);
  });

  it('children write the reports; with --redact the parent does; --jsonl streams either way', () => {
    const three = ['ticket-000', 'ticket-002', 'ticket-003'].map((t) => join(tickets, t, 'bundle.tgz'));
    // children write (no redaction): same files, index and JSON lines as the one-bundle command gives
    const out = join(tmpDir(), 'out');
    const r = run(['analyze', ...three, '-o', out, '--format', 'json,md', '--jsonl', '--concurrency', '2', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.source).sort()).toEqual([...three].sort());
    const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8'));
    expect(index.totals).toMatchObject({ bundles: 3, analyzed: 3, failed: 0 });
    for (const b of index.bundles) {
      const report = JSON.parse(readFileSync(join(out, b.reports.json), 'utf8'));
      expect(report.bundles[0].source).toBe(b.source);
      expect(report.bundles[0].findings.map((f: { id: string }) => f.id)).toEqual(lines.find((l) => l.source === b.source).findings.map((f: { id: string }) => f.id));
      expect(b.findingIds).toEqual([...new Set(report.bundles[0].findings.map((f: { id: string }) => f.id))]);
      expect(readFileSync(join(out, b.reports.md), 'utf8')).toMatch(/^# bundle-doctor report/);
    }
    expect(readFileSync(join(out, index.bundles[0].reports.json), 'utf8')).toMatch(/node-[0-9]/);
    // redaction: the parent renders, so one token table covers the batch and every report says so
    const red = join(tmpDir(), 'red');
    // an attachment named after its host: its report files must not carry the name
    const named = join(tmpDir(), 'node-3.tgz');
    copyFileSync(three[2], named);
    const rr = run(['analyze', ...three, named, '-o', red, '--format', 'json,md', '--jsonl', '--redact', 'hostnames', '--quiet']);
    expect(rr.stderr).toBe('');
    expect(readdirSync(red).sort()).toEqual(['bundle-1', 'bundle-2', 'bundle-3', 'bundle-4', 'index'].flatMap((n) => (n === 'index' ? ['index.json', 'index.md'] : [`${n}.json`, `${n}.md`])).sort());
    const ri = JSON.parse(readFileSync(join(red, 'index.json'), 'utf8'));
    expect(ri.totals.analyzed).toBe(4);
    expect(readFileSync(join(red, 'index.md'), 'utf8')).not.toMatch(/node-[0-9]/);
    for (const b of ri.bundles) {
      const report = JSON.parse(readFileSync(join(red, b.reports.json), 'utf8'));
      expect(report.redaction).toBeDefined();
      expect(JSON.stringify(report)).not.toMatch(/node-[0-9]/);
    }
    expect(rr.stdout).not.toMatch(/node-[0-9]/);
    // a path naming a host that only a later bundle reveals: the reports written before are redacted again at the end
    const early = join(tmpDir(), 'for-node-2');
    mkdirSync(early);
    copyFileSync(three[0], join(early, 'bundle.tgz'));
    const red2 = join(tmpDir(), 'red2');
    const r2 = run(['analyze', join(early, 'bundle.tgz'), three[1], '-o', red2, '--format', 'json,md,html', '--redact', 'hostnames', '--quiet', '--concurrency', '1']);
    expect(r2.code, r2.stderr).toBe(0);
    expect(readdirSync(red2)).toHaveLength(9);
    for (const f of readdirSync(red2)) expect(readFileSync(join(red2, f), 'utf8'), f).not.toMatch(/node-2/);
  });

  it('a report that cannot be written fails its bundle with that reason, not as an unreadable bundle', async () => {
    const { runBatch } = (await import(projectPath('dist/src/batch/pool.js'))) as typeof import('../../src/batch/pool.js');
    const input = join(tickets, 'ticket-000', 'bundle.tgz');
    const missing = join(tmpDir(), 'gone', 'deeper');
    const res = await runBatch([input], { concurrency: 1, timeoutMs: 60_000, maxMemoryMb: 512, analyze: { requiredPorts: [] }, write: { dir: missing, formats: ['json'], names: new Map([[input, 'x']]) } });
    expect(res[0]).toMatchObject({ ok: false, failure: { code: 'output' } });
    expect(res[0].ok ? '' : res[0].failure.error).toMatch(/bundle\.tgz: analyzed, but its report could not be written \(ENOENT/);
  });

  it('a folder of symlinks to archives is a batch too; an empty batch folder says so in one line', () => {
    const links = tmpDir('bd-links-');
    for (const t of ['ticket-000', 'ticket-002', 'ticket-003']) symlinkSync(join(tickets, t, 'bundle.tgz'), join(links, `${t}.tgz`));
    // a link to a folder is not walked into (a loop must not make the walk endless)
    symlinkSync(links, join(links, 'loop'));
    const r = run(['analyze', links, '--as-batch', '--jsonl', '--quiet']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').map((l) => JSON.parse(l).source).sort()).toEqual(['ticket-000', 'ticket-002', 'ticket-003'].map((t) => join(links, `${t}.tgz`)));
    const empty = tmpDir('bd-empty-');
    const e = run(['analyze', empty, '--as-batch', '-o', join(tmpDir(), 'out'), '--quiet']);
    expect(e.code).toBe(2);
    expect(e.stderr).toBe(`bundle-doctor: ${empty}: no bundle archives in this folder (.tar.gz, .tgz, .tar.xz, .tar, .zip, .gz)\n`);
  });

  it('a bundle named several ways (./a.tgz, its absolute path) is analyzed once', () => {
    const input = join(tickets, 'ticket-000', 'bundle.tgz');
    const r = run(['analyze', 'ticket-000/bundle.tgz', './ticket-000/bundle.tgz', input, 'ticket-00[0]/*.tgz', '--jsonl', '--quiet'], tickets);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n').map((l) => JSON.parse(l).source)).toEqual(['ticket-000/bundle.tgz']);
  });

  it('a reader that closes stdout early (--jsonl | head -1) gets no stack trace; reports in -o DIR are still all written', async () => {
    const inputs = ['ticket-000', 'ticket-002', 'ticket-003', 'ticket-004', 'ticket-006'].map((t) => join(tickets, t, 'bundle.tgz'));
    /** Runs the command, reads its first stdout chunk, then closes the pipe as `head` does. */
    const cut = (args: string[]) =>
      new Promise<{ code: number | null; stderr: string }>((done) => {
        const p = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stderr = '';
        p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        p.stdout.once('data', () => p.stdout.destroy());
        p.on('close', (code) => done({ code, stderr }));
      });
    const jsonl = await cut(['analyze', ...inputs, '--jsonl', '--quiet', '--concurrency', '1']);
    expect(jsonl.stderr).toBe('bundle-doctor: stdout was closed by its reader; the batch stopped\n');
    expect(jsonl.code).toBe(2);
    const out = join(tmpDir(), 'out');
    const withDir = await cut(['analyze', ...inputs, '--jsonl', '-o', out, '--format', 'json', '--quiet', '--concurrency', '1']);
    expect(withDir.stderr).toBe('');
    expect(withDir.code).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'index.json'), 'utf8')).totals.analyzed).toBe(5);
    // stderr closed early (`2>&1 | head`): the progress stops, the batch does not
    const errOut = join(tmpDir(), 'err-out');
    const errCut = await new Promise<number | null>((done) => {
      const p = spawn(process.execPath, [BIN, 'analyze', ...inputs, '-o', errOut, '--format', 'json', '--concurrency', '1'], { stdio: ['ignore', 'ignore', 'pipe'] });
      p.stderr.once('data', () => p.stderr.destroy());
      p.on('close', done);
    });
    expect(errCut).toBe(0);
    expect(JSON.parse(readFileSync(join(errOut, 'index.json'), 'utf8')).totals.analyzed).toBe(5);
    // one report to stdout (the example bundles' in HTML: several times what a pipe holds), cut short: the exit status still says what was found
    const examples = readdirSync(projectPath('bundles')).filter((f) => f.endsWith('.tgz')).map((f) => projectPath('bundles', f));
    const md = await cut(['analyze', ...examples, '--format', 'html', '--quiet', '--fail-on', 'critical']);
    expect(md.stderr).toBe('');
    expect(md.code).toBe(1);
  });

  it('each failure is said once on stderr: in the progress lines, or after the bar', async () => {
    const good = join(tickets, 'ticket-000', 'bundle.tgz');
    const bad = join(tickets, 'ticket-bad', 'truncated.tgz');
    const lines = run(['analyze', good, bad, '--format', 'json']);
    expect(lines.code).toBe(2);
    expect(lines.stderr.split(bad).length - 1).toBe(1); // its progress line names it once, then the error (R19)
    expect(lines.stderr.trim().split('\n')).toHaveLength(2);
    const { main } = (await import(projectPath('dist/src/cli.js'))) as typeof import('../../src/cli.js');
    let err = '';
    const code = await main(['analyze', good, bad, '-o', join(tmpDir(), 'out'), '--format', 'json'], { stdout: () => {}, stderr: (s) => (err += s), stderrIsTTY: true, columns: 200 });
    expect(code).toBe(2);
    const after = err.split('\r\x1b[2K').at(-1)!;
    expect(after).toMatch(new RegExp(`^bundle-doctor: ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: truncated archive[^\n]*\n1 of 2 bundles analyzed; index in `));
  });

  it('SIGTERM (or Ctrl-C) stops a batch: what was analyzed is kept, the index lists every input, exit 2', async () => {
    const { writeLogBundle } = await import('../../bench/gen.js');
    const dir = tmpDir();
    await writeLogBundle(join(dir, 'heavy.tgz'), 16);
    const inputs = Array.from({ length: 30 }, (_, i) => {
      const link = join(dir, `t${String(i).padStart(2, '0')}.tgz`);
      symlinkSync(join(dir, 'heavy.tgz'), link);
      return link;
    });
    const out = join(tmpDir(), 'out');
    const r = await new Promise<{ code: number | null; stderr: string }>((done) => {
      const p = spawn(process.execPath, [BIN, 'analyze', ...inputs, '-o', out, '--format', 'json', '--concurrency', '1'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      p.stderr.setEncoding('utf8').on('data', (d: string) => {
        if (!stderr) p.kill('SIGTERM'); // at the first bundle done
        stderr += d;
      });
      p.on('close', (code) => done({ code, stderr }));
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('bundle-doctor: SIGTERM: stopping; what was analyzed is kept and the index written\n');
    expect(r.stderr).toMatch(/bundle-doctor: interrupted: \d+ of 30 bundles not analyzed \(listed in the index\)\n/);
    const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8'));
    expect(index.bundles.map((b: { source: string }) => b.source).sort()).toEqual(inputs);
    const stopped = index.bundles.filter((b: { code?: string }) => b.code === 'interrupted');
    expect(stopped.length).toBeGreaterThan(0);
    expect(index.totals.analyzed).toBeGreaterThan(0);
    expect(index.totals.analyzed + stopped.length).toBe(30);
    expect(stopped[0].error).toMatch(/: (stopped|not analyzed): the batch was interrupted$/);
  });

  it('--resume keeps what an earlier run in the folder analyzed and does the rest', () => {
    const out = join(tmpDir(), 'out');
    expect(run(['analyze', tickets, '-o', out, '--format', 'json,md', '--quiet']).code).toBe(2);
    const first = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8'));
    const ok = first.bundles.filter((b: { error?: string }) => !b.error);
    // one report lost since: that bundle is analyzed again, the others are kept as they are
    rmSync(join(out, ok[0].reports.md));
    const kept = join(out, ok[1].reports.json);
    const before = statSync(kept).mtimeMs;
    const r = run(['analyze', tickets, '-o', out, '--format', 'json,md', '--resume']);
    expect(r.code).toBe(2); // the two broken inputs are tried again, and fail again
    expect(r.stderr).toContain(`bundle-doctor: resuming: ${ok.length - 1} of 14 bundles already analyzed in ${join(out, 'index.json')}\n`);
    expect(r.stderr).toMatch(/^\[3\/3\] /m);
    expect(statSync(kept).mtimeMs).toBe(before);
    expect(existsSync(join(out, ok[0].reports.md))).toBe(true);
    const again = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8'));
    expect(again.totals).toEqual(first.totals);
    expect(again.bundles.map((b: { source: string }) => b.source).sort()).toEqual(first.bundles.map((b: { source: string }) => b.source).sort());
    // --fail-on counts the findings of the bundles kept, even when nothing is left to analyze
    const critical = ['ticket-000', 'ticket-003'].map((t) => join(tickets, t, 'bundle.tgz'));
    const out2 = join(tmpDir(), 'out2');
    expect(run(['analyze', ...critical, '-o', out2, '--quiet', '--fail-on', 'critical']).code).toBe(1);
    const kept2 = run(['analyze', ...critical, '-o', out2, '--resume', '--fail-on', 'critical']);
    expect(kept2.stderr).toContain('resuming: 2 of 2 bundles already analyzed');
    expect(kept2.code).toBe(1);
    expect(run(['analyze', tickets, '--resume']).stderr).toMatch(/--resume needs -o DIR/);
    expect(run(['analyze', tickets, '-o', out, '--resume', '--redact', 'ips']).stderr).toMatch(/--resume cannot be used with --redact ips or hostnames: the index lists its sources as tokens/);
  });

  it('an output folder that cannot be made is one line and exit 2, never a hang', () => {
    const base = tmpDir();
    writeFileSync(join(base, 'a-file'), 'x');
    symlinkSync(join(base, 'nowhere'), join(base, 'dangling'));
    const input = join(tickets, 'ticket-000', 'bundle.tgz');
    const cases: [string, RegExp][] = [
      [join(base, 'a-file') + '/', /a file is in its place$/],
      [join(base, 'a-file', 'sub') + '/', /ENOTDIR$/],
      [join(base, 'dangling', 'out') + '/', /dangling is in the way \(a file or a broken link\)$/],
    ];
    // procfs answers ENOENT for a child of a folder that exists: Node's recursive mkdir spins on it forever
    if (existsSync('/proc/self')) cases.push(['/proc/bd-no-such/out/', /cannot create the output folder \/proc\/bd-no-such\/out\/: ENOENT$/]);
    for (const [out, why] of cases) {
      const r = run(['analyze', input, input.replace('000', '002'), '-o', out, '--quiet']);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(why);
    }
  });

  it('globs pick the archives; --jsonl streams one line per bundle', () => {
    const r = run(['analyze', `${tickets}/ticket-00*/*.{tgz,zip}`, '--jsonl', '--quiet']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(10);
    expect(lines.every((l) => typeof l.source === 'string' && Array.isArray(l.findings))).toBe(true);
  });

  it('progress: quiet lines on a non-terminal', () => {
    const r = run(['analyze', `${tickets}/ticket-00[0-2]/*`, '--format', 'json']);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^\[1\/3\] .*: \d+ critical, \d+ warning, \d+ info \(\d+ ms\)$/);
    expect(JSON.parse(r.stdout).bundles).toHaveLength(3);
  });

  it('shards cover every input exactly once, and merge joins their indexes', () => {
    const base = tmpDir();
    const outs = [0, 1, 2].map((k) => join(base, `shard-${k}`));
    outs.forEach((out, k) => {
      const r = run(['analyze', tickets, '--shard', `${k}/3`, '-o', out, '--format', 'json', '--quiet']);
      expect([0, 2]).toContain(r.code);
    });
    const indexes = outs.map((o) => JSON.parse(readFileSync(join(o, 'index.json'), 'utf8')));
    const sources = indexes.flatMap((i) => i.bundles.map((b: { source: string }) => b.source)).sort();
    expect(sources).toHaveLength(14);
    expect(new Set(sources).size).toBe(14);
    const merged = join(base, 'merged');
    const m = run(['merge', ...outs.map((o) => join(o, 'index.json')), '-o', merged, '--format', 'md,html', '--quiet']);
    expect(m.code).toBe(2); // the merged batch still has its two failures
    const index = JSON.parse(readFileSync(join(merged, 'index.json'), 'utf8'));
    expect(index.totals).toMatchObject({ bundles: 14, failed: 2 });
    expect(index.shards).toHaveLength(3);
    const linked = index.bundles.find((b: { error?: string }) => !b.error).reports.json;
    expect(existsSync(join(merged, linked))).toBe(true);
    expect(existsSync(join(merged, 'index.html'))).toBe(true);
  });

  it('merge: a report path that reads as a URL stays a file next to the index', async () => {
    const { linkPath } = await import('../../src/batch/run.js');
    expect(linkPath('javascript:alert(1)')).toBe('./javascript:alert(1)');
    expect(linkPath('https:evil.example')).toBe('./https:evil.example');
    expect(linkPath('shard-0/bundle-01.html')).toBe('shard-0/bundle-01.html');
    expect(linkPath('../shard-0/a:b.html')).toBe('../shard-0/a:b.html');
    // end to end: an index.json whose report is named javascript:... merged into its own folder
    const out = join(tmpDir(), 'o');
    run(['analyze', `${tickets}/ticket-001/*`, '-o', out, '--format', 'json', '--quiet']);
    const file = join(out, 'index.json');
    const index = JSON.parse(readFileSync(file, 'utf8'));
    index.bundles[0].reports = { html: 'javascript:alert(document.domain)' };
    writeFileSync(file, JSON.stringify(index));
    run(['merge', file, '-o', out, '--format', 'html,json', '--quiet']);
    expect(JSON.parse(readFileSync(file, 'utf8')).bundles[0].reports.html).toBe('./javascript:alert(document.domain)');
    expect(readFileSync(join(out, 'index.html'), 'utf8')).not.toMatch(/href="javascript:/);
  });

  it('merge refuses overlapping shards', () => {
    const out = join(tmpDir(), 'o');
    run(['analyze', `${tickets}/ticket-001/*`, `${tickets}/ticket-002/*`, '-o', out, '--format', 'json', '--quiet']);
    const r = run(['merge', join(out, 'index.json'), join(out, 'index.json'), '-o', join(tmpDir(), 'm')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/shards overlap/);
    // a file that is no index: what is wrong with it in a few words, for merge and for --resume
    const notIndex = join(tmpDir(), 'index.json');
    writeFileSync(notIndex, JSON.stringify({ tool: { name: 'other-tool' }, bundles: [] }));
    const m = run(['merge', notIndex, '-o', join(tmpDir(), 'm2')]);
    expect(m.code).toBe(2);
    expect(m.stderr).toBe(`bundle-doctor: ${notIndex}: not a bundle-doctor index.json (tool.name: Invalid input: expected "bundle-doctor")\n`);
    const resumed = run(['analyze', `${tickets}/ticket-001/*`, '-o', dirname(notIndex), '--resume', '--quiet']);
    expect(resumed.stderr).toBe(`bundle-doctor: ${notIndex}: not a bundle-doctor index, cannot resume from it (tool.name: Invalid input: expected "bundle-doctor")\n`);
  });

  it('a per-bundle time limit fails that bundle only; the worker is replaced and the others complete', async () => {
    // The built pool (workers need compiled JS). 1 ms is shorter than any analysis, so the first bundle must time out.
    const { runBatch } = (await import(projectPath('dist/src/batch/pool.js'))) as typeof import('../../src/batch/pool.js');
    const dir = tmpDir();
    writeFileSync(join(dir, 'a.tgz'), await makeTarGz([{ name: 'h/sysctl.txt', content: OFF }]));
    writeFileSync(join(dir, 'b.tgz'), await makeTarGz([{ name: 'h/sysctl.txt', content: ON }]));
    const slow = await runBatch([join(dir, 'a.tgz')], { concurrency: 1, timeoutMs: 1, maxMemoryMb: 512, analyze: { requiredPorts: [] } });
    expect(slow[0]).toMatchObject({ ok: false, failure: { code: 'timeout' } });
    expect(slow[0].ok ? '' : slow[0].failure.error).toMatch(/a\.tgz: took longer than 0 s; stopped/);
    const both = await runBatch([join(dir, 'a.tgz'), join(dir, 'b.tgz')], { concurrency: 2, timeoutMs: 60_000, maxMemoryMb: 512, analyze: { requiredPorts: [] } });
    expect(both.map((r) => r.ok)).toEqual([true, true]);
  });

  it("children get glibc allocator tunables unless the user set GLIBC_TUNABLES", async () => {
    const { childEnv, CHILD_MALLOC_TUNABLES } = (await import(projectPath('dist/src/batch/pool.js'))) as typeof import('../../src/batch/pool.js');
    const env = { PATH: '/usr/bin' };
    expect(childEnv(env)).toEqual({ PATH: '/usr/bin', GLIBC_TUNABLES: CHILD_MALLOC_TUNABLES });
    expect(env).toEqual({ PATH: '/usr/bin' });
    expect(childEnv({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }).GLIBC_TUNABLES).toBe('glibc.malloc.arena_max=2');
    // every name is one glibc knows (a misspelt tunable is silently ignored)
    for (const t of CHILD_MALLOC_TUNABLES.split(':')) expect(t).toMatch(/^glibc\.malloc\.(mmap_threshold|trim_threshold)=\d+$/);
  });

  it('a bundle that exhausts its memory budget fails alone', async () => {
    const { runBatch } = (await import(projectPath('dist/src/batch/pool.js'))) as typeof import('../../src/batch/pool.js');
    const dir = tmpDir();
    // ~60 MB of small files kept in memory for parsing, against a 32 MiB heap budget (a worker's own code and start-up take
    // about 14 MiB of it: 16 left the healthy bundle too little room on a loaded machine)
    const items = Array.from({ length: 60 }, (_, i) => ({ name: `h/etc/sysctl.d/${i}.conf`, content: 'net.core.x = 1\n'.repeat(70_000) }));
    writeFileSync(join(dir, 'fat.tgz'), await makeTarGz(items));
    writeFileSync(join(dir, 'ok.tgz'), await makeTarGz([{ name: 'h/sysctl.txt', content: ON }]));
    const res = await runBatch([join(dir, 'fat.tgz'), join(dir, 'ok.tgz')], { concurrency: 1, timeoutMs: 60_000, maxMemoryMb: 32, analyze: { requiredPorts: [] } });
    expect(res[0]).toMatchObject({ ok: false, failure: { code: 'limit' } });
    expect(res[1].ok).toBe(true);
  });
});

describe('batch helpers', () => {
  it('the folder check reads as much of a file as the sniffers look at', async () => {
    const [{ HEAD_BYTES }, { SNIFF_BYTES }] = await Promise.all([import('../../src/batch/inputs.js'), import('../../src/layouts/wanted.js')]);
    expect(HEAD_BYTES).toBe(SNIFF_BYTES);
  });

  it('folder kinds: attachments vs an extracted bundle', async () => {
    expect(await isBatchFolder(tickets)).toBe(true);
    const extracted = tmpDir();
    mkdirSync(join(extracted, 'sos_commands'));
    writeFileSync(join(extracted, 'inner.tgz'), await makeTarGz([{ name: 'a', content: 'b' }]));
    expect(await isBatchFolder(extracted)).toBe(false);
  });

  it('folder kinds: notes beside attachments keep a batch; bundle content beside archives makes a hand-made bundle', async () => {
    const withNotes = tmpDir();
    writeFileSync(join(withNotes, 'a.tgz'), await makeTarGz([{ name: 'h/sysctl.txt', content: ON }]));
    writeFileSync(join(withNotes, 'ticket-4711.txt'), 'Customer: pods on node-2 cannot reach the database since the upgrade.\n');
    writeFileSync(join(withNotes, 'mail.eml'), 'From: support@example.com\nSubject: bundles attached\n\nSee attachments.\n');
    expect(await isBatchFolder(withNotes)).toBe(true);

    // a hand-made bundle whose rotated log is compressed: the outputs are what it is made of
    const handMade = tmpDir();
    writeFileSync(join(handMade, 'sysctl.txt'), ON);
    writeFileSync(join(handMade, 'messages-1.gz'), gzipSync('Nov 20 10:00:00 h kernel: eth0: link up\n'));
    expect(await isBatchFolder(handMade)).toBe(false);

    // a log with a name that says nothing, beside a nested sosreport
    const withLog = tmpDir();
    writeFileSync(join(withLog, 'sosreport-node-1.tar.gz'), await makeTarGz([{ name: 'sosreport-node-1/sos_commands/kernel/sysctl_-a', content: ON }]));
    writeFileSync(join(withLog, 'kubelet-journal'), ['Nov 20 10:00:00 h kubelet[1]: a', 'Nov 20 10:00:01 h kubelet[1]: b', 'Nov 20 10:00:02 h kubelet[1]: c', ''].join('\n'));
    expect(await isBatchFolder(withLog)).toBe(false);

    // an earlier run's reports saved beside the attachments (-o tickets/out): still a batch
    const rerun = tmpDir();
    const examples = readdirSync(projectPath('bundles')).filter((f) => f.endsWith('.tgz'));
    for (const f of examples) copyFileSync(projectPath('bundles', f), join(rerun, f));
    expect(run(['analyze', rerun, '-o', join(rerun, 'out'), '--format', 'json,md,html', '--quiet']).code).toBe(0);
    writeFileSync(join(rerun, 'summary.md'), readFileSync(join(rerun, 'out', 'index.md')));
    expect(await isBatchFolder(rerun)).toBe(true);
    const again = run(['analyze', rerun, '--jsonl', '--quiet']);
    expect(again.stdout.trim().split('\n')).toHaveLength(examples.length);
  });

  it('report names are safe and unique', () => {
    const inputs = ['t/a/bundle.tgz', 't/b/bundle.tgz', 'c/Bundle.zip', 'd/x y;rm -rf.tar.xz', 'e/index.tgz', 'f/a_bundle.tgz'];
    // a/bundle.tgz and a_bundle.tgz both read a_bundle: each takes a hash of its path, not a number by argument order (H57, N10)
    expect([...reportNames(inputs).values()]).toEqual(['a_bundle-e7b6bbc9', 'b_bundle', 'Bundle', 'x_y_rm_-rf', 'index.tgz', 'a_bundle-a7abe31b']);
    // redacted reports: hostnames and addresses in input names must not reach the file names
    expect([...reportNames(inputs, true).values()]).toEqual(['bundle-1', 'bundle-2', 'bundle-3', 'bundle-4', 'bundle-5', 'bundle-6']);
    expect(reportNames(Array.from({ length: 12 }, (_, i) => `db01-${i}.tgz`), true).get('db01-0.tgz')).toBe('bundle-01');
  });

  it('shard parsing and stability', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    expect(() => parseShard('4/4')).toThrow(/between 0 and N-1/);
    expect(() => parseShard('0/0')).toThrow(/N, the number of shards, must be at least 1/);
    expect(() => parseShard('x')).toThrow(/K\/N/);
    expect(shardOf('tickets/a.tgz', 7)).toBe(shardOf('tickets/a.tgz', 7));
  });
});

describe('progress bar', () => {
  it('on a terminal: one redrawn line with done/total, rate, ETA and current names', async () => {
    const { Progress } = await import('../../src/batch/progress.js');
    let out = '';
    const labels = new Map([['tickets/T-2/bundle.tgz', 'T-2/bundle.tgz']]);
    const p = new Progress(4, 'bar', (s) => (out += s), 120, labels);
    p.start('tickets/a.tgz');
    p.finish({ input: 'tickets/a.tgz', ok: false, failure: { source: 'tickets/a.tgz', error: 'x', code: 'corrupt' }, ms: 5 });
    p.start('tickets/T-2/bundle.tgz');
    p.start('tickets/c.tgz');
    const frames = out.split('\r\x1b[2K').filter(Boolean);
    expect(frames.at(-1)).toMatch(/^\[######------------------\] 1\/4 \(1 failed\) [\d.]+\/s \d+s ETA \d+s T-2\/bundle\.tgz, c\.tgz$/);
    expect(out).not.toContain('\n');
    // a long bundle: the bar keeps redrawing (elapsed time, ETA) between completions
    const before = out.length;
    await new Promise((r) => setTimeout(r, 1100));
    expect(out.length).toBeGreaterThan(before);
    p.end();
    expect(out.endsWith('\r\x1b[2K')).toBe(true);
    const after = out.length;
    await new Promise((r) => setTimeout(r, 1100));
    expect(out.length).toBe(after);
  });

  it('durations read at a glance', async () => {
    const { formatDuration } = await import('../../src/batch/progress.js');
    expect([0.4, 42, 60, 245, 3599, 3600, 5423, 90061].map(formatDuration)).toEqual(['0s', '42s', '1m00s', '4m05s', '59m59s', '1h00m', '1h30m', '25h01m']);
  });

  it('lines: one per bundle, whatever its name holds', async () => {
    const { Progress } = await import('../../src/batch/progress.js');
    let out = '';
    const p = new Progress(1, 'lines', (s) => (out += s));
    const input = 'tickets/new\nline\x1b[2J.tgz';
    p.start(input);
    p.finish({ input, ok: false, failure: { source: input, error: `${input}: corrupt`, code: 'corrupt' }, ms: 3 });
    // the input named once (H57: the failure's own leading name is dropped)
    expect(out).toBe('[1/1] tickets/new\\nline\\x1b[2J.tgz: failed: corrupt (3 ms)\n');
  });

  it('quiet prints nothing', async () => {
    const { Progress } = await import('../../src/batch/progress.js');
    let out = '';
    const p = new Progress(1, 'quiet', (s) => (out += s));
    p.start('a');
    p.finish({ input: 'a', ok: false, failure: { source: 'a', error: 'x', code: 'corrupt' }, ms: 1 });
    p.end();
    expect(out).toBe('');
  });
});
