/**
 * Connection tracking statistics: the kernel's per-CPU counters of nf_conntrack, in the three shapes
 * bundles hold them.
 *
 * 1. `conntrack -S` of conntrack-tools before 1.4.5 (kubernetes#56903, conntrack v1.4.4): one total, a
 *    `name<TAB><TAB>value` line per counter, in the kernel's order:
 *        entries   		90
 *        insert_failed		0
 *        drop      		0
 * 2. `conntrack -S` of conntrack-tools 1.4.5 and later (netlink): one line per CPU, the counters the
 *    kernel still keeps (weaveworks/weave#3287, concourse#4153; 1.4.7 on kernel 6.18 here):
 *        cpu=0   	found=0 invalid=0 insert=0 insert_failed=0 drop=0 early_drop=0 error=0 search_restart=0 clash_resolve=0 chaintoolong=0
 *    Older kernels add searched=, new=, ignore=, delete=, delete_list= (kernels after 5.x count fewer).
 * 3. `/proc/net/stat/nf_conntrack` (sos copies /proc/net/ whole): a header of column names and a row of
 *    8-digit hex numbers per possible CPU. The first column (`entries`) is the table's entry count of
 *    the network namespace, the same on every row, not a per-CPU counter. The header changed with the
 *    kernel: `entries  searched found new invalid ignore delete delete_list insert insert_failed drop
 *    early_drop icmp_error  expect_new expect_create expect_delete search_restart` (kernels before 5.x),
 *    `entries  clashres found new invalid ignore delete chainlength insert insert_failed drop early_drop
 *    icmp_error  expect_new expect_create expect_delete search_restart` (6.x): columns are read by name.
 *
 * Every counter counts since boot (or since the namespace was made): a non-zero value says it happened
 * once, not that it happens now. Two snapshots of one file (`conntrack -S; sleep 10; conntrack -S`, or
 * a `watch` capture) are kept apart as listings, so a reader can tell a counter that rises.
 *
 * Names are normalised to the netlink names (conntrack-tools' own): `icmp_error` → `error`, `clashres` →
 * `clash_resolve`, `chainlength` → `chaintoolong`.
 */
import { ParseError, SkipFile, excerpt, lines, type ParseWarning, type SourceRef } from '../model/source.js';

/** One CPU's counters (per-CPU shapes), or the one total line set of the old `conntrack -S`. */
export interface ConntrackCpuStats {
  /** the CPU number; undefined for the old `conntrack -S` total */
  cpu?: number;
  /** which snapshot of the file it belongs to, from 0 */
  listing: number;
  counters: Record<string, number>;
  ref: SourceRef;
  excerpt: string;
}

/** Counters summed over the CPUs of one listing; `entries` is the entry count, never summed. */
export interface ConntrackTotals {
  entries?: number;
  insert_failed?: number;
  drop?: number;
  early_drop?: number;
  invalid?: number;
  error?: number;
  clash_resolve?: number;
  search_restart?: number;
  /** every counter the listing holds, summed the same way */
  all: Record<string, number>;
}

/** The artifact kind's type (ArtifactMap `conntrackStats`): one file of conntrack statistics. */
export interface ConntrackStats {
  file: string;
  source: 'conntrack-S' | 'proc-stat';
  /** `total`: the old `conntrack -S` (one record); `per-cpu`: a record per CPU */
  shape: 'total' | 'per-cpu';
  /** every record of every listing, in file order */
  cpus: ConntrackCpuStats[];
  /** the totals of the last listing (the latest snapshot) */
  totals: ConntrackTotals;
  /** the totals of each listing, in file order (one entry unless the file holds several snapshots) */
  listings: ConntrackTotals[];
  /** the first record's line */
  ref: SourceRef;
  /** `conntrack v1.4.4 (conntrack-tools): Operation failed: ...` after or instead of the counters */
  error?: { message: string; ref: SourceRef };
  warnings: ParseWarning[];
}

const RENAME: Record<string, string> = { icmp_error: 'error', clashres: 'clash_resolve', chainlength: 'chaintoolong' };
const norm = (k: string) => RENAME[k] ?? k;

