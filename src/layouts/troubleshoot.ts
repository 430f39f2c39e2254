/**
 * Replicated troubleshoot support bundles. Host data sits under `host-collectors/`, per node
 * either as `host-collectors/<type>/<node>/<file>` (documented) or `host-collectors/<node>/<type>/<file>`
 * (what recent code writes); in-cluster collectors write `sysctl/<node>`, `<collector>/<node>/...`;
 * `runDaemonSet` writes `<collector>/<node>.log`; pod logs sit under
 * `cluster-resources/pods/logs/<ns>/<pod>/<container>.log` and name their node only through the
 * pod's spec in `cluster-resources/pods/<ns>.json`.
 */
import type { BundleTree } from '../bundle/tree.js';
import { logSourceOf } from './logs.js';
import { dockerCliFormatOf, isNftablesConfigPath, isSysctlConfigPath } from './rules.js';
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
  sniffLog: (path: string) => 'log' | 'if-matched' | undefined = () => 'if-matched',
): LocatedNode[] {
  const prefix = root === '' ? '' : root + '/';
  const rel = (p: string) => p.slice(prefix.length);
  const listed = knownNodeNames(tree, prefix, paths);
  const podNode = podNodes(tree, prefix, paths);
  // Without a node list, the pods' specs and the per-node folders of host-collectors still name the nodes.
  const names = new Set([...listed, ...podNode.values(), ...hostCollectorNodeFolders(paths.map(rel))]);
  const single = listed.size === 1 ? [...listed][0] : listed.size === 0 && names.size === 1 ? [...names][0] : undefined;
  const daemonSet = daemonSetOutputs(paths.map(rel), names);
  const nodes = new Map<string, { files: LocatedFile[]; logs: LocatedLog[]; from: string }>();
  /** cluster-resources/events/<ns>.json: every node's kubelet's events are in them */
  const eventFiles: string[] = [];
  let ownHost: { name: string; from: string } | undefined;
  const nodeFor = (name: string, from: string) =>
    nodes.get(name) ?? nodes.set(name, { files: [], logs: [], from }).get(name)!;

  for (const path of paths) {
    const r = rel(path);
    const parts = r.split('/');
    // in-cluster sysctl collector: one file per node
    if (parts.length === 2 && parts[0] === 'sysctl') {
      nodeFor(parts[1], path).files.push({ path, relPath: r, format: 'sysctl-text' });
      continue;
    }
    const dsNode = daemonSet.get(r);
    if (dsNode !== undefined) {
      // a command's output on that node: what its content is, else a log scanned for signatures
      const entry = nodeFor(dsNode, path);
      const format = sniff(path);
      if (format) entry.files.push({ path, relPath: parts[parts.length - 1], format });
      else {
        const kind = sniffLog(path);
        if (kind === 'log') entry.logs.push({ path, source: {} });
        else if (kind === 'if-matched') entry.logs.push({ path, source: {}, ifMatched: true });
      }
      continue;
    }
    const src = logSourceOf(r);
    if (parts[0] === 'cluster-resources') {
      if (/^cluster-resources\/events\/[^/]+\.json$/.test(r)) {
        eventFiles.push(path);
        continue;
      }
      if (src && src.pod) {
        const key = `${src.namespace}/${src.pod}`;
        const node = podNode.get(key) ?? single ?? UNASSIGNED;
        nodeFor(node, 'pod spec').logs.push({ path, source: src });
      }
      continue;
    }
    if (parts[0] === 'all-logs') continue; // copies of the pod logs above
    if (parts[0] === 'host-collectors' || isCollectorOutput(parts)) {
      const owner = parts.slice(1, -1).find((p) => names.has(p)) ?? single;
      // a host bundle's own host: named from its hostname outputs, else "host"
      const host = owner === undefined && parts[0] === 'host-collectors' ? (ownHost ??= hostName(tree, prefix, paths.map(rel), names)) : undefined;
      const node = owner ?? host?.name;
      if (!node) continue;
      const entry = nodeFor(node, owner === undefined && host ? host.from : `${prefix}host-collectors`);
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
                : isSysctlConfigPath(r)
                  ? 'sysctl-conf'
                  : isNftablesConfigPath(r)
                    ? 'nftables-conf'
                    : // a run collector named for `docker info` / `docker version` (`run-host/docker-info.txt`,
                      // not its `-info.json` record of the command), whatever its first lines show
                      (/-info\.json$/.test(base) ? undefined : dockerCliFormatOf(base)) ?? sniff(path);
      // a copy of the nftables service's configuration is what it would load, never the live rules
      if (format) entry.files.push({ path, relPath: r.slice(r.lastIndexOf('/') + 1), format, ...(format === 'nftables-conf' ? { savedConfig: true } : {}) });
    }
  }
  // pod logs no pod spec places, beside exactly one host whose data the bundle holds (a host bundle collected on a
  // one-node cluster, named from its hostnames): that host's pods (R25 c15); with several hosts they stay apart
  // Not where two of them are pods of one DaemonSet (`kube-flannel-ds-7xk2p`, `kube-flannel-ds-9qzt4`: one per node,
  // so the cluster has more nodes than this host; R26 23b)
  const unassigned = nodes.get(UNASSIGNED);
  const hosts = [...nodes].filter(([name, n]) => name !== UNASSIGNED && n.files.length > 0);
  const podsOf = new Map<string, Set<string>>();
  for (const l of unassigned?.logs ?? []) {
    const pod = l.source.pod;
    if (!pod || !/-[a-z0-9]{5}$/.test(pod)) continue;
    const owner = `${l.source.namespace}/${pod.slice(0, -6)}`;
    (podsOf.get(owner) ?? podsOf.set(owner, new Set()).get(owner)!).add(pod);
  }
  const severalOfOneSet = [...podsOf.values()].some((p) => p.size > 1);
  if (unassigned && hosts.length === 1 && listed.size <= 1 && !severalOfOneSet) {
    hosts[0][1].logs.push(...unassigned.logs);
    nodes.delete(UNASSIGNED);
  }
  const out: LocatedNode[] = [];
  // the cluster's Node objects (their flannel annotations: the VTEP MAC each node published) beside every node's host data
  const nodesJson = paths.find((p) => rel(p) === 'cluster-resources/nodes.json');
  // the cluster's pod and Service ranges (kubeadm-config in kube-system's ConfigMaps, Calico's IPPools and
  // the Tigera Installation as custom resources), which every node's own addresses are checked against
  const clusterWide = paths.flatMap((p) => {
    const r = rel(p);
    const format =
      r === 'cluster-resources/configmaps/kube-system.json'
        ? 'kubeadm-config'
        : /^cluster-resources\/custom-resources\/(?:ippools\.crd\.projectcalico\.org|installations\.operator\.tigera\.io)\.(?:ya?ml|json)$/.test(r)
          ? 'calico-ippools'
          : /^cluster-resources\/custom-resources\/felixconfigurations\.crd\.projectcalico\.org\.(?:ya?ml|json)$/.test(r)
            ? 'calico-felix-config'
            : undefined;
    return format ? [{ path: p, relPath: r.slice(r.lastIndexOf('/') + 1), format }] : [];
  });
  for (const [name, n] of nodes) {
    if (n.files.length === 0 && n.logs.length === 0) continue;
    // the events each node's kubelet reported (the scheduler's and controllers' name no node: with one node, its own)
    n.logs.push(...eventFiles.map((path) => ({ path, source: {}, events: { node: name, withUnplaced: nodes.size === 1 } })));
    const files = [...n.files, ...(nodesJson ? [{ path: nodesJson, relPath: 'nodes.json', format: 'kube-nodes' }] : []), ...clusterWide];
    out.push({ name, nameFrom: n.from, root, layout: 'troubleshoot', files, logs: n.logs });
  }
  if (out.length === 0) {
    // A bundle with no host data still is a bundle: one node that shows what is missing.
    out.push({ name: single ?? 'cluster', nameFrom: single ? 'cluster-resources/nodes.json' : 'no node data', root, layout: 'troubleshoot', files: [], logs: eventFiles.map((path) => ({ path, source: {}, events: {} })) });
  }
  return out;
}

