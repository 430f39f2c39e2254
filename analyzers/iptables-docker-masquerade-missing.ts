/**
 * iptables.docker-masquerade-missing: a Docker bridge network has no MASQUERADE rule in nat
 * POSTROUTING, so container traffic leaves with container source addresses and other nodes'
 * firewalls drop it (seed 001: "not SNATed container packets were blocked").
 *
 * Coverage is decided by the packet tracer: a new connection from the bridge's subnet to the
 * outside, leaving by the uplink (the default route's interface), walked through nat POSTROUTING
 * of each iptables back end and the native nftables nat chains on postrouting. Rules that apply to
 * other traffic only (kube-proxy's and netavark's marked packets, `-o` another interface, Calico's
 * IP-pool sets, Swarm's `--src-type LOCAL`) do not count. An ipset match is decided from the
 * bundle's `ipset list` / `ipset save` output when it has the set's members; otherwise from what the
 * set's name says (Calico's IP pools, kube-proxy's KUBE-LOOP-BACK). A rule the tracer still cannot
 * evaluate is walked both ways: when only such a rule could masquerade the subnet, the finding is a
 * warning that says so, not a critical.
 */
import { defineAnalyzer } from '../src/engine/analyzer.js';
import type { Chain } from '../src/netfilter/rules.js';
import type { TraceContext } from '../src/netfilter/trace.js';
import { addressIn, parseCidr } from '../src/parsers/cidr.js';
import type { NftRuleset } from '../src/nft/model.js';
import type { Evidence } from '../src/report/schema.js';
import { dockerdSettings } from '../src/parsers/dockerd-flags.js';
import type { IpsetList } from '../src/parsers/ipset.js';
import { hostFirewall, persistHandWritten, type HostFirewall } from './lib/host-firewall.js';
import { ipsetMatcher, type IpsetDecider } from './lib/ipset.js';
import { dockerBridges, dockerPresence, liveViews, localAddresses, nativeNftables, uplinkOf, type Bridge } from './lib/node-view.js';
import { OUTSIDE, SOME_UPLINK, masqueradeRules, memberAddress, outboundPacket, postroutingNat, sourceNat, type NftNat } from './lib/source-nat.js';

