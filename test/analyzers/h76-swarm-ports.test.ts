/**
 * H76: Docker Swarm's ports (2377/tcp, 7946/tcp+udp, 4789/udp) traced to INPUT by iptables.overlay-port-blocked.
 * Fixtures: test/fixtures/h76-swarm (README.md there), test/fixtures/h73-swarm (moby/moby#26235's INPUT listing,
 * https://github.com/moby/moby/issues/26235; moby/moby#32916's working single-node rc1 rules with iptables.service's
 * REJECTs, https://github.com/moby/moby/issues/32916), and test/fixtures/r3-logs/swarm-35688 (a worker's
 * `Failed to join memberlist` line, moby/moby#35688).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import analyzer from '../../analyzers/overlay-port-blocked.js';
import { loadBundle } from '../../src/engine/analyze.js';
import type { FindingDraft } from '../../src/engine/analyzer.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const fx = (...p: string[]) => readFileSync(projectPath('test/fixtures', ...p), 'utf8');
const h76 = (f: string) => fx('h76-swarm', f);

async function run(files: Record<string, string>, name: string): Promise<{ findings: FindingDraft[]; parts: string[] }> {
  const b = await loadBundle(writeFolder(files, name));
  expect(b.nodes).toHaveLength(1);
  const parts: string[] = [];
  const findings = analyzer.scope === 'node' ? analyzer.analyze({ node: 'node-1', artifacts: b.nodes[0].artifacts as never, options: { requiredPorts: [] }, partly: (w) => parts.push(w) }) : [];
  return { findings, parts };
}

const node = { 'ip_addr.txt': h76('node.ip-addr.txt'), 'ip_route.txt': h76('node.ip-route.txt') };

describe('h76: Docker Swarm behind firewalld (iptables back end, CentOS 7)', () => {
  it('a worker (docker info): 7946/tcp, 7946/udp, 4789/udp rejected by INPUT rule 7; warning, firewall-cmd at runtime and --permanent, no reload', async () => {
    const { findings, parts } = await run({ 'iptables-save.txt': h76('firewalld-c7.iptables-save.txt'), 'docker_info.txt': h76('moby28564-worker.docker-info.txt'), ...node }, 'h76-fwd-worker');
    expect(parts).toEqual([]);
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f.severity).toBe('warning');
    // a worker: 2377/tcp is the managers' port, not traced here
    expect(f.facts).toMatchObject({ overlay: 'Docker Swarm', ports: ['7946/tcp', '7946/udp', '4789/udp'], blockedBy: ['filter/INPUT#7', 'filter/INPUT#7', 'filter/INPUT#7'], uplink: 'eth0', peer: '10.10.55.138' });
    expect(f.message).toContain('is rejected (icmp-host-prohibited) by filter/INPUT rule 7 in INPUT');
    expect(f.message).toContain('a packet from 10.10.55.138 (another address on 10.10.55.0/24) arriving on eth0 for 10.10.55.137');
    expect(f.evidence[0]).toMatchObject({ excerpt: '-A INPUT -j REJECT --reject-with icmp-host-prohibited' });
    expect(f.evidence).toEqual(expect.arrayContaining([expect.objectContaining({ excerpt: expect.stringContaining('Is Manager: false') }), expect.objectContaining({ excerpt: expect.stringContaining('Node Address: 10.10.55.137') })]));
    expect(f.remedy.commands[0]).toBe(
      'z=$(firewall-cmd --get-zone-of-interface=eth0 2>/dev/null || firewall-cmd --get-default-zone); firewall-cmd --zone="$z" --add-port=4789/udp --add-port=7946/tcp --add-port=7946/udp && firewall-cmd --permanent --zone="$z" --add-port=4789/udp --add-port=7946/tcp --add-port=7946/udp',
    );
    expect(f.remedy.commands.join('\n')).not.toMatch(/--reload/);
    expect(f.remedy.caution).toMatch(/No firewall-cmd --reload.*moby\/moby#50443/);
  });

  it('healthy: the same node after the Swarm ports were added to zone public (iptables-save of the namespace)', async () => {
    const { findings, parts } = await run({ 'iptables-save.txt': h76('firewalld-c7-open.iptables-save.txt'), 'docker_info.txt': h76('moby28564-worker.docker-info.txt'), ...node }, 'h76-fwd-open');
    // H100: the zone opens Swarm's ports but not ESP; nothing shows an encrypted overlay, so an info at most
    expect(findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(findings.map((f) => f.facts?.ports)).toEqual([['IP protocol 50 (ESP)']]);
    expect(findings[0].remedy.commands[0]).toContain('--add-protocol=esp');
    expect(parts).toEqual([]);
  });

  it("critical where dockerd's log shows the Swarm failing: the peer it names is traced, 2377/tcp too on a node not said to be a worker", async () => {
    const { findings } = await run(
      { 'iptables-save.txt': h76('firewalld-c7.iptables-save.txt'), ...node, 'docker.log': fx('r3-logs', 'swarm-35688', 'dockerd-worker.log') },
      'h76-fwd-log',
    );
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f.severity).toBe('critical');
    expect(f.facts).toMatchObject({ ports: ['2377/tcp', '7946/tcp', '7946/udp', '4789/udp'], peer: '192.192.0.2' });
    expect(f.message).toContain("a packet from 192.192.0.2 (a Swarm node dockerd's log names)");
    expect(f.evidence).toEqual(expect.arrayContaining([expect.objectContaining({ excerpt: expect.stringContaining('Failed to join memberlist') })]));
  });

  it("moby#26235's INPUT listing (INPUT only: INPUT_direct, INPUT_ZONES not in the paste) on a worker: undecided, said in the coverage, no finding", async () => {
    const { findings, parts } = await run({ 'iptables_-L_-v_-n_--line-numbers.txt': fx('h73-swarm', 'moby26235-input.iptables-L.txt'), 'docker_info.txt': h76('moby28564-worker.docker-info.txt') }, 'h76-26235');
    expect(findings).toEqual([]);
    expect(parts.join('\n')).toMatch(/Docker Swarm: the trace of a peer's packet to 7946\/tcp: chain INPUT_direct: its rules are not in the bundle/);
  });
});

describe("h76: Docker Swarm with iptables.service's stock REJECTs (moby#32916's rules)", () => {
  it('the single-node rc1 host (no docker info): no finding; the coverage says the Swarm\'s other nodes are not shown', async () => {
    const { findings, parts } = await run({ 'iptables-S.txt': fx('h73-swarm', 'moby32916-rc1.iptables-S.txt') }, 'h76-32916');
    expect(findings).toEqual([]);
    expect(parts).toEqual([expect.stringMatching(/^Docker Swarm: a packet from another node .* is blocked by filter\/INPUT rule 6 .*which the bundle does not show .*Collect docker info/)]);
  });

  it("a manager of a 3-node Swarm (docker info's Nodes: 3): warning, the manager port 2377 traced too", async () => {
    const { findings } = await run({ 'iptables-S.txt': fx('h73-swarm', 'moby32916-rc1.iptables-S.txt'), 'docker_info.txt': h76('moby25836-manager.docker-info.txt') }, 'h76-32916-mgr');
    expect(findings.map((f) => f.severity)).toEqual(['warning']);
    expect(findings[0].facts).toMatchObject({ ports: expect.arrayContaining(['2377/tcp', '7946/tcp', '7946/udp', '4789/udp']) });
  });

  it("the same manager alone in its Swarm (Nodes: 1): nothing, not even a coverage note", async () => {
    const info = h76('moby25836-manager.docker-info.txt').replace(/^( *)Nodes: 3$/m, '$1Nodes: 1');
    expect(info).toMatch(/Nodes: 1$/m);
    const { findings, parts } = await run({ 'iptables-S.txt': fx('h73-swarm', 'moby32916-rc1.iptables-S.txt'), 'docker_info.txt': info }, 'h76-32916-mgr1');
    expect(findings).toEqual([]);
    expect(parts.filter((p) => /Swarm/.test(p))).toEqual([]);
  });

  it('the same rules on a worker: warning, iptables accepts inserted ahead of the REJECT, no save of the live rules', async () => {
    const { findings } = await run({ 'iptables-S.txt': fx('h73-swarm', 'moby32916-rc1.iptables-S.txt'), 'docker_info.txt': h76('moby28564-worker.docker-info.txt') }, 'h76-32916-worker');
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f.severity).toBe('warning');
    expect(f.facts).toMatchObject({ ports: ['7946/tcp', '7946/udp', '4789/udp'], blockedBy: ['filter/INPUT#6', 'filter/INPUT#6', 'filter/INPUT#6'] });
    expect(f.remedy.commands).toContain('iptables -C INPUT -p udp -m udp --dport 4789 -j ACCEPT 2>/dev/null || iptables -I INPUT -p udp -m udp --dport 4789 -j ACCEPT');
    expect(f.remedy.caution).toMatch(/Do not save the live rules/);
  });

  it('without Swarm signs (the rules without docker_gwbridge and DOCKER-INGRESS): unchanged, nothing', async () => {
    const plain = fx('h73-swarm', 'moby32916-rc1.iptables-S.txt').split('\n').filter((l) => !/docker_gwbridge|DOCKER-INGRESS/.test(l)).join('\n');
    const { findings, parts } = await run({ 'iptables-S.txt': plain }, 'h76-plain');
    expect(findings).toEqual([]);
    expect(parts).toEqual([]);
  });

  it('docker info saying Swarm: inactive outweighs the leftover docker_gwbridge rules: nothing', async () => {
    const info = h76('moby28564-worker.docker-info.txt').replace(/Swarm: active\n NodeID: .*\n Is Manager: false\n Node Address: .*\n/, 'Swarm: inactive\n');
    const { findings, parts } = await run({ 'iptables-S.txt': fx('h73-swarm', 'moby32916-rc1.iptables-S.txt'), 'docker_info.txt': info }, 'h76-inactive');
    expect(findings).toEqual([]);
    expect(parts).toEqual([]);
  });
});
