/**
 * `nft -j list ruleset` into the same model as the text listing. nft writes it as one line, so
 * every record is at line 1 unless the file was pretty-printed, where each top-level object gets
 * its own line. Rules keep their index in the chain and their handle, which identify them.
 *
 * iptables-nft rules differ between the two forms: the text listing translates compat (xt)
 * expressions back to nft syntax, JSON only names them (`{"xt": {"type": "match", "name":
 * "conntrack"}}`), so a JSON rule can hold less than the same rule read from text.
 */
import { ParseError, SkipFile, type ParseWarning } from '../model/source.js';
import { BARE_META_KEYS, hexNumber, metaKey, normalizeLiteral, normalizeRejectWith, renderExpr, summarizeRule } from './expr.js';
import {
  chosenTablesListing,
  NFT_FAMILIES,
  NFT_HOOKS,
  markIptablesCompat,
  type NftChain,
  type NftExpr,
  type NftFamily,
  type NftHook,
  type NftMap,
  type NftMapEntry,
  type NftNat,
  type NftOp,
  type NftRule,
  type NftRuleset,
  type NftSet,
  type NftTable,
  type NftValue,
  type NftVerdict,
} from './model.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

const FAMILY_SET = new Set<string>(NFT_FAMILIES);
const HOOK_SET = new Set<string>(NFT_HOOKS);
const UNKNOWN_TEXT_MAX = 300;

export function sniffNftJson(head: string): boolean {
  return /^\s*(?:#[^\n]*\n\s*)*\{\s*"nftables"\s*:\s*\[/.test(head);
}

function isObj(x: Json | undefined): x is Obj {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function str(x: Json | undefined): string | undefined {
  return typeof x === 'string' ? x : typeof x === 'number' ? String(x) : undefined;
}

/** The one key of a `{"kind": {...}}` object, as nft's JSON writes every statement. */
function single(x: Json): [string, Json] | undefined {
  if (!isObj(x)) return undefined;
  const keys = Object.keys(x);
  return keys.length === 1 ? [keys[0], x[keys[0]]] : undefined;
}

/** Line of each element of the top-level `nftables` array (pretty-printed files only). */
function elementLines(text: string, count: number): number[] | undefined {
  const start = text.indexOf('"nftables"');
  if (start < 0) return undefined;
  const open = text.indexOf('[', start);
  if (open < 0) return undefined;
  const out: number[] = [];
  let line = 1;
  for (let i = 0; i < open; i++) if (text.charCodeAt(i) === 10) line++;
  let depth = 0;
  let inString = false;
  for (let i = open + 1; i < text.length && out.length < count; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) line++;
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (depth === 0 && c === 123) out.push(line);
      depth++;
    } else if (c === 125 || c === 93) {
      if (depth === 0) break;
      depth--;
    }
  }
  return out.length === count ? out : undefined;
}

