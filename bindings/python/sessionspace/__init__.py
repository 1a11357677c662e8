"""sessionspace: Windows kernel session space in memory dumps, from Python.

A thin Pythonic layer over the C library libsessionspace (its SWIG module is
``sessionspace.capi``)::

    import sessionspace
    with sessionspace.open("memory.dmp") as src:           # format sniffed
        space = src.space()                                 # DTB and mode from the dump
        t = space.translate("fffff99b`3c078c87")
        print(t.status, hex(t.pa or 0), space.read(t.va, 16))

Lifetime rules:

* ``Source.close()`` (or leaving its ``with`` block) makes the Source unusable at
  once; the C source itself is closed when the last Space opened from it is closed
  or collected. A Space holds a reference to its source's handle, so a Space never
  reads from a closed source, and dropping the Source object while Spaces exist is
  safe.
* Any method of a closed object raises ``sessionspace.ClosedError``.
* Every failure of the library raises ``sessionspace.Error`` (or a subclass) with
  ``.status`` (the ss_status code), ``.status_name`` ("not_found", "pagefile", ...)
  and ``.message``.

An object (Source or Space) belongs to one thread at a time, like the C handles
(the GIL is held during every C call, so misuse cannot corrupt memory).
"""

from array import array as _array

from . import capi as _c

__all__ = [
    "open", "version", "parse_va", "status_name", "Source", "Space", "Translation", "Entry",
    "Translations", "Error", "InvalidArgument", "BadNumber", "ClosedError", "NotFound",
    "FormatError", "Unsupported", "ReadError", "TranslationError", "open_callback", "Instruction",
    "DisasmStop", "Disassembly",
]

# ---- Status codes and exceptions ---------------------------------------------------

#: code -> stable name ("ok", "not_found", ...) for every code the library knows.
STATUS_NAMES = {}
for _name in dir(_c):
    if _name == "SS_OK" or _name.startswith("SS_E_"):
        _code = getattr(_c, _name)
        STATUS_NAMES[_code] = _c.ss_status_name(_code)
#: name -> code.
STATUS_CODES = {v: k for k, v in STATUS_NAMES.items()}


def status_name(code):
    """The stable name of an ss_status code ("unknown" when the library has none)."""
    return _c.ss_status_name(int(code))


class Error(Exception):
    """A libsessionspace failure: .status (ss_status code), .status_name, .message."""

    def __init__(self, status, message=None):
        self.status = int(status)
        self.status_name = _c.ss_status_name(self.status)
        self.message = message or _c.ss_strerror(self.status)
        super().__init__(f"{self.status_name}: {self.message}")


class InvalidArgument(Error, ValueError):
    """A bad argument: a NULL-like handle, a bad length, mode or option (invalid_arg)."""


class BadNumber(InvalidArgument):
    """A VA or number that is not an integer in 0 .. 2^64-1, or text that does not parse (bad_number)."""


class ClosedError(InvalidArgument):
    """An operation on a closed Source or Space (status invalid_arg)."""


class NotFound(Error, LookupError):
    """The file or named object does not exist (not_found)."""


class FormatError(Error):
    """The data is not in a format this build reads, or is damaged (format, corrupt, truncated, empty, is_dir)."""


class Unsupported(Error):
    """Recognised but not supported, or not known from the source (unsupported)."""


class ReadError(Error, OSError):
    """Physical memory could not be read (no_page, range, io, short_read, read_error, nomem).

    ``.data`` holds the bytes read before the failure (``b""`` when none)."""

    data = b""


class TranslationError(Error):
    """A virtual address did not translate (not_present, pagefile, prototype, demand_zero,
    bad_pfn, noncanonical, ...). ``.data`` holds the bytes read before the failure."""

    data = b""


_CLASS_OF = {
    "invalid_arg": InvalidArgument, "bad_number": BadNumber, "not_found": NotFound,
    "format": FormatError, "corrupt": FormatError, "truncated": FormatError, "empty": FormatError,
    "is_dir": FormatError, "unsupported": Unsupported, "no_page": ReadError, "range": ReadError,
    "io": ReadError, "short_read": ReadError, "read_error": ReadError, "nomem": ReadError,
    "not_present": TranslationError, "transition": TranslationError, "prototype": TranslationError,
    "pagefile": TranslationError, "demand_zero": TranslationError, "bad_pfn": TranslationError,
    "noncanonical": TranslationError, "reserved_bit": TranslationError,
}


def _error(status, message=None):
    """The exception instance for an ss_status (used by the C typemaps too)."""
    return _CLASS_OF.get(_c.ss_status_name(int(status)), Error)(status, message)


_c.ssp_set_error_factory(_error)


def _check(status, message=None):
    if status != _c.SS_OK:
        raise _error(status, message)


# ---- Small helpers -------------------------------------------------------------------

_U64_MAX = (1 << 64) - 1


def parse_va(value):
    """An address as an int: an int in 0 .. 2^64-1, or text as kd prints it
    ("fffff99b`3c078c87", "0x...", "0n123"). Raises BadNumber otherwise."""
    if type(value) is int and 0 <= value <= _U64_MAX:  # the common case, first
        return value
    if isinstance(value, str):
        status, out = _c.ss_parse_u64(value)
        if status != _c.SS_OK:
            raise BadNumber(status, f"'{value[:64]}' is not a number")
        return out
    try:
        v = value.__index__()
    except (AttributeError, TypeError):
        raise BadNumber(_c.SS_E_BAD_NUMBER, f"a {type(value).__name__} is not an address (int or str)") from None
    if not 0 <= v <= _U64_MAX:
        raise BadNumber(_c.SS_E_BAD_NUMBER, f"{v:#x} is not in 0 .. 2^64-1")
    return v


