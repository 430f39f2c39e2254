/**
 * When a log line was written and by whom, for the formats support bundles carry:
 * syslog / journalctl short (`Nov 22 07:00:01 host unit[pid]: `, also short-precise and the
 * localized `8月 22 17:15:09` that CJK locales write), journalctl short-iso / short-full,
 * RFC 5424, RFC 3339 at the start of a line (firewalld, etcd, CRI and `docker logs -t`),
 * klog (`I1122 07:00:01.000123    1234 file.go:12]`), logrus (`time="..."`, `INFO[...]`, JSON),
 * Go's log package (`2026/11/22 07:00:01`) and dmesg -T (`[Tue Nov 20 10:00:01 2026]`).
 *
 * Only the start of a line is looked at (a timestamp deep inside a message is data, not
 * the time of the line), and every pattern is anchored there, so the cost is bounded.
 */

export interface LogTimestamp {
  /** UTC, millisecond precision */
  iso: string;
  epochMs: number;
  /** the text had no year and none was given: the year is a guess (the year of the collection, or of now; the one before when the date would lie ahead of it) */
  yearless?: true;
  /**
   * the text had no year (syslog, klog): the year was inferred, from the log's other lines (see
   * TimestampContext.year) or guessed (then `yearless` too)
   */
  yearInferred?: true;
  /** the text had no zone (syslog, klog, Go log...): read as UTC, though it is the node's local time */
  zoneless?: true;
  /**
   * the text's zone, minutes east of UTC, where it was not UTC (journalctl -o short-iso's `+0100`): the
   * wall-clock time the line was written at is iso + this, which a zoneless copy of the line (systemctl
   * status' tail, syslog) prints
   */
  offsetMinutes?: number;
}

export interface TimestampContext {
  /**
   * year for formats that have none (syslog, klog); without it the current year is assumed and
   * flagged, or the last year when the date would otherwise lie ahead of `notAfter`
   */
  year?: number;
  /** epoch ms no guessed date may lie after (the bundle's collection time); default: a day from now (a node's clock may run ahead of UTC) */
  notAfter?: number;
}

export interface LinePrefix {
  timestamp?: LogTimestamp;
  host?: string;
  /** the process or unit that wrote the line: `dockerd`, `kubelet`, `systemd`, `flanneld` */
  unit?: string;
  pid?: number;
  /** where the message starts, after the prefix (0 when there is none) */
  messageStart: number;
}

const HEAD = 300;
/** docker's json-file and logrus' JSON write the time last: a long JSON line's time is looked for in its end too */
const JSON_TAIL = 120;
const MAX_INDENT = 16;

// the patterns that capture a month name take `[A-Z][a-z]{2}`: looked up as written, no lower-casing per line
const MONTHS: Record<string, number> = { Jan: 1, Feb: 2, Mar: 3, Apr: 4, May: 5, Jun: 6, Jul: 7, Aug: 8, Sep: 9, Oct: 10, Nov: 11, Dec: 12 };

// RFC 3164 / journalctl short and short-precise; optional <PRI>; then `host unit[pid]: `
const SYSLOG = /^(?:<\d{1,3}>)?([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))? /;
const SYSLOG_CJK = /^(\d{1,2})月 {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) /;
// journalctl -o short-full: `Fri 2022-02-11 19:03:31 UTC host unit[pid]: `
const SHORT_FULL = /^[A-Z][a-z]{2} (\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))? ([A-Z]{1,5}|[+-]\d{2}:?\d{2}) /;
// RFC 3339 / ISO 8601 at the very start, also as RFC 5424 (`<34>1 `), logrus `time="` and `LEVEL[`
const ISO = /^(?:<\d{1,3}>1 |time="|[A-Z]{4,7}\[)?(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(Z|[+-]\d{2}(?::?\d{2})?| ?UTC\b)?/;
const KLOG = /^[IWEF](\d{2})(\d{2}) (\d{2}):(\d{2}):(\d{2})\.(\d{6}) /;
const GOLOG = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?/;
// dmesg -T (sosreport's dmesg_-T): `[Tue Nov 20 10:00:01 2026] ` in the node's local time
const DMESG_T = /^\[[A-Z][a-z]{2} ([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4})\] ?/;
// JSON lines (docker json-file, logrus/zap JSON): the time field in the head, or in the tail (json-file writes it last)
const JSON_TIME = /"(?:time|ts|timestamp|@timestamp)":\s?"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?"/;
// after a syslog-style timestamp: `host unit[pid]: ` or `host unit: ` (host is absent in some dumps)
const HOST_UNIT = /^(\S{1,255}) ([^\s[\]:]{1,128})(?:\[(\d{1,10})\])?: /;
const UNIT_NO_HOST = /^([^\s[\]:]{1,128})\[(\d{1,10})\]: /;
const RFC5424_REST = /^(\S{1,255}) (\S{1,48}) (\S{1,128}) \S{1,32} (?:-|\[[^\]]{0,200}\](?:\[[^\]]{0,200}\]){0,8}) ?/;

