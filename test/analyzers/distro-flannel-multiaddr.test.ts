/** flannel.multiple-addresses names the node's own services in its repair, as flannel.subnet-mismatch does: k3s runs flannel in-process. */
import { describe, expect, it } from 'vitest';
import multipleAddresses from '../../analyzers/flannel-multiple-addresses.js';
import { flannelRemedy } from '../../analyzers/lib/flannel.js';
import { parseSystemctlText } from '../../src/parsers/services.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { runNode } from './helpers.js';

const IP_ADDR = `5: flannel.1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN group default
    link/ether 0e:3c:61:2a:9d:11 brd ff:ff:ff:ff:ff:ff
    inet 10.42.1.0/32 scope global flannel.1
       valid_lft forever preferred_lft forever
    inet 10.42.3.0/32 scope global flannel.1
       valid_lft forever preferred_lft forever
`;
const units = (...u: string[]) =>
  parseSystemctlText(`  UNIT                 LOAD   ACTIVE SUB     DESCRIPTION\n${u.map((x) => `  ${x.padEnd(20)} loaded active running ${x}`).join('\n')}\n`, 'systemctl-list-units.txt');

describe('flannel.multiple-addresses remedy', () => {
  const a = (...u: string[]): NodeArtifacts => ({ ipAddr: [parseInterfaces(IP_ADDR, 'ip-addr.txt')], services: [units(...u)] });

  it('k3s: delete the links and restart k3s, no flannel pod, kubelet or docker', () => {
    const [f] = runNode(multipleAddresses, a('k3s.service'), 'k3s-node1');
    expect(f.remedy.commands.filter((c) => !c.startsWith('#'))).toEqual(['ip link delete flannel.1', 'ip link delete cni0', 'systemctl restart k3s']);
  });

  it('Docker + kubelet: the repair as before', () => {
    const [f] = runNode(multipleAddresses, a('docker.service', 'kubelet.service'), 'node-1');
    expect(f.remedy).toEqual(flannelRemedy('node-1'));
  });
});
