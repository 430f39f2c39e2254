#!/usr/bin/env bash
# Regenerates test/fixtures/netfilter/: a realistic Docker + kube-proxy + flannel rule set loaded
# with the REAL iptables binaries (legacy and nf_tables back ends), each in its own throwaway
# network namespace, then dumped in every format bundles carry; plus a "mixed" namespace with
# rules in both back ends (what a component with the wrong iptables leaves behind).
# Needs root, iproute2 and iptables.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out="${1:-$here/test/fixtures/netfilter}"
rules="$here/test/fixtures/netfilter/docker-kube-flannel.rules"
namespaces=()
cleanup() { for n in "${namespaces[@]}"; do ip netns del "$n" 2>/dev/null || true; done; }
trap cleanup EXIT
stamp() { sed -E 's/ on [A-Z][a-z]{2} [A-Z][a-z]{2} +[0-9]+ [0-9:]+ [0-9]{4}$/ on Fri Nov 20 10:00:00 2026/'; }

for backend in legacy nft; do
  ns="bdfix-$backend-$$"; namespaces+=("$ns"); ip netns add "$ns"
  x() { ip netns exec "$ns" "$@"; }
  dir="$out/$backend"; mkdir -p "$dir"
  x "iptables-$backend-restore" < "$rules"
  x "iptables-$backend-save" | stamp > "$dir/iptables-save"
  x "iptables-$backend" -S > "$dir/iptables-S"
  for t in filter nat mangle raw; do x "iptables-$backend" -t $t -L -n -v > "$dir/iptables_-t_${t}_-nvL"; done
  x "iptables-$backend" -L -n -v -x --line-numbers > "$dir/iptables_-vnxL_--line-numbers"
  x "iptables-$backend" -t nat -L > "$dir/iptables_-t_nat_-L"
  x "iptables-$backend" -V > "$dir/iptables-V"
done

# mixed back ends: the node's rules in nf_tables, a component's chain written with iptables-legacy
ns="bdfix-mixed-$$"; namespaces+=("$ns"); ip netns add "$ns"
x() { ip netns exec "$ns" "$@"; }
dir="$out/mixed"; mkdir -p "$dir"
x iptables-nft-restore < "$rules"
x iptables-legacy -N KUBE-ROUTER-INPUT
x iptables-legacy -A INPUT -m comment --comment "kube-router netpol" -j KUBE-ROUTER-INPUT
# iptables-nft-save warns on stderr; a bundle's captured output shows the warning first
{ x iptables-nft-save 2>&1 >/dev/null; x iptables-nft-save 2>/dev/null; } | stamp > "$dir/iptables-nft-save"
x iptables-legacy-save | stamp > "$dir/iptables-legacy-save"
# a TRACE rule left from a debugging session (seed 004 "Debug iptables")
ns="bdfix-trace-$$"; namespaces+=("$ns"); ip netns add "$ns"
dir="$out/trace"; mkdir -p "$dir"
ip netns exec "$ns" iptables-nft-restore < "$rules"
ip netns exec "$ns" iptables-nft -t raw -A PREROUTING -p tcp --dport 5432 -j TRACE
ip netns exec "$ns" iptables-nft -t raw -A OUTPUT -p tcp --dport 5432 -j TRACE
ip netns exec "$ns" iptables-nft-save | stamp > "$dir/iptables-save"
echo "fixtures written to $out"
