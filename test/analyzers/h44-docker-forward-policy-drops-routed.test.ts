/**
 * docker.forward-policy-drops-routed: Docker's filter FORWARD policy DROP cuts off what the host itself
 * routes between interfaces that are not containers' (openwrt/packages#24492, reviewer R14 case 07).
 *
 * Real text: the nft listing pasted in https://github.com/openwrt/packages/issues/24492 (verbatim,
 * Docker 27.0.2 on OpenWrt: `table ip6 filter` FORWARD `policy drop`, `counter packets 308 ... jump
 * DOCKER-USER`, DOCKER-USER only returns), and iptables-save / ip6tables-save / nft / ip output of network
 * namespaces made on this machine (test/fixtures/h44/README.md says how). A plain Docker host (eth0 and
 * docker0) and a router whose DOCKER-USER already accepts its routed interfaces must give nothing; the
 * remedy's commands are run twice against the real kernel, where the namespaces can be made.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import analyzer from '../../analyzers/docker-forward-policy-drops-routed.js';
import { analyzeBundle, loadBundle } from '../../src/engine/analyze.js';
import type { FindingDraft } from '../../src/engine/analyzer.js';
import { writeFolder } from '../helpers/archive.js';
import { canMakeNetns, projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const fx = (...p: string[]) => readFileSync(projectPath('test/fixtures/h44', ...p), 'utf8');
const folder = (dir: string) => Object.fromEntries(readdirSync(projectPath('test/fixtures/h44', dir)).map((f) => [f, fx(dir, f)]));

async function run(files: Record<string, string>, name: string): Promise<{ findings: FindingDraft[]; parts: string[] }> {
  const b = await loadBundle(writeFolder(files, name));
  expect(b.nodes).toHaveLength(1);
  const parts: string[] = [];
  const findings = analyzer.scope === 'node' ? analyzer.analyze({ node: 'node-1', artifacts: b.nodes[0].artifacts as never, options: { requiredPorts: [] }, partly: (w) => parts.push(w) }) : [];
  return { findings, parts };
}

describe('openwrt/packages#24492: Docker 27 sets ip6 filter FORWARD policy drop on an OpenWrt router', () => {
  it('the pasted listing alone: a warning, 308 IPv6 packets dropped that no Docker rule accepts, the interfaces asked for', async () => {
    const { findings, parts } = await run({ 'nft-list-ruleset.txt': fx('openwrt-24492', 'nft-list-ruleset.txt') }, 'h44-24492');
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f.severity).toBe('warning');
    expect(f.facts).toMatchObject({ family: 'IPv6', policy: 'DROP', droppedPackets: 308, droppedNotDockers: true, notAccepted: [] });
    expect(f.message).toMatch(/IPv6 filter FORWARD on node-1 has policy DROP/);
    expect(f.message).toMatch(/308 packets were forwarded in IPv6 and dropped: .*none of them was a container's/);
    expect(f.message).toMatch(/Docker 27\.x, .*ip6tables.*moby\/moby#48594/);
    // the policy line, the counted jump, DOCKER-USER's lone return
    expect(f.evidence.map((e) => e.line)).toEqual([7, 8, 12]);
    expect(f.evidence[1].excerpt).toBe('counter packets 308 bytes 34270 jump DOCKER-USER');
    expect(parts).toEqual([expect.stringMatching(/IPv6: which interfaces node-1 routes between.*ip addr/)]);
    // no interfaces known: the DOCKER-USER pair is a template, commented, so a paste runs nothing half-named
    expect(f.remedy.commands.every((c) => c.startsWith('#'))).toBe(true);
    expect(f.remedy.commands[0]).toBe('# ip6tables -C DOCKER-USER -i <lan> -o <wan> -j ACCEPT 2>/dev/null || ip6tables -I DOCKER-USER -i <lan> -o <wan> -j ACCEPT   (name the interfaces: ip -br addr; ip -6 route)');
    expect(f.remedy.commands).toEqual(expect.arrayContaining([expect.stringMatching(/^# or, Docker 28\.0 or later: "ip-forward-no-drop": true/), expect.stringMatching(/^# or "ip6tables": false in \/etc\/docker\/daemon\.json/)]));
  });

  it("with OpenWrt's fw4 table beside it: critical, and OpenWrt's own dockerd option (openwrt/packages#24578)", async () => {
    const { findings } = await run({ 'nft-list-ruleset.txt': fx('openwrt-24492', 'nft-list-ruleset.txt'), 'nft-list-ruleset-fw4.txt': fx('openwrt-fw4-forward.nft.txt') }, 'h44-24492-fw4');
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f.severity).toBe('critical');
    expect(f.facts).toMatchObject({ family: 'IPv6', droppedPackets: 308, router: 'fw4' });
    expect(f.message).toMatch(/fw4's accepts cannot undo this policy/);
    expect(f.evidence).toEqual(expect.arrayContaining([expect.objectContaining({ excerpt: 'table inet fw4', file: expect.stringMatching(/nft-list-ruleset-fw4\.txt$/) })]));
    expect(f.remedy.commands).toEqual(expect.arrayContaining([expect.stringMatching(/^# or, what OpenWrt merged .*uci set dockerd\.globals\.ip6tables='0' && uci commit dockerd && \/etc\/init\.d\/dockerd restart, then ip6tables -P FORWARD ACCEPT/)]));
  });

  it('without the drops or a router sign (the counters at 0, no ip addr): nothing', async () => {
    const text = fx('openwrt-24492', 'nft-list-ruleset.txt').replace('counter packets 308 bytes 34270 jump', 'counter packets 0 bytes 0 jump');
    const { findings, parts } = await run({ 'nft-list-ruleset.txt': text }, 'h44-24492-zero');
    expect(findings).toEqual([]);
    // undecided, and said so: Docker's DROP is there, ip addr would tell whether the node routes
    expect(parts).toEqual([expect.stringMatching(/IPv6: whether node-1 routes traffic between interfaces that are not containers'.*collect ip addr/)]);
  });
});

describe('through the engine (the analyzer passed in, as the lead wires it into analyzers/index.ts)', () => {
  it('the 24492 listing: a validated finding on the node, the coverage saying which part is undecided', async () => {
    const r = await analyzeBundle(writeFolder({ 'nft-list-ruleset.txt': fx('openwrt-24492', 'nft-list-ruleset.txt') }, 'h44-engine'), { analyzers: [analyzer] });
    expect(r.findings.map((f) => [f.id, f.severity, f.analyzer])).toEqual([['docker.forward-policy-drops-routed', 'warning', 'docker.forward-policy-drops-routed']]);
    expect(JSON.stringify(r)).toMatch(/which interfaces .* routes between/);
  });
});

const REMEDY4 = [
  'iptables -C DOCKER-USER -i br-lan -o wan -j ACCEPT 2>/dev/null || iptables -I DOCKER-USER -i br-lan -o wan -j ACCEPT',
  'iptables -C DOCKER-USER -i wan -o br-lan -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT 2>/dev/null || iptables -I DOCKER-USER -i wan -o br-lan -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
];

describe('a router made in namespaces: br-lan and wan beside docker0, Docker 27 rules', () => {
  it('drops counted in both families: critical for IPv4 and IPv6, DOCKER-USER pairs for br-lan -> wan', async () => {
    const { findings, parts } = await run(folder('router-dropping'), 'h44-router');
    expect(parts).toEqual([]);
    expect(findings.map((f) => [f.facts?.family, f.severity])).toEqual([
      ['IPv4', 'critical'],
      ['IPv6', 'critical'],
    ]);
    const [v4, v6] = findings;
    expect(v4.facts).toMatchObject({ droppedPackets: 3, droppedNotDockers: false, notAccepted: ['br-lan'], uplink: 'wan', router: 'br-lan' });
    expect(v6.facts).toMatchObject({ droppedPackets: 3, droppedNotDockers: true, notAccepted: ['br-lan'], uplink: 'wan' });
    expect(v4.message).toMatch(/br-lan is routed to and from wan and no rule before the policy accepts its traffic\. The policy has dropped 3 packets\./);
    expect(v4.evidence[0]).toMatchObject({ file: expect.stringMatching(/iptables-save\.txt$/), excerpt: ':FORWARD DROP [3:252]' });
    expect(v6.evidence[0]).toMatchObject({ file: expect.stringMatching(/ip6tables-save\.txt$/), excerpt: ':FORWARD DROP [3:312]' });
    expect(v4.evidence).toEqual(expect.arrayContaining([expect.objectContaining({ excerpt: 'net.ipv4.ip_forward = 1' }), expect.objectContaining({ excerpt: 'br-lan 192.168.1.1/24' })]));
    expect(v4.remedy.commands.slice(0, 2).map((c) => c.replace(/   #.*$/, ''))).toEqual(REMEDY4);
    expect(v6.remedy.commands.slice(0, 2).map((c) => c.replace(/   #.*$/, ''))).toEqual(REMEDY4.map((c) => c.replace(/iptables/g, 'ip6tables')));
    // IPv4: "iptables": false is named as no fix
    expect(v4.remedy.commands).toEqual(expect.arrayContaining([expect.stringMatching(/^# not "iptables": false/)]));
    // never a bare policy change or flush as a command to run
    for (const c of [...v4.remedy.commands, ...v6.remedy.commands]) expect(c.startsWith('#') || !/-P FORWARD|-F\b|flush/.test(c)).toBe(true);
  });

  it('the same router after those commands (run twice): nothing, although the policy counted its earlier drops', async () => {
    const { findings } = await run(folder('router-accepted'), 'h44-router-ok');
    expect(findings).toEqual([]);
  });

  it('a plain Docker host (eth0 and docker0), its policy counting a peer dropped on the way to docker0: nothing', async () => {
    const { findings, parts } = await run(folder('plain-docker-host'), 'h44-plain');
    expect(findings).toEqual([]);
    expect(parts).toEqual([]);
  });

  it('a server with two networks (eth0, eth1) and docker0, nothing counted and no router sign: nothing', async () => {
    const { findings } = await run(folder('two-nic-host'), 'h44-2nic');
    expect(findings).toEqual([]);
  });

  it('tun0 beside eth0 and docker0, nothing counted, no NAT, no forwarding set by the admin: nothing (a VPN name alone is no sign of routing, R16 c05; the NATed gateway fires in h47)', async () => {
    const { findings } = await run(folder('vpn-gateway'), 'h44-vpn');
    expect(findings).toEqual([]);
  });

  it.skipIf(!canMakeNetns())('the remedy run twice in a namespace holding the dropping rules: one rule each, and then no finding', async () => {
    const { findings } = await run(folder('router-dropping'), 'h44-router-2');
    const ns = `h44-t${process.pid}`;
    execFileSync('ip', ['netns', 'add', ns]);
    try {
      execFileSync('ip', ['netns', 'exec', ns, 'iptables-restore'], { input: fx('router-dropping', 'iptables-save.txt') });
      execFileSync('ip', ['netns', 'exec', ns, 'ip6tables-restore'], { input: fx('router-dropping', 'ip6tables-save.txt') });
      const script = findings.flatMap((f) => f.remedy.commands.filter((c) => !c.startsWith('#'))).join('\n');
      for (let i = 0; i < 2; i++) execFileSync('ip', ['netns', 'exec', ns, 'sh', '-e', '-c', script]);
      const save4 = execFileSync('ip', ['netns', 'exec', ns, 'iptables-save'], { encoding: 'utf8' });
      const save6 = execFileSync('ip', ['netns', 'exec', ns, 'ip6tables-save'], { encoding: 'utf8' });
      expect(save4.split('\n').filter((l) => l.startsWith('-A DOCKER-USER'))).toEqual([
        '-A DOCKER-USER -i wan -o br-lan -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
        '-A DOCKER-USER -i br-lan -o wan -j ACCEPT',
        '-A DOCKER-USER -j RETURN',
      ]);
      expect(save6.split('\n').filter((l) => l.startsWith('-A DOCKER-USER'))).toHaveLength(3);
      const files = { ...folder('router-dropping'), 'iptables-save.txt': save4, 'ip6tables-save.txt': save6 };
      expect((await run(files, 'h44-router-fixed')).findings).toEqual([]);
    } finally {
      execFileSync('ip', ['netns', 'del', ns]);
    }
  });
});
