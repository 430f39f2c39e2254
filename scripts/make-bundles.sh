#!/usr/bin/env bash
# Builds the example bundles of bundles/ from the seed documents and real command output.
#
#   bash scripts/make-bundles.sh          # regenerate bundles/src/* (needs root, iproute2, iptables) and pack
#   bash scripts/make-bundles.sh --pack   # only pack bundles/src/* into bundles/*.tgz (no root needed)
#
# Command output (iptables listings and saves, ip addr, ip route) is made by the real binaries in
# throwaway network namespaces; log lines quote the seeds verbatim where the story comes from them.
# Packing is deterministic: the same sources give byte-identical .tgz files.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
src="$here/bundles/src"
out="${OUT:-$here/bundles}"
rules="$here/test/fixtures/netfilter/docker-kube-flannel.rules"

pack() {
  for dir in "$src"/*/; do
    name=$(basename "$dir")
    # each bundle's folder holds what the archive holds (its top folder named as the collector names it)
    (cd "$src/$name" && tar --sort=name --mtime='@0' --owner=0 --group=0 --numeric-owner --mode='u+rwX,go+rX,go-w' --format=gnu -cf - -- *) | gzip -n -9 > "$out/$name.tgz"
  done
}

if [ "${1:-}" = "--pack" ]; then pack; exit 0; fi

namespaces=()
cleanup() { for n in "${namespaces[@]}"; do ip netns del "$n" 2>/dev/null || true; done; }
trap cleanup EXIT
newns() { local n="bdb-$1-$$"; namespaces+=("$n"); ip netns add "$n"; echo "$n"; }
stamp() { sed -E 's/ on [A-Z][a-z]{2} [A-Z][a-z]{2} +[0-9]+ [0-9:]+ [0-9]{4}$/ on Fri Nov 20 10:00:00 2026/'; }

# A host's interfaces, with fixed MAC addresses so link-local IPv6 addresses are reproducible.
#   make_host NS UPLINK_CIDR [docker0 CIDR] [cni0 CIDR flannel.1 CIDR]
make_host() {
  local ns=$1 up=$2 docker=${3:-} cni=${4:-} flannel=${5:-}
  local x="ip netns exec $ns"
  $x ip link set lo up
  $x ip link add eth0 address 52:54:00:12:34:56 type veth peer name uplink0 address 52:54:00:12:34:57
  $x ip addr add "$up" dev eth0
  $x ip link set eth0 up
  $x ip link set uplink0 up
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

# Blank out the per-run parts of ip output (link-local addresses come from the fixed MACs; DAD state varies).
ipclean() { sed -E 's/ tentative//; s/ dadfailed//'; }

SYSCTL_BASE='net.bridge.bridge-nf-call-arptables = 1
net.bridge.bridge-nf-call-ip6tables = 1
net.bridge.bridge-nf-call-iptables = 1
net.core.netdev_max_backlog = 1000
net.core.somaxconn = 4096
net.ipv4.conf.all.forwarding = 1
net.ipv4.conf.all.rp_filter = 1
net.ipv4.conf.default.rp_filter = 1
net.ipv4.conf.docker0.forwarding = 1
net.ipv4.conf.eth0.forwarding = 1
net.ipv4.ip_forward = 1
net.ipv4.ip_local_port_range = 32768	60999
net.ipv4.tcp_syncookies = 1
net.netfilter.nf_conntrack_max = 131072'

rm -rf "$src"
mkdir -p "$src"
rm -f "$here"/bundles/*.tgz

########## 1. docker-chains-flushed: sosreport of a CentOS 7 Docker host after `systemctl restart iptables` (seeds 000, 001)
b="$src/docker-chains-flushed/sosreport-docker-host-01-2026-11-20-ticket4711"
mkdir -p "$b/sos_commands/"{firewall_tables,networking,docker,systemd,kernel} "$b/etc/sysconfig" "$b/var/log" "$b/proc/sys/net/ipv4"
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
ns=$(newns flushed)
# Docker had its rules (seed 001 "iptables-docker"), then iptables.service restored its config over them
ip netns exec "$ns" iptables-legacy-restore < "$b/etc/sysconfig/iptables"
for t in filter nat mangle raw; do ip netns exec "$ns" iptables-legacy -t $t -L -n -v > "$b/sos_commands/firewall_tables/iptables_-t_${t}_-nvL"; done
ip netns exec "$ns" iptables-legacy -L -n -v -x > "$b/sos_commands/firewall_tables/iptables_-vnxL"
make_host "$ns" 10.0.0.21/24 172.17.0.1/16
ip netns exec "$ns" ip -d address | ipclean > "$b/sos_commands/networking/ip_-d_address"
ip netns exec "$ns" ip -o addr | ipclean > "$b/sos_commands/networking/ip_-o_addr"
ip netns exec "$ns" ip route show table all > "$b/sos_commands/networking/ip_route_show_table_all"
ln -s sos_commands/networking/ip_-o_addr "$b/ip_addr"
cat > "$b/sos_commands/docker/docker_network_inspect_bridge" <<'EOF'
[
    {
        "Name": "bridge",
        "Id": "5c2d5b9a3f0e7a1c4d8b6e2f9a0c3d7e1b5f8a2c6d0e4b7f1a3c5d9e2b6f8a0c",
        "Created": "2026-11-18T08:12:44.301921834Z",
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
        "Containers": {
            "9cedc114be35eb86cd6f7f7bb4f11f93b5f8d2c0745afc72664cef8e96aad439": {
                "Name": "happy_ptolemy",
                "EndpointID": "3f1c5e7a9b2d4f6a8c0e2b4d6f8a1c3e5b7d9f1a3c5e7b9d1f3a5c7e9b1d3f5a",
                "MacAddress": "02:42:ac:11:00:02",
                "IPv4Address": "172.17.0.2/16",
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
printf '%s\n' "$SYSCTL_BASE" > "$b/sos_commands/kernel/sysctl_-a"
echo 1 > "$b/proc/sys/net/ipv4/ip_forward"

########## 2. ip-forward-off: a hand-made folder from an Ubuntu Docker host (seed 001 "转发错误")
b="$src/ip-forward-off/ticket-4712/docker-host-02"
mkdir -p "$b"
echo docker-host-02 > "$b/hostname"
printf '%s\n' "$SYSCTL_BASE" | sed 's/^net.ipv4.ip_forward = 1/net.ipv4.ip_forward = 0/; s/^net.ipv4.conf.all.forwarding = 1/net.ipv4.conf.all.forwarding = 0/; s/^net.ipv4.conf.docker0.forwarding = 1/net.ipv4.conf.docker0.forwarding = 0/; s/^net.ipv4.conf.eth0.forwarding = 1/net.ipv4.conf.eth0.forwarding = 0/' > "$b/sysctl-a.txt"
cat > "$b/docker-logs.txt" <<'EOF'
$ journalctl -u docker --no-pager | tail -4
Nov 20 11:02:10 docker-host-02 dockerd[981]: time="2026-11-20T11:02:10.204118000Z" level=info msg="Loading containers: done."
Nov 20 11:02:10 docker-host-02 dockerd[981]: time="2026-11-20T11:02:10.311420000Z" level=info msg="Daemon has completed initialization"
$ docker run -d -p 8080:80 --name web nginx
WARNING: IPv4 forwarding is disabled. Networking will not work.
EOF
ns=$(newns fwdoff)
cat > /tmp/bd-docker-$$.rules <<'EOF'
*nat
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
COMMIT
EOF
ip netns exec "$ns" iptables-nft-restore < /tmp/bd-docker-$$.rules
rm -f /tmp/bd-docker-$$.rules
ip netns exec "$ns" iptables-nft-save | stamp > "$b/iptables-save.txt"
make_host "$ns" 192.168.10.12/24 172.17.0.1/16
ip netns exec "$ns" ip a | ipclean > "$b/ip_a.txt"

########## 3. flannel-subnet-mismatch: troubleshoot bundle, two nodes; k8s-node-1 has the "range set mismatch" of seed 004
b="$src/flannel-subnet-mismatch/support-bundle-2026-11-20T10_20_00"
mkdir -p "$b/host-collectors/system" "$b/cluster-resources/pods/logs/kube-flannel/kube-flannel-ds-7xq2p" "$b/sysctl"
printf 'apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\nspec:\n  versionNumber: v0.107.1\n' > "$b/version.yaml"
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
  ns=$(newns "$node")
  mkdir -p "$b/host-collectors/run-host/$node" "$b/host-collectors/$node/flannel"
  if [ "$node" = k8s-node-1 ]; then
    make_host "$ns" 10.0.1.11/24 172.17.0.1/16 10.10.2.1/24 10.10.1.0/32
    printf 'FLANNEL_NETWORK=10.10.0.0/16\nFLANNEL_SUBNET=10.10.1.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n' > "$b/host-collectors/$node/flannel/subnet.env"
  else
    make_host "$ns" 10.0.1.12/24 172.17.0.1/16 10.10.3.1/24 10.10.3.0/32
    printf 'FLANNEL_NETWORK=10.10.0.0/16\nFLANNEL_SUBNET=10.10.3.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n' > "$b/host-collectors/$node/flannel/subnet.env"
  fi
  ip netns exec "$ns" ip a | ipclean > "$b/host-collectors/run-host/$node/ip-addr.txt"
  printf '%s\n' "$SYSCTL_BASE" | sed 's#^#/proc/sys/#; s#\.#/#g' > "$b/sysctl/$node"
done

########## 4. healthy-docker-k8s: sosreport of a healthy Docker + kubeadm + flannel node
b="$src/healthy-docker-k8s/sosreport-k8s-node-3-2026-11-20-ticket4714"
mkdir -p "$b/sos_commands/"{firewall_tables,networking,docker,systemd,kernel,kubernetes} "$b/run/flannel" "$b/etc/sysctl.d"
echo k8s-node-3 > "$b/hostname"
ns=$(newns healthy)
ip netns exec "$ns" iptables-nft-restore < "$rules"
for t in filter nat mangle raw; do ip netns exec "$ns" iptables-nft -t $t -L -n -v > "$b/sos_commands/firewall_tables/iptables_-t_${t}_-nvL"; done
ip netns exec "$ns" iptables-nft -L -n -v -x > "$b/sos_commands/firewall_tables/iptables_-vnxL"
make_host "$ns" 10.0.1.13/24 172.17.0.1/16 10.244.1.1/24 10.244.1.0/32
ip netns exec "$ns" ip -d address | ipclean > "$b/sos_commands/networking/ip_-d_address"
ip netns exec "$ns" ip -o addr | ipclean > "$b/sos_commands/networking/ip_-o_addr"
ip netns exec "$ns" ip route show table all > "$b/sos_commands/networking/ip_route_show_table_all"
ln -s sos_commands/networking/ip_-o_addr "$b/ip_addr"
printf 'FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n' > "$b/run/flannel/subnet.env"
printf '%s\n' "$SYSCTL_BASE" > "$b/sos_commands/kernel/sysctl_-a"
printf 'net.bridge.bridge-nf-call-iptables = 1\nnet.bridge.bridge-nf-call-ip6tables = 1\nnet.ipv4.ip_forward = 1\n' > "$b/etc/sysctl.d/99-kubernetes-cri.conf"
cat > "$b/sos_commands/systemd/systemctl_list-unit-files" <<'EOF'
UNIT FILE                                  STATE           VENDOR PRESET
containerd.service                         enabled         enabled
docker.service                             enabled         enabled
kubelet.service                            enabled         enabled
ssh.service                                enabled         enabled
ufw.service                                disabled        enabled

5 unit files listed.
EOF
cat > "$b/sos_commands/docker/journalctl_--no-pager_--unit_docker" <<'EOF'
-- Logs begin at Thu 2026-11-19 07:00:00 UTC, end at Fri 2026-11-20 10:20:00 UTC. --
Nov 19 07:00:12 k8s-node-3 dockerd[912]: time="2026-11-19T07:00:12.118000000Z" level=info msg="Loading containers: start."
Nov 19 07:00:12 k8s-node-3 dockerd[912]: time="2026-11-19T07:00:12.604000000Z" level=info msg="Default bridge (docker0) is assigned with an IP address 172.17.0.0/16. Daemon option --bip can be used to set a preferred IP address"
Nov 19 07:00:13 k8s-node-3 dockerd[912]: time="2026-11-19T07:00:13.002000000Z" level=info msg="Loading containers: done."
Nov 19 07:00:13 k8s-node-3 dockerd[912]: time="2026-11-19T07:00:13.120000000Z" level=info msg="API listen on /run/docker.sock"
EOF
cp "$here/test/fixtures/logs/healthy-node-syslog.log" "$b/sos_commands/kubernetes/journalctl_--no-pager_--unit_kubelet"
sed -i 's/k8s-node-1/k8s-node-3/g' "$b/sos_commands/kubernetes/journalctl_--no-pager_--unit_kubelet"

########## 5. three-node-cluster: troubleshoot; node-c has ip_forward 0, the legacy back end, FORWARD ACCEPT; node-a and node-c share a flannel subnet
b="$src/three-node-cluster/support-bundle-2026-11-20T11_00_00"
mkdir -p "$b/host-collectors/system" "$b/sysctl"
printf 'apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\nspec:\n  versionNumber: v0.107.1\n' > "$b/version.yaml"
echo '{"nodes":["node-a","node-b","node-c"]}' > "$b/host-collectors/system/node_list.json"
i=0
for node in node-a node-b node-c; do
  i=$((i + 1))
  ns=$(newns "$node")
  mkdir -p "$b/host-collectors/run-host/$node" "$b/host-collectors/$node/flannel"
  sub=$([ "$node" = node-c ] && echo 1 || echo "$i")
  make_host "$ns" "10.0.2.1$i/24" 172.17.0.1/16 "10.244.$sub.1/24" "10.244.$sub.0/32"
  ip netns exec "$ns" ip a | ipclean > "$b/host-collectors/run-host/$node/ip-addr.txt"
  printf 'FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.%s.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n' "$sub" > "$b/host-collectors/$node/flannel/subnet.env"
  if [ "$node" = node-c ]; then
    sed 's/^:FORWARD DROP/:FORWARD ACCEPT/' "$rules" | ip netns exec "$ns" iptables-legacy-restore
    ip netns exec "$ns" iptables-legacy-save | stamp > "$b/host-collectors/run-host/$node/iptables-save.txt"
    ip netns exec "$ns" iptables-legacy -V > "$b/host-collectors/run-host/$node/iptables-version.txt"
    printf '%s\n' "$SYSCTL_BASE" | sed 's/^net.ipv4.ip_forward = 1/net.ipv4.ip_forward = 0/' | sed 's#^#/proc/sys/#; s#\.#/#g' > "$b/sysctl/$node"
  else
    ip netns exec "$ns" iptables-nft-restore < "$rules"
    ip netns exec "$ns" iptables-nft-save | stamp > "$b/host-collectors/run-host/$node/iptables-save.txt"
    ip netns exec "$ns" iptables-nft -V > "$b/host-collectors/run-host/$node/iptables-version.txt"
    printf '%s\n' "$SYSCTL_BASE" | sed 's#^#/proc/sys/#; s#\.#/#g' > "$b/sysctl/$node"
  fi
done

########## 6. kube-firewall-corrupted: a hand-made folder from a node hit by seed 003 (kube-router's iptables 1.8.7 over the host's 1.8.8+)
b="$src/kube-firewall-corrupted/ticket-4716-node-unreachable"
mkdir -p "$b"
echo k8s-node-7 > "$b/hostname"
ns=$(newns kfw)
sed 's/^-A KUBE-FIREWALL -m comment --comment "kubernetes firewall for dropping marked packets" -m mark --mark 0x8000\/0x8000 -j DROP$/-A KUBE-FIREWALL -m comment --comment "kubernetes firewall for dropping marked packets" -j DROP/' "$rules" | ip netns exec "$ns" iptables-nft-restore
ip netns exec "$ns" iptables-nft-save | stamp > "$b/iptables-save.txt"
ip netns exec "$ns" iptables-nft -V > "$b/iptables-V.txt"
cat > "$b/kubelet.log" <<'EOF'
Nov 20 09:30:11 k8s-node-7 kubelet[1187]: I1120 09:30:11.201144    1187 kubelet_network_linux.go:50] "Initialized iptables rules." protocol="IPv4"
Nov 20 09:31:40 k8s-node-7 kubelet[1187]: E1120 09:31:40.884310    1187 kubelet_node_status.go:540] "Error updating node status, will retry" err="error getting node \"k8s-node-7\": Get \"https://10.0.1.10:6443/api/v1/nodes/k8s-node-7?timeout=10s\": dial tcp 10.0.1.10:6443: i/o timeout"
Nov 20 09:31:50 k8s-node-7 kubelet[1187]: E1120 09:31:50.902215    1187 kubelet_node_status.go:540] "Error updating node status, will retry" err="error getting node \"k8s-node-7\": Get \"https://10.0.1.10:6443/api/v1/nodes/k8s-node-7?timeout=10s\": dial tcp 10.0.1.10:6443: i/o timeout"
EOF

cleanup
namespaces=()
pack
echo "bundles written to $here/bundles"
