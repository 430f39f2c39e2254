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
          summary: 'Pick one back end (the host distribution default, usually nf_tables), make every component use it, and flush the other.',
          commands: ['update-alternatives --display iptables', 'iptables-legacy-save | head; iptables-nft-save | head   # see which holds what', 'iptables-legacy -F; iptables-legacy -t nat -F; iptables-legacy -t mangle -F   # after every component uses nf_tables', 'systemctl restart kubelet docker'],
          caution: 'Flushing a back end removes rules components still rely on until they re-create them; restarting docker restarts every container.',
        },
      },
    ];
  },
});
