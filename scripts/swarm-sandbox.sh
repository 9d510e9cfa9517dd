#!/usr/bin/env bash
# A Docker Swarm of N+1 engines on one machine, to try and test multi-engine labs (issue 14).
#
#   scripts/swarm-sandbox.sh up [N] [--with-image TAG]   N extra engines (default 2): a 3-node swarm
#   scripts/swarm-sandbox.sh down                        remove every trace; idempotent, also after a failed up
#   scripts/swarm-sandbox.sh status                      engines, contexts and swarm nodes
#
# Each extra engine i is a dockerd running as a host process in its own network namespace
# (p2plab-sbx-i), with its own data root, exec root, socket and pid file, registered as docker
# context p2plab-sbx-i. A veth pair joins each namespace to a bridge on the host (p2plab-sbx-br):
# one segment, $PREFIX.0.0/24, the host at .1 and engine i at .(10+i), as machines on one LAN.
# The host engine (context "default") initialises the swarm on the bridge's address, so the
# swarm's traffic (2377/tcp, 7946/tcp+udp, 4789/udp) crosses only links the sandbox made. (One
# host address for all: with a routed veth per engine the host's VXLAN packets left from each
# veth's own address, and an engine drops those from an address other than the one its swarm
# peer advertised.)
# Privileged containers are refused on this kind of machine, so Docker-in-Docker is no option.
#
# Engines 1 and 2 join as managers (the host plus two: three managers keep quorum when any one is
# lost, so a lab can still be torn down after one engine is killed); further engines join as
# workers, since more managers only add Raft traffic. With N=1 the extra engine is a worker: two
# managers would lose quorum with either one, which is worse than one.
set -euo pipefail
# Nothing here reads its input: a command that would (a `cat` given no file) ends at once instead
# of waiting for ever on a caller's pipe.
exec </dev/null

readonly NAME=p2plab-sbx
readonly STATE_DIR=/run/$NAME
readonly STATE_FILE=$STATE_DIR/state
readonly DATA_ROOT=/var/lib/$NAME
# The segment is $PREFIX.0.0/24; each engine's own docker0 and bridge networks live in
# 10.214.i.0/24 and 10.215.(16i).0/20, inside its namespace only.
readonly PREFIX=${P2PLAB_SBX_PREFIX:-10.213}
readonly MAX_ENGINES=8
readonly START_DEADLINE_S=60
readonly READY_DEADLINE_S=60
readonly STOP_DEADLINE_S=30

