/**
 * Recognises the bundle's layout(s) and nodes and assigns files to them. A tarball may hold
 * several sosreports or insights archives (one per node), a troubleshoot bundle with several
 * nodes, or a hand-made folder per node.
 */
import { jsonDocument, looksLikeText, ownOutput, withoutNul } from '../bundle/formats.js';
import type { BundleTree } from '../bundle/tree.js';
import { allFormats, sniffableFormats } from '../parsers/registry.js';
import { sniffSysctlConfig } from '../parsers/sysctl.js';
import { sniffKubeEvents } from '../logs/kube-events.js';
import { logSourceOf, rancherSystemLog } from './logs.js';
import { SNIFF_BYTES } from './wanted.js';
import { looksLikeLog, parseLogPrefix } from '../logs/timestamps.js';
import { EKS_MARKERS, EKS_RULES, FLAT_RULES, INSIGHTS_RULES, RANCHER_HOST_PATHS, RANCHER_MARKERS, RANCHER_NOT_READ, RANCHER_RULES, SOSREPORT_RULES, isSavedIpsetPath, savedIptablesRule, type PathRule } from './rules.js';
import { troubleshootNodes, isTroubleshootRoot } from './troubleshoot.js';
import { distributionHint, rancherDistributionHint } from './distribution.js';
import type { Located, LocatedFile, LocatedLog, LocatedNode, LogSource, UnreadFile } from './types.js';

export function locate(tree: BundleTree, bundleName: string): Located {
  const notes: string[] = [];
  const unread: UnreadFile[] = [];
  const all = tree.paths();
  // an archive inside the bundle is listed beside what it holds (`attach.tgz`, `attach.tgz/ticket/...`):
  // its contents are the bundle; the archive entry itself is no file of it
  const folders = new Set<string>();
  for (const p of all) for (let i = p.indexOf('/'); i > 0; i = p.indexOf('/', i + 1)) folders.add(p.slice(0, i));
  const paths = all
    .filter((p) => !folders.has(p))
    .sort()
    .filter((p) => {
      const kept = tree.read(p);
      const own = kept && ownOutput(kept);
      if (own) notes.push(`${p}: a bundle-doctor ${own} saved in the bundle (an earlier run's output), not read`);
      return !own;
    });
  const sosRoots = markerRoots(paths, 'sos_commands');
  const insightsRoots = markerRoots(paths, 'insights_commands');
  const tsRoots = [...new Set(paths.filter((p) => /(^|\/)version\.yaml$/.test(p)).map(parentOf))].filter((r) =>
    isTroubleshootRoot(tree, r, paths),
  );
  const nodes: LocatedNode[] = [];
  const claimed: string[] = [];
  for (const root of sosRoots) {
    nodes.push(ruleNode(tree, 'sosreport', root, under(paths, root), SOSREPORT_RULES, false, bundleName));
    claimed.push(root);
  }
  for (const root of insightsRoots) {
    nodes.push(ruleNode(tree, 'insights', root, under(paths, root), INSIGHTS_RULES, false, bundleName));
    claimed.push(root);
  }
  for (const root of tsRoots) {
    const tsNodes = troubleshootNodes(
      tree,
      root,
      under(paths, root),
      (p) => sniffFile(tree, p),
      (p) => sniffedLog(tree, p),
    );
    for (const n of tsNodes) {
      n.files = n.files.map(savedConfigCopy);
      // a troubleshoot root holds every node's files: only those the node was given speak for it
      withHints(n, [...n.files.map((f) => f.path), ...n.logs.map((g) => g.path)]);
    }
    nodes.push(...tsNodes);
    claimed.push(root);
  }
  // Rancher log collector runs: one node each (before EKS: both have a networking/ folder, with other names)
  for (const root of rancherRoots(paths, claimed, bundleName)) {
    nodes.push(rancherNode(tree, root, under(paths, root), bundleName));
    claimed.push(root);
  }
  // EKS log collector archives: one node each
  for (const root of eksRoots(paths, claimed, bundleName)) {
    nodes.push(eksNode(tree, root, under(paths, root), bundleName));
    claimed.push(root);
  }
  const kinds = new Set(nodes.map((n) => n.layout));
  if (nodes.length > 0) {
    const rest = paths.filter((p) => !claimed.some((r) => r === '' || p === r || p.startsWith(r + '/')));
    if (rest.length > 0) {
      const extra = flatNodes(tree, withoutNotes(tree, rest, notes), bundleName).filter((n) => n.files.length > 0);
      nodes.push(...extra);
      if (extra.length > 0) kinds.add('flat');
      unread.push(...unreadFiles(tree, extra));
    }
    dedupeNames(nodes, notes);
    return { layout: kinds.size === 1 ? [...kinds][0] : 'mixed', nodes, notes, ...(unread.length > 0 ? { unread } : {}) };
  }
  const flat = flatNodes(tree, withoutNotes(tree, paths, notes), bundleName);
  unread.push(...unreadFiles(tree, flat));
  dedupeNames(flat, notes);
  return { layout: 'flat', nodes: flat, notes, ...(unread.length > 0 ? { unread } : {}) };
}

