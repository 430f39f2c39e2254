/**
 * iptables.docker-chain-missing: Docker runs, but its DOCKER chain or the jumps to it are gone
 * from the live rules: a firewall restart or `iptables --flush` removed them and Docker does not
 * notice (seeds 000, 001). `docker run -p` then fails with "No chain/target/match by that name".
 * A chain that exists but that nothing on the packet's path reaches is as good as gone: Docker's
 * filter chains must be reachable from FORWARD (Docker 28+: FORWARD -> DOCKER-USER, DOCKER-FORWARD
 * -> DOCKER-CT / DOCKER-BRIDGE -> DOCKER; older: FORWARD -> DOCKER-USER, DOCKER-ISOLATION-STAGE-1,
 * DOCKER), its nat DOCKER chain from PREROUTING and from OUTPUT. When the unit state says
 * docker.service failed or is inactive, nothing flushed anything: dockerd never made its chains.
 */
import { defineAnalyzer } from '../src/engine/analyzer.js';
import type { Evidence } from '../src/report/schema.js';
import { dockerdState } from './lib/container-host.js';
import type { Chain } from '../src/netfilter/rules.js';
import type { DockerDaemonConfig } from '../src/parsers/docker-daemon.js';
import { dockerPresence, liveViews, reachableChains } from './lib/node-view.js';
import { logEvidence } from './lib/logs.js';

/** Docker's filter chains the FORWARD path must reach, and how Docker jumps to each from FORWARD (for the message). */
const FORWARD_CHAINS: { chain: string; jump: string; critical: boolean }[] = [
  { chain: 'DOCKER-FORWARD', jump: '-A FORWARD -j DOCKER-FORWARD', critical: true },
  { chain: 'DOCKER', jump: '-A FORWARD -o docker0 -j DOCKER', critical: true },
  { chain: 'DOCKER-ISOLATION-STAGE-1', jump: '-A FORWARD -j DOCKER-ISOLATION-STAGE-1', critical: false },
  { chain: 'DOCKER-ISOLATION', jump: '-A FORWARD -j DOCKER-ISOLATION', critical: false },
  { chain: 'DOCKER-USER', jump: '-A FORWARD -j DOCKER-USER', critical: false },
];

/** Logs that show why dockerd did not start (a signature for "failed to start daemon" would belong here too). */
const START_ERRORS = ['log.docker-start-failed', 'log.docker-network-controller-failed'];

