/** What the report's coverage says about the checks, for the index and the renderers alike. */
import type { Coverage } from './schema.js';

/** Analyzer runs, per node and cluster-wide, that ran (0: nothing in the bundle could be checked). */
export function checksRan(coverage: Coverage): number {
  return [...coverage.nodes.flatMap((n) => n.analyzers), ...coverage.cluster].filter((a) => a.status === 'ran').length;
}
