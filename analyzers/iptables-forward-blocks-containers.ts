/**
 * iptables.forward-blocks-containers: the FORWARD path drops container traffic. Decided by
 * walking packets through the live rules with the packet tracer: a NEW connection from each
 * container bridge to the outside, and its reply back; a DROP or REJECT on the way is reported
 * with the rule (or policy) that decides.
 *
 * The reply is traced as the kernel sees it: when the connection left masqueraded (or SNATed), the
 * reply comes back addressed to the node's address, and conntrack rewrites it to the container's
 * only at nat PREROUTING (priority -100). raw and mangle PREROUTING (Docker 28+'s direct-access
 * DROP `-d <container> ! -i <bridge>` is there) see the node's address.
 *
 * IPv6 too, where containers or pods use it (analyzers/lib/ipv6-use.ts): the bridges' IPv6 subnets are
 * walked through the ip6tables rules (and nft ip6 / inet tables), and the remedies are ip6tables commands.
 */
import { defineAnalyzer } from '../src/engine/analyzer.js';
import type { Evidence } from '../src/report/schema.js';
import { trace, type Packet, type TraceResult, type TraceStep } from '../src/netfilter/trace.js';
import { addressIn, formatCidr, parseCidr } from '../src/parsers/cidr.js';
import { interfacesOf } from '../src/parsers/interfaces.js';
import { masqueradeAddress } from '../src/parsers/ip-route.js';
import type { Chain, Rule } from '../src/netfilter/rules.js';
import type { NftChain, NftRuleset } from '../src/nft/model.js';
import type { NodeArtifacts } from '../src/engine/artifacts.js';
import { runtimeValue } from '../src/parsers/sysctl.js';
import { ruleSpec } from './lib/container-host.js';
import { connectionSymptom, fromContainer, symptomFits, type ConnectionSymptom } from './lib/logs.js';
import { hostFirewall, persistHandWritten, persistNft, type HostFirewall } from './lib/host-firewall.js';
import { dockerBridges, dockerPresence, liveIpv4, liveIpv6, liveTables, liveViews6, localAddresses, nativeNftables, traceContext, traceContext6, uplinkOf } from './lib/node-view.js';
import { dockerIpv6Use, podIpv6Use } from './lib/ipv6-use.js';
import { iptablesTool } from '../src/netfilter/commands.js';
import { dockerRestartOf, restartDocker, type DockerRestart } from './lib/node-services.js';
import { parseIp } from '../src/parsers/cidr.js';

const OUTSIDE = '198.51.100.10';
/** A host beyond the node, for IPv6 (documentation prefix). */
const OUTSIDE6 = '2001:db8:ffff::10';
const BUILTIN = new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']);

export default defineAnalyzer({
  id: 'iptables.forward-blocks-containers',
  title: 'FORWARD drops container traffic',
  description: 'A packet from a container bridge to the outside (or its reply) is dropped or rejected in the forward path, by iptables or by a native nftables table.',
  scope: 'node',
  requires: ['ipAddr'],
  optional: ['iptables', 'nftables', 'dockerNetworks', 'routes', 'flannelSubnetEnv', 'logs', 'sysctl', 'services', 'dockerDaemon', 'ipsets'],
  analyze({ node, artifacts, partly }) {
    const findings = forwardFindings(node, artifacts, 4, partly);
    // IPv6: only where the bundle shows containers or pods using it (every node has ip6tables chains)
    if (dockerIpv6Use(artifacts).length > 0 || podIpv6Use(artifacts).length > 0) findings.push(...forwardFindings(node, artifacts, 6, partly));
    return findings;
  },
});

