/**
 * iptables-save / ip6tables-save / iptables-legacy-save / iptables-nft-save output (also
 * iptables-restore input and /etc/sysconfig/iptables), and the `iptables -S [-v]` rule-spec
 * format. A hand tokenizer, no regex per rule: a 180,000-line kube-proxy dump parses in well
 * under a second.
 */
import { ParseError, SkipFile, type SourceRef } from '../model/source.js';
import { canonicalXmark, ensureChain, ensureTable, newRuleset, normalizeAddress, normalizeProtocol, type Match, type Negatable, type Rule, type Ruleset } from './rules.js';

const MAX_LINE = 64 * 1024;

/** Splits a rule line like a shell would: whitespace, "double" and 'single' quotes, backslash escapes. */
export function tokenize(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inToken = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === '\\' && quote === '"' && i + 1 < line.length && (line[i + 1] === '"' || line[i + 1] === '\\')) {
        cur += line[++i];
      } else if (c === quote) quote = undefined;
      else cur += c;
      continue;
    }
    if (c === ' ' || c === '\t') {
      if (inToken) {
        out.push(cur);
        cur = '';
        inToken = false;
      }
      continue;
    }
    inToken = true;
    if (c === '"' || c === "'") quote = c;
    else if (c === '\\' && i + 1 < line.length) cur += line[++i];
    else cur += c;
  }
  if (inToken) out.push(cur);
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
export function parseRuleArgs(tokens: string[], base: Omit<Rule, 'matches' | 'targetOptions'>): Rule {
  const rule: Rule = { ...base, matches: [], targetOptions: {} };
  let current: Match | undefined;
  let inTarget = false;
  let negate = false;
  let i = 0;
  const takeValues = (): string | undefined => {
    const vals: string[] = [];
    while (i < tokens.length && !(tokens[i].startsWith('-') && tokens[i].length > 1 && !/^-\d/.test(tokens[i])) && tokens[i] !== '!') vals.push(tokens[i++]);
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
    if (core && !inTarget) {
      let value = tokens[i] ?? '';
      i++;
      // old syntax `-i ! docker0`
      if (value === '!') {
        negate = !negate;
        value = tokens[i++] ?? '';
      }
      const nv: Negatable<string> = {
        value: core === 'protocol' ? normalizeProtocol(value) : core === 'source' || core === 'destination' ? normalizeAddress(value) : value,
        negated: negate,
      };
      if (core === 'protocol' && nv.value === 'all' && !nv.negated) {
        // `-p all` matches everything: same as no protocol
      } else rule[core] = nv;
      negate = false;
      current = undefined;
      continue;
    }
    if ((t === '-f' || t === '--fragment') && !inTarget) {
      rule.fragment = { value: true, negated: negate };
      negate = false;
      continue;
    }
    if (t === '-m' || t === '--match') {
      const module = tokens[i++] ?? '';
      current = { module, options: [], raw: `-m ${module}` };
      rule.matches.push(current);
      inTarget = false;
      negate = false;
      continue;
    }
    if (t === '-j' || t === '--jump' || t === '-g' || t === '--goto') {
      rule.target = tokens[i++];
      rule.targetKind = t === '-g' || t === '--goto' ? 'goto' : 'jump';
      inTarget = true;
      current = undefined;
      negate = false;
      continue;
    }
    if (t.startsWith('-')) {
      const name = t.replace(/^-+/, '');
      const value = takeValues();
      if (inTarget) {
        rule.targetOptions[name] = value ?? '';
        if (rule.target === 'MARK' && value !== undefined) {
          const x = canonicalXmark(name, value);
          if (x) rule.targetOptions['set-xmark'] = x;
        }
      }
      else {
        // `-p tcp --dport 22` without `-m tcp`: the protocol's implicit match
        if (!current) {
          const implicit = rule.protocol?.value ?? 'unknown';
          current = rule.matches.find((m) => m.module === implicit) ?? { module: implicit, options: [], raw: '' };
          if (!rule.matches.includes(current)) rule.matches.push(current);
        }
        current.options.push({ name, value, negated: negate });
        current.raw += ` ${negate ? '! ' : ''}${t}${value !== undefined ? ' ' + quoteIfNeeded(value) : ''}`;
        if (current.module === 'comment' && name === 'comment' && value !== undefined) rule.comment = value;
      }
      negate = false;
      continue;
    }
    // a stray word: keep it visible rather than dropping it
    if (current) current.raw += ` ${t}`;
    else (rule.incomplete ??= []).push(`unexpected word ${JSON.stringify(t)}`);
  }
  return rule;
}

