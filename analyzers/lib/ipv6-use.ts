/**
 * Does the node carry container or pod traffic over IPv6? IPv6 forwarding off, bridge netfilter
 * for ip6tables off or Docker's ip6tables chains gone only matter then. Each helper returns the
 * evidence it found; empty means nothing in the bundle shows IPv6 in use (a link-local fe80::
 * address, which every interface gets, does not count).
 */
import { distinctEvidence } from './evidence.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import type { Evidence } from '../../src/report/schema.js';
import { interfacesOf, type Interface } from '../../src/parsers/interfaces.js';
import { dockerdSettings } from '../../src/parsers/dockerd-flags.js';
import { isLinkLocal6 } from '../../src/parsers/cidr.js';
import { liveViews, type BackendView } from './node-view.js';

/** fe80::/10: every IPv6-enabled interface has one; it says nothing of IPv6 being used. */

function globalV6(itf: Interface): Interface['addresses'] {
  return itf.addresses.filter((a) => a.family === 6 && !isLinkLocal6(a.address) && a.address !== '::1');
}

const DOCKER_BRIDGE = /^(docker0|br-[0-9a-f]{12})$/;
const POD_BRIDGE_OR_TUNNEL = /^(cni0|cbr0|kube-bridge|weave|flannel-v6\.\d+|flannel-wg-v6|vxlan-v6\.calico)$/;

/** Docker networks with IPv6: IPv6 subnets (EnableIPv6 networks), containers with IPv6 addresses, an IPv6 address on docker0/br-*, --ipv6/--fixed-cidr-v6. */
export function dockerIpv6Use(artifacts: NodeArtifacts): Evidence[] {
  const out: Evidence[] = [];
  for (const n of (artifacts.dockerNetworks ?? []).flatMap((d) => d.networks)) {
    const v6 = n.subnets.filter((s) => s.subnet.includes(':'));
    if (v6.length > 0) out.push({ file: v6[0].ref.file, line: v6[0].ref.line, excerpt: v6[0].excerpt, note: `docker network ${n.name} has IPv6 (EnableIPv6, subnet ${v6[0].subnet})` });
    else if (n.enableIPv6?.value === true) out.push({ file: n.enableIPv6.ref.file, line: n.enableIPv6.ref.line, excerpt: n.enableIPv6.excerpt, note: `docker network ${n.name} has IPv6 on (EnableIPv6: true)` });
    const c = n.containers.find((x) => x.ipv6 && x.ipv6 !== '' && !isLinkLocal6(x.ipv6));
    if (c) out.push({ file: n.ref.file, line: n.ref.line, excerpt: `${c.name ?? c.id.slice(0, 12)} ${c.ipv6}`, note: `a container of docker network ${n.name} has an IPv6 address` });
  }
  for (const itf of interfacesOf(artifacts.ipAddr ?? []).values()) {
    if (!DOCKER_BRIDGE.test(itf.name)) continue;
    const a = globalV6(itf)[0];
    if (a) out.push({ file: a.ref.file, line: a.ref.line, excerpt: a.excerpt, note: `${itf.name} has an IPv6 address (not link-local)` });
  }
  const { ipv6, fixedCidrV6 } = dockerdSettings(artifacts.dockerDaemon);
  const at = (s: { ref: { file: string; line: number }; excerpt: string }) => ({ file: s.ref.file, line: s.ref.line, excerpt: s.excerpt });
  if (ipv6?.value === true) out.push({ ...at(ipv6), note: ipv6.from === 'daemon.json' ? 'daemon.json turns IPv6 on for the default bridge ("ipv6": true)' : 'dockerd runs with --ipv6' });
  if (fixedCidrV6)
    out.push({ ...at(fixedCidrV6), note: fixedCidrV6.from === 'daemon.json' ? `daemon.json gives the default bridge an IPv6 subnet (fixed-cidr-v6 ${fixedCidrV6.value})` : `dockerd runs with --fixed-cidr-v6 ${fixedCidrV6.value}` });
  return distinctEvidence(out);
}

