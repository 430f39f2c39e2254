/**
 * sysctl.ip-forward-not-persistent without a runtime value: a CIS-hardening sysctl.d file sets
 * net.ipv4.ip_forward = 0 on a Docker host (moby/moby#47966: systemd-sysctl ran after dockerd at
 * boot and turned forwarding off). Said on a container host only, and the coverage says the
 * runtime value was not checked.
 */
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';

const CIS = '# CIS 3.1.1 Ensure IP forwarding is disabled\nnet.ipv4.ip_forward = 0\nnet.ipv6.conf.all.forwarding = 0\n';
const IP_A = `3: docker0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default
    link/ether 02:42:7a:1b:2c:3d brd ff:ff:ff:ff:ff:ff
    inet 172.17.0.1/16 brd 172.17.255.255 scope global docker0
       valid_lft forever preferred_lft forever
`;

describe('a sysctl.d file setting ip_forward = 0, no runtime value in the bundle', () => {
  it('on a Docker host: the warning, citing the file and line, and "ran in part"', async () => {
    const r = await analyzeBundle(writeFolder({ 'etc/sysctl.d/99-cis.conf': CIS, 'ip-addr.txt': IP_A }, 'docker-host'));
    const f = r.findings.find((x) => x.id === 'sysctl.ip-forward-not-persistent')!;
    expect(f.severity).toBe('warning');
    expect(f.message).toMatch(/sets net\.ipv4\.ip_forward to 0 on docker-host, a container host \(docker0 in ip addr\); the bundle has no runtime value/);
    expect(f.evidence[0]).toMatchObject({ file: 'etc/sysctl.d/99-cis.conf', line: 2 });
    const run = r.coverage.nodes[0].analyzers.find((a) => a.id === 'sysctl.ip-forward-not-persistent');
    expect(run?.reason).toMatch(/^ran in part: the runtime value was not checked/);
  });

  it('nothing shows a container host: silent', async () => {
    const r = await analyzeBundle(writeFolder({ 'etc/sysctl.d/99-cis.conf': CIS }, 'plain-host'));
    expect(r.findings.filter((x) => x.id === 'sysctl.ip-forward-not-persistent')).toEqual([]);
  });

  it('the runtime value 0 is ip-forward-disabled, not this', async () => {
    const r = await analyzeBundle(writeFolder({ 'etc/sysctl.d/99-cis.conf': CIS, 'ip-addr.txt': IP_A, 'sysctl.txt': 'net.ipv4.ip_forward = 0\n' }, 'docker-host-2'));
    expect(r.findings.map((x) => x.id)).toContain('sysctl.ip-forward-disabled');
    expect(r.findings.filter((x) => x.id === 'sysctl.ip-forward-not-persistent')).toEqual([]);
  });
});
