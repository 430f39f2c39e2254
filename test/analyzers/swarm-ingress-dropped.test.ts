/**
 * iptables.swarm-ingress-dropped (analyzers/iptables-direct-routing-dropped.ts): Docker 28.0.0's
 * `-A DOCKER ! -i docker_gwbridge -o docker_gwbridge -j DROP` met by Swarm's routing mesh before
 * DOCKER-INGRESS accepts it (moby/moby#49536, https://github.com/moby/moby/issues/49536; fixed in
 * 28.0.1 by moby/moby#49538 "Jump to DOCKER-INGRESS from DOCKER-FORWARD", whose release note reads
 * "Fix an issue with Swarm ingress, caused by incorrect ordering of iptables rules").
 *
 * Texts:
 * - test/fixtures/h45/moby49536-*.txt: the reporter's `sudo iptables -v -n -L` (its tail only, with the
 *   leading "...") and `docker service ls`, verbatim from the description.
 * - test/fixtures/h45/docker28.0.0-swarm.*: Docker 28.0.0's Swarm layout (FORWARD as vin01 pasted it in
 *   https://github.com/moby/moby/issues/49498: the jump to DOCKER by `match-set docker-ext-bridges-v4`
 *   ahead of the jump to DOCKER-INGRESS; the DOCKER chain as in #49536), restored with counters by the
 *   real iptables-legacy/-nft 1.8.9 in namespaces and saved/listed back; with those rules a connection
 *   to the published port through the DNAT timed out, and after the remedy's stop-gap it connected
 *   (test/fixtures/h45/README.txt).
 * - test/fixtures/h45/docker28.0.1-*: 28.0.1's layout (DOCKER-FORWARD jumps to DOCKER-INGRESS first,
 *   as in the corpus' moby-docker28-swarm-ingress-iptables-S.txt), with and without Swarm.
 * - docker info: test/fixtures/docker-info/debian-20.10.24 (real `Swarm: active` / `Swarm: inactive`);
 *   its `Server Version:` line is rewritten in the test where the version matters.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import analyzer from '../../analyzers/iptables-direct-routing-dropped.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import type { FindingDraft } from '../../src/engine/analyzer.js';
import { parseIptablesList } from '../../src/netfilter/list-format.js';
import { parseIptablesSave, parseIptablesSpec } from '../../src/netfilter/save-format.js';
import { parseDockerInfo } from '../../src/parsers/docker-info.js';
import { parseDockerServiceLs } from '../../src/parsers/docker-service-ls.js';
import { corpusPath, hasCorpus, projectPath } from '../helpers/shared.js';

const fx = (...p: string[]) => readFileSync(projectPath('test/fixtures', ...p), 'utf8');
const SWARM_INFO = fx('docker-info/debian-20.10.24/docker-info-swarm.txt');
const info = (version?: string) => parseDockerInfo(version ? SWARM_INFO.replace(/Server Version: \S+/, `Server Version: ${version}`) : SWARM_INFO, 'docker-info.txt');
const INACTIVE = parseDockerInfo(fx('docker-info/debian-20.10.24/docker-info-warnings.txt'), 'docker-info.txt');
const LISTING = fx('h45/moby49536-iptables-v-n-L.txt');
const listing = (text = LISTING) => parseIptablesList(text, 'iptables-v-n-L.txt');
const SERVICES = parseDockerServiceLs(fx('h45/moby49536-docker-service-ls.txt'), 'docker-service-ls.txt');
const save = (f: string) => parseIptablesSave(fx('h45', f), f);
const list = (f: string) => parseIptablesList(fx('h45', f), f);

function run(artifacts: NodeArtifacts & { dockerServices?: unknown[] }): FindingDraft[] {
  if (analyzer.scope !== 'node') throw new Error('node analyzer');
  return analyzer.analyze({ node: 'node-1', artifacts: artifacts as never, options: { requiredPorts: [] }, partly: () => {} });
}
const ingress = (fs: FindingDraft[]) => fs.filter((f) => f.id === 'iptables.swarm-ingress-dropped');

describe('Swarm routing mesh dropped by Docker 28.0.0 (moby#49536)', () => {
  it('the texts say what the tests need', () => {
    expect(info('28.0.0').engine?.serverVersion?.value).toBe('28.0.0');
    expect(info().engine?.swarm?.value).toBe('active');
    expect(INACTIVE.engine?.swarm?.value).toBe('inactive');
    const docker = listing().tables.filter?.chains.DOCKER;
    expect(docker?.rules[0]).toMatchObject({ target: 'DROP', counters: { packets: 728 }, ref: { line: 7 } });
  });

  it("the issue's listing and docker service ls: critical, citing the DROP's 728 packets and the ingress ports", () => {
    const fs = ingress(run({ iptables: [listing()], dockerServices: [SERVICES] }));
    expect(fs).toHaveLength(1);
    const f = fs[0];
    expect(f.severity).toBe('critical');
    expect(f.facts).toMatchObject({ rule: 'iptables-v-n-L.txt:7', droppedPackets: 728, order: 'unknown' });
    expect(f.evidence.map((e) => `${e.file}:${e.line}`)).toEqual(['iptables-v-n-L.txt:7', 'docker-service-ls.txt:2']);
    expect(f.message).toContain('*:80->80/tcp, *:443->443/tcp, *:8080->8080/tcp in ingress mode');
    expect(f.remedy.summary).toMatch(/28\.0\.1/);
    expect(f.remedy.commands).toContain('iptables -C DOCKER-USER -j DOCKER-INGRESS 2>/dev/null || iptables -I DOCKER-USER -j DOCKER-INGRESS');
    // a paste of the whole block keeps the stop-gap: its removal (after the upgrade) is a comment
    expect(f.remedy.commands.filter((c) => !c.startsWith('#'))).toEqual(['iptables -C DOCKER-USER -j DOCKER-INGRESS 2>/dev/null || iptables -I DOCKER-USER -j DOCKER-INGRESS']);
  });

  it('docker info `Swarm: active` is the same sign', () => {
    const fs = ingress(run({ iptables: [listing()], dockerDaemon: [info()] }));
    expect(fs.map((f) => f.severity)).toEqual(['critical']);
    expect(fs[0].evidence.some((e) => e.file === 'docker-info.txt' && /Swarm: active/.test(e.excerpt))).toBe(true);
  });

  it('the counted DROP with no Swarm sign is a warning, never critical', () => {
    expect(ingress(run({ iptables: [listing()] })).map((f) => f.severity)).toEqual(['warning']);
  });

  it('a zero counter without Swarm, and `Swarm: inactive`, say nothing', () => {
    expect(ingress(run({ iptables: [listing(LISTING.replace('  728 46548 DROP', '    0     0 DROP'))] }))).toEqual([]);
    expect(ingress(run({ iptables: [listing()], dockerDaemon: [INACTIVE] }))).toEqual([]);
  });

  it('Docker 28.0.1+ with the order not shown: quiet (the fix is in); 28.0.0 is named', () => {
    expect(ingress(run({ iptables: [listing()], dockerServices: [SERVICES], dockerDaemon: [info('28.0.1')] }))).toEqual([]);
    const f = ingress(run({ iptables: [listing()], dockerServices: [SERVICES], dockerDaemon: [info('28.0.0')] }));
    expect(f.map((x) => x.severity)).toEqual(['critical']);
    expect(f[0].message).toContain('Docker 28.0.0 (docker-info.txt:');
  });

  for (const [name, parse] of [
    ['iptables-legacy-save -c', () => save('docker28.0.0-swarm.legacy.iptables-save')],
    ['iptables-legacy -nvL', () => list('docker28.0.0-swarm.legacy.iptables-nvL')],
    ['iptables-nft -nvL', () => list('docker28.0.0-swarm.nft.iptables-nvL')],
  ] as const)
    it(`28.0.0's whole layout (${name}): FORWARD reaches DOCKER before DOCKER-INGRESS: critical`, () => {
      const fs = ingress(run({ iptables: [parse()] }));
      expect(fs).toHaveLength(1);
      expect(fs[0].severity).toBe('critical');
      expect(fs[0].facts).toMatchObject({ order: 'docker-first', droppedPackets: 728 });
      expect(fs[0].evidence[1].excerpt).toMatch(/docker-ext-bridges-v4/);
      expect(fs[0].message).toContain('chain DOCKER-INGRESS');
    });

  it('the same layout saved without counters (`iptables-save`): a warning, the order shown', () => {
    const text = fx('h45', 'docker28.0.0-swarm.legacy.iptables-save').replace(/^\[\d+:\d+\] /gm, '');
    const fs = ingress(run({ iptables: [parseIptablesSave(text, 'iptables-save.txt')] }));
    expect(fs.map((f) => f.severity)).toEqual(['warning']);
    expect(fs[0].facts).toMatchObject({ order: 'docker-first', droppedPackets: null });
    expect(fs[0].message).toContain('the dump has no counters');
  });

  it('the stop-gap applied (saved from both back ends after pasting it twice): DOCKER-INGRESS is met first, nothing fires', () => {
    for (const f of ['docker28.0.0-swarm-stopgap.legacy.iptables-save', 'docker28.0.0-swarm-stopgap.nft.iptables-save']) {
      const rs = save(f);
      expect(rs.tables.filter?.chains['DOCKER-USER']?.rules.filter((r) => r.target === 'DOCKER-INGRESS')).toHaveLength(1);
      expect(ingress(run({ iptables: [rs], dockerDaemon: [info('28.0.0')] })), f).toEqual([]);
    }
  });

  it("28.0.1's layout on a Swarm node, its DROP counting direct-access attempts: not this finding", () => {
    for (const rs of [save('docker28.0.1-swarm.nft.iptables-save'), list('docker28.0.1-swarm.nft.iptables-nvL')])
      expect(ingress(run({ iptables: [rs], dockerDaemon: [info('28.0.1')], dockerServices: [SERVICES] }))).toEqual([]);
  });

  it('28.0.1 without Swarm (no DOCKER-INGRESS anywhere): the counted DROP is the intended protection', () => {
    expect(ingress(run({ iptables: [save('docker28.0.1-no-swarm.nft.iptables-save')] }))).toEqual([]);
  });
});

describe.skipIf(!hasCorpus)("the corpus' Docker 28 Swarm dumps", () => {
  it('moby-docker28-swarm-ingress (-S and -nvL): no false finding', () => {
    const s = parseIptablesSpec(readFileSync(corpusPath('iptables-save', 'moby-docker28-swarm-ingress-iptables-S.txt'), 'utf8'), 'moby-docker28-swarm-ingress-iptables-S.txt');
    const l = parseIptablesList(readFileSync(corpusPath('iptables-list', 'moby-docker28-swarm-ingress-portmap-nvL.txt'), 'utf8'), 'moby-docker28-swarm-ingress-portmap-nvL.txt');
    for (const rs of [s, l]) {
      expect(rs.tables.filter?.chains.DOCKER?.rules.some((r) => r.target === 'DROP' && r.outInterface?.value === 'docker_gwbridge')).toBe(true);
      expect(ingress(run({ iptables: [rs], dockerDaemon: [info()], dockerServices: [SERVICES] }))).toEqual([]);
    }
  });
});
