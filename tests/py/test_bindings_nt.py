"""The Python bindings of the Windows model (source.processes(), .sessions(), .where(),
session.space(), process.space()) on Windows-like images written by
`ss-mkimage --windows` (tests/support/ntimage.c).

Every expected value comes from the generator's ground truth (its .txt: processes,
sessions with their members and frames, images, shared / private / same-content VAs),
never from the library. Skipped when the library or ss-mkimage has no Windows model.
"""
import os
import subprocess
import tempfile
import unittest

import sessionspace as ss

MKIMAGE = os.environ.get("SS_MKIMAGE", "ss-mkimage")


def make(tmp, profile, isf=False):
    raw, dmp, txt = (os.path.join(tmp, f"{profile}.{ext}") for ext in ("raw", "dmp", "txt"))
    args = [MKIMAGE, "--windows", profile, "--dmp", dmp]
    if isf:
        args += ["--isf", os.path.join(tmp, f"{profile}.json")]
    r = subprocess.run(args + [raw, txt], capture_output=True, text=True)
    if r.returncode != 0:
        return None
    truth = {"process": [], "session": [], "image": []}
    with open(txt) as f:
        for line in f:
            w = line.split()
            if w[0] == "process":
                truth["process"].append({"pid": int(w[1]), "name": w[2], "eprocess": int(w[3], 16),
                                         "dtb": int(w[4], 16), "session": None if w[5] == "-1" else int(w[5])})
            elif w[0] == "session":
                truth["session"].append({"id": int(w[1]), "va": int(w[2], 16), "private_pa": int(w[3], 16),
                                         "same_pa": int(w[4], 16), "members": [int(x) for x in w[6:]]})
            elif w[0] == "image":
                truth["image"].append({"name": w[1], "base": int(w[2], 16), "size": int(w[3], 16)})
            elif len(w) == 2:
                truth[w[0]] = int(w[1], 16) if w[1].startswith("0x") else w[1]
    return dmp, truth


@unittest.skipUnless(ss.HAVE_NT_MODEL, "this build of libsessionspace has no Windows model")
class WindowsModel(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(dir=os.environ.get("SS_TMPDIR"))
        made = make(cls.tmp.name, "17763")
        if made is None:
            raise unittest.SkipTest("ss-mkimage has no --windows")
        cls.dmp, cls.t = made
        cls.tree = make(cls.tmp.name, "test-tree", isf=True)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def setUp(self):
        self.src = ss.open(self.dmp)
        self.addCleanup(self.src.close)

    def test_processes(self):
        got = [(p.pid, p.name, p.eprocess, p.dtb, p.session_id) for p in self.src.processes()]
        want = [(p["pid"], p["name"], p["eprocess"], p["dtb"], p["session"]) for p in self.t["process"]]
        self.assertEqual(got, want)
        self.assertEqual(self.src.model().kernel_dtb, self.t["system_dtb"])
        self.assertEqual(self.src.model().list_status, ("ok", ""))
        self.assertEqual(self.src.model().process(want[-1][0]).name, want[-1][1])

    def test_sessions_and_members(self):
        sessions = self.src.sessions()
        self.assertEqual([(s.id, s.va, s.status) for s in sessions],
                         [(s["id"], s["va"], "ok") for s in self.t["session"]])
        for s, truth in zip(sessions, self.t["session"]):
            self.assertEqual([p.pid for p in s.processes()], truth["members"])
            self.assertEqual(s.process_count, len(truth["members"]))
            self.assertEqual([i["base"] for i in s.images()], [i["base"] for i in self.t["image"]])

    def test_session_and_process_spaces(self):
        for truth in self.t["session"]:
            with self.src.model().session(truth["id"]).space() as sp:
                self.assertEqual(sp.pa(self.t["private_va"]), truth["private_pa"])
                self.assertEqual(sp.pa(self.t["shared_va"]), self.t["shared_pa"])
            member = self.src.model().process(truth["members"][-1])
            with member.space() as sp:
                self.assertEqual(sp.dtb, member.dtb)
                self.assertEqual(sp.pa(self.t["same_va"]), truth["same_pa"])

    def test_where(self):
        ids = [s["id"] for s in self.t["session"]]
        w = self.src.where(self.t["shared_va"])
        self.assertEqual((w.region, w.advice, w.shared, w.ntranslated, w.nsessions),
                         ("session", "shared", True, len(ids), len(ids)))
        self.assertEqual([(e["session"], e["pa"]) for e in w.entries], [(i, self.t["shared_pa"]) for i in ids])
        w = self.src.where(self.t["private_va"])
        self.assertEqual((w.advice, w.shared, w.same_content), ("private", False, False))
        self.assertEqual([e["pa"] for e in w.entries], [s["private_pa"] for s in self.t["session"]])
        w = self.src.where(self.t["same_va"])
        self.assertEqual((w.advice, w.shared, w.same_content), ("private", False, True))
        w = self.src.where(self.t["kernel_va"])
        self.assertEqual((w.region, w.advice), ("kernel", "global"))
        self.assertEqual({e["pa"] for e in w.entries}, {self.t["kernel_pa"]})
        self.assertEqual(self.src.model().region(self.t["shared_va"]),
                         ("session", self.t["session_start"], self.t["session_end"]))

    def test_where_range(self):
        """Two pages: win32kbase's shared text page (truth shared_va) and the session data
        page (truth private_va, a frame per session), counted over every session."""
        m = self.src.model()
        n = len(self.t["session"])
        self.assertEqual(m.where_range(self.t["shared_va"], 1),
                         {"pages": 1, "translations": n, "unmapped": 0, "shared": 1, "private_frames": 0})
        self.assertEqual(m.where_range(self.t["private_va"], 1),
                         {"pages": 1, "translations": n, "unmapped": 0, "shared": 0, "private_frames": 1})
        with self.assertRaises(ss.InvalidArgument):
            m.where_range(self.t["shared_va"], -1)

    def test_errors(self):
        with self.assertRaises(ss.NotFound) as cm:
            self.src.model().session(7)
        self.assertEqual(cm.exception.status_name, "not_found")
        with self.assertRaises(ss.NotFound):
            self.src.model().process(99999)
        with self.assertRaises(ss.BadNumber):
            self.src.where("not-a-va")
        with self.assertRaises(ss.InvalidArgument):
            self.src.model().session(-1)
        with ss.open(self.dmp) as other:
            with self.assertRaises(ss.NotFound) as cm:
                other.model(isf=os.path.join(self.tmp.name, "missing.json"))
            self.assertEqual(cm.exception.status_name, "not_found")

    def test_lifetime(self):
        src = ss.open(self.dmp)
        sid = self.t["session"][1]["id"]
        sp = src.model().session(sid).space()
        src.close()  # closes the model too; the session's space keeps what it needs
        with self.assertRaises(ss.ClosedError):
            src.sessions()
        self.assertEqual(sp.pa(self.t["private_va"]), self.t["session"][1]["private_pa"])
        sp.close()

    def test_isf_profile_with_image_names(self):
        if self.tree is None:
            self.skipTest("ss-mkimage has no test-tree profile")
        dmp, t = self.tree
        isf = os.path.join(self.tmp.name, "test-tree.json")
        with ss.open(dmp) as src:
            m = src.model(isf=isf)
            self.assertEqual([p.pid for p in m.processes()], [p["pid"] for p in t["process"]])
            for s in m.sessions():
                self.assertEqual([(i["name"], i["base"], i["size"]) for i in s.images()],
                                 [(i["name"], i["base"], i["size"]) for i in t["image"]])


if __name__ == "__main__":
    unittest.main()