export default defineAnalyzer({
  id: 'iptables.docker-masquerade-missing',
  title: 'No MASQUERADE for a Docker network',
  description: 'A Docker bridge subnet has no MASQUERADE (or SNAT) rule reachable from nat POSTROUTING, nor a masquerade in a native nftables table.',
  scope: 'node',
  // Docker's nftables back end (Docker 29+) does its NAT in its own nftables table: a bundle with
  // no iptables rules at all is checked from the nft listing
  requires: [],
  requiresOneOf: ['iptables', 'nftables'],
  optional: ['iptables', 'ipAddr', 'dockerNetworks', 'dockerDaemon', 'services', 'nftables', 'routes', 'ipsets'],
  partialWithout: { iptables: 'the iptables nat rules are not in the bundle: only nftables NAT was looked at' },
  analyze({ node, artifacts }) {
    const docker = dockerPresence(artifacts);
    const nftDocker = docker.nftBackend;
    // Docker writes no iptables rules with its nftables back end: then its own table must hold the masquerade
    // (with --iptables=false it writes none at all: the host's own rules must masquerade, checked below)
    if (docker.noIptables && !nftDocker && !docker.firewallOff) return [];
    const native = nativeNftables(artifacts);
    if (nftDocker && native.length === 0) return [];
    // each back end's POSTROUTING runs (legacy and nf_tables side by side): a MASQUERADE in either applies
    const views = liveViews(artifacts).filter((v) => v.tables.has('nat'));
    if (views.length === 0 && !nftDocker) return [];
    // a dump cut at its top (sos's .tailed) may have lost the rule: its absence proves nothing
    const cut = views.some((v) => v.truncated.has('nat'));
    const natFile = views[0]?.files.get('nat');
    // a native nftables table may do the NAT instead (Docker's own with its nftables back end, an nftables.conf, firewalld's masquerade, kube-proxy's nftables mode, netavark)
    const nftNat = postroutingNat(native);
    const uplink = uplinkOf(artifacts);
    // `"ip-masq": false` in daemon.json: Docker adds no MASQUERADE for its default bridge (a routed
    // setup), as a network's enable_ip_masquerade=false does for that network
    // (unless docker network inspect shows the running daemon masquerades it: daemon.json edited since)
    const liveDefaultMasq = (artifacts.dockerNetworks ?? []).flatMap((d) => d.networks).some((n) => n.name === 'bridge' && n.options['com.docker.network.bridge.enable_ip_masquerade'] === 'true');
    const ipMasq = dockerdSettings(artifacts.dockerDaemon).ipMasq;
    const noDefaultMasq = !liveDefaultMasq && ipMasq?.value === false;
    const local = localAddresses(artifacts);
    const ipsetLists = artifacts.ipsets ?? [];
    const listed = ipsetLists.length > 0 ? ipsetMatcher(ipsetLists) : undefined;
    const findings = [];
    for (const bridge of dockerBridges(artifacts)) {
      if (bridge.noMasquerade) continue;
      // --ip-masq=false (daemon.json, dockerd's flags): no MASQUERADE for the default bridge by
      // design, a routed setup: nothing to say
      if (noDefaultMasq && isDefaultBridge(bridge)) continue;
      // --iptables=false: Docker writes no rule at all; the host's own rules must masquerade (the
      // classic "no internet in containers after iptables=false"), unless the subnet is routed
      const byHand = docker.firewallOff;
      for (const s of bridge.subnets) {
        const subnet = parseCidr(s.cidr);
        if (!subnet || subnet.prefix > 30) continue;
        const cover = coverage(views.map((v) => v.tables), nftNat, bridge.name, s.cidr, uplink ?? SOME_UPLINK, local, listed, ipsetLists);
        if (cover.kind === 'covered' || cover.kind === 'unknown') continue;
        if (cut) continue;
        // the uplink is not known and a rule masquerades traffic leaving by one named interface: it may be the uplink
        if (!uplink && cover.kind === 'missing' && views.some((v) => namedOutMasquerade(v.tables, bridge.name))) continue;
        if (cover.kind === 'maybe') {
          findings.push(maybeFinding(node, bridge, s, cover.rules, natFile));
          continue;
        }
        if (byHand) {
          findings.push(handWrittenFinding(node, bridge, s, byHand, cover.passed, cover.others, natFile, hostFirewall(artifacts)));
          continue;
        }
        if (nftDocker) {
          findings.push(nftFinding(node, bridge, s, nftDocker, native, natFile));
          continue;
        }
        findings.push({
          severity: 'critical' as const,
          title: 'No MASQUERADE for a Docker network',
          message: `Traffic from ${s.cidr} (${bridge.network ? `docker network ${bridge.network}, ` : ''}bridge ${bridge.name}) on ${node} leaves without source NAT: nat POSTROUTING has no MASQUERADE rule for it${native.length > 0 ? ', nor does any nftables table' : ''}${cover.others ? ` (${cover.others})` : ''}. Other hosts see container addresses and drop or cannot answer them.`,
          impact: 'Containers on this network cannot reach other nodes or the outside.',
          evidence: [{ file: natFile ?? s.evidence.file, line: 0, excerpt: `no "-s ${s.cidr} ! -o ${bridge.name} -j MASQUERADE" reachable from nat POSTROUTING`, note: `searched the live nat table here: a packet from ${s.cidr} leaving by ${uplink ?? 'another interface'} is walked through nat POSTROUTING and no rule source-NATs it` }, s.evidence, ...cover.passed],
          facts: { subnet: s.cidr, bridge: bridge.name, network: bridge.network },
          remedy: {
            summary: `Restart Docker so it re-adds the rule; as a stop-gap add it by hand.`,
            commands: [`iptables -t nat -A POSTROUTING -s ${s.cidr} ! -o ${bridge.name} -j MASQUERADE`, 'systemctl restart docker   # recreates every Docker rule'],
            caution: 'Restarting docker restarts every container on the node.',
          },
        });
      }
    }
    return findings;
  },
});

/**
 * Docker does not masquerade the subnet because it runs with --iptables=false, and no rule of the
 * host's own does: a warning, since a routed setup (the upstream router sends the
 * subnet back to this node) wants no NAT; the remedy is a hand-written rule kept where the host's
 * firewall keeps its rules, never "restart docker", which would add nothing.
 */
