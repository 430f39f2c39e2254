/**
 * firewalld.container-interface-unzoned: a container bridge (docker0, br-*, cni0) is in no
 * firewalld zone, or in a zone whose target rejects or drops traffic, so firewalld's own nftables
 * table blocks what the iptables rules allow (a common setup puts cni0 in the trusted zone; Docker 20.10+
 * adds a docker zone with target ACCEPT).
 *
 * Also from `nft monitor trace` alone (the nftTrace kind, src/parsers/nft-trace.ts): a trace whose packet
 * ends in firewalld's catch-all reject at the end of `filter_FORWARD` (`reject with icmpx type
 * admin-prohibited (verdict drop)`), entering or leaving a container bridge, is that bridge in no zone
 * (docker/for-linux#1353: an `--internal` network's bridge, which Docker does not put in its docker
 * zone, moby/libnetwork#2647). The bridge is named from the trace's packet line; a drop in any other
 * table, or in one of firewalld's chains by a rule that matches something, is not this.
 */
import { nftCutNote } from './lib/nft-cut.js';
import { defineAnalyzer } from '../src/engine/analyzer.js';
import type { FindingDraft, Partly } from '../src/engine/analyzer.js';
import type { Evidence } from '../src/report/schema.js';
import { liveZoneOfInterface, zoneDispatchOf, zoneOfInterface, type FirewalldZone } from '../src/nft/firewalld.js';
import { interfacesOf } from '../src/parsers/interfaces.js';
import type { NftTrace, NftTraceHop, NftTraceLog } from '../src/parsers/nft-trace.js';
import { findService, isActive, isEnabled } from '../src/parsers/services.js';
import { DOCKER_RESTART_KINDS, dockerAfterFirewalldReload, dockerRestartOf } from './lib/node-services.js';

const CONTAINER_BRIDGE = /^(docker0|br-[0-9a-f]{12}|cni0|cbr0|podman\d+|virbr-docker)$/;
const DOCKER_BRIDGE = /^(docker0|br-[0-9a-f]{12})$/;

/** A packet firewalld's catch-all forward reject dropped, and the container bridge it entered or left (when the trace shows its packet line). */
export interface FirewalldForwardReject {
  log: NftTraceLog;
  trace: NftTrace;
  /** the rejecting hop: `inet firewalld filter_FORWARD rule reject with icmpx type admin-prohibited (verdict drop)` */
  drop: NftTraceHop;
  /** the trace's packet line, where the paste has it */
  packet?: NftTraceHop;
  bridge?: string;
}

/** firewalld's own table: `inet firewalld` (0.9+), `ip`/`ip6 firewalld` beside it on 0.6-0.8 */
const FIREWALLD_TABLE = (h: NftTraceHop) => h.table === 'firewalld' && (h.family === 'inet' || h.family === 'ip' || h.family === 'ip6');
/** the catch-all at the end of filter_FORWARD matches nothing: `reject with icmpx type admin-prohibited` (older nft), `reject with icmpx admin-prohibited`, `drop` */
const CATCH_ALL = /^(?:log prefix "[^"]*" )?(?:counter(?: packets \d+ bytes \d+)? )?(?:reject(?: with \S+(?: type)? [\w-]+)?|drop)$/;

/**
 * The trace itself dispatches the bridge to a zone's chain: `filter_FORWARD_OUT_ZONES rule oifname "docker0" goto
 * filter_FWDO_docker` (or filter_FORWARD_IN_ZONES' `iifname ... filter_FWDI_<zone>`; firewalld 1.x's
 * `filter_FORWARD_POLICIES rule iifname "docker0" jump filter_FWD_docker`; the shapes are zoneDispatchOf's): the
 * bridge is in that zone, whatever rejected the packet.
 */
function zonedInTrace(trace: NftTrace, bridge: string): boolean {
  return trace.hops.some((h) => h.kind === 'rule' && FIREWALLD_TABLE(h) && zoneDispatchOf(h.rule ?? '', bridge) !== undefined);
}

/**
 * A packet into the bridge that the trace shows is a new connection nobody translated: it passed firewalld's
 * `ct status dnat accept` without matching (no published port rewrote it) and either its `ct state { established,
 * related } accept` without matching or it is a bare SYN. A LAN host dialling a container's own address is refused
 * by design (Docker 28 drops the same in its DOCKER chain): no sign of the bridge's zone.
 */
