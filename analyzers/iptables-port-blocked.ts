/**
 * iptables.port-blocked: a port the application needs is dropped or rejected between its
 * containers and the host (seed 002: a default-deny INPUT blocks 5432/6379/11211 on docker0).
 * Which ports are needed comes from the bundle: connection refused / timed out lines that a
 * container wrote (not the host's own daemons) naming its peer's TCP port, ports Docker publishes
 * (DNAT rules), services listening on a container network's gateway address (`ss -ltn`), and
 * --require-port. Each is traced from every container network:
 * to the address a log line names when it names one (one of the node's own addresses: the INPUT
 * path; any other: the FORWARD path, out of the interface its route says), else to the host's
 * address on that network. The blocking rule is named, and what a client sees of it (a DROP
 * times out, a REJECT with tcp-reset / port-unreachable is "connection refused", one with
 * icmp-host-prohibited is "no route to host") is checked against what the log says.
 */
import { defineAnalyzer } from '../src/engine/analyzer.js';
import type { Evidence } from '../src/report/schema.js';
import { findChain, matchOption, type Rule, type Ruleset } from '../src/netfilter/rules.js';
import { trace, type Packet, type Verdict } from '../src/netfilter/trace.js';
import { addressIn, parseIp } from '../src/parsers/cidr.js';
import { interfacesOf } from '../src/parsers/interfaces.js';
import { routeDevFor, ruleSpec } from './lib/container-host.js';
import { dockerBridges, liveIpv4, liveTables, localAddresses, nativeNftables, traceContext, uplinkOf } from './lib/node-view.js';
import { fromContainer, timeOf } from './lib/logs.js';

/** What a client prints when its connection meets a verdict. */
type Symptom = 'refused' | 'timeout' | 'unreachable';
const SYMPTOM_OF_SIGNATURE: Record<string, Symptom> = { 'log.connection-refused': 'refused', 'log.connection-timed-out': 'timeout', 'log.no-route-to-host': 'unreachable' };
const SAYS: Record<Symptom, string> = { refused: '"Connection refused"', timeout: 'a timeout', unreachable: '"No route to host"' };

/** DROP: no answer; REJECT tcp-reset / port-unreachable: ECONNREFUSED; the other ICMP errors (host-prohibited, admin-prohibited, net-/host-unreachable): EHOSTUNREACH / ENETUNREACH. */
export function symptomOf(v: Verdict): Symptom | undefined {
  if (v.kind === 'DROP') return 'timeout';
  if (v.kind !== 'REJECT') return undefined;
  return /tcp[- ]reset|port-unreach|proto(?:col)?-unreach/i.test(v.with) ? 'refused' : 'unreachable';
}

/** Why a port is needed, and where to when a log line names the peer. */
interface Need {
  why: Evidence;
  /** the IPv4 address the log line names (psql's "(10.20.30.40)", a host that is an address) */
  to?: string;
  /** what the client printed */
  symptom?: Symptom;
  /** the name the log line gives, when it is not an address */
  host?: string;
}

interface Blocked {
  from: string;
  bridge: string;
  dst: string;
  /** dst is the host's own address on the source bridge (the traditional container -> host path) */
  gateway: boolean;
  rule: Evidence;
  verdict: Verdict;
  text: string;
  chain: string;
  table: string;
  num: number;
  /** the rule's text in iptables-save form, when the dump gave it (to find it in a saved config) */
  spec?: string;
  /**
   * forwarded (dst not an address of this node): the peer's reply, traced back in from where the SYN
   * left to the bridge, is not accepted either (a final `-A FORWARD -j REJECT` catches it too), so
   * accepting the SYN alone still leaves the connection to time out
   */
  replyBlocked?: { table: string; chain: string; num: number; spec?: string };
  nft?: { family: string; table: string };
  /**
   * a DNAT on the way (a Service's ClusterIP, a published port) rewrote the destination before the
   * filter rules saw it: what they match, and so what an ACCEPT must name
   */
  via?: { dst: string; port: number };
}

