/**
 * routing.policy-rule-bypasses-pods: an `ip rule` consulted before the main table (priority below
 * 32766) sends traffic between the host and its pods, or between pods, to a table that has no route
 * to them: the packets leave by the uplink (or are dropped) instead of taking main's route to the pod.
 *
 * The case: nm-cloud-setup (NetworkManager's cloud helper, enabled on RHEL 8.x images of AWS, Azure,
 * GCP and Alibaba) writes, for each IPv4 address of the instance, `30400+n: from <address> lookup
 * 30400+n`, a table holding only `default via <subnet gateway>` (NetworkManager src/nm-cloud-setup/
 * main.c, `_nmc_mangle_connection`). Traffic whose source is the node's address then never reaches
 * main's pod routes. projectcalico/calico#4662 (RHEL 8.4 on AWS: `ping 192.168.234.1` from the host to
 * its pod loses 100%, though tcpdump on the pod's cali interface shows both the request and the reply),
 * rancher/rke2#1053 and k3s-io/k3s#3791 (the same on RKE2/k3s: "the pod is definitely receiving the
 * traffic. It seems to be getting lost heading back to the host network namespace"), kubermatic/
 * machine-controller#1076 ("nm-cloud-setup introduces new ip routing table which will end up conflicting
 * with calico"). The fix all of them give: `systemctl disable nm-cloud-setup.service nm-cloud-setup.timer`
 * and reboot. Later NetworkManager versions add `30350: from all lookup main suppress_prefixlength 0`
 * before its rules (and a 30200+n table with the subnet route), so main's routes other than the default
 * one win again: that rule, where present, keeps this analyzer quiet, by the same walk as the kernel's.
 *
 * Reproduced in network namespaces (test/fixtures/ip-rule/): a node 10.0.10.5/28 on eth0, a pod
 * 192.168.234.1 behind a Calico-style veth with `192.168.234.1 dev calie56a59d32a1 scope link` in main,
 * the rule `30400: from 10.0.10.5 lookup 30400` and `default via 10.0.10.1 dev eth0 table 30400`:
 * `ip route get 192.168.234.1 from 10.0.10.5` answers `via 10.0.10.1 dev eth0 table 30400`; with
 * net.ipv4.conf.all.rp_filter=1 (RHEL's default) ping to the pod loses 100% (the reply fails the reverse
 * path check), and with rp_filter 0 too a TCP connection from the host to the pod times out, its SYN
 * sent to the gateway. `ip rule del priority 30400` brings both back; so does the 30350 rule.
 *
 * How the decision is made: for each pod route of main (on a CNI interface: cali*, cni0, flannel.1,
 * lxc*, eni*, vxlan.calico, tunl0, cilium_host, ...; or Calico's BGP routes, proto bird) and each of
 * the node's own IPv4 addresses as source (locally sent, iif lo), and each local pod's address as source
 * (forwarded, iif its interface), the rules are walked in priority order as the kernel does
 * (fib_rules: from/to prefixes, iif, oif, fwmark with mask against an unmarked packet, `not`, goto;
 * lookup of a table by longest prefix, `throw` and an empty table fall through, suppress_prefixlength
 * ignores routes of that prefix length or shorter). The finding fires when the walk ends elsewhere than
 * main's pod route and not on another CNI interface (Calico's WireGuard table 1 routes to
 * wireguard.cali), i.e. on the uplink, a blackhole or nothing. fwmark rules do not match unmarked pod
 * traffic (Cilium's `fwmark 0x200/0xf00 lookup 2004` for its proxy, the AWS VPC CNI's `fwmark 0x80/0x80
 * lookup main`), and uidrange / ipproto / port / tos / l3mdev selectors are taken as not matching, so
 * that only rules that catch all such traffic are reported. The AWS VPC CNI's own rules (`512: from all
 * to <pod> lookup main`, `1536: from <pod> lookup 2`) keep pod destinations in main: quiet.
 *
 * Severity: critical when main's diverted pod routes lie on CNI interfaces (the pods are on this node or
 * reached through its overlay) and the diverted traffic is the node's primary address's (that of its default
 * route) or the pods' own; a warning when only a secondary address is diverted (a second NIC's source
 * routing: pods reaching that address get no replies, the rest works) or only Calico's BGP routes via eth0.
 *
 * A table the bundle does not hold: with `ip route show table all` (its `table local` lines show every
 * table was listed) a table absent from it is empty and the walk goes on; with a main-only `ip route`
 * the table is unknown, and only nm-cloud-setup's own table (its numbering, or its unit listed) is
 * taken for what it writes (a default route out of the uplink); other rules are left undecided, said
 * through `partly`.
 */
