/**
 * `ip rule` (`ip rule show` / `ip rule list`, `ip -4 rule`, `ip -6 rule`, `ip -d rule`): the routing policy
 * database, which the kernel walks in priority order before any routing table. sos collects
 * `ip -4 rule list` and `ip -6 rule list` (sos_commands/networking/ip_-4_rule_list, ip_-6_rule_list; sos 3.x:
 * ip_-4_rule, ip_-6_rule), and the same per namespace under namespaces/<ns>/.
 *
 * The lines iproute2 prints (checked with iproute2 6.1 on kernel 6.18, rules made with `ip rule add` in a
 * network namespace; fixtures under test/fixtures/ip-rule/):
 *     0:	from all lookup local
 *     30400:	from 10.0.10.5 lookup 30400 proto static
 *     512:	from all to 10.0.10.7 lookup main
 *     1024:	from all fwmark 0x80/0x80 lookup main
 *     99:	not from all fwmark 0x100000/0x100000 lookup 1
 *     30350:	from all lookup main suppress_prefixlength 0 proto static
 *     100:	from all iif lo lookup 100            (an interface that is gone: `iif cali1 [detached]`)
 *     103:	from all goto 32766
 *     104:	from all to 198.51.100.0/24 blackhole      (also unreachable, prohibit; `nop`)
 *     109:	from all uidrange 1000-2000 lookup 109
 *     110:	from all ipproto tcp dport 443 lookup 110
 * `ip -d rule` adds `proto kernel` / `proto unspec` / `proto static` at the end. A table named in
 * /etc/iproute2/rt_tables is printed by its name (`lookup docker`).
 */
import { SkipFile, lines, type ParseWarning, type SourceRef } from '../model/source.js';

/** The artifact kind's type (ArtifactMap `ipRules`): one `ip rule` listing file. */
export interface IpRuleList {
  file: string;
  rules: IpRule[];
  warnings: ParseWarning[];
}

export type IpRuleAction = 'lookup' | 'goto' | 'blackhole' | 'unreachable' | 'prohibit' | 'nop' | 'nat';

export interface IpRule {
  /** the preference: lower is consulted first */
  priority: number;
  /** 4 or 6 when the listing says (its addresses, or the file's `-4` / `-6`); absent when it cannot tell */
  family?: 4 | 6;
  /** `not from ...`: the selector is inverted */
  not: boolean;
  /** source prefix, or `all` */
  from: string;
  to?: string;
  iif?: string;
  oif?: string;
  /** `[detached]`: the interface named is gone, the rule matches nothing through it */
  iifDetached?: boolean;
  oifDetached?: boolean;
  /** `0x80/0x80`, `0x1` (no mask: all bits) */
  fwmark?: string;
  tos?: string;
  uidrange?: string;
  ipproto?: string;
  sport?: string;
  dport?: string;
  l3mdev?: boolean;
  tunId?: string;
  action: IpRuleAction;
  /** the table looked up (`main`, `local`, `default`, `30400`, a name from rt_tables) */
  table?: string;
  /** `goto N`: the priority jumped to */
  goto?: number;
  suppressPrefixlength?: number;
  suppressIfgroup?: string;
  realms?: string;
  /** `ip -d rule` / newer iproute2: who added it (kernel, static, boot, unspec, ...) */
  proto?: string;
  /** which listing of the file the rule belongs to (a file with `ip rule; ip -6 rule` holds two), from 0 */
  listing: number;
  ref: SourceRef;
  excerpt: string;
}

/** `30400:\tfrom 10.0.10.5 lookup 30400`, `99: not from all fwmark ...`; the priority column may be padded. */
const RULE = /^\s*(\d{1,10}):\s+(not\s+)?from\s+(\S+)(.*)$/;
const ACTIONS = new Set(['blackhole', 'unreachable', 'prohibit', 'nop']);

