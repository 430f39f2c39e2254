/**
 * The packet tracer: walks one packet through a node's iptables rules offline, in netfilter's
 * order (raw -> mangle -> nat -> filter for each hook of its path), following jumps, gotos,
 * RETURN and policies, applying MARK and DNAT on the way. Every rule that matched is recorded
 * with its file and line. A match it does not model (an ipset whose members the bundle lacks, an
 * interface not given) is a fork: both outcomes, matched and not, are walked (a bounded number of
 * times); when every outcome reaches the same verdict that verdict is the answer, with the rules
 * that could not be evaluated named (and whether they could change the NAT). Otherwise the walk
 * ends with "unknown at rule X" instead of a guess; `-m statistic` is a branch and is reported as one.
 */
import { addressIn, formatCidr, parseCidr, parseIp } from '../parsers/cidr.js';
import { ICMP6_ECHO_REQUEST, icmp6TypeMatches, icmpTypeMatches } from './icmp.js';
import { hasMatch, isAddressLiteral, matchText, type Chain, type Match, type Rule, type Ruleset } from './rules.js';
import { parseNatAddress } from './values.js';

export type Path = 'input' | 'forward' | 'output';
export type ConnState = 'new' | 'established' | 'related' | 'invalid' | 'untracked';

/**
 * A packet, IPv4 or IPv6 (its addresses say which: an IPv6 packet is walked through the IPv6 rules,
 * ip6tables' and those of nft `ip6` / `inet` tables; ICMPv6 is `ipv6-icmp`, as ip6tables-save names
 * it). A packet carries no IPv6 extension headers and is no fragment.
 */
export interface Packet {
  src: string;
  dst: string;
  protocol: 'tcp' | 'udp' | 'icmp' | 'ipv6-icmp' | string;
  dport?: number;
  sport?: number;
  inInterface?: string;
  outInterface?: string;
  state: ConnState;
  mark: number;
  /** was the destination rewritten (conntrack's DNAT status) */
  dnat?: boolean;
  /** ICMP type and code (default: an echo request, 8/0; ICMPv6: 128/0) */
  icmpType?: number;
  icmpCode?: number;
  /**
   * Set by the tracer when a SNAT or MASQUERADE rule (iptables or nftables) rewrites the source on
   * the way out: `to` is SNAT's address; a masquerade takes the address of the interface the packet
   * leaves by (`masquerade`), which the caller knows and the rules do not.
   */
  snat?: { to?: string; masquerade?: boolean };
  /**
   * A reply of a connection whose source was NATed (masqueraded, SNATed) on its way out: `dst` is the
   * address the reply comes back to (the NAT address, one of the node's), and conntrack puts the
   * original source back as the destination in PREROUTING at NF_IP_PRI_NAT_DST (-100). Chains before
   * that (raw -300, mangle -150, native chains below -100) see the reply as it came in; the nat
   * PREROUTING hook and everything after (routing, filter FORWARD/INPUT) see `unSnat.dst`.
   */
  unSnat?: { dst: string; dport?: number };
}

/** A netfilter hook. */
export type Hook = 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting';

/**
 * A base chain of another rule source on a hook (native nftables tables: firewalld's, Docker's
 * own): walked in priority order among the iptables tables on that hook, so a drop in either
 * decides, in the order the kernel runs them.
 */
export interface ExtraChain {
  priority: number;
  /** the chain's type (nftables: filter, nat, route); a nat chain's accept is never what accepted the packet */
  type?: string;
  /**
   * walks the chain; may rewrite the packet (mark, DNAT, SNAT); pushes the steps it took. ACCEPT lets
   * the packet go on to the next chain; its `by` is the rule whose verdict accepted it, or the chain's
   * policy when the walk fell off its end.
   */
  walk(p: Packet, steps: TraceStep[], ctx: TraceContext): Verdict & { by?: TraceStep };
}

export interface TraceContext {
  /** the node's own addresses (addrtype LOCAL): IPv4, and for an IPv6 packet its IPv6 ones (link-local too; ::1 is always local) */
  localAddresses: string[];
  /** the interface the node routes an address out of (used when DNAT turns a delivery into a forward) */
  interfaceFor?: (ip: string) => string | undefined;
  /** statistic (load-balancing) rules to treat as not matching: how the other branches are explored */
  skipBranches?: Set<Rule>;
  /** broadcast addresses (addrtype BROADCAST) */
  broadcastAddresses?: string[];
  /** base chains of other tables on each hook (native nftables), interleaved by priority */
  extraChains?: (hook: Hook) => ExtraChain[];
  /**
   * What is known of an ipset's members (`-m set --match-set NAME src|dst,...`): true / false for
   * this packet, undefined when not known (the rule then is a fork).
   */
  ipset?: (name: string, directions: string[], p: Packet) => boolean | undefined;
  /**
   * Rules (iptables Rule or nftables NftRule objects) whose match could not be evaluated, and the
   * outcome to assume for them: how the tracer explores both sides of such a rule.
   */
  assume?: ReadonlyMap<object, boolean | number>;
  /**
   * set by a walker that stops at a match it cannot evaluate: the rule to fork on (internal to
   * trace()); `choices` for a rule with n outcomes (nftables `numgen ... mod n vmap`: entry 0..n-1)
   */
  pendingFork?: { rule?: object; choices?: number };
  /** a walker records here each rule whose outcome it took from `assume` (internal to trace()) */
  assumed?: Undecided[];
  /** do not fork on unknown matches (one walk, as before) */
  noFork?: boolean;
}

/** A rule whose match the tracer could not evaluate, walked both ways. */
export interface Undecided {
  at: TraceStep;
  reason: string;
}