import { defineAnalyzer, type FindingDraft, type Partly } from '../src/engine/analyzer.js';
import type { Evidence } from '../src/report/schema.js';
import type { Route, RouteTable } from '../src/parsers/ip-route.js';
import type { InterfaceList } from '../src/parsers/interfaces.js';
import type { ServiceList, ServiceState } from '../src/parsers/services.js';
import { findService } from '../src/parsers/services.js';
import { nodeForCommands } from './lib/node-services.js';
import { fwmarkOf, type IpRule, type IpRuleList } from '../src/parsers/ip-rule.js';
import { cidrContains, formatCidr, parseCidr, type Cidr } from '../src/parsers/cidr.js';

const ID = 'routing.policy-rule-bypasses-pods';

/** The interfaces CNIs route pods through (the host side of pod veths, bridges, overlay and tunnel devices). */
export const POD_DEV =
  /^(cali[0-9a-f]{6,}|cni\d+|cbr0|kube-bridge|weave|flannel\.\d+|flannel-v6\.\d+|flannel-wg(-v6)?|lxc[0-9a-f]{6,}|lxc_health|cilium_(host|net|vxlan|geneve|wg0)|eni[0-9a-f]{6,}|vxlan\.calico|vxlan-v6\.calico|wireguard\.cali|tunl0|antrea-gw0|ovn-k8s-mp0|genev_sys_6081)$/;

/** The artifacts it reads; `ipRules` is the `ip rule` listing kind (parsers/ip-rule.ts). */
export interface RoutingPolicyArtifacts {
  /** absent: only an enabled nm-cloud-setup on a node with pod routes can be said (a warning asking for ip rule) */
  ipRules?: IpRuleList[];
  routes: RouteTable[];
  services?: ServiceList[];
  ipAddr?: InterfaceList[];
}

interface Flow {
  src: bigint;
  srcText: string;
  dst: bigint;
  dstText: string;
  /** `lo` for what the host sends, the pod's interface for what it forwards */
  iif: string;
}

type Decision =
  | { kind: 'route'; rule: IpRule; table: string; route: Route }
  | { kind: 'drop'; rule: IpRule; table?: string; route?: Route }
  | { kind: 'unknown'; rule: IpRule; table: string }
  | { kind: 'none' };

/** whose traffic: the node's primary address, another of its addresses (a second NIC's), or a pod's */
type Source = 'node' | 'secondary' | 'pod';

interface PodRoute {
  route: Route;
  cidr: Cidr;
}

const NM_CLOUD_SETUP_UNITS = ['nm-cloud-setup.service', 'nm-cloud-setup.timer'];

/** nm-cloud-setup's numbering: priority and table 30400+n (default route) or 30200+n (subnet route), from one /32. */
export function isNmCloudSetupRule(r: IpRule): boolean {
  const p = r.priority;
  return r.action === 'lookup' && r.table === String(p) && ((p >= 30400 && p < 30600) || (p >= 30200 && p < 30350)) && r.from !== 'all' && /^\d+\.\d+\.\d+\.\d+(\/32)?$/.test(r.from);
}

