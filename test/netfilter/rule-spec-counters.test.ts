/**
 * A rule's spec for `iptables -D CHAIN <spec>` from dumps written with counters: `iptables -S -v` puts
 * `-c PKTS BYTES` among the matches, `iptables-save -c` a `[pkts:bytes]` prefix. `-D` with `-c 0 0` in
 * it deletes nothing on a rule whose counters moved, so neither may reach a remedy. Both helpers that
 * build a spec (src/netfilter/commands.ts for save/-S dumps, analyzers/lib/container-host.ts for any
 * format) take the counters off. Fixtures: real iptables 1.8.9 (nf_tables) output, two REJECT rules
 * added with `iptables -A` in a namespace, dumped with `iptables -S -v` and `iptables-save -c`.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ruleSpec as anyFormatSpec } from '../../analyzers/lib/container-host.js';
import { deleteRuleCommand, ruleSpec } from '../../src/netfilter/commands.js';
import { parseIptablesSave, parseIptablesSpec } from '../../src/netfilter/save-format.js';
import { projectPath } from '../helpers/shared.js';

const read = (f: string) => readFileSync(projectPath('test/fixtures/netfilter/spec-counters', f), 'utf8');
const SPEC = '-p tcp -m tcp --dport 5432 -j REJECT --reject-with icmp-port-unreachable';

describe('rule specs from dumps with counters', () => {
  it('iptables -S -v: the -c PKTS BYTES between the matches and the target is not part of the spec', () => {
    const rs = parseIptablesSpec(read('iptables-S-v.txt'), 'iptables-S-v.txt');
    const rules = rs.tables.filter.chains.INPUT.rules;
    expect(rules).toHaveLength(2);
    expect(rules[0].text).toContain('-c 0 0');
    expect(ruleSpec(rules[0], rs)).toBe(SPEC);
    expect(anyFormatSpec(rules[0])).toBe(SPEC);
    expect(deleteRuleCommand(rules[1], rs).command).toBe(`iptables -D INPUT ${SPEC}`);
  });

  it('iptables-save -c: the [pkts:bytes] prefix is not part of the spec either', () => {
    const rs = parseIptablesSave(read('iptables-save-c.txt'), 'iptables-save-c.txt');
    const rules = rs.tables.filter.chains.INPUT.rules;
    expect(rules.map((r) => r.counters)).toEqual([{ packets: 0, bytes: 0 }, { packets: 0, bytes: 0 }]);
    expect(ruleSpec(rules[0], rs)).toBe(SPEC);
    expect(anyFormatSpec(rules[1])).toBe(SPEC);
  });
});
