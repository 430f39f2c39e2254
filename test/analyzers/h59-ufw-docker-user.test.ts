/**
 * iptables.docker-chain-missing with ufw's /etc/ufw/after.rules as a saved configuration (helper H59), and
 * Docker 19.03.3 named from a version-only paste (R17-03).
 * - after.rules: Ubuntu's stock file (ufw 0.36, as quoted in public copies) with the block chaifeng/ufw-docker's
 *   `ufw-docker install` appends (https://github.com/chaifeng/ufw-docker, script `ufw-docker`, ufw-docker--install).
 * - the live dumps are real iptables-legacy-save 1.8.9 output; how they were made: test/fixtures/h59/README.txt.
 * - docker/for-linux#810 https://github.com/docker/for-linux/issues/810: `docker version` of 19.03.3 (the release
 *   that makes no DOCKER-USER; fixed in 19.03.4, docker/engine#404), read in place from test/fixtures/h50.
 */
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { FLAT_RULES, SOSREPORT_RULES, ufwRulesFile } from '../../src/layouts/rules.js';
import { projectPath } from '../helpers/shared.js';

const fx = (...p: string[]) => projectPath('test/fixtures/h59', ...p);
const h50 = (...p: string[]) => projectPath('test/fixtures/h50', ...p);
const ID = 'iptables.docker-chain-missing';
const findings = async (path: string) => (await analyzeBundle(path)).findings.filter((f) => f.id === ID);
/** a folder holding copies of the given files under the given names */
function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'h59-'));
  for (const [name, from] of Object.entries(files)) copyFileSync(from, join(dir, name));
  return dir;
}

describe("ufw's after.rules is a saved configuration", () => {
  it('sos copies /etc/ufw: etc/ufw/{before,after}{,6}.rules are saved iptables configurations of their family', () => {
    for (const [path, family] of [['etc/ufw/after.rules', 'ipv4'], ['etc/ufw/after6.rules', 'ipv6'], ['etc/ufw/before.rules', 'ipv4'], ['etc/ufw/before6.rules', 'ipv6']] as const) {
      const rule = SOSREPORT_RULES.find((r) => r.re.test(path));
      expect(rule?.savedConfig, path).toBe(true);
      expect(rule?.hint?.(rule.re.exec(path)!)).toEqual({ family });
    }
    // ufw's command-line rules (user.rules) and other .rules files are not taken
    expect(SOSREPORT_RULES.find((r) => r.re.test('etc/ufw/user.rules'))).toBeUndefined();
    expect(FLAT_RULES.find((r) => r.re.test('after.rules'))?.savedConfig).toBe(true);
    expect(FLAT_RULES.find((r) => r.re.test('node1/ufw/before6.rules'))?.savedConfig).toBe(true);
    expect(FLAT_RULES.find((r) => r.re.test('70-persistent-net.rules'))?.savedConfig).toBeUndefined();
    expect(ufwRulesFile('web-01/etc/ufw/after.rules')).toEqual({ file: 'after.rules', hostPath: '/etc/ufw/after.rules' });
    expect(ufwRulesFile('rules.v4')).toBeUndefined();
  });

  it('a bare after.rules alone is read as saved, not as live rules: no Docker finding from it', async () => {
    const r = await analyzeBundle(folder({ 'after.rules': fx('inputs/after.rules') }));
    expect(r.nodes[0].iptables.map((x) => [x.file, x.origin])).toEqual([['after.rules', 'saved-config']]);
    expect(r.findings.filter((f) => f.id === ID)).toEqual([]);
  });
});

