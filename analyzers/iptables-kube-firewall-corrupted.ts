/**
 * iptables.kube-firewall-corrupted: the KUBE-FIREWALL "dropping marked packets" DROP rule has
 * lost its mark match, so it drops ALL traffic in INPUT/OUTPUT. A component with iptables 1.8.7
 * saved and restored rules written by the host's 1.8.8 (seed 003, kubernetes#112477).
 */
import { defineAnalyzer } from '../src/engine/analyzer.js';
import type { Evidence } from '../src/report/schema.js';
import { hasMatch, type Rule, type Ruleset } from '../src/netfilter/rules.js';
import { iptablesTool, ruleSpec } from '../src/netfilter/commands.js';
import { logEvidence } from './lib/logs.js';
import { NODE_SERVICE_KINDS, nodeServices } from './lib/node-services.js';
import { installedPackage, packageEvidence, packageLabel } from './lib/package-versions.js';

/** The packages of the host's iptables: RHEL 9 / Fedora's iptables-nft (or iptables-legacy), Debian's, Ubuntu's and RHEL 7/8's iptables. */
const IPTABLES_PACKAGES = ['iptables-nft', 'iptables-legacy', 'iptables'] as const;

export default defineAnalyzer({
  id: 'iptables.kube-firewall-corrupted',
  title: 'KUBE-FIREWALL drops all traffic (mark match lost)',
  description: 'The "kubernetes firewall for dropping marked packets" rule has no mark match: it drops every packet.',
  scope: 'node',
  requires: ['iptables'],
  optional: [...new Set(['iptablesVersion', 'logs', ...NODE_SERVICE_KINDS, 'packages'] as const)],
  analyze({ node, artifacts }) {
    const live = (artifacts.iptables ?? []).filter((rs) => rs.origin === 'live');
    const found = live
      .flatMap((rs) => (rs.tables.filter?.chains['KUBE-FIREWALL']?.rules ?? []).map((rule) => ({ rule, rs })))
      .filter(({ rule: r }) => r.target === 'DROP' && !hasMatch(r, 'mark') && (/dropping marked packets/.test(r.comment ?? r.text) || unconditionalWithoutComment(r)));
    const bad = found.map((f) => f.rule);
    if (bad.length === 0) return [];
    const v6 = found.some((f) => f.rs.family === 'ipv6');
    const v4 = found.some((f) => f.rs.family !== 'ipv6');
    // the rule drops the packets of its own family only: an ip6tables rule leaves IPv4 working
    const reach = v4 && v6
      ? 'the node is unreachable over IPv4 and IPv6 and cannot even ping localhost (127.0.0.1 nor ::1)'
      : v6
        ? 'the node is unreachable over IPv6 and cannot even ping ::1 (the rule is in ip6tables: IPv4, ping 127.0.0.1, still works)'
        : 'the node is unreachable and cannot even ping localhost';
    const family = v4 && v6 ? 'IPv4 and IPv6' : v6 ? 'IPv6' : undefined;
    const deletes = [...new Set(found.map(({ rule, rs }) => deleteCommand(rule, rs, live)))];
    const tools = [...new Set(found.map(({ rs }) => iptablesTool(rs, live)))];
    const versions = (artifacts.iptablesVersion ?? []).flat();
    // the kubelet re-adds the rule when it restarts: kubelet.service, or the service it runs inside (k3s, rke2, k0s, kubelite)
    const services = nodeServices(artifacts);
    const evidence: Evidence[] = bad.map((r) => ({
      file: r.ref.file,
      line: r.ref.line,
      excerpt: r.text,
      note: /dropping marked packets/.test(r.comment ?? r.text) ? 'DROP without "-m mark --mark 0x8000/0x8000": matches every packet' : 'an unconditional DROP in KUBE-FIREWALL (nft does not print its comment): matches every packet',
    }));
    for (const v of versions) evidence.push({ file: v.ref.file, line: v.ref.line, excerpt: v.excerpt, note: 'iptables on the host' });
    // the host's iptables package: its version where iptables -V is missing, beside it where it is not
    const pkg = installedPackage(artifacts, IPTABLES_PACKAGES);
    if (pkg)
      evidence.push(
        packageEvidence(pkg, `the host's iptables package (${packageLabel(pkg)})${versions.length === 0 ? ': the bundle has no iptables -V, so this is the host\'s iptables version' : ''}`),
      );
    const hostVersion = versions[0] ? `${versions[0].version} (${versions[0].tool} -V, ${versions[0].backend})` : pkg ? `${pkg.upstream} (installed package ${packageLabel(pkg)})` : undefined;
    evidence.push(...logEvidence(artifacts.logs, ['log.iptables-restore-failed', 'log.iptables-couldnt-load-match', 'log.iptables-unknown-option', 'log.iptables-bad-argument']));
    return [
      {
        severity: 'critical',
        title: 'KUBE-FIREWALL drops all traffic (mark match lost)',
        message: `On ${node} the ${v6 && !v4 ? 'ip6tables ' : ''}KUBE-FIREWALL rule "kubernetes firewall for dropping marked packets" has no mark match, so it drops every ${family ? `${family} ` : ''}packet that reaches it: ${reach}. An older iptables (1.8.7, e.g. inside kube-router or kube-proxy) re-saved rules written by a newer host iptables (1.8.8+) and lost the match.${hostVersion ? ` The host's iptables here is ${hostVersion}: compare it with the iptables inside kube-proxy and the CNI pods.` : ''}`,
        impact: family ? `All ${family} INPUT/OUTPUT traffic of the node is dropped.` : 'All INPUT/OUTPUT traffic of the node is dropped.',
        evidence,
        facts: { rules: bad.map((r) => `${r.ref.file}:${r.ref.line}`), hostIptables: versions.map((v) => `${v.version} (${v.backend})`), ...(pkg ? { hostIptablesPackage: packageLabel(pkg) } : {}) },
        remedy: {
          summary: `Remove the broken rule (${services.distro && services.distro.unit !== 'kubelet' ? `the kubelet inside ${services.distro.unit} re-adds the correct one when it restarts` : 'kubelet re-adds the correct one'}), then make every component use the same iptables version and back end as the host.`,
          commands: [
            ...deletes,
            ...services.restartKubelet,
            `${tools.map((t) => `${t} -V`).join('; ')}   # on the host, and inside kube-proxy / the CNI pods: versions and back ends must match`,
          ],
          caution: `Until the rule is removed the node drops all ${family ? `${family} ` : ''}traffic: run these from the console. Kubelet with --feature-gates=IPTablesOwnershipCleanup=true no longer writes this rule.`,
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

/**
 * The delete of a broken rule: as the dump writes it (iptables-save, -S), else kubelet's rule
 * without its mark match, which is what the listing shows; the tool of the rule's family.
 */
function deleteCommand(rule: Rule, rs: Ruleset, live: Ruleset[]): string {
  const spec = ruleSpec(rule, rs) ?? '-m comment --comment "kubernetes firewall for dropping marked packets" -j DROP';
  return `${iptablesTool(rs, live)} -D KUBE-FIREWALL ${spec}`;
}
