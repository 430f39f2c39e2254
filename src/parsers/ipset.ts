/**
 * ipset listings: `ipset list` (all sets, or `ipset list NAME`), `ipset list -t` (headers only: the
 * members are not known), `ipset save` / `ipset -S`, `ipset -L`, in ipset 6.x and 7.x shapes (7.x adds
 * `Number of entries`, `bucketsize`, `initval`; very old 4.x listings name types like `iphash` and are
 * kept as sets of a type nobody models). Every set and member keeps its file and line.
 *
 * A set knows whether its member list is complete: a header-only listing has none, and a listing
 * whose `Number of entries` is more than the members that follow it was cut (a truncated file).
 * Lines that belong to no set (a file cut at its top) are skipped with a warning.
 */
import { SkipFile, excerpt, lines, type ParseWarning, type SourceRef } from '../model/source.js';

export interface IpsetMember {
  /** the element as listed: `10.96.0.1,tcp:443`, `10.0.0.0/8`, `30080`, `web` (list:set) */
  element: string;
  /** `nomatch`: the entry excludes what it covers (hash:net* types) */
  nomatch: boolean;
  /** hash:net,iface `wildcard`: the interface name is a prefix */
  wildcard?: boolean;
  /** seconds left when listed (0: permanent) */
  timeout?: number;
  packets?: number;
  bytes?: number;
  comment?: string;
  /** other per-member options as listed (skbmark, skbprio, skbqueue, before/after ...) */
  options?: Record<string, string>;
  ref: SourceRef;
}

export interface IpsetHeader {
  family?: 'inet' | 'inet6';
  hashsize?: number;
  maxelem?: number;
  /** default timeout of a set created with timeout support */
  timeout?: number;
  counters?: boolean;
  comment?: boolean;
  skbinfo?: boolean;
  forceadd?: boolean;
  netmask?: number;
  bucketsize?: number;
  initval?: string;
  /** bitmap:* range (`0-65535`, `10.0.0.0-10.0.255.255`, `10.0.0.0/16`) */
  range?: string;
  /** list:set size */
  size?: number;
  markmask?: string;
  /** every option as listed, known or not */
  raw: Record<string, string | true>;
}

export interface IpsetSet {
  name: string;
  /** `hash:ip,port`, `bitmap:port`, `list:set`, ... (an old 4.x name like `iphash` as listed) */
  type: string;
  revision?: number;
  header: IpsetHeader;
  sizeInMemory?: number;
  references?: number;
  /** `Number of entries` (ipset 7.x listings) */
  entries?: number;
  /** undefined when the listing has no member list (`ipset list -t`, a header cut off before `Members:`) */
  members?: IpsetMember[];
  /** the member list is all the set held when listed: not header-only, not cut */
  complete: boolean;
  /** why it is not complete */
  incomplete?: string;
  ref: SourceRef;
  /** the line as listed (`Name: X` or `create X ...`) */
  excerpt: string;
}

export interface IpsetList {
  file: string;
  format: 'list' | 'save';
  sets: IpsetSet[];
  /** a saved configuration (/etc/sysconfig/ipset, ipset-persistent's file), not the live sets */
  savedConfig?: boolean;
  warnings: ParseWarning[];
}

/** Longest line read as an entry; anything longer is no ipset output. */
const MAX_LINE = 4096;
const HEADER_FIELDS = /^(Name|Type|Revision|Header|Size in memory|References|Number of entries|Members|Default binding|Bindings):\s?(.*)$/;

export function parseIpset(text: string, file: string, opts: { savedConfig?: boolean } = {}): IpsetList {
  const all = lines(text);
  const format = /^\s*(create|add|-N|-A)\s+\S+/m.test(text.slice(0, 65536)) && !/^Name: \S/m.test(text.slice(0, 65536)) ? 'save' : 'list';
  const out = format === 'save' ? parseSave(all, file) : parseList(all, file);
  if (out.sets.length === 0) throw new SkipFile(file, 'no ipset sets');
  // a file that ends mid-line was cut: its last line may be half a member, and more may have followed
  if (text.length > 0 && !text.endsWith('\n')) {
    const lastWords = tokens(all[all.length - 1] ?? '');
    const last = format === 'save' ? (/^(add|-A|a)$/.test(lastWords[0] ?? '') ? out.sets.find((s) => s.name === lastWords[1]) : undefined) : out.sets.at(-1);
    if (last?.members && !(last.entries !== undefined && last.members.length === last.entries)) {
      last.complete = false;
      last.incomplete = 'the file ends in the middle of its member list (cut)';
    }
  }
  return opts.savedConfig ? { ...out, savedConfig: true } : out;
}

