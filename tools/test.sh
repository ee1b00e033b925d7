#!/usr/bin/env bash
# Installs what is needed, builds everything, and runs every test (unit and
# end-to-end) under ctest. Arguments go to ctest (e.g. -L unit, -R e2e.test_hostile).
#
#   tools/test.sh --sanitize [ctest args]   the same in build-asan/: a Debug build
#                                           with AddressSanitizer and UBSan (CI runs both)
set -euo pipefail
cd "$(dirname "$0")/.."
build=build
config=(-DCMAKE_BUILD_TYPE=Release)
if [[ "${1:-}" == "--sanitize" ]]; then
  shift
  build=build-asan
  config=(-DCMAKE_BUILD_TYPE=Debug -DSTRATA_SANITIZE=ON)
  # Any report fails the test that caused it; leaks are checked at exit.
  export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:detect_stack_use_after_return=0"
  export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
fi
bash tools/bootstrap.sh --test
cmake -S . -B "$build" -G Ninja "${config[@]}" -DSTRATA_BUILD_TESTS=ON >/dev/null
# STRATA_BUILD_TARGETS limits the build to what the chosen suites need.
read -r -a targets <<< "${STRATA_BUILD_TARGETS:-all}"
cmake --build "$build" --target "${targets[@]}"
ctest --test-dir "$build" --output-on-failure --timeout 900 "$@"
