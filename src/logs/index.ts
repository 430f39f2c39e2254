/** Log scanning: the streaming signature scan, the catalog, timestamps and the line splitter. */
export { createLogScanner, scanLogStream, scanLogText } from './scanner.js';
export type { LogMatch, LogScanner, LogScanOptions, LogScanResult, LogSourceHint, LogStreamOptions } from './scanner.js';
export { factsFrom, isHostProcess, signatureById, SIGNATURES } from './signatures.js';
export type { LogSignature } from './signatures.js';
export { isKlogRecord, looksLikeLog, parseLogPrefix, parseTimestamp, yearHint } from './timestamps.js';
export type { LinePrefix, LogTimestamp, TimestampContext } from './timestamps.js';
export { DEFAULT_MAX_LINE_BYTES, decodeLine, forEachLine, LineSplitter, splitLines } from './lines.js';
export type { LineBlock, LineSplitterOptions, SplitLine } from './lines.js';
