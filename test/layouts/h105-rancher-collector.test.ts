/**
 * H105: Rancher's log collector (rancherlabs/support-tools collection/rancher/v2.x/logs-collector/rancher2_logs_collector.sh)
 * writes one host's files under `<hostname>-<YYYY-MM-DD_HH_MM_SS>/` (networking/iptablessave, systeminfo/sysctla, k3s/config.yaml,
 * ...). Read as a hand-made bundle its folders became three nodes ("networking", "k3s-node-a1", "k3s": reviewer R33, h15).
 * Now one node named by systeminfo/hostname, each file read as what the script's command prints.
 * Fixture: test/fixtures/h105-rancher-collector (real output, README there).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readBundle } from '../../src/bundle/read.js';
import { isWantedPath, locate } from '../../src/layouts/index.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const RUN = 'k3s-node-a1-2026-12-04_13_52_01';
const runDir = projectPath(`test/fixtures/h105-rancher-collector/${RUN}`);

function runFiles(dir = runDir): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) Object.assign(out, runFiles(full));
    else out[relative(runDir, full)] = readFileSync(full, 'utf8');
  }
  return out;
}

// what analyzeBundle keeps: every file under 1 MiB, bigger ones the layouts name
const read = (dir: string) => readBundle(dir, { keep: (i) => i.size < 1 << 20 || isWantedPath(i.path) });

describe('Rancher log collector layout (h105)', () => {
  it('the run folder inside a ticket folder is one node, named by systeminfo/hostname', async () => {
    const files = Object.fromEntries(Object.entries(runFiles()).map(([p, t]) => [`${RUN}/${p}`, t]));
    const l = locate(await read(writeFolder(files, 'ticket-4711')), 'ticket-4711');
    expect(l.nodes.map((n) => n.name)).toEqual(['k3s-node-a1']);
    expect(l.layout).toBe('rancher');
    const [n] = l.nodes;
    expect(n.root).toBe(RUN);
    expect(n.nameFrom).toBe(`${RUN}/systeminfo/hostname`);
    const formats = Object.fromEntries(n.files.map((f) => [f.path.slice(RUN.length + 1), f.format]));
    expect(formats).toEqual({
      'k3s/config.yaml': 'k3s-config',
      'networking/ipaddrshow': 'ip-addr',
      'networking/iproute': 'routes',
      'networking/iprule': 'ip-rule',
      'networking/ipv6rule': 'ip-rule',
      // iptables-save is there: the nat listing is not read beside it
      'networking/iptablessave': 'iptables-save',
      'networking/nft_ruleset': 'nft-text',
      'systeminfo/sysctla': 'sysctl-text',
    });
    // ip -6 addr show is a part of ip addr show: not read twice
    expect(n.files.some((f) => f.path.endsWith('ipv6addrshow'))).toBe(false);
    expect(n.files.find((f) => f.path.endsWith('iprule'))!.hint).toEqual({ family: 'ipv4' });
    expect(n.hints?.distribution).toMatchObject({ name: 'k3s', unit: 'k3s' });
  });

  it('the run folder given itself: the same node; without hostname files, kernel.hostname names it', async () => {
    const files = runFiles();
    delete files['systeminfo/hostname'];
    const l = locate(await read(writeFolder(files, RUN)), RUN);
    expect(l.nodes).toHaveLength(1);
    expect(l.nodes[0].name).toBe('k3s-node-a1');
    expect(l.nodes[0].nameFrom).toBe('systeminfo/sysctla (kernel.hostname)');
  });

  it('without iptables-save, the listings are read (the script runs iptables -n -v -L per table)', async () => {
    const files = runFiles();
    delete files['networking/iptablessave'];
    const l = locate(await read(writeFolder(files, RUN)), RUN);
    const nat = l.nodes[0].files.find((f) => f.path.endsWith('iptablesnat'))!;
    expect(nat).toMatchObject({ format: 'iptables-list', hint: { family: 'ipv4', table: 'nat' } });
  });

  it('two runs (two hosts) in one ticket: two nodes', async () => {
    const files: Record<string, string> = {};
    for (const [p, t] of Object.entries(runFiles())) {
      files[`${RUN}/${p}`] = t;
      files[`k3s-node-b2-2026-12-04_14_01_09/${p}`] = p === 'systeminfo/hostname' ? 'k3s-node-b2\n' : t;
    }
    const l = locate(await read(writeFolder(files, 'two-hosts')), 'two-hosts');
    expect(l.nodes.map((n) => n.name).sort()).toEqual(['k3s-node-a1', 'k3s-node-b2']);
  });

  it('not a Rancher run: a hand-made folder with networking/ and a k3s/config.yaml stays a hand-made bundle', async () => {
    const files = runFiles();
    const l = locate(
      await read(writeFolder({ 'networking/iptables-save.txt': files['networking/iptablessave'], 'k3s/config.yaml': files['k3s/config.yaml'] }, 'case-99')),
      'case-99',
    );
    expect(l.layout).toBe('flat');
    expect(l.nodes.some((n) => n.files.some((f) => f.path === 'networking/iptables-save.txt' && f.format === 'iptables-save'))).toBe(true);
  });
});
