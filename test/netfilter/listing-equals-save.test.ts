/**
 * The key proof that every dump format maps to ONE rule model: the same rules, loaded by the real
 * iptables binaries (legacy and nf_tables) and dumped as iptables-save, `iptables -S -v` and four
 * kinds of `iptables -L` listing (scripts/make-iptables-fixtures.sh), must parse to the same
 * chains, policies and rules, field by field, and the same counters.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseIptablesList } from '../../src/netfilter/list-format.js';
import { parseIptablesVersion } from '../../src/netfilter/iptables-version.js';
import { allRules, findChain, type Counters, type Ruleset } from '../../src/netfilter/rules.js';
import { parseIptablesSave, parseIptablesSpec, sniffIptables } from '../../src/netfilter/save-format.js';
import { canMakeNetns, projectPath } from '../helpers/shared.js';
import { fixture, fixtureDir, rulesetView } from './model-view.js';

const SETS: [string, string[]][] = [
  ['docker-kube-flannel', ['raw', 'mangle', 'nat', 'filter']],
  ['host-firewall', ['raw', 'mangle', 'nat', 'filter']],
  ['docker-ipv6', ['nat', 'filter']],
];

const only = (rs: Ruleset, table: string) => ({ [table]: rulesetView(rs)[table] });

/** Rounded listing counters: iptables rounds to the nearest unit of its K/M/G suffix. */
function expectRoundedFrom(listed: Counters, exact: Counters, where: string) {
  for (const k of ['packets', 'bytes'] as const) {
    const unit = listed[k] >= 1e9 ? 1e9 : listed[k] >= 1e6 ? 1e6 : listed[k] >= 1e3 ? 1e3 : 1;
    if (!listed.approximate) expect(listed[k], where).toBe(exact[k]);
    else expect(Math.abs(listed[k] - exact[k]), `${where} ${k}`).toBeLessThan(unit);
  }
}

for (const backend of ['legacy', 'nft'] as const) {
  describe(`${backend} back end`, () => {
    it('iptables -V and the save header name the back end and version', () => {
      const [v] = parseIptablesVersion(fixture(backend, 'host-firewall', 'iptables-V'), 'iptables-V');
      expect(v).toMatchObject({ version: '1.8.9', backend: backend === 'nft' ? 'nf_tables' : 'legacy', ref: { file: 'iptables-V', line: 1 } });
      const save = parseIptablesSave(fixture(backend, 'host-firewall', 'iptables-save'), 'iptables-save');
      expect(save).toMatchObject({ version: '1.8.9', backend: backend === 'nft' ? 'nf_tables' : 'legacy', family: 'ipv4', format: 'save' });
      expect(parseIptablesSave(fixture(backend, 'docker-ipv6', 'iptables-save'), 's').family).toBe('ipv6');
    });

    for (const [set, tables] of SETS) {
      describe(set, () => {
        const save = parseIptablesSave(fixture(backend, set, 'iptables-save'), 'iptables-save');
        const saveC = parseIptablesSave(fixture(backend, set, 'iptables-save_-c'), 'iptables-save_-c');

        it('iptables-save -c is the same model as iptables-save', () => {
          expect(rulesetView(saveC)).toEqual(rulesetView(save));
        });

        for (const table of tables) {
          it(`${table}: -L -n -v equals the save, every rule fully read`, () => {
            const list = parseIptablesList(fixture(backend, set, `iptables_-t_${table}_-nvL`), 'nvL', { table });
            expect(only(list, table)).toEqual(only(save, table));
            for (const r of allRules(list)) expect(r.incomplete, r.text).toBeUndefined();
          });

          it(`${table}: -L -n -v -x --line-numbers equals the save; rule numbers and exact counters as printed`, () => {
            const list = parseIptablesList(fixture(backend, set, `iptables_-t_${table}_-nvxL_--line-numbers`), 'nvxL', { table });
            expect(only(list, table)).toEqual(only(save, table));
            for (const c of Object.values(list.tables[table].chains)) {
              const saved = saveC.tables[table].chains[c.name];
              if (c.policyCounters) expect(c.policyCounters, c.name).toEqual({ packets: saved.policyCounters!.packets, bytes: saved.policyCounters!.bytes });
              c.rules.forEach((r, i) => {
                expect(r.num).toBe(Number(r.text.split(/\s+/)[0]));
                expect(r.counters, r.text).toEqual(saved.rules[i].counters);
              });
            }
          });

          it(`${table}: -L -n (no -v) equals the save except the interfaces it cannot show`, () => {
            const list = parseIptablesList(fixture(backend, set, `iptables_-t_${table}_-nL`), 'nL', { table });
            expect(rulesetView(list, false)[table]).toEqual(rulesetView(save, false)[table]);
            for (const r of allRules(list)) expect(r.incomplete).toEqual(['listing without -v: interfaces and counters not shown']);
          });

          it(`${table}: -L (names, not numbers) reads back to the same model`, () => {
            const list = parseIptablesList(fixture(backend, set, `iptables_-t_${table}_-L`), 'L', { table });
            expect(rulesetView(list, false)[table]).toEqual(rulesetView(save, false)[table]);
          });
        }

        it('-L -n -v: rounded counters are marked and within one unit of the exact ones', () => {
          for (const table of tables) {
            const list = parseIptablesList(fixture(backend, set, `iptables_-t_${table}_-nvL`), 'nvL', { table });
            for (const c of Object.values(list.tables[table].chains)) {
              const saved = saveC.tables[table].chains[c.name];
              if (c.policyCounters) expectRoundedFrom(c.policyCounters, saved.policyCounters!, `${table}/${c.name} policy`);
              c.rules.forEach((r, i) => expectRoundedFrom(r.counters!, saved.rules[i].counters!, r.text));
            }
          }
        });

        it('all tables in one file after "# iptables -t T" marker lines', () => {
          const list = parseIptablesList(fixture(backend, set, 'iptables_all-tables_-nvxL'), 'all');
          expect(Object.keys(list.tables)).toEqual(tables);
          expect(rulesetView(list)).toEqual(Object.fromEntries(tables.map((t) => [t, rulesetView(save)[t]])));
        });

        it('iptables -S -v equals the save of the filter table, counters included', () => {
          const spec = parseIptablesSpec(fixture(backend, set, 'iptables_-S_-v'), 'S');
          expect(spec.format).toBe('spec');
          expect(only(spec, 'filter')).toEqual(only(save, 'filter'));
          const specRules = allRules(spec);
          expect(specRules.map((r) => r.counters)).toEqual(saveC.tables.filter ? Object.values(saveC.tables.filter.chains).flatMap((c) => c.rules.map((r) => r.counters)) : []);
          expect(findChain(spec, 'filter', 'INPUT')!.policyCounters).toEqual(findChain(saveC, 'filter', 'INPUT')!.policyCounters);
        });
      });
    }

    it('real traffic shows: exact counters from -x, K and M suffixes without it', () => {
      const exact = parseIptablesList(fixture(backend, 'host-firewall', 'iptables_-t_filter_-nvxL_--line-numbers'), 'x', { table: 'filter' });
      const lo = findChain(exact, 'filter', 'INPUT')!.rules[2];
      // 2,000 datagrams of 60,028 bytes and 100,000 of 29 bytes over lo, all accepted by `-i lo -j ACCEPT`
      expect(lo).toMatchObject({ num: 3, target: 'ACCEPT', inInterface: { value: 'lo', negated: false }, counters: { packets: 102_000, bytes: 122_956_000 } });
      const rounded = parseIptablesList(fixture(backend, 'host-firewall', 'iptables_-t_filter_-nvL'), 'r', { table: 'filter' });
      expect(findChain(rounded, 'filter', 'INPUT')!.rules[2].counters).toEqual({ packets: 102_000, bytes: 123_000_000, approximate: true });
      expect(rounded.listingLimits).toEqual(['counters rounded (K/M/G); list with -x for exact values']);
      const save = parseIptablesSave(fixture(backend, 'host-firewall', 'iptables-save_-c'), 'c');
      expect(findChain(save, 'filter', 'INPUT')!.rules[2].counters).toEqual({ packets: 102_000, bytes: 122_956_000 });
      expect(findChain(save, 'filter', 'INPUT')!.rules[2].ref).toEqual({ file: 'c', line: findLine(fixture(backend, 'host-firewall', 'iptables-save_-c'), '-A INPUT -i lo -j ACCEPT') });
    });

    it('a hand-written restore file reaches the same model as what iptables-save makes of it', () => {
      const written = parseIptablesSave(fixture('restore-spellings.rules'), 'restore-spellings.rules', { origin: 'saved-config' });
      const saved = parseIptablesSave(fixture(backend, 'restore-spellings', 'iptables-save'), 'iptables-save');
      expect(written.origin).toBe('saved-config');
      expect(rulesetView(written)).toEqual(rulesetView(saved));
    });
  });
}

