/**
 * iptables.forward-blocks-containers and the nftables configuration nftables.service loads at boot
 * (/etc/nftables.conf, /etc/sysconfig/nftables.conf and the files it includes), for a bundle with no
 * live `nft list ruleset`: a configuration whose forward base chain drops the containers' packets is
 * a warning (never the critical of a traced live verdict) that cites the file and line of the policy
 * or rule and says to collect `nft list ruleset`. Quiet when the service is off, when the
 * configuration accepts the bridge's traffic, when a live listing exists (the live trace decides),
 * and for Debian's stock file (policy accept).
 *
 * Real text:
 * - test/fixtures/h4-nftables/netavark-977.conf: the configuration of containers/netavark#977
 *   ("Play nice with nftables forward policy drop", https://github.com/containers/netavark/issues/977):
 *   `table inet filter { chain forward { type filter hook forward priority 0; policy drop; iifname lan
 *   oifname wan accept; } }`, which cut the reporter's containers off. Checked with the real
 *   `nft -c -f` (nftables 1.0.6) and loaded in a network namespace: nft_list_ruleset.netavark-977 is
 *   its real `nft list ruleset`.
 * - netavark-977-fixed.conf: the same with the two rules this finding's remedy proposes as the chain's
 *   first rules (`oifname "docker0" ct state established,related accept`, `iifname "docker0" accept`),
 *   checked with `nft -c -f` and loaded the same way.
 * - test/fixtures/nft/nftables-conf-drop/nftables.conf: Debian's file hardened (forward policy drop).
 * - test/fixtures/service-conflict-nftables/debian-nftables.conf: Debian 12's stock /etc/nftables.conf
 *   (nftables 1.0.6 package; identical to the one `apt-get download nftables` unpacks).
 * - RHEL: the stock /etc/sysconfig/nftables.conf with its include of the stock /etc/nftables/main.nft
 *   sample uncommented and `include "/etc/nftables/forward.nft"` (netavark-977.conf) appended as its
 *   comment says (h4-nftables/rhel-sysconfig.conf); loaded for real with nft -f, the namespace's
 *   `nft list ruleset` (nft_list_ruleset.rhel-sysconfig) holds inet nftables_svc and inet filter. With
 *   forward.nft included first (rhel-sysconfig-forward-first.conf), main.nft's `flush ruleset` deletes
 *   it: the real listing holds inet nftables_svc alone.
 * - the host: Docker 28's rules in iptables-nft, ip addr / ip route of a namespace made like a Docker
 *   host, systemctl listings with nftables.service active / enabled (test/fixtures/service-conflict-nftables).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import forwardBlocks from '../../analyzers/iptables-forward-blocks-containers.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { parseNftablesConfig } from '../../src/nft/config.js';
import { parseNftText } from '../../src/nft/parse-text.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseRoutes } from '../../src/parsers/ip-route.js';
import { parseSystemctlText } from '../../src/parsers/services.js';
import { projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const fx = (...p: string[]) => readFileSync(projectPath('test/fixtures', ...p), 'utf8');
const h4 = (name: string) => fx('h4-nftables', name);
const sc = (name: string) => fx('service-conflict-nftables', name);

const units = (text = sc('systemctl_list-units.txt')) => parseSystemctlText(text, 'sos_commands/systemd/systemctl_list-units');
const unitFiles = (text = sc('systemctl_list-unit-files.txt')) => parseSystemctlText(text, 'sos_commands/systemd/systemctl_list-unit-files');
const conf = (text: string, file = 'etc/nftables.conf') => parseNftablesConfig(text, file);

/** A Debian Docker host without a live nft listing: Docker 28's rules (iptables-nft), nftables.service active and enabled. */
const host = (extra: Partial<NodeArtifacts> = {}): NodeArtifacts => ({
  services: [units(), unitFiles()],
  iptables: [parseIptablesSave(sc('iptables-nft-save'), 'sos_commands/networking/iptables-save')],
  ipAddr: [parseInterfaces(sc('ip_addr'), 'sos_commands/networking/ip_-d_address')],
  routes: [parseRoutes(sc('ip_route'), 'sos_commands/networking/ip_route')],
  ...extra,
});

const run = (a: NodeArtifacts) => runNode(forwardBlocks, a);
const saved = (a: NodeArtifacts) => run(a).filter((f) => f.facts?.source === 'saved-config');

