/**
 * Analyzers teams add without forking: modules in a folder, each exporting (default, or an
 * `analyzers` array) objects written against `defineAnalyzer`. Each is validated on load; a
 * malformed one is refused with a message naming the file and the field.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { ARTIFACT_DESCRIPTIONS, type ArtifactKind } from './artifacts.js';
import { ID_PATTERN, type Analyzer } from './analyzer.js';

const kinds = Object.keys(ARTIFACT_DESCRIPTIONS) as [ArtifactKind, ...ArtifactKind[]];

const AnalyzerShape = z.object({
  id: z.string().regex(ID_PATTERN, 'must look like area.noun-phrase (lowercase, one dot)'),
  title: z.string().min(1),
  description: z.string().min(1),
  scope: z.enum(['node', 'cluster']),
  requires: z.array(z.enum(kinds)),
  optional: z.array(z.enum(kinds)).optional(),
  partialWithout: z.partialRecord(z.enum(kinds), z.string().min(1)).optional(),
  requiresOneOf: z.array(z.enum(kinds)).min(1).optional(),
  minNodes: z.number().int().positive().optional(),
  analyze: z.custom<(...args: unknown[]) => unknown>((v) => typeof v === 'function', 'must be a function'),
});

export class AnalyzerLoadError extends Error {}

export async function loadExternalAnalyzers(dir: string, builtinIds: Set<string> = new Set()): Promise<Analyzer[]> {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a folder');
    names = readdirSync(dir).filter((n) => /\.(m?js|cjs)$/.test(n)).sort();
  } catch (err) {
    throw new AnalyzerLoadError(`--analyzers ${dir}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such folder' : (err as Error).message}`);
  }
  if (names.length === 0) throw new AnalyzerLoadError(`--analyzers ${dir}: no .js, .mjs or .cjs analyzer modules in it`);
  const out: Analyzer[] = [];
  const seen = new Set(builtinIds);
  for (const name of names) {
    const file = join(dir, name);
    let mod: Record<string, unknown>;
    try {
      mod = (await import(pathToFileURL(resolve(file)).href)) as Record<string, unknown>;
    } catch (err) {
      throw new AnalyzerLoadError(`${file}: cannot be loaded (${((err as Error).message ?? String(err)).split('\n')[0]})`);
    }
    const candidates = [...(mod.default !== undefined ? [mod.default] : []), ...(Array.isArray(mod.analyzers) ? mod.analyzers : [])].flat();
    if (candidates.length === 0) throw new AnalyzerLoadError(`${file}: exports no analyzer (export default defineAnalyzer({...}))`);
    for (const c of candidates) {
      const parsed = AnalyzerShape.safeParse(c);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new AnalyzerLoadError(`${file}: invalid analyzer: ${issue.path.join('.') || '(module)'} ${issue.message}`);
      }
      if (seen.has(parsed.data.id)) throw new AnalyzerLoadError(`${file}: analyzer id ${parsed.data.id} is already taken`);
      seen.add(parsed.data.id);
      out.push(c as Analyzer);
    }
  }
  return out;
}

const cache = new Map<string, Promise<Analyzer[]>>();

/** Loads a folder once per process (batch workers analyze many bundles with the same analyzers). */
export function externalAnalyzersOnce(dir: string, builtinIds: Set<string>): Promise<Analyzer[]> {
  const key = resolve(dir);
  let p = cache.get(key);
  if (!p) {
    p = loadExternalAnalyzers(dir, builtinIds);
    cache.set(key, p);
  }
  return p;
}
