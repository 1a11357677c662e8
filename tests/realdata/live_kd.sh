#!/usr/bin/env bash
# Live kd test (ctest realdata_kd, label "realdata"): boots a guest with the project's
# tests/realdata/capture.sh --keep-running (a gdbstub on 127.0.0.1 and a QMP socket),
# then
#  1. live_kd_check connects through kd:tcp:127.0.0.1:PORT and, at halts under at least
#     2 different CR3s, requires 100% agreement with QEMU's own answers taken over QMP at
#     that moment (CR3 from `info registers`, every `info tlb` leaf, `gva2gpa` for 300
#     mapped and 100 unmapped VAs), with caches kept across continue/halt: the generation
#     must change and no stale translation or byte may be served (physical probes are
#     compared with QEMU's `xp`);
#  2. the CLI: `info` on the kd: source reports format kd, mode x64 and QEMU's CR3, and
#     `vtop` of a kernel VA gives the PA QEMU's `gva2gpa` gives while the guest stays
#     paused (onclose=stay), after which QMP resumes it.
# The guest is killed by its PID on every path (trap); nothing is left running.
#
# usage: live_kd.sh CAPTURE CHECKER CLI WORKDIR
# Exit 77 only where QEMU cannot run a guest (capture.sh's 77); with CI=true that is a
# failure.
set -euo pipefail
capture=$1 check=$2 cli=$3 work=$4
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
mkdir -p "$work"
out=$(mktemp -d "$work/live_kd.XXXXXX")
qpid=
cleanup() {
  local rc=$?
  if [ -z "$qpid" ] && [ -f "$out/qemu.pid" ]; then qpid=$(cat "$out/qemu.pid"); fi
  if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then
    kill -TERM "$qpid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$qpid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$qpid" 2>/dev/null || true
  fi
  rm -rf "$out"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "== booting a guest (capture.sh --keep-running) ..."
rc=0
NMAPPED=20 NUNMAPPED=5 "$capture" "$out" 1 --keep-running || rc=$?
if [ "$rc" = 77 ]; then
  echo "SKIP: QEMU cannot run a guest on this machine (see the capture message above)"
  [ "${CI:-}" = true ] && { echo "CI=true: a skipped real-QEMU test is a failure" >&2; exit 1; }
  exit 77
fi
[ "$rc" = 0 ] || { echo "capture.sh failed (exit $rc)" >&2; exit 1; }
qpid=$(cat "$out/qemu.pid")
port=$(cat "$out/gdb.port")
qmp() { QMP_TIMEOUT=60 "$py" "$here/qmp.py" "$out/qmp.sock" "$@"; }

echo "== kd: halts, QEMU's answers, invalidation"
"$check" "$port" "$here/qmp.py" "$out/qmp.sock" "$out" "$out/guest-ram"
[ "$(qmp cmd query-status | "$py" -c 'import json,sys; print(json.load(sys.stdin)["status"])')" = running ] ||
  { echo "the guest does not run after the kd source was closed (D should resume it)" >&2; exit 1; }

echo "== CLI on kd:"
spec="kd:tcp:127.0.0.1:$port,onclose=stay,timeout=30000"
sleep 1
info=$("$cli" info "$spec" --json)
echo "$info"
"$py" - "$info" <<'PY'
import json, sys
i = json.loads(sys.argv[1])
assert i["format"] == "kd", i
assert i["mode"] == "x64", i
assert i["cpus"] and i["cpus"][0]["cr3"] == i["dtb"], i
PY
# onclose=stay left the guest paused: QEMU's CR3 and gva2gpa of this very moment
qemu_cr3=$(qmp hmp "info registers" | sed -n 's/.*CR3=\([0-9a-fA-F]*\).*/\1/p')
dtb=$("$py" -c 'import json,sys; print(json.loads(sys.argv[1])["dtb"])' "$info")
[ "$((16#$qemu_cr3))" = "$((dtb))" ] || { echo "CLI info dtb $dtb, QEMU CR3 $qemu_cr3" >&2; exit 1; }
# a kernel VA from the middle of QEMU's `info tlb` (not the direct map's first page)
va=$(awk -F'\t' '$1 ~ /^ffff/ { v[n++] = $1 } END { if (n) print v[int(n / 2)] }' "$out"/kd-round-0/tlb.tsv)
[ -n "$va" ] || { echo "no kernel VA in QEMU's info tlb" >&2; exit 1; }
va=$(printf '0x%x' $((16#$va + 0x123)))
want=$(qmp hmp "gva2gpa $va" | sed -n 's/^gpa: \(0x[0-9a-f]*\).*/\1/p')
got=$("$cli" vtop "$spec" "$va" --json | "$py" -c 'import json,sys; print(json.load(sys.stdin)["pa"])')
echo "vtop $va: kd $got, QEMU gva2gpa $want"
[ -n "$want" ] && [ "$((got))" = "$((want))" ] || { echo "CLI vtop disagrees with QEMU" >&2; exit 1; }
qmp cmd cont >/dev/null
echo "realdata_kd: kd agrees with QEMU"
