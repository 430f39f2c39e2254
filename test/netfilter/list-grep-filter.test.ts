/**
 * The pipe of a pasted listing command (`$ sudo iptables -t nat -nvL | grep -i flannel`) read as GNU grep's
 * line filter, checked against GNU grep itself: test/fixtures/h26/make-fixtures.sh listed k3s' nat table
 * (../k8s-flush/k3s-healthy.rules, loaded into a network namespace with the real iptables 1.8.9) with -nvL and
 * -S, and ran it through each pipeline of pipelines.txt with the real grep (grep-N.out, grep-S-N.out).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { filterKeeps, outputFilterOf, posixToJs, shownByFilter } from '../../src/netfilter/grep-filter.js';
import { parseIptablesList } from '../../src/netfilter/list-format.js';
import { projectPath } from '../helpers/shared.js';

const fx = (name: string) => readFileSync(projectPath('test/fixtures/h26', name), 'utf8');
const linesOf = (text: string) => (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n').filter((_l, i, a) => !(a.length === 1 && a[0] === ''));
const pipelines = linesOf(fx('pipelines.txt'));

describe('a pasted pipe read as grep reads it: the lines kept are the lines GNU grep printed', () => {
  for (const [i, p] of pipelines.entries()) {
    for (const [listing, out] of [['nat-nvL-healthy.txt', `grep-${i + 1}.out`], ['nat-S-healthy.txt', `grep-S-${i + 1}.out`]]) {
      it(`${listing} ${p}`, () => {
        const filter = outputFilterOf(`$ sudo iptables -t nat -nvL ${p}`);
        expect(filter.unknown).toBeUndefined();
        const kept = linesOf(fx(listing)).filter((l) => filterKeeps(filter, l) === true);
        const got = fx(out);
        expect(kept).toEqual(got === '' ? [] : linesOf(got));
      });
    }
  }
  it('the greps and their flags are kept', () => {
    const f = outputFilterOf("root@node:~# iptables -S 2>/dev/null | egrep 'KUBE|DOCKER' | grep -v -w -e DROP -e REJECT");
    expect(f.unknown).toBeUndefined();
    expect(f.greps.map((g) => [g.syntax, g.invert, g.word, g.patterns])).toEqual([
      ['extended', false, false, ['KUBE|DOCKER']],
      ['basic', true, true, ['DROP', 'REJECT']],
    ]);
    expect(outputFilterOf('$ sudo iptables -t nat -nvL').greps).toEqual([]);
    expect(outputFilterOf('$ sudo iptables -t nat -nvL | grep -iF "flanneld masq" | cat').greps[0]).toMatchObject({ syntax: 'fixed', ignoreCase: true, patterns: ['flanneld masq'] });
  });
});

describe('a pipe that is not read as a line filter: unknown, never guessed', () => {
  for (const p of ['| head -20', '| grep -A2 FLANNEL', '| grep -c KUBE', '| grep -P "KUBE\\d"', '| grep -o MASQ', '| awk \'/FLANNEL/\'', '| sort', '| grep "$CHAIN"', '| grep FLANNEL rules.txt', '| grep "[[.space.]]"', '| grep "a\\qb"', '> out.txt', '; iptables -S']) {
    it(p, () => {
      const f = outputFilterOf(`$ sudo iptables -t nat -nvL ${p}`);
      expect(f.unknown).toBeDefined();
      expect(filterKeeps(f, 'Chain FLANNEL-POSTRTG (1 references)')).toBeUndefined();
    });
  }
  it('an expression GNU grep reads but not exactly as JavaScript would: collating elements, buffer anchors', () => {
    expect(posixToJs('[[=a=]]', false)).toBeUndefined();
    expect(posixToJs("a\\'", false)).toBeUndefined();
    expect(posixToJs('a\\|b', false)).toBe('a|b');
    expect(posixToJs('a|b', false)).toBe('a\\|b');
  });
});

describe('the listing keeps its command line\'s filter for the lines under it', () => {
  it('grep -i flannel of a node: every row of the paste is under the filter, a rule of flannel\'s is shown, a KUBE rule is not', () => {
    const text = fx('grep-i-flannel-no-out-masq.txt');
    const rs = parseIptablesList(text, 'grep.txt');
    expect(rs.outputFilters).toHaveLength(1);
    const [f] = rs.outputFilters!;
    expect(f).toMatchObject({ command: { file: 'grep.txt', line: 1 }, from: 2, commandText: '$ sudo iptables -t nat -nvL | grep -i flannel' });
    expect(f.greps[0]).toMatchObject({ syntax: 'basic', ignoreCase: true, invert: false, patterns: ['flannel'] });
    const chain = rs.tables.nat.chains['FLANNEL-POSTRTG'];
    expect(shownByFilter(rs, chain.ref.line, '    0     0 MASQUERADE  0    --  *      *       10.42.0.0/16        !224.0.0.0/4          /* flanneld masq */ random-fully')).toBe(true);
    expect(shownByFilter(rs, chain.ref.line, '    0     0 KUBE-POSTROUTING  0    --  *      *       0.0.0.0/0            0.0.0.0/0            /* kubernetes postrouting rules */')).toBe(false);
  });
  it('a listing without a command line: no filter known', () => {
    const rs = parseIptablesList(linesOf(fx('nat-nvL-no-out-masq.txt')).slice(1).join('\n'), 'nat.txt');
    expect(rs.outputFilters).toBeUndefined();
    expect(shownByFilter(rs, 5, 'anything')).toBeUndefined();
  });
  it('a whole listing: the filter keeps every line', () => {
    const rs = parseIptablesList(fx('nat-nvL-no-out-masq.txt'), 'nat.txt');
    expect(rs.outputFilters![0].greps).toEqual([]);
    expect(shownByFilter(rs, 5, 'anything')).toBe(true);
  });
});
