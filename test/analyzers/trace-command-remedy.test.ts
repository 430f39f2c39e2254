/**
 * A connection failure's remedy said "trace the path to the peer" and left the engineer to write the
 * command (reviewer R5's W6). Where a line names its peer by address, the remedy now gives the
 * `bundle-doctor trace` line for it, with the client's address where the line holds one (Go's socket
 * pairs) and a placeholder where it does not. Real lines: kube-router#637's curl (R5's case 05,
 * test/fixtures/trace-remedy/kube-router637-curl.txt), flannel#1409's `dial tcp 10.96.0.1:443: i/o timeout`
 * (test/fixtures/ipvs), and lines written here in Go's `read tcp local->peer` shape (moby#33721's dockerd shows it).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import logSignatures from '../../analyzers/log-signatures.js';
import { scanLogText } from '../../src/logs/index.js';
import { projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const fx = (...p: string[]) => readFileSync(projectPath('test/fixtures', ...p), 'utf8');
const run = (text: string, file: string) => runNode(logSignatures, { logs: [scanLogText(text, file, { year: 2026 })] });
const traces = (f: { facts?: Record<string, unknown> } | undefined) => (f?.facts?.supportTrace as string[] | undefined) ?? [];

describe('the trace command in a connection failure remedy', () => {
  it("curl's peer and port: the trace line with the client's address left to fill in", () => {
    const [f] = run(fx('trace-remedy', 'kube-router637-curl.txt'), 'curl.txt').filter((x) => x.id === 'log.connection-timed-out');
    expect(traces(f)).toEqual(['bundle-doctor trace <bundle> --src <client address> --dst 10.42.13.240:80/tcp']);
    // a note for support, never among the customer's fix commands
    expect(f.remedy.commands.join('\n')).not.toMatch(/bundle-doctor/);
    expect(f.remedy.supportNote).toMatch(/^bundle-doctor trace <bundle> --src <client address> --dst 10\.42\.13\.240:80\/tcp shows .*the client address is the container's or pod's/);
  });

  it("Go's socket pair: the client's own address is the source; one line per peer", () => {
    const line = (port: number) => `time="2026-11-20T10:00:0${port % 10}Z" level=warning msg="read tcp 10.244.1.5:5${port}->10.96.0.1:443: i/o timeout"\n`;
    const [f] = run(line(1111) + line(2222), 'app.log').filter((x) => x.id === 'log.connection-timed-out');
    expect(traces(f).map((c) => c.split('   #')[0])).toEqual(['bundle-doctor trace <bundle> --src 10.244.1.5 --dst 10.96.0.1:443/tcp']);
    const [g] = run(fx('ipvs', 'flannel-1409-kube-flannel.log'), 'kube-flannel.log').filter((x) => x.id === 'log.connection-timed-out');
    expect(traces(g).map((c) => c.split('   #')[0])).toEqual(['bundle-doctor trace <bundle> --src <client address> --dst 10.96.0.1:443/tcp']);
  });

  it('a peer named by a host name only, or a unix socket: no trace line (trace takes addresses)', () => {
    const out = run('Error: dial tcp db.internal:5432: connect: connection timed out\ndial unix /run/containerd/containerd.sock: connect: connection refused\n', 'app.log');
    for (const f of out) expect(traces(f)).toEqual([]);
  });
});
