/*
 * The backend layer's private header (not installed): what every layer of
 * libsessionspace shares at the bottom — the source object, entry loads from a
 * source, file mappings and the built-in file backends — plus the error helper.
 *
 * Layers, lowest first; a header includes only the ones below it:
 *   backend/backend.h  sources, files, backends          (this file)
 *   mmu/walk.h         page-table walks, paging-structure cache
 *   cache/framecache.h, cache/tcache.h   the per-space caches
 *   core/space_internal.h   struct ss_space, the public space API
 * Nothing here knows the address-space object.
 */
#ifndef SS_BACKEND_BACKEND_H
#define SS_BACKEND_BACKEND_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

#include "sessionspace.h"
#include "sessionspace/sys/backend.h"

/* Entries and headers are loaded with the host's byte order (memcpy): x86 and
 * ARM64 hosts are little-endian like the dumps they read. A big-endian host would
 * misread every entry, so it is refused here rather than silently (README, limits). */
#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "libsessionspace needs a little-endian host (entries and dump headers are read in host byte order)"
#endif

#if defined(__GNUC__) || defined(__clang__)
#define SS_LIKELY(x)    __builtin_expect(!!(x), 1)
#define SS_UNLIKELY(x)  __builtin_expect(!!(x), 0)
#define SS_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define SS_LIKELY(x)   (x)
#define SS_UNLIKELY(x) (x)
#define SS_PRINTF(a, b)
#endif

/* Fills err (if not NULL) and returns status, so callers can `return ss_fail(...)`. */
ss_status ss_fail(ss_error *err, ss_status status, const char *fmt, ...) SS_PRINTF(3, 4);

/* True when status is one of the ss_status codes (a backend may return anything). */
bool ss_status_known(ss_status status);

/* ---- sources -------------------------------------------------------------- */

struct ss_source {
    const ss_backend_ops *ops;
    void *ctx;
    ss_format format;
    const ss_phys_range *ranges;
    size_t nranges;
    uint64_t max_pa;
    /* When the backend is one flat mapping of [0, flat_size): walks read from it. */
    const uint8_t *flat;
    uint64_t flat_size;
    /* ss_source_bump_generation() calls, added to the backend's generation() (live
     * sources only). Atomic: a bump may come from another thread than the readers. */
    atomic_uint_fast64_t bumps;
};

/* The source's generation: the backend's generation() plus the explicit bumps; 0 for
 * sources without generation() (their contents never change). */
static inline uint64_t ss_source_gen(ss_source *src)
{
    if (!src->ops->generation)
        return 0;
    return src->ops->generation(src->ctx) + (uint64_t)atomic_load_explicit(&src->bumps, memory_order_acquire);
}

/*
 * Binary search over sorted, non-overlapping runs whose structs begin with
 * `uint64_t start, size` (ss_phys_range, ss_seg), stride bytes apart: the index of
 * the first run ending above addr, n when none does. The run holds addr when
 * also runs[i].start <= addr.
 */
