# NAT lab: network namespaces, veth pairs and nftables that emulate the NAT
# behaviours of RFC 4787. Sourced by tests; every address lives inside the
# namespaces made here, and lab_down removes them all (also on failure, via
# the caller's EXIT trap).
#
#   hostN (10.N.0.2) --lan-- natN (10.N.0.1 | 198.18.N.2) --wan-- pub (198.18.N.1)
#   pub also holds the "servers": 198.18.0.1 and 198.18.0.2 on its loopback (two IPs for RFC 5780).
#   host0 sits on pub directly with 198.18.100.2: no NAT at all.
#
# Behaviours (name → what nftables does in natN):
#   full-cone        endpoint-independent mapping and filtering (SNAT + static DNAT)
#   restricted-cone  endpoint-independent mapping, address-dependent filtering
#   port-restricted  endpoint-independent mapping, address-and-port-dependent filtering
#   address-dependent  address-dependent mapping (port hashed from the destination
#                    IP and inside port), address-and-port-dependent filtering
#   symmetric        address-and-port-dependent mapping (random ports per destination)
#   udp-blocked      no UDP forwarded at all (TCP only)
# 198.18.0.0/15 is the RFC 2544 benchmarking range: not private, never routed here.

LAB_ID="${LAB_ID:-fl$$}"
LAB_PUB="${LAB_ID}-pub"
LAB_SERVER_IP1=198.18.0.1
LAB_SERVER_IP2=198.18.0.2
LAB_NS=()

lab_ns() { echo "${LAB_ID}-$1"; }
lab_exec() { local ns; ns=$(lab_ns "$1"); shift; ip netns exec "$ns" "$@"; }

_lab_add_ns() {
  ip netns add "$1"
  LAB_NS+=("$1")
  ip -n "$1" link set lo up
}

lab_up_pub() {
  _lab_add_ns "$LAB_PUB"
  ip netns exec "$LAB_PUB" sysctl -qw net.ipv4.ip_forward=1
  # The server addresses live on pub's loopback: no dummy module needed.
  ip -n "$LAB_PUB" addr add "$LAB_SERVER_IP1/32" dev lo
  ip -n "$LAB_PUB" addr add "$LAB_SERVER_IP2/32" dev lo
}

# A host with a public address on the pub segment (no NAT).
lab_add_public_host() {
  local name=$1 host
  host=$(lab_ns "$name")
  _lab_add_ns "$host"
  ip link add wan netns "$host" type veth peer name "p-$name" netns "$LAB_PUB"
  ip -n "$host" addr add 198.18.100.2/24 dev wan
  ip -n "$LAB_PUB" addr add 198.18.100.1/24 dev "p-$name"
  ip -n "$host" link set wan up
  ip -n "$LAB_PUB" link set "p-$name" up
  ip -n "$host" route add default via 198.18.100.1
}

# lab_add_nat_host NAME INDEX BEHAVIOUR: a host behind its own NAT router.
lab_add_nat_host() {
  local name=$1 n=$2 behaviour=$3 host nat
  host=$(lab_ns "$name")
  nat=$(lab_ns "nat-$name")
  _lab_add_ns "$nat"
  _lab_add_ns "$host"
  ip netns exec "$nat" sysctl -qw net.ipv4.ip_forward=1
  ip link add wan netns "$nat" type veth peer name "p-$name" netns "$LAB_PUB"
  ip link add lan netns "$nat" type veth peer name lan netns "$host"
  ip -n "$nat" addr add "198.18.$n.2/24" dev wan
  ip -n "$LAB_PUB" addr add "198.18.$n.1/24" dev "p-$name"
  ip -n "$nat" addr add "10.$n.0.1/24" dev lan
  ip -n "$host" addr add "10.$n.0.2/24" dev lan
  ip -n "$nat" link set wan up
  ip -n "$nat" link set lan up
  ip -n "$LAB_PUB" link set "p-$name" up
  ip -n "$host" link set lan up
  ip -n "$nat" route add default via "198.18.$n.1"
  ip -n "$host" route add default via "10.$n.0.1"
  local wan_ip="198.18.$n.2" rules
  case "$behaviour" in
    full-cone)
      rules="table ip nat {
        chain pre { type nat hook prerouting priority dstnat; iifname \"wan\" ip daddr $wan_ip udp dport 1024-65535 dnat to 10.$n.0.2; }
        chain post { type nat hook postrouting priority srcnat; oifname \"wan\" snat to $wan_ip; }
      }" ;;
    restricted-cone)
      # Full-cone forwarding, but a mapping (host port; ports are preserved)
      # only takes inbound traffic from IPs it has sent to.
      rules="table ip nat {
        chain pre { type nat hook prerouting priority dstnat; iifname \"wan\" ip daddr $wan_ip udp dport 1024-65535 dnat to 10.$n.0.2; }
        chain post { type nat hook postrouting priority srcnat; oifname \"wan\" snat to $wan_ip; }
      }
      table ip filter {
        set contacted { type ipv4_addr . inet_service; flags dynamic, timeout; timeout 5m; }
        chain forward_filter {
          type filter hook forward priority filter;
          iifname \"lan\" meta l4proto udp add @contacted { ip daddr . udp sport };
          iifname \"wan\" meta l4proto udp ip saddr . udp dport != @contacted drop;
        }
      }" ;;
    port-restricted)
      rules="table ip nat {
        chain post { type nat hook postrouting priority srcnat; oifname \"wan\" snat to $wan_ip; }
      }" ;;
    address-dependent)
      rules="table ip nat {
        chain post { type nat hook postrouting priority srcnat; oifname \"wan\" meta l4proto udp snat to $wan_ip : jhash ip daddr . udp sport mod 30000 offset 20000; oifname \"wan\" snat to $wan_ip; }
      }" ;;
    symmetric)
      rules="table ip nat {
        chain post { type nat hook postrouting priority srcnat; oifname \"wan\" meta l4proto udp snat to $wan_ip:20000-60000 random; oifname \"wan\" snat to $wan_ip; }
      }" ;;
    udp-blocked)
      rules="table ip nat {
        chain post { type nat hook postrouting priority srcnat; oifname \"wan\" snat to $wan_ip; }
      }
      table inet filter {
        chain forward_udp { type filter hook forward priority filter; meta l4proto udp drop; }
      }" ;;
    *) echo "lab: unknown behaviour $behaviour" >&2; return 1 ;;
  esac
  echo "$rules" | ip netns exec "$nat" nft -f -
}

lab_down() {
  local ns
  for ns in "${LAB_NS[@]}"; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  done
  LAB_NS=()
}

lab_require() {
  local tool
  for tool in ip nft; do
    command -v "$tool" >/dev/null || { echo "lab: $tool is missing (install iproute2/nftables)" >&2; return 1; }
  done
  [ "$(id -u)" -eq 0 ] || { echo "lab: needs root for ip netns" >&2; return 1; }
}
