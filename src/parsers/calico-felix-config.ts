/**
 * Calico Felix's configuration, for what it does to kube-proxy's rules: FelixConfiguration resources
 * (`kubectl get felixconfiguration -o yaml|json`, `calicoctl get felixconfig -o yaml`, troubleshoot's
 * `cluster-resources/custom-resources/felixconfigurations.crd.projectcalico.org.yaml`, a pasted `spec:`),
 * and calico-node's environment (`FELIX_BPFENABLED`, `FELIX_BPFKUBEPROXYIPTABLESCLEANUPENABLED` in a
 * DaemonSet's YAML or JSON).
 *
 * Kept: `bpfEnabled` (Calico's eBPF data plane) and `bpfKubeProxyIptablesCleanupEnabled` (default true:
 * in eBPF mode Felix deletes kube-proxy's iptables chains, projectcalico/calico#10538, Calico's "Avoiding
 * conflicts with kube-proxy"), each with its line and the resource's name where it says one (`default`,
 * `node.<name>`).
 */
import { SkipFile, excerpt as capped, lines, type SourceRef } from '../model/source.js';

export interface FelixSetting {
  value: boolean;
  ref: SourceRef;
  excerpt: string;
  /** the FelixConfiguration's metadata.name where the file gives it (`default`, `node.worker-1`) */
  resource?: string;
  /** a FelixConfiguration field, or calico-node's environment variable */
  from: 'FelixConfiguration' | 'environment';
}

export interface FelixConfig {
  file: string;
  bpfEnabled: FelixSetting[];
  bpfKubeProxyIptablesCleanupEnabled: FelixSetting[];
}

/** `bpfEnabled: true`, `"bpfEnabled": false,` */
const FIELD = /^\s*-?\s*"?(bpfEnabled|bpfKubeProxyIptablesCleanupEnabled)"?\s*:\s*"?(true|false)"?\s*,?\s*(?:#.*)?$/;
/** `- name: FELIX_BPFENABLED` then `value: "true"` (YAML), or `{"name": "FELIX_BPFENABLED", "value": "true"}` (JSON) */
const ENV_NAME = /"?name"?\s*:\s*"?(FELIX_BPFENABLED|FELIX_BPFKUBEPROXYIPTABLESCLEANUPENABLED)"?/i;
const ENV_VALUE = /"?value"?\s*:\s*"?(true|false)"?/i;
const NAME = /^\s*"?name"?\s*:\s*"?([\w.-]{1,253})"?,?\s*$/;

export function parseFelixConfig(text: string, file: string): FelixConfig {
  const out: FelixConfig = { file, bpfEnabled: [], bpfKubeProxyIptablesCleanupEnabled: [] };
  const all = lines(text);
  let resource: string | undefined;
  let inMetadata = false;
  for (let i = 0; i < all.length; i++) {
    const t = all[i];
    if (/^\s*-?\s*"?metadata"?\s*:/.test(t)) inMetadata = true;
    else if (/^\s*-?\s*"?spec"?\s*:/.test(t)) inMetadata = false;
    const n = inMetadata ? NAME.exec(t) : null;
    if (n) resource = n[1];
    const ref = { file, line: i + 1 };
    const f = FIELD.exec(t);
    if (f) {
      out[f[1] as 'bpfEnabled' | 'bpfKubeProxyIptablesCleanupEnabled'].push({ value: f[2] === 'true', ref, excerpt: capped(t.trim()), ...(resource ? { resource } : {}), from: 'FelixConfiguration' });
      continue;
    }
    const e = ENV_NAME.exec(t);
    if (e) {
      // the value on the same line (JSON) or the next (YAML's `value:` under `- name:`)
      for (const [j, l] of [[i, t], [i + 1, all[i + 1] ?? '']] as const) {
        const v = ENV_VALUE.exec(l.replace(ENV_NAME, ''));
        if (!v) continue;
        const key = /CLEANUP/i.test(e[1]) ? 'bpfKubeProxyIptablesCleanupEnabled' : 'bpfEnabled';
        out[key].push({ value: v[1].toLowerCase() === 'true', ref: { file, line: j + 1 }, excerpt: capped(`${e[1]}=${v[1]}`), from: 'environment' });
        break;
      }
    }
  }
  if (out.bpfEnabled.length === 0 && out.bpfKubeProxyIptablesCleanupEnabled.length === 0) throw new SkipFile(file, "no Felix eBPF setting (bpfEnabled, bpfKubeProxyIptablesCleanupEnabled)");
  return out;
}

/** Content test: a FelixConfiguration (its kind, or a `spec:` holding Felix's eBPF keys), or calico-node's FELIX_BPF* variables. */
export function sniffFelixConfig(head: string): boolean {
  if (/"?name"?\s*:\s*"?FELIX_BPF(?:ENABLED|KUBEPROXYIPTABLESCLEANUPENABLED)\b/i.test(head)) return true;
  if (!/^\s*-?\s*"?bpf(?:Enabled|KubeProxyIptablesCleanupEnabled)"?\s*:/m.test(head)) return false;
  return /"?kind"?\s*:\s*"?FelixConfiguration/.test(head) || /^\s*"?spec"?\s*:/m.test(head);
}

/**
 * Felix's eBPF data plane and its kube-proxy cleanup on the node: on where a FelixConfiguration or
 * calico-node's environment says `bpfEnabled: true`; the cleanup then runs unless set false (its default is
 * true). The node-specific resource (`node.<name>`) wins over `default` where both say.
 */
export function felixKubeProxyCleanup(configs: readonly FelixConfig[], node?: string): { bpf: FelixSetting; cleanup?: FelixSetting; cleans: boolean } | undefined {
  const pick = (list: FelixSetting[]) => list.find((s) => node && s.resource === `node.${node}`) ?? list.find((s) => s.resource === undefined || s.resource === 'default') ?? list[0];
  const bpf = pick(configs.flatMap((c) => c.bpfEnabled));
  if (!bpf?.value) return undefined;
  const cleanup = pick(configs.flatMap((c) => c.bpfKubeProxyIptablesCleanupEnabled));
  return { bpf, ...(cleanup ? { cleanup } : {}), cleans: cleanup?.value !== false };
}
