"""sessionspace.open_callback (physical reads served by a Python callable) and
Space.disasm (the disassembler through an address space).

Memory the tests build themselves: x64 page tables written into a bytearray here
(SDM Vol. 3A 4.5: PML4E / PDPTE / PDE / PTE, P = bit 0, R/W = bit 1), and code bytes
whose expected text is derived from their encodings (SDM Vol. 2), as in
tests/test_disasm.c:

  48 83 ec 28           REX.W + 83 /5 ib: SUB r/m64, imm8, ModRM ec = rsp  -> sub rsp, 28h
  c3                    RET near                                           -> ret
  48 8b 05 10 00 00 00  REX.W + 8B /r, ModRM 05 = rax, [RIP + disp32]      -> mov rax, qword ptr [rip + 10h]
  31 c0                 31 /r: XOR r/m32, r32, ModRM c0                    -> xor eax, eax
  06                    PUSH ES: invalid in 64-bit mode                    -> ??? (one bad byte)

The Windows model over a callback source is checked against `ss-mkimage --windows`'s
ground truth (its .txt), as tests/py/test_bindings_nt.py does for dump files.
"""
import gc
import mmap
import os
import struct
import subprocess
import sys
import tempfile
import unittest
import weakref

import sessionspace as ss

MKIMAGE = os.environ.get("SS_MKIMAGE", "ss-mkimage")

PML4, PDPT, PD, PT, CODE = 0x1000, 0x2000, 0x3000, 0x4000, 0x5000
CODE_VA = 0xFFFFF96000123000  # a session-space address of win32k on x64 before 1607
MEM = 0x10_0000  # 1 MiB of "physical memory"


def build():
    """1 MiB of memory: CODE_VA -> CODE (present), CODE_VA + 0x1000 not present."""
    m = bytearray(MEM)
    va = CODE_VA
    for table, index, nxt in ((PML4, (va >> 39) & 511, PDPT), (PDPT, (va >> 30) & 511, PD),
                              (PD, (va >> 21) & 511, PT), (PT, (va >> 12) & 511, CODE)):
        struct.pack_into("<Q", m, table + index * 8, nxt | 0x3)
    return m


class Reader:
    """A read_phys callable over a bytearray that counts its calls."""

    def __init__(self, mem):
        self.mem, self.calls = mem, 0

    def __call__(self, pa, n):
        self.calls += 1
        return bytes(self.mem[pa:pa + n])