export function parseNftJson(text: string, file: string): NftRuleset {
  if (text.slice(0, 8192).includes('\u0000')) throw new SkipFile(file, 'binary data, not nft JSON');
  const ruleset: NftRuleset = { file, format: 'json', tables: [], warnings: [], notices: [] };
  const chosen = chosenTablesListing(text, file);
  if (chosen) ruleset.chosenTables = chosen;
  const warn = (message: string, line?: number) => {
    if (ruleset.warnings.length < 200) ruleset.warnings.push({ file, line, message } satisfies ParseWarning);
  };
  // sosreport merges stderr: nft's "# Warning: ... managed by iptables-nft" lines come first
  let body = text;
  let lineOffset = 0;
  while (/^\s*#/.test(body)) {
    const nl = body.indexOf('\n');
    const first = (nl < 0 ? body : body.slice(0, nl)).trim();
    lineOffset++;
    const ref = { file, line: lineOffset };
    if (/^#\s*Warning:/i.test(first)) {
      ruleset.notices.push({ text: first, ref });
      if (/iptables-legacy tables present/i.test(first)) ruleset.legacyTablesPresent ??= ref;
    }
    body = nl < 0 ? '' : body.slice(nl + 1);
  }
  const looksLikeNft = /^\s*\{\s*"nftables"/.test(body);
  let doc: Json;
  try {
    doc = JSON.parse(body) as Json;
  } catch (e) {
    if (looksLikeNft) throw new ParseError(`nft JSON not readable (truncated?): ${(e as Error).message.slice(0, 120)}`, file);
    throw new SkipFile(file, 'not nft JSON');
  }
  if (!isObj(doc) || !Array.isArray(doc.nftables)) throw new SkipFile(file, 'JSON without an "nftables" array');
  const items = doc.nftables;
  const lineOf = body.indexOf('\n') >= 0 && body.indexOf('\n') < body.trimEnd().length ? elementLines(body, items.length) : undefined;
  const tables = new Map<string, NftTable>();
  const chains = new Map<string, NftChain>();
  for (let idx = 0; idx < items.length; idx++) {
    const entry = single(items[idx]);
    if (!entry || !isObj(entry[1])) continue;
    const [kind, o] = entry;
    const ref = { file, line: lineOffset + (lineOf ? lineOf[idx] : 1) };
    const family = str(o.family);
    const tableName = kind === 'table' ? str(o.name) : str(o.table);
    const handle = typeof o.handle === 'number' ? o.handle : undefined;
    if (kind === 'metainfo') {
      ruleset.nftVersion = str(o.version);
      continue;
    }
    if (family === undefined || tableName === undefined || !FAMILY_SET.has(family)) {
      if (['table', 'chain', 'rule', 'set', 'map'].includes(kind)) warn(`${kind} without a known family/table skipped`, ref.line);
      continue;
    }
    const tkey = `${family} ${tableName}`;
    if (kind === 'table') {
      const table: NftTable = { family: family as NftFamily, name: tableName, chains: [], sets: [], maps: [], ref, iptablesCompat: false };
      if (handle !== undefined) table.handle = handle;
      if (typeof o.comment === 'string') table.comment = o.comment;
      tables.set(tkey, table);
      ruleset.tables.push(table);
      continue;
    }
    const table = tables.get(tkey);
    if (!table) {
      warn(`${kind} of table ${tkey} which is not listed`, ref.line);
      continue;
    }
    const name = str(o.name);
    switch (kind) {
      case 'chain': {
        if (name === undefined) break;
        const chain: NftChain = { name, rules: [], ref };
        if (handle !== undefined) chain.handle = handle;
        const type = str(o.type);
        if (type === 'filter' || type === 'nat' || type === 'route') chain.type = type;
        const hook = str(o.hook);
        if (hook !== undefined && HOOK_SET.has(hook)) chain.hook = hook as NftHook;
        if (typeof o.prio === 'number') chain.priority = o.prio;
        if (o.policy === 'accept' || o.policy === 'drop') chain.policy = o.policy;
        if (typeof o.dev === 'string') chain.device = o.dev;
        else if (Array.isArray(o.dev)) chain.device = o.dev.filter((d): d is string => typeof d === 'string').join(',');
        if (typeof o.comment === 'string') chain.comment = o.comment;
        table.chains.push(chain);
        chains.set(`${tkey} ${name}`, chain);
        break;
      }
      case 'rule': {
        const chainName = str(o.chain);
        const chain = chainName !== undefined ? chains.get(`${tkey} ${chainName}`) : undefined;
        if (!chain || chainName === undefined) {
          warn(`rule of chain ${chainName ?? '?'} which is not listed`, ref.line);
          break;
        }
        const exprs = Array.isArray(o.expr) ? o.expr.map(statement) : [];
        const comment = typeof o.comment === 'string' ? o.comment : undefined;
        const rule: NftRule = {
          table: table.name,
          family: table.family,
          chain: chainName,
          index: chain.rules.length + 1,
          ref,
          text: exprs.map(renderExpr).join(' ') + (comment !== undefined ? ` comment ${JSON.stringify(comment)}` : ''),
          exprs,
        };
        if (handle !== undefined) rule.handle = handle;
        if (comment !== undefined) rule.comment = comment;
        summarizeRule(rule);
        chain.rules.push(rule);
        break;
      }
      case 'set':
      case 'map': {
        if (name === undefined) break;
        const type = Array.isArray(o.type) ? o.type.map((x) => str(x) ?? '?').join(' . ') : str(o.type);
        const flags = Array.isArray(o.flags) ? o.flags.map((x) => str(x) ?? '').filter(Boolean) : typeof o.flags === 'string' ? [o.flags] : [];
        const keyHint = type?.includes('inet_service') ? 'th dport' : type === 'mark' ? 'meta mark' : '';
        const elems = Array.isArray(o.elem) ? o.elem : [];
        if (kind === 'set') {
          const set: NftSet = { name, flags, elements: elems.map((e) => value(keyHint, e) ?? { kind: 'value', value: textOf(e) }), ref };
          if (type !== undefined) set.type = type;
          if (handle !== undefined) set.handle = handle;
          table.sets.push(set);
        } else {
          const map: NftMap = { name, flags, entries: elems.map((e) => mapEntry(keyHint, e)), ref };
          if (type !== undefined) map.type = type;
          const dataType = str(o.map);
          if (dataType !== undefined) map.dataType = dataType;
          if (handle !== undefined) map.handle = handle;
          table.maps.push(map);
        }
        break;
      }
      case 'flowtable': {
        if (name === undefined) break;
        const hook = str(o.hook);
        const devs = Array.isArray(o.dev) ? o.dev : typeof o.dev === 'string' ? [o.dev] : [];
        const ft = { name, devices: devs.map((d) => str(d) ?? '').filter(Boolean), ref } as NonNullable<NftTable['flowtables']>[number];
        if (handle !== undefined) ft.handle = handle;
        if (hook !== undefined && HOOK_SET.has(hook)) ft.hook = hook as NftHook;
        if (typeof o.prio === 'number') ft.priority = o.prio;
        (table.flowtables ??= []).push(ft);
        break;
      }
      default:
        // named counters, quotas, ct helpers, limits: not needed to follow a packet
        break;
    }
  }
  markIptablesCompat(ruleset);
  return ruleset;
}

function textOf(x: Json): string {
  const s = JSON.stringify(x) ?? 'null';
  return s.length > UNKNOWN_TEXT_MAX ? s.slice(0, UNKNOWN_TEXT_MAX - 1) + '…' : s;
}

/** The canonical match key of a JSON left-hand side (same spelling as the text parser's). */
function keyOf(x: Json): string | undefined {
  const s = single(x);
  if (!s) return undefined;
  const [k, v] = s;
  if (k === 'concat' && Array.isArray(v)) {
    const parts = v.map(keyOf);
    return parts.every((p) => p !== undefined) ? parts.join(' . ') : undefined;
  }
  if (!isObj(v)) return undefined;
  switch (k) {
    case 'meta':
      return typeof v.key === 'string' ? metaKey(v.key) : undefined;
    case 'payload':
      if (typeof v.protocol === 'string' && typeof v.field === 'string') return `${v.protocol} ${v.field}`;
      if (typeof v.base === 'string') return `@${v.base},${str(v.offset) ?? '?'},${str(v.len) ?? '?'}`;
      return undefined;
    case 'ct': {
      if (typeof v.key !== 'string') return undefined;
      const parts = ['ct'];
      if (typeof v.dir === 'string') parts.push(v.dir);
      if (typeof v.family === 'string') parts.push(v.family);
      parts.push(v.key);
      return parts.join(' ');
    }
    case 'fib': {
      const flags = Array.isArray(v.flags) ? v.flags.map((f) => str(f) ?? '?') : typeof v.flags === 'string' ? [v.flags] : [];
      return typeof v.result === 'string' ? `fib ${flags.join(' . ')} ${v.result}` : undefined;
    }
    case 'rt':
      return typeof v.key === 'string' ? `rt ${typeof v.family === 'string' ? v.family + ' ' : ''}${v.key}` : undefined;
    case 'socket':
      return typeof v.key === 'string' ? `socket ${v.key}` : undefined;
    default:
      return undefined;
  }
}

function value(key: string, x: Json): NftValue | undefined {
  if (typeof x === 'string') return x.startsWith('@') ? { kind: 'setRef', name: x.slice(1) } : { kind: 'value', value: normalizeLiteral(key, x) };
  if (typeof x === 'number') return { kind: 'value', value: normalizeLiteral(key, String(x)) };
  if (typeof x === 'boolean') return { kind: 'value', value: x ? 'exists' : 'missing' };
  if (Array.isArray(x)) {
    const elements = x.map((e) => value(key, e));
    return elements.every((e) => e !== undefined) ? { kind: 'set', elements: elements as NftValue[] } : undefined;
  }
  const s = single(x);
  if (!s) return undefined;
  const [k, v] = s;
  if (k === 'set') {
    const list = Array.isArray(v) ? v : [v];
    const elements = list.map((e) => value(key, e));
    return elements.every((e) => e !== undefined) ? { kind: 'set', elements: elements as NftValue[] } : undefined;
  }
  if (k === 'range' && Array.isArray(v) && v.length === 2) {
    const a = value(key, v[0]);
    const b = value(key, v[1]);
    if (a?.kind === 'value' && b?.kind === 'value') return { kind: 'range', from: a.value, to: b.value };
    return undefined;
  }
  if (k === 'prefix' && isObj(v)) return { kind: 'value', value: `${str(v.addr) ?? '?'}/${str(v.len) ?? '?'}` };
  if (k === 'elem' && isObj(v)) return value(key, v.val);
  if (k === 'concat' && Array.isArray(v)) {
    const parts = v.map((p) => value('', p));
    if (parts.every((p) => p?.kind === 'value')) return { kind: 'value', value: parts.map((p) => (p as { value: string }).value).join(' . ') };
  }
  return undefined;
}

function mapEntry(keyHint: string, e: Json): NftMapEntry {
  if (Array.isArray(e) && e.length === 2) {
    const key = value(keyHint, e[0]) ?? { kind: 'value', value: textOf(e[0]) };
    const v = verdict(e[1]);
    if (v) return { key, verdict: v };
    return { key, value: value('', e[1]) ?? { kind: 'value', value: textOf(e[1]) } };
  }
  return { key: value(keyHint, e) ?? { kind: 'value', value: textOf(e) } };
}

function verdict(x: Json): NftVerdict | undefined {
  const s = single(x);
  if (!s) return undefined;
  const [k, v] = s;
  if (k === 'accept' || k === 'drop' || k === 'continue' || k === 'return') return { kind: k };
  if ((k === 'jump' || k === 'goto') && isObj(v) && typeof v.target === 'string') return { kind: k, target: v.target };
  return undefined;
}

const OPS: Record<string, NftOp> = { '==': '==', in: '==', '!=': '!=', '<': '<', '>': '>', '<=': '<=', '>=': '>=' };
const BINOPS: Record<string, string> = { '&': 'and', '|': 'or', '^': 'xor', '<<': '<<', '>>': '>>' };

/** A JSON expression as nft text, for `set` statements and NAT addresses from maps. */
function exprText(x: Json, markish: boolean): string {
  if (typeof x === 'number') return markish ? hexNumber(x) : String(x);
  if (typeof x === 'string') return x;
  const s = single(x);
  if (!s) return textOf(x);
  const [k, v] = s;
  if (Object.prototype.hasOwnProperty.call(BINOPS, k) && Array.isArray(v) && v.length === 2) return `${exprText(v[0], markish)} ${BINOPS[k]} ${exprText(v[1], markish)}`;
  if (k === 'meta' && isObj(v) && typeof v.key === 'string') return BARE_META_KEYS.has(v.key) ? v.key : `meta ${v.key}`;
  if (k === 'map' && isObj(v)) return `${keyOf(v.key) ?? textOf(v.key)} map ${typeof v.data === 'string' ? v.data : textOf(v.data)}`;
  if (k === 'range' && Array.isArray(v) && v.length === 2) return `${exprText(v[0], markish)}-${exprText(v[1], markish)}`;
  return keyOf(x) ?? textOf(x);
}

function nat(kind: NftNat['kind'], v: Json): NftNat {
  const n: NftNat = { kind };
  if (!isObj(v)) return n;
  if (v.family === 'ip' || v.family === 'ip6') n.family = v.family;
  if (v.addr !== undefined) n.to = typeof v.addr === 'string' ? v.addr : exprText(v.addr, false);
  if (v.port !== undefined) n.ports = exprText(v.port, false);
  const flags = Array.isArray(v.flags) ? v.flags : typeof v.flags === 'string' ? [v.flags] : [];
  if (flags.length) n.flags = flags.map((f) => str(f) ?? '');
  return n;
}

/** One JSON statement to an expression; what is not modelled is kept as text. */
function statement(x: Json): NftExpr {
  const s = single(x);
  if (!s) return { kind: 'unknown', text: textOf(x) };
  const [k, v] = s;
  const vd = verdict(x);
  if (vd) return { kind: 'verdict', verdict: vd };
  switch (k) {
    case 'match': {
      if (!isObj(v)) break;
      let left = v.left;
      let mask: string | undefined;
      const bin = single(left);
      let key: string | undefined;
      if (bin && bin[0] === '&' && Array.isArray(bin[1]) && bin[1].length === 2) {
        key = keyOf(bin[1][0]);
        left = bin[1][0];
        const m = bin[1][1];
        if (key !== undefined) mask = typeof m === 'number' && key.endsWith('mark') ? hexNumber(m) : exprText(m, key.endsWith('mark'));
      } else key = keyOf(left);
      const op = typeof v.op === 'string' && Object.prototype.hasOwnProperty.call(OPS, v.op) ? OPS[v.op] : undefined;
      const val = key !== undefined ? value(key, v.right) : undefined;
      if (key === undefined || op === undefined || val === undefined) break;
      const e: NftExpr = { kind: 'match', key, op, value: val };
      if (mask !== undefined) e.mask = mask;
      return e;
    }
    case 'vmap': {
      if (!isObj(v)) break;
      const key = keyOf(v.key);
      if (key === undefined) break;
      if (typeof v.data === 'string' && v.data.startsWith('@')) return { kind: 'vmap', key, setRef: v.data.slice(1) };
      const d = single(v.data);
      if (d && d[0] === 'set' && Array.isArray(d[1])) {
        const entries = d[1].map((e) => mapEntry(key, e)).filter((e): e is { key: NftValue; verdict: NftVerdict } => e.verdict !== undefined);
        return { kind: 'vmap', key, entries };
      }
      break;
    }
    case 'reject': {
      if (!isObj(v)) return { kind: 'verdict', verdict: { kind: 'reject' } };
      const parts = [str(v.type), str(v.expr)].filter((p): p is string => p !== undefined);
      const rejectWith = normalizeRejectWith(parts.flatMap((p) => p.split(' ')));
      return { kind: 'verdict', verdict: rejectWith ? { kind: 'reject', rejectWith } : { kind: 'reject' } };
    }
    case 'queue': {
      const target = isObj(v) ? (str(v.num) ?? (v.num !== undefined ? exprText(v.num, false) : undefined)) : undefined;
      return { kind: 'verdict', verdict: target !== undefined ? { kind: 'queue', target } : { kind: 'queue' } };
    }
    case 'counter':
      if (typeof v === 'string') return { kind: 'counter', name: v };
      if (isObj(v) && typeof v.packets === 'number') return { kind: 'counter', packets: v.packets, bytes: typeof v.bytes === 'number' ? v.bytes : 0 };
      return { kind: 'counter' };
    case 'log': {
      const e: Extract<NftExpr, { kind: 'log' }> = { kind: 'log' };
      if (isObj(v)) {
        if (typeof v.prefix === 'string') e.prefix = v.prefix;
        if (typeof v.level === 'string') e.level = v.level;
        if (typeof v.group === 'number') e.group = v.group;
      }
      return e;
    }
    case 'limit': {
      if (!isObj(v) || typeof v.rate !== 'number') break;
      const e: Extract<NftExpr, { kind: 'limit' }> = { kind: 'limit', rate: v.rate, per: str(v.per) ?? 'second' };
      const unit = str(v.rate_unit);
      if (unit !== undefined && unit !== 'packets') e.unit = unit;
      if (v.inv === true) e.over = true;
      // the text listing leaves out the default burst (5 packets, 0 bytes): so does the model
      if (typeof v.burst === 'number' && v.burst !== (e.unit ? 0 : 5)) e.burst = v.burst;
      return e;
    }
    case 'dnat':
    case 'snat':
    case 'masquerade':
    case 'redirect':
      return { kind: 'nat', nat: nat(k, v) };
    case 'mangle': {
      if (!isObj(v)) break;
      const key = keyOf(v.key);
      if (key === undefined) break;
      return { kind: 'mangle', key, value: exprText(v.value, key.endsWith('mark')) };
    }
    case 'xt':
      if (isObj(v) && (v.type === 'match' || v.type === 'target') && typeof v.name === 'string') return { kind: 'xt', xtType: v.type, name: v.name };
      break;
  }
  return { kind: 'unknown', text: textOf(x) };
}