_MODES = {"auto": _c.SS_MODE_AUTO, "x86": _c.SS_MODE_X86, "pae": _c.SS_MODE_PAE, "x64": _c.SS_MODE_X64,
          "la57": _c.SS_MODE_LA57}


def _mode(mode):
    if mode is None:
        return _c.SS_MODE_AUTO
    if isinstance(mode, str):
        try:
            return _MODES[mode.lower()]
        except KeyError:
            raise InvalidArgument(_c.SS_E_INVALID_ARG,
                                  f"unknown paging mode '{mode}' (x86, pae, x64, la57, auto)") from None
    if isinstance(mode, int) and mode in _MODES.values():
        return mode
    raise InvalidArgument(_c.SS_E_INVALID_ARG, f"unknown paging mode {mode!r}")


def _length(n, what="length"):
    try:
        v = n.__index__()
    except (AttributeError, TypeError):
        raise InvalidArgument(_c.SS_E_INVALID_ARG, f"{what} must be an int, not {type(n).__name__}") from None
    if not 0 <= v <= _c.ssp_max_read():
        raise InvalidArgument(_c.SS_E_INVALID_ARG, f"{what} {v} is not in 0 .. {_c.ssp_max_read()}")
    return v


def version():
    """The library's version "MAJOR.MINOR.PATCH" (at run time when the library says it)."""
    if hasattr(_c, "ss_version"):
        return _c.ss_version()
    return f"{_c.SS_VERSION_MAJOR}.{_c.SS_VERSION_MINOR}.{_c.SS_VERSION_PATCH}"


_LEVEL_NAMES = {1: "pte", 2: "pde", 3: "pdpte", 4: "pml4e", 5: "pml5e"}


# ---- Results -------------------------------------------------------------------------

class Entry:
    """One paging-structure entry a walk read: level name, its own PA, its value."""

    __slots__ = ("level", "pa", "value")

    def __init__(self, level, pa, value):
        self.level, self.pa, self.value = level, pa, value

    def __repr__(self):
        return f"Entry({self.level}, pa={self.pa:#x}, value={self.value:#018x})"

    def __eq__(self, other):
        return isinstance(other, Entry) and (self.level, self.pa, self.value) == (other.level, other.pa, other.value)


class Translation:
    """The full result of one walk (ss_space_walk): what `!pte` shows.

    ``state`` ("valid", "transition", "pagefile", ...), ``status`` (the ss_status
    name, "ok" when ``pa`` is usable), ``status_code``, ``pa`` (None when nothing is
    mapped), ``page_size``, ``flags`` and the booleans ``rw``, ``us``, ``nx``,
    ``large``, ``global_``, ``in_source`` (None when this library does not tell),
    ``level`` (the deciding entry's level name), ``entries`` (top level first),
    ``protection``, ``pagefile`` ((number, offset) or None), ``proto_address``."""

    __slots__ = ("va", "pa", "page_size", "state", "status", "status_code", "flags", "level", "entries",
                 "protection", "pagefile", "proto_address")

    def __init__(self, status, x):
        self.status_code = status
        self.status = _c.ss_status_name(status)
        self.va = x["va"]
        self.flags = x["flags"]
        self.pa = x["pa"] if self.flags & _c.SS_XLAT_F_HAS_PA else None
        self.page_size = x["page_size"]
        self.state = _c.ss_xlat_state_name(x["state"])
        self.level = _LEVEL_NAMES.get(x["level"])
        self.entries = [Entry(_LEVEL_NAMES.get(lv, str(lv)), pa, value) for lv, pa, value in x["entries"]]
        self.protection = x["protection"]
        self.pagefile = ((x["pagefile_number"], x["pagefile_offset"]) if x["state"] == _c.SS_XLAT_PAGEFILE
                         else None)
        self.proto_address = x["proto_address"] if x["state"] == _c.SS_XLAT_PROTOTYPE else None

    ok = property(lambda self: self.status_code == _c.SS_OK, doc="True when pa is usable")
    rw = property(lambda self: bool(self.flags & _c.SS_XLAT_F_RW))
    us = property(lambda self: bool(self.flags & _c.SS_XLAT_F_US))
    nx = property(lambda self: bool(self.flags & _c.SS_XLAT_F_NX))
    large = property(lambda self: bool(self.flags & _c.SS_XLAT_F_LARGE))
    global_ = property(lambda self: bool(self.flags & _c.SS_XLAT_F_GLOBAL))

    @property
    def in_source(self):
        """False when the mapping is valid but the source lacks its frame; None when
        nothing is mapped or this build of the library does not report it."""
        flag = getattr(_c, "SS_XLAT_F_NOT_IN_SOURCE", None)
        if flag is None or self.pa is None:
            return None
        return not self.flags & flag

    def __repr__(self):
        pa = "None" if self.pa is None else f"{self.pa:#x}"
        return f"Translation(va={self.va:#x}, state={self.state!r}, status={self.status!r}, pa={pa})"