/** Files of a hand-made bundle's node that nothing read, each with how it was sniffed. */
const UNREAD = new WeakMap<LocatedNode, { path: string; sniffed: 'log' | 'if-matched' | undefined }[]>();

/** The files no artifact format, log name nor log message claimed, in the nodes kept (see Located.unread). */
function unreadFiles(tree: BundleTree, nodes: LocatedNode[]): UnreadFile[] {
  return nodes.flatMap((n) => (UNREAD.get(n) ?? []).flatMap(({ path, sniffed }) => {
    const why = unreadWhy(tree, path, sniffed);
    return why === null ? [] : [why === undefined ? { path } : { path, why }];
  }));
}

/**
 * Why a file of a hand-made bundle that no rule or sniffer took, and that is no log by name, is of
 * no use; undefined for text taken as a log only if a known message is in it (the node's logs
 * "if matched": attachLogs, which scans them, tells); null when it is of use or was not read.
 * The layout reads no log: binary and empty files are told apart here, nothing is scanned.
 */
function unreadWhy(tree: BundleTree, path: string, sniffed: 'log' | 'if-matched' | undefined): string | undefined | null {
  if (sniffed === 'log') return null;
  if (sniffed === undefined && isJsonDocument(tree, path)) return 'a JSON document: data, not a log, and no command output bundle-doctor reads';
  if (tree.streamedResult(path) !== undefined) return sniffed === 'if-matched' ? undefined : null;
  const buf = tree.read(path);
  if (buf === undefined) return null;
  if (buf.length === 0) return 'empty file';
  if (sniffed === undefined) return 'not recognised: binary data, not scanned';
  return undefined;
}

/**
 * A collector's copy of a saved iptables configuration (`.../sysconfig/iptables`,
 * `.../iptables/rules.v4`) is read as what it is, not as live rules its content looks like.
 */
function savedConfigCopy(f: LocatedFile): LocatedFile {
  // a copy of /etc/sysconfig/ipset (ipset save text) is the sets restored at boot, not the live ones
  if (f.format === 'ipset' && !f.savedConfig && isSavedIpsetPath(f.path)) return { ...f, savedConfig: true };
  if (f.savedConfig || !/^iptables-(save|spec|list)$/.test(f.format)) return f;
  const saved = savedIptablesRule(f.path);
  if (!saved) return f;
  return { ...f, format: saved.rule.format, savedConfig: true, hint: { ...f.hint, ...saved.rule.hint?.(saved.match) } };
}

/** Folders that directly contain `<marker>/`. */
function markerRoots(paths: string[], marker: string): string[] {
  const roots = new Set<string>();
  const re = new RegExp(`(^|/)${marker}/`);
  for (const p of paths) {
    const m = re.exec(p);
    if (m) roots.add(p.slice(0, m.index));
  }
  // A sosreport nested in another's folder is not a thing; keep outermost roots only.
  return [...roots].filter((r) => ![...roots].some((o) => o !== r && (o === '' || r.startsWith(o + '/'))));
}

function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

function under(paths: string[], root: string): string[] {
  if (root === '') return paths;
  return paths.filter((p) => p.startsWith(root + '/'));
}

function ruleNode(
  tree: BundleTree,
  layout: 'sosreport' | 'insights',
  root: string,
  paths: string[],
  rules: typeof SOSREPORT_RULES,
  sniffRest: boolean,
  bundleName: string,
): LocatedNode {
  const { files, unmatched } = applyRules(rules, root, paths);
  const logs: LocatedLog[] = [];
  const sniffed: LocatedFile[] = [];
  for (const { path, relPath } of unmatched) {
    const src = logSourceOf(path);
    if (src) logs.push({ path, source: src });
    else if (sniffRest) {
      const format = sniffFile(tree, path);
      if (format) sniffed.push({ path, relPath, format });
    }
  }
  const { name, from, notHost } = nodeName(tree, root, layout, bundleName, { files, logs });
  return withHints({ name, nameFrom: from, ...(notHost ? { nameNotHost: true as const } : {}), root, layout, files: [...files, ...sniffed], logs }, paths);
}

const HOSTNAME_FILES: Record<string, string[]> = {
  sosreport: ['hostname', 'sos_commands/general/hostname', 'sos_commands/host/hostname', 'etc/hostname'],
  insights: ['insights_commands/hostname', 'insights_commands/hostname_-f', 'etc/hostname'],
  flat: ['hostname', 'etc/hostname', 'hostname.txt'],
};

/**
 * The node's name: a hostname file; else what the node's own files say of the host (`kernel.hostname`
 * of a sysctl listing, the host field of its syslog-format log lines where they all name one host);
 * else a sosreport folder's host; else the folder's or the bundle's own name, which names a file, not
 * the host (`notHost`: commands must not embed it, see LocatedNode.nameNotHost).
 */