function parseList(all: string[], file: string): IpsetList {
  const sets: IpsetSet[] = [];
  const warnings: ParseWarning[] = [];
  let cur: IpsetSet | undefined;
  let inMembers = false;
  let orphans = 0;
  const finish = () => {
    if (!cur) return;
    settle(cur);
    sets.push(cur);
    cur = undefined;
    inMembers = false;
  };
  for (let i = 0; i < all.length; i++) {
    const raw = all[i];
    const ref = { file, line: i + 1 };
    if (raw.length > MAX_LINE) {
      warnings.push({ file, line: i + 1, message: `line of ${raw.length} characters skipped` });
      continue;
    }
    const line = raw.trim();
    if (line === '') {
      // sets are separated by a blank line; a blank line inside the member list ends it too
      if (inMembers) inMembers = false;
      continue;
    }
    const field = HEADER_FIELDS.exec(line);
    if (field && (field[1] === 'Name' || cur)) {
      const [, key, value] = field;
      if (key === 'Name') {
        finish();
        cur = { name: value.trim(), type: '', header: { raw: {} }, complete: false, ref, excerpt: excerpt(raw) };
        continue;
      }
      if (!cur) continue;
      if (inMembers && key !== 'Bindings' && key !== 'Default binding') {
        // `Type:` etc. after members without a blank line and Name: is no member either
        inMembers = false;
      }
      if (key === 'Type') cur.type = value.trim();
      else if (key === 'Revision') cur.revision = int(value);
      else if (key === 'Header') cur.header = parseHeader(value);
      else if (key === 'Size in memory') cur.sizeInMemory = int(value);
      else if (key === 'References') cur.references = int(value);
      else if (key === 'Number of entries') cur.entries = int(value);
      else if (key === 'Members') {
        cur.members = [];
        inMembers = true;
      } else inMembers = false;
      continue;
    }
    if (inMembers && cur?.members) {
      const m = parseMember(tokens(line), ref);
      if (m) cur.members.push(m);
      else warnings.push({ file, line: i + 1, message: `not an ipset member: ${excerpt(line, 80)}` });
      continue;
    }
    if (!cur) orphans++;
    else warnings.push({ file, line: i + 1, message: `unexpected line in set ${cur.name}: ${excerpt(line, 80)}` });
  }
  finish();
  if (orphans > 0) warnings.push({ file, message: `${orphans} line(s) before the first set (a file cut at its top?) skipped` });
  return { file, format: 'list', sets, warnings };
}

function parseSave(all: string[], file: string): IpsetList {
  const byName = new Map<string, IpsetSet>();
  const warnings: ParseWarning[] = [];
  let orphans = 0;
  for (let i = 0; i < all.length; i++) {
    const raw = all[i];
    if (raw.length > MAX_LINE) {
      warnings.push({ file, line: i + 1, message: `line of ${raw.length} characters skipped` });
      continue;
    }
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line === 'COMMIT') continue;
    const ref = { file, line: i + 1 };
    const w = tokens(line);
    const cmd = w[0];
    // ipset 6/7 write create/add; restore files written by hand may use -N/-A and -exist / -!
    const args = w.slice(1).filter((t) => t !== '-exist' && t !== '-!');
    if ((cmd === 'create' || cmd === '-N' || cmd === 'n') && args.length >= 2) {
      const set: IpsetSet = { name: args[0], type: args[1], header: parseHeader(args.slice(2).join(' ')), members: [], complete: true, ref, excerpt: excerpt(raw) };
      if (byName.has(set.name)) warnings.push({ file, line: i + 1, message: `set ${set.name} created twice; the later one kept` });
      byName.set(set.name, set);
    } else if ((cmd === 'add' || cmd === '-A' || cmd === 'a') && args.length >= 2) {
      const set = byName.get(args[0]);
      if (!set) {
        orphans++;
        continue;
      }
      const m = parseMember(args.slice(1), ref);
      if (m) set.members!.push(m);
      else warnings.push({ file, line: i + 1, message: `not an ipset member: ${excerpt(line, 80)}` });
    } else if (cmd === 'flush' || cmd === '-F') {
      const set = args[0] ? byName.get(args[0]) : undefined;
      if (set) set.members = [];
      else if (!args[0]) for (const s of byName.values()) s.members = [];
    } else if (cmd === 'destroy' || cmd === '-X') {
      if (args[0]) byName.delete(args[0]);
      else byName.clear();
    } else warnings.push({ file, line: i + 1, message: `not an ipset save line: ${excerpt(line, 80)}` });
  }
  if (orphans > 0) warnings.push({ file, message: `${orphans} add line(s) for a set not created in this file skipped` });
  const sets = [...byName.values()];
  return { file, format: 'save', sets, warnings };
}