/** The forward path of each container bridge's subnets of one family, through that family's rules. */
function forwardFindings(node: string, artifacts: NodeArtifacts, family: 4 | 6, partly?: (what: string) => void) {
  const v6 = family === 6;
  const view6 = v6 ? liveViews6(artifacts)[0] : undefined;
  const tables: Map<string, Map<string, Chain>> = v6 ? (view6?.tables ?? new Map()) : liveTables(artifacts);
  const nft = nativeNftables(artifacts);
  // iptables' FORWARD and native nftables forward chains (firewalld's, Docker's own) both decide
  if (!tables.get('filter')?.get('FORWARD') && nft.length === 0) return [];
  const itfs = interfacesOf(artifacts.ipAddr ?? []);
  const uplink = uplinkOf(artifacts, family);
  if (!uplink) return [];
  // the address a masquerade gives the containers' connections: the route's preferred source, else the uplink's first address
  const uplinkAddress = masqueradeAddress(uplink, artifacts.routes ?? [], itfs, family);
  const bridges = dockerBridges(artifacts, family).map((b) => ({ name: b.name, cidrs: b.subnets.map((s) => s.cidr) }));
  const cni0 = itfs.get('cni0');
  if (cni0) bridges.push({ name: 'cni0', cidrs: cni0.addresses.filter((a) => a.family === family && (!v6 || (a.scope !== 'link' && a.scope !== 'host'))).map((a) => a.network) });
  const ctx = v6 ? traceContext6(artifacts) : traceContext(artifacts);
  // Docker's own FORWARD rules present (a jump from FORWARD to its chains): a restart of docker would not add them again ahead of a blocker
  const dockerJumps = (tables.get('filter')?.get('FORWARD')?.rules ?? []).some((r) => /^DOCKER(-USER|-FORWARD|-ISOLATION.*)?$/.test(r.target ?? ''));
  // Docker told not to write firewall rules (--iptables=false): a restart adds nothing; the host's firewall must accept
  const firewallOff = dockerPresence(artifacts).firewallOff;
  const brnf = bridgedTrafficPassesIptables(artifacts, family);
  const fw = hostFirewall(artifacts);
  // how dockerd runs here (docker.service, rootless, the snap, another unit): what restarts it
  const docker = dockerRestartOf(artifacts);
  const lines = containerConnectionLines(artifacts);
  // the command: `iptables` (as always for IPv4), `ip6tables` (or -nft / -legacy where both back ends hold IPv6 rules)
  // and, where both back ends hold rules, the one of the file that decided: a fix in the other back end changes nothing
  const live = v6 ? liveIpv6(artifacts) : liveIpv4(artifacts);
  const defaultTool = view6 ? iptablesTool(view6.rulesets[0], liveViews6(artifacts).flatMap((v) => v.rulesets)) : 'iptables';
  const toolFor = (file: string) => {
    const rs = live.find((r) => r.file === file);
    return rs ? iptablesTool(rs, live) : defaultTool;
  };
  const OUT = v6 ? OUTSIDE6 : OUTSIDE;
  const findings = [];
  for (const b of bridges) {
    for (const cidr of b.cidrs) {
      const c = parseCidr(cidr);
      if (!c || c.prefix > (v6 ? 126 : 30)) continue;
      const host = hostIn(cidr);
      const out: Packet = { src: host, dst: OUT, protocol: 'tcp', dport: 443, sport: 40000, inInterface: b.name, outInterface: uplink, state: 'new', mark: 0 };
      const results: [string, TraceResult, Packet, string?][] = [[`a new connection from ${cidr} (${b.name}) to the outside via ${uplink}`, trace(tables, 'forward', out, ctx), out]];
      const first = results[0][1];
      // a reply exists only for a connection that got out, and what it is addressed to depends on the
      // NAT the connection got: known when the trace went through nat POSTROUTING; when a rule the
      // tracer does not model stopped it, both are possible, and only a drop of both is reported
      const back = (natTo?: string, masquerade?: boolean): [string, TraceResult, Packet, string] => {
        const p: Packet = natTo
          ? { src: OUT, dst: natTo, protocol: 'tcp', dport: 40000, sport: 443, inInterface: uplink, outInterface: b.name, state: 'established', mark: 0, unSnat: { dst: host, dport: 40000 } }
          : { src: OUT, dst: host, protocol: 'tcp', dport: 40000, sport: 443, inInterface: uplink, outInterface: b.name, state: 'established', mark: 0 };
        const what = `the reply from the outside back to ${cidr} (${b.name})`;
        const how = natTo
          ? `The reply arrives addressed to ${natTo}, the address ${masquerade ? 'the masquerade' : 'SNAT'} gave the connection; conntrack restores the container's address at nat PREROUTING (priority -100), after raw and mangle.`
          : "The bridge's traffic is not masqueraded: the reply arrives addressed to the container itself.";
        return [what, trace(tables, 'forward', p, ctx), p, how];
      };
      if (first.verdict.kind === 'ACCEPT') {
        // a rule the tracer could not evaluate (an ipset) may decide the NAT: the reply of each outcome,
        // and only a drop of every one is reported
        const snats = first.natOutcomes ? [...new Map(first.natOutcomes.map((o) => [`${o.snat?.to}|${o.snat?.masquerade}`, o.snat])).values()] : [first.packet.snat];
        const variants = snats.flatMap((snat) => {
          const natTo = snat ? (snat.to ?? uplinkAddress) : undefined;
          return !snat || natTo ? [back(natTo, snat?.masquerade)] : [];
        });
        if (variants.length === 1 || (variants.length > 1 && variants.every(([, r]) => r.verdict.kind === 'DROP' || r.verdict.kind === 'REJECT'))) results.push(variants[0]);
      } else if (first.verdict.kind === 'unknown') {
        const variants = [...(uplinkAddress ? [back(uplinkAddress, true)] : []), back()];
        if (variants.every(([, r]) => r.verdict.kind === 'DROP' || r.verdict.kind === 'REJECT')) results.push(variants[0]);
        // not an all-clear: the coverage says what could not be decided and at which rule
        else {
          const at = first.verdict.at;
          partly?.(`could not decide whether ${cidr} (${b.name}) reaches the outside${family === 6 ? ' over IPv6' : ''}: ${first.verdict.reason}${at ? ` at ${at.table}/${at.chain} ${at.num === 0 ? 'policy' : `rule ${at.num}`} (${at.file}:${at.line})` : ''}`);
        }
      }
      for (const [i, [what, r, sent, how]] of results.entries()) {
        if (r.verdict.kind !== 'DROP' && r.verdict.kind !== 'REJECT') continue;
        const d = r.decidedBy!;
        const evidence: Evidence[] = [
          { file: d.file, line: d.line, excerpt: d.num === 0 ? (d.nft ? d.text : `:${d.chain} ${d.text.replace('policy ', '')}`) : d.text, note: `${d.table}/${d.chain} ${d.num === 0 ? 'policy' : `rule ${d.num}`} ${r.verdict.kind === 'REJECT' ? 'rejects' : 'drops'} ${what}` },
          ...r.steps.filter((s) => s !== d).slice(-6).map((s) => ({ file: s.file, line: s.line, excerpt: s.text, note: `path: ${s.table}/${s.chain} ${s.num === 0 ? 'policy' : `rule ${s.num}`}` })),
        ];
        const dir = i === 0 ? 'out' : 'back';
        const rule = d.nft ? undefined : tables.get(d.table)?.get(d.chain)?.rules[d.num - 1];
        const direct = isDockerDirectAccessDrop(d, rule, b.name, cidr);
        const where: Where = { dir, bridge: b.name, cidr, uplink, replyDst: sent.dst, verdict: r.verdict.kind, intraBridge: brnf, firewallOff: !!firewallOff, fw, family, tool: toolFor(d.file), docker };
        // what a container's client sees: a drop of its SYN, or of the reply, is a timeout; a REJECT of its SYN is what the REJECT sends
        const seen: ConnectionSymptom = dir === 'back' || r.verdict.kind === 'DROP' ? 'timeout' : /tcp[- ]reset|port-unreach|proto(?:col)?-unreach/i.test(r.verdict.with) ? 'refused' : 'unreachable';
        const explainsLogLines = [...new Set(lines.filter((l) => symptomFits(l.symptom, seen)).map((l) => l.ref))];
        findings.push({
          severity: 'critical' as const,
          title: v6 ? 'FORWARD drops container IPv6 traffic' : 'FORWARD drops container traffic',
          message: `On ${node}, ${what} is ${r.verdict.kind === 'REJECT' ? 'rejected' : 'dropped'} by ${d.num === 0 ? `the ${d.chain} policy ${d.text.replace('policy ', '')}` : `${d.table}/${d.chain} rule ${d.num}`} (${d.file}:${d.line}). ${direct ? "That is Docker's protection of the containers' addresses against direct access (Docker 28+): it drops what reaches a container's address from outside its bridge, which a reply does when the bridge's traffic is not masqueraded." : d.num === 0 ? 'No rule accepts this bridge\'s traffic before the policy applies.' : 'It comes before any rule that accepts this bridge\'s traffic.'}${how ? ` ${how}` : ''}`,
          impact: `Containers on ${b.name} cannot reach anything outside the node.`,
          evidence,
          facts: { bridge: b.name, subnet: cidr, uplink, verdict: r.verdict.kind, decidedBy: `${d.table}/${d.chain}#${d.num}`, ...(dir === 'back' ? { replyTo: sent.dst } : {}), ...(firewallOff ? { dockerIptables: false } : {}), ...(v6 ? { family: 'ipv6' } : {}), explainsLogLines },
          remedy: direct
            ? dockerDirectAccessRemedy(b.name, cidr, family, docker)
            : d.nft
              ? nftRemedy(d, nftHookOf(nft, r.steps, d), where)
              : iptablesRemedy(d, rule, iptablesHookOf(r.steps, d), where, dockerJumps),
        });
        break;
      }
    }
  }
  return findings;
}

