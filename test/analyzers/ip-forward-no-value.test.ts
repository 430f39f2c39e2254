/**
 * sysctl.ip-forward-disabled on a bundle without net.ipv4.ip_forward (R12 case 05): no green tick for a check
 * that had nothing to check. kubernetes/kubernetes#38802 (https://github.com/kubernetes/kubernetes/issues/38802):
 * the bundle is the thread's only host output, /proc/sys/net/bridge/bridge-nf-call-iptables = 0
 * (test/fixtures/h31/k8s38802). Healthy: the corpus' full `sysctl -a` dumps, which hold the key, keep a plain run.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import ipForward from '../../analyzers/sysctl-ip-forward-disabled.js';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { parseProcSysFile, parseSysctlText } from '../../src/parsers/sysctl.js';
import { runStatus } from '../../src/report/coverage.js';
import { render } from '../../src/report/render.js';
import { writeFolder } from '../helpers/archive.js';
import { hasCorpus, projectPath, readCorpus } from '../helpers/shared.js';

const PROC = 'proc/sys/net/bridge/bridge-nf-call-iptables';
const CASE05 = readFileSync(projectPath('test/fixtures/h31/k8s38802', PROC), 'utf8');
const ID = 'sysctl.ip-forward-disabled';

/** what the analyzer says to the coverage */
function said(sysctl: ReturnType<typeof parseSysctlText>[]): { findings: number; parts: string[] } {
  const parts: string[] = [];
  const findings = ipForward.scope === 'node' ? ipForward.analyze({ node: 'n', artifacts: { sysctl }, options: { requiredPorts: [] }, partly: (w) => parts.push(w) }).length : -1;
  return { findings, parts };
}

describe('sysctl.ip-forward-disabled without net.ipv4.ip_forward', () => {
  it('kubernetes#38802 (only bridge-nf-call-iptables): the coverage says not run, not ✅', async () => {
    expect(said([parseProcSysFile(CASE05, PROC, '/' + PROC)])).toEqual({ findings: 0, parts: ['not run: no net.ipv4.ip_forward in the bundle'] });
    const r = await analyzeBundle(writeFolder({ [PROC]: CASE05 }, 'h31-ipfwd-none'));
    const run = r.coverage.nodes[0].analyzers.find((a) => a.id === ID)!;
    expect(run).toMatchObject({ status: 'not-run', reason: 'not run: no net.ipv4.ip_forward in the bundle', findings: 0 });
    expect(runStatus(run)).not.toBe('ran');
    const md = render({ bundles: [r] }, 'md');
    expect(md).not.toMatch(/✅ `sysctl\.ip-forward-disabled`/);
    expect(md).toContain('no net.ipv4.ip_forward in the bundle');
  });

  it('only the IPv6 key: says the IPv4 part was not checked', () => {
    const s = parseSysctlText('net.ipv6.conf.all.forwarding = 1\n', 'sysctl.txt');
    expect(said([s]).parts).toEqual(['IPv4 not checked: no net.ipv4.ip_forward in the bundle (IPv6 forwarding was)']);
  });

  it.skipIf(!hasCorpus)('full sysctl -a dumps with the key: nothing said, a plain run', () => {
    for (const f of ['sysctl/jc-centos77-docker-sysctl-a.txt', 'sysctl/hotsos-charmed-k8s-flannel-node-sysctl-a.txt'])
      expect(said([parseSysctlText(readCorpus(f), f)]), f).toEqual({ findings: 0, parts: [] });
  });

  it('ip_forward = 0 still fires, with nothing said to the coverage', () => {
    expect(said([parseSysctlText('net.ipv4.ip_forward = 0\n', 'sysctl.txt')])).toMatchObject({ findings: 1, parts: [] });
  });
});
