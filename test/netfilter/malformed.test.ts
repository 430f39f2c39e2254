/**
 * Bad input: every parser returns data (with warnings) or throws SkipFile / ParseError, nothing
 * else, and never hangs. Real dumps damaged the ways tickets damage them, plus garbage.
 */
import { describe, expect, it } from 'vitest';
import { ParseError, SkipFile } from '../../src/model/source.js';
import { parseIptablesVersion } from '../../src/netfilter/iptables-version.js';
import { parseIptablesList } from '../../src/netfilter/list-format.js';
import { findChain, type Ruleset } from '../../src/netfilter/rules.js';
import { parseIptablesSave, parseIptablesSpec, sniffIptables } from '../../src/netfilter/save-format.js';
import { fixture, rulesetView } from './model-view.js';

const PARSERS: [string, (text: string, file: string) => unknown][] = [
  ['save', parseIptablesSave],
  ['spec', parseIptablesSpec],
  ['list', parseIptablesList],
  ['list of a named chain', (t, f) => parseIptablesList(t, f, { chain: 'X' })],
  ['version', parseIptablesVersion],
];

/** Runs every parser; returns what each did: 'data', 'skip' or 'error' (any other throw fails the test). */
function outcomes(text: string): Record<string, 'data' | 'skip' | 'error'> {
  const out: Record<string, 'data' | 'skip' | 'error'> = {};
  for (const [name, parse] of PARSERS) {
    try {
      parse(text, 'bad');
      out[name] = 'data';
    } catch (err) {
      if (err instanceof SkipFile) out[name] = 'skip';
      else if (err instanceof ParseError) out[name] = 'error';
      else throw new Error(`${name} threw ${String(err)}`);
    }
  }
  expect(['save', 'spec', 'list', null]).toContain(sniffIptables(text.slice(0, 4096)));
  return out;
}

const allSkip = { save: 'skip', spec: 'skip', list: 'skip', 'list of a named chain': 'skip', version: 'skip' };

describe('garbage is skipped', () => {
  it('empty, blank, prose, binary', () => {
    expect(outcomes('')).toEqual(allSkip);
    expect(outcomes(' \n\t\n\r\n')).toEqual(allSkip);
    expect(outcomes('hello world\nthis is not a firewall\n')).toEqual(allSkip);
    const binary = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)).toString('latin1');
    expect(outcomes(binary)).toEqual(allSkip);
  });

  it('a 2 MB single line, alone or with no newline at all', () => {
    expect(outcomes('x'.repeat(2_000_000))).toEqual(allSkip);
    expect(outcomes('-A INPUT ' + '-j '.repeat(700_000))).toMatchObject({ save: 'skip', list: 'skip' });
  });

  it('a Chain line cut before its closing parenthesis is no listing', () => {
    expect(outcomes('Chain INPUT (policy ACCEPT 0 packets\n')).toEqual(allSkip);
  });
});

