/**
 * iptables.direct-routing-dropped where the bundle shows Docker 28's direct-access drops and nothing to tell the
 * ways in by: R27 02, psviderski/uncloud#293 (https://github.com/psviderski/uncloud/issues/293; the same mechanism as
 * moby/moby#51015): `nft list table ip raw` of a Docker 28.2.2 host whose containers are reached over a WireGuard mesh,
 * pasted alone (test/fixtures/r27-cases/02-docker28-raw-prerouting, verbatim). The check cannot tell whether anything
 * routes to the containers: its coverage says it ran in part and what to collect, not "found nothing". With the routes
 * shown and none leading to the containers, it ran whole (a single Docker host: the drops are intended).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const RAW = readFileSync(projectPath('test/fixtures/r27-cases/02-docker28-raw-prerouting/nft-list-table-ip-raw.txt'), 'utf8');

async function check(files: Record<string, string>) {
  const report = await analyzeBundle(writeFolder(files, 'docker-wg-host'));
  const node = report.coverage.nodes[0];
  return { report, check: node.analyzers.find((a) => a.id === 'iptables.direct-routing-dropped')! };
}

describe('iptables.direct-routing-dropped: the drops alone, no way in to check', () => {
  it('uncloud#293: ran in part, naming the rules and what to collect; no finding', async () => {
    const { report, check: c } = await check({ 'nft-list-table-ip-raw.txt': RAW });
    expect(report.findings.filter((f) => f.id === 'iptables.direct-routing-dropped')).toEqual([]);
    expect(c.status).toBe('ran');
    expect(c.reason).toMatch(/ran in part/);
    expect(c.reason).toContain('drop packets for 2 container addresses');
    expect(c.reason).toContain('nft-list-table-ip-raw.txt:4');
    expect(c.reason).toContain('ip route show table all');
  });

  it('with the routes shown (a single host: nothing routes the bridge subnet in): no such note', async () => {
    // `ip route` of a Docker host with one user-defined bridge (br-15fc2fdf8f2c, the containers' 10.210.1.0/24)
    const routes = [
      'default via 192.168.1.1 dev eth0 proto dhcp src 192.168.1.20 metric 100',
      '10.210.1.0/24 dev br-15fc2fdf8f2c proto kernel scope link src 10.210.1.1',
      '192.168.1.0/24 dev eth0 proto kernel scope link src 192.168.1.20 metric 100',
      '',
    ].join('\n');
    const { report, check: c } = await check({ 'nft-list-table-ip-raw.txt': RAW, 'ip_route.txt': routes });
    expect(report.findings.filter((f) => f.id === 'iptables.direct-routing-dropped')).toEqual([]);
    expect(c.reason ?? '').not.toContain('no routes or ip addr');
  });
});