/** The destination and port the filter rules see for a blocked connection (after any DNAT). */
function seenAs(b: Blocked, port: number): { dst?: string; port: number } {
  return b.via ? { dst: b.via.dst, port: b.via.port } : { dst: b.gateway ? undefined : b.dst, port };
}

export default defineAnalyzer({
  id: 'iptables.port-blocked',
  title: 'A port the application needs is blocked',
  description: 'A port named by the logs, published by Docker, served on a bridge address (ss -ltn) or required (--require-port) is dropped or rejected from a container network, by iptables or by a native nftables table (firewalld).',
  scope: 'node',
  requires: ['ipAddr'],
  optional: ['iptables', 'nftables', 'logs', 'sockets', 'dockerNetworks', 'routes', 'ipsets'],
  analyze({ node, artifacts, options }) {
    const tables = liveTables(artifacts);
    const nft = nativeNftables(artifacts);
    // nothing to walk: no live iptables filter table and no native nftables table
    if (!tables.get('filter') && nft.length === 0) return [];
    const itfs = interfacesOf(artifacts.ipAddr);
    const bridges = dockerBridges(artifacts);
    const sources = bridges.map((b) => ({ name: b.name, gateway: b.itf?.addresses.find((a) => a.family === 4), subnets: b.subnets.map((x) => x.cidr) }));
    const cni0 = itfs.get('cni0');
    if (cni0) {
      const gw = cni0.addresses.find((a) => a.family === 4);
      sources.push({ name: 'cni0', gateway: gw, subnets: cni0.addresses.filter((a) => a.family === 4).map((a) => a.network) });
    }
    const local = new Set(localAddresses(artifacts));
    // port -> the evidence that the application needs it
    const needs = new Map<number, Need[]>();
    const add = (port: number, need: Need) => {
      if (!Number.isInteger(port) || port < 1 || port > 65535) return;
      const list = needs.get(port) ?? needs.set(port, []).get(port)!;
      if (list.length < 4) list.push(need);
    };
    for (const p of options.requiredPorts) add(p, { why: { file: '(--require-port)', line: 0, excerpt: `port ${p} is an installation requirement`, note: 'required' } });
    // every connection log line taken as a need, with the port and destination it was traced as (the
    // lines a finding explains, for the correlation: not only the few quoted as evidence)
    const logLines: { ref: string; port: number; to: string; symptom: Symptom }[] = [];
    for (const log of artifacts.logs ?? [])
      for (const m of log.matches) {
        const symptom = SYMPTOM_OF_SIGNATURE[m.signature];
        if (!symptom || !m.facts.port || !fromContainer(m)) continue;
        // the trace walks TCP; a DNS lookup goes over UDP unless the line says otherwise
        if ((m.facts.protocol ?? (m.facts.lookup ? 'udp' : 'tcp')) !== 'tcp') continue;
        const named = [m.facts.address, m.facts.host].find((x) => x && parseIp(x)?.family === 4);
        const host = m.facts.host && m.facts.host !== named ? m.facts.host : undefined;
        // a container's localhost is its own network namespace, a host process's is lo: neither crosses a bridge
        if ((named && addressIn(named, '127.0.0.0/8')) || (!named && host && /^(localhost|ip6-localhost)$/i.test(host))) continue;
        const port = Number(m.facts.port);
        if (Number.isInteger(port) && port >= 1 && port <= 65535) logLines.push({ ref: `${m.file}:${m.line}`, port, to: named ?? '', symptom });
        const peer = `${m.facts.host ?? ''}${m.facts.address && m.facts.address !== m.facts.host ? ` (${m.facts.address})` : ''}`;
        add(port, {
          why: { file: m.file, line: m.line, excerpt: m.excerpt, ...timeOf(m), note: `the application could not reach ${peer ? peer + ':' : 'port '}${m.facts.port}` },
          to: named,
          host,
          symptom,
        });
      }
    // Docker's published ports: DNAT rules of its nat DOCKER chain (kube-proxy's KUBE-SEP DNATs are not ports the host serves)
    for (const rs of liveIpv4(artifacts))
      for (const r of findChain(rs, 'nat', 'DOCKER')?.rules ?? [])
        if (r.target === 'DNAT') {
          const dport = matchOption(r, 'tcp', 'dport')?.value;
          if (dport && /^\d+$/.test(dport)) add(Number(dport), { why: { file: r.ref.file, line: r.ref.line, excerpt: r.text, note: `Docker publishes port ${dport}` } });
        }
    // A service bound to a container network's own gateway address is there for the containers
    // (postgres on 172.17.0.1:5432). Wildcard listeners (sshd on 0.0.0.0:22) say nothing of what
    // the containers need: they only corroborate a port named by something else.
    const listening = (artifacts.sockets ?? []).flatMap((s) => s.sockets);
    for (const l of listening) {
      if (l.proto !== 'tcp') continue;
      const s = sources.find((x) => x.gateway?.address === l.address);
      if (s) add(l.port, { why: { file: l.ref.file, line: l.ref.line, excerpt: l.excerpt, note: `${l.process ?? 'a process'} listens on ${l.address}:${l.port}, the address of ${s.name}: it serves the containers` } });
    }
    if (needs.size === 0) return [];

    // where a packet to a remote address leaves: a bridge that holds it, its route, or the uplink
    const uplink = uplinkOf(artifacts);
    const outFor = (dst: string) => sources.find((s) => s.subnets.some((n) => addressIn(dst, n)))?.name ?? routeDevFor(artifacts, dst) ?? uplink;
    const savedConfigs = (artifacts.iptables ?? []).filter((r) => r.origin === 'saved-config' && r.family !== 'ipv6');

    // native nftables tables (firewalld's, Docker's own) are walked with iptables' chains, hook by hook in priority order
    const ctx = traceContext(artifacts);
    const findings = [];
    for (const [port, all] of [...needs].sort((a, b) => a[0] - b[0])) {
      // the destinations to trace: each address a log names, and the host's address on each bridge
      // for every other reason (and for a log line that names a peer by a name the bundle cannot resolve)
      const byDst = new Map<string, Need[]>();
      for (const n of all) {
        const k = n.to ?? '';
        byDst.set(k, [...(byDst.get(k) ?? []), n]);
      }
      const blocked: Blocked[] = [];
      const dnatSteps: Evidence[] = [];
      const explained: Need[] = [];
      const blockedTo = new Set<string>();
      for (const [to, why] of byDst) {
        // a log naming a bridge's own address was written by a container on that bridge
        const own = to ? sources.filter((s) => s.gateway?.address === to) : [];
        let hit = false;
        for (const s of own.length > 0 ? own : sources) {
          if (!s.gateway) continue;
          const dst = to || s.gateway.address;
          const isLocal = local.has(dst);
          const src = s.gateway.address.replace(/\.(\d+)$/, (_, d: string) => `.${Math.min(254, Number(d) + 1)}`);
          const packet: Packet = { src, dst, protocol: 'tcp', dport: port, sport: 40000, inInterface: s.name, state: 'new', mark: 0 };
          if (!isLocal) packet.outInterface = outFor(dst);
          const r = trace(tables, isLocal ? 'input' : 'forward', packet, ctx);
          if ((r.verdict.kind !== 'DROP' && r.verdict.kind !== 'REJECT') || !r.decidedBy) continue;
          hit = true;
          const d = r.decidedBy;
          // a DNAT on the way (kube-proxy's Service rules): the filter rules saw the rewritten destination
          const dnat = r.steps.find((x) => x.action === 'dnat');
          const via = dnat && r.packet.dport !== undefined && (r.packet.dst !== dst || r.packet.dport !== port) ? { dst: r.packet.dst, port: r.packet.dport } : undefined;
          const what = `${r.verdict.kind === 'REJECT' ? 'rejects' : 'drops'} ${s.name} -> ${dst}:${port}${via ? ` (after a DNAT to ${via.dst}:${via.port})` : ''}`;
          if (dnat && via) dnatSteps.push({ file: dnat.file, line: dnat.line, excerpt: dnat.text, note: `${dnat.table}/${dnat.chain} rule ${dnat.num} rewrites ${dst}:${port} to ${via.dst}:${via.port}${local.has(via.dst) ? ', an address of this node' : ''}: the filter rules see that` });
          // the reply of a forwarded connection comes back in where the SYN left and out to the bridge
          // (traced as addressed to the container: a masquerade's reply is restored to it before filter)
          const back = isLocal ? undefined : trace(tables, 'forward', { src: dst, dst: src, protocol: 'tcp', sport: port, dport: 40000, inInterface: packet.outInterface, outInterface: s.name, state: 'established', mark: 0 }, ctx);
          const rd = back?.decidedBy;
          // where the reply is stopped (an iptables rule or policy; else where the SYN is, at the top of its chain)
          const replyBlocked =
            !back || back.verdict.kind === 'ACCEPT'
              ? undefined
              : rd && !rd.nft && (rd.table === 'filter' || rd.table === 'mangle')
                ? { table: rd.table, chain: rd.chain, num: rd.num, spec: specOf(tables.get(rd.table)?.get(rd.chain)?.rules[rd.num - 1], rd.num) }
                : { table: d.table, chain: d.chain, num: 0 };
          const base = { from: `${s.gateway.network} (${s.name})`, bridge: s.name, dst, gateway: dst === s.gateway.address, verdict: r.verdict, text: d.text, table: d.table, num: d.num, ...(replyBlocked !== undefined ? { replyBlocked } : {}), ...(via ? { via } : {}) };
          if (d.nft) {
            blocked.push({
              ...base,
              rule: { file: d.file, line: d.line, excerpt: d.text, note: `nftables ${d.nft.family} ${d.nft.table} chain ${d.chain} ${d.num === 0 ? 'policy' : `rule ${d.num}`} ${what}${tables.get('filter') ? ' (iptables-save does not show it)' : ''}` },
              chain: `${d.nft.family} ${d.nft.table} ${d.chain}`,
              nft: d.nft,
            });
            continue;
          }
          blocked.push({
            ...base,
            rule: { file: d.file, line: d.line, excerpt: d.num === 0 ? `:${d.chain} ${d.text.replace('policy ', '')}` : d.text, note: `${d.table}/${d.chain} ${d.num === 0 ? 'policy' : `rule ${d.num}`} ${what}` },
            chain: d.chain,
            spec: specOf(tables.get(d.table)?.get(d.chain)?.rules[d.num - 1], d.num),
          });
        }
        if (hit) {
          explained.push(...why);
          blockedTo.add(to);
        }
      }
      if (blocked.length === 0) continue;
      const first = blocked[0];
      const seen = symptomOf(first.verdict)!;
      // log lines whose symptom this verdict cannot produce: kept as evidence of the need, not of the cause
      const mismatched = explained.filter((n) => n.symptom && n.symptom !== seen);
      // the log lines about this port and a destination found blocked: the only ones the correlation may fold in
      const about = logLines.filter((l) => l.port === port && blockedTo.has(l.to));
      const unexplainedLines = [...new Set(about.filter((l) => l.symptom !== seen).map((l) => l.ref))];
      const explainedLines = [...new Set(about.map((l) => l.ref))].filter((r) => !unexplainedLines.includes(r));
      const why = explained.map((n) => {
        let note = n.why.note ?? '';
        if (n.host && !n.to) note += ` (${n.host}: no address in the bundle; traced to the host's address on each container network)`;
        if (mismatched.includes(n)) note += `; it says ${SAYS[n.symptom!]}, but the rule that blocks the port gives ${SAYS[seen]}: this line is not explained by it`;
        return note === n.why.note ? n.why : { ...n.why, note };
      });
      const listen = listening.find((l) => l.port === port && l.proto === 'tcp');
      const evidence: Evidence[] = [...dedupe([...blocked.map((b) => b.rule), ...dnatSteps]), ...why];
      if (listen && !why.some((w) => w.file === listen.ref.file && w.line === listen.ref.line)) evidence.push({ file: listen.ref.file, line: listen.ref.line, excerpt: listen.excerpt, note: `${listen.process ?? 'a process'} listens on ${listen.address}:${port}` });
      const verdictText = first.verdict.kind === 'REJECT' ? `rejected (${first.verdict.with})` : 'dropped';
      const remote = [...new Set(blocked.filter((b) => !b.gateway).map((b) => b.dst))];
      const toHost = blocked.every((b) => b.gateway);
      const rewritten = (a: string) => blocked.find((b) => b.dst === a && b.via)?.via;
      const named = remote.map((a) => {
        const v = rewritten(a);
        return v ? `${a} (a DNAT rewrites it to ${v.dst}:${v.port}${local.has(v.dst) ? ', an address of this node' : ''})` : a;
      });
      const anyVia = remote.some((a) => rewritten(a));
      const where = toHost
        ? ''
        : ` to ${blocked.some((b) => b.gateway) ? 'the bridge address and to ' : ''}${named.join(', ')}${anyVia ? '' : remote.every((a) => local.has(a)) ? ' (an address of this node)' : remote.some((a) => local.has(a)) ? '' : ' (forwarded: not an address of this node)'}`;
      const by = first.nft
        ? `nftables ${first.chain} ${first.num === 0 ? 'policy' : `rule ${first.num}`} (iptables-save does not show it)`
        : first.num === 0
          ? `the ${first.chain} policy`
          : `${first.chain} rule ${first.num}`;
      const client = `Containers that connect to ${toHost ? 'the host' : `${blocked.some((b) => b.gateway) ? 'the host or ' : ''}${remote.join(', ')}`} on this port get ${SAYS[seen]}${seen === 'timeout' ? ' ("Port Timeout", "Error waiting for ports to enter listening state")' : ''}.`;
      const caveat =
        mismatched.length > 0
          ? ` The log${mismatched.length > 1 ? 's' : ''} say${mismatched.length > 1 ? '' : 's'} ${[...new Set(mismatched.map((n) => SAYS[n.symptom!]))].join(' / ')} (${mismatched.map((n) => `${n.why.file}:${n.why.line}`).join(', ')}), which this ${first.verdict.kind === 'REJECT' ? `REJECT (${first.verdict.with})` : 'DROP'} does not produce: ${mismatched.some((n) => n.symptom === 'refused') ? 'a refusal comes from the peer (nothing listening there) or from a REJECT with tcp-reset / port-unreachable, ' : ''}so ${mismatched.length > 1 ? 'those lines were' : 'that line was'} written on another path or before the rules changed; the block is real, but it is not what the log shows.`
          : '';
      findings.push({
        severity: 'critical' as const,
        title: 'A port the application needs is blocked',
        message: `On ${node}, TCP port ${port}${where} is ${verdictText} from ${[...new Set(blocked.map((b) => b.from))].join(', ')} by ${by}. ${client}${caveat}`,
        impact: toHost
          ? `Anything in the containers that needs port ${port} on the host (databases, caches, the app's own services) cannot connect.`
          : `Anything in the containers that needs ${remote.map((a) => `${a}:${port}`).join(', ')} cannot connect.`,
        evidence,
        facts: {
          port,
          protocol: 'tcp',
          from: [...new Set(blocked.map((b) => b.from))],
          to: [...new Set(blocked.map((b) => b.dst))],
          ...(blocked.some((b) => b.via) ? { dnatTo: [...new Set(blocked.filter((b) => b.via).map((b) => `${b.via!.dst}:${b.via!.port}`))] } : {}),
          blockedBy: blocked.map((b) => `${b.chain}#${b.num}`),
          clientSees: seen,
          explainsLogLines: explainedLines,
          ...(unexplainedLines.length > 0 ? { logSymptomMismatch: unexplainedLines } : {}),
        },
        remedy: remedyFor(blocked, port, savedConfigs),
      });
    }
    return findings;
  },
});

