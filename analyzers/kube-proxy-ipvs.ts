/**
 * kube-proxy in IPVS mode (kube-ipvs0 holds the Service addresses, ipvsadm lists one virtual service
 * per Service address and port, the KUBE-CLUSTER-IP ipset matches them in iptables).
 *
 * ipvs.masquerade-missing: nat KUBE-SERVICES has no rule sending ClusterIP traffic to
 * KUBE-MARK-MASQ. The IPVS proxier (pkg/proxy/ipvs/proxier.go, writeIptablesRules) writes one while
 * the KUBE-CLUSTER-IP set is not empty, in one of three shapes:
 *   masqueradeAll              -m set --match-set KUBE-CLUSTER-IP dst,dst -j KUBE-MARK-MASQ
 *   clusterCIDR (local detect) ! -s <clusterCIDR> ... --match-set KUBE-CLUSTER-IP dst,dst -j KUBE-MARK-MASQ
 *   neither (1.11+, #63319)    -m set --match-set KUBE-CLUSTER-IP src,dst -j KUBE-MARK-MASQ
 * Before 1.11 the third shape did not exist: without --cluster-cidr and --masquerade-all (or with
 * them given as flags while a --config file was used: the flags did not reach the proxier,
 * kubernetes#60161) there was no rule at all. What breaks then: a connection the node itself opens to
 * a ClusterIP (a host process, a hostNetwork pod such as flannel or calico-node) takes the ClusterIP
 * as its source address, since the kernel routes the address as local (kube-ipvs0 holds it). IPVS
 * rewrites only the destination; an endpoint on another host answers to the ClusterIP, which that
 * host holds on its own kube-ipvs0, and the answer never comes back: the connection times out.
 * Endpoints on this node still answer; pods' own connections (their source is a pod address) are not
 * affected; an endpoint in the pod network may be rescued by a CNI's masquerade rule (flannel's
 * `! -s <pod CIDR> -d <pod CIDR> -j MASQUERADE`), a host-network one (the API server behind the
 * kubernetes Service, 10.96.0.1:443) is not. Warning; critical where the node's logs show a
 * connection to a ClusterIP timing out.
 *
 * ipvs.service-no-endpoints: a Service address in ipvsadm's table with no real server:
 * connections to it get no answer (the kernel logs `IPVS: rr: TCP ...: no destination available`).
 * kube-proxy removes real servers when a Service has no ready endpoint, so a Service scaled to zero
 * shows so by design; DNS (port 53) or the API server (443) without one, or most Services without
 * one (kube-proxy no longer syncing endpoints, kubernetes#95149), is what matters.
 */
import { dnsLookupKind } from '../src/logs/signatures-dns.js';
import { defineAnalyzer } from '../src/engine/analyzer.js';
import type { NodeArtifacts } from '../src/engine/artifacts.js';
import type { Chain, Rule } from '../src/netfilter/rules.js';
import { interfacesOf } from '../src/parsers/interfaces.js';
import { endpointText, type IpvsVirtualService } from '../src/parsers/ipvsadm.js';
import type { Evidence } from '../src/report/schema.js';
import { timeOf } from './lib/logs.js';
import { liveViews } from './lib/node-view.js';

const NODE_PORTS = { min: 30000, max: 32767 };

/** The Service addresses the node's listings name: KUBE-CLUSTER-IP members (ip,proto:port), kube-ipvs0's addresses. */
interface ClusterIps {
  /** `10.96.0.1` -> evidence */
  addresses: Map<string, Evidence>;
  /** `10.96.0.1,tcp:443` members of a complete KUBE-CLUSTER-IP listing */
  members?: Set<string>;
  evidence: Evidence[];
}

