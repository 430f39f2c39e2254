/**
 * `nft list ruleset` and `nft -a list ruleset` (`# handle N` suffixes), as sosreport captures
 * them (stderr merged: nft's `# Warning: table ip filter is managed by iptables-nft` lines sit
 * before their table) and as hand-written `nft -f` files are laid out. One pass over the lines
 * with a hand tokenizer; statements end at a newline or `;` unless a `{` is open, so sets and
 * maps whose elements span lines read as one statement.
 */
import { ParseError, SkipFile, lines as splitLines, type ParseWarning, type SourceRef } from '../model/source.js';
import {
  BARE_META_KEYS,
  CT_KEYS,
  META_KEYS,
  PAYLOAD_FIELDS,
  hexNumber,
  isVerdictWord,
  literalValue,
  metaKey,
  normalizeRejectWith,
  splitNatTarget,
  summarizeRule,
  unquote,
} from './expr.js';
import {
  chosenTablesListing,
  NFT_FAMILIES,
  NFT_HOOKS,
  markIptablesCompat,
  resolvePriority,
  type NftChain,
  type NftExpr,
  type NftFamily,
  type NftFlowtable,
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
import { sniffNftChainFragment, wrapNftChainFragment } from './fragment.js';

/** Longer lines are skipped with a warning: no real listing comes near it. */
const MAX_LINE = 1 << 20;
/** A rule's kept text; the expressions hold everything. */
const MAX_RULE_TEXT = 4096;

type Block =
  | { kind: 'root' }
  | { kind: 'table'; table: NftTable }
  | { kind: 'chain'; table: NftTable; chain: NftChain }
  | { kind: 'set'; table: NftTable; set: NftSet }
  | { kind: 'map'; table: NftTable; map: NftMap }
  | { kind: 'flowtable'; table: NftTable; flowtable: NftFlowtable }
  /** named counters, quotas, ct helpers...: read past */
  | { kind: 'other'; ref: SourceRef };

interface Statement {
  toks: string[];
  line: number;
  col: number;
  endLine: number;
  endCol: number;
}

const TABLE_OBJECTS = new Set(['chain', 'set', 'map', 'flowtable', 'counter', 'quota', 'limit', 'secmark', 'synproxy', 'ct', 'tunnel']);
const FAMILY_SET = new Set<string>(NFT_FAMILIES);
const HOOK_SET = new Set<string>(NFT_HOOKS);

export function sniffNftText(head: string): boolean {
  // a table header at a line start, possibly after iptables-nft warnings
  return /^table\s+(?:(?:ip|ip6|inet|bridge|arp|netdev)\s+)?\S+\s*\{/m.test(head) || sniffNftChainFragment(head);
}

export function parseNftText(text: string, file: string): NftRuleset {
  if (text.slice(0, 8192).includes('\u0000')) throw new SkipFile(file, 'binary data, not an nft listing');
  const ruleset: NftRuleset = { file, format: 'text', tables: [], warnings: [], notices: [] };
  const chosen = chosenTablesListing(text, file);
  if (chosen) ruleset.chosenTables = chosen;
  const warn = (message: string, line?: number) => {
    if (ruleset.warnings.length < 200) ruleset.warnings.push({ file, line, message } satisfies ParseWarning);
  };
  // a chain pasted without its `table ... {` line (tailscale/tailscale#12070): wrapped in its table, lines kept
  const fragment = wrapNftChainFragment(text);
  if (fragment) {
    text = fragment.text;
    // a few chains, not the ruleset (as for `nft list chain`)
    ruleset.chosenTables ??= { file, line: fragment.tables[0].line };
    for (const t of fragment.tables) warn(`chain ${t.chain} is listed without its table: read as in table ${t.family} ${t.name} (${t.reason})`, t.line);
  }
  const src = splitLines(text);
  const stack: Block[] = [{ kind: 'root' }];
  let pending: Statement | undefined;
  let depth = 0;
  let ignoredTopLevel = 0;
  /** the table, chain, set or rule most recently made on the current line: `# handle N` is its */
  let lastOnLine: { handle?: number } | undefined;

  const sliceText = (s: Statement): string => {
    if (s.line === s.endLine) return src[s.line - 1].slice(s.col, s.endCol);
    const parts: string[] = [src[s.line - 1].slice(s.col).trim()];
    for (let l = s.line + 1; l < s.endLine && parts.length < 200; l++) parts.push(src[l - 1].trim());
    parts.push(src[s.endLine - 1].slice(0, s.endCol).trim());
    const joined = parts.join(' ');
    return joined.length > MAX_RULE_TEXT ? joined.slice(0, MAX_RULE_TEXT - 1) + '…' : joined;
  };

  const flush = () => {
    const s = pending;
    pending = undefined;
    depth = 0;
    if (!s || s.toks.length === 0) return;
    const top = stack[stack.length - 1];
    const made = handleStatement(top, s, file, sliceText, warn);
    if (made) lastOnLine = made;
    else if (top.kind === 'root' && !/^(?:flush|define|include)$/.test(s.toks[0])) {
      ignoredTopLevel++;
      warn(`statement outside any table ignored: ${s.toks.slice(0, 6).join(' ')}`, s.line);
    }
  };

  const openBlock = (s: Statement) => {
    const top = stack[stack.length - 1];
    const ref = { file, line: s.line };
    const t = s.toks;
    if (top.kind === 'root') {
      let family: string = 'ip';
      let name: string | undefined;
      if (t.length >= 3) {
        family = t[1];
        name = unquote(t[2]);
      } else if (t.length === 2) name = unquote(t[1]);
      if (!name || !FAMILY_SET.has(family)) {
        warn(`table header not understood: ${t.join(' ')}`, s.line);
        stack.push({ kind: 'other', ref });
        return;
      }
      const table: NftTable = { family: family as NftFamily, name, chains: [], sets: [], maps: [], ref, iptablesCompat: false };
      ruleset.tables.push(table);
      stack.push({ kind: 'table', table });
      lastOnLine = table;
      return;
    }
    if (top.kind === 'table' && t.length >= 2) {
      const name = unquote(t[1]);
      const table = top.table;
      let opened: Block | undefined;
      let made: { handle?: number } | undefined;
      if (t[0] === 'chain') {
        const chain: NftChain = { name, rules: [], ref };
        made = chain;
        table.chains.push(chain);
        opened = { kind: 'chain', table, chain };
      } else if (t[0] === 'set') {
        const set: NftSet = { name, flags: [], elements: [], ref };
        made = set;
        table.sets.push(set);
        opened = { kind: 'set', table, set };
      } else if (t[0] === 'map') {
        const map: NftMap = { name, flags: [], entries: [], ref };
        made = map;
        table.maps.push(map);
        opened = { kind: 'map', table, map };
      } else if (t[0] === 'flowtable') {
        const flowtable: NftFlowtable = { name, devices: [], ref };
        made = flowtable;
        (table.flowtables ??= []).push(flowtable);
        opened = { kind: 'flowtable', table, flowtable };
      }
      if (opened) {
        stack.push(opened);
        lastOnLine = made;
        return;
      }
    }
    stack.push({ kind: 'other', ref });
  };

  /**
   * `chain X {` inside a chain, or `table ...{` inside a table, means a `}` went missing (a
   * truncated or hand-edited file): close what is open rather than read the rest as rules.
   */
  const recoverMissingBraces = (s: Statement) => {
    const w = s.toks[0];
    const top = stack[stack.length - 1];
    if (w === 'table' && stack.length > 1) {
      warn(`'}' missing before this table: ${stack.length - 1} block(s) closed`, s.line);
      stack.length = 1;
    } else if (TABLE_OBJECTS.has(w) && w !== 'ct' && w !== 'counter' && w !== 'limit' && (top.kind === 'chain' || top.kind === 'set' || top.kind === 'map' || top.kind === 'flowtable') && s.toks.length === 2) {
      warn(`'}' missing before this ${w}: the open ${top.kind} is closed`, s.line);
      stack.pop();
    }
  };

  const isBlockHeader = (s: Statement): boolean => {
    const top = stack[stack.length - 1];
    if (top.kind === 'root') return s.toks[0] === 'table';
    if (top.kind === 'table') return TABLE_OBJECTS.has(s.toks[0]);
    return false;
  };

  for (let li = 0; li < src.length; li++) {
    const line = src[li];
    const lineNo = li + 1;
    lastOnLine = undefined;
    if (line.length > MAX_LINE) {
      warn(`line of ${line.length} characters skipped`, lineNo);
      continue;
    }
    const n = line.length;
    let i = 0;
    let first = true;
    let comment: string | undefined;
    while (i < n) {
      const c = line.charCodeAt(i);
      if (c === 32 || c === 9 || c === 13) {
        i++;
        continue;
      }
      if (c === 35 /* # */) {
        // nft before 1.0.6 (without libxtables) prints an iptables-nft match or target it cannot translate as
        // `# xt_NAME` inside the rule: a part of the rule, read as `xt match|target NAME`, not a comment
        const xt = xtCommentAt(line, i, stack[stack.length - 1].kind === 'chain', pending !== undefined && pending.toks.length > 0);
        if (xt) {
          if (!pending) pending = { toks: [], line: lineNo, col: i, endLine: lineNo, endCol: xt.end };
          pending.toks.push('xt', xt.type, xt.name);
          pending.endLine = lineNo;
          pending.endCol = xt.end;
          i = xt.end;
          first = false;
          continue;
        }
        comment = line.slice(i);
        break;
      }
      const start = i;
      if (c === 123 || c === 125 || c === 44 || c === 59) i++;
      else if (c === 34) {
        i++;
        while (i < n) {
          const d = line.charCodeAt(i);
          if (d === 92) i += 2;
          else if (d === 34) {
            i++;
            break;
          } else i++;
        }
        if (i > n) i = n;
      } else {
        while (i < n) {
          const d = line.charCodeAt(i);
          if (d === 32 || d === 9 || d === 13 || d === 123 || d === 125 || d === 44 || d === 59 || d === 34 || d === 35) break;
          i++;
        }
      }
      const tok = line.slice(start, i);
      // an unclosed `{` in a rule must not swallow the tables after it
      if (first && depth > 0 && (tok === 'table' || tok === 'chain') && pending) {
        warn(`unbalanced '{' in the statement at line ${pending.line}: statement dropped`, pending.line);
        pending = undefined;
        depth = 0;
      }
      first = false;
      if (depth === 0) {
        if (tok === ';') {
          flush();
          continue;
        }
        if (tok === '}') {
          flush();
          if (stack.length > 1) stack.pop();
          else warn("'}' without a matching '{'", lineNo);
          continue;
        }
        if (tok === '{' && pending) recoverMissingBraces(pending);
        if (tok === '{' && pending && isBlockHeader(pending)) {
          const header = pending;
          pending = undefined;
          openBlock(header);
          continue;
        }
      }
      if (!pending) pending = { toks: [], line: lineNo, col: start, endLine: lineNo, endCol: i };
      pending.toks.push(tok);
      pending.endLine = lineNo;
      pending.endCol = i;
      if (tok === '{') depth++;
      else if (tok === '}') depth--;
    }
    if (depth === 0) flush();
    if (comment !== undefined) {
      const h = /^#\s*handle\s+(\d+)/.exec(comment);
      // assigned inside flush()/openBlock(): TypeScript's narrowing cannot see it
      const owner = lastOnLine as { handle?: number } | undefined;
      if (h && owner) owner.handle = Number(h[1]);
      else if (first && /^#\s*Warning:/i.test(comment)) {
        const ref = { file, line: lineNo };
        const noticeText = comment.trim();
        ruleset.notices.push({ text: noticeText, ref });
        if (/iptables-legacy tables present/i.test(noticeText)) ruleset.legacyTablesPresent ??= ref;
      }
    }
  }
  if (pending && depth > 0) warn(`unbalanced '{' in the statement at line ${pending.line}: statement dropped`, pending.line);
  for (let k = stack.length - 1; k > 0; k--) {
    const b = stack[k];
    const where = b.kind === 'table' ? `table ${b.table.family} ${b.table.name}` : b.kind === 'chain' ? `chain ${b.chain.name}` : b.kind;
    const line = b.kind === 'other' ? b.ref.line : b.kind === 'root' ? undefined : b.kind === 'table' ? b.table.ref.line : b.kind === 'chain' ? b.chain.ref.line : undefined;
    warn(`${where} is not closed at the end of the file (truncated output?)`, line);
  }
  // a block still open at the end: the listing was cut (a paste, head, a size limit). What it does not show may exist:
  // the rest of the open table, and every table nft would have listed after it (nft lists tables in creation order)
  if (stack.length > 1) {
    let last = src.length;
    while (last > 0 && !/\S/.test(src[last - 1])) last--;
    const open = stack.find((b): b is Extract<Block, { kind: 'table' }> => b.kind === 'table');
    const table = open ? `${open.table.family} ${open.table.name}` : undefined;
    ruleset.truncated = {
      line: last,
      ...(table ? { table } : {}),
      note: `the nft listing is cut off after line ${last}${table ? `, inside table ${table}` : ''} (no closing '}'): the rest of ${table ? 'that table' : 'the listing'} and any table listed after it are not in the file, so rules, chains and jumps not found in it are not known to be absent`,
    };
  }
  if (ruleset.tables.length === 0) {
    // the collector ran nft and it failed: the file was meant to hold the ruleset
    const failure = /^(?:netlink: )?Error: .*$/m.exec(text.slice(0, 4096));
    if (failure) throw new ParseError(`nft failed: ${failure[0].slice(0, 200)}`, file, text.slice(0, failure.index).split('\n').length);
  }
  if (ruleset.tables.length === 0 && ruleset.notices.length === 0 && (ignoredTopLevel > 0 || stack.length > 1 || /\S/.test(text.replace(/^\s*#.*$/gm, '')))) {
    throw new SkipFile(file, 'no nftables table in this file');
  }
  markIptablesCompat(ruleset);
  return ruleset;
}

/** nft 0.9's `# xt_NAME`: the name, and where its text ends. */
const XT_COMMENT = /^# ?xt_([A-Za-z0-9][A-Za-z0-9_-]*)(?=[ \t\r;}]|$)/;

/**
 * An untranslated iptables-nft match or target as nft 0.9.x to 1.0.5 print it when built without libxtables
 * (src/xt.c: `nft_print(octx, "# xt_%s", stmt->xt.name)`): `# xt_comment counter packets 2428 bytes 149018 jump
 * cali-PREROUTING` (projectcalico/felix#2501), `counter packets 0 bytes 0 # xt_REJECT # handle 21`. nft 1.0.6
 * prints `xt match NAME` / `xt target NAME` instead. In a chain, after a rule's first word, or at a line's start
 * when rule words follow it, it is part of the rule; anywhere else (`# xt_...` alone on its line, outside a
 * chain) it stays a comment. iptables names its targets in capitals (MASQUERADE, REJECT, MARK) and its
 * matches in lower case (comment, conntrack, multiport).
 */
function xtCommentAt(line: string, i: number, inChain: boolean, inRule: boolean): { type: 'match' | 'target'; name: string; end: number } | undefined {
  if (!inChain) return undefined;
  const m = XT_COMMENT.exec(line.slice(i, i + 256));
  if (!m) return undefined;
  const end = i + m[0].length;
  if (!inRule) {
    const rest = line.slice(end).trimStart();
    // another `# xt_`, nft -a's handle of the rule, or a rule's word (`counter`, `accept`, `jump`, `ip saddr`, `ct state`)
    const words = /^([^\s{};,"#]+)(?:\s+([^\s{};,"#]+))?/.exec(rest);
    const ruleFollows = XT_COMMENT.test(rest) || /^#\s*handle\s+\d+\s*$/.test(rest) || (words !== null && isStatementStart([words[1], words[2] ?? ''], 0));
    if (!ruleFollows) return undefined;
  }
  const name = m[1];
  return { type: /^[A-Z0-9_]+$/.test(name) && /[A-Z]/.test(name) ? 'target' : 'match', name, end };
}

/** Turns one complete statement into the thing it declares in its block; returns what got a handle slot. */
function handleStatement(
  block: Block,
  s: Statement,
  file: string,
  sliceText: (s: Statement) => string,
  warn: (m: string, line?: number) => void,
): { handle?: number } | undefined {
  const t = s.toks;
  switch (block.kind) {
    case 'root':
      // `flush ruleset`, `define`, `include` of an nft -f file: not state
      return undefined;
    case 'table':
      if (t[0] === 'comment' && t[1]) block.table.comment = unquote(t[1]);
      return undefined;
    case 'chain': {
      const chain = block.chain;
      if (t[0] === 'type') {
        parseChainType(chain, block.table.family, t, s.line, warn);
        return undefined;
      }
      if (t[0] === 'policy') {
        if (t[1] === 'accept' || t[1] === 'drop') {
          chain.policy = t[1];
          // not enumerable: the model stays what it was for comparisons and snapshots (text vs JSON, -a vs plain)
          Object.defineProperty(chain, 'policyLine', { value: s.line, enumerable: false, writable: true, configurable: true });
        } else warn(`chain ${chain.name}: policy ${t[1]} not understood`, s.line);
        return undefined;
      }
      if (t[0] === 'comment' && t.length === 2) {
        chain.comment = unquote(t[1]);
        return undefined;
      }
      if (t[0] === 'devices' || t[0] === 'device') {
        chain.device = t.filter((x) => !'={},'.includes(x) && x !== 'devices' && x !== 'device').map(unquote).join(',');
        return undefined;
      }
      const { exprs, comment } = parseRuleExprs(t);
      const rule: NftRule = {
        table: block.table.name,
        family: block.table.family,
        chain: chain.name,
        index: chain.rules.length + 1,
        ref: { file, line: s.line },
        text: sliceText(s),
        exprs,
      };
      if (comment !== undefined) rule.comment = comment;
      summarizeRule(rule);
      chain.rules.push(rule);
      return rule;
    }
    case 'set':
    case 'map': {
      const obj = block.kind === 'set' ? block.set : block.map;
      if (t[0] === 'type' || t[0] === 'typeof') {
        const colon = t.indexOf(':');
        const keyPart = (colon > 0 ? t.slice(1, colon) : t.slice(1)).join(' ');
        obj.type = t[0] === 'typeof' ? `typeof ${keyPart}` : keyPart;
        if (block.kind === 'map' && colon > 0) block.map.dataType = t.slice(colon + 1).join(' ');
      } else if (t[0] === 'flags') {
        obj.flags = t.slice(1).filter((x) => x !== ',');
      } else if (t[0] === 'elements' || t[0] === 'elements=') {
        const open = t.indexOf('{');
        const close = t.lastIndexOf('}');
        if (open < 0 || close < open) {
          warn(`${block.kind} ${obj.name}: elements not understood`, s.line);
          return undefined;
        }
        const keyHint = setKeyHint(obj.type);
        const items = splitElements(t, open + 1, close);
        if (block.kind === 'set') for (const it of items) block.set.elements.push(elementValue(keyHint, it));
        else for (const it of items) block.map.entries.push(mapEntry(keyHint, block.map.dataType, it));
      }
      return undefined;
    }
    case 'flowtable': {
      const ft = block.flowtable;
      if (t[0] === 'hook' && t[1] && HOOK_SET.has(t[1])) {
        ft.hook = t[1] as NftHook;
        const p = t.indexOf('priority');
        if (p > 0) ft.priority = resolvePriority(block.table.family, t.slice(p + 1).join(' '));
      } else if (t[0] === 'devices') ft.devices = t.slice(1).filter((x) => !'={},'.includes(x)).map(unquote);
      return undefined;
    }
    case 'other':
      return undefined;
  }
}

function parseChainType(chain: NftChain, family: NftFamily, t: string[], line: number, warn: (m: string, line?: number) => void): void {
  for (let i = 1; i < t.length; i++) {
    const w = t[i];
    if (i === 1) {
      if (w === 'filter' || w === 'nat' || w === 'route') chain.type = w;
      else warn(`chain ${chain.name}: type ${w} not understood`, line);
    } else if (w === 'hook' && i + 1 < t.length) {
      const h = t[++i];
      if (HOOK_SET.has(h)) chain.hook = h as NftHook;
      else warn(`chain ${chain.name}: hook ${h} not understood`, line);
    } else if (w === 'device' && i + 1 < t.length) chain.device = unquote(t[++i]);
    else if (w === 'devices') {
      const names: string[] = [];
      while (i + 1 < t.length && t[i + 1] !== 'priority') {
        const x = t[++i];
        if (!'={},'.includes(x)) names.push(unquote(x));
      }
      chain.device = names.join(',');
    } else if (w === 'priority') {
      const ptext = t.slice(i + 1).join(' ');
      i = t.length;
      const p = resolvePriority(family, ptext);
      if (p === undefined) warn(`chain ${chain.name}: priority ${ptext} not understood`, line);
      else chain.priority = p;
      if (!/^[+-]?\d+$/.test(ptext)) chain.priorityText = ptext;
    }
  }
}

/** What a named set's elements are compared with, for normalizing them like match values. */
function setKeyHint(type: string | undefined): string {
  if (!type) return '';
  if (type.includes('inet_service')) return 'th dport';
  if (type === 'mark') return 'meta mark';
  if (type === 'ifname') return 'iifname';
  return '';
}

const ELEMENT_ATTRS = new Set(['timeout', 'expires', 'counter', 'comment', 'packets', 'bytes', 'quota']);

/** The tokens of each element between `{` and `}`, split at top-level commas. */
function splitElements(t: string[], from: number, to: number): string[][] {
  const out: string[][] = [];
  let cur: string[] = [];
  let d = 0;
  for (let i = from; i < to; i++) {
    const x = t[i];
    if (x === '{') d++;
    else if (x === '}') d--;
    if (x === ',' && d === 0) {
      if (cur.length) out.push(cur);
      cur = [];
      continue;
    }
    cur.push(x);
  }
  if (cur.length) out.push(cur);
  return out;
}

function elementValue(key: string, toks: string[]): NftValue {
  const end = toks.findIndex((x, i) => i > 0 && ELEMENT_ATTRS.has(x));
  const v = end > 0 ? toks.slice(0, end) : toks;
  if (v.length === 1) return literalValue(key, v[0]);
  if (v[0] === '{') return { kind: 'set', elements: splitElements(v, 1, v.length - 1).map((e) => elementValue(key, e)) };
  // concatenation `10.0.0.1 . 22`, or a range written with spaces
  return { kind: 'value', value: v.map((x) => (x === '.' ? '.' : unquote(x))).join(' ') };
}

function mapEntry(key: string, dataType: string | undefined, toks: string[]): NftMapEntry {
  const colon = toks.indexOf(':');
  if (colon < 0) return { key: elementValue(key, toks) };
  const k = elementValue(key, toks.slice(0, colon));
  const data = toks.slice(colon + 1);
  if (dataType === 'verdict' || (data.length && (isVerdictWord(data[0]) || data[0] === 'jump' || data[0] === 'goto'))) {
    const v = verdictOf(data, 0);
    if (v) return { key: k, verdict: v.verdict };
  }
  return { key: k, value: elementValue('', data) };
}

function verdictOf(t: string[], i: number): { verdict: NftVerdict; next: number } | undefined {
  const w = t[i];
  if (isVerdictWord(w)) return { verdict: { kind: w }, next: i + 1 };
  if ((w === 'jump' || w === 'goto') && i + 1 < t.length) return { verdict: { kind: w, target: unquote(t[i + 1]) }, next: i + 2 };
  return undefined;
}

/** Words that begin a statement: an unknown expression stops before them. */
const STATEMENT_WORDS = new Set([
  'accept', 'drop', 'continue', 'return', 'jump', 'goto', 'queue', 'reject', 'counter', 'log', 'limit', 'comment',
  'dnat', 'snat', 'masquerade', 'redirect', 'xt', 'notrack',
]);
// `ct state ! related,established` (iptables-nft's listing of `! --ctstate`): `!` is `!=`
const OPS: Record<string, NftOp> = { '!': '!=', '==': '==', eq: '==', '!=': '!=', ne: '!=', '<': '<', lt: '<', '>': '>', gt: '>', '<=': '<=', le: '<=', '>=': '>=', ge: '>=' };
const FIB_FLAGS = new Set(['saddr', 'daddr', 'mark', 'iif', 'oif']);
const FIB_RESULTS = new Set(['oif', 'oifname', 'type']);
const RT_KEYS = new Set(['classid', 'nexthop', 'mtu', 'ipsec']);
const SOCKET_KEYS = new Set(['transparent', 'mark', 'wildcard', 'cgroupv2']);

/** The match key starting at t[i] (`ip saddr`, `meta l4proto`, `ct original ip daddr`, `fib daddr type`), or undefined. */
function parseKey(t: string[], i: number): { key: string; next: number } | undefined {
  const w = t[i];
  if (w === undefined) return undefined;
  const fields = PAYLOAD_FIELDS[w];
  if (fields !== undefined && Object.prototype.hasOwnProperty.call(PAYLOAD_FIELDS, w)) {
    const f = t[i + 1];
    if (f !== undefined && fields.has(f)) return { key: `${w} ${f}`, next: i + 2 };
    return undefined;
  }
  if (w === 'meta') {
    const k = t[i + 1];
    if (k !== undefined && META_KEYS.has(k)) return { key: metaKey(k), next: i + 2 };
    return undefined;
  }
  if (BARE_META_KEYS.has(w)) return { key: metaKey(w), next: i + 1 };
  if (w === 'ct') {
    let j = i + 1;
    const parts = ['ct'];
    if (t[j] === 'original' || t[j] === 'reply') parts.push(t[j++]);
    if (t[j] === 'ip' || t[j] === 'ip6') parts.push(t[j++]);
    if (t[j] !== undefined && CT_KEYS.has(t[j])) {
      parts.push(t[j]);
      return { key: parts.join(' '), next: j + 1 };
    }
    return undefined;
  }
  if (w === 'fib') {
    let j = i + 1;
    const flags: string[] = [];
    if (t[j] === undefined || !FIB_FLAGS.has(t[j])) return undefined;
    flags.push(t[j++]);
    while (t[j] === '.' && t[j + 1] !== undefined && FIB_FLAGS.has(t[j + 1])) {
      flags.push(t[j + 1]);
      j += 2;
    }
    if (t[j] === undefined || !FIB_RESULTS.has(t[j])) return undefined;
    return { key: `fib ${flags.join(' . ')} ${t[j]}`, next: j + 1 };
  }
  if (w === 'rt' && t[i + 1] !== undefined) {
    if ((t[i + 1] === 'ip' || t[i + 1] === 'ip6') && t[i + 2] === 'nexthop') return { key: `rt ${t[i + 1]} nexthop`, next: i + 3 };
    if (RT_KEYS.has(t[i + 1])) return { key: `rt ${t[i + 1]}`, next: i + 2 };
  }
  if (w === 'socket' && t[i + 1] !== undefined && SOCKET_KEYS.has(t[i + 1])) return { key: `socket ${t[i + 1]}`, next: i + 2 };
  return undefined;
}

/** A key, with concatenations `ip saddr . tcp dport`. */
function parseFullKey(t: string[], i: number): { key: string; next: number } | undefined {
  const k = parseKey(t, i);
  if (!k) return undefined;
  let key = k.key;
  let next = k.next;
  while (t[next] === '.') {
    const more = parseKey(t, next + 1);
    if (!more) break;
    key += ' . ' + more.key;
    next = more.next;
  }
  return { key, next };
}

/** The closing index of the `{` at t[i]. */
function matchingBrace(t: string[], i: number): number {
  let d = 0;
  for (let j = i; j < t.length; j++) {
    if (t[j] === '{') d++;
    else if (t[j] === '}' && --d === 0) return j;
  }
  return t.length - 1;
}

/** The value at t[i]: `{ set }`, `@name`, a literal, a flag list `a,b`, a concatenation `a . b`. */
function parseValue(key: string, t: string[], i: number): { value: NftValue; next: number } | undefined {
  const w = t[i];
  // after a key a value is due, even one spelled like a statement (`ct status dnat`)
  if (w === undefined || w === ',' || w === '}' || w === ';') return undefined;
  if (w === '{') {
    const close = matchingBrace(t, i);
    const elements = splitElements(t, i + 1, close).map((e) => elementValue(key, e));
    return { value: { kind: 'set', elements }, next: close + 1 };
  }
  if (w.charCodeAt(0) === 64 /* @ */) return { value: { kind: 'setRef', name: w.slice(1) }, next: i + 1 };
  const concat = key.includes(' . ');
  let j = i + 1;
  if (concat) {
    const parts = [unquote(w)];
    while (t[j] === '.' && t[j + 1] !== undefined) {
      parts.push(unquote(t[j + 1]));
      j += 2;
    }
    return { value: { kind: 'value', value: parts.join(' . ') }, next: j };
  }
  const first = literalValue(key, w);
  if (t[j] !== ',') return { value: first, next: j };
  const elements = [first];
  while (t[j] === ',' && t[j + 1] !== undefined && !STATEMENT_WORDS.has(t[j + 1])) {
    elements.push(literalValue(key, t[j + 1]));
    j += 2;
  }
  return { value: { kind: 'set', elements }, next: j };
}

function isStatementStart(t: string[], i: number): boolean {
  return STATEMENT_WORDS.has(t[i]) || parseKey(t, i) !== undefined || (t[i] === 'mark' && t[i + 1] === 'set');
}

const BINARY_OPS = new Set(['and', 'or', 'xor', '&', '|', '^', '<<', '>>']);

/**
 * Where the value of `KEY set VALUE` ends: operands (a key like `ct mark`, or one literal) joined
 * by binary operators, optionally looked up in a map. `meta mark set 0x1 ip saddr ...` ends at `ip`.
 */
function setValueEnd(t: string[], start: number): number {
  let j = start;
  for (let guard = 0; j < t.length && guard < t.length; guard++) {
    const k = parseFullKey(t, j);
    if (k) j = k.next;
    else if (!STATEMENT_WORDS.has(t[j])) j++;
    else return j;
    if (t[j] === 'map' && j + 1 < t.length) {
      j = t[j + 1] === '{' ? matchingBrace(t, j + 1) + 1 : j + 2;
    }
    if (!BINARY_OPS.has(t[j])) return j;
    j++;
  }
  return j;
}

/** Rewrites a `set` value the way the JSON renderer writes it (`&` -> `and`, hex without padding). */
function mangleValueText(key: string, toks: string[]): string {
  const markish = key.endsWith('mark');
  const out: string[] = [];
  for (let i = 0; i < toks.length; i++) {
    const x = toks[i];
    if (x === 'meta' && toks[i + 1] !== undefined && BARE_META_KEYS.has(toks[i + 1])) continue;
    if (x === '&') out.push('and');
    else if (x === '|') out.push('or');
    else if (x === '^') out.push('xor');
    else if (markish && /^(?:0x[0-9a-fA-F]+|\d+)$/.test(x)) out.push(hexNumber(x));
    else out.push(unquote(x));
  }
  return out.join(' ');
}

/**
 * One rule's tokens to expressions, left to right. What is not understood becomes one
 * `unknown` expression running to the next recognizable statement or match.
 */
export function parseRuleExprs(t: string[]): { exprs: NftExpr[]; comment?: string } {
  const exprs: NftExpr[] = [];
  let comment: string | undefined;
  const n = t.length;
  let i = 0;
  const unknownFrom = (start: number) => {
    let j = start + 1;
    while (j < n && !isStatementStart(t, j)) {
      if (t[j] === '{') j = matchingBrace(t, j);
      j++;
    }
    exprs.push({ kind: 'unknown', text: t.slice(start, j).join(' ') });
    i = j;
  };
  while (i < n) {
    const w = t[i];
    const v = verdictOf(t, i);
    if (v) {
      exprs.push({ kind: 'verdict', verdict: v.verdict });
      i = v.next;
      continue;
    }
    switch (w) {
      case 'comment':
        if (i + 1 < n) comment = unquote(t[i + 1]);
        i += 2;
        continue;
      case 'counter': {
        if (t[i + 1] === 'packets' && t[i + 3] === 'bytes' && /^\d+$/.test(t[i + 2] ?? '') && /^\d+$/.test(t[i + 4] ?? '')) {
          exprs.push({ kind: 'counter', packets: Number(t[i + 2]), bytes: Number(t[i + 4]) });
          i += 5;
        } else if (t[i + 1] === 'name' && i + 2 < n) {
          exprs.push({ kind: 'counter', name: unquote(t[i + 2]) });
          i += 3;
        } else {
          exprs.push({ kind: 'counter' });
          i++;
        }
        continue;
      }
      case 'reject': {
        let j = i + 1;
        let rejectWith: string | undefined;
        if (t[j] === 'with') {
          const parts: string[] = [];
          j++;
          if (t[j] === 'tcp') {
            parts.push('tcp', t[j + 1] ?? 'reset');
            j += 2;
          } else if (t[j] !== undefined) {
            parts.push(t[j++]);
            if (t[j] === 'type') parts.push(t[j++]);
            if (t[j] !== undefined && !isStatementStart(t, j)) parts.push(t[j++]);
          }
          rejectWith = normalizeRejectWith(parts);
        }
        exprs.push({ kind: 'verdict', verdict: rejectWith ? { kind: 'reject', rejectWith } : { kind: 'reject' } });
        i = j;
        continue;
      }
      case 'queue': {
        let j = i + 1;
        let target: string | undefined;
        while (j < n && !isStatementStart(t, j)) {
          if ((t[j] === 'num' || t[j] === 'to') && j + 1 < n) target = t[++j];
          j++;
        }
        exprs.push({ kind: 'verdict', verdict: target !== undefined ? { kind: 'queue', target } : { kind: 'queue' } });
        i = j;
        continue;
      }
      case 'log': {
        const e: Extract<NftExpr, { kind: 'log' }> = { kind: 'log' };
        let j = i + 1;
        for (;;) {
          const o = t[j];
          if (o === 'prefix' && j + 1 < n) e.prefix = unquote(t[j + 1]);
          else if (o === 'level' && j + 1 < n) e.level = t[j + 1];
          else if (o === 'group' && j + 1 < n) e.group = Number(t[j + 1]);
          else if ((o === 'snaplen' || o === 'queue-threshold') && j + 1 < n) {
            /* kept out of the model */
          } else if (o === 'flags' && j + 1 < n) {
            j += 2;
            while (t[j] === ',' && j + 1 < n) j += 2;
            continue;
          } else break;
          j += 2;
        }
        exprs.push(e);
        i = j;
        continue;
      }
      case 'limit': {
        const parsed = parseLimit(t, i);
        if (parsed) {
          exprs.push(parsed.expr);
          i = parsed.next;
        } else unknownFrom(i);
        continue;
      }
      case 'dnat':
      case 'snat':
      case 'masquerade':
      case 'redirect': {
        const nat: NftNat = { kind: w };
        let j = i + 1;
        if ((t[j] === 'ip' || t[j] === 'ip6') && t[j + 1] === 'to') nat.family = t[j++] as 'ip' | 'ip6';
        if (t[j] === 'to' && j + 1 < n) {
          j++;
          if (parseKey(t, j)) {
            // `dnat to ip daddr map { ... }`: the address comes from a map
            const start = j;
            while (j < n && !STATEMENT_WORDS.has(t[j])) {
              if (t[j] === '{') j = matchingBrace(t, j);
              j++;
            }
            nat.to = t.slice(start, j).join(' ');
          } else Object.assign(nat, dropUndefined(splitNatTarget(t[j++])));
        }
        const flags: string[] = [];
        while (t[j] === 'random' || t[j] === 'fully-random' || t[j] === 'persistent' || (t[j] === ',' && flags.length)) {
          if (t[j] !== ',') flags.push(t[j]);
          j++;
        }
        if (flags.length) nat.flags = flags;
        exprs.push({ kind: 'nat', nat });
        i = j;
        continue;
      }
      case 'xt':
        if ((t[i + 1] === 'match' || t[i + 1] === 'target') && i + 2 < n) {
          exprs.push({ kind: 'xt', xtType: t[i + 1] as 'match' | 'target', name: unquote(t[i + 2]) });
          i += 3;
        } else unknownFrom(i);
        continue;
    }
    const k = parseFullKey(t, i);
    if (!k) {
      unknownFrom(i);
      continue;
    }
    let j = k.next;
    if (t[j] === 'set') {
      const start = j + 1;
      j = setValueEnd(t, start);
      exprs.push({ kind: 'mangle', key: k.key, value: mangleValueText(k.key, t.slice(start, j)) });
      i = j;
      continue;
    }
    if (t[j] === 'vmap') {
      if (t[j + 1] === '{') {
        const close = matchingBrace(t, j + 1);
        const entries = splitElements(t, j + 2, close)
          .map((e) => mapEntry(k.key, 'verdict', e))
          .filter((e): e is { key: NftValue; verdict: NftVerdict } => e.verdict !== undefined);
        exprs.push({ kind: 'vmap', key: k.key, entries });
        i = close + 1;
      } else if (t[j + 1] !== undefined && t[j + 1].startsWith('@')) {
        exprs.push({ kind: 'vmap', key: k.key, setRef: t[j + 1].slice(1) });
        i = j + 2;
      } else unknownFrom(i);
      continue;
    }
    let mask: string | undefined;
    if ((t[j] === '&' || t[j] === 'and') && j + 1 < n) {
      mask = k.key.endsWith('mark') && /^(?:0x[0-9a-fA-F]+|\d+)$/.test(t[j + 1]) ? hexNumber(t[j + 1]) : t[j + 1];
      j += 2;
    }
    let op: NftOp = '==';
    if (t[j] !== undefined && Object.prototype.hasOwnProperty.call(OPS, t[j])) op = OPS[t[j++]];
    const val = parseValue(k.key, t, j);
    if (!val) {
      unknownFrom(i);
      continue;
    }
    j = val.next;
    // `tcp flags syn / fin,syn,rst,ack`: value under a mask
    if (t[j] === '/' && j + 1 < n) {
      const m = parseValue(k.key, t, j + 1);
      if (m) {
        mask = m.value.kind === 'set' ? m.value.elements.map((e) => (e.kind === 'value' ? e.value : '')).join(',') : m.value.kind === 'value' ? m.value.value : undefined;
        j = m.next;
      }
    }
    const e: NftExpr = { kind: 'match', key: k.key, op, value: val.value };
    if (mask !== undefined) e.mask = mask;
    exprs.push(e);
    i = j;
  }
  return comment !== undefined ? { exprs, comment } : { exprs };
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/** `limit rate [over] 10/second [burst 5 packets]`, `limit rate 1 mbytes/second` */
function parseLimit(t: string[], i: number): { expr: NftExpr; next: number } | undefined {
  let j = i + 1;
  if (t[j] !== 'rate') return undefined;
  j++;
  let over = false;
  if (t[j] === 'over') {
    over = true;
    j++;
  }
  let rate: number;
  let per: string;
  let unit: string | undefined;
  const a = /^(\d+)\/(\w+)$/.exec(t[j] ?? '');
  if (a) {
    rate = Number(a[1]);
    per = a[2];
    j++;
  } else {
    const b = /^(\w+)\/(\w+)$/.exec(t[j + 1] ?? '');
    if (!/^\d+$/.test(t[j] ?? '') || !b) return undefined;
    rate = Number(t[j]);
    unit = b[1];
    per = b[2];
    j += 2;
  }
  const expr: Extract<NftExpr, { kind: 'limit' }> = { kind: 'limit', rate, per };
  if (unit) expr.unit = unit;
  if (over) expr.over = true;
  if (t[j] === 'burst' && /^\d+$/.test(t[j + 1] ?? '')) {
    expr.burst = Number(t[j + 1]);
    j += 2;
    if (t[j] === 'packets' || t[j] === 'bytes' || /bytes$/.test(t[j] ?? '')) j++;
  }
  return { expr, next: j };
}

