#!/usr/bin/env bash
# Regenerates test/fixtures/iproute2/: a container host's interfaces made for real in a throwaway
# network namespace (docker0 bridge, flannel's cni0 bridge and flannel.1 vxlan, a veth into a
# "pod" namespace, IPv6) and dumped by the real iproute2 in every shape bundles carry.
# Needs root and iproute2.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out="${1:-$here/test/fixtures/iproute2}"
host="bdip-host-$$"; pod="bdip-pod-$$"
cleanup() { ip netns del "$host" 2>/dev/null || true; ip netns del "$pod" 2>/dev/null || true; }
trap cleanup EXIT
mkdir -p "$out"
ip netns add "$host"; ip netns add "$pod"
h() { ip netns exec "$host" "$@"; }
h ip link set lo up
# the uplink: a veth (dummy devices are not available in every kernel)
h ip link add eth0 type veth peer name uplink0
h ip addr add 192.168.56.11/24 dev eth0
h ip link set uplink0 up
h ip link set eth0 up
h ip link add docker0 type bridge
h ip addr add 172.17.0.1/16 dev docker0
h ip link set docker0 up
h ip link add cni0 type bridge
h ip addr add 10.244.1.1/24 dev cni0
h ip -6 addr add fd00:10:244:1::1/64 dev cni0 nodad
h ip link set cni0 up
h ip link add flannel.1 type vxlan id 1 local 192.168.56.11 dev eth0 dstport 8472 nolearning
h ip addr add 10.244.1.0/32 dev flannel.1
h ip link set flannel.1 up
h ip link add veth3a9f2c1b type veth peer name eth0 netns "$pod"
h ip link set veth3a9f2c1b master cni0 up
ip netns exec "$pod" ip addr add 10.244.1.5/24 dev eth0
ip netns exec "$pod" ip link set eth0 up
h ip route add 10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink
h ip route add default via 192.168.56.1 dev eth0
h ip addr > "$out/ip_a"
h ip -d address > "$out/ip_-d_address"
h ip -o addr > "$out/ip_-o_addr"
h ip -br addr > "$out/ip_-br_addr"
h ip route show table all > "$out/ip_route_show_table_all"
ip netns exec "$pod" ip addr > "$out/pod_ip_a"
echo "fixtures written to $out"
