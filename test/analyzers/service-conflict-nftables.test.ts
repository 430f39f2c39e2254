/**
 * iptables.service-conflict and nftables.service: on a Docker or Kubernetes host whose container
 * rules are nf_tables tables (iptables-nft's ip filter / ip nat, Docker 29's ip docker-bridges),
 * an enabled or active nftables.service deletes them at every stop (its ExecStop is `nft flush
 * ruleset` on Debian and RHEL) and at every load of a file that starts with `flush ruleset`
 * (Debian's stock /etc/nftables.conf, RHEL's main.nft sample). The finding cites that line and
 * names the tables; iptables-legacy rules are not touched (no finding); a file that resets only
 * its own tables is an info, not a claim that it flushes everything. Real text: Debian's stock
 * file, iptables-nft-save / iptables-legacy-save / nft list ruleset of the real binaries.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import serviceConflict from '../../analyzers/iptables-service-conflict.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { parseDockerDaemonJson } from '../../src/parsers/docker-daemon.js';
import { parseIptablesList } from '../../src/netfilter/list-format.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { parseNftablesConfig } from '../../src/nft/config.js';
import { parseNftText } from '../../src/nft/parse-text.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseSystemctlText } from '../../src/parsers/services.js';
import { projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const fx = (...p: string[]) => readFileSync(projectPath('test/fixtures', ...p), 'utf8');
const own = (name: string) => fx('service-conflict-nftables', name);
const DEBIAN_CONF = () => own('debian-nftables.conf');
/** Debian's stock file after the remedy's sed: its own table declared and deleted instead of `flush ruleset` */
const SCOPED_CONF = () => DEBIAN_CONF().replace('flush ruleset\n', 'table inet filter\ndelete table inet filter\n');

const units = (text = own('systemctl_list-units.txt')) => parseSystemctlText(text, 'sos_commands/systemd/systemctl_list-units');
const unitFiles = (text = own('systemctl_list-unit-files.txt')) => parseSystemctlText(text, 'sos_commands/systemd/systemctl_list-unit-files');
const nftSave = () => parseIptablesSave(own('iptables-nft-save'), 'iptables-save');
const legacySave = () => parseIptablesSave(own('iptables-legacy-save'), 'iptables-save');
const conf = (text: string, file = 'etc/nftables.conf') => parseNftablesConfig(text, file);
const ipA = () => parseInterfaces(fx('iproute2/ip_a'), 'ip-a.txt');

/** A Debian Docker host: nftables.service active, Docker 28's rules in iptables-nft, the stock /etc/nftables.conf. */
const debianHost = (extra: Partial<NodeArtifacts> = {}): NodeArtifacts => ({
  services: [units(), unitFiles()],
  iptables: [nftSave()],
  ipAddr: [ipA()],
  nftablesConfig: [conf(DEBIAN_CONF())],
  ...extra,
});

const nftFinding = (a: NodeArtifacts) => runNode(serviceConflict, a).filter((f) => f.facts?.unit === 'nftables.service');