describe('a restrictive saved nftables configuration, no live listing', () => {
  it('netavark#977\'s forward policy drop: a warning citing the policy line, not a critical', () => {
    const findings = run(host({ nftablesConfig: [conf(h4('netavark-977.conf'))] }));
    expect(findings.filter((f) => f.severity === 'critical')).toEqual([]);
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f.severity).toBe('warning');
    expect(f.facts).toMatchObject({ source: 'saved-config', config: '/etc/nftables.conf', service: 'nftables.service', bridge: 'docker0', subnet: '172.17.0.0/16', uplink: 'eth0', verdict: 'DROP', decidedBy: 'inet filter/forward#0' });
    // the file and line of `type filter hook forward priority 0; policy drop;`
    expect(f.evidence[0]).toMatchObject({ file: 'etc/nftables.conf', line: 3, excerpt: 'policy drop' });
    expect(f.evidence).toContainEqual(expect.objectContaining({ file: 'sos_commands/systemd/systemctl_list-units', line: 5 }));
    expect(f.message).toContain('nftables configuration that nftables.service loads at boot');
    expect(f.message).toContain('(etc/nftables.conf:3)');
    expect(f.message).toContain('not from the rules seen running');
    expect(f.message).toContain('Collect `nft list ruleset` to confirm');
    expect(f.remedy?.commands[0]).toMatch(/^nft list ruleset /);
    // idempotent inserts, and the same rules to add to the file
    expect(f.remedy?.commands).toContain(`nft list chain inet filter forward | sed 's/^[[:space:]]*//' | grep -qxF 'iifname "docker0" accept' || nft insert rule inet filter forward iifname "docker0" accept   # the containers' own connections (fails harmlessly when the table is not loaded)`);
    expect(f.remedy?.commands.join('\n')).toContain('# persist: in /etc/nftables.conf, table inet filter, chain forward');
    expect(f.remedy?.commands.join('\n')).toContain('#   oifname "docker0" ct state established,related accept');
  });

  it('the remedy\'s rules written into the file (netavark-977-fixed.conf, loaded for real): quiet, both directions pass', () => {
    expect(run(host({ nftablesConfig: [conf(h4('netavark-977-fixed.conf'))] }))).toEqual([]);
  });

  it("Debian's hardened file (forward policy drop, after flush ruleset): the warning cites its line 11", () => {
    const [f] = saved(host({ nftablesConfig: [conf(fx('nft/nftables-conf-drop/nftables.conf'))] }));
    expect(f.severity).toBe('warning');
    expect(f.evidence[0]).toMatchObject({ file: 'etc/nftables.conf', line: 11 });
  });

  it('sees the same verdict the live trace gives on the real nft list ruleset of that configuration', () => {
    // control: the namespace's real listing as the live rules gives the traced (critical) verdict, at the same chain
    const live = run(host({ nftables: [parseNftText(h4('nft_list_ruleset.netavark-977'), 'nft_list_ruleset')] }));
    expect(live.map((f) => [f.severity, f.facts?.decidedBy])).toEqual([['critical', 'inet filter/forward#0']]);
    const [f] = saved(host({ nftablesConfig: [conf(h4('netavark-977.conf'))] }));
    expect(f.facts?.decidedBy).toBe(live[0].facts?.decidedBy);
  });

  it('a live listing exists: the live trace decides, and the saved configuration adds nothing', () => {
    // the live listing lacks the table (someone ran nft flush ruleset, or the service's load failed): no finding at all
    const findings = run(host({ nftables: [parseNftText(sc('nft_list_ruleset.docker29'), 'nft_list_ruleset')], nftablesConfig: [conf(h4('netavark-977.conf'))] }));
    expect(findings).toEqual([]);
  });

  it('nftables.service disabled and inactive, or masked: quiet', () => {
    const off = (s: string) => s.replace(/^ {2}nftables\.service.*\n/m, '');
    const disabled = unitFiles(sc('systemctl_list-unit-files.txt').replace(/^nftables\.service\s+enabled\s+enabled$/m, 'nftables.service                       disabled        enabled'));
    expect(run(host({ services: [units(off(sc('systemctl_list-units.txt'))), disabled], nftablesConfig: [conf(h4('netavark-977.conf'))] }))).toEqual([]);
    const masked = unitFiles(sc('systemctl_list-unit-files.txt').replace(/^nftables\.service\s+enabled\s+enabled$/m, 'nftables.service                       masked          enabled'));
    expect(run(host({ services: [masked], nftablesConfig: [conf(h4('netavark-977.conf'))] }))).toEqual([]);
    // no service listing at all: nothing says the file is loaded
    expect(run(host({ services: [], nftablesConfig: [conf(h4('netavark-977.conf'))] }))).toEqual([]);
  });

  it("Debian's stock /etc/nftables.conf (policy accept): quiet", () => {
    expect(run(host({ nftablesConfig: [conf(sc('debian-nftables.conf'))] }))).toEqual([]);
  });

  it('enabled only (not running yet): still the configuration of the next boot, a warning', () => {
    const findings = saved(host({ services: [unitFiles()], nftablesConfig: [conf(h4('netavark-977.conf'))] }));
    expect(findings.map((f) => [f.severity, f.facts?.serviceState])).toEqual([['warning', 'enabled']]);
  });
});