class Translations:
    """Results of translate_many / translate_range: ``pas`` (array('Q'), 0 where a
    VA did not translate), ``statuses`` (array('i') of ss_status codes, 0 = ok),
    ``ntranslated``. ``len()``, indexing (-> (pa or None, status name)) and
    ``status_names()`` for convenience; the arrays are the efficient view."""

    __slots__ = ("pas", "statuses", "ntranslated")

    def __init__(self, pas, statuses, ntranslated):
        self.pas, self.statuses, self.ntranslated = pas, statuses, ntranslated

    def __len__(self):
        return len(self.pas)

    def __getitem__(self, i):
        st = self.statuses[i]
        return (self.pas[i] if st == _c.SS_OK else None, STATUS_NAMES.get(st, "unknown"))

    def status_names(self):
        return [STATUS_NAMES.get(s, "unknown") for s in self.statuses]

    def __repr__(self):
        return f"Translations(n={len(self)}, ntranslated={self.ntranslated})"


# ---- Handles -------------------------------------------------------------------------

class _SourceHandle:
    """Owns one ss_source*. Closed when the last holder (the Source, its Spaces) lets go."""

    __slots__ = ("ptr", "spec", "cb", "__weakref__")

    def __init__(self, ptr, spec, cb=None):
        self.ptr, self.spec, self.cb = ptr, spec, cb  # cb: a callback source's context

    def __del__(self):
        ptr, self.ptr = self.ptr, None
        self.cb = None
        if ptr is not None and _c is not None:
            _c.ss_source_close(ptr)


def _callback_reset(h):
    """Forgets an earlier callable failure of a callback source, before a call whose
    failure _callback_cause may explain (so no stale message is attached)."""
    if h is not None and getattr(h, "cb", None) is not None and h.ptr is not None:
        _c.ssp_callback_error(h.cb)


def _callback_cause(h, e):
    """Attaches what a callback source's callable did wrong (message, exception) to e."""
    cb = getattr(h, "cb", None) if h is not None else None
    if cb is not None and h.ptr is not None:
        message, exc = _c.ssp_callback_error(cb)
        if message:
            e.message = f"{e.message} ({message})"
            e.args = (f"{e.status_name}: {e.message}",)
        if exc is not None:
            e.__cause__ = exc
    return e


