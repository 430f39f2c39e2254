/**
 * docker.rootless-source-ip (analyzers/docker-rootless-source-ip.ts) and the rootless signs it reads
 * (src/parsers/docker-rootless.ts). Real text only (test/fixtures/rootless/README.md):
 * - moby/moby#41789: the rootless dockerd's journal (`dockerd-rootless.sh[1069]`, `API listen on
 *   /run/user/1001/docker.sock`); nginx saw 172.28.0.1 for every client. https://github.com/moby/moby/issues/41789
 * - rootless-containers/rootlesskit#434: `systemctl --user status docker`, RootlessKit with `--port-driver=builtin`.
 * - moby/moby discussion #45337: `ps aux` with RootlessKit `--port-driver=slirp4netns` (keeps the client address).
 * - rootless-containers/rootlesskit#250: the override.conf setting DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER="slirp4netns".
 * - the rootful dockerd log of test/fixtures/log-signatures-r4 (`API listen on /var/run/docker.sock`).
 * - `docker ps` listings of test/fixtures/h2-docker-ps (real; see its README).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import analyzer from '../../analyzers/docker-rootless-source-ip.js';
import { scanLogText, SIGNATURES } from '../../src/logs/index.js';
import { parseDockerPs } from '../../src/parsers/docker-ps.js';
import { parseDockerUnit } from '../../src/parsers/dockerd-flags.js';
import { parseSystemctlText } from '../../src/parsers/services.js';
import type { DockerDaemonConfig } from '../../src/parsers/docker-daemon.js';
import { ROOTLESS_LOG_SIGNATURE, rootlessDocker, scanRootless } from '../../src/parsers/docker-rootless.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const fx = (p: string) => readFileSync(projectPath('test/fixtures', p), 'utf8');
const JOURNAL = 'rootless/moby-41789-journalctl-u-docker.txt';
const STATUS_434 = 'rootless/rootlesskit-434-systemctl-user-status-docker.txt';
const PS_45337 = 'rootless/discussion-45337-ps-aux-grep-slirp.txt';
const OVERRIDE_250 = 'rootless/rootlesskit-250/home/user/.config/systemd/user/docker.service.d/override.conf';
/** published on 0.0.0.0 and [::] (Docker 28) */
const PS_PUBLISHED = () => parseDockerPs(fx('h2-docker-ps/docker-ps-docker28-brackets.txt'), 'docker_ps');
/** published on 127.0.0.1 only */
const PS_LOOPBACK = () => parseDockerPs(fx('h2-docker-ps/docker-ps-loopback.txt'), 'docker_ps');
/** the catalog with the proposed signature (src/logs/signatures.ts does not hold it yet) */
// once src/logs/signatures.ts holds it, the catalog's own entry is replaced, not doubled
const CATALOG = [...SIGNATURES.filter((s) => s.id !== ROOTLESS_LOG_SIGNATURE.id), ROOTLESS_LOG_SIGNATURE];
const journal = (p: string, file = 'journalctl-u-docker.txt') => scanLogText(fx(p), file, { catalog: CATALOG, year: 2020 });
/**
 * What the proposed one-line hooks give (report: parseSystemctlText and parsePsDockerd keep
 * scanRootless of their text as `rootless`): the real parser's output with that field.
 */
const statusOf = (p: string, file: string) => ({ ...parseSystemctlText(fx(p), file), rootless: scanRootless(fx(p), file) });
/** `ps aux | grep slirp` has no header, so no ps parser reads it: only what scanRootless finds, on a listing without dockerd */
const psGrepOf = (p: string, file: string): DockerDaemonConfig => ({ file, origin: 'process', processes: [], rootless: scanRootless(fx(p), file) });
const rootlessOf = (p: string, file: string) => scanRootless(fx(p), file);
const run = (a: NodeArtifacts) => runNode(analyzer, a);

