/**
 * systemctl --version on real text: cilium/cilium#10645 (nberlee, 2020-07-27: `systemd 245 (245.6-8-arch)`,
 * read from test/fixtures/rp-filter/ticket-cilium-10645/), and this machine's Debian 12 output and dpkg -l
 * (test/fixtures/h25/debian12/, see SOURCE.md there).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSystemdVersion, sniffSystemdVersion, systemdRelease, releaseOfPackage } from '../../src/parsers/systemd-version.js';
import { parseDpkgL } from '../../src/parsers/packages.js';
import { sniffK3sVersion } from '../../src/parsers/k3s-version.js';
import { projectPath } from '../helpers/shared.js';

const read = (...p: string[]) => readFileSync(projectPath('test/fixtures', ...p), 'utf8');
const TICKET = read('rp-filter/ticket-cilium-10645/systemctl-version.txt');
const DEBIAN = read('h25/debian12/systemctl-version.txt');

describe('systemctl --version', () => {
  it("reads the ticket's paste: release 245, the package version, the feature line, its line (2, under the `$` command)", () => {
    expect(sniffSystemdVersion(TICKET)).toBe(true);
    const [v, ...rest] = parseSystemdVersion(TICKET, 'systemctl-version.txt');
    expect(rest).toEqual([]);
    expect(v.release).toBe(245);
    expect(v.packageVersion).toBe('245.6-8-arch');
    expect(v.features).toContain('+PAM');
    expect(v.features).toContain('default-hierarchy=hybrid');
    expect(v.ref).toEqual({ file: 'systemctl-version.txt', line: 2 });
    expect(v.excerpt).toBe('systemd 245 (245.6-8-arch)');
  });

  it("reads Debian 12's output (252.39-1~deb12u2)", () => {
    expect(sniffSystemdVersion(DEBIAN)).toBe(true);
    const [v] = parseSystemdVersion(DEBIAN, 'v.txt');
    expect(v.release).toBe(252);
    expect(v.packageVersion).toBe('252.39-1~deb12u2');
    expect(v.ref.line).toBe(1);
  });

  it("reads CentOS 7's `systemd 219` between the prompts (no package version)", () => {
    const text = read('h25/centos7/systemctl-version.txt');
    expect(sniffSystemdVersion(text)).toBe(true);
    const [v] = parseSystemdVersion(text, 'v.txt');
    expect(v).toMatchObject({ release: 219, ref: { file: 'v.txt', line: 2 }, excerpt: 'systemd 219' });
    expect(v.packageVersion).toBeUndefined();
  });

  it('is strict: a bare `systemd 245` line, a log line, k3s -v and text after the output are not it', () => {
    expect(sniffSystemdVersion('systemd 245 (245.6-8-arch)\n')).toBe(false);
    expect(sniffSystemdVersion('Jul 27 10:00:01 node systemd[1]: Started systemd 245 (245.6-8-arch).\n')).toBe(false);
    expect(sniffSystemdVersion(TICKET + 'net.ipv4.conf.all.rp_filter = 0\n')).toBe(false);
    expect(sniffSystemdVersion('k3s version v1.26.2+k3s1 (ea094d1d)\ngo version go1.19.6\n')).toBe(false);
    // and k3s' sniffer does not take systemd's output
    expect(sniffK3sVersion(TICKET)).toBe(false);
    expect(() => parseSystemdVersion('no version here\n', 'x')).toThrow();
  });

  it("gives the release from systemctl first, else from the installed systemd package (dpkg -l's `ii  systemd 252.39-1~deb12u2`)", () => {
    const pkgs = parseDpkgL(read('h25/debian12/dpkg-l.txt'), 'dpkg-l.txt');
    const fromPkg = systemdRelease(undefined, [pkgs]);
    expect(fromPkg?.release).toBe(252);
    expect(fromPkg?.from).toBe('package');
    expect(fromPkg?.ref).toEqual({ file: 'dpkg-l.txt', line: 8 });
    expect(fromPkg?.label).toBe('the systemd package 252.39-1~deb12u2');
    const fromCmd = systemdRelease([parseSystemdVersion(TICKET, 't.txt')], [pkgs]);
    expect(fromCmd).toMatchObject({ release: 245, from: 'systemctl', label: 'systemd 245 (245.6-8-arch)' });
    expect(systemdRelease(undefined, undefined)).toBeUndefined();
    expect(releaseOfPackage({ upstream: '239' })).toBe(239);
    expect(releaseOfPackage({ upstream: '1.8.9' })).toBeUndefined();
  });
});
