/**
 * `iptables -L` fragments: rows without their `Chain X (...)` line, as a ticket pastes a grep of the
 * listing (`iptables -t raw -nvL | grep 2181`). They are read as rules of a chain not shown
 * (FRAGMENT_CHAIN), and the ruleset is marked `truncated`: it is no complete table, and no analyzer
 * may conclude from it that a chain is missing or empty.
 *
 * The listings below are the REAL iptables v1.8.9 (nf_tables) binary's (Debian 12), made in a
 * network namespace: `iptables-restore` of Docker 28's raw PREROUTING DROPs and filter chains for a
 * container at 10.1.215.5:2181, then `iptables -t raw -L -v -n` and `iptables -L -n -v`, grepped.
 * (This iptables prints protocol numbers, `6`; the ticket's older one printed `tcp`.)
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import dockerChainMissing from '../../analyzers/iptables-docker-chain-missing.js';
import kubeChainsMissing from '../../analyzers/iptables-kube-chains-missing.js';
import dockerMasqueradeMissing from '../../analyzers/iptables-docker-masquerade-missing.js';
import { FRAGMENT_CHAIN, FRAGMENT_NOTE, parseIptablesList, sniffIptablesListFragment } from '../../src/netfilter/list-format.js';
import { parseDockerInfo } from '../../src/parsers/docker-info.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { SkipFile } from '../../src/model/source.js';
import { projectPath } from '../helpers/shared.js';
import { runNode } from '../analyzers/helpers.js';

/** `iptables -t raw -L -v -n` (real) */
const RAW_L = [
  'Chain PREROUTING (policy ACCEPT 0 packets, 0 bytes)',
  ' pkts bytes target     prot opt in     out     source               destination         ',
  '    0     0 DROP       6    --  !docker0 *       0.0.0.0/0            10.1.215.5           tcp dpt:2181',
  '    0     0 DROP       6    --  !docker0 *       0.0.0.0/0            10.1.215.6           tcp dpt:8080',
  '',
  'Chain OUTPUT (policy ACCEPT 0 packets, 0 bytes)',
  ' pkts bytes target     prot opt in     out     source               destination         ',
  '',
].join('\n');
/** `iptables -L -n -v | grep docker0` of the same namespace (real): rows of DOCKER and DOCKER-FORWARD, no Chain line */
const FILTER_GREP = [
  '    0     0 ACCEPT     6    --  !docker0 docker0  0.0.0.0/0            10.1.215.5           tcp dpt:2181',
  '    0     0 DROP       0    --  !docker0 docker0  0.0.0.0/0            0.0.0.0/0           ',
  '    0     0 DOCKER     0    --  *      docker0  0.0.0.0/0            0.0.0.0/0           ',
  '    0     0 ACCEPT     0    --  docker0 *       0.0.0.0/0            0.0.0.0/0           ',
  '',
].join('\n');
/** moby/moby#49792, verbatim: the reporter's grep of the raw table (iptables 1.8.x with `tcp`), a legacy warning, and the nc that timed out */
const TICKET = readFileSync(projectPath('test/fixtures/direct-routing/moby-49792/iptables-raw.txt'), 'utf8');

