/**
 * Deterministic sharding: every pod of an Indexed Job (or any job array) takes the inputs
 * whose stable hash falls in its shard, so each input is analyzed exactly once across shards.
 */
import { createHash } from 'node:crypto';

export interface Shard {
  index: number;
  count: number;
}

/** `K/N` with 0 <= K < N (K is JOB_COMPLETION_INDEX). */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) throw new Error(`--shard must look like K/N (e.g. 0/4), not '${text}'`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1) throw new Error(`--shard ${text}: N, the number of shards, must be at least 1`);
  if (index >= count) throw new Error(`--shard ${text}: K must be between 0 and N-1`);
  return { index, count };
}

export function shardOf(path: string, count: number): number {
  const digest = createHash('sha256').update(path).digest();
  return digest.readUInt32BE(0) % count;
}

export function inShard(path: string, shard: Shard): boolean {
  return shardOf(path, shard.count) === shard.index;
}
