/**
 * A Docker 28 network in routed gateway mode (gateway_mode_ipv4=routed: no NAT by design) without docker network
 * inspect in the bundle (R30 h35): no critical "restart docker / add the MASQUERADE", since Docker's own filter rules
 * for the bridge are those of routed mode, per moby's integration/network/bridge/iptablesdoc/generated/
 * usernet-portmap-routed.md (https://github.com/moby/moby/blob/master/integration/network/bridge/iptablesdoc/generated/usernet-portmap-routed.md):
 *   -A DOCKER -o bridge1 -p icmp -j ACCEPT
 *   -A DOCKER-ISOLATION-STAGE-1 -i bridge1 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
 *   -A DOCKER-ISOLATION-STAGE-1 -o bridge1 -j RETURN
 * none of which a NAT-mode network has (usernet-portmap.md).
 *
 * Listing form: the corpus file iptables-list/moby-docker28-usernet-gateway-mode-routed-nvL.txt (bridge1 = routed,
 * docker0 = NAT). iptables-save form: test/fixtures/h96-probe/routed-no-inspect, made in namespace h96d (deleted)
 * by iptables-restore of the corpus listing's rules with bridge1 renamed br-b1d4e7a0c3f6, then iptables-save; its
 * nat-mode twin (test/fixtures/h96-probe/nat-mode) is the same network in NAT mode (the three routed-only rules
 * left out, its MASQUERADE and DNAT in), made the same way. ip addr / ip route from the same namespace.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';
import { corpusPath, hasCorpus, projectPath } from '../helpers/shared.js';

const ID = 'iptables.docker-masquerade-missing';
const BR = 'br-b1d4e7a0c3f6';
const fixture = (...p: string[]) => readFileSync(projectPath('test/fixtures/h96-probe', ...p), 'utf8');
const masq = async (dir: string) => (await analyzeBundle(dir)).findings.filter((f) => f.id === ID);
const folder = (name: string, files: Record<string, string>) => writeFolder(Object.fromEntries(Object.entries(files).map(([f, t]) => [`node/${f}`, t])), name);
const saveBundle = (dir: string, edit: (t: string) => string = (t) => t) =>
  folder(`h96-${dir}`, { 'ip_addr.txt': fixture(dir, 'ip_addr.txt'), 'ip_route.txt': fixture(dir, 'ip_route.txt'), 'iptables-save.txt': edit(fixture(dir, 'iptables-save.txt')) });

const remedyText = (f: { remedy: { summary: string; commands: string[] } }) => `${f.remedy.summary}\n${f.remedy.commands.join('\n')}`;

describe('iptables-save form (real output of the rules restored in a namespace)', () => {
  it('routed network, no inspect: info, not critical, no restart or MASQUERADE in the remedy', async () => {
    const [f, ...rest] = await masq(saveBundle('routed-no-inspect'));
    expect(rest).toEqual([]);
    expect(f.severity).toBe('info');
    expect(f.facts).toMatchObject({ subnet: '192.0.2.0/24', bridge: BR });
    expect(f.message).toMatch(/routed gateway mode \(gateway_mode_ipv4=routed\)/);
    expect(f.message).toMatch(/or its MASQUERADE was lost/);
    expect(remedyText(f)).not.toMatch(/restart|-j MASQUERADE|iptables -t nat/i);
    expect(remedyText(f)).toMatch(/docker network inspect/);
    // the rules it rests on are cited by line
    const cited = f.evidence.map((e) => e.excerpt);
    expect(cited).toContain(`-A DOCKER -o ${BR} -p icmp -j ACCEPT`);
    expect(cited).toContain(`-A DOCKER-ISOLATION-STAGE-1 -o ${BR} -j RETURN`);
    expect(f.evidence.find((e) => e.excerpt === `-A DOCKER -o ${BR} -p icmp -j ACCEPT`)?.line).toBe(17);
  });

  it('only the ICMP rule left: still read as routed mode; neither routed-only rule: critical', async () => {
    const noReturn = await masq(saveBundle('routed-no-inspect', (t) => t.replace(`-A DOCKER-ISOLATION-STAGE-1 -o ${BR} -j RETURN\n`, '')));
    expect(noReturn.map((f) => f.severity)).toEqual(['info']);
    const neither = await masq(saveBundle('routed-no-inspect', (t) => t.replace(`-A DOCKER-ISOLATION-STAGE-1 -o ${BR} -j RETURN\n`, '').replace(`-A DOCKER -o ${BR} -p icmp -j ACCEPT\n`, '')));
    expect(neither.map((f) => [f.severity, f.facts?.bridge])).toEqual([['critical', BR]]);
  });

  it('docker network inspect says NAT mode: the rules do not overrule it (critical)', async () => {
    const inspect = JSON.stringify(
      [
        {
          Name: 'lab',
          Id: 'b1d4e7a0c3f6a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f607182930',
          Scope: 'local',
          Driver: 'bridge',
          EnableIPv6: false,
          IPAM: { Driver: 'default', Options: {}, Config: [{ Subnet: '192.0.2.0/24', Gateway: '192.0.2.1' }] },
          Internal: false,
          Options: { 'com.docker.network.bridge.name': BR },
        },
      ],
      null,
      4,
    );
    const dir = folder('h96-routed-inspect-nat', {
      'ip_addr.txt': fixture('routed-no-inspect', 'ip_addr.txt'),
      'ip_route.txt': fixture('routed-no-inspect', 'ip_route.txt'),
      'iptables-save.txt': fixture('routed-no-inspect', 'iptables-save.txt'),
      'docker_network_inspect.json': inspect,
    });
    const found = await masq(dir);
    expect(found.map((f) => [f.severity, f.facts?.bridge])).toEqual([['critical', BR]]);
  });

  it('healthy NAT-mode twin: nothing; its MASQUERADE deleted: critical with the restart remedy', async () => {
    expect(await masq(saveBundle('nat-mode'))).toEqual([]);
    const [f, ...rest] = await masq(saveBundle('nat-mode', (t) => t.replace(`-A POSTROUTING -s 192.0.2.0/24 ! -o ${BR} -j MASQUERADE\n`, '')));
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: 'critical', facts: { subnet: '192.0.2.0/24', bridge: BR } });
    expect(remedyText(f)).toMatch(/MASQUERADE/);
  });
});

describe.skipIf(!hasCorpus)('listing form: the corpus file moby-docker28-usernet-gateway-mode-routed-nvL.txt', () => {
  const listing = () => readFileSync(corpusPath('iptables-list', 'moby-docker28-usernet-gateway-mode-routed-nvL.txt'), 'utf8');
  // ip addr / ip route of namespace h96d; the listing's bridge1 renamed as a user network's bridge is (br-<id>), as R30's h35 did
  const bundle = (edit: (t: string) => string = (t) => t) =>
    folder('h96-routed-nvl', {
      'ip_addr.txt': fixture('routed-no-inspect', 'ip_addr.txt'),
      'ip_route.txt': fixture('routed-no-inspect', 'ip_route.txt'),
      'iptables-nvL.txt': edit(listing().replaceAll('bridge1', BR)),
    });

  it('bridge1 (routed): info only; docker0 (its MASQUERADE there): silent', async () => {
    const found = await masq(bundle());
    expect(found.map((f) => [f.severity, f.facts?.bridge])).toEqual([['info', BR]]);
    // the listing shows chain DOCKER twice (`iptables -nvL`, then `iptables -nvL DOCKER`): its ICMP rule cited once, the first
    const icmp = found[0].evidence.filter((e) => /ACCEPT\s+1\s+--\s+\*\s+br-/.test(e.excerpt));
    expect(icmp.map((e) => e.line)).toEqual([17]);
  });

  it("docker0's MASQUERADE deleted from the listing: critical for docker0, bridge1 still info", async () => {
    const found = await masq(bundle((t) => t.replace(/^1 +0 +0 MASQUERADE .*\n/m, '')));
    expect(found.map((f) => [f.severity, f.facts?.bridge]).sort()).toEqual([
      ['critical', 'docker0'],
      ['info', BR],
    ]);
  });
});

describe('IPv6: gateway_mode_ipv6=routed without inspect (ip6tables-save of the same rules with -p ipv6-icmp, namespace h96e, deleted)', () => {
  // eth0 has 2001:db8:ffff::20/64: the IPv6 probe destination 2001:db8:ffff::10 is in its connected subnet, and is moved
  const dir = 'routed6-no-inspect';
  const files = ['ip_addr.txt', 'ip_route.txt', 'iptables-save.txt', 'ip6tables-save.txt'];
  const bundle = (edit6: (t: string) => string = (t) => t) => folder('h96-routed6', Object.fromEntries(files.map((f) => [f, f === 'ip6tables-save.txt' ? edit6(fixture(dir, f)) : fixture(dir, f)])));
  const v6 = (fs: Awaited<ReturnType<typeof masq>>) => fs.filter((f) => f.facts?.family === 'ipv6').map((f) => [f.severity, f.facts?.subnet]);

  it('routed-mode ip6tables rules: info for fd00:b1d4::/64, no critical', async () => {
    const found = await masq(bundle());
    expect(v6(found)).toEqual([['info', 'fd00:b1d4::/64']]);
    expect(found.filter((f) => f.severity === 'critical')).toEqual([]);
  });

  it('the routed-only ip6tables rules gone (a NAT-mode network that lost its masquerade): critical (ULA)', async () => {
    const found = await masq(
      bundle((t) =>
        t
          .replace(`-A DOCKER -o ${BR} -p ipv6-icmp -j ACCEPT\n`, '')
          .replace(`-A DOCKER-ISOLATION-STAGE-1 -o ${BR} -j RETURN\n`, '')
          .replace(`-A DOCKER-ISOLATION-STAGE-1 -i ${BR} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n`, ''),
      ),
    );
    expect(v6(found)).toEqual([['critical', 'fd00:b1d4::/64']]);
  });
});
