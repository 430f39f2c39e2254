/**
 * Replicated troubleshoot support bundles. Host data sits under `host-collectors/`, per node
 * either as `host-collectors/<type>/<node>/<file>` (documented) or `host-collectors/<node>/<type>/<file>`
 * (what recent code writes); in-cluster collectors write `sysctl/<node>`, `<collector>/<node>/...`;
 * pod logs sit under `cluster-resources/pods/logs/<ns>/<pod>/<container>.log` and name their node
 * only through the pod's spec in `cluster-resources/pods/<ns>.json`.
 */
import type { BundleTree } from '../bundle/tree.js';
import { logSourceOf } from './logs.js';
import type { LocatedFile, LocatedLog, LocatedNode } from './types.js';

const UNASSIGNED = '(unassigned pod logs)';

export function isTroubleshootRoot(tree: BundleTree, root: string, paths: string[]): boolean {
  const prefix = root === '' ? '' : root + '/';
  const text = tree.text(prefix + 'version.yaml') ?? '';
  if (/troubleshoot\.(sh|replicated\.com)|kind:\s*SupportBundle/.test(text)) return true;
  return paths.some((p) => p.startsWith(prefix + 'host-collectors/') || p.startsWith(prefix + 'cluster-resources/'));
}

export function troubleshootNodes(
  tree: BundleTree,
  root: string,
  paths: string[],
  sniff: (path: string) => string | undefined,
): LocatedNode[] {
  const prefix = root === '' ? '' : root + '/';
  const rel = (p: string) => p.slice(prefix.length);
  const names = knownNodeNames(tree, prefix, paths);
  const podNode = podNodes(tree, prefix, paths);
  const nodes = new Map<string, { files: LocatedFile[]; logs: LocatedLog[]; from: string }>();
  const nodeFor = (name: string, from: string) =>
    nodes.get(name) ?? nodes.set(name, { files: [], logs: [], from }).get(name)!;
  const single = names.size === 1 ? [...names][0] : undefined;

  for (const path of paths) {
    const r = rel(path);
    const parts = r.split('/');
    // in-cluster sysctl collector: one file per node
    if (parts.length === 2 && parts[0] === 'sysctl') {
      nodeFor(parts[1], path).files.push({ path, relPath: r, format: 'sysctl-text' });
      continue;
    }
    const src = logSourceOf(r);
    if (parts[0] === 'cluster-resources') {
      if (src && src.pod) {
        const key = `${src.namespace}/${src.pod}`;
        const node = podNode.get(key) ?? single ?? UNASSIGNED;
        nodeFor(node, 'pod spec').logs.push({ path, source: src });
      }
      continue;
    }
    if (parts[0] === 'all-logs') continue; // copies of the pod logs above
    if (parts[0] === 'host-collectors' || isCollectorOutput(parts)) {
      const node = parts.slice(1, -1).find((p) => names.has(p)) ?? single ?? (parts[0] === 'host-collectors' ? 'host' : undefined);
      if (!node) continue;
      const entry = nodeFor(node, `${prefix}host-collectors`);
      if (src) {
        entry.logs.push({ path, source: src });
        continue;
      }
      const base = parts[parts.length - 1];
      const format =
        base === 'sysctl.json'
          ? 'sysctl-json'
          : base === 'systemctl_services.json'
            ? 'systemctl-json'
            : base === 'subnet.env'
              ? 'subnet-env'
              : base === 'daemon.json'
                ? 'docker-daemon-json'
                : sniff(path);
      if (format) entry.files.push({ path, relPath: r.slice(r.lastIndexOf('/') + 1), format });
    }
  }
  const out: LocatedNode[] = [];
  for (const [name, n] of nodes) {
    if (n.files.length === 0 && n.logs.length === 0) continue;
    out.push({ name, nameFrom: n.from, root, layout: 'troubleshoot', files: n.files, logs: n.logs });
  }
  if (out.length === 0) {
    // A bundle with no host data still is a bundle: one node that shows what is missing.
    out.push({ name: single ?? 'cluster', nameFrom: single ? 'cluster-resources/nodes.json' : 'no node data', root, layout: 'troubleshoot', files: [], logs: [] });
  }
  return out;
}

/** Collector outputs outside host-collectors that name a node in their path: `<collector>/<node>/...`. */
function isCollectorOutput(parts: string[]): boolean {
  return parts.length >= 3 && !['cluster-resources', 'cluster-info', 'all-logs', 'analysis.json'].includes(parts[0]);
}

function knownNodeNames(tree: BundleTree, prefix: string, paths: string[]): Set<string> {
  const names = new Set<string>();
  const list = tree.text(prefix + 'host-collectors/system/node_list.json');
  if (list) {
    try {
      const data = JSON.parse(list) as unknown;
      const arr = Array.isArray(data) ? data : (data as { nodes?: unknown }).nodes;
      if (Array.isArray(arr)) for (const n of arr) if (typeof n === 'string') names.add(n);
    } catch {
      // a broken node list only loses the names it would have given
    }
  }
  const nodesJson = tree.text(prefix + 'cluster-resources/nodes.json');
  if (nodesJson) {
    try {
      const data = JSON.parse(nodesJson) as { items?: { metadata?: { name?: string } }[] } | { metadata?: { name?: string } }[];
      const items = Array.isArray(data) ? data : data.items ?? [];
      for (const i of items) if (i?.metadata?.name) names.add(i.metadata.name);
    } catch {
      // ignored as above
    }
  }
  for (const p of paths) {
    const m = /^sysctl\/([^/]+)$/.exec(p.slice(prefix.length));
    if (m) names.add(m[1]);
  }
  return names;
}

/** `namespace/pod` -> node, from the pod lists troubleshoot saves per namespace. */
function podNodes(tree: BundleTree, prefix: string, paths: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of paths) {
    const m = /^cluster-resources\/pods\/([^/]+)\.json$/.exec(p.slice(prefix.length));
    if (!m) continue;
    const text = tree.text(p);
    if (!text) continue;
    try {
      const data = JSON.parse(text) as { items?: Pod[] } | Pod[];
      const items = Array.isArray(data) ? data : data.items ?? [];
      for (const pod of items) {
        const name = pod?.metadata?.name;
        const node = pod?.spec?.nodeName;
        if (name && node) out.set(`${pod.metadata?.namespace ?? m[1]}/${name}`, node);
      }
    } catch {
      // unreadable pod list: its pods' logs stay unassigned
    }
  }
  return out;
}

interface Pod {
  metadata?: { name?: string; namespace?: string };
  spec?: { nodeName?: string };
}
