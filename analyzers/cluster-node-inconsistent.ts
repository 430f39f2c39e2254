/**
 * cluster.node-inconsistent: settings that must be the same on every node differ (ip_forward,
 * bridge netfilter, iptables back end, FORWARD policy, flannel MTU). One finding for all of them,
 * a line per setting, the odd node named.
 *
 * A sysctl difference whose odd node has its own finding (sysctl.ip-forward-disabled,
 * sysctl.bridge-nf-call-disabled on the node with 0) is that finding's: repeating it here gave the
 * reader the same diagnosis twice with a fix that pointed back at it. The other settings have no
 * per-node finding, so the fix says what to run, and for the FORWARD policy that the bundle cannot
 * tell which side is wrong.
 */
import { defineAnalyzer, type FindingDraft } from '../src/engine/analyzer.js';
import { FACT_PROVIDERS, type FactProvider } from '../src/engine/facts.js';
import type { NodeArtifacts } from '../src/engine/artifacts.js';
import type { Evidence } from '../src/report/schema.js';
import ipForwardDisabled from './sysctl-ip-forward-disabled.js';
import bridgeNfCallDisabled from './sysctl-bridge-nf-call-disabled.js';

/** sysctl settings a node analyzer diagnoses on its own node when they are 0 there */
const OWN_FINDING: Record<string, { analyzer: typeof ipForwardDisabled; key: string }> = {
  ip_forward: { analyzer: ipForwardDisabled, key: 'net.ipv4.ip_forward' },
  'bridge-nf-call-iptables': { analyzer: bridgeNfCallDisabled, key: 'net.bridge.bridge-nf-call-iptables' },
};

interface Difference {
  label: string;
  /** value -> nodes, the most common first */
  groups: [string, string[]][];
  values: { node: string; value: string; ref?: { file: string; line: number } }[];
}

export default defineAnalyzer({
  id: 'cluster.node-inconsistent',
  title: 'Nodes differ where they should not',
  description: 'Settings that must match across nodes differ between them.',
  scope: 'cluster',
  minNodes: 2,
  requires: [],
  // what the sysctl analyzers read: they decide whether the odd node already has its own finding
  optional: [...new Set(['sysctl', 'iptables', 'iptablesVersion', 'flannelSubnetEnv', ...(ipForwardDisabled.optional ?? []), ...(bridgeNfCallDisabled.optional ?? [])] as const)],
  analyze({ nodes, options }) {
    const diffs: Difference[] = [];
    const folded: string[] = [];
    for (const p of FACT_PROVIDERS.filter((x) => x.shouldMatch)) {
      const d = difference(p, nodes);
      if (!d) continue;
      if (hasOwnFindings(d, nodes, options)) {
        folded.push(OWN_FINDING[d.label].analyzer.id);
        continue;
      }
      diffs.push(d);
    }
    if (diffs.length === 0) return [];
    const involved = [...new Set(diffs.flatMap((d) => d.values.map((v) => v.node)))];
    const evidence: Evidence[] = diffs.flatMap((d) =>
      d.values.map((v) => ({
        file: v.ref?.file ?? '(not located)',
        line: v.ref?.line ?? 0,
        excerpt: `${d.label} = ${v.value}`,
        node: v.node,
        note: d.groups.length === 2 && d.groups[0][1].length > d.groups[1][1].length ? (v.value === d.groups[0][0] ? `${d.label}: as on most nodes` : `${d.label}: differs from the other nodes`) : `${d.label}: ${v.value}`,
      })),
    );
    const fixes = diffs.map((d) => fixFor(d));
    const finding: FindingDraft = {
      severity: 'warning',
      title: 'Nodes differ where they should not',
      message: `${diffs.length === 1 ? 'A setting that must match on every node differs' : `${diffs.length} settings that must match on every node differ`}: ${diffs.map(line).join('; ')}. Traffic that works between some nodes fails between others.`,
      impact: 'Cross-node traffic depends on which nodes it touches; the odd node is where to look.',
      nodes: involved,
      evidence,
      facts: {
        settings: diffs.map((d) => ({ setting: d.label, values: Object.fromEntries(d.values.map((v) => [v.node, v.value])), odd: oddNodes(d) })),
        ...(folded.length > 0 ? { foldedInto: folded } : {}),
      },
      ...(folded.length > 0 ? { related: [...new Set(folded)] } : {}),
      remedy: {
        summary: fixes.map((f) => f.summary).join(' '),
        commands: fixes.flatMap((f) => f.commands),
        ...(fixes.some((f) => f.caution) ? { caution: fixes.flatMap((f) => (f.caution ? [f.caution] : [])).join(' ') } : {}),
      },
    };
    return [finding];
  },
});

type ClusterNodes = { node: string; artifacts: NodeArtifacts }[];

function difference(p: FactProvider, nodes: ClusterNodes): Difference | undefined {
  const values = nodes
    .map((n) => ({ node: n.node, value: p.compute(n.artifacts), ref: p.source?.(n.artifacts) }))
    .filter((v) => v.value !== undefined && v.value !== null)
    .map((v) => ({ node: v.node, value: String(v.value), ref: v.ref }));
  if (values.length < 2) return undefined;
  const counts = new Map<string, string[]>();
  for (const v of values) counts.set(v.value, [...(counts.get(v.value) ?? []), v.node]);
  if (counts.size < 2) return undefined;
  return { label: p.label, groups: [...counts.entries()].sort((a, b) => b[1].length - a[1].length), values };
}