class Source:
    """An open memory source (dump file, raw image, ELF core ...). See open()."""

    def __init__(self, spec, pread=False):
        spec = str(spec)
        if pread:
            # SS_OPEN_PREAD: every read after open is a pread, so a file truncated while
            # it is open gives a "truncated" error instead of a SIGBUS (source.h).
            opts = _c.ss_open_options()
            _check(_c.ss_open_options_init(opts, _c.SS_OPEN_OPTIONS_VERSION), "ss_open_options_init")
            opts.flags = _c.SS_OPEN_PREAD
            status, ptr, message = _c.ss_source_open_ex(spec, opts)
        else:
            status, ptr, message = _c.ss_source_open(spec)
        _check(status, message)
        self._h = _SourceHandle(ptr, spec)
        self.spec = spec

    # -- lifetime
    def _ptr(self):
        h = self._h
        if h is None:
            raise ClosedError(_c.SS_E_INVALID_ARG, f"source {self.spec} is closed")
        return h.ptr

    def close(self):
        """Closes the source (idempotent). The C source lives on until its Spaces are closed."""
        m = getattr(self, "_model", None)
        if m is not None:
            m.close()
            self._model = None
        self._h = None

    @property
    def closed(self):
        return self._h is None

    def __enter__(self):
        self._ptr()
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __repr__(self):
        state = "closed" if self._h is None else self.format
        return f"<sessionspace.Source {self.spec!r} {state}>"

    # -- what the source says
    @property
    def format(self):
        """The format it was read as ("raw", "crashdump64", "elf", "kdump", "lime", ...)."""
        return _c.ss_format_name(_c.ss_source_format(self._ptr()))

    @property
    def info(self):
        """ss_dump_info as a dict, plus "paging_mode_name" and "build" (= minor_version)."""
        status, d = _c.ss_source_info(self._ptr())
        _check(status)
        d["paging_mode_name"] = _c.ss_mode_name(d["paging_mode"])
        d["build"] = d["minor_version"]
        for flag in ("WINDOWS_HEADER", "BUGCHECK", "PAGING_MODE", "DTB"):
            d["has_" + flag.lower()] = bool(d["flags"] & getattr(_c, "SS_INFO_" + flag))
        return d

    @property
    def ranges(self):
        """The physical runs the source holds: a list of (start, size)."""
        status, ranges = _c.ss_source_ranges(self._ptr())
        _check(status)
        return ranges

    @property
    def max_pa(self):
        return _c.ss_source_max_pa(self._ptr())

    @property
    def cpus(self):
        """The control registers each CPU had, as the source records them (list of dicts)."""
        ptr = self._ptr()
        out = []
        for i in range(_c.ss_source_cpu_count(ptr)):
            status, cpu = _c.ss_source_cpu(ptr, i)
            _check(status)
            out.append(cpu)
        return out

    def note(self, name):
        """A named note's bytes ("VMCOREINFO"), or None when the source has none."""
        status, data = _c.ss_source_note(self._ptr(), str(name))
        if status == _c.SS_E_NOT_FOUND:
            return None
        _check(status)
        return data

    def read_phys(self, pa, n):
        """n bytes of physical memory at pa. Raises ReadError (with .data = the bytes
        read before the failure) when any byte is missing."""
        pa = parse_va(pa)
        n = _length(n)
        ptr = self._ptr()
        _callback_reset(self._h)
        status, data = _c.ss_source_read(ptr, pa, n)
        if status != _c.SS_OK:
            e = _error(status, f"reading {n} bytes at physical {pa:#x}: {_c.ss_strerror(status)} after {len(data)} bytes")
            e.data = data
            raise _callback_cause(self._h, e)
        return data

    # -- address spaces
    def paging(self):
        """(mode name, dtb) the source records (dump header, else CPU 0's registers);
        each None when unknown."""
        status, mode, dtb = _c.ss_source_paging(self._ptr())
        if status not in (_c.SS_OK, _c.SS_E_UNSUPPORTED):
            _check(status)
        return (None if mode == _c.SS_MODE_AUTO else _c.ss_mode_name(mode)), (dtb or None)

    def space(self, dtb=None, mode=None, *, pte_layout=None, cache_entries=0, no_cache=False, no_pse=False,
              no_nx=False, proto_base=0):
        """An address space rooted at dtb (int or kd text; None: the source's own DTB,
        from the dump header or CPU 0's CR3) in mode ("x86", "pae", "x64", "la57";
        None: from the source). Options (ss_space_options): pte_layout "win8" (default)
        or "win7" (software-PTE layout), cache_entries (0: default), no_cache, no_pse,
        no_nx, proto_base (x86 non-PAE MmProtopteBase)."""
        if dtb is None:
            dtb = self.paging()[1]
            if dtb is None:
                raise Unsupported(_c.SS_E_UNSUPPORTED,
                                  f"{self.spec}: the source records no page-table root: pass dtb=")
        opts = None
        if pte_layout is not None or cache_entries or no_cache or no_pse or no_nx or proto_base:
            opts = _c.ss_space_options()
            _check(_c.ss_space_options_init(opts, _c.SS_SPACE_OPTIONS_VERSION))
            layouts = {None: _c.SS_PTE_LAYOUT_WIN8, "win8": _c.SS_PTE_LAYOUT_WIN8, "win7": _c.SS_PTE_LAYOUT_WIN7}
            if pte_layout not in layouts:
                raise InvalidArgument(_c.SS_E_INVALID_ARG, f"unknown PTE layout {pte_layout!r} (win8, win7)")
            opts.pte_layout = layouts[pte_layout]
            try:
                opts.cache_entries = cache_entries
                opts.proto_base = parse_va(proto_base)
            except (OverflowError, TypeError):
                raise InvalidArgument(_c.SS_E_INVALID_ARG, f"cache_entries {cache_entries!r} is not a 32-bit count") from None
            opts.no_cache, opts.no_pse, opts.no_nx = int(bool(no_cache)), int(bool(no_pse)), int(bool(no_nx))
        return Space(self, parse_va(dtb), _mode(mode), opts)


    # -- the Windows model (when the library has it)
    def model(self, isf=None, *, dtb=None, mode=None, ps_active_process_head=None, build=None):
        """The Windows model of this source (processes, sessions, where): built once
        with these options and kept (another call with options rebuilds it). isf: a
        Volatility 3 ISF symbol file for builds without a built-in layout. Raises
        Unsupported when this library has no Windows model."""
        if not HAVE_NT_MODEL:
            raise Unsupported(_c.SS_E_UNSUPPORTED, "this build of libsessionspace has no Windows model")
        key = (isf, dtb, mode, ps_active_process_head, build)
        m = getattr(self, "_model", None)
        if m is not None and not m.closed and (m._key == key or key == (None,) * 5):
            return m
        if m is not None:
            m.close()
        self._model = Model(self, key)
        return self._model

    def processes(self):
        """Every process of the model's ActiveProcessLinks walk (list of Process)."""
        return self.model().processes()

    def sessions(self):
        """Every session (list of Session), ordered by id."""
        return self.model().sessions()

    def where(self, va):
        """In which sessions va translates, to which frames, and what a breakpoint would do (Where)."""
        return self.model().where(va)


    # -- symbol-less discovery (when the library has it)
    def scan(self, mode=None, *, min_kernel_entries=0, min_zero_entries=0, max_pa=0):
        """Every page of the source that looks like a top-level page table mapping
        itself (x64, or mode="la57"): a ScanResult (a list of dicts: dtb,
        self_map_base, self_map_slot, kernel_present, user_present; .stats)."""
        if not HAVE_SCAN:
            raise Unsupported(_c.SS_E_UNSUPPORTED, "this build of libsessionspace has no symbol-less scan")
        for name, v in (("min_kernel_entries", min_kernel_entries), ("min_zero_entries", min_zero_entries)):
            if not isinstance(v, int) or not 0 <= v <= 512:
                raise InvalidArgument(_c.SS_E_INVALID_ARG, f"{name} must be 0 .. 512")
        status, candidates, stats = _c.ssp_scan(self._ptr(), _mode(mode), min_kernel_entries, min_zero_entries,
                                                parse_va(max_pa))
        _check(status)
        return ScanResult(candidates, stats)

    def cluster(self, dtbs):
        """Groups x64 roots into sessions by their session-space entries alone
        (ss_scan_cluster): {"clusters": [0 (no session space) or 1..n per dtb],
        "nclusters": n, "slots": [slot kind name per PML4 slot]}."""
        if not HAVE_SCAN:
            raise Unsupported(_c.SS_E_UNSUPPORTED, "this build of libsessionspace has no symbol-less scan")
        status, clusters, n, kinds = _c.ssp_scan_cluster(self._ptr(), dtbs)
        _check(status)
        return {"clusters": clusters, "nclusters": n, "slots": kinds}


