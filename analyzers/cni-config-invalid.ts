/**
 * cni.config-invalid: a CNI network configuration in the runtime's directory (/etc/cni/net.d, k3s' and RKE2's
 * agent/etc/cni/net.d) that the container runtime cannot load. libcni reads the files with Go's encoding/json, which
 * takes no comment, no trailing comma and no byte-order mark; a .conflist needs a "plugins" list, a .conf / .json a
 * "type" (src/parsers/cni-conf.ts loadCniConf keeps such a file with `invalid` set).
 *
 * What the runtime does with it, from the runtimes' sources (H83):
 * - containerd (containerd/go-cni opts.go loadFromConfDir; k3s, RKE2 and MicroK8s embed it): reads the files in name
 *   order and returns an error on the first one that fails (`cni config load failed: failed to load CNI config list
 *   file /etc/cni/net.d/10-calico.conflist: error parsing configuration list: ...`, containerd/containerd#8662): no
 *   network is loaded, even where a valid file follows. The kubelet reports `NetworkReady=false
 *   reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized`; pods stay in
 *   ContainerCreating. Files after the first valid one are not read (max_conf_num = 1 by default).
 * - CRI-O (cri-o/ocicni loadNetworks) and the kubelet's dockershim / cri-dockerd (getDefaultCNINetwork): log
 *   `Error loading CNI config list file %s: %v` and take the next file: the first valid one after it becomes the
 *   default network, which may be a stale one (a leftover 10-flannel.conflist, Podman's 87-podman-bridge.conflist).
 *
 * Critical where the invalid file comes before the first valid one (or none is valid): no network at all
 * (containerd), or the runtime falls back to the next valid file (CRI-O, dockershim), named. A warning where it
 * sorts after the file in use: not loaded now, a trap for the day the file before it goes.
 */
import { defineAnalyzer } from '../src/engine/analyzer.js';
import type { Evidence } from '../src/report/schema.js';
import { cniConfOrder, isNetDir, type CniLoader, type CniNetworkConf } from '../src/parsers/cni-conf.js';
import type { LogMatch, LogScanResult } from '../src/logs/index.js';
import { NODE_SERVICE_KINDS, nodeServices, type NodeServices } from './lib/node-services.js';

/** The signatures whose lines this analyzer cites (src/logs/signatures-cni-config.ts). */
export const LOAD_FAILED_SIGNATURE = 'log.cni-config-load-failed';
export const NOT_INITIALIZED_SIGNATURE = 'log.cni-not-initialized';

const RUNTIME_LABEL: Record<CniLoader, string> = { containerd: 'containerd', crio: 'CRI-O', dockershim: "the kubelet's dockershim (cri-dockerd)" };

/** The runtime that reads the CNI directory, by what nodeServices tells (containerd, CRI-O; else not known). */
function loaderOf(s: NodeServices): CniLoader | undefined {
  switch (s.runtime?.name) {
    case 'containerd':
    case 'embedded-containerd':
      return 'containerd';
    case 'crio':
      return 'crio';
    // dockerd running says nothing of the kubelet's runtime: since Kubernetes 1.24 it is mostly containerd beside
    // Docker (cri-dockerd is rare), so the wording stays for both
    default:
      return undefined;
  }
}

/** The file's path on the host: /etc/cni/net.d/X, /var/lib/rancher/k3s/agent/etc/cni/net.d/X. */
export function hostPath(file: string): string {
  const m = /((?:var\/lib\/rancher\/(?:k3s|rke2)\/agent\/)?etc\/cni\/net\.d\/[^/]+)$/.exec(file);
  return m ? `/${m[1]}` : `/etc/cni/net.d/${file.slice(file.lastIndexOf('/') + 1)}`;
}

const baseOf = (file: string): string => file.slice(file.lastIndexOf('/') + 1);

/** Log lines about this file (the runtime's own error), and the lines that say the runtime has no network. */
function logLines(logs: readonly LogScanResult[] | undefined, path: string): { file: LogMatch[]; none: LogMatch[] } {
  const all = (logs ?? []).flatMap((l) => l.matches);
  return {
    file: all.filter((m) => m.signature === LOAD_FAILED_SIGNATURE && (m.facts.path === path || baseOf(m.facts.path ?? '') === baseOf(path))),
    none: all.filter((m) => m.signature === NOT_INITIALIZED_SIGNATURE),
  };
}

