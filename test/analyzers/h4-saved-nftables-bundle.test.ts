/**
 * A sosreport of a Docker host that holds /etc/nftables.conf and nftables.service's state but no live
 * `nft list ruleset`: iptables.forward-blocks-containers traces the configuration the service loads at
 * boot and reports a drop there as a warning citing the file and line, never a critical; with the live
 * listing in the bundle the live trace decides (a critical, as before).
 *
 * Real text, made on this machine in a network namespace with nftables 1.0.6 and iptables 1.8.9:
 * `nft -f test/fixtures/h4-nftables/netavark-977.conf` (the configuration of containers/netavark#977,
 * https://github.com/containers/netavark/issues/977: forward policy drop), then Docker 28's rules
 * (test/fixtures/ipv6/docker28.iptables-restore) with iptables-nft-restore, as at boot (the service
 * first, Docker after); then `iptables -t filter -nvL` / `iptables -t nat -nvL` (what sos's
 * firewall_tables plugin saves) and `nft list ruleset` (nft_list_ruleset.netavark-977-docker28).
 * Interfaces, routes and units: test/fixtures/service-conflict-nftables (a namespace made like a Docker
 * host; nftables.service active and enabled in systemctl's formats).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const fx = (...p: string[]) => readFileSync(projectPath('test/fixtures', ...p), 'utf8');
const h4 = (name: string) => fx('h4-nftables', name);
const sc = (name: string) => fx('service-conflict-nftables', name);

const sos = (extra: Record<string, string>, units = sc('systemctl_list-units.txt'), unitFiles = sc('systemctl_list-unit-files.txt')) =>
  writeFolder(
    {
      'sosreport-h4/sos_commands/networking/ip_-d_address': sc('ip_addr'),
      'sosreport-h4/sos_commands/networking/ip_route_show_table_all': sc('ip_route'),
      'sosreport-h4/sos_commands/firewall_tables/iptables_-t_filter_-nvL': h4('iptables_-t_filter_-nvL'),
      'sosreport-h4/sos_commands/firewall_tables/iptables_-t_nat_-nvL': h4('iptables_-t_nat_-nvL'),
      'sosreport-h4/sos_commands/systemd/systemctl_list-units': units,
      'sosreport-h4/sos_commands/systemd/systemctl_list-unit-files': unitFiles,
      ...extra,
    },
    'h4-saved-nftables',
  );

const forward = (r: Awaited<ReturnType<typeof analyzeBundle>>) => r.findings.filter((f) => f.id === 'iptables.forward-blocks-containers');

describe('sosreport: the saved nftables configuration, no live listing', () => {
  it('netavark#977\'s /etc/nftables.conf, nftables.service active: one warning citing etc/nftables.conf:3, no critical', async () => {
    const report = await analyzeBundle(sos({ 'sosreport-h4/etc/nftables.conf': h4('netavark-977.conf') }));
    expect(report.findings.filter((f) => f.severity === 'critical')).toEqual([]);
    const fw = forward(report);
    expect(fw.map((f) => [f.severity, f.facts?.source, f.facts?.bridge, f.facts?.decidedBy])).toEqual([['warning', 'saved-config', 'docker0', 'inet filter/forward#0']]);
    expect(fw[0].evidence[0]).toMatchObject({ file: expect.stringMatching(/sosreport-h4\/etc\/nftables\.conf$/), line: 3 });
    expect(fw[0].message).toContain('Collect `nft list ruleset` to confirm');
  });

  it('control: the same host with its live nft list ruleset: the live trace decides (critical), no saved-config warning', async () => {
    const report = await analyzeBundle(
      sos({ 'sosreport-h4/etc/nftables.conf': h4('netavark-977.conf'), 'sosreport-h4/sos_commands/firewall_tables/nft_list_ruleset': h4('nft_list_ruleset.netavark-977-docker28') }),
    );
    const fw = forward(report);
    expect(fw.map((f) => [f.severity, f.facts?.source ?? 'live', f.facts?.decidedBy])).toEqual([['critical', 'live', 'inet filter/forward#0']]);
    expect(fw[0].evidence[0].file).toMatch(/nft_list_ruleset$/);
  });

  it("Debian's stock /etc/nftables.conf (policy accept): no forward finding", async () => {
    expect(forward(await analyzeBundle(sos({ 'sosreport-h4/etc/nftables.conf': sc('debian-nftables.conf') })))).toEqual([]);
  });

  it('nftables.service disabled and not running: no forward finding', async () => {
    const units = sc('systemctl_list-units.txt').replace(/^ {2}nftables\.service.*\n/m, '');
    const files = sc('systemctl_list-unit-files.txt').replace(/^nftables\.service\s+enabled\s+enabled$/m, 'nftables.service                       disabled        enabled');
    expect(forward(await analyzeBundle(sos({ 'sosreport-h4/etc/nftables.conf': h4('netavark-977.conf') }, units, files)))).toEqual([]);
  });
});
