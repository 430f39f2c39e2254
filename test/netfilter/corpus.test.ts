/**
 * The rule model on real-world dumps (../shared/corpus, read in place): every file parses or is
 * deliberately skipped, and named rules land with their fields and line numbers.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SkipFile } from '../../src/model/source.js';
import { parseIptablesList } from '../../src/netfilter/list-format.js';
import { allRules, findChain, jumpsTo, matchOption, summarize, type Ruleset } from '../../src/netfilter/rules.js';
import { parseIptablesSave, parseIptablesSpec, sniffIptables } from '../../src/netfilter/save-format.js';
import { ctStates, markCondition, portConditions, targetSpec } from '../../src/netfilter/values.js';
import { corpusPath, hasCorpus, readCorpus } from '../helpers/shared.js';
import { rulesetView } from './model-view.js';

const save = (f: string) => parseIptablesSave(readCorpus('iptables-save', f), f);
const list = (f: string, table?: string) => parseIptablesList(readCorpus('iptables-list', f), f, { table });
const rule = (rs: Ruleset, table: string, chain: string, num: number) => findChain(rs, table, chain)!.rules[num - 1];

/** What sniffing the first 4 KB says of each corpus file; null = not an iptables dump on its own. */
const EXPECTED_KIND: Record<string, 'save' | 'spec' | 'list' | null> = {
  'calico-1129-iptables-save-c-counters-cali-docker-isolation-fragment.txt': 'save',
  'calico-3835-ip6tables-save-c-cali-forward-redacted-fragment.txt': 'save',
  'flannel-1321-after-reboot-filter-iptables-S-v-counters-truncated.txt': 'spec',
  'free5gc-compose-docker-nft-list-ruleset.txt': null,
  'kubernetes-112477-kube-firewall-rewritten-without-mark-fragment.txt': 'save',
  'kubernetes-114549-coreos36-vs-37-kube-firewall-fragment.txt': 'save',
  'kubernetes-66454-tab-indented-mangle-nat-virbr0-truncated.txt': 'save',
  'microk8s-2180-iptables-legacy-S-kube-cali-on-nft-host-fragment.txt': 'spec',
  'moby-docker27-new-daemon-iptables-S.txt': 'spec',
  'moby-docker28-swarm-ingress-iptables-S.txt': 'spec',
  'moby-docker29-usernet-portmap-iptables-S.txt': 'spec',
  // rows pasted without their Chain line: only the reader of the ticket knows the chain
  'calico-8243-aks-cali-from-wl-dispatch-vL-fragment.txt': null,
};

describe.skipIf(!hasCorpus)('every corpus dump', () => {
  // the suite body runs even when skipped: list the corpus only where it is there
  const files = hasCorpus ? ['iptables-save', 'iptables-list'].flatMap((dir) => readdirSync(corpusPath(dir)).map((f) => [dir, f] as const)) : [];

  it('is recognised by sniffing its first 4 KB, fragments and indented pastes included', () => {
    for (const [dir, f] of files) {
      const expected = f in EXPECTED_KIND ? EXPECTED_KIND[f] : dir === 'iptables-list' ? 'list' : 'save';
      expect(sniffIptables(readCorpus(dir, f).slice(0, 4096)), f).toBe(expected);
    }
  });

  it('parses with every rule located and fully read, or is skipped as not this format', () => {
    let rules = 0;
    for (const [dir, f] of files) {
      const text = readCorpus(dir, f);
      const kind = sniffIptables(text.slice(0, 4096));
      if (kind === null) {
        expect(() => parseIptablesSave(text, f), f).toThrow(SkipFile);
        expect(() => parseIptablesList(text, f), f).toThrow(SkipFile);
        continue;
      }
      const rs = kind === 'list' ? parseIptablesList(text, f) : kind === 'spec' ? parseIptablesSpec(text, f) : parseIptablesSave(text, f);
      const lines = text.split('\n');
      for (const r of allRules(rs)) {
        rules++;
        // the rule's text is on its line (trimmed; a listing row as printed)
        expect(lines[r.ref.line - 1], `${f}:${r.ref.line}`).toContain(r.text.slice(0, 40));
        // nothing the parser did not understand, only what a listing without -v cannot show
        expect(r.incomplete?.filter((x) => !x.startsWith('listing without -v')) ?? [], `${f}:${r.ref.line}`).toEqual([]);
      }
    }
    expect(rules).toBeGreaterThan(600);
  });
});