describe('rows without their Chain line', () => {
  it("the ticket's `iptables -t raw -L -v -n | grep 2181`: one DROP of the raw table, chain not shown, counters kept, table from the command line", () => {
    const rs = parseIptablesList(TICKET, 'iptables-raw.txt', { fragments: true });
    expect(rs.truncated).toEqual({ note: FRAGMENT_NOTE });
    expect(Object.keys(rs.tables)).toEqual(['raw']);
    expect(Object.keys(rs.tables.raw.chains)).toEqual([FRAGMENT_CHAIN]);
    const [r, ...rest] = rs.tables.raw.chains[FRAGMENT_CHAIN].rules;
    expect(rest).toEqual([]);
    expect(r).toMatchObject({ table: 'raw', chain: FRAGMENT_CHAIN, target: 'DROP', protocol: { value: 'tcp' }, inInterface: { value: 'docker0', negated: true }, destination: { value: '10.1.215.5/32' }, counters: { packets: 33, bytes: 1980 }, ref: { file: 'iptables-raw.txt', line: 3 } });
    expect(r.matches).toEqual(expect.arrayContaining([expect.objectContaining({ module: 'tcp' })]));
    expect(rs.tables.raw.chains[FRAGMENT_CHAIN].builtin).toBe(false);
    expect(rs.legacyTablesPresent).toEqual({ file: 'iptables-raw.txt', line: 2 });
    expect(rs.warnings).toEqual([{ file: 'iptables-raw.txt', line: 3, message: 'rows without a "Chain" line: read as rules of a chain not shown (raw table), not as a complete table' }]);
  });

  it('a real grep of the real listing reads as the same rule the full listing has (but in no known chain)', () => {
    const full = parseIptablesList(RAW_L, 'raw-L.txt', { table: 'raw' });
    const grepped = RAW_L.split('\n').filter((l) => l.includes('2181')).join('\n') + '\n';
    const frag = parseIptablesList(grepped, 'raw-grep.txt', { table: 'raw', fragments: true });
    const strip = ({ ref: _r, chain: _c, num: _n, ...rest }: Record<string, unknown>) => rest;
    expect(strip(frag.tables.raw.chains[FRAGMENT_CHAIN].rules[0] as never)).toEqual(strip(full.tables.raw.chains.PREROUTING.rules[0] as never));
    expect(full.truncated).toBeUndefined();
    // kept the column header: read by it
    const withHeader = parseIptablesList(RAW_L.split('\n').filter((l) => /pkts|2181/.test(l)).slice(1).join('\n'), 'h.txt', { table: 'raw', fragments: true });
    expect(withHeader.tables.raw.chains[FRAGMENT_CHAIN].rules.map((r) => r.destination?.value)).toEqual(['10.1.215.5/32']);
  });

  it('a filter-table grep: every row, jumps kept as targets; the caller naming the chain still wins', () => {
    const frag = parseIptablesList(FILTER_GREP, 'filter-grep.txt', { fragments: true });
    expect(Object.keys(frag.tables)).toEqual(['filter']);
    expect(frag.tables.filter.chains[FRAGMENT_CHAIN].rules.map((r) => `${r.target} ${r.inInterface?.negated ? '!' : ''}${r.inInterface?.value ?? '*'} ${r.outInterface?.value ?? '*'}`)).toEqual(['ACCEPT !docker0 docker0', 'DROP !docker0 docker0', 'DOCKER * docker0', 'ACCEPT docker0 *']);
    const named = parseIptablesList(FILTER_GREP, 'f.txt', { chain: 'DOCKER' });
    expect(named.truncated).toBeUndefined();
    expect(named.tables.filter.chains.DOCKER.rules).toHaveLength(4);
  });

  it('sniffing a pasted grep: the iptables -L command line, then a row; not a full listing, not iptables-save, not rows alone', () => {
    expect(sniffIptablesListFragment(TICKET)).toBe(true);
    expect(sniffIptablesListFragment(`$ sudo iptables -nvL | grep docker0\n${FILTER_GREP}`)).toBe(true);
    expect(sniffIptablesListFragment(`root@node:~# ip6tables -t nat -L -n -v --line-numbers | grep 8080\n${FILTER_GREP}`)).toBe(true);
    expect(sniffIptablesListFragment(FILTER_GREP)).toBe(false);
    expect(sniffIptablesListFragment(`# iptables -t raw -L -v -n\n${RAW_L}`)).toBe(false);
    expect(sniffIptablesListFragment(`# iptables-save | grep 2181\n-A PREROUTING -d 10.1.215.5/32 ! -i docker0 -p tcp -m tcp --dport 2181 -j DROP\n`)).toBe(false);
    expect(sniffIptablesListFragment(`$ iptables -t nat -A POSTROUTING -j MASQUERADE\n${FILTER_GREP}`)).toBe(false);
  });

  it('only when asked (`fragments`): by default such text is skipped, as before', () => {
    expect(() => parseIptablesList(TICKET, 'iptables-raw.txt')).toThrow(SkipFile);
    expect(() => parseIptablesList(FILTER_GREP, 'f.txt')).toThrow(SkipFile);
  });

  it('no rows, no rules: text that is not a listing is still skipped', () => {
    expect(() => parseIptablesList('nc: connect to 10.1.215.5 port 2181 (tcp) failed: Connection timed out\n', 'nc.txt', { fragments: true })).toThrow(SkipFile);
  });
});

describe('no analyzer concludes a chain is missing from a fragment', () => {
  const docker = parseDockerInfo(readFileSync(projectPath('test/fixtures/direct-routing/moby-49792/docker-info.txt'), 'utf8'), 'docker-info.txt');
  const ipFile = 'test/fixtures/direct-routing/moby-49792-full/ip-a.txt';
  const ip = parseInterfaces(readFileSync(projectPath(ipFile), 'utf8'), 'ip-a.txt');
  /** the real `iptables -L -n -v` of a filter table without Docker's chains: FORWARD's rows are the grep's first */
  const COMPLETE = [
    'Chain INPUT (policy ACCEPT 0 packets, 0 bytes)',
    ' pkts bytes target     prot opt in     out     source               destination         ',
    '',
    'Chain FORWARD (policy DROP 0 packets, 0 bytes)',
    ' pkts bytes target     prot opt in     out     source               destination         ',
    FILTER_GREP.split('\n')[0],
    '',
    'Chain OUTPUT (policy ACCEPT 0 packets, 0 bytes)',
    ' pkts bytes target     prot opt in     out     source               destination         ',
    '',
  ].join('\n');

  it("control: a COMPLETE filter listing without Docker's chains, Docker 28 running with docker0: iptables.docker-chain-missing is critical", () => {
    const f = runNode(dockerChainMissing, { iptables: [parseIptablesList(COMPLETE, 'filter.txt', { table: 'filter' })], dockerDaemon: [docker], ipAddr: [ip] });
    expect(f.map((x) => x.severity)).toEqual(['critical']);
  });

  it('the same rows, or the ticket\'s, as a fragment: no missing-chain finding (the truncated mark is what stops it)', () => {
    for (const text of [FILTER_GREP, COMPLETE.split('\n').filter((l) => /2181/.test(l)).join('\n'), TICKET]) {
      const rs = parseIptablesList(text, 'iptables-grep.txt', { fragments: true });
      const a = { iptables: [rs], dockerDaemon: [docker], ipAddr: [ip] };
      expect(runNode(dockerChainMissing, a)).toEqual([]);
      expect(runNode(dockerMasqueradeMissing, a)).toEqual([]);
      expect(runNode(kubeChainsMissing, a)).toEqual([]);
    }
    // without the mark (and without the row that jumps to DOCKER, which proves the chain): a listing of some
    // rows still cannot show the chain missing: one info, no flush
    const unmarked = parseIptablesList(FILTER_GREP.split('\n').filter((l) => !/ DOCKER /.test(l)).join('\n'), 'iptables-grep.txt', { fragments: true });
    delete unmarked.truncated;
    const f = runNode(dockerChainMissing, { iptables: [unmarked], dockerDaemon: [docker], ipAddr: [ip] });
    expect(f.map((x) => x.severity)).toEqual(['info']);
  });
});
