"""The sessionspace CLI end to end on the demo image written by ss-mkimage.

Expected addresses are the ones tests/support/mkimage.c places (session 0's private
page at 8 MiB, session 1's at 9 MiB, the shared win32k frame at 10 MiB, ...).
Run by ctest with SS_CLI, SS_MKIMAGE and SS_TMPDIR set.
"""
import json
import os
import subprocess
import unittest

from cli_support import CLI, MiB, run, demo_image



class DemoImage(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        demo_image(cls, dmp=True)
        cls.session_va = int(cls.meta["va_session"], 16)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def vtop_json(self, va, who, *extra):
        r = run("vtop", self.image, va, "--dtb", self.meta["dtb_" + who], "--mode", "x64", "--json", *extra)
        self.assertEqual(r.stderr, "")
        return r.returncode, json.loads(r.stdout)

    def test_session_va_differs_per_session(self):
        va = "fffff99b`3c078c87"
        rc, sys_ = self.vtop_json(va, "system")
        self.assertEqual((rc, sys_["status"], sys_["pa"], sys_["level"]), (1, "not_present", None, "pml4e"))
        rc, s0 = self.vtop_json(va, "session0")
        self.assertEqual((rc, s0["status"], int(s0["pa"], 16)), (0, "valid", 8 * MiB + 0xC87))
        rc, s1 = self.vtop_json(va, "session1")
        self.assertEqual((rc, s1["status"], int(s1["pa"], 16)), (0, "valid", 9 * MiB + 0xC87))
        self.assertEqual(s1["page_size"], 4096)
        self.assertEqual(int(s1["va"], 16), 0xFFFFF99B3C078C87)
        self.assertEqual([e["level"] for e in s1["entries"]], ["pml4e", "pdpte", "pde", "pte"])
        self.assertEqual(int(s1["entries"][-1]["value"], 16) & ~0xFFF, 9 * MiB)
        self.assertTrue(s1["rw"])
        self.assertFalse(s1["us"])

    def test_number_forms_agree(self):
        answers = {self.vtop_json(form, "session0")[1]["pa"]
                   for form in ("0xfffff99b3c078010", "fffff99b3c078010", "fffff99b`3c078010",
                                "0xfffff99b`3c078010")}
        self.assertEqual(answers, {hex(8 * MiB + 0x10)})

    def test_software_states_and_large_page(self):
        base = self.session_va
        rc, t = self.vtop_json(hex(base + 0x2123), "session1")
        self.assertEqual((rc, t["status"], int(t["pa"], 16), t["protection"]), (0, "transition", 0xB00123, 4))
        rc, p = self.vtop_json(hex(base + 0x3000), "session1")
        self.assertEqual((rc, p["status"], p["pa"]), (1, "pagefile", None))
        self.assertEqual(p["pagefile"], {"number": 0, "offset": "0x12345000"})
        rc, d = self.vtop_json(hex(base + 0x4000), "session1")
        self.assertEqual((rc, d["status"]), (1, "demand_zero"))
        rc, k = self.vtop_json(hex(int(self.meta["va_kernel_large"], 16) + 0x12345), "system")
        self.assertEqual((k["status"], int(k["pa"], 16), k["page_size"], k["large"]),
                         ("valid", 4 * MiB + 0x12345, 2 * MiB, True))
        rc, n = self.vtop_json("ffff000000000000", "system")
        self.assertEqual((rc, n["status"], n["entries"], n["level"], n["in_source"]), (1, "noncanonical", [], None, None))
        self.assertIs(k["in_source"], True)
        # a noncanonical VA is decided before any entry is read: no level named
        r = run("vtop", self.image, "ffff000000000000", "--dtb", self.meta["dtb_system"], "--mode", "x64")
        self.assertEqual(r.returncode, 1)
        self.assertIn("  -> noncanonical\n", r.stdout)
        self.assertNotIn(" at the ", r.stdout)

    def test_batch_json_lines(self):
        base = self.session_va
        lines = [hex(base), "", "# a comment", f"{base + 0x1000:x}", "not-a-number", hex(base + 0x3000)]
        r = run("vtop", self.image, "--batch", "-", "--dtb", self.meta["dtb_session1"], "--mode", "x64",
                "--json", stdin="\n".join(lines) + "\n")
        out = [json.loads(line) for line in r.stdout.splitlines()]
        self.assertEqual([o["status"] for o in out], ["valid", "valid", "bad_number", "pagefile"])
        self.assertEqual(int(out[0]["pa"], 16), 9 * MiB)
        self.assertEqual(int(out[1]["pa"], 16), 10 * MiB)  # the frame both sessions share
        self.assertEqual(out[2]["line"], 5)
        self.assertEqual(r.returncode, 1)  # a line did not parse

    def test_batch_hostile_lines(self):
        """NUL bytes, overlong lines, CRLF and a missing final newline, line numbers intact."""
        base = self.session_va
        data = (f"{base:x}\r\n".encode() +                      # 1: CRLF: fine
                f"{base:x}".encode() + b"\0" + b"1" * 300 + b"\n" +  # 2: NUL then junk: bad
                b"0" * 200 + f"{base:x}".encode() + b"\n" +       # 3: 216 chars: fine
                b"0" * 400 + f"{base:x}".encode() + b"\n" +       # 4: overlong: bad, tail not a line
                b"12\0\n" +                                       # 5: trailing NUL: bad
                f"{base + 0x1000:x}".encode())                     # 6: no final newline: fine
        p = subprocess.run([CLI, "vtop", self.image, "--batch", "-", "--dtb", self.meta["dtb_session1"],
                            "--mode", "x64", "--json"], input=data, capture_output=True, timeout=60)
        out = [json.loads(line) for line in p.stdout.decode().splitlines()]
        self.assertEqual([(o.get("line"), o["status"]) for o in out],
                         [(None, "valid"), (2, "bad_number"), (None, "valid"), (4, "bad_number"),
                          (5, "bad_number"), (None, "valid")])
        self.assertEqual(int(out[5]["pa"], 16), 10 * MiB)
        self.assertEqual(p.returncode, 1)

    def test_batch_file_text(self):
        path = os.path.join(self.tmp.name, "vas.txt")
        with open(path, "w") as f:
            f.write(f"{self.session_va:#x}\n{int(self.meta['va_user'], 16) + 5:#x}\n")
        r = run("vtop", self.image, "--batch", path, "--dtb", self.meta["dtb_session0"], "--mode", "x64")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines(), [
            "fffff99b`3c078000 00000000`00800000 valid 4096",
            "00007ff6`00000005 00000000`00c00005 valid 4096",
        ])

    def test_text_view(self):
        r = run("vtop", self.image, "fffff99b`3c078000", "--dtb", self.meta["dtb_session1"], "--mode", "x64")
        self.assertEqual(r.returncode, 0)
        self.assertIn("-> pa 00000000`00900000  4 KiB page, valid", r.stdout)
        self.assertEqual(sum(1 for line in r.stdout.splitlines() if " at " in line and "contains" in line), 4)

    def test_info(self):
        r = run("info", self.image, "--json")
        self.assertEqual(r.returncode, 0)
        info = json.loads(r.stdout)
        self.assertEqual((info["format"], info["ranges"], info["bytes"]), ("raw", 1, 64 * MiB))

    def test_crash_dump_defaults(self):
        """A crash dump names its mode and DTB (the System root): no --mode, no --dtb."""
        r = run("info", self.dump, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        info = json.loads(r.stdout)
        self.assertEqual((info["format"], info["mode"], info["dtb"]), ("crashdump64", "x64", self.meta["dtb_system"]))
        self.assertEqual(info["windows"]["minor_version"], 19041)
        self.assertEqual(info["bugcheck"]["code"], "0xe2")
        r = run("vtop", self.dump, hex(int(self.meta["va_kernel"], 16) + 0x3456), "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        k = json.loads(r.stdout)
        self.assertEqual((k["status"], int(k["pa"], 16), k["mode"]), ("valid", 0x103456, "x64"))
        # session space is absent under the System root, in the dump as in the raw image
        r = run("vtop", self.dump, hex(self.session_va), "--json")
        self.assertEqual((r.returncode, json.loads(r.stdout)["status"]), (1, "not_present"))
        # a frame the dump does not hold: the 2 MiB page's second 4 KiB is not in the bitmap;
        # the translation stands (a translation is not a read), flagged in_source: false
        va_large = int(self.meta["va_kernel_large"], 16)
        r = run("vtop", self.dump, hex(va_large + 0x1000), "--json")
        k = json.loads(r.stdout)
        self.assertEqual((r.returncode, k["status"], k["in_source"]), (0, "valid", False))
        r = run("vtop", self.dump, hex(va_large), "--json")
        k2 = json.loads(r.stdout)
        self.assertEqual((r.returncode, k2["status"], k2["in_source"]), (0, "valid", True))
        self.assertEqual(int(k["pa"], 16), int(k2["pa"], 16) + 0x1000)
        r = run("vtop", self.dump, hex(va_large + 0x1000))
        self.assertIn("(frame not in the source)", r.stdout)

    def test_errors(self):
        r = run("vtop", self.image, "0")  # a raw image records no DTB
        self.assertEqual(r.returncode, 2)
        self.assertIn("does not record one", r.stderr)
        r = run("vtop", self.image, "0", "--dtb", "0x1000", "--mode", "arm64")
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown mode", r.stderr)
        r = run("vtop", self.image, "zz", "--dtb", "0x1000", "--mode", "x64")
        self.assertEqual(r.returncode, 2)
        self.assertIn("bad virtual address", r.stderr)
        r = run("vtop", self.image, "0", "--dtb", "0x1000")  # a raw image does not say its mode
        self.assertEqual(r.returncode, 2)
        self.assertIn("--mode", r.stderr)
        r = run("vtop", os.path.join(self.tmp.name, "missing.raw"), "0", "--dtb", "0x1000", "--mode", "x64")
        self.assertEqual(r.returncode, 3)
        self.assertIn("not_found", r.stderr)
        r = run("vtop", self.tmp.name, "0", "--dtb", "0x1000", "--mode", "x64")
        self.assertEqual(r.returncode, 3)
        self.assertIn("is_dir", r.stderr)
        r = run("frobnicate", self.image)
        self.assertEqual(r.returncode, 2)
        # info ignores nothing it was given
        r = run("info", self.image, "0x1000")
        self.assertEqual((r.returncode, r.stdout), (2, ""))
        self.assertIn("unexpected argument '0x1000'", r.stderr)
        r = run("info", self.image, "--dtb", "0x1000")
        self.assertEqual((r.returncode, r.stdout), (2, ""))
        r = run("vtop", self.image, "0", "--dtb")  # an option without its value
        self.assertEqual(r.returncode, 2)
        self.assertIn("incomplete option '--dtb'", r.stderr)


if __name__ == "__main__":
    unittest.main()
