#!/usr/bin/env bash
# Builds every libFuzzer harness (tests/fuzz/fuzz_*.c) with clang + ASan/UBSan in
# build-fuzz/, makes seeds by running the Check suites with SS_FUZZ_SEED_DIR set (each
# suite writes small valid inputs into build-fuzz/seeds/<harness name>/), then runs each
# fuzz_* binary for ${SS_FUZZ_SECONDS:-30} seconds. Fails when any fuzzer finds a crash,
# leak, timeout or sanitizer report; the reproducer lands in build-fuzz/artifacts/.
#
#   SS_FUZZ_SECONDS=60 scripts/fuzz.sh            # all harnesses, 60 s each
#   scripts/fuzz.sh fuzz_crashdump                # only the named harness(es)
# Harnesses: fuzz_crashdump, fuzz_elf, fuzz_kdump, fuzz_lime, fuzz_walk (file formats and
# walks) and fuzz_gdbrsp (the kd backend's GDB remote protocol packet parser).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${SS_FUZZ_SECONDS:-30}
bdir=${SS_FUZZ_BUILD_DIR:-build-fuzz}
jobs=$(nproc)
[ "$jobs" -gt 2 ] && jobs=2

echo "== fuzz build ($bdir)"
cmake -S . -B "$bdir" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSS_SANITIZE=ON -DSS_BUILD_FUZZERS=ON -DSS_BUILD_TESTS=ON \
  -DSS_BUILD_BENCH=OFF -DSS_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$bdir" -j"$jobs"

seeds="$PWD/$bdir/seeds"
mkdir -p "$seeds" "$bdir/artifacts"
echo "== seeds (test suites with SS_FUZZ_SEED_DIR=$seeds)"
if ! SS_FUZZ_SEED_DIR="$seeds" ctest --test-dir "$bdir" -R '^test_' -j"$jobs" >"$bdir/seeds.log" 2>&1; then
  echo "warning: some test suites failed while writing seeds (see $bdir/seeds.log)" >&2
fi

mapfile -t fuzzers < <(find "$bdir/tests/fuzz" -maxdepth 1 -type f -name 'fuzz_*' -perm -u+x | sort)
if [ $# -gt 0 ]; then
  want=" $* "
  mapfile -t fuzzers < <(for f in "${fuzzers[@]}"; do [[ $want == *" $(basename "$f") "* ]] && echo "$f"; done)
fi
[ ${#fuzzers[@]} -gt 0 ] || { echo "no fuzz_* binaries found in $bdir/tests/fuzz" >&2; exit 1; }

failed=()
for bin in "${fuzzers[@]}"; do
  name=$(basename "$bin")
  corpus="$bdir/corpus/$name"
  mkdir -p "$corpus" "$seeds/$name"
  echo "== $name: ${secs}s (seeds: $(find "$seeds/$name" -type f | wc -l))"
  if ! ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$bdir/artifacts/$name-" "$corpus" "$seeds/$name" >"$bdir/$name.log" 2>&1; then
    echo "FAILED: $name (log: $bdir/$name.log)" >&2
    tail -40 "$bdir/$name.log" >&2
    failed+=("$name")
  else
    grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$bdir/$name.log" | tr '\n' ' '
    echo
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzzers that failed: ${failed[*]}" >&2
  exit 1
fi
echo "all ${#fuzzers[@]} fuzzer(s) ran ${secs}s without a finding"
