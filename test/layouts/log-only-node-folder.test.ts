/**
 * A hand-made bundle with one folder per node where one folder holds only a daemon's own log
 * (flannel-io/flannel#1473 as the reporter pasted it: node1/ flanneld's log, node2/ `ip link show
 * flannel.1`): two nodes, so flannel.vtep-mac-stale compares node1's programmed MAC with node2's
 * device (R22 case 04). One host's files sorted by kind (logs/, network/) stay one node.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/engine/analyze.js';
import { makeTarGz, writeTmp } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const DIR = projectPath('test/fixtures/h65/1473');
const files = (prefix: string, rename?: (node: string) => string) =>
  readdirSync(DIR).flatMap((node) => readdirSync(join(DIR, node)).map((f) => ({ name: `${prefix}/${rename ? rename(node) : node}/${f}`, content: readFileSync(join(DIR, node, f), 'utf8') })));

describe('a node folder holding only its log', () => {
  it('is a node beside a folder of command output: the stale VTEP MAC is found', async () => {
    const report = await analyze([writeTmp('log-node.tgz', await makeTarGz(files('flannel-1473')))]);
    const b = report.bundles[0];
    expect(b.nodes.map((n) => n.name).sort()).toEqual(['node1', 'node2']);
    const f = b.findings.find((x) => x.id === 'flannel.vtep-mac-stale');
    expect(f?.severity).toBe('warning');
    expect(f?.evidence.map((e) => e.file)).toEqual(expect.arrayContaining([expect.stringMatching(/node1\/kube-flannel\.log$/), expect.stringMatching(/node2\//)]));
  });

  it('folders named for kinds of output are one host', async () => {
    const report = await analyze([writeTmp('kind-folders.tgz', await makeTarGz(files('host-a', (n) => (n === 'node1' ? 'logs' : 'network'))))]);
    expect(report.bundles[0].nodes).toHaveLength(1);
  });
});
