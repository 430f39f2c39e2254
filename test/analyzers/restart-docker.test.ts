/**
 * The command that restarts dockerd, as the node runs it: docker.service (unchanged remedies on a
 * plain Docker + kubelet node), rootless Docker (the user's own unit: real `ps auxwww` / `ps -eo`
 * lines of RootlessKit and dockerd-rootless.sh, test/fixtures/rootless), the docker snap
 * (snap.docker.dockerd.service as `systemctl list-units` prints it; its dockerd's flags as the snap's
 * bin/dockerd-wrapper passes them), and a dockerd no docker.service runs. A k3s node keeps its own.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dockerRestartOf, nodeServices, restartDocker } from '../../analyzers/lib/node-services.js';
import { flannelRemedy } from '../../analyzers/lib/flannel.js';
import { containerHostEvidence } from '../../analyzers/lib/container-host.js';
import ipForward from '../../analyzers/sysctl-ip-forward-disabled.js';
import mixedBackends from '../../analyzers/iptables-mixed-backends.js';
import serviceConflict from '../../analyzers/iptables-service-conflict.js';
import bridgeMismatch from '../../analyzers/docker-bridge-mismatch.js';
import firewalldUnzoned from '../../analyzers/firewalld-container-interface-unzoned.js';
import dockerChainMissing from '../../analyzers/iptables-docker-chain-missing.js';
import forwardBlocks from '../../analyzers/iptables-forward-blocks-containers.js';
import { parseRoutes } from '../../src/parsers/ip-route.js';
import { parseSystemctlText } from '../../src/parsers/services.js';
import { parsePsDockerd } from '../../src/parsers/dockerd-flags.js';
import { parseSysctlText } from '../../src/parsers/sysctl.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseDockerNetworks } from '../../src/parsers/docker-network-inspect.js';
import { parseFirewallCmdListAllZones } from '../../src/nft/firewalld.js';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { SIGNATURES } from '../../src/logs/index.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const fixture = (f: string) => readFileSync(projectPath(`test/fixtures/rootless/${f}`), 'utf8');
/** the docker-chains-flushed example: RHEL's stock /etc/sysconfig/iptables restored over Docker's rules */
const SOS = 'bundles/src/docker-chains-flushed/sosreport-docker-host-01-2026-11-20-ticket4711';
const sos = (p: string) => readFileSync(projectPath(SOS, p), 'utf8');
/** `systemctl list-units` output: the units with their real descriptions */
const listUnits = (units: [string, string][]) =>
  `  UNIT${' '.repeat(40)}LOAD   ACTIVE SUB     DESCRIPTION\n${units.map(([u, d]) => `  ${u.padEnd(44)}loaded active running ${d}`).join('\n')}\n\nLOAD   = Reflects whether the unit definition was properly loaded.\n`;
const BASE_UNITS: [string, string][] = [
  ['cron.service', 'Regular background program processing daemon'],
  ['dbus.service', 'D-Bus System Message Bus'],
  ['ssh.service', 'OpenBSD Secure Shell server'],
  ['systemd-journald.service', 'Journal Service'],
  ['systemd-logind.service', 'User Login Management'],
];
const DOCKER_UNIT: [string, string] = ['docker.service', 'Docker Application Container Engine'];
const KUBELET_UNIT: [string, string] = ['kubelet.service', 'kubelet: The Kubernetes Node Agent'];
const SNAP_UNIT: [string, string] = ['snap.docker.dockerd.service', 'Service for snap application docker.dockerd'];
const services = (...units: [string, string][]) => [parseSystemctlText(listUnits([...BASE_UNITS, ...units]), 'sos_commands/systemd/systemctl_list-units')];

/** the host's dockerd alone: the root line of the real listing with both */
const PS_ROOTFUL = fixture('ps-both.txt').split('\n').filter((l, i) => i === 0 || l.startsWith('root ')).join('\n') + '\n';
/** dockerd of the docker snap, with the flags its bin/dockerd-wrapper passes (canonical/docker-snap) */
const PS_SNAP =
  'USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\n' +
  'root        1187  0.4  2.1 2262004 86512 ?      Ssl  09:12   0:41 dockerd --group docker --exec-root=/run/snap.docker --data-root=/var/snap/docker/common/var-lib-docker --pidfile=/run/snap.docker/docker.pid --config-file=/var/snap/docker/2963/config/daemon.json\n';
const ps = (text: string, file = 'ps.txt') => [parsePsDockerd(text, file)];

const MIXED = `# Warning: iptables-legacy tables present, use iptables-legacy to see them
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -o cni0 -j ACCEPT
COMMIT
`;

