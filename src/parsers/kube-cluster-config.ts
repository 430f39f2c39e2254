/**
 * The cluster's own address ranges: where pods and Services get their addresses. Read, each value with
 * the file and line it sits on, from:
 * - static pod manifests (/etc/kubernetes/manifests/kube-controller-manager.yaml, kube-apiserver.yaml):
 *   `- --cluster-cidr=...` (pods), `- --service-cluster-ip-range=...` (Services);
 * - kubeadm's ClusterConfiguration: /etc/kubernetes/kubeadm-config.yaml (`networking: podSubnet /
 *   serviceSubnet`), the kubeadm-config ConfigMap as `kubectl -n kube-system get cm kubeadm-config -o yaml`
 *   prints it, and troubleshoot's `cluster-resources/configmaps/kube-system.json` (a ConfigMapList whose
 *   `data.ClusterConfiguration` is the YAML as one JSON string; kube-proxy's ConfigMap `config.conf` there
 *   gives `clusterCIDR` too);
 * - k3s / RKE2 config.yaml (/etc/rancher/k3s/config.yaml, /etc/rancher/rke2/config.yaml): `cluster-cidr`,
 *   `service-cidr` (comma-separated for dual stack, or a YAML list);
 * - Calico IPPools: `calicoctl get ippool -o yaml|json`, `kubectl get ippools.crd.projectcalico.org -o
 *   yaml|json`, troubleshoot's `cluster-resources/custom-resources/ippools.crd.projectcalico.org.yaml` (a
 *   bare YAML list of the objects; pkg/collect/cluster_resources.go crsV1), and the Tigera operator's
 *   Installation (`spec.calicoNetwork.ipPools[].cidr`, custom-resources.yaml): cidr with ipipMode,
 *   vxlanMode / encapsulation, natOutgoing, disabled.
 * The text is read line by line (no YAML library, and JSON.parse keeps no positions).
 */
import { SkipFile, excerpt as capped, lines, type ParseWarning, type SourceRef } from '../model/source.js';
import { parseCidr } from './cidr.js';

export type ClusterRangeSource =
  | 'kube-controller-manager'
  | 'kube-apiserver'
  | 'kubeadm ClusterConfiguration'
  | 'kube-proxy ConfigMap'
  | 'k3s config'
  | 'rke2 config'
  | 'Calico IPPool'
  | 'Calico Installation';

export interface ClusterRange {
  /** as written: 192.168.0.0/16 */
  cidr: string;
  source: ClusterRangeSource;
  /** the option or key that set it: --cluster-cidr, podSubnet, cidr, ... */
  key: string;
  ref: SourceRef;
  excerpt: string;
  /** Calico pools: the pool's name and settings, where shown */
  pool?: { name?: string; ipipMode?: string; vxlanMode?: string; natOutgoing?: string; disabled?: boolean };
}

export interface KubeClusterRanges {
  file: string;
  format: 'manifest' | 'kubeadm-config' | 'configmaps-json' | 'k3s-config' | 'ippools';
  podRanges: ClusterRange[];
  serviceRanges: ClusterRange[];
  warnings: ParseWarning[];
}

