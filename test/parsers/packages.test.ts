/**
 * Installed-package lists (src/parsers/packages.ts). Texts:
 * - test/fixtures/packages: real rpm 4.18 and dpkg 1.21 output (sos's installed-rpms / package-data
 *   query, rpm -qa, insights' JSON lines, dpkg -l, dpkg-query -W; how each was made: its README.md),
 *   and dpkg -l / dpkg-query -W of the helper machine (Debian 12);
 * - the corpus' insights archive (RedHatInsights/insights-core examples/cluster_rules/cluster_hosts.tar.gz):
 *   a RHEL 7.5 node's real `rpm -qa --qf '...\t...'`, read in place;
 * - a few verbatim lines of RedHatInsights/insights-core insights/tests/parsers/test_installed_rpms.py
 *   (RPM_MANIFEST, RPMS_LINE: real rpm -qa shapes with install dates, names with dashes and digits);
 * - `snap list --all` from canonical/lxd#18194 and canonical/lxd#12857 (a disabled revision beside the one in use);
 * - `apk list --installed` / apk names from CISOfy/lynis#1450.
 * Version ordering is checked against the real `dpkg --compare-versions` and rpm's own `rpm.vercmp`.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  compareDebianVersions,
  compareVersions,
  parseApk,
  parseDpkgL,
  parseDpkgQueryW,
  parsePackageListAny,
  parseRpmQa,
  parseSnapList,
  rpmvercmp,
  sniffApk,
  sniffDpkgL,
  sniffDpkgQueryW,
  sniffRpmQa,
  sniffSnapList,
  splitNevra,
  upstreamAtLeast,
} from '../../src/parsers/packages.js';
import { SkipFile } from '../../src/model/source.js';
import { readBundle } from '../../src/bundle/read.js';
import { corpusPath, hasCorpus, projectPath } from '../helpers/shared.js';

const fx = (p: string) => readFileSync(projectPath('test/fixtures/packages', p), 'utf8');
const byName = (list: { packages: { name: string }[] }, name: string) => list.packages.find((p) => p.name === name);

describe('rpm listings', () => {
  it("sos's installed-rpms: NVRA padded to 59 columns before the install date; names with dashes split right", () => {
    const l = parseRpmQa(fx('el9-docker24/installed-rpms'), 'installed-rpms');
    expect(l.manager).toBe('rpm');
    expect(l.packages).toHaveLength(8);
    expect(byName(l, 'docker-ce')).toMatchObject({ version: '24.0.7-1.el9', upstream: '24.0.7', arch: 'x86_64', installed: true, ref: { file: 'installed-rpms', line: 3 } });
    expect(byName(l, 'docker-ce')!.excerpt).toMatch(/^docker-ce-24\.0\.7-1\.el9\.x86_64 {2,}Thu Dec {2}3 /);
    expect(byName(l, 'docker-ce-cli')).toMatchObject({ version: '24.0.7-1.el9', upstream: '24.0.7' });
    expect(byName(l, 'iptables-nft')).toMatchObject({ version: '1.8.8-6.el9', upstream: '1.8.8' });
    expect(byName(l, 'containernetworking-plugins')).toMatchObject({ version: '1.3.0-1.el9', upstream: '1.3.0' });
    expect(byName(l, 'tzdata')).toMatchObject({ version: '2023c-1.el9', arch: 'noarch' });
    expect(byName(l, 'bash')).toMatchObject({ version: '5.1.8-6.el9_1' });
    const moby = parseRpmQa(fx('fc38-moby/installed-rpms'), 'installed-rpms');
    expect(byName(moby, 'moby-engine')).toMatchObject({ version: '20.10.27-1.fc38', upstream: '20.10.27' });
  });

  it("sos's package-data (tab-separated), bare rpm -qa, rpm -qa with %{EPOCH}: and insights' JSON lines give the same packages", () => {
    const data = parseRpmQa(fx('el9-docker24/package-data'), 'sos_commands/rpm/package-data');
    const bare = parseRpmQa(fx('el9-docker24/rpm-qa.txt'), 'rpm-qa.txt');
    const epoch = parseRpmQa(fx('el9-docker24/rpm-qa-epoch.txt'), 'rpm-qa.txt');
    const json = parseRpmQa(fx('el9-docker24/insights-rpm-qa.json'), 'insights_commands/rpm_-qa_--qf_name_NAME');
    for (const l of [data, bare, epoch, json]) {
      expect(l.packages).toHaveLength(8);
      expect(byName(l, 'netavark')!.upstream).toBe('1.7.0');
      expect(byName(l, 'iptables-nft')!.arch).toBe('x86_64');
    }
    // the epoch only where the listing shows it: `(none)` is no epoch
    expect(byName(epoch, 'docker-ce')).toMatchObject({ version: '3:24.0.7-1.el9', epoch: '3', upstream: '24.0.7' });
    expect(byName(epoch, 'iptables-nft')).toMatchObject({ version: '1.8.8-6.el9' });
    expect(byName(epoch, 'iptables-nft')!.epoch).toBeUndefined();
    expect(byName(json, 'netavark')).toMatchObject({ version: '2:1.7.0-1.el9', epoch: '2' });
    expect(byName(json, 'iptables-libs')!.version).toBe('1.8.8-6.el9');
    expect(byName(bare, 'docker-ce')!.version).toBe('24.0.7-1.el9');
  });

  it('insights-core test_installed_rpms.py lines: install dates, tabs, an error line and gpg-pubkey', () => {
    // verbatim lines of RPM_MANIFEST and RPMS_LINE (insights/tests/parsers/test_installed_rpms.py)
    const text = [
      'COMMAND> rpm xxxxx',
      'gpg-pubkey-0608b895-4bd22942                  Sat Aug 29 19:29:30 2015',
      'vmware-open-vm-tools-xorg-utilities-8.3.19-1310361.el6.x86_64 Sat Aug 29 19:10:11 2015',
      'ConsoleKit-0.4.1-3.el6.x86_64                               Wed Sep 17 11:34:25 2014',
      'kernel-2.6.32-573.el6.x86_64                                Wed May 18 14:17:17 2016',
      'tftp-server-5.2-12.el7.x86_64',
      'error: rpmdbNextIterator: skipping h#     753 Header V3 DSA signature: BAD, key ID db42a6',
    ].join('\n');
    const l = parseRpmQa(text, 'installed-rpms');
    expect(l.packages.map((p) => `${p.name} ${p.version}`)).toEqual(['vmware-open-vm-tools-xorg-utilities 8.3.19-1310361.el6', 'ConsoleKit 0.4.1-3.el6', 'kernel 2.6.32-573.el6', 'tftp-server 5.2-12.el7']);
    expect(l.warnings).toEqual([expect.objectContaining({ line: 7, message: expect.stringMatching(/^rpm: error: rpmdbNextIterator/) })]);
    expect(splitNevra('openssh-server-5.3p1-104.el6.x86_64')).toEqual({ name: 'openssh-server', version: '5.3p1', release: '104.el6', arch: 'x86_64', epoch: undefined });
    expect(splitNevra('bash-1:4.1.2-12.el7.x86_64')).toMatchObject({ name: 'bash', epoch: '1', version: '4.1.2', release: '12.el7' });
  });

  it.skipIf(!hasCorpus)("the corpus' insights archive: a RHEL 7.5 OpenShift node's rpm -qa (tab-separated), iptables 1.4.21", async () => {
    const tree = await readBundle(corpusPath('bundles/insights-core-cluster-hosts-4x-rhel75-openshift-node-archives.tar.gz'), { keep: (i) => /rpm_-qa/.test(i.path) });
    const path = tree.paths().find((p) => /^host_01\.tar\.gz\/host_01\/insights_commands\/rpm_-qa_/.test(p))!;
    expect(path).toBeDefined();
    const text = tree.text(path)!;
    const l = parseRpmQa(text, path);
    const lines = text.split('\n').filter((x) => x.trim() !== '');
    // every line is a package (gpg-pubkey entries aside)
    expect(l.packages.length).toBe(lines.filter((x) => !x.startsWith('gpg-pubkey-')).length);
    expect(l.packages.length).toBeGreaterThan(400);
    const ipt = byName(l, 'iptables')!;
    expect(ipt).toMatchObject({ version: '1.4.21-24.1.el7_5', upstream: '1.4.21', arch: 'x86_64' });
    expect(lines[ipt.ref.line - 1] ?? text.split('\n')[ipt.ref.line - 1]).toContain('iptables-1.4.21-24.1.el7_5.x86_64\t');
    expect(sniffRpmQa(text.slice(0, 4096))).toBe(true);
  });
});

describe('dpkg listings', () => {
  it('dpkg -l of a Debian 12 machine: header, epochs, name:arch, installed', () => {
    const l = parseDpkgL(fx('debian12/dpkg-l.txt'), 'sos_commands/dpkg/dpkg_-l');
    expect(l.manager).toBe('dpkg');
    expect(l.packages).toHaveLength(7);
    expect(byName(l, 'iptables')).toMatchObject({ version: '1.8.9-2', upstream: '1.8.9', arch: 'amd64', installed: true, state: 'ii', ref: { line: 9 } });
    expect(byName(l, 'libc6')).toMatchObject({ version: '2.36-9+deb12u14', arch: 'amd64' });
    expect(byName(l, 'base-files')!.upstream).toBe('12.4+deb12u11');
    expect(byName(l, 'adduser')).toMatchObject({ version: '3.134', upstream: '3.134', arch: 'all' });
  });

  it("docker-ce's epoch and ~ revision; a package removed with its configuration left (rc) is not installed", () => {
    const l = parseDpkgL(fx('ubuntu-docker24/dpkg_-l'), 'installed-debs');
    expect(byName(l, 'docker-ce')).toMatchObject({ version: '5:24.0.7-1~ubuntu.22.04~jammy', epoch: '5', upstream: '24.0.7', installed: true });
    expect(byName(l, 'docker.io')).toMatchObject({ version: '20.10.24+dfsg1-1+b3', upstream: '20.10.24+dfsg1', installed: false, state: 'rc' });
    expect(byName(l, 'netavark')).toMatchObject({ version: '1.4.0-3', upstream: '1.4.0' });
  });

  it('dpkg-query -W: name and version; name:arch split', () => {
    const l = parseDpkgQueryW(fx('debian12/dpkg-query-W.txt'), 'dpkg-query-W.txt');
    expect(l.packages).toHaveLength(7);
    expect(byName(l, 'libc6')).toMatchObject({ arch: 'amd64', version: '2.36-9+deb12u14' });
    expect(byName(l, 'iptables')).toMatchObject({ version: '1.8.9-2', upstream: '1.8.9', ref: { line: 4 } });
    const u = parseDpkgQueryW(fx('ubuntu-docker24/dpkg-query-W.txt'), 'dpkg-query-W.txt');
    expect(byName(u, 'docker-ce')!.upstream).toBe('24.0.7');
  });

  it("the real dpkg -l of this machine parses whole, when dpkg is here", () => {
    let text: string;
    try {
      text = execFileSync('dpkg', ['-l'], { encoding: 'utf8', maxBuffer: 1 << 26 });
    } catch {
      return;
    }
    const l = parseDpkgL(text, 'dpkg_-l');
    const rows = text.split('\n').filter((x) => /^[uihrp][ncufhwti]/.test(x));
    expect(l.packages.length).toBe(rows.length);
    expect(sniffDpkgL(text.slice(0, 4096))).toBe(true);
    const q = execFileSync('dpkg-query', ['-W'], { encoding: 'utf8', maxBuffer: 1 << 26 });
    expect(sniffDpkgQueryW(q.slice(0, 4096))).toBe(true);
    expect(parseDpkgQueryW(q, 'q').packages.length).toBeGreaterThanOrEqual(rows.filter((x) => /^.i/.test(x)).length);
  });
});

describe('apk and snap', () => {
  it('apk info -v and apk list --installed (CISOfy/lynis#1450)', () => {
    const l = parseApk(['busybox-1.36.1-r15', 'busybox-binsh-1.36.1-r15', 'abseil-cpp-flags-marshalling-20230802.1-r0', 'starship-zsh-plugin-1.16.0-r0'].join('\n'), 'apk-info.txt');
    expect(l.packages.map((p) => [p.name, p.version, p.upstream])).toEqual([
      ['busybox', '1.36.1-r15', '1.36.1'],
      ['busybox-binsh', '1.36.1-r15', '1.36.1'],
      ['abseil-cpp-flags-marshalling', '20230802.1-r0', '20230802.1'],
      ['starship-zsh-plugin', '1.16.0-r0', '1.16.0'],
    ]);
    const list = parseApk('busybox-1.36.1-r15 x86_64 {busybox} (GPL-2.0-only) [installed]\n', 'apk-list.txt');
    expect(list.packages[0]).toMatchObject({ name: 'busybox', version: '1.36.1-r15', arch: 'x86_64', installed: true });
    expect(sniffApk('busybox-1.36.1-r15\nbusybox-binsh-1.36.1-r15\nbusybox-doc-1.36.1-r15\n')).toBe(true);
  });

  it('snap list --all: a disabled revision is not the one in use (canonical/lxd#18194, #12857)', () => {
    const text = [
      'Name    Version      Rev    Tracking       Publisher   Notes',
      'core24  20260317     1587   latest/stable  canonical✓  base',
      'lxd     6.5-ccdfb39  36020  latest/stable  canonical✓  disabled',
      'lxd     6.8-da9ddd7  39231  latest/stable  canonical✓  -',
      'snapd   2.75.2       26865  latest/stable  canonical✓  snapd',
    ].join('\n');
    expect(sniffSnapList(text)).toBe(true);
    const l = parseSnapList(text, 'sos_commands/snap/snap_list_--all');
    expect(l.packages.filter((p) => p.name === 'lxd').map((p) => [p.version, p.installed])).toEqual([
      ['6.5-ccdfb39', false],
      ['6.8-da9ddd7', true],
    ]);
    expect(byName(l, 'snapd')).toMatchObject({ version: '2.75.2', state: 'snapd', ref: { line: 5 } });
    const lxd12857 = parseSnapList('Name    Version      Rev    Tracking       Publisher   Notes\ncore20  20231123     2105   latest/stable  canonical✓  base\nlxd     git-def587b  27004  latest/edge    canonical✓  -\n', 'snap-list.txt');
    expect(byName(lxd12857, 'lxd')).toMatchObject({ version: 'git-def587b', installed: true });
  });
});

describe('sniffing: each list by its own shape, nothing else taken for one', () => {
  const fixtures: [string, (h: string) => boolean][] = [
    ['el9-docker24/installed-rpms', sniffRpmQa],
    ['el9-docker24/package-data', sniffRpmQa],
    ['el9-docker24/rpm-qa.txt', sniffRpmQa],
    ['el9-docker24/insights-rpm-qa.json', sniffRpmQa],
    ['debian12/dpkg-l.txt', sniffDpkgL],
    ['ubuntu-docker24/dpkg_-l', sniffDpkgL],
    ['debian12/dpkg-query-W.txt', sniffDpkgQueryW],
  ];
  const all = [sniffRpmQa, sniffDpkgL, sniffDpkgQueryW, sniffApk, sniffSnapList];
  it.each(fixtures)('%s: its own sniffer only', (file, own) => {
    const head = fx(file).slice(0, 4096);
    expect(own(head)).toBe(true);
    for (const s of all) if (s !== own) expect(s(head)).toBe(false);
    expect(parsePackageListAny(fx(file), file).packages.length).toBeGreaterThan(0);
  });

  it('other command outputs are not package lists', () => {
    const others = [
      'test/fixtures/iproute2/ip_a',
      'test/fixtures/docker-info/caprover-2377-29.4.1-swarm.txt',
      'test/fixtures/nft/firewalld-real/firewall-cmd_--list-all-zones',
    ];
    for (const o of others) {
      const head = readFileSync(projectPath(o), 'utf8').slice(0, 4096);
      for (const s of all) expect(s(head), `${o} ${s.name}`).toBe(false);
    }
    expect(() => parsePackageListAny('net.ipv4.ip_forward = 1\nnet.ipv4.conf.all.forwarding = 1\n', 'x')).toThrow(SkipFile);
  });
});

describe('version ordering', () => {
  const pairs: [string, string][] = [
    ['1.8', '1.8.0'],
    ['1.7.0', '1.8'],
    ['1.10.3', '1.8'],
    ['24.0.7', '28.3.3'],
    ['28.4.0', '28.3.3'],
    ['1.0~rc1', '1.0'],
    ['1.0', '1.0a'],
    ['1.0a', '1.0.1'],
    ['2.0', '10.0'],
    ['1.8.8', '1.8.10'],
    ['5.3p1', '5.3'],
    ['1.001', '1.1'],
    ['20.10.24+dfsg1', '20.10.24'],
    ['2023c', '2023a'],
    ['1.0^git1', '1.0'],
    ['1.0^git1', '1.0.1'],
    ['1.2.3-1~ubuntu.22.04~jammy', '1.2.3-1'],
    ['a', '1'],
  ];

  const dpkgSays = (a: string, b: string): number | undefined => {
    try {
      execFileSync('dpkg', ['--compare-versions', a, 'lt', b], { stdio: 'ignore' });
      return -1;
    } catch (e) {
      if ((e as { code?: string }).code === 'ENOENT') return undefined;
    }
    try {
      execFileSync('dpkg', ['--compare-versions', a, 'eq', b], { stdio: 'ignore' });
      return 0;
    } catch {
      return 1;
    }
  };
  const rpmSays = (a: string, b: string): number | undefined => {
    try {
      return Number(execFileSync('rpm', ['--eval', `%{lua:print(rpm.vercmp('${a}', '${b}'))}`], { encoding: 'utf8' }).trim());
    } catch {
      return undefined;
    }
  };

  it('dpkg: the same order as dpkg --compare-versions (where dpkg is here), epochs first', () => {
    let checked = 0;
    for (const [a, b] of [...pairs, ['5:24.0.7-1~ubuntu.22.04~jammy', '5:28.4.0-1~debian.12~bookworm'], ['1:1.0', '2.0'], ['5:24.0.7-1', '24.0.7-1']] as [string, string][]) {
      if (/\^/.test(a + b) || /^a$/.test(a)) continue;
      const real = dpkgSays(a, b);
      if (real === undefined) return;
      expect(Math.sign(compareDebianVersions(a, b)) || 0, `${a} vs ${b}`).toBe(real);
      expect(Math.sign(compareDebianVersions(b, a)) || 0, `${b} vs ${a}`).toBe(-real || 0);
      checked++;
    }
    expect(checked).toBeGreaterThan(10);
  });

  it("rpm: the same order as rpm's own rpm.vercmp (where rpm is here)", () => {
    let checked = 0;
    for (const [a, b] of pairs) {
      if (/[+]/.test(a + b) && /-/.test(a + b)) continue;
      const real = rpmSays(a, b);
      if (real === undefined) return;
      expect(Math.sign(rpmvercmp(a, b)) || 0, `${a} vs ${b}`).toBe(real);
      expect(Math.sign(rpmvercmp(b, a)) || 0, `${b} vs ${a}`).toBe(-real || 0);
      checked++;
    }
    expect(checked).toBeGreaterThan(10);
  });

  it('rpm EVR: epoch, version, release; thresholds on the upstream version', () => {
    expect(compareVersions('rpm', '3:24.0.7-1.el9', '28.4.0-1.el9')).toBeGreaterThan(0);
    expect(compareVersions('rpm', '1.8.8-6.el9', '1.8.8-10.el9')).toBeLessThan(0);
    expect(compareVersions('apk', '1.8.0_rc1-r0', '1.8.0-r0')).toBeLessThan(0);
    expect(compareVersions('apk', '1.36.1-r15', '1.36.1-r2')).toBeGreaterThan(0);
    expect(upstreamAtLeast('rpm', '1.7.0', '1.8')).toBe(false);
    expect(upstreamAtLeast('rpm', '1.8', '1.8.0')).toBe(true);
    expect(upstreamAtLeast('rpm', '1.10.3', '1.8')).toBe(true);
    expect(upstreamAtLeast('dpkg', '1.4.0', '1.8')).toBe(false);
    expect(upstreamAtLeast('dpkg', '1.8.0~rc1', '1.8')).toBe(false);
    expect(upstreamAtLeast('snap', 'v1.28.3', '1.28')).toBe(true);
  });
});
