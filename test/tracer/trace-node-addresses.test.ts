/**
 * `trace` on a bundle without ip addr (reviewer R4, case 4: containers/netavark#742). The node's addresses
 * are not known: a packet to a bridge's gateway was answered "forward (neither end is the node)" without a
 * word of the guess. Now the trace states the assumption, and where the rules give a bridge's subnet
 * (netavark's chains, Docker's masquerade) its first address is taken as the node's and said so.
 * Rules: test/fixtures/container-dns (the thread's two commands and netavark's own rules, loaded with real
 * iptables 1.8.9 and saved), test/fixtures/r3-forward/generated (Docker 28 + ufw, real iptables-save),
 * test/fixtures/rv5/ipvs-forward-drop (a flannel node's real iptables-save).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatTrace, traceBundle } from '../../src/engine/trace-bundle.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const fx = (...p: string[]) => readFileSync(projectPath('test/fixtures', ...p), 'utf8');
const DNS = { src: '10.89.0.2', dst: '10.89.0.1', dport: 53, protocol: 'udp', inInterface: 'podman1', state: 'new' as const };

describe('trace without node addresses', () => {
  it("the thread's rules alone: forwarded, and the trace says it assumed so", async () => {
    const t = await traceBundle(writeFolder({ 'iptables-save.txt': fx('container-dns/netavark742-iptables-save.txt') }, 'f4-trace-bare'), DNS);
    expect(t.path).toBe('forward');
    expect(t.assumption).toMatch(/^node addresses unknown \(no ip addr\): assumed forwarded, as neither 10\.89\.0\.2 nor 10\.89\.0\.1 is known to be the node's; collect ip addr/);
    const text = formatTrace(t);
    expect(text).toContain('assumed: node addresses unknown (no ip addr): assumed forwarded');
    expect(text).toContain('path: forward (neither end is known to be the node)');
  });

  it("netavark's rules give podman1's subnet: its first address is taken as the node's, and the INPUT policy decides", async () => {
    const t = await traceBundle(writeFolder({ 'iptables-save.txt': fx('container-dns/netavark17-input-drop.iptables-save.txt') }, 'f4-trace-netavark'), DNS);
    expect(t.path).toBe('input');
    expect(t.verdict.kind).toBe('DROP');
    expect(t.decidedBy).toMatchObject({ table: 'filter', chain: 'INPUT', num: 0 });
    expect(t.assumption).toMatch(/^node addresses unknown \(no ip addr\): 10\.89\.0\.1 taken as the node's, the first address of 10\.89\.0\.0\/24, the subnet of a netavark \(Podman\) network \(iptables-save\.txt:\d+\); collect ip addr to confirm$/);
    expect(formatTrace(t)).toContain('verdict: DROP by filter/INPUT policy');
  });

  it('a plain MASQUERADE -s 10.89.0.0/24 (real iptables-save) gives the subnet too', async () => {
    const t = await traceBundle(writeFolder({ 'iptables-save.txt': fx('container-dns/masquerade24-input-drop.iptables-save.txt') }, 'f4-trace-masq'), DNS);
    expect(t.path).toBe('input');
    expect(t.verdict.kind).toBe('DROP');
    expect(t.assumption).toMatch(/10\.89\.0\.1 taken as the node's, the first address of 10\.89\.0\.0\/24, a subnet masqueraded on its own \(iptables-save\.txt:\d+\)/);
  });

  it('with ip addr: no assumption, the same DROP by the INPUT policy', async () => {
    const dir = writeFolder({ 'iptables-save.txt': fx('container-dns/netavark742-iptables-save.txt'), 'ip-addr.txt': fx('container-dns/podman1-ip-addr.txt') }, 'f4-trace-ipa');
    const t = await traceBundle(dir, DNS);
    expect(t.assumption).toBeUndefined();
    expect(t.path).toBe('input');
    expect(t.verdict.kind).toBe('DROP');
    expect(formatTrace(t)).not.toContain('assumed:');
  });

  it("Docker's masquerade names docker0's subnet: 172.17.0.1 is the node's", async () => {
    const dir = writeFolder({ 'iptables-save.txt': fx('r3-forward/generated/ufw-docker2800.iptables-save.txt') }, 'f4-trace-docker');
    const t = await traceBundle(dir, { src: '172.17.0.2', dst: '172.17.0.1', dport: 5432, protocol: 'tcp', inInterface: 'docker0', state: 'new' });
    expect(t.path).toBe('input');
    expect(t.assumption).toContain("172.17.0.1 taken as the node's, the first address of 172.17.0.0/16, the subnet of docker0");
  });

  it("flannel's cluster-wide masquerade (10.244.0.0/16) is no bridge of this node: 10.244.0.1 is not taken as the node's", async () => {
    const dir = writeFolder({ 'iptables-save.txt': fx('rv5/ipvs-forward-drop/iptables-save.txt') }, 'f4-trace-flannel');
    const t = await traceBundle(dir, { src: '10.244.1.5', dst: '10.244.0.1', dport: 53, protocol: 'udp', state: 'new' });
    expect(t.path).toBe('forward');
    expect(t.assumption).toContain('assumed forwarded');
  });

  it('toNode: the destination is traced as the node, as asked', async () => {
    const t = await traceBundle(writeFolder({ 'iptables-save.txt': fx('container-dns/netavark742-iptables-save.txt') }, 'f4-trace-tonode'), { ...DNS, toNode: true });
    expect(t.path).toBe('input');
    expect(t.verdict.kind).toBe('DROP');
    expect(t.assumption).toBeUndefined();
    expect(t.inferred).toContain("10.89.0.1 taken as the node's address (as asked)");
  });
});
