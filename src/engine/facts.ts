/**
 * Per-node facts for the side-by-side cluster view: one small value per node and label, so a
 * reader sees at a glance which node differs. Providers are pure functions of the artifacts;
 * `shouldMatch` marks the settings that must be equal across nodes (cluster.node-inconsistent).
 */
import { interfacesOf } from '../parsers/interfaces.js';
import { runtimeValue } from '../parsers/sysctl.js';
import { dockerdSettings, type DockerdSettings } from '../parsers/dockerd-flags.js';
import type { SourceRef } from '../model/source.js';
import type { NodeArtifacts } from './artifacts.js';

export type FactValue = string | number | boolean | null;

export interface FactProvider {
  label: string;
  shouldMatch: boolean;
  compute(artifacts: NodeArtifacts): FactValue | undefined;
  /** where the value was read: evidence for cluster findings */
  source?(artifacts: NodeArtifacts): SourceRef | undefined;
}

const liveV4 = (a: NodeArtifacts) => (a.iptables ?? []).filter((r) => r.origin === 'live' && r.family !== 'ipv6');
const addr = (a: NodeArtifacts, name: string) =>
  interfacesOf(a.ipAddr ?? [])
    .get(name)
    ?.addresses.filter((x) => x.family === 4)
    .map((x) => x.cidr)
    .join(', ') || undefined;

export const FACT_PROVIDERS: FactProvider[] = [
  {
    label: 'ip_forward',
    shouldMatch: true,
    compute: (a) => runtimeValue(a.sysctl ?? [], 'net.ipv4.ip_forward')[0]?.value,
    source: (a) => runtimeValue(a.sysctl ?? [], 'net.ipv4.ip_forward')[0]?.ref,
  },
  {
    label: 'bridge-nf-call-iptables',
    shouldMatch: true,
    compute: (a) => runtimeValue(a.sysctl ?? [], 'net.bridge.bridge-nf-call-iptables')[0]?.value,
    source: (a) => runtimeValue(a.sysctl ?? [], 'net.bridge.bridge-nf-call-iptables')[0]?.ref,
  },
  {
    label: 'iptables back end',
    shouldMatch: true,
    compute: (a) => {
      const v = (a.iptablesVersion ?? []).flat().find((x) => x.backend !== 'unknown')?.backend;
      return v ?? liveV4(a).find((r) => r.backend !== 'unknown' && (r.format === 'save' || r.format === 'nft'))?.backend;
    },
    source: (a) => (a.iptablesVersion ?? []).flat().find((x) => x.backend !== 'unknown')?.ref ?? ((f) => (f ? { file: f, line: 1 } : undefined))(liveV4(a).find((r) => r.backend !== 'unknown' && (r.format === 'save' || r.format === 'nft'))?.file),
  },
  { label: 'iptables version', shouldMatch: false, compute: (a) => (a.iptablesVersion ?? []).flat()[0]?.version ?? liveV4(a).find((r) => r.version)?.version },
  {
    label: 'FORWARD policy',
    shouldMatch: true,
    compute: (a) => liveV4(a).map((r) => r.tables.filter?.chains.FORWARD?.policy).find(Boolean),
    source: (a) => liveV4(a).map((r) => r.tables.filter?.chains.FORWARD).find((c) => c?.policy)?.ref,
  },
  { label: 'flannel subnet', shouldMatch: false, compute: (a) => a.flannelSubnetEnv?.[0]?.subnet?.value },
  { label: 'flannel MTU', shouldMatch: true, compute: (a) => a.flannelSubnetEnv?.[0]?.mtu?.value, source: (a) => a.flannelSubnetEnv?.[0]?.mtu?.ref },
  { label: 'flannel.1', shouldMatch: false, compute: (a) => addr(a, 'flannel.1') },
  { label: 'cni0', shouldMatch: false, compute: (a) => addr(a, 'cni0') },
  { label: 'docker0', shouldMatch: false, compute: (a) => addr(a, 'docker0') },
  // dockerd's own settings where the bundle states them (running command line > docker.service > daemon.json)
  dockerdFact('docker iptables', 'iptables'),
  dockerdFact('docker ip-forward', 'ipForward'),
  dockerdFact('docker ip-masq', 'ipMasq'),
];

function dockerdFact(label: string, key: 'iptables' | 'ipForward' | 'ipMasq'): FactProvider {
  const setting = (a: NodeArtifacts) => (dockerdSettings(a.dockerDaemon) as DockerdSettings)[key];
  return { label, shouldMatch: false, compute: (a) => setting(a)?.value, source: (a) => setting(a)?.ref };
}

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
