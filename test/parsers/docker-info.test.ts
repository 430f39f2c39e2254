/**
 * `docker info` / `docker version` as text and JSON: the daemon's version, Swarm state, rootless
 * mode, firewall back end and docker info's own WARNING lines, each with its file and line. Real
 * output only (test/fixtures/docker-info/SOURCE.txt): a Debian dockerd 20.10.24 run for these tests
 * in a network namespace and queried with the CLIs 20.10 and 28.2.2; Docker 1.12, 17.09, 28.0.4,
 * 29.4 from public issues and repositories; docker/cli's own golden files.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SkipFile } from '../../src/model/source.js';
import { dockerEngine, dockerVersionNumbers, parseDockerInfo, parseDockerVersionOutput, sniffDockerInfo, sniffDockerVersion } from '../../src/parsers/docker-info.js';
import { dockerdSettings } from '../../src/parsers/dockerd-flags.js';
import { sniffableFormats } from '../../src/parsers/registry.js';
import { projectPath } from '../helpers/shared.js';

const read = (name: string) => readFileSync(projectPath('test/fixtures/docker-info', name), 'utf8');
const DEB = 'debian-20.10.24';
const info = (name: string) => parseDockerInfo(read(name), name).engine!;
const version = (name: string) => parseDockerVersionOutput(read(name), name).engine!;
/** the 1-based number of the line of `name` that is exactly `text` (checks the parser's line against the file, not against a copy of it) */
const lineOf = (name: string, text: string) => {
  const i = read(name).split('\n').indexOf(text);
  expect(i, `${name} has a line ${JSON.stringify(text)}`).toBeGreaterThanOrEqual(0);
  return i + 1;
};
/** the format the registry's sniffers give the file's first 4 KiB */
const sniffed = (text: string) => sniffableFormats().find((f) => f.sniff!(text.slice(0, 4096)))?.id;

