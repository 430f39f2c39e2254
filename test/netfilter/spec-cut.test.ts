/**
 * A rule dump that ends before a chain's rules would be listed does not show that chain empty.
 *
 * `iptables -S` (and iptables-save) print every chain's -P/-N (`:`) line first, then the -A lines
 * chain by chain in the order of those lines. Checked with the real binaries (iptables 1.8.9, nf_tables
 * and legacy) in a network namespace: test/fixtures/h31/chain-order.rules declares its chains out of
 * order (ZZZ, KUBE-FORWARD, DOCKER, KUBE-FIREWALL, AAA) and both back ends print them sorted, the -A lines
 * in the same order as the -N lines (chain-order-iptables-{nft,legacy}-S.txt, from
 * `ip netns exec h31-x iptables-{nft,legacy}-restore < chain-order.rules; iptables-{nft,legacy} -S`).
 *
 * Real text:
 * - corpus flannel-1321 (flannel-io/flannel#1321: an `iptables -S -v` excerpt that ends at line 25 on
 *   -A KUBE-FIREWALL, KUBE-FORWARD's rules would follow), microk8s-2180 (canonical/microk8s#2180: only
 *   -N lines), kubeadm-784 (kubernetes/kubeadm#784: an iptables-save nat table without COMMIT, cut in
 *   PREROUTING's rules): "cannot tell" (info), no longer a CRITICAL "flushed" (flannel, microk8s) or a
 *   silent "healthy" (kubeadm).
 * - test/fixtures/h31/kube-filter*.txt: kube-proxy's filter chains (kube-filter.rules) restored in a
 *   namespace, dumped with iptables-nft -S -v / iptables-legacy -S / iptables-legacy-save, healthy and
 *   after `iptables -F KUBE-FORWARD`: the flush, whose chain comes before KUBE-SERVICES' rule, is still
 *   CRITICAL; the healthy dumps give nothing.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import kubeChainsMissing from '../../analyzers/iptables-kube-chains-missing.js';
import { parseIptablesSave, parseIptablesSpec } from '../../src/netfilter/save-format.js';
import type { Ruleset } from '../../src/netfilter/rules.js';
import { runNode } from '../analyzers/helpers.js';
import { corpusPath, hasCorpus, projectPath } from '../helpers/shared.js';

const fx = (name: string) => readFileSync(projectPath('test/fixtures/h31', name), 'utf8');
const corpus = (name: string) => readFileSync(corpusPath('iptables-save', name), 'utf8');
const FLANNEL = 'flannel-1321-after-reboot-filter-iptables-S-v-counters-truncated.txt';
const MICROK8S = 'microk8s-2180-iptables-legacy-S-kube-cali-on-nft-host-fragment.txt';
const KUBEADM = 'kubeadm-784-arm-node-nat-no-kube-svc-truncated.txt';

const unlisted = (rs: Ruleset, table: string) =>
  Object.values(rs.tables[table].chains)
    .filter((c) => c.unlisted)
    .map((c) => c.name);
const kube = (rs: Ruleset, node = 'node1') => runNode(kubeChainsMissing, { iptables: [rs] }, node);

describe('iptables -S order (real output, both back ends)', () => {
  for (const be of ['nft', 'legacy'])
    it(`iptables-${be} -S: the -A lines come chain by chain in the order of the -P/-N lines`, () => {
      const lines = fx(`chain-order-iptables-${be}-S.txt`).trim().split('\n');
      const listed = lines.filter((l) => /^-[PN] /.test(l)).map((l) => l.split(' ')[1]);
      const ruled = lines.filter((l) => l.startsWith('-A ')).map((l) => l.split(' ')[1]);
      expect(lines.findIndex((l) => l.startsWith('-A '))).toBe(listed.length);
      expect([...new Set(ruled)]).toEqual(listed);
      // the rules file declared them in another order: the dump sorts them
      expect(listed).toEqual(['INPUT', 'FORWARD', 'OUTPUT', 'AAA', 'DOCKER', 'KUBE-FIREWALL', 'KUBE-FORWARD', 'ZZZ']);
      // complete: no chain is left unknown; cut after KUBE-FIREWALL's rule: the chains after it are
      const full = parseIptablesSpec(lines.join('\n'), 'iptables-S.txt');
      expect(unlisted(full, 'filter')).toEqual([]);
      const end = lines.findIndex((l) => l.startsWith('-A KUBE-FIREWALL'));
      const cut = parseIptablesSpec(lines.slice(0, end + 1).join('\n'), 'iptables-S.txt');
      expect(unlisted(cut, 'filter')).toEqual(['KUBE-FORWARD', 'ZZZ']);
      expect(cut.tables.filter.chains['KUBE-FORWARD'].unlisted).toEqual({ file: 'iptables-S.txt', line: end + 1, after: 'KUBE-FIREWALL' });
    });

  it('an empty chain listed before the last rule is known empty: not marked', () => {
    const rs = parseIptablesSpec(fx('kube-filter-forward-flushed-iptables-nft-S-v.txt'), 'iptables-nft-S-v.txt');
    expect(rs.tables.filter.chains['KUBE-FORWARD'].rules).toEqual([]);
    expect(unlisted(rs, 'filter')).toEqual([]);
  });
});

describe('iptables.kube-chains-missing on a dump that ends before the chain (fires: info, not critical)', () => {
  it('the flushed KUBE-FORWARD, its real -S -v output cut before KUBE-SERVICES\' rule: cannot tell', () => {
    const lines = fx('kube-filter-forward-flushed-iptables-nft-S-v.txt').trim().split('\n');
    expect(lines[24]).toMatch(/^-A KUBE-SERVICES /);
    const [f, ...more] = kube(parseIptablesSpec(lines.slice(0, 24).join('\n'), 'iptables-S-v.txt'));
    expect(more).toEqual([]);
    expect(f.severity).toBe('info');
    expect(f.message).toContain('iptables-S-v.txt ends at line 24, before the rules of KUBE-FORWARD would be listed');
  });

  describe.skipIf(!hasCorpus)('corpus excerpts', () => {
    it('flannel-1321 (-S -v ending on -A KUBE-FIREWALL): "ends at line 25, before KUBE-FORWARD\'s rules", info', () => {
      const rs = parseIptablesSpec(corpus(FLANNEL), FLANNEL);
      expect(unlisted(rs, 'filter')).toEqual(['KUBE-FORWARD', 'KUBE-KUBELET-CANARY']);
      const f = kube(rs, 'flannel-node');
      expect(f.map((x) => x.severity)).toEqual(['info']);
      expect(f[0].message).toMatch(/^Cannot tell whether kube-proxy's rules are in place on flannel-node: flannel-1321-\S+ ends at line 25, before the rules of KUBE-FORWARD would be listed \(its last rule is KUBE-FIREWALL's; iptables -S prints no end marker\)/);
      expect(f[0].message).not.toMatch(/flushed\./);
      expect(f[0].evidence).toEqual([expect.objectContaining({ file: FLANNEL, line: 9, excerpt: 'KUBE-FORWARD' })]);
      expect(f[0].remedy.commands).toEqual(['iptables-save > iptables-save.txt']);
    });

    it('microk8s-2180 (only -N lines of iptables-legacy -S): info, asks for iptables-legacy-save', () => {
      const f = kube(parseIptablesSpec(corpus(MICROK8S), MICROK8S));
      expect(f.map((x) => x.severity)).toEqual(['info']);
      expect(f[0].message).toContain('ends at line 14, before the rules of KUBE-FORWARD and FORWARD would be listed (it holds no -A line at all');
      expect(f[0].remedy.commands).toEqual(['iptables-legacy-save > iptables-legacy-save.txt']);
    });

    it('kubeadm-784 (iptables-save v1.6.0 nat without COMMIT): "cut" too, not a silent healthy', () => {
      const rs = parseIptablesSave(corpus(KUBEADM), KUBEADM);
      expect(unlisted(rs, 'nat')).toEqual(['INPUT', 'OUTPUT', 'POSTROUTING', 'DOCKER', 'KUBE-MARK-DROP', 'KUBE-MARK-MASQ', 'KUBE-POSTROUTING', 'KUBE-SERVICES']);
      expect(rs.tables.nat.chains['KUBE-SERVICES'].unlisted).toEqual({ file: KUBEADM, line: 13, after: 'PREROUTING' });
      const f = kube(rs);
      expect(f.map((x) => x.severity)).toEqual(['info']);
      expect(f[0].message).toContain('ends at line 13, before the rules of KUBE-SERVICES, OUTPUT, KUBE-POSTROUTING and POSTROUTING would be listed (its last rule is PREROUTING\'s; its table has no COMMIT)');
      // iptables 1.6 has no iptables-legacy-save
      expect(f[0].remedy.commands).toEqual(['iptables-save > iptables-save.txt']);
    });
  });
});

describe('iptables.kube-chains-missing on whole dumps (real output)', () => {
  it.each([
    ['kube-filter-forward-flushed-iptables-nft-S-v.txt', parseIptablesSpec],
    ['kube-filter-forward-flushed-iptables-legacy-S.txt', parseIptablesSpec],
    ['kube-filter-forward-flushed-iptables-legacy-save.txt', parseIptablesSave],
  ] as const)('%s: KUBE-FORWARD flushed, KUBE-SERVICES\' rule after it: still critical', (name, parse) => {
    const f = kube(parse(fx(name), name));
    expect(f.map((x) => x.severity)).toEqual(['critical']);
    expect(f[0].message).toContain('filter KUBE-FORWARD is empty: the chains are there but empty: they were flushed');
  });

  it.each(['kube-filter-healthy-iptables-nft-S-v.txt', 'kube-filter-healthy-iptables-legacy-S.txt'])('%s: healthy, nothing', (name) => {
    expect(kube(parseIptablesSpec(fx(name), name))).toEqual([]);
  });
});
