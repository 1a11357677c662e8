#!/usr/bin/env bash
# Real guest capture for the real-QEMU tests: boots the distribution's Linux kernel
# (/boot/vmlinuz-*) under QEMU with a busybox initramfs whose processes keep running,
# waits for the guest, then pauses it PAUSES times (default 3) and records at each pause,
# from QEMU itself:
#
#   OUTDIR/pause-N/cr3            CR3 of the vCPU (0x..., as QEMU holds it)
#   OUTDIR/pause-N/registers.txt  `info registers`
#   OUTDIR/pause-N/tlb.tsv        VA<TAB>PA page bases of every leaf `info tlb` lists
#   OUTDIR/pause-N/gva2gpa.tsv    VA<TAB>PA of `gva2gpa` for NMAPPED (300) mapped VAs at
#                                 random offsets, then NUNMAPPED (100) unmapped ones (PA -)
#   OUTDIR/pause-N/dump.elf       dump-guest-memory: ELF core of all guest RAM
# and, with EXTRA_DUMPS=1, at the last pause also dump-paging.elf (dump-guest-memory -p)
# and dump.kdump (flattened kdump-zlib, as QEMU writes it).
#
# usage: capture.sh OUTDIR [PAUSES] [--keep-running]
# Environment: CPU (default qemu64; `max` gives 5-level paging under TCG), ACCEL (tcg;
# kvm to try KVM), KAPPEND_EXTRA (more kernel command line, e.g. pti=on), EXTRA_DUMPS,
# BOOT_TIMEOUT (seconds, default 240), SEED (probe choice; random by default), KERNEL.
#
# --keep-running leaves the guest running after the pauses, for live tests:
#   OUTDIR/guest-ram  its RAM (memory-backend-file, share=on, 256 MiB)
#   OUTDIR/gdb.port   port of a gdbstub on 127.0.0.1
#   OUTDIR/qmp.sock   QMP socket
#   OUTDIR/qemu.pid   the QEMU process; the caller kills it.
# Otherwise, and on every failure, the script stops its own QEMU (by PID) before it exits.
#
# Exit 0 on success; 77 when QEMU cannot run here (no qemu-system-x86_64, no kernel
# image, or the guest does not boot); 1 on any other failure; 2 on bad usage.
set -euo pipefail

usage() { echo "usage: $0 OUTDIR [PAUSES] [--keep-running]"; }
keep=0
args=()
for a in "$@"; do
  case $a in
    --keep-running) keep=1 ;;
    -h | --help) usage; exit 0 ;;
    -*) usage >&2; exit 2 ;;
    *) args+=("$a") ;;
  esac
