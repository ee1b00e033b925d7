#!/usr/bin/env bash
# Installs what is needed, builds Release, and starts the embedded server:
#   tools/serve.sh [strata server flags...]     (default: ./data, 127.0.0.1:9000)
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/bootstrap.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DSTRATA_BUILD_TESTS=OFF >/dev/null
cmake --build build --target strata
exec build/bin/strata server "$@"
