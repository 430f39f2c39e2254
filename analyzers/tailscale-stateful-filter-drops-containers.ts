/**
 * tailscale.stateful-filter-drops-containers: Tailscale's "stateful filtering" rule in ts-forward drops every
 * NEW connection forwarded out of tailscale0, so containers (forwarded from docker0, br-*, cni0, podman0, ...)
 * cannot open connections to tailnet hosts, while the host itself (OUTPUT, not FORWARD) still can.
 *
 * What tailscale writes (util/linuxfw in tailscale/tailscale):
 * - iptables mode (iptables_runner.go AddStatefulRule, before the final accept of ts-forward, IPv4 and IPv6):
 *   `-A ts-forward -o tailscale0 -m conntrack ! --ctstate RELATED,ESTABLISHED -j DROP`; iptables-nft lists it as
 *   `oifname "tailscale0" ct state ! related,established counter packets N bytes M drop`;
 * - nftables mode (nftables_runner.go makeStatefulRuleExprs): ct state masked with ~(established|related|untracked),
 *   compared != 0, then drop; nft lists that as a flag list without established and related
 *   (`ct state invalid,new,0x10,...`, tailscale/tailscale#12067, 1.66.0).
 * The rule comes with `--stateful-filtering` (tailscale/tailscale#12025), on by default in 1.66.0 for
 * TS-2024-005 (tailscale/tailscale#12070, #12108, #12206); 1.66.4 turned the default off
 * (https://tailscale.com/changelog#2024-05-08); a node where it is on keeps it (moby/moby#49498, 2025).
 * Fix: `tailscale set --stateful-filtering=false` (or `tailscale up --stateful-filtering=false ...`).
 *
 * Traffic from the tailnet (subnet router, exit node) is marked by ts-forward's first rule and accepted by its
 * second, before the drop; replies are ESTABLISHED: neither is touched. NEW connections forwarded into
 * tailscale0 from any other interface are: containers, VMs, LAN hosts routing to the tailnet through this host.
 *
 * Where the bundle has iptables rules and a container bridge with its subnet, a NEW connection from the bridge
 * to a tailnet address is traced through FORWARD (src/netfilter/trace.ts): the finding stands where the trace is
 * dropped by this rule; an accept placed ahead of it (a workaround) clears it.
 */
import { defineAnalyzer, type FindingDraft } from '../src/engine/analyzer.js';
import type { NodeArtifacts } from '../src/engine/artifacts.js';
import type { Evidence } from '../src/report/schema.js';
import type { Rule } from '../src/netfilter/rules.js';
import type { NftRule } from '../src/nft/model.js';
import { trace, type Packet, type TraceResult } from '../src/netfilter/trace.js';
import { interfacesOf } from '../src/parsers/interfaces.js';
import { formatCidr, parseCidr } from '../src/parsers/cidr.js';
import { dockerBridges, dockerBridgesFromRules, hasDockerChains, liveViews, liveViews6, traceContext, uplinkOf, type BackendView } from './lib/node-view.js';
import { installedPackage, packageAtLeast, packageEvidence } from './lib/package-versions.js';

const ID = 'tailscale.stateful-filter-drops-containers';
/** a tailnet address no node holds by default (CGNAT range 100.64.0.0/10): the destination of the traced connection */
const TAILNET_PEER = '100.64.0.2';

/** Bridges containers (and VMs) sit on, by the name their manager gives them. */
const CONTAINER_BRIDGE = /^(?:docker0|docker_gwbridge|br-[0-9a-f]{12}|cni0|cbr0|kube-bridge|weave|podman\d+|cni-podman\d+|lxdbr\d+|incusbr\d+|lxcbr\d+|virbr\d+)$/;