function clusterIps(artifacts: NodeArtifacts): ClusterIps {
  const addresses = new Map<string, Evidence>();
  const evidence: Evidence[] = [];
  let members: Set<string> | undefined;
  for (const list of artifacts.ipsets ?? []) {
    if (list.savedConfig) continue;
    const set = list.sets.find((s) => s.name === 'KUBE-CLUSTER-IP');
    if (!set?.members) continue;
    evidence.push({ file: set.ref.file, line: set.ref.line, excerpt: set.excerpt, note: `kube-proxy's set of ClusterIP:port pairs (IPVS mode): ${set.members.length} member${set.members.length === 1 ? '' : 's'}` });
    if (set.complete) members ??= new Set();
    for (const m of set.members) {
      const [ip, port] = m.element.split(',');
      if (!addresses.has(ip)) addresses.set(ip, { file: m.ref.file, line: m.ref.line, excerpt: m.element, note: 'a ClusterIP in KUBE-CLUSTER-IP' });
      if (set.complete && port) members!.add(`${ip},${port.toLowerCase()}`);
    }
  }
  const ipvs0 = interfacesOf(artifacts.ipAddr ?? []).get('kube-ipvs0');
  if (ipvs0) {
    evidence.push({ file: ipvs0.ref.file, line: ipvs0.ref.line, excerpt: 'kube-ipvs0', note: `kube-proxy's IPVS dummy interface, holding ${ipvs0.addresses.length} Service address${ipvs0.addresses.length === 1 ? '' : 'es'}` });
    for (const a of ipvs0.addresses) if (!addresses.has(a.address)) addresses.set(a.address, { file: ipvs0.ref.file, line: ipvs0.ref.line, excerpt: `${a.cidr} dev kube-ipvs0`, note: 'a Service address on kube-ipvs0' });
  }
  return { addresses, members, evidence };
}

/** Whether a virtual service is a Service address kube-proxy binds (ClusterIP, external or LB IP), and how that is known. */
function isServiceAddress(s: IpvsVirtualService, ips: ClusterIps): boolean | undefined {
  if (s.protocol === 'FWM' || !s.host) return false;
  if (ips.members && s.port !== undefined) return ips.members.has(`${s.host},${s.protocol.toLowerCase()}:${s.port}`);
  if (ips.addresses.size > 0) return ips.addresses.has(s.host);
  return undefined;
}

function ruleEvidence(r: Rule, note: string): Evidence {
  return { file: r.ref.file, line: r.ref.line, excerpt: r.text, note };
}

/** `--match-set NAME dirs` of a rule: [name, dirs, negated] */
function setMatches(r: Rule): { name: string; dirs: string; negated: boolean }[] {
  const out: { name: string; dirs: string; negated: boolean }[] = [];
  for (const m of r.matches)
    if (m.module === 'set')
      for (const o of m.options) {
        if (o.name !== 'match-set' || !o.value) continue;
        const [name, dirs = ''] = o.value.split(/\s+/);
        out.push({ name, dirs, negated: o.negated });
      }
  return out;
}

/**
 * A KUBE-SERVICES rule that marks ClusterIP traffic for masquerade: to KUBE-MARK-MASQ, matching
 * KUBE-CLUSTER-IP (any directions: dst,dst or src,dst), or a per-Service rule (-d <ClusterIP>) with no
 * set of another kind (KUBE-EXTERNAL-IP, KUBE-NODE-PORT-*: other traffic).
 */
function marksClusterIps(r: Rule, ips: ClusterIps): boolean {
  if (r.target !== 'KUBE-MARK-MASQ') return false;
  const sets = setMatches(r);
  if (sets.some((s) => s.name === 'KUBE-CLUSTER-IP' && !s.negated)) return true;
  if (sets.length > 0) return false;
  const d = r.destination;
  return !!d && !d.negated && ips.addresses.has(d.value.replace(/\/32$/, ''));
}

interface IpvsSigns {
  evidence: Evidence[];
  /** a kube-router proxy, not kube-proxy, owns the IPVS table */
  kubeRouter: boolean;
}

