"""The Python bindings of symbol-less discovery (source.scan(), source.cluster()) on
images written by ss-mkscan (tests/support/scanimage.c).

Expected roots, sessions and decoys are the ones ss-mkscan reports it built; cluster
numbers are arbitrary, so the partition into sessions is compared. Skipped when the
library has no scan.
"""
import os
import subprocess
import tempfile
import unittest

import sessionspace as ss

MKSCAN = os.environ.get("SS_MKSCAN", "ss-mkscan")


@unittest.skipUnless(ss.HAVE_SCAN, "this build of libsessionspace has no symbol-less scan")
class Scan(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(dir=os.environ.get("SS_TMPDIR"))
        cls.raw, cls.dmp = os.path.join(cls.tmp.name, "scan.raw"), os.path.join(cls.tmp.name, "scan.dmp")
        out = subprocess.run([MKSCAN, "--random", "--dmp", cls.dmp, cls.raw], capture_output=True, text=True,
                             check=True).stdout
        cls.roots, cls.decoys, cls.t = {}, [], {}
        for w in map(str.split, out.splitlines()):
            if w[0] == "root":
                cls.roots[int(w[1], 16)] = None if w[2] == "-" else int(w[2])
            elif w[0] == "decoy":
                cls.decoys.append(int(w[1], 16))
            elif w[0] != "global_slot":
                cls.t[w[0]] = int(w[1])

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_scan_finds_exactly_the_roots(self):
        for path in (self.raw, self.dmp):
            with self.subTest(path=os.path.basename(path)), ss.open(path) as src:
                found = src.scan()
                self.assertEqual([c["dtb"] for c in found], sorted(self.roots))
                self.assertFalse(set(self.decoys) & {c["dtb"] for c in found})
                self.assertEqual({c["self_map_slot"] for c in found}, {self.t["self_slot"]})
                base = self.t["self_slot"] << 39
                self.assertEqual(found[0]["self_map_base"], base | (0xFFFF << 48 if base >> 47 else 0))
                self.assertEqual(found.stats["candidates"], len(self.roots))

    def test_cluster_partition(self):
        with ss.open(self.raw) as src:
            dtbs = sorted(self.roots)
            r = src.cluster(dtbs)
            self.assertEqual(len(r["slots"]), 512)
            self.assertEqual(r["slots"][self.t["session_slot"]], "session")
            self.assertEqual(r["slots"][self.t["self_slot"]], "self_map")
            got = {}
            for dtb, c in zip(dtbs, r["clusters"]):
                got.setdefault(c, set()).add(dtb)
            want = {}
            for dtb, sess in self.roots.items():
                want.setdefault(sess, set()).add(dtb)
            self.assertEqual(got.get(0, set()), want.get(None, set()))
            self.assertEqual(sorted(map(sorted, (v for k, v in got.items() if k))),
                             sorted(map(sorted, (v for k, v in want.items() if k is not None))))
            self.assertEqual(r["nclusters"], len([k for k in want if k is not None]))

    def test_errors(self):
        with ss.open(self.raw) as src:
            with self.assertRaises(ss.InvalidArgument):
                src.scan(min_zero_entries=1000)
            with self.assertRaises(ss.InvalidArgument):
                src.cluster([])
            with self.assertRaises(ss.BadNumber):
                src.cluster([1, -2])
            with self.assertRaises(ss.ReadError):
                src.cluster([1 << 40])
        src.close()
        with self.assertRaises(ss.ClosedError):
            src.scan()


if __name__ == "__main__":
    unittest.main()