describe('scanRootless: the signs of rootless Docker', () => {
  it('RootlessKit\'s CGroup line gives the port driver and the network (rootlesskit#434)', () => {
    const r = rootlessOf(STATUS_434, 'status.txt');
    expect(r.portDriver).toMatchObject({ value: 'builtin', from: 'flag', ref: { file: 'status.txt', line: 12 } });
    expect(r.net).toMatchObject({ value: 'slirp4netns', from: 'flag', ref: { line: 12 } });
    expect(r.clues.map((c) => [c.kind, c.ref.line])).toEqual(
      expect.arrayContaining([
        ['user-unit', 11],
        ['rootlesskit', 12],
      ]),
    );
    // /proc/self/exe is RootlessKit's child: it is not taken for a second RootlessKit
    expect(r.clues.some((c) => c.kind === 'rootlesskit' && c.ref.line === 13)).toBe(false);
  });

  it('the journal of moby#41789: dockerd-rootless.sh lines and the API socket in /run/user/1001', () => {
    const r = scanRootless(fx(JOURNAL), 'j');
    expect(r.clues.find((c) => c.kind === 'api-socket')).toMatchObject({ user: '1001', ref: { line: 6 } });
    expect(r.clues.filter((c) => c.kind === 'dockerd-rootless.sh')).toHaveLength(6);
    expect(r.portDriver).toBeUndefined();
  });

  it('dockerd-rootless.sh\'s set -x trace (moby#41789): its tag counts, `which rootlesskit` is no RootlessKit command line', () => {
    const r = scanRootless(fx('rootless/moby-41789-journal-trace.txt'), 't');
    expect(r.clues.filter((c) => c.kind === 'rootlesskit')).toEqual([]);
    expect(r.clues.filter((c) => c.kind === 'dockerd-rootless.sh')).toHaveLength(19);
    expect(r.portDriver).toBeUndefined();
    expect(scanLogText(fx('rootless/moby-41789-journal-trace.txt'), 't', { catalog: CATALOG, year: 2020 }).matches.filter((m) => m.signature === 'log.docker-rootless')).toEqual([]);
  });

  it('a rootful dockerd\'s "API listen on /var/run/docker.sock" is no sign', () => {
    expect(scanRootless(fx('log-signatures-r4/vpn-docker-daemon.log'), 'd').clues).toEqual([]);
  });

  it('the proposed signature log.docker-rootless matches the API socket line, and only it, of the journal', () => {
    const l = journal(JOURNAL);
    const m = l.matches.filter((x) => x.signature === 'log.docker-rootless');
    expect(m.map((x) => [x.line, x.facts.uid])).toEqual([[6, '1001']]);
    expect(scanLogText(fx('log-signatures-r4/vpn-docker-daemon.log'), 'd', { catalog: CATALOG }).matches.some((x) => x.signature === 'log.docker-rootless')).toBe(false);
  });
});

