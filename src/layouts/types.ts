import type { BundleTree } from '../bundle/tree.js';

/** `eks`: the EKS log collector's archive (eks-log-collector.sh); `rancher`: Rancher's log collector (rancher2_logs_collector.sh) */
export type LayoutName = 'sosreport' | 'troubleshoot' | 'insights' | 'eks' | 'rancher' | 'flat' | 'mixed';

/** Where a log line came from, when the file name says it (sosreport per-unit journals, pod logs). */
export interface LogSource {
  unit?: string;
  namespace?: string;
  pod?: string;
  container?: string;
}

export interface LocatedFile {
  /** path inside the bundle */
  path: string;
  /** format id of the parser registry */
  format: string;
  /** path relative to the node root, for parsers that read meaning from it (/proc/sys keys) */
  relPath: string;
  /** the file is a saved configuration, not live state */
  savedConfig?: boolean;
  /** what the file name says about its content (e.g. the iptables table of a sosreport listing) */
  hint?: Record<string, string>;
}

export interface LocatedLog {
  path: string;
  source: LogSource;
  /**
   * A text file of a hand-made bundle that neither its name nor its first lines show to be a
   * log (a pasted `docker run` error, a saved console): it counts as a log only if a signature
   * matches in it.
   */
  ifMatched?: true;
  /** a Kubernetes event list (logs/kube-events.ts): scanned as one log line per event, this node's events only when `node` is set */
  events?: { node?: string; withUnplaced?: boolean };
}

/**
 * The Kubernetes distribution the node's paths show (k3s's /var/lib/rancher/k3s, a `journalctl -u k3s`
 * copy, troubleshoot's k0scontroller-logs): a hint for nodes whose bundle has no unit states.
 */
export interface DistributionHint {
  name: 'k3s' | 'rke2' | 'k0s' | 'microk8s';
  /** the unit that runs its kubelet, as far as the paths say (k3s-agent, rke2-agent, k0scontroller) */
  unit: string;
  /** the path that shows it */
  file: string;
  /** what that path is */
  why: string;
}

/** What the layout knows of a node beyond its files: hints the engine hands the analyzers as artifacts of their own. */
export interface NodeHints {
  distribution?: DistributionHint;
}

export interface LocatedNode {
  name: string;
  /**
   * how the name was found: a file path (a hostname file; `<file> (kernel.hostname)`; `<log> (host of
   * its syslog lines)`), or "folder name" / "bundle name"
   */
  nameFrom: string;
  /**
   * The name is the node folder's or the bundle's own (a file name such as `iptables-dump.txt`), not a
   * name the bundle shows for the host: commands must not embed it (analyzers write `<NODE>`).
   */
  nameNotHost?: true;
  /** folder of this node inside the bundle ('' for the root) */
  root: string;
  layout: Exclude<LayoutName, 'mixed'>;
  files: LocatedFile[];
  logs: LocatedLog[];
  hints?: NodeHints;
}

export interface Located {
  layout: LayoutName;
  nodes: LocatedNode[];
  notes: string[];
  /**
   * Files of a hand-made bundle's kept nodes that no rule, sniffer or log name took, in bundle
   * order: with why each is of no use, or without a why when it is among the node's logs "if
   * matched" (text no sniffer knows): whether it was of use is known once attachLogs has its scan.
   */
  unread?: UnreadFile[];
}

export interface UnreadFile {
  path: string;
  why?: string;
}

/** A layout finds its node roots in a tree and assigns files to them. */
export interface Layout {
  name: Exclude<LayoutName, 'mixed'>;
  /** folders (possibly '') where this layout's marker sits */
  findRoots(tree: BundleTree, paths: string[]): string[];
  /** nodes under one root */
  nodes(tree: BundleTree, root: string, paths: string[]): LocatedNode[];
}
