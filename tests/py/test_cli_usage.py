"""The sessionspace CLI as a new user meets it: verbs, help, errors, formats (issue 8).

Uses the demo image from ss-mkimage and a small x86 (non-PAE) raw image whose page
tables this file writes itself. Run by ctest with SS_CLI, SS_MKIMAGE and SS_TMPDIR set.
"""
import json
import os
import re
import struct
import subprocess
import unittest

from cli_support import CLI, run, run_bytes, demo_image


# The x86 image: page directory at 0x1000, one page table at 0x2000.
X86_DTB = 0x1000
X86_VALID_VA, X86_VALID_PA = 0x5000, 0x9000
X86_PROTO_VA = 0x6000
# A non-PAE prototype PTE (Windows XP-era _MMPTE_PROTOTYPE, x86): Prototype bit 10,
# ProtoAddressLow bits 1-7 and ProtoAddressHigh bits 11-31 hold an offset from
# MmProtopteBase: offset = High << 9 | Low << 2.
X86_PROTO_OFFSET = 0x123458
X86_PROTO_PTE = ((X86_PROTO_OFFSET >> 9) << 11) | (1 << 10) | (((X86_PROTO_OFFSET >> 2) & 0x7F) << 1)


class Cli(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        demo_image(cls, dmp=True)
        mem = bytearray(64 * 1024)
        struct.pack_into("<I", mem, X86_DTB + 0 * 4, 0x2000 | 0x7)  # PDE 0: P RW US -> PT
        struct.pack_into("<I", mem, 0x2000 + 5 * 4, X86_VALID_PA | 0x3)  # PTE 5: P RW
        struct.pack_into("<I", mem, 0x2000 + 6 * 4, X86_PROTO_PTE)
        cls.x86_image = os.path.join(cls.tmp.name, "x86.raw")
        with open(cls.x86_image, "wb") as f:
            f.write(mem)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def x86(self, *args, stdin=None):
        return run("vtop", self.x86_image, *args, "--dtb", hex(X86_DTB), "--mode", "x86", stdin=stdin)

    # -- verbs, help, version

    def test_version(self):
        r = run("--version")
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^sessionspace \d+\.\d+\.\d+ ")

    def test_help_lists_every_verb(self):
        r = run("--help")
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        verbs = re.findall(r"^  (\w+) +\S", r.stdout.split("verbs:")[1], re.M)
        self.assertIn("info", verbs)
        self.assertIn("vtop", verbs)
        for verb in verbs:  # every verb listed has its own --help
            h = run(verb, "--help")
            self.assertEqual((h.returncode, h.stderr), (0, ""), verb)
            self.assertTrue(h.stdout.startswith("usage: sessionspace " + verb + " "), h.stdout)
            self.assertEqual(run("help", verb).stdout, h.stdout)

    def test_vtop_help_names_every_option_on_both_lines(self):
        r = run("vtop", "--help")
        lines = r.stdout.splitlines()
        self.assertIn("--batch", lines[1])
        for opt in ("--dtb", "--mode", "--win7-pte", "--proto-base", "--json"):
            self.assertIn(opt, lines[0])
            self.assertIn(opt, lines[1])  # the batch line too
            self.assertTrue(any(line.lstrip().startswith(opt) for line in lines[2:]), opt)

    def test_unknown_verb_comes_first(self):
        for args in (["frob"], ["frob", self.image], ["--frob"]):
            r = run(*args)
            self.assertEqual((r.returncode, r.stdout), (2, ""))
            self.assertIn(f"unknown verb '{args[0]}'", r.stderr)
            self.assertNotIn("missing SOURCE", r.stderr)
        r = run("help", "frob")
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown verb 'frob'", r.stderr)

    def test_no_arguments(self):
        r = run()
        self.assertEqual((r.returncode, r.stdout), (2, ""))
        self.assertIn("usage:", r.stderr)

    def test_missing_source_names_the_verb(self):
        r = run("vtop")
        self.assertEqual(r.returncode, 2)
        self.assertIn("sessionspace vtop: missing SOURCE", r.stderr)
        r = run("info")
        self.assertEqual(r.returncode, 2)
        self.assertIn("sessionspace info: missing SOURCE", r.stderr)

    # -- one round of errors

    def test_raw_image_missing_dtb_and_mode_at_once(self):
        r = run("vtop", self.image, "0")
        self.assertEqual((r.returncode, r.stdout), (2, ""))
        self.assertIn("pass --dtb DTB", r.stderr)
        self.assertIn("pass --mode", r.stderr)
        r = run("vtop", self.image, "0", "--dtb", "0x1000")  # only the mode is missing now
        self.assertEqual(r.returncode, 2)
        self.assertIn("pass --mode", r.stderr)
        self.assertNotIn("pass --dtb", r.stderr)
        r = run("vtop", self.image, "0", "--mode", "x64")  # only the DTB
        self.assertEqual(r.returncode, 2)
        self.assertIn("pass --dtb", r.stderr)
        self.assertNotIn("pass --mode", r.stderr)

    def test_bad_values_at_once(self):
        r = run("vtop", self.image, "0", "--dtb", "zz", "--mode", "arm64", "--proto-base", "qq")
        self.assertEqual(r.returncode, 2)
        for part in ("bad --dtb value 'zz'", "unknown mode 'arm64'", "bad --proto-base value 'qq'"):
            self.assertIn(part, r.stderr)

    def test_unusable_dtb_names_mode_and_reason(self):
        r = run("vtop", self.x86_image, "0", "--dtb", "0x100000000", "--mode", "pae")
        self.assertEqual((r.returncode, r.stdout), (2, ""))
        self.assertIn("cannot use dtb 0x100000000 in mode pae: ", r.stderr)
        self.assertIn("(invalid_arg): x86 and PAE paging take a DTB below 4 GiB", r.stderr)

    # -- batch files: status names, carriage returns

    def test_batch_file_missing_or_directory_names_status(self):
        r = self.x86("--batch", os.path.join(self.tmp.name, "nope.txt"))
        self.assertEqual((r.returncode, r.stdout), (3, ""))
        self.assertIn("(not_found)", r.stderr)
        r = self.x86("--batch", self.tmp.name)
        self.assertEqual((r.returncode, r.stdout), (3, ""))
        self.assertIn("(is_dir)", r.stderr)
        self.assertIn("directory", r.stderr)

    def test_batch_stdin_read_error_names_status(self):
        fd = os.open(self.tmp.name, os.O_RDONLY)  # a directory as standard input: reads fail
        try:
            r = subprocess.run([CLI, "vtop", self.x86_image, "--batch", "-", "--dtb", hex(X86_DTB), "--mode", "x86"],
                               stdin=fd, capture_output=True, text=True, timeout=60)
        finally:
            os.close(fd)
        self.assertEqual((r.returncode, r.stdout), (3, ""))
        self.assertIn("-: read error: Is a directory (is_dir)", r.stderr)

    def batch_statuses(self, data):
        p = run_bytes("vtop", self.x86_image, "--batch", "-", "--dtb", hex(X86_DTB), "--mode", "x86", "--json",
                      stdin=data)
        return p.returncode, [(o.get("line"), o["status"]) for o in map(json.loads, p.stdout.decode().splitlines())]

    def test_batch_lone_cr_is_bad_number(self):
        self.assertEqual(self.batch_statuses(b"0x5000\rjunk\n0x5000\n"),
                         (1, [(1, "bad_number"), (None, "valid")]))
        # a CR-only file is one line, not "the first line and nothing else"
        self.assertEqual(self.batch_statuses(b"0x5000\r0x6000\r0x5000\r"), (1, [(1, "bad_number")]))
        self.assertEqual(self.batch_statuses(b"0x5000\r"), (1, [(1, "bad_number")]))
        self.assertEqual(self.batch_statuses(b"\r0x5000\n"), (1, [(1, "bad_number")]))
        # only a final \r\n ends a line; blank CRLF lines are skipped
        self.assertEqual(self.batch_statuses(b"0x5000\r\n\r\n0x5000\r\n"), (0, [(None, "valid"), (None, "valid")]))
        # 255 characters plus \r\n fit the line buffer: the \r is not counted
        self.assertEqual(self.batch_statuses(b"0" * 251 + b"5000\r\n"), (0, [(None, "valid")]))
        self.assertEqual(self.batch_statuses(b"0" * 252 + b"5000\r\n"), (1, [(1, "bad_number")]))

    def test_batch_text_bad_number(self):
        r = self.x86("--batch", "-", stdin="0x5000\nzz\n")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stdout.splitlines(), ["00000000`00005000 00000000`00009000 valid 4096",
                                                 "line 2: bad_number"])

    # -- one address format in every mode

    def test_addresses_print_the_same_in_32_and_64_bit_modes(self):
        r = self.x86(hex(X86_VALID_VA + 0x12))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines()[0], "VA 00000000`00005012 (x86)")
        self.assertIn("-> pa 00000000`00009012  4 KiB page, valid", r.stdout)
        r = run("vtop", self.image, "fffff99b`3c078000", "--dtb", self.meta["dtb_session1"], "--mode", "x64")
        self.assertEqual(r.stdout.splitlines()[0], "VA fffff99b`3c078000 (x64)")

    def test_noncanonical_names_no_entry(self):
        r = run("vtop", self.image, "ffff000000000000", "--dtb", self.meta["dtb_system"], "--mode", "x64")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stdout.splitlines(), ["VA ffff0000`00000000 (x64)", "  -> noncanonical"])
        r = run("vtop", self.image, "ffff000000000000", "--dtb", self.meta["dtb_system"], "--mode", "x64", "--json")
        j = json.loads(r.stdout)
        self.assertEqual((j["status"], j["level"], j["entries"]), ("noncanonical", None, []))
        r = self.x86("0x100000000", "--json")  # wider than 32 bits
        j = json.loads(r.stdout)
        self.assertEqual((r.returncode, j["status"], j["level"]), (1, "noncanonical", None))
        # an entry that was read does decide: not_present at the PTE of the x86 image
        j = json.loads(self.x86("0x7000", "--json").stdout)
        self.assertEqual((j["status"], j["level"], len(j["entries"])), ("not_present", "pte", 2))

    # -- x86 prototype PTEs: an offset unless --proto-base gives the base

    def test_x86_prototype_is_an_offset_without_base(self):
        r = self.x86(hex(X86_PROTO_VA), "--json")
        self.assertEqual(r.returncode, 1, r.stderr)
        j = json.loads(r.stdout)
        self.assertEqual((j["status"], j["prototype"], j["prototype_offset"]),
                         ("prototype", None, hex(X86_PROTO_OFFSET)))
        r = self.x86(hex(X86_PROTO_VA))
        self.assertIn(f"prototype PTE at offset {X86_PROTO_OFFSET:#x} from MmProtopteBase (pass --proto-base)",
                      r.stdout)

    def test_x86_prototype_with_base(self):
        base = 0xE1000000
        r = self.x86(hex(X86_PROTO_VA), "--json", "--proto-base", hex(base))
        j = json.loads(r.stdout)
        self.assertEqual((j["prototype"], j["prototype_offset"]), (hex(base + X86_PROTO_OFFSET), hex(X86_PROTO_OFFSET)))
        r = self.x86(hex(X86_PROTO_VA), "--proto-base", hex(base))
        self.assertIn(f"prototype PTE at 00000000`{base + X86_PROTO_OFFSET:08x} (offset {X86_PROTO_OFFSET:#x})",
                      r.stdout)

    def test_proto_base_only_for_x86(self):
        r = run("vtop", self.image, "0", "--dtb", "0x1000", "--mode", "x64", "--proto-base", "0x1000")
        self.assertEqual((r.returncode, r.stdout), (2, ""))
        self.assertIn("--proto-base applies to x86 (non-PAE) paging only", r.stderr)
        r = run("vtop", self.dump, "0", "--proto-base", "0x1000")  # the dump's own mode is x64
        self.assertEqual((r.returncode, r.stdout), (2, ""))
        self.assertIn("not x64", r.stderr)

    # -- info

    def test_info_names_the_dump_type(self):
        r = run("info", self.dump)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"dump type 5 \(bitmap full\)")
        j = json.loads(run("info", self.dump, "--json").stdout)
        self.assertEqual((j["windows"]["dump_type"], j["windows"]["dump_type_name"]), (5, "bitmap full"))

    def test_info_raw_omits_what_it_does_not_know(self):
        j = json.loads(run("info", self.image, "--json").stdout)
        for key in ("cpus", "vmcoreinfo_bytes", "mode", "dtb", "windows", "bugcheck"):
            self.assertNotIn(key, j)
        self.assertEqual(set(j), {"format", "ranges", "bytes", "max_pa"})

    def test_info_unprintable_signature_in_hex(self):
        path = os.path.join(self.tmp.name, "esc.dmp")
        with open(path, "wb") as f:
            f.write(b"PAGE\x1b[2J" + bytes(8192))
        r = run("info", "dmp:" + path)
        self.assertEqual((r.returncode, r.stdout), (3, ""))
        self.assertIn("signature bytes 50 41 47 45 1b 5b 32 4a", r.stderr)
        self.assertNotIn("\x1b", r.stderr)
        with open(path, "wb") as f:
            f.write(bytes(8192))
        r = run("info", "dmp:" + path)
        self.assertIn("signature bytes 00 00 00 00 00 00 00 00", r.stderr)
        self.assertNotIn("''", r.stderr)
        with open(path, "wb") as f:
            f.write(b"NOTADUMP" + bytes(8192))
        self.assertIn("signature 'NOTADUMP'", run("info", "dmp:" + path).stderr)


if __name__ == "__main__":
    unittest.main()