/** The main table's routes to pods (a CNI interface, or Calico's BGP routes). */
function podRoutesOf(routes: readonly RouteTable[]): Route[] {
  return routes
    .flatMap((t) => t.routes)
    .filter((r) => !r.destination.includes(':') && (r.table ?? 'main') === 'main' && (!r.type || r.type === 'unicast'))
    .filter((r) => parseCidr(r.destination)?.prefix !== 0 && ((r.dev !== undefined && POD_DEV.test(r.dev)) || r.proto === 'bird' || r.proto === '80'));
}

/**
 * No `ip rule` listing: an enabled nm-cloud-setup on a node with pod routes is a warning (it is what writes the
 * rules of calico#4662; RKE2's installer refuses to run beside it), with the same fix and the command to confirm;
 * otherwise the coverage says the rules were not checked.
 */
function withoutRules(node: string, a: RoutingPolicyArtifacts, partly?: Partly): FindingDraft[] {
  const pods = podRoutesOf(a.routes);
  if (pods.length === 0) return [];
  const units = (a.services ? NM_CLOUD_SETUP_UNITS.flatMap((u) => findService(a.services!, u)) : []).filter((u) => u.enabled === 'enabled' || u.active === 'active');
  if (units.length === 0) {
    partly?.('the bundle has no ip rule listing: whether a policy routing rule sends pod traffic past the main table was not checked; collect ip rule (sos: sos_commands/networking/ip_-4_rule_list)', ['ipRules']);
    return [];
  }
  // a route over a pod's own interface says it best; Calico's BGP routes (proto bird / 80) else
  const pod = pods.find((r) => r.dev !== undefined && POD_DEV.test(r.dev)) ?? pods[0];
  return [
    {
      severity: 'warning',
      title: 'nm-cloud-setup is enabled on a node that routes pods',
      message: `On ${node}, nm-cloud-setup (NetworkManager's cloud helper on RHEL 8.x images of AWS, Azure and GCP) is ${units.map((u) => `${u.unit} ${u.enabled === 'enabled' ? 'enabled' : u.active}`).join(', ')}, and the node routes pods (${pod.destination} dev ${pod.dev ?? pod.proto}). It adds a policy rule per instance address (\`30400: from <node address> lookup 30400\`) whose table holds only the default route, so the node's own traffic to its pods, and their replies, leave by the uplink instead of the pod routes (projectcalico/calico#4662; RKE2's and k3s' documentation require it disabled). The bundle has no \`ip rule\` listing to show whether it already did.`,
      impact: 'Host ↔ pod traffic (kubelet probes, hostNetwork pods, the API server to webhooks) can fail on this node once nm-cloud-setup has run.',
      evidence: [
        ...units.map((u) => ({ file: u.ref.file, line: u.ref.line, excerpt: u.excerpt, note: 'nm-cloud-setup, which writes policy rules for the instance addresses' })),
        { file: pod.ref.file, line: pod.ref.line, excerpt: pod.excerpt, note: 'a route to pods in the main table, which such a rule bypasses' },
      ],
      facts: { nmCloudSetup: units.map((u) => u.unit), basis: 'units only: no ip rule listing in the bundle' },
      remedy: {
        summary: 'Confirm with ip rule (a rule of priority 30400 or 30200+n with `from <node address>`), then disable nm-cloud-setup and reboot, as the RKE2, k3s and Calico documentation say.',
        commands: ['ip rule show   # nm-cloud-setup\'s rules: 30400+n / 30200+n `from <node address> lookup <same number>`', 'systemctl disable --now nm-cloud-setup.timer nm-cloud-setup.service', 'ip rule show | grep -E "^30[24][0-9]{2}:" || true   # left until the reboot; delete them with ip rule del priority <n>'],
        caution: 'nm-cloud-setup configures secondary addresses and interfaces of the instance: on a node with several ENIs/NICs or secondary IPs, check that the extra addresses still work without it. The reboot stops the node\'s pods (drain first).',
      },
    },
  ];
}