function ipvsSigns(artifacts: NodeArtifacts, ips: ClusterIps, nat: Map<string, Chain>): IpvsSigns {
  const evidence = [...ips.evidence];
  const svcs = (artifacts.ipvsadm ?? []).flatMap((l) => l.services);
  if (svcs.length > 0) {
    const first = svcs[0];
    evidence.push({ file: first.ref.file, line: first.ref.line, excerpt: first.excerpt, note: `ipvsadm lists ${svcs.length} IPVS virtual service${svcs.length === 1 ? '' : 's'}` });
  }
  if (evidence.length === 0) {
    // the rules alone: a KUBE-CLUSTER-IP set match is the IPVS proxier's own
    for (const c of nat.values())
      for (const r of c.rules)
        if (r.text.includes('KUBE-CLUSTER-IP') && setMatches(r).some((s) => s.name === 'KUBE-CLUSTER-IP')) {
          evidence.push(ruleEvidence(r, 'a rule matching KUBE-CLUSTER-IP: kube-proxy in IPVS mode wrote it'));
          break;
        }
  }
  if (evidence.length === 0) {
    const m = (artifacts.logs ?? []).flatMap((l) => l.matches).find((x) => x.signature === 'log.kube-proxy-mode' && x.facts.mode === 'ipvs');
    if (m) evidence.push({ file: m.file, line: m.line, excerpt: m.excerpt, ...timeOf(m), note: 'kube-proxy said at start that it runs in IPVS mode' });
  }
  const kubeRouter = [...nat.keys()].some((c) => c.startsWith('KUBE-ROUTER-')) || interfacesOf(artifacts.ipAddr ?? []).has('kube-dummy-if');
  return { evidence, kubeRouter };
}

/** Timeouts to a ClusterIP in the node's logs (log.connection-timed-out, its peer a Service address). */
function clusterIpTimeouts(artifacts: NodeArtifacts, ips: ClusterIps, services: IpvsVirtualService[]): Evidence[] {
  const known = new Set([...ips.addresses.keys(), ...services.map((s) => s.host).filter((h): h is string => !!h)]);
  if (known.size === 0) return [];
  const out: Evidence[] = [];
  for (const l of artifacts.logs ?? [])
    for (const m of l.matches) {
      if (!(m.signature === 'log.connection-timed-out' || (m.signature === 'log.dns-lookup-failed' && dnsLookupKind(m.facts) === 'timeout')) || !m.facts.host || !known.has(m.facts.host)) continue;
      out.push({ file: m.file, line: m.line, excerpt: m.excerpt, ...timeOf(m), note: `a connection to the Service address ${m.facts.host}${m.facts.port ? `:${m.facts.port}` : ''} timed out` });
      if (out.length >= 4) return out;
    }
  return out;
}

/** The kubernetes Service's address: the first of the Service range (x.y.0.1), on port 443. */
function kubernetesService(ips: ClusterIps, services: IpvsVirtualService[]): string | undefined {
  const first = (ip: string) => /^\d+\.\d+\.0\.1$/.test(ip);
  if (ips.members) for (const m of ips.members) if (m.endsWith(',tcp:443') && first(m.split(',')[0])) return m.split(',')[0];
  const svc = services.find((s) => s.protocol === 'TCP' && s.port === 443 && s.host !== undefined && first(s.host));
  if (svc) return svc.host;
  return [...ips.addresses.keys()].find(first);
}

/** The pod CIDR as the rules show it: flannel's `-s X -d X -j RETURN` (its rules before FLANNEL-POSTRTG). */
function podCidrHint(nat: Map<string, Chain>): string | undefined {
  for (const c of nat.values())
    for (const r of c.rules)
      if (r.target === 'RETURN' && r.source && r.destination && !r.source.negated && !r.destination.negated && r.source.value === r.destination.value && /\/(8|9|1\d)$/.test(r.source.value)) return r.source.value;
  return undefined;
}

