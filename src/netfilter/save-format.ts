/**
 * iptables-save / ip6tables-save / iptables-legacy-save / iptables-nft-save output (also
 * iptables-restore input and /etc/sysconfig/iptables), and the `iptables -S [-v]` rule-spec
 * format. A hand tokenizer, no regex per rule: a 180,000-line kube-proxy dump parses in well
 * under a second.
 */
import { ParseError, SkipFile, type SourceRef } from '../model/source.js';
import { BUILTIN_CHAINS, type Backend, canonicalXmark, ensureChain, ensureTable, isElisionLine, newRuleset, normalizeAddress, normalizeProtocol, type Match, type Negatable, type OutputFilter, type Rule, type Ruleset, type Table } from './rules.js';
import { canonicalizeOption, logLevelNumber } from './values.js';
import { familyFromFileName, familyOfRuleLines, otherFamily, type Family } from './family.js';
import { backendOfSaveHeader, commandLineTool, hintBackend } from './backends.js';
import { outputFilterOf } from './grep-filter.js';

/**
 * The chains of a table whose -A lines would come after the dump's last line (see Chain.unlisted):
 * those listed after the chain of the last rule, with no rule of their own.
 */
function markUnlisted(table: Table, file: string, end: number, after: string | undefined): void {
  const order = Object.keys(table.chains);
  const from = after === undefined ? 0 : order.indexOf(after) + 1;
  if (after !== undefined && from === 0) return;
  for (const name of order.slice(from)) {
    const chain = table.chains[name];
    if (chain.rules.length === 0) chain.unlisted = { file, line: end, ...(after !== undefined ? { after } : {}) };
  }
}

/**
 * How many lazily kept rules have been parsed in this process: a kube-proxy dump's analysis must stay
 * at its chain names and texts (four analyzers in turn slowed the bench by parsing them all: 2.2-2.7 s).
 */
let lazyParses = 0;
export function lazyRuleParses(): number {
  return lazyParses;
}

/** iptables-nft-save's line in place of a table it cannot show (xtables-save's __do_output; 1.8.4 to 1.8.11) */
const INCOMPATIBLE_TABLE = /^# Table [`'](\w{1,16})' is incompatible, use 'nft' tool/;
const MAX_LINE = 64 * 1024;

/**
 * Splits a rule line like a shell would: whitespace, "double" and 'single' quotes, backslash
 * escapes. Plain words are sliced out of the line (no per-character string building): this runs
 * once per rule of dumps with hundreds of thousands of rules.
 */
export function tokenize(line: string): string[] {
  const out: string[] = [];
  const n = line.length;
  let i = 0;
  while (i < n) {
    let c = line.charCodeAt(i);
    if (c === 32 || c === 9) {
      i++;
      continue;
    }
    const start = i;
    // fast path: a word with no quote or backslash
    while (i < n && (c = line.charCodeAt(i)) !== 32 && c !== 9 && c !== 34 && c !== 39 && c !== 92) i++;
    if (i >= n || c === 32 || c === 9) {
      out.push(line.slice(start, i));
      continue;
    }
    // slow path: quotes or escapes somewhere in this word
    let cur = line.slice(start, i);
    let quote = 0;
    for (; i < n; i++) {
      c = line.charCodeAt(i);
      if (quote) {
        if (c === 92 && quote === 34 && i + 1 < n && (line.charCodeAt(i + 1) === 34 || line.charCodeAt(i + 1) === 92)) cur += line[++i];
        else if (c === quote) quote = 0;
        else {
          // copy this character and the run of plain ones after it at once (a backslash inside
          // single quotes is an ordinary character: taking it here keeps the loop moving)
          let j = i + 1;
          while (j < n && line.charCodeAt(j) !== quote && line.charCodeAt(j) !== 92) j++;
          cur += line.slice(i, j);
          i = j - 1;
        }
        continue;
      }
      if (c === 32 || c === 9) break;
      if (c === 34 || c === 39) quote = c;
      else if (c === 92 && i + 1 < n) cur += line[++i];
      else cur += line[i];
    }
    out.push(cur);
  }
  return out;
}

const CORE_WITH_VALUE: Record<string, 'protocol' | 'source' | 'destination' | 'inInterface' | 'outInterface'> = {
  '-p': 'protocol',
  '--protocol': 'protocol',
  '-s': 'source',
  '--source': 'source',
  '--src': 'source',
  '-d': 'destination',
  '--destination': 'destination',
  '--dst': 'destination',
  '-i': 'inInterface',
  '--in-interface': 'inInterface',
  '-o': 'outInterface',
  '--out-interface': 'outInterface',
};

/**
 * Parses the arguments after `-A CHAIN` into a rule. Options after `-m X` belong to X until the
 * next `-m`, core option or target; options after `-j`/`-g` are target options.
 */
/**
 * Interned strings and shared values: dumps repeat the same option names, modules, targets and
 * protocols on every rule; sharing them keeps a 130,000-rule dump small.
 */
const interned = new Map<string, string>();
function intern(s: string): string {
  let v = interned.get(s);
  if (v === undefined) {
    if (interned.size > 50_000) interned.clear();
    // a flat copy: the key must not keep the whole dump alive through a sliced string
    v = (' ' + s).slice(1);
    interned.set(v, v);
  }
  return v;
}
const sharedNegatable = new Map<string, Negatable<string>>();
function shared(value: string, negated: boolean): Negatable<string> {
  const key = (negated ? '!' : '') + value;
  let v = sharedNegatable.get(key);
  if (!v) {
    if (sharedNegatable.size > 10_000) sharedNegatable.clear();
    v = Object.freeze({ value: intern(value), negated }) as Negatable<string>;
    sharedNegatable.set(key, v);
  }
  return v;
}
/** Options whose values have more than one spelling (names vs numbers, `--syn`, long names). */
const NEEDS_CANONICAL = new Set(['dport', 'sport', 'dports', 'sports', 'ports', 'destination-port', 'source-port', 'destination-ports', 'source-ports', 'syn', 'tcp-flags', 'icmp-type', 'icmpv6-type', 'ctstate', 'state', 'ctstatus', 'src-type', 'dst-type', 'mark', 'mac-source']);

/** Rules without target options share this one (read-only) object. */
const NO_TARGET_OPTIONS: Record<string, string> = Object.freeze({}) as Record<string, string>;

/**
 * The options of the common target extensions (iptables-extensions(8)). iptables reads a rule's options in
 * any order (getopt over the core's, the loaded matches' and the target's options): hand-written restore files
 * and tools (ufw-docker's after.rules) put matches after the target, `-A DOCKER-USER -j RETURN -s 10.0.0.0/8`,
 * and iptables-save prints them back before it. After `-j`, an option of the target's is its own, any other a
 * match's. Targets that take no option (ACCEPT, DROP, RETURN, a user chain) leave every later option to the
 * matches; a target not listed here keeps the options after it, as before (what they are is not known).
 */
