/**
 * iptables.mixed-backends: rules live in both the legacy (x_tables) and the nf_tables back end,
 * so each component sees only half of them (microk8s#2180; k3s#3117).
 */
import { defineAnalyzer } from '../src/engine/analyzer.js';
import type { Evidence } from '../src/report/schema.js';
import { ruleCount, type Chain, type Ruleset } from '../src/netfilter/rules.js';
import { logEvidence } from './lib/logs.js';
import { policyConflict } from '../src/netfilter/backends.js';
import { FRAGMENT_NOTE } from '../src/netfilter/list-format.js';
import { DOCKER_RESTART_KINDS, dockerRestartOf, restartDocker } from './lib/node-services.js';

export default defineAnalyzer({
  id: 'iptables.mixed-backends',
  title: 'iptables rules in both legacy and nf_tables',
  description: 'The legacy-tables warning, rules in both back ends, or iptables -V back ends that differ.',
  scope: 'node',
  requires: ['iptables'],
  optional: ['iptablesVersion', 'logs', 'nftables', ...DOCKER_RESTART_KINDS],
  analyze({ node, artifacts }) {
    const evidence: Evidence[] = [];
    const live = (artifacts.iptables ?? []).filter((r) => r.origin === 'live');
    // the warning pasted above a grep of a listing (`iptables -t raw -nvL | grep 2181`): legacy tables exist, but
    // whether they hold rules anything relies on a few grepped rows cannot tell; alone it makes no finding
    const fragmentWarnings: Evidence[] = [];
    for (const rs of live)
      if (rs.legacyTablesPresent)
        (rs.truncated?.note === FRAGMENT_NOTE ? fragmentWarnings : evidence).push({ file: rs.legacyTablesPresent.file, line: rs.legacyTablesPresent.line, excerpt: '# Warning: iptables-legacy tables present', note: 'the nf_tables view says legacy tables hold rules too' });
    for (const n of artifacts.nftables ?? [])
      if (n.legacyTablesPresent)
        evidence.push({ file: n.legacyTablesPresent.file, line: n.legacyTablesPresent.line, excerpt: '# Warning: iptables-legacy tables present', note: 'nft lists the nf_tables rules and warns of legacy ones' });
    const withRules = live.filter((rs) => ruleCount(rs) > 0);
    const backends = new Map<string, string>();
    for (const rs of withRules) if (rs.backend !== 'unknown' && !backends.has(rs.backend)) backends.set(rs.backend, rs.file);
    if (backends.size > 1)
      for (const [b, file] of backends) evidence.push({ file, line: 1, excerpt: `${ruleCount(withRules.find((r) => r.file === file)!)} rules in the ${b} back end`, note: 'rules exist in this back end' });
    const versions = (artifacts.iptablesVersion ?? []).flat().filter((v) => v.backend !== 'unknown');
    const vb = new Set(versions.map((v) => v.backend));
    if (vb.size > 1) for (const v of versions) evidence.push({ file: v.ref.file, line: v.ref.line, excerpt: v.excerpt, note: `${v.tool} uses ${v.backend}` });
    // the binary on the host says one back end, the dumps were written by the other
    // the same built-in chain with two policies in one snapshot: two back ends' tables (one file's
    // back end known from its header, command line or name, the other's not, or known otherwise)
    for (const c of policyConflicts(live)) {
      const name = (rs: Ruleset) => (rs.backend === 'unknown' ? 'not named' : rs.backend);
      evidence.push({ file: c.a.ref.file, line: c.a.ref.line, excerpt: policyLine(c.ra, c.a), note: `${c.table} ${c.chain} policy ${c.a.policy} (back end ${name(c.ra)})` });
      evidence.push({
        file: c.b.ref.file,
        line: c.b.ref.line,
        excerpt: policyLine(c.rb, c.b),
        note: `the same chain with policy ${c.b.policy} (back end ${name(c.rb)}): one back end has one policy per chain, so these are the tables of two back ends${ruleCount(c.ra) + ruleCount(c.rb) === 0 ? ' (neither listing shows rules: a listing with iptables-legacy creates the legacy tables too, so check which back end holds the rules with iptables-legacy-save and iptables-nft-save)' : ''}`,
      });
    }
    if (vb.size === 1 && backends.size === 1 && !backends.has([...vb][0])) {
      const v = versions[0];
      evidence.push({ file: v.ref.file, line: v.ref.line, excerpt: v.excerpt, note: `iptables -V says ${v.backend}` });
      const [[b, file]] = [...backends];
      evidence.push({ file, line: 1, excerpt: `rules written with the ${b} back end`, note: 'but the live rules are in the other back end' });
    }
    if (evidence.length === 0) return [];
    evidence.push(...fragmentWarnings);
    evidence.push(...logEvidence(artifacts.logs, ['log.iptables-legacy-tables-present', 'log.nf-tables-chain-missing', 'log.nf-tables-incompatible', 'log.iptables-table-unavailable', 'log.iptables-restore-failed'], 4));
    const rewrite = 'each writes its rules again, now in nf_tables (kube-proxy and CNI pods pick their back end themselves: restart them too)';
    // dockerd under docker.service: one command for both, as ever; rootless, the snap or another unit: its own line
    const dockerRestart = dockerRestartOf(artifacts);
    const restart = dockerRestart.how === 'docker.service' ? [`systemctl restart docker kubelet   # ${rewrite}`] : [...restartDocker({ dockerRestart }, rewrite), `systemctl restart kubelet   # ${rewrite}`];
    return [
      {
        severity: 'critical',
        title: 'iptables rules in both legacy and nf_tables',
        message: `${node} has iptables rules in both back ends (x_tables "legacy" and nf_tables). Each tool sees only the rules of its own back end, so Docker, kube-proxy and the CNI plugin each miss the others' rules, and both sets apply to traffic.`,
        impact: 'Rules believed removed still apply, rules believed present are not seen; services and pod traffic break unpredictably.',
        evidence,
        remedy: {
          summary:
            'Pick one back end (the host distribution default, usually nf_tables) and make every component use it; once each has written its rules there, empty the other back end: every table, policies to ACCEPT first, then flush and delete its chains. Flushing alone leaves a FORWARD policy DROP behind, which then drops all forwarded traffic. A component that can only write legacy (an old release that bundles its own iptables-legacy) needs the other way round: the host tools on legacy (update-alternatives --set iptables /usr/sbin/iptables-legacy), and nf_tables emptied the same way.',
          commands: [
            'update-alternatives --display iptables; iptables-legacy-save | grep -c "^-A"; iptables-nft-save | grep -c "^-A"   # which back end holds what',
            'update-alternatives --set iptables /usr/sbin/iptables-nft; update-alternatives --set ip6tables /usr/sbin/ip6tables-nft   # Debian/Ubuntu: the host tools on nf_tables',
            ...restart,
            'iptables-nft -t nat -S DOCKER | head -n 3; iptables-nft -t nat -S KUBE-SERVICES | head -n 3   # check each writer has moved before emptying legacy: Docker\'s chain, and kube-proxy\'s where it runs ("No chain" = not yet in nf_tables); Docker\'s rules alone do not show kube-proxy has moved',
            '[ -e /root/iptables-legacy.rules ] || iptables-legacy-save > /root/iptables-legacy.rules; [ -e /root/ip6tables-legacy.rules ] || ip6tables-legacy-save > /root/ip6tables-legacy.rules   # a copy, kept from the first run: iptables-legacy-restore < /root/iptables-legacy.rules puts it back',
            "for t in $(cat /proc/net/ip_tables_names); do for c in $(iptables-legacy -t $t -S | awk '$1 == \"-P\" {print $2}'); do iptables-legacy -t $t -P $c ACCEPT; done; done   # policies first",
            'for t in $(cat /proc/net/ip_tables_names); do iptables-legacy -t $t -F; iptables-legacy -t $t -X; done',
            "for t in $(cat /proc/net/ip6_tables_names); do for c in $(ip6tables-legacy -t $t -S | awk '$1 == \"-P\" {print $2}'); do ip6tables-legacy -t $t -P $c ACCEPT; done; ip6tables-legacy -t $t -F; ip6tables-legacy -t $t -X; done",
          ],
          caution:
            "Empty the legacy tables only after the components that wrote them (Docker, kube-proxy, the CNI plugin) have written their rules into nf_tables: until then their MASQUERADE and FORWARD accepts are only in legacy, and removing them cuts container traffic. Set the policies to ACCEPT before flushing: between a flush and the policy reset, a legacy FORWARD policy DROP drops every forwarded packet. The empty legacy tables stay registered (they accept everything) until the iptable_* modules are unloaded or the host reboots. Restarting docker restarts every container.",
        },
      },
    ];
  },
});

