/**
 * How log.dns-lookup-failed is worded for a node (analyzers/log-signatures.ts): what each resolver asked is (Docker's
 * embedded DNS, systemd-resolved's stub, kube-dns where the bundle shows Kubernetes, the host's own nameserver), what
 * each kind of failure means, and which failures are history (logged at boot before the network came online, or
 * the same name answered later). The signature and its facts are src/logs/signatures-dns.ts'; this is the analysis.
 */
import { dnsLookupKind, type DnsLookupKind } from '../../src/logs/signatures-dns.js';


/** What a resolver address is, by the addresses the runtimes give their DNS. */
export type ResolverRole = 'docker-embedded' | 'systemd-resolved' | 'kube-dns' | 'host-nameserver' | 'user-mode-nat' | 'other';

/**
 * H91: what the bundle shows around the lines, for telling resolvers apart. Without it (undefined) an address is judged
 * alone, as before; with it, kube-dns's usual ClusterIPs are the cluster's DNS only where the bundle shows Kubernetes
 * (10.100.0.10 is as often a corporate resolver), and an address the host's own resolv.conf lists is the host's nameserver.
 */
export interface ResolverContext {
  /** the bundle shows Kubernetes on this node (its units, kube-proxy's chains, kubelet's or pods' lines) */
  kubernetes: boolean;
  /** nameservers of the host's own resolv.conf (not a container's), with the file that lists them */
  hostNameservers?: readonly { address: string; file: string; line: number }[];
}

/** Cluster DNS ClusterIPs as the distributions hand them out: kubeadm, k3s/RKE2, MicroK8s, EKS. */
const KUBE_DNS_IPS = new Set(['10.96.0.10', '10.43.0.10', '10.152.183.10', '172.20.0.10', '10.100.0.10']);

export function resolverRole(host: string | undefined, context?: ResolverContext): ResolverRole {
  if (host === undefined) return 'other';
  if (host === '127.0.0.11') return 'docker-embedded';
  if (host === '127.0.0.53') return 'systemd-resolved';
  if (host === '10.0.2.3') return 'user-mode-nat';
  if (context?.hostNameservers?.some((n) => n.address === host)) return 'host-nameserver';
  if (KUBE_DNS_IPS.has(host) && (context === undefined || context.kubernetes)) return 'kube-dns';
  return 'other';
}

const ROLE_SAID: Record<Exclude<ResolverRole, 'other' | 'user-mode-nat' | 'host-nameserver'>, { said: string; commands: string[] }> = {
  'docker-embedded': {
    said: "127.0.0.11 is Docker's embedded DNS, which containers on user-defined networks (and Compose projects) ask: it answers container and service names itself and forwards every other name to the nameservers of the host's resolv.conf, asking them from the host's own network namespace. A name it does not know is a container or service that is not on the same network (or not running); a timeout or SERVFAIL there is the host's own nameservers not answering dockerd.",
    commands: [
      "grep '^nameserver' /etc/resolv.conf   # on the host: the servers dockerd's embedded DNS forwards to",
      'getent hosts <name>   # on the host: do those servers answer?',
      'docker network inspect <network> --format "{{range .Containers}}{{.Name}} {{end}}"   # for a container or service name: is it on the same network?',
    ],
  },
  'systemd-resolved': {
    said: "127.0.0.53 is systemd-resolved's local stub: the lookup went to the host's upstream DNS servers that resolvectl status lists; a timeout or SERVFAIL there is those upstream servers (or the link to them), not the stub.",
    commands: ['resolvectl status   # the upstream DNS servers per link, and the current one', 'resolvectl query <name>   # through the same stub'],
  },
  'kube-dns': {
    said: "That address is the cluster's DNS Service (kube-dns, served by CoreDNS): the lookup goes through kube-proxy's rules to the CoreDNS pods. A timeout there is CoreDNS not running or not reached (kube-proxy's Service rules, the CNI between the nodes); SERVFAIL is CoreDNS' own upstream (what its Corefile forwards to); NXDOMAIN is the name (a Service name in another namespace needs <service>.<namespace>).",
    commands: [
      'kubectl -n kube-system get pods -l k8s-app=kube-dns -o wide   # CoreDNS running, and on which nodes',
      'kubectl -n kube-system logs -l k8s-app=kube-dns --tail=50',
      'kubectl -n kube-system get endpoints kube-dns   # the pods behind the Service',
      'kubectl -n kube-system get pods -l k8s-app=kube-proxy -o wide   # kube-proxy programs the Service address on each node',
    ],
  },
};

