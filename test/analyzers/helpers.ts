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

/** `systemctl list-units` of a k3s server node (k3s.service active) */
export const K3S_UNITS = [
  '  UNIT                               LOAD   ACTIVE SUB     DESCRIPTION',
  '  cron.service                       loaded active running Regular background program processing daemon',
  '  k3s.service                        loaded active running Lightweight Kubernetes',
  '  ssh.service                        loaded active running OpenBSD Secure Shell server',
  '',
  '3 loaded units listed.',
].join('\n');
