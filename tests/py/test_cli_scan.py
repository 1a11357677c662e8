"""`sessionspace scan` end to end on images written by ss-mkscan.

The expected roots, sessions, slots and decoys are the ones ss-mkscan reports it built
(tests/support/scanimage.c); the CLI must find exactly those roots, none of the decoys,
and group them into the generator's sessions (cluster numbers are arbitrary, so the
partition is compared). Run by ctest with SS_CLI, SS_MKSCAN and SS_TMPDIR set.
"""
import json
import os
import subprocess
import tempfile
import unittest

CLI = os.environ.get("SS_CLI", "sessionspace")
MKSCAN = os.environ.get("SS_MKSCAN", "ss-mkscan")
MKIMAGE = os.environ.get("SS_MKIMAGE", "ss-mkimage")


def run(*args):
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=120)


def build(tmp, name, *flags):
    raw = os.path.join(tmp, name + ".raw")
    dmp = os.path.join(tmp, name + ".dmp")
    out = subprocess.run([MKSCAN, *flags, "--dmp", dmp, raw], capture_output=True, text=True,
                         check=True).stdout
    truth = {"roots": {}, "decoys": [], "global": set()}
    for line in out.splitlines():
        word = line.split()
        if word[0] == "root":
            truth["roots"][int(word[1], 16)] = None if word[2] == "-" else int(word[2])
        elif word[0] == "decoy":
            truth["decoys"].append(int(word[1], 16))
        elif word[0] == "global_slot":
            truth["global"].add(int(word[1]))
        else:
            truth[word[0]] = int(word[1])
    return raw, dmp, truth


