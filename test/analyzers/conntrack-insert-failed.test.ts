/**
 * conntrack.insert-failed and conntrack.table-full on real text (test/fixtures/conntrack/SOURCES.md):
 * - kubernetes/kubernetes#56903 (KIVagant 2018-05-31): old `conntrack -S`, insert_failed 0 while 22 lookups
 *   failed: the thread's negative, the race is ruled out, nothing fires;
 * - weaveworks/weave#3287 (dcowden 2018-05-10): per-CPU `conntrack -S` with insert_failed 92 + 107;
 * - DNS timeouts: kubernetes#33877 (Go resolver), kubernetes#86762 (CoreDNS);
 * - kubernetes#18604: `nf_conntrack: table full, dropping packet` dmesg lines;
 * - a full table made here: conntrack 1.4.7 / kernel 6.18 in a netns filled by UDP to every port
 *   (count 262142 of 262144, early_drop 65533; then a second snapshot with early_drop rising);
 * - the corpus' sysctl dumps (hotsos Charmed Kubernetes node, kernel 5.4, 832 of 131072 entries;
 *   jc CentOS 7.7 Docker host, kernel 3.10) and the hotsos node's ip -d address (flannel.1).
 *
 * The analyzers' `analyze` is called with `as never` like test/analyzers/helpers.ts does.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { corpusPath, hasCorpus, projectPath } from '../helpers/shared.js';
import type { Analyzer, FindingDraft } from '../../src/engine/analyzer.js';
import { parseConntrackStats } from '../../src/parsers/conntrack-stats.js';
import { parseProcSysFile, parseSysctlText } from '../../src/parsers/sysctl.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { scanLogText } from '../../src/logs/scanner.js';
import { conntrackInsertFailed, conntrackTableFull } from '../../analyzers/conntrack-insert-failed.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';

const fx = (name: string) => readFileSync(projectPath('test', 'fixtures', 'conntrack', name), 'utf8');
const stats = (name: string) => parseConntrackStats(fx(name), name);
const log = (name: string) => scanLogText(fx(name), name);

function run(analyzer: Analyzer, artifacts: NodeArtifacts): { findings: FindingDraft[]; partly: string[] } {
  const partly: string[] = [];
  if (analyzer.scope !== 'node') throw new Error('node analyzer expected');
  const findings = analyzer.analyze({ node: 'node-1', artifacts: artifacts as never, options: { requiredPorts: [] }, partly: (w) => partly.push(w) });
  return { findings, partly };
}

describe('conntrack.insert-failed', () => {
  it('kubernetes#56903 negative: insert_failed 0 → no finding, and the coverage rules the race out', () => {
    const { findings, partly } = run(conntrackInsertFailed, { conntrackStats: [stats('k8s56903-conntrack-S-1.4.4.txt')], logs: [log('k8s56903-app.log')] });
    expect(findings).toEqual([]);
    expect(partly).toHaveLength(1);
    expect(partly[0]).toMatch(/^insert_failed is 0 in k8s56903-conntrack-S-1\.4\.4\.txt:2 \(drop 0 too\): the conntrack insert race .* is not shown/);
  });

  it('concourse#4153: per-CPU insert_failed 0 on every CPU → no finding', () => {
    const { findings, partly } = run(conntrackInsertFailed, { conntrackStats: [stats('concourse4153-conntrack-S.txt')] });
    expect(findings).toEqual([]);
    expect(partly[0]).toMatch(/insert_failed is 0/);
  });

  it('weave#3287 with DNS lookups timing out in the logs → warning naming the race, evidence on the CPUs that failed', () => {
    const { findings } = run(conntrackInsertFailed, { conntrackStats: [stats('weave3287-conntrack-S.txt')], logs: [log('k8s33877-dns-timeout.log'), log('k8s86762-coredns.log')] });
    expect(findings).toHaveLength(1);
    const f = findings[0];
    expect(f.severity).toBe('warning');
    expect(f.message).toMatch(/insert_failed counter is 199 on node-1 \(counted since boot/);
    expect(f.message).toMatch(/A and AAAA queries/);
    expect(f.message).toMatch(/2 DNS lookups timing out/);
    expect(f.evidence.filter((e) => e.file === 'weave3287-conntrack-S.txt').map((e) => [e.line, e.note])).toEqual([
      [1, 'CPU 0: insert_failed 92 (since boot)'],
      [2, 'CPU 1: insert_failed 107 (since boot)'],
    ]);
    expect(f.evidence.map((e) => e.file)).toContain('k8s33877-dns-timeout.log');
    expect(f.remedy.commands[0]).toMatch(/^conntrack -S; sleep 60; conntrack -S/);
    expect(f.remedy.summary).toMatch(/single-request-reopen/);
    expect(f.remedy.summary).toMatch(/musl\/Alpine ignores it/);
    // no kernel version in the bundle: ask for it
    expect(f.remedy.commands).toContain('uname -r   # kernels before 5.0 have neither fix of the race');
  });

  it('weave#3287 alone, on a node the bundle shows nothing else of → info, not a warning', () => {
    const { findings } = run(conntrackInsertFailed, { conntrackStats: [stats('weave3287-conntrack-S.txt')] });
    expect(findings).toHaveLength(1);
    expect(findings[0].severity).toBe('info');
    expect(findings[0].message).toMatch(/Nothing in the bundle shows a container runtime/);
  });

  describe.skipIf(!hasCorpus)('with the corpus', () => {
    const hotsosSysctl = () => parseSysctlText(readFileSync(corpusPath('sysctl', 'hotsos-charmed-k8s-flannel-node-sysctl-a.txt'), 'utf8'), 'sos_commands/kernel/sysctl_-a');
    const hotsosAddr = () => parseInterfaces(readFileSync(corpusPath('ip-addr', 'hotsos-charmed-k8s-flannel-node-ip-d-address.txt'), 'utf8'), 'sos_commands/networking/ip_-d_address');

    it('a flannel node on kernel 5.4: warning, the kernel named, Kubernetes fixes (dnsConfig, NodeLocal DNSCache)', () => {
      const { findings } = run(conntrackInsertFailed, { conntrackStats: [stats('weave3287-conntrack-S.txt')], sysctl: [hotsosSysctl()], ipAddr: [hotsosAddr()] });
      expect(findings).toHaveLength(1);
      const f = findings[0];
      expect(f.severity).toBe('warning');
      expect(f.message).toMatch(/This node runs containers \(flannel\.1/);
      expect(f.message).toMatch(/The kernel is 5\.4\.0-99-generic, with the 5\.0 fixes: what still races is two packets DNATed to different DNS endpoints/);
      expect(f.evidence).toContainEqual(expect.objectContaining({ file: 'sos_commands/kernel/sysctl_-a', line: 130, note: 'kernel 5.4.0-99-generic' }));
      expect(f.remedy.commands.join('\n')).toMatch(/dnsConfig\.options: \[\{name: single-request-reopen\}\]/);
      expect(f.remedy.commands.join('\n')).toMatch(/NodeLocal DNSCache/);
      expect(f.remedy.commands.join('\n')).not.toMatch(/daemon\.json/);
      expect(f.remedy.commands.join('\n')).not.toMatch(/uname -r/);
    });

    it('kernel 3.10 (the CentOS 7.7 Docker host): says the kernel has neither fix', () => {
      const sysctl = parseSysctlText(readFileSync(corpusPath('sysctl', 'jc-centos77-docker-sysctl-a.txt'), 'utf8'), 'sysctl-a.txt');
      const { findings } = run(conntrackInsertFailed, { conntrackStats: [stats('weave3287-conntrack-S.txt')], sysctl: [sysctl] });
      expect(findings[0].message).toMatch(/The kernel is 3\.10\.0-1062\.1\.2\.el7\.x86_64: before 5\.0, with neither netfilter fix/);
      expect(findings[0].remedy.summary).toMatch(/a kernel of 5\.0 or later/);
    });
  });
});

describe('conntrack.table-full', () => {
  const fullSysctl = () => parseSysctlText(fx('sysctl-netns-table-full.txt'), 'sysctl-netns-table-full.txt');

  it('the namespace filled here (262142 of 262144, early_drop 65533) → critical, with the count, the limit and the CPU that evicted', () => {
    const { findings } = run(conntrackTableFull, { conntrackStats: [stats('conntrack-S-1.4.7-netns-table-full.txt')], sysctl: [fullSysctl()] });
    expect(findings).toHaveLength(1);
    const f = findings[0];
    expect(f.severity).toBe('critical');
    expect(f.title).toBe('The conntrack table is nearly full');
    expect(f.message).toMatch(/262142 of 262144 entries \(100%\); early_drop 65533/);
    expect(f.evidence.map((e) => [e.file, e.line])).toEqual([
      ['sysctl-netns-table-full.txt', 1],
      ['sysctl-netns-table-full.txt', 2],
      ['conntrack-S-1.4.7-netns-table-full.txt', 2],
    ]);
    expect(f.remedy.commands).toContain('sysctl -w net.netfilter.nf_conntrack_max=524288');
    expect(f.remedy.commands).toContain("echo 'net.netfilter.nf_conntrack_max = 524288' > /etc/sysctl.d/90-conntrack-max.conf   # kept across reboots");
  });

  it('/proc/net/stat/nf_conntrack of the same namespace, without a limit in the bundle → warning: it has been full', () => {
    const { findings } = run(conntrackTableFull, { conntrackStats: [stats('proc-net-stat-nf_conntrack-6.18-table-full.txt')] });
    expect(findings).toHaveLength(1);
    expect(findings[0].severity).toBe('warning');
    expect(findings[0].title).toBe('The conntrack table has been full');
    expect(findings[0].evidence.map((e) => e.line)).toEqual([3]);
    expect(findings[0].remedy.commands).toContain('sysctl -w net.netfilter.nf_conntrack_max=<twice the current limit>');
  });

  it('two snapshots with early_drop rising → critical even without the limit', () => {
    const { findings } = run(conntrackTableFull, { conntrackStats: [stats('conntrack-S-1.4.7-netns-twice-rising.txt')] });
    expect(findings[0].severity).toBe('critical');
    expect(findings[0].message).toMatch(/the drop counters rose between the snapshots/);
  });

  it('the idle namespace (6 of 262144 from /proc/sys, conntrack -S all zero) → no finding; the coverage says why', () => {
    const sysctl = [
      parseProcSysFile(fx('nf_conntrack_count'), 'proc/sys/net/netfilter/nf_conntrack_count', 'proc/sys/net/netfilter/nf_conntrack_count'),
      parseProcSysFile(fx('nf_conntrack_max'), 'proc/sys/net/netfilter/nf_conntrack_max', 'proc/sys/net/netfilter/nf_conntrack_max'),
    ];
    const { findings, partly } = run(conntrackTableFull, { conntrackStats: [stats('conntrack-S-1.4.7-netns.txt')], sysctl });
    expect(findings).toEqual([]);
    expect(partly).toEqual(['the conntrack table is not full: 6 of 262144 entries (0%), early_drop 0, drop 0']);
  });

  it('kubernetes#56903 (entries 90, drop 0) and weave#3287 (insert_failed but no drop): not a full table', () => {
    for (const name of ['k8s56903-conntrack-S-1.4.4.txt', 'weave3287-conntrack-S.txt']) {
      const { findings, partly } = run(conntrackTableFull, { conntrackStats: [stats(name)] });
      expect(findings).toEqual([]);
      expect(partly[0]).toMatch(/^the conntrack table is not full: early_drop 0, drop 0$/);
    }
  });

  describe.skipIf(!hasCorpus)('with the corpus', () => {
    const hotsosSysctl = () => parseSysctlText(readFileSync(corpusPath('sysctl', 'hotsos-charmed-k8s-flannel-node-sysctl-a.txt'), 'utf8'), 'sos_commands/kernel/sysctl_-a');

    it('a healthy sysctl dump (832 of 131072) → no finding', () => {
      const { findings, partly } = run(conntrackTableFull, { sysctl: [hotsosSysctl()] });
      expect(findings).toEqual([]);
      expect(partly).toEqual(['the conntrack table is not full: 832 of 131072 entries (1%)']);
    });

    it('"table full" kernel lines and the sysctl count alone: left to log.conntrack-table-full, which tells the same', () => {
      const { findings } = run(conntrackTableFull, { sysctl: [hotsosSysctl()], logs: [log('k8s18604-dmesg.txt')] });
      expect(findings).toEqual([]);
    });

    it('"table full" kernel lines beside a low count and conntrack -S → warning: it has been full, a burst; the lines are the evidence', () => {
      const { findings } = run(conntrackTableFull, { sysctl: [hotsosSysctl()], logs: [log('k8s18604-dmesg.txt')], conntrackStats: [stats('conntrack-S-1.4.7-netns.txt')] });
      expect(findings).toHaveLength(1);
      const f = findings[0];
      expect(f.severity).toBe('warning');
      expect(f.title).toBe('The conntrack table has been full');
      expect(f.message).toMatch(/832 of 131072 entries \(1%\); the kernel logged "table full, dropping packet" 4 times/);
      expect(f.message).toMatch(/not at the moment the count was taken/);
      expect(f.evidence.filter((e) => e.file === 'k8s18604-dmesg.txt').map((e) => e.line)).toEqual([1, 2, 3, 4]);
      expect(f.remedy.commands).toContain('sysctl -w net.netfilter.nf_conntrack_max=262144');
    });
  });
});