/** The time a line was written, from the start of the line. */
export function parseTimestamp(line: string, ctx: TimestampContext = {}): LogTimestamp | undefined {
  return parseLogPrefix(line, ctx).timestamp;
}

/** Timestamp, host, unit and pid of a line, as far as its format has them. */
export function parseLogPrefix(line: string, ctx: TimestampContext = {}): LinePrefix {
  // log lines quoted in documents and tickets are often indented (a little)
  const lead = leadingBlanks(line);
  if (lead === 0) return parseUnindented(line, ctx);
  if (lead > MAX_INDENT) return { messageStart: 0 };
  const p = parseUnindented(line.slice(lead), ctx);
  return p.timestamp === undefined && p.unit === undefined ? { messageStart: 0 } : { ...p, messageStart: p.messageStart + lead };
}

function parseUnindented(line: string, ctx: TimestampContext): LinePrefix {
  const head = line.length > HEAD ? line.slice(0, HEAD) : line;
  let m = SYSLOG.exec(head);
  if (m) {
    const month = MONTHS[m[1]];
    if (month !== undefined) {
      const ts = yearlessTime(head, ctx, month, +m[2], +m[3], +m[4], +m[5], m[6]);
      return withHostUnit(head, m[0].length, ts);
    }
  }
  m = SYSLOG_CJK.exec(head);
  if (m) return withHostUnit(head, m[0].length, yearlessTime(head, ctx, +m[1], +m[2], +m[3], +m[4], +m[5], undefined));
  m = SHORT_FULL.exec(head);
  if (m) return withHostUnit(head, m[0].length, fullTime(+m[1], +m[2], +m[3], +m[4], +m[5], +m[6], m[7], m[8]));
  m = ISO.exec(head);
  if (m) {
    const ts = fullTime(+m[1], +m[2], +m[3], +m[4], +m[5], +m[6], m[7], m[8]);
    const rest = m[0].length;
    if (head.startsWith('<')) {
      // RFC 5424: `<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG`
      const r = RFC5424_REST.exec(head.slice(rest + 1));
      if (r) {
        const pid = /^\d{1,10}$/.test(r[3]) ? +r[3] : undefined;
        return { timestamp: ts, host: nil(r[1]), unit: nil(r[2]), pid, messageStart: rest + 1 + r[0].length };
      }
      return { timestamp: ts, messageStart: rest };
    }
    // journalctl -o short-iso writes `host unit[pid]: ` after a zoned time, like syslog
    // (firewalld's own `2020-09-09 10:48:01 WARNING: ` must not read as host and unit)
    if (m[8] !== undefined && head.charCodeAt(10) === 84 /* T */ && head.charCodeAt(rest) === 32) {
      const p = withHostUnit(head, rest + 1, ts);
      if (p.unit !== undefined) return p;
    }
    return { timestamp: ts, messageStart: 0 };
  }
  m = KLOG.exec(head);
  if (m) return { timestamp: yearlessTime(head, ctx, +m[1], +m[2], +m[3], +m[4], +m[5], m[6]), messageStart: 0 };
  if (head.charCodeAt(0) === 91 /* [ */) {
    m = DMESG_T.exec(head);
    const month = m ? MONTHS[m[1]] : undefined;
    if (m && month !== undefined) return { timestamp: fullTime(+m[6], month, +m[2], +m[3], +m[4], +m[5], undefined, undefined), messageStart: m[0].length };
  }
  m = GOLOG.exec(head);
  if (m) return { timestamp: fullTime(+m[1], +m[2], +m[3], +m[4], +m[5], +m[6], m[7], undefined), messageStart: 0 };
  if (head.charCodeAt(0) === 123 /* { */) {
    const journal = journalJson(head, line);
    if (journal) return journal;
    m = JSON_TIME.exec(head) ?? (line.length > HEAD ? JSON_TIME.exec(line.slice(-JSON_TAIL)) : null);
    if (m) return { timestamp: fullTime(+m[1], +m[2], +m[3], +m[4], +m[5], +m[6], m[7], m[8]), messageStart: 0 };
  }
  return { messageStart: 0 };
}

const JOURNAL_TIME = /^"__REALTIME_TIMESTAMP"\s{0,4}:\s{0,4}"(\d{10,19})"/;

