/**
 * ruleSpec (analyzers/lib/container-host.ts) for `iptables -D CHAIN <spec>`: iptables compares the
 * matches in order, and a spec rebuilt from a listing with `-m comment` in the wrong place is a
 * "Bad rule". The model keeps the comment apart from the other matches, so a listed rule with a
 * comment and another match is named by its number instead (test/fixtures/netfilter/listing-comment-order).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ruleSpec } from '../../analyzers/lib/container-host.js';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { parseIptablesList } from '../../src/netfilter/list-format.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { projectPath } from '../helpers/shared.js';

const dir = 'test/fixtures/netfilter/listing-comment-order';
const read = (f: string) => readFileSync(projectPath(dir, f), 'utf8');

describe('ruleSpec of a rule read from an iptables -L listing', () => {
  for (const name of ['iptables_-t_filter_-nvL', 'iptables_-t_filter_-nvL_--line-numbers']) {
    const rs = parseIptablesList(read(name), name, { table: 'filter' });
    const forward = rs.tables.filter.chains.FORWARD.rules;

    it(`${name}: no spec for a rule with a comment and another match (its order is not known): the caller deletes by number`, () => {
      expect(forward[0].comment).toBe('PCI egress block');
      expect(ruleSpec(forward[0])).toBeUndefined();
      expect(ruleSpec(forward[2])).toBeUndefined();
    });

    it(`${name}: a spec where the order cannot be wrong (a comment alone, or no comment)`, () => {
      // `iptables -D FORWARD -i docker0 -m comment --comment "docker egress" -j ACCEPT` deletes rule 4 (checked on iptables-legacy)
      expect(ruleSpec(forward[3])).toBe('-i docker0 -m comment --comment "docker egress" -j ACCEPT');
      expect(ruleSpec(forward[4])).toBe('-o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT');
      expect(ruleSpec(forward[1])).toBe('-j DOCKER-USER');
    });
  }

  it('iptables-save keeps its own text, the comment where iptables put it', () => {
    const rs = parseIptablesSave(read('iptables-save'), 'iptables-save');
    expect(ruleSpec(rs.tables.filter.chains.FORWARD.rules[0])).toBe('-i docker0 -m comment --comment "PCI egress block" -m conntrack --ctstate NEW -j DROP');
  });
});

describe('iptables.forward-blocks-containers on a sosreport with listings: the removal names rule 1, not a wrong spec', () => {
  it('deletes the DROP with the comment by number', async () => {
    const r = await analyzeBundle(projectPath(dir, 'sosreport-docker-pci-block'));
    const found = r.findings.filter((f) => f.id === 'iptables.forward-blocks-containers');
    expect(found).toHaveLength(1);
    const cmds = found[0].remedy.commands;
    expect(cmds.some((c) => /-D FORWARD .*-m comment/.test(c))).toBe(false);
    expect(cmds.some((c) => /: iptables -D FORWARD 1$/.test(c))).toBe(true);
  });
});
