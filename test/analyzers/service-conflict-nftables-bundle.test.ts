/**
 * The nftables service's configuration (/etc/nftables.conf, /etc/sysconfig/nftables.conf, the files
 * of /etc/nftables/) is read in every layout as what it is: a saved configuration the service would
 * load (artifact nftablesConfig), never the live rules. A hand-made bundle whose only nft text is a
 * restrictive /etc/nftables.conf (forward policy drop) beside healthy live iptables rules gets no
 * critical (before, a flat bundle's nftables.conf was sniffed as a live `nft list ruleset`, and its
 * drop policy traced as blocking the containers); the service-conflict warning cites its line.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readBundle } from '../../src/bundle/read.js';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { isWantedPath, locate } from '../../src/layouts/index.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const fx = (...p: string[]) => readFileSync(projectPath('test/fixtures', ...p), 'utf8');
const own = (name: string) => fx('service-conflict-nftables', name);
/** Debian's /etc/nftables.conf hardened: `flush ruleset`, then inet filter with forward policy drop (line 10). */
const RESTRICTIVE = () => fx('nft/nftables-conf-drop/nftables.conf');

const folder = (files: Record<string, string>) => writeFolder(files, 'ticket-nftables-conf');

async function located(dir: string) {
  const tree = await readBundle(dir, { keep: (i) => i.size < 1 << 20 || isWantedPath(i.path) });
  return locate(tree, 'ticket');
}
const formats = (files: { relPath: string; path: string; format: string; savedConfig?: boolean }[]) =>
  Object.fromEntries(files.map((f) => [f.path.replace(/^.*ticket-nftables-conf\//, ''), { format: f.format, savedConfig: !!f.savedConfig }]));

/** A Debian Docker host as a hand-made folder: live rules of iptables-nft (healthy), units, addresses. */
const HOST = () => ({
  'iptables-save.txt': own('iptables-nft-save'),
  'ip-a.txt': own('ip_addr'),
  'ip-route.txt': own('ip_route'),
  'systemctl_list-units.txt': own('systemctl_list-units.txt'),
});

describe('a restrictive /etc/nftables.conf is the saved configuration, never live rules', () => {
  it('flat: no critical; the service-conflict warning cites its flush ruleset line; coverage reads it as nftablesConfig', async () => {
    const dir = folder({ ...HOST(), 'etc/nftables.conf': RESTRICTIVE() });
    const l = await located(dir);
    expect(formats(l.nodes[0].files)['etc/nftables.conf']).toEqual({ format: 'nftables-conf', savedConfig: true });
    const report = await analyzeBundle(dir);
    expect(report.findings.filter((f) => f.severity === 'critical')).toEqual([]);
    const conflict = report.findings.filter((f) => f.id === 'iptables.service-conflict');
    expect(conflict.map((f) => [f.severity, f.facts?.unit, f.facts?.flushesRuleset])).toEqual([['warning', 'nftables.service', true]]);
    expect(conflict[0].evidence).toContainEqual(expect.objectContaining({ file: 'etc/nftables.conf', line: 4, excerpt: 'flush ruleset' }));
    // no other finding takes the file for rules that run now: forward-blocks-containers cites it only as the saved configuration (a warning)
    const others = report.findings.filter((f) => f.id !== 'iptables.service-conflict');
    expect(others.filter((f) => f.facts?.source !== 'saved-config').flatMap((f) => f.evidence.map((e) => e.file))).not.toContain('etc/nftables.conf');
    expect(others.filter((f) => f.facts?.source === 'saved-config').map((f) => [f.id, f.severity])).toEqual([['iptables.forward-blocks-containers', 'warning']]);
    const cov = report.coverage.nodes[0].artifacts;
    expect(cov.nftablesConfig).toEqual(['etc/nftables.conf']);
    expect(cov.nftables ?? []).toEqual([]);
  });

  it('flat: a bare nftables.conf beside the dumps is the configuration too', async () => {
    const dir = folder({ ...HOST(), 'nftables.conf': RESTRICTIVE() });
    expect(formats((await located(dir)).nodes[0].files)['nftables.conf']).toEqual({ format: 'nftables-conf', savedConfig: true });
    const report = await analyzeBundle(dir);
    expect(report.findings.filter((f) => f.severity === 'critical')).toEqual([]);
  });

  it('control: the same text saved as the live listing (nft_list_ruleset) does block the containers', async () => {
    const report = await analyzeBundle(folder({ ...HOST(), 'nft_list_ruleset.txt': RESTRICTIVE() }));
    expect(report.findings.filter((f) => f.severity === 'critical').map((f) => f.id)).toContain('iptables.forward-blocks-containers');
  });

  it('sosreport: etc/nftables.conf, etc/sysconfig/nftables.conf and etc/nftables/* (not osf/) are configuration', async () => {
    const l = await located(
      folder({
        'sosreport-n1/sos_commands/networking/ip_-d_address': fx('iproute2/ip_a'),
        'sosreport-n1/etc/nftables.conf': own('debian-nftables.conf'),
        'sosreport-n1/etc/sysconfig/nftables.conf': own('rhel-sysconfig-nftables.conf'),
        'sosreport-n1/etc/nftables/main.nft': own('rhel-main.nft'),
        'sosreport-n1/etc/nftables/osf/pf.os': '# OS fingerprints\n',
      }),
    );
    const f = formats(l.nodes[0].files);
    expect(f['sosreport-n1/etc/nftables.conf']).toEqual({ format: 'nftables-conf', savedConfig: true });
    expect(f['sosreport-n1/etc/sysconfig/nftables.conf']).toEqual({ format: 'nftables-conf', savedConfig: true });
    expect(f['sosreport-n1/etc/nftables/main.nft']).toEqual({ format: 'nftables-conf', savedConfig: true });
    expect(f['sosreport-n1/etc/nftables/osf/pf.os']).toBeUndefined();
  });

  it("troubleshoot: a copy collector's nftables.conf (even RHEL's, which no nft sniffer knows) is configuration, the run collector's listing live", async () => {
    const l = await located(
      folder({
        'bundle/version.yaml': 'apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\n',
        'bundle/host-collectors/run-host/nft-list-ruleset.txt': own('nft_list_ruleset'),
        'bundle/host-collectors/nftables-config/nftables.conf': RESTRICTIVE(),
        'bundle/host-collectors/nftables-sysconfig/nftables.conf': own('rhel-sysconfig-nftables.conf'),
      }),
    );
    const f = formats(l.nodes.flatMap((n) => n.files));
    expect(f['bundle/host-collectors/nftables-config/nftables.conf']).toEqual({ format: 'nftables-conf', savedConfig: true });
    expect(f['bundle/host-collectors/nftables-sysconfig/nftables.conf']).toEqual({ format: 'nftables-conf', savedConfig: true });
    expect(f['bundle/host-collectors/run-host/nft-list-ruleset.txt']).toEqual({ format: 'nft-text', savedConfig: false });
  });

  it('sosreport end to end: RHEL sysconfig including main.nft, cited by file and line', async () => {
    const report = await analyzeBundle(
      folder({
        'sosreport-n2/sos_commands/networking/ip_-d_address': own('ip_addr'),
        'sosreport-n2/sos_commands/networking/ip_route_show_table_all': own('ip_route'),
        'sosreport-n2/sos_commands/systemd/systemctl_list-units': own('systemctl_list-units.txt'),
        'sosreport-n2/sos_commands/firewall_tables/nft_list_ruleset': own('nft_list_ruleset'),
        'sosreport-n2/etc/sysconfig/nftables.conf': own('rhel-sysconfig-nftables.conf').replace('#include "/etc/nftables/main.nft"', 'include "/etc/nftables/main.nft"'),
        'sosreport-n2/etc/nftables/main.nft': own('rhel-main.nft'),
      }),
    );
    const [f] = report.findings.filter((x) => x.id === 'iptables.service-conflict');
    expect(f.facts).toMatchObject({ unit: 'nftables.service', backend: 'nf_tables', config: '/etc/sysconfig/nftables.conf', flushesRuleset: true });
    expect(f.evidence).toContainEqual(expect.objectContaining({ file: expect.stringMatching(/sosreport-n2\/etc\/nftables\/main\.nft$/), line: 5, excerpt: 'flush ruleset' }));
    expect(report.findings.filter((x) => x.severity === 'critical')).toEqual([]);
  });
});
