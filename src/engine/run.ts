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
          runs.push({ id: analyzer.id, status: 'not-run', reason: why, findings: 0 });
          continue;
        }
        const undecided: string[] = [];
        const partly = (what: string) => {
          if (undecided.length < 4 && !undecided.includes(what)) undecided.push(what);
        };
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
              ? { id: analyzer.id, status: 'not-run', reason: undecided.join('; '), findings: 0 }
              : skipped
                ? { id: analyzer.id, status: 'ran', reason: skipped, findings: made.length }
                : { id: analyzer.id, status: 'ran', findings: made.length },
          );
        }
      }
    } else {
      const eligible = nodes.filter((n) => notRunWhy(analyzer, n.artifacts) === undefined);
      const min = analyzer.minNodes ?? 1;
      if (eligible.length < min) {
        const missing = analyzer.requires.map((k: ArtifactKind) => k);
        cluster.push({
          id: analyzer.id,
          status: 'not-run',
          // no node holds what it needs: say what that is, as for a node check (R7: "needs at least 1 nodes; the bundle has 0")
          reason: eligible.length === 0 ? (missing.length > 0 ? notRunReason(missing) : (nodes.length > 0 ? notRunWhy(analyzer, nodes[0].artifacts) : undefined) ?? tooFewNodesReason(min, missing, 0)) : tooFewNodesReason(min, missing, eligible.length),
          findings: 0,
        });
        continue;
      }
      const result = safely(analyzer, () =>
        analyzer.analyze({ nodes: eligible.map((n) => ({ node: n.name, ...(n.located?.nameNotHost ? { nodeNameNotHost: true } : {}), artifacts: pick(n.artifacts, analyzer) })), options }),
      );
      if ('error' in result) {
        cluster.push({ id: analyzer.id, status: 'error', reason: result.error, findings: 0 });
        continue;
      }
      const made = finalize(analyzer, result.drafts, undefined, cluster);
      findings.push(...made);
      if (!cluster.some((r) => r.id === analyzer.id && r.status === 'error'))
        cluster.push({ id: analyzer.id, status: 'ran', findings: made.length });
    }
  }
  return { findings, perNode, cluster };
}

function missingKinds(requires: readonly ArtifactKind[], artifacts: NodeArtifacts): ArtifactKind[] {
  return requires.filter((k) => !artifacts[k] || artifacts[k]!.length === 0);
}

/** What the analyzer needs and the node lacks: its required kinds, and one of `requiresOneOf` when it has none. */
function notRunWhy(analyzer: Analyzer, artifacts: NodeArtifacts): string | undefined {
  const missing = missingKinds(analyzer.requires, artifacts);
  if (missing.length > 0) return notRunReason(missing);
  const anyOf = (analyzer.requiresOneOf ?? []) as ArtifactKind[];
  if (anyOf.length > 0 && missingKinds(anyOf, artifacts).length === anyOf.length)
    return `not run: neither ${anyOf.map((k) => ARTIFACT_DESCRIPTIONS[k]).join(' nor ')} in the bundle`;
  return undefined;
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

/** "ran in part: ..." when optional artifacts a part of the analysis needs are missing */
function partsSkipped(analyzer: Analyzer, artifacts: LoadedNode['artifacts'], undecided: string[] = []): string | undefined {
  const parts = Object.entries((analyzer.partialWithout ?? {}) as Record<string, string>).filter(
    ([kind]) => missingKinds([kind as ArtifactKind], artifacts).length > 0,
  );
  const all = [...parts.map(([, what]) => what), ...undecided];
  return all.length ? `ran in part: ${all.join('; ')}` : undefined;
}
