/**
 * kubelet's hairpin mode: how kubelet lets a pod reach itself through a Service when kubelet itself wires the
 * pod bridge (kubenet's cbr0, or dockershim's docker0 without a network plugin). Values (kubelet's
 * `--hairpin-mode`, KubeletConfiguration `hairpinMode`): `promiscuous-bridge` (the default: the bridge is put in
 * promiscuous mode), `hairpin-veth` (hairpin_mode 1 on each pod's veth), `none`. With a CNI network plugin
 * kubelet sets neither: the CNI conf's `hairpinMode` decides (kubernetes/website#5267).
 *
 * Read from: /var/lib/kubelet/config.yaml (`hairpinMode:` at the top level; JSON too), kubeadm's
 * /var/lib/kubelet/kubeadm-flags.env and other env files with KUBELET_*ARGS (`--hairpin-mode=...`,
 * `--network-plugin=...`), and a listed kubelet or k3s / RKE2 process (`--hairpin-mode`,
 * `--kubelet-arg=hairpin-mode=...`). resolv-conf.ts reads the same two files for resolvConf; this reader is
 * separate so that neither changes the other.
 */
import { excerpt as capped, lines, SkipFile, type ParseWarning, type SourceRef } from '../model/source.js';
import { flagValue, type ListedProcess } from './processes.js';

export type KubeletHairpinMode = 'promiscuous-bridge' | 'hairpin-veth' | 'none' | string;

export interface KubeletValue {
  value: string;
  ref: SourceRef;
  excerpt: string;
}

export interface KubeletHairpinSetting {
  format: 'kubelet-config' | 'kubeadm-flags' | 'process';
  file: string;
  /** undefined: the source does not set it (kubelet's default promiscuous-bridge applies unless another source sets it) */
  hairpinMode?: KubeletValue;
  /** `--network-plugin` (kubelet < 1.24): cni, kubenet, or '' / absent (dockershim's docker0) */
  networkPlugin?: KubeletValue;
  /**
   * kubelet's runtime as its flags say: Docker (`--container-runtime=docker`, dockershim < 1.24, or an endpoint of
   * dockershim / cri-dockerd) or a CRI runtime (`--container-runtime=remote`, a containerd / CRI-O endpoint)
   */
  runtime?: KubeletValue & { docker: boolean };
  warnings: ParseWarning[];
}

/** `--container-runtime=docker`, or a `--container-runtime-endpoint` of dockershim or cri-dockerd: pods are Docker's containers. */
const DOCKER_RUNTIME = (flag: 'container-runtime' | 'container-runtime-endpoint', v: string) => (flag === 'container-runtime' ? v === 'docker' : /dockershim|cri-dockerd/.test(v));
const runtimeOf = (flag: 'container-runtime' | 'container-runtime-endpoint', v: KubeletValue) => ({ ...v, docker: DOCKER_RUNTIME(flag, v.value) });

export const KUBELET_DEFAULT_HAIRPIN_MODE = 'promiscuous-bridge';
export const KUBELET_HAIRPIN_MODES = ['promiscuous-bridge', 'hairpin-veth', 'none'];

function unquote(v: string): string {
  const t = v.trim();
  const m = /^"((?:[^"\\]|\\.)*)"|^'([^']*)'/.exec(t);
  if (m) return m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2];
  return t.replace(/\s+#.*$/, '').trim();
}