function nodeName(
  tree: BundleTree,
  root: string,
  layout: string,
  bundleName: string,
  content: { files: readonly LocatedFile[]; logs: readonly LocatedLog[] },
): { name: string; from: string; notHost?: true } {
  for (const rel of HOSTNAME_FILES[layout] ?? []) {
    const path = root === '' ? rel : `${root}/${rel}`;
    const text = tree.text(path);
    const name = text?.split('\n').map((l) => l.trim()).find((l) => l !== '' && !l.startsWith('#'));
    if (name && name.length <= 253 && /^[A-Za-z0-9._-]+$/.test(name)) return { name, from: path };
  }
  const shown = hostFromContent(tree, content.files, content.logs);
  if (shown) return shown;
  if (root !== '') {
    const folder = root.slice(root.lastIndexOf('/') + 1).replace(/\.(tar\.gz|tgz|tar\.xz|tar|zip)$/i, '');
    const sosHost = sosHostOf(folder);
    // sos names its archive after the host (sosreport-<host>-...): that part is the host's name
    return sosHost ? { name: sosHost, from: 'folder name' } : { name: folder, from: 'folder name', notHost: true };
  }
  return { name: bundleName, from: 'bundle name', notHost: true };
}

/** A host name as a node's name: a DNS name, not `localhost`, not an address (a remote syslog writes the sender's address there). */
function plausibleHost(name: string | undefined): name is string {
  return (
    name !== undefined &&
    name.length <= 253 &&
    /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) &&
    !/^localhost(\.localdomain)?$/i.test(name) &&
    !/^\d{1,3}(\.\d{1,3}){3}$/.test(name)
  );
}

/** `kernel.hostname = x` of `sysctl -a`, or `/proc/sys/kernel/hostname = x` of a collector's walk of /proc/sys. */
const KERNEL_HOSTNAME = /^(?:kernel\.hostname|\/proc\/sys\/kernel\/hostname)\s*[=:]\s*(\S+)\s*$/m;
/** Lines of a kept log looked at for their host field (the scanner looks this far for a first timestamp). */
const HOST_LINES = 200;

/**
 * The host a node's own files name, where no hostname file does: `kernel.hostname` of a sysctl
 * listing (the live value: not a configuration file), else the host field of the node's
 * syslog-format log lines (`Nov 20 09:31:40 k8s-node-7 kubelet[1187]: ...`) when every such line
 * seen names the same host. A log's lines are read from the file where it was kept (a file given
 * on its own), else from what its scan kept: the host names its first lines carry, where the scan
 * counts them (`hosts`), and the lines that matched a signature. Two hosts: none (a log copied from
 * another machine, a central syslog).
 */
export function hostFromContent(tree: BundleTree, files: readonly LocatedFile[], logs: readonly LocatedLog[]): { name: string; from: string } | undefined {
  for (const f of files) {
    if (f.format !== 'sysctl-text' || f.savedConfig) continue;
    const host = KERNEL_HOSTNAME.exec(tree.text(f.path) ?? '')?.[1];
    if (plausibleHost(host)) return { name: host, from: `${f.path} (kernel.hostname)` };
  }
  const hosts = new Map<string, string>();
  // (what is no host name is left out: `localhost` of early boot lines, `kernel:` read as a host where a dump has none)
  const seen = (host: string | undefined, path: string) => {
    if (plausibleHost(host) && !hosts.has(host)) hosts.set(host, path);
  };
  for (const log of logs) {
    const kept = tree.text(log.path);
    if (kept !== undefined) {
      let n = 0;
      for (const line of kept.split('\n')) {
        if (++n > HOST_LINES) break;
        const p = parseLogPrefix(line.replace(/\r$/, ''));
        if (p.unit !== undefined) seen(p.host, log.path);
      }
      continue;
    }
    const scan = tree.streamedResult(log.path) as { hosts?: Record<string, number>; matches?: { excerpt: string }[] } | undefined;
    if (!scan) continue;
    for (const host of Object.keys(scan.hosts ?? {})) seen(host, log.path);
    for (const m of scan.matches ?? []) {
      const p = parseLogPrefix(m.excerpt);
      if (p.unit !== undefined) seen(p.host, log.path);
    }
  }
  if (hosts.size !== 1) return undefined;
  const [[host, path]] = [...hosts];
  return { name: host, from: `${path} (host of its syslog lines)` };
}

/**
 * The host in a sosreport's name. sos 4 names it `sosreport-<host>[-<label>][-<case id>]-<YYYY-MM-DD>-<random>`,
 * older sos `sosreport-<host>.<case id>-<YYYY-MM-DD>-<random>`, sos 3 `sosreport-<host>[-<case id>]-<YYYYMMDDHHMMSS>`.
 * Only the date, the random suffix and a numeric case id go: host names have dashes and digits
 * of their own (`ip-10-0-1-5`, `k8s-worker01`).
 */
export function sosHostOf(folder: string): string | undefined {
  const m =
    /^sosreport-(.+?)(?:[-.]\d{5,})?(?:-\d{4}-\d{2}-\d{2}-[a-z0-9]{5,8}|-\d{4}-\d{2}-\d{2}|-\d{14})$/.exec(folder) ??
    /^sosreport-(.+)$/.exec(folder);
  return m ? m[1] : undefined;
}

