"""examples/fleet.py (Dask) over a directory of generated dumps, on a local cluster and
on the threaded scheduler.

The dumps are ss-mkimage's (two bitmap crash dumps whose header names the System root,
two raw images that record no root, one file that is no dump); expected values come from
the image builder's sidecar .txt and tests/support/mkimage.c's layout (kernel page i at
1 MiB + i * 4 KiB; the session page is absent under the System root). Run by ctest with
PYTHONPATH at the built module and SS_MKIMAGE / SS_TMPDIR / SS_SOURCE_DIR set.
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

MKIMAGE = os.environ.get("SS_MKIMAGE", "ss-mkimage")
SOURCE_DIR = os.environ.get("SS_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
FLEET = os.path.join(SOURCE_DIR, "examples", "fleet.py")


class Fleet(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(dir=os.environ.get("SS_TMPDIR"))
        cls.dir = os.path.join(cls.tmp.name, "dumps")
        os.makedirs(cls.dir)
        for i in (1, 2):
            txt = os.path.join(cls.tmp.name, f"meta{i}.txt")
            subprocess.run([MKIMAGE, "--dmp", os.path.join(cls.dir, f"host{i}.dmp"),
                            os.path.join(cls.dir, f"host{i}.raw"), txt], check=True, capture_output=True)
        with open(txt) as f:
            cls.meta = {k: int(v, 16) for k, v in (line.split() for line in f)}
        with open(os.path.join(cls.dir, "notes.txt"), "w") as f:
            f.write("not a dump\n")
        cls.vas = [cls.meta["va_kernel"] + 0x1010, cls.meta["va_session"], cls.meta["va_kernel_large"] + 0x5]

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def fleet(self, *extra):
        args = [sys.executable, FLEET, self.dir, *extra]
        for va in self.vas:
            args += ["--va", f"{va:x}"]
        r = subprocess.run(args, capture_output=True, text=True, timeout=300)
        lines = [json.loads(line) for line in r.stdout.splitlines()]
        return r, {os.path.basename(o["dump"]): o for o in lines}, len(lines)

    def check(self, r, by_name, nlines):
        self.assertEqual(r.returncode, 1, r.stderr)  # notes.txt is not a dump
        self.assertEqual(nlines, 5)
        self.assertEqual(sorted(by_name), ["host1.dmp", "host1.raw", "host2.dmp", "host2.raw", "notes.txt"])
        for name in ("host1.dmp", "host2.dmp"):
            o = by_name[name]
            self.assertEqual((o["format"], o["build"], o["mode"], o["dtb"]),
                             ("crashdump64", 19041, "x64", hex(self.meta["dtb_system"])))
            self.assertEqual(o["translated"], 2)
            self.assertEqual(o["vas"], [
                {"va": hex(self.vas[0]), "status": "ok", "pa": hex(0x100000 + 0x1010)},
                {"va": hex(self.vas[1]), "status": "not_present", "pa": None},
                {"va": hex(self.vas[2]), "status": "ok", "pa": hex(4 * (1 << 20) + 0x5)},
            ])
            self.assertNotIn("error", o)
        for name in ("host1.raw", "host2.raw"):
            o = by_name[name]
            self.assertEqual((o["format"], o["mode"], o["dtb"], o["bytes"]),
                             ("raw", None, None, os.path.getsize(os.path.join(self.dir, name))))
            self.assertEqual(o["vas_error"]["status"], "unsupported")
        self.assertEqual(by_name["notes.txt"]["error"]["status"], "truncated")

    def test_local_cluster(self):
        r, by_name, n = self.fleet("--workers", "2")
        self.check(r, by_name, n)
        if "threaded scheduler" in r.stderr:
            self.skipTest("the local cluster could not start here: " + r.stderr.strip())

    def test_threaded_scheduler(self):
        self.check(*self.fleet("--threads"))

    def test_windows_question(self):
        """With the Windows model: sessions and their processes, win32kbase's first page,
        `where`, against the generator's truth (tests/support/ntimage.c)."""
        import sessionspace as ss
        if not ss.HAVE_NT_MODEL:
            self.skipTest("this build of libsessionspace has no Windows model")
        wdir = os.path.join(self.tmp.name, "windows")
        os.makedirs(wdir, exist_ok=True)
        txt, isf = os.path.join(self.tmp.name, "tree.txt"), os.path.join(self.tmp.name, "tree.json")
        r = subprocess.run([MKIMAGE, "--windows", "test-tree", "--dmp", os.path.join(wdir, "tree.dmp"), "--isf", isf,
                            os.path.join(self.tmp.name, "tree.raw"), txt], capture_output=True, text=True)
        if r.returncode != 0:
            self.skipTest("ss-mkimage has no --windows test-tree")
        procs, sessions, images, truth = {}, [], {}, {}
        with open(txt) as f:
            for w in map(str.split, f):
                if w[0] == "process":
                    procs[int(w[1])] = (w[2], int(w[4], 16))
                elif w[0] == "session":
                    sessions.append((int(w[1]), [int(x) for x in w[6:]]))
                elif w[0] == "image":
                    images[w[1]] = int(w[2], 16)
                elif len(w) == 2:
                    truth[w[0]] = w[1]
        r = subprocess.run([sys.executable, FLEET, wdir, "--threads", "--isf", isf, "--va", truth["shared_va"],
                            "--va", truth["private_va"]], capture_output=True, text=True, timeout=300)
        self.assertEqual(r.returncode, 0, r.stderr)
        (o,) = [json.loads(line) for line in r.stdout.splitlines()]
        self.assertEqual(o["sessions"], [{"id": sid, "processes": [{"pid": pid, "name": procs[pid][0]}
                                                                   for pid in members]}
                                         for sid, members in sessions])
        base = images["win32kbase.sys"]
        # Independently of the model: the first page's frame under one member of each session.
        frames = set()
        with ss.open(os.path.join(wdir, "tree.dmp")) as src:
            for _, members in sessions:
                with src.space(procs[members[0]][1], "x64") as sp:
                    frames.add(sp.pa(base))
        self.assertEqual(o["image"]["base"], hex(base))
        self.assertEqual((o["image"]["shared"], o["image"]["advice"]),
                         (len(frames) == 1, "shared" if len(frames) == 1 else "private"))
        self.assertEqual([(w["va"], w["advice"]) for w in o["where"]],
                         [(hex(int(truth["shared_va"], 16)), "shared"), (hex(int(truth["private_va"], 16)), "private")])

    def test_bad_usage(self):
        r = subprocess.run([sys.executable, FLEET, self.dir, "--va", "zz", "--threads"], capture_output=True,
                           text=True, timeout=60)
        self.assertEqual((r.returncode, r.stdout), (2, ""))
        self.assertIn("bad_number", r.stderr)
        r = subprocess.run([sys.executable, FLEET, os.path.join(self.dir, "nope")], capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(r.returncode, 2)
        self.assertIn("not a directory", r.stderr)


if __name__ == "__main__":
    unittest.main()
