import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError, SkipFile } from '../../src/model/source.js';
import { parseIptablesList } from '../../src/netfilter/list-format.js';
import { parseIptablesVersion } from '../../src/netfilter/iptables-version.js';
import { allRules, findChain, jumpsTo, matchOption, summarize, type Rule, type Ruleset } from '../../src/netfilter/rules.js';
import { parseIptablesSave, parseIptablesSpec, sniffIptables, tokenize } from '../../src/netfilter/save-format.js';
import { canMakeNetns, corpusPath, hasCorpus, projectPath, readCorpus } from '../helpers/shared.js';

const fixture = (...p: string[]) => readFileSync(projectPath('test/fixtures/netfilter', ...p), 'utf8');
const rule = (rs: Ruleset, table: string, chain: string, num: number) => findChain(rs, table, chain)!.rules[num - 1];

describe.skipIf(!hasCorpus)('iptables-save on the corpus', () => {
  it('KUBE-FIREWALL with and without its mark match (kubernetes#114549), with line numbers', () => {
    const f = 'iptables-save/kubernetes-114549-coreos36-vs-37-kube-firewall-fragment.txt';
    const rs = parseIptablesSave(readCorpus(f), f);
    const [good, bad] = findChain(rs, 'filter', 'KUBE-FIREWALL')!.rules;
    expect(good.ref.line).toBe(1);
    expect(matchOption(good, 'mark', 'mark')?.value).toBe('0x8000/0x8000');
    expect(good.comment).toBe('kubernetes firewall for dropping marked packets');
    expect(bad.ref.line).toBe(2);
    expect(matchOption(bad, 'mark', 'mark')).toBeUndefined();
    expect(bad.target).toBe('DROP');
  });

  it('-c counters and old DOCKER-ISOLATION (calico#1129); RHEL 6 header, goto and a rule with no target', () => {
    const c = 'iptables-save/calico-1129-iptables-save-c-counters-cali-docker-isolation-fragment.txt';
    const rs = parseIptablesSave(readCorpus(c), c);
    expect(allRules(rs).some((r) => r.counters && r.counters.packets > 0)).toBe(true);
    const r6 = 'iptables-save/insights-rhel6-plain-iptables-save-v1.4.7.txt';
    const rhel = parseIptablesSave(readCorpus(r6), r6);
    expect(rhel).toMatchObject({ version: '1.4.7', backend: 'legacy', family: 'ipv4' });
    const input = findChain(rhel, 'filter', 'INPUT')!;
    expect(input.rules.find((r) => r.target === undefined)?.source).toEqual({ value: '192.168.2.0/24', negated: false });
    expect(input.rules.find((r) => r.targetKind === 'goto')).toBeDefined();
    expect(input.rules.at(-1)).toMatchObject({ target: 'REJECT', targetOptions: { 'reject-with': 'icmp-host-prohibited' } });
  });

  it('nf_tables 1.8.10 Docker host (free5gc): back end, policy DROP with counters, DNAT targets', () => {
    const f = 'iptables-save/free5gc-compose-docker-nft-1.8.10-br-free5gc-tailscale.txt';
    const rs = parseIptablesSave(readCorpus(f), f);
    expect(rs).toMatchObject({ backend: 'nf_tables', version: '1.8.10' });
    expect(findChain(rs, 'filter', 'FORWARD')?.policy).toBe('DROP');
    expect(allRules(rs).some((r) => r.target === 'DNAT' && r.targetOptions['to-destination'])).toBe(true);
  });

  it('tab-indented paste and a hard-wrapped rule are read, the wrap with a warning', () => {
    const t = 'iptables-save/kubernetes-66454-tab-indented-mangle-nat-virbr0-truncated.txt';
    expect(Object.keys(parseIptablesSave(readCorpus(t), t).tables)).toEqual(expect.arrayContaining(['mangle', 'nat']));
    const w = 'iptables-save/kubernetes-pr12839-userspace-proxy-2015-nat-linewrapped.txt';
    const rs = parseIptablesSave(readCorpus(w), w);
    expect(rs.warnings.some((x) => /wrapped line joined/.test(x.message))).toBe(true);
  });

  it('ip6tables-save: family ipv6, firewalld _direct chains', () => {
    const f = 'iptables-save/insights-rhel7-firewalld-ip6tables-save-v1.4.21.txt';
    const rs = parseIptablesSave(readCorpus(f), f);
    expect(rs.family).toBe('ipv6');
    expect(summarize(rs).find((s) => s.chain === 'INPUT_direct')?.owner).toBe('firewalld');
  });

  it('iptables -S formats of Docker 27/28/29 with table markers', () => {
    const f = 'iptables-save/moby-docker29-usernet-portmap-iptables-S.txt';
    const rs = parseIptablesSpec(readCorpus(f), f);
    expect(Object.keys(rs.tables).sort()).toEqual(['filter', 'nat', 'raw']);
    expect(findChain(rs, 'filter', 'DOCKER-FORWARD')).toBeDefined();
    expect(findChain(rs, 'filter', 'FORWARD')?.policy).toBe('ACCEPT');
    expect(jumpsTo(rs, 'nat', 'DOCKER').length).toBeGreaterThan(0);
    const legacy = 'iptables-save/microk8s-2180-iptables-legacy-S-kube-cali-on-nft-host-fragment.txt';
    expect(sniffIptables(readCorpus(legacy))).toBe('spec');
  });

  it('every corpus dump parses or is skipped, never another error', () => {
    for (const dir of ['iptables-save', 'iptables-list']) {
      for (const f of readdirSync(corpusPath(dir))) {
        const text = readCorpus(dir, f);
        const kind = sniffIptables(text.slice(0, 4096));
        try {
          const rs = kind === 'list' ? parseIptablesList(text, f) : kind === 'spec' ? parseIptablesSpec(text, f) : parseIptablesSave(text, f);
          for (const r of allRules(rs)) expect(r.ref.line, f).toBeGreaterThan(0);
        } catch (err) {
          expect(err instanceof SkipFile || err instanceof ParseError, `${f}: ${(err as Error).message}`).toBe(true);
        }
      }
    }
  });
});