static inline size_t ss_runs_search(const void *runs, size_t n, size_t stride, uint64_t addr)
{
    const unsigned char *base = runs;
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const uint64_t *r = (const uint64_t *)(const void *)(base + mid * stride); /* start, size */
        if (r[0] + r[1] <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* True when [pa, pa + len) lies inside one of the source's ranges. */
bool ss_source_holds(const ss_source *src, uint64_t pa, uint64_t len);

/*
 * Reads one naturally aligned paging entry (width 4 or 8 bytes) at pa.
 * Returns SS_OK, SS_E_RANGE / SS_E_NO_PAGE (not in the source) or a read error.
 */
static inline ss_status ss_source_read_entry(ss_source *src, uint64_t pa, unsigned width, uint64_t *value)
{
    if (SS_LIKELY(pa < src->flat_size && src->flat_size - pa >= width)) {
        if (width == 8) {
            uint64_t v;
            memcpy(&v, src->flat + pa, 8);
            *value = v;
        } else {
            uint32_t v;
            memcpy(&v, src->flat + pa, 4);
            *value = v;
        }
        return SS_OK;
    }
    if (src->flat) /* flat sources hold nothing past flat_size */
        return SS_E_RANGE;
    uint8_t b[8] = {0};
    size_t n = 0;
    ss_status st = src->ops->read(src->ctx, pa, b, width, &n);
    if (st != SS_OK)
        return st;
    if (n < width) /* SS_OK without every byte: a broken custom backend, not a zero entry */
        return SS_E_SHORT_READ;
    uint64_t v = 0;
    memcpy(&v, b, width); /* little-endian host: checked above */
    *value = v;
    return SS_OK;
}

/*
 * The paging mode a CPU's control registers select (SDM Vol. 3A 4.1.1, table 4-1):
 * CR0.PG off -> false (no paging: nothing to walk); CR4.PAE off -> 32-bit; EFER.LMA
 * off -> PAE; else 4-level, or 5-level with CR4.LA57.
 */
static inline bool ss_cpu_paging_mode(const ss_cpu_state *c, ss_mode *mode)
{
    const uint64_t CR0_PG = 1ull << 31, CR4_PAE = 1ull << 5, CR4_LA57 = 1ull << 12, EFER_LMA = 1ull << 10;
    if (!(c->cr0 & CR0_PG))
        return false;
    if (!(c->cr4 & CR4_PAE))
        *mode = SS_MODE_X86;
    else if (!(c->efer & EFER_LMA))
        *mode = SS_MODE_PAE;
    else
        *mode = (c->cr4 & CR4_LA57) ? SS_MODE_LA57 : SS_MODE_X64;
    return true;
}

/* ---- files ------------------------------------------------------------------ */

/*
 * A file a backend reads. Two modes (ss_open_options.flags):
 *  - mapped (default): data maps the whole file for the source's lifetime; pages
 *    are handed out zero-copy. The file must not shrink while open (SIGBUS).
 *  - SS_OPEN_PREAD: data maps the file only while the backend parses it at open;
 *    ss_file_settle() then unmaps it (data = NULL) and every later byte comes
 *    through ss_file_copy() (pread), so a file that shrinks gives SS_E_TRUNCATED.
 * After open, backends read page data only through ss_file_copy() / segmap.h, and
 * hand out pointers into data only when it is not NULL.
 */
typedef struct ss_file {
    const char *path; /* owned copy for messages: a long path is shortened in the middle */
    int fd;
    const uint8_t *data; /* NULL after ss_file_settle() in pread mode */
    uint64_t size;
    uint64_t stored; /* bytes the file really stores (st_blocks, at most size; size if unknown) */
    bool pread;      /* SS_OPEN_PREAD */
} ss_file;

/* Opens and maps path read-only. Errors: NOT_FOUND, IS_DIR, EMPTY, UNSUPPORTED (FIFO,
 * character device, socket), IO, NOMEM. */
ss_status ss_file_map(const char *path, uint32_t flags, ss_file *f, ss_error *err);
void ss_file_unmap(ss_file *f);

/* End of a backend's open: in pread mode drops the mapping (data = NULL). */
void ss_file_settle(ss_file *f);

/*
 * Copies [off, off + len) of the file into buf: from the mapping, or with pread.
 * SS_OK, SS_E_TRUNCATED (the file now ends before off + len: it shrank after open),
 * SS_E_IO.
 */
ss_status ss_file_copy(const ss_file *f, uint64_t off, void *buf, size_t len);

/*
 * Bytes that version `version` of a versioned struct holds, from sizes[v - 1] for each
 * version v in 1..n: members are only ever appended, so a caller built against an older
 * header passes a shorter struct and only that prefix may be read (SQLite's iVersion).
 * 0 for a version outside 1..n.
 */
static inline size_t ss_versioned_size(unsigned version, const size_t *sizes, size_t n)
{
    return version >= 1 && version <= n ? sizes[version - 1] : 0;
}

/*
 * The body of an ss_<struct>_init(obj, version) for a versioned struct whose first
 * member is `unsigned version` (SQLite's iVersion, libgit2's git_odb_init_backend):
 * zeroes size bytes -- sizeof the struct when all its members are in version 1, else
 * ss_versioned_size() of that version -- and sets the version.
 * SS_E_INVALID_ARG: obj is NULL, version is 0 or above max.
 */
static inline ss_status ss_versioned_init(void *obj, size_t size, unsigned version, unsigned max)
{
    if (!obj || version == 0 || version > max)
        return SS_E_INVALID_ARG;
    memset(obj, 0, size);
    memcpy(obj, &version, sizeof version);
    return SS_OK;
}

/* Value of one hex digit ('0'-'9', 'a'-'f', 'A'-'F'), or -1 for any other byte
 * (the wire hex of gdbrsp.c, QMP register dumps, ss_parse_u64 in core/parse.c). */
static inline int ss_hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Writes path into out (cap bytes), shortened in the middle with "..." to fit. */
void ss_short_path(char *out, size_t cap, const char *path);
#define SS_SHORT_PATH 128u /* room for a path in a 256-byte message, reason included */

/*
 * Writes len bytes that come from a file (a signature, a name) into out (cap bytes,
 * NUL-terminated) for a message: printable ASCII as is, any other byte, backslash
 * and quote as \xNN, so a crafted file cannot send control sequences to a terminal.
 * Returns out.
 */
const char *ss_escape_bytes(char *out, size_t cap, const void *bytes, size_t len);

/*
 * What a header may make a reader scan or allocate before any page is read: up to
 * this many bytes freely, beyond it no more than the file really stores (ss_file.stored),
 * so that a small sparse file cannot declare gigabytes of bitmap.
 */
#define SS_FREE_SCAN_BYTES (64ull << 20)

/*
 * A built-in file backend: probe() says whether data looks like its format (only
 * the first `size` bytes, at most the whole file, may be looked at); open() takes
 * ownership of the mapped file on success (and only then).
 */
typedef struct ss_file_backend {
    const char *prefix; /* "raw", "dmp", ... as in "raw:PATH" */
    ss_format format;
    bool (*probe)(const uint8_t *data, uint64_t size);
    /* *format comes preset to `format` below; a reader of several formats sets the one it found. */
    ss_status (*open)(ss_file *file, const ss_backend_ops **ops, void **ctx, ss_format *format,
                      ss_error *err);
} ss_file_backend;

/* The built-in backends, in probing order; raw (the fallback) is last. */
extern const ss_file_backend ss_raw_backend;
extern const ss_file_backend ss_crashdump_backend;
extern const ss_file_backend ss_elf_backend;
extern const ss_file_backend ss_kdump_backend;
extern const ss_file_backend ss_lime_backend;

/* Built-in backends that are not files sniffed by magic: one factory each (listed in
 * the const prefix table of core/source.c). */
extern const ss_backend_factory ss_vmi_factory;
extern const ss_backend_factory ss_kd_factory;

#endif /* SS_BACKEND_BACKEND_H */
