/**
 * ICMP types and codes by the names iptables (`--icmp-type`) and nft (`icmp type`, `icmp code`)
 * print, so both tracers match `echo-request`, `8`, `8/0` and `destination-unreachable` alike;
 * ICMPv6 by ip6tables' names (`--icmpv6-type`, netfilter/values.ts) and nft's (`icmpv6 type`).
 */
import { canonicalIcmpType } from './values.js';


/** iptables' names: a type, or a type/code pair (`iptables -p icmp -h`). */
const IPTABLES_NAMES: Record<string, [number, number?]> = {
  'echo-reply': [0],
  pong: [0],
  'destination-unreachable': [3],
  'network-unreachable': [3, 0],
  'host-unreachable': [3, 1],
  'protocol-unreachable': [3, 2],
  'port-unreachable': [3, 3],
  'fragmentation-needed': [3, 4],
  'source-route-failed': [3, 5],
  'network-unknown': [3, 6],
  'host-unknown': [3, 7],
  'network-prohibited': [3, 9],
  'host-prohibited': [3, 10],
  'TOS-network-unreachable': [3, 11],
  'TOS-host-unreachable': [3, 12],
  'communication-prohibited': [3, 13],
  'host-precedence-violation': [3, 14],
  'precedence-cutoff': [3, 15],
  'source-quench': [4],
  redirect: [5],
  'network-redirect': [5, 0],
  'host-redirect': [5, 1],
  'TOS-network-redirect': [5, 2],
  'TOS-host-redirect': [5, 3],
  'echo-request': [8],
  ping: [8],
  'router-advertisement': [9],
  'router-solicitation': [10],
  'time-exceeded': [11],
  'ttl-exceeded': [11],
  'ttl-zero-during-transit': [11, 0],
  'ttl-zero-during-reassembly': [11, 1],
  'parameter-problem': [12],
  'ip-header-bad': [12, 0],
  'required-option-missing': [12, 1],
  'timestamp-request': [13],
  'timestamp-reply': [14],
  'info-request': [15],
  'info-reply': [16],
  'address-mask-request': [17],
  'address-mask-reply': [18],
};

/** nft's names of ICMP codes (`icmp code port-unreachable`). */
const NFT_CODES: Record<string, number> = {
  'net-unreachable': 0,
  'host-unreachable': 1,
  'prot-unreachable': 2,
  'port-unreachable': 3,
  'frag-needed': 4,
  'net-prohibited': 9,
  'host-prohibited': 10,
  'admin-prohibited': 13,
};

/** Does an iptables `--icmp-type` value (`8`, `8/0`, `echo-request`, `any`) match this type and code? */
export function icmpTypeMatches(value: string, type: number, code: number): boolean | 'unknown' {
  const v = value.trim();
  if (v === 'any') return true;
  const numeric = /^(\d+)(?:\/(\d+))?$/.exec(v);
  if (numeric) return Number(numeric[1]) === type && (numeric[2] === undefined || Number(numeric[2]) === code);
  const named = IPTABLES_NAMES[v];
  if (!named) return 'unknown';
  return named[0] === type && (named[1] === undefined || named[1] === code);
}

/** The number of an nft ICMP type or code value (`echo-request`, `8`, `port-unreachable`); undefined when unknown. */
export function nftIcmpNumber(value: string, field: 'type' | 'code'): number | undefined {
  const v = value.trim().replace(/^"|"$/g, '');
  if (/^\d+$/.test(v)) return Number(v);
  if (/^0x[0-9a-f]+$/i.test(v)) return Number(v);
  if (field === 'code') return NFT_CODES[v];
  const t = IPTABLES_NAMES[v];
  return t && t[1] === undefined ? t[0] : undefined;
}

/** The type of an ICMPv6 echo request: what a ping6 sends, and the default of an IPv6 `icmp` trace. */
export const ICMP6_ECHO_REQUEST = 128;
/** ICMPv6 neighbour solicitation: neighbour discovery, which every IPv6 packet on a link depends on. */
export const ICMP6_NEIGHBOUR_SOLICITATION = 135;

/** Does an ip6tables `--icmpv6-type` value (`128`, `1/4`, `echo-request`, `neighbour-solicitation`) match this type and code? */
export function icmp6TypeMatches(value: string, type: number, code: number): boolean | 'unknown' {
  const canonical = canonicalIcmpType(value.trim(), true);
  if (canonical === 'any') return true;
  const numeric = canonical === undefined ? undefined : /^(\d+)(?:\/(\d+))?$/.exec(canonical);
  if (!numeric) return 'unknown';
  return Number(numeric[1]) === type && (numeric[2] === undefined || Number(numeric[2]) === code);
}

/** nft's names of ICMPv6 types (`icmpv6 type nd-neighbor-solicit`) and codes (`reject with icmpv6 admin-prohibited`). */
const NFT_ICMP6_TYPES: Record<string, number> = {
  'destination-unreachable': 1,
  'packet-too-big': 2,
  'time-exceeded': 3,
  'parameter-problem': 4,
  'echo-request': 128,
  'echo-reply': 129,
  'mld-listener-query': 130,
  'mld-listener-report': 131,
  'mld-listener-done': 132,
  'mld-listener-reduction': 132,
  'nd-router-solicit': 133,
  'nd-router-advert': 134,
  'nd-neighbor-solicit': 135,
  'nd-neighbor-advert': 136,
  'nd-redirect': 137,
  'router-renumbering': 138,
  'ind-neighbor-solicit': 141,
  'ind-neighbor-advert': 142,
  'mld2-listener-report': 143,
};
const NFT_ICMP6_CODES: Record<string, number> = {
  'no-route': 0,
  'admin-prohibited': 1,
  'addr-unreachable': 3,
  'port-unreachable': 4,
  'policy-fail': 5,
  'reject-route': 6,
};

/** The number of an nft ICMPv6 type or code value (`echo-request`, `128`, `admin-prohibited`); undefined when unknown. */
export function nftIcmp6Number(value: string, field: 'type' | 'code'): number | undefined {
  const v = value.trim().replace(/^"|"$/g, '');
  if (/^\d+$/.test(v) || /^0x[0-9a-f]+$/i.test(v)) return Number(v);
  return (field === 'type' ? NFT_ICMP6_TYPES : NFT_ICMP6_CODES)[v];
}
