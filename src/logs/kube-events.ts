/**
 * Kubernetes events as log lines: `kubectl get events -A -o json` (a List, or an EventList), Replicated
 * troubleshoot's `cluster-resources/events/<namespace>.json` (an EventList whose items carry no `kind`), a bare
 * array of Event objects, or one Event. Both APIs: core/v1 (`message`, `reason`, `involvedObject`, `source`,
 * `lastTimestamp` / `firstTimestamp` / `eventTime`, `count`) and events.k8s.io/v1 (`note`, `regarding`,
 * `deprecatedSource`, `deprecatedLastTimestamp`, `series`, `reportingController` / `reportingInstance`).
 *
 * FailedCreatePodSandBox and NetworkNotReady events carry the CNI plugin's exact error; each event becomes one
 * line in the shape of `journalctl -o short-iso`, which the scanner reads for time, node and writer:
 *
 *   2024-11-17T10:19:47Z node1 kubelet: kube-system/Pod/coredns-x FailedCreatePodSandBox (Warning, x38): <message>
 *
 * and keeps the file's line of the event's `message` (or `note`) field, so that evidence cites the JSON's real line.
 */
import { parseTree, type Node as JsonNode, type ParseError as ParseError_ } from 'jsonc-parser';
import { explainJsonError, LineIndex } from '../model/json-position.js';
import { ParseError } from '../model/source.js';
import { createLogScanner, type LogMatch, type LogScanResult, type LogSignature } from './index.js';

export interface KubeEventLine {
  /** the line the scanner reads */
  text: string;
  /** 1-based line of the file holding the event's message (its `message` / `note` key), else where the event starts */
  line: number;
  /** the node the event was reported from (source.host, the kubelet's reportingInstance, a Node's name) */
  node?: string;
  epochMs?: number;
}

