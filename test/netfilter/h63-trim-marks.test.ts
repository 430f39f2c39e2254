/**
 * Pastes trimmed by their authors: `...`, `[...]`, `<snip>`, `# ... snip ...`, `(truncated)`, `…` lines in
 * iptables-save, iptables -S and iptables -L output. The mark is skipped (not a rule, not a wrapped rule's
 * continuation) and the dump is cut there: ruleset.truncated, and the chains the cut may hide rules of are
 * Chain.unlisted at the mark's line.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { isElisionLine, type Ruleset } from '../../src/netfilter/rules.js';
import { parseIptablesSave, parseIptablesSpec, sniffIptables } from '../../src/netfilter/save-format.js';
import { parseIptablesList } from '../../src/netfilter/list-format.js';
import { projectPath } from '../helpers/shared.js';
import { rulesetView } from './model-view.js';

const fx = (f: string) => readFileSync(projectPath('test/fixtures/h63', f), 'utf8');
const unlisted = (rs: Ruleset, table = 'filter') =>
  Object.fromEntries(Object.values(rs.tables[table].chains).filter((c) => c.unlisted).map((c) => [c.name, c.unlisted!.line]));
const notUnderstood = (rs: Ruleset) => rs.warnings.filter((w) => /not understood|wrapped line joined/.test(w.message));
/** the lines with `mark` put after line `at` (1-based) */
const insert = (text: string, at: number, mark: string) => {
  const l = text.split('\n');
  l.splice(at, 0, mark);
  return l.join('\n');
};
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

// the marks the brief lists and others seen in tickets; every one must read the same
const MARKS = ['...', '[...]', '<snip>', '# ... snip ...', '(truncated)', '…', '....', '--- snip ---', '[output truncated]', '(12 lines omitted)', '... 40 more rules ...', '-- >8 --'];

describe('isElisionLine', () => {
  it('takes the marks users trim pastes with', () => {
    expect(MARKS.filter((m) => !isElisionLine(m))).toEqual([]);
    expect(MARKS.filter((m) => !isElisionLine(`   ${m}  \r`))).toEqual([]);
  });
  it('takes no line a dump or listing holds, nor a comment that says more', () => {
    const real = [
      ...fx('kube-arm-62.restored.iptables-save').split('\n'),
      ...fx('kube-arm-62.restored.iptables-L-n-v').split('\n'),
      ...fx('names-iptables-L.txt').split('\n'),
      ...fx('kube-arm-62.restored.iptables-S').split('\n'),
      '# drop truncated packets', '# cut here and paste below', '# ', '-', '--', '$ iptables-save', '# iptables -t nat -S', '[0:0] -A INPUT -j ACCEPT',
    ];
    expect(real.filter((l) => isElisionLine(l))).toEqual([]);
  });
});

describe('kube-arm#62: an iptables-save paste starting and ending with "..." (R22 03)', () => {
  const text = fx('kube-arm-62.iptables-save.txt');
  it('is recognised as iptables-save (the first line is the mark)', () => {
    expect(sniffIptables(text)).toBe('save');
  });
  it('reads every rule, joins nothing to the "..." lines, and says where the paste was cut', () => {
    const rs = parseIptablesSave(text, 'iptables-save.txt');
    expect(notUnderstood(rs)).toEqual([]);
    const filter = rs.tables.filter.chains;
    expect(filter.FORWARD.policy).toBe('DROP');
    expect(filter.FORWARD.rules.map((r) => r.text)).toEqual(text.split('\n').filter((l) => l.startsWith('-A FORWARD')));
    // the last rule is itself, not "... -j DROP ..." with the mark glued on
    expect(filter['KUBE-FIREWALL'].rules.map((r) => [r.target, r.text.endsWith('-j DROP')])).toEqual([['DROP', true]]);
    expect(rs.truncated?.note).toMatch(/line 1 \("\.\.\."\) stands for lines left out/);
    expect(rs.warnings.map((w) => w.line)).toEqual(expect.arrayContaining([1, 19]));
    // the end cut hides KUBE-FIREWALL's later rules and the chains after it; FORWARD's rules stand between INPUT's and OUTPUT's
    expect(unlisted(rs)).toEqual({ 'KUBE-FIREWALL': 19, 'KUBE-SERVICES': 19 });
  });
  it('reads the same rules as the complete dump iptables-save printed for them (namespace h63k)', () => {
    const cut = rulesetView(parseIptablesSave(text, 'iptables-save.txt')).filter;
    const whole = rulesetView(parseIptablesSave(fx('kube-arm-62.restored.iptables-save'), 'iptables-save')).filter;
    // INPUT's policy line is what the first "..." hid
    expect({ ...cut, INPUT: { ...cut.INPUT, policy: 'ACCEPT' } }).toEqual(whole);
  });
});

