/**
 * iptables.kube-chains-missing on a MicroK8s node: its kubelite unit (a dotted snap name) is cited
 * as the evidence of a Kubernetes node, as kubelet.service is on kubeadm nodes.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import kubeChainsMissing from '../../analyzers/iptables-kube-chains-missing.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { parseSystemctlText } from '../../src/parsers/services.js';
import { projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const UNITS = [
  '  UNIT                                        LOAD   ACTIVE SUB     DESCRIPTION',
  '  snap.microk8s.daemon-containerd.service     loaded active running Service for snap application microk8s.daemon-containerd',
  '  snap.microk8s.daemon-kubelite.service       loaded active running Service for snap application microk8s.daemon-kubelite',
  '',
].join('\n');

describe('iptables.kube-chains-missing on MicroK8s', () => {
  it("cites the kubelite unit beside the flushed chains", () => {
    const rules = parseIptablesSave(readFileSync(projectPath('test/fixtures/k8s-flush/kubeadm-flushed.rules'), 'utf8'), 'iptables-save');
    const [f] = runNode(kubeChainsMissing, { iptables: [rules], services: [parseSystemctlText(UNITS, 'systemctl-list-units.txt')] }, 'mk8s-node1');
    expect(f.severity).toBe('critical');
    expect(f.evidence.some((e) => e.file === 'systemctl-list-units.txt' && e.line === 3 && /Kubernetes node/.test(e.note ?? ''))).toBe(true);
  });
});
