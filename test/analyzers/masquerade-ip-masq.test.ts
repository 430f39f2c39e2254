/**
 * `"ip-masq": false` in daemon.json: Docker adds no MASQUERADE for its default bridge, so a nat
 * table without one is what the configuration asks for, not a missing rule.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import masqueradeMissing from '../../analyzers/iptables-docker-masquerade-missing.js';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { parseIptablesList } from '../../src/netfilter/list-format.js';
import { parseDockerDaemonJson } from '../../src/parsers/docker-daemon.js';
import { parseDockerNetworks } from '../../src/parsers/docker-network-inspect.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { tmpDir } from '../helpers/archive.js';
import { hasCorpus, projectPath, readCorpus } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const fx = (...p: string[]) => readFileSync(projectPath('test/fixtures', ...p), 'utf8');
/** Real `iptables -t nat -nvL` of a Docker + kube-proxy + flannel node, less Docker's MASQUERADE row (what `--ip-masq=false` leaves). */
const natWithoutMasq = () => fx('netfilter/legacy/iptables_-t_nat_-nvL').split('\n').filter((l) => !/MASQUERADE .*172\.17\.0\.0\/16/.test(l)).join('\n');
const NAT = 'sos_commands/firewall_tables/iptables_-t_nat_-nvL';
const DAEMON_OFF = '{\n  "ip-masq": false,\n  "bip": "10.200.5.1/24"\n}\n';

describe('daemon.json ip-masq', () => {
  it('is parsed with its line', () => {
    const d = parseDockerDaemonJson(DAEMON_OFF, 'etc/docker/daemon.json');
    expect(d.ipMasq).toEqual({ value: false, ref: { file: 'etc/docker/daemon.json', line: 2 } });
    expect(parseDockerDaemonJson('{"ip-masq": true}', 'd').ipMasq?.value).toBe(true);
    expect(parseDockerDaemonJson('{"bip": "10.1.0.1/24"}', 'd').ipMasq).toBeUndefined();
  });
});

describe('iptables.docker-masquerade-missing with "ip-masq": false', () => {
  const nat = () => parseIptablesList(natWithoutMasq(), NAT, { table: 'nat' });
  const ipA = () => parseInterfaces(fx('iproute2/ip_a'), 'ip_a');

  it('the real nat listing without the MASQUERADE row fires when Docker masquerades (default or ip-masq true)', () => {
    const [f] = runNode(masqueradeMissing, { iptables: [nat()], ipAddr: [ipA()] });
    expect(f).toMatchObject({ severity: 'critical', facts: { subnet: '172.17.0.0/16', bridge: 'docker0' } });
    const on = parseDockerDaemonJson('{\n  "ip-masq": true\n}\n', 'etc/docker/daemon.json');
    expect(runNode(masqueradeMissing, { iptables: [nat()], ipAddr: [ipA()], dockerDaemon: [on] })).toHaveLength(1);
  });

  it('is silent for docker0 when daemon.json says "ip-masq": false', () => {
    const off = parseDockerDaemonJson(DAEMON_OFF, 'etc/docker/daemon.json');
    expect(runNode(masqueradeMissing, { iptables: [nat()], ipAddr: [ipA()], dockerDaemon: [off] })).toEqual([]);
  });

  it.skipIf(!hasCorpus)('ip-masq covers the default bridge only: a user-defined network without its rule still fires', () => {
    const off = parseDockerDaemonJson(DAEMON_OFF, 'etc/docker/daemon.json');
    const bridge = parseDockerNetworks(readCorpus('docker-network/dockercli-docs-inspect-default-bridge.json'), 'docker_network_inspect_bridge');
    const user = parseDockerNetworks(readCorpus('docker-network/docker-docs-inspect-user-defined-alpine-net-3-containers.json'), 'docker_network_inspect_alpine-net');
    // the default bridge's inspect says the running daemon masquerades it: daemon.json was edited since, the rule is due
    expect(runNode(masqueradeMissing, { iptables: [nat()], dockerNetworks: [bridge], dockerDaemon: [off] }).map((f) => f.facts?.network)).toEqual(['bridge']);
    const findings = runNode(masqueradeMissing, { iptables: [nat()], dockerNetworks: [user], ipAddr: [ipA()], dockerDaemon: [off] });
    expect(findings.map((f) => f.facts?.network)).toEqual(['alpine-net']);
  });
});

describe('the reviewer\'s sosreport: "ip-masq": false, docker0 10.200.5.1/24, nat without MASQUERADE', () => {
  function sosreport(daemonJson: string | undefined): string {
    const root = join(tmpDir(), 'sosreport-rtr-docker-05-2026-11-20');
    const files: Record<string, string> = {
      hostname: 'rtr-docker-05\n',
      'sos_commands/networking/ip_-d_address': fx('iproute2/ip_a').replace(/172\.17\.0\.1\/16/, '10.200.5.1/24'),
      [NAT]: natWithoutMasq(),
    };
    if (daemonJson !== undefined) files['etc/docker/daemon.json'] = daemonJson;
    for (const [p, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, p)), { recursive: true });
      writeFileSync(join(root, p), text);
    }
    return dirname(root);
  }

  it('no finding with the setting, the critical without it', async () => {
    const off = await analyzeBundle(sosreport(DAEMON_OFF));
    expect(off.findings.map((f) => f.id)).not.toContain('iptables.docker-masquerade-missing');
    const on = await analyzeBundle(sosreport(undefined));
    expect(on.findings.filter((f) => f.id === 'iptables.docker-masquerade-missing').map((f) => f.facts?.subnet)).toEqual(['10.200.5.0/24']);
  });
});
