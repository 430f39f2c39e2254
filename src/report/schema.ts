/**
 * The report: the one object renderers see and the published JSON format. This zod schema is
 * the source of truth; the TypeScript types are inferred from it.
 */
import { z } from 'zod';
import { SEVERITIES, SEVERITY_ORDER } from './severity.js';

export { SEVERITY_ORDER };
export const Severity = z.enum(SEVERITIES);
export type Severity = z.infer<typeof Severity>;

export const Evidence = z.object({
  /** path inside the bundle */
  file: z.string(),
  /** 1-based; 0 when the evidence is the file as a whole (e.g. something absent from it) */
  line: z.number().int().nonnegative(),
  /** the line (or a capped excerpt), or a sentence saying what was looked for and not found */
  excerpt: z.string(),
  node: z.string().optional(),
  /** what this piece of evidence shows */
  note: z.string().optional(),
  /** when the evidence is a log line with a time */
  time: z.string().optional(),
  /** the line gave no year (klog, syslog): the time's year was inferred from the log's dated lines or the collection */
  yearInferred: z.boolean().optional(),
});
export type Evidence = z.infer<typeof Evidence>;

export const Remedy = z.object({
  /** what to do, in one or two sentences */
  summary: z.string(),
  /** commands to run, in order */
  commands: z.array(z.string()),
  /** side effects of the fix (restarts, lost traffic) */
  caution: z.string().optional(),
  /**
   * for the support engineer, not the customer: a bundle-doctor command (such as `bundle-doctor trace`)
   * that looks further into the bundle; never among the commands a customer runs
   */
  supportNote: z.string().optional(),
});
export type Remedy = z.infer<typeof Remedy>;

export const Finding = z.object({
  id: z.string().regex(/^[a-z0-9]+\.[a-z0-9-]+$/),
  severity: Severity,
  title: z.string(),
  message: z.string(),
  node: z.string().optional(),
  nodes: z.array(z.string()).optional(),
  evidence: z.array(Evidence),
  remedy: Remedy,
  /** the analyzer that produced it */
  analyzer: z.string(),
  /** why it matters */
  impact: z.string().optional(),
  /** structured facts for scripts (subnets, ports, chains) */
  facts: z.record(z.string(), z.unknown()).optional(),
  /** ids of other findings this one explains or absorbed (correlation) */
  related: z.array(z.string()).optional(),
  /** when the problem shows in the logs: first and last time */
  firstSeen: z.string().optional(),
  lastSeen: z.string().optional(),
  /** firstSeen or lastSeen has a year inferred (the log lines gave none) */
  seenYearInferred: z.boolean().optional(),
});
export type Finding = z.infer<typeof Finding>;

export const AnalyzerRun = z.object({
  id: z.string(),
  status: z.enum(['ran', 'not-run', 'error']),
  /** not-run: which artifacts were missing; error: the error message; ran: what part was skipped ("ran in part: ...") */
  reason: z.string().optional(),
  findings: z.number().int().nonnegative(),
  /**
   * not-run / ran in part: the artifact kinds (engine names: "iptables", "ipAddr", ...) it lacked, all
   * needed unless `anyOf`; empty when no artifact would make it run. Absent on reports older than the field.
   */
  missing: z.array(z.string()).optional(),
  /** any one of `missing` would do ("neither A nor B in the bundle") */
  anyOf: z.literal(true).optional(),
});
export type AnalyzerRun = z.infer<typeof AnalyzerRun>;

export const ParseProblem = z.object({
  file: z.string(),
  line: z.number().int().optional(),
  message: z.string(),
  kind: z.enum(['error', 'warning']),
});

export const NodeCoverage = z.object({
  node: z.string(),
  /** artifact kind -> files it was read from */
  artifacts: z.record(z.string(), z.array(z.string())),
  logs: z.array(z.object({ file: z.string(), lines: z.number(), bytes: z.number(), truncatedLines: z.number().optional() })),
  analyzers: z.array(AnalyzerRun),
  parseProblems: z.array(ParseProblem),
});
export type NodeCoverage = z.infer<typeof NodeCoverage>;

