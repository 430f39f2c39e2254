/**
 * Runs analyzers: node analyzers once per node, cluster analyzers once per bundle. Missing
 * artifacts make an analyzer "not run" with the reason; a throwing analyzer becomes an error
 * entry and the run goes on (Lighthouse's runner, not each audit, owns those guards).
 */
import { Finding as FindingSchema, type AnalyzerRun, type Finding } from '../report/schema.js';
import type { AnalyzeOptionsForAnalyzers, Analyzer, FindingDraft } from './analyzer.js';
import { ARTIFACT_DESCRIPTIONS, type ArtifactKind, type NodeArtifacts } from './artifacts.js';
import type { LoadedNode } from './load.js';

export interface RunResult {
  findings: Finding[];
  perNode: Map<string, AnalyzerRun[]>;
  cluster: AnalyzerRun[];
}

export function runAnalyzers(analyzers: readonly Analyzer[], nodes: LoadedNode[], options: AnalyzeOptionsForAnalyzers): RunResult {
  const findings: Finding[] = [];
  const perNode = new Map<string, AnalyzerRun[]>(nodes.map((n) => [n.name, []]));
  const cluster: AnalyzerRun[] = [];

  for (const analyzer of analyzers) {
    if (analyzer.scope === 'node') {
      for (const node of nodes) {
        const runs = perNode.get(node.name)!;
        const why = notRunWhy(analyzer, node.artifacts);
        if (why) {
          runs.push({ id: analyzer.id, status: 'not-run', reason: why.reason, findings: 0, ...missingField(why.missing, why.anyOf) });
          continue;
        }
        const { undecided, lacked, partly } = undecidedParts();
        const result = safely(analyzer, () =>
          analyzer.analyze({ node: node.name, ...(node.located?.nameNotHost ? { nodeNameNotHost: true } : {}), artifacts: pick(node.artifacts, analyzer), options, partly }),
        );
        if ('error' in result) {
          runs.push({ id: analyzer.id, status: 'error', reason: result.error, findings: 0 });
          continue;
        }
        const made = finalize(analyzer, result.drafts, node.name, runs);
        findings.push(...made);
        if (!runs.some((r) => r.id === analyzer.id && r.status === 'error')) {
          // an analyzer whose every undecided part says "not run: ..." and that found nothing did not run: the
          // artifact it needs held no value it reads (a sysctl dump without net.ipv4.ip_forward, R12 case 05)
          const notRun = made.length === 0 && undecided.length > 0 && undecided.every((u) => u.startsWith('not run: ')) && !partsSkipped(analyzer, node.artifacts);
          const skipped = partsSkipped(analyzer, node.artifacts, undecided);
          runs.push(
            notRun
              ? { id: analyzer.id, status: 'not-run', reason: undecided.join('; '), findings: 0, ...missingField(lacked, false) }
              : skipped
                ? { id: analyzer.id, status: 'ran', reason: skipped.reason, findings: made.length, ...missingField([...skipped.missing, ...lacked.filter((k) => !skipped.missing.includes(k))], false) }
                : { id: analyzer.id, status: 'ran', findings: made.length },
          );
        }
      }
    } else {
      const eligible = nodes.filter((n) => notRunWhy(analyzer, n.artifacts) === undefined);
      const min = analyzer.minNodes ?? 1;
      if (eligible.length < min) {
        const missing = analyzer.requires.map((k: ArtifactKind) => k);
        // no node holds what it needs: say what that is, as for a node check (R7: "needs at least 1 nodes; the bundle has 0")
        const why: NotRunWhy | undefined =
          eligible.length > 0 ? undefined : missing.length > 0 ? { reason: notRunReason(missing), missing, anyOf: false } : nodes.length > 0 ? notRunWhy(analyzer, nodes[0].artifacts) : undefined;
        cluster.push(
          why
            ? { id: analyzer.id, status: 'not-run', reason: why.reason, findings: 0, ...missingField(why.missing, why.anyOf) }
            // too few nodes: no artifact would make it run
            : { id: analyzer.id, status: 'not-run', reason: tooFewNodesReason(min, missing, eligible.length), findings: 0, missing: [] },
        );
        continue;
      }
      const { undecided, lacked, partly } = undecidedParts();
      const result = safely(analyzer, () =>
        analyzer.analyze({ nodes: eligible.map((n) => ({ node: n.name, ...(n.located?.nameNotHost ? { nodeNameNotHost: true } : {}), artifacts: pick(n.artifacts, analyzer) })), options, partly }),
      );
      if ('error' in result) {
        cluster.push({ id: analyzer.id, status: 'error', reason: result.error, findings: 0 });
        continue;
      }
      const made = finalize(analyzer, result.drafts, undefined, cluster);
      findings.push(...made);
      if (!cluster.some((r) => r.id === analyzer.id && r.status === 'error')) {
        // as for a node check: every undecided part "not run: ..." and nothing found is a check that did not run
        const notRun = made.length === 0 && undecided.length > 0 && undecided.every((u) => u.startsWith('not run: '));
        cluster.push(
          notRun
            ? { id: analyzer.id, status: 'not-run', reason: undecided.join('; '), findings: 0, ...missingField(lacked, false) }
            : undecided.length > 0
              ? { id: analyzer.id, status: 'ran', reason: `ran in part: ${undecided.join('; ')}`, findings: made.length, ...missingField(lacked, false) }
              : { id: analyzer.id, status: 'ran', findings: made.length },
        );
      }
    }
  }
  return { findings, perNode, cluster };
}