export interface TraceStep {
  table: string;
  chain: string;
  /** 0 for the chain policy */
  num: number;
  text: string;
  file: string;
  line: number;
  action: 'match' | 'policy' | 'return' | 'mark' | 'dnat' | 'branch';
  /** set when the step is in a native nftables table (firewalld's, Docker's own): its family and name */
  nft?: { family: string; table: string };
}

export type Verdict =
  | { kind: 'ACCEPT' }
  | { kind: 'DROP' }
  | { kind: 'REJECT'; with: string }
  | { kind: 'unknown'; reason: string; at?: TraceStep };

export interface TraceResult {
  verdict: Verdict;
  /** the path the packet took after the routing decision (DNAT can turn a local delivery into a forward) */
  path: Path;
  /**
   * the rule or policy that decided: for a DROP/REJECT the rule (or policy) that dropped it; for an
   * ACCEPT the last accept of the filtering (an ACCEPT rule, or a filter chain's policy), never a
   * jump and never a nat rule
   */
  decidedBy?: TraceStep;
  steps: TraceStep[];
  packet: Packet;
  /** statistic branches passed: the verdict holds for the branch that was followed */
  branches: TraceStep[];
  /** the rules of those branches (to explore the others) */
  branchRules: Rule[];
  /**
   * rules whose match could not be evaluated: both outcomes were walked and reached the verdict
   * given (the steps shown are those of the outcome where none of them matched)
   */
  undecided?: Undecided[];
  /**
   * when those outcomes differ in what NAT did (destination, source NAT, path): each one. The
   * verdict holds for all of them; the addresses do not.
   */
  natOutcomes?: { path: Path; dst: string; dport?: number; snat?: Packet['snat']; decidedBy?: TraceStep }[];
}

/** The iptables tables with a base chain on each hook, in netfilter's priority order. */
export const TABLES_ON_HOOK: Record<Hook, readonly string[]> = {
  prerouting: ['raw', 'mangle', 'nat'],
  input: ['mangle', 'nat', 'filter', 'security'],
  forward: ['mangle', 'filter', 'security'],
  output: ['raw', 'mangle', 'nat', 'filter', 'security'],
  postrouting: ['mangle', 'nat'],
};

const onHook = (hook: Hook) => ({ chain: hook.toUpperCase(), tables: TABLES_ON_HOOK[hook] });

/** The hooks a packet meets on its path, and the tables at each (netfilter's priority order). */
const HOOKS: Record<Path, { chain: string; tables: readonly string[] }[]> = {
  input: [onHook('prerouting'), onHook('input')],
  forward: [onHook('prerouting'), onHook('forward'), onHook('postrouting')],
  output: [onHook('output'), onHook('postrouting')],
};

/** The priority of each iptables table's chain on a hook (the NF_IP_PRI_* values iptables-nft uses too). */
export function tablePriority(table: string, hook: string): number {
  switch (table) {
    case 'raw':
      return -300;
    case 'mangle':
      return -150;
    case 'nat':
      return hook === 'PREROUTING' || hook === 'OUTPUT' ? -100 : 100;
    case 'security':
      return 50;
    default:
      return 0;
  }
}

const MAX_DEPTH = 64;
const MAX_STEPS = 100_000;

/**
 * Merges a node's live rulesets of one family and one back end into one view (sosreports hold one
 * file per table). Legacy and nf_tables keep separate tables whose base chains all run: rulesets
 * of another back end than the first file's with a known one are left out, not merged (their
 * FORWARD would be hidden by this one's); give each back end's files separately
 * (netfilter/backends.ts groups them). Files of no known back end (listings) are merged.
 */
export function mergeRulesets(rulesets: Ruleset[]): Map<string, Map<string, Chain>> {
  const tables = new Map<string, Map<string, Chain>>();
  const backend = rulesets.find((r) => r.backend !== 'unknown')?.backend;
  for (const rs of rulesets) {
    if (rs.backend !== 'unknown' && rs.backend !== backend) continue;
    for (const [name, t] of Object.entries(rs.tables)) {
      const chains = tables.get(name) ?? tables.set(name, new Map()).get(name)!;
      for (const [c, chain] of Object.entries(t.chains)) if (!chains.has(c)) chains.set(c, chain);
    }
  }
  return tables;
}

/** At most this many rules with unknown matches are forked on along one trace, and at most this many walks made. */
export const MAX_FORKED_RULES = 6;
const MAX_FORK_WALKS = 64;

/**
 * Traces a packet. A rule whose match cannot be evaluated is walked both ways (matched and not);
 * when every outcome reaches the same verdict (ACCEPT, DROP, REJECT), that is the verdict, with
 * `undecided` naming those rules and `natOutcomes` the NAT of each outcome when they differ. The
 * result shown is the outcome where none of them matched. Outcomes that differ, or more forks than
 * the bound, leave the verdict unknown at the first such rule, as a single walk would.
 */