/** A value that is one or more CIDRs (dual stack: `10.42.0.0/16,fd00:42::/56`); quotes and a trailing comment dropped. */
function cidrsOf(raw: string): string[] {
  const v = raw.replace(/\s+#.*$/, '').trim().replace(/^["']|["']$/g, '');
  return v
    .split(',')
    .map((s) => s.trim().replace(/^["']|["']$/g, ''))
    .filter((s) => s.length > 0);
}

function push(out: KubeClusterRanges, kind: 'pod' | 'service', raw: string, source: ClusterRangeSource, key: string, ref: SourceRef, text: string, pool?: ClusterRange['pool']): void {
  for (const cidr of cidrsOf(raw)) {
    if (!parseCidr(cidr) || !cidr.includes('/')) {
      out.warnings.push({ file: ref.file, line: ref.line, message: `${key}: "${cidr}" is not a CIDR` });
      continue;
    }
    (kind === 'pod' ? out.podRanges : out.serviceRanges).push({ cidr, source, key, ref, excerpt: capped(text.trim()), ...(pool ? { pool } : {}) });
  }
}

// ---- static pod manifests ----------------------------------------------------------------------

const FLAG = /^\s*-?\s*"?--(cluster-cidr|service-cluster-ip-range)[=\s]\s*"?([^"\s]+)"?,?\s*(?:#.*)?$/;

/** kube-controller-manager.yaml / kube-apiserver.yaml (or their JSON form): the range flags of the command. */
export function parseStaticPodManifest(text: string, file: string): KubeClusterRanges {
  const all = lines(text);
  const head = all.slice(0, 400).join('\n');
  const component = /kube-controller-manager/.test(head) ? 'kube-controller-manager' : /kube-apiserver/.test(head) ? 'kube-apiserver' : undefined;
  if (!component) throw new SkipFile(file, 'not a kube-controller-manager or kube-apiserver manifest');
  const out: KubeClusterRanges = { file, format: 'manifest', podRanges: [], serviceRanges: [], warnings: [] };
  all.forEach((l, i) => {
    const m = FLAG.exec(l);
    if (!m) return;
    const ref = { file, line: i + 1 };
    if (m[1] === 'cluster-cidr') {
      // kube-apiserver has no --cluster-cidr; only the controller manager allocates node CIDRs from it
      if (component === 'kube-controller-manager') push(out, 'pod', m[2], component, '--cluster-cidr', ref, l);
    } else push(out, 'service', m[2], component, '--service-cluster-ip-range', ref, l);
  });
  return out;
}

export function sniffStaticPodManifest(head: string): boolean {
  return /^\s*kind:\s*Pod\s*$/m.test(head) && /^\s*-\s*kube-(controller-manager|apiserver)\s*$/m.test(head);
}

// ---- kubeadm ClusterConfiguration ---------------------------------------------------------------

const KUBEADM_KEY = /^(\s*)(podSubnet|serviceSubnet):\s*(\S.*)$/;

/**
 * kubeadm's ClusterConfiguration as YAML: kubeadm-config.yaml (kubeadm init --config), `kubeadm config
 * view`, the kubeadm-config ConfigMap printed with -o yaml (`ClusterConfiguration: |` block). Also a
 * troubleshoot ConfigMapList JSON (cluster-resources/configmaps/kube-system.json), whose ClusterConfiguration
 * and kube-proxy `config.conf` values are single JSON strings on one line each.
 */
export function parseKubeadmConfig(text: string, file: string): KubeClusterRanges {
  const t = text.trimStart();
  if (t.startsWith('{') || t.startsWith('[')) return parseConfigMapsJson(text, file);
  const all = lines(text);
  const out: KubeClusterRanges = { file, format: 'kubeadm-config', podRanges: [], serviceRanges: [], warnings: [] };
  all.forEach((l, i) => {
    const m = KUBEADM_KEY.exec(l);
    if (!m) return;
    push(out, m[2] === 'podSubnet' ? 'pod' : 'service', m[3], 'kubeadm ClusterConfiguration', m[2], { file, line: i + 1 }, l);
  });
  // kube-proxy's KubeProxyConfiguration beside it (kubeadm-config.yaml often holds one): clusterCIDR
  all.forEach((l, i) => {
    const m = /^\s*clusterCIDR:\s*(\S.*)$/.exec(l);
    if (m && /^["']?[0-9a-fA-F.:]/.test(m[1].trim())) push(out, 'pod', m[1], 'kube-proxy ConfigMap', 'clusterCIDR', { file, line: i + 1 }, l);
  });
  if (out.podRanges.length === 0 && out.serviceRanges.length === 0 && !/ClusterConfiguration|KubeProxyConfiguration/.test(text)) throw new SkipFile(file, 'no ClusterConfiguration');
  return out;
}

/** troubleshoot's ConfigMapList (or `kubectl get cm -o json`): kubeadm-config's ClusterConfiguration and kube-proxy's config.conf, each a JSON string on one line. */
function parseConfigMapsJson(text: string, file: string): KubeClusterRanges {
  const all = lines(text);
  const out: KubeClusterRanges = { file, format: 'configmaps-json', podRanges: [], serviceRanges: [], warnings: [] };
  all.forEach((l, i) => {
    const key = /^\s*"(ClusterConfiguration|config\.conf)":\s*"(.*)",?\s*$/.exec(l);
    if (!key) return;
    let value: string;
    try {
      value = JSON.parse(`"${key[2]}"`) as string;
    } catch {
      out.warnings.push({ file, line: i + 1, message: `${key[1]}: not a JSON string` });
      return;
    }
    const ref = { file, line: i + 1 };
    for (const v of value.split('\n')) {
      const m = KUBEADM_KEY.exec(v);
      if (m && key[1] === 'ClusterConfiguration') push(out, m[2] === 'podSubnet' ? 'pod' : 'service', m[3], 'kubeadm ClusterConfiguration', m[2], ref, v);
      const c = /^\s*clusterCIDR:\s*(\S.*)$/.exec(v);
      if (c && key[1] === 'config.conf' && /^["']?[0-9a-fA-F.:]/.test(c[1].trim())) push(out, 'pod', c[1], 'kube-proxy ConfigMap', 'clusterCIDR', ref, v);
    }
  });
  return out;
}

// ---- k3s / RKE2 config.yaml ---------------------------------------------------------------------

/** /etc/rancher/k3s/config.yaml, /etc/rancher/rke2/config.yaml (and their config.yaml.d drop-ins): cluster-cidr, service-cidr. */
export function parseK3sConfig(text: string, file: string): KubeClusterRanges {
  const source: ClusterRangeSource = /rke2/.test(file) ? 'rke2 config' : 'k3s config';
  const all = lines(text);
  const out: KubeClusterRanges = { file, format: 'k3s-config', podRanges: [], serviceRanges: [], warnings: [] };
  for (let i = 0; i < all.length; i++) {
    const m = /^"?(cluster-cidr|service-cidr)"?:\s*(.*)$/.exec(all[i]);
    if (!m) continue;
    const kind = m[1] === 'cluster-cidr' ? 'pod' : 'service';
    const v = m[2].replace(/\s+#.*$/, '').trim();
    if (v.startsWith('[')) {
      push(out, kind, v.replace(/^\[|\]$/g, ''), source, m[1], { file, line: i + 1 }, all[i]);
      continue;
    }
    if (v !== '') {
      push(out, kind, v, source, m[1], { file, line: i + 1 }, all[i]);
      continue;
    }
    // a YAML list under the key
    for (let j = i + 1; j < all.length; j++) {
      const item = /^\s*-\s*(\S.*)$/.exec(all[j]);
      if (!item) break;
      push(out, kind, item[1], source, m[1], { file, line: j + 1 }, all[j]);
    }
  }
  return out;
}

// ---- Calico IPPools -----------------------------------------------------------------------------

/**
 * IPPools as calicoctl or kubectl print them (YAML or JSON, one object or a list), troubleshoot's
 * custom-resources copy, or the Tigera operator's Installation (its `ipPools` list). An object starts at
 * its apiVersion (calicoctl, kubectl and troubleshoot print it first) or a YAML `---`; the Installation's
 * pools each at their list item.
 */
export function parseCalicoIpPools(text: string, file: string): KubeClusterRanges {
  const all = lines(text);
  const out: KubeClusterRanges = { file, format: 'ippools', podRanges: [], serviceRanges: [], warnings: [] };
  type Pool = { cidr?: { value: string; line: number; text: string }; name?: string; ipipMode?: string; vxlanMode?: string; natOutgoing?: string; disabled?: boolean; installation: boolean };
  let cur: Pool = { installation: false };
  let installation = false;
  let inIpPools = -1;
  const flush = () => {
    if (cur.cidr) {
      const { name, ipipMode, vxlanMode, natOutgoing, disabled } = cur;
      const pool = { ...(name ? { name } : {}), ...(ipipMode ? { ipipMode } : {}), ...(vxlanMode ? { vxlanMode } : {}), ...(natOutgoing ? { natOutgoing } : {}), ...(disabled !== undefined ? { disabled } : {}) };
      push(out, 'pod', cur.cidr.value, cur.installation ? 'Calico Installation' : 'Calico IPPool', 'cidr', { file, line: cur.cidr.line }, cur.cidr.text, pool);
    }
    cur = { installation };
  };
  const val = (l: string, key: string): string | undefined => {
    const m = new RegExp(`^\\s*-?\\s*"?${key}"?\\s*:\\s*"?([^",#\\s]+)"?`).exec(l);
    return m ? m[1] : undefined;
  };
  let kinds = 0;
  for (let i = 0; i < all.length; i++) {
    const l = all[i];
    if (/^---\s*$/.test(l) || /^\s*-?\s*"?apiVersion"?\s*:/.test(l)) {
      flush();
      installation = false;
      inIpPools = -1;
      cur.installation = false;
      continue;
    }
    const kind = val(l, 'kind');
    if (kind === 'IPPool' || kind === 'IPPoolList') kinds++;
    if (kind === 'Installation') {
      kinds++;
      installation = true;
      cur.installation = true;
    }
    if (installation) {
      const ip = /^(\s*)"?ipPools"?\s*:/.exec(l);
      if (ip) {
        inIpPools = ip[1].length;
        continue;
      }
      if (inIpPools >= 0) {
        const indent = /^(\s*)/.exec(l)![1].length;
        if (l.trim() !== '' && indent <= inIpPools && !/^\s*-/.test(l)) inIpPools = -1;
        else if (/^\s*-\s/.test(l) && indent <= inIpPools + 2) flush();
      }
      if (inIpPools < 0) continue;
    }
    const cidr = val(l, 'cidr');
    if (cidr !== undefined && /^\s*-?\s*"?cidr"?\s*:/.test(l)) {
      if (cur.cidr) flush();
      cur.cidr = { value: cidr, line: i + 1, text: l };
      continue;
    }
    const name = val(l, 'name');
    if (name && !cur.name) cur.name = name;
    const ipip = val(l, 'ipipMode');
    if (ipip) cur.ipipMode = ipip;
    const vxlan = val(l, 'vxlanMode') ?? val(l, 'encapsulation');
    if (vxlan) cur.vxlanMode = vxlan;
    const nat = val(l, 'natOutgoing');
    if (nat) cur.natOutgoing = nat;
    const dis = val(l, 'disabled');
    if (dis === 'true' || dis === 'false') cur.disabled = dis === 'true';
  }
  flush();
  if (kinds === 0 && out.podRanges.length === 0) throw new SkipFile(file, 'no IPPool');
  return out;
}

export function sniffCalicoIpPools(head: string): boolean {
  return /^\s*-?\s*"?kind"?\s*:\s*"?IPPool(List)?"?,?\s*$/m.test(head) && /^\s*-?\s*"?apiVersion"?\s*:\s*"?(crd\.)?projectcalico\.org\//m.test(head);
}
