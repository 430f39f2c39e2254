/**
 * Docker Swarm nodes that cannot reach each other on Swarm's ports (moby/moby#35688, #33721,
 * moby/swarmkit#2276): one warning that names Swarm's ports (2377/tcp to the managers, 7946/tcp+udp,
 * 4789/udp, ESP for encrypted overlays: Docker's swarm tutorial, firewalld's docker-swarm service) and
 * opens them for the peers the lines name, with the firewall the node runs. Only Swarm's own lines:
 * memberlist in other programs, or memberlist failing for another reason (a full neighbour table),
 * is no Swarm port closed. The commands were checked with the real tools: ufw 0.36.2 --dry-run,
 * firewall-offline-cmd 1.3.3, iptables 1.8.9 in a network namespace.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import type { Finding } from '../../src/report/schema.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const CASES = projectPath('test/fixtures/r3-logs');
const text = (p: string) => readFileSync(`${CASES}/${p}`, 'utf8');
const logIds = (findings: Finding[]) => findings.map((f) => f.id).filter((id) => id.startsWith('log.'));
/** `systemctl list-units` as it prints a unit, with the real descriptions */
const unitsListing = (units: [string, string][]) =>
  `  UNIT                               LOAD   ACTIVE SUB     DESCRIPTION\n${units.map(([u, d]) => `  ${u.padEnd(35)}loaded active running ${d}`).join('\n')}\n\nLOAD   = Reflects whether the unit definition was properly loaded.\n`;
const BASE: [string, string][] = [
  ['cron.service', 'Regular background program processing daemon'],
  ['docker.service', 'Docker Application Container Engine'],
  ['ssh.service', 'OpenBSD Secure Shell server'],
];

