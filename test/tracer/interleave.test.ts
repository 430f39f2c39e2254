/**
 * iptables' tables and native nftables tables on the same hook decide in priority order, in one
 * walk (no namespaces needed: the fixtures were made with the real iptables-nft-restore and
 * `nft -f` in a namespace, then listed). inet early (filter - 10) drops 5432 and 6379 before
 * iptables' filter INPUT (0) rejects 5432; inet late (filter + 10) rejects 80 from br0 and 9000,
 * after iptables; iptables' nat PREROUTING DNATs 8081 to 80 before any of them.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { mergeRulesets, trace, type Packet } from '../../src/netfilter/trace.js';
import { parseNftText } from '../../src/nft/parse-text.js';
import { nftExtraChains } from '../../src/nft/trace.js';
import { projectPath } from '../helpers/shared.js';

const fx = (f: string) => readFileSync(projectPath('test/fixtures/nft/interleave', f), 'utf8');
const tables = mergeRulesets([parseIptablesSave(fx('iptables-save'), 'iptables-save')]);
const nft = parseNftText(fx('nft_list_ruleset'), 'nft_list_ruleset');
const ctx = { localAddresses: ['10.99.0.1'], extraChains: nftExtraChains([nft]) };
const to = (dport: number): Packet => ({ src: '10.99.0.2', dst: '10.99.0.1', protocol: 'tcp', dport, sport: 40000, inInterface: 'br0', state: 'new', mark: 0 });

describe('one walk over iptables and native nftables chains', () => {
  it('the iptables-nft tables in the nft listing are not walked twice', () => {
    expect(nft.tables.filter((t) => t.iptablesCompat).map((t) => `${t.family} ${t.name}`).sort()).toEqual(['ip filter', 'ip nat']);
  });

  it('a native chain at a lower priority decides before iptables (5432: dropped by inet early, not rejected by INPUT)', () => {
    const r = trace(tables, 'input', to(5432), ctx);
    expect(r.verdict).toEqual({ kind: 'DROP' });
    expect(r.decidedBy).toMatchObject({ table: 'inet early', chain: 'input', num: 1, nft: { family: 'inet', table: 'early' }, file: 'nft_list_ruleset', line: 37 });
  });

  it('iptables decides before a native chain at a higher priority (9000: dropped by INPUT, not rejected by inet late)', () => {
    const r = trace(tables, 'input', to(9000), ctx);
    expect(r.verdict).toEqual({ kind: 'DROP' });
    expect(r.decidedBy).toMatchObject({ table: 'filter', chain: 'INPUT', num: 2 });
    expect(r.decidedBy?.nft).toBeUndefined();
  });

  it('what iptables accepts, a later native chain can still reject (80 from br0, with its reject type)', () => {
    const r = trace(tables, 'input', to(80), ctx);
    expect(r.verdict).toEqual({ kind: 'REJECT', with: 'icmpx admin-prohibited' });
    expect(r.decidedBy).toMatchObject({ table: 'inet late', num: 1 });
    expect(trace(tables, 'input', { ...to(80), inInterface: 'eth0' }, ctx).verdict).toEqual({ kind: 'ACCEPT' });
  });

  it("the native chains see iptables' DNAT: 8081 becomes 80 in nat PREROUTING, then inet late rejects it", () => {
    const r = trace(tables, 'input', to(8081), ctx);
    expect(r.packet).toMatchObject({ dport: 80, dnat: true });
    expect(r.steps.map((s) => `${s.table}/${s.chain}#${s.num}`)).toEqual(['nat/PREROUTING#1', 'inet late/input#1']);
    expect(r.verdict.kind).toBe('REJECT');
  });

  it('a port nothing blocks is accepted by every table', () => {
    expect(trace(tables, 'input', to(22), ctx).verdict).toEqual({ kind: 'ACCEPT' });
  });
});
