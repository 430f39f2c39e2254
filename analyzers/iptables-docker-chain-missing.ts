/**
 * iptables.docker-chain-missing: Docker runs, but its DOCKER chain or the jumps to it are gone
 * from the live rules: a firewall restart or `iptables --flush` removed them and Docker does not
 * notice. `docker run -p` then fails with "No chain/target/match by that name".
 * A chain that exists but that nothing on the packet's path reaches is as good as gone: Docker's
 * filter chains must be reachable from FORWARD (Docker 28+: FORWARD -> DOCKER-USER, DOCKER-FORWARD
 * -> DOCKER-CT / DOCKER-BRIDGE -> DOCKER; older: FORWARD -> DOCKER-USER, DOCKER-ISOLATION-STAGE-1,
 * DOCKER), its nat DOCKER chain from PREROUTING and from OUTPUT. When the unit state says
 * docker.service failed or is inactive, nothing flushed anything: dockerd never made its chains.
 * DOCKER-USER (Docker 17.06+, where admins put their own rules for container traffic) absent from a
 * whole live dump, or not reached from FORWARD, while Docker's other chains work: a finding of its own,
 * critical where the bundle holds the admin's DOCKER-USER rules (saved rules.v4, /etc/sysconfig/iptables,
 * ufw's /etc/ufw/after.rules, or the unreached live chain) that are thus not applied; the cause named where
 * the version proves it (19.03.3: docker/for-linux#810). Without live rules (a docker version / docker info
 * paste), only Docker 19.03.3 is said: info, a warning where saved DOCKER-USER rules are in the bundle.
 */
import { defineAnalyzer } from '../src/engine/analyzer.js';
import type { Evidence } from '../src/report/schema.js';
import { dockerdState, dockerVersion } from './lib/container-host.js';
import type { Chain, Rule, Ruleset } from '../src/netfilter/rules.js';
import type { DockerDaemonConfig } from '../src/parsers/docker-daemon.js';
import { dockerBridges, dockerPresence, liveViews, liveViews6, reaches, type BackendView } from './lib/node-view.js';
import { peerAddress } from './lib/probe-address.js';
import { dockerIpv6Use, dockerManagesIp6tables } from './lib/ipv6-use.js';
import { findService, isActive, isEnabled } from '../src/parsers/services.js';
import { dockerdArgs, dockerdSettings, parseDockerdFlags } from '../src/parsers/dockerd-flags.js';
import type { NodeArtifacts } from '../src/engine/artifacts.js';
import type { FindingDraft } from '../src/engine/analyzer.js';
import { logEvidence } from './lib/logs.js';
import type { LogScanResult } from '../src/logs/index.js';
import { dockerRestartOf, restartDocker } from './lib/node-services.js';
import { foreignBaseChains } from '../src/netfilter/save-format.js';
import { isChainTarget, jumpTargets, listingCannotShow, rowsComplete, type ListingGap } from './lib/list-coverage.js';
import { savedConfigHostPath, ufwRulesFile } from '../src/layouts/rules.js';
import { hostFirewall } from './lib/host-firewall.js';
import { swarmOf } from './lib/swarm.js';
import { trace, type Packet } from '../src/netfilter/trace.js';
import { traceContext, uplinkOf, UNKNOWN_UPLINK } from './lib/node-view.js';

/** Docker's filter chains the FORWARD path must reach, and how Docker jumps to each from FORWARD (for the message). */
const FORWARD_CHAINS: { chain: string; jump: string; critical: boolean }[] = [
  { chain: 'DOCKER-FORWARD', jump: '-A FORWARD -j DOCKER-FORWARD', critical: true },
  { chain: 'DOCKER', jump: '-A FORWARD -o docker0 -j DOCKER', critical: true },
  { chain: 'DOCKER-ISOLATION-STAGE-1', jump: '-A FORWARD -j DOCKER-ISOLATION-STAGE-1', critical: false },
  { chain: 'DOCKER-ISOLATION', jump: '-A FORWARD -j DOCKER-ISOLATION', critical: false },
  { chain: 'DOCKER-USER', jump: '-A FORWARD -j DOCKER-USER', critical: false },
];

/** Logs that show why dockerd did not start (a signature for "failed to start daemon" would belong here too). */
const START_ERRORS = ['log.docker-start-failed', 'log.docker-network-controller-failed', 'log.docker-no-free-address-pool'];

