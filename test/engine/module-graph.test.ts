/**
 * Start-up order: the modules that read a bundle must not pull in the analyzers, parsers or zod.
 * analyze.ts imports those later stages only once a bundle starts streaming, so that loading them
 * overlaps the read; a static import creeping back would quietly put them in front of it again.
 * Likewise the CLI loads zod only when a run needs it. Checked on the built modules (what runs).
 */
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { projectPath } from '../helpers/shared.js';

/** File modules loaded by importing `entry` (or running it with `args`), as paths under the project. */
function loadedModules(entry: string, args?: string[]): string[] {
  const hook = `export async function resolve(s, c, next) { const r = await next(s, c); if (r.url.startsWith('file:')) process.stderr.write('LOADED ' + r.url + '\\n'); return r; }`;
  const register = `import { register } from 'node:module'; register(${JSON.stringify('data:text/javascript,' + encodeURIComponent(hook))});`;
  const cmd = args
    ? [`--import=data:text/javascript,${encodeURIComponent(register)}`, entry, ...args]
    : [`--import=data:text/javascript,${encodeURIComponent(register)}`, '--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(entry).href)})`];
  const r = spawnSync(process.execPath, cmd, { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  const root = pathToFileURL(projectPath()).href;
  return [...new Set(r.stderr.split('\n').filter((l) => l.startsWith('LOADED ')).map((l) => l.slice(7).replace(root, '').replace(/^\//, '')))];
}

describe('module graph', () => {
  it('reading a bundle loads neither the analyzers, the parsers nor zod', () => {
    const mods = loadedModules(projectPath('dist/src/engine/analyze.js'));
    expect(mods).toContain('dist/src/bundle/read.js');
    expect(mods).toContain('dist/src/logs/scanner.js');
    expect(mods.filter((m) => /node_modules\/zod\/|dist\/analyzers\/|dist\/src\/parsers\/|dist\/src\/engine\/report-bundle/.test(m))).toEqual([]);
  });

  it('the CLI starts without zod and the batch modules', () => {
    const mods = loadedModules(projectPath('dist/src/bin.js'), ['--version']);
    expect(mods).toContain('dist/src/cli.js');
    expect(mods.filter((m) => /node_modules\/zod\/|dist\/src\/batch\/run|dist\/src\/engine\//.test(m))).toEqual([]);
  });

  it("a batch's parent forks its children without loading zod (only they validate reports; merge loads it)", () => {
    const mods = loadedModules(projectPath('dist/src/batch/run.js'));
    expect(mods).toContain('dist/src/batch/pool.js');
    expect(mods.filter((m) => /node_modules\/zod\/|dist\/src\/report\/schema/.test(m))).toEqual([]);
  });
});
