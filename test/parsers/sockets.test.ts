/**
 * Listening sockets (src/parsers/listening.ts) from ss and netstat as the real tools print them:
 * scripts/make-iproute2-fixtures.sh opens the same six sockets in a namespace and dumps them in
 * five forms (sosreport's `netstat -W -neopa` among them).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError, SkipFile } from '../../src/model/source.js';
import { parseListeningSockets, sniffListeningSockets, type ListeningSockets } from '../../src/parsers/listening.js';
import { canMakeNetns, projectPath } from '../helpers/shared.js';

const fixtureDir = projectPath('test/fixtures/iproute2/sockets');
const FILES = ['ss_-ltnp', 'ss_-tunlp', 'netstat_-ltnp', 'netstat_-tulpen', 'netstat_-W_-neopa'];
const read = (f: string, dir = fixtureDir) => readFileSync(join(dir, f), 'utf8');
const parse = (f: string, dir = fixtureDir) => parseListeningSockets(read(f, dir), f);
/** ss writes a dual-stack socket as `*`, netstat as `::`; both mean every address of both families. */
const endpoints = (l: ListeningSockets) => l.sockets.map((s) => `${s.proto} ${s.address === '*' ? '::' : s.address} ${s.port}`).sort();

describe('ss and netstat made by the real tools', () => {
  it('ss -tunlp: UDP and TCP, a device-bound address, IPv4, v6-only [::] and dual-stack *, with process and pid', () => {
    const l = parse('ss_-tunlp');
    expect(l.sockets.map((s) => [s.proto, s.address, s.port, s.process, s.pid, s.ref.line])).toEqual([
      ['udp', '127.0.0.53', 53, 'python3', 30584, 2],
      ['udp', '0.0.0.0', 8472, 'python3', 30584, 3],
      ['tcp', '127.0.0.1', 5432, 'python3', 30583, 4],
      ['tcp', '0.0.0.0', 10250, 'python3', 30584, 5],
      ['tcp', '::', 6443, 'python3', 30584, 6],
      ['tcp', '*', 22, 'python3', 30584, 7],
    ]);
    expect(l.sockets[2].excerpt).toBe(read('ss_-tunlp').split('\n')[3].trim());
  });

  it('ss -ltnp: the TCP four, State first', () => {
    expect(parse('ss_-ltnp').sockets.map((s) => [s.proto, s.address, s.port, s.pid, s.ref.line])).toEqual([
      ['tcp', '127.0.0.1', 5432, 30583, 2],
      ['tcp', '0.0.0.0', 10250, 30584, 3],
      ['tcp', '::', 6443, 30584, 4],
      ['tcp', '*', 22, 30584, 5],
    ]);
  });

  it('netstat -tulpen and -ltnp: tcp6 is tcp, :::22 is address :: port 22, PID/Program split', () => {
    const l = parse('netstat_-tulpen');
    expect(l.sockets.map((s) => [s.proto, s.address, s.port, s.process, s.pid, s.ref.line])).toEqual([
      ['tcp', '127.0.0.1', 5432, 'python3', 30583, 3],
      ['tcp', '0.0.0.0', 10250, 'python3', 30584, 4],
      ['tcp', '::', 6443, 'python3', 30584, 5],
      ['tcp', '::', 22, 'python3', 30584, 6],
      ['udp', '127.0.0.53', 53, 'python3', 30584, 7],
      ['udp', '0.0.0.0', 8472, 'python3', 30584, 8],
    ]);
    expect(parse('netstat_-ltnp').sockets.map((s) => [s.port, s.pid])).toEqual([
      [5432, 30583],
      [10250, 30584],
      [6443, 30584],
      [22, 30584],
    ]);
  });

  it('all five forms name the same endpoints', () => {
    const tcpOnly = ['ss_-ltnp', 'netstat_-ltnp'];
    const all = endpoints(parse('ss_-tunlp'));
    expect(all).toHaveLength(6);
    for (const f of FILES) {
      const want = tcpOnly.includes(f) ? all.filter((e) => e.startsWith('tcp')) : all;
      expect(endpoints(parse(f)), f).toEqual(want);
    }
  });

  it('sosreport netstat -W -neopa: the six sockets on the right lines, UNIX section ignored', () => {
    expect(parse('netstat_-W_-neopa').sockets.map((s) => [s.proto, s.port, s.ref.line])).toEqual([
      ['tcp', 5432, 3],
      ['tcp', 10250, 4],
      ['tcp', 6443, 5],
      ['tcp', 22, 6],
      ['udp', 53, 7],
      ['udp', 8472, 8],
    ]);
  });

  // The Timer column `off (0.00/0/0)` after PID/Program name hides the pid from the end-of-line pattern.
  it('netstat -W -neopa keeps the pid and program', () => {
    expect(parse('netstat_-W_-neopa').sockets[0]).toMatchObject({ process: 'python3', pid: 30583 });
  });

  it('sniff takes every form and refuses ip route and ip addr', () => {
    for (const f of FILES) expect(sniffListeningSockets(read(f)), f).toBe(true);
    expect(sniffListeningSockets(readFileSync(projectPath('test/fixtures/iproute2/ip_route_show_table_all'), 'utf8'))).toBe(false);
    expect(sniffListeningSockets(readFileSync(projectPath('test/fixtures/iproute2/ip_a'), 'utf8'))).toBe(false);
  });

  it.skipIf(!canMakeNetns())('the script, rerun now, opens and lists the same sockets', () => {
    const dir = mkdtempSync(join(tmpdir(), `bd-sockets-${process.pid}-`));
    try {
      execFileSync('bash', [projectPath('scripts/make-iproute2-fixtures.sh'), dir], { stdio: 'ignore', timeout: 30_000 });
      for (const f of FILES) {
        const live = parse(f, join(dir, 'sockets'));
        expect(endpoints(live), f).toEqual(endpoints(parse(f)));
        expect(live.sockets.filter((s) => s.pid !== undefined).map((s) => s.process), f).toEqual(live.sockets.filter((s) => s.pid !== undefined).map(() => 'python3'));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('established connections, other sockets and junk', () => {
  it('only LISTEN (and unconnected UDP) count; ESTAB and unix sockets do not', () => {
    const text = [
      'Netid State  Recv-Q Send-Q Local Address:Port   Peer Address:Port Process',
      'tcp   ESTAB  0      0        10.6.3.201:22      10.6.0.9:51000  users:(("sshd",pid=900,fd=4))',
      'u_str LISTEN 0      4096   /run/containerd/containerd.sock 21034 * 0 users:(("containerd",pid=700,fd=9))',
      'tcp   LISTEN 0      4096      10.6.3.201:10250        0.0.0.0:*     users:(("kubelet",pid=812,fd=20))',
    ].join('\n');
    expect(parseListeningSockets(text, 'ss').sockets.map((s) => [s.process, s.port, s.ref.line])).toEqual([['kubelet', 10250, 4]]);
  });

  it('text with no listening socket is skipped; binary and huge lines never throw anything else', () => {
    const inputs = ['', 'State  Recv-Q Send-Q Local Address:Port Peer Address:Port\n', Buffer.from(Array.from({ length: 65536 }, (_, i) => (i * 31) & 255)).toString('latin1'), `LISTEN 0 5 ${'1'.repeat(2_000_000)}:*`];
    for (const t of inputs) {
      try {
        parseListeningSockets(t, 'junk');
      } catch (err) {
        expect(err instanceof SkipFile || err instanceof ParseError).toBe(true);
      }
    }
    expect(() => parseListeningSockets('', 'e')).toThrow(SkipFile);
  });
});
