/**
 * iptables.docker-chain-missing where the bundle's docker info could not reach the daemon: Docker's
 * chains are missing because dockerd was not running when the bundle was collected, not because a
 * firewall flushed them. The docker info texts are the real CLIs' output with no daemon on the socket
 * (test/fixtures/docker-info/debian-20.10.24: CLI 28.2.2, and CLI 20.10's `ERROR:` form; `docker
 * version` of CLI 28.2.2), and Docker 29's wording (`failed to connect to the docker API at ...`, the
 * CLI since 29.0) on CLI 28.2.2's client header: the line as public reports quote it (docker info of
 * 29.6.2 on Windows, the same `Server:` layout; the unix-socket form of CLI 29.3.1). The host is the
 * one of test/fixtures/docker29-nftables-host: docker0 still in ip addr (a stopped dockerd leaves its
 * bridge), no Docker chain in iptables-save (real iptables-restore / iptables-save in a namespace).
 * Healthy and control cases: the daemon up (docker info's server section): the missing chains are
 * still reported as removed; docker info refused for another reason (permission denied) proves nothing.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { parseDockerInfo } from '../../src/parsers/docker-info.js';
import { daemonUnreachable } from '../../src/parsers/docker-info.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const fx = (...p: string[]) => readFileSync(projectPath('test/fixtures', ...p), 'utf8');
const ID = 'iptables.docker-chain-missing';
const DOWN_28 = fx('docker-info/debian-20.10.24/docker-info-daemon-down.txt');
const DOWN_20 = fx('docker-info/debian-20.10.24/docker-info-daemon-down-cli20.txt');
const VERSION_DOWN = fx('docker-info/debian-20.10.24/docker-version-daemon-down.txt');
const DOWN_29 = DOWN_28.replace(
  /^Cannot connect to the Docker daemon.*$/m,
  'failed to connect to the docker API at unix:///var/run/docker.sock; check if the path is correct and if the daemon is running: dial unix /var/run/docker.sock: connect: no such file or directory',
);
const DENIED = DOWN_28.replace(
  /^Cannot connect to the Docker daemon.*$/m,
  'permission denied while trying to connect to the docker API at unix:///var/run/docker.sock',
);
const UP = fx('docker-info/orbstack-29.4.0-info.txt');
const HOST = {
  hostname: 'docker-host\n',
  'ip_a.txt': fx('netfilter/docker-direct-access/ip_addr'),
  'ip_route.txt': fx('netfilter/docker-direct-access/ip_route'),
  'iptables-save.txt': fx('docker29-nftables-host/iptables-save.txt'),
};

async function chainFinding(files: Record<string, string>) {
  const report = await analyzeBundle(writeFolder(files, 'daemon-down'));
  return report.findings.filter((f) => f.id === ID);
}

describe('docker info: no daemon on the socket', () => {
  it('the parser tells "no daemon answered" from a refusal', () => {
    expect(daemonUnreachable(parseDockerInfo(DOWN_28, 'a').engine)?.value).toBe('Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?');
    expect(daemonUnreachable(parseDockerInfo(DOWN_20, 'a').engine)?.ref.line).toBe(6);
    expect(daemonUnreachable(parseDockerInfo(DOWN_29, 'a').engine)?.value).toMatch(/^failed to connect to the docker API at unix:\/\/\/var\/run\/docker\.sock;/);
    expect(parseDockerInfo(DENIED, 'a').engine?.daemonError?.value).toMatch(/^permission denied/);
    expect(daemonUnreachable(parseDockerInfo(DENIED, 'a').engine)).toBeUndefined();
    expect(daemonUnreachable(parseDockerInfo(UP, 'a').engine)).toBeUndefined();
  });

  for (const [name, text, line] of [
    ['CLI 28.2.2', DOWN_28, 7],
    ['CLI 20.10 (ERROR: ...)', DOWN_20, 6],
    ['CLI 29 (failed to connect to the docker API)', DOWN_29, 7],
  ] as const)
    it(`${name}: a warning that dockerd was not running, citing docker info's line, not a flush`, async () => {
      const [f, ...more] = await chainFinding({ ...HOST, 'docker-info.txt': text });
      expect(more).toEqual([]);
      expect(f.severity).toBe('warning');
      expect(f.title).toContain('dockerd was not running when the bundle was collected');
      expect(f.message).toContain(`(docker-info.txt:${line})`);
      expect(f.message).toContain('no daemon answered');
      expect(f.message).toContain('not a sign that a firewall flushed them');
      expect(f.message).not.toMatch(/Something (flushed|removed) them/);
      expect(f.evidence[0]).toMatchObject({ file: 'docker-info.txt', line });
      expect(f.facts).toMatchObject({ dockerd: 'unreachable' });
      expect(f.remedy.commands.join('\n')).toContain('systemctl start docker');
    });

  it("docker version's error counts the same", async () => {
    const [f] = await chainFinding({ ...HOST, 'docker-version.txt': VERSION_DOWN });
    expect(f.severity).toBe('warning');
    expect(f.evidence[0]).toMatchObject({ file: 'docker-version.txt', line: 9 });
  });

  it('the daemon up (docker info answered): the chains are reported as removed, critical', async () => {
    const [f] = await chainFinding({ ...HOST, 'docker-info.txt': UP });
    expect(f.severity).toBe('critical');
    expect(f.message).toMatch(/Something flushed them/);
  });

  it('permission denied: the daemon may well run; the chains are reported as removed', async () => {
    const [f] = await chainFinding({ ...HOST, 'docker-info.txt': DENIED });
    expect(f.severity).toBe('critical');
    expect(f.facts).not.toMatchObject({ dockerd: 'unreachable' });
  });

  it('systemd says docker.service is active: its word beats docker info', async () => {
    const units = 'UNIT                 LOAD   ACTIVE SUB     DESCRIPTION\ndocker.service       loaded active running Docker Application Container Engine\n';
    const [f] = await chainFinding({ ...HOST, 'docker-info.txt': DOWN_28, 'systemctl_list-units.txt': units });
    expect(f.severity).toBe('critical');
    expect(f.message).toMatch(/Something flushed them/);
  });
});

describe('docker-masquerade-missing on the same host', () => {
  const masq = async (files: Record<string, string>) => (await analyzeBundle(writeFolder(files, 'daemon-down'))).findings.filter((f) => f.id === 'iptables.docker-masquerade-missing');

  it('dockerd not reachable and none of its chains: no masquerade finding (the chain finding says the daemon is down)', async () => {
    expect(await masq({ ...HOST, 'docker-info.txt': DOWN_28 })).toEqual([]);
    expect(await masq({ ...HOST, 'docker-info.txt': DOWN_29 })).toEqual([]);
  });

  it('the daemon up: the missing masquerade of each bridge is critical', async () => {
    const got = await masq({ ...HOST, 'docker-info.txt': UP });
    expect(got.map((f) => f.severity)).toEqual(['critical', 'critical']);
  });
});
