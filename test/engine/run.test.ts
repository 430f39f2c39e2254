import { describe, expect, it } from 'vitest';
import { defineAnalyzer } from '../../src/engine/analyzer.js';
import type { LoadedNode } from '../../src/engine/load.js';
import { runAnalyzers } from '../../src/engine/run.js';
import { parseSysctlText } from '../../src/parsers/sysctl.js';

function node(name: string, sysctl?: string): LoadedNode {
  return {
    name,
    located: { name, nameFrom: 'test', root: name, layout: 'flat', files: [], logs: [] },
    artifacts: sysctl ? { sysctl: [parseSysctlText(sysctl, `${name}/sysctl`)] } : {},
    sources: {},
    problems: [],
  };
}

const remedy = { summary: 'fix it', commands: [] };

describe('runAnalyzers', () => {
  it('an analyzer whose artifacts are missing is "not run" with the reason; the others run', () => {
    const needsSysctl = defineAnalyzer({
      id: 'test.needs-sysctl',
      title: 't',
      description: 'd',
      scope: 'node',
      requires: ['sysctl'],
      analyze: () => [{ severity: 'info', title: 'x', message: 'm', evidence: [], remedy }],
    });
    const r = runAnalyzers([needsSysctl], [node('a', 'net.ipv4.ip_forward = 1\n'), node('b')], { requiredPorts: [] });
    expect(r.perNode.get('a')).toEqual([{ id: 'test.needs-sysctl', status: 'ran', findings: 1 }]);
    expect(r.perNode.get('b')?.[0]).toMatchObject({ status: 'not-run' });
    expect(r.perNode.get('b')?.[0].reason).toMatch(/kernel parameters .* not in the bundle/);
    expect(r.findings.map((f) => [f.id, f.node, f.analyzer])).toEqual([['test.needs-sysctl', 'a', 'test.needs-sysctl']]);
  });

  it('runs record the artifact kinds they lacked: required, optional parts, and what the analyzer says a part lacked', () => {
    const needsSysctl = defineAnalyzer({ id: 'test.needs', title: 't', description: 'd', scope: 'node', requires: ['sysctl'], analyze: () => [] });
    const partial = defineAnalyzer({
      id: 'test.partial',
      title: 't',
      description: 'd',
      scope: 'node',
      requires: ['sysctl'],
      optional: ['ipAddr', 'routes'],
      partialWithout: { ipAddr: 'the addresses were not checked' },
      analyze: ({ partly }) => {
        partly?.('the uplink was not decided; collect ip route', ['routes']);
        partly?.('a rule could not be evaluated');
        return [];
      },
    });
    const r = runAnalyzers([needsSysctl, partial], [node('a', 'net.ipv4.ip_forward = 1\n'), node('b')], { requiredPorts: [] });
    expect(r.perNode.get('b')).toEqual([
      { id: 'test.needs', status: 'not-run', reason: expect.stringMatching(/^not run: kernel parameters/), findings: 0, missing: ['sysctl'] },
      { id: 'test.partial', status: 'not-run', reason: expect.any(String), findings: 0, missing: ['sysctl'] },
    ]);
    expect(r.perNode.get('a')).toEqual([
      { id: 'test.needs', status: 'ran', findings: 0 },
      { id: 'test.partial', status: 'ran', findings: 0, missing: ['ipAddr', 'routes'], reason: 'ran in part: the addresses were not checked; the uplink was not decided; collect ip route; a rule could not be evaluated' },
    ]);
  });

  it('a throwing analyzer becomes an error entry and the run goes on', () => {
    const boom = defineAnalyzer({ id: 'test.boom', title: 't', description: 'd', scope: 'node', requires: [], analyze: () => { throw new Error('kaput'); } });
    const fine = defineAnalyzer({ id: 'test.fine', title: 't', description: 'd', scope: 'node', requires: [], analyze: () => [{ severity: 'warning', title: 'x', message: 'm', evidence: [], remedy }] });
    const r = runAnalyzers([boom, fine], [node('a')], { requiredPorts: [] });
    expect(r.perNode.get('a')).toEqual([
      { id: 'test.boom', status: 'error', reason: 'test.boom failed: kaput', findings: 0 },
      { id: 'test.fine', status: 'ran', findings: 1 },
    ]);
  });

  it('a finding that breaks the schema is an error entry, not a crash', () => {
    const bad = defineAnalyzer({
      id: 'test.bad',
      title: 't',
      description: 'd',
      scope: 'node',
      requires: [],
      analyze: () => [{ id: 'Not An Id', severity: 'info', title: 'x', message: 'm', evidence: [], remedy }],
    });
    const r = runAnalyzers([bad], [node('a')], { requiredPorts: [] });
    expect(r.findings).toEqual([]);
    expect(r.perNode.get('a')?.[0]).toMatchObject({ status: 'error' });
    expect(r.perNode.get('a')?.[0].reason).toMatch(/invalid finding: id/);
  });

  it('cluster analyzers get every node that has their artifacts, and need minNodes', () => {
    const seen: string[][] = [];
    const cluster = defineAnalyzer({
      id: 'test.cluster',
      title: 't',
      description: 'd',
      scope: 'cluster',
      minNodes: 2,
      requires: ['sysctl'],
      analyze: ({ nodes }) => {
        seen.push(nodes.map((n) => n.node));
        return [{ severity: 'warning', title: 'x', message: 'm', evidence: [], remedy, nodes: nodes.map((n) => n.node) }];
      },
    });
    const one = runAnalyzers([cluster], [node('a', 'net.ipv4.ip_forward = 1\n'), node('b')], { requiredPorts: [] });
    expect(one.cluster[0]).toMatchObject({ status: 'not-run', reason: 'not run: needs at least 2 nodes with kernel parameters (sysctl -a, /proc/sys, sysctl.json); the bundle has 1' });
    const two = runAnalyzers([cluster], [node('a', 'net.ipv4.ip_forward = 1\n'), node('b', 'net.ipv4.ip_forward = 0\n'), node('c')], { requiredPorts: [] });
    expect(seen).toEqual([['a', 'b']]);
    expect(two.findings[0]).toMatchObject({ nodes: ['a', 'b'] });
  });

  it('a cluster analyzer that requires nothing says only how many nodes it needs', () => {
    const cluster = defineAnalyzer({
      id: 'test.any-nodes',
      title: 't',
      description: 'd',
      scope: 'cluster',
      minNodes: 2,
      requires: [],
      optional: ['sysctl'],
      analyze: () => [],
    });
    const r = runAnalyzers([cluster], [node('a')], { requiredPorts: [] });
    expect(r.cluster[0]).toMatchObject({ status: 'not-run', reason: 'not run: needs at least 2 nodes; the bundle has 1' });
  });
});
