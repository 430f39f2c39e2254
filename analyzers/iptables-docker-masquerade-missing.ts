/**
 * iptables.docker-masquerade-missing: a Docker bridge network has no MASQUERADE rule in nat
 * POSTROUTING, so container traffic leaves with container source addresses and other nodes'
 * firewalls drop it: container packets that are not SNATed are blocked.
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
 *
 * IPv6: Docker masquerades a network's IPv6 subnets too when it manages ip6tables (the `ip6tables`
 * setting, true by default since Docker 27) and the network is in NAT mode: not with
 * `gateway_mode_ipv6=routed` (or `isolated`), `enable_ip_masquerade=false`, or for the default bridge
 * `"ip-masq": false`. Where it does, each IPv6 subnet is walked the same way through the ip6tables
 * nat rules (and nft ip6 / inet tables); with Docker's nftables back end, through its table
 * `ip6 docker-bridges`. Without ip6tables nat rules in the bundle the IPv6 subnets are not checked,
 * and the coverage says so.
 *
 * Nothing is said where dockerd is not running and none of its chains is in the live rules (it has not
 * written its rules since the boot, the MASQUERADE neither): iptables.docker-chain-missing reports that.
 */
import { nftCutNote } from './lib/nft-cut.js';
import { defineAnalyzer, type Partly } from '../src/engine/analyzer.js';
import type { Chain, Rule } from '../src/netfilter/rules.js';
import type { TraceContext } from '../src/netfilter/trace.js';
import { addressIn, parseCidr } from '../src/parsers/cidr.js';
import type { NftRuleset } from '../src/nft/model.js';
import type { Evidence } from '../src/report/schema.js';
import { dockerdSettings } from '../src/parsers/dockerd-flags.js';
import type { IpsetList } from '../src/parsers/ipset.js';
import type { NodeArtifacts } from '../src/engine/artifacts.js';
import { appendOnce, iptablesTool } from '../src/netfilter/commands.js';
import { foreignBaseChains } from '../src/netfilter/save-format.js';
import { ctStates } from '../src/netfilter/values.js';
import { hostFirewall, persistHandWritten, type HostFirewall } from './lib/host-firewall.js';
import { ipsetMatcher, type IpsetDecider } from './lib/ipset.js';
import { dockerManagesIp6tables } from './lib/ipv6-use.js';
import { dockerRestartOf, restartDocker, type DockerRestart } from './lib/node-services.js';
import { dockerBridges, dockerPresence, hasDockerChains, liveViews, liveViews6, localAddresses, nativeNftables, uplinkOf, type Bridge, type DockerPresence } from './lib/node-view.js';
import { dockerdState } from './lib/container-host.js';
import { outsideAddress } from './lib/probe-address.js';
import { SOME_UPLINK, masqueradeRules, memberAddress, outboundPacket, postroutingNat, sourceNat, type NftNat } from './lib/source-nat.js';

export default defineAnalyzer({
  id: 'iptables.docker-masquerade-missing',
  title: 'No MASQUERADE for a Docker network',
  description: 'A Docker bridge subnet has no MASQUERADE (or SNAT) rule reachable from nat POSTROUTING, nor a masquerade in a native nftables table.',
  scope: 'node',
  // Docker's nftables back end (Docker 29+) does its NAT in its own nftables table: a bundle with
  // no iptables rules at all is checked from the nft listing
  requires: [],
  requiresOneOf: ['iptables', 'nftables'],
  // (logs: dockerd running ip6tables shows it manages the IPv6 rules)
  optional: ['iptables', 'ipAddr', 'dockerNetworks', 'dockerDaemon', 'services', 'nftables', 'routes', 'ipsets', 'logs'],
  analyze({ node, artifacts, partly }) {
    const docker = dockerPresence(artifacts);
    // an nft listing alone: said where Docker shows and writes iptables rules (not on a Podman-only host, nor
    // with Docker's nftables back end, whose NAT is in its own table: R8's N3)
    if (!(artifacts.iptables ?? []).length && docker.evidence.length > 0 && !docker.nftBackend) partly?.('the iptables nat rules are not in the bundle: only nftables NAT was looked at', ['iptables']);
    // dockerd not running (its unit failed or inactive, no dockerd in ps, or docker info could not
    // reach it) and none of its chains in the live rules: it never wrote its rules, the MASQUERADE
    // neither; iptables.docker-chain-missing says the daemon is down. (Chains present: it ran and
    // stopped, and live-restored containers may still send traffic: checked.)
    if (dockerdState(artifacts).running === false && !liveViews(artifacts).some((v) => hasDockerChains(v.tables)) && !docker.nftBackend && !docker.firewallOff) return [];
    return [...ipv4Findings(node, artifacts, docker, partly), ...ipv6Findings(node, artifacts, docker, partly)];
  },
});

