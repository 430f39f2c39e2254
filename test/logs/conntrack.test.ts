/**
 * A full conntrack table (kubernetes/kubernetes#71261): the finding cites kube-proxy's start line
 * (`Setting nf_conntrack_max to 786432`: the limit, and that kube-proxy owns it), prints the limit
 * against nf_conntrack_count when the bundle has `sysctl -a`, and gives commands: raise it now,
 * keep it in kube-proxy's settings where kube-proxy runs (it sets the limit at every start), in
 * /etc/sysctl.d where it does not.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import type { Finding } from '../../src/report/schema.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const CASES = projectPath('test/fixtures/r3-logs');
const text = (p: string) => readFileSync(`${CASES}/${p}`, 'utf8');
const full = (findings: Finding[]) => findings.find((f) => f.id === 'log.conntrack-table-full')!;

describe('a full conntrack table', () => {
  it("kubernetes#71261: kube-proxy's line is cited, the new limit is twice its 786432, kept in kube-proxy's settings", async () => {
    const report = await analyzeBundle(`${CASES}/conntrack-71261`);
    // kube-proxy's line makes no finding of its own
    expect(report.findings.map((f) => f.id)).toEqual(['log.conntrack-table-full']);
    const f = full(report.findings);
    expect(f.evidence.map((e) => `${e.file}:${e.line}`)).toEqual(['dmesg-T.txt:1', 'dmesg-T.txt:2', 'dmesg-T.txt:3', 'dmesg-T.txt:4', 'kube-proxy.log:1']);
    expect(f.message).toContain('kube-proxy set the limit to 786432 when it started (kube-proxy.log:1)');
    expect(f.facts).toMatchObject({ kubeProxyConntrackMax: '786432' });
    // klog gives no year: kube-proxy's line is not put on the timeline with a guessed one
    expect(f.evidence[4].time).toBeUndefined();
    expect(f.lastSeen).toBe('2018-11-20T22:30:27.000Z');
    expect(f.remedy.commands).toEqual([
      'cat /proc/sys/net/netfilter/nf_conntrack_count /proc/sys/net/netfilter/nf_conntrack_max   # entries tracked now, and the limit',
      "sysctl -w net.netfilter.nf_conntrack_max=1572864   # now; kube-proxy's next start sets its own value again",
      '# keep it, kubeadm: kubectl -n kube-system edit configmap kube-proxy (conntrack: maxPerCore, min), then kubectl -n kube-system rollout restart daemonset kube-proxy',
      '# keep it, k3s / RKE2: --kube-proxy-arg=conntrack-max-per-core=<n> (or conntrack-min=<n>) in the service configuration, then restart it',
    ]);
    expect(f.remedy.summary).toMatch(/conntrack\.maxPerCore .* conntrack\.min/);
    expect(f.remedy.caution).toMatch(/kernel memory/);
  });

  it('with sysctl -a: the limit against the count at collection, both lines as evidence', async () => {
    const report = await analyzeBundle(`${CASES}/conntrack-71261-sysctl`);
    const f = full(report.findings);
    expect(f.message).toContain('When the bundle was collected, net.netfilter.nf_conntrack_max was 786432 and nf_conntrack_count 786432 (100% of the limit): the table is still (nearly) full.');
    expect(f.facts).toMatchObject({ conntrackMax: 786432, conntrackCount: 786432 });
    expect(f.evidence.slice(-2).map((e) => `${e.file}:${e.line} ${e.excerpt}`)).toEqual(['sysctl.txt:7 net.netfilter.nf_conntrack_max = 786432', 'sysctl.txt:4 net.netfilter.nf_conntrack_count = 786432']);
  });

  it('a count well below the limit says the table had room again; the new limit follows the sysctl value', async () => {
    const sysctl = text('conntrack-71261-sysctl/sysctl.txt').replace('nf_conntrack_count = 786432', 'nf_conntrack_count = 2191').replaceAll('= 786432', '= 1048576');
    const report = await analyzeBundle(writeFolder({ 'dmesg-T.txt': text('conntrack-71261/dmesg-T.txt'), 'kube-proxy.log': text('conntrack-71261/kube-proxy.log'), 'sysctl.txt': sysctl }, 'raised'));
    const f = full(report.findings);
    expect(f.message).toContain('net.netfilter.nf_conntrack_max was 1048576 and nf_conntrack_count 2191 (0% of the limit): the table had room again then');
    expect(f.remedy.commands[1]).toBe("sysctl -w net.netfilter.nf_conntrack_max=2097152   # now; kube-proxy's next start sets its own value again");
  });

  it('without kube-proxy: sysctl -w now and a sysctl.d file to keep it, no kube-proxy words', async () => {
    const report = await analyzeBundle(writeFolder({ 'dmesg-T.txt': text('conntrack-71261/dmesg-T.txt'), 'sysctl.txt': text('conntrack-71261-sysctl/sysctl.txt') }, 'plain-host'));
    const f = full(report.findings);
    expect(f.remedy.commands).toEqual([
      'cat /proc/sys/net/netfilter/nf_conntrack_count /proc/sys/net/netfilter/nf_conntrack_max   # entries tracked now, and the limit',
      'sysctl -w net.netfilter.nf_conntrack_max=1572864',
      "echo 'net.netfilter.nf_conntrack_max = 1572864' > /etc/sysctl.d/90-conntrack-max.conf   # kept across reboots",
    ]);
    expect(JSON.stringify(f.remedy)).not.toMatch(/kube-proxy/);
  });

  it('no limit in the bundle: the command says what to put in', async () => {
    const report = await analyzeBundle(writeFolder({ 'dmesg-T.txt': text('conntrack-71261/dmesg-T.txt') }, 'dmesg-only'));
    expect(full(report.findings).remedy.commands[1]).toBe('sysctl -w net.netfilter.nf_conntrack_max=<twice the current limit>');
  });

  it('kubernetes#71261: four lines in a row are an outage, critical (R10: the reporter\'s ingress was down); one line is a warning', async () => {
    expect(full((await analyzeBundle(`${CASES}/conntrack-71261`)).findings).severity).toBe('critical');
    const one = text('conntrack-71261/dmesg-T.txt').split('\n')[0];
    const f = full((await analyzeBundle(writeFolder({ 'dmesg-T.txt': `${one}\n` }, 'one-line'))).findings);
    expect(f.severity).toBe('warning');
  });

  it("kube-proxy's line alone (a healthy node) makes no finding", async () => {
    const report = await analyzeBundle(writeFolder({ 'kube-proxy.log': text('conntrack-71261/kube-proxy.log') }, 'healthy'));
    expect(report.findings).toEqual([]);
  });
});
