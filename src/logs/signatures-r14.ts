/**
 * Log signatures from H64 (reviews R21, R22). Wording and severity: analyzers/lib/r14-wording.ts.
 *
 * - log.network-unreachable: a connect() that failed with ENETUNREACH, in the words of the clients that print it:
 *   Go `dial tcp 10.96.0.1:443: connect: network is unreachable` (calico-node, kubernetes/kubernetes#110659; dockerd
 *   pulling, intel/analytics-zoo#125), Node's `connect ENETUNREACH 10.96.0.1:443`, Python's `[Errno 101] Network is
 *   unreachable`, iputils ping's `ping: connect: Network is unreachable` and busybox's `ping: sending packet: Network is
 *   unreachable` (intel/cc-oci-runtime#55), curl before 7.76 `Failed to connect to HOST port N: Network is unreachable`.
 *   The kernel found no route for the destination at all (no default route, nothing covering it): no packet left.
 *   An IPv6 peer on a host with no IPv6 route is what every dual-stack client hits when it tries IPv6 first
 *   (docker/for-win#13728 `dial tcp [2600:1f18:...]:443: connect: network is unreachable`): the analyzer words those.
 * - log.firewall-writer-start (quiet): a unit that rewrites the iptables rules starting, in the wordings
 *   log.firewall-restart does not take: CoreOS' iptables-restore.service (`Starting Restore iptables firewall rules...`,
 *   coreos-cloudinit's `Calling unit command "start" on "iptables-restore.service"`, coreos/bugs#469). The analyzer
 *   names it where dockerd, within seconds, found the table changed under it (`Resource temporarily unavailable`).
 */
import type { LogSignature } from './signatures.js';

/** ENETUNREACH as the clients print it */
export const NETWORK_UNREACHABLE = /[Nn]etwork is unreachable|\bENETUNREACH\b|\[Errno 101\]/;