/** Docker's IPv4 bridge subnets. */
function ipv4Findings(node: string, artifacts: NodeArtifacts, docker: DockerPresence, partly?: Partly) {
  const dockerRestart = dockerRestartOf(artifacts);
  const nftDocker = docker.nftBackend;
  // Docker writes no iptables rules with its nftables back end: then its own table must hold the masquerade
  // (with --iptables=false it writes none at all: the host's own rules must masquerade, checked below)
  if (docker.noIptables && !nftDocker && !docker.firewallOff) return [];
  // a cut nft listing may hold Docker 29's table ip docker-bridges (and its masquerade) past its cut: not judged
  if (docker.backendUnknown) {
    partly?.(`Docker's masquerade was not checked: ${docker.backendUnknown}; collect the whole nft list ruleset (or docker info)`, ['nftables']);
    return [];
  }
  const native = nativeNftables(artifacts);
  if (nftDocker && native.length === 0) return [];
  // each back end's POSTROUTING runs (legacy and nf_tables side by side): a MASQUERADE in either applies
  const views = liveViews(artifacts).filter((v) => v.tables.has('nat'));
  if (views.length === 0 && !nftDocker) {
    // rules without a nat table (`iptables-save -t filter`, `nft list table ip filter`, an `iptables -nvL`
    // of filter): nothing was checked, and where Docker shows the coverage says so (R8's N2)
    const live = liveViews(artifacts);
    const cutNat = live.find((v) => v.unlistedCut)?.unlistedCut;
    if (cutNat && (docker.evidence.length > 0 || live.some((v) => hasDockerChains(v.tables))))
      partly?.(`the live rules show no nat table, and the listing is cut where it may come after (${cutNat}): Docker's masquerade was not checked; collect the whole nft list ruleset or iptables-save`, ['iptables']);
    else if (live.length > 0 && (docker.evidence.length > 0 || live.some((v) => hasDockerChains(v.tables))))
      partly?.(`the live rules hold no nat table (${[...new Set(live.flatMap((v) => [...v.files.values()]))].join(', ')}): Docker's masquerade was not checked; collect iptables-save (every table) or nft list ruleset`, ['iptables']);
    return [];
  }
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
  // the probe's destination: an address outside the node that the node neither owns nor is connected to (R30: a
  // node whose eth0 is 198.51.100.10 made a fixed probe local, and docker0's own MASQUERADE "did not apply")
  const bridges = dockerBridges(artifacts);
  const outside = outsideAddress(artifacts, 4, bridges.flatMap((b) => b.subnets.map((s) => s.cidr)));
  const ipsetLists = artifacts.ipsets ?? [];
  const listed = ipsetLists.length > 0 ? ipsetMatcher(ipsetLists) : undefined;
  // iptables-nft's "contains incompatible base-chains" above the nat table, and no nft listing of table ip nat: base chains
  // written with nft (an admin's own masquerade) are in the kernel and in no iptables view: a subnet not masqueraded by
  // the rules shown is not judged
  const hidden = foreignBaseChains(views.flatMap((v) => v.rulesets), 'nat');
  const heldBack = hidden.length > 0 && !nftListingOf(artifacts, 'ip', 'nat');
  const held: string[] = [];
  const nftCut = nftCutNote(artifacts.nftables ?? []);
  const cutHeld: string[] = [];
  const findings = [];
  for (const bridge of bridges) {
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
      const cover = coverage(views.map((v) => v.tables), nftNat, bridge.name, s.cidr, uplink ?? SOME_UPLINK, local, listed, ipsetLists, outside);
      if (cover.kind === 'covered' || cover.kind === 'unknown') continue;
      if (cut) continue;
      // a cut-off nft listing: a masquerade in the rest of the table left open, or in a table listed after it, is not in the file
      if (nftCut) {
        cutHeld.push(`${s.cidr} (${bridge.name})`);
        continue;
      }
      if (heldBack) {
        held.push(`${s.cidr} (${bridge.name})`);
        continue;
      }
      // the uplink is not known and a rule masquerades traffic leaving by one named interface: it may be the uplink
      if (!uplink && cover.kind === 'missing' && views.some((v) => namedOutMasquerade(v.tables, bridge.name))) continue;
      // no docker network inspect for the bridge, and Docker's filter rules for it are those of a network in routed
      // gateway mode (gateway_mode_ipv4=routed: no NAT by design): not a lost MASQUERADE (R30's h35)
      if (!byHand && !nftDocker && !inspected(artifacts, bridge)) {
        const signs = routedModeSigns(liveViews(artifacts).map((v) => v.tables), bridge.name, 4);
        if (signs.length > 0) {
          findings.push(routedFinding(node, bridge, s, signs, natFile, 4));
          continue;
        }
      }
      if (cover.kind === 'maybe') {
        findings.push(maybeFinding(node, bridge, s, cover.rules, natFile, dockerRestart));
        continue;
      }
      if (byHand) {
        findings.push(handWrittenFinding(node, bridge, s, byHand, cover.passed, cover.others, natFile, hostFirewall(artifacts)));
        continue;
      }
      if (nftDocker) {
        findings.push(nftFinding(node, bridge, s, nftDocker, native, natFile, dockerRestart));
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
          summary: `Restart Docker so it re-adds the rule; as a stop-gap (or if it does not come back), add it by hand: the check before the append adds it only once.`,
          commands: [...restartDocker({ dockerRestart }, 'recreates every Docker rule'), stopGap('iptables', s.cidr, bridge.name)],
          caution: 'Restarting docker restarts every container on the node.',
        },
      });
    }
  }
  if (held.length > 0) partly?.(hiddenNatNote(held, hidden, 'ip'), ['nftables']);
  if (cutHeld.length > 0) partly?.(`the masquerade of ${cutHeld.join(', ')} was not judged: no rule shown masquerades it, but ${nftCut}; collect the whole nft list ruleset`, ['nftables']);
  return findings;
}

