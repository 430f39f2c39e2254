/**
 * `bundle-doctor trace` with IPv6 addresses, on the dual-stack Docker host made in namespaces
 * (test/fixtures/ipv6, real ip a / ip -6 route / ip6tables-save): the IPv6 rules are walked, the
 * interfaces come from the IPv6 addresses and routes, net.ipv6.conf.all.forwarding = 0 drops a
 * forward, `[addr]:port/proto` and a bare address (ICMPv6) are accepted, and mixed families are a
 * one-line usage error. The CLI runs in-process (main()).
 */
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { formatTrace, traceBundle } from '../../src/engine/trace-bundle.js';
import { readFolder, writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const HEALTHY = projectPath('test/fixtures/ipv6/docker-dualstack-healthy');
const REJECT = projectPath('test/fixtures/ipv6/docker-dualstack-forward6-reject');

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

describe('trace: IPv6 packets through a bundle', () => {
  it('a container to the outside over IPv6: forwarded by Docker 28 chains, masqueraded; interfaces from the IPv6 addresses and routes', async () => {
    const t = await traceBundle(HEALTHY, { src: 'fd00:dead:beef::2', dst: '2001:db8:ffff::10', dport: 443, protocol: 'tcp', state: 'new' });
    expect(t.path).toBe('forward');
    expect(t.request).toMatchObject({ inInterface: 'docker0', outInterface: 'eth0' });
    expect(t.verdict.kind).toBe('ACCEPT');
    expect(t.decidedBy).toMatchObject({ table: 'filter', chain: 'DOCKER-FORWARD', file: 'ip6tables-save.txt' });
    expect(t.packet.snat).toEqual({ masquerade: true });
    expect(t.rulesFrom).toEqual(['ip6tables-save.txt']);
    expect(t.steps.every((s) => s.file === 'ip6tables-save.txt')).toBe(true);
  });

  it("the published port over IPv6: DNAT to [fd00:dead:beef::2]:80 from the node's address in any spelling", async () => {
    const t = await traceBundle(HEALTHY, { src: '2001:db8:1::1', dst: '2001:DB8:1:0::10', dport: 8080, protocol: 'tcp', state: 'new' });
    expect(t.pathReason).toMatch(/DNAT rewrote the destination to fd00:dead:beef::2:80, which the node forwards/);
    expect(t.packet).toMatchObject({ dst: 'fd00:dead:beef::2', dport: 80, outInterface: 'docker0' });
    expect(t.verdict.kind).toBe('ACCEPT');
    expect(t.decidedBy).toMatchObject({ chain: 'DOCKER', num: 1 });
  });

  it('the reply of a masqueraded IPv6 connection comes back to the uplink address; the REJECT of an admin is found with its line', async () => {
    const back = await traceBundle(HEALTHY, { src: '2001:db8:ffff::10', dst: 'fd00:dead:beef::2', dport: 40000, protocol: 'tcp', state: 'established' });
    expect(back.inferred.join('\n')).toMatch(/arrives addressed to 2001:db8:1::10 \(the address of eth0\)/);
    expect(back.verdict.kind).toBe('ACCEPT');
    const t = await traceBundle(REJECT, { src: 'fd00:dead:beef::2', dst: '2001:db8:ffff::10', dport: 443, protocol: 'tcp', state: 'new' });
    expect(t.verdict).toEqual({ kind: 'REJECT', with: 'icmp6-adm-prohibited' });
    expect(formatTrace(t)).toMatch(/^verdict: REJECT \(icmp6-adm-prohibited\) by filter\/FORWARD rule 1 \(ip6tables-save\.txt:\d+\)$/m);
  });

  it('net.ipv6.conf.all.forwarding = 0: the kernel drops the forward (the IPv4 switch says nothing of it)', async () => {
    const files = readFolder(HEALTHY);
    files['sysctl-a.txt'] = files['sysctl-a.txt'].replace('net.ipv6.conf.all.forwarding = 1', 'net.ipv6.conf.all.forwarding = 0');
    const dir = writeFolder(files, 'dualstack-v6-forwarding-off');
    const t = await traceBundle(dir, { src: 'fd00:dead:beef::2', dst: '2001:db8:ffff::10', dport: 443, protocol: 'tcp', state: 'new' });
    expect(t.verdict.kind).toBe('DROP');
    expect(t.forwarding).toMatchObject({ key: 'net.ipv6.conf.all.forwarding', value: '0', netfilter: { verdict: { kind: 'ACCEPT' } } });
    const v4 = await traceBundle(dir, { src: '172.17.0.2', dst: '198.51.100.10', dport: 443, protocol: 'tcp', state: 'new' });
    expect(v4.forwarding).toBeUndefined();
  });

  it('neighbour discovery: an INPUT that drops ICMPv6 is reported beside the verdict, which assumes the neighbour is known', async () => {
    const files = readFolder(HEALTHY);
    // filter INPUT (the first INPUT of the dump; nat's comes later): policy DROP, ssh accepted, nothing for ICMPv6
    files['ip6tables-save.txt'] = files['ip6tables-save.txt'].replace(/:INPUT ACCEPT \[\d+:\d+\]/, ':INPUT DROP [0:0]').replace(/(:DOCKER-USER - \[0:0\]\n)/, '$1-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n');
    const dir = writeFolder(files, 'dualstack-input-drop');
    const t = await traceBundle(dir, { src: 'fd00:dead:beef::2', dst: 'fd00:dead:beef::1', dport: 22, protocol: 'tcp', state: 'new' });
    expect(t.verdict.kind).toBe('ACCEPT');
    expect(t.neighbourDiscovery).toMatchObject({ target: 'fd00:dead:beef::1', verdict: { kind: 'DROP' }, decidedBy: { chain: 'INPUT', num: 0 } });
    expect(formatTrace(t)).toMatch(/^neighbour discovery: a neighbour solicitation from fd00:dead:beef::2 for fd00:dead:beef::1 \(ICMPv6 135\) gets DROP by filter\/INPUT policy/m);
    // the healthy host accepts it: nothing said
    expect((await traceBundle(HEALTHY, { src: 'fd00:dead:beef::2', dst: 'fd00:dead:beef::1', dport: 22, protocol: 'tcp', state: 'new' })).neighbourDiscovery).toBeUndefined();
  });

  it('the CLI: [addr]:port/proto, a bare address for ICMPv6, the IPv4 syntax unchanged; exit 0', async () => {
    const r = await cli(['trace', HEALTHY, '--src', 'fd00:dead:beef::2', '--dst', '[2001:db8:ffff::10]:443/tcp']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^node docker-dualstack-healthy: fd00:dead:beef::2 -> \[2001:db8:ffff::10\]:443\/tcp \(new\)$/m);
    expect(r.stdout).toMatch(/^verdict: ACCEPT by filter\/DOCKER-FORWARD rule 4 \(ip6tables-save\.txt:\d+\)$/m);
    const ping = await cli(['trace', HEALTHY, '--src', 'fd00:dead:beef::2', '--dst', '2001:db8:ffff::10', '--format', 'json']);
    expect(ping.code).toBe(0);
    expect(JSON.parse(ping.stdout).request).toMatchObject({ protocol: 'ipv6-icmp', dst: '2001:db8:ffff::10' });
    const udp = await cli(['trace', HEALTHY, '--src', 'fd00:dead:beef::2', '--dst', '[fd00:dead:beef::1]:53/udp', '--format', 'json']);
    expect(JSON.parse(udp.stdout)).toMatchObject({ path: 'input', request: { protocol: 'udp', dport: 53 } });
    const v4 = await cli(['trace', HEALTHY, '--src', '172.17.0.2', '--dst', '198.51.100.10:443/tcp']);
    expect(v4.code).toBe(0);
    expect(v4.stdout).toMatch(/\(iptables-save\.txt:\d+\)/);
    expect(v4.stdout).not.toMatch(/ip6tables-save/);
  });

  it('usage errors: mixed families, an impossible IPv6 address, a port on icmp; one line, exit 2, nothing traced', async () => {
    const cases: [string, string, RegExp][] = [
      ['172.17.0.2', '[fd00:dead:beef::2]:80/tcp', /^bundle-doctor: --src 172\.17\.0\.2 is IPv4 but --dst fd00:dead:beef::2 is IPv6: a packet has one address family/],
      ['fd00:dead:beef::2', '10.0.0.21:5432/tcp', /--src fd00:dead:beef::2 is IPv6 but --dst 10\.0\.0\.21 is IPv4/],
      ['fd00::2', 'fd00::1::2', /--dst: fd00::1::2 is not an IPv6 address/],
      ['fd00::g', '[fd00::1]:80/tcp', /--src must be an IPv4 or IPv6 address, not 'fd00::g'/],
      ['fd00::2', '[fd00::1]:70000/tcp', /--dst: port 70000 is not 1-65535/],
      ['fd00::2', '[fd00::1]:80/icmp', /--dst: icmp has no ports/],
      ['fd00::2', '[fd00::1]80/tcp', /--dst must look like 172\.17\.0\.1:5432\/tcp or \[fd00::2\]:5432\/tcp/],
    ];
    for (const [src, dst, why] of cases) {
      const r = await cli(['trace', HEALTHY, '--src', src, '--dst', dst]);
      expect(r.code, `${src} ${dst}`).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')[0]).toMatch(why);
    }
  });
});