/**
 * The connection failures a container wrote (not the host's own daemons: dockerd pulling an image,
 * kubelet probing a pod connect from the host, not through FORWARD), to a peer that is not the
 * node itself (that is the INPUT path): the log lines a blocked forward path explains, for the correlation.
 */
function containerConnectionLines(artifacts: NodeArtifacts): { ref: string; symptom: ConnectionSymptom }[] {
  const local = new Set(localAddresses(artifacts));
  const out: { ref: string; symptom: ConnectionSymptom }[] = [];
  for (const log of artifacts.logs ?? [])
    for (const m of log.matches) {
      const symptom = connectionSymptom(m);
      if (!symptom || !fromContainer(m)) continue;
      const named = [m.facts.address, m.facts.host].find((x) => x && parseIp(x)?.family === 4);
      if (named && (addressIn(named, '127.0.0.0/8') || local.has(named))) continue;
      if (!named && m.facts.host && /^(localhost|ip6-localhost)$/i.test(m.facts.host)) continue;
      out.push({ ref: `${m.file}:${m.line}`, symptom });
    }
  return out;
}

/**
 * Whether traffic between two containers on one bridge passes iptables' FORWARD: bridge netfilter on
 * (net.bridge.bridge-nf-call-iptables = 1), or not known (no sysctl in the bundle). Off: the key is 0, or a
 * full sysctl dump lacks it (br_netfilter not loaded).
 */
