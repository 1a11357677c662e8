"""The CLI on files that are not plain memory images: triage (header-only) crash dumps,
whose header `info` shows while translation says why it cannot, and FIFOs, which must
be refused at once instead of blocking the open.

The dump headers are written here from the DUMP_HEADER64 / DUMP_HEADER32 layouts
(docs/formats.md), independently of the library's reader and of tests/support.
Run by ctest with SS_CLI and SS_TMPDIR set.
"""
import json
import os
import struct
import unittest

from cli_support import run as cli_run, tmpdir



def run(*args):
    # A hang (the FIFO case before the fix) fails the test through the timeout.
    return cli_run(*args, timeout=20)


def triage_header(width, dump_type=4):
    """A 64-bit (width 8) or 32-bit (width 4) crash-dump header of DumpType dump_type,
    followed by one page standing for the triage data."""
    size = 0x2000 if width == 8 else 0x1000
    h = bytearray(b"PAGE" * (size // 4))
    if width == 8:
        h[4:8] = b"DU64"
        struct.pack_into("<IIQQQQIII", h, 0x08, 0xF, 22621, 0x1AD000, 0xFFFFF80000000000,
                         0xFFFFF8034A82A2A0, 0xFFFFF8034A81E9C0, 0x8664, 8, 0x133)
        struct.pack_into("<4Q", h, 0x40, 1, 0x1E00, 0xFFFFF8034A8FB320, 0)
        struct.pack_into("<Q", h, 0x80, 0xFFFFF8034A600000)
        struct.pack_into("<I", h, 0xF98, dump_type)
    else:
        h[4:8] = b"DUMP"
        struct.pack_into("<IIIIIIIII", h, 0x08, 0xF, 2600, 0x39000, 0x80E00000, 0x8055A420, 0x8055B358,
                         0x14C, 2, 0x8E)
        struct.pack_into("<4I", h, 0x2C, 0xC0000005, 0x804E1A2B, 0xF8A3FC00, 0)
        h[0x5C] = 1  # PaeEnabled
        struct.pack_into("<I", h, 0x60, 0x80544CE0)
        struct.pack_into("<I", h, 0xF88, dump_type)
    return bytes(h) + bytes(4096)


def qemu_core(machine, cr0, cr3, cr4, cs_flags=0):
    """An ELF64 core (gABI layout) with one QEMU CPU note (QEMUCPUState version 1: CS flags
    at 160, CR0..CR4 at 392, as QEMU's target/i386/arch_dump.c writes them) and 8 KiB of
    memory at physical 0."""
    desc = bytearray(440)
    struct.pack_into("<II", desc, 0, 1, len(desc))
    struct.pack_into("<I", desc, 160, cs_flags)
    struct.pack_into("<5Q", desc, 392, cr0, 0, 0, cr3, cr4)
    note = struct.pack("<III", 5, len(desc), 0) + b"QEMU\0\0\0\0" + bytes(desc)
    ehdr = bytearray(64)
    ehdr[0:7] = b"\x7fELF\x02\x01\x01"
    struct.pack_into("<HHIQQQIHHHHHH", ehdr, 16, 4, machine, 1, 0, 64, 0, 0, 64, 56, 2, 0, 0, 0)
    notes_at, load_at = 64 + 2 * 56, 4096
    phdrs = struct.pack("<IIQQQQQQ", 4, 0, notes_at, 0, 0, len(note), len(note), 4)
    phdrs += struct.pack("<IIQQQQQQ", 1, 7, load_at, 0, 0, 8192, 8192, 4096)
    body = bytes(ehdr) + phdrs + note
    return body + bytes(load_at - len(body)) + bytes(8192)


class HostileFiles(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tmpdir()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.tmp.name, name)

    def write(self, name, data):
        """Writes data to a scratch file name; returns its path."""
        p = self.path(name)
        with open(p, "wb") as f:
            f.write(data)
        return p

    def info_json(self, path):
        """`info PATH --json`, which must succeed, as a dict."""
        r = run("info", path, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def test_triage_dump_info_64(self):
        p = self.write("triage64.dmp", triage_header(8))
        info = self.info_json(p)
        self.assertEqual((info["format"], info["ranges"], info["bytes"]), ("crashdump64", 0, 0))
        self.assertEqual((info["mode"], info["dtb"]), ("x64", "0x1ad000"))
        w = info["windows"]
        self.assertEqual((w["dump_type"], w["minor_version"], w["processors"], w["machine_type"]),
                         (4, 22621, 8, "0x8664"))
        self.assertEqual((w["ps_active_process_head"], w["ps_loaded_module_list"], w["kd_debugger_data_block"]),
                         ("0xfffff8034a81e9c0", "0xfffff8034a82a2a0", "0xfffff8034a600000"))
        self.assertEqual(info["bugcheck"], {"code": "0x133", "params": ["0x1", "0x1e00", "0xfffff8034a8fb320", "0x0"]})
        r = run("info", p)  # the text view shows the header too
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("0xfffff8034a81e9c0", r.stdout)
        self.assertIn("dump type 4", r.stdout)
        # translation is what fails, and it says why
        r = run("vtop", p, "0xfffff8034a82a2a0", "--json")
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("holds no physical memory this reader knows", r.stderr)
        self.assertIn("(no_physical_memory)", r.stderr)

    def test_triage_dump_info_32(self):
        p = self.write("triage32.dmp", triage_header(4))
        info = self.info_json(p)
        self.assertEqual((info["format"], info["ranges"], info["mode"], info["dtb"]), ("crashdump32", 0, "pae", "0x39000"))
        w = info["windows"]
        self.assertEqual((w["dump_type"], w["minor_version"], w["processors"], w["pae"]), (4, 2600, 2, True))
        self.assertEqual((w["ps_active_process_head"], w["ps_loaded_module_list"]), ("0x8055b358", "0x8055a420"))
        self.assertEqual(info["bugcheck"]["code"], "0x8e")
        r = run("vtop", p, "0x8055a420", "--json")
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("holds no physical memory this reader knows", r.stderr)

    def test_fifo_refused_without_blocking(self):
        p = self.path("a.fifo")
        os.mkfifo(p)
        try:
            for spec in (p, "raw:" + p, "dmp:" + p):
                for args in (("info", spec), ("vtop", spec, "0", "--dtb", "0x1000", "--mode", "x64")):
                    r = run(*args)
                    self.assertEqual(r.returncode, 3, (args, r.stderr))
                    self.assertIn("is a FIFO (named pipe)", r.stderr)
                    self.assertIn("unsupported", r.stderr)
        finally:
            os.unlink(p)

    def test_paging_off_is_named(self):
        p = self.write("realmode.elf", qemu_core(62, 0x11, 0x1000, 0))  # CR0: PE and ET, no PG
        r = run("vtop", p, "0x1000")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("CPU 0 has paging off (CR0.PG=0", r.stderr)
        self.assertNotIn("does not record its paging mode", r.stderr)

    def test_character_device_refused(self):
        r = run("info", "/dev/null")
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("is a character device", r.stderr)


if __name__ == "__main__":
    unittest.main()
