import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { baseChainsOnHook, findChain, findSet, findTable, resolvePriority, type NftRule, type NftRuleset } from '../../src/nft/model.js';
import { parseNftText, parseRuleExprs, sniffNftText } from '../../src/nft/parse-text.js';
import { renderExpr } from '../../src/nft/expr.js';
import { hasCorpus, projectPath, readCorpus } from '../helpers/shared.js';

const fixturePath = (...p: string[]) => projectPath('test/fixtures/nft', ...p);
const fixture = (...p: string[]) => readFileSync(fixturePath(...p), 'utf8');
const parseFixture = (...p: string[]) => parseNftText(fixture(...p), p.join('/'));

function rule(rs: NftRuleset, family: string, table: string, chain: string, index: number): NftRule {
  const t = rs.tables.find((x) => x.family === family && x.name === table);
  const c = t?.chains.find((x) => x.name === chain);
  const r = c?.rules[index - 1];
  if (!r) throw new Error(`no rule ${family} ${table} ${chain} #${index}`);
  return r;
}

describe.skipIf(!hasCorpus)('nft list ruleset of a real Docker host (free5gc, iptables-nft translated)', () => {
  const file = 'iptables-save/free5gc-compose-docker-nft-list-ruleset.txt';
  // the suite body runs even when skipped: read the corpus only where it is there
  const rs = hasCorpus ? parseNftText(readCorpus(file), file) : parseNftText('', file);

  it('tables, base chains with hooks, resolved priorities and policies', () => {
    expect(rs.warnings).toEqual([]);
    expect(rs.tables.map((t) => `${t.family} ${t.name}`)).toEqual(['ip filter', 'ip nat', 'ip6 filter', 'ip6 nat', 'ip mangle', 'ip6 mangle']);
    expect(rs.tables.every((t) => t.iptablesCompat)).toBe(true);
    const filter = findTable(rs, 'ip', 'filter')!;
    expect(findChain(filter, 'FORWARD')).toMatchObject({ type: 'filter', hook: 'forward', priority: 0, priorityText: 'filter', policy: 'drop', ref: { file, line: 19 } });
    const docker = findChain(filter, 'DOCKER')!;
    expect([docker.hook, docker.policy, docker.ref]).toEqual([undefined, undefined, { file, line: 2 }]);
    const nat = findTable(rs, 'ip', 'nat')!;
    expect(findChain(nat, 'POSTROUTING')).toMatchObject({ type: 'nat', hook: 'postrouting', priority: 100, policy: 'accept' });
    expect(findChain(nat, 'PREROUTING')).toMatchObject({ hook: 'prerouting', priority: -100 });
    expect(findChain(nat, 'OUTPUT')).toMatchObject({ hook: 'output', priority: -100, ref: { file, line: 91 } });
    expect(findChain(findTable(rs, 'ip', 'mangle')!, 'OUTPUT')).toMatchObject({ type: 'route', hook: 'output', priority: -150 });
    expect(findChain(filter, 'FORWARD')!.rules).toHaveLength(15);
  });

  it('a DNAT rule: matches, counter, NAT target, place', () => {
    const r = rule(rs, 'ip', 'nat', 'DOCKER', 9);
    expect(r.ref).toEqual({ file, line: 109 });
    expect(r.text).toBe('ip daddr 10.88.120.100 iifname != "br-free5gc" ip protocol sctp sctp dport 38412 counter packets 1 bytes 68 dnat to 10.100.200.10:38412');
    expect(r.nat).toEqual({ kind: 'dnat', to: '10.100.200.10', ports: '38412' });
    expect(r.counter).toEqual({ packets: 1, bytes: 68 });
    expect(r.exprs.slice(0, 4)).toEqual([
      { kind: 'match', key: 'ip daddr', op: '==', value: { kind: 'value', value: '10.88.120.100' } },
      { kind: 'match', key: 'iifname', op: '!=', value: { kind: 'value', value: 'br-free5gc' } },
      { kind: 'match', key: 'ip protocol', op: '==', value: { kind: 'value', value: 'sctp' } },
      { kind: 'match', key: 'sctp dport', op: '==', value: { kind: 'value', value: '38412' } },
    ]);
  });

  it('jumps with big counters, mark arithmetic, and untranslated xt targets', () => {
    expect(rule(rs, 'ip', 'filter', 'FORWARD', 3)).toMatchObject({ ref: { line: 23 }, verdict: { kind: 'jump', target: 'DOCKER-USER' }, counter: { packets: 291572, bytes: 56801961 } });
    const mark = rule(rs, 'ip', 'filter', 'ts-forward', 1);
    expect(mark.ref.line).toBe(51);
    expect(mark.exprs.at(-1)).toEqual({ kind: 'mangle', key: 'meta mark', value: 'mark and 0xff00ffff xor 0x40000' });
    expect(mark.verdict).toBeUndefined();
    expect(rule(rs, 'ip', 'filter', 'ts-forward', 2).exprs[0]).toEqual({ kind: 'match', key: 'meta mark', op: '==', mask: '0xff0000', value: { kind: 'value', value: '0x40000' } });
    const masq = rule(rs, 'ip6', 'nat', 'ts-postrouting', 1);
    expect(masq).toMatchObject({ ref: { line: 138 }, xt: true, nat: { kind: 'masquerade' } });
    expect(masq.exprs.at(-1)).toEqual({ kind: 'xt', xtType: 'target', name: 'MASQUERADE' });
    const checksum = rule(rs, 'ip', 'mangle', 'POSTROUTING', 1);
    expect([checksum.ref.line, checksum.xt, checksum.verdict]).toEqual([159, true, undefined]);
    expect(rule(rs, 'ip', 'mangle', 'PREROUTING', 1).exprs[2]).toEqual({ kind: 'mangle', key: 'meta mark', value: 'ct mark and 0xff0000' });
    // nothing in this real listing is left unknown
    expect(rs.tables.flatMap((t) => t.chains.flatMap((c) => c.rules.flatMap((r) => r.exprs.filter((e) => e.kind === 'unknown'))))).toEqual([]);
  });

  it('the forward hook in priority order: only iptables-nft filter FORWARD sees IPv4 there', () => {
    expect(baseChainsOnHook(rs, 'ip', 'forward').map((x) => `${x.table.name}/${x.chain.name}`)).toEqual(['filter/FORWARD']);
    expect(baseChainsOnHook(rs, 'ip', 'output').map((x) => `${x.table.name}/${x.chain.name}@${x.chain.priority}`)).toEqual(['mangle/OUTPUT@-150', 'nat/OUTPUT@-100']);
  });
});

