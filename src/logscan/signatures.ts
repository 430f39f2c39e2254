/**
 * The log signature catalog: one place, data only. Each entry: the literals a line must contain
 * (a cheap prefilter run once over the whole text), the pattern that confirms it and pulls out
 * facts, what it means, and which diagnoses it supports. Patterns are anchored on their literal
 * and use bounded repetitions so no line can make them backtrack for long.
 */

export interface Signature {
  id: string;
  /** the line must contain one of these (exact case) before the pattern is tried */
  literals: string[];
  /** confirms the match; named groups become facts (host, port, chain, table, line, unit...) */
  pattern: RegExp;
  meaning: string;
  /** finding ids this corroborates */
  supports: string[];
  severity: 'warning' | 'info';
  /** the message continues on following indented lines (psql, kubelet err=<...>) */
  continues?: boolean;
  /** more fact patterns, tried on the matched text wherever they occur in it */
  extract?: RegExp[];
  /** a short title for the finding this signature becomes when nothing else explains it */
  title: string;
  /** what to do, when the log line is all there is */
  advice: string;
}

const HOSTPORT = String.raw`(?<host>\[[0-9a-fA-F:]+\]|\d{1,3}(?:\.\d{1,3}){3}|[A-Za-z0-9][A-Za-z0-9.-]{0,100}):(?<port>\d{1,5})\b`;

