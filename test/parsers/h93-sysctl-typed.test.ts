/**
 * H93: sysctl values typed as commands (`sysctl key=value`, `sysctl -w key=value`, at a prompt or alone) are runtime
 * settings (src/parsers/sysctl.ts typedAssignments / parseSysctlText / sniffSysctlText).
 * Real text: containers/netavark#1470 (https://github.com/containers/netavark/issues/1470) types
 * `sysctl net.ipv4.ip_unprivileged_port_start=53` (the R27 06 case folder's sysctl-w.txt, read in place when present);
 * the `sysctl -w` output and error lines below were produced by H93 with the real binary (procps-ng) in the
 * namespace h93x (deleted): `sysctl -w net.ipv4.ip_forward=1` prints `net.ipv4.ip_forward = 1`; run as nobody,
 * `sysctl -w net.ipv4.ip_unprivileged_port_start=53` prints `sysctl: permission denied on key "net.ipv4.ip_unprivileged_port_start"`.
 */
import { describe, expect, it } from 'vitest';
import { parseSysctlText, runtimeValue, sniffSysctlText, typedAssignments } from '../../src/parsers/sysctl.js';


describe('typed sysctl assignments', () => {
  it("netavark#1470's line alone: sniffed as sysctl text, the value is the runtime one with its line, marked typed", () => {
    const text = 'sysctl net.ipv4.ip_unprivileged_port_start=53\n';
    expect(sniffSysctlText(text)).toBe(true);
    const r = parseSysctlText(text, 'sysctl-w.txt');
    const [v] = runtimeValue([r], 'net.ipv4.ip_unprivileged_port_start');
    expect(v).toMatchObject({ value: '53', ref: { file: 'sysctl-w.txt', line: 1 }, excerpt: 'sysctl net.ipv4.ip_unprivileged_port_start=53', typed: true });
  });

  it("procps-ng 4's refusal (`ignoring: Read-only file system`, a comma after the key, exit 0) undoes the typed value (R31 c09)", () => {
    // the transcript R31 made: the read-back says 0, the typed -w was refused (procps-ng 4.0.4's wording)
    const text = [
      'root@web1:~# sysctl net.ipv4.ip_forward',
      'net.ipv4.ip_forward = 0',
      'root@web1:~# sysctl -w net.ipv4.ip_forward=1',
      'sysctl: setting key "net.ipv4.ip_forward", ignoring: Read-only file system',
      '',
    ].join('\n');
    expect(sniffSysctlText(text)).toBe(true);
    const r = parseSysctlText(text, 'sysctl.txt');
    expect(runtimeValue([r], 'net.ipv4.ip_forward').map((v) => [v.value, v.ref.line])).toEqual([['0', 2]]);
    // an error that names no key: the typed line above it failed as a whole
    expect(() => parseSysctlText('$ sysctl -w net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=2\nsysctl: permission denied\n', 'sysctl.txt')).toThrow(/no key = value lines/);
  });

  it('-w, sudo, prompts, several keys, a quoted value, a path to the binary, a trailing comment', () => {
    expect(typedAssignments('$ sudo sysctl -w net.ipv4.ip_forward=1')).toEqual([{ key: 'net.ipv4.ip_forward', value: '1' }]);
    expect(typedAssignments('[root@n1 ~]# /sbin/sysctl -q -w net.ipv4.ip_local_port_range="1024 65000" net.ipv4.ip_forward=1')).toEqual([
      { key: 'net.ipv4.ip_local_port_range', value: '1024 65000' },
      { key: 'net.ipv4.ip_forward', value: '1' },
    ]);
    expect(typedAssignments('user@host:~$ sysctl --write net/ipv4/conf/all/rp_filter=2')).toEqual([{ key: 'net.ipv4.conf.all.rp_filter', value: '2' }]);
    expect(typedAssignments('sysctl -w net.ipv4.ip_forward=1   # for the pods')).toEqual([{ key: 'net.ipv4.ip_forward', value: '1' }]);
  });

  it('not assignments: reads, -p, --system, echo into a file, prose', () => {
    for (const l of ['sysctl net.ipv4.ip_forward', 'sysctl -p', 'sudo sysctl --system', 'echo net.ipv4.ip_forward=1 >> /etc/sysctl.conf', 'I ran sysctl -w net.ipv4.ip_forward=1 yesterday', 'sysctl -a | grep forward'])
      expect(typedAssignments(l), l).toBeUndefined();
  });

  it("the command and sysctl's own output line: both give the value, the output line (later) stands", () => {
    const r = parseSysctlText('$ sudo sysctl -w net.ipv4.ip_forward=1\nnet.ipv4.ip_forward = 1\n', 'paste.txt');
    expect(r.values.get('net.ipv4.ip_forward')).toMatchObject({ value: '1', ref: { line: 2 }, excerpt: 'net.ipv4.ip_forward = 1' });
    expect(r.values.get('net.ipv4.ip_forward')?.typed).toBeUndefined();
  });

  it('an assignment sysctl refused (its error line under it) sets nothing', () => {
    const text = '$ sysctl -w net.ipv4.ip_unprivileged_port_start=53\nsysctl: permission denied on key "net.ipv4.ip_unprivileged_port_start"\n$ sudo sysctl -w net.ipv4.ip_forward=1\nnet.ipv4.ip_forward = 1\n';
    const r = parseSysctlText(text, 'paste.txt');
    expect(r.values.has('net.ipv4.ip_unprivileged_port_start')).toBe(false);
    expect(r.values.get('net.ipv4.ip_forward')?.value).toBe('1');
  });

  it('sysctl output reading is unchanged (`sysctl net.ipv4.ip_forward net.ipv4.ip_unprivileged_port_start net.ipv4.conf.all.rp_filter` run by H93 in the namespace h93x, deleted)', () => {
    const dump = 'net.ipv4.ip_forward = 1\nnet.ipv4.ip_unprivileged_port_start = 1024\nnet.ipv4.conf.all.rp_filter = 0\n';
    expect(sniffSysctlText(dump)).toBe(true);
    const r = parseSysctlText(dump, 'sysctl_-a');
    expect(r.values.get('net.ipv4.ip_unprivileged_port_start')).toMatchObject({ value: '1024', ref: { line: 2 } });
    expect(r.values.get('net.ipv4.ip_unprivileged_port_start')?.typed).toBeUndefined();
  });
});
