/**
 * Is traffic from a subnet source-NATed on its way out? Shared by the masquerade checks (Docker's
 * bridges, flannel's pod network): a new connection from an address of the subnet to an outside
 * address, leaving by the uplink, walked by the packet tracer through nat POSTROUTING of each
 * iptables back end and the native nftables nat chains on postrouting. Rules for other traffic
 * only (marked packets, another `-o`, sets that do not hold the source) do not count. An IPv6
 * subnet is walked the same way, through the ip6tables rules and the nft ip6 / inet tables.
 */
import type { Chain, Rule } from '../../src/netfilter/rules.js';
import { trace, type ExtraChain, type Hook, type Packet, type TraceContext, type TraceResult, type Undecided } from '../../src/netfilter/trace.js';
import type { NftRuleset } from '../../src/nft/model.js';
import { nftExtraChains } from '../../src/nft/trace.js';
import { formatCidr, parseCidr } from '../../src/parsers/cidr.js';
import { reachableChains } from './node-view.js';
import { OUTSIDE_CANDIDATES } from './probe-address.js';

/**
 * A destination outside the node (TEST-NET-2): in no Kubernetes or Calico set. Only the first choice:
 * where the node owns it or is connected to its subnet (a sanitized bundle, a lab), outsideAddress
 * (./probe-address.ts) picks another; callers with the artifacts pass that as `dst` to outboundPacket.
 */
export const OUTSIDE = OUTSIDE_CANDIDATES[4][0];
/** The same for IPv6 (the documentation prefix 2001:db8::/32). */
export const OUTSIDE6 = OUTSIDE_CANDIDATES[6][0];
/** The uplink's name when the bundle shows none: matches no `-o <name>` of a rule, and is not the bridge. */
export const SOME_UPLINK = '(uplink)';

export type NftNat = (hook: Hook) => ExtraChain[];

/** The native nftables nat chains on postrouting (Docker's own table, kube-proxy's nftables mode, firewalld, netavark): `ip` and `inet` tables, or for IPv6 `ip6` and `inet`. */
export function postroutingNat(native: readonly NftRuleset[], family: 4 | 6 = 4): NftNat | undefined {
  if (native.length === 0) return undefined;
  const all = nftExtraChains([...native], family === 6 ? 'ip6' : 'ip');
  return (hook) => (hook === 'postrouting' ? all(hook).filter((c) => c.type === 'nat') : []);
}

/** An address of the subnet a container or pod could have: its .2 (.1 is the gateway), or its ::2. */
export function memberAddress(cidr: string): string {
  const c = parseCidr(cidr);
  if (c?.family === 6) return formatCidr({ ...c, network: c.network + 2n, prefix: 128 }).replace(/\/128$/, '');
  const o = cidr.split('/')[0].split('.').map(Number);
  o[3] = Math.min(254, o[3] + 2);
  return o.join('.');
}

/**
 * A new TCP connection from `src` on `inInterface` to the outside (of `src`'s family), leaving by `uplink`:
 * to `dst` (outsideAddress of the node: an address the node neither owns nor is connected to), else OUTSIDE / OUTSIDE6.
 */
export function outboundPacket(src: string, inInterface: string, uplink: string, dst?: string): Packet {
  return { src, dst: dst ?? (src.includes(':') ? OUTSIDE6 : OUTSIDE), protocol: 'tcp', dport: 443, sport: 40000, inInterface, outInterface: uplink, state: 'new', mark: 0 };
}

export type SourceNat =
  /** some back end masquerades or SNATs it, whatever the rules it could not evaluate say */
  | { kind: 'covered' }
  /** a walk ended unknown */
  | { kind: 'unknown' }
  /** only if rules the tracer could not evaluate match (an ipset whose members the bundle lacks) */
  | { kind: 'maybe'; undecided: Undecided[] }
  | { kind: 'none' };

/**
 * Walks the packet through nat POSTROUTING only (PREROUTING's service DNAT is not this packet's,
 * and filter decides nothing about NAT) of each back end's tables; the nftables chains run beside
 * the first back end. With no iptables view, the nftables chains alone.
 */
export function sourceNat(views: readonly Map<string, Map<string, Chain>>[], packet: Packet, ctx: TraceContext, nft: NftNat | undefined): SourceNat {
  const natOnly = (tables: Map<string, Map<string, Chain>>) => {
    const nat = new Map(tables.get('nat') ?? []);
    for (const c of ['PREROUTING', 'OUTPUT', 'INPUT']) nat.delete(c);
    return new Map([['nat', nat]]);
  };
  const runs: TraceResult[] =
    views.length > 0 ? views.map((t, i) => trace(natOnly(t), 'forward', packet, { ...ctx, extraChains: i === 0 ? nft : undefined })) : [trace(new Map(), 'forward', packet, { ...ctx, extraChains: nft })];
  const natted = (r: TraceResult) => (r.natOutcomes ? r.natOutcomes.map((x) => !!x.snat) : [!!r.packet.snat]);
  if (runs.some((r) => r.verdict.kind !== 'unknown' && natted(r).every(Boolean))) return { kind: 'covered' };
  if (runs.some((r) => r.verdict.kind === 'unknown')) return { kind: 'unknown' };
  if (runs.some((r) => natted(r).some(Boolean))) return { kind: 'maybe', undecided: runs.flatMap((r) => r.undecided ?? []) };
  return { kind: 'none' };
}

/** The MASQUERADE and SNAT rules reachable from nat POSTROUTING. */
export function masqueradeRules(nat: Map<string, Chain> | undefined): Rule[] {
  if (!nat) return [];
  return ['POSTROUTING', ...reachableChains(nat, 'POSTROUTING')].flatMap((c) => (nat.get(c)?.rules ?? []).filter((r) => r.target === 'MASQUERADE' || r.target === 'SNAT'));
}