function newDirectConnection(trace: NftTrace): boolean {
  const fw = trace.hops.filter((h) => h.kind === 'rule' && FIREWALLD_TABLE(h) && h.verdict === 'continue');
  const notDnat = fw.some((h) => /\bct status (?:\{ ?)?dnat\b/.test(h.rule ?? ''));
  const notReply = fw.some((h) => /\bct state (?:\{ ?)?(?:established|related)\b.*\baccept$/.test(h.rule ?? ''));
  const syn = trace.hops.some((h) => h.kind === 'packet' && /\btcp flags == syn\b(?! ?\|)/.test(h.excerpt));
  return notDnat && (notReply || syn);
}

/**
 * The traces that end in firewalld's final FORWARD reject, each with the container bridge it came in
 * on or went out of. A trace whose packet line names neither interface a container bridge is a
 * host's own forwarding (eth0 to eth1) and is left out; one without a packet line is kept, unnamed.
 */
export function firewalldForwardRejects(logs: readonly NftTraceLog[]): FirewalldForwardReject[] {
  const out: FirewalldForwardReject[] = [];
  for (const log of logs) {
    for (const trace of log.traces) {
      const drop = trace.dropped;
      if (!drop || drop.kind !== 'rule' || !FIREWALLD_TABLE(drop) || drop.chain !== 'filter_FORWARD' || !CATCH_ALL.test(drop.rule ?? '')) continue;
      const packet = trace.hops.find((h) => h.kind === 'packet');
      const shown = [trace.iif, trace.oif].filter((i): i is string => i !== undefined);
      const bridge = shown.find((i) => CONTAINER_BRIDGE.test(i));
      if (shown.length > 0 && !bridge) continue;
      if (bridge && zonedInTrace(trace, bridge)) continue;
      if (bridge && trace.oif === bridge && trace.iif !== bridge && newDirectConnection(trace)) continue;
      out.push({ log, trace, drop, packet, bridge });
    }
  }
  return out;
}

export default defineAnalyzer({
  id: 'firewalld.container-interface-unzoned',
  title: 'A container bridge is not in an open firewalld zone',
  description: 'A container bridge is in no firewalld zone, or in one whose target rejects or drops its traffic (also read from an nft monitor trace ending in firewalld\'s FORWARD reject).',
  scope: 'node',
  requires: [],
  requiresOneOf: ['firewalldZones', 'nftTrace'],
  optional: ['firewalldZones', 'nftTrace', 'ipAddr', 'firewalldConf', 'nftables', ...DOCKER_RESTART_KINDS],
  partialWithout: { ipAddr: 'which container bridges the node has (ip addr): the zones were read, the bridges were not' },
  analyze({ node, artifacts, partly }) {
    const traces = artifacts.nftTrace ?? [];
    const zoneFiles = artifacts.firewalldZones ?? [];
    const zones = zoneFiles.flatMap((z) => z.zones);
    // firewalld.conf, or the zone listing's (default) mark, else firewalld's own default: public
    const defaultZone =
      artifacts.firewalldConf?.[0]?.defaultZone ?? zoneFiles.find((z) => z.defaultZone)?.defaultZone ?? (zones.some((z) => z.name === 'public') ? 'public' : undefined);
    const findings: FindingDraft[] = [];
    const byBridge = new Map<string, FindingDraft>();
    // zones on disk with firewalld disabled block nothing (a trace through firewalld's table shows it ran)
    const states = findService(artifacts.services ?? [], 'firewalld');
    const firewalldOff = states.length > 0 && !isActive(states) && !isEnabled(states);
    if (zoneFiles.length > 0 && artifacts.ipAddr && !firewalldOff) {
      const dockerRestart = dockerRestartOf(artifacts);
      const after = dockerAfterFirewalldReload(artifacts, { dockerRestart }, "firewalld reload removes Docker's rules");
      for (const itf of interfacesOf(artifacts.ipAddr).values()) {
        if (!CONTAINER_BRIDGE.test(itf.name)) continue;
        const hit = zoneOfInterface(zones, itf.name, defaultZone);
        const target = hit?.zone.target;
        const open = hit && hit.via === 'interface' && (target === 'ACCEPT' || hit.zone.forward === true);
        if (open) continue;
        // the running firewalld's own table dispatches the bridge to a zone (`iifname "docker0" goto filter_IN_docker`):
        // zoned at runtime, whatever the permanent files say (R26 15)
        const live = liveZoneOfInterface(artifacts.nftables, itf.name)?.zone;
        if (live && (live === 'docker' || live === 'trusted' || zones.some((z) => z.name === live && (z.target === 'ACCEPT' || z.forward === true)))) continue;
        // no dispatch found in a cut-off nft listing: it may be in the part cut off (the open firewalld table, or a table after the cut)
        const cutNote = live ? undefined : nftCutNote(artifacts.nftables ?? [], { name: 'firewalld' });
        if (cutNote) {
          partly?.(`${itf.name}: whether the running firewalld puts it in a zone was not checked: ${cutNote}; collect the whole nft list ruleset`, ['nftables']);
          continue;
        }
        // zones read from the permanent configuration only (etc/firewalld/zones/*.xml): Docker 20.10+ creates its docker zone
        // there but binds its bridges to it at runtime only (libnetwork's firewalld.go), so a Docker bridge missing from
        // docker.xml is no sign it is unzoned
        if (DOCKER_BRIDGE.test(itf.name) && zones.some((z) => z.name === 'docker') && zoneFiles.every((z) => /\.xml$/.test(z.file))) {
          partly?.(`${itf.name}: the zones are the permanent configuration only (zone files), where Docker's bridges are not listed (Docker binds them to its docker zone at runtime): collect firewall-cmd --get-active-zones to see the running firewalld's`, ['firewalldZones']);
          continue;
        }
        const evidence: Evidence[] = [{ file: itf.ref.file, line: itf.ref.line, excerpt: `${itf.name}${itf.addresses[0] ? ' ' + itf.addresses[0].cidr : ''}`, note: 'the container bridge' }];
        if (hit) evidence.push({ file: hit.zone.ref.file, line: hit.zone.ref.line, excerpt: `${hit.zone.name}: target ${target}${hit.zone.forward === false ? ', forward no' : ''}`, note: hit.via === 'default' ? 'the default zone, which takes every interface no zone names' : 'the zone the bridge is in' });
        else evidence.push({ file: zoneFiles[0].file, line: 0, excerpt: `no zone names ${itf.name} and no default zone is known`, note: 'searched the zones here' });
        const finding: FindingDraft = {
          severity: 'warning' as const,
          title: 'A container bridge is not in an open firewalld zone',
          message: hit
            ? `${itf.name} on ${node} falls into firewalld zone "${hit.zone.name}"${hit.via === 'default' ? ' (the default zone: no zone names it)' : ''} with target ${target}${hit.zone.forward === false ? ' and forwarding off' : ''}: firewalld's own nftables table rejects container traffic that the iptables rules accept, and iptables-save never shows it.`
            : `${itf.name} on ${node} is in no firewalld zone: its traffic meets firewalld's catch-all reject.`,
          impact: 'Containers cannot reach host ports or each other across the bridge although every iptables rule allows it.',
          evidence,
          facts: { bridge: itf.name, zone: hit?.zone.name, target, via: hit?.via },
          remedy: {
            summary: `Put ${itf.name} in the trusted zone (or Docker's docker zone), permanently.`,
            commands: [`firewall-cmd --permanent --zone=trusted --add-interface=${itf.name}`, 'firewall-cmd --reload', ...after.commands],
            caution: after.restarts
              ? 'firewall-cmd --reload rebuilds the rules: restarting docker afterwards restarts every container.'
              : "firewall-cmd --reload removes Docker's iptables rules for a moment, until Docker writes them again.",
          },
        };
        findings.push(finding);
        byBridge.set(itf.name, finding);
      }
    }
    findings.push(...traceFindings(node, firewalldForwardRejects(traces), byBridge, zones, defaultZone, partly));
    return findings;
  },
});

const traceEvidence = (r: FirewalldForwardReject): Evidence[] => [
  ...(r.packet ? [{ file: r.packet.ref.file, line: r.packet.ref.line, excerpt: r.packet.excerpt, note: `the traced packet${r.trace.iif ? `, in on ${r.trace.iif}` : ''}${r.trace.oif ? `, out on ${r.trace.oif}` : ''}` }] : []),
  { file: r.drop.ref.file, line: r.drop.ref.line, excerpt: r.drop.excerpt, note: "firewalld's catch-all forward reject: no zone or policy took the packet" },
];

/**
 * One finding per container bridge the traces name (its evidence added to the zone listing's finding
 * when that one already flags the bridge); traces without a packet line make one finding that cannot
 * name the bridge, unless a bridge is named already.
 */
function traceFindings(
  node: string,
  rejects: FirewalldForwardReject[],
  byBridge: Map<string, FindingDraft>,
  zones: readonly FirewalldZone[],
  defaultZone: string | undefined,
  partly: Partly | undefined,
): FindingDraft[] {
  const out: FindingDraft[] = [];
  const named = new Map<string, FirewalldForwardReject[]>();
  const unnamed: FirewalldForwardReject[] = [];
  for (const r of rejects) {
    if (r.bridge) named.set(r.bridge, [...(named.get(r.bridge) ?? []), r]);
    else unnamed.push(r);
  }
  for (const [bridge, rs] of named) {
    const evidence = rs.slice(0, 3).flatMap(traceEvidence);
    const existing = byBridge.get(bridge);
    if (existing) {
      existing.evidence.push(...evidence);
      existing.facts = { ...existing.facts, traced: true };
      continue;
    }
    const hit = zones.length > 0 ? zoneOfInterface(zones, bridge, defaultZone) : undefined;
    if (hit) evidence.push({ file: hit.zone.ref.file, line: hit.zone.ref.line, excerpt: `${hit.zone.name}: target ${hit.zone.target}`, note: hit.via === 'default' ? 'the default zone the zone listing would give it (the running firewalld did not)' : 'the zone the listing names for it (not the running firewalld\'s, which rejected it)' });
    const docker = /^(docker0|br-[0-9a-f]{12})$/.test(bridge);
    const zone = docker && (zones.length === 0 || zones.some((z) => z.name === 'docker')) ? 'docker' : 'trusted';
    const r = rs[0];
    const path = `${r.trace.iif ?? '?'} -> ${r.trace.oif ?? '?'}`;
    out.push({
      severity: 'warning',
      title: 'A container bridge is not in an open firewalld zone',
      message:
        `An nft monitor trace on ${node} shows a packet ${path} rejected by firewalld's catch-all at the end of ${r.drop.family} firewalld filter_FORWARD ` +
        `("${r.drop.rule}", ${r.drop.ref.file}:${r.drop.ref.line}): no zone or policy took it: ${bridge} is in no firewalld zone (or in none that forwards its traffic). ` +
        `firewalld's own nftables table rejects what Docker's iptables rules accept, and iptables-save never shows it.` +
        (docker ? ` A Docker --internal network's bridge is the known case: Docker puts docker0 and its other bridges in zone docker, not an internal network's (moby/libnetwork#2647, docker/for-linux#1353).` : ''),
      impact: `Containers on ${bridge} get "Host is unreachable" / "No route to host" (icmp admin-prohibited) for traffic firewalld forwards, even between two containers on the same bridge, although every iptables rule allows it.`,
      evidence,
      facts: { bridge, zone: hit?.zone.name, target: hit?.zone.target, via: hit?.via, traced: true, traces: rs.length },
      remedy: {
        // firewall-cmd(1): ALREADY_ENABLED is "treated as succeeded", exit 0 (firewalld/firewalld#905), so pasting twice is harmless
        summary: `Put ${bridge} in firewalld's ${zone} zone, in the running firewalld and in its permanent configuration (no reload needed). Run twice, firewall-cmd only warns ALREADY_ENABLED.`,
        commands: [`firewall-cmd --zone=${zone} --add-interface=${bridge}`, `firewall-cmd --permanent --zone=${zone} --add-interface=${bridge}`],
        caution: `A ZONE_CONFLICT error means ${bridge} is bound to another zone after all: see \`firewall-cmd --get-zone-of-interface=${bridge}\`. A Docker network removed and created again gets a new bridge name, which needs adding again.`,
      },
    });
  }
  if (unnamed.length > 0 && named.size === 0 && byBridge.size === 0) {
    const r = unnamed[0];
    partly?.('the nft monitor trace lacks its packet lines (iif/oif), so which bridge firewalld rejected is not shown', ['ipAddr', 'firewalldZones']);
    out.push({
      severity: 'warning',
      title: 'A container bridge is not in an open firewalld zone',
      message:
        `An nft monitor trace on ${node} shows a forwarded packet rejected by firewalld's catch-all at the end of ${r.drop.family} firewalld filter_FORWARD ("${r.drop.rule}", ${r.drop.ref.file}:${r.drop.ref.line}): ` +
        `no zone or policy took it. On a container host that is a bridge in no firewalld zone; a Docker --internal network's bridge is the known case (moby/libnetwork#2647, docker/for-linux#1353). ` +
        `The trace's packet lines (iif/oif) are not in the bundle, so the bridge is not named here.`,
      impact: 'Containers get "Host is unreachable" / "No route to host" for traffic firewalld forwards, although every iptables rule allows it.',
      evidence: unnamed.slice(0, 3).flatMap(traceEvidence),
      facts: { traced: true, traces: unnamed.length },
      remedy: {
        summary:
          'Find the container bridge that is in no zone (a br-<id> missing from --get-active-zones), then put it in zone docker (trusted for a non-Docker bridge), runtime and permanent: `firewall-cmd --zone=docker --add-interface=<bridge>` and `firewall-cmd --permanent --zone=docker --add-interface=<bridge>`.',
        commands: ['firewall-cmd --get-active-zones', 'ip -br link show type bridge'],
      },
    });
  }
  return out;
}