/** Decides whether a listed set's member list is complete. */
function settle(set: IpsetSet): void {
  if (!set.members) {
    set.complete = false;
    set.incomplete = 'headers only (ipset list -t, or the listing was cut before its members)';
    return;
  }
  if (set.entries !== undefined && set.members.length < set.entries) {
    // a timeout set counts entries that expired but were not yet collected: fewer members is normal there
    if (set.header.timeout === undefined) {
      set.complete = false;
      set.incomplete = `${set.members.length} of ${set.entries} members listed (the listing was cut)`;
      return;
    }
  }
  set.complete = true;
}

const FLAGS = new Set(['counters', 'comment', 'skbinfo', 'forceadd', 'nomatch', 'wildcard']);

function parseHeader(text: string): IpsetHeader {
  const h: IpsetHeader = { raw: {} };
  const w = tokens(text);
  for (let i = 0; i < w.length; i++) {
    // ipset 4.x headers: `hashsize: 1024 probes: 8`
    const key = w[i].replace(/:$/, '');
    if (FLAGS.has(key) || i + 1 >= w.length) {
      h.raw[key] = true;
      continue;
    }
    const value = w[++i];
    h.raw[key] = value;
  }
  const r = h.raw;
  if (r.family === 'inet' || r.family === 'inet6') h.family = r.family;
  const num = (k: string) => (typeof r[k] === 'string' && /^\d+$/.test(r[k] as string) ? Number(r[k]) : undefined);
  h.hashsize = num('hashsize');
  h.maxelem = num('maxelem');
  h.timeout = num('timeout');
  h.netmask = num('netmask');
  h.bucketsize = num('bucketsize');
  h.size = num('size');
  if (typeof r.initval === 'string') h.initval = r.initval;
  if (typeof r.range === 'string') h.range = r.range;
  if (typeof r.markmask === 'string') h.markmask = r.markmask;
  if (r.counters) h.counters = true;
  if (r.comment) h.comment = true;
  if (r.skbinfo) h.skbinfo = true;
  if (r.forceadd) h.forceadd = true;
  for (const k of Object.keys(h) as (keyof IpsetHeader)[]) if (h[k] === undefined) delete h[k];
  return h;
}

/** `10.1.0.0/16 nomatch packets 0 bytes 0 comment "but not this"` */
function parseMember(w: string[], ref: SourceRef): IpsetMember | undefined {
  const element = w[0];
  if (!element || !/^[\w.:/,\-[\]%]+$/.test(element)) return undefined;
  const m: IpsetMember = { element, nomatch: false, ref };
  for (let i = 1; i < w.length; i++) {
    const k = w[i];
    if (k === 'nomatch') m.nomatch = true;
    else if (k === 'wildcard') m.wildcard = true;
    else if (i + 1 < w.length) {
      const v = w[++i];
      if (k === 'timeout' && /^\d+$/.test(v)) m.timeout = Number(v);
      else if (k === 'packets' && /^\d+$/.test(v)) m.packets = Number(v);
      else if (k === 'bytes' && /^\d+$/.test(v)) m.bytes = Number(v);
      else if (k === 'comment') m.comment = v;
      else (m.options ??= {})[k] = v;
    } else (m.options ??= {})[k] = '';
  }
  return m;
}

/** Words, a double-quoted string (a comment) as one word without its quotes. */
function tokens(line: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"?|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out.push(m[1] ?? m[2]);
  return out;
}

function int(v: string): number | undefined {
  const t = v.trim();
  return /^\d+$/.test(t) ? Number(t) : undefined;
}

/** `ipset list` (`Name: X` then `Type: ...`) or `ipset save` (`create X hash:...`) output. */
export function sniffIpset(head: string): boolean {
  return /^Name: \S+\r?\nType: (hash|bitmap|list):\S+/m.test(head) || /^create \S+ (hash|bitmap|list):[a-z,]+\b/m.test(head);
}