export const Coverage = z.object({
  nodes: z.array(NodeCoverage),
  /** cluster-scope analyzers */
  cluster: z.array(AnalyzerRun),
  /** reading notes: links ignored, limits hit, hostile names */
  notes: z.array(z.string()),
  filesSeen: z.number().int().nonnegative(),
  bytesRead: z.number().nonnegative(),
});
export type Coverage = z.infer<typeof Coverage>;

export const ChainSummary = z.object({
  table: z.string(),
  chain: z.string(),
  policy: z.string().optional(),
  rules: z.number().int().nonnegative(),
  owner: z.string(),
});

export const RulesetSummary = z.object({
  file: z.string(),
  family: z.string(),
  backend: z.string(),
  version: z.string().optional(),
  format: z.string(),
  origin: z.string(),
  /** built-in chains, and custom chains when there are few; large rule sets are summed up per owner */
  chains: z.array(ChainSummary),
  /** owner -> chains and rules it holds */
  owners: z.record(z.string(), z.object({ chains: z.number(), rules: z.number() })),
  rules: z.number().int().nonnegative(),
});

/** What the node's `docker info` / `docker version` say of its Docker daemon, where the bundle has them. */
export const NodeDocker = z.object({
  /** the Engine version the daemon reports: docker info's `Server Version:`, else docker version's */
  version: z.string().optional(),
  /** docker info's `Swarm:` active, inactive, pending, error or locked */
  swarm: z.string().optional(),
  /** rootless Docker: `rootless` among docker info's security options */
  rootless: z.boolean().optional(),
  /** docker info's `Firewall Backend:` (Docker 28.2+): iptables, nftables, iptables+firewalld, nftables+firewalld */
  firewallBackend: z.string().optional(),
  /** the CLI could not reach the daemon (`Cannot connect to the Docker daemon ...`) */
  error: z.string().optional(),
  /** docker info's own warnings (`WARNING: IPv4 forwarding is disabled`), each where it stands */
  warnings: z.array(z.object({ file: z.string(), line: z.number().int().nonnegative(), excerpt: z.string() })).optional(),
  /** the file the values were read from: docker info's, else docker version's */
  file: z.string(),
});
export type NodeDocker = z.infer<typeof NodeDocker>;

export const NodeInfo = z.object({
  name: z.string(),
  /** how the name was found */
  nameFrom: z.string(),
  layout: z.string(),
  /** folder of the node inside the bundle */
  root: z.string(),
  /** side-by-side facts for the cluster view: label -> value */
  facts: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  /**
   * facts the side-by-side view marks on this node: `differs` (a setting in the minority where nodes
   * should agree), `duplicated` (a per-node-unique value, a flannel subnet or cni0 address, that
   * another node holds too). Absent when nothing is marked.
   */
  marks: z.record(z.string(), z.enum(['differs', 'duplicated'])).optional(),
  /** compact view of each iptables dump: chains with policy, rule count and owning component */
  iptables: z.array(RulesetSummary).optional(),
  /** the Docker daemon as docker info / docker version report it (absent without them) */
  docker: NodeDocker.optional(),
});
export type NodeInfo = z.infer<typeof NodeInfo>;

export const TimelineEvent = z.object({
  time: z.string(),
  /** the log line gave no year: inferred */
  yearInferred: z.boolean().optional(),
  node: z.string().optional(),
  file: z.string(),
  line: z.number().int().nonnegative(),
  excerpt: z.string(),
  /** the finding this event is evidence of */
  finding: z.string(),
  severity: Severity,
});
export type TimelineEvent = z.infer<typeof TimelineEvent>;