describe.skipIf(!hasCorpus)('iptables-save dumps', () => {
  it('kubernetes#114549: KUBE-FIREWALL line 1 drops marked packets only, line 2 (rewritten by iptables 1.8.7) drops everything', () => {
    const rs = save('kubernetes-114549-coreos36-vs-37-kube-firewall-fragment.txt');
    const [good, bad] = findChain(rs, 'filter', 'KUBE-FIREWALL')!.rules;
    expect(good).toMatchObject({ num: 1, ref: { line: 1 }, target: 'DROP', comment: 'kubernetes firewall for dropping marked packets' });
    expect(markCondition(good)).toEqual({ value: 0x8000, mask: 0x8000, negated: false });
    expect(bad).toMatchObject({ num: 2, ref: { line: 2 }, target: 'DROP', comment: 'kubernetes firewall for dropping marked packets' });
    expect(markCondition(bad)).toBeUndefined();
    expect(bad.matches).toEqual([]);
  });

  it('calico#1129 (iptables-save -c): per-rule counters on the line they were printed', () => {
    const rs = save('calico-1129-iptables-save-c-counters-cali-docker-isolation-fragment.txt');
    expect(rule(rs, 'filter', 'INPUT', 1)).toMatchObject({ ref: { line: 18 }, counters: { packets: 321, bytes: 64145 }, target: 'cali-INPUT', comment: 'cali:Cz_u1IQiXIMmKD4c' });
    expect(rule(rs, 'filter', 'FORWARD', 1)).toMatchObject({ ref: { line: 21 }, counters: { packets: 2, bytes: 120 }, target: 'cali-FORWARD' });
    expect(rule(rs, 'filter', 'FORWARD', 4)).toMatchObject({ ref: { line: 24 }, counters: { packets: 0, bytes: 0 }, outInterface: { value: 'docker0', negated: false } });
    expect(ctStates(rule(rs, 'filter', 'FORWARD', 4))).toEqual({ value: ['RELATED', 'ESTABLISHED'], negated: false });
    // no `*filter` line in the fragment: rules default to filter, chains without rules are kept
    expect(Object.keys(rs.tables)).toEqual(['filter']);
    expect(findChain(rs, 'filter', 'cali-pi-_ra3L4iuMubRbHLb1U1T')).toMatchObject({ ref: { line: 1 }, builtin: false, rules: [] });
  });

  it('kubernetes#66454: a tab-indented paste reads like any dump', () => {
    const rs = save('kubernetes-66454-tab-indented-mangle-nat-virbr0-truncated.txt');
    expect(rs).toMatchObject({ version: '1.4.21', backend: 'legacy', family: 'ipv4' });
    expect(findChain(rs, 'mangle', 'PREROUTING')).toMatchObject({ policy: 'ACCEPT', policyCounters: { packets: 4397728, bytes: 1947643879 }, ref: { line: 3 } });
    const checksum = rule(rs, 'mangle', 'POSTROUTING', 1);
    expect(checksum).toMatchObject({ ref: { line: 8 }, outInterface: { value: 'virbr0', negated: false }, protocol: { value: 'udp', negated: false }, target: 'CHECKSUM', targetOptions: { 'checksum-fill': '' } });
    expect(portConditions(checksum, 'dst')).toEqual([{ module: 'udp', ranges: [{ from: 68, to: 68 }], negated: false }]);
    expect(rule(rs, 'nat', 'OUTPUT', 2)).toMatchObject({ destination: { value: '127.0.0.0/8', negated: true }, target: 'DOCKER' });
  });

  it('kubernetes PR 12839: a rule cut mid-word by a paste is joined back, with a warning on the continuation line', () => {
    const f = 'kubernetes-pr12839-userspace-proxy-2015-nat-linewrapped.txt';
    const rs = save(f);
    // the paste ends without COMMIT: the cut is said too (it was accepted silently before: defect D5)
    expect(rs.warnings).toEqual([
      { file: f, line: 14, message: 'continues the rule of line 13 (wrapped line joined)' },
      { file: f, line: 17, message: expect.stringMatching(/^table nat \(from line 2\) is not terminated by COMMIT: the dump is cut off after line 17/) },
    ]);
    const r = rule(rs, 'nat', 'PREROUTING', 2);
    expect(r).toMatchObject({ ref: { line: 13 }, target: 'KUBE-NODEPORT-CONTAINER', targetKind: 'jump' });
    expect(r.incomplete).toBeUndefined();
    expect(matchOption(r, 'addrtype', 'dst-type')?.value).toBe('LOCAL');
    expect(rule(rs, 'nat', 'OUTPUT', 1).ref.line).toBe(15);
    expect(findChain(rs, 'nat', 'PREROUTING')!.rules).toHaveLength(2);
  });

  it('Docker 29 (-S with "# iptables -t" markers): the new chains, their owner, and the port mapping', () => {
    const f = 'moby-docker29-usernet-portmap-iptables-S.txt';
    const rs = parseIptablesSpec(readCorpus('iptables-save', f), f);
    expect(Object.keys(rs.tables)).toEqual(['filter', 'nat', 'raw']);
    const docker = summarize(rs).filter((s) => s.owner === 'docker' && s.table === 'filter').map((s) => s.chain).sort();
    expect(docker).toEqual(['DOCKER', 'DOCKER-BRIDGE', 'DOCKER-CT', 'DOCKER-FORWARD', 'DOCKER-INTERNAL', 'DOCKER-USER']);
    expect(jumpsTo(rs, 'filter', 'DOCKER-FORWARD').map((r) => `${r.chain}#${r.num}@${r.ref.line}`)).toEqual(['FORWARD#2@12']);
    expect(findChain(rs, 'filter', 'DOCKER-FORWARD')!.rules.map((r) => r.target)).toEqual(['DOCKER-CT', 'DOCKER-INTERNAL', 'DOCKER-BRIDGE', 'ACCEPT', 'ACCEPT']);
    const dnat = rule(rs, 'nat', 'DOCKER', 1);
    expect(dnat.ref.line).toBe(36);
    expect(targetSpec(dnat)).toEqual({ kind: 'DNAT', to: { from: '192.0.2.2', to: '192.0.2.2', ports: { from: 80, to: 80 } } });
    expect(dnat.inInterface).toEqual({ value: 'bridge1', negated: true });
  });

  it('ip6tables-save -c with redacted addresses is still IPv6', () => {
    const rs = save('calico-3835-ip6tables-save-c-cali-forward-redacted-fragment.txt');
    expect(rs.family).toBe('ipv6');
    expect(rule(rs, 'filter', 'KUBE-FORWARD', 2).source).toEqual({ value: 'xxxx:xxx:xxx:x:3000::/112', negated: false });
  });
});

