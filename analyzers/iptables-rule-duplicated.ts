/**
 * iptables.rule-duplicated: one rule repeated many times in a chain. Components that keep their rules
 * with "check, then append" (`iptables -C ... || iptables -A ...`: kubelet's KUBE-FIREWALL and
 * KUBE-MARK-DROP, kube-proxy, Docker, Calico, flannel, kube-router) append another copy at every sync
 * when the check never finds the rule. That is iptables-nft 1.8.0-1.8.2's `-C`, which cannot match a
 * rule with a comment or mark match (kubernetes#76431: 4190 copies of kubelet's "kubernetes firewall
 * for dropping marked packets" DROP on Debian 10; kubernetes#82361, #79304: fixed in iptables 1.8.3),
 * and iptables-nft 1.8.10's (cloudnativelabs/kube-router#1676, #1789: fixed in 1.8.11); or a writer
 * that appends without checking (Docker 1.7's OUTPUT jump at each daemon restart, moby/moby#13956).
 * Thousands of copies make every packet walk them and every iptables-save/restore slower: nodes at
 * 100% ksoftirqd (k3s-io/k3s#3117, BlueKrypto/k3os#15), "eventually increases the load" (#82361).
 *
 * Counting: per ruleset (one dump of one back end and family), per table and chain, rules whose
 * normalised spec (everything but counters and position) is identical. A count pasted after a grep of a
 * listing (`iptables -L -v -n | grep "<comment>" | wc -l` then `4190`) counts as that many copies of the
 * grepped rows' rule where the parser read it (the ruleset's `listedCounts`, see LISTED_COUNTS below).
 */
import { defineAnalyzer, type FindingDraft } from '../src/engine/analyzer.js';
import type { Evidence } from '../src/report/schema.js';
import type { SourceRef } from '../src/model/source.js';
import { FRAGMENT_CHAIN } from '../src/netfilter/list-format.js';
import { iptablesTool, ruleSpec } from '../src/netfilter/commands.js';
import { matchText, ownerOf, type ListedCount, type Owner, type Rule, type Ruleset } from '../src/netfilter/rules.js';
import { KUBE_PROXY_SERVICE_CHAIN, hasKubernetes } from './lib/node-view.js';
import type { NodeArtifacts } from '../src/engine/artifacts.js';
import type { IptablesVersion } from '../src/netfilter/iptables-version.js';
import { logEvidence } from './lib/logs.js';
import { installedPackage, packageEvidence, packageLabel, type InstalledPackage } from './lib/package-versions.js';

/** Copies of one rule from which the finding fires: two are sometimes deliberate or a restart's leftover. */
export const MIN_COPIES = 3;
/**
 * Copies from which a rule no component is known to write counts: a firewall script run three times
 * appends its block three times (the corpus's jc Ubuntu 18.04 listing), which is untidy, not a loop.
 */
export const MIN_COPIES_UNOWNED = 10;
/** Copies from which the finding is critical: every packet of the chain walks them, syncs slow down. */
export const CRITICAL_COPIES = 100;

/** The packages of the host's iptables, as iptables.kube-firewall-corrupted reads them. */
const IPTABLES_PACKAGES = ['iptables-nft', 'iptables-legacy', 'iptables'] as const;

/**
 * A count pasted under a grep of an iptables listing: `# iptables -L -v -n | grep "X" | wc -l` then a
 * number line. The list-format parser records it on the ruleset it reads from the same file (the
 * field this reads; see the report of helper H20 for the parser change); absent, none is read.
 */

/** kubelet's two rules and the chain each is in: what a grep of their comment or a chainless row is. */
const KUBELET_RULES: { chain: string; table: string; comment?: RegExp; spec: string }[] = [
  { chain: 'KUBE-FIREWALL', table: 'filter', comment: /^kubernetes firewall for dropping marked packets$/, spec: '-m comment --comment "kubernetes firewall for dropping marked packets" -m mark --mark 0x8000/0x8000 -j DROP' },
];

interface Group {
  rs: Ruleset;
  table: string;
  chain: string;
  /** the chain as the command must name it (a fragment's chain, from the rule's comment, where kubelet's) */
  realChain?: string;
  rules: Rule[];
  /** copies counted: the rules, or a pasted count */
  count: number;
  counted?: ListedCount;
  /** the same rule's copies in other dumps of the node (an iptables -L listing and iptables-save): one finding, their evidence too */
  also?: Group[];
}

