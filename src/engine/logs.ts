/**
 * Logs are scanned while the archive streams by (they may be gigabytes); the results are
 * attached to nodes once the layout says which node each log belongs to.
 */
import type { EntryInfo, StreamConsumer } from '../bundle/read.js';
import type { BundleTree } from '../bundle/tree.js';
import { logSourceOf } from '../layouts/logs.js';
import type { Located } from '../layouts/types.js';
import { scanLogStream, type LogScanResult } from '../logs/index.js';
import type { LoadedNode } from './load.js';

export const logStreamConsumer: StreamConsumer = (chunks: AsyncIterable<Buffer>, info: EntryInfo) =>
  scanLogStream(chunks, info.path, { gzip: info.gzipped, source: logSourceOf(info.path) ?? {} });

export function attachLogs(tree: BundleTree, located: Located, nodes: LoadedNode[]): void {
  for (const [i, node] of located.nodes.entries()) {
    const loaded = nodes[i];
    for (const log of node.logs) {
      const result = tree.streamedResult(log.path) as LogScanResult | undefined;
      if (!result) continue;
      // A log reached through a symlink carries the path the layout knows it by.
      const entry = result.file === log.path ? result : { ...result, file: log.path };
      (loaded.artifacts.logs ??= []).push(entry);
      (loaded.sources.logs ??= []).push(log.path);
    }
  }
}