describe('docker info text, Docker 1.12 ... 29', () => {
  it('a real dockerd 20.10 (CLI 28.2.2): version, Swarm inactive, not rootless, cgroupfs, and its three warnings at the end with their lines', () => {
    const f = `${DEB}/docker-info-warnings.txt`;
    const e = info(f);
    expect(e.serverVersion).toMatchObject({ value: '20.10.24+dfsg1', ref: { file: f, line: lineOf(f, ' Server Version: 20.10.24+dfsg1') } });
    expect(e.swarm).toMatchObject({ value: 'inactive', ref: { line: lineOf(f, ' Swarm: inactive') } });
    expect(e.swarmManager).toBeUndefined();
    expect(e.rootless?.value).toBe(false);
    expect(e.securityOptions?.map((o) => o.value)).toEqual(['seccomp']);
    expect(e.cgroupDriver?.value).toBe('cgroupfs');
    expect(e.cgroupVersion?.value).toBe('1');
    expect(e.dockerRootDir?.value).toBe('/tmp/f5d/root');
    expect(e.liveRestore).toMatchObject({ value: false, ref: { line: lineOf(f, ' Live Restore Enabled: false') } });
    expect(e.operatingSystem?.value).toBe('Debian GNU/Linux 12 (bookworm)');
    expect(e.kernelVersion?.value).toBe('6.18.44-fc-v1045');
    expect(e.firewallBackend).toBeUndefined();
    expect(e.warnings.map((w) => [w.kind, w.text, w.ref.line, w.excerpt])).toEqual([
      ['ip-forward-disabled', 'WARNING: IPv4 forwarding is disabled', lineOf(f, 'WARNING: IPv4 forwarding is disabled'), 'WARNING: IPv4 forwarding is disabled'],
      ['bridge-nf-call-iptables-disabled', 'WARNING: bridge-nf-call-iptables is disabled', lineOf(f, 'WARNING: bridge-nf-call-iptables is disabled'), 'WARNING: bridge-nf-call-iptables is disabled'],
      ['bridge-nf-call-ip6tables-disabled', 'WARNING: bridge-nf-call-ip6tables is disabled', lineOf(f, 'WARNING: bridge-nf-call-ip6tables is disabled'), 'WARNING: bridge-nf-call-ip6tables is disabled'],
    ]);
    expect(e.warnings[0].ref.line).toBe(50);
  });

  it("the same daemon through Debian's CLI 20.10: the same values (the client section has no Version line)", () => {
    const a = info(`${DEB}/docker-info-warnings.txt`);
    const b = info(`${DEB}/docker-info-warnings-cli20.txt`);
    for (const k of ['serverVersion', 'swarm', 'rootless', 'cgroupDriver', 'dockerRootDir', 'liveRestore'] as const) expect(b[k]?.value).toEqual(a[k]?.value);
    expect(b.warnings.map((w) => w.kind)).toEqual(a.warnings.map((w) => w.kind));
  });

  it("moby's multi-line warning (API on tcp without TLS) is one warning, its continuation lines joined; live restore on", () => {
    const f = `${DEB}/docker-info-api-tcp.txt`;
    const e = info(f);
    expect(e.liveRestore?.value).toBe(true);
    expect(e.warnings).toHaveLength(3);
    const [api, nf4, nf6] = e.warnings;
    expect(api.kind).toBe('api-unencrypted');
    expect(api.ref.line).toBe(lineOf(f, 'WARNING: API is accessible on http://127.0.0.1:2375 without encryption.'));
    expect(api.text).toBe(
      "WARNING: API is accessible on http://127.0.0.1:2375 without encryption. Access to the remote API is equivalent to root access on the host. Refer to the 'Docker daemon attack surface' section in the documentation for more information: https://docs.docker.com/go/attack-surface/",
    );
    expect(api.excerpt).toBe('WARNING: API is accessible on http://127.0.0.1:2375 without encryption.');
    expect([nf4.kind, nf4.ref.line]).toEqual(['bridge-nf-call-iptables-disabled', api.ref.line + 4]);
    expect(nf6.kind).toBe('bridge-nf-call-ip6tables-disabled');
  });

  it('Swarm active on a manager (real swarm init): NodeID, Is Manager, Node Address with their lines', () => {
    const f = `${DEB}/docker-info-swarm.txt`;
    const e = info(f);
    expect(e.swarm).toMatchObject({ value: 'active', ref: { line: lineOf(f, ' Swarm: active') } });
    expect(e.swarmNodeId?.value).toBe('0wqcu3qvii6w9z16iob3w358w');
    expect(e.swarmManager).toMatchObject({ value: true, ref: { line: lineOf(f, '  Is Manager: true') } });
    expect(e.swarmNodeAddr?.value).toBe('127.0.0.1');
    // the swarm's own sub-sections (Raft:, CA Configuration:) are not read as the server's labels
    expect(e.kernelVersion?.value).toBe('6.18.44-fc-v1045');
  });

  it('rootless: `rootless` among the security options (the real CLI 28.2.2 printing a rootless answer), its line', () => {
    const f = `${DEB}/docker-info-rootless-cli28.txt`;
    const e = info(f);
    expect(e.rootless).toMatchObject({ value: true, ref: { line: lineOf(f, '  rootless') }, excerpt: '  rootless' });
    expect(e.securityOptions?.map((o) => o.value)).toEqual(['seccomp', 'rootless', 'cgroupns']);
    expect(e.dockerRootDir?.value).toBe('/home/alice/.local/share/docker');
    expect(e.cgroupDriver?.value).toBe('systemd');
  });

  it('Docker 28.0.4 (moby#49792): the version of the FORWARD / raw-table changes, AppArmor, not rootless', () => {
    const text = readFileSync(projectPath('test/fixtures/direct-routing/moby-49792-full/docker-info.txt'), 'utf8');
    const e = parseDockerInfo(text, 'docker-info.txt').engine!;
    expect(e.serverVersion).toMatchObject({ value: '28.0.4', ref: { line: 20 } });
    expect(e.securityOptions?.map((o) => o.value)).toEqual(['apparmor', 'seccomp', 'cgroupns']);
    expect(e.rootless?.value).toBe(false);
    // the client's `Version: 28.0.4` and its plugins' `Version: v0.22.0` are not the server's
    expect(e.clientVersion).toBeUndefined();
    expect(sniffed(text)).toBe('docker-info');
  });

  it('Docker 29.4 prints `Firewall Backend:` last, after the default address pools (OrbStack)', () => {
    const f = 'orbstack-29.4.0-info.txt';
    const e = info(f);
    expect(e.serverVersion?.value).toBe('29.4.0');
    expect(e.firewallBackend).toMatchObject({ value: 'iptables', ref: { line: lineOf(f, ' Firewall Backend: iptables') } });
    expect(e.defaultAddressPools).toHaveLength(31);
    expect(e.defaultAddressPools?.at(-1)?.value).toEqual({ base: 'fd07:b51a:cc66:d000::/56', size: 64 });
    // the client's plugin list (indented Version: lines) is not the server's
    expect(e.storageDriver?.value).toBe('overlayfs');
    expect(e.warnings).toEqual([]);
  });

  it('Docker 29.4.1 in a Swarm (caprover#2377, cut after the CA configuration): active manager', () => {
    const e = info('caprover-2377-29.4.1-swarm.txt');
    expect([e.serverVersion?.value, e.swarm?.value, e.swarmManager?.value, e.swarmNodeId?.value]).toEqual(['29.4.1', 'active', true, '9n50i7lyzr20ufmino67d3u3a']);
    expect(e.containersRunning?.value).toBe(9);
    // cut before Security Options: nothing is said of rootless
    expect(e.rootless).toBeUndefined();
  });

  it("Docker <= 18.09's flat layout (17.09, no Client/Server sections): Swarm active manager, seccomp", () => {
    const f = 'docker-devops-17.09-swarm.txt';
    const e = info(f);
    expect(e.serverVersion).toMatchObject({ value: '17.09.0-ce', ref: { line: lineOf(f, 'Server Version: 17.09.0-ce') } });
    expect(e.swarm?.value).toBe('active');
    expect(e.swarmManager).toMatchObject({ value: true, ref: { line: lineOf(f, ' Is Manager: true') } });
    expect(e.swarmNodeAddr?.value).toBe('192.168.65.2');
    expect(e.securityOptions?.map((o) => o.value)).toEqual(['seccomp']);
    expect(e.rootless?.value).toBe(false);
    expect(e.liveRestore?.value).toBe(false);
  });

  it("Docker 1.12 (moby#24809): `Security Options: seccomp` on one line, the CLI's warnings in the middle, a prompt line first", () => {
    const f = 'moby-24809-1.12.0-rc4.txt';
    const e = info(f);
    expect(e.serverVersion?.value).toBe('1.12.0-rc4');
    expect(e.securityOptions?.map((o) => o.value)).toEqual(['seccomp']);
    expect(e.rootless?.value).toBe(false);
    expect(e.warnings.map((w) => [w.kind, w.ref.line])).toEqual([
      ['bridge-nf-call-iptables-disabled', 31],
      ['bridge-nf-call-ip6tables-disabled', 32],
    ]);
    expect(lineOf(f, 'WARNING: bridge-nf-call-iptables is disabled')).toBe(31);
  });

  it('Docker 1.12.1 (swarmkit#1518): the loopback warning indented inside the storage driver, Swarm manager', () => {
    const f = 'swarmkit-1518-1.12.1-swarm.txt';
    const e = info(f);
    expect(e.storageDriver?.value).toBe('devicemapper');
    expect(e.warnings).toHaveLength(1);
    expect(e.warnings[0]).toMatchObject({ kind: 'other', ref: { line: lineOf(f, read(f).split('\n').find((l) => l.includes('WARNING: Usage of loopback'))!) } });
    expect(e.warnings[0].text).toMatch(/^WARNING: Usage of loopback devices is strongly discouraged/);
    expect([e.swarm?.value, e.swarmManager?.value]).toEqual(['active', true]);
  });

  it("docker/cli's golden (new layout, 17.06 daemon in a Swarm): default address pools read, no warnings", () => {
    const e = info('docker-cli-info-with-swarm.golden');
    expect([e.serverVersion?.value, e.swarm?.value, e.swarmManager?.value]).toEqual(['17.06.1-ce', 'active', true]);
    expect(e.securityOptions?.map((o) => o.value)).toEqual(['apparmor', 'seccomp']);
    expect(e.defaultAddressPools?.map((p) => p.value)).toEqual([{ base: '10.123.0.0/16', size: 24 }]);
  });

  it('the CLI could not reach the daemon (CLI 20.10 with ERROR:, 28.2.2 without): the error, no version', () => {
    for (const f of [`${DEB}/docker-info-daemon-down-cli20.txt`, `${DEB}/docker-info-daemon-down.txt`]) {
      const e = info(f);
      const said = 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?';
      const line = read(f).split('\n').findIndex((l) => l.endsWith(said)) + 1;
      expect(line).toBeGreaterThan(5);
      expect(e.daemonError).toMatchObject({ value: said, ref: { file: f, line } });
      expect(e.serverVersion).toBeUndefined();
      expect(e.warnings).toEqual([]);
    }
  });

  it("nerdctl's look-alike `info` is not Docker: skipped", () => {
    expect(() => parseDockerInfo(read('nerdctl-1.7.19-info.txt'), 'nerdctl-info.txt')).toThrow(SkipFile);
    expect(sniffDockerInfo(read('nerdctl-1.7.19-info.txt'))).toBe(false);
    // its server section alone (no `Namespace:` client line): the v-prefixed containerd version gives it away
    const server = read('nerdctl-1.7.19-info.txt').split('\n').slice(5).join('\n');
    expect(() => parseDockerInfo(server, 'x.txt')).toThrow(SkipFile);
  });

  it('text that is no docker info is skipped, not half read', () => {
    expect(() => parseDockerInfo('hello\nworld\n', 'docker-info.txt')).toThrow(SkipFile);
  });
});

