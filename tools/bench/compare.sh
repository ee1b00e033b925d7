#!/usr/bin/env bash
# Measures Strata against this machine's own limits, all in one run, so the
# ratios in docs/PERFORMANCE.md compare figures taken under the same load:
#
#   disk    fio: 4 KiB write + fdatasync (1 job, and 16 jobs), sequential write
#   CPU     openssl speed -evp md5 (the ETag costs one MD5 pass per byte)
#   HTTP    nginx (nginx-light) serving static files, measured with wrk
#   Strata  strata-bench put/get/head/list/mixed; and GET/HEAD of presigned URLs
#           under the same load generators nginx faces: wrk (GET; wrk can not
#           do HEAD) and `strata-bench url` (GET and HEAD, unsigned)
#
# usage: tools/bench/compare.sh [--duration 10s] [--rounds 3] [--dir DIR] [--out DIR]
#   --duration  per measurement (default 10s); nginx/Strata pairs take half of it each
#   --rounds    nginx/Strata pairs are measured this many times, alternating, and the
#               report takes medians (a shared machine's background load comes and goes)
#   --dir       where the data lives (default /var/tmp): fio, nginx and Strata
#               all use this file system
#   --out       where the raw results and summary.md go
#               (default DIR/strata-compare-results-<timestamp>)
#   STRATA_BIN, STRATA_BENCH: the binaries (default build/bin/strata, build/bin/strata-bench)
#
# Needs fio, wrk, nginx and python3: `bash tools/bootstrap.sh --bench`.
# Everything it starts (nginx, strata) is stopped and its temp dir removed on exit.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
repo=$(pwd)

