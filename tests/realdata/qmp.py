#!/usr/bin/python3
"""Talks to a QEMU QMP socket for tests/realdata/capture.sh (Python standard library only).

  qmp.py SOCK cmd NAME [JSON-ARGS]    run one QMP command, print its "return" as JSON
  qmp.py SOCK hmp 'COMMAND LINE'      run one monitor (HMP) command, print its text
  qmp.py SOCK pause DIR NMAPPED NUNMAPPED SEED
                                      record one stopped moment of the guest into DIR:
                                      registers.txt, cr3, tlb.tsv, gva2gpa.tsv
  qmp.py SOCK dump FILE [paging|kdump-zlib]
                                      dump-guest-memory into FILE: an ELF core of all
                                      RAM, or the paging ELF, or a flattened kdump-zlib
  qmp.py free-port                    print a free TCP port on 127.0.0.1

The protocol is QEMU's docs/interop/qmp-spec: a greeting, then `qmp_capabilities`,
then one JSON object per line; asynchronous {"event": ...} lines may come between a
command and its reply and are skipped. Exit status 1 with a message on stderr when
QEMU answers with an error, closes the socket or does not answer within TIMEOUT
seconds (environment QMP_TIMEOUT, default 300).
"""
import json
import os
import random
import re
import socket
import sys

TIMEOUT = float(os.environ.get("QMP_TIMEOUT", "300"))


class QmpError(Exception):
    pass


class Qmp:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(TIMEOUT)
        try:
            self.sock.connect(path)
        except OSError as e:
            raise QmpError(f"cannot connect to QMP socket {path}: {e}") from e
        self.buf = b""
        greeting = self._read()
        if "QMP" not in greeting:
            raise QmpError(f"no QMP greeting on {path}: {greeting!r}")
        self.cmd("qmp_capabilities")

    def _read(self):
        while b"\n" not in self.buf:
            try:
                chunk = self.sock.recv(1 << 20)
            except socket.timeout as e:
                raise QmpError(f"QEMU did not answer within {TIMEOUT:.0f} s") from e
            if not chunk:
                raise QmpError("QEMU closed the QMP socket")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def cmd(self, name, args=None):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            reply = self._read()
            if "event" in reply:
                continue
            if "error" in reply:
                raise QmpError(f"{name}: {reply['error'].get('desc', reply['error'])}")
            return reply.get("return")

    def hmp(self, line):
        return self.cmd("human-monitor-command", {"command-line": line})

    def gva2gpa(self, va):
        """QEMU's own translation of VA by the current vCPU state, or None (unmapped)."""
        text = self.hmp(f"gva2gpa {va:#x}").strip()
        m = re.match(r"gpa:\s*(0x[0-9a-fA-F]+)", text)
        if m:
            return int(m.group(1), 16)
        if "Unmapped" in text:
            return None
        raise QmpError(f"gva2gpa {va:#x}: unexpected answer {text!r}")


# `info tlb` (target/i386/monitor.c) prints one line per present leaf entry:
# "VA: PA FLAGS" with VA canonical and PA the page (or large page) base.
TLB_LINE = re.compile(r"^([0-9a-fA-F]+): ([0-9a-fA-F]+) ([-A-Z]{9})\s*$")


def parse_tlb(text):
    pages = []
    for line in text.splitlines():
        if not line.strip():
            continue
        m = TLB_LINE.match(line.strip())
        if not m:  # a line we cannot read would silently shrink the test
            raise QmpError(f"`info tlb`: unexpected line {line!r}")
        pages.append((int(m.group(1), 16), int(m.group(2), 16), m.group(3)))
    return pages


def canonical(va, la57):
    bits = 57 if la57 else 48
    va &= (1 << bits) - 1
    if va >> (bits - 1):
        va |= ((1 << 64) - 1) ^ ((1 << bits) - 1)
    return va


