"""The CLI on vmi: sources (a running guest's RAM file), here over the demo image that
ss-mkimage writes: vmi: reads the same file through its layout, so every answer must
equal the one mkimage placed (session 0's private page at 8 MiB). The real running guest
is tests/realdata/live.sh. Run by ctest with SS_CLI, SS_MKIMAGE and SS_TMPDIR set.
"""
import json
import os
import unittest

from cli_support import MiB, run, demo_image

VA = "fffff99b`3c078c87"


class VmiCli(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        demo_image(cls)
        cls.size = os.path.getsize(cls.image)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_info(self):
        r = run("info", "vmi:" + self.image, "--json")
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        info = json.loads(r.stdout)
        self.assertEqual((info["format"], info["ranges"], info["bytes"]), ("vmi", 1, self.size))
        self.assertNotIn("cpus", info)  # no qmp=: no CPU state
        r = run("info", "vmi:" + self.image)
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"(?m)^format +vmi$")

    def test_vtop_plain_and_with_a_layout(self):
        dtb = self.meta["dtb_session0"]
        for spec in ("vmi:" + self.image,
                     # two runs that map the file where it was (not one flat mapping)
                     f"vmi:{self.image},run={8 * MiB:#x}:{8 * MiB:#x}:{self.size - 8 * MiB:#x},run=0:0:{8 * MiB:#x}"):
            r = run("vtop", spec, VA, "--dtb", dtb, "--mode", "x64", "--json")
            self.assertEqual((r.returncode, r.stderr), (0, ""), spec)
            out = json.loads(r.stdout)
            self.assertEqual((out["status"], int(out["pa"], 16), out["in_source"]), ("valid", 8 * MiB + 0xC87, True))
        # a layout that leaves the data frame (8 MiB) out but holds the page tables (from
        # 48 MiB): the translation stands, the frame is not held
        spec = f"vmi:{self.image},run=0:0:{8 * MiB:#x},run={32 * MiB:#x}:{32 * MiB:#x}:{self.size - 32 * MiB:#x}"
        out = json.loads(run("vtop", spec, VA, "--dtb", dtb, "--mode", "x64", "--json").stdout)
        self.assertEqual((out["status"], int(out["pa"], 16), out["in_source"]), ("valid", 8 * MiB + 0xC87, False))

    def test_needs_dtb_and_mode_without_qmp(self):
        r = run("vtop", "vmi:" + self.image, VA)
        self.assertEqual(r.returncode, 2)
        self.assertIn("--dtb", r.stderr)
        self.assertIn("--mode", r.stderr)

    def test_bad_specs(self):
        for spec, word in ((f"vmi:{self.image},machine=arm", "bad option"),
                           (f"vmi:{self.image},lowmem=0x123", "lowmem"),
                           (f"vmi:{self.image},run=0:0", "run="),
                           ("vmi:/nonexistent/ss-ram", "ss-ram")):
            r = run("info", spec)
            self.assertEqual(r.returncode, 3, spec)
            self.assertIn(word, r.stderr, spec)
        r = run("info", "nosuch:" + self.image)
        self.assertEqual(r.returncode, 3)
        self.assertIn("vmi", r.stderr)  # the known prefixes are listed


if __name__ == "__main__":
    unittest.main()
