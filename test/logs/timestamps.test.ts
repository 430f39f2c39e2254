import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { looksLikeLog, parseLogPrefix, parseTimestamp, yearHint } from '../../src/logs/timestamps.js';
import { corpusPath, hasCorpus, readCorpus } from '../helpers/shared.js';

/** Line `n` (1-based) of a corpus log. */
const corpusLine = (file: string, n: number) => readCorpus('logs', file).split('\n')[n - 1];

describe.skipIf(!hasCorpus)('timestamps and units of real log lines', () => {
  it('syslog: year from the context, unit and pid from the prefix', () => {
    const line = corpusLine('moby-16137-firewalld-centos7-dnat-no-chain.log', 1);
    expect(parseLogPrefix(line, { year: 2017 })).toMatchObject({
      timestamp: { iso: '2017-09-01T12:16:10.000Z', zoneless: true },
      host: 'PC4',
      unit: 'firewalld',
      pid: 11649,
    });
    expect(line.slice(parseLogPrefix(line).messageStart)).toMatch(/^2017-09-01 12:16:10 ERROR: COMMAND_FAILED/);
  });

  it('syslog without year: taken from dockerd\'s time="..." on the same line, else guessed and flagged', () => {
    const line = corpusLine('moby-32349-dockerd-inject-PREROUTING-no-chain.log', 1);
    expect(parseTimestamp(line)).toEqual({ iso: '2017-04-04T14:50:32.000Z', epochMs: Date.UTC(2017, 3, 4, 14, 50, 32), zoneless: true });
    const bare = corpusLine('kube-proxy-25-ip6tables-restore-unknown-option-xor-mark.log', 1);
    const guessed = parseTimestamp(bare);
    expect(guessed?.yearless).toBe(true);
    expect(guessed?.iso.slice(4)).toBe('-02-17T11:12:14.000Z');
    expect(parseLogPrefix(bare)).toMatchObject({ unit: 'kube-proxy', pid: 9234, host: 'k8s-192-168-3-26' });
  });

  it('syslog with a CJK month (zh_CN locale) and a single-digit day', () => {
    const cjk = corpusLine('opsnull-217-flanneld-out-of-subnets.log', 5);
    expect(parseLogPrefix(cjk, { year: 2018 })).toMatchObject({ timestamp: { iso: '2018-04-25T18:07:49.000Z' }, host: 'localhost.localdomain', unit: 'flanneld', pid: 32050 });
    const padded = corpusLine('moby-32349-dockerd-inject-PREROUTING-no-chain.log', 5);
    expect(parseTimestamp(padded, { year: 2017 })?.iso).toBe('2017-04-04T14:50:33.000Z');
  });

  it('a unit without pid (flanneld:) and systemd units with dots', () => {
    expect(parseLogPrefix(corpusLine('flannel-1745-flannel-0.21-comment-quoting-bad-argument.log', 1))).toMatchObject({ host: 'node1', unit: 'flanneld' });
    expect(parseLogPrefix(corpusLine('hotsos-charmed-k8s-snap-kube-proxy-journal.log', 3))).toMatchObject({ unit: 'kube-proxy.daemon', pid: 23365 });
    expect(parseLogPrefix(corpusLine('kubernetes-57428-gke-configure-helper-xtables-lock.log', 13)).unit).toBe('configure-helper.sh');
  });

  it('klog: microseconds, no year, no zone', () => {
    const line = corpusLine('flannel-688-failed-to-acquire-lease-rbac.log', 1);
    expect(parseTimestamp(line, { year: 2017 })).toEqual({ iso: '2017-04-19T17:07:44.681Z', epochMs: Date.UTC(2017, 3, 19, 17, 7, 44, 681), zoneless: true, yearInferred: true });
    expect(parseLogPrefix(line).unit).toBeUndefined();
  });

  it('logrus with a level bracket and an offset; RFC 3339 with a space and no zone', () => {
    expect(parseTimestamp(corpusLine('docker-for-linux-1128-dockerd-nf_tables-chain-add-failed.log', 1))).toEqual({
      iso: '2020-10-12T16:35:17.020Z',
      epochMs: Date.UTC(2020, 9, 12, 16, 35, 17, 20),
      // the line's -05:00: its wall-clock time, which a zoneless copy of the line would print
      offsetMinutes: -300,
    });
    expect(parseTimestamp(corpusLine('docker-for-linux-1104-firewalld-docker-isolation-stage-no-chain.log', 1))).toEqual({
      iso: '2020-09-09T10:48:01.000Z',
      epochMs: Date.UTC(2020, 8, 9, 10, 48, 1),
      zoneless: true,
    });
    // etcd's capnslog inside flanneld's output
    expect(parseTimestamp(corpusLine('flannel-905-vxlan-operation-not-supported.log', 3))?.iso).toBe('2017-12-18T09:45:07.678Z');
  });

  it('journalctl header gives the year; lines without any time give nothing', () => {
    expect(yearHint(corpusLine('hotsos-charmed-k8s-snap-kube-proxy-journal.log', 1))).toBe(2022);
    expect(yearHint(corpusLine('hotsos-charmed-k8s-snap-kube-proxy-journal.log', 2))).toBeUndefined();
    expect(parseTimestamp(corpusLine('moby-22805-ipv4-forwarding-disabled-warning.log', 19))).toBeUndefined();
    // dmesg seconds since boot are not a time of day
    expect(parseTimestamp(corpusLine('kubernetes-83063-kube-firewall-console-input-policy-drop.log', 1))).toBeUndefined();
  });
});

