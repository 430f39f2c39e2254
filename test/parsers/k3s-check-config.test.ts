/**
 * `k3s check-config` read as the host's iptables version (the iptablesVersion kind) and its kernel options.
 *
 * Real text (test/fixtures/h41, SOURCES.md):
 * - k3s-io/k3s#6047 (https://github.com/k3s-io/k3s/issues/6047), comment of 2022-08-30, verbatim: Ubuntu 18.04,
 *   `- /sbin iptables v1.6.1: older than v1.8`;
 * - k3s-io/k3s#4066 (https://github.com/k3s-io/k3s/issues/4066), verbatim: k3s' own iptables,
 *   `- /var/lib/rancher/k3s/data/<hash>/bin/aux iptables v1.8.8 (nf_tables): ok`.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SkipFile } from '../../src/model/source.js';
import { parseIptablesVersion, sniffIptablesVersion } from '../../src/netfilter/iptables-version.js';
import { fromK3sCheckConfig, parseK3sCheckConfig, readK3sCheckConfig, sniffK3sCheckConfig } from '../../src/parsers/k3s-check-config.js';
import { sniffK3sVersion } from '../../src/parsers/k3s-version.js';
import { projectPath } from '../helpers/shared.js';

const fx = (name: string) => readFileSync(projectPath('test/fixtures/h41', name), 'utf8');

describe('k3s#6047: check-config on Ubuntu 18.04 (iptables 1.6.1)', () => {
  const text = fx('k3s6047-check-config.txt');

  it('reads the System line as iptables 1.6.1 (legacy: before 1.8 there is no other back end), at its file line', () => {
    const [v, ...rest] = parseK3sCheckConfig(text, 'check-config.txt');
    expect(rest).toEqual([]);
    expect(v).toMatchObject({ file: 'check-config.txt', tool: 'iptables', version: '1.6.1', backend: 'legacy', ref: { file: 'check-config.txt', line: 8 } });
    expect(text.split('\n')[v.ref.line - 1]).toBe('- /sbin iptables v1.6.1: older than v1.8');
    expect(v.excerpt).toBe('- /sbin iptables v1.6.1: older than v1.8');
    expect(fromK3sCheckConfig(v)).toBe(true);
  });

  it("keeps check-config's verdict, where the iptables is, and the kernel options with their state and section", () => {
    const r = readK3sCheckConfig(text, 'check-config.txt');
    expect(r.iptablesVerdict).toMatchObject({ text: 'older than v1.8', failed: false, ref: { line: 8 } });
    expect(r.iptablesDir).toBe('/sbin');
    expect(r.kernel.map((k) => k.option)).toContain('CONFIG_IP_NF_TARGET_MASQUERADE');
    expect(r.kernel.find((k) => k.option === 'CONFIG_IP_NF_TARGET_MASQUERADE')).toMatchObject({ state: 'module', required: true });
    expect(r.kernel.find((k) => k.option === 'CONFIG_NAMESPACES')).toMatchObject({ state: 'builtin', required: true });
    const m = r.kernel.find((k) => k.option === 'CONFIG_NETFILTER_XT_MATCH_ADDRTYPE')!;
    expect(text.split('\n')[m.ref.line - 1]).toBe('- CONFIG_NETFILTER_XT_MATCH_ADDRTYPE: enabled (as module)');
    // the "- cgroup hierarchy: ..." and "- swap: disabled" lines are no kernel options
    expect(r.kernel.every((k) => k.option.startsWith('CONFIG_'))).toBe(true);
    expect(r.kernel).toHaveLength(19);
  });

  it('is recognised by content, with or without the command line; iptables -V and k3s -v are not taken for it', () => {
    expect(sniffK3sCheckConfig(text)).toBe(true);
    expect(sniffK3sCheckConfig(text.split('\n').slice(2).join('\n'))).toBe(true);
    expect(sniffIptablesVersion(text)).toBe(false);
    expect(sniffK3sVersion(text)).toBe(false);
    expect(sniffK3sCheckConfig('iptables v1.6.1\n')).toBe(false);
    expect(sniffK3sCheckConfig(fx('k3s6047-k3s-version.txt'))).toBe(false);
    expect(sniffK3sCheckConfig(fx('k3s6047-iptables-vnL-nat-grep-MASQUERADE.txt'))).toBe(false);
    // an iptables -V record is not check-config's
    expect(fromK3sCheckConfig(parseIptablesVersion('iptables v1.6.1\n', 'v.txt')[0])).toBe(false);
  });
});

describe("k3s#4066: k3s' own iptables (bin/aux), nf_tables", () => {
  const text = fx('k3s4066-check-config.txt');
  it('reads 1.8.8 nf_tables from the aux line, and the routes warning is no iptables line', () => {
    const [v] = parseK3sCheckConfig(text, 'cc.txt');
    expect(v).toMatchObject({ tool: 'iptables', version: '1.8.8', backend: 'nf_tables', ref: { line: 14 } });
    const r = readK3sCheckConfig(text, 'cc.txt');
    expect(r.iptablesDir).toMatch(/^\/var\/lib\/rancher\/k3s\/data\/b5a2fc52\S+\/bin\/aux$/);
    expect(r.iptablesVerdict).toMatchObject({ text: 'ok', failed: false });
    expect(r.kernel.find((k) => k.option === 'CONFIG_CGROUP_PIDS')).toMatchObject({ state: 'builtin', required: true });
    expect(sniffK3sCheckConfig(text)).toBe(true);
    expect(fromK3sCheckConfig(v)).toBe(true);
  });

  it("reads the same lines with check-config's colours (wrap_good: white label, green verdict), as `k3s check-config > file` keeps them", () => {
    const esc = (code: string, t: string) => `\u001b[${code}m${t}\u001b[m`;
    const colour = text
      .split('\n')
      .map((l) => (/^- .+: .+$/.test(l) ? l.replace(/^(- .+?): (.+)$/, (_, a: string, b: string) => `${esc('37', a)}: ${esc('32', b)}`) : l))
      .join('\n');
    expect(colour).not.toBe(text);
    expect(sniffK3sCheckConfig(colour)).toBe(true);
    const [v] = parseK3sCheckConfig(colour, 'cc.txt');
    expect(v).toMatchObject({ version: '1.8.8', backend: 'nf_tables', ref: { line: 14 } });
    expect(fromK3sCheckConfig(v)).toBe(true);
  });

  it('a check-config cut before its System section is not read (SkipFile says why)', () => {
    const cut = text.split('\n').slice(0, 12).join('\n');
    expect(sniffK3sCheckConfig(cut)).toBe(false);
    expect(() => parseK3sCheckConfig(cut, 'cc.txt')).toThrow(SkipFile);
  });
});