/** Whether an nft listing in the bundle shows table `family name` (then it is read: its base chains are walked). */
function nftListingOf(artifacts: NodeArtifacts, family: 'ip' | 'ip6', name: string): boolean {
  return (artifacts.nftables ?? []).some((rs) => rs.tables.some((t) => t.name === name && (t.family === family || t.family === 'inet')));
}

/** The coverage note for subnets not judged: the nat table shown without its base chains written with nft. */
function hiddenNatNote(held: string[], marks: { ref: { file: string; line: number } }[], family: 'ip' | 'ip6'): string {
  return (
    `the masquerade of ${held.join(', ')} was not judged: the ${family === 'ip6' ? 'ip6tables' : 'iptables'} nat rules shown do not masquerade it, but iptables-nft printed "# Table \`nat' contains incompatible base-chains, use 'nft' tool to list them." (${marks.map((m) => `${m.ref.file}:${m.ref.line}`).join(', ')}): ` +
    `table ${family} nat also holds base chains written with nft that iptables cannot show, and one may masquerade it; collect \`nft list ruleset\``
  );
}

/**
 * Docker's IPv6 bridge subnets, on a node where Docker manages ip6tables (or writes its nftables
 * table `ip6 docker-bridges`): each network in NAT mode must have its IPv6 masquerade. A unique
 * local (ULA, fc00::/7) subnet cannot be routed beyond the node, so without it the containers reach
 * nothing outside over IPv6 (critical); a global one works only if the upstream routes it to this
 * node, which is what gateway_mode_ipv6=routed is for (warning).
 */
