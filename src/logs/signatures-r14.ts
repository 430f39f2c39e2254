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
      extract: [...deps.peer, /connect (?:ENETUNREACH|EHOSTUNREACH) (?<host>\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f:]{2,45}):(?<port>\d{1,5})\b/],
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