export function trace(tables: Map<string, Map<string, Chain>>, path: Path, packet: Packet, ctx: TraceContext): TraceResult {
  const first = traceOnce(tables, path, packet, ctx);
  if (ctx.noFork || first.result.verdict.kind !== 'unknown' || !first.fork) return first.result;
  const leaves: TraceResult[] = [];
  const undecided = new Map<string, Undecided>();
  // the outcomes of a fork, pushed so that the not-matched side (or entry 0) is walked first
  const sides = (f: { rule: object; choices?: number }): (boolean | number)[] => (f.choices ? Array.from({ length: f.choices }, (_, i) => f.choices! - 1 - i) : [true, false]);
  const forks = (assume: ReadonlyMap<object, boolean | number>, f: { rule: object; choices?: number }) => sides(f).map((v) => ({ assume: new Map([...assume, [f.rule, v]]) }));
  // depth first: the first leaf is the outcome where no undecided rule matched
  const todo: { assume: Map<object, boolean | number> }[] = forks(ctx.assume ?? new Map(), first.fork);
  const own = (ctx.assume?.size ?? 0) + MAX_FORKED_RULES;
  let walks = 1;
  while (todo.length > 0) {
    const next = todo.pop()!;
    if (++walks > MAX_FORK_WALKS) return first.result;
    const run = traceOnce(tables, path, packet, { ...ctx, assume: next.assume });
    for (const u of run.result.undecided ?? []) undecided.set(`${u.at.file}:${u.at.line}:${u.at.chain}:${u.at.num}`, u);
    if (run.result.verdict.kind === 'unknown') {
      if (!run.fork || next.assume.size >= own) return first.result;
      todo.push(...forks(next.assume, run.fork));
      continue;
    }
    leaves.push(run.result);
  }
  const kind = leaves[0].verdict.kind;
  if (leaves.some((l) => l.verdict.kind !== kind)) return first.result;
  const main = leaves[0];
  main.undecided = [...undecided.values()];
  const natKey = (l: TraceResult) => `${l.path}|${l.packet.dst}|${l.packet.dport}|${l.packet.snat?.to ?? ''}|${l.packet.snat?.masquerade ?? ''}`;
  if (new Set(leaves.map(natKey)).size > 1) {
    const seen = new Set<string>();
    main.natOutcomes = [];
    for (const l of leaves) {
      if (seen.has(natKey(l))) continue;
      seen.add(natKey(l));
      main.natOutcomes.push({ path: l.path, dst: l.packet.dst, dport: l.packet.dport, snat: l.packet.snat, decidedBy: l.decidedBy });
    }
  }
  return main;
}

/** One walk: stops at the first rule whose match is not known (and not assumed), naming it as `fork`. */
function traceOnce(tables: Map<string, Map<string, Chain>>, path: Path, packet: Packet, outer: TraceContext): { result: TraceResult; fork?: { rule: object; choices?: number } } {
  const ctx: TraceContext = { ...outer, pendingFork: {}, assumed: [] };
  const result = walkPacket(tables, path, packet, ctx);
  if (ctx.assumed!.length > 0) result.undecided = ctx.assumed;
  const pending = ctx.pendingFork!;
  const fork = result.verdict.kind === 'unknown' && pending.rule ? { rule: pending.rule, choices: pending.choices } : undefined;
  return { result, fork };
}