export interface KubeEvents {
  events: KubeEventLine[];
  /** lines of the file */
  lines: number;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

/**
 * Whether a file's start looks like a Kubernetes event list (for a file given on its own, or whose name says nothing).
 * Not the apiserver's audit log: its records are `"kind":"Event"` too, but of audit.k8s.io (a request each, its
 * failure in responseStatus.message), and the log backend writes them as JSON lines, a record a line. JSON lines of
 * any kind (the first value ends on its own line and another follows) are a log, scanned line by line: one
 * document (a List, an array, one Event, compact on one line or pretty-printed) is what parseKubeEvents reads.
 */
export function sniffKubeEvents(head: string): boolean {
  const t = head.replace(/^\uFEFF/, '').trimStart();
  if (t[0] !== '{' && t[0] !== '[') return false;
  // kube-apiserver's audit events (--audit-log-path's JSON lines, or a webhook batch's EventList of them)
  if (/"apiVersion"\s{0,4}:\s{0,4}"audit\.k8s\.io\//.test(t)) return false;
  if (jsonLines(t)) return false;
  if (/"kind"\s{0,4}:\s{0,4}"EventList"/.test(t)) return true;
  // a List or bare array of events: an Event's own fields near the start
  return /"kind"\s{0,4}:\s{0,4}"Event"/.test(t) || (/"(?:involvedObject|regarding)"\s{0,4}:\s{0,4}\{/.test(t) && /"reason"\s{0,4}:/.test(t));
}

/**
 * Whether `t` (starting with `{` or `[`) is JSON lines: its first value ends on its first line and the next
 * non-blank line starts another value. Strings are skipped whole, escapes and all; a value still open at the
 * end of the first line (pretty-printed, or cut short by the head) is one document.
 */
function jsonLines(t: string): boolean {
  let depth = 0;
  for (let i = 0; i < t.length; i++) {
    const c = t[i];
    if (c === '\n') return false;
    if (c === '"') {
      for (i++; i < t.length && t[i] !== '"'; i++) {
        if (t[i] === '\n') return false;
        if (t[i] === '\\') i++;
      }
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) {
        // the first value ends here: JSON lines when only blanks and then a new line with another value follow
        const rest = /^[ \t]*\r?\n\s*([{[])?/.exec(t.slice(i + 1));
        return rest !== null && rest[1] !== undefined;
      }
    }
  }
  return false;
}

/** The events of a file as log lines, in time order (undated ones first). Throws ParseError on text that is no JSON. */
export function parseKubeEvents(text: string, file = 'events.json'): KubeEvents {
  const parser = new JsonReader(text, file);
  const root = parser.document();
  // an EventList with no event: `"items": null` (troubleshoot's, as Go marshals a nil slice) or `[]`
  const emptyList = isObj(root) && /^(?:Event)?List$/.test(String(root.kind ?? '')) && root.items === null;
  const items = Array.isArray(root) ? root : isObj(root) ? (Array.isArray(root.items) ? root.items : emptyList ? [] : isEvent(root) ? [root] : undefined) : undefined;
  if (!items) throw new ParseError('not a Kubernetes event list (no "items", not an array of events)', file, 1);
  const events: KubeEventLine[] = [];
  for (const item of items) {
    if (!isObj(item) || !isEvent(item)) continue;
    events.push(eventLine(item, parser.keyLines.get(item), parser.startLines.get(item) ?? 1));
  }
  const order = events.map((e, i) => ({ e, i }));
  order.sort((a, b) => (a.e.epochMs ?? -Infinity) - (b.e.epochMs ?? -Infinity) || a.i - b.i);
  return { events: order.map((o) => o.e), lines: lineCount(text) };
}

/**
 * Scans a file's events for the log signatures: a LogScanResult of the file, its matches at the lines of the
 * events' messages. `node`, when given, keeps only that node's events (and, with `withUnplaced`, those that name no node).
 */
export function scanKubeEvents(text: string, file: string, options: { node?: string; withUnplaced?: boolean; notAfter?: number; catalog?: readonly LogSignature[] } = {}): LogScanResult {
  const parsed = parseKubeEvents(text, file);
  const chosen = options.node === undefined ? parsed.events : parsed.events.filter((e) => e.node === options.node || (options.withUnplaced === true && e.node === undefined));
  const scanner = createLogScanner(options.catalog, { file, notAfter: options.notAfter });
  // scanner line (1-based) -> file line
  const lineOf: number[] = [0];
  for (const e of chosen) {
    scanner.pushLine(e.text);
    lineOf.push(e.line);
  }
  const r = scanner.end();
  const matches = r.matches.map((m) => {
    const out: LogMatch = { ...m, line: lineOf[m.line] ?? m.line };
    if (m.endLine !== undefined) out.endLine = lineOf[m.endLine] ?? out.line;
    return out;
  });
  return { ...r, lines: parsed.lines, bytes: Buffer.byteLength(text), matches };
}

/** The nodes the events name, for a layout that gives each node its events. */
export function kubeEventNodes(events: KubeEvents): string[] {
  return [...new Set(events.events.flatMap((e) => (e.node === undefined ? [] : [e.node])))].sort();
}

function lineCount(text: string): number {
  if (text.length === 0) return 0;
  let n = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < text.length - 1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

// ---- one event --------------------------------------------------------------------------------

function isObj(v: Json | undefined): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: Json | undefined): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function isEvent(o: Obj): boolean {
  if (o.kind === 'Event') return true;
  return typeof o.reason === 'string' && (isObj(o.involvedObject) || isObj(o.regarding)) && (typeof o.message === 'string' || typeof o.note === 'string');
}

const ISO_ZONED = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;
/** no blanks, brackets or colons: what the scanner's `host unit:` prefix takes */
const token = (s: string) => s.replace(/[\s[\]:]+/g, '_').slice(0, 128);

function eventLine(o: Obj, keys: Map<string, number> | undefined, start: number): KubeEventLine {
  const about = isObj(o.involvedObject) ? o.involvedObject : isObj(o.regarding) ? o.regarding : {};
  const source = isObj(o.source) ? o.source : isObj(o.deprecatedSource) ? o.deprecatedSource : {};
  const series = isObj(o.series) ? o.series : {};
  const meta = isObj(o.metadata) ? o.metadata : {};
  const component = str(source.component) ?? str(o.reportingComponent) ?? str(o.reportingController);
  const kind = str(about.kind);
  // the kubelet reports as its node; other components' reportingInstance is their own name
  const node = str(source.host) ?? (component === 'kubelet' ? str(o.reportingInstance) : undefined) ?? (kind === 'Node' ? str(about.name) : undefined);
  const when = [o.lastTimestamp, series.lastObservedTime, o.deprecatedLastTimestamp, o.eventTime, o.firstTimestamp, o.deprecatedFirstTimestamp, meta.creationTimestamp]
    .map(str)
    .find((t) => t !== undefined && ISO_ZONED.test(t));
  const epoch = when === undefined ? NaN : Date.parse(when);
  const ns = str(about.namespace) ?? str(meta.namespace);
  const object = [ns, kind, str(about.name)].filter((p) => p !== undefined).join('/') || '-';
  const count = typeof o.count === 'number' ? o.count : typeof o.deprecatedCount === 'number' ? o.deprecatedCount : typeof series.count === 'number' ? series.count : undefined;
  const type = str(o.type);
  const notes = [type, count !== undefined && count > 1 ? `x${count}` : undefined].filter((p) => p !== undefined);
  const message = (str(o.message) ?? str(o.note) ?? '').replace(/\r?\n/g, ' ⏎ ');
  const body = `${object} ${str(o.reason) ?? '-'}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}: ${message}`;
  // without a time the line has no prefix the scanner reads: the writer goes unnamed, the body stays
  const text = when === undefined || Number.isNaN(epoch) ? body : `${when} ${token(node ?? '-')} ${token(component ?? 'event')}: ${body}`;
  const line = keys?.get(typeof o.message === 'string' ? 'message' : 'note') ?? start;
  const e: KubeEventLine = { text, line };
  if (node !== undefined) e.node = node;
  if (!Number.isNaN(epoch)) e.epochMs = epoch;
  return e;
}

// ---- JSON with line numbers --------------------------------------------------------------------

const MAX_DEPTH = 200;

/**
 * JSON read with jsonc-parser (strict: no comments, no trailing commas), keeping for each object the line it starts
 * on and the line of each of its keys: the evidence cites the event's own line of the file.
 */
class JsonReader {
  readonly keyLines = new WeakMap<Obj, Map<string, number>>();
  readonly startLines = new WeakMap<Obj, number>();
  private readonly index: LineIndex;

  constructor(
    private readonly s: string,
    private readonly file: string,
  ) {
    this.index = new LineIndex(s);
  }

  document(): Json {
    const text = this.s.charCodeAt(0) === 0xfeff ? ' ' + this.s.slice(1) : this.s;
    if (text.trim() === '') throw new ParseError('not valid JSON: empty file, no JSON', this.file, 1);
    const errors: ParseError_[] = [];
    let tree: JsonNode | undefined;
    try {
      tree = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
    } catch (err) {
      // a stack overflow on absurd nesting: a clear one-line error, not a crash
      if (err instanceof RangeError) throw new ParseError(`not valid JSON: nested deeper than ${MAX_DEPTH} levels`, this.file, 1);
      throw err;
    }
    if (errors.length > 0 || !tree) {
      const e = errors[0];
      const why = e ? explainJsonError(e, text) : undefined;
      throw new ParseError(`not valid JSON: ${why ? why.message : 'no value'}`, this.file, why ? this.lineAt(why.offset) : 1);
    }
    return this.value(tree, 0);
  }

  private lineAt(offset: number): number {
    return this.index.lineAt(offset);
  }

  private value(node: JsonNode, depth: number): Json {
    if (depth > MAX_DEPTH) throw new ParseError(`not valid JSON: nested deeper than ${MAX_DEPTH} levels`, this.file, this.lineAt(node.offset));
    switch (node.type) {
      case 'object': {
        const o: Obj = {};
        const keys = new Map<string, number>();
        this.startLines.set(o, this.lineAt(node.offset));
        this.keyLines.set(o, keys);
        for (const prop of node.children ?? []) {
          const [k, v] = prop.children ?? [];
          if (!k || typeof k.value !== 'string') continue;
          // a plain property even for "__proto__"
          Object.defineProperty(o, k.value, { value: v ? this.value(v, depth + 1) : null, enumerable: true, writable: true, configurable: true });
          keys.set(k.value, this.lineAt(k.offset));
        }
        return o;
      }
      case 'array':
        return (node.children ?? []).map((c) => this.value(c, depth + 1));
      case 'string':
      case 'number':
      case 'boolean':
        return node.value as Json;
      default:
        return null;
    }
  }
}