export default defineAnalyzer({
  id: 'iptables.rule-duplicated',
  title: 'iptables rule duplicated many times',
  description: 'The same rule repeated 3 or more times in one chain (10 where no known component writes it): a component re-appends it at every sync (iptables-nft 1.8.0-1.8.2 or 1.8.10 -C bug, or a writer that does not check).',
  scope: 'node',
  requires: ['iptables'],
  optional: ['iptablesVersion', 'packages', 'logs', 'services'],
  analyze({ node, artifacts }) {
    const live = (artifacts.iptables ?? []).filter((rs) => rs.origin === 'live');
    const groups = dedupe(live.flatMap((rs) => duplicateGroups(rs)));
    const versions = (artifacts.iptablesVersion ?? []).flat();
    if (groups.length === 0) return noCheckOnKubernetes(node, artifacts, live, versions);
    const pkg = installedPackage(artifacts, IPTABLES_PACKAGES);
    const legacyWarnings = logEvidence(artifacts.logs, ['log.iptables-legacy-tables-present'], 4);
    return groups.map((g) => finding(node, g, live, versions, pkg, legacyWarnings));
  },
});

/** A rule's identity in its chain: every field but counters, position, line and listing text. */
export function ruleKey(r: Rule): string {
  const neg = (v?: { value: unknown; negated: boolean }) => (v ? `${v.negated ? '!' : ''}${String(v.value)}` : '');
  const matches = r.matches.map((m) => (m.module === 'unknown' ? `?${m.raw ?? ''}` : `${m.module}(${m.options.map((o) => `${o.negated ? '!' : ''}${o.name}=${o.value ?? ''}`).join(',')})`));
  const opts = Object.keys(r.targetOptions)
    .sort()
    .map((k) => `${k}=${r.targetOptions[k]}`);
  return [neg(r.protocol), neg(r.source), neg(r.destination), neg(r.inInterface), neg(r.outInterface), neg(r.fragment), matches.join(' '), r.comment ?? '', `${r.targetKind ?? ''}:${r.target ?? ''}`, opts.join(',')].join('|');
}

/** A saved rule's text without `iptables-save -c`'s `[pkts:bytes]` prefix: the same rule saved twice prints alike. */
function canonicalText(r: Rule): string {
  return r.text.charCodeAt(0) === 91 /* [ */ ? r.text.replace(/^\[\d+:\d+\]\s+/, '') : r.text;
}

/** The chains of a ruleset with N >= MIN_COPIES copies of a rule, and rows a pasted count says there are that many of. */
export function duplicateGroups(rs: Ruleset): Group[] {
  const out: Group[] = [];
  const counts = rs.listedCounts ?? [];
  for (const t of Object.values(rs.tables))
    for (const c of Object.values(t.chains)) {
      const byKey = new Map<string, Rule[]>();
      // iptables-save and -S print a rule one canonical way: its text (counters aside) is its identity, and reading
      // it spares the parse of every rule a kube-proxy dump holds (132,000, parsed only when asked: the bench's
      // kube-proxy row went from 1.4 s to 2.3 s and 280 MB when each was parsed for its key). Other formats
      // (listings, nft) print the same rule differently: their parsed fields make the key.
      const canonical = rs.format === 'save' || rs.format === 'spec';
      if (canonical && c.rules.length < MIN_COPIES && !counts.length) continue;
      // kube-proxy writes its per-Service chains whole with iptables-restore at every sync (each one flushed and
      // refilled): no -C || -A can pile copies there, and they are most of a big cluster's 100,000+ rules
      if (!counts.length && KUBE_PROXY_SERVICE_CHAIN.test(c.name)) continue;
      // (a chain of a few rules, all different, is most of a kube-proxy dump: a Set finds that without a group per rule)
      if (canonical && !counts.length) {
        const seen = new Set<string>();
        let repeated = false;
        for (const r of c.rules) {
          const k = canonicalText(r);
          if (seen.has(k)) {
            repeated = true;
            break;
          }
          seen.add(k);
        }
        if (!repeated) continue;
      }
      for (const r of c.rules) {
        const k = canonical ? canonicalText(r) : ruleKey(r);
        const list = byKey.get(k);
        if (list) list.push(r);
        else byKey.set(k, [r]);
      }
      for (const rules of byKey.values()) {
        // a count pasted under a grep that finds these rows: the rows shown are a sample of that many
        const counted = counts.find((n) => rules.some((r) => grepHits(n.grep, r)));
        const count = Math.max(rules.length, counted?.count ?? 0);
        if (count < MIN_COPIES) continue;
        // without -v a listing does not show interfaces: `-i lo -j ACCEPT` and `-j ACCEPT` print alike
        if (!counted && !rules[0].comment && rules[0].incomplete?.some((x) => x.startsWith('listing without -v'))) continue;
        // nft lists iptables-nft's compat matches and targets without their options (`xt match icmp6`, `xt target REJECT`):
        // ufw's rules for different ICMPv6 types print alike (R11 p05/p06)
        if (!counted && rules[0].incomplete?.some((x) => x.startsWith('nft does not print the options'))) continue;
        const g: Group = { rs, table: t.name, chain: c.name, realChain: c.name === FRAGMENT_CHAIN ? kubeletRule(rules[0])?.chain : c.name, rules, count, counted };
        if (!writerOf(g) && count < MIN_COPIES_UNOWNED) continue;
        out.push(g);
      }
    }
  // a count whose grep finds no row read (the rows were not pasted): kubelet's comment still names the rule
  for (const n of counts) {
    if (n.count < MIN_COPIES || out.some((g) => g.counted === n)) continue;
    const k = KUBELET_RULES.find((x) => x.comment?.test(n.grep));
    if (k) out.push({ rs, table: k.table, chain: k.chain, realChain: k.chain, rules: [], count: n.count, counted: n });
  }
  return out;
}