function findLine(text: string, needle: string): number {
  return text.split('\n').findIndex((l) => l.includes(needle)) + 1;
}

const hasPython = (() => {
  try {
    execFileSync('python3', ['-c', 'pass'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('the committed fixtures are what the installed iptables makes', () => {
  it.skipIf(!canMakeNetns() || !hasPython)('regenerated in throwaway namespaces, every file parses to the same model and counters', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bd-iptables-'));
    try {
      execFileSync('bash', [projectPath('scripts/make-iptables-fixtures.sh'), dir], { stdio: 'ignore', timeout: 50_000 });
      let compared = 0;
      for (const backend of readdirSync(dir))
        for (const set of readdirSync(join(dir, backend)))
          for (const f of readdirSync(join(dir, backend, set))) {
            const fresh = readFileSync(join(dir, backend, set, f), 'utf8');
            const committed = fixture(backend, set, f);
            if (f === 'iptables-V') {
              expect(parseIptablesVersion(fresh, f)[0].backend).toBe(parseIptablesVersion(committed, f)[0].backend);
              continue;
            }
            const kind = sniffIptables(committed);
            const parse = (t: string) => (kind === 'list' ? parseIptablesList(t, f) : kind === 'spec' ? parseIptablesSpec(t, f) : parseIptablesSave(t, f));
            const a = parse(fresh);
            const b = parse(committed);
            expect(rulesetView(a), `${backend}/${set}/${f}`).toEqual(rulesetView(b));
            expect(allRules(a).map((r) => r.counters), `${backend}/${set}/${f}`).toEqual(allRules(b).map((r) => r.counters));
            compared++;
          }
      expect(compared).toBe(fixtureCount());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function fixtureCount(): number {
  let n = 0;
  for (const backend of ['legacy', 'nft'])
    for (const set of readdirSync(fixtureDir(backend))) n += readdirSync(fixtureDir(backend, set)).filter((f) => f !== 'iptables-V').length;
  return n;
}