const TARGET_OPTIONS: Record<string, ReadonlySet<string>> = Object.fromEntries(
  Object.entries({
    REJECT: 'reject-with',
    DNAT: 'to-destination to random persistent random-fully',
    SNAT: 'to-source to random random-fully persistent',
    MASQUERADE: 'to-ports random random-fully',
    REDIRECT: 'to-ports random',
    NETMAP: 'to',
    MARK: 'set-xmark set-mark and-mark or-mark xor-mark',
    CONNMARK: 'set-xmark set-mark save-mark restore-mark and-mark or-mark xor-mark nfmask ctmask mask',
    LOG: 'log-level log-prefix log-tcp-sequence log-tcp-options log-ip-options log-uid log-macdecode',
    NFLOG: 'nflog-group nflog-prefix nflog-range nflog-size nflog-threshold',
    ULOG: 'ulog-nlgroup ulog-prefix ulog-cprange ulog-qthreshold',
    CT: 'notrack helper ctevents expevents zone zone-orig zone-reply timeout',
    TPROXY: 'on-port on-ip tproxy-mark',
    SET: 'add-set del-set map-set timeout exist map-mark map-prio map-queue',
    TCPMSS: 'set-mss clamp-mss-to-pmtu',
    CHECKSUM: 'checksum-fill',
    AUDIT: 'type',
    CLASSIFY: 'set-class',
    DSCP: 'set-dscp set-dscp-class',
    TOS: 'set-tos and-tos or-tos xor-tos',
    TTL: 'ttl-set ttl-dec ttl-inc',
    HL: 'hl-set hl-dec hl-inc',
    HMARK: 'hmark-tuple hmark-mod hmark-offset hmark-src-prefix hmark-dst-prefix hmark-sport-mask hmark-dport-mask hmark-spi-mask hmark-proto-mask hmark-rnd hmark-ct',
    NFQUEUE: 'queue-num queue-balance queue-bypass fail-open queue-cpu-fanout',
    CONNSECMARK: 'save restore',
    SECMARK: 'selctx',
    TEE: 'gateway',
    ECN: 'ecn-tcp-remove',
    IDLETIMER: 'timeout label alarm',
    SYNPROXY: 'mss wscale timestamp sack-perm ecn',
    CLUSTERIP: 'new hashmode clustermac total-nodes local-node hash-init',
    RATEEST: 'rateest-name rateest-interval rateest-ewmalog',
    LED: 'led-trigger-id led-delay led-always-blink',
    DNPT: 'src-pfx dst-pfx',
    SNPT: 'src-pfx dst-pfx',
    NOTRACK: '',
    TRACE: '',
    ACCEPT: '',
    DROP: '',
    RETURN: '',
    QUEUE: '',
  }).map(([t, o]) => [t, new Set(o.split(' ').filter(Boolean))]),
);
/** Option names a match module opened after the target shares with the target (`-j CT -m helper --helper ftp`): the module's. */
const MATCH_OWNS: Record<string, ReadonlySet<string>> = { helper: new Set(['helper']), recent: new Set(['mask', 'name']), tcpmss: new Set(['mss']), connlabel: new Set(['label']), ecn: new Set(['ecn']) };

/**
 * Whether an option after `-j TARGET` is the target's: its own option, or any option of a target not known
 * here (kept as before); no option of a target that takes none nor of a jump to a user chain.
 */
function isTargetOption(target: string | undefined, name: string, module: Match | undefined, chains: Record<string, { name: string }> | undefined): boolean {
  if (target === undefined) return true;
  const known = TARGET_OPTIONS[target];
  // a target not known here: the options before any `-m` after it are its own (a user chain's none)
  // (the ports, flags and states of the protocol and state matches are no target's: `-j MYCHAIN -p tcp --dport 22`)
  if (known === undefined) return module === undefined && !NEEDS_CANONICAL.has(name) && !(chains !== undefined && Object.hasOwn(chains, target));
  if (!known.has(name)) return false;
  return !(module && MATCH_OWNS[module.module]?.has(name));
}

export function parseRuleArgs(tokens: string[], base: Omit<Rule, 'matches' | 'targetOptions'>, start = 0, chains?: Record<string, { name: string }>): Rule {
  // Every field is present from the start (undefined until set): rules then share one shape with
  // their properties in the object itself, not in a second array allocated when one is added.
  // A 130,000-rule dump saves 130,000 objects that every young-generation GC would copy.
  const rule: Rule = {
    table: base.table,
    chain: base.chain,
    num: base.num,
    ref: base.ref,
    text: base.text,
    counters: base.counters,
    protocol: undefined,
    source: undefined,
    destination: undefined,
    inInterface: undefined,
    outInterface: undefined,
    fragment: undefined,
    matches: [],
    comment: undefined,
    target: undefined,
    targetKind: undefined,
    targetOptions: NO_TARGET_OPTIONS,
    incomplete: undefined,
  };
  let current: Match | undefined;
  let inTarget = false;
  /** the match module a `-m` after the target opened (its options are its own where the target has one of the name) */
  let afterTarget: Match | undefined;
  let negate = false;
  let i = start;
  const isOption = (t: string) => t.length > 1 && t.charCodeAt(0) === 45 /* - */ && !(t.charCodeAt(1) >= 48 && t.charCodeAt(1) <= 57);
  const takeValues = (): string | undefined => {
    // the common case: one value
    if (i < tokens.length && tokens[i] !== '!' && !isOption(tokens[i]) && (i + 1 >= tokens.length || tokens[i + 1] === '!' || isOption(tokens[i + 1]))) return tokens[i++];
    const vals: string[] = [];
    while (i < tokens.length && !isOption(tokens[i]) && tokens[i] !== '!') vals.push(tokens[i++]);
    // old syntax `--dport ! 80`
    if (vals.length === 0 && tokens[i] === '!' && i + 1 < tokens.length && !tokens[i + 1].startsWith('-')) {
      negate = !negate;
      i++;
      vals.push(tokens[i++]);
    }
    return vals.length ? vals.join(' ') : undefined;
  };
  while (i < tokens.length) {
    const t = tokens[i++];
    if (t === '!') {
      negate = !negate;
      continue;
    }
    if (t === '-c' && i + 1 < tokens.length && /^\d+$/.test(tokens[i]) && /^\d+$/.test(tokens[i + 1])) {
      rule.counters = { packets: Number(tokens[i]), bytes: Number(tokens[i + 1]) };
      i += 2;
      continue;
    }
    const core = CORE_WITH_VALUE[t];
    // -s/-d/-p/-i/-o are core options wherever they stand: no target has an option of these names
    if (core) {
      let value = tokens[i] ?? '';
      i++;
      // old syntax `-i ! docker0`
      if (value === '!') {
        negate = !negate;
        value = tokens[i++] ?? '';
      }
      const nv: Negatable<string> =
        core === 'protocol' || core === 'inInterface' || core === 'outInterface'
          ? shared(core === 'protocol' ? normalizeProtocol(value) : value, negate)
          : { value: normalizeAddress(value), negated: negate };
      if (core === 'protocol' && nv.value === 'all' && !nv.negated) {
        // `-p all` matches everything: same as no protocol
      } else rule[core] = nv;
      negate = false;
      current = undefined;
      continue;
    }
    if (t === '-f' || t === '--fragment') {
      rule.fragment = { value: true, negated: negate };
      negate = false;
      continue;
    }
    if (t === '-m' || t === '--match') {
      const module = intern(tokens[i++] ?? '');
      current = { module, options: [] };
      // a comment matches every packet: it is kept as rule.comment, not as a match object
      if (module !== 'comment') rule.matches.push(current);
      if (inTarget) afterTarget = current;
      negate = false;
      continue;
    }
    if (t === '-j' || t === '--jump' || t === '-g' || t === '--goto') {
      rule.target = tokens[i] === undefined ? undefined : targetName(tokens[i], chains);
      i++;
      rule.targetKind = t === '-g' || t === '--goto' ? 'goto' : 'jump';
      inTarget = true;
      afterTarget = undefined;
      current = undefined;
      negate = false;
      continue;
    }
    if (t.startsWith('-')) {
      const name = intern(t.charCodeAt(1) === 45 ? t.slice(2) : t.slice(1));
      const value = takeValues();
      if (inTarget && isTargetOption(rule.target, name, afterTarget, chains)) {
        if (rule.targetOptions === NO_TARGET_OPTIONS) rule.targetOptions = {};
        rule.targetOptions[name] = value ?? '';
        if (rule.target === 'MARK' && value !== undefined) {
          // iptables-save prints every MARK operation as --set-xmark: keep only that form
          const x = canonicalXmark(name, value);
          if (x) {
            delete rule.targetOptions[name];
            rule.targetOptions['set-xmark'] = x;
          }
        }
        // restore files may name the level; iptables-save prints its number
        if (name === 'log-level' && value !== undefined) rule.targetOptions[name] = logLevelNumber(value) ?? value;
      }
      else {
        // `-p tcp --dport 22` without `-m tcp`: the protocol's implicit match
        if (!current) {
          const p = rule.protocol?.value ?? 'unknown';
          const implicit = p === 'ipv6-icmp' ? 'icmp6' : p;
          current = rule.matches.find((m) => m.module === implicit) ?? { module: implicit, options: [] };
          if (!rule.matches.includes(current)) rule.matches.push(current);
        }
        const option = { name, value, negated: negate };
        current.options.push(option);
        if (NEEDS_CANONICAL.has(name)) {
          const note = canonicalizeOption(current.module, option);
          if (note) (rule.incomplete ??= []).push(note);
        }
        if (current.module === 'comment' && name === 'comment' && value !== undefined) rule.comment = value;
      }
      negate = false;
      continue;
    }
    // a stray word: keep it visible rather than dropping it
    (rule.incomplete ??= []).push(`unexpected word ${JSON.stringify(t)}`);
  }
  // arrays grown by push keep room for 17 elements: keep them at their size instead
  if (rule.matches.length > 0) {
    rule.matches = rule.matches.slice();
    for (const m of rule.matches) if (m.options.length > 0) m.options = m.options.slice();
  }
  return rule;
}