/**
 * Pairs of live rule files of one family whose back ends differ (at least one of them known: two
 * files of unnamed back end with different policies may be a listing before and after a change)
 * and that give one built-in chain two policies (backends.ts policyConflict): proof that they are
 * two back ends' tables. Two listings of one back end (sos's `iptables -vnxL` and `iptables -t
 * filter -nvL`) agree and raise nothing. The file of known back end first.
 */
function policyConflicts(live: Ruleset[]): { table: string; chain: string; ra: Ruleset; rb: Ruleset; a: Chain; b: Chain }[] {
  const out: { table: string; chain: string; ra: Ruleset; rb: Ruleset; a: Chain; b: Chain }[] = [];
  for (let i = 0; i < live.length; i++)
    for (let j = i + 1; j < live.length; j++) {
      const [ra, rb] = knownFirst(live[i], live[j]);
      if (ra.backend === rb.backend) continue;
      const c = policyConflict(ra, rb);
      if (c) out.push({ ...c, ra, rb });
    }
  return out;
}

function knownFirst(x: Ruleset, y: Ruleset): [Ruleset, Ruleset] {
  return x.backend === 'unknown' ? [y, x] : [x, y];
}

/** The chain's policy as its file's format prints it (the quoted line then matches it). */
function policyLine(rs: Ruleset, c: Chain): string {
  if (rs.format === 'list') return `Chain ${c.name} (policy ${c.policy}${c.policyCounters ? '…' : ''})`;
  if (rs.format === 'save') return `:${c.name} ${c.policy}`;
  if (rs.format === 'spec') return `-P ${c.name} ${c.policy}`;
  return `${c.name} policy ${c.policy}`;
}
