import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanLogText } from '../../src/logs/scanner.js';
import { signatureById, SIGNATURES } from '../../src/logs/signatures.js';
import { hasCorpus, hasSeeds, projectPath, readCorpus, seedsDir, sharedDir } from '../helpers/shared.js';

type Source = { corpus: string } | { seed: string } | { fixture: string } | { text: string; origin: string };

interface Example {
  id: string;
  from: Source;
  /** 1-based line in the source */
  line?: number;
  facts: Record<string, string>;
}

const seedFile = (prefix: string) => readdirSync(seedsDir).find((f) => f.startsWith(prefix))!;

/** One real (or, where noted, format-exact) line per signature, with the facts it must yield. */
const EXAMPLES: Example[] = [
  // H69: flannel's cni0 holding an old subnet's address, as kubelet logged it (test/logs/h69-bridge-address.test.ts cites the source)
  {
    id: 'log.cni-bridge-address-mismatch',
    from: { text: String.raw`Nov 24 16:00:55 main.adks.co kubelet[1323808]: E1124 16:00:55.242325 1323808 kuberuntime_manager.go:772] "CreatePodSandbox for pod failed" err="rpc error: code = Unknown desc = failed to setup network for sandbox \"b34f120fcbb4d95069458d4154f56ba168d9b2b9ecfbd1df989d07a0b9ddda9e\": plugin type=\"flannel\" failed (add): failed to delegate add: failed to set bridge addr: \"cni0\" already has an IP address different from 10.244.0.1/24" pod="kube-system/coredns-c676cc86f-qlt6v"`, origin: 'a kubelet journal on a kubeadm node after a rejoin' },
    facts: { bridge: 'cni0', expected: '10.244.0.1/24' },
  },
  // H83: the runtime could not load a CNI config (containerd/containerd#8662, verbatim) and kubelet's NotReady line (fujitatomoya/ros_k8s#22, verbatim)
  { id: 'log.cni-config-load-failed', from: { text: 'level=error msg="failed to reload cni configuration after receiving fs change event(\\"/etc/cni/net.d/10-calico.conflist\\": WRITE)" error="cni config load failed: failed to load CNI config list file /etc/cni/net.d/10-calico.conflist: error parsing configuration list: unexpected end of JSON input: invalid cni config: failed to load cni config', origin: 'containerd (containerd/containerd#8662)' }, facts: { path: '/etc/cni/net.d/10-calico.conflist' } },
  // H91: quiet lines that date failures: kubelet ready (a public kubeadm walkthrough, verbatim), systemd's network-online.target (a public Debian syslog paste), CoreDNS' log plugin NOERROR (kubernetes/kubernetes#80243, verbatim)
  { id: 'log.node-became-ready', from: { text: 'Nov 12 14:58:51 k8s-c4-worker2 kubelet[444]: I1112 14:58:51.986379     444 kubelet_node_status.go:497] "Fast updating node status as it just became ready"', origin: 'kubelet (a kubeadm walkthrough)' }, facts: {} },
  { id: 'log.network-online', from: { text: 'Oct 01 17:56:45 dadkvm systemd[1]: Reached target Network is Online.', origin: 'systemd (a Debian syslog paste)' }, facts: {} },
  { id: 'log.coredns-query-answered', from: { text: '2019-07-19T08:24:57.576Z [INFO] 10.244.1.3:40090 - 51243 "A IN kubernetes.default.svc.cluster.local. udp 54 false 512" NOERROR qr,aa,rd 106 0.0000988s', origin: 'CoreDNS log plugin (kubernetes/kubernetes#80243)' }, facts: { qtype: 'A', lookup: 'kubernetes.default.svc.cluster.local.', rcode: 'NOERROR' } },
  { id: 'log.cni-not-initialized', from: { text: 'Apr 16 22:26:30 tomoyafujita-HP-Compaq-Elite-8300-SFF kubelet[10125]: E0416 22:26:30.150357   10125 kubelet.go:2373] "Container runtime network not ready" networkReady="NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized"', origin: 'kubelet (fujitatomoya/ros_k8s#22)' }, facts: {} },
  // H88: aardvark-dns could not bind the network's IPv6 gateway (containers/aardvark-dns#725's title), netavark's start failure (podman#24451)
  { id: 'log.aardvark-dns-bind-failed', from: { text: 'Error starting server failed to bind udp listener on [2001:db8::1]:53: IO error: Cannot assign requested address (os error 99)', origin: 'aardvark-dns (containers/aardvark-dns#725)' }, facts: { address: '[2001:db8::1]', port: '53', errno: '99' } },
  { id: 'log.aardvark-dns-start-failed', from: { text: '[nextcloud] | Error: unable to start container 54802cb6ebb3efeee8b4b1d8563d237d25d26f84223ed3bf8a63fdf7adaa8bc2: netavark: IO error: Error while applying dns entries: IO error: aardvark-dns failed to start: Error from child process', origin: 'netavark via podman-compose (containers/podman#24451)' }, facts: { reason: 'Error from child process' } },
  // H65 (R22 04): flanneld's VtepMAC lines as flannel-io/flannel#1473's reporter pasted them (the peer's address redacted)
  { id: 'log.flannel-subnet-vtep', from: { fixture: '../h65/1473/node1/kube-flannel.log' }, line: 1, facts: { op: 'adding', subnet: '10.244.1.0/24', publicIp: '<redacted>', mac: 'fe:06:04:ca:6d:1e' } },
  { id: 'log.flannel-vtep-neigh-call', from: { fixture: '../h65/1473/node1/kube-flannel.log' }, line: 2, facts: { call: 'AddARP', ip: '10.244.1.0', mac: 'fe:06:04:ca:6d:1e' } },
  // H64 (R22 08, R21 04): calico-node's ENETUNREACH to the API's ClusterIP (kubernetes#110659); CoreOS' iptables-restore.service starting (coreos/bugs#469)
  { id: 'log.client-connect-step', from: { text: '* Connected to dual.h72.test (127.0.0.1) port 8080 (#0)', origin: 'curl 7.88.1 -v, produced in a namespace (H72)' }, facts: { connected: '127.0.0.1', port: '8080' } },
  { id: 'log.docker-pool-candidate', from: { text: '    [debug] driver.go:254 172.17.42.1/16 requested network overlaps with existing network', origin: 'dockerd 1.0 (moby/moby#6442)' }, facts: { rejected: '172.17.42.1/16', overlapsWith: 'existing network' } },
  { id: 'log.docker-daemon-version', from: { text: 'Dec  3 09:11:59 rhel9fw dockerd[1187]: time="2026-12-03T09:11:59.391440263Z" level=info msg="Docker daemon" commit=c710b88 containerd-snapshotter=false storage-driver=overlay2 version=26.1.3', origin: 'reviewer R25 case 07 (var/log/messages), made on a host of this project' }, facts: { version: '26.1.3', commit: 'c710b88' } },
  { id: 'log.network-unreachable', from: { text: '2022-06-20 08:40:09.355 [INFO][9] startup/startup.go 416: Hit error connecting to datastore - retry error=Get "https://10.96.0.1:443/api/v1/nodes/foo": dial tcp 10.96.0.1:443: connect: network is unreachable', origin: 'calico-node (kubernetes/kubernetes#110659)' }, facts: { host: '10.96.0.1', port: '443' } },
  { id: 'log.firewall-writer-start', from: { text: 'Sep 13 02:07:09 localhost systemd[1]: Starting Restore iptables firewall rules...', origin: 'systemd on CoreOS (coreos/bugs#469)' }, facts: { action: 'Starting', family: 'iptables' } },
  // R12's tickets: dockerd without the host's resolv.conf (moby#4861), VXLAN bad checksums in tcpdump (calico#3145), nc of a UDP tunnel port (classicswarm#1814), an iptables -C check (kubernetes#82361)
  { id: 'log.docker-resolvconf-missing', from: { fixture: '../r12/moby4861-journalctl.txt' }, line: 2, facts: { container: 'b2111a98e8050c720d26c341358e5916543cee2cf29e6f21328d1925fa32ec45' } },
  { id: 'log.vxlan-bad-udp-checksum', from: { fixture: '../r12/calico3145-tcpdump.txt' }, line: 4, facts: { port: '4789', src: 'nodeC.local', dst: 'nodeA.local', vni: '4096' } },
  { id: 'log.tcp-probe-of-udp-port', from: { fixture: '../r12/classicswarm1814-nc-ports.txt' }, line: 2, facts: { host: '10.x.x.x', port: '4789', symptom: 'Connection refused' } },
  { id: 'log.iptables-check-command', from: { fixture: '../r12/k8s82361-iptables-nft-check.txt' }, line: 2, facts: { tool: 'iptables-nft', chain: 'KUBE-FIREWALL', mark: 'mark' } },
  // H53 (R18 05-07, R17 06): kube-proxy in a node container (microk8s#119, minikube#11418), its start past conntrack (minikube#5238), a fatal line of
  // another cause (opsnull#367), k3s ServiceLB's forwarding check (k3s#4400, klipper-lb#10), netavark's nft ENOENT (netavark#1057, podman#23404)
  { id: 'log.kube-proxy-conntrack-setup-failed', from: { fixture: '../h53/microk8s119-journal.txt' }, line: 4, facts: { op: 'write', path: '/sys/module/nf_conntrack/parameters/hashsize', reason: 'operation not supported', exit: 'F' } },
  { id: 'log.kube-proxy-conntrack-setup-failed', from: { fixture: '../h53/minikube11418-kube-proxy.log' }, line: 7, facts: { op: 'open', path: '/proc/sys/net/netfilter/nf_conntrack_max', reason: 'permission denied', exit: 'F' } },
  { id: 'log.kube-proxy-started', from: { fixture: '../h53/minikube5238-kube-proxy.log' }, line: 12, facts: { controller: 'service' } },
  { id: 'log.kube-proxy-fatal', from: { fixture: '../h53/opsnull367-kube-proxy-journal.txt' }, line: 3, facts: { pid: '12352', source: 'server.go', text: 'open /var/run/secrets/kubernetes.io/serviceaccount/token: no such file or directory' } },
  { id: 'log.svclb-forwarding-read', from: { fixture: '../h53/k3s4400-svclb-lb-port-80.log' }, line: 11, facts: { family: 'ipv6' } },
  { id: 'log.svclb-forwarding-disabled', from: { fixture: '../h53/k3s4400-svclb-lb-port-80.log' }, line: 12, facts: { value: '0' } },
  { id: 'log.shell-trace-exit', from: { fixture: '../h53/k3s4400-svclb-lb-port-80.log' }, line: 13, facts: { code: '1' } },
  { id: 'log.svclb-forwarding-write-refused', from: { fixture: '../h53/klipperlb10-lxc.log' }, line: 2, facts: { family: 'ipv4', reason: 'Read-only file system' } },
  { id: 'log.netavark-nftables-failed', from: { fixture: '../h53/podman23404-run.txt' }, line: 10, facts: { what: 'nft did not return successfully while applying ruleset' } },
  { id: 'log.nft-rule-not-processed', from: { fixture: '../h53/netavark1057-title.txt' }, line: 1, facts: { where: 'internal:0:0-0', nftError: 'No such file or directory' } },
  // H38: dockerd's firewalld ZONE_CONFLICT (docker/for-linux#1163); flannel#1279: the receiving kernel's bad checksum on 8472, the typed ethtool workaround, its Actual changes, nslookup's answer
  { id: 'log.docker-firewalld-zone-conflict', from: { fixture: '../h38/for-linux-1163-journalctl.txt' }, line: 3, facts: { iface: 'docker0', daemonStart: 'failed to start daemon', network: 'bridge' } },
  { id: 'log.vxlan-bad-udp-checksum', from: { fixture: '../h38/flannel-1279-dmesg.txt' }, line: 1, facts: { kernel: 'UDP', src: '172.16.9.99', dst: '172.16.80.252', port: '8472' } },
  { id: 'log.offload-workaround-typed', from: { fixture: '../h38/flannel-1279-session.txt' }, line: 3, facts: { device: 'flannel.1', feature: 'tx-checksum-ip-generic' } },
  { id: 'log.offload-workaround-output', from: { fixture: '../h38/flannel-1279-session.txt' }, line: 6, facts: { feature: 'tx-checksum-ip-generic' } },
  { id: 'log.dns-lookup-answered', from: { fixture: '../h38/flannel-1279-session.txt' }, line: 16, facts: {} },
  // H84: Go's resolver asking Docker's embedded DNS for a Compose service that is not there (TykTechnologies/tyk-pro-docker-demo#28)
  { id: 'log.dns-lookup-failed', from: { text: 'Error trying to set value: dial tcp: lookup redis on 127.0.0.11:53: no such host"', origin: 'TykTechnologies/tyk-pro-docker-demo#28' }, facts: { lookup: 'redis', host: '127.0.0.11', port: '53', error: 'no such host' } },
  { id: 'log.iptables-no-chain', from: { corpus: 'moby-26494-docker-run-publish-nat-DOCKER-chain-missing.log' }, line: 3, facts: { table: 'nat', chain: 'DOCKER', target: 'DNAT' } },
  { id: 'log.docker-start-failed', from: { text: 'Nov 20 07:58:32 web-07 dockerd[1022]: Error starting daemon: error initializing graphdriver: driver not supported', origin: 'dockerd before 20.10 (moby daemon/start)' }, facts: { reason: 'error initializing graphdriver: driver not supported' } },
  { id: 'log.docker-start-failed', from: { text: 'Nov 20 07:58:32 web-07 dockerd[1022]: failed to start daemon: error initializing graphdriver: driver not supported: overlay2', origin: 'dockerd 20.10+ wording (moby daemon/start)' }, facts: { reason: 'error initializing graphdriver: driver not supported: overlay2' } },
  { id: 'log.iptables-cleanup-harmless', from: { corpus: 'docker-for-linux-1104-firewalld-docker-isolation-stage-no-chain.log' }, line: 5, facts: { table: 'filter', chain: 'DOCKER-ISOLATION-STAGE-2' } },
  {
    id: 'log.iptables-cleanup-harmless',
    from: { text: "Nov 19 07:00:12 k8s-node-3 firewalld[5324]: WARNING: COMMAND_FAILED: '/usr/sbin/iptables -w10 -t nat -D OUTPUT -m addrtype --dst-type LOCAL -j DOCKER' failed: iptables: No chain/target/match by that name.", origin: 'firewalld passthrough at Docker start (moby/libnetwork#2622)' },
    facts: { table: 'nat', chain: 'DOCKER' },
  },
  {
    id: 'log.docker-port-conflict',
    from: {
      text: 'Nov 20 09:12:40 k8s-node-3 dockerd[912]: time="2026-11-20T09:12:40.118000000Z" level=error msg="Handler for POST /v1.41/containers/66f846a87dfd/start returned error: driver failed programming external connectivity on endpoint nestjs-class-db-1 (66f846a87dfdd62fd18869360453f74141a3d26fa5700691b3f864ef5e4576c3): Error starting userland proxy: listen tcp4 0.0.0.0:5432: bind: address already in use"',
      origin: 'dockerd, docker-proxy cannot listen (reviewer report, healthy-port bundle)',
    },
    facts: { endpoint: 'nestjs-class-db-1', address: '0.0.0.0', port: '5432' },
  },
  { id: 'log.docker-port-programming-failed', from: { corpus: 'kata-tests-4617-filter-DOCKER-chain-removed.log' }, line: 1, facts: { endpoint: 'jaeger', table: 'filter', chain: 'DOCKER', port: '16686' } },
  { id: 'log.iptables-bad-rule', from: { corpus: 'moby-16137-firewalld-centos7-dnat-no-chain.log' }, line: 2, facts: { table: 'filter', chain: 'INPUT', target: 'ACCEPT' } },
  { id: 'log.docker-ingress-chain-missing', from: { fixture: '../swarm-ingress-reload/firewalld-journal.txt' }, line: 3, facts: { table: 'nat', chain: 'DOCKER-INGRESS' } },
  { id: 'log.iptables-trace', from: { seed: '004_' }, line: 1309, facts: { table: 'filter', chain: 'KUBE-FIREWALL', kind: 'return', rule: '2' } },
  { id: 'log.xtables-lock', from: { corpus: 'kubernetes-57428-gke-configure-helper-xtables-lock.log' }, line: 13, facts: {} },
  { id: 'log.iptables-restore-failed', from: { corpus: 'kubernetes-112292-kube-proxy-iptables-restore-line-1193.log' }, line: 1, facts: { line: '1193', exitStatus: '1' } },
  { id: 'log.iptables-restore-failed', from: { corpus: 'flannel-971-kube-proxy-restore-line-3868.log' }, line: 1, facts: { line: '3868' } },
  {
    id: 'log.iptables-couldnt-load-match',
    from: { text: "iptables v1.8.9 (legacy): Couldn't load match `nosuchmatch':No such file or directory", origin: 'iptables-legacy 1.8.9 here, -m nosuchmatch' },
    facts: { kind: 'match', module: 'nosuchmatch', version: '1.8.9', backend: 'legacy' },
  },
  { id: 'log.iptables-unknown-option', from: { corpus: 'kube-proxy-25-ip6tables-restore-unknown-option-xor-mark.log' }, line: 2, facts: { tool: 'ip6tables-restore', version: '1.8.7', backend: 'nf_tables', option: '--xor-mark' } },
  { id: 'log.iptables-bad-argument', from: { corpus: 'kubernetes-36652-kube-proxy-restore-bad-argument-empty-source.log' }, line: 7, facts: { argument: 'KUBE-SVC-574IYFDEANSYIEBF', exitStatus: '2' } },
  { id: 'log.nf-tables-chain-missing', from: { corpus: 'sismics-docs-253-docker-nf_tables-1.8.1-chain-DNAT-does-not-exist.log' }, line: 2, facts: { chain: 'DNAT', version: '1.8.1', backend: 'nf_tables' } },
  { id: 'log.nf-tables-chain-missing', from: { corpus: 'docker-for-linux-1128-dockerd-nf_tables-chain-add-failed.log' }, line: 4, facts: { chain: 'PREROUTING', version: '1.8.5' } },
  {
    id: 'log.nf-tables-chain-missing',
    from: { text: "iptables v1.8.9 (nf_tables): Chain 'DOCKER-USER' does not exist", origin: 'iptables-nft 1.8.9 here: iptables -I FORWARD -j DOCKER-USER in an empty netns' },
    facts: { chain: 'DOCKER-USER', version: '1.8.9', backend: 'nf_tables' },
  },
  { id: 'log.podman-rules-flushed', from: { fixture: '../r3-logs/podman-8048/terminal-output.txt' }, line: 9, facts: { chain: 'CNI-f1d9f8791753a895cccae697', table: 'nat', version: '1.8.4' } },
  { id: 'log.podman-rules-flushed', from: { fixture: '../r3-logs/podman-1431/podman-run.txt' }, line: 7, facts: { chain: 'CNI-f50e48a52fa26aaaad634e9a', table: 'nat', version: '1.4.21' } },
  { id: 'log.podman-rules-flushed', from: { fixture: '../r3-logs/netavark-230/podman-stop.txt' }, line: 3, facts: {} },
  {
    id: 'log.podman-rules-flushed',
    from: {
      text: 'ERRO[0000] Error while removing pod from CNI network "podman": running [/sbin/iptables -t nat -D POSTROUTING -s 10.88.0.145 -j CNI-6e99e89ea38dea2f8ce2dada -m comment --comment name: "podman" id: "ae900e94aea294f14bcf113ca71f05be682941e9dcfbb5e276a23eec4a58fcd4" --wait]: exit status 2: iptables v1.8.2 (nf_tables): Chain \'CNI-6e99e89ea38dea2f8ce2dada\' does not exist',
      origin: 'containers/podman#5335, comment by ikke-t, 2020-02-27',
    },
    facts: { chain: 'CNI-6e99e89ea38dea2f8ce2dada', version: '1.8.2' },
  },
  { id: 'log.nf-tables-incompatible', from: { corpus: 'kube-router-1777-k3s-chain-incompatible-use-nft.log' }, line: 1, facts: { chain: 'INPUT', table: 'filter', version: '1.8.10' } },
  {
    id: 'log.nf-tables-incompatible',
    from: { text: "iptables v1.8.10 (nf_tables): table `filter' is incompatible, use 'nft' tool.", origin: 'moby/moby#48411, comment by Tony763 (iptables -nvL on a host whose table ip filter nft wrote)' },
    facts: { table: 'filter', version: '1.8.10', backend: 'nf_tables' },
  },
  {
    id: 'log.docker-no-free-address-pool',
    from: {
      text: 'FATA[0000] Error starting daemon: Error initializing network controller: Error creating default "bridge" network: failed to parse pool request for address space "LocalDefault" pool "" subpool "": could not find an available predefined network ',
      origin: 'moby/libnetwork#779, issue description (docker -d under an OpenVPN def1 route pair)',
    },
    facts: { daemonStart: 'Error starting daemon' },
  },
  {
    id: 'log.docker-no-free-address-pool',
    from: {
      text: 'Jan 22 17:21:45 l57f12112.sqa.nu8 dockerd[68317]: failed to start daemon: Error initializing network controller: list bridge addresses failed: PredefinedLocalScopeDefaultNetworks List: [172.17.0.0/16 172.18.0.0/16 192.168.240.0/20]: no available network',
      origin: 'a CentOS journal quoting docker/for-linux#123 (pool list shortened)',
    },
    facts: { daemonStart: 'failed to start daemon', pools: '172.17.0.0/16 172.18.0.0/16 192.168.240.0/20' },
  },
  {
    id: 'log.docker-no-free-address-pool',
    from: { text: 'ERROR: could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network', origin: 'docker-compose up (a compose project over Docker with its pools used up)' },
    facts: { family: '4' },
  },
  {
    id: 'log.docker-no-free-address-pool',
    from: {
      text: "# Could not find a free IP address range for interface 'docker0'.",
      origin: "Docker 1.x's daemon (docker -d) on a router, as pasted in a public blog post: the message's first line (moby/moby#6442's era)",
    },
    facts: {},
  },
  {
    id: 'log.docker-daemon-initialized',
    from: { text: 'Nov 20 09:57:54 k8s-worker-2 dockerd[981]: time="2026-11-20T09:57:54.455824009Z" level=info msg="Daemon has completed initialization"', origin: 'test/fixtures/logs/healthy-k8s-worker-syslog.log:67' },
    facts: {},
  },
  {
    id: 'log.firewall-rejected-container-traffic',
    from: {
      text: 'Sep 15 09:10:14 kubeadm1.galifrey.net kernel: filter_FWD_public_REJECT: IN=flannel.1 OUT=cni0 MAC=56:91:4a:53:80:9b:7a:76:66:99:cf:da:08:00 SRC=10.244.1.0 DST=10.244.0.2 LEN=69 T>',
      origin: 'flannel-io/flannel#2055, issue description (firewalld LogDenied, nftables back end)',
    },
    facts: { prefix: 'filter_FWD_public_REJECT', hook: 'FWD', zone: 'public', verdict: 'REJECT', in: 'flannel.1', out: 'cni0', src: '10.244.1.0', dst: '10.244.0.2' },
  },
  {
    id: 'log.firewall-rejected-container-traffic',
    from: {
      text: 'Jan 21 22:28:23 kw kernel: [UFW BLOCK] IN=docker0 OUT= PHYSIN=veth9d6736b MAC=02:42:03:31:03:bd:02:42:ac:11:00:02:08:00 SRC=172.17.0.2 DST=192.168.1.5 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=46883 DF PROTO=TCP SPT=36484 DPT=9000 WINDOW=64240 RES=0x00 SYN URGP=0',
      origin: 'a MinIO write-up: ufw blocking a container on docker0 from the host port 9000 (journalctl -f)',
    },
    facts: { prefix: 'UFW BLOCK', in: 'docker0', src: '172.17.0.2', dst: '192.168.1.5', proto: 'TCP', dpt: '9000', flags: 'SYN' },
  },
  {
    id: 'log.firewall-rejected-container-traffic',
    from: {
      text: 'May  2 18:00:18 xxx-hetzner-1 kernel: [  216.304748] [UFW DOCKER BLOCK] IN=enp6s0 OUT=br-280bbe3477ec MAC=XX:XX:XX:XX:XX:XX:XX:XX SRC=XXX.XXX.XXX.XXX DST=172.19.0.4 LEN=60 TOS=0x00 PREC=0x00 TTL=51 ID=51523 DF PROTO=TCP SPT=33762 DPT=80 WINDOW=64240 RES=0x00 SYN URGP=0',
      origin: "chaifeng/ufw-docker#119, ufw-docker's own log prefix (its after.rules' ufw-docker-logging-deny chain)",
    },
    facts: { prefix: 'UFW DOCKER BLOCK', in: 'enp6s0', out: 'br-280bbe3477ec', dst: '172.19.0.4', proto: 'TCP', dpt: '80', flags: 'SYN' },
  },
  {
    id: 'log.firewall-rejected-routed-traffic',
    from: {
      text: '[ 1482.927991] filter_IN_public_REJECT: IN=eth0 OUT= MAC=ae:49:0e:3d:0b:fc:82:f6:ec:9f:1b:7e:08:00 SRC=10.244.1.5 DST=192.168.56.11 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=50167 DF PROTO=TCP SPT=48626 DPT=10250 WINDOW=64240 RES=0x00 SYN URGP=0',
      origin: "the kernel's LOG line for a pod routed on eth0 (flannel host-gw), made here in a network namespace with firewalld's prefix (test/fixtures/h3-logs/routed-dmesg.txt)",
    },
    facts: { prefix: 'filter_IN_public_REJECT', zone: 'public', in: 'eth0', src: '10.244.1.5', dst: '192.168.56.11', proto: 'TCP', dpt: '10250', flags: 'SYN' },
  },
  {
    id: 'log.calico-bgp-not-established',
    from: { text: 'bird: Mesh_10_99_0_2: Connection lost (Connection refused)', origin: 'BIRD 1.6.8 here as calico-node runs it (bird -d), a peer with nothing on TCP 179 (test/fixtures/h3-logs/bird-refused-unreachable.log)' },
    facts: { birdProtocol: 'Mesh_10_99_0_2', birdError: 'Connection refused' },
  },
  {
    id: 'log.calico-bgp-not-established',
    from: { text: '2016-06-15_07:13:07.98666 bird: Mesh_10_0_5_102: Socket error: bind: Address not available', origin: 'projectcalico/calicoctl#819, /var/log/calico/bird/current' },
    facts: { birdProtocol: 'Mesh_10_0_5_102', birdError: 'bind: Address not available' },
  },
  {
    id: 'log.calico-bgp-not-established',
    from: { text: 'bird: BGP: Unexpected connect from unknown address 10.40.0.0 (port 39193)', origin: "projectcalico/calicoctl#1071, calico-node's log" },
    facts: { unknownAddress: '10.40.0.0' },
  },
  {
    id: 'log.calico-bgp-not-established',
    from: {
      text: 'Readiness probe failed: 2022-11-21 01:46:49.282 [INFO][1063] confd/health.go 180: Number of node(s) with BGP peering established = 0 calico/node is not ready: BIRD is not ready: BGP not established with 10.0.3.142,10.0.3.78',
      origin: "kubectl describe pod calico-node (a write-up on opening 179/tcp in a security group), one line",
    },
    facts: { peers: '10.0.3.142,10.0.3.78' },
  },
  { id: 'log.iptables-table-unavailable', from: { corpus: 'moby-37694-dockerd-nat-table-does-not-exist-centos7.log' }, line: 1, facts: { table: 'nat', reason: 'Table does not exist', version: '1.4.21' } },
  { id: 'log.iptables-table-unavailable', from: { corpus: 'flannel-1271-iptables-nat-bad-address-exit-status.log' }, line: 5, facts: { table: 'nat', reason: 'Bad address', backend: 'legacy' } },
  // H95 (R29 10): modprobe inside dockerd's fatal line, vzhilov/WDMC-Ex2-Ultra#3 (verbatim)
  {
    id: 'log.kernel-module-not-found',
    from: { text: 'failed to start daemon: Error initializing network controller: error obtaining controller instance: failed to create NAT chain DOCKER: iptables failed: iptables -t nat -N DOCKER: modprobe: FATAL: Module ip_tables not found in directory /lib/modules/5.5.3-mvebu-tld-1-dirty', origin: 'dockerd -D (vzhilov/WDMC-Ex2-Ultra#3)' },
    facts: { missingModule: 'ip_tables', moduleKernel: '5.5.3-mvebu-tld-1-dirty', table: 'nat' },
  },
  // H95 (R29 06, 07): LOG prefixes of the host's own rules (voxpupuli/puppet-nftables#114, oniGino/docker-nftables-scripts#1, verbatim)
  {
    id: 'log.firewall-rejected-container-traffic',
    from: { text: '2021-12-06T15:28:47.648098+01:00 cbox-appsdev-01.cern.ch kernel: [nftables] FORWARD Rejected: IN=br-ea660202f5a0 OUT=eth0 PHYSIN=vethbd4a68f MACSRC=xxxxxx MACDST=xxxxxx MACPROTO=0800 SRC=172.19.0.2 DST=x.x.x.x LEN=56 TOS=0x00 PREC=0x00 TTL=63 ID=19185 DF PROTO=UDP SPT=54587 DPT=53 LEN=36 ', origin: 'voxpupuli/puppet-nftables#114' },
    facts: { ownPrefix: '[nftables] FORWARD Rejected:', in: 'br-ea660202f5a0', out: 'eth0', src: '172.19.0.2', proto: 'UDP', dpt: '53' },
  },
  {
    id: 'log.firewall-rejected-container-traffic',
    from: { text: 'NFTABLES IPv4 FORWARD DROP - IN=docker0 OUT=eno1 PHYSIN=veth1504c43 SRC=172.17.0.4 DST=8.8.8.8 ...', origin: 'oniGino/docker-nftables-scripts#1' },
    facts: { ownPrefix: 'NFTABLES IPv4 FORWARD DROP -', in: 'docker0', out: 'eno1', src: '172.17.0.4', dst: '8.8.8.8' },
  },
  { id: 'log.iptables-legacy-tables-present', from: { corpus: 'k3s-3117-growing-rules-legacy-tables-present.log' }, line: 2, facts: {} },
  { id: 'log.docker-network-controller-failed', from: { corpus: 'moby-32349-dockerd-inject-PREROUTING-no-chain.log' }, line: 5, facts: { table: 'nat', chain: 'PREROUTING' } },
  // docker/for-linux#1521 (snex's syslog): Docker 28.0.0 without xt_set; the line names the extension and the match
  { id: 'log.docker-network-controller-failed', from: { fixture: '../h13-logs/for-linux-1521/syslog' }, line: 4, facts: { extension: 'set', match: 'set', chain: 'FORWARD' } },
  { id: 'log.iptables-module-missing', from: { fixture: '../h13-logs/for-linux-1521/syslog' }, line: 4, facts: { extension: 'set', revision: '0', match: 'set' } },
  // spantaleev/matrix-docker-ansible-deploy#2070
  { id: 'log.docker-dns-fallback-public', from: { fixture: '../h13-logs/matrix-2070/journalctl-u-docker.txt' }, line: 1, facts: { servers: 'nameserver 8.8.8.8 nameserver 8.8.4.4' } },
  // e2b-dev/infra#3508 (the line the PR quotes); the IPv6 table: netdev, 2023-06-03, <4d2f356a-9a81-7868-2b62-e977672407e3@huawei.com>; older kernels: freifunk-gluon/gluon#83
  { id: 'log.neighbour-table-overflow', from: { fixture: '../h13-logs/e2b-3508/dmesg.txt' }, line: 1, facts: { table: 'arp_cache' } },
  { id: 'log.neighbour-table-overflow', from: { text: '[  563.176845] neighbour: ndisc_cache: neighbor table overflow!', origin: 'netdev report <4d2f356a-9a81-7868-2b62-e977672407e3@huawei.com>' }, facts: { table: 'ndisc_cache' } },
  { id: 'log.neighbour-table-overflow', from: { text: 'ipv4: Neighbour table overflow.', origin: 'freifunk-gluon/gluon#83, the message of kernels before 3.x' }, facts: { family: 'ipv4' } },
  { id: 'log.ip-forward-disabled', from: { corpus: 'moby-22805-ipv4-forwarding-disabled-warning.log' }, line: 19, facts: {} },
  { id: 'log.ip-forward-disabled', from: { corpus: 'kubernetes-67431-kubeadm-preflight-br-netfilter-missing-ip-forward-0.log' }, line: 2, facts: {} },
  { id: 'log.bridge-nf-call', from: { corpus: 'minikube-8638-kubeadm-preflight-bridge-nf-call-iptables.log' }, line: 7, facts: {} },
  {
    id: 'log.conntrack-table-full',
    from: { text: 'Nov 20 10:00:00 node-1 kernel: [12345.678901] nf_conntrack: nf_conntrack: table full, dropping packet', origin: 'kernel message format (pr_fmt prefix + message)' },
    facts: { module: 'nf_conntrack' },
  },
  {
    id: 'log.conntrack-table-full',
    from: { fixture: '../r3-logs/conntrack-71261/dmesg-T.txt' },
    line: 1,
    facts: { module: 'nf_conntrack' },
  },
  { id: 'log.kube-proxy-conntrack-max', from: { fixture: '../r3-logs/conntrack-71261/kube-proxy.log' }, line: 1, facts: { max: '786432' } },
  {
    id: 'log.kube-proxy-conntrack-max',
    from: { text: "I0322 02:18:37.205893       1 conntrack.go:98] Set sysctl 'net/netfilter/nf_conntrack_max' to 655350", origin: 'kube-proxy v1.12.5 (kubernetes/kubernetes#75575)' },
    facts: { max: '655350' },
  },
  { id: 'log.kube-proxy-conntrack-max', from: { corpus: 'hotsos-charmed-k8s-snap-kube-proxy-journal.log' }, line: 184, facts: { max: '131072' } },
  { id: 'log.kube-proxy-conntrack-max', from: { corpus: 'hotsos-charmed-k8s-snap-kube-proxy-journal.log' }, line: 185, facts: { max: '131072' } },
  {
    id: 'log.kube-proxy-conntrack-max',
    from: { text: "INFO[2021-05-18T19:44:36.583297811Z] Set sysctl 'net/netfilter/nf_conntrack_max' to 131072", origin: 'k3s agent setting up its kube-proxy (k3s-io/k3s#3337)' },
    facts: { max: '131072' },
  },
  { id: 'log.firewall-restart', from: { seed: '000_' }, line: 40, facts: { action: 'restart', service: 'iptables' } },
  { id: 'log.firewall-flushed', from: { fixture: '../../../bundles/src/docker-chains-flushed/sosreport-docker-host-01-2026-11-20-ticket4711/var/log/messages' }, line: 4, facts: { service: 'iptables' } },
  { id: 'log.firewall-restart', from: { fixture: '../r3-logs/podman-8048/terminal-output.txt' }, line: 4, facts: { action: 'reload' } },
  { id: 'log.firewall-restart', from: { fixture: 'healthy-k8s-worker-syslog.log' }, line: 24, facts: { action: 'Starting', service: 'Uncomplicated firewall' } },
  // nftables.service by its unit descriptions: Debian's "nftables", RHEL's "Netfilter Tables"
  { id: 'log.firewall-restart', from: { text: 'Dec  2 10:00:00 deb12 systemd[1]: Stopping nftables.service - nftables...', origin: "systemd 252's unit message for Debian 12's nftables.service" }, facts: { action: 'Stopping', service: 'nftables' } },
  { id: 'log.firewall-restart', from: { text: 'Dec  2 10:00:00 rhel9 systemd[1]: Reloading Netfilter Tables...', origin: "RHEL 9's nftables.service (Description=Netfilter Tables) reloading" }, facts: { action: 'Reloading', service: 'Netfilter Tables' } },
  { id: 'log.aws-vpc-cni-snat-config', from: { fixture: '../aws-snat/eks_i-0a1b2c3d4e5f60718_2026-12-01_1031-UTC_0.7.8/var_log/aws-routed-eni/ipamd.log' }, line: 5, facts: { shouldExist: 'true' } },
  { id: 'log.calico-loose-rpf', from: { fixture: '../rp-filter/logs/calico-node-felix.log' }, line: 1, facts: {} },
  { id: 'log.port-timeout', from: { seed: '002_' }, line: 52, facts: {} },
  { id: 'log.ports-not-listening', from: { seed: '002_' }, line: 81, facts: {} },
  { id: 'log.connection-refused', from: { corpus: 'hotsos-charmed-k8s-snap-kube-proxy-journal.log' }, line: 175, facts: { host: '10.6.3.201', port: '6443' } },
  { id: 'log.connection-refused', from: { seed: '004_' }, line: 87, facts: { host: 'mdt-api-products', port: '8060' } },
  { id: 'log.connection-refused', from: { seed: '004_' }, line: 217, facts: { host: 'localhost', port: '8080' } },
  {
    id: 'log.connection-timed-out',
    from: { text: 'psql: error: connection to server at "127.0.0.1", port 5434 failed: Connection timed out', origin: 'psql 15 here, behind a DROP rule (realtools.test.ts makes it live)' },
    facts: { host: '127.0.0.1', port: '5434' },
  },
  { id: 'log.swarm-peer-unreachable', from: { fixture: '../r3-logs/swarm-35688/dockerd-worker.log' }, line: 1, facts: { peer: '192.192.0.2', port: '7946', host: '192.192.0.2', symptom: 'connection refused' } },
  { id: 'log.swarm-peer-unreachable', from: { fixture: '../r3-logs/swarm-33721/dockerd.log' }, line: 10, facts: { peer: '10.0.109.151', port: '7946', symptom: 'i/o timeout' } },
  { id: 'log.swarm-peer-unreachable', from: { fixture: '../r3-logs/swarm-33721/dockerd.log' }, line: 7, facts: { peerName: 'ip-10-0-109-151-2122b7c4e5ee', symptom: 'UDP' } },
  {
    id: 'log.swarm-peer-unreachable',
    from: {
      text: 'Mar 09 17:22:29 dev-node-006.ts-l2pf.cloud-omc.org dockerd[1310]: time="2018-03-09T17:22:29.442630899Z" level=error msg="2018/03/09 17:22:29 [ERR] memberlist: Failed fallback ping: read tcp 10.0.1.26:50300->10.0.1.29:7946: i/o timeout\\n',
      origin: 'moby/libnetwork#962, comment by antoinetran, 2018-03-09 (dockerd before 18.06 relays memberlist with its date and level; the quote in the thread ends there)',
    },
    facts: { peer: '10.0.1.29', port: '7946', symptom: 'i/o timeout' },
  },
  {
    id: 'log.swarm-peer-unreachable',
    from: {
      text: 'Error response from daemon: rpc error: code = Unavailable desc = all SubConns are in TransientFailure, latest connection error: connection error: desc = "transport: Error while dialing dial tcp 192.168.65.3:2377: connect: connection refused"',
      origin: 'docker swarm join to a manager whose 2377 is closed (docker-archive/classicswarm#2952, 2019-06-30)',
    },
    facts: { peer: '192.168.65.3', port: '2377', symptom: 'connection refused' },
  },
  {
    id: 'log.no-route-to-host',
    from: { text: 'psql: error: connection to server at "10.99.0.5", port 5432 failed: No route to host', origin: 'psql 15 here, unreachable route (realtools.test.ts makes it live)' },
    facts: { host: '10.99.0.5', port: '5432' },
  },
  {
    id: 'log.connection-failed',
    from: { text: "curl: (7) Failed to connect to 10.9.0.1 port 80 after 0 ms: Couldn't connect to server", origin: 'curl 7.88 here, a closed port (curl-connect-failed.test.ts makes it live)' },
    facts: { host: '10.9.0.1', port: '80', elapsedMs: '0' },
  },
  { id: 'log.flannel-lease-failed', from: { corpus: 'flannel-688-failed-to-acquire-lease-rbac.log' }, line: 1, facts: { op: 'acquire', reason: 'the server does not allow access to the requested resource (put nodes ubuntu)' } },
  { id: 'log.flannel-out-of-subnets', from: { corpus: 'opsnull-217-flanneld-out-of-subnets.log' }, line: 5, facts: {} },
  {
    id: 'log.flannel-subnet-env',
    from: {
      text: 'Nov 20 10:04:11 node-1 containerd[877]: time="2026-11-20T10:04:11.120000000Z" level=error msg="RunPodSandbox for &PodSandboxMetadata{Name:web-0,Namespace:default,Attempt:0,} failed, error" error="failed to setup network for sandbox \\"4f0b9c2d1e3a\\": plugin type=\\"flannel\\" failed (add): loadFlannelSubnetEnv failed: open /run/flannel/subnet.env: no such file or directory"',
      origin: 'containerd CRI error format with the flannel CNI plugin message',
    },
    facts: { reason: 'no such file or directory', path: '/run/flannel/subnet.env' },
  },
  { id: 'log.flannel-iptables-failed', from: { corpus: 'flannel-1271-iptables-nat-bad-address-exit-status.log' }, line: 3, facts: { table: 'nat', chain: 'POSTROUTING', exitStatus: '-1' } },
  { id: 'log.vxlan-not-supported', from: { corpus: 'flannel-905-vxlan-operation-not-supported.log' }, line: 8, facts: {} },
  {
    id: 'log.cni-setup-failed',
    from: {
      text: 'Nov 20 10:04:11 node-1 kubelet[1304]: E1120 10:04:11.130000    1304 kuberuntime_manager.go:1166] "CreatePodSandbox for pod failed" err="rpc error: code = Unknown desc = failed to setup network for sandbox \\"4f0b9c2d1e3a\\": plugin type=\\"flannel\\" failed (add): loadFlannelSubnetEnv failed: open /run/flannel/subnet.env: no such file or directory" pod="default/web-0"',
      origin: 'kubelet klog error format with the containerd CRI message',
    },
    facts: { sandbox: '4f0b9c2d1e3a', plugin: 'flannel', pod: 'default/web-0' },
  },
  { id: 'log.docker-join-non-running', from: { seed: '004_' }, line: 427, facts: { container: '8a4092ea2176007842ba0fcc53aad736e44ab3581dd0b51a6284e3544f46e36e', restarting: 'f9cd281b68d2' } },
  { id: 'log.kube-proxy-mode', from: { corpus: 'hotsos-charmed-k8s-snap-kube-proxy-journal.log' }, line: 178, facts: { mode: 'iptables' } },
  { id: 'log.kube-proxy-mode', from: { corpus: 'hotsos-charmed-k8s-snap-kube-proxy-journal.log' }, line: 179, facts: { mode: 'iptables' } },
  { id: 'log.kube-proxy-mode', from: { corpus: 'hotsos-charmed-k8s-snap-kube-proxy-journal.log' }, line: 180, facts: { stack: 'dual', ipFamily: 'IPv4' } },
  { id: 'log.kube-proxy-mode', from: { text: 'I0525 03:56:52.754214       1 server_linux.go:254] "Using nftables Proxier"', origin: 'kube-proxy 1.31 in nftables mode (cmd/kube-proxy/app/server_linux.go)' }, facts: { mode: 'nftables' } },
  { id: 'log.kube-proxy-mode', from: { text: 'I1130 08:02:01.131000       1 server_linux.go:230] "Using ipvs Proxier"', origin: 'kube-proxy in IPVS mode, the same klog format (cmd/kube-proxy/app/server_linux.go)' }, facts: { mode: 'ipvs' } },
  {
    id: 'log.kube-proxy-mode',
    from: { text: 'I1130 08:02:01.120500       1 server.go:254] "kube-proxy running in dual-stack mode" primary ipFamily="IPv6"', origin: 'kube-proxy 1.28+ (cmd/kube-proxy/app/server.go: the key "primary ipFamily")' },
    facts: { stack: 'dual', ipFamily: 'IPv6' },
  },
  {
    id: 'log.kube-proxy-mode',
    from: {
      text: 'Aug 07 00:11:58 kube-prom01 rke2[2179314]: time="2023-08-07T00:11:58+08:00" level=info msg="Running kube-proxy --cluster-cidr=10.42.0.0/16 --conntrack-max-per-core=0 --conntrack-tcp-timeout-close-wait=0s --conntrack-tcp-timeout-established=0s --healthz-bind-address=127.0.0.1 --hostname-override=kube-prom01 --kubeconfig=/var/lib/rancher/rke2/agent/kubeproxy.kubeconfig --proxy-mode=iptables"',
      origin: "an RKE2 agent's journal as posted publicly: k3s and RKE2 log their kube-proxy's command line",
    },
    facts: { mode: 'iptables', clusterCidr: '10.42.0.0/16' },
  },
  // CoreDNS' loop plugin, three wordings (coredns#2087 1.2.2, the 1.2.x middle form, coredns#2790 1.5.0)
  { id: 'log.coredns-loop-detected', from: { fixture: '../dns-loop/coredns2087-kubectl-logs-coredns.txt' }, line: 7, facts: {} },
  {
    id: 'log.coredns-loop-detected',
    from: { text: '2018/10/20 10:02:11 [FATAL] plugin/loop: Forwarding loop detected in "." zone. Exiting. See https://coredns.io/plugins/loop#troubleshooting. Probe query: "HINFO 7087784449798295848.7359092265978106814.".', origin: "CoreDNS 1.2.x loop.go's format string (format-exact)" },
    facts: { zone: '.' },
  },
  { id: 'log.coredns-loop-detected', from: { fixture: '../dns-loop/coredns2790-coredns-1.5.0.log' }, line: 7, facts: { from: '127.0.0.1:34614', to: ':53', zone: '.' } },
  // k3s-io/k3s#2599's journal (k3OS on a Raspberry Pi): dhcpcd on flannel.1, then flannel's refusal
  { id: 'log.dhcpcd-on-cni-interface', from: { fixture: '../cni-interfaces/k3s2599-journalctl.txt' }, line: 3, facts: { iface: 'flannel.1', action: 'using static address', address: '192.168.1.125/24' } },
  { id: 'log.flannel-incompatible-addresses', from: { fixture: '../cni-interfaces/k3s2599-journalctl.txt' }, line: 15, facts: { iface: 'flannel.1' } },
  { id: 'log.flannel-default-interface', from: { fixture: '../flannel-public-ip/logs/flannel-1119-kube-flannel-ds-amd64-hrgdl.log' }, line: 1, facts: {} },
  { id: 'log.flannel-interface-chosen', from: { fixture: '../flannel-public-ip/logs/flannel-1119-kube-flannel-ds-amd64-hrgdl.log' }, line: 2, facts: { iface: 'enp0s3', address: '10.0.2.15' } },
  { id: 'log.flannel-external-address', from: { fixture: '../flannel-public-ip/logs/vagrant-notes-kube-flannel-ds-p96xd.log' }, line: 3, facts: { defaulted: 'Defaulting', address: '10.0.2.15' } },
  { id: 'log.cni-api-via-proxy', from: { fixture: '../runtime-proxy/calico-10352-kubectl-describe-pod-coredns.txt' }, line: 5, facts: { clusterIP: '172.20.0.1', port: '443', proxyStatus: 'Service Unavailable', plugin: 'calico' } },
  // rootless Docker's journal (moby/moby#41789) and dockerd refusing its daemon.json (docker/for-linux#732, docker/docs#7351)
  { id: 'log.docker-rootless', from: { text: 'Dec 16 17:56:45 hostname dockerd-rootless.sh[1069]: time="2020-12-16T17:56:45.806480284+08:00" level=info msg="API listen on /run/user/1001/docker.sock"', origin: 'moby/moby#41789' }, facts: { uid: '1001' } },
  { id: 'log.docker-config-invalid', from: { text: 'Jul 23 08:17:34 ip-172-31-251-57 dockerd[14090]: unable to configure the Docker daemon with file /etc/docker/daemon.json: the following directives are specified both as a flag and in the configuration file: hosts: (from flag: [fd://], from file: [tcp://0.0.0.0:20199 unix:///var/run/docker.sock fd://])', origin: 'docker/for-linux#732' }, facts: { path: '/etc/docker/daemon.json', conflict: 'hosts' } },
  { id: 'log.docker-config-invalid', from: { text: 'dockerd[19412]: unable to configure the Docker daemon with file /etc/docker/daemon.json: json: cannot unmarshal string into Go struct field Config.iptables of type bool', origin: 'docker/docs#7351' }, facts: { key: 'iptables', type: 'bool' } },
  // kube-proxy's nftables sync failures (kubernetes PR #134024, kubernetes#136786) and the lines around every sync (PR #111219's V(2) log)
  { id: 'log.kube-proxy-sync-failed', from: { fixture: '../kube-proxy-sync/k8s-pr134024-kube-proxy.log' }, line: 2, facts: { mode: 'nftables' } },
  { id: 'log.kube-proxy-sync-failed', from: { fixture: '../kube-proxy-sync/k8s-136786-kube-proxy.log' }, line: 2, facts: { mode: 'nftables', err: 'signal: segmentation fault (core dumped)', ipFamily: 'IPv4' } },
  { id: 'log.kube-proxy-sync-retry', from: { fixture: '../kube-proxy-sync/k8s-136786-kube-proxy.log' }, line: 3, facts: { ipFamily: 'IPv4' } },
  { id: 'log.kube-proxy-sync-complete', from: { text: '2022-07-05T07:15:18.162082913Z I0705 07:15:18.162045    2171 proxier.go:832] "SyncProxyRules complete" elapsed="175.66099ms"', origin: 'kubernetes PR #111219 (kube-proxy at V(2))' }, facts: {} },
  // kube-proxy cannot use nftables at all (k3s-io/k3s#11267; the kernel check of kubernetes PR #124152, format-exact) and its table housekeeping around a sync (kubernetes#136786, rancher/rke2#7438, #8840)
  { id: 'log.kube-proxy-nftables-unavailable', from: { fixture: '../kube-proxy-nft-errors/k3s-11267-kube-proxy-exited.log' }, line: 1, facts: { reason: 'could not find nftables binary', ipFamily: 'ipv4' } },
  {
    id: 'log.kube-proxy-nftables-unavailable',
    from: { text: 'ERRO[0003] kube-proxy exited: unable to create proxier: unable to create ipv4 proxier: kube-proxy in nftables mode requires kernel 5.13 or later', origin: 'format-exact: pkg/proxy/nftables getNFTablesInterface (kubernetes PR #124152) in the wrapping k3s-io/k3s#11267 shows' },
    facts: { reason: 'kube-proxy in nftables mode requires kernel', requiredKernel: '5.13' },
  },
  { id: 'log.kube-proxy-nftables-housekeeping', from: { fixture: '../kube-proxy-sync/k8s-136786-kube-proxy.log' }, line: 1, facts: { step: 'Failed to list existing sets', err: 'failed to run nft: signal: segmentation fault (core dumped)', ipFamily: 'IPv4' } },
  { id: 'log.kube-proxy-nftables-housekeeping', from: { fixture: '../kube-proxy-nft-errors/rke2-7438-kube-proxy-iptables-mode.log' }, line: 1, facts: { step: 'Error cleaning up nftables rules', err: 'could not find nftables binary: exec: \\"nft\\": executable file not found in $PATH' } },
  { id: 'log.kube-proxy-nftables-housekeeping', from: { fixture: '../kube-proxy-nft-errors/k8s-122604-unable-to-delete-stale-chains.log' }, line: 1, facts: { step: 'Unable to delete stale chains' } },
];

