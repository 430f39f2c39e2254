#!/usr/bin/env bash
# Writes test/fixtures/iptables/ (or the folder given as $1): two rule sets loaded with the REAL
# iptables binaries, legacy and nf_tables, each in its own throwaway network namespace, then
# dumped in every shape a bundle may hold them, so tests can prove that each listing reads back
# into the same rule model as iptables-save:
#   docker-kube-flannel  Docker + kube-proxy + flannel node (test/fixtures/netfilter/docker-kube-flannel.rules)
#   host-firewall        RHEL-style default-deny host firewall with many match modules and targets
#   docker-ipv6          ip6tables rules of a Docker daemon with IPv6 enabled
#   restore-spellings    a hand-written restore file, saved back (iptables-save only)
# Deterministic traffic (UDP to a bound socket on lo: no ICMP errors, whose rate limit would
# make counts vary) gives real, reproducible counters large enough for K and M suffixes.
# The xtables lock is shared by every namespace: -w waits for it instead of failing when
# another test holds it. Needs root, iproute2, iptables (legacy and nft) and python3.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-"$here/test/fixtures/iptables"}
command -v python3 >/dev/null || { echo "python3 is needed to make traffic" >&2; exit 1; }
namespaces=()
cleanup() { for n in "${namespaces[@]}"; do ip netns del "$n" 2>/dev/null || true; done; }
trap cleanup EXIT
# dates in the save headers change every run; the fixtures must not
stamp() { sed -E 's/ on [A-Z][a-z]{2} [A-Z][a-z]{2} +[0-9]+ [0-9:]+ [0-9]{4}$/ on Fri Nov 20 10:00:00 2026/'; }

traffic() {
  ip netns exec "$1" python3 - <<'PY'
import socket
rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
rx.bind(("127.0.0.1", 5353))
tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
# 2,000 large datagrams: byte counters in the M range; 100,000 small ones: packet counters in the K range
for _ in range(2000):
    tx.sendto(b"x" * 60000, ("127.0.0.1", 5353))
for _ in range(100000):
    tx.sendto(b"y", ("127.0.0.1", 5353))
PY
}

dump() { # namespace, tool prefix (iptables-legacy / iptables-nft / ip6tables-nft ...), folder, tables...
  local ns=$1 tool=$2 dir=$3
  shift 3
  local x=(ip netns exec "$ns")
  mkdir -p "$dir"
  "${x[@]}" "$tool-save" | stamp >"$dir/iptables-save"
  "${x[@]}" "$tool-save" -c | stamp >"$dir/iptables-save_-c"
  "${x[@]}" "$tool" -w -S -v >"$dir/iptables_-S_-v"
  : >"$dir/iptables_all-tables_-nvxL"
  for t in "$@"; do
    "${x[@]}" "$tool" -w -t "$t" -L -n -v >"$dir/iptables_-t_${t}_-nvL"
    "${x[@]}" "$tool" -w -t "$t" -L -n -v -x --line-numbers >"$dir/iptables_-t_${t}_-nvxL_--line-numbers"
    "${x[@]}" "$tool" -w -t "$t" -L -n >"$dir/iptables_-t_${t}_-nL"
    "${x[@]}" "$tool" -w -t "$t" -L >"$dir/iptables_-t_${t}_-L"
    # several tables in one file, each after a marker line: how hand-made bundles collect them
    { echo "# $tool -t $t -L -n -v -x"; "${x[@]}" "$tool" -w -t "$t" -L -n -v -x; echo; } >>"$dir/iptables_all-tables_-nvxL"
  done
  "${x[@]}" "$tool" -V >"$dir/iptables-V"
}

for backend in legacy nft; do
  for set in docker-kube-flannel host-firewall; do
    rules="$here/test/fixtures/iptables/$set.rules"
    [[ $set == docker-kube-flannel ]] && rules="$here/test/fixtures/netfilter/docker-kube-flannel.rules"
    ns="bdipt-$backend-$set-$$"
    namespaces+=("$ns")
    ip netns add "$ns"
    ip netns exec "$ns" ip link set lo up
    ip netns exec "$ns" "iptables-$backend-restore" -w <"$rules"
    traffic "$ns"
    dump "$ns" "iptables-$backend" "$out/$backend/$set" raw mangle nat filter
  done
  # a hand-written restore file: what iptables-save makes of its many spellings
  ns="bdipt-$backend-spellings-$$"
  namespaces+=("$ns")
  ip netns add "$ns"
  ip netns exec "$ns" "iptables-$backend-restore" -w <"$here/test/fixtures/iptables/restore-spellings.rules"
  mkdir -p "$out/$backend/restore-spellings"
  ip netns exec "$ns" "iptables-$backend-save" | stamp >"$out/$backend/restore-spellings/iptables-save"
  ns="bdipt-$backend-ipv6-$$"
  namespaces+=("$ns")
  ip netns add "$ns"
  ip netns exec "$ns" "ip6tables-$backend-restore" -w <"$here/test/fixtures/iptables/docker-ipv6.rules"
  dump "$ns" "ip6tables-$backend" "$out/$backend/docker-ipv6" nat filter
done
echo "fixtures written to $out"
