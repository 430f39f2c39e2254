/**
 * Is this node a container host? Several analyzers only mean something on one (ip_forward off
 * is normal on a plain server), so they ask here and name what they saw.
 */
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { findService, isActive, isEnabled } from '../../src/parsers/services.js';

const RUNTIME_UNITS = ['docker', 'containerd', 'kubelet', 'k3s', 'k3s-agent', 'crio', 'snap.kubelet.daemon', 'atomic-openshift-node', 'origin-node'];

/** Short phrases naming what shows a container runtime on the node; empty when nothing does. */
export function containerHostEvidence(artifacts: NodeArtifacts): string[] {
  const seen: string[] = [];
  for (const unit of RUNTIME_UNITS) {
    const states = findService(artifacts.services ?? [], unit);
    if (isEnabled(states) || isActive(states)) seen.push(`${unit}.service ${isActive(states) ? 'active' : 'enabled'}`);
  }
  if ((artifacts.dockerDaemon ?? []).length > 0) seen.push('docker daemon.json');
  for (const s of artifacts.sysctl ?? []) {
    if ([...s.values.keys()].some((k) => k.startsWith('net.bridge.bridge-nf-call'))) {
      seen.push('br_netfilter loaded');
      break;
    }
  }
  return seen;
}