export const SIGNATURES: Signature[] = [
  {
    id: 'log.iptables-no-chain',
    literals: ['No chain/target/match by that name'],
    pattern: /(?:-t\s+(?<table>\w+)\s+)?(?:-[AICDFXNR]|--(?:append|insert|delete|new-chain|flush))\s+(?<chain>[A-Za-z][A-Za-z0-9_-]{0,40})[\s\S]{0,400}?No chain\/target\/match by that name|No chain\/target\/match by that name/,
    meaning: 'A component added a rule to a chain that is gone: the chains were flushed (iptables.service or firewalld restart, iptables --flush).',
    supports: ['iptables.docker-chain-missing', 'iptables.service-conflict'],
    severity: 'warning',
    title: 'Components fail to add rules: chain missing',
    advice: 'Check which chain is missing (iptables -S; iptables -t nat -S) and restart the component that owns it (docker for DOCKER chains).',
  },
  {
    id: 'log.docker-port-programming-failed',
    literals: ['driver failed programming external connectivity'],
    pattern: /driver failed programming external connectivity on endpoint (?<container>[\w.-]{1,128})[\s\S]{0,200}?(?:-t\s+(?<table>\w+)\s+-[AI]\s+(?<chain>[A-Z][A-Z0-9_-]{0,40}))?/,
    meaning: 'docker run -p could not add its NAT/filter rules; usually the DOCKER chain is missing.',
    supports: ['iptables.docker-chain-missing'],
    severity: 'warning',
    title: 'docker run could not publish a port',
    advice: "Check that Docker's DOCKER chains exist in filter and nat; restart docker to recreate them.",
  },
  {
    id: 'log.ip-forward-disabled',
    literals: ['IPv4 forwarding is disabled', 'ip_forward contents are not set to 1'],
    pattern: /IPv4 forwarding is disabled|ip_forward contents are not set to 1/,
    meaning: 'Docker or kubeadm saw net.ipv4.ip_forward = 0: container networking will not work.',
    supports: ['sysctl.ip-forward-disabled'],
    severity: 'warning',
    title: 'The logs report IPv4 forwarding disabled',
    advice: 'Check net.ipv4.ip_forward on the node and persist it as 1 in /etc/sysctl.d/.',
  },
  {
    id: 'log.bridge-nf-call',
    literals: ['bridge-nf-call-iptables'],
    pattern: /bridge-nf-call-iptables(?: contents are not set to 1| does not exist|[^\n]{0,40}(?:is disabled| = 0))/,
    meaning: 'bridge netfilter is off or br_netfilter is not loaded: pod-to-service traffic on one bridge bypasses iptables.',
    supports: ['sysctl.bridge-nf-call-disabled'],
    severity: 'warning',
    title: 'The logs report bridge netfilter off',
    advice: 'modprobe br_netfilter and set net.bridge.bridge-nf-call-iptables = 1 persistently.',
  },
  {
    id: 'log.xtables-lock',
    literals: ['holding the xtables lock', 'xtables lock'],
    pattern: /(?:Another app is currently holding the xtables lock|waiting for (?:the )?xtables lock|xtables lock[^\n]{0,40}(?:timed out|wait))/,
    meaning: 'Several writers (or a TRACE flood) contend for the iptables lock; rule updates are delayed or fail.',
    supports: ['iptables.trace-rules-left'],
    severity: 'warning',
    title: 'iptables lock contention',
    advice: 'Look for TRACE rules or many concurrent iptables writers; make components use iptables --wait.',
  },
  {
    id: 'log.iptables-restore-failed',
    literals: ['iptables-restore: line', 'Error occurred at line', 'Failed to execute iptables-restore', 'iptables-restore failed', 'Failed to run iptables-restore'],
    pattern: /ip6?tables-restore: line \d{1,7} failed|Error occurred at line: \d{1,7}|Failed to (?:execute|run) ip6?tables-restore|ip6?tables-restore failed/,
    extract: [/ip6?tables-restore: line (?<line>\d{1,7}) failed/, /Error occurred at line: (?<line>\d{1,7})/, /(?<tool>ip6?tables-restore) v(?<version>\d+\.\d+\.\d+) \((?<backend>nf_tables|legacy)\)/],
    meaning: 'A component could not load its rules: often an iptables version or back-end mismatch between the component and the host.',
    supports: ['iptables.mixed-backends', 'iptables.kube-firewall-corrupted'],
    severity: 'warning',
    continues: true,
    title: 'iptables-restore fails',
    advice: 'Compare iptables -V of the host and of the component; the failing line number points at the rule it cannot load.',
  },
  {
    id: 'log.iptables-couldnt-load',
    literals: ["Couldn't load match", "Couldn't load target", 'unknown option', 'Bad argument'],
    pattern: /(?:Couldn't load (?:match|target) [`'"]?(?<module>[\w-]{1,40})|unknown option "?(?<option>--?[\w-]{1,40})|Bad argument [`'"]?(?<argument>[^'"\n]{0,60}))/,
    meaning: 'iptables in a component does not know a module or option the rules use: version skew between the component and the host.',
    supports: ['iptables.mixed-backends', 'iptables.kube-firewall-corrupted'],
    severity: 'warning',
    title: 'iptables does not know a match or option',
    advice: "A component's iptables is older or newer than the rules: align versions and back ends.",
  },
  {
    id: 'log.iptables-table-missing',
    literals: ["can't initialize iptables table", 'Table does not exist', 'CHAIN_ADD failed', 'does not exist', 'is incompatible'],
    pattern: /(?:can't initialize ip6?tables table [`'"](?<table>\w+)|Table does not exist|CHAIN_ADD failed|Chain '(?<chain>[\w-]{1,40})' does not exist|chain [`'](?<chain2>[\w-]{1,40})' in table [`'](?<table2>\w+)' is incompatible)/,
    meaning: 'The iptables back end cannot reach the table: missing kernel module, or rules written by nft-native tools that iptables-legacy/nft cannot read.',
    supports: ['iptables.mixed-backends'],
    severity: 'warning',
    title: 'iptables cannot use a table',
    advice: 'Load the kernel modules (iptable_nat, nf_tables) or align the iptables back end with the one the rules use.',
  },
  {
    id: 'log.iptables-legacy-tables-present',
    literals: ['iptables-legacy tables present'],
    pattern: /Warning: iptables-legacy tables present/,
    meaning: 'Rules exist in both the legacy and the nf_tables back end: components see only half of them.',
    supports: ['iptables.mixed-backends'],
    severity: 'warning',
    title: 'Legacy iptables tables exist next to nf_tables',
    advice: "Find which component writes legacy rules and switch it to the host's back end.",
  },
  {
    id: 'log.port-timeout',
    literals: ['Port Timeout'],
    pattern: /Port Timeout/,
    meaning: 'The application waited for a port between containers and never reached it (seed 002): a firewall rule blocks it.',
    supports: ['iptables.port-blocked'],
    severity: 'warning',
    title: 'The application timed out waiting for a port',
    advice: 'Find the port and check the host firewall allows it between containers (bundle-doctor trace).',
  },
  {
    id: 'log.ports-not-listening',
    literals: ['Error waiting for ports to enter listening state'],
    pattern: /Error waiting for ports to enter listening state/,
    meaning: 'The application reports its ports never became reachable (seed 002).',
    supports: ['iptables.port-blocked'],
    severity: 'warning',
    title: 'Ports never became reachable',
    advice: "Check the host firewall rules for the application's ports between containers.",
  },
  {
    id: 'log.connection-refused',
    literals: ['onnection refused'],
    pattern: new RegExp(String.raw`(?:(?:dial tcp|connect to|connecting to|to)\s+${HOSTPORT}[^\n]{0,200}?[Cc]onnection refused|[Cc]onnection refused[\s\S]{0,300}?(?:host "?(?<host2>[\w.:-]{1,100})"?[\s\S]{0,120}?)?(?:on port (?<port2>\d{1,5})|${HOSTPORT.replace('<host>', '<host3>').replace('<port>', '<port3>')})|[Cc]onnection refused)`),
    meaning: 'Something reached the address but nothing accepted: the service is down, or a REJECT rule answers for it.',
    supports: ['iptables.port-blocked'],
    severity: 'warning',
    continues: true,
    title: 'Connections refused',
    advice: 'Check the service listens on that address and port, and that no REJECT rule answers for it.',
  },
  {
    id: 'log.connection-timed-out',
    literals: ['timed out', 'i/o timeout'],
    pattern: new RegExp(String.raw`(?:(?:dial tcp|connect to|connecting to|to)\s+${HOSTPORT}[^\n]{0,200}?(?:i\/o timeout|[Cc]onnection timed out|timed out)|(?:[Cc]onnection timed out|i\/o timeout))`),
    meaning: 'Packets to the address got no answer: a DROP rule, a routing problem, or the peer is down.',
    supports: ['iptables.port-blocked', 'iptables.kube-firewall-corrupted'],
    severity: 'warning',
    title: 'Connections time out',
    advice: 'Trace the path: a DROP rule, a missing route or a down peer.',
  },
  {
    id: 'log.no-route-to-host',
    literals: ['o route to host'],
    pattern: new RegExp(String.raw`(?:${HOSTPORT}[^\n]{0,120}?)?[Nn]o route to host`),
    meaning: 'The peer is unreachable: routing, or a REJECT with icmp-host-prohibited (stock RHEL firewall).',
    supports: ['iptables.port-blocked'],
    severity: 'warning',
    title: 'No route to host',
    advice: 'Check routes, and REJECT rules with icmp-host-prohibited (stock RHEL firewall).',
  },
  {
    id: 'log.flannel-lease-failed',
    literals: ['failed to acquire lease'],
    pattern: /failed to acquire lease:?\s*(?<reason>[^\n]{0,160})/,
    meaning: 'flanneld could not get or renew its subnet lease; the node has no pod subnet.',
    supports: ['flannel.subnet-mismatch', 'flannel.duplicate-subnet'],
    severity: 'warning',
    title: 'flannel cannot get its subnet lease',
    advice: "Check flannel's RBAC / etcd access and the node's podCIDR.",
  },
  {
    id: 'log.flannel-out-of-subnets',
    literals: ['out of subnets'],
    pattern: /out of subnets/,
    meaning: 'The flannel network has no free /24 left (network too small for the nodes, or stale leases).',
    supports: ['flannel.subnet-mismatch'],
    severity: 'warning',
    title: 'flannel ran out of subnets',
    advice: 'Enlarge FLANNEL_NETWORK or remove stale leases of deleted nodes.',
  },
  {
    id: 'log.flannel-subnet-env',
    literals: ['subnet.env'],
    pattern: /(?:failed|error|no such file|unable)[^\n]{0,120}subnet\.env|subnet\.env[^\n]{0,120}(?:failed|error|no such file|not found)/i,
    meaning: 'The CNI plugin could not read /run/flannel/subnet.env: flanneld is not running or wrote nothing.',
    supports: ['flannel.subnet-mismatch'],
    severity: 'warning',
    title: 'subnet.env missing or unreadable',
    advice: 'Check the flannel pod runs on the node and writes /run/flannel/subnet.env.',
  },
  {
    id: 'log.flannel-iptables-failed',
    literals: ['Failed to ensure iptables rules'],
    pattern: /Failed to ensure iptables rules/,
    meaning: 'flanneld could not install its MASQUERADE/FORWARD rules.',
    supports: ['iptables.forward-blocks-containers', 'iptables.mixed-backends'],
    severity: 'warning',
    title: 'flannel cannot install its rules',
    advice: "Check iptables on the node (back end, version) and flannel's logs just before.",
  },
  {
    id: 'log.vxlan-not-supported',
    literals: ['operation not supported'],
    pattern: /(?:registering network|vxlan|VXLAN|flannel)[^\n]{0,120}operation not supported|Error registering network: operation not supported/,
    meaning: 'The kernel refused the VXLAN device (no vxlan module, or a kernel without it): the flannel backend cannot start.',
    supports: ['flannel.subnet-mismatch'],
    severity: 'warning',
    title: 'The kernel refuses VXLAN',
    advice: 'Load the vxlan module or use a kernel that has it, or pick another flannel backend.',
  },
  {
    id: 'log.docker-join-non-running',
    literals: ['cannot join network of a non running container'],
    pattern: /cannot join network of a non running container:?\s*(?<container>[\w.-]{0,128})/,
    meaning: 'Containers started in the wrong order after a docker restart (seed 004).',
    supports: [],
    severity: 'warning',
    title: 'Containers started in the wrong order',
    advice: 'Start the containers whose network others join first (docker-compose depends_on), or restart them in order.',
  },
  {
    id: 'log.firewall-restart',
    literals: ['firewalld', 'IPv4 firewall', 'iptables.service', 'firewall-cmd', 'netfilter-persistent', 'ufw'],
    pattern: /(?<action>Stopping|Starting|Started|Stopped|Reloading|Reloaded)\s+(?:(?<unit>firewalld|iptables|ip6tables|netfilter-persistent|ufw)(?:\.service)?\b|(?<unit2>IPv4 firewall with iptables|IPv6 firewall with ip6tables|firewalld - dynamic firewall daemon))|firewall-cmd --(?:complete-)?reload/,
    meaning: 'A firewall service restarted or reloaded: it flushes and restores its own rules, dropping Docker and Kubernetes rules added at run time.',
    supports: ['iptables.docker-chain-missing', 'iptables.service-conflict'],
    severity: 'info',
    title: 'A firewall service restarted',
    advice: 'After a firewall restart, restart docker and the node service so their rules come back.',
  },
];

/** Lower-case facts from the named groups, folding the alternatives (host2, port3...) into one name. */
export function factsOf(groups: Record<string, string | undefined> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!groups) return out;
  for (const [k, v] of Object.entries(groups)) {
    if (v === undefined || v === '') continue;
    const name = k.replace(/\d+$/, '');
    if (out[name] === undefined) out[name] = v;
  }
  return out;
}