/** `eks_<instance id>_<YYYY-MM-DD_HHMM-TZ>_<collector version>`: the EKS log collector's archive name */
const EKS_ARCHIVE = /^eks_(i-[0-9a-f]{8,17})_/;

/**
 * Folders holding an EKS log collector archive's top (its `networking/`, `sysctls/`, `var_log/`, ...
 * folders): two of its marker files there, or one in a folder (or a bundle) named `eks_i-...`.
 * The collector tars its folder's contents, so a real archive has them at its root. Outermost only,
 * outside the roots another layout claimed.
 */
function eksRoots(paths: string[], claimed: string[], bundleName: string): string[] {
  return collectorRoots(paths, claimed, EKS_MARKERS, (root) => EKS_ARCHIVE.test(root === '' ? bundleName : root.slice(root.lastIndexOf('/') + 1)));
}

/**
 * Folders (outside the roots another layout claimed) holding two kinds of a collector's marker files, or one
 * where `named` accepts the folder (the bundle's own name for the root ''): outermost only. A marker may sit at
 * any depth under its root, so each path is tried at every folder boundary.
 */
function collectorRoots(paths: string[], claimed: string[], markers: readonly RegExp[], named: (root: string) => boolean): string[] {
  const found = new Map<string, Set<number>>();
  for (const p of paths) {
    if (claimed.some((r) => r === '' || p.startsWith(r + '/'))) continue;
    for (let start = 0; ; ) {
      const rel = p.slice(start);
      const i = markers.findIndex((re) => re.test(rel));
      if (i >= 0) {
        const root = start === 0 ? '' : p.slice(0, start - 1);
        (found.get(root) ?? found.set(root, new Set()).get(root)!).add(i);
      }
      const next = p.indexOf('/', start);
      if (next < 0) break;
      start = next + 1;
    }
  }
  const roots = [...found].filter(([root, kinds]) => kinds.size >= 2 || named(root)).map(([root]) => root);
  return roots.filter((r) => !roots.some((o) => o !== r && (o === '' || r.startsWith(o + '/'))));
}

/** `<hostname>-<YYYY-MM-DD_HH_MM_SS>`: the folder rancher2_logs_collector.sh writes (and tars) */
const RANCHER_FOLDER = /^(.+)-\d{4}-\d{2}-\d{2}_\d{2}_\d{2}_\d{2}$/;

/** The folder a collector run is in: the root's last segment, or the bundle's own name (its archive extension off) for the root ''. */
function rancherFolder(root: string, bundleName: string): string {
  return root === '' ? bundleName.replace(/\.(tar\.gz|tgz|tar)$/i, '') : root.slice(root.lastIndexOf('/') + 1);
}

/**
 * Folders holding a Rancher log collector run (its `systeminfo/`, `networking/`, `journald/`, `k3s/` folders): two
 * kinds of its marker files there, or one in a folder (or a bundle) named `<host>-<YYYY-MM-DD_HH_MM_SS>`. Outermost
 * only, outside the roots another layout claimed.
 */
function rancherRoots(paths: string[], claimed: string[], bundleName: string): string[] {
  // a marker sits two levels under its root (systeminfo/sysctla; k3s/crictl/psa three)
  return collectorRoots(paths, claimed, RANCHER_MARKERS, (root) => RANCHER_FOLDER.test(rancherFolder(root, bundleName)));
}

/** The namespaces whose pod logs the collector saves as `<distro>/podlogs/<namespace>-<pod>[-previous]` (its SYSTEM_NAMESPACES) */
const RANCHER_NAMESPACES = [
  'kube-system', 'kube-public', 'cattle-system', 'cattle-alerting', 'cattle-logging', 'cattle-pipeline', 'cattle-provisioning-capi-system',
  'cattle-resources-system', 'ingress-nginx', 'cattle-prometheus', 'istio-system', 'longhorn-system', 'cattle-global-data', 'fleet-system',
  'fleet-default', 'rancher-operator-system', 'cattle-monitoring-system', 'cattle-logging-system', 'cattle-fleet-system',
  'cattle-fleet-local-system', 'tigera-operator', 'calico-system', 'suse-observability',
].sort((a, b) => b.length - a.length);

/** The components RKE1 runs as containers on the host (`rke/containerlogs/<name>`: `docker logs <name>`): host daemons. */
const RKE_HOST_CONTAINERS = new Set(['etcd', 'kube-apiserver', 'kube-controller-manager', 'kubelet', 'kube-scheduler', 'kube-proxy', 'nginx-proxy']);

