import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ParseError, SkipFile } from '../../src/model/source.js';
import { findChain, findTable, type NftRuleset } from '../../src/nft/model.js';
import { parseNftJson, sniffNftJson } from '../../src/nft/parse-json.js';
import { parseNftText } from '../../src/nft/parse-text.js';
import { projectPath } from '../helpers/shared.js';
import { comparable, rulesOf } from './compare.js';

const fixture = (...p: string[]) => readFileSync(projectPath('test/fixtures/nft', ...p), 'utf8');
const json = (dir: string) => parseNftJson(fixture(dir, 'nft_-j_list_ruleset'), `${dir}/nft_-j_list_ruleset`);
const text = (dir: string) => parseNftText(fixture(dir, 'nft_-a_list_ruleset'), `${dir}/nft_-a_list_ruleset`);

describe('nft -j list ruleset made by the real nft', () => {
  it('one line: every record at line 1, identified by handle and index; version from metainfo', () => {
    const rs = json('docker-bridges');
    expect(rs).toMatchObject({ format: 'json', nftVersion: '1.0.6', warnings: [], notices: [] });
    const t = findTable(rs, 'ip', 'docker-bridges')!;
    expect(t).toMatchObject({ handle: 1, ref: { file: 'docker-bridges/nft_-j_list_ruleset', line: 1 }, iptablesCompat: false });
    expect(rulesOf(rs).every((r) => r.ref.line === 1 && typeof r.handle === 'number')).toBe(true);
    const dnat = findChain(t, 'nat-prerouting-and-output')!.rules[0];
    expect(dnat).toMatchObject({ index: 1, comment: 'DNAT', nat: { kind: 'dnat', to: '172.18.0.2', ports: '5432' }, counter: { packets: 7, bytes: 420 } });
    expect(dnat.text).toBe('iifname != "br-5f2c1a9e7b30" tcp dport 5432 counter packets 7 bytes 420 dnat to 172.18.0.2:5432 comment "DNAT"');
    expect(findChain(t, 'nat-OUTPUT')).toMatchObject({ type: 'nat', hook: 'output', priority: -100, policy: 'accept' });
    expect(t.maps[0]).toMatchObject({ name: 'filter-forward-in-jumps', type: 'ifname', dataType: 'verdict', handle: 13 });
  });

  it('vmap with an anonymous map, interval set, reject, mark mask and limit from JSON', () => {
    const rs = json('firewalld-vmap');
    const t = findTable(rs, 'inet', 'firewalld')!;
    expect(findChain(t, 'filter_INPUT_ZONES')!.rules[1].exprs[0]).toMatchObject({ kind: 'vmap', key: 'iifname', entries: [{ key: { value: 'br-*' }, verdict: { kind: 'goto', target: 'filter_IN_docker' } }, {}, {}, {}] });
    expect(t.sets[0].elements.at(-1)).toEqual({ kind: 'range', from: '30000', to: '32767' });
    expect(findChain(t, 'filter_INPUT')!.rules[5].verdict).toEqual({ kind: 'reject', rejectWith: 'icmpx admin-prohibited' });
    expect(findChain(t, 'filter_IN_public_allow')!.rules[5].exprs.slice(0, 2)).toEqual([
      { kind: 'match', key: 'meta mark', op: '==', mask: '0xff00', value: { kind: 'value', value: '0x100' } },
      { kind: 'limit', rate: 10, per: 'second' },
    ]);
  });

  it.each(['firewalld-vmap', 'docker-bridges', 'firewalld-real'])('%s: text and JSON of the same ruleset give the same model', (dir) => {
    const t = text(dir);
    const j = json(dir);
    expect(comparable(j)).toEqual(comparable(t));
    // and concretely, so an empty model cannot pass
    expect(rulesOf(j).length).toBeGreaterThan(10);
    expect(rulesOf(j).map((r) => r.verdict?.kind ?? '-')).toEqual(rulesOf(t).map((r) => r.verdict?.kind ?? '-'));
  });

  it('iptables-nft rules: same tables, chains, hooks, priorities, policies, counts and verdicts, but JSON names xt expressions where text translates them', () => {
    const t = text('iptables-nft');
    const j = json('iptables-nft');
    const shape = (rs: NftRuleset) => rs.tables.map((x) => [x.family, x.name, x.iptablesCompat, x.chains.map((c) => [c.name, c.type, c.hook, c.priority, c.policy, c.rules.length])]);
    expect(shape(j)).toEqual(shape(t));
    expect(rulesOf(j).map((r) => `${r.verdict?.kind}/${r.verdict?.target}/${r.nat?.kind}`)).toEqual(rulesOf(t).map((r) => `${r.verdict?.kind}/${r.verdict?.target}/${r.nat?.kind}`));
    // what JSON cannot say: the ports of multiport, the conntrack states, the DNAT address, the reject type
    const input2 = (rs: NftRuleset) => findChain(findTable(rs, 'ip', 'filter')!, 'INPUT')!.rules[1];
    expect(input2(j).exprs.map((e) => (e.kind === 'xt' ? `xt ${e.name}` : e.kind))).toEqual(['match', 'xt multiport', 'xt conntrack', 'counter', 'verdict']);
    expect(input2(j).xt).toBe(true);
    expect(input2(t).xt).toBeUndefined();
    const dnat = (rs: NftRuleset) => findChain(findTable(rs, 'ip', 'nat')!, 'DOCKER')!.rules[1];
    expect(dnat(j).nat).toEqual({ kind: 'dnat' });
    expect(dnat(t).nat).toEqual({ kind: 'dnat', to: '172.17.0.2', ports: '5432' });
    const reject = (rs: NftRuleset) => findChain(findTable(rs, 'ip', 'filter')!, 'INPUT')!.rules[4].verdict;
    expect([reject(j), reject(t)]).toEqual([{ kind: 'reject' }, { kind: 'reject', rejectWith: 'icmp host-prohibited' }]);
    // KUBE-FIREWALL: the text listing drops the comment match altogether; JSON keeps its name only
    const kf = (rs: NftRuleset) => findChain(findTable(rs, 'ip', 'filter')!, 'KUBE-FIREWALL')!.rules[0];
    expect(kf(t).text).toBe('meta mark & 0x00008000 == 0x00008000 counter packets 0 bytes 0 drop');
    expect(kf(j).exprs[0]).toEqual({ kind: 'xt', xtType: 'match', name: 'comment' });
    expect(kf(j).exprs[1]).toEqual(kf(t).exprs[0]);
  });

  it('pretty-printed JSON: each record at the line of its object', () => {
    const pretty = JSON.stringify(JSON.parse(fixture('docker-bridges', 'nft_-j_list_ruleset')), null, 2);
    const lines = pretty.split('\n');
    const rs = parseNftJson(pretty, 'pretty.json');
    const rules = rulesOf(rs);
    expect(new Set(rules.map((r) => r.ref.line)).size).toBe(rules.length);
    for (const r of rules) {
      expect(lines[r.ref.line - 1].trim()).toBe('{');
      expect(lines[r.ref.line]).toContain('"rule"');
    }
    const t = rs.tables[0];
    expect(lines[t.ref.line]).toContain('"table"');
    expect(lines[findChain(t, 'filter-FORWARD')!.ref.line + 1]).toContain('"family": "ip"');
    expect(comparable(rs)).toEqual(comparable(json('docker-bridges')));
  });

  it('stderr merged before the JSON (as sosreport captures it): notices kept, records counted after them', () => {
    const warnings = fixture('iptables-nft', 'nft_-a_list_ruleset').split('\n').filter((l) => l.startsWith('# Warning'));
    const rs = parseNftJson(warnings.join('\n') + '\n' + fixture('iptables-nft', 'nft_-j_list_ruleset'), 'sos');
    expect(rs.notices.map((n) => n.ref.line)).toEqual([1, 2, 3]);
    expect(rs.tables[0].ref.line).toBe(4);
    expect(rs.tables.map((x) => x.name)).toEqual(['filter', 'nat', 'mangle', 'raw']);
  });

  it('broken and foreign input: ParseError for truncated nft JSON, SkipFile for the rest', () => {
    const full = fixture('docker-bridges', 'nft_-j_list_ruleset');
    expect(() => parseNftJson(full.slice(0, 3000), 'cut')).toThrow(ParseError);
    expect(() => parseNftJson('{"Networks": []}', 'docker.json')).toThrow(SkipFile);
    expect(() => parseNftJson('table ip filter {\n}\n', 'text')).toThrow(SkipFile);
    expect(() => parseNftJson('\u0000\u0001binary', 'bin')).toThrow(SkipFile);
    expect(() => parseNftJson('[1,2,3]', 'arr')).toThrow(SkipFile);
    const odd = parseNftJson('{"nftables": [{"rule": {"family": "ip", "table": "nope", "chain": "x", "expr": []}}, {"table": {"family": "ip", "name": "t"}}, {"chain": {"family": "ip", "table": "t", "name": "c"}}, {"rule": {"family": "ip", "table": "t", "chain": "c", "expr": [{"weird": 1}, 5]}}]}', 'odd');
    expect(odd.warnings.map((w) => w.message)).toEqual(['rule of table ip nope which is not listed']);
    expect(odd.tables[0].chains[0].rules[0].exprs).toEqual([{ kind: 'unknown', text: '{"weird":1}' }, { kind: 'unknown', text: '5' }]);
  });

  it('sniffs nft JSON only', () => {
    expect(sniffNftJson(fixture('firewalld-real', 'nft_-j_list_ruleset').slice(0, 4096))).toBe(true);
    expect(sniffNftJson('# Warning: table ip filter is managed by iptables-nft, do not touch!\n{"nftables": [')).toBe(true);
    expect(sniffNftJson('[{"Name": "bridge"}]')).toBe(false);
    expect(sniffNftJson(fixture('firewalld-real', 'nft_list_ruleset'))).toBe(false);
  });
});
