/** Runs one analyzer on artifacts built from real text, the way the engine would. */
import type { Analyzer, FindingDraft } from '../../src/engine/analyzer.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';

export function runNode(analyzer: Analyzer, artifacts: NodeArtifacts, node = 'node-1', requiredPorts: number[] = []): FindingDraft[] {
  if (analyzer.scope !== 'node') throw new Error(`${analyzer.id} is not a node analyzer`);
  for (const k of analyzer.requires) if (!artifacts[k]?.length) throw new Error(`${analyzer.id} needs ${k}`);
  return analyzer.analyze({ node, artifacts: artifacts as never, options: { requiredPorts } });
}

export function runCluster(analyzer: Analyzer, nodes: { node: string; artifacts: NodeArtifacts }[]): FindingDraft[] {
  if (analyzer.scope !== 'cluster') throw new Error(`${analyzer.id} is not a cluster analyzer`);
  return analyzer.analyze({ nodes: nodes as never, options: { requiredPorts: [] } });
}
