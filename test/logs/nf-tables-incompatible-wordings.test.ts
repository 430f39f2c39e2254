/**
 * log.nf-tables-incompatible: every wording iptables-nft (and the agents that read it back) print when a table of
 * iptables' holds rules written with nft that iptables cannot read. Each line is verbatim:
 *
 * - reproduced here, iptables v1.8.9 (nf_tables) in a network namespace (test/fixtures/nft-native/README.md):
 *   iptables-nft-save's "# Table `nat' is incompatible, use 'nft' tool." (stdout, exit 0), iptables -S's
 *   table and chain forms (stderr, exit 1), "# Table `nat' contains incompatible base-chains, use 'nft' tool to
 *   list them." (a base chain not of iptables' names in its table; exit 0) and "Parsing nftables rule failed"
 *   (a native `meta mark set`: exit 3, the output cut short);
 * - iptables v1.8.10, cloudnativelabs/kube-router#1777 (k3s' network policy controller), the corpus' log;
 * - Calico Felix, projectcalico/calico#8025 (blampe, 2023-09-17): Felix's own wording for the iptables-save line
 *   (projectcalico/felix#2564 added the detection: iptables-save "logs the error but returns RC=0").
 *
 * The source of the wordings (netfilter-devel patches): nft_assert_table_compatible() prints
 * "%s%s%stable `%s' is incompatible, use 'nft' tool." (chain prefix optional) from iptables 1.8.4 through 1.8.11
 * (the 1.8.11 XTABLES_COMPAT patch still carries it), xtables-save's __do_output() prints
 * "# Table `%s' is incompatible, use 'nft' tool." and "# Table `%s' contains incompatible base-chains, use 'nft'
 * tool to list them.".
 *
 * The base-chains line is left alone: iptables-save lists the rest of the table (test/logs/signatures.test.ts).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { scanLogText } from '../../src/logs/scanner.js';
import { corpusPath, hasCorpus, projectPath } from '../helpers/shared.js';

const fx = (name: string) => readFileSync(projectPath(`test/fixtures/nft-native/${name}`), 'utf8');
const ID = 'log.nf-tables-incompatible';

function lineMatches(text: string, file = 'iptables.log') {
  return scanLogText(text, file).matches.filter((m) => m.signature === ID);
}

describe('log.nf-tables-incompatible: the wordings of iptables 1.8.9-1.8.10 and Calico Felix', () => {
  it("iptables-nft-save's table line (1.8.9, reproduced)", () => {
    const save = fx('iptables-nft-save.native-redirect.txt');
    const line = save.split('\n').find((l) => l.startsWith('# Table'))!;
    expect(line).toBe("# Table `nat' is incompatible, use 'nft' tool.");
    const m = lineMatches(save, 'iptables-nft-save.txt');
    expect(m).toHaveLength(1);
    expect(m[0].facts.table).toBe('nat');
  });

  it('iptables -S: the table form and the chain form (1.8.9, reproduced)', () => {
    const m = lineMatches(fx('iptables-nft-S.native-redirect.txt'));
    expect(m.map((x) => [x.facts.table, x.facts.chain])).toEqual([
      ['nat', undefined],
      ['nat', 'PREROUTING'],
    ]);
  });

  it.skipIf(!hasCorpus)("iptables v1.8.10's chain form in k3s' journal (kube-router#1777)", () => {
    const m = lineMatches(readFileSync(corpusPath('logs/kube-router-1777-k3s-chain-incompatible-use-nft.log'), 'utf8'), 'k3s.log');
    expect(m.length).toBeGreaterThan(0);
    expect(m[0].facts.chain).toBe('INPUT');
    expect(m[0].facts.table).toBe('filter');
  });

  it('"contains incompatible base-chains" (1.8.9, reproduced: a foreign base chain in table ip nat) is no failure: the table is listed whole', () => {
    const save = fx('iptables-nft-save.foreign-base-chain.txt');
    expect(save.split('\n')[0]).toBe("# Table `nat' contains incompatible base-chains, use 'nft' tool to list them.");
    expect(lineMatches(save, 'iptables-nft-save.txt')).toEqual([]);
  });

  it('"Parsing nftables rule failed" (1.8.9, reproduced: a native meta mark set in ip filter)', () => {
    const err = fx('iptables-nft-save.meta-mark-set.stderr.txt');
    expect(err).toContain('iptables-nft-save v1.8.9 (nf_tables): Parsing nftables rule failed');
    const m = lineMatches(err, 'iptables-nft-save.stderr');
    expect(m).toHaveLength(1);
    expect(m[0].line).toBe(2);
  });

  it("Calico Felix's line (calico#8025)", () => {
    const felix = [
      '2023-09-17 16:22:39.290 [WARNING][12833] felix/table.go 765: iptables-nft-save command failed error=iptables-save failed because there are incompatible nft rules in the table ipVersion=0x4 stderr="" table="filter"',
      '2023-09-17 16:22:39.290 [PANIC][12833] felix/table.go 771: iptables-nft-save command failed after retries ipVersion=0x4 table="filter"',
    ].join('\n');
    const m = lineMatches(felix, 'calico-node.log');
    // the WARNING line names the cause; the PANIC line after it is its consequence, not a second cause
    expect(m.map((x) => x.line)).toEqual([1]);
    expect(m[0].facts.table).toBe('filter');
  });

  it('healthy iptables-nft-save output matches nothing', () => {
    const save = readFileSync(projectPath('test/fixtures/nft-native/iptables-nft-save.native-redirect.txt'), 'utf8')
      .split('\n')
      .filter((l) => !l.includes('incompatible'))
      .join('\n');
    expect(lineMatches(save, 'iptables-nft-save.txt')).toEqual([]);
  });
});
