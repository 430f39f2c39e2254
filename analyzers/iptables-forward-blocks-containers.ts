/**
 * iptables.forward-blocks-containers: the FORWARD path drops container traffic. Decided by
 * walking packets through the live rules with the packet tracer: a NEW connection from each
 * container bridge to the outside, and its reply back; a DROP or REJECT on the way is reported
 * with the rule (or policy) that decides.
 */
import { defineAnalyzer } from '../src/engine/analyzer.js';
import type { Evidence } from '../src/report/schema.js';
import { trace, type Packet, type TraceResult, type TraceStep } from '../src/netfilter/trace.js';
import { parseCidr } from '../src/parsers/cidr.js';
import { interfacesOf } from '../src/parsers/interfaces.js';
import type { Rule } from '../src/netfilter/rules.js';
import { ruleSpec } from './lib/container-host.js';
import { dockerBridges, liveTables, nativeNftables, traceContext } from './lib/node-view.js';

const OUTSIDE = '198.51.100.10';

export default defineAnalyzer({
  id: 'iptables.forward-blocks-containers',
  title: 'FORWARD drops container traffic',
  description: 'A packet from a container bridge to the outside (or its reply) is dropped or rejected in the forward path, by iptables or by a native nftables table.',
  scope: 'node',
  requires: ['ipAddr'],
  optional: ['iptables', 'nftables', 'dockerNetworks', 'routes', 'flannelSubnetEnv'],
  analyze({ node, artifacts }) {
    const tables = liveTables(artifacts);
    // iptables' FORWARD and native nftables forward chains (firewalld's, Docker's own) both decide
    if (!tables.get('filter')?.get('FORWARD') && nativeNftables(artifacts).length === 0) return [];
    const itfs = interfacesOf(artifacts.ipAddr);
    const uplink =
      (artifacts.routes ?? []).flatMap((t) => t.routes).find((r) => r.destination === '0.0.0.0/0' && r.dev && !r.table)?.dev ??
      [...itfs.values()].find((i) => !/^(lo|docker0|cni0|flannel\.\d+|br-|veth|cali|vxlan|tun|virbr)/.test(i.name) && i.addresses.some((a) => a.family === 4 && a.scope === 'global'))?.name;
    if (!uplink) return [];
    const bridges = dockerBridges(artifacts).map((b) => ({ name: b.name, cidrs: b.subnets.map((s) => s.cidr) }));
    const cni0 = itfs.get('cni0');
    if (cni0) bridges.push({ name: 'cni0', cidrs: cni0.addresses.filter((a) => a.family === 4).map((a) => a.network) });
    const ctx = traceContext(artifacts);
    // Docker's own FORWARD rules present (a jump from FORWARD to its chains): a restart of docker would not add them again ahead of a blocker
    const dockerJumps = (tables.get('filter')?.get('FORWARD')?.rules ?? []).some((r) => /^DOCKER(-USER|-FORWARD|-ISOLATION.*)?$/.test(r.target ?? ''));
    const findings = [];
    for (const b of bridges) {
      for (const cidr of b.cidrs) {
        const c = parseCidr(cidr);
        if (!c || c.prefix > 30) continue;
        const host = hostIn(cidr);
        const out: Packet = { src: host, dst: OUTSIDE, protocol: 'tcp', dport: 443, sport: 40000, inInterface: b.name, outInterface: uplink, state: 'new', mark: 0 };
        const back: Packet = { src: OUTSIDE, dst: host, protocol: 'tcp', dport: 40000, sport: 443, inInterface: uplink, outInterface: b.name, state: 'established', mark: 0 };
        const results: [string, TraceResult][] = [
          [`a new connection from ${cidr} (${b.name}) to the outside via ${uplink}`, trace(tables, 'forward', out, ctx)],
          [`the reply from the outside back to ${cidr} (${b.name})`, trace(tables, 'forward', back, ctx)],
        ];
        for (const [what, r] of results) {
          if (r.verdict.kind !== 'DROP' && r.verdict.kind !== 'REJECT') continue;
          const d = r.decidedBy!;
          const evidence: Evidence[] = [
            { file: d.file, line: d.line, excerpt: d.num === 0 ? `:${d.chain} ${d.text.replace('policy ', '')}` : d.text, note: `${d.table}/${d.chain} ${d.num === 0 ? 'policy' : `rule ${d.num}`} ${r.verdict.kind === 'REJECT' ? 'rejects' : 'drops'} ${what}` },
            ...r.steps.filter((s) => s !== d).slice(-6).map((s) => ({ file: s.file, line: s.line, excerpt: s.text, note: `path: ${s.table}/${s.chain} ${s.num === 0 ? 'policy' : `rule ${s.num}`}` })),
          ];
          findings.push({
            severity: 'critical' as const,
            title: 'FORWARD drops container traffic',
            message: `On ${node}, ${what} is ${r.verdict.kind === 'REJECT' ? 'rejected' : 'dropped'} by ${d.num === 0 ? `the ${d.chain} policy ${d.text.replace('policy ', '')}` : `${d.table}/${d.chain} rule ${d.num}`} (${d.file}:${d.line}). ${d.num === 0 ? 'No rule accepts this bridge\'s traffic before the policy applies.' : 'It comes before any rule that accepts this bridge\'s traffic.'}`,
            impact: `Containers on ${b.name} cannot reach anything outside the node.`,
            evidence,
            facts: { bridge: b.name, subnet: cidr, uplink, verdict: r.verdict.kind, decidedBy: `${d.table}/${d.chain}#${d.num}` },
            remedy: d.nft ? nftRemedy(d.nft, d.chain, d.num, b.name) : iptablesRemedy(d, tables.get(d.table)?.get(d.chain)?.rules[d.num - 1], b.name, cidr, r.verdict.kind, dockerJumps),
          });
          break;
        }
      }
    }
    return findings;
  },
});

