/**
 * iptables.docker-chain-missing: Docker's DOCKER-USER chain (or FORWARD's jump to it) missing while
 * Docker's other chains are live (helper H50, reviewer R17 cases 02 and 03).
 * - moby/moby#48560 https://github.com/moby/moby/issues/48560: `iptables -S` of Docker 27.3.1 with
 *   DOCKER, DOCKER-ISOLATION-STAGE-1/2 and no DOCKER-USER, while /etc/iptables/rules.v4 puts four
 *   rules (REJECTs of private ranges) in DOCKER-USER: critical, naming them with file:line.
 * - docker/for-linux#810 https://github.com/docker/for-linux/issues/810: `docker version` of 19.03.3
 *   (the release that does not create DOCKER-USER, fixed in 19.03.4 by docker/engine#404) with a
 *   real iptables-legacy-save dump without DOCKER-USER: a warning naming the cause.
 * - DOCKER-USER present but FORWARD does not jump to it, with the admin's rules in it: critical.
 * - the same dump cut among its -N lines, and every Docker dump of the corpus (Docker 17 to 29, Docker
 *   28's DOCKER-FORWARD layout with DOCKER-USER): no DOCKER-USER finding.
 * Fixtures and the commands that made them: test/fixtures/h50/README.txt.
 */
import { copyFileSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { corpusPath, hasCorpus, projectPath } from '../helpers/shared.js';

const fx = (dir: string) => projectPath('test/fixtures/h50', dir);
const findings = async (path: string) => (await analyzeBundle(path)).findings.filter((f) => f.id === 'iptables.docker-chain-missing');
const userFindings = async (path: string) => (await findings(path)).filter((f) => /DOCKER-USER/.test(f.title));

describe('DOCKER-USER missing while Docker chains are live', () => {
  it('moby#48560: no DOCKER-USER in iptables -S, rules.v4 holds DOCKER-USER rules: critical, naming them', async () => {
    const all = await findings(fx('moby48560'));
    expect(all).toHaveLength(1);
    const f = all[0];
    expect(f.severity).toBe('critical');
    expect(f.title).toMatch(/DOCKER-USER chain is missing/);
    expect(f.message).toContain('no DOCKER-USER chain (iptables-S.txt)');
    expect(f.message).toContain('-A DOCKER-USER -i docker0 ! -o docker0 -d 192.168.0.0/16 -j REJECT (rules.v4:7)');
    expect(f.message).toMatch(/DOCKER-ISOLATION-STAGE-1 is made only by Docker releases/);
    expect(f.message).not.toMatch(/19\.03/);
    expect(f.evidence.filter((e) => e.file === 'rules.v4').map((e) => e.line)).toEqual([6, 7, 8, 9]);
    expect(f.remedy?.commands[0]).toBe('iptables -N DOCKER-USER 2>/dev/null; iptables -C FORWARD -j DOCKER-USER 2>/dev/null || iptables -I FORWARD -j DOCKER-USER   # the chain and the jump, first in FORWARD (safe to run twice)');
    expect(f.remedy?.commands[1]).toMatch(/^\{ echo '\*filter'; echo ':DOCKER-USER - \[0:0\]'; grep '\^-A DOCKER-USER ' \/etc\/iptables\/rules\.v4; echo COMMIT; \} \| iptables-restore --noflush/);
  });

  it('the same dump cut among its -N lines cannot show DOCKER-USER absent: no DOCKER-USER finding', async () => {
    expect(await userFindings(fx('moby48560-cut'))).toEqual([]);
  });

  it('for-linux#810: Docker 19.03.3 and no DOCKER-USER: a warning naming the regression and 19.03.4', async () => {
    const f = await findings(fx('forlinux810'));
    expect(f.map((x) => x.severity)).toEqual(['warning']);
    expect(f[0].message).toContain('Docker 19.03.3 is the release that does not create DOCKER-USER');
    expect(f[0].message).toContain('docker/for-linux#810');
    expect(f[0].remedy?.summary).toMatch(/upgrade Docker to 19\.03\.4 or later \(docker\/engine#404\)/);
    expect(f[0].facts?.cause).toBe('docker/for-linux#810');
  });

  it('DOCKER-USER holds the admin rules but FORWARD does not jump to it: critical', async () => {
    const f = await findings(fx('unreached'));
    expect(f.map((x) => x.severity)).toEqual(['critical']);
    expect(f[0].title).toMatch(/FORWARD does not jump to DOCKER-USER/);
    expect(f[0].evidence.filter((e) => /REJECT/.test(e.excerpt))).toHaveLength(3);
    // the rules are live: nothing to re-apply from a saved file
    expect(f[0].remedy?.commands.some((c) => c.includes('iptables-restore'))).toBe(false);
  });
});

describe.skipIf(!hasCorpus)('corpus iptables dumps: no DOCKER-USER finding', () => {
  const files = hasCorpus ? readdirSync(corpusPath('iptables-save')) : [];
  it.each(files)('%s', async (name) => {
    const dir = mkdtempSync(join(tmpdir(), 'h50-corpus-'));
    copyFileSync(corpusPath('iptables-save', name), join(dir, 'iptables-save.txt'));
    expect(await userFindings(dir)).toEqual([]);
  });

  it('Docker 27 with DOCKER-USER and its jump, beside moby#48560\'s rules.v4 (saved DOCKER-USER rules): no finding', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'h50-corpus-'));
    copyFileSync(corpusPath('iptables-save', 'moby-docker27-new-daemon-iptables-S.txt'), join(dir, 'iptables-S.txt'));
    copyFileSync(fx('moby48560/rules.v4'), join(dir, 'rules.v4'));
    expect(await findings(dir)).toEqual([]);
  });

  it('Docker 28 (DOCKER-FORWARD) with DOCKER-USER: no finding at all from the check', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'h50-corpus-'));
    copyFileSync(corpusPath('iptables-save', 'moby-docker28-swarm-ingress-iptables-S.txt'), join(dir, 'iptables-S.txt'));
    expect(await findings(dir)).toEqual([]);
  });
});
