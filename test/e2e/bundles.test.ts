/**
 * Every example bundle gives its expected findings, through the built CLI, in all three formats;
 * the bundles are reproducible from their sources.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tmpDir } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const BIN = projectPath('dist/src/bin.js');
const expected = JSON.parse(readFileSync(projectPath('bundles/expected.json'), 'utf8')) as Record<
  string,
  { layout: string; nodes: string[]; expect: string[]; mustNotFire: string[]; noCritical: boolean; noWarning?: boolean; noFindings?: boolean }
>;

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  if (!existsSync(BIN)) execFileSync('npm', ['run', 'build'], { cwd: projectPath(), stdio: 'ignore' });
});

describe('example bundles end to end', () => {
  it('there are at least six, in at least two layouts', () => {
    expect(Object.keys(expected).length).toBeGreaterThanOrEqual(6);
    expect(new Set(Object.values(expected).map((e) => e.layout)).size).toBeGreaterThanOrEqual(2);
  });

  for (const [bundle, exp] of Object.entries(expected)) {
    it(`${bundle}: ${exp.expect.join(', ') || 'no findings'}`, () => {
      const path = projectPath('bundles', bundle);
      const json = cli(['analyze', path, '--format', 'json', '--fail-on', 'critical']);
      expect(json.stderr).toBe('');
      expect(json.code).toBe(exp.noCritical ? 0 : 1);
      const report = JSON.parse(json.stdout);
      const b = report.bundles[0];
      expect(b.layout).toBe(exp.layout);
      expect(b.nodes.map((n: { name: string }) => n.name).sort()).toEqual([...exp.nodes].sort());
      const ids = new Set(b.findings.map((f: { id: string }) => f.id));
      // a diagnosis folded into the finding of its cause ("Also explains": related) is reported there
      const reported = new Set([...ids, ...b.findings.flatMap((f: { related?: string[] }) => f.related ?? [])]);
      for (const id of exp.expect) expect(reported, `${bundle} must report ${id}`).toContain(id);
      for (const id of exp.mustNotFire) expect(ids, `${bundle} must not report ${id}`).not.toContain(id);
      if (exp.noCritical) expect(b.summary.critical).toBe(0);
      if (exp.noWarning) expect(b.summary.warning).toBe(0);
      if (exp.noFindings) expect(b.findings).toEqual([]);
      for (const n of b.coverage.nodes) expect(n.analyzers.filter((a: { status: string }) => a.status === 'error'), `${bundle} ${n.node}`).toEqual([]);
      // every piece of evidence points into the bundle
      for (const f of b.findings) for (const e of f.evidence) expect(e.file.length, `${f.id}`).toBeGreaterThan(0);

      const md = cli(['analyze', path]);
      expect(md.code).toBe(0);
      for (const id of exp.expect) expect(md.stdout).toContain(id);
      const html = cli(['analyze', path, '--format', 'html']);
      expect(html.code).toBe(0);
      for (const id of exp.expect) expect(html.stdout).toContain(id);
      if (exp.nodes.length > 1) {
        expect(md.stdout).toContain('### Nodes side by side');
        expect(html.stdout).toContain('<table class="cluster">');
      }
    });
  }

  it('the three-node table marks node-c', () => {
    const md = cli(['analyze', projectPath('bundles/three-node-cluster.tgz')]).stdout;
    const row = md.split('\n').find((l) => l.startsWith('| ip_forward |'))!;
    expect(row).toBe('| ip_forward | `1` | `1` | **`0`** ⚠️ |');
    expect(md.split('\n').find((l) => l.startsWith('| iptables back end |'))).toBe('| iptables back end | `nf_tables` | `nf_tables` | **`legacy`** ⚠️ |');
  });

  it('the bundles are reproducible: packing bundles/src gives the same bytes', () => {
    const out = tmpDir('bd-pack-');
    execFileSync('bash', [projectPath('scripts/make-bundles.sh'), '--pack'], { env: { ...process.env, OUT: out } });
    for (const bundle of Object.keys(expected)) expect(readFileSync(join(out, bundle)).equals(readFileSync(projectPath('bundles', bundle))), bundle).toBe(true);
  });
});