/** The exact fix for the error at its line, and the words for it. */
function fixOf(c: CniNetworkConf, path: string): { words: string; commands: string[] } {
  const inv = c.invalid!;
  const n = inv.ref.line;
  if (inv.kind === 'no-plugins') return { words: `rename it to .conf if it is one plugin (it has a "type" and no "plugins" list), or give it a "plugins" list`, commands: [`mv ${path} ${path.replace(/\.conflist$/, '.conf')}   # a single-plugin conf; or wrap it in "plugins": [ ... ]`] };
  if (inv.kind === 'no-type') return { words: 'rename it to .conflist (it holds a "plugins" list)', commands: [`mv ${path} ${path.replace(/\.(?:conf|json)$/, '.conflist')}`] };
  if (/byte-order mark/.test(inv.message)) return { words: 'remove the byte-order mark at the start of the file', commands: [`sed -i '1s/^\\xEF\\xBB\\xBF//' ${path}`, `head -c3 ${path} | od -An -tx1   # no longer ef bb bf`] };
  if (/a comment \(JSON has none\)/.test(inv.message) && /^\s*(?:\/\/|\/\*.*\*\/\s*$)/.test(inv.excerpt))
    return { words: `delete the comment at line ${n}`, commands: [`sed -i '${n}{/^[[:space:]]*\\/[\\/*]/d}' ${path}   # deletes line ${n} only if it is the comment`] };
  if (/a comment/.test(inv.message)) return { words: `remove the comment at line ${n} (JSON has none)`, commands: [`# edit ${path}: remove the comment at line ${n}`] };
  const comma = /a comma before "([\]}])"/.exec(inv.message);
  if (comma && /,\s*$/.test(inv.excerpt))
    return { words: `delete the comma at the end of line ${n} (before the "${comma[1]}" that follows)`, commands: [`sed -i '${n}s/,[[:space:]]*$//' ${path}   # the trailing comma of line ${n}`] };
  if (comma) return { words: `delete the comma at line ${n} before "${comma[1]}"`, commands: [`# edit ${path}: delete the comma at line ${n} before "${comma[1]}"`] };
  return { words: `correct the JSON at line ${n} (${inv.message.replace(/^not valid JSON: /, '').replace(/; libcni rejects.*$/, '')})`, commands: [`# edit ${path}: line ${n}`] };
}

/** libcni's words for the error as the runtime logs it, where they are certain. */
function goError(c: CniNetworkConf): string | undefined {
  const inv = c.invalid!;
  if (inv.kind === 'no-plugins') return "error parsing configuration list: no 'plugins' key";
  if (inv.kind === 'no-type') return "error parsing configuration: missing 'type'";
  const comma = /a comma before "([\]}])"/.exec(inv.message);
  const list = c.format === 'conflist' ? 'error parsing configuration list' : 'error parsing configuration';
  if (comma) return `${list}: invalid character '${comma[1]}' looking for beginning of ${comma[1] === ']' ? 'value' : 'object key string'}`;
  if (/a comment/.test(inv.message)) return `${list}: invalid character '/' looking for beginning of ...`;
  return undefined;
}

