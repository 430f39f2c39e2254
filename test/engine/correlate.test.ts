/** Correlation end to end: log lines, the firewall restart and the missing chains become one diagnosis in time order. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { makeTarGz, writeTmp } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const fx = (...p: string[]) => readFileSync(projectPath('test/fixtures', ...p), 'utf8');
const STOCK_RHEL = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT\n-A INPUT -p icmp -j ACCEPT\n-A INPUT -i lo -j ACCEPT\n-A INPUT -p tcp -m state --state NEW -m tcp --dport 22 -j ACCEPT\n-A INPUT -j REJECT --reject-with icmp-host-prohibited\n-A FORWARD -j REJECT --reject-with icmp-host-prohibited\nCOMMIT\n';

describe('correlation', () => {
  it('"No chain" in Docker\'s journal + the chains missing + the iptables.service restart before it = one diagnosis with the restart time', async () => {
    const path = writeTmp(
      'flushed.tgz',
      await makeTarGz([
        { name: 'sosreport-h1/hostname', content: 'h1\n' },
        { name: 'sosreport-h1/sos_commands/networking/ip_-d_address', content: fx('iproute2/ip_-d_address') },
        { name: 'sosreport-h1/etc/sysconfig/iptables', content: STOCK_RHEL },
        { name: 'sosreport-h1/sos_commands/firewall_tables/iptables_-t_filter_-nvL', content: 'Chain INPUT (policy ACCEPT 0 packets, 0 bytes)\n pkts bytes target     prot opt in     out     source               destination\n    0     0 REJECT     all  --  *      *       0.0.0.0/0            0.0.0.0/0            reject-with icmp-host-prohibited\n\nChain FORWARD (policy ACCEPT 0 packets, 0 bytes)\n pkts bytes target     prot opt in     out     source               destination\n    0     0 REJECT     all  --  *      *       0.0.0.0/0            0.0.0.0/0            reject-with icmp-host-prohibited\n\nChain OUTPUT (policy ACCEPT 0 packets, 0 bytes)\n pkts bytes target     prot opt in     out     source               destination\n' },
        { name: 'sosreport-h1/var/log/messages', content: 'Nov 20 10:14:02 h1 systemd[1]: Stopping IPv4 firewall with iptables...\nNov 20 10:14:03 h1 systemd[1]: Started IPv4 firewall with iptables.\n' },
        { name: 'sosreport-h1/sos_commands/docker/journalctl_--no-pager_--unit_docker', content: 'Nov 20 10:15:02 h1 dockerd[1234]: time="2026-11-20T10:15:02Z" level=error msg="Handler for POST /containers/x/start returned error: driver failed programming external connectivity on endpoint happy_ptolemy (9cedc114be35): iptables failed: iptables --wait -t filter -A DOCKER ! -i docker0 -o docker0 -p tcp -d 172.17.0.2 --dport 3000 -j ACCEPT: iptables: No chain/target/match by that name.\n' },
      ]),
    );
    const report = await analyzeBundle(path);
    const ids = report.findings.map((f) => f.id);
    expect(ids).toContain('iptables.docker-chain-missing');
    // the log findings were folded into the diagnosis, not listed as unrelated lines
    expect(ids).not.toContain('log.iptables-no-chain');
    expect(ids).not.toContain('log.firewall-restart');
    const d = report.findings.find((f) => f.id === 'iptables.docker-chain-missing')!;
    expect(d.related).toEqual(expect.arrayContaining(['log.iptables-no-chain', 'log.firewall-restart']));
    expect(d.message).toMatch(/A firewall restart is logged at 2026-11-20T10:14:02/);
    const timed = d.evidence.filter((e) => e.time).map((e) => `${e.time} ${e.file.split('/').pop()}`);
    expect(timed).toEqual(['2026-11-20T10:14:02.000Z messages', '2026-11-20T10:14:03.000Z messages', '2026-11-20T10:15:02.000Z journalctl_--no-pager_--unit_docker']);
    // the timeline links each event to the diagnosis
    expect(report.timeline?.map((e) => e.finding)).toEqual(['iptables.docker-chain-missing', 'iptables.docker-chain-missing', 'iptables.docker-chain-missing']);
    // the saved configuration is labelled as such in the rule set view
    expect(report.nodes[0].iptables?.find((r) => r.file.endsWith('etc/sysconfig/iptables'))?.origin).toBe('saved-config');
  });

  it('a log signature no diagnosis explains stays as its own log.* finding', async () => {
    const path = writeTmp('lease.tgz', await makeTarGz([{ name: 'n1/kube-flannel.log', content: 'E0419 17:07:44.681897       1 network.go:102] failed to register network: failed to acquire lease: the server does not allow access to the requested resource (put nodes ubuntu)\n' }]));
    const report = await analyzeBundle(path);
    expect(report.findings.map((f) => [f.id, f.severity])).toEqual([['log.flannel-lease-failed', 'warning']]);
    expect(report.findings[0].evidence[0]).toMatchObject({ file: 'n1/kube-flannel.log', line: 1 });
  });
});

describe('correlation keeps apart what a diagnosis says it does not explain', () => {
  const finding = (id: string, evidence: { file: string; line: number }[], facts?: Record<string, unknown>) =>
    ({ id, severity: 'warning' as const, title: id, message: id, node: 'web-07', evidence: evidence.map((e) => ({ ...e, excerpt: `line ${e.line}` })), remedy: { summary: '', commands: [] }, ...(facts ? { facts } : {}) });

  it('port-blocked absorbs the refused lines its rule explains; the others stay a finding', async () => {
    const { correlate } = await import('../../src/engine/correlate.js');
    const root = finding('iptables.port-blocked', [{ file: 'iptables-save', line: 9 }], { logSymptomMismatch: ['api.log:7'] });
    const refused = finding('log.connection-refused', [{ file: 'api.log', line: 3 }, { file: 'api.log', line: 7 }]);
    const out = correlate([root, refused]);
    expect(out.map((f) => f.id)).toEqual(['iptables.port-blocked', 'log.connection-refused']);
    expect(out[0].evidence.map((e) => `${e.file}:${e.line}`)).toEqual(['iptables-save:9', 'api.log:3']);
    expect(out[1].evidence.map((e) => `${e.file}:${e.line}`)).toEqual(['api.log:7']);
    // and when none is explained, nothing is folded in
    const alone = correlate([finding('iptables.port-blocked', [{ file: 'iptables-save', line: 9 }], { logSymptomMismatch: ['api.log:7'] }), finding('log.connection-refused', [{ file: 'api.log', line: 7 }])]);
    expect(alone.map((f) => `${f.id} ${f.evidence.length}`)).toEqual(['iptables.port-blocked 1', 'log.connection-refused 1']);
    expect(alone[0].related).toBeUndefined();
  });

  it('a root that names the log lines it explains takes only those of a log finding about peers; port-less lines it takes whole', async () => {
    const { correlate } = await import('../../src/engine/correlate.js');
    const root = finding('iptables.port-blocked', [{ file: 'iptables-save', line: 9 }], { port: 5432, explainsLogLines: ['messages:3'] });
    const refused = finding('log.no-route-to-host', [{ file: 'messages', line: 3 }, { file: 'messages', line: 4 }, { file: 'messages', line: 9 }], { host: ['172.17.0.1', '10.0.2.3'], port: ['5432', '44243'] });
    const waited = finding('log.port-timeout', [{ file: 'app.log', line: 52 }]);
    const out = correlate([root, refused, waited]);
    expect(out.map((f) => [f.id, f.evidence.map((e) => `${e.file}:${e.line}`)])).toEqual([
      ['iptables.port-blocked', ['iptables-save:9', 'messages:3', 'app.log:52']],
      ['log.no-route-to-host', ['messages:4', 'messages:9']],
    ]);
    expect(out[0].related).toEqual(['log.no-route-to-host', 'log.port-timeout']);
  });
});

describe('correlation never hides a severity', () => {
  const finding = (id: string, severity: 'critical' | 'warning' | 'info', evidence: { file: string; line: number }[]) =>
    ({ id, severity, title: id, message: id, node: 'n1', evidence: evidence.map((e) => ({ ...e, excerpt: `line ${e.line}` })), remedy: { summary: '', commands: [] } });

  it('a log finding more severe than the root it supports stays its own finding; a less severe one folds', async () => {
    const { correlate } = await import('../../src/engine/correlate.js');
    const rule = { root: 'iptables.mixed-backends', absorbs: ['log.flannel-iptables-failed'] };
    // H67: an info root (the host on nf_tables, the images' version unknown) and flannel's critical failure (flannel#1306)
    const kept = correlate([finding('iptables.mixed-backends', 'info', [{ file: 'iptables_--version.txt', line: 1 }]), finding('log.flannel-iptables-failed', 'critical', [{ file: 'kube-flannel.log', line: 2 }])], [rule as never], []);
    expect(kept.map((f) => [f.id, f.severity])).toEqual([['iptables.mixed-backends', 'info'], ['log.flannel-iptables-failed', 'critical']]);
    const folded = correlate([finding('iptables.mixed-backends', 'critical', [{ file: 'iptables-save', line: 3 }]), finding('log.flannel-iptables-failed', 'warning', [{ file: 'kube-flannel.log', line: 2 }])], [rule as never], []);
    expect(folded.map((f) => [f.id, f.severity])).toEqual([['iptables.mixed-backends', 'critical']]);
    expect(folded[0].related).toEqual(['log.flannel-iptables-failed']);
  });
});
