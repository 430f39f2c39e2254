/**
 * Everything after the archive is read: locate the nodes, parse their artifacts, run the
 * analyzers, correlate, build and validate the report. Loaded on its own (see analyze.ts): its
 * imports (the analyzers, parsers, zod schemas) are most of the tool's start-up, and loading them
 * while the bundle streams puts that work where the main thread waits for gunzip anyway.
 */
import { basename } from 'node:path';
import { BUILTIN_ANALYZERS } from '../../analyzers/index.js';
import type { BundleTree } from '../bundle/tree.js';
import { locate } from '../layouts/locate.js';
import { BundleReport as BundleReportSchema, SEVERITY_ORDER, type BundleReport, type Finding, type NodeDocker, type TimelineEvent } from '../report/schema.js';
import { summarize, type Ruleset } from '../netfilter/rules.js';
import { dockerEngine } from '../parsers/docker-info.js';
import { latestDaemonVersionLine } from '../logs/signatures-docker-version.js';
import type { NodeArtifacts } from './artifacts.js';
import type { Analyzer } from './analyzer.js';
import type { AnalyzeOptions, LoadedBundle } from './analyze.js';
import { correlate } from './correlate.js';
import { externalAnalyzersOnce } from './external.js';
import { factMarks, nodeFacts } from './facts.js';
import { loadNodes, type LoadedNode } from './load.js';
import { attachLogs } from './logs.js';
import { runAnalyzers } from './run.js';
import { quoteEvidence } from './quote.js';

/** Locates the nodes of a read bundle and parses their artifacts. */
export function parseTree(tree: BundleTree, input: string): Pick<LoadedBundle, 'located' | 'nodes'> {
  const located = locate(tree, bundleName(input));
  const nodes = loadNodes(tree, located);
  attachLogs(tree, located, nodes);
  return { located, nodes };
}

/** Analyzes a loaded bundle into its validated report; `t0` is when reading it began. */
export async function reportBundle(input: string, loaded: LoadedBundle, options: AnalyzeOptions, t0: number): Promise<BundleReport> {
  const { tree, located, nodes, timing } = loaded;
  const t2 = performance.now();
  const analyzers = await analyzerSet(options);
  const run = runAnalyzers(analyzers, nodes, { requiredPorts: options.requiredPorts ?? [] });
  const findings = sortFindings(correlate(run.findings));
  quoteEvidence(findings, tree);
  const timeline = buildTimeline(findings);
  const t3 = performance.now();

  const facts = nodes.map((n) => ({ ...nodeFacts(n.artifacts), ...dockerFacts(nodeDocker(n.artifacts), n.artifacts) }));
  const marks = factMarks(facts);
  const report: BundleReport = {
    source: input,
    layout: located.layout,
    nodes: nodes.map((n, i) => {
      const docker = nodeDocker(n.artifacts);
      return {
        name: n.name,
        nameFrom: n.located.nameFrom,
        layout: n.located.layout,
        root: n.located.root,
        facts: facts[i],
        ...(Object.keys(marks[i]).length > 0 ? { marks: marks[i] } : {}),
        iptables: (n.artifacts.iptables ?? []).map(rulesetSummary),
        ...(docker ? { docker } : {}),
      };
    }),
    findings,
    timeline,
    coverage: {
      nodes: nodes.map((n) => nodeCoverage(n, run.perNode.get(n.name) ?? [])),
      cluster: run.cluster,
      notes: [...tree.notes, ...located.notes, ...(tree.omittedNotes > 0 ? [`${tree.omittedNotes} more reading notes omitted`] : [])],
      filesSeen: tree.entries.size,
      bytesRead: tree.bytesRead,
    },
    summary: {
      critical: findings.filter((f) => f.severity === 'critical').length,
      warning: findings.filter((f) => f.severity === 'warning').length,
      info: findings.filter((f) => f.severity === 'info').length,
    },
    timing: { readMs: round(timing.readMs), parseMs: round(timing.parseMs), analyzeMs: round(t3 - t2), totalMs: round(performance.now() - t0) },
  };
  return BundleReportSchema.parse(report);
}

export async function analyzerSet(options: AnalyzeOptions): Promise<readonly Analyzer[]> {
  const base = options.analyzers ?? BUILTIN_ANALYZERS;
  if (!options.analyzersDir) return base;
  return [...base, ...(await externalAnalyzersOnce(options.analyzersDir, new Set(base.map((a) => a.id))))];
}

export function sortFindings(findings: Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
      (a.node ?? '').localeCompare(b.node ?? '') ||
      // the finding that names the root cause of others leads them
      Number(!isRootCause(a)) - Number(!isRootCause(b)) ||
      a.id.localeCompare(b.id),
  );
}

