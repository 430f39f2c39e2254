/**
 * Batch options meeting each other through the built CLI: --resume with --redact, merging
 * redacted shards, the per-bundle time limit against a child's start-up, output names and the
 * index files an earlier run left.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { reportNames } from '../../src/batch/run.js';
import { makeTarGz, tmpDir } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const BIN = projectPath('dist/src/bin.js');
const run = (args: string[], env: NodeJS.ProcessEnv = {}) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8'));
const ON = 'net.ipv4.ip_forward = 1\nnet.bridge.bridge-nf-call-iptables = 1\n';
const OFF = ON.replace('= 1', '= 0');

let examples: string;
beforeAll(() => {
  if (!existsSync(BIN)) execFileSync('npm', ['run', 'build'], { cwd: projectPath(), stdio: 'ignore' });
  examples = tmpDir('bd-examples-');
  for (const f of readdirSync(projectPath('bundles')).filter((f) => f.endsWith('.tgz'))) copyFileSync(projectPath('bundles', f), join(examples, f));
});

describe('--resume and --redact', () => {
  it('secrets only: the index lists plain paths, and the run resumes', () => {
    const out = join(tmpDir(), 'out');
    expect(run(['analyze', examples, '-o', out, '--redact', '--quiet']).code).toBe(0);
    const first = readJson(join(out, 'index.json'));
    const again = run(['analyze', examples, '-o', out, '--redact', '--resume']);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain(`resuming: ${first.totals.bundles} of ${first.totals.bundles} bundles already analyzed`);
  });

  it('ips or hostnames: refused, saying why', () => {
    const out = join(tmpDir(), 'out');
    for (const mode of ['ips', 'hostnames', 'ips,hostnames']) {
      const r = run(['analyze', examples, '-o', out, '--redact', mode, '--resume']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^bundle-doctor: --resume cannot be used with --redact ips or hostnames: the index lists its sources as tokens/);
    }
    expect(existsSync(out)).toBe(false);
    expect(run(['--help']).stdout).toMatch(/not with --redact ips\/hostnames/);
  });

  it('--resume without -o DIR is the same usage error for one bundle as for a batch', () => {
    for (const inputs of [[join(examples, 'ip-forward-off.tgz')], [examples]]) {
      const r = run(['analyze', ...inputs, '--resume']);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^bundle-doctor: --resume needs -o DIR/);
    }
  });
});

describe('merge of redacted shards', () => {
  it('refuses indexes redacted by separate runs (each has its own tokens) unless told; told, it marks each run\'s tokens', async () => {
    const base = tmpDir();
    // two tickets, two different hosts; the shards of a sharded run are separate runs, as these are
    const inputs = [join(base, 'db-prod-01.tgz'), join(base, 'web-prod-02.tgz')];
    for (const [i, host] of ['db-prod-01', 'web-prod-02'].entries()) writeFileSync(inputs[i], await makeTarGz([{ name: `${host}/sysctl-a.txt`, content: OFF }]));
    const shards = [0, 1].map((k) => join(base, `s${k}`));
    shards.forEach((out, k) => expect(run(['analyze', inputs[k], '--redact', 'ips,hostnames', '-o', out, '--quiet']).code).toBe(0));
    // the premise: both runs started their table at host-1, for different hosts (the input names are hostnames)
    for (const s of shards) expect(readJson(join(s, 'index.json')).bundles[0].source).toBe(join(base, 'host-1.tgz'));
    const files = shards.map((s) => join(s, 'index.json'));
    const refused = run(['merge', ...files, '-o', join(base, 'm')]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/were redacted by separate runs, each with its own table of tokens: host-1 of one is not host-1 of another/);
    expect(refused.stderr).toMatch(/--allow-separate-tokens/);
    expect(existsSync(join(base, 'm'))).toBe(false);

    const told = run(['merge', ...files, '-o', join(base, 'm'), '--allow-separate-tokens']);
    expect(told.code).toBe(0);
    expect(told.stderr).toContain('s0:host-1');
    const merged = readJson(join(base, 'm', 'index.json'));
    expect(merged.bundles.map((b: { source: string }) => b.source).sort()).toEqual([join(base, 's0:host-1.tgz'), join(base, 's1:host-1.tgz')]);
    const mergedNodes = merged.bundles.map((b: { top?: { node?: string } }) => b.top?.node).filter(Boolean);
    for (const n of mergedNodes) expect(n).toMatch(/^s[01]:host-1$/);

    // one redacted index alone is consistent: merged as it is
    expect(run(['merge', files[0], '-o', join(base, 'one'), '--quiet']).code).toBe(0);
    expect(readJson(join(base, 'one', 'index.json')).bundles[0].source).toBe(join(base, 'host-1.tgz'));
    // secrets only has no tokens: shards merge as before
    const plain = [0, 1].map((k) => join(base, `p${k}`));
    plain.forEach((out, k) => run(['analyze', join(examples, '*.tgz'), '--shard', `${k}/2`, '--redact', '-o', out, '--quiet']));
    expect(run(['merge', ...plain.map((p) => join(p, 'index.json')), '-o', join(base, 'pm'), '--quiet']).code).toBe(0);
    // a redacted index beside one with real names: refused too
    const mixed = run(['merge', files[0], join(plain[1], 'index.json'), '-o', join(base, 'mx')]);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toMatch(/is redacted and .* is not: the merged index would mix tokens with the real names/);
  });
});

describe('merge -o', () => {
  it('a path with an extension that is no folder is refused, as analyze does, and nothing is created', () => {
    const base = tmpDir();
    const out = join(base, 'o');
    run(['analyze', join(examples, 'ip-forward-off.tgz'), join(examples, 'healthy-docker-k8s.tgz'), '-o', out, '--quiet']);
    const r = run(['merge', join(out, 'index.json'), '-o', join(base, 'merged.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^bundle-doctor: merge writes index files into a folder: -o DIR .*not the file '.*merged\.json'/);
    expect(existsSync(join(base, 'merged.json'))).toBe(false);
  });
});

describe('usage messages', () => {
  it('an unknown option: its quotes balance', () => {
    const r = run(['analyze', '--bogus', join(examples, 'ip-forward-off.tgz')]);
    expect(r.code).toBe(2);
    const line = r.stderr.split('\n')[0];
    expect(line).toBe("bundle-doctor: unknown option '--bogus' (to name an input that starts with '-', put it after '--': -- --bogus)");
    expect(line.split("'").length % 2).toBe(1);
    expect(line.split('"').length % 2).toBe(1);
  });

  it('a sharded run with no inputs at all writes no index over an earlier one', () => {
    const out = join(tmpDir(), 'out');
    const r = run(['analyze', join(tmpDir(), '*.tgz'), '--shard', '0/4', '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the pattern matches no file/);
    expect(existsSync(join(out, 'index.json'))).toBe(false);
  });
});

describe('--timeout', () => {
  it('counts the analysis, not the start-up of the child process', async () => {
    const { runBatch } = (await import(projectPath('dist/src/batch/pool.js'))) as typeof import('../../src/batch/pool.js');
    const dir = tmpDir();
    const bundle = join(dir, 'a.tgz');
    writeFileSync(bundle, await makeTarGz([{ name: 'h/sysctl.txt', content: ON }]));
    // every child takes 2.5 s to start, longer than the 2 s limit; the analysis itself takes far less
    const slow = join(dir, 'slow-start.cjs');
    writeFileSync(slow, 'Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2500);\n');
    const before = process.env.NODE_OPTIONS;
    process.env.NODE_OPTIONS = `${before ?? ''} --require ${slow}`.trim();
    try {
      const res = await runBatch([bundle], { concurrency: 1, timeoutMs: 2000, maxMemoryMb: 512, analyze: { requiredPorts: [] } });
      expect(res[0].ok ? 'ok' : res[0].failure.error).toBe('ok');
    } finally {
      if (before === undefined) delete process.env.NODE_OPTIONS;
      else process.env.NODE_OPTIONS = before;
    }
  });
});

describe('report file names', () => {
  it('keep letters of every script; only what is unsafe in a file name goes', () => {
    expect([...reportNames(['t1/チケット.tgz', 't2/バンドル.tar.xz', 'x/журнал узла.zip', 'y/a\u202Eb.tgz', 'z/résumé.tgz']).values()]).toEqual([
      'チケット',
      'バンドル',
      'журнал_узла',
      'a_b',
      'résumé',
    ]);
    // the same CJK name in two tickets: told apart by their folders, still readable
    expect([...reportNames(['工单-1/日志.tgz', '工单-2/日志.tgz']).values()]).toEqual(['工单-1_日志', '工单-2_日志']);
    // at most 120 bytes (file systems count bytes), never cut inside a character
    const long = reportNames(['長'.repeat(100) + '.tgz']).get('長'.repeat(100) + '.tgz')!;
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(120);
    expect(long).toBe('長'.repeat(40));
  });

  it('a batch of CJK-named bundles writes readable report files', async () => {
    const dir = tmpDir();
    for (const name of ['サーバー一', 'サーバー二']) writeFileSync(join(dir, `${name}.tgz`), await makeTarGz([{ name: 'h/sysctl.txt', content: ON }]));
    const out = join(tmpDir(), 'out');
    expect(run(['analyze', dir, '-o', out, '--format', 'json', '--quiet']).code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['index.json', 'サーバー一.json', 'サーバー二.json']);
  });
});

describe('index files of an earlier run', () => {
  it('--resume with another --format removes the index of the format not written any more; not a file of someone else', () => {
    const out = join(tmpDir(), 'out');
    const two = [join(examples, 'ip-forward-off.tgz'), join(examples, 'healthy-docker-k8s.tgz')];
    expect(run(['analyze', ...two, '-o', out, '--format', 'html,json', '--quiet']).code).toBe(0);
    expect(existsSync(join(out, 'index.html'))).toBe(true);
    expect(run(['analyze', ...two, '-o', out, '--format', 'md', '--resume', '--quiet']).code).toBe(0);
    expect(readdirSync(out).filter((f) => f.startsWith('index.')).sort()).toEqual(['index.json', 'index.md']);

    const mine = join(tmpDir(), 'site');
    mkdirSync(mine);
    writeFileSync(join(mine, 'index.html'), '<!DOCTYPE html><title>my notes</title>\n');
    expect(run(['analyze', ...two, '-o', mine, '--format', 'md', '--quiet']).code).toBe(0);
    expect(readFileSync(join(mine, 'index.html'), 'utf8')).toBe('<!DOCTYPE html><title>my notes</title>\n');
  });
});
