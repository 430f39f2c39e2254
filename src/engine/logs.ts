/**
 * Logs are scanned while the archive streams by (they may be gigabytes); the results are
 * attached to nodes once the layout says which node each log belongs to.
 */
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import { decodeUtf16 } from '../bundle/encoding.js';
import { looksLikeText, ownOutput, withoutNul } from '../bundle/formats.js';
import type { EntryInfo, StreamConsumer, StreamReader } from '../bundle/read.js';
import type { BundleTree } from '../bundle/tree.js';
import { logSourceOf } from '../layouts/logs.js';
import { isSosTailed } from '../layouts/rules.js';
import { SNIFF_BYTES } from '../layouts/wanted.js';
import type { Located, UnreadFile } from '../layouts/types.js';
import { createLogScanner, looksLikeLog, scanLogStream, type LogMatch, type LogScanResult, type LogSourceHint } from '../logs/index.js';
import { scanKubeEvents } from '../logs/kube-events.js';
import type { ServiceList } from '../parsers/services.js';
import type { LoadedNode } from './load.js';

export const logStreamConsumer: StreamConsumer = (chunks: AsyncIterable<Buffer>, info: EntryInfo) =>
  scanLogStream(info.gzipped ? chunks : withoutNulChunks(chunks), info.path, { gzip: info.gzipped, source: logSourceOf(info.path) ?? {}, notAfter: notAfter(info.mtime) });

const DAY_MS = 24 * 3600 * 1000;

/**
 * The latest time a file's year-less lines (syslog, klog) can be: a day after the file was last
 * written (its lines are in the writer's local time, up to 14 hours ahead of UTC). Without it the
 * year is guessed from today, and a bundle collected in March of last year reads as this year's.
 */
function notAfter(mtime: number | undefined): number | undefined {
  return mtime === undefined ? undefined : mtime + DAY_MS;
}

/** A plain log's chunks without NUL bytes (see withoutNul): they would hide the timestamp of the line they precede. */
async function* withoutNulChunks(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  for await (const chunk of chunks) {
    const out = withoutNul(chunk);
    if (out.length > 0) yield out;
  }
}

/**
 * A file given on its own: scanned as a log (nothing else says what it is), and kept, within the
 * parsed-file limit, for the sniffers, which may know it better (a kube-proxy dump saved under
 * any name is rules).
 */
export const soleFileConsumer: StreamConsumer = async (chunks: AsyncIterable<Buffer>, info: EntryInfo, reader: StreamReader) => {
  let parts: Buffer[] | undefined = [];
  let size = 0;
  let whole = false;
  const copied = (async function* () {
    for await (const chunk of chunks) {
      size += chunk.length;
      if (size > reader.maxKeptFileBytes) parts = undefined;
      else parts?.push(chunk);
      yield chunk;
    }
    whole = true;
  })();
  const result = await logStreamConsumer(copied, info, reader);
  if (parts && whole) reader.keep(Buffer.concat(parts, size));
  return result;
};

/** What maybeLogConsumer leaves on the tree: a scan, and whether the file started like a log. */
export type SniffedScan = LogScanResult & { startsLikeLog: boolean };

/**
 * For a file too big to keep, or gzipped, whose name says nothing, decided on its first 4 KiB:
 * an artifact a sniffer knows is kept for its parser; other text is scanned for the log
 * signatures, noting whether it started like a log (see looksLikeLog); binary data is left
 * alone. Only the flat layout attaches such a scan to a node: as a log if it started like one,
 * else only if something matched in it (`docker logs` output has no timestamps).
 */