/** Counter names the kernel has printed in any version (old `conntrack -S` prints exactly these). */
const KNOWN = new Set([
  'entries', 'searched', 'found', 'new', 'invalid', 'ignore', 'delete', 'delete_list', 'insert', 'insert_failed', 'drop', 'early_drop',
  'icmp_error', 'error', 'expect_new', 'expect_create', 'expect_delete', 'search_restart', 'clash_resolve', 'clashres', 'chaintoolong', 'chainlength',
]);

/** old `conntrack -S`: `insert_failed\t\t0`, `entries   \t\t90` */
const TOTAL_LINE = /^([a-z_]{3,20})\s*\t\s*(\d{1,20})\s*$/;
/** new `conntrack -S`: `cpu=0   \tfound=0 invalid=0 ...` */
const CPU_LINE = /^\s*cpu=(\d{1,5})\s+((?:[a-z_]{2,20}=\d{1,20}\s*)+)$/;
/** /proc/net/stat/nf_conntrack header */
const PROC_HEADER = /^\s*entries\s+(?:searched|clashres)\s+found\s+new\s+invalid\b.*$/;
const HEX_ROW = /^\s*[0-9a-fA-F]{8}(?:\s+[0-9a-fA-F]{8}){3,}\s*$/;
const TOOL_ERROR = /^conntrack v[\d.]+ \(conntrack-tools\): (.*)$/;

export function sniffConntrackStats(head: string): boolean {
  return sniffConntrackS(head) || sniffProcNetStatConntrack(head);
}

/** `conntrack -S` in either shape: a `cpu=N ... insert_failed=` line, or the old total's `insert_failed<TAB>` line beside `early_drop`. */
export function sniffConntrackS(head: string): boolean {
  return /^\s*cpu=\d+\s+[^\n]*\binsert_failed=\d/m.test(head) || (/^insert_failed\s*\t\s*\d+\s*$/m.test(head) && /^early_drop\s*\t\s*\d+\s*$/m.test(head));
}

/** `/proc/net/stat/nf_conntrack`: its header, and a hex row after it. */
export function sniffProcNetStatConntrack(head: string): boolean {
  return /^\s*entries\s+(?:searched|clashres)\s+found\s+new\s+invalid\b[^\n]*\binsert_failed\b[^\n]*\n\s*[0-9a-fA-F]{8}\s/m.test(head);
}

export function parseConntrackStats(text: string, file: string): ConntrackStats {
  if (/^\s*entries\s+(?:searched|clashres)\s+found\b/m.test(text)) return parseProcNetStatConntrack(text, file);
  return parseConntrackS(text, file);
}

/** `conntrack -S`, either shape; a `$ command` line or the tool's own error lines around it are passed over. */
export function parseConntrackS(text: string, file: string): ConntrackStats {
  const all = lines(text);
  const cpus: ConntrackCpuStats[] = [];
  const warnings: ParseWarning[] = [];
  let error: ConntrackStats['error'];
  let total: ConntrackCpuStats | undefined;
  let listing = -1;
  let lastCpu = Infinity;
  let perCpu = false;
  for (let i = 0; i < all.length; i++) {
    const raw = all[i];
    if (raw.length > 4096) continue;
    const ref = { file, line: i + 1 };
    const e = TOOL_ERROR.exec(raw.trim());
    if (e) {
      error ??= { message: e[1], ref };
      continue;
    }
    const c = CPU_LINE.exec(raw);
    if (c) {
      perCpu = true;
      const cpu = Number(c[1]);
      // cpu=0 again (or a lower number): the next snapshot
      if (cpu <= lastCpu) listing++;
      lastCpu = cpu;
      const counters: Record<string, number> = {};
      for (const kv of c[2].trim().split(/\s+/)) {
        const [k, v] = kv.split('=');
        counters[norm(k)] = Number(v);
      }
      cpus.push({ cpu, listing, counters, ref, excerpt: excerpt(raw) });
      continue;
    }
    const t = TOTAL_LINE.exec(raw);
    if (t && KNOWN.has(t[1])) {
      // `entries` opens the old listing; a second `entries` starts the next snapshot
      if (!total || (t[1] === 'entries' && 'entries' in total.counters)) {
        listing++;
        total = { listing, counters: {}, ref, excerpt: excerpt(raw) };
        cpus.push(total);
      }
      total.counters[norm(t[1])] = Number(t[2]);
    }
  }
  if (cpus.length === 0) {
    // the tool ran and failed (no CAP_NET_ADMIN, no nf_conntrack): unusable, and the coverage should say why
    if (error) throw new ParseError(`conntrack -S printed no counters: ${error.message}`, file, error.ref.line);
    throw new SkipFile(file, 'no conntrack -S counters');
  }
  if (perCpu && cpus.some((r) => r.cpu === undefined)) warnings.push({ file, message: 'the file mixes the per-CPU and the old total shape of conntrack -S: both read' });
  if (error) warnings.push({ file, line: error.ref.line, message: `conntrack printed an error after its counters: ${error.message}` });
  return finish(file, 'conntrack-S', perCpu ? 'per-cpu' : 'total', cpus, warnings, error);
}