/** Lines that hold a signature's literal but must not match it. */
const NEAR_MISSES: { id: string; text: string; why: string }[] = [
  { id: 'log.kube-proxy-nftables-unavailable', text: 'E1217 15:37:53.421766       1 proxier.go:734] "Error cleaning up nftables rules" err="could not find nftables binary: exec: \\"nft\\": executable file not found in $PATH"', why: 'kube-proxy in iptables mode removing the nftables table at start (rancher/rke2#7438)' },
  { id: 'log.connection-timed-out', text: 'Nov 20 10:00:00 node-1 systemd[1]: systemd-networkd-wait-online.service: start operation timed out. Terminating.', why: 'a unit timeout, not a connection' },
  { id: 'log.cni-setup-failed', text: 'Nov 20 10:00:00 node-1 containerd[877]: time="2026-11-20T10:00:00Z" level=info msg="TearDown network for sandbox \\"4f0b9c2d1e3a\\" successfully"', why: 'a clean teardown' },
  { id: 'log.flannel-subnet-env', text: 'I1120 10:00:00.000000       1 main.go:439] Wrote subnet file to /run/flannel/subnet.env', why: 'flanneld doing its job' },
  { id: 'log.bridge-nf-call', text: 'Nov 20 10:00:00 node-1 kernel: [    4.002517] bridge: filtering via arp/ip/ip6tables is no longer available by default. Update your scripts to load br_netfilter if you need this.', why: 'the kernel\'s boot notice' },
  { id: 'log.firewall-restart', text: 'Nov 20 10:00:00 node-1 systemd[1]: iptables.service: Deactivated successfully.', why: 'no start, stop or reload' },
  { id: 'log.vxlan-not-supported', text: 'Nov 20 10:00:00 node-1 systemd[1]: Failed to set up mount unit: operation not supported', why: 'nothing to do with VXLAN' },
  { id: 'log.iptables-unknown-option', text: 'tar: unknown option -- y', why: 'not iptables' },
  { id: 'log.docker-start-failed', text: 'time="2022-12-21T09:43:10Z" level=fatal msg="Error starting daemon: Cannot start Provisioner: failed to get Kubernetes server version"', why: 'another program (local-path-provisioner, troubleshoot k3s corpus bundle)' },
  { id: 'log.docker-start-failed', text: 'Apr  4 14:50:33 localhost dockerd[4241]: Error starting daemon: Error initializing network controller: Error creating default "bridge" network', why: 'the network controller (its own signature)' },
  { id: 'log.firewall-rejected-container-traffic', text: 'Oct 27 22:39:31 localhost.com kernel: filter_IN_public_REJECT: IN=ens18 OUT= MAC=bc:24:11:33:ff:d0:08:00 SRC=192.168.137.1 DST=192.168.137.103 DF PROTO=TCP SPT=53214 DPT=80', why: "the host's own traffic on its uplink" },
  { id: 'log.firewall-rejected-container-traffic', text: 'Jul 29 16:11:18 hadoop00 kernel: FINAL_REJECT: IN=enp125s0f0 OUT= MAC=f4:79:60:92:7c:82:c8:c2:fa:40:c1:e6:08:00 SRC=192.168.100.1 DST=192.168.100.12 LEN=420 TOS=0x00 PREC=0x00 TTL=64 ID=56876 DF PROTO=UDP SPT=1900 DPT=41797 LEN=400', why: "firewalld's catch-all on the uplink" },
  { id: 'log.firewall-rejected-container-traffic', text: 'Nov 20 10:00:00 node-1 kernel: [UFW BLOCK] IN=eth0 OUT=eth1 MAC=02:42:03:31:03:bd:02:42:ac:11:00:02:08:00 SRC=203.0.113.9 DST=10.1.2.3 LEN=60 PROTO=TCP SPT=51234 DPT=22 WINDOW=64240 RES=0x00 SYN URGP=0', why: 'forwarded between two host interfaces' },
  // H95: a LOG rule of the host's own that accepts, or drops on the host's own interface, or says no verdict; Calico's policy logs
  { id: 'log.firewall-rejected-container-traffic', text: 'Dec  3 10:00:00 node-1 kernel: [UFW ALLOW] IN=docker0 OUT=eth0 PHYSIN=veth9d6736b SRC=172.17.0.2 DST=1.1.1.1 LEN=60 PROTO=TCP SPT=36484 DPT=443', why: "ufw's allow log" },
  { id: 'log.firewall-rejected-container-traffic', text: 'Dec  3 10:00:00 node-1 kernel: nft ACCEPT IN=docker0 OUT=eth0 SRC=172.17.0.2 DST=1.1.1.1 LEN=60 PROTO=TCP SPT=36484 DPT=443', why: 'an accept log of the host\'s own' },
  { id: 'log.firewall-rejected-container-traffic', text: 'Dec  3 10:00:00 node-1 kernel: [  12.345678] INPUT DROP: IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 SRC=203.0.113.9 DST=10.0.0.5 LEN=60 PROTO=TCP SPT=51234 DPT=22', why: "an INPUT drop on the host's own interface" },
  { id: 'log.firewall-rejected-container-traffic', text: 'Dec  3 10:00:00 node-1 kernel: IPT-INPUT: IN=docker0 OUT= PHYSIN=veth9d6736b SRC=172.17.0.2 DST=172.17.0.1 LEN=60 PROTO=TCP SPT=36484 DPT=22', why: 'a prefix without a drop word' },
  { id: 'log.firewall-rejected-container-traffic', text: 'Dec  3 10:00:00 node-1 kernel: calico-drop: IN=cali12345678901 OUT=eth0 SRC=10.244.1.5 DST=1.1.1.1 LEN=60 PROTO=TCP SPT=36484 DPT=443', why: "Calico's own policy log (Felix's LogPrefix)" },
  { id: 'log.kernel-module-not-found', text: 'modprobe: FATAL: Module ip_tables not found.', why: 'no module directory in the words (module-init-tools), nothing to name' },
  {
    id: 'log.kernel-module-not-found',
    text: fixtureLine('../logs/healthy-k8s-worker-syslog.log', 48),
    why: 'containerd probing the aufs storage driver on a healthy host, then skipping it (test/fixtures/logs/healthy-k8s-worker-syslog.log)',
  },
  { id: 'log.docker-no-free-address-pool', text: 'failed to start daemon: Error initializing network controller: list bridge addresses failed: Wrong sender portid 4026531993, expected 0', why: 'a netlink error in a sandbox, not the pools' },
  { id: 'log.docker-network-controller-failed', text: 'FATA[0000] Error starting daemon: Error initializing network controller: Error creating default "bridge" network: failed to parse pool request for address space "LocalDefault" pool "" subpool "": could not find an available predefined network ', why: 'no free pool (its own signature, which names the routes)' },
  { id: 'log.calico-bgp-not-established', text: '2022-11-21 01:46:49.282 [INFO][1063] confd/health.go 180: Number of node(s) with BGP peering established = 2', why: 'BGP up' },
  { id: 'log.dhcpcd-on-cni-interface', text: 'Nov 27 08:45:59 k3os1 dhcpcd[570]: eth0: using static address 192.168.1.125/24', why: "the host's own interface" },
  { id: 'log.nf-tables-incompatible', text: "# Table `filter' contains incompatible base-chains, use 'nft' tool to list them.", why: 'iptables-save lists the table; only some base chains are nft-made' },
  { id: 'log.nf-tables-chain-missing', text: 'Nov 20 10:00:00 node-1 kubelet[1304]: E1120 10:00:00.000000    1304 file.go:1] path \'/etc/kubernetes/manifests\' does not exist', why: 'not a chain' },
  { id: 'log.nf-tables-chain-missing', text: fixtureLine('podman-8048/terminal-output.txt', 9), why: "Podman's teardown after a reload (log.podman-rules-flushed)" },
  { id: 'log.iptables-cleanup-harmless', text: fixtureLine('podman-1431/podman-run.txt', 7), why: "Podman's teardown of the rules it added (log.podman-rules-flushed)" },
  { id: 'log.iptables-no-chain', text: fixtureLine('netavark-230/podman-stop.txt', 3), why: "netavark's teardown after a reload (log.podman-rules-flushed)" },
  {
    id: 'log.podman-rules-flushed',
    text: 'ERRO[0001] Error while removing pod from CNI network "podman": netplugin failed but error parsing its diagnostic message "": unexpected end of JSON input ',
    why: 'a CNI plugin failing otherwise (containers/podman#1172)',
  },
  {
    id: 'log.podman-rules-flushed',
    text: "Nov 19 07:00:12 k8s-node-3 firewalld[5324]: WARNING: COMMAND_FAILED: '/usr/sbin/iptables -w10 -t nat -D OUTPUT -m addrtype --dst-type LOCAL -j DOCKER' failed: iptables: No chain/target/match by that name.",
    why: "firewalld's passthrough cleaning up at Docker's start: no Podman",
  },
  { id: 'log.swarm-peer-unreachable', text: fixtureLine('swarm-1893-neigh/messages', 3), why: "memberlist's sendto: invalid argument (a full neighbour table, no closed port)" },
  { id: 'log.swarm-peer-unreachable', text: fixtureLine('swarm-33721/dockerd.log', 5), why: 'memberlist: failed to receive: EOF' },
  {
    id: 'log.swarm-peer-unreachable',
    text: '2019/12/27 05:48:57 [ERR] memberlist: Failed fallback ping: read tcp 10.0.0.8:32956->10.0.0.6:7946: i/o timeout',
    why: "another program's memberlist (the Portainer agent, portainer/agent#107), not dockerd's",
  },
  {
    id: 'log.swarm-peer-unreachable',
    text: 'level=error msg="failed to join memberlist" err="1 error occurred:\\n\\t* Failed to join 10.0.0.6:7946: dial tcp 10.0.0.6:7946: connect: connection refused\\n\\n"',
    why: "a go-kit program's memberlist clustering (Grafana Alloy, Loki), lower case and no member list",
  },
  {
    id: 'log.swarm-peer-unreachable',
    text: 'Dec 26 01:56:26 fr7-sv-elk01 dockerd: time="2019-12-26T01:56:26.643735826Z" level=error msg="agent: session failed" backoff=8s error="session initiation timed out" module=node/agent node.id=js0s3trovdb6qt69ytr5gshm1',
    why: 'a session timing out without a dial error (moby/moby#40330)',
  },
  { id: 'log.connection-refused', text: fixtureLine('swarm-35688/dockerd-worker.log', 1), why: "Swarm's own join (log.swarm-peer-unreachable)" },
  { id: 'log.connection-timed-out', text: fixtureLine('swarm-33721/dockerd.log', 10), why: "Swarm's own ping (log.swarm-peer-unreachable)" },
  {
    id: 'log.kube-proxy-conntrack-max',
    text: 'Feb 11 19:15:13 juju-110cc2-k8stest-4 kube-proxy.daemon[77707]: I0211 19:15:13.133415   77707 conntrack.go:100] "Set sysctl" entry="net/netfilter/nf_conntrack_tcp_timeout_close_wait" value=3600',
    why: 'another conntrack sysctl kube-proxy sets (hotsos charmed-k8s journal)',
  },
  { id: 'log.kube-proxy-conntrack-max', text: "I0329 01:29:47.138410       5 conntrack.go:66] Setting conntrack hashsize to 32768", why: 'the hash size, not the limit (kubernetes/kops#2223)' },
  { id: 'log.conntrack-table-full', text: 'Nov 20 10:00:00 node-1 kernel: nf_conntrack: expectation table full', why: 'the expectation table (helpers), not the connection table' },
  { id: 'log.iptables-legacy-tables-present', text: '$ grep -c "iptables-legacy tables present" /var/log/messages', why: 'the words quoted in a command, not iptables\' warning' },
  { id: 'log.firewall-restart', text: '$ firewall-cmd --list-all', why: 'firewall-cmd reading its zones, not reloading' },
  { id: 'log.firewall-restart', text: 'Dec  2 10:00:00 h app[311]: loaded nftables rules from the cache', why: 'a program mentioning nftables, not the unit starting' },
  { id: 'log.calico-bgp-not-established', text: 'bird: Mesh_10_99_0_2: State changed to start', why: 'every BIRD session starts so (BIRD 1.6.8 here)' },
  { id: 'log.calico-bgp-not-established', text: 'bird: Mesh_10_99_0_2: Connection closed', why: 'a collision of two connects, resolved on the way up (BIRD 1.6.8 here, bird-established.log)' },
  { id: 'log.firewall-rejected-routed-traffic', text: "Sep 15 09:10:14 kubeadm1.galifrey.net kernel: filter_FWD_public_REJECT: IN=flannel.1 OUT=cni0 MAC=56:91:4a:53:80:9b:7a:76:66:99:cf:da:08:00 SRC=10.244.1.0 DST=10.244.0.2 LEN=69 T>", why: 'a pod interface: log.firewall-rejected-container-traffic has it (flannel-io/flannel#2055)' },
  { id: 'log.calico-loose-rpf', text: "2019-04-19 16:58:02.117 [WARNING][1502] int_dataplane.go 818: Kernel's RPF check is set to 'loose' and IgnoreLooseRPF set to true.  Calico will not be able to prevent workloads from spoofing their source IP.", why: 'IgnoreLooseRPF set: Felix runs on' },
  { id: 'log.coredns-loop-detected', text: '2019-04-17T00:18:44.485Z [INFO] plugin/reload: Running configuration MD5 = fe280f2b52a55a24ba57f2b4328c2777', why: "CoreDNS' ordinary start line (coredns#2790)" },
  { id: 'log.docker-rootless', text: 'Nov 20 09:58:02 k8s-node-1 dockerd[1012]: time="2026-11-20T09:58:02.420000000Z" level=info msg="API listen on /run/docker.sock"', why: "a rootful dockerd's socket" },
  { id: 'log.docker-rootless', text: 'Dec 16 17:56:08 hostname dockerd-rootless.sh[1069]: + which rootlesskit', why: "dockerd-rootless.sh's trace" },
  { id: 'log.kube-proxy-sync-failed', text: '            debug!(%err, "nftables sync failed");', why: "another program's wording (a Rust firewall's source), not kube-proxy's structured line" },
];

