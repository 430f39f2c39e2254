/**
 * Per-node facts for the side-by-side cluster view: one small value per node and label, so a
 * reader sees at a glance which node differs. Providers are pure functions of the artifacts;
 * `shouldMatch` marks the settings that must be equal across nodes (cluster.node-inconsistent),
 * `unique` the ones that must differ on every node (a node's pod subnet and its gateway address).
 * factMarks decides which cells the view marks: the renderer sees only the report.
 */
import { parseCidr, cidrOverlap, parseIp } from '../parsers/cidr.js';
import { interfacesOf } from '../parsers/interfaces.js';
import { runtimeValue } from '../parsers/sysctl.js';
import { dockerdSettings, type DockerdSettings } from '../parsers/dockerd-flags.js';
import type { SourceRef } from '../model/source.js';
import type { NodeArtifacts } from './artifacts.js';

export type FactValue = string | number | boolean | null;

export interface FactProvider {
  label: string;
  shouldMatch: boolean;
  /** per-node-unique (flannel subnet, flannel.1, cni0): a value two nodes share is the wrong one, not the minority */
  unique?: boolean;
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
  { label: 'flannel subnet', shouldMatch: false, unique: true, compute: (a) => a.flannelSubnetEnv?.[0]?.subnet?.value },
  { label: 'flannel MTU', shouldMatch: true, compute: (a) => a.flannelSubnetEnv?.[0]?.mtu?.value, source: (a) => a.flannelSubnetEnv?.[0]?.mtu?.ref },
  { label: 'flannel.1', shouldMatch: false, unique: true, compute: (a) => addr(a, 'flannel.1') },
  { label: 'cni0', shouldMatch: false, unique: true, compute: (a) => addr(a, 'cni0') },
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

/** Why a cell of the side-by-side view is marked: it differs from most nodes, or it repeats another node's per-node-unique value. */
export type FactMark = 'differs' | 'duplicated';

/**
 * The marks of the side-by-side view, one map per node (same order): a setting that should be the
 * same everywhere is marked on the nodes in the minority; a per-node-unique value (flannel subnet,
 * flannel.1, cni0) on every node that shares it with another node, however many do. Three nodes
 * where node-a and node-c both hold 10.244.1.1/24 mark node-a and node-c, not node-b.
 */
export function factMarks(nodes: Record<string, FactValue>[]): Record<string, FactMark>[] {
  const out: Record<string, FactMark>[] = nodes.map(() => ({}));
  const labels = [...new Set(nodes.flatMap((n) => Object.keys(n)))];
  const unique = new Set(FACT_PROVIDERS.filter((p) => p.unique).map((p) => p.label));
  for (const label of labels) {
    const present = nodes.map((n, i) => ({ i, v: n[label] })).filter((x): x is { i: number; v: string | number | boolean } => x.v !== null && x.v !== undefined);
    if (present.length < 2) continue;
    if (unique.has(label)) {
      for (const a of present) if (present.some((b) => b.i !== a.i && sharesValue(label, String(a.v), String(b.v)))) out[a.i][label] = 'duplicated';
      continue;
    }
    const counts = new Map<string, number>();
    for (const x of present) counts.set(String(x.v), (counts.get(String(x.v)) ?? 0) + 1);
    if (counts.size < 2) continue;
    const top = Math.max(...counts.values());
    for (const x of present) if ((counts.get(String(x.v)) ?? 0) < top) out[x.i][label] = 'differs';
  }
  return out;
}

/**
 * Two nodes' values of a per-node-unique fact collide: subnets that overlap (flannel subnet), or an
 * interface address (the IP, whatever its prefix) that both nodes hold (flannel.1, cni0). Values are
 * lists ("a, b") where an interface has several addresses.
 */
function sharesValue(label: string, a: string, b: string): boolean {
  const list = (s: string) => s.split(/,\s*/).map((x) => x.trim()).filter(Boolean);
  for (const x of list(a))
    for (const y of list(b)) {
      if (label === 'flannel subnet') {
        const cx = parseCidr(x);
        const cy = parseCidr(y);
        if (cx && cy ? cx.family === cy.family && cidrOverlap(cx, cy) : x === y) return true;
        continue;
      }
      const ix = parseIp(x.split('/')[0]);
      const iy = parseIp(y.split('/')[0]);
      if (ix && iy ? ix.family === iy.family && ix.value === iy.value : x === y) return true;
    }
  return false;
}