export const ipvsMasqueradeMissing = defineAnalyzer({
  id: 'ipvs.masquerade-missing',
  title: 'kube-proxy (IPVS mode) does not masquerade the node\'s connections to ClusterIPs',
  description:
    'kube-proxy runs in IPVS mode but nat KUBE-SERVICES has no rule sending ClusterIP traffic (the KUBE-CLUSTER-IP set) to KUBE-MARK-MASQ: connections the node and its hostNetwork pods open to a ClusterIP leave with the ClusterIP as their source and time out.',
  scope: 'node',
  requires: ['iptables'],
  optional: ['ipAddr', 'ipsets', 'logs', 'ipvsadm'],
  analyze({ node, artifacts }) {
    const a = artifacts;
    // every back end holding kube-proxy's chain (a stale copy in the other one must not speak for the live one)
    const views = liveViews(a).filter((v) => v.tables.get('nat')?.has('KUBE-SERVICES'));
    if (views.length === 0 || views.some((v) => v.truncated.has('nat'))) return [];
    const view = views.sort((x, y) => y.tables.get('nat')!.get('KUBE-SERVICES')!.rules.length - x.tables.get('nat')!.get('KUBE-SERVICES')!.rules.length)[0];
    const nat = view.tables.get('nat')!;
    const services = nat.get('KUBE-SERVICES')!;
    // an empty or unreached KUBE-SERVICES is iptables.kube-chains-missing's
    if (services.rules.length === 0) return [];
    // iptables-mode Service chains: not an IPVS node (both at once is a mode switch left behind); checked
    // first, by chain name only: the rules of a large iptables-mode dump are parsed lazily, on demand
    if ([...nat.keys()].some((c) => c.startsWith('KUBE-SVC-'))) return [];
    const ips = clusterIps(a);
    const signs = ipvsSigns(a, ips, nat);
    if (signs.evidence.length === 0 || signs.kubeRouter) return [];
    // kube-proxy writes the rule only while KUBE-CLUSTER-IP holds members: a listed empty set, nothing to masquerade
    const setListed = (a.ipsets ?? []).some((l) => !l.savedConfig && l.sets.some((s) => s.name === 'KUBE-CLUSTER-IP' && s.complete && s.members?.length === 0));
    if (setListed) return [];
    if (views.some((v) => v.tables.get('nat')!.get('KUBE-SERVICES')!.rules.some((r) => marksClusterIps(r, ips)))) return [];
    const ipvsServices = (a.ipvsadm ?? []).flatMap((l) => l.services);
    const timeouts = clusterIpTimeouts(a, ips, ipvsServices);
    const cidr = podCidrHint(nat);
    const api = kubernetesService(ips, ipvsServices);
    const searched: Evidence = {
      file: services.ref.file,
      line: services.ref.line,
      excerpt: services.ref.line ? `chain nat KUBE-SERVICES` : 'chain KUBE-SERVICES',
      note: `${services.rules.length} rule${services.rules.length === 1 ? '' : 's'}, none matching KUBE-CLUSTER-IP (or a ClusterIP) with -j KUBE-MARK-MASQ`,
    };
    const accept = services.rules.find((r) => r.target === 'ACCEPT' && setMatches(r).some((s) => s.name === 'KUBE-CLUSTER-IP'));
    return [
      {
        severity: timeouts.length > 0 ? 'critical' : 'warning',
        title: "kube-proxy (IPVS mode) does not masquerade the node's connections to ClusterIPs",
        message: (
          `kube-proxy runs in IPVS mode on ${node}, but nat KUBE-SERVICES has no rule sending ClusterIP traffic to KUBE-MARK-MASQ (neither \`! -s <clusterCIDR> -m set --match-set KUBE-CLUSTER-IP dst,dst\`, nor masqueradeAll's \`--match-set KUBE-CLUSTER-IP dst,dst\`, nor the \`src,dst\` rule kube-proxy 1.11+ writes without either). ` +
          'A connection this node itself opens to a ClusterIP (a host process, or a hostNetwork pod such as flannel or calico-node) takes the ClusterIP as its source address, because kube-ipvs0 holds it; IPVS rewrites only the destination, so an endpoint on another host answers to the ClusterIP, which that host holds too, and the answer never comes back: the connection times out. ' +
          `Endpoints on this node still answer, and pods' own connections (from pod addresses) are not affected; ${api ? `the kubernetes Service (${api}:443), whose endpoints are the API servers' host addresses, is` : "Services whose endpoints are host addresses (the API server's kubernetes Service) are"} the first to fail.` +
          (timeouts.length > 0 ? ` The node's logs show connections to a ClusterIP timing out (${timeouts.length > 1 ? `${timeouts.length} lines` : 'one line'} quoted).` : '')).trim(),
        impact: 'hostNetwork pods (the CNI agent: flannel cannot fetch its pod spec, "dial tcp 10.96.0.1:443: i/o timeout") and host processes cannot reach Services whose endpoints are on other hosts.',
        evidence: [searched, ...(accept ? [ruleEvidence(accept, 'KUBE-SERVICES accepts ClusterIP traffic here, unmarked')] : []), ...signs.evidence, ...timeouts],
        facts: { clusterIps: ips.addresses.size || undefined, podCidr: cidr, timeouts: timeouts.length },
        remedy: {
          summary:
            `Give kube-proxy the cluster's pod CIDR (clusterCIDR${cidr ? `, ${cidr} here by flannel's rules` : ''}) or masqueradeAll: true in its configuration file, then restart it; kube-proxy then writes \`-A KUBE-SERVICES ! -s <clusterCIDR> -m set --match-set KUBE-CLUSTER-IP dst,dst -j KUBE-MARK-MASQ\`. ` +
            'kubeadm keeps that file in the ConfigMap kube-system/kube-proxy (config.conf: clusterCIDR, and iptables.masqueradeAll in its v1alpha1 form). Where kube-proxy runs with --config (a systemd unit, a static pod), put them in that file and restart it: kube-proxy of that time ignored --cluster-cidr / --masquerade-all on the command line once a --config was given (kubernetes#60161). kube-proxy 1.11 and later writes a `src,dst` rule for the node\'s own connections even without either; upgrading also fixes it. ' +
            'k3s and RKE2 pass their --cluster-cidr to the kube-proxy they run (or add --kube-proxy-arg=masquerade-all=true) and write the rules again at restart.',
          commands: [
            "kubectl -n kube-system get configmap kube-proxy -o jsonpath='{.data.config\\.conf}' | grep -nE 'clusterCIDR|masqueradeAll|mode'   # what it runs with",
            `kubectl -n kube-system edit configmap kube-proxy   # config.conf: clusterCIDR: "${cidr ?? '<pod CIDR>'}"  (or iptables: masqueradeAll: true)`,
            'kubectl -n kube-system rollout restart daemonset kube-proxy   # kube-proxy reads its configuration only at start',
            'iptables -t nat -S KUBE-SERVICES | grep KUBE-MARK-MASQ   # check: a rule matching KUBE-CLUSTER-IP is there',
          ],
          caution: 'masqueradeAll hides every client address from the Service\'s pods (NetworkPolicy on sources, logs); clusterCIDR masquerades only what does not come from a pod. A wrong clusterCIDR masquerades pod traffic too, or misses the node\'s.',
        },
      },
    ];
  },
});