describe.skipIf(!hasCorpus)('iptables -L listings', () => {
  it('the same Docker rules as -S and as -L map to the same model (moby 27, 28 swarm, 29 with -v but no -n)', () => {
    for (const [s, l] of [
      ['moby-docker27-new-daemon-iptables-S.txt', 'moby-docker27-new-daemon-nvL.txt'],
      ['moby-docker28-swarm-ingress-iptables-S.txt', 'moby-docker28-swarm-ingress-portmap-nvL.txt'],
      ['moby-docker29-usernet-portmap-iptables-S.txt', 'moby-docker29-usernet-portmap-filter-nat-raw-vL.txt'],
    ]) {
      const spec = parseIptablesSpec(readCorpus('iptables-save', s), s);
      expect(rulesetView(list(l)), l).toEqual(rulesetView(spec));
    }
  });

  it('protocol `0` (iptables 1.8.9+) and `all` (older) both mean no protocol match; `tcp` stays', () => {
    const moby = list('moby-docker27-new-daemon-nvL.txt');
    const fwd = rule(moby, 'filter', 'FORWARD', 3);
    expect(fwd.text).toMatch(/ACCEPT\s+0\s+--/);
    expect(fwd).toMatchObject({ num: 3, ref: { line: 9 }, outInterface: { value: 'docker0', negated: false } });
    expect(fwd.protocol).toBeUndefined();
    const hotsos = list('hotsos-charmed-k8s-flannel-node-iptables-t-nat-nvL.txt', 'nat');
    const all = allRules(hotsos).find((r) => /\sall\s+--/.test(r.text))!;
    expect(all.protocol).toBeUndefined();
    const dnat = allRules(hotsos).find((r) => r.ref.line === 43)!;
    expect(dnat).toMatchObject({ target: 'DNAT', protocol: { value: 'tcp', negated: false }, comment: 'kube-system/kube-dns:dns-tcp', targetOptions: { 'to-destination': '10.1.7.3:53' } });
    expect(allRules(hotsos).find((r) => r.ref.line === 58)!.protocol).toEqual({ value: 'udp', negated: false });
  });

  it('hotsos: rounded counters of -nvL agree with the exact ones of -vnxL taken from the same node', () => {
    const rounded = list('hotsos-charmed-k8s-flannel-node-iptables-t-filter-nvL.txt', 'filter');
    const exact = list('hotsos-charmed-k8s-flannel-node-iptables-vnxL.txt', 'filter');
    expect(findChain(rounded, 'filter', 'INPUT')!.policyCounters).toEqual({ packets: 35398, bytes: 11_000_000, approximate: true });
    expect(findChain(exact, 'filter', 'INPUT')!.policyCounters).toEqual({ packets: 35398, bytes: 11107891 });
    expect(rule(rounded, 'filter', 'INPUT', 1)).toMatchObject({ ref: { line: 3 }, target: 'KUBE-NODEPORTS', counters: { packets: 97531, bytes: 38_000_000, approximate: true } });
    expect(rule(exact, 'filter', 'INPUT', 1).counters).toEqual({ packets: 97531, bytes: 37969640 });
    expect(rulesetView(rounded)).toEqual(rulesetView(exact));
    expect(exact.listingLimits).toEqual([]);
    expect(rounded.listingLimits).toEqual(['counters rounded (K/M/G); list with -x for exact values']);
    // the flannel accepts for the pod network
    expect(findChain(exact, 'filter', 'FORWARD')!.rules.slice(3).map((r) => [r.source?.value, r.destination?.value, r.target])).toEqual([
      ['10.1.0.0/16', undefined, 'ACCEPT'],
      [undefined, '10.1.0.0/16', 'ACCEPT'],
    ]);
  });

  it('calico#8243: rows pasted without their Chain line are read once the chain is named', () => {
    const f = 'calico-8243-aks-cali-from-wl-dispatch-vL-fragment.txt';
    const rs = parseIptablesList(readCorpus('iptables-list', f), f, { chain: 'cali-from-wl-dispatch' });
    const rules = findChain(rs, 'filter', 'cali-from-wl-dispatch')!.rules;
    expect(rules).toHaveLength(10);
    expect(rules[0]).toMatchObject({ ref: { line: 1 }, target: 'cali-fw-azv58948d172f9', targetKind: 'goto', comment: 'cali:JDOsTVC8rSMFt5ic', counters: { packets: 6_322_000, bytes: 4_565_000_000, approximate: true } });
    expect(rules[2].inInterface).toEqual({ value: 'azv7+', negated: false });
    expect(rules[9]).toMatchObject({ ref: { line: 10 }, target: 'DROP', targetKind: 'jump', counters: { packets: 1_774_000, bytes: 132_000_000 } });
    expect(rs.warnings).toEqual([{ file: f, line: 1, message: 'rows without a "Chain" line, read as chain cali-from-wl-dispatch' }]);
  });

  it('-L without -n (cilium#4825): names are read back, and a REJECT with its ICMP type', () => {
    const f = 'cilium-4825-centos-firewalld-cilium-kube-L-fragment.txt';
    const rs = list(f, 'filter');
    const reject = allRules(rs).find((r) => r.target === 'REJECT')!;
    expect(targetSpec(reject)).toEqual({ kind: 'REJECT', with: 'icmp-host-prohibited' });
    expect(reject.incomplete).toEqual(['listing without -v: interfaces and counters not shown']);
  });
});