/** Pods with IPv6: flannel's IPv6 subnet, an IPv6 address on the pod bridge (cni0, cbr0, ...) or an IPv6 tunnel, kube-proxy Services in ip6tables. */
export function podIpv6Use(artifacts: NodeArtifacts): Evidence[] {
  const out: Evidence[] = [];
  for (const env of artifacts.flannelSubnetEnv ?? []) {
    const s = env.ipv6Subnet ?? env.ipv6Network;
    if (s && s.value !== '') out.push({ file: s.ref.file, line: s.ref.line, excerpt: s.excerpt, note: 'flannel gives this node an IPv6 pod subnet' });
  }
  for (const itf of interfacesOf(artifacts.ipAddr ?? []).values()) {
    if (!POD_BRIDGE_OR_TUNNEL.test(itf.name)) continue;
    const a = globalV6(itf)[0];
    if (a) out.push({ file: a.ref.file, line: a.ref.line, excerpt: a.excerpt, note: `${itf.name} has an IPv6 address (not link-local): pods use IPv6` });
  }
  const svc = kubeProxyIpv6Services(artifacts);
  if (svc) out.push(svc);
  return distinctEvidence(out);
}

/**
 * kube-proxy's IPv6 Services: rules of KUBE-SERVICES in a live ip6tables dump that lead to a
 * Service (KUBE-SVC-* / KUBE-EXT-*). kube-proxy writes its base chains to ip6tables on any node
 * whose kernel has IPv6, single-stack clusters included: the chains alone say nothing.
 */
export function kubeProxyIpv6Services(artifacts: NodeArtifacts): Evidence | undefined {
  for (const rs of artifacts.iptables ?? []) {
    if (rs.origin !== 'live' || rs.family !== 'ipv6') continue;
    const chain = rs.tables.nat?.chains['KUBE-SERVICES'];
    const r = chain?.rules.find((x) => /^KUBE-(SVC|EXT|SVL)-/.test(x.target ?? ''));
    if (r) return { file: r.ref.file, line: r.ref.line, excerpt: r.text, note: 'kube-proxy has IPv6 Services (ip6tables nat KUBE-SERVICES): the cluster is dual-stack or IPv6' };
  }
  return undefined;
}

/**
 * Does Docker write ip6tables rules on this node? Its `ip6tables` setting (dockerd's flag,
 * docker.service's, daemon.json's key) when the bundle has one; else the default, true since
 * Docker 27 (before, off unless set with experimental): shown by Docker 28+'s DOCKER-FORWARD chain
 * in the IPv4 rules, by dockerd running ip6tables in its logs, or by Docker chains in the ip6tables
 * dump. The evidence says which; undefined when nothing shows it (or the setting is false).
 * Shared by the checks of Docker's ip6tables chains and of its IPv6 masquerade.
 */
export function dockerManagesIp6tables(artifacts: NodeArtifacts, views6: BackendView[]): Evidence | undefined {
  const flag = dockerdSettings(artifacts.dockerDaemon).ip6tables;
  if (flag) return flag.value ? { file: flag.ref.file, line: flag.ref.line, excerpt: flag.excerpt, note: `Docker manages ip6tables (ip6tables true, read from ${flag.note})` } : undefined;
  // no setting: the default, true since Docker 27 (before, off unless set with experimental)
  for (const v of liveViews(artifacts)) {
    const c = v.tables.get('filter')?.get('DOCKER-FORWARD');
    if (c) return { file: c.ref.file, line: c.ref.line, excerpt: 'chain DOCKER-FORWARD', note: 'Docker 28 or later (its IPv4 rules have DOCKER-FORWARD): it manages ip6tables by default' };
  }
  // dockerd calling ip6tables (`iptables failed: ip6tables --wait -t nat -A DOCKER ...`)
  const called = (artifacts.logs ?? []).flatMap((l) => l.matches).find((m) => /^dockerd?$/.test(m.unit ?? '') && /\bip6tables (--wait|-w)\b/.test(m.excerpt));
  if (called) return { file: called.file, line: called.line, excerpt: called.excerpt, note: 'dockerd runs ip6tables: it manages ip6tables' };
  for (const v of views6)
    for (const t of v.tables.values())
      for (const c of t.values())
        if (/^DOCKER(-|$)/.test(c.name)) return { file: c.ref.file, line: c.ref.line, excerpt: `chain ${c.name}`, note: 'Docker wrote chains to ip6tables: it manages ip6tables' };
  return undefined;
}