/**
 * A line of `journalctl -o json` (one object per entry): the time is `__REALTIME_TIMESTAMP` (µs since
 * the epoch), the writer `SYSLOG_IDENTIFIER` (the syslog tag, as the short format prints it), else
 * `_COMM`, else `_SYSTEMD_UNIT`; the message starts at `MESSAGE`'s value. Only a line whose head holds
 * the time field is one (journalctl writes `__CURSOR` and it first); the other fields are found by
 * their quoted names, which a JSON string value cannot hold unescaped.
 */
function journalJson(head: string, line: string): LinePrefix | undefined {
  const at = head.indexOf('"__REALTIME_TIMESTAMP"');
  if (at < 0) return undefined;
  const m = JOURNAL_TIME.exec(line.slice(at, at + 64));
  if (!m) return undefined;
  const epochMs = Math.floor(Number(m[1]) / 1000);
  const d = new Date(epochMs);
  if (!Number.isFinite(epochMs) || d.getUTCFullYear() < 1970 || d.getUTCFullYear() > 9999) return undefined;
  const unit = journalField(line, 'SYSLOG_IDENTIFIER') ?? journalField(line, '_COMM') ?? journalField(line, '_SYSTEMD_UNIT')?.replace(/\.service$/, '');
  const pid = journalField(line, '_PID') ?? journalField(line, 'SYSLOG_PID');
  // MESSAGE is a string, or an array of bytes when it is not UTF-8: then the message has no start to give
  const message = /"MESSAGE"\s{0,4}:\s{0,4}"/.exec(line);
  const p: LinePrefix = { timestamp: { iso: d.toISOString(), epochMs }, messageStart: message ? message.index + message[0].length : 0 };
  const host = journalField(line, '_HOSTNAME');
  if (host !== undefined) p.host = host;
  if (unit !== undefined) p.unit = unit;
  if (pid !== undefined && /^\d{1,10}$/.test(pid)) p.pid = +pid;
  return p;
}

/** A short string field of a journal JSON entry (`"_COMM" : "dockerd"`). */
function journalField(line: string, name: string): string | undefined {
  const at = line.indexOf(`"${name}"`);
  if (at < 0) return undefined;
  const m = /^"[\w]{1,64}"\s{0,4}:\s{0,4}"([^"\\]{1,255})"/.exec(line.slice(at, at + name.length + 270));
  return m ? m[1] : undefined;
}

/** The message starts with a klog header (`E1114 11:06:11.955523   12085 proxier.go:1282]`). */
export function isKlogRecord(message: string): boolean {
  return KLOG.test(message);
}

/**
 * A year a log states in its first line though its entries do not: journalctl's
 * `-- Logs begin at Fri 2022-02-11 18:58:10 UTC, end at ...` (or `-- Journal begins at`).
 */
export function yearHint(line: string): number | undefined {
  const m = /^-- (?:Logs begin at|Journal begins at|No entries) ?(?:[A-Z][a-z]{2} )?(\d{4})-\d{2}-\d{2}/.exec(line.length > HEAD ? line.slice(0, HEAD) : line);
  return m ? +m[1] : undefined;
}

function withHostUnit(head: string, at: number, timestamp: LogTimestamp | undefined): LinePrefix {
  const rest = head.slice(at);
  const bare = UNIT_NO_HOST.exec(rest);
  if (bare) return { timestamp, unit: bare[1], pid: +bare[2], messageStart: at + bare[0].length };
  const m = HOST_UNIT.exec(rest);
  if (!m) return { timestamp, messageStart: at };
  return { timestamp, host: m[1], unit: m[2], pid: m[3] === undefined ? undefined : +m[3], messageStart: at + m[0].length };
}

/**
 * syslog and klog leave the year out. A later ISO date on the same line with the same
 * month and day (dockerd's `time="2017-04-04T..."` behind the syslog prefix) supplies it.
 */
function yearlessTime(head: string, ctx: TimestampContext, month: number, day: number, h: number, mi: number, s: number, frac: string | undefined): LogTimestamp | undefined {
  // the line's own full date, if it quotes one (`-11-20` first: a plain search, most lines have none)
  const inner = innerDate(month, day);
  const m = head.includes(inner.needle) ? inner.re.exec(head) : null;
  let year = m ? +m[1] : ctx.year;
  const inferred = m === null;
  let guessed = false;
  if (year === undefined) {
    guessed = true;
    // the year of the collection (of now), or the one before when the date would lie ahead of
    // it: a log does not record the future
    const notAfter = ctx.notAfter ?? Date.now() + DAY_MS;
    year = new Date(notAfter).getUTCFullYear();
    if (Date.UTC(year, month - 1, day, h, mi, s) > notAfter) year--;
    // a Feb 29 needs a leap year; the guess is wrong either way, but must be a date
    for (let i = 0; i < 4 && !validDate(year, month, day); i++) year--;
  }
  const ts = utc(year, month, day, h, mi, s, frac, 0);
  if (!ts) return undefined;
  ts.zoneless = true;
  if (inferred) ts.yearInferred = true;
  if (guessed) ts.yearless = true;
  return ts;
}

