/**
 * ufw.published-ports-bypass on real rules (test/fixtures/ufw, every dump from the real ufw 0.36.2 in a
 * network namespace, `ufw enable` + its rules, with Docker's chains as moby's own test expects them
 * for Docker 28+ (moby-docker29-usernet-portmap: 0.0.0.0:8080 -> 192.0.2.2:80 on bridge1) loaded beside
 * them, DOCKER-USER first in FORWARD as dockerd inserts it):
 * - fires: default deny (INPUT policy DROP), default reject (ufw-reject-input), rules alone or with
 *   `ufw status verbose` (cited: Status and Default lines), legacy and nf_tables back ends, IPv6 (ip6tables
 *   DNAT to [fd00:dead::2]:80) with the after6.rules block;
 * - quiet: `ufw allow 8080/tcp`, ufw-docker's pattern (DOCKER-USER -> ufw-user-forward + a drop of new
 *   connections into the bridge), that plus `ufw route allow` to the container, the port published on
 *   127.0.0.1, `ufw disable` (chains left empty, policies ACCEPT), `ufw default allow incoming`,
 *   ufw status saying inactive / default allow / ALLOW IN 8080, Docker with "iptables": false, and a
 *   Docker host without ufw (moby's own rules alone).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';
import { hasCorpus, projectPath, readCorpus } from '../helpers/shared.js';

const fx = (name: string) => readFileSync(projectPath('test/fixtures/ufw', name), 'utf8');

async function run(files: Record<string, string>, name: string) {
  const r = await analyzeBundle(writeFolder(files, name));
  const ran = r.coverage.nodes[0].analyzers.find((a) => a.id === 'ufw.published-ports-bypass');
  return { found: r.findings.filter((f) => f.id === 'ufw.published-ports-bypass'), ran };
}

describe('fires', () => {
  it('rules alone: ufw default deny, Docker publishing 8080 on every address', async () => {
    const { found } = await run({ 'iptables-save.txt': fx('ufw-docker29-iptables-save.txt') }, 'ufw-bypass-rules');
    expect(found).toHaveLength(1);
    const [f] = found;
    expect(f.severity).toBe('warning');
    expect(f.facts).toMatchObject({ ports: [{ family: 4, protocol: 'tcp', port: 8080, to: '192.0.2.2:80', bridge: 'bridge1' }], ufwStatus: 'active (from the rules)' });
    expect(f.message).toMatch(/0\.0\.0\.0:8080\/tcp -> 192\.0\.2\.2:80/);
    const lines = fx('ufw-docker29-iptables-save.txt').split('\n');
    const cited = f.evidence.map((e) => lines[e.line - 1]);
    expect(cited).toEqual([
      '-A DOCKER ! -i bridge1 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 192.0.2.2:80',
      '-A DOCKER -d 192.0.2.2/32 ! -i bridge1 -o bridge1 -p tcp -m tcp --dport 80 -j ACCEPT',
      ':INPUT DROP [0:0]',
    ]);
    expect(f.remedy.commands).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^grep -q '\^# BEGIN bundle-doctor DOCKER-USER' \/etc\/ufw\/after\.rules \|\| printf .*'-A DOCKER-USER -j ufw-user-forward' '-A DOCKER-USER -o bridge1 ! -i bridge1 -m conntrack --ctstate NEW -j DROP' 'COMMIT'/),
        'ufw reload',
        'ufw route allow proto tcp from any to 192.0.2.2 port 80   # only for a port meant to be public (8080/tcp -> 192.0.2.2:80)',
      ]),
    );
  });

  it('with ufw status verbose: its Status, Default and table lines are cited', async () => {
    const { found } = await run({ 'iptables-save.txt': fx('ufw-docker29-iptables-save.txt'), 'ufw-status-verbose.txt': fx('ufw-status-verbose.txt') }, 'ufw-bypass-verbose');
    const [f] = found;
    expect(f.evidence.slice(0, 3).map((e) => [e.file, e.line, e.excerpt])).toEqual([
      ['ufw-status-verbose.txt', 1, 'Status: active'],
      ['ufw-status-verbose.txt', 3, 'Default: deny (incoming), allow (outgoing), disabled (routed)'],
      ['ufw-status-verbose.txt', 6, 'To  Action  From'],
    ]);
    expect(f.facts).toMatchObject({ ufwStatus: 'active', defaultIncoming: 'deny' });
  });

  it("default reject: ufw-reject-input's REJECT decides", async () => {
    const { found } = await run({ 'iptables-save.txt': fx('ufw-reject-iptables-save.txt'), 'ufw-status-verbose.txt': fx('ufw-reject-status-verbose.txt') }, 'ufw-bypass-reject');
    expect(found).toHaveLength(1);
    expect(found[0].evidence.find((e) => /ufw would reject/.test(e.note ?? ''))?.excerpt).toBe('-A ufw-reject-input -j REJECT --reject-with icmp-port-unreachable');
  });

  it('the legacy back end (the same rules through iptables-legacy-restore / -save)', async () => {
    const { found } = await run({ 'iptables-save.txt': fx('ufw-docker29-legacy-iptables-save.txt') }, 'ufw-bypass-legacy');
    expect(found).toHaveLength(1);
    expect(found[0].facts).toMatchObject({ ports: [{ port: 8080, to: '192.0.2.2:80' }] });
  });

  it('IPv6: ip6tables DNAT to [fd00:dead::2]:80 past ufw6; the after6.rules block with ufw6-user-forward', async () => {
    const { found } = await run({ 'iptables-save.txt': fx('ufw-docker0-netns.rules'), 'ip6tables-save.txt': fx('ufw-docker0-ip6tables-save.txt') }, 'ufw-bypass-v6');
    expect(found).toHaveLength(1);
    const [f] = found;
    expect((f.facts as { ports: { family: number; to: string }[] }).ports.map((p) => [p.family, p.to])).toEqual([
      [4, '172.17.0.2:80'],
      [6, '[fd00:dead::2]:80'],
    ]);
    expect(f.remedy.commands.find((c) => c.includes('/etc/ufw/after6.rules'))).toMatch(/'-A DOCKER-USER -j ufw6-user-forward' '-A DOCKER-USER -o docker0 ! -i docker0 -m conntrack --ctstate NEW -j DROP'/);
    expect(f.remedy.commands).toContain('ufw route allow proto tcp from any to fd00:dead::2 port 80   # only for a port meant to be public (8080/tcp -> [fd00:dead::2]:80)');
  });
});

describe('quiet', () => {
  const cases: [string, Record<string, string>][] = [
    ['ufw allow 8080/tcp', { 'iptables-save.txt': fx('ufw-allow8080-iptables-save.txt') }],
    ["ufw-docker's pattern: DOCKER-USER jumps to ufw-user-forward, then drops new connections into the bridge", { 'iptables-save.txt': fx('ufw-docker-user-guard-iptables-save.txt') }],
    ['that, plus ufw route allow to the container: ufw decided to open it', { 'iptables-save.txt': fx('ufw-docker-user-route-allow-iptables-save.txt') }],
    ['the port published on 127.0.0.1 only', { 'iptables-save.txt': fx('ufw-loopback-iptables-save.txt') }],
    ['ufw disable: its chains empty, policies ACCEPT', { 'iptables-save.txt': fx('ufw-inactive-iptables-save.txt') }],
    ['ufw default allow incoming', { 'iptables-save.txt': fx('ufw-default-allow-iptables-save.txt') }],
    ['ufw status says inactive (rules of an earlier moment)', { 'iptables-save.txt': fx('ufw-docker29-iptables-save.txt'), 'ufw-status.txt': fx('ufw-inactive-status.txt') }],
    ['ufw status verbose says default allow incoming', { 'iptables-save.txt': fx('ufw-docker29-iptables-save.txt'), 'ufw-status-verbose.txt': fx('ufw-default-allow-status-verbose.txt') }],
    ['ufw status verbose has ALLOW IN 8080/tcp from Anywhere', { 'iptables-save.txt': fx('ufw-docker29-iptables-save.txt'), 'ufw-status-verbose.txt': fx('ufw-allow8080-status-verbose.txt') }],
    ['Docker told "iptables": false', { 'iptables-save.txt': fx('ufw-docker29-iptables-save.txt'), 'daemon.json': '{ "iptables": false }\n' }],
  ];
  for (const [what, files] of cases)
    it(what, async () => {
      const { found, ran } = await run(files, 'ufw-quiet');
      expect(ran?.status).toBe('ran');
      expect(found).toEqual([]);
    });

  it.skipIf(!hasCorpus)("Docker's own rules without ufw (moby's Docker 29 port-mapping test output)", async () => {
    const { found } = await run({ 'iptables-S.txt': readCorpus('iptables-save', 'moby-docker29-usernet-portmap-iptables-S.txt') }, 'ufw-none');
    expect(found).toEqual([]);
  });

  // with a docker ps listing beside it, the analyzer reads the published ports (test/analyzers/ufw-bypass-docker-ps.test.ts)
  it("ufw status verbose alone (no rules, no docker ps): not run, neither iptables nor docker ps in the bundle", async () => {
    const status = readFileSync(projectPath('test/fixtures/ufw/ufw-status-verbose.txt'), 'utf8');
    const { found, ran } = await run({ 'ufw-status-verbose.txt': status }, 'ufw-status-only');
    expect(found).toEqual([]);
    expect(ran?.status).toBe('not-run');
    expect(ran?.reason).toMatch(/iptables|docker ps/);
  });
});
