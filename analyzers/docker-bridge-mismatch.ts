/**
 * docker.bridge-mismatch: a Docker network's subnet or gateway disagrees with the address of its
 * bridge interface, or a Docker subnet overlaps the flannel network or another host network.
 */
import { defineAnalyzer } from '../src/engine/analyzer.js';
import type { Evidence } from '../src/report/schema.js';
import { addressIn, cidrOverlap, parseCidr } from '../src/parsers/cidr.js';
import { interfacesOf } from '../src/parsers/interfaces.js';
import { DOCKER_RESTART_KINDS, dockerRestartOf, restartDocker } from './lib/node-services.js';

export default defineAnalyzer({
  id: 'docker.bridge-mismatch',
  title: 'Docker network disagrees with the host',
  description: 'A docker network subnet/gateway differs from its bridge address, or overlaps flannel or a host network.',
  scope: 'node',
  requires: ['dockerNetworks', 'ipAddr'],
  optional: ['flannelSubnetEnv', 'flannelNetConf', ...DOCKER_RESTART_KINDS],
  analyze({ node, artifacts }) {
    const itfs = interfacesOf(artifacts.ipAddr);
    const findings = [];
    const flannelNet = artifacts.flannelSubnetEnv?.[0]?.network ?? artifacts.flannelNetConf?.[0]?.network;
    // how dockerd runs here (docker.service, rootless, the snap): which daemon.json, which restart
    const dockerRestart = dockerRestartOf(artifacts);
    for (const n of artifacts.dockerNetworks.flatMap((d) => d.networks)) {
      if (n.driver !== 'bridge' || !n.bridgeName) continue;
      const itf = itfs.get(n.bridgeName);
      for (const s of n.subnets.filter((x) => !x.subnet.includes(':'))) {
        const sub = parseCidr(s.subnet);
        if (!sub) continue;
        const problems: string[] = [];
        const evidence: Evidence[] = [{ file: s.ref.file, line: s.ref.line, excerpt: s.excerpt, note: `docker network ${n.name}` }];
        const v4 = itf?.addresses.filter((a) => a.family === 4) ?? [];
        if (itf && v4.length > 0) {
          const a = v4[0];
          if (!addressIn(a.address, s.subnet)) problems.push(`bridge ${n.bridgeName} has ${a.cidr}, outside the network's subnet ${s.subnet}`);
          else if (s.gateway && a.address !== s.gateway) problems.push(`bridge ${n.bridgeName} has ${a.address}, the network's gateway is ${s.gateway}`);
          if (problems.length) evidence.push({ file: a.ref.file, line: a.ref.line, excerpt: a.excerpt, note: `address of ${n.bridgeName}` });
        }
        if (flannelNet && cidrOverlap(sub, parseCidr(flannelNet.value)!)) {
          problems.push(`subnet ${s.subnet} overlaps the flannel network ${flannelNet.value}`);
          evidence.push({ file: flannelNet.ref.file, line: flannelNet.ref.line, excerpt: flannelNet.excerpt, note: 'the pod network' });
        }
        for (const other of itfs.values()) {
          if (other.name === n.bridgeName || /^(lo|veth|docker0|br-[0-9a-f]{12}|cni0|flannel)/.test(other.name)) continue;
          const hit = other.addresses.find((a) => a.family === 4 && a.prefix < 32 && cidrOverlap(sub, parseCidr(a.network)!));
          if (hit) {
            problems.push(`subnet ${s.subnet} overlaps ${other.name}'s network ${hit.network}`);
            evidence.push({ file: hit.ref.file, line: hit.ref.line, excerpt: hit.excerpt, note: `host network on ${other.name}` });
          }
        }
        if (problems.length === 0) continue;
        findings.push({
          severity: 'warning' as const,
          title: 'Docker network disagrees with the host',
          message: `On ${node}, docker network ${n.name}: ${problems.join('; ')}. Traffic for those addresses goes to the wrong interface.`,
          impact: 'Containers of this network, or the host network it overlaps, become unreachable.',
          evidence,
          facts: { network: n.name, subnet: s.subnet, bridge: n.bridgeName, problems },
          remedy: {
            summary: 'Give Docker address ranges that collide with nothing (daemon.json "bip" and "default-address-pools"), then recreate the network.',
            commands: [`docker network inspect ${n.name}`, `# ${dockerRestart.daemonJson}: { "bip": "<free range>", "default-address-pools": [{ "base": "<free /16>", "size": 24 }] }`, ...restartDocker({ dockerRestart })],
            caution: 'Restarting docker restarts every container; recreating a network detaches its containers.',
          },
        });
      }
    }
    return findings;
  },
});