describe('a mark in a real iptables-save dump (kube-arm#62\'s rules, printed by iptables-save 1.8.9)', () => {
  const whole = fx('kube-arm-62.restored.iptables-save');
  it('healthy: the complete dump is not cut, no chain unlisted', () => {
    const rs = parseIptablesSave(whole, 'iptables-save');
    expect(rs.truncated).toBeUndefined();
    expect(unlisted(rs)).toEqual({});
  });
  it.each(MARKS)('%s between two FORWARD rules: FORWARD is not whole, every rule still read', (mark) => {
    const at = lineOf(whole, '-A FORWARD -o docker0 -j DOCKER');
    const rs = parseIptablesSave(insert(whole, at, mark), 'iptables-save');
    expect(notUnderstood(rs)).toEqual([]);
    expect(unlisted(rs)).toEqual({ FORWARD: at + 1 });
    expect(rs.truncated?.note).toMatch(/after the rules of FORWARD shown/);
    expect(rulesetView(rs)).toEqual(rulesetView(parseIptablesSave(whole, 'iptables-save')));
  });
  it('a mark after FORWARD\'s last rule, before OUTPUT\'s: FORWARD\'s end is cut, OUTPUT taken from its start', () => {
    const at = lineOf(whole, '-A FORWARD -i docker0 -o docker0 -j ACCEPT');
    expect(unlisted(parseIptablesSave(insert(whole, at, '...'), 'iptables-save'))).toEqual({ FORWARD: at + 1 });
  });
  it('a mark after DOCKER-ISOLATION\'s rule: the chains printed between it and KUBE-FIREWALL\'s rule have nothing to hide there (none)', () => {
    const at = lineOf(whole, '-A DOCKER-ISOLATION -j RETURN');
    expect(unlisted(parseIptablesSave(insert(whole, at, '<snip>'), 'iptables-save'))).toEqual({ 'DOCKER-ISOLATION': at + 1 });
  });
  it('a mark before COMMIT: the last chain with rules and the empty chains after it', () => {
    const at = lineOf(whole, '-A KUBE-FIREWALL');
    expect(unlisted(parseIptablesSave(insert(whole, at, '(truncated)'), 'iptables-save'))).toEqual({ 'KUBE-FIREWALL': at + 1, 'KUBE-SERVICES': at + 1 });
  });
  it('a mark among the chain declarations: no chain\'s rules are hidden, the dump is still cut', () => {
    const at = lineOf(whole, ':DOCKER ');
    const rs = parseIptablesSave(insert(whole, at, '...'), 'iptables-save');
    expect(unlisted(rs)).toEqual({});
    expect(rs.truncated).toBeDefined();
  });
});

describe('iptables -S output with a mark (printed by iptables -S 1.8.9)', () => {
  const whole = fx('kube-arm-62.restored.iptables-S');
  it('healthy: the whole output has no cut', () => {
    const rs = parseIptablesSpec(whole, 'iptables-S');
    expect(rs.truncated).toBeUndefined();
    expect(Object.values(rs.tables.filter.chains).filter((c) => c.unlisted && c.rules.length > 0)).toEqual([]);
  });
  it('"# ... snip ..." between FORWARD rules: skipped, FORWARD not whole', () => {
    const at = lineOf(whole, '-A FORWARD -o docker0 -j DOCKER');
    const rs = parseIptablesSpec(insert(whole, at, '# ... snip ...'), 'iptables-S');
    expect(notUnderstood(rs)).toEqual([]);
    expect(unlisted(rs).FORWARD).toBe(at + 1);
    expect(rs.truncated?.note).toMatch(/iptables -S output/);
    expect(rulesetView(rs)).toEqual(rulesetView(parseIptablesSpec(whole, 'iptables-S')));
  });
});

describe('iptables -L -n -v with a mark (printed by iptables 1.8.9)', () => {
  const whole = fx('kube-arm-62.restored.iptables-L-n-v');
  it('healthy: the whole listing is not cut', () => {
    const rs = parseIptablesList(whole, 'iptables-L-n-v');
    expect(rs.truncated).toBeUndefined();
    expect(unlisted(rs)).toEqual({});
  });
  it.each(MARKS)('%s among FORWARD\'s rows: FORWARD not whole, the rows after it stay in FORWARD', (mark) => {
    const at = lineOf(whole, 'DOCKER     0    --  *      docker0');
    expect(at).toBeGreaterThan(0);
    const rs = parseIptablesList(insert(whole, at, mark), 'iptables-L-n-v');
    expect(rs.warnings.filter((w) => /not understood/.test(w.message))).toEqual([]);
    expect(unlisted(rs)).toEqual({ FORWARD: at + 1 });
    expect(rs.truncated?.note).toMatch(/in chain FORWARD/);
    expect(rulesetView(rs)).toEqual(rulesetView(parseIptablesList(whole, 'iptables-L-n-v')));
  });
  it('a mark between two chains (after the blank line): no chain marked, the listing cut', () => {
    const at = lineOf(whole, 'Chain OUTPUT') - 1;
    const rs = parseIptablesList(insert(whole, at, '[...]'), 'iptables-L-n-v');
    expect(unlisted(rs)).toEqual({});
    expect(rs.truncated).toBeDefined();
  });
});
