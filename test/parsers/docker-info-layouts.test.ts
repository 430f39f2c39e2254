/**
 * Where bundles keep `docker info` / `docker version`, and that the layouts hand them to their
 * parsers: sos's docker plugin (sos_commands/docker/docker_info, docker_version; Ubuntu's old
 * `docker.io` binary), insights (insights_commands/docker_info), the EKS log collector
 * (docker/docker-info.txt, older system/docker/), a troubleshoot run collector named for it, and
 * hand-made folders by name (docker-info.txt) or by content. The text is the real output of
 * test/fixtures/docker-info (SOURCE.txt).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readBundle } from '../../src/bundle/read.js';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { isWantedPath, locate } from '../../src/layouts/index.js';
import { dockerCliFormatOf } from '../../src/layouts/rules.js';
import { makeTarGz, writeFolder, writeTmp } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const fx = (name: string) => readFileSync(projectPath('test/fixtures/docker-info', name), 'utf8');
const INFO = fx('debian-20.10.24/docker-info-warnings.txt');
const VERSION = fx('debian-20.10.24/docker-version.txt');
const SYSCTL = 'net.ipv4.ip_forward = 0\nnet.bridge.bridge-nf-call-iptables = 0\nnet.core.somaxconn = 4096\n';

const read = (path: string) => readBundle(path, { keep: (i) => i.size < 1 << 20 || isWantedPath(i.path) });
const formats = async (files: Record<string, string>, name = 'b') => {
  const l = await locate(await read(writeFolder(files, name)), name);
  return l.nodes.map((n) => Object.fromEntries(n.files.filter((f) => f.format.startsWith('docker-')).map((f) => [f.relPath, f.format])));
};

describe('which paths are docker info / docker version', () => {
  it.each([
    ['docker-info.txt', 'docker-info'],
    ['docker_info', 'docker-info'],
    ['node1/Docker-Info.out', 'docker-info'],
    ['docker-system-info.json', 'docker-info'],
    ['docker-version.txt', 'docker-version'],
    ['docker_version', 'docker-version'],
    ['docker-information.pdf', undefined],
    ['docker-info/notes.txt', undefined],
    ['dockerd.log', undefined],
  ])('%s -> %s', (path, format) => {
    expect(dockerCliFormatOf(path)).toBe(format);
  });

  it('the reader keeps them for the layouts', () => {
    for (const p of ['sosreport-h/sos_commands/docker/docker_info', 'x/insights_commands/docker_info', 'eks_i-1/docker/docker-info.txt', 'ticket/node1/docker-version.txt']) expect(isWantedPath(p), p).toBe(true);
  });
});

describe('layouts', () => {
  it("sosreport: sos's docker plugin's docker_info and docker_version, read into the node's Docker view", async () => {
    const root = 'sosreport-dock1-2026-12-01-abcdef';
    const files = {
      [`${root}/sos_commands/docker/docker_info`]: INFO,
      [`${root}/sos_commands/docker/docker_version`]: VERSION,
      [`${root}/sos_commands/docker/docker_ps`]: 'CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n',
      [`${root}/sos_commands/kernel/sysctl_-a`]: SYSCTL,
      [`${root}/hostname`]: 'dock1\n',
    };
    expect(await formats(files)).toEqual([{ 'sos_commands/docker/docker_info': 'docker-info', 'sos_commands/docker/docker_ps': 'docker-ps', 'sos_commands/docker/docker_version': 'docker-version' }]);
    const report = await analyzeBundle(writeTmp('sos.tgz', await makeTarGz(Object.entries(files).map(([name, content]) => ({ name, content })))));
    const node = report.nodes[0];
    expect(report.coverage.nodes[0].artifacts.dockerDaemon).toEqual([`${root}/sos_commands/docker/docker_info`, `${root}/sos_commands/docker/docker_version`]);
    expect(node.docker).toMatchObject({ version: '20.10.24+dfsg1', swarm: 'inactive', rootless: false, file: `${root}/sos_commands/docker/docker_info` });
    expect(node.docker?.warnings?.map((w) => [w.file, w.line, w.excerpt])).toEqual([
      [`${root}/sos_commands/docker/docker_info`, 50, 'WARNING: IPv4 forwarding is disabled'],
      [`${root}/sos_commands/docker/docker_info`, 51, 'WARNING: bridge-nf-call-iptables is disabled'],
      [`${root}/sos_commands/docker/docker_info`, 52, 'WARNING: bridge-nf-call-ip6tables is disabled'],
    ]);
    expect(node.facts['docker version']).toBe('20.10.24+dfsg1');
    expect(report.coverage.nodes[0].parseProblems).toEqual([]);
  });

  it("sos 3.x on Ubuntu ran the docker.io binary: docker.io_info", async () => {
    const root = 'sosreport-old';
    expect(await formats({ [`${root}/sos_commands/docker/docker.io_info`]: fx('moby-24809-1.12.0-rc4.txt'), [`${root}/sos_commands/kernel/sysctl_-a`]: SYSCTL })).toEqual([
      { 'sos_commands/docker/docker.io_info': 'docker-info' },
    ]);
  });

  it('insights: insights_commands/docker_info', async () => {
    expect(await formats({ 'ins/insights_commands/docker_info': fx('docker-devops-17.09-swarm.txt'), 'ins/insights_commands/sysctl': SYSCTL })).toEqual([
      { 'insights_commands/docker_info': 'docker-info' },
    ]);
  });

  it("the EKS log collector's docker/docker-info.txt and docker-version.txt (older ones under system/)", async () => {
    const eks = 'eks_i-0abc123def4567890_2026-12-01_1031-UTC_0.7.8';
    const markers = { [`${eks}/sysctls/sysctl_all.txt`]: SYSCTL, [`${eks}/networking/iptables-save.txt`]: '*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n' };
    expect(await formats({ ...markers, [`${eks}/docker/docker-info.txt`]: INFO, [`${eks}/docker/docker-version.txt`]: VERSION })).toEqual([
      { 'docker/docker-info.txt': 'docker-info', 'docker/docker-version.txt': 'docker-version' },
    ]);
    expect(await formats({ ...markers, [`${eks}/system/docker/docker-info.txt`]: INFO })).toEqual([{ 'system/docker/docker-info.txt': 'docker-info' }]);
  });

  it('troubleshoot: a run collector named docker-info (not its -info.json record of the command)', async () => {
    const ts = 'supportbundle-2026-12-01T10_31_07';
    const files = {
      [`${ts}/version.yaml`]: 'apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\n',
      [`${ts}/host-collectors/run-host/docker-info.txt`]: fx('debian-20.10.24/docker-info-daemon-down.txt'),
      [`${ts}/host-collectors/run-host/docker-info-info.json`]: '{"command":"docker","args":["info"],"exitCode":"1"}',
      [`${ts}/host-collectors/run-host/docker.txt`]: fx('debian-20.10.24/docker-version.txt'),
      [`${ts}/host-collectors/run-host/hostnames.txt`]: 'hostname = ts-node-1\n',
    };
    const l = await locate(await read(writeFolder(files, 'ts')), 'ts');
    expect(l.nodes).toHaveLength(1);
    const byName = Object.fromEntries(l.nodes[0].files.map((f) => [f.relPath, f.format]));
    expect(byName['docker-info.txt']).toBe('docker-info');
    // a collector named otherwise is known by its content
    expect(byName['docker.txt']).toBe('docker-version');
    expect(byName['docker-info-info.json']).toBeUndefined();
    const report = await analyzeBundle(writeFolder(files, 'ts'));
    expect(report.nodes[0].docker).toMatchObject({
      version: '20.10.24+dfsg1',
      error: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?',
    });
  });

  it('a hand-made folder: docker-info.txt by its name, a docker info under any name by its content', async () => {
    const files = {
      'case-123/node1/docker-info.txt': fx('debian-20.10.24/docker-info-swarm.txt'),
      'case-123/node1/sysctl.txt': SYSCTL,
      'case-123/node2/out-2.txt': fx('orbstack-29.4.0-info.txt'),
      'case-123/node2/sysctl.txt': SYSCTL.replace('ip_forward = 0', 'ip_forward = 1'),
    };
    expect(await formats(files, 'case')).toEqual([{ 'docker-info.txt': 'docker-info' }, { 'out-2.txt': 'docker-info' }]);
    const report = await analyzeBundle(writeFolder(files, 'case'));
    const [n1, n2] = report.nodes;
    expect(n1.docker).toMatchObject({ version: '20.10.24+dfsg1', swarm: 'active', rootless: false });
    expect(n2.docker).toMatchObject({ version: '29.4.0', swarm: 'inactive', firewallBackend: 'iptables' });
    expect(n2.docker?.warnings).toBeUndefined();
    // the side-by-side facts
    expect([n1.facts['docker version'], n2.facts['docker version'], n1.facts['docker swarm'], n2.facts['docker firewall backend']]).toEqual(['20.10.24+dfsg1', '29.4.0', 'active', 'iptables']);
  });

  it("a ticket's docker version paste with a `docker run` warning stays a log: its signature still fires", async () => {
    const paste = `${VERSION}\nsudo docker run --net='host' --rm -it alpine /bin/sh\nWARNING: IPv4 forwarding is disabled. Networking will not work\n`;
    const report = await analyzeBundle(writeTmp('dockerd.txt', paste));
    expect(report.findings.map((f) => f.id)).toEqual(['log.ip-forward-disabled']);
    expect(report.nodes[0].docker).toBeUndefined();
  });

  it('a node without docker info has no docker entry, and null docker facts', async () => {
    const report = await analyzeBundle(writeFolder({ 'h/sysctl.txt': SYSCTL }, 'plain'));
    expect(report.nodes[0].docker).toBeUndefined();
    expect(report.nodes[0].facts['docker version']).toBeNull();
  });
});
