/**
 * Versions from the installed-package lists where the program's own word is missing
 * (analyzers/lib/package-versions.ts):
 * - dockerOnFirewalldReload: docker info / docker version first; else the installed engine package
 *   (docker-ce, moby-engine, docker.io, ...): firewalld.container-interface-unzoned's fix keeps the restart
 *   for docker-ce 24.0.7 and drops it for 28.4.0, naming the package and its line;
 * - iptables.container-dns-blocked: the installed netavark (1.7.0 / Debian's 1.4.0: upgrade is a fix;
 *   1.10.3 with its accept missing from the rules: reload netavark's rules, no upgrade);
 * - iptables.kube-firewall-corrupted: the host's iptables package beside (or instead of) iptables -V.
 * Package lists: test/fixtures/packages (real rpm 4.18 / dpkg 1.21 output, see its README.md).
 * Other texts: test/fixtures/container-dns (containers/netavark#742 rules loaded with real iptables),
 * firewalld zones / ip a / docker info fixtures of firewalld-reload-docker-version.test.ts, the corpus'
 * kubernetes#114549 / #112477 KUBE-FIREWALL fragments.
 * The `packages` kind is passed with a cast (`as NodeArtifacts`) until it is in ArtifactMap.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import unzoned from '../../analyzers/firewalld-container-interface-unzoned.js';
import dnsBlocked from '../../analyzers/iptables-container-dns-blocked.js';
import kubeFirewall from '../../analyzers/iptables-kube-firewall-corrupted.js';
import { dockerOnFirewalldReload, dockerVersion } from '../../analyzers/lib/container-host.js';
import { installedPackage } from '../../analyzers/lib/package-versions.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { parseFirewallCmdListAllZones } from '../../src/nft/firewalld.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseDockerInfo } from '../../src/parsers/docker-info.js';
import { parseDpkgL, parseDpkgQueryW, parseRpmQa, parseSnapList, type PackageList } from '../../src/parsers/packages.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { parseIptablesVersion } from '../../src/netfilter/iptables-version.js';
import { hasCorpus, projectPath, readCorpus } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const fx = (p: string) => readFileSync(projectPath(p), 'utf8');
const pk = (p: string) => fx(`test/fixtures/packages/${p}`);
const rpms = (p: string, file = 'installed-rpms') => parseRpmQa(pk(p), file);
const debs = (p: string, file = 'sos_commands/dpkg/dpkg_-l') => parseDpkgL(pk(p), file);
/** a node's artifacts with package lists beside them */
const withPackages = (a: NodeArtifacts, ...lists: PackageList[]): NodeArtifacts => ({ ...a, packages: lists });

describe('installedPackage', () => {
  it('the first of the names given that is installed; its line', () => {
    const a = withPackages({}, rpms('el9-docker24/installed-rpms'));
    expect(installedPackage(a, ['moby-engine', 'docker-ce'])).toMatchObject({ name: 'docker-ce', manager: 'rpm', version: '24.0.7-1.el9', upstream: '24.0.7', ref: { file: 'installed-rpms', line: 3 } });
    expect(installedPackage(a, ['iptables-nft', 'iptables'])).toMatchObject({ name: 'iptables-nft', upstream: '1.8.8' });
    expect(installedPackage(a, ['podman'])).toBeUndefined();
    expect(installedPackage({}, ['docker-ce'])).toBeUndefined();
  });

  it("dpkg: rc is not installed, and dpkg -l's state overrides dpkg-query -W, which lists it like an installed one", () => {
    const l = debs('ubuntu-docker24/dpkg_-l');
    const q = parseDpkgQueryW(pk('ubuntu-docker24/dpkg-query-W.txt'), 'dpkg-query-W.txt');
    expect(installedPackage(withPackages({}, l), ['docker.io'])).toBeUndefined();
    expect(installedPackage(withPackages({}, q), ['docker.io'])).toMatchObject({ upstream: '20.10.24+dfsg1' });
    expect(installedPackage(withPackages({}, q, l), ['docker.io'])).toBeUndefined();
    expect(installedPackage(withPackages({}, l), ['docker.io', 'docker-ce'])).toMatchObject({ name: 'docker-ce', version: '5:24.0.7-1~ubuntu.22.04~jammy', upstream: '24.0.7' });
  });

  it('a package listed twice: the newest; a disabled snap revision is not the one in use', () => {
    const two = parseRpmQa('kernel-3.10.0-327.el7.x86_64\nkernel-3.10.0-327.36.1.el7.x86_64\n', 'rpm-qa.txt');
    expect(installedPackage(withPackages({}, two), ['kernel'])!.version).toBe('3.10.0-327.36.1.el7');
    const snaps = parseSnapList('Name    Version      Rev    Tracking       Publisher   Notes\nlxd     6.5-ccdfb39  36020  latest/stable  canonical✓  disabled\nlxd     6.8-da9ddd7  39231  latest/stable  canonical✓  -\n', 'snap-list');
    expect(installedPackage(withPackages({}, snaps), ['lxd'])!.version).toBe('6.8-da9ddd7');
  });
});

