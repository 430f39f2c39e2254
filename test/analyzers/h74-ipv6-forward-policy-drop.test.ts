/**
 * Docker 27's ip6tables FORWARD policy DROP seen in an nft listing whose DOCKER-USER is not shown
 * (reviewer R24 case 05: moby/moby#48392, https://github.com/moby/moby/issues/48392, and the same reporter's
 * paste in https://github.com/moby/moby/issues/48365): docker.forward-policy-drops-routed warns from the
 * ruleset alone, and iptables.forward-blocks-containers' coverage names the forward chains it did read.
 *
 * Real text: the ticket's pastes (test/fixtures/h74-moby-48392) and nft / ip output of namespaces made on
 * this machine (test/fixtures/h74-ns/README.md). Healthy: the same router before any packet (counter 0),
 * and a plain Docker host (eth0 and docker0) whose FORWARD counted two strays.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import routed from '../../analyzers/docker-forward-policy-drops-routed.js';
import forwardBlocks from '../../analyzers/iptables-forward-blocks-containers.js';
import { loadBundle } from '../../src/engine/analyze.js';
import type { Analyzer, FindingDraft } from '../../src/engine/analyzer.js';
import { writeFolder } from '../helpers/archive.js';
import { canMakeNetns, projectPath } from '../helpers/shared.js';

const CASE = 'test/fixtures/h74-moby-48392';
const NS = 'test/fixtures/h74-ns';
const read = (...p: string[]) => readFileSync(projectPath(...p), 'utf8');
const folder = (dir: string) =>
  Object.fromEntries(
    readdirSync(projectPath(dir))
      .filter((f) => statSync(projectPath(dir, f)).isFile())
      .map((f) => [f, read(dir, f)]),
  );

async function run(a: Analyzer, files: Record<string, string>, name: string): Promise<{ findings: FindingDraft[]; notes: string[] }> {
  const b = await loadBundle(writeFolder(files, name));
  expect(b.nodes).toHaveLength(1);
  const notes: string[] = [];
  const findings = a.scope === 'node' ? a.analyze({ node: 'node-1', artifacts: b.nodes[0].artifacts as never, options: { requiredPorts: [] }, partly: (m: string) => notes.push(m) }) : [];
  return { findings, notes };
}

describe('moby/moby#48392: ip6 filter FORWARD policy drop, DOCKER-USER not in the paste', () => {
  it.each([
    ['nft_list_ruleset.txt', 306, 'counter packets 306 bytes 24746 jump DOCKER-USER', 14],
    ['nft_list_chain_ip6_filter_FORWARD.txt', 193, 'counter packets 193 bytes 19492 jump DOCKER-USER', 4],
  ])('%s alone: a warning naming Docker 27, the packets nothing listed accepts, ip addr and ip -6 route asked for', async (file, packets, excerpt, line) => {
    const { findings, notes } = await run(routed, { [file]: read(CASE, file) }, `h74-${packets}`);
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f.severity).toBe('warning');
    expect(f.facts).toMatchObject({ family: 'IPv6', policy: 'DROP', droppedPackets: packets, droppedNotDockers: true, dockerUserUnlisted: true, notAccepted: [] });
    expect(f.message).toMatch(new RegExp(`${packets} packets were forwarded in IPv6 and, unless DOCKER-USER accepts them, dropped`));
    expect(f.message).toMatch(/DOCKER-USER's rules are not in the dump \(ip6tables-save -c -t filter shows them\)/);
    expect(f.message).toMatch(/Docker 27\.x, .*ip6tables.*moby\/moby#48365.*28\.0 .*moby\/moby#48594/);
    expect(f.message).toMatch(/collect ip addr and ip -6 route/);
    expect(f.evidence[0]).toMatchObject({ line: line - 1, excerpt: 'chain FORWARD (policy DROP)' });
    expect(f.evidence[1]).toMatchObject({ line, excerpt });
    expect(notes).toEqual([expect.stringMatching(/^IPv6: which interfaces node-1 routes between.*collect ip addr and ip -6 route$/)]);
    const cmds = f.remedy.commands.join('\n');
    expect(f.remedy.commands[0]).toMatch(/^# ip6tables -C DOCKER-USER -i <lan> -o <wan> -j ACCEPT .*-I DOCKER-USER -i <lan> -o <wan> -j ACCEPT/);
    expect(f.remedy.commands[1]).toMatch(/^# ip6tables .*-I DOCKER-USER -i <wan> -o <lan> -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT/);
    expect(cmds).toMatch(/"ip-forward-no-drop": true/);
    expect(cmds).toMatch(/"ip6tables": false in \/etc\/docker\/daemon\.json/);
  });

  it('the case folder as it is (both listings): the same warning, from whichever listing the engine reads', async () => {
    const { findings } = await run(routed, folder(CASE), 'h74-case');
    expect(findings.map((f) => [f.facts?.family, f.severity, f.facts?.dockerUserUnlisted])).toEqual([['IPv6', 'warning', true]]);
    expect([306, 193]).toContain(findings[0].facts?.droppedPackets);
  });

  it("iptables.forward-blocks-containers' coverage names the IPv6 FORWARD chain it read, not \"no nftables forward chain\"", async () => {
    const { findings, notes } = await run(forwardBlocks, folder(CASE), 'h74-case-fb');
    expect(findings).toEqual([]);
    const note = notes.find((n) => n.startsWith('could not check container forwarding'));
    expect(note).toMatch(/^could not check container forwarding in IPv4: the bundle has no IPv4 filter FORWARD chain \(iptables-save, or iptables -L FORWARD\) and no native nftables forward chain; the forward chains read are IPv6's: /);
    expect(note).toMatch(/nft_list_ruleset\.txt:13/);
    expect(note).toMatch(/nft_list_chain_ip6_filter_FORWARD\.txt:3/);
    expect(note).toMatch(/traced only where the bundle shows containers or pods using IPv6, and it shows none/);
    expect(note).not.toMatch(/and no nftables forward chain/);
  });

  it('an ip6tables-save alone: the coverage names ip6tables\' FORWARD as the chain read', async () => {
    const { notes } = await run(forwardBlocks, folder(`${NS}/ip6tables-save-only`), 'h74-save-fb');
    const note = notes.find((n) => n.startsWith('could not check container forwarding'));
    expect(note).toMatch(/the forward chains read are IPv6's: ip6tables' filter FORWARD \(ip6tables-save\.txt:4\);/);
  });

  it('a listing with no forward chain at all (nft list table ip6 nat): the coverage still says there is none', async () => {
    const { notes } = await run(forwardBlocks, folder(`${NS}/nat-only`), 'h74-nat-fb');
    expect(notes).toContain('could not check container forwarding: the bundle has no filter FORWARD chain (iptables-save, or iptables -L FORWARD) and no nftables forward chain');
  });
});

describe('namespaces: Docker 27 ip6tables rules listed with nft list chain ip6 filter FORWARD', () => {
  it('a router (lan0 -> eth0) whose 3 forwarded packets were dropped: a warning, DOCKER-USER pair for lan0 -> eth0', async () => {
    const { findings, notes } = await run(routed, folder(`${NS}/router`), 'h74-router');
    expect(notes).toEqual([]);
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f.severity).toBe('warning');
    expect(f.facts).toMatchObject({ family: 'IPv6', droppedPackets: 3, droppedNotDockers: true, dockerUserUnlisted: true, notAccepted: ['lan0'], uplink: 'eth0' });
    expect(f.message).toMatch(/lan0 is routed to and from eth0 and no rule listed before the policy accepts its traffic/);
    expect(f.remedy.commands[0]).toMatch(/^ip6tables -C DOCKER-USER -i lan0 -o eth0 -j ACCEPT 2>\/dev\/null \|\| ip6tables -I DOCKER-USER -i lan0 -o eth0 -j ACCEPT   # /);
  });

  it('the same router as nft list ruleset (DOCKER-USER only returns): the unhedged warning', async () => {
    const { findings } = await run(routed, folder(`${NS}/router-full`), 'h74-router-full');
    expect(findings).toHaveLength(1);
    expect(findings[0].facts).toMatchObject({ family: 'IPv6', droppedPackets: 3, droppedNotDockers: true, notAccepted: ['lan0'] });
    expect(findings[0].facts?.dockerUserUnlisted).toBeUndefined();
    expect(findings[0].message).toMatch(/3 packets were forwarded in IPv6 and dropped: nothing in that FORWARD accepts anything/);
  });

  it('the router before any packet (counter 0, no ip addr): no finding, the coverage asks for ip addr and ip -6 route', async () => {
    const { findings, notes } = await run(routed, folder(`${NS}/router-idle`), 'h74-idle');
    expect(findings).toEqual([]);
    expect(notes).toEqual([expect.stringMatching(/^IPv6: whether node-1 routes traffic between interfaces that are not containers'.*collect ip addr and ip -6 route$/)]);
  });

  it('a plain Docker host (eth0 and docker0) whose FORWARD counted 2 strays: nothing', async () => {
    const { findings, notes } = await run(routed, folder(`${NS}/plain-host`), 'h74-plain');
    expect(findings).toEqual([]);
    expect(notes).toEqual([]);
  });

  it.skipIf(!canMakeNetns())('the router remedy run twice in a namespace holding the rules: one accept pair in DOCKER-USER, ahead of its return', async () => {
    const { findings } = await run(routed, folder(`${NS}/router`), 'h74-router-2');
    const ns = `h74t${process.pid}`;
    execFileSync('ip', ['netns', 'add', ns]);
    try {
      execFileSync('ip', ['netns', 'exec', ns, 'ip6tables-nft-restore'], { input: read(NS, 'docker27-ip6tables.rules') });
      const script = findings[0].remedy.commands.filter((c) => !c.startsWith('#')).join('\n');
      expect(script).not.toBe('');
      for (let i = 0; i < 2; i++) execFileSync('ip', ['netns', 'exec', ns, 'sh', '-e', '-c', script]);
      const rules = execFileSync('ip', ['netns', 'exec', ns, 'ip6tables-nft', '-S', 'DOCKER-USER'], { encoding: 'utf8' }).trim().split('\n');
      expect(rules).toEqual([
        '-N DOCKER-USER',
        '-A DOCKER-USER -i eth0 -o lan0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
        '-A DOCKER-USER -i lan0 -o eth0 -j ACCEPT',
        '-A DOCKER-USER -j RETURN',
      ]);
    } finally {
      execFileSync('ip', ['netns', 'del', ns]);
    }
  });
});