export default defineAnalyzer({
  id: 'cni.config-invalid',
  title: 'A CNI configuration the container runtime cannot load',
  description:
    'A file in /etc/cni/net.d (or k3s/RKE2 agent/etc/cni/net.d) is not valid JSON as libcni reads it (a comment, a trailing comma, a byte-order mark), or a .conflist without "plugins" / a .conf without "type". containerd then loads no network (cni plugin not initialized); CRI-O and dockershim skip it and use the next file, maybe a stale one.',
  scope: 'node',
  requires: ['cniConf'],
  optional: [...NODE_SERVICE_KINDS],
  analyze({ node, artifacts }) {
    const order = cniConfOrder(artifacts.cniConf);
    // only the directory the runtime reads: a conf copied elsewhere (a backup, a collector's own name) says nothing
    if (!order || !isNetDir(order.dir) || !order.files.some((c) => c.invalid)) return [];
    const services = nodeServices(artifacts);
    // else the runtime's own words in the logs: go-cni's "failed to load CNI config" is containerd's; ocicni's
    // "Error loading CNI config" CRI-O's (the kubelet's dockershim says it too: only a crio unit makes it CRI-O)
    const loaded = (artifacts.logs ?? []).flatMap((l) => l.matches).filter((m) => m.signature === LOAD_FAILED_SIGNATURE);
    const loader =
      loaderOf(services) ??
      (loaded.some((m) => /failed to load CNI config/.test(m.excerpt)) ? 'containerd' : loaded.some((m) => /Error loading CNI config/.test(m.excerpt) && /^crio/.test(m.unit ?? '')) ? 'crio' : undefined);
    const restart = services.restartRuntime;
    const firstValid = order.files.findIndex((c) => !c.invalid);
    const valid = firstValid >= 0 ? order.files[firstValid] : undefined;
    const out = [];
    for (const [i, c] of order.files.entries()) {
      if (!c.invalid) continue;
      const path = hostPath(c.file);
      const fix = fixOf(c, path);
      const go = goError(c);
      const logs = logLines(artifacts.logs, path);
      const before = firstValid < 0 || i < firstValid;
      const fileEvidence: Evidence = { file: c.invalid.ref.file, line: c.invalid.ref.line, excerpt: c.invalid.excerpt, note: c.invalid.message.replace(/^not valid JSON: /, 'not valid JSON: ') };
      const validPath = valid ? hostPath(valid.file) : undefined;
      const validEvidence: Evidence[] = valid && before ? [{ file: valid.file, line: valid.name?.ref.line ?? 1, excerpt: valid.name?.excerpt ?? baseOf(valid.file), note: `the next valid file: ${baseOf(valid.file)} (network "${valid.name?.value ?? '?'}", ${valid.plugins.map((p) => p.type ?? '?').join(' + ')})` }] : [];
      const logEvidence: Evidence[] = [
        ...logs.file.slice(0, 2).map((m) => ({ file: m.file, line: m.line, excerpt: m.excerpt, note: 'the runtime could not load the file' })),
        ...(before ? logs.none.slice(-1).map((m) => ({ file: m.file, line: m.line, excerpt: m.excerpt, note: 'the node has no pod network' })) : []),
      ];
      const what = `${path} on ${node} (${c.file}:${c.invalid.ref.line}) cannot be loaded: ${c.invalid.message.replace(/^not valid JSON: /, 'it is not valid JSON: ')}${go ? ` (libcni: "${go}")` : ''}.`;
      let title: string;
      let consequence: string;
      let impact: string;
      if (before) {
        const containerd = `containerd stops at this file and loads no network at all${valid ? `, though ${baseOf(valid.file)} after it is valid` : ''}: the kubelet reports NetworkReady=false ("cni plugin not initialized") and new pods stay in ContainerCreating`;
        const who = loader ? RUNTIME_LABEL[loader] : "CRI-O and the kubelet's dockershim (cri-dockerd)";
        const s3 = loader ? 's' : '';
        const skip = valid
          ? `${who} skip${s3} it and load${s3} ${baseOf(valid.file)} instead (network "${valid.name?.value ?? '?'}", ${valid.plugins.map((p) => p.type ?? '?').join(' + ')}): new pods get that network, not the one this file describes`
          : `${who} skip${s3} it and find${s3} no other valid file: no network, new pods stay in ContainerCreating`;
        const position = i === 0 ? `It is the first file in ${path.slice(0, path.lastIndexOf('/'))} by name` : 'It comes before the first valid file by name';
        const noNetwork = valid ? undefined : order.files.length === 1 ? 'The only CNI configuration cannot be loaded: the node has no pod network' : 'No CNI configuration in the directory can be loaded: the node has no pod network';
        if (loader === 'containerd') {
          title = 'containerd cannot load the CNI configuration: the node has no pod network';
          consequence = `${position}, so ${containerd}.`;
          impact = 'No new pod on this node gets a network (sandbox creation fails); the node reports NetworkReady=false.';
        } else if (loader) {
          title = valid ? `${RUNTIME_LABEL[loader]} skips the CNI configuration and loads ${baseOf(valid.file)} instead` : `${RUNTIME_LABEL[loader]} cannot load the CNI configuration: the node has no pod network`;
          consequence = `${position}: ${skip}.`;
          impact = valid ? `New pods on this node are put on ${baseOf(valid.file)}'s network, which is not the one this file describes: they may get addresses other nodes cannot reach.` : 'No new pod on this node gets a network; the node reports NetworkReady=false.';
        } else if (valid) {
          title = `A CNI configuration the runtime cannot load comes before ${baseOf(valid.file)}`;
          consequence = `${position}. The bundle does not show which runtime the kubelet uses: ${containerd}; ${skip}.`;
          impact = `No new pod on this node gets a network (containerd), or new pods get ${baseOf(valid.file)}'s network (CRI-O).`;
        } else {
          title = noNetwork!;
          consequence = `${position}, and no file of the directory can be loaded: containerd stops at it, CRI-O and the kubelet's dockershim (cri-dockerd) skip it and find no other. Whichever runtime the kubelet uses, it has no network: the kubelet reports NetworkReady=false ("cni plugin not initialized") and new pods stay in ContainerCreating.`;
          impact = 'No new pod on this node gets a network; the node reports NetworkReady=false.';
        }
      } else {
        const inUse = baseOf(valid!.file);
        title = `A CNI configuration the runtime cannot load (after ${inUse}, which is in use)`;
        consequence = `It sorts after ${inUse}, the file in use, so it is not the node's network now: ${loader === 'crio' ? 'CRI-O reads it, logs an error for it and keeps the first valid file' : loader === 'containerd' ? 'containerd reads only the first valid file (unless max_conf_num is set above 1 in its CNI config: then this file makes the whole load fail)' : 'containerd reads only the first valid file; CRI-O logs an error for it and keeps the first'}. The day ${inUse} is removed, it is the first file${loader === 'crio' ? ' and CRI-O skips it to the next' : ': containerd then loads no network'}.`;
        impact = 'None now; a trap for the next change of the CNI directory.';
      }
      const severity = before ? ('critical' as const) : ('warning' as const);
      const logNote = logs.file.length ? ` The runtime's log shows it (${logs.file[0].file}:${logs.file[0].line}).` : '';
      out.push({
        severity,
        title,
        message: `${what} ${consequence}${logNote}`,
        impact,
        evidence: [fileEvidence, ...validEvidence, ...logEvidence],
        facts: { file: path, line: c.invalid.ref.line, kind: c.invalid.kind, runtime: loader ?? null, inUse: before ? (loader === 'containerd' ? null : validPath ?? null) : validPath ?? null, before, logged: logs.file.length > 0 },
        remedy: {
          summary: `Fix ${path}: ${fix.words}, check it with jq, then let ${loader ? RUNTIME_LABEL[loader] : 'the container runtime'} reload it (containerd and CRI-O watch the directory; restart the runtime if the node stays NotReady) and wait for the kubelet to report the node Ready.${before && valid && loader === 'crio' ? ` Pods created while ${baseOf(valid.file)} was in use keep its network: recreate them.` : before && valid && !loader ? ` Where the runtime fell back to ${baseOf(valid.file)} (CRI-O), pods created meanwhile keep its network: recreate them.` : ''}`,
          commands: [
            `cp -p ${path} /root/${baseOf(path)}.orig   # a copy outside the directory (a copy inside it would be read too)`,
            ...fix.commands,
            `jq . ${path} >/dev/null && echo valid   # jq prints the line of any error left`,
            ...(loader === 'containerd' ? ['crictl info | grep -i lastCNILoadStatus   # containerd\'s last load of the directory: "OK" once it loaded the file'] : []),
            ...(loader ? ['# if the node stays NotReady:', ...restart] : ['# if the node stays NotReady: restart the runtime the kubelet uses (systemctl restart containerd, or crio; k3s / RKE2: their own service)']),
          ],
          caution: 'Restarting containerd or CRI-O leaves running containers running; pods are not recreated.',
        },
      });
    }
    return out;
  },
});
