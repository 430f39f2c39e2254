/**
 * firewalld.netavark-port-forwards-lost (containers/netavark#723): Podman's published ports are gone
 * from the runtime forward-ports of netavark's firewalld policy netavark_portfwd after a firewalld
 * reload. Policy listings: the REAL firewalld 1.3.3 daemon's (test/nft/firewalld-policies.test.ts
 * says how they were made), and the ticket's own pastes. podman ps / podman port: public pastes of
 * the real commands (Podman 2.x-4.x), verbatim.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import analyzer from '../../analyzers/firewalld-netavark-port-forwards-lost.js';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { parseFirewallCmdPolicies, parseFirewalldPolicyXml } from '../../src/nft/firewalld.js';
import { parseNftText } from '../../src/nft/parse-text.js';
import { parsePodmanPort, parsePodmanPs, publishedPorts, sniffPodmanPort, sniffPodmanPs } from '../../src/parsers/podman.js';
import { parseSystemctlText } from '../../src/parsers/services.js';
import { SkipFile } from '../../src/model/source.js';
import { FLAT_RULES, SOSREPORT_RULES } from '../../src/layouts/rules.js';
import { tmpDir } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';

/** the real firewalld 1.3.3: `firewall-cmd --info-policy=netavark_portfwd` after `firewall-cmd --reload` */
const INFO_AFTER = [
  'netavark_portfwd (active)',
  '  priority: -1',
  '  target: CONTINUE',
  '  ingress-zones: ANY',
  '  egress-zones: ANY',
  '  services: ',
  '  ports: ',
  '  protocols: ',
  '  masquerade: no',
  '  forward-ports: ',
  '  source-ports: ',
  '  icmp-blocks: ',
  '  rich rules: ',
  '',
].join('\n');
/** the same before the reload, as netavark's firewalld driver left it for a container at 10.88.0.8 */
const INFO_BEFORE = INFO_AFTER.replace('  forward-ports: \n', '  forward-ports: \n\tport=8000:proto=tcp:toport=80:toaddr=10.88.0.8\n\tport=8443:proto=tcp:toport=443:toaddr=10.88.0.8\n');
/** containers/netavark#723 (firewalld 1.1.1, podman 4.5.1, netavark 1.3.0): the reporter's two pastes */
const TICKET_BEFORE = [
  'netavark_portfwd (active)', '  priority: -1', '  target: CONTINUE', '  ingress-zones: ANY', '  egress-zones: ANY', '  services:', '  ports:', '  protocols:', '  masquerade: no',
  '  forward-ports:', '        port=8000:proto=tcp:toport=80:toaddr=10.88.0.8', '  source-ports:', '  icmp-blocks:', '  rich rules:', '',
].join('\n');
const TICKET_AFTER = TICKET_BEFORE.replace('        port=8000:proto=tcp:toport=80:toaddr=10.88.0.8\n', '');

/** a public paste of `podman ps` (podman run --name qytang-nginx -p 8000:80 -d nginx) */
const PS_8000 = [
  '[root@localhost ~]# podman ps',
  'CONTAINER ID  IMAGE                           COMMAND               CREATED        STATUS            PORTS                 NAMES',
  'ec7ad63e1b0a  docker.io/library/nginx:latest  nginx -g daemon o...  4 seconds ago  Up 4 seconds ago  0.0.0.0:8000->80/tcp  qytang-nginx',
  '',
].join('\n');
/** a public paste of `podman ps`: one container without published ports, one with 8080 */
const PS_MIXED = [
  '[kimchen@rhel9 exercise264]$ podman ps',
  'CONTAINER ID  IMAGE                           COMMAND               CREATED         STATUS         PORTS                 NAMES',
  'dd58ed022ea7  docker.io/library/nginx:latest  nginx -g daemon o...  33 minutes ago  Up 33 minutes                        web2',
  '00d40c4a5602  docker.io/library/nginx:latest  nginx -g daemon o...  3 seconds ago   Up 3 seconds   0.0.0.0:8080->80/tcp  nginxport',
  '',
].join('\n');
/** public pastes: `podman ps -a` of a stopped pod (ports listed, containers exited); a container that only exposes 80 */
const PS_EXITED = [
  '$ sudo podman ps -a',
  'CONTAINER ID  IMAGE                           COMMAND               CREATED        STATUS                    PORTS                 NAMES',
  'cacdc75990b0  docker.io/library/nginx:latest  nginx -g daemon o...  2 minutes ago  Exited (0) 7 seconds ago  0.0.0.0:8082->80/tcp  hello-nginx',
  '4dce350e01cf  k8s.gcr.io/pause:3.1                                  3 minutes ago  Exited (0) 7 seconds ago  0.0.0.0:8082->80/tcp  a2edfd109576-infra',
  '',
].join('\n');
const PS_EXPOSED_ONLY = [
  '[bulent@lima-podman bulent]$ sudo podman ps -a',
  'CONTAINER ID  IMAGE                           COMMAND               CREATED        STATUS        PORTS       NAMES',
  'fe2eab7e4167  docker.io/library/nginx:latest  nginx -g daemon o...  4 minutes ago  Up 4 minutes  80/tcp      sleepy_darwin',
  '',
].join('\n');
/** a public paste of `podman port -a` (the id, a tab, the mapping) */
const PORT_ALL = ['6e84c6ecaf77\t3306/tcp -> 0.0.0.0:3306', 'c0ed58b8fc68\t3306/tcp -> 0.0.0.0:3308', 'c478dbc619dc\t3306/tcp -> 0.0.0.0:3310', ''].join('\n');
/** podman-port(1)'s example: the full id on its own line, its mappings under it */
const PORT_MANUAL = ['b4d2f05432e482e017b1a4b2eae15fa7b4f6fb7e9f65c1bde46294fdef285906', '80/udp -> 0.0.0.0:44327', '80/tcp -> 0.0.0.0:44327', ''].join('\n');