describe('docker.rootless-source-ip', () => {
  it('fires (info) on RootlessKit with --port-driver=builtin and ports published on 0.0.0.0 (rootlesskit#434)', () => {
    const [f, ...rest] = run({ dockerPs: [PS_PUBLISHED()], services: [statusOf(STATUS_434, 'systemctl-user-status-docker.txt')] });
    expect(rest).toEqual([]);
    expect(f.severity).toBe('info');
    expect(f.facts).toMatchObject({ portDriver: 'builtin', portDriverFrom: 'flag', net: 'slirp4netns' });
    expect(f.message).toContain('--port-driver=builtin (systemctl-user-status-docker.txt:12)');
    expect(f.message).toContain('0.0.0.0:8081->8081/tcp (superset_app)');
    expect(f.evidence[0]).toMatchObject({ file: 'systemctl-user-status-docker.txt', line: 12 });
    expect(f.evidence.filter((e) => e.file === 'docker_ps').map((e) => e.line)).toEqual([5, 6, 8]);
    expect(f.remedy.commands?.join('\n')).toContain('DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER=slirp4netns');
    expect(f.remedy.summary).toContain('IPv4 only');
  });

  it('fires with the default driver where only the journal shows rootless Docker (moby#41789)', () => {
    const [f] = run({ dockerPs: [PS_PUBLISHED()], logs: [journal(JOURNAL)] });
    expect(f.facts).toMatchObject({ portDriver: 'builtin', portDriverFrom: 'default' });
    expect(f.evidence[0]).toMatchObject({ file: 'journalctl-u-docker.txt', line: 6 });
    expect(f.message).toContain('nothing in the bundle sets DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER');
  });

  it('quiet with RootlessKit on --port-driver=slirp4netns (discussion #45337)', () => {
    expect(run({ dockerPs: [PS_PUBLISHED()], dockerDaemon: [psGrepOf(PS_45337, 'ps.txt')] })).toEqual([]);
  });

  it('quiet where the user\'s override sets the slirp4netns driver (rootlesskit#250)', () => {
    const unit = parseDockerUnit(fx(OVERRIDE_250), 'override.conf', 'home/user/.config/systemd/user/docker.service.d/override.conf');
    expect(rootlessDocker({ dockerDaemon: [unit] }).portDriver).toMatchObject({ value: 'slirp4netns', from: 'environment' });
    expect(run({ dockerPs: [PS_PUBLISHED()], logs: [journal(JOURNAL)], dockerDaemon: [unit] })).toEqual([]);
  });

  it('RootlessKit still runs builtin while the override (rootlesskit#250) sets slirp4netns: fires, and says a restart applies it', () => {
    const unit = parseDockerUnit(fx(OVERRIDE_250), 'override.conf', 'home/user/.config/systemd/user/docker.service.d/override.conf');
    const [f] = run({ dockerPs: [PS_PUBLISHED()], services: [statusOf(STATUS_434, 'status.txt')], dockerDaemon: [unit] });
    expect(f.facts).toMatchObject({ portDriver: 'builtin', portDriverFrom: 'flag' });
    expect(f.message).toContain('override.conf:2 already sets the slirp4netns port driver, but RootlessKit was started before it');
  });

  it('quiet once the remedy\'s own drop-in is in place', () => {
    const f = run({ dockerPs: [PS_PUBLISHED()], logs: [journal(JOURNAL)] })[0];
    const printf = f.remedy.commands!.find((c) => c.startsWith('printf '))!;
    // the text printf writes: its \n escapes, its double quotes
    const body = /^printf '([^']*)'/.exec(printf)![1].replace(/\\n/g, '\n');
    const unit = parseDockerUnit(body, 'source-ip.conf', 'home/u/.config/systemd/user/docker.service.d/source-ip.conf');
    expect(run({ dockerPs: [PS_PUBLISHED()], logs: [journal(JOURNAL)], dockerDaemon: [unit] })).toEqual([]);
  });

  it('quiet on rootful Docker (its log says API listen on /var/run/docker.sock)', () => {
    expect(run({ dockerPs: [PS_PUBLISHED()], logs: [scanLogText(fx('log-signatures-r4/vpn-docker-daemon.log'), 'docker.log', { catalog: CATALOG })] })).toEqual([]);
  });

  it('quiet where every port is published on 127.0.0.1 only', () => {
    expect(run({ dockerPs: [PS_LOOPBACK()], services: [statusOf(STATUS_434, 's.txt')] })).toEqual([]);
  });

  it('without the proposed signature the journal still shows it: the dockerd-rootless.sh tag of a line another signature matched', () => {
    const without = SIGNATURES.filter((s) => s.id !== ROOTLESS_LOG_SIGNATURE.id);
    const plain = scanLogText(fx(JOURNAL), 'j', { year: 2020, catalog: without });
    expect(plain.matches.map((m) => [m.signature, m.unit])).toEqual([['log.docker-daemon-initialized', 'dockerd-rootless.sh']]);
    const [f] = run({ dockerPs: [PS_PUBLISHED()], logs: [plain] });
    expect(f.evidence[0]).toMatchObject({ file: 'j', line: 5 });
    // a rootful dockerd's same line (unit dockerd) is no sign
    const rootful = scanLogText(fx(JOURNAL).replace(/dockerd-rootless\.sh\[/g, 'dockerd['), 'j', { year: 2020, catalog: without });
    expect(run({ dockerPs: [PS_PUBLISHED()], logs: [rootful] })).toEqual([]);
  });
});
