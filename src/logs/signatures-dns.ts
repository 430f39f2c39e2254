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
