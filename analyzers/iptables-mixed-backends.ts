/**
 * iptables.mixed-backends: rules live in both the legacy (x_tables) and the nf_tables back end,
 * so each component sees only half of them (seed 003; microk8s#2180; k3s#3117).
 */
import { defineAnalyzer } from '../src/engine/analyzer.js';
import type { Evidence } from '../src/report/schema.js';
import { ruleCount } from '../src/netfilter/rules.js';
import { logEvidence } from './lib/logs.js';

export default defineAnalyzer({
  id: 'iptables.mixed-backends',
  title: 'iptables rules in both legacy and nf_tables',
  description: 'The legacy-tables warning, rules in both back ends, or iptables -V back ends that differ.',
  scope: 'node',
  requires: ['iptables'],
  optional: ['iptablesVersion', 'logs', 'nftables'],
  analyze({ node, artifacts }) {
    const evidence: Evidence[] = [];
    const live = (artifacts.iptables ?? []).filter((r) => r.origin === 'live');
    for (const rs of live)
      if (rs.legacyTablesPresent)
        evidence.push({ file: rs.legacyTablesPresent.file, line: rs.legacyTablesPresent.line, excerpt: '# Warning: iptables-legacy tables present', note: 'the nf_tables view says legacy tables hold rules too' });
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
    if (vb.size === 1 && backends.size === 1 && !backends.has([...vb][0])) {
      const v = versions[0];
      evidence.push({ file: v.ref.file, line: v.ref.line, excerpt: v.excerpt, note: `iptables -V says ${v.backend}` });
      const [[b, file]] = [...backends];
      evidence.push({ file, line: 1, excerpt: `rules written with the ${b} back end`, note: 'but the live rules are in the other back end' });
    }
    if (evidence.length === 0) return [];
    evidence.push(...logEvidence(artifacts.logs, ['log.iptables-legacy-tables-present', 'log.nf-tables-chain-missing', 'log.nf-tables-incompatible', 'log.iptables-table-unavailable', 'log.iptables-restore-failed'], 4));
    return [
      {
        severity: 'critical',
        title: 'iptables rules in both legacy and nf_tables',
        message: `${node} has iptables rules in both back ends (x_tables "legacy" and nf_tables). Each tool sees only the rules of its own back end, so Docker, kube-proxy and the CNI plugin each miss the others' rules, and both sets apply to traffic.`,
        impact: 'Rules believed removed still apply, rules believed present are not seen; services and pod traffic break unpredictably.',
        evidence,
        remedy: {
          summary:
            'Pick one back end (the host distribution default, usually nf_tables) and make every component use it; once each has written its rules there, empty the other back end: every table, policies to ACCEPT first, then flush and delete its chains. Flushing alone leaves a FORWARD policy DROP behind, which then drops all forwarded traffic.',
          commands: [
            'update-alternatives --display iptables; iptables-legacy-save | grep -c "^-A"; iptables-nft-save | grep -c "^-A"   # which back end holds what',
            'update-alternatives --set iptables /usr/sbin/iptables-nft; update-alternatives --set ip6tables /usr/sbin/ip6tables-nft   # Debian/Ubuntu: the host tools on nf_tables',
            'systemctl restart docker kubelet   # each writes its rules again, now in nf_tables (kube-proxy and CNI pods pick their back end themselves: restart them too)',
            "iptables-nft-save | grep -E -- '-A (DOCKER|KUBE-)' | head   # check the rules are in nf_tables before emptying legacy",
            'iptables-legacy-save > /root/iptables-legacy.rules; ip6tables-legacy-save > /root/ip6tables-legacy.rules   # a copy: iptables-legacy-restore < /root/iptables-legacy.rules puts it back',
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
