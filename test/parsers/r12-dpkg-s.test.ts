/**
 * `dpkg -s` (proposed parseDpkgS): kubernetes/kubernetes#82361's `dpkg -s iptables | grep ^Version` paste
 * (`Version: 1.8.2-4`, named dpkg-s-iptables.txt), and the real `dpkg -s iptables` / `dpkg -s iptables
 * libxtables12` of this Debian 12 machine (produced with dpkg 1.21).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDpkgS, sniffDpkgS, parsePackageListAny } from '../../src/parsers/packages.js';
import { projectPath } from '../helpers/shared.js';

const fx = (p: string) => readFileSync(projectPath('test', 'fixtures', p), 'utf8');

describe('dpkg -s', () => {
  it('the Version: line alone, the package named by the file', () => {
    const l = parseDpkgS(fx('r12/k8s82361-dpkg-s-iptables.txt'), 'dpkg-s-iptables.txt');
    expect(l.packages).toEqual([expect.objectContaining({ name: 'iptables', version: '1.8.2-4', upstream: '1.8.2', installed: true, ref: { file: 'dpkg-s-iptables.txt', line: 1 } })]);
  });
  it('a Version: line in a file whose name says no package is no package', () => {
    expect(() => parseDpkgS(fx('r12/k8s82361-dpkg-s-iptables.txt'), 'notes.txt')).toThrow();
  });
  it('full stanzas, sniffed by content', () => {
    const text = fx('r12-dpkg/dpkg-s-two.txt');
    expect(sniffDpkgS(text.slice(0, 4096))).toBe(true);
    const l = parsePackageListAny(text, 'x.txt');
    expect(l.packages.map((p) => [p.name, p.version, p.arch, p.installed])).toEqual([
      ['iptables', '1.8.9-2', 'amd64', true],
      ['libxtables12', '1.8.9-2', 'amd64', true],
    ]);
    expect(l.packages[0].ref.line).toBe(text.split('\n').findIndex((x) => x.startsWith('Version:')) + 1);
  });
  it('dpkg -l is not dpkg -s', () => {
    expect(sniffDpkgS('Desired=Unknown/Install/Remove/Purge/Hold\n||/ Name Version Architecture Description\nii  iptables 1.8.9-2 amd64 administration tools\n')).toBe(false);
  });
});
