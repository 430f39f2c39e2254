/**
 * iptables.rule-duplicated's removal loops, run for real: kubelet's two rules restored 5 times each into
 * both back ends of a throw-away namespace (iptables-nft-restore and iptables-legacy-restore of
 * test/fixtures/rule-duplicated/kubelet-5-copies.rules), dumped with iptables-nft-save and
 * iptables-legacy-save, read, analysed; the printed `while ... -D ... || break; done` commands, pasted
 * twice, leave exactly one copy of each rule in each back end and every other rule as it was.
 * Skipped where no namespace can be made (not root, no iproute2 or iptables).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import dup from '../../analyzers/iptables-rule-duplicated.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { canMakeNetns, projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const NS = `bddup${process.pid}`;
const sh = (script: string, input?: string) => execFileSync('ip', ['netns', 'exec', NS, 'sh', '-c', script], { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'ignore'] });
const RULES = readFileSync(projectPath('test', 'fixtures', 'rule-duplicated', 'kubelet-5-copies.rules'), 'utf8');
const rulesOf = (backend: 'nft' | 'legacy') => sh(`iptables-${backend}-save`).split('\n').filter((l) => l.startsWith('-A '));

describe.skipIf(!canMakeNetns())('rule-duplicated removal loops in a namespace, both back ends', () => {
  afterAll(() => {
    try {
      execFileSync('ip', ['netns', 'del', NS], { stdio: 'ignore' });
    } catch {
      /* not made */
    }
  });

  it('stop at one copy, pasted once or twice, and touch nothing else', () => {
    execFileSync('ip', ['netns', 'add', NS]);
    sh('iptables-nft-restore', RULES);
    sh('iptables-legacy-restore', RULES);
    const dumps = (['nft', 'legacy'] as const).map((b) => parseIptablesSave(sh(`iptables-${b}-save`), `iptables-${b}-save`));
    expect(dumps.map((d) => d.backend)).toEqual(['nf_tables', 'legacy']);
    const findings = runNode(dup, { iptables: dumps });
    expect(findings.map((f) => `${f.facts?.backend} ${f.facts?.table} ${f.facts?.chain} ${f.facts?.copies}`).sort()).toEqual([
      'legacy filter KUBE-FIREWALL 5',
      'legacy nat KUBE-MARK-DROP 5',
      'nf_tables filter KUBE-FIREWALL 5',
      'nf_tables nat KUBE-MARK-DROP 5',
    ]);
    const loops = findings.flatMap((f) => f.remedy.commands.filter((c) => c.startsWith('while ')));
    expect(loops).toHaveLength(4);
    // both back ends hold rules: each loop names its own tool
    expect(loops.filter((c) => /^while \[ "\$\(iptables-nft /.test(c))).toHaveLength(2);
    expect(loops.filter((c) => /^while \[ "\$\(iptables-legacy /.test(c))).toHaveLength(2);
    const before = { nft: rulesOf('nft'), legacy: rulesOf('legacy') };
    const once = (rules: string[]) => rules.filter((l, i) => !/kubernetes firewall for dropping marked packets|--set-xmark 0x8000\/0x8000/.test(l) || rules.indexOf(l) === i);
    for (let paste = 0; paste < 2; paste++) {
      sh(loops.join('\n'));
      for (const b of ['nft', 'legacy'] as const) {
        const after = rulesOf(b);
        expect(after, `${b}, paste ${paste + 1}`).toEqual(once(before[b]));
        expect(after.filter((l) => l.includes('kubernetes firewall for dropping marked packets'))).toHaveLength(1);
        expect(after.filter((l) => l.startsWith('-A KUBE-MARK-DROP '))).toHaveLength(1);
        expect(after).toContain('-A INPUT -j KUBE-FIREWALL');
        expect(after.some((l) => l.includes('block incoming localnet connections'))).toBe(true);
      }
    }
    // the dump after: no finding
    const clean = (['nft', 'legacy'] as const).map((b) => parseIptablesSave(sh(`iptables-${b}-save`), `iptables-${b}-save`));
    expect(runNode(dup, { iptables: clean })).toEqual([]);
  });
});
