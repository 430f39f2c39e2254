/**
 * Sniffers of hand-made bundles on the text the tools really print: systemd indents list-units by
 * its `●` column, procps right-aligns PID, `ip -br addr` has no header at all.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sniffSystemctl, parseSystemctlText, findService, isActive } from '../../src/parsers/services.js';
import { sniffInterfaces } from '../../src/parsers/interfaces.js';
import { sniffPs } from '../../src/parsers/dockerd-flags.js';
import { sniffListeningSockets } from '../../src/parsers/listening.js';
import { projectPath } from '../helpers/shared.js';

const fx = (...p: string[]) => readFileSync(projectPath('test/fixtures', ...p), 'utf8');

describe('systemctl sniff', () => {
  it('list-units with its two-space "  UNIT" header (the reviewer\'s folder, sos fixtures)', () => {
    const text = fx('hosts/cilium-kpr-healthy/ip-172-31-20-15/systemctl_list-units.txt');
    expect(text.startsWith('  UNIT ')).toBe(true);
    expect(sniffSystemctl(text)).toBe(true);
    expect(sniffSystemctl(readFileSync(projectPath('bundles/src/healthy-docker-k8s/sosreport-k8s-node-3-2026-11-20-ticket4714/sos_commands/systemd/systemctl_list-units'), 'utf8'))).toBe(true);
    expect(isActive(findService([parseSystemctlText(text, 'l')], 'kubelet'))?.ref.line).toBe(3);
  });

  it('list-unit-files (no indent), and unit lines printed with --no-legend', () => {
    expect(sniffSystemctl(fx('hosts/docker-iptables-false-cmdline/web-01/systemctl_list-unit-files.txt'))).toBe(true);
    expect(sniffSystemctl('  containerd.service loaded active running containerd container runtime\n  kubelet.service    loaded active running kubelet: The Kubernetes Node Agent\n')).toBe(true);
    expect(sniffSystemctl('docker.service enabled enabled\nufw.service enabled enabled\n')).toBe(true);
  });

  it('is not taken for a log or notes that name units', () => {
    expect(sniffSystemctl('Nov 20 10:14:02 host systemd[1]: Started docker.service.\nNov 20 10:14:03 host systemd[1]: Stopped kubelet.service.\n')).toBe(false);
    expect(sniffSystemctl('restarted docker.service at 10:00\nkubelet.service loaded fine\n')).toBe(false);
  });
});

describe('other sniffers on real output', () => {
  it('ip -br addr (no header) is ip addr; ip -br link is not', () => {
    expect(sniffInterfaces(fx('iproute2/ip_-br_addr'))).toBe(true);
    expect(sniffInterfaces('lo               UNKNOWN        00:00:00:00:00:00 <LOOPBACK,UP,LOWER_UP> \nifb0             DOWN           0e:95:f3:fe:d2:29 <BROADCAST,NOARP> \n')).toBe(false);
  });

  it('ps with right-aligned PID first (ps -eo pid,args), ps aux, ps -ef', () => {
    expect(sniffPs('    PID COMMAND\n      1 /sbin/init splash\n    812 /usr/bin/dockerd -H fd://\n')).toBe(true);
    expect(sniffPs(fx('hosts/docker-iptables-false-cmdline/web-01/ps_auxwww.txt'))).toBe(true);
    expect(sniffPs('UID          PID    PPID  C STIME TTY          TIME CMD\nroot           1       0  0 Nov20 ?        00:00:09 /sbin/init\n')).toBe(true);
  });

  it('ss and netstat headers as iproute2 and net-tools print them', () => {
    for (const f of ['ss_-ltnp', 'ss_-tunlp', 'netstat_-ltnp']) expect(sniffListeningSockets(fx('iproute2/sockets', f)), f).toBe(true);
  });
});
