/**
 * H85: docker.dns-loopback-nameserver and docker.dns-fallback-resolvers.
 *
 * Real text:
 * - test/fixtures/h85-debops-daemon-dns-stub: https://github.com/debops/debops/issues/1929 (daemon.json with
 *   "dns": ["127.0.0.53"], the container's resolv.conf, the apt-get / bash lines inside `docker run -it ubuntu`).
 * - test/fixtures/h85-buildkit-resolvconf-fallback: https://github.com/moby/buildkit/issues/5009 (a RUN step's
 *   resolv.conf with only the four Google fallback servers).
 * - Docker 25+ footers: moby/moby libnetwork/internal/resolvconf/testdata/TestRCTransformForIntNS
 *   (IPv4_localhost_override.golden, No_host_nameserver,_iv6.golden) and the "IPv4 localhost" case of
 *   resolvconf_test.go (`# ExtServers: [host(127.0.0.53)]`).
 * - healthy: Ubuntu's stub /etc/resolv.conf as systemd-resolved writes it; a container on a user-defined network.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import analyzer from '../../analyzers/docker-dns-loopback-nameserver.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { scanLogText } from '../../src/logs/scanner.js';
import { DNS_SIGNATURES } from '../../src/logs/signatures-dns.js';
import { parseDockerDaemonJson } from '../../src/parsers/docker-daemon.js';
import { parsePsDockerd } from '../../src/parsers/dockerd-flags.js';
import { parseDockerContainerInspect } from '../../src/parsers/docker-inspect.js';
import { daemonJsonDns, parseResolvConf, resolvConfOwner } from '../../src/parsers/resolv-conf.js';
import { corpusPath, hasCorpus, projectPath } from '../helpers/shared.js';

const fx = (...p: string[]) => readFileSync(projectPath('test/fixtures', ...p), 'utf8');
const DEBOPS = 'h85-debops-daemon-dns-stub';
const BUILDKIT = 'h85-buildkit-resolvconf-fallback';

/** docker inspect as the loader reads it (HostConfig.Dns kept per container) */
const inspect = (text: string, file: string) => parseDockerContainerInspect(text, file);

/** daemon.json as the loader reads it ("dns" kept, each server at its line) */
const daemonJson = (text: string, file = 'daemon.json') => parseDockerDaemonJson(text, file);

function run(a: NodeArtifacts) {
  if (analyzer.scope !== 'node') throw new Error('node analyzer');
  return analyzer.analyze({ node: 'n1', artifacts: a as never, options: { requiredPorts: [] } });
}

// systemd-resolved's stub file, as Ubuntu writes it (systemd src/resolve/resolved-resolv-conf.c)
const HOST_STUB = `# This is /run/systemd/resolve/stub-resolv.conf managed by man:systemd-resolved(8).
# Do not edit.
#
# This file might be symlinked as /etc/resolv.conf. If you're looking at
# /etc/resolv.conf and seeing this text, you have followed the symlink.
#
# This is a dynamic resolv.conf file for connecting local clients to the
# internal DNS stub resolver of systemd-resolved. This file lists all
# configured search domains.
#
# Run "resolvectl status" to see details about the uplink DNS servers
# currently in use.
#
# Third party programs should typically not access this file directly, but only
# through the symlink at /etc/resolv.conf. To manage the man:resolv.conf(5) file
# in a different way, replace this symlink by a static file or a different symlink.
#
# See man:systemd-resolved.service(8) for details about the supported modes of
# operation for /etc/resolv.conf.

nameserver 127.0.0.53
options edns0 trust-ad
search .
`;