export default defineAnalyzer({
  id: 'iptables.docker-chain-missing',
  title: "Docker's iptables chains are missing",
  description: 'Docker is present but the DOCKER chain (filter/nat) or the jumps to it are not in the live rules.',
  scope: 'node',
  requires: ['iptables'],
  optional: ['ipAddr', 'dockerNetworks', 'services', 'logs', 'dockerDaemon', 'nftables'],
  analyze({ node, artifacts }) {
    const docker = dockerPresence(artifacts);
    // no iptables rules of Docker's to miss: --iptables=false, or Docker 29's nftables firewall back
    // end (daemon.json, or its table docker-bridges in the nft listing)
    if (docker.evidence.length === 0 || docker.noIptables) return [];
    // each back end's base chains run (legacy and nf_tables side by side): a table is whole when
    // the chains and jumps are in either back end's copy of it
    const views = liveViews(artifacts);
    const missing: Gap[] = [];
    let chainsAbsent = false;
    for (const [table, gapsOf] of [
      ['filter', filterGaps],
      ['nat', natGaps],
    ] as const) {
      const results = views.filter((v) => v.tables.has(table)).map((v) => ({ view: v, ...gapsOf(v.tables.get(table)!, v.files.get(table)!, artifacts) }));
      if (results.length === 0 || results.some((r) => r.gaps.length === 0)) continue;
      // a dump cut at its top (sos's .tailed) does not show what is absent: its start may hold them
      if (results.some((r) => r.view.truncated.has(table))) continue;
      // report the copy that has Docker's chains, if one does
      const best = results.sort((a, b) => Number(a.chainsAbsent) - Number(b.chainsAbsent) || a.gaps.length - b.gaps.length)[0];
      missing.push(...best.gaps);
      chainsAbsent ||= best.chainsAbsent;
    }
    if (missing.length === 0) return [];
    const severity = missing.some((m) => m.critical) ? ('critical' as const) : ('warning' as const);
    const found: Evidence[] = missing.map(({ critical: _c, ...e }) => e);
    const what = found.map((m) => m.excerpt).join('; ');
    const state = dockerdState(artifacts);

    if (state.running === false) {
      // nothing flushed the chains: dockerd is not running, so it never made them
      const failed = state.state === 'failed';
      const errors = logEvidence(artifacts.logs, START_ERRORS);
      const journals = (artifacts.logs ?? []).filter((l) => /unit_docker\b|docker\.service|(^|\/)docker(d)?(\.log|-journal)?$/.test(l.file) && !errors.some((e) => e.file === l.file));
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
            `Docker is installed on ${node} but dockerd is not running: docker.service is ${state.state} (${state.evidence!.file}${state.evidence!.line ? `:${state.evidence!.line}` : ''}). ${what[0].toUpperCase()}${what.slice(1)}: dockerd never created them (no firewall flushed them), and no container can be started until it runs.` +
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
    const symptom = chainsAbsent
      ? 'Containers with published ports cannot be reached and new ones fail to start with "No chain/target/match by that name".'
      : severity === 'critical'
        ? 'The chains are still there, so docker run -p succeeds, but packets never reach its rules: published ports and container traffic are not handled as Docker set them up.'
        : 'Outside traffic still reaches the published ports.';
    return [
      {
        severity,
        title: "Docker's iptables chains are missing",
        message:
          `Docker runs on ${node} but ${what}. ${symptom}` +
          (restart
            ? ` A firewall restart is logged${restart.time ? ` at ${restart.time}` : ''}: it flushed the rules Docker had added.`
            : ` Something ${chainsAbsent ? 'flushed them' : 'removed them'}: an iptables.service or firewalld restart${chainsAbsent ? ', or iptables --flush' : ', iptables --flush of a chain, or a hand-made iptables -D'}.`),
        impact:
          severity === 'critical'
            ? 'Published container ports are unreachable; docker run -p fails or has no effect; Docker does not recreate the chains or jumps on its own.'
            : 'Connections from the host to its own published ports rely on docker-proxy; with "userland-proxy": false they fail.',
        evidence: [...found, ...docker.evidence, ...(state.evidence ? [state.evidence] : []).filter((e) => !docker.evidence.some((d) => d.file === e.file && d.line === e.line)), ...logs],
        facts: { missing: found.map((m) => m.excerpt), firewallRestartAt: restart?.time },
        remedy: {
          summary: 'Restart Docker to recreate its chains and jumps, then stop the firewall service from flushing them again (see iptables.service-conflict).',
          commands: ['systemctl restart docker', 'iptables -t nat -S DOCKER && iptables -S DOCKER && iptables -S FORWARD   # check the chains and the jumps are back'],
          caution: 'Restarting docker restarts every container on the node (seed 000); in OpenShift also restart the node service.',
        },
      },
    ];
  },
});

function absent(file: string, what: string): Evidence {
  return { file, line: 0, excerpt: what, note: 'searched the live rules in this file' };
}

type Gap = Evidence & { critical: boolean };

/** What of Docker's filter chains and jumps one copy of the filter table lacks. */
function filterGaps(filter: Map<string, Chain>, file: string): { gaps: Gap[]; chainsAbsent: boolean } {
  const missing: Gap[] = [];
  let chainsAbsent = false;
  if (!filter.has('DOCKER')) {
    missing.push({ ...absent(file, 'no DOCKER chain in the filter table'), critical: true });
    chainsAbsent = true;
  } else if (filter.has('FORWARD')) {
    const reach = reachableChains(filter, 'FORWARD');
    // Docker 28+: FORWARD jumps to DOCKER-USER and DOCKER-FORWARD, which leads to the rest; older: FORWARD jumps to each
    const v28 = filter.has('DOCKER-FORWARD');
    const lost = FORWARD_CHAINS.filter((c) => filter.has(c.chain) && !reach.has(c.chain) && (!v28 || c.chain === 'DOCKER-FORWARD' || c.chain === 'DOCKER-USER'));
    if (lost.length > 0) {
      const behind = v28 && lost.some((c) => c.chain === 'DOCKER-FORWARD') ? [...filter.keys()].filter((c) => /^DOCKER-(BRIDGE|CT|INTERNAL|INGRESS|ISOLATION.*)$/.test(c) || c === 'DOCKER') : [];
      missing.push({
        ...absent(
          file,
          `filter FORWARD does not reach Docker's chain${lost.length > 1 ? 's' : ''} ${lost.map((c) => c.chain).join(', ')} (the chain${lost.length > 1 ? 's exist' : ' exists'}, but FORWARD has no ${lost.map((c) => c.jump).join(', ')})${behind.length ? `, so ${behind.join(', ')} behind DOCKER-FORWARD are never consulted` : ''}`,
        ),
        critical: lost.some((c) => c.critical),
      });
    }
  }
  return { gaps: missing, chainsAbsent };
}

/** What of Docker's nat chain and jumps one copy of the nat table lacks. */
function natGaps(nat: Map<string, Chain>, file: string, artifacts: { dockerDaemon?: DockerDaemonConfig[] }): { gaps: Gap[]; chainsAbsent: boolean } {
  const missing: Gap[] = [];
  let chainsAbsent = false;
  if (!nat.has('DOCKER')) {
    missing.push({ ...absent(file, 'no DOCKER chain in the nat table'), critical: true });
    chainsAbsent = true;
  } else {
    if (!reachableChains(nat, 'PREROUTING').has('DOCKER'))
      missing.push({ ...absent(file, 'nat PREROUTING does not jump to DOCKER (-m addrtype --dst-type LOCAL -j DOCKER)'), critical: true });
    // the host's own connections to its published ports (OUTPUT): only when the dump has the chain
    // and goes past it (iptables-save and -L print OUTPUT's rules before POSTROUTING's and the
    // user chains': a dump cut after PREROUTING says nothing of OUTPUT)
    const pastOutput = [...nat.values()].some((c) => c.name !== 'PREROUTING' && c.name !== 'INPUT' && c.name !== 'OUTPUT' && c.rules.length > 0);
    if (nat.has('OUTPUT') && pastOutput && !reachableChains(nat, 'OUTPUT').has('DOCKER')) {
      // with "userland-proxy": false no docker-proxy answers in its place
      const noProxy = (artifacts.dockerDaemon ?? []).find((d) => d.userlandProxy?.value === false);
      missing.push({
        ...absent(
          file,
          noProxy
            ? `nat OUTPUT does not jump to DOCKER (! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER), and daemon.json turns docker-proxy off ("userland-proxy": false, ${noProxy.userlandProxy!.ref.file}:${noProxy.userlandProxy!.ref.line}): connections from the host itself to its published ports do not reach the containers`
            : 'nat OUTPUT does not jump to DOCKER (! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER): connections from the host itself to its published ports are not forwarded to the containers unless docker-proxy (userland-proxy, on by default) answers them',
        ),
        critical: noProxy !== undefined,
      });
    }
  }
  return { gaps: missing, chainsAbsent };
}
