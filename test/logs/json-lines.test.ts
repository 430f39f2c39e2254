/**
 * JSON log lines: docker's json-file writes `"time"` last (a long message pushes it out of the
 * line's head), and `journalctl -o json` gives time and writer in its own fields.
 */
import { describe, expect, it } from 'vitest';
import { scanLogText } from '../../src/logs/scanner.js';
import { parseLogPrefix } from '../../src/logs/timestamps.js';

// kube-flannel's json-file log (reviewer's s03, line 5): 348 characters, the time at the end
const FLANNEL_JSON =
  '{"log":"E1025 13:01:32.290769       1 iptables.go:115] Failed to ensure iptables rules: Error checking rule existence: failed to check rule existence: running [/sbin/iptables -t nat -C POSTROUTING ! -s 10.244.0.0/16 -d 10.244.0.0/16 -j MASQUERADE --random-fully --wait]: exit status -1:\\n","stream":"stderr","time":"2020-10-25T13:01:32.291122574Z"}';

// `journalctl -o json` of a Docker that does not start (reviewer's s06, line 1)
const JOURNAL_JSON =
  '{ "__CURSOR" : "s=349c8f9893984ef0bbf1231afb11ffd6;i=22f3;b=609e5a3fed2f4bf29a615ac88e229be0;m=433851ab40;t=55b4c5e6d7fe2;x=9a76f6fe9a046b28", "__REALTIME_TIMESTAMP" : "1507758443429858", "__MONOTONIC_TIMESTAMP" : "288707685184", "_BOOT_ID" : "609e5a3fed2f4bf29a615ac88e229be0", "_UID" : "0", "_GID" : "0", "_CAP_EFFECTIVE" : "3fffffffff", "_SYSTEMD_SLICE" : "system.slice", "_MACHINE_ID" : "a920d7234de74739945794b24bc9b558", "_HOSTNAME" : "ubuntu-2gb-ams3-01", "PRIORITY" : "3", "_TRANSPORT" : "stdout", "_PID" : "9008", "_COMM" : "dockerd", "_EXE" : "/usr/bin/dockerd", "_CMDLINE" : "/usr/bin/dockerd -H fd://", "_SYSTEMD_CGROUP" : "/system.slice/docker.service", "_SYSTEMD_UNIT" : "docker.service", "SYSLOG_IDENTIFIER" : "dockerd", "MESSAGE" : "failed to start daemon: error initializing graphdriver: driver not supported: overlay2" }';

describe("docker json-file: the time is the line's last field", () => {
  it('a line longer than the head still has its time', () => {
    expect(FLANNEL_JSON.length).toBeGreaterThan(300);
    expect(parseLogPrefix(FLANNEL_JSON).timestamp?.iso).toBe('2020-10-25T13:01:32.291Z');
    const r = scanLogText(FLANNEL_JSON, 'kube-flannel.log');
    expect(r.matches.find((m) => m.signature === 'log.flannel-iptables-failed')?.timestamp?.iso).toBe('2020-10-25T13:01:32.291Z');
    expect(r.firstTimestamp?.iso).toBe('2020-10-25T13:01:32.291Z');
  });

  it('a message of 20 KB (past the pattern window) keeps its time, as the first and last of the file', () => {
    const long = `{"log":"E1025 13:01:32.290769       1 iptables.go:115] Failed to ensure iptables rules: ${'x'.repeat(20_000)}\\n","stream":"stderr","time":"2020-10-25T13:01:32.291122574Z"}`;
    const r = scanLogText(`${long}\n${long}\n`, 'kube-flannel.log');
    expect(r.matches.map((m) => m.timestamp?.iso)).toEqual(['2020-10-25T13:01:32.291Z', '2020-10-25T13:01:32.291Z']);
    expect(r.firstTimestamp?.iso).toBe('2020-10-25T13:01:32.291Z');
    expect(r.lastTimestamp?.iso).toBe('2020-10-25T13:01:32.291Z');
  });

  it('a time quoted in the middle of a message is not the time of the line', () => {
    const quoted = `{"msg":"${'y'.repeat(400)} saw \\"time\\":\\"2019-01-01T00:00:00Z\\" ${'z'.repeat(200)}","level":"error"}`;
    expect(parseLogPrefix(quoted).timestamp).toBeUndefined();
  });
});

describe('journalctl -o json', () => {
  it('time from __REALTIME_TIMESTAMP (µs), writer from SYSLOG_IDENTIFIER: a Docker that does not start is found', () => {
    expect(parseLogPrefix(JOURNAL_JSON)).toMatchObject({ timestamp: { iso: '2017-10-11T21:47:23.429Z' }, unit: 'dockerd', pid: 9008, host: 'ubuntu-2gb-ams3-01' });
    const r = scanLogText(JOURNAL_JSON, 'journal.json');
    expect(r.matches.map((m) => [m.signature, m.unit, m.timestamp?.iso])).toEqual([['log.docker-start-failed', 'dockerd', '2017-10-11T21:47:23.429Z']]);
  });

  it('without SYSLOG_IDENTIFIER: _COMM, else the unit without .service', () => {
    const noTag = JOURNAL_JSON.replace('"SYSLOG_IDENTIFIER" : "dockerd", ', '');
    expect(parseLogPrefix(noTag).unit).toBe('dockerd');
    expect(parseLogPrefix(noTag.replace('"_COMM" : "dockerd", ', '')).unit).toBe('docker');
  });

  it('a docker json-file line quoting the field name is not a journal entry', () => {
    const line = '{"log":"saw \\"__REALTIME_TIMESTAMP\\" : \\"1507758443429858\\" in a dump\\n","stream":"stdout","time":"2020-10-25T13:01:32.291122574Z"}';
    expect(parseLogPrefix(line)).toEqual({ timestamp: expect.objectContaining({ iso: '2020-10-25T13:01:32.291Z' }), messageStart: 0 });
  });
});