describe('nftables.service on a Docker host with iptables-nft', () => {
  it("fires: cites the stock file's flush ruleset line and names Docker's tables", () => {
    const [f, ...rest] = nftFinding(debianHost());
    expect(rest).toEqual([]);
    expect(f.severity).toBe('warning');
    expect(f.facts).toMatchObject({ unit: 'nftables.service', backend: 'nf_tables', config: '/etc/nftables.conf', flushesRuleset: true });
    expect(f.facts?.tables).toEqual(expect.arrayContaining(['ip filter', 'ip nat']));
    expect(f.message).toMatch(/^nftables\.service is active on node-1, a Docker host\./);
    expect(f.message).toMatch(/runs "nft flush ruleset" at every stop, so at every restart \(ExecStop\)/);
    expect(f.message).toMatch(/\/etc\/nftables\.conf starts with "flush ruleset" \(line 3\)/);
    expect(f.message).toMatch(/table ip filter \(DOCKER, DOCKER-BRIDGE, DOCKER-CT, DOCKER-FORWARD, \d+ more\)/);
    expect(f.message).toMatch(/table ip nat \(DOCKER\)/);
    expect(f.evidence).toContainEqual(expect.objectContaining({ file: 'etc/nftables.conf', line: 3, excerpt: 'flush ruleset' }));
    expect(f.evidence).toContainEqual(expect.objectContaining({ file: 'sos_commands/systemd/systemctl_list-units', excerpt: expect.stringMatching(/^nftables\.service\s+loaded active exited/) }));
  });

  it('the remedy replaces flush ruleset by a reset of inet filter, scopes the stop action, and never loads the file or restarts nftables', () => {
    const [f] = nftFinding(debianHost());
    const c = f.remedy.commands;
    expect(c[0]).toBe(
      "sed -i 's/^[[:space:]]*flush[[:space:]]\\+ruleset\\([[:space:]]\\+[a-z0-9]\\+\\)\\?[[:space:]]*;\\?[[:space:]]*$/table inet filter\\ndelete table inet filter/' /etc/nftables.conf   # line 3: reset only the host's own table (declared, then deleted, then loaded again) instead of every table",
    );
    expect(c[1]).toMatch(/^nft --check --file \/etc\/nftables\.conf   # --check only parses/);
    expect(c).toContain('mkdir -p /etc/systemd/system/nftables.service.d');
    expect(c).toContainEqual(expect.stringMatching(/^printf '%s\\n' '\[Service\]' 'ExecStop=' "ExecStop=\/usr\/sbin\/nft 'add table inet filter; delete table inet filter'" > \/etc\/systemd\/system\/nftables\.service\.d\/keep-container-rules\.conf   #/));
    expect(c).toContainEqual(expect.stringMatching(/^systemctl daemon-reload/));
    expect(c[c.length - 1]).toMatch(/^iptables -t nat -nL DOCKER >\/dev\/null 2>&1 \|\| systemctl restart docker   # only if a flush already removed Docker's chains/);
    for (const cmd of c.map((x) => x.replace(/\s+#.*$/, ''))) {
      expect(cmd).not.toMatch(/systemctl (restart|reload|stop|try-restart|reload-or-restart) nftables|--now/);
      expect(cmd).not.toMatch(/(^|[;&|]\s*)nft (-f|--file)\b/);
    }
    // Debian's reload loads the file itself: no ExecReload override there
    expect(c.join('\n')).not.toMatch(/ExecReload/);
  });

  it("Docker 29's nftables back end: its ip docker-bridges table is named, the restart check asks nft", () => {
    const nft = parseNftText(own('nft_list_ruleset.docker29'), 'sos_commands/firewall_tables/nft_list_ruleset');
    const [f] = nftFinding(debianHost({ iptables: [], nftables: [nft] }));
    expect(f.severity).toBe('warning');
    expect(f.facts).toMatchObject({ backend: 'nf_tables', tables: ['ip docker-bridges'] });
    expect(f.message).toMatch(/table ip docker-bridges/);
    expect(f.evidence).toContainEqual(expect.objectContaining({ file: 'sos_commands/firewall_tables/nft_list_ruleset', excerpt: 'table ip docker-bridges' }));
    expect(f.remedy.commands[f.remedy.commands.length - 1]).toMatch(/^nft list table ip docker-bridges >\/dev\/null 2>&1 \|\| systemctl restart docker/);
  });

  it("the nft listing's iptables-nft tables count like the dump's (no iptables dump)", () => {
    const nft = parseNftText(own('nft_list_ruleset'), 'sos_commands/firewall_tables/nft_list_ruleset');
    const [f] = nftFinding(debianHost({ iptables: [], nftables: [nft] }));
    expect(f.facts?.backend).toBe('nf_tables');
    expect(f.facts?.tables).toEqual(expect.arrayContaining(['ip filter', 'ip nat']));
    expect(f.facts?.tables).not.toContain('inet filter');
  });

  it('a Kubernetes node (kubelet, KUBE- chains) with nftables.service enabled fires too', () => {
    const kube = parseIptablesSave(fx('netfilter/nft/iptables-save'), 'iptables-save');
    const list = unitFiles(own('systemctl_list-unit-files.txt').replace('docker.service                         enabled', 'kubelet.service                        enabled'));
    const [f] = nftFinding({ services: [list], iptables: [kube], nftablesConfig: [conf(DEBIAN_CONF())] });
    expect(f.message).toMatch(/^nftables\.service is enabled on node-1, a (Docker and )?Kubernetes host/);
    expect(f.message).toMatch(/KUBE-/);
  });
});

describe('what the back end and the configuration change', () => {
  it('iptables-legacy holds the container rules: no finding (nft flush ruleset leaves x_tables alone)', () => {
    const nft = parseNftText(own('nft_list_ruleset.legacy'), 'sos_commands/firewall_tables/nft_list_ruleset');
    expect(nftFinding(debianHost({ iptables: [legacySave()], nftables: [nft] }))).toEqual([]);
    expect(nftFinding(debianHost({ iptables: [legacySave()] }))).toEqual([]);
  });

  it("back end not shown (sos's -nvL listing, no header, no nft listing): fires, and says the back end decides", () => {
    const listing = parseIptablesList(fx('netfilter/nft/iptables_-t_nat_-nvL'), 'sos_commands/firewall_tables/iptables_-t_nat_-nvL', { table: 'nat', family: 'ipv4' });
    expect(listing.backend).toBe('unknown');
    const [f] = nftFinding(debianHost({ iptables: [listing] }));
    expect(f.severity).toBe('warning');
    expect(f.facts?.backend).toBe('unknown');
    expect(f.message).toMatch(/depends on the iptables back end, which the bundle does not show: with iptables-nft .* iptables-legacy's rules \(x_tables\) are left alone/);
    expect(f.message).not.toMatch(/deletes every nf_tables table, the node's container rules among them/);
  });

  it('a file that resets only its own table: an info that does not claim a flush of the ruleset', () => {
    const [f] = nftFinding(debianHost({ nftablesConfig: [conf(SCOPED_CONF())] }));
    expect(f.severity).toBe('info');
    expect(f.facts?.flushesRuleset).toBe(false);
    expect(f.message).not.toMatch(/starts with "flush ruleset"/);
    expect(f.message).toMatch(/\/etc\/nftables\.conf loads only its own tables \(table inet filter\), without "flush ruleset": loading it by hand or a reload leaves the container rules alone, but a stop or restart of the packaged unit still deletes every table/);
    expect(f.remedy.commands.some((c) => c.startsWith('sed '))).toBe(false);
    expect(f.remedy.commands).toContainEqual(expect.stringMatching(/"ExecStop=\/usr\/sbin\/nft 'add table inet filter; delete table inet filter'"/));
  });

  it('a file that shares iptables-nft\'s ip nat table: no sed, no stop action that would delete it', () => {
    const masq = conf(fx('nft/nftables-conf-masquerade/nftables.conf'));
    const [info] = nftFinding(debianHost({ nftablesConfig: [masq] }));
    expect(info.severity).toBe('info');
    const dropIn = info.remedy.commands.find((c) => c.startsWith('printf'))!;
    expect(dropIn).toMatch(/^printf '%s\\n' '\[Service\]' 'ExecStop=' > /);
    expect(dropIn).not.toMatch(/delete table ip nat/);
    // the same file starting with flush ruleset: a comment to edit by hand, naming the shared table
    const flushing = conf(`flush ruleset\n${fx('nft/nftables-conf-masquerade/nftables.conf')}`);
    const [warn] = nftFinding(debianHost({ nftablesConfig: [flushing] }));
    expect(warn.severity).toBe('warning');
    expect(warn.remedy.commands[0]).toMatch(/^# in \/etc\/nftables\.conf, line 1 \("flush ruleset"\): .* table ip nat is a table iptables-nft or the container tools keep their rules in/);
    expect(warn.remedy.commands.some((c) => c.startsWith('sed '))).toBe(false);
  });

  it('no configuration in the bundle: fires on the unit alone, naming the stock files', () => {
    const [f] = nftFinding(debianHost({ nftablesConfig: [] }));
    expect(f.severity).toBe('warning');
    expect(f.facts?.flushesRuleset).toBeUndefined();
    expect(f.message).toMatch(/The bundle does not hold that file; Debian's stock \/etc\/nftables\.conf and RHEL's \/etc\/nftables\/main\.nft sample start with "flush ruleset"/);
  });

  it('RHEL: /etc/sysconfig/nftables.conf including the main.nft sample: its flush ruleset line, and the reload scoped too', () => {
    const sysconfig = conf(own('rhel-sysconfig-nftables.conf').replace('#include "/etc/nftables/main.nft"', 'include "/etc/nftables/main.nft"'), 'etc/sysconfig/nftables.conf');
    const main = conf(own('rhel-main.nft'), 'etc/nftables/main.nft');
    const [f] = nftFinding(debianHost({ nftablesConfig: [sysconfig, main] }));
    expect(f.severity).toBe('warning');
    expect(f.facts).toMatchObject({ config: '/etc/sysconfig/nftables.conf', flushesRuleset: true });
    expect(f.message).toMatch(/RHEL's nftables\.service runs "nft flush ruleset" at every stop \(so at every restart\) and at every reload/);
    expect(f.message).toMatch(/\/etc\/nftables\/main\.nft \(which \/etc\/sysconfig\/nftables\.conf includes\) starts with "flush ruleset" \(line 5\)/);
    expect(f.evidence).toContainEqual(expect.objectContaining({ file: 'etc/nftables/main.nft', line: 5, excerpt: 'flush ruleset' }));
    expect(f.remedy.commands[0]).toMatch(/\/table inet nftables_svc\\ndelete table inet nftables_svc\/' \/etc\/nftables\/main\.nft   # line 5/);
    expect(f.remedy.commands.find((c) => c.startsWith('printf'))).toMatch(/'ExecReload=' 'ExecReload=\/usr\/sbin\/nft -f \/etc\/sysconfig\/nftables\.conf' > /);
  });

  it("RHEL's stock sysconfig file (the sample's include commented out): nothing flushed by the file, an info", () => {
    const sysconfig = conf(own('rhel-sysconfig-nftables.conf'), 'etc/sysconfig/nftables.conf');
    const main = conf(own('rhel-main.nft'), 'etc/nftables/main.nft');
    const [f] = nftFinding(debianHost({ nftablesConfig: [sysconfig, main] }));
    expect(f.severity).toBe('info');
    expect(f.message).toMatch(/declares no table and has no "flush ruleset"/);
    expect(f.message).toMatch(/and so does a reload/);
    expect(f.evidence.map((e) => e.file)).not.toContain('etc/nftables/main.nft');
  });
});

describe('healthy: nftables.service off, or no container host', () => {
  it('disabled and inactive: silent', () => {
    const inactive = units(own('systemctl_list-units.txt').replace('nftables.service                       loaded active exited  nftables', 'nftables.service                       loaded inactive dead    nftables'));
    const disabled = unitFiles(own('systemctl_list-unit-files.txt').replace('nftables.service                       enabled ', 'nftables.service                       disabled'));
    expect(nftFinding(debianHost({ services: [inactive, disabled] }))).toEqual([]);
  });

  it('a host without Docker or Kubernetes: silent', () => {
    const plain = parseSystemctlText(
      'UNIT FILE                              STATE           VENDOR PRESET\nnftables.service                       enabled         enabled\nssh.service                            enabled         enabled\n\n2 unit files listed.\n',
      'systemctl_list-unit-files',
    );
    expect(runNode(serviceConflict, { services: [plain], nftablesConfig: [conf(DEBIAN_CONF())] })).toEqual([]);
  });

  it('Docker told not to touch the firewall (--iptables=false), no Kubernetes: silent', () => {
    const daemon = parseDockerDaemonJson('{\n  "iptables": false\n}\n', 'etc/docker/daemon.json');
    const withFlag = debianHost({ iptables: [], dockerDaemon: [daemon] });
    expect(nftFinding(withFlag)).toEqual([]);
  });
});

describe("the configuration's statements (parseNftablesConfig)", () => {
  it("Debian's stock file: flush ruleset at line 3, table inet filter at line 5", () => {
    const c = conf(DEBIAN_CONF());
    expect(c.hostPath).toBe('/etc/nftables.conf');
    expect(c.statements.map((s) => [s.kind, s.family, s.table, s.ref.line])).toEqual([
      ['flush-ruleset', undefined, undefined, 3],
      ['table', 'inet', 'filter', 5],
    ]);
  });

  it("RHEL's main.nft sample: its commented includes are not includes", () => {
    const c = conf(own('rhel-main.nft'), 'sosreport-n1/etc/nftables/main.nft');
    expect(c.hostPath).toBe('/etc/nftables/main.nft');
    expect(c.statements.map((s) => [s.kind, s.table ?? '', s.ref.line])).toEqual([
      ['flush-ruleset', '', 5],
      ['table', 'nftables_svc', 8],
    ]);
  });

  it('commands, resets, includes and comments with braces; a bare name is placed by its content', () => {
    // checked with the real `nft --check --file` (nft 1.0.6)
    const text = [
      '#!/usr/sbin/nft -f',
      '# a { comment } with braces and "quotes"',
      'define lan = 10.0.0.0/8',
      'add table ip filter',
      'add chain ip filter INPUT { type filter hook input priority 0; }',
      'add rule ip filter INPUT ip saddr $lan accept comment "lan # ok"',
      'flush ruleset ip',
      'flush table inet host_filter; delete table ip6 old',
      'table inet host_filter { chain input { type filter hook input priority 0; }; }',
      'include "nftables.d/*.nft"',
      '',
    ].join('\n');
    const c = conf(text, 'host-collectors/nft-config/nftables.conf');
    expect(c).toMatchObject({ hostPath: '/etc/nftables.conf', hostPathGuessed: true });
    expect(c.statements.map((s) => [s.kind, s.family ?? '', s.table ?? s.path ?? '', s.ref.line])).toEqual([
      ['table', 'ip', 'filter', 4],
      ['table', 'ip', 'filter', 5],
      ['table', 'ip', 'filter', 6],
      ['flush-ruleset', 'ip', '', 7],
      ['flush-table', 'inet', 'host_filter', 8],
      ['delete-table', 'ip6', 'old', 8],
      ['table', 'inet', 'host_filter', 9],
      ['include', '', 'nftables.d/*.nft', 10],
    ]);
    expect(conf(own('rhel-sysconfig-nftables.conf').replace('#include', 'include'), 'nftables.conf').hostPath).toBe('/etc/sysconfig/nftables.conf');
  });

  it('a glob include is followed to the files the bundle holds; one that matches nothing leaves the file not shown (a warning, not an info)', () => {
    const main = conf('#!/usr/sbin/nft -f\ninclude "/etc/nftables.d/*.nft"\n');
    const part = conf(SCOPED_CONF(), 'etc/nftables.d/10-filter.nft');
    const [shown] = nftFinding(debianHost({ nftablesConfig: [main, part] }));
    expect(shown).toMatchObject({ severity: 'info', facts: { flushesRuleset: false } });
    const [unseen] = nftFinding(debianHost({ nftablesConfig: [main] }));
    expect(unseen.severity).toBe('warning');
    expect(unseen.message).toMatch(/\/etc\/nftables\.conf includes \/etc\/nftables\.d\/\*\.nft, which the bundle does not hold: whether it flushes the ruleset is not shown/);
    const flushing = conf(DEBIAN_CONF(), 'etc/nftables.d/10-filter.nft');
    const [f] = nftFinding(debianHost({ nftablesConfig: [main, flushing] }));
    expect(f.message).toMatch(/\/etc\/nftables\.d\/10-filter\.nft \(which \/etc\/nftables\.conf includes\) starts with "flush ruleset" \(line 3\)/);
    expect(f.remedy.commands[0]).toMatch(/' \/etc\/nftables\.d\/10-filter\.nft   # line 3/);
  });
});
