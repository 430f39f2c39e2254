/**
 * iptables-nft's tables read from `nft list ruleset` are the same rules iptables-save prints.
 * The fixture is what the real binaries made of one rule file (iptables-nft-restore, then nft
 * list ruleset and iptables-nft-save, iptables 1.8.9 / nft 1.0.6); the live suite does the same
 * with 100 random rule sets and checks the tracer gives the same verdicts, at the same rule,
 * from either view. The analyzers then give the same findings from either file.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { mergeRulesets, trace, type Packet } from '../../src/netfilter/trace.js';
import type { Rule, Ruleset } from '../../src/netfilter/rules.js';
import { parseNftJson } from '../../src/nft/parse-json.js';
import { parseNftText } from '../../src/nft/parse-text.js';
import { iptablesFromNft } from '../../src/nft/to-iptables.js';
import { writeFolder } from '../helpers/archive.js';
import { canMakeNetns, projectPath } from '../helpers/shared.js';
import { randomRuleset } from '../tracer/generate.js';
import { HOST, PORTS, SOURCES, UDP_PORTS } from '../tracer/topology.js';

const fx = (f: string) => readFileSync(projectPath('test/fixtures/nft/iptables-nft-compat', f), 'utf8');

/** What a rule does, however it was written (state is conntrack's ctstate; comments match all). */
function meaning(r: Rule) {
  const f = (v?: { value: string; negated: boolean }) => (v ? `${v.negated ? '!' : ''}${v.value}` : '');
  const matches = r.matches
    .filter((m) => m.module !== 'comment' && m.module !== 'limit')
    .flatMap((m) =>
      m.options
        .filter((o) => !(m.module === 'statistic' && o.name === 'probability'))
        .map((o) => `${m.module === 'state' ? 'conntrack' : m.module}:${o.negated ? '!' : ''}${o.name === 'state' ? 'ctstate' : o.name}=${o.value ?? ''}`),
    )
    .sort();
  return { protocol: f(r.protocol), source: f(r.source), destination: f(r.destination), in: f(r.inInterface), out: f(r.outInterface), matches, target: r.target, kind: r.targetKind ?? 'jump', options: r.targetOptions };
}

function v4(rs: Ruleset[]): Ruleset {
  const r = rs.find((x) => x.family === 'ipv4');
  if (!r) throw new Error('no IPv4 rules');
  return r;
}

