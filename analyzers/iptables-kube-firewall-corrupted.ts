/**
 * iptables.kube-firewall-corrupted: the KUBE-FIREWALL "dropping marked packets" DROP rule has
 * lost its mark match, so it drops ALL traffic in INPUT/OUTPUT. A component with iptables 1.8.7
 * saved and restored rules written by the host's 1.8.8 (seed 003, kubernetes#112477).
 */
import { defineAnalyzer } from '../src/engine/analyzer.js';
import type { Evidence } from '../src/report/schema.js';
import { hasMatch, type Rule } from '../src/netfilter/rules.js';
import { logEvidence } from './lib/logs.js';

export default defineAnalyzer({
  id: 'iptables.kube-firewall-corrupted',
  title: 'KUBE-FIREWALL drops all traffic (mark match lost)',
  description: 'The "kubernetes firewall for dropping marked packets" rule has no mark match: it drops every packet.',
  scope: 'node',
  requires: ['iptables'],
  optional: ['iptablesVersion', 'logs'],
  analyze({ node, artifacts }) {
    const bad = (artifacts.iptables ?? [])
      .filter((rs) => rs.origin === 'live')
      .flatMap((rs) => rs.tables.filter?.chains['KUBE-FIREWALL']?.rules ?? [])
      .filter((r) => r.target === 'DROP' && !hasMatch(r, 'mark') && (/dropping marked packets/.test(r.comment ?? r.text) || unconditionalWithoutComment(r)));
    if (bad.length === 0) return [];
    const versions = (artifacts.iptablesVersion ?? []).flat();
    const evidence: Evidence[] = bad.map((r) => ({
      file: r.ref.file,
      line: r.ref.line,
      excerpt: r.text,
      note: /dropping marked packets/.test(r.comment ?? r.text) ? 'DROP without "-m mark --mark 0x8000/0x8000": matches every packet' : 'an unconditional DROP in KUBE-FIREWALL (nft does not print its comment): matches every packet',
    }));
    for (const v of versions) evidence.push({ file: v.ref.file, line: v.ref.line, excerpt: v.excerpt, note: 'iptables on the host' });
    evidence.push(...logEvidence(artifacts.logs, ['log.iptables-restore-failed', 'log.iptables-couldnt-load-match', 'log.iptables-unknown-option', 'log.iptables-bad-argument']));
    return [
      {
        severity: 'critical',
        title: 'KUBE-FIREWALL drops all traffic (mark match lost)',
        message: `On ${node} the KUBE-FIREWALL rule "kubernetes firewall for dropping marked packets" has no mark match, so it drops every packet that reaches it: the node is unreachable and cannot even ping localhost. An older iptables (1.8.7, e.g. inside kube-router or kube-proxy) re-saved rules written by a newer host iptables (1.8.8+) and lost the match.`,
        impact: 'All INPUT/OUTPUT traffic of the node is dropped.',
        evidence,
        facts: { rules: bad.map((r) => `${r.ref.file}:${r.ref.line}`), hostIptables: versions.map((v) => `${v.version} (${v.backend})`) },
        remedy: {
          summary: 'Remove the broken rule (kubelet re-adds the correct one), then make every component use the same iptables version and back end as the host.',
          commands: [
            `iptables -D KUBE-FIREWALL -m comment --comment "kubernetes firewall for dropping marked packets" -j DROP`,
            'systemctl restart kubelet',
            'iptables -V   # on the host, and inside kube-proxy / the CNI pods: versions and back ends must match',
          ],
          caution: 'Until the rule is removed the node drops all traffic: run these from the console. Kubelet with --feature-gates=IPTablesOwnershipCleanup=true no longer writes this rule.',
        },
      },
    ];
  },
});

/**
 * nft prints iptables-nft's comment match as nothing at all, so in an nft listing the broken rule is
 * a bare `counter ... drop` in KUBE-FIREWALL: a DROP with no match and no comment text, which
 * kubelet never writes there (both of its rules have matches) and which drops every packet.
 */
function unconditionalWithoutComment(r: Rule): boolean {
  return r.comment === undefined && !r.protocol && !r.source && !r.destination && !r.inInterface && !r.outInterface && r.matches.every((m) => m.module === 'comment' && m.options.length === 0);
}

