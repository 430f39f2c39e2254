/**
 * iptables-nft's "# Table `nat' contains incompatible base-chains, use 'nft' tool to list them." (iptables 1.8.8+,
 * netfilter-devel "[iptables PATCH 2/4] nft: Check base-chain compatibility when adding to cache", Phil Sutter, 2021):
 * printed ABOVE a table iptables lists with its own chains only, leaving out base chains written with nft. Not the older
 * "# Table `nat' is incompatible, use 'nft' tool." printed IN PLACE of a table.
 * Fixtures: test/fixtures/h77-nft-admin (reviewer R25 case 31: real output of a host running Docker with "iptables": false
 * and the admin's own masquerade in a base chain of table ip nat, iptables v1.8.9 (nf_tables)); test/fixtures/h77-netns
 * (real iptables v1.8.9 / nft v1.0.6 output from a namespace, see its README.md).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import chainMissing from '../../analyzers/iptables-docker-chain-missing.js';
import masqMissing from '../../analyzers/iptables-docker-masquerade-missing.js';
import nativeRule from '../../analyzers/nft-native-rule-in-iptables-table.js';
import { analyzeBundle, loadBundle } from '../../src/engine/analyze.js';
import { incompatibleKind, parseIptablesSave, parseIptablesSpec, rulesetsOf } from '../../src/netfilter/save-format.js';
import { parseIptablesList } from '../../src/netfilter/list-format.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const ADMIN = (f: string) => readFileSync(projectPath('test/fixtures/h77-nft-admin', f), 'utf8');
const NS = (f: string) => readFileSync(projectPath('test/fixtures/h77-netns', f), 'utf8');
const MARK = "# Table `nat' contains incompatible base-chains, use 'nft' tool to list them.";

/** the R25 troubleshoot copy: iptables-save and ip addr (no nft listing, no daemon.json) */
function admin(extra: Record<string, string> = {}, save = ADMIN('iptables-save.txt')): Record<string, string> {
  return { 'iptables-save.txt': save, 'ip-a.txt': ADMIN('ip-addr.txt'), 'ip-route.txt': ADMIN('ip-route.txt'), 'iptables-V.txt': ADMIN('iptables-version.txt'), ...extra };
}

async function run(a: typeof chainMissing, files: Record<string, string>, name: string) {
  const b = await loadBundle(writeFolder(files, name));
  const notes: string[] = [];
  const found = a.scope === 'node' ? await a.analyze({ node: 'nftonly', artifacts: b.nodes[0].artifacts as never, options: { requiredPorts: [] }, partly: (w: string) => notes.push(w) }) : [];
  return { found, notes };
}

describe('the marker is recorded per table, with its line', () => {
  it('iptables-save: the line above the header, kind base-chains', () => {
    expect(ADMIN('iptables-save.txt').split('\n')[0]).toBe(MARK);
    const rs = parseIptablesSave(ADMIN('iptables-save.txt'), 'iptables-save.txt');
    expect(rs.incompatibleTables).toHaveLength(1);
    expect(rs.incompatibleTables![0]).toMatchObject({ table: 'nat', ref: { file: 'iptables-save.txt', line: 1 } });
    expect(incompatibleKind(rs.incompatibleTables![0])).toBe('base-chains');
    expect(Object.keys(rs.tables)).toEqual(['nat']);
  });

  it('iptables -t nat -nvL and iptables -t nat -S: the same first line; the listing is read as the nat table', () => {
    for (const rs of [parseIptablesList(NS('list-basechain.txt'), 'list.txt'), parseIptablesSpec(NS('spec-basechain.txt'), 'spec.txt')]) {
      expect(rs.incompatibleTables?.map((t) => [t.table, t.ref.line, incompatibleKind(t)])).toEqual([['nat', 1, 'base-chains']]);
      expect(rs.tables.nat?.chains.DOCKER).toBeDefined();
    }
  });

  it('iptables-save then ip6tables-save in one file: each marker goes to the family whose header follows it', () => {
    const v4 = NS('save-basechain.txt');
    const v6 = v4.replace(/iptables-save v/g, 'ip6tables-save v').replace(/172\.17\.0\.0\/16/g, 'fd00:1::/64');
    const rs = rulesetsOf(parseIptablesSave(`${v4}${v6}`, 'both.txt'));
    expect(rs.map((r) => [r.family, r.incompatibleTables?.map((t) => t.ref.line)])).toEqual([
      ['ipv4', [1]],
      ['ipv6', [v4.split('\n').length]],
    ]);
  });

  it('a whole table prints no marker: nothing recorded', () => {
    expect(parseIptablesSave(NS('save-docker-whole.txt'), 'x.txt').incompatibleTables).toBeUndefined();
  });
});