/** Where a log of a Rancher collector run comes from, by the name the script gives it; undefined when the path is no log. */
function rancherLog(relPath: string, path: string): LogSource | undefined {
  if (RANCHER_NOT_READ.test(relPath)) return undefined;
  // journald/<unit>, and the copies of /var/log/{syslog,messages,kern*,docker*,cloud-init*,audit/*,dmesg*} (7 days) in systemlogs/
  const system = /^(?:journald|systemlogs)\//.test(relPath) ? rancherSystemLog(relPath) : undefined;
  if (system) return system;
  // docker logs of RKE1's components and of Rancher's own containers
  let m = /^rke\/containerlogs\/([^/]+)$/.exec(relPath);
  if (m) return RKE_HOST_CONTAINERS.has(m[1]) ? { unit: m[1] } : { container: m[1] };
  m = /^rancher\/containerlogs\/(server|agent)-[^/]+$/.exec(relPath);
  if (m) return { container: m[1] === 'server' ? 'rancher' : 'cattle-cluster-agent' };
  // kubectl logs --all-containers <pod> > <distro>/podlogs/<namespace>-<pod>[-previous]
  m = /^(?:k3s|rke2|rke|kubeadm)\/podlogs\/([^/]+)$/.exec(relPath);
  if (m) {
    const ns = RANCHER_NAMESPACES.find((n) => m![1].startsWith(n + '-'));
    const pod = ns ? m[1].slice(ns.length + 1).replace(/-previous$/, '') : undefined;
    return ns && pod ? { namespace: ns, pod } : {};
  }
  // RKE2's own agent/server logs (kubelet.log, ...) and containerd.log copied beside its files
  m = /^rke2\/(?:agent|server)-logs\/([a-z0-9-]+)\.log$/.exec(relPath);
  if (m) return { unit: m[1] };
  if (relPath === 'rke2/containerd.log') return { unit: 'containerd' };
  return logSourceOf(path);
}

function rancherNode(tree: BundleTree, root: string, paths: string[], bundleName: string): LocatedNode {
  const { files, unmatched } = applyRules(RANCHER_RULES, root, paths);
  for (const f of files) {
    const host = RANCHER_HOST_PATHS[f.relPath];
    if (host) f.relPath = host;
  }
  const logs: LocatedLog[] = [];
  for (const { path, relPath } of unmatched) {
    const src = rancherLog(relPath, path);
    if (src) logs.push({ path, source: src });
    else if (!RANCHER_NOT_READ.test(relPath) && /^(?:[^/]+|networking\/[^/]+)$/.test(relPath) && relPath !== 'systeminfo/hostname') {
      // hand-added outputs beside the collector's, and networking/ files of a newer script
      const format = sniffFile(tree, path);
      if (format) files.push({ path, relPath, format });
    }
  }
  const { name, from, notHost } = rancherNodeName(tree, root, bundleName, files);
  const node: LocatedNode = { name, nameFrom: from, ...(notHost ? { nameNotHost: true as const } : {}), root, layout: 'rancher', files, logs };
  const rel = paths.map((p) => (root === '' ? p : p.slice(root.length + 1)));
  const distribution = rancherDistributionHint(rel, root) ?? distributionHint(paths, root);
  if (distribution) node.hints = { ...node.hints, distribution };
  return node;
}

/**
 * The host a Rancher collector run is of: `hostname > systeminfo/hostname` (then `hostname -f`), else kernel.hostname
 * of its `sysctl -a`, else the folder's name without the date the script appends (`<hostname>-<date>`).
 */
function rancherNodeName(tree: BundleTree, root: string, bundleName: string, files: readonly LocatedFile[]): { name: string; from: string; notHost?: true } {
  const at = (rel: string) => (root === '' ? rel : `${root}/${rel}`);
  for (const rel of ['systeminfo/hostname', 'systeminfo/hostnamefqdn']) {
    const name = tree.text(at(rel))?.split('\n').map((l) => l.trim()).find((l) => l !== '');
    if (plausibleHost(name)) return { name, from: at(rel) };
  }
  const shown = hostFromContent(tree, files, []);
  if (shown) return shown;
  const folder = rancherFolder(root, bundleName);
  const host = RANCHER_FOLDER.exec(folder)?.[1];
  if (plausibleHost(host)) return { name: host, from: root === '' ? 'bundle name' : 'folder name' };
  return { name: folder, from: root === '' ? 'bundle name' : 'folder name', notHost: true };
}

/** Folders of an EKS archive whose unnamed files are no artifact (storage, L-IPAMD's JSON, kernel and module info, logs). */
const EKS_NOT_SNIFFED = /^(storage|ipamd|kernel|modinfo|gpu|var_log|nodeadm|sandbox-image|sysctls|system)\//;

function eksNode(tree: BundleTree, root: string, paths: string[], bundleName: string): LocatedNode {
  const { files, unmatched } = applyRules(EKS_RULES, root, paths);
  const logs: LocatedLog[] = [];
  for (const { path, relPath } of unmatched) {
    const src = logSourceOf(path);
    if (src) logs.push({ path, source: src });
    else if (!EKS_NOT_SNIFFED.test(relPath)) {
      // hand-added outputs (`ip addr` beside the collector's files), docker/ and networking/ text
      const format = sniffFile(tree, path);
      if (format) files.push({ path, relPath, format });
    }
  }
  const { name, from } = eksNodeName(tree, root, bundleName);
  // an instance id (the archive's name, system/instance-id.txt) is not the name Kubernetes gives the node
  const notHost = /^i-[0-9a-f]{8,17}$/.test(name) || from === 'folder name' || from === 'bundle name';
  return withHints({ name, nameFrom: from, ...(notHost ? { nameNotHost: true as const } : {}), root, layout: 'eks', files, logs }, paths);
}

