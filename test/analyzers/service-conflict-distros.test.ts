/**
 * iptables.service-conflict on Kubernetes nodes that run no Docker: the node's Kubernetes is
 * told by its units (RKE2, k0s, MicroK8s' snap unit as well as kubelet and k3s), as
 * `systemctl list-unit-files` prints them.
 */
import { describe, expect, it } from 'vitest';
import serviceConflict from '../../analyzers/iptables-service-conflict.js';
import { parseSystemctlText } from '../../src/parsers/services.js';
import { runNode } from './helpers.js';

const units = (...names: string[]) =>
  parseSystemctlText(
    'UNIT FILE                                  STATE           VENDOR PRESET\n' +
      names.map((u) => `${u.padEnd(43)}enabled         enabled      \n`).join('') +
      'iptables.service                           enabled         disabled     \n' +
      'sshd.service                               enabled         enabled      \n\n' +
      `${names.length + 2} unit files listed.\n`,
    'systemctl-list-unit-files.txt',
  );

describe('iptables.service-conflict on Kubernetes distributions without Docker', () => {
  it.each([['rke2-server.service'], ['rke2-agent.service'], ['k0sworker.service'], ['k0scontroller.service'], ['snap.microk8s.daemon-kubelite.service'], ['kubelet.service']])('%s with iptables.service enabled: fires', (unit) => {
    const found = runNode(serviceConflict, { services: [units(unit)] });
    expect(found).toHaveLength(1);
    expect(found[0].message).toMatch(/^iptables\.service is enabled/);
  });

  it('no container runtime nor Kubernetes: silent', () => {
    expect(runNode(serviceConflict, { services: [units()] })).toEqual([]);
  });
});