function walkPacket(tables: Map<string, Map<string, Chain>>, path: Path, packet: Packet, ctx: TraceContext): TraceResult {
  const p: Packet = { ...packet };
  const result: TraceResult = { verdict: { kind: 'ACCEPT' }, path, steps: [], packet: p, branches: [], branchRules: [] };
  let stepCount = 0;
  // the last accept of the filtering so far (an ACCEPT rule outside nat, or a filter chain's policy): what accepted the packet
  let accepted: TraceStep | undefined;

  const walk = (table: string, chainName: string, depth: number): Verdict | 'return' | undefined => {
    const chain = tables.get(table)?.get(chainName);
    if (!chain) return undefined;
    if (depth > MAX_DEPTH) return { kind: 'unknown', reason: `jump depth over ${MAX_DEPTH} in ${table}/${chainName} (a loop?)` };
    for (const rule of chain.rules) {
      if (++stepCount > MAX_STEPS) return { kind: 'unknown', reason: 'too many rules walked' };
      if (ctx.skipBranches?.has(rule)) continue;
      let m = matches(rule, p, ctx);
      const step = stepOf(rule, 'match');
      if (m === 'unknown') {
        const assumed = ctx.assume?.get(rule);
        if (assumed === undefined) {
          if (ctx.pendingFork) ctx.pendingFork.rule = rule;
          return { kind: 'unknown', reason: unknownReason(rule, p), at: step };
        }
        ctx.assumed?.push({ at: step, reason: unknownReason(rule, p) });
        m = assumed === true;
      }
      if (!m) continue;
      if (hasMatch(rule, 'statistic')) {
        result.branches.push({ ...step, action: 'branch' });
        result.branchRules.push(rule);
      }
      const target = rule.target;
      if (!target) {
        result.steps.push(step);
        continue;
      }
      switch (target) {
        case 'ACCEPT':
          result.steps.push(step);
          if (table !== 'nat') accepted = step;
          return { kind: 'ACCEPT' };
        case 'DROP':
          result.steps.push(step);
          return { kind: 'DROP' };
        case 'REJECT':
          result.steps.push(step);
          if (isIpv6(p)) return { kind: 'REJECT', with: rejectWith6(rule.targetOptions['reject-with']) };
          return { kind: 'REJECT', with: rule.targetOptions['reject-with'] ?? (p.protocol === 'tcp' ? 'icmp-port-unreachable' : 'icmp-port-unreachable') };
        case 'RETURN':
          result.steps.push({ ...step, action: 'return' });
          return 'return';
        case 'MARK': {
          const x = rule.targetOptions['set-xmark'];
          if (x) {
            const [v, mask] = x.split('/').map((n) => Number(n));
            p.mark = ((p.mark & ~mask) ^ v) >>> 0;
          }
          result.steps.push({ ...step, action: 'mark' });
          continue;
        }
        case 'DNAT': {
          const to = rule.targetOptions['to-destination'];
          result.steps.push({ ...step, action: 'dnat' });
          if (to && isIpv6Nat(to)) {
            // `[fd00::2]:80`, `fd00::2`, `[fd00::2-fd00::9]:80-90`: the first address and port
            const nat = parseNatAddress(to);
            if (nat?.from) p.dst = nat.from;
            if (nat?.ports) p.dport = nat.ports.from;
            if (nat) p.dnat = true;
          } else if (to) {
            const mm = /^\[?([0-9a-fA-F.:]+?)\]?(?::(\d+)(?:-\d+)?)?$/.exec(to);
            if (mm) {
              p.dst = mm[1];
              if (mm[2]) p.dport = Number(mm[2]);
              p.dnat = true;
            }
          }
          // nat decides once per connection: DNAT ends the chain walk like ACCEPT does for nat
          return { kind: 'ACCEPT' };
        }
        case 'SNAT':
        case 'MASQUERADE':
          result.steps.push(step);
          // conntrack keeps the first source NAT of a connection
          if (!p.snat && target === 'SNAT' && isIpv6Nat(rule.targetOptions['to-source'] ?? '')) p.snat = { to: parseNatAddress(rule.targetOptions['to-source']!)?.from };
          if (!p.snat) p.snat = target === 'SNAT' ? { to: /^\[?([0-9a-fA-F.:]+?)\]?(?::\d+(?:-\d+)?)?(?:-[0-9a-fA-F.:]+)?$/.exec(rule.targetOptions['to-source'] ?? '')?.[1] } : { masquerade: true };
          return { kind: 'ACCEPT' };
        case 'REDIRECT':
          result.steps.push(step);
          return { kind: 'ACCEPT' };
        case 'LOG':
        case 'NFLOG':
        case 'TRACE':
        case 'CHECKSUM':
        case 'CT':
        case 'NOTRACK':
        case 'TCPMSS':
        case 'CONNMARK':
        case 'DSCP':
        case 'TOS':
        case 'AUDIT':
          result.steps.push(step);
          continue;
        case 'QUEUE':
        case 'NFQUEUE':
          result.steps.push(step);
          return { kind: 'unknown', reason: `${target} hands the packet to user space`, at: step };
        default: {
          if (!tables.get(table)?.has(target)) {
            result.steps.push(step);
            // a jump to a chain the dump does not list (a cut paste: DOCKER-USER, KUBE-FORWARD) is no tracer's limit
            return {
              kind: 'unknown',
              reason: EXTENSION_TARGETS.has(target) ? `target ${target} not modelled` : `chain ${target}: its rules are not in the bundle (collect iptables -t ${table} -L ${target} -n -v, or iptables-save)`,
              at: step,
            };
          }
          result.steps.push(step);
          const v = walk(table, target, depth + 1);
          if (v === 'return' || v === undefined) {
            if (rule.targetKind === 'goto') return 'return';
            continue;
          }
          return v;
        }
      }
    }
    return 'return';
  };

  // An incoming packet meets PREROUTING, then the routing decision: delivered locally (INPUT) if its
  // destination, possibly rewritten by DNAT, is one of the node's addresses, else forwarded.
  const incoming = path !== 'output';
  const hooks = incoming ? [HOOKS.input[0]] : HOOKS.output;
  let routed = !incoming;
  for (let h = 0; h < hooks.length || !routed; h++) {
    if (h === hooks.length && !routed) {
      routed = true;
      // broadcast (limited, or a directed broadcast of one of the node's subnets) and multicast are delivered locally, never routed on
      const local =
        destinationKind(p.dst, ctx) !== undefined ||
        (ctx.localAddresses.length > 0 ? (isIpv6(p) ? isLocal6(p.dst, ctx) : ctx.localAddresses.includes(p.dst) || addressIn(p.dst, '127.0.0.0/8')) : path === 'input');
      result.path = local ? 'input' : 'forward';
      if (!local && p.outInterface === undefined) p.outInterface = ctx.interfaceFor?.(p.dst);
      hooks.push(...(local ? HOOKS.input.slice(1) : HOOKS.forward.slice(1)));
    }
    const hook = hooks[h];
    const hookName = hook.chain.toLowerCase() as Hook;
    const extra = ctx.extraChains?.(hookName) ?? [];
    const units: ({ table: string; priority: number } | { extra: ExtraChain; priority: number } | { unSnat: NonNullable<Packet['unSnat']>; priority: number })[] = [
      ...hook.tables.map((table) => ({ table, priority: tablePriority(table, hook.chain) })),
      ...extra.map((e) => ({ extra: e, priority: e.priority })),
    ];
    // a reply of a source-NATed connection gets its destination back at NF_IP_PRI_NAT_DST; a filter
    // chain at exactly -100 made after the NAT hooks runs before it (the kernel inserts a hook ahead
    // of the ones of equal priority), so this goes after the units of equal priority
    if (hook.chain === 'PREROUTING' && p.unSnat) units.push({ unSnat: p.unSnat, priority: -100 });
    // equal priorities: the iptables table first (stable sort keeps the listing order)
    units.sort((a, b) => a.priority - b.priority);
    for (const unit of units) {
      if ('unSnat' in unit) {
        // (kept on the packet: it says what the connection's original source was, for --ctorigsrc)
        p.dst = unit.unSnat.dst;
        if (unit.unSnat.dport !== undefined) p.dport = unit.unSnat.dport;
        continue;
      }
      if ('extra' in unit) {
        const before = result.steps.length;
        const v = unit.extra.walk(p, result.steps, ctx);
        if (v.kind === 'ACCEPT') {
          if (v.by && unit.extra.type !== 'nat' && (v.by.action !== 'policy' || FILTER_HOOKS.has(hookName))) accepted = v.by;
          continue;
        }
        result.verdict = v;
        result.decidedBy = v.kind === 'unknown' ? (v.at ?? result.steps[result.steps.length - 1]) : result.steps.length > before ? result.steps[result.steps.length - 1] : undefined;
        return result;
      }
      const table = unit.table;
      const chains = tables.get(table);
      const chain = chains?.get(hook.chain);
      if (!chain) continue;
      // nat sees only the first packet of a connection
      if (table === 'nat' && p.state !== 'new') continue;
      const v = walk(table, hook.chain, 0);
      if (v === 'return' || v === undefined) {
        const policy = chain.policy ?? 'ACCEPT';
        const step: TraceStep = { table, chain: hook.chain, num: 0, text: `policy ${policy}`, file: chain.ref.file, line: chain.ref.line, action: 'policy' };
        if (policy === 'DROP') {
          result.steps.push(step);
          result.verdict = { kind: 'DROP' };
          result.decidedBy = step;
          return result;
        }
        if (table === 'filter') accepted = step;
        continue;
      }
      if (v.kind === 'ACCEPT') continue;
      result.verdict = v;
      result.decidedBy = v.kind === 'unknown' ? v.at : result.steps[result.steps.length - 1];
      return result;
    }
  }
  result.verdict = { kind: 'ACCEPT' };
  // what accepted: the last accept of the filtering; a jump, a nat rule or a MARK only passed it on
  result.decidedBy = accepted;
  return result;
}

