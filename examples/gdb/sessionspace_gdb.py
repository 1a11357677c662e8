"""sessionspace inside gdb: Windows session space through QEMU's gdbstub.

Load it in a gdb connected to QEMU (`qemu-system-x86_64 ... -gdb tcp::1234`), with the
bindings on PYTHONPATH (a build tree's build/bindings/python, or an installed package):

    (gdb) target remote :1234
    (gdb) source examples/gdb/sessionspace_gdb.py
    (gdb) ss-open --build 17763 --ps-head 0xfffff8005a403000 --phys-size 0x4000000
    (gdb) ss-sessions
    (gdb) ss-where 0xffffdc8030000000
    (gdb) ss-db 0xffffdc8030000000 --session 1
    (gdb) ss-u 0xfffff8005a405000 -n 4

Physical memory is read THROUGH gdb: the library's callback source
(sessionspace.open_callback) calls GdbPhysReader, which switches QEMU's gdbstub to
physical addresses (`maint packet Qqemu.PhyMemMode:1`, QEMU's docs/system/gdb.rst),
reads with gdb.selected_inferior().read_memory(pa, n), and switches back to virtual
mode, so gdb's own commands (x, disassemble) keep working on virtual addresses. A
command switches once for all its reads.

The kernel's page-table root: --dtb, else the CPU's CR3 when it is not 0, else the
header-less discovery of the library (Source.scan(): pages that map themselves) over
--phys-size bytes, preferring a root without user mappings (the System process's).
A raw guest has no dump header: the Windows build (--build) and PsActiveProcessHead
(--ps-head; or an ISF with --isf) say what the model needs.

Commands (`help ss-open` ... for each):
    ss-open [--dtb D] [--build N] [--ps-head VA] [--isf FILE] [--phys-size N] [--mode M] [--no-phys-mode]
                                  (--mode: the guest's paging mode, x64 by default)
    ss-dtb D                      re-root the model at another kernel DTB
    ss-sessions                   the sessions, their _MM_SESSION_SPACE and member PIDs
    ss-where VA                   in which sessions VA is valid, to which frames, and the advice
    ss-db VA [--session N | --process PID] [-n COUNT]   bytes through that context
    ss-u VA [--session N | --process PID] [-n COUNT]    instructions through that context
    ss-close
"""
import argparse
import shlex

import gdb  # noqa: F401 - provided by gdb's embedded Python

import sessionspace as ss

_PHYS_ON = "maint packet Qqemu.PhyMemMode:1"
_PHYS_OFF = "maint packet Qqemu.PhyMemMode:0"


class GdbPhysReader:
    """read_phys(pa, n) for sessionspace.open_callback, through gdb's remote target."""

    def __init__(self, phys_mode=True):
        self.phys_mode = phys_mode  # False: the target already reads physical memory
        self.depth = 0  # > 0 while a command holds physical mode
        self.reads = 0

    def _packet(self, packet):
        try:
            out = gdb.execute(packet, to_string=True)
        except gdb.error as e:
            raise gdb.GdbError(f"cannot switch QEMU's gdbstub to physical addresses: {e} "
                               "(connect with `target remote` first; --no-phys-mode when the target "
                               "already reads physical memory)") from None
        if 'received: "OK"' not in out:
            raise gdb.GdbError(f"the remote did not accept {packet.split()[-1]} (is it QEMU's gdbstub?): "
                               f"{out.strip()}")

    def __enter__(self):
        if self.phys_mode and self.depth == 0:
            self._packet(_PHYS_ON)
        self.depth += 1
        return self

    def __exit__(self, *exc):
        self.depth -= 1
        if self.phys_mode and self.depth == 0:
            self._packet(_PHYS_OFF)
        return False

    def __call__(self, pa, n):
        self.reads += 1
        with self:  # per read when no command holds physical mode
            try:
                return bytes(gdb.selected_inferior().read_memory(pa, n))
            except gdb.MemoryError as e:  # the target has no memory there
                raise ss.ReadError(ss.STATUS_CODES["no_page"], f"gdb: {e}") from None
            except gdb.error as e:  # no target, a broken connection ...
                raise ss.ReadError(ss.STATUS_CODES["io"], f"gdb: {e}") from None