const DAY_MS = 24 * 60 * 60 * 1000;

function fullTime(y: number, mo: number, d: number, h: number, mi: number, s: number, frac: string | undefined, zone: string | undefined): LogTimestamp | undefined {
  const offset = zoneOffsetMinutes(zone);
  const ts = utc(y, mo, d, h, mi, s, frac, offset ?? 0);
  if (ts && offset === undefined) ts.zoneless = true;
  return ts;
}

/** Minutes east of UTC, or undefined when the zone is absent or a name other than UTC/GMT. */
function zoneOffsetMinutes(zone: string | undefined): number | undefined {
  if (zone === undefined) return undefined;
  const z = zone.trim();
  if (z === 'Z' || z === 'UTC' || z === 'GMT') return 0;
  const m = /^([+-])(\d{2}):?(\d{2})?$/.exec(z);
  if (!m) return undefined;
  const minutes = +m[2] * 60 + (m[3] ? +m[3] : 0);
  return m[1] === '-' ? -minutes : minutes;
}

function utc(y: number, mo: number, d: number, h: number, mi: number, s: number, frac: string | undefined, offsetMinutes: number): LogTimestamp | undefined {
  if (!validDate(y, mo, d) || h > 23 || mi > 59 || s > 60) return undefined;
  const ms = frac ? Math.floor(Number(`0.${frac}`) * 1000) : 0;
  const epochMs = Date.UTC(y, mo - 1, d, h, mi, s, ms) - offsetMinutes * 60_000;
  if (!Number.isFinite(epochMs)) return undefined;
  // The fields are the UTC time already (no offset, no leap second): written out directly, as
  // toISOString would. A Date per line was a quarter of a log with a million matching lines.
  if (offsetMinutes === 0 && s < 60) return { iso: `${y}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}:${pad(s)}.${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z`, epochMs };
  const ts: LogTimestamp = { iso: new Date(epochMs).toISOString(), epochMs };
  if (offsetMinutes !== 0) ts.offsetMinutes = offsetMinutes;
  return ts;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
function validDate(y: number, mo: number, d: number): boolean {
  if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1) return false;
  const leap = mo === 2 && y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  return d <= DAYS_IN_MONTH[mo - 1] + (leap ? 1 : 0);
}


/**
 * `2026-11-20T` (or a space) for a line's month and day, somewhere in its head: a yearless
 * syslog line quoting its own full date gives its year. One pattern per day of the year, made
 * once: compiling it per line was a third of the time of a log with a million matching lines.
 */
const innerDates = new Map<number, { needle: string; re: RegExp }>();
function innerDate(month: number, day: number): { needle: string; re: RegExp } {
  const key = month * 100 + day;
  let found = innerDates.get(key);
  if (!found) {
    const needle = `-${pad(month)}-${pad(day)}`;
    innerDates.set(key, (found = { needle, re: new RegExp(String.raw`\b(\d{4})${needle}[T ]`) }));
  }
  return found;
}

function leadingBlanks(line: string): number {
  let i = 0;
  while (i <= MAX_INDENT && (line.charCodeAt(i) === 32 || line.charCodeAt(i) === 9)) i++;
  return i;
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function nil(s: string): string | undefined {
  return s === '-' ? undefined : s;
}

/** Lines looked at, and how many of them must start with a timestamp, for looksLikeLog(). */
const SNIFF_LINES = 20;
const SNIFF_SHARE = 0.6;

/**
 * Whether text whose name says nothing (a hand-made bundle's `dockerd.txt`, `kubelet-journal`)
 * is a log: most of its first records start with a timestamp in one of the formats above
 * (indented lines continue a record and are skipped). The last line of `head` may be cut short
 * and is not counted. Command outputs that merely contain dates (`ls -l`, `iptables-save`
 * headers) do not start their lines with them.
 */
export function looksLikeLog(head: string): boolean {
  const lines: string[] = [];
  let pos = 0;
  while (lines.length < SNIFF_LINES) {
    const nl = head.indexOf('\n', pos);
    if (nl < 0) break;
    const line = head.slice(pos, nl);
    pos = nl + 1;
    // indented lines continue a record (stack traces, kubelet's err=<); they carry no time
    if (line.trim() !== '' && !/^\s/.test(line)) lines.push(line);
  }
  if (lines.length === 0) return false;
  let stamped = 0;
  for (const line of lines) if (parseUnindented(line, {}).timestamp !== undefined) stamped++;
  return stamped >= Math.min(3, lines.length) && stamped >= lines.length * SNIFF_SHARE;
}
