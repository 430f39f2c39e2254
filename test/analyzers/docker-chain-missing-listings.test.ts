/**
 * iptables.docker-chain-missing on `iptables -L` listings (reviewer R14, probes 04/05 of moby/moby#49528
 * https://github.com/moby/moby/issues/49528 and moby/moby#49498 https://github.com/moby/moby/issues/49498):
 * - two listings, one of FORWARD (`iptables -L FORWARD -v -n`), one of the ufw chains (the tail of
 *   `iptables -L -v -n`): FORWARD's jump to DOCKER proves the chain exists; neither listing would show it;
 * - a listing cut after FORWARD's first row, or inside its second row: cannot tell (info), never critical;
 * - a whole listing after `iptables -F; iptables -X` (filter flushed, nat kept, docker0 up): critical.
 * All listings are real output of iptables-legacy and iptables-nft 1.8.9 in namespaces (test/fixtures/h39,
 * commands in test/fixtures/h39/README.txt): Docker 28.0.0's FORWARD with ufw's chains written by hand
 * as in moby#49528, and Docker 28's rules restored from the corpus' moby-docker28-swarm-ingress-iptables-S.txt.
 */
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { projectPath } from '../helpers/shared.js';

const fx = (dir: string) => projectPath('test/fixtures/h39', dir);
const chainFindings = async (dir: string) => (await analyzeBundle(fx(dir))).findings.filter((f) => f.id === 'iptables.docker-chain-missing');

describe.each(['legacy', 'nft'])('iptables-%s listings', (backend) => {
  it('two listings: the FORWARD listing jumps to DOCKER, the other shows only ufw chains: nothing missing', async () => {
    expect(await chainFindings(`two-listings-${backend}`)).toEqual([]);
  });

  it.each(['cut', 'cut-row'])('%s: a listing that ends in FORWARD cannot show DOCKER missing (info, not critical)', async (kind) => {
    const f = await chainFindings(`${kind}-${backend}`);
    expect(f.map((x) => x.severity)).toEqual(['info']);
    expect(f[0].message).toMatch(/Cannot tell/);
    expect(f[0].message).toContain('iptables-nvL.txt');
    expect(f[0].message).toMatch(/ends at line 6, in FORWARD, before OUTPUT/);
  });

  it('the same rules listed whole: nothing missing', async () => {
    expect(await chainFindings(`complete-${backend}`)).toEqual([]);
  });

  it('filter flushed (iptables -F; iptables -X), nat kept, docker0 up: a whole listing shows DOCKER missing (critical)', async () => {
    const f = await chainFindings(`flushed-${backend}`);
    expect(f.map((x) => x.severity)).toEqual(['critical']);
    expect(f[0].message).toContain('no DOCKER chain in the filter table');
    expect(f[0].evidence.some((e) => e.file.endsWith('iptables-nvL.txt') && e.excerpt === 'no DOCKER chain in the filter table')).toBe(true);
  });
});
