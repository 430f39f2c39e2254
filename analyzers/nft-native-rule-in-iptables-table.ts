/**
 * nftables.native-rule-in-iptables-table: a rule written with nft itself (`nft add rule ip nat PREROUTING ...
 * redirect to :1162`, a firewall script, another tool) inside one of the tables iptables-nft owns (ip/ip6
 * filter, nat, mangle, raw, security), which iptables-nft cannot express. iptables-nft-save then prints
 * "# Table `nat' is incompatible, use 'nft' tool." instead of the table, still exiting 0, and
 * `iptables -S` / `-L` fail: every agent that reads its rules back through iptables-save (Calico Felix
 * panics after its retries: projectcalico/calico#8025; kube-proxy in iptables mode, kube-router, Docker)
 * breaks on that table.
 *
 * What iptables-nft can and cannot read back was taken from the binary, not guessed: iptables v1.8.9
 * (nf_tables) in network namespaces, on iptables-nft's own rules plus one native rule at a time
 * (test/analyzers/nft-native-rule-in-iptables-table.test.ts repeats that round trip):
 *   incompatible (save prints the "# Table ... is incompatible" line): native nat statements (redirect,
 *   masquerade, dnat/snat), ct matches (ct state, ct mark), fib, reject, log without a group, limit in
 *   bytes, named counters, tcp option set, notrack;
 *   save fails (exit 3, "Parsing nftables rule failed", output cut at that rule): meta mark set;
 *   read back wrong (save exits 0 and prints a wider rule): set lookups (@set, { 80, 443 }), concatenations,
 *   verdict maps (`-A INPUT` with no target at all);
 *   fine: payload and meta matches, interface names, meta mark, limit in packets, log group (NFLOG),
 *   meta nftrace set (TRACE), accept/drop/jump/goto/return, counters.
 * Base chains other than iptables' own (a `chain postrouting` in `table ip nat`) are skipped by iptables,
 * which only prints "# Table `nat' contains incompatible base-chains" and carries on: not this finding.
 *
 * A text listing (`nft list ruleset`) shows iptables' own compat expressions translated (iptables'
 * `-j REDIRECT --to-ports 1162` lists as `counter packets 0 bytes 0 redirect to :1162`, exactly like a
 * native rule with a counter): a rule there is known to be nft's own only when it has no counter (every
 * rule iptables-nft writes has one) or a named counter. `nft -j` JSON shows compat expressions as `xt`
 * and decides every rule. A bundle whose logs carry iptables' "is incompatible" line for the table is
 * proof by itself.
 */
import { defineAnalyzer, type FindingDraft } from '../src/engine/analyzer.js';
import type { NodeArtifacts } from '../src/engine/artifacts.js';
import type { Evidence } from '../src/report/schema.js';
import type { NftChain, NftExpr, NftRule, NftRuleset, NftTable } from '../src/nft/model.js';
import { nodeProcesses } from '../src/parsers/processes.js';
import { logEvidence } from './lib/logs.js';
import { incompatibleKind } from '../src/netfilter/save-format.js';
import type { SourceRef } from '../src/model/source.js';

/** iptables' built-in (base) chains per table: other base chains are skipped by iptables-nft. */
const BUILTIN: Record<string, readonly string[]> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  raw: ['PREROUTING', 'OUTPUT'],
  security: ['INPUT', 'FORWARD', 'OUTPUT'],
};

/** How iptables-nft (1.8.9, by experiment) reads a native statement back. */
export type NativeVerdict = 'incompatible' | 'save-fails' | 'misread';

export interface NativeClass {
  verdict: NativeVerdict;
  /** the statements that decide it, as nft lists them */
  because: string[];
}

const WORSE: Record<NativeVerdict, number> = { misread: 1, incompatible: 2, 'save-fails': 3 };