/**
 * The host an EKS archive is of: a hostname file where one was added, else `kernel.hostname` of
 * the collector's `sysctl --all` (the node name EKS gives the instance), else the instance id the
 * collector writes to system/instance-id.txt and into the archive's name.
 */
function eksNodeName(tree: BundleTree, root: string, bundleName: string): { name: string; from: string } {
  const at = (rel: string) => (root === '' ? rel : `${root}/${rel}`);
  const valid = (n: string | undefined) => n !== undefined && n.length <= 253 && /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(n) && !/^localhost(\.localdomain)?$/.test(n);
  for (const rel of ['system/hostname.txt', 'system/hostname', 'hostname', 'etc/hostname']) {
    const name = tree.text(at(rel))?.split('\n').map((l) => l.trim()).find((l) => l !== '' && !l.startsWith('#'));
    if (valid(name)) return { name: name!, from: at(rel) };
  }
  const sysctl = at('sysctls/sysctl_all.txt');
  const host = /^kernel\.hostname\s*=\s*(\S+)\s*$/m.exec(tree.text(sysctl) ?? '')?.[1];
  if (valid(host)) return { name: host!, from: `${sysctl} (kernel.hostname)` };
  const idFile = at('system/instance-id.txt');
  const id = tree.text(idFile)?.trim();
  if (id && /^i-[0-9a-f]{8,17}$/.test(id)) return { name: id, from: idFile };
  const folder = root === '' ? bundleName : root.slice(root.lastIndexOf('/') + 1);
  const fromName = EKS_ARCHIVE.exec(folder)?.[1];
  if (fromName) return { name: fromName, from: root === '' ? 'bundle name' : 'folder name' };
  return root === '' ? { name: bundleName, from: 'bundle name' } : { name: folder, from: 'folder name' };
}

/**
 * Ticket notes: what the support engineer (or the customer) wrote about the case, saved beside the
 * command outputs of a hand-made bundle (README, NOTES, ticket.txt, summary.md...; any markdown or
 * reStructuredText file). Their sentences quote commands and errors ("the customer ran
 * firewall-cmd --reload"): read as a log, they would become findings of their own.
 */
const NOTES_NAME = /(?:^|\/)(?:(?:read[-_ ]?me|notes?|ticket|case|summary|description|source|customer[-_ ]?(?:notes?|email))(?:[-_ .][^/]*)?(?:\.txt)?|[^/]+\.(?:md|markdown|rst))$/i;

/**
 * The paths of a hand-made bundle without its ticket notes, each noted: a file named like notes
 * that no sniffer recognises and that does not start like a log. A notes file holding timestamped
 * log lines (a syslog saved as notes.txt) is still a log.
 */
function withoutNotes(tree: BundleTree, paths: string[], notes: string[]): string[] {
  return paths.filter((p) => {
    if (!NOTES_NAME.test(p) || logSourceOf(p) || sniffFile(tree, p) || sniffedLog(tree, p) !== 'if-matched') return true;
    notes.push(`${p}: ticket notes (prose, not command output or a log), not read`);
    return false;
  });
}

/** A hand-made bundle's folder named for a kind of output, not a host: one host's files sorted by kind. */
const KIND_FOLDER = /^(logs?|journals?|journalctl|network(ing)?|net|commands?|cmds?|outputs?|system|iptables|nftables|firewall|docker|containers?|k8s|kubernetes|kube|sysctl|configs?|conf|files|data|collected|diag(nostics)?|info|misc|other|host|routes?|interfaces?)$/i;

/** Hand-made bundles: one node, or a folder per node when several top folders each hold artifacts. */
function flatNodes(tree: BundleTree, paths: string[], bundleName: string): LocatedNode[] {
  const common = commonFolder(paths);
  const byTop = new Map<string, string[]>();
  for (const p of paths) {
    const rel = common === '' ? p : p.slice(common.length + 1);
    const i = rel.indexOf('/');
    const top = i < 0 ? '' : rel.slice(0, i);
    (byTop.get(top) ?? byTop.set(top, []).get(top)!).push(p);
  }
  const folders = [...byTop.keys()].filter((k) => k !== '');
  const perFolder = folders.map((f) => {
    const root = common === '' ? f : `${common}/${f}`;
    return flatNode(tree, root, byTop.get(f)!, bundleName);
  });
  const withArtifacts = perFolder.filter((n) => n.files.length > 0);
  const topFiles = byTop.get('') ?? [];
  const topNode = flatNode(tree, common, topFiles, bundleName);
  // Folders named like config trees (etc, proc, run, var) belong to one host, not to nodes.
  const hostTree = folders.some((f) => /^(etc|proc|run|var|usr|sys|sos_commands|insights_commands)$/.test(f));
  // A folder holding only logs (named or shaped as logs: kube-flannel.log, a journal) is a node too beside one folder
  // of command output (flannel#1473: node1/ flanneld's log, node2/ ip link), unless the folders are one host's sorted
  // by kind (logs/, network/, commands/, customer-logs/).
  const ownLogs = perFolder.filter((n) => n.files.length === 0 && n.logs.some((l) => !l.ifMatched));
  const byKind = folders.some((f) => KIND_FOLDER.test(f) || /(?:^|[-_.])(?:logs?|journals?)(?:[-_.]|$)/i.test(f));
  const logNodes = withArtifacts.length === 1 && ownLogs.length >= 1 && !byKind;
  if ((withArtifacts.length >= 2 || logNodes) && topNode.files.length === 0 && !hostTree) {
    return withArtifacts.concat(perFolder.filter((n) => n.files.length === 0 && n.logs.length > 0));
  }
  return [flatNode(tree, common, paths, bundleName)];
}

