/**
 * iptables.direct-routing-dropped on a Swarm node: Swarm's traffic between nodes goes over the
 * overlay (VXLAN to the node's address, decapsulated in the overlay's namespace), never to a task's
 * docker_gwbridge address, so Docker's direct-access drops for docker_gwbridge are left aside where
 * docker info says `Swarm: active`, and the coverage says so citing the line. `Swarm: inactive` is
 * no Swarm. The docker info texts are real (test/fixtures/docker-info/debian-20.10.24: the same
 * daemon before and after `docker swarm init`). The rules: Docker 28.2's of
 * test/fixtures/direct-routing/flannel-vxlan/docker28.2.iptables-save with its bridge renamed
 * docker_gwbridge and its subnet 172.18.0.0/16, loaded with the real iptables-restore in a namespace
 * and saved back (test/fixtures/swarm-gwbridge/README.md). The symptom: a client's timeout to the
 * protected address (the log-only path, which needs no way in).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import directRouting from '../../analyzers/iptables-direct-routing-dropped.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import type { FindingDraft } from '../../src/engine/analyzer.js';
import { scanLogText } from '../../src/logs/index.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { parseDockerInfo } from '../../src/parsers/docker-info.js';
import { parseSubnetEnv } from '../../src/parsers/flannel-env.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseRoutes } from '../../src/parsers/ip-route.js';
import { projectPath } from '../helpers/shared.js';

const fx = (...p: string[]) => readFileSync(projectPath('test/fixtures', ...p), 'utf8');
const ACTIVE = parseDockerInfo(fx('docker-info/debian-20.10.24/docker-info-swarm.txt'), 'docker-info.txt');
const INACTIVE = parseDockerInfo(fx('docker-info/debian-20.10.24/docker-info-warnings.txt'), 'docker-info.txt');
const TIMEOUT = scanLogText('nc: connect to 172.18.0.5 port 8080 (tcp) failed: Connection timed out\n', 'containers/client.log', { source: { container: 'client' } });
const swarmNode = (extra: NodeArtifacts = {}): NodeArtifacts => ({
  iptables: [parseIptablesSave(fx('swarm-gwbridge/iptables-save.txt'), 'iptables-save.txt')],
  logs: [TIMEOUT],
  ...extra,
});

function run(artifacts: NodeArtifacts): { findings: FindingDraft[]; partly: string[] } {
  const partly: string[] = [];
  if (directRouting.scope !== 'node') throw new Error('node analyzer');
  const findings = directRouting.analyze({ node: 'node-1', artifacts: artifacts as never, options: { requiredPorts: [] }, partly: (w) => partly.push(w) });
  return { findings, partly };
}

describe('direct-routing on a Swarm node', () => {
  it('the docker info texts say what the test needs', () => {
    expect(ACTIVE.engine?.swarm).toMatchObject({ value: 'active', ref: { line: 25 } });
    expect(INACTIVE.engine?.swarm?.value).toBe('inactive');
  });

  it('no docker info: the drop for docker_gwbridge and the timeout make the finding (as before)', () => {
    const { findings } = run(swarmNode());
    expect(findings).toHaveLength(1);
    expect(findings[0].facts).toMatchObject({ bridge: 'docker_gwbridge', dropped: ['172.18.0.5:8080'] });
  });

  it('Swarm: inactive is no Swarm: the finding stays', () => {
    const { findings, partly } = run(swarmNode({ dockerDaemon: [INACTIVE] }));
    expect(findings).toHaveLength(1);
    // nothing about Swarm; no way in is shown (no flannel, no route), so none is assumed either (R8's N4)
    expect(partly).toEqual([]);
  });

  it('Swarm: active: the docker_gwbridge drop is left aside, and the coverage cites docker info', () => {
    const { findings, partly } = run(swarmNode({ dockerDaemon: [ACTIVE] }));
    expect(findings).toEqual([]);
    expect(partly).toHaveLength(1);
    expect(partly[0]).toContain('iptables-save.txt:5');
    expect(partly[0]).toContain('docker-info.txt:25');
    expect(partly[0]).toContain('Swarm: active');
  });

  it("Swarm: active does not quiet docker0's drops: flannel routing into docker0 (moby#49792's rules) is still critical", () => {
    const DR = 'direct-routing';
    const a: NodeArtifacts = {
      iptables: [parseIptablesSave(fx(DR, 'flannel-vxlan/docker28.2.iptables-save'), 'iptables-save.txt')],
      ipAddr: [parseInterfaces(fx(DR, 'flannel-vxlan/ip_a.txt'), 'ip_a.txt')],
      routes: [parseRoutes(fx(DR, 'flannel-vxlan/ip_route.txt'), 'ip_route.txt')],
      flannelSubnetEnv: [parseSubnetEnv(fx(DR, 'flannel-vxlan/subnet.env'), 'subnet.env')],
      dockerDaemon: [ACTIVE],
    };
    const { findings, partly } = run(a);
    expect(findings.map((f) => f.severity)).toEqual(['critical']);
    expect(findings[0].facts).toMatchObject({ bridge: 'docker0' });
    expect(partly).toEqual([]);
  });
});
