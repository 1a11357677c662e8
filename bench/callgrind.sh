#!/bin/sh
# Instructions (callgrind Ir) per translation on the hot paths: stable across noisy
# machines, so a regression shows as a changed count. Usage:
#   bench/callgrind.sh [BUILD_DIR] [N]      (defaults: build, 200000)
# Each kind runs N translations of a 4,096-page working set (see bench_xlat.c,
# --callgrind); only the function doing them is counted (--toggle-collect).
set -eu
build=${1:-build}
n=${2:-200000}
bin="$build/bench/bench_xlat"
[ -x "$bin" ] || { echo "callgrind.sh: $bin not built" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "callgrind.sh: valgrind not installed" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "| path | counted function | Ir per translation |"
echo "|---|---|---|"
for pair in cached:run_translate uncached:run_translate_uncached miss:run_translate_miss many:run_many \
            range:run_range addrxlat:run_ax_conv; do
    kind=${pair%%:*}
    fn=${pair#*:}
    if ! valgrind --tool=callgrind --callgrind-out-file="$out/$kind" --toggle-collect="$fn" \
        "$bin" --callgrind "$kind" "$n" >/dev/null 2>"$out/$kind.log"; then
        echo "| $kind | $fn | (not available: see valgrind log) |"
        continue
    fi
    ir=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p; s/^totals: *\([0-9]*\).*/\1/p' "$out/$kind" | head -n 1)
    awk -v k="$kind" -v f="$fn" -v ir="$ir" -v n="$n" \
        'BEGIN { printf "| %s | %s | %.1f |\n", k, f, ir / n }'
done