const policies = (text: string, file = 'firewall-cmd_--info-policy_netavark_portfwd') => parseFirewallCmdPolicies(text, file);

describe('podman ps / podman port --all', () => {
  it('podman ps: published ports with the container, its status and the line; exposed-only ports are not published', () => {
    const ps = parsePodmanPs(PS_MIXED, 'podman_ps');
    expect(ps).toMatchObject({ source: 'ps', containers: 2, warnings: [] });
    expect(ps.ports).toEqual([
      { container: '00d40c4a5602', name: 'nginxport', hostIp: '0.0.0.0', hostPort: '8080', containerPort: '80', protocol: 'tcp', running: true, ref: { file: 'podman_ps', line: 4 }, excerpt: 'nginxport Up 3 seconds 0.0.0.0:8080->80/tcp' },
    ]);
    expect(parsePodmanPs(PS_8000, 'p').ports.map((p) => `${p.name} ${p.hostPort}->${p.containerPort}/${p.protocol} ${p.running}`)).toEqual(['qytang-nginx 8000->80/tcp true']);
    expect(parsePodmanPs(PS_EXPOSED_ONLY, 'p')).toMatchObject({ containers: 1, ports: [], warnings: [] });
    const exited = parsePodmanPs(PS_EXITED, 'p');
    expect(exited.ports.map((p) => p.running)).toEqual([false, false]);
    expect(publishedPorts([exited])).toEqual([]);
    expect(() => parsePodmanPs('Error: cannot connect to Podman\n', 'p')).toThrow(SkipFile);
  });

  it('podman port --all: both layouts; sniffed only where docker cannot have printed it', () => {
    const a = parsePodmanPort(PORT_ALL, 'podman_port_--all');
    expect(a).toMatchObject({ source: 'port', containers: 3 });
    expect(a.ports.map((p) => `${p.container} ${p.hostIp}:${p.hostPort}->${p.containerPort}/${p.protocol}@${p.ref.line}`)).toEqual([
      '6e84c6ecaf77 0.0.0.0:3306->3306/tcp@1',
      'c0ed58b8fc68 0.0.0.0:3308->3306/tcp@2',
      'c478dbc619dc 0.0.0.0:3310->3306/tcp@3',
    ]);
    const m = parsePodmanPort(PORT_MANUAL, 'p');
    expect(m.containers).toBe(1);
    expect(m.ports.map((p) => `${p.hostPort}->${p.containerPort}/${p.protocol}`)).toEqual(['44327->80/udp', '44327->80/tcp']);
    expect(sniffPodmanPort(PORT_ALL)).toBe(true);
    expect(sniffPodmanPort('80/tcp -> 0.0.0.0:8080\n')).toBe(false);
    // podman ps is sniffed under its command line only: docker ps prints the same header
    expect(sniffPodmanPs(PS_8000)).toBe(true);
    expect(sniffPodmanPs(PS_8000.replace('podman ps', 'docker ps'))).toBe(false);
    expect([PS_MIXED, PS_EXITED, PS_EXPOSED_ONLY].map(sniffPodmanPs)).toEqual([true, true, true]);
  });

  it("layout rules: sos's podman plugin's file names, hand-made names, policy XML", () => {
    const fmt = (rules: { re: RegExp; format: string }[], path: string) => rules.find((r) => r.re.test(path))?.format;
    expect(fmt(SOSREPORT_RULES, 'sos_commands/podman/podman_ps')).toBe('podman-ps');
    expect(fmt(SOSREPORT_RULES, 'sos_commands/podman/podman_ps_-a')).toBe('podman-ps');
    expect(fmt(SOSREPORT_RULES, 'sos_commands/podman/podman_port_--all')).toBe('podman-port');
    expect(fmt(SOSREPORT_RULES, 'sos_commands/podman/podman_pod_ps')).toBeUndefined();
    expect(fmt(SOSREPORT_RULES, 'etc/firewalld/policies/netavark_portfwd.xml')).toBe('firewalld-policy-xml');
    expect(fmt(FLAT_RULES, 'node1/podman-ps.txt')).toBe('podman-ps');
    expect(fmt(FLAT_RULES, 'podman_port_-a.out')).toBe('podman-port');
    expect(fmt(FLAT_RULES, 'etc/firewalld/policies/netavark_policy.xml')).toBe('firewalld-policy-xml');
  });
});

