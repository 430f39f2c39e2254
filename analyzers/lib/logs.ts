/** Log matches as evidence, in time order, for analyzers that corroborate with logs. */
import type { LogScanResult } from '../../src/logscan/scanner.js';
import type { Evidence } from '../../src/report/schema.js';

export function logEvidence(logs: LogScanResult[] | undefined, signatures: string[], max = 8): Evidence[] {
  const matches = (logs ?? []).flatMap((l) => l.matches.filter((m) => signatures.includes(m.signature)));
  matches.sort((a, b) => (a.timestamp?.epochMs ?? Infinity) - (b.timestamp?.epochMs ?? Infinity) || a.file.localeCompare(b.file) || a.line - b.line);
  return matches.slice(0, max).map((m) => ({ file: m.file, line: m.line, excerpt: m.excerpt, time: m.timestamp?.iso, note: `${m.signature}${m.unit ? ` (${m.unit})` : ''}` }));
}
