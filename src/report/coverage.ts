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

/**
 * Why no check ran: nothing in the bundle was read, or what was read (routes alone, say) feeds no check
 * without the files it is compared with. Never "no file is one bundle-doctor reads" beside a file it read.
 */
export function nothingCheckedReason(coverage: Coverage): string {
  const read = [...new Set(coverage.nodes.flatMap((n) => Object.entries(n.artifacts).filter(([, files]) => files.length > 0).map(([kind]) => kind)))];
  if (read.length === 0) return 'no file in the bundle is one bundle-doctor reads.';
  return `what was read (${read.join(', ')}) is not enough for any check on its own: each needs the files it compares it with.`;
}