/** `commandNode`: the node's name in commands, `<NODE>` where the bundle does not show it (nodeForCommands) */
export function analyzeRoutingPolicy(node: string, a: RoutingPolicyArtifacts, partly?: Partly, commandNode = node): FindingDraft[] {
  if (!a.ipRules?.length) return withoutRules(node, a, partly);
  const rules = a.ipRules
    .flatMap((l) => l.rules)
    .filter((r) => r.family !== 6)
    .sort((x, y) => x.priority - y.priority);
  if (!rules.some((r) => r.priority < 32766)) return [];
  const routes = a.routes.flatMap((t) => t.routes).filter((r) => !r.destination.includes(':'));
  const tables = new Map<string, Route[]>();
  for (const r of routes) {
    const t = r.table ?? 'main';
    if (!tables.has(t)) tables.set(t, []);
    tables.get(t)!.push(r);
  }
  // `ip route show table all` lists the local table: then every table is in the bundle, and one not in it is empty
  const complete = tables.has('local');
  const main = tables.get('main') ?? [];
  const pods: PodRoute[] = [];
  for (const r of main) {
    const c = parseCidr(r.destination);
    if (!c || c.prefix === 0 || (r.type && r.type !== 'unicast')) continue;
    if ((r.dev && POD_DEV.test(r.dev)) || r.proto === 'bird' || r.proto === '80') pods.push({ route: r, cidr: c });
  }
  if (pods.length === 0) return [];
  // only units that run (enabled, or active): a disabled nm-cloud-setup is the documented fix, not a sign (R7)
  const units = (a.services ? NM_CLOUD_SETUP_UNITS.flatMap((u) => findService(a.services!, u)) : []).filter((s) => s.enabled === 'enabled' || s.active === 'active');
  const nmcsByUnit = units.length > 0;

  const nodeAddrs = nodeAddresses(tables, a.ipAddr, main);
  // the node's own addresses (cni0's 10.42.0.1, flannel.1's 10.42.0.0) are no pod: a pod address is picked around them
  const local = new Set((tables.get('local') ?? []).filter((r) => r.type === 'local').map((r) => r.destination.replace(/\/32$/, '')));
  const hostIn = (c: Cidr, from = 2): bigint => {
    if (c.prefix >= 31) return c.network;
    const size = 1n << BigInt(32 - c.prefix);
    for (let n = BigInt(from); n < size - 1n && n < 64n; n++) if (!local.has(ip4(c.network + n))) return c.network + n;
    return c.network + 1n;
  };
  const flows: { flow: Flow; pod: PodRoute; from: Source }[] = [];
  const localPods = pods.filter((p) => !p.route.via && p.route.dev && POD_DEV.test(p.route.dev));
  for (const pod of pods) {
    const dst = hostIn(pod.cidr, 2);
    for (const s of nodeAddrs) flows.push({ flow: { src: s.value, srcText: s.text, dst, dstText: ip4(dst), iif: 'lo' }, pod, from: s.primary ? 'node' : 'secondary' });
    for (const lp of localPods) {
      if (lp === pod) continue;
      const src = hostIn(lp.cidr, 3);
      flows.push({ flow: { src, srcText: ip4(src), dst, dstText: ip4(dst), iif: lp.route.dev! }, pod, from: 'pod' });
    }
  }

  interface Hit {
    decision: Exclude<Decision, { kind: 'none' }> | { kind: 'none' };
    flow: Flow;
    pod: PodRoute;
    from: Source;
    nmcs: boolean;
  }
  const hits: Hit[] = [];
  const undecided = new Set<string>();
  for (const { flow, pod, from } of flows) {
    const d = walk(rules, tables, complete, flow);
    if (d.kind === 'route') {
      if (d.route === pod.route) continue;
      // another CNI device (Calico's WireGuard table 1 to wireguard.cali): the CNI's own routing
      if (d.route.dev && POD_DEV.test(d.route.dev)) continue;
      // a route in main more specific than the pod route we took (a /32 inside a pod CIDR): main's own choice
      if (d.table === 'main') continue;
    }
    if (d.kind === 'unknown') {
      // a table the bundle does not list is taken for nm-cloud-setup's (a default route only) when the rule has its
      // numbering, never for another rule's (Tailscale's 52, Calico WireGuard's 1, the AWS VPC CNI's 2: R7)
      if (!isNmCloudSetupRule(d.rule)) {
        undecided.add(`rule ${d.rule.priority} (${d.rule.ref.file}:${d.rule.ref.line}) looks up table ${d.table}, which the bundle does not list (collect \`ip route show table all\`)`);
        continue;
      }
    }
    if (d.kind === 'none') continue;
    hits.push({ decision: d, flow, pod, from, nmcs: isNmCloudSetupRule(d.rule) || (nmcsByUnit && d.kind !== 'drop' && d.rule.from !== 'all') });
  }
  for (const u of undecided) partly?.(u);
  if (hits.length === 0) return [];

  // one finding per rule that diverts pod traffic
  const byRule = new Map<IpRule, Hit[]>();
  for (const h of hits) {
    const r = (h.decision as { rule: IpRule }).rule;
    if (!byRule.has(r)) byRule.set(r, []);
    byRule.get(r)!.push(h);
  }
  const out: FindingDraft[] = [];
  for (const [rule, hs] of byRule) out.push(finding(node, rule, hs, units, tables, complete, rules));
  return out;

  function finding(node: string, rule: IpRule, hs: Hit[], units: ServiceState[], tables: Map<string, Route[]>, complete: boolean, rules: IpRule[]): FindingDraft {
    const nmcs = hs.some((h) => h.nmcs);
    const podRoutes = [...new Set(hs.map((h) => h.pod))];
    const onPodItf = podRoutes.some((p) => p.route.dev && POD_DEV.test(p.route.dev));
    const d = hs[0].decision;
    const table = d.kind === 'route' || d.kind === 'unknown' ? d.table : d.kind === 'drop' ? d.table : undefined;
    const where =
      d.kind === 'route'
        ? `\`${d.route.excerpt}\`${d.route.dev ? ` (out of ${d.route.dev}${d.route.via ? ` to ${d.route.via}` : ''})` : ''}`
        : d.kind === 'drop'
          ? d.route
            ? `\`${d.route.excerpt}\` (dropped)`
            : `the rule's own ${rule.action} (dropped)`
          : `table ${table}, which the bundle does not list${nmcs ? "; nm-cloud-setup's table holds only a default route via the subnet's gateway" : ''}`;
    const srcs = [...new Set(hs.filter((h) => h.from !== 'pod').map((h) => h.flow.srcText))];
    // only a secondary address of the node (a second NIC's source routing): pods reaching that address fail, the rest works
    const onlySecondary = hs.every((h) => h.from === 'secondary');
    const podSrc = hs.some((h) => h.from === 'pod');
    const whose =
      srcs.length > 0
        ? `traffic the node sends from its address ${list(srcs)} to its pods (its replies to pods, and connections it opens to them)${podSrc ? ', and traffic between pods,' : ''}`
        : 'traffic between pods';
    const podText = list(podRoutes.map((p) => `${p.route.destination}${p.route.via ? ` via ${p.route.via}` : ''}${p.route.dev ? ` dev ${p.route.dev}` : ''}`), 3);
    const ruleText = `\`${rule.excerpt.replace(/\t/g, ' ')}\` (${rule.ref.file}:${rule.ref.line})`;
    const message =
      `On ${node} the policy rule ${ruleText} is consulted before the main table (priority ${rule.priority} < 32766) and sends ${whose} to ${where} instead of main's route${podRoutes.length > 1 ? 's' : ''} to the pods (${podText}). ` +
      (nmcs
        ? "This is nm-cloud-setup's policy routing (NetworkManager's cloud helper on RHEL 8.x images of AWS/Azure/GCP: a rule and table 30400+n per instance address, the table holding only the default route): " +
          'host ↔ pod traffic fails, e.g. a ping from the node to a pod loses every reply although tcpdump on the pod interface shows the reply leaving the pod (projectcalico/calico#4662, rancher/rke2#1053).'
        : 'Packets to the pods leave by the wrong interface or are dropped, and with reverse-path filtering (rp_filter 1) the replies of pods to the node fail the check.') +
      (onlySecondary ? ` ${list(srcs)} ${srcs.length > 1 ? 'are' : 'is'} not the node's primary address (that of its default route): only traffic between pods and ${srcs.length > 1 ? 'these addresses' : 'this address'} is affected (a pod connecting to it gets no replies).` : '') +
      (units.length ? ` ${units.map((u) => `${u.unit} is listed (${u.ref.file}:${u.ref.line}: \`${u.excerpt}\`)`).join('; ')}.` : '');
    const evidence: Evidence[] = [{ file: rule.ref.file, line: rule.ref.line, excerpt: rule.excerpt, note: `priority ${rule.priority}, before main (32766): ${rule.from === 'all' && !rule.not ? 'matches traffic from any source' : `matches the traffic ${srcs.length ? `the node sends from ${list(srcs)}` : 'of the pods'}`}` }];
    if (d.kind === 'route' || (d.kind === 'drop' && d.route)) {
      const r = d.route!;
      evidence.push({ file: r.ref.file, line: r.ref.line, excerpt: r.excerpt, note: `what table ${table} does with traffic to the pods: ${d.kind === 'drop' ? 'drops it' : `sends it out of ${r.dev ?? r.via}`}` });
    } else if (d.kind === 'unknown') {
      const f = a.routes[0]?.file;
      if (f) evidence.push({ file: f, line: 0, excerpt: `no route of table ${table}`, note: 'the routes file lists the main table only' });
    }
    for (const p of podRoutes.slice(0, 3)) evidence.push({ file: p.route.ref.file, line: p.route.ref.line, excerpt: p.route.excerpt, note: "main's route to the pods, never consulted for this traffic" });
    for (const u of units) evidence.push({ file: u.ref.file, line: u.ref.line, excerpt: u.excerpt, note: 'nm-cloud-setup, which writes these rules' });

    const sameOwner = nmcs ? rules.filter((r) => isNmCloudSetupRule(r)) : [rule];
    const prios = [...new Set(sameOwner.map((r) => r.priority))].sort((x, y) => x - y);
    const dels = prios.map((p) => `while ip rule del priority ${p} 2>/dev/null; do :; done   # now: every rule of priority ${p}, pod traffic comes back at once`);
    let summary: string;
    let commands: string[];
    let caution: string;
    if (nmcs) {
      summary =
        "Stop nm-cloud-setup and remove its rules: disable its service and its timer, delete its rules now (pod traffic comes back at once), and reboot when convenient so that NetworkManager comes up without them (the RKE2, k3s and Calico documentation's fix: disable both units and reboot). Until that reboot the deleted rules can come back: they are part of the connection NetworkManager applied, and while nm-cloud-setup stays enabled its timer writes them again.";
      commands = [
        'systemctl disable --now nm-cloud-setup.timer nm-cloud-setup.service',
        ...dels,
        `ip rule show   # must list no rule of priority ${prios.join(', ')} (a newer nm-cloud-setup's 30350 \`lookup main suppress_prefixlength 0\` may stay: it is harmless)`,
        `kubectl drain ${commandNode} --ignore-daemonsets --delete-emptydir-data && reboot   # when convenient; then: kubectl uncordon ${commandNode}`,
      ];
      caution =
        'nm-cloud-setup configures secondary addresses and interfaces of the instance: on a node with several ENIs/NICs or secondary IPs, check that the extra addresses still work without its source routing (or keep it and add `ip rule show pref 30350 | grep -q . || ip rule add pref 30350 lookup main suppress_prefixlength 0`, the rule newer NetworkManager writes itself, which lets main\'s routes other than the default one win). The reboot stops the node\'s pods (hence the drain).';
    } else {
      const before = freePriority(rules, rule.priority - 1);
      const podCidrs = [...new Set(podRoutes.map((p) => formatCidr(p.cidr)))].slice(0, 8);
      summary = `Find what adds ${ruleText} (a VPN or SD-WAN agent, multi-NIC source routing in NetworkManager's ipv4.routing-rules, /etc/sysconfig/network-scripts/rule-*, netplan routing-policy) and keep pod destinations out of it: a rule before it that looks the pods up in main, or remove it.`;
      commands = [
        ...(before !== undefined
          ? podCidrs.map((c) => `ip rule show pref ${before} to ${c} | grep -q . || ip rule add pref ${before} to ${c} lookup main   # pod destinations use main's routes first`)
          : []),
        `ip rule show   # check the order: the pod rule${podCidrs.length > 1 ? 's' : ''} must come before ${rule.priority}`,
      ];
      caution = 'A rule added with `ip rule add` is lost at reboot: make it permanent in whatever owns the node\'s policy routing. Removing the diverting rule instead breaks what its owner needed it for.';
    }
    return {
      id: ID,
      severity: onPodItf && !onlySecondary ? 'critical' : 'warning',
      title: nmcs ? "nm-cloud-setup's policy rule sends host ↔ pod traffic past the pod routes" : 'A policy routing rule sends pod traffic past the main table',
      message,
      impact: srcs.length
        ? 'Connections between the node and its pods (kubelet probes, hostNetwork pods, NodePort/host traffic to pods, pods reaching the API server on the node address) hang or fail.'
        : 'Traffic between pods is sent out of the wrong interface or dropped.',
      evidence,
      facts: { rule: rule.excerpt, priority: rule.priority, table, nmCloudSetup: nmcs, complete, pods: podRoutes.map((p) => p.route.destination) },
      remedy: { summary, commands, caution },
    };
  }
}