log() { printf 'swarm-sandbox: %s\n' "$*" >&2; }
die() {
  local code=$1
  shift
  log "$*"
  exit "$code"
}
usage() {
  sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
now_ms() { date +%s%3N; }
since() { printf '%d.%01d s' $((($(now_ms) - $1) / 1000)) $(((($(now_ms) - $1) % 1000) / 100)); }

netns() { echo "$NAME-$1"; }
host_link() { echo "$NAME-${1}h"; }
readonly BRIDGE=$NAME-br
run_dir() { echo "/run/$NAME-$1"; }
sock() { echo "unix://$(run_dir "$1")/docker.sock"; }
pidfile() { echo "$(run_dir "$1")/docker.pid"; }
engine_log() { echo "$STATE_DIR/engine-$1.log"; }
readonly HOST_ADDR=$PREFIX.0.1
engine_addr() { echo "$PREFIX.0.$((10 + $1))"; }
role() { if [ "$2" -ge 2 ] && [ "$1" -le 2 ]; then echo manager; else echo worker; fi; }

need_root() { [ "$(id -u)" -eq 0 ] || die 3 "must run as root (it creates network namespaces, veths, iptables rules and daemons): sudo $0 $*"; }
need_tools() {
  local missing=() tool
  for tool in ip nsenter unshare setsid dockerd docker iptables timeout; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
  done
  [ "${#missing[@]}" -eq 0 ] || die 3 "missing ${missing[*]}: install iproute2, util-linux, iptables and docker.io (bash scripts/ensure-docker.sh)"
  docker info >/dev/null 2>&1 || die 3 "the host engine does not answer: start it with bash scripts/ensure-docker.sh"
}

# Engine numbers with any trace left: namespaces, run dirs, host links, data roots, contexts.
sandbox_ids() {
  {
    ip netns list 2>/dev/null | awk '{print $1}' | sed -n "s/^$NAME-\([0-9]\+\)$/\1/p"
    find /run -maxdepth 1 -name "$NAME-*" -printf '%f\n' 2>/dev/null | sed -n "s/^$NAME-\([0-9]\+\)$/\1/p"
    ip -o link show 2>/dev/null | sed -n "s/^[0-9]\+: $NAME-\([0-9]\+\)h[@:].*/\1/p"
    find "$DATA_ROOT" -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | grep -E '^[0-9]+$' || true
    docker context ls --format '{{.Name}}' 2>/dev/null | sed -n "s/^$NAME-\([0-9]\+\)$/\1/p"
  } | sort -n -u
}

firewall_rules() { iptables -S "$1" 2>/dev/null | grep -F -- "--comment $NAME" || true; }

host_swarm_state() { docker info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null || echo unknown; }

state_get() { if [ -f "$STATE_FILE" ]; then sed -n "s/^$1=//p" "$STATE_FILE" | tail -n 1; fi; }
state_set() { echo "$1=$2" >>"$STATE_FILE"; }

# --- up ---------------------------------------------------------------------------------------

make_bridge() {
  ip link add "$BRIDGE" type bridge
  ip addr add "$HOST_ADDR/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up
}

make_link() {
  local i=$1 ns
  ns=$(netns "$i")
  ip netns add "$ns"
  ip link add "$(host_link "$i")" type veth peer name eth0 netns "$ns"
  ip link set "$(host_link "$i")" master "$BRIDGE" up
  ip -n "$ns" link set lo up
  # Only the segment is reachable from inside: no default route.
  ip -n "$ns" addr add "$(engine_addr "$i")/24" dev eth0
  ip -n "$ns" link set eth0 up
}

start_engine() {
  local i=$1 dir etc=""
  dir=$(run_dir "$i")
  mkdir -p "$dir" "$DATA_ROOT/$i"
  # An engine's ID comes from /etc/docker/key.json on Docker < 23: give each engine its own, or
  # every engine reports the host's ID and cannot be told apart from it.
  if [ -f /etc/docker/key.json ]; then
    etc="$DATA_ROOT/etc-$i"
    mkdir -p "$etc"
  fi
  # A mount namespace of its own keeps the daemon's mounts (image layers, network namespaces) off
  # the host; they go when its processes do. A UTS namespace names its swarm node p2plab-sbx-i. `nsenter --net` rather than `ip netns exec`: the
  # latter remounts /sys, which hides the cgroup mounts, and dockerd then refuses to start.
  # containerd namespaces of its own, in case a system containerd serves both daemons.
  # shellcheck disable=SC2016 # expanded by the inner shell
  setsid unshare --mount --propagation slave --uts -- \
    bash -c 'hostname "$1"; [ -z "$2" ] || mount --bind "$2" /etc/docker; shift 2; exec "$@"' \
    _ "$(netns "$i")" "$etc" nsenter --net="/run/netns/$(netns "$i")" -- dockerd \
    --data-root "$DATA_ROOT/$i" --exec-root "$dir/exec" --pidfile "$(pidfile "$i")" \
    -H "$(sock "$i")" --config-file "$STATE_DIR/daemon.json" \
    --bip "10.214.$i.1/24" --default-address-pool "base=10.215.$((16 * i)).0/20,size=24" \
    --storage-driver overlay2 --cgroup-parent "/$(netns "$i")" \
    --containerd-namespace "$(netns "$i")" --containerd-plugins-namespace "$(netns "$i")-plugins" \
    </dev/null >>"$(engine_log "$i")" 2>&1 &
  echo "$!" >"$dir/launcher.pid"
}

wait_engine() {
  local i=$1 deadline=$(($(date +%s) + START_DEADLINE_S)) pid
  pid=$(cat "$(run_dir "$i")/launcher.pid")
  until docker -H "$(sock "$i")" version --format '{{.Server.Version}}' >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 15 "$(engine_log "$i")" >&2 || true
      die 3 "engine $i (dockerd in netns $(netns "$i")) exited while starting; its log is above. Run: $0 down"
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      tail -n 15 "$(engine_log "$i")" >&2 || true
      die 3 "engine $i did not answer on $(sock "$i") within ${START_DEADLINE_S} s; its log is above. Run: $0 down"
    fi
    sleep 0.2
  done
}

wait_nodes_ready() {
  local want=$1 deadline=$(($(date +%s) + READY_DEADLINE_S)) ready
  while :; do
    ready=$(docker node ls --format '{{.Status}}' 2>/dev/null | grep -c '^Ready$' || true)
    [ "$ready" -ge "$want" ] && return 0
    if [ "$(date +%s)" -ge "$deadline" ]; then
      docker node ls >&2 || true
      die 3 "only $ready of $want swarm nodes Ready after ${READY_DEADLINE_S} s (nodes above). Run: $0 down"
    fi
    sleep 0.2
  done
}

check_prefix_free() {
  if ip -4 -o addr show | grep -q " inet $PREFIX\.0\." || ip -4 route show | grep -q "^$PREFIX\.0\."; then
    die 3 "addresses $PREFIX.0.0/24 are in use on this host (ip -4 addr / ip -4 route); pick another range: P2PLAB_SBX_PREFIX=10.x $0 up"
  fi
}

cmd_up() {
  local n=2 image="" i started
  while [ $# -gt 0 ]; do
    case "$1" in
      --with-image)
        [ $# -ge 2 ] || die 2 "--with-image needs an image tag, e.g. --with-image p2plab/peer:0.1.0"
        image=$2
        shift 2
        ;;
      [0-9]*)
        n=$1
        shift
        ;;
      *) die 2 "unknown argument to up: $1 (usage: $0 up [N] [--with-image TAG])" ;;
    esac
  done
  if ! [[ "$n" =~ ^[0-9]+$ ]] || [ "$n" -lt 1 ] || [ "$n" -gt "$MAX_ENGINES" ]; then
    die 2 "N must be a number of extra engines from 1 to $MAX_ENGINES, got \"$n\""
  fi
  need_root up
  need_tools
  if [ -n "$image" ]; then
    docker image inspect "$image" >/dev/null 2>&1 ||
      die 3 "image $image is not on the host engine; build it first (npm run build && node dist/lab.js image)"
  fi
  if [ -n "$(sandbox_ids)" ] || [ -e "$STATE_DIR" ] || ip link show "$BRIDGE" >/dev/null 2>&1; then
    die 3 "a sandbox (or part of one) is already here: see $0 status, and run $0 down first"
  fi
  local swarm
  swarm=$(host_swarm_state)
  [ "$swarm" = inactive ] ||
    die 3 "the host engine is already in a swarm (LocalNodeState=$swarm) that the sandbox did not make; leave it (docker swarm leave --force) or use that swarm instead of the sandbox"
  check_prefix_free

  started=$(now_ms)
  mkdir -p "$STATE_DIR"
  echo '{}' >"$STATE_DIR/daemon.json"
  state_set engines "$n"
  # The host drops forwarded packets by default (Docker sets FORWARD's policy to DROP), bridged ones
  # too where br_netfilter hands them to iptables: let the engines reach each other across the
  # bridge, and the host engine's swarm ports. Down removes these by their comment.
  iptables -I FORWARD 1 -i "$NAME-+" -o "$NAME-+" -m comment --comment "$NAME" -j ACCEPT
  iptables -I INPUT 1 -i "$NAME-+" -p tcp -m multiport --dports 2377,7946 -m comment --comment "$NAME" -j ACCEPT
  iptables -I INPUT 1 -i "$NAME-+" -p udp -m multiport --dports 7946,4789 -m comment --comment "$NAME" -j ACCEPT
  [ "$(cat /proc/sys/net/ipv4/ip_forward)" = 1 ] || die 3 "IP forwarding is off (net.ipv4.ip_forward=0); the engines' traffic crosses the host: sysctl -w net.ipv4.ip_forward=1"

  make_bridge
  for i in $(seq 1 "$n"); do make_link "$i"; done
  for i in $(seq 1 "$n"); do start_engine "$i"; done
  for i in $(seq 1 "$n"); do wait_engine "$i"; done
  log "$n engines answer ($(since "$started"))"

  # The swarm makes docker_gwbridge on the host engine and leaves it there; down removes it only if it was not there before.
  if docker network inspect docker_gwbridge >/dev/null 2>&1; then state_set gwbridge kept; fi
  docker swarm init --advertise-addr "$HOST_ADDR" --listen-addr "$HOST_ADDR:2377" >/dev/null
  state_set swarm initialised
  local token
  for i in $(seq 1 "$n"); do
    token=$(docker swarm join-token -q "$(role "$i" "$n")")
    docker -H "$(sock "$i")" swarm join --token "$token" --advertise-addr "$(engine_addr "$i")" \
      --listen-addr "$(engine_addr "$i"):2377" "$HOST_ADDR:2377" >/dev/null
  done
  wait_nodes_ready $((n + 1))
  log "swarm of $((n + 1)) nodes Ready ($(since "$started"))"

  for i in $(seq 1 "$n"); do
    docker context create "$(netns "$i")" --description "p2plab swarm sandbox engine $i" \
      --docker "host=$(sock "$i")" >/dev/null 2>&1 || die 3 "could not create docker context $(netns "$i"). Run: $0 down"
  done

  if [ -n "$image" ]; then
    local copy_started
    copy_started=$(now_ms)
    for i in $(seq 1 "$n"); do docker save "$image" | docker -H "$(sock "$i")" load -q >/dev/null; done
    log "copied $image to $n engines ($(since "$copy_started"))"
  fi
  log "up in $(since "$started")"
  local contexts=default
  for i in $(seq 1 "$n"); do contexts+=",$(netns "$i")"; done
  echo "P2PLAB_ENGINES=$contexts"
}

