/**
 * overlay.vxlan-checksum-offload (analyzers/overlay-checksum-offload.ts): a VXLAN overlay over a VMware VMXNET3 NIC
 * with TX checksum offload on. Real text (test/fixtures/h52/SOURCES.md):
 * - vmware/photon#1321 (https://github.com/vmware/photon/issues/1321): the Swarm node's INPUT chain (2377, 7946, 4789
 *   accepted); its fix was `ethtool -K eth0 tx-checksum-ip-generic off` (its ethtool output was screenshots);
 * - weaveworks/weave#3887 (https://github.com/weaveworks/weave/issues/3887): `ethtool -i ens192`, vmxnet3 1.5.0.0-k-NAPI;
 * - kubernetes-sigs/kubespray#7268 (https://github.com/kubernetes-sigs/kubespray/issues/7268): `ethtool -k ens192` on
 *   CentOS 8.2 (tunnel offload off [fixed], worked) and the 8.3 diff (tunnel offload on, broke) quoted in
 *   projectcalico/calico#4384 (https://github.com/projectcalico/calico/issues/4384);
 * - flannel-io/flannel#1279 (https://github.com/flannel-io/flannel/issues/1279): the kernel's `UDP: bad checksum` lines;
 * - this machine's ethtool 6.1: virtio_net eth0, a VXLAN device vx0 with offload on and off;
 * - the corpus' hotsos sosreport: virtio_net ens3 + flannel.1 (offload on): healthy, no finding.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checksumOffloadFindings, ID } from '../../analyzers/overlay-checksum-offload.js';
import { parseEthtool, type EthtoolOutput } from '../../src/parsers/ethtool.js';
import { parseIptablesList } from '../../src/netfilter/list-format.js';
import { scanLogText } from '../../src/logs/scanner.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { hasCorpus, projectPath } from '../helpers/shared.js';
import { corpusTarFiles } from '../helpers/corpus-tar.js';
import { R12_SIGNATURES } from '../../src/logs/signatures-r12.js';

const fx = (name: string) => readFileSync(projectPath('test', 'fixtures', 'h52', name), 'utf8');
const eth = (name: string, hint?: string): EthtoolOutput => parseEthtool(fx(name), `h52/${name}`, hint);
const swarmNode = (): NodeArtifacts => ({ iptables: [parseIptablesList(fx('photon1321-iptables-L.txt'), 'h52/photon1321-iptables-L.txt', { table: 'filter' })] });
const VMXNET3_I = () => eth('weave3887-ethtool-i-ens192.txt');

describe('a VMXNET3 NIC with checksum offload on under a VXLAN overlay', () => {
  it("warns on photon#1321's Swarm node when the NIC's UDP tunnel offload is on too (EL 8.3's vmxnet3)", () => {
    const f = checksumOffloadFindings('docker03', swarmNode(), [VMXNET3_I(), eth('kubespray7268-centos83-ethtool-k-ens192.txt')]);
    expect(f).toHaveLength(1);
    expect(f[0].severity).toBe('warning');
    expect(f[0].message).toContain('ens192');
    expect(f[0].message).toContain('Docker Swarm overlay (udp/4789)');
    // evidence: the feature line and the driver line, file:line
    expect(f[0].evidence[0]).toMatchObject({ file: 'h52/kubespray7268-centos83-ethtool-k-ens192.txt', line: 6, excerpt: 'tx-checksum-ip-generic: on' });
    expect(f[0].evidence[1]).toMatchObject({ file: 'h52/weave3887-ethtool-i-ens192.txt', line: 2, excerpt: 'driver: vmxnet3' });
    expect(f[0].evidence.some((e) => e.line === 36 && e.excerpt === 'tx-udp_tnl-segmentation: on')).toBe(true);
    expect(f[0].evidence.some((e) => e.file === 'h52/photon1321-iptables-L.txt' && /4789/.test(e.excerpt))).toBe(true);
    expect(f[0].remedy.commands[0]).toMatch(/^ethtool -K ens192 tx-checksum-ip-generic off/);
    expect(f[0].remedy.commands.some((c) => c.includes('/etc/udev/rules.d/90-vmxnet3-tx-checksum-off.rules'))).toBe(true);
    expect(f[0].remedy.commands.some((c) => c.includes('ethtool.feature-tx-checksum-ip-generic off'))).toBe(true);
    expect(f[0].remedy.summary).toContain('--data-path-port');
  });

  it('gives a udev rule command that writes the same rule when pasted twice (run here with bash, into a temporary directory)', () => {
    const f = checksumOffloadFindings('n', swarmNode(), [VMXNET3_I(), eth('kubespray7268-centos83-ethtool-k-ens192.txt')]);
    const cmd = f[0].remedy.commands.find((c) => c.includes('/etc/udev/rules.d/'))!;
    const dir = mkdtempSync(join(tmpdir(), 'h52-udev-'));
    const local = cmd.replace('/etc/udev/rules.d/', `${dir}/`);
    execFileSync('bash', ['-c', local]);
    execFileSync('bash', ['-c', local]);
    const rule = readFileSync(join(dir, '90-vmxnet3-tx-checksum-off.rules'), 'utf8');
    // by driver, under the name the NIC ends up with ($name: at boot the add event still sees eth0 before the rename, R20)
    expect(rule).toMatch(/^ACTION=="add", SUBSYSTEM=="net", DRIVERS=="vmxnet3", RUN\+="\/\S*ethtool -K \$name tx-checksum-ip-generic off"\n$/);
  });

  it("is info only where the listing shows the tunnel offload off [fixed] (kubespray#7268's CentOS 8.2 node worked)", () => {
    const f = checksumOffloadFindings('n', swarmNode(), [VMXNET3_I(), eth('kubespray7268-centos82-ethtool-k-ens192.txt')]);
    expect(f).toHaveLength(1);
    expect(f[0].severity).toBe('info');
    expect(f[0].facts).toMatchObject({ udpTunnelOffload: false, driver: 'vmxnet3' });
  });

  it("is a warning with the receiving kernel's `UDP: bad checksum` lines (log.vxlan-bad-udp-checksum) as evidence", () => {
    // the r12 catalog alone: the signature this check cites is there (src/logs/signatures-r12.ts)
    const logs = scanLogText(fx('flannel1279-dmesg.txt'), 'h52/flannel1279-dmesg.txt', { catalog: R12_SIGNATURES });
    expect(logs.matches.some((m) => m.signature === 'log.vxlan-bad-udp-checksum')).toBe(true);
    const f = checksumOffloadFindings('n', { ...swarmNode(), logs: [logs] }, [VMXNET3_I(), eth('kubespray7268-centos82-ethtool-k-ens192.txt')]);
    expect(f[0].severity).toBe('warning');
    expect(f[0].evidence.some((e) => e.file === 'h52/flannel1279-dmesg.txt' && /UDP: bad checksum/.test(e.excerpt))).toBe(true);
  });

  it("fires on a VXLAN device ethtool -i shows (driver: vxlan), and not once that device's own offload is off", () => {
    const vx = eth('machine-ethtool-i-vx0.txt', 'vx0');
    const on = checksumOffloadFindings('n', {}, [VMXNET3_I(), eth('kubespray7268-centos83-ethtool-k-ens192.txt'), vx, eth('machine-ethtool-k-vx0.txt')]);
    expect(on).toHaveLength(1);
    expect(on[0].message).toContain('VXLAN device vx0');
    const off = checksumOffloadFindings('n', {}, [VMXNET3_I(), eth('kubespray7268-centos83-ethtool-k-ens192.txt'), vx, eth('machine-ethtool-k-vx0-off.txt')]);
    expect(off).toEqual([]);
  });

  it("says what is missing (collect ethtool -k) when the bundle has the vmxnet3 driver but not its features", () => {
    const notes: string[] = [];
    expect(checksumOffloadFindings('n', swarmNode(), [VMXNET3_I()], (n) => notes.push(n))).toEqual([]);
    expect(notes.join()).toContain('collect ethtool -k ens192');
  });
});

describe('healthy: no finding', () => {
  it('a VMXNET3 NIC with tx-checksum-ip-generic off', () => {
    // kubespray#7268's 8.3 listing with the one feature ethtool -K turns off flipped (the parsed line, not the text)
    const k = eth('kubespray7268-centos83-ethtool-k-ens192.txt');
    const f = k.devices[0].features!['tx-checksum-ip-generic'];
    k.devices[0].features!['tx-checksum-ip-generic'] = { ...f, on: false, excerpt: 'tx-checksum-ip-generic: off' };
    expect(checksumOffloadFindings('n', swarmNode(), [VMXNET3_I(), k])).toEqual([]);
  });

  it('a VMXNET3 node with no overlay', () => {
    expect(checksumOffloadFindings('n', {}, [VMXNET3_I(), eth('kubespray7268-centos83-ethtool-k-ens192.txt')])).toEqual([]);
  });

  it("a virtio NIC (this machine's eth0) under a Swarm overlay, and a VXLAN device on it", () => {
    const outs = [eth('machine-ethtool-i-eth0.txt', 'eth0'), eth('machine-ethtool-k-eth0.txt'), eth('machine-ethtool-i-vx0.txt', 'vx0'), eth('machine-ethtool-k-vx0.txt')];
    expect(checksumOffloadFindings('n', swarmNode(), outs)).toEqual([]);
  });

  it('a bundle without ethtool -i (driver unknown)', () => {
    expect(checksumOffloadFindings('n', swarmNode(), [eth('kubespray7268-centos83-ethtool-k-ens192.txt')])).toEqual([]);
  });

  it.skipIf(!hasCorpus)("the corpus' sosreport: virtio_net ens3 and flannel.1 with offload on", async () => {
    const files = await corpusTarFiles('hotsos-charmed-k8s-flannel-sosreport-networking-subset.tar.gz', /sos_commands\/networking\/ethtool_-[ki]_/);
    const outs = [...files].map(([p, t]) => parseEthtool(t, p, p.replace(/^.*ethtool_-[ki]_/, '')));
    expect(outs.length).toBe(6);
    expect(checksumOffloadFindings('hotsos', {}, outs)).toEqual([]);
    expect(checksumOffloadFindings('hotsos', swarmNode(), outs)).toEqual([]);
  });
});

it('has a stable id', () => expect(ID).toBe('overlay.vxlan-checksum-offload'));
