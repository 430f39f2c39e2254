/**
 * iptables.rule-duplicated on real text:
 * - iptables-nft-save / iptables-legacy-save / iptables-nft -L -v -n of kubelet's rules restored 5 times in a
 *   throw-away namespace on this machine (iptables 1.8.9; test/fixtures/rule-duplicated/SOURCES.md);
 * - `iptables v1.8.2 (nf_tables)`: iptables -V as Debian 10 prints it (quoted in nftfw's install docs and in
 *   kubernetes#82361's reports of the same 1.8.2 Debian buster hosts): with it the cause is the -C bug
 *   (https://github.com/kubernetes/kubernetes/issues/82361, #79304: fixed in 1.8.3);
 * - Docker 1.7 re-adding its OUTPUT jump at each daemon restart, verbatim from
 *   https://github.com/moby/moby/issues/13956;
 * - the whole corpus and seeds: no finding (the jc Ubuntu 18.04 listing's firewall script run three times
 *   is untidy, not a loop: no known writer and under 10 copies).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import dup, { MIN_COPIES_UNOWNED, removalLoop, ruleKey } from '../../analyzers/iptables-rule-duplicated.js';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { parseIptablesList } from '../../src/netfilter/list-format.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { parseIptablesVersion } from '../../src/netfilter/iptables-version.js';
import { scanLogText } from '../../src/logs/index.js';
import { corpusDir, hasCorpus, hasSeeds, projectPath, seedsDir } from '../helpers/shared.js';
import { writeFolder } from '../helpers/archive.js';
import { runNode } from './helpers.js';

const fixture = (f: string) => readFileSync(projectPath('test', 'fixtures', 'rule-duplicated', f), 'utf8');
const nftSave = () => parseIptablesSave(fixture('iptables-nft-save-5-copies.txt'), 'iptables-nft-save');
const legacySave = () => parseIptablesSave(fixture('iptables-legacy-save-5-copies.txt'), 'iptables-legacy-save');
const KUBELET_SPEC = '-m comment --comment "kubernetes firewall for dropping marked packets" -m mark --mark 0x8000/0x8000 -j DROP';

describe('iptables.rule-duplicated: dumps made in a namespace', () => {
  it('iptables-nft-save with 5 copies of each kubelet rule: one warning per chain, 5 copies, kubelet named, the loop by spec', () => {
    const fs = runNode(dup, { iptables: [nftSave()] });
    expect(fs.map((f) => [f.facts?.table, f.facts?.chain, f.facts?.copies, f.severity])).toEqual([
      ['filter', 'KUBE-FIREWALL', 5, 'warning'],
      ['nat', 'KUBE-MARK-DROP', 5, 'warning'],
    ]);
    const [fw, mark] = fs;
    expect(fw.message).toContain(`holds 5 copies of one rule: -A KUBE-FIREWALL ${KUBELET_SPEC}`);
    expect(fw.facts?.writer).toBe('kubelet');
    // the header says 1.8.9 (nf_tables): its -C works, so the writer appends without checking
    expect(fw.facts?.cause).toBe('writer');
    expect(fw.message).toMatch(/iptables here is 1\.8\.9 \(nf_tables\), its dump's header, whose -C finds such rules: kubelet appends this rule without checking/);
    expect(fw.remedy.commands).toContain(`${removalLoop('iptables', 'filter', 'KUBE-FIREWALL', KUBELET_SPEC)}   # deletes copies until one is left; pasted again it does nothing`);
    expect(mark.remedy.commands.join('\n')).toContain("iptables -t nat -S KUBE-MARK-DROP | grep -cxF -- '-A KUBE-MARK-DROP -j MARK --set-xmark 0x8000/0x8000'");
    // evidence: the first three copies and the last, at their lines
    expect(fw.evidence.slice(0, 4).map((e) => e.line)).toEqual([9, 10, 11, 13]);
    // the localnet DROP, once, is no finding
    expect(fs.some((f) => String(f.facts?.rule).includes('localnet'))).toBe(false);
  });

  it('both back ends live: one finding per back end, each with its own tool', () => {
    const fs = runNode(dup, { iptables: [nftSave(), legacySave()] });
    expect(fs).toHaveLength(4);
    const loops = fs.flatMap((f) => f.remedy.commands.filter((c) => c.startsWith('while')));
    expect(loops.filter((c) => c.includes('iptables-nft -S KUBE-FIREWALL'))).toHaveLength(1);
    expect(loops.filter((c) => c.includes('iptables-legacy -S KUBE-FIREWALL'))).toHaveLength(1);
  });

  it('2 copies: no finding (a restart leftover, sometimes deliberate)', () => {
    const text = fixture('iptables-nft-save-5-copies.txt').replace(/^-A KUBE-FIREWALL -m comment --comment "kubernetes firewall for dropping marked packets".*\n/gm, (l, off, all: string) => (all.indexOf(l) === off ? l + l : ''));
    const rs = parseIptablesSave(text, 'iptables-nft-save');
    expect(rs.tables.filter.chains['KUBE-FIREWALL'].rules.filter((r) => r.comment?.startsWith('kubernetes firewall'))).toHaveLength(2);
    expect(runNode(dup, { iptables: [rs] }).map((f) => f.facts?.chain)).toEqual(['KUBE-MARK-DROP']);
  });

  it('a listing (-L -v -n) counts the same rows as the dump, ignoring their counters; with iptables v1.8.2 (nf_tables) the cause is the -C bug', () => {
    const list = parseIptablesList(fixture('iptables-nft-L-v-n-KUBE-FIREWALL-5-copies.txt'), 'iptables-L-v-n.txt');
    const version = parseIptablesVersion('iptables v1.8.2 (nf_tables)\n', 'iptables-V');
    const [f] = runNode(dup, { iptables: [list], iptablesVersion: [version] });
    expect(f.facts).toMatchObject({ chain: 'KUBE-FIREWALL', copies: 5, cause: 'nft-check-bug', iptablesVersion: '1.8.2', writer: 'kubelet' });
    expect(f.message).toContain('iptables-nft 1.8.0 to 1.8.2 cannot find a rule that has a comment or mark match with -C (kubernetes#82361, fixed in iptables 1.8.3)');
    expect(f.remedy.summary).toMatch(/^First stop the appends: iptables 1\.8\.3 or later/);
    // a listing has no spec: kubelet's own rule is known, so the loop still deletes by spec
    expect(f.remedy.commands.some((c) => c.startsWith('while') && c.includes(KUBELET_SPEC))).toBe(true);
    expect(f.evidence.some((e) => e.file === 'iptables-V' && e.excerpt === 'iptables v1.8.2 (nf_tables)')).toBe(true);
    // the same rule in the listing and in the dump has the same identity
    const saved = nftSave().tables.filter.chains['KUBE-FIREWALL'].rules[0];
    expect(ruleKey(list.tables.filter.chains['KUBE-FIREWALL'].rules[0])).toBe(ruleKey(saved));
  });

  it('iptables-nft 1.8.2 with 100+ copies is critical, and the legacy-tables warning becomes its side note', () => {
    const rows = fixture('iptables-nft-L-v-n-KUBE-FIREWALL-5-copies.txt').split('\n');
    const copy = rows[2];
    const text = [rows[0], rows[1], ...Array(120).fill(copy), rows[7], ''].join('\n');
    const list = parseIptablesList(text, 'iptables-L-v-n.txt');
    const warning = '# Warning: iptables-legacy tables present, use iptables-legacy to see them';
    const logs = [scanLogText(`${warning}\n`, 'session.txt', { year: 2026 })];
    const [f] = runNode(dup, { iptables: [list], iptablesVersion: [parseIptablesVersion('iptables v1.8.2 (nf_tables)\n', 'iptables-V')], logs });
    expect(f.severity).toBe('critical');
    expect(f.facts?.copies).toBe(120);
    expect(f.evidence.some((e) => e.file === 'session.txt' && e.line === 1)).toBe(true);
    expect(f.facts?.logSymptomMismatch).toBeUndefined();
  });

  it('where iptables -C works (1.8.9), the legacy-tables warning is not explained: it stays its own finding', () => {
    const logs = [scanLogText('# Warning: iptables-legacy tables present, use iptables-legacy to see them\n', 'session.txt', { year: 2026 })];
    const [f] = runNode(dup, { iptables: [nftSave()], logs });
    expect(f.facts?.cause).toBe('writer');
    expect(f.facts?.logSymptomMismatch).toEqual(['session.txt:1']);
  });
});

describe("iptables.rule-duplicated: nft's listing of compat matches without their options (R11 p05/p06)", () => {
  it("ufw's ICMPv6 rules, listed by nft as a bare `xt match icmp6`, are not copies of one rule", async () => {
    const report = await analyzeBundle(writeFolder({ 'nft-list-ruleset.txt': fixture('ufw-host-nft-list-ruleset.txt') }, 'ufw-nft-icmp6'));
    expect(report.findings.filter((f) => f.id === 'iptables.rule-duplicated')).toEqual([]);
    // the four identical-looking rows are there: the check sees them and does not count them
    expect(fixture('ufw-host-nft-list-ruleset.txt').match(/meta l4proto ipv6-icmp xt match icmp6 ip6 hoplimit 255 counter packets 0 bytes 0 accept/g)!.length).toBeGreaterThanOrEqual(2);
  });
});

describe('iptables.rule-duplicated: Docker re-adding its jump (moby/moby#13956)', () => {
  it('nine copies of OUTPUT -> DOCKER: a warning naming Docker and its restarts, not the -C bug', () => {
    const rs = parseIptablesList(fixture('moby-13956-docker17-output-dup-vL.txt'), 'iptables-t-nat-vL.txt', { table: 'nat' });
    const [f, ...rest] = runNode(dup, { iptables: [rs] });
    expect(rest).toHaveLength(0);
    expect(f.severity).toBe('warning');
    expect(f.facts).toMatchObject({ table: 'nat', chain: 'OUTPUT', copies: 9, writer: 'docker' });
    expect(f.message).toContain('Docker');
    expect(f.message).toContain('moby/moby#13956');
    // a listing: no spec to delete by, the command shows the copies with their spec
    expect(f.remedy.commands.at(-1)).toMatch(/^iptables -t nat -S OUTPUT \| sort \| uniq -c/);
  });
});

describe.skipIf(!hasCorpus)('iptables.rule-duplicated on the whole corpus and the seeds', () => {
  it('no finding on any real dump, bundle or log (healthy or broken some other way)', async () => {
    const files: string[] = [];
    const walk = (d: string) => {
      for (const f of readdirSync(d)) {
        const p = join(d, f);
        if (statSync(p).isDirectory()) walk(p);
        else if (!p.endsWith('.md')) files.push(p);
      }
    };
    walk(corpusDir);
    if (hasSeeds) walk(seedsDir);
    expect(files.length).toBeGreaterThan(50);
    const hits: string[] = [];
    const checkUnsupported: string[] = [];
    for (const f of files) {
      // kubernetes#76431's paste counts the rule only where the parser reads `| grep | wc -l` (see the case test)
      if (f.endsWith('kubernetes-76431-kubelet-duplicate-kube-firewall-4190.log')) continue;
      const r = await analyzeBundle(f, { analyzers: [dup] });
      for (const x of r.findings) {
        // iptables 1.4.7 under kube-proxy's userspace chains (the dump of kubernetes PR #12839, "Fix dup rule generation
        // with older iptables"): no -C there, so the warning of iptables.check-unsupported is right; it alone
        if (x.id === 'iptables.check-unsupported' && f.endsWith('kubernetes-pr12839-userspace-proxy-2015-nat-linewrapped.txt')) {
          checkUnsupported.push(`${x.severity} ${x.evidence[0].line}: ${x.evidence[0].excerpt}`);
          continue;
        }
        hits.push(`${f}: ${x.message.slice(0, 160)}`);
      }
    }
    expect(hits).toEqual([]);
    // cited at the dump's header, line 1 (R20)
    expect(checkUnsupported).toEqual([expect.stringMatching(/^warning 1: # Generated by iptables-save v1\.4\.7/)]);
  }, 300_000);

  it("the jc Ubuntu 18.04 listing (a firewall script run three times): 3 copies of rules no component is known to write, under the unowned threshold", () => {
    const rs = parseIptablesList(readFileSync(join(corpusDir, 'iptables-list', 'jc-ubuntu1804-plain-filter-nvL.txt'), 'utf8'), 'jc-ubuntu1804-plain-filter-nvL.txt');
    const input = rs.tables.filter.chains.INPUT.rules;
    expect(input.filter((r) => r.target === 'DROP' && r.matches.some((m) => m.module === 'conntrack'))).toHaveLength(3);
    expect(3).toBeLessThan(MIN_COPIES_UNOWNED);
    expect(runNode(dup, { iptables: [rs] })).toEqual([]);
  });
});