/** The node's own IPv4 addresses: the local table's `local` routes, else ip addr, else main's `src`. Pod-side addresses (cni0, tunl0) are left out. */
function nodeAddresses(tables: Map<string, Route[]>, ipAddr: InterfaceList[] | undefined, main: Route[]): { value: bigint; text: string; primary: boolean }[] {
  const out = new Map<string, { value: bigint; dev?: string }>();
  const add = (text: string | undefined, dev: string | undefined) => {
    if (!text || (dev && (dev === 'lo' || POD_DEV.test(dev)))) return;
    const c = parseCidr(text.split('/')[0]);
    if (!c || c.family !== 4 || Number(c.network >> 24n) === 127) return;
    const key = formatCidr(c).replace(/\/32$/, '');
    if (!out.has(key)) out.set(key, { value: c.network, dev });
  };
  for (const r of tables.get('local') ?? []) if (r.type === 'local') add(r.destination.replace(/\/32$/, ''), r.dev);
  if (out.size === 0) for (const l of ipAddr ?? []) for (const i of l.interfaces) for (const ad of i.addresses) if (ad.family === 4 && ad.scope !== 'host') add(ad.address, i.name);
  if (out.size === 0) for (const r of main) add(r.src, r.dev);
  // the primary address: the default route's preferred source, else an address on the default route's interface
  const def = main.find((r) => r.destination === '0.0.0.0/0' && (!r.type || r.type === 'unicast'));
  return [...out].map(([text, v]) => ({ text, value: v.value, primary: def ? (def.src ? def.src === text : v.dev === def.dev) : true }));
}

