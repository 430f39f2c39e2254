/**
 * The log signature catalog: data only, one entry per known message.
 *
 * How an entry is used: the scanner searches the raw bytes for every entry's `literals` at
 * once; only a line holding one of them is decoded, and only the entries whose literals it
 * holds run their `pattern` (which must match for the signature to count) and `extract`
 * patterns (which only add facts). Named groups become facts; a trailing `_2`, `_3` lets one
 * fact be captured by several alternatives (`chain`, `chain_2` -> `chain`).
 *
 * Patterns run on one line of at most 8 KiB (plus up to 4 continuation lines for entries
 * marked `continues`) and use bounded repetitions only, so no line can make them backtrack
 * for long. Facts are what the text says; which finding they support is in `supports`.
 */
import { PROXY_SIGNATURES } from './signatures-proxy.js';
import { FLANNEL_IFACE_SIGNATURES } from './signatures-flannel-iface.js';
import { FLANNEL_VTEP_SIGNATURES } from './signatures-flannel-vtep.js';
import { KUBE_PROXY_SIGNATURES, KUBE_PROXY_START_SIGNATURES } from './signatures-kube-proxy.js';
import { KUBE_PROXY_FATAL, R13_SIGNATURES } from './signatures-r13.js';
import { R12_SIGNATURES, UDP_TUNNEL_TCP_PROBE } from './signatures-r12.js';
import { r14Signatures } from './signatures-r14.js';
import { R15_SIGNATURES } from './signatures-r15.js';
import { DOCKER_VERSION_SIGNATURES } from './signatures-docker-version.js';
import { DNS_LOOKUP_REFUSED, DNS_LOOKUP_TIMEOUT, DNS_SIGNATURES } from './signatures-dns.js';
import { CNI_CONFIG_SIGNATURES } from './signatures-cni-config.js';
import { PODMAN_SIGNATURES } from './signatures-podman.js';
import { PROMPT_HEAD } from './prompt.js';

export interface LogSignature {
  /** stable id, `log.noun-phrase` */
  id: string;
  /** a line must contain one of these to be considered (exact case unless `ignoreCase`; then written in lower case) */
  literals: string[];
  ignoreCase?: boolean;
  /** must match the line for the signature to count; named groups become facts */
  pattern: RegExp;
  /** more fact patterns, each tried on the line; the first value found for a fact wins */
  extract?: RegExp[];
  /**
   * only lines of these programs count: the syslog tag of the line, else the log's own (its path:
   * `journalctl --unit docker`, `docker.log`). For wording any program may use.
   */
  units?: RegExp;
  /** a line this matches does not count, though `pattern` matched it (the situation another entry names) */
  unless?: RegExp;
  /** the message goes on over indented lines (psql, kubelet `err=<`): they are joined before matching */
  continues?: boolean;
  meaning: string;
  /** finding ids this message corroborates */
  supports: string[];
  severity: 'warning' | 'info';
  /** short title for a finding made from the log line alone */
  title: string;
  /**
   * what to do, when the log line is all the evidence there is: plain prose (the report escapes
   * Markdown in it), commands go in `commands`
   */
  advice: string;
  /** commands for the remedy; one `{fact}` in a command is replaced by each value the lines gave that fact (one command per value); a command whose fact no line gave is left out */
  commands?: string[];
  /** the side effect of the remedy (a restart, a short interruption) */
  caution?: string;
  /**
   * Remedies for what the node shows, in place of `advice` / `commands` where it shows it: the
   * runtime that owns the rules a line is about (the chain's name says it; else the runtimes the
   * bundle shows), kube-proxy, the firewall manager. Those that apply are joined in this order; the
   * signature's own advice and commands stand where none applies, so they must not name a runtime
   * the bundle may not have.
   */
  remedies?: HostRemedy[];
  /** clauses added to the advice unless the lines say they cannot apply (a bug of iptables 1.8.0-1.8.2 when the line says v1.8.4) */
  caveats?: Caveat[];
  /** no finding of its own: its lines are context another entry's finding cites (kube-proxy's conntrack limit beside a full table) */
  quiet?: true;
  /**
   * lines kept per log, in place of the scanner's default (50): for context an analyzer reads to its
   * end, where the last line decides (flanneld's latest VtepMAC for a subnet)
   */
  maxMatches?: number;
  /**
   * Log signatures that tell the same failure more generally: where one of them matched only lines
   * this one matched too, its finding folds into this one's (listed in `related`), so one log line
   * is one diagnosis (reviewer R13 #8: dockerd's failed start and its `No chain` line, two findings).
   */
  explains?: string[];
}

/**
 * What the node shows that decides a remedy: the runtime or orchestrator whose rules a line is
 * about (docker, podman, kubernetes), kube-proxy (it sets the conntrack limit), the firewall
 * manager (firewalld, ufw, or plain-iptables: the unit states show neither).
 */
export type HostTrait = 'docker' | 'podman' | 'kubernetes' | 'kube-proxy' | 'firewalld' | 'ufw' | 'plain-iptables';

export interface HostRemedy {
  when: HostTrait;
  /** what to do where the node shows `when`, a sentence that stands alone (several that apply are joined) */
  advice?: string;
  /**
   * commands, as `commands` (`{fact}` filled from the lines); `{restartDocker}` and `{restartKubelet}`
   * are the node's own restart commands (rootless Docker, the docker snap, k3s ... as the bundle shows)
   */
  commands?: string[];
}

export interface Caveat {
  /** kept where no line gave this fact, or one of its values `matches` */
  fact: string;
  matches: RegExp;
  advice: string;
}

// ---- fact patterns shared by several entries -------------------------------------------

const HOST = String.raw`(?:\[[0-9A-Fa-f:.]{2,45}\]|\d{1,3}(?:\.\d{1,3}){3}|[A-Za-z][A-Za-z0-9-]{0,62}(?:\.[A-Za-z0-9-]{1,63}){0,10})`;
const PORT = String.raw`\d{1,5}`;
/** a bare IPv6 address, where the wording delimits it (psql's quotes, curl's ` port N`): `fdc4:f303:9324::254`, `::1` */
const BARE6 = String.raw`(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{0,4}){2,7}|::(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,6})?)`;

/**
 * H95 (R29 02, 10): kmod's modprobe finding no module for the running kernel, its release in the path: `modprobe: FATAL:
 * Module ip_tables not found in directory /lib/modules/4.4.4-std-manual` (scaleway/kernel-tools#228, inside dockerd's
 * fatal line), `... /lib/modules/5.5.3-mvebu-tld-1-dirty` (vzhilov/WDMC-Ex2-Ultra#3): the module tree of that kernel
 * is gone (a kernel upgrade without a reboot) or was never installed (a custom or vendor kernel). Networking modules only
 * (netfilter, the bridge, veth, VXLAN, IPVS): containerd probing aufs on a healthy host logs the same words for a storage
 * driver it then skips.
 */
const MODPROBE_NOT_FOUND = /modprobe: FATAL: Module (?<missingModule>(?:ip6?_tables|x_tables|ip6?table_\w{1,20}|ip6?t_\w{1,24}|nf_\w{1,30}|nft_\w{1,30}|xt_\w{1,30}|ip_set\w{0,30}|br_netfilter|bridge|veth|vxlan|ip_vs\w{0,20}))(?![\w-]) not found in directory \/lib\/modules\/(?<moduleKernel>[\w.+~-]{1,100})/;

/**
 * H95 (R29 01): iptables-nft's rule add refused with ENOENT: `iptables v1.8.7 (nf_tables):  RULE_APPEND failed (No such
 * file or directory): rule in chain DOCKER-ISOLATION-STAGE-1` (microsoft/WSL#6655, #7705: a kernel without nf_tables or
 * nft_compat, WSL2's older kernels), also a rule whose extension has no module (docker/for-linux#1521, with iptables'
 * `missing kernel module?` before it).
 */
const RULE_ENOENT = /\(nf_tables\):\s{1,3}(?<ruleOp>RULE_(?:APPEND|INSERT|REPLACE)) failed \(No such file or directory\)/;

/**
 * H54 (R18 08): iptables(-restore) could not initialize a table: legacy iptables-restore's `iptables-restore v1.6.1:
 * iptables-restore: unable to initialize table 'nat'` (istio/istio#23009, rancher/rancher#31012): the kernel has no
 * iptable_<table> (and nf_nat for nat) loaded, as iptables' own hint in the older wording says (`Table does not exist
 * (do you need to insmod?)`, log.iptables-table-unavailable).
 */
const IPT_TABLE_INIT = /unable to initialize table '(?<initTable>filter|nat|mangle|raw|security)'/;

