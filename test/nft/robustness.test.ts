/**
 * Bad input: the nft and firewalld parsers return data or throw ParseError / SkipFile, never
 * anything else, never hang; and big real-shaped input parses fast.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ParseError, SkipFile } from '../../src/model/source.js';
import { parseFirewallCmdListAllZones, parseFirewalldConf, parseFirewalldZoneXml } from '../../src/nft/firewalld.js';
import { parseNftJson } from '../../src/nft/parse-json.js';
import { parseNftText } from '../../src/nft/parse-text.js';
import { projectPath } from '../helpers/shared.js';

const fixture = (...p: string[]) => readFileSync(projectPath('test/fixtures/nft', ...p), 'utf8');
const PARSERS = [parseNftText, parseNftJson, parseFirewallCmdListAllZones, parseFirewalldZoneXml, parseFirewalldConf];

function onlyOurErrors(text: string): void {
  for (const parse of PARSERS) {
    try {
      parse(text, 'bad');
    } catch (err) {
      if (!(err instanceof ParseError) && !(err instanceof SkipFile)) throw err;
    }
  }
}

const KEYWORDS = [
  'table ', 'inet ', 'ip ', 'filter ', 'chain ', 'set ', 'map ', 'flowtable ', '{', '}', ';', ',', ':', '.', '"', '\\', '#', '# handle 3', '\n', '\t',
  'type filter hook input priority filter + 10; policy drop;', 'elements = {', 'flags interval', 'iifname ', 'vmap ', '@s ', 'tcp dport ', '22-80',
  'ct state established,related ', 'meta mark & 0xff == 0x1 ', 'mark set mark or 0x4000', 'dnat to ', '[fe80::1]:80', 'reject with ', 'jump ', 'goto ',
  'counter packets 1 bytes 2 ', 'limit rate over ', 'log prefix ', 'xt target ', 'fib daddr type local ', 'accept', 'drop', '# Warning: iptables-legacy tables present',
  '{"nftables": [', '{"rule": {"family": "ip", "table": "t", "chain": "c", "expr": [', '{"match": {"op": "==", "left": {"meta": {"key": "iifname"}}, "right": ',
  '{"table": {"family": "ip", "name": "t"}}', '{"chain": {"family": "ip", "table": "t", "name": "c", "prio": 0}}', ']}', '}]}', 'null', '[', ']',
  'public (active)\n', '  target: %%REJECT%%\n', '  ports: 22/tcp\n', '  rich rules: \n\trule accept\n', '<zone target="ACCEPT">', '<interface name="x"/>', '</zone>', '<!--', '-->', '<?xml', '&amp;', 'DefaultZone=public\n',
];
const textish = fc.array(fc.oneof(fc.constantFrom(...KEYWORDS), fc.string({ maxLength: 30 }), fc.string({ unit: 'grapheme', maxLength: 8 })), { maxLength: 80 }).map((a) => a.join(''));

describe('bad input', () => {
  it('garbage, binary, empty, a 2 MB line, deep braces: only SkipFile / ParseError', () => {
    const inputs = [
      '',
      '\n\n',
      'hello world\n',
      Buffer.from([0, 1, 2, 255, 254, 0x7b]).toString('latin1'),
      'table ip t {\n\tchain c {\n\t\t' + 'ip saddr 1.2.3.4 '.repeat(150_000) + 'accept\n\t}\n}\n',
      'table ip t {\n' + '{'.repeat(200_000) + '\n',
      '}'.repeat(100_000),
      '{"nftables": [' + '['.repeat(50_000),
      '<zone>' + '<a>'.repeat(100_000),
      '"'.repeat(100_001),
    ];
    for (const text of inputs) onlyOurErrors(text);
  });

  it('arbitrary text made of nft, JSON, firewall-cmd and XML pieces', () => {
    fc.assert(fc.property(textish, (text) => onlyOurErrors(text)), { numRuns: 400 });
  });

  it('an unclosed set swallows no tables: a warning, and the next table is read', () => {
    const text = 'table ip a {\n\tchain c {\n\t\ttcp dport { 22, 80 accept\n\t}\n}\ntable ip b {\n\tchain d {\n\t\tdrop\n\t}\n}\n';
    const rs = parseNftText(text, 'u');
    expect(rs.tables.map((t) => t.name)).toEqual(['a', 'b']);
    expect(rs.tables[1].chains[0].rules[0]).toMatchObject({ text: 'drop', ref: { line: 8 } });
    // the set took the chain's `}`, the chain took the table's: table b's header closes table a
    expect(rs.tables[0].chains[0].rules[0]).toMatchObject({ text: 'tcp dport { 22, 80 accept }', ref: { line: 3 } });
    expect(rs.warnings.map((w) => [w.line, w.message])).toEqual([[6, "'}' missing before this table: 1 block(s) closed"]]);
    const dropped = parseNftText('table ip a {\n\tchain c {\n\t\ttcp dport { 22, 80 accept\n\tchain d {\n\t\tdrop\n\t}\n}\n', 'd');
    expect(dropped.tables[0].chains.map((c) => `${c.name}:${c.rules.length}`)).toEqual(['c:0', 'd:1']);
    expect(dropped.warnings.map((w) => [w.line, w.message])).toEqual([
      [3, "unbalanced '{' in the statement at line 3: statement dropped"],
      [4, "'}' missing before this chain: the open chain is closed"],
    ]);
  });

  it('a truncated listing keeps what it has and says where it stopped', () => {
    const full = fixture('docker-bridges', 'nft_list_ruleset');
    const cut = full.slice(0, full.indexOf('chain nat-prerouting-and-output'));
    const rs = parseNftText(cut, 'cut');
    expect(rs.tables[0].chains.map((c) => c.name)).toEqual(['filter-FORWARD', 'raw-PREROUTING', 'nat-PREROUTING', 'nat-OUTPUT', 'nat-POSTROUTING']);
    expect(rs.warnings.map((w) => w.message)).toEqual(['table ip docker-bridges is not closed at the end of the file (truncated output?)']);
  });

  it('an nft that failed in the collector is a ParseError; other text is skipped', () => {
    expect(() => parseNftText('netlink: Error: cache initialization failed: Operation not permitted\n', 'nft_-a_list_ruleset')).toThrow(ParseError);
    expect(() => parseNftText('*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n', 'iptables-save')).toThrow(SkipFile);
    expect(() => parseNftText(fixture('firewalld-real', 'nft_-j_list_ruleset'), 'json')).toThrow(SkipFile);
    // an empty listing is a host without nftables rules, not an error
    expect(parseNftText('', 'empty').tables).toEqual([]);
  });
});

describe('speed', () => {
  /** A table of 16,000 chains of real rule lines (from the namespaces' dumps), the size of a big kube-proxy host. */
  function bigListing(): string {
    const src = fixture('host-all', 'nft_list_ruleset');
    const ruleLines = src.split('\n').filter((l) => l.startsWith('\t\t') && !/type |elements|\}|^\t\t\t/.test(l));
    const out = ['table inet big {'];
    for (let k = 0; out.length < 180_000; k++) {
      out.push(`\tchain c${k} {`);
      for (let i = 0; i < 8; i++) out.push(ruleLines[(k * 8 + i) % ruleLines.length]);
      out.push('\t}', '');
    }
    out.push('}');
    return out.join('\n');
  }

  // Speed is the benchmark's business: the time limits only bound a hang or a quadratic blow-up.
  it('180,000 lines of nft list ruleset', () => {
    const text = bigListing();
    const rs = parseNftText(text, 'big');
    expect(rs.tables[0].chains).toHaveLength(16_364);
    expect(rs.tables[0].chains[16_000].rules).toHaveLength(8);
    expect(rs.warnings).toEqual([]);
  }, 60_000);

  it('the same rules as nft -j JSON (28 MB, 128,000 rules)', () => {
    const j = JSON.parse(fixture('host-all', 'nft_-j_list_ruleset')) as { nftables: Record<string, { chain?: string }>[] };
    const rules = j.nftables.filter((o) => o.rule).map((o) => o.rule);
    const items: unknown[] = [j.nftables[0], { table: { family: 'inet', name: 'big', handle: 1 } }];
    for (let c = 0; c < 16_000; c++) {
      items.push({ chain: { family: 'inet', table: 'big', name: `c${c}`, handle: c } });
      for (let i = 0; i < 8; i++) items.push({ rule: { ...rules[(c * 8 + i) % rules.length], family: 'inet', table: 'big', chain: `c${c}` } });
    }
    const text = JSON.stringify({ nftables: items });
    const rs = parseNftJson(text, 'big.json');
    expect(rs.tables[0].chains.reduce((n, c) => n + c.rules.length, 0)).toBe(128_000);
  }, 60_000);
});
