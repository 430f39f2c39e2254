/**
 * The Kubernetes distribution a node's paths show, for nodes whose bundle holds no unit states:
 * k3s keeps its data in /var/lib/rancher/k3s and its configuration in /etc/rancher/k3s, RKE2 in
 * /var/lib/rancher/rke2, MicroK8s in /var/snap/microk8s, k0s in /var/lib/k0s and /etc/k0s; a
 * collector names its journal copies after the unit (`journalctl -u k3s`, troubleshoot's
 * `k0scontroller-logs`). Where a file sits is the layouts' business: they hand the node this hint
 * and the analyzers read it instead of file paths.
 */
import type { DistributionHint } from './types.js';

type Name = DistributionHint['name'];

/** Per distribution: what proves it, the unit that runs its kubelet by default, and the units a path can name instead. */
const DISTRIBUTION_PATHS: { name: Name; re: RegExp; unit: string; units: [RegExp, string][]; what: string }[] = [
  {
    name: 'k3s',
    re: /(^|\/)(var\/lib\/rancher\/k3s|etc\/rancher\/k3s)\/|journalctl[-_ ]+(-u|--unit)[-_ =]*k3s\.?(service)?\b|(^|\/)k3s(-agent)?(\.service)?[-_.]log/i,
    unit: 'k3s',
    units: [[/k3s-agent/i, 'k3s-agent']],
    what: "k3s's data, configuration or journal",
  },
  {
    name: 'rke2',
    re: /(^|\/)(var\/lib\/rancher\/rke2|etc\/rancher\/rke2)\/|rke2-(server|agent)/i,
    unit: 'rke2-server',
    units: [
      [/rke2-server/i, 'rke2-server'],
      [/rke2-agent/i, 'rke2-agent'],
    ],
    what: "RKE2's data, configuration or unit",
  },
  { name: 'microk8s', re: /(^|\/)var\/snap\/microk8s\//, unit: 'snap.microk8s.daemon-kubelite', units: [], what: "MicroK8s' snap data" },
  {
    name: 'k0s',
    re: /(^|\/)(var\/lib\/k0s|etc\/k0s)\/|k0s(controller|worker)/i,
    unit: 'k0sworker',
    units: [
      [/k0scontroller/i, 'k0scontroller'],
      [/k0sworker/i, 'k0sworker'],
    ],
    what: "k0s's data, configuration or unit journal",
  },
];

/**
 * The distribution the node's paths show: the first path (in sorted order) that one names decides
 * which; the unit is the one any of that distribution's paths names (a controller's journal before
 * a worker's), else its default. `root` is cut off first: a bundle folder named after its host
 * (`sosreport-rke2-agent-3-...`) proves nothing.
 */
export function distributionHint(paths: readonly string[], root: string): DistributionHint | undefined {
  const rel = (p: string) => (root === '' ? p : p.startsWith(root + '/') ? p.slice(root.length + 1) : p);
  const sorted = [...paths].sort();
  for (const path of sorted) {
    const d = DISTRIBUTION_PATHS.find((x) => x.re.test(rel(path)));
    if (!d) continue;
    const own = sorted.filter((p) => d.re.test(rel(p)));
    let unit = d.unit;
    for (const [re, u] of d.units) {
      if (own.some((p) => re.test(rel(p)))) {
        unit = u;
        break;
      }
    }
    return { name: d.name, unit, file: path, why: `${rel(path)}: ${d.what}` };
  }
  return undefined;
}

/**
 * The distribution a Rancher log collector run shows (rancher2_logs_collector.sh): it writes its k3s or RKE2 files
 * under a folder named after the distribution it detected (`k3s/`, `rke2/`), and the journals of the units it found
 * running under `journald/<unit>` (k3s, rke2-server, rke2-agent). `relPaths` are relative to the run's folder.
 */
export function rancherDistributionHint(relPaths: readonly string[], root: string): DistributionHint | undefined {
  const at = (rel: string) => (root === '' ? rel : `${root}/${rel}`);
  const sorted = [...relPaths].sort();
  const rke2 = sorted.find((p) => /^rke2\//.test(p) || /^journald\/rke2-(?:server|agent)$/.test(p));
  if (rke2) {
    const unit = sorted.includes('journald/rke2-agent') && !sorted.includes('journald/rke2-server') ? 'rke2-agent' : 'rke2-server';
    return { name: 'rke2', unit, file: at(rke2), why: `${rke2}: the Rancher log collector's RKE2 files` };
  }
  const k3s = sorted.find((p) => /^k3s\//.test(p) || p === 'journald/k3s');
  if (k3s) return { name: 'k3s', unit: 'k3s', file: at(k3s), why: `${k3s}: the Rancher log collector's k3s files` };
  return undefined;
}
