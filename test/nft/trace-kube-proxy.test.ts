/**
 * The nftables tracer on kube-proxy's nftables mode and netavark (real `nft list ruleset` output in
 * test/fixtures/rv5): concatenated vmap keys, empty maps, numgen load-balancing, mark arithmetic.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { traceBundle } from '../../src/engine/trace-bundle.js';
import { markValue } from '../../src/nft/trace.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const dir = (name: string) => projectPath('test/fixtures/rv5', name);

describe('meta mark set', () => {
  it('reads the forms nft prints and the JSON renderer gives (or/and/xor, |/&/^), left to right', () => {
    expect(markValue('mark or 0x4000', 0)).toBe(0x4000);
    expect(markValue('meta mark | 0x00002000', 0x10)).toBe(0x2010);
    expect(markValue('mark and 0xffffdfff', 0x2001)).toBe(0x1);
    expect(markValue('meta mark & 0xffffdfff', 0x2000)).toBe(0);
    expect(markValue('mark xor 0x4000', 0x4000)).toBe(0);
    expect(markValue('0x4000', 7)).toBe(0x4000);
    expect(markValue('mark and 0xffff0000 or 0x10', 0x12345)).toBe(0x10010);
    expect(markValue('ct mark', 0)).toBeUndefined();
  });

  it("netavark's hostport: the mark set by `meta mark | 0x00002000` makes its masquerade apply", async () => {
    const t = await traceBundle(dir('podman-fwd-off'), { src: '10.88.0.5', dst: '127.0.0.1', dport: 8080, protocol: 'tcp', state: 'new' });
    expect(t.steps.map((s) => s.text)).toContain('meta mark & 0x00002000 == 0x00002000 meta mark set meta mark & 0xffffdfff masquerade');
    expect(t.packet.snat).toEqual({ masquerade: true });
  });
});

describe("kube-proxy nftables mode: ip daddr . meta l4proto . th dport vmap, numgen", () => {
  it('a container to the kube-dns ClusterIP: decided (ACCEPT), each endpoint of the numgen vmap an outcome', async () => {
    const t = await traceBundle(dir('kp-nft-masq-missing'), { src: '172.17.0.2', dst: '10.96.0.10', dport: 53, protocol: 'udp', state: 'new' });
    expect(t.verdict.kind).toBe('ACCEPT');
    // the empty map @firewall-ips gave no verdict; @service-ips matched 10.96.0.10 . udp . 53
    expect(t.steps.map((s) => s.text)).toContain('ip daddr . meta l4proto . th dport vmap @service-ips');
    expect(t.natOutcomes?.map((o) => `${o.dst}:${o.dport}`).sort()).toEqual(['10.244.1.2:53', '10.244.2.3:53']);
    // kube-proxy marked it (source not in the cluster CIDR): its masquerading chain applies
    expect(t.natOutcomes?.every((o) => o.snat?.masquerade)).toBe(true);
  });

  it('a concatenated key that matches no element: the vmap gives no verdict', async () => {
    const t = await traceBundle(dir('kp-nft-masq-missing'), { src: '172.17.0.2', dst: '10.96.0.10', dport: 54, protocol: 'udp', state: 'new' });
    // no service port: cluster-ips-check rejects traffic to a ClusterIP's other ports
    expect(t.verdict.kind).toBe('REJECT');
    expect(t.decidedBy?.text).toMatch(/ip daddr @cluster-ips reject/);
  });

  it('a map element with a range or another protocol does not match', async () => {
    const nft = readFileSync(projectPath('test/fixtures/rv5/kp-nft-masq-missing/nft_list_ruleset.txt'), 'utf8').replace('10.96.0.10 . udp . 53 :', '10.96.0.10 . tcp . 50-60 :');
    const files = { 'nft_list_ruleset.txt': nft, 'ip_a.txt': readFileSync(projectPath('test/fixtures/rv5/kp-nft-masq-missing/ip_a.txt'), 'utf8'), 'ip_route.txt': readFileSync(projectPath('test/fixtures/rv5/kp-nft-masq-missing/ip_route.txt'), 'utf8') };
    const tcp = await traceBundle(writeFolder(files, 'node-a'), { src: '172.17.0.2', dst: '10.96.0.10', dport: 53, protocol: 'tcp', state: 'new' });
    // the element 10.96.0.10 . tcp . 50-60 sent it to the service chain (whose endpoints DNAT udp only)
    expect(tcp.steps.some((s) => s.chain === 'service-FY5PMXPG-kube-system/kube-dns/udp/dns')).toBe(true);
    expect(tcp.verdict.kind).not.toBe('unknown');
    const udp = await traceBundle(writeFolder(files, 'node-a2'), { src: '172.17.0.2', dst: '10.96.0.10', dport: 53, protocol: 'udp', state: 'new' });
    expect(udp.verdict.kind).toBe('REJECT');
  });
});
