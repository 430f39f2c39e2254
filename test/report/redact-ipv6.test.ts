/**
 * --redact ips and IPv6: one token per address whatever its spelling, subnets that stay readable
 * (a prefix token shared by a network and its addresses), and no fragment of an address left where
 * a log excerpt was cut inside one. Text: dockerd's log lines of a dual-stack host (real messages,
 * the addresses as a ticket had them) and real `ip addr` lines.
 */
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { Redactor } from '../../src/report/redact.js';
import { writeFolder } from '../helpers/archive.js';

const red = () => new Redactor({ ips: true, hostnames: false });
const DIAL = (addr: string) => `Dec 02 00:26:30 dualhost-01 dockerd[812]: time="2026-12-02T00:26:30.000000000Z" level=warning msg="dial tcp [${addr}]:5432: connect: connection refused"`;
const PROGRAMMING = 'Dec 02 00:26:10 dualhost-01 dockerd[812]: time="2026-12-02T00:26:10.412000000Z" level=error msg="Handler for POST /v1.47/containers/3f1c2d4e5a6b/start returned error: driver failed programming external connectivity on endpoint web (aa11bb22cc33dd44ee55ff66aa77bb88cc99dd00ee11ff22aa33bb44cc55dd66): (iptables failed: ip6tables --wait -t nat -A DOCKER -p tcp -d ::/0 --dport 8080 -j DNAT --to-destination [2a01:4f8c:17ab::2]:80 ! -i docker0: ip6tables: No chain/target/match by that name.\\n (exit status 1))"';

describe('IPv6 tokens', () => {
  it('one address, one token, however it is spelled', () => {
    const r = red();
    const out = ['FD00:DEAD:BEEF:0:0:0:0:2', 'fd00:dead:beef::2', 'fd00:dead:beef:0::2', 'fd00:dead:beef:0000:0000:0000:0000:0002'].map((a) => r.text(DIAL(a)));
    expect(new Set(out).size).toBe(1);
    expect(out[0]).toContain('dial tcp [ipv6-1::2]:5432');
    expect(r.summary.ips).toBe(1);
  });

  it('a network and its addresses share the prefix token, as IPv4 subnets do', () => {
    const r = red();
    expect(r.text('dial tcp [2001:db8:1::1]:5432: connect: connection refused (route fd00:dead:beef::/64 via 2001:db8:1::1)')).toBe('dial tcp [ipv6-1::1]:5432: connect: connection refused (route ipv6-2::/64 via ipv6-1::1)');
    expect(r.text('    inet6 fd00:dead:beef::1/64 scope global nodad ')).toBe('    inet6 ipv6-2::1/64 scope global nodad ');
    expect(r.text('    inet6 2001:db8:1::10/64 scope global nodad ')).toBe('    inet6 ipv6-1::10/64 scope global nodad ');
    // subnets of one site keep their subnet id: a /56 and the /64s in it
    expect(r.text('FLANNEL_IPV6_NETWORK=fd00:10:244::/56 FLANNEL_IPV6_SUBNET=fd00:10:244:3::1/64 cni0 fd00:10:244:1::1/64')).toBe('FLANNEL_IPV6_NETWORK=ipv6-3::/56 FLANNEL_IPV6_SUBNET=ipv6-3:3::1/64 cni0 ipv6-3:1::1/64');
    expect(r.text('    inet6 fe80::a46e:21ff:fef7:6f42/64 scope link ')).toBe('    inet6 ipv6-4::a46e:21ff:fef7:6f42/64 scope link ');
  });
});

describe('IPv6 fragments where an excerpt was cut', () => {
  it('the tail after an ellipsis, the head before one, and at the edge of the string, are masked', () => {
    const r = red();
    expect(r.text('endpoint web (aa11bb22cc33dd44ee55ff66aa…:4f8c:17ab::2]:80 ! -i docker0: ip6tables: No chain')).toBe('endpoint web (aa11bb22cc33dd44ee55ff66aa…ipv6-cut]:80 ! -i docker0: ip6tables: No chain');
    expect(r.text('…17ab::2]:80 ! -i docker0')).toBe('…ipv6-cut]:80 ! -i docker0');
    expect(r.text('--to-destination [2a01:4f8c:1…')).toBe('--to-destination [ipv6-cut…');
    expect(r.text('--to-destination [2a01:4f8c…')).toBe('--to-destination [ipv6-cut…');
    expect(r.text(':4f8c:17ab::2]:80 ! -i docker0')).toBe('ipv6-cut]:80 ! -i docker0');
    expect(r.text('-j DNAT --to-destination [2a01:4f8c:17...')).toBe('-j DNAT --to-destination [ipv6-cut...');
  });

  it('times, MAC addresses, ports and hex ids next to an ellipsis or an edge are kept', () => {
    const r = red();
    for (const keep of [
      '…00:26:10 dualhost-01 dockerd[812]: level=warning',
      'Dec 02 00:26:10.412…',
      '12:30:45',
      '…ac:11:00:02 brd ff:ff:ff:ff:ff:ff',
      'link/ether 02:42:ac:11:00:02',
      '(aa11bb22cc33dd44ee55ff66aa…',
      'connect: connection refused…',
      '…]:5432: connect',
      '…:8080',
    ]) expect(r.text(keep), keep).toBe(keep);
    expect(r.summary.ips).toBe(0);
  });

  it('a whole report: no part of the cut address survives, the time of the line does', async () => {
    const report = await analyzeBundle(writeFolder({ 'docker.log': `${PROGRAMMING}\n${DIAL('fd00:dead:beef::2')}\n`, hostname: 'dualhost-01\n' }, 'redact6-cut'));
    const text = JSON.stringify(red().value(report));
    expect(report.findings.length).toBeGreaterThan(0);
    for (const part of ['2a01', '4f8c', '17ab', 'fd00', 'dead:beef']) expect(text, part).not.toContain(part);
    expect(text).toContain('00:26:10');
  });
});