describe('damaged dumps keep what is readable, with warnings where it is not', () => {
  const save = fixture('legacy', 'host-firewall', 'iptables-save');

  it('a 2 MB line inside a dump is skipped with a warning at its line; the rules around it stay', () => {
    const lines = save.split('\n');
    const at = lines.findIndex((l) => l.startsWith('-A INPUT -i lo -j ACCEPT'));
    lines.splice(at, 0, '-A INPUT ' + 'a'.repeat(2_000_000));
    const rs = parseIptablesSave(lines.join('\n'), 'big');
    expect(rs.warnings).toEqual([{ file: 'big', line: at + 1, message: 'line of 2000009 characters skipped' }]);
    expect(findChain(rs, 'filter', 'INPUT')!.rules[2]).toMatchObject({ ref: { line: at + 2 }, inInterface: { value: 'lo', negated: false }, target: 'ACCEPT' });
  });

  it('CRLF line endings (a dump saved on Windows) give the same model', () => {
    expect(rulesetView(parseIptablesSave(save.replace(/\n/g, '\r\n'), 'crlf'))).toEqual(rulesetView(parseIptablesSave(save, 'lf')));
    const list = fixture('nft', 'host-firewall', 'iptables_-t_nat_-nvL');
    expect(rulesetView(parseIptablesList(list.replace(/\n/g, '\r\n'), 'crlf', { table: 'nat' }))).toEqual(rulesetView(parseIptablesList(list, 'lf', { table: 'nat' })));
  });

  it('an unterminated quote takes the rest of the line, as a shell would', () => {
    const rs = parseIptablesSave('*filter\n-A INPUT -m comment --comment "half a comment -j DROP\nCOMMIT\n', 'q');
    expect(findChain(rs, 'filter', 'INPUT')!.rules[0]).toMatchObject({ comment: 'half a comment -j DROP', ref: { line: 2 } });
    expect(findChain(rs, 'filter', 'INPUT')!.rules[0].target).toBeUndefined();
  });

  it('a line no format knows becomes a warning, not a rule', () => {
    const rs = parseIptablesSave('*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n%%% garbage %%%\n', 'g');
    expect(rs.warnings).toEqual([{ file: 'g', line: 4, message: 'line not understood: %%% garbage %%%' }]);
    const listing = 'Chain INPUT (policy ACCEPT)\ntarget     prot opt source               destination\nthis is not a row\nACCEPT     all  --  0.0.0.0/0            0.0.0.0/0\n';
    const ls = parseIptablesList(listing, 'l', { table: 'filter' });
    expect(ls.warnings).toEqual([{ file: 'l', line: 3, message: 'rule line not understood: this is not a row' }]);
    expect(findChain(ls, 'filter', 'INPUT')!.rules).toHaveLength(1);
  });

  it('a listing row with thousands of phrases is read up to a bound and marked, not looped over', () => {
    const row = `ACCEPT     all  --  0.0.0.0/0            0.0.0.0/0            ${'ctstate NEW '.repeat(5000)}`;
    const rs = parseIptablesList(`Chain INPUT (policy ACCEPT)\ntarget     prot opt source               destination\n${row}\n`, 'many', { table: 'filter' });
    const r = findChain(rs, 'filter', 'INPUT')!.rules[0];
    expect(r.matches.at(-1)!.module).toBe('unknown');
    expect(r.incomplete![0]).toMatch(/^match text not understood: ctstate NEW/);
  });

  it('real dumps with bytes cut, quotes and bangs sprinkled in: data or SkipFile/ParseError, never another error', () => {
    const sources = [save, fixture('nft', 'docker-kube-flannel', 'iptables_-t_nat_-nvL'), fixture('legacy', 'host-firewall', 'iptables_-S_-v'), fixture('nft', 'docker-ipv6', 'iptables_-t_filter_-L')];
    // a fixed linear congruential sequence: the same damage on every run
    let seed = 12345;
    const next = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    const noise = ['"', "'", '\\', '!', ' ', '\n', '\t', '-', ':', '/', '[', ']', '*', '#', '\0'];
    let data = 0;
    for (let round = 0; round < 200; round++) {
      let text = sources[round % sources.length];
      for (let k = 0; k < 20; k++) {
        const at = next(text.length);
        text = next(2) ? text.slice(0, at) + noise[next(noise.length)] + text.slice(at) : text.slice(0, at) + text.slice(at + 1 + next(40));
      }
      const o = outcomes(text);
      if (Object.values(o).includes('data')) data++;
    }
    // damage rarely destroys a whole dump: most variants still give data
    expect(data).toBeGreaterThan(150);
  });
});

describe('the model of a damaged rule says what is missing', () => {
  it('a stray word is kept visible on the rule', () => {
    const rs: Ruleset = parseIptablesSave('*filter\n-A INPUT -s 10.0.0.0/8 oops -j ACCEPT\nCOMMIT\n', 'w');
    expect(findChain(rs, 'filter', 'INPUT')!.rules[0]).toMatchObject({ target: 'ACCEPT', incomplete: ['unexpected word "oops"'] });
  });
});
