/**
 * The analyzer contract (DESIGN.md): an id, what it reads, and a pure function from artifacts to
 * findings. The engine, not the analyzer, handles missing artifacts and failures.
 */
import type { Evidence, Remedy, Severity } from '../report/schema.js';
import type { ArtifactKind, ArtifactMap } from './artifacts.js';

/** What an analyzer returns; the engine adds node, analyzer id and validation. */
export interface FindingDraft {
  /** defaults to the analyzer's id; analyzers that emit a family (log.*) set it */
  id?: string;
  severity: Severity;
  title: string;
  message: string;
  evidence: Evidence[];
  remedy: Remedy;
  impact?: string;
  facts?: Record<string, unknown>;
  /** cluster findings name the nodes involved */
  nodes?: string[];
  related?: string[];
  firstSeen?: string;
  lastSeen?: string;
  seenYearInferred?: boolean;
}

export type ArtifactsOf<R extends readonly ArtifactKind[], O extends readonly ArtifactKind[]> = {
  [K in R[number]]: ArtifactMap[K][];
} & { [K in O[number]]?: ArtifactMap[K][] };

/** Says a part of an analysis was left undecided, and which artifact kinds it lacked (NodeInput.partly) */
export type Partly = (what: string, missing?: readonly ArtifactKind[]) => void;

export interface NodeInput<R extends readonly ArtifactKind[], O extends readonly ArtifactKind[]> {
  node: string;
  /**
   * the node's name is its folder's or the bundle's own (LocatedNode.nameNotHost), no host's: commands
   * write `<NODE>` for it (analyzers/lib/node-services.ts nodeForCommands)
   */
  nodeNameNotHost?: boolean;
  artifacts: ArtifactsOf<R, O>;
  /** run options the report was asked for (e.g. required ports) */
  options: AnalyzeOptionsForAnalyzers;
  /**
   * Says a part of the analysis could not be decided (a packet whose trace ended "unknown"): the
   * coverage then reads "ran in part: <what>", never a bare "ran" that a reader takes for all clear.
   * Only collected; absent when an analyzer is called on its own. `missing`: the artifact kinds the
   * part lacked (the report's "Collect next" asks for them); leave it out when no artifact would decide it.
   */
  partly?: Partly;
}

export interface ClusterInput<R extends readonly ArtifactKind[], O extends readonly ArtifactKind[]> {
  nodes: { node: string; nodeNameNotHost?: boolean; artifacts: ArtifactsOf<R, O> }[];
  options: AnalyzeOptionsForAnalyzers;
  /** as NodeInput.partly: a part of the comparison left undecided ("not run: ..." when nothing could be compared) */
  partly?: Partly;
}

export interface AnalyzeOptionsForAnalyzers {
  /** ports the installation needs (--require-port) */
  requiredPorts: number[];
}

interface AnalyzerBase<R extends readonly ArtifactKind[], O extends readonly ArtifactKind[]> {
  id: string;
  title: string;
  description: string;
  requires: R;
  /**
   * At least one of these optional kinds, else not run (Docker's NAT is in iptables or, with its
   * nftables back end, in an nft listing: either will do, neither means nothing to check).
   */
  requiresOneOf?: readonly O[number][];
  optional?: O;
  /**
   * Optional artifacts without which part of the analysis is skipped, and what that part is:
   * the coverage says "ran in part" (flannel's subnet check runs on subnet.env alone; its
   * interface checks need ip addr).
   */
  partialWithout?: Partial<Record<O[number], string>>;
}

export interface NodeAnalyzer<R extends readonly ArtifactKind[] = readonly ArtifactKind[], O extends readonly ArtifactKind[] = readonly ArtifactKind[]>
  extends AnalyzerBase<R, O> {
  scope: 'node';
  analyze(input: NodeInput<R, O>): FindingDraft[];
}

export interface ClusterAnalyzer<R extends readonly ArtifactKind[] = readonly ArtifactKind[], O extends readonly ArtifactKind[] = readonly ArtifactKind[]>
  extends AnalyzerBase<R, O> {
  scope: 'cluster';
  /** fewest nodes that must hold the required artifacts for the analysis to mean anything */
  minNodes?: number;
  analyze(input: ClusterInput<R, O>): FindingDraft[];
}

export type Analyzer = NodeAnalyzer<any, any> | ClusterAnalyzer<any, any>;

/** Typed helper: infers the artifact kinds so `analyze` sees exactly what it declared. */
export function defineAnalyzer<const R extends readonly ArtifactKind[], const O extends readonly ArtifactKind[] = []>(
  def: NodeAnalyzer<R, O> | ClusterAnalyzer<R, O>,
): Analyzer {
  return def as Analyzer;
}

export const ID_PATTERN = /^[a-z0-9]+\.[a-z0-9-]+$/;