/** KubeletConfiguration (YAML or JSON): its top-level `hairpinMode`. */
export function parseKubeletConfigHairpin(text: string, file: string): KubeletHairpinSetting {
  if (!/\bKubeletConfiguration\b/.test(text) && !/(^|\n)\s{0,4}["']?hairpinMode["']?\s*:/.test(text)) throw new SkipFile(file, 'no KubeletConfiguration');
  const all = lines(text);
  const json = /^\s*\{/.test(text);
  let hairpinMode: KubeletValue | undefined;
  for (let i = 0; i < all.length; i++) {
    const raw = all[i];
    const m = json ? /^\s{0,4}"hairpinMode"\s*:\s*("(?:[^"\\]|\\.)*")/.exec(raw) : /^hairpinMode\s*:\s*(.*)$/.exec(raw);
    if (!m) continue;
    hairpinMode = { value: json ? (JSON.parse(m[1]) as string) : unquote(m[1]), ref: { file, line: i + 1 }, excerpt: capped(raw) };
  }
  return { format: 'kubelet-config', file, ...(hairpinMode ? { hairpinMode } : {}), warnings: [] };
}

const FLAG = (name: string) => new RegExp(String.raw`--${name}(?:=|\s+)("[^"]*"|'[^']*'|[^\s"']*)`, 'g');

/** kubeadm-flags.env (or /etc/default/kubelet, /etc/sysconfig/kubelet): `KUBELET_*ARGS="... --hairpin-mode=hairpin-veth"`; the last value wins. */
export function parseKubeletFlagsHairpin(text: string, file: string): KubeletHairpinSetting {
  const all = lines(text);
  let seen = false;
  let hairpinMode: KubeletValue | undefined;
  let networkPlugin: KubeletValue | undefined;
  let runtime: (KubeletValue & { docker: boolean }) | undefined;
  for (let i = 0; i < all.length; i++) {
    const raw = all[i];
    if (!/^\s*KUBELET_\w*ARGS\s*=/.test(raw)) continue;
    seen = true;
    for (const [name, set] of [
      ['hairpin-mode', (v: KubeletValue) => (hairpinMode = v)],
      ['network-plugin', (v: KubeletValue) => (networkPlugin = v)],
      // the endpoint names the runtime; --container-runtime=remote alone says only "not dockershim"
      ['container-runtime', (v: KubeletValue) => (runtime = runtime && v.value === 'remote' ? runtime : runtimeOf('container-runtime', v))],
      ['container-runtime-endpoint', (v: KubeletValue) => (runtime = runtimeOf('container-runtime-endpoint', v))],
    ] as const) {
      const re = FLAG(name);
      let m: RegExpExecArray | null;
      while ((m = re.exec(raw))) set({ value: m[1].replace(/^["']|["']$/g, ''), ref: { file, line: i + 1 }, excerpt: capped(raw) });
    }
  }
  if (!seen) throw new SkipFile(file, 'no KUBELET_*ARGS line');
  return { format: 'kubeadm-flags', file, ...(hairpinMode ? { hairpinMode } : {}), ...(networkPlugin ? { networkPlugin } : {}), ...(runtime ? { runtime } : {}), warnings: [] };
}

/** A listed kubelet's (or k3s / RKE2's `--kubelet-arg=hairpin-mode=`) hairpin mode and network plugin; undefined for other processes. */
export function kubeletHairpinFromProcess(p: ListedProcess): KubeletHairpinSetting | undefined {
  const at = { ref: p.ref, excerpt: p.excerpt };
  if (p.component === 'kubelet') {
    const h = flagValue(p, 'hairpin-mode');
    const n = flagValue(p, 'network-plugin');
    const rt = flagValue(p, 'container-runtime');
    const ep = flagValue(p, 'container-runtime-endpoint');
    const runtime = ep !== undefined ? runtimeOf('container-runtime-endpoint', { value: ep, ...at }) : rt !== undefined ? runtimeOf('container-runtime', { value: rt, ...at }) : undefined;
    return {
      format: 'process',
      file: p.ref.file,
      ...(h !== undefined ? { hairpinMode: { value: h, ...at } } : {}),
      ...(n !== undefined ? { networkPlugin: { value: n, ...at } } : {}),
      ...(runtime ? { runtime } : {}),
      warnings: [],
    };
  }
  if (p.component === 'k3s' || p.component === 'rke2') {
    let h: string | undefined;
    for (const a of p.flags.get('kubelet-arg') ?? []) {
      const m = /^-{0,2}hairpin-mode=(.*)$/.exec(a.trim());
      if (m) h = m[1];
    }
    return { format: 'process', file: p.ref.file, ...(h !== undefined ? { hairpinMode: { value: h, ...at } } : {}), warnings: [] };
  }
  return undefined;
}

/**
 * The hairpin mode kubelet runs with, by kubelet's precedence: its command line (process, then the flags file it
 * is started with) over its configuration file. Undefined when no source sets it.
 */
export function effectiveKubeletHairpin(settings: readonly KubeletHairpinSetting[]): { hairpinMode?: KubeletValue; networkPlugin?: KubeletValue; runtime?: KubeletValue & { docker: boolean } } {
  const order = ['process', 'kubeadm-flags', 'kubelet-config'] as const;
  let hairpinMode: KubeletValue | undefined;
  let networkPlugin: KubeletValue | undefined;
  let runtime: (KubeletValue & { docker: boolean }) | undefined;
  for (const f of order)
    for (const s of settings)
      if (s.format === f) {
        hairpinMode ??= s.hairpinMode;
        networkPlugin ??= s.networkPlugin;
        runtime ??= s.runtime;
      }
  return { hairpinMode, networkPlugin, runtime };
}
