#!/usr/bin/env bash
# A Strata cluster on this machine: six storage nodes with one drive each
# (erasure code 4+2 across them) and two S3 gateways. For developers and the
# cluster tests.
#
#   tools/local-cluster.sh up --dir D --base-port P [--bin PATH]
#       nodes on 127.0.0.1:P+10..P+15 (data in D/nodeI/), gateways with S3
#       on P and P+1 and admin listeners on P+2 and P+3
#   tools/local-cluster.sh stop-node I [--dir D] [--kill]   (I = 1..6; --kill: SIGKILL)
#   tools/local-cluster.sh start-node I [--dir D] [--bin PATH]
#   tools/local-cluster.sh down [--dir D]
#
# The binary: --bin, else $STRATA_BIN, else the one `up` used (kept in D/bin),
# else build/bin/strata.
#
# Credentials: STRATA_ACCESS_KEY / STRATA_SECRET_KEY (the development pair when
# unset); the cluster secret is STRATA_CLUSTER_SECRET or a random one, kept in
# D/cluster.secret by `up` for later start-node calls. Logs: D/nodeI.log,
# D/gatewayJ.log. Stopping sends SIGTERM (SIGKILL with --kill) and SIGKILL
# after STRATA_STOP_GRACE_SECONDS (30).
set -euo pipefail

cmd="${1:-}"; shift || true
dir="" base="" bin="" kill_signal=TERM index=""
while (($#)); do
  case "$1" in
    --dir) dir="$2"; shift 2 ;;
    --base-port) base="$2"; shift 2 ;;
    --bin) bin="$2"; shift 2 ;;
    --kill) kill_signal=KILL; shift ;;
    [1-6]) index="$1"; shift ;;
    *) echo "local-cluster: unknown argument $1" >&2; exit 2 ;;
  esac
done
dir="${dir:-${STRATA_CLUSTER_DIR:-/tmp/strata-cluster}}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ -z "$bin" && -z "${STRATA_BIN:-}" && -f "$dir/bin" ]]; then bin="$(cat "$dir/bin")"; fi
bin="${bin:-${STRATA_BIN:-$repo/build/bin/strata}}"
export STRATA_ACCESS_KEY="${STRATA_ACCESS_KEY:-strata-dev}"
export STRATA_SECRET_KEY="${STRATA_SECRET_KEY:-strata-dev-secret-key}"

secret() {
  if [[ -n "${STRATA_CLUSTER_SECRET:-}" ]]; then echo "$STRATA_CLUSTER_SECRET"; return; fi
  if [[ ! -s "$dir/cluster.secret" ]]; then
    (umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$dir/cluster.secret")
  fi
  cat "$dir/cluster.secret"
}

# Waits (deadline) until `file` holds a line matching `pattern`.
wait_for() {
  local file="$1" pattern="$2" pid="$3"
  for _ in $(seq 1 300); do
    if grep -q "$pattern" "$file" 2>/dev/null; then return 0; fi
    if ! running "$pid"; then
      echo "local-cluster: process $pid exited; last lines of $file:" >&2
      tail -20 "$file" >&2 || true
      return 1
    fi
    sleep 0.1
  done
  echo "local-cluster: timed out waiting for '$pattern' in $file" >&2
  return 1
}

start_node() {
  local i="$1"
  [[ -f "$dir/topology.json" ]] || { echo "local-cluster: no cluster in $dir (run up)" >&2; exit 1; }
  if [[ -f "$dir/node$i.pid" ]] && running "$(cat "$dir/node$i.pid")"; then
    echo "node$i is running"; return 0
  fi
  STRATA_CLUSTER_SECRET="$(secret)" setsid "$bin" node --config "$dir/topology.json" \
    --node "node$i" --data "$dir/node$i" > "$dir/node$i.log" 2>&1 < /dev/null &
  echo $! > "$dir/node$i.pid"
  wait_for "$dir/node$i.log" "Node endpoint:" "$!"
}

# True while `pid` runs. A zombie has exited: the processes are orphans whose
# reaper (init) may take seconds to collect them.
running() {
  local state
  state="$(ps -o stat= -p "$1" 2>/dev/null)" || return 1
  [[ -n "$state" && "$state" != Z* ]]
}

stop_pid_file() {
  local f="$1"
  [[ -f "$f" ]] || return 0
  local pid; pid="$(cat "$f")"
  if running "$pid"; then
    kill "-$kill_signal" "$pid" 2>/dev/null || true
    # A stopped (SIGSTOP) process acts on SIGTERM only once continued.
    kill -CONT "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + ${STRATA_STOP_GRACE_SECONDS:-30}))
    while running "$pid" && ((SECONDS < deadline)); do sleep 0.05; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

case "$cmd" in
  up)
    [[ -n "$base" ]] || { echo "local-cluster: up needs --base-port" >&2; exit 2; }
    mkdir -p "$dir"
    echo "$bin" > "$dir/bin"
    if [[ -n "${STRATA_CLUSTER_SECRET:-}" ]]; then
      (umask 077; printf '%s' "$STRATA_CLUSTER_SECRET" > "$dir/cluster.secret")
    fi
    {
      echo '{ "nodes": {'
      for i in 1 2 3 4 5 6; do
        sep=","; [[ $i == 6 ]] && sep=""
        echo "    \"node$i\": {\"address\": \"127.0.0.1:$((base + 9 + i))\"}$sep"
      done
      echo '  },'
      echo '  "pools": [ { "name": "hot", "data": 4, "parity": 2, "sets": [ ['
      echo '    "node1:drive1", "node2:drive1", "node3:drive1",'
      echo '    "node4:drive1", "node5:drive1", "node6:drive1" ] ] } ],'
      echo '  "storage_classes": { "STANDARD": "hot", "STANDARD_IA": "hot", "GLACIER_IR": "hot",'
      echo '                       "GLACIER": "hot" }'
      echo '}'
    } > "$dir/topology.json"
    echo "$base" > "$dir/base-port"
    for i in 1 2 3 4 5 6; do start_node "$i"; done
    for j in 1 2; do
      STRATA_CLUSTER_SECRET="$(secret)" setsid "$bin" gateway --config "$dir/topology.json" \
        --address "127.0.0.1:$((base + j - 1))" --admin-address "127.0.0.1:$((base + j + 1))" \
        > "$dir/gateway$j.log" 2>&1 < /dev/null &
      echo $! > "$dir/gateway$j.pid"
      wait_for "$dir/gateway$j.log" "S3 endpoint:" "$!"
    done
    echo "S3 endpoints:    http://127.0.0.1:$base http://127.0.0.1:$((base + 1))"
    echo "Admin endpoints: http://127.0.0.1:$((base + 2)) http://127.0.0.1:$((base + 3))"
    echo "Nodes:           127.0.0.1:$((base + 10))..$((base + 15)) (data in $dir/nodeI)"
    ;;
  stop-node)
    [[ -n "$index" ]] || { echo "local-cluster: stop-node needs I (1..6)" >&2; exit 2; }
    stop_pid_file "$dir/node$index.pid"
    ;;
  start-node)
    [[ -n "$index" ]] || { echo "local-cluster: start-node needs I (1..6)" >&2; exit 2; }
    start_node "$index"
    ;;
  down)
    for j in 1 2; do stop_pid_file "$dir/gateway$j.pid"; done
    for i in 1 2 3 4 5 6; do stop_pid_file "$dir/node$i.pid"; done
    ;;
  *)
    sed -n '2,20p' "$0" >&2
    exit 2
    ;;
esac
