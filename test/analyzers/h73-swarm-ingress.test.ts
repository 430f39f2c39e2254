/**
 * iptables.docker-chain-missing on Swarm nodes: the filter DOCKER-INGRESS and FORWARD's jump to it.
 * Fixtures: test/fixtures/h73-swarm (README.md there): moby/moby#32918 (https://github.com/moby/moby/issues/32918),
 * moby/moby#32916 (https://github.com/moby/moby/issues/32916) verbatim pastes, and iptables-save output of
 * rule sets restored in a namespace.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import analyzer from '../../analyzers/iptables-docker-chain-missing.js';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const fx = (f: string) => readFileSync(projectPath('test/fixtures/h73-swarm', f), 'utf8');
async function findings(files: Record<string, string>, name: string) {
  const r = await analyzeBundle(writeFolder(files, name), { analyzers: [analyzer] });
  return r.findings.filter((f) => f.id === 'iptables.docker-chain-missing');
}

describe('h73 Swarm DOCKER-INGRESS (iptables.docker-chain-missing)', () => {
  // info, not a warning: a healthy Swarm node with no published service shows the same filter table (reviewer R26 29)
  it('moby#32918 (filter table only): an info saying what to collect, citing the policy and docker_gwbridge lines', async () => {
    const f = await findings({ 'iptables-S.txt': fx('moby32918-rc2.iptables-S.txt') }, 'h73-32918');
    expect(f).toHaveLength(1);
    expect(f[0].severity).toBe('info');
    expect(f[0].title).toMatch(/DOCKER-INGRESS.*whether one is published is not in the bundle/);
    const lines = f[0].evidence.map((e) => e.line);
    expect(lines).toContain(2); // -P FORWARD DROP
    expect(f[0].evidence.some((e) => /docker_gwbridge/.test(e.excerpt))).toBe(true);
    expect(f[0].remedy?.commands.join('\n')).toMatch(/docker service ls/);
  });

  it('rc2 rules with the nat table (a published 8000/tcp): critical, FORWARD policy DROP decides', async () => {
    const f = await findings({ 'iptables-save.txt': fx('swarm-rc2-nat.iptables-save.txt') }, 'h73-rc2');
    expect(f).toHaveLength(1);
    expect(f[0].severity).toBe('critical');
    expect(f[0].message).toMatch(/8000\/tcp/);
    expect(f[0].evidence.some((e) => /FORWARD DROP/.test(e.excerpt))).toBe(true);
    expect(f[0].evidence.some((e) => /DNAT --to-destination 172\.18\.0\.2:8000/.test(e.excerpt))).toBe(true);
    expect(f[0].remedy?.caution).toMatch(/live-restore/);
  });

  it('rc2 with docker info 17.05.0-ce-rc2: the cause and the upgrade are named', async () => {
    const info = ['Server Version: 17.05.0-ce-rc2', 'Storage Driver: aufs', 'Swarm: active', ' NodeID: zc968yzhvast5330c9zmwym9z', ' Is Manager: true'].join('\n');
    const f = await findings({ 'iptables-save.txt': fx('swarm-rc2-nat.iptables-save.txt'), 'docker_info.txt': info }, 'h73-rc2v');
    expect(f).toHaveLength(1);
    expect(f[0].remedy?.summary).toMatch(/Upgrade Docker past 17\.05\.0-ce-rc2/);
  });

  it('rc1 rules (filter DOCKER-INGRESS jumped to from FORWARD): no finding', async () => {
    expect(await findings({ 'iptables-save.txt': fx('swarm-rc1-nat.iptables-save.txt') }, 'h73-rc1')).toHaveLength(0);
  });

  it('moby#32916 working rc1 node with iptables.service REJECTs: no finding', async () => {
    expect(await findings({ 'iptables-S.txt': fx('moby32916-rc1.iptables-S.txt') }, 'h73-32916')).toHaveLength(0);
  });

  it('a Swarm node whose whole nat table has no DOCKER-INGRESS (no published service): no finding', async () => {
    // the rc2 save without nat DOCKER-INGRESS: what a node of a Swarm with no published service has
    const save = fx('swarm-rc2-nat.iptables-save.txt')
      .split('\n')
      .filter((l) => !/DOCKER-INGRESS/.test(l))
      .join('\n');
    expect(await findings({ 'iptables-save.txt': save }, 'h73-nopub')).toHaveLength(0);
  });
});
