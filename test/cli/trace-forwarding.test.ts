/**
 * bundle-doctor trace: a forwarded packet on a node with net.ipv4.ip_forward = 0 is dropped by the
 * kernel whatever the rules say; and one consistent path when DNAT turns a delivery into a forward.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatTrace, traceBundle } from '../../src/engine/trace-bundle.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const rv5 = (name: string) => projectPath('test/fixtures/rv5', name);

describe('trace with ip_forward = 0', () => {
  it('the example bundle ip-forward-off: DROP "forwarding disabled", citing sysctl -a and its line; the rules\' verdict kept', async () => {
    const t = await traceBundle(projectPath('bundles/ip-forward-off.tgz'), { src: '172.17.0.2', dst: '1.1.1.1', dport: 443, protocol: 'tcp', state: 'new', outInterface: 'eth0' });
    expect(t.verdict.kind).toBe('DROP');
    expect(t.forwarding).toMatchObject({ key: 'net.ipv4.ip_forward', value: '0', line: 25 });
    expect(t.forwarding?.file).toMatch(/sysctl-a\.txt$/);
    expect(t.forwarding?.netfilter.verdict.kind).toBe('ACCEPT');
    const text = formatTrace(t);
    expect(text).toMatch(/^verdict: DROP: forwarding disabled \(net\.ipv4\.ip_forward = 0\) \(\S*sysctl-a\.txt:25\)$/m);
    expect(text).toMatch(/the rules alone would give: ACCEPT by filter\/FORWARD rule 4/);
    // the walk stays in the output for context
    expect(text).toMatch(/^rules met:$/m);
    expect(t.steps.length).toBeGreaterThan(0);
    // JSON carries the same
    expect(JSON.parse(JSON.stringify(t)).decidedBy).toMatchObject({ table: 'kernel', text: 'forwarding disabled (net.ipv4.ip_forward = 0)', line: 25 });
  });

  it('podman (netavark, nft only): DROP; a delivery to the node itself is not affected', async () => {
    const t = await traceBundle(rv5('podman-fwd-off'), { src: '10.88.0.2', dst: '1.1.1.1', dport: 443, protocol: 'tcp', state: 'new' });
    expect(t.verdict.kind).toBe('DROP');
    expect(t.forwarding).toMatchObject({ key: 'net.ipv4.ip_forward', line: 9 });
    const input = await traceBundle(rv5('podman-fwd-off'), { src: '10.88.0.2', dst: '10.88.0.1', dport: 22, protocol: 'tcp', state: 'new' });
    expect(input.path).toBe('input');
    expect(input.forwarding).toBeUndefined();
  });

  it('healthy: ip_forward = 1 leaves the rules\' verdict', async () => {
    const dir = rv5('podman-fwd-off');
    const files: Record<string, string> = {};
    for (const f of readdirSync(dir)) files[`n/${f}`] = readFileSync(`${dir}/${f}`, 'utf8').replace('net.ipv4.ip_forward = 0', 'net.ipv4.ip_forward = 1');
    const t = await traceBundle(writeFolder(files, 'podman-on'), { src: '10.88.0.2', dst: '1.1.1.1', dport: 443, protocol: 'tcp', state: 'new' });
    expect(t.verdict.kind).toBe('ACCEPT');
    expect(t.forwarding).toBeUndefined();
  });
});

describe('trace: one path', () => {
  it('Swarm ingress: DNAT to the ingress sandbox turns the delivery into a forward, said once', async () => {
    const t = await traceBundle(rv5('swarm-ingress'), { src: '203.0.113.5', dst: '10.10.0.10', dport: 8080, protocol: 'tcp', state: 'new' });
    expect(t.path).toBe('forward');
    const text = formatTrace(t);
    expect(text).toMatch(/^path: forward \(the destination is one of the node's addresses, but DNAT rewrote the destination to 172\.18\.0\.2:8080, which the node forwards\)$/m);
    expect(text).not.toMatch(/^inferred: path/m);
    expect(text.match(/^path:/gm)).toHaveLength(1);
  });

  it('Calico NodePort: ACCEPT with the undecided set rule named', async () => {
    const t = await traceBundle(rv5('calico-healthy'), { src: '203.0.113.5', dst: '192.168.10.12', dport: 30080, protocol: 'tcp', state: 'new' });
    expect(t.verdict.kind).toBe('ACCEPT');
    expect(t.path).toBe('forward');
    const text = formatTrace(t);
    expect(text).toMatch(/^undecided: a rule the tracer cannot evaluate/m);
    expect(text).toMatch(/nat\/cali-nat-outgoing #1: match not modelled: -m set/);
    expect(text).not.toMatch(/^inferred: path/m);
  });
});
