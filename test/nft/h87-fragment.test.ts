/**
 * src/nft/fragment.ts: an `nft list ruleset` chain pasted without its table, wrapped so the text parser reads it.
 *
 * Real text:
 * - tailscale/tailscale#12070 (https://github.com/tailscale/tailscale/issues/12070): the ts-forward chain pasted
 *   alone (test/fixtures/h87-tailscale/r27-12070/nft-list-ruleset.txt, verbatim);
 * - test/fixtures/h87-tailscale/stateful-docker-nft/nft_list_ruleset: `nft list ruleset 2>&1` of tailscale's and
 *   Docker's rules loaded with iptables-nft in a namespace (make-fixtures.sh); its table lines are cut out here
 *   to make the fragments a paste of several chains is.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sniffNftChainFragment, UNKNOWN_TABLE, wrapNftChainFragment } from '../../src/nft/fragment.js';
import { parseNftText, sniffNftText } from '../../src/nft/parse-text.js';
import { projectPath } from '../helpers/shared.js';

const fixture = (p: string) => readFileSync(projectPath('test/fixtures/h87-tailscale', p), 'utf8');
const R27 = fixture('r27-12070/nft-list-ruleset.txt');
const FULL = fixture('stateful-docker-nft/nft_list_ruleset');

/** The full listing with its `table ... {` lines and their closing braces blanked (line numbers kept). */
function withoutTables(text: string): string {
  return text
    .split('\n')
    .map((l) => (/^table\s/.test(l) || l === '}' ? '' : l))
    .join('\n');
}

describe('the ts-forward chain of tailscale/tailscale#12070, pasted without its table', () => {
  it('is a chain fragment, which the nft sniffer takes as a listing', () => {
    expect(sniffNftChainFragment(R27)).toBe(true);
    expect(sniffNftText(R27)).toBe(true);
  });

  it('parseNftText wraps it itself: the chain read in table ip filter, the warning says it was listed without its table', () => {
    const rs = parseNftText(R27, 'nft-list-ruleset.txt');
    expect(rs.tables.map((t) => `${t.family} ${t.name}: ${t.chains.map((c) => `${c.name} ${c.rules.length}`).join(', ')}`)).toEqual(['ip filter: ts-forward 5']);
    expect(rs.warnings.map((w) => w.message)).toEqual(['chain ts-forward is listed without its table: read as in table ip filter (tailscale writes ts-forward in table ip filter)']);
    expect(rs.chosenTables).toBeDefined();
    // `ct state ! related,established`: the `!` is a negation
    expect(rs.tables[0].chains[0].rules[3].exprs[1]).toMatchObject({ kind: 'match', key: 'ct state', op: '!=' });
  });

  it('wrapped in table ip filter (where tailscale writes ts-forward), every pasted line kept at its number', () => {
    const w = wrapNftChainFragment(R27)!;
    expect(w.tables).toEqual([{ family: 'ip', name: 'filter', chain: 'ts-forward', line: 1, reason: 'tailscale writes ts-forward in table ip filter' }]);
    const orig = R27.split('\n');
    const out = w.text.split('\n');
    expect(out[0]).toBe('table ip filter { chain ts-forward {');
    expect(out.slice(1, orig.length)).toEqual(orig.slice(1));
  });

  it('the parser reads the wrapped text: the chain at line 1, its five rules at lines 2-6, the stateful drop at 5 with its counters', () => {
    const rs = parseNftText(wrapNftChainFragment(R27)!.text, 'nft-list-ruleset.txt');
    expect(rs.warnings).toEqual([]);
    expect(rs.tables).toHaveLength(1);
    const [t] = rs.tables;
    expect(t).toMatchObject({ family: 'ip', name: 'filter' });
    const [c] = t.chains;
    expect(c.name).toBe('ts-forward');
    expect(c.ref.line).toBe(1);
    expect(c.rules.map((r) => r.ref.line)).toEqual([2, 3, 4, 5, 6]);
    expect(c.rules[3]).toMatchObject({ text: 'oifname "tailscale0" ct state ! related,established counter packets 550 bytes 46102 drop', counter: { packets: 550, bytes: 46102 }, verdict: { kind: 'drop' } });
  });

  it('cut before its closing brace: wrapped, and the parser still says the chain is not closed', () => {
    const cut = R27.split('\n').slice(0, 5).join('\n');
    const rs = parseNftText(wrapNftChainFragment(cut)!.text, 'cut.txt');
    expect(rs.tables[0].chains[0].rules).toHaveLength(4);
    expect(rs.warnings.map((w) => w.message).join('\n')).toMatch(/chain ts-forward is not closed/);
  });
});

describe('several chains of a real listing without their tables', () => {
  const text = withoutTables(FULL);

  it('each chain goes back to the table it was listed in (by its base chain line, tailscale\'s names, Docker\'s content)', () => {
    const orig = parseNftText(FULL, 'nft_list_ruleset');
    const w = wrapNftChainFragment(text)!;
    expect(w).toBeDefined();
    const rs = parseNftText(w.text, 'nft_list_ruleset');
    const where = (r: typeof rs) => r.tables.flatMap((t) => t.chains.map((c) => `${t.family} ${t.name} ${c.name} @${c.ref.line} ${c.rules.map((x) => x.ref.line).join(',')}`)).sort();
    expect(where(rs)).toEqual(where(orig));
    expect(w.tables.find((t) => t.chain === 'ts-postrouting')).toMatchObject({ name: 'nat', reason: 'tailscale writes ts-postrouting in table ip nat' });
    expect(w.tables.find((t) => t.chain === 'POSTROUTING')).toMatchObject({ name: 'nat', reason: 'its base chain line says type nat hook postrouting' });
  });

  it('a chain nothing tells the table of: put in a table named so', () => {
    const w = wrapNftChainFragment('chain my-own {\n\tip saddr 10.1.0.0/16 counter packets 0 bytes 0 accept\n}\n')!;
    expect(w.tables[0]).toMatchObject({ family: 'ip', name: UNKNOWN_TABLE, chain: 'my-own' });
    const rs = parseNftText(w.text, 'x.txt');
    expect(rs.tables[0].name).toBe('a chain without its table');
    expect(rs.tables[0].chains[0].rules[0].ref.line).toBe(2);
  });
});

describe('text that is no chain fragment is left alone', () => {
  it('a whole listing (it has its tables)', () => {
    expect(sniffNftChainFragment(FULL)).toBe(false);
    expect(wrapNftChainFragment(FULL)).toBeUndefined();
  });

  it("iptables -L's `Chain INPUT (policy ACCEPT)` and iptables-save", () => {
    const list = 'Chain FORWARD (policy DROP 0 packets, 0 bytes)\n pkts bytes target     prot opt in     out     source               destination\n';
    expect(wrapNftChainFragment(list)).toBeUndefined();
    expect(wrapNftChainFragment(fixture('stateful-docker/iptables-save'))).toBeUndefined();
  });

  it('prose that starts with the word chain', () => {
    expect(sniffNftChainFragment('chain of events {\nwe upgraded and it broke\n}\n')).toBe(false);
  });
});
