#!/usr/bin/env bash
# Installs everything Strata needs to build, run and test, from Debian's
# packages only. Idempotent: packages already present are left alone.
#
#   tools/bootstrap.sh          build + run dependencies
#   tools/bootstrap.sh --test   also the test clients (s3cmd, rclone, prometheus, ...)
#   tools/bootstrap.sh --bench  also what the benchmarks compare against (nginx, wrk, fio)
set -euo pipefail

build_pkgs=(
  build-essential cmake ninja-build pkg-config
  libboost1.81-dev libboost-url1.81-dev
  librocksdb-dev libisal-dev liburing-dev libssl-dev
  nlohmann-json3-dev libpugixml-dev catch2
  openssl
)
test_pkgs=(
  s3cmd rclone prometheus
)
bench_pkgs=(
  nginx-light wrk fio
)

want=("${build_pkgs[@]}")
if [[ "${1:-}" == "--test" ]]; then
  want+=("${test_pkgs[@]}")
fi
if [[ "${1:-}" == "--bench" ]]; then
  want+=("${bench_pkgs[@]}")
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "bootstrap: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The end-to-end tests drive the server with aws-cli and boto3 on python3.
if [[ "${1:-}" == "--test" ]]; then
  if ! python3 -c 'import boto3' 2>/dev/null; then
    echo "bootstrap: python3 has no boto3; installing Debian's python3-boto3" >&2
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends python3-boto3 awscli >/dev/null
  fi
fi

# test_clients.py drives the server with the AWS SDK for JavaScript (tests/e2e/js): Node.js and
# npm (Debian's, only when missing), then the locked packages from the npm registry, again only
# when node_modules is missing or older than package-lock.json.
if [[ "${1:-}" == "--test" ]]; then
  node_pkgs=()
  command -v node >/dev/null 2>&1 || node_pkgs+=(nodejs)
  command -v npm >/dev/null 2>&1 || node_pkgs+=(npm)
  if ((${#node_pkgs[@]})); then
    echo "bootstrap: installing ${node_pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${node_pkgs[@]}" >/dev/null
  fi
  node_major=$(node -p 'process.versions.node.split(".")[0]')
  if ((node_major < 20)); then
    echo "bootstrap: warning: node $(node --version) is older than the JS SDK's minimum (20)" >&2
  fi
  js_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/e2e/js"
  # npm ci writes node_modules/.package-lock.json last: its absence means an unfinished install.
  if [[ ! -f "$js_dir/node_modules/.package-lock.json" ||
        "$js_dir/package-lock.json" -nt "$js_dir/node_modules/.package-lock.json" ]]; then
    echo "bootstrap: npm ci in $js_dir"
    (cd "$js_dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
echo "bootstrap: ok"