describe('timestamps of formats made by real tools', () => {
  it('RFC 5424 and RFC 3164 as util-linux logger writes them', () => {
    const before = Date.now();
    const rfc5424 = spawnStderr(['--socket-errors=off', '-s', '--rfc5424', '-t', 'kubelet', '--id=1304', 'E1124 probe']);
    expect(rfc5424).toMatch(/^<13>1 \d{4}-\d\d-\d\dT/);
    const p = parseLogPrefix(rfc5424);
    expect(p).toMatchObject({ unit: 'kubelet', pid: 1304 });
    expect(Math.abs(p.timestamp!.epochMs - before)).toBeLessThan(60_000);
    expect(p.timestamp!.zoneless).toBeUndefined();
    expect(rfc5424.slice(p.messageStart)).toBe('E1124 probe');

    const rfc3164 = spawnStderr(['--socket-errors=off', '-s', '--rfc3164', '-t', 'dockerd', '--id=981', 'probe']);
    expect(rfc3164).toMatch(/^<13>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d /);
    const q = parseLogPrefix(rfc3164, { year: new Date(before).getUTCFullYear() });
    expect(q).toMatchObject({ unit: 'dockerd', pid: 981 });
    // syslog time is local time; the machine running the tests may not be on UTC
    expect(Math.abs(q.timestamp!.epochMs - before)).toBeLessThan(15 * 3600_000);
  });

  it('journalctl short-iso, short-precise and short-full prefixes', () => {
    expect(parseLogPrefix('2022-02-11T19:03:31+0000 juju-110cc2-k8stest-4 systemd[1]: Started Service.')).toMatchObject({
      timestamp: { iso: '2022-02-11T19:03:31.000Z' },
      unit: 'systemd',
      pid: 1,
    });
    expect(parseTimestamp('Feb 11 19:03:31.472695 juju-4 kube-proxy.daemon[23328]: x', { year: 2022 })?.iso).toBe('2022-02-11T19:03:31.472Z');
    expect(parseLogPrefix('Fri 2022-02-11 19:03:31 UTC juju-4 systemd[1]: Started x.')).toMatchObject({ timestamp: { iso: '2022-02-11T19:03:31.000Z' }, unit: 'systemd' });
  });

  it('log lines quoted with a little indentation still parse; deep blank runs are not searched', () => {
    const quoted = '    May 20 13:01:14 firewall-node-1 kernel: TRACE: filter:INPUT:rule:3 IN=lo';
    const p = parseLogPrefix(quoted, { year: 2019 });
    expect(p).toMatchObject({ timestamp: { iso: '2019-05-20T13:01:14.000Z' }, host: 'firewall-node-1', unit: 'kernel' });
    expect(quoted.slice(p.messageStart)).toBe('TRACE: filter:INPUT:rule:3 IN=lo');
    expect(parseLogPrefix(`${'\t'.repeat(100_000)}May 20 13:01:14 h kernel: x`)).toEqual({ messageStart: 0 });
    expect(parseLogPrefix('\tIs the server running on host "db" and accepting')).toEqual({ messageStart: 0 });
  });

  it('Go log, CRI and JSON lines; impossible dates are not timestamps', () => {
    expect(parseTimestamp('2026/11/22 07:00:01 http: TLS handshake error from 10.0.0.1:4431: EOF')).toMatchObject({ iso: '2026-11-22T07:00:01.000Z', zoneless: true });
    expect(parseTimestamp('2026-11-22T07:00:01.123456789Z stderr F I1122 07:00:01.123456       1 main.go:212] Starting flannel')?.iso).toBe('2026-11-22T07:00:01.123Z');
    expect(parseTimestamp('{"log":"x\\n","stream":"stderr","time":"2026-11-22T07:00:01.5+02:00"}')?.iso).toBe('2026-11-22T05:00:01.500Z');
    expect(parseTimestamp('Feb 30 10:00:00 host unit: x', { year: 2026 })).toBeUndefined();
    expect(parseTimestamp('Feb 29 10:00:00 host unit: x', { year: 2024 })?.iso).toBe('2024-02-29T10:00:00.000Z');
    expect(parseTimestamp('2026-13-01T00:00:00Z x')).toBeUndefined();
    expect(parseTimestamp('I1122 25:00:01.000123    1 x.go:1] x', { year: 2026 })).toBeUndefined();
  });

  it('the ISO time written out by hand is what Date writes, over random valid times and zones', () => {
    let seed = 7;
    const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
    for (let i = 0; i < 20_000; i++) {
      const [y, mo, d, h, mi, s] = [1970 + rnd(8030), 1 + rnd(12), 1 + rnd(28), rnd(24), rnd(60), rnd(61)];
      const frac = rnd(3) === 0 ? undefined : String(rnd(1_000_000_000)).padStart(1 + rnd(9), '0').slice(0, 9);
      const zone = ['Z', '+02:00', '-0530', undefined][rnd(4)];
      const text = `${y}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}T${String(h).padStart(2, '0')}:${String(mi).padStart(2, '0')}:${String(s).padStart(2, '0')}${frac ? `.${frac}` : ''}${zone ?? ''} x`;
      const ts = parseTimestamp(text);
      expect(ts, text).toBeDefined();
      expect(ts!.iso, text).toBe(new Date(ts!.epochMs).toISOString());
    }
    const yearless = parseTimestamp('Nov 20 10:14:02.5 h app[1]: x', { year: 2026 })!;
    expect(yearless.iso).toBe(new Date(yearless.epochMs).toISOString());
  });

  it('dmesg -T has a wall time; plain dmesg (seconds since boot) has none', () => {
    const line = '[Fri Nov 20 09:57:11 2026] nf_conntrack: nf_conntrack: table full, dropping packet';
    const p = parseLogPrefix(line);
    expect(p.timestamp).toMatchObject({ iso: '2026-11-20T09:57:11.000Z', zoneless: true });
    expect(line.slice(p.messageStart)).toBe('nf_conntrack: nf_conntrack: table full, dropping packet');
    expect(parseTimestamp('[Tue Nov  3 01:02:03 2026] x')?.iso).toBe('2026-11-03T01:02:03.000Z');
    expect(parseTimestamp('[86231.117020] nf_conntrack: table full, dropping packet')).toBeUndefined();
    expect(parseTimestamp('[Fri Feb 30 09:57:11 2026] x')).toBeUndefined();
  });
});

