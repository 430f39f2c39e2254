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
import { createLogScanner, looksLikeLog, scanLogStream, type LogScanResult, type LogSourceHint } from '../logs/index.js';
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
  for (const [i, node] of located.nodes.entries()) {
    const loaded = nodes[i];
    for (const log of node.logs) {
      const result = (tree.streamedResult(log.path) as LogScanResult | undefined) ?? scanKept(tree, log.path, log.source);
      // a kept copy (a small file of a hand-made bundle, a file given on its own) is done with
      tree.release(log.path);
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
  }
  located.notes.push(...unreadNotes(located.unread ?? [], unmatched));
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
