/**
 * H84: failed DNS lookups, `log.dns-lookup-failed`, told apart by the error and by the resolver asked.
 *
 * The wordings (each from a public ticket, cited in test/logs/h84-dns-lookup-failed.test.ts):
 * - Go's resolver: `lookup NAME on RESOLVER:53: read udp SRC->RESOLVER:53: i/o timeout`, `... : no such host`,
 *   `... : server misbehaving`, `... : read: connection refused`; without a resolver (cgo, /etc/hosts first)
 *   `lookup NAME: no such host`, `lookup NAME: i/o timeout`, `lookup NAME: Temporary failure in name resolution`.
 * - CoreDNS' errors plugin, a query it forwarded upstream: `[ERROR] plugin/errors: 2 NAME. A: read udp
 *   POD->UPSTREAM:53: i/o timeout` (older: `... HINFO: unreachable backend: read udp ...`).
 * - dockerd's embedded DNS (127.0.0.11) forwarding: `[resolver] failed to query external DNS server`
 *   ... `dns-server="udp:10.0.0.2:53" error="read udp ...: i/o timeout" question=";NAME.\tIN\t A"`, older
 *   `[resolver] read from DNS server failed, read udp SRC->UPSTREAM:53: i/o timeout`.
 * - glibc's getaddrinfo through any client: `Temporary failure in name resolution` (EAI_AGAIN, Python's
 *   `[Errno -3]`), `Name or service not known` (EAI_NONAME, `[Errno -2]`); apt `Temporary failure resolving
 *   'deb.debian.org'`; Node `getaddrinfo EAI_AGAIN registry.npmjs.org:443`, `getaddrinfo ENOTFOUND mongo`.
 * - curl `Could not resolve host: NAME` and dnf's `Curl error (6): Couldn't resolve host name for URL`
 *   (CURLE_COULDNT_RESOLVE_HOST: curl does not say why, kind `unresolved`). dnf's `[getaddrinfo() thread failed
 *   to start]` is not DNS: the runtime's seccomp profile refused clone3 (Fedora 35 images on Docker < 20.10.10),
 *   so it is left out.
 * - dig / nslookup / host: `status: NXDOMAIN`, `status: SERVFAIL`, `** server can't find NAME: NXDOMAIN`,
 *   `Host NAME not found: 2(SERVFAIL)`, `;; connection timed out; no servers could be reached`,
 *   `;; communications error to 127.0.0.53#53: timed out`.
 *
 * Facts: `lookup` (the name asked), `host` + `port` (the resolver, where the line says it: the same facts
 * log.connection-timed-out's PEER extractor gives, so analyzers/lib/user-mode-nat.ts' hostResolverLines keeps reading
 * the host's own timed-out lookups), `source` (the asking socket), `protocol`, `error` (the line's own words:
 * dnsLookupKind() turns them into the kind), `reporter` (`plugin/errors`: CoreDNS asked upstream; `[resolver]`:
 * dockerd's embedded DNS asked upstream), `qtype`.
 *
 * Timeouts at 10.0.2.3:53 (slirp4netns' and VirtualBox NAT's own forwarder) are left to log.connection-timed-out,
 * where user-mode-nat.ts words them (`unless`); DNS_LOOKUP_TIMEOUT / DNS_LOOKUP_REFUSED are the `unless` additions
 * for log.connection-timed-out / log.connection-refused, so one line is one diagnosis.
 */
import type { LogSignature } from './signatures.js';
import { NETWORK_ONLINE_SIGNATURES } from './signatures-network-online.js';

const IP4 = String.raw`\d{1,3}(?:\.\d{1,3}){3}`;
/** an address or name with its port before it (Go prints `[::1]:53`, `[fe80::1%wlp2s0]:53`) */
const HOST = String.raw`(?:\[[0-9A-Fa-f:.]{2,45}(?:%[\w.-]{1,16})?\]|${IP4}|[A-Za-z][A-Za-z0-9-]{0,62}(?:\.[A-Za-z0-9-]{1,63}){0,10})`;
/** a name looked up as the clients print it (a trailing dot, underscores, `*redacted*`) */
const NAME = String.raw`[^\s:'"\\,;()\[\]]{1,253}`;
/** a socket pair's error tail: `read udp 10.0.2.15:44243->10.0.2.3:53: i/o timeout`, `read: connection refused` */
const SOCKET_ERR = String.raw`(?:read|write|dial) (?:udp|tcp)[46]? (?:\S{1,64}->)?\S{1,64}: (?:(?:read|write|connect): )?`;

/** The kinds of failure, from the line's own words. */
export type DnsLookupKind = 'timeout' | 'refused' | 'rejected' | 'servfail' | 'nxdomain' | 'temporary' | 'unresolved';

