/**
 * Options after `-j TARGET` (hand-written restore files, ufw-docker's after.rules): iptables-restore accepts
 * `-A DOCKER-USER -j RETURN -s 10.0.0.0/8` and iptables-save prints it back as `-A DOCKER-USER -s 10.0.0.0/8 -j RETURN`.
 * The parse of the reordered line must equal the parse of the line iptables-save printed.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { parseIptablesSave, parseRuleArgs, tokenize } from '../../src/netfilter/save-format.js';
import { isBuiltin, type Rule } from '../../src/netfilter/rules.js';
import { isBuiltinTarget } from '../../src/netfilter/values.js';
import { canMakeNetns, projectPath } from '../helpers/shared.js';
import { ruleView } from './model-view.js';

const fx = (...p: string[]) => readFileSync(projectPath('test/fixtures', ...p), 'utf8');
/** tool, table, the rule with its options after -j, the line iptables-save printed for it (README.txt) */
const PAIRS = fx('h63', 'reordered-pairs.tsv').split('\n').filter(Boolean).map((l) => l.split('\t') as [string, string, string, string]);
const parse = (line: string, chains: string[] = []): Rule =>
  parseRuleArgs(tokenize(line), { table: 'filter', chain: tokenize(line)[1], num: 1, ref: { file: 'x', line: 1 }, text: line }, 2, Object.fromEntries(chains.map((c) => [c, { name: c }])));
/** the rule as a one-rule iptables-save table: the lazy path, its chains declared */
const viaSave = (table: string, line: string) => {
  const chains = [...new Set([tokenize(line)[1], ...line.split(/\s+/).filter((w, i, a) => (a[i - 1] === '-j' || a[i - 1] === '-g') && /^[A-Z]+-|^[a-z]/.test(w))])];
  const rs = parseIptablesSave(`*${table}\n${chains.map((c) => `:${c} - [0:0]`).join('\n')}\n${line}\nCOMMIT\n`, 'rules');
  return Object.values(rs.tables[table].chains).flatMap((c) => c.rules)[0];
};

describe('options after -j read as iptables-restore reads them', () => {
  it(`holds ${PAIRS.length} real rules (iptables-save output of the fixtures), reordered as iptables-restore 1.8.9 accepted them`, () => {
    expect(PAIRS.length).toBeGreaterThan(100);
    // targets with options of their own are among them: the table of target options is exercised
    const targets = new Set(PAIRS.map(([, , , c]) => /-j (\S+)/.exec(c)?.[1]));
    for (const t of ['REJECT', 'MASQUERADE', 'MARK', 'LOG', 'CONNMARK', 'TCPMSS', 'CHECKSUM', 'CT', 'ACCEPT', 'RETURN']) expect(targets.has(t), t).toBe(true);
  });
  it.each(PAIRS.map(([tool, table, re, canon]) => [`${tool} ${table}: ${re}`, table, re, canon]))('%s', (_, table, reordered, canonical) => {
    expect(ruleView(parse(reordered))).toEqual(ruleView(parse(canonical)));
    expect(ruleView(viaSave(table, reordered))).toEqual(ruleView(viaSave(table, canonical)));
  });
});

describe('ufw-docker\'s block (test/fixtures/h59: its after.rules and the iptables-legacy-save ufw left)', () => {
  const rules = (rs: ReturnType<typeof parseIptablesSave>) => rs.tables.filter.chains['DOCKER-USER'].rules;
  const restore = parseIptablesSave(fx('h59', 'inputs', 'ufw-docker-block'), 'after.rules', { origin: 'saved-config' });
  const live = parseIptablesSave(fx('h59', 'ufw-unreached', 'iptables-save.txt'), 'iptables-save.txt');
  it('fires: `-j RETURN -s 10.0.0.0/8` and `-j DROP -d ... -p tcp --tcp-flags` read their addresses, protocol and matches, no target options', () => {
    const r = rules(restore);
    expect(r[0].text).toBe('-A DOCKER-USER -j RETURN -s 10.0.0.0/8');
    expect(r[0]).toMatchObject({ target: 'RETURN', source: { value: '10.0.0.0/8', negated: false }, targetOptions: {} });
    const drop = r.find((x) => x.text.startsWith('-A DOCKER-USER -j DROP -d 192.168.0.0/16 -p tcp'))!;
    expect(drop).toMatchObject({ target: 'DROP', destination: { value: '192.168.0.0/16' }, protocol: { value: 'tcp' }, targetOptions: {} });
    expect(drop.matches.map((m) => [m.module, m.options.map((o) => `${o.name}=${o.value}`)])).toEqual([['tcp', ['tcp-flags=FIN,SYN,RST,ACK SYN']]]);
  });
  it('healthy: every rule equals the one iptables-legacy-save printed after ufw loaded the file', () => {
    expect(rules(restore).map((r) => ruleView(r))).toEqual(rules(live).map((r) => ruleView(r)));
  });
});

describe('target options stay the target\'s', () => {
  it.each([
    ['-A INPUT -j REJECT -p tcp -m tcp --dport 22 --reject-with tcp-reset', { 'reject-with': 'tcp-reset' }, ['tcp dport=22']],
    ['-A POSTROUTING -j MASQUERADE --random-fully -s 10.42.0.0/16 ! -d 10.42.0.0/16', { 'random-fully': '' }, []],
    ['-A OUTPUT -j CT --helper ftp -p tcp -m helper --helper ftp', { helper: 'ftp' }, ['helper helper=ftp']],
    ['-A INPUT -j KUBE-FIREWALL -m mark --mark 0x8000/0x8000', {}, ['mark mark=0x8000/0x8000']],
    // a target not known here keeps the options before any -m after it, as before
    ['-A INPUT -j FOO --foo-opt 1 -m tcp -p tcp --dport 1', { 'foo-opt': '1' }, ['tcp dport=1']],
  ])('%s', (line, opts, matches) => {
    const r = parse(line, ['KUBE-FIREWALL']);
    expect(r.targetOptions).toEqual(opts);
    expect(ruleView(r).matches).toEqual(matches);
    expect(r.incomplete).toBeUndefined();
  });
});

describe.skipIf(!canMakeNetns())('the installed iptables still prints these rules back in canonical order', () => {
  it('a sample of the pairs, restored reordered in namespace h63t<pid>', () => {
    const ns = `h63t${process.pid}`;
    execFileSync('ip', ['netns', 'add', ns]);
    try {
      for (const [tool, table, reordered, canonical] of PAIRS.filter((_, i) => i % 8 === 0)) {
        const target = /\s-[jg] (\S+)/.exec(reordered)![1];
        const chains = [...new Set([tokenize(reordered)[1], ...(isBuiltinTarget(target) ? [] : [target])])].filter((c) => !isBuiltin(table, c));
        const text = `*${table}\n${chains.map((c) => `:${c} - [0:0]`).join('\n')}\n${reordered}\nCOMMIT\n`;
        execFileSync('ip', ['netns', 'exec', ns, `${tool}-restore`], { input: text });
        const back = execFileSync('ip', ['netns', 'exec', ns, `${tool}-save`, '-t', table], { encoding: 'utf8' }).split('\n').filter((l) => l.startsWith('-A '));
        expect(back).toEqual([canonical]);
      }
    } finally {
      execFileSync('ip', ['netns', 'del', ns]);
    }
  });
});