/** What util-linux logger prints with -s (to stderr; there is no syslog socket to send it to here). */
function spawnStderr(args: string[]): string {
  return execFileSync('sh', ['-c', 'logger "$@" 2>&1', 'logger', ...args], { encoding: 'utf8' }).trim();
}

describe.skipIf(!hasCorpus)('looksLikeLog: is a file with a name that says nothing a log?', () => {
  const head = (text: string) => text.slice(0, 4096);

  it('yes for real journals and syslogs, also behind the command line that saved them', () => {
    const journal = readCorpus('logs', 'hotsos-charmed-k8s-snap-kube-proxy-journal.log');
    expect(looksLikeLog(head(journal))).toBe(true);
    expect(looksLikeLog(head(`$ journalctl -u snap.kube-proxy.daemon --no-pager\n${journal}`))).toBe(true);
    // a pasted excerpt that is more commands than log lines is not; the flat layout still scans it
    expect(looksLikeLog(head(readCorpus('logs', 'k0s-5328-iptables-mode-detection-nft.log')))).toBe(false);
  });

  it('no for every command output of the corpus: rules, addresses, sysctl, docker networks, flannel', () => {
    for (const dir of ['iptables-save', 'iptables-list', 'ip-addr', 'sysctl', 'docker-network', 'flannel']) {
      for (const f of readdirSync(corpusPath(dir))) expect(looksLikeLog(head(readCorpus(dir, f))), `${dir}/${f}`).toBe(false);
    }
  });

  it('indented continuation lines (stack traces, err=<) do not count against a log; a cut last line is not read', () => {
    const trace = ['2026-11-20T10:00:00Z panic: boom', '\tgoroutine 1 [running]:', '\tmain.go:12 +0x1d', '\tmain.go:40 +0x2a'];
    expect(looksLikeLog([...trace, ...trace, ...trace, ''].join('\n'))).toBe(true);
    expect(looksLikeLog('Nov 20 10:00:00 h a: x\nNov 20 10:00:01 h a: y\nNov 20 10:00:02 h a: z\nno newline after this')).toBe(true);
    expect(looksLikeLog('Nov 20 10:00:00 h a: x\nplain\nplain\nplain\nplain\n')).toBe(false);
    expect(looksLikeLog('')).toBe(false);
  });
});
