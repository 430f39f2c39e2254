import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { loadExternalAnalyzers } from '../../src/engine/external.js';
import { makeTarGz, writeTmp } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const SYSCTL = 'net.ipv4.ip_forward = 1\nnet.ipv4.conf.all.rp_filter = 1\nnet.bridge.bridge-nf-call-iptables = 1\n';
const HEALTHY = SYSCTL.replace('rp_filter = 1', 'rp_filter = 2');
const bad = (name: string) => projectPath('test/fixtures/bad-analyzers', name);

describe('external analyzers (--analyzers DIR)', () => {
  it('the shipped example loads, fires on strict rp_filter with its evidence, and stays quiet on loose', async () => {
    const firing = writeTmp('rp.tgz', await makeTarGz([{ name: 'node1/sysctl.txt', content: SYSCTL }]));
    const report = await analyzeBundle(firing, { analyzersDir: projectPath('examples/analyzers') });
    const f = report.findings.find((x) => x.id === 'sysctl.rp-filter-strict');
    expect(f).toMatchObject({ severity: 'info', node: 'node1', analyzer: 'sysctl.rp-filter-strict' });
    expect(f?.evidence[0]).toMatchObject({ file: 'node1/sysctl.txt', line: 2, excerpt: 'net.ipv4.conf.all.rp_filter = 1' });
    const quiet = writeTmp('ok.tgz', await makeTarGz([{ name: 'node1/sysctl.txt', content: HEALTHY }]));
    const ok = await analyzeBundle(quiet, { analyzersDir: projectPath('examples/analyzers') });
    expect(ok.findings).toEqual([]);
    expect(ok.coverage.nodes[0].analyzers.map((a) => a.id)).toContain('sysctl.rp-filter-strict');
  });

  it('malformed modules are refused with the file and the field', async () => {
    await expect(loadExternalAnalyzers(bad('bad-id'))).rejects.toThrow(/bad-id\/a\.mjs: invalid analyzer: id must look like area\.noun-phrase/);
    await expect(loadExternalAnalyzers(bad('no-export'))).rejects.toThrow(/exports no analyzer/);
    await expect(loadExternalAnalyzers(bad('dup'), new Set(['sysctl.ip-forward-disabled']))).rejects.toThrow(/already taken/);
    await expect(loadExternalAnalyzers(bad('nope'))).rejects.toThrow(/no such folder/);
    await expect(loadExternalAnalyzers(bad('bad-partial'))).rejects.toThrow(/bad-partial\/a\.mjs: invalid analyzer: partialWithout/);
  });

  it('one that throws is isolated like a built-in: an error entry, the built-ins still run', async () => {
    const path = writeTmp('t.tgz', await makeTarGz([{ name: 'n/sysctl.txt', content: SYSCTL.replace('ip_forward = 1', 'ip_forward = 0') }]));
    const report = await analyzeBundle(path, { analyzersDir: bad('throws') });
    expect(report.coverage.nodes[0].analyzers.find((a) => a.id === 'custom.throws')).toMatchObject({ status: 'error', reason: 'custom.throws failed: custom bug' });
    expect(report.findings.map((f) => f.id)).toEqual(['sysctl.ip-forward-disabled']);
  });
});
