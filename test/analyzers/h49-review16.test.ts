/**
 * H49: three findings of review R16 (/tmp/rv16/REPORT.md) that were false or misleading. The fixtures are the
 * reviewer's bundles copied verbatim (test/fixtures/h49/SOURCES.md):
 * - c10: a tcpdump on the SENDING node: its own outgoing VXLAN packet shows `bad udp cksum` (offload fills it in
 *   after tcpdump sees it) and the peer's reply arrives: info "sender-side capture", not the offload-bug warning.
 *   The receiving-side capture (projectcalico/calico#3145, https://github.com/projectcalico/calico/issues/3145) and
 *   the kernel's `UDP: bad checksum` line stay warnings (test/logs/h38-log-readings.test.ts, r12-signatures.test.ts).
 * - c14: k3s reads /etc/rancher/k3s/config.yaml.d/*.yaml after config.yaml, alphabetically, the last value winning
 *   (docs.k3s.io/installation/configuration): `flannel-ipv6-masq: true` in a drop-in counts; `false` there overrides.
 * - c18: a LAN host's new SYN straight to a container address (no DNAT), the trace dispatching docker0 to
 *   filter_FWDO_docker: docker0 is zoned, the reject is firewalld refusing direct access, no unzoned bridge.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { flannelIpv6MasqFindings } from '../../analyzers/flannel-ipv6-masquerade-missing.js';
import { firewalldForwardRejects } from '../../analyzers/firewalld-container-interface-unzoned.js';
import { k3sConfigFlags, k3sSetting, parseK3sFlags } from '../../src/parsers/k3s-flags.js';
import { parseK3sVersion } from '../../src/parsers/k3s-version.js';
import { parseNftTrace } from '../../src/parsers/nft-trace.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const fx = (name: string) => readFileSync(projectPath('test', 'fixtures', 'h49', name), 'utf8');
const CHECKSUM = 'log.vxlan-bad-udp-checksum';

describe('c10: a tcpdump on the sending node is no proof of the checksum bug', () => {
  it('with the node\'s ip addr: info, sender-side, the remedy a receiver-side check and no ethtool change', async () => {
    const r = await analyzeBundle(writeFolder({ 'tcpdump-eth0.txt': fx('c10-tcpdump-eth0.txt'), 'ip_addr.txt': fx('c10-ip_addr.txt') }, 'h49-c10'));
    const f = r.findings.find((x) => x.id === CHECKSUM);
    expect(f).toBeDefined();
    expect(f!.severity).toBe('info');
    expect(f!.title).toContain('sender-side capture, not proof');
    expect(f!.message).toContain('10.0.0.4, an address of this node');
    expect(f!.remedy!.commands.join('\n')).not.toContain('ethtool -K');
    expect(f!.remedy!.commands.join('\n')).toContain("dmesg | grep -F 'UDP: bad checksum'   # on 10.0.0.5");
  });
  it('the same capture without ip addr (the sender unknown): the warning stays', async () => {
    const r = await analyzeBundle(writeFolder({ 'tcpdump-eth0.txt': fx('c10-tcpdump-eth0.txt') }, 'h49-c10-noaddr'));
    const f = r.findings.find((x) => x.id === CHECKSUM);
    expect(f!.severity).toBe('warning');
    expect(f!.remedy!.commands.join('\n')).toContain('ethtool -K flannel.1 tx-checksum-ip-generic off');
  });
  it('captured on the receiver (10.0.0.5 is this node): the warning stays', async () => {
    const ip = fx('c10-ip_addr.txt').replace('inet 10.0.0.4/24', 'inet 10.0.0.5/24');
    const r = await analyzeBundle(writeFolder({ 'tcpdump-eth0.txt': fx('c10-tcpdump-eth0.txt'), 'ip_addr.txt': ip }, 'h49-c10-recv'));
    expect(r.findings.find((x) => x.id === CHECKSUM)!.severity).toBe('warning');
  });
});

describe('c14: k3s config.yaml.d drop-ins', () => {
  const main = fx('c14-config.yaml');
  const drop = fx('c14-50-dualstack.yaml');
  const inputs = (dropText: string) => ({
    k3sFlags: [k3sConfigFlags(main, 'etc/rancher/k3s/config.yaml')!, parseK3sFlags(dropText, 'etc/rancher/k3s/config.yaml.d/50-dualstack.yaml')],
    k3sVersion: [parseK3sVersion(fx('c14-k3s-version.txt'), 'k3s-version.txt')],
  });
  it('flannel-ipv6-masq: true in a drop-in counts: no finding', () => {
    expect(flannelIpv6MasqFindings('n1', inputs(drop) as never)).toEqual([]);
  });
  it('a drop-in setting it false overrides a config.yaml that sets it true (whatever order the files arrive in)', () => {
    const trueMain = k3sConfigFlags(`${main}flannel-ipv6-masq: true\n`, 'etc/rancher/k3s/config.yaml')!;
    const off = parseK3sFlags(drop.replace('true', 'false'), 'etc/rancher/k3s/config.yaml.d/50-dualstack.yaml');
    expect(k3sSetting([off, trueMain], 'flannel-ipv6-masq')!.value).toBe('false');
    expect(k3sSetting([trueMain, off], 'flannel-ipv6-masq')!.value).toBe('false');
    const later = parseK3sFlags('flannel-ipv6-masq: true\n', 'etc/rancher/k3s/config.yaml.d/90-late.yaml');
    expect(k3sSetting([later, off, trueMain], 'flannel-ipv6-masq')!.value).toBe('true');
    const f = flannelIpv6MasqFindings('n1', { ...inputs(drop), k3sFlags: [off, trueMain] } as never);
    expect(f).toHaveLength(1);
    expect(f[0].remedy!.caution).toContain('config.yaml.d/ that sets `flannel-ipv6-masq: false`');
    expect(f[0].remedy!.commands.join('\n')).toContain('/etc/rancher/k3s/config.yaml.d/*.yaml');
  });
  // a hand-made bundle's etc/rancher/k3s/config.yaml.d/*.yaml is read too (src/layouts/rules.ts, the k3s-config rule)
  it('the reviewer\'s bundle as a folder: no warning', async () => {
    const r = await analyzeBundle(
      writeFolder({ 'etc/rancher/k3s/config.yaml': main, 'etc/rancher/k3s/config.yaml.d/50-dualstack.yaml': drop, 'k3s-version.txt': fx('c14-k3s-version.txt') }, 'h49-c14'),
    );
    expect(r.findings.map((f) => f.id)).not.toContain('flannel.ipv6-masquerade-missing');
  });
  it('without the drop-in the warning fires (config.yaml alone)', async () => {
    const r = await analyzeBundle(writeFolder({ 'etc/rancher/k3s/config.yaml': main, 'k3s-version.txt': fx('c14-k3s-version.txt') }, 'h49-c14-main'));
    expect(r.findings.map((f) => f.id)).toContain('flannel.ipv6-masquerade-missing');
  });
});

describe('c18: a new direct connection to a container, docker0 in zone docker', () => {
  const trace = fx('c18-nft-monitor-trace.txt');
  it('the reviewer\'s trace: no unzoned-bridge finding', async () => {
    expect(firewalldForwardRejects([parseNftTrace(trace, 'nft-monitor-trace.txt')])).toEqual([]);
    const r = await analyzeBundle(writeFolder({ 'nft-monitor-trace.txt': trace }, 'h49-c18'));
    expect(r.findings.map((f) => f.id)).not.toContain('firewalld.container-interface-unzoned');
  });
  it('without the zone dispatch it is still a new, un-DNATed SYN into the bridge: no finding', () => {
    const noZone = trace.split('\n').filter((l) => !/FWDO_docker|FORWARD_OUT_ZONES/.test(l)).join('\n');
    expect(firewalldForwardRejects([parseNftTrace(noZone, 'nft-monitor-trace.txt')])).toEqual([]);
  });
  it('a DNATed packet (ct status dnat not shown continuing) with no zone dispatch still fires', () => {
    const dnat = trace
      .split('\n')
      .filter((l) => !/FWDO_docker|FORWARD_OUT_ZONES|ct status dnat/.test(l))
      .join('\n');
    const rs = firewalldForwardRejects([parseNftTrace(dnat, 'nft-monitor-trace.txt')]);
    expect(rs.map((x) => x.bridge)).toEqual(['docker0']);
  });
});