function handWrittenFinding(node: string, bridge: Bridge, s: Bridge['subnets'][number], setting: Evidence, passed: Evidence[], others: string | undefined, natFile: string | undefined, fw: HostFirewall) {
  const rule = `-A POSTROUTING -s ${s.cidr} ! -o ${bridge.name} -j MASQUERADE`;
  return {
    severity: 'warning' as const,
    title: 'No MASQUERADE for a Docker network',
    message:
      `Docker on ${node} does not masquerade ${s.cidr} (${bridge.network ? `docker network ${bridge.network}, ` : ''}bridge ${bridge.name}): it runs with iptables management off (--iptables=false or "iptables": false, ${setting.file}${setting.line ? `:${setting.line}` : ''}), and no rule of the host's own masquerades it either${others ? ` (${others})` : ''}. ` +
      `Unless the network routes ${s.cidr} back to this node (a routed setup, which wants no NAT), containers' traffic leaves with their own addresses and other hosts drop it or cannot answer.`,
    impact: 'Containers on this network cannot reach other nodes or the outside, unless their subnet is routed to this node.',
    evidence: [
      { file: natFile ?? s.evidence.file, line: 0, excerpt: `no "-s ${s.cidr} ! -o ${bridge.name} -j MASQUERADE" reachable from nat POSTROUTING`, note: `searched the live nat table here: a packet from ${s.cidr} leaving by the uplink is walked through nat POSTROUTING and no rule source-NATs it` },
      setting,
      s.evidence,
      ...passed,
    ],
    facts: { subnet: s.cidr, bridge: bridge.name, network: bridge.network, dockerMasquerades: false },
    remedy: {
      summary: `Docker will not add this rule: add the masquerade to the host's own rules and keep it there (restarting docker adds nothing). In a routed setup, check instead that the upstream router sends ${s.cidr} to this node.`,
      commands: [`iptables -t nat ${rule}`, ...persistHandWritten(fw, 'nat', [rule])],
    },
  };
}

/** Docker's default bridge network: `bridge` in docker network inspect, else the docker0 interface. */
function isDefaultBridge(bridge: Bridge): boolean {
  return bridge.network !== undefined ? bridge.network === 'bridge' : bridge.name === 'docker0';
}

/**
 * What is known of the sets that masquerade rules of container hosts match: Calico's IP-pool sets
 * hold Calico's pools (not a Docker bridge's subnet, nor an outside address); kube-proxy's
 * KUBE-LOOP-BACK (dst,dst,src) holds endpoints that talk to themselves (source = destination).
 */
function knownSets(subnet: string): IpsetDecider {
  return (name, dirs, p) => {
    if (/^cali[46]0(masq|all)-ipam-pools$/.test(name)) {
      const addr = dirs[0] === 'src' ? p.src : p.dst;
      return addressIn(addr, subnet) || addr === OUTSIDE ? false : undefined;
    }
    if (name === 'KUBE-LOOP-BACK' && dirs.join(',') === 'dst,dst,src') return p.src === p.dst ? undefined : false;
    return undefined;
  };
}

type Coverage =
  | { kind: 'covered' }
  | { kind: 'unknown' }
  | { kind: 'missing'; passed: Evidence[]; others?: string }
  | { kind: 'maybe'; rules: Evidence[] };

/**
 * Walks a new connection from the subnet (its .2) to the outside, leaving by the uplink, through
 * nat POSTROUTING of each back end (and the native nftables nat chains): covered when every outcome
 * of every walk is source-NATed in some back end; missing when none is; maybe when only outcomes
 * through rules the tracer cannot evaluate are.
 */