class ScanResult(list):
    """The candidates of a scan (list of dicts), with .stats (pages_scanned,
    pages_unreadable, bytes_total, candidates)."""

    def __init__(self, candidates, stats):
        super().__init__(candidates)
        self.stats = stats


class Space:
    """One page-table root over a source: translate, read, batch translation."""

    def __init__(self, source, dtb, mode, opts=None):
        h = source._h
        if h is None:
            raise ClosedError(_c.SS_E_INVALID_ARG, f"source {source.spec} is closed")
        if hasattr(_c, "ss_space_open_ex"):  # says why it failed
            status, ptr, why = _c.ss_space_open_ex(h.ptr, mode, dtb, opts)
        else:
            (status, ptr), why = _c.ss_space_open(h.ptr, mode, dtb, opts), None
        if status != _c.SS_OK:
            raise _error(status, f"cannot open an address space at DTB {dtb:#x} in mode "
                                 f"{_c.ss_mode_name(mode)}: {why or _c.ss_strerror(status)}")
        self._h = h  # keeps the C source alive as long as this space
        self._ptr_ = ptr

    @classmethod
    def _adopt(cls, ptr, *owners):
        """Wraps a space the library opened (the Windows model's session / process
        contexts); owners (source handle, model handle) are kept alive with it."""
        self = cls.__new__(cls)
        self._h = owners
        self._ptr_ = ptr
        return self

    def _ptr(self):
        p = self._ptr_
        if p is None:
            raise ClosedError(_c.SS_E_INVALID_ARG, "address space is closed")
        return p

    def close(self):
        """Frees the space (idempotent); then lets go of the source."""
        p, self._ptr_ = self._ptr_, None
        if p is not None:
            _c.ss_space_close(p)
        self._h = None

    def __del__(self):
        if getattr(self, "_ptr_", None) is not None and _c is not None:
            self.close()

    @property
    def closed(self):
        return self._ptr_ is None

    def __enter__(self):
        self._ptr()
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    @property
    def dtb(self):
        return _c.ss_space_dtb(self._ptr())

    @property
    def mode(self):
        return _c.ss_mode_name(_c.ss_space_mode(self._ptr()))

    def __repr__(self):
        if self._ptr_ is None:
            return "<sessionspace.Space closed>"
        return f"<sessionspace.Space {self.mode} dtb={self.dtb:#x}>"

    def set_dtb(self, dtb):
        """Switches to another root (cached answers are kept per root)."""
        _check(_c.ss_space_set_dtb(self._ptr(), parse_va(dtb)))

    def translate(self, va):
        """The full walk for va (int or kd text) as a Translation; never raises for
        an address that does not translate (see .status / .state)."""
        va = parse_va(va)
        status, x = _c.ss_space_walk(self._ptr(), va)
        if status == _c.SS_E_INVALID_ARG:
            _check(status)
        return Translation(status, x)

    def pa(self, va):
        """The physical address of va through the translation cache (the fast path);
        raises TranslationError when it does not translate."""
        if type(va) is not int or not 0 <= va <= _U64_MAX:
            va = parse_va(va)
        p = self._ptr_
        if p is None:
            self._ptr()
        status, pa = _c.ss_translate(p, va)
        if status != _c.SS_OK:
            raise _error(status, f"{va:#x}: {_c.ss_strerror(status)}")
        return pa

    def translate_many(self, vas):
        """Translates every VA of vas in one C call. vas: any iterable of ints / kd
        text, or a buffer of unsigned 64-bit ints (array('Q'), a 'Q' memoryview) or of
        little-endian u64 bytes. Returns Translations(pas, statuses, ntranslated)."""
        status, pas, statuses, n = _c.ss_translate_many(self._ptr(), vas)
        _check(status)
        return Translations(pas, statuses, n)

    def translate_range(self, va, npages):
        """Translates the npages 4 KiB pages from va (rounded down) in order."""
        status, pas, statuses, n = _c.ss_translate_range(self._ptr(), parse_va(va), npages)
        _check(status)
        return Translations(pas, statuses, n)

    def read(self, va, n):
        """n bytes of virtual memory at va. Raises TranslationError / ReadError (with
        .data = the bytes read before the failure) when any byte is unreadable."""
        va = parse_va(va)
        n = _length(n)
        ptr = self._ptr()
        _callback_reset(self._source_handle())
        status, data = _c.ss_space_read(ptr, va, n)
        if status != _c.SS_OK:
            e = _error(status, f"reading {n} bytes at {va:#x}: {_c.ss_strerror(status)} at {va + len(data):#x}")
            e.data = data
            raise _callback_cause(self._source_handle(), e)
        return data

    def _source_handle(self):
        h = self._h
        if isinstance(h, tuple):  # adopted: (source handle, model handle)
            h = h[0] if h else None
        return h

    def disasm(self, va, count=None, *, bits=None, syntax=None):
        """Disassembles from va (int or kd text) through this space: an iterator of
        Instruction (address, bytes, mnemonic, op_str, size, bad) that ends after count
        instructions (None: until memory is unreadable) or at the first instruction
        whose bytes cannot all be read; then its .stop says why (a DisasmStop: status
        name, va, insn_va, translation), None when count was reached. bits: 16, 32, 64
        (None: from the paging mode); syntax: "masm" (kd's, the default), "intel", "att"."""
        return Disassembly(self, va, count, bits, syntax)

    def flush(self):
        """Drops every cached translation."""
        _c.ss_space_flush(self._ptr())

    def cache_stats(self, reset=False):
        """The translation cache's counters (dict)."""
        return _c.ss_space_cache_stats(self._ptr(), 1 if reset else 0)