function remedyFor(blocked: Blocked[], port: number, savedConfigs: Ruleset[]) {
  const first = blocked[0];
  const bridges = [...new Set(blocked.map((b) => b.bridge))];
  if (first.nft && first.nft.table !== 'firewalld') {
    const cmds = [...new Map(blocked.map((b) => [`${b.chain}|${b.num}|${b.bridge}|${seenAs(b, port).dst ?? ''}`, b])).values()];
    return {
      summary: `The nftables table ${first.nft.family} ${first.nft.table} blocks it, not iptables: allow exactly this traffic ahead of the blocking rule in that chain, and persist it in the nftables configuration the service loads at boot.`,
      commands: [
        ...cmds.map((b) => {
          const to = seenAs(b, port);
          return `nft insert rule ${b.chain} ${b.num > 0 ? `position <handle of rule ${b.num}> ` : ''}iifname "${b.bridge}" ${to.dst ? `ip daddr ${to.dst} ` : ''}tcp dport ${to.port} accept`;
        }),
        '# persist: add the same rule to /etc/nftables.conf (Debian/Ubuntu) or /etc/sysconfig/nftables.conf (RHEL), then: nft -f <that file>',
      ],
      caution: 'nft insert needs the handle of the blocking rule (nft -a list chain ...); without a position it goes first in the chain.',
    };
  }
  if (first.nft)
    return {
      summary: `firewalld (or another nftables table) blocks it, not iptables: put ${bridges.join(', ')} in a zone that accepts its traffic, or open the port in its zone.`,
      commands: [...bridges.map((b) => `firewall-cmd --permanent --zone=trusted --add-interface=${b}`), `# or: firewall-cmd --permanent --zone=<zone of the bridge> --add-port=${seenAs(first, port).port}/tcp`, 'firewall-cmd --reload', "systemctl restart docker   # a firewalld reload removes Docker's rules"],
      caution: 'Restarting docker restarts every container on the node.',
    };
  // one ACCEPT per bridge and destination, ahead of the rule (or in the chain whose policy) that blocks it
  // what the filter rules see: after a DNAT (a Service), the rewritten destination and port
  const conns = [...new Map(blocked.map((b) => [`${b.table}|${b.chain}|${b.bridge}|${seenAs(b, port).dst ?? ''}|${seenAs(b, port).port}`, b])).values()].map((b) => {
    const to = seenAs(b, port);
    return { b, spec: `-i ${b.bridge}${to.dst ? ` -d ${to.dst}/32` : ''} -p tcp -m tcp --dport ${to.port} -j ACCEPT`, reply: false };
  });
  // a forwarded connection whose reply the rules block too: the replies to the bridge's connections, once per chain and bridge (what Docker adds itself)
  const replies = [...new Map(blocked.filter((b) => b.replyBlocked).map((b) => [`${b.replyBlocked!.table}|${b.replyBlocked!.chain}|${b.bridge}`, b])).values()].map((b) => ({
    b: { ...b, ...b.replyBlocked! },
    spec: `-o ${b.bridge} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
    reply: true,
  }));
  const rules = [...conns, ...replies];
  const t = (b: Blocked) => (b.table === 'filter' ? '' : `-t ${b.table} `);
  const persist: string[] = [];
  for (const { b, spec } of rules) {
    const line = `-A ${b.chain} ${spec}`;
    // the blocking rule is in a saved configuration of the bundle: insert the one line above it there
    const saved = b.spec ? savedConfigs.find((rs) => Object.values(rs.tables[b.table]?.chains ?? {}).some((c) => c.rules.some((r) => r.text === b.spec))) : undefined;
    if (saved && b.spec) persist.push(`sed -i '${sedAddress(b.spec)}i ${line}' ${/(?:^|\/)(etc\/.+)$/.exec(saved.file)?.[1].replace(/^/, '/') ?? '/etc/sysconfig/iptables'}`);
    else persist.push(`#   ${line}${b.num > 0 ? `   (above the line ${b.spec ? `"${b.spec}"` : `of ${b.chain} rule ${b.num}`})` : ` (in the *${b.table} section, before COMMIT)`}`);
  }
  const bySaved = persist.every((p) => p.startsWith('sed '));
  return {
    summary:
      'Allow exactly this traffic ahead of the blocking rule, and persist that one rule where the firewall keeps its configuration, so a restart does not bring the block back; do not save the live rules over that configuration: they hold Docker\'s chains, which iptables.service would then restore stale at boot (see iptables.service-conflict).',
    commands: [
      ...rules.map(({ b, spec, reply }) => `iptables ${t(b)}-I ${b.chain} ${b.num > 0 ? b.num : 1} ${spec.replace(' -m tcp', '')}${reply ? `   # the replies to ${b.bridge}'s connections: the rule that blocks the port blocks them on their way back too` : ''}`),
      bySaved
        ? `# persist: add only ${rules.length > 1 ? 'these rules' : 'this rule'} to the saved configuration the firewall service restores at boot, above the rule that blocks it:`
        : `# persist: edit the saved configuration by hand (/etc/sysconfig/iptables for iptables.service, /etc/iptables/rules.v4 for netfilter-persistent) and add only ${rules.length > 1 ? 'these lines' : 'this line'}:`,
      ...persist,
      '# or, with firewalld: the same at runtime and permanently (no reload, which would remove Docker\'s rules):',
      ...[...new Map(blocked.map((b) => [`${b.from}|${seenAs(b, port).dst ?? ''}|${seenAs(b, port).port}`, b])).values()].flatMap((b) => {
        const to = seenAs(b, port);
        const rich = `'rule family="ipv4" source address="${b.from.split(' ')[0]}"${to.dst ? ` destination address="${to.dst}"` : ''} port port="${to.port}" protocol="tcp" accept'`;
        return [`firewall-cmd --add-rich-rule=${rich} && firewall-cmd --permanent --add-rich-rule=${rich}`];
      }),
    ],
    caution: 'Do not save the live rules into the boot configuration on a container host (iptables-save into /etc/sysconfig/iptables, service iptables save, netfilter-persistent save): that writes Docker\'s and Kubernetes\' chains into it, restored stale at every boot (seed 000). With firewalld, a firewall-cmd --reload removes Docker\'s rules: restart docker after one (restarts every container).',
  };
}

/** The blocking rule as iptables-save writes it (`-A CHAIN ...`), when it is a rule and the dump lets it be rebuilt. */
function specOf(rule: Rule | undefined, num: number): string | undefined {
  if (!rule || num === 0 || rule.num !== num) return undefined;
  const spec = ruleSpec(rule);
  return spec ? `-A ${rule.chain} ${spec}` : undefined;
}

/** A sed address matching exactly this line. */
function sedAddress(line: string): string {
  return `/^${line.replace(/[\\/.*[\]^$]/g, (c) => `\\${c}`)}$/`;
}

function dedupe(e: Evidence[]): Evidence[] {
  const seen = new Set<string>();
  return e.filter((x) => {
    const k = `${x.file}:${x.line}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