def record_pause(q, outdir, nmapped, nunmapped, seed):
    regs = q.hmp("info registers")
    with open(os.path.join(outdir, "registers.txt"), "w") as f:
        f.write(regs)
    m = re.search(r"CR3=([0-9a-fA-F]+)", regs)
    m4 = re.search(r"CR4=([0-9a-fA-F]+)", regs)
    if not m or not m4:
        raise QmpError("no CR3/CR4 in `info registers`")
    cr3 = int(m.group(1), 16)
    la57 = bool(int(m4.group(1), 16) & (1 << 12))  # CR4.LA57 (Intel SDM Vol. 3A 2.5)
    with open(os.path.join(outdir, "cr3"), "w") as f:
        f.write(f"{cr3:#x}\n")

    pages = parse_tlb(q.hmp("info tlb"))
    if not pages:
        raise QmpError("`info tlb` listed no mapping")
    with open(os.path.join(outdir, "tlb.tsv"), "w") as f:
        for va, pa, _ in pages:
            f.write(f"{va:016x}\t{pa:016x}\n")

    rng = random.Random(seed)
    probes = []
    # Mapped: listed pages at a random offset; within a large page (flag 'P', the PS
    # bit) the offset may reach past the first 4 KiB. QEMU answers for whatever VA.
    # The user half holds few of the pages: give it a sixth of the probes.
    user = [p for p in pages if p[0] >> 63 == 0]
    chosen = rng.sample(user, min(nmapped // 6, len(user)))
    rest = [p for p in pages if p[0] >> 63 or p not in chosen]
    chosen += rng.sample(rest, min(nmapped - len(chosen), len(rest)))
    for va, _, flags in chosen:
        span = 0x200000 if flags[2] == "P" and va % 0x200000 == 0 else 0x1000
        probes.append(va + rng.randrange(span))
    # Unmapped: the page just past a listed run (where a walk ends), then random
    # canonical addresses in both halves; keep only what QEMU says is unmapped.
    listed = {va for va, _, _ in pages}
    edges = [va + 0x1000 for va, _, _ in pages if va + 0x1000 not in listed]
    rng.shuffle(edges)
    unmapped, seen, tries = [], set(), 0
    while len(unmapped) < nunmapped and tries < 50 * nunmapped:
        tries += 1
        if edges and tries % 2:
            va = edges.pop() + rng.randrange(0x1000)
        else:
            va = canonical(rng.getrandbits(64), la57)
        if va in seen:
            continue
        seen.add(va)
        if q.gva2gpa(va) is None:
            unmapped.append(va)
    with open(os.path.join(outdir, "gva2gpa.tsv"), "w") as f:
        for va in probes:
            pa = q.gva2gpa(va)
            f.write(f"{va:016x}\t" + ("-" if pa is None else f"{pa:x}") + "\n")
        for va in unmapped:
            f.write(f"{va:016x}\t-\n")
    if len(unmapped) < nunmapped:
        raise QmpError(f"found only {len(unmapped)} of {nunmapped} unmapped addresses")
    print(f"cr3 {cr3:#x}, {len(pages)} tlb pages, {len(probes)} + {len(unmapped)} probes")


def main(argv):
    if len(argv) == 2 and argv[1] == "free-port":
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            print(s.getsockname()[1])
        return 0
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    sock, what = argv[1], argv[2]
    try:
        q = Qmp(sock)
        if what == "cmd" and len(argv) in (4, 5):
            args = json.loads(argv[4]) if len(argv) == 5 else None
            print(json.dumps(q.cmd(argv[3], args)))
        elif what == "hmp" and len(argv) == 4:
            sys.stdout.write(q.hmp(argv[3]))
        elif what == "pause" and len(argv) == 7:
            record_pause(q, argv[3], int(argv[4]), int(argv[5]), int(argv[6]))
        elif what == "dump" and len(argv) in (4, 5):
            kind = argv[4] if len(argv) == 5 else "elf"
            args = {"paging": kind == "paging", "protocol": "file:" + os.path.abspath(argv[3])}
            if kind == "kdump-zlib":
                args["format"] = "kdump-zlib"
            elif kind not in ("elf", "paging"):
                raise ValueError(f"unknown dump kind {kind}")
            q.cmd("dump-guest-memory", args)  # synchronous without "detach"
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except (QmpError, OSError, ValueError) as e:
        print(f"qmp.py: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