class ScanVerb(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(dir=os.environ.get("SS_TMPDIR"))
        cls.images = {"win7": build(cls.tmp.name, "win7"), "win10": build(cls.tmp.name, "win10", "--random")}

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def check_json(self, source, truth):
        r = run("scan", source, "--json")
        self.assertEqual((r.returncode, r.stderr), (0, ""))  # not a terminal: no progress bar
        doc = json.loads(r.stdout)
        found = {int(d["dtb"], 16): d for d in doc["dtbs"]}
        self.assertEqual(set(found), set(truth["roots"]))
        self.assertFalse(set(found) & set(truth["decoys"]))
        self.assertEqual([int(d["dtb"], 16) for d in doc["dtbs"]], sorted(found))
        slot = truth["self_slot"]
        base = (slot << 39) | 0xFFFF000000000000
        for d in doc["dtbs"]:
            self.assertEqual((d["self_map_slot"], int(d["self_map_base"], 16)), (slot, base))
        # the partition: no-session roots in cluster 0, one cluster per generator session
        for dtb, session in truth["roots"].items():
            self.assertEqual(found[dtb]["cluster"] == 0, session is None)
        for a, sa in truth["roots"].items():
            for b, sb in truth["roots"].items():
                if sa is not None and sb is not None:
                    self.assertEqual(found[a]["cluster"] == found[b]["cluster"], sa == sb)
        sessions = {s for s in truth["roots"].values() if s is not None}
        clusters = doc["clusters"]
        self.assertEqual([c["cluster"] for c in clusters], list(range(len(sessions) + 1)))
        self.assertFalse(clusters[0]["session_space"])
        self.assertEqual(clusters[0]["session_frames"], [])
        for c in clusters:
            self.assertEqual(sorted(int(d, 16) for d in c["dtbs"]),
                             sorted(d for d in found if found[d]["cluster"] == c["cluster"]))
        # each session cluster: one session-space PDPT frame, at the session slot, distinct per session
        frames = set()
        for c in clusters[1:]:
            self.assertTrue(c["session_space"])
            self.assertEqual(len(c["session_frames"]), 1)
            self.assertEqual(c["session_frames"][0]["slot"], truth["session_slot"])
            frames.add(c["session_frames"][0]["pa"])
        self.assertEqual(len(frames), len(sessions))
        self.assertEqual(doc["slots"], {"self_map": [slot], "session": [truth["session_slot"]],
                                        "global": sorted(truth["global"]),
                                        "private": [truth["private_slot"]]})
        return doc

    def test_raw_and_dump_agree(self):
        for name, (raw, dmp, truth) in self.images.items():
            with self.subTest(image=name):
                a = self.check_json(raw, truth)
                b = self.check_json(dmp, truth)
                self.assertEqual(a["dtbs"], b["dtbs"])
                self.assertEqual(a["clusters"], b["clusters"])
                self.assertEqual((a["format"], b["format"]), ("raw", "crashdump64"))
                self.assertEqual(a["bytes_scanned"], 64 << 20)
                self.assertLess(b["bytes_scanned"], a["bytes_scanned"])  # a dump holds only its pages

    def test_text(self):
        raw, _, truth = self.images["win7"]
        r = run("scan", raw)
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        lines = r.stdout.splitlines()
        self.assertIn("%d page-table roots" % len(truth["roots"]), lines[0])
        rows = [l.split() for l in lines[2:2 + len(truth["roots"])]]  # addresses in kd's form
        self.assertEqual({int(w[0].replace("`", ""), 16) for w in rows}, set(truth["roots"]))
        self.assertTrue(all(w[1] == "0x1ed" and w[2] == "fffff680`00000000" for w in rows))
        self.assertIn("3 session clusters, 2 roots without session space", r.stdout)
        self.assertIn("session slots:       0x1f2", r.stdout)

    def test_min_kernel(self):
        raw, _, truth = self.images["win7"]
        # processes hold 8 kernel-global entries + hyperspace + session space besides the self-map
        r = run("scan", raw, "--json", "--min-kernel", "10")
        self.assertEqual(r.returncode, 0)
        found = {int(d["dtb"], 16) for d in json.loads(r.stdout)["dtbs"]}
        self.assertEqual(found, {d for d, s in truth["roots"].items() if s is not None})
        r = run("scan", raw, "--json", "--min-kernel", "11")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(json.loads(r.stdout)["dtbs"], [])

    def test_nothing_found_and_errors(self):
        empty = os.path.join(self.tmp.name, "zeros.raw")
        with open(empty, "wb") as f:
            f.truncate(1 << 20)
        r = run("scan", empty, "--json")
        self.assertEqual(r.returncode, 1)
        doc = json.loads(r.stdout)
        self.assertEqual((doc["dtbs"], doc["clusters"], doc["slots"]), ([], [], None))
        r = run("scan")
        self.assertEqual(r.returncode, 2)
        self.assertIn("sessionspace scan: missing SOURCE", r.stderr)
        self.assertEqual(run("scan", empty, "--bogus").returncode, 2)
        self.assertEqual(run("scan", empty, "--min-kernel", "0").returncode, 2)
        self.assertEqual(run("scan", empty, "--min-kernel", "1a").returncode, 2)
        self.assertEqual(run("scan", empty, "--min-kernel").returncode, 2)
        r = run("scan", "--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("--la57", r.stdout)
        r = run("scan", os.path.join(self.tmp.name, "missing.raw"))
        self.assertEqual(r.returncode, 3)
        self.assertIn("not_found", r.stderr)


class WindowsLikeImage(unittest.TestCase):
    """The header-less raw image of `ss-mkimage --windows`: no profile, no DTB given."""

    def test_scan_finds_the_processes_and_their_sessions(self):
        with tempfile.TemporaryDirectory(dir=os.environ.get("SS_TMPDIR")) as d:
            raw, txt = os.path.join(d, "w.raw"), os.path.join(d, "w.txt")
            subprocess.run([MKIMAGE, "--windows", "test-odd", raw, txt], check=True, capture_output=True)
            procs, t = {}, {}
            with open(txt) as f:
                for line in f:
                    k, *v = line.split()
                    if k == "process":  # pid name eprocess dtb session
                        procs[int(v[3], 16)] = int(v[4])
                    else:
                        t[k] = v[0]
            # the default threshold (6 kernel-half entries besides the self-map, as on real
            # Windows): the generator maps six kernel-global slots
            r = run("scan", raw, "--json")
            self.assertEqual((r.returncode, r.stderr), (0, ""))
            doc = json.loads(r.stdout)
            found = {int(x["dtb"], 16): x["cluster"] for x in doc["dtbs"]}
            self.assertEqual(set(found), set(procs))
            self.assertEqual({x["self_map_slot"] for x in doc["dtbs"]}, {int(t["self_map_slot"], 16)})
            self.assertEqual(doc["slots"]["session"], [int(t["session_slot"], 16)])
            for dtb, session in procs.items():
                self.assertEqual(found[dtb] == 0, session < 0)
                for other, s2 in procs.items():
                    if session >= 0 and s2 >= 0:
                        self.assertEqual(found[dtb] == found[other], session == s2)
            self.assertEqual(len(doc["clusters"]), 1 + len({s for s in procs.values() if s >= 0}))
            # System and smss.exe have exactly the six global entries; session processes one more
            r7 = json.loads(run("scan", raw, "--json", "--min-kernel", "7").stdout)
            self.assertEqual({int(x["dtb"], 16) for x in r7["dtbs"]}, {d for d, s in procs.items() if s >= 0})


if __name__ == "__main__":
    unittest.main()
