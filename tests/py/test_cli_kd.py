"""The CLI on kd: sources, against a small gdbstub written here in Python.

The stub serves the demo image of ss-mkimage (a raw file: offset == physical address)
over the GDB remote serial protocol as QEMU's gdbstub does (an unsolicited stop reply on
connect, acks on, PacketSize=1000, Qqemu.PhyMemMode, a target description with cr0 at
regnum 27, `D;1` to detach), with vCPU 0 running on session 1's page tables. Expected
addresses are the ones tests/support/mkimage.c places (session 0's private page at
8 MiB, session 1's at 9 MiB). Run by ctest with SS_CLI, SS_MKIMAGE and SS_TMPDIR set.
"""
import json
import os
import socket
import subprocess
import tempfile
import threading
import time
import unittest

CLI = os.environ.get("SS_CLI", "sessionspace")
MKIMAGE = os.environ.get("SS_MKIMAGE", "ss-mkimage")
MiB = 1 << 20

TARGET_XML = ('<?xml version="1.0"?><target><architecture>i386:x86-64</architecture>'
              '<feature name="org.gnu.gdb.i386.sys"><!-- <reg name="cr3" bitsize="64"/> -->'
              '<reg name="cr0" bitsize="64" regnum="27"/><reg name="cr2" bitsize="64"/>'
              '<reg name="cr3" bitsize="64"/><reg name="cr4" bitsize="64"/><reg name="cr8" bitsize="64"/>'
              '<reg name="efer" bitsize="64"/></feature></target>')


def frame(payload):
    data = payload.encode("latin-1")
    return b"$" + data + b"#%02x" % (sum(data) & 0xFF)


class Stub:
    """One connection at a time; silent=True accepts and never answers."""

    def __init__(self, image, cr3, silent=False):
        self.image, self.cr3, self.silent = image, cr3, silent
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.detached = 0
        self.stop = False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def close(self):
        self.stop = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the accept() of the thread
        except OSError:
            pass
        self.sock.close()
        self.thread.join(timeout=5)

    def regs(self, n):
        return {27: 0x80000011, 28: 0, 29: self.cr3, 30: 0x20, 31: 0, 32: 0x500}.get(n)

    def answer(self, p):
        if p.startswith("qSupported"):
            return "PacketSize=1000;qXfer:features:read+;multiprocess+"
        if p == "?":
            return "T05thread:p01.01;"
        if p in ("Qqemu.PhyMemMode:1", "Hgp01.01"):
            return "OK"
        if p == "qfThreadInfo":
            return "mp01.01"
        if p == "qsThreadInfo":
            return "l"
        if p.startswith("qXfer:features:read:target.xml:"):
            off, length = (int(x, 16) for x in p.rsplit(":", 1)[1].split(","))
            chunk = TARGET_XML[off:off + length]
            return ("l" if off + length >= len(TARGET_XML) else "m") + chunk
        if p.startswith("p"):
            v = self.regs(int(p[1:], 16))
            return "E14" if v is None else v.to_bytes(8, "little").hex()
        if p.startswith("m"):
            addr, length = (int(x, 16) for x in p[1:].split(","))
            if length > 2048:
                return "E22"
            with open(self.image, "rb") as f:
                f.seek(addr)
                data = f.read(length)
            return data.hex() if len(data) == length else "E14"
        if p == "D":
            return "E22"  # QEMU with multiprocess on
        if p == "D;1":
            self.detached += 1
            return "OK"
        return ""

    def serve(self):
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                if self.silent:
                    while conn.recv(4096):
                        pass
                    continue
                conn.sendall(frame("T02thread:01;"))
                buf = b""
                while True:
                    data = conn.recv(65536)
                    if not data:
                        break
                    buf += data
                    while b"#" in buf and b"$" in buf:
                        start = buf.index(b"$")
                        end = buf.index(b"#", start)
                        if len(buf) < end + 3:
                            break
                        payload = buf[start + 1:end].decode("latin-1")
                        buf = buf[end + 3:]
                        conn.sendall(b"+" + frame(self.answer(payload)))


def run(*args):
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=60)


class KdCli(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(dir=os.environ.get("SS_TMPDIR"))
        cls.image = os.path.join(cls.tmp.name, "demo.raw")
        meta = subprocess.run([MKIMAGE, cls.image], capture_output=True, text=True, check=True).stdout
        cls.meta = dict(line.split() for line in meta.splitlines())
        cls.cr3 = int(cls.meta["dtb_session1"], 16)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def setUp(self):
        self.stub = Stub(self.image, self.cr3)
        self.spec = f"kd:tcp:127.0.0.1:{self.stub.port}"

    def tearDown(self):
        self.stub.close()

    def test_info_takes_mode_and_cr3_from_the_stub(self):
        r = run("info", self.spec, "--json")
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        info = json.loads(r.stdout)
        self.assertEqual((info["format"], info["mode"], int(info["dtb"], 16)), ("kd", "x64", self.cr3))
        self.assertEqual(int(info["cpus"][0]["cr3"], 16), self.cr3)
        self.assertEqual(int(info["cpus"][0]["cr0"], 16), 0x80000011)
        self.assertEqual(self.stub.detached, 1)  # the CLI detached: the guest runs again

    def test_vtop_through_the_stub(self):
        va = "fffff99b`3c078c87"
        r = run("vtop", self.spec + ",onclose=stay", va, "--json")  # vCPU 0's CR3: session 1
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        t = json.loads(r.stdout)
        self.assertEqual((t["status"], int(t["pa"], 16), t["mode"]), ("valid", 9 * MiB + 0xC87, "x64"))
        self.assertEqual(self.stub.detached, 0)  # onclose=stay
        r = run("vtop", self.spec, va, "--dtb", self.meta["dtb_session0"], "--json")
        self.assertEqual(int(json.loads(r.stdout)["pa"], 16), 8 * MiB + 0xC87)

    def test_nobody_listening(self):
        s = socket.socket()  # a port nobody listens on: bound, never listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        r = run("info", f"kd:tcp:127.0.0.1:{port}")
        self.assertEqual(r.returncode, 3)
        self.assertIn("cannot connect", r.stderr)

    def test_busy_stub_times_out_with_a_reason(self):
        silent = Stub(self.image, self.cr3, silent=True)
        try:
            t0 = time.monotonic()
            r = run("vtop", f"kd:tcp:127.0.0.1:{silent.port},timeout=300", "0")
            self.assertLess(time.monotonic() - t0, 10)
            self.assertEqual(r.returncode, 3)
            self.assertIn("one gdb client at a time", r.stderr)
        finally:
            silent.close()


if __name__ == "__main__":
    unittest.main()
