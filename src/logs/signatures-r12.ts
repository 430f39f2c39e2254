/**
 * Log signatures from review R12 (/tmp/rv12): messages the catalog missed or read backwards.
 *
 * - log.docker-resolvconf-missing: dockerd could not start a container because the host's
 *   /etc/resolv.conf did not exist (moby/moby#4861: containers started at boot before the resolver
 *   wrote the file; moby/moby#32836 NetworkManager's link with no network; moby/libnetwork#1847
 *   `could not copy source resolv.conf file /etc/resolv.conf to ...`).
 * - log.vxlan-bad-udp-checksum: tcpdump -v printing `[bad udp cksum 0xffff -> 0x76dc!] VXLAN` for
 *   packets to 4789 (tcpdump's VXLAN) or 8472 (tcpdump decodes that port as OTV): the kernel's checksum
 *   offload on the VXLAN device sends a wrong outer UDP checksum and the receiver drops the packet
 *   (projectcalico/calico#3145, flannel-io/flannel#1279, kubernetes-sigs/kubespray#8992).
 * - log.tcp-probe-of-udp-port: `nc -z` / curl / bash's /dev/tcp testing a UDP-only tunnel port over
 *   TCP (docker-archive/classicswarm#1814): a refusal there is what a healthy node answers, no finding
 *   of a service down. log.connection-refused and log.connection-timed-out leave these lines alone
 *   (their `unless` takes UDP_TUNNEL_TCP_PROBE).
 * - log.iptables-check-command (quiet): a pasted `iptables ... -C ...` command line (or the
 *   `... && echo exists` idiom of a check), the context that tells log.iptables-bad-rule's
 *   `Bad rule (does a matching rule exist in that chain?)` came from a check, not a delete
 *   (kubernetes/kubernetes#82361: iptables-nft 1.8.0-1.8.2's -C cannot find a rule it holds).
 *
 * From H38 (reviews R14 case 01, R15 case 07):
 * - log.docker-firewalld-zone-conflict: dockerd's `Failed to program NAT chain: ZONE_CONFLICT: 'docker0' already bound
 *   to a zone` (docker/for-linux#1163): Docker >= 20.10 puts its bridges in firewalld's `docker` zone and the admin
 *   had bound the interface to another; explains log.docker-network-controller-failed (one finding).
 * - log.vxlan-bad-udp-checksum also takes the receiving kernel's `UDP: bad checksum. From 172.16.9.99:27503 to
 *   172.16.80.252:8472 ulen 75` (flannel-io/flannel#1279) for 4789, 8472 and Geneve's 6081; other ports are not tunnels.
 * - quiet context for a workaround typed in a pasted session: log.offload-workaround-typed (`# ethtool -K flannel.1
 *   tx-checksum-ip-generic off` at a prompt), log.offload-workaround-output (ethtool's Actual changes: TX
 *   checksumming off), log.dns-lookup-answered (nslookup's / dig's answer after it).
 */
import type { LogSignature } from './signatures.js';
import { PROMPT_HEAD } from './prompt.js';

/** Ports that carry only UDP: VXLAN (IANA, Docker overlay, Calico), Linux's VXLAN default (flannel, Cilium), Geneve, VXLAN-GPE, WireGuard (Calico's IPv4 and IPv6). */
export const UDP_TUNNEL_PORTS: Readonly<Record<string, string>> = {
  '4789': 'VXLAN (Docker overlay networks, Calico VXLAN)',
  '8472': "Linux's VXLAN port (flannel, Cilium VXLAN)",
  '6081': 'Geneve (OVN, Cilium Geneve)',
  '4790': 'VXLAN-GPE',
  '51820': 'WireGuard (Calico, Cilium, Kilo)',
  '51821': "WireGuard (Calico's IPv6 tunnel)",
};

const TUNNEL_PORT = String.raw`(?:4789|8472|6081|4790|51820|51821)(?!\d)`;
const HOST = String.raw`[^\s/:]{1,253}|\[[0-9A-Fa-f:.]{2,45}\]`;
/** the UDP tunnel ports the kernel's `UDP: bad checksum` line counts for: VXLAN (IANA 4789, Linux's 8472) and Geneve */
const KERNEL_TUNNEL_PORT = String.raw`(?:4789|8472|6081)(?!\d)`;

