/**
 * sysctl.bridge-nf-call-disabled where nothing in the bundle shows Kubernetes: an info finding (R12 case 05),
 * worded for what the bundle shows; the warning where Kubernetes signs are present is unchanged.
 *
 * Real text:
 * - kubernetes/kubernetes#38802 (https://github.com/kubernetes/kubernetes/issues/38802): the only host output
 *   of the thread, `cat /proc/sys/net/bridge/bridge-nf-call-iptables` -> "No, it's 0." (rxwen, 2016-12-16);
 *   the cause the thread confirmed: a bridge CNI with bridge-nf-call-iptables = 0, same-node pod -> ClusterIP
 *   replies not un-DNATed. test/fixtures/h31/k8s38802/ (the file as a bundle holds it).
 * - corpus sysctl/jc-centos77-docker-sysctl-a.txt and ip-addr/jc-centos77-docker0-ifconfig.txt: one CentOS 7.7
 *   Docker host (kellyjonbrazil/jc tests/fixtures/centos-7.7), bridge-nf-call-iptables = 0 with docker0.
 * - corpus sysctl/hotsos-charmed-k8s-flannel-node-sysctl-a.txt: bridge-nf-call-iptables = 1 (healthy).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import bridgeNf from '../../analyzers/sysctl-bridge-nf-call-disabled.js';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { parseProcSysFile, parseSysctlText } from '../../src/parsers/sysctl.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseSystemctlText } from '../../src/parsers/services.js';
import { render } from '../../src/report/render.js';
import { writeFolder } from '../helpers/archive.js';
import { hasCorpus, projectPath, readCorpus } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const PROC = 'proc/sys/net/bridge/bridge-nf-call-iptables';
const CASE05 = readFileSync(projectPath('test/fixtures/h31/k8s38802', PROC), 'utf8');
const ID = 'sysctl.bridge-nf-call-disabled';

describe('bridge-nf-call-iptables = 0 and no sign of Kubernetes: info', () => {
  it('kubernetes#38802, the lone /proc file: an info finding, not only a coverage line', async () => {
    expect(CASE05).toBe('0\n');
    const r = await analyzeBundle(writeFolder({ [PROC]: CASE05 }, 'h31-k8s38802'));
    const f = r.findings.filter((x) => x.id === ID);
    expect(f.map((x) => x.severity)).toEqual(['info']);
    expect(f[0].message).toMatch(/^net\.bridge\.bridge-nf-call-iptables is 0 on h31-k8s38802 \(proc\/sys\/net\/bridge\/bridge-nf-call-iptables:1\): traffic crossing a Linux bridge skips iptables\. The bundle shows nothing else of the host/);
    expect(f[0].message).toContain('a pod reaching a ClusterIP whose backend is on the same node');
    expect(f[0].message).toContain('kubernetes/kubernetes#38802');
    expect(f[0].evidence[0]).toMatchObject({ file: PROC, line: 1 });
    expect(f[0].remedy.commands).toEqual(expect.arrayContaining(['modprobe br_netfilter', 'sysctl -w net.bridge.bridge-nf-call-iptables=1']));
    const run = r.coverage.nodes[0].analyzers.find((a) => a.id === ID)!;
    expect(run).toMatchObject({ status: 'ran', findings: 1 });
    expect(run.reason).toBeUndefined();
    expect(render({ bundles: [r] }, 'md')).toMatch(/Bridged traffic bypasses iptables \(no Kubernetes shown\)/);
  });

  it.skipIf(!hasCorpus)('the CentOS 7.7 Docker host (sysctl -a, ifconfig): info naming docker0', () => {
    const s = 'sysctl/jc-centos77-docker-sysctl-a.txt';
    const i = 'ip-addr/jc-centos77-docker0-ifconfig.txt';
    const f = runNode(bridgeNf, { sysctl: [parseSysctlText(readCorpus(s), s)], ipAddr: [parseInterfaces(readCorpus(i), i)] }, 'centos77');
    expect(f.map((x) => x.severity)).toEqual(['info']);
    expect(f[0].message).toMatch(/^net\.bridge\.bridge-nf-call-iptables is 0 on centos77 \(sysctl\/jc-centos77-docker-sysctl-a\.txt:220\), and the bundle shows a container bridge \(docker0, ip-addr\/jc-centos77-docker0-ifconfig\.txt:\d+\)/);
    expect(f[0].evidence.map((e) => e.excerpt)).toContain('docker0');
  });
});

describe('healthy, and Kubernetes nodes as before', () => {
  it('bridge-nf-call-iptables = 1 (the same /proc file set on): nothing', async () => {
    const r = await analyzeBundle(writeFolder({ [PROC]: '1\n' }, 'h31-k8s38802-on'));
    expect(r.findings.filter((x) => x.id === ID)).toEqual([]);
  });

  it.skipIf(!hasCorpus)('the hotsos k8s node (1): nothing', () => {
    const h = 'sysctl/hotsos-charmed-k8s-flannel-node-sysctl-a.txt';
    expect(runNode(bridgeNf, { sysctl: [parseSysctlText(readCorpus(h), h)] })).toEqual([]);
  });

  it('with kubelet enabled the lone /proc file is the warning it was', () => {
    const kubelet = parseSystemctlText('UNIT FILE        STATE   VENDOR PRESET\nkubelet.service  enabled disabled\n', 'systemctl_list-unit-files');
    const f = runNode(bridgeNf, { sysctl: [parseProcSysFile(CASE05, PROC, '/' + PROC)], services: [kubelet] });
    expect(f.map((x) => x.severity)).toEqual(['warning']);
    expect(f[0].title).toBe('Bridged traffic bypasses iptables');
  });
});
