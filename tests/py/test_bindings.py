"""The Python bindings (import sessionspace) on images written by ss-mkimage.

Expected translations are the mappings tests/support/mkimage.c builds (the roots and
VAs come from its .txt sidecar; session 0's private page at 8 MiB, session 1's at
9 MiB, the shared frame at 10 MiB, a transition page at 0xB00000, a 2 MiB kernel page
at 4 MiB); expected bytes are read from the raw image file itself (file offset ==
physical address), never from the library. Run by ctest with PYTHONPATH at the built
module and SS_MKIMAGE / SS_TMPDIR / SS_SOURCE_DIR set.
"""
import array
import gc
import os
import re
import struct
import subprocess
import sys
import tempfile
import unittest
import weakref

import sessionspace as ss

MKIMAGE = os.environ.get("SS_MKIMAGE", "ss-mkimage")
SOURCE_DIR = os.environ.get("SS_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
MiB = 1 << 20


class Image(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(dir=os.environ.get("SS_TMPDIR"))
        cls.raw = os.path.join(cls.tmp.name, "demo.raw")
        cls.dmp = os.path.join(cls.tmp.name, "demo.dmp")
        txt = os.path.join(cls.tmp.name, "demo.txt")
        subprocess.run([MKIMAGE, "--dmp", cls.dmp, cls.raw, txt], check=True, capture_output=True)
        with open(txt) as f:
            cls.meta = {k: int(v, 16) for k, v in (line.split() for line in f)}
        with open(cls.raw, "rb") as f:
            cls.mem = f.read()
        cls.sva = cls.meta["va_session"]

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def space(self, who, path=None):
        src = ss.open(path or self.raw)
        self.addCleanup(src.close)
        sp = src.space(self.meta["dtb_" + who], "x64")
        self.addCleanup(sp.close)
        return sp


class SourceTests(Image):
    def test_raw_source(self):
        with ss.open(self.raw) as src:
            self.assertEqual(src.format, "raw")
            self.assertEqual(src.ranges, [(0, len(self.mem))])
            self.assertEqual(src.max_pa, len(self.mem))
            info = src.info
            self.assertEqual((info["flags"], info["has_dtb"], info["paging_mode_name"]), (0, False, "auto"))
            for pa, n in ((0, 16), (8 * MiB, 64), (10 * MiB - 5, 10), (len(self.mem) - 3, 3)):
                self.assertEqual(src.read_phys(pa, n), self.mem[pa:pa + n])
            self.assertEqual(src.read_phys(0, 0), b"")

    def test_dump_header(self):
        with ss.open(self.dmp) as src:
            self.assertEqual(src.format, "crashdump64")
            info = src.info
            self.assertEqual(info["directory_table_base"], self.meta["dtb_system"])
            self.assertEqual((info["build"], info["number_processors"], info["bugcheck_code"]), (19041, 2, 0xE2))
            self.assertEqual(info["ps_active_process_head"], self.meta["va_kernel"] + 0x1000)
            self.assertEqual((info["paging_mode_name"], info["machine_type"]), ("x64", 0x8664))
            self.assertTrue(info["has_windows_header"] and info["has_dtb"])
            # The dump holds the pages mkimage wrote: each range's bytes are the raw image's.
            ranges = src.ranges
            self.assertIn((8 * MiB, 4096), ranges)
            for start, size in ranges:
                self.assertEqual(src.read_phys(start, size), self.mem[start:start + size])
            self.assertEqual(src.paging(), ("x64", self.meta["dtb_system"]))

    def test_open_errors(self):
        missing = os.path.join(self.tmp.name, "no-such-file")
        with self.assertRaises(ss.NotFound) as cm:
            ss.open(missing)
        e = cm.exception
        self.assertEqual((e.status_name, e.status), ("not_found", ss.STATUS_CODES["not_found"]))
        self.assertIn(missing, e.message)
        self.assertIsInstance(e, ss.Error)
        junk = os.path.join(self.tmp.name, "junk")
        with open(junk, "wb") as f:
            f.write(b"hello, not a dump" * 100)
        with self.assertRaises(ss.FormatError) as cm:
            ss.open("dmp:" + junk)
        self.assertEqual(cm.exception.status_name, "format")
        self.assertIn("not a Windows crash dump", str(cm.exception))
        empty = os.path.join(self.tmp.name, "empty")
        open(empty, "wb").close()
        with self.assertRaises(ss.FormatError) as cm:
            ss.open(empty)
        self.assertEqual(cm.exception.status_name, "empty")
        with self.assertRaises(ss.FormatError) as cm:
            ss.open(self.tmp.name)
        self.assertEqual(cm.exception.status_name, "is_dir")
        with self.assertRaises(ss.Unsupported) as cm:
            ss.open("bogus:" + junk)
        self.assertEqual(cm.exception.status_name, "unsupported")

    def test_pread_survives_truncation(self):
        # A copy of the image, opened with pread=True, then cut to 1 MiB under the open
        # source: reads past the cut raise "truncated"; bytes before it still read.
        path = os.path.join(self.tmp.name, "shrinking.raw")
        with open(path, "wb") as f:
            f.write(self.mem)
        with ss.open("raw:" + path, pread=True) as src:
            self.assertEqual(src.read_phys(8 * MiB, 16), self.mem[8 * MiB:8 * MiB + 16])
            os.truncate(path, MiB)
            with self.assertRaises(ss.Error) as cm:
                src.read_phys(8 * MiB, 16)
            self.assertEqual(cm.exception.status_name, "truncated")
            self.assertEqual(src.read_phys(4096, 16), self.mem[4096:4096 + 16])

    def test_read_phys_errors(self):
        with ss.open(self.dmp) as src:
            # 2 MiB is not in the dump (mkimage writes nothing there): no_page, not zeros.
            self.assertNotIn(2 * MiB, [s for s, _ in src.ranges])
            with self.assertRaises(ss.ReadError) as cm:
                src.read_phys(2 * MiB, 4)
            self.assertEqual(cm.exception.status_name, "no_page")
            # A read running off the end of a present page keeps the valid prefix.
            with self.assertRaises(ss.ReadError) as cm:
                src.read_phys(8 * MiB + 4090, 16)
            self.assertEqual(cm.exception.data, self.mem[8 * MiB + 4090:8 * MiB + 4096])
        with ss.open(self.raw) as src:
            with self.assertRaises(ss.ReadError) as cm:
                src.read_phys(len(self.mem), 1)
            self.assertEqual(cm.exception.status_name, "range")
            for bad in (-1, ss.capi.ssp_max_read() + 1, 1 << 70):
                with self.assertRaises(ss.InvalidArgument) as cm:
                    src.read_phys(0, bad)
                self.assertEqual(cm.exception.status_name, "invalid_arg")
            with self.assertRaises(ss.BadNumber):
                src.read_phys(-4096, 1)
            with self.assertRaises(ss.InvalidArgument):
                src.read_phys(0, "12")


class TranslateTests(Image):
    def test_session_va_per_root(self):
        va = self.sva + 0xC87
        t = self.space("system").translate("fffff99b`3c078c87")
        self.assertEqual((t.va, t.state, t.status, t.pa, t.level, t.ok), (va, "not_present", "not_present", None,
                                                                          "pml4e", False))
        self.assertEqual(len(t.entries), 1)
        t0 = self.space("session0").translate(va)
        self.assertEqual((t0.state, t0.status, t0.pa, t0.page_size), ("valid", "ok", 8 * MiB + 0xC87, 4096))
        t1 = self.space("session1").translate(va)
        self.assertEqual((t1.status, t1.pa, t1.rw, t1.us, t1.large), ("ok", 9 * MiB + 0xC87, True, False, False))
        self.assertIs(t1.in_source, True)
        self.assertIsNone(t.in_source)  # nothing mapped
        self.assertEqual([e.level for e in t1.entries], ["pml4e", "pdpte", "pde", "pte"])
        # Every entry's value is the 8 bytes at its address in the image; the chain links up.
        for e in t1.entries:
            self.assertEqual(e.value, struct.unpack_from("<Q", self.mem, e.pa)[0])
        self.assertEqual(t1.entries[0].pa, self.meta["dtb_session1"] + ((va >> 39) & 0x1FF) * 8)
        self.assertEqual(t1.entries[-1].value & 0xFFFFFFFFF000, 9 * MiB)

    def test_software_states_and_large_page(self):
        sp = self.space("session1")
        t = sp.translate(self.sva + 0x2123)
        self.assertEqual((t.state, t.status, t.pa, t.protection), ("transition", "ok", 0xB00123, 4))
        p = sp.translate(self.sva + 0x3000)
        self.assertEqual((p.state, p.status, p.pa, p.pagefile), ("pagefile", "pagefile", None, (0, 0x12345000)))
        d = sp.translate(self.sva + 0x4000)
        self.assertEqual((d.state, d.status, d.pa), ("demand_zero", "demand_zero", None))
        k = sp.translate(self.meta["va_kernel_large"] + 0x12345)
        self.assertEqual((k.state, k.pa, k.page_size, k.large, k.nx, k.global_),
                         ("valid", 4 * MiB + 0x12345, 2 * MiB, True, True, True))
        n = sp.translate(0xFFFF000000000000)
        self.assertEqual((n.state, n.status, n.entries), ("noncanonical", "noncanonical", []))
        u = sp.translate(self.meta["va_user"] + 5)
        self.assertEqual((u.pa, u.us, u.nx), (13 * MiB + 5, True, True))

    def test_pa_fast_path(self):
        sp = self.space("session0")
        self.assertEqual(sp.pa(self.sva + 0x1010), 10 * MiB + 0x10)
        with self.assertRaises(ss.TranslationError) as cm:
            self.space("session1").pa(self.sva + 0x3000)
        self.assertEqual(cm.exception.status_name, "pagefile")

    def test_dump_space_from_header(self):
        with ss.open(self.dmp) as src:
            sp = src.space()  # DTB and mode from the dump header
            self.assertEqual((sp.dtb, sp.mode), (self.meta["dtb_system"], "x64"))
            self.assertEqual(sp.translate(self.meta["va_kernel"] + 0x3004).pa, 0x103004)
            s1 = src.space(hex(self.meta["dtb_session1"]))
            self.assertEqual(s1.read(self.sva, 22), b"win32k session 1 data\0")
            s1.close()
            sp.close()

    def test_valid_but_not_in_dump(self):
        """mkimage writes only the first page of the 2 MiB kernel page, and the dump
        writer stores exactly the pages the image holds: the next page is mapped
        (valid) but not in the dump, and reading it says so."""
        with ss.open(self.dmp) as src, src.space() as sp:
            va = self.meta["va_kernel_large"] + 0x1008
            t = sp.translate(va)
            self.assertEqual((t.state, t.status, t.pa, t.in_source), ("valid", "ok", 4 * MiB + 0x1008, False))
            self.assertIs(sp.translate(self.meta["va_kernel_large"] + 8).in_source, True)
            with self.assertRaises(ss.ReadError) as cm:
                sp.read(self.meta["va_kernel_large"] + 0xFF0, 32)
            self.assertEqual((cm.exception.status_name, cm.exception.data),
                             ("no_page", self.mem[4 * MiB + 0xFF0:4 * MiB + 0x1000]))

    def test_read_bytes(self):
        sp = self.space("session0")
        self.assertEqual(sp.read(self.sva + 0x10, 0x100), self.mem[8 * MiB + 0x10:8 * MiB + 0x110])
        # Across the page boundary into the shared frame at 10 MiB.
        self.assertEqual(sp.read(self.sva + 0xFF0, 32), self.mem[8 * MiB + 0xFF0:8 * MiB + 0x1000] +
                         self.mem[10 * MiB:10 * MiB + 16])
        big = self.meta["va_kernel_large"]
        self.assertEqual(sp.read(big + 1000, 3 * 4096), self.mem[4 * MiB + 1000:4 * MiB + 1000 + 3 * 4096])

    def test_read_errors(self):
        sp = self.space("session1")
        with self.assertRaises(ss.TranslationError) as cm:
            sp.read(self.sva + 0x3000 - 8, 16)  # runs into the paged-out page
        e = cm.exception
        self.assertEqual((e.status_name, e.data), ("pagefile", self.mem[0xB00FF8:0xB01000]))
        with self.assertRaises(ss.TranslationError) as cm:
            self.space("system").read(self.sva, 1)
        self.assertEqual(cm.exception.status_name, "not_present")
        for bad in (-1, 1 << 40):
            with self.assertRaises(ss.InvalidArgument) as cm:
                sp.read(self.sva, bad)
            self.assertEqual(cm.exception.status_name, "invalid_arg")

    def test_va_errors(self):
        sp = self.space("session0")
        for bad in ("fffff99b`3c07", "not-a-va", "", "0x1" + "0" * 16):
            with self.assertRaises(ss.BadNumber) as cm:
                sp.translate(bad)
            self.assertEqual(cm.exception.status_name, "bad_number")
        for bad in (-1, 1 << 64, 1.5, None):
            with self.assertRaises(ss.BadNumber) as cm:
                sp.translate(bad)
            self.assertEqual(cm.exception.status_name, "bad_number")
        self.assertIsInstance(cm.exception, ValueError)

    def test_space_errors(self):
        with ss.open(self.raw) as src:
            with self.assertRaises(ss.Unsupported) as cm:
                src.space()  # a raw image records no root
            self.assertEqual(cm.exception.status_name, "unsupported")
            with self.assertRaises(ss.Unsupported) as cm:
                src.space(self.meta["dtb_system"])  # nor a mode
            if hasattr(ss.capi, "ss_space_open_ex"):  # the library's reason is in the message
                self.assertIn("records no paging mode", cm.exception.message)
            with self.assertRaises(ss.InvalidArgument) as cm:
                src.space(self.meta["dtb_system"], "arm64")
            with self.assertRaises(ss.InvalidArgument) as cm:
                src.space(self.meta["dtb_system"], 9)
            # A PAE CR3 holds a 32-bit address: a root above 4 GiB is refused by the library.
            with self.assertRaises(ss.InvalidArgument) as cm:
                src.space(1 << 33, "pae")
            self.assertEqual(cm.exception.status_name, "invalid_arg")


class OptionsTests(Image):
    def test_cache_options(self):
        with ss.open(self.raw) as src:
            with src.space(self.meta["dtb_session0"], "x64", no_cache=True) as sp:
                self.assertEqual(sp.pa(self.sva), 8 * MiB)
                self.assertEqual(sp.cache_stats()["entries"], 0)
            with src.space(self.meta["dtb_session0"], "x64", cache_entries=1000) as sp:
                self.assertEqual(sp.pa(self.sva), 8 * MiB)
                self.assertEqual(sp.cache_stats()["entries"], 1024)  # rounded up to a power of two
            for bad in ({"cache_entries": 1 << 40}, {"cache_entries": (1 << 28) + 1}, {"pte_layout": "win9"}):
                with self.assertRaises(ss.InvalidArgument, msg=repr(bad)):
                    src.space(self.meta["dtb_session0"], "x64", **bad)

    def test_win7_pte_layout(self):
        """The same paged-out PTE decoded with the Windows 7 layout: PageFileLow in bits
        1-4, PageFileHigh in bits 32-63 (the published _MMPTE_SOFTWARE of Windows 7 x64)."""
        with ss.open(self.raw) as src, src.space(self.meta["dtb_session1"], "x64", pte_layout="win7") as sp:
            t = sp.translate(self.sva + 0x3000)
            pte = t.entries[-1].value
            self.assertEqual(pte, struct.unpack_from("<Q", self.mem, t.entries[-1].pa)[0])
            self.assertEqual(t.state, "pagefile")
            self.assertEqual(t.pagefile, ((pte >> 1) & 0xF, (pte >> 32) << 12))

    def test_reserved_root_bits(self):
        with ss.open(self.raw) as src:
            with self.assertRaises(ss.Error) as cm:
                src.space(self.meta["dtb_session0"] | (1 << 60), "x64")
            self.assertEqual(cm.exception.status_name, "reserved_bit")


class BatchTests(Image):
    def mixed_vas(self):
        s, k = self.sva, self.meta
        return [s + 0xC87, s + 0x1000, s + 0x2123, s + 0x3000, s + 0x4000, s + 0x5000, 0xFFFF000000000000,
                k["va_kernel_large"] + 0x1FFFFF, k["va_kernel"] + 0xF008, k["va_user"], 0, (1 << 64) - 1]

    def expected(self, sp, vas):
        return [((t.pa if t.ok else 0), t.status) for t in map(sp.translate, vas)]

    def test_many_equals_single(self):
        sp = self.space("session1")
        vas = self.mixed_vas()
        want = self.expected(sp, vas)
        self.assertEqual(want[0], (9 * MiB + 0xC87, "ok"))
        self.assertEqual([w[1] for w in want], ["ok", "ok", "ok", "pagefile", "demand_zero", "not_present",
                                                "noncanonical", "ok", "ok", "ok", "not_present", "not_present"])
        packed = struct.pack(f"<{len(vas)}Q", *vas)
        unaligned = memoryview(b"x" + packed)[1:]
        inputs = {"list": vas, "tuple": tuple(vas), "generator": (v for v in vas), "array": array.array("Q", vas),
                  "bytes": packed, "bytearray": bytearray(packed), "memoryview": memoryview(array.array("Q", vas)),
                  "unaligned": unaligned, "text": [f"{v:x}" for v in vas]}
        for name, obj in inputs.items():
            with self.subTest(input=name):
                r = sp.translate_many(obj)
                self.assertIsInstance(r.pas, array.array)
                self.assertEqual((r.pas.typecode, r.statuses.typecode), ("Q", "i"))
                self.assertEqual(list(zip(r.pas, r.status_names())), want)
                self.assertEqual(r.ntranslated, sum(1 for w in want if w[1] == "ok"))
                self.assertEqual(r[3], (None, "pagefile"))
                self.assertEqual(r[0], (9 * MiB + 0xC87, "ok"))
        self.assertEqual(len(sp.translate_many([])), 0)

    def test_range_equals_single(self):
        sp = self.space("session1")
        r = sp.translate_range(self.sva + 0x123, 8)
        want = self.expected(sp, [self.sva + i * 4096 for i in range(8)])
        self.assertEqual(list(zip(r.pas, r.status_names())), want)
        self.assertEqual(list(r.pas[:3]), [9 * MiB, 10 * MiB, 0xB00000])
        big = sp.translate_range(self.meta["va_kernel_large"], 512)
        self.assertEqual(list(big.pas), [4 * MiB + i * 4096 for i in range(512)])
        self.assertEqual(big.ntranslated, 512)

    def test_batch_errors(self):
        sp = self.space("session0")
        for bad in ([1, -1], [1 << 64], [1, "zz"], [1.0], object(), 7, "fffff800"):
            with self.subTest(vas=repr(bad)):
                with self.assertRaises(ss.InvalidArgument):
                    sp.translate_many(bad)
        with self.assertRaises(ss.BadNumber) as cm:
            sp.translate_many([5, 6, -7])
        self.assertIn("item 2", cm.exception.message)
        for bad in (array.array("d", [1.0]), array.array("q", [1]), b"1234567", memoryview(b"12345678" * 4)[::2]):
            with self.subTest(buffer=repr(bad)):
                with self.assertRaises(ss.InvalidArgument) as cm:
                    sp.translate_many(bad)
                self.assertEqual(cm.exception.status_name, "invalid_arg")
        for bad in (-1, ss.capi.ssp_max_batch() + 1, 1 << 80):
            with self.assertRaises(ss.InvalidArgument):
                sp.translate_range(self.sva, bad)


class LifetimeTests(Image):
    def test_use_after_close_raises(self):
        src = ss.open(self.raw)
        sp = src.space(self.meta["dtb_session0"], "x64")
        sp.close()
        sp.close()  # idempotent
        for call in (lambda: sp.translate(self.sva), lambda: sp.read(self.sva, 1), lambda: sp.pa(self.sva),
                     lambda: sp.translate_many([self.sva]), lambda: sp.translate_range(self.sva, 1),
                     lambda: sp.dtb, lambda: sp.set_dtb(0), lambda: sp.flush()):
            with self.assertRaises(ss.ClosedError) as cm:
                call()
            self.assertEqual(cm.exception.status_name, "invalid_arg")
        src.close()
        for call in (lambda: src.read_phys(0, 1), lambda: src.info, lambda: src.ranges, lambda: src.format,
                     lambda: src.space(self.meta["dtb_session0"], "x64"), lambda: src.__enter__()):
            with self.assertRaises(ss.ClosedError):
                call()
        self.assertTrue(src.closed and sp.closed)

    def test_context_managers(self):
        with ss.open(self.raw) as src:
            with src.space(self.meta["dtb_session0"], "x64") as sp:
                self.assertEqual(sp.pa(self.sva), 8 * MiB)
            self.assertTrue(sp.closed)
        self.assertTrue(src.closed)
        with self.assertRaises(ss.ClosedError):
            src.read_phys(0, 1)

    def test_space_keeps_source_alive(self):
        sp = ss.open(self.raw).space(self.meta["dtb_session1"], "x64")  # the Source object is dropped at once
        gc.collect()
        self.assertEqual(sp.read(self.sva, 22), b"win32k session 1 data\0")
        src = ss.open(self.raw)
        sp2 = src.space(self.meta["dtb_session0"], "x64")
        handle = weakref.ref(src._h)
        del src
        gc.collect()
        self.assertEqual(sp2.read(self.sva, 22), b"win32k session 0 data\0")
        self.assertIsNotNone(handle())

    def test_source_close_defers_until_last_space(self):
        src = ss.open(self.raw)
        a = src.space(self.meta["dtb_session0"], "x64")
        b = src.space(self.meta["dtb_session1"], "x64")
        handle = weakref.ref(src._h)
        src.close()
        with self.assertRaises(ss.ClosedError):
            src.space(self.meta["dtb_session0"], "x64")
        self.assertEqual(a.pa(self.sva), 8 * MiB)  # the C source is still open for the spaces
        a.close()
        self.assertIsNotNone(handle())
        self.assertEqual(b.read(self.sva, 6), b"win32k")
        b.close()
        gc.collect()
        self.assertIsNone(handle())  # the last space gone: ss_source_close ran

    def test_no_handle_leak(self):
        """Sources and spaces dropped without close() are freed: the image is unmapped."""
        def mapped():
            with open("/proc/self/maps") as f:
                return sum(1 for line in f if line.rstrip().endswith(self.raw))
        self.assertEqual(mapped(), 0)
        for _ in range(20):
            src = ss.open(self.raw)
            spaces = [src.space(self.meta["dtb_session0"], "x64") for _ in range(3)]
            self.assertEqual(spaces[2].pa(self.sva), 8 * MiB)
        self.assertGreater(mapped(), 0)  # the last source is still open
        del src, spaces
        gc.collect()
        self.assertEqual(mapped(), 0)

    def test_version(self):
        with open(os.path.join(SOURCE_DIR, "libsessionspace", "include", "sessionspace", "common.h")) as f:
            text = f.read()
        want = ".".join(re.search(rf"#define SS_VERSION_{p}\s+(\d+)", text).group(1)
                        for p in ("MAJOR", "MINOR", "PATCH"))
        self.assertEqual(ss.version(), want)

    @unittest.skipUnless(os.environ.get("SS_SANITIZED"), "only in the sanitizer pass")
    def test_sanitizer_runtime_loaded(self):
        """In the sanitizer pass this process really runs the instrumented module under ASan."""
        with open("/proc/self/maps") as f:
            maps = f.read()
        self.assertIn("libasan", maps)
        self.assertIn("libubsan", maps)

    def test_status_names(self):
        self.assertEqual(ss.status_name(0), "ok")
        self.assertEqual(ss.STATUS_CODES["pagefile"], ss.capi.SS_E_PAGEFILE)
        self.assertEqual(ss.status_name(-12345), "unknown")


class ReadmeSnippet(unittest.TestCase):
    """The README's Python snippet runs as written, on a fresh Windows-like demo image
    (ss-mkimage --windows 17763, as scripts/demo.sh writes it); what it prints is checked
    against the generator's ground truth."""

    def test_readme_python_snippet(self):
        if not ss.HAVE_NT_MODEL:
            self.skipTest("this build of libsessionspace has no Windows model")
        with open(os.path.join(SOURCE_DIR, "README.md")) as f:
            blocks = re.findall(r"```python\n(.*?)```", f.read(), re.S)
        self.assertTrue(blocks, "README.md has no python block")
        snippet = blocks[0]
        self.assertLessEqual(len(snippet.strip().splitlines()), 5)
        with tempfile.TemporaryDirectory(dir=os.environ.get("SS_TMPDIR")) as tmp:
            demo = os.path.join(tmp, "build", "demo")
            os.makedirs(demo)
            subprocess.run([MKIMAGE, "--windows", "17763", "--dmp", os.path.join(demo, "win.dmp"),
                            os.path.join(demo, "win.raw"), os.path.join(demo, "win.txt")],
                           check=True, capture_output=True)
            sessions, procs = [], {}
            with open(os.path.join(demo, "win.txt")) as f:
                for w in map(str.split, f):
                    if w[0] == "process":
                        procs[int(w[1])] = w[2]
                    elif w[0] == "session":
                        sessions.append((int(w[1]), [procs[int(x)] for x in w[6:]]))
                    elif w[0] in ("shared_va", "private_va"):
                        procs[w[0]] = int(w[1], 16)
            env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(ss.__file__))))
            r = subprocess.run([sys.executable, "-c", snippet], cwd=tmp, env=env, capture_output=True, text=True,
                               timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertEqual(lines[:-2], [f"session {sid} {names!r}" for sid, names in sessions])
        self.assertEqual(lines[-2], f"Where(va={procs['shared_va']:#x}, region='session', advice='shared', "
                                    f"translated in {len(sessions)} of {len(sessions)})")
        self.assertEqual(lines[-1], f"Where(va={procs['private_va']:#x}, region='session', advice='private', "
                                    f"translated in {len(sessions)} of {len(sessions)})")


if __name__ == "__main__":
    unittest.main()
