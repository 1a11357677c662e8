"""The memory verbs u, db and dq end to end, on raw images this test lays out itself.

Page tables are written here from the Intel SDM (Vol. 3A 4.3 for 32-bit paging, 4.5
for 4-level paging) and the Windows 8+ software PTE (_MMPTE_SOFTWARE: Protection bits
5-9, PageFileLow bits 12-15, PageFileHigh bits 32-63); the code bytes and their
expected text come from the SDM's encodings (see tests/test_disasm.c) written the way
kd prints them. Run by ctest with SS_CLI and SS_TMPDIR set.
"""
import json
import os
import struct
import subprocess
import unittest

from cli_support import MKIMAGE, MiB, run, tmpdir

P, RW = 0x1, 0x2


class Image:
    """Physical memory with x64 (4-level) or x86 (2-level) page tables."""

    def __init__(self, mode, size=8 * MiB, table_base=4 * MiB):
        self.mode, self.mem, self.next = mode, bytearray(size), table_base

    def alloc(self):
        pa, self.next = self.next, self.next + 4096
        return pa

    def _entry(self, pa, value=None):
        fmt = "<Q" if self.mode == "x64" else "<I"
        if value is None:
            return struct.unpack_from(fmt, self.mem, pa)[0]
        struct.pack_into(fmt, self.mem, pa, value)

    def pte_address(self, root, va, level=1):
        """PA of va's entry at level (1: PTE, 2: PDE), creating the tables above it."""
        if self.mode == "x64":
            shifts, width, mask = (39, 30, 21), 8, 0x1FF
        else:
            shifts, width, mask = (22,), 4, 0x3FF
        table = root
        for shift in shifts[:len(shifts) + 1 - level]:
            at = table + ((va >> shift) & mask) * width
            entry = self._entry(at)
            if not entry & P:
                entry = self.alloc() | P | RW
                self._entry(at, entry)
            table = entry & 0x000FFFFFFFFFF000
        shift = 12 if level == 1 else shifts[len(shifts) + 1 - level]
        return table + ((va >> shift) & mask) * width

    def map(self, root, va, pa):
        self._entry(self.pte_address(root, va), pa | P | RW)

    def set_pte(self, root, va, value):
        self._entry(self.pte_address(root, va), value)

    def write(self, pa, data):
        self.mem[pa:pa + len(data)] = data

    def save(self, path):
        with open(path, "wb") as f:
            f.write(self.mem)


# x64 code at kd's favourite win32k address (SDM encodings, see tests/test_disasm.c)
CODE_VA = 0xFFFFF96000123000
X64_CODE = bytes.fromhex("4883ec28" "c3" "488b0510000000" "e800000000" "06" "31c0")
X64_TEXT = [
    "fffff960`00123456 4883ec28        sub     rsp,28h",
    "fffff960`0012345a c3              ret",
    "fffff960`0012345b 488b0510000000  mov     rax,qword ptr [rip+10h]",
    "fffff960`00123462 e800000000      call    fffff960`00123467",  # E8 cd: rel32 from the next insn
    "fffff960`00123467 06              ???",  # PUSH ES is invalid in 64-bit mode
    "fffff960`00123468 31c0            xor     eax,eax",
]