describe('DOCKER-USER and the ufw-docker block of after.rules', () => {
  it('no DOCKER-USER live, after.rules holds its rules: critical, citing after.rules, remedy ufw reload and the jump', async () => {
    const all = await findings(fx('ufw-absent'));
    expect(all).toHaveLength(1);
    const f = all[0];
    expect(f.severity).toBe('critical');
    expect(f.title).toMatch(/DOCKER-USER chain is missing/);
    expect(f.message).toContain('-A DOCKER-USER -j RETURN -s 10.0.0.0/8 (after.rules:35)');
    expect(f.message).toContain("/etc/ufw/after.rules is ufw's");
    expect(f.message).toMatch(/never adds the jump from FORWARD/);
    // ufw's chains are live: ufw runs, no "not running" note
    expect(f.message).not.toMatch(/ufw is not running/);
    // ufw-docker's final plain `-j RETURN` (line 50) is no rule of the admin's; the three `-j RETURN -s ...` are
    const cited = f.evidence.filter((e) => e.file === 'after.rules').map((e) => e.line);
    expect(cited).toEqual([35, 36, 37, 39, 41, 42, 43, 44]);
    expect(f.facts?.adminRules).toBe(10);
    const cmds = f.remedy!.commands;
    expect(cmds[0]).toMatch(/^iptables -N DOCKER-USER 2>\/dev\/null; iptables -C FORWARD -j DOCKER-USER/);
    expect(cmds[1]).toMatch(/^ufw reload   # re-applies \/etc\/ufw\/after\.rules/);
    // after.rules is not fed to iptables-restore by hand: ufw applies it
    expect(cmds.some((c) => c.includes('iptables-restore'))).toBe(false);
    expect(f.remedy!.caution).toMatch(/ufw applies \/etc\/ufw\/after\.rules before Docker starts at boot/);
  });

  it('ufw made DOCKER-USER from after.rules, FORWARD does not jump to it: critical, ufw named as the creator', async () => {
    const f = await findings(fx('ufw-unreached'));
    expect(f.map((x) => x.severity)).toEqual(['critical']);
    expect(f[0].title).toMatch(/FORWARD does not jump to DOCKER-USER/);
    expect(f[0].message).toContain('created by ufw from /etc/ufw/after.rules, which it applies before Docker starts at boot');
    expect(f[0].message).not.toMatch(/19\.03/);
    expect(f[0].remedy!.commands.some((c) => c.startsWith('ufw reload'))).toBe(true);
  });

  it('the same with docker version 19.03.3: the regression is named as the cause', async () => {
    const dir = folder({ 'iptables-save.txt': fx('ufw-unreached/iptables-save.txt'), 'after.rules': fx('ufw-unreached/after.rules'), 'docker-version.txt': h50('forlinux810/docker-version.txt') });
    const f = await findings(dir);
    expect(f.map((x) => x.severity)).toEqual(['critical']);
    expect(f[0].message).toMatch(/Docker 19\.03\.3 does not add the jump at all \(nor create the chain\): a known regression, docker\/for-linux#810, fixed in 19\.03\.4/);
  });

  it('healthy: FORWARD jumps to DOCKER-USER and it holds the after.rules rules: no finding, nothing cites after.rules', async () => {
    const r = await analyzeBundle(fx('ufw-healthy'));
    expect(r.findings.filter((f) => f.id === ID)).toEqual([]);
    expect(r.findings.filter((f) => f.evidence.some((e) => e.file === 'after.rules')).map((f) => f.id)).toEqual([]);
  });

  it('healthy with docker version 19.03.3 (the jump added by hand, rules live): no finding, not even the version note', async () => {
    const dir = folder({ 'iptables-save.txt': fx('ufw-healthy/iptables-save.txt'), 'after.rules': fx('ufw-healthy/after.rules'), 'docker-version.txt': h50('forlinux810/docker-version.txt') });
    expect(await findings(dir)).toEqual([]);
  });
});

describe('Docker 19.03.3 from a version-only paste', () => {
  it('docker version 19.03.3 alone: info naming the regression and the upgrade; the check ran in part', async () => {
    const r = await analyzeBundle(folder({ 'docker-version.txt': h50('forlinux810/docker-version.txt') }));
    const f = r.findings.filter((x) => x.id === ID);
    expect(f.map((x) => x.severity)).toEqual(['info']);
    expect(f[0].title).toBe('Docker 19.03.3 does not create DOCKER-USER: rules put there are not applied');
    expect(f[0].message).toContain('docker/for-linux#810');
    expect(f[0].message).toContain('fixed in 19.03.4 (docker/engine#404)');
    expect(f[0].message).toMatch(/no live iptables rules/);
    // the Server part's Version line (line 12), not the client's (line 2)
    expect(f[0].evidence[0]).toMatchObject({ file: 'docker-version.txt', line: 12 });
    expect(f[0].remedy!.summary).toMatch(/^Upgrade Docker to 19\.03\.4 or later/);
    expect(f[0].facts).toMatchObject({ cause: 'docker/for-linux#810', dockerVersion: '19.03.3' });
    const run = r.coverage.nodes[0].analyzers.find((a) => a.id === ID);
    expect(run?.status).toBe('ran');
    expect(run?.missing).toEqual(['iptables']);
  });

  it('docker version 19.03.3 and after.rules with DOCKER-USER rules, no live rules: a warning citing them', async () => {
    const f = await findings(folder({ 'docker-version.txt': h50('forlinux810/docker-version.txt'), 'after.rules': fx('inputs/after.rules') }));
    expect(f.map((x) => x.severity)).toEqual(['warning']);
    expect(f[0].message).toContain('-A DOCKER-USER -j RETURN -s 10.0.0.0/8 (after.rules:35)');
    expect(f[0].evidence.filter((e) => e.file === 'after.rules')).toHaveLength(4);
  });

  it('docker info of 28.0.4 alone (moby#49792): no finding', async () => {
    const r = await analyzeBundle(folder({ 'docker-info.txt': projectPath('test/fixtures/direct-routing/moby-49792/docker-info.txt') }));
    // the version is read (the check had something to judge) and is not 19.03.3
    expect(r.nodes[0].facts['docker version']).toBe('28.0.4');
    expect(r.findings.filter((f) => f.id === ID)).toEqual([]);
  });
});