/** `! --ctstate RELATED,ESTABLISHED` (save, -S), `! ctstate RELATED,ESTABLISHED` (-L), `ct state ! related,established` / `!=` (nft) */
const NEGATED_STATE_TEXT = [
  /!\s*--(?:ct)?state\s+(?:RELATED,ESTABLISHED|ESTABLISHED,RELATED)\b/i,
  /!\s*(?:ct)?state\s+(?:RELATED,ESTABLISHED|ESTABLISHED,RELATED)\b/,
  /\bct\s+state\s+(?:!=?|ne)\s*\{?\s*(?:related\s*,\s*established|established\s*,\s*related)\b/,
];
/** nftables mode as 1.66.0's nft listed it: a positive flag list with `new` and without established/related */
const NFT_NEW_FLAGS = /\bct\s+state\s+(?:\{\s*)?((?:[\w]+\s*,\s*)*new(?:\s*,\s*[\w]+)*)/;

interface StatefulDrop {
  /** where the rule was read */
  source: 'iptables' | 'nftables';
  family: 4 | 6;
  tun: string;
  evidence: Evidence;
  packets?: number;
  bytes?: number;
  /** the iptables view holding it (for the trace); IPv4 only */
  view?: BackendView;
  rule?: Rule;
  /**
   * 1.66.0's nftables mode: `oifname != "tailscale0*"`, the interface compared the wrong way round, so the rule
   * drops NEW connections forwarded out of every other interface (tailscale/tailscale#12066, #12067; fixed by #12068)
   */
  inverted?: boolean;
}

interface ContainerBridge {
  name: string;
  subnet?: string;
  evidence: Evidence;
}

export default defineAnalyzer({
  id: ID,
  title: "Tailscale's stateful filter drops containers' connections to the tailnet",
  description:
    "Tailscale's stateful filtering (1.66.0+: `-o tailscale0 -m conntrack ! --ctstate RELATED,ESTABLISHED -j DROP` in ts-forward) drops NEW connections forwarded to tailscale0: containers cannot reach tailnet hosts, the host can.",
  scope: 'node',
  requires: [],
  requiresOneOf: ['iptables', 'nftables'],
  optional: ['iptables', 'nftables', 'ipAddr', 'dockerNetworks', 'packages'],
  analyze({ node, artifacts, partly }) {
    const drops = statefulDrops(artifacts);
    if (drops.length === 0) return [];
    const bridges = containerBridges(artifacts);
    const dockerRules = dockerRuleEvidence(artifacts);
    const inverted = drops.filter((d) => d.inverted);
    if (inverted.length > 0) return invertedRule(node, artifacts, inverted, bridges, dockerRules);
    const drop4 = drops.find((d) => d.family === 4) ?? drops[0];
    const packets = drops.reduce((n, d) => n + (d.packets ?? 0), 0);

    // the trace: a NEW connection from each bridge's subnet to a tailnet address, through FORWARD
    const traced: { bridge: ContainerBridge; src: string; result: TraceResult; byThis: boolean }[] = [];
    const iptDrop = drops.find((d) => d.view && d.rule);
    // the tracer evaluates the rule from its parsed match: where that is not the negated state match (nft's
    // `ct state ! related,established` read as something else), a trace would walk past the drop
    const traceable = iptDrop !== undefined && parsedStateful(iptDrop.rule!);
    if (iptDrop && !traceable)
      partly?.(`the packet trace from the container bridges was not run: the state match of ${iptDrop.evidence.file}:${iptDrop.evidence.line} is not read as "not RELATED/ESTABLISHED" by the rule parser; the finding rests on the rule's text`);
    if (iptDrop && traceable) {
      const ctx = traceContext(artifacts);
      for (const b of bridges) {
        if (!b.subnet) continue;
        const src = hostIn(b.subnet);
        const packet: Packet = { src, dst: TAILNET_PEER, protocol: 'tcp', sport: 40000, dport: 443, inInterface: b.name, outInterface: iptDrop.tun, state: 'new', mark: 0 };
        const result = trace(iptDrop.view!.tables, 'forward', packet, ctx);
        const by = result.decidedBy;
        const byThis = result.verdict.kind === 'DROP' && !!by && by.file === iptDrop.evidence.file && by.line === iptDrop.evidence.line;
        traced.push({ bridge: b, src, result, byThis });
      }
    }
    const confirmed = traced.filter((t) => t.byThis);
    const passes = traced.filter((t) => t.result.verdict.kind === 'ACCEPT');
    const undecided = traced.filter((t) => t.result.verdict.kind === 'unknown');
    // every container bridge traced gets through (an accept ahead of ts-forward, a workaround in place): nothing to report
    if (traced.length > 0 && passes.length === traced.length) return [];
    // dropped before ts-forward by something else: that rule is the cause, other checks name it
    if (traced.length > 0 && confirmed.length === 0 && undecided.length === 0) return [];
    if (undecided.length > 0 && confirmed.length === 0)
      partly?.(`the trace of a container's connection to the tailnet through FORWARD stopped at a rule it cannot evaluate (${undecided[0].result.verdict.kind === 'unknown' ? undecided[0].result.verdict.reason : ''}): the finding rests on the rule alone`);

    const shownBridges = confirmed.length > 0 ? confirmed.map((c) => c.bridge) : bridges;
    const containers = shownBridges.length > 0 || dockerRules !== undefined;
    if (!containers && packets === 0) return [];

    const critical = packets > 0 && shownBridges.length > 0;
    const pkg = installedPackage(artifacts as NodeArtifacts, ['tailscale']);
    const tun = drop4.tun;

    const evidence: Evidence[] = drops.map((d) => ({
      ...d.evidence,
      note: `tailscale's stateful filtering rule (${d.source === 'iptables' ? (d.family === 6 ? 'ip6tables' : 'iptables') : 'nftables'} ts-forward)${d.packets !== undefined ? `: ${d.packets} packet${d.packets === 1 ? '' : 's'} dropped` : ''}`,
    }));
    for (const b of shownBridges.slice(0, 4)) evidence.push(b.evidence);
    if (shownBridges.length === 0 && dockerRules) evidence.push(dockerRules);
    if (pkg) evidence.push(packageEvidence(pkg, `tailscale ${pkg.upstream} installed${packageAtLeast(pkg, '1.66.4') ? ' (stateful filtering is off by default since 1.66.4: on this node it was turned on, or kept from 1.66.0-1.66.3)' : packageAtLeast(pkg, '1.66.0') ? ' (1.66.0 to 1.66.3 turn stateful filtering on by default)' : ''}`));

    const c0 = confirmed[0];
    const traceText = c0
      ? ` A new connection from ${c0.src} on ${c0.bridge.name} to the tailnet address ${TAILNET_PEER} was traced through FORWARD: it is dropped by this rule (${c0.result.decidedBy!.file}:${c0.result.decidedBy!.line}).`
      : '';
    const bridgeText =
      shownBridges.length > 0
        ? ` Containers on ${shownBridges.map((b) => b.name + (b.subnet ? ` (${b.subnet})` : '')).slice(0, 4).join(', ')} reach the tailnet only through FORWARD, so this rule drops every connection they open to a tailnet host; the host itself is not affected (its own traffic does not pass FORWARD).`
        : dockerRules
          ? ` Docker's rules are on this host: connections its containers open to tailnet hosts are forwarded into ${tun} and dropped.`
          : ` Something forwarded through this host opened connections to the tailnet and was dropped (containers, VMs, or LAN hosts routing through it); the bundle does not show which interface they came from.`;
    const counterText = packets > 0 ? ` The rule has dropped ${packets} packet${packets === 1 ? '' : 's'}.` : ' Its counters show no drop yet.';

    return [
      {
        severity: critical ? 'critical' : 'warning',
        title: "Tailscale's stateful filtering drops containers' connections to the tailnet",
        message:
          `ts-forward on ${node} drops every new connection forwarded out of ${tun}: \`${drop4.evidence.excerpt}\` (tailscale's --stateful-filtering, on by default in 1.66.0-1.66.3).` +
          bridgeText +
          traceText +
          counterText +
          ' Traffic coming in from the tailnet (subnet routes, exit node) is marked and accepted earlier in ts-forward and is not affected.',
        impact: 'Containers cannot open connections to tailnet hosts (timeouts to 100.x addresses and MagicDNS names), while the same commands work on the host.',
        evidence,
        facts: {
          tun,
          droppedPackets: packets,
          rules: drops.map((d) => `${d.evidence.file}:${d.evidence.line}`),
          bridges: shownBridges.map((b) => (b.subnet ? `${b.name} ${b.subnet}` : b.name)),
          traced: traced.map((t) => ({ bridge: t.bridge.name, src: t.src, dst: TAILNET_PEER, verdict: t.result.verdict.kind, byThisRule: t.byThis })),
          ...(pkg ? { tailscaleVersion: pkg.upstream } : {}),
        },
        remedy: {
          summary: "Turn tailscale's stateful filtering off; tailscaled removes the rule from ts-forward at once (the setting is kept across restarts).",
          commands: ['tailscale set --stateful-filtering=false', iptablesWritten(drop4) ? `${drop4.family === 6 ? 'ip6tables' : 'iptables'} -S ts-forward` : `nft list chain ${drop4.family === 6 ? 'ip6' : 'ip'} filter ts-forward`],
          caution:
            'Stateful filtering was added for TS-2024-005: with it off, hosts on this machine\'s networks that route through it can open connections into the tailnet (a subnet router with --snat-subnet-routes=false above all). ' +
            `To keep it on, accept the container subnets ahead of it instead, e.g. \`${accept(drop4, shownBridges.find((b) => b.subnet)?.subnet ?? '172.17.0.0/16')}\`; tailscaled empties ts-forward when it starts, so such a rule has to be added again after every start (a systemd drop-in with ExecStartPost).`,
        },
      },
    ];
  },
});

/**
 * tailscale 1.66.0's nftables mode: the stateful rule matches `oifname != "tailscale0*"`, so it drops NEW connections
 * forwarded out of every interface but tailscale's: containers reaching the internet or the LAN, connections to
 * published ports (forwarded into docker0), LAN hosts routed through the node. Traffic into the tailnet passes.
 */
function invertedRule(node: string, artifacts: NodeArtifacts, drops: StatefulDrop[], bridges: ContainerBridge[], dockerRules: Evidence | undefined): FindingDraft[] {
  const packets = drops.reduce((n, d) => n + (d.packets ?? 0), 0);
  if (bridges.length === 0 && !dockerRules && packets === 0) return [];
  const d0 = drops[0];
  const uplink = uplinkOf(artifacts);
  const pkg = installedPackage(artifacts as NodeArtifacts, ['tailscale']);
  const evidence: Evidence[] = drops.map((d) => ({
    ...d.evidence,
    note: `tailscale 1.66.0's stateful rule (nftables ts-forward): it matches every interface but ${d.tun}${d.packets !== undefined ? `; ${d.packets} packet${d.packets === 1 ? '' : 's'} dropped` : ''}`,
  }));
  for (const b of bridges.slice(0, 4)) evidence.push(b.evidence);
  if (bridges.length === 0 && dockerRules) evidence.push(dockerRules);
  if (pkg) evidence.push(packageEvidence(pkg, `tailscale ${pkg.upstream} installed${packageAtLeast(pkg, '1.66.1') ? ' (the listing shows 1.66.0\'s rule: it was taken before the upgrade, or tailscaled has not been restarted since)' : ''}`));
  const on = bridges.length > 0 ? ` Containers on ${bridges.slice(0, 4).map((b) => b.name + (b.subnet ? ` (${b.subnet})` : '')).join(', ')} cannot open connections to the internet or the LAN${uplink ? ` (out of ${uplink})` : ''}, and connections to their published ports are dropped on the way in;` : dockerRules ? ` Docker's containers on this host cannot open connections out of it, and connections to their published ports are dropped on the way in;` : ' Everything forwarded through this host that does not go to the tailnet is dropped;';
  return [
    {
      severity: packets > 0 ? 'critical' : 'warning',
      title: "Tailscale 1.66.0's nftables rule drops every connection forwarded out of any interface but tailscale0",
      message:
        `ts-forward on ${node} drops every new connection forwarded out of an interface other than ${d0.tun}: \`${d0.evidence.excerpt}\`. ` +
        `This is tailscale 1.66.0's stateful filtering in nftables mode, which compares the interface the wrong way round (tailscale/tailscale#12066, #12067; fixed by #12068).` +
        on +
        ` connections to tailnet hosts and traffic coming in from the tailnet still pass.` +
        (packets > 0 ? ` The rule has dropped ${packets} packet${packets === 1 ? '' : 's'}.` : ' Its counters show no drop yet.'),
      impact: 'Containers (and anything routed through this host) lose internet and LAN access, and published ports stop answering from outside, from the moment tailscaled 1.66.0 starts.',
      evidence,
      facts: {
        tun: d0.tun,
        inverted: true,
        droppedPackets: packets,
        rules: drops.map((d) => `${d.evidence.file}:${d.evidence.line}`),
        bridges: bridges.map((b) => (b.subnet ? `${b.name} ${b.subnet}` : b.name)),
        ...(uplink ? { uplink } : {}),
        ...(pkg ? { tailscaleVersion: pkg.upstream } : {}),
      },
      remedy: {
        summary: 'Turn stateful filtering off now (tailscaled removes the rule at once), and upgrade tailscale: 1.66.1 and later write the rule for tailscale0 only, and 1.66.4 turns stateful filtering off by default.',
        commands: ['tailscale set --stateful-filtering=false', `nft list chain ${d0.family === 6 ? 'ip6' : 'ip'} filter ts-forward`, 'tailscale version', 'tailscale update'],
        caution:
          'A node upgraded from 1.66.0 keeps stateful filtering on if it was on: the fixed rule then drops containers\' new connections to tailnet hosts (tailscale/tailscale#12070). Keep it off, or accept the container subnets ahead of it in ts-forward after every tailscaled start.',
      },
    },
  ];
}

/** An accept for a container subnet at the top of ts-forward, in the syntax of the tool that wrote the chain. */
function accept(d: StatefulDrop, subnet: string): string {
  // iptables-nft and iptables-legacy both take iptables' syntax; tailscale's nftables mode writes native rules iptables cannot edit
  if (iptablesWritten(d)) return `iptables -I ts-forward 1 -s ${subnet} -o ${d.tun} -j ACCEPT`;
  return `nft insert rule ip filter ts-forward ip saddr ${subnet} oifname "${d.tun}" accept`;
}

/**
 * Whether iptables wrote the rule (iptables mode: an iptables dump, or iptables-nft's `ct state ! related,established`
 * in an nft listing), not tailscale's nftables mode (its mask and compare list as `ct state invalid,new,0x10,...`).
 */
function iptablesWritten(d: StatefulDrop): boolean {
  const x = d.evidence.excerpt;
  return /(?:^|\s)-A\s|\s-j\s|\bctstate\b/.test(x) || /\bct state\s+!=?\s*\{?\s*(?:related|established)/.test(x);
}

/** Every stateful drop in a ts-forward chain: the iptables views (IPv4, IPv6), then native nftables tables. */
function statefulDrops(artifacts: NodeArtifacts): StatefulDrop[] {
  const out: StatefulDrop[] = [];
  const seen = new Set<string>();
  const add = (d: StatefulDrop) => {
    const key = `${d.evidence.file}:${d.evidence.line}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(d);
  };
  for (const [family, views] of [
    [4, liveViews(artifacts)],
    [6, liveViews6(artifacts)],
  ] as const)
    for (const view of views)
      for (const r of view.tables.get('filter')?.get('ts-forward')?.rules ?? []) {
        if (r.target !== 'DROP' || !r.outInterface || r.outInterface.negated || !/^tailscale/.test(r.outInterface.value) || !statefulText(r.text, r)) continue;
        add({
          source: 'iptables',
          family,
          tun: r.outInterface.value.replace(/\+$/, ''),
          evidence: { file: r.ref.file, line: r.ref.line, excerpt: r.text },
          packets: r.counters?.packets,
          bytes: r.counters?.bytes,
          view: family === 4 ? view : undefined,
          rule: r,
        });
      }
  const fromIptables = out.length > 0;
  for (const rs of artifacts.nftables ?? [])
    for (const t of rs.tables) {
      // iptables-nft's tables are the iptables view above (read from this listing when no dump of iptables is there)
      if (t.iptablesCompat && fromIptables) continue;
      if (t.family !== 'ip' && t.family !== 'ip6' && t.family !== 'inet') continue;
      for (const r of t.chains.find((c) => c.name === 'ts-forward')?.rules ?? []) {
        const oif = nftOif(r);
        if (r.verdict?.kind !== 'drop' || !oif || !statefulText(r.text)) continue;
        add({
          source: 'nftables',
          family: t.family === 'ip6' ? 6 : 4,
          tun: oif.tun,
          ...(oif.inverted ? { inverted: true } : {}),
          evidence: { file: r.ref.file, line: r.ref.line, excerpt: r.text },
          packets: r.counter?.packets,
          bytes: r.counter?.bytes,
        });
      }
    }
  return out;
}

/** Whether a rule's match is tailscale's "not RELATED/ESTABLISHED": from the parsed match where there is one, else from its text. */
function statefulText(text: string, rule?: Rule): boolean {
  if (rule && parsedStateful(rule)) return true;
  if (NEGATED_STATE_TEXT.some((re) => re.test(text))) return true;
  const flags = NFT_NEW_FLAGS.exec(text);
  return !!flags && !/established|related/.test(flags[1]);
}

/** The rule's parsed match is a negated RELATED,ESTABLISHED state match (what the tracer evaluates). */
function parsedStateful(rule: Rule): boolean {
  return rule.matches.some(
    (m) => (m.module === 'conntrack' || m.module === 'state') && m.options.some((o) => (o.name === 'ctstate' || o.name === 'state') && o.negated && /ESTABLISHED/i.test(o.value ?? '') && /RELATED/i.test(o.value ?? '')),
  );
}

/**
 * The interface an nft rule sends to (`oifname "tailscale0"`; tailscale's nftables mode lists `"tailscale0*"` on some
 * nft versions); `inverted` for 1.66.0's `oifname != "tailscale0*"` (every interface but tailscale's).
 */
function nftOif(r: NftRule): { tun: string; inverted: boolean } | undefined {
  for (const e of r.exprs)
    if (e.kind === 'match' && e.key === 'oifname' && (e.op === '==' || e.op === '!=') && e.value.kind === 'value' && /^tailscale/.test(e.value.value))
      return { tun: e.value.value.replace(/\*$/, ''), inverted: e.op === '!=' };
  return undefined;
}

/** Container (and VM) bridges: Docker's networks and bridges, other managers' bridges in ip addr, or Docker's bridges as its rules name them. */
function containerBridges(artifacts: NodeArtifacts): ContainerBridge[] {
  const out = new Map<string, ContainerBridge>();
  for (const b of dockerBridges(artifacts)) {
    const s = b.subnets[0];
    const ev: Evidence = s ? s.evidence : b.itf ? { file: b.itf.ref.file, line: b.itf.ref.line, excerpt: b.itf.name, note: `the ${b.name} bridge` } : { file: '', line: 0, excerpt: b.name };
    if (!ev.file) continue;
    out.set(b.name, { name: b.name, subnet: s ? networkCidr(s.cidr) : undefined, evidence: { ...ev, note: `container bridge ${b.name}${s ? ` (${networkCidr(s.cidr)})` : ''}` } });
  }
  for (const itf of interfacesOf(artifacts.ipAddr ?? []).values()) {
    if (out.has(itf.name) || !CONTAINER_BRIDGE.test(itf.name)) continue;
    const a = itf.addresses.find((x) => x.family === 4);
    out.set(itf.name, {
      name: itf.name,
      subnet: a ? networkCidr(a.network) : undefined,
      evidence: a ? { file: a.ref.file, line: a.ref.line, excerpt: a.excerpt, note: `container bridge ${itf.name} (${networkCidr(a.network)})` } : { file: itf.ref.file, line: itf.ref.line, excerpt: itf.name, note: `container bridge ${itf.name}` },
    });
  }
  if (!(artifacts.ipAddr ?? []).length)
    for (const b of dockerBridgesFromRules(artifacts)) {
      if (out.has(b.name)) continue;
      const s = b.subnets[0];
      out.set(b.name, { name: b.name, subnet: s ? networkCidr(s.cidr) : undefined, evidence: { ...b.namedBy, note: `Docker's rules name the bridge ${b.name}${s ? ` (${networkCidr(s.cidr)})` : ''}` } });
    }
  return [...out.values()];
}

/** Docker's chains in the live rules, as evidence (a host with Docker whose bridges the bundle does not show). */
function dockerRuleEvidence(artifacts: NodeArtifacts): Evidence | undefined {
  for (const v of liveViews(artifacts)) {
    if (!hasDockerChains(v.tables)) continue;
    const c = v.tables.get('filter')?.get('DOCKER-USER') ?? v.tables.get('filter')?.get('DOCKER') ?? v.tables.get('nat')?.get('DOCKER');
    if (c) return { file: c.ref.file, line: c.ref.line, excerpt: `chain ${c.name} (${c.table})`, note: "Docker's chains are in the rules: Docker forwards its containers' traffic on this host" };
  }
  return undefined;
}

function networkCidr(cidr: string): string {
  const c = parseCidr(cidr);
  return c ? formatCidr(c) : cidr;
}

/** The second address of an IPv4 network (.2): a container's, not the gateway's. */
function hostIn(cidr: string): string {
  const [ip] = cidr.split('/');
  const o = ip.split('.').map(Number);
  o[3] = Math.min(254, o[3] + 2);
  return o.join('.');
}
