/**
 * The whole flow for one bundle: open -> locate -> parse -> analyze -> correlate -> report.
 * Each stage only knows the one before it.
 *
 * This module holds only what reading needs; the later stages live in report-bundle.ts and are
 * imported when a bundle starts streaming, so that loading them (the analyzers, parsers and
 * zod schemas: ~150 ms of a run on 2 vCPUs) overlaps the read instead of preceding it.
 */
import { readBundle, type ReadLimits } from '../bundle/read.js';
import { BundleError, explainReadError } from '../bundle/errors.js';
import type { BundleTree } from '../bundle/tree.js';
import type { locate } from '../layouts/locate.js';
import { isGenericLogName, logSourceOf } from '../layouts/logs.js';
import { isWantedPath } from '../layouts/wanted.js';
import type { BundleReport, Report } from '../report/schema.js';
import { VERSION } from '../version.js';
import type { Analyzer } from './analyzer.js';
import type { LoadedNode } from './load.js';
import { logStreamConsumer, maybeLogConsumer, soleFileConsumer } from './logs.js';

export interface AnalyzeOptions {
  analyzers?: readonly Analyzer[];
  /** a folder of external analyzer modules, run after the built-in ones */
  analyzersDir?: string;
  /** ports the installation needs; analyzers check they are open */
  requiredPorts?: number[];
  limits?: Partial<ReadLimits>;
  signal?: AbortSignal;
}

/** Small files are kept whatever their name (hand-made bundles are sniffed); bigger ones only when a layout names them. */
const KEEP_ANY_BELOW = 1024 * 1024;
/** Folders of the tool-made layouts, where no hand-made log lives. */
const TOOL_FOLDERS = /(^|\/)(sos_commands|insights_commands|proc|sys)\//;

/** Reads, locates and parses a bundle: its nodes with their artifacts (what analyzers and the tracer read). */
export interface LoadedBundle {
  tree: BundleTree;
  located: ReturnType<typeof locate>;
  nodes: LoadedNode[];
  /** milliseconds spent reading the archive and parsing its artifacts */
  timing: { readMs: number; parseMs: number };
}

type Stages = typeof import('./report-bundle.js');
let stages: Promise<Stages> | undefined;
/** The later stages, imported once; started before reading so that they load while it streams. */
function laterStages(): Promise<Stages> {
  return (stages ??= import('./report-bundle.js'));
}

export async function loadBundle(input: string, options: Pick<AnalyzeOptions, 'limits' | 'signal'> = {}): Promise<LoadedBundle> {
  const t0 = performance.now();
  const later = laterStages();
  // a failed read is reported as such, not as an unhandled rejection of the import it did not wait for
  later.catch(() => {});
  let tree: BundleTree;
  try {
    tree = await readBundle(input, {
      limits: options.limits,
      signal: options.signal,
      keep: (info) => info.size <= KEEP_ANY_BELOW || isWantedPath(info.path),
      streamTo: (info) => {
        if (logSourceOf(info.path)) {
          // `iptables.log` of a hand-made bundle: kept when small, for the layout to sniff (a log is scanned from the kept text)
          if (isGenericLogName(info.path) && !info.gzipped && info.size <= KEEP_ANY_BELOW && !TOOL_FOLDERS.test(info.path)) return undefined;
          return logStreamConsumer;
        }
        if (isWantedPath(info.path)) return undefined;
        // A file given on its own (messages.gz, a saved journal, a dump under any name)
        if (info.sole) return soleFileConsumer;
        // Too big to keep (or gzipped, which no sniffer reads) and named like nothing: perhaps a
        // log of a hand-made bundle. Not inside a sosreport's or insights archive's command and
        // /proc folders, whose big outputs (lsof, ps, rpm) only that layout's rules name.
        if (TOOL_FOLDERS.test(info.path)) return undefined;
        return info.size > KEEP_ANY_BELOW || info.gzipped ? maybeLogConsumer : undefined;
      },
    });
  } catch (err) {
    throw explainReadError(err, input);
  }
  const t1 = performance.now();
  // on a small bundle the later stages may still be loading: that wait is neither reading nor parsing
  const { parseTree } = await later;
  const t2 = performance.now();
  const { located, nodes } = parseTree(tree, input);
  return { tree, located, nodes, timing: { readMs: t1 - t0, parseMs: performance.now() - t2 } };
}

export async function analyzeBundle(input: string, options: AnalyzeOptions = {}): Promise<BundleReport> {
  const t0 = performance.now();
  const loaded = await loadBundle(input, options);
  return (await laterStages()).reportBundle(input, loaded, options, t0);
}

/**
 * Analyzes several inputs, expanded as the command line expands them (src/batch/inputs.ts): a glob
 * pattern gives the files it matches, a folder of attachments one bundle per archive, an extracted
 * bundle's folder one bundle (`asBundle` / `asBatch` decide instead of the guess, like --as-bundle /
 * --as-batch). Each bundle is analyzed on its own, one after another in this process (no batch
 * pool, no time limit). An input that cannot be read, a pattern that matches nothing or a batch
 * folder without archives is listed in `failures`; the others still complete.
 */
export async function analyze(inputs: string | string[], options: AnalyzeOptions & import('../batch/inputs.js').InputOptions = {}): Promise<Report> {
  const { expandInputs, dirModeOf } = await import('../batch/inputs.js');
  const mode = dirModeOf(options);
  // A malformed external analyzer stops the run before any bundle: it is the caller's mistake, not the bundle's.
  if (options.analyzersDir) await (await laterStages()).analyzerSet(options);
  const report: Report = { tool: { name: 'bundle-doctor', version: VERSION }, generatedAt: new Date().toISOString(), bundles: [], failures: [] };
  const expanded = await expandInputs(Array.isArray(inputs) ? inputs : [inputs], mode);
  for (const m of expanded.missing) report.failures.push({ source: m.source, error: m.error, code: m.code });
  for (const input of expanded.bundles) {
    try {
      report.bundles.push(await analyzeBundle(input, options));
    } catch (err) {
      const e = err instanceof BundleError ? err : explainReadError(err, input);
      report.failures.push({ source: input, error: e.message, code: e.code });
    }
  }
  return report;
}