duration=10s
rounds=3
base_dir=/var/tmp
out=""
while (($#)); do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --dir) base_dir=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "compare.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
strata_bin=${STRATA_BIN:-$repo/build/bin/strata}
bench_bin=${STRATA_BENCH:-$repo/build/bin/strata-bench}
secs=${duration%s}
[[ "$secs" =~ ^[0-9]+$ && $secs -ge 2 ]] || { echo "compare.sh: --duration must be whole seconds >= 2 (10s)" >&2; exit 2; }
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "compare.sh: --rounds must be >= 1" >&2; exit 2; }
pair_duration="$((secs / 2))s"
for tool in fio wrk nginx openssl python3; do
  command -v "$tool" >/dev/null || { echo "compare.sh: $tool missing; run: bash tools/bootstrap.sh --bench" >&2; exit 1; }
done
for bin in "$strata_bin" "$bench_bin"; do
  [[ -x "$bin" ]] || { echo "compare.sh: $bin not built (set STRATA_BIN / STRATA_BENCH)" >&2; exit 1; }
done

out=${out:-$base_dir/strata-compare-results-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out"
work=$(mktemp -d "$base_dir/strata-compare.XXXXXX")
nginx_pid="" strata_pid=""
cleanup() {
  [[ -n "$nginx_pid" ]] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
  [[ -n "$strata_pid" ]] && kill "$strata_pid" 2>/dev/null && wait "$strata_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
log() { echo "== $*" >&2; }

# Waits until something accepts connections on 127.0.0.1:$1 (a start-up, not a test).
wait_port() {
  for _ in $(seq 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "compare.sh: nothing listens on port $1" >&2
  return 1
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

sizes=(4KiB 64KiB 1MiB 64MiB)
declare -A bytes=([4KiB]=4096 [64KiB]=65536 [1MiB]=1048576 [64MiB]=67108864)
# Connections per size: enough to keep both cores busy, few enough for 64 MiB bodies.
declare -A conns=([4KiB]=16 [64KiB]=16 [1MiB]=8 [64MiB]=4)
# PUT streams of 64 MiB: one per core (the MD5 of one stream runs on one core).
put_streams_64=$(nproc)

# -- the machine ----------------------------------------------------------------------------------
{
  echo "date_utc=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "dirty=$(git -C "$repo" status --porcelain --untracked-files=no 2>/dev/null | wc -l)"
  echo "strata_bin=$strata_bin ($(date -u -r "$strata_bin" +%Y-%m-%dT%H:%MZ))"
  echo "cpus=$(nproc)"
  echo "cpu_model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
  echo "kernel=$(uname -r)"
  echo "filesystem=$(df -T "$work" | awk 'NR==2 {print $2 " on " $1}')"
  echo "loadavg_at_start=$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "duration=$duration"
  echo "pair_duration=$pair_duration"
  echo "rounds=$rounds"
  echo "put_streams_64=$put_streams_64"
} > "$out/machine.txt"
cat "$out/machine.txt" >&2

# -- disk: fio ------------------------------------------------------------------------------------
mkdir -p "$work/fio"
fio_run() {  # name, fio args...
  local name=$1; shift
  log "fio $name"
  fio --name="$name" --directory="$work/fio" --time_based --runtime="$secs" \
      --output-format=json "$@" > "$out/fio_$name.json"
  rm -f "$work/fio/"*
}
fio_run fsync4k --rw=write --bs=4k --size=256m --ioengine=psync --fdatasync=1
fio_run fsync4k_16jobs --rw=write --bs=4k --size=32m --ioengine=psync --fdatasync=1 \
    --numjobs=16 --group_reporting
if ! fio_run seqwrite --rw=write --bs=1m --size=2g --ioengine=libaio --iodepth=8 --direct=1 \
     --end_fsync=1; then
  fio_run seqwrite --rw=write --bs=1m --size=2g --ioengine=psync --end_fsync=1
fi

# -- CPU: MD5 -------------------------------------------------------------------------------------
log "openssl speed -evp md5"
openssl speed -mr -seconds 3 -evp md5 2>/dev/null | grep '^+[FH]:' > "$out/openssl_md5.txt"

# -- files for nginx and for the presigned Strata runs -------------------------------------------
# nginx's workers run as nobody: they must be able to read the files.
chmod 755 "$work"
mkdir -p "$work/www"
for s in "${sizes[@]}"; do
  head -c "${bytes[$s]}" /dev/urandom > "$work/www/obj-$s"
done
cat > "$work/report.lua" <<'EOF'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK {"requests": %d, "bytes": %d, "duration_us": %d, "errors": %d, "non2xx": %d, ' ..
    '"p50_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.bytes, summary.duration,
    e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99), latency.max))
end
EOF

wrk_run() {  # result name, connections, url
  log "wrk $1"
  wrk -t2 -c"$2" -d"$pair_duration" -s "$work/report.lua" "$3" | grep '^WRK ' | cut -c5- \
      > "$out/wrk_$1.json"
}
# Two client threads, like wrk -t2: against nginx one thread can be the limit.
url_run() {  # result name, method, connections, url
  log "strata-bench url $1"
  "$bench_bin" url --url "$4" --method "$2" --concurrency "$3" --threads 2 \
      --duration "$pair_duration" --json > "$out/url_$1.json"
}

# -- nginx (measured beside Strata, below) --------------------------------------------------------
nginx_port=$(free_port)
mkdir -p "$work/nginx/tmp" "$work/nginx/logs"
cat > "$work/nginx/nginx.conf" <<EOF
worker_processes $(nproc);
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 10000000;
  keepalive_timeout 300s;
  client_body_temp_path $work/nginx/tmp;
  proxy_temp_path $work/nginx/tmp;
  fastcgi_temp_path $work/nginx/tmp;
  uwsgi_temp_path $work/nginx/tmp;
  scgi_temp_path $work/nginx/tmp;
  server { listen 127.0.0.1:$nginx_port; root $work/www; }
}
EOF
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" -e "$work/nginx/logs/error.log" &
nginx_pid=$!
wait_port "$nginx_port"

# -- Strata ---------------------------------------------------------------------------------------
strata_port=$(free_port)
server_args=(server --data "$work/strata" --address "127.0.0.1:$strata_port")
# The admin listener (when this build has one) must not collide with anything.
if "$strata_bin" server --help 2>&1 | grep -q -- --admin-address; then
  server_args+=(--admin-address "127.0.0.1:$(free_port)")
fi
log "strata ${server_args[*]}"
# No STRATA_ACCESS_KEY: the development credentials, loopback only.
env -u STRATA_ACCESS_KEY -u STRATA_SECRET_KEY "$strata_bin" "${server_args[@]}" \
    > "$out/strata.log" 2>&1 &
strata_pid=$!
wait_port "$strata_port"
endpoint="http://127.0.0.1:$strata_port"
creds=(--endpoint "$endpoint" --access-key strata-dev --secret-key strata-dev-secret-key)

bench() {  # result name, strata-bench args...
  local name=$1; shift
  log "strata-bench $name: $*"
  "$bench_bin" "${creds[@]}" --json --duration "$duration" "$@" > "$out/bench_$name.json"
}
for s in "${sizes[@]}"; do
  streams=${conns[$s]}
  [[ $s == 64MiB ]] && streams=$put_streams_64
  bench "put_$s" put --size "$s" --concurrency "$streams"
done
for s in "${sizes[@]}"; do
  objects=100
  [[ $s == 64MiB ]] && objects=8
  bench "get_$s" get --size "$s" --concurrency "${conns[$s]}" --objects "$objects"
done
bench head_4KiB head --size 4KiB --concurrency 16 --objects 100
bench list list --size 0 --objects 10000 --concurrency 4
bench mixed_4KiB mixed --size 4KiB --concurrency 16 --objects 1000

# nginx and Strata side by side: the objects are nginx's files, uploaded with presigned
# PUTs, and each pair of measurements runs back to back, so both see the same background load.
presign() {  # method [key]
  "$bench_bin" "${creds[@]}" presign --bucket compare-wrk --method "$1" ${2:+--key "$2"} \
      --expires 7200
}
http() {  # method url [file]
  python3 - "$@" <<'EOF'
import sys, urllib.request
method, url = sys.argv[1], sys.argv[2]
data = open(sys.argv[3], 'rb').read() if len(sys.argv) > 3 else None
urllib.request.urlopen(urllib.request.Request(url, data=data, method=method), timeout=300)
EOF
}
http PUT "$(presign PUT)"
for s in "${sizes[@]}"; do
  http PUT "$(presign PUT "obj-$s")" "$work/www/obj-$s"
done
for r in $(seq "$rounds"); do
  for s in "${sizes[@]}"; do
    static="http://127.0.0.1:$nginx_port/obj-$s"
    wrk_run "nginx_get_${s}_r$r" "${conns[$s]}" "$static"
    wrk_run "strata_get_${s}_r$r" "${conns[$s]}" "$(presign GET "obj-$s")"
    url_run "nginx_get_${s}_r$r" GET "${conns[$s]}" "$static"
    url_run "strata_get_${s}_r$r" GET "${conns[$s]}" "$(presign GET "obj-$s")"
  done
  url_run "nginx_head_4KiB_r$r" HEAD 16 "http://127.0.0.1:$nginx_port/obj-4KiB"
  url_run "strata_head_4KiB_r$r" HEAD 16 "$(presign HEAD obj-4KiB)"
done
for s in "${sizes[@]}"; do
  http DELETE "$(presign DELETE "obj-$s")"
done
http DELETE "$(presign DELETE)"

kill "$strata_pid"; wait "$strata_pid" 2>/dev/null || true; strata_pid=""
kill "$nginx_pid"; wait "$nginx_pid" 2>/dev/null || true; nginx_pid=""
echo "loadavg_at_end=$(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/machine.txt"

python3 "$repo/tools/bench/compare_report.py" "$out" | tee "$out/summary.md"
log "results in $out"
