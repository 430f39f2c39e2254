/**
 * kubernetes#76431 as the ticket pastes it (https://github.com/kubernetes/kubernetes/issues/76431, CallMeFoxie,
 * 2019-04-11; the corpus's logs/kubernetes-76431-kubelet-duplicate-kube-firewall-4190.log): one `iptables -L -v
 * -n` row without its Chain line, `...`, then `# iptables -L -v -n | grep "kubernetes firewall for dropping
 * marked packets" | wc -l`, iptables-nft's legacy-tables warning and `4190`. Cause confirmed by danwinship in
 * https://github.com/kubernetes/kubernetes/issues/82361: iptables-nft 1.8.1/1.8.2's -C never finds the rule, so
 * kubelet appends it at every sync (fixed in iptables 1.8.3).
 *
 * The list-format parser reads a row pasted before the command that counted it and the `| grep "X" | wc -l` count
 * (Ruleset.listedCounts), and log.iptables-legacy-tables-present supports iptables.rule-duplicated (its advice,
 * move the legacy writer to nf_tables, is the wrong way here). R9 graded the ticket PARTIAL before.
 */
import { describe, expect, it } from 'vitest';
import dup from '../../analyzers/iptables-rule-duplicated.js';
import logSignatures from '../../analyzers/log-signatures.js';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { parseIptablesList, sniffIptablesListFragment } from '../../src/netfilter/list-format.js';
import { corpusPath, hasCorpus, readCorpus } from '../helpers/shared.js';

const CASE = 'kubernetes-76431-kubelet-duplicate-kube-firewall-4190.log';
const text = hasCorpus ? readCorpus('logs', CASE) : '';
describe.skipIf(!hasCorpus)('kubernetes#76431: 4190 copies of KUBE-FIREWALL counted with grep | wc -l', () => {
  it('the paste is an iptables fragment (the row before the command that counted it) and its count is read', () => {
    expect(sniffIptablesListFragment(text)).toBe(true);
    const rs = parseIptablesList(text, CASE, { fragments: true });
    expect(rs.listedCounts).toEqual([expect.objectContaining({ grep: 'kubernetes firewall for dropping marked packets', count: 4190, ref: { file: CASE, line: 5 } })]);
  });

  it('a critical finding: KUBE-FIREWALL, 4190 copies, kubelet, nf_tables (the warning) with no version: the -C bug first', async () => {
    const r = await analyzeBundle(corpusPath('logs', CASE), { analyzers: [dup, logSignatures] });
    const f = r.findings.find((x) => x.id === 'iptables.rule-duplicated')!;
    expect(f).toBeDefined();
    expect(f.severity).toBe('critical');
    expect(f.facts).toMatchObject({ table: 'filter', chain: 'KUBE-FIREWALL', copies: 4190, copiesShown: 1, writer: 'kubelet', backend: 'nf_tables', cause: 'nft-version-unknown' });
    expect(f.message).toContain('holds 4190 copies of one rule (counted with grep | wc -l; the paste shows 1)');
    expect(f.message).toContain('iptables-nft 1.8.0 to 1.8.2 cannot find a rule that has a comment or mark match with -C (kubernetes#82361, fixed in iptables 1.8.3)');
    // the row, the command, the number, the warning: the ticket's own lines
    expect(f.evidence.map((e) => e.line).sort()).toEqual([1, 3, 4, 5]);
    expect(f.evidence.find((e) => e.line === 5)?.excerpt).toBe('4190');
    // upgrade first, then the loop that stops at one copy (kubelet's rule by its spec)
    expect(f.remedy.summary).toMatch(/^First stop the appends: iptables 1\.8\.3 or later/);
    expect(f.remedy.commands[1]).toMatch(/^while \[ "\$\(iptables -S KUBE-FIREWALL \| grep -cxF -- '-A KUBE-FIREWALL -m comment --comment "kubernetes firewall for dropping marked packets" -m mark --mark 0x8000\/0x8000 -j DROP'\)" -gt 1 \]; do iptables -D KUBE-FIREWALL .* \|\| break; done/);
  });

  it('the legacy-tables warning is folded into it, not a finding that says to move the legacy writer to nf_tables (every analyzer)', async () => {
    const r = await analyzeBundle(corpusPath('logs', CASE));
    expect(r.findings.map((x) => x.id)).toEqual(['iptables.rule-duplicated']);
    expect(r.findings[0].related).toContain('log.iptables-legacy-tables-present');
  });
});
