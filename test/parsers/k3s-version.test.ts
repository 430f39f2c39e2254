/**
 * `k3s -v` / `k3s --version`, verbatim from public threads:
 * - https://github.com/k3s-io/k3s/issues/7096 (test/fixtures/k3s-7096): v1.26.2+k3s1 of the reproduction and
 *   v1.26.3-rc2+k3s1 of the validation;
 * - https://github.com/k3s-io/k3s/issues/6092 (a development build: `v1.22.13+k3s-42190acd`, under `$ k3s -v`);
 * - https://github.com/k3s-io/k3s/issues/3022 (under `$ k3s --version`);
 * - https://github.com/k3s-io/k3s/issues/7542 (v1.26.4+k3s1).
 * Not k3s -v: `iptables --version`, k3s' own start line in its journal (k3s#4859), the flannel CNI plugin's version (k3s#6047).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SkipFile } from '../../src/model/source.js';
import { compareK3sVersions, k3sVersionOf, parseK3sVersion, sniffK3sVersion } from '../../src/parsers/k3s-version.js';
import { projectPath } from '../helpers/shared.js';

const fx = (name: string) => readFileSync(projectPath('test/fixtures/k3s-7096', name), 'utf8');

const K3S_6092 = '$ k3s -v\nk3s version v1.22.13+k3s-42190acd (42190acd)\ngo version go1.16.15\n';
const K3S_3022 = '$ k3s --version\nk3s version v1.20.4+k3s1 (838a906a)\ngo version go1.15.8\n';
const K3S_7542 = 'k3s version v1.26.4+k3s1 (8d0255af)\ngo version go1.19.8\n';

describe('parseK3sVersion', () => {
  it('k3s#7096: the release, its parts, the commit, Go, and the line', () => {
    expect(parseK3sVersion(fx('k3s-version.txt'), 'k3s-version.txt')).toEqual([
      { file: 'k3s-version.txt', version: 'v1.26.2+k3s1', major: 1, minor: 26, patch: 2, build: 'k3s1', commit: 'ea094d1d', go: 'go1.19.6', ref: { file: 'k3s-version.txt', line: 1 }, excerpt: 'k3s version v1.26.2+k3s1 (ea094d1d)' },
    ]);
  });

  it('a release candidate (k3s#7096 validation)', () => {
    const [v] = parseK3sVersion(fx('k3s-version-v1.26.3-rc2.txt'), 'v.txt');
    expect(v).toMatchObject({ version: 'v1.26.3-rc2+k3s1', patch: 3, prerelease: 'rc2', build: 'k3s1', commit: '01ea3ff2', go: 'go1.19.7' });
  });

  it('under a pasted command line, a development build (k3s#6092, k3s#3022)', () => {
    expect(parseK3sVersion(K3S_6092, 'a.txt')[0]).toMatchObject({ version: 'v1.22.13+k3s-42190acd', minor: 22, patch: 13, build: 'k3s-42190acd', ref: { line: 2 } });
    expect(parseK3sVersion(K3S_3022, 'b.txt')[0]).toMatchObject({ version: 'v1.20.4+k3s1', commit: '838a906a', go: 'go1.15.8', ref: { line: 2 } });
  });

  it('no k3s version line: skipped', () => {
    expect(() => parseK3sVersion(fx('iptables-version.txt'), 'iptables-version.txt')).toThrow(SkipFile);
  });
});

describe('sniffK3sVersion', () => {
  it('k3s -v output, with or without its command line', () => {
    for (const t of [fx('k3s-version.txt'), fx('k3s-version-v1.26.3-rc2.txt'), K3S_6092, K3S_3022, K3S_7542]) expect(sniffK3sVersion(t)).toBe(true);
  });

  it('not: iptables -V, k3s start line in its journal (k3s#4859), the flannel CNI plugin (k3s#6047), k3s -v inside other output', () => {
    expect(sniffK3sVersion(fx('iptables-version.txt'))).toBe(false);
    expect(sniffK3sVersion('Jan 08 09:00:36 LibreELECvbox2 k3s[14729]: time="2022-01-08T09:00:36Z" level=info msg="Starting k3s agent v1.22.5+k3s1 (405bf79d)"\n')).toBe(false);
    expect(sniffK3sVersion('CNI Plugin flannel version v0.19.1 (linux/amd64) commit c3f830e9b9ed8a4d9d0e2aa663b4591b923a296e built on 2022-08-25T03:45:26Z\n')).toBe(false);
    expect(sniffK3sVersion(`${K3S_7542}iptables v1.8.7 (legacy)\n`)).toBe(false);
  });
});

describe('compareK3sVersions', () => {
  const v = (s: string) => k3sVersionOf(s)!;
  it('orders patch releases, a release candidate before its release, +k3s2 after +k3s1', () => {
    expect(compareK3sVersions(v('v1.26.2+k3s1'), v('v1.26.3+k3s1'))).toBeLessThan(0);
    expect(compareK3sVersions(v('v1.26.3-rc2+k3s1'), v('v1.26.3+k3s1'))).toBeLessThan(0);
    expect(compareK3sVersions(v('v1.26.3-rc2+k3s1'), v('v1.26.3-rc10+k3s1'))).toBeLessThan(0);
    expect(compareK3sVersions(v('v1.26.3+k3s2'), v('v1.26.3+k3s1'))).toBeGreaterThan(0);
    expect(compareK3sVersions(v('v1.25.8+k3s1'), v('v1.25.8+k3s1'))).toBe(0);
    expect(compareK3sVersions(v('v1.27.1+k3s1'), v('v1.26.3+k3s1'))).toBeGreaterThan(0);
    expect(k3sVersionOf('1.26.3')).toBeUndefined();
  });
});