function coverage(
  views: Map<string, Map<string, Chain>>[],
  nft: NftNat | undefined,
  bridge: string,
  cidr: string,
  uplink: string,
  local: string[],
  listed: IpsetDecider | undefined,
  ipsetLists: readonly IpsetList[],
): Coverage {
  const packet = outboundPacket(memberAddress(cidr), bridge, uplink);
  // the members the bundle lists decide; what a set's name says only where the listing does not
  const byName = knownSets(cidr);
  const ipset: IpsetDecider = listed ? (name, dirs, p) => listed(name, dirs, p) ?? byName(name, dirs, p) : byName;
  const ctx: TraceContext = { localAddresses: local, ipset };
  const walked = sourceNat(views, packet, ctx, nft);
  if (walked.kind === 'covered' || walked.kind === 'unknown') return walked;
  if (walked.kind === 'maybe')
    return { kind: 'maybe', rules: walked.undecided.map((u) => ({ file: u.at.file, line: u.at.line, excerpt: u.at.text, note: `${u.reason}: only if it matches is ${cidr} masqueraded` })) };
  // the masquerades the walk passed without applying them (kube-proxy's marked-only, another interface's): said, so the reader sees why they do not count
  const passed: Evidence[] = [];
  const setNames = new Set<string>();
  for (const r of views.flatMap((t) => masqueradeRules(t.get('nat'))).slice(0, 4)) {
    passed.push({ file: r.ref.file, line: r.ref.line, excerpt: r.text, note: `does not apply to ${cidr} leaving by ${uplink === SOME_UPLINK ? 'another interface' : uplink}` });
    for (const m of r.matches) if (m.module === 'set') for (const o of m.options) if (o.name === 'match-set' && !o.negated) setNames.add((o.value ?? '').split(/\s+/)[0]);
  }
  // the listed sets those masquerades match on, with what they hold: why the subnet is not covered
  const holds = (name: string) => (listed ? listed(name, ['src'], packet) : undefined);
  passed.push(...listedSetEvidence(setNames, ipsetLists, cidr, holds));
  return { kind: 'missing', passed, others: passed.length > 0 ? `${passed.length === 1 ? 'the one masquerade there applies' : 'the masquerades there apply'} to other traffic only` : undefined };
}

/** The `ipset list` entry of each named set the bundle lists in full, with (some of) its members. */
function listedSetEvidence(names: Set<string>, lists: readonly IpsetList[], cidr: string, holds: (name: string) => boolean | undefined): Evidence[] {
  const out: Evidence[] = [];
  for (const name of names) {
    const set = lists.filter((l) => !l.savedConfig).flatMap((l) => l.sets).find((x) => x.name === name && x.complete && x.members);
    if (!set?.members) continue;
    const shown = set.members.slice(0, 6).map((m) => `${m.element}${m.nomatch ? ' nomatch' : ''}`);
    const more = set.members.length > shown.length ? ` and ${set.members.length - shown.length} more` : '';
    out.push({
      file: set.ref.file,
      line: set.ref.line,
      excerpt: set.excerpt,
      note: `${set.type} set ${name} holds ${set.members.length === 0 ? 'nothing' : shown.join(', ') + more}${holds(name) === false ? `: not ${cidr}` : ''}`,
    });
  }
  return out;
}

/** A masquerade for traffic leaving by one named interface (not the bridge): with the uplink unknown, it may be the uplink's. */
function namedOutMasquerade(tables: Map<string, Map<string, Chain>>, bridge: string): boolean {
  return masqueradeRules(tables.get('nat')).some((r) => r.outInterface && !r.outInterface.negated && r.outInterface.value !== bridge);
}

/** Only rules the tracer cannot evaluate (an ipset whose members the bundle lacks) could masquerade the subnet. */
function maybeFinding(node: string, bridge: Bridge, s: Bridge['subnets'][number], rules: Evidence[], natFile: string | undefined) {
  return {
    severity: 'warning' as const,
    title: 'No MASQUERADE for a Docker network',
    message: `Traffic from ${s.cidr} (${bridge.network ? `docker network ${bridge.network}, ` : ''}bridge ${bridge.name}) on ${node} is source-NATed only if ${rules.length === 1 ? 'a rule' : 'rules'} whose match the bundle does not let us evaluate (an ipset's members, most often) ${rules.length === 1 ? 'matches' : 'match'} it: Docker's own "-s ${s.cidr} ! -o ${bridge.name} -j MASQUERADE" is not there. If ${rules.length === 1 ? 'it does' : 'they do'} not, other hosts see container addresses and drop or cannot answer them.`,
    impact: 'Containers on this network may be unable to reach other nodes or the outside.',
    evidence: [...rules, ...(natFile ? [{ file: natFile, line: 0, excerpt: `no "-s ${s.cidr} ! -o ${bridge.name} -j MASQUERADE" reachable from nat POSTROUTING`, note: 'searched the live nat table here' }] : []), s.evidence],
    facts: { subnet: s.cidr, bridge: bridge.name, network: bridge.network, undecided: rules.length },
    remedy: {
      summary: `Check the set's members (ipset list <name>); if ${s.cidr} is not in it, restart Docker so it re-adds its rule, or add it by hand.`,
      commands: ['ipset list -n   # then: ipset list <set> for the sets named above', `iptables -t nat -A POSTROUTING -s ${s.cidr} ! -o ${bridge.name} -j MASQUERADE`, 'systemctl restart docker   # recreates every Docker rule'],
      caution: 'Restarting docker restarts every container on the node.',
    },
  };
}