const KIND_SAID: Record<DnsLookupKind, string> = {
  timeout: 'timed out (the resolver did not answer: a firewall rule or route between, or the resolver is down)',
  refused: 'were refused (nothing listens on port 53 at that address)',
  rejected: "got REFUSED (the resolver answered and declined by policy: recursion not offered to this client, or an ACL such as BIND's allow-query / allow-recursion; a DNS server in a container sees queries from the Docker host itself arrive from Docker's gateway through docker-proxy, an address an ACL written for the LAN does not allow)",
  servfail: 'got SERVFAIL / "server misbehaving" (the resolver answered but could not resolve the name upstream)',
  nxdomain: 'got NXDOMAIN / "no such host" (the name does not exist as asked: a wrong name, service name or search domain; not a network block)',
  temporary: 'failed temporarily (EAI_AGAIN: no resolver answered in time)',
  unresolved: 'could not be resolved (the client does not say why)',
};

export interface DnsLookupWording {
  /** info where every line is a name that does not exist; else warning */
  severity: 'warning' | 'info';
  /** sentences to add to the finding's message */
  message: string;
  commands: string[];
  kinds: DnsLookupKind[];
  resolvers: string[];
}

/** Names Docker Desktop resolves itself (its VM's DNS), which Docker Engine on Linux does not define. */
const DESKTOP_NAMES = /^(?:host|gateway)\.docker\.internal$|^kubernetes\.docker\.internal$/i;

/**
 * What the lines say, by kind and by resolver: the sentences and checks log-signatures.ts adds to the finding.
 * 10.0.2.3 gets no sentence: user-mode-nat.ts words the user-mode NATs' forwarder.
 */
export function dnsLookupWording(matches: readonly { facts: Record<string, string> }[], context?: ResolverContext & { past?: boolean }): DnsLookupWording {
  const byKind = new Map<DnsLookupKind, Set<string>>();
  const resolvers: string[] = [];
  const roles = new Set<ResolverRole>();
  const upstream = new Set<string>();
  // H91: the host's own nameservers asked, with the names asked of each
  const hostAsked = new Map<string, Set<string>>();
  for (const m of matches) {
    const kind = dnsLookupKind(m.facts);
    if (kind === undefined) continue;
    const names = byKind.get(kind) ?? new Set<string>();
    if (m.facts.lookup) names.add(m.facts.lookup);
    byKind.set(kind, names);
    const host = m.facts.host;
    if (host !== undefined) {
      const at = `${host}:${m.facts.port ?? '53'}`;
      if (!resolvers.includes(at)) resolvers.push(at);
      // CoreDNS / dockerd asking upstream: the address is their upstream, not the client's resolver
      if (m.facts.reporter) upstream.add(m.facts.reporter);
      else {
        const role = resolverRole(host, context);
        roles.add(role);
        if (role === 'host-nameserver') {
          const names = hostAsked.get(host) ?? new Set<string>();
          if (m.facts.lookup) names.add(m.facts.lookup);
          hostAsked.set(host, names);
        }
      }
    }
  }
  const kinds = [...byKind.keys()];
  const parts = kinds.map((k) => {
    const names = [...byKind.get(k)!].slice(0, 3);
    return `lookups${names.length ? ` of ${names.join(', ')}` : ''} ${KIND_SAID[k]}`;
  });
  const sentences: string[] = [];
  if (parts.length) sentences.push(`By the errors: ${parts.join('; ')}.`);
  if (resolvers.length) sentences.push(`Resolvers asked: ${resolvers.slice(0, 5).join(', ')}.`);
  const commands: string[] = [];
  for (const role of ['docker-embedded', 'systemd-resolved', 'kube-dns'] as const)
    if (roles.has(role)) {
      sentences.push(ROLE_SAID[role].said);
      commands.push(...ROLE_SAID[role].commands);
    }
  if (hostAsked.size > 0) {
    const addrs = [...hostAsked.keys()];
    const files = [...new Set(addrs.map((a) => context!.hostNameservers!.find((n) => n.address === a)!.file))];
    sentences.push(
      `${addrs.join(', ')} ${addrs.length > 1 ? 'are nameservers' : 'is the nameserver'} of the host's own resolv.conf (${files.join(', ')}): the host's DNS server (a corporate or provider resolver), not a cluster's. A timeout there is that server or the path to it (a firewall rule, a VPN, a route); SERVFAIL is that server's own upstream.`,
    );
    for (const [addr, names] of hostAsked) {
      const name = [...names][0]?.replace(/\.$/, '') ?? '<name>';
      commands.push(`dig @${addr} ${name}   # on the host: does the host's nameserver answer?`, `getent hosts ${name}   # on the host: through the host's resolver configuration`);
    }
  }
  if (upstream.has('plugin/errors'))
    sentences.push(
      `Lines of CoreDNS' errors plugin are CoreDNS asking its upstream (the address in the line, from the Corefile's forward, by default the node's resolv.conf): the pods' lookups of outside names ${context?.past ? 'failed' : 'fail'} with them.`,
    );
  if (upstream.has('[resolver]'))
    sentences.push("dockerd's [resolver] lines are Docker's embedded DNS (127.0.0.11) asking the host's nameservers for a container: those servers did not answer dockerd.");
  // Docker Desktop's names: Docker Engine on Linux defines none of them, so they go out to the host's resolvers (R27 04, moby/moby#48266)
  const desktopNames = [...new Set(matches.map((m) => m.facts.lookup?.replace(/\.$/, '')).filter((n): n is string => !!n && DESKTOP_NAMES.test(n)))];
  if (desktopNames.length) {
    sentences.push(`${desktopNames.join(', ')} ${desktopNames.length > 1 ? 'are names' : 'is a name'} Docker Desktop defines; Docker Engine on Linux does not, so the lookup goes to the host's resolvers and fails there: give the container the name with --add-host=host.docker.internal:host-gateway (compose: extra_hosts: ["host.docker.internal:host-gateway"]).`);
    commands.push('docker run --add-host=host.docker.internal:host-gateway ...   # Docker 20.10+: the host\'s address on the default bridge');
  }
  const severity = kinds.length > 0 && kinds.every((k) => k === 'nxdomain') ? 'info' : 'warning';
  if (severity === 'info') sentences.push('Every line is a name that does not exist as asked: no firewall or network change helps; correct the name or the search domains.');
  return { severity, message: sentences.join(' '), commands, kinds, resolvers };
}