# ---- Disassembly -------------------------------------------------------------------------

_SYNTAXES = {None: 0, "masm": 0, "intel": 1, "att": 2}


class Instruction:
    """One decoded instruction: address, bytes, mnemonic, op_str, size, and bad (the
    byte does not start a valid instruction: mnemonic "???", size 1)."""

    __slots__ = ("address", "bytes", "mnemonic", "op_str", "bad")

    def __init__(self, address, data, mnemonic, op_str, flags):
        self.address, self.bytes, self.mnemonic, self.op_str = address, data, mnemonic, op_str
        self.bad = bool(flags & _c.SS_INSN_F_BAD)

    size = property(lambda self: len(self.bytes))

    def __str__(self):
        return f"{self.address:016x} {self.bytes.hex():<16} {self.mnemonic} {self.op_str}".rstrip()

    def __repr__(self):
        return f"Instruction({self.address:#x}, {self.bytes.hex()}, {self.mnemonic!r}, {self.op_str!r})"


class DisasmStop:
    """Why a disassembly stopped: status (name, e.g. "not_present", "no_page"),
    status_code, insn_va (the instruction that could not be read), va (its first
    unreadable byte), nbytes (read before va), translation (the walk of va)."""

    __slots__ = ("status", "status_code", "insn_va", "va", "nbytes", "translation")

    def __init__(self, d):
        self.status_code = d["status"]
        self.status = _c.ss_status_name(d["status"])
        self.insn_va, self.va, self.nbytes = d["insn_va"], d["va"], d["nbytes"]
        self.translation = Translation(d["status"], d["xlat"])

    def __repr__(self):
        return f"DisasmStop({self.status!r}, va={self.va:#x}, insn_va={self.insn_va:#x}, state={self.translation.state!r})"


class Disassembly:
    """The iterator Space.disasm() returns. .stop: None while it runs and when it
    ended by count; a DisasmStop when memory ended it. close() (or exhausting it)
    frees the decoder; it holds its Space open meanwhile."""

    def __init__(self, space, va, count, bits, syntax):
        va = parse_va(va)
        if count is not None:
            try:
                count = count.__index__()
            except (AttributeError, TypeError):
                raise InvalidArgument(_c.SS_E_INVALID_ARG, f"count must be an int, not {type(count).__name__}") from None
            if count < 0:
                raise InvalidArgument(_c.SS_E_INVALID_ARG, f"count {count} is negative")
        if bits not in (None, 16, 32, 64):
            raise InvalidArgument(_c.SS_E_INVALID_ARG, f"bits must be 16, 32 or 64, not {bits!r}")
        key = syntax.lower() if isinstance(syntax, str) else syntax
        if key not in _SYNTAXES:
            raise InvalidArgument(_c.SS_E_INVALID_ARG, f"unknown syntax {syntax!r} (masm, intel, att)")
        status, d, message = _c.ssp_disasm_open(space._ptr(), bits or 0, _SYNTAXES[key])
        _check(status, message)
        self._space = space  # the C decoder reads through it: keep it
        self._d = d
        self.stop = None
        self.remaining = count
        status = _c.ss_disasm_seek(d, va)
        if status != _c.SS_OK:
            self.close()
            raise _error(status, f"cannot disassemble at {va:#x} in a {space.mode} space")

    def __iter__(self):
        return self

    def __next__(self):
        d = self._d
        if d is None:
            raise StopIteration
        if self._space.closed:  # its C space is gone: the decoder must not read through it
            self.close()
            raise ClosedError(_c.SS_E_INVALID_ARG, "the address space of this disassembly is closed")
        if self.remaining is not None:
            if self.remaining == 0:
                self.close()
                raise StopIteration
            self.remaining -= 1
        status, r = _c.ssp_disasm_next(d)
        if status != _c.SS_OK:
            self.stop = DisasmStop(r)
            self.close()
            raise StopIteration
        return Instruction(*r)

    @property
    def position(self):
        """The VA the next instruction would be decoded from (None once closed)."""
        return None if self._d is None else _c.ss_disasm_tell(self._d)

    def close(self):
        d, self._d = self._d, None
        if d is not None:
            _c.ss_disasm_close(d)
        self._space = None

    def __del__(self):
        if getattr(self, "_d", None) is not None and _c is not None:
            self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


# ---- The Windows model ----------------------------------------------------------------

HAVE_NT_MODEL = hasattr(_c, "ssp_nt_open")
HAVE_SCAN = hasattr(_c, "ssp_scan")


class _ModelHandle:
    """Owns one ss_nt*; holds the source's handle (the source must outlive the model)."""

    __slots__ = ("ptr", "src", "__weakref__")

    def __init__(self, ptr, src):
        self.ptr, self.src = ptr, src

    def __del__(self):
        ptr, self.ptr = self.ptr, None
        if ptr is not None and _c is not None:
            _c.ss_nt_close(ptr)


def _fields(obj, names):
    return {n: getattr(obj, n) for n in names}