export default defineAnalyzer({
  id: 'iptables.docker-chain-missing',
  title: "Docker's iptables chains are missing",
  description: 'Docker is present but the DOCKER chain (filter/nat) or the jumps to it are not in the live rules (ip6tables too, where Docker manages it and uses IPv6).',
  scope: 'node',
  requires: [],
  // docker version / docker info (dockerDaemon) or the packages alone: Docker 19.03.3's missing DOCKER-USER is said without rules
  requiresOneOf: ['iptables', 'dockerDaemon', 'packages'],
  optional: ['iptables', 'ipAddr', 'dockerNetworks', 'services', 'logs', 'dockerDaemon', 'nftables', 'packages'],
  analyze({ node, artifacts, partly }) {
    const docker = dockerPresence(artifacts);
    // no live rules at all (a paste of docker version / docker info, or saved configurations only): nothing to
    // check but what the engine's version alone says (Docker 19.03.3 makes no DOCKER-USER); not for a rootless
    // or iptables-off Docker (no chains of its in the host's rules either way)
    if (liveViews(artifacts).length === 0 && liveViews6(artifacts).length === 0) {
      partly?.("Docker's chains not checked: the bundle has no live iptables rules (iptables-save)", ['iptables']);
      const note = docker.rootless || docker.noIptables ? undefined : regression1903Note(node, artifacts, docker.evidence);
      return note ? [note] : [];
    }
    // Docker's own chains in the live rules (DOCKER-FORWARD, DOCKER-USER, ...) show it writes rules
    // here even when nothing else in the bundle names Docker: then only what those chains prove is
    // checked (a jump to them missing), not chains a hand-abridged paste may have left out
    const ownChains = docker.evidence.length === 0 ? dockerChainsIn(liveViews(artifacts)) : [];
    if (docker.evidence.length === 0 && ownChains.length === 0) return [];
    const fromChains = docker.evidence.length === 0;
    if (fromChains) docker.evidence.push(ownChains[0]);
    // no iptables rules of Docker's to miss with Docker 29's nftables firewall back end (daemon.json,
    // its flag, or its table docker-bridges in the nft listing)
    // rootless Docker: its chains are in RootlessKit's namespace; the host's dump never holds them
    if (docker.rootless) return [rootlessNote(node, docker.rootless)];
    if (docker.noIptables && !docker.firewallOff) return [];
    // a cut nft listing may hold Docker 29's table ip docker-bridges past its cut, and nothing else says which back end
    // Docker uses: its iptables chains may be absent by design, so their absence is not judged
    if (docker.backendUnknown) {
      partly?.(`Docker's iptables chains were not checked: ${docker.backendUnknown}; collect the whole nft list ruleset (or docker info)`, ['nftables']);
      return [];
    }
    // (with iptables off, Docker's chains are absent by design wherever the host's own rules are: iptablesOff says so)
    const v4 = gapsIn(liveViews(artifacts), artifacts, '', fromChains, 4, !docker.firewallOff);
    // DOCKER-USER absent or unreached while Docker's chains work: a finding of its own (not while dockerd is down)
    const user = v4.user && !docker.firewallOff && dockerdState(artifacts).running !== false ? [dockerUserFinding(node, v4.user, artifacts, docker.evidence)] : [];
    // IPv6: Docker's ip6tables chains, where Docker manages ip6tables and its networks use IPv6
    const v6 = docker.firewallOff ? undefined : ipv6Gaps(artifacts);
    const missing: Gap[] = [...v4.missing, ...(v6?.missing ?? [])];
    const chainsAbsent = v4.chainsAbsent || (v6?.chainsAbsent ?? false);
    // what no listing can show missing (a listing cut after its first rows, or of some chains only): not a flush
    const undecided = [...v4.undecided, ...(v6?.undecided ?? [])];
    // tables iptables-nft shows without the base chains written with nft (no nft listing of them): not judged
    const held = [...v4.held, ...(v6?.held ?? [])];
    if (held.length > 0) partly?.(heldNote(held), ['nftables']);
    const cut = [...v4.cut, ...(v6?.cut ?? [])];
    if (cut.length > 0 && !docker.firewallOff) partly?.(cutNote(cut));
    if (undecided.length > 0) partly?.(`not judged, no listing would show them: ${undecided.map((u) => `${u.what} (${u.listings.map((l) => `${l.file}:${l.line}`).join(', ')})`).join('; ')}`);
    // Swarm's filter DOCKER-INGRESS (moby#32918): only where Docker's other IPv4 chains are whole and dockerd runs
    const swarmGap = v4.missing.length === 0 && !docker.firewallOff && dockerdState(artifacts).running !== false ? swarmIngressGap(node, artifacts) : undefined;
    const swarm = swarmGap ? [swarmGap] : [];
    if (missing.length === 0) return [...(undecided.length > 0 && !docker.firewallOff ? [cannotTell(node, undecided, docker.evidence)] : []), ...user, ...swarm];
    // --iptables=false / "iptables": false: Docker never makes its chains; nothing flushed them
    if (docker.firewallOff) return v4.missing.length ? [iptablesOff(node, docker.firewallOff, docker.evidence, foundOf(v4.missing), artifacts)] : [];
    const severity = missing.some((m) => m.critical) ? ('critical' as const) : ('warning' as const);
    const found: Evidence[] = foundOf(missing);
    const what = found.map((m) => m.excerpt).join('; ');
    const alsoCited = missing.flatMap((m) => m.also ?? []);
    const state = dockerdState(artifacts);
    // a unit file edited to --iptables=false since dockerd started: not in effect until it restarts
    const pending = dockerdSettings(artifacts.dockerDaemon).pending.find((p) => /^--?iptables=/.test(p.flag));

    // dockerd not running with its IPv4 chains in place: it made them and stopped; it makes the IPv6 ones again as it starts
    if (state.running === false && v4.missing.length === 0) return [];
    // docker info could not reach the daemon, and nothing else says how dockerd runs
    if (state.running === false && state.state === 'unreachable') return [unreachable(node, state.evidence!, found, docker.evidence, artifacts)];
    if (state.running === false) {
      // nothing flushed the chains: dockerd is not running, so it never made them
      const failed = state.state === 'failed';
      const errors = logEvidence(artifacts.logs, START_ERRORS);
      const journals = (artifacts.logs ?? []).filter((l) => isDockerdLog(l) && !errors.some((e) => e.file === l.file));
      const journalEvidence: Evidence[] = journals
        .slice(0, 2)
        .map((l) => ({ file: l.file, line: 0, excerpt: `${l.lines} lines of dockerd's journal${l.lastTimestamp ? `, to ${l.lastTimestamp.iso}` : ''}`, note: failed ? 'the start error is here: read it (journalctl -u docker)' : 'why it stopped, if it did, is here' }));
      const why = errors.length
        ? ` The log says why it did not start: ${errors[0].excerpt.slice(0, 200)} (${errors[0].file}:${errors[0].line}).`
        : failed
          ? ` Its start error is in ${journals.length ? journals[0].file : 'journalctl -u docker'}.`
          : '';
      return [
        {
          severity: 'critical',
          title: "Docker's iptables chains are missing",
          message:
            `Docker is installed on ${node} but dockerd is not running: ${state.state === 'not running' ? 'the process listing shows no dockerd' : `docker.service is ${state.state}`} (${state.evidence!.file}${state.evidence!.line ? `:${state.evidence!.line}` : ''}). ${what[0].toUpperCase()}${what.slice(1)}: dockerd never created them (no firewall flushed them), and no container can be started until it runs.` +
            why,
          impact: failed ? 'Docker cannot start containers on the node; restarting it repeats the same failure until its cause is fixed.' : 'Docker cannot start containers on the node until dockerd runs.',
          evidence: [state.evidence!, ...found, ...errors, ...journalEvidence, ...docker.evidence.filter((e) => !(e.file === state.evidence!.file && e.line === state.evidence!.line))],
          facts: { missing: found.map((m) => m.excerpt), dockerd: state.state },
          remedy: failed || errors.length
            ? {
                summary: 'Find out why dockerd fails to start and fix that (a storage driver, daemon.json, the iptables back end, ...); once it starts it creates its chains. A plain restart only repeats the failure.',
                commands: [
                  'systemctl status docker --no-pager',
                  'journalctl -u docker -b --no-pager | tail -n 50   # the start error, e.g. "failed to start daemon: ..."',
                  'systemctl start docker   # once the cause is fixed',
                  'iptables -t nat -S DOCKER && iptables -S DOCKER   # check the chains are there',
                ],
              }
            : {
                summary: 'Start dockerd: it creates its chains as it starts. If it does not stay up, its journal says why.',
                commands: ['systemctl start docker', 'systemctl status docker --no-pager || journalctl -u docker -b --no-pager | tail -n 50', 'iptables -t nat -S DOCKER && iptables -S DOCKER   # check the chains are there'],
              },
        },
      ];
    }

    const logs = logEvidence(artifacts.logs, ['log.iptables-no-chain', 'log.docker-port-programming-failed', 'log.firewall-restart']);
    const restart = logs.find((e) => e.note?.startsWith('log.firewall-restart'));
    const only6 = v4.missing.length === 0;
    // nat PREROUTING shown whole without Docker's jump, in a listing cut before the user chains (moby#10218)
    const cutNat = missing.find((m) => m.chainUnknown);
    const symptom = only6
      ? v6!.chainsAbsent
        ? "Containers' IPv6 traffic is not forwarded as Docker set it up (the filter FORWARD chain decides it without Docker's rules) and ports published on the host's IPv6 addresses cannot be reached; IPv4 works."
        : "IPv6 packets never reach Docker's ip6tables rules: published ports and container traffic over IPv6 are not handled as Docker set them up; IPv4 works."
      : chainsAbsent
        ? 'Containers with published ports cannot be reached and new ones fail to start with "No chain/target/match by that name".'
        : cutNat
          ? `The listing ends before the user chains, so it does not show whether the DOCKER chain itself is still there; without the jump, connections to published ports never reach it either way: they are not forwarded to the containers, and where the chain is gone too, docker run -p fails ("Cannot start container", "No chain/target/match by that name").`
        : severity === 'critical'
          ? 'The chains are still there, so docker run -p succeeds, but packets never reach its rules: published ports and container traffic are not handled as Docker set them up.'
          : 'Outside traffic still reaches the published ports.';
    const v6Service = v6?.missing.length ? v6.service : undefined;
    const flusher = v6?.missing.length
      ? `an ${v6Service ? `ip6tables.service (${v6Service.excerpt}, ${v6Service.file}:${v6Service.line})` : 'ip6tables.service'} or firewalld restart (ip6tables.service restores /etc/sysconfig/ip6tables, which holds no Docker chains), or ip6tables --flush`
      : `an iptables.service or firewalld restart${chainsAbsent ? ', or iptables --flush' : ', iptables --flush of a chain, or a hand-made iptables -D'}`;
    // only jumps are missing (Docker's chains are there, or a listing cut before them): said as such, in the title too
    const jumps = jumpsOnly(missing);
    const shown = firewallShown(artifacts, !!restart);
    const checks = [
      ...(v4.missing.length ? ['iptables -t nat -S DOCKER && iptables -S DOCKER && iptables -S FORWARD   # check the chains and the jumps are back'] : []),
      ...(cutNat ? ["iptables -t nat -S PREROUTING | grep -e '-j DOCKER'; iptables -t nat -S POSTROUTING | grep MASQUERADE   # Docker's jump from PREROUTING and its MASQUERADE are back"] : []),
      ...(v6?.missing.length ? ['ip6tables -t nat -S DOCKER && ip6tables -S DOCKER && ip6tables -S FORWARD   # check the IPv6 chains and jumps are back'] : []),
    ];
    return [
      {
        severity,
        title: jumps ? jumps.title(only6) : only6 ? "Docker's ip6tables (IPv6) chains are missing" : "Docker's iptables chains are missing",
        message:
          (jumps
            ? `${jumps.lead(only6)} on ${node}: ${what}.${fromChains ? ` (Docker's own chains in the live rules, ${ownChains.map((e) => e.excerpt.replace(/^chain /, '')).slice(0, 4).join(', ')}, show that Docker writes its rules here.)` : ''} ${symptom}`
            : only6
            ? `Docker runs on ${node} with IPv6 networks and manages ip6tables, and its IPv4 (iptables) chains are intact, but its IPv6 (ip6tables) chains are missing: ${what.replace(/ip6tables \(IPv6\): /g, '')}. ${symptom}`
            : fromChains
              ? `Docker's own chains are in the live rules of ${node} (${ownChains.map((e) => e.excerpt.replace(/^chain /, '')).slice(0, 4).join(', ')}): Docker writes its rules here, but ${what}. ${symptom}`
              : `Docker runs on ${node} but ${what}. ${symptom}`) +
          (restart
            ? ` A firewall restart is logged${restart.time ? ` at ${restart.time}` : ''}: it flushed the rules Docker had added.`
            : cutNat?.firewalld
              ? " firewalld's jumps (PREROUTING_direct, PREROUTING_ZONES, ...) fill the built-in nat chains: firewalld was started or reloaded after Docker and rebuilt the nat table without Docker's rules (Docker adds them only as it starts)."
              : jumps && !shown && !v6?.missing.length
                ? ` ${jumps.cause}`
                : ` Something ${chainsAbsent ? 'flushed them' : 'removed them'}: ${flusher}.`) +
          (cutNat?.noMasquerade
            ? ` POSTROUTING ${cutNat.noMasquerade === 'whole' ? 'has' : 'shows'} no MASQUERADE of Docker's either (-s 172.17.0.0/16 ! -o docker0 -j MASQUERADE${cutNat.noMasquerade === 'shown' ? '; the listing may end inside the chain' : ''}), but whether containers' outgoing traffic is masqueraded is not judged here` +
              (cutNat.firewalld ? ": firewalld's zone masquerade, behind POSTROUTING_ZONES (not listed), may do it." : '.')
            : '') +
          (pending
            ? ` docker.service now says ${pending.flag} (${pending.ref.file}:${pending.ref.line}), but the running dockerd was started without it: if Docker is meant to leave iptables alone, restart it to apply that instead.`
            : ''),
        impact: only6
          ? 'Container IPv6 connectivity and IPv6 published ports are broken; Docker does not recreate the chains on its own.'
          : severity === 'critical'
            ? 'Published container ports are unreachable; docker run -p fails or has no effect; Docker does not recreate the chains or jumps on its own.'
            : 'Connections from the host to its own published ports rely on docker-proxy; with "userland-proxy": false they fail.',
        evidence: [
          ...found,
          ...alsoCited,
          ...docker.evidence.filter((e) => !found.some((f) => f.file === e.file && f.line === e.line)),
          ...(v6?.missing.length ? v6.why : []),
          ...(state.evidence ? [state.evidence] : []).filter((e) => !docker.evidence.some((d) => d.file === e.file && d.line === e.line)),
          ...logs,
          ...(pending ? [{ file: pending.ref.file, line: pending.ref.line, excerpt: pending.excerpt, note: `${pending.flag}: not in the running dockerd's command line (the unit was edited since it started)` }] : []),
        ],
        facts: { missing: found.map((m) => m.excerpt), firewallRestartAt: restart?.time, families: [...(v4.missing.length ? ['ipv4'] : []), ...(v6?.missing.length ? ['ipv6'] : [])] },
        remedy: {
          summary: v6Service
            ? "Stop ip6tables.service from restoring its saved rules over Docker's (stopping it flushes the IPv6 rules, so do it first), then restart Docker to recreate its chains and jumps."
            : cutNat?.firewalld
              ? 'Restart Docker with firewalld running: Docker adds its chains and jumps again as it starts (through firewalld), and firewalld keeps them until its next reload.'
              : shown
                ? `Restart Docker to recreate its chains and jumps, then stop the firewall service from flushing them again (${v6?.missing.length ? 'ip6tables.service for IPv6; ' : ''}see iptables.service-conflict).`
                : jumps
                  ? `Restart Docker to put its jump${jumps.plural ? 's' : ''} back (dockerd inserts ${jumps.plural ? 'them' : 'it'} as it starts), then find what removed ${jumps.plural ? 'them' : 'it'}: the bundle shows no firewall service that restores rules over Docker's (look for what flushes or rewrites ${jumps.from} after dockerd starts: a start script or cron job that runs \`iptables -F\`, \`iptables -P\` or \`iptables-restore\` after Docker, a configuration tool such as Ansible or Puppet, or a firewall the bundle did not collect).`
                  : "Restart Docker to recreate its chains and jumps, then find what removed them: the bundle shows no firewall service that restores rules over Docker's (look for an `iptables -F` or `iptables-restore` in a script or cron job, a configuration tool such as Ansible or Puppet, or a firewall the bundle did not collect).",
          commands: [
            ...(v6Service ? ['systemctl disable ip6tables.service && systemctl mask ip6tables.service   # not --now: its stop flushes every IPv6 rule, the host\'s own included; disabled, it does not flush them again at the next boot'] : []),
            ...restartDocker({ dockerRestart: dockerRestartOf(artifacts) }),
            ...missing.flatMap((m) => (m.fix ? [m.fix] : [])),
            ...checks,
          ],
          caution:
            'Restarting docker restarts every container on the node; in OpenShift also restart the node service.' +
            (cutNat?.firewalld ? ' Restart Docker after every firewalld start or reload (firewall-cmd --reload, systemctl restart firewalld): each rebuilds the nat table without its rules.' : '') +
            (cutNat?.noMasquerade ? " Docker's MASQUERADE comes back with the restart; if containers still cannot reach outside after it, look at firewalld's masquerade (firewall-cmd --list-all; iptables -t nat -S POSTROUTING_ZONES) before adding one by hand." : '') +
            (v6Service ? " With ip6tables.service off, the host's own IPv6 INPUT rules from /etc/sysconfig/ip6tables are gone: keep them in firewalld or another place that does not flush Docker's chains." : ''),
        },
      },
      ...user,
      ...swarm,
    ];
  },
});

/**
 * Docker's chains missing where the bundle's docker info (or docker version) could not reach the
 * daemon, and no unit state or process listing says more: dockerd was not running, or not on its
 * socket, when the bundle was collected. Docker makes its chains only while it runs, so their absence
 * is what a stopped daemon looks like, not a sign a firewall flushed them. A warning: the bundle
 * does not show whether dockerd is down for good or was restarting at that moment (critical where a
 * start error is logged: then it did not come up).
 */
function unreachable(node: string, said: Evidence, found: Evidence[], dockerEvidence: Evidence[], artifacts: NodeArtifacts): FindingDraft {
  const errors = logEvidence(artifacts.logs, START_ERRORS);
  const what = found.map((m) => m.excerpt).join('; ');
  return {
    severity: errors.length ? 'critical' : 'warning',
    title: "Docker's iptables chains are missing: dockerd was not running when the bundle was collected",
    message:
      `Docker is installed on ${node}, and ${what}; but the Docker CLI's output in the bundle says no daemon answered: "${said.excerpt.trim()}" (${said.file}:${said.line}). ` +
      "dockerd was not running, or not listening on its socket, when the bundle was collected, and Docker creates its chains only while it runs: their absence is what a stopped daemon looks like, not a sign that a firewall flushed them. " +
      (errors.length
        ? `The log says why it did not start: ${errors[0].excerpt.slice(0, 200)} (${errors[0].file}:${errors[0].line}).`
        : 'The bundle has no docker.service state or process listing to say whether it is down for good, crashed, or was restarting at that moment.'),
    impact: 'While dockerd is down no container runs or can be started on the node; once it runs it creates its chains again.',
    evidence: [said, ...found, ...errors, ...dockerEvidence.filter((e) => !(e.file === said.file && e.line === said.line))],
    facts: { missing: found.map((m) => m.excerpt), dockerd: 'unreachable' },
    remedy: {
      summary: 'Check whether dockerd runs now and start it if not: it creates its chains as it starts. Only if it runs and the chains are still missing did something remove them (then restart it, and see iptables.service-conflict).',
      commands: [
        'systemctl status docker --no-pager',
        'systemctl start docker   # if it is not running',
        'journalctl -u docker -b --no-pager | tail -n 50   # why it stopped or did not start',
        'iptables -t nat -S DOCKER && iptables -S DOCKER   # the chains are there once dockerd runs',
      ],
    },
  };
}

/** Docker's chains and jumps missing from a family's live views (each back end's copy checked; a table whole in either is whole). */
function gapsIn(views: BackendView[], artifacts: NodeArtifacts, label = '', orphansOnly = false, family: 4 | 6 = 4, hold = true): { missing: Gap[]; chainsAbsent: boolean; undecided: Undecided[]; user?: UserGap; held: HeldTable[]; cut: CutTable[] } {
  const missing: Gap[] = [];
  const held: HeldTable[] = [];
  const cut: CutTable[] = [];
  const undecided: Undecided[] = [];
  let chainsAbsent = false;
  let user: UserGap | undefined;
  for (const [table, gapsOf] of [
    ['filter', filterGaps],
    ['nat', natGaps],
  ] as const) {
    if (orphansOnly && table !== 'filter') continue;
    const results = views.filter((v) => v.tables.has(table)).map((v) => ({ view: v, ...gapsOf(v.tables.get(table)!, v.files.get(table)!, artifacts, orphansOnly, coverage(v, table)) }));
    if (results.length === 0) continue;
    // DOCKER-USER absent or not reached: in every back end's copy of the table, none of them cut
    const users: (UserGap | undefined)[] = results.map((r) => ('user' in r ? (r.user as UserGap | undefined) : undefined));
    if (users.every((u) => u !== undefined) && !results.some((r) => r.view.truncated.has(table))) user = users[0];
    // what no listing of a back end could show (cut, or of some chains only): said, not judged
    if (results.every((r) => r.gaps.length === 0)) {
      if (!results.some((r) => r.view.truncated.has(table))) undecided.push(...results.flatMap((r) => r.undecided.map((u) => ({ ...u, what: `${label}${u.what}` }))));
      continue;
    }
    // a table whole in either back end is whole (a copy whose gaps its listings cannot tell counts as whole)
    if (results.some((r) => r.gaps.length === 0)) continue;
    // a dump cut at its top (sos's .tailed), or an nft listing cut off at its end (a table left open): it does not show
    // what is absent, the part cut off may hold it. Said in the coverage, not as a finding
    const cutView = results.find((r) => r.view.truncated.has(table));
    if (cutView) {
      cut.push({ table, family, file: cutView.view.files.get(table) ?? '', note: cutView.view.truncated.get(table)!, what: best(results).gaps.map((g) => `${label}${g.excerpt}`) });
      continue;
    }
    // iptables-nft's "contains incompatible base-chains" above the table, and no nft listing of it: the kernel holds base
    // chains of it (an admin's own NAT or filtering, written with nft) that iptables does not show: with the host's own
    // nftables rules doing the work, Docker may run with iptables off, so what is absent here is not judged
    const marks = foreignBaseChains(results.flatMap((r) => r.view.rulesets), table);
    if (hold && marks.length > 0 && !nftListingOf(artifacts, family === 6 ? 'ip6' : 'ip', table)) {
      held.push({ table, family, marks, what: best(results).gaps.map((g) => `${label}${g.excerpt}`) });
      continue;
    }
    // report the copy that has Docker's chains, if one does
    const chosen = best(results);
    // the gaps' commands are written for iptables: the IPv6 rules take ip6tables
    const forFamily = (g: Gap): Gap => (family === 6 && g.fix ? { ...g, fix: g.fix.replace(/(^|; )iptables /g, '$1ip6tables ') } : g);
    missing.push(...chosen.gaps.map((g) => forFamily(label ? { ...g, excerpt: `${label}${g.excerpt}` } : g)));
    chainsAbsent ||= chosen.chainsAbsent;
  }
  return { missing, chainsAbsent, undecided, user, held, cut };
}

const JUMP_FROM = { FORWARD: 'filter FORWARD', PREROUTING: 'nat PREROUTING', OUTPUT: 'nat OUTPUT' } as const;

/**
 * Where every gap is a jump missing from a built-in chain (Docker's chains are there, or a listing cut before them
 * does not show them): the words that say so. Docker (28+: setupIPChains' EnsureJumpRule for FORWARD -> DOCKER-FORWARD,
 * addNATJumpRules for PREROUTING/OUTPUT -> DOCKER; earlier releases alike) inserts these jumps as dockerd starts and
 * again when firewalld reloads, and does not watch them afterwards: a jump gone while its chain is filled was removed
 * after dockerd started. Undefined where a chain itself is missing.
 */
function jumpsOnly(missing: Gap[]): { title: (only6: boolean) => string; lead: (only6: boolean) => string; cause: string; from: string; plural: boolean } | undefined {
  if (missing.length === 0 || missing.some((m) => !m.jumpFrom)) return undefined;
  const froms = [...new Set(missing.map((m) => m.jumpFrom!))];
  const from = froms.map((f) => JUMP_FROM[f]).join(froms.length > 2 ? ', ' : ' and ').replace(/, (?=[^,]*$)/, ', and ');
  const plural = missing.length > 1 || missing.some((m) => / chains /.test(m.excerpt));
  const unknown = missing.some((m) => m.chainUnknown);
  const natOnly = froms.every((f) => f !== 'FORWARD');
  const target = natOnly ? "Docker's DOCKER chain" : "Docker's chains";
  const flushes = froms.map((f) => (f === 'FORWARD' ? 'iptables -F FORWARD' : `iptables -t nat -F ${f}`)).join(' or ');
  return {
    title: (only6) => {
      const does = froms.length > 1 ? 'do' : 'does';
      if (unknown) return `${only6 ? 'ip6tables (IPv6): ' : ''}${from} ${does} not jump to ${target}`;
      if (only6) return `Docker's ip6tables (IPv6) chains are there, but ${from} ${does} not jump to them`;
      return natOnly ? `Docker's DOCKER chain is there, but ${from} ${does} not jump to it` : `Docker's chains are there, but ${from} ${does} not jump to them`;
    },
    // the FORWARD gap's own words say the chain exists; nat's do not
    lead: (only6) => `The jump${plural ? 's' : ''} from ${only6 ? 'ip6tables (IPv6) ' : ''}${from} to ${target} ${plural ? 'are' : 'is'} missing${unknown || !natOnly ? '' : ' (the chain is there)'}`,
    cause:
      `Docker inserts ${plural ? 'these jumps' : 'this jump'} as dockerd starts (and again when firewalld reloads), and does not put ${plural ? 'them' : 'it'} back if ${plural ? 'they are' : 'it is'} removed later: ` +
      `something flushed or rewrote ${from} after dockerd started (a start script or firewall tool that runs after Docker, a restore of saved rules with iptables-restore, ${flushes}, or a hand-made iptables -D).`,
    from,
    plural,
  };
}

/** A table whose gaps are not judged because its dump is cut (its note says where and how). */
type CutTable = { table: string; family: 4 | 6; file: string; note: string; what: string[] };

/** The coverage note for tables whose dump is cut: what was not judged, and why. */
function cutNote(cut: CutTable[]): string {
  return cut.map((c) => `${c.family === 6 ? 'ip6tables' : 'iptables'} ${c.table} table not judged (${c.what.join('; ')}): ${c.file}: ${c.note}; collect the whole output (nft list ruleset, or iptables-save)`).join('; ');
}

/** The copy of a table that has Docker's chains, if one does (else the one with the fewest gaps). */
function best<T extends { chainsAbsent: boolean; gaps: Gap[] }>(results: T[]): T {
  return [...results].sort((a, b) => Number(a.chainsAbsent) - Number(b.chainsAbsent) || a.gaps.length - b.gaps.length)[0];
}

/**
 * A table whose gaps are not judged: iptables-nft printed "# Table `nat' contains incompatible base-chains, use 'nft' tool
 * to list them." above it (src/netfilter/save-format.ts FOREIGN_BASE_CHAINS) and the bundle has no nft listing of it.
 */
type HeldTable = { table: string; family: 4 | 6; marks: { ref: { file: string; line: number } }[]; what: string[] };

/** Whether an nft listing in the bundle shows table `family name` (then it is read, and a marked table is judged as before). */
function nftListingOf(artifacts: NodeArtifacts, family: 'ip' | 'ip6', name: string): boolean {
  // a table the listing is cut inside (left open at its end) is not shown whole: its base chains may be past the cut
  return (artifacts.nftables ?? []).some((rs) => rs.tables.some((t) => t.name === name && (t.family === family || t.family === 'inet') && rs.truncated?.table !== `${t.family} ${t.name}`));
}

/** The coverage note for tables held back: what was not judged, the line that says why, what to collect. */
function heldNote(held: HeldTable[]): string {
  return held
    .map(
      (h) =>
        `${h.family === 6 ? 'ip6tables' : 'iptables'} ${h.table} table not judged (${h.what.join('; ')}): iptables-nft printed "# Table \`${h.table}' contains incompatible base-chains, use 'nft' tool to list them." (${h.marks.map((m) => `${m.ref.file}:${m.ref.line}`).join(', ')}), so the ${h.family === 6 ? 'ip6' : 'ip'} ${h.table} table also holds base chains written with nft that iptables cannot show; collect \`nft list ruleset\``,
    )
    .join('; ');
}

/**
 * Docker runs, and a chain of Docker's is in no live rule file, but no file would show it: every
 * `iptables -L` listing of the table is cut (a paste that stops after FORWARD's first rows) or lists some
 * chains only (`iptables -L FORWARD`). An `iptables -L` listing has no end marker, and a chain not shown
 * is not a chain flushed. Said at info level with what would tell: a whole dump.
 */
function cannotTell(node: string, undecided: Undecided[], dockerEvidence: Evidence[]): FindingDraft {
  const listings = undecided.flatMap((u) => u.listings).filter((l, i, all) => all.findIndex((o) => o.file === l.file && o.line === l.line) === i);
  const what = [...new Set(undecided.map((u) => u.what))];
  const v6 = what.some((w) => w.startsWith('ip6tables'));
  return {
    severity: 'info',
    title: "Docker's iptables chains: the listings do not show them",
    message:
      `Cannot tell whether Docker's chains are in place on ${node}: ${listings.map((l) => `${l.file}: ${l.why}`).join('; ')}. ` +
      `iptables -L (and -S) print the built-in chains first, then the user chains by name, and no end marker: a chain a listing does not reach, or a listing of some chains (-L CHAIN), does not show missing. Not judged: ${what.join('; ')}.`,
    impact: "None known: a complete dump is needed to tell whether Docker's chains were flushed.",
    evidence: [...listings.map((l) => ({ file: l.file, line: l.line, excerpt: l.why.slice(0, 200), note: 'cannot show a chain missing' })), ...dockerEvidence.slice(0, 2)],
    facts: { undecided: what, listings: listings.map((l) => `${l.file}:${l.line}`) },
    remedy: {
      summary: 'Collect the whole rule dump, uncut, and run the check again (iptables-save lists every chain of every table).',
      commands: ['iptables-save > iptables-save.txt', ...(v6 ? ['ip6tables-save > ip6tables-save.txt'] : [])],
    },
  };
}

/** A gap the live listings cannot decide: each listing that holds the table is cut or shows some chains only. */
type Undecided = { what: string; listings: ListingGap[] };

/**
 * What one back end's files say of a table's chains: a chain is there where it is listed or where any
 * rule of the table jumps to it (iptables refuses a jump to a missing chain); its absence is shown only
 * by a file that would list it (an `iptables -L` listing that is whole: analyzers/lib/list-coverage.ts);
 * a chain's rules are all shown where its listing goes on past it.
 */
interface Coverage {
  /** listed, or jumped to by a rule of the table */
  present(chain: string): boolean;
  /** the file that shows the chain absent; undefined with why each listing cannot */
  absentIn(chain: string): { file: string } | { cannot: ListingGap[] };
  /** every rule of this (merged) chain is shown */
  whole(chain: Chain): boolean;
  /** a pipe (grep) chose which lines of the chain's listing were kept */
  filtered(chain: Chain): boolean;
  /**
   * Why an iptables-save or `iptables -S` dump cannot show a chain absent: it ends among its chain
   * declarations (`:CHAIN` / `-N CHAIN`, all printed before the first rule), before any rule of the
   * table; undefined where a rule follows them (and for `iptables -L` listings: listingCannotShow).
   */
  declarationsCut(file: string): ListingGap | undefined;
}

function coverage(v: BackendView, table: string): Coverage {
  const holding = v.rulesets.filter((rs) => rs.tables[table]);
  const jumps = jumpTargets(holding, table);
  return {
    present: (c) => v.tables.get(table)!.has(c) || jumps.has(c),
    absentIn: (c) => {
      const cannot = holding.map((rs) => ({ rs, gap: listingCannotShow(rs, table, c) }));
      const shows = cannot.find((x) => !x.gap);
      return shows ? { file: shows.rs.file } : { cannot: cannot.map((x) => x.gap!) };
    },
    whole: (chain) => {
      const rs = holding.find((r) => r.tables[table]!.chains[chain.name] === chain);
      return rs ? rowsComplete(rs, table, chain) : true;
    },
    filtered: (chain) => {
      const rs = holding.find((r) => r.tables[table]!.chains[chain.name] === chain);
      return !rs || (rs.outputFilters ?? []).some((f) => f.greps.length > 0 || f.unknown);
    },
    declarationsCut: (file) => {
      const rs = holding.find((r) => r.file === file);
      if (!rs || (rs.format !== 'save' && rs.format !== 'spec')) return undefined;
      const chains = Object.values(rs.tables[table]!.chains);
      const lastDeclared = Math.max(0, ...chains.map((c) => c.ref.line));
      if (chains.some((c) => c.rules.some((r) => r.ref.line > lastDeclared))) return undefined;
      return { file, line: lastDeclared, why: `the dump ends at line ${lastDeclared} among its chain declarations, before any rule: a chain declared after that line is not shown` };
    },
  };
}

/**
 * Docker's ip6tables chains: only checked when Docker manages ip6tables (the ip6tables setting,
 * true by default since Docker 27: shown by the flag or daemon.json key, by Docker 28+'s
 * DOCKER-FORWARD chain in the IPv4 rules, or by Docker chains left in the ip6tables dump), its
 * networks use IPv6, and the bundle has a live ip6tables dump. Undefined when it does not apply.
 */
function ipv6Gaps(artifacts: NodeArtifacts): { missing: Gap[]; chainsAbsent: boolean; undecided: Undecided[]; held: HeldTable[]; cut: CutTable[]; why: Evidence[]; service?: Evidence } | undefined {
  const views6 = liveViews6(artifacts);
  if (views6.length === 0) return undefined;
  const use = dockerIpv6Use(artifacts);
  if (use.length === 0) return undefined;
  const managed = dockerManagesIp6tables(artifacts, views6);
  if (!managed) return undefined;
  const { missing, chainsAbsent, undecided, held, cut } = gapsIn(views6, artifacts, 'ip6tables (IPv6): ', false, 6);
  const states = findService(artifacts.services ?? [], 'ip6tables');
  const s = isActive(states) ?? isEnabled(states);
  const service: Evidence | undefined = s ? { file: s.ref.file, line: s.ref.line, excerpt: s.excerpt, note: `ip6tables.service is ${isActive(states) ? 'active' : 'enabled'}: it restores /etc/sysconfig/ip6tables at every start` } : undefined;
  return { missing, chainsAbsent, undecided, held, cut, why: [managed, use[0], ...(service ? [service] : [])], service };
}

function foundOf(missing: Gap[]): Evidence[] {
  return missing.map(({ critical: _c, also: _a, fix: _f, chainUnknown: _u, firewalld: _w, noMasquerade: _m, jumpFrom: _j, ...e }) => e);
}

/** Docker's own filter chains in the live rules: proof that Docker writes iptables rules on the node. */
const DOCKER_OWN = /^DOCKER(?:-(?:FORWARD|USER|ISOLATION(?:-STAGE-[12])?|CT|BRIDGE|INTERNAL|INGRESS))?$/;
function dockerChainsIn(views: BackendView[]): Evidence[] {
  const out: Evidence[] = [];
  for (const v of views)
    for (const c of v.tables.get('filter')?.values() ?? [])
      if (DOCKER_OWN.test(c.name) && !out.some((e) => e.excerpt === `chain ${c.name}`))
        out.push({ file: c.ref.file, line: c.ref.line, excerpt: `chain ${c.name}`, note: "Docker's own chain: Docker writes its iptables rules on this node" });
  return out;
}

/**
 * Docker runs with --iptables=false (or "iptables": false): it creates no chains, so none are
 * missing; but it then adds no MASQUERADE, no DNAT for published ports and no FORWARD accepts
 * either, and the admin's own rules must. Said as information, with where the setting was read.
 */
function iptablesOff(node: string, off: Evidence, dockerEvidence: Evidence[], absentChains: Evidence[], artifacts: NodeArtifacts): FindingDraft {
  const subnets = dockerBridges(artifacts).flatMap((b) => b.subnets.map((s) => ({ bridge: b.name, cidr: s.cidr })));
  const where = `${off.file}${off.line ? `:${off.line}` : ''}`;
  const setting = dockerdSettings(artifacts.dockerDaemon).iptables;
  const said = !setting || setting.from === 'daemon.json' ? '"iptables": false in daemon.json' : `--iptables=false, read from ${setting.note}`;
  // the unit files say the same (or the process list was absent): cite them too
  const iptablesOffIn = (commandLine: string) => parseDockerdFlags(dockerdArgs(commandLine) ?? []).some((f) => f.key === 'iptables' && f.value === false);
  const also = (artifacts.dockerDaemon ?? [])
    .filter((d) => d.origin === 'unit' && d.file !== off.file)
    .flatMap((d) => d.unit?.execStart.filter((e) => iptablesOffIn(e.value)).slice(0, 1) ?? [])
    .map((e) => ({ file: e.ref.file, line: e.ref.line, excerpt: e.excerpt, note: 'docker.service sets it too' }));
  // no Docker subnet known here (no ip addr, no docker network inspect: masquerade-missing cannot trace one), but the
  // whole live nat table is: where nothing in it nor in a native nftables table source-NATs anything, say so
  const noNat = subnets.length === 0 ? natWithoutSourceNat(artifacts) : undefined;
  return {
    severity: noNat ? 'warning' : 'info',
    title: noNat ? 'Docker does not manage iptables, and nothing masquerades its networks' : 'Docker does not manage iptables on this node',
    message:
      `Docker on ${node} runs with iptables management off (${said}, ${where}${also.length ? `; also ${also.map((e) => `${e.file}:${e.line}`).join(', ')}` : ''}): it creates no DOCKER chains, so their absence is expected and nothing flushed them. ` +
      `Docker then adds no MASQUERADE, no DNAT for published ports (-p) and no FORWARD accepts for its networks${subnets.length ? ` (${subnets.slice(0, 3).map((x) => `${x.cidr} on ${x.bridge}`).join(', ')})` : ''}: the host's own firewall rules must provide what the containers need.` +
      (noNat
        ? ` And they do not masquerade: no rule of the nat table (${noNat.file}) MASQUERADEs or SNATs anything${(artifacts.nftables ?? []).length ? ', nor does any nftables table' : ''}, so containers' traffic leaves with their own addresses (172.17.0.0/16 on docker0 unless "bip" says otherwise) and other hosts drop it or cannot answer, unless the network routes the subnets back to this node. The bundle has no ip addr or docker network inspect to name the subnets: collect them to confirm.`
        : ''),
    impact: noNat
      ? "Containers cannot reach other hosts or the outside, unless their subnets are routed to this node."
      : 'None by itself; container traffic works only as far as the host firewall forwards and masquerades it.',
    evidence: [off, ...also, ...(noNat ? [noNat] : []), ...absentChains.map((e) => ({ ...e, note: 'expected: Docker makes no chains with iptables off' })), ...dockerEvidence.filter((e) => !(e.file === off.file && e.line === off.line))],
    facts: { dockerIptables: false, readFrom: setting?.from ?? 'daemon.json', missing: absentChains.map((e) => e.excerpt), ...(noNat ? { sourceNat: 'none' } : {}) },
    remedy: {
      summary: 'Nothing to restart. Check that the host firewall masquerades and forwards the Docker subnets, or drop --iptables=false (and restart docker) to let Docker manage its rules.',
      commands: [
        `iptables -t nat -S POSTROUTING   # a MASQUERADE for ${subnets[0]?.cidr ?? 'each Docker subnet'}`,
        'iptables -S FORWARD   # accepts for the Docker bridges',
      ],
    },
  };
}

/**
 * The live nat table with no MASQUERADE or SNAT rule in any chain (and no masquerade or snat in a native
 * nftables table): the POSTROUTING chain's line as evidence. Undefined where a rule source-NATs, or the
 * nat table is not in the bundle or only in part.
 */
function natWithoutSourceNat(artifacts: NodeArtifacts): Evidence | undefined {
  const views = liveViews(artifacts).filter((v) => v.tables.get('nat')?.has('POSTROUTING'));
  if (views.length === 0 || views.some((v) => v.truncated.has('nat'))) return undefined;
  // base chains of the nat table iptables-nft cannot show (and no nft listing of it): they may masquerade
  if (foreignBaseChains(views.flatMap((v) => v.rulesets), 'nat').length > 0 && !nftListingOf(artifacts, 'ip', 'nat')) return undefined;
  if (views.some((v) => [...v.tables.get('nat')!.values()].some((c) => c.rules.some((r) => r.target === 'MASQUERADE' || r.target === 'SNAT')))) return undefined;
  const nftNat = (artifacts.nftables ?? []).some((rs) => rs.tables.some((t) => t.chains.some((c) => c.rules.some((r) => r.nat?.kind === 'masquerade' || r.nat?.kind === 'snat'))));
  if (nftNat) return undefined;
  const post = views[0].tables.get('nat')!.get('POSTROUTING')!;
  return { file: post.ref.file, line: post.ref.line, excerpt: `chain POSTROUTING (${post.rules.length} rule${post.rules.length === 1 ? '' : 's'}, policy ${post.policy ?? 'ACCEPT'})`, note: 'the live nat table: no rule in it MASQUERADEs or SNATs' };
}

function absent(file: string, what: string): Evidence {
  return { file, line: 0, excerpt: what, note: 'searched the live rules in this file' };
}

/** also: more lines to cite (the FORWARD chain that lacks the jump); jumps: the chains FORWARD does not reach */
type Gap = Evidence & {
  critical: boolean;
  also?: Evidence[];
  fix?: string;
  /** whether the DOCKER chain exists is not shown (the listing ends before the user chains): only the jump is proven missing */
  chainUnknown?: boolean;
  /** only a jump is missing (the chain is there, or not shown either way): the built-in chain it is missing from */
  jumpFrom?: 'FORWARD' | 'PREROUTING' | 'OUTPUT';
  /** firewalld's jumps fill the built-in nat chains: firewalld rebuilt the table */
  firewalld?: boolean;
  /** POSTROUTING's rows have no MASQUERADE: all of them (whole), or those the listing shows (it may end inside the chain) */
  noMasquerade?: 'whole' | 'shown';
};

/** What of Docker's filter chains and jumps one copy of the filter table lacks. */
function filterGaps(filter: Map<string, Chain>, _file: string, artifacts: NodeArtifacts, orphansOnly: boolean, cover: Coverage): { gaps: Gap[]; chainsAbsent: boolean; undecided: Undecided[]; user?: UserGap } {
  const missing: Gap[] = [];
  const undecided: Undecided[] = [];
  let chainsAbsent = false;
  let user: UserGap | undefined;
  if (!cover.present('DOCKER') && !orphansOnly) {
    const shown = cover.absentIn('DOCKER');
    if ('file' in shown) {
      missing.push({ ...absent(shown.file, 'no DOCKER chain in the filter table'), critical: true });
      chainsAbsent = true;
    } else undecided.push({ what: 'the DOCKER chain of the filter table', listings: shown.cannot });
  }
  // Docker's chains that exist but that FORWARD does not reach (checked with or without DOCKER):
  // only where FORWARD's rules are all shown
  const forwardCut = filter.has('FORWARD') && !cover.whole(filter.get('FORWARD')!);
  if (forwardCut && FORWARD_CHAINS.some((c) => filter.has(c.chain) && !reaches(filter, 'FORWARD', c.chain)))
    undecided.push({ what: "FORWARD's jumps to Docker's chains", listings: [{ file: filter.get('FORWARD')!.ref.file, line: filter.get('FORWARD')!.ref.line, why: 'the listing may end before the rest of FORWARD\'s rules' }] });
  if (filter.has('FORWARD') && !forwardCut) {
    // Docker 28+: FORWARD jumps to DOCKER-USER and DOCKER-FORWARD, which leads to the rest; older: FORWARD jumps to each
    const v28 = filter.has('DOCKER-FORWARD');
    const lost = FORWARD_CHAINS.filter((c) => filter.has(c.chain) && (!v28 || c.chain === 'DOCKER-FORWARD' || c.chain === 'DOCKER-USER') && !reaches(filter, 'FORWARD', c.chain));
    // DOCKER-USER alone not reached: Docker's own chains work, the admin's rules in it do not (a finding of its own)
    if (lost.length === 1 && lost[0].chain === 'DOCKER-USER') {
      user = { kind: 'unreached', chain: filter.get('DOCKER-USER')!, forward: filter.get('FORWARD')! };
      lost.length = 0;
    }
    if (lost.length > 0) {
      const behind = v28 && lost.some((c) => c.chain === 'DOCKER-FORWARD') ? [...filter.keys()].filter((c) => /^DOCKER-(BRIDGE|CT|INTERNAL|INGRESS|ISOLATION.*)$/.test(c) || c === 'DOCKER') : [];
      // cite the orphaned chain's own line (`Chain DOCKER-FORWARD (0 references)`) and FORWARD's
      const orphan = filter.get(lost[0].chain)!;
      const forward = filter.get('FORWARD')!;
      const refs = orphan.references !== undefined ? ` (${orphan.references} references)` : '';
      missing.unshift({
        file: orphan.ref.file,
        line: orphan.ref.line,
        also: [{ file: forward.ref.file, line: forward.ref.line, excerpt: forward.policy ? `FORWARD policy ${forward.policy}` : 'FORWARD', note: `FORWARD: no jump to ${lost.map((c) => c.chain).join(', ')}${forward.policy === 'DROP' ? '; its policy DROP then drops the forwarded container traffic those chains would accept' : ''}` }],
        fix: v28 && lost.some((c) => c.chain === 'DOCKER-FORWARD')
          ? // DOCKER-USER back in front wherever the chain exists, listed or not (R20: a cut listing without it would leave the admin's rules behind DOCKER-FORWARD's accepts)
            `iptables -D FORWARD -j DOCKER-FORWARD 2>/dev/null; iptables -I FORWARD -j DOCKER-FORWARD${filter.has('DOCKER-USER') ? '; iptables -D FORWARD -j DOCKER-USER 2>/dev/null; iptables -I FORWARD -j DOCKER-USER' : '; iptables -L DOCKER-USER -n >/dev/null 2>&1 && { iptables -D FORWARD -j DOCKER-USER 2>/dev/null; iptables -I FORWARD -j DOCKER-USER; }'}   # or, without a restart: FORWARD jumps first to DOCKER-USER (where it exists), then DOCKER-FORWARD, as Docker 28+ puts them (whatever rewrote FORWARD removes them again at its next run)`
          : undefined,
        note: `chain ${lost[0].chain}${refs}: nothing jumps to it`,
        excerpt: `filter FORWARD does not reach Docker's chain${lost.length > 1 ? 's' : ''} ${lost.map((c) => c.chain).join(', ')} (the chain${lost.length > 1 ? 's exist' : ' exists'}, but FORWARD has no ${lost.map((c) => c.jump).join(', ')})${behind.length ? `, so ${behind.join(', ')} behind DOCKER-FORWARD are never consulted` : ''}`,
        critical: lost.some((c) => c.critical),
        jumpFrom: 'FORWARD',
      });
    }
  }
  // DOCKER-USER absent while Docker's other filter chains are there: only where a listing shows it absent
  if (!user && !cover.present('DOCKER-USER') && filter.has('FORWARD') && !forwardCut) {
    const expected = dockerUserExpected(filter, artifacts, cover);
    if (expected) {
      const shown = cover.absentIn('DOCKER-USER');
      const file = 'file' in shown ? shown.file : undefined;
      const cut = file ? cover.declarationsCut(file) : undefined;
      // a listing that cannot show it absent (cut, grepped, some chains only) says nothing of it
      if (file && !cut) user = { kind: 'absent', file, forward: filter.get('FORWARD')!, because: expected };
    }
  }
  return { gaps: missing, chainsAbsent, undecided, user };
}

/** What of Docker's nat chain and jumps one copy of the nat table lacks. */
function natGaps(nat: Map<string, Chain>, file: string, artifacts: { dockerDaemon?: DockerDaemonConfig[] }, _orphansOnly: boolean, cover: Coverage): { gaps: Gap[]; chainsAbsent: boolean; undecided: Undecided[] } {
  const missing: Gap[] = [];
  const undecided: Undecided[] = [];
  let chainsAbsent = false;
  const whole = (c: string) => !nat.has(c) || cover.whole(nat.get(c)!);
  if (!cover.present('DOCKER')) {
    const shown = cover.absentIn('DOCKER');
    if ('file' in shown) {
      missing.push({ ...absent(shown.file, 'no DOCKER chain in the nat table'), critical: true });
      chainsAbsent = true;
    } else {
      // the listing cannot show the DOCKER chain absent, but PREROUTING listed whole shows its jump missing
      const jump = preroutingJumpMissing(nat, cover);
      if (jump) missing.push(jump);
      else undecided.push({ what: 'the DOCKER chain of the nat table', listings: shown.cannot });
    }
  } else if (!nat.has('DOCKER') || !whole('PREROUTING') || !whole('OUTPUT')) {
    // DOCKER is there (a jump to it proves it) but not listed, or the listing may end inside PREROUTING
    // or OUTPUT: whether they reach it is not judged
    if (!reaches(nat, 'PREROUTING', 'DOCKER') && nat.has('PREROUTING') && !whole('PREROUTING'))
      undecided.push({ what: 'nat PREROUTING\'s jump to DOCKER', listings: [{ file: nat.get('PREROUTING')!.ref.file, line: nat.get('PREROUTING')!.ref.line, why: 'the listing may end before the rest of PREROUTING\'s rules' }] });
  } else if (hiddenJumps(nat) > 0) {
    // DOCKER's `(N references)` counts more jumps than the listing shows: they sit in chains it does not list
    // (firewalld's PREROUTING_direct / OUTPUT_direct in a listing cut by head, R23 case 17): not missing
    const d = nat.get('DOCKER')!;
    if (!reaches(nat, 'PREROUTING', 'DOCKER'))
      undecided.push({ what: "nat PREROUTING's jump to DOCKER", listings: [{ file: d.ref.file, line: d.ref.line, why: `Chain DOCKER counts ${d.references} references, more than the jumps the listing shows: the others are in chains it does not list` }] });
  } else {
    if (!reaches(nat, 'PREROUTING', 'DOCKER'))
      missing.push({ ...absent(file, 'nat PREROUTING does not jump to DOCKER (-m addrtype --dst-type LOCAL -j DOCKER)'), critical: true, jumpFrom: 'PREROUTING' });
    // the host's own connections to its published ports (OUTPUT): only when the dump has the chain
    // and goes past it (iptables-save and -L print OUTPUT's rules before POSTROUTING's and the
    // user chains': a dump cut after PREROUTING says nothing of OUTPUT)
    const pastOutput = [...nat.values()].some((c) => c.name !== 'PREROUTING' && c.name !== 'INPUT' && c.name !== 'OUTPUT' && c.rules.length > 0);
    if (nat.has('OUTPUT') && pastOutput && !reaches(nat, 'OUTPUT', 'DOCKER')) {
      // with "userland-proxy": false no docker-proxy answers in its place
      // (daemon.json, or the flag on dockerd's command line: the process's, else docker.service's)
      const proxy = dockerdSettings(artifacts.dockerDaemon).userlandProxy;
      const noProxy = proxy?.value === false ? proxy : undefined;
      const said = noProxy && (noProxy.from === 'daemon.json' ? 'daemon.json turns docker-proxy off ("userland-proxy": false' : `dockerd runs with --userland-proxy=false (read from ${noProxy.note}`);
      missing.push({
        ...absent(
          file,
          noProxy
            ? `nat OUTPUT does not jump to DOCKER (! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER), and ${said}, ${noProxy.ref.file}:${noProxy.ref.line}): connections from the host itself to its published ports do not reach the containers`
            : 'nat OUTPUT does not jump to DOCKER (! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER): connections from the host itself to its published ports are not forwarded to the containers unless docker-proxy (userland-proxy, on by default) answers them',
        ),
        critical: noProxy !== undefined,
        jumpFrom: 'OUTPUT',
      });
    }
  }
  return { gaps: missing, chainsAbsent, undecided };
}

/**
 * Chains of other owners a built-in nat chain may jump to, none of which Docker's jump lives in: Docker adds
 * `-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER` to the built-in chain itself, with iptables or, under
 * firewalld, through a direct passthrough (which firewalld runs as that iptables command, not into
 * PREROUTING_direct). firewalld's own (PREROUTING_direct, PREROUTING_ZONES[_SOURCE], PRE_<zone>),
 * kube-proxy's, the CNI plugins', Podman's, libvirt's.
 */
/** Jumps to nat DOCKER its `Chain DOCKER (N references)` line counts beyond those the listing shows (0 without a count). */
function hiddenJumps(nat: Map<string, Chain>): number {
  const refs = nat.get('DOCKER')?.references;
  if (refs === undefined) return 0;
  const shown = [...nat.values()].reduce((n, c) => n + c.rules.filter((r) => r.target === 'DOCKER').length, 0);
  return refs - shown;
}

const OTHER_NAT_CHAINS = /^(?:(?:PREROUTING|OUTPUT|POSTROUTING)_(?:direct|ZONES(?:_SOURCE)?)|PRE_\w+|POST_\w+|KUBE-[\w-]+|CNI-[\w-]+|cali-[\w-]+|FLANNEL-[\w-]+|NETAVARK[\w-]*|LIBVIRT_[\w]+|CILIUM_[\w]+|WEAVE[\w-]*)$/;
const FIREWALLD_NAT = /^(?:PREROUTING|OUTPUT|POSTROUTING)_(?:direct|ZONES(?:_SOURCE)?)$/;

/**
 * nat PREROUTING listed whole (its `Chain` line with its policy, another chain listed after it, no grep),
 * none of its rules jumping to DOCKER nor to a chain Docker's jump could sit in (only other owners' chains:
 * OTHER_NAT_CHAINS), while the listing cannot show whether the DOCKER chain exists (it ends before the user
 * chains: moby#10218's paste). Docker's jump is missing from PREROUTING whatever the DOCKER chain's state.
 */
function preroutingJumpMissing(nat: Map<string, Chain>, cover: Coverage): Gap | undefined {
  const pre = nat.get('PREROUTING');
  if (!pre || !pre.policy || !cover.whole(pre) || cover.filtered(pre) || reaches(nat, 'PREROUTING', 'DOCKER')) return undefined;
  // a jump to a chain not listed whose owner is not known: Docker's jump is not shown to be missing from it
  const unknown = pre.rules.filter((r) => isChainTarget(r.target) && !nat.has(r.target) && !OTHER_NAT_CHAINS.test(r.target));
  if (unknown.length > 0) return undefined;
  const firewalld = [...nat.values()].flatMap((c) => (BUILTIN_NAT.includes(c.name) ? c.rules.filter((r) => r.target && FIREWALLD_NAT.test(r.target)) : []));
  const post = nat.get('POSTROUTING');
  const postWhole = !!post && !!post.policy && cover.whole(post) && !cover.filtered(post);
  // no MASQUERADE among POSTROUTING's rows shown (all of them, or the paste may end inside the chain)
  const noMasq = !!post && !cover.filtered(post) && !post.rules.some((r) => r.target === 'MASQUERADE' || r.target === 'SNAT') ? (postWhole ? 'whole' : 'shown') : undefined;
  return {
    file: pre.ref.file,
    line: pre.ref.line,
    excerpt: `nat PREROUTING does not jump to DOCKER (-m addrtype --dst-type LOCAL -j DOCKER): the chain is listed whole, ${pre.rules.length ? `its ${pre.rules.length} rule${pre.rules.length === 1 ? '' : 's'} jumping only to ${[...new Set(pre.rules.map((r) => r.target || '(no target)'))].join(', ')}` : 'with no rule'}`,
    note: `Chain PREROUTING (policy ${pre.policy}): no -j DOCKER in it; Docker adds that jump to this built-in chain itself (under firewalld through a direct passthrough, not in PREROUTING_direct)`,
    critical: true,
    chainUnknown: true,
    jumpFrom: 'PREROUTING',
    also: [
      ...pre.rules.slice(0, 4).map((r) => ({ file: r.ref.file, line: r.ref.line, excerpt: r.text.trim(), note: FIREWALLD_NAT.test(r.target ?? '') ? "firewalld's jump: firewalld rebuilt this chain" : 'a rule of PREROUTING: not a jump to DOCKER' })),
      ...(noMasq ? [{ file: post!.ref.file, line: post!.ref.line, excerpt: `Chain POSTROUTING (policy ${post!.policy ?? 'ACCEPT'}): no MASQUERADE${noMasq === 'shown' ? ' in the rows shown' : ''}`, note: "Docker adds -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE to this chain itself" }] : []),
    ],
    firewalld: firewalld.length > 0,
    noMasquerade: noMasq,
  };
}
const BUILTIN_NAT = ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'];

/** Docker runs rootless: said once, so nobody looks for its chains in the host's rules (or restarts the system docker.service for them). */
function rootlessNote(node: string, rootless: Evidence) {
  return {
    severity: 'info' as const,
    title: "Docker runs rootless: its rules are not in the host's",
    message: `dockerd on ${node} runs rootless, inside RootlessKit's own network namespace: its bridge, DOCKER chains and NAT are there, so the host's iptables dump rightly has none of them, and the host's forwarding and FORWARD rules do not carry its containers' traffic (RootlessKit's port driver and slirp4netns do).`,
    impact: 'None by itself; container networking problems of this Docker are looked for inside its namespace.',
    evidence: [rootless],
    facts: { rootless: true },
    remedy: {
      summary: "To see Docker's own rules, list them inside RootlessKit's namespace as the user that runs it.",
      commands: ['nsenter -U --preserve-credentials -n -m -t $(cat $XDG_RUNTIME_DIR/docker.pid) iptables-save   # as that user (Docker\'s rootless docs): the rules rootless Docker wrote, in its namespaces', 'systemctl --user status docker   # its unit is the user\'s, not the system docker.service'],
    },
  };
}

/**
 * dockerd's journal or log: by the writer the layout named (sos's journalctl --unit docker, a
 * troubleshoot host's run-host/journalctl-docker, a hand-made docker.log); by the file's name only
 * where the layout named no writer.
 */
function isDockerdLog(l: LogScanResult): boolean {
  const unit = l.source?.unit;
  if (unit !== undefined) return /^dockerd?(\.service)?$/.test(unit);
  if (l.source && Object.keys(l.source).length > 0) return false;
  return /unit_docker\b|docker\.service|(^|\/)docker(d)?(\.log|-journal)?$/.test(l.file);
}

/**
 * DOCKER-USER missing from FORWARD's path while Docker's other filter chains are live: `absent` (no
 * such chain, shown by a whole listing) or `unreached` (the chain is there, FORWARD does not jump to it).
 */
type UserGap = { kind: 'absent'; file: string; forward: Chain; because: UserExpected } | { kind: 'unreached'; chain: Chain; forward: Chain };

/** Why this Docker should have made DOCKER-USER: its version, or a chain only such releases make. */
interface UserExpected {
  evidence: Evidence;
  says: string;
  /** Docker 19.03.3: its known regression (docker/for-linux#810) is the cause */
  regression1903?: boolean;
  /** Docker 27.3.x: the release of moby#48560 (DOCKER-USER neither created nor jumped to after a restart; status/confirmed) */
  reported27?: boolean;
}

/**
 * Whether Docker, whose other filter chains are in the table, makes DOCKER-USER: every release since
 * 17.06 does (libnetwork#1675, "jump to DOCKER-USER first" libnetwork#1871), 19.03.3 excepted
 * (docker/for-linux#810). By the engine's version (or its package's); without one, by a chain only
 * later releases make (DOCKER-ISOLATION-STAGE-1/2, DOCKER-FORWARD: 17.06 still had one DOCKER-ISOLATION
 * chain, moby#35043). Undefined where neither tells (a pre-17.06 Docker makes no DOCKER-USER).
 */
function dockerUserExpected(filter: Map<string, Chain>, artifacts: NodeArtifacts, cover: Coverage): UserExpected | undefined {
  if (!cover.present('DOCKER') && !filter.has('DOCKER-FORWARD')) return undefined;
  const v = dockerVersion(artifacts);
  if (v) {
    const [major, minor, patch] = v.numbers;
    if (major < 17 || (major === 17 && minor < 6)) return undefined;
    const who = v.from === 'engine' ? `Docker ${v.version}` : `Docker ${v.version} (the installed package; the running daemon may be older until restarted)`;
    if (major === 19 && minor === 3 && patch === 3)
      return { evidence: v.evidence, regression1903: true, says: `${who} is the release that does not create DOCKER-USER: a known regression (docker/for-linux#810, in its release notes' known issues), fixed in 19.03.4 (docker/engine#404)` };
    if (major === 27 && minor === 3)
      return { evidence: v.evidence, reported27: true, says: `${who} is expected to create DOCKER-USER as it starts (every release since 17.06 does), but moby#48560 (labelled confirmed by the maintainers) reports 27.3.1 neither creating it nor jumping to it after iptables -F; iptables -X and a restart` };
    return { evidence: v.evidence, says: `${who} creates DOCKER-USER as it starts (every release since 17.06 does)` };
  }
  const later = ['DOCKER-FORWARD', 'DOCKER-ISOLATION-STAGE-1', 'DOCKER-ISOLATION-STAGE-2'].find((c) => filter.has(c));
  if (!later) return undefined;
  const c = filter.get(later)!;
  return {
    evidence: { file: c.ref.file, line: c.ref.line, excerpt: `chain ${later}`, note: 'made only by Docker releases that also make DOCKER-USER (17.06 and later)' },
    says: `its chain ${later} is made only by Docker releases that also create DOCKER-USER as they start (17.06 had one DOCKER-ISOLATION chain; DOCKER-USER came with 17.06)`,
  };
}

/** A rule of Docker's own in DOCKER-USER: the plain `-j RETURN` older releases add at its end. */
function isDockersReturn(r: Rule): boolean {
  // by its text too: options written after -j (ufw-docker's `-j RETURN -s 10.0.0.0/8`) may be left unread as the target's
  return r.target === 'RETURN' && !r.protocol && !r.source && !r.destination && !r.inInterface && !r.outInterface && r.matches.length === 0 && !/(?:^|\s)-j\s+RETURN\s+\S/.test(r.text.trim());
}

/** The admin's DOCKER-USER rules in the bundle's saved configurations (rules.v4, /etc/sysconfig/iptables, ...) of the family. */
function savedUserRules(artifacts: NodeArtifacts, family: 4 | 6): { rs: Ruleset; rules: Rule[] }[] {
  return (artifacts.iptables ?? [])
    .filter((rs) => rs.origin === 'saved-config' && (family === 6 ? rs.family === 'ipv6' : rs.family !== 'ipv6'))
    .map((rs) => ({ rs, rules: (rs.tables.filter?.chains['DOCKER-USER']?.rules ?? []).filter((r) => !isDockersReturn(r)) }))
    .filter((x) => x.rules.length > 0);
}

/** Where a saved rule file of the bundle sits on the host (the bundle keeps etc/...; a flat bundle only its name). */
function hostPath(file: string): string {
  return savedConfigHostPath(file) ?? file;
}

/**
 * iptables.docker-chain-missing for DOCKER-USER: Docker's chains are live but DOCKER-USER is absent or
 * FORWARD does not reach it, so the rules admins put there (docs.docker.com, "Packet filtering and
 * firewalls") are not consulted. Critical where the bundle holds such rules (saved, or in the
 * unreached live chain): they silently do nothing; else a warning.
 */
function dockerUserFinding(node: string, gap: UserGap, artifacts: NodeArtifacts, dockerEvidence: Evidence[]): FindingDraft {
  const saved = savedUserRules(artifacts, 4);
  const liveRules = gap.kind === 'unreached' ? gap.chain.rules.filter((r) => !isDockersReturn(r)) : [];
  const admin = [...liveRules.map((r) => ({ r, where: 'live' as const })), ...saved.flatMap((x) => x.rules.map((r) => ({ r, where: 'saved' as const })))];
  const critical = admin.length > 0;
  const forward = gap.forward;
  const forwardEvidence: Evidence = { file: forward.ref.file, line: forward.ref.line, excerpt: forward.policy ? `FORWARD policy ${forward.policy}` : 'FORWARD', note: 'FORWARD: no -j DOCKER-USER' };
  const listed = admin.slice(0, 4).map(({ r }) => `${r.text.trim()} (${r.ref.file}:${r.ref.line})`).join('; ');
  const savedFiles = saved.map((x) => x.rs.file);
  // ufw's before/after.rules: ufw applies them (iptables-restore -n: DOCKER-USER emptied, then filled) at its
  // start, before Docker's at boot, and at every ufw reload; it never adds FORWARD's jump, which Docker adds as it starts
  const ufwSaved = saved.filter((x) => ufwRulesFile(x.rs.file));
  const otherSaved = saved.filter((x) => !ufwRulesFile(x.rs.file));
  const ufwFiles = [...new Set(ufwSaved.map((x) => hostPath(x.rs.file)))];
  const unreached1903 = gap.kind === 'unreached' ? docker1903(artifacts) : undefined;
  const ufwLive = [...(liveViews(artifacts)[0]?.tables.get('filter')?.keys() ?? [])].some((c) => /^ufw-/.test(c));
  const what =
    gap.kind === 'absent'
      ? `Docker's filter chains are in the live rules of ${node}, but there is no DOCKER-USER chain (${gap.file}), so FORWARD has no -j DOCKER-USER: ${gap.because.says}.`
      : `The DOCKER-USER chain is in the live rules of ${node} (${gap.chain.ref.file}:${gap.chain.ref.line}), but FORWARD does not jump to it (Docker puts -A FORWARD -j DOCKER-USER first in FORWARD).`;
  const rules = critical
    ? ` The bundle holds rules of the admin's for DOCKER-USER that are therefore not applied: ${listed}${admin.length > 4 ? `, and ${admin.length - 4} more` : ''}. Container traffic they reject or restrict passes unchecked: a security problem, not only a networking one.` +
      (ufwSaved.length
        ? ` ${ufwFiles.join(' and ')} ${ufwFiles.length > 1 ? 'are' : 'is'} ufw's: ufw applies ${ufwFiles.length > 1 ? 'them' : 'it'} at its start and at every ufw reload, filling DOCKER-USER (and creating it if absent), but never adds the jump from FORWARD: only Docker does, as it starts.${ufwLive ? '' : " ufw's own chains (ufw-*) are not in the live rules: ufw is not running, and applies nothing until enabled."}`
        : '')
    : ' DOCKER-USER is where rules of the admin for container traffic go (docs.docker.com, "Packet filtering and firewalls"): any added to it are not consulted until FORWARD jumps to it.';
  const cause =
    gap.kind === 'absent' && gap.because.regression1903
      ? ' Upgrade Docker: 19.03.4 creates the chain again.'
      : gap.kind === 'absent'
        ? ' Docker creates DOCKER-USER and the jump to it as it starts when the chain is absent, so either something removed it since (iptables -X, a firewall reload, a restore of saved rules without it) and a restart of Docker brings it back,' +
          ' or Docker did not make it at its start: if it is still missing right after a restart, that is the bug of moby#48560 (Docker 27.3.1, labelled confirmed; its fix release is not in the thread as stored here): add the chain and the jump as below after every Docker start, and upgrade.'
        : ` DOCKER-USER existing before Docker starts (${ufwSaved.length ? `created by ufw from ${ufwFiles.join(', ')}, which it applies before Docker starts at boot` : `restored from saved rules${savedFiles.length ? `: ${savedFiles.join(', ')}` : ''}`}) is the reported way to get here: Docker then does not insert the jump (moby#48560, Docker 27.3.1, labelled confirmed; libnetwork#2631)${unreached1903 ? `; and ${unreached1903.who} does not add the jump at all (nor create the chain): a known regression, docker/for-linux#810, fixed in 19.03.4 (docker/engine#404)` : ''}; or the jump was deleted by hand or by a firewall rewriting FORWARD.`;
  const restore = otherSaved.map(
    (x) =>
      `{ echo '*filter'; echo ':DOCKER-USER - [0:0]'; grep '^-A DOCKER-USER ' ${hostPath(x.rs.file)}; echo COMMIT; } | iptables-restore --noflush   # re-applies only the DOCKER-USER rules of ${x.rs.file} (the chain is emptied first: safe to run twice)`,
  );
  return {
    severity: critical ? 'critical' : 'warning',
    title: gap.kind === 'absent' ? "Docker's DOCKER-USER chain is missing: the admin's container rules are not applied" : 'FORWARD does not jump to DOCKER-USER: the rules in it are not applied',
    message: what + rules + cause,
    impact: critical
      ? "The admin's DOCKER-USER rules (typically REJECTs isolating containers from private ranges) do nothing: containers reach what those rules should block."
      : 'None today unless rules are added to DOCKER-USER: they would not be applied.',
    evidence: [
      ...(gap.kind === 'absent'
        ? [{ file: gap.file, line: 0, excerpt: 'no DOCKER-USER chain in the filter table', note: 'searched the live rules in this file' }, gap.because.evidence]
        : [{ file: gap.chain.ref.file, line: gap.chain.ref.line, excerpt: `chain DOCKER-USER${gap.chain.references !== undefined ? ` (${gap.chain.references} references)` : ''}`, note: 'nothing jumps to it' }]),
      forwardEvidence,
      ...admin.slice(0, 8).map(({ r, where }) => ({ file: r.ref.file, line: r.ref.line, excerpt: r.text.trim(), note: where === 'saved' ? "the admin's DOCKER-USER rule in the saved configuration: not applied" : "the admin's rule in DOCKER-USER: FORWARD never gets here" })),
      ...dockerEvidence.slice(0, 2),
    ].filter((e, i, all) => all.findIndex((o) => o.file === e.file && o.line === e.line && o.excerpt === e.excerpt) === i),
    facts: { dockerUser: gap.kind, adminRules: admin.length, savedIn: savedFiles, ...(gap.kind === 'absent' && gap.because.regression1903 ? { cause: 'docker/for-linux#810' } : {}) },
    remedy: {
      summary:
        `Recreate DOCKER-USER and the jump to it first in FORWARD${otherSaved.length ? ', then re-apply the DOCKER-USER rules of the saved configuration' : ''}${ufwSaved.length ? `, then have ufw ${ufwLive ? 're-apply' : 'apply'} ${ufwFiles.join(' and ')}` : ''}; ${otherSaved.length || ufwSaved.length ? 'all are' : 'both are'} safe to run twice.` +
        (gap.kind === 'absent' && gap.because.regression1903
          ? ' Then upgrade Docker to 19.03.4 or later (docker/engine#404): 19.03.3 leaves the chain out at every start.'
          : gap.kind === 'absent'
            ? ' Or restart Docker with the chain absent: it creates DOCKER-USER and the jump as it starts (where it does not, moby#48560, use the commands).'
            : ' A restart of Docker is reported not to add the jump while the chain exists (moby#48560, libnetwork#2631): use the commands.'),
      commands: [
        'iptables -N DOCKER-USER 2>/dev/null; iptables -C FORWARD -j DOCKER-USER 2>/dev/null || iptables -I FORWARD -j DOCKER-USER   # the chain and the jump, first in FORWARD (safe to run twice)',
        ...restore,
        ...(ufwSaved.length
          ? [
              ufwLive
                ? `ufw reload   # re-applies ${ufwFiles.join(' and ')}: DOCKER-USER emptied, then filled with its rules (safe to run twice); it adds no jump from FORWARD, the first command does`
                : `ufw enable   # ufw is not running (no ufw-* chains live): once enabled it applies ${ufwFiles.join(' and ')}, filling DOCKER-USER; it adds no jump from FORWARD, the first command does`,
            ]
          : []),
        'iptables -S FORWARD | head -n 3; iptables -S DOCKER-USER   # -A FORWARD -j DOCKER-USER comes first; the rules are in DOCKER-USER',
      ],
      caution:
        'Restarting Docker instead restarts every container unless "live-restore" is on, and where a saved configuration with DOCKER-USER is restored before Docker starts, the jump may again be left out (moby#48560): check FORWARD after it.' +
        (ufwSaved.length ? ` ufw applies ${ufwFiles.join(' and ')} before Docker starts at boot, so that holds at every boot here: check FORWARD after each.` : ''),
    },
  };
}

/** Docker 19.03.3 by the engine's version (docker version / docker info) or, failing that, its installed package. */
function docker1903(artifacts: NodeArtifacts): { who: string; evidence: Evidence; from: 'engine' | 'package' } | undefined {
  const v = dockerVersion(artifacts);
  if (!v) return undefined;
  const [major, minor, patch] = v.numbers;
  if (major !== 19 || minor !== 3 || patch !== 3) return undefined;
  return { who: v.from === 'engine' ? `Docker ${v.version}` : `Docker ${v.version} (the installed package)`, evidence: v.evidence, from: v.from };
}

/**
 * Docker 19.03.3 with no live rules in the bundle to check (a ticket's docker version or docker info
 * paste): the release neither creates DOCKER-USER nor jumps to it from FORWARD (docker/for-linux#810, a
 * known issue of its release notes; fixed in 19.03.4 by docker/engine#404, the revert of libnetwork#2339).
 * Information, since nothing shows the rules; a warning where the bundle holds the admin's DOCKER-USER
 * rules in a saved configuration (rules.v4, ufw's after.rules): rules this release leaves unapplied.
 */
function regression1903Note(node: string, artifacts: NodeArtifacts, dockerEvidence: Evidence[]): FindingDraft | undefined {
  const v = docker1903(artifacts);
  if (!v) return undefined;
  const saved = savedUserRules(artifacts, 4);
  const rules = saved.flatMap((x) => x.rules);
  const files = [...new Set(saved.map((x) => x.rs.file))];
  const pkg = v.from === 'package' ? ' (the installed package: the running daemon is this release, or an older one until Docker restarts)' : '';
  return {
    severity: rules.length ? 'warning' : 'info',
    title: 'Docker 19.03.3 does not create DOCKER-USER: rules put there are not applied',
    message:
      `${node} runs Docker 19.03.3${pkg}: the release that neither creates the DOCKER-USER chain nor adds FORWARD's jump to it, a known regression listed in its release notes (docker/for-linux#810), fixed in 19.03.4 (docker/engine#404). ` +
      (rules.length
        ? `The bundle holds DOCKER-USER rules of the admin's (${files.join(', ')}: ${rules.slice(0, 2).map((r) => `${r.text.trim()} (${r.ref.file}:${r.ref.line})`).join('; ')}${rules.length > 2 ? `, and ${rules.length - 2} more` : ''}): with this release FORWARD never reaches them unless the jump is added by hand after every Docker start. `
        : '') +
      'The bundle has no live iptables rules (iptables-save) to show whether the chain and the jump are there now.',
    impact: rules.length
      ? "Container traffic the admin's DOCKER-USER rules should restrict passes unchecked, unless the jump was added by hand since Docker started."
      : 'Rules added to DOCKER-USER (the place Docker documents for the admin\'s container rules) are not consulted; none otherwise.',
    evidence: [
      { ...v.evidence, note: `${v.evidence.note ?? ''}${v.evidence.note ? '; ' : ''}19.03.3: no DOCKER-USER chain nor jump (docker/for-linux#810)` },
      ...rules.slice(0, 4).map((r) => ({ file: r.ref.file, line: r.ref.line, excerpt: r.text.trim(), note: "the admin's DOCKER-USER rule in the saved configuration: not reached with this release" })),
      ...dockerEvidence.filter((e) => !(e.file === v.evidence.file && e.line === v.evidence.line)).slice(0, 1),
    ],
    facts: { cause: 'docker/for-linux#810', dockerVersion: '19.03.3', basis: 'version only: no live iptables rules in the bundle', savedUserRules: rules.length },
    remedy: {
      summary: 'Upgrade Docker to 19.03.4 or later (docker/engine#404). Until then, check FORWARD and add the chain and the jump after every Docker start (the workaround of the 19.03.3 release notes); both commands are safe to run twice.',
      commands: [
        'iptables -S FORWARD | head -n 3; iptables -S DOCKER-USER   # the first rule should be -A FORWARD -j DOCKER-USER',
        'iptables -N DOCKER-USER 2>/dev/null; iptables -C FORWARD -j DOCKER-USER 2>/dev/null || iptables -I FORWARD -j DOCKER-USER   # the chain and the jump, first in FORWARD',
        'iptables-save > iptables-save.txt   # for the next check: the live rules',
      ],
    },
  };
}

/**
 * Swarm's filter DOCKER-INGRESS missing, or not reached from FORWARD, on a Swarm node (lib/swarm.ts) whose FORWARD
 * then drops or rejects the routing mesh's traffic: a packet from outside, DNATed by nat DOCKER-INGRESS to the
 * ingress sandbox behind docker_gwbridge, is traced through FORWARD (moby/moby#32918, #32916: 17.05.0-ce-rc2 left
 * out the filter chain and its jump, FORWARD's policy DROP then dropped every published port).
 * What the code of libnetwork says (service_linux.go, initIngressConfiguration, reached only from addIngressPorts
 * when a service that publishes a port in ingress mode gets a backend): the nat and the filter DOCKER-INGRESS, and
 * FORWARD's jump, are made together and only then. A Swarm node where no service publishes a port has neither, so:
 * critical where the bundle shows a published service (nat DOCKER-INGRESS, docker service ls' `*:P->`); no finding
 * where it shows there is none (the whole nat table without DOCKER-INGRESS, or docker service ls without one); an
 * info saying what to collect where it shows neither (an `iptables -S` of the filter table only: moby#32918's paste).
 */
function swarmIngressGap(node: string, artifacts: NodeArtifacts): FindingDraft | undefined {
  const swarm = swarmOf(artifacts);
  if (!swarm) return undefined;
  const view = liveViews(artifacts)[0];
  const filter = view?.tables.get('filter');
  const forward = filter?.get('FORWARD');
  if (!view || !filter || !forward || view.truncated.has('filter')) return undefined;
  const cover = coverage(view, 'filter');
  if (!cover.whole(forward) || cover.filtered(forward)) return undefined;
  const chain = filter.get('DOCKER-INGRESS');
  if (chain && reaches(filter, 'FORWARD', 'DOCKER-INGRESS')) return undefined;
  let absentFile: string | undefined;
  if (!chain) {
    if (cover.present('DOCKER-INGRESS')) return undefined;
    const shown = cover.absentIn('DOCKER-INGRESS');
    if (!('file' in shown) || cover.declarationsCut(shown.file)) return undefined;
    absentFile = shown.file;
  }
  const published = swarm.published.length > 0;
  // the bundle shows no service publishes a port: no DOCKER-INGRESS is what Docker makes then
  if (!published && (swarm.natWithoutIngress || swarm.serviceList)) return undefined;
  const port = swarm.ports[0];
  const to = port?.to?.split(':')[0] ?? '172.18.0.2';
  // a client beyond the node (an address it neither owns nor is connected to: a fixed one can be the node's own in a lab)
  const p: Packet = { src: peerAddress(artifacts, 4, [to]), dst: to, protocol: port?.protocol ?? 'tcp', dport: port?.port ?? 8080, sport: 40000, inInterface: uplinkOf(artifacts) ?? UNKNOWN_UPLINK, outInterface: 'docker_gwbridge', state: 'new', mark: 0, dnat: true };
  const r = trace(view.tables, 'forward', p, traceContext(artifacts));
  if ((r.verdict.kind !== 'DROP' && r.verdict.kind !== 'REJECT') || !r.decidedBy) return undefined;
  const d = r.decidedBy;
  const decided: Evidence = {
    file: d.file,
    line: d.line,
    excerpt: d.num === 0 ? `-P ${d.chain} ${forward.policy ?? r.verdict.kind}` : d.text,
    note: `${d.num === 0 ? `${d.chain}'s policy` : `${d.chain} rule ${d.num}`} ${r.verdict.kind === 'REJECT' ? 'rejects' : 'drops'} the routing mesh's traffic forwarded to the ingress sandbox on docker_gwbridge${port ? ` (${port.port}/${port.protocol})` : ''}`,
  };
  const v = dockerVersion(artifacts);
  const rc2 = v && /^17\.05\.0-ce-rc2\b/.test(v.version) ? v : undefined;
  const what = chain
    ? `the filter chain DOCKER-INGRESS is there (${chain.ref.file}:${chain.ref.line}) but FORWARD does not reach it`
    : 'the filter table has no DOCKER-INGRESS chain and FORWARD no -j DOCKER-INGRESS';
  const portsText = swarm.ports.length ? swarm.ports.slice(0, 4).map((x) => `${x.port}/${x.protocol}`).join(', ') : '';
  const byWhat = d.num === 0 ? `FORWARD's policy ${forward.policy ?? r.verdict.kind}` : `${d.chain} rule ${d.num} (${d.text.trim()})`;
  const gw = swarm.gwbridgeRules.slice(0, 3);
  const evidence: Evidence[] = [
    decided,
    ...(absentFile ? [{ file: absentFile, line: 0, excerpt: 'no DOCKER-INGRESS chain in the filter table, no -A FORWARD -j DOCKER-INGRESS', note: 'searched the live rules in this file' }] : [{ file: chain!.ref.file, line: chain!.ref.line, excerpt: `chain DOCKER-INGRESS${chain!.references !== undefined ? ` (${chain!.references} references)` : ''}`, note: 'FORWARD does not reach it' }]),
    ...gw,
    ...swarm.published.slice(0, 3),
    ...swarm.signs.filter((s) => !gw.some((g) => g.file === s.file && g.line === s.line) && !swarm.published.some((g) => g.file === s.file && g.line === s.line)).slice(0, 2),
    ...(rc2 ? [{ ...rc2.evidence, note: `${rc2.evidence.note ?? ''}; 17.05.0-ce-rc2 leaves out the filter DOCKER-INGRESS (moby/moby#32918)` }] : []),
  ].filter((e, i, all) => all.findIndex((o) => o.file === e.file && o.line === e.line && o.excerpt === e.excerpt) === i);
  const recheck = 'iptables -S FORWARD | grep -e DOCKER-INGRESS -e DOCKER-FORWARD; iptables -S DOCKER-INGRESS   # FORWARD (or DOCKER-FORWARD, Docker 28+) jumps to DOCKER-INGRESS, which accepts each published port';
  if (!published) {
    return {
      // info: a healthy Swarm node with no published service shows the same (R26 29); R24's moby#32918 paste too
      severity: 'info',
      title: "A Swarm node without Swarm's DOCKER-INGRESS filter chain: a published service port would be dropped (whether one is published is not in the bundle)",
      message:
        `${node} is a Swarm node (${swarm.signs[0].excerpt}, ${swarm.signs[0].file}:${swarm.signs[0].line}), ${what}, and ${byWhat} drops what the routing mesh forwards to the ingress sandbox on docker_gwbridge. ` +
        'Docker makes DOCKER-INGRESS (in nat and filter, with the jump from FORWARD) only once a service publishes a port, so this is normal where no service does; where one does, its port is unreachable on this node (the 17.05.0-ce-rc2 regression of moby/moby#32918 looked exactly like this). ' +
        'The bundle does not show whether a service publishes a port: it has neither the nat table nor docker service ls.',
      impact: 'If a Swarm service publishes a port, connections to it through this node time out; none otherwise.',
      evidence,
      facts: { swarm: true, dockerIngress: chain ? 'unreached' : 'absent', published: 'unknown' },
      remedy: {
        summary: 'Collect the nat table and the services to tell: a nat DOCKER-INGRESS chain with DNAT rules, or a service with a `*:PORT->` in docker service ls (on a manager), means a published port is dropped here.',
        commands: ['iptables-save > iptables-save.txt   # every table: nat DOCKER-INGRESS holds a DNAT per published port', 'docker service ls   # on a manager: PORTS like *:8000->8000/tcp are published through the routing mesh', 'docker version'],
      },
    };
  }
  return {
    severity: 'critical',
    title: "Swarm's DOCKER-INGRESS filter chain is missing: published service ports are dropped",
    message:
      `${node} is a Swarm node with ${portsText ? `published service ports (${portsText})` : 'a published service'}, but ${what}: nothing accepts the routing mesh's connections that nat DOCKER-INGRESS sends to the ingress sandbox on docker_gwbridge, and ${byWhat} ${r.verdict.kind === 'REJECT' ? 'rejects' : 'drops'} them. ` +
      'Docker makes the filter chain and the jump together with the nat chain, when a service first publishes a port; ' +
      (rc2
        ? `${rc2.version} is the release that left them out (moby/moby#32918, #32916, fixed before 17.05.0).`
        : 'a missing one was removed since (a firewall restart or reload, iptables -F / -X, a restore of saved rules), or never made (Docker 17.05.0-ce-rc2, moby/moby#32918).'),
    impact: `Connections to the published ${portsText ? `port${swarm.ports.length > 1 ? 's' : ''} ${portsText}` : 'ports'} through this node time out${r.verdict.kind === 'REJECT' ? ' or are refused' : ''}; the routing mesh works only on the nodes whose rules are whole.`,
    evidence,
    facts: { swarm: true, dockerIngress: chain ? 'unreached' : 'absent', published: swarm.ports.map((x) => `${x.port}/${x.protocol}`), droppedBy: `${d.table}/${d.chain}#${d.num}`, ...(rc2 ? { cause: 'moby/moby#32918' } : {}) },
    remedy: {
      summary: rc2
        ? `Upgrade Docker past ${rc2.version} (17.05.0 or later), then restart it and recreate the published services so Docker programs DOCKER-INGRESS again.`
        : 'Restart Docker to make it program its rules again; if the chain is still missing, recreate (or force-update) the published services: Docker adds DOCKER-INGRESS when a service with a published port gets its tasks.',
      commands: [
        ...(rc2 ? ['# upgrade docker-engine / docker-ce to 17.05.0 or later with the package manager first'] : []),
        ...restartDocker({ dockerRestart: dockerRestartOf(artifacts) }),
        'docker service update --force <service>   # for each service with a published port, if DOCKER-INGRESS is still missing (or: docker service rm <service>, then create it again)',
        recheck,
      ],
      caution:
        'Restarting Docker stops every container on the node: "live-restore" keeps standalone containers running but not Swarm services\' tasks, which Swarm starts again (on this or other nodes). A force update restarts the service\'s tasks.',
    },
  };
}

/**
 * Whether the bundle shows a firewall service that can flush Docker's rules: a restart in the logs, a host firewall
 * (ufw, iptables-services, netfilter-persistent) by its units or saved rules, or firewalld running or enabled.
 */
function firewallShown(artifacts: NodeArtifacts, restartLogged: boolean): boolean {
  if (restartLogged || hostFirewall(artifacts) !== 'unknown') return true;
  const st = findService(artifacts.services ?? [], 'firewalld');
  return !!(isActive(st) ?? isEnabled(st));
}