class MemVerbs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tmpdir()
        img = Image("x64")
        cls.root_a, cls.root_b = img.alloc(), img.alloc()
        img.map(cls.root_a, CODE_VA, 0x200000)
        img.write(0x200456, X64_CODE)
        img.write(0x200FFC, bytes.fromhex("c3" "4883ec"))  # ret, then sub rsp,28h cut by the page end
        # CODE_VA + 0x1000: root A leaves it not present (the PTE stays zero after the next line)
        img.pte_address(cls.root_a, CODE_VA + 0x1000)
        # CODE_VA + 0x2000: paging file 2, offset 0x5000 (Windows 8+ layout), protection 1
        img.set_pte(cls.root_a, CODE_VA + 0x2000, (0x5000 >> 12) << 32 | 2 << 12 | 1 << 5)
        # CODE_VA + 0x3000: a frame past the end of the image ("not in the dump")
        img.map(cls.root_a, CODE_VA + 0x3000, 0x4000000)
        img.write(0x201000, b"session A text\x00\x01\x7f" + bytes(range(0x41, 0x51)))
        img.map(cls.root_a, CODE_VA + 0x4000, 0x201000)
        # CODE_VA + 2 MiB: the PDE names a page table past the end of the image
        img._entry(img.pte_address(cls.root_a, CODE_VA + 0x200000, level=2), 0x5000000 | P | RW)
        # root B: the same VA holds other code
        img.map(cls.root_b, CODE_VA, 0x210000)
        img.write(0x210456, bytes.fromhex("31c0c3"))
        cls.x64 = os.path.join(cls.tmp.name, "mem-x64.raw")
        img.save(cls.x64)

        img32 = Image("x86")
        cls.root32 = img32.alloc()
        img32.map(cls.root32, 0x80123000, 0x300000)
        img32.write(0x300456, bytes.fromhex("55" "8bec" "83ec28" "c3"))
        cls.x86 = os.path.join(cls.tmp.name, "mem-x86.raw")
        img32.save(cls.x86)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def mem(self, verb, va, *extra, root=None):
        root = self.root_a if root is None else root
        return run(verb, self.x64, va, "--mode", "x64", "--dtb", hex(root), *extra)

    def test_u_text(self):
        r = self.mem("u", "fffff960`00123456", "-n", "6")
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        self.assertEqual(r.stdout.splitlines(), X64_TEXT)
        r = self.mem("u", "fffff960`00123456")  # default: 8 instructions (the rest is 00 00: add [rax],al)
        self.assertEqual(r.stdout.splitlines()[:6], X64_TEXT)
        self.assertEqual(r.stdout.splitlines()[6:],
                         ["fffff960`0012346a 0000            add     byte ptr [rax],al",
                          "fffff960`0012346c 0000            add     byte ptr [rax],al"])

    def test_u_other_root_same_va(self):
        r = self.mem("u", "fffff960`00123456", "-n", "2", root=self.root_b)
        self.assertEqual((r.returncode, r.stdout.splitlines()),
                         (0, ["fffff960`00123456 31c0            xor     eax,eax",
                              "fffff960`00123458 c3              ret"]))

    def test_u_stops_at_unreadable_page(self):
        r = self.mem("u", "fffff960`00123ffc")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stdout.splitlines(), [
            "fffff960`00123ffc c3              ret",
            "fffff960`00123ffd ??              stopped at fffff960`00124000: not_present, not present (empty pte)",
        ])
        r = self.mem("u", "fffff960`00125000")
        self.assertEqual((r.returncode, r.stdout), (1, "fffff960`00125000 ??              stopped at "
                         "fffff960`00125000: pagefile, paged out to pagefile 2 at offset 0x5000\n"))
        r = self.mem("u", "fffff960`00323456")
        self.assertEqual(r.stdout, "fffff960`00323456 ??              stopped at fffff960`00323456: bad_pfn, "
                         "the table holding the pte is not in the dump\n")  # the PDE points outside
        r = self.mem("u", "fffff960`00126010")
        self.assertEqual(r.stdout, "fffff960`00126010 ??              stopped at fffff960`00126010: no_page, "
                         "frame 00000000`04000010 is not in the dump\n")

    def test_u_json(self):
        r = self.mem("u", "0xfffff96000123ffc", "--json")
        self.assertEqual((r.returncode, r.stderr), (1, ""))
        doc = json.loads(r.stdout)
        self.assertEqual(doc["mode"], "x64")
        self.assertEqual(int(doc["dtb"], 16), self.root_a)
        self.assertEqual((doc["va"], doc["count"]), ("0xfffff96000123ffc", 8))
        self.assertEqual(doc["instructions"], [
            {"address": "0xfffff96000123ffc", "bytes": "c3", "mnemonic": "ret", "operands": "", "bad": False}])
        self.assertEqual(doc["stop"], {
            "va": "0xfffff96000124000", "insn_va": "0xfffff96000123ffd", "status": "not_present",
            "state": "not_present", "level": "pte", "pa": None, "reason": "not present (empty pte)"})
        doc = json.loads(self.mem("u", "fffff960`00123456", "-n", "6", "--json").stdout)
        self.assertIsNone(doc["stop"])
        self.assertEqual([(i["address"], i["bytes"], i["mnemonic"], i["operands"], i["bad"])
                          for i in doc["instructions"]], [
            ("0xfffff96000123456", "4883ec28", "sub", "rsp,28h", False),
            ("0xfffff9600012345a", "c3", "ret", "", False),
            ("0xfffff9600012345b", "488b0510000000", "mov", "rax,qword ptr [rip+10h]", False),
            ("0xfffff96000123462", "e800000000", "call", "fffff960`00123467", False),
            ("0xfffff96000123467", "06", "???", "", True),
            ("0xfffff96000123468", "31c0", "xor", "eax,eax", False)])
        doc = json.loads(self.mem("u", "fffff960`00125000", "--json").stdout)
        self.assertEqual(doc["stop"]["pagefile"], {"number": 2, "offset": "0x5000"})
        doc = json.loads(self.mem("u", "fffff960`00126000", "--json").stdout)
        self.assertEqual((doc["stop"]["status"], doc["stop"]["state"], doc["stop"]["pa"], doc["stop"]["reason"]),
                         ("no_page", "valid", "0x4000000", "frame 00000000`04000000 is not in the dump"))

    def test_u_bits(self):
        # 48 is DEC eax in 32-bit code (48+rd), so sub rsp,28h reads as dec eax; sub esp,28h
        r = self.mem("u", "fffff960`00123456", "-n", "2", "--bits", "32")
        self.assertEqual((r.returncode, r.stdout.splitlines()), (0, [
            "fffff960`00123456 48              dec     eax",
            "fffff960`00123457 83ec28          sub     esp,28h"]))
        r = self.mem("u", "fffff960`00123456", "--bits", "8")
        self.assertEqual(r.returncode, 2)
        self.assertIn("bad --bits value '8' (16, 32 or 64)", r.stderr)
        r = run("u", self.x86, "80123456", "--mode", "x86", "--dtb", hex(self.root32), "--bits", "64")
        self.assertEqual(r.returncode, 2)
        self.assertIn("64-bit code needs x64 or la57 paging (invalid_arg)", r.stderr)
        r = self.mem("db", "0", "--bits", "32")
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown option '--bits'", r.stderr)

    def test_u_x86(self):
        r = run("u", self.x86, "80123456", "--mode", "x86", "--dtb", hex(self.root32), "-n", "4")
        self.assertEqual((r.returncode, r.stdout.splitlines()), (0, [
            "80123456 55              push    ebp",
            "80123457 8bec            mov     ebp,esp",
            "80123459 83ec28          sub     esp,28h",
            "8012345c c3              ret"]))
        r = run("u", self.x86, "1`00000000", "--mode", "x86", "--dtb", hex(self.root32))
        self.assertEqual(r.returncode, 2)
        self.assertIn("above 4 GiB", r.stderr)

    def test_db(self):
        r = self.mem("db", "fffff960`00124ff8", "-n", "0n40")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stdout.splitlines(), [
            "fffff960`00124ff8  ?? ?? ?? ?? ?? ?? ?? ??-?? ?? ?? ?? ?? ?? ?? ??  ????????????????",
            "fffff960`00125008  ?? ?? ?? ?? ?? ?? ?? ??-?? ?? ?? ?? ?? ?? ?? ??  ????????????????",
            "fffff960`00125018  ?? ?? ?? ?? ?? ?? ?? ??                          ????????",
            "?? fffff960`00124ff8 - fffff960`00124fff (8 bytes): not_present, not present (empty pte)",
            "?? fffff960`00125000 - fffff960`0012501f (32 bytes): pagefile, paged out to pagefile 2 at offset 0x5000",
        ])
        r = self.mem("db", "fffff960`00127000", "-l", "0n28")
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        self.assertEqual(r.stdout.splitlines(), [
            "fffff960`00127000  73 65 73 73 69 6f 6e 20-41 20 74 65 78 74 00 01  session A text..",
            "fffff960`00127010  7f 41 42 43 44 45 46 47-48 49 4a 4b              .ABCDEFGHIJK",
        ])
        # a run that starts readable and ends in a page the dump lacks
        r = self.mem("db", "fffff960`00125ff8", "-n", "0n16")
        self.assertEqual(r.stdout.splitlines()[1:], [
            "?? fffff960`00125ff8 - fffff960`00125fff (8 bytes): pagefile, paged out to pagefile 2 at offset 0x5000",
            "?? fffff960`00126000 - fffff960`00126007 (8 bytes): no_page, frame 00000000`04000000 is not in the dump",
        ])

    def test_db_json(self):
        r = self.mem("db", "fffff960`00123ffc", "-n", "8", "--json")
        self.assertEqual((r.returncode, r.stderr), (1, ""))
        self.assertEqual(json.loads(r.stdout), {
            "mode": "x64", "dtb": hex(self.root_a), "va": "0xfffff96000123ffc", "size": 8,
            "bytes": "c34883ec????????",
            "unreadable": [{"va": "0xfffff96000124000", "size": 4, "status": "not_present",
                            "state": "not_present", "level": "pte", "pa": None,
                            "reason": "not present (empty pte)"}]})

    def test_dq(self):
        r = self.mem("dq", "fffff960`00127000", "-l", "3")
        self.assertEqual((r.returncode, r.stdout.splitlines()), (0, [
            "fffff960`00127000  206e6f69`73736573 01007478`65742041",
            "fffff960`00127010  47464544`4342417f",  # 7f 41 42 .. 47, little-endian
        ]))
        r = self.mem("dq", "fffff960`00123ffc", "-l", "2")  # c3 48 83 ec | not present
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stdout.splitlines()[0], "fffff960`00123ffc  ????????`ec8348c3 ????????`????????")
        doc = json.loads(self.mem("dq", "fffff960`00127000", "-n", "0n12", "--json").stdout)
        self.assertEqual((doc["size"], doc["qwords"], doc["unreadable"]),
                         (16, ["0x206e6f6973736573", "0x0100747865742041"], []))
        doc = json.loads(self.mem("dq", "fffff960`00123ff8", "-l", "2", "--json").stdout)
        self.assertEqual(doc["qwords"][1], None)

    def test_bad_input(self):
        def check(r, rc, *needles):
            self.assertEqual(r.returncode, rc, r.stderr)
            self.assertEqual(r.stdout, "")
            for n in needles:
                self.assertIn(n, r.stderr)
            self.assertNotIn("Traceback", r.stderr)

        missing = os.path.join(self.tmp.name, "nope.raw")
        for verb in ("u", "db", "dq"):
            check(run(verb, missing, "0", "--mode", "x64", "--dtb", "0x1000"), 3, "not_found")
            check(run(verb, "dmp:" + self.x64, "0", "--mode", "x64", "--dtb", "0x1000"), 3, "(format)")
            check(run(verb, self.tmp.name, "0", "--mode", "x64", "--dtb", "0x1000"), 3, "is_dir")
            check(self.mem(verb, "fffff960`0012g000"), 2, f"sessionspace {verb}: bad virtual address")
            check(self.mem(verb, "fffff960`00123"), 2, "bad virtual address")
            check(run(verb, self.x64, "0"), 2, "pass --dtb", "pass --mode")
            check(run(verb, self.x64), 2, "missing VA")
            check(run(verb), 2, "missing SOURCE and VA")
            check(self.mem(verb, "0", "--frob"), 2, "unknown option '--frob'")
            check(self.mem(verb, "0", "-n"), 2, "incomplete option '-n'")
            check(self.mem(verb, "0", "-n", "0"), 2, "bad -n value '0'")
            check(self.mem(verb, "0", "extra"), 2, "unexpected argument 'extra'")
            check(self.mem(verb, "0", "--mode", "z80"), 2, "unknown mode 'z80'")
        check(self.mem("db", "0", "-n", "1", "-l", "1"), 2, "give one")
        check(self.mem("u", "0", "-n", "100001"), 2, "bad -n value")
        check(self.mem("dq", "0", "-l", "200001"), 2, "bad -l value")
        # unreadable memory: a message on stdout (the listing's last line) and exit 1
        r = self.mem("u", "0")
        self.assertEqual((r.returncode, r.stdout),
                         (1, "00000000`00000000 ??              stopped at 00000000`00000000: not_present, "
                          "not present (empty pml4e)\n"))

    def test_help(self):
        for verb in ("u", "db", "dq"):
            r = run(verb, "--help")
            self.assertEqual(r.returncode, 0)
            self.assertTrue(r.stdout.startswith(f"usage: sessionspace {verb} SOURCE VA"))
        r = run("--help")
        self.assertIn("  u          disassemble", r.stdout)