// ---- H91: failures that are history: logged at boot before the network was online, or the same name answered later ----

/** What dnsLookupPast reads of a log match. */
export interface TimedLine {
  signature?: string;
  file: string;
  line: number;
  excerpt: string;
  facts: Record<string, string>;
  timestamp?: { epochMs: number; iso: string; yearInferred?: true };
}

/** How long after a failure the network-online line of the same boot may come (a boot's services start within it). */
export const BOOT_ONLINE_WINDOW_MS = 5 * 60 * 1000;

export interface DnsLookupPast {
  /** every failure is history: logged at boot before the network was online, or its name answered later */
  all: boolean;
  /** per failure: why it is history (undefined: it is not) */
  why: ('boot' | 'answered' | undefined)[];
  /** the network-online lines that came after boot failures, first first */
  online: TimedLine[];
  /** the later answers, one per name, first first */
  answered: TimedLine[];
  /** sentences for the finding: when, and why it is history */
  message: string;
  title?: string;
}

const clock = (iso: string): string => iso.slice(11, 19);
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** the day of a time: its date, or month and day where the log wrote no year (the year is a guess) */
const dayOf = (t: { iso: string; yearInferred?: true }): string => (t.yearInferred ? `${MONTHS[Number(t.iso.slice(5, 7)) - 1]} ${Number(t.iso.slice(8, 10))}` : t.iso.slice(0, 10));
const nameOf = (n: string | undefined): string | undefined => n?.replace(/\.$/, '').toLowerCase() || undefined;

/**
 * H91 (R28 11, 12): which failed lookups are over, by what the same logs say after them.
 * - At boot: the failure is followed, in the same log and within BOOT_ONLINE_WINDOW_MS, by the network coming online
 *   (log.network-online: systemd's network-online.target, NetworkManager's CONNECTED_GLOBAL): ntpd, dnf, a client
 *   started before the network was up.
 * - Answered later: a lookup of the same name answered after it (log.coredns-query-answered: CoreDNS' log plugin NOERROR).
 * Lines without a time are never history. `complete` false (lines past the scanner's cap, unseen) keeps them current:
 * a later failure may be among the unseen ones.
 */
