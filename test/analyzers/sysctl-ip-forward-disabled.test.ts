import { describe, expect, it } from 'vitest';
import analyzer from '../../analyzers/sysctl-ip-forward-disabled.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { parseSysctlConfig, parseSysctlText } from '../../src/parsers/sysctl.js';
import { parseSystemctlText } from '../../src/parsers/services.js';
import { scanLogText } from '../../src/logs/index.js';
import { hasCorpus, readCorpus } from '../helpers/shared.js';

function run(artifacts: NodeArtifacts) {
  if (analyzer.scope !== 'node') throw new Error('node analyzer expected');
  return analyzer.analyze({ node: 'n1', artifacts: artifacts as never, options: { requiredPorts: [] } });
}

const DOCKER_UNITS = 'UNIT FILE       STATE    VENDOR PRESET\ndocker.service  enabled  disabled\n';

describe.skipIf(!hasCorpus)('sysctl.ip-forward-disabled on real sysctl -a output', () => {
  it('fires on the Ubuntu host with ip_forward = 0, critical when Docker is enabled, pointing at line 396', () => {
    const file = 'sysctl/jc-ubuntu1804-sysctl-a-ip-forward-0.txt';
    const findings = run({
      sysctl: [parseSysctlText(readCorpus(file), file)],
      services: [parseSystemctlText(DOCKER_UNITS, 'systemctl_list-unit-files')],
    });
    expect(findings).toHaveLength(1);
    expect(findings[0].severity).toBe('critical');
    expect(findings[0].evidence[0]).toEqual({ file, line: 396, excerpt: 'net.ipv4.ip_forward = 0', note: 'runtime value' });
    expect(findings[0].remedy.commands[0]).toBe('sysctl -w net.ipv4.ip_forward=1');
  });

  it('is only a warning when nothing in the bundle shows a container runtime', () => {
    const file = 'sysctl/jc-ubuntu1804-sysctl-a-ip-forward-0.txt';
    const findings = run({ sysctl: [parseSysctlText(readCorpus(file), file)] });
    expect(findings[0].severity).toBe('warning');
    expect(findings[0].message).toMatch(/if it runs none, this is expected/);
  });

  it('stays silent on healthy hosts (ip_forward = 1)', () => {
    for (const file of ['sysctl/hotsos-charmed-k8s-flannel-node-sysctl-a.txt', 'sysctl/jc-centos77-docker-sysctl-a.txt', 'sysctl/troubleshoot-k3s-flannel-node-proc-sys.txt']) {
      expect(run({ sysctl: [parseSysctlText(readCorpus(file), file)] }), file).toEqual([]);
    }
  });
});

describe('sysctl.ip-forward-disabled', () => {
  it('takes Docker\'s "IPv4 forwarding is disabled" log line as corroborating evidence, with its time', () => {
    const log = scanLogText('Nov 20 10:15:02 docker-host-02 dockerd[981]: time="2026-11-20T10:15:02.118Z" level=warning msg="IPv4 forwarding is disabled. Networking will not work."\n', 'var/log/syslog', { year: 2026 });
    const findings = run({ sysctl: [parseSysctlText('net.ipv4.ip_forward = 0\n', 'sysctl-a.txt')], logs: [log] });
    expect(findings[0].severity).toBe('critical');
    expect(findings[0].evidence[1]).toMatchObject({ file: 'var/log/syslog', line: 1, time: '2026-11-20T10:15:02.000Z' });
    expect(findings[0].message).toMatch(/The logs confirm it/);
  });

  it('names the config file that sets 0 again at boot', () => {
    const findings = run({
      sysctl: [parseSysctlText('net.ipv4.ip_forward = 0\nnet.bridge.bridge-nf-call-iptables = 1\n', 'sos_commands/kernel/sysctl_-a')],
      sysctlConfig: [parseSysctlConfig('# forwarding\nnet.ipv4.ip_forward = 0\n', 'etc/sysctl.conf')],
    });
    expect(findings[0].evidence.map((e) => `${e.file}:${e.line}`)).toEqual(['sos_commands/kernel/sysctl_-a:1', 'etc/sysctl.conf:2']);
    // named by its path on the host, not the bundle's relative one
    expect(findings[0].remedy.summary).toMatch(/from 0 to 1 in \/etc\/sysctl\.conf/);
  });
});

describe('sysctl.ip-forward-disabled: a container host seen in ip addr', () => {
  it('is critical when ip addr shows docker0 or cni0, a warning on a plain server', async () => {
    const { parseInterfaces: parseIpAddr } = await import('../../src/parsers/interfaces.js');
    const { readFileSync } = await import('node:fs');
    const { projectPath } = await import('../helpers/shared.js');
    const sysctl = [parseSysctlText('net.ipv4.ip_forward = 0\n', 'sysctl.txt')];
    // test/fixtures/iproute2/ip_a: real `ip a` of a host with docker0 and cni0
    const withBridges = parseIpAddr(readFileSync(projectPath('test/fixtures/iproute2/ip_a'), 'utf8'), 'ip_a');
    const [f] = run({ sysctl, ipAddr: [withBridges] });
    expect(f.severity).toBe('critical');
    expect(f.message).toMatch(/a container host: docker0, cni0 in ip addr/);
    const plain = parseIpAddr('1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n    inet 127.0.0.1/8 scope host lo\n2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP group default qlen 1000\n    link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff\n    inet 192.168.3.10/24 brd 192.168.3.255 scope global eth0\n', 'ip_a');
    expect(run({ sysctl, ipAddr: [plain] })[0].severity).toBe('warning');
  });
});