/** The hooks where the filtering decides (a filter chain's policy there is what accepts a packet no rule accepted). */
const FILTER_HOOKS = new Set<Hook>(['input', 'forward', 'output']);

function stepOf(rule: Rule, action: TraceStep['action']): TraceStep {
  return { table: rule.table, chain: rule.chain, num: rule.num, text: rule.text, file: rule.ref.file, line: rule.ref.line, action };
}

function unknownReason(rule: Rule, p: Packet): string {
  if (rule.inInterface && p.inInterface === undefined) return 'the input interface is not known (give --in)';
  if (rule.outInterface && p.outInterface === undefined) return 'the output interface is not known (give --out)';
  const set = rule.matches.find((m) => m.module === 'set');
  if (set) return `match not modelled: ${matchText(set)} (the set's members are not in the bundle)`;
  return `match not modelled: ${unmodelled(rule)}`;
}

function unmodelled(rule: Rule): string {
  const m = rule.matches.find((x) => !MODELLED.has(x.module));
  return m ? matchText(m) : rule.text;
}

/** ip6tables matches on extension headers (routing, fragment, hop-by-hop, destination options, AH, mobility): the packet has none. */
const ABSENT_HEADERS = ['rt', 'frag', 'hbh', 'dst', 'ah', 'mh'];

const MODELLED = new Set(['tcp', 'udp', 'icmp', 'conntrack', 'state', 'multiport', 'mark', 'addrtype', 'comment', 'statistic', 'limit', 'physdev', 'sctp', 'udplite', 'icmp6', 'pkttype', ...ABSENT_HEADERS, 'ipv6header']);

function iface(pattern: string, name: string | undefined): boolean | 'unknown' {
  if (name === undefined) return 'unknown';
  if (pattern.endsWith('+')) return name.startsWith(pattern.slice(0, -1));
  return pattern === name;
}

function neg(v: boolean, negated: boolean): boolean {
  return negated ? !v : v;
}

/** iptables' target extensions the tracer does not follow (a name not among them, nor a chain of the dump, is a chain the dump lacks). */
const EXTENSION_TARGETS = new Set(['SECMARK', 'CONNSECMARK', 'TEE', 'IDLETIMER', 'LED', 'RATEEST', 'SYNPROXY', 'TPROXY', 'CLUSTERIP', 'NETMAP', 'HMARK', 'SET', 'ECN', 'TTL', 'HL', 'CLASSIFY', 'NFLOG', 'ULOG', 'SNPT', 'DNPT', 'MIRROR', 'SAME', 'ARPREPLY', 'IPMARK', 'CHAOS', 'DELUDE', 'TARPIT', 'DHCPMAC', 'STEAL', 'SYSRQ', 'LOGMARK', 'ACCOUNT', 'RAWSNAT', 'RAWDNAT', 'JOOL', 'JOOL_SIIT', 'FULLCONENAT', 'BALANCE']);

/** true / false, or 'unknown' when the rule uses something not modelled or the packet lacks a field. */
export function matches(rule: Rule, p: Packet, ctx: TraceContext): boolean | 'unknown' {
  // a match known to fail decides, whatever the others: 'unknown' only when nothing fails
  let unknown = false;
  if (rule.protocol) {
    if (!neg(rule.protocol.value === p.protocol, rule.protocol.negated)) return false;
  }
  // a host name `iptables -L` printed without -n (`schmitch01/16`): its address is not known, so neither a match nor a miss
  for (const [a, addr] of [[rule.source, p.src], [rule.destination, p.dst]] as const) {
    if (!a) continue;
    if (!isAddressLiteral(a.value)) unknown = true;
    else if (!neg(addressIn(addr, a.value), a.negated)) return false;
  }
  if (rule.inInterface) {
    // an unknown input interface is still not lo for a packet from another host (`-A INPUT -i lo -j ACCEPT`)
    const r = p.inInterface === undefined && rule.inInterface.value === 'lo' && arrivesOnLoopback(p, ctx) === false ? false : iface(rule.inInterface.value, p.inInterface);
    if (r === 'unknown') unknown = true;
    else if (!neg(r, rule.inInterface.negated)) return false;
  }
  if (rule.outInterface) {
    const r = iface(rule.outInterface.value, p.outInterface);
    if (r === 'unknown') unknown = true;
    else if (!neg(r, rule.outInterface.negated)) return false;
  }
  // our packets are never fragments: `-f` does not match them, `! -f` does
  if (rule.fragment && !rule.fragment.negated) return false;
  if (rule.incomplete?.some((x) => x.startsWith('match text not understood') || x.startsWith('unexpected word') || /resolved name/.test(x))) unknown = true;
  for (const m of rule.matches) {
    const r = matchModule(m, p, ctx);
    if (r === 'unknown') unknown = true;
    else if (!r) return false;
  }
  return unknown ? 'unknown' : true;
}

function portIn(spec: string, port: number | undefined): boolean | 'unknown' {
  if (port === undefined) return 'unknown';
  return spec.split(',').some((part) => {
    const [a, b] = part.split(':');
    const lo = a === '' ? 0 : Number(a);
    const hi = b === undefined ? lo : b === '' ? 65535 : Number(b);
    return port >= lo && port <= hi;
  });
}