/** The kernel's walk of the rules (net/core/fib_rules.c, net/ipv4/fib_rules.c) for one unmarked packet. */
function walk(rules: IpRule[], tables: Map<string, Route[]>, complete: boolean, f: Flow): Decision {
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i];
    if (!matches(r, f)) continue;
    if (r.action === 'goto') {
      if (r.goto === undefined) continue;
      const j = rules.findIndex((x) => x.priority >= r.goto!);
      if (j < 0) break;
      i = j - 1;
      continue;
    }
    if (r.action === 'nop' || r.action === 'nat') continue;
    if (r.action !== 'lookup') return { kind: 'drop', rule: r };
    const t = r.table ?? 'main';
    const content = tables.get(t);
    if (content === undefined) {
      if (complete || t === 'local' || t === 'default') continue;
      if (t === 'main') return { kind: 'none' };
      // the caller decides: nm-cloud-setup's 30400+n table is known to hold the default route via the subnet's gateway (main.c)
      return { kind: 'unknown', rule: r, table: t };
    }
    const best = lookup(content, f.dst);
    if (!best) continue;
    const plen = parseCidr(best.destination)?.prefix ?? 0;
    if (r.suppressPrefixlength !== undefined && plen <= r.suppressPrefixlength) continue;
    if (best.type === 'throw') continue;
    if (best.type === 'blackhole' || best.type === 'unreachable' || best.type === 'prohibit') return { kind: 'drop', rule: r, table: t, route: best };
    if (t === 'main' && r.priority >= 32766) return { kind: 'none' };
    return { kind: 'route', rule: r, table: t, route: best };
  }
  return { kind: 'none' };
}

