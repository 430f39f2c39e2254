/**
 * iptables.docker-chain-missing: Docker runs, but its DOCKER chain or the jumps to it are gone
 * from the live rules: a firewall restart or `iptables --flush` removed them and Docker does not
 * notice (seeds 000, 001). `docker run -p` then fails with "No chain/target/match by that name".
 */
import { defineAnalyzer } from '../src/engine/analyzer.js';
import type { Evidence } from '../src/report/schema.js';
import { dockerPresence, liveTables, tableFiles } from './lib/node-view.js';
import { logEvidence } from './lib/logs.js';

export default defineAnalyzer({
  id: 'iptables.docker-chain-missing',
  title: "Docker's iptables chains are missing",
  description: 'Docker is present but the DOCKER chain (filter/nat) or the jumps to it are not in the live rules.',
  scope: 'node',
  requires: ['iptables'],
  optional: ['ipAddr', 'dockerNetworks', 'services', 'logs', 'dockerDaemon', 'nftables'],
  analyze({ node, artifacts }) {
    const docker = dockerPresence(artifacts);
    if (docker.evidence.length === 0 || docker.noIptables) return [];
    // Docker 29's nftables firewall back end keeps its rules in its own tables, not in iptables chains
    if ((artifacts.nftables ?? []).some((n) => n.tables.some((t) => t.name === 'docker-bridges'))) return [];
    const tables = liveTables(artifacts);
    const files = tableFiles(artifacts);
    const missing: Evidence[] = [];
    const filter = tables.get('filter');
    if (filter) {
      if (!filter.has('DOCKER')) missing.push(absent(files.get('filter')!, 'no DOCKER chain in the filter table'));
      else {
        const fwd = [...filter.values()].some((c) => c.rules.some((r) => r.target === 'DOCKER'));
        if (!fwd) missing.push(absent(files.get('filter')!, 'the DOCKER chain of filter exists, but nothing jumps to it (FORWARD / DOCKER-FORWARD)'));
      }
    }
    const nat = tables.get('nat');
    if (nat) {
      if (!nat.has('DOCKER')) missing.push(absent(files.get('nat')!, 'no DOCKER chain in the nat table'));
      else {
        const pre = nat.get('PREROUTING')?.rules.some((r) => r.target === 'DOCKER');
        if (!pre) missing.push(absent(files.get('nat')!, 'nat PREROUTING does not jump to DOCKER (-m addrtype --dst-type LOCAL -j DOCKER)'));
      }
    }
    if (missing.length === 0) return [];
    const logs = logEvidence(artifacts.logs, ['log.iptables-no-chain', 'log.docker-port-programming-failed', 'log.firewall-restart']);
    const restart = logs.find((e) => e.note?.startsWith('log.firewall-restart'));
    return [
      {
        severity: 'critical',
        title: "Docker's iptables chains are missing",
        message:
          `Docker runs on ${node} but ${missing.map((m) => m.excerpt).join('; ')}. Containers with published ports cannot be reached and new ones fail to start with "No chain/target/match by that name".` +
          (restart ? ` A firewall restart is logged${restart.time ? ` at ${restart.time}` : ''}: it flushed the rules Docker had added.` : ' Something flushed them: an iptables.service or firewalld restart, or iptables --flush.'),
        impact: 'Published container ports are unreachable; docker run -p fails; Docker does not recreate the chains on its own.',
        evidence: [...missing, ...docker.evidence, ...logs],
        facts: { missing: missing.map((m) => m.excerpt), firewallRestartAt: restart?.time },
        remedy: {
          summary: 'Restart Docker to recreate its chains, then stop the firewall service from flushing them again (see iptables.service-conflict).',
          commands: ['systemctl restart docker', 'iptables -t nat -S DOCKER && iptables -S DOCKER   # check the chains are back'],
          caution: 'Restarting docker restarts every container on the node (seed 000); in OpenShift also restart the node service.',
        },
      },
    ];
  },
});

function absent(file: string, what: string): Evidence {
  return { file, line: 0, excerpt: what, note: 'searched the live rules in this file' };
}