describe('resolv-conf.ts additions', () => {
  it('daemonJsonDns: each server at its own line', () => {
    const dns = daemonJsonDns(fx(DEBOPS, 'daemon.json'), 'daemon.json');
    expect(dns).toEqual([{ address: '127.0.0.53', loopback: true, ref: { file: 'daemon.json', line: 4 }, excerpt: '"127.0.0.53"' }]);
    expect(daemonJsonDns('{"data-root": "/var/lib/docker"}', 'd.json')).toBeUndefined();
    expect(daemonJsonDns('not json', 'd.json')).toBeUndefined();
  });
  it('owners by path and name; the host files have none', () => {
    expect(resolvConfOwner('container-resolv.conf')).toBe('container');
    expect(resolvConfOwner('build-resolv.conf')).toBe('buildkit');
    expect(resolvConfOwner('var/lib/docker/containers/973e8db14687a1b2c3d4e5f60718293a4b5c6d7e8f9012345678901234567890/resolv.conf')).toBe('docker-container');
    expect(resolvConfOwner('etc/resolv.conf')).toBeUndefined();
    expect(resolvConfOwner('resolv.conf')).toBeUndefined();
    expect(resolvConfOwner('run/systemd/resolve/resolv.conf')).toBeUndefined();
  });
  it("Docker 25+'s footer: ExtServers inside or outside the host's namespace", () => {
    const f = parseResolvConf("nameserver 127.0.0.11\n\n# Based on host file: '/etc/resolv.conf' (internal resolver)\n# ExtServers: [127.0.0.53]\n# Overrides: [nameservers]\n", 'c/resolv.conf');
    expect(f.owner).toBe('docker-container');
    expect(f.docker).toMatchObject({ hostFile: '/etc/resolv.conf', mode: 'internal resolver', overrides: ['nameservers'] });
    expect(f.docker?.extServers).toEqual([expect.objectContaining({ address: '127.0.0.53', hostNamespace: false })]);
    const h = parseResolvConf("nameserver 127.0.0.11\n\n# Based on host file: '/etc/resolv.conf' (internal resolver)\n# ExtServers: [host(127.0.0.53)]\n# Overrides: []\n", 'c/resolv.conf');
    expect(h.docker?.extServers).toEqual([expect.objectContaining({ address: '127.0.0.53', hostNamespace: true })]);
  });
});

