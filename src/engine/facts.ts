/**
 * Per-node facts for the side-by-side cluster view: one small value per node and label, so a
 * reader sees at a glance which node differs. Providers are pure functions of the artifacts.
 */
import { runtimeValue } from '../parsers/sysctl.js';
import type { NodeArtifacts } from './artifacts.js';

export type FactValue = string | number | boolean | null;

export interface FactProvider {
  label: string;
  /** differences between nodes are suspicious for this fact */
  shouldMatch: boolean;
  compute(artifacts: NodeArtifacts): FactValue | undefined;
}

export const FACT_PROVIDERS: FactProvider[] = [
  {
    label: 'ip_forward',
    shouldMatch: true,
    compute: (a) => runtimeValue(a.sysctl ?? [], 'net.ipv4.ip_forward')[0]?.value,
  },
  {
    label: 'bridge-nf-call-iptables',
    shouldMatch: true,
    compute: (a) => runtimeValue(a.sysctl ?? [], 'net.bridge.bridge-nf-call-iptables')[0]?.value,
  },
];

export function nodeFacts(artifacts: NodeArtifacts): Record<string, FactValue> {
  const out: Record<string, FactValue> = {};
  for (const p of FACT_PROVIDERS) {
    let v: FactValue | undefined;
    try {
      v = p.compute(artifacts);
    } catch {
      v = undefined;
    }
    out[p.label] = v === undefined ? null : v;
  }
  return out;
}