function bridgedTrafficPassesIptables(artifacts: NodeArtifacts, family: 4 | 6 = 4): boolean {
  const KEY = family === 6 ? 'net.bridge.bridge-nf-call-ip6tables' : 'net.bridge.bridge-nf-call-iptables';
  const sysctl = artifacts.sysctl ?? [];
  const values = runtimeValue(sysctl, KEY);
  if (values.length > 0) return values.some((v) => v.value !== '0');
  return !sysctl.some((s) => s.values.size > 200);
}

/** Which packet was dropped, and what the remedy's rules may match it by. */
interface Where {
  dir: 'out' | 'back';
  bridge: string;
  cidr: string;
  uplink: string;
  /** the reply's destination as it arrives (the NAT address when masqueraded) */
  replyDst: string;
  verdict: string;
  /** traffic between containers of the bridge passes FORWARD (bridge-nf-call-iptables = 1, or not known) */
  intraBridge: boolean;
  /** Docker runs with --iptables=false: it adds no FORWARD rules, restarting it does not help */
  firewallOff: boolean;
  fw: HostFirewall;
  family: 4 | 6;
  /** the command that edits the rules: iptables, ip6tables (-nft / -legacy with both back ends) */
  tool: string;
  /** how dockerd runs on the node: what restarts it */
  docker: DockerRestart;
}

/**
 * Docker's direct-access protection (Docker 28+): `-t raw -A PREROUTING -d <container>/32 ! -i <bridge> -j DROP`,
 * or in its nftables table `ip docker-bridges` chain raw-PREROUTING. Never to be deleted or bypassed by a remedy.
 */
function isDockerDirectAccessDrop(d: TraceStep, rule: Rule | undefined, bridge: string, cidr: string): boolean {
  if (d.nft) return d.nft.table === 'docker-bridges' && /^raw-PREROUTING$/.test(d.chain);
  if (d.table !== 'raw' || d.chain !== 'PREROUTING' || !rule || rule.target !== 'DROP') return false;
  const dst = rule.destination;
  return !!dst && !dst.negated && addressIn(dst.value.split('/')[0], cidr) && rule.inInterface?.negated === true && rule.inInterface.value === bridge;
}

