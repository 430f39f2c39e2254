#!/usr/bin/env bash
# Builds the example bundles of bundles/ from the seed documents and real command output.
#
#   bash scripts/make-bundles.sh          # regenerate bundles/src/* (needs root, iproute2, iptables, nft) and pack
#   bash scripts/make-bundles.sh --pack   # only pack bundles/src/* into bundles/*.tgz (no root needed)
#
# Command output (iptables listings and saves, nft, ip addr, ip route, sysctl) is made by the real
# binaries in throwaway network namespaces; log lines quote the seeds verbatim where the story comes
# from them. Regenerating gives the same bytes on the same machine: every per-run value (MAC
# addresses, save timestamps, bridge timers, packet counters) is fixed or blanked below. Packing is
# deterministic: the same sources give byte-identical .tgz files.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
src="$here/bundles/src"
out="${OUT:-$here/bundles}"
# Docker 20.10 + kube-proxy + flannel rules of a healthy node, shared with the netfilter tests
rules="$here/test/fixtures/netfilter/docker-kube-flannel.rules"

pack() {
  for dir in "$src"/*/; do
    name=$(basename "$dir")
    # each bundle's folder holds what the archive holds (its top folder named as the collector names it)
    (cd "$src/$name" && tar --sort=name --mtime='@0' --owner=0 --group=0 --numeric-owner --mode='u+rwX,go+rX,go-w' --format=gnu -cf - -- *) | gzip -n -9 > "$out/$name.tgz"
  done
}

if [ "${1:-}" = "--pack" ]; then pack; exit 0; fi

prefix="bdmk$$"
namespaces=()
holders=()
cleanup() {
  local n p
  for n in "${namespaces[@]}"; do ip netns del "$n" 2>/dev/null || true; done
  for p in "${holders[@]}"; do kill "$p" 2>/dev/null || true; done
  namespaces=()
  holders=()
  rm -rf "${staging:-}"
}
trap cleanup EXIT
# sets $ns (not echoed: a command substitution would lose the name cleanup needs)
newns() { ns="$prefix-$1"; namespaces+=("$ns"); ip netns add "$ns"; }
# A namespace with no name, as Docker's, the CNI's and a host's upstream are: `ip` then prints
# `link-netnsid N` for the veth peers in it, not a per-run name. Sets $anon to the pid holding it.
anon_ns() {
  local i
  unshare --net sleep 600 &
  anon=$!
  holders+=("$anon")
  for i in $(seq 1 50); do
    [ "$(readlink "/proc/$anon/ns/net" 2>/dev/null)" != "$(readlink /proc/self/ns/net)" ] && return 0
    sleep 0.02
  done
  echo "namespace holder $anon did not start" >&2
  return 1
}
inside() { local pid=$1; shift; nsenter --net="/proc/$pid/ns/net" "$@"; }
stamp() { sed -E 's/ on [A-Z][a-z]{2} [A-Z][a-z]{2} +[0-9]+ [0-9:]+ [0-9]{4}$/ on Fri Nov 20 10:00:00 2026/'; }

# A host's interfaces. eth0's peer sits in a namespace of its own (the "network"); MAC addresses
# are fixed so link-local IPv6 addresses are the same every run.
#   make_host NS UPLINK_CIDR [docker0 CIDR] [cni0 CIDR] ["flannel.1 CIDRs"]
make_host() {
  local ns=$1 up=$2 docker=${3:-} cni=${4:-} flannel=${5:-}
  local x="ip netns exec $ns"
  $x ip link set lo up
  anon_ns
  $x ip link add eth0 address 52:54:00:12:34:56 type veth peer name uplink0 address 52:54:00:12:34:57 netns "$anon"
  inside "$anon" ip link set uplink0 up
  $x ip addr add "$up" dev eth0
  $x ip link set eth0 up
  if [ -n "$docker" ]; then
    $x ip link add docker0 address 02:42:ac:11:00:01 type bridge
    $x ip addr add "$docker" dev docker0
    $x ip link set docker0 up
  fi
  if [ -n "$cni" ]; then
    $x ip link add cni0 address 0a:58:0a:f4:01:01 type bridge
    $x ip addr add "$cni" dev cni0
    $x ip link set cni0 up
    $x ip link add flannel.1 address 6a:4c:4d:d2:30:97 type vxlan id 1 local "${up%/*}" dev eth0 dstport 8472 nolearning
    for a in $flannel; do $x ip addr add "$a" dev flannel.1; done
    $x ip link set flannel.1 up
  fi
  $x ip route add default via "$(echo "${up%/*}" | sed -E 's/\.[0-9]+$/.1/')" dev eth0
}

# A container (or pod) on BRIDGE: eth0 with ADDRESS in a namespace of its own, the host end a veth.
#   attach NS BRIDGE HOST_VETH MAC ADDRESS/PREFIX
attach() {
  local host=$1 bridge=$2 veth=$3 mac=$4 addr=$5
  anon_ns
  ip netns exec "$host" ip link add "$veth" address "$mac" type veth peer name eth0 netns "$anon"
  # flannel's CNI config gives its pods FLANNEL_MTU (1450 over VXLAN): the veth's both ends, and so cni0
  if [ "$bridge" = cni0 ]; then
    ip netns exec "$host" ip link set "$veth" mtu 1450
    inside "$anon" ip link set eth0 mtu 1450
  fi
  ip netns exec "$host" ip link set "$veth" master "$bridge" up
  inside "$anon" ip link set lo up
  inside "$anon" ip addr add "$addr" dev eth0
  inside "$anon" ip link set eth0 up
}

# Waits (at most ~6 s) until every link with a carrier has its link-local address and duplicate
# address detection is over, so `ip` prints the same thing every run.
settle() {
  local x="ip netns exec $1" i prev=-1 now
  sleep 1.2
  for i in $(seq 1 48); do
    now=$($x ip -6 -o addr show scope link | wc -l)
    if [ "$now" = "$prev" ] && [ -z "$($x ip -6 addr show tentative)" ]; then return 0; fi
    prev=$now
    sleep 0.1
  done
}

# Blank the per-run parts of `ip -d` output: bridge timers count down from when the link came up.
ipclean() { sed -E 's/(gc_timer|hold_timer|message_age_timer|forward_delay_timer) +[0-9]+\.[0-9]+/\1    0.00/g'; }

# The sysctl keys a networking diagnosis reads, as `sysctl -a` names them and as /proc/sys paths.
SYSCTL_KEYS='^net\.bridge\.bridge-nf-call-|^net\.core\.(netdev_max_backlog|somaxconn|rmem_max|wmem_max) |^net\.ipv4\.conf\.[^.]+\.(forwarding|rp_filter|route_localnet) |^net\.ipv4\.(ip_forward|ip_local_port_range|ip_nonlocal_bind|tcp_syncookies|tcp_keepalive_time|tcp_max_syn_backlog|tcp_tw_reuse|ping_group_range) |^net\.ipv4\.neigh\.default\.gc_thresh[123] |^net\.ipv6\.conf\.(all|default)\.(disable_ipv6|forwarding) |^net\.netfilter\.nf_conntrack_(max|buckets|tcp_timeout_established) '
PROC_KEYS='^/proc/sys/net/bridge/bridge-nf-call-|^/proc/sys/net/ipv4/conf/[^/]+/(forwarding|rp_filter|route_localnet) |^/proc/sys/net/ipv4/(ip_forward|ip_local_port_range|ip_nonlocal_bind|tcp_syncookies|tcp_keepalive_time|tcp_max_syn_backlog|tcp_tw_reuse|ping_group_range) |^/proc/sys/net/ipv4/neigh/default/gc_thresh[123] '
sysctl_a() { ip netns exec "$1" sysctl -a 2>/dev/null | grep -E "$SYSCTL_KEYS"; }
# what troubleshoot's in-cluster sysctl collector prints: `<path> = <value>` for each file
proc_sys() {
  ip netns exec "$1" sh -c 'find /proc/sys/net/ipv4 /proc/sys/net/bridge -type f | sort | while read -r f; do printf "%s = %s\n" "$f" "$(cat "$f" 2>/dev/null)"; done' | grep -E "$PROC_KEYS"
}

# Docker's rules of seed 001 ("iptables-docker"), as Docker 18 wrote them
DOCKER_SEED_RULES='*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:DOCKER - [0:0]
-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER
-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
-A DOCKER -i docker0 -j RETURN
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER - [0:0]
:DOCKER-ISOLATION - [0:0]
-A FORWARD -j DOCKER-ISOLATION
-A FORWARD -o docker0 -j DOCKER
-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -i docker0 ! -o docker0 -j ACCEPT
-A FORWARD -i docker0 -o docker0 -j ACCEPT
-A DOCKER-ISOLATION -j RETURN
COMMIT'

# `docker network inspect bridge` of a default bridge with one container
#   bridge_inspect NETWORK_ID CREATED CONTAINER_ID CONTAINER_NAME ENDPOINT_ID CONTAINER_IP
bridge_inspect() {
  cat <<EOF
[
    {
        "Name": "bridge",
        "Id": "$1",
        "Created": "$2",
        "Scope": "local",
        "Driver": "bridge",
        "EnableIPv6": false,
        "IPAM": {
            "Driver": "default",
            "Options": null,
            "Config": [
                {
                    "Subnet": "172.17.0.0/16",
                    "Gateway": "172.17.0.1"
                }
            ]
        },
        "Internal": false,
        "Attachable": false,
        "Ingress": false,
        "ConfigFrom": {
            "Network": ""
        },
        "ConfigOnly": false,
        "Containers": {
            "$3": {
                "Name": "$4",
                "EndpointID": "$5",
                "MacAddress": "02:42:ac:11:00:02",
                "IPv4Address": "$6/16",
                "IPv6Address": ""
            }
        },
        "Options": {
            "com.docker.network.bridge.default_bridge": "true",
            "com.docker.network.bridge.enable_icc": "true",
            "com.docker.network.bridge.enable_ip_masquerade": "true",
            "com.docker.network.bridge.host_binding_ipv4": "0.0.0.0",
            "com.docker.network.bridge.name": "docker0",
            "com.docker.network.driver.mtu": "1500"
        },
        "Labels": {}
    }
]
EOF
}

# What sos's firewall_tables plugin saves: each table listed, and the default listing with exact counters.
#   sos_firewall NS SOSROOT iptables-legacy|iptables-nft
sos_firewall() {
  local ns=$1 b=$2 ipt=$3 t
  for t in filter nat mangle raw; do ip netns exec "$ns" "$ipt" -t $t -L -n -v > "$b/sos_commands/firewall_tables/iptables_-t_${t}_-nvL"; done
  ip netns exec "$ns" "$ipt" -L -n -v -x > "$b/sos_commands/firewall_tables/iptables_-vnxL"
}

# What sos's networking and kernel plugins save, once the host's links have settled.
sos_network() {
  local ns=$1 b=$2
  settle "$ns"
  ip netns exec "$ns" ip -d address | ipclean > "$b/sos_commands/networking/ip_-d_address"
  ip netns exec "$ns" ip -o addr > "$b/sos_commands/networking/ip_-o_addr"
  ip netns exec "$ns" ip route show table all > "$b/sos_commands/networking/ip_route_show_table_all"
  ln -s sos_commands/networking/ip_-o_addr "$b/ip_addr"
  sysctl_a "$ns" > "$b/sos_commands/kernel/sysctl_-a"
  ip netns exec "$ns" cat /proc/sys/net/ipv4/ip_forward > "$b/proc/sys/net/ipv4/ip_forward"
}

troubleshoot_version() { printf 'apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\nspec:\n  versionNumber: v0.107.1\n' > "$1/version.yaml"; }
subnet_env() { printf 'FLANNEL_NETWORK=%s\nFLANNEL_SUBNET=%s\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n' "$1" "$2"; }

# built aside and swapped in at the end, so a failed run leaves the committed sources alone
staging=$(mktemp -d "$here/bundles/.src.XXXXXX")
chmod 755 "$staging"

########## 1. docker-chains-flushed: sosreport of a CentOS 7 Docker host after `systemctl restart iptables` (seeds 000, 001)
b="$staging/docker-chains-flushed/sosreport-docker-host-01-2026-11-20-ticket4711"
mkdir -p "$b/sos_commands/"{firewall_tables,networking,docker,systemd,kernel} "$b/etc/sysconfig" "$b/etc/sysctl.d" "$b/etc/docker" "$b/var/log" "$b/proc/sys/net/ipv4"
echo docker-host-01 > "$b/hostname"
echo docker-host-01 > "$b/etc/hostname"
cat > "$b/etc/sysconfig/iptables" <<'EOF'
# sample configuration for iptables service
# you can edit this manually or use system-config-firewall
# please do not ask us to add additional ports/services to this default configuration
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p icmp -j ACCEPT
-A INPUT -i lo -j ACCEPT
-A INPUT -p tcp -m state --state NEW -m tcp --dport 22 -j ACCEPT
-A INPUT -j REJECT --reject-with icmp-host-prohibited
-A FORWARD -j REJECT --reject-with icmp-host-prohibited
COMMIT
EOF
newns flushed
# Docker had its rules; `systemctl restart iptables` then did what its init script does:
# stop = policies ACCEPT, flush and delete every chain; start = restore /etc/sysconfig/iptables
printf '%s\n' "$DOCKER_SEED_RULES" | ip netns exec "$ns" iptables-legacy-restore
for t in filter nat; do
  ip netns exec "$ns" iptables-legacy -t $t -F
  ip netns exec "$ns" iptables-legacy -t $t -X
done
ip netns exec "$ns" iptables-legacy-restore < "$b/etc/sysconfig/iptables"
sos_firewall "$ns" "$b" iptables-legacy
make_host "$ns" 10.0.0.21/24 172.17.0.1/16
# happy_ptolemy was started before the restart and still runs; only new port mappings fail
attach "$ns" docker0 veth9ced0a1 c2:5e:61:0f:9a:11 172.17.0.2/16
ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1
sos_network "$ns" "$b"
cat > "$b/etc/sysctl.conf" <<'EOF'
# sysctl settings are defined through files in
# /usr/lib/sysctl.d/, /run/sysctl.d/, and /etc/sysctl.d/.
#
# Vendors settings live in /usr/lib/sysctl.d/.
# To override a whole file, create a new file with the same in
# /etc/sysctl.d/ and put new settings there. To override
# only specific settings, add a file with a lexically later
# name in /etc/sysctl.d/ and put new settings there.
#
# For more information, see sysctl.conf(5) and sysctl.d(5).
EOF
# CentOS 7 ships this link; sos copies it as a link
ln -s ../sysctl.conf "$b/etc/sysctl.d/99-sysctl.conf"
printf '{\n  "log-driver": "journald",\n  "storage-driver": "overlay2"\n}\n' > "$b/etc/docker/daemon.json"
bridge_inspect 5c2d5b9a3f0e7a1c4d8b6e2f9a0c3d7e1b5f8a2c6d0e4b7f1a3c5d9e2b6f8a0c 2026-11-18T08:12:44.301921834Z \
  9cedc114be35eb86cd6f7f7bb4f11f93b5f8d2c0745afc72664cef8e96aad439 happy_ptolemy \
  3f1c5e7a9b2d4f6a8c0e2b4d6f8a1c3e5b7d9f1a3c5e7b9d1f3a5c7e9b1d3f5a 172.17.0.2 > "$b/sos_commands/docker/docker_network_inspect_bridge"
# systemd 219 (CentOS 7) prints no VENDOR PRESET column
cat > "$b/sos_commands/systemd/systemctl_list-unit-files" <<'EOF'
UNIT FILE                                     STATE   
chronyd.service                               enabled 
containerd.service                            disabled
docker.service                                enabled 
firewalld.service                             disabled
ip6tables.service                             disabled
iptables.service                              enabled 
sshd.service                                  enabled 
docker.socket                                 disabled

8 unit files listed.
EOF
cat > "$b/sos_commands/systemd/systemctl_list-units" <<'EOF'
  UNIT                           LOAD   ACTIVE SUB     DESCRIPTION
  chronyd.service                loaded active running NTP client/server
  docker.service                 loaded active running Docker Application Container Engine
  iptables.service               loaded active exited  IPv4 firewall with iptables
  sshd.service                   loaded active running OpenSSH server daemon

LOAD   = Reflects whether the unit definition was properly loaded.
ACTIVE = The high-level unit activation state, i.e. generalization of SUB.
SUB    = The low-level unit activation state, values depend on unit type.

4 loaded units listed. Pass --all to see loaded but inactive units, too.
EOF
cat > "$b/var/log/messages" <<'EOF'
Nov 20 10:13:58 docker-host-01 sshd[20311]: Accepted publickey for admin from 10.0.0.5 port 51144 ssh2: RSA SHA256:Ue1Zq0Kp3
Nov 20 10:14:02 docker-host-01 systemd[1]: Stopping IPv4 firewall with iptables...
Nov 20 10:14:02 docker-host-01 iptables.init[20390]: iptables: Setting chains to policy ACCEPT: nat filter [  OK  ]
Nov 20 10:14:02 docker-host-01 iptables.init[20390]: iptables: Flushing firewall rules: [  OK  ]
Nov 20 10:14:02 docker-host-01 iptables.init[20390]: iptables: Unloading modules: [  OK  ]
Nov 20 10:14:03 docker-host-01 systemd[1]: Starting IPv4 firewall with iptables...
Nov 20 10:14:03 docker-host-01 iptables.init[20402]: iptables: Applying firewall rules: [  OK  ]
Nov 20 10:14:03 docker-host-01 systemd[1]: Started IPv4 firewall with iptables.
EOF
# the docker run error of seed 001, verbatim, a minute after the restart
cat > "$b/sos_commands/docker/journalctl_--no-pager_--unit_docker" <<'EOF'
-- Logs begin at Wed 2026-11-18 08:12:40 UTC, end at Fri 2026-11-20 10:20:00 UTC. --
Nov 18 08:12:44 docker-host-01 dockerd[1134]: time="2026-11-18T08:12:44.301921834Z" level=info msg="Default bridge (docker0) is assigned with an IP address 172.17.0.0/16. Daemon option --bip can be used to set a preferred IP address"
Nov 18 08:12:44 docker-host-01 dockerd[1134]: time="2026-11-18T08:12:44.412200000Z" level=info msg="Loading containers: done."
Nov 20 10:15:02 docker-host-01 dockerd[1134]: time="2026-11-20T10:15:02.118000000Z" level=error msg="Handler for POST /v1.41/containers/9cedc114be35/start returned error: driver failed programming external connectivity on endpoint happy_ptolemy (9cedc114be35eb86cd6f7f7bb4f11f93b5f8d2c0745afc72664cef8e96aad439): iptables failed: iptables --wait -t filter -A DOCKER ! -i docker0 -o docker0 -p tcp -d 172.17.0.2 --dport 3000 -j ACCEPT: iptables: No chain/target/match by that name.\n (exit status 1)"
EOF

########## 2. ip-forward-off: a hand-made folder from an Ubuntu Docker host (seed 001 "转发错误")
b="$staging/ip-forward-off/ticket-4712/docker-host-02"
mkdir -p "$b"
echo docker-host-02 > "$b/hostname"
cat > "$b/docker.log" <<'EOF'
$ journalctl -u docker --no-pager | tail -4
Nov 20 11:02:10 docker-host-02 dockerd[981]: time="2026-11-20T11:02:10.204118000Z" level=info msg="Loading containers: done."
Nov 20 11:02:10 docker-host-02 dockerd[981]: time="2026-11-20T11:02:10.311420000Z" level=info msg="Daemon has completed initialization"
$ docker run -d -p 8080:80 --name web nginx
WARNING: IPv4 forwarding is disabled. Networking will not work.
EOF
newns fwdoff
printf '%s\n' "$DOCKER_SEED_RULES" | ip netns exec "$ns" iptables-nft-restore
ip netns exec "$ns" iptables-nft-save | stamp > "$b/iptables-save.txt"
make_host "$ns" 192.168.10.12/24 172.17.0.1/16
attach "$ns" docker0 veth5d1e2f7 a6:3b:9e:41:d2:07 172.17.0.2/16
settle "$ns"
ip netns exec "$ns" ip a > "$b/ip_a.txt"
# a new namespace starts with forwarding off, as this host's kernel does after a reload of sysctl.conf
sysctl_a "$ns" > "$b/sysctl-a.txt"

########## 3. flannel-subnet-mismatch: troubleshoot bundle, two nodes; k8s-node-1 has the "range set mismatch" of seed 004
b="$staging/flannel-subnet-mismatch/support-bundle-2026-11-20T10_20_00"
mkdir -p "$b/host-collectors/system" "$b/cluster-resources/pods/logs/kube-flannel/kube-flannel-ds-7xq2p" "$b/sysctl"
troubleshoot_version "$b"
echo '{"nodes":["k8s-node-1","k8s-node-2"]}' > "$b/host-collectors/system/node_list.json"
printf '{\n  "kind": "NodeList",\n  "apiVersion": "v1",\n  "items": [\n    {"metadata": {"name": "k8s-node-1"}, "spec": {"podCIDR": "10.10.1.0/24"}},\n    {"metadata": {"name": "k8s-node-2"}, "spec": {"podCIDR": "10.10.3.0/24"}}\n  ]\n}\n' > "$b/cluster-resources/nodes.json"
printf '{\n  "kind": "PodList",\n  "items": [\n    {"metadata": {"name": "kube-flannel-ds-7xq2p", "namespace": "kube-flannel"}, "spec": {"nodeName": "k8s-node-1"}},\n    {"metadata": {"name": "kube-flannel-ds-m4k8d", "namespace": "kube-flannel"}, "spec": {"nodeName": "k8s-node-2"}}\n  ]\n}\n' > "$b/cluster-resources/pods/kube-flannel.json"
cat > "$b/cluster-resources/pods/logs/kube-flannel/kube-flannel-ds-7xq2p/kube-flannel.log" <<'EOF'
I1120 09:41:02.104211       1 main.go:212] CLI flags config: {etcdEndpoints:http://127.0.0.1:4001,http://127.0.0.1:2379 etcdPrefix:/coreos.com/network kubeSubnetMgr:true ifaceRegex:[] ipMasq:true subnetFile:/run/flannel/subnet.env}
I1120 09:41:02.211873       1 kube.go:139] Waiting 10m0s for node controller to sync
I1120 09:41:03.212090       1 main.go:357] Current network or subnet (10.10.0.0/16, 10.10.1.0/24) is not equal to previous one (0.0.0.0/0, 0.0.0.0/0), trying to recycle old iptables rules
I1120 09:41:03.318422       1 main.go:463] Found network config - Backend type: vxlan
I1120 09:41:03.401117       1 main.go:389] Wrote subnet file to /run/flannel/subnet.env
I1120 09:41:03.401140       1 main.go:393] Running backend.
EOF
for node in k8s-node-1 k8s-node-2; do
  newns "$node"
  mkdir -p "$b/host-collectors/run-host/$node" "$b/host-collectors/$node/flannel"
  if [ "$node" = k8s-node-1 ]; then
    # cni0 kept the range of an earlier install; flanneld then got 10.10.1.0/24
    make_host "$ns" 10.0.1.11/24 172.17.0.1/16 10.10.2.1/24 10.10.1.0/32
    subnet_env 10.10.0.0/16 10.10.1.1/24 > "$b/host-collectors/$node/flannel/subnet.env"
  else
    make_host "$ns" 10.0.1.12/24 172.17.0.1/16 10.10.3.1/24 10.10.3.0/32
    attach "$ns" cni0 veth6f1c9a2e 8e:1d:44:7a:b0:31 10.10.3.2/24
    subnet_env 10.10.0.0/16 10.10.3.1/24 > "$b/host-collectors/$node/flannel/subnet.env"
  fi
  ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1
  settle "$ns"
  ip netns exec "$ns" ip a > "$b/host-collectors/run-host/$node/ip-addr.txt"
  proc_sys "$ns" > "$b/sysctl/$node"
done

########## 4. healthy-docker-k8s: sosreport of a healthy Docker + kubeadm + flannel node
b="$staging/healthy-docker-k8s/sosreport-k8s-node-3-2026-11-20-ticket4714"
mkdir -p "$b/sos_commands/"{firewall_tables,networking,docker,systemd,kernel,kubernetes} "$b/run/flannel" "$b/etc/sysctl.d" "$b/etc/docker" "$b/proc/sys/net/ipv4"
echo k8s-node-3 > "$b/hostname"
echo k8s-node-3 > "$b/etc/hostname"
newns healthy
ip netns exec "$ns" iptables-nft-restore < "$rules"
sos_firewall "$ns" "$b" iptables-nft
# sos keeps what the command wrote to stderr too: nft warns about the tables iptables-nft owns
ip netns exec "$ns" nft -a list ruleset > "$b/sos_commands/firewall_tables/nft_-a_list_ruleset" 2>&1
make_host "$ns" 10.0.1.13/24 172.17.0.1/16 10.244.1.1/24 10.244.1.0/32
# the nginx container behind the DNAT rule, and the coredns pod behind KUBE-SEP-IT2ZTR26TO4XFPTO
attach "$ns" docker0 veth1b7e4c0 d6:0a:3c:52:e8:14 172.17.0.2/16
attach "$ns" cni0 veth3a9f2c1b 4a:91:c7:2d:05:6e 10.244.1.2/24
ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1
sos_network "$ns" "$b"
subnet_env 10.244.0.0/16 10.244.1.1/24 > "$b/run/flannel/subnet.env"
# what the kubeadm install guide has people write
printf 'net.bridge.bridge-nf-call-iptables  = 1\nnet.bridge.bridge-nf-call-ip6tables = 1\nnet.ipv4.ip_forward                 = 1\n' > "$b/etc/sysctl.d/k8s.conf"
printf '{\n  "exec-opts": ["native.cgroupdriver=systemd"],\n  "log-driver": "json-file",\n  "log-opts": {\n    "max-size": "100m"\n  },\n  "storage-driver": "overlay2"\n}\n' > "$b/etc/docker/daemon.json"
bridge_inspect 8f3a1d6c2b7e4f9a0c5d8e1b3f6a9c2d4e7b0a3c6f9d2e5b8a1c4f7e0d3b6a9c 2026-11-19T07:00:12.604000000Z \
  b41c7e2f9a3d6b8e0f5c1a4d7e9b2c6f8a0d3e5b7c9f1a2d4e6b8c0a3f5d7e9b web \
  7e2a9c4f1b6d8e3a5c0f2b7d9e4a6c1f3b8d0e5a7c2f4b9d6e1a3c8f0b5d7e2a 172.17.0.2 > "$b/sos_commands/docker/docker_network_inspect_bridge"
cat > "$b/sos_commands/systemd/systemctl_list-unit-files" <<'EOF'
UNIT FILE                                  STATE           VENDOR PRESET
containerd.service                         enabled         enabled
docker.service                             enabled         enabled
kubelet.service                            enabled         enabled
ssh.service                                enabled         enabled
ufw.service                                disabled        enabled
docker.socket                              enabled         enabled

6 unit files listed.
EOF
cat > "$b/sos_commands/systemd/systemctl_list-units" <<'EOF'
  UNIT                 LOAD   ACTIVE SUB     DESCRIPTION
  containerd.service   loaded active running containerd container runtime
  docker.service       loaded active running Docker Application Container Engine
  kubelet.service      loaded active running kubelet: The Kubernetes Node Agent
  ssh.service          loaded active running OpenBSD Secure Shell server
  docker.socket        loaded active running Docker Socket for the API

LOAD   = Reflects whether the unit definition was properly loaded.
ACTIVE = The high-level unit activation state, i.e. generalization of SUB.
SUB    = The low-level unit activation state, values depend on unit type.
5 loaded units listed. Pass --all to see loaded but inactive units, too.
To show all installed unit files use 'systemctl list-unit-files'.
EOF
cat > "$b/sos_commands/docker/journalctl_--no-pager_--unit_docker" <<'EOF'
-- Logs begin at Thu 2026-11-19 07:00:00 UTC, end at Fri 2026-11-20 10:20:00 UTC. --
Nov 19 07:00:12 k8s-node-3 dockerd[912]: time="2026-11-19T07:00:12.118000000Z" level=info msg="Loading containers: start."
Nov 19 07:00:12 k8s-node-3 dockerd[912]: time="2026-11-19T07:00:12.604000000Z" level=info msg="Default bridge (docker0) is assigned with an IP address 172.17.0.0/16. Daemon option --bip can be used to set a preferred IP address"
Nov 19 07:00:13 k8s-node-3 dockerd[912]: time="2026-11-19T07:00:13.002000000Z" level=info msg="Loading containers: done."
Nov 19 07:00:13 k8s-node-3 dockerd[912]: time="2026-11-19T07:00:13.120000000Z" level=info msg="API listen on /run/docker.sock"
EOF
cat > "$b/sos_commands/kubernetes/journalctl_--no-pager_--unit_kubelet" <<'EOF'
-- Logs begin at Thu 2026-11-19 07:00:00 UTC, end at Fri 2026-11-20 10:20:00 UTC. --
Nov 19 07:00:15 k8s-node-3 kubelet[1304]: I1119 07:00:15.104567    1304 server.go:446] "Kubelet version" kubeletVersion="v1.28.4"
Nov 19 07:00:15 k8s-node-3 kubelet[1304]: I1119 07:00:15.210044    1304 kubelet_network_linux.go:50] "Initialized iptables rules." protocol="IPv4"
Nov 19 07:00:16 k8s-node-3 kubelet[1304]: I1119 07:00:16.500100    1304 kubelet_node_status.go:70] "Attempting to register node" node="k8s-node-3"
Nov 19 07:00:16 k8s-node-3 kubelet[1304]: I1119 07:00:16.711234    1304 kubelet_node_status.go:73] "Successfully registered node" node="k8s-node-3"
Nov 19 07:00:19 k8s-node-3 kubelet[1304]: I1119 07:00:19.013300    1304 kuberuntime_manager.go:1528] "Updating runtime config through cri with podcidr" CIDR="10.244.1.0/24"
Nov 19 07:00:25 k8s-node-3 kubelet[1304]: I1119 07:00:25.000000    1304 pod_startup_latency_tracker.go:102] "Observed pod startup duration" pod="kube-system/coredns-5dd5756b68-7xk2p" podStartSLOduration=6.2
EOF

########## 5. three-node-cluster: troubleshoot; node-c has ip_forward 0, the legacy back end, FORWARD ACCEPT; node-a and node-c share a flannel subnet
b="$staging/three-node-cluster/support-bundle-2026-11-20T11_00_00"
mkdir -p "$b/host-collectors/system" "$b/cluster-resources" "$b/sysctl"
troubleshoot_version "$b"
echo '{"nodes":["node-a","node-b","node-c"]}' > "$b/host-collectors/system/node_list.json"
printf '{\n  "kind": "NodeList",\n  "apiVersion": "v1",\n  "items": [\n    {"metadata": {"name": "node-a"}, "spec": {"podCIDR": "10.244.1.0/24"}},\n    {"metadata": {"name": "node-b"}, "spec": {"podCIDR": "10.244.2.0/24"}},\n    {"metadata": {"name": "node-c"}, "spec": {"podCIDR": "10.244.3.0/24"}}\n  ]\n}\n' > "$b/cluster-resources/nodes.json"
i=0
for node in node-a node-b node-c; do
  i=$((i + 1))
  newns "$node"
  run="$b/host-collectors/run-host/$node"
  mkdir -p "$run" "$b/host-collectors/$node/flannel"
  # node-c was rebuilt from an old image: flanneld there reuses node-a's lease
  sub=$([ "$node" = node-c ] && echo 1 || echo "$i")
  if [ "$node" = node-c ]; then
    sed 's/^:FORWARD DROP/:FORWARD ACCEPT/' "$rules" | ip netns exec "$ns" iptables-legacy-restore
    ip netns exec "$ns" iptables-legacy-save | stamp > "$run/iptables-save.txt"
    ip netns exec "$ns" iptables-legacy -V > "$run/iptables-version.txt"
  else
    ip netns exec "$ns" iptables-nft-restore < "$rules"
    ip netns exec "$ns" iptables-nft-save | stamp > "$run/iptables-save.txt"
    ip netns exec "$ns" iptables-nft -V > "$run/iptables-version.txt"
  fi
  make_host "$ns" "10.0.2.1$i/24" 172.17.0.1/16 "10.244.$sub.1/24" "10.244.$sub.0/32"
  [ "$node" = node-c ] || ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1
  settle "$ns"
  ip netns exec "$ns" ip a > "$run/ip-addr.txt"
  subnet_env 10.244.0.0/16 "10.244.$sub.1/24" > "$b/host-collectors/$node/flannel/subnet.env"
  proc_sys "$ns" > "$b/sysctl/$node"
done

########## 6. kube-firewall-corrupted: a hand-made folder from a node hit by seed 003 (kube-router's iptables 1.8.7 over the host's 1.8.8+)
b="$staging/kube-firewall-corrupted/ticket-4716-node-unreachable"
mkdir -p "$b"
echo k8s-node-7 > "$b/hostname"
newns kfw
sed 's/^-A KUBE-FIREWALL -m comment --comment "kubernetes firewall for dropping marked packets" -m mark --mark 0x8000\/0x8000 -j DROP$/-A KUBE-FIREWALL -m comment --comment "kubernetes firewall for dropping marked packets" -j DROP/' "$rules" | ip netns exec "$ns" iptables-nft-restore
ip netns exec "$ns" iptables-nft-save | stamp > "$b/iptables-save.txt"
ip netns exec "$ns" iptables-nft -V > "$b/iptables-V.txt"
cat > "$b/kubelet.log" <<'EOF'
Nov 20 09:30:11 k8s-node-7 kubelet[1187]: I1120 09:30:11.201144    1187 kubelet_network_linux.go:50] "Initialized iptables rules." protocol="IPv4"
Nov 20 09:31:40 k8s-node-7 kubelet[1187]: E1120 09:31:40.884310    1187 kubelet_node_status.go:540] "Error updating node status, will retry" err="error getting node \"k8s-node-7\": Get \"https://10.0.1.10:6443/api/v1/nodes/k8s-node-7?timeout=10s\": dial tcp 10.0.1.10:6443: i/o timeout"
Nov 20 09:31:50 k8s-node-7 kubelet[1187]: E1120 09:31:50.902215    1187 kubelet_node_status.go:540] "Error updating node status, will retry" err="error getting node \"k8s-node-7\": Get \"https://10.0.1.10:6443/api/v1/nodes/k8s-node-7?timeout=10s\": dial tcp 10.0.1.10:6443: i/o timeout"
EOF

########## 7. firewalld-blocks-postgres: sosreport of a RHEL 9 Docker host; firewalld's own nftables table rejects an app network's traffic to postgres on the host
b="$staging/firewalld-blocks-postgres/sosreport-app-host-09-2026-11-20-ticket4717"
mkdir -p "$b/sos_commands/"{firewall_tables,networking,docker,systemd,kernel,firewalld} "$b/etc/firewalld/zones" "$b/etc/docker" "$b/var/log" "$b/proc/sys/net/ipv4"
echo app-host-09 > "$b/hostname"
echo app-host-09 > "$b/etc/hostname"
newns fwd9
# Docker's iptables rules for docker0 and the compose network "billing_default" (br-5c2d5b9a3f0e),
# made with iptables-nft as RHEL 9 has it: they accept everything the containers send. Beside them,
# firewalld 1.3's own table (test/fixtures/nft/firewalld-real: docker0 in the docker zone, eth0
# public, cni0 trusted), loaded with the real nft. br-5c2d5b9a3f0e is in no zone, so firewalld
# treats it as the default zone, public, whose INPUT rejects 5432 with admin-prohibited.
printf '%s\n' "$DOCKER_SEED_RULES" | sed \
  -e 's|^-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE$|&\n-A POSTROUTING -s 172.18.0.0/16 ! -o br-5c2d5b9a3f0e -j MASQUERADE|' \
  -e 's|^-A DOCKER -i docker0 -j RETURN$|&\n-A DOCKER -i br-5c2d5b9a3f0e -j RETURN|' \
  -e 's|^-A FORWARD -i docker0 -o docker0 -j ACCEPT$|&\n-A FORWARD -o br-5c2d5b9a3f0e -j DOCKER\n-A FORWARD -o br-5c2d5b9a3f0e -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n-A FORWARD -i br-5c2d5b9a3f0e ! -o br-5c2d5b9a3f0e -j ACCEPT\n-A FORWARD -i br-5c2d5b9a3f0e -o br-5c2d5b9a3f0e -j ACCEPT|' \
  | ip netns exec "$ns" iptables-nft-restore
ip netns exec "$ns" nft -f "$here/test/fixtures/nft/firewalld-real/nft_list_ruleset"
sos_firewall "$ns" "$b" iptables-nft
ip netns exec "$ns" nft -a list ruleset > "$b/sos_commands/firewall_tables/nft_-a_list_ruleset"
make_host "$ns" 10.0.0.31/24 172.17.0.1/16
ip netns exec "$ns" ip link add br-5c2d5b9a3f0e address 02:42:5c:2d:5b:9a type bridge
ip netns exec "$ns" ip addr add 172.18.0.1/16 dev br-5c2d5b9a3f0e
ip netns exec "$ns" ip link set br-5c2d5b9a3f0e up
attach "$ns" br-5c2d5b9a3f0e veth3a91c0e 5e:1a:7c:33:90:1e 172.18.0.2/16
ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1
sos_network "$ns" "$b"
fw="$here/test/fixtures/nft/firewalld-real"
for f in firewall-cmd_--list-all-zones firewall-cmd_--get-active-zones firewall-cmd_--get-default-zone firewall-cmd_--version; do cp "$fw/$f" "$b/sos_commands/firewalld/$f"; done
cp "$fw/etc/firewalld/firewalld.conf" "$b/etc/firewalld/firewalld.conf"
cp "$fw/etc/firewalld/zones/"*.xml "$b/etc/firewalld/zones/"
printf '{\n  "log-driver": "journald"\n}\n' > "$b/etc/docker/daemon.json"
bridge_inspect 7b1e4c9a2d5f8e0b3c6a9d2e5f8b1c4a7d0e3f6b9c2a5d8e1f4b7c0a3d6e9f2b 2026-11-19T07:40:12.118204550Z \
  0c4f7a2e9b1d3c5e7f9a1b3c5d7e9f1a3b5c7d9e1f3a5b7c9d1e3f5a7b9c1d3e webhook \
  8e2a4c6e8a0c2e4a6c8e0a2c4e6a8c0e2a4c6e8a0c2e4a6c8e0a2c4e6a8c0e2a 172.17.0.2 > "$b/sos_commands/docker/docker_network_inspect_bridge"
cat > "$b/sos_commands/docker/docker_network_inspect_billing_default" <<'EOF'
[
    {
        "Name": "billing_default",
        "Id": "5c2d5b9a3f0e81d4a6c2e9b7f0a3d5c8e1b4f7a0c3e6d9b2f5a8c1e4d7b0a3f6",
        "Created": "2026-11-19T07:41:03.552910012Z",
        "Scope": "local",
        "Driver": "bridge",
        "EnableIPv6": false,
        "IPAM": {
            "Driver": "default",
            "Options": null,
            "Config": [
                {
                    "Subnet": "172.18.0.0/16",
                    "Gateway": "172.18.0.1"
                }
            ]
        },
        "Internal": false,
        "Attachable": false,
        "Ingress": false,
        "ConfigFrom": {
            "Network": ""
        },
        "ConfigOnly": false,
        "Containers": {
            "9f2e1c7b3a5d48e0b6c2a4f8d1e3c5a7b9d0f2e4a6c8b1d3f5a7c9e0b2d4f6a8": {
                "Name": "billing-api-1",
                "EndpointID": "4d6f8b0d2f4b6d8f0b2d4f6b8d0f2b4d6f8b0d2f4b6d8f0b2d4f6b8d0f2b4d6f",
                "MacAddress": "5e:1a:7c:33:90:1e",
                "IPv4Address": "172.18.0.2/16",
                "IPv6Address": ""
            }
        },
        "Options": {},
        "Labels": {
            "com.docker.compose.network": "default",
            "com.docker.compose.project": "billing"
        }
    }
]
EOF
# systemd 252 (RHEL 9) prints the VENDOR PRESET column
cat > "$b/sos_commands/systemd/systemctl_list-unit-files" <<'EOF'
UNIT FILE                                  STATE           VENDOR PRESET
chronyd.service                            enabled         enabled
containerd.service                         disabled        disabled
docker.service                             enabled         disabled
firewalld.service                          enabled         enabled
postgresql.service                         enabled         disabled
sshd.service                               enabled         enabled
docker.socket                              disabled        disabled

7 unit files listed.
EOF
cat > "$b/sos_commands/systemd/systemctl_list-units" <<'EOF'
  UNIT                           LOAD   ACTIVE SUB     DESCRIPTION
  chronyd.service                loaded active running NTP client/server
  docker.service                 loaded active running Docker Application Container Engine
  firewalld.service              loaded active running firewalld - dynamic firewall daemon
  postgresql.service             loaded active running PostgreSQL database server
  sshd.service                   loaded active running OpenSSH server daemon

LOAD   = Reflects whether the unit definition was properly loaded.
ACTIVE = The high-level unit activation state, i.e. generalization of SUB.
SUB    = The low-level unit activation state, values depend on unit type.

5 loaded units listed. Pass --all to see loaded but inactive units, too.
EOF
# the app container logs to journald (Docker's journald log driver, tag = short container id)
cat > "$b/var/log/messages" <<'EOF'
Nov 20 12:04:58 app-host-09 systemd[1]: Started docker-9f2e1c7b3a5d48e0b6c2a4f8d1e3c5a7b9d0f2e4a6c8b1d3f5a7c9e0b2d4f6a8.scope - libcontainer container 9f2e1c7b3a5d.
Nov 20 12:05:01 app-host-09 9f2e1c7b3a5d[2211]: time="2026-11-20T12:05:01Z" level=info msg="billing-api starting" version=4.2.1
Nov 20 12:05:04 app-host-09 9f2e1c7b3a5d[2211]: time="2026-11-20T12:05:04Z" level=error msg="db ping failed, retrying" err="dial tcp 172.18.0.1:5432: connect: no route to host"
Nov 20 12:05:09 app-host-09 9f2e1c7b3a5d[2211]: time="2026-11-20T12:05:09Z" level=error msg="db ping failed, retrying" err="dial tcp 172.18.0.1:5432: connect: no route to host"
Nov 20 12:05:14 app-host-09 9f2e1c7b3a5d[2211]: time="2026-11-20T12:05:14Z" level=fatal msg="cannot reach the database" err="dial tcp 172.18.0.1:5432: connect: no route to host"
EOF

rm -rf "$src"
mv "$staging" "$src"
staging=
cleanup
pack
echo "bundles written to $here/bundles"