function ipv6Findings(node: string, artifacts: NodeArtifacts, docker: DockerPresence, partly?: Partly) {
  const dockerRestart = dockerRestartOf(artifacts);
  const bridges = dockerBridges(artifacts, 6).filter((b) => b.subnets.length > 0);
  if (bridges.length === 0) return [];
  // rootless (its rules are in RootlessKit's namespace), --iptables=false (Docker writes no rule of either family)
  if (docker.rootless || docker.firewallOff) return [];
  // which back end Docker uses is not known (a cut nft listing): said once, by the IPv4 check
  if (docker.backendUnknown) return [];
  const setting = dockerdSettings(artifacts.dockerDaemon);
  const nftDocker = docker.nftBackend;
  const native = nativeNftables(artifacts);
  const views6 = liveViews6(artifacts);
  // who must masquerade: Docker's nftables table, or its ip6tables rules
  let managed: Evidence | undefined;
  if (nftDocker) {
    if (setting.ip6tables?.value === false || native.length === 0) return [];
    managed = nftDocker;
  } else {
    managed = dockerManagesIp6tables(artifacts, views6);
    if (!managed) return [];
  }
  const nat6 = views6.filter((v) => v.tables.has('nat'));
  const subnets = bridges.flatMap((b) => b.subnets.map((s) => `${s.cidr} (${b.name})`));
  if (!nftDocker && nat6.length === 0) {
    partly?.(`the IPv6 masquerade of ${subnets.join(', ')} was not checked: the bundle has no ip6tables nat rules (ip6tables-save)`);
    return [];
  }
  if (nat6.some((v) => v.truncated.has('nat'))) {
    partly?.(`the IPv6 masquerade of ${subnets.join(', ')} was not checked: the ip6tables nat dump is cut (${nat6.find((v) => v.truncated.has('nat'))!.truncated.get('nat')})`);
    return [];
  }
  const natFile = nat6[0]?.files.get('nat');
  const nftNat = postroutingNat(native, 6);
  const uplink = uplinkOf(artifacts, 6);
  const local = localAddresses(artifacts, 6);
  const outside6 = outsideAddress(artifacts, 6, bridges.flatMap((b) => b.subnets.map((s) => s.cidr)));
  const ipsetLists = artifacts.ipsets ?? [];
  const listed = ipsetLists.length > 0 ? ipsetMatcher(ipsetLists) : undefined;
  // "ip-masq": false: no masquerade for the default bridge, either family (unless inspect shows the running daemon masquerades it)
  const networks = (artifacts.dockerNetworks ?? []).flatMap((d) => d.networks);
  const liveDefaultMasq = networks.some((n) => n.name === 'bridge' && n.options['com.docker.network.bridge.enable_ip_masquerade'] === 'true');
  const noDefaultMasq = !liveDefaultMasq && setting.ipMasq?.value === false;
  const tool = nat6[0] ? iptablesTool(nat6[0].rulesets[0], views6.flatMap((v) => v.rulesets)) : 'ip6tables';
  const hidden6 = foreignBaseChains(nat6.flatMap((v) => v.rulesets), 'nat');
  const heldBack6 = !nftDocker && hidden6.length > 0 && !nftListingOf(artifacts, 'ip6', 'nat');
  const held6: string[] = [];
  const nftCut6 = nftCutNote(artifacts.nftables ?? []);
  const cutHeld6: string[] = [];
  const findings = [];
  for (const bridge of bridges) {
    const net = networks.find((n) => n.bridgeName === bridge.name && (bridge.network === undefined || n.name === bridge.network));
    const mode = net?.options['com.docker.network.bridge.gateway_mode_ipv6'];
    // routed or isolated on purpose, or told not to masquerade
    if (mode === 'routed' || mode === 'isolated' || net?.options['com.docker.network.bridge.enable_ip_masquerade'] === 'false') continue;
    if (noDefaultMasq && isDefaultBridge(bridge)) continue;
    for (const s of bridge.subnets) {
      const subnet = parseCidr(s.cidr);
      if (!subnet || subnet.family !== 6 || subnet.prefix > 126) continue;
      const cover = coverage(
        nat6.map((v) => v.tables),
        nftNat,
        bridge.name,
        s.cidr,
        uplink ?? SOME_UPLINK,
        local,
        listed,
        ipsetLists,
        outside6,
      );
      if (cover.kind === 'unknown') partly?.(`could not decide whether ${s.cidr} (${bridge.name}) is masqueraded on its way out over IPv6`);
      if (cover.kind === 'covered' || cover.kind === 'unknown') continue;
      if (nftCut6) {
        cutHeld6.push(`${s.cidr} (${bridge.name})`);
        continue;
      }
      if (heldBack6) {
        held6.push(`${s.cidr} (${bridge.name})`);
        continue;
      }
      if (!uplink && cover.kind === 'missing' && nat6.some((v) => namedOutMasquerade(v.tables, bridge.name))) continue;
      // no inspect for the bridge, and Docker's ip6tables filter rules for it are those of gateway_mode_ipv6=routed
      if (!nftDocker && !net) {
        const signs = routedModeSigns(views6.map((v) => v.tables), bridge.name, 6);
        if (signs.length > 0) {
          findings.push(routedFinding(node, bridge, s, signs, natFile, 6));
          continue;
        }
      }
      if (cover.kind === 'maybe') {
        findings.push(maybeFinding(node, bridge, s, cover.rules, natFile, dockerRestart, tool));
        continue;
      }
      if (nftDocker) {
        findings.push(nftFinding(node, bridge, s, nftDocker, native, natFile, dockerRestart, 'ip6'));
        continue;
      }
      findings.push(ipv6Finding(node, bridge, s, managed, cover, natFile, uplink, tool, dockerRestart));
    }
  }
  if (held6.length > 0) partly?.(hiddenNatNote(held6, hidden6, 'ip6'), ['nftables']);
  if (cutHeld6.length > 0) partly?.(`the IPv6 masquerade of ${cutHeld6.join(', ')} was not judged: no rule shown masquerades it, but ${nftCut6}; collect the whole nft list ruleset`, ['nftables']);
  return findings;
}

