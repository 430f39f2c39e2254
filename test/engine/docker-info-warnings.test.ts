/**
 * dockerd states its own warnings in `docker info` ("WARNING: IPv4 forwarding is disabled"). Since
 * docker info is parsed as an artifact (the engine version, Swarm, rootless), its text is also read by
 * the log catalog: the warnings stay evidence, with the file and line, as they were when the file was
 * scanned as a log. The docker info here is the real output of dockerd 20.10.24 in a namespace with
 * forwarding and bridge netfilter off (test/fixtures/docker-info/SOURCE.txt).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const INFO = readFileSync(projectPath('test/fixtures/docker-info/debian-20.10.24/docker-info-warnings.txt'), 'utf8');

describe("docker info's WARNING lines are log evidence", () => {
  it('docker info alone: the forwarding warning is a finding citing docker-info.txt:50; the node shows the engine', async () => {
    const report = await analyzeBundle(writeFolder({ 'docker-info.txt': INFO }, 'ticket-docker-info'));
    const fwd = report.findings.find((f) => f.id === 'log.ip-forward-disabled');
    expect(fwd?.evidence).toContainEqual(expect.objectContaining({ file: 'docker-info.txt', line: 50, excerpt: 'WARNING: IPv4 forwarding is disabled' }));
    expect(report.nodes[0].docker?.version).toBe('20.10.24+dfsg1');
    expect(report.coverage.nodes[0].artifacts.dockerDaemon).toEqual(['docker-info.txt']);
  });

  it('with sysctl showing ip_forward = 0: the critical cites the sysctl line and the warning', async () => {
    const report = await analyzeBundle(writeFolder({ 'docker-info.txt': INFO, 'sysctl-a.txt': 'net.ipv4.ip_forward = 0\nnet.bridge.bridge-nf-call-iptables = 1\n' }, 'ticket-docker-info'));
    const f = report.findings.find((x) => x.id === 'sysctl.ip-forward-disabled');
    expect(f?.severity).toBe('critical');
    expect(f?.evidence.map((e) => `${e.file}:${e.line}`)).toEqual(expect.arrayContaining(['sysctl-a.txt:1', 'docker-info.txt:50']));
    // folded into the diagnosis, not said twice
    expect(report.findings.map((x) => x.id)).not.toContain('log.ip-forward-disabled');
  });

  it('a healthy docker info (no warnings) adds no log finding', async () => {
    const healthy = INFO.split('\n').filter((l) => !l.startsWith('WARNING')).join('\n');
    const report = await analyzeBundle(writeFolder({ 'docker-info.txt': healthy }, 'ticket-docker-info'));
    expect(report.findings).toEqual([]);
  });
});