describe('iptables-nft tables from an nft listing', () => {
  const save = parseIptablesSave(fx('iptables-nft-save'), 'iptables-nft-save');
  const fromNft = v4(iptablesFromNft(parseNftText(fx('nft_list_ruleset'), 'nft_list_ruleset')));

  it('has every table, chain, policy and rule of iptables-save, at the same positions', () => {
    expect(fromNft).toMatchObject({ family: 'ipv4', backend: 'nf_tables', format: 'nft', origin: 'live' });
    expect(Object.keys(fromNft.tables).sort()).toEqual(Object.keys(save.tables).sort());
    for (const [tn, t] of Object.entries(save.tables))
      for (const [cn, c] of Object.entries(t.chains)) {
        const c2 = fromNft.tables[tn].chains[cn];
        expect(c2, `${tn}/${cn}`).toBeDefined();
        expect(c2.builtin).toBe(c.builtin);
        expect(c2.policy ?? '-').toBe(c.policy ?? '-');
        expect(c2.rules.map((r) => r.num)).toEqual(c.rules.map((r) => r.num));
      }
  });

  it('translates each rule nft prints in full to what iptables-save says of it; the rest is marked, never guessed', () => {
    const complete: string[] = [];
    for (const [tn, t] of Object.entries(save.tables))
      for (const [cn, c] of Object.entries(t.chains))
        c.rules.forEach((r, i) => {
          const r2 = fromNft.tables[tn].chains[cn].rules[i];
          // every rule points at its own line of the listing, with that line's text
          expect(fx('nft_list_ruleset').split('\n')[r2.ref.line - 1].trim()).toBe(r2.text);
          if (r2.incomplete) return;
          // nft 1.0.6 prints iptables-nft's `! --ctstate RELATED,ESTABLISHED,DNAT` as "ct status dnat": its own lossy print
          if (cn === 'KUBE-FIREWALL' && r.num === 2) return;
          expect(meaning(r2), `${tn}/${cn} ${r.num}: ${r.text} | ${r2.text}`).toEqual(meaning(r));
          complete.push(`${tn}/${cn}`);
        });
    expect(complete.length).toBeGreaterThanOrEqual(35);
    const rule = (t: string, c: string, n: number) => fromNft.tables[t].chains[c].rules[n - 1];
    expect(rule('raw', 'PREROUTING', 1).target).toBe('TRACE');
    expect(rule('nat', 'KUBE-MARK-MASQ', 1).targetOptions).toEqual({ 'set-xmark': '0x4000/0x4000' });
    expect(rule('nat', 'DOCKER', 2).targetOptions).toEqual({ 'to-destination': '172.17.0.2:80' });
    expect(rule('nat', 'POSTROUTING', 3).targetOptions).toEqual({ 'random-fully': '' });
    expect(rule('filter', 'FORWARD', 7).targetOptions['reject-with']).toBe('tcp-reset');
    expect(rule('filter', 'FORWARD', 8).targetOptions['reject-with']).toBe('icmp-port-unreachable');
    expect(rule('filter', 'INPUT', 8).targetOptions['reject-with']).toBe('icmp-host-prohibited');
    expect(rule('filter', 'OUTPUT', 4)).toMatchObject({ target: 'DOCKER', targetKind: 'goto' });
    // nft prints `xt match physdev` / `xt match recent` without their options: not modelled, marked
    for (const r of [rule('filter', 'FORWARD', 11), rule('filter', 'OUTPUT', 1)]) {
      expect(r.incomplete?.join()).toMatch(/does not print the options/);
      // `tcp dport 27017 xt match recent` (no verdict): the tracer does not guess the recent match; it
      // walks both outcomes (the same here: the rule only counts) and names the rule as undecided
      const t = trace(mergeRulesets([fromNft]), r.chain === 'FORWARD' ? 'forward' : 'output', { src: '172.17.0.2', dst: '10.1.1.1', protocol: 'tcp', dport: 27017, inInterface: 'docker0', outInterface: 'eth0', state: 'new', mark: 0 }, { localAddresses: ['172.17.0.1'] });
      if (r.chain === 'OUTPUT') {
        expect(trace(mergeRulesets([fromNft]), 'output', { src: '172.17.0.2', dst: '10.1.1.1', protocol: 'tcp', dport: 27017, inInterface: 'docker0', outInterface: 'eth0', state: 'new', mark: 0 }, { localAddresses: ['172.17.0.1'], noFork: true }).verdict).toMatchObject({ kind: 'unknown' });
        expect(t.undecided?.map((u) => u.at.text)).toContainEqual(r.text);
      }
    }
  });

  it('reads the JSON listing too, where nft leaves iptables-nft compat targets untranslated (marked incomplete)', () => {
    const json = parseNftJson(readFileSync(projectPath('test/fixtures/nft/host-all/nft_-j_list_ruleset'), 'utf8'), 'nft.json');
    const rs = v4(iptablesFromNft(json));
    expect(Object.keys(rs.tables).length).toBeGreaterThan(0);
    // native tables (Docker 29's docker-bridges, firewalld's) are not iptables rules
    expect(Object.keys(rs.tables)).not.toContain('docker-bridges');
    expect(iptablesFromNft(parseNftText(readFileSync(projectPath('test/fixtures/nft/docker-bridges.nft'), 'utf8'), 'x'))).toEqual([]);
  });

  it('gives the same findings from the nft listing alone as from iptables-save', async () => {
    const ipa = readFileSync(projectPath('test/fixtures/iproute2/ip_a'), 'utf8');
    const findings = async (files: Record<string, string>) => {
      const r = await analyzeBundle(writeFolder({ ...files, ip_addr: ipa }, 'host'), { requiredPorts: [5432] });
      // the same rule is at another line of the other file
      const at = (t: string) => t.replace(/\((iptables-save|nft_list_ruleset):\d+\)/g, '(rules)');
      // a policy is quoted from its own line (`policy drop;` in nft): the analyzer's `:FORWARD DROP` moves to the note
      // a chain's policy counter is in iptables-save (`:FORWARD DROP [0:0]`), not in nft's listing (`policy drop;`)
      const counter = (t: string) => t.replace(/No drop is counted \([^)]*\)/, 'No drop is counted (…)').replace(/; (the policy's counter is 0|the dump has no counters)( \(chain [A-Z]+ \(policy [A-Z]+\)\))?$/, '; (counter)');
      return r.findings.map((f) => ({ id: f.id, severity: f.severity, message: counter(at(f.message)), refs: f.evidence.map((e) => e.note && counter(e.note.replace(/ \(:[A-Z]+ [A-Z]+\)$/, ''))) }));
    };
    // nft prints `-m physdev --physdev-is-bridged` as `xt match physdev`, options unknown: the
    // tracer cannot pass it, so the comparison is made without that rule (seen alone below)
    const a = await findings({ 'iptables-save': fx('iptables-nft-save').replace(/^-A FORWARD -m physdev.*\n/m, '') });
    const b = await findings({ nft_list_ruleset: fx('nft_list_ruleset').replace(/^.*xt match physdev.*\n/m, '') });
    expect(a.map((f) => f.id)).toEqual(expect.arrayContaining(['iptables.trace-rules-left', 'iptables.port-blocked', 'iptables.forward-blocks-containers']));
    expect(b).toEqual(a);
    // with it, the tracer stops at that rule: no forward finding rather than a guessed one
    const c = await findings({ nft_list_ruleset: fx('nft_list_ruleset') });
    expect(c.map((f) => f.id)).not.toContain('iptables.forward-blocks-containers');
    // with both, the iptables-save view is read and the listing adds nothing twice
    const both = await analyzeBundle(writeFolder({ 'iptables-save': fx('iptables-nft-save'), nft_list_ruleset: fx('nft_list_ruleset'), ip_addr: ipa }, 'host'));
    expect(both.coverage.nodes[0].artifacts.iptables).toEqual(['iptables-save']);
  });

  it('finds Docker chains flushed and a KUBE-FIREWALL without its mark from the listing alone', async () => {
    const listing = fx('nft_list_ruleset')
      .replace(/\tchain DOCKER \{\n[^}]*\}\n\n/g, '')
      .replace(/^.*jump DOCKER\n/gm, '')
      .replace('meta mark & 0x00008000 == 0x00008000 ', '');
    const r = await analyzeBundle(writeFolder({ nft_list_ruleset: listing, ip_addr: readFileSync(projectPath('test/fixtures/iproute2/ip_a'), 'utf8') }, 'host'));
    const ids = r.findings.map((f) => f.id);
    expect(ids).toContain('iptables.docker-chain-missing');
    const kf = r.findings.find((f) => f.id === 'iptables.kube-firewall-corrupted');
    expect(kf?.evidence[0]).toMatchObject({ file: 'nft_list_ruleset', excerpt: 'counter packets 0 bytes 0 drop' });
  });
});