describe('firewalld.netavark-port-forwards-lost', () => {
  it('fires: podman publishes 8000/tcp, the runtime netavark_portfwd forwards nothing (after a reload)', () => {
    const f = runNode(analyzer, { firewalldPolicies: [policies(INFO_AFTER)], podmanPorts: [parsePodmanPs(PS_8000, 'sos_commands/podman/podman_ps')] });
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'warning', facts: { policy: 'netavark_portfwd', lostPorts: ['8000/tcp'], policyForwardPorts: 0 } });
    expect(f[0].evidence[0]).toMatchObject({ file: 'firewall-cmd_--info-policy_netavark_portfwd', line: 10, excerpt: 'netavark_portfwd (active) forward-ports: (none)' });
    expect(f[0].evidence[1]).toMatchObject({ file: 'sos_commands/podman/podman_ps', line: 3 });
    expect(f[0].remedy.commands[0]).toBe('podman network reload --all');
    expect(f[0].remedy.commands.join('\n')).toContain('systemctl enable --now netavark-firewalld-reload.service');
    expect(f[0].message).toContain('8000/tcp');
  });

  it('fires on the ports a partial listing misses (a container started after the reload re-added only its own)', () => {
    const onlyNew = INFO_AFTER.replace('  forward-ports: \n', '  forward-ports: \n\tport=3306:proto=tcp:toport=3306:toaddr=10.88.0.9\n');
    const f = runNode(analyzer, { firewalldPolicies: [policies(onlyNew)], podmanPorts: [parsePodmanPort(PORT_ALL, 'podman_port_--all')] });
    expect(f).toHaveLength(1);
    expect(f[0].facts).toMatchObject({ lostPorts: ['3308/tcp', '3310/tcp'], policyForwardPorts: 1 });
  });

  it('healthy: the policy forwards what podman publishes; no published port; only exited containers publish', () => {
    expect(runNode(analyzer, { firewalldPolicies: [policies(INFO_BEFORE)], podmanPorts: [parsePodmanPs(PS_8000, 'p')] })).toEqual([]);
    expect(runNode(analyzer, { firewalldPolicies: [policies(INFO_AFTER)], podmanPorts: [parsePodmanPs(PS_EXPOSED_ONLY, 'p')] })).toEqual([]);
    expect(runNode(analyzer, { firewalldPolicies: [policies(INFO_AFTER)], podmanPorts: [parsePodmanPs(PS_EXITED, 'p')] })).toEqual([]);
    // podman's listing says nothing is published: the snapshot difference is a container that stopped
    expect(runNode(analyzer, { firewalldPolicies: [policies(TICKET_BEFORE, 'a'), policies(TICKET_AFTER, 'b')], podmanPorts: [parsePodmanPs(PS_EXPOSED_ONLY, 'p')] })).toEqual([]);
  });

  it('the permanent configuration never counts: an empty netavark_portfwd there is how netavark leaves it', () => {
    const perm = parseFirewallCmdPolicies(INFO_AFTER, 'sos_commands/firewalld/firewall-cmd_--permanent_--list-all-policies');
    const xml = parseFirewalldPolicyXml('<?xml version="1.0" encoding="utf-8"?>\n<policy target="CONTINUE">\n  <ingress-zone name="ANY"/>\n  <egress-zone name="ANY"/>\n</policy>\n', 'etc/firewalld/policies/netavark_portfwd.xml');
    expect(runNode(analyzer, { firewalldPolicies: [perm, xml], podmanPorts: [parsePodmanPs(PS_8000, 'p')] })).toEqual([]);
    // ... and does not hide the runtime listing
    expect(runNode(analyzer, { firewalldPolicies: [xml, policies(INFO_AFTER)], podmanPorts: [parsePodmanPs(PS_8000, 'p')] })).toHaveLength(1);
  });

  it("quiet when netavark's nftables driver forwards the ports (its table inet netavark is in the bundle): the policy is a leftover", () => {
    const file = 'test/fixtures/hosts/podman-fwd-off/fedora-podman-01/nft_list_ruleset.txt';
    const nft = parseNftText(readFileSync(projectPath(file), 'utf8'), file);
    expect(runNode(analyzer, { firewalldPolicies: [policies(INFO_AFTER)], podmanPorts: [parsePodmanPs(PS_8000, 'p')], nftables: [nft] })).toEqual([]);
  });

  it('netavark-firewalld-reload.service running: the remedy asks for its journal instead of enabling it', () => {
    const units = parseSystemctlText('  UNIT                              LOAD   ACTIVE SUB     DESCRIPTION\n  netavark-firewalld-reload.service loaded active running Listen for the firewalld reload event and reapply all netavark firewall rules.\n', 'units');
    const f = runNode(analyzer, { firewalldPolicies: [policies(INFO_AFTER)], podmanPorts: [parsePodmanPs(PS_8000, 'p')], services: [units] });
    expect(f).toHaveLength(1);
    expect(f[0].remedy.commands).toContain('journalctl -u netavark-firewalld-reload.service');
    expect(f[0].facts).toMatchObject({ reloadUnitActive: true });
  });

  it('without podman listings: the ticket\'s two pastes, one forwarding 8000/tcp, the other empty', () => {
    const f = runNode(analyzer, { firewalldPolicies: [policies(TICKET_BEFORE, 'before.txt'), policies(TICKET_AFTER, 'after.txt')] });
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'warning', facts: { lostPorts: ['8000/tcp'] } });
    expect(f[0].evidence.map((e) => `${e.file}:${e.line}`)).toEqual(['before.txt:11', 'after.txt:10']);
    // one listing alone, without podman's: nothing to compare with, nothing said
    expect(runNode(analyzer, { firewalldPolicies: [policies(TICKET_AFTER)] })).toEqual([]);
  });
});

