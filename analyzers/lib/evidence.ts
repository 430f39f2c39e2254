import type { Evidence } from '../../src/report/schema.js';

/** Each piece of evidence once (the same file, line and excerpt cited by two routes), in first-seen order. */
export function distinctEvidence(e: readonly Evidence[]): Evidence[] {
  const seen = new Set<string>();
  return e.filter((x) => {
    const k = `${x.file}:${x.line}:${x.excerpt}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
