#!/usr/bin/env bash
# Installs everything Strata needs to build, run and test, from Debian's
# packages only. Idempotent: packages already present are left alone.
#
#   tools/bootstrap.sh          build + run dependencies
#   tools/bootstrap.sh --test   also the test clients (s3cmd, rclone, ...)
set -euo pipefail

build_pkgs=(
  build-essential cmake ninja-build pkg-config
  libboost1.81-dev libboost-url1.81-dev
  librocksdb-dev libisal-dev liburing-dev libssl-dev
  nlohmann-json3-dev libpugixml-dev catch2
  openssl
)
test_pkgs=(
  s3cmd rclone
)

want=("${build_pkgs[@]}")
if [[ "${1:-}" == "--test" ]]; then
  want+=("${test_pkgs[@]}")
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
echo "bootstrap: ok"
