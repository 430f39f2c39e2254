/**
 * Inputs that cannot be read while a batch's inputs are expanded: a sub-folder of a folder of
 * attachments or of a glob that the user may not list fails alone (code `unreadable`, "permission
 * denied", in the index and one line on stderr), and the other bundles are analyzed.
 *
 * Permissions mean nothing to root: as root the CLI is run as an unprivileged uid (setpriv, else
 * su to `nobody`); where neither can drop the privilege, the tests skip and say why.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTarGz, tmpDir } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const BIN = projectPath('dist/src/bin.js');
const NOBODY = 65534;

/** How to run a command as a user that permissions apply to, or why that is not possible here. */
function unprivileged(): { wrap: (argv: string[]) => string[] } | { skip: string } {
  if (process.getuid?.() === undefined) return { skip: 'no POSIX uids on this platform' };
  const candidates: { wrap: (argv: string[]) => string[] }[] =
    process.getuid() !== 0
      ? [{ wrap: (argv) => argv }]
      : [
          { wrap: (argv) => ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--', ...argv] },
          { wrap: (argv) => ['su', '-s', '/bin/sh', 'nobody', '-c', argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')] },
        ];
  // meaningful only if the user really is refused a folder it has no permission on
  const probe = tmpDir('bd-inputs-probe-');
  try {
    chmodSync(probe, 0o755);
    mkdirSync(join(probe, 'closed'), { mode: 0o700 });
    for (const c of candidates) {
      const [cmd, ...args] = c.wrap([process.execPath, '-e', `try { require('fs').readdirSync(${JSON.stringify(join(probe, 'closed'))}); process.exit(3) } catch (e) { process.exit(e.code === 'EACCES' ? 0 : 4) }`]);
      const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: 20_000 });
      if (r.status === 0) return c;
    }
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
  return {
    skip:
      process.getuid() === 0
        ? `running as root and neither setpriv nor su could run node as uid ${NOBODY} refused an unreadable folder`
        : 'this user can read a folder of mode 700 owned by nobody else (capabilities?)',
  };
}

const runner = unprivileged();
const skipReason = 'skip' in runner ? runner.skip : undefined;
if (skipReason) console.warn(`test/batch/inputs.test.ts skipped: ${skipReason}`);

function run(args: string[], cwd: string) {
  if ('skip' in runner) throw new Error(runner.skip);
  const [cmd, ...rest] = runner.wrap([process.execPath, BIN, ...args]);
  const r = spawnSync(cmd, rest, { encoding: 'utf8', cwd, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Entry {
  source: string;
  error?: string;
  code?: string;
}
const indexOf = (out: string): { totals: { bundles: number; analyzed: number; failed: number }; bundles: Entry[] } =>
  JSON.parse(readFileSync(join(out, 'index.json'), 'utf8'));
const bySource = (entries: Entry[]) => Object.fromEntries(entries.map((e) => [e.source, e.error === undefined ? 'ok' : `${e.code}: ${e.error}`]));
const lines = (s: string) => s.trim().split('\n').filter(Boolean).sort();

const OFF = 'net.ipv4.ip_forward = 0\nnet.bridge.bridge-nf-call-iptables = 1\n';
const ON = OFF.replace('= 0', '= 1');

let base: string;
let outs: string;
beforeAll(async () => {
  if (skipReason) return;
  if (!existsSync(BIN)) execFileSync('npm', ['run', 'build'], { cwd: projectPath(), stdio: 'ignore' });
  base = tmpDir('bd-inputs-');
  chmodSync(base, 0o755);
  // tickets/t1/a.tgz, t2/b.tgz               readable
  // tickets/t3/      (700) holds deep/c.tgz  unreadable folder
  // tickets/t4/      holds closed/ (700)     unreadable folder one level down
  // tickets/t5/locked.tgz (600)              unreadable file
  const tickets = join(base, 'tickets');
  const tgz = async (content: string) => makeTarGz([{ name: 'node/sysctl.txt', content }]);
  for (const d of ['t1', 't2', 't3/deep', 't4/closed', 't5']) mkdirSync(join(tickets, d), { recursive: true, mode: 0o755 });
  writeFileSync(join(tickets, 't1', 'a.tgz'), await tgz(OFF));
  writeFileSync(join(tickets, 't2', 'b.tgz'), await tgz(ON));
  writeFileSync(join(tickets, 't3', 'deep', 'c.tgz'), await tgz(OFF));
  writeFileSync(join(tickets, 't4', 'closed', 'd.tgz'), await tgz(OFF));
  writeFileSync(join(tickets, 't5', 'locked.tgz'), await tgz(OFF));
  for (const d of ['', 't1', 't2', 't3/deep', 't4', 't4/closed', 't5']) chmodSync(join(tickets, d), 0o755);
  chmodSync(join(tickets, 't3'), 0o700);
  chmodSync(join(tickets, 't4', 'closed'), 0o700);
  chmodSync(join(tickets, 't5', 'locked.tgz'), 0o600);
  // the unprivileged user writes its reports here
  outs = join(base, 'out');
  mkdirSync(outs);
  chmodSync(outs, 0o777);
});
afterAll(() => {
  if (base) rmSync(base, { recursive: true, force: true });
});

const EXPECTED = (prefix: string) => ({
  [`${prefix}t1/a.tgz`]: 'ok',
  [`${prefix}t2/b.tgz`]: 'ok',
  [`${prefix}t3`]: `unreadable: ${prefix}t3: permission denied`,
  [`${prefix}t4/closed`]: `unreadable: ${prefix}t4/closed: permission denied`,
  [`${prefix}t5/locked.tgz`]: `unreadable: ${prefix}t5/locked.tgz: permission denied`,
});

describe.skipIf(skipReason !== undefined)('unreadable folders met while expanding a batch', () => {
  it('a folder of attachments: each unreadable sub-folder fails alone, the others are analyzed', () => {
    for (const [i, extra] of [[], ['--as-batch']].entries()) {
      const out = join(outs, `folder-${i}`);
      const r = run(['analyze', 'tickets', ...extra, '-o', out, '--format', 'json', '-q'], base);
      expect(r.code, r.stderr).toBe(2);
      // one line each, no stack trace, no scandir message from fast-glob
      expect(lines(r.stderr)).toEqual([
        'bundle-doctor: tickets/t3: permission denied',
        'bundle-doctor: tickets/t4/closed: permission denied',
        'bundle-doctor: tickets/t5/locked.tgz: permission denied',
      ]);
      const index = indexOf(out);
      expect(index.totals).toMatchObject({ bundles: 5, analyzed: 2, failed: 3 });
      expect(bySource(index.bundles)).toEqual(EXPECTED('tickets/'));
    }
  });

  it('a glob: the folders it could not look into fail alone, spelled like its matches', () => {
    const cases: [string, string][] = [
      ['tickets/**/*.tgz', 'tickets/'],
      ['./tickets/*/**/*.tgz', './tickets/'],
      [`${base}/tickets/**/*.tgz`, `${base}/tickets/`],
    ];
    for (const [i, [pattern, prefix]] of cases.entries()) {
      const out = join(outs, `glob-${i}`);
      const r = run(['analyze', pattern, '-o', out, '--format', 'json', '-q'], base);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).not.toMatch(/EACCES|scandir/);
      expect(lines(r.stderr)).toHaveLength(3);
      expect(bySource(indexOf(out).bundles)).toEqual(EXPECTED(prefix));
    }
    // from elsewhere: relative to where it was typed, as fast-glob spells the matches
    const up = run(['analyze', '../tickets/t{1,3}/*.tgz', '-o', join(outs, 'glob-up'), '--format', 'json', '-q'], outs);
    expect(up.code, up.stderr).toBe(2);
    const rel = '../tickets/';
    expect(bySource(indexOf(join(outs, 'glob-up')).bundles)).toEqual({ [`${rel}t1/a.tgz`]: 'ok', [`${rel}t3`]: `unreadable: ${rel}t3: permission denied` });
  });

  it('a glob that reaches only unreadable folders: their failures, not "matches no file"', () => {
    const r = run(['analyze', 'tickets/t3/**/*.tgz', 'tickets/t1/a.tgz', '-o', join(outs, 'glob-only'), '--format', 'json', '-q'], base);
    expect(r.code, r.stderr).toBe(2);
    expect(lines(r.stderr)).toEqual(['bundle-doctor: tickets/t3: permission denied']);
    expect(bySource(indexOf(join(outs, 'glob-only')).bundles)).toEqual({ 'tickets/t1/a.tgz': 'ok', 'tickets/t3': 'unreadable: tickets/t3: permission denied' });
  });

  it('an input folder that is itself unreadable fails alone, as a folder or as a batch', () => {
    for (const [i, extra] of [[], ['--as-batch'], ['--as-bundle']].entries()) {
      const out = join(outs, `top-${i}`);
      const r = run(['analyze', 'tickets/t3', 'tickets/t1', ...extra, '-o', out, '--format', 'json', '-q'], base);
      expect(r.code, r.stderr).toBe(2);
      expect(lines(r.stderr)).toEqual(['bundle-doctor: tickets/t3: permission denied']);
      const index = indexOf(out);
      expect(index.totals).toMatchObject({ bundles: 2, analyzed: 1, failed: 1 });
      expect(index.bundles.find((e) => e.source === 'tickets/t3')).toMatchObject({ code: 'unreadable', error: 'tickets/t3: permission denied' });
    }
    // alone, without -o: its one line and exit 2, no stack trace
    const r = run(['analyze', 'tickets/t3'], base);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('bundle-doctor: tickets/t3: permission denied\n');
  });

  it('with --jsonl: the unreadable folder is a line of its own', () => {
    const r = run(['analyze', 'tickets/**/*.tgz', '--jsonl', '-q'], base);
    expect(r.code, r.stderr).toBe(2);
    const got = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Entry);
    expect(got.filter((l) => l.error !== undefined).map((l) => `${l.source} ${l.code}`).sort()).toEqual([
      'tickets/t3 unreadable',
      'tickets/t4/closed unreadable',
      'tickets/t5/locked.tgz unreadable',
    ]);
    expect(got.filter((l) => l.error === undefined)).toHaveLength(2);
  });
});