/**
 * Does `grep "<pattern>"` count this rule's rows? Only where the pattern is in the rule's comment: a grep of
 * the whole listing for `DROP` or an address counts rows of many rules, a comment names one.
 */
function grepHits(pattern: string, r: Rule): boolean {
  return pattern.length >= 4 && r.comment !== undefined && r.comment.includes(pattern);
}

function kubeletRule(r: Rule | undefined): (typeof KUBELET_RULES)[number] | undefined {
  return r ? KUBELET_RULES.find((k) => k.comment?.test(r.comment ?? '')) : undefined;
}

/**
 * Two dumps of the same rules (iptables-save and iptables -L of one node, both families read from
 * one listing): one finding per family, table, chain and rule, from the dump that shows most copies
 * (the one that gives the rule's spec where they tie).
 */
function dedupe(groups: Group[]): Group[] {
  const specOrder = (g: Group) => (g.rs.format === 'save' || g.rs.format === 'spec' ? 1 : 0);
  // per family, table, chain and rule; then per back end, where a dump that does not say its back end (an
  // iptables -L listing) joins the one that does (iptables-save's header): the same rules seen twice
  const byRule = new Map<string, Group[]>();
  for (const g of groups) {
    const key = [g.rs.family === 'ipv6' ? 6 : 4, g.table, g.realChain ?? g.chain, g.rules[0] ? ruleKey(g.rules[0]) : g.counted?.grep].join('\u0000');
    byRule.set(key, [...(byRule.get(key) ?? []), g]);
  }
  const out: Group[] = [];
  for (const list of byRule.values()) {
    const known = [...new Set(list.map((g) => g.rs.backend).filter((b) => b !== 'unknown'))];
    const byBackend = new Map<string, Group[]>();
    for (const g of list) {
      const b = g.rs.backend === 'unknown' && known.length === 1 ? known[0] : g.rs.backend;
      byBackend.set(b, [...(byBackend.get(b) ?? []), g]);
    }
    for (const same of byBackend.values()) {
      const best = same.reduce((a, g) => (g.count > a.count || (g.count === a.count && specOrder(g) > specOrder(a)) ? g : a));
      out.push(same.length > 1 ? { ...best, also: same.filter((g) => g !== best) } : best);
    }
  }
  return out.sort((a, b) => b.count - a.count);
}