function flatNode(tree: BundleTree, root: string, paths: string[], bundleName: string): LocatedNode {
  const { files, unmatched } = applyRules(FLAT_RULES, root, paths);
  const logs: LocatedLog[] = [];
  const unread: { path: string; relPath: string; sniffed: 'log' | 'if-matched' | undefined }[] = [];
  for (const { path, relPath } of unmatched) {
    const format = sniffFile(tree, path);
    if (format) files.push({ path, relPath, format });
    else if (isKubeEvents(tree, path)) logs.push({ path, source: {}, events: {} });
    else {
      const src = logSourceOf(path);
      const sniffed = src ? undefined : sniffedLog(tree, path);
      if (src) logs.push({ path, source: src });
      else if (sniffed === 'log') logs.push({ path, source: {} });
      else if (sniffed === 'if-matched') logs.push({ path, source: {}, ifMatched: true });
      if (!src) unread.push({ path, relPath, sniffed });
    }
  }
  const { name, from, notHost } = nodeName(tree, root, 'flat', bundleName, { files, logs });
  const node = withHints({ name, nameFrom: from, ...(notHost ? { nameNotHost: true as const } : {}), root, layout: 'flat', files, logs }, paths);
  // the file the node's name was read from was of use
  const nameFile = from.replace(/ \(.*\)$/, '');
  // (why each is of no use is decided only for the nodes kept: see unreadFiles)
  UNREAD.set(node, unread.filter(({ path, relPath }) => path !== nameFile && !HOSTNAME_FILES.flat.includes(relPath)));
  return node;
}

/**
 * What the node's paths show beyond its artifacts (every path it was built from, parsed or not:
 * a sosreport's etc/rancher/k3s/config.yaml names k3s though no rule reads it), as the node's hints.
 */
function withHints(node: LocatedNode, paths: readonly string[]): LocatedNode {
  const distribution = distributionHint(paths, node.root);
  if (distribution) node.hints = { ...node.hints, distribution };
  return node;
}

function commonFolder(paths: string[]): string {
  if (paths.length === 0) return '';
  const first = paths[0].split('/').slice(0, -1);
  // a host tree (etc/, var/log/...) starts the node, it is not a folder of it
  const hostTree = first.findIndex((p) => /^(etc|var|proc|run|usr|sys|sos_commands|insights_commands|host-collectors)$/.test(p));
  let n = hostTree < 0 ? first.length : hostTree;
  for (const p of paths) {
    const parts = p.split('/').slice(0, -1);
    let i = 0;
    while (i < n && i < parts.length && parts[i] === first[i]) i++;
    n = i;
    if (n === 0) break;
  }
  return first.slice(0, n).join('/');
}

/**
 * Whether a file of a hand-made bundle that no name rule or sniffer claims is a log: one that
 * was streamed as a log (a file given on its own, whatever it holds; a big one that started
 * like a log, see engine/logs.ts) or a kept one that starts like one. Any other text is scanned
 * too, and counts as a log only if something matches in it.
 */
function sniffedLog(tree: BundleTree, path: string): 'log' | 'if-matched' | undefined {
  // a JSON document (bundles/expected.json, an API dump) is data: its strings quote messages, it logs none
  if (isJsonDocument(tree, path)) return undefined;
  const streamed = tree.streamedResult(path) as { startsLikeLog?: boolean } | undefined;
  if (streamed !== undefined) return streamed.startsLikeLog === false ? 'if-matched' : 'log';
  const text = headText(tree.read(path));
  if (text === undefined) return undefined;
  return looksLikeLog(text) ? 'log' : 'if-matched';
}

/**
 * What a file's first bytes say it is: an artifact a sniffer recognises, or a log. Used to tell
 * a hand-made bundle (its files are such content) from a folder of ticket attachments.
 */
export function sniffHead(head: Buffer): 'artifact' | 'log' | undefined {
  const text = headText(head);
  if (text === undefined) return undefined;
  if (sniffFormat(text)) return 'artifact';
  return looksLikeLog(text) ? 'log' : undefined;
}

/** The format whose sniffer recognises the file's first bytes, if the file was kept. */
export function sniffFile(tree: BundleTree, path: string): string | undefined {
  const text = headText(tree.read(path));
  return text === undefined ? undefined : sniffNamed(text, path);
}

/**
 * The sniffed format, corrected by what the name says: `key = value` lines in a `*.conf` file
 * (`99-kubernetes.conf`, `k8s.conf`) are configuration applied at boot, not live values, and so
 * is sysctl text with comments, which sysctl never prints.
 */