describe.skipIf(!hasCorpus)('iptables -L listings on the corpus', () => {
  it('hotsos filter -nvL: counters, interfaces, the flannel FORWARD accepts', () => {
    const f = 'iptables-list/hotsos-charmed-k8s-flannel-node-iptables-t-filter-nvL.txt';
    const rs = parseIptablesList(readCorpus(f), f, { table: 'filter' });
    const fwd = findChain(rs, 'filter', 'FORWARD')!;
    expect(fwd.policy).toBeDefined();
    expect(fwd.rules.some((r) => r.source?.value === '10.1.0.0/16' && r.target === 'ACCEPT')).toBe(true);
  });

  it('hotsos nat -nvL: DNAT "tcp to:" targets and statistic branches', () => {
    const f = 'iptables-list/hotsos-charmed-k8s-flannel-node-iptables-t-nat-nvL.txt';
    const rs = parseIptablesList(readCorpus(f), f, { table: 'nat' });
    const dnat = allRules(rs).find((r) => r.target === 'DNAT')!;
    expect(dnat.targetOptions['to-destination']).toMatch(/^10\.1\.\d+\.\d+:\d+$/);
    expect(allRules(rs).filter((r) => r.incomplete?.some((x) => x.startsWith('match text'))).map((r) => r.text)).toEqual([]);
  });

  it('K/M/G counters are rounded and marked; [goto] before a comment (calico#8243 has no chain header: skipped)', () => {
    const f = 'iptables-list/calico-8243-aks-cali-from-wl-dispatch-vL-fragment.txt';
    expect(() => parseIptablesList(readCorpus(f), f)).toThrow(SkipFile);
    const text = 'Chain cali-from-wl-dispatch (2 references)\n pkts bytes target     prot opt in     out     source               destination\n6322K 4565M cali-fw-azv58948d172f9  all  --  azv58948d172f9 *       0.0.0.0/0            0.0.0.0/0           [goto]  /* cali:JDOsTVC8rSMFt5ic */\n';
    const rs = parseIptablesList(text, 'x');
    const r = findChain(rs, 'filter', 'cali-from-wl-dispatch')!.rules[0];
    expect(r).toMatchObject({ targetKind: 'goto', comment: 'cali:JDOsTVC8rSMFt5ic', counters: { packets: 6_322_000, bytes: 4_565_000_000, approximate: true }, inInterface: { value: 'azv58948d172f9', negated: false } });
    expect(rs.listingLimits).toContain('counters rounded (K/M/G); list with -x for exact values');
  });

  it('a rule without a target; -L without -n (names resolved, marked)', () => {
    const g = 'iptables-list/jc-generic-iptables-rule-without-target.txt';
    const rs = parseIptablesList(readCorpus(g), g);
    expect(allRules(rs)[0].target).toBeUndefined();
    const n = 'iptables-list/jc-centos77-firewalld-docker-nat-L.txt';
    const nat = parseIptablesList(readCorpus(n), n, { table: 'nat' });
    expect(allRules(nat).some((r) => r.incomplete?.some((x) => /interfaces and counters not shown/.test(x)))).toBe(true);
  });
});

