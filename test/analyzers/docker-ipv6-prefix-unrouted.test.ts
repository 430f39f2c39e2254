/**
 * docker.ipv6-prefix-unrouted on real text: moby/moby#32605 (step 3's `docker daemon --ip-forward=true
 * --iptables=true --ipv6 --fixed-cidr-v6="2001:db8:1::/64"`, then a container's ping6 with 100% packet loss;
 * test/fixtures/h25/moby-32605/), the daemon.json of Docker's IPv6 docs (docs.docker.com/engine/daemon/ipv6/),
 * a ULA daemon.json (gist pablodgonzalez/ee4001a9...), real `sysctl` of a network namespace with and without
 * proxy_ndp, and real `docker info` of Docker 28 (moby#49792) and 20.10.24 (test/fixtures/docker-info/).
 * The pasted command line is read by dockerd-cmdline.ts (until wired: parsed here by hand).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import analyzer from '../../analyzers/docker-ipv6-prefix-unrouted.js';
import { ipv6PrefixKind } from '../../src/parsers/cidr.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { parseDockerdCmdline } from '../../src/parsers/dockerd-cmdline.js';
import { parseDockerDaemonJson } from '../../src/parsers/docker-daemon.js';
import { parseDockerInfo } from '../../src/parsers/docker-info.js';
import { parseSysctlText } from '../../src/parsers/sysctl.js';
import { projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const read = (...p: string[]) => readFileSync(projectPath('test/fixtures', ...p), 'utf8');
const cmdline = () => parseDockerdCmdline(read('h25/moby-32605/dockerd-cmdline.txt'), 'dockerd-cmdline.txt');
const docsJson = () => parseDockerDaemonJson(read('h25/docs-daemon.json'), 'daemon.json');
const ulaJson = () => parseDockerDaemonJson(read('h25/gist-ula-daemon.json'), 'daemon.json');
const sysctl = (f: string) => parseSysctlText(read('h25', f), f);
const info = (...p: string[]) => parseDockerInfo(read(...p), 'docker-info.txt');
const run = (a: NodeArtifacts) => runNode(analyzer, a, 'docker-host');

describe('docker.ipv6-prefix-unrouted', () => {
  it("fires (warning) on moby#32605's command line alone: a `docker daemon` without ip6tables, the documentation prefix", () => {
    const [f, ...rest] = run({ dockerDaemon: [cmdline()] });
    expect(rest).toEqual([]);
    expect(f.id).toBe('docker.ipv6-prefix-unrouted');
    expect(f.severity).toBe('warning');
    expect(f.message).toContain('from 2001:db8:1::/64');
    expect(f.message).toContain('the documentation prefix');
    expect(f.message).toContain('`docker daemon`');
    expect(f.evidence.map((e) => `${e.file}:${e.line}`)).toEqual(['dockerd-cmdline.txt:1', 'dockerd-cmdline.txt:1', 'dockerd-cmdline.txt:1']);
    expect(f.facts).toMatchObject({ prefix: '2001:db8:1::/64', prefixKind: 'documentation', ip6tables: false });
    expect(f.remedy?.commands[0]).toContain('ip -6 route; ip6tables-save; sysctl net.ipv6.conf.all.forwarding net.ipv6.conf.all.proxy_ndp');
  });

  it('cites IPv6 forwarding off and proxy_ndp 0 from a real sysctl dump', () => {
    const [f] = run({ dockerDaemon: [cmdline()], sysctl: [sysctl('netns-no-proxy.sysctl.txt')] });
    expect(f.message).toContain('IPv6 forwarding is off too (netns-no-proxy.sysctl.txt:1)');
    expect(f.evidence.some((e) => e.excerpt === 'net.ipv6.conf.all.proxy_ndp = 0')).toBe(true);
  });

  it('stays quiet where the kernel proxies NDP (net.ipv6.conf.all.proxy_ndp = 1)', () => {
    expect(run({ dockerDaemon: [cmdline()], sysctl: [sysctl('netns-ndp-proxy.sysctl.txt')] })).toEqual([]);
  });

  it("Docker's docs daemon.json: info without a version, quiet on Docker 28 (ip6tables on by default), warning on 20.10.24", () => {
    const [f] = run({ dockerDaemon: [docsJson()] });
    expect(f.severity).toBe('info');
    expect(f.message).toContain('`docker version` decides');
    expect(run({ dockerDaemon: [docsJson(), info('direct-routing/moby-49792/docker-info.txt')] })).toEqual([]);
    const [old] = run({ dockerDaemon: [docsJson(), info('docker-info/debian-20.10.24/docker-info-warnings.txt')] });
    expect(old.severity).toBe('warning');
    expect(old.message).toContain('Docker 20.10.24+dfsg1 does not manage ip6tables');
    expect(old.evidence.some((e) => e.excerpt.includes('20.10.24'))).toBe(true);
  });

  it('stays quiet with ip6tables on: the gist daemon.json (experimental + ip6tables), alone and on Docker 20.10.24', () => {
    const j = parseDockerDaemonJson(read('h25/gist-ip6tables-daemon.json'), 'daemon.json');
    expect(run({ dockerDaemon: [j] })).toEqual([]);
    expect(run({ dockerDaemon: [j, info('docker-info/debian-20.10.24/docker-info-warnings.txt')] })).toEqual([]);
  });

  it("moby#41622's `dockerd --ipv6 --fixed-cidr-v6 fd00:dead:beef::/48 --ip6tables` (a ULA prefix, ip6tables on) stays quiet", () => {
    const c = parseDockerdCmdline(read('h25/moby-41622-dockerd.txt'), 'c');
    expect(run({ dockerDaemon: [c] })).toEqual([]);
  });

  it('stays quiet for a ULA prefix, and for IPv6 off', () => {
    expect(run({ dockerDaemon: [ulaJson()] })).toEqual([]);
    expect(run({ dockerDaemon: [parseDockerdCmdline(read('h25/moby-docker-service-execstart.txt'), 'e')] })).toEqual([]);
  });

  it('classifies prefixes', () => {
    expect(ipv6PrefixKind('2001:db8:1::/64')).toBe('documentation');
    expect(ipv6PrefixKind('2a01:4f8:1:2::/80')).toBe('global');
    expect(ipv6PrefixKind('fd00::/80')).toBe('ula');
    expect(ipv6PrefixKind('fe80::/64')).toBe('link-local');
    expect(ipv6PrefixKind('ff02::/16')).toBe('other');
    expect(ipv6PrefixKind('10.0.0.0/8')).toBeUndefined();
  });
});