class _State:
    src = None
    reader = None
    model_args = None

    def need(self):
        if self.src is None:
            raise gdb.GdbError("no source: run ss-open first")
        return self.src


_state = _State()


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise gdb.GdbError(f"{self.prog}: {message}")


def _int(text):
    return ss.parse_va(text)  # kd's forms too: fffff800`12345678, 0x..., 0n...


def _run(fn):
    """Runs a command body with physical mode held and library errors as gdb errors."""
    try:
        if _state.reader is not None:
            with _state.reader:
                return fn()
        return fn()
    except ss.Error as e:
        raise gdb.GdbError(str(e)) from None


def _open_model(dtb):
    a = _state.model_args
    _state.src.model(a.isf, dtb=dtb, build=a.build, ps_active_process_head=a.ps_head)
    _state.dtb = dtb


def _find_dtb(src, phys_size):
    try:
        cr3 = int(gdb.selected_frame().read_register("cr3"))
    except (gdb.error, ValueError):  # no thread / frame, or no cr3 in this target's description
        cr3 = 0
    if cr3 & ~0xFFF:
        return cr3 & 0x000FFFFFFFFFF000  # PCID / flags in the low 12 bits (SDM Vol. 3A 4.5)
    if not phys_size:
        raise gdb.GdbError("CR3 is 0 (the CPU never ran?): pass --dtb, or --phys-size to scan for it")
    roots = src.scan(min_kernel_entries=1, min_zero_entries=1, max_pa=phys_size)
    if not roots:
        raise gdb.GdbError(f"no page that maps itself in the first {phys_size:#x} bytes: pass --dtb")
    kernel_only = [r for r in roots if not r["user_present"]]
    return (kernel_only or roots)[0]["dtb"]