/** Single-quoted for sh: what is inside is taken literally. */
function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Deletes the copies until one is left: counts the rule's exact line in `iptables -S CHAIN`, deletes
 * it by spec while there are 2 or more, and stops if a delete fails (an iptables whose -D cannot find
 * the rule either: the same lookup as -C). Pasted twice, the second run finds one copy and does nothing.
 * iptables 1.4.x ends every -S line with a space (`... -j KUBE-PORTALS-CONTAINER `, kubernetes#14870):
 * trailing blanks are stripped before the exact match, or the count is 0 and the loop a silent no-op. Not
 * needed for iptables-nft (1.8 and later print none: `stripTrailing` false, the default, keeps the command short).
 */
export function removalLoop(tool: string, table: string, chain: string, spec: string, stripTrailing = false): string {
  const t = table === 'filter' ? '' : `-t ${table} `;
  return `while [ "$(${tool} ${t}-S ${chain} |${stripTrailing ? ` sed 's/[[:space:]]*$//' |` : ''} grep -cxF -- ${shq(`-A ${chain} ${spec}`)})" -gt 1 ]; do ${tool} ${t}-D ${chain} ${spec} || break; done`;
}

type Cause = 'nft-check-bug' | 'nft-1.8.10-check-bug' | 'nft-version-unknown' | 'no-check' | 'writer' | 'unknown';

/**
 * iptables before 1.4.11 has no -C (--check; moby/moby#6950 tests for 1.4.11): kubelet and kube-proxy then
 * look for the rule in iptables-save's output (kubernetes PR #2638), a match that fails where that
 * iptables prints the rule otherwise than they wrote it (1.4.7's `--mark 0x00004000`: kubernetes#37416,
 * fixed in kubelet 1.5.1 by PR #37594; kube-proxy's userspace portal jumps: #14870, PR #12839).
 */
export function lacksCheck(version: string | undefined): boolean {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(version ?? '');
  if (!m) return false;
  const [maj, min, patch] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  return maj < 1 || (maj === 1 && (min < 4 || (min === 4 && patch < 11)));
}

interface VersionSeen {
  version?: string;
  backend: Ruleset['backend'];
  evidence: Evidence[];
  label?: string;
}

/** The iptables that wrote the ruleset: its save header, the host's iptables -V of that back end, the package; the legacy-tables warning says nf_tables. */
function versionOf(g: Group, versions: { tool: string; version: string; backend: Ruleset['backend']; ref: SourceRef; excerpt: string }[], pkg: InstalledPackage | undefined, legacyWarnings: Evidence[]): VersionSeen {
  const rs = g.rs;
  const evidence: Evidence[] = [];
  let backend = rs.backend;
  // only iptables-nft prints the legacy-tables warning: the dump (or the file's commands) came from nf_tables
  const warned = rs.legacyTablesPresent ?? legacyWarnings.find((w) => w.file === rs.file);
  if (backend === 'unknown' && warned) {
    backend = 'nf_tables';
    evidence.push({ file: warned.file, line: warned.line, excerpt: '# Warning: iptables-legacy tables present, use iptables-legacy to see them', note: 'only iptables-nft prints this: the rules were listed with the nf_tables back end' });
  }
  // the same rules seen in another dump of the node (iptables-save beside an iptables -L listing): its header says the version
  const headed = [rs, ...(g.also ?? []).map((x) => x.rs)].find((r) => r.version);
  if (headed?.version) {
    if (backend === 'unknown') backend = headed.backend;
    return { version: headed.version, backend, evidence, label: `${headed.version}${backend !== 'unknown' ? ` (${backend})` : ''}, ${headed === rs ? "its dump's header" : `${headed.file}'s header`}` };
  }
  const v = versions.find((x) => (backend === 'unknown' || x.backend === backend || x.backend === 'unknown') && !/-legacy|-nft/.test(x.tool)) ?? versions.find((x) => backend === 'unknown' || x.backend === backend);
  if (v) {
    evidence.push({ file: v.ref.file, line: v.ref.line, excerpt: v.excerpt, note: 'iptables on the host' });
    const b = backend === 'unknown' ? v.backend : backend;
    return { version: v.version, backend: b, evidence, label: `${v.version}${b !== 'unknown' ? ` (${b})` : ''}, ${v.tool} -V` };
  }
  if (pkg) {
    evidence.push(packageEvidence(pkg, `the host's iptables package (${packageLabel(pkg)}): the bundle has no iptables -V`));
    const b = pkg.name === 'iptables-nft' ? 'nf_tables' : pkg.name === 'iptables-legacy' ? 'legacy' : backend;
    return { version: pkg.upstream, backend: b, evidence, label: `${pkg.upstream}${b !== 'unknown' ? ` (${b})` : ''}, installed package ${packageLabel(pkg)}` };
  }
  return { backend, evidence };
}

/**
 * Why the copies: the iptables version and back end, and whether the rule is one 1.8.0-1.8.2's -C is
 * known to miss (a comment or mark match, a MARK target: kubelet's and kube-proxy's rules).
 */
function causeOf(v: VersionSeen, checkMisses: boolean): Cause {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(v.version ?? '');
  if (!m) return v.backend === 'nf_tables' && checkMisses ? 'nft-version-unknown' : v.backend === 'legacy' || !checkMisses ? 'writer' : 'unknown';
  const [maj, min, patch] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  if (lacksCheck(v.version)) return 'no-check';
  const is18 = maj === 1 && min === 8;
  // 1.8.0-1.8.2 and 1.8.10 print their back end; where the version is known but the back end not, 1.8.0-1.8.2's -C bug is nft's
  if (is18 && patch <= 2 && v.backend !== 'legacy' && checkMisses) return v.backend === 'nf_tables' ? 'nft-check-bug' : 'unknown';
  if (is18 && patch === 10 && v.backend === 'nf_tables') return 'nft-1.8.10-check-bug';
  return 'writer';
}

const OWNER_NAMES: Partial<Record<Owner, string>> = {
  kubelet: 'kubelet',
  'kube-proxy': 'kube-proxy',
  docker: 'Docker',
  calico: 'Calico (Felix)',
  flannel: 'flannel',
  'kube-router': 'kube-router',
  cilium: 'Cilium',
  weave: 'Weave Net',
  'aws-vpc-cni': 'the AWS VPC CNI (aws-node)',
  'ovn-kubernetes': 'OVN-Kubernetes',
  firewalld: 'firewalld',
  libvirt: 'libvirt',
  tailscale: 'Tailscale',
  cni: 'a CNI plugin (portmap / bridge)',
  ufw: 'ufw',
  netavark: 'netavark (Podman)',
};

/** Who writes the rule: its chain's owner, else (a built-in chain or a fragment) its target's, else its comment's. */
export function writerOf(g: Group): Owner | undefined {
  const r = g.rules[0];
  const chain = g.realChain ?? g.chain;
  if (chain !== FRAGMENT_CHAIN) {
    const o = ownerOf(chain, g.table);
    if (o !== 'system' && o !== 'other') return o;
  }
  if (r?.target) {
    const o = ownerOf(r.target, g.table);
    if (o !== 'system' && o !== 'other') return o;
  }
  const comment = r?.comment ?? g.counted?.grep ?? '';
  if (/^kubernetes firewall for dropping marked packets$/.test(comment)) return 'kubelet';
  if (/^kubernetes /.test(comment)) return 'kube-proxy';
  if (/^cali:/.test(comment)) return 'calico';
  if (/^flanneld /.test(comment)) return 'flannel';
  if (/^(?:allow|rule to|default|kube-router)\b/.test(comment)) return 'kube-router';
  return undefined;
}

function finding(node: string, g: Group, live: Ruleset[], versions: Parameters<typeof versionOf>[1], pkg: InstalledPackage | undefined, legacyWarnings: Evidence[]): FindingDraft {
  const rs = g.rs;
  const chain = g.realChain ?? g.chain;
  const chainShown = g.chain === FRAGMENT_CHAIN ? (g.realChain ? `${g.realChain} (kubelet's chain for this rule: the rows were pasted without their Chain line)` : 'a chain the paste does not show') : chain;
  const first = g.rules[0];
  const kubelet = kubeletRule(first) ?? (g.counted ? KUBELET_RULES.find((k) => k.comment?.test(g.counted!.grep)) : undefined);
  const spec = (first && ruleSpec(first, rs)) ?? (kubelet && chain === kubelet.chain ? kubelet.spec : undefined);
  const shown = spec ? `-A ${chain} ${spec}` : first ? ruleWords(first) : `the rule "${g.counted!.grep}"`;
  const writer = writerOf(g);
  const who = writer ? OWNER_NAMES[writer] ?? writer : 'the component that writes it';
  const family = rs.family === 'ipv6' ? 'ip6tables' : 'iptables';
  const severity = g.count >= CRITICAL_COPIES ? 'critical' : 'warning';

  const evidence: Evidence[] = [];
  const copies = g.rules.length;
  const cite = copies <= 4 ? g.rules : [...g.rules.slice(0, 3), g.rules[copies - 1]];
  for (const r of cite) evidence.push({ file: r.ref.file, line: r.ref.line, excerpt: r.text.trim().slice(0, 300), note: `copy ${g.rules.indexOf(r) + 1} of the ${copies} this dump shows in ${g.table} ${g.chain === FRAGMENT_CHAIN ? 'rows without their Chain line' : g.chain}` });
  // the same rule's copies in the node's other dumps of this back end
  for (const o of g.also ?? []) {
    const n = o.rules.length;
    const oc = n <= 4 ? o.rules : [...o.rules.slice(0, 3), o.rules[n - 1]];
    for (const r of oc) evidence.push({ file: r.ref.file, line: r.ref.line, excerpt: r.text.trim().slice(0, 300), note: `copy ${o.rules.indexOf(r) + 1} of the ${o.count} ${o.rs.file} shows in ${o.table} ${o.chain === FRAGMENT_CHAIN ? 'rows without their Chain line' : o.chain}` });
  }
  if (g.counted) {
    evidence.push({ file: g.counted.command.file, line: g.counted.command.line, excerpt: g.counted.commandText.slice(0, 300), note: 'the rule counted with grep | wc -l' });
    evidence.push({ file: g.counted.ref.file, line: g.counted.ref.line, excerpt: String(g.counted.count), note: `${g.counted.count} rows hold "${g.counted.grep}"` });
  }
  const v = versionOf(g, versions, pkg, legacyWarnings);
  const checkMisses = g.counted !== undefined || (first !== undefined && (first.comment !== undefined || first.matches.some((m) => m.module === 'mark' || m.module === 'connmark') || first.target === 'MARK' || first.target === 'CONNMARK'));
  const cause = causeOf(v, checkMisses);
  evidence.push(...v.evidence);
  const tool = iptablesTool({ ...rs, backend: v.backend }, live);
  // iptables-nft's legacy-tables warning (a pasted listing, a journal): with the -C bug it is a side note (the
  // copies are the problem, not the legacy tables); where iptables' -C works it stays a finding of its own
  const nftBug = cause === 'nft-check-bug' || cause === 'nft-version-unknown' || cause === 'nft-1.8.10-check-bug';
  if (nftBug)
    for (const w of legacyWarnings)
      if (!evidence.some((e) => e.file === w.file && e.line === w.line)) evidence.push({ ...w, note: 'iptables-nft printed this warning: the rules with copies are in nf_tables' });

  const counted = g.counted ? ` (counted with grep | wc -l${copies ? `; the paste shows ${copies}` : ''})` : '';
  const head = `On ${node} the ${family} ${g.table} chain ${chainShown} holds ${g.count} copies of one rule${counted}: ${shown}.`;
  const bug182 = `iptables-nft 1.8.0 to 1.8.2 cannot find a rule that has a comment or mark match with -C (kubernetes#82361, fixed in iptables 1.8.3), so ${who}, which checks with -C before it appends, adds another copy at every sync`;
  const bug1810 = `iptables-nft 1.8.10's -C fails to find rules it holds (cloudnativelabs/kube-router#1676, fixed in 1.8.11), so ${who}, which checks with -C before it appends, adds another copy at every sync`;
  const why: Record<Cause, string> = {
    'nft-check-bug': `The rules were written with iptables ${v.label}: ${bug182}.`,
    'nft-1.8.10-check-bug': `The rules were written with iptables ${v.label}: ${bug1810}.`,
    'nft-version-unknown': `The rules are in the nf_tables back end and the bundle does not say the iptables version: ${bug182}; iptables -V tells (1.8.3 or later: ${who} appends it without checking).`,
    'no-check': `iptables here is ${v.label}, which has no -C (iptables added it in 1.4.11): ${who} checks for the rule through its fallback, a search of iptables-save's output, and that check does not find the rule this iptables prints back (kubernetes PR #2638; ${writer === 'kubelet' ? 'kubernetes#37416: 1.4.7 prints the mark 0x4000 as 0x00004000, fixed in kubelet 1.5.1 by PR #37594' : writer === 'kube-proxy' ? "kubernetes#14870 for kube-proxy's userspace portals, PR #12839" : 'kubernetes#14870, #37416'}), so it appends another copy at every sync.`,
    writer: `${v.label ? `iptables here is ${v.label}, whose -C finds such rules: ` : v.backend === 'legacy' ? "iptables here is legacy, whose -C finds such rules: " : ''}${who} appends this rule without checking first, or checks with a rule that differs from the one it wrote (an iptables of another version inside its container).${writer === 'docker' ? ' Docker 1.7 re-added its jump rules at every daemon restart (moby/moby#13956): one more copy per restart; a current Docker checks first.' : ''}`,
    unknown: `Either the host's iptables is iptables-nft 1.8.0 to 1.8.2 (its -C cannot find a rule with a comment or mark match, kubernetes#82361), or one older than 1.4.11, which has no -C (${who}'s fallback check through iptables-save then fails to find the rule: kubernetes#14870, #37416), or ${who} appends it without checking: iptables -V tells which.`,
  };
  const message = `${head} ${why[cause]}`;

  const commands: string[] = [];
  const upgrade = `${family} -V; dpkg -l iptables 2>/dev/null || rpm -q iptables-nft iptables   # 1.8.0-1.8.2 (nf_tables): upgrade to 1.8.3 or later (Debian 10: apt-get install -t buster-backports iptables)`;
  if (cause === 'nft-check-bug' || cause === 'nft-version-unknown' || cause === 'unknown') commands.push(upgrade);
  if (cause === 'no-check') commands.push(`${family}-save | sed 's/[[:space:]]*$//' | sort | uniq -c | sort -rn | head   # every rule with copies, not only this one`);
  if (cause === 'nft-1.8.10-check-bug') commands.push(`${family} -V   # 1.8.10 (nf_tables): upgrade to 1.8.11 or later, in the component's image too (kube-router, k3s's bundled iptables)`);
  if (spec) commands.push(`${removalLoop(tool, g.table, chain, spec, v.backend !== 'nf_tables')}   # deletes copies until one is left; pasted again it does nothing`);
  else if (chain !== FRAGMENT_CHAIN) commands.push(`${tool} ${g.table === 'filter' ? '' : `-t ${g.table} `}-S ${chain} | sort | uniq -c | sort -rn | head   # the rule's exact spec and its copies: delete the extra copies by that spec until one is left`);
  else commands.push(`${tool} ${g.table === 'filter' ? '' : `-t ${g.table} `}-S | sort | uniq -c | sort -rn | head   # which chain holds the copies, with the rule's exact spec`);

  const summary =
    cause === 'nft-check-bug' || cause === 'nft-version-unknown' || cause === 'unknown'
      ? `First stop the appends: iptables 1.8.3 or later on the host (or, where the host and every component agree to run legacy, update-alternatives --set iptables /usr/sbin/iptables-legacy and the same for ip6tables). Then delete the copies down to one${writer === 'kubelet' ? ' (kubelet keeps the one left)' : ''}.`
      : cause === 'nft-1.8.10-check-bug'
        ? `First stop the appends: iptables 1.8.11 or later (or 1.8.9) where ${who} runs it. Then delete the copies down to one.`
        : cause === 'no-check'
          ? `First stop the appends: upgrade ${who} to a release whose fallback check matches this iptables${writer === 'kubelet' ? ' (kubelet 1.5.1 or later, kubernetes PR #37594)' : ''}, or the host to an iptables with -C (1.4.11 or later: a newer OS release). Then delete the copies down to one.`
        : `Find why ${who} appends the rule again (its version, its logs; an upgrade), then delete the copies down to one.`;
  return {
    severity,
    title: 'iptables rule duplicated many times',
    message,
    impact: `Every packet that reaches ${chain} walks all ${g.count} copies, and every iptables-save / iptables-restore (kube-proxy's sync) reads and writes them: the count grows with every sync, CPU (ksoftirqd) and rule updates slow down until the node degrades.`,
    evidence,
    facts: {
      table: g.table,
      chain,
      copies: g.count,
      ...(copies !== g.count ? { copiesShown: copies } : {}),
      rule: shown,
      family: rs.family,
      backend: v.backend,
      ...(v.version ? { iptablesVersion: v.version } : {}),
      cause,
      ...(writer ? { writer } : {}),
      // the legacy-tables warning lines this finding does not explain (the correlation leaves them their own finding)
      ...(!nftBug && legacyWarnings.length ? { logSymptomMismatch: legacyWarnings.map((w) => `${w.file}:${w.line}`) } : {}),
    },
    remedy: {
      summary,
      commands,
      caution:
        'Delete the extra copies only after the appends have stopped, or they come back. With iptables-nft 1.8.0-1.8.2 still in place, -D by spec fails as -C does (the loop then stops at once, deleting nothing). Switching the host to legacy leaves the copies in nf_tables until they are deleted with iptables-nft or the node reboots; restart kubelet, kube-proxy, Docker and the CNI pods so they write their rules to the back end the host now uses.',
    },
  };
}

/** kubelet's and kube-proxy's logs, by the unit or pod their layout names, else the file's name. */
function kubernetesLog(artifacts: NodeArtifacts): Evidence | undefined {
  for (const l of artifacts.logs ?? []) {
    const src = l.source;
    const who = src?.unit ?? src?.container ?? src?.pod ?? l.file.split('/').at(-1) ?? '';
    const m = /\b(kubelet|kube-proxy)\b/.exec(who);
    if (m) return { file: l.file, line: 0, excerpt: `${l.lines} lines of ${m[1]}'s log`, note: `${m[1]}'s log is in the bundle: a Kubernetes node` };
  }
  return undefined;
}

/**
 * iptables.check-unsupported: iptables before 1.4.11 (no -C) on a Kubernetes node, no copies visible (a paste
 * that elides them, a dump without the chains): kubelet and kube-proxy check their rules through the
 * iptables-save fallback, which has failed on such hosts and appended every rule at every sync
 * (kubernetes#37416: 67,951 lines on iptables 1.4.7, kubelet 1.3.9; #14870). Warned, with the count.
 */
function noCheckOnKubernetes(node: string, artifacts: NodeArtifacts, live: Ruleset[], versions: IptablesVersion[]): FindingDraft[] {
  const headed = live.find((rs) => lacksCheck(rs.version));
  const shown = versions.find((v) => !/-nft/.test(v.tool) && lacksCheck(v.version));
  if (!headed && !shown) return [];
  const sign = hasKubernetes(artifacts) ?? kubernetesLog(artifacts);
  if (!sign) return [];
  const version = (shown?.version ?? headed!.version)!;
  const at: Evidence = shown
    ? { file: shown.ref.file, line: shown.ref.line, excerpt: shown.excerpt, note: 'iptables on the host: no -C before 1.4.11' }
    : headed!.versionRef
      ? { file: headed!.versionRef.ref.file, line: headed!.versionRef.ref.line, excerpt: headed!.versionRef.excerpt, note: "the dump's header: iptables without -C (before 1.4.11)" }
      : { file: headed!.file, line: headed!.tables[Object.keys(headed!.tables)[0]]?.ref.line ?? 1, excerpt: `iptables-save v${version}`, note: "the dump's header: iptables without -C (before 1.4.11)" };
  const family = 'iptables';
  return [
    {
      id: 'iptables.check-unsupported',
      severity: 'warning',
      title: 'iptables without -C on a Kubernetes node',
      message:
        `${node} runs iptables ${version}, which has no -C (iptables added it in 1.4.11), and is a Kubernetes node. kubelet and kube-proxy then check for each rule they keep by searching iptables-save's output (kubernetes PR #2638); ` +
        `where this iptables prints a rule otherwise than they wrote it (1.4.7 prints the mark 0x4000 as 0x00004000), the check never finds it and the rule is appended again at every sync: kubernetes#37416 (kubelet 1.3.9 on iptables 1.4.7, fixed in kubelet 1.5.1 by PR #37594), kubernetes#14870 (kube-proxy's userspace portals). The bundle shows no copies; count them on the node.`,
      impact: 'Where the check fails, every kubelet and kube-proxy rule grows by a copy per sync (several a second): every packet walks them and every iptables call slows down until the node degrades.',
      evidence: [at, sign],
      facts: { iptablesVersion: version },
      related: ['iptables.rule-duplicated'],
      remedy: {
        summary:
          'Count the rules with copies. If there are some, stop the appends first (kubelet 1.5.1 or later, whose fallback check matches 1.4.7, or an iptables with -C: 1.4.11 or later, a newer OS release), then delete the copies down to one; iptables.rule-duplicated gives the loop once a dump with the copies is in the bundle.',
        commands: [`${family}-save | sed 's/[[:space:]]*$//' | sort | uniq -c | sort -rn | head   # rules with copies: a count above 1 on a -A line`, `${family} -V`],
      },
    },
  ];
}

/** A listing row's rule in words (target, addresses, matches), for the message. */
function ruleWords(r: Rule): string {
  const parts = [r.target ? `-j ${r.target}` : 'no target'];
  if (r.protocol) parts.push(`-p ${r.protocol.negated ? '! ' : ''}${r.protocol.value}`);
  if (r.source) parts.push(`-s ${r.source.negated ? '! ' : ''}${r.source.value}`);
  if (r.destination) parts.push(`-d ${r.destination.negated ? '! ' : ''}${r.destination.value}`);
  for (const m of r.matches) parts.push(matchText(m));
  if (r.comment) parts.push(`/* ${r.comment} */`);
  return parts.join(' ');
}