describe('docker info JSON', () => {
  it("`docker info --format '{{json .}}'` (docker/cli's golden): the daemon's Warnings, one line", () => {
    const f = 'docker-cli-info-daemon-warnings.json.golden';
    const e = info(f);
    expect(e.format).toBe('json');
    expect([e.serverVersion?.value, e.swarm?.value, e.rootless?.value, e.cgroupDriver?.value, e.ipv4Forwarding?.value]).toEqual(['17.06.1-ce', 'inactive', false, 'cgroupfs', true]);
    expect(e.warnings.map((w) => w.kind)).toEqual(['other', 'no-swap-limit', 'other', 'other', 'other', 'other', 'other', 'ip-forward-disabled']);
    expect(e.warnings.every((w) => w.ref.line === 1)).toBe(true);
    // a one-line JSON's excerpt is the value, not 2.6 KB of the line
    expect(e.warnings[1].excerpt).toBe('"WARNING: No swap limit support"');
    expect(e.serverVersion?.excerpt).toBe('"ServerVersion":"17.06.1-ce"');
  });

  it('pretty-printed by jq (the real daemon): each value and warning on its own line', () => {
    const f = `${DEB}/docker-info-api-tcp-jq.json`;
    const e = info(f);
    expect(e.serverVersion).toMatchObject({ value: '20.10.24+dfsg1', ref: { line: lineOf(f, '  "ServerVersion": "20.10.24+dfsg1",') }, excerpt: '"ServerVersion": "20.10.24+dfsg1",' });
    expect(e.liveRestore?.value).toBe(true);
    expect(e.warnings.map((w) => [w.kind, w.ref.line])).toEqual([
      ['api-unencrypted', 142],
      ['bridge-nf-call-iptables-disabled', lineOf(f, '    "WARNING: bridge-nf-call-iptables is disabled",')],
      ['bridge-nf-call-ip6tables-disabled', lineOf(f, '    "WARNING: bridge-nf-call-ip6tables is disabled"')],
    ]);
    // the multi-line warning's text as docker info prints it on one line
    expect(e.warnings[0].text).toMatch(/^WARNING: API is accessible on http:\/\/127\.0\.0\.1:2375 without encryption\. Access to the remote API/);
  });

  it('Swarm active in JSON (real): state, node id, manager', () => {
    const e = info(`${DEB}/docker-info-swarm.json`);
    expect([e.swarm?.value, e.swarmNodeId?.value, e.swarmManager?.value, e.swarmNodeAddr?.value]).toEqual(['active', '0wqcu3qvii6w9z16iob3w358w', true, '127.0.0.1']);
    expect(e.warnings.map((w) => w.kind)).toEqual(['ip-forward-disabled', 'bridge-nf-call-iptables-disabled', 'bridge-nf-call-ip6tables-disabled']);
  });

  it("the daemon's FirewallBackend object (API 1.49+) as the API documents it", () => {
    // the shape of moby's swagger FirewallInfo / docker/cli#6191's test data: Driver and label/value pairs
    const text = JSON.stringify({ ServerVersion: '28.3.2', ContainersRunning: 1, FirewallBackend: { Driver: 'nftables+firewalld', Info: [['ReloadedAt', '2025-07-16T16:59:14Z']] } });
    const e = parseDockerInfo(text, 'info.json').engine!;
    expect(e.firewallBackend).toMatchObject({ value: 'nftables+firewalld', details: { ReloadedAt: '2025-07-16T16:59:14Z' } });
  });

  it('broken JSON is a parse error (the file was meant as docker info)', () => {
    expect(() => parseDockerInfo('{"ServerVersion": "28.0.1",', 'docker-info.json')).toThrow(/not valid JSON/);
  });
});