function quoteIfNeeded(v: string): string {
  return /[\s"]/.test(v) ? JSON.stringify(v) : v;
}

export interface SaveOptions {
  origin?: Ruleset['origin'];
  /** the format a caller knows the file to be in (`iptables -S` output has no `*table` lines) */
  family?: 'ipv4' | 'ipv6';
}

const HEADER = /^#\s*Generated by (ip6?tables)(?:-(legacy|nft))?-save v(\d+\.\d+(?:\.\d+)?)(?:\s*\((nf_tables|legacy)\))?/;
const TABLE_MARKER = /^#.*\s-t\s+(\w+)/;

/** iptables-save output, or iptables-restore input. */
export function parseIptablesSave(text: string, file: string, opts: SaveOptions = {}): Ruleset {
  const rs = newRuleset(file, 'save', opts.origin ?? 'live');
  if (opts.family) rs.family = opts.family;
  const lines = text.split('\n');
  let table: ReturnType<typeof ensureTable> | undefined;
  let sawStructure = false;
  let lastRule: { rule: Rule; tokens: string[]; lineText: string } | undefined;
  for (let n = 0; n < lines.length; n++) {
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
      const h = HEADER.exec(trimmed);
      if (h) {
        rs.family = h[1] === 'ip6tables' ? 'ipv6' : rs.family === 'unknown' ? 'ipv4' : rs.family;
        rs.version = h[3];
        // iptables-nft-save always names its back end; legacy 1.8.x prints none, and before 1.8 there was only legacy
        rs.backend = h[4] === 'nf_tables' || h[2] === 'nft' ? 'nf_tables' : 'legacy';
      } else if (/iptables-legacy tables present/.test(trimmed)) rs.legacyTablesPresent = ref;
      continue;
    }
    if (trimmed.startsWith('*')) {
      table = ensureTable(rs, trimmed.slice(1).trim(), ref);
      sawStructure = true;
      lastRule = undefined;
      continue;
    }
    if (trimmed === 'COMMIT') {
      lastRule = undefined;
      continue;
    }
    if (trimmed.startsWith(':')) {
      if (!table) table = ensureTable(rs, 'filter', ref);
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
    const c = /^\[(\d+):(\d+)\]\s+/.exec(body);
    if (c) {
      counters = { packets: Number(c[1]), bytes: Number(c[2]) };
      body = body.slice(c[0].length);
    }
    if (body.startsWith('-A ') || body.startsWith('-I ') || body.startsWith('--append ')) {
      if (!table) table = ensureTable(rs, 'filter', ref);
      const tokens = tokenize(body);
      const chainName = tokens[1];
      if (!chainName) {
        rs.warnings.push({ file, line: n + 1, message: 'rule without a chain' });
        continue;
      }
      const chain = ensureChain(table, chainName, ref);
      const rule = parseRuleArgs(tokens.slice(2), { table: table.name, chain: chainName, num: chain.rules.length + 1, ref, text: body, counters });
      if (counters) rule.counters = counters;
      chain.rules.push(rule);
      lastRule = { rule, tokens, lineText: body };
      sawStructure = true;
      continue;
    }
    if (lastRule && !/^-[A-Z] /.test(body)) {
      // a rule hard-wrapped across two lines when pasted: join it and say so
      const joined = `${lastRule.lineText} ${body}`;
      const chain = table!.chains[lastRule.rule.chain];
      const rule = parseRuleArgs(tokenize(joined).slice(2), { table: lastRule.rule.table, chain: lastRule.rule.chain, num: lastRule.rule.num, ref: lastRule.rule.ref, text: joined, counters: lastRule.rule.counters });
      chain.rules[chain.rules.length - 1] = rule;
      lastRule = { rule, tokens: tokenize(joined), lineText: joined };
      rs.warnings.push({ file, line: n + 1, message: `continues the rule of line ${lastRule.rule.ref.line} (wrapped line joined)` });
      continue;
    }
    rs.warnings.push({ file, line: n + 1, message: `line not understood: ${body.slice(0, 80)}` });
  }
  if (!sawStructure) throw new SkipFile(file, 'no iptables-save tables or rules');
  if (rs.family === 'unknown') rs.family = guessFamily(rs);
  return rs;
}

/** `iptables -S [-v]` output: `-P CHAIN POLICY`, `-N CHAIN`, `-A ...` (`-c p b` with -v). */
export function parseIptablesSpec(text: string, file: string, opts: SaveOptions & { table?: string } = {}): Ruleset {
  const rs = newRuleset(file, 'spec', opts.origin ?? 'live');
  if (opts.family) rs.family = opts.family;
  const lines = text.split('\n');
  let table = ensureTable(rs, opts.table ?? 'filter', { file, line: 1 });
  let sawRule = false;
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n].replace(/\r$/, '').trim();
    if (line === '') continue;
    const ref = { file, line: n + 1 };
    if (line.length > MAX_LINE) {
      rs.warnings.push({ file, line: n + 1, message: 'over-long line skipped' });
      continue;
    }
    if (line.startsWith('#')) {
      const m = TABLE_MARKER.exec(line);
      if (m) {
        table = ensureTable(rs, m[1], ref);
        if (/ip6tables/.test(line)) rs.family = 'ipv6';
      }
      if (/iptables-legacy tables present/.test(line)) rs.legacyTablesPresent = ref;
      continue;
    }
    const tokens = tokenize(line);
    if (tokens[0] === '-P' && tokens.length >= 3) {
      const chain = ensureChain(table, tokens[1], ref);
      chain.ref = ref;
      chain.policy = tokens[2];
      if (tokens[3] === '-c') chain.policyCounters = { packets: Number(tokens[4]), bytes: Number(tokens[5]) };
      sawRule = true;
    } else if (tokens[0] === '-N' && tokens[1]) {
      ensureChain(table, tokens[1], ref).ref = ref;
      sawRule = true;
    } else if (tokens[0] === '-A' && tokens[1]) {
      const chain = ensureChain(table, tokens[1], ref);
      chain.rules.push(parseRuleArgs(tokens.slice(2), { table: table.name, chain: tokens[1], num: chain.rules.length + 1, ref, text: line }));
      sawRule = true;
    } else rs.warnings.push({ file, line: n + 1, message: `line not understood: ${line.slice(0, 80)}` });
  }
  if (!sawRule) throw new SkipFile(file, 'no -P/-N/-A lines');
  // drop the default table if the file only used markers for other tables
  for (const [name, t] of Object.entries(rs.tables)) if (Object.keys(t.chains).length === 0) delete rs.tables[name];
  if (rs.family === 'unknown') rs.family = guessFamily(rs);
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

/** Cheap content test for hand-made bundles. */
export function sniffIptables(head: string): 'save' | 'spec' | 'list' | null {
  if (/^#\s*Generated by ip6?tables(-legacy|-nft)?-save/m.test(head) || (/^\*(filter|nat|mangle|raw|security)\s*$/m.test(head) && /^(:\S+ \S+|-A \S+|COMMIT)/m.test(head))) return 'save';
  if (/^Chain \S+ \((policy \w+|\d+ references?)/m.test(head)) return 'list';
  if (/^-P (INPUT|FORWARD|OUTPUT|PREROUTING|POSTROUTING) (ACCEPT|DROP)/m.test(head)) return 'spec';
  return null;
}

export function requireRules(rs: Ruleset): Ruleset {
  if (Object.keys(rs.tables).length === 0) throw new ParseError('no tables found', rs.file);
  return rs;
}
