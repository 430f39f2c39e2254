/**
 * Log text made here and now by the real tools (iptables-legacy, iptables-nft, psql) in a
 * throw-away network namespace, scanned as a log: the catalog must recognise what these
 * binaries actually print, not what someone remembers them printing.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanLogText, type LogScanResult } from '../../src/logs/scanner.js';
import { canMakeNetns } from '../helpers/shared.js';

const ns = `bdlogs${process.pid}`;
const haveNetns = canMakeNetns();
const havePsql = spawnSync('psql', ['--version']).status === 0;

/** Output of a command run inside a namespace, stderr merged into stdout in the order written, as a transcript holds it. */
function inNs(args: string[], input?: string, env?: NodeJS.ProcessEnv, name = ns): string {
  const r = spawnSync('ip', ['netns', 'exec', name, 'sh', '-c', '"$@" 2>&1', 'sh', ...args], { input, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30_000 });
  return r.stdout;
}

/** Where in the transcript a line sits (1-based), to compare with what the scanner reports. */
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;
const ids = (r: LogScanResult) => r.matches.map((m) => `${m.line}:${m.signature}`);

describe.skipIf(!haveNetns)('messages of the real iptables binaries', () => {
  beforeAll(() => {
    execFileSync('ip', ['netns', 'add', ns]);
  });
  afterAll(() => {
    spawnSync('ip', ['netns', 'del', ns]);
  });

  it('legacy and nf_tables back ends: missing chains, unknown matches and options, failing restores', () => {
    let log = '';
    for (const bin of ['iptables-legacy', 'iptables-nft']) {
      log += inNs([bin, '-t', 'nat', '-A', 'DOCKER', '-p', 'tcp', '--dport', '8080', '-j', 'DNAT', '--to-destination', '172.17.0.2:80']);
      log += inNs([bin, '-t', 'filter', '-A', 'FORWARD', '-j', 'DOCKER']);
      log += inNs([bin, '-A', 'INPUT', '-m', 'nosuchmatch']);
      log += inNs([bin, '-A', 'INPUT', '-m', 'mark', '--xor-mark', '1']);
      log += inNs([bin, '-D', 'INPUT', '-p', 'tcp', '--dport', '53', '-j', 'ACCEPT']);
      log += inNs([bin, '-t', 'nosuchtable', '-L']);
    }
    log += inNs(['iptables-legacy-restore'], '*filter\n:INPUT ACCEPT [0:0]\n-A NOPE -j ACCEPT\nCOMMIT\n');
    log += inNs(['iptables-nft-restore'], '*filter\n-A INPUT -m comment --comment two words -j DROP\nCOMMIT\n');
    const r = scanLogText(log, 'transcript.log');

    // both back ends print the classic message for a rule into a missing chain
    expect(r.counts['log.iptables-no-chain']).toBe(2);
    // a jump to a missing chain: legacy cannot load the target, nf_tables says the chain does not exist
    expect(r.matches.find((m) => m.signature === 'log.iptables-couldnt-load-match' && m.facts.kind === 'target')?.facts).toMatchObject({ module: 'DOCKER', backend: 'legacy' });
    expect(r.matches.find((m) => m.signature === 'log.nf-tables-chain-missing')?.facts).toMatchObject({ chain: 'DOCKER', backend: 'nf_tables' });
    expect(r.matches.filter((m) => m.signature === 'log.iptables-couldnt-load-match' && m.facts.kind === 'match').map((m) => [m.facts.module, m.facts.backend])).toEqual([
      ['nosuchmatch', 'legacy'],
      ['nosuchmatch', 'nf_tables'],
    ]);
    expect(r.matches.filter((m) => m.signature === 'log.iptables-unknown-option').map((m) => [m.facts.option, m.facts.backend])).toEqual([
      ['--xor-mark', 'legacy'],
      ['--xor-mark', 'nf_tables'],
    ]);
    expect(r.counts['log.iptables-bad-rule']).toBe(2);
    expect(r.matches.filter((m) => m.signature === 'log.iptables-table-unavailable').map((m) => [m.facts.table, m.facts.backend])).toEqual([
      ['nosuchtable', 'legacy'],
      ['nosuchtable', 'nf_tables'],
    ]);
    const restores = r.matches.filter((m) => m.signature === 'log.iptables-restore-failed');
    expect(restores.map((m) => [m.line, m.facts.line])).toEqual([
      [lineOf(log, 'iptables-restore: line 3 failed'), '3'],
      [lineOf(log, 'Error occurred at line: 2'), '2'],
    ]);
    expect(r.matches.find((m) => m.signature === 'log.iptables-bad-argument')?.facts.argument).toBe('words');
  });

  it('rules left in the legacy tables: the nf_tables tools warn on every listing', () => {
    inNs(['iptables-legacy', '-A', 'INPUT', '-j', 'ACCEPT']);
    const log = inNs(['iptables-nft', '-L', '-n']) + inNs(['iptables-nft-save']);
    const r = scanLogText(log, 'iptables-nft.txt');
    expect(r.matches.filter((m) => m.signature === 'log.iptables-legacy-tables-present').map((m) => m.line)).toEqual([1, lineOf(log, 'use iptables-legacy-save to see them')]);
    inNs(['iptables-legacy', '-F', 'INPUT']);
  });

  it('another writer holding the xtables lock', async () => {
    // a private lock file, so that nobody else's iptables on this host waits for us
    const dir = mkdtempSync(join(tmpdir(), 'bdlogs-'));
    const lock = join(dir, 'xtables.lock');
    writeFileSync(lock, '');
    // its own process group, so that the sleep under flock ends with it
    const holder = spawn('flock', ['-x', lock, '-c', 'echo held; sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'], detached: true });
    try {
      await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
      const log = inNs(['iptables-legacy', '-w', '1', '-A', 'INPUT', '-j', 'ACCEPT'], undefined, { XTABLES_LOCKFILE: lock });
      const r = scanLogText(log, 'lock.txt');
      expect(r.matches.find((m) => m.signature === 'log.xtables-lock')).toMatchObject({ line: lineOf(log, 'Another app is currently holding the xtables lock'), facts: { waited: '1s' } });
    } finally {
      process.kill(-holder.pid!, 'SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!haveNetns || !havePsql)('what psql prints when the firewall is in the way', () => {
  beforeAll(() => {
    execFileSync('ip', ['netns', 'add', `${ns}p`]);
    const x = (...a: string[]) => execFileSync('ip', ['netns', 'exec', `${ns}p`, ...a]);
    x('ip', 'link', 'set', 'lo', 'up');
    x('ip', 'route', 'add', 'unreachable', '10.99.0.0/16');
    // the stock RHEL answer to anything not allowed, and a silent DROP
    x('iptables', '-A', 'OUTPUT', '-p', 'tcp', '--dport', '5433', '-j', 'REJECT', '--reject-with', 'icmp-host-prohibited');
    x('iptables', '-A', 'OUTPUT', '-p', 'tcp', '--dport', '5434', '-j', 'DROP');
    // one SYN retry: the kernel gives up after ~3 s instead of ~2 min
    x('sysctl', '-qw', 'net.ipv4.tcp_syn_retries=1');
  });
  afterAll(() => {
    spawnSync('ip', ['netns', 'del', `${ns}p`]);
  });

  const inP = (host: string, port: number) => inNs(['psql', '-h', host, '-p', String(port), '-U', 'app', '-w', '-d', 'app'], undefined, undefined, `${ns}p`);

  it('refused, no route (unreachable route and REJECT icmp-host-prohibited), timed out (DROP)', () => {
    const log = [inP('localhost', 5432), inP('10.99.0.5', 5432), inP('127.0.0.1', 5433), inP('127.0.0.1', 5434)].join('');
    const r = scanLogText(log, 'api/psql.log', { source: { container: 'api' } });
    expect(r.matches.map((m) => [m.signature, m.line, m.endLine, m.facts.host, m.facts.port, m.container])).toEqual([
      ['log.connection-refused', 1, 2, 'localhost', '5432', 'api'],
      ['log.no-route-to-host', 3, 4, '10.99.0.5', '5432', 'api'],
      ['log.no-route-to-host', 5, 6, '127.0.0.1', '5433', 'api'],
      ['log.connection-timed-out', 7, 8, '127.0.0.1', '5434', 'api'],
    ]);
    expect(r.matches[0].facts.address).toBe('127.0.0.1');
    expect(ids(r)).toHaveLength(4);
  });
});
