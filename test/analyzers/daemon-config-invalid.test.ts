/**
 * docker.daemon-config-invalid (analyzers/docker-daemon-config-invalid.ts). Real text only
 * (test/fixtures/daemon-config/README.md):
 * - docker/docs#7351: `"iptables": "false"` and dockerd's `json: cannot unmarshal string into Go struct
 *   field Config.iptables of type bool`. https://github.com/docker/docs/issues/7351
 * - docker/for-linux#732: daemon.json `"hosts"` and `... specified both as a flag and in the configuration
 *   file: hosts: (from flag: [fd://], ...)`. https://github.com/docker/for-linux/issues/732
 * - moby/moby#20317: docker.service with `ExecStart=/usr/bin/docker daemon -H fd://`. https://github.com/moby/moby/issues/20317
 * - canonical/microk8s#36: `... the following directives don't match any configuration option: data-root`
 *   (the journal only). https://github.com/canonical/microk8s/issues/36
 * - moby/moby#44905: four quoted booleans. https://github.com/moby/moby/issues/44905
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import analyzer from '../../analyzers/docker-daemon-config-invalid.js';
import { scanLogText, SIGNATURES } from '../../src/logs/index.js';
import { DAEMON_CONFIG_LOG_SIGNATURE, parseDockerDaemonJson } from '../../src/parsers/docker-daemon.js';
import { parseDockerUnit } from '../../src/parsers/dockerd-flags.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const fx = (p: string) => readFileSync(projectPath('test/fixtures/daemon-config', p), 'utf8');
// once src/logs/signatures.ts holds it, the catalog's own entry is replaced, not doubled
const CATALOG = [...SIGNATURES.filter((s) => s.id !== DAEMON_CONFIG_LOG_SIGNATURE.id), DAEMON_CONFIG_LOG_SIGNATURE];
const log = (text: string, file: string) => scanLogText(text, file, { catalog: CATALOG, year: 2019 });
const json = (p: string, text = fx(p)) => parseDockerDaemonJson(text, p);
const UNIT_20317 = () => parseDockerUnit(fx('moby-20317/usr/lib/systemd/system/docker.service'), 'docker.service', 'usr/lib/systemd/system/docker.service');
const run = (a: NodeArtifacts) => runNode(analyzer, a);

describe('docker.daemon-config-invalid: a quoted boolean (docs#7351)', () => {
  it('warns without a log: dockerd refuses the file at its next start', () => {
    const [f, ...rest] = run({ dockerDaemon: [json('docs-7351/etc/docker/daemon.json')] });
    expect(rest).toEqual([]);
    expect(f.severity).toBe('warning');
    expect(f.title).toBe('dockerd refuses this daemon.json at its next start');
    expect(f.evidence[0]).toMatchObject({ file: 'docs-7351/etc/docker/daemon.json', line: 3, excerpt: '"iptables": "false"' });
    expect(f.message).toContain('json: cannot unmarshal string into Go struct field Config.iptables of type bool');
    expect(f.remedy.commands?.[0]).toBe(`sed -i -E 's/("iptables"[[:space:]]*:[[:space:]]*)"(true|false)"/\\1\\2/' /etc/docker/daemon.json`);
  });

  it('critical where the log shows dockerd refusing it for that key', () => {
    const [f] = run({ dockerDaemon: [json('docs-7351/etc/docker/daemon.json')], logs: [log(fx('docs-7351/journal.txt'), 'journal.txt')] });
    expect(f.severity).toBe('critical');
    expect(f.evidence.at(-1)).toMatchObject({ file: 'journal.txt', line: 1 });
  });

  it('the remedy\'s sed fixes the real file, and a second run changes nothing (run here with GNU sed)', () => {
    const [f] = run({ dockerDaemon: [json('docs-7351/etc/docker/daemon.json')] });
    const dir = mkdtempSync(join(tmpdir(), 'h11-daemon-'));
    const file = join(dir, 'daemon.json');
    writeFileSync(file, fx('docs-7351/etc/docker/daemon.json'));
    const sed = f.remedy.commands![0].replace('/etc/docker/daemon.json', file);
    execFileSync('sh', ['-c', sed]);
    const once = readFileSync(file, 'utf8');
    expect(once).toContain('"iptables": false');
    expect(parseDockerDaemonJson(once, 'daemon.json').invalid).toBeUndefined();
    execFileSync('sh', ['-c', sed]);
    expect(readFileSync(file, 'utf8')).toBe(once);
    rmSync(dir, { recursive: true, force: true });
    // and the fixed file is healthy
    expect(run({ dockerDaemon: [parseDockerDaemonJson(once, 'daemon.json')] })).toEqual([]);
  });

  it('four quoted booleans (moby#44905): one finding, every key cited, one sed each', () => {
    const text = '{\n    "ipv6": "true",\n    "fixed-cidr-v6": "fd00::/64",\n    "ip6tables": "true",\n    "experimental": "true"\n}\n';
    const [f, ...rest] = run({ dockerDaemon: [parseDockerDaemonJson(text, 'etc/docker/daemon.json')] });
    expect(rest).toEqual([]);
    expect(f.facts?.keys).toEqual(['ipv6', 'ip6tables', 'experimental']);
    expect(f.remedy.commands?.filter((c) => c.startsWith('sed '))).toHaveLength(3);
  });
});

describe('docker.daemon-config-invalid: a setting both as a flag and in the file', () => {
  it('"hosts" in daemon.json with docker.service\'s -H fd:// (moby#20317 + for-linux#732): warning without a log', () => {
    const [f] = run({ dockerDaemon: [json('for-linux-732/etc/docker/daemon.json'), UNIT_20317()] });
    expect(f.severity).toBe('warning');
    expect(f.facts).toMatchObject({ keys: ['hosts'], kinds: ['conflict'] });
    expect(f.evidence.map((e) => [e.file, e.line])).toEqual([
      ['for-linux-732/etc/docker/daemon.json', 2],
      ['docker.service', 9],
    ]);
    expect(f.evidence[1].note).toContain('-H fd://');
  });

  it('the remedy\'s drop-in (ExecStart without -H fd://) ends the conflict: run here, then read back with the unit', () => {
    const [f] = run({ dockerDaemon: [json('for-linux-732/etc/docker/daemon.json'), UNIT_20317()] });
    const printf = f.remedy.commands!.find((c) => c.startsWith('printf '))!;
    const dir = mkdtempSync(join(tmpdir(), 'h11-dropin-'));
    execFileSync('sh', ['-c', printf.replace('/etc/systemd/system/docker.service.d/zz-daemon-json.conf', join(dir, 'zz.conf'))]);
    const dropIn = readFileSync(join(dir, 'zz.conf'), 'utf8');
    rmSync(dir, { recursive: true, force: true });
    expect(dropIn).toBe('[Service]\nExecStart=\nExecStart=/usr/bin/docker daemon\n');
    const unit = parseDockerUnit(dropIn, 'zz.conf', 'etc/systemd/system/docker.service.d/zz-daemon-json.conf');
    expect(run({ dockerDaemon: [json('for-linux-732/etc/docker/daemon.json'), UNIT_20317(), unit] })).toEqual([]);
  });

  it('critical with the syslog line of for-linux#732', () => {
    const [f] = run({ dockerDaemon: [json('for-linux-732/etc/docker/daemon.json'), UNIT_20317()], logs: [log(fx('for-linux-732/syslog'), 'syslog')] });
    expect(f.severity).toBe('critical');
    expect(f.title).toBe('dockerd does not start: it refuses its daemon.json');
  });

  it('quiet where the unit passes no flag the file also sets (docs#7351 fixed beside moby#20317\'s unit)', () => {
    const fixed = parseDockerDaemonJson(fx('docs-7351/etc/docker/daemon.json').replace('"false"', 'false'), 'daemon.json');
    expect(run({ dockerDaemon: [fixed, UNIT_20317()] })).toEqual([]);
  });
});

describe('docker.daemon-config-invalid: the log alone', () => {
  it('an unknown key (microk8s#36): critical from the journal, the file not in the bundle', () => {
    const text = [
      'May 31 09:28:14 markmandel microk8s.daemon-docker[15934]: unable to configure the Docker daemon with file /etc/docker/daemon.json: the following directives don\'t match any configuration option: data-root',
      'May 31 09:28:14 markmandel systemd[1]: snap.microk8s.daemon-docker.service: Main process exited, code=exited, status=1/FAILURE',
    ].join('\n');
    const [f] = run({ logs: [log(text, 'journal')] });
    expect(f.severity).toBe('critical');
    expect(f.facts?.keys).toEqual(['data-root']);
    expect(f.evidence[0]).toMatchObject({ file: 'journal', line: 1 });
  });

  it('without the proposed signature the catalog does not know the line (nothing to report from it)', () => {
    const without = SIGNATURES.filter((s) => s.id !== DAEMON_CONFIG_LOG_SIGNATURE.id);
    expect(scanLogText(fx('for-linux-732/syslog'), 'syslog', { year: 2019, catalog: without }).matches).toEqual([]);
  });
});