/** The fields both formats can express; what the listing maps must equal what the save says. */
function comparable(r: Rule) {
  const opts = (module: string) => r.matches.filter((m) => m.module === module).flatMap((m) => m.options.map((o) => `${o.negated ? '!' : ''}${o.name}=${o.value ?? ''}`)).sort();
  return {
    target: r.target ?? null,
    protocol: r.protocol ?? null,
    source: r.source ?? null,
    destination: r.destination ?? null,
    in: r.inInterface ?? null,
    out: r.outInterface ?? null,
    comment: r.comment ?? null,
    tcp: opts('tcp'),
    conntrack: opts('conntrack'),
    mark: opts('mark'),
    addrtype: opts('addrtype'),
    statistic: opts('statistic').filter((o) => o.startsWith('mode')),
    toDestination: r.targetOptions['to-destination'] ?? null,
    rejectWith: r.targetOptions['reject-with'] ?? null,
    randomFully: 'random-fully' in r.targetOptions,
    setXmark: r.targetOptions['set-xmark'] ?? null,
  };
}

describe('the listing maps to the same model as iptables-save (fixtures made by the real binaries)', () => {
  for (const backend of ['legacy', 'nft'] as const) {
    it(`${backend}: every chain, policy and rule of -L -n -v equals the save`, () => {
      const save = parseIptablesSave(fixture(backend, 'iptables-save'), 'iptables-save');
      expect(save.backend).toBe(backend === 'nft' ? 'nf_tables' : 'legacy');
      expect(save.version).toBe('1.8.9');
      for (const table of ['filter', 'nat', 'mangle', 'raw']) {
        const list = parseIptablesList(fixture(backend, `iptables_-t_${table}_-nvL`), `iptables_-t_${table}_-nvL`, { table });
        expect(Object.keys(list.tables[table].chains).sort(), table).toEqual(Object.keys(save.tables[table].chains).sort());
        for (const [name, chain] of Object.entries(save.tables[table].chains)) {
          const listed = list.tables[table].chains[name];
          expect(listed.policy, `${table}/${name}`).toBe(chain.policy);
          expect(listed.rules.map(comparable), `${table}/${name}`).toEqual(chain.rules.map(comparable));
          for (const r of listed.rules) expect(r.incomplete ?? [], r.text).toEqual([]);
        }
      }
      const spec = parseIptablesSpec(fixture(backend, 'iptables-S'), 'iptables-S');
      expect(findChain(spec, 'filter', 'FORWARD')!.rules.map(comparable)).toEqual(findChain(save, 'filter', 'FORWARD')!.rules.map(comparable));
    });
  }

  it('healthy KUBE-FIREWALL, the REJECT of a service with no endpoints, DNAT and MASQUERADE --random-fully are read in both formats', () => {
    const save = parseIptablesSave(fixture('nft', 'iptables-save'), 'iptables-save');
    expect(matchOption(rule(save, 'filter', 'KUBE-FIREWALL', 2), 'mark', 'mark')?.value).toBe('0x8000/0x8000');
    const list = parseIptablesList(fixture('legacy', 'iptables_-vnxL_--line-numbers'), 'vnxL', { table: 'filter' });
    expect(rule(list, 'filter', 'KUBE-SERVICES', 1)).toMatchObject({ target: 'REJECT', targetOptions: { 'reject-with': 'icmp-port-unreachable' }, destination: { value: '10.96.0.99/32' } });
    expect(findChain(list, 'filter', 'FORWARD')).toMatchObject({ policy: 'DROP', policyCounters: { packets: 0, bytes: 0 } });
  });

  it('-L without -n resolves names: marked, not guessed', () => {
    const rs = parseIptablesList(fixture('legacy', 'iptables_-t_nat_-L'), 'nat-L', { table: 'nat' });
    expect(rule(rs, 'nat', 'POSTROUTING', 2).source?.value).toBe('172.17.0.0/16');
    expect(rule(rs, 'nat', 'OUTPUT', 2).incomplete?.join(' ')).toMatch(/resolved name|interfaces and counters not shown/);
  });

  it('mixed back ends: the nft dump warns that legacy tables are present; iptables -V names the back end', () => {
    const nft = parseIptablesSave(fixture('mixed', 'iptables-nft-save'), 'iptables-nft-save');
    expect(nft.legacyTablesPresent).toEqual({ file: 'iptables-nft-save', line: 1 });
    const legacy = parseIptablesSave(fixture('mixed', 'iptables-legacy-save'), 'iptables-legacy-save');
    expect(legacy.backend).toBe('legacy');
    expect(findChain(legacy, 'filter', 'KUBE-ROUTER-INPUT')).toBeDefined();
    expect(parseIptablesVersion(fixture('nft', 'iptables-V'), 'V')[0]).toMatchObject({ version: '1.8.9', backend: 'nf_tables' });
    expect(parseIptablesVersion(fixture('legacy', 'iptables-V'), 'V')[0]).toMatchObject({ version: '1.8.9', backend: 'legacy' });
    expect(parseIptablesVersion('iptables v1.4.21\n', 'V')[0].backend).toBe('legacy');
  });

  it.skipIf(!canMakeNetns())('the fixtures are what the installed iptables makes today (regenerated in a namespace, into a temp folder)', () => {
    const out = mkdtempSync(join(tmpdir(), 'bd-ipt-'));
    execFileSync('bash', [projectPath('scripts/iptables-fixtures.sh'), out], { stdio: 'ignore' });
    for (const f of ['nft/iptables-save', 'legacy/iptables-save', 'nft/iptables_-t_nat_-nvL', 'legacy/iptables_-t_filter_-nvL'])
      expect(readFileSync(join(out, f), 'utf8'), f).toBe(fixture(...f.split('/')));
  });
});