describe('dockerRestartOf: how dockerd runs, and what restarts it', () => {
  it('docker.service (listed, or nothing says otherwise): systemctl restart docker, /etc/docker/daemon.json', () => {
    for (const a of [{}, { services: services(DOCKER_UNIT, KUBELET_UNIT), dockerDaemon: ps(PS_ROOTFUL) }, { dockerDaemon: ps(PS_ROOTFUL) }] as NodeArtifacts[]) {
      const d = dockerRestartOf(a);
      expect(d).toMatchObject({ how: 'docker.service', command: 'systemctl restart docker', daemonJson: '/etc/docker/daemon.json' });
      expect(restartDocker({ dockerRestart: d }, 'recreates every Docker rule')).toEqual(['systemctl restart docker   # recreates every Docker rule']);
    }
  });

  it('rootless Docker: the user\'s own unit, run as that user (ps auxwww names it)', () => {
    const d = dockerRestartOf({ dockerDaemon: ps(fixture('ps-rootless.txt')) });
    expect(d.how).toBe('rootless');
    expect(d.command).toBe('sudo -u nobody XDG_RUNTIME_DIR=/run/user/$(id -u nobody) systemctl --user restart docker');
    expect(d.evidence).toMatchObject({ file: 'ps.txt', line: 3 });
    expect(d.daemonJson).toBe('~nobody/.config/docker/daemon.json');
    const lines = restartDocker({ dockerRestart: d }, 'Docker writes its rules again');
    expect(lines[0]).toMatch(/^# rootless Docker: dockerd runs as nobody inside RootlessKit \(ps\.txt:3\)/);
    expect(lines[1]).toBe('sudo -u nobody XDG_RUNTIME_DIR=/run/user/$(id -u nobody) systemctl --user restart docker   # Docker writes its rules again');
    expect(lines.join('\n')).not.toMatch(/^systemctl restart docker/m);
  });

  it('rootless Docker in a listing without users (ps -eo pid,args): the user is to be put in', () => {
    // the real `ps -eo` listing without the root dockerd: RootlessKit and its dockerd only
    const text = fixture('ps-eo-rootless-both.txt').split('\n').filter((l) => !l.includes('/usr/bin/dockerd -H')).join('\n');
    const d = dockerRestartOf({ dockerDaemon: ps(text) });
    expect(d.how).toBe('rootless');
    expect(d.command).toBe('sudo -u <user> XDG_RUNTIME_DIR=/run/user/$(id -u <user>) systemctl --user restart docker');
    expect(d.why).toMatch(/no user column/);
  });

  it('a rootful dockerd beside a rootless one: the system docker.service, as ever', () => {
    expect(dockerRestartOf({ dockerDaemon: ps(fixture('ps-both.txt')) }).how).toBe('docker.service');
    expect(dockerRestartOf({ dockerDaemon: ps(fixture('ps-eo-rootless-both.txt')) }).how).toBe('docker.service');
  });

  it('the docker snap, by its unit or by its dockerd\'s paths: snap restart docker.dockerd, its own daemon.json', () => {
    const byUnit = dockerRestartOf({ services: services(SNAP_UNIT) });
    expect(byUnit).toMatchObject({ how: 'snap', command: 'snap restart docker.dockerd', daemonJson: '/var/snap/docker/current/config/daemon.json' });
    expect(byUnit.evidence).toMatchObject({ file: 'sos_commands/systemd/systemctl_list-units', excerpt: expect.stringContaining('snap.docker.dockerd.service') });
    const byPs = dockerRestartOf({ dockerDaemon: ps(PS_SNAP) });
    expect(byPs).toMatchObject({ how: 'snap', command: 'snap restart docker.dockerd' });
    expect(byPs.evidence).toMatchObject({ file: 'ps.txt', line: 2 });
    expect(restartDocker({ dockerRestart: byUnit })).toEqual([expect.stringMatching(/^# Docker from the snap .*snap\.docker\.dockerd\.service/), 'snap restart docker.dockerd']);
  });

  it("the snap's unit shows a container host", () => {
    expect(containerHostEvidence({ services: services(SNAP_UNIT) })).toEqual(['snap.docker.dockerd.service active']);
    expect(containerHostEvidence({ services: services() })).toEqual([]);
  });

  it('dockerd runs, the unit listing has no docker.service: the unit is asked of systemd, not named', () => {
    const d = dockerRestartOf({ services: services(KUBELET_UNIT), dockerDaemon: ps(PS_ROOTFUL) });
    expect(d.how).toBe('elsewhere');
    expect(d.command).toBe('systemctl status $(pidof dockerd)');
    expect(d.why).toMatch(/^dockerd runs \(ps\.txt:2\) but sos_commands\/systemd\/systemctl_list-units lists 6 units and no docker\.service/);
    const lines = restartDocker({ dockerRestart: d });
    expect(lines.join('\n')).not.toMatch(/systemctl restart docker\b/);
    // `systemctl status docker` saying so
    const status = [parseSystemctlText('Unit docker.service could not be found.\n', 'systemctl_status_docker')];
    expect(dockerRestartOf({ services: status, dockerDaemon: ps(PS_ROOTFUL) })).toMatchObject({ how: 'elsewhere', why: expect.stringContaining('systemctl_status_docker:1 says docker.service is not found') });
    // a `systemctl status` of a few units is no listing of the node's: nothing said
    const few = [parseSystemctlText(listUnits([KUBELET_UNIT]), 'systemctl_status_kubelet')];
    expect(dockerRestartOf({ services: few, dockerDaemon: ps(PS_ROOTFUL) }).how).toBe('docker.service');
    // no dockerd in the listing: nothing to restart by another name
    expect(dockerRestartOf({ services: services(KUBELET_UNIT) }).how).toBe('docker.service');
  });
});

describe('remedies restart dockerd the node\'s way', () => {
  const sysctlOff = [parseSysctlText('net.ipv4.ip_forward = 0\nnet.bridge.bridge-nf-call-iptables = 1\n', 'sysctl.txt')];
  const commandsOf = (f: { remedy: { commands: string[] } } | undefined) => f!.remedy.commands;

  it('a plain Docker + kubelet node keeps its remedies exactly', () => {
    const a: NodeArtifacts = { sysctl: sysctlOff, services: services(DOCKER_UNIT, KUBELET_UNIT), dockerDaemon: ps(PS_ROOTFUL) };
    expect(commandsOf(runNode(ipForward, a)[0])).toContain('systemctl restart docker   # or the node service / kubelet that owns the container network');
    expect(commandsOf(runNode(mixedBackends, { ...a, iptables: [parseIptablesSave(MIXED, 'iptables-save')] })[0])).toContain(
      'systemctl restart docker kubelet   # each writes its rules again, now in nf_tables (kube-proxy and CNI pods pick their back end themselves: restart them too)',
    );
    expect(flannelRemedy('node-1', undefined, a).commands.slice(-2)).toEqual(['systemctl restart kubelet', 'systemctl restart docker']);
    expect(nodeServices(a).restartRuntime).toEqual(['systemctl restart docker', 'systemctl restart kubelet']);
  });

  it('k3s keeps its own restart commands', () => {
    const k3s: [string, string] = ['k3s.service', 'Lightweight Kubernetes'];
    const s = nodeServices({ services: services(k3s) });
    expect(s.restartRuntime).toEqual(['systemctl restart k3s']);
    expect(s.dockerRestart.how).toBe('docker.service');
    // k3s with --docker: docker.service and k3s, as before
    expect(nodeServices({ services: services(k3s, DOCKER_UNIT), dockerDaemon: ps(PS_ROOTFUL) }).restartRuntime).toEqual(['systemctl restart docker', 'systemctl restart k3s']);
  });

  it('rootless Docker: iptables.mixed-backends restarts the user\'s dockerd and kubelet apart', () => {
    const cmds = commandsOf(runNode(mixedBackends, { iptables: [parseIptablesSave(MIXED, 'iptables-save')], dockerDaemon: ps(fixture('ps-rootless.txt')) })[0]);
    expect(cmds).toContain('sudo -u nobody XDG_RUNTIME_DIR=/run/user/$(id -u nobody) systemctl --user restart docker   # each writes its rules again, now in nf_tables (kube-proxy and CNI pods pick their back end themselves: restart them too)');
    expect(cmds).toContain('systemctl restart kubelet   # each writes its rules again, now in nf_tables (kube-proxy and CNI pods pick their back end themselves: restart them too)');
    expect(cmds.some((c) => /^systemctl restart docker/.test(c))).toBe(false);
  });

  it('the docker snap: docker.bridge-mismatch edits the snap\'s daemon.json and restarts the snap; firewalld and the kubelet node too', () => {
    const IP = `1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000
    inet 127.0.0.1/8 scope host lo
2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP group default qlen 1000
    inet 172.17.5.20/24 brd 172.17.5.255 scope global eth0
3: docker0: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 qdisc noqueue state DOWN group default
    inet 172.17.0.1/16 brd 172.17.255.255 scope global docker0
`;
    const NETS = JSON.stringify([{ Name: 'bridge', Id: 'a'.repeat(64), Driver: 'bridge', IPAM: { Config: [{ Subnet: '172.17.0.0/16', Gateway: '172.17.0.1' }] }, Options: { 'com.docker.network.bridge.name': 'docker0' } }]);
    const a: NodeArtifacts = { ipAddr: [parseInterfaces(IP, 'ip_addr')], dockerNetworks: [parseDockerNetworks(NETS, 'docker_network_inspect')], services: services(SNAP_UNIT) };
    const cmds = commandsOf(runNode(bridgeMismatch, a)[0]);
    expect(cmds).toContain('# /var/snap/docker/current/config/daemon.json: { "bip": "<free range>", "default-address-pools": [{ "base": "<free /16>", "size": 24 }] }');
    expect(cmds[cmds.length - 1]).toBe('snap restart docker.dockerd');
    expect(cmds.join('\n')).not.toMatch(/systemctl restart docker|\/etc\/docker\/daemon\.json/);
    // the same node without the snap: as before
    const plain = commandsOf(runNode(bridgeMismatch, { ...a, services: services(DOCKER_UNIT) })[0]);
    expect(plain.slice(1)).toEqual(['# /etc/docker/daemon.json: { "bip": "<free range>", "default-address-pools": [{ "base": "<free /16>", "size": 24 }] }', 'systemctl restart docker']);

    const zones = [parseFirewallCmdListAllZones('public (active)\n  target: default\n  interfaces: eth0\n', 'firewall-cmd_--list-all-zones')];
    const fw = commandsOf(runNode(firewalldUnzoned, { ipAddr: a.ipAddr, firewalldZones: zones, services: services(SNAP_UNIT, ['firewalld.service', 'firewalld - dynamic firewall daemon']) })[0]);
    expect(fw.slice(-1)).toEqual(["snap restart docker.dockerd   # firewalld reload removes Docker's rules"]);

    // kubelet beside the snap's dockerd: the runtime restart is the snap's
    expect(nodeServices({ services: services(SNAP_UNIT, KUBELET_UNIT) }).restartRuntime).toEqual([expect.stringMatching(/^# Docker from the snap/), 'snap restart docker.dockerd', 'systemctl restart kubelet']);
  });

  it("the docker snap on the flushed host: docker-chain-missing, forward-blocks-containers and flannel's forced repair restart the snap", () => {
    const a: NodeArtifacts = {
      iptables: [parseIptablesSave(sos('etc/sysconfig/iptables'), 'iptables-save')],
      ipAddr: [parseInterfaces(sos('sos_commands/networking/ip_-d_address'), 'ip_-d_address')],
      routes: [parseRoutes(sos('sos_commands/networking/ip_route_show_table_all'), 'ip_route')],
      dockerDaemon: ps(PS_SNAP),
    };
    const chains = commandsOf(runNode(dockerChainMissing, a).find((f) => f.severity === 'critical'));
    expect(chains.slice(0, 2)).toEqual([expect.stringMatching(/^# Docker from the snap \(ps\.txt:2\)/), 'snap restart docker.dockerd']);
    const fwd = commandsOf(runNode(forwardBlocks, a)[0]);
    // option A, commented out (a paste of the block runs option B only): the snap's restart, not systemctl's
    expect(fwd.slice(0, 4)).toEqual([
      '# Option A (restarts every container): Docker inserts its FORWARD rules ahead of rule 1; run the line below without its "# ", and skip option B:',
      expect.stringMatching(/^# Docker from the snap \(ps\.txt:2\)/),
      '# snap restart docker.dockerd',
      "# Option B (no restart; safe to paste twice): accept the bridge's traffic ahead of rule 1:",
    ]);
    for (const cmds of [chains, fwd]) expect(cmds.join('\n')).not.toMatch(/systemctl restart docker/);
    // the same host with docker.service: as before
    const plain = { ...a, dockerDaemon: ps(PS_ROOTFUL) };
    expect(commandsOf(runNode(dockerChainMissing, plain).find((f) => f.severity === 'critical'))[0]).toBe('systemctl restart docker');
    expect(commandsOf(runNode(forwardBlocks, plain)[0]).slice(0, 3)).toEqual([
      '# Option A (restarts every container): Docker inserts its FORWARD rules ahead of rule 1; run the line below without its "# ", and skip option B:',
      '# systemctl restart docker',
      "# Option B (no restart; safe to paste twice): accept the bridge's traffic ahead of rule 1:",
    ]);
    // flannel's forced repair beside kubelet
    const flannel = flannelRemedy('node-1', undefined, { services: services(SNAP_UNIT, KUBELET_UNIT) }).commands;
    expect(flannel.slice(-3)).toEqual(['systemctl restart kubelet', expect.stringMatching(/^# Docker from the snap/), 'snap restart docker.dockerd']);
  });

  it('iptables.service-conflict on a host whose dockerd no docker.service runs: no unit named as if it existed', () => {
    const a: NodeArtifacts = { services: services(['iptables.service', 'IPv4 firewall with iptables']), dockerDaemon: ps(PS_ROOTFUL) };
    const [f] = runNode(serviceConflict, a);
    expect(f.remedy.commands.slice(0, 2)).toEqual(['systemctl disable iptables.service   # not --now: stopping it runs its stop action now', 'systemctl mask iptables.service']);
    expect(f.remedy.commands.slice(2)).toEqual([expect.stringMatching(/^# dockerd runs \(ps\.txt:2\) but .* no docker\.service/), 'systemctl status $(pidof dockerd)   # names the unit that runs dockerd: systemctl restart <that unit>']);
  });
});

describe("the log signature's advice", () => {
  it('dockerd did not start: how to start it again, for docker.service, rootless Docker and the snap', () => {
    const advice = SIGNATURES.find((x) => x.id === 'log.docker-start-failed')!.advice;
    expect(advice).toContain('`systemctl start docker`');
    expect(advice).toContain('`systemctl --user start docker` as its user');
    expect(advice).toContain('`snap start docker.dockerd`');
  });
});

describe('end to end: the engine passes what the restart needs', () => {
  it('ip_forward off with dockerd under the docker snap: the remedy restarts the snap', async () => {
    const report = await analyzeBundle(
      writeFolder(
        {
          'ps.txt': PS_SNAP,
          'systemctl-list-units.txt': listUnits([...BASE_UNITS, SNAP_UNIT]),
          'sysctl.txt': 'net.ipv4.ip_forward = 0\nnet.ipv4.conf.all.rp_filter = 1\nnet.core.somaxconn = 4096\n',
        },
        'snap-docker-host',
      ),
    );
    const f = report.findings.find((x) => x.id === 'sysctl.ip-forward-disabled')!;
    expect(f.remedy.commands).toContain('snap restart docker.dockerd   # or the node service / kubelet that owns the container network');
    expect(f.remedy.commands.join('\n')).not.toMatch(/systemctl restart docker/);
  });

  it('rootless Docker with rules in both back ends; the snap with a bridge off its network: each analyzer is given what it needs', async () => {
    const rootless = await analyzeBundle(writeFolder({ 'ps.txt': fixture('ps-rootless.txt'), 'iptables-save.txt': MIXED }, 'rootless-mixed'));
    const mixed = rootless.findings.find((x) => x.id === 'iptables.mixed-backends')!;
    expect(mixed.remedy.commands.some((c) => c.startsWith('sudo -u nobody XDG_RUNTIME_DIR=/run/user/$(id -u nobody) systemctl --user restart docker'))).toBe(true);
    const IP = '3: docker0: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 qdisc noqueue state DOWN group default\n    inet 172.18.0.1/16 brd 172.18.255.255 scope global docker0\n';
    const NETS = JSON.stringify([{ Name: 'bridge', Id: 'a'.repeat(64), Driver: 'bridge', IPAM: { Config: [{ Subnet: '172.17.0.0/16', Gateway: '172.17.0.1' }] }, Options: { 'com.docker.network.bridge.name': 'docker0' } }]);
    const snap = await analyzeBundle(writeFolder({ 'ip-addr.txt': IP, 'docker-network-inspect.json': NETS, 'systemctl-list-units.txt': listUnits([...BASE_UNITS, SNAP_UNIT]) }, 'snap-bridge'));
    const bridge = snap.findings.find((x) => x.id === 'docker.bridge-mismatch')!;
    expect(bridge.remedy.commands.slice(-2)).toEqual([expect.stringMatching(/^# Docker from the snap/), 'snap restart docker.dockerd']);
  });

  it('iptables.service enabled where dockerd runs outside docker.service: the remedy asks systemd for its unit', async () => {
    const report = await analyzeBundle(
      writeFolder(
        {
          'ps.txt': PS_ROOTFUL,
          'systemctl-list-units.txt': listUnits([...BASE_UNITS, ['iptables.service', 'IPv4 firewall with iptables']]),
        },
        'dockerd-elsewhere',
      ),
    );
    const f = report.findings.find((x) => x.id === 'iptables.service-conflict')!;
    expect(f.remedy.commands).toContain('systemctl status $(pidof dockerd)   # names the unit that runs dockerd: systemctl restart <that unit>');
  });
});