/** Statement words nft lists for native expressions iptables-nft has no decoder for (kept `unknown` by the parser). */
const UNKNOWN_INCOMPATIBLE = /^(?:notrack|queue\b|dup\b|fwd\b|tproxy\b|synproxy\b|quota\b|tcp option\b|ct (?:helper|zone|expectation|timeout)\b|flow (?:add|offload)\b|(?:add|update|delete) @|numgen\b|jhash\b|symhash\b|meta priority set|meta pkttype set|ip (?:dscp|ttl) set|ip6 (?:dscp|hoplimit) set|secmark\b|socket\b|osf\b|rt\b|ipsec\b|fib\b)/;

/** The same statements as nft -j names them (expressions iptables-nft's compatibility check rejects). */
const JSON_INCOMPATIBLE = new Set(['notrack', 'queue', 'dup', 'fwd', 'tproxy', 'synproxy', 'quota', 'ct helper', 'ct timeout', 'ct expectation', 'flow', 'set', 'map', 'secmark', 'reject', 'masquerade', 'redirect', 'snat', 'dnat', 'log', 'counter', 'limit']);

function exprClass(e: NftExpr): { verdict: NativeVerdict; what: string } | undefined {
  switch (e.kind) {
    case 'match': {
      if (/^(?:ct|fib|rt|socket|osf|ipsec|tcp option|exthdr|numgen|jhash|symhash)\b/.test(e.key)) return { verdict: 'incompatible', what: e.key };
      if (e.key.includes(' . ')) return { verdict: 'misread', what: `${e.key} (a concatenation)` };
      if (e.value.kind === 'setRef') return { verdict: 'misread', what: `${e.key} @${e.value.name}` };
      if (e.value.kind === 'set' && e.value.elements.length > 1) return { verdict: 'misread', what: `${e.key} { ... }` };
      return undefined;
    }
    case 'vmap':
      return { verdict: 'misread', what: `${e.key} vmap` };
    case 'verdict':
      return e.verdict.kind === 'reject' || e.verdict.kind === 'queue' ? { verdict: 'incompatible', what: e.verdict.kind } : undefined;
    case 'nat':
      return { verdict: 'incompatible', what: e.nat.kind };
    case 'counter':
      return e.name !== undefined ? { verdict: 'incompatible', what: `counter name "${e.name}"` } : undefined;
    case 'log':
      return e.group === undefined ? { verdict: 'incompatible', what: 'log (no group)' } : undefined;
    case 'limit':
      return e.over || (e.unit !== undefined && /bytes/.test(e.unit)) ? { verdict: 'incompatible', what: `limit rate${e.over ? ' over' : ''} ${e.rate}${e.unit ? ` ${e.unit}` : ''}/${e.per}` } : undefined;
    case 'mangle':
      if (/^meta nftrace$/.test(e.key)) return undefined;
      if (/^meta mark$/.test(e.key)) return { verdict: 'save-fails', what: 'meta mark set' };
      return { verdict: 'incompatible', what: `${e.key} set` };
    case 'xt':
      return undefined;
    case 'unknown': {
      // nft -j: the statement's JSON (`{"notrack":null}`), named by its key
      const json = /^\{"([\w-]+)"/.exec(e.text.trim());
      if (json) return JSON_INCOMPATIBLE.has(json[1]) ? { verdict: 'incompatible', what: json[1] } : undefined;
      return UNKNOWN_INCOMPATIBLE.test(e.text.trim()) ? { verdict: 'incompatible', what: e.text.trim().split(/\s+/).slice(0, 3).join(' ') } : undefined;
    }
  }
}

/**
 * Whether the rule is nft's own: the JSON says so (no `xt`), or a text listing shows no counter (iptables-nft
 * puts one in every rule) or a named one. Undefined: the listing cannot tell (a counter, no xt shown).
 */
export function isNativeRule(rule: NftRule, format: NftRuleset['format']): boolean | undefined {
  if (rule.xt || rule.exprs.some((e) => e.kind === 'xt')) return false;
  if (format === 'json') return true;
  const counters = rule.exprs.filter((e): e is Extract<NftExpr, { kind: 'counter' }> => e.kind === 'counter');
  if (counters.length === 0 || counters.some((c) => c.name !== undefined)) return true;
  return undefined;
}

/** What iptables-nft makes of a native rule: undefined when it reads it back as it is. */
export function classifyNativeRule(rule: NftRule): NativeClass | undefined {
  let verdict: NativeVerdict | undefined;
  const because: string[] = [];
  for (const e of rule.exprs) {
    const c = exprClass(e);
    if (!c) continue;
    because.push(c.what);
    if (!verdict || WORSE[c.verdict] > WORSE[verdict]) verdict = c.verdict;
  }
  return verdict ? { verdict, because } : undefined;
}

/** The chains of an iptables table iptables-nft reads: its regular chains and its own base chains. */
function chainsIptablesReads(t: NftTable): NftChain[] {
  const builtin = BUILTIN[t.name] ?? [];
  return t.chains.filter((c) => c.hook === undefined || builtin.includes(c.name));
}

export interface NativeFinding {
  ruleset: NftRuleset;
  table: NftTable;
  chain: NftChain;
  rule: NftRule;
  cls: NativeClass;
}

/** Native rules in iptables-nft's tables that iptables-nft cannot read back (or reads back wrong). */
export function nativeRulesInIptablesTables(ruleset: NftRuleset): NativeFinding[] {
  const out: NativeFinding[] = [];
  for (const table of ruleset.tables) {
    if ((table.family !== 'ip' && table.family !== 'ip6') || !BUILTIN[table.name]) continue;
    for (const chain of chainsIptablesReads(table))
      for (const rule of chain.rules) {
        if (isNativeRule(rule, ruleset.format) !== true) continue;
        const cls = classifyNativeRule(rule);
        if (cls) out.push({ ruleset, table, chain, rule, cls });
      }
  }
  return out;
}

const CONSUMER_CHAIN: { re: RegExp; who: string }[] = [
  { re: /^cali-/, who: 'Calico (Felix)' },
  { re: /^KUBE-(?:SERVICES|SVC-|SEP-|POSTROUTING|NODEPORTS|MARK-MASQ)/, who: 'kube-proxy (iptables mode)' },
  { re: /^KUBE-ROUTER-/, who: 'kube-router' },
  { re: /^DOCKER(?:-USER|-FORWARD|-ISOLATION|$)/, who: 'Docker' },
];

const CONSUMER_PROCESS: Record<string, string> = { 'calico-node': 'Calico (Felix)', 'kube-proxy': 'kube-proxy', 'kube-router': 'kube-router', dockerd: 'Docker' };

/** Who on the node reads iptables' tables back: chains they own in the same listing, their processes. */
function iptablesConsumers(rulesets: readonly NftRuleset[], artifacts: Parameters<typeof nodeProcesses>[0]): { who: string; evidence: Evidence }[] {
  const out = new Map<string, Evidence>();
  for (const rs of rulesets)
    for (const t of rs.tables) {
      if ((t.family !== 'ip' && t.family !== 'ip6') || !BUILTIN[t.name]) continue;
      for (const c of t.chains)
        for (const k of CONSUMER_CHAIN)
          if (k.re.test(c.name) && !out.has(k.who)) out.set(k.who, { file: c.ref.file, line: c.ref.line, excerpt: `chain ${c.name}`, note: `${k.who} keeps its rules in table ${t.family} ${t.name}` });
    }
  for (const p of nodeProcesses(artifacts).processes) {
    const who = CONSUMER_PROCESS[p.component];
    if (!who || out.has(who)) continue;
    if (p.component === 'kube-proxy' && /nftables/.test((p.flags.get('--proxy-mode') ?? []).join(' '))) continue;
    out.set(who, { file: p.ref.file, line: p.ref.line, excerpt: p.excerpt, note: `${who} runs on the node` });
  }
  return [...out].map(([who, evidence]) => ({ who, evidence }));
}

const HOOK_PRIORITY: Record<string, string> = { PREROUTING: 'prerouting', INPUT: 'input', FORWARD: 'forward', OUTPUT: 'output', POSTROUTING: 'postrouting' };

/** Commands that move base-chain rules into a table of their own (idempotent) and delete them from iptables' table. */
function remedyCommands(found: NativeFinding[]): string[] {
  const cmds: string[] = [];
  const byTable = new Map<string, NativeFinding[]>();
  for (const f of found) {
    const k = `${f.table.family} ${f.table.name}`;
    byTable.set(k, [...(byTable.get(k) ?? []), f]);
  }
  for (const [key, list] of byTable) {
    const [family, name] = key.split(' ');
    const own = `${name}_native`;
    const base = list.filter((f) => f.chain.hook !== undefined);
    if (base.length > 0) {
      cmds.push(`# 1. the rules in a table of their own (run it again and it replaces that table, nothing else)`);
      const lines = [`nft -f - <<'EOF'`, `table ${family} ${own}`, `delete table ${family} ${own}`, `table ${family} ${own} {`];
      const chains = new Map<string, NativeFinding[]>();
      for (const f of base) chains.set(f.chain.name, [...(chains.get(f.chain.name) ?? []), f]);
      for (const [chain, rules] of chains) {
        const c = rules[0].chain;
        // one step after iptables' chain on the same hook: iptables' rules still come first, as they did
        const prio = `${(c.priority ?? 0) + 1}`;
        lines.push(`\tchain ${chain} {`, `\t\ttype ${c.type ?? (name === 'nat' ? 'nat' : 'filter')} hook ${c.hook ?? HOOK_PRIORITY[chain]} priority ${prio}; policy accept;`);
        for (const f of rules) lines.push(`\t\t${f.rule.text.trim().replace(/\s*#\s*handle\s+\d+\s*$/, '').replace(/counter packets \d+ bytes \d+/, 'counter')}`);
        lines.push('\t}');
      }
      lines.push('}', 'EOF');
      cmds.push(...lines);
    }
    cmds.push(`# 2. delete them from iptables' table ${family} ${name}, by handle (nft -a shows the handles)`);
    for (const f of list) {
      const body = f.rule.text.trim().replace(/\s*#\s*handle\s+\d+\s*$/, '').replace(/counter packets \d+ bytes \d+/, 'counter packets');
      if (f.rule.handle !== undefined) cmds.push(`nft -a list chain ${family} ${name} ${f.chain.name} | grep -qF -- ${shellQuote(`${body.split(' counter')[0]}`)} && nft delete rule ${family} ${name} ${f.chain.name} handle ${f.rule.handle}`);
      else cmds.push(`h=$(nft -a list chain ${family} ${name} ${f.chain.name} | grep -F -- ${shellQuote(body.split(' counter')[0])} | sed -n 's/.*# handle \\([0-9]*\\)$/\\1/p' | head -n1); [ -n "$h" ] && nft delete rule ${family} ${name} ${f.chain.name} handle "$h"`);
    }
  }
  cmds.push(`iptables-nft-save | grep 'is incompatible' || echo 'iptables-nft reads its tables again'`);
  return cmds;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

const VERDICT_TEXT: Record<NativeVerdict, string> = {
  incompatible: "iptables-nft cannot express it: iptables-save prints \"# Table `{table}' is incompatible, use 'nft' tool.\" instead of the table (and still exits 0), iptables -S / -L fail",
  'save-fails': 'iptables-nft cannot parse it: iptables-save stops there with "Parsing nftables rule failed" (exit 3), its output cut short',
  misread: 'iptables-nft reads it back wrong: iptables-save prints a wider rule (the set or map left out), which an iptables-restore of that output installs',
};

export default defineAnalyzer({
  id: 'nftables.native-rule-in-iptables-table',
  title: "nft rules inside iptables-nft's tables",
  description: "Rules written with nft in iptables' own tables (ip filter/nat/mangle/raw/security) that iptables-nft cannot read back: iptables-save and every agent built on it fail.",
  scope: 'node',
  requires: [],
  // the nft listing names the rules; an iptables-nft-save that printed "# Table `nat' is incompatible" in place of a table says it alone
  requiresOneOf: ['nftables', 'iptables'],
  optional: ['nftables', 'iptables', 'logs', 'services', 'dockerDaemon'],
  analyze({ node, artifacts }) {
    const rulesets = artifacts.nftables ?? [];
    const found = rulesets.flatMap(nativeRulesInIptablesTables);
    const said = logEvidence(artifacts.logs, ['log.nf-tables-incompatible'], 4);
    if (found.length === 0) return unreadTables(node, artifacts, said);
    const consumers = iptablesConsumers(rulesets, artifacts);
    const worst = found.reduce<NativeVerdict>((w, f) => (WORSE[f.cls.verdict] > WORSE[w] ? f.cls.verdict : w), 'misread');
    const tables = [...new Set(found.map((f) => `${f.table.family} ${f.table.name}`))];
    const breaking = worst !== 'misread';
    const severity = breaking && (consumers.length > 0 || said.length > 0) ? 'critical' : 'warning';
    const who = consumers.map((c) => c.who);
    const tableWord = tables.length > 1 ? 'tables' : 'table';
    const message =
      `${found.length} rule${found.length > 1 ? 's' : ''} written with nft ${found.length > 1 ? 'sit' : 'sits'} in iptables-nft's ${tableWord} ${tables.join(', ')} on ${node}: ` +
      VERDICT_TEXT[worst].replace('{table}', found.find((f) => f.cls.verdict === worst)!.table.name) +
      '. ' +
      (who.length > 0
        ? `${who.join(', ')} ${who.length > 1 ? 'read' : 'reads'} that table back through iptables and ${breaking ? 'fail' : 'may rewrite the wider rule'} (Calico Felix panics after its retries: "iptables-save failed because there are incompatible nft rules in the table").`
        : 'Anything on the node that reads it through iptables (iptables-save, kube-proxy, Calico, Docker, a firewall service saving its rules) sees an error or a wrong rule.') +
      (said.length > 0 ? ` The logs show it (${said.length} line${said.length > 1 ? 's' : ''}).` : '');
    const evidence: Evidence[] = [
      ...found.map((f) => ({
        file: f.rule.ref.file,
        line: f.rule.ref.line,
        excerpt: f.rule.text.trim(),
        note: `table ${f.table.family} ${f.table.name}, chain ${f.chain.name}: ${f.cls.verdict === 'misread' ? 'read back wrong' : f.cls.verdict === 'save-fails' ? 'iptables-save fails on it' : 'iptables cannot express it'} (${f.cls.because.join(', ')}); ${isNativeReason(f)}`,
      })),
      ...said,
      ...consumers.map((c) => c.evidence),
    ];
    return [
      {
        severity,
        title: "nft rules inside iptables-nft's tables break iptables-save",
        message,
        impact:
          'iptables-save / iptables -S of that table fail or print a different rule: Calico stops programming policy (calico-node not ready), kube-proxy in iptables mode and kube-router cannot sync, Docker cannot list its chains, and a saved iptables configuration loses or widens the rule.',
        evidence,
        remedy: {
          summary:
            "Keep nft's own rules out of iptables' tables: put them in a table of their own (same hook, one priority step after iptables' chain, so iptables' rules still come first), then delete them from iptables' table by handle. A rule in a regular (non-base) chain has to be rewritten as an iptables rule instead, or moved with the jump that reaches it. In a filter chain, an accept in your own table no longer skips iptables' rules (a drop still wins anywhere). Then fix whatever script or tool added them (it will add them again at the next boot).",
          commands: remedyCommands(found),
        },
        facts: { tables, rules: found.length, consumers: who },
      },
    ];
  },
});

/**
 * No nft listing names the rules, but iptables-nft-save printed `# Table `nat' is incompatible, use 'nft' tool.`
 * in place of a table (exit 0): the table holds rules written with nft that iptables cannot express, and the
 * dump lacks it. A warning (critical where an agent reads that table back through iptables) asking for the
 * nft listing that names them.
 */
function unreadTables(node: string, artifacts: NodeArtifacts, said: Evidence[]): FindingDraft[] {
  const all = (artifacts.iptables ?? []).flatMap((rs) => (rs.incompatibleTables ?? []).map((t) => ({ ...t, family: rs.family === 'ipv6' ? 'ip6' : 'ip', rs })));
  // "# Table `nat' contains incompatible base-chains, use 'nft' tool to list them." (iptables 1.8.8+) is printed ABOVE a
  // table iptables lists whole but for the base chains it leaves out: no rule of nft's is in iptables' chains
  const lines = all.filter((t) => incompatibleKind(t) === 'replaced');
  const foreign = all.filter((t) => incompatibleKind(t) === 'base-chains' && !(artifacts.nftables ?? []).some((n) => n.tables.some((x) => x.name === t.table && x.family === t.family)));
  if (lines.length === 0) return foreign.length > 0 ? [baseChainsNote(node, foreign)] : [];
  // the agents' own chains in the tables the dump could show, then their processes
  const consumers: { who: string; evidence: Evidence }[] = [];
  for (const { rs } of lines)
    for (const t of Object.values(rs.tables))
      for (const c of Object.values(t.chains))
        for (const k of CONSUMER_CHAIN)
          if (k.re.test(c.name) && !consumers.some((x) => x.who === k.who)) consumers.push({ who: k.who, evidence: { file: c.ref.file, line: c.ref.line, excerpt: `${t.name} chain ${c.name}`, note: `${k.who} keeps its rules in iptables' tables` } });
  for (const c of iptablesConsumers([], artifacts)) if (!consumers.some((x) => x.who === c.who)) consumers.push(c);
  const tables = [...new Set(lines.map((l) => `${l.family} ${l.table}`))];
  const who = consumers.map((c) => c.who);
  const listed = listingSays(artifacts.nftables ?? [], tables);
  return [
    {
      severity: consumers.length > 0 ? 'critical' : 'warning',
      title: "iptables-save could not show a table: nft rules inside iptables-nft's tables",
      message:
        `iptables-nft-save on ${node} printed "is incompatible" in place of ${tables.length > 1 ? 'the tables' : 'table'} ${tables.join(', ')} (${lines.map((l) => `${l.ref.file}:${l.ref.line}`).join(', ')}): ${tables.length > 1 ? 'they hold' : 'it holds'} rules written with nft that iptables cannot express, and the dump has none of ${tables.length > 1 ? 'their' : 'its'} rules (iptables-save still exits 0). ` +
        (who.length > 0 ? `${who.join(', ')} ${who.length > 1 ? 'read' : 'reads'} that table back through iptables and fail${who.length > 1 ? '' : 's'} on it.` : 'Anything that reads it through iptables (kube-proxy, Calico, kube-router, Docker, a firewall service saving its rules) fails on it.') +
        ' ' +
        listed.sentence,
      impact: "That table's rules are missing from every iptables view: agents that read it through iptables-save fail, and diagnoses that need it are left undecided.",
      evidence: [...lines.map((l) => ({ file: l.ref.file, line: l.ref.line, excerpt: `# Table \`${l.table}' is incompatible, use 'nft' tool.`, note: `iptables-nft-save could not show table ${l.family} ${l.table}` })), ...listed.evidence, ...said, ...consumers.map((c) => c.evidence)],
      remedy: {
        summary: "Find the rules iptables cannot express (native nft statements: redirect/masquerade/dnat written with nft, ct or fib matches, a meta mark set, sets or maps) and move them to a table of their own, then delete them from iptables' table by handle; then fix the script or tool that adds them.",
        commands:
          listed.commands ??
          [...new Set(lines.map((l) => `nft -a list table ${l.family} ${l.table}   # the rules with their handles: the ones without a counter (or with a named counter) are nft's own`))],
      },
      facts: { tables, rules: null, consumers: who, ...(listed.candidates !== undefined ? { candidates: listed.candidates } : {}) },
    },
  ];
}

/**
 * Chains that agents write through iptables (Docker's DOCKER*, kube-proxy's and kube-router's KUBE-*, Calico's cali-,
 * flannel's FLANNEL-, Cilium's CILIUM_, fail2ban's f2b-, ufw's, libvirt's, netavark's, the CNI portmap plugin's CNI-):
 * a rule there that lists like a native one (`ct state related,established counter ... accept` in DOCKER-CT) is taken
 * as that agent's, translated by nft from iptables' own expressions.
 */
const IPTABLES_AGENT_CHAIN = /^(?:DOCKER(?:-|$)|KUBE-|cali-|FLANNEL-|CILIUM_|f2b-|ufw6?-|LIBVIRT_|NETAVARK|CNI-)/;

interface ListingSays {
  sentence: string;
  evidence: Evidence[];
  /** the commands asked for, when the listing changes what helps; undefined: the default (`nft -a list table`) */
  commands?: string[];
  /** rules that may be nft's own and that iptables could not express if so; undefined without a listing of the table */
  candidates?: number;
}

/**
 * What the bundle's nft listing says of the tables iptables-nft-save could not show, where the main path named no rule
 * (every rule of them that iptables cannot express carries a counter, as iptables-nft's own rules do). A text listing
 * prints iptables' compat expressions translated, so `oifname "wt0" ct state established,related counter accept`
 * written with nft (NetBird, netbirdio/netbird#2725) and Docker's `-o docker0 -m conntrack --ctstate RELATED,ESTABLISHED
 * -j ACCEPT` print alike: the rules that would explain the line are named as candidates (outside the chains agents
 * write through iptables), never as proven, and `nft --debug=netlink` is asked for to tell them apart (it shows
 * iptables' rules as `[ match name conntrack ... ]`, nft's own as `[ ct load state ... ]`).
 */
function listingSays(rulesets: readonly NftRuleset[], tables: readonly string[]): ListingSays {
  if (rulesets.length === 0) return { sentence: 'The bundle has no nft listing to name the rules: collect `nft -a list table` for it.', evidence: [] };
  const files = [...new Set(rulesets.map((rs) => rs.tables[0]?.ref.file ?? rs.tables[0]?.chains[0]?.ref.file).filter((f): f is string => f !== undefined))];
  const listingName = files.length > 0 ? files.join(', ') : 'the nft listing';
  const sentences: string[] = [];
  const evidence: Evidence[] = [];
  const commands: string[] = [];
  let candidates = 0;
  let anyListed = false;
  for (const key of tables) {
    const [family, name] = key.split(' ');
    const hit = rulesets.flatMap((rs) => rs.tables.filter((t) => t.family === family && t.name === name).map((t) => ({ rs, t })))[0];
    if (!hit) {
      sentences.push(`The nft listing (${listingName}) has no table ${key} (it was taken at another moment, or cut): collect \`nft -a list table ${key}\`.`);
      commands.push(`nft -a list table ${key}   # the rules with their handles: the ones without a counter (or with a named counter) are nft's own`);
      continue;
    }
    anyListed = true;
    const file = hit.t.ref.file;
    const ours: { chain: NftChain; rule: NftRule; cls: NativeClass }[] = [];
    let agents = 0;
    for (const chain of chainsIptablesReads(hit.t))
      for (const rule of chain.rules) {
        if (isNativeRule(rule, hit.rs.format) === false) continue;
        const cls = classifyNativeRule(rule);
        if (!cls) continue;
        if (chain.hook === undefined && IPTABLES_AGENT_CHAIN.test(chain.name)) agents++;
        else ours.push({ chain, rule, cls });
      }
    candidates += ours.length;
    const agentsNote = agents > 0 ? ` (${agents} more of that kind sit in chains agents write through iptables, such as Docker's, and are taken as theirs)` : '';
    if (ours.length === 0) {
      sentences.push(
        `The nft listing (${file}) holds table ${key}, but none of its rules outside the agents' chains shows a statement iptables cannot express${agentsNote}: the listing may have been taken at another moment than the iptables-save, or the statement is one bundle-doctor does not know. ` +
          `\`nft --debug=netlink list table ${key}\` shows which rules iptables wrote (their \`[ match name ... ]\` / \`[ target name ... ]\` lines).`,
      );
    } else {
      const shown = ours.slice(0, 5).map((o) => `chain ${o.chain.name}: \`${o.rule.text.trim().replace(/counter packets \d+ bytes \d+/, 'counter')}\``);
      sentences.push(
        `The nft listing (${file}) holds table ${key}: ${ours.length === 1 ? 'one rule there' : `${ours.length} rules there`} would make it incompatible if written with nft (${shown.join('; ')}${ours.length > shown.length ? `; ${ours.length - shown.length} more in the evidence` : ''})${agentsNote}. ` +
          `A text listing cannot say whether nft or iptables-nft wrote ${ours.length === 1 ? 'it' : 'them'}: iptables-nft's own rules carry a counter and print the same way (Docker's \`-m conntrack --ctstate RELATED,ESTABLISHED\` lists as \`ct state related,established counter ...\`). ` +
          `\`nft --debug=netlink list table ${key}\` tells them apart: iptables' rules show \`[ match name ... ]\` or \`[ target name ... ]\`, nft's own native expressions only (\`[ ct load state ... ]\`).`,
      );
      for (const o of ours)
        evidence.push({
          file: o.rule.ref.file,
          line: o.rule.ref.line,
          excerpt: o.rule.text.trim(),
          note: `table ${key}, chain ${o.chain.name}: iptables cannot express it if nft wrote it (${o.cls.because.join(', ')}); its counter does not tell who wrote it`,
        });
    }
    commands.push(
      `nft --debug=netlink list table ${key}   # a rule with a "[ match name ... ]" or "[ target name ... ]" line was written by iptables-nft; one without was written with nft`,
      `nft -a list table ${key}   # the handles, to delete the rules nft wrote`,
    );
  }
  return { sentence: sentences.join(' '), evidence, ...(anyListed || commands.length > 0 ? { commands } : {}), ...(anyListed ? { candidates } : {}) };
}

/**
 * iptables-nft printed `# Table `nat' contains incompatible base-chains, use 'nft' tool to list them.` above a table it
 * then listed (iptables 1.8.8+; src/netfilter/save-format.ts FOREIGN_BASE_CHAINS), and no nft listing shows that table:
 * iptables' own chains are all there, but the table also holds base chains written with nft (another name, type or
 * priority than iptables' built-in chain of the hook) that no iptables view shows. Nothing fails; what those chains do is
 * not in the bundle. Information, saying what to collect.
 */
function baseChainsNote(node: string, lines: { table: string; ref: SourceRef; family: string }[]): FindingDraft {
  const tables = [...new Set(lines.map((l) => `${l.family} ${l.table}`))];
  const one = tables.length === 1;
  return {
    severity: 'info',
    title: "iptables shows a table without the base chains nft added to it",
    message:
      `iptables-nft on ${node} printed "contains incompatible base-chains" above ${one ? 'table' : 'the tables'} ${tables.join(', ')} (${lines.map((l) => `${l.ref.file}:${l.ref.line}`).join(', ')}): ` +
      `the iptables chains listed after that line are all there, but ${one ? 'the table also holds' : 'the tables also hold'} base chains written with nft (a name, type or priority iptables does not use for its own chain of that hook) that iptables cannot list. ` +
      "iptables keeps working; what those chains do (NAT, filtering) is in no iptables view, and the bundle has no nft listing of them: collect `nft list ruleset`.",
    impact: 'None by itself. Diagnoses that need the whole table (masquerade, NAT, Docker\'s chains) are left undecided until the nft listing is collected.',
    evidence: lines.map((l) => ({ file: l.ref.file, line: l.ref.line, excerpt: `# Table \`${l.table}' contains incompatible base-chains, use 'nft' tool to list them.`, note: `table ${l.family} ${l.table}: iptables' own chains shown, base chains written with nft left out` })),
    remedy: {
      summary: 'Collect the nft listing to see the base chains iptables leaves out. To keep iptables\' tables readable, put rules of your own in a table of your own (table ip mynat, not ip nat).',
      commands: [...new Set(lines.map((l) => `nft -a list table ${l.family} ${l.table}   # the base chains iptables does not show (hook, priority) and their rules`)), 'nft list ruleset > nft-list-ruleset.txt'],
    },
    facts: { tables, kind: 'base-chains' },
  };
}

function isNativeReason(f: NativeFinding): string {
  if (f.ruleset.format === 'json') return 'nft -j shows no xt (iptables) expression in it';
  return f.rule.exprs.some((e) => e.kind === 'counter') ? 'a named counter: iptables never writes one' : 'no counter: iptables-nft puts one in every rule it writes';
}