function stateMatches(list: string, state: ConnState, dnat: boolean): boolean {
  const states = list.toUpperCase().split(',');
  return states.some((s) => s === state.toUpperCase() || (s === 'DNAT' && dnat) || (s === 'UNTRACKED' && false));
}

function matchModule(m: Match, p: Packet, ctx: TraceContext): boolean | 'unknown' {
  switch (m.module) {
    case 'comment':
    case 'limit':
      return true;
    case 'tcp':
    case 'udp':
    case 'sctp':
    case 'udplite':
      if (p.protocol !== m.module) return false;
      for (const o of m.options) {
        if (o.name === 'dport' || o.name === 'destination-port' || o.name === 'sport' || o.name === 'source-port') {
          const r = portIn(o.value ?? '', o.name.startsWith('d') ? p.dport : p.sport);
          if (r === 'unknown') return 'unknown';
          if (!neg(r, o.negated)) return false;
        } else if (o.name === 'tcp-flags' || o.name === 'syn') {
          // a NEW connection's first packet is a SYN; established traffic is not
          const syn = p.state === 'new';
          const wantsSyn = o.name === 'syn' || /SYN(,|$)/.test((o.value ?? '').split(' ')[1] ?? '');
          if (!neg(wantsSyn ? syn : !syn, o.negated)) return false;
        } else return 'unknown';
      }
      return true;
    case 'icmp':
    case 'icmp6':
      if (p.protocol !== 'icmp' && p.protocol !== 'ipv6-icmp') return false;
      // ip6tables' icmp6 match sees ICMPv6 only (iptables' icmp only ICMP)
      if (isIpv6(p) && (m.module === 'icmp6') !== (p.protocol === 'ipv6-icmp')) return false;
      for (const o of m.options) {
        if (o.name !== 'icmp-type' && o.name !== 'icmpv6-type') continue;
        if (m.module === 'icmp6' && !isIpv6(p)) return 'unknown';
        const r = m.module === 'icmp6' ? icmp6TypeMatches(o.value ?? '', p.icmpType ?? ICMP6_ECHO_REQUEST, p.icmpCode ?? 0) : icmpTypeMatches(o.value ?? '', p.icmpType ?? 8, p.icmpCode ?? 0);
        if (r === 'unknown') return 'unknown';
        if (!neg(r, o.negated)) return false;
      }
      return true;
    case 'multiport':
      for (const o of m.options) {
        const port = o.name === 'dports' || o.name === 'destination-ports' ? p.dport : o.name === 'sports' || o.name === 'source-ports' ? p.sport : undefined;
        if (o.name === 'ports') {
          const r1 = portIn(o.value ?? '', p.dport);
          const r2 = portIn(o.value ?? '', p.sport);
          if (r1 === 'unknown' || r2 === 'unknown') return 'unknown';
          if (!neg(r1 || r2, o.negated)) return false;
          continue;
        }
        const r = portIn(o.value ?? '', port);
        if (r === 'unknown') return 'unknown';
        if (!neg(r, o.negated)) return false;
      }
      return true;
    case 'conntrack':
    case 'state':
      for (const o of m.options) {
        if (o.name === 'ctstate' || o.name === 'state') {
          if (!neg(stateMatches(o.value ?? '', p.state, !!p.dnat), o.negated)) return false;
        } else if (o.name === 'ctstatus') {
          if (!neg(/DNAT/.test(o.value ?? '') ? !!p.dnat : false, o.negated)) return false;
        } else if (o.name === 'ctorigsrc' || o.name === 'ctorigdst') {
          const orig = o.name === 'ctorigsrc' ? originalSource(p) : originalDestination(p);
          if (orig === undefined) return 'unknown';
          if (!neg(addressIn(orig, o.value ?? ''), o.negated)) return false;
        } else return 'unknown';
      }
      return true;
    case 'mark':
      for (const o of m.options) {
        const [v, mask] = (o.value ?? '').split('/').map((x) => Number(x));
        const mk = Number.isFinite(mask) ? mask : 0xffffffff;
        if (!neg(((p.mark & mk) >>> 0) === (v >>> 0), o.negated)) return false;
      }
      return true;
    case 'addrtype':
      if (isIpv6(p)) return addrtype6(m, p, ctx);
      for (const o of m.options) {
        // --limit-iface-in/out narrow LOCAL to the addresses of one interface (below)
        if (o.name === 'limit-iface-in' || o.name === 'limit-iface-out') continue;
        const addr = o.name === 'dst-type' ? p.dst : o.name === 'src-type' ? p.src : undefined;
        if (addr === undefined) return 'unknown';
        const types = (o.value ?? '').split(',');
        const isLocal = ctx.localAddresses.includes(addr) || addressIn(addr, '127.0.0.0/8');
        const isBroadcast = isBroadcast4(addr, ctx);
        // local to the node but maybe not to that interface: not known (an address local nowhere is local to no interface)
        if (isLocal && types.includes('LOCAL') && m.options.some((x) => x.name === 'limit-iface-in' || x.name === 'limit-iface-out')) return 'unknown';
        const ok = types.some((t) => (t === 'LOCAL' && isLocal) || (t === 'BROADCAST' && isBroadcast) || (t === 'UNICAST' && !isBroadcast && !/^2(2[4-9]|3\d)\./.test(addr)) || (t === 'MULTICAST' && /^2(2[4-9]|3\d)\./.test(addr)));
        if (!neg(ok, o.negated)) return false;
      }
      return true;
    case 'set':
      // a set's counters, or --return-nomatch (a nomatch element then matches): not what its members alone say
      if (m.options.some((o) => /^(return-nomatch|(packets|bytes)-(eq|lt|gt))$/.test(o.name))) return 'unknown';
      for (const o of m.options) {
        if (o.name !== 'match-set') continue;
        const [name, dirs = 'src'] = (o.value ?? '').split(/\s+/);
        const known = ctx.ipset?.(name, dirs.split(','), p);
        if (known === undefined) return 'unknown';
        if (!neg(known, o.negated)) return false;
      }
      return true;
    case 'statistic':
      // a load-balancing branch: follow it (the report names the branch)
      return true;
    case 'pkttype': {
      // `--pkt-type unicast|host|broadcast|multicast`: the link-layer type, which a broadcast or multicast destination gives
      const o = m.options.find((x) => x.name === 'pkt-type');
      const want = o?.value?.toLowerCase();
      if (!o || !want || !['unicast', 'host', 'broadcast', 'multicast', 'otherhost', 'outgoing', 'loopback'].includes(want)) return 'unknown';
      return neg(packetType(p, ctx) === (want === 'host' ? 'unicast' : want), o.negated);
    }
    case 'rt':
    case 'frag':
    case 'hbh':
    case 'dst':
    case 'ah':
    case 'mh':
      // these look for an extension header the packet lacks: the kernel's match fails whatever its options say
      return isIpv6(p) ? false : 'unknown';
    case 'ipv6header':
      return isIpv6(p) ? ipv6headerMatches(m) : 'unknown';
    case 'physdev':
      // bridged traffic between containers on one bridge; our packets cross the bridge to the host or out
      for (const o of m.options) if (o.name === 'physdev-is-bridged' && !o.negated) return false;
      return true;
    default:
      return 'unknown';
  }
}

