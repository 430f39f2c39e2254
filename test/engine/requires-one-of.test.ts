/**
 * `requiresOneOf`: Docker's NAT is checked from iptables or from an nft listing (Docker 29's
 * nftables back end); a bundle with neither says the check was not run, not "ran in part".
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const status = async (files: Record<string, string>) => {
  const r = await analyzeBundle(writeFolder(files, 'host'));
  return r.coverage.nodes[0].analyzers.find((a) => a.id === 'iptables.docker-masquerade-missing');
};

describe('an analyzer that needs one of two artifact kinds', () => {
  it('is not run when the bundle has neither, with both named', async () => {
    const s = await status({ 'sysctl.txt': 'net.ipv4.ip_forward = 1\n' });
    expect(s).toMatchObject({ status: 'not-run' });
    expect(s?.reason).toMatch(/^not run: neither iptables rules .* nor nftables rules .* in the bundle$/);
  });

  it('runs on either one', async () => {
    expect(await status({ 'iptables-save': readFileSync(projectPath('test/fixtures/nft/iptables-nft-compat/iptables-nft-save'), 'utf8') })).toMatchObject({ status: 'ran' });
    const nftOnly = await status({ nft_list_ruleset: readFileSync(projectPath('test/fixtures/nft/docker-bridges.nft'), 'utf8') });
    // Docker 29's nftables back end does its NAT in its own table: no iptables nat to miss (R8's N3)
    expect(nftOnly).toMatchObject({ status: 'ran' });
    expect(nftOnly?.reason ?? '').not.toMatch(/ran in part/);
  });
});
