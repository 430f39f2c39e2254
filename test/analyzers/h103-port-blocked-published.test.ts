/**
 * iptables.port-blocked and the ports Docker publishes, on real rules (test/fixtures/h103-portmap/SOURCE.md:
 * moby's iptablesdoc usernet-portmap-lo at commit 6b52a16, `docker run --network bridge1 -p 127.0.0.1:8080:80`,
 * behind a hardened INPUT (policy DROP; lo, established, icmp, 22), loaded with iptables-restore and written
 * back with iptables-save in a network namespace; the same container also published on 10.20.0.5:9100 and on
 * 0.0.0.0 for 2222 and 25).
 *  - a port published on 127.0.0.1 is the host's own: not traced from the containers at all;
 *  - a port published on one host address (10.20.0.5) is traced to that address, not to the bridge's gateway;
 *  - ports only Docker's publishing names are one info finding for the node; a required port keeps its own critical one.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import portBlocked from '../../analyzers/iptables-port-blocked.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const fx = (name: string) => readFileSync(projectPath('test', 'fixtures', 'h103-portmap', name), 'utf8');
const rules = (name: string) => parseIptablesSave(fx(name), 'iptables-save.txt');
const IP = () => parseInterfaces(fx('ip_addr.txt'), 'ip_addr.txt');
const run = (name: string, required: number[] = []) => runNode(portBlocked, { iptables: [rules(name)], ipAddr: [IP()] }, 'h103-host', required);
const portsOf = (f: { facts?: Record<string, unknown> }) => (f.facts?.ports as { port: number; to: string[] }[]).map((p) => p.port);

describe('iptables.port-blocked: a port published on 127.0.0.1 (moby usernet-portmap-lo)', () => {
  it('healthy: -p 127.0.0.1:8080:80 behind a default-deny INPUT is not reported (no container and no other host can use it)', () => {
    expect(run('lo-input-drop.iptables-save')).toEqual([]);
  });

  it('fires: the same port required (--require-port 8080) is traced from the bridges and is dropped by the INPUT policy', () => {
    const [f, ...more] = run('lo-input-drop.iptables-save', [8080]);
    expect(more).toEqual([]);
    expect(f.severity).toBe('critical');
    // (bridge1, named by com.docker.network.bridge.name, is not one of the container networks the analyzer finds: docker0 is)
    expect(f.facts).toMatchObject({ port: 8080, to: ['172.17.0.1'], blockedBy: ['INPUT#0'], clientSees: 'timeout' });
    // the loopback DNAT is not cited as a reason: only the requirement is
    expect(f.evidence.some((e) => /-d 127\.0\.0\.1\/32 .* -j DNAT/.test(e.excerpt ?? ''))).toBe(false);
  });

  it('fires for the 0.0.0.0-published ports beside it, never for the loopback one', () => {
    const [f, ...more] = run('hostip-input-drop.iptables-save');
    expect(more).toEqual([]);
    expect(portsOf(f)).not.toContain(8080);
    expect(portsOf(f)).toEqual([25, 2222, 9100]);
  });
});

describe('iptables.port-blocked: a port published on one host address (-p 10.20.0.5:9100:9100)', () => {
  it('fires, traced to 10.20.0.5 (where a container reaches it), not to the bridges\' gateways', () => {
    const [f] = run('hostip-input-drop.iptables-save');
    const p9100 = (f.facts?.ports as { port: number; to: string[]; blockedBy: string[] }[]).find((p) => p.port === 9100)!;
    expect(p9100.to).toEqual(['10.20.0.5']);
    expect(p9100.blockedBy).toEqual(['INPUT#0']);
    expect(f.message).toMatch(/TCP 9100 to 10\.20\.0\.5 \(an address of this node\): dropped from 172\.17\.0\.0\/16 \(docker0\) by the INPUT policy/);
    expect(f.evidence).toContainEqual(expect.objectContaining({ excerpt: '-A DOCKER -d 10.20.0.5/32 ! -i bridge1 -p tcp -m tcp --dport 9100 -j DNAT --to-destination 192.0.2.2:9100', note: 'Docker publishes port 9100 on 10.20.0.5' }));
  });

  it('healthy: the same rules with INPUT policy ACCEPT say nothing, published or required', () => {
    expect(run('hostip-input-accept.iptables-save')).toEqual([]);
    expect(run('hostip-input-accept.iptables-save', [9100, 25])).toEqual([]);
  });
});

describe('iptables.port-blocked: a hardened host whose INPUT drops every published port', () => {
  it('fires ONE info finding for the node, listing the ports, with one remedy block (for the first port)', () => {
    const found = run('hostip-input-drop.iptables-save');
    expect(found).toHaveLength(1);
    const [f] = found;
    expect(f.severity).toBe('info');
    expect(f.title).toBe("Ports Docker publishes are closed to the containers through the host's address");
    expect(f.facts).toMatchObject({ publishedOnly: true, explainsLogLines: [] });
    expect(f.message).toMatch(/TCP 25, 2222 to the host's address on the container's own network: dropped from 172\.17\.0\.0\/16 \(docker0\) by the INPUT policy/);
    expect(f.message).toMatch(/Clients from other hosts reach them through Docker's DNAT/);
    expect(f.evidence[0]).toMatchObject({ file: 'iptables-save.txt', excerpt: ':INPUT DROP' });
    expect(f.remedy.summary).toMatch(/^Nothing to change unless a container connects to one of these ports through a host address\..*for port 25;/);
    expect(f.remedy.commands[0]).toBe('iptables -I INPUT 1 -i docker0 -p tcp --dport 25 -j ACCEPT');
    // one remedy block: no command for another port
    expect(f.remedy.commands.some((c) => /--dport (2222|9100)\b/.test(c))).toBe(false);
  });

  it('a required port keeps its own critical finding; the ports only the publishing names stay in the info one', () => {
    const found = run('hostip-input-drop.iptables-save', [25]);
    expect(found.map((f) => [f.severity, f.facts?.port])).toEqual([
      ['critical', 25],
      ['info', undefined],
    ]);
    expect(found[0].title).toBe('A port the application needs is blocked');
    expect(portsOf(found[1])).toEqual([2222, 9100]);
  });
});
