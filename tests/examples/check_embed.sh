#!/usr/bin/env bash
# Runs examples/embed on the demo crash dump and compares its output line by line.
# The expected translations are the ones tests/support/mkimage.c lays out.
# usage: check_embed.sh EMBED MKIMAGE TMPDIR
set -euo pipefail
embed=$1 mkimage=$2 tmp=$(mktemp -d "$3/embed.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
"$mkimage" --dmp "$tmp/demo.dmp" "$tmp/demo.raw" > "$tmp/demo.txt"
sys=$(awk '$1=="dtb_system"{print $2}' "$tmp/demo.txt")
got=$("$embed" "$tmp/demo.dmp" 'fffff800`00001234')
want="source: custom, physical memory up to 0x3012000
dtb $sys: 0xfffff80000001234 -> 0x101234"
[ "$got" = "$want" ] || { printf 'embed printed:\n%s\nexpected:\n%s\n' "$got" "$want"; exit 1; }
# the session VA does not translate under the System root
if got=$("$embed" "$tmp/demo.dmp" 'fffff99b`3c078000'); then echo "embed: expected exit 1"; exit 1; fi
[ "$(echo "$got" | tail -1)" = "dtb $sys: 0xfffff99b3c078000 -> not_present" ] || { echo "embed printed: $got"; exit 1; }
# bad input: a usage error and a missing file, each a message and a non-zero exit
if "$embed" "$tmp/demo.dmp" 'zz' 2>/dev/null; then echo "embed: bad VA accepted"; exit 1; fi
if "$embed" "$tmp/missing.dmp" 0 2>"$tmp/err"; then echo "embed: missing file accepted"; exit 1; fi
grep -q "missing.dmp" "$tmp/err" || { echo "embed: no message for a missing file"; exit 1; }
echo "embed: ok"
