/**
 * iptables-nft-save prints `# Table `nat' is incompatible, use 'nft' tool.` in place of a table holding rules written
 * with nft that it cannot express, and exits 0 (reproduced with iptables 1.8.9 in a namespace:
 * test/fixtures/nft-native/README.md). The line was dropped as a comment: the dump simply had no nat table. It is
 * read now, and without an nft listing to name the rules, nftables.native-rule-in-iptables-table says so itself.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const fx = (p: string) => readFileSync(projectPath(`test/fixtures/${p}`), 'utf8');
const ID = 'nftables.native-rule-in-iptables-table';

describe("iptables-nft-save's incompatible-table line", () => {
  it('the parser keeps it, with its line', () => {
    const rs = parseIptablesSave(fx('nft-native/iptables-nft-save.native-redirect.txt'), 'iptables-save.txt');
    expect(rs.incompatibleTables).toEqual([{ table: 'nat', ref: { file: 'iptables-save.txt', line: 19 } }]);
    expect(rs.tables.nat).toBeUndefined();
  });

  it("no nft listing: a finding of its own, critical where Docker's chains show an agent using iptables' tables", async () => {
    const report = await analyzeBundle(writeFolder({ 'iptables-save.txt': fx('nft-native/iptables-nft-save.native-redirect.txt') }, 'nft-native-save-line'));
    const f = report.findings.find((x) => x.id === ID)!;
    expect(f.severity).toBe('critical');
    expect(f.evidence[0]).toMatchObject({ file: 'iptables-save.txt', line: 19 });
    expect(f.message).toMatch(/table ip nat/);
    expect(f.remedy.commands).toEqual(["nft -a list table ip nat   # the rules with their handles: the ones without a counter (or with a named counter) are nft's own"]);
  });

  it('a save without the line: nothing', async () => {
    const report = await analyzeBundle(writeFolder({ 'iptables-save.txt': fx('swarm-ingress-reload/iptables-save.txt') }, 'nft-native-save-healthy'));
    expect(report.findings.filter((x) => x.id === ID)).toEqual([]);
  });
});
