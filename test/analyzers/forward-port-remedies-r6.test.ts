/**
 * Review round 6/7 (real namespaces, test/fixtures/rv6): the forward-blocks remedy lets containers
 * on one bridge reach each other when bridged traffic passes iptables; the port-blocked remedy on
 * the FORWARD path lets the reply through too; forward-blocks folds in only the connection
 * failures written in containers, not the host daemons' (dockerd's DNS timeout).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import forwardBlocks from '../../analyzers/iptables-forward-blocks-containers.js';
import { analyzeBundle, loadBundle } from '../../src/engine/analyze.js';
import { readFolder, writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const filesOf = readFolder;

async function run(dir: string) {
  const r = await analyzeBundle(dir);
  return { report: r, byId: (id: string) => r.findings.filter((f) => f.id === id) };
}

const FLUSHED = projectPath('test/fixtures/rv6/forward-flushed');
/** guarded (-C || -I): pasted twice, one rule */
const guarded = (spec: string) => `iptables -C FORWARD ${spec} 2>/dev/null || iptables -I FORWARD ${spec}`;
const INTRA = guarded('-i docker0 -o docker0 -j ACCEPT');

describe('iptables.forward-blocks-containers: containers on the same bridge', () => {
  it('FORWARD flushed under policy DROP, bridge-nf-call-iptables = 1: the remedy accepts docker0 -> docker0 too', async () => {
    const [f] = (await run(FLUSHED)).byId('iptables.forward-blocks-containers');
    expect(f.facts).toMatchObject({ bridge: 'docker0', decidedBy: 'filter/FORWARD#0' });
    const cmds = f.remedy.commands.map((c) => c.replace(/\s+#.*$/, ''));
    expect(cmds).toEqual(
      expect.arrayContaining([
        guarded('-o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT'),
        guarded('-i docker0 ! -o docker0 -j ACCEPT'),
        INTRA,
      ]),
    );
  });

  it('no sysctl in the bundle (not known): the rule is there too', async () => {
    const files = filesOf(FLUSHED);
    delete files['sysctl-a.txt'];
    const [f] = (await run(writeFolder(files, 'flushed-no-sysctl'))).byId('iptables.forward-blocks-containers');
    expect(f.remedy.commands.map((c) => c.replace(/\s+#.*$/, ''))).toContain(INTRA);
  });

  it('bridge-nf-call-iptables = 0: bridged frames skip iptables, no such rule', async () => {
    const files = filesOf(FLUSHED);
    files['sysctl-a.txt'] = files['sysctl-a.txt'].replace('net.bridge.bridge-nf-call-iptables = 1', 'net.bridge.bridge-nf-call-iptables = 0');
    const [f] = (await run(writeFolder(files, 'flushed-brnf-off'))).byId('iptables.forward-blocks-containers');
    expect(f.remedy.commands.some((c) => /-i docker0 -o docker0 -j ACCEPT/.test(c))).toBe(false);
  });

  it("healthy: Docker's own rules in that host raise nothing", async () => {
    const files = filesOf(FLUSHED);
    files['iptables-save.txt'] = readFileSync(projectPath('test/fixtures/rv6/docker.rules'), 'utf8');
    expect((await run(writeFolder(files, 'docker-rules'))).byId('iptables.forward-blocks-containers')).toEqual([]);
  });
});

const PB = projectPath('test/fixtures/rv6/portblocked-forward');

describe('iptables.port-blocked on the FORWARD path: the reply too', () => {
  it('stock RHEL config, psql to 10.0.0.1:5432: the remedy accepts the replies back to docker0, and persists that too', async () => {
    const [f] = (await run(PB)).byId('iptables.port-blocked');
    expect(f.facts).toMatchObject({ port: 5432, to: ['10.0.0.1'], clientSees: 'unreachable' });
    const cmds = f.remedy.commands.map((c) => c.replace(/\s+#.*$/, ''));
    expect(cmds).toContain('iptables -I FORWARD 1 -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT');
    expect(cmds).toContain('iptables -I FORWARD 1 -i docker0 -d 10.0.0.1/32 -p tcp --dport 5432 -j ACCEPT');
    expect(cmds).toContain("sed -i '/^-A FORWARD -j REJECT --reject-with icmp-host-prohibited$/i -A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT' /etc/sysconfig/iptables");
    expect(cmds).toContain("sed -i '/^-A FORWARD -j REJECT --reject-with icmp-host-prohibited$/i -A FORWARD -i docker0 -d 10.0.0.1/32 -p tcp -m tcp --dport 5432 -j ACCEPT' /etc/sysconfig/iptables");
  });

  it('replies already accepted (a RELATED,ESTABLISHED accept ahead of the REJECT): no extra rule', async () => {
    const files = filesOf(PB);
    const key = Object.keys(files).find((k) => k.endsWith('iptables_-t_filter_-nvL'))!;
    const lines = files[key].split('\n');
    const fwd = lines.findIndex((l) => l.startsWith('Chain FORWARD'));
    lines.splice(fwd + 2, 0, '    0     0 ACCEPT     0    --  *      docker0  0.0.0.0/0            0.0.0.0/0            ctstate RELATED,ESTABLISHED');
    files[key] = lines.join('\n');
    delete files[Object.keys(files).find((k) => k.endsWith('iptables_-vnxL'))!];
    const [f] = (await run(writeFolder(files, 'pb-replies-ok'))).byId('iptables.port-blocked');
    expect(f.remedy.commands.some((c) => c.includes('RELATED,ESTABLISHED'))).toBe(false);
    expect(f.remedy.commands.map((c) => c.replace(/\s+#.*$/, ''))).toContain('iptables -I FORWARD 2 -i docker0 -d 10.0.0.1/32 -p tcp --dport 5432 -j ACCEPT');
  });

  it('the INPUT path (the host itself) keeps its one rule: no reply rule', async () => {
    const files = filesOf(PB);
    const key = Object.keys(files).find((k) => k.endsWith('var/log/messages'))!;
    files[key] = files[key].replace('10.0.0.1', '172.17.0.1');
    const [f] = (await run(writeFolder(files, 'pb-input'))).byId('iptables.port-blocked');
    expect(f.facts).toMatchObject({ to: ['172.17.0.1'] });
    expect(f.remedy.commands.some((c) => c.includes('RELATED,ESTABLISHED'))).toBe(false);
  });
});

const SOS = projectPath('bundles/src/docker-chains-flushed');

describe('iptables.forward-blocks-containers folds in only the containers\' connection failures', () => {
  const DOCKERD_DNS =
    'Nov 20 10:16:10 docker-host-01 dockerd[1022]: time="2026-11-20T10:16:10.164238521Z" level=error msg="Handler for POST /v1.41/images/create returned error: Get https://registry-1.docker.io/v2/: dial tcp: lookup registry-1.docker.io on 10.0.2.3:53: read udp 10.0.2.15:44243->10.0.2.3:53: i/o timeout"';
  const APP = 'Nov 20 10:16:40 docker-host-01 webapp[2211]: dial tcp 93.184.216.34:443: connect: no route to host';
  const withLines = (name: string, ...extra: string[]) => {
    const files = filesOf(SOS);
    const key = Object.keys(files).find((k) => k.endsWith('var/log/messages'))!;
    const lines = files[key].replace(/\n$/, '').split('\n');
    lines.splice(8, 0, ...extra);
    files[key] = lines.join('\n') + '\n';
    return writeFolder(files, name);
  };

  /**
   * This sosreport logs the iptables.service restart that flushed Docker's rules (messages:2-8), so
   * the report folds forward-blocks into iptables.service-conflict, the logged cause (CAUSE_RULES in
   * src/engine/correlate.ts): the finding that carries forward-blocks' evidence is that one. The
   * analyzer's own finding (its facts.explainsLogLines) is read by running it on the loaded node.
   */
  const carrier = (byId: (id: string) => { related?: string[]; evidence: { file: string; line?: number; excerpt?: string }[]; facts?: Record<string, unknown> }[]) => {
    expect(byId('iptables.forward-blocks-containers')).toEqual([]);
    const [root, ...more] = byId('iptables.service-conflict');
    expect(more).toEqual([]);
    expect(root.related).toContain('iptables.forward-blocks-containers');
    expect(root.facts?.rootCause).toMatch(/^iptables\.service restarted/);
    return root;
  };
  const analyzerFinding = async (dir: string) => {
    const [node] = (await loadBundle(dir)).nodes;
    const [f, ...more] = runNode(forwardBlocks, node.artifacts, node.name);
    expect(more).toEqual([]);
    return f;
  };

  it("dockerd's own DNS timeout (a host connection) is not its evidence; it stays a log finding of its own", async () => {
    const dir = withLines('dcf-dockerd', DOCKERD_DNS);
    const { byId } = await run(dir);
    const f = carrier(byId);
    expect(f.evidence.some((e) => e.excerpt?.includes('registry-1.docker.io'))).toBe(false);
    expect(f.related ?? []).not.toContain('log.connection-timed-out');
    expect(byId('log.connection-timed-out')).toHaveLength(1);
    expect((await analyzerFinding(dir)).facts?.explainsLogLines ?? []).toEqual([]);
  });

  it("a container's failure that the REJECT explains (no route to host) is claimed; the dockerd line is not", async () => {
    const dir = withLines('dcf-app', DOCKERD_DNS, APP);
    const { byId } = await run(dir);
    carrier(byId);
    expect((await analyzerFinding(dir)).facts?.explainsLogLines).toEqual(['sosreport-docker-host-01-2026-11-20-ticket4711/var/log/messages:10']);
    // folded into a diagnosis (port-blocked claims it first for port 443: the same REJECT), never left alone
    expect(byId('log.no-route-to-host')).toEqual([]);
    expect(byId('log.connection-timed-out')).toHaveLength(1);
  });

  it("a container's failure naming no port (port-blocked cannot take it) becomes forward-blocks' evidence", async () => {
    const line = 'Nov 20 10:16:40 docker-host-01 webapp[2211]: curl: (7) Failed to connect to 93.184.216.34: No route to host';
    const { byId } = await run(withLines('dcf-app-noport', DOCKERD_DNS, line));
    const f = carrier(byId);
    // 2, 6, 8: the logged iptables.service restart and 4 its 'Flushing firewall rules' (the cause's own evidence); 10: the container's failure; not 9 (dockerd's)
    expect(f.evidence.filter((e) => e.file.endsWith('var/log/messages')).map((e) => e.line)).toEqual([2, 4, 6, 8, 10]);
    expect(f.related).toContain('log.no-route-to-host');
    expect(byId('log.no-route-to-host')).toEqual([]);
  });
});

const IPT_FALSE = projectPath('test/fixtures/hosts/docker-iptables-false-cmdline');

describe('iptables.forward-blocks-containers with dockerd --iptables=false', () => {
  it('healthy as is: ufw forwards docker0', async () => {
    expect((await run(IPT_FALSE)).byId('iptables.forward-blocks-containers')).toEqual([]);
  });

  it("ufw's accept of docker0 removed: the host firewall's rules, persisted in before.rules; no docker restart", async () => {
    const files = filesOf(IPT_FALSE);
    files['web-01/iptables-save.txt'] = files['web-01/iptables-save.txt'].replace('-A ufw-user-forward -i docker0 -o eth0 -j ACCEPT\n', '');
    const [f] = (await run(writeFolder(files, 'ipt-false-broken'))).byId('iptables.forward-blocks-containers');
    expect(f.severity).toBe('critical');
    expect(f.facts).toMatchObject({ dockerIptables: false });
    expect(f.remedy.commands.some((c) => /systemctl restart docker/.test(c))).toBe(false);
    expect(f.remedy.summary).toMatch(/--iptables=false/);
    expect(f.remedy.commands).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^iptables -C FORWARD -i docker0 ! -o docker0 -j ACCEPT 2>\/dev\/null \|\| iptables -I FORWARD -i docker0 ! -o docker0 -j ACCEPT {3}#/),
        expect.stringMatching(/^# ufw: in \/etc\/ufw\/before\.rules/),
        '#   -A ufw-before-forward -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
        '#   -A ufw-before-forward -i docker0 ! -o docker0 -j ACCEPT',
      ]),
    );
  });
});
