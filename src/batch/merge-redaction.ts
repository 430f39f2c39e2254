/**
 * What `merge` must know of redaction. Each run with `--redact ips` or `hostnames` has its own
 * table of tokens: `host-1` of one shard is not `host-1` of another. Joined as they are, two hosts
 * would read as one, so merge refuses such indexes unless told, and then marks each run's tokens
 * with its shard (`s0:host-1`).
 *
 * index.json does not record its redaction (its schema has no field for it), but every report of a
 * batch has the batch's: merge reads it from a report the index links to (the Markdown or HTML
 * report's `Redacted for sharing (...)` line near its top, or a JSON report's `redaction`).
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { BatchIndex, IndexEntry } from '../report/schema.js';

/** How far into a Markdown or HTML report its redaction line is looked for (it is in the header). */
const HEAD_BYTES = 64 * 1024;
/** Reports tried per index before its redaction is taken as unknown (files removed since). */
const MAX_TRIES = 5;

/**
 * The redaction applied to an index's batch (`['secrets', 'ips', 'hostnames']`), [] for none, or
 * undefined when no report it links to can be read (every bundle failed, or the reports are gone).
 */
export function indexRedaction(file: string, index: BatchIndex): string[] | undefined {
  let tries = 0;
  for (const e of index.bundles) {
    if (tries >= MAX_TRIES) break;
    for (const format of ['md', 'html', 'json'] as const) {
      const rel = e.reports[format];
      if (rel === undefined) continue;
      tries++;
      const applied = reportRedaction(resolve(dirname(file), rel), format);
      if (applied !== undefined) return applied;
    }
  }
  return undefined;
}

function reportRedaction(path: string, format: 'md' | 'html' | 'json'): string[] | undefined {
  try {
    if (format === 'json') {
      const report = JSON.parse(readFileSync(path, 'utf8')) as { tool?: { name?: string }; redaction?: { applied?: unknown } };
      if (report.tool?.name !== 'bundle-doctor') return undefined;
      return Array.isArray(report.redaction?.applied) ? report.redaction.applied.map(String) : [];
    }
    const head = readHead(path);
    if (!/bundle-doctor report/.test(head)) return undefined;
    const m = /🔒 Redacted for sharing \(([^)]*)\)/.exec(head);
    return m ? m[1].split(',').map((s) => s.trim()) : [];
  } catch {
    return undefined;
  }
}

function readHead(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(HEAD_BYTES);
    return buf.toString('utf8', 0, readSync(fd, buf, 0, buf.length, 0));
  } finally {
    closeSync(fd);
  }
}

/** A redaction that replaces values by tokens of its run's own table. */
export function hasTokens(applied: string[] | undefined): boolean {
  return applied !== undefined && (applied.includes('ips') || applied.includes('hostnames'));
}

/**
 * The tokens the redactor writes (src/report/redact.ts): `host-3`, `ipv6-2`, and IPv4 addresses
 * whose second octet is a token (`10.x1.2.1`, `a2.x4.0.0/16`, dashed in names: `ip-10-x1-2-1`).
 */
const TOKENS = /(?<![\w:])(?:host|ipv6)-\d+(?!\w)|(?<![\w.:])(?:\d{1,3}|a\d+)([.-])x\d+\1\d{1,3}\1\d{1,3}(?!\w)/g;

/** `text` with each token marked as its shard's: `s0:host-1`. */
export function qualifyTokens(text: string, label: string): string {
  return text.replace(TOKENS, (m) => `${label}:${m}`);
}

/** An index entry with its tokens marked as its shard's (source, error, top finding). */
export function qualifyEntry(e: IndexEntry, label: string): IndexEntry {
  const q = (s: string) => qualifyTokens(s, label);
  return {
    ...e,
    source: q(e.source),
    ...(e.error !== undefined ? { error: q(e.error) } : {}),
    ...(e.top ? { top: { ...e.top, title: q(e.top.title), ...(e.top.node !== undefined ? { node: q(e.top.node) } : {}) } } : {}),
  };
}
