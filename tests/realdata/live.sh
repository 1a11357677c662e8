#!/usr/bin/env bash
# Live routes on a real running guest (ctest realdata_live, label realdata).
#
# Starts the project's guest with capture.sh DIR 1 --keep-running (RAM in a shared
# file, QMP socket), then:
#  1. pauses it over QMP (qmp.py), records CR3 and QEMU's own answers at that moment
#     (every `info tlb` page plus gva2gpa for 300 mapped and 100 unmapped VAs), and
#     requires vmi: to agree with every one of them (realdata_check xlat, the mode and
#     root check from the source's QMP registers); resumes; again until at least two
#     different CR3s were checked;
#  2. lets it run and reads through vmi: repeatedly (live_check invalidate): at each
#     pause, every cached answer equals a fresh walk of that moment and a sample equals
#     QEMU's gva2gpa; while it runs, every bump flushes the cache;
#  3. runs the CLI's `info` and `vtop` on the vmi: source (paused) and compares vtop
#     with QEMU's gva2gpa.
# QEMU is stopped by PID on every path (trap).
#
# usage: live.sh CAPTURE CHECKER LIVE_CHECK CLI WORKDIR
# Exit 77 (ctest SKIP_RETURN_CODE) only where QEMU cannot run (capture.sh said 77);
# with CI=true a skip is a failure.
set -euo pipefail
capture=$1 check=$2 live=$3 cli=$4 work=$5
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
mkdir -p "$work"
out=$(mktemp -d "$work/live.XXXXXX")
g=$out/guest

cleanup() {
  local pid
  pid=$(cat "$g/qemu.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -rf "$out"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

rc=0
"$capture" "$g" 1 --keep-running || rc=$?
if [ "$rc" = 77 ]; then
  echo "SKIP: QEMU cannot run a guest on this machine (see the capture message above)"
  [ "${CI:-}" = true ] && { echo "CI=true: a skipped real-QEMU test is a failure" >&2; exit 1; }
  exit 77
fi
[ "$rc" = 0 ] || { echo "capture.sh failed (exit $rc)" >&2; exit 1; }
[ -s "$g/qemu.pid" ] && [ -S "$g/qmp.sock" ] && [ -f "$g/guest-ram" ] || {
  echo "capture.sh left no running guest" >&2
  exit 1
}
sock=$g/qmp.sock ram=$g/guest-ram
spec="vmi:$ram,qmp=$sock"
qmp() { QMP_TIMEOUT=60 "$py" "$here/qmp.py" "$sock" "$@"; }

# 1. QEMU's answers at paused moments, under at least two CR3s.
declare -A cr3s=()
k=0
while [ ${#cr3s[@]} -lt 2 ] || [ $k -lt 2 ]; do
  k=$((k + 1))
  [ $k -le 8 ] || { echo "only ${#cr3s[@]} distinct CR3 in 8 pauses" >&2; exit 1; }
  qmp cmd stop >/dev/null
  mkdir -p "$out/p$k"
  echo "pause $k: $(qmp pause "$out/p$k" 300 100 "$((RANDOM * 100 + k))")"
  cr3=$(cat "$out/p$k/cr3")
  # QMP is free again (one client at a time): the source reads mode and CPU state over it.
  "$check" xlat "$spec" "$cr3" x64 "$out/p$k/tlb.tsv" "$out/p$k/gva2gpa.tsv"
  cr3s[$cr3]=1
  if [ $k = 1 ]; then
    # 3. the CLI on vmi: while the guest is paused
    "$cli" info "$spec" >"$out/info.txt"
    grep -q '^format *vmi' "$out/info.txt" || { echo "info: no vmi format" >&2; cat "$out/info.txt" >&2; exit 1; }
    grep -q "cr3 $cr3" "$out/info.txt" || { echo "info: CR3 is not $cr3" >&2; cat "$out/info.txt" >&2; exit 1; }
    n=0
    while IFS=$'\t' read -r va pa; do
      [ "$pa" = - ] && continue
      n=$((n + 1))
      [ $n -le 5 ] || break
      # no --dtb / --mode: the CLI takes both from the vCPU over QMP
      got=$("$cli" vtop "$spec" "0x$va" --json | "$py" -c 'import json, sys; print(json.load(sys.stdin)["pa"])')
      [ "$((got))" = "$((0x$pa))" ] || { echo "CLI vtop 0x$va: $got, QEMU 0x$pa" >&2; exit 1; }
    done <"$out/p$k/gva2gpa.tsv"
    echo "CLI info and vtop on vmi: agree with QEMU"
  fi
  qmp cmd cont >/dev/null
  sleep "1.$((RANDOM % 10))"
done
echo "vmi: agrees with QEMU at $k pauses under ${#cr3s[@]} CR3s"

# 2. invalidation while it runs: VAs of every recorded moment
for p in "$out"/p*; do
  cut -f1 "$p/gva2gpa.tsv"
  awk 'NR % 40 == 0 { print $1 }' "$p/tlb.tsv"
done >"$out/vas.txt"
"$live" invalidate "$spec" 6 "$out/vas.txt"
echo "realdata live: vmi: agrees with QEMU and invalidates its caches"
