/**
 * H92: the iptables view read from a cut-off `nft list ruleset` marks only the table open at the cut (a table closed
 * before it is whole), and Docker's firewall back end is "not known" where Docker 29's table ip docker-bridges could be
 * past the cut. Listings: real nft output made in the network namespace h92a, see test/fixtures/h92-cut/SOURCE.txt
 * (Docker 28's rules from test/fixtures/netfilter/docker-direct-access restored with iptables-nft-restore; Docker 29's
 * table from test/fixtures/nft/docker-bridges.nft loaded with nft -f). A cut listing is its first N lines (`| head -n N`).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import chainMissing from '../../analyzers/iptables-docker-chain-missing.js';
import masqueradeMissing from '../../analyzers/iptables-docker-masquerade-missing.js';
import { dockerPresence, liveViews } from '../../analyzers/lib/node-view.js';
import { loadBundle } from '../../src/engine/analyze.js';
import type { Analyzer, FindingDraft } from '../../src/engine/analyzer.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { parseNftText } from '../../src/nft/parse-text.js';
import { iptablesFromNft } from '../../src/nft/to-iptables.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const read = (p: string) => readFileSync(projectPath(p), 'utf8');
const head = (text: string, n: number) => text.split('\n').slice(0, n).join('\n') + '\n';
const OK = read('test/fixtures/h92-cut/docker28-filter-then-nat.nft');
const DELETED = read('test/fixtures/h92-cut/docker28-forward-jump-deleted.nft');
const D29 = read('test/fixtures/h92-cut/iptables-filter-h92-docker29.nft');
const IP_ADDR = read('test/fixtures/netfilter/docker-direct-access/ip_addr');

let seq = 0;
async function bundle(files: Record<string, string>): Promise<NodeArtifacts> {
  const b = await loadBundle(writeFolder(files, `h92-${++seq}`));
  return b.nodes[0].artifacts as NodeArtifacts;
}
async function run(a: Analyzer, artifacts: NodeArtifacts): Promise<{ findings: FindingDraft[]; notes: string[] }> {
  if (a.scope !== 'node') throw new Error(`${a.id} is not a node analyzer`);
  const notes: string[] = [];
  const findings = await a.analyze({ node: 'node-1', artifacts: artifacts as never, options: { requiredPorts: [] }, partly: (m: string) => notes.push(m) });
  return { findings, notes };
}

describe('iptables view of a cut nft listing: the table open at the cut only', () => {
  it('the fixtures: ip filter closes at line 53 (52), ip nat follows', () => {
    expect(OK.split('\n')[52]).toBe('}');
    expect(OK.split('\n')[53]).toBe('table ip nat {');
    expect(DELETED.split('\n')[51]).toBe('}');
    expect(DELETED.split('\n')[52]).toBe('table ip nat {');
  });

  it('cut inside ip nat: the ipv4 ruleset says nat is open; the view marks nat cut, filter whole', async () => {
    const rs = iptablesFromNft(parseNftText(head(OK, 60), 'nft_list_ruleset'));
    expect(rs.map((r) => [r.family, r.truncated?.table])).toEqual([['ipv4', 'nat']]);
    const v = liveViews(await bundle({ 'nft_list_ruleset.txt': head(OK, 60) }))[0];
    expect([...v.truncated.keys()]).toEqual(['nat']);
    expect(v.unlistedCut).toMatch(/cut off after line 60, inside table ip nat/);
  });

  it('cut inside ip filter: filter cut, and nat (not shown: listed after) is not known absent', async () => {
    const v = liveViews(await bundle({ 'nft_list_ruleset.txt': head(OK, 30) }))[0];
    expect([...v.truncated.keys()]).toEqual(['filter']);
    expect(v.tables.has('nat')).toBe(false);
    expect(v.unlistedCut).toMatch(/inside table ip filter/);
  });

  it('cut inside a native table (inet h92) after ip filter closed: filter whole, the ruleset names the open nft table', async () => {
    expect(D29.split('\n')[10]).toBe('table inet h92 {');
    const rs = iptablesFromNft(parseNftText(head(D29, 14), 'nft_list_ruleset'));
    expect(rs[0].truncated?.table).toBe('inet h92');
    const v = liveViews(await bundle({ 'nft_list_ruleset.txt': head(D29, 14) }))[0];
    expect(v.truncated.size).toBe(0);
    expect(v.unlistedCut).toBeDefined();
  });

  it('whole listing: nothing cut', async () => {
    const v = liveViews(await bundle({ 'nft_list_ruleset.txt': OK }))[0];
    expect(v.truncated.size).toBe(0);
    expect(v.unlistedCut).toBeUndefined();
  });
});

describe('iptables.docker-chain-missing on a listing cut after ip filter closed', () => {
  const jumpFinding = (fs: FindingDraft[]) => fs.filter((f) => /FORWARD does not jump to them/.test(f.title));

  it('FORWARD jump to DOCKER-FORWARD deleted, cut inside ip nat (line 60): filter is whole, the finding is made', async () => {
    const { findings } = await run(chainMissing as Analyzer, await bundle({ 'ip_addr.txt': IP_ADDR, 'nft_list_ruleset.txt': head(DELETED, 60) }));
    expect(jumpFinding(findings).map((f) => f.severity)).toEqual(['critical']);
  });

  it('healthy (jumps in place), same cut: no finding, no note', async () => {
    const { findings, notes } = await run(chainMissing as Analyzer, await bundle({ 'ip_addr.txt': IP_ADDR, 'nft_list_ruleset.txt': head(OK, 60) }));
    expect(findings).toEqual([]);
    expect(notes).toEqual([]);
  });

  it('jump deleted, cut inside ip filter (head -n 30; line 30 is blank): held back, said in the coverage', async () => {
    const { findings, notes } = await run(chainMissing as Analyzer, await bundle({ 'ip_addr.txt': IP_ADDR, 'nft_list_ruleset.txt': head(DELETED, 30) }));
    expect(findings).toEqual([]);
    expect(notes.join('\n')).toMatch(/filter table not judged.*cut off after line 29, inside table ip filter/);
  });
});

describe("dockerPresence: Docker's back end unknown where docker-bridges may be past the cut", () => {
  const files = (listing: string) => ({ 'ip_addr.txt': IP_ADDR, 'nft_list_ruleset.txt': listing });

  it('whole listing: table ip docker-bridges shows the nftables back end', async () => {
    const p = dockerPresence(await bundle(files(D29)));
    expect(p.nftBackend?.excerpt).toBe('table ip docker-bridges');
    expect(p.backendUnknown).toBeUndefined();
  });

  it('cut inside inet h92 (before docker-bridges): back end unknown, neither noIptables nor nftBackend', async () => {
    const p = dockerPresence(await bundle(files(head(D29, 14))));
    expect(p.nftBackend).toBeUndefined();
    expect(p.noIptables).toBeUndefined();
    expect(p.backendUnknown).toMatch(/table ip docker-bridges\) is not known: .*cut off after line 14, inside table inet h92/);
  });

  it('cut inside docker-bridges itself: the table is shown, the back end is nftables', async () => {
    const p = dockerPresence(await bundle(files(head(D29, 30))));
    expect(p.nftBackend).toBeDefined();
    expect(p.backendUnknown).toBeUndefined();
  });

  it("cut, but Docker's iptables chains are in the view: iptables, decided", async () => {
    const p = dockerPresence(await bundle(files(head(OK, 60))));
    expect(p.backendUnknown).toBeUndefined();
  });

  it('cut, but daemon.json says firewall-backend iptables: decided', async () => {
    const p = dockerPresence(await bundle({ ...files(head(D29, 14)), 'etc/docker/daemon.json': '{\n  "firewall-backend": "iptables"\n}\n' }));
    expect(p.backendUnknown).toBeUndefined();
  });

  it("chain-missing and masquerade-missing hold back (notes), where they would otherwise claim Docker's iptables rules missing", async () => {
    const a = await bundle(files(head(D29, 14)));
    const chains = await run(chainMissing as Analyzer, a);
    expect(chains.findings).toEqual([]);
    expect(chains.notes.join('\n')).toMatch(/Docker's iptables chains were not checked: whether Docker writes iptables rules or nftables ones/);
    const masq = await run(masqueradeMissing as Analyzer, a);
    expect(masq.findings).toEqual([]);
    expect(masq.notes.join('\n')).toMatch(/Docker's masquerade was not checked/);
  });

  it('whole listing (docker-bridges shown): chain-missing is silent, no note of the back end', async () => {
    const { findings, notes } = await run(chainMissing as Analyzer, await bundle(files(D29)));
    expect(findings).toEqual([]);
    expect(notes.join('\n')).not.toMatch(/not known/);
  });
});