/**
 * The fix when an iptables rule or policy decides. It must let both directions through (a rule for
 * the containers' new connections alone leaves the replies to the blocker, and the next analysis
 * asks for the same rule again), and an alternative that deletes the blocker must not depend on
 * the inserts having run: it names the rule by its spec, or by its number in the rules as they are.
 */
function iptablesRemedy(d: TraceStep, rule: Rule | undefined, bridge: string, cidr: string, verdict: string, dockerJumps: boolean) {
  const table = d.table === 'filter' ? '' : `-t ${d.table} `;
  const docker = bridge === 'docker0' || /^br-[0-9a-f]{12}$/.test(bridge);
  const restart = docker && !dockerJumps;
  const accept = (at: string) => [
    `iptables ${table}-I ${d.chain} ${at}-o ${bridge} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT   # replies to the containers`,
    `iptables ${table}-I ${d.chain} ${at}-i ${bridge} ! -o ${bridge} -j ACCEPT   # the containers' own connections (${cidr})`,
  ];
  const caution = `Persist only these rules where your firewall keeps its configuration (add them to /etc/sysconfig/iptables by hand, or firewalld direct rules); do not save the live rules over it: they hold Docker's chains (see iptables.service-conflict).${restart ? ' Restarting docker restarts every container on the node.' : ''}`;
  if (d.num === 0)
    return {
      summary: `Accept the bridge's traffic and its replies in ${d.chain} (what Docker adds for its bridges)${restart ? "; Docker's own FORWARD rules are missing: restarting docker adds them again" : ''}.`,
      commands: [...(restart ? ["systemctl restart docker   # recreates Docker's FORWARD rules; or, without restarting the containers:"] : []), ...accept('')],
      caution,
    };
  const spec = rule && rule.num === d.num ? ruleSpec(rule) : undefined;
  return {
    summary: `Accept the bridge's traffic and its replies ahead of ${d.chain} rule ${d.num}, which ${verdict === 'REJECT' ? 'rejects' : 'drops'} them${restart ? " (Docker's own FORWARD rules are missing: restarting docker puts them back ahead of it)" : ''}, or remove that rule.`,
    commands: [
      ...(restart ? [`systemctl restart docker   # Docker inserts its FORWARD rules ahead of rule ${d.num}; or, without restarting the containers:`] : []),
      ...accept(`${d.num} `),
      spec
        ? `# or instead, remove the blocking rule itself: iptables ${table}-D ${d.chain} ${spec}`
        : `# or instead, remove the blocking rule itself, rule ${d.num} of ${d.chain} in the rules as they are (check with iptables ${table}-L ${d.chain} -n --line-numbers; not after the inserts above, which move it down): iptables ${table}-D ${d.chain} ${d.num}`,
    ],
    caution,
  };
}

/** When a native nftables table decides: firewalld's zones, or a rule in that table. */
function nftRemedy(t: { family: string; table: string }, chain: string, num: number, bridge: string) {
  if (t.table === 'firewalld')
    return {
      summary: `firewalld's own nftables table blocks the bridge's forwarded traffic (iptables-save does not show it): put ${bridge} in a zone that forwards it (Docker 20.10+ makes a "docker" zone).`,
      commands: [`firewall-cmd --permanent --zone=docker --add-interface=${bridge}   # or --zone=trusted`, 'firewall-cmd --reload', "systemctl restart docker   # a firewalld reload removes Docker's rules"],
      caution: 'Restarting docker restarts every container on the node.',
    };
  return {
    summary: `The nftables table ${t.family} ${t.table} blocks it, not iptables: accept the bridge's traffic ahead of the blocking ${num === 0 ? 'policy' : 'rule'} in that chain, and persist it where the nftables service loads its rules.`,
    commands: [`nft insert rule ${t.family} ${t.table} ${chain} iifname "${bridge}" accept`, `nft insert rule ${t.family} ${t.table} ${chain} oifname "${bridge}" ct state established,related accept`, '# persist: /etc/nftables.conf (Debian/Ubuntu) or /etc/sysconfig/nftables.conf (RHEL)'],
    caution: 'nft insert puts the rule first in the chain; check it does not open more than the bridge needs.',
  };
}

/** The second address of a network (.2): a container's, not the gateway's. */
function hostIn(cidr: string): string {
  const [ip] = cidr.split('/');
  const o = ip.split('.').map(Number);
  o[3] = Math.min(254, o[3] + 2);
  return o.join('.');
}
