/**
 * The stand-in addresses the analyzers' probe packets use for "a host outside the node" (a
 * destination on the internet, a client connecting in, a peer node). A fixed documentation address
 * (198.51.100.10) is exactly what sanitized bundles and labs give the node itself: then the probe is
 * addressed to the node, never leaves it, and a MASQUERADE for outgoing traffic "does not apply" to
 * it. So the first of a few candidates that the bundle does not show on the node is taken: not one
 * of its addresses (ip addr, any interface), not inside a subnet it is connected to (an address's
 * prefix, a `scope link` / `proto kernel` route, a route of the local table, a blackhole), not inside
 * a container or pod subnet the bundle shows (Docker's networks, the bridges' addresses), and not
 * one the caller asks to avoid. Pure function of the artifacts.
 */
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { cidrContains, parseCidr, parseIp, type Cidr } from '../../src/parsers/cidr.js';
import { interfacesOf } from '../../src/parsers/interfaces.js';

/**
 * Candidates for a host outside the node, in order: the documentation ranges (RFC 5737, RFC 3849 and
 * RFC 9637's 3fff::/20), then public-looking addresses for a bundle that uses every documentation
 * range itself. The first of each list is the address the analyzers always used.
 */
export const OUTSIDE_CANDIDATES: Record<4 | 6, readonly string[]> = {
  4: ['198.51.100.10', '203.0.113.10', '192.0.2.10', '198.51.100.200', '203.0.113.200', '192.0.2.200', '1.1.1.1', '9.9.9.9', '8.8.8.8'],
  6: ['2001:db8:ffff::10', '3fff:ffff::10', '2001:db8:fffd::10', '2606:4700:4700::1111', '2620:fe::fe'],
};

/** Candidates for a peer node (a VXLAN / overlay peer, a client of a published port). */
export const PEER_CANDIDATES: Record<4 | 6, readonly string[]> = {
  4: ['198.51.100.2', '203.0.113.2', '192.0.2.2', '198.51.100.202', '203.0.113.202', '192.0.2.202', '1.0.0.1', '149.112.112.112'],
  6: ['2001:db8:ffff::2', '3fff:ffff::2', '2001:db8:fffd::2', '2606:4700:4700::1001', '2620:fe::9'],
};

/** Candidates for the node's own address on an uplink the bundle does not show. */
export const UPLINK_CANDIDATES: Record<4 | 6, readonly string[]> = {
  4: ['203.0.113.1', '198.51.100.1', '192.0.2.254', '203.0.113.254', '198.51.100.254', '100.127.255.254'],
  6: ['2001:db8:fffe::1', '3fff:fffe::1', '2001:db8:fffc::1'],
};

/** What the node holds: its own addresses, and the networks it is connected to or that sit on it. */
interface Taken {
  addresses: Set<string>;
  networks: Cidr[];
}

const takenCache = new WeakMap<NodeArtifacts, Taken>();

/** The node's addresses and its local networks, as the bundle shows them (both families). */
export function takenAddresses(artifacts: NodeArtifacts): Taken {
  const cached = takenCache.get(artifacts);
  if (cached) return cached;
  const addresses = new Set<string>();
  const networks: Cidr[] = [];
  const addNet = (text: string | undefined) => {
    if (!text) return;
    const c = parseCidr(text);
    // a default route (0.0.0.0/0, ::/0) covers everything: never a reason to avoid a candidate
    if (c && c.prefix > 0) networks.push(c);
  };
  for (const itf of interfacesOf(artifacts.ipAddr ?? []).values())
    for (const a of itf.addresses) {
      const ip = parseIp(a.address);
      if (ip) addresses.add(canonical(a.address));
      // an address's prefix is a connected network (a /32 or /128 is the address alone; point-to-point peers aside)
      addNet(a.network);
    }
  for (const t of artifacts.routes ?? [])
    for (const r of t.routes) {
      const type = r.type ?? 'unicast';
      // a route by a gateway (`via`) leads outside: a probe there does leave the node; a connected one
      // (no gateway: `scope link`, `proto kernel`), a local / broadcast route, a blackhole or unreachable one does not
      const connected = type === 'unicast' && !r.via && !(r.nexthops && r.nexthops.some((h) => h.via));
      if (type === 'local') {
        const c = parseCidr(r.destination);
        if (c && (c.prefix === 32 || c.prefix === 128)) addresses.add(canonical(r.destination.split('/')[0]));
        else addNet(r.destination);
      } else if (connected || type !== 'unicast') addNet(r.destination);
    }
  // container and pod networks the bundle shows (docker network inspect: bridge, overlay, macvlan, ipvlan)
  for (const n of (artifacts.dockerNetworks ?? []).flatMap((d) => d.networks)) for (const s of n.subnets) addNet(s.subnet);
  const taken = { addresses, networks };
  takenCache.set(artifacts, taken);
  return taken;
}

/**
 * The first candidate of the family that is none of the node's addresses, in none of its connected,
 * local or container networks, and in none of `avoid` (addresses or CIDRs: the subnet under test, the
 * node's own stand-in address). Falls back to the first candidate when all collide (never seen: the
 * list ends in public addresses).
 */
export function outsideAddress(artifacts: NodeArtifacts, family: 4 | 6, avoid: readonly string[] = [], candidates: readonly string[] = OUTSIDE_CANDIDATES[family]): string {
  const taken = takenAddresses(artifacts);
  const avoided = avoid.map((a) => parseCidr(a.includes('/') ? a : `${a}/${a.includes(':') ? 128 : 32}`)).filter((c): c is Cidr => c !== undefined && c.prefix > 0);
  for (const cand of candidates) {
    const c = parseCidr(`${cand}/${family === 6 ? 128 : 32}`);
    if (!c) continue;
    if (taken.addresses.has(canonical(cand))) continue;
    if ([...taken.networks, ...avoided].some((n) => n.family === c.family && cidrContains(n, c))) continue;
    return cand;
  }
  return candidates[0];
}

/** A peer node's stand-in address (see PEER_CANDIDATES). */
export function peerAddress(artifacts: NodeArtifacts, family: 4 | 6, avoid: readonly string[] = []): string {
  return outsideAddress(artifacts, family, avoid, PEER_CANDIDATES[family]);
}

/** The node's stand-in address on an uplink the bundle does not show (see UPLINK_CANDIDATES). */
export function unknownUplinkAddress(artifacts: NodeArtifacts, family: 4 | 6, avoid: readonly string[] = []): string {
  return outsideAddress(artifacts, family, avoid, UPLINK_CANDIDATES[family]);
}

/** One spelling per address (IPv6's many), for the set of the node's addresses. */
function canonical(address: string): string {
  const ip = parseIp(address);
  return ip ? `${ip.family}:${ip.value.toString(16)}` : address;
}
