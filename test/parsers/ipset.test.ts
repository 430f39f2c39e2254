/**
 * `ipset list` / `list -t` / `save` (src/parsers/ipset.ts) on what the real ipset 7.17 printed for
 * kube-proxy's IPVS sets, Calico's sets and sets with every per-member option
 * (test/fixtures/ipset/make-fixtures.sh); ipset 6.x and 4.x shapes; cut and hostile input.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ipsetMatcher } from '../../analyzers/lib/ipset.js';
import { SkipFile } from '../../src/model/source.js';
import { parseIpset, sniffIpset, type IpsetList } from '../../src/parsers/ipset.js';
import { formatById, sniffableFormats } from '../../src/parsers/registry.js';
import { projectPath } from '../helpers/shared.js';

const fx = (f: string) => readFileSync(projectPath('test/fixtures/ipset', f), 'utf8');
const setOf = (l: IpsetList, name: string) => l.sets.find((s) => s.name === name)!;
const members = (l: IpsetList, name: string) => setOf(l, name).members?.map((m) => m.element + (m.nomatch ? ' nomatch' : ''));

describe('ipset list (7.x), kube-proxy IPVS sets', () => {
  const l = parseIpset(fx('kube-proxy-ipvs.list'), 'ipset_list');

  it('every set with its header, counts and place', () => {
    expect(l.format).toBe('list');
    expect(l.warnings).toEqual([]);
    expect(l.sets.map((s) => [s.name, s.type, s.ref.line])).toEqual([
      ['KUBE-CLUSTER-IP', 'hash:ip,port', 1],
      ['KUBE-LOOP-BACK', 'hash:ip,port,ip', 15],
      ['KUBE-NODE-PORT-TCP', 'bitmap:port', 26],
      ['KUBE-NODE-PORT-UDP', 'bitmap:port', 37],
      ['KUBE-NODE-PORT-SCTP-HASH', 'hash:ip,port', 46],
      ['KUBE-LOAD-BALANCER', 'hash:ip,port', 56],
      ['KUBE-LOAD-BALANCER-SOURCE-CIDR', 'hash:ip,port,net', 66],
      ['KUBE-LOAD-BALANCER-SOURCE-IP', 'hash:ip,port,ip', 77],
      ['KUBE-EXTERNAL-IP', 'hash:ip,port', 87],
      ['KUBE-HEALTH-CHECK-NODE-PORT', 'bitmap:port', 97],
    ]);
    const cip = setOf(l, 'KUBE-CLUSTER-IP');
    expect(cip).toMatchObject({ revision: 7, sizeInMemory: 456, references: 0, entries: 5, complete: true, excerpt: 'Name: KUBE-CLUSTER-IP' });
    expect(cip.header).toMatchObject({ family: 'inet', hashsize: 1024, maxelem: 65536, bucketsize: 12 });
    expect(cip.header.initval).toMatch(/^0x[0-9a-f]+$/);
    expect(setOf(l, 'KUBE-NODE-PORT-TCP').header).toMatchObject({ range: '0-65535' });
    expect(setOf(l, 'KUBE-NODE-PORT-TCP').header.family).toBeUndefined();
  });

  it('members with their lines; an empty set is complete and empty', () => {
    expect(members(l, 'KUBE-CLUSTER-IP')).toEqual(['10.96.0.1,tcp:443', '10.96.0.10,udp:53', '10.96.0.10,tcp:9153', '10.103.7.21,tcp:5432', '10.96.0.10,tcp:53']);
    expect(setOf(l, 'KUBE-CLUSTER-IP').members![0].ref).toEqual({ file: 'ipset_list', line: 9 });
    expect(members(l, 'KUBE-LOOP-BACK')).toEqual(['10.244.1.5,tcp:8080,10.244.1.5', '10.244.1.7,udp:53,10.244.1.7']);
    expect(members(l, 'KUBE-NODE-PORT-TCP')).toEqual(['30080', '31443']);
    expect(setOf(l, 'KUBE-NODE-PORT-UDP')).toMatchObject({ members: [], entries: 0, complete: true });
    expect(members(l, 'KUBE-NODE-PORT-SCTP-HASH')).toEqual(['192.168.56.10,sctp:30999']);
    expect(members(l, 'KUBE-LOAD-BALANCER-SOURCE-CIDR')).toEqual(['203.0.113.10,tcp:80,198.51.100.128/25 nomatch', '203.0.113.10,tcp:80,198.51.100.0/24']);
  });

  it('ipset save of the same sets: the same members, create lines as the sets', () => {
    const s = parseIpset(fx('kube-proxy-ipvs.save'), 'ipset_save');
    expect(s.format).toBe('save');
    expect(s.warnings).toEqual([]);
    expect(s.sets.map((x) => x.name)).toEqual(l.sets.map((x) => x.name));
    for (const set of l.sets) expect(members(s, set.name)).toEqual(members(l, set.name));
    expect(setOf(s, 'KUBE-CLUSTER-IP')).toMatchObject({ type: 'hash:ip,port', complete: true, ref: { line: 1 }, header: { family: 'inet', maxelem: 65536 } });
    expect(setOf(s, 'KUBE-NODE-PORT-TCP').header).toMatchObject({ range: '0-65535' });
  });

  it('ipset list -t: headers only, members not known', () => {
    const t = parseIpset(fx('kube-proxy-ipvs.headers'), 'ipset_list_-t');
    expect(t.sets).toHaveLength(10);
    for (const s of t.sets) {
      expect(s.members).toBeUndefined();
      expect(s.complete).toBe(false);
      expect(s.incomplete).toMatch(/headers only/);
    }
    expect(setOf(t, 'KUBE-CLUSTER-IP').entries).toBe(5);
  });

  it('ipset list NAME: the one set', () => {
    const one = parseIpset(fx('kube-proxy-one-set.list'), 'ipset_list_KUBE-CLUSTER-IP');
    expect(one.sets.map((s) => [s.name, s.members?.length, s.complete])).toEqual([['KUBE-CLUSTER-IP', 5, true]]);
  });
});

describe('per-member options, IPv6, list:set (ipset 7.17)', () => {
  const l = parseIpset(fx('options.list'), 'ipset.txt');

  it('nomatch, counters and comments', () => {
    const nets = setOf(l, 'nets');
    expect(nets.header).toMatchObject({ family: 'inet', counters: true, comment: true });
    expect(nets.members!.map((m) => [m.element, m.nomatch, m.packets, m.bytes, m.comment])).toEqual([
      ['10.0.0.0/8', false, 0, 0, 'all of ten'],
      ['10.1.2.0/24', false, 0, 0, undefined],
      ['192.168.7.9', false, 0, 0, undefined],
      ['10.1.2.128/25', true, 0, 0, undefined],
      ['10.1.0.0/16', true, 0, 0, 'but not this'],
    ]);
  });

  it('timeouts: the default in the header, what is left per member (0: permanent)', () => {
    const b = setOf(l, 'blocked');
    expect(b.header).toMatchObject({ timeout: 600, counters: true });
    expect(b.members!.map((m) => [m.element, m.timeout])).toEqual([
      ['198.51.100.23', 298],
      ['198.51.100.25', 598],
      ['198.51.100.24', 0],
    ]);
  });

  it('netmask, interfaces, IPv6, ICMP names, list:set', () => {
    expect(setOf(l, 'subnets24').header.netmask).toBe(24);
    expect(members(l, 'ifnets')).toEqual(['10.9.0.0/16,eth0 nomatch', '172.16.0.0/12,docker', '0.0.0.0/1,br-lan', '10.0.0.0/8,eth0']);
    expect(setOf(l, 'ports6').header.family).toBe('inet6');
    expect(members(l, 'ports6')).toEqual(['2001:db8::10,ipv6-icmp:echo-request', 'fd00::1,tcp:443', '2001:db8::10,udp:53']);
    expect(members(l, 'nets6')).toEqual(['2001:db8:1::/48 nomatch', '2001:db8::/32']);
    expect(members(l, 'icmp4')).toEqual(['10.0.0.1,icmp:echo-request', '10.0.0.1,icmp:echo-reply']);
    expect(setOf(l, 'allweb')).toMatchObject({ type: 'list:set', header: { size: 8 }, complete: true });
    expect(members(l, 'allweb')).toEqual(['web', 'web6']);
  });

  it('save: the same options', () => {
    const s = parseIpset(fx('options.save'), 'ipset_save');
    for (const set of l.sets) expect(members(s, set.name)).toEqual(members(l, set.name));
    expect(setOf(s, 'nets').members!.at(-1)).toMatchObject({ element: '10.1.0.0/16', nomatch: true, comment: 'but not this', ref: { line: 6 } });
  });

  it('a wildcard interface', () => {
    const w = parseIpset('Name: y\nType: hash:net,iface\nRevision: 8\nHeader: family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x3396b6c0\nSize in memory: 576\nReferences: 0\nNumber of entries: 1\nMembers:\n10.0.0.0/8,eth wildcard\n', 'x');
    expect(w.sets[0].members![0]).toMatchObject({ element: '10.0.0.0/8,eth', wildcard: true, nomatch: false });
  });
});

describe('older ipset versions', () => {
  it('6.x: no Number of entries, no bucketsize (complete: nothing says otherwise)', () => {
    // the shape kube-proxy's own ipset wrapper documents (pkg/proxy/ipvs/ipset)
    const text = 'Name: foobar\nType: hash:ip,port\nRevision: 2\nHeader: family inet hashsize 1024 maxelem 65536\nSize in memory: 16592\nReferences: 0\nMembers:\n192.168.1.2,tcp:8080\n192.168.1.1,udp:53\n';
    const l = parseIpset(text, 'ipset_-L');
    expect(l.sets[0]).toMatchObject({ name: 'foobar', revision: 2, sizeInMemory: 16592, complete: true, header: { family: 'inet', hashsize: 1024, maxelem: 65536 } });
    expect(l.sets[0].entries).toBeUndefined();
    expect(members(l, 'foobar')).toEqual(['192.168.1.2,tcp:8080', '192.168.1.1,udp:53']);
  });

  it('4.x: old type names and Bindings are kept as sets of an unknown type', () => {
    const text = 'Name: blacklist\nType: iphash\nReferences: 1\nDefault binding: \nHeader: hashsize: 1024 probes: 8 resize: 50\nMembers:\n192.0.2.1\n192.0.2.2\n\nBindings:\n\n';
    const l = parseIpset(text, 'ipset_-L');
    expect(l.sets[0]).toMatchObject({ name: 'blacklist', type: 'iphash', references: 1, header: { hashsize: 1024 } });
    expect(members(l, 'blacklist')).toEqual(['192.0.2.1', '192.0.2.2']);
  });
});

describe('cut and hostile input', () => {
  const full = fx('kube-proxy-ipvs.list');

  it('a listing cut inside a member list: that set is incomplete, the ones before are whole', () => {
    const cut = full.slice(0, full.indexOf('10.96.0.10,tcp:9153') + 5);
    const l = parseIpset(cut, 'ipset_list');
    expect(l.sets.map((s) => [s.name, s.complete])).toEqual([['KUBE-CLUSTER-IP', false]]);
    expect(setOf(l, 'KUBE-CLUSTER-IP').incomplete).toMatch(/cut/);
    // cut at a line end: the count says members are missing
    const atLine = full.slice(0, full.indexOf('10.103.7.21'));
    expect(setOf(parseIpset(atLine, 'x'), 'KUBE-CLUSTER-IP')).toMatchObject({ complete: false, incomplete: '3 of 5 members listed (the listing was cut)' });
    // cut after the header of the next set: that one has no members
    const header = full.slice(0, full.indexOf('Members:', full.indexOf('Name: KUBE-LOOP-BACK')));
    const h = parseIpset(header, 'x');
    expect(h.sets.map((s) => [s.name, s.complete])).toEqual([['KUBE-CLUSTER-IP', true], ['KUBE-LOOP-BACK', false]]);
  });

  it('a save cut mid-line: the set of the last line is incomplete', () => {
    const save = fx('kube-proxy-ipvs.save');
    const l = parseIpset(save.slice(0, save.indexOf('add KUBE-CLUSTER-IP 10.96.0.10,tcp:53') + 20), 'x');
    expect(setOf(l, 'KUBE-CLUSTER-IP').complete).toBe(false);
  });

  it('a file cut at its top: member lines with no set are skipped with a warning', () => {
    const tail = full.slice(full.indexOf('10.96.0.10,udp:53'));
    const l = parseIpset(tail, 'x');
    expect(l.sets[0].name).toBe('KUBE-LOOP-BACK');
    expect(l.warnings.map((w) => w.message)).toEqual(['4 line(s) before the first set (a file cut at its top?) skipped']);
    const save = parseIpset('add KUBE-CLUSTER-IP 10.96.0.1,tcp:443\ncreate x hash:ip family inet\nadd x 192.0.2.1\n', 'y');
    expect(save.sets.map((s) => [s.name, s.members?.length])).toEqual([['x', 1]]);
    expect(save.warnings[0].message).toMatch(/1 add line\(s\) for a set not created/);
  });

  it('garbage, empty text and member lines alone are no ipset output (a clean skip)', () => {
    for (const text of ['', '\n\n', 'hello world\nfoo: bar\n', '10.0.0.1\n10.0.0.2\n', '\u0000\u0001binary', 'Members:\n10.0.0.1\n'])
      expect(() => parseIpset(text, 'f')).toThrow(SkipFile);
  });

  it('huge lines are skipped with a warning, never parsed', () => {
    const text = `Name: a\nType: hash:ip\nHeader: family inet\nMembers:\n${'9'.repeat(100_000)}\n192.0.2.1\n${'x '.repeat(200_000)}\n`;
    const l = parseIpset(text, 'f');
    expect(members(l, 'a')).toEqual(['192.0.2.1']);
    expect(l.warnings.map((w) => w.line)).toEqual([5, 7]);
  });

  it('a set with a great many members and many sets parse in one pass', () => {
    const many = ['Name: big', 'Type: hash:ip', 'Header: family inet hashsize 1024 maxelem 1048576', 'Number of entries: 200000', 'Members:'];
    for (let i = 0; i < 200_000; i++) many.push(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    const l = parseIpset(many.join('\n') + '\n', 'f');
    expect(setOf(l, 'big')).toMatchObject({ complete: true });
    expect(setOf(l, 'big').members).toHaveLength(200_000);
    const sets: string[] = [];
    for (let i = 0; i < 20_000; i++) sets.push(`create s${i} hash:ip family inet`, `add s${i} 192.0.2.${i & 255}`);
    expect(parseIpset(sets.join('\n') + '\n', 'g').sets).toHaveLength(20_000);
  });
});

describe('sniffing and the registry', () => {
  it('list and save output are recognised; other formats are not', () => {
    for (const f of ['kube-proxy-ipvs.list', 'kube-proxy-ipvs.save', 'kube-proxy-ipvs.headers', 'options.list', 'calico.list']) expect(sniffIpset(fx(f).slice(0, 4096))).toBe(true);
    expect(sniffIpset('*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m set --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT\nCOMMIT\n')).toBe(false);
    expect(sniffIpset('Name: eth0\nType: ethernet\n')).toBe(false);
    expect(sniffIpset('net.ipv4.ip_forward = 1\n')).toBe(false);
  });

  it('only the ipset format claims ipset output', () => {
    for (const f of ['kube-proxy-ipvs.list', 'kube-proxy-ipvs.save', 'options.list']) {
      const head = fx(f).slice(0, 4096);
      expect(sniffableFormats().filter((x) => x.sniff!(head)).map((x) => x.id)).toEqual(['ipset']);
    }
    const spec = formatById('ipset');
    expect(spec.kind).toBe('ipsets');
    expect((spec.parse(fx('calico.list'), 'etc/sysconfig/ipset', { relPath: 'etc/sysconfig/ipset', savedConfig: true }) as IpsetList).savedConfig).toBe(true);
  });
});

describe('arbitrary text that looks like ipset output', () => {
  const KEYWORDS = [
    'Name: ', 'Type: ', 'hash:ip,port', 'hash:net', 'list:set', 'bitmap:port', 'Revision: 7\n', 'Header: ', 'family inet', ' inet6', ' timeout 300', ' counters', ' comment', ' netmask 24', 'range 0-65535',
    'Number of entries: 3\n', 'Members:\n', 'References: 1\n', 'Size in memory: 456\n', '10.96.0.1,tcp:443', '10.0.0.0/8', ' nomatch', ' packets 0 bytes 0', ' comment "x y"', ',eth0', ' wildcard', 'fd00::1', ',icmp:echo-request',
    'create s hash:net family inet\n', 'add s ', 'add t 1.2.3.4\n', 'flush\n', 'destroy s\n', '-exist ', '"', '\n', '\n\n', ' ', ':', ',', '/',
  ];
  const textish = fc.array(fc.oneof(fc.constantFrom(...KEYWORDS), fc.string({ maxLength: 30 })), { maxLength: 80 }).map((a) => a.join(''));

  it('records or a clean skip, never another error; the matcher built on it never throws', () => {
    fc.assert(
      fc.property(textish, (text) => {
        let list: IpsetList | undefined;
        try {
          list = parseIpset(text, 'fuzz');
        } catch (err) {
          if (!(err instanceof SkipFile)) throw err;
        }
        expect(typeof sniffIpset(text.slice(0, 4096))).toBe('boolean');
        if (!list) return;
        const decide = ipsetMatcher([list], { timeouts: 'as-listed' });
        for (const s of list.sets) {
          const r = decide(s.name, ['src', 'dst', 'src'], { src: '10.0.0.1', dst: '10.96.0.1', protocol: 'tcp', sport: 1, dport: 443, inInterface: 'eth0', outInterface: 'eth0', state: 'new', mark: 0 });
          expect([true, false, undefined]).toContain(r);
        }
      }),
      { numRuns: 500 },
    );
  });
});
