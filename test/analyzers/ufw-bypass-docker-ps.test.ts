/**
 * ufw.published-ports-bypass without rules to trace, and with Docker 29's nftables back end.
 *
 * 1. A ticket that pasted `ufw status verbose` and `docker ps` only (moby/moby#4737's usual report):
 *    the real ufw 0.36.2 status outputs of test/fixtures/ufw (made with the real ufw in a namespace) and
 *    real `docker ps` listings quoted in public files (test/fixtures/h2-docker-ps/README.md names each).
 *    Fires: ufw active + default deny (or reject) incoming, a running container publishing on 0.0.0.0,
 *    the message saying it rests on docker ps and ufw status, not a traced path, and what to collect.
 *    Quiet: 127.0.0.1-only publishing, exited containers, ufw inactive, default allow incoming, a port
 *    ufw allows from Anywhere; with rules in the bundle the trace decides (docker ps is not read).
 *    Plain `ufw status` (no Default line) or Docker's nftables back end with ufw's routed default
 *    "disabled": ran in part, no finding.
 * 2. Docker 29 (`"firewall-backend": "nftables"`): moby's own generated listing of `ip docker-bridges`
 *    (integration/network/bridge/nftablesdoc/generated/usernet-portmap.md: 8080 -> 192.0.2.2:80 on
 *    bridge1) loaded with the real nft 1.0.6 beside the real ufw rules (iptables-nft-restore) in a
 *    namespace. Docker's docs (engine/network/firewall-nftables, "FORWARD policy in iptables"): an
 *    iptables FORWARD policy DROP still drops what Docker's nftables rules accept. So ufw's default
 *    (routed deny: FORWARD DROP) blocks the port: no bypass finding; `ufw default allow routed`
 *    (FORWARD ACCEPT) lets it past ufw: the warning, traced through both, with ufw's routed fix.
 *    And on the real kernel (namespaces h2nft*: the same ufw rules and moby's table, its bridge1 subnet
 *    moved to 172.18.0.0/16 as the namespaces' outside is 192.0.2.0/24): the outside reaches 8080 with
 *    FORWARD ACCEPT and the finding says so; the printed `ufw default deny routed` (FORWARD DROP) closes
 *    it and the finding goes; the printed `ufw route allow` (the rule ufw writes in ufw-user-forward)
 *    opens it again as ufw's decision: no finding.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { runStatus } from '../../src/report/coverage.js';
import { writeFolder } from '../helpers/archive.js';
import { BridgeHost } from '../helpers/bridge-host.js';
import { canMakeNetns, projectPath } from '../helpers/shared.js';

const ufw = (name: string) => readFileSync(projectPath('test/fixtures/ufw', name), 'utf8');
const fx = (name: string) => readFileSync(projectPath('test/fixtures/h2-docker-ps', name), 'utf8');

async function run(files: Record<string, string>, name: string) {
  const r = await analyzeBundle(writeFolder(files, name));
  const ran = r.coverage.nodes[0].analyzers.find((a) => a.id === 'ufw.published-ports-bypass');
  return { found: r.findings.filter((f) => f.id === 'ufw.published-ports-bypass'), ran, report: r };
}

describe('ufw status + docker ps, no rules', () => {
  it('fires: ufw active, default deny incoming, gitea and gitbook publishing on 0.0.0.0 (docker ps)', async () => {
    const { found, ran } = await run({ 'ufw-status-verbose.txt': ufw('ufw-status-verbose.txt'), 'docker-ps.txt': fx('docker-ps-1panel.txt') }, 'h2-ps-fires');
    expect(ran?.status).toBe('ran');
    expect(found).toHaveLength(1);
    const [f] = found;
    expect(f.severity).toBe('warning');
    expect(f.facts).toMatchObject({
      basis: 'docker ps and ufw status (no rules traced)',
      ufwStatus: 'active',
      defaultIncoming: 'deny',
      ports: [
        { protocol: 'tcp', port: 3000, hostIp: '0.0.0.0', containerPort: '3000', container: 'gitea' },
        { protocol: 'tcp', port: 222, hostIp: '0.0.0.0', containerPort: '22', container: 'gitea' },
        { protocol: 'tcp', port: 4000, hostIp: '0.0.0.0', containerPort: '4000', container: 'gitbook' },
      ],
    });
    // the loopback ones (postgres, redis, mysql) and the exposed-only 5432/tcp are not named
    expect(f.message).toMatch(/0\.0\.0\.0:3000->3000\/tcp \(gitea\), 0\.0\.0\.0:222->22\/tcp \(gitea\), 0\.0\.0\.0:4000->4000\/tcp \(gitbook\)/);
    expect(f.message).not.toMatch(/5432|6379|3306/);
    expect(f.message).toMatch(/rests on docker ps and ufw status, not on a traced path/);
    expect(f.message).toMatch(/DOCKER-USER block in \/etc\/ufw\/after\.rules/);
    expect(f.message).toMatch(/collect iptables-save and ip6tables-save to confirm/);
    const status = ufw('ufw-status-verbose.txt').split('\n');
    const ps = fx('docker-ps-1panel.txt').split('\n');
    expect(f.evidence.map((e) => [e.file, e.line])).toEqual([
      ['ufw-status-verbose.txt', 1],
      ['ufw-status-verbose.txt', 3],
      ['ufw-status-verbose.txt', 6],
      ['docker-ps.txt', 7],
      ['docker-ps.txt', 9],
    ]);
    expect(status[2]).toBe('Default: deny (incoming), allow (outgoing), disabled (routed)');
    expect(ps[6]).toMatch(/^6aabd9f04777 .* gitea$/);
    expect(ps[8]).toMatch(/^e45dd897e830 .* gitbook$/);
    expect(f.remedy.commands[0]).toMatch(/^iptables-save > iptables-save\.txt; ip6tables-save > ip6tables-save\.txt/);
    expect(f.remedy.commands).toContain('iptables -S DOCKER-USER   # only "-A DOCKER-USER -j RETURN" or nothing: no rule stands between the published ports and the network');
  });

  it('fires with default reject incoming; a port ufw allows from Anywhere (8080) is left out, Docker 28\'s [::] bindings too', async () => {
    const { found } = await run({ 'ufw-status-verbose.txt': ufw('ufw-allow8080-status-verbose.txt'), 'docker-ps.txt': fx('docker-ps-docker28-brackets.txt') }, 'h2-ps-allow8080');
    expect(found).toHaveLength(1);
    expect((found[0].facts!.ports as { port: number }[]).map((p) => p.port)).toEqual([8081, 8088, 80]);
    const rej = await run({ 'ufw-status-verbose.txt': ufw('ufw-reject-status-verbose.txt'), 'docker-ps.txt': fx('docker-ps-ranges.txt') }, 'h2-ps-reject');
    expect(rej.found).toHaveLength(1);
    expect(rej.found[0].facts).toMatchObject({ defaultIncoming: 'reject' });
    expect(rej.found[0].message).toMatch(/0\.0\.0\.0:10000-10001->10000-10001\/tcp \(nom-db-single-1\)/);
  });

  const quiet: [string, Record<string, string>][] = [
    ['127.0.0.1-only publishing', { 'ufw-status-verbose.txt': ufw('ufw-status-verbose.txt'), 'docker-ps.txt': fx('docker-ps-loopback.txt') }],
    ['exited containers (docker container ls -a)', { 'ufw-status-verbose.txt': ufw('ufw-status-verbose.txt'), 'docker-ps-a.txt': fx('docker-container-ls-a.txt') }],
    ['ufw inactive', { 'ufw-status.txt': ufw('ufw-inactive-status.txt'), 'docker-ps.txt': fx('docker-ps-1panel.txt') }],
    ['ufw default allow incoming', { 'ufw-status-verbose.txt': ufw('ufw-default-allow-status-verbose.txt'), 'docker-ps.txt': fx('docker-ps-1panel.txt') }],
    ['no ufw status at all', { 'docker-ps.txt': fx('docker-ps-1panel.txt') }],
    ['Docker told "iptables": false', { 'ufw-status-verbose.txt': ufw('ufw-status-verbose.txt'), 'docker-ps.txt': fx('docker-ps-1panel.txt'), 'daemon.json': '{ "iptables": false }\n' }],
  ];
  for (const [what, files] of quiet)
    it(`quiet: ${what}`, async () => {
      const { found, ran } = await run(files, `h2-ps-quiet-${what.replace(/\W+/g, '-')}`);
      expect(ran?.status).toBe('ran');
      expect(found).toEqual([]);
      expect(ran?.reason ?? '').not.toMatch(/ran in part/);
    });

  it('rules present: the trace decides, docker ps is not read (ufw allows 8080: quiet though docker ps shows 8081, 8088, 80)', async () => {
    const { found, ran } = await run(
      { 'iptables-save.txt': ufw('ufw-allow8080-iptables-save.txt'), 'ufw-status-verbose.txt': ufw('ufw-allow8080-status-verbose.txt'), 'docker-ps.txt': fx('docker-ps-docker28-brackets.txt') },
      'h2-ps-rules',
    );
    expect(ran?.status).toBe('ran');
    expect(found).toEqual([]);
  });

  it('plain ufw status numbered (no Default line): ran in part, no finding', async () => {
    const { found, ran } = await run({ 'ufw_status_numbered': ufw('ufw-status-numbered.txt'), 'docker-ps.txt': fx('docker-ps-1panel.txt') }, 'h2-ps-numbered');
    expect(found).toEqual([]);
    expect(runStatus(ran!)).toBe('ran-in-part');
    expect(ran!.reason).toMatch(/does not show ufw's defaults: whether ufw denies incoming connections was not checked \(collect ufw status verbose, or iptables-save\)/);
  });

  it("Docker's nftables back end (daemon.json) and ufw's routed default disabled: ran in part, no finding", async () => {
    const { found, ran } = await run(
      { 'ufw-status-verbose.txt': ufw('ufw-status-verbose.txt'), 'docker-ps.txt': fx('docker-ps-1panel.txt'), 'daemon.json': '{ "firewall-backend": "nftables" }\n' },
      'h2-ps-nft',
    );
    expect(found).toEqual([]);
    expect(runStatus(ran!)).toBe('ran-in-part');
    expect(ran!.reason).toMatch(/Docker writes nftables rules \(daemon\.json:1\): whether ufw's FORWARD policy drops the ports docker ps shows published was not decided/);
  });

  it('sosreport: sos_commands/docker/docker_ps read as docker ps (with ufw status verbose beside it)', async () => {
    const root = 'sosreport-h2ps-2026-12-02-abcdef';
    const { found, report } = await run(
      { [`${root}/sos_commands/docker/docker_ps`]: fx('docker-ps-1panel.txt').split('\n').slice(2).join('\n'), [`${root}/sos_commands/ufw/ufw_status_verbose`]: ufw('ufw-status-verbose.txt'), [`${root}/hostname`]: 'h2ps\n' },
      'h2-ps-sos',
    );
    expect(report.coverage.nodes[0].artifacts.dockerPs).toEqual([`${root}/sos_commands/docker/docker_ps`]);
    expect(found).toHaveLength(1);
    expect(found[0].evidence.filter((e) => e.file.endsWith('docker_ps')).map((e) => e.line)).toEqual([5, 7]);
  });
});

describe("Docker 29's nftables back end beside ufw's iptables rules (real nft + iptables-nft in a namespace)", () => {
  const files = (v: 'routed-deny' | 'routed-allow') => ({ 'iptables-save.txt': fx(`iptables-save.${v}`), 'nft_list_ruleset.txt': fx(`nft_list_ruleset.${v}`), ip_addr: fx('ip_addr'), ip_route: fx('ip_route') });

  it("ufw's default routed policy (FORWARD DROP) drops what Docker's nftables rules accept: no bypass", async () => {
    const { found, ran } = await run(files('routed-deny'), 'h2-nft-deny');
    expect(ran?.status).toBe('ran');
    expect(found).toEqual([]);
  });

  it('ufw default allow routed (FORWARD ACCEPT): 8080 reaches 192.0.2.2:80 past ufw, traced through docker-bridges', async () => {
    const { found } = await run(files('routed-allow'), 'h2-nft-allow');
    expect(found).toHaveLength(1);
    const [f] = found;
    expect(f.facts).toMatchObject({ firewallBackend: 'nftables', ports: [{ family: 4, protocol: 'tcp', port: 8080, hostAddress: '203.0.113.5', to: '192.0.2.2:80', bridge: 'bridge1' }] });
    const nft = fx('nft_list_ruleset.routed-allow').split('\n');
    const ipt = fx('iptables-save.routed-allow').split('\n');
    const cited = f.evidence.map((e) => (e.file === 'nft_list_ruleset.txt' ? nft : ipt)[e.line - 1].trim());
    expect(cited).toEqual([
      'iifname != "bridge1" tcp dport 8080 counter packets 0 bytes 0 dnat to 192.0.2.2:80 comment "DNAT"',
      'ip daddr 192.0.2.2 tcp dport 80 counter packets 0 bytes 0 accept',
      ':INPUT DROP [0:0]',
      ':FORWARD ACCEPT [0:0]',
    ]);
    expect(f.remedy.commands).toEqual([
      expect.stringMatching(/^# either: publish on loopback, e\.g\. docker run -p 127\.0\.0\.1:8080:80/),
      "# or: make ufw's routed (FORWARD) policy drop, then allow each public port to its container:",
      'ufw default deny routed',
      'ufw route allow proto tcp from any to 192.0.2.2 port 80   # only for a port meant to be public (8080/tcp -> 192.0.2.2:80)',
    ]);
    // no DOCKER-USER block: Docker 29's nftables back end does not jump to it
    expect(f.remedy.commands.join('\n')).not.toMatch(/DOCKER-USER/);
  });
});

describe.skipIf(!canMakeNetns())("Docker 29's nftables back end beside ufw on the real kernel", () => {
  const host = new BridgeHost({ prefix: 'h2nft', bridge: 'bridge1', bridgeAddress: '172.18.0.1/16', instanceAddress: '172.18.0.2/16' });
  const H = host.h;
  const reachable = () => {
    try {
      execFileSync('ip', ['netns', 'exec', host.o, 'timeout', '2', 'bash', '-c', 'exec 3<>/dev/tcp/192.0.2.1/8080'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  const findings = async (name: string) => {
    const files = { 'iptables-save.txt': host.run(H, 'iptables-save'), 'nft_list_ruleset.txt': host.run(H, 'nft list ruleset 2>/dev/null'), 'ip-a.txt': host.run(H, 'ip addr'), 'ip-route.txt': host.run(H, 'ip route') };
    return (await run(files, name)).found;
  };
  beforeAll(() => {
    host.start();
    host.run(H, 'iptables-restore', fx('ufw-only.rules'));
    host.run(H, 'nft -f -', fx('docker29-usernet-portmap.nft').replaceAll('192.0.2.0/24', '172.18.0.0/16').replaceAll('192.0.2.2', '172.18.0.2'));
    host.listenInInstance(80);
  });
  afterAll(() => host.close());

  it("ufw's default routed deny blocks 8080; routed allow opens it past ufw (finding); the printed fixes close it or make it ufw's decision", async () => {
    // ufw's default: FORWARD DROP: Docker's nftables accept is not final
    expect(reachable()).toBe(false);
    expect(await findings('h2-nft-live-deny')).toEqual([]);
    // ufw default allow routed
    host.run(H, 'iptables -P FORWARD ACCEPT');
    expect(reachable()).toBe(true);
    const [f] = await findings('h2-nft-live-allow');
    expect(f.facts).toMatchObject({ firewallBackend: 'nftables', ports: [{ port: 8080, to: '172.18.0.2:80', bridge: 'bridge1', hostAddress: '192.0.2.1' }] });
    expect(f.remedy.commands).toContain('ufw default deny routed');
    // what `ufw default deny routed` sets
    host.run(H, 'iptables -P FORWARD DROP');
    expect(reachable()).toBe(false);
    expect(await findings('h2-nft-live-fixed')).toEqual([]);
    // the printed ufw route allow (its rule as ufw writes it in ufw-user-forward): open again, as ufw decides
    expect(f.remedy.commands).toContain('ufw route allow proto tcp from any to 172.18.0.2 port 80   # only for a port meant to be public (8080/tcp -> 172.18.0.2:80)');
    host.run(H, 'iptables -A ufw-user-forward -p tcp -d 172.18.0.2 --dport 80 -j ACCEPT');
    expect(reachable()).toBe(true);
    expect(await findings('h2-nft-live-route-allow')).toEqual([]);
    // and with routed allow, the same ufw route rule is the admin's: still no finding
    host.run(H, 'iptables -P FORWARD ACCEPT');
    expect(await findings('h2-nft-live-route-allow-policy-accept')).toEqual([]);
  }, 30000);
});
