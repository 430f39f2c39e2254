import type { BundleTree } from '../bundle/tree.js';

export type LayoutName = 'sosreport' | 'troubleshoot' | 'insights' | 'flat' | 'mixed';

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
}

export interface LocatedNode {
  name: string;
  /** how the name was found: a file path, or "folder name" */
  nameFrom: string;
  /** folder of this node inside the bundle ('' for the root) */
  root: string;
  layout: Exclude<LayoutName, 'mixed'>;
  files: LocatedFile[];
  logs: LocatedLog[];
}

export interface Located {
  layout: LayoutName;
  nodes: LocatedNode[];
  notes: string[];
}

/** A layout finds its node roots in a tree and assigns files to them. */
export interface Layout {
  name: Exclude<LayoutName, 'mixed'>;
  /** folders (possibly '') where this layout's marker sits */
  findRoots(tree: BundleTree, paths: string[]): string[];
  /** nodes under one root */
  nodes(tree: BundleTree, root: string, paths: string[]): LocatedNode[];
}