/** the table of an iptables command line quoted in the message */
const IPT_TABLE = /(?:^|[\s'"])(?:-t|--table)[ =](?<table>filter|nat|mangle|raw|security)\b/;
/** the chain an iptables command works on (`-A DOCKER`, `--delete INPUT`, `-N DOCKER`) */
const IPT_CHAIN = /(?:^|[\s'"])(?:-[AIDRNXFCLSPZ]|--(?:append|insert|delete|replace|new-chain|delete-chain|flush|check|list|list-rules|zero|policy))\s{1,8}(?<chain>[A-Za-z0-9_][\w.-]{0,63})/;
const IPT_TARGET = /\s(?:-j|--jump|-g|--goto)\s{1,8}(?<target>[A-Za-z0-9_][\w.-]{0,63})/;
/** `iptables v1.8.7 (nf_tables):`, `ip6tables-restore v1.8.7 (nf_tables):`, `iptables v1.4.21:` */
const IPT_VERSION = /(?<tool>ip6?tables(?:-legacy|-nft)?(?:-restore|-save)?) v(?<version>\d{1,2}\.\d{1,2}(?:\.\d{1,3})?)(?: \((?<backend>legacy|nf_tables)\))?/;
const EXIT_STATUS = /exit status (?<exitStatus>-?\d{1,3})/;
/**
 * An iptables command that deletes, flushes, checks or lists (`-D`, `-X`, `-F`, `-C`, `-nL`...), then
 * a missing chain or target, or kube-proxy's cleanup of the chains of the modes it does not run
 * finding one still in use. Deleting what is not there is how firewalld's passthrough and Docker
 * clean up at every start (moby/libnetwork#2622); only adding a rule or chain (`-A`, `-I`, `-N`) to
 * a missing chain shows that chains are gone.
 */
const IPT_CLEANUP = /(?:^|[\s'"])(?:-[nvx]{0,3}[DXFCLSZ]|--(?:delete|delete-chain|flush|check|list|list-rules|zero))(?=[\s'"]|$)[^\n]{0,2000}?(?:No chain\/target\/match by that name|Couldn't load target)|cleanup\.go:\d{1,5}\][\s\S]{0,600}?CHAIN_DEL failed \(Device or resource busy\)/;
/**
 * A component checking or ensuring its own rules and failing: flannel's ensure loop (`Failed to ensure
 * iptables rules: error checking rule existence: ... running [iptables -t nat -C FLANNEL-POSTRTG ...]`),
 * kube-proxy's EnsureRule / EnsureChain (`Failed to ensure chain jumps`, `Failed to ensure that nat chain
 * PREROUTING jumps to KUBE-SERVICES: error checking rule: ...`). Its `-C` is no cleanup: the rule
 * or chain it keeps is gone and it cannot put it back.
 */
const COMPONENT_ENSURE = /Failed to ensure (?:iptables rules|chain (?:exists|jumps)|that (?:filter|nat|mangle|raw) chain)|[Ee]rror checking rule(?: existence)?:|failed to check rule existence/;
/** IPT_CLEANUP, but not a component failing to ensure its rules (COMPONENT_ENSURE): the `unless` of the entries that leave cleanups to log.iptables-cleanup-harmless */
const CLEANUP_NOT_ENSURE = new RegExp(String.raw`^(?![\s\S]{0,8192}?(?:${COMPONENT_ENSURE.source}))[\s\S]{0,8192}?(?:${IPT_CLEANUP.source})`);
/** a command on Swarm's routing-mesh chain (listing it, checking or deleting its rules, or a rule jumping to it) finding it or its rule gone */
const SWARM_INGRESS_CHECK = /DOCKER-INGRESS\b[^\n]{0,600}?(?:No chain\/target\/match by that name|Bad rule \(does a matching rule exist in that chain\?\))/;
/** the chain a cleanup found missing (or busy): the one it removes or lists, else the chain a deleted rule jumps to, else the one it deletes from */
const CLEANUP_CHAIN = [
  /Couldn't load target [`'"]?(?<chain>[A-Za-z0-9_][\w.-]{0,63})/,
  /CHAIN_DEL failed \([^)\n]{0,80}\): chain (?<chain>[A-Za-z0-9_][\w.-]{0,63})/,
  /(?:^|[\s'"])(?:-[nvx]{0,3}[XFLSZ]|--(?:delete-chain|flush|list|list-rules|zero))\s{1,8}(?<chain>[A-Za-z0-9_][\w.-]{0,63})/,
  /\s(?:-j|--jump|-g|--goto)\s{1,8}(?!(?:ACCEPT|DROP|REJECT|RETURN|QUEUE|NFQUEUE|MASQUERADE|DNAT|SNAT|REDIRECT|LOG|NFLOG|MARK|CONNMARK|TRACE|NOTRACK|CT|TCPMSS)\b)(?<chain>[A-Za-z0-9_][\w.-]{0,63})/,
  /(?:^|[\s'"])(?:-[DC]|--(?:delete|check))\s{1,8}(?!(?:INPUT|OUTPUT|FORWARD|PREROUTING|POSTROUTING)\b)(?<chain>[A-Za-z0-9_][\w.-]{0,63})/,
];
/** `line 10:` of an nf_tables restore error (`line 10: CHAIN_DEL failed (...)`), or `iptables-restore: line 10 failed` */
const RESTORE_LINE = /(?:-restore: line |Error occurred at line: )(?<line>\d{1,9})|\bline (?<line_2>\d{1,9}): [A-Z_]{3,24} failed/;

/** where a connection went, in the shapes clients print it; tried in order */
const PEER = [
  // Go's resolver: `lookup registry-1.docker.io on 10.0.2.3:53: read udp 10.0.2.15:44243->10.0.2.3:53: i/o timeout`:
  // the peer is the DNS server (UDP unless the text says otherwise), not the name looked up nor the local socket
  new RegExp(String.raw`lookup (?<lookup>${HOST}) on (?<host>${HOST}):(?<port>${PORT})\b(?::? (?:read|write|dial) (?<protocol>udp|tcp)[46]?)?`),
  // Go, a socket pair `local->peer`: `read tcp 10.244.1.5:51234->10.96.0.1:443: i/o timeout`
  new RegExp(String.raw`(?:(?<protocol>udp|tcp)[46]? )?(?<source>${HOST}):${PORT}->(?<host>${HOST}):(?<port>${PORT})\b`),
  // Go: `dial tcp 10.6.3.201:6443: connect: connection refused`
  new RegExp(String.raw`dial (?:tcp|udp)[46]? (?<host>${HOST}):(?<port>${PORT})\b`),
  // Go, unix socket: `dial unix /run/containerd/containerd.sock: connect: connection refused`
  /dial unix (?<socket>\/[^\s:]{1,200})/,
  // curl `Failed to connect to 10.0.0.1 port 80`, psql 14+ `connection to server at "db" (172.18.0.2), port 5432 failed`
  // (an IPv6 literal bare in both: psql `connection to server at "fdc4:f303:9324::254", port 5433 failed`, curl `Failed to connect to ::1 port 18081`)
  new RegExp(String.raw`(?:connect|connection) to (?:server at )?"?(?<host>${HOST}|${BARE6})"?(?: \((?<address>[0-9A-Fa-f:.]{2,45})\))?,? port (?<port>${PORT})\b`),
  // psql < 14, over its continuation lines: `on host "h" (10.0.0.5) and accepting\n\tTCP/IP connections on port 5432?`
  new RegExp(String.raw`on host "?(?<host>${HOST})"?(?: \((?<address>[0-9A-Fa-f:.]{2,45})\))? and accepting\s{1,8}TCP/IP connections on port (?<port>${PORT})\b`),
  // Python's socket address tuple: asyncio `Connect call failed ('10.0.0.5', 5432)`, IPv6 `('fd00::5', 5432, 0, 0)`
  new RegExp(String.raw`\('(?<host>${HOST}|${BARE6})', (?<port>${PORT})(?:, \d{1,10}, \d{1,10})?\)`),
  // the MySQL client `Can't connect to MySQL server on '10.0.0.5:3306' (111)` (older clients print no port), MariaDB's
  // `Can't connect to server on 'db' (115)`; the number is the socket error (111 refused, 110/115 timed out, 113 no route)
  new RegExp(String.raw`[Cc]onnect to (?:MySQL )?server on '(?<host>${HOST})(?::(?<port>${PORT}))?'`),
  // Python urllib3 / requests: `HTTPConnectionPool(host='mdt-api-products', port=8060): ... Connection refused`
  new RegExp(String.raw`host='(?<host>${HOST})', port=(?<port>${PORT})\b`),
  // busybox wget (musl): `wget: can't connect to remote host (10.42.0.17): Host is unreachable`
  new RegExp(String.raw`can't connect to remote host \((?<host>${HOST}|${BARE6})\)`),
  // psql < 14 on a local socket: `connections on Unix domain socket "/var/run/postgresql/.s.PGSQL.5432"?`
  /on Unix domain socket "(?<socket>[^"]{1,200})"/,
  // redis-cli `Could not connect to Redis at 127.0.0.1:6379`, node `ECONNREFUSED 127.0.0.1:27017`,
  // wget `Connecting to 127.0.0.1:5999... failed`, any host:port (not klog's `node.go:152`)
  new RegExp(String.raw`(?:^|[\s/"'(=@])(?<host>${HOST})(?<!\.(?:go|py|java|c|cc|cpp|h|rs|js|ts|rb|sh|pl)):(?<port>${PORT})(?!\d|:\d|-\d)`),
];

/** the firewall services that flush and reload rule sets */
const FIREWALL_SERVICE = /\b(?<service>firewalld|ip6tables|iptables|netfilter-persistent|ufw|Uncomplicated firewall|netfilter persistent configuration|nftables|Netfilter Tables)\b/;

/** A pattern without its named groups, to be joined with others (an `unless`): JavaScript refuses a group name twice in one pattern. */
function unnamed(re: RegExp): string {
  return re.source.replace(/\(\?<[A-Za-z_]\w*>/g, '(');
}

/**
 * Podman's network teardown finding the rules it added at the container's start gone, which only a
 * flush does (a firewall reload, `iptables -F`): a CNI chain `Chain 'CNI-…' does not exist`
 * (iptables-nft, podman#8048, podman#5335), `Couldn't load target `CNI-…'` (iptables-legacy,
 * podman#1431), netavark's `netavark: code: 1, msg: iptables: No chain/target/match by that name.`
 * (netavark#230). Only with Podman's own mark before it: the CNI network Podman names "podman" (the
 * rule's comment `name: "podman"`, ocicni's `CNI network "podman"`), or netavark: CRI-O's teardown
 * goes through the same ocicni wording for its own networks.
 */
const PODMAN_RULES_GONE =
  /(?:\bname: \\?"podman\\?"|CNI network \\?"podman\\?"|netavark: code: \d{1,3}, msg: )[^\n]{0,2000}?(?:Chain '(?<chain>[\w.-]{1,64})' does not exist|Couldn't load target [`'"]?(?<chain_2>[\w.-]{1,64})|No chain\/target\/match by that name)/;

/** what a Swarm node got from another it could not reach: a refusal, no answer, no route */
const UNREACHED = String.raw`(?:connection refused|i\/o timeout|no route to host|network is unreachable|host is unreachable)`;
/** dockerd relays memberlist's own log lines through logrus (libnetwork networkdb's logWriter): `msg="memberlist: …`, before Docker 18.06 with memberlist's date and level in it */
const DOCKERD_MEMBERLIST = String.raw`msg=\\?"(?:\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[[A-Z]{3,5}\] )?memberlist: `;
/**
 * Docker Swarm's own lines saying a node could not reach another on a Swarm port. The control plane's
 * gossip (libnetwork's networkdb over hashicorp/memberlist, 7946/tcp+udp): networkdb's `Failed to
 * join memberlist [IP] on retry: …` and `Error in joining gossip cluster : …`, its `Failed to send
 * gossip to IP: …`, memberlist's failed pings, push/pull and joins relayed through dockerd's logrus
 * (`msg="memberlist: Failed TCP fallback ping: read tcp …->10.0.109.151:7946: i/o timeout"`), and
 * memberlist finding TCP through but not UDP. The managers' API (2377/tcp): swarmkit's gRPC dial
 * (`rpc error: code = Unavailable … dial tcp 192.168.65.3:2377: connect: connection refused`,
 * `agent: session failed`). Only with a refusal, a timeout or no route: memberlist's `sendto: invalid
 * argument` (a full neighbour table) or `EOF` is no closed port. memberlist in other programs (Serf,
 * the Portainer agent, Grafana's and Loki's clustering) logs in its own format, not dockerd's.
 */
const SWARM_PEER_FAILED = new RegExp(
  String.raw`(?:Failed to join memberlist \[|Error in joining gossip cluster|Failed to send gossip to |${DOCKERD_MEMBERLIST})[^\n]{0,1200}?(?<symptom>${UNREACHED})` +
    String.raw`|${DOCKERD_MEMBERLIST}Was able to reach (?<peerName>[^\s"\\]{1,253}) via TCP but not (?<symptom_2>UDP)` +
    String.raw`|(?:rpc error: code = Unavailable|agent: session failed)[^\n]{0,1200}?dial tcp [\d.]{7,15}:2377\b[^\n]{0,80}?(?<symptom_3>${UNREACHED})`,
);
/** the peer's IPv4 address and port in a Swarm line: `dial tcp 192.192.0.2:7946`, a socket pair `10.0.101.134:59550->10.0.109.151:7946` */
const SWARM_PEER = /(?:dial tcp |->)(?<peer>\d{1,3}(?:\.\d{1,3}){3}):(?<port>\d{1,5})\b/;

/** Docker's Swarm ports (docs.docker.com, swarm tutorial) opened with ufw to one peer; the same as firewalld's docker-swarm service */
function ufwSwarm(): string[] {
  return [
    'ufw allow proto tcp from {peer} to any port 2377   # on the managers: the cluster API',
    'ufw allow proto tcp from {peer} to any port 7946',
    'ufw allow proto udp from {peer} to any port 7946',
    'ufw allow proto udp from {peer} to any port 4789   # VXLAN: overlay data',
    'ufw allow proto esp from {peer}   # encrypted overlays (--opt encrypted)',
  ];
}

function firewalldSwarm(): string[] {
  const rule = (what: string) => `firewall-cmd --permanent --add-rich-rule='rule family="ipv4" source address="{peer}" ${what} accept'`;
  return [
    `${rule('port port="2377" protocol="tcp"')}   # on the managers`,
    rule('port port="7946" protocol="tcp"'),
    rule('port port="7946" protocol="udp"'),
    rule('port port="4789" protocol="udp"'),
    `${rule('protocol value="esp"')}   # encrypted overlays`,
    'firewall-cmd --reload',
  ];
}

function iptablesSwarm(): string[] {
  return [
    'iptables -C INPUT -s {peer} -p tcp -m multiport --dports 2377,7946 -j ACCEPT 2>/dev/null || iptables -I INPUT -s {peer} -p tcp -m multiport --dports 2377,7946 -j ACCEPT',
    'iptables -C INPUT -s {peer} -p udp -m multiport --dports 7946,4789 -j ACCEPT 2>/dev/null || iptables -I INPUT -s {peer} -p udp -m multiport --dports 7946,4789 -j ACCEPT',
    'iptables -C INPUT -s {peer} -p esp -j ACCEPT 2>/dev/null || iptables -I INPUT -s {peer} -p esp -j ACCEPT   # encrypted overlays',
  ];
}

/**
 * Docker found no free subnet: libnetwork's ipam at start for docker0 (`could not find an available predefined
 * network`, 1.9-17.x), ElectInterfaceAddresses (`list bridge addresses failed: [PredefinedLocalScopeDefaultNetworks
 * List: [...]: ]no available network`, 17.x-20.10), and for a user network (`could not find an available,
 * non-overlapping IPv4 address pool among the defaults to assign to the network`), libnetwork 1.7-1.9's bridge driver
 * (`can't find an address range for interface "docker0"`, H72). Not `list bridge addresses failed:`
 * with another reason (a netlink error in a sandbox).
 */
const DOCKER_NO_POOL =
  /Could not find a free IP address range for interface|can't find an address range for interface|could not find an available predefined network|could not find an available, non-overlapping IPv[46] address pool|list bridge addresses failed: (?:PredefinedLocalScopeDefaultNetworks List: \[[^\]\n]{0,3000}\]: )?no available network/;

/**
 * iptables-nft's words when the kernel has no xtables module for an extension a rule uses:
 * `Warning: Extension set revision 0 not supported, missing kernel module?` (docker/for-linux#1521,
 * moby PR #49524 reproduces it by removing netfilter_xt_set.ko). The extension is the match or target
 * name the rule gives after -m / -j.
 */
const IPT_EXTENSION_UNSUPPORTED = /Extension (?<extension>[A-Za-z][\w-]{0,31}) revision (?<revision>\d{1,3}) not supported, missing kernel module\?/;
/** the extension, and the matches and target of the iptables command a message quotes (`-m set --match-set ...`) */
const IPT_MODULE_FACTS = [
  IPT_EXTENSION_UNSUPPORTED,
  /(?:^|\s)-m (?<match>[A-Za-z][\w-]{0,31})\b/,
];

/**
 * The kernel modules an iptables extension needs, by the extension's name (a match after -m, a target
 * after -j), as `modinfo` of Debian 12's kernel 6.1.0-50-amd64 names them (its aliases ipt_set,
 * ipt_conntrack ... and depends; test/fixtures/h13-logs/modinfo-6.1.0-50-amd64.txt): the module
 * that provides the extension first, then the ones it needs that modprobe does not load with it
 * (ip_set_hash_net: the hash:net sets Docker 28.0.0 creates; br_netfilter: bridged packets reach
 * iptables only with it, though xt_physdev does not depend on it). Every xtables module has the
 * alias ipt_<extension>, so an extension not listed here is loaded by `modprobe ipt_<extension>`.
 */
export const XT_EXTENSION_MODULES: Readonly<Record<string, readonly string[]>> = {
  set: ['xt_set', 'ip_set', 'ip_set_hash_net'],
  SET: ['xt_set', 'ip_set'],
  conntrack: ['xt_conntrack', 'nf_conntrack'],
  addrtype: ['xt_addrtype'],
  comment: ['xt_comment'],
  multiport: ['xt_multiport'],
  MASQUERADE: ['xt_MASQUERADE'],
  statistic: ['xt_statistic'],
  mark: ['xt_mark'],
  MARK: ['xt_mark'],
  physdev: ['xt_physdev', 'br_netfilter'],
  tcp: ['xt_tcpudp'],
  udp: ['xt_tcpudp'],
  state: ['xt_state', 'nf_conntrack'],
  connmark: ['xt_connmark'],
  CONNMARK: ['xt_connmark'],
  SNAT: ['xt_nat'],
  DNAT: ['xt_nat'],
  REDIRECT: ['xt_REDIRECT'],
  CT: ['xt_CT'],
  NOTRACK: ['xt_CT'],
  LOG: ['xt_LOG'],
  NFLOG: ['xt_NFLOG'],
  NFQUEUE: ['xt_NFQUEUE'],
  TCPMSS: ['xt_TCPMSS'],
  SECMARK: ['xt_SECMARK'],
  CHECKSUM: ['xt_CHECKSUM'],
  limit: ['xt_limit'],
  hashlimit: ['xt_hashlimit'],
  recent: ['xt_recent'],
  mac: ['xt_mac'],
  iprange: ['xt_iprange'],
  owner: ['xt_owner'],
  helper: ['xt_helper'],
};

/**
 * More extensions by their kernel module, as `modinfo` of the same Debian 12 kernel names them
 * (test/fixtures/h37/modinfo-6.1.0-50-amd64-extra.txt): xtables modules with the alias ipt_<extension>,
 * and REJECT, which is a module per family (ipt_REJECT; ip6tables' is ip6t_REJECT, XT_IP6_EXTENSION_MODULES)
 * with no ipt_REJECT alias, and rpfilter (ipt_rpfilter). Kept apart from XT_EXTENSION_MODULES, whose
 * first module always has the alias ipt_<extension>.
 */
export const XT_MORE_EXTENSION_MODULES: Readonly<Record<string, readonly string[]>> = {
  REJECT: ['ipt_REJECT'],
  rpfilter: ['ipt_rpfilter'],
  TPROXY: ['xt_TPROXY'],
  socket: ['xt_socket'],
  NETMAP: ['xt_NETMAP'],
  TRACE: ['xt_TRACE'],
  pkttype: ['xt_pkttype'],
  policy: ['xt_policy'],
  connlimit: ['xt_connlimit'],
  connbytes: ['xt_connbytes'],
  time: ['xt_time'],
  u32: ['xt_u32'],
  string: ['xt_string'],
  length: ['xt_length'],
  quota: ['xt_quota'],
  CLASSIFY: ['xt_CLASSIFY'],
  dscp: ['xt_dscp'],
  tos: ['xt_dscp'],
  DSCP: ['xt_DSCP'],
  TOS: ['xt_DSCP'],
  esp: ['xt_esp'],
  ecn: ['xt_ecn'],
  TEE: ['xt_TEE'],
  HMARK: ['xt_HMARK'],
  IDLETIMER: ['xt_IDLETIMER'],
  cgroup: ['xt_cgroup'],
  bpf: ['xt_bpf'],
  sctp: ['xt_sctp'],
  ttl: ['xt_hl'],
  TTL: ['xt_HL'],
  devgroup: ['xt_devgroup'],
  cpu: ['xt_cpu'],
  tcpmss: ['xt_tcpmss'],
  nfacct: ['xt_nfacct'],
  realm: ['xt_realm'],
  cluster: ['xt_cluster'],
  AUDIT: ['xt_AUDIT'],
  CONNSECMARK: ['xt_CONNSECMARK'],
};

/** ip6tables' module where it is not the xtables one (net/ipv6/netfilter: ip6t_REJECT) */
export const XT_IP6_EXTENSION_MODULES: Readonly<Record<string, readonly string[]>> = {
  REJECT: ['ip6t_REJECT'],
};

/**
 * The kernel configuration options that build an extension's module, from the kernel's
 * net/netfilter/Kconfig (the xtables matches and targets, the combined mark/MARK, connmark/CONNMARK,
 * set/SET and SNAT/DNAT modules) and net/ipv4/netfilter/Kconfig (IP_NF_TARGET_REJECT: ipt_REJECT;
 * IP_NF_MATCH_RPFILTER: ipt_rpfilter); tcp and udp are xt_tcpudp, built with x_tables itself
 * (net/netfilter/Makefile: obj-$(CONFIG_NETFILTER_XTABLES) += x_tables.o xt_tcpudp.o). Every option
 * is in Debian 12's kernel config (test/fixtures/h37/config-6.1.0-50-amd64-netfilter.txt).
 */
export const XT_EXTENSION_CONFIG: Readonly<Record<string, readonly string[]>> = {
  set: ['CONFIG_NETFILTER_XT_SET', 'CONFIG_IP_SET', 'CONFIG_IP_SET_HASH_NET'],
  SET: ['CONFIG_NETFILTER_XT_SET', 'CONFIG_IP_SET'],
  conntrack: ['CONFIG_NETFILTER_XT_MATCH_CONNTRACK'],
  addrtype: ['CONFIG_NETFILTER_XT_MATCH_ADDRTYPE'],
  comment: ['CONFIG_NETFILTER_XT_MATCH_COMMENT'],
  multiport: ['CONFIG_NETFILTER_XT_MATCH_MULTIPORT'],
  MASQUERADE: ['CONFIG_NETFILTER_XT_TARGET_MASQUERADE'],
  statistic: ['CONFIG_NETFILTER_XT_MATCH_STATISTIC'],
  mark: ['CONFIG_NETFILTER_XT_MARK'],
  MARK: ['CONFIG_NETFILTER_XT_MARK'],
  physdev: ['CONFIG_NETFILTER_XT_MATCH_PHYSDEV', 'CONFIG_BRIDGE_NETFILTER'],
  tcp: ['CONFIG_NETFILTER_XTABLES'],
  udp: ['CONFIG_NETFILTER_XTABLES'],
  state: ['CONFIG_NETFILTER_XT_MATCH_STATE'],
  connmark: ['CONFIG_NETFILTER_XT_CONNMARK'],
  CONNMARK: ['CONFIG_NETFILTER_XT_CONNMARK'],
  SNAT: ['CONFIG_NETFILTER_XT_NAT'],
  DNAT: ['CONFIG_NETFILTER_XT_NAT'],
  REDIRECT: ['CONFIG_NETFILTER_XT_TARGET_REDIRECT'],
  CT: ['CONFIG_NETFILTER_XT_TARGET_CT'],
  NOTRACK: ['CONFIG_NETFILTER_XT_TARGET_CT'],
  LOG: ['CONFIG_NETFILTER_XT_TARGET_LOG'],
  NFLOG: ['CONFIG_NETFILTER_XT_TARGET_NFLOG'],
  NFQUEUE: ['CONFIG_NETFILTER_XT_TARGET_NFQUEUE'],
  TCPMSS: ['CONFIG_NETFILTER_XT_TARGET_TCPMSS'],
  SECMARK: ['CONFIG_NETFILTER_XT_TARGET_SECMARK'],
  CHECKSUM: ['CONFIG_NETFILTER_XT_TARGET_CHECKSUM'],
  limit: ['CONFIG_NETFILTER_XT_MATCH_LIMIT'],
  hashlimit: ['CONFIG_NETFILTER_XT_MATCH_HASHLIMIT'],
  recent: ['CONFIG_NETFILTER_XT_MATCH_RECENT'],
  mac: ['CONFIG_NETFILTER_XT_MATCH_MAC'],
  iprange: ['CONFIG_NETFILTER_XT_MATCH_IPRANGE'],
  owner: ['CONFIG_NETFILTER_XT_MATCH_OWNER'],
  helper: ['CONFIG_NETFILTER_XT_MATCH_HELPER'],
  REJECT: ['CONFIG_IP_NF_TARGET_REJECT'],
  rpfilter: ['CONFIG_IP_NF_MATCH_RPFILTER'],
  TPROXY: ['CONFIG_NETFILTER_XT_TARGET_TPROXY'],
  socket: ['CONFIG_NETFILTER_XT_MATCH_SOCKET'],
  NETMAP: ['CONFIG_NETFILTER_XT_TARGET_NETMAP'],
  TRACE: ['CONFIG_NETFILTER_XT_TARGET_TRACE'],
  pkttype: ['CONFIG_NETFILTER_XT_MATCH_PKTTYPE'],
  policy: ['CONFIG_NETFILTER_XT_MATCH_POLICY'],
  connlimit: ['CONFIG_NETFILTER_XT_MATCH_CONNLIMIT'],
  connbytes: ['CONFIG_NETFILTER_XT_MATCH_CONNBYTES'],
  time: ['CONFIG_NETFILTER_XT_MATCH_TIME'],
  u32: ['CONFIG_NETFILTER_XT_MATCH_U32'],
  string: ['CONFIG_NETFILTER_XT_MATCH_STRING'],
  length: ['CONFIG_NETFILTER_XT_MATCH_LENGTH'],
  quota: ['CONFIG_NETFILTER_XT_MATCH_QUOTA'],
  CLASSIFY: ['CONFIG_NETFILTER_XT_TARGET_CLASSIFY'],
  dscp: ['CONFIG_NETFILTER_XT_MATCH_DSCP'],
  tos: ['CONFIG_NETFILTER_XT_MATCH_DSCP'],
  DSCP: ['CONFIG_NETFILTER_XT_TARGET_DSCP'],
  TOS: ['CONFIG_NETFILTER_XT_TARGET_DSCP'],
  esp: ['CONFIG_NETFILTER_XT_MATCH_ESP'],
  ecn: ['CONFIG_NETFILTER_XT_MATCH_ECN'],
  TEE: ['CONFIG_NETFILTER_XT_TARGET_TEE'],
  HMARK: ['CONFIG_NETFILTER_XT_TARGET_HMARK'],
  IDLETIMER: ['CONFIG_NETFILTER_XT_TARGET_IDLETIMER'],
  cgroup: ['CONFIG_NETFILTER_XT_MATCH_CGROUP'],
  bpf: ['CONFIG_NETFILTER_XT_MATCH_BPF'],
  sctp: ['CONFIG_NETFILTER_XT_MATCH_SCTP'],
  ttl: ['CONFIG_NETFILTER_XT_MATCH_HL'],
  TTL: ['CONFIG_NETFILTER_XT_TARGET_HL'],
  devgroup: ['CONFIG_NETFILTER_XT_MATCH_DEVGROUP'],
  cpu: ['CONFIG_NETFILTER_XT_MATCH_CPU'],
  tcpmss: ['CONFIG_NETFILTER_XT_MATCH_TCPMSS'],
  nfacct: ['CONFIG_NETFILTER_XT_MATCH_NFACCT'],
  realm: ['CONFIG_NETFILTER_XT_MATCH_REALM'],
  cluster: ['CONFIG_NETFILTER_XT_MATCH_CLUSTER'],
  AUDIT: ['CONFIG_NETFILTER_XT_TARGET_AUDIT'],
  CONNSECMARK: ['CONFIG_NETFILTER_XT_TARGET_CONNSECMARK'],
  ipvs: ['CONFIG_NETFILTER_XT_MATCH_IPVS'],
  LED: ['CONFIG_NETFILTER_XT_TARGET_LED'],
};

/** ip6tables' option where it is not the xtables one (net/ipv6/netfilter/Kconfig) */
export const XT_IP6_EXTENSION_CONFIG: Readonly<Record<string, readonly string[]>> = {
  REJECT: ['CONFIG_IP6_NF_TARGET_REJECT'],
};

/**
 * The names of the xtables extensions the tables above know: iptables refuses a chain of such a name
 * (`-N REJECT`: it clashes with the target), so `Couldn't load target `REJECT'` is the kernel lacking the
 * extension's module, never a chain that is missing.
 */
export const XT_KNOWN_EXTENSIONS: readonly string[] = [...new Set([...Object.keys(XT_EXTENSION_MODULES), ...Object.keys(XT_MORE_EXTENSION_MODULES), ...Object.keys(XT_EXTENSION_CONFIG)])];

/**
 * legacy iptables' words for an extension the kernel cannot give it (k3s-io/k3s#10099: `iptables-restore v1.8.7 (legacy):
 * Couldn't load target `REJECT':No such file or directory` on a kernel built without CONFIG_IP_NF_TARGET_REJECT): a known
 * extension's name, not a chain's
 */
const byLength = (names: string[]) => names.sort((a, b) => b.length - a.length).join('|');
// targets are named in capitals (REJECT, MASQUERADE), matches in lower case (recent, comment): a missing chain named
// `policy` or `time` that a rule jumps to is `Couldn't load target`, and stays a chain
const IPT_EXTENSION_NOT_LOADED = new RegExp(
  String.raw`Couldn't load (?<kind>match) [\x60'"]?(?<extension_2>${byLength(XT_KNOWN_EXTENSIONS.filter((e) => /^[a-z]/.test(e)))})(?![\w.-])` +
    String.raw`|Couldn't load (?<kind_2>target) [\x60'"]?(?<extension_3>${byLength(XT_KNOWN_EXTENSIONS.filter((e) => /^[A-Z]/.test(e)))})(?![\w.-])`,
);

/**
 * Interfaces of containers and pods, as a kernel LOG line names them: Docker's bridges, the bridge CNI's
 * cni0 / kubenet's cbr0, Podman's, flannel's, Calico's (cali*, its VXLAN and IP-in-IP devices), Weave's,
 * kube-router's, Cilium's and LXC's, and the veths of them all.
 */
export const CONTAINER_ITF = String.raw`(?:docker0|docker_gwbridge|br-[0-9a-f]{12}|cni0|cbr0|cni-podman\d{1,4}|podman\d{1,4}|flannel\.\d{1,5}|flannel-wg|flannel-v6\.\d{1,5}|cali[0-9a-f]{11}|vxlan\.calico|vxlan-v6\.calico|tunl0|weave|vethwe-[\w.-]{1,9}|kube-bridge|cilium_[\w.-]{1,9}|lxc[\w.-]{1,12}|veth[\w.-]{1,11})`;
/**
 * The prefix a firewall manager's LOG rule gives a packet it rejects or drops: firewalld's LogDenied (nftables
 * back end `filter_IN_public_REJECT: `, `filter_FWD_public_REJECT: `, 0.6-0.9's `filter_FWDI_public_DROP: `;
 * iptables back end `IN_public_REJECT: `, `FWDI_public_DROP: `, and its catch-all `FINAL_REJECT: `), ufw's
 * `[UFW BLOCK] `, and ufw-docker's `[UFW DOCKER BLOCK] ` (chaifeng/ufw-docker's after.rules: its
 * ufw-docker-logging-deny chain, which DOCKER-USER sends new connections from outside the private ranges to).
 */
const FIREWALL_LOG_PREFIX = String.raw`(?:(?:(?<prefix>(?:filter_)?(?<hook>IN|FWD|FWDI|FWDO|OUT)_(?<zone>[A-Za-z0-9][\w.+-]{0,30}?)_(?<verdict>REJECT|DROP))|(?<prefix_2>FINAL_REJECT)): ?|\[(?<prefix_3>UFW (?:DOCKER )?BLOCK)\] ?)`;

/**
 * BIRD's own lines in calico-node's log about one of Calico's BGP sessions, named by Calico's templates
 * `Mesh_<peer>` (the node-to-node mesh), `Node_<peer>` and `Global_<peer>` (BGPPeer resources), the
 * peer's address with `_` for `.`: the socket failing (`bird: Mesh_10_0_5_102: Socket error: bind:
 * Address not available`, projectcalico/calicoctl#819; `Socket error: bind: Address in use`,
 * projectcalico/node#522), the TCP connection to the peer failing (`bird: Mesh_…: Connection lost
 * (Connection refused)`, bgp_sock_err as projectcalico/calico#9597 quotes it), the peer ending the
 * session with a NOTIFICATION that says it does not take ours (`Received: Connection rejected`: it has no
 * peer of our address; `Hold timer expired`; a bad AS or router ID), and a connection from an address
 * no peer has (`bird: BGP: Unexpected connect from unknown address 10.40.0.0 (port 39193)`,
 * projectcalico/calicoctl#1071). Not `State changed to start` / `Connection closed` / `Connect delayed`:
 * every session passes through them on its way up.
 */
const CALICO_BIRD_FAILED =
  /\bbird: (?<birdProtocol>(?:Mesh|Node|Global)_[0-9A-Za-z_]{1,80}): (?:Socket error: (?<birdError>[^\n]{1,160})|Connection lost \((?<birdError_2>Connection refused|No route to host|Connection timed out|Network is unreachable|Connection reset by peer|Host is unreachable)\)|Received: (?<birdError_3>Connection rejected|Hold timer expired|Bad peer AS|Bad BGP identifier))|\bbird: BGP: Unexpected connect from unknown address (?<unknownAddress>[0-9A-Fa-f.:]{2,45})/;

/** the lines a firewall manager logs, with the interfaces: `<prefix>IN=<in> OUT=<out>` */
const FIREWALL_LITERALS = ['_REJECT: IN=', '_DROP: IN=', '_REJECT:IN=', '_DROP:IN=', '[UFW BLOCK] IN=', '[UFW DOCKER BLOCK] IN='];
/** a firewall manager's line whose way in or out is a container's or a pod's interface */
const FIREWALL_CONTAINER_LINE = new RegExp(String.raw`${FIREWALL_LOG_PREFIX}IN=(?:(?<in>${CONTAINER_ITF}) OUT=(?<out>[\w.@-]{0,16})(?=\s|$)|(?<in_2>[\w.@-]{0,16}) OUT=(?<out_2>${CONTAINER_ITF})(?=\s|$))`);
/**
 * H95 (R29 06, 07): a LOG rule of the host's own (a prefix no firewall manager writes) whose prefix says the packet is
 * dropped or rejected, on a container's or pod's interface: puppet-nftables' `[nftables] FORWARD Rejected: IN=br-ea660202f5a0
 * OUT=eth0 ...` (voxpupuli/puppet-nftables#114), a hand-written nftables.conf's `NFTABLES IPv4 FORWARD DROP - IN=docker0
 * OUT=eno1 ...` (oniGino/docker-nftables-scripts#1). The drop word in any case, anywhere in the prefix (`FW-DROP-FWD:`,
 * `[DROPPED]`); not ACCEPT / ALLOW / AUDIT prefixes nor one without such a word (`IPT-INPUT:`). The prefix starts after
 * the kernel's own head (`kernel: `, `[  216.304748] `) or at the line's start. Calico's own policy logs (`calico-drop:`,
 * `calico-packet:`, Felix's LogPrefix) are its network policy's, not the host firewall's.
 */
const DROP_WORD = String.raw`(?<![A-Za-z])(?:[Dd][Rr][Oo][Pp](?:[Pp][Ee][Dd])?|[Rr][Ee][Jj][Ee][Cc][Tt](?:[Ee][Dd])?|[Bb][Ll][Oo][Cc][Kk](?:[Ee][Dd])?|[Dd][Ee][Nn](?:[Yy]|[Ii][Ee][Dd]))(?![A-Za-z])`;
const OWN_LOG_HEAD = String.raw`(?:\bkernel: (?:\[\s{0,8}\d{1,8}\.\d{1,9}\] ?)?|^\s{0,8}\[\s{0,8}\d{1,8}\.\d{1,9}\] ?|^\s{0,8})`;
/**
 * H98 (R31 c03): a word in the prefix that says the packet is let through or only watched (`ACCEPT-not-DROP:`,
 * `[UFW AUDIT]`, `ALLOWED`, `PASS`, `LOG-ONLY`), in any case: a prefix holding one of these is no drop, whatever drop
 * word it also holds.
 */
const NOT_DROP_WORD = String.raw`(?<![A-Za-z])(?:[Aa][Cc][Cc][Ee][Pp][Tt](?:[Ee][Dd])?|[Aa][Ll][Ll][Oo][Ww](?:[Ee][Dd])?|[Aa][Uu][Dd][Ii][Tt](?:[Ee][Dd])?|[Pp][Aa][Ss][Ss](?:[Ee][Dd])?|[Ll][Oo][Gg][-_ ]?[Oo][Nn][Ll][Yy])(?![A-Za-z])`;
const OWN_LOG_LINE = new RegExp(
  String.raw`${OWN_LOG_HEAD}(?!calico-|[^=\n]{0,140}?${unnamed(new RegExp(FIREWALL_LOG_PREFIX))}IN=|(?:(?!kernel: )[^=\n]){0,140}?${NOT_DROP_WORD}(?:(?!kernel: )[^=\n]){0,140}?\bIN=)(?<ownPrefix>(?:[^\s=](?:(?!kernel: )[^=\n]){0,80}?)?${DROP_WORD}(?:(?!kernel: )[^=\n]){0,60}?)\s?IN=(?:(?<in_3>${CONTAINER_ITF}) OUT=(?<out_3>[\w.@-]{0,16})(?=\s|$)|(?<in_4>[\w.@-]{0,16}) OUT=(?<out_4>${CONTAINER_ITF})(?=\s|$))`,
);
/**
 * Literals of OWN_LOG_LINE, case-sensitive (the kernel writes IN=, OUT=, PHYSIN= in capitals, interface names as they
 * are), none shorter than the catalog's others and none ending in bytes common in logs: the first try (lower-case, 8
 * bytes, `in=docker`) made the whole log scan twice as slow on the bench's 230 MB log (240 against 105 ms per 100 MB). A container's or pod's
 * interface as the LOG line names it; a name that ends there with the space after it (`OUT=cni0 `); br-<id> going out,
 * after the last character of the interface it came in by; a bridged container's `PHYSIN=veth`, which also covers its
 * bridge on the way in (`IN=br-<id> ... PHYSIN=veth...`, `IN=docker0 ... PHYSIN=`).
 */
const OWN_LOG_LITERALS = [
  'PHYSIN=veth',
  // fixed names, and podman's / flannel's first few numbered ones, with what follows them on the line: a literal's last
  // bytes are what the scan hashes, and `docker` alone is in every dockerd line
  ...['docker0', 'docker_gwbridge', 'cni0', 'cbr0', 'tunl0', 'weave', 'kube-bridge', 'vxlan.calico', 'vxlan-v6.calico', 'flannel-wg', ...[0, 1, 2, 3].flatMap((n) => [`podman${n}`, `cni-podman${n}`, `flannel.${n}`, `flannel-v6.${n}`])].flatMap((name) => [`IN=${name} OUT=`, ...['MAC=', 'SRC=', 'PHYS'].map((next) => `OUT=${name} ${next}`)]),
  ' OUT=cali',
  ' OUT=veth',
  ' OUT=cilium_',
  ' OUT=vethwe-',
  ...[': ', '] ', '- '].flatMap((end) => [`${end}IN=cali`, `${end}IN=veth`]),
  ...'0123456789abcdefghijklmnopqrstuvwxyz'.split('').map((c) => `${c} OUT=br-`),
];
/** a private (RFC 1918, shared 100.64/10) IPv4 address, or an IPv6 ULA (fc00::/7): where pods and containers are numbered */
const PRIVATE_ADDRESS = String.raw`(?:10(?:\.\d{1,3}){3}|172\.(?:1[6-9]|2\d|3[01])(?:\.\d{1,3}){2}|192\.168(?:\.\d{1,3}){2}|100\.(?:6[4-9]|[7-9]\d|1[01]\d|12[0-7])(?:\.\d{1,3}){2}|f[cdCD][0-9A-Fa-f]{0,2}:[0-9A-Fa-f:]{1,40})`;
/**
 * The same lines where neither interface is a container's (the uplink: flannel host-gw, Calico's routed
 * mode, a pod on another node reaching a service of this host) but one address is private: whether that
 * address is in a pod or container subnet is for the analyzer to tell, from the node's own artifacts.
 */
const FIREWALL_PRIVATE_LINE = new RegExp(
  String.raw`${FIREWALL_LOG_PREFIX}IN=(?<in>[\w.@-]{0,16}) OUT=(?<out>[\w.@-]{0,16})(?=\s|$)[^\n]{0,300}?\bSRC=(?:(?<src>${PRIVATE_ADDRESS}) DST=(?<dst>[0-9A-Fa-f.:]{2,45})|(?<src_2>[0-9A-Fa-f.:]{2,45}) DST=(?<dst_2>${PRIVATE_ADDRESS}))(?=\s|$)`,
);
/** what a firewall line tells beside its interfaces: the protocol, the port, the TCP flags */
const FIREWALL_PACKET = [
  /\bPROTO=(?<proto>[A-Za-z0-9]{1,10})/,
  /\bDPT=(?<dpt>\d{1,5})\b/,
  // the TCP flags between RES= and URGP=: `RES=0x00 SYN URGP=0`, `RES=0x00 ACK FIN URGP=0`
  /\bRES=0x[0-9A-Fa-f]{2} (?<flags>(?:(?:CWR|ECE|URG|ACK|PSH|RST|SYN|FIN) ){0,8})URGP=/,
];

/**
 * A command as a shell prompt or a documentation page shows it, not something a program logged: the
 * line starts (after indentation) with the prompt `# ` or `$ `, `user@host:~$ `, `[root@host ~]# `.
 * In a terminal transcript it ran (containers/podman#8048: `$ firewall-cmd --reload`, then Podman's
 * error); in OpenShift's documentation pasted into a ticket (`# systemctl restart iptables.service`,
 * seed 000) it is what to type (reviewer R13 #10). The line alone cannot tell which: findings made only
 * of such lines say so. A syslog, journal or klog line starts with its time.
 */
export const PROMPT_LINE = new RegExp(String.raw`${PROMPT_HEAD}[ \t]`);

/**
 * A sentence that quotes a program's message in typographic quotes (“…”), or a speaker's turn of a ticket
 * (`Customer: ...`, `Vendor: ...`): prose a word processor or a web page wrote, not the program's log
 * (seed 002: `Customer: The app won’t start. It says “Error waiting for ports to enter listening state”.`).
 */
export const PROSE_QUOTE = /^\s{0,8}(?:Customer|Vendor|Support|Agent|User|Client|Engineer|Me|Q|A):\s|“[^”\n]{1,300}”/;

/** connection failures another entry says more of: Docker Swarm's (the Swarm ports), BIRD's (Calico's BGP peers) */
const NOT_CLIENT_LINE = new RegExp(`${unnamed(SWARM_PEER_FAILED)}|${unnamed(CALICO_BIRD_FAILED)}`);
/** NOT_CLIENT_LINE, and a TCP probe of a UDP-only tunnel port (log.tcp-probe-of-udp-port): not a refused or unanswered service */
const NOT_SERVICE_PROBE = new RegExp(`${NOT_CLIENT_LINE.source}|${unnamed(UDP_TUNNEL_TCP_PROBE)}`);

/** RootlessKit running another rootless daemon than dockerd: containerd for nerdctl, BuildKit (R8's F2). */
export const OTHER_ROOTLESS_DAEMON = /containerd-rootless|buildkitd|buildkit-rootless|rootlesskit-buildkit/;

export const SIGNATURES: readonly LogSignature[] = [
  // ---- iptables: rules a component expects are gone --------------------------------------
  {
    id: 'log.iptables-no-chain',
    literals: ['No chain/target/match by that name'],
    pattern: /No chain\/target\/match by that name/,
    // deleting or checking what is not there is the cleanup at every start (log.iptables-cleanup-harmless),
    // unless the check is a component ensuring its rules (flannel, kube-proxy): then they are gone.
    // Podman's teardown finding its rules gone is log.podman-rules-flushed.
    unless: new RegExp(`${CLEANUP_NOT_ENSURE.source}|${unnamed(PODMAN_RULES_GONE)}`),
    // dockerd says `iptables failed: ip6tables --wait -t nat -A DOCKER ...` for its IPv6 rules
    extract: [IPT_TABLE, IPT_CHAIN, IPT_TARGET, /(?<tool>ip6?tables(?:-legacy|-nft)?-restore): line (?<line>\d{1,9}) failed/, /\b(?<ip6tool>ip6tables)(?:-legacy|-nft)?\b/],
    meaning: 'A component could not add (or, ensuring its rules, check) a rule: its chain, or the chain it jumps to, does not exist: the chains were flushed, by iptables.service, iptables-restore.service or firewalld (re)starting or by iptables --flush.',
    supports: ['iptables.docker-chain-missing', 'iptables.kube-chains-missing', 'flannel.masquerade-missing', 'iptables.service-conflict'],
    severity: 'warning',
    title: 'A component could not change its iptables rules: chain missing',
    advice: 'See which chain is gone (iptables -S and iptables -t nat -S; ip6tables when the failing command was ip6tables: the IPv4 chains may be intact) and restart the component that owns it (docker for DOCKER chains; this restarts its containers).',
    commands: ['{ip6tool} -S; {ip6tool} -t nat -S   # the failing command was ip6tables: look at the IPv6 chains'],
  },
  {
    id: 'log.docker-port-programming-failed',
    literals: ['driver failed programming external connectivity'],
    pattern: /driver failed programming external connectivity on endpoint (?<endpoint>[^\s()]{1,128})/,
    // the host port is taken: another process holds it, Docker's rules are fine (log.docker-port-conflict)
    unless: /Error starting userland proxy:[^\n]{0,200}?bind: address already in use|Bind for [^\n]{1,100}? failed: port is already allocated/,
    extract: [IPT_TABLE, IPT_CHAIN, IPT_TARGET, /--dport (?<port>\d{1,5})\b/, /--to-destination (?<destination>[\d.]{7,15}:\d{1,5}|\[[0-9A-Fa-f:]{2,45}\]:\d{1,5})/],
    meaning: 'docker run -p could not add the NAT and filter rules that publish the port, usually because Docker\'s chains were flushed.',
    supports: ['iptables.docker-chain-missing'],
    // iptables' words for the failed rule inside Docker's message (kata-containers/tests#4617, moby/moby#26494)
    explains: ['log.iptables-no-chain'],
    severity: 'warning',
    title: 'Docker could not publish a container port',
    advice: 'Check that the DOCKER chains exist in the filter and nat tables; restarting docker recreates them (and restarts every container).',
  },
  {
    id: 'log.docker-port-conflict',
    literals: ['port is already allocated', 'Error starting userland proxy'],
    // docker-proxy cannot listen (`listen tcp4 0.0.0.0:5432: bind: address already in use`), or Docker's own
    // port allocator has the port (`Bind for 0.0.0.0:443 failed: port is already allocated`)
    pattern: /Error starting userland proxy:[^\n]{0,100}?listen (?:tcp|udp)[46]? (?<address>\[[0-9A-Fa-f:.]{2,45}\]|[\d.]{7,15}|[0-9A-Fa-f:]{2,45}):(?<port>\d{1,5}): bind: address already in use|Bind for (?<address_2>\[[0-9A-Fa-f:.]{2,45}\]|[\d.]{7,15}|[0-9A-Fa-f:]{2,45}):(?<port_2>\d{1,5}) failed: port is already allocated/,
    extract: [/on endpoint (?<endpoint>[^\s()]{1,128})/],
    meaning: 'A container could not publish its port: another process (or another container) already holds that host port. Docker\'s iptables chains are not the cause; the container did not start.',
    supports: [],
    severity: 'warning',
    title: 'Docker could not publish a container port: the host port is taken',
    advice: 'Find what holds the port and stop it, or publish the container on another host port (-p <free port>:<container port>); restarting docker does not help.',
    commands: ["ss -ltnp 'sport = :{port}'   # the process that holds the port", 'docker ps --filter publish={port}   # or a container that publishes it'],
  },
  {
    // firewalld/firewalld#503, moby/libnetwork#947: on a Swarm node, firewalld's journal
    // `WARNING: COMMAND_FAILED: '/usr/sbin/iptables -w2 -t nat -nL DOCKER-INGRESS' failed: iptables: No chain/target/match by that name.`
    // and `... -t filter -C DOCKER-INGRESS -j RETURN' failed: iptables: Bad rule (does a matching rule exist in that chain?).`:
    // Docker's checks of Swarm's routing-mesh chain through firewalld's passthrough. Adding to the chain failing
    // (`-A DOCKER-INGRESS`, `-I DOCKER-INGRESS`) stays log.iptables-no-chain.
    id: 'log.docker-ingress-chain-missing',
    literals: ['DOCKER-INGRESS'],
    pattern: SWARM_INGRESS_CHECK,
    unless: /(?:^|[\s'"])(?:-[AI]|--(?:append|insert))\s{1,8}DOCKER-INGRESS\b/,
    extract: [IPT_TABLE, /(?<chain>DOCKER-INGRESS)/],
    meaning:
      "An iptables command on Swarm's routing-mesh chain DOCKER-INGRESS found the chain, or its RETURN rule, not there. Docker checks its Swarm chains this way (through firewalld's passthrough where firewalld runs) whenever it sets up the ingress network, so these lines also appear at a healthy start; after a firewall-cmd --reload or a firewalld restart they mean the reload removed Swarm's ingress chains, which Docker before 29.0 does not put back (moby#50443): published Swarm service ports stop answering on this node until dockerd restarts.",
    supports: [],
    severity: 'info',
    title: "Swarm's ingress chain DOCKER-INGRESS was not there",
    advice:
      "Check that DOCKER-INGRESS is in the nat and filter tables now. If it is missing (published Swarm service ports do not answer on this node), restart docker: it creates Swarm's ingress chains again (this restarts its containers). Where firewalld runs, do that after every firewall-cmd --reload until Docker is 29.0 or later.",
    commands: ["iptables -t nat -S DOCKER-INGRESS; iptables -S DOCKER-INGRESS   # Swarm's ingress chains: 'No chain' means the routing mesh is down on this node"],
  },
  {
    id: 'log.iptables-bad-rule',
    literals: ['Bad rule (does a matching rule exist in that chain?)'],
    pattern: /Bad rule \(does a matching rule exist in that chain\?\)/,
    // a check of Swarm's ingress chain: log.docker-ingress-chain-missing
    unless: SWARM_INGRESS_CHECK,
    extract: [IPT_TABLE, IPT_CHAIN, IPT_TARGET],
    meaning: 'A component tried to delete a rule that was no longer there: someone else removed or replaced its rules.',
    supports: ['iptables.service-conflict'],
    severity: 'info',
    title: 'A component found its iptables rules already removed',
    advice: 'Look for a firewall service or script that rewrites the rules of other components.',
  },
  {
    id: 'log.iptables-cleanup-harmless',
    literals: ['No chain/target/match by that name', "Couldn't load target", 'CHAIN_DEL failed', 'Failed to execute iptables-restore'],
    pattern: IPT_CLEANUP,
    // flannel's or kube-proxy's check of a rule it keeps (`-C` in its ensure loop) failing is no cleanup (log.iptables-no-chain),
    // nor is Podman's teardown of rules it added at the container's start (log.podman-rules-flushed), nor a check of
    // Swarm's ingress chain (log.docker-ingress-chain-missing: a firewalld reload takes it)
    unless: new RegExp(`${COMPONENT_ENSURE.source}|${unnamed(PODMAN_RULES_GONE)}|${SWARM_INGRESS_CHECK.source}`),
    extract: [...CLEANUP_CHAIN, IPT_TABLE, IPT_VERSION, RESTORE_LINE],
    // kube-proxy's `err=<` goes on over indented lines
    continues: true,
    meaning:
      "A component deleted, flushed, checked or listed an iptables rule or chain that is not there (firewalld's passthrough and Docker do so at every start, moby/libnetwork#2622), or kube-proxy, removing the chains of the proxy modes it does not run, found one still in use (CHAIN_DEL: Device or resource busy). Normal: it does not mean the rules were flushed.",
    supports: [],
    severity: 'info',
    title: 'iptables cleanup found a chain missing or in use (harmless)',
    advice: "Nothing to fix for these lines. Chains are missing only when adding a rule fails (-A, -I: log.iptables-no-chain); if containers cannot be reached, check Docker's chains.",
    commands: ['iptables -t nat -S DOCKER; iptables -S DOCKER   # only if containers cannot be reached: Docker\'s chains'],
  },
  {
    id: 'log.iptables-trace',
    literals: ['TRACE: raw:', 'TRACE: mangle:', 'TRACE: nat:', 'TRACE: filter:', 'TRACE: security:'],
    pattern: /TRACE: (?<table>raw|mangle|nat|filter|security):(?<chain>[\w.-]{1,64}):(?<kind>rule|return|policy):(?<rule>\d{1,6})/,
    meaning: 'The kernel logs packets hitting a TRACE rule: a debugging session left TRACE rules in the raw table.',
    supports: ['iptables.trace-rules-left'],
    severity: 'warning',
    title: 'iptables TRACE output in the kernel log',
    advice: 'Remove the TRACE rules from the raw table once debugging is over.',
    commands: ['iptables -t raw -S | grep TRACE   # the TRACE rules left'],
  },
  {
    id: 'log.xtables-lock',
    literals: ['xtables lock'],
    // Only a command that gave up counts: without -w (`Perhaps you want to use the -w option?`), after its
    // -w time (`Stopped waiting after 5s`), or one an error reports with its exit status. With -w, iptables
    // reports that it waits (`; still 4s 910000us time ahead to have a chance to grab the lock...`,
    // `; waiting (1s) for it to exit...`) and then goes on: not a failure (kubernetes#85771).
    pattern: /Another app is currently holding the xtables lock\. ?(?:Perhaps you want to use the -w option|Stopped waiting after)|exit status \d{1,3}[:( ]{1,3}Another app is currently holding the xtables lock|(?:[Ff]ailed to|[Uu]nable to|[Cc]ould ?n[o']t|[Cc]annot) (?:acquire|grab|get|obtain) (?:the )?xtables lock/,
    extract: [/Stopped waiting after (?<waited>\d{1,5}s)/, EXIT_STATUS],
    meaning: 'Several writers contend for the iptables lock (many components, or a TRACE flood eating the CPU); rule updates are delayed or fail.',
    supports: ['iptables.trace-rules-left'],
    // kube-router#1057: `Failed to run iptables-restore: exit status 4 (Another app is currently holding the xtables lock...`
    explains: ['log.iptables-restore-failed'],
    severity: 'warning',
    title: 'iptables lock contention',
    advice: 'Look for TRACE rules and for components calling iptables in a loop; make callers wait for the lock (iptables --wait).',
  },

  // ---- iptables: version, back end or kernel mismatch -----------------------------------
  {
    id: 'log.iptables-restore-failed',
    literals: ['tables-restore: line', 'Error occurred at line', 'Failed to execute iptables-restore', 'Failed to run iptables-restore', 'iptables-restore failed'],
    pattern: /ip6?tables(?:-legacy|-nft)?-restore: line \d{1,9} failed|Error occurred at line: \d{1,9}|Failed to (?:execute|run) ip6?tables-restore|ip6?tables-restore failed/,
    // kube-proxy removing the chains of the modes it does not run (log.iptables-cleanup-harmless)
    unless: CLEANUP_NOT_ENSURE,
    extract: [RESTORE_LINE, IPT_VERSION, EXIT_STATUS],
    continues: true,
    meaning:
      "A component could not load its rule set, and iptables-restore applies all of it or nothing: the line number points at the rule the local iptables could not read or apply (a chain or extension this host lacks, an option this iptables does not know, or a rule the component's iptables writes differently from the host's).",
    supports: ['iptables.mixed-backends', 'iptables.kube-firewall-corrupted'],
    severity: 'warning',
    title: 'iptables-restore fails',
    // the analyzer adds the back-end advice only where the bundle shows the two back ends (R15: k3s-io/k3s#9243, #10099 needed a kernel module)
    advice:
      "Read the error iptables-restore printed with it (the lines after the failure: the rule at that line, the chain, extension or option it names) and fix that; compare iptables -V on the host and in the component's image where the component brings its own iptables.",
  },
  {
    id: 'log.iptables-couldnt-load-match',
    literals: ["Couldn't load match", "Couldn't load target"],
    pattern: /Couldn't load (?<kind>match|target) [`'"]?(?<module>[\w.-]{1,64})/,
    // a delete or check of a rule that jumps to a chain not there (yet): log.iptables-cleanup-harmless; a known
    // extension (REJECT, recent, MASQUERADE...), which no chain can be named: log.iptables-module-missing
    unless: new RegExp(`${CLEANUP_NOT_ENSURE.source}|${unnamed(IPT_EXTENSION_NOT_LOADED)}`),
    extract: [IPT_VERSION],
    meaning: 'iptables does not know a match or target the rule uses: a kernel module is missing, the component runs another iptables version, or (target) the chain it jumps to does not exist.',
    supports: ['iptables.mixed-backends', 'iptables.docker-chain-missing'],
    severity: 'warning',
    title: 'iptables cannot load a match or target',
    advice: 'If the name is a chain (DOCKER...), recreate it by restarting its owner; otherwise align iptables versions and load the kernel module.',
  },
  {
    // iptables-nft 1.8's warning when the kernel lacks the xtables module of an extension the rule uses; the
    // command then fails (`RULE_INSERT failed (No such file or directory)`, exit status 4: docker/for-linux#1521)
    id: 'log.iptables-module-missing',
    // iptables-nft's warning, or legacy iptables' `Couldn't load target `REJECT'` for a known extension (k3s-io/k3s#10099)
    literals: ['missing kernel module?', "Couldn't load match", "Couldn't load target", 'unable to initialize table'],
    // H54: legacy iptables(-restore)'s `unable to initialize table 'nat'` (istio/istio#23009): the table's module
    pattern: new RegExp(`${IPT_EXTENSION_UNSUPPORTED.source}|${IPT_EXTENSION_NOT_LOADED.source}|${IPT_TABLE_INIT.source}`),
    extract: [IPT_TABLE, IPT_CHAIN, IPT_VERSION, /(?:^|\s)-m (?<match>[A-Za-z][\w-]{0,31})\b/],
    meaning: 'iptables could not use an extension a rule needs because the running kernel has no module for it (not loaded, not installed for this kernel, or not built): the rule is not added, and the program that adds it fails.',
    // no back-end or version mismatch: a finding of its own, whose fix is the module
    supports: [],
    severity: 'warning',
    title: 'iptables: a kernel module is missing',
    // the failed restore it makes (kube-proxy's `Failed to execute iptables-restore`, k3s-io/k3s#9243, #10099) is this failure
    explains: ['log.iptables-restore-failed'],
    // the analyzer names the modules of the extension (XT_EXTENSION_MODULES) and gives their commands
    advice: 'Load the kernel module of the extension the line names (modprobe xt_<extension>); where modprobe cannot find it, install the kernel\'s extra modules or reboot into the kernel whose modules are installed.',
  },
  {
    id: 'log.iptables-unknown-option',
    literals: ['unknown option'],
    pattern: /(?<tool>ip6?tables[\w-]{0,20})(?: v(?<version>\d{1,2}\.\d{1,2}(?:\.\d{1,3})?)(?: \((?<backend>legacy|nf_tables)\))?)?: unknown option [`'"]?(?<option>[^`'"\s]{1,64})/,
    meaning: 'The iptables that reads the rules is older or built differently than the one that wrote them (an option it does not know).',
    supports: ['iptables.mixed-backends', 'iptables.kube-firewall-corrupted'],
    explains: ['log.iptables-restore-failed'],
    severity: 'warning',
    title: 'iptables does not know an option the rules use',
    advice: "Use the same iptables version and back end on the host and in every component's image.",
  },
  {
    id: 'log.iptables-bad-argument',
    literals: ['Bad argument `'],
    pattern: /Bad argument `(?<argument>[^'\n]{0,80})'/,
    extract: [IPT_VERSION, EXIT_STATUS],
    meaning: 'iptables rejected a rule argument: a component generated a malformed rule (an empty address, an unquoted comment) or expects another iptables version.',
    supports: ['iptables.mixed-backends'],
    // kubernetes#36652: `Failed to execute iptables-restore: exit status 2 (Bad argument `KUBE-SVC-...'` (an empty -s before it)
    explains: ['log.iptables-restore-failed'],
    severity: 'warning',
    title: 'iptables rejects a rule argument',
    advice: 'Find the component that generated the rule (kube-proxy, flannel...) and check its version against the host iptables.',
  },
  {
    id: 'log.nf-tables-chain-missing',
    literals: ["' does not exist", 'CHAIN_ADD failed'],
    pattern: /Chain '(?<chain>[\w.-]{1,64})' does not exist|CHAIN_ADD failed \([^)\n]{0,80}\): chain (?<chain_2>[\w.-]{1,64})/,
    // Podman's teardown finding its CNI chain gone is log.podman-rules-flushed
    unless: new RegExp(unnamed(PODMAN_RULES_GONE)),
    extract: [IPT_VERSION, IPT_TABLE],
    meaning: 'iptables-nft could not find or create a chain: the chain was removed, or (old 1.8.x nf_tables builds) a target such as DNAT is mistaken for a missing chain.',
    supports: ['iptables.docker-chain-missing', 'iptables.mixed-backends'],
    // sismics/docs#253: `driver failed programming external connectivity ... Chain 'DNAT' does not exist`: the cause
    // (a chain gone, or iptables 1.8.0-1.8.2 taking a target for one) is this entry's, Docker's message only says who failed
    explains: ['log.docker-port-programming-failed'],
    severity: 'warning',
    title: 'iptables (nf_tables) cannot find a chain',
    advice: "Find the component that owns the chain (its name says which) and restart it so that it creates its chains again.",
    remedies: [
      { when: 'docker', advice: "Docker's chains are gone: restart docker so that it creates them again (this restarts its containers).", commands: ['{restartDocker}'] },
      {
        when: 'podman',
        advice: "Podman's rules are gone (a firewall reload flushes them): podman network reload --all puts them back (Podman 3.0 and later).",
        commands: ['podman network reload --all'],
      },
      { when: 'kubernetes', advice: "A Kubernetes component's chains are gone: restart the service that runs the kubelet so that the node's components write them again.", commands: ['{restartKubelet}'] },
    ],
    // iptables-nft 1.8.0-1.8.2 took a target for a chain (Chain 'DNAT' does not exist): not a line that says v1.8.4
    caveats: [{ fact: 'version', matches: /^1\.8\.[0-2]$/, advice: 'With iptables 1.8.0-1.8.2 (nf_tables), a target such as DNAT can be taken for a missing chain: upgrade iptables or switch to the legacy back end.' }],
  },
  {
    id: 'log.podman-rules-flushed',
    // the teardown's wording: libpod/ocicni `Error deleting network: running [...]`, `Error while removing pod
    // from CNI network "podman": ...`; netavark's `Unable to cleanup network for container ...: "error tearing
    // down network namespace configuration for container ...: netavark: code: 1, msg: ..."`
    literals: ['name: "podman"', 'name: \\"podman\\"', 'CNI network "podman"', 'CNI network \\"podman\\"', 'netavark: code:'],
    pattern: PODMAN_RULES_GONE,
    extract: [...CLEANUP_CHAIN, IPT_TABLE, IPT_VERSION],
    meaning:
      "Podman, removing a container's network, found the firewall rules it added when the container started already gone (a CNI or netavark chain): something flushed them while the container ran, usually a firewall reload (firewall-cmd --reload, a restart of firewalld or iptables.service). The container's published ports and its NAT stopped working then.",
    supports: [],
    severity: 'warning',
    title: "Podman's firewall rules were flushed",
    advice:
      "Put Podman's rules back with podman network reload --all (Podman 3.0 and later), after every firewall reload. With netavark 1.9 or later, netavark-firewalld-reload.service does that by itself after each firewalld reload; with CNI (Podman before 4, or network_backend cni) run the reload yourself.",
    commands: ['podman network reload --all', 'systemctl enable --now netavark-firewalld-reload.service   # netavark 1.9+, where firewalld runs'],
    caution: "podman network reload takes each container's network down and up again: a short interruption.",
  },
  {
    id: 'log.nf-tables-incompatible',
    literals: ['is incompatible, use', 'incompatible nft rules', 'Parsing nftables rule failed'],
    // iptables-nft's nft_assert_table_compatible(): `chain `INPUT' in table `filter' is incompatible, use 'nft' tool.`
    // (one chain), `table `filter' is incompatible, use 'nft' tool.` (the whole table: iptables 1.8.x listing a
    // table, moby/moby#48411 on 1.8.10); iptables-save's `# Table `nat' is incompatible, use 'nft' tool.` (exit 0; not
    // its `contains incompatible base-chains`, printed above a table it lists whole: the foreign base chain aside); a native rule
    // it cannot parse at all: `iptables-nft-save v1.8.9 (nf_tables): Parsing nftables rule failed` (exit 3, the
    // output cut there; reproduced in a namespace, test/fixtures/nft-native); Calico Felix's own line
    // (projectcalico/calico#8025): `iptables-save failed because there are incompatible nft rules in the table ... table="filter"`
    pattern:
      /(?:chain [`'](?<chain>[\w.-]{1,64})' in )?[Tt]able [`'](?<table>\w{1,16})' is incompatible, use 'nft' tool|iptables-save failed because there are incompatible nft rules in the table(?:[^\n]{0,400}?\btable="(?<table_2>\w{1,16})")?|(?<tool>(?:ip6?|arp|eb)tables(?:-nft)?(?:-save|-restore)?) v[\d.]{1,12} \(nf_tables\): Parsing nftables rule failed/,
    extract: [IPT_VERSION],
    meaning:
      "iptables-nft cannot show a chain or a whole table as iptables rules: it holds rules or base chains written with nft directly (an nftables.conf of the host's own that uses the names table ip filter / ip nat, or a newer iptables-nft), so iptables -L / -S / iptables-save fail or leave it out, and anything that reads its rules through iptables (Docker, kube-proxy, CNI plugins, bundle collectors) sees nothing there. Before iptables 1.8.11, -S or -L of a chain that does not exist gives the chain wording too.",
    supports: ['iptables.mixed-backends', 'nftables.native-rule-in-iptables-table'],
    severity: 'warning',
    title: 'iptables cannot read rules written by nft',
    advice:
      "Read that table with nft (nft list table ip filter, nft list ruleset), not iptables. Keep one tool per table: move the host's own nft rules into a table of their own name (table inet filter, not ip filter / ip nat), or write them with iptables; and check what iptables users on the host expect there.",
    commands: ['nft list table ip {table}   # the rules iptables cannot show'],
  },
  {
    id: 'log.iptables-table-unavailable',
    literals: ["can't initialize ip", "' does not exist"],
    pattern: /can't initialize (?<tool>ip6?tables) table [`'](?<table>\w{1,16})'(?::\s?(?<reason>[^\n(]{1,80}))?|[Tt]able '(?<table_2>\w{1,16})' does not exist/,
    extract: [IPT_VERSION, EXIT_STATUS, MODPROBE_NOT_FOUND],
    meaning: 'iptables cannot use a table at all: the kernel module (iptable_nat...) is missing, or the host uses the other back end.',
    supports: ['iptables.mixed-backends'],
    severity: 'warning',
    title: 'iptables cannot use a table',
    // H95 (R29 03, dockur/windows#250): the line may be a container's; only the host loads modules
    advice:
      'Load the kernel modules on the host, not in a container (a container cannot load them, even where its own iptables printed this): ip_tables and iptable_nat for the legacy nat table (iptable_filter for filter), or nf_tables for the nf_tables back end; or run components with the back end the host uses.',
    commands: ['modprobe ip_tables && modprobe iptable_nat   # on the host; the legacy nat table (iptable_filter for filter); with the nf_tables back end: modprobe nf_tables'],
  },
  {
    id: 'log.kernel-module-not-found',
    literals: ['not found in directory /lib/modules/'],
    pattern: MODPROBE_NOT_FOUND,
    extract: [IPT_TABLE, IPT_VERSION],
    meaning:
      "modprobe found no such module for the running kernel: the kernel's module tree (/lib/modules/<release>) lacks it or is not there at all. Either the kernel was upgraded and the old kernel's modules removed without a reboot (the running kernel is the old one), or a custom or vendor kernel runs without its modules installed or built. Loading the module by hand fails the same way.",
    supports: [],
    // the same line's `can't initialize iptables table 'nat'`: the missing tree is its cause
    explains: ['log.iptables-table-unavailable'],
    severity: 'warning',
    title: "The running kernel has no such module",
    // the analyzer names the module and the kernel release from the path
    advice:
      "Do not retry modprobe: give the running kernel its modules. Reboot into the installed kernel where an upgrade removed the running one's modules; else install the modules for the running release (Debian and Ubuntu: linux-modules and linux-modules-extra for uname -r); a custom kernel: make modules_install from its build, or boot a kernel built with netfilter.",
  },
  {
    id: 'log.iptables-legacy-tables-present',
    literals: ['tables-legacy tables present'],
    pattern: /Warning: ip6?tables-legacy tables present/,
    meaning: 'Rules exist in both the legacy and the nf_tables back end: each component sees only half of them.',
    // iptables.rule-duplicated: printed by iptables-nft, whose 1.8.0-1.8.2 -C bug makes the copies (kubernetes#76431)
    supports: ['iptables.mixed-backends', 'iptables.rule-duplicated'],
    severity: 'warning',
    title: 'Legacy iptables tables exist next to nf_tables',
    advice:
      "Find the component that writes legacy rules and switch it to the host's back end. If instead rules are repeated many times (iptables -S | sort | uniq -cd), the host's iptables-nft is 1.8.0-1.8.2, whose -C cannot find them (kubernetes#82361): upgrade it to 1.8.3 or later rather than moving writers to nf_tables.",
    commands: ['iptables-legacy-save   # the legacy rules: their chains and comments name the component that wrote them'],
  },
  {
    id: 'log.docker-start-failed',
    literals: ['failed to start daemon', 'Error starting daemon'],
    // "Error starting daemon" is urfave/cli's wording too (local-path-provisioner: "Cannot start Provisioner")
    units: /^(?:dockerd|docker)$/,
    // a failing network controller has its own signature, which says more
    pattern: /(?:failed to start daemon|Error starting daemon):(?!\s*[Ee]rror initializing network controller)\s?(?<reason>[^\n]{0,300})/,
    meaning: 'dockerd exited at start: it runs no containers and created none of its iptables chains; the reason follows in the message (a storage driver, a bad daemon.json, the network controller).',
    supports: ['iptables.docker-chain-missing'],
    severity: 'warning',
    title: 'Docker did not start',
    // test/analyzers/restart-docker.test.ts pins this wording, backticks and all
    advice: 'Fix the reason in the message (`journalctl -u docker`), then start dockerd again (`systemctl start docker`; rootless Docker: `systemctl --user start docker` as its user; the docker snap: `snap start docker.dockerd`); restarting it unchanged fails the same way.',
  },
  {
    id: 'log.docker-network-controller-failed',
    literals: ['Error initializing network controller'],
    // the pattern is the words alone, so that the excerpt of a long line keeps iptables' own reason at its end
    // (`Extension set revision 0 not supported, missing kernel module?`, log.iptables-module-missing's span)
    pattern: /Error initializing network controller/,
    // no free address pool for docker0 has its own entry (log.docker-no-free-address-pool), which names the routes
    unless: DOCKER_NO_POOL,
    extract: [/Error initializing network controller:?\s?(?<reason>[^\n]{0,300})/, IPT_TABLE, IPT_CHAIN, IPT_VERSION, ...IPT_MODULE_FACTS, MODPROBE_NOT_FOUND, RULE_ENOENT],
    meaning: 'dockerd could not set up its networking (its bridge, its iptables chains) and did not start: it runs no containers.',
    supports: [],
    // the iptables error dockerd quotes as its reason (moby/moby#32349, #37694, docker/for-linux#1128): the analyzer words the reason
    explains: ['log.iptables-no-chain', 'log.nf-tables-chain-missing', 'log.iptables-table-unavailable', 'log.iptables-module-missing', 'log.kernel-module-not-found'],
    severity: 'warning',
    title: 'Docker did not start: network controller failed',
    // the analyzer adds the iptables clause only where the reason names iptables (a table, a chain, iptables' own error)
    advice: 'Fix the reason in the message (journalctl -u docker shows it in full), then start dockerd again; restarting it unchanged fails the same way.',
  },
  {
    id: 'log.docker-no-free-address-pool',
    // libnetwork's wordings over the years: the default bridge at start, `Error creating default "bridge" network: failed to
    // parse pool request for address space "LocalDefault" pool "" subpool "": could not find an available predefined network`
    // (moby/libnetwork#779), `list bridge addresses failed: no available network` (docker/for-linux#123), later with the
    // pools, `list bridge addresses failed: PredefinedLocalScopeDefaultNetworks List: [172.17.0.0/16 ...]: no available
    // network`; a user network (docker network create, compose): `could not find an available, non-overlapping IPv4
    // address pool among the defaults to assign to the network`
    // Docker 1.x (moby/moby#6442): `Could not find a free IP address range for interface 'docker0'. Please configure its
    // address manually and run 'docker -b docker0'`; its debug lines per candidate (`requested network overlaps with
    // existing network`) are no finding of their own (a later candidate may be free): log.docker-pool-candidate (quiet),
    // which this finding cites when every candidate was rejected
    // H72: libnetwork 1.7-1.9's bridge driver (IPv4AddrRangeError): `Error creating default \"bridge\" network: can't find an
    // address range for interface \"docker0\"`; the per-candidate lines before any of them: log.docker-pool-candidate (quiet)
    literals: ['Could not find a free IP address range for interface', "can't find an address range for interface", 'could not find an available predefined network', 'could not find an available, non-overlapping', 'no available network'],
    pattern: DOCKER_NO_POOL,
    extract: [
      /(?<daemonStart>Error initializing network controller|Error starting daemon|failed to start daemon)/,
      /PredefinedLocalScopeDefaultNetworks List: \[(?<pools>[0-9A-Fa-f.:/ ]{1,3000})\]/,
      /non-overlapping IPv(?<family>[46]) address pool/,
      /Creating network \\?"(?<network>[\w.-]{1,128})\\?"/,
    ],
    meaning:
      "Docker found no free subnet for a network: every pool it may pick (172.17.0.0/16-172.31.0.0/16 and 192.168.0.0/16 in /20s by default, else daemon.json's default-address-pools) overlaps a route of the host or a network it already made. A VPN's routes are the usual cause (OpenVPN's redirect-gateway def1 installs 0.0.0.0/1 and 128.0.0.0/1, which cover every pool). At start, for docker0, dockerd exits: it runs no containers.",
    supports: [],
    severity: 'warning',
    title: 'Docker finds no free address pool',
    // the analyzer names the routes that cover the pools and, at start, takes the severity from whether dockerd runs now
    advice:
      "Give Docker addresses no route covers: \"bip\" (docker0's own address, which Docker does not check against the routes) and \"default-address-pools\" in /etc/docker/daemon.json, then start docker; or stop the VPN from routing those ranges. ip route shows the routes that cover Docker's pools.",
  },
  {
    // dockerd at the end of a successful start (daemon/daemon.go): the start after a failed one came through.
    // H68 (R23 14): also dockerd's `API listen on /var/run/docker.sock` (its last start-up line) and systemd's
    // `Started Docker Application Container Engine.` (docker.service is Type=notify: logged once dockerd is ready;
    // systemd 250+ writes `Started docker.service - Docker Application Container Engine.`). Rootless dockerd's
    // `API listen on /run/user/<uid>/docker.sock` is another daemon's: not taken.
    id: 'log.docker-daemon-initialized',
    literals: ['Daemon has completed initialization', 'API listen on /', 'Docker Application Container Engine'],
    pattern: /Daemon has completed initialization|API listen on (?:\/var)?\/run\/docker\.sock|\bStarted (?:docker\.service - )?Docker Application Container Engine/,
    meaning: 'dockerd started: it set up its networks and runs containers.',
    supports: [],
    severity: 'info',
    title: 'dockerd started',
    advice: 'Nothing to fix.',
    quiet: true,
  },

  // ---- kernel settings -------------------------------------------------------------------
  {
    id: 'log.ip-forward-disabled',
    literals: ['IPv4 forwarding is disabled', 'ip_forward contents are not set to 1'],
    pattern: /IPv4 forwarding is disabled|ip_forward contents are not set to 1/,
    meaning: 'Docker or kubeadm found net.ipv4.ip_forward = 0: containers cannot reach other hosts.',
    supports: ['sysctl.ip-forward-disabled'],
    severity: 'warning',
    title: 'The logs report IPv4 forwarding disabled',
    advice: 'Set net.ipv4.ip_forward = 1 now and in /etc/sysctl.d/, then restart the network service.',
    commands: ['sysctl -w net.ipv4.ip_forward=1'],
  },
  {
    id: 'log.bridge-nf-call',
    literals: ['bridge-nf-call-ip', 'br-netfilter module'],
    pattern: /bridge-nf-call-ip6?tables(?: does not exist| contents are not set to 1| is disabled)|Missing br-netfilter module/,
    meaning: 'Bridge netfilter is off or br_netfilter is not loaded: traffic between pods on one bridge bypasses the Service rules.',
    supports: ['sysctl.bridge-nf-call-disabled'],
    severity: 'warning',
    title: 'The logs report bridge netfilter off',
    advice: 'Load br_netfilter and set net.bridge.bridge-nf-call-iptables = 1, persisted in /etc/modules-load.d and /etc/sysctl.d.',
    commands: ['modprobe br_netfilter', 'sysctl -w net.bridge.bridge-nf-call-iptables=1'],
  },
  {
    id: 'log.conntrack-table-full',
    literals: ['table full, dropping packet'],
    pattern: /(?<module>nf_conntrack|ip_conntrack): table full, dropping packet/,
    meaning: 'The connection tracking table is full: the kernel drops new connections.',
    supports: ['conntrack.table-full'],
    severity: 'warning',
    title: 'Connection tracking table full',
    // {conntrackNew}: twice the limit the bundle shows (sysctl, kube-proxy's start line), else a placeholder
    advice: 'Raise net.netfilter.nf_conntrack_max now and in /etc/sysctl.d/, and compare it with the connections tracked (nf_conntrack_count): if the count keeps growing, find what opens so many connections.',
    commands: [
      'cat /proc/sys/net/netfilter/nf_conntrack_count /proc/sys/net/netfilter/nf_conntrack_max   # entries tracked now, and the limit',
      'sysctl -w net.netfilter.nf_conntrack_max={conntrackNew}',
      "echo 'net.netfilter.nf_conntrack_max = {conntrackNew}' > /etc/sysctl.d/90-conntrack-max.conf   # kept across reboots",
    ],
    caution: 'Every tracked connection takes a few hundred bytes of kernel memory: raise the limit in steps the node can hold.',
    remedies: [
      {
        when: 'kube-proxy',
        advice:
          "kube-proxy sets net.netfilter.nf_conntrack_max itself when it starts, from conntrack.maxPerCore times the CPU cores and at least conntrack.min (--conntrack-max-per-core, --conntrack-min), so a value in /etc/sysctl.d may not outlast its next start: raise it now with sysctl -w and keep it in kube-proxy's own settings; compare it with the connections tracked (nf_conntrack_count).",
        commands: [
          'cat /proc/sys/net/netfilter/nf_conntrack_count /proc/sys/net/netfilter/nf_conntrack_max   # entries tracked now, and the limit',
          "sysctl -w net.netfilter.nf_conntrack_max={conntrackNew}   # now; kube-proxy's next start sets its own value again",
          '# keep it, kubeadm: kubectl -n kube-system edit configmap kube-proxy (conntrack: maxPerCore, min), then kubectl -n kube-system rollout restart daemonset kube-proxy',
          '# keep it, k3s / RKE2: --kube-proxy-arg=conntrack-max-per-core=<n> (or conntrack-min=<n>) in the service configuration, then restart it',
        ],
      },
    ],
  },
  {
    // the kernel's neigh_alloc() when a neighbour table holds gc_thresh3 entries and garbage collection frees none:
    // `neighbour: arp_cache: neighbor table overflow!` (IPv4, e2b-dev/infra#3508, kubernetes/kops#4533),
    // `neighbour: ndisc_cache: neighbor table overflow!` (IPv6); older kernels `ipv4: Neighbour table overflow.`
    // (freifunk-gluon/gluon#83)
    id: 'log.neighbour-table-overflow',
    literals: ['neighbor table overflow', 'neighbour table overflow'],
    ignoreCase: true,
    pattern: /(?<table>arp_cache|ndisc_cache): neighbor table overflow!|(?:(?<family>ipv4|ipv6): )?neighbour table overflow\./i,
    meaning:
      "The kernel's neighbour table (ARP for IPv4, neighbour discovery for IPv6) is full: new neighbour entries fail (ENOBUFS, No buffer space available), so the host cannot reach some containers, pods or peers until entries expire. One table serves every network namespace, so a node with many containers, pods or veths fills it at the kernel's default limits. The limits (gc_thresh1/2/3) are set on the host: a container's network namespace has no neigh/default of its own.",
    supports: [],
    // critical where the lines repeat and are not old: analyzers/log-signatures.ts
    severity: 'warning',
    title: "The kernel's neighbour table overflows",
    // the analyzer writes the commands (IPv6 where ndisc_cache overflowed) and cites gc_thresh from the sysctl dump
    advice: 'Raise net.ipv4.neigh.default.gc_thresh1/2/3 (net.ipv6.neigh.default.gc_thresh1/2/3 for ndisc_cache) in one file in /etc/sysctl.d, then sysctl --system.',
  },
  {
    // kube-proxy at start (cmd/kube-proxy/app/conntrack.go): `Setting nf_conntrack_max to 786432` (glog, in
    // older releases), `"Setting nf_conntrack_max" nf_conntrack_max=131072` (klog structured), and the sysctl it
    // wrote, `Set sysctl 'net/netfilter/nf_conntrack_max' to 131072` / `"Set sysctl" entry="net/netfilter/nf_conntrack_max" value=131072`
    // (k3s and RKE2 log the same for their kube-proxy)
    id: 'log.kube-proxy-conntrack-max',
    literals: ['Setting nf_conntrack_max', "netfilter/nf_conntrack_max' to", 'entry="net/netfilter/nf_conntrack_max"'],
    pattern:
      /Setting nf_conntrack_max to (?<max>\d{1,12})\b|"Setting nf_conntrack_max" nf_conntrack_max=(?<max_2>\d{1,12})\b|Set sysctl 'net\/netfilter\/nf_conntrack_max' to (?<max_3>\d{1,12})\b|"Set sysctl" entry="net\/netfilter\/nf_conntrack_max" value=(?<max_4>\d{1,12})\b/,
    meaning: "kube-proxy set the connection tracking limit (net.netfilter.nf_conntrack_max) when it started, from its own settings (conntrack.maxPerCore, conntrack.min).",
    supports: [],
    severity: 'info',
    title: 'kube-proxy set the conntrack limit',
    advice: 'Nothing to fix by itself: it is the limit a full conntrack table reaches.',
    quiet: true,
  },

  {
    // RHEL/CentOS iptables-services' init script (iptables.init) when iptables.service stops or restarts:
    // `iptables: Flushing firewall rules: [  OK  ]` — the line that proves every rule (Docker's, Kubernetes') went
    id: 'log.firewall-flushed',
    literals: ['Flushing firewall rules'],
    pattern: /\b(?<service>ip6?tables): Flushing firewall rules\b/,
    meaning: "iptables-services flushed every rule of the family when its service stopped or restarted: the rules Docker and Kubernetes added at run time went with them.",
    supports: ['iptables.service-conflict', 'iptables.docker-chain-missing'],
    severity: 'info',
    title: 'iptables.service flushed the rules',
    advice: 'Restart what put its rules there (docker, the kubelet) after the firewall service, and keep the service from managing the live rules.',
    quiet: true,
  },
  {
    // aws-node's ipamd at start, at its default DEBUG level, on the SNAT rules it ensures
    // (networkutils iptablesRule.String(): `nat/POSTROUTING rule first SNAT rules for non-VPC outbound
    // traffic shouldExist true ...`): true = the node source-NATs pods' traffic leaving the VPC
    id: 'log.aws-vpc-cni-snat-config',
    literals: ['first SNAT rules for non-VPC outbound traffic shouldExist'],
    pattern: /nat\/POSTROUTING rule first SNAT rules for non-VPC outbound traffic shouldExist (?<shouldExist>true|false)\b/,
    meaning: "aws-node's ipamd, at start, on its SNAT for pods: shouldExist true = the node source-NATs pods' traffic leaving the VPC (AWS_VPC_K8S_CNI_EXTERNALSNAT=false); false = external SNAT (a NAT gateway does it).",
    supports: ['iptables.aws-snat-missing'],
    severity: 'info',
    title: "aws-node's SNAT setting",
    advice: 'Nothing to fix: it says whether the node or a NAT gateway source-NATs the pods.',
    quiet: true,
  },
  {
    id: 'log.calico-loose-rpf',
    literals: ["Kernel's RPF check is set to 'loose'."],
    pattern: /Kernel's RPF check is set to 'loose'\.\s{1,4}This would allow endpoints to spoof their IP address/,
    meaning: "Felix (calico-node, Calico before v3.12) found net.ipv4.conf.all.rp_filter = 2 (loose) and exited: calico-node restarts in a loop and the node's pods get no routes or policy.",
    supports: ['sysctl.rp-filter-drops-pod-traffic'],
    severity: 'warning',
    title: 'calico-node exits: reverse-path filtering is loose',
    advice: 'Set net.ipv4.conf.all.rp_filter to 1 (or 0) now and in /etc/sysctl.d/, then restart calico-node on the node. Calico 3.12 and later no longer check it.',
    commands: ['sysctl -w net.ipv4.conf.all.rp_filter=1'],
  },

  // ---- firewall services ---------------------------------------------------------------------
  {
    id: 'log.firewall-restart',
    literals: ['firewall daemon', 'IPv4 firewall with iptables', 'IPv6 firewall with ip6tables', 'tables.service', 'firewalld.service', 'firewall-cmd --', 'netfilter persistent configuration', 'Uncomplicated firewall', 'ufw.service', 'nftables.', 'Netfilter Tables', 'systemctl restart', 'systemctl stop', 'systemctl start', 'systemctl reload', 'systemctl try-restart'],
    // systemd's unit messages, an admin's `systemctl restart` as sudo or a shell transcript logs it, firewall-cmd;
    // nftables.service by its description: Debian's "nftables" (`Stopping nftables...`), RHEL's "Netfilter Tables"
    pattern: /\b(?<action>Starting|Started|Stopping|Stopped|Reloading|Reloaded|Restarting|Restarted)\s(?:(?:firewalld|ip6?tables|netfilter-persistent|ufw|nftables)\.service\b|firewalld - dynamic firewall daemon|IPv[46] firewall with ip6?tables|netfilter persistent configuration|Uncomplicated firewall|nftables(?=\.{1,3}\s*$)|Netfilter Tables\b)|systemctl (?<action_2>restart|stop|start|reload|try-restart|reload-or-restart) (?:firewalld|ip6?tables|netfilter-persistent|ufw|nftables)\b|firewall-cmd --(?<action_3>reload|complete-reload)/,
    extract: [FIREWALL_SERVICE],
    meaning: 'A firewall service started, stopped or reloaded: it flushes and restores its own rules, dropping the rules container runtimes (Docker, Podman) and Kubernetes added at run time.',
    // Podman's teardown finding its rules gone after it: the reload is that finding's cause
    supports: ['iptables.service-conflict', 'iptables.docker-chain-missing', 'log.podman-rules-flushed'],
    severity: 'info',
    title: 'A firewall service restarted',
    advice:
      "After a firewall restart, put back the rules the container runtime added, through whichever runs here (the bundle does not show which): restart docker (this restarts its containers), run podman network reload --all for Podman, restart the kubelet's service on a Kubernetes node.",
    remedies: [
      { when: 'docker', advice: 'After a firewall restart, restart docker so that it creates its chains and rules again (this restarts its containers).', commands: ['{restartDocker}'] },
      {
        when: 'podman',
        advice:
          "Podman does not notice a firewall restart: put its rules back with podman network reload --all (Podman 3.0 and later). With netavark 1.9 or later, enable netavark-firewalld-reload.service and every firewalld reload puts them back by itself.",
        commands: ['podman network reload --all', 'systemctl enable --now netavark-firewalld-reload.service   # netavark 1.9+, where firewalld runs'],
      },
      { when: 'kubernetes', advice: "On the Kubernetes node, restart the service that runs the kubelet so that the node's rules come back.", commands: ['{restartKubelet}'] },
    ],
  },

  {
    // flannel-io/flannel#2055: `kernel: filter_FWD_public_REJECT: IN=flannel.1 OUT=cni0 MAC=... SRC=10.244.1.0 DST=10.244.0.2 ...`;
    // only lines whose way in or out is a container's or a pod's interface: the host's own traffic (IN=eth0 OUT=)
    // is what these rules are there for
    id: 'log.firewall-rejected-container-traffic',
    literals: [...FIREWALL_LITERALS, ...OWN_LOG_LITERALS],
    // H95 (R29 06, 07): or a LOG rule of the host's own whose prefix says drop or reject (OWN_LOG_LINE)
    pattern: new RegExp(`${FIREWALL_CONTAINER_LINE.source}|${OWN_LOG_LINE.source}`),
    // each address on its own: a pasted line may hide one (ufw-docker#119: `SRC=XXX.XXX.XXX.XXX DST=172.19.0.4`)
    // H98: the source port too, to trace the packet through the bundle's rules (a LOG rule of the host's own)
    extract: [/\bSRC=(?<src>[0-9A-Fa-f.:]{2,45})(?=\s|$)/, /\bDST=(?<dst>[0-9A-Fa-f.:]{2,45})(?=\s|$)/, ...FIREWALL_PACKET, /\bSPT=(?<spt>\d{1,5})\b/],
    meaning:
      "The host firewall's manager logged packets of containers or pods that it rejected or dropped (firewalld's LogDenied, ufw's logging): its zone or policy does not let that traffic through, whatever Docker's or the CNI plugin's rules accept.",
    supports: [],
    severity: 'warning',
    title: "The host firewall rejects containers' traffic",
    // the analyzer names the zone, the interfaces and the subnets, and gives the manager's own commands
    advice: "Let the containers' interfaces or subnets through the firewall manager that logged the lines (firewalld: the trusted zone or a policy; ufw: ufw route allow), permanently.",
  },
  {
    // no finding of its own: the analyzer keeps the lines whose private address is in a pod or container subnet
    // the node shows (flannel's subnet.env, Docker's networks, the routes to cni0, docker0, Calico's) and adds
    // them to log.firewall-rejected-container-traffic; the host's own traffic on its LAN stays out
    id: 'log.firewall-rejected-routed-traffic',
    literals: FIREWALL_LITERALS,
    pattern: FIREWALL_PRIVATE_LINE,
    // a container's or pod's interface on the line: log.firewall-rejected-container-traffic has it
    unless: new RegExp(unnamed(FIREWALL_CONTAINER_LINE)),
    extract: FIREWALL_PACKET,
    meaning:
      "The host firewall's manager logged a packet it rejected or dropped on the host's own interfaces, from or to a private address: a pod's or container's when the address is in a subnet the node shows (routed pod traffic: flannel host-gw, Calico without encapsulation), else the host's own.",
    supports: [],
    severity: 'info',
    title: 'The host firewall rejects traffic of a private address',
    advice: 'Nothing by itself: the lines count where the address is a pod or container subnet of the node.',
    quiet: true,
  },
  {
    // calico-node's readiness probe (kubelet: `Readiness probe failed: ... calico/node is not ready: BIRD is not ready:
    // BGP not established with 10.0.3.142,10.0.3.78`), projectcalico/calico#8607; kubectl describe wraps the peers
    id: 'log.calico-bgp-not-established',
    // and BIRD's own lines in calico-node's log (BIRD 1.x proto/bgp: bgp_sock_err, bgp_rx_notification, bgp_incoming_connection)
    literals: ['BGP not established with', 'bird: Mesh_', 'bird: Node_', 'bird: Global_', 'bird: BGP: Unexpected connect'],
    pattern: new RegExp(String.raw`BGP not established with(?:\s| ⏎ ){0,6}(?<peers>[0-9A-Fa-f.:]{2,45}(?:,\s?[0-9A-Fa-f.:]{2,45}){0,63})|${CALICO_BIRD_FAILED.source}`),
    continues: true,
    meaning:
      "calico-node's BIRD has no BGP session with these peers, so calico-node is not Ready and routes to the pods behind them are missing: pod traffic between those nodes fails. Usual causes: a node registered with a wrong address (first-found autodetection picked a Docker or libvirt bridge's address), TCP 179 blocked between the nodes, or nodes gone but still in the mesh.",
    supports: [],
    severity: 'warning',
    title: 'Calico BGP sessions are not established',
    advice:
      "Check the address each node registered (calicoctl get nodes -o wide): a bridge's address (docker0, a Docker network's bridge, virbr0: 172.17-31.x.1, 192.168.122.1) means first-found autodetection picked it; set nodeAddressAutodetectionV4 (operator) or IP_AUTODETECTION_METHOD=interface=<uplink> (manifest). Else open TCP 179 between the nodes (and IP protocol 4 for IP-in-IP), and remove nodes that are gone (calicoctl delete node).",
    commands: ['calicoctl node status   # on the node: each peer and its BGP state', 'calicoctl get nodes -o wide   # the address each node registered'],
  },

  // ---- the application cannot reach a port ----------------------------------------------
  {
    id: 'log.port-timeout',
    literals: ['Port Timeout'],
    pattern: /Port Timeout/,
    // two words, often quoted from a dashboard (Replicated's) in a ticket or an article: they say a port was not
    // reached, not why (reviewer R13 #10)
    meaning: 'The application waited for a port between its containers and never reached it: a firewall rule may block it, or nothing listens there yet.',
    supports: ['iptables.port-blocked'],
    severity: 'warning',
    title: 'The application timed out waiting for a port',
    advice: 'Find the port and check that the host firewall allows it between containers.',
  },
  {
    id: 'log.ports-not-listening',
    literals: ['Error waiting for ports to enter listening state'],
    pattern: /Error waiting for ports to enter listening state/,
    // prose quoting it (`Customer: The app won't start. It says “Error waiting for ports ...”.`, seed 002) still
    // matches: the analyzer words such a finding as second-hand (PROSE_QUOTE)
    meaning: 'The application reports that its ports never became reachable: a firewall rule may block them between its containers, or its services did not start.',
    supports: ['iptables.port-blocked'],
    severity: 'warning',
    title: 'Ports never became reachable',
    advice: "Check that the application's services started, then the host firewall rules for its ports between containers.",
  },
  // H84: failed DNS lookups (kind and resolver); their lines are not log.connection-refused / -timed-out (`unless` there)
  ...DNS_SIGNATURES,
  {
    id: 'log.connection-refused',
    // Python's asyncio (asyncpg, aiohttp, redis.asyncio) `ConnectionRefusedError: [Errno 111] Connect call failed ('10.0.0.5', 5432)`,
    // PostgreSQL's JDBC driver `Connection to 10.0.0.5:5432 refused.`, the MySQL client `Can't connect to MySQL server on '10.0.0.5:3306' (111)`
    literals: ['onnection refused', 'was refused', 'ECONNREFUSED', 'ConnectionRefusedError', '[Errno 111] Connect call failed', 'Connection to ', "Can't connect to MySQL server on", "Can't connect to server on"],
    pattern: /[Cc]onnection refused|connection to the server [^\n]{1,120} was refused|ECONNREFUSED|ConnectionRefusedError|\[Errno 111\] Connect call failed|Connection to \S{1,300} refused\.|Can't connect to (?:MySQL )?server on '[^'\n]{1,300}' \((?:111|10061)\)/,
    // Docker Swarm's own lines are log.swarm-peer-unreachable, which names the Swarm ports; BIRD's (Calico's BGP sessions) log.calico-bgp-not-established
    unless: new RegExp(`${NOT_SERVICE_PROBE.source}|${DNS_LOOKUP_REFUSED.source}`),
    extract: PEER,
    continues: true,
    meaning: 'The peer answered but nothing accepted the connection: the service is down or not listening there, or a REJECT rule answers for it.',
    supports: ['iptables.port-blocked'],
    severity: 'warning',
    title: 'Connections refused',
    advice: 'Check that the service listens on that address and port, and that no REJECT rule answers for it.',
  },
  {
    id: 'log.connection-timed-out',
    // recent curl at its own connect timeout: `Failed to connect to db port 5432 after 10002 ms: Timeout was reached`
    literals: ['onnection timed out', 'i/o timeout', 'ETIMEDOUT', 'Timeout was reached', '[Errno 110] Connect call failed', "Can't connect to MySQL server on", "Can't connect to server on"],
    pattern: /[Cc]onnection timed out|i\/o timeout|ETIMEDOUT|Failed to connect to [^\n]{1,300}? after \d{1,9} ms: Timeout was reached|\[Errno 110\] Connect call failed|Can't connect to (?:MySQL )?server on '[^'\n]{1,300}' \((?:110|115|10060)\)/,
    // Docker Swarm's own lines are log.swarm-peer-unreachable, which names the Swarm ports; BIRD's (Calico's BGP sessions) log.calico-bgp-not-established
    unless: new RegExp(`${NOT_SERVICE_PROBE.source}|${DNS_LOOKUP_TIMEOUT.source}`),
    extract: PEER,
    continues: true,
    meaning: 'Packets to the peer got no answer: a DROP rule, a routing problem, or the peer is down.',
    supports: ['iptables.port-blocked', 'iptables.forward-blocks-containers', 'iptables.kube-firewall-corrupted'],
    severity: 'warning',
    title: 'Connections time out',
    advice: 'Trace the path to the peer: a DROP rule (policy DROP on INPUT/FORWARD), a missing route, or a peer that is down.',
  },
  {
    id: 'log.no-route-to-host',
    // musl's strerror(EHOSTUNREACH) is `Host is unreachable` (Alpine, busybox: `wget: can't connect to remote host (10.42.0.17): Host is unreachable`, kubesolo#146)
    literals: ['o route to host', 'EHOSTUNREACH', '[Errno 113] Connect call failed', "Can't connect to MySQL server on", "Can't connect to server on", 'Host is unreachable'],
    pattern: /[Nn]o route to host|EHOSTUNREACH|\[Errno 113\] Connect call failed|Can't connect to (?:MySQL )?server on '[^'\n]{1,300}' \(113\)|: Host is unreachable\b/,
    // Docker Swarm's own lines are log.swarm-peer-unreachable, which names the Swarm ports; BIRD's (Calico's BGP sessions) log.calico-bgp-not-established
    unless: NOT_CLIENT_LINE,
    extract: PEER,
    continues: true,
    meaning: 'The peer is unreachable: no route, or a REJECT rule with icmp-host-prohibited (the stock RHEL/CentOS firewall).',
    supports: ['iptables.port-blocked', 'iptables.forward-blocks-containers'],
    severity: 'warning',
    title: 'No route to host',
    advice: 'Check the routes, and REJECT rules with icmp-host-prohibited at the end of INPUT and FORWARD.',
  },
  {
    id: 'log.swarm-peer-unreachable',
    literals: ['Failed to join memberlist', 'Error in joining gossip cluster', 'Failed to send gossip to', 'memberlist: ', 'rpc error: code = Unavailable', 'agent: session failed'],
    pattern: SWARM_PEER_FAILED,
    extract: [SWARM_PEER, ...PEER],
    meaning:
      "Docker Swarm could not reach another node on a Swarm port: 7946 (TCP and UDP: the gossip that overlay networks and service discovery depend on) or 2377/tcp (the managers' cluster API). A firewall between the nodes, on a host or in the cloud, is the usual cause; overlay networks do not work across nodes that cannot gossip.",
    supports: [],
    severity: 'warning',
    title: 'Docker Swarm nodes cannot reach each other',
    advice:
      'Open the Swarm ports between all nodes, in each host firewall and in any cloud security group: 2377/tcp to the managers, 7946/tcp and 7946/udp, 4789/udp (VXLAN, the overlay data), and IP protocol 50 (ESP) for encrypted overlays (--opt encrypted). Check that each node advertises an address the others reach (docker swarm join --advertise-addr, --data-path-addr).',
    // {peer}: the addresses the lines name; the same rules go on each peer, for this node's address
    commands: [
      '# ufw, on this node (and on each peer, for this node):',
      ...ufwSwarm(),
      '# firewalld:',
      ...firewalldSwarm(),
      '# plain iptables (saved the way this host keeps its rules):',
      ...iptablesSwarm(),
    ],
    remedies: [
      { when: 'ufw', commands: ['# on this node (and on each peer, for this node):', ...ufwSwarm()] },
      { when: 'firewalld', commands: ['# on this node (and on each peer, for this node):', ...firewalldSwarm()] },
      { when: 'plain-iptables', commands: ['# on this node (and on each peer, for this node); saved the way this host keeps its rules:', ...iptablesSwarm()] },
    ],
  },
  {
    // recent curl (7.88, 8.x; git through libcurl) prints the error code's text, not the socket's: one message for
    // refused, unreachable and unanswered connects; the time it took tells them apart (connectionSymptom)
    id: 'log.connection-failed',
    literals: ["Couldn't connect to server"],
    pattern: /Failed to connect to [^\n]{1,300}? port \d{1,5} after (?<elapsedMs>\d{1,9}) ms: Couldn't connect to server/,
    extract: PEER,
    meaning: 'curl could not connect, without saying why: within a second something answered (nothing listening there, or a REJECT rule); after tens of seconds nothing did (a DROP rule, a missing route, or the peer is down).',
    supports: ['iptables.port-blocked', 'iptables.forward-blocks-containers'],
    severity: 'warning',
    title: 'Connections fail',
    advice: 'Read the time curl waited: "after 0 ms" means an answer (check that the service listens there and that no REJECT rule answers for it); a minute or more means no answer (trace the path for a DROP rule or a missing route).',
  },

  // ---- flannel / CNI -----------------------------------------------------------------------
  {
    id: 'log.flannel-lease-failed',
    literals: ['failed to acquire lease', 'failed to renew lease'],
    pattern: /failed to (?<op>acquire|renew) lease:?\s?(?<reason>[^\n]{0,200})/,
    meaning: 'flanneld could not get or renew its subnet lease: the node has no pod subnet (RBAC, etcd or podCIDR trouble).',
    supports: ['flannel.subnet-mismatch', 'flannel.duplicate-subnet'],
    severity: 'warning',
    title: 'flannel cannot get its subnet lease',
    advice: "Check flannel's access to the API server (RBAC) or etcd, and the node's podCIDR.",
  },
  {
    id: 'log.flannel-out-of-subnets',
    literals: ['out of subnets'],
    pattern: /out of subnets/,
    extract: [/Picking subnet in range (?<rangeStart>[\d.]{7,15}) \.\.\. (?<rangeEnd>[\d.]{7,15})/],
    meaning: 'The flannel network has no free subnet left: too small for the nodes, stale leases, or SubnetMin above SubnetMax.',
    supports: ['flannel.subnet-mismatch'],
    // opsnull/follow-me-install-kubernetes-cluster#217: `failed to acquire lease: out of subnets`, the reason of the failed lease
    explains: ['log.flannel-lease-failed'],
    severity: 'warning',
    title: 'flannel ran out of subnets',
    advice: 'Enlarge the flannel Network (or fix SubnetMin/SubnetMax), or remove the leases of deleted nodes.',
  },
  {
    id: 'log.flannel-subnet-env',
    literals: ['subnet.env', 'loadFlannelSubnetEnv'],
    pattern: /subnet\.env'?(?: file)?:?[^\n]{0,60}?(?<reason>no such file or directory|permission denied)|loadFlannelSubnetEnv failed|failed to (?:load|read) flannel '?subnet\.env/i,
    extract: [/subnet\.env'?(?: file)?:?[^\n]{0,60}?(?<reason>no such file or directory|permission denied)/i, /(?<path>\/(?:var\/)?run\/flannel\/subnet\.env)/],
    meaning: 'The flannel CNI plugin could not read subnet.env: flanneld is not running on the node or has not written it yet, so pods get no network.',
    supports: ['flannel.subnet-mismatch'],
    severity: 'warning',
    title: 'flannel subnet.env missing or unreadable',
    advice: 'Check that the flannel pod runs on this node and writes /run/flannel/subnet.env; read its log.',
  },
  {
    id: 'log.flannel-iptables-failed',
    literals: ['Failed to ensure iptables rules'],
    pattern: /Failed to ensure iptables rules/,
    extract: [IPT_TABLE, IPT_CHAIN, IPT_VERSION, EXIT_STATUS],
    continues: true,
    meaning: 'flanneld could not install its MASQUERADE and FORWARD rules: cross-node pod traffic may be dropped or leave unmasqueraded.',
    supports: ['flannel.masquerade-missing', 'iptables.kube-chains-missing', 'iptables.forward-blocks-containers', 'iptables.mixed-backends'],
    severity: 'warning',
    title: 'flannel cannot install its iptables rules',
    advice: 'Check iptables on the node (version, back end, kernel modules) with the error flannel printed.',
  },
  {
    // flannel (pkg/ip) refuses a VXLAN device that carries an address other than its own lease's: `failed to
    // ensure address of interface flannel.1: link has incompatible addresses. Remove additional addresses and try
    // again.` k3s logs it as `level=fatal msg="flannel exited: failed to configure interface flannel.1: ..."` and
    // exits (k3s-io/k3s#2599: dhcpcd had given flannel.1 the LAN address)
    id: 'log.flannel-incompatible-addresses',
    literals: ['link has incompatible addresses'],
    pattern: /failed to ensure address of interface (?<iface>[\w.-]{1,15}): link has incompatible addresses/,
    meaning: "flanneld found an address on its VXLAN device that is not its lease's and refused to start (k3s exits with it): pods on this node get no cross-node network. Something else manages the interface: a network manager (dhcpcd, NetworkManager, systemd-networkd, ifupdown) or an old lease.",
    supports: ['flannel.multiple-addresses'],
    // critical where flannel (or k3s) exited on it: analyzers/log-signatures.ts
    severity: 'warning',
    title: "flannel's VXLAN device carries a foreign address",
    advice: "Find what put the address there (dhcpcd, NetworkManager or systemd-networkd in the same journal) and tell it to leave the CNI interfaces alone; then remove the address, or delete the device, and restart flannel (k3s) so it recreates it.",
    commands: ['ip -4 addr show dev {iface}   # the address that is not the node\'s flannel lease (/run/flannel/subnet.env)', 'ip link delete {iface}   # flannel recreates it when it starts; then restart flannel (k3s: systemctl restart k3s)'],
  },
  {
    // dhcpcd (Raspberry Pi OS, k3OS) takes every interface that appears unless denied: it gives flannel.1, cni0 or
    // a pod's veth the LAN address and a second default route (k3s-io/k3s#2599's journal)
    id: 'log.dhcpcd-on-cni-interface',
    literals: [' dhcpcd['],
    pattern: /dhcpcd\[\d{1,10}\]: (?<iface>flannel[\w.-]{0,10}|cni0|cbr0|docker0|br-[0-9a-f]{12}|veth[0-9a-f]{4,12}|cali[0-9a-f]{8,11}|tunl0|vxlan\.calico|cilium_[a-z0-9_]{1,8}|weave|kube-bridge): (?<action>using static address|probing address|adding default route|adding route|leased|offered|rebinding lease|soliciting a DHCP lease)/,
    extract: [/(?:address|route to) (?<address>[0-9.]{7,15}\/\d{1,2})/, /default route via (?<gateway>[0-9.]{7,15})/],
    meaning: "dhcpcd configures a container or pod network interface as if it were the host's own: it puts the LAN address (and a default route) on it, which breaks flannel's VXLAN device, the CNI bridge or a pod's veth, and the host's own routing.",
    supports: ['flannel.multiple-addresses'],
    severity: 'warning',
    title: 'dhcpcd manages a container network interface',
    advice: 'Tell dhcpcd to leave the CNI interfaces alone (denyinterfaces in /etc/dhcpcd.conf), restart it, then restart the CNI (k3s, flannel) so it sets its interfaces up again.',
    commands: [
      "grep -q '^denyinterfaces.*flannel' /etc/dhcpcd.conf || echo 'denyinterfaces cni0 cbr0 docker0 flannel* veth* cali* tunl0 vxlan.calico cilium_* weave kube-bridge' >> /etc/dhcpcd.conf",
      'systemctl restart dhcpcd',
    ],
  },
  {
    id: 'log.vxlan-not-supported',
    literals: ['operation not supported'],
    pattern: /(?:[Rr]egistering network|vxlan|VXLAN|flannel\.\d{1,5})[^\n]{0,160}?operation not supported/,
    meaning: 'The kernel refused to create the VXLAN device: no vxlan module, or flanneld lacks the privilege.',
    supports: [],
    severity: 'warning',
    title: 'The kernel refuses the VXLAN device',
    advice: 'Load the vxlan module, run flanneld privileged, or choose another flannel backend.',
    commands: ['modprobe vxlan'],
  },
  ...PROXY_SIGNATURES,
  ...FLANNEL_IFACE_SIGNATURES,
  ...FLANNEL_VTEP_SIGNATURES,
  ...KUBE_PROXY_SIGNATURES,
  ...KUBE_PROXY_START_SIGNATURES,
  // the F lines of every kube-proxy source file, not server*.go only (signatures-r13.ts)
  KUBE_PROXY_FATAL,
  ...R13_SIGNATURES,
  ...R12_SIGNATURES,
  // H64: ENETUNREACH from any client; iptables-restore.service starting (quiet)
  ...r14Signatures({ peer: PEER, notClientLine: NOT_CLIENT_LINE }),
  // flannel's cni0 holding an old subnet's address (H69; before log.cni-setup-failed, which it explains)
  ...R15_SIGNATURES,
  ...CNI_CONFIG_SIGNATURES,
  ...DOCKER_VERSION_SIGNATURES,
  ...PODMAN_SIGNATURES,
  {
    id: 'log.cni-setup-failed',
    literals: ['network for sandbox', 'network for pod', 'etworkPlugin cni failed'],
    // containerd `failed to setup network for sandbox "ID"`, dockershim `failed to set up sandbox container "ID" network for pod "NAME"`
    pattern: /failed to set ?up (?:sandbox container \\?"(?<sandbox>[0-9a-f]{6,64})\\?" network for pod \\?"(?<pod>[^"\\\s]{1,253})|network for sandbox \\?"(?<sandbox_2>[0-9a-f]{6,64}))|[Nn]etworkPlugin cni failed to set up pod \\?"(?<pod_2>[^"\\\s]{1,253})/,
    extract: [/plugin type=\\?"(?<plugin>[\w.-]{1,40})/, /\bpod=\\?"(?<pod>[^"\\\s]{1,253})/],
    meaning: 'The CNI plugin could not give a new pod its network; the pod stays in ContainerCreating.',
    supports: [],
    severity: 'warning',
    title: 'Pods get no network from the CNI plugin',
    advice: 'Read the plugin error in the message (subnet.env, IP allocation, bridge) and the CNI plugin pod log on the node.',
  },

  // ---- containers --------------------------------------------------------------------------
  {
    id: 'log.docker-join-non-running',
    literals: ['cannot join network of a non running container'],
    pattern: /cannot join network of a non running container:?\s?(?<container>[\w.-]{0,128})/,
    extract: [/Cannot (?:re)?start container (?<restarting>[\w.-]{1,128})/],
    meaning: 'A container shares the network of another container that is not running: after a docker restart they came up in the wrong order.',
    supports: [],
    severity: 'warning',
    title: 'A container cannot join the network of a stopped container',
    advice: 'Start the container whose network is shared first, then the ones that join it (docker restart <id>, in that order).',
  },

  {
    // libnetwork (sandbox_dns_unix.go, resolvconf.FilterResolvDNS) when the host's resolv.conf has only loopback
    // nameservers, which a container cannot reach: `No non-localhost DNS nameservers are left in resolv.conf. Using
    // default external servers: [nameserver 8.8.8.8 nameserver 8.8.4.4]` (spantaleev/matrix-docker-ansible-deploy#2070;
    // older releases `servers : [...]`; recent ones without the list). dockerd >= 20.10 reads systemd-resolved's
    // upstream file itself where the host has 127.0.0.53 alone (`detected 127.0.0.53 nameserver, assuming
    // systemd-resolved, so using resolv.conf: /run/systemd/resolve/resolv.conf`): that line is not this one
    id: 'log.docker-dns-fallback-public',
    literals: ['No non-localhost DNS nameservers are left in resolv.conf'],
    pattern: /No non-localhost DNS nameservers are left in resolv\.conf\. Using default external servers(?: ?: ?\[(?<servers>[^\]\n]{0,200})\])?/,
    extract: [/IPv6 enabled; Adding default IPv6 external servers ?: ?\[(?<servers6>[^\]\n]{0,200})\]/],
    meaning:
      "The host's resolv.conf lists only loopback nameservers (a local dnsmasq, unbound or VPN client's resolver), which containers cannot reach, so Docker gave the containers Google's public servers (8.8.8.8, 8.8.4.4) instead: container DNS fails wherever outbound DNS to them is blocked (corporate networks, air-gapped sites), and names only the site's resolver knows do not resolve (moby/libnetwork#1654).",
    // not a rule dropping DNS: a finding of its own (a blocked 8.8.8.8 is outside the host's rules)
    supports: [],
    severity: 'warning',
    title: "Docker gives containers Google's public DNS servers",
    advice:
      "Give Docker the site's resolver: \"dns\": [\"<resolver IP>\"] in /etc/docker/daemon.json, merged into the settings there (not overwriting the file), then restart docker, which restarts the containers unless live-restore is on; or give the host non-loopback nameservers in its resolv.conf (the upstreams the local resolver forwards to).",
    commands: [
      "grep '^nameserver' /etc/resolv.conf   # only 127.x or ::1 here is why Docker fell back",
      "[ -s /etc/docker/daemon.json ] || echo '{}' > /etc/docker/daemon.json",
      "jq '.dns = [\"<resolver IP>\"]' /etc/docker/daemon.json > /etc/docker/daemon.json.new && mv /etc/docker/daemon.json.new /etc/docker/daemon.json   # keeps the other settings",
    ],
    caution: 'Restarting docker restarts every container, unless live-restore is on in daemon.json.',
    remedies: [
      {
        when: 'docker',
        commands: [
          "grep '^nameserver' /etc/resolv.conf   # only 127.x or ::1 here is why Docker fell back",
          "[ -s /etc/docker/daemon.json ] || echo '{}' > /etc/docker/daemon.json",
          "jq '.dns = [\"<resolver IP>\"]' /etc/docker/daemon.json > /etc/docker/daemon.json.new && mv /etc/docker/daemon.json.new /etc/docker/daemon.json   # keeps the other settings",
          '{restartDocker}',
        ],
      },
    ],
  },

  // ---- kube-proxy --------------------------------------------------------------------------
  {
    id: 'log.kube-proxy-mode',
    // kube-proxy at start (cmd/kube-proxy/app: server_linux.go, server_others.go before it):
    // "Using iptables Proxier" / "Using ipvs Proxier" / "Using nftables Proxier" (older ones end in
    // a period), the default it takes ("Using iptables proxy"; older: "Unknown proxy mode,
    // assuming iptables proxy"), "kube-proxy running in dual-stack mode" / "single-stack mode"
    // (dual-stack: the host has both iptables and ip6tables, not that the cluster has IPv6 Services).
    // k3s and RKE2 log their kube-proxy's command line: msg="Running kube-proxy --cluster-cidr=... --proxy-mode=iptables"
    literals: [' Proxier', 'iptables proxy', 'Running kube-proxy', '-stack mode'],
    pattern: /Using (?<mode>iptables|ipvs|nftables) Proxier|(?:Using|assuming) (?<mode_2>iptables) proxy\b|Running kube-proxy --|kube-proxy running in (?<stack>dual|single)-stack mode/,
    extract: [/--proxy-mode[= ](?<mode>iptables|ipvs|nftables)\b/, /--cluster-cidr[= ](?<clusterCidr>[0-9A-Fa-f.:/,]{3,400})/, /ipFamily"?="?(?<ipFamily>IPv4|IPv6)/],
    meaning: 'kube-proxy says at start which proxy mode it runs (iptables, IPVS or nftables) and for which IP families: which rules it keeps on the node.',
    supports: ['iptables.kube-chains-missing'],
    severity: 'info',
    title: "kube-proxy's proxy mode",
    advice: 'Nothing to fix: the mode says which rules kube-proxy keeps (iptables chains; IPVS services with ipsets; the nftables table kube-proxy).',
  },
  {
    // CoreDNS' loop plugin (plugin/loop/loop.go) exits when its HINFO probe comes back more than twice. Three
    // wordings: 1.2.1-1.2.x `Seen "HINFO IN <n>.<n>." more than twice, loop detected` (coredns#2087),
    // then `Forwarding loop detected in "." zone. Exiting. See https://coredns.io/plugins/loop#troubleshooting.
    // Probe query: "HINFO <n>.<n>.".`, and from 1.3 on `Loop (127.0.0.1:34614 -> :53) detected for zone ".",
    // see https://coredns.io/plugins/loop#troubleshooting. Query: "HINFO <n>.<n>."` (coredns#2790), where
    // `from` is the looping query's source (127.x: CoreDNS asked itself through a loopback nameserver)
    id: 'log.coredns-loop-detected',
    literals: ['plugin/loop: ', 'Forwarding loop detected in "', ') detected for zone "'],
    pattern:
      /(?:Loop \((?<from>[^\s)]{1,64}) -> (?<to>[^\s)]{0,64})\) detected for zone "(?<zone>[^"]{0,255})"|Forwarding loop detected in "(?<zone_2>[^"]{0,255})" zone|plugin\/loop: Seen "?HINFO IN [^\s"]{1,255}"? more than twice, loop detected)/,
    meaning:
      "CoreDNS' loop plugin saw its own probe query come back: CoreDNS forwards to itself (most often through a loopback nameserver, systemd-resolved's 127.0.0.53, in the resolv.conf kubelet hands its pod) and exits. It stays in CrashLoopBackOff and nothing resolves in the cluster.",
    supports: ['kubernetes.dns-forwarding-loop'],
    severity: 'warning',
    title: 'CoreDNS detected a forwarding loop and exited',
    advice:
      "Point kubelet's resolvConf (or --resolv-conf) at a file with real upstream nameservers, on systemd-resolved hosts /run/systemd/resolve/resolv.conf, restart kubelet and delete the CoreDNS pods; or make the Corefile forward to an upstream IP in place of /etc/resolv.conf.",
    commands: ['kubectl -n kube-system get configmap coredns -o yaml | grep -n forward   # where CoreDNS forwards', 'kubectl -n kube-system delete pod -l k8s-app=kube-dns   # after the fix'],
  },
  // ---- Docker: rootless mode, and a daemon.json dockerd refuses ----------------------------
  {
    id: 'log.docker-rootless',
    literals: ['API listen on /run/user/', 'rootlesskit', 'DOCKERD_ROOTLESS_ROOTLESSKIT_'],
    pattern:
      /API listen on \/run\/user\/(?<uid>\d{1,10})\/docker\.sock|(?:^|[\s/])(?:docker-)?rootlesskit\s[^\n]{0,2000}?--port-driver[= ](?<portDriver>[a-z0-9-]{1,32})|DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER=["']?(?<portDriver_2>[a-z0-9-]{1,32})/,
    extract: [/(?:^|[\s/])(?:docker-)?rootlesskit\s[^\n]{0,2000}?--net[= ](?<net>[a-z0-9-]{1,32})/, /DOCKERD_ROOTLESS_ROOTLESSKIT_NET=["']?(?<net_2>[a-z0-9-]{1,32})/],
    unless: OTHER_ROOTLESS_DAEMON,
    meaning: "dockerd runs rootless, inside RootlessKit's network namespace; RootlessKit's port driver forwards its published ports.",
    supports: ['docker.rootless-source-ip'],
    severity: 'info',
    title: 'Docker runs rootless',
    advice: 'Rootless Docker: its bridge, iptables rules and NAT live in RootlessKit\'s network namespace, and RootlessKit forwards its published ports.',
    quiet: true,
  },
  {
    id: 'log.docker-config-invalid',
    literals: ['unable to configure the Docker daemon with file'],
    pattern: /unable to configure the Docker daemon with file (?<path>[^\s:]{1,512}): (?<reason>[^\n]{1,600})/,
    extract: [
      /Go struct field Config\.(?<key>[\w.-]{1,64}) of type (?<type>[\w[\]]{1,32})/,
      /the following directives don't match any configuration option: (?<unknown>[^\n]{1,300})/,
      /the following directives are specified both as a flag and in the configuration file: (?<conflict>[\w.-]{1,64}): \(from flag/,
    ],
    meaning: 'dockerd refused its configuration file and exited at start: it runs no containers and made none of its iptables chains.',
    supports: ['docker.daemon-config-invalid', 'iptables.docker-chain-missing'],
    severity: 'warning',
    title: 'Docker did not start: its daemon.json was refused',
    advice:
      'Fix what the message names in the file it names (a quoted true/false or number, a key this dockerd does not know, or a setting given both as a flag and in the file), check it with dockerd --validate (Docker 23+), then start dockerd again; restarting it unchanged fails the same way.',
    commands: ['dockerd --validate --config-file {path}'],
  },
];

/**
 * The daemons of a container host itself, as a log names its writer (the syslog tag, the journal's
 * unit, the unit a collector saved the log under): what they log is the host's own doing. A
 * container's lines carry the container's tag (its ID with Docker's syslog and journald drivers) or
 * come from its pod log.
 */
const HOST_PROCESS = /^(?:snap\.)?(?:dockerd?|containerd(?:-shim[\w-]{0,40})?|crio|cri-o|podman|kubelet|kube-proxy|kube-apiserver|kube-controller-manager|kube-scheduler|etcd|k3s(?:-agent|-server)?|rke2(?:-agent|-server)?|k0s[\w-]{0,20}|microk8s[\w.-]{0,40}|flanneld?|calico-node|cilium-agent|systemd(?:-[\w-]{1,40})?|firewalld|NetworkManager|ip6?tables(?:\.init)?|sshd|kernel|dnsmasq|chronyd)(?:\.(?:service|daemon))?$/;

export function isHostProcess(unit: string | undefined): boolean {
  return unit !== undefined && HOST_PROCESS.test(unit);
}

const byId = new Map(SIGNATURES.map((s) => [s.id, s]));

export function signatureById(id: string): LogSignature | undefined {
  return byId.get(id);
}

/** Facts from named groups: `chain_2` folds into `chain`; the first non-empty value wins. */
export function factsFrom(groups: Record<string, string | undefined> | undefined, into: Record<string, string> = {}): Record<string, string> {
  if (groups === undefined) return into;
  for (const key in groups) {
    const value = groups[key];
    if (value === undefined || value === '') continue;
    const name = key.replace(/_\d+$/, '');
    const v = value.trim();
    if (into[name] === undefined && v !== '') into[name] = v;
  }
  return into;
}