function hasIptablesNft(): boolean {
  try {
    execFileSync('iptables-nft', ['--version'], { stdio: 'ignore' });
    execFileSync('nft', ['--version'], { stdio: 'ignore' });
    return canMakeNetns();
  } catch {
    return false;
  }
}

describe.skipIf(!hasIptablesNft())('live: random rule sets loaded by iptables-nft, traced from either listing', () => {
  it('gives the same verdict at the same rule from nft list ruleset as from iptables-nft-save', () => {
    const ns = `bdn2i${process.pid}`;
    const x = (args: string[], input?: string) => execFileSync('ip', ['netns', 'exec', ns, ...args], { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
    execFileSync('ip', ['netns', 'add', ns], { stdio: 'ignore' });
    let compared = 0;
    let unknown = 0;
    try {
      for (let seed = 1; seed <= 100; seed++) {
        const forward = seed % 2 === 0;
        x(['iptables-nft-restore'], randomRuleset(seed * 7919, forward).rules);
        const a = mergeRulesets([parseIptablesSave(x(['iptables-nft-save']), 'save')]);
        const b = mergeRulesets([v4(iptablesFromNft(parseNftText(x(['nft', 'list', 'ruleset']), 'nft')))]);
        const packets: Packet[] = [];
        for (const src of SOURCES)
          for (const inInterface of ['br0', 'eth9'])
            for (const state of ['new', 'established'] as const) {
              for (const dport of [...PORTS, 8081]) packets.push({ src, dst: forward ? '10.98.0.2' : HOST, protocol: 'tcp', dport, sport: 40000, inInterface, outInterface: forward ? 'veth-o' : undefined, state, mark: seed % 3 === 0 ? 0x10 : 0 });
              for (const dport of UDP_PORTS) packets.push({ src, dst: HOST, protocol: 'udp', dport, sport: 40000, inInterface, state, mark: 0 });
              packets.push({ src, dst: HOST, protocol: 'icmp', inInterface, state, mark: 0, icmpType: 8, icmpCode: 0 });
            }
        for (const p of packets) {
          const path = p.dst === HOST ? 'input' : 'forward';
          const ra = trace(a, path, p, { localAddresses: [HOST] });
          const rb = trace(b, path, p, { localAddresses: [HOST] });
          const where = (r: typeof ra) => (r.decidedBy ? `${r.decidedBy.table}/${r.decidedBy.chain} ${r.decidedBy.num}` : 'policy');
          compared++;
          // a match nft prints as `xt match icmp` (a type with a code), options unknown: the
          // listing cannot decide, and says so at that rule instead of guessing
          if (rb.verdict.kind === 'unknown' && ra.verdict.kind !== 'unknown') {
            const at = rb.verdict.at;
            expect(at && b.get(at.table)?.get(at.chain)?.rules[at.num - 1]?.text, `seed ${seed * 7919} ${JSON.stringify(p)}`).toMatch(/xt match/);
            unknown++;
            continue;
          }
          expect({ verdict: rb.verdict.kind, at: where(rb) }, `seed ${seed * 7919} ${JSON.stringify(p)}`).toEqual({ verdict: ra.verdict.kind, at: where(ra) });
        }
      }
    } finally {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    }
    expect(compared).toBeGreaterThan(7000);
    expect(unknown / compared).toBeLessThan(0.05);
  }, 120_000);
});