done
if [ ${#args[@]} -lt 1 ] || [ ${#args[@]} -gt 2 ]; then usage >&2; exit 2; fi
out=${args[0]}
pauses=${args[1]:-3}
[[ $pauses =~ ^[0-9]+$ ]] || { usage >&2; exit 2; }

here=$(cd "$(dirname "$0")" && pwd)
CPU=${CPU:-qemu64}
ACCEL=${ACCEL:-tcg}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-240}
SEED=${SEED:-$RANDOM}
NMAPPED=${NMAPPED:-300}
NUNMAPPED=${NUNMAPPED:-100}
MARKER="ss-capture: guest ready"

log() { echo "capture: $*" >&2; }
die() { log "$*"; exit 1; }
skip() { log "QEMU cannot run here: $*"; exit 77; }

# --- what it needs -------------------------------------------------------------------
command -v qemu-system-x86_64 >/dev/null ||
  skip "qemu-system-x86_64 not found (Debian package qemu-system-x86)"
kernel=${KERNEL:-}
if [ -z "$kernel" ]; then
  for k in /boot/vmlinuz-*; do [ -r "$k" ] && kernel=$k; done # glob order: last version
fi
if [ -z "$kernel" ] || [ ! -r "$kernel" ]; then
  skip "no readable kernel image /boot/vmlinuz-* (Debian package linux-image-amd64)"
fi
busybox=
for b in /bin/busybox /usr/bin/busybox; do [ -x "$b" ] && busybox=$b && break; done
[ -n "$busybox" ] || die "busybox not found (Debian package busybox-static)"
# The initramfs has no C library: the busybox in it must be static.
if ldd "$busybox" >/dev/null 2>&1; then
  die "$busybox is dynamically linked: install the Debian package busybox-static"
fi
command -v cpio >/dev/null || die "cpio not found (Debian package cpio)"
py=/usr/bin/python3
[ -x $py ] || die "$py not found"
qmp() { "$py" "$here/qmp.py" "$out/qmp.sock" "$@"; }

mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -rf "$out"/pause-* "$out"/{console.log,qemu.log,qmp.sock,qemu.pid,gdb.port,guest-ram}
tmp=$(mktemp -d)

# --- cleanup: this script's QEMU, by PID, unless it is to keep running ---------------
qpid=
ok=0
stop_qemu() {
  kill -0 "$qpid" 2>/dev/null || return 0
  # Ask nicely over QMP, then TERM, then KILL; each step bounded.
  QMP_TIMEOUT=10 qmp cmd quit >/dev/null 2>&1 || kill -TERM "$qpid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$qpid" 2>/dev/null || break; sleep 0.2; done
  if kill -0 "$qpid" 2>/dev/null; then
    kill -TERM "$qpid" 2>/dev/null || true
    sleep 2
    kill -KILL "$qpid" 2>/dev/null || true
  fi
  wait "$qpid" 2>/dev/null || true
}
cleanup() {
  local rc=$?
  if [ -n "$qpid" ] && { [ $keep = 0 ] || [ $ok = 0 ]; }; then
    stop_qemu
    rm -f "$out/qemu.pid" "$out/qmp.sock" "$out/gdb.port" "$out/guest-ram"
  fi
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- the guest: a busybox initramfs --------------------------------------------------
root=$tmp/root
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp}
cp "$busybox" "$root/bin/busybox"
# Several busy processes, each its own address space, so that pauses stop the vCPU in
# different processes (different CR3s); the marker tells the host they are running.
cat >"$root/init" <<EOF
#!/bin/busybox sh
/bin/busybox --install -s
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
sh -c 'i=0; while :; do i=\$((i + 1)); done' &
awk 'BEGIN { while (1) a[n++ % 65536] = n }' &
md5sum /dev/zero &
sh -c 'while :; do dd if=/dev/zero bs=64k count=32 2>/dev/null | cksum >/dev/null; done' &
sleep 100000000 &
echo "$MARKER"
while :; do sleep 3600; done
EOF
chmod 755 "$root/init"
(cd "$root" && find . -print0 | cpio --null -o -H newc -R 0:0 --quiet) >"$tmp/initramfs.cpio"

# --- QEMU ----------------------------------------------------------------------------
qargs=(
  -accel "$ACCEL" -cpu "$CPU" -smp 1 -m 256M
  -display none -monitor none -parallel none -nic none -no-reboot
  -kernel "$kernel" -initrd "$tmp/initramfs.cpio"
  -append "console=ttyS0 rdinit=/init panic=-1 loglevel=4 ${KAPPEND_EXTRA:-}"
  -serial "file:$out/console.log"
  -qmp "unix:$out/qmp.sock,server=on,wait=off"
)
if [ $keep = 1 ]; then
  qargs+=(
    -object "memory-backend-file,id=mem,size=256M,mem-path=$out/guest-ram,share=on"
    -machine memory-backend=mem
  )
fi
guest_failed() {
  log "QEMU log:"
  tail -5 "$out/qemu.log" >&2 || true
  log "guest console (last lines):"
  tail -5 "$out/console.log" >&2 2>/dev/null || true
  skip "$1"
}
log "booting $(basename "$kernel") (cpu $CPU, accel $ACCEL${KAPPEND_EXTRA:+, $KAPPEND_EXTRA}), seed $SEED"
start=$SECONDS
# Bounded waits: for QMP (a few tries when the gdbstub's free port was taken meanwhile),
# then for the guest's marker on its serial console.
for try in 1 2 3; do
  gdbargs=()
  if [ $keep = 1 ]; then
    port=$("$py" "$here/qmp.py" free-port)
    gdbargs=(-gdb "tcp:127.0.0.1:$port")
  fi
  qemu-system-x86_64 "${qargs[@]}" "${gdbargs[@]}" </dev/null >"$out/qemu.log" 2>&1 &
  qpid=$!
  echo "$qpid" >"$out/qemu.pid"
  until [ -S "$out/qmp.sock" ] || ! kill -0 "$qpid" 2>/dev/null; do
    [ $((SECONDS - start)) -lt 30 ] || die "QEMU did not open its QMP socket within 30 s"
    sleep 0.2
  done
  kill -0 "$qpid" 2>/dev/null && break
  wait "$qpid" 2>/dev/null || true
  qpid=
  [ $try -lt 3 ] && grep -q "Address already in use" "$out/qemu.log" && continue
  guest_failed "QEMU exited at start"
done
until grep -qF "$MARKER" "$out/console.log" 2>/dev/null; do
  kill -0 "$qpid" 2>/dev/null || guest_failed "QEMU exited before the guest was ready"
  [ $((SECONDS - start)) -lt "$BOOT_TIMEOUT" ] ||
    guest_failed "the guest did not print '$MARKER' within $BOOT_TIMEOUT s (BOOT_TIMEOUT)"
  sleep 0.5
done
log "guest ready after $((SECONDS - start)) s"

# --- the pauses ----------------------------------------------------------------------
RANDOM=$SEED
for i in $(seq "$pauses"); do
  sleep "$((1 + RANDOM % 2)).$((RANDOM % 10))" # let the processes run and switch
  d=$out/pause-$i
  mkdir -p "$d"
  qmp cmd stop >/dev/null || die "pause $i: QMP stop failed"
  log "pause $i: $(qmp pause "$d" "$NMAPPED" "$NUNMAPPED" "$((SEED * 1000 + i))")"
  qmp dump "$d/dump.elf" || die "pause $i: dump-guest-memory failed"
  if [ "${EXTRA_DUMPS:-0}" = 1 ] && [ "$i" = "$pauses" ]; then
    qmp dump "$d/dump-paging.elf" paging || die "pause $i: paging dump failed"
    qmp dump "$d/dump.kdump" kdump-zlib || die "pause $i: kdump-zlib dump failed"
  fi
  qmp cmd cont >/dev/null || die "pause $i: QMP cont failed"
done

if [ $keep = 1 ]; then
  echo "$port" >"$out/gdb.port"
  ok=1
  log "guest left running: pid $qpid, QMP $out/qmp.sock, gdb 127.0.0.1:$port, RAM $out/guest-ram"
else
  ok=1
  log "done: $pauses pause(s) in $out"
fi