describe('docker.dns-loopback-nameserver', () => {
  const daemon = daemonJson(fx(DEBOPS, 'daemon.json'));
  const container = parseResolvConf(fx(DEBOPS, 'container-resolv.conf'), 'container-resolv.conf');

  it('debops#1929 with the failing lookups: critical, citing daemon.json:4, the container resolv.conf:2 and the apt line', () => {
    const logs = scanLogText(fx(DEBOPS, 'docker-run-apt-get.txt'), 'docker-run-apt-get.txt', { catalog: DNS_SIGNATURES });
    expect(logs.matches.length).toBeGreaterThan(0);
    const found = run({ dockerDaemon: [daemon], resolvConf: [container], logs: [logs] });
    expect(found).toHaveLength(1);
    const [f] = found;
    expect(f.severity).toBe('critical');
    expect(f.evidence.slice(0, 2).map((e) => `${e.file}:${e.line}`)).toEqual(['daemon.json:4', 'container-resolv.conf:2']);
    expect(f.evidence.some((e) => e.file === 'docker-run-apt-get.txt' && e.excerpt.includes("Temporary failure resolving 'archive.ubuntu.com'"))).toBe(true);
    expect(f.message).toContain('user-defined networks');
    expect(f.remedy.commands).toContain('systemctl restart docker');
    expect(f.facts).toMatchObject({ loopback: ['127.0.0.53'], setBy: ['daemon.json', 'container'] });
  });

  it('the same without logs: warning', () => {
    const found = run({ dockerDaemon: [daemon], resolvConf: [container] });
    expect(found.map((f) => f.severity)).toEqual(['warning']);
    // daemon.json alone (the dns key, no container file) is enough
    expect(run({ dockerDaemon: [daemon] }).map((f) => f.severity)).toEqual(['warning']);
    // the container file with the setting that put the server there: the file is cited
    expect(run({ dockerDaemon: [daemon], resolvConf: [container] })[0].evidence.map((e) => e.file)).toContain('container-resolv.conf');
  });

  it("the container file alone (no Docker header, no setting naming the server): a --network host container's copy of the host's file, not judged (R28 08)", () => {
    // Docker drops loopback servers when it writes a bridge container's resolv.conf from the host's; with host
    // networking it copies the host's file as it is, and 127.0.0.53 there is the host's stub, which answers
    const said: string[] = [];
    const found = analyzer.scope === 'node' ? analyzer.analyze({ node: 'n1', artifacts: { resolvConf: [container] } as never, options: { requiredPorts: [] }, partly: (w) => said.push(w) }) : [];
    expect(found).toEqual([]);
    expect(said.join('\n')).toContain("this is a --network host container's copy of the host's file");
  });

  it('a name that does not exist (NXDOMAIN: a resolver answered) is no evidence: still a warning', () => {
    // nslookup's wording for a missing name
    const logs = scanLogText("** server can't find archive.ubuntu.com: NXDOMAIN\n", 'nslookup.txt', { catalog: DNS_SIGNATURES });
    expect(logs.matches).toHaveLength(1);
    expect(run({ dockerDaemon: [daemon], logs: [logs] }).map((f) => f.severity)).toEqual(['warning']);
  });

  it('dockerd --dns 127.0.0.53 on its command line (ps)', () => {
    const ps = `UID          PID    PPID  C STIME TTY          TIME CMD
root         812       1  0 09:14 ?        00:00:03 /usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock --dns 127.0.0.53
`;
    const found = run({ dockerDaemon: [parsePsDockerd(ps, 'ps.txt')] });
    expect(found).toHaveLength(1);
    expect(found[0].evidence[0]).toMatchObject({ file: 'ps.txt', line: 2 });
  });

  it('a user-defined network container whose embedded DNS forwards inside the container (Docker 25+ footer)', () => {
    const f = parseResolvConf(
      "nameserver 127.0.0.11\n\n# Based on host file: '/etc/resolv.conf' (internal resolver)\n# ExtServers: [127.0.0.53]\n# Overrides: [nameservers]\n",
      'var/lib/docker/containers/973e8db14687a1b2c3d4e5f60718293a4b5c6d7e8f9012345678901234567890/resolv.conf',
    );
    const found = run({ resolvConf: [f] });
    expect(found).toHaveLength(1);
    expect(found[0].facts).toMatchObject({ userDefined: true, defaultBridge: false });
    expect(found[0].evidence[0].line).toBe(4);
  });

  it('healthy: daemon.json "dns": ["10.0.0.2"]; the host\'s own stub 127.0.0.53; a container on 127.0.0.11', () => {
    expect(run({ dockerDaemon: [daemonJson('{\n  "dns": ["10.0.0.2"]\n}\n')] })).toEqual([]);
    expect(run({ resolvConf: [parseResolvConf(HOST_STUB, 'etc/resolv.conf')] })).toEqual([]);
    expect(run({ resolvConf: [parseResolvConf(HOST_STUB, 'resolv.conf')] })).toEqual([]);
    expect(run({ resolvConf: [parseResolvConf('search invalid\nnameserver 127.0.0.11\noptions ndots:0\n', 'container-resolv.conf')] })).toEqual([]);
    const hostNs = parseResolvConf("nameserver 127.0.0.11\n\n# Based on host file: '/etc/resolv.conf' (internal resolver)\n# ExtServers: [host(127.0.0.53)]\n# Overrides: []\n", 'container-resolv.conf');
    expect(run({ resolvConf: [hostNs] })).toEqual([]);
    // failing lookups alone, no loopback setting: not this finding
    const logs = scanLogText(fx(DEBOPS, 'docker-run-apt-get.txt'), 'docker-run-apt-get.txt', { catalog: DNS_SIGNATURES });
    expect(run({ dockerDaemon: [daemonJson('{\n  "dns": ["10.0.0.2"]\n}\n')], logs: [logs] })).toEqual([]);
  });
});