function matches(r: IpRule, f: Flow): boolean {
  // selectors an unspecified packet cannot be said to meet: taken as not matching
  if (r.uidrange || r.ipproto || r.sport || r.dport || r.l3mdev || r.tunId || r.oif || r.iifDetached) return false;
  if (r.tos && Number(r.tos) !== 0) return false;
  let m = true;
  if (r.from !== 'all') m &&= within(r.from, f.src);
  if (m && r.to) m &&= within(r.to, f.dst);
  if (m && r.iif) m &&= r.iif === f.iif;
  if (m && r.fwmark) {
    const fm = fwmarkOf(r);
    m &&= fm !== undefined && (fm.value & fm.mask) === 0;
  }
  return r.not ? !m : m;
}

function within(prefix: string, addr: bigint): boolean {
  const c = parseCidr(prefix);
  if (!c || c.family !== 4) return false;
  return cidrContains(c, { family: 4, network: addr, prefix: 32, text: '' });
}

/** Longest-prefix match of a destination among a table's IPv4 routes (local/broadcast entries included, the kernel's way). */
function lookup(routes: Route[], dst: bigint): Route | undefined {
  let best: Route | undefined;
  let bestLen = -1;
  let bestMetric = Infinity;
  for (const r of routes) {
    if (r.type === 'broadcast' || r.type === 'multicast' || r.type === 'anycast') continue;
    const c = parseCidr(r.destination);
    if (!c || c.family !== 4) continue;
    if (!cidrContains(c, { family: 4, network: dst, prefix: 32, text: '' })) continue;
    const metric = r.metric ?? 0;
    if (c.prefix > bestLen || (c.prefix === bestLen && metric < bestMetric)) {
      best = r;
      bestLen = c.prefix;
      bestMetric = metric;
    }
  }
  return best;
}