/** Line `n` of a fixture of test/fixtures/r3-logs. */
function fixtureLine(path: string, n: number): string {
  return readFileSync(projectPath('test', 'fixtures', 'r3-logs', path), 'utf8').split('\n')[n - 1];
}

function textOf(from: Source): string | undefined {
  if ('corpus' in from) return hasCorpus ? readCorpus('logs', from.corpus) : undefined;
  if ('seed' in from) return hasSeeds ? readFileSync(join(seedsDir, seedFile(from.seed)), 'utf8') : undefined;
  if ('fixture' in from) return readFileSync(projectPath('test', 'fixtures', 'logs', from.fixture), 'utf8');
  return from.text;
}

describe('every signature, on a line of the kind it was written for', () => {
  it.each(EXAMPLES.map((e) => [e.id, 'line' in e && e.line ? `line ${e.line}` : 'text', e] as const))('%s (%s)', (id, _where, e) => {
    const text = textOf(e.from);
    if (text === undefined) return;
    // the line alone: the signature must not depend on its neighbours
    const line = e.line === undefined ? text : text.split('\n')[e.line - 1];
    const r = scanLogText(line, 'example.log', { year: 2026 });
    const m = r.matches.find((x) => x.signature === id);
    expect(m, `${id} on: ${line}`).toBeDefined();
    expect(m!.facts).toMatchObject(e.facts);
    expect(m!.line).toBe(1);
  });

  it.each(NEAR_MISSES.map((n) => [n.id, n.why, n.text] as const))('%s stays quiet on %s', (id, _why, text) => {
    const r = scanLogText(text, 'near-miss.log');
    expect(r.counts[id]).toBeUndefined();
  });

  it('every signature of the catalog has an example above', () => {
    expect(new Set(SIGNATURES.map((s) => s.id))).toEqual(new Set(EXAMPLES.map((e) => e.id)));
  });
});