/** fc00::/7: unique local addresses, which no router beyond the site forwards. */
function isUla(cidr: string): boolean {
  return /^f[cd][0-9a-f]{0,2}:/i.test(cidr);
}

function ipv6Finding(node: string, bridge: Bridge, s: Bridge['subnets'][number], managed: Evidence, cover: Extract<Coverage, { kind: 'missing' }>, natFile: string | undefined, uplink: string | undefined, tool: string, dockerRestart: DockerRestart) {
  const ula = isUla(s.cidr);
  const net = `${bridge.network ? `docker network ${bridge.network}, ` : ''}bridge ${bridge.name}`;
  return {
    severity: ula ? ('critical' as const) : ('warning' as const),
    title: 'No IPv6 MASQUERADE for a Docker network',
    message:
      `IPv6 traffic from ${s.cidr} (${net}) on ${node} leaves without source NAT: ip6tables nat POSTROUTING has no MASQUERADE rule for it${cover.others ? ` (${cover.others})` : ''}, yet Docker manages ip6tables here and masquerades a network's IPv6 subnet unless the network is routed (gateway_mode_ipv6=routed) or told not to (enable_ip_masquerade=false, "ip-masq": false): something removed the rule. ` +
      (ula
        ? `${s.cidr} is a unique local (ULA) prefix, which no router beyond the node forwards: the containers reach nothing outside the node over IPv6.`
        : `${s.cidr} is a global prefix: the containers' IPv6 traffic leaves with their own addresses, and gets an answer only if the upstream router routes ${s.cidr} to this node (if that is the design, make the network routed: gateway_mode_ipv6=routed).`),
    impact: ula ? 'Containers on this network cannot reach other nodes or the outside over IPv6.' : 'Containers on this network cannot reach the outside over IPv6 unless their subnet is routed to this node.',
    evidence: [
      { file: natFile ?? s.evidence.file, line: 0, excerpt: `no "-s ${s.cidr} ! -o ${bridge.name} -j MASQUERADE" reachable from ip6tables nat POSTROUTING`, note: `searched the live ip6tables nat table here: a packet from ${s.cidr} leaving by ${uplink ?? 'another interface'} is walked through nat POSTROUTING and no rule source-NATs it` },
      s.evidence,
      managed,
      ...cover.passed,
    ],
    facts: { subnet: s.cidr, bridge: bridge.name, network: bridge.network, family: 'ipv6', ula },
    remedy: {
      summary: `Restart Docker so it re-adds the rule; as a stop-gap (or if it does not come back), add it by hand: the check before the append adds it only once.`,
      commands: [...restartDocker({ dockerRestart }, 'recreates every Docker rule'), stopGap(tool, s.cidr, bridge.name)],
      caution: 'Restarting docker restarts every container on the node.',
    },
  };
}

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
      // -C || -A: pasted twice it adds the rule once (R4 ran the plain -A twice: two rules)
      commands: [appendOnce(`iptables -t nat ${rule}`), ...persistHandWritten(fw, 'nat', [rule])],
    },
  };
}

/** docker network inspect in the bundle shows the network whose bridge this is (then its options decide, not the rules). */
function inspected(artifacts: NodeArtifacts, bridge: Bridge): boolean {
  return (artifacts.dockerNetworks ?? []).flatMap((d) => d.networks).some((n) => n.bridgeName === bridge.name);
}

