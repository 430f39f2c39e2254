/**
 * Docker 29's nftables firewall back end told by the running daemon itself: docker info's
 * `Firewall Backend: nftables` (the CLI prints it since 28.4). With it Docker writes no iptables
 * chains, so iptables.docker-chain-missing, docker-masquerade-missing and forward-blocks-containers
 * must not read the host's iptables rules as Docker's rules gone. The host: the namespaces of
 * test/fixtures/netfilter/docker-direct-access (ip addr, ip route, docker network inspect); its rules
 * made with the real binaries in a namespace (test/fixtures/docker29-nftables-host/README.md):
 * Docker 29's table `ip docker-bridges` loaded with nft, a host firewall's INPUT rules and an empty nat
 * table loaded with iptables-restore, then iptables-save and nft list ruleset. The docker info is the
 * real Docker 29.4.0 output of test/fixtures/docker-info/orbstack-29.4.0-info.txt, whose last line
 * says `Firewall Backend: iptables`; the nftables host is that text with the one word changed.
 *
 * Cases that must fire: the same host where docker info says `iptables` (the daemon writes iptables
 * rules, and they are missing), also where daemon.json says nftables (a file the running daemon was
 * not started with).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const fx = (...p: string[]) => readFileSync(projectPath('test/fixtures', ...p), 'utf8');
const INFO_IPTABLES = fx('docker-info/orbstack-29.4.0-info.txt');
const INFO_NFTABLES = INFO_IPTABLES.replace(' Firewall Backend: iptables', ' Firewall Backend: nftables');
const HOST = {
  hostname: 'docker29\n',
  'ip_a.txt': fx('netfilter/docker-direct-access/ip_addr'),
  'ip_route.txt': fx('netfilter/docker-direct-access/ip_route'),
  'docker_network_inspect_bridge.json': fx('netfilter/docker-direct-access/docker_network_inspect'),
  'iptables-save.txt': fx('docker29-nftables-host/iptables-save.txt'),
};
const IDS = ['iptables.docker-chain-missing', 'iptables.docker-masquerade-missing', 'iptables.forward-blocks-containers'];

async function findings(files: Record<string, string>) {
  const report = await analyzeBundle(writeFolder(files, 'docker29-host'));
  return report.findings.filter((f) => IDS.includes(f.id));
}

describe("docker info's Firewall Backend", () => {
  it('the line is the one changed, and the host has docker info and no Docker chain in iptables', () => {
    expect(INFO_NFTABLES).not.toBe(INFO_IPTABLES);
    expect(INFO_NFTABLES).toMatch(/^ Firewall Backend: nftables$/m);
    expect(HOST['iptables-save.txt']).not.toMatch(/DOCKER/);
  });

  it('nftables, and docker info the only sign of it (no nft listing, no daemon.json): no finding from the three', async () => {
    const got = await findings({ ...HOST, 'docker-info.txt': INFO_NFTABLES });
    expect(got).toEqual([]);
  });

  it('nftables with the nft listing of Docker 29 too: no finding from the three', async () => {
    const got = await findings({ ...HOST, 'docker-info.txt': INFO_NFTABLES, 'nft_list_ruleset.txt': fx('docker29-nftables-host/nft_list_ruleset') });
    expect(got).toEqual([]);
  });

  it('nftables in docker info beats daemon.json saying iptables', async () => {
    const got = await findings({ ...HOST, 'docker-info.txt': INFO_NFTABLES, 'etc/docker/daemon.json': '{\n  "firewall-backend": "iptables"\n}\n' });
    expect(got).toEqual([]);
  });

  it('iptables in docker info, its chains missing: docker-chain-missing is critical', async () => {
    const got = await findings({ ...HOST, 'docker-info.txt': INFO_IPTABLES });
    const f = got.find((x) => x.id === 'iptables.docker-chain-missing');
    expect(f?.severity).toBe('critical');
  });

  it('iptables in docker info beats daemon.json saying nftables (a file the daemon was not started with): the missing chains are reported', async () => {
    const daemonJson = '{\n  "firewall-backend": "nftables"\n}\n';
    // without docker info, daemon.json's nftables keeps it quiet
    expect((await findings({ ...HOST, 'etc/docker/daemon.json': daemonJson })).filter((x) => x.id === 'iptables.docker-chain-missing')).toEqual([]);
    const got = await findings({ ...HOST, 'docker-info.txt': INFO_IPTABLES, 'etc/docker/daemon.json': daemonJson });
    expect(got.find((x) => x.id === 'iptables.docker-chain-missing')?.severity).toBe('critical');
  });
});