/** The base chain (hook) an iptables step was walked from: the nearest built-in chain of its table at or before it. */
function iptablesHookOf(steps: TraceStep[], d: TraceStep): string {
  if (BUILTIN.has(d.chain)) return d.chain;
  for (let i = steps.indexOf(d) - 1; i >= 0 && steps[i].table === d.table; i--) if (BUILTIN.has(steps[i].chain)) return steps[i].chain;
  return 'FORWARD';
}

/** The native nftables base chain (hook, priority) a step was walked from. */
function nftHookOf(rulesets: NftRuleset[], steps: TraceStep[], d: TraceStep): NftChain | undefined {
  const chainOf = (s: TraceStep) => rulesets.flatMap((rs) => rs.tables).find((t) => t.family === s.nft?.family && t.name === s.nft?.table)?.chains.find((c) => c.name === s.chain);
  const own = chainOf(d);
  if (own?.hook) return own;
  for (let i = steps.indexOf(d) - 1; i >= 0 && steps[i].table === d.table; i--) {
    const c = chainOf(steps[i]);
    if (c?.hook) return c;
  }
  return undefined;
}

/**
 * When Docker's direct-access protection drops the replies: they reach the container's address from
 * the uplink because the bridge's traffic is not masqueraded. Docker's rule is right to be there;
 * the network's configuration is what to change (masquerade, or gateway mode routed, in which Docker
 * does not add the protection and the upstream routes the subnet to this node).
 */
function dockerDirectAccessRemedy(bridge: string, cidr: string, family: 4 | 6, docker: DockerRestart) {
  const mode = family === 6 ? 'gateway_mode_ipv6' : 'gateway_mode_ipv4';
  return {
    summary: `Do not delete Docker's direct-access rule: let Docker masquerade ${cidr} (the default), or, if the network is meant to be routed without NAT, give it gateway mode routed (Docker then adds no direct-access drop; the upstream router needs a route to ${cidr} via this node).`,
    commands: [
      `docker network inspect $(docker network ls -q --filter driver=bridge) --format '{{.Name}} {{json .Options}}'   # which network uses ${bridge}, and its enable_ip_masquerade / ${mode}`,
      `# a user-defined network: recreate it with masquerading (drop -o com.docker.network.bridge.enable_ip_masquerade=false), or routed: docker network create ${family === 6 ? '--ipv6 ' : ''}-o com.docker.network.bridge.${mode}=routed --subnet ${cidr} <name>`,
      ...(bridge === 'docker0'
        ? docker.how === 'docker.service'
          ? ['# the default bridge: remove "ip-masq": false from /etc/docker/daemon.json, then systemctl restart docker']
          : [`# the default bridge: remove "ip-masq": false from ${docker.daemonJson}, then restart dockerd:`, ...restartDocker({ dockerRestart: docker })]
        : [`# then reconnect the containers of ${bridge} to the new network`]),
    ],
    caution: 'Recreating a network disconnects its containers; restarting docker restarts every container on the node.',
  };
}

/**
 * The fix when an iptables rule or policy decides. It must let both directions through (a rule for
 * the containers' new connections alone leaves the replies to the blocker, and the next analysis
 * asks for the same rule again), and an alternative that deletes the blocker must not depend on
 * the inserts having run: it names the rule by its spec, or by its number in the rules as they are.
 * The rules it proposes are valid where they go: no `-o` on the PREROUTING hook (iptables refuses
 * it), no conntrack match in raw (it runs before conntrack), and a reply in raw/mangle PREROUTING
 * still carries the address it came back to (the NAT address), not the container's.
 */
