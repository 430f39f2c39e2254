/**
 * A kube-proxy dump's rules are kept unparsed until read (save-format.ts LazyRule): analyses read chain, target
 * and text, and parse matches only of the rules whose text names what they look for. Four times an analyzer
 * parsed them all (the rules-only forward check, the container-DNS bridge lookup, the IPVS check, this session's
 * duplicate-rule check) and the bench's kube-proxy row went from ~1.4 s to 2.2-2.7 s and 250-280 MB. This counts
 * the parses over a whole analysis of the bench's own generated dump (no timing): a few per cent at most.
 */
import { describe, expect, it } from 'vitest';
import { kubeProxySave } from '../../bench/gen.js';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { lazyRuleParses } from '../../src/netfilter/save-format.js';
import { writeFolder } from '../helpers/archive.js';

describe("a kube-proxy dump's rules stay unparsed", () => {
  it('analyzing 1,000 Services (about 11,000 rules) parses under 5% of them', async () => {
    const text = kubeProxySave(1000);
    const dir = writeFolder({ 'iptables-save.txt': text }, 'kube-proxy-1000');
    const rules = text.split('\n').filter((l) => l.startsWith('-A ')).length;
    expect(rules).toBeGreaterThan(10_000);
    const before = lazyRuleParses();
    const report = await analyzeBundle(dir);
    const parsed = lazyRuleParses() - before;
    expect(report.coverage.nodes[0].artifacts.iptables).toEqual(['iptables-save.txt']);
    expect(parsed).toBeLessThan(rules * 0.05);
  });
});