/**
 * A rule whose matches are parsed when first read. A kube-proxy dump holds 100,000+ rules and an
 * analysis reads the matches of a few hundred (the chains a packet is traced through, the ones a
 * diagnosis looks at); what every analysis needs (chain, number, target, text, line) is there at
 * once. Reading any other field parses the rule with parseRuleArgs, once.
 */
class LazyRule implements Rule {
  table: string;
  chain: string;
  num: number;
  ref: SourceRef;
  text: string;
  counters: Rule['counters'];
  target: string | undefined;
  targetKind: Rule['targetKind'];
  #full: Rule | undefined;
  readonly #chains: Record<string, { name: string }>;

  constructor(base: Omit<Rule, 'matches' | 'targetOptions'>, target: string, targetKind: 'jump' | 'goto', chains: Record<string, { name: string }>) {
    this.table = base.table;
    this.chain = base.chain;
    this.num = base.num;
    this.ref = base.ref;
    this.text = base.text;
    this.counters = base.counters;
    this.target = target;
    this.targetKind = targetKind;
    this.#chains = chains;
  }

  #rule(): Rule {
    if (this.#full === undefined) {
      lazyParses++;
      const { table, chain, num, ref, text, counters } = this;
      this.#full = parseRuleArgs(tokenize(text), { table, chain, num, ref, text, counters }, 2, this.#chains);
    }
    return this.#full;
  }

  get protocol() { return this.#rule().protocol; }
  set protocol(v) { this.#rule().protocol = v; }
  get source() { return this.#rule().source; }
  set source(v) { this.#rule().source = v; }
  get destination() { return this.#rule().destination; }
  set destination(v) { this.#rule().destination = v; }
  get inInterface() { return this.#rule().inInterface; }
  set inInterface(v) { this.#rule().inInterface = v; }
  get outInterface() { return this.#rule().outInterface; }
  set outInterface(v) { this.#rule().outInterface = v; }
  get fragment() { return this.#rule().fragment; }
  set fragment(v) { this.#rule().fragment = v; }
  get matches() { return this.#rule().matches; }
  set matches(v) { this.#rule().matches = v; }
  get comment() { return this.#rule().comment; }
  set comment(v) { this.#rule().comment = v; }
  get targetOptions() { return this.#rule().targetOptions; }
  set targetOptions(v) { this.#rule().targetOptions = v; }
  get incomplete() { return this.#rule().incomplete; }
  set incomplete(v) { this.#rule().incomplete = v; }

  /** Own enumerable fields, as a plain rule has them (for JSON and equality). */
  toJSON(): Rule {
    return { ...this.#rule() };
  }
}

/**
 * The rule as a LazyRule when its target can be read off the tokens without parsing (one -j or
 * -g, no -c counters); undefined when it needs parsing now.
 */
function lazyRule(tokens: string[], base: Omit<Rule, 'matches' | 'targetOptions'>, chains: Record<string, { name: string }>): Rule | undefined {
  let at = -1;
  for (let i = 2; i < tokens.length; i++) {
    const t = tokens[i];
    if (t === '-j' || t === '-g' || t === '--jump' || t === '--goto') {
      if (at >= 0) return undefined;
      at = i;
    } else if (t === '-c') return undefined;
  }
  if (at < 0 || at + 1 >= tokens.length) return undefined;
  const target = tokens[at + 1];
  const kind = tokens[at] === '-g' || tokens[at] === '--goto' ? 'goto' : 'jump';
  return new LazyRule(base, targetName(target, chains), kind, chains);
}

/** A jump to a user chain shares that chain's name string (kube-proxy: tens of thousands of them, too many to intern). */
function targetName(target: string, chains: Record<string, { name: string }> | undefined): string {
  return chains !== undefined && Object.hasOwn(chains, target) ? chains[target].name : intern(target);
}

export interface SaveOptions {
  origin?: Ruleset['origin'];
  /** the format a caller knows the file to be in (`iptables -S` output has no `*table` lines) */
  family?: 'ipv4' | 'ipv6';
}

/**
 * `# Generated by iptables-save v1.8.9 (nf_tables) on ...`; iptables-nft-save 1.8.0 to 1.8.3 wrote
 * `# Generated by xtables-save v1.8.2 on ...` for both families (see backendOfSaveHeader).
 */
const HEADER = /^#\s*Generated by (ip6?tables|xtables)(?:-(legacy|nft))?-save v(\d+\.\d+(?:\.\d+)?)(?:\s*\((nf_tables|legacy)\))?/;
const TABLE_MARKER = /^#.*\s-t\s+(\w+)/;
/** a comment naming the command whose output follows: `# ip6tables-save`, `# ip6tables-legacy -t nat -S`, `# iptables -S` */
const COMMAND_MARKER = /^(?:#\s*(?:\$\s*)?|\$\s*)(?:sudo\s+)?(?:\S*\/)?(ip6?tables)(?:-legacy|-nft)?(?:-save\b|\s+-)/;

/**
 * Every ruleset a parse read from one file. A file holding the output of both `iptables-save` and
 * `ip6tables-save` (or of `iptables -S` and `ip6tables -S`) is one ruleset per family; the parse
 * functions return one of them (the IPv4 one when there is one) and this gives them all, in file
 * order. A side table rather than a field: callers that read one ruleset keep working, and the
 * rulesets stay plain data.
 */
const rulesetsOfFile = new WeakMap<Ruleset, Ruleset[]>();
export function rulesetsOf(rs: Ruleset): Ruleset[] {
  return rulesetsOfFile.get(rs) ?? [rs];
}

/** The ruleset callers of a one-ruleset parse get, the others kept for rulesetsOf. */
function primaryOf(all: Ruleset[]): Ruleset {
  const primary = all.find((r) => r.family === 'ipv4') ?? all[0];
  if (all.length > 1) rulesetsOfFile.set(primary, all);
  return primary;
}

/** A run of lines of one family: the output of one command (or one table of it). */
interface Block {
  /** index of its first line */
  start: number;
  family?: Family;
  /** what says its family: a header or marker line, else how it was inferred */
  declared?: boolean;
  /** a table that was already in the block before: the output of a second command began here */
  repeats?: string;
}

/**
 * Where iptables-save output of another family (or a second dump) begins: at each `# Generated by
 * ip(6)tables-save` header or `# ip6tables-save` marker, and where a `*table` comes again without
 * one (two headerless dumps pasted one after the other).
 */
function saveBlocks(lines: string[]): Block[] {
  const blocks: Block[] = [{ start: 0 }];
  let tables = new Set<string>();
  let content = false;
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n];
    let c = line.charCodeAt(0);
    // most lines are rules: the cheap test first
    if (c === 45 /* - */ || c === 58 /* : */ || c === 91 /* [ */) {
      content = true;
      continue;
    }
    const t = c === 32 || c === 9 ? line.trim() : line.endsWith('\r') ? line.slice(0, -1) : line;
    c = t.charCodeAt(0);
    if (c === 35 /* # */ || c === 36 /* $ */) {
      const h = c === 35 ? HEADER.exec(t) : null;
      const m = h ? undefined : COMMAND_MARKER.exec(t);
      const tool = h?.[1] ?? m?.[1];
      if (!tool) {
        if (c === 36) content = true;
        continue;
      }
      // xtables-save (iptables-nft 1.8.0 to 1.8.3) named no family: its rules say it
      if (tool === 'xtables') {
        if (content) blocks.push({ start: n });
      } else {
        const family: Family = tool === 'ip6tables' ? 'ipv6' : 'ipv4';
        if (content) blocks.push({ start: n, family, declared: true });
        else Object.assign(blocks[blocks.length - 1], { family, declared: true });
      }
      tables = new Set();
      content = false;
    } else if (c === 42 /* * */) {
      const name = t.slice(1).trim();
      if (tables.has(name)) {
        blocks.push({ start: n, repeats: name });
        tables = new Set();
      }
      tables.add(name);
      content = true;
    } else if (t.trim() !== '') content = true;
  }
  return blocks;
}

/**
 * The family of each block: its header or marker; else, in a file of several, what its rules say;
 * else the caller's; a block that starts a table again is the other family (`iptables-save;
 * ip6tables-save` with the headers cut), said in a warning; what is still open takes its
 * neighbour's. Returns the warnings to give, by block.
 */
function resolveFamilies(blocks: Block[], lines: string[], opts: SaveOptions, what: string): Map<Block, string[]> {
  const notes = new Map<Block, string[]>();
  const note = (b: Block, s: string) => (notes.get(b) ?? notes.set(b, []).get(b)!).push(s);
  // a v4 header under a caller's ipv6 (a file the layout knows is ip6tables') is taken for the caller's, unless the file declares both
  if (opts.family === 'ipv6' && !blocks.some((b) => b.declared && b.family === 'ipv6')) for (const b of blocks) if (b.declared) b.family = 'ipv6';
  const multi = blocks.length > 1;
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i];
    if (b.family) continue;
    const evidence = multi ? familyOfRuleLines(lines, b.start, blocks[i + 1]?.start ?? lines.length) : undefined;
    if (evidence) b.family = evidence;
    else if (!b.repeats) b.family = opts.family;
  }
  // the nearest family after each block as the first pass left them (linear: a file of thousands
  // of blocks searched them all for each)
  const next: (Family | undefined)[] = new Array(blocks.length);
  for (let i = blocks.length - 1, f: Family | undefined; i >= 0; i--) {
    next[i] = f;
    f = blocks[i].family ?? f;
  }
  let last: Family | undefined;
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i];
    if (b.repeats && i > 0) {
      const prev = blocks[i - 1].family ?? 'ipv4';
      if (!b.family) {
        b.family = otherFamily(prev);
        note(b, `${what} ${b.repeats} again from line ${b.start + 1}, with no header or address saying its family: read as ${b.family === 'ipv6' ? 'IPv6 (ip6tables)' : 'IPv4 (iptables)'} output`);
      } else if (b.family === prev) note(b, `${what} ${b.repeats} again from line ${b.start + 1}, of the same family: its rules are added to the first`);
    }
    if (!b.family) b.family = last ?? next[i];
    last = b.family ?? last;
  }
  return notes;
}

/** One Ruleset per family of a file's blocks, made as the blocks come (a file may hold iptables-save and ip6tables-save). */
function rulesetsByFamily(file: string, format: 'save' | 'spec', origin: Ruleset['origin']) {
  const byFamily = new Map<string, Ruleset>();
  const rulesetOf = (b: Block): Ruleset => {
    const key = b.family ?? 'unknown';
    let r = byFamily.get(key);
    if (!r) {
      r = newRuleset(file, format, origin);
      if (b.family) r.family = b.family;
      byFamily.set(key, r);
    }
    return r;
  };
  return { byFamily, rulesetOf };
}

/**
 * Marks a user put in a paste where they left lines out (`...`, `[...]`, `<snip>`, `# ... snip ...`; rules.ts
 * isElisionLine). The dump is cut there: the ruleset is marked `truncated` (rules not found are not known to be
 * absent), and the chains whose rules the cut may hide are marked `unlisted` at the mark's line: the chain of the
 * rule before the mark (its later rules), and the chains iptables-save and -S print between that chain and the
 * chain of the rule after the mark (all the table's later chains when no rule of the table follows). The rules
 * after a mark are taken to start their chain unless the rule before it is of the same chain: a paste of a
 * chain is cut after what it shows (R22, kube-arm#62: `...` before the `:FORWARD` line and after the last rule).
 */
class Cuts {
  readonly #file: string;
  readonly #marks: { rs: Ruleset; table?: Table; line: number; text: string; after?: string; next?: string }[] = [];
  #pending: { rs: Ruleset; table?: Table; line: number; text: string; after?: string; next?: string } | undefined;

  constructor(file: string) {
    this.#file = file;
  }

  /** A mark at `line`; `last` is the rule before it in this output (undefined: none since the table began). */
  mark(rs: Ruleset, table: Table | undefined, line: number, text: string, last: Rule | undefined, format: 'iptables-save' | 'iptables -S'): void {
    const after = last && table && last.table === table.name ? last.chain : undefined;
    const m = { rs, table, line, text, after };
    this.#marks.push(m);
    this.#pending = m;
    const note = `line ${line} ("${text.slice(0, 40)}") stands for lines left out of the pasted ${format} output${after ? `, after the rules of ${after} shown` : ''}: the dump is cut there, so rules not found in this file are not known to be absent`;
    rs.warnings.push({ file: this.#file, line, message: note });
    rs.truncated ??= { note };
  }

  /** A rule of `chain` read: the chain the last mark's cut ends at, when the mark is of this output and table. */
  rule(rs: Ruleset, table: Table, chain: string): void {
    const p = this.#pending;
    if (!p) return;
    this.#pending = undefined;
    if (p.rs !== rs) return;
    if (p.table === undefined) p.table = table;
    if (p.table === table) p.next = chain;
  }

  /** A table or output ends (`*table`, COMMIT, another command's output): the last mark's cut runs to its end. */
  end(): void {
    this.#pending = undefined;
  }

  /** Marks the chains each cut may hide rules of. */
  finish(): void {
    for (const m of this.#marks) {
      const t = m.table;
      if (!t) continue;
      const builtins = (BUILTIN_CHAINS[t.name] ?? []).filter((c) => Object.hasOwn(t.chains, c));
      const order = [...builtins, ...Object.keys(t.chains).filter((c) => !builtins.includes(c))];
      const unlisted = { file: this.#file, line: m.line, ...(m.after !== undefined ? { after: m.after } : {}) };
      if (m.after !== undefined) t.chains[m.after].unlisted ??= unlisted;
      const from = m.after === undefined ? 0 : order.indexOf(m.after) + 1;
      const to = m.next === undefined ? order.length : order.indexOf(m.next);
      for (const name of order.slice(from, Math.max(from, to))) if (t.chains[name].rules.length === 0) t.chains[name].unlisted ??= unlisted;
    }
  }
}

/** iptables-save output, or iptables-restore input. */
export function parseIptablesSave(text: string, file: string, opts: SaveOptions = {}): Ruleset {
  const lines = text.split('\n');
  const blocks = saveBlocks(lines);
  const notes = resolveFamilies(blocks, lines, opts, 'table');
  // /etc/sysconfig/iptables saved under a flattened name (`etc-sysconfig-iptables`): the saved
  // configuration iptables.service restores, not the live rules
  const flatSaved = opts.origin !== 'saved-config' && /^etc[-_]sysconfig[-_]ip6?tables(?:\.txt)?$/i.test(baseName(file));
  const { byFamily, rulesetOf } = rulesetsByFamily(file, 'save', flatSaved ? 'saved-config' : (opts.origin ?? 'live'));
  let bi = 0;
  let rs = rulesetOf(blocks[0]);
  let table: ReturnType<typeof ensureTable> | undefined;
  let lastChain: ReturnType<typeof ensureChain> | undefined;
  let sawStructure = false;
  let lastRule: Rule | undefined;
  /** the last rule's line as written, trailing spaces kept: they tell where a wrap cut */
  let lastRaw = '';
  /** the table of rules before the first `*table` line */
  let leading: string | undefined;
  /** a `# Generated by` header line: a file of nothing else is a dump cut or filtered to its headers */
  let headerLine: number | undefined;
  /** rulesets whose back end a header proves, and the back ends command lines above the output name */
  const proven = new Set<Ruleset>();
  const hinted = new Map<Ruleset, Set<Backend>>();
  const pipes: Pipes = {};
  /** the table a `*table` line opened and no COMMIT closed yet, its last line and rule */
  let open: { rs: Ruleset; name: string; line: number; last: number; rule?: Rule } | undefined;
  const close = () => {
    if (open) cutTable(open.rs, file, open.name, open.line, open.last, open.rule);
    open = undefined;
  };
  for (const [b, list] of notes) for (const message of list) rulesetOf(b).warnings.push({ file, line: b.start + 1, message });
  const cuts = new Cuts(file);
  if (flatSaved) rs.warnings.push({ file, line: 1, message: 'read as the saved configuration (/etc/sysconfig/iptables, which iptables.service restores at boot), from the file\'s name: not the live rules' });
  for (let n = 0; n < lines.length; n++) {
    if (bi + 1 < blocks.length && n === blocks[bi + 1].start) {
      close();
      cuts.end();
      rs = rulesetOf(blocks[++bi]);
      table = undefined;
      lastChain = undefined;
      lastRule = undefined;
    }
    let line = lines[n];
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const trimmed = line.trim();
    if (trimmed === '') continue;
    const ref: SourceRef = { file, line: n + 1 };
    if (trimmed.length > MAX_LINE) {
      rs.warnings.push({ file, line: n + 1, message: `line of ${trimmed.length} characters skipped` });
      continue;
    }
    if (trimmed.startsWith('#')) {
      if (isElisionLine(trimmed)) {
        cuts.mark(rs, table, n + 1, trimmed, lastRule, 'iptables-save');
        lastRule = undefined;
        continue;
      }
      const h = HEADER.exec(trimmed);
      if (h) {
        if (rs.family === 'unknown') rs.family = blocks[bi].family ?? 'ipv4';
        rs.version = h[3];
        rs.versionRef ??= { ref, excerpt: trimmed };
        headerLine ??= n + 1;
        // only what the header proves (backendOfSaveHeader): a plain 1.8.4-1.8.7 header is either back end
        const b = backendOfSaveHeader(h[1], h[2], h[3], h[4]);
        if (b !== 'unknown') {
          rs.backend = b;
          proven.add(rs);
        }
      } else if (/iptables-legacy tables present/.test(trimmed)) rs.legacyTablesPresent = ref;
      else if (INCOMPATIBLE_TABLE.test(trimmed)) (rs.incompatibleTables ??= []).push({ table: INCOMPATIBLE_TABLE.exec(trimmed)![1], ref });
      else noteCommand(trimmed, rs, hinted, ref, lines.length, pipes);
      continue;
    }
    if (trimmed.startsWith('$') && noteCommand(trimmed, rs, hinted, ref, lines.length, pipes)) continue;
    if (trimmed.startsWith('*')) {
      close();
      cuts.end();
      table = ensureTable(rs, trimmed.slice(1).trim(), ref);
      open = { rs, name: table.name, line: n + 1, last: n + 1 };
      sawStructure = true;
      lastRule = undefined;
      continue;
    }
    if (trimmed === 'COMMIT') {
      lastRule = undefined;
      open = undefined;
      cuts.end();
      continue;
    }
    if (open) open.last = n + 1;
    if (trimmed.startsWith(':')) {
      if (!table) table = ensureTable(rs, (leading ??= leadingTable(lines, file, rs)), ref);
      const m = /^:(\S+)\s+(\S+)(?:\s+\[(\d+):(\d+)\])?/.exec(trimmed);
      if (!m) {
        rs.warnings.push({ file, line: n + 1, message: 'chain line not understood' });
        continue;
      }
      const chain = ensureChain(table, m[1], ref);
      chain.ref = ref;
      if (m[2] !== '-') chain.policy = m[2];
      if (m[3] !== undefined) chain.policyCounters = { packets: Number(m[3]), bytes: Number(m[4]) };
      sawStructure = true;
      continue;
    }
    let counters: Rule['counters'];
    let body = trimmed;
    const c = body.charCodeAt(0) === 91 /* [ */ ? /^\[(\d+):(\d+)\]\s+/.exec(body) : null;
    if (c) {
      counters = { packets: Number(c[1]), bytes: Number(c[2]) };
      body = body.slice(c[0].length);
    }
    if (body.startsWith('-A ') || body.startsWith('-I ') || body.startsWith('--append ')) {
      if (!table) table = ensureTable(rs, (leading ??= leadingTable(lines, file, rs)), ref);
      const tokens = tokenize(body);
      const chainName = tokens[1];
      if (!chainName) {
        rs.warnings.push({ file, line: n + 1, message: 'rule without a chain' });
        continue;
      }
      // iptables-save lists a chain's rules together: most lines are in the chain of the line before
      const chain = lastChain !== undefined && lastChain.name === chainName && lastChain.table === table.name ? lastChain : ensureChain(table, chainName, ref);
      lastChain = chain;
      // the chain's own name string, not this line's slice of it: one string per chain, not per rule
      const base = { table: table.name, chain: chain.name, num: chain.rules.length + 1, ref, text: body, counters };
      const rule = lazyRule(tokens, base, table.chains) ?? parseRuleArgs(tokens, base, 2, table.chains);
      chain.rules.push(rule);
      cuts.rule(rs, table, chain.name);
      lastRule = rule;
      lastRaw = line;
      if (open) open.rule = rule;
      sawStructure = true;
      continue;
    }
    if (isElisionLine(trimmed)) {
      cuts.mark(rs, table, n + 1, trimmed, lastRule, 'iptables-save');
      lastRule = undefined;
      continue;
    }
    if (lastRule && !/^-[A-Z] /.test(body)) {
      // a rule hard-wrapped across two lines when pasted: join it and say so. A wrap at a fixed
      // width can cut a word (`-j KUBE-NODEPORT-CON` / `TAINER`): when the join with a space
      // leaves a stray word and neither side of the cut has a space, the join without one is
      // taken if it reads cleanly.
      const base = { table: lastRule.table, chain: lastRule.chain, num: lastRule.num, ref: lastRule.ref, counters: lastRule.counters };
      const spaced = `${lastRule.text} ${body}`;
      let rule = parseRuleArgs(tokenize(spaced), { ...base, text: spaced }, 2, table?.chains);
      if (rule.incomplete && !/\s$/.test(lastRaw) && !/^\s/.test(line)) {
        const glued = lastRule.text + body;
        const alt = parseRuleArgs(tokenize(glued), { ...base, text: glued }, 2, table?.chains);
        if (!alt.incomplete) rule = alt;
      }
      const chain = table!.chains[lastRule.chain];
      chain.rules[chain.rules.length - 1] = rule;
      lastRaw = line;
      lastRule = rule;
      if (open) open.rule = rule;
      rs.warnings.push({ file, line: n + 1, message: `continues the rule of line ${rule.ref.line} (wrapped line joined)` });
      continue;
    }
    rs.warnings.push({ file, line: n + 1, message: `line not understood: ${body.slice(0, 80)}` });
  }
  close();
  cuts.finish();
  if (!sawStructure) {
    // what iptables-save printed was cut or filtered away (`iptables-save | grep ...` keeps the headers)
    if (headerLine !== undefined) throw new ParseError('only "# Generated by ... iptables-save" header lines, no tables or rules: the output was cut or filtered (grep) before it was saved', file, headerLine);
    throw new SkipFile(file, 'no iptables-save tables or rules');
  }
  for (const r of byFamily.values()) if (!proven.has(r)) hintBackend(r, hinted.get(r));
  return primaryOf(finishAll([...byFamily.values()]));
}

/** Each ruleset finished; one that got nothing (a header with no tables after it) dropped, unless it is all there is. */
function finishAll(all: Ruleset[]): Ruleset[] {
  const kept = all.filter((r) => Object.keys(r.tables).length > 0);
  return (kept.length > 0 ? kept : all.slice(0, 1)).map(finish);
}

/** The output filter of the last command line seen in a file, closed when the next one comes. */
type Pipes = { last?: OutputFilter };

/**
 * A command line above the output (`$ iptables-legacy-save`, `# iptables-nft -S`): the back end it names, kept for its
 * ruleset, and what its pipe lets through (`| grep -v RETURN`) for the lines up to the next command line (list-format's
 * outputFilterOf), so that a check can tell a rule hidden by the grep from a rule that is not there.
 */
function noteCommand(line: string, rs: Ruleset, hinted: Map<Ruleset, Set<Backend>>, ref: SourceRef, total: number, pipes: Pipes): boolean {
  const cmd = commandLineTool(line);
  if (!cmd) return false;
  if (cmd.backend) (hinted.get(rs) ?? hinted.set(rs, new Set()).get(rs)!).add(cmd.backend);
  if (pipes.last) pipes.last.to = Math.max(pipes.last.from - 1, ref.line - 1);
  pipes.last = { command: ref, commandText: line, from: ref.line + 1, to: total, ...outputFilterOf(line) };
  (rs.outputFilters ??= []).push(pipes.last);
  return true;
}

/** Options that take no value: a rule may end in one. */
const FLAG_OPTIONS = new Set(['--syn', '-f', '--fragment', '--random', '--random-fully', '--persistent', '--checksum-fill', '--clamp-mss-to-pmtu', '--notrack', '--rsource', '--rdest', '--set', '--rcheck', '--update', '--remove', '--reap', '--rttl', '--log-tcp-sequence', '--log-tcp-options', '--log-ip-options', '--log-uid', '--log-macdecode', '--save-mark', '--restore-mark', '--limit-iface-in', '--limit-iface-out', '--physdev-is-in', '--physdev-is-out', '--physdev-is-bridged', '--queue-bypass', '--fully-random', '--nodst', '--kerneltz', '--ipv4', '--ipv6', '-4', '-6', '--return-nomatch', '--update-counters', '--update-subcounters', '--echo', '--strict', '--loose', '--validmark', '--accept-local', '--invert']);

/**
 * A table opened by `*table` and never closed by COMMIT: the dump was cut there (a paste, a
 * truncated attachment). iptables-restore refuses such a file; what follows the cut (the rest of
 * the table, the tables after it) is not known, so the ruleset is marked cut like sos's `.tailed`
 * outputs (backends.ts markTruncated): absence checks raise nothing on it. A last rule that ends
 * in an option without its value was cut inside: it is marked as not understood.
 */
function cutTable(rs: Ruleset, file: string, name: string, opened: number, last: number, rule: Rule | undefined): void {
  let inside = '';
  if (rule && rule.ref.line === last) {
    const tokens = tokenize(rule.text);
    const end = tokens[tokens.length - 1] ?? '';
    const dangling = end === '!' || (end.length > 1 && end.startsWith('-') && !/^-\d/.test(end) && !FLAG_OPTIONS.has(end));
    if (dangling) {
      inside = `; its last rule (line ${last}) is cut inside: "${end}" has no value`;
      rule.incomplete = [...(rule.incomplete ?? []), `match text not understood: the dump ends inside this rule ("${end}" has no value), the rest of it is not known`];
    }
  }
  const note = `table ${name} (from line ${opened}) is not terminated by COMMIT: the dump is cut off after line ${last}${inside} (iptables-restore refuses it); the rest of the table and any table after it are not known, so rules not found in this file are not known to be absent`;
  rs.warnings.push({ file, line: last, message: note });
  rs.truncated ??= { note };
  const table = rs.tables[name];
  if (table) markUnlisted(table, file, last, rule?.table === name ? rule.chain : undefined);
}

/**
 * The table of rules that come before any `*table` line. iptables-save always starts a table with
 * one, so where a later `*table` or COMMIT follows, the file is the end of a dump whose start was
 * cut (sos keeps the tail of a long output): its first rules belong to the table that was being
 * printed, which their targets and chains may tell (DNAT: nat); if they do not, the table is not
 * known and they are kept apart (table `unknown`), not put in filter. A fragment with no table
 * line at all is read as filter, as iptables-restore would.
 */
function leadingTable(lines: string[], file: string, rs: Ruleset): string {
  const first = lines.findIndex((l) => l.trimStart().startsWith('*'));
  const head = first < 0 ? lines : lines.slice(0, first);
  const cut = first >= 0 || lines.some((l) => l.trim() === 'COMMIT');
  const inferred = inferSpecTable(file, head);
  const firstRule = lines.findIndex((l) => l.trim() !== '' && !l.trimStart().startsWith('#')) + 1;
  if (inferred.from !== 'default') {
    if (cut) rs.warnings.push({ file, line: 1, message: `rules before the first "*table" line (the start of the dump is missing): read as ${inferred.table}, from ${inferred.why ?? 'the file name'}` });
    else rs.warnings.push({ file, line: firstRule, message: `no "*table" line and no COMMIT: the rules are read as table ${inferred.table}, from ${inferred.why ?? 'the file name'} (iptables-restore refuses a file without its "*table" line); a fragment of a dump or of a saved configuration` });
    return inferred.table;
  }
  if (!cut) {
    rs.warnings.push({ file, line: firstRule, message: 'no "*table" line and no COMMIT: the rules are read as table filter (iptables-restore refuses a file without its "*filter" line); a fragment of a dump or of a saved configuration' });
    return 'filter';
  }
  rs.warnings.push({ file, line: 1, message: 'rules before the first "*table" line (the start of the dump is missing) and nothing tells their table: kept apart as table "unknown"' });
  return 'unknown';
}

/** `iptables -S [-v]` output: `-P CHAIN POLICY`, `-N CHAIN`, `-A ...` (`-c p b` with -v). */
export function parseIptablesSpec(text: string, file: string, opts: SaveOptions & { table?: string } = {}): Ruleset {
  const lines = text.split('\n');
  // `iptables -t nat -S` prints no header: without a caller's hint or a marker line of our own
  // (`# iptables -S -t nat`), each table's lines are of the table the file's name or its
  // built-in chains and targets say, filter only when nothing says otherwise
  const blocks = specBlocks(lines);
  const notes = new Map<Block, string[]>();
  const note = (b: Block, s: string) => (notes.get(b) ?? notes.set(b, []).get(b)!).push(s);
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i];
    if (b.table !== undefined) continue;
    const own = lines.slice(b.start, blocks[i + 1]?.start ?? lines.length);
    if (i === 0) {
      if (opts.table !== undefined) b.table = opts.table;
      else {
        const inferred = inferSpecTable(file, own);
        b.table = inferred.table;
        if (inferred.from === 'content' && b.table !== 'filter') note(b, `no table named (file name or "# iptables -t ${b.table} -S" line): read as ${b.table}, from ${inferred.why}`);
      }
      continue;
    }
    // a second table's output with no marker line: -S prints a table's policies first, then its
    // chains and rules, so a policy line after rules (or a built-in chain out of hook order) began it
    const policies = own.map((l) => /^\s*-P\s+(\S+)/.exec(l)?.[1]).filter((c): c is string => c !== undefined);
    const byPolicies = tableOfPolicies(policies);
    if (byPolicies) {
      b.table = byPolicies;
      note(b, `no "# iptables -t <table> -S" line before line ${b.start + 1}, where the output of another table begins: read as ${b.table}, from its policy lines (${policies.join(', ')})`);
    } else {
      const inferred = inferSpecTable('', own);
      b.table = inferred.table;
      note(b, `no "# iptables -t <table> -S" line before line ${b.start + 1}, where the output of another table begins: read as ${b.table}, from ${inferred.why ?? 'nothing better (-S without -t lists filter)'}`);
    }
  }
  // a table met again in output of undeclared family is a second command's (ip6tables -S after iptables -S)
  let seen = new Set<string>();
  let declared: Family | undefined;
  for (const b of blocks) {
    if (b.declared && b.family !== declared) {
      seen = new Set();
      declared = b.family;
    }
    if (!b.declared && seen.has(b.table!)) {
      b.repeats = b.table;
      seen = new Set();
    }
    seen.add(b.table!);
  }
  const fromName = familyFromFileName(file) === 'ipv6' ? 'ipv6' : undefined;
  for (const [b, list] of resolveFamilies(blocks, lines, { ...opts, family: opts.family ?? fromName }, 'table')) for (const s of list) note(b, s);

  const { byFamily, rulesetOf } = rulesetsByFamily(file, 'spec', opts.origin ?? 'live');
  for (const [b, list] of notes) for (const message of list) rulesetOf(b).warnings.push({ file, line: b === blocks[0] ? 1 : b.start + 1, message });
  let bi = 0;
  let rs = rulesetOf(blocks[0]);
  let table = ensureTable(rs, blocks[0].table!, { file, line: 1 });
  let sawRule = false;
  const hinted = new Map<Ruleset, Set<Backend>>();
  const pipes: Pipes = {};
  /** each table's last -P/-N/-A line and the chain of its last -A line: where its output ends */
  const ends = new Map<Table, { line: number; after?: string }>();
  /** the file's last -P/-N/-A line, and whether any -A line came: a dump of declarations only (see below) */
  let lastKind: '-P' | '-N' | '-A' | undefined;
  let lastLine = 0;
  let anyRule = false;
  const cuts = new Cuts(file);
  /** the last -A line's rule in this table's output: a cut mark after it hides that chain's later rules */
  let lastRule: Rule | undefined;
  for (let n = 0; n < lines.length; n++) {
    const ref = { file, line: n + 1 };
    if (bi + 1 < blocks.length && n === blocks[bi + 1].start) {
      const b = blocks[++bi];
      rs = rulesetOf(b);
      table = ensureTable(rs, b.table!, ref);
      cuts.end();
      lastRule = undefined;
    }
    const line = lines[n].replace(/\r$/, '').trim();
    if (line === '') continue;
    if (line.length > MAX_LINE) {
      rs.warnings.push({ file, line: n + 1, message: 'over-long line skipped' });
      continue;
    }
    if (isElisionLine(line)) {
      cuts.mark(rs, table, n + 1, line, lastRule, 'iptables -S');
      lastRule = undefined;
      continue;
    }
    if (line.startsWith('#')) {
      if (/iptables-legacy tables present/.test(line)) rs.legacyTablesPresent = ref;
      else noteCommand(line, rs, hinted, ref, lines.length, pipes);
      continue;
    }
    if (line.startsWith('$') && noteCommand(line, rs, hinted, ref, lines.length, pipes)) continue;
    const tokens = tokenize(line);
    if (tokens[0] === '-P' && tokens.length >= 3) {
      const chain = ensureChain(table, tokens[1], ref);
      chain.ref = ref;
      chain.policy = tokens[2];
      if (tokens[3] === '-c') chain.policyCounters = { packets: Number(tokens[4]), bytes: Number(tokens[5]) };
      sawRule = true;
      ends.set(table, { ...ends.get(table), line: n + 1 });
      [lastKind, lastLine] = ['-P', n + 1];
    } else if (tokens[0] === '-N' && tokens[1]) {
      ensureChain(table, tokens[1], ref).ref = ref;
      sawRule = true;
      ends.set(table, { ...ends.get(table), line: n + 1 });
      [lastKind, lastLine] = ['-N', n + 1];
    } else if (tokens[0] === '-A' && tokens[1]) {
      const chain = ensureChain(table, tokens[1], ref);
      lastRule = parseRuleArgs(tokens, { table: table.name, chain: tokens[1], num: chain.rules.length + 1, ref, text: line }, 2, table.chains);
      chain.rules.push(lastRule);
      cuts.rule(rs, table, chain.name);
      sawRule = true;
      ends.set(table, { line: n + 1, after: chain.name });
      [lastKind, lastLine, anyRule] = ['-A', n + 1, true];
    } else rs.warnings.push({ file, line: n + 1, message: `line not understood: ${line.slice(0, 80)}` });
  }
  if (!sawRule) throw new SkipFile(file, 'no -P/-N/-A lines');
  cuts.finish();
  // -S prints every -N line before the first -A: output that ends among them with no rule at all is a paste cut there
  // (`iptables -S | head`, R20) or a host whose every rule was flushed (iptables -F keeps the chains): which, only a
  // complete iptables-save tells, so nothing is judged absent from it (a false "flushed" on a healthy host otherwise)
  if (!anyRule && lastKind === '-N')
    for (const r of byFamily.values()) {
      const note = `the iptables -S output ends at line ${lastLine} among its chain declarations (-N), before any rule (-A): cut there (| head) or every rule flushed (iptables -F keeps the chains); a complete iptables-save tells which, so rules not found in this file are not known to be absent`;
      r.warnings.push({ file, line: lastLine, message: note });
      r.truncated ??= { note };
    }
  // -S has no end marker: the chains after the last rule's are not known to be empty
  for (const [t, e] of ends) markUnlisted(t, file, e.line, e.after);
  // drop the tables a marker named that got no lines
  for (const r of byFamily.values()) for (const [name, t] of Object.entries(r.tables)) if (Object.keys(t.chains).length === 0) delete r.tables[name];
  for (const r of byFamily.values()) hintBackend(r, hinted.get(r));
  return primaryOf(finishAll([...byFamily.values()]));
}

/** Built-in chains in the order the kernel's hooks have them, which is the order -S prints their policies in. */
const HOOK_ORDER: Record<string, number> = { PREROUTING: 0, INPUT: 1, FORWARD: 2, OUTPUT: 3, POSTROUTING: 4 };

interface SpecBlock extends Block {
  /** the table a marker line named, or the one inferred */
  table?: string;
}

/**
 * The tables of `iptables -S` output: each `# iptables -t nat -S` marker line begins one; without
 * markers a table's output begins with its policy lines (one per built-in chain, in hook order),
 * so a policy line after -N/-A lines, or one whose chain comes before the previous one's, begins
 * the next (`iptables -S; iptables -t nat -S` saved in one file).
 */
function specBlocks(lines: string[]): SpecBlock[] {
  const blocks: SpecBlock[] = [{ start: 0 }];
  let content = false;
  let body = false;
  let lastHook = -1;
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n].replace(/\r$/, '').trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = TABLE_MARKER.exec(line);
      const cmd = COMMAND_MARKER.exec(line);
      // `# iptables -S` without -t is filter
      if (!m && !(cmd && /\s(?:-S|--list-rules)\b/.test(line))) continue;
      const family: Family | undefined = cmd ? (cmd[1] === 'ip6tables' ? 'ipv6' : 'ipv4') : /ip6tables/.test(line) ? 'ipv6' : undefined;
      const marker: Partial<SpecBlock> = { table: m?.[1] ?? 'filter', family, declared: family !== undefined };
      if (content) blocks.push({ start: n, ...marker });
      else Object.assign(blocks[blocks.length - 1], marker);
      content = false;
      body = false;
      lastHook = -1;
      continue;
    }
    if (/^-P\s/.test(line)) {
      const hook = HOOK_ORDER[line.split(/\s+/)[1]] ?? 5;
      if (content && (body || hook <= lastHook)) {
        blocks.push({ start: n });
        body = false;
      }
      lastHook = hook;
      content = true;
    } else if (/^-[NA]\s/.test(line)) {
      content = true;
      body = true;
    }
  }
  return blocks;
}

/** The table whose built-in chains are exactly these (filter for INPUT FORWARD OUTPUT: security has the same, but -S without -t is filter). */
function tableOfPolicies(chains: string[]): string | undefined {
  const key = [...new Set(chains)].sort((a, b) => (HOOK_ORDER[a] ?? 9) - (HOOK_ORDER[b] ?? 9)).join(' ');
  for (const t of ['filter', 'nat', 'mangle', 'raw']) if (BUILTIN_CHAINS[t].join(' ') === key) return t;
  return undefined;
}

const TABLES = ['filter', 'nat', 'mangle', 'raw', 'security'] as const;
/** Targets the kernel accepts in one table only. */
export const TABLE_ONLY_TARGETS: Record<string, string> = {
  DNAT: 'nat', SNAT: 'nat', MASQUERADE: 'nat', REDIRECT: 'nat', NETMAP: 'nat',
  NOTRACK: 'raw', CT: 'raw', TRACE: 'raw',
  TPROXY: 'mangle', TOS: 'mangle', TTL: 'mangle', HL: 'mangle', ECN: 'mangle', DSCP: 'mangle', CHECKSUM: 'mangle',
  SECMARK: 'security', CONNSECMARK: 'security',
};
const BUILTIN_NAMES = new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']);

function baseName(file: string): string {
  return file.slice(file.lastIndexOf('/') + 1);
}

/**
 * The table a file's name names: `iptables_-t_nat_-S`, `iptables-S-nat.txt`, `ip6tables-raw.txt`.
 * One table word only (security only after `-t`, it is an ordinary word otherwise).
 */
export function tableFromFileName(file: string): string | undefined {
  const name = baseName(file).toLowerCase();
  const words = new Set(name.split(/[^a-z0-9]+/).filter((w) => (TABLES as readonly string[]).includes(w) && w !== 'security'));
  if (/(^|[^a-z0-9])t[-_ ]?security([^a-z0-9]|$)/.test(name)) words.add('security');
  return words.size === 1 ? [...words][0] : undefined;
}

/**
 * Which table the unmarked start of `iptables -S` output is: the file's name when the chains in
 * it fit that table, else the table-only targets in it (DNAT is nat, TRACE raw, TPROXY mangle),
 * else its built-in chains (-S prints a -P line for each): PREROUTING with FORWARD is mangle,
 * POSTROUTING or INPUT beside PREROUTING nat, PREROUTING and OUTPUT alone raw. A file with
 * PREROUTING or POSTROUTING is never filter.
 */
export function inferSpecTable(file: string, lines: string[]): { table: string; from: 'name' | 'content' | 'default'; why?: string } {
  const builtins = new Set<string>();
  const tables = new Set<string>();
  for (const raw of lines) {
    const line = raw.trim();
    if (line.startsWith('#')) {
      if (TABLE_MARKER.test(line)) break;
      continue;
    }
    const m = /^-[PA]\s+(\S+)/.exec(line);
    if (!m) continue;
    if (BUILTIN_NAMES.has(m[1])) builtins.add(m[1]);
    const j = /\s(?:-j|--jump)\s+(\S+)/.exec(line);
    const only = j ? TABLE_ONLY_TARGETS[j[1]] : undefined;
    if (only) tables.add(only);
    // Docker's and kube-proxy's jumps to their DNAT chains
    // (filter's OUTPUT jumps to KUBE-SERVICES too, never from PREROUTING nor to DOCKER by address type)
    else if (j && ((j[1] === 'DOCKER' && /--dst-type\s+LOCAL/.test(line)) || (j[1] === 'KUBE-SERVICES' && m[1] === 'PREROUTING'))) tables.add('nat');
  }
  const fits = (t: string) => [...builtins].every((c) => BUILTIN_CHAINS[t].includes(c));
  const named = tableFromFileName(file);
  if (named && fits(named)) return { table: named, from: 'name' };
  if (tables.size === 1) {
    const t = [...tables][0];
    if (fits(t)) return { table: t, from: 'content', why: `its ${t}-only targets` };
  }
  const has = (c: string) => builtins.has(c);
  const why = `its built-in chains ${[...builtins].join(', ')}`;
  if (has('FORWARD') && (has('PREROUTING') || has('POSTROUTING'))) return { table: 'mangle', from: 'content', why };
  if (has('PREROUTING') || has('POSTROUTING')) {
    if (tables.has('nat') || has('POSTROUTING') || has('INPUT')) return { table: 'nat', from: 'content', why };
    if (tables.has('raw') || (has('PREROUTING') && has('OUTPUT'))) return { table: 'raw', from: 'content', why };
    if (tables.has('mangle')) return { table: 'mangle', from: 'content', why };
    return { table: 'nat', from: 'content', why };
  }
  return { table: 'filter', from: 'default' };
}

/**
 * Family from the addresses when no header named it, and what the kernel assumes where a
 * restore file left it out: REJECT without --reject-with sends port-unreachable (iptables-save
 * always prints it, so dumps already say so).
 */
function finish(rs: Ruleset): Ruleset {
  if (rs.family === 'unknown') rs.family = guessFamily(rs);
  const reject = rs.family === 'ipv6' ? 'icmp6-port-unreachable' : 'icmp-port-unreachable';
  for (const t of Object.values(rs.tables))
    for (const c of Object.values(t.chains))
      for (const r of c.rules)
        if (r.target === 'REJECT' && r.targetOptions['reject-with'] === undefined) r.targetOptions = { ...r.targetOptions, 'reject-with': reject };
  return rs;
}

function guessFamily(rs: Ruleset): Ruleset['family'] {
  for (const t of Object.values(rs.tables))
    for (const c of Object.values(t.chains))
      for (const r of c.rules) {
        const a = r.source?.value ?? r.destination?.value;
        if (a) return a.includes(':') ? 'ipv6' : 'ipv4';
      }
  return 'ipv4';
}

/**
 * Cheap content test for hand-made bundles. Pasted fragments count too: a dump indented by a
 * mail client or ticket system, or bare `-A` rule and `:CHAIN` lines (read like iptables-save).
 */
export function sniffIptables(head: string): 'save' | 'spec' | 'list' | null {
  if (/^#\s*Generated by (?:ip6?tables(-legacy|-nft)?|xtables)-save/m.test(head) || (/^\s*\*(filter|nat|mangle|raw|security)\s*$/m.test(head) && /^\s*(:\S+ \S+|-A \S+|COMMIT)/m.test(head))) return 'save';
  if (/^Chain \S+ \((policy \w+|\d+ references?)/m.test(head)) return 'list';
  if (/^-P (INPUT|FORWARD|OUTPUT|PREROUTING|POSTROUTING) (ACCEPT|DROP)/m.test(head)) return 'spec';
  // the first line that is not a comment nor a mark where the user left lines out (`...` first: kube-arm#62)
  let first: string | undefined;
  for (const raw of head.split('\n', 200)) {
    const l = raw.trim();
    if (l === '' || l.startsWith('#') || isElisionLine(l)) continue;
    first = l;
    break;
  }
  if (first && (/^(\[\d+:\d+\]\s+)?-A [\w.+-]+\s+(!\s+)?-[-a-z]/.test(first) || /^:[\w.+-]+ (ACCEPT|DROP|-) \[\d+:\d+\]\s*$/.test(first))) return 'save';
  return null;
}

export function requireRules(rs: Ruleset): Ruleset {
  if (Object.keys(rs.tables).length === 0) throw new ParseError('no tables found', rs.file);
  return rs;
}
