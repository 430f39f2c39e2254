/**
 * The package as others use it: require('bundle-doctor') from CommonJS (node's own resolution of
 * the package name, through package.json `exports`), a CommonJS external analyzer, and the
 * library's analyze() expanding its inputs as the command line does.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/index.js';
import { makeTarGz, tmpDir } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const BIN = projectPath('dist/src/bin.js');
const OFF = 'net.ipv4.ip_forward = 0\nnet.bridge.bridge-nf-call-iptables = 1\n';
const ON = OFF.replace('= 0', '= 1');

beforeAll(() => {
  if (!existsSync(BIN)) execFileSync('npm', ['run', 'build'], { cwd: projectPath(), stdio: 'ignore' });
});

/** A CommonJS project (no "type": commonjs is node's default) with bundle-doctor installed as a link to this repository. */
function cjsProject(): string {
  const dir = tmpDir('bd-cjs-');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', type: 'commonjs' }));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(projectPath(), join(dir, 'node_modules', 'bundle-doctor'), 'dir');
  return dir;
}

describe('require("bundle-doctor")', () => {
  it('loads the package from CommonJS and analyzes a bundle', () => {
    const dir = cjsProject();
    writeFileSync(
      join(dir, 'main.js'),
      [
        "const bd = require('bundle-doctor');",
        "if (typeof bd.analyze !== 'function' || typeof bd.defineAnalyzer !== 'function') throw new Error('missing exports');",
        `bd.analyze(${JSON.stringify(projectPath('bundles/ip-forward-off.tgz'))}).then((r) => console.log(JSON.stringify(r.bundles[0].findings.map((f) => f.id))));`,
      ].join('\n'),
    );
    const r = spawnSync(process.execPath, [join(dir, 'main.js')], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(['sysctl.ip-forward-disabled']);
  });

  it('a CommonJS analyzer module (require, module.exports) loads with --analyzers', async () => {
    const dir = cjsProject();
    const analyzers = join(dir, 'analyzers');
    mkdirSync(analyzers);
    writeFileSync(
      join(analyzers, 'forward.js'),
      [
        "const { defineAnalyzer, sysctlValue } = require('bundle-doctor');",
        'module.exports = defineAnalyzer({',
        "  id: 'sysctl.cjs-forward-seen', title: 'forwarding value seen', description: 'a CommonJS analyzer', scope: 'node', requires: ['sysctl'],",
        '  analyze({ artifacts }) {',
        "    const v = sysctlValue(artifacts.sysctl, 'net.ipv4.ip_forward');",
        "    return v ? [{ severity: 'info', title: 'seen', message: `ip_forward is ${v.value}`, evidence: [{ file: v.ref.file, line: v.ref.line, excerpt: v.excerpt }], remedy: { summary: 'none', commands: [] } }] : [];",
        '  },',
        '});',
      ].join('\n'),
    );
    // the same module as .cjs (CommonJS whatever the package type says)
    writeFileSync(join(analyzers, 'forward2.cjs'), readFileSync(join(analyzers, 'forward.js'), 'utf8').replace('sysctl.cjs-forward-seen', 'sysctl.cjs-forward-seen-cjs'));
    const bundle = join(dir, 'b.tgz');
    writeFileSync(bundle, await makeTarGz([{ name: 'h/sysctl.txt', content: ON }]));
    const r = spawnSync(process.execPath, [BIN, 'analyze', bundle, '--analyzers', analyzers, '--format', 'json'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    for (const id of ['sysctl.cjs-forward-seen', 'sysctl.cjs-forward-seen-cjs']) {
      const f = JSON.parse(r.stdout).bundles[0].findings.find((x: { id: string }) => x.id === id);
      expect(f, id).toMatchObject({ severity: 'info', message: 'ip_forward is 1', evidence: [{ file: 'h/sysctl.txt', line: 1 }] });
    }
  });
});

describe('the library analyze() takes inputs as the command line does', () => {
  it('a folder of attachments is one bundle each, not one merged bundle', async () => {
    const tickets = tmpDir('bd-lib-');
    for (const [t, content] of [['ticket-1', OFF], ['ticket-2', ON], ['ticket-3', ON]] as const) {
      mkdirSync(join(tickets, t));
      writeFileSync(join(tickets, t, 'bundle.tgz'), await makeTarGz([{ name: `node-${t}/sysctl.txt`, content }]));
    }
    const report = await analyze(tickets);
    expect(report.failures).toEqual([]);
    expect(report.bundles.map((b) => b.source)).toEqual(['ticket-1', 'ticket-2', 'ticket-3'].map((t) => join(tickets, t, 'bundle.tgz')));
    expect(report.bundles.map((b) => b.nodes.length)).toEqual([1, 1, 1]);
    expect(report.bundles.flatMap((b) => b.findings.map((f) => f.id))).toEqual(['sysctl.ip-forward-disabled']);
    // asBundle: the folder is one extracted bundle (here: three nested archives of three nodes)
    const asOne = await analyze([tickets], { asBundle: true });
    expect(asOne.bundles).toHaveLength(1);
    expect(asOne.bundles[0].source).toBe(tickets);
    await expect(analyze(tickets, { asBundle: true, asBatch: true })).rejects.toThrow(/exclude each other/);
  });

  it('globs are expanded; a pattern that matches nothing is a failure of its own', async () => {
    const dir = tmpDir('bd-lib-');
    for (const f of ['ip-forward-off.tgz', 'healthy-docker-k8s.tgz']) copyFileSync(projectPath('bundles', f), join(dir, f));
    const report = await analyze([join(dir, '*.tgz'), join(dir, 'nothing-*.zip')]);
    expect(report.bundles.map((b) => b.source)).toEqual([join(dir, 'healthy-docker-k8s.tgz'), join(dir, 'ip-forward-off.tgz')]);
    expect(report.failures).toEqual([{ source: join(dir, 'nothing-*.zip'), error: `${join(dir, 'nothing-*.zip')}: the pattern matches no file`, code: 'not-found' }]);
    // a file whose name reads as a pattern is itself when it exists
    const odd = join(dir, 'ticket[1].tgz');
    copyFileSync(projectPath('bundles/ip-forward-off.tgz'), odd);
    expect((await analyze(odd)).bundles.map((b) => b.source)).toEqual([odd]);
  });
});