export function dnsLookupPast(failures: readonly TimedLine[], answers: readonly TimedLine[], online: readonly TimedLine[], complete: boolean): DnsLookupPast {
  const onlineUsed: TimedLine[] = [];
  const answerUsed = new Map<string, TimedLine>();
  const why = failures.map((f): 'boot' | 'answered' | undefined => {
    const t = f.timestamp?.epochMs;
    if (t === undefined) return undefined;
    const name = nameOf(f.facts.lookup);
    if (name !== undefined) {
      const a = answers.find((x) => x.timestamp !== undefined && x.timestamp.epochMs > t && nameOf(x.facts.lookup) === name);
      if (a) {
        if (!answerUsed.has(name)) answerUsed.set(name, a);
        return 'answered';
      }
    }
    const os = online.filter((x) => x.file === f.file && x.timestamp !== undefined && x.timestamp.epochMs >= t && x.timestamp.epochMs - t <= BOOT_ONLINE_WINDOW_MS);
    if (os.length > 0) {
      for (const o of os) if (!onlineUsed.includes(o)) onlineUsed.push(o);
      return 'boot';
    }
    return undefined;
  });
  const all = complete && failures.length > 0 && why.every((w) => w !== undefined);
  const answered = [...answerUsed.values()];
  if (!all) {
    // some are history: say which, the rest stay the finding
    const pastNames = answered.map((a) => a.facts.lookup!.replace(/\.$/, ''));
    const message = pastNames.length > 0 ? `Lookups of ${pastNames.slice(0, 3).join(', ')} were answered later in the same logs; the other failures are not followed by an answer.` : '';
    return { all, why, online: onlineUsed, answered, message };
  }
  const timed = failures.filter((f) => f.timestamp).sort((a, b) => a.timestamp!.epochMs - b.timestamp!.epochMs);
  const firstT = timed[0].timestamp!;
  const lastT = timed[timed.length - 1].timestamp!;
  const first = firstT.iso;
  const last = lastT.iso;
  const day = (iso: string): string => dayOf(iso === first ? firstT : iso === last ? lastT : { iso, ...(firstT.yearInferred ? { yearInferred: true as const } : {}) });
  const kinds = new Set(failures.map((f) => dnsLookupKind(f.facts)));
  const upstream = failures.every((f) => f.facts.reporter === 'plugin/errors');
  const n = failures.length;
  const noun = kinds.size === 1 && kinds.has('timeout') ? `timeout${n > 1 ? 's' : ''}` : `failed lookup${n > 1 ? 's' : ''}`;
  const when = first === last ? `on ${day(first)} at ${clock(first)}` : day(first) === day(last) ? `on ${day(first)} from ${clock(first)} to ${clock(last)}` : `from ${day(first)} ${clock(first)} to ${day(last)} ${clock(last)}`;
  const parts: string[] = [`${n} ${upstream ? 'upstream ' : ''}${noun} ${when}, none since.`];
  // systemd's network-online.target is reached once per boot; NetworkManager's CONNECTED_GLOBAL also after a link or VPN
  // came back: with only that, the failures came while the network was down, not necessarily at boot
  const atBoot = onlineUsed.some((o) => o.facts.marker !== 'CONNECTED_GLOBAL');
  if (why.includes('boot')) {
    const times = onlineUsed.map((o) => `${clock(o.timestamp!.iso)}, ${onlineMarker(o.facts)}`);
    parts.push(
      atBoot
        ? `${why.every((w) => w === 'boot') ? 'All of them came' : 'Some came'} during boot, before the network was online (${times.slice(0, 3).join('; ')}): clients started before the network was up (ntpd, dnf, a unit not ordered after network-online.target) and retried once it was.`
        : `${why.every((w) => w === 'boot') ? 'All of them came' : 'Some came'} before the network was online (${times.slice(0, 3).join('; ')}): at boot or while the link was down.`,
    );
  }
  if (answered.length > 0)
    parts.push(`Later lookups of the same name${answered.length > 1 ? 's' : ''} succeeded: ${answered.slice(0, 3).map((a) => `${a.facts.lookup!.replace(/\.$/, '')} answered ${a.facts.rcode ?? 'NOERROR'} ${day(a.timestamp!.iso) === day(last) ? 'at' : 'on'} ${day(a.timestamp!.iso) === day(last) ? clock(a.timestamp!.iso) : `${day(a.timestamp!.iso)} ${clock(a.timestamp!.iso)}`}`).join('; ')}.`);
  parts.push('Nothing to fix now; it matters if it comes back.');
  const title = why.every((w) => w === 'boot')
    ? atBoot
      ? 'DNS lookups failed during boot, before the network was online'
      : 'DNS lookups failed before the network was online'
    : why.every((w) => w === 'answered')
      ? 'DNS lookups failed earlier; the same names resolved later'
      : 'DNS lookups failed earlier (at boot, or before the same names resolved)';
  return { all, why, online: onlineUsed, answered, message: parts.join(' '), title };
}

function onlineMarker(facts: Record<string, string>): string {
  return facts.marker === 'CONNECTED_GLOBAL' ? "NetworkManager's CONNECTED_GLOBAL" : 'network-online.target reached';
}