describe('nft -a list ruleset of rules made by the real binaries', () => {
  it('firewalld-shaped table: handles, vmap dispatch on iifname with a wildcard, named set, reject', () => {
    const f = 'firewalld-vmap/nft_-a_list_ruleset';
    const rs = parseFixture('firewalld-vmap', 'nft_-a_list_ruleset');
    expect(rs.warnings).toEqual([]);
    const t = findTable(rs, 'inet', 'firewalld')!;
    expect(t).toMatchObject({ handle: 1, iptablesCompat: false, ref: { file: f, line: 1 } });
    expect(findChain(t, 'filter_INPUT')).toMatchObject({ handle: 2, hook: 'input', priority: 10, priorityText: 'filter + 10', policy: 'accept' });
    expect(findChain(t, 'nat_PREROUTING')).toMatchObject({ priority: -90, type: 'nat' });
    const zones = rule(rs, 'inet', 'firewalld', 'filter_INPUT_ZONES', 2);
    expect([zones.ref, zones.handle, zones.verdict]).toEqual([{ file: f, line: 42 }, 43, undefined]);
    expect(zones.exprs).toEqual([
      {
        kind: 'vmap',
        key: 'iifname',
        entries: [
          { key: { kind: 'value', value: 'br-*' }, verdict: { kind: 'goto', target: 'filter_IN_docker' } },
          { key: { kind: 'value', value: 'cni0' }, verdict: { kind: 'goto', target: 'filter_IN_trusted' } },
          { key: { kind: 'value', value: 'docker0' }, verdict: { kind: 'goto', target: 'filter_IN_docker' } },
          { key: { kind: 'value', value: 'eth0' }, verdict: { kind: 'goto', target: 'filter_IN_public' } },
        ],
      },
    ]);
    expect(rule(rs, 'inet', 'firewalld', 'filter_INPUT', 6)).toMatchObject({ verdict: { kind: 'reject', rejectWith: 'icmpx admin-prohibited' }, handle: 30 });
    expect(rule(rs, 'inet', 'firewalld', 'filter_INPUT', 1).exprs[0]).toEqual({
      kind: 'match',
      key: 'ct state',
      op: '==',
      value: { kind: 'set', elements: [{ kind: 'value', value: 'established' }, { kind: 'value', value: 'related' }] },
    });
    expect(rule(rs, 'inet', 'firewalld', 'filter_INPUT', 2).exprs[0]).toEqual({ kind: 'match', key: 'ct status', op: '==', value: { kind: 'value', value: 'dnat' } });
    const allow = findChain(t, 'filter_IN_public_allow')!;
    expect(allow.ref.line).toBe(67);
    expect(allow.rules.map((r) => r.exprs.map(renderExpr).join(' '))).toEqual([
      'tcp dport 22 accept',
      'ip6 daddr fe80::/64 udp dport 546 accept',
      'tcp dport @public_allowed_tcp ct state new accept',
      'udp dport { 8472, 51820 } accept',
      'ip saddr 192.0.2.0/24 tcp dport 5432 accept',
      'meta mark and 0xff00 == 0x100 limit rate 10/second accept',
    ]);
    expect(allow.rules[5]).toMatchObject({ ref: { line: 73 }, handle: 62 });
    const set = findSet(t, 'public_allowed_tcp');
    expect(set).toMatchObject({ type: 'inet_service', flags: ['interval'], handle: 20, ref: { line: 2 } });
    expect(set && 'elements' in set ? set.elements : []).toEqual([
      { kind: 'value', value: '22' },
      { kind: 'value', value: '80' },
      { kind: 'value', value: '443' },
      { kind: 'value', value: '6443' },
      { kind: 'range', from: '30000', to: '32767' },
    ]);
    expect(rule(rs, 'inet', 'firewalld', 'filter_PREROUTING', 2).exprs).toEqual([
      { kind: 'match', key: 'meta nfproto', op: '==', value: { kind: 'value', value: 'ipv6' } },
      { kind: 'match', key: 'fib saddr . mark . iif oif', op: '==', value: { kind: 'value', value: 'missing' } },
      { kind: 'verdict', verdict: { kind: 'drop' } },
    ]);
    expect(rule(rs, 'inet', 'firewalld', 'filter_FORWARD', 4).exprs[1]).toEqual({ kind: 'log', prefix: 'FINAL_REJECT: ' });
    expect(rule(rs, 'inet', 'firewalld', 'nat_PREROUTING', 1).nat).toEqual({ kind: 'dnat', family: 'ip', to: '172.17.0.2', ports: '80' });
    expect(rule(rs, 'inet', 'firewalld', 'filter_IN_public_deny', 1)).toMatchObject({ comment: 'blocked scanner', counter: { packets: 12, bytes: 720 }, verdict: { kind: 'drop' } });
  });

  it('the nft -f source itself: a set whose elements span three lines, comments between tables', () => {
    const rs = parseFixture('firewalld-vmap.nft');
    expect(rs.warnings).toEqual([]);
    const t = findTable(rs, 'inet', 'firewalld')!;
    expect(t.ref.line).toBe(4);
    const set = t.sets[0];
    expect(set.elements.map((e) => (e.kind === 'range' ? `${e.from}-${e.to}` : e.kind === 'value' ? e.value : '?'))).toEqual(['22', '80', '443', '6443', '30000-32767']);
    // the same rules as the kernel's listing of it
    const listed = parseFixture('firewalld-vmap', 'nft_list_ruleset');
    const render = (r: NftRuleset) => r.tables.flatMap((x) => x.chains.flatMap((c) => c.rules.map((q) => `${c.name}: ${q.exprs.map(renderExpr).join(' ')}`)));
    // nft sorts the elements of an anonymous vmap: compare as sets
    expect(new Set(render(rs).map((s) => s.replace(/\{.*\}/, '{}')))).toEqual(new Set(render(listed).map((s) => s.replace(/\{.*\}/, '{}'))));
  });

  it('Docker 29 nftables back end: verdict maps over several lines, vmap @map dispatch, raw DROP DIRECT ACCESS', () => {
    const f = 'docker-bridges/nft_list_ruleset';
    const rs = parseFixture('docker-bridges', 'nft_list_ruleset');
    const t = findTable(rs, 'ip', 'docker-bridges')!;
    expect(t.iptablesCompat).toBe(false);
    expect(t.maps.map((m) => [m.name, m.type, m.dataType, m.entries.length, m.ref.line])).toEqual([
      ['filter-forward-in-jumps', 'ifname', 'verdict', 2, 2],
      ['filter-forward-out-jumps', 'ifname', 'verdict', 2, 8],
      ['nat-postrouting-out-jumps', 'ifname', 'verdict', 2, 14],
    ]);
    expect(t.maps[0].entries[1]).toEqual({ key: { kind: 'value', value: 'br-5f2c1a9e7b30' }, verdict: { kind: 'jump', target: 'filter-forward-in__br-5f2c1a9e7b30' } });
    expect(rule(rs, 'ip', 'docker-bridges', 'filter-FORWARD', 1)).toMatchObject({ ref: { file: f, line: 22 }, exprs: [{ kind: 'vmap', key: 'oifname', setRef: 'filter-forward-in-jumps' }] });
    expect(findChain(t, 'raw-PREROUTING')).toMatchObject({ priority: -300, priorityText: 'raw', hook: 'prerouting' });
    expect(rule(rs, 'ip', 'docker-bridges', 'raw-PREROUTING', 1)).toMatchObject({ comment: 'DROP DIRECT ACCESS', verdict: { kind: 'drop' }, counter: { packets: 3, bytes: 180 } });
    expect(rule(rs, 'ip', 'docker-bridges', 'nat-prerouting-and-output', 1)).toMatchObject({ comment: 'DNAT', nat: { kind: 'dnat', to: '172.18.0.2', ports: '5432' } });
    const forwardIn = findChain(t, 'filter-forward-in__br-5f2c1a9e7b30')!;
    expect(forwardIn.rules.map((r) => r.verdict?.kind)).toEqual(['accept', 'accept', 'accept', 'drop']);
    expect(forwardIn.rules[2].exprs.slice(0, 2)).toEqual([
      { kind: 'match', key: 'ip daddr', op: '==', value: { kind: 'value', value: '172.18.0.2' } },
      { kind: 'match', key: 'tcp dport', op: '==', value: { kind: 'value', value: '5432' } },
    ]);
  });

  it('iptables-nft tables: the stderr warnings sosreport merges in, compat marks, translated and untranslated matches', () => {
    const f = 'iptables-nft/nft_-a_list_ruleset';
    const rs = parseFixture('iptables-nft', 'nft_-a_list_ruleset');
    expect(rs.notices).toEqual([
      { text: '# Warning: table ip filter is managed by iptables-nft, do not touch!', ref: { file: f, line: 1 } },
      { text: '# Warning: table ip nat is managed by iptables-nft, do not touch!', ref: { file: f, line: 48 } },
      { text: '# Warning: table ip mangle is managed by iptables-nft, do not touch!', ref: { file: f, line: 75 } },
    ]);
    expect(rs.legacyTablesPresent).toBeUndefined();
    expect(rs.tables.map((t) => [t.name, t.handle, t.ref.line, t.iptablesCompat])).toEqual([
      ['filter', 1, 2, true],
      ['nat', 2, 49, true],
      ['mangle', 3, 76, true],
      ['raw', 4, 99, true],
    ]);
    expect(rule(rs, 'ip', 'filter', 'INPUT', 3)).toMatchObject({ ref: { line: 7 }, handle: 11, xt: true, exprs: [{ kind: 'match', key: 'tcp dport' }, { kind: 'xt', xtType: 'match', name: 'recent' }, { kind: 'counter' }] });
    expect(rule(rs, 'ip', 'filter', 'INPUT', 5).verdict).toEqual({ kind: 'reject', rejectWith: 'icmp host-prohibited' });
    expect(rule(rs, 'ip', 'filter', 'INPUT', 2).exprs.slice(0, 3)).toEqual([
      { kind: 'match', key: 'meta l4proto', op: '==', value: { kind: 'value', value: 'tcp' } },
      { kind: 'match', key: 'tcp dport', op: '==', value: { kind: 'set', elements: [{ kind: 'value', value: '5432' }, { kind: 'value', value: '6379' }] } },
      { kind: 'match', key: 'ct state', op: '==', value: { kind: 'value', value: 'new' } },
    ]);
    expect(rule(rs, 'ip', 'filter', 'INPUT', 4).exprs[2]).toEqual({ kind: 'limit', rate: 5, per: 'second' });
    expect(findChain(findTable(rs, 'ip', 'filter')!, 'FORWARD')?.policy).toBe('drop');
    expect(rule(rs, 'ip', 'nat', 'DOCKER', 2)).toMatchObject({ ref: { line: 72 }, handle: 11, nat: { kind: 'dnat', to: '172.17.0.2', ports: '5432' } });
    expect(rule(rs, 'ip', 'raw', 'PREROUTING', 1).exprs.at(-1)).toEqual({ kind: 'mangle', key: 'meta nftrace', value: '1' });
  });

  it('-a and plain listings give the same model but for handles', () => {
    for (const dir of ['firewalld-vmap', 'docker-bridges', 'iptables-nft', 'firewalld-real', 'host-all']) {
      const strip = (rs: NftRuleset) =>
        rs.tables.map((t) => ({ ...t, handle: undefined, ref: undefined, chains: t.chains.map((c) => ({ ...c, handle: undefined, ref: undefined, rules: c.rules.map((r) => ({ ...r, handle: undefined, ref: undefined })) })), sets: t.sets.map((s) => ({ ...s, handle: undefined, ref: undefined })), maps: t.maps.map((m) => ({ ...m, handle: undefined, ref: undefined })) }));
      const a = parseFixture(dir, 'nft_-a_list_ruleset');
      const plain = parseFixture(dir, 'nft_list_ruleset');
      expect(strip(a)).toEqual(strip(plain));
      expect(a.tables.flatMap((t) => t.chains.flatMap((c) => c.rules)).every((r) => typeof r.handle === 'number')).toBe(true);
      expect(plain.tables.flatMap((t) => t.chains.flatMap((c) => c.rules)).some((r) => r.handle !== undefined)).toBe(false);
    }
  });

  it('real firewalld 1.3.3: 165 chains, zone dispatch by source then interface, its reject and DNAT', () => {
    const rs = parseFixture('firewalld-real', 'nft_-a_list_ruleset');
    const t = findTable(rs, 'inet', 'firewalld')!;
    expect(t.chains).toHaveLength(165);
    // nft 1.0.6 has no name for -90 on the output hook, so it prints the number
    expect([findChain(t, 'nat_OUTPUT')!.priority, findChain(t, 'nat_OUTPUT')!.priorityText]).toEqual([-90, undefined]);
    expect(findChain(t, 'mangle_PREROUTING')).toMatchObject({ priority: -140, priorityText: 'mangle + 10' });
    expect(findChain(t, 'filter_INPUT_ZONES')!.rules.map((r) => r.exprs.map(renderExpr).join(' '))).toEqual([
      'ip saddr 203.0.113.0/24 goto filter_IN_drop',
      'ip saddr 10.244.0.0/16 goto filter_IN_trusted',
      'iifname "cni0" goto filter_IN_trusted',
      'iifname "eth0" goto filter_IN_public',
      'iifname "docker0" goto filter_IN_docker',
      'goto filter_IN_public',
    ]);
    expect(rule(rs, 'inet', 'firewalld', 'filter_IN_public_allow', 1)).toMatchObject({ ref: { line: 426 }, handle: 218, text: 'tcp dport 22 accept' });
    expect(rule(rs, 'inet', 'firewalld', 'nat_PRE_public_allow', 1)).toMatchObject({ ref: { line: 509 }, nat: { kind: 'dnat', family: 'ip', to: '172.17.0.2', ports: '80' } });
    expect(baseChainsOnHook(rs, 'ip', 'input').map((x) => `${x.chain.name}@${x.chain.priority}`)).toEqual(['filter_INPUT@10']);
    expect(rs.tables.flatMap((x) => x.chains.flatMap((c) => c.rules.flatMap((r) => r.exprs.filter((e) => e.kind === 'unknown'))))).toEqual([]);
  });

  it('all three on one host: every base chain on the forward hook in the kernel order', () => {
    const rs = parseFixture('host-all', 'nft_list_ruleset');
    expect(baseChainsOnHook(rs, 'ip', 'forward').map((x) => `${x.table.family} ${x.table.name}/${x.chain.name}@${x.chain.priority}`)).toEqual([
      'ip mangle/FORWARD@-150',
      'ip filter/FORWARD@0',
      'ip docker-bridges/filter-FORWARD@0',
      'inet firewalld/filter_FORWARD@10',
    ]);
    expect(baseChainsOnHook(rs, 'ip', 'prerouting').map((x) => x.chain.priority)).toEqual([-300, -300, -150, -100, -100, -90, 10]);
    expect(baseChainsOnHook(rs, 'ip6', 'forward').map((x) => x.table.name)).toEqual(['firewalld']);
  });
});