class Process:
    """A process of the model: pid, name, eprocess, dtb, user_dtb, session_va,
    session_id (None when it has no session)."""

    __slots__ = ("_model", "pid", "name", "eprocess", "dtb", "user_dtb", "session_va", "session_id")

    def __init__(self, model, p):
        self._model = model
        self.pid, self.name, self.eprocess = p.pid, p.name, p.eprocess
        self.dtb, self.user_dtb, self.session_va = p.dtb, p.user_dtb, p.session_va
        self.session_id = None if p.session_id == _c.SS_NT_NO_SESSION else p.session_id

    def space(self, user=False):
        """An address space in this process's context (user=True: its KVA-shadow user root)."""
        return self._model._space(_c.ss_nt_process_space, self.pid,
                                  _c.SS_NT_ROOT_USER if user else _c.SS_NT_ROOT_KERNEL)

    def as_dict(self):
        return {k: getattr(self, k) for k in self.__slots__[1:]}

    def __repr__(self):
        return f"Process(pid={self.pid}, name={self.name!r}, session={self.session_id}, dtb={self.dtb:#x})"


class Session:
    """A session of the model: id, va (_MM_SESSION_SPACE), status, member_dtb,
    process_count and the pool counters the profile provides."""

    __slots__ = ("_model", "id", "va", "status", "member_dtb", "process_count", "have", "paged_pool_start",
                 "paged_pool_end", "committed_pages", "non_pagable_pages", "resident_process_count")

    def __init__(self, model, x):
        self._model = model
        for k in self.__slots__[1:]:
            setattr(self, k, getattr(x, k))
        self.status = _c.ss_status_name(x.status)

    def processes(self):
        """The session's ProcessList walk (kd's !sprocess): list of Process."""
        return self._model._list(_c.ss_nt_session_processes, self.id, Process)

    def images(self):
        """The images loaded in the session: list of dicts (name, base, size, last_address, ldr)."""
        return [_fields(i, ("name", "base", "size", "last_address", "ldr"))
                for i in self._model._list(_c.ss_nt_session_images, self.id, None)]

    def space(self):
        """An address space in this session's context (kd's !session -s)."""
        return self._model._space(_c.ss_nt_session_space, self.id)

    def __repr__(self):
        return f"Session(id={self.id}, processes={self.process_count}, va={self.va:#x})"


class Where:
    """The answer to "in which sessions is va valid": region, advice (+ advice_text),
    shared, same_content, nsessions, ntranslated, and entries (one dict per session:
    session, status, state, pa, hash)."""

    __slots__ = ("va", "region", "advice", "advice_text", "shared", "same_content", "nsessions", "ntranslated",
                 "entries")

    def __init__(self, w, entries):
        self.va, self.nsessions, self.ntranslated = w.va, w.nsessions, w.ntranslated
        self.region = _c.ss_nt_region_name(w.region)
        self.advice = _c.ss_nt_advice_name(w.advice)
        self.advice_text = _c.ss_nt_advice_text(w.advice)
        self.shared, self.same_content = bool(w.shared), bool(w.same_content)
        self.entries = [{"session": e.session, "status": _c.ss_status_name(e.status),
                         "state": _c.ss_xlat_state_name(e.state), "pa": e.pa if e.status == _c.SS_OK else None,
                         "hash": e.hash if e.has_hash else None} for e in entries[:w.nsessions]]

    def __repr__(self):
        return (f"Where(va={self.va:#x}, region={self.region!r}, advice={self.advice!r}, "
                f"translated in {self.ntranslated} of {self.nsessions})")