describe('RHEL: /etc/sysconfig/nftables.conf and the files it includes, in load order', () => {
  const rhel = (sysconfig: string) => [
    conf(sysconfig, 'sosreport-n1/etc/sysconfig/nftables.conf'),
    conf(sc('rhel-main.nft'), 'sosreport-n1/etc/nftables/main.nft'),
    conf(h4('netavark-977.conf'), 'sosreport-n1/etc/nftables/forward.nft'),
  ];

  it('forward.nft included after main.nft: the warning cites forward.nft and names the file the service loads', () => {
    const [f, ...rest] = saved(host({ nftablesConfig: rhel(h4('rhel-sysconfig.conf')) }));
    expect(rest).toEqual([]);
    expect(f.severity).toBe('warning');
    expect(f.evidence[0]).toMatchObject({ file: 'sosreport-n1/etc/nftables/forward.nft', line: 3 });
    expect(f.facts).toMatchObject({ config: '/etc/sysconfig/nftables.conf', configFiles: ['sosreport-n1/etc/sysconfig/nftables.conf', 'sosreport-n1/etc/nftables/main.nft', 'sosreport-n1/etc/nftables/forward.nft'] });
    expect(f.message).toContain('/etc/sysconfig/nftables.conf, which includes /etc/nftables/forward.nft');
    expect(f.remedy?.commands.join('\n')).toContain('# persist: in /etc/nftables/forward.nft, table inet filter, chain forward');
    // the live listing of the same load (real nft -f of these files) gives the same verdict, traced
    const live = run(host({ nftables: [parseNftText(h4('nft_list_ruleset.rhel-sysconfig'), 'nft_list_ruleset')] }));
    expect(live.map((x) => [x.severity, x.facts?.decidedBy])).toEqual([['critical', f.facts?.decidedBy]]);
  });

  it("forward.nft included before main.nft: main.nft's flush ruleset deletes it (as the real load shows): quiet", () => {
    expect(run(host({ nftablesConfig: rhel(h4('rhel-sysconfig-forward-first.conf')) }))).toEqual([]);
  });

  it('the stock files alone (main.nft filters input only): quiet', () => {
    expect(run(host({ nftablesConfig: rhel(h4('rhel-sysconfig.conf').replace('include "/etc/nftables/forward.nft"\n', '')) }))).toEqual([]);
  });

  it('an include the bundle lacks: not traced (a rule there could accept), and the coverage says so', () => {
    const notes: string[] = [];
    const findings = forwardBlocks.analyze({ node: 'n', artifacts: host({ nftablesConfig: rhel(h4('rhel-sysconfig.conf')).slice(0, 2) }) as never, options: { requiredPorts: [] }, partly: (w: string) => notes.push(w) } as never);
    expect(findings).toEqual([]);
    expect(notes.join('\n')).toContain('includes /etc/nftables/forward.nft, which the bundle does not hold');
  });
});

describe('what accepts the containers in the configuration itself', () => {
  const withRules = (rules: string) => h4('netavark-977.conf').replace('\t\tiifname lan oifname wan accept;\n', `${rules}\t\tiifname lan oifname wan accept;\n`);

  it('a jump to a chain that accepts the bridge and the replies: quiet', () => {
    const text = withRules('\t\tct state established,related accept\n\t\tjump containers\n').replace('\t}\n}\n', '\t}\n\tchain containers {\n\t\tiifname "docker0" accept\n\t}\n}\n');
    expect(run(host({ nftablesConfig: [conf(text)] }))).toEqual([]);
  });

  it('the bridge accepted, the replies not (no ct state rule): the reply is what it drops', () => {
    const [f] = saved(host({ nftablesConfig: [conf(withRules('\t\tiifname "docker0" accept\n'))] }));
    expect(f.facts).toMatchObject({ verdict: 'DROP', replyTo: '10.0.0.5' });
    expect(f.message).toContain('the reply from the outside back to 172.17.0.0/16 (docker0)');
  });

  it('a variable defined in the file is put in place: `define DOCKER = "docker0"` then iifname $DOCKER accept', () => {
    const text = `define DOCKER = "docker0"\n${withRules('\t\tct state established,related accept\n\t\tiifname $DOCKER accept\n')}`;
    expect(run(host({ nftablesConfig: [conf(text)] }))).toEqual([]);
    // an undefined variable: not guessed
    const notes: string[] = [];
    const undefinedVar = withRules('\t\tct state established,related accept\n\t\tiifname $DOCKER accept\n');
    forwardBlocks.analyze({ node: 'n', artifacts: host({ nftablesConfig: [conf(undefinedVar)] }) as never, options: { requiredPorts: [] }, partly: (w: string) => notes.push(w) } as never);
    expect(notes.join('\n')).toContain('a variable the bundle does not define');
  });
});
