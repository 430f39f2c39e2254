import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import portBlocked from '../../analyzers/iptables-port-blocked.js';
import { scanLogText } from '../../src/logs/index.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseListeningSockets } from '../../src/parsers/listening.js';
import { projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const fx = (...p: string[]) => readFileSync(projectPath(...p), 'utf8');
const STOCK = () => parseIptablesSave(fx('bundles/src/docker-chains-flushed/sosreport-docker-host-01-2026-11-20-ticket4711/etc/sysconfig/iptables'), 'iptables-save');
const IP_A = () => parseInterfaces(fx('test/fixtures/iproute2/ip_a'), 'ip_a');

describe('iptables.port-blocked', () => {
  it('seed 002: the app cannot reach postgres on the docker0 address; the default-deny INPUT of a stock RHEL firewall is named', () => {
    const log = scanLogText('psql: could not connect to server: Connection refused\n\tIs the server running on host "172.17.0.1" and accepting\n\tTCP/IP connections on port 5432?\n', 'app.log');
    const ss = parseListeningSockets('State  Recv-Q Send-Q Local Address:Port Peer Address:Port Process\nLISTEN 0      244    0.0.0.0:5432      0.0.0.0:*     users:(("postgres",pid=812,fd=5))\n', 'ss_-ltnp');
    const [f] = runNode(portBlocked, { iptables: [STOCK()], ipAddr: [IP_A()], logs: [log], sockets: [ss] });
    expect(f.severity).toBe('critical');
    // the log names docker0's own address: traced from docker0 (not from cni0, which nothing says needs it)
    expect(f.facts).toMatchObject({ port: 5432, from: ['172.17.0.0/16 (docker0)'], to: ['172.17.0.1'], blockedBy: ['INPUT#5'] });
    expect(f.evidence[0]).toMatchObject({ file: 'iptables-save', line: 12, excerpt: '-A INPUT -j REJECT --reject-with icmp-host-prohibited' });
    expect(f.evidence.some((e) => e.file === 'app.log' && e.line === 1)).toBe(true);
    expect(f.evidence.some((e) => e.file === 'ss_-ltnp' && /postgres listens on 0\.0\.0\.0:5432/.test(e.note ?? ''))).toBe(true);
    expect(f.remedy.commands[0]).toBe('iptables -I INPUT 5 -i docker0 -p tcp --dport 5432 -j ACCEPT');
  });

  it('--require-port: each required port that is blocked is a finding; 22 (allowed by the config) is not', () => {
    const findings = runNode(portBlocked, { iptables: [STOCK()], ipAddr: [IP_A()] }, 'n', [22, 3306, 6379, 11211]);
    expect(findings.map((f) => f.facts?.port)).toEqual([3306, 6379, 11211]);
  });

  it('is silent on the healthy rules, even for ports Docker publishes and ports required', () => {
    const healthy = parseIptablesSave(fx('test/fixtures/netfilter/nft/iptables-save'), 'iptables-save');
    expect(runNode(portBlocked, { iptables: [healthy], ipAddr: [IP_A()] }, 'n', [5432, 6379])).toEqual([]);
  });

  it('a service bound to the docker0 address is there for the containers: blocked, it is a finding; wildcard listeners alone are not', () => {
    const ss = parseListeningSockets(
      [
        'State  Recv-Q Send-Q Local Address:Port Peer Address:Port Process',
        'LISTEN 0      128    0.0.0.0:22        0.0.0.0:*     users:(("sshd",pid=700,fd=3))',
        'LISTEN 0      80     0.0.0.0:3306      0.0.0.0:*     users:(("mysqld",pid=701,fd=20))',
        'LISTEN 0      511    172.17.0.1:6379   0.0.0.0:*     users:(("redis-server",pid=702,fd=6))',
        '',
      ].join('\n'),
      'ss_-ltnp',
    );
    const findings = runNode(portBlocked, { iptables: [STOCK()], ipAddr: [IP_A()], sockets: [ss] });
    expect(findings.map((f) => f.facts?.port)).toEqual([6379]);
    expect(findings[0].evidence).toContainEqual(expect.objectContaining({ file: 'ss_-ltnp', line: 4, note: expect.stringMatching(/redis-server listens on 172\.17\.0\.1:6379, the address of docker0/) }));
    // the same listener behind rules that let docker0 in: nothing to say
    const healthy = parseIptablesSave(fx('test/fixtures/netfilter/nft/iptables-save'), 'iptables-save');
    expect(runNode(portBlocked, { iptables: [healthy], ipAddr: [IP_A()], sockets: [ss] })).toEqual([]);
  });

  it('says nothing when no port is named anywhere (no guessing from a default-deny alone)', () => {
    expect(runNode(portBlocked, { iptables: [STOCK()], ipAddr: [IP_A()] })).toEqual([]);
  });
});

describe('iptables.port-blocked through firewalld (nftables the iptables view never shows)', () => {
  it('iptables accepts, but the real firewalld ruleset rejects 5432 from a bridge in the public zone; docker0 (docker zone) and cni0 (trusted) pass', async () => {
    const { parseNftText } = await import('../../src/nft/parse-text.js');
    const nft = parseNftText(fx('test/fixtures/nft/firewalld-real/nft_list_ruleset'), 'sos_commands/firewall_tables/nft_-a_list_ruleset');
    const healthy = parseIptablesSave(fx('test/fixtures/netfilter/nft/iptables-save'), 'iptables-save');
    const br = parseInterfaces('9: br-5c2d5b9a3f0e: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP\n    inet 172.18.0.1/16 brd 172.18.255.255 scope global br-5c2d5b9a3f0e\n', 'ip_a_br');
    const nets = (await import('../../src/parsers/docker-network-inspect.js')).parseDockerNetworks(JSON.stringify([{ Name: 'app', Id: '5c2d5b9a3f0e' + 'a'.repeat(52), Driver: 'bridge', Scope: 'local', IPAM: { Config: [{ Subnet: '172.18.0.0/16', Gateway: '172.18.0.1' }] } }], null, 2), 'docker_network_inspect_app');
    const [f] = runNode(portBlocked, { iptables: [healthy], ipAddr: [IP_A(), br], nftables: [nft], dockerNetworks: [nets] }, 'n', [5432]);
    expect(f.facts).toMatchObject({ port: 5432, from: ['172.18.0.0/16 (br-5c2d5b9a3f0e)'] });
    expect(f.message).toMatch(/nftables inet firewalld filter_IN_public rule 9 \(iptables-save does not show it\)/);
    expect(f.evidence[0]).toMatchObject({ file: 'sos_commands/firewall_tables/nft_-a_list_ruleset', excerpt: 'reject with icmpx admin-prohibited' });
    expect(f.remedy.commands[0]).toBe('firewall-cmd --permanent --zone=trusted --add-interface=br-5c2d5b9a3f0e');
  });
});