describe('R25 case 31: Docker with iptables off, NAT in nft base chains of table ip nat, only iptables-save in the bundle', () => {
  it('no MASQUERADE finding: ran in part, saying the nat table holds base chains iptables cannot show', async () => {
    const { found, notes } = await run(masqMissing, admin(), 'h77-admin-masq');
    expect(found).toEqual([]);
    expect(notes.join('\n')).toMatch(/172\.17\.0\.0\/16 \(docker0\) was not judged.*contains incompatible base-chains.*iptables-save\.txt:1.*nft list ruleset/);
  });

  it("no Docker-chain finding: ran in part, the nat table not judged", async () => {
    const { found, notes } = await run(chainMissing, admin(), 'h77-admin-chains');
    expect(found.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(notes.join('\n')).toMatch(/iptables nat table not judged \(no DOCKER chain in the nat table\).*iptables-save\.txt:1.*nft list ruleset/);
  });

  it('nft-native-rule-in-iptables-table: information worded for this line (above the table, not in place of it)', async () => {
    const { found } = await run(nativeRule, admin(), 'h77-admin-native');
    expect(found.map((f) => f.severity)).toEqual(['info']);
    expect(found[0].message).toMatch(/printed "contains incompatible base-chains" above table ip nat \(iptables-save\.txt:1\)/);
    expect(found[0].message).not.toMatch(/in place of/);
  });

  it('with the nft listing in the bundle, it is read: the admin masquerade covers docker0, no note, no info', async () => {
    const files = admin({ 'nft-list-ruleset.txt': ADMIN('nft-list-ruleset.alt') });
    const m = await run(masqMissing, files, 'h77-admin-nft-masq');
    expect(m.found).toEqual([]);
    expect(m.notes.join('\n')).not.toMatch(/incompatible base-chains/);
    const c = await run(chainMissing, files, 'h77-admin-nft-chains');
    expect(c.notes.join('\n')).not.toMatch(/incompatible base-chains/);
    expect((await run(nativeRule, files, 'h77-admin-nft-native')).found).toEqual([]);
  });
});

describe('healthy and really broken Docker hosts', () => {
  it("Docker's nat rules whole, with or without a foreign base chain beside them: no finding", async () => {
    for (const save of [NS('save-docker-whole.txt'), NS('save-docker-basechain.txt')]) {
      expect((await run(masqMissing, admin({}, save), 'h77-healthy-masq')).found).toEqual([]);
      expect((await run(chainMissing, admin({}, save), 'h77-healthy-chains')).found.filter((f) => f.severity !== 'info')).toEqual([]);
    }
  });

  it("a whole nat table (no marker) without Docker's chains and MASQUERADE: both criticals still fire", async () => {
    const m = await run(masqMissing, admin({}, NS('save-nat-empty.txt')), 'h77-broken-masq');
    expect(m.found.map((f) => f.severity)).toEqual(['critical']);
    const c = await run(chainMissing, admin({}, NS('save-nat-empty.txt')), 'h77-broken-chains');
    expect(c.found.map((f) => f.severity)).toEqual(['critical']);
    expect((await run(nativeRule, admin({}, NS('save-nat-empty.txt')), 'h77-broken-native')).found).toEqual([]);
  });
});

describe("an iptables-save holding only the older 'is incompatible' line (real iptables-save 1.8.9, exit 0)", () => {
  it('is read, not skipped: the marked table is recorded, and the table-not-shown finding names it', async () => {
    const text = NS('save-native.txt');
    expect(text.trim()).toBe("# Table `nat' is incompatible, use 'nft' tool.");
    const rs = rulesetsOf(parseIptablesSave(text, 'iptables-save.txt'));
    expect(rs.flatMap((r) => (r.incompatibleTables ?? []).map((t) => [t.table, t.ref.line, incompatibleKind(t)]))).toEqual([['nat', 1, 'replaced']]);
    // given alone the file holds no table, so it is read as the log line it is: the warning cites it
    const r = await analyzeBundle(writeFolder({ 'iptables-save.txt': text }, 'h77-native-only'));
    expect(r.findings.map((f) => [f.severity, f.id, f.evidence[0] && `${f.evidence[0].file}:${f.evidence[0].line}`])).toEqual([['warning', 'log.nf-tables-incompatible', 'iptables-save.txt:1']]);
  });
});
