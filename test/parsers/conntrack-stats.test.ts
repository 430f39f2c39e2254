/**
 * conntrack statistics in the shapes bundles hold them (test/fixtures/conntrack/SOURCES.md):
 * - old `conntrack -S` (conntrack-tools 1.4.4, a total): kubernetes/kubernetes#56903, KIVagant 2018-05-31;
 * - per-CPU `conntrack -S`: weaveworks/weave#3287 (dcowden 2018-05-10, insert_failed 92 + 107),
 *   concourse/concourse#4153 (kallisti5 2019-12-02), and conntrack 1.4.7 on kernel 6.18 run here in a netns;
 * - /proc/net/stat/nf_conntrack of kernel 6.18 (`entries  clashres found ...`), read here in a netns,
 *   idle and with the namespace's table filled (early_drop).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { projectPath } from '../helpers/shared.js';
import { ParseError, SkipFile } from '../../src/model/source.js';
import { nonZero, parseConntrackS, parseConntrackStats, parseProcNetStatConntrack, sniffConntrackS, sniffConntrackStats, sniffProcNetStatConntrack } from '../../src/parsers/conntrack-stats.js';

const fx = (name: string) => readFileSync(projectPath('test', 'fixtures', 'conntrack', name), 'utf8');

describe('old conntrack -S (1.4.4: one total, name<TAB><TAB>value)', () => {
  const text = fx('k8s56903-conntrack-S-1.4.4.txt');
  const s = parseConntrackS(text, 'conntrack-S.txt');

  it('reads the one total with its lines, past the $ kubectl line', () => {
    expect(s.source).toBe('conntrack-S');
    expect(s.shape).toBe('total');
    expect(s.cpus).toHaveLength(1);
    expect(s.cpus[0].cpu).toBeUndefined();
    expect(s.ref).toEqual({ file: 'conntrack-S.txt', line: 2 });
    expect(s.totals.entries).toBe(90);
    expect(s.totals.insert_failed).toBe(0);
    expect(s.totals.drop).toBe(0);
    expect(s.totals.early_drop).toBe(0);
    expect(s.totals.all.found).toBe(3774748);
    expect(s.totals.all.search_restart).toBe(0);
  });

  it('names icmp_error error, as conntrack-tools 1.4.5+ does', () => {
    expect(s.totals.error).toBe(0);
    expect('icmp_error' in s.totals.all).toBe(false);
  });

  it('keeps the tool error printed after the counters as a warning', () => {
    expect(s.error?.message).toMatch(/must be root or get CAP_NET_ADMIN/);
    expect(s.error?.ref.line).toBe(19);
    expect(s.warnings.some((w) => w.line === 19)).toBe(true);
  });

  it('is sniffed as conntrack -S', () => {
    expect(sniffConntrackS(text)).toBe(true);
    expect(sniffConntrackStats(text)).toBe(true);
    expect(sniffProcNetStatConntrack(text)).toBe(false);
  });

  it('a conntrack -S that printed only its error is a parse error, not silence', () => {
    const only = 'conntrack v1.4.4 (conntrack-tools): Operation failed: sorry, you must be root or get CAP_NET_ADMIN capability to do this\n';
    expect(() => parseConntrackS(only, 'x')).toThrow(ParseError);
    expect(() => parseConntrackS('net.ipv4.ip_forward = 1\n', 'x')).toThrow(SkipFile);
  });
});

describe('per-CPU conntrack -S (1.4.5+)', () => {
  it('weave#3287: insert_failed per CPU, summed, with the lines that are not zero', () => {
    const s = parseConntrackS(fx('weave3287-conntrack-S.txt'), 'w');
    expect(s.shape).toBe('per-cpu');
    expect(s.cpus.map((c) => c.cpu)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(s.listings).toHaveLength(1);
    expect(s.totals.insert_failed).toBe(199);
    expect(s.totals.drop).toBe(0);
    expect(s.totals.entries).toBeUndefined();
    expect(nonZero(s, 'insert_failed').map((c) => [c.cpu, c.ref.line, c.counters.insert_failed])).toEqual([
      [0, 1, 92],
      [1, 2, 107],
    ]);
    expect(s.cpus[0].excerpt).toMatch(/^cpu=0 {3}\tsearched=630288/);
  });

  it('concourse#4153: a kernel that counts no inserts, insert_failed 0, invalid 338', () => {
    const s = parseConntrackS(fx('concourse4153-conntrack-S.txt'), 'c');
    expect(s.cpus).toHaveLength(8);
    expect(s.totals.insert_failed).toBe(0);
    expect(s.totals.invalid).toBe(338);
    expect(s.totals.all.ignore).toBe(2185350 + 2148703 + 2122309 + 2055852 + 2120821 + 2120860 + 2122838 + 2373314);
  });

  it('conntrack 1.4.7 on kernel 6.18 (made here): clash_resolve and chaintoolong', () => {
    const s = parseConntrackStats(fx('conntrack-S-1.4.7-netns.txt'), 'n');
    expect(s.source).toBe('conntrack-S');
    expect(s.cpus).toHaveLength(2);
    expect(s.totals.clash_resolve).toBe(0);
    expect(s.totals.all.chaintoolong).toBe(0);
    expect(sniffConntrackStats(fx('conntrack-S-1.4.7-netns.txt'))).toBe(true);
  });

  it('two snapshots in one file (conntrack -S; ...; conntrack -S, made here) are two listings; totals are the last', () => {
    const s = parseConntrackS(fx('conntrack-S-1.4.7-netns-twice-rising.txt'), 'r');
    expect(s.listings).toHaveLength(2);
    expect(s.listings[0].early_drop).toBe(65533);
    expect(s.listings[1].early_drop).toBe(246396 + 146810);
    expect(s.totals).toBe(s.listings[1]);
    expect(s.cpus.map((c) => [c.listing, c.cpu, c.ref.line])).toEqual([
      [0, 0, 1],
      [0, 1, 2],
      [1, 0, 3],
      [1, 1, 4],
    ]);
    expect(nonZero(s, 'early_drop').map((c) => c.ref.line)).toEqual([3, 4]);
    expect(nonZero(s, 'early_drop', 0).map((c) => c.ref.line)).toEqual([2]);
  });
});

describe('/proc/net/stat/nf_conntrack (hex, columns by the header)', () => {
  it('kernel 6.18, idle: entries is the namespace count, not summed over the rows', () => {
    const text = fx('proc-net-stat-nf_conntrack-6.18.txt');
    expect(sniffProcNetStatConntrack(text)).toBe(true);
    expect(sniffConntrackS(text)).toBe(false);
    const s = parseProcNetStatConntrack(text, 'proc/net/stat/nf_conntrack');
    expect(s.source).toBe('proc-stat');
    expect(s.cpus.map((c) => [c.cpu, c.ref.line])).toEqual([
      [0, 2],
      [1, 3],
    ]);
    expect(s.totals.entries).toBe(6);
    expect(s.totals.insert_failed).toBe(0);
    // the 6.x header's clashres and chainlength under the netlink names
    expect(s.totals.clash_resolve).toBe(0);
    expect('chaintoolong' in s.totals.all).toBe(true);
    expect(s.totals.error).toBe(0);
  });

  it('kernel 6.18, table filled: entries 0x3fffe, early_drop 0xfffd on the second CPU', () => {
    const s = parseConntrackStats(fx('proc-net-stat-nf_conntrack-6.18-table-full.txt'), 'p');
    expect(s.source).toBe('proc-stat');
    expect(s.totals.entries).toBe(262142);
    expect(s.totals.early_drop).toBe(65533);
    expect(nonZero(s, 'early_drop').map((c) => [c.cpu, c.ref.line])).toEqual([[1, 3]]);
  });

  it('is not mistaken for other files', () => {
    const sysctl = readFileSync(projectPath('test', 'fixtures', 'conntrack', 'sysctl-netns-table-full.txt'), 'utf8');
    expect(sniffConntrackStats(sysctl)).toBe(false);
    expect(sniffConntrackStats('0:\tfrom all lookup local\n32766:\tfrom all lookup main\n')).toBe(false);
    expect(() => parseProcNetStatConntrack(sysctl, 'x')).toThrow(SkipFile);
  });
});