class CallbackSource(unittest.TestCase):
    def setUp(self):
        self.mem = build()
        self.mem[CODE + 0x10:CODE + 0x14] = b"\x48\x83\xec\x28"

    def test_reads_and_translation_through_the_callable(self):
        r = Reader(self.mem)
        with ss.open_callback(r, MEM, paging_mode="x64", dtb=PML4, name="bytes") as src:
            self.assertEqual(src.format, "custom")
            self.assertEqual(src.ranges, [(0, MEM)])
            self.assertEqual(src.paging(), ("x64", PML4))
            self.assertEqual(src.read_phys(CODE + 0x10, 4), b"\x48\x83\xec\x28")
            self.assertGreaterEqual(r.calls, 1)
            sp = src.space()
            t = sp.translate(CODE_VA + 0x10)
            self.assertEqual((t.status, t.pa), ("ok", CODE + 0x10))
            self.assertEqual([e.pa for e in t.entries],
                             [PML4 + ((CODE_VA >> 39) & 511) * 8, PDPT + ((CODE_VA >> 30) & 511) * 8,
                              PD + ((CODE_VA >> 21) & 511) * 8, PT + ((CODE_VA >> 12) & 511) * 8])
            self.assertEqual(sp.read(CODE_VA + 0x10, 4), b"\x48\x83\xec\x28")
            self.assertEqual(sp.translate(CODE_VA + 0x1000).status, "not_present")
            # past phys_size: refused without calling
            before = r.calls
            with self.assertRaises(ss.ReadError) as cm:
                src.read_phys(MEM, 1)
            self.assertEqual(cm.exception.status_name, "range")
            self.assertEqual(r.calls, before)

    def test_cpu_callable_gives_mode_and_root(self):
        regs = {"cr0": 0x80050033, "cr3": PML4, "cr4": 0x20 | 0x80, "efer": 0x500}  # PG, PAE, LMA|LME
        with ss.open_callback(Reader(self.mem), MEM, cpu=lambda: regs) as src:
            self.assertEqual(src.paging(), ("x64", PML4))
            self.assertEqual(src.cpus[0]["cr3"], PML4)
            regs["cr3"] = PD  # live: asked again
            self.assertEqual(src.cpus[0]["cr3"], PD)
        with ss.open_callback(Reader(self.mem), MEM, cpu=lambda: 42) as src:
            with self.assertRaises(ss.Error):
                src.cpus

    def test_generation_flushes(self):
        gen = [0]
        r = Reader(self.mem)
        with ss.open_callback(r, MEM, paging_mode="x64", dtb=PML4, generation=lambda: gen[0]) as src:
            sp = src.space()
            self.assertEqual(sp.pa(CODE_VA), CODE)
            struct.pack_into("<Q", self.mem, PT + ((CODE_VA >> 12) & 511) * 8, 0x6000 | 3)
            gen[0] += 1  # the "target ran": the cached translation must not be used
            self.assertEqual(sp.pa(CODE_VA), 0x6000)

    def test_misbehaving_callables_become_statuses(self):
        def raises(pa, n):
            raise ValueError("boom")

        def short(pa, n):
            return b"\x01" * (n // 2)

        def long(pa, n):
            return b"\x01" * (n + 1)

        def not_bytes(pa, n):
            return 7

        def no_page(pa, n):
            raise ss.ReadError(ss.STATUS_CODES["no_page"], "not there")

        for fn, status, text in ((raises, "io", "raised ValueError: boom"), (short, "short_read", "returned only 2 bytes"),
                                 (long, "corrupt", "returned 5 bytes, more than asked"),
                                 (not_bytes, "invalid_arg", "returned a int, not bytes"),
                                 (no_page, "no_page", "raised ReadError: no_page: not there")):
            with self.subTest(fn.__name__), ss.open_callback(fn, MEM) as src:
                with self.assertRaises(ss.Error) as cm:
                    src.read_phys(0x2000, 4)
                self.assertEqual(cm.exception.status_name, status)
                self.assertIn(f"read_phys(0x2000, 4) {text}", cm.exception.message)
                if fn is short:
                    self.assertEqual(cm.exception.data, b"\x01\x01")
                if fn in (raises, no_page):
                    self.assertIsInstance(cm.exception.__cause__, ValueError if fn is raises else ss.ReadError)
                # the source still works after a failure, and a translation reports it
                sp = src.space(PML4, "x64")
                # a table the host cannot read: SS_E_PT_READ ("read_error"), or SS_E_BAD_PFN
                # when the host says the frame is not there
                self.assertEqual(sp.translate(CODE_VA).status, "bad_pfn" if fn is no_page else "read_error")

    def test_no_stale_callable_message(self):
        def reader(pa, n):
            if PT <= pa < PT + 0x1000:
                raise ValueError("the PT frame")
            return bytes(self.mem[pa:pa + n])

        with ss.open_callback(reader, MEM, paging_mode="x64", dtb=PML4) as src:
            self.assertEqual(src.space().translate(CODE_VA).status, "read_error")  # a failure, not raised
            with self.assertRaises(ss.ReadError) as cm:
                src.read_phys(MEM, 1)  # refused by the library, the callable not called
            self.assertEqual(cm.exception.status_name, "range")
            self.assertNotIn("the PT frame", str(cm.exception))
            self.assertIsNone(cm.exception.__cause__)

    def test_bytes_like_answers(self):
        for conv in (bytearray, memoryview, lambda b: memoryview(bytearray(b))):
            with ss.open_callback(lambda pa, n: conv(bytes(self.mem[pa:pa + n])), MEM) as src:
                self.assertEqual(src.read_phys(CODE + 0x10, 4), b"\x48\x83\xec\x28")

    def test_bad_arguments(self):
        with self.assertRaises(ss.InvalidArgument):
            ss.open_callback(42, MEM)
        with self.assertRaises(ss.InvalidArgument):
            ss.open_callback(Reader(self.mem), MEM, cpu="no")
        with self.assertRaises(ss.InvalidArgument) as cm:
            ss.open_callback(Reader(self.mem), 4097)  # not a multiple of 4096
        self.assertIn("phys_size", cm.exception.message)
        with self.assertRaises(ss.InvalidArgument):
            ss.open_callback(Reader(self.mem), -1)
        with self.assertRaises(ss.InvalidArgument):
            ss.open_callback(Reader(self.mem), MEM, paging_mode="z80")

    def test_callable_lives_as_long_as_the_source(self):
        r = Reader(self.mem)
        ref = weakref.ref(r)
        base = sys.getrefcount(r)
        src = ss.open_callback(r, MEM, paging_mode="x64", dtb=PML4)
        self.assertEqual(sys.getrefcount(r), base + 1)  # held by the C context
        sp = src.space()
        del r
        src.close()  # the Space still reads through it
        self.assertIsNotNone(ref())
        self.assertEqual(sp.read(CODE_VA + 0x10, 1), b"\x48")
        sp.close()
        gc.collect()
        self.assertIsNone(ref())  # released with the source
        with self.assertRaises(ss.ClosedError):
            src.read_phys(0, 1)
        # a failed open releases it too
        r2 = Reader(self.mem)
        base = sys.getrefcount(r2)
        with self.assertRaises(ss.InvalidArgument):
            ss.open_callback(r2, 4097)
        self.assertEqual(sys.getrefcount(r2), base)


class Disasm(unittest.TestCase):
    def setUp(self):
        self.mem = build()
        code = (b"\x48\x83\xec\x28" b"\xc3" b"\x48\x8b\x05\x10\x00\x00\x00" b"\x06" b"\x31\xc0")
        self.mem[CODE + 0x456:CODE + 0x456 + len(code)] = code
        # the last page bytes: a 7-byte mov whose last 3 bytes would be on the next,
        # not-present page
        self.mem[CODE + 0xFFC:CODE + 0x1000] = b"\x48\x8b\x05\x10"
        self.mem[CODE + 0xFFB] = 0xC3
        self.src = ss.open_callback(Reader(self.mem), MEM, paging_mode="x64", dtb=PML4)
        self.sp = self.src.space()
        self.addCleanup(self.src.close)
        self.addCleanup(self.sp.close)

    def test_exact_instructions(self):
        d = self.sp.disasm(CODE_VA + 0x456, 5)
        got = [(i.address, i.bytes, i.mnemonic, i.op_str, i.bad) for i in d]
        self.assertEqual(got, [
            (CODE_VA + 0x456, b"\x48\x83\xec\x28", "sub", "rsp, 28h", False),
            (CODE_VA + 0x45A, b"\xc3", "ret", "", False),
            (CODE_VA + 0x45B, b"\x48\x8b\x05\x10\x00\x00\x00", "mov", "rax, qword ptr [rip + 10h]", False),
            (CODE_VA + 0x462, b"\x06", "???", "", True),
            (CODE_VA + 0x463, b"\x31\xc0", "xor", "eax, eax", False),
        ])
        self.assertIsNone(d.stop)  # ended by count
        self.assertEqual(list(d), [])

    def test_syntaxes_and_bits(self):
        self.assertEqual([(i.mnemonic, i.op_str) for i in self.sp.disasm(CODE_VA + 0x456, 1, syntax="intel")],
                         [("sub", "rsp, 0x28")])
        self.assertEqual([(i.mnemonic, i.op_str) for i in self.sp.disasm(CODE_VA + 0x456, 1, syntax="att")],
                         [("subq", "$0x28, %rsp")])
        # 48 is DEC eax in 32-bit code (SDM Vol. 2A, DEC: 48+rd), then 83 /5 ib
        self.assertEqual([(i.size, i.mnemonic, i.op_str) for i in self.sp.disasm(CODE_VA + 0x456, 2, bits=32)],
                         [(1, "dec", "eax"), (3, "sub", "esp, 28h")])

    def test_stops_at_the_unreadable_page_and_says_why(self):
        d = self.sp.disasm(f"{CODE_VA >> 32:x}`{(CODE_VA + 0xFFB) & 0xFFFFFFFF:08x}")  # kd text
        got = [(i.address, i.mnemonic) for i in d]
        self.assertEqual(got, [(CODE_VA + 0xFFB, "ret")])
        self.assertEqual((d.stop.status, d.stop.insn_va, d.stop.va, d.stop.nbytes),
                         ("not_present", CODE_VA + 0xFFC, CODE_VA + 0x1000, 4))
        self.assertEqual(d.stop.translation.state, "not_present")
        self.assertEqual(d.stop.translation.level, "pte")

    def test_bad_arguments_and_closed_space(self):
        for kw in ({"bits": 8}, {"syntax": "nasm"}, {"count": -1}, {"count": "3"}):
            with self.subTest(kw), self.assertRaises(ss.InvalidArgument):
                self.sp.disasm(CODE_VA, **kw)
        with self.assertRaises(ss.BadNumber):
            self.sp.disasm("zz")
        d = self.sp.disasm(CODE_VA + 0x456)
        self.assertEqual(next(d).mnemonic, "sub")
        self.assertEqual(d.position, CODE_VA + 0x45A)
        self.sp.close()
        with self.assertRaises(ss.ClosedError):
            next(d)
        with self.assertRaises(ss.ClosedError):
            self.sp.disasm(CODE_VA)


@unittest.skipUnless(ss.HAVE_NT_MODEL and ss.HAVE_SCAN, "this build has no Windows model or scan")
class ModelOverCallback(unittest.TestCase):
    """The Windows model over a callback source serving ss-mkimage's raw image."""

    def test_sessions_and_where(self):
        with tempfile.TemporaryDirectory(dir=os.environ.get("SS_TMPDIR")) as tmp:
            raw, txt = os.path.join(tmp, "w.raw"), os.path.join(tmp, "w.txt")
            r = subprocess.run([MKIMAGE, "--windows", "17763", raw, txt], capture_output=True, text=True)
            if r.returncode != 0:
                self.skipTest("ss-mkimage has no --windows")
            truth, sessions = {}, []
            with open(txt) as f:
                for line in f:
                    w = line.split()
                    if w[0] == "session":
                        sessions.append((int(w[1]), int(w[2], 16), int(w[3], 16), [int(x) for x in w[6:]]))
                    elif len(w) == 2:
                        truth[w[0]] = w[1]
            with open(raw, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
                reader = Reader(m)
                with ss.open_callback(reader, len(m), name="mkimage") as src:
                    # header-less: the root from the scan (the generator's tables are sparse)
                    roots = [c["dtb"] for c in src.scan(min_kernel_entries=1, min_zero_entries=1)]
                    self.assertIn(int(truth["system_dtb"], 16), roots)
                    src.model(dtb=int(truth["system_dtb"], 16), build=int(truth["build"]),
                              ps_active_process_head=int(truth["ps_active_process_head"], 16))
                    self.assertEqual([(s.id, s.va, s.process_count) for s in src.sessions()],
                                     [(i, va, len(members)) for i, va, _pa, members in sessions])
                    w = src.where(int(truth["private_va"], 16))
                    self.assertEqual((w.region, w.shared), ("session", False))
                    self.assertEqual([(e["session"], e["pa"]) for e in w.entries],
                                     [(i, pa) for i, _va, pa, _m in sessions])
                    w = src.where(int(truth["shared_va"], 16))
                    self.assertEqual((w.advice, w.shared), ("shared", True))
                    self.assertEqual({e["pa"] for e in w.entries}, {int(truth["shared_pa"], 16)})
                    sp = src.sessions()[1].space()
                    self.assertEqual(sp.pa(int(truth["private_va"], 16)), sessions[1][2])
                    sp.close()
                    self.assertGreater(reader.calls, 0)


if __name__ == "__main__":
    unittest.main()
