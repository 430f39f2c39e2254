/**
 * H78 (reviewer R25 cases 29 and 07): firewalld next to Docker.
 * - Docker 28.5.1 (docker version / docker info) with docker0 in the docker zone: no finding. Docker re-creates
 *   its rules on firewalld's reload from 28.3.3 (moby#50506, CVE-2025-54388,
 *   https://github.com/moby/moby/security/advisories/GHSA-x4rx-4gw3-53p4).
 * - Docker 26.1.3 named only by dockerd's start line in var/log/messages: a warning that names that version and
 *   the line, says docker0 is in the docker zone already (no add-interface for it), and does not claim that
 *   a reload with FirewallBackend=nftables always removes Docker's rules (firewalld#863: with nftables and no
 *   direct rules, firewalld 2.0.0+ leaves other iptables rules alone on reload).
 * The trees are R25's, made with real binaries in namespaces (test/fixtures/h78-*\/README.md).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import serviceConflict from '../../analyzers/iptables-service-conflict.js';
import { dockerVersion, dockerOnFirewalldReload } from '../../analyzers/lib/container-host.js';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { scanLogText } from '../../src/logs/index.js';
import { DOCKER_VERSION_SIGNATURES } from '../../src/logs/signatures-docker-version.js';
import { parseFirewalldConf, parseFirewalldZoneXml } from '../../src/nft/firewalld.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseSystemctlText } from '../../src/parsers/services.js';
import { parseDockerInfo } from '../../src/parsers/docker-info.js';
import { projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const SOS = 'sosreport-rhel9fw-2026-12-04-abcdef';
const root = (c: string) => projectPath('test', 'fixtures', c);
const read = (c: string, p: string) => readFileSync(projectPath('test', 'fixtures', c, SOS, p), 'utf8');

/** the node's artifacts from the fixture's files, the log scanned with H78's signature */
function artifacts(c: string, opts: { zone?: boolean; log?: string; conf?: string } = {}) {
  const zone = parseFirewalldZoneXml(read(c, 'etc/firewalld/zones/docker.xml'), 'etc/firewalld/zones/docker.xml');
  return {
    services: [parseSystemctlText(read(c, 'sos_commands/systemd/systemctl_list-unit-files'), 'sos_commands/systemd/systemctl_list-unit-files')],
    ipAddr: [parseInterfaces(read(c, 'sos_commands/networking/ip_-d_address'), 'sos_commands/networking/ip_-d_address')],
    firewalldConf: [parseFirewalldConf(opts.conf ?? read(c, 'etc/firewalld/firewalld.conf'), 'etc/firewalld/firewalld.conf')],
    ...(opts.zone === false ? {} : { firewalldZones: [{ file: zone.ref.file, zones: [zone], warnings: [] }] }),
    logs: [scanLogText(opts.log ?? read(c, 'var/log/messages'), 'var/log/messages', { catalog: DOCKER_VERSION_SIGNATURES })],
  };
}

describe("dockerVersion: dockerd's own start line when the bundle has no docker info / docker version", () => {
  it('reads 26.1.3 from the latest "Docker daemon" line of var/log/messages', () => {
    const a = artifacts('h78-07-docker-firewalld');
    const v = dockerVersion(a as never)!;
    expect(v).toMatchObject({ version: '26.1.3', numbers: [26, 1, 3], from: 'engine', via: 'log' });
    expect(v.evidence).toMatchObject({ file: 'var/log/messages', line: 10 });
    expect(v.evidence.excerpt).toContain('msg="Docker daemon" commit=c710b88 containerd-snapshotter=false storage-driver=overlay2 version=26.1.3');
    expect(dockerOnFirewalldReload(a as never)).toMatchObject({ restoresAll: false, version: '26.1.3' });
  });

  it('takes the latest start: an upgrade to 28.5.1 logged after 26.1.3 (the line of case 29) wins', () => {
    const later = read('h78-29-docker285-firewalld', 'var/log/messages').split('\n').map((l) => l.replace(/^Dec  3 09:/, 'Dec  3 10:')).join('\n');
    const a = artifacts('h78-07-docker-firewalld', { log: `${read('h78-07-docker-firewalld', 'var/log/messages')}${later}` });
    expect(dockerVersion(a as never)).toMatchObject({ version: '28.5.1', from: 'engine', via: 'log' });
  });

  it('no such line, no version (the package or nothing decides)', () => {
    const a = artifacts('h78-07-docker-firewalld', { log: read('h78-07-docker-firewalld', 'var/log/messages').replace(/^.*msg="Docker daemon".*$/m, '') });
    expect(dockerVersion(a as never)).toBeUndefined();
  });
});

