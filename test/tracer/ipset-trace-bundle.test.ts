/**
 * `trace` decides `-m set` matches from the bundle's `ipset list` output (test/fixtures/ipset:
 * real ipset 7 output): a packet from a listed network is accepted, one from elsewhere meets the
 * policy; without the listing the rule is walked both ways and named undecided.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { traceBundle } from '../../src/engine/trace-bundle.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const RULES = `*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -m set --match-set cali40all-ipam-pools src -j ACCEPT
COMMIT
`;
const IP_A = `1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000
    inet 127.0.0.1/8 scope host lo
2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP group default qlen 1000
    inet 192.168.10.5/24 brd 192.168.10.255 scope global eth0
`;
const listing = readFileSync(projectPath('test/fixtures/ipset/calico.list'), 'utf8');
const req = (src: string) => ({ src, dst: '192.168.10.77', dport: 443, protocol: 'tcp' as const, state: 'new' as const });

describe('trace with the ipset members', () => {
  it('the listed pool network is accepted, decided (no undecided rule)', async () => {
    const dir = writeFolder({ 'iptables-save.txt': RULES, 'ip-a.txt': IP_A, 'ipset_list.txt': listing }, 'calico-node');
    const inside = await traceBundle(dir, req('10.244.3.7'));
    expect(inside.verdict.kind).toBe('ACCEPT');
    expect(inside.undecided ?? []).toEqual([]);
    const outside = await traceBundle(dir, req('10.99.0.7'));
    expect(outside.verdict.kind).toBe('DROP');
    expect(outside.decidedBy?.num).toBe(0);
  });

  it('without the listing the set rule is undecided', async () => {
    const dir = writeFolder({ 'iptables-save.txt': RULES, 'ip-a.txt': IP_A }, 'calico-node-2');
    const t = await traceBundle(dir, req('10.244.3.7'));
    expect(t.verdict.kind).toBe('unknown');
  });
});