/**
 * A TCP probe of a UDP-only tunnel port refused or unanswered: OpenBSD nc's `nc: connect to 10.0.0.2 port
 * 4789 (tcp) failed: Connection refused`, curl's `Failed to connect to 10.0.0.2 port 4789( after 0 ms): Connection
 * refused` / `Couldn't connect to server`, bash's `bash: /dev/tcp/10.0.0.2/4789: Connection refused`.
 */
export const UDP_TUNNEL_TCP_PROBE = new RegExp(
  String.raw`connect to (?<host>${HOST}) port (?<port>${TUNNEL_PORT}) \(tcp\) failed: (?<symptom>Connection refused|Connection timed out)` +
    String.raw`|Failed to connect to (?<host_2>${HOST}) port (?<port_2>${TUNNEL_PORT})(?: after \d{1,9} ms)?: (?<symptom_2>Connection refused|Couldn't connect to server|Connection timed out|Timeout was reached)` +
    String.raw`|/dev/tcp/(?<host_3>${HOST})/(?<port_3>${TUNNEL_PORT}): (?<symptom_3>Connection refused|Connection timed out)`,
);

/** A command typed at a shell prompt (`# `, `$ `, `[root@host ~]# `, `user@host:~$ `): the prompt of signatures.ts' PROMPT_LINE (src/logs/prompt.ts). */
const PROMPT = String.raw`${PROMPT_HEAD}[ \t]{1,4}`;

/**
 * dockerd's firewalld integration refusing an interface firewalld already has in another zone:
 * `Failed to program NAT chain: ZONE_CONFLICT: 'docker0' already bound to a zone` (docker/for-linux#1163), newer
 * firewalld naming the zone (`... already bound to 'trusted'`). dockerd's wording, not firewall-cmd's own
 * `Error: ZONE_CONFLICT: remove_interface(trusted, docker0): zoi=...`.
 */
export const DOCKER_ZONE_CONFLICT = /(?:Failed to program (?:NAT|FILTER) chain|Error initializing network controller|failed to start daemon|Error response from daemon|\bdockerd?\[\d{1,9}\]:)[^\n]{0,600}?ZONE_CONFLICT: '(?<iface>[\w.@-]{1,15})' already bound to (?:a zone|'(?<zone>[\w.-]{1,64})')/;

/**
 * H54 (R18 04): a typed iptables check, any options iptables takes before its command (`-t filter`, `-w 5`, `-W 100000`,
 * `--table=nat`, `-v`, `-n`) between the tool and -C/--check, for ip6tables and iptables-nft/-legacy, after sudo: the
 * pattern of the quiet log.iptables-check-command below, which missed `iptables -t filter -C ...`
 * (kube-router#1676). Its prefilter is derived from what the pattern accepts: every check names the tool then
 * whitespace then an option (`tables -`, a tab, more spaces, `-nft`/`-legacy`), or ends `&& echo exists`.
 */
const IPT_CHECK_HEAD = String.raw`(?:^|[\s$#>'"])(?:sudo(?:\s{1,4}-[A-Za-z]{1,4}){0,3}\s{1,4})?ip6?tables(?:-nft|-legacy)?`;
const IPT_PRE_OPTIONS = String.raw`(?:\s{1,4}(?:-[tW]|--table|--wait-interval)(?:\s{1,4}|=)[\w.]{1,16}|\s{1,4}(?:-w|--wait)(?:(?:\s{1,2}|=)\d{1,3}(?:\.\d{1,6})?)?|\s{1,4}(?:-[vn46]|--verbose|--numeric|--ipv[46])){0,6}`;
export const IPT_CHECK_COMMAND = new RegExp(
  String.raw`${IPT_CHECK_HEAD}${IPT_PRE_OPTIONS}\s{1,4}(?:-C|--check)\s{1,8}(?<chain>[A-Za-z0-9_][\w.-]{0,63})|${IPT_CHECK_HEAD}\s[^\n]{1,600}?&& echo exists`,
);
export const IPT_CHECK_LITERALS = ['tables -', 'tables\t-', 'tables  ', 'tables-nft ', 'tables-nft\t', 'tables-legacy ', 'tables-legacy\t', '&& echo exists'];

