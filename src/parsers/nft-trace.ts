/**
 * `nft monitor trace` output: what netfilter did with packets marked `meta nftrace set 1`. Each
 * line is one event of one trace (the kernel's trace id), printed by nftables' libnftables as
 *
 *   trace id <id> <family> <table> <chain> packet: iif "br-0123456789ab" oif "eth0" ether saddr ... ip saddr ...
 *   trace id <id> <family> <table> <chain> rule <rule text> [# handle <n>] (verdict <verdict>[ <target chain>])
 *   trace id <id> <family> <table> <chain> verdict <verdict>          (the chain ended without a verdict: continue / return)
 *   trace id <id> <family> <table> <chain> policy <accept|drop>
 *
 * (test/fixtures/h43: nft 1.0.6 in a network namespace, with and without `-a`, which adds `# handle N`;
 * docker/for-linux#1353's RHEL 8 paste). A `reject` rule reports `(verdict drop)`. A trace id covers one
 * packet through one or more base chains; newer kernels give each hook a new id, so one packet may be
 * several traces. Lines that are not trace events (prompts, blank lines, `ping` output pasted around
 * them) are skipped; a `trace id` line of a shape not known is a warning. Every hop keeps {file, line}.
 */
import { SkipFile, excerpt as capped, lines, type ParseWarning, type SourceRef } from '../model/source.js';

export type NftTraceFamily = 'ip' | 'ip6' | 'inet' | 'bridge' | 'arp' | 'netdev';

export interface NftTraceHop {
  family: NftTraceFamily;
  table: string;
  chain: string;
  /** packet: the packet as it entered this base chain; rule: a rule matched; verdict: the chain ended (continue, return); policy: the base chain's policy */
  kind: 'packet' | 'rule' | 'verdict' | 'policy';
  /** the rule as nft prints it, its `# handle N` taken off (kind rule) */
  rule?: string;
  handle?: number;
  /** `accept`, `drop`, `continue`, `return`, `jump <chain>`, `goto <chain>`, `queue` ... (kind rule, verdict, policy) */
  verdict?: string;
  /** the packet's input and output interfaces (kind packet) */
  iif?: string;
  oif?: string;
  ref: SourceRef;
  excerpt: string;
}

export interface NftTrace {
  id: string;
  hops: NftTraceHop[];
  /** the interfaces of the trace's (first) packet line; absent when the paste lacks it */
  iif?: string;
  oif?: string;
  /** the hop that dropped the packet (a drop ends it: `drop`, `reject`, a drop policy) */
  dropped?: NftTraceHop;
  /** the last hop with a final verdict (accept, drop, queue ...), whatever its base chain */
  final?: NftTraceHop;
}

export interface NftTraceLog {
  file: string;
  /** in the order their first line appears */
  traces: NftTrace[];
  warnings: ParseWarning[];
}

const FAMILY = '(ip6|ip|inet|bridge|arp|netdev)';
/** `trace id <hex> <family> <table> <chain> <rest>`; a timestamp or prompt may precede it */
const EVENT = new RegExp(`(?:^|\\s)trace id ([0-9a-f]+) ${FAMILY} (\\S+) (\\S+) (.*)$`);
const EVENT_HEAD = new RegExp(`^\\s*(?:\\S+\\s+){0,6}trace id [0-9a-f]+ ${FAMILY} \\S+ \\S+ (packet: |rule |verdict |policy |unknown rule )`, 'm');
/** verdicts that end the packet's walk of its base chain */
const FINAL = /^(accept|drop|queue|stolen|repeat)\b/;

export function sniffNftTrace(head: string): boolean {
  return EVENT_HEAD.test(head);
}

export function parseNftTrace(text: string, file: string): NftTraceLog {
  if (text.slice(0, 8192).includes('\u0000')) throw new SkipFile(file, 'binary data, not nft monitor trace output');
  const out: NftTraceLog = { file, traces: [], warnings: [] };
  const byId = new Map<string, NftTrace>();
  const src = lines(text);
  for (let i = 0; i < src.length; i++) {
    const raw = src[i];
    if (!raw.includes('trace id ')) continue;
    const m = EVENT.exec(raw.slice(0, 65536));
    if (!m) {
      out.warnings.push({ file, line: i + 1, message: `not a trace event: ${capped(raw.trim(), 120)}` });
      continue;
    }
    const [, id, family, table, chain, rest] = m;
    const ref = { file, line: i + 1 };
    const base = { family: family as NftTraceFamily, table, chain, ref, excerpt: capped(raw.slice(m.index).trim()) };
    let hop: NftTraceHop | undefined;
    let r: RegExpExecArray | null;
    if ((r = /^packet:\s*(.*)$/.exec(rest))) {
      hop = { ...base, kind: 'packet', iif: ifname(r[1], 'iif'), oif: ifname(r[1], 'oif') };
    } else if ((r = /^(?:unknown )?rule (.*?)\s*\(verdict ([^)]*)\)\s*$/.exec(rest))) {
      const h = /^(.*?)\s*# handle (\d+)\s*$/.exec(r[1]) ?? /^handle (\d+)$/.exec(r[1]);
      const ruleText = h ? (h.length === 3 ? h[1] : '') : r[1];
      const handle = h ? Number(h[h.length - 1]) : undefined;
      hop = { ...base, kind: 'rule', rule: ruleText.trim(), handle, verdict: r[2].trim() };
    } else if ((r = /^verdict (\S+(?: \S+)?)\s*$/.exec(rest))) {
      hop = { ...base, kind: 'verdict', verdict: r[1] };
    } else if ((r = /^policy (\S+)\s*$/.exec(rest))) {
      hop = { ...base, kind: 'policy', verdict: r[1] };
    }
    if (!hop) {
      out.warnings.push({ file, line: i + 1, message: `trace event of an unknown shape: ${capped(rest.trim(), 120)}` });
      continue;
    }
    let trace = byId.get(id);
    if (!trace) {
      trace = { id, hops: [] };
      byId.set(id, trace);
      out.traces.push(trace);
    }
    trace.hops.push(hop);
    if (hop.kind === 'packet' && trace.iif === undefined && trace.oif === undefined) {
      if (hop.iif !== undefined) trace.iif = hop.iif;
      if (hop.oif !== undefined) trace.oif = hop.oif;
    }
    if (hop.verdict !== undefined && FINAL.test(hop.verdict)) {
      trace.final = hop;
      if (/^drop\b/.test(hop.verdict) && !trace.dropped) trace.dropped = hop;
    }
  }
  if (out.traces.length === 0) throw new SkipFile(file, 'no nft monitor trace event in it');
  return out;
}

/** `iif "br-0123456789ab"` (quoted since nft 0.9) or `iif br0` */
function ifname(packet: string, key: 'iif' | 'oif'): string | undefined {
  const m = new RegExp(`(?:^|\\s)${key} (?:"([^"]*)"|([^\\s"]+))`).exec(packet);
  return m ? (m[1] ?? m[2]) : undefined;
}