function ip4(v: bigint): string {
  const n = Number(v);
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** The highest free priority at or below `p` (a rule there is consulted before `p + 1`). */
function freePriority(rules: IpRule[], p: number): number | undefined {
  const used = new Set(rules.map((r) => r.priority));
  for (let q = p; q > 0; q--) if (!used.has(q)) return q;
  return undefined;
}

function list(xs: string[], max = 4): string {
  if (xs.length <= max) return xs.length > 1 ? `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}` : xs.join('');
  return `${xs.slice(0, max).join(', ')} and ${xs.length - max} more`;
}

export default defineAnalyzer({
  id: ID,
  title: 'Policy routing sends pod traffic past the main table',
  description: "An `ip rule` before main (priority < 32766), e.g. nm-cloud-setup's `from <node address> lookup 30400`, sends host ↔ pod or pod ↔ pod traffic to a table without the pod routes.",
  scope: 'node',
  requires: ['routes'],
  // without ip rule: only an enabled nm-cloud-setup (its units) is said, as a warning
  requiresOneOf: ['ipRules', 'services'],
  optional: ['ipRules', 'services', 'ipAddr'],
  analyze(input) {
    return analyzeRoutingPolicy(input.node, input.artifacts as RoutingPolicyArtifacts, input.partly, nodeForCommands(input).command);
  },
});
