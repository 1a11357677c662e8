#!/usr/bin/env bash
# Every test: install what is missing, build and run the Check / Python suites twice
# (plain, then AddressSanitizer + UndefinedBehaviorSanitizer), with the fuzzers run for a
# bounded time in between. The sanitizer ctest run comes last so that its summary
# closes the log. Any failure stops the run with a non-zero exit.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
jobs=$(nproc)

echo "== style (clang-format, .clang-format at the root)"
find libsessionspace examples tests bench -name '*.[ch]' -print0 | xargs -0 clang-format --dry-run -Werror

echo "== build (RelWithDebInfo) and test"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSS_BUILD_BINDINGS=ON >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs"

if [ -x scripts/fuzz.sh ]; then
  echo "== fuzzers (bounded)"
  scripts/fuzz.sh
fi

echo "== build with ASan + UBSan and test"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSS_SANITIZE=ON -DSS_BUILD_BENCH=OFF -DSS_BUILD_BINDINGS=ON >/dev/null
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j"$jobs" -LE realdata