describe('end to end, a hand-made bundle folder', () => {
  const bundle = (files: Record<string, string>) => {
    const dir = join(tmpDir('bd-netavark-'), 'podman-host');
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(dir, name, '..'), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    return dir;
  };

  it('firewall-cmd --list-all-policies (sniffed) and podman ps: one warning citing both files', async () => {
    const listing = INFO_AFTER;
    const report = await analyzeBundle(bundle({ 'firewall-cmd-list-all-policies.txt': listing, 'podman_ps.txt': PS_8000 }));
    const f = report.findings.filter((x) => x.id === 'firewalld.netavark-port-forwards-lost');
    expect(f).toHaveLength(1);
    expect(f[0].severity).toBe('warning');
    expect(f[0].evidence.map((e) => `${e.file}:${e.line}`)).toEqual(['firewall-cmd-list-all-policies.txt:10', 'podman_ps.txt:3']);
    expect(report.coverage.nodes[0].artifacts.firewalldPolicies).toEqual(['firewall-cmd-list-all-policies.txt']);
    expect(report.coverage.nodes[0].artifacts.podmanPorts).toEqual(['podman_ps.txt']);
  });

  it('the reviewer\'s case (containers/netavark#723: the two pastes only): a warning; healthy folder: nothing', async () => {
    const report = await analyzeBundle(bundle({ 'firewall-cmd-info-policy-before.txt': TICKET_BEFORE, 'firewall-cmd-info-policy-after-reload.txt': TICKET_AFTER }));
    const f = report.findings.filter((x) => x.id === 'firewalld.netavark-port-forwards-lost');
    expect(f).toHaveLength(1);
    expect(f[0].evidence.map((e) => e.file).sort()).toEqual(['firewall-cmd-info-policy-after-reload.txt', 'firewall-cmd-info-policy-before.txt']);
    const healthy = await analyzeBundle(bundle({ 'firewall-cmd-list-all-policies.txt': INFO_BEFORE, 'podman_ps.txt': PS_8000 }));
    expect(healthy.findings.filter((x) => x.id === 'firewalld.netavark-port-forwards-lost')).toEqual([]);
    expect(healthy.coverage.nodes[0].analyzers.find((a) => a.id === 'firewalld.netavark-port-forwards-lost')).toMatchObject({ status: 'ran', findings: 0 });
  });
});
