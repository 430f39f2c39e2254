/**
 * Bad input never crashes the tool: a clear one-line error and exit 2, or an analysis that
 * notes what it refused; no stack trace, no hang, nothing written outside -o.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tmpDir } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';
import { makeHostileCorpus, type HostileCase } from './make.js';

const BIN = projectPath('dist/src/bin.js');
let cases: HostileCase[] = [];
let corpus: string;

beforeAll(async () => {
  if (!existsSync(BIN)) execFileSync('npm', ['run', 'build'], { cwd: projectPath(), stdio: 'ignore' });
  corpus = tmpDir('bd-hostile-');
  cases = await makeHostileCorpus(corpus);
}, 300_000);

describe('hostile bundles', () => {
  it('every case: the expected exit code, one line on stderr when it fails, never a stack trace or a hang', () => {
    expect(cases.length).toBeGreaterThanOrEqual(14);
    for (const c of cases) {
      const cwd = tmpDir('bd-cwd-');
      const out = join(cwd, 'out');
      mkdirSync(out);
      // bounded: a hang fails the test instead of stalling it; --max-memory keeps the run small
      const r = spawnSync(process.execPath, ['--max-old-space-size=512', BIN, 'analyze', c.file, '--format', 'json'], { cwd, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
      expect(r.signal, `${c.name}: killed (hang?)`).toBeNull();
      expect(r.status, `${c.name}: ${r.stderr}`).toBe(c.exit);
      expect(r.stderr, c.name).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/);
      if (c.exit === 2) {
        expect(r.stderr.trim().split('\n'), c.name).toHaveLength(1);
        expect(r.stderr, c.name).toMatch(c.error!);
        if (c.check) c.check(JSON.parse(r.stdout), r.stdout);
        else expect(r.stdout, c.name).toBe('');
      } else {
        c.check?.(JSON.parse(r.stdout), r.stdout);
      }
      // nothing written anywhere but stdout
      expect(readdirSync(cwd).sort(), c.name).toEqual(['out']);
      expect(readdirSync(out), c.name).toEqual([]);
    }
  }, 900_000);
});
