/**
 * The firewalld remedy of iptables.forward-blocks-containers restarts dockerd after `firewall-cmd
 * --reload` only where the node's Docker needs it: Docker writes its rules again on firewalld's
 * reload signal, all of them from 28.3.3 (moby#50506, CVE-2025-54388; before 28.0 the isolation rules
 * stayed gone, CVE-2025-54410) and, on a Swarm node, from 29.0 (moby#50443: the ingress rules). An
 * unknown version keeps the restart.
 *
 * The host: test/fixtures/netfilter/docker-direct-access (Docker 28's iptables-save, ip addr, ip route,
 * docker network inspect) with its uplink named ens3 instead of eth0, beside the real firewalld 1.3.3
 * nft listing of test/fixtures/nft/firewalld-real, whose public zone forwards to eth0 only: the
 * bridge's traffic out by ens3 is rejected by firewalld's table. The docker info texts are real:
 * Docker 29.4.0 (orbstack), 28.0.4 (moby#49792), 29.4.1 in a Swarm (caprover#2377), 20.10.24 in a
 * Swarm (debian-20.10.24); 28.3.2 / 28.3.3 are the 29.4.0 text with its version line changed.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dockerOnFirewalldReload } from '../../analyzers/lib/container-host.js';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { parseDockerInfo } from '../../src/parsers/docker-info.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const fx = (...p: string[]) => readFileSync(projectPath('test/fixtures', ...p), 'utf8');
const ens = (t: string) => t.replace(/\beth0\b/g, 'ens3');
const HOST = {
  hostname: 'fw\n',
  'ip_a.txt': ens(fx('netfilter/docker-direct-access/ip_addr')),
  'ip_route.txt': ens(fx('netfilter/docker-direct-access/ip_route')),
  'docker_network_inspect_bridge.json': fx('netfilter/docker-direct-access/docker_network_inspect'),
  'iptables-save.txt': fx('netfilter/docker-direct-access/docker28-nat.iptables-save'),
  'nft_list_ruleset.txt': fx('nft/firewalld-real/nft_list_ruleset'),
};
const V29 = fx('docker-info/orbstack-29.4.0-info.txt');
const V2804 = fx('direct-routing/moby-49792/docker-info.txt');
const SWARM_29 = fx('docker-info/caprover-2377-29.4.1-swarm.txt');
const SWARM_20 = fx('docker-info/debian-20.10.24/docker-info-swarm.txt');
const at = (v: string) => V29.replace(' Server Version: 29.4.0', ` Server Version: ${v}`);
const answer = (text: string) => dockerOnFirewalldReload({ dockerDaemon: [parseDockerInfo(text, 'docker-info.txt')] });

async function remedy(extra: Record<string, string>) {
  const report = await analyzeBundle(writeFolder({ ...HOST, ...extra }, 'firewalld-host'));
  const f = report.findings.find((x) => x.id === 'iptables.forward-blocks-containers');
  expect(f?.remedy.summary).toMatch(/^firewalld's own nftables table blocks/);
  return f!.remedy;
}

describe('which Docker writes all its rules again after a firewalld reload', () => {
  it('by version: 28.3.3 on; 29.0 on with Swarm; unknown without docker info / docker version', () => {
    expect(answer(at('28.3.2'))).toMatchObject({ restoresAll: false, version: '28.3.2' });
    expect(answer(at('28.3.2'))!.says).toContain('CVE-2025-54388');
    expect(answer(at('28.3.3'))).toMatchObject({ restoresAll: true, version: '28.3.3' });
    expect(answer(V2804)).toMatchObject({ restoresAll: false, evidence: { file: 'docker-info.txt', line: 20 } });
    expect(answer(at('27.5.1'))!.says).toContain('CVE-2025-54410');
    expect(answer(SWARM_29)).toMatchObject({ restoresAll: true, version: '29.4.1' });
    expect(answer(SWARM_20)).toMatchObject({ restoresAll: false });
    expect(answer(SWARM_20)!.says).toContain("Swarm's ingress rules");
    expect(answer(at('28.5.0').replace(' Swarm: inactive', ' Swarm: active'))).toMatchObject({ restoresAll: false });
    expect(dockerOnFirewalldReload({})).toBeUndefined();
    expect(answer(fx('docker-info/debian-20.10.24/docker-info-daemon-down.txt'))).toBeUndefined();
  });
});

describe("forward-blocks' firewalld remedy", () => {
  it('Docker 29.4.0: reload, then a check that its rules are back; no restart', async () => {
    const r = await remedy({ 'docker-info.txt': V29 });
    const all = r.commands.join('\n');
    expect(all).toContain('firewall-cmd --reload');
    expect(all).not.toContain('systemctl restart docker');
    expect(all).toContain('Docker 29.4.0 re-creates its rules when firewalld reloads');
    expect(all).toContain('(docker-info.txt:31)');
    expect(r.caution).not.toMatch(/restarts every container/);
  });

  it('Docker 28.0.4: the restart stays, saying why', async () => {
    const r = await remedy({ 'docker-info.txt': V2804 });
    expect(r.commands).toContainEqual(expect.stringMatching(/^systemctl restart docker {3}# Docker 28\.0\.4 does not re-create all its rules when firewalld reloads/));
  });

  it('Swarm: 29.4.1 needs no restart, 20.10.24 does', async () => {
    expect((await remedy({ 'docker-info.txt': SWARM_29 })).commands.join('\n')).not.toContain('systemctl restart docker');
    expect((await remedy({ 'docker-info.txt': SWARM_20 })).commands.join('\n')).toContain('systemctl restart docker');
  });

  it('no docker info: as before', async () => {
    const r = await remedy({});
    expect(r.commands).toContain("systemctl restart docker   # a firewalld reload removes Docker's rules");
    expect(r.caution).toBe('Restarting docker restarts every container on the node.');
  });
});