describe('tokenizer and bad input', () => {
  it('quotes and escapes like the shell', () => {
    expect(tokenize('-A X -m comment --comment "a \\"quoted\\" b" -j ACCEPT')).toEqual(['-A', 'X', '-m', 'comment', '--comment', 'a "quoted" b', '-j', 'ACCEPT']);
    expect(tokenize("-A X -m comment --comment 'single q'")).toEqual(['-A', 'X', '-m', 'comment', '--comment', 'single q']);
  });

  it('old negation syntax and options without -m', () => {
    const rs = parseIptablesSave('*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -i ! docker0 -p tcp --dport 22 -j ACCEPT\nCOMMIT\n', 'x');
    const r = rule(rs, 'filter', 'INPUT', 1);
    expect(r.inInterface).toEqual({ value: 'docker0', negated: true });
    expect(matchOption(r, 'tcp', 'dport')?.value).toBe('22');
  });

  it('garbage, binary, empty and a 2 MB line: SkipFile or warnings, never another error', () => {
    const inputs = ['', 'hello world\n', Buffer.from([0, 1, 2, 255, 254]).toString('latin1'), '*filter\n' + 'x'.repeat(2_000_000) + '\nCOMMIT\n', 'Chain INPUT (policy ACCEPT)\n' + 'y'.repeat(2_000_000)];
    for (const text of inputs) {
      for (const parse of [parseIptablesSave, parseIptablesSpec, parseIptablesList]) {
        try {
          parse(text, 'bad');
        } catch (err) {
          expect(err instanceof SkipFile || err instanceof ParseError).toBe(true);
        }
      }
    }
  });
});

describe('tokenizer regressions found by fuzzing', () => {
  it('a backslash inside single quotes does not hang the tokenizer', () => {
    expect(tokenize("'\\-m .jE%{")).toEqual(["\\-m .jE%{"]);
    expect(tokenize("-m comment --comment 'a\\b' -j X")).toEqual(['-m', 'comment', '--comment', 'a\\b', '-j', 'X']);
  });
});
