/**
 * iptables.docker-chain-missing for IPv6: Docker's ip6tables chains wiped (RHEL's ip6tables.service
 * restoring its stock /etc/sysconfig/ip6tables) while the IPv4 ones are intact. Only where Docker
 * manages ip6tables (the setting, Docker 28+'s chains, or dockerd calling ip6tables), its networks
 * use IPv6, and the bundle has a live ip6tables dump (test/fixtures/docker-ipv6).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import chainMissing from '../../analyzers/iptables-docker-chain-missing.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import type { DockerDaemonConfig } from '../../src/parsers/docker-daemon.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseDockerNetworks } from '../../src/parsers/docker-network-inspect.js';
import { parsePsDockerd } from '../../src/parsers/dockerd-flags.js';
import { parseSystemctlText } from '../../src/parsers/services.js';
import { projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const fx = (f: string) => readFileSync(projectPath('test/fixtures/docker-ipv6', f), 'utf8');
const v4 = () => parseIptablesSave(fx('iptables-save-docker27'), 'iptables-save.txt');
const v6 = (f: string) => parseIptablesSave(fx(f), 'ip6tables-save.txt', { family: 'ipv6' });
const PS = (flags: string) =>
  parsePsDockerd(`USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\nroot         812  0.4  2.1 2418932 86412 ?      Ssl  00:20   0:03 /usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock${flags}\n`, 'ps_auxwww');

function host(extra: Partial<NodeArtifacts>, ip6 = 'ip6tables-save-flushed'): NodeArtifacts {
  return {
    iptables: [v4(), v6(ip6)],
    ipAddr: [parseInterfaces(fx('ip_addr.txt'), 'ip_addr.txt')],
    dockerNetworks: [parseDockerNetworks(fx('docker_network_inspect_bridge.json'), 'docker_network_inspect_bridge.json')],
    ...extra,
  };
}

describe('iptables.docker-chain-missing: Docker\'s ip6tables chains flushed, the IPv4 ones intact', () => {
  it('the parsed dumps are what they say: IPv6 family, no DOCKER chain in the flushed one', () => {
    const rs = v6('ip6tables-save-flushed');
    expect(rs.family).toBe('ipv6');
    expect(Object.keys(rs.tables.filter.chains)).toEqual(['INPUT', 'FORWARD', 'OUTPUT']);
  });

  it('fires (critical) when dockerd runs with --ip6tables, naming IPv6 and saying IPv4 is intact', () => {
    const found = runNode(chainMissing, host({ dockerDaemon: [PS(' --ipv6 --ip6tables --fixed-cidr-v6 fd00:dead:beef::/64')] }));
    expect(found).toHaveLength(1);
    const [f] = found;
    expect(f.severity).toBe('critical');
    expect(f.title).toBe("Docker's ip6tables (IPv6) chains are missing");
    expect(f.message).toMatch(/its IPv4 \(iptables\) chains are intact, but its IPv6 \(ip6tables\) chains are missing: no DOCKER chain in the filter table/);
    expect(f.evidence[0]).toMatchObject({ file: 'ip6tables-save.txt', excerpt: 'ip6tables (IPv6): no DOCKER chain in the filter table' });
    expect(f.evidence.some((e) => e.note?.startsWith('Docker manages ip6tables (ip6tables true'))).toBe(true);
    expect(f.remedy.commands).toContain('systemctl restart docker');
    expect(f.remedy.commands.some((c) => c.startsWith('ip6tables -t nat -S DOCKER'))).toBe(true);
    expect(f.remedy.commands.some((c) => c.startsWith('iptables '))).toBe(false);
  });

  it('with ip6tables.service enabled, stops it first (its stop flushes the IPv6 rules), then restarts docker', () => {
    const services = [parseSystemctlText('UNIT FILE           STATE   VENDOR PRESET\ndocker.service      enabled disabled\nip6tables.service   enabled disabled\n', 'systemctl_list-unit-files')];
    const [f] = runNode(chainMissing, host({ dockerDaemon: [PS(' --ip6tables')], services }));
    expect(f.remedy.commands[0]).toMatch(/^systemctl disable ip6tables\.service && systemctl mask ip6tables\.service   # not --now/);
    expect(f.remedy.commands[1]).toBe('systemctl restart docker');
    expect(f.evidence.some((e) => /ip6tables\.service is enabled/.test(e.note ?? ''))).toBe(true);
  });

  it('daemon.json\'s "ip6tables": true counts, read where the daemon.json parser keeps it', () => {
    const daemonJson = { file: 'daemon.json', origin: 'daemon.json', ip6tables: { value: true, ref: { file: 'daemon.json', line: 4 } } } as DockerDaemonConfig;
    const [f] = runNode(chainMissing, host({ dockerDaemon: [daemonJson] }));
    expect(f.evidence.find((e) => e.file === 'daemon.json')).toMatchObject({ line: 4, excerpt: '"ip6tables": true' });
  });

  it('no setting, but Docker 28+ (DOCKER-FORWARD in its IPv4 rules): ip6tables is on by default, so it fires', () => {
    const docker28 = parseIptablesSave(readFileSync(projectPath('test/fixtures/netfilter/docker-direct-access/docker28-nat.iptables-save'), 'utf8'), 'iptables-save.txt');
    const [f] = runNode(chainMissing, { ...host({}), iptables: [docker28, v6('ip6tables-save-flushed')] });
    expect(f.title).toBe("Docker's ip6tables (IPv6) chains are missing");
    expect(f.evidence.some((e) => e.excerpt === 'chain DOCKER-FORWARD' && /Docker 28 or later/.test(e.note ?? ''))).toBe(true);
  });

  it('is silent on the healthy dual-stack host (Docker\'s chains in ip6tables too)', () => {
    expect(runNode(chainMissing, host({ dockerDaemon: [PS(' --ipv6 --ip6tables')] }, 'ip6tables-save-docker'))).toEqual([]);
  });

  it('is silent when Docker does not manage ip6tables: --ip6tables=false, or no setting and nothing showing Docker 27+ (Docker 26 did not by default)', () => {
    expect(runNode(chainMissing, host({ dockerDaemon: [PS(' --ipv6 --ip6tables=false')] }))).toEqual([]);
    expect(runNode(chainMissing, host({ dockerDaemon: [PS(' --ipv6 --fixed-cidr-v6 fd00:dead:beef::/64')] }))).toEqual([]);
    expect(runNode(chainMissing, host({}))).toEqual([]);
  });

  it('is silent when Docker\'s networks use no IPv6', () => {
    const ipAddr = [parseInterfaces(fx('ip_addr.txt').replace(/\n\s+inet6 fd00:dead:beef::1\/64 scope global nodad \n\s+valid_lft forever preferred_lft forever/, ''), 'ip_addr.txt')];
    expect(runNode(chainMissing, { ...host({ dockerDaemon: [PS(' --ip6tables')] }), ipAddr, dockerNetworks: [] })).toEqual([]);
  });

  it('without an ip6tables dump there is nothing to judge', () => {
    expect(runNode(chainMissing, { ...host({ dockerDaemon: [PS(' --ip6tables')] }), iptables: [v4()] })).toEqual([]);
  });
});