/** `/proc/net/stat/nf_conntrack`: columns by the header's names, values hex. */
export function parseProcNetStatConntrack(text: string, file: string): ConntrackStats {
  const all = lines(text);
  const cpus: ConntrackCpuStats[] = [];
  const warnings: ParseWarning[] = [];
  let columns: string[] | undefined;
  let listing = -1;
  let cpu = 0;
  for (let i = 0; i < all.length; i++) {
    const raw = all[i];
    if (raw.length > 4096) continue;
    if (PROC_HEADER.test(raw)) {
      columns = raw.trim().split(/\s+/).map(norm);
      listing++;
      cpu = 0;
      continue;
    }
    if (!columns || !HEX_ROW.test(raw)) continue;
    const values = raw.trim().split(/\s+/);
    if (values.length !== columns.length) warnings.push({ file, line: i + 1, message: `${values.length} values for ${columns.length} columns: read by position` });
    const counters: Record<string, number> = {};
    for (let j = 0; j < Math.min(values.length, columns.length); j++) counters[columns[j]] = parseInt(values[j], 16);
    // rows are the possible CPUs in order; the file does not number them
    cpus.push({ cpu: cpu++, listing, counters, ref: { file, line: i + 1 }, excerpt: excerpt(raw) });
  }
  if (cpus.length === 0) throw new SkipFile(file, 'no /proc/net/stat/nf_conntrack rows');
  return finish(file, 'proc-stat', 'per-cpu', cpus, warnings);
}

function finish(file: string, source: ConntrackStats['source'], shape: ConntrackStats['shape'], cpus: ConntrackCpuStats[], warnings: ParseWarning[], error?: ConntrackStats['error']): ConntrackStats {
  const count = Math.max(...cpus.map((c) => c.listing)) + 1;
  const listings: ConntrackTotals[] = [];
  for (let l = 0; l < count; l++) listings.push(totalsOf(cpus.filter((c) => c.listing === l)));
  return { file, source, shape, cpus, totals: listings[listings.length - 1], listings, ref: cpus[0].ref, ...(error ? { error } : {}), warnings };
}

function totalsOf(records: ConntrackCpuStats[]): ConntrackTotals {
  const all: Record<string, number> = {};
  for (const r of records)
    for (const [k, v] of Object.entries(r.counters)) {
      // the entry count is the namespace's, printed again on every CPU's row: not a sum
      if (k === 'entries') all.entries ??= v;
      else all[k] = (all[k] ?? 0) + v;
    }
  const pick = (k: string) => (k in all ? all[k] : undefined);
  return {
    entries: pick('entries'),
    insert_failed: pick('insert_failed'),
    drop: pick('drop'),
    early_drop: pick('early_drop'),
    invalid: pick('invalid'),
    error: pick('error'),
    clash_resolve: pick('clash_resolve'),
    search_restart: pick('search_restart'),
    all,
  };
}

/** The records of one counter that are not zero, in the file's last listing (for evidence). */
export function nonZero(stats: ConntrackStats, counter: string, listing = stats.listings.length - 1): ConntrackCpuStats[] {
  return stats.cpus.filter((c) => c.listing === listing && (c.counters[counter] ?? 0) > 0);
}
