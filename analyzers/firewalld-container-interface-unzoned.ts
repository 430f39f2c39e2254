/**
 * firewalld.container-interface-unzoned: a container bridge (docker0, br-*, cni0) is in no
 * firewalld zone, or in a zone whose target rejects or drops traffic, so firewalld's own nftables
 * table blocks what the iptables rules allow (a common setup puts cni0 in the trusted zone; Docker 20.10+
 * adds a docker zone with target ACCEPT).
 */
import { defineAnalyzer } from '../src/engine/analyzer.js';
import type { Evidence } from '../src/report/schema.js';
import { zoneOfInterface } from '../src/nft/firewalld.js';
import { interfacesOf } from '../src/parsers/interfaces.js';
import { findService, isActive, isEnabled } from '../src/parsers/services.js';
import { DOCKER_RESTART_KINDS, dockerAfterFirewalldReload, dockerRestartOf } from './lib/node-services.js';

const CONTAINER_BRIDGE = /^(docker0|br-[0-9a-f]{12}|cni0|cbr0|podman\d+|virbr-docker)$/;

export default defineAnalyzer({
  id: 'firewalld.container-interface-unzoned',
  title: 'A container bridge is not in an open firewalld zone',
  description: 'A container bridge is in no firewalld zone, or in one whose target rejects or drops its traffic.',
  scope: 'node',
  requires: ['firewalldZones', 'ipAddr'],
  optional: ['firewalldConf', ...DOCKER_RESTART_KINDS],
  analyze({ node, artifacts }) {
    // zones on disk with firewalld disabled block nothing
    const states = findService(artifacts.services ?? [], 'firewalld');
    if (states.length > 0 && !isActive(states) && !isEnabled(states)) return [];
    const zones = artifacts.firewalldZones.flatMap((z) => z.zones);
    // firewalld.conf, or the zone listing's (default) mark, else firewalld's own default: public
    const defaultZone =
      artifacts.firewalldConf?.[0]?.defaultZone ?? artifacts.firewalldZones.find((z) => z.defaultZone)?.defaultZone ?? (zones.some((z) => z.name === 'public') ? 'public' : undefined);
    const dockerRestart = dockerRestartOf(artifacts);
    const after = dockerAfterFirewalldReload(artifacts, { dockerRestart }, "firewalld reload removes Docker's rules");
    const findings = [];
    for (const itf of interfacesOf(artifacts.ipAddr).values()) {
      if (!CONTAINER_BRIDGE.test(itf.name)) continue;
      const hit = zoneOfInterface(zones, itf.name, defaultZone);
      const target = hit?.zone.target;
      const open = hit && hit.via === 'interface' && (target === 'ACCEPT' || hit.zone.forward === true);
      if (open) continue;
      const evidence: Evidence[] = [{ file: itf.ref.file, line: itf.ref.line, excerpt: `${itf.name}${itf.addresses[0] ? ' ' + itf.addresses[0].cidr : ''}`, note: 'the container bridge' }];
      if (hit) evidence.push({ file: hit.zone.ref.file, line: hit.zone.ref.line, excerpt: `${hit.zone.name}: target ${target}${hit.zone.forward === false ? ', forward no' : ''}`, note: hit.via === 'default' ? 'the default zone, which takes every interface no zone names' : 'the zone the bridge is in' });
      else evidence.push({ file: artifacts.firewalldZones[0].file, line: 0, excerpt: `no zone names ${itf.name} and no default zone is known`, note: 'searched the zones here' });
      findings.push({
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
      });
    }
    return findings;
  },
});