/**
 * The filter rules Docker 28 writes for a bridge network in routed gateway mode only (never for a NAT-mode
 * network), per moby's integration/network/bridge/iptablesdoc/generated/usernet-portmap-routed.md and the
 * corpus listing moby-docker28-usernet-gateway-mode-routed-nvL.txt:
 *   -A DOCKER -o <bridge> -p icmp -j ACCEPT            (setICMP: all ICMP into the routed network; -p ipv6-icmp for IPv6)
 *   -A DOCKER-ISOLATION-STAGE-1 -o <bridge> -j RETURN   (packets routed to it skip the isolation)
 *   -A DOCKER-ISOLATION-STAGE-1 -i <bridge> -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
 * The first or the second must be there; the third is cited with them.
 */
function routedModeSigns(views: Map<string, Map<string, Chain>>[], bridge: string, family: 4 | 6): Evidence[] {
  const icmp = family === 6 ? ['ipv6-icmp', 'icmpv6', '58'] : ['icmp', '1'];
  const out = (r: Rule) => r.outInterface?.value === bridge && !r.outInterface.negated;
  const any = (v: Rule['source']) => !v || (!v.negated && /^(0\.0\.0\.0\/0|::\/0)$/.test(v.value));
  const plain = (r: Rule) => !r.inInterface && any(r.source) && any(r.destination) && r.matches.filter((m) => m.module !== (family === 6 ? 'icmp6' : 'icmp')).length === 0;
  const strong: Evidence[] = [];
  const extra: Evidence[] = [];
  const ev = (r: Rule, note: string): Evidence => ({ file: r.ref.file, line: r.ref.line, excerpt: r.text, note });
  for (const t of views) {
    const filter = t.get('filter');
    for (const r of filter?.get('DOCKER')?.rules ?? [])
      if (r.target === 'ACCEPT' && out(r) && r.protocol && !r.protocol.negated && icmp.includes(r.protocol.value.toLowerCase()) && plain(r))
        strong.push(ev(r, `Docker accepts all ${family === 6 ? 'ICMPv6' : 'ICMP'} into ${bridge}: it writes this rule for a network in routed gateway mode only`));
    for (const r of filter?.get('DOCKER-ISOLATION-STAGE-1')?.rules ?? []) {
      if (r.target === 'RETURN' && out(r) && !r.protocol && plain(r)) strong.push(ev(r, `packets routed to ${bridge} skip Docker's network isolation: written for a routed-mode network only`));
      const st = ctStates(r);
      if (r.target === 'ACCEPT' && r.inInterface?.value === bridge && !r.inInterface.negated && !r.outInterface && st && !st.negated && st.value.includes('ESTABLISHED'))
        extra.push(ev(r, `replies leaving ${bridge} are accepted before the isolation: written for a routed-mode network only`));
    }
  }
  // a listing that shows a chain twice (`iptables -nvL`, then `iptables -nvL DOCKER`): each rule once
  const seen = new Set<string>();
  const once = (e: Evidence) => {
    const key = e.excerpt.trim().replace(/^\d+\s+\d+\s+\d+\s+/, '').replace(/\s+/g, ' ');
    return seen.has(key) ? false : (seen.add(key), true);
  };
  return strong.length > 0 ? [...strong, ...extra].filter(once) : [];
}

/**
 * No masquerade for the subnet, no docker network inspect for it, and Docker's own rules for the bridge are those
 * of routed gateway mode: by design no NAT (the upstream must route the subnet to this node). Said as info, with
 * what to collect to be sure; never "restart docker" or a MASQUERADE by hand, which would undo the routed setup.
 */
