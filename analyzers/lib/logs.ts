/** Log matches as evidence, in time order, for analyzers that corroborate with logs. */
import { isHostProcess, type LogMatch, type LogScanResult } from '../../src/logs/index.js';
import type { Evidence } from '../../src/report/schema.js';

export function logEvidence(logs: LogScanResult[] | undefined, signatures: string[], max = 8): Evidence[] {
  const matches = (logs ?? []).flatMap((l) => l.matches.filter((m) => signatures.includes(m.signature)));
  matches.sort((a, b) => (a.timestamp?.epochMs ?? Infinity) - (b.timestamp?.epochMs ?? Infinity) || a.file.localeCompare(b.file) || a.line - b.line);
  // one line matched by several signatures is one piece of evidence
  const byLine = new Map<string, Evidence>();
  for (const m of matches) {
    const key = `${m.file}:${m.line}`;
    const note = `${m.signature}${m.unit ? ` (${m.unit})` : ''}`;
    const prev = byLine.get(key);
    if (prev) prev.note = `${prev.note}, ${m.signature}`;
    else byLine.set(key, { file: m.file, line: m.line, excerpt: m.excerpt, ...timeOf(m), note });
  }
  return [...byLine.values()].slice(0, max);
}

/** A log match's time as evidence carries it: the ISO time, and whether its year was inferred. */
export function timeOf(m: { timestamp?: { iso: string; yearInferred?: true } }): { time?: string; yearInferred?: true } {
  if (!m.timestamp) return {};
  return m.timestamp.yearInferred ? { time: m.timestamp.iso, yearInferred: true } : { time: m.timestamp.iso };
}


/**
 * Whether a connection log line was written in a container, whose traffic crosses a container
 * bridge: a pod's or container's own log, or a line whose writer is not a daemon of the host.
 * dockerd pulling an image, kubelet probing a pod, flanneld reaching the API server connect from
 * the host: their failures say nothing of what the containers need, nor of the forward path.
 */
export function fromContainer(m: LogMatch): boolean {
  return m.pod !== undefined || m.container !== undefined || !isHostProcess(m.unit);
}
