/**
 * Log signatures (H83): the container runtime could not load a CNI network configuration.
 *
 * - log.cni-config-load-failed: the runtime's own line about one file of /etc/cni/net.d.
 *   containerd (containerd/go-cni opts.go loadFromConfDir): `failed to load CNI config list file %s: %v` /
 *   `failed to load CNI config file %s: %v`, inside `cni config load failed: ...`, logged by the CRI plugin as
 *   `failed to load cni during init` or `failed to reload cni configuration after receiving fs change event(...)`
 *   (containerd/containerd#8662: `error="cni config load failed: failed to load CNI config list file
 *   /etc/cni/net.d/10-calico.conflist: error parsing configuration list: unexpected end of JSON input: invalid cni
 *   config: failed to load cni config`). containerd stops at that file: no network is loaded.
 *   CRI-O (cri-o/ocicni loadNetworks) and kubelet's dockershim: `Error loading CNI config list file %s: %v` /
 *   `Error loading CNI config file %s: %v` (cri-o/cri-o#7870: `level=error msg="Error loading CNI config list file
 *   /tmp/tmp.PiZMelzV6x/cni/net.d/001-log_cni_plugin.conflist: error parsing configuration list: unexpected end of
 *   JSON input"`; cri-o/cri-o#7231: `Error loading CNI config file /etc/cni/net.d/100-crio-bridge.conf: error parsing
 *   configuration: missing 'type'`); they skip the file and take the next one.
 *   Facts: path (the file as the runtime names it), reason (libcni's error).
 * - log.cni-not-initialized: the runtime has no network at all: kubelet's `NetworkReady=false
 *   reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized` (containerd),
 *   dockershim's `Unable to update cni config: No valid networks found in /etc/cni/net.d` / `cni config
 *   uninitialized`, go-cni's `no valid networks found in ...`. Facts: dir.
 *
 * Both support cni.config-invalid, which names the file and the line of its error.
 * - log.node-became-ready (H91, quiet): kubelet saying the node is ready: `"Fast updating node status as it just became
 *   ready"` (kubelet_node_status.go, logged once at start-up when the Ready condition turns true) and the NodeReady event
 *   (`"Recording event message for node" node="NAME" event="NodeReady"`). analyzers/log-signatures.ts reads it: a
 *   `cni plugin not initialized` before it was start-up, resolved. Facts: node.
 */
import type { LogSignature } from './signatures.js';

/** a path as the runtimes print it: absolute, up to the ": " before libcni's reason */
const PATH = String.raw`\/[^\s"\\:]{1,400}`;

export const CNI_CONFIG_LOAD_FAILED = new RegExp(String.raw`(?:failed to load|Error loading) CNI config (?:list )?file (?<path>${PATH}): (?<reason>[^"\\]{1,300})`);

export const CNI_CONFIG_SIGNATURES: readonly LogSignature[] = [
  {
    id: 'log.cni-config-load-failed',
    literals: ['failed to load CNI config', 'Error loading CNI config'],
    pattern: CNI_CONFIG_LOAD_FAILED,
    meaning:
      'The container runtime could not read a CNI network configuration file: libcni rejected it (not valid JSON, such as a comment or a trailing comma, or a .conflist without "plugins", a .conf without "type"). containerd then loads no network at all, so no pod of the node gets one (kubelet: cni plugin not initialized); CRI-O skips the file and uses the next one in name order, which may be another, older network.',
    supports: ['cni.config-invalid'],
    severity: 'warning',
    title: 'The container runtime cannot load a CNI configuration file',
    advice:
      'Fix the file the line names so that it is plain JSON (no comments, no comma before a closing bracket; a file with a "plugins" list is named .conflist), or remove it when it is left over. Check it with jq, then let the runtime reload it (containerd and CRI-O watch the directory; restart them if the node stays NotReady).',
    commands: ['jq . {path}   # prints the file when it is valid JSON, else the line of the error'],
  },
  {
    id: 'log.cni-not-initialized',
    literals: ['cni plugin not initialized', 'o valid networks found in', 'cni config uninitialized'],
    pattern: /cni plugin not initialized|[Nn]o valid networks found in (?<dir>\/[^\s"\\:\]]{1,200})|cni config uninitialized/,
    meaning:
      'The container runtime has no usable CNI network configuration: none in its directory (/etc/cni/net.d), or none it could load. The node reports NetworkReady=false and its pods stay in ContainerCreating until a valid configuration is there.',
    supports: ['cni.config-invalid'],
    // info: a node logs it at every start until the network add-on writes its file; cni.config-invalid, which it
    // supports, carries the severity where a file is to blame
    severity: 'info',
    title: 'The container runtime has no CNI network',
    advice:
      'List the CNI configuration directory: a file that is not valid JSON, or no file at all (the network add-on, such as flannel or Calico, has not written its file yet, or its pod is not running on this node). Fix or restore the file; the runtime picks it up.',
    commands: ['ls -l /etc/cni/net.d/', 'for f in /etc/cni/net.d/*.conf /etc/cni/net.d/*.conflist /etc/cni/net.d/*.json; do [ -e "$f" ] || continue; jq -e . "$f" >/dev/null 2>&1 || echo "not valid JSON: $f"; done'],
  },
  {
    id: 'log.node-became-ready',
    literals: ['it just became ready', 'event="NodeReady"'],
    pattern: /"Fast updating node status as it just became ready"|"Recording event message for node" node="(?<node>[^"\\]{1,253})" event="NodeReady"/,
    meaning: 'kubelet reported the node ready.',
    supports: [],
    severity: 'info',
    title: 'The node became ready',
    advice: 'Nothing to fix by itself.',
    quiet: true,
    maxMatches: 200,
  },
];