/**
 * The name of the host whose host collectors sit at the top of host-collectors/ (a host bundle of
 * one machine: kURL's and Embedded Cluster's `support-bundle --host`), most trusted first: the
 * `hostnames` run collector both host specs carry (`hostname = <name>`, then /proc/sys/kernel/hostname
 * and `uname -n`; a plain name too), the hostOS collector's `name` (host-collectors/system/hostos_info.json),
 * `kernel.hostname` in a sysctl output (`sysctl -a` run collectors, sysctl.json). "host" without them.
 */
function hostName(tree: BundleTree, prefix: string, rels: string[], names: Set<string>): { name: string; from: string } {
  const valid = (n: string | undefined): n is string =>
    n !== undefined && n.length <= 253 && /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(n) && !/^localhost(\.localdomain)?$/.test(n);
  // files of the host itself, not of a node folder
  const own = rels.filter((r) => {
    const parts = r.split('/');
    return parts[0] === 'host-collectors' && !parts.slice(1, -1).some((p) => names.has(p));
  });
  const hostnames = own.filter((r) => /^host-collectors\/(?:[^/]+\/)*run-host\/hostnames\.txt$/.test(r));
  for (const r of hostnames) {
    const lines = (tree.text(prefix + r) ?? '').split('\n').map((l) => l.trim()).filter((l) => l !== '');
    for (const key of ['hostname', '/proc/sys/kernel/hostname', 'uname -n']) {
      const v = lines.map((l) => l.split(/\s*=\s*/)).find(([k]) => k === key)?.[1];
      if (valid(v)) return { name: v, from: prefix + r };
    }
    if (lines.length === 1 && valid(lines[0])) return { name: lines[0], from: prefix + r };
  }
  for (const r of own.filter((x) => x === 'host-collectors/system/hostos_info.json')) {
    try {
      const name = (JSON.parse(tree.text(prefix + r) ?? '') as { name?: unknown }).name;
      if (typeof name === 'string' && valid(name)) return { name, from: prefix + r };
    } catch {
      // an unreadable hostOS output names nothing
    }
  }
  for (const r of own.filter((x) => /sysctl[^/]*\.(txt|json)$/.test(x))) {
    const text = tree.text(prefix + r) ?? '';
    const v = /^(?:kernel\.hostname|\/proc\/sys\/kernel\/hostname)\s*=\s*(\S+)\s*$/m.exec(text)?.[1] ?? /"kernel\.hostname"\s*:\s*"([^"]+)"/.exec(text)?.[1];
    if (valid(v)) return { name: v, from: `${prefix}${r} (kernel.hostname)` };
  }
  return { name: 'host', from: `${prefix}host-collectors` };
}