export const BundleReport = z.object({
  source: z.string(),
  /** eks: the EKS log collector's archive; mixed: nodes of several layouts */
  layout: z.enum(['sosreport', 'troubleshoot', 'insights', 'eks', 'rancher', 'flat', 'mixed']),
  nodes: z.array(NodeInfo),
  findings: z.array(Finding),
  /** events of the logs across nodes, in time order, each linked to its finding */
  timeline: z.array(TimelineEvent).optional(),
  coverage: Coverage,
  summary: z.object({ critical: z.number(), warning: z.number(), info: z.number() }),
  timing: z.object({ readMs: z.number(), parseMs: z.number(), analyzeMs: z.number(), totalMs: z.number() }),
});
export type BundleReport = z.infer<typeof BundleReport>;

export const Failure = z.object({ source: z.string(), error: z.string(), code: z.string() });
export type Failure = z.infer<typeof Failure>;

export const Report = z.object({
  tool: z.object({ name: z.literal('bundle-doctor'), version: z.string() }),
  generatedAt: z.string(),
  bundles: z.array(BundleReport),
  /** inputs that could not be analyzed */
  failures: z.array(Failure),
  /** present when the report was redacted for sharing: what was replaced, and how many values */
  redaction: z
    .object({
      applied: z.array(z.string()),
      secrets: z.number(),
      ips: z.number().optional(),
      hostnames: z.number().optional(),
      secretKinds: z.record(z.string(), z.number()),
    })
    .optional(),
});
export type Report = z.infer<typeof Report>;

/** One bundle of a batch, as the index lists it. */
export const IndexEntry = z.object({
  source: z.string(),
  /** format -> report file, relative to the index */
  reports: z.record(z.string(), z.string()),
  layout: z.string().optional(),
  nodes: z.number().int().nonnegative(),
  summary: z.object({ critical: z.number(), warning: z.number(), info: z.number() }),
  /** the most severe finding: what a reader should look at first */
  top: z.object({ id: z.string(), severity: Severity, title: z.string(), node: z.string().optional() }).optional(),
  findingIds: z.array(z.string()),
  /** analyzer runs that ran; 0 means nothing in the bundle could be checked (absent in indexes of older versions) */
  checked: z.number().int().nonnegative().optional(),
  /** the severity of each of findingIds, in the same order (its most severe in this bundle) */
  severities: z.array(Severity).optional(),
  /** analyzer runs in all (node and cluster checks) and how many did not run */
  runs: z.number().int().nonnegative().optional(),
  notRun: z.number().int().nonnegative().optional(),
  /**
   * the core checks ran on every node: runtime kernel parameters (ip_forward), the filter and nat tables
   * (or nftables rules) and ip addr. Only then does a bundle without findings show as "healthy".
   */
  core: z.boolean().optional(),
  /** what the bundle lacked most: the core artifacts missing, then what most checks needed */
  missing: z.array(z.string()).optional(),
  error: z.string().optional(),
  code: z.string().optional(),
  ms: z.number(),
});
export type IndexEntry = z.infer<typeof IndexEntry>;

/** index.json of a batch run: every bundle, and totals across the batch. */
export const BatchIndex = z.object({
  tool: z.object({ name: z.literal('bundle-doctor'), version: z.string() }),
  generatedAt: z.string(),
  /** shards merged into this index (bundle-doctor merge) */
  shards: z.array(z.string()).optional(),
  totals: z.object({
    bundles: z.number(),
    analyzed: z.number(),
    failed: z.number(),
    critical: z.number(),
    warning: z.number(),
    info: z.number(),
    /** finding id -> how many bundles have it */
    byFinding: z.record(
      z.string(),
      z.object({
        severity: Severity,
        title: z.string(),
        bundles: z.number(),
        /** bundles by the severity the finding has in each (a finding can be critical in one, a warning in another) */
        bySeverity: z.object({ critical: z.number().optional(), warning: z.number().optional(), info: z.number().optional() }).optional(),
      }),
    ),
  }),
  bundles: z.array(IndexEntry),
});
export type BatchIndex = z.infer<typeof BatchIndex>;
