#!/usr/bin/env bash
# The main job on the built-in demo image: install what is missing, build, generate a
# small x64 memory image with three page-table roots (System, a session-0 process, a
# session-1 process) and show how one session-space VA translates under each; then a
# Windows-like image with processes and sessions: sessions, sprocess, where, vtop --session,
# u and db in a session, and README.md's Python snippet on it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
out=build/demo; mkdir -p "$out"
build/tests/support/ss-mkimage --dmp "$out/demo.dmp" "$out/demo.raw" "$out/demo.txt"
get() { awk -v k="$1" '$1 == k { print $2 }' "$out/demo.txt"; }
cli=build/examples/sessionspace
echo "== the demo image"
"$cli" info "$out/demo.raw"
va_session=$(get va_session)
valid_in=() frames=()
for who in system session0 session1; do
  echo
  echo "== session-space VA $va_session under the $who root ($(get dtb_$who))"
  "$cli" vtop "$out/demo.raw" "$va_session" --dtb "$(get dtb_$who)" --mode x64 || true
  # the same walk as JSON, for the conclusion below
  json=$("$cli" vtop "$out/demo.raw" "$va_session" --dtb "$(get dtb_$who)" --mode x64 --json || true)
  if [[ $json == *'"status":"valid"'* ]]; then
    pa=$(sed 's/.*"pa":"\(0x[0-9a-f]*\)".*/\1/' <<<"$json")
    valid_in+=("$who") frames+=("$((pa >> 12))")
  fi
done
distinct=$(printf '%s\n' "${frames[@]}" | sort -u | grep -c . || true)
echo
echo "=> $va_session is valid in ${#valid_in[@]} of 3 roots (${valid_in[*]:-none}):" \
  "$([ "${#valid_in[@]}" -lt 2 ] && echo "nothing to compare" ||
     { [ "$distinct" = "${#valid_in[@]}" ] && echo "a different physical page in each" ||
       echo "$distinct distinct physical page(s)"; })"
echo
echo "== a batch under the session-1 root: shared win32k page, transition, pagefile, demand-zero, kernel large page, user page"
printf '%s\n' 'fffff99b`3c079010' 'fffff99b`3c07a123' 'fffff99b`3c07b000' 'fffff99b`3c07c000' \
  "$(get va_kernel_large)" "$(get va_user)" | "$cli" vtop "$out/demo.raw" --batch - --dtb "$(get dtb_session1)" --mode x64
echo
echo "== the same, as JSON Lines"
printf '%s\n' 'fffff99b`3c078000' 'fffff99b`3c07b000' | "$cli" vtop "$out/demo.raw" --batch - --dtb "$(get dtb_session1)" --mode x64 --json
echo
echo "== the same memory as a Windows bitmap crash dump: the header gives mode and DTB (System)"
"$cli" info "$out/demo.dmp"
"$cli" vtop "$out/demo.dmp" "$(get va_kernel_large)"
echo
echo "== a Windows-like image (the built-in Windows 10 1809 layout, build 17763 in the dump header):"
echo "   System and smss.exe with no session, sessions 0, 1 and 2, per-session session space"
build/tests/support/ss-mkimage --windows 17763 --dmp "$out/win.dmp" "$out/win.raw" "$out/win.txt"
truth() { awk -v k="$1" '$1 == k { print $2 }' "$out/win.txt"; }
echo
echo "== sessions (kd !session)"
"$cli" sessions "$out/win.dmp"
echo
echo "== sprocess 1 (kd !sprocess 1), as JSON"
"$cli" sprocess "$out/win.dmp" 1 --json
echo
echo "== where: a win32kbase text page (one frame in every session)"
"$cli" where "$out/win.dmp" "$(truth shared_va)"
echo
echo "== where: a session data page (a frame per session), as JSON"
"$cli" where "$out/win.dmp" "$(truth private_va)" --json
echo
echo "== vtop in session 2's context (!session -s 2), then in System's (.process /P 4): no session space there"
"$cli" vtop "$out/win.dmp" "$(truth private_va)" --session 2
"$cli" vtop "$out/win.dmp" "$(truth private_va)" --process 4 || echo "(exit $?: not mapped under System's DTB)"
echo
echo "== u and db at the same session-space address in sessions 0 and 2 (kd: !session -s N; u / db):"
echo "   each session's own frame, so each shows its own bytes"
"$cli" u "$out/win.dmp" "$(truth private_va)" --session 0 -n 3
"$cli" u "$out/win.dmp" "$(truth private_va)" --session 2 -n 3
"$cli" db "$out/win.dmp" "$(truth private_va)" --session 2 -n 0x20
echo
echo "== db under System's DTB: the same address is unreadable there, and the dump says why"
"$cli" db "$out/win.dmp" "$(truth private_va)" -n 0x10 || echo "(exit $?: unreadable memory)"
echo
echo "== the same from Python: README.md's snippet (import sessionspace)"
awk '/^```python$/ { f = 1; next } f && /^```$/ { exit } f' README.md > "$out/snippet.py"
PYTHONPATH=build/bindings/python /usr/bin/python3 "$out/snippet.py"
echo
echo "== scan the raw image (no header, no symbols): page-table roots by their self-map, grouped"
echo "   into sessions by the frames of their session-space PML4 entries"
"$cli" scan "$out/win.raw"
echo
echo "== sessions on a raw image with no --dtb: the kernel DTB is found by scan (System's root,"
echo "   checked as PID 4's DirectoryTableBase); the layout comes from an ISF (a raw image has no build)"
build/tests/support/ss-mkimage --windows test-tree --isf "$out/tree.json" "$out/tree.raw" "$out/tree.txt"
"$cli" sessions "$out/tree.raw" --isf "$out/tree.json"