function iptablesRemedy(d: TraceStep, rule: Rule | undefined, hook: string, w: Where, dockerJumps: boolean) {
  const { bridge, cidr, uplink } = w;
  const table = d.table === 'filter' ? '' : `-t ${d.table} `;
  const docker = bridge === 'docker0' || /^br-[0-9a-f]{12}$/.test(bridge);
  const restart = docker && !dockerJumps && hook === 'FORWARD' && !w.firewallOff;
  const accept = (at: string) =>
    hook === 'PREROUTING'
      ? [
          d.table === 'raw'
            ? `${w.tool} ${table}-I ${d.chain} ${at}-i ${uplink} -d ${w.replyDst} -p tcp -j ACCEPT   # replies to the containers, as they arrive (raw runs before conntrack: no state to match; ACCEPT here only ends the raw table, filter still decides)`
            : `${w.tool} ${table}-I ${d.chain} ${at}-i ${uplink} -m conntrack --ctstate RELATED,ESTABLISHED --ctorigsrc ${cidr} -j ACCEPT   # replies to the containers' connections (matched by the connection's original source: NAT has not restored it yet here)`,
          `${w.tool} ${table}-I ${d.chain} ${at}-i ${bridge} -s ${cidr} -j ACCEPT   # the containers' own connections (${cidr})`,
        ]
      : [
          `${w.tool} ${table}-I ${d.chain} ${at}-o ${bridge} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT   # replies to the containers`,
          `${w.tool} ${table}-I ${d.chain} ${at}-i ${bridge} ! -o ${bridge} -j ACCEPT   # the containers' own connections (${cidr})`,
          // bridged frames between two containers of the bridge pass FORWARD too when bridge netfilter is on (Docker accepts them itself)
          ...(w.intraBridge ? [`${w.tool} ${table}-I ${d.chain} ${at}-i ${bridge} -o ${bridge} -j ACCEPT   # containers on ${bridge} reaching each other (bridged traffic passes iptables: net.bridge.bridge-nf-call-${w.family === 6 ? 'ip6tables' : 'iptables'} = 1 or not known)`] : []),
        ];
  // the same rules as lines of a saved configuration (-A, in chain order), for a host whose firewall Docker leaves alone
  const persistLines = (at: string) =>
    accept(at)
      .map((c) => c.replace(/\s+#.*$/, ''))
      .map((c) => c.replace(/^\S+ (?:-t \S+ )?-I (\S+) (?:\d+ )?/, '-A $1 '));
  const handWritten = w.firewallOff && !d.nft ? (w.family === 6 ? persist6(d.table, persistLines('')) : persistHandWritten(w.fw, d.table, persistLines(''))) : [];
  const offNote = w.firewallOff ? " Docker runs with --iptables=false: it writes no FORWARD rules, so restarting it does not help; the host's firewall has to accept the bridge's traffic, now and at boot." : '';
  const caution = w.firewallOff
    ? 'Add only these rules to the firewall configuration; the order matters where a REJECT or DROP rule ends the chain (put them above it).'
    : `Persist only these rules where your firewall keeps its configuration (add them to ${w.family === 6 ? '/etc/sysconfig/ip6tables' : '/etc/sysconfig/iptables'} by hand, or firewalld direct rules); do not save the live rules over it: they hold Docker's chains (see iptables.service-conflict).${restart ? ' Restarting docker restarts every container on the node.' : ''}`;
  if (d.num === 0)
    return {
      summary: `Accept the bridge's traffic and its replies in ${d.chain}${hook === 'FORWARD' ? ' (what Docker adds for its bridges)' : ''}${restart ? "; Docker's own FORWARD rules are missing: restarting docker adds them again" : ''}.${offNote}`,
      commands: [...(restart ? restartDocker({ dockerRestart: w.docker }, "recreates Docker's FORWARD rules; or, without restarting the containers:") : []), ...accept(''), ...handWritten],
      caution,
    };
  const spec = rule && rule.num === d.num ? ruleSpec(rule) : undefined;
  return {
    summary: `Accept the bridge's traffic and its replies ahead of ${d.table === 'filter' ? '' : `${d.table}/`}${d.chain} rule ${d.num}, which ${w.verdict === 'REJECT' ? 'rejects' : 'drops'} them${restart ? " (Docker's own FORWARD rules are missing: restarting docker puts them back ahead of it)" : ''}, or remove that rule.${offNote}`,
    commands: [
      ...(restart ? restartDocker({ dockerRestart: w.docker }, `Docker inserts its FORWARD rules ahead of rule ${d.num}; or, without restarting the containers:`) : []),
      ...accept(`${d.num} `),
      ...handWritten,
      spec
        ? `# or instead, remove the blocking rule itself: ${w.tool} ${table}-D ${d.chain} ${spec}`
        : `# or instead, remove the blocking rule itself, rule ${d.num} of ${d.chain} in the rules as they are (check with ${w.tool} ${table}-L ${d.chain} -n --line-numbers; not after the inserts above, which move it down): ${w.tool} ${table}-D ${d.chain} ${d.num}`,
    ],
    caution,
  };
}

/** Where a host keeps its own ip6tables rules, for the rules to persist when Docker writes none. */
function persist6(table: string, lines: string[]): string[] {
  return [`# persist: add to the *${table} section of /etc/sysconfig/ip6tables (RHEL iptables-services, above its final REJECT rules) or /etc/iptables/rules.v6 (Debian iptables-persistent):`, ...lines.map((l) => `#   ${l}`)];
}

/**
 * When a native nftables table decides: firewalld's zones, Docker's own table (not to be edited:
 * Docker rewrites it), or a rule in another table. The rules it proposes fit the chain's hook: no
 * `oifname` before routing (prerouting), no `ct` match before conntrack (priority below -200).
 */
function nftRemedy(d: TraceStep, base: NftChain | undefined, w: Where) {
  const t = d.nft!;
  const { bridge, cidr, uplink } = w;
  if (t.table === 'firewalld')
    return {
      summary: `firewalld's own nftables table blocks the bridge's forwarded traffic (iptables-save does not show it): put ${bridge} in a zone that forwards it (Docker 20.10+ makes a "docker" zone).`,
      commands: [`firewall-cmd --permanent --zone=docker --add-interface=${bridge}   # or --zone=trusted`, 'firewall-cmd --reload', ...restartDocker({ dockerRestart: w.docker }, "a firewalld reload removes Docker's rules")],
      caution: 'Restarting docker restarts every container on the node.',
    };
  if (t.family === 'ip' && t.table === 'docker-bridges')
    return {
      summary: `Docker's own nftables table (${t.family} ${t.table}) blocks it: do not edit that table (Docker rewrites it, and an accept in another table cannot undo its drop); check the network's Docker options (masquerade, gateway mode, icc) and let Docker write its rules again.`,
      commands: [`docker network inspect $(docker network ls -q --filter driver=bridge) --format '{{.Name}} {{json .Options}}'   # the options of the network on ${bridge}`, ...restartDocker({ dockerRestart: w.docker }, 'Docker writes its table afresh')],
      caution: 'Restarting docker restarts every container on the node.',
    };
  const hook = base?.hook ?? 'forward';
  const priority = base?.priority ?? 0;
  const pre = hook === 'prerouting' || hook === 'input';
  const ip = w.family === 6 ? 'ip6' : 'ip';
  const replies = pre
    ? hook === 'prerouting' && priority <= -200
      ? `iifname "${uplink}" ${ip} daddr ${w.replyDst} accept   # replies to the containers as they arrive (before conntrack: no state to match)`
      : `iifname "${uplink}" ct state established,related ct original ${ip} saddr ${cidr} accept   # replies to the containers' connections (NAT has not restored the container's address before priority -100)`
    : `oifname "${bridge}" ct state established,related accept`;
  const own = pre ? `iifname "${bridge}" ${ip} saddr ${cidr} accept   # the containers' own connections` : `iifname "${bridge}" accept`;
  return {
    summary: `The nftables table ${t.family} ${t.table} blocks it, not iptables: accept the bridge's traffic ahead of the blocking ${d.num === 0 ? 'policy' : 'rule'} in that chain, and persist it where the nftables service loads its rules.`,
    commands: [
      `nft insert rule ${t.family} ${t.table} ${d.chain} ${own}`,
      `nft insert rule ${t.family} ${t.table} ${d.chain} ${replies}`,
      ...persistNft(t.family, t.table, d.chain, `as its first rules (ahead of the blocking ${d.num === 0 ? 'policy' : 'rule'})`, [replies, own]),
    ],
    caution: 'nft insert puts the rule first in the chain; check it does not open more than the bridge needs.',
  };
}

/** The second address of a network (.2, or ::2): a container's, not the gateway's. */
function hostIn(cidr: string): string {
  const c = parseCidr(cidr);
  if (c?.family === 6) return formatCidr({ ...c, network: c.network + 2n, prefix: 128 }).replace(/\/128$/, '');
  const [ip] = cidr.split('/');
  const o = ip.split('.').map(Number);
  o[3] = Math.min(254, o[3] + 2);
  return o.join('.');
}