export const R12_SIGNATURES: readonly LogSignature[] = [
  {
    id: 'log.docker-firewalld-zone-conflict',
    literals: ['ZONE_CONFLICT'],
    pattern: DOCKER_ZONE_CONFLICT,
    // at dockerd's start (the default bridge), the daemon exits; a user network (docker network create) leaves it running
    extract: [/(?<daemonStart>Error initializing network controller|failed to start daemon|Error starting daemon)/, /Error creating default "(?<network>[\w.-]{1,64})" network/],
    meaning:
      "firewalld refused to put a Docker bridge in Docker's zone: since Docker 20.10, dockerd with iptables enabled and firewalld running creates a firewalld zone named docker (target ACCEPT) and adds every bridge it creates (docker0, br-<id>) to it, and this interface was already bound to another zone by the local configuration (an older workaround such as firewall-cmd --permanent --zone=trusted --add-interface=docker0, or a NetworkManager connection's zone). Docker stops there rather than leave the bridge in the other zone (moby/moby#41609); for docker0 at start it means dockerd exits. Not an iptables module or back-end problem.",
    supports: [],
    // dockerd's failed start quoting this reason is the same failure, worded for iptables (R14 case 01)
    explains: ['log.docker-network-controller-failed'],
    severity: 'warning',
    title: 'Docker did not start: firewalld has its bridge in another zone (ZONE_CONFLICT)',
    advice:
      "Find the zone the interface is bound to, take it out of that zone in firewalld's permanent configuration, reload firewalld and start Docker: Docker puts the bridge in its own docker zone itself (docs.docker.com, Docker and firewalld). Where the binding comes from NetworkManager (nmcli -g connection.zone connection show <interface> names a zone), clear it there too, or NetworkManager binds it again.",
    commands: [
      'firewall-cmd --get-zone-of-interface={iface}; firewall-cmd --permanent --get-zone-of-interface={iface}   # the zone it is bound to now and in the permanent configuration (docker is Docker\'s own)',
      'zone=$(firewall-cmd --get-zone-of-interface={iface}) && [ "$zone" != docker ] && firewall-cmd --permanent --zone="$zone" --remove-interface={iface} && firewall-cmd --reload   # stops where it is in no zone or in docker already',
      '{restartDocker}',
    ],
    caution: "firewall-cmd --reload drops what Docker added to firewalld at run time: run it while dockerd is stopped (as here), or restart Docker after it.",
  },
  {
    id: 'log.docker-resolvconf-missing',
    literals: ['open /etc/resolv.conf: no such file or directory'],
    // dockerd's own wording (journal `dockerd[1451]: ... msg="Failed to start container <id>: open /etc/resolv.conf: ..."`),
    // the client's `docker: Error response from daemon: open /etc/resolv.conf: ...`, libnetwork's copy for host mode;
    // not a program inside a container that cannot read its own resolv.conf
    pattern: /(?:Failed to start container|Error response from daemon|[Cc]annot start container|could not copy source resolv\.conf|\bdockerd?\[\d{1,9}\]:)[^\n]{0,600}?open \/etc\/resolv\.conf: no such file or directory/,
    extract: [/(?:Failed to start container|[Cc]annot start container) (?<container>[0-9a-f]{12,64})/],
    meaning:
      "dockerd could not start a container because the host's /etc/resolv.conf did not exist (or was a link to a file not written yet): Docker builds each container's resolv.conf from it. At boot this is the resolver (NetworkManager, systemd-resolved, resolvconf) not having written the file when dockerd restarted the containers (moby/moby#4861, #32836); other daemons that read it then fail too (avahi's Failed to open /etc/resolv.conf).",
    supports: [],
    severity: 'warning',
    title: "Containers did not start: the host's /etc/resolv.conf was missing",
    advice:
      "Make /etc/resolv.conf exist before dockerd starts containers: where it is a link, point it at the file the node's resolver writes (systemd-resolved: ../run/systemd/resolve/stub-resolv.conf), and order docker after network-online.target and the resolver. Or give dockerd its own servers with dns in /etc/docker/daemon.json (Docker 28 and later start containers without DNS servers when the host file is missing, instead of falling back to 8.8.8.8: moby/moby#49665). Then start the containers that failed (docker start, or a restart policy).",
    commands: [
      'ls -l /etc/resolv.conf; readlink -f /etc/resolv.conf   # missing, or a link to a file that is not there',
      'systemctl is-active systemd-resolved NetworkManager   # which resolver writes it on this node',
      'test -e /etc/resolv.conf || ln -sf ../run/systemd/resolve/stub-resolv.conf /etc/resolv.conf   # only where systemd-resolved runs; does nothing where the file is there',
      "mkdir -p /etc/systemd/system/docker.service.d && printf '[Unit]\\nWants=network-online.target\\nAfter=network-online.target systemd-resolved.service NetworkManager-wait-online.service\\n' > /etc/systemd/system/docker.service.d/10-after-resolver.conf && systemctl daemon-reload   # docker starts after the resolver at the next boot",
      'docker start {container}',
    ],
  },
  {
    id: 'log.vxlan-bad-udp-checksum',
    literals: ['bad udp cksum', 'bad checksum. From '],
    // tcpdump -v: `nodeC.local.26898 > nodeA.local.4789: [bad udp cksum 0xffff -> 0x76dc!] VXLAN, flags [I] (0x08), vni 4096`;
    // on 8472 tcpdump prints OTV (`... > 10.0.0.2.8472: [bad udp cksum 0x... -> 0x...!] OTV, flags [I] (0x08), overlay 0, instance 1`).
    // `[udp sum ok]` and `[no cksum]` (Linux's VXLAN default) are healthy; other ports are not VXLAN.
    // The receiving kernel's own drop (dmesg, journalctl -k; net/ipv4/udp.c's csum_error, IPv4 only):
    // `UDP: bad checksum. From 172.16.9.99:27503 to 172.16.80.252:8472 ulen 75` (flannel-io/flannel#1279), to a
    // VXLAN port (4789, 8472) or Geneve's (6081); a DNS or NTP packet with a bad checksum is none of this.
    pattern: new RegExp(
      String.raw`(?<src>[^\s>]{1,253})\.[\w-]{1,32} > (?<dst>[^\s>]{1,253})\.(?<port>4789|8472|vxlan): \[bad udp cksum 0x[0-9a-f]{1,4} -> 0x[0-9a-f]{1,4}!\] (?:VXLAN|OTV)\b` +
        String.raw`|\b(?<kernel>UDP(?:-?Lite)?): bad checksum\. From (?<src_2>\d{1,3}(?:\.\d{1,3}){3}):\d{1,5} to (?<dst_2>\d{1,3}(?:\.\d{1,3}){3}):(?<port_2>${KERNEL_TUNNEL_PORT}) ulen \d{1,5}\b`,
    ),
    extract: [/\bvni (?<vni>\d{1,8})\b/],
    meaning:
      "VXLAN packets carry a wrong outer UDP checksum: the kernel's checksum offload on the VXLAN device (vxlan.calico, flannel.1) fills it in wrongly, typically for traffic kube-proxy or the CNI source-NATs, and the receiving node drops them, so connections from a node to a ClusterIP or NodePort on another node hang (SYNs resent for about 63 s) while pod-to-pod traffic may work (projectcalico/calico#3145, flannel-io/flannel#1279). On VMware, the VMXNET3 NIC's own TX checksum / UDP tunnel offload does it too (vmware/photon#1321, projectcalico/calico#4727). A capture of packets the capturing node itself sends can show a bad checksum only because offload fills it in after tcpdump sees it: the proof is the same bad checksum on the receiving node, or the same SYN sent again and again.",
    // where the node's NIC is a VMXNET3 with the offload on, overlay.vxlan-checksum-offload names the device to fix
    supports: ['overlay.vxlan-checksum-offload'],
    severity: 'warning',
    title: 'VXLAN packets leave with a bad UDP checksum (checksum offload bug)',
    advice:
      'Turn off TX checksum offload on the VXLAN device on every node (vxlan.calico for Calico, flannel.1 for flannel; ip -d link show type vxlan lists them with their dstport), then make it last: the device is created again when the CNI agent restarts or the node boots.',
    commands: ['ip -d link show type vxlan | grep -E "^[0-9]+:|dstport"   # the VXLAN devices and their ports'],
    caution: 'The CPU computes the checksums instead: a small throughput cost.',
  },
  {
    id: 'log.tcp-probe-of-udp-port',
    literals: ['(tcp) failed:', 'Failed to connect to', '/dev/tcp/'],
    pattern: UDP_TUNNEL_TCP_PROBE,
    meaning:
      'A TCP connection test (nc -z, curl, bash /dev/tcp) went to a port that carries only UDP: nothing listens on TCP there on a healthy node, so a refusal or a timeout says nothing about the tunnel. Whether the tunnel port is open between the nodes is for the firewall rules of both nodes (and the cloud security groups) to tell, or a capture on the receiving node.',
    supports: ['iptables.overlay-port-blocked'],
    severity: 'info',
    title: 'A TCP test of a UDP-only tunnel port proves nothing',
    advice:
      "Test the port over UDP (nc -zuv is unreliable: UDP has no handshake) by capturing on the receiving node while the other sends overlay traffic, and collect the firewall rules of both nodes (iptables-save, nft list ruleset) and their security groups: the port must be open for UDP in both directions. Docker Swarm also needs 7946 TCP and UDP between all nodes and 2377/tcp to the managers.",
    commands: [
      'tcpdump -ni any udp port {port}   # on the receiving node, while the other node sends overlay traffic',
      'iptables-save; nft list ruleset   # on both nodes: what they do with udp port {port}',
    ],
  },
  {
    id: 'log.iptables-check-command',
    literals: IPT_CHECK_LITERALS,
    // a pasted shell line (`> iptables-nft -C KUBE-FIREWALL ...`, `$ sudo iptables -t nat -C ...`), or the
    // `... && echo exists` idiom of a check (kubernetes#82361's repro, its -A a typo of -C)
    pattern: IPT_CHECK_COMMAND,
    extract: [/(?:^|[\s$#>'"])(?:sudo )?(?<tool>ip6?tables(?:-nft|-legacy)?)\s/, /(?:^|\s)-[ACID]\s{1,8}(?<chain>[A-Za-z0-9_][\w.-]{0,63})/, /--comment\s{1,4}(?<comment>"[^"\n]{1,200}"|\S{1,200})/, /(?:^|\s)-m (?<mark>mark|connmark)\b/],
    meaning: 'A pasted iptables check (-C) of a rule: the context of the Bad rule line that follows it.',
    supports: [],
    severity: 'info',
    title: 'An iptables check command',
    advice: 'Nothing to fix by itself.',
    quiet: true,
  },
  {
    id: 'log.offload-workaround-typed',
    literals: ['ethtool -K ', 'ethtool --features ', 'ethtool --offload '],
    // flannel-io/flannel#1279's session: `[root@ip-172-16-102-241 ~]# ethtool -K flannel.1 tx-checksum-ip-generic off`;
    // calico#3145's `ethtool --offload vxlan.calico rx off tx off`. Typed at a prompt only: a script or a unit file is no event.
    pattern: new RegExp(String.raw`${PROMPT}(?:sudo )?ethtool (?:-K|--features|--offload) (?<device>[\w.@-]{1,15})(?: [\w-]{1,40} (?:on|off)){0,6}? (?<feature>tx-checksum-ip-generic|tx-checksumming|tx) off\b`),
    meaning: 'The checksum offload workaround typed at a shell prompt: the context that dates a VXLAN checksum finding and the failures before it.',
    supports: [],
    severity: 'info',
    title: 'TX checksum offload turned off at a prompt',
    advice: 'Nothing to fix by itself.',
    quiet: true,
  },
  {
    id: 'log.offload-workaround-output',
    literals: ['tx-checksum'],
    // what ethtool -K prints under `Actual changes:` once TX checksumming is off (`tx-checksumming: off`,
    // `\ttx-checksum-ip-generic: off`); a feature it could not change reads `on [requested off]` and does not match
    pattern: /^\s{0,8}(?<feature>tx-checksumming|tx-checksum-ip-generic): off\s{0,4}$/,
    meaning: "ethtool's report that TX checksumming is off: read only right after a typed ethtool -K.",
    supports: [],
    severity: 'info',
    title: "ethtool's Actual changes",
    advice: 'Nothing to fix by itself.',
    quiet: true,
  },
  {
    id: 'log.dns-lookup-answered',
    literals: ['Non-authoritative answer:', ';; ANSWER SECTION:'],
    // nslookup's answer header, dig's answer section: a lookup that got through (read only after a typed workaround)
    pattern: /^\s{0,8}(?:Non-authoritative answer:|;; ANSWER SECTION:)\s{0,4}$/,
    meaning: 'A DNS lookup typed in a session that got an answer.',
    supports: [],
    severity: 'info',
    title: 'A DNS lookup answered',
    advice: 'Nothing to fix by itself.',
    quiet: true,
  },
];
