/**
 * nftables.native-rule-in-iptables-table.
 *
 * Source: projectcalico/calico#8025 ("Calico panics if kube-proxy using nftables mode"): a rule added with nft
 * into iptables-nft's `table ip nat` (`iifname "eth0" udp dport 162 ... redirect to :1162`) makes
 * iptables-nft-save print "# Table `nat' is incompatible, use 'nft' tool." and Felix panics; tigera/docs#1249
 * (release note: "Calico panics if kube-proxy or other components are using native nftables rules instead of the
 * iptables-nft compatibility shim").
 *
 * Fixtures (test/fixtures/nft-native/) are real output of this machine's iptables v1.8.9 (nf_tables) and
 * nftables v1.0.6 in a network namespace: iptables-nft-base.rules restored with iptables-nft-restore (Docker's
 * and kube-proxy's kind of rules: conntrack, addrtype, comment, LOG, REJECT, REDIRECT, MASQUERADE, MARK, DNAT),
 * listed with `nft -a list ruleset` (healthy), then `nft add rule ip nat PREROUTING iifname "eth0" udp dport 162
 * redirect to :1162` and listed again (text and `nft -j`), with iptables-nft-save's output and exit status.
 *
 * The round trip at the end repeats the experiment for each native form, live: the classifier must say what
 * iptables-nft-save does on the same ruleset. Skipped without network namespaces.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import analyzer, { classifyNativeRule, isNativeRule, nativeRulesInIptablesTables } from '../../analyzers/nft-native-rule-in-iptables-table.js';
import { parseNftText } from '../../src/nft/parse-text.js';
import { parseNftJson } from '../../src/nft/parse-json.js';
import { parsePsProcesses } from '../../src/parsers/processes.js';
import { canMakeNetns, corpusPath, hasCorpus, projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const fx = (name: string) => projectPath(`test/fixtures/nft-native/${name}`);
const text = (name: string) => parseNftText(readFileSync(fx(name), 'utf8'), name);

describe('nftables.native-rule-in-iptables-table on real listings', () => {
  it('fires on the native redirect in ip nat PREROUTING (text listing with handles)', () => {
    const rs = text('nft-a-list-ruleset.native-redirect.txt');
    const found = nativeRulesInIptablesTables(rs);
    expect(found.map((f) => [f.table.name, f.chain.name, f.cls.verdict])).toEqual([['nat', 'PREROUTING', 'incompatible']]);
    const [f] = runNode(analyzer, { nftables: [rs] });
    // Docker's and kube-proxy's chains are in the same tables: they read them back through iptables
    expect(f.severity).toBe('critical');
    expect(f.message).toContain("# Table `nat' is incompatible, use 'nft' tool.");
    expect(f.evidence[0].excerpt).toContain('redirect to :1162');
    expect(f.evidence[0].note).toContain('no counter');
    expect(f.remedy.commands.join('\n')).toContain('nft delete rule ip nat PREROUTING handle');
  });

  it('the iptables-nft-save of that ruleset is what the finding says (exit 0, the table replaced by one line)', () => {
    const save = readFileSync(fx('iptables-nft-save.native-redirect.txt'), 'utf8');
    expect(save).toContain("# Table `nat' is incompatible, use 'nft' tool.");
    expect(save).toContain('exit=0');
    expect(save).not.toContain('*nat');
  });

  it('fires on the same ruleset as nft -j JSON', () => {
    const rs = parseNftJson(readFileSync(fx('nft-j-list-ruleset.native-redirect.json'), 'utf8'), 'nft.json');
    expect(nativeRulesInIptablesTables(rs).map((f) => f.rule.text)).toHaveLength(1);
    // iptables' own REDIRECT (an xt target in JSON) is not taken for a native one
    const nat = rs.tables.find((t) => t.name === 'nat')!;
    const pre = nat.chains.find((c) => c.name === 'PREROUTING')!;
    expect(pre.rules.filter((r) => isNativeRule(r, 'json') === false)).toHaveLength(2);
  });

  it('is silent on the healthy iptables-nft listing (all rules translated from iptables)', () => {
    const rs = text('nft-list-ruleset.healthy.txt');
    expect(nativeRulesInIptablesTables(rs)).toEqual([]);
    expect(runNode(analyzer, { nftables: [rs] })).toEqual([]);
  });

  it('the calico#8025 fragment: its redirect rule has a counter, so the text cannot tell it from iptables REDIRECT', () => {
    // the thread's line is byte for byte what iptables-nft's `-j REDIRECT --to-ports 1162` lists as (see the healthy
    // fixture's PREROUTING): without nft -j or iptables' own output the analyzer must not guess
    const line = '\t\tiifname "eth0" udp dport 162 counter packets 0 bytes 0 redirect to :1162';
    expect(readFileSync(fx('nft-list-ruleset.healthy.txt'), 'utf8')).toContain(line.replace('\t\t', '\t\t'));
    const rs = parseNftText(`table ip nat {\n\tchain PREROUTING {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n${line}\n\t}\n}\n`, 'calico-8025.txt');
    expect(isNativeRule(rs.tables[0].chains[0].rules[0], 'text')).toBeUndefined();
    expect(runNode(analyzer, { nftables: [rs] })).toEqual([]);
  });

  it('warning, not critical, when nothing on the node reads the table through iptables', () => {
    const rs = parseNftText(
      'table ip filter {\n\tchain INPUT {\n\t\ttype filter hook input priority filter; policy accept;\n\t\tct state established,related accept\n\t}\n}\n',
      'nftables.txt',
    );
    const [f] = runNode(analyzer, { nftables: [rs] });
    expect(f.severity).toBe('warning');
    expect(f.evidence[0].note).toContain('ct state');
  });

  it('critical when calico-node runs (ps)', () => {
    const rs = parseNftText(
      'table ip filter {\n\tchain INPUT {\n\t\ttype filter hook input priority filter; policy accept;\n\t\tct state established,related accept\n\t}\n}\n',
      'nftables.txt',
    );
    const ps = [
      'USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND',
      'root        2211  0.4  1.2 1894300 98652 ?       Sl   Oct16  12:01 calico-node -felix',
    ].join('\n');
    const listing = parsePsProcesses(ps, 'ps.txt');
    expect(listing.processes.map((p) => p.component)).toContain('calico-node');
    const [f] = runNode(analyzer, { nftables: [rs], dockerDaemon: [{ listing } as never] });
    expect(f.severity).toBe('critical');
    expect(f.message).toContain('Calico (Felix)');
  });

  it('silent on native tables of the host (inet filter, firewalld) and on base chains iptables skips', () => {
    const own = parseNftText(
      [
        'table inet filter {',
        '\tchain input {',
        '\t\ttype filter hook input priority filter; policy drop;',
        '\t\tct state established,related accept',
        '\t\tiifname "lo" accept',
        '\t}',
        '}',
        'table ip nat {',
        '\tchain postrouting {',
        '\t\ttype nat hook postrouting priority srcnat; policy accept;',
        '\t\toifname "eth1" masquerade',
        '\t}',
        '}',
      ].join('\n'),
      'nft.txt',
    );
    expect(nativeRulesInIptablesTables(own)).toEqual([]);
  });
});

describe.skipIf(!hasCorpus)('nftables.native-rule-in-iptables-table on the corpus and the project fixtures', () => {
  const listings: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = `${dir}/${e.name}`;
      if (e.isDirectory()) walk(p);
      // live listings only: a saved nftables.conf is another artifact kind (nftablesConfig), never read here
      else if (/nft|ruleset/i.test(e.name) && !/\.(?:json|conf)$/.test(e.name)) listings.push(p);
    }
  };
  // a describe's body runs at collection even when skipped: read the corpus only where it is
  if (hasCorpus) {
    walk(corpusPath('.'));
    walk(projectPath('test/fixtures'));
  }

  it("finds only the listing whose own `table ip nat` holds a native masquerade in a regular chain (iptables-nft-save prints the nat table incompatible)", () => {
    const fired: string[] = [];
    for (const p of listings) {
      if (p.includes('/nft-native/')) continue;
      let rs;
      try {
        const body = readFileSync(p, 'utf8');
        if (!/^table\s/m.test(body)) continue;
        rs = parseNftText(body, p);
      } catch {
        continue;
      }
      for (const f of nativeRulesInIptablesTables(rs)) fired.push(`${p}:${f.rule.ref.line} ${f.rule.text.trim()}`);
    }
    // each hit is listed so a reviewer sees which real listing holds a native rule in iptables' tables. The one
    // hit is a true positive, checked with the binaries: `nft -f test/fixtures/nft/nftables-conf-masquerade/nft_list_ruleset`
    // in a namespace, then iptables-nft-save prints "# Table `nat' is incompatible, use 'nft' tool." (exit 0) and
    // `iptables-nft -t nat -S` fails with "iptables v1.8.9 (nf_tables): table `nat' is incompatible, use 'nft' tool."
    // (its base chain `postrouting` is skipped by iptables, its regular chain `masq` is not).
    expect(fired.map((f) => f.replace(projectPath(''), '').replace(/^\//, ''))).toEqual([
      'test/fixtures/nft/nftables-conf-masquerade/nft_list_ruleset:8 ip saddr { 10.88.0.0/16, 172.17.0.0/16 } oifname != "docker0" masquerade',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Round trip against the real binaries.

const NATIVE_FORMS: { table: string; chain: string; rule: string }[] = [
  { table: 'nat', chain: 'PREROUTING', rule: 'iifname "eth0" udp dport 162 redirect to :1162' },
  { table: 'nat', chain: 'PREROUTING', rule: 'iifname "eth0" udp dport 162 counter redirect to :1162' },
  { table: 'nat', chain: 'POSTROUTING', rule: 'oifname "eth1" masquerade' },
  { table: 'nat', chain: 'KUBE-SERVICES', rule: 'ip daddr 10.96.0.2 tcp dport 80 dnat to 10.0.0.6:8080' },
  { table: 'filter', chain: 'INPUT', rule: 'ip saddr 192.0.2.1 accept' },
  { table: 'filter', chain: 'INPUT', rule: 'ct state established,related accept' },
  { table: 'filter', chain: 'INPUT', rule: 'ct mark 0x1 accept' },
  { table: 'filter', chain: 'INPUT', rule: 'ip saddr @s accept' },
  { table: 'filter', chain: 'INPUT', rule: 'tcp dport { 80, 443 } accept' },
  { table: 'filter', chain: 'INPUT', rule: 'iifname vmap { "lo" : accept, "eth9" : drop }' },
  { table: 'filter', chain: 'INPUT', rule: 'log prefix "x: " flags all' },
  { table: 'filter', chain: 'INPUT', rule: 'log group 5' },
  { table: 'filter', chain: 'INPUT', rule: 'limit rate 10/second accept' },
  { table: 'filter', chain: 'INPUT', rule: 'limit rate 10 kbytes/second accept' },
  { table: 'filter', chain: 'INPUT', rule: 'reject with icmp type host-prohibited' },
  { table: 'filter', chain: 'INPUT', rule: 'meta mark set 0x10' },
  { table: 'filter', chain: 'INPUT', rule: 'meta mark 0x10 accept' },
  { table: 'filter', chain: 'INPUT', rule: 'fib daddr type local accept' },
  { table: 'filter', chain: 'INPUT', rule: 'meta nftrace set 1' },
  { table: 'filter', chain: 'INPUT', rule: 'iifname "eth*" accept' },
  { table: 'filter', chain: 'INPUT', rule: 'notrack' },
  { table: 'filter', chain: 'INPUT', rule: 'udp dport 53 counter accept comment "dns"' },
];

function inNs(ns: string, cmd: string[], input?: string) {
  return spawnSync('ip', ['netns', 'exec', ns, ...cmd], { input, encoding: 'utf8' });
}

describe.skipIf(!canMakeNetns())('round trip: the classifier agrees with iptables-nft-save (iptables v1.8.9 here)', () => {
  const base = readFileSync(fx('iptables-nft-base.rules'), 'utf8');
  it.each(NATIVE_FORMS)('$table $chain: $rule', ({ table, chain, rule }) => {
    const ns = `h21rt${process.pid}`;
    execFileSync('ip', ['netns', 'add', ns]);
    try {
      expect(inNs(ns, ['iptables-nft-restore'], base).status).toBe(0);
      inNs(ns, ['nft', 'add', 'set', 'ip', 'filter', 's', '{ type ipv4_addr; }']);
      expect(inNs(ns, ['nft', 'add', 'rule', 'ip', table, chain, rule]).status).toBe(0);
      const listing = inNs(ns, ['nft', '-a', 'list', 'ruleset']).stdout;
      const json = inNs(ns, ['nft', '-j', 'list', 'ruleset']).stdout;
      const save = inNs(ns, ['iptables-nft-save', '-t', table]);
      const incompatible = save.stdout.includes(`# Table \`${table}' is incompatible, use 'nft' tool.`);
      const failed = save.status !== 0;

      // the JSON decides every rule: what iptables-nft-save did is what the classifier says
      const fromJson = nativeRulesInIptablesTables(parseNftJson(json, 'nft.json'));
      const verdict = fromJson[0]?.cls.verdict;
      if (failed) expect(verdict).toBe('save-fails');
      else if (incompatible) expect(verdict).toBe('incompatible');
      else expect(verdict === undefined || verdict === 'misread').toBe(true);

      // text: decided only for rules without a counter (iptables-nft writes none of those); never a different answer
      const fromText = nativeRulesInIptablesTables(parseNftText(listing, 'nft.txt'));
      if (fromText.length > 0) expect(fromText[0].cls.verdict).toBe(verdict);
      if (!/\bcounter\b/.test(rule)) expect(fromText.length).toBe(fromJson.length);
      // and iptables' own rules in the same listing are never taken for native ones
      for (const f of [...fromJson, ...fromText]) expect(f.rule.text).not.toMatch(/jump KUBE-SERVICES|dnat to 10\.0\.0\.5|172\.17\.0\.0\/16/);
    } finally {
      execFileSync('ip', ['netns', 'del', ns]);
    }
  });

  it('the remedy moves the rule out, twice without duplicating it, and iptables-nft-save reads nat again', () => {
    const ns = `h21rm${process.pid}`;
    execFileSync('ip', ['netns', 'add', ns]);
    try {
      inNs(ns, ['iptables-nft-restore'], base);
      inNs(ns, ['nft', 'add', 'rule', 'ip', 'nat', 'PREROUTING', 'iifname "eth0" udp dport 162 redirect to :1162']);
      const rs = parseNftText(inNs(ns, ['nft', '-a', 'list', 'ruleset']).stdout, 'nft.txt');
      const [f] = runNode(analyzer, { nftables: [rs] });
      const script = f.remedy.commands.join('\n');
      for (let i = 0; i < 2; i++) expect(inNs(ns, ['sh', '-c', script]).status).toBe(0);
      const after = inNs(ns, ['nft', 'list', 'table', 'ip', 'nat_native']).stdout;
      expect(after.match(/redirect to :1162/g)).toHaveLength(1);
      expect(after).toContain('type nat hook prerouting priority dstnat + 1;');
      const save = inNs(ns, ['iptables-nft-save', '-t', 'nat']).stdout;
      expect(save).not.toContain('incompatible');
      expect(save).toContain('-A PREROUTING -i eth0 -p udp -m udp --dport 162 -j REDIRECT --to-ports 1162');
      expect(runNode(analyzer, { nftables: [parseNftText(inNs(ns, ['nft', '-a', 'list', 'ruleset']).stdout, 'nft.txt')] })).toEqual([]);
    } finally {
      execFileSync('ip', ['netns', 'del', ns]);
    }
  });
});