# --- down -------------------------------------------------------------------------------------

# Kill what a dead or killed daemon leaves running: its containers' processes, found by the cgroup
# parent given to that daemon alone (a paused container is thawed first, or SIGKILL waits).
kill_cgroup_leftovers() {
  local i=$1 dirs=() dir pid pids deadline
  for dir in /sys/fs/cgroup/*/"$(netns "$i")" /sys/fs/cgroup/"$(netns "$i")"; do
    [ -d "$dir" ] && dirs+=("$dir")
  done
  [ "${#dirs[@]}" -gt 0 ] || return 0
  # shellcheck disable=SC2016 # expanded by the inner shell
  find "${dirs[@]}" -name freezer.state -exec sh -c 'for f; do echo THAWED >"$f"; done' _ {} + 2>/dev/null || true
  # shellcheck disable=SC2016
  find "${dirs[@]}" -name cgroup.freeze -exec sh -c 'for f; do echo 0 >"$f"; done' _ {} + 2>/dev/null || true
  # A killed process leaves its cgroup a moment later: a cgroup is removable only once empty.
  deadline=$(($(date +%s) + STOP_DEADLINE_S))
  while pids=$(find "${dirs[@]}" -name cgroup.procs -exec cat {} + 2>/dev/null) && [ -n "$pids" ]; do
    while read -r pid; do kill -KILL "$pid" 2>/dev/null || true; done <<<"$pids"
    [ "$(date +%s)" -lt "$deadline" ] || break
    sleep 0.1
  done
  find "${dirs[@]}" -depth -type d -exec rmdir {} + 2>/dev/null || true
}

engine_pid() {
  local i=$1
  if [ -f "$(pidfile "$i")" ]; then
    cat "$(pidfile "$i")"
  elif [ -f "$(run_dir "$i")/launcher.pid" ]; then
    cat "$(run_dir "$i")/launcher.pid"
  fi
}

# The sandbox is thrown away whole, so its engines are killed, not stopped: no state of theirs is
# kept, and a manager whose swarm is gone takes ~12 s to stop gracefully (Raft elections). What
# a killed daemon leaves is found by name: its containerd and shims share its network namespace,
# its containers' processes its cgroup parent, its mounts its mount namespace (gone with them).
stop_engines() {
  local i pid deadline
  for i in "$@"; do
    pid=$(engine_pid "$i")
    if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null || true; fi
  done
  deadline=$(($(date +%s) + STOP_DEADLINE_S))
  for i in "$@"; do
    pid=$(engine_pid "$i")
    while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.1; done
    ip netns pids "$(netns "$i")" 2>/dev/null | while read -r pid; do kill -KILL "$pid" 2>/dev/null || true; done
    kill_cgroup_leftovers "$i"
    rm -rf --one-file-system "$(run_dir "$i")" "${DATA_ROOT:?}/$i" "${DATA_ROOT:?}/etc-$i"
  done
}

# The host leaves first, while the other managers still answer: a manager that has lost quorum
# can time out on leaving ("context deadline exceeded"); a second try then gets it out.
leave_host_swarm() {
  local attempt
  [ "$(host_swarm_state)" != inactive ] || return 0
  for attempt in 1 2 3; do
    timeout 60 docker swarm leave --force >/dev/null 2>&1 && return 0
    log "the host engine did not leave the swarm (try $attempt of 3)"
    sleep 1
  done
  return 1
}

cmd_down() {
  need_root down
  command -v docker >/dev/null 2>&1 || die 3 "docker (the client) is missing"
  local started ids i rule left_swarm=yes
  started=$(now_ms)
  ids=$(sandbox_ids)
  for i in $ids; do docker context rm -f "$(netns "$i")" >/dev/null 2>&1 || true; done
  if [ "$(state_get swarm)" = initialised ]; then
    leave_host_swarm || left_swarm=no
    if [ "$left_swarm" = yes ] && [ "$(state_get gwbridge)" != kept ] && docker network inspect docker_gwbridge >/dev/null 2>&1; then
      docker network rm docker_gwbridge >/dev/null 2>&1 ||
        log "docker_gwbridge (made by the swarm) is still in use on the host engine: see docker network inspect docker_gwbridge"
    fi
  fi
  # shellcheck disable=SC2086 # one word per engine number
  stop_engines $ids
  for i in $ids; do
    ip netns del "$(netns "$i")" 2>/dev/null || true
    ip link del "$(host_link "$i")" 2>/dev/null || true
  done
  ip link del "$BRIDGE" 2>/dev/null || true
  for chain in FORWARD INPUT; do
    firewall_rules "$chain" | while read -r rule; do
      # shellcheck disable=SC2086 # the rule's words, as iptables -S printed them
      iptables ${rule/-A /-D } || true
    done
  done
  rm -rf --one-file-system "$DATA_ROOT"
  # The state file stays while the host is still in the swarm the sandbox made: the next down retries.
  if [ "$left_swarm" = no ]; then
    find "$STATE_DIR" -mindepth 1 ! -name state -delete
    die 1 "the host engine is still in the swarm the sandbox made: run $0 down again (or docker swarm leave --force)"
  fi
  rm -rf --one-file-system "$STATE_DIR"

  local left
  left=$(leftovers)
  [ -z "$left" ] || die 1 "down left: $left"
  log "down: nothing left ($(since "$started"))"
}

leftovers() {
  local left=() ids
  ids=$(sandbox_ids | tr '\n' ' ')
  [ -z "$ids" ] || left+=("engines $ids")
  [ -z "$(firewall_rules FORWARD)$(firewall_rules INPUT)" ] || left+=("iptables rules")
  ! ip link show "$BRIDGE" >/dev/null 2>&1 || left+=("bridge $BRIDGE")
  [ ! -e "$STATE_DIR" ] || left+=("$STATE_DIR")
  echo "${left[*]}"
}

# --- status -----------------------------------------------------------------------------------

cmd_status() {
  local ids i pid state
  ids=$(sandbox_ids)
  if [ -z "$ids" ]; then
    echo "no sandbox engines (host swarm: $(host_swarm_state))"
    return 0
  fi
  printf '%-14s %-8s %-8s %-14s %s\n' ENGINE PID STATE ADDRESS SOCKET
  for i in $ids; do
    pid=$(cat "$(pidfile "$i")" 2>/dev/null || echo -)
    state=down
    if docker -H "$(sock "$i")" version >/dev/null 2>&1; then state=up; fi
    printf '%-14s %-8s %-8s %-14s %s\n' "$(netns "$i")" "$pid" "$state" "$(engine_addr "$i")" "$(sock "$i")"
  done
  echo
  docker context ls | grep -E "^(NAME|default|$NAME-)" || true
  echo
  if [ "$(host_swarm_state)" = active ]; then
    docker node ls
  else
    echo "host swarm: $(host_swarm_state)"
  fi
}

case "${1:-}" in
  up) shift && cmd_up "$@" ;;
  down) cmd_down ;;
  status) cmd_status ;;
  -h | --help | help) usage ;;
  *) usage ;;
esac
