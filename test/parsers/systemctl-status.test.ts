/**
 * `systemctl status` output (a hand-made ticket's `systemctl status docker`, sos's
 * systemctl_status_--all): the unit, its unit-file state from Loaded:, its run state from Active:,
 * and systemctl's "could not be found" for a unit the host does not have. Text as systemd 249-255
 * prints it (● active, ○ inactive, × failed; journal lines follow each block).
 */
import { describe, expect, it } from 'vitest';
import { findService, isActive, isEnabled, parseSystemctlText, sniffSystemctl } from '../../src/parsers/services.js';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';

const DOCKER = `● docker.service - Docker Application Container Engine
     Loaded: loaded (/lib/systemd/system/docker.service; enabled; vendor preset: enabled)
     Active: active (running) since Fri 2026-11-20 10:00:00 UTC; 2h 3min ago
TriggeredBy: ● docker.socket
       Docs: https://docs.docker.com
   Main PID: 981 (dockerd)
      Tasks: 12
     Memory: 51.2M
        CPU: 1.204s
     CGroup: /system.slice/docker.service
             └─981 /usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock

Nov 20 10:00:00 host1 dockerd[981]: time="2026-11-20T10:00:00.118Z" level=info msg="API listen on /run/docker.sock"
`;
const ALL = `${DOCKER}
× firewalld.service - firewalld - dynamic firewall daemon
     Loaded: loaded (/usr/lib/systemd/system/firewalld.service; enabled; preset: enabled)
     Active: failed (Result: exit-code) since Fri 2026-11-20 09:59:58 UTC; 2h 3min ago
   Main PID: 702 (code=exited, status=1/FAILURE)

○ iptables.service - IPv4 firewall with iptables
     Loaded: loaded (/usr/lib/systemd/system/iptables.service; disabled; preset: disabled)
     Active: inactive (dead)

● nftables.service
     Loaded: masked (Reason: Unit nftables.service is masked.)
     Active: inactive (dead)
`;

describe('systemctl status', () => {
  it('one unit: enabled and active (running), at its Active: line', () => {
    const l = parseSystemctlText(DOCKER, 'systemctl-status-docker.txt');
    expect(l.services).toEqual([
      { unit: 'docker.service', enabled: 'enabled', active: 'active', sub: 'running', ref: { file: 'systemctl-status-docker.txt', line: 3 }, excerpt: 'Active: active (running) since Fri 2026-11-20 10:00:00 UTC; 2h 3min ago' },
    ]);
    expect(isActive(findService([l], 'docker'))).toBeDefined();
    expect(isEnabled(findService([l], 'docker'))).toBeDefined();
  });

  it('--all: failed, inactive, masked; journal lines between blocks are no units', () => {
    const l = parseSystemctlText(ALL, 'sos_commands/systemd/systemctl_status_--all');
    expect(l.services.map((s) => [s.unit, s.enabled, s.active, s.sub])).toEqual([
      ['docker.service', 'enabled', 'active', 'running'],
      ['firewalld.service', 'enabled', 'failed', undefined],
      ['iptables.service', 'disabled', 'inactive', 'dead'],
      ['nftables.service', 'masked', 'inactive', 'dead'],
    ]);
  });

  it('a unit the host does not have', () => {
    const l = parseSystemctlText('Unit docker.service could not be found.\n', 'systemctl-docker-status.txt');
    expect(l.services).toMatchObject([{ unit: 'docker.service', enabled: 'not-found', active: 'inactive', ref: { line: 1 } }]);
    expect(isEnabled(l.services)).toBeUndefined();
    expect(isActive(l.services)).toBeUndefined();
  });

  it('is sniffed; a log or an ip addr is not', () => {
    expect(sniffSystemctl(DOCKER)).toBe(true);
    expect(sniffSystemctl('Unit docker.service could not be found.\n')).toBe(true);
    expect(sniffSystemctl('Nov 20 10:00:00 host1 dockerd[981]: Loaded: nothing\n')).toBe(false);
    expect(sniffSystemctl('2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500\n    inet 10.0.0.5/24 scope global eth0\n')).toBe(false);
  });

  it('in a hand-made ticket: docker.service active makes the node a container host', async () => {
    const r = await analyzeBundle(writeFolder({ 'sysctl.txt': 'net.ipv4.ip_forward = 0\n', 'systemctl-status-docker.txt': DOCKER }, 'host1'));
    const f = r.findings.find((x) => x.id === 'sysctl.ip-forward-disabled')!;
    expect(f.severity).toBe('critical');
    expect(f.message).toMatch(/a container host: docker\.service active/);
  });
});
