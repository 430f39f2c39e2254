#!/usr/bin/env bash
# Regenerates test/fixtures/iproute2/broken-node/ and test/fixtures/iproute2/sockets/ (or the folder
# given as $1): the shapes scripts/iproute2-fixtures.sh (a healthy node) does not cover, made for
# real by iproute2, net-tools and the kernel in throwaway network namespaces:
#  - the seed 004 "range set mismatch" node: flannel.1 holding two /32 addresses (10.10.2.0 and
#    10.10.4.0), cni0 in 10.10.2.0/24 with a secondary address, docker0 left DOWN, an interface
#    with an altname, and an IPv6 address the kernel marked dadfailed (the same address on both
#    ends of a veth, so duplicate address detection really fails);
#  - route types bundles show: multipath, blackhole/unreachable/prohibit/throw, a second table,
#    an IPv6 default via a device whose name has a dot, an IPv6 "unreachable default";
#  - listening sockets in ss and netstat form: IPv4, dual-stack `*`, v6-only `[::]`, UDP, and a
#    socket bound to a device (`127.0.0.53%lo`).
# Needs root, iproute2, net-tools (ifconfig, netstat) and python3 (the listeners).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out="${1:-$here/test/fixtures/iproute2}"
node="bdfx-node-$$"; socks="bdfx-socks-$$"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  # the listeners run under `ip netns exec` in a subshell: killing the subshell leaves them, so
  # everything still running in the namespaces goes too
  for ns in "$node" "$socks"; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
  done
  ip netns del "$node" 2>/dev/null || true
  ip netns del "$socks" 2>/dev/null || true
}
trap cleanup EXIT
mkdir -p "$out/broken-node" "$out/sockets"

ip netns add "$node"
n() { ip netns exec "$node" "$@"; }
n ip link set lo up
n ip link add ens3 type veth peer name ens3p
n ip link property add dev ens3 altname enp0s3
n ip link set ens3 up
n ip link set ens3p up
n ip addr add 192.168.56.12/24 dev ens3
n ip -6 addr add fd00:56::12/64 dev ens3
n ip -6 addr add fd00:56::12/64 dev ens3p
# a dotted name like a VLAN's, on a veth because 8021q is not loaded everywhere
n ip link add ens3.100 type veth peer name ens3.100p
n ip link set ens3.100 up
n ip link set ens3.100p up
n ip -6 addr add fd00:100::12/64 dev ens3.100 nodad
n ip link add flannel.1 type vxlan id 1 local 192.168.56.12 dev ens3 dstport 8472 nolearning
n ip addr add 10.10.2.0/32 dev flannel.1
n ip addr add 10.10.4.0/32 dev flannel.1
n ip link set flannel.1 up
n ip link add cni0 type bridge
n ip addr add 10.10.2.1/24 dev cni0
n ip addr add 10.10.2.5/24 dev cni0
n ip link set cni0 up
n ip link add docker0 type bridge
n ip addr add 172.17.0.1/16 dev docker0
n ip route add default via 192.168.56.1 dev ens3 proto dhcp metric 100
n ip route add 10.10.1.0/24 via 10.10.1.0 dev flannel.1 onlink
n ip route add 10.20.0.0/16 nexthop via 192.168.56.2 dev ens3 weight 1 nexthop via 192.168.56.3 dev ens3 weight 2
n ip route add blackhole 10.30.0.0/16
n ip route add unreachable 10.31.0.0/16
n ip route add prohibit 10.32.0.0/16
n ip route add 10.40.0.0/16 via 192.168.56.1 dev ens3 table 100
n ip route add throw 10.50.0.0/16 table 100
n ip -6 route add default via fd00:100::1 dev ens3.100 metric 1024
n ip -6 route add unreachable default table 200
# duplicate address detection needs a moment: wait until one end of the veth has fd00:56::12
# dadfailed and the other has it settled (no longer tentative), so its local route exists
for _ in $(seq 100); do
  dad=$(n ip -6 addr show to fd00:56::12/128)
  grep -q dadfailed <<<"$dad" && [ "$(grep -c tentative <<<"$dad")" -eq 1 ] && break
  sleep 0.1
done
b="$out/broken-node"
n ip addr > "$b/ip_a"
n ip -d address > "$b/ip_-d_address"
n ip -o addr > "$b/ip_-o_addr"
n ip -br addr > "$b/ip_-br_addr"
n ifconfig -a > "$b/ifconfig_-a"
n ip route show table all > "$b/ip_route_show_table_all"

ip netns add "$socks"
s() { ip netns exec "$socks" "$@"; }
s ip link set lo up
s python3 -m http.server --bind 127.0.0.1 5432 >/dev/null 2>&1 &
pids+=($!)
s python3 -c '
import socket, sys, time
def tcp(family, addr, v6only=None):
    t = socket.socket(family)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if v6only is not None:
        t.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, v6only)
    t.bind(addr)
    t.listen()
    return t
keep = [tcp(socket.AF_INET6, ("::", 22), 0), tcp(socket.AF_INET6, ("::", 6443), 1), tcp(socket.AF_INET, ("0.0.0.0", 10250))]
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("0.0.0.0", 8472)); keep.append(u)
d = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
d.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"lo")
d.bind(("127.0.0.53", 53)); keep.append(d)
time.sleep(60)
' &
pids+=($!)
for _ in $(seq 100); do
  [ "$(s ss -Htlnu | wc -l)" -ge 6 ] && break
  sleep 0.1
done
k="$out/sockets"
s ss -ltnp > "$k/ss_-ltnp"
s ss -tunlp > "$k/ss_-tunlp"
s netstat -ltnp > "$k/netstat_-ltnp"
s netstat -tulpen > "$k/netstat_-tulpen"
s netstat -W -neopa > "$k/netstat_-W_-neopa"
echo "fixtures written to $out/broken-node and $out/sockets"
