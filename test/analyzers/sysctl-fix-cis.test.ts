/**
 * moby/moby#47966 (https://github.com/moby/moby/issues/47966): a CIS-hardening file in /etc/sysctl.d
 * sets net.ipv4.ip_forward = 0 and systemd-sysctl turns forwarding back off at boot. The file's text
 * below is verbatim from delfuego's comment of 2024-06-13 in that thread (its name is not given there;
 * 99-cis.conf as in the R12 review case). Editing that file does not last: the hardening tooling puts
 * the 0 back. The remedy leaves it, writes an override that sysctl reads after it, and says the host
 * needs a CIS exemption. A file that is not a hardening file is still edited (the healthy path).
 */
import { describe, expect, it } from 'vitest';
import notPersistent from '../../analyzers/sysctl-ip-forward-not-persistent.js';
import ipForwardDisabled from '../../analyzers/sysctl-ip-forward-disabled.js';
import { effectiveConfig, parseSysctlConfig, parseSysctlText } from '../../src/parsers/sysctl.js';
import { isHardeningFile, laterDropIn } from '../../analyzers/lib/sysctl-fix.js';
import { runNode } from './helpers.js';

const CIS = '# required as per CIS benchmark\nnet.ipv4.ip_forward = 0\n';
const on = [parseSysctlText('net.ipv4.ip_forward = 1\n', 'sysctl-a.txt')];
const off = [parseSysctlText('net.ipv4.ip_forward = 0\n', 'sysctl-a.txt')];

/** The drop-in the remedy writes, as a configuration file at its host path (`echo '...' > /etc/sysctl.d/x.conf`). */
function writtenDropIn(commands: string[]) {
  const echo = commands.find((c) => /^echo '.*' > \/etc\/sysctl\.d\//.test(c));
  expect(echo, 'the remedy writes a drop-in').toBeDefined();
  const m = /^echo '(.*)' > (\/etc\/sysctl\.d\/\S+)$/.exec(echo!)!;
  return { path: m[2], config: parseSysctlConfig(m[1] + '\n', m[2].slice(1)) };
}

describe('a CIS file that sets ip_forward = 0 (moby#47966)', () => {
  const cis = parseSysctlConfig(CIS, 'sosreport-node1/etc/sysctl.d/99-cis.conf');

  for (const [name, analyzer, sysctl] of [
    ['sysctl.ip-forward-not-persistent', notPersistent, on],
    ['sysctl.ip-forward-disabled', ipForwardDisabled, off],
  ] as const) {
    it(`${name}: leaves the CIS file, overrides it with a later-sorting file, asks for an exemption`, () => {
      const [f] = runNode(analyzer, { sysctl: [...sysctl], sysctlConfig: [cis]});
      expect(f, `${name} fires`).toBeDefined();
      const cmds = f.remedy.commands;
      expect(cmds.filter((c) => c.includes('99-cis.conf') && /^sed /.test(c))).toEqual([]);
      const dropIn = writtenDropIn(cmds);
      expect(dropIn.path).toBe('/etc/sysctl.d/99-zz-ip-forward.conf');
      // sysctl --system's order: the override comes after the CIS file and wins
      expect(effectiveConfig([cis, dropIn.config], 'net.ipv4.ip_forward')?.value).toBe('1');
      expect(f.remedy.summary).toMatch(/\/etc\/sysctl\.d\/99-cis\.conf looks like a hardening \(CIS\) file/);
      expect(f.remedy.summary).toMatch(/exemption .*Ensure IP forwarding is disabled/);
      // the check skips the file left to the hardening tooling, and nothing appends (safe to run twice)
      expect(cmds.find((c) => c.startsWith('grep '))).toMatch(/^grep --exclude=99-cis\.conf -RnE /);
      expect(cmds.some((c) => c.includes('>>'))).toBe(false);
      expect(cmds).toContain('sysctl --system');
    });
  }

  it('a file that is not a hardening file is still edited, and the drop-in keeps its name', () => {
    const local = parseSysctlConfig('net.ipv4.ip_forward = 0\n', 'sosreport-node1/etc/sysctl.d/50-local.conf');
    const [f] = runNode(notPersistent, { sysctl: [...on], sysctlConfig: [local] });
    expect(f.remedy.commands.some((c) => /^sed -i -E .*50-local\.conf/.test(c))).toBe(true);
    expect(writtenDropIn(f.remedy.commands).path).toBe('/etc/sysctl.d/99-ip-forward.conf');
    expect(f.remedy.summary).not.toMatch(/hardening|exemption/);
    expect(f.remedy.commands.find((c) => c.startsWith('grep '))).not.toMatch(/--exclude/);
  });

  it('names: hardening files are told by their name; the override sorts after every one of them', () => {
    expect(isHardeningFile('/etc/sysctl.d/99-cis.conf')).toBe(true);
    expect(isHardeningFile('/etc/sysctl.d/60-stig-network.conf')).toBe(true);
    expect(isHardeningFile('/etc/sysctl.d/zz-hardening.conf')).toBe(true);
    expect(isHardeningFile('/etc/sysctl.d/99-sysctl.conf')).toBe(false);
    expect(isHardeningFile('/etc/sysctl.d/10-network-security.conf')).toBe(true);
    expect(isHardeningFile('/etc/sysctl.d/99-kubernetes-cri.conf')).toBe(false);
    expect(isHardeningFile('/etc/sysctl.conf')).toBe(false);
    for (const names of [['99-cis.conf'], ['zz-hardening.conf'], ['99-zz-cis.conf', 'zzz-stig.conf']]) {
      const d = laterDropIn('/etc/sysctl.d/99-ip-forward.conf', names);
      expect(d.startsWith('/etc/sysctl.d/')).toBe(true);
      for (const n of names) expect(d.slice('/etc/sysctl.d/'.length) > n, `${d} after ${n}`).toBe(true);
    }
  });
});