const KIND_WORDS: [DnsLookupKind, RegExp][] = [
  ['timeout', /i\/o timeout|timed out|no servers could be reached/i],
  ['refused', /connection refused/i],
  // the DNS answer's RCODE 5 (REFUSED): an answer, declining by policy; not a refused connection
  ['rejected', /^(?:REFUSED|5\(REFUSED\))$/],
  ['servfail', /server misbehaving|SERVFAIL/],
  ['nxdomain', /no such host|NXDOMAIN|ENOTFOUND|Name or service not known/],
  ['temporary', /EAI_AGAIN|Temporary failure/],
  ['unresolved', /[Cc]ould not resolve host|Couldn't resolve host/],
];

/** The kind a match's `error` fact names; undefined for a line that is no DNS failure. */
export function dnsLookupKind(facts: Record<string, string>): DnsLookupKind | undefined {
  const e = facts.error;
  if (e === undefined) return undefined;
  for (const [kind, re] of KIND_WORDS) if (re.test(e)) return kind;
  return undefined;
}

/**
 * A DNS lookup that timed out, in the wordings log.dns-lookup-failed takes as `timeout`, not at 10.0.2.3 (left to
 * user-mode-nat.ts): for log.connection-timed-out's `unless`. No named groups (joined with others).
 */
export const DNS_LOOKUP_TIMEOUT = new RegExp(
  String.raw`^(?![\s\S]{0,8192}?\b10\.0\.2\.3:53\b)[\s\S]{0,8192}?(?:\blookup ${NAME}(?: on ${HOST}:\d{1,5})?: (?:${SOCKET_ERR})?i\/o timeout|plugin\/errors: \d{1,3} [^\n]{0,400}?i\/o timeout|\[resolver\] [^\n]{0,600}?i\/o timeout|->${HOST}:\d{1,5}: (?:read: )?i\/o timeout"? question="?;|;; connection timed out; no servers could be reached)`,
);

/** A DNS lookup refused (nothing listens on :53): for log.connection-refused's `unless`. No named groups. */
export const DNS_LOOKUP_REFUSED = new RegExp(
  String.raw`\blookup ${NAME}(?: on ${HOST}:\d{1,5})?: (?:${SOCKET_ERR})?connection refused|plugin\/errors: \d{1,3} [^\n]{0,400}?connection refused|\[resolver\] [^\n]{0,600}?connection refused|->${HOST}:\d{1,5}: (?:read: )?connection refused"? question="?;|;; communications error to [^\n]{1,80}?#\d{1,5}: connection refused`,
);

const GO_ERRORS = 'i/o timeout|no such host|server misbehaving|connection refused|Temporary failure in name resolution|Name or service not known';

export const DNS_SIGNATURES: LogSignature[] = [
  {
    id: 'log.dns-lookup-failed',
    literals: [
      'i/o timeout',
      ': no such host',
      ': server misbehaving',
      'onnection refused',
      'Temporary failure in name resolution',
      'Temporary failure resolving',
      'Name or service not known',
      'Could not resolve host',
      "Couldn't resolve host name",
      'getaddrinfo EAI_AGAIN',
      'getaddrinfo ENOTFOUND',
      'status: NXDOMAIN',
      'status: SERVFAIL',
      "server can't find ",
      'not found: 2(SERVFAIL)',
      'not found: 3(NXDOMAIN)',
      'not found: 5(REFUSED)',
      'status: REFUSED',
      'no servers could be reached',
      'communications error to ',
    ],
    pattern: new RegExp(
      [
        // Go's resolver
        String.raw`\blookup (?<lookup>${NAME})(?: on (?<host>${HOST}):(?<port>\d{1,5}))?: (?:(?:read|write|dial) (?<protocol>udp|tcp)[46]? (?:(?<source>${HOST}):\d{1,5}->)?\S{1,64}: (?:(?:read|write|connect): )?)?(?<error>${GO_ERRORS})`,
        // CoreDNS forwarding upstream
        String.raw`(?<reporter>plugin\/errors): \d{1,3} (?<lookup_2>${NAME}) (?<qtype>[A-Z0-9]{1,10}): (?:unreachable backend: )?(?:read|write|dial) (?<protocol_2>udp|tcp)[46]? (?<source_2>${HOST}):\d{1,5}->(?<host_2>${HOST}):(?<port_2>\d{1,5}): (?:read: )?(?<error_2>i\/o timeout|connection refused)`,
        // dockerd's embedded DNS forwarding
        String.raw`(?<reporter_2>\[resolver\]) (?:failed to query (?:external )?DNS server|read from DNS server failed)[^\n]{0,300}?(?:read|write|dial) (?<protocol_3>udp|tcp)[46]? (?<source_3>${HOST}):\d{1,5}->(?<host_3>${HOST}):(?<port_3>\d{1,5}): (?:read: )?(?<error_3>i\/o timeout|connection refused)`,
        // dockerd's embedded DNS in logfmt cut one field per line (moby/moby#48266's paste): its error field with the question
        String.raw`(?:read|write|dial) (?<protocol_4>udp|tcp)[46]? (?<source_4>${HOST}):\d{1,5}->(?<host_5>${HOST}):(?<port_5>\d{1,5}): (?:read: )?(?<error_14>i\/o timeout|connection refused)"? question="?;`,
        // apt
        String.raw`(?<error_4>Temporary failure resolving) '(?<lookup_3>${NAME})'`,
        // Node
        String.raw`getaddrinfo (?<error_5>EAI_AGAIN|ENOTFOUND) (?<lookup_4>${NAME})`,
        // dnf (libcurl) before curl's own wording, which its bracket repeats
        String.raw`(?<error_6>Couldn't resolve host name) for [a-z]{3,8}:\/\/(?<lookup_5>[^\s/:\]\[<>]{1,253})`,
        String.raw`(?<error_7>Could not resolve host): (?<lookup_6>${NAME})`,
        // nslookup, host, dig
        String.raw`\*\* server can't find (?<lookup_7>${NAME}): (?<error_8>NXDOMAIN|SERVFAIL|REFUSED)`,
        String.raw`Host (?<lookup_8>${NAME}) not found: (?<error_9>2\(SERVFAIL\)|3\(NXDOMAIN\)|5\(REFUSED\))`,
        String.raw`->>HEADER<<- opcode: QUERY, status: (?<error_10>NXDOMAIN|SERVFAIL|REFUSED)`,
        String.raw`;; communications error to (?<host_4>${IP4}|[0-9A-Fa-f:]{2,45})#(?<port_4>\d{1,5}): (?<error_11>timed out|connection refused)`,
        String.raw`(?<error_12>no servers could be reached)`,
        // glibc's getaddrinfo wording through any other client (Python, ping, redis-py)
        String.raw`(?<error_13>Temporary failure in name resolution|Name or service not known)`,
      ].join('|'),
    ),
    extract: [
      // dockerd's embedded DNS: the question asked (`question=";proxy.local.\tIN\t A"`)
      /question="?;(?<lookup>[^\s\\"]{1,253})/,
      // ping `ping: google.com: Temporary failure in name resolution`, redis-py `Error -3 connecting to host:6379. Temporary failure`
      /\bping: (?<lookup>[^\s:]{1,253}): (?:Temporary failure|Name or service)/,
      /Error -[23] connecting to (?<lookup>[^\s:]{1,253}):\d{1,5}\./,
      // urllib3 `HTTPSConnectionPool(host='pip.domain.com', port=443)`: the name, not a resolver
      /ConnectionPool\(host='(?<lookup>[^'\s]{1,253})'/,
    ],
    // slirp4netns' / VirtualBox NAT's own forwarder not answering: log.connection-timed-out, worded by user-mode-nat.ts;
    // dnf's getaddrinfo() thread that could not start is the runtime's seccomp profile, not DNS
    unless: /\b10\.0\.2\.3:53\b[^\n]{0,300}?i\/o timeout|->10\.0\.2\.3:53: i\/o timeout|getaddrinfo\(\) thread failed to start/,
    meaning:
      'DNS lookups failed. What the error says decides where to look: a timeout (the resolver did not answer: a firewall rule, a route or the resolver itself is down), connection refused (nothing listens on port 53 there), SERVFAIL or "server misbehaving" (the resolver answered but could not resolve the name upstream), temporary failure (EAI_AGAIN: no resolver answered in time), or NXDOMAIN / "no such host" (the name does not exist as asked: a wrong name, service name or search domain, not a network block).',
    // as log.connection-timed-out's lines were: a rule the bundle shows blocking the resolver's port takes the lines it
    // explains (their timeout / refusal: connectionSymptom); NXDOMAIN / SERVFAIL lines are no symptom of a rule and stay
    supports: ['iptables.port-blocked', 'iptables.forward-blocks-containers', 'docker.dns-loopback-nameserver'],
    severity: 'warning',
    title: 'DNS lookups fail',
    advice:
      "Ask the same resolver from the same place (the container or pod that logged it): a timeout or refusal is the path to the resolver or the resolver itself; SERVFAIL is the resolver's upstream; NXDOMAIN is the name (check the spelling, the service name and the search domains in resolv.conf).",
  },
  {
    // H91: CoreDNS' log plugin answering a query (`[INFO] 10.244.1.3:40090 - 51243 "A IN NAME. udp 54 false 512" NOERROR
    // qr,aa,rd 106 0.0000988s`; before 1.8.5 without a timestamp prefix, older still `CLIENT - [date] ID "A IN ..."`): the
    // same name answered later than a failure of it is history, not the node's state. Only a written response counts: the
    // flags start with qr; CoreDNS before 1.8.5 logged `NOERROR - 0 6.01s` for a forward that timed out (coredns/coredns#4724).
    id: 'log.coredns-query-answered',
    literals: ['" NOERROR qr'],
    pattern: /"(?<qtype>[A-Z0-9]{1,10}) IN (?<lookup>[^\s"]{1,253}) (?:udp|tcp) \d{1,5} (?:true|false) \d{1,5}" (?<rcode>NOERROR) qr[a-z,]{0,20} \d{1,6} /,
    meaning: "CoreDNS' log plugin: a query answered (NOERROR).",
    supports: [],
    severity: 'info',
    title: 'CoreDNS answered a query',
    advice: 'Nothing to fix by itself.',
    quiet: true,
    maxMatches: 400,
  },
  // H91: the network coming online at boot (quiet), for failures logged before it
  ...NETWORK_ONLINE_SIGNATURES,
];

// ---- wording per resolver and kind, for the analyzer (analyzers/log-signatures.ts) -----------------------

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