// spring-projects/spring-boot's docker inspect test files (corpus/docker-network, SOURCES.md): HostConfig.Dns is []
describe.skipIf(!hasCorpus)('HostConfig.Dns of docker inspect', () => {
  const compose = () => readFileSync(corpusPath('docker-network', 'spring-boot-container-inspect-compose-network-192.168.32.0-20.json'), 'utf8');
  const host = () => readFileSync(corpusPath('docker-network', 'spring-boot-container-inspect-network-mode-host.json'), 'utf8');
  it('healthy: "Dns": [] as Docker writes it', () => {
    expect(run({ dockerPs: [inspect(compose(), 'inspect.json')] })).toEqual([]);
  });
  it('"Dns": ["127.0.0.53"] on a compose network: warning naming the container and its user-defined network', () => {
    const text = compose().replace('"Dns": [],', '"Dns": ["127.0.0.53"],');
    const found = run({ dockerPs: [inspect(text, 'inspect.json')] });
    expect(found).toHaveLength(1);
    expect(found[0].severity).toBe('warning');
    expect(found[0].message).toContain('redis-docker-redis-1, user-defined network redis-docker_default');
    expect(text.split('\n')[found[0].evidence[0].line - 1]).toContain('"Dns": ["127.0.0.53"]');
  });
  it('quiet with --network host: the loopback there is the host\'s', () => {
    const text = host().replace(/"Dns": null,/, '"Dns": ["127.0.0.53"],');
    expect(text).toContain('"Dns": ["127.0.0.53"]');
    expect(run({ dockerPs: [inspect(text, 'inspect.json')] })).toEqual([]);
  });
});

describe('docker.dns-fallback-resolvers', () => {
  it('buildkit#5009: a build resolv.conf with only the Google fallbacks: info', () => {
    const f = parseResolvConf(fx(BUILDKIT, 'build-resolv.conf'), 'build-resolv.conf');
    const found = run({ resolvConf: [f] });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ id: 'docker.dns-fallback-resolvers', severity: 'info' });
    expect(found[0].evidence.map((e) => e.line)).toEqual([1, 2, 3, 4]);
    expect(found[0].message).toContain('moby/buildkit#5009');
  });

  it("Docker 25+'s `# Used default nameservers.` footer", () => {
    const f = parseResolvConf(
      "nameserver 127.0.0.11\n\n# Based on host file: '/etc/resolv.conf' (internal resolver)\n# Used default nameservers.\n# ExtServers: [8.8.8.8 8.8.4.4 2001:4860:4860::8888 2001:4860:4860::8844]\n# Overrides: []\n",
      'container-resolv.conf',
    );
    const found = run({ resolvConf: [f] });
    expect(found.map((x) => x.id)).toEqual(['docker.dns-fallback-resolvers']);
  });

  it("healthy: the host's own resolv.conf with 8.8.8.8; not twice when the log line says it", () => {
    expect(run({ resolvConf: [parseResolvConf(fx(BUILDKIT, 'build-resolv.conf'), 'etc/resolv.conf')] })).toEqual([]);
    expect(run({ resolvConf: [parseResolvConf(fx(BUILDKIT, 'build-resolv.conf'), 'resolv.conf')] })).toEqual([]);
    const f = parseResolvConf(fx(BUILDKIT, 'build-resolv.conf'), 'build-resolv.conf');
    const logs = { file: 'journal.txt', lines: 1, bytes: 1, truncatedLines: 0, matches: [{ signature: 'log.docker-dns-fallback-public', file: 'journal.txt', line: 1, excerpt: 'No non-localhost DNS nameservers are left in resolv.conf. Using default external servers: [nameserver 8.8.8.8 nameserver 8.8.4.4]', facts: {} }] };
    expect(run({ resolvConf: [f], logs: [logs as never] })).toEqual([]);
  });
});
