#!/usr/bin/env bash
# Regenerates test/fixtures/nft/: rulesets loaded with the REAL nft / iptables-nft binaries, each
# in a throwaway network namespace, then dumped the three ways bundles carry them:
#   nft_list_ruleset       `nft list ruleset` (stdout only, what a hand-made bundle holds)
#   nft_-a_list_ruleset    `nft -a list ruleset` with stderr merged, as sosreport captures it
#                          (nft prints its "managed by iptables-nft" warnings on stderr)
#   nft_-j_list_ruleset    `nft -j list ruleset` (insights archives)
# Scenarios: firewalld-vmap (hand-written firewalld-1.x shape), docker-bridges (Docker 29 nftables
# back end), iptables-nft (rules restored through iptables-nft, so nft shows the compat form),
# host-all (all three in one namespace: several base chains per hook, for the tracer).
# With firewalld and dbus-daemon installed (Debian: apt-get install firewalld), also firewalld-real:
# the REAL firewalld daemon run inside the namespace on a private D-Bus, with zones configured by
# firewall-offline-cmd, dumped with nft and firewall-cmd.
# Needs root, iproute2, nftables, iptables.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out="$here/test/fixtures/nft"
namespaces=()
pids=()
tmp=$(mktemp -d)
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
  for n in "${namespaces[@]}"; do ip netns del "$n" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

# sets $ns (not echoed: a command substitution would lose the name for cleanup)
new_ns() { ns="bdnftfix-$1-$$"; namespaces+=("$ns"); ip netns add "$ns"; }
dump() {
  local ns=$1 dir=$2
  mkdir -p "$dir"
  ip netns exec "$ns" nft list ruleset > "$dir/nft_list_ruleset"
  ip netns exec "$ns" nft -a list ruleset > "$dir/nft_-a_list_ruleset" 2>&1
  # one line, as the binary writes it; a trailing newline like a captured command output
  { ip netns exec "$ns" nft -j list ruleset; echo; } > "$dir/nft_-j_list_ruleset"
}

new_ns fwd; ip netns exec "$ns" nft -f "$out/firewalld-vmap.nft"; dump "$ns" "$out/firewalld-vmap"
new_ns dkr; ip netns exec "$ns" nft -f "$out/docker-bridges.nft"; dump "$ns" "$out/docker-bridges"
new_ns ipt; ip netns exec "$ns" iptables-nft-restore < "$out/iptables-nft.rules"; dump "$ns" "$out/iptables-nft"
new_ns all
ip netns exec "$ns" iptables-nft-restore < "$out/iptables-nft.rules"
ip netns exec "$ns" nft -f "$out/docker-bridges.nft"
ip netns exec "$ns" nft -f "$out/firewalld-vmap.nft"
dump "$ns" "$out/host-all"

if command -v firewalld >/dev/null && command -v firewall-offline-cmd >/dev/null && command -v dbus-daemon >/dev/null; then
  real="$out/firewalld-real"
  conf="$tmp/etc-firewalld"
  mkdir -p "$conf/zones" "$real/etc/firewalld/zones"
  cp /etc/firewalld/firewalld.conf "$conf/"
  f() { firewall-offline-cmd --system-config "$conf" "$@" >/dev/null; }
  # a Kubernetes node behind firewalld: API and kubelet ports, flannel vxlan, one rich rule,
  # pods trusted, Docker's own zone for docker0 (target ACCEPT), a blocked network in drop
  f --zone=public --add-interface=eth0
  f --zone=public --add-port=6443/tcp
  f --zone=public --add-port=10250/tcp
  f --zone=public --add-port=8472/udp
  f --zone=public --add-forward-port=port=8080:proto=tcp:toport=80:toaddr=172.17.0.2
  f --zone=public --add-rich-rule='rule family="ipv4" source address="192.0.2.0/24" port port="5432" protocol="tcp" accept'
  f --zone=trusted --add-interface=cni0
  f --zone=trusted --add-source=10.244.0.0/16
  f --new-zone=docker
  f --zone=docker --set-target=ACCEPT
  f --zone=docker --add-interface=docker0
  f --zone=drop --add-source=203.0.113.0/24
  cp "$conf/firewalld.conf" "$real/etc/firewalld/"
  for z in "$conf"/zones/*.xml; do cp "$z" "$real/etc/firewalld/zones/"; done

  new_ns real
  bus="$tmp/bus"
  dbus-daemon --session --address="unix:path=$bus" --nofork 2>/dev/null & pids+=($!)
  for _ in $(seq 50); do [ -S "$bus" ] && break; sleep 0.1; done
  export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$bus"
  ip netns exec "$ns" firewalld --nofork --nopid --system-config "$conf" --log-target file --log-file "$tmp/firewalld.log" & pids+=($!)
  for _ in $(seq 100); do ip netns exec "$ns" firewall-cmd --state >/dev/null 2>&1 && break; sleep 0.2; done
  dump "$ns" "$real"
  fc() { ip netns exec "$ns" firewall-cmd "$@"; }
  fc --list-all-zones > "$real/firewall-cmd_--list-all-zones"
  fc --list-all > "$real/firewall-cmd_--list-all"
  fc --get-active-zones > "$real/firewall-cmd_--get-active-zones"
  fc --get-default-zone > "$real/firewall-cmd_--get-default-zone"
  fc --version > "$real/firewall-cmd_--version"
else
  echo "firewalld not installed: firewalld-real/ left as it is" >&2
fi
echo "fixtures written to $out"
