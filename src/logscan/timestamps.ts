/**
 * Timestamps of the log formats bundles carry, so findings can say when and in what order:
 * syslog (also with localized months such as `8月 22`), RFC 3339 / ISO 8601, journalctl
 * short-iso, klog `I1122 07:00:01.000123`, logrus `time="..."` and `INFO[...]`, Go `2026/11/22 07:00:01`.
 */

export interface LogTime {
  iso: string;
  epochMs: number;
  /** the format had no year; the context year (or the current one) was assumed */
  yearAssumed?: boolean;
}

const MONTHS: Record<string, number> = { jan: 0, feb: 1, mar: 2, apr: 3, may: 4, jun: 5, jul: 6, aug: 7, sep: 8, oct: 9, nov: 10, dec: 11 };

const ISO = /(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?\s?(Z|[+-]\d{2}:?\d{2})?/;
const SYSLOG = /^(?:<\d+>)?([A-Z][a-z]{2})\s+(\d{1,2})\s+(\d{2}):(\d{2}):(\d{2})/;
const SYSLOG_CJK = /^(\d{1,2})月\s*(\d{1,2})\s+(\d{2}):(\d{2}):(\d{2})/;
const KLOG = /^[IWEF](\d{2})(\d{2})\s+(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?/;
const GOLOG = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})/;

export function parseTimestamp(line: string, ctx: { year?: number } = {}): LogTime | undefined {
  const head = line.length > 200 ? line.slice(0, 200) : line;
  let m = SYSLOG.exec(head);
  if (m && MONTHS[m[1].toLowerCase()] !== undefined) return local(ctx, MONTHS[m[1].toLowerCase()], +m[2], +m[3], +m[4], +m[5], 0);
  m = SYSLOG_CJK.exec(head);
  if (m) return local(ctx, +m[1] - 1, +m[2], +m[3], +m[4], +m[5], 0);
  // ISO anywhere near the start: plain, journalctl -o short-iso, logrus time="..." or LEVEL[...]
  m = ISO.exec(head);
  if (m && m.index < 60) {
    const ms = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0;
    const zone = m[8] ? (m[8] === 'Z' ? 'Z' : m[8].length === 5 ? `${m[8].slice(0, 3)}:${m[8].slice(3)}` : m[8]) : 'Z';
    const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${String(ms).padStart(3, '0')}${zone}`;
    const epochMs = Date.parse(iso);
    if (!Number.isNaN(epochMs)) return { iso: new Date(epochMs).toISOString(), epochMs };
  }
  m = KLOG.exec(head) ?? KLOG.exec(afterPrefix(head));
  if (m) return local(ctx, +m[1] - 1, +m[2], +m[3], +m[4], +m[5], m[6] ? Math.floor(Number(`0.${m[6]}`) * 1000) : 0);
  m = GOLOG.exec(head);
  if (m) {
    const epochMs = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
    return { iso: new Date(epochMs).toISOString(), epochMs };
  }
  return undefined;
}

/** The text after a syslog prefix (`Nov 20 10:00:00 host unit[1]: `), where klog lines often sit. */
function afterPrefix(line: string): string {
  const i = line.indexOf(': ');
  return i > 0 && i < 80 ? line.slice(i + 2) : line;
}

function local(ctx: { year?: number }, month: number, day: number, h: number, mi: number, s: number, ms: number): LogTime | undefined {
  if (month < 0 || month > 11 || day < 1 || day > 31 || h > 23 || mi > 59 || s > 60) return undefined;
  const year = ctx.year ?? new Date().getUTCFullYear();
  const epochMs = Date.UTC(year, month, day, h, mi, s, ms);
  return { iso: new Date(epochMs).toISOString(), epochMs, yearAssumed: ctx.year === undefined };
}

/** The process or unit that wrote a syslog/journal line: `dockerd[1234]:`, `kubelet:`, `systemd[1]:`. */
export function unitOf(line: string): string | undefined {
  // syslog `Nov 20 10:00:00 host unit[1]: ` (also `8月 22 ...`) or journalctl short-iso `2026-11-20T10:00:00+0000 host unit[1]: `
  const m = /^(?:<\d+>)?(?:[A-Z][a-z]{2}\s+\d{1,2}\s+\d{2}:\d{2}:\d{2}|\d{1,2}月\s*\d{1,2}\s+\d{2}:\d{2}:\d{2}|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)\s+\S+\s+([A-Za-z0-9_.@/-]+?)(?:\[\d+\])?:\s/.exec(line.length > 300 ? line.slice(0, 300) : line);
  return m ? m[1] : undefined;
}
