/** The built command as a user runs it: exit codes, one-line errors, output files. */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTarGz, tmpDir, writeTmp } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const BIN = projectPath('dist/src/bin.js');

function run(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const FORWARD_OFF = 'net.ipv4.ip_forward = 0\nnet.bridge.bridge-nf-call-iptables = 1\nnet.core.somaxconn = 4096\n';
const FORWARD_ON = FORWARD_OFF.replace('ip_forward = 0', 'ip_forward = 1');

beforeAll(() => {
  if (!existsSync(BIN)) execFileSync('npm', ['run', 'build'], { cwd: projectPath(), stdio: 'ignore' });
});

describe('bundle-doctor analyze', () => {
  it('prints Markdown by default and exits 0 without --fail-on', async () => {
    const path = writeTmp('fwd.tgz', await makeTarGz([{ name: 'host-a/sysctl-a.txt', content: FORWARD_OFF }]));
    const r = run(['analyze', path]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^# bundle-doctor report/);
    expect(r.stdout).toContain('sysctl.ip-forward-disabled');
    expect(r.stdout).toContain('host-a/sysctl-a.txt:1');
  });

  it('--fail-on critical exits 1 when a critical finding is present, 0 when healthy', async () => {
    const bad = writeTmp('bad.tgz', await makeTarGz([{ name: 'h/sysctl-a.txt', content: FORWARD_OFF }]));
    const good = writeTmp('good.tgz', await makeTarGz([{ name: 'h/sysctl-a.txt', content: FORWARD_ON }]));
    expect(run(['analyze', bad, '--fail-on', 'critical']).code).toBe(1);
    expect(run(['analyze', good, '--fail-on', 'critical']).code).toBe(0);
  });

  it('--format json -o FILE writes the report object', async () => {
    const path = writeTmp('j.tgz', await makeTarGz([{ name: 'h/sysctl-a.txt', content: FORWARD_OFF }]));
    const out = join(tmpDir(), 'report.json');
    const r = run(['analyze', path, '--format', 'json', '-o', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const report = JSON.parse(readFileSync(out, 'utf8'));
    expect(report.bundles[0].findings.map((f: { id: string }) => f.id)).toEqual(['sysctl.ip-forward-disabled']);
    expect(report.bundles[0].findings[0].evidence[0]).toMatchObject({ file: 'h/sysctl-a.txt', line: 1, excerpt: 'net.ipv4.ip_forward = 0' });
  });

  it('--format html writes one self-contained page', async () => {
    const path = writeTmp('h.tgz', await makeTarGz([{ name: 'h/sysctl-a.txt', content: FORWARD_OFF }]));
    const r = run(['analyze', path, '--format', 'html']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^<!DOCTYPE html>/);
    expect(r.stdout).not.toMatch(/<(link|img)\b[^>]*(href|src)=["']?https?:/i);
    expect(r.stdout).not.toMatch(/<script[^>]+src=/i);
    expect(r.stdout).toContain('IPv4 forwarding is disabled');
  });

  it('a truncated .tgz exits 2 with one clear line and no stack trace', async () => {
    const gz = await makeTarGz([{ name: 'h/sysctl-a.txt', content: FORWARD_OFF + 'x'.repeat(300_000) + Math.random() }]);
    const path = writeTmp('trunc.tgz', gz.subarray(0, gz.length >> 1));
    const r = run(['analyze', path]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual([`bundle-doctor: ${path}: truncated archive (compressed data ends early)`]);
  });

  it('a file of random bytes exits 2 with one clear line', () => {
    const bytes = Buffer.alloc(65536);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
    const path = writeTmp('random.bin', bytes);
    const r = run(['analyze', path]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/random\.bin: not a bundle/);
    expect(r.stderr).not.toMatch(/\s+at\s+\S+\s+\(/);
  });

  it('a gzip that holds neither tar nor text exits 2 with one line', () => {
    const noise = Buffer.alloc(8192);
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 131 + 7) % 251;
    const path = writeTmp('log.tgz', gzipSync(noise));
    const r = run(['analyze', path]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('usage errors exit 2', () => {
    expect(run([]).code).toBe(2);
    expect(run(['analyze']).code).toBe(2);
    expect(run(['analyze', 'x', '--format', 'pdf']).stderr).toMatch(/--format must be one of md, html, json/);
    expect(run(['analyze', 'x', '--bogus']).code).toBe(2);
    expect(run(['frobnicate']).stderr).toMatch(/unknown command 'frobnicate'/);
  });

  it('--timeout beyond what a timer can hold (2147483 s) is a usage error naming the maximum, not an instant timeout', async () => {
    const a = writeTmp('t1.tgz', await makeTarGz([{ name: 'h/sysctl-a.txt', content: FORWARD_OFF }]));
    const b = writeTmp('t2.tgz', await makeTarGz([{ name: 'h/sysctl-a.txt', content: FORWARD_ON }]));
    const r = run(['analyze', a, b, '--timeout', '3000000', '--format', 'json']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toMatch(/TimeoutOverflowWarning|took longer/);
    expect(r.stderr.trim().split('\n')[0]).toBe("bundle-doctor: --timeout is at most 2147483 seconds (24 days; 0 = no limit), not '3000000'");
    const max = run(['analyze', a, b, '--timeout', '2147483', '--format', 'json', '-q']);
    expect(max.stderr).toBe('');
    expect(max.code).toBe(0);
    expect(JSON.parse(max.stdout).bundles).toHaveLength(2);
  });

  it('-o FILE.ext with several formats is a usage error, not a folder named FILE.ext', async () => {
    const a = writeTmp('f1.tgz', await makeTarGz([{ name: 'h/sysctl-a.txt', content: FORWARD_OFF }]));
    const dir = tmpDir();
    for (const out of [join(dir, 'x.json'), join(dir, 'report.html')]) {
      const r = run(['analyze', a, '-o', out, '--format', 'html,json']);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')[0]).toMatch(/^bundle-doctor: several formats need -o DIR .*not the file '.*(x\.json|report\.html)'$/);
      expect(existsSync(out)).toBe(false);
    }
    // a folder by README's definition still is one: ending in /, without extension, or existing
    const existing = join(dir, 'reports.d');
    mkdirSync(existing);
    for (const out of [join(dir, 'y.out') + '/', join(dir, 'plain'), existing]) {
      const r = run(['analyze', a, '-o', out, '--format', 'html,json', '-q']);
      expect(r.code).toBe(0);
      expect(existsSync(join(out, 'index.json'))).toBe(true);
    }
  });

  it('-q with -o DIR: no progress, but a failed input still gets its one line', async () => {
    const good = writeTmp('ok.tgz', await makeTarGz([{ name: 'h/sysctl-a.txt', content: FORWARD_OFF }]));
    const fake = writeTmp('notreally.tgz', '<html>404 Not Found</html>\n');
    const out = join(tmpDir(), 'qd') + '/';
    const r = run(['analyze', fake, good, '-o', out, '-q']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^bundle-doctor: ${fake.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
    expect(JSON.parse(readFileSync(join(out, 'index.json'), 'utf8')).totals).toMatchObject({ bundles: 2, analyzed: 1, failed: 1 });
  });

  it('--help and --version exit 0', () => {
    const h = run(['--help']);
    expect(h.code).toBe(0);
    for (const flag of ['--format', '--output', '--fail-on', '--require-port', '--version']) expect(h.stdout).toContain(flag);
    expect(run(['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('several inputs: one that fails is reported, the others still are, exit 2', async () => {
    const good = writeTmp('g.tgz', await makeTarGz([{ name: 'h/sysctl-a.txt', content: FORWARD_OFF }]));
    const r = run(['analyze', good, '/nonexistent.tgz', '--format', 'json']);
    expect(r.code).toBe(2);
    // the progress line names the input once, then why it failed (R19)
    expect(r.stderr).toMatch(/\/nonexistent\.tgz:.*failed:.*no such file or directory/);
    expect(r.stderr.split('/nonexistent.tgz').length - 1).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.bundles).toHaveLength(1);
    expect(report.failures).toEqual([expect.objectContaining({ source: '/nonexistent.tgz', code: 'not-found' })]);
  });
});