class SsOpen(gdb.Command):
    """Opens the Windows model over the target's physical memory, read through gdb.
Usage: ss-open [--dtb D] [--build N] [--ps-head VA] [--isf FILE] [--phys-size N] [--mode x64] [--no-phys-mode]"""

    def __init__(self):
        super().__init__("ss-open", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        p = _Parser(prog="ss-open", add_help=False)
        p.add_argument("--dtb", type=_int)
        p.add_argument("--build", type=int)
        p.add_argument("--ps-head", type=_int)
        p.add_argument("--isf")
        p.add_argument("--phys-size", type=_int, default=0)
        p.add_argument("--mode", default="x64", choices=("x86", "pae", "x64", "la57"))
        p.add_argument("--no-phys-mode", action="store_true")
        a = p.parse_args(shlex.split(arg))
        if _state.src is not None:
            _state.src.close()
        _state.reader = GdbPhysReader(phys_mode=not a.no_phys_mode)
        _state.model_args = a
        _state.src = ss.open_callback(_state.reader, a.phys_size, paging_mode=a.mode, name="gdb")

        def body():
            dtb = a.dtb if a.dtb is not None else _find_dtb(_state.src, a.phys_size)
            _open_model(dtb)
            m = _state.src.model()
            print(f"sessionspace {ss.version()}: kernel DTB {m.kernel_dtb:#x}, "
                  f"{len(m.processes())} processes, {len(m.sessions())} sessions")

        try:
            _run(body)
        except BaseException:
            _state.src.close()  # no half-open state: the next command says "run ss-open first"
            _state.src = _state.reader = None
            raise


class SsDtb(gdb.Command):
    """Re-roots the model at another kernel page-table root. Usage: ss-dtb D"""

    def __init__(self):
        super().__init__("ss-dtb", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        _state.need()
        _run(lambda: _open_model(_int(arg.strip())))


class SsSessions(gdb.Command):
    """Lists the sessions (kd's !session): id, _MM_SESSION_SPACE, member PIDs. Usage: ss-sessions"""

    def __init__(self):
        super().__init__("ss-sessions", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        src = _state.need()

        def body():
            for s in src.sessions():
                pids = " ".join(str(p.pid) for p in s.processes())
                print(f"session {s.id}: _MM_SESSION_SPACE {s.va:#x}, {s.process_count} processes: {pids}")

        _run(body)


class SsWhere(gdb.Command):
    """In which sessions VA translates, to which frames, and what a breakpoint there would do.
Usage: ss-where VA"""

    def __init__(self):
        super().__init__("ss-where", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        src = _state.need()

        def body():
            w = src.where(_int(arg.strip()))
            print(f"{w.va:#x}: region {w.region}, advice {w.advice}: {w.advice_text}")
            for e in w.entries:
                pa = "-" if e["pa"] is None else f"{e['pa']:#x}"
                print(f"  session {e['session']}: {pa} ({e['state']})")

        _run(body)


def _context_parser(prog):
    p = _Parser(prog=prog, add_help=False)
    p.add_argument("va", type=_int)
    g = p.add_mutually_exclusive_group()
    g.add_argument("--session", type=int)
    g.add_argument("--process", type=int)
    p.add_argument("-n", type=int, default=None)
    return p


def _space(a):
    m = _state.src.model()
    if a.session is not None:
        return m.session(a.session).space()
    if a.process is not None:
        return m.process(a.process).space()
    return _state.src.space(_state.dtb)


class SsDb(gdb.Command):
    """Bytes through a session's (or process's) page tables, as kd's db prints them; ??
where memory is unreadable, with the reason. Usage: ss-db VA [--session N | --process PID] [-n COUNT]"""

    def __init__(self):
        super().__init__("ss-db", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        _state.need()
        a = _context_parser("ss-db").parse_args(shlex.split(arg))

        def body():
            with _space(a) as sp:
                n = 128 if a.n is None else a.n
                try:
                    data, why = sp.read(a.va, n), None
                except (ss.TranslationError, ss.ReadError) as e:
                    data, why = e.data, e
                for off in range(0, n, 16):
                    row = [data[i] if i < len(data) else None for i in range(off, min(off + 16, n))]
                    hexes = " ".join("??" if b is None else f"{b:02x}" for b in row)
                    text = "".join("?" if b is None else chr(b) if 0x20 <= b < 0x7F else "." for b in row)
                    va = a.va + off
                    print(f"{va >> 32:08x}`{va & 0xFFFFFFFF:08x}  {hexes:<47}  {text}")
                if why is not None:
                    print(f"?? from {a.va + len(data):#x}: {why.status_name}: {why.message}")

        _run(body)


class SsU(gdb.Command):
    """Disassembles through a session's (or process's) page tables (kd's u).
Usage: ss-u VA [--session N | --process PID] [-n COUNT]"""

    def __init__(self):
        super().__init__("ss-u", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        _state.need()
        a = _context_parser("ss-u").parse_args(shlex.split(arg))

        def body():
            with _space(a) as sp:
                d = sp.disasm(a.va, 8 if a.n is None else a.n)
                for i in d:
                    print(f"{i.address >> 32:08x}`{i.address & 0xFFFFFFFF:08x} {i.bytes.hex():<16} "
                          f"{i.mnemonic} {i.op_str}".rstrip())
                if d.stop is not None:
                    print(f"{d.stop.va:#x}: {d.stop.status} ({d.stop.translation.state})")

        _run(body)


class SsClose(gdb.Command):
    """Closes the source and the model. Usage: ss-close"""

    def __init__(self):
        super().__init__("ss-close", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        if _state.src is not None:
            _state.src.close()
        _state.src = _state.reader = None


for _cmd in (SsOpen, SsDtb, SsSessions, SsWhere, SsDb, SsU, SsClose):
    _cmd()
