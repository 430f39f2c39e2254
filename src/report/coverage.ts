/** What the report's coverage says about the checks, for the index and the renderers alike. */
import type { AnalyzerRun, Coverage } from './schema.js';

/** Analyzer runs, per node and cluster-wide, that ran (0: nothing in the bundle could be checked). */
export function checksRan(coverage: Coverage): number {
  return [...coverage.nodes.flatMap((n) => n.analyzers), ...coverage.cluster].filter((a) => a.status === 'ran').length;
}

/**
 * How an analyzer run is shown: `ran-in-part` when it ran but said what it could not check or why it
 * stayed silent (its reason, "ran in part: ..."), so a renderer need not show such a run as a plain ✅.
 */
export function runStatus(run: AnalyzerRun): 'ran' | 'ran-in-part' | 'not-run' | 'error' {
  return run.status === 'ran' && run.reason ? 'ran-in-part' : run.status;
}
