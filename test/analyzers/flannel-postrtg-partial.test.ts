/**
 * flannel.masquerade-missing on a FLANNEL-POSTRTG that holds some of flannel's rules but not all, where the
 * listing is whole or the pasted command's grep would have shown the missing rule; quiet (the coverage says
 * why) where the grep would have hidden it or is not known.
 *
 * Real text: test/fixtures/h26 (make-fixtures.sh): k3s' rule set (../k8s-flush/k3s-healthy.rules: flannel's
 * later six-rule FLANNEL-POSTRTG) loaded with the real iptables 1.8.9 into a network namespace, some of
 * flannel's rules deleted with iptables -D, listed with `iptables -t nat -nvL` and piped through the real
 * GNU grep as a ticket pastes it (the command line above the output); and the older five-rule chain
 * (flannel-io/flannel network/iptables.go MasqRules after flannel PR #1681) written there the same way.
 * Also ../k8s-flush/k3s-masq-missing.rules (FLANNEL-POSTRTG flushed) listed and grepped the same way, an iptables-save
 * and a `-S | grep MASQUERADE` of the namespace; ../k3s-7096/grep-i-flannel-healthy.txt and k3s-version-v1.26.3-rc2.txt
 * (k3s-io/k3s#7096, https://github.com/k3s-io/k3s/issues/7096). flannel's rule sets: flannel-io/flannel
 * network/iptables.go and pkg/trafficmngr/iptables/iptables.go, flannel#1679 (v0.20.1's four rules), PR #1681.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import flannelMasqueradeMissing from '../../analyzers/flannel-masquerade-missing.js';
import type { FindingDraft } from '../../src/engine/analyzer.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { parseIptablesList } from '../../src/netfilter/list-format.js';
import { parseIptablesSpec } from '../../src/netfilter/save-format.js';
import { parseK3sVersion } from '../../src/parsers/k3s-version.js';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const fx = (name: string) => readFileSync(projectPath('test/fixtures/h26', name), 'utf8');
const listing = (name: string, text = fx(name)) => parseIptablesList(text, name);

function run(files: { name: string; text?: string }[]): { findings: FindingDraft[]; partly: string[] } {
  const partly: string[] = [];
  const artifacts = { iptables: files.map((f) => listing(f.name, f.text)) } as unknown as NodeArtifacts;
  const findings = flannelMasqueradeMissing.analyze({ node: 'k3s-node', artifacts: artifacts as never, options: { requiredPorts: [] }, partly: (w: string) => partly.push(w) } as never);
  return { findings, partly };
}
const one = (name: string) => run([{ name }]);
const lineOf = (name: string, n: number) => fx(name).split('\n')[n - 1];

describe('the MASQUERADE to the outside deleted', () => {
  it('whole -nvL listing: critical, names the missing rule, what it breaks, and rewrites the chain in order', () => {
    const { findings, partly } = one('nat-nvL-no-out-masq.txt');
    expect(partly).toEqual([]);
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f.severity).toBe('critical');
    expect(f.title).toBe("flannel's masquerade chain FLANNEL-POSTRTG lacks some of flannel's rules");
    expect(f.message).toContain('holds 5 of flannel\'s rules, but not the MASQUERADE of the pod network to the outside (`-s 10.42.0.0/16 ! -d 224.0.0.0/4 -j MASQUERADE`) (the nat table is listed whole)');
    expect(f.message).toContain('not the outside');
    expect(f.facts).toMatchObject({ network: '10.42.0.0/16', podSubnet: '10.42.0.0/24', listing: 'whole nat table' });
    expect(lineOf('nat-nvL-no-out-masq.txt', f.evidence[0].line)).toBe('Chain FLANNEL-POSTRTG (1 references)');
    expect(f.remedy.commands).toContain('iptables -t nat -A FLANNEL-POSTRTG -s 10.42.0.0/16 ! -d 224.0.0.0/4 -m comment --comment "flanneld masq" -j MASQUERADE --random-fully');
    expect(f.remedy.commands.findIndex((c) => c.startsWith('iptables -t nat -F FLANNEL-POSTRTG'))).toBeLessThan(f.remedy.commands.findIndex((c) => c.startsWith('iptables -t nat -A FLANNEL-POSTRTG')));
  });

  it('`| grep -i flannel`: the grep shows every rule with flannel\'s comment, so the missing one would be there: a warning (the rest of POSTROUTING is hidden)', () => {
    const { findings, partly } = one('grep-i-flannel-no-out-masq.txt');
    expect(partly).toEqual([]);
    expect(findings).toHaveLength(1);
    expect(findings[0].severity).toBe('warning');
    expect(findings[0].message).toContain('the pasted `| grep -i flannel` would have shown it (grep-i-flannel-no-out-masq.txt:1)');
    expect(findings[0].message).toContain('The grep hides the rest of nat POSTROUTING');
  });

  it('`| grep -i flannel | grep -v RETURN`: the MASQUERADE would be shown (said), the RETURNs would not (not said, the coverage says why)', () => {
    const { findings, partly } = one('grep-v-return-no-out-masq.txt');
    expect(findings).toHaveLength(1);
    expect(findings[0].facts!.missing).toEqual(['the MASQUERADE of the pod network to the outside (`-s 10.42.0.0/16 ! -d 224.0.0.0/4 -j MASQUERADE`)']);
    expect(partly).toHaveLength(1);
    expect(partly[0]).toMatch(/lacks the RETURN that keeps traffic inside the pod network 10\.42\.0\.0\/16 .*which would not have shown it/);
  });

  it('`| grep -i flannel | head -5`: which lines were kept is not known: no finding, the coverage says why', () => {
    const { findings, partly } = one('grep-head-no-out-masq.txt');
    expect(findings).toEqual([]);
    expect(partly).toHaveLength(1);
    expect(partly[0]).toContain('which is not read as a line filter ("head -5" in the pipe is no grep)');
  });

  it('the same grep without its command line: no finding, the coverage says the filter is not known', () => {
    const text = fx('grep-i-flannel-no-out-masq.txt').split('\n').slice(1).join('\n');
    const { findings, partly } = run([{ name: 'paste.txt', text }]);
    expect(findings).toEqual([]);
    expect(partly[0]).toContain('no command line above it');
  });
});

describe('the in-cluster RETURNs deleted', () => {
  it('whole listing: a warning, pod-to-pod traffic masqueraded', () => {
    const { findings } = one('nat-nvL-no-incluster-return.txt');
    expect(findings).toHaveLength(1);
    expect(findings[0].severity).toBe('warning');
    expect(findings[0].message).toContain('pod-to-pod traffic');
    expect(findings[0].message).toContain('NetworkPolicies');
  });
  it('`| grep -i flannel`: a warning', () => {
    const { findings } = one('grep-i-flannel-no-incluster-return.txt');
    expect(findings).toHaveLength(1);
    expect(findings[0].severity).toBe('warning');
  });
  it("`| grep -E 'FLANNEL|MASQ'`: the RETURNs would be hidden whatever the chain holds: no finding, the coverage says so", () => {
    const { findings, partly } = one('grep-E-flannel-masq-no-incluster-return.txt');
    expect(findings).toEqual([]);
    expect(partly).toHaveLength(1);
    expect(partly[0]).toContain("filtered by `| grep -E 'FLANNEL|MASQ'`");
  });
  it('the older five-rule chain without its `-s N -d N` RETURN: a warning', () => {
    const { findings } = one('nat-nvL-older-no-incluster-return.txt');
    expect(findings).toHaveLength(1);
    expect(findings[0].facts!.missing).toEqual([expect.stringMatching(/^the RETURN that keeps traffic inside the pod network 10\.42\.0\.0\/16/)]);
  });
});

describe('healthy chains: nothing said', () => {
  for (const name of ['nat-nvL-healthy.txt', 'nat-nvL-older-healthy.txt', 'grep-i-flannel-older-healthy.txt']) {
    it(name, () => {
      const { findings, partly } = one(name);
      expect(findings).toEqual([]);
      expect(partly).toEqual([]);
    });
  }
  it('../k3s-7096/grep-i-flannel-healthy.txt', () => {
    const text = readFileSync(projectPath('test/fixtures/k3s-7096', 'grep-i-flannel-healthy.txt'), 'utf8');
    const { findings, partly } = run([{ name: 'grep.txt', text }]);
    expect(findings).toEqual([]);
    expect(partly).toEqual([]);
  });
});

describe('the bundle path (the file sniffed and parsed as a collector or a ticket gives it)', () => {
  it('iptables-save of the node without the MASQUERADE to the outside: critical', async () => {
    const r = await analyzeBundle(writeFolder({ 'iptables-save.txt': fx('save-no-out-masq.rules') }, 'h26-save-no-out-masq'));
    const f = r.findings.filter((x) => x.id === 'flannel.masquerade-missing');
    expect(f).toHaveLength(1);
    expect(f[0].severity).toBe('critical');
    expect(f[0].facts).toMatchObject({ listing: 'whole nat table', network: '10.42.0.0/16' });
  });
  it('`iptables -t nat -S | grep MASQUERADE` of a healthy node (flannel\'s RETURNs hidden by the grep): no finding', async () => {
    const r = await analyzeBundle(writeFolder({ 'iptables-S.txt': fx('S-grep-MASQUERADE-healthy.txt') }, 'h26-S-grep-masq'));
    expect(r.findings.map((x) => x.id)).not.toContain('flannel.masquerade-missing');
  });
  it('`iptables -t nat -S | grep -v RETURN` of a healthy node: the RETURNs the grep dropped are not missing (save-format keeps the pipe)', async () => {
    const r = await analyzeBundle(writeFolder({ 'iptables-S.txt': fx('S-grep-v-RETURN-healthy.txt') }, 'h26-S-grep-v-return'));
    expect(r.findings.map((x) => x.id)).not.toContain('flannel.masquerade-missing');
    const rs = parseIptablesSpec(fx('S-grep-v-RETURN-healthy.txt'), 'iptables-S.txt');
    expect(rs.outputFilters?.map((f) => [f.from, f.to, f.greps.length, f.unknown])).toEqual([[2, rs.outputFilters![0].to, 1, undefined]]);
  });
  it('`| grep -i flannel` of a node without the MASQUERADE to the outside, sniffed from the bundle: a warning', async () => {
    const r = await analyzeBundle(writeFolder({ 'iptables-nat.txt': fx('grep-i-flannel-no-out-masq.txt') }, 'h26-grep-i'));
    expect(r.findings.filter((x) => x.id === 'flannel.masquerade-missing').map((x) => x.severity)).toEqual(['warning']);
  });
});

describe('an empty FLANNEL-POSTRTG under a pasted grep (no k3s#7096)', () => {
  it('`| grep -i flannel` of the flushed chain, k3s at the fix of k3s#7096 (its default pod network assumed): the grep would have shown every rule flannel writes: a warning, the grep cited', () => {
    const partly: string[] = [];
    const k3sVersion = parseK3sVersion(readFileSync(projectPath('test/fixtures/k3s-7096', 'k3s-version-v1.26.3-rc2.txt'), 'utf8'), 'k3s-version.txt');
    const artifacts = { iptables: [listing('grep-i-flannel-flushed.txt')], k3sVersion: [k3sVersion] } as unknown as NodeArtifacts;
    const findings = flannelMasqueradeMissing.analyze({ node: 'k3s-node', artifacts: artifacts as never, options: { requiredPorts: [] }, partly: (w: string) => partly.push(w) } as never);
    expect(partly).toEqual([]);
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f.severity).toBe('warning');
    expect(f.message).toContain('The pasted `| grep -i flannel` (grep-i-flannel-flushed.txt:1) shows every rule flannel writes in FLANNEL-POSTRTG');
    expect(f.facts).toMatchObject({ listing: 'grep: $ sudo iptables -t nat -nvL | grep -i flannel' });
    expect(f.facts).not.toHaveProperty('knownIssue');
  });
  it('the same without the k3s version: the pod network is not known: no finding, the coverage says why', () => {
    const { findings, partly } = one('grep-i-flannel-flushed.txt');
    expect(findings).toEqual([]);
    expect(partly[0]).toContain("the bundle does not say flannel's network");
  });
  it("`| grep -E 'Chain|FLANNEL'` of the flushed chain: POSTROUTING's header is there but the grep hides flannel's rules: no finding, the coverage says why", () => {
    const { findings, partly } = one('grep-E-chain-flannel-flushed.txt');
    expect(findings).toEqual([]);
    expect(partly[0]).toMatch(/^FLANNEL-POSTRTG is listed with no rule/);
  });
  it("`| grep -E 'Chain|FLANNEL'` of the healthy node: the same shape, no finding", () => {
    const { findings } = one('grep-E-chain-flannel-healthy.txt');
    expect(findings).toEqual([]);
  });
});