/**
 * The connection's original source (conntrack's original tuple): the packet's own source for the
 * first packet of a connection; for a reply of a source-NATed connection, the address NAT restores.
 * Otherwise not known from the packet alone.
 */
export function originalSource(p: Packet): string | undefined {
  if (p.state === 'new') return p.src;
  return p.unSnat?.dst;
}

/** The connection's original destination: the first packet's, before any DNAT; for a reply of a source-NATed connection, where the reply comes from. */
export function originalDestination(p: Packet): string | undefined {
  if (p.state === 'new') return p.dnat ? undefined : p.dst;
  return p.unSnat ? p.src : undefined;
}

export interface BranchOutcome {
  verdict: Verdict;
  /** where the packet ended up (a load-balanced service picks an endpoint per branch) */
  dst: string;
  dport?: number;
  decidedBy?: TraceStep;
  /** the statistic rules skipped to reach this branch */
  via: TraceStep[];
}

/**
 * `-m statistic` is a branch: each endpoint of a load-balanced service is possible. Explores the
 * branches by treating the followed statistic rule as not matching, again and again (bounded).
 */
export function traceBranches(tables: Map<string, Map<string, Chain>>, path: Path, packet: Packet, ctx: TraceContext, max = 32): BranchOutcome[] {
  const out: BranchOutcome[] = [];
  const seen = new Set<string>();
  const queue: Set<Rule>[] = [new Set()];
  while (queue.length > 0 && out.length < max) {
    const skip = queue.shift()!;
    const r = trace(tables, path, packet, { ...ctx, skipBranches: skip });
    const key = `${r.verdict.kind}|${r.packet.dst}|${r.packet.dport}|${[...skip].map((x) => x.ref.line).sort().join(',')}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ verdict: r.verdict, dst: r.packet.dst, dport: r.packet.dport, decidedBy: r.decidedBy, via: [...skip].map((x) => ({ table: x.table, chain: x.chain, num: x.num, text: x.text, file: x.ref.file, line: x.ref.line, action: 'branch' as const })) });
    for (const b of r.branchRules) if (!skip.has(b)) queue.push(new Set([...skip, b]));
  }
  return out;
}

/** An IPv6 packet (its addresses are IPv6): walked with ip6tables' semantics. */
export function isIpv6(p: Pick<Packet, 'src' | 'dst'>): boolean {
  return parseIp(p.dst)?.family === 6 || parseIp(p.src)?.family === 6;
}

/** `[fd00::2]:80` or a bare IPv6 address: the NAT address of an ip6tables rule. */
function isIpv6Nat(to: string): boolean {
  return to.startsWith('[') || (to.match(/:/g) ?? []).length > 1;
}

/**
 * What the kernel's input routing makes of a broadcast or multicast destination (ip_route_input):
 * the limited broadcast 255.255.255.255 and a directed broadcast of one of the node's subnets
 * (`ctx.broadcastAddresses`, its `broadcast` routes) go to brd_input: delivered locally (INPUT), never
 * forwarded (net.ipv4.conf.*.bc_forwarding, off by default, aside). Multicast (224.0.0.0/4, ff00::/8) is
 * delivered locally to a group a socket on the node joined, and forwarded only by a multicast router
 * (mrouted, pimd: not modelled). undefined for any other (unicast) destination.
 */
export function destinationKind(dst: string, ctx: Pick<TraceContext, 'broadcastAddresses'>): 'limited broadcast' | 'directed broadcast' | 'multicast' | undefined {
  const ip = parseIp(dst);
  if (!ip) return undefined;
  if (ip.family === 6) return addressIn(dst, 'ff00::/8') ? 'multicast' : undefined;
  if (dst === '255.255.255.255') return 'limited broadcast';
  if (addressIn(dst, '224.0.0.0/4')) return 'multicast';
  if ((ctx.broadcastAddresses ?? []).includes(dst)) return 'directed broadcast';
  return undefined;
}

/** addrtype BROADCAST (IPv4): the limited broadcast, or one of the node's subnets' broadcast addresses. */
export function isBroadcast4(addr: string, ctx: Pick<TraceContext, 'broadcastAddresses'>): boolean {
  return addr === '255.255.255.255' || (ctx.broadcastAddresses ?? []).includes(addr);
}

/** The link-layer packet type of an incoming packet (`-m pkttype`, nft `meta pkttype`): by its destination address. */
export function packetType(p: Pick<Packet, 'dst'>, ctx: Pick<TraceContext, 'broadcastAddresses'>): 'unicast' | 'broadcast' | 'multicast' {
  const kind = destinationKind(p.dst, ctx);
  return kind === 'multicast' ? 'multicast' : kind ? 'broadcast' : 'unicast';
}

/**
 * The broadcast addresses the kernel gives a node's IPv4 addresses (fib_add_ifaddr): the `brd` an
 * address was given, and the all-ones address of the subnet of every address with a prefix below /31
 * (a `broadcast` route in the local table whether `brd` was given or not).
 */
export function subnetBroadcasts(addresses: { cidr?: string; broadcast?: string; family?: 4 | 6 }[]): string[] {
  const out = new Set<string>();
  for (const a of addresses) {
    if (a.family === 6) continue;
    if (a.broadcast && parseIp(a.broadcast)?.family === 4 && a.broadcast !== '0.0.0.0') out.add(a.broadcast);
    const c = a.cidr ? parseCidr(a.cidr) : undefined;
    if (!c || c.family !== 4 || c.prefix >= 31 || c.prefix < 1) continue;
    const host = (1n << BigInt(32 - c.prefix)) - 1n;
    out.add(formatCidr({ ...c, network: c.network | host, prefix: 32 }).replace(/\/32$/, ''));
  }
  return [...out];
}

/**
 * Whether a packet can have come in on lo: only one the node sent itself, from one of its own addresses (127/8,
 * ::1 or an address it holds). 'unknown' when the node's addresses are not known.
 */
export function arrivesOnLoopback(p: Packet, ctx: Pick<TraceContext, 'localAddresses'>): boolean | 'unknown' {
  if (isIpv6(p) ? addressIn(p.src, '::1/128') : addressIn(p.src, '127.0.0.0/8')) return true;
  if (ctx.localAddresses.length === 0) return 'unknown';
  return isIpv6(p) ? isLocal6(p.src, ctx) : ctx.localAddresses.includes(p.src);
}

export function isLocal6(addr: string, ctx: Pick<TraceContext, 'localAddresses'>): boolean {
  return addressIn(addr, '::1/128') || ctx.localAddresses.some((l) => parseIp(l)?.family === 6 && addressIn(addr, l));
}

/** ip6tables' REJECT: its default is icmp6-port-unreachable, and the short names iptables accepts in a restore file mean the long ones. */
function rejectWith6(value: string | undefined): string {
  if (value === undefined) return 'icmp6-port-unreachable';
  const aliases: Record<string, string> = { 'no-route': 'icmp6-no-route', 'adm-prohibited': 'icmp6-adm-prohibited', 'addr-unreach': 'icmp6-addr-unreachable', 'port-unreach': 'icmp6-port-unreachable', 'policy-fail': 'icmp6-policy-fail', 'reject-route': 'icmp6-reject-route' };
  return aliases[value] ?? value;
}


/**
 * `-m ipv6header --header X [--soft]`, as the kernel evaluates it on a packet with no extension header
 * (only the upper-layer protocol, the header set {proto}): without --soft the set must equal the
 * named one, with --soft the named headers (not negated) must be present. Unknown header names: not known.
 */
function ipv6headerMatches(m: Match): boolean | 'unknown' {
  const header = m.options.find((o) => o.name === 'header');
  if (!header) return 'unknown';
  const soft = m.options.some((o) => o.name === 'soft');
  const names = (header.value ?? '').split(',').map((x) => x.trim().toLowerCase());
  // the names ip6tables takes (`frag`, `auth`, `prot`) and those ip6tables-save prints (`ipv6-frag`, `ah`, `protocol`)
  const known = new Set(['hop', 'hop-by-hop', 'dst', 'ipv6-opts', 'route', 'ipv6-route', 'frag', 'ipv6-frag', 'auth', 'ah', 'esp', 'none', 'ipv6-nonxt', 'prot', 'protocol']);
  if (names.some((n) => !known.has(n))) return 'unknown';
  // the packet's header set: only the upper-layer protocol
  const named = new Set(names.map((n) => (n === 'prot' || n === 'protocol' ? 'proto' : n)));
  const onlyProto = named.size === 1 && named.has('proto');
  if (!soft) return neg(onlyProto, header.negated);
  // --soft: every named header must be present (or, negated, absent): the packet has only proto
  return [...named].every((n) => neg(n === 'proto', header.negated));
}

/**
 * addrtype on an IPv6 packet, as the kernel's match_type6: UNICAST / MULTICAST / UNSPEC from the
 * address itself (all named types must hold), LOCAL by the node's addresses (link-local and ::1
 * too). ANYCAST, UNREACHABLE and --limit-iface-* need the routing table: not known. (ip6tables has
 * no BROADCAST.)
 */
function addrtype6(m: Match, p: Packet, ctx: TraceContext): boolean | 'unknown' {
  for (const o of m.options) {
    if (o.name === 'limit-iface-in' || o.name === 'limit-iface-out') return 'unknown';
    const addr = o.name === 'dst-type' ? p.dst : o.name === 'src-type' ? p.src : undefined;
    if (addr === undefined) return 'unknown';
    const types = (o.value ?? '').toUpperCase().split(',');
    if (types.some((t) => !['LOCAL', 'UNICAST', 'MULTICAST', 'UNSPEC'].includes(t))) return 'unknown';
    const multicast = addressIn(addr, 'ff00::/8');
    const unspecified = addressIn(addr, '::/128');
    let ok = true;
    if (types.includes('MULTICAST') && !multicast) ok = false;
    if (types.includes('UNICAST') && (multicast || unspecified)) ok = false;
    if (types.includes('UNSPEC') && !unspecified) ok = false;
    if (types.includes('LOCAL') && !isLocal6(addr, ctx)) ok = false;
    if (!neg(ok, o.negated)) return false;
  }
  return true;
}