describe('iptables.service-conflict with firewalld (R25 07 and 29)', () => {
  it('07: Docker 26.1.3 from the log: a warning naming the version, docker0 already zoned, the nftables back end hedged', () => {
    const [f, ...rest] = runNode(serviceConflict, artifacts('h78-07-docker-firewalld') as never, 'rhel9fw');
    expect(rest).toEqual([]);
    expect(f.severity).toBe('warning');
    expect(f.message).toMatch(/FirewallBackend=nftables \(etc\/firewalld\/firewalld\.conf:2\)/);
    expect(f.message).toMatch(/firewalld#863/);
    expect(f.message).not.toMatch(/Each firewalld restart or reload rebuilds its rules and removes/);
    expect(f.message).toMatch(/Docker 26\.1\.3 \(dockerd's latest logged start, var\/log\/messages:10\) does not re-create all its rules when firewalld reloads \(its network-isolation rules stay gone until 28\.0, CVE-2025-54410\)/);
    expect(f.message).toMatch(/docker0 is in the docker zone already \(etc\/firewalld\/zones\/docker\.xml:4\)/);
    expect(f.remedy.commands.some((c) => /--add-interface=docker0/.test(c))).toBe(false);
    expect(f.remedy.summary).toMatch(/already \(docker0: docker\)/);
    expect(f.evidence.some((e) => e.file === 'var/log/messages' && e.line === 10)).toBe(true);
  });

  it('07 without the zone file: docker0 is to be added, still a warning', () => {
    const [f] = runNode(serviceConflict, artifacts('h78-07-docker-firewalld', { zone: false }) as never, 'rhel9fw');
    expect(f.severity).toBe('warning');
    expect(f.remedy.commands).toContain('firewall-cmd --permanent --zone=trusted --add-interface=docker0');
  });

  it('FirewallBackend=iptables: the flush of every iptables table is said plainly', () => {
    const [f] = runNode(serviceConflict, artifacts('h78-07-docker-firewalld', { conf: 'DefaultZone=public\nFirewallBackend=iptables\n' }) as never, 'rhel9fw');
    expect(f.severity).toBe('warning');
    expect(f.message).toMatch(/With FirewallBackend=iptables \(etc\/firewalld\/firewalld\.conf:2\) each firewalld restart or reload flushes every iptables table/);
  });

  it('29 (healthy): Docker 28.5.1 from docker info and docker0 in the docker zone: no finding (whole sos tree)', async () => {
    const r = await analyzeBundle(root('h78-29-docker285-firewalld'));
    expect(r.findings.filter((x) => x.id === 'iptables.service-conflict')).toEqual([]);
  });

  it('07 through the whole sos tree: the finding is there (so the healthy 29 case above is not silent for want of reading)', async () => {
    const r = await analyzeBundle(root('h78-07-docker-firewalld'));
    const f = r.findings.filter((x) => x.id === 'iptables.service-conflict');
    expect(f.map((x) => x.severity)).toEqual(['warning']);
    expect(f[0].remedy.commands.some((c) => /--add-interface=docker0/.test(c))).toBe(false);
  });

  it('29 with docker0 not in a zone: an info, the bridge to add, no docker restart', () => {
    const c = 'h78-29-docker285-firewalld';
    const info = parseDockerInfo(read(c, 'sos_commands/docker/docker_info'), 'sos_commands/docker/docker_info', { relPath: 'sos_commands/docker/docker_info' });
    const [f] = runNode(serviceConflict, { ...artifacts(c, { zone: false }), dockerDaemon: [info] } as never, 'rhel9fw');
    expect(f.severity).toBe('info');
    expect(f.message).toMatch(/Docker 28\.5\.1 re-creates its rules when firewalld reloads \(28\.3\.3\+, moby#50506\)/);
    expect(f.remedy.commands).toContain('firewall-cmd --permanent --zone=trusted --add-interface=docker0');
    expect(f.remedy.commands.some((c2) => /restart docker/.test(c2.split('#')[0]))).toBe(false);
  });

  it('29 from the log line alone (no docker info), zoned: no finding either', () => {
    expect(runNode(serviceConflict, artifacts('h78-29-docker285-firewalld') as never, 'rhel9fw')).toEqual([]);
  });
});
