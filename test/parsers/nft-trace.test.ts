/**
 * `nft monitor trace` read into traces and hops (src/parsers/nft-trace.ts), each hop with {file, line}.
 * Texts: test/fixtures/h43 — docker/for-linux#1353's paste, verbatim
 * (https://github.com/docker/for-linux/issues/1353, RHEL 8 + firewalld + an --internal network), and
 * traces made with nft 1.0.6 in network namespaces (see test/fixtures/h43/README.md).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseNftTrace, sniffNftTrace } from '../../src/parsers/nft-trace.js';
import { projectPath } from '../helpers/shared.js';

const fx = (name: string) => readFileSync(projectPath(`test/fixtures/h43/${name}`), 'utf8');

describe('nft monitor trace', () => {
  it("reads docker/for-linux#1353's trace: a jump, a chain ending in continue, then firewalld's reject (verdict drop)", () => {
    const log = parseNftTrace(fx('for-linux-1353-nft-monitor-trace.txt'), 'nft-monitor-trace.txt');
    expect(log.warnings).toEqual([]);
    expect(log.traces).toHaveLength(1);
    const [t] = log.traces;
    expect(t.id).toBe('6d9a826f');
    expect(t.hops.map((h) => [h.kind, h.chain, h.verdict])).toEqual([
      ['rule', 'filter_FORWARD', 'jump filter_FORWARD_POLICIES_post'],
      ['verdict', 'filter_FORWARD_POLICIES_post', 'continue'],
      ['rule', 'filter_FORWARD', 'drop'],
    ]);
    expect(t.dropped).toMatchObject({ family: 'inet', table: 'firewalld', chain: 'filter_FORWARD', rule: 'reject with icmpx type admin-prohibited', ref: { file: 'nft-monitor-trace.txt', line: 3 } });
    expect(t.iif).toBeUndefined();
    expect(t.oif).toBeUndefined();
  });

  it('reads a real trace: one id per hook, the packet line interfaces, handles with -a', () => {
    const log = parseNftTrace(fx('trace-unzoned-handles.txt'), 'trace.txt');
    expect(log.traces.map((t) => t.id)).toEqual(['7608313d', '0a778ef4']);
    const [pre, fwd] = log.traces;
    expect(pre.iif).toBe('br-0123456789ab');
    expect(pre.oif).toBeUndefined();
    expect(pre.dropped).toBeUndefined();
    expect(pre.final).toMatchObject({ kind: 'policy', verdict: 'accept', ref: { line: 3 } });
    expect(pre.hops[1]).toMatchObject({ kind: 'rule', rule: 'ip saddr 172.30.0.2 meta nftrace set 1', handle: 2, verdict: 'continue' });
    expect(fwd).toMatchObject({ iif: 'br-0123456789ab', oif: 'h43vb' });
    expect(fwd.dropped).toMatchObject({ chain: 'filter_FORWARD', rule: 'reject with icmpx admin-prohibited', handle: 13, verdict: 'drop', ref: { file: 'trace.txt', line: 7 } });
  });

  it('an accepted packet has a final accept and no drop', () => {
    const log = parseNftTrace(fx('trace-zoned.txt'), 'trace.txt');
    const fwd = log.traces[1];
    expect(fwd.dropped).toBeUndefined();
    expect(fwd.final).toMatchObject({ table: 'firewalld', chain: 'filter_FWD_docker', rule: 'accept', verdict: 'accept', ref: { line: 8 } });
  });

  it('sniffs trace output and nothing else', () => {
    for (const f of ['for-linux-1353-nft-monitor-trace.txt', 'trace-unzoned.txt', 'trace-other-drop.txt']) expect(sniffNftTrace(fx(f))).toBe(true);
    expect(sniffNftTrace(fx('ip-address-host.txt'))).toBe(false);
    expect(sniffNftTrace(fx('fw-unzoned.nft'))).toBe(false);
    expect(() => parseNftTrace(fx('fw-unzoned.nft'), 'x')).toThrow(/no nft monitor trace event/);
  });
});
