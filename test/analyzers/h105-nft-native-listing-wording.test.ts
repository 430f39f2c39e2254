/**
 * H105: nftables.native-rule-in-iptables-table when iptables-nft-save printed "# Table `filter' is incompatible" and the
 * bundle HAS an nft listing, but every rule there that iptables cannot express carries a counter (so the text listing
 * cannot say whether nft or iptables-nft wrote it). Before, the finding said "The bundle has no nft listing" although
 * nft-list-ruleset.txt was read (reviewer R33, h13: NetBird beside Docker, netbirdio/netbird#2725).
 *
 * Fixtures (test/fixtures/h105-nft-netbird/, README there): real iptables v1.8.9 (nf_tables) / nftables v1.0.6 output in
 * a namespace. NetBird's rules are the ones kube-router#1788 quotes
 * (https://github.com/cloudnativelabs/kube-router/issues/1788):
 *   oifname "wt0" ct state established,related counter packets 0 bytes 0 accept
 *   iifname "wt0" counter packets 0 bytes 0 accept
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const fx = (p: string) => readFileSync(projectPath(`test/fixtures/h105-nft-netbird/${p}`), 'utf8');
const ID = 'nftables.native-rule-in-iptables-table';

describe('nft-native finding with an nft listing that cannot name the rule (h105)', () => {
  it('says the listing is there, names the table and the NetBird rule as a candidate, not the rules in Docker\'s chains', async () => {
    const report = await analyzeBundle(
      writeFolder({ 'iptables-save.txt': fx('netbird-iptables-save.txt'), 'nft-list-ruleset.txt': fx('netbird-nft-list-ruleset.txt') }, 'h105-netbird-listing'),
    );
    const f = report.findings.find((x) => x.id === ID)!;
    expect(f).toBeDefined();
    // Docker's chains in the nat table the save did show: an agent reads the table back through iptables
    expect(f.severity).toBe('critical');
    expect(f.message).not.toContain('no nft listing');
    expect(f.message).toContain('The nft listing (nft-list-ruleset.txt) holds table ip filter');
    expect(f.message).toContain('chain FORWARD: `oifname "wt0" ct state established,related counter accept`');
    // iptables can express `iifname "wt0" counter accept` whoever wrote it: not a candidate
    expect(f.message).not.toContain('iifname "wt0" counter accept');
    // Docker's DOCKER-CT rule prints alike but sits in Docker's chain
    expect(f.message).toContain('1 more of that kind sit in chains agents write through iptables');
    expect(f.message).toMatch(/cannot say whether nft or iptables-nft wrote it/);
    const candidates = f.evidence.filter((e) => e.file === 'nft-list-ruleset.txt');
    expect(candidates.map((e) => e.excerpt)).toEqual(['oifname "wt0" ct state established,related counter packets 0 bytes 0 accept']);
    expect(f.remedy.commands).toEqual([
      'nft --debug=netlink list table ip filter   # a rule with a "[ match name ... ]" or "[ target name ... ]" line was written by iptables-nft; one without was written with nft',
      'nft -a list table ip filter   # the handles, to delete the rules nft wrote',
    ]);
  });

  it('the debug listing asked for does tell them apart (real output: NetBird\'s rule has no match line)', () => {
    const dbg = fx('netbird-debug-netlink-forward.txt');
    const first = dbg.split('\n\n')[0];
    expect(first).toContain('[ ct load state => reg 1 ]');
    expect(first).not.toContain('match name');
  });

  it('without a listing the old sentence stays (nothing else to go on)', async () => {
    const report = await analyzeBundle(writeFolder({ 'iptables-save.txt': fx('netbird-iptables-save.txt') }, 'h105-netbird-no-listing'));
    const f = report.findings.find((x) => x.id === ID)!;
    expect(f.message).toContain('The bundle has no nft listing to name the rules');
    expect(f.remedy.commands).toEqual(["nft -a list table ip filter   # the rules with their handles: the ones without a counter (or with a named counter) are nft's own"]);
  });

  it('a listing without that table says so', async () => {
    const listing = fx('netbird-nft-list-ruleset.txt');
    // the same listing with its filter table left out (taken at another moment)
    const withoutFilter = listing.replace(/table ip filter \{[\s\S]*?\n\}\n/, '');
    expect(withoutFilter).not.toContain('table ip filter');
    const report = await analyzeBundle(writeFolder({ 'iptables-save.txt': fx('netbird-iptables-save.txt'), 'nft-list-ruleset.txt': withoutFilter }, 'h105-netbird-other-listing'));
    const f = report.findings.find((x) => x.id === ID)!;
    expect(f.message).toContain('The nft listing (nft-list-ruleset.txt) has no table ip filter');
  });

  it('healthy: Docker alone (its ct state rule in the listing, the save shows the filter table): no finding', async () => {
    const report = await analyzeBundle(
      writeFolder({ 'iptables-save.txt': fx('healthy-iptables-save.txt'), 'nft-list-ruleset.txt': fx('healthy-nft-list-ruleset.txt') }, 'h105-docker-healthy'),
    );
    expect(fx('healthy-nft-list-ruleset.txt')).toContain('ct state related,established counter packets 0 bytes 0 accept');
    expect(report.findings.filter((x) => x.id === ID)).toEqual([]);
  });
});
