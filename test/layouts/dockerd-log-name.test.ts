/**
 * A hand-made bundle's `docker.log` / `dockerd.log` is dockerd's log: its lines without a prefix
 * (dockerd's own stderr: `failed to start daemon: ...`) are dockerd's (reviewer's s04).
 */
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { isGenericLogName, logSourceOf } from '../../src/layouts/logs.js';
import { writeFolder } from '../helpers/archive.js';

const DOCKERD_STDERR = [
  'INFO[2023-06-18T20:20:37.183475780-07:00] Starting up',
  'INFO[2023-06-18T20:20:37.198218291-07:00] [graphdriver] trying configured driver: overlay2',
  'failed to start daemon: error initializing graphdriver: overlay2: unknown option overlay2.override_kernel_check: overlay2',
  'INFO[2023-06-18T20:20:37.198929033-07:00] stopping event stream following graceful shutdown  error="context canceled" module=libcontainerd namespace=plugins.moby',
  '',
].join('\n');
// Docker's chains in place (the ticket's iptables-save): nothing else to diagnose on the node
const SAVE = [
  '*filter',
  ':INPUT ACCEPT [0:0]',
  ':FORWARD ACCEPT [0:0]',
  ':OUTPUT ACCEPT [0:0]',
  ':DOCKER - [0:0]',
  ':DOCKER-ISOLATION - [0:0]',
  '-A FORWARD -j DOCKER-ISOLATION',
  '-A FORWARD -o docker0 -j DOCKER',
  '-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
  '-A FORWARD -i docker0 ! -o docker0 -j ACCEPT',
  '-A FORWARD -i docker0 -o docker0 -j ACCEPT',
  '-A DOCKER-ISOLATION -j RETURN',
  'COMMIT',
  '*nat',
  ':PREROUTING ACCEPT [0:0]',
  ':INPUT ACCEPT [0:0]',
  ':OUTPUT ACCEPT [0:0]',
  ':POSTROUTING ACCEPT [0:0]',
  ':DOCKER - [0:0]',
  '-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER',
  '-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER',
  '-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE',
  '-A DOCKER -i docker0 -j RETURN',
  'COMMIT',
  '',
].join('\n');

describe('docker.log of a hand-made bundle', () => {
  it('anywhere in the folder, docker.log and dockerd.log (rotated too) are the docker unit; other names say nothing', () => {
    for (const p of ['ticket-9/node-a/docker.log', 'dockerd.log', 'ticket/host1/logs/dockerd.log.1', 'x/docker.log.gz']) expect(logSourceOf(p), p).toEqual({ unit: 'docker' });
    for (const p of ['ticket-9/node-a/app.log', 'ticket/my-docker.log', 'ticket/docker-compose.log']) expect(logSourceOf(p), p).toEqual({});
    // still kept when small, so that a command's output saved under that name is sniffed as what it is
    expect(isGenericLogName('ticket-9/node-a/docker.log')).toBe(true);
    expect(isGenericLogName('var/log/docker.log')).toBe(false);
  });

  it("dockerd's start failure in node-a/docker.log is found (it was not: no unit)", async () => {
    const dir = writeFolder({ 'node-a/docker.log': DOCKERD_STDERR, 'node-a/iptables-save.txt': SAVE }, 'ticket-9');
    const r = await analyzeBundle(dir);
    const f = r.findings.find((x) => x.id === 'log.docker-start-failed');
    expect(f?.evidence[0]).toMatchObject({ file: 'node-a/docker.log', line: 3, note: 'docker' });
    // dockerd printed the line on stderr without logrus' prefix: it has no time of its own
    expect(f?.evidence[0].time).toBeUndefined();
  });

  it('the same line in a log that is not dockerd\'s is not a Docker start failure', async () => {
    const dir = writeFolder({ 'node-a/app.log': DOCKERD_STDERR, 'node-a/iptables-save.txt': SAVE }, 'ticket-9');
    const r = await analyzeBundle(dir);
    expect(r.findings.map((x) => x.id)).not.toContain('log.docker-start-failed');
  });
});