function isRootCause(f: Finding): boolean {
  return typeof (f.facts as Record<string, unknown> | undefined)?.rootCause === 'string';
}

/** docker info's warnings shown per node (a daemon without cgroup support has a dozen) */
const DOCKER_WARNINGS_SHOWN = 30;

/** The node's Docker daemon as its `docker info` / `docker version` outputs report it; undefined without them. */
export function nodeDocker(artifacts: NodeArtifacts): NodeDocker | undefined {
  const e = dockerEngine(artifacts.dockerDaemon);
  if (!e) return undefined;
  return {
    ...(e.serverVersion ? { version: e.serverVersion.value } : {}),
    ...(e.swarm ? { swarm: e.swarm.value } : {}),
    ...(e.rootless ? { rootless: e.rootless.value } : {}),
    ...(e.firewallBackend ? { firewallBackend: e.firewallBackend.value } : {}),
    ...(e.daemonError ? { error: e.daemonError.value } : {}),
    ...(e.warnings.length > 0 ? { warnings: e.warnings.slice(0, DOCKER_WARNINGS_SHOWN).map((w) => ({ file: w.ref.file, line: w.ref.line, excerpt: w.text })) } : {}),
    file: e.serverVersion?.ref.file ?? e.files[0],
  };
}

/**
 * The daemon's version, Swarm state and firewall back end as facts of the side-by-side view (null
 * where unknown, as nodeFacts's are): which node runs another Docker, or left the Swarm, shows there. The version
 * falls back to dockerd's own logged start line.
 */
function dockerFacts(docker: NodeDocker | undefined, artifacts: NodeArtifacts): Record<string, string | null> {
  // without docker info / docker version, the version dockerd's latest start logged (a sosreport's messages)
  const version = docker?.version ?? latestDaemonVersionLine(artifacts.logs)?.facts.version ?? null;
  return { 'docker version': version, 'docker swarm': docker?.swarm ?? null, 'docker firewall backend': docker?.firewallBackend ?? null };
}

const CUSTOM_CHAINS_SHOWN = 40;

/** The compact view of a rule set: built-in chains, custom chains when few, and totals per owning component. */
function rulesetSummary(rs: Ruleset): NonNullable<BundleReport['nodes'][number]['iptables']>[number] {
  const all = summarize(rs);
  const custom = all.filter((c) => c.owner !== 'system');
  const owners: Record<string, { chains: number; rules: number }> = {};
  for (const c of all) {
    const o = (owners[c.owner] ??= { chains: 0, rules: 0 });
    o.chains++;
    o.rules += c.rules;
  }
  return {
    file: rs.file,
    family: rs.family,
    backend: rs.backend,
    version: rs.version,
    format: rs.format,
    origin: rs.origin,
    chains: custom.length <= CUSTOM_CHAINS_SHOWN ? all : all.filter((c) => c.owner === 'system'),
    owners,
    rules: all.reduce((n, c) => n + c.rules, 0),
  };
}

const TIMELINE_MAX = 300;

/** Every timed piece of evidence, across logs and nodes, in time order, linked to its finding. */
export function buildTimeline(findings: Finding[]): TimelineEvent[] {
  const seen = new Set<string>();
  const events: TimelineEvent[] = [];
  for (const f of findings)
    for (const e of f.evidence) {
      if (!e.time) continue;
      const key = `${e.file}:${e.line}`;
      if (seen.has(key)) continue;
      seen.add(key);
      events.push({ time: e.time, ...(e.yearInferred ? { yearInferred: true } : {}), node: e.node ?? f.node, file: e.file, line: e.line, excerpt: e.excerpt, finding: f.id, severity: f.severity });
    }
  return events.sort((a, b) => a.time.localeCompare(b.time) || a.file.localeCompare(b.file) || a.line - b.line).slice(0, TIMELINE_MAX);
}

function nodeCoverage(n: LoadedNode, analyzers: BundleReport['coverage']['nodes'][number]['analyzers']) {
  return {
    node: n.name,
    artifacts: Object.fromEntries(Object.entries(n.sources).map(([k, files]) => [k, [...new Set(files)]])),
    logs: (n.artifacts.logs ?? []).map((l) => ({ file: l.file, lines: l.lines, bytes: l.bytes, truncatedLines: l.truncatedLines || undefined })),
    analyzers,
    parseProblems: n.problems,
  };
}

function bundleName(input: string): string {
  return basename(input.replace(/\/+$/, '')).replace(/\.(tar\.gz|tgz|tar\.xz|txz|tar|zip)$/i, '') || 'bundle';
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