class WindowsContexts(unittest.TestCase):
    """--session / --process on the generated Windows 10 1809 dump (ss-mkimage --windows):
    each session's private page at the same VA holds "session N private data"."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tmpdir()
        cls.dump = os.path.join(cls.tmp.name, "win.dmp")
        raw = os.path.join(cls.tmp.name, "win.raw")
        meta = subprocess.run([MKIMAGE, "--windows", "17763", "--dmp", cls.dump, raw], capture_output=True,
                              text=True, check=True).stdout
        cls.meta, cls.processes = {}, {}
        for line in meta.splitlines():
            k, *v = line.split()
            if k == "process":  # process PID NAME EPROCESS DTB SESSION
                cls.processes[v[0]] = v
            cls.meta.setdefault(k, v)
        cls.private = cls.meta["private_va"][0]

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_db_per_session(self):
        for sid in ("0", "1", "2"):
            r = run("db", self.dump, self.private, "-n", "0n22", "--session", sid, "--json")
            self.assertEqual((r.returncode, r.stderr), (0, ""))
            self.assertEqual(bytes.fromhex(json.loads(r.stdout)["bytes"]), f"session {sid} private data".encode())

    def test_u_per_session_and_process(self):
        # "session N private data" as x64 code: 73 65 / 73 73 are JAE rel8 (73 cb); 69 6f 6e 20 3N 20 70
        # is IMUL r32, r/m32, imm32 (69 /r id) with ModRM 6f = ebp, [rdi + disp8 6e], imm32 70203N20h
        def want(n):
            return ["ffffdc80`30000000 7365            jae     ffffdc80`30000067",
                    "ffffdc80`30000002 7373            jae     ffffdc80`30000077",
                    f"ffffdc80`30000004 696f6e203{n}2070  imul    ebp,dword ptr [rdi+6eh],70203{n}20h"]
        for sid in ("0", "2"):
            r = run("u", self.dump, self.private, "-n", "3", "--session", sid)
            self.assertEqual((r.returncode, r.stdout.splitlines()), (0, want(sid)))
        r = run("u", self.dump, self.private, "-n", "3", "--process", "0n1192")  # notepad.exe, session 2
        self.assertEqual((r.returncode, r.stdout.splitlines()), (0, want("2")))
        doc = json.loads(run("dq", self.dump, self.private, "-l", "1", "--process", "0n688", "--json").stdout)
        self.assertEqual(doc["qwords"], ["0x206e6f6973736573"])  # csrss.exe of session 1: "session "
        self.assertEqual((doc["dtb"], self.processes["688"][4]), (self.processes["688"][3], "1"))
        # the System root has no session space: the same VA is unreadable there
        r = run("db", self.dump, self.private, "-n", "0x10")
        self.assertEqual(r.returncode, 1)
        self.assertIn("not_present", r.stdout.splitlines()[-1])

    def test_unknown_session_or_process(self):
        for verb in ("u", "db", "dq"):
            r = run(verb, self.dump, self.private, "--session", "7")
            self.assertEqual((r.returncode, r.stdout), (1, ""))
            self.assertIn(f"sessionspace {verb}: no session 7 (sessions: 0, 1, 2) (not_found)", r.stderr)
            r = run(verb, self.dump, self.private, "--process", "0n99999")
            self.assertEqual(r.returncode, 1)
            self.assertIn(f"sessionspace {verb}: no process with PID 99999", r.stderr)
            r = run(verb, self.dump, self.private, "--process", "zz")
            self.assertEqual(r.returncode, 2)
            self.assertIn("bad --process PID 'zz'", r.stderr)
            r = run(verb, self.dump, self.private, "--session", "1", "--process", "4")
            self.assertEqual(r.returncode, 2)
            self.assertIn("give one", r.stderr)
            r = run(verb, self.dump, self.private, "--user")
            self.assertEqual(r.returncode, 2)
            self.assertIn("--user only applies with --process", r.stderr)


if __name__ == "__main__":
    unittest.main()