function routedFinding(node: string, bridge: Bridge, s: Bridge['subnets'][number], signs: Evidence[], natFile: string | undefined, family: 4 | 6) {
  const v6 = family === 6;
  const mode = v6 ? 'gateway_mode_ipv6' : 'gateway_mode_ipv4';
  return {
    severity: 'info' as const,
    title: v6 ? 'No IPv6 MASQUERADE for a Docker network' : 'No MASQUERADE for a Docker network',
    message:
      `${v6 ? 'IPv6 traffic' : 'Traffic'} from ${s.cidr} (bridge ${bridge.name}) on ${node} is not source-NATed, but Docker's filter rules for ${bridge.name} are those it writes for a network in routed gateway mode (${mode}=routed), which has no NAT by design. ` +
      `Either the network is in routed mode (then containers are reached by their own addresses, and the upstream router must route ${s.cidr} to this node) or its MASQUERADE was lost; docker network inspect is not in the bundle to tell which.`,
    impact: `None if the network is in routed mode on purpose; otherwise containers on it cannot reach other nodes or the outside${v6 ? ' over IPv6' : ''}.`,
    evidence: [
      ...signs,
      { file: natFile ?? s.evidence.file, line: 0, excerpt: `no "-s ${s.cidr} ! -o ${bridge.name} -j MASQUERADE" reachable from ${v6 ? 'ip6tables ' : ''}nat POSTROUTING`, note: 'searched the live nat table here' },
      s.evidence,
    ],
    facts: { subnet: s.cidr, bridge: bridge.name, network: bridge.network, gatewayMode: 'routed (from the rules)', ...(v6 ? { family: 'ipv6' } : {}) },
    remedy: {
      summary: `Collect docker network inspect for the network on ${bridge.name}: if its options show ${mode}=routed, nothing is wrong here (check that the upstream router routes ${s.cidr} to this node); if they do not, Docker's masquerade for it was lost.`,
      commands: [`docker network inspect $(docker network ls -q) | grep -E '"Name"|com.docker.network.bridge.name|gateway_mode|"Subnet"'`],
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
function knownSets(subnet: string, outside: string): IpsetDecider {
  return (name, dirs, p) => {
    if (/^cali[46]0(masq|all)-ipam-pools$/.test(name)) {
      const addr = dirs[0] === 'src' ? p.src : p.dst;
      return addressIn(addr, subnet) || addr === outside ? false : undefined;
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
  outside: string,
): Coverage {
  const packet = outboundPacket(memberAddress(cidr), bridge, uplink, outside);
  // the members the bundle lists decide; what a set's name says only where the listing does not
  const byName = knownSets(cidr, outside);
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
function maybeFinding(node: string, bridge: Bridge, s: Bridge['subnets'][number], rules: Evidence[], natFile: string | undefined, dockerRestart: DockerRestart, tool = 'iptables') {
  return {
    severity: 'warning' as const,
    title: 'No MASQUERADE for a Docker network',
    message: `Traffic from ${s.cidr} (${bridge.network ? `docker network ${bridge.network}, ` : ''}bridge ${bridge.name}) on ${node} is source-NATed only if ${rules.length === 1 ? 'a rule' : 'rules'} whose match the bundle does not let us evaluate (an ipset's members, most often) ${rules.length === 1 ? 'matches' : 'match'} it: Docker's own "-s ${s.cidr} ! -o ${bridge.name} -j MASQUERADE" is not there. If ${rules.length === 1 ? 'it does' : 'they do'} not, other hosts see container addresses and drop or cannot answer them.`,
    impact: 'Containers on this network may be unable to reach other nodes or the outside.',
    evidence: [...rules, ...(natFile ? [{ file: natFile, line: 0, excerpt: `no "-s ${s.cidr} ! -o ${bridge.name} -j MASQUERADE" reachable from nat POSTROUTING`, note: 'searched the live nat table here' }] : []), s.evidence],
    facts: { subnet: s.cidr, bridge: bridge.name, network: bridge.network, undecided: rules.length, ...(tool.startsWith('ip6tables') ? { family: 'ipv6' } : {}) },
    remedy: {
      summary: `Check the set's members (ipset list <name>); if ${s.cidr} is not in it, restart Docker so it re-adds its rule, or add it by hand.`,
      commands: ['ipset list -n   # then: ipset list <set> for the sets named above', ...restartDocker({ dockerRestart }, 'recreates every Docker rule'), stopGap(tool, s.cidr, bridge.name)],
      caution: 'Restarting docker restarts every container on the node.',
    },
  };
}

/**
 * Docker's nftables back end: its table `ip docker-bridges` (`ip6 docker-bridges` for IPv6)
 * masquerades each bridge's subnet in `nat-postrouting-out__<bridge>` (reached from nat-POSTROUTING
 * by the input interface). Without that rule the bridge's traffic leaves with container addresses.
 * Docker rewrites its whole table when it starts.
 */
function nftFinding(node: string, bridge: Bridge, s: Bridge['subnets'][number], nftDocker: Evidence, native: NftRuleset[], iptablesNat: string | undefined, dockerRestart: DockerRestart, family: 'ip' | 'ip6' = 'ip') {
  const v6 = family === 'ip6';
  const table = native.flatMap((rs) => rs.tables).find((t) => t.family === family && t.name === 'docker-bridges');
  // Docker names the chain by the bridge, cut to fit nft's limits (br-0123456789ab -> __br)
  const chain = table?.chains.find((c) => c.name === `nat-postrouting-out__${bridge.name}`) ?? table?.chains.find((c) => c.name.startsWith('nat-postrouting-out__') && bridge.name.startsWith(c.name.slice('nat-postrouting-out__'.length)));
  const where: Evidence = chain
    ? { file: chain.ref.file, line: chain.ref.line, excerpt: `chain ${chain.name} {${chain.rules.length === 0 ? ' }' : ''}`, note: `Docker's chain for ${bridge.name}'s outgoing NAT: no masquerade for ${s.cidr} in it` }
    : table
      ? { file: table.ref.file, line: table.ref.line, excerpt: `table ${family} docker-bridges`, note: `no masquerade for ${s.cidr} reachable from its nat-POSTROUTING` }
      : { ...nftDocker, note: `${nftDocker.note}; but the nftables listing has no table ${family} docker-bridges: nothing masquerades ${s.cidr}` };
  const evidence: Evidence[] = [where, s.evidence];
  if (table && where !== nftDocker) evidence.push(nftDocker);
  if (iptablesNat) evidence.push({ file: iptablesNat, line: 0, excerpt: `no "-s ${s.cidr} ! -o ${bridge.name} -j MASQUERADE" reachable from nat POSTROUTING either`, note: `searched the live ${v6 ? 'ip6tables' : 'iptables'} nat table here` });
  const saddr = v6 ? 'ip6 saddr' : 'ip saddr';
  const chainName = chain?.name ?? `nat-postrouting-out__${bridge.name}`;
  return {
    severity: v6 && !isUla(s.cidr) ? ('warning' as const) : ('critical' as const),
    title: v6 ? 'No IPv6 MASQUERADE for a Docker network' : 'No MASQUERADE for a Docker network',
    message: `${v6 ? 'IPv6 traffic' : 'Traffic'} from ${s.cidr} (${bridge.network ? `docker network ${bridge.network}, ` : ''}bridge ${bridge.name}) on ${node} leaves without source NAT: Docker's nftables table (${family} docker-bridges, its nftables firewall back end) has no masquerade for it${chain ? ` in ${chain.name}` : ''}, and no other nftables or ${v6 ? 'ip6tables' : 'iptables'} rule masquerades it. ${v6 && !isUla(s.cidr) ? `${s.cidr} is a global prefix: an answer comes back only if the upstream router routes it to this node.` : 'Other hosts see container addresses and drop or cannot answer them.'}`,
    impact: `Containers on this network cannot reach other nodes or the outside${v6 ? ' over IPv6' : ''}.`,
    evidence,
    facts: { subnet: s.cidr, bridge: bridge.name, network: bridge.network, firewallBackend: 'nftables', ...(v6 ? { family: 'ipv6' } : {}) },
    remedy: {
      summary: `Restart Docker: with its nftables back end it rewrites its whole table ${family} docker-bridges at start, masquerade rules included. Something removed the rule (an nft command, a firewall reload): find it, or it happens again.`,
      commands: [
        ...restartDocker({ dockerRestart }, `rewrites table ${family} docker-bridges`),
        `nft list chain ${family} docker-bridges ${chainName}   # check: oifname != "${bridge.name}" ${saddr} ${s.cidr} ... masquerade`,
        // IPv6: the rule by hand until the restart, where Docker's chain is there to hold it
        // pasted twice (or after the restart wrote it): the rule once
        ...(v6 && chain ? [`nft list chain ip6 docker-bridges ${chain.name} | grep -q 'ip6 saddr ${s.cidr} .*masquerade' || nft add rule ip6 docker-bridges ${chain.name} oifname != "${bridge.name}" ip6 saddr ${s.cidr} counter masquerade comment "MASQUERADE"   # stop-gap until docker restarts (Docker rewrites its table then)`] : []),
      ],
      caution: 'Restarting docker restarts every container on the node (unless live-restore is on). Do not add the rule to the table by hand as a lasting fix: Docker owns the table and replaces it.',
    },
  };
}

/** Docker's MASQUERADE by hand, once: `-C` finds it when the restart (or an earlier paste) put it back. */
function stopGap(tool: string, cidr: string, bridge: string): string {
  return appendOnce(`${tool} -t nat -A POSTROUTING -s ${cidr} ! -o ${bridge} -j MASQUERADE`);
}
