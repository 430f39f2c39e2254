/** The library: `import { analyze } from 'bundle-doctor'` returns the report object. */
export { analyze, analyzeBundle, type AnalyzeOptions } from './engine/analyze.js';
/** analyze()'s asBundle / asBatch: how a folder argument is taken (the CLI's --as-bundle / --as-batch). */
export type { InputOptions } from './batch/inputs.js';
export { defineAnalyzer, type Analyzer, type FindingDraft, type NodeAnalyzer, type ClusterAnalyzer } from './engine/analyzer.js';
export type { ArtifactKind, ArtifactMap, NodeArtifacts } from './engine/artifacts.js';
export { render, type OutputFormat } from './report/render.js';
export * as schema from './report/schema.js';
export type { Report, BundleReport, Finding, Evidence, Remedy, Severity } from './report/schema.js';
export { BundleError } from './bundle/errors.js';
export { BUILTIN_ANALYZERS } from '../analyzers/index.js';

/** Helpers for analyzers written outside this repository. */
export { runtimeValue, effectiveConfig } from './parsers/sysctl.js';
import { runtimeValue } from './parsers/sysctl.js';
import type { SysctlRuntime, SysctlValue } from './parsers/sysctl.js';
/** The first runtime value of a sysctl key across the node's sources, with its file and line. */
export function sysctlValue(sources: SysctlRuntime[], key: string): SysctlValue | undefined {
  return runtimeValue(sources, key)[0];
}
export { loadExternalAnalyzers } from './engine/external.js';