const zones = () => parseFirewallCmdListAllZones(fx('test/fixtures/nft/firewalld-real/firewall-cmd_--list-all-zones'), 'sos_commands/firewalld/firewall-cmd_--list-all-zones');
const ipA = () => parseInterfaces(fx('test/fixtures/iproute2/ip_a'), 'ip_a');
const BR = '9: br-5c2d5b9a3f0e: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 qdisc noqueue state DOWN group default\n    link/ether 02:42:9a:1b:2c:3d brd ff:ff:ff:ff:ff:ff\n    inet 172.18.0.1/16 brd 172.18.255.255 scope global br-5c2d5b9a3f0e\n       valid_lft forever preferred_lft forever\n';
const info = (p: string) => parseDockerInfo(fx(`test/fixtures/docker-info/${p}`), 'docker-info.txt', { relPath: 'docker-info.txt' });
const unzonedRemedy = (extra: NodeArtifacts, ...lists: PackageList[]) =>
  runNode(unzoned, withPackages({ firewalldZones: [zones()], ipAddr: [ipA(), parseInterfaces(BR, 'ip_a_extra')], ...extra }, ...lists))[0].remedy;
const restarts = (commands: string[]) => commands.some((c) => /restart docker/.test(c.split('#')[0]));

describe("firewalld reload and Docker's version from its installed package", () => {
  it('no package list, no docker info: unchanged, the reload then the restart', () => {
    const r = unzonedRemedy({});
    expect(r.commands.slice(1)).toEqual(['firewall-cmd --reload', "systemctl restart docker   # firewalld reload removes Docker's rules"]);
    expect(dockerOnFirewalldReload({})).toBeUndefined();
  });

  it('docker-ce 24.0.7 in installed-rpms: the restart stays and names the package and its line', () => {
    const r = unzonedRemedy({}, rpms('el9-docker24/installed-rpms'));
    expect(restarts(r.commands)).toBe(true);
    const last = r.commands.at(-1)!;
    expect(last).toMatch(/^systemctl restart docker {3}# Docker 24\.0\.7 \(installed package docker-ce 24\.0\.7-1\.el9; the running daemon may be older until restarted\) does not re-create all its rules when firewalld reloads \(its network-isolation rules stay gone until 28\.0, CVE-2025-54410\)/);
    const a = dockerOnFirewalldReload(withPackages({}, rpms('el9-docker24/installed-rpms')))!;
    expect(a).toMatchObject({ restoresAll: false, version: '24.0.7', from: 'package', evidence: { file: 'installed-rpms', line: 3 } });
    expect(a.evidence.excerpt).toMatch(/^docker-ce-24\.0\.7-1\.el9\.x86_64 /);
  });

  it('docker-ce 28.4.0 (rpm and deb): no restart, a check that its rules are back, saying it rests on the installed package', () => {
    for (const list of [rpms('el9-docker28/installed-rpms'), debs('debian-docker28/dpkg_-l', 'installed-debs')]) {
      const r = unzonedRemedy({}, list);
      expect(restarts(r.commands)).toBe(false);
      const last = r.commands.at(-1)!;
      expect(last).toMatch(/^iptables -S DOCKER-FORWARD .*# Docker 28\.4\.0 \(installed package docker-ce .*; the running daemon may be older until restarted\) re-creates its rules when firewalld reloads \(28\.3\.3\+, moby#50506\): no restart needed/);
      expect(last).toContain(`(${list.file}:`);
    }
  });

  it('docker info first: its engine version decides even with a newer package installed', () => {
    const r = unzonedRemedy({ dockerDaemon: [info('debian-20.10.24/docker-info-swarm.txt')] }, rpms('el9-docker28/installed-rpms'));
    expect(r.commands.at(-1)).toMatch(/^systemctl restart docker {3}# Docker 20\.10\.24\+dfsg1 on a Swarm node/);
    expect(dockerOnFirewalldReload(withPackages({ dockerDaemon: [info('caprover-2377-29.4.1-swarm.txt')] }, rpms('el9-docker24/installed-rpms')))).toMatchObject({ version: '29.4.1', from: 'engine' });
  });

  it("Fedora's moby-engine 20.10.27; a Swarm node (docker_gwbridge) with docker-ce 28.4.0 still restarts (29.0 re-creates Swarm's rules)", () => {
    expect(dockerOnFirewalldReload(withPackages({}, rpms('fc38-moby/installed-rpms')))).toMatchObject({ restoresAll: false, version: '20.10.27' });
    const gw = parseInterfaces('5: docker_gwbridge: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default\n    link/ether 02:42:5e:0c:11:8a brd ff:ff:ff:ff:ff:ff\n    inet 172.19.0.1/16 brd 172.19.255.255 scope global docker_gwbridge\n       valid_lft forever preferred_lft forever\n', 'ip_a_gw');
    const a = dockerOnFirewalldReload(withPackages({ ipAddr: [gw] }, rpms('el9-docker28/installed-rpms')))!;
    expect(a).toMatchObject({ restoresAll: false, version: '28.4.0' });
    expect(a.says).toContain('a Swarm node: docker_gwbridge in ip_a_gw');
  });

  it('dockerVersion: the engine first, else the package, said to be the package', () => {
    expect(dockerVersion(withPackages({}, debs('ubuntu-docker24/dpkg_-l')))).toMatchObject({ version: '24.0.7', numbers: [24, 0, 7], from: 'package', label: 'docker-ce 5:24.0.7-1~ubuntu.22.04~jammy', evidence: { file: 'sos_commands/dpkg/dpkg_-l', line: 6 } });
    expect(dockerVersion(withPackages({ dockerDaemon: [info('caprover-2377-29.4.1-swarm.txt')] }, debs('ubuntu-docker24/dpkg_-l')))).toMatchObject({ version: '29.4.1', from: 'engine' });
    expect(dockerVersion({})).toBeUndefined();
  });

  it('only the CLI package, or docker.io removed (rc): the version stays unknown', () => {
    const cliOnly = parseRpmQa('docker-ce-cli-24.0.7-1.el9.x86_64\n', 'rpm-qa.txt');
    expect(dockerOnFirewalldReload(withPackages({}, cliOnly))).toBeUndefined();
    const rc = parseDpkgL(pk('ubuntu-docker24/dpkg_-l').replace(/^ii {2}docker-ce .*\n/m, ''), 'dpkg_-l');
    expect(dockerOnFirewalldReload(withPackages({}, rc))).toBeUndefined();
  });
});

const dns = (f: string) => readFileSync(projectPath('test/fixtures/container-dns', f), 'utf8');
const podman1 = () => [parseInterfaces(dns('podman1-ip-addr.txt'), 'ip-addr.txt')];
const rulesOf = (f: string) => [parseIptablesSave(dns(f), 'iptables-save.txt')];

describe('iptables.container-dns-blocked names the installed netavark', () => {
  it('netavark 1.7.0 (rpm): named in the message and evidence; upgrading is a fix, with the package line', () => {
    const [f, ...rest] = runNode(dnsBlocked, withPackages({ iptables: rulesOf('netavark17-input-drop.iptables-save.txt') }, rpms('el9-docker24/installed-rpms')));
    expect(rest).toEqual([]);
    expect(f.message).toContain('The installed netavark is 1.7.0 (netavark 1.7.0-1.el9), older than 1.8: from 1.8 netavark accepts DNS from its networks itself, so upgrading it is a fix too.');
    expect(f.evidence).toContainEqual(expect.objectContaining({ file: 'installed-rpms', line: 7, note: expect.stringMatching(/^netavark 1\.7\.0 installed: older than 1\.8/) }));
    expect(f.facts).toMatchObject({ netavarkPackage: 'netavark 1.7.0-1.el9', netavarkHasDnsAccept: false });
    expect(f.remedy.commands.join('\n')).toContain('# or upgrade netavark (installed: netavark 1.7.0-1.el9, installed-rpms:7) to 1.8 or later');
  });

  it("Debian's netavark 1.4.0-3 (dpkg -l) with podman1 in ip addr", () => {
    const [f] = runNode(dnsBlocked, withPackages({ iptables: rulesOf('netavark742-iptables-save.txt'), ipAddr: podman1() }, debs('ubuntu-docker24/dpkg_-l')));
    expect(f.message).toContain('The installed netavark is 1.4.0 (netavark 1.4.0-3), older than 1.8');
  });

  it('netavark 1.10.3 installed but its accept missing from the rules: no upgrade, reload its rules', () => {
    const [f] = runNode(dnsBlocked, withPackages({ iptables: rulesOf('netavark742-iptables-save.txt'), ipAddr: podman1() }, rpms('el9-docker28/installed-rpms')));
    expect(f.message).toContain('The installed netavark is 1.10.3 (netavark 1.10.3-1.el9), which adds its own DNS accept (1.8+, containers/netavark#780), but that accept is not in the live rules');
    expect(f.message).toContain('upgrading netavark does not fix this');
    const all = f.remedy.commands.join('\n');
    expect(all).not.toContain('upgrade netavark');
    expect(all).toContain('"podman network reload --all" writes netavark\'s rules again');
    expect(f.facts).toMatchObject({ netavarkHasDnsAccept: true });
  });

  it('healthy: netavark 1.8 rules with netavark 1.10.3 installed fire nothing; without a package list the finding is as before', () => {
    expect(runNode(dnsBlocked, withPackages({ iptables: rulesOf('netavark18-input-drop.iptables-save.txt'), ipAddr: podman1() }, rpms('el9-docker28/installed-rpms')))).toEqual([]);
    const [f] = runNode(dnsBlocked, { iptables: rulesOf('netavark17-input-drop.iptables-save.txt') });
    expect(f.message).not.toContain('installed netavark');
    expect(f.facts?.netavarkPackage).toBeUndefined();
    expect(f.remedy.commands.join('\n')).toContain('# or upgrade netavark to 1.8 or later');
  });

  it("not for a Docker bridge's resolver: netavark's version says nothing there", () => {
    const ipAddr = [parseInterfaces(dns('docker0-ip-addr.txt'), 'ip-addr.txt')];
    expect(runNode(dnsBlocked, withPackages({ iptables: rulesOf('netavark742-iptables-save.txt'), ipAddr }, rpms('el9-docker24/installed-rpms')))).toEqual([]);
  });
});

describe.skipIf(!hasCorpus)("iptables.kube-firewall-corrupted: the host's iptables package", () => {
  const f = 'iptables-save/kubernetes-114549-coreos36-vs-37-kube-firewall-fragment.txt';
  const rules = () => [parseIptablesSave(readCorpus(f), f)];

  it('beside iptables -V: both cited; the message names the host version from iptables -V', () => {
    const [k] = runNode(kubeFirewall, withPackages({ iptables: rules(), iptablesVersion: [parseIptablesVersion('iptables v1.8.8 (nf_tables)\n', 'iptables-V')] }, rpms('el9-docker24/installed-rpms')));
    expect(k.evidence.map((e) => `${e.file}:${e.line}`)).toEqual([`${f}:2`, 'iptables-V:1', 'installed-rpms:6']);
    expect(k.evidence[2].note).toBe("the host's iptables package (iptables-nft 1.8.8-6.el9)");
    expect(k.message).toContain("The host's iptables here is 1.8.8 (iptables -V, nf_tables)");
    expect(k.facts).toMatchObject({ hostIptablesPackage: 'iptables-nft 1.8.8-6.el9' });
  });

  it('without iptables -V: the package is the host version (Debian 12 dpkg -l)', () => {
    const [k] = runNode(kubeFirewall, withPackages({ iptables: rules() }, debs('debian12/dpkg-l.txt')));
    expect(k.evidence.at(-1)).toMatchObject({ file: 'sos_commands/dpkg/dpkg_-l', line: 9, note: expect.stringContaining('the bundle has no iptables -V') });
    expect(k.message).toContain("The host's iptables here is 1.8.9 (installed package iptables 1.8.9-2)");
  });

  it('healthy: no package list changes nothing; the broken rule absent, nothing fires', () => {
    const [k] = runNode(kubeFirewall, { iptables: rules() });
    expect(k.message).not.toContain("The host's iptables here");
    expect(k.facts?.hostIptablesPackage).toBeUndefined();
    const ok = parseIptablesSave(readFileSync(projectPath('test/fixtures/netfilter/nft/iptables-save'), 'utf8'), 'iptables-save');
    expect(runNode(kubeFirewall, withPackages({ iptables: [ok] }, rpms('el9-docker24/installed-rpms')))).toEqual([]);
  });
});