class Model:
    """The Windows model of a Source (see Source.model)."""

    def __init__(self, source, key):
        isf, dtb, mode, head, build = key
        status, ptr, message = _c.ssp_nt_open(source._ptr(), "" if isf is None else str(isf), _mode(mode),
                                             0 if dtb is None else parse_va(dtb),
                                             0 if head is None else parse_va(head), int(build or 0))
        _check(status, message)
        self._key = key
        self._h = _ModelHandle(ptr, source._h)  # not the Source object: no reference cycle

    def _ptr(self):
        h = self._h
        if h is None:
            raise ClosedError(_c.SS_E_INVALID_ARG, "the Windows model is closed")
        return h.ptr

    def close(self):
        self._h = None

    @property
    def closed(self):
        return self._h is None

    @property
    def kernel_dtb(self):
        return _c.ss_nt_kernel_dtb(self._ptr())

    @property
    def list_status(self):
        """(status name, message) of the ActiveProcessLinks walk."""
        status, message = _c.ss_nt_list_status(self._ptr())
        return _c.ss_status_name(status), message

    def processes(self):
        nt = self._ptr()
        out = []
        for i in range(_c.ss_nt_process_count(nt)):
            p = _c.ss_nt_process()
            _check(_c.ss_nt_process_at(nt, i, p))
            out.append(Process(self, p))
        return out

    def process(self, pid):
        p = _c.ss_nt_process()
        status = _c.ss_nt_process_find(self._ptr(), parse_va(pid), p)
        if status != _c.SS_OK:
            raise _error(status, f"no process with PID {pid}")
        return Process(self, p)

    def sessions(self):
        nt = self._ptr()
        out = []
        for i in range(_c.ss_nt_session_count(nt)):
            x = _c.ss_nt_session()
            _check(_c.ss_nt_session_at(nt, i, x))
            out.append(Session(self, x))
        return out

    def session(self, sid):
        x = _c.ss_nt_session()
        status, _index, message = _c.ss_nt_session_find(self._ptr(), _u32(sid), x)
        _check(status, message)
        return Session(self, x)

    def where(self, va):
        va = parse_va(va)
        nt = self._ptr()
        w = _c.ss_nt_where()
        status, entries = _c.ss_nt_where_va(nt, va, max(1, _c.ss_nt_session_count(nt)), w)
        _check(status)
        return Where(w, entries)

    def where_range(self, va, npages):
        """The where question for every page of [va, va + npages * 4096), counted:
        dict of pages, translations, unmapped, shared, private_frames."""
        va = parse_va(va)
        try:
            n = npages.__index__()
        except (AttributeError, TypeError):
            raise InvalidArgument(_c.SS_E_INVALID_ARG, "npages must be an int") from None
        if not 0 <= n <= (1 << 52):
            raise InvalidArgument(_c.SS_E_INVALID_ARG, f"npages {n} is not in 0 .. 2^52")
        st = _c.ss_nt_where_range_stats()
        _check(_c.ss_nt_where_range(self._ptr(), va, n, st))
        return {k: getattr(st, k) for k in ("pages", "translations", "unmapped", "shared", "private_frames")}

    def region(self, va):
        """(region name, start, end) of va."""
        status, region, start, end = _c.ss_nt_region_of(self._ptr(), parse_va(va))
        _check(status)
        return _c.ss_nt_region_name(region), start, end

    def session_ranges(self):
        nt = self._ptr()
        out = []
        for i in range(_c.ss_nt_session_range_count(nt)):
            status, start, end = _c.ss_nt_session_range_at(nt, i)
            _check(status)
            out.append((start, end))
        return out

    def _list(self, fn, sid, wrap):
        nt = self._ptr()
        sid = _u32(sid)
        status, items, n, message = fn(nt, sid, 0)
        if status == _c.SS_OK and n:
            status, items, n, message = fn(nt, sid, n)
        _check(status, message)
        return [wrap(self, x) for x in items] if wrap else items

    def _space(self, fn, *args):
        nt = self._ptr()
        status, ptr, message = fn(nt, *args)
        _check(status, message)
        return Space._adopt(ptr, self._h.src, self._h)


def _u32(v):
    try:
        v = v.__index__()
    except (AttributeError, TypeError):
        raise InvalidArgument(_c.SS_E_INVALID_ARG, f"a {type(v).__name__} is not a session id") from None
    if not 0 <= v <= 0xFFFFFFFF:
        raise InvalidArgument(_c.SS_E_INVALID_ARG, f"session id {v} is not a 32-bit number")
    return v


def open_callback(read_phys, phys_size=0, *, cpu=None, paging_mode=None, dtb=None, generation=None,
                  name="callback"):
    """Opens a source whose physical memory a Python callable serves (a debugger's, a
    hypervisor's): read_phys(pa, n) returns the n bytes at physical pa (any bytes-like
    object). phys_size: bytes of physical memory [0, phys_size), a multiple of 4096
    (0: unknown, 2^52). What the host knows of the CPU: cpu() returning a dict of cr0,
    cr3, cr4, efer (called whenever the library asks: live values), or paging_mode
    ("x64", ...) and dtb. generation(): an int that changes whenever the target may have
    run (the translation caches flush). name: for messages. A context manager.

    read_phys may raise sessionspace.ReadError(STATUS_CODES["no_page"]) for memory
    that is not there (its status is kept: no_page, range, io, short_read); any other
    exception reads as "io", fewer bytes than asked as "short_read" (the bytes given
    are used), more as "corrupt", a non-bytes answer as "invalid_arg". The resulting
    ReadError / TranslationError names what the callable did, with its exception as
    __cause__. The callables are held until the source (and every Space opened from
    it) is closed, then released. A callable that holds the Source itself makes a
    cycle the garbage collector cannot see through C: close the Source explicitly."""
    status, ptr, ctx, message = _c.ssp_callback_open(read_phys, _phys_size(phys_size), cpu, generation,
                                                     _mode(paging_mode), 0 if dtb is None else parse_va(dtb),
                                                     str(name))
    _check(status, message)
    self = Source.__new__(Source)
    self.spec = f"callback:{name}"
    self._h = _SourceHandle(ptr, self.spec, ctx)
    return self


def _phys_size(n):
    try:
        v = n.__index__()
    except (AttributeError, TypeError):
        raise InvalidArgument(_c.SS_E_INVALID_ARG, f"phys_size must be an int, not {type(n).__name__}") from None
    if not 0 <= v <= _U64_MAX:
        raise InvalidArgument(_c.SS_E_INVALID_ARG, f"phys_size {v} is not in 0 .. 2^64-1")
    return v


def open(spec, pread=False):  # noqa: A001 - the module's verb, like io.open
    """Opens a memory source: "PATH" (format sniffed) or "FORMAT:PATH" ("raw:", "dmp:",
    "elf:", "kdump:", "lime:", "vmi:", "kd:"). A context manager. Raises NotFound,
    FormatError, ... With pread=True (SS_OPEN_PREAD) a file that may shrink while open (a
    dump still being copied) is read with pread: a truncated file raises "truncated"
    instead of killing the process with SIGBUS, at the cost of zero-copy pages."""
    return Source(spec, pread)


del _name, _code