export function parseIpRules(text: string, file: string, opts: { family?: 4 | 6 } = {}): IpRuleList {
  const rules: IpRule[] = [];
  const warnings: ParseWarning[] = [];
  const all = lines(text);
  let listing = 0;
  let last = -1;
  for (let i = 0; i < all.length; i++) {
    const raw = all[i];
    if (raw.length > 4096) continue;
    const m = RULE.exec(raw);
    if (!m) continue;
    const priority = Number(m[1]);
    // the kernel lists rules in ascending priority: a smaller one starts the next listing (`ip rule; ip -6 rule`)
    if (priority < last) listing++;
    last = priority;
    const r: IpRule = { priority, not: !!m[2], from: m[3], action: 'lookup', listing, ref: { file, line: i + 1 }, excerpt: raw.trim() };
    let action: IpRuleAction | undefined;
    const w = m[4].trim().split(/\s+/).filter((x) => x !== '');
    for (let j = 0; j < w.length; j++) {
      const k = w[j];
      const next = () => w[++j];
      if (k === 'to') r.to = next();
      else if (k === 'tos' || k === 'dsfield') r.tos = next();
      else if (k === 'fwmark') r.fwmark = next();
      else if (k === 'iif') {
        r.iif = next();
        if (w[j + 1] === '[detached]') (r.iifDetached = true), j++;
      } else if (k === 'oif') {
        r.oif = next();
        if (w[j + 1] === '[detached]') (r.oifDetached = true), j++;
      } else if (k === 'l3mdev') r.l3mdev = true;
      else if (k === 'uidrange') r.uidrange = next();
      else if (k === 'ipproto') r.ipproto = next();
      else if (k === 'sport') r.sport = next();
      else if (k === 'dport') r.dport = next();
      else if (k === 'tun_id') r.tunId = next();
      else if (k === 'lookup' || k === 'table') {
        action = 'lookup';
        r.table = next();
      } else if (k === 'goto') {
        action = 'goto';
        const g = next();
        r.goto = /^\d+$/.test(g ?? '') ? Number(g) : undefined;
        if (w[j + 1] === '[unresolved]') j++;
      } else if (ACTIONS.has(k)) action = k as IpRuleAction;
      else if (k === 'map-to' || k === 'nat') {
        action = 'nat';
        next();
      } else if (k === 'suppress_prefixlength') r.suppressPrefixlength = Number(next());
      else if (k === 'suppress_ifgroup') r.suppressIfgroup = next();
      else if (k === 'realms') r.realms = next();
      else if (k === 'proto' || k === 'protocol') r.proto = next();
      else if (k === 'flowlabel' || k === 'dscp') next();
    }
    if (!action) {
      warnings.push({ file, line: i + 1, message: `rule ${priority} names no action (lookup, goto, blackhole, ...): read as a lookup of main` });
      r.table = 'main';
    }
    r.action = action ?? 'lookup';
    rules.push(r);
  }
  if (rules.length === 0) throw new SkipFile(file, 'no ip rule lines');
  // the family of each listing: its addresses say, else the file's name or the caller
  const hinted = opts.family ?? familyFromName(file);
  for (let l = 0; l <= listing; l++) {
    const of = rules.filter((r) => r.listing === l);
    const addrs = of.flatMap((r) => [r.from, r.to].filter((a): a is string => !!a && a !== 'all'));
    const fam: 4 | 6 | undefined = addrs.some((a) => a.includes(':')) ? 6 : addrs.some((a) => /^\d+\.\d+\.\d+\.\d+/.test(a)) ? 4 : listing === 0 ? hinted : undefined;
    if (fam) for (const r of of) r.family = fam;
  }
  return { file, rules, warnings };
}

/** `ip_-6_rule_list`, `ip -6 rule.txt`, `ip6-rule`: the family the file's name gives. */
function familyFromName(file: string): 4 | 6 | undefined {
  const base = file.split('/').pop() ?? file;
  if (/(^|[_\s.-])-6([_\s.]|$)|^ip6[_-]?rule/i.test(base)) return 6;
  if (/(^|[_\s.-])-4([_\s.]|$)/.test(base)) return 4;
  return undefined;
}

/** An `ip rule` listing: one of the kernel's default rules, or two rule lines. */
export function sniffIpRules(head: string): boolean {
  if (/^\s*(0|32766|32767):\s+from all lookup (local|main|default)\b/m.test(head)) return true;
  let n = 0;
  for (const l of head.split('\n', 40)) if (RULE.test(l) && /\s(lookup|table|goto|blackhole|unreachable|prohibit|nop)\b/.test(l)) n++;
  return n >= 2;
}

/** A rule's fwmark selector as value and mask (no mask: every bit). */
export function fwmarkOf(r: IpRule): { value: number; mask: number } | undefined {
  if (!r.fwmark) return undefined;
  const [v, m] = r.fwmark.split('/');
  const value = Number(v);
  const mask = m === undefined ? 0xffffffff : Number(m);
  if (!Number.isFinite(value) || !Number.isFinite(mask)) return undefined;
  return { value: value >>> 0, mask: mask >>> 0 };
}

/** The kernel's three rules every network namespace starts with. */
export function isDefaultRule(r: IpRule): boolean {
  return (
    !r.not && r.from === 'all' && r.action === 'lookup' && !r.to && !r.iif && !r.oif && !r.fwmark && r.suppressPrefixlength === undefined &&
    ((r.priority === 0 && r.table === 'local') || (r.priority === 32766 && r.table === 'main') || (r.priority === 32767 && r.table === 'default'))
  );
}
