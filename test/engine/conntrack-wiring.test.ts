/**
 * conntrack's counters reach the analyzers through the layouts: a hand-made bundle's `conntrack-S.txt`
 * (kubernetes#56903's verbatim negative: insert_failed 0) and sos' `proc/net/stat/nf_conntrack` (real, from a
 * namespace whose table was filled: test/fixtures/conntrack/SOURCES.md) are read as conntrackStats.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const fx = (name: string) => readFileSync(projectPath('test', 'fixtures', 'conntrack', name), 'utf8');

describe('conntrack statistics in bundles', () => {
  it('kubernetes#56903: conntrack-S.txt read, insert_failed 0 rules the race out in the coverage, no finding', async () => {
    const report = await analyzeBundle(writeFolder({ 'conntrack-S.txt': fx('k8s56903-conntrack-S-1.4.4.txt'), 'app.log': fx('k8s56903-app.log') }, 'conntrack-56903'));
    expect(report.findings.filter((f) => f.id.startsWith('conntrack.'))).toEqual([]);
    expect(JSON.stringify(report.coverage)).toMatch(/insert_failed is 0 in conntrack-S\.txt/);
  });

  it("sos' proc/net/stat/nf_conntrack with the count at the limit: conntrack.table-full", async () => {
    const report = await analyzeBundle(
      writeFolder(
        {
          'sos_commands/kernel/sysctl_-a': fx('sysctl-netns-table-full.txt'),
          'proc/net/stat/nf_conntrack': fx('proc-net-stat-nf_conntrack-6.18-table-full.txt'),
          'sos_commands/host/hostname': 'node-7\n',
          'version.txt': 'sosreport: 4.5.6\n',
        },
        'conntrack-sos-full',
      ),
    );
    expect(report.layout).toBe('sosreport');
    const f = report.findings.find((x) => x.id === 'conntrack.table-full');
    expect(f?.severity).toBe('critical');
    expect(f?.evidence.some((e) => e.file === 'proc/net/stat/nf_conntrack')).toBe(true);
  });
});