/** the nodes in the minority; none when no value holds a majority (two nodes, one each) */
function oddNodes(d: Difference): string[] {
  const [top, second] = d.groups;
  return second && top[1].length > second[1].length ? d.groups.slice(1).flatMap(([, ns]) => ns) : [];
}

/** `iptables back end: nf_tables on node-a, node-b; legacy on node-c` */
function line(d: Difference): string {
  return `${d.label}: ${d.groups.map(([value, ns]) => `${value} on ${ns.join(', ')}`).join('; ')}`;
}

/**
 * The difference is a sysctl at 0 on some nodes, and each of those nodes has its own finding for it
 * (the node analyzer, run on the node's artifacts, says so): that finding carries the diagnosis and fix.
 */
function hasOwnFindings(d: Difference, nodes: ClusterNodes, options: { requiredPorts: number[] }): boolean {
  const own = OWN_FINDING[d.label];
  if (!own) return false;
  const off = d.values.filter((v) => v.value === '0').map((v) => v.node);
  if (off.length === 0 || off.length === d.values.length) return false;
  return off.every((name) => {
    const artifacts = nodes.find((n) => n.node === name)?.artifacts;
    if (!artifacts?.sysctl) return false;
    try {
      const drafts = (own.analyzer as { analyze(i: unknown): FindingDraft[] }).analyze({ node: name, artifacts, options });
      return drafts.some((f) => {
        const facts = f.facts as { key?: unknown; keys?: unknown } | undefined;
        return facts?.key === own.key || (Array.isArray(facts?.keys) && facts.keys.includes(own.key));
      });
    } catch {
      return false;
    }
  });
}

interface Fix {
  summary: string;
  commands: string[];
  caution?: string;
}

function fixFor(d: Difference): Fix {
  const odd = oddNodes(d);
  const common = d.groups[0][0];
  const where = odd.length > 0 ? odd.join(', ') : undefined;
  switch (d.label) {
    case 'iptables back end': {
      if (!where || (common !== 'nf_tables' && common !== 'legacy'))
        return { summary: `Use one iptables back end on every node (${d.groups.map(([v, ns]) => `${v} on ${ns.join(', ')}`).join('; ')}), the one the cluster's components use.`, commands: ['iptables -V   # on each node: (nf_tables) or (legacy)'] };
      const bin = common === 'nf_tables' ? 'nft' : 'legacy';
      return {
        summary: `Switch ${where} to the ${common} back end the other nodes use, then reboot it so every component writes its rules there again.`,
        commands: [
          `# on ${where} (Debian/Ubuntu alternatives)`,
          `update-alternatives --set iptables /usr/sbin/iptables-${bin}`,
          `update-alternatives --set ip6tables /usr/sbin/ip6tables-${bin}`,
          `iptables -V   # now (${common})`,
        ],
        caution: `The rules already loaded stay in the old back end until ${where} reboots (or kube-proxy, the network plugin and dockerd are restarted and the old rules removed): drain it first (kubectl drain). RHEL 8 and later ship only the nf_tables back end.`,
      };
    }
    case 'FORWARD policy':
      return {
        summary: `The FORWARD policy differs (${d.groups.map(([v, ns]) => `${v} on ${ns.join(', ')}`).join('; ')}); which side is wrong is not obvious from the bundle: DROP is what Docker sets and a hardened host wants, and then every container and pod path needs its own ACCEPT rule; ACCEPT forwards everything. Compare the FORWARD chains and make the nodes alike.`,
        commands: [
          '# on every node (read-only): the policy and the rules that let container and pod traffic through',
          'iptables -S FORWARD',
          // left commented (R19): pasted with the back-end switch above, a DROP would land in a FORWARD chain whose
          // ACCEPT rules are still in the old back end, and drop every forwarded packet until the reboot
          ...(where
            ? [`# on ${where}, a decision, not a paste: its policy as the other nodes', only once its iptables -S FORWARD shows their ACCEPT rules (after its reboot where the back end changes):`, `# iptables -P FORWARD ${common}`]
            : []),
        ],
        caution: 'A FORWARD policy set by hand is lost at reboot; Docker sets DROP whenever it turns ip_forward on itself.',
      };
    case 'ip_forward':
    case 'bridge-nf-call-iptables': {
      const key = d.label === 'ip_forward' ? 'net.ipv4.ip_forward' : 'net.bridge.bridge-nf-call-iptables';
      const zero = d.values.filter((v) => v.value === '0').map((v) => v.node);
      return {
        summary: `Set ${key} = 1 on ${zero.join(', ') || 'every node'}, as on the others.`,
        commands: [`# on ${zero.join(', ') || 'each node'}`, `sysctl -w ${key}=1`, `echo '${key} = 1' > /etc/sysctl.d/99-zz-${d.label === 'ip_forward' ? 'ip-forward' : 'kubernetes-bridge'}.conf`],
      };
    }
    default:
      return { summary: `Make ${d.label} the same on every node${where ? ` (${where} differs)` : ''}.`, commands: [] };
  }
}
