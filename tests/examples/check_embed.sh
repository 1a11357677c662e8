#!/usr/bin/env bash
# Runs examples/embed on a generated Windows 10 1809 crash dump and compares its output
# with the generator's truth (ss-mkimage --windows lists each session's private frame
# and the frame shared by every session).
# usage: check_embed.sh EMBED MKIMAGE TMPDIR
set -euo pipefail
embed=$1 mkimage=$2 tmp=$(mktemp -d "$3/embed.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
"$mkimage" --windows 17763 --dmp "$tmp/win.dmp" "$tmp/win.raw" > "$tmp/truth.txt"
truth() { awk -v k="$1" '$1==k{print $2}' "$tmp/truth.txt"; }
nproc=$(grep -c '^process ' "$tmp/truth.txt")
expect() { # VA, then the PA column of each session line (awk field number, or a fixed value)
    echo "3 sessions, $nproc processes"
    awk -v va="$1" -v f="$2" -v pa="$3" '$1=="session"{printf "session %s: %s -> %s\n", $2, va, f ? $f : pa}' \
        "$tmp/truth.txt"
}
check() {
    local got want
    got=$("$embed" "$tmp/win.dmp" "$1")
    want=$(expect "$1" "$2" "$3")
    [ "$got" = "$want" ] || { printf 'embed %s printed:\n%s\nexpected:\n%s\n' "$1" "$got" "$want"; exit 1; }
}
check "$(truth private_va)" 4 ""               # a different frame in each session
check "$(truth shared_va)" 0 "$(truth shared_pa)" # win32kbase's image page: one frame for all
# bad input: each a message and a non-zero exit
if "$embed" "$tmp/win.dmp" 'zz' 2>/dev/null; then echo "embed: bad VA accepted"; exit 1; fi
if "$embed" "$tmp/missing.dmp" 0 2>"$tmp/err"; then echo "embed: missing file accepted"; exit 1; fi
grep -q "missing.dmp" "$tmp/err" || { echo "embed: no message for a missing file"; exit 1; }
if "$embed" "$tmp/win.raw" 0 2>"$tmp/err"; then echo "embed: a raw image without a header gave a model"; exit 1; fi
grep -q "^no Windows model: " "$tmp/err" || { echo "embed: no message without a model"; cat "$tmp/err"; exit 1; }
echo "embed: ok"