/** What an analyzer run left undecided (up to four parts) and the artifact kinds it said those parts lacked, and the `partly` it says them with. */
function undecidedParts(): { undecided: string[]; lacked: ArtifactKind[]; partly: (what: string, missing?: readonly ArtifactKind[]) => void } {
  const undecided: string[] = [];
  const lacked: ArtifactKind[] = [];
  const partly = (what: string, missing?: readonly ArtifactKind[]) => {
    if (undecided.length < 4 && !undecided.includes(what)) undecided.push(what);
    for (const k of missing ?? []) if (!lacked.includes(k)) lacked.push(k);
  };
  return { undecided, lacked, partly };
}

function missingKinds(requires: readonly ArtifactKind[], artifacts: NodeArtifacts): ArtifactKind[] {
  return requires.filter((k) => !artifacts[k] || artifacts[k]!.length === 0);
}

interface NotRunWhy {
  reason: string;
  /** the kinds it lacked: all of them are needed, or (anyOf) any one would do */
  missing: ArtifactKind[];
  anyOf: boolean;
}

/** What the analyzer needs and the node lacks: its required kinds, and one of `requiresOneOf` when it has none. */
function notRunWhy(analyzer: Analyzer, artifacts: NodeArtifacts): NotRunWhy | undefined {
  const missing = missingKinds(analyzer.requires, artifacts);
  if (missing.length > 0) return { reason: notRunReason(missing), missing, anyOf: false };
  const anyOf = (analyzer.requiresOneOf ?? []) as ArtifactKind[];
  if (anyOf.length > 0 && missingKinds(anyOf, artifacts).length === anyOf.length)
    return { reason: `not run: neither ${anyOf.map((k) => ARTIFACT_DESCRIPTIONS[k]).join(' nor ')} in the bundle`, missing: anyOf, anyOf: true };
  return undefined;
}

/**
 * The run's `missing` (and `anyOf`) fields: the artifact kinds the engine knows a not-run or
 * ran-in-part check lacked, so the report's "Collect next" reads them instead of the reason's words.
 * Always written on such runs (empty when the reason names none it knows of).
 */
function missingField(missing: readonly ArtifactKind[], anyOf: boolean): Pick<AnalyzerRun, 'missing' | 'anyOf'> {
  return { missing: [...missing], ...(anyOf && missing.length > 1 ? { anyOf: true } : {}) };
}

/** A cluster analyzer that needs more nodes than the bundle has (with what it requires, if anything). */
function tooFewNodesReason(min: number, requires: ArtifactKind[], have: number): string {
  const what = requires.length > 0 ? ` with ${requires.map((k) => ARTIFACT_DESCRIPTIONS[k]).join('; ')}` : '';
  return `not run: needs at least ${min} nodes${what}; the bundle has ${have}`;
}

function notRunReason(missing: ArtifactKind[]): string {
  return `not run: ${missing.map((k) => ARTIFACT_DESCRIPTIONS[k]).join('; ')} not in the bundle`;
}

function pick(artifacts: NodeArtifacts, analyzer: Analyzer): any {
  const out: Partial<NodeArtifacts> = {};
  for (const k of [...analyzer.requires, ...(analyzer.optional ?? [])] as ArtifactKind[]) {
    if (artifacts[k] && artifacts[k]!.length > 0) (out as Record<string, unknown>)[k] = artifacts[k];
  }
  return out;
}

function safely(analyzer: Analyzer, fn: () => FindingDraft[]): { drafts: FindingDraft[] } | { error: string } {
  try {
    const drafts = fn();
    if (!Array.isArray(drafts)) return { error: `${analyzer.id} returned ${typeof drafts}, not a list of findings` };
    return { drafts };
  } catch (err) {
    return { error: `${analyzer.id} failed: ${(err as Error)?.message ?? String(err)}` };
  }
}

/** Adds node and analyzer id; drafts that break the schema become an error entry, not a crash. */
function finalize(analyzer: Analyzer, drafts: FindingDraft[], node: string | undefined, runs: AnalyzerRun[]): Finding[] {
  const out: Finding[] = [];
  for (const d of drafts) {
    const candidate = {
      ...d,
      id: d.id ?? analyzer.id,
      analyzer: analyzer.id,
      node: node ?? (d.nodes && d.nodes.length === 1 ? d.nodes[0] : undefined),
      nodes: node ? undefined : d.nodes,
      evidence: d.evidence.map((e) => ({ ...e, node: e.node ?? node })),
    };
    const parsed = FindingSchema.safeParse(candidate);
    if (parsed.success) out.push(parsed.data);
    else
      runs.push({
        id: analyzer.id,
        status: 'error',
        reason: `${analyzer.id} produced an invalid finding: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
        findings: 0,
      });
  }
  return out;
}

/** "ran in part: ..." when optional artifacts a part of the analysis needs are missing (and which kinds those are) */
function partsSkipped(analyzer: Analyzer, artifacts: LoadedNode['artifacts'], undecided: string[] = []): { reason: string; missing: ArtifactKind[] } | undefined {
  const parts = Object.entries((analyzer.partialWithout ?? {}) as Record<string, string>).filter(
    ([kind]) => missingKinds([kind as ArtifactKind], artifacts).length > 0,
  );
  const all = [...parts.map(([, what]) => what), ...undecided];
  return all.length ? { reason: `ran in part: ${all.join('; ')}`, missing: parts.map(([kind]) => kind as ArtifactKind) } : undefined;
}