/**
 * Docker's nftables back end: its table `ip docker-bridges` masquerades each bridge's subnet in
 * `nat-postrouting-out__<bridge>` (reached from nat-POSTROUTING by the input interface). Without
 * that rule the bridge's traffic leaves with container addresses. Docker rewrites its whole table
 * when it starts.
 */
function nftFinding(node: string, bridge: Bridge, s: Bridge['subnets'][number], nftDocker: Evidence, native: NftRuleset[], iptablesNat: string | undefined) {
  const table = native.flatMap((rs) => rs.tables).find((t) => t.family === 'ip' && t.name === 'docker-bridges');
  // Docker names the chain by the bridge, cut to fit nft's limits (br-0123456789ab -> __br)
  const chain = table?.chains.find((c) => c.name === `nat-postrouting-out__${bridge.name}`) ?? table?.chains.find((c) => c.name.startsWith('nat-postrouting-out__') && bridge.name.startsWith(c.name.slice('nat-postrouting-out__'.length)));
  const where: Evidence = chain
    ? { file: chain.ref.file, line: chain.ref.line, excerpt: `chain ${chain.name} {${chain.rules.length === 0 ? ' }' : ''}`, note: `Docker's chain for ${bridge.name}'s outgoing NAT: no masquerade for ${s.cidr} in it` }
    : table
      ? { file: table.ref.file, line: table.ref.line, excerpt: 'table ip docker-bridges', note: `no masquerade for ${s.cidr} reachable from its nat-POSTROUTING` }
      : { ...nftDocker, note: `${nftDocker.note}; but the nftables listing has no table ip docker-bridges: nothing masquerades ${s.cidr}` };
  const evidence: Evidence[] = [where, s.evidence];
  if (table && where !== nftDocker) evidence.push(nftDocker);
  if (iptablesNat) evidence.push({ file: iptablesNat, line: 0, excerpt: `no "-s ${s.cidr} ! -o ${bridge.name} -j MASQUERADE" reachable from nat POSTROUTING either`, note: 'searched the live iptables nat table here' });
  return {
    severity: 'critical' as const,
    title: 'No MASQUERADE for a Docker network',
    message: `Traffic from ${s.cidr} (${bridge.network ? `docker network ${bridge.network}, ` : ''}bridge ${bridge.name}) on ${node} leaves without source NAT: Docker's nftables table (ip docker-bridges, its nftables firewall back end) has no masquerade for it${chain ? ` in ${chain.name}` : ''}, and no other nftables or iptables rule masquerades it. Other hosts see container addresses and drop or cannot answer them.`,
    impact: 'Containers on this network cannot reach other nodes or the outside.',
    evidence,
    facts: { subnet: s.cidr, bridge: bridge.name, network: bridge.network, firewallBackend: 'nftables' },
    remedy: {
      summary: "Restart Docker: with its nftables back end it rewrites its whole table ip docker-bridges at start, masquerade rules included. Something removed the rule (an nft command, a firewall reload): find it, or it happens again.",
      commands: [
        'systemctl restart docker   # rewrites table ip docker-bridges',
        `nft list chain ip docker-bridges ${chain?.name ?? `nat-postrouting-out__${bridge.name}`}   # check: oifname != "${bridge.name}" ip saddr ${s.cidr} ... masquerade`,
      ],
      caution: 'Restarting docker restarts every container on the node (unless live-restore is on). Do not add the rule to the table by hand as a lasting fix: Docker owns the table and replaces it.',
    },
  };
}
