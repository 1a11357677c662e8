#!/usr/bin/env bash
# Real-QEMU integration test (ctest label "realdata"): boots Debian's Linux under QEMU
# with the project's own tests/realdata/capture.sh, 4-level and then 5-level paging
# (CPU=max), and requires every route to one guest state -- the ELF dump, the paging ELF
# (extended numbering), the flattened kdump as QEMU wrote it and the plain kdump
# `makedumpfile -R` makes of it -- to agree with EVERY one of QEMU's own answers
# (tlb.tsv and gva2gpa.tsv, unmapped probes included) -- 4-level, 5-level and 4-level
# with kernel page-table isolation -- with the paging mode taken
# from the dump itself; libkdumpfile must read the same bytes from the plain kdump,
# and the CLI must pick the mode without --mode.
#
# usage: run.sh CAPTURE CHECKER CLI WORKDIR
# Exit 77 (ctest SKIP_RETURN_CODE) only where QEMU cannot run at all: capture.sh exits 77
# when qemu-system-x86_64 or the kernel image (/boot/vmlinuz-*) is missing or the guest
# does not boot. With CI=true a skip is a failure (exit 1).
set -euo pipefail
capture=$1 check=$2 cli=$3 work=$4
command -v makedumpfile >/dev/null || { echo "makedumpfile missing (Debian package makedumpfile)" >&2; exit 1; }
mkdir -p "$work"
out=$(mktemp -d "$work/realdata.XXXXXX")
trap 'rm -rf "$out"' EXIT
pauses=2

run_variant() { # name cpu expected-mode [kernel command line extra]
  local name=$1 cpu=$2 mode=$3 dir="$out/$1"
  echo "== $name: booting ($cpu${4:+, $4}) ..."
  local rc=0
  CPU=$cpu EXTRA_DUMPS=1 KAPPEND_EXTRA=${4:-} "$capture" "$dir" "$pauses" || rc=$?
  if [ "$rc" = 77 ]; then
    echo "SKIP: QEMU cannot run a guest on this machine (see the capture message above)"
    [ "${CI:-}" = true ] && { echo "CI=true: a skipped real-QEMU test is a failure" >&2; exit 1; }
    exit 77
  fi
  [ "$rc" = 0 ] || { echo "capture.sh failed (exit $rc) for $name" >&2; exit 1; }
  local last=$dir/pause-$pauses
  for p in "$dir"/pause-*; do
    "$check" xlat "$p/dump.elf" "$(cat "$p/cr3")" "$mode" "$p/tlb.tsv" "$p/gva2gpa.tsv"
  done
  local cr3
  cr3=$(cat "$last/cr3")
  # The paging ELF holds only what the dumping CR3 maps (under PTI maybe not its own
  # page tables): the complete ELF of the same moment vouches for such gaps.
  "$check" xlat "$last/dump-paging.elf" "$cr3" "$mode" "$last/tlb.tsv" "$last/gva2gpa.tsv" "$last/dump.elf"
  "$check" xlat "$last/dump.kdump" "$cr3" "$mode" "$last/tlb.tsv" "$last/gva2gpa.tsv"
  makedumpfile -R "$last/plain.kdump" < "$last/dump.kdump" >/dev/null
  rm -f "$last/dump.kdump"
  "$check" xlat "$last/plain.kdump" "$cr3" "$mode" "$last/tlb.tsv" "$last/gva2gpa.tsv"
  "$check" same "$last/dump.elf" "$last/plain.kdump"
  "$check" peer "$last/plain.kdump"
  # The CLI picks the paging depth from the dump's CPU notes (no --mode).
  head -3 "$last/tlb.tsv" | cut -f1 > "$dir/vas.txt"
  "$cli" vtop "$last/dump-paging.elf" --batch "$dir/vas.txt" --dtb "$cr3" --json > "$dir/cli.json"
  local n
  n=$(grep -c "\"mode\":\"$mode\"" "$dir/cli.json" || true)
  [ "$n" = 3 ] || { echo "CLI did not report mode $mode for 3 VAs:" >&2; cat "$dir/cli.json" >&2; exit 1; }
  rm -rf "$dir"
}

run_variant level4 qemu64 x64
run_variant level5 max la57
# Kernel page-table isolation: processes run on a user/kernel CR3 pair, and the CR3
# QEMU reports may be either half (bit 12 selects it).
run_variant pti qemu64 x64 pti=on
echo "realdata: all routes agree with QEMU"