describe('expressions and syntax variants', () => {
  const exprs = (s: string) => parseRuleExprs(s.match(/"(?:[^"\\]|\\.)*"|[{},;]|[^\s{},;"]+/g) ?? []).exprs;

  it('priorities by name, with arithmetic, per family', () => {
    expect(resolvePriority('inet', 'filter + 10')).toBe(10);
    expect(resolvePriority('ip', 'mangle - 5')).toBe(-155);
    expect(resolvePriority('ip', 'security')).toBe(50);
    expect(resolvePriority('ip6', '-300')).toBe(-300);
    expect(resolvePriority('bridge', 'filter')).toBe(-200);
    expect(resolvePriority('bridge', 'dstnat')).toBe(-300);
    expect(resolvePriority('bridge', 'out')).toBe(100);
    expect(resolvePriority('ip', 'out')).toBeUndefined();
    expect(resolvePriority('ip', 'constructor')).toBeUndefined();
  });

  it('interfaces: negation, wildcard, anonymous set, negated set', () => {
    expect(exprs('iifname != { "docker0", "cni0" } oifname "br-*" accept')).toEqual([
      { kind: 'match', key: 'iifname', op: '!=', value: { kind: 'set', elements: [{ kind: 'value', value: 'docker0' }, { kind: 'value', value: 'cni0' }] } },
      { kind: 'match', key: 'oifname', op: '==', value: { kind: 'value', value: 'br-*' } },
      { kind: 'verdict', verdict: { kind: 'accept' } },
    ]);
    expect(exprs('meta iifname "eth0" meta oifname eq "eth1"').map((e) => (e.kind === 'match' ? e.key + e.op : e.kind))).toEqual(['iifname==', 'oifname==']);
  });

  it('addresses and ports: ranges, prefixes, named sets, service names of older nft', () => {
    expect(exprs('ip saddr 10.0.0.1-10.0.0.9 ip daddr @blocklist tcp dport { ssh, 1000-2000 } th dport >= 30000 ip6 saddr ::1 drop')).toEqual([
      { kind: 'match', key: 'ip saddr', op: '==', value: { kind: 'range', from: '10.0.0.1', to: '10.0.0.9' } },
      { kind: 'match', key: 'ip daddr', op: '==', value: { kind: 'setRef', name: 'blocklist' } },
      { kind: 'match', key: 'tcp dport', op: '==', value: { kind: 'set', elements: [{ kind: 'value', value: '22' }, { kind: 'range', from: '1000', to: '2000' }] } },
      { kind: 'match', key: 'th dport', op: '>=', value: { kind: 'value', value: '30000' } },
      { kind: 'match', key: 'ip6 saddr', op: '==', value: { kind: 'value', value: '::1' } },
      { kind: 'verdict', verdict: { kind: 'drop' } },
    ]);
    // names with a dash are not ranges
    expect(exprs('meta l4proto ipv6-icmp icmpv6 type nd-router-advert')).toEqual([
      { kind: 'match', key: 'meta l4proto', op: '==', value: { kind: 'value', value: 'ipv6-icmp' } },
      { kind: 'match', key: 'icmpv6 type', op: '==', value: { kind: 'value', value: 'nd-router-advert' } },
    ]);
  });

  it('marks, masks, tcp flags, ct original, concatenations', () => {
    expect(exprs('meta mark and 0x0000ff00 != 0x0 mark set 0x00004000 ct original ip saddr 10.1.0.0/16 tcp flags syn / fin,syn,rst,ack')).toEqual([
      { kind: 'match', key: 'meta mark', op: '!=', mask: '0xff00', value: { kind: 'value', value: '0x0' } },
      { kind: 'mangle', key: 'meta mark', value: '0x4000' },
      { kind: 'match', key: 'ct original ip saddr', op: '==', value: { kind: 'value', value: '10.1.0.0/16' } },
      { kind: 'match', key: 'tcp flags', op: '==', mask: 'fin,syn,rst,ack', value: { kind: 'value', value: 'syn' } },
    ]);
    expect(exprs('ip saddr . tcp dport { 10.0.0.1 . 22, 10.0.0.2 . 80 } accept')[0]).toEqual({
      kind: 'match',
      key: 'ip saddr . tcp dport',
      op: '==',
      value: { kind: 'set', elements: [{ kind: 'value', value: '10.0.0.1 . 22' }, { kind: 'value', value: '10.0.0.2 . 80' }] },
    });
  });

  it('verdicts and NAT forms', () => {
    const v = (s: string) => exprs(s).map(renderExpr);
    expect(v('reject with tcp reset')).toEqual(['reject with tcp reset']);
    expect(v('reject with icmpv6 type addr-unreachable')).toEqual(['reject with icmpv6 addr-unreachable']);
    expect(v('queue num 3 bypass')).toEqual(['queue']);
    expect(exprs('queue num 3 bypass')[0]).toEqual({ kind: 'verdict', verdict: { kind: 'queue', target: '3' } });
    expect(exprs('dnat to [fd00::2]:8080')[0]).toEqual({ kind: 'nat', nat: { kind: 'dnat', to: 'fd00::2', ports: '8080' } });
    expect(exprs('redirect to :8080')[0]).toEqual({ kind: 'nat', nat: { kind: 'redirect', ports: '8080' } });
    expect(exprs('snat to 192.0.2.1 fully-random,persistent')[0]).toEqual({ kind: 'nat', nat: { kind: 'snat', to: '192.0.2.1', flags: ['fully-random', 'persistent'] } });
    expect(exprs('masquerade random')[0]).toEqual({ kind: 'nat', nat: { kind: 'masquerade', flags: ['random'] } });
    expect(exprs('limit rate over 10/minute burst 20 packets log prefix "x" level warn group 2 continue')).toEqual([
      { kind: 'limit', rate: 10, per: 'minute', over: true, burst: 20 },
      { kind: 'log', prefix: 'x', level: 'warn', group: 2 },
      { kind: 'verdict', verdict: { kind: 'continue' } },
    ]);
  });

  it('what is not understood stays in place as unknown, and the rest is still read', () => {
    expect(exprs('tcp option maxseg size 1400 notrack ip saddr 1.2.3.4 tproxy to :50080 accept')).toEqual([
      { kind: 'unknown', text: 'tcp option maxseg size 1400' },
      { kind: 'unknown', text: 'notrack' },
      { kind: 'match', key: 'ip saddr', op: '==', value: { kind: 'value', value: '1.2.3.4' } },
      { kind: 'unknown', text: 'tproxy to :50080' },
      { kind: 'verdict', verdict: { kind: 'accept' } },
    ]);
  });

  it('bridge and netdev chains, flowtables, iptables-legacy warning, statements on one line with ;', () => {
    const text = [
      '# Warning: iptables-legacy tables present, use iptables-legacy to see them',
      'table bridge filter {',
      '\tchain FORWARD { type filter hook forward priority filter; policy accept; ether type arp accept; }',
      '}',
      'table netdev edge {',
      '\tflowtable ft {',
      '\t\thook ingress priority filter',
      '\t\tdevices = { eth0, eth1 }',
      '\t}',
      '\tchain in { type filter hook ingress device "eth0" priority -500; policy accept; }',
      '}',
    ].join('\n');
    const rs = parseNftText(text, 'x');
    expect(rs.legacyTablesPresent).toEqual({ file: 'x', line: 1 });
    expect(findChain(findTable(rs, 'bridge', 'filter')!, 'FORWARD')).toMatchObject({ priority: -200, hook: 'forward', policy: 'accept', rules: [{ text: 'ether type arp accept', ref: { line: 3 } }] });
    const edge = findTable(rs, 'netdev', 'edge')!;
    expect(edge.flowtables).toMatchObject([{ name: 'ft', hook: 'ingress', priority: 0, devices: ['eth0', 'eth1'], ref: { line: 6 } }]);
    expect(findChain(edge, 'in')).toMatchObject({ device: 'eth0', priority: -500, hook: 'ingress' });
    expect(findTable(rs, 'bridge', 'filter')!.iptablesCompat).toBe(true);
  });

  it('sniffs listings, not other files', () => {
    expect(sniffNftText(fixture('iptables-nft', 'nft_-a_list_ruleset').slice(0, 4096))).toBe(true);
    expect(sniffNftText('table inet firewalld { # handle 1\n')).toBe(true);
    expect(sniffNftText('*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n')).toBe(false);
    expect(sniffNftText('{"nftables": [{"metainfo": {}}]}')).toBe(false);
  });
});