export const ipvsServiceNoEndpoints = defineAnalyzer({
  id: 'ipvs.service-no-endpoints',
  title: 'IPVS Services without real servers',
  description: 'ipvsadm lists Service addresses (ClusterIPs) with no real server: connections to them get no answer.',
  scope: 'node',
  requires: ['ipvsadm'],
  optional: ['ipAddr', 'ipsets'],
  analyze({ node, artifacts }) {
    const a = artifacts;
    const lists = a.ipvsadm ?? [];
    if (lists.length === 0) return [];
    const ips = clusterIps(a);
    const seen = new Set<string>();
    const all: IpvsVirtualService[] = [];
    for (const l of lists)
      for (const s of l.services) {
        const key = `${s.protocol} ${endpointText(s)}`;
        if (seen.has(key)) continue;
        seen.add(key);
        all.push(s);
      }
    // Service addresses: known from the set or kube-ipvs0; else every address but NodePorts' (their range, on node addresses)
    const isService = (s: IpvsVirtualService) => {
      const known = isServiceAddress(s, ips);
      if (known !== undefined) return known;
      return s.protocol !== 'FWM' && s.port !== undefined && (s.port < NODE_PORTS.min || s.port > NODE_PORTS.max);
    };
    const services = all.filter(isService);
    const empty = services.filter((s) => s.realServers.length === 0 && !s.cutAfter);
    if (empty.length === 0) return [];
    const named = ips.members !== undefined || ips.addresses.size > 0;
    const dns = empty.filter((s) => s.port === 53);
    const apiAddress = kubernetesService(ips, all);
    const api = empty.filter((s) => s.protocol === 'TCP' && s.port === 443 && s.host === apiAddress);
    const most = empty.length >= 3 && empty.length * 2 >= services.length;
    const list = empty.slice(0, 8).map((s) => `${s.protocol} ${endpointText(s)}`).join(', ') + (empty.length > 8 ? ` and ${empty.length - 8} more` : '');
    const what = named ? 'ClusterIP' : 'Service address';
    return [
      {
        severity: dns.length > 0 || api.length > 0 || most ? 'warning' : 'info',
        title: 'IPVS Services without real servers',
        message:
          `${empty.length} of the ${services.length} ${what}${services.length === 1 ? '' : what.endsWith('s') ? 'es' : 's'} in ${node}'s IPVS table ha${empty.length === 1 ? 's' : 've'} no real server: ${list}. Connections to ${empty.length === 1 ? 'it' : 'them'} get no answer (the kernel logs "IPVS: rr: ... no destination available"). ` +
          (most
            ? 'Most Services have none: rather than each Service lacking pods, kube-proxy is not programming endpoints (its Endpoints/EndpointSlice watch or sync failing, as after the upgrade of kubernetes#95149).'
            : 'kube-proxy removes real servers while a Service has no ready endpoint: a Service scaled to zero, or whose pods fail their readiness probe, shows so.') +
          (dns.length > 0 ? ` Cluster DNS (${dns.map((s) => `${s.protocol} ${endpointText(s)}`).join(', ')}) is among them: name resolution in pods fails.` : ''),
        impact: dns.length > 0 ? 'Pods on this node cannot resolve names; Services listed time out.' : 'Connections to the Services listed time out from this node.',
        evidence: empty.slice(0, 8).map((s) => ({ file: s.ref.file, line: s.ref.line, excerpt: s.excerpt, note: `no "->" real server line follows` })),
        facts: { empty: empty.map((s) => `${s.protocol} ${endpointText(s)}`), services: services.length, dns: dns.length > 0, mostEmpty: most },
        remedy: {
          summary: most
            ? "Compare the Services' endpoints with what kube-proxy programmed, read kube-proxy's log on this node for watch or sync errors, and restart it."
            : "Check each Service's endpoints: no ready pod (scaled to zero, failing readiness) or a selector that matches no pod leaves it without real servers.",
          commands: [
            "kubectl get endpoints -A | grep '<none>'   # Services the API server has no ready endpoint for",
            "kubectl get svc -A -o wide | grep -E '" + [...new Set(empty.map((s) => (s.host ?? '').replace(/\./g, '\\.')))].slice(0, 6).join('|') + "'   # which Services these are",
            'kubectl -n kube-system logs -l k8s-app=kube-proxy --tail=50 | grep -iE "error|fail"   # kube-proxy failing to sync',
            'ipvsadm -Ln   # check: real servers are back',
          ],
          caution: most ? "Restarting kube-proxy (kubectl -n kube-system rollout restart daemonset kube-proxy) rewrites the IPVS table; established connections stay." : undefined,
        },
      },
    ];
  },
});

export default ipvsMasqueradeMissing;
