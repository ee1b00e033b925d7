#!/usr/bin/env bash
# Installs what is needed, builds everything, and runs every test (unit and
# end-to-end) under ctest. Arguments go to ctest (e.g. -L unit, -R e2e.test_hostile).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/bootstrap.sh --test
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build
ctest --test-dir build --output-on-failure --timeout 900 "$@"