/** The entries, built with the peer patterns and the exclusions of the catalog (signatures.ts passes them: no import cycle). */
export function r14Signatures(deps: { peer: RegExp[]; notClientLine: RegExp }): LogSignature[] {
  return [
    {
      id: 'log.network-unreachable',
      literals: ['etwork is unreachable', 'ENETUNREACH', '[Errno 101]'],
      pattern: NETWORK_UNREACHABLE,
      // Docker Swarm's gossip and BIRD's BGP sessions have entries that name their ports and peers
      unless: deps.notClientLine,
      // H72: curl's `Immediate connect fail for 2a04:4e42::223: Network is unreachable` and wget's `Connecting to deb.debian.org
      // (deb.debian.org)|2a04:4e42:6b::644|:80... failed: Network is unreachable.` name the address tried (the name is not it)
      extract: [
        /Immediate connect fail for (?<host>[0-9A-Fa-f:.]{2,45}): /,
        /\|(?<host>[0-9A-Fa-f:.]{2,45})\|:(?<port>\d{1,5})\.\.\. failed: /,
        ...deps.peer,
        /connect (?:ENETUNREACH|EHOSTUNREACH) (?<host>\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f:]{2,45}):(?<port>\d{1,5})\b/,
      ],
      continues: true,
      meaning:
        "A connection failed before any packet left: the kernel has no route to that address (ENETUNREACH: no default route, and no route that covers it). Not a firewall and not the peer: the routing table of the host, or of the container or pod that connected.",
      supports: [],
      severity: 'warning',
      title: 'Network is unreachable: no route to the address',
      advice: "Look at the routes where the client runs (ip route; in a container: its own namespace) and add the default route or the route that covers the address.",
      commands: ['ip route; ip -6 route   # a default route, or one that covers the address?', 'ip route get {host}   # "Network is unreachable" here too: no route covers it'],
    },
    {
      // H72: what a client that prints each address it tries (curl -v, wget, telnet) did after an IPv6 address failed: an IPv4
      // address tried (`Trying 151.101.65.67...`, curl 7.8x `Trying 199.232.174.132:80...`), connected (curl `Connected to NAME
      // (ADDR) port N`, wget `|ADDR|:N... connected.`), its final failure (curl's `Failed to connect to NAME port N`),
      // or curl 8's `* IPv4: (none)` (the name has no IPv4 address at all). No finding: the analyzer reads whether the client
      // fell back to IPv4 (log.network-unreachable for an IPv6 address is then the dual-stack fallback, not a failure).
      id: 'log.client-connect-step',
      // `Trying 1`...`Trying 9`: the byte search wants literals of 8 bytes or more, and only an IPv4 address counts here
      literals: ['Connected to ', 'connected.', ...Array.from({ length: 9 }, (_, i) => `Trying ${i + 1}`), 'Failed to connect to ', 'IPv4: (none)'],
      pattern:
        /\bConnected to (?<name>[^\s()]{1,253}) \((?<connected>\d{1,3}(?:\.\d{1,3}){3})\) port (?<port>\d{1,5})|\|(?<connected_2>\d{1,3}(?:\.\d{1,3}){3})\|:(?<port_2>\d{1,5})\.\.\. connected\.|\bTrying (?<attempt>\d{1,3}(?:\.\d{1,3}){3})(?::\d{1,5})?\.\.\.|(?<failed>\bFailed to connect to \S{1,253} port \d{1,5})|(?<noIpv4>\bIPv4: \(none\))/,
      meaning: 'A step of a client that prints each address it tries: an IPv4 address tried or connected, its final failure, or no IPv4 address for the name.',
      supports: [],
      severity: 'info',
      title: 'Client connection step',
      advice: 'Nothing to fix by itself.',
      quiet: true,
      maxMatches: 400,
    },
    {
      // H72 (moby/moby#6442): Docker 1.x's bridge driver trying each candidate range for docker0 at debug level,
      // `[debug] driver.go:254 172.17.42.1/16 requested network overlaps with existing network` (log.Debugf("%s %s", addr, err)
      // after CheckRouteOverlaps), then `Creating bridge docker0 with network 10.1.42.1/16` for the one it took. A rejected
      // candidate is no failure (the next may be free): no finding; log.docker-no-free-address-pool names them when every
      // one was rejected (its final error), and H102 raises it from these lines alone when all twelve of Docker 1.x's
      // candidates were rejected and none taken (analyzers/lib/docker-default-pools.ts, candidatesExhaustedFinding).
      id: 'log.docker-pool-candidate',
      literals: ['requested network overlaps with', 'Creating bridge '],
      pattern:
        /(?<rejected>\d{1,3}(?:\.\d{1,3}){3}\/\d{1,2}):? requested network overlaps with (?<overlapsWith>existing network|nameserver)|\bCreating bridge (?<bridge>[\w.-]{1,15}) with network (?<chosen>\d{1,3}(?:\.\d{1,3}){3}\/\d{1,2})/,
      meaning: "dockerd tried a candidate range for docker0: one that overlaps a route (or a nameserver) is skipped, the first free one is taken.",
      supports: [],
      severity: 'info',
      title: "Docker's candidate range for docker0",
      advice: 'Nothing to fix by itself.',
      quiet: true,
      maxMatches: 200,
    },
    {
      id: 'log.firewall-writer-start',
      literals: ['Restore ip', 'iptables-restore.service', 'ip6tables-restore.service'],
      pattern:
        /\b(?<action>Starting|Started|Stopping|Stopped|Reloading|Reloaded) Restore (?<family>ip6?tables) firewall rules|(?:Calling unit command "(?<action_2>start|restart|reload)" on "|(?<action_3>Starting|Started|Restarting|Reloading) )(?<unit>ip6?tables-restore\.service)/,
      meaning: 'A unit that loads a saved iptables rule set (iptables-restore.service) started: it replaces whole tables, whatever other programs are adding at the same moment.',
      supports: [],
      severity: 'info',
      title: 'iptables-restore.service started',
      advice: 'Nothing to fix by itself.',
      quiet: true,
    },
  ];
}