describe('docker version', () => {
  it('Docker 20.10 (real, CLI 20.10): the Engine version, not containerd, runc or docker-init', () => {
    const f = `${DEB}/docker-version.txt`;
    const e = version(f);
    expect(e.serverVersion).toMatchObject({ value: '20.10.24+dfsg1', ref: { line: lineOf(f, '  Version:          20.10.24+dfsg1') } });
    expect(e.serverVersion?.ref.line).toBe(13);
    expect(e.apiVersion?.value).toBe('1.41');
    expect(e.clientVersion?.value).toBe('20.10.24+dfsg1');
  });

  it('CLI 28.2.2 against it: the client 28.2.2, the server 20.10.24', () => {
    const e = version(`${DEB}/docker-version-cli28.txt`);
    expect([e.clientVersion?.value, e.serverVersion?.value, e.apiVersion?.value]).toEqual(['28.2.2', '20.10.24+dfsg1', '1.41']);
  });

  it("Docker 29.4.0: `Server: Docker Engine - Community`, the Engine's version", () => {
    const e = version('orbstack-29.4.0-version.txt');
    expect([e.platform?.value, e.serverVersion?.value, e.apiVersion?.value]).toEqual(['Docker Engine - Community', '29.4.0', '1.54']);
  });

  it('Docker 18.05 (Engine: component) and RHEL docker 1.12.6 (Version: right under Server:)', () => {
    expect(version('for-linux-361-18.05-version.txt').serverVersion).toMatchObject({ value: '18.05.0-ce', ref: { line: 13 } });
    const rhel = version('clearcontainers-1016-1.12.6-version.txt');
    expect(rhel.serverVersion).toMatchObject({ value: '1.12.6', ref: { line: 11 } });
    expect(rhel.apiVersion?.value).toBe('1.24');
  });

  it("`docker version --format '{{json .}}'` (real): the Engine component's version", () => {
    const e = version(`${DEB}/docker-version.json`);
    expect([e.format, e.clientVersion?.value, e.serverVersion?.value, e.apiVersion?.value]).toEqual(['json', '28.2.2', '20.10.24+dfsg1', '1.41']);
  });

  it('the daemon down: the client version and the error, no server version', () => {
    const f = `${DEB}/docker-version-daemon-down.txt`;
    const e = version(f);
    expect(e.clientVersion?.value).toBe('28.2.2');
    expect(e.serverVersion).toBeUndefined();
    expect(e.daemonError?.ref.line).toBe(lineOf(f, 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?'));
  });
});

describe('sniffing: what a hand-made bundle file is by its content', () => {
  it.each([
    `${DEB}/docker-info-warnings.txt`,
    `${DEB}/docker-info-warnings-cli20.txt`,
    `${DEB}/docker-info-swarm.txt`,
    `${DEB}/docker-info-swarm.json`,
    `${DEB}/docker-info-api-tcp-jq.json`,
    `${DEB}/docker-info-daemon-down-cli20.txt`,
    `${DEB}/docker-info-daemon-down.txt`,
    'orbstack-29.4.0-info.txt',
    'caprover-2377-29.4.1-swarm.txt',
    'docker-devops-17.09-swarm.txt',
    'moby-24809-1.12.0-rc4.txt',
    'swarmkit-1518-1.12.1-swarm.txt',
    'docker-cli-info-with-swarm.golden',
    'docker-cli-info-daemon-warnings.json.golden',
  ])('%s: docker-info', (f) => {
    expect(sniffed(read(f))).toBe('docker-info');
  });

  it.each([`${DEB}/docker-version.txt`, `${DEB}/docker-version-cli28.txt`, `${DEB}/docker-version.json`, `${DEB}/docker-version-daemon-down.txt`, 'orbstack-29.4.0-version.txt', 'for-linux-361-18.05-version.txt', 'clearcontainers-1016-1.12.6-version.txt'])(
    '%s: docker-version',
    (f) => {
      expect(sniffed(read(f))).toBe('docker-version');
    },
  );

  it("a ticket's paste of docker version followed by a `docker run` and its warning stays a log (its signature must still match)", () => {
    // moby#22805's paste, as the corpus keeps it (test/bundle/utf16.test.ts reads it as a log)
    const paste = read(`${DEB}/docker-version.txt`) + "\n# ExecStart=/usr/bin/docker daemon --ip-forward=false -H fd://\nsudo docker run --net='host' --rm -it alpine /bin/sh\nWARNING: IPv4 forwarding is disabled. Networking will not work\n";
    expect(sniffDockerVersion(paste)).toBe(false);
    expect(sniffDockerInfo(read(`${DEB}/docker-info-warnings.txt`) + 'Nov 20 10:14:02 h dockerd[812]: level=warning msg="x"\n')).toBe(false);
  });

  it('other docker output is not docker info: network inspect, daemon.json, a dockerd log', () => {
    expect(sniffDockerInfo('[{"Name": "bridge", "Driver": "bridge", "IPAM": {"Driver": "default"}}]')).toBe(false);
    expect(sniffDockerInfo('{"iptables": false, "bip": "172.26.0.1/16"}')).toBe(false);
    expect(sniffDockerVersion('{"iptables": false}')).toBe(false);
    expect(sniffDockerInfo('time="2025-04-11T10:00:00Z" level=info msg="Docker daemon" commit=5d6db84 version=20.10.24\n')).toBe(false);
  });
});

describe("a node's docker info and docker version together", () => {
  it('docker info first, docker version for what it lacks; warnings once; the files read', () => {
    const i = parseDockerInfo(read(`${DEB}/docker-info-warnings.txt`), 'sos_commands/docker/docker_info');
    const v = parseDockerVersionOutput(read(`${DEB}/docker-version.txt`), 'sos_commands/docker/docker_version');
    const e = dockerEngine([v, i])!;
    expect(e.serverVersion?.ref.file).toBe('sos_commands/docker/docker_info');
    expect(e.apiVersion).toMatchObject({ value: '1.41', ref: { file: 'sos_commands/docker/docker_version' } });
    expect(e.files).toEqual(['sos_commands/docker/docker_info', 'sos_commands/docker/docker_version']);
    expect(e.warnings).toHaveLength(3);
    expect(dockerEngine([v])?.serverVersion?.ref.file).toBe('sos_commands/docker/docker_version');
    expect(dockerEngine([])).toBeUndefined();
  });

  it("docker info leaves dockerd's settings (daemon.json, flags) alone", () => {
    const i = parseDockerInfo(read(`${DEB}/docker-info-rootless-cli28.txt`), 'docker-info.txt');
    expect(i.origin).toBe('docker-info');
    expect(dockerdSettings([i])).toEqual({ pending: [] });
  });

  it('version numbers: 28.0.4, 17.09.0-ce, 1.13.1, 20.10.24+dfsg1', () => {
    expect(dockerVersionNumbers('28.0.4')).toEqual([28, 0, 4]);
    expect(dockerVersionNumbers('17.09.0-ce')).toEqual([17, 9, 0]);
    expect(dockerVersionNumbers('1.13.1')).toEqual([1, 13, 1]);
    expect(dockerVersionNumbers('20.10.24+dfsg1')).toEqual([20, 10, 24]);
    expect(dockerVersionNumbers('dev')).toBeUndefined();
  });
});