function sniffNamed(text: string, path: string): string | undefined {
  const format = sniffFormat(text);
  if (format === 'sysctl-text') return /\.conf$/i.test(path) ? 'sysctl-conf' : format;
  if (format === undefined && sniffSysctlConfig(text)) return 'sysctl-conf';
  return format;
}

/**
 * A kept file that is a JSON document and no log (see jsonDocument): JSON lines (docker's json-file
 * logs, journalctl -o json) are logs and stay so. A kept file is whole: one cut short by its collector
 * is judged by its start. A file too big to keep was streamed, and is judged while it streams
 * (jsonDocumentHead, engine/logs.ts): it is not seen here.
 */
function isJsonDocument(tree: BundleTree, path: string): boolean {
  const buf = tree.read(path);
  if (!buf || buf.length === 0) return false;
  const first = buf[0] === 0xef ? buf[3] : buf[0];
  if (first !== 0x7b && first !== 0x5b && !/^\s*[{[]/.test(buf.toString('latin1', 0, 64))) return false;
  if (!looksLikeText(buf.subarray(0, SNIFF_BYTES))) return false;
  return jsonDocument(buf.toString('utf8'), true);
}

/**
 * Whether a file's first bytes (the SNIFF_BYTES a stream consumer sees of a file too big to keep) are the
 * start of one JSON document, data and no log: `kubectl get pods -A -o json`, `docker inspect` of many
 * containers, a troubleshoot bundle's cluster-resources/*.json, pretty-printed or compact and cut
 * mid-document by the head (see jsonDocument). Not JSON lines (docker's json-file log, journalctl -o json),
 * and not a Kubernetes event list: its events are log lines (isKubeEvents).
 */
export function jsonDocumentHead(head: Buffer): boolean {
  const text = headText(head);
  return text !== undefined && jsonDocument(text, false) && !sniffKubeEvents(text);
}

/** `kubectl get events -o json` (a List / EventList of Events) in a hand-made bundle or given alone: its events are log lines. */
function isKubeEvents(tree: BundleTree, path: string): boolean {
  const text = headText(tree.read(path));
  return text !== undefined && sniffKubeEvents(text);
}

/** The start of a file as text for the sniffers; undefined for nothing or binary data. */
function headText(buf: Buffer | undefined): string | undefined {
  if (!buf || buf.length === 0) return undefined;
  const head = buf.subarray(0, SNIFF_BYTES);
  // text with NUL runs (a syslog's preallocated blocks after a crash) is text; binary is not
  return looksLikeText(head) ? withoutNul(head).toString('utf8') : undefined;
}

function sniffFormat(text: string): string | undefined {
  return sniffableFormats().find((f) => f.sniff!(text))?.id;
}

function dedupeNames(nodes: LocatedNode[], notes: string[]): void {
  const seen = new Map<string, number>();
  for (const n of nodes) {
    const count = seen.get(n.name) ?? 0;
    seen.set(n.name, count + 1);
    if (count > 0) {
      notes.push(`two nodes are named ${n.name}; the one at ${n.root || '(root)'} is shown as ${n.name}#${count + 1}`);
      n.name = `${n.name}#${count + 1}`;
    }
  }
}

/** Formats that exist in the parser registry (rules for formats not built yet are inert). */
function known(format: string): boolean {
  return allFormats().some((f) => f.id === format);
}

/** Applies rules to the node's files; returns located files and the paths no rule took. */
function applyRules(
  rules: PathRule[],
  root: string,
  paths: string[],
): { files: LocatedFile[]; unmatched: { path: string; relPath: string }[] } {
  const files: (LocatedFile & { group?: string; rank?: number })[] = [];
  const unmatched: { path: string; relPath: string }[] = [];
  for (const path of paths) {
    const relPath = root === '' ? path : path.slice(root.length + 1);
    let matched = false;
    for (const rule of rules) {
      const m = rule.re.exec(relPath);
      if (!m) continue;
      matched = true;
      if (!known(rule.format)) break;
      const group = rule.group?.replace(/\$(\d)/g, (_, d: string) => m[Number(d)] ?? '');
      files.push({ path, relPath, format: rule.format, savedConfig: rule.savedConfig, hint: rule.hint?.(m), group, rank: rule.rank });
      break;
    }
    if (!matched) unmatched.push({ path, relPath });
  }
  const best = new Map<string, number>();
  for (const f of files) if (f.group !== undefined) best.set(f.group, Math.min(best.get(f.group) ?? Infinity, f.rank ?? 0));
  // A per-table listing of filter beats sos's -vnxL; express that by letting the explicit listing claim the group.
  for (const f of files) {
    if (f.format === 'iptables-list' && f.hint?.table === 'filter' && f.group === undefined) {
      const g = `filter-listing-${f.hint.family === 'ipv6' ? 'ip6' : 'ip'}`;
      best.set(g, -1);
    }
  }
  return {
    files: files
      .filter((f) => f.group === undefined || f.rank === best.get(f.group))
      .map(({ group: _g, rank: _r, ...f }) => f),
    unmatched,
  };
}