describe('the catalog as data', () => {
  it('ids are unique and named log.noun-phrase; literals are long enough for the byte search', () => {
    const ids = SIGNATURES.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const s of SIGNATURES) {
      expect(s.id).toMatch(/^log\.[a-z0-9]+(?:-[a-z0-9]+)*$/);
      expect(s.literals.length).toBeGreaterThan(0);
      for (const l of s.literals) {
        expect(Buffer.byteLength(l), `${s.id}: ${l}`).toBeGreaterThanOrEqual(8);
        if (s.ignoreCase) expect(l).toBe(l.toLowerCase());
      }
      expect(s.pattern.flags).not.toMatch(/[gy]/);
      expect(['warning', 'info']).toContain(s.severity);
      expect(signatureById(s.id)).toBe(s);
    }
    expect(signatureById('log.nope')).toBeUndefined();
  });

  it.skipIf(!existsSync(join(sharedDir, 'KNOWLEDGE.md')))('every finding a signature supports is one the project knows', () => {
    // a log finding may explain another (a firewall reload is the cause of Podman's flushed rules)
    const known = new Set<string>(SIGNATURES.map((s) => s.id));
    for (const m of readFileSync(join(sharedDir, 'KNOWLEDGE.md'), 'utf8').matchAll(/`([a-z]+\.[a-z0-9-]+)`/g)) known.add(m[1]);
    for (const f of readdirSync(projectPath('analyzers')).filter((f) => f.endsWith('.ts'))) {
      for (const m of readFileSync(projectPath('analyzers', f), 'utf8').matchAll(/(?:id: |const ID = )'([a-z]+\.[a-z0-9-]+)'/g)) known.add(m[1]);
    }
    const unknown = SIGNATURES.flatMap((s) => s.supports.filter((id) => !known.has(id)).map((id) => `${s.id} -> ${id}`));
    expect(unknown).toEqual([]);
  });

  it('advice, meaning and title are plain prose: the report escapes Markdown in them, so commands go in `commands`', () => {
    // test/analyzers/restart-docker.test.ts still expects log.docker-start-failed's commands in backticks
    const pinned = new Set(['log.docker-start-failed']);
    for (const s of SIGNATURES.filter((x) => !pinned.has(x.id))) {
      for (const text of [s.advice, s.meaning, s.title, s.caution ?? '', ...(s.remedies ?? []).map((r) => r.advice ?? ''), ...(s.caveats ?? []).map((c) => c.advice)])
        expect(text, s.id).not.toMatch(/[`*]/);
    }
  });

  it('host remedies name what the analyzer can tell, quiet entries are context, caveats name a fact the entry extracts', () => {
    const traits = ['docker', 'podman', 'kubernetes', 'kube-proxy', 'firewalld', 'ufw', 'plain-iptables'];
    for (const s of SIGNATURES) {
      for (const r of s.remedies ?? []) {
        expect(traits, s.id).toContain(r.when);
        expect(r.advice !== undefined || (r.commands?.length ?? 0) > 0, s.id).toBe(true);
      }
      if (s.quiet) expect(s.severity).toBe('info');
      const groups = [s.pattern, ...(s.extract ?? [])].map((re) => re.source).join('|');
      for (const c of s.caveats ?? []) expect(groups, `${s.id}: ${c.fact}`).toContain(`?<${c.fact}>`);
    }
    // the remedy that stands where the bundle shows no runtime names none as if it ran there
    expect(signatureById('log.firewall-restart')!.advice).toMatch(/whichever runs here/);
    expect(signatureById('log.nf-tables-chain-missing')!.advice).not.toMatch(/docker|podman|kubernetes/i);
  });

  it('the rows of the KNOWLEDGE.md log table each have a signature', () => {
    const table: [string, string][] = [
      ['iptables: No chain/target/match by that name', 'log.iptables-no-chain'],
      ['WARNING: IPv4 forwarding is disabled', 'log.ip-forward-disabled'],
      ['Another app is currently holding the xtables lock. Perhaps you want to use the -w option?', 'log.xtables-lock'],
      ['iptables-restore: line 12 failed', 'log.iptables-restore-failed'],
      // a known extension is a kernel module the kernel lacks, not a chain or a version (R15, H37: k3s-io/k3s#10099)
      ["Couldn't load match `comment':No such file or directory", 'log.iptables-module-missing'],
      ['iptables v1.8.7 (legacy): unknown option "--random-fully"', 'log.iptables-unknown-option'],
      ['Port Timeout', 'log.port-timeout'],
      ['Error waiting for ports to enter listening state', 'log.ports-not-listening'],
      ['dial tcp 10.96.0.1:443: connect: connection refused', 'log.connection-refused'],
      ['dial tcp 10.96.0.1:443: i/o timeout', 'log.connection-timed-out'],
      ['dial tcp 10.244.1.5:8080: connect: no route to host', 'log.no-route-to-host'],
      ['failed to acquire lease: node "n1" pod cidr not assigned', 'log.flannel-lease-failed'],
      ['open /run/flannel/subnet.env: no such file or directory', 'log.flannel-subnet-env'],
      ['Error response from daemon: Cannot restart container f9cd281b68d2: cannot join network of a non running container: 8a4092ea2176', 'log.docker-join-non-running'],
    ];
    for (const [text, id] of table) expect(Object.keys(scanLogText(text, 't').counts), text).toContain(id);
    const peers = scanLogText(table.slice(8, 11).map(([t]) => t).join('\n'), 't').matches.map((m) => [m.facts.host, m.facts.port]);
    expect(peers).toEqual([
      ['10.96.0.1', '443'],
      ['10.96.0.1', '443'],
      ['10.244.1.5', '8080'],
    ]);
  });
});
