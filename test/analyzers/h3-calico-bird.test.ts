/**
 * BIRD's own lines in calico-node's log, read by log.calico-bgp-not-established beside the readiness
 * probe's "BGP not established with".
 *
 * Real text:
 * - test/fixtures/h3-logs/bird-*.log: BIRD 1.6.8 (Debian's bird package; Calico's BIRD is a 1.6 fork) run
 *   here in throw-away network namespaces as calico-node runs it (`bird -d`, lines prefixed `bird: `), with
 *   Calico's session names (Mesh_<peer>): see test/fixtures/h3-logs/README.md.
 * - projectcalico/calicoctl#819 (`bird: Mesh_10_0_5_102: Socket error: bind: Address not available`, the
 *   node's registered address not on it), projectcalico/node#522 (`Socket error: bind: Address in use`),
 *   projectcalico/calicoctl#1071 (`bird: BGP: Unexpected connect from unknown address 10.40.0.0 (port 39193)`),
 *   projectcalico/calicoctl#900 (a healthy mesh session coming up), and calico-node's log as a public
 *   Calico install note quotes it where first-found autodetection took a Docker network's 172.18.0.1
 *   (`bird: Mesh_172_18_0_1: Received: Connection rejected`, after cnblogs.com/janeysj/p/13752994.html).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import logSignatures from '../../analyzers/log-signatures.js';
import type { FindingDraft } from '../../src/engine/analyzer.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { scanLogText } from '../../src/logs/index.js';
import { projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const read = (name: string) => readFileSync(projectPath('test/fixtures/h3-logs', name), 'utf8');
const ID = 'log.calico-bgp-not-established';

function finding(log: string, host: NodeArtifacts = {}): FindingDraft | undefined {
  const scanned = scanLogText(log, 'calico-node.log', { year: 2026, source: { namespace: 'kube-system', pod: 'calico-node-x7k2p', container: 'calico-node' } });
  return runNode(logSignatures, { ...host, logs: [scanned] }).find((f) => f.id === ID);
}

describe("BIRD's lines in calico-node's log", () => {
  it('BIRD 1.6.8 here: a peer refusing TCP 179 and a peer with no route: a warning naming both peers, the port checks', () => {
    const f = finding(read('bird-refused-unreachable.log'))!;
    expect(f).toBeDefined();
    expect(f.severity).toBe('warning');
    // four refusals, two unreachable: the state lines (start, Connect delayed, Connecting) do not count
    expect(f.facts?.count).toBe(6);
    expect(f.facts?.peers).toEqual(['10.99.0.2', '10.99.0.7']);
    expect(f.message).toContain("the peer refused BIRD's connection to TCP 179");
    expect(f.message).toContain('the peer did not answer on TCP 179, or no route leads to it');
    expect(f.remedy.commands).toEqual(expect.arrayContaining(["nc -zv -w 3 10.99.0.2 179   # BGP's port on the peer", "nc -zv -w 3 10.99.0.7 179   # BGP's port on the peer"]));
    expect(f.evidence[0].excerpt).toBe('bird: Mesh_10_99_0_2: Connection lost (Connection refused)');
  });

  it("BIRD 1.6.8 here, and calicoctl#819: the session's local address not on the node: BIRD cannot bind it", () => {
    const here = finding(read('bird-bind-not-local.log'))!;
    expect(here.facts?.birdErrors).toEqual(['bind: Cannot assign requested address']);
    expect(here.message).toContain('BIRD cannot bind the local address Calico registered');
    const log = [
      '2016-06-15_07:13:07.98666 bird: Mesh_10_0_5_102: Socket error: bind: Address not available',
      '2016-06-15_07:13:11.99522 bird: Mesh_10_0_5_102: Socket error: bind: Address not available',
      '2016-06-15_07:13:17.00205 bird: Mesh_10_0_5_102: Socket error: bind: Address not available',
    ].join('\n');
    const f = finding(log)!;
    expect(f.severity).toBe('warning');
    expect(f.facts?.peers).toEqual(['10.0.5.102']);
    expect(f.message).toContain('BIRD cannot bind the local address Calico registered');
  });

  it('node#522: another process holds TCP 179', () => {
    const f = finding('bird: Mesh_10_250_10_60: Socket error: bind: Address in use\nbird: Mesh_10_250_19_13: Socket error: bind: Address in use\nbird: Mesh_10_250_21_169: Socket error: bind: Address in use\n')!;
    expect(f.facts?.peers).toEqual(['10.250.10.60', '10.250.19.13', '10.250.21.169']);
    expect(f.message).toContain('another process (another BGP daemon) holds TCP 179');
  });

  it('a peer rejecting sessions from a Docker network\'s gateway (Mesh_172_18_0_1): the autodetection fix, hedged', () => {
    const log = 'bird: device1: State changed to up\nbird: direct1: State changed to up\nbird: Mesh_172_18_0_1: Received: Connection rejected\nbird: Mesh_172_18_0_1: Received: Connection rejected\nbird: Mesh_172_18_0_1: Received: Connection rejected\n';
    const f = finding(log)!;
    expect(f.severity).toBe('warning');
    expect(f.facts?.peers).toEqual(['172.18.0.1']);
    expect(f.message).toContain("172.18.0.1 looks like a Docker or libvirt bridge's gateway");
    expect(f.message).toContain('the peer rejected the session (BGP Cease: Connection rejected)');
    expect(f.remedy.commands[0]).toMatch(/nodeAddressAutodetectionV4/);
  });

  it('BIRD 1.6.8 here and calicoctl#1071: a connection from an address no peer has is named', () => {
    const here = finding(read('bird-unknown-peer.log'))!;
    expect(here.facts?.unknownAddresses).toEqual(['10.99.0.1']);
    expect(here.message).toContain('a node connected from 10.99.0.1, which no Calico node registered');
    // the same run: its own session to 10.99.0.5 has no route
    expect(here.facts?.peers).toEqual(['10.99.0.5']);
    const f = finding('bird: Mesh_10_254_77_1: Connecting to 10.254.77.1 from local address 10.40.0.0\nbird: Mesh_10_254_77_1: Connected\nbird: BGP: Unexpected connect from unknown address 10.40.0.0 (port 39193)\n')!;
    expect(f.severity).toBe('info');
    expect(f.facts?.unknownAddresses).toEqual(['10.40.0.0']);
  });

  it("BIRD's refusals and unreachable peers are not an application's failed connections (no log.connection-refused, log.no-route-to-host)", () => {
    const scanned = scanLogText(read('bird-refused-unreachable.log'), 'calico-node.log', { year: 2026 });
    expect(Object.keys(scanned.counts)).toEqual([ID]);
    // an application's refusal in the same log still is one
    const app = scanLogText('dial tcp 10.96.0.1:443: connect: connection refused\n', 'calico-node.log');
    expect(Object.keys(app.counts)).toEqual(['log.connection-refused']);
  });

  it("the probe's line and BIRD's in one log: one finding, the peers of both", () => {
    const log = `calico/node is not ready: BIRD is not ready: BGP not established with 10.99.0.2\n${read('bird-refused-unreachable.log')}`;
    const f = finding(log)!;
    expect(f.facts?.peers).toEqual(['10.99.0.2', '10.99.0.7']);
    expect(f.facts?.count).toBe(7);
  });

  it('healthy: BIRD 1.6.8 bringing a session up (Connection closed, graceful restart, State changed to start) and calicoctl#900 do not fire', () => {
    expect(finding(read('bird-established.log'))).toBeUndefined();
    const log = [
      '2016-03-30_19:46:40.88700 bird: Mesh_10_121_43_95: Incoming connection from 10.121.43.95 (port 52542) accepted',
      '2016-03-30_19:46:40.88701 bird: Mesh_10_121_43_95: Sending OPEN(ver=4,as=64511,hold=240,id=0a790014)',
      '2016-03-30_19:46:40.88702 bird: Mesh_10_121_43_95: Got OPEN(as=64511,hold=240,id=0a792b5f)',
      '2016-03-30_19:46:40.88777 bird: Mesh_10_121_43_95: BGP session established',
      '2016-03-30_19:46:40.88778 bird: Mesh_10_121_43_95: State changed to wait',
      '2016-03-30_19:46:42.93001 bird: Mesh_10_121_42_193: Connecting to 10.121.42.193 from local address 10.121.0.20',
    ].join('\n');
    expect(finding(log)).toBeUndefined();
  });

  it('healthy: another program\'s "Socket error" or "Connection lost" is not BIRD\'s', () => {
    const log = [
      'Nov 20 10:00:00 node-1 dockerd[912]: time="2026-11-20T10:00:00Z" level=warning msg="grpc: Socket error: read: connection reset"',
      '2023-02-22 10:24:45.652 <TRACE> NBR-gateway-v4-a: Connection lost (Connection refused)',
    ].join('\n');
    expect(finding(log)).toBeUndefined();
  });
});