export const maybeLogConsumer: StreamConsumer = async (chunks: AsyncIterable<Buffer>, info: EntryInfo, reader: StreamReader): Promise<SniffedScan | undefined> => {
  const it = chunks[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let got = 0;
  while (got < SNIFF_BYTES) {
    const next = await it.next();
    if (next.done) break;
    head.push(next.value);
    got += next.value.length;
  }
  const start = Buffer.concat(head, got);
  // a plain file's bytes come decoded from UTF-16 already (see the reader); a .gz one's are inflated here
  const text = info.gzipped ? decodeUtf16(gunzipStart(start.subarray(0, SNIFF_BYTES))) : start;
  const sniffed = text.subarray(0, SNIFF_BYTES);
  if (sniffed.length === 0) return undefined;
  // binary data (text with runs of NULs, a crashed log's unwritten blocks, is text), or a big
  // report of an earlier run saved in the bundle: left alone
  if (!looksLikeText(sniffed)) {
    reader.note('binary data; not scanned as a log');
    return undefined;
  }
  const clean = withoutNul(sniffed);
  if (ownOutput(clean)) return undefined;
  const all = (async function* () {
    yield start;
    for (;;) {
      const next = await it.next();
      if (next.done) return;
      yield next.value;
    }
  })();
  // An artifact a sniffer knows (a kube-proxy node's 20 MB rules saved as rules.txt) is kept
  // for its parser instead. The sniffers come with the layouts, which load while the bundle streams.
  if (!info.gzipped && (await import('../layouts/locate.js')).sniffHead(clean) === 'artifact') {
    const parts: Buffer[] = [];
    let size = 0;
    for await (const chunk of all) {
      size += chunk.length;
      if (size > reader.maxKeptFileBytes) {
        reader.tooBig();
        return undefined;
      }
      parts.push(chunk);
    }
    reader.keep(Buffer.concat(parts, size));
    return undefined;
  }
  // a JSON document (kubectl get pods -A -o json, docker inspect, cluster-resources/*.json): data whose strings
  // quote messages (a pod's "network is unreachable"), no log; JSON lines (docker's json-file logs) stay logs
  if ((await import('../layouts/locate.js')).jsonDocumentHead(clean)) {
    reader.note('a JSON document: data, not a log; not scanned');
    return undefined;
  }
  const startsLikeLog = looksLikeLog(clean.toString('utf8'));
  return { ...(await scanLogStream(info.gzipped ? all : withoutNulChunks(all), info.path, { gzip: info.gzipped, source: {}, notAfter: notAfter(info.mtime) })), startsLikeLog };
};

/**
 * What the first compressed bytes of a gzip file inflate to, without waiting for the rest.
 * 4 KiB of input inflates to at most ~4 MB, so a bomb cannot make this expensive. Data that is
 * not gzip throws, and the reader notes the file as unreadable.
 */
function gunzipStart(compressed: Buffer): Buffer {
  try {
    return gunzipSync(compressed, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
  } catch (err) {
    throw new Error(`not readable gzip data (${(err as Error).message})`);
  }
}

/**
 * Attaches each node's log scans to it, and adds to the located notes the files of a hand-made
 * bundle that nothing read (Located.unread), now that the scans say which "if matched" logs were
 * of no use.
 */
export function attachLogs(tree: BundleTree, located: Located, nodes: LoadedNode[]): void {
  const unmatched = new Set<string>();
  /** event lists every node reads its own events from: released once all have */
  const eventLists = new Set<string>();
  for (const [i, node] of located.nodes.entries()) {
    const loaded = nodes[i];
    for (const log of node.logs) {
      const result = log.events ? scanEvents(tree, log.path, log.events) : ((tree.streamedResult(log.path) as LogScanResult | undefined) ?? scanKept(tree, log.path, log.source));
      // a kept copy (a small file of a hand-made bundle, a file given on its own) is done with
      if (log.events) eventLists.add(log.path);
      else tree.release(log.path);
      if (result && log.ifMatched && result.matches.length === 0) unmatched.add(log.path);
      if (!result || (log.ifMatched && result.matches.length === 0)) continue;
      // what the scan could not do (a cut rotated log, the size guard) is said in the report
      for (const w of result.warnings ?? []) tree.note(`${log.path}: ${w.message}`);
      const real = tree.resolve(log.path);
      // sos keeps only the end of an output over its size limit (sos_strings/<plugin>/<file>.tailed)
      if (isSosTailed(real)) tree.note(`${log.path}: sos kept only the end of this log (${real}); its start is missing, and its line numbers count from where the kept part begins`);
      const entry = withSource(asLayoutPath(result, log.path), log.source);
      (loaded.artifacts.logs ??= []).push(entry);
      (loaded.sources.logs ??= []).push(log.path);
    }
    // after the node's journals and logs: a status tail's line one of them holds is theirs
    for (const list of loaded.artifacts.services ?? []) attachStatusTail(tree, loaded, list);
  }
  for (const path of eventLists) tree.release(path);
  located.notes.push(...unreadNotes(located.unread ?? [], unmatched));
}

/** A Kubernetes event list: its events as log lines, matches at the JSON lines of their messages (logs/kube-events.ts). */
function scanEvents(tree: BundleTree, path: string, which: { node?: string; withUnplaced?: boolean }): LogScanResult | undefined {
  const buf = tree.read(path);
  if (buf === undefined) return undefined;
  try {
    return scanKubeEvents(buf.toString('utf8'), path, { ...which, notAfter: notAfter(tree.mtimes.get(tree.resolve(path)) ?? tree.mtimes.get(path)) });
  } catch (err) {
    tree.note(`${path}: ${(err as Error).message.split('\n')[0]}`);
    return undefined;
  }
}

/** Unread files listed one by one up to this many per bundle; the rest are counted. */
const UNREAD_LISTED = 12;

/** The reading notes "not read: <path> (why)" for the unread files, an "if matched" log among them only when nothing matched in it. */
function unreadNotes(unread: UnreadFile[], unmatched: Set<string>): string[] {
  const all = unread.flatMap(({ path, why }) => {
    if (why !== undefined) return [{ path, why }];
    if (!unmatched.has(path)) return [];
    return [{ path, why: /\.gz$/i.test(path) ? 'compressed: scanned as a log only, and no known log message in it' : 'not recognised: no known command output, and no known log message in it' }];
  });
  const out = all.slice(0, UNREAD_LISTED).map((u) => `not read: ${u.path} (${u.why})`);
  if (all.length > UNREAD_LISTED) out.push(`not read: ${all.length - UNREAD_LISTED} more files (not recognised)`);
  return out;
}

/**
 * A log reached through a symlink (sos_commands/logs/journalctl_--no-pager, a link to
 * sos_strings/logs/journalctl_--no-pager.tailed) carries the path the layout knows it by, in its
 * matches too: the evidence names the file the coverage names.
 */
function asLayoutPath(result: LogScanResult, path: string): LogScanResult {
  if (result.file === path && result.matches.every((m) => m.file === path)) return result;
  return { ...result, file: path, matches: result.matches.map((m) => (m.file === path ? m : { ...m, file: path })) };
}

/** The writer the layout named for the file travels with its result: analyzers ask it, not the path. */
function withSource(result: LogScanResult, source: LogSourceHint): LogScanResult {
  if (result.source || Object.keys(source).length === 0) return result;
  return { ...result, source };
}

/** A small file the flat layout takes for a log was kept, not streamed: it is scanned here. */
function scanKept(tree: BundleTree, path: string, source: LogSourceHint): LogScanResult | undefined {
  const buf = tree.read(path);
  if (buf === undefined) return undefined;
  const scanner = createLogScanner(undefined, { file: path, source, notAfter: notAfter(tree.mtimes.get(tree.resolve(path)) ?? tree.mtimes.get(path)) });
  scanner.push(buf);
  return scanner.end();
}

/**
 * The journal lines `systemctl status` prints under each unit (ServiceList.journal: a pasted `systemctl status docker`, sos'
 * systemctl_status_--all), scanned as log lines at their own lines of the file. The same lines are often in a journal or
 * log of the node too (sos saves journalctl's output beside it): a match one of the node's logs already has is dropped, so
 * that a line counts once and the evidence cites the journal, which has the lines around it. Run once per node after its
 * logs are attached; the streamed scans are untouched (no cost on the big logs' path).
 */
function attachStatusTail(tree: BundleTree, loaded: LoadedNode, list: ServiceList): void {
  const journal = list.journal;
  if (!journal || journal.length === 0) return;
  // a file read whole as a log already (a hand-made bundle's paste the flat layout scanned) gives its lines once
  if (loaded.sources.logs?.includes(list.file)) return;
  const scanned = scanStatusTail(tree, list.file, journal);
  if (scanned.matches.length === 0) return;
  const result = withoutSeen(scanned, loaded.artifacts.logs ?? [], journal);
  if (result.matches.length === 0) return;
  (loaded.artifacts.logs ??= []).push(result);
  (loaded.sources.logs ??= []).push(list.file);
}

/**
 * One scan over the tail lines, one unit's block after the other (a blank line between blocks, so that no message runs on
 * into another unit's); the matches' lines are put back to the file's. Each line names its writer (`dockerd[123]:`), which
 * is the unit the signatures ask.
 */
function scanStatusTail(tree: BundleTree, file: string, journal: NonNullable<ServiceList['journal']>): LogScanResult {
  const real = tree.resolve(file);
  const scanner = createLogScanner(undefined, { file, notAfter: notAfter(tree.mtimes.get(real) ?? tree.mtimes.get(file)) });
  // text line (1-based) -> file line; 0 for the separators
  const lineOf: number[] = [0];
  let bytes = 0;
  for (let i = 0; i < journal.length; i++) {
    const j = journal[i];
    if (i > 0 && (j.unit !== journal[i - 1].unit || j.line !== journal[i - 1].line + 1)) {
      scanner.pushLine('');
      lineOf.push(0);
    }
    scanner.pushLine(j.text);
    lineOf.push(j.line);
    bytes += Buffer.byteLength(j.text) + 1;
  }
  const r = scanner.end();
  const matches = r.matches.map((m) => {
    const out: LogMatch = { ...m, line: lineOf[m.line] ?? m.line };
    if (m.endLine !== undefined) out.endLine = lineOf[m.endLine] || out.line;
    return out;
  });
  return { ...r, lines: journal.length, bytes, matches };
}

/**
 * When a line was written, to the second, on the node's wall clock as its text says it: a status tail's zoneless
 * `Nov 20 10:14:02` and a `journalctl -o short-iso` journal's `2026-11-20T10:14:02+0100` alike (the latter's UTC time
 * moved back by its zone).
 */
function whenWritten(m: LogMatch): string | undefined {
  const t = m.timestamp;
  if (!t) return undefined;
  return (t.offsetMinutes ? new Date(t.epochMs + t.offsetMinutes * 60_000).toISOString() : t.iso).slice(5, 19);
}

function lineKey(m: LogMatch): string | undefined {
  const when = whenWritten(m);
  return when === undefined ? undefined : `${m.signature}\u0000${m.unit ?? ''}\u0000${when}`;
}

/**
 * The status tail's matches that no other log of the node has. A line is the same line when its signature, writer and
 * time (to the second) are: each of the other logs' matches stands for one tail line (two tail lines of one second need two).
 * A log whose matches of a signature went past the per-file cap may hold a line it kept no match for: a tail line of that
 * signature within the log's time span, from a writer the log may hold (the whole journal, or that unit's), is its too.
 */
function withoutSeen(tail: LogScanResult, logs: LogScanResult[], journal: NonNullable<ServiceList['journal']>): LogScanResult {
  const seen = new Map<string, number>();
  const capped: { log: LogScanResult; signature: string }[] = [];
  for (const log of logs) {
    const kept = new Map<string, number>();
    for (const m of log.matches) {
      const key = lineKey(m);
      if (key !== undefined) seen.set(key, (seen.get(key) ?? 0) + 1);
      kept.set(m.signature, (kept.get(m.signature) ?? 0) + 1);
    }
    for (const [signature, n] of Object.entries(log.counts)) if (n > (kept.get(signature) ?? 0)) capped.push({ log, signature });
  }
  const unitAt = new Map(journal.map((j) => [j.line, j.unit.replace(/\.service$/, '')]));
  const dropped: Record<string, number> = {};
  const matches = tail.matches.filter((m) => {
    const key = lineKey(m);
    const n = key === undefined ? 0 : (seen.get(key) ?? 0);
    const inCapped = n === 0 && capped.some((c) => c.signature === m.signature && holds(c.log, m, unitAt.get(m.line)));
    if (n === 0 && !inCapped) return true;
    if (n > 0) seen.set(key!, n - 1);
    dropped[m.signature] = (dropped[m.signature] ?? 0) + 1;
    return false;
  });
  if (matches.length === tail.matches.length) return tail;
  const counts: Record<string, number> = {};
  for (const [id, n] of Object.entries(tail.counts)) if (n - (dropped[id] ?? 0) > 0) counts[id] = n - (dropped[id] ?? 0);
  return { ...tail, matches, counts };
}

/** Whether a log that kept only some of a signature's matches may hold the tail line `m` of `unit`'s block. */
function holds(log: LogScanResult, m: LogMatch, unit: string | undefined): boolean {
  const writer = log.source?.unit;
  if (writer !== undefined && writer !== unit && writer !== m.unit) return false;
  if (log.source?.pod !== undefined || log.source?.container !== undefined) return false;
  const when = whenWritten(m);
  const from = log.firstTimestamp?.iso.slice(5, 19);
  const to = log.lastTimestamp?.iso.slice(5, 19);
  return when !== undefined && from !== undefined && to !== undefined && from <= when && when <= to;
}
