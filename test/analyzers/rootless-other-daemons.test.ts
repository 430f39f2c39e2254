/**
 * docker.rootless-source-ip must not take RootlessKit running another daemon for rootless Docker
 * (R8's F2): `rootlesskit --state-dir=/run/user/1000/containerd-rootless ... containerd-rootless.sh` is
 * nerdctl's rootless containerd; the ports docker ps lists are a rootful dockerd's. Real text:
 * test/fixtures/rootless-other (SOURCES.md). The same ps line with dockerd-rootless.sh still counts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const fx = (f: string) => readFileSync(projectPath('test/fixtures/rootless-other', f), 'utf8');
const ID = 'docker.rootless-source-ip';

describe('docker.rootless-source-ip: RootlessKit of another daemon', () => {
  it("nerdctl's rootless containerd beside docker ps' published ports: no finding", async () => {
    const r = await analyzeBundle(writeFolder({ 'ps_aux.txt': fx('ps_aux.txt'), 'docker_ps.txt': fx('docker_ps.txt') }, 'rootless-containerd'));
    expect(r.findings.map((f) => f.id)).not.toContain(ID);
  });

  it('the same RootlessKit line running dockerd-rootless.sh (state dir dockerd-rootless): the info finding', async () => {
    const ps = fx('ps_aux.txt').split('\n').slice(0, 1).join('\n').replace(/containerd-rootless/g, 'dockerd-rootless').replace('/usr/local/bin/dockerd-rootless.sh', '/usr/bin/dockerd-rootless.sh');
    const r = await analyzeBundle(writeFolder({ 'ps_aux.txt': `USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\n${ps}\n`, 'docker_ps.txt': fx('docker_ps.txt') }, 'rootless-dockerd'));
    expect(r.findings.filter((f) => f.id === ID)).toHaveLength(1);
  });
});