describe('Swarm peers unreachable', () => {
  it('moby#35688: the refused join names 192.192.0.2:7946 as gossip, opens Swarm\'s ports for it, and says a lone refusal may be a restart', async () => {
    const report = await analyzeBundle(`${CASES}/swarm-35688`);
    // one finding: the generic "connection refused" leaves Swarm's own line to it
    expect(logIds(report.findings)).toEqual(['log.swarm-peer-unreachable']);
    const f = report.findings[0];
    expect(f.severity).toBe('warning');
    expect(f.message).toContain('(to 192.192.0.2 port 7946)');
    expect(f.message).toContain('7946 is the gossip among all nodes (TCP and UDP)');
    expect(f.message).toMatch(/Only one refusal is logged: a peer whose dockerd was restarting/);
    expect(f.remedy.summary).toMatch(/2377\/tcp to the managers, 7946\/tcp and 7946\/udp, 4789\/udp .*IP protocol 50 \(ESP\)/);
    // no unit states: every firewall's commands, for the peer the line names
    const c = f.remedy.commands;
    expect(c).toContain('ufw allow proto udp from 192.192.0.2 to any port 7946');
    expect(c).toContain('ufw allow proto esp from 192.192.0.2   # encrypted overlays (--opt encrypted)');
    expect(c).toContain(`firewall-cmd --permanent --add-rich-rule='rule family="ipv4" source address="192.192.0.2" port port="4789" protocol="udp" accept'`);
    expect(c).toContain('iptables -C INPUT -s 192.192.0.2 -p udp -m multiport --dports 7946,4789 -j ACCEPT 2>/dev/null || iptables -I INPUT -s 192.192.0.2 -p udp -m multiport --dports 7946,4789 -j ACCEPT');
    expect(c.filter((x) => x.startsWith('#'))).toHaveLength(3);
  });

  it('moby#33721: pings time out to two peers and UDP is blocked where TCP passes: no lone-refusal caveat', async () => {
    const report = await analyzeBundle(`${CASES}/swarm-33721`);
    expect(logIds(report.findings)).toEqual(['log.swarm-peer-unreachable']);
    const f = report.findings[0];
    // four failed pings and the TCP-not-UDP line; not the EOFs, the suspect notices nor the bulk sync
    expect(f.evidence.map((e) => e.line)).toEqual([1, 2, 3, 7, 10]);
    expect(f.message).toContain('memberlist reached ip-10-0-109-151-2122b7c4e5ee over TCP but not over UDP: 7946/udp is blocked between the nodes');
    expect(f.message).not.toMatch(/Only one refusal/);
    expect(f.firstSeen).toMatch(/^2017-06-20T18:01:31/);
    expect(f.remedy.commands).toEqual(expect.arrayContaining(['ufw allow proto udp from 10.0.46.77 to any port 7946', 'ufw allow proto udp from 10.0.109.151 to any port 7946']));
  });

  it('the firewall the node runs picks the commands: ufw, firewalld, or plain iptables', async () => {
    const log = text('swarm-35688/dockerd-worker.log');
    const run = async (units: [string, string][]) => {
      const report = await analyzeBundle(writeFolder({ 'dockerd-worker.log': log, 'systemctl_list-units.txt': unitsListing([...BASE, ...units]) }, 'swarm-node'));
      return report.findings.find((f) => f.id === 'log.swarm-peer-unreachable')!.remedy.commands;
    };
    const ufw = await run([['ufw.service', 'Uncomplicated firewall']]);
    expect(ufw.every((c) => c.startsWith('#') || c.startsWith('ufw '))).toBe(true);
    const firewalld = await run([['firewalld.service', 'firewalld - dynamic firewall daemon']]);
    expect(firewalld.every((c) => c.startsWith('#') || c.startsWith('firewall-cmd ') || c.startsWith('systemctl restart docker '))).toBe(true);
    // no docker version in the bundle: the restart after the reload, saying which Docker needs it (moby#50443)
    expect(firewalld.at(-2)).toBe('firewall-cmd --reload');
    expect(firewalld.at(-1)).toBe("systemctl restart docker   # this restarts its containers; after the reload: Docker before 29.0 does not re-create Swarm's ingress rules when firewalld reloads (moby#50443)");
    const plain = await run([]);
    expect(plain.filter((c) => !c.startsWith('#'))).toEqual([
      // pasted twice, each rule once (R8's N5)
      'iptables -C INPUT -s 192.192.0.2 -p tcp -m multiport --dports 2377,7946 -j ACCEPT 2>/dev/null || iptables -I INPUT -s 192.192.0.2 -p tcp -m multiport --dports 2377,7946 -j ACCEPT',
      'iptables -C INPUT -s 192.192.0.2 -p udp -m multiport --dports 7946,4789 -j ACCEPT 2>/dev/null || iptables -I INPUT -s 192.192.0.2 -p udp -m multiport --dports 7946,4789 -j ACCEPT',
      'iptables -C INPUT -s 192.192.0.2 -p esp -j ACCEPT 2>/dev/null || iptables -I INPUT -s 192.192.0.2 -p esp -j ACCEPT   # encrypted overlays',
    ]);
  });

  it("firewalld's reload and Swarm's ingress rules: Docker 29 writes them again (no restart), Docker 20.10 needs its restart (docker info says which)", async () => {
    const log = text('swarm-35688/dockerd-worker.log');
    const run = async (info: string) => {
      const report = await analyzeBundle(
        writeFolder({ 'dockerd-worker.log': log, 'docker-info.txt': info, 'systemctl_list-units.txt': unitsListing([...BASE, ['firewalld.service', 'firewalld - dynamic firewall daemon']]) }, 'swarm-node'),
      );
      return report.findings.find((f) => f.id === 'log.swarm-peer-unreachable')!.remedy.commands;
    };
    const d29 = await run(readFileSync(projectPath('test/fixtures/docker-info/caprover-2377-29.4.1-swarm.txt'), 'utf8'));
    expect(d29.at(-1)).toBe('firewall-cmd --reload');
    expect(d29.some((c) => c.startsWith('systemctl restart docker'))).toBe(false);
    const d20 = await run(readFileSync(projectPath('test/fixtures/docker-info/debian-20.10.24/docker-info-swarm.txt'), 'utf8'));
    expect(d20.at(-1)).toMatch(/^systemctl restart docker   # this restarts its containers; after the reload: Docker 20\.10\.24\+dfsg1 on a Swarm node does not re-create Swarm's ingress rules/);
  });

  it("swarmkit#1893: memberlist's sendto: invalid argument (a neighbour table full) is no Swarm port closed: no finding", async () => {
    const report = await analyzeBundle(`${CASES}/swarm-1893-neigh`);
    expect(logIds(report.findings)).toEqual([]);
  });

  it("another program's memberlist on 7946 (the Portainer agent) is not Swarm's", async () => {
    const portainer = [
      '2019/12/27 05:48:54 [INFO] memberlist: Suspect omicron-16-cluster-xbnit5ov34pq-node-1.novalocal-64605377c08b has failed, no acks received',
      '2019/12/27 05:48:57 [ERR] memberlist: Failed fallback ping: read tcp 10.0.0.8:32956->10.0.0.6:7946: i/o timeout',
      '',
    ].join('\n');
    const report = await analyzeBundle(writeFolder({ 'portainer-agent.log': portainer }, 'portainer'));
    expect(logIds(report.findings)).not.toContain('log.swarm-peer-unreachable');
  });
});