const NOT_COLLECTOR_OUTPUT = ['cluster-resources', 'cluster-info', 'all-logs', 'analysis.json'];

/** Collector outputs outside host-collectors that name a node in their path: `<collector>/<node>/...`. */
function isCollectorOutput(parts: string[]): boolean {
  return parts.length >= 3 && !NOT_COLLECTOR_OUTPUT.includes(parts[0]);
}

/**
 * `runDaemonSet` output: `<collector>/<node>.log`, one file per node the DaemonSet ran on (troubleshoot's
 * run_daemonset.go). A folder is such output when a `.log` in it is named after a known node; its
 * other `.log` files then name nodes too (a node list can miss one). `unknown-node-<pod>.log` holds
 * only troubleshoot's error.
 */
function daemonSetOutputs(rels: string[], names: Set<string>): Map<string, string> {
  const byFolder = new Map<string, string[]>();
  for (const r of rels) {
    const slash = r.lastIndexOf('/');
    if (slash < 0) continue;
    const top = r.slice(0, r.indexOf('/'));
    if (NOT_COLLECTOR_OUTPUT.includes(top) || top === 'host-collectors' || top === 'sysctl') continue;
    const stem = /^(.+)\.log$/.exec(r.slice(slash + 1))?.[1];
    if (stem === undefined) continue;
    const folder = r.slice(0, slash);
    (byFolder.get(folder) ?? byFolder.set(folder, []).get(folder)!).push(stem);
  }
  const out = new Map<string, string>();
  for (const [folder, stems] of byFolder) {
    if (!stems.some((s) => names.has(s))) continue;
    for (const s of stems) if (!s.startsWith('unknown-node-')) out.set(`${folder}/${s}.log`, s);
  }
  return out;
}

/** Folders troubleshoot's own host collectors write to, whatever the spec names. */
const HOST_COLLECTOR_TYPES = new Set(['system', 'run-host', 'journald']);

/**
 * Node folders of a multi-node host-collectors tree, for bundles without node_list.json. Both
 * layouts are a grid of collector folder by node folder: `host-collectors/<type>/<node>/<file>`
 * (documented) and `host-collectors/<node>/<type>/<file>` (recent code). The node is the folder
 * that sits beside or under several collector folders, one of them troubleshoot's own (`system`,
 * `run-host`); a single host's sub-folders (a run collector's output dir, a copied directory) sit
 * under one collector only.
 */
function hostCollectorNodeFolders(rels: string[]): Set<string> {
  const parents = new Map<string, Set<string>>();
  const children = new Map<string, Set<string>>();
  const add = (m: Map<string, Set<string>>, k: string, v: string) => (m.get(k) ?? m.set(k, new Set()).get(k)!).add(v);
  for (const r of rels) {
    const p = r.split('/');
    if (p[0] !== 'host-collectors' || p.length < 4) continue;
    add(parents, p[2], p[1]);
    add(children, p[1], p[2]);
  }
  const out = new Set<string>();
  const grid = (folder: string, others: Set<string>) =>
    !HOST_COLLECTOR_TYPES.has(folder) && others.size >= 2 && [...others].some((o) => HOST_COLLECTOR_TYPES.has(o));
  for (const [folder, types] of parents) if (grid(folder, types)) out.add(folder);
  for (const [folder, types] of children) if (grid(folder, types)) out.add(folder);
  return out;
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
