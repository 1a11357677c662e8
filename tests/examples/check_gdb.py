#!/usr/bin/python3
"""examples/gdb/sessionspace_gdb.py in a real gdb, connected to a real QEMU gdbstub.

QEMU is started paused (-S: the CPU never runs) with a generated Windows-like memory
image (ss-mkimage --windows 17763) as its RAM; gdb loads the example, which reads
physical memory through the gdbstub (Qqemu.PhyMemMode) via the Python callback
source. Every expected line comes from the generator's ground truth (its .txt) or the
image's bytes at the PAs the truth names, never from the library.

usage: check_gdb.py MKIMAGE EXAMPLE TMPDIR   (PYTHONPATH: the bindings)
Exit 77 (skipped) when qemu-system-x86_64 or gdb is missing, unless CI=true.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time


def fail(msg):
    print(f"check_gdb: {msg}", file=sys.stderr)
    sys.exit(1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, proc, timeout=30):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            fail(f"QEMU exited with {proc.returncode} before its gdbstub listened")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    fail(f"QEMU's gdbstub did not listen on port {port} within {timeout} s")


def main():
    # ctest's timeout sends SIGTERM: unwind, so the finally below kills QEMU by its PID.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    mkimage, example, tmpdir = sys.argv[1:4]
    qemu, gdb = shutil.which("qemu-system-x86_64"), shutil.which("gdb")
    if not qemu or not gdb:
        missing = "qemu-system-x86_64" if not qemu else "gdb"
        if os.environ.get("CI") == "true":
            fail(f"{missing} is missing (CI=true: not skipped)")
        print(f"check_gdb: skipped: {missing} is not installed")
        return 77
    with tempfile.TemporaryDirectory(dir=tmpdir) as tmp:
        raw, txt = os.path.join(tmp, "win.raw"), os.path.join(tmp, "win.txt")
        subprocess.run([mkimage, "--windows", "17763", raw, txt], check=True, stdout=subprocess.DEVNULL)
        t, sessions, nproc = {}, [], 0
        with open(txt) as f:
            for line in f:
                w = line.split()
                if w[0] == "session":
                    sessions.append((int(w[1]), int(w[2], 16), int(w[3], 16), w[6:]))
                elif w[0] == "process":
                    nproc += 1
                elif len(w) == 2:
                    t[w[0]] = w[1]
        with open(raw, "rb") as f:
            image = f.read()
        size = len(image)
        if size % (1 << 20):
            fail(f"the image is {size} bytes, not whole MiB")
        h = lambda k: int(t[k], 16)  # noqa: E731

        port = free_port()
        # Paused, never running; the image is its RAM, read-only (a private mapping).
        # The generator keeps its structures above 1 MiB, clear of the PC's legacy
        # 0xa0000-0xfffff hole (VGA / BIOS ROM overlays).
        q = subprocess.Popen([qemu, "-S", "-display", "none", "-nodefaults", "-m", f"{size >> 20}M",
                              "-object", f"memory-backend-file,id=mem,size={size >> 20}M,mem-path={raw},"
                              "share=off,readonly=on", "-machine", "memory-backend=mem",
                              "-gdb", f"tcp:127.0.0.1:{port}"], stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            wait_listening(port, q)
            s1 = sessions[1]
            cmds = [f"target remote 127.0.0.1:{port}", f"source {example}",
                    f"ss-open --build {t['build']} --ps-head {t['ps_active_process_head']} --phys-size {size:#x}",
                    "ss-sessions", f"ss-where {t['private_va']}", f"ss-where {t['shared_va']}",
                    f"ss-db {t['private_va']} --session {s1[0]} -n 32",
                    f"ss-u {t['kernel_va']} -n 4",
                    "maint packet qqemu.PhyMemMode",  # back in virtual mode?
                    "ss-where zz", f"ss-db {t['private_va']} --session 99"]
            args = [gdb, "-batch", "-nx"]
            for c in cmds:
                args += ["-ex", c]
            r = subprocess.run(args, capture_output=True, text=True, timeout=600)
        finally:
            q.kill()
            q.wait()
        out = r.stdout + r.stderr
        lines = out.splitlines()

        def expect(line):
            if line not in lines:
                fail(f"expected the line\n  {line!r}\nin gdb's output:\n{out}")

        expect(f"sessionspace {_version()}: kernel DTB {h('system_dtb'):#x}, {nproc} processes, "
               f"{len(sessions)} sessions")
        for sid, va, _pa, members in sessions:
            expect(f"session {sid}: _MM_SESSION_SPACE {va:#x}, {len(members)} processes: {' '.join(members)}")
        want = [l for l in lines if l.startswith(f"{h('private_va'):#x}: region session, advice private: ")]
        if not want:
            fail(f"no private where answer for {t['private_va']}:\n{out}")
        for sid, _va, pa, _m in sessions:  # each session its own frame
            expect(f"  session {sid}: {pa:#x} (valid)")
        if not any(l.startswith(f"{h('shared_va'):#x}: region session, advice shared: ") for l in lines):
            fail(f"no shared where answer for {t['shared_va']}:\n{out}")
        shared = [l for l in lines if l == f"  session {sessions[0][0]}: {h('shared_pa'):#x} (valid)"]
        if not shared:
            fail(f"the shared frame {t['shared_pa']} is not listed:\n{out}")
        # ss-db through session 1: its private frame's bytes, from the image itself
        va, pa = h("private_va"), s1[2]
        for off in (0, 16):
            row = image[pa + off:pa + off + 16]
            text = "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in row)
            v = va + off
            expect(f"{v >> 32:08x}`{v & 0xFFFFFFFF:08x}  {' '.join(f'{b:02x}' for b in row):<47}  {text}")
        # ss-u: the instructions' bytes are the kernel page's, in order from kernel_va
        kva, kpa = h("kernel_va"), h("kernel_pa")
        insns = [l.split() for l in lines if l.startswith(f"{kva >> 32:08x}`")]
        if len(insns) != 4:
            fail(f"ss-u printed {len(insns)} instructions, not 4:\n{out}")
        code = bytes.fromhex("".join(i[1] for i in insns))
        if code != image[kpa:kpa + len(code)] or insns[0][0] != f"{kva >> 32:08x}`{kva & 0xFFFFFFFF:08x}":
            fail(f"ss-u's bytes are not the image's at {kpa:#x}:\n{out}")
        expect('received: "0"')  # QEMU's gdbstub back in virtual-address mode
        if not any("'zz' is not a number" in l or "invalid" in l and "zz" in l for l in lines):
            fail(f"no message for a bad VA:\n{out}")
        if not any("not_found" in l and "99" in l for l in lines):
            fail(f"no message for an unknown session:\n{out}")
        if "Traceback" in out:
            fail(f"a Python traceback:\n{out}")
    print("check_gdb: ok")
    return 0


def _version():
    import sessionspace
    return sessionspace.version()


if __name__ == "__main__":
    sys.exit(main())
