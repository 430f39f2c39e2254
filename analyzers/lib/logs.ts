/** Log matches as evidence, in time order, for analyzers that corroborate with logs. */
import { dnsLookupKind } from '../../src/logs/signatures-dns.js';
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

/**
 * What a client printed when its connection failed: refused (ECONNREFUSED), a timeout (no answer),
 * unreachable (EHOSTUNREACH / ENETUNREACH), prohibited (EACCES, ICMPv6 administratively prohibited),
 * or `answered`: one of the answers (refused, unreachable, prohibited) without saying which.
 */
export type ConnectionSymptom = 'refused' | 'timeout' | 'unreachable' | 'prohibited' | 'answered';

const SYMPTOM_OF_SIGNATURE: Record<string, ConnectionSymptom> = { 'log.connection-refused': 'refused', 'log.connection-timed-out': 'timeout', 'log.no-route-to-host': 'unreachable' };

/**
 * The symptom of a connection log line, undefined for other lines. Recent curl (and git through it) prints
 * one message for every failed connect (`Failed to connect to db port 5432 after 0 ms: Couldn't
 * connect to server`): the time it took tells an answer from none. Within a second something
 * answered (a RST or an ICMP error: nothing listening, or a REJECT); after 20 s or more nothing did
 * (the kernel gives up after its SYN retries, about 2 minutes by default: a DROP, or no peer).
 * Between the two (an unanswered ARP gives EHOSTUNREACH after about 3 s) it is not told.
 */
export function connectionSymptom(m: LogMatch): ConnectionSymptom | undefined {
  const known = SYMPTOM_OF_SIGNATURE[m.signature];
  if (known) return known;
  // H84: a DNS lookup's own timeout or refusal is the resolver's connection symptom (its host/port facts are the resolver's)
  if (m.signature === 'log.dns-lookup-failed') {
    const kind = dnsLookupKind(m.facts);
    return kind === 'timeout' ? 'timeout' : kind === 'refused' ? 'refused' : undefined;
  }
  if (m.signature !== 'log.connection-failed') return undefined;
  const ms = Number(m.facts.elapsedMs);
  if (!Number.isFinite(ms)) return undefined;
  return ms < 1000 ? 'answered' : ms >= 20_000 ? 'timeout' : undefined;
}

/** Whether what a client printed is what a verdict gives (`seen`): `answered` is any answer. */
export function symptomFits(said: ConnectionSymptom, seen: ConnectionSymptom): boolean {
  return said === seen || (said === 'answered' && seen !== 'timeout');
}

const DAY_MS = 24 * 3600 * 1000;

/**
 * Whether the last of the matched lines is more than a day older than the logs' end: then what they
 * show may be over. The end is the newest timestamp of the node's logs whose year was written, or
 * guessed in a file the lines are in (one file's guesses agree with each other; a year guessed for
 * another file's klog or syslog lines can put them ahead of these), or the matched lines' own.
 * False when the lines have no time.
 */
export function olderThanLogsEnd(matches: readonly LogMatch[], logs: readonly LogScanResult[] | undefined): boolean {
  const files = new Set(matches.map((m) => m.file));
  const comparable = (l: LogScanResult) => l.lastTimestamp !== undefined && (!l.lastTimestamp.yearInferred || files.has(l.file));
  const newest = Math.max(...(logs ?? []).map((l) => (comparable(l) ? l.lastTimestamp!.epochMs : -Infinity)), ...matches.map((m) => m.timestamp?.epochMs ?? -Infinity));
  const lastAt = Math.max(...matches.map((m) => m.timestamp?.epochMs ?? -Infinity));
  return Number.isFinite(lastAt) && Number.isFinite(newest) && newest - lastAt > DAY_MS;
}
