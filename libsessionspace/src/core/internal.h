/*
 * Internal declarations shared by the layers of libsessionspace. Not installed.
 */
#ifndef SS_INTERNAL_H
#define SS_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

#include "sessionspace.h"
#include "sessionspace/sys/backend.h"

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
};

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
    memcpy(&v, b, width); /* little-endian host assumed (x86/ARM64 hosts) */
    *value = v;
    return SS_OK;
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

/* ---- address spaces ------------------------------------------------------- */

/* Per-space cache of paging-structure pages (cache/framecache.h). */
typedef struct ss_frame_cache ss_frame_cache;

/* Reads one paging entry through the frame cache (cache/framecache.c). */
ss_status ss_frame_read_entry(ss_frame_cache *fc, ss_source *src, uint64_t pa, unsigned width,
                              uint64_t *value);

/* Per-mode walk parameters (mmu/walk.c). */
typedef struct ss_walker {
    ss_mode mode;
    ss_pte_layout layout;
    uint64_t proto_base;
    bool pse;               /* x86: 4 MiB pages honoured */
    bool nx;                /* PAE/x64: bit 63 is execute-disable */
    ss_frame_cache *frames; /* the space's frame cache, NULL: read the source directly */
} ss_walker;

/*
 * Reads one paging entry for a walk: straight from a flat source's mapping, else
 * through the space's frame cache when it has one, else from the source.
 */
static inline ss_status ss_walk_read_entry(const ss_walker *w, ss_source *src, uint64_t pa, unsigned width,
                                           uint64_t *value)
{
    if (SS_LIKELY(src->flat) || !w->frames)
        return ss_source_read_entry(src, pa, width, value);
    return ss_frame_read_entry(w->frames, src, pa, width, value);
}

/* Initialises a walker for mode (not AUTO). */
void ss_walker_init(ss_walker *w, ss_mode mode, const ss_space_options *opts);

/* Root mask of a CR3 value for mode; false when dtb cannot be a root in this mode. */
bool ss_walker_root(ss_mode mode, uint64_t dtb, uint64_t *root);

/* Full walk (mmu/walk.c). Fills *out completely; returns the state. */
ss_xlat_state ss_walk(const ss_walker *w, ss_source *src, uint64_t root, uint64_t va, ss_xlat *out);

/* Geometry of a walker's mode: top level, significant VA bits, VA bit where level's index starts. */
unsigned ss_walker_levels(const ss_walker *w);
unsigned ss_walker_va_bits(const ss_walker *w);
unsigned ss_walker_level_shift(const ss_walker *w, unsigned level);

/*
 * Paging-structure cache (mmu/walk.c), for one root: the frame of the page table
 * serving a 2 MiB (x86: 4 MiB) region and of the page directory serving a 1 GiB
 * region, so a walk that misses the translation cache in a known region costs one
 * or two entry loads instead of four. Direct-mapped; tags are VA >> region shift.
 * Invalid after a root change, a flush or a generation change: ss_pwc_clear().
 */
#define SS_PWC_PT_SLOTS 512u
#define SS_PWC_PD_SLOTS 64u
typedef struct ss_pwc_slot {
    uint64_t tag;
    uint64_t table; /* frame of the table; bit 0: reached through a transition entry */
} ss_pwc_slot;
typedef struct ss_pwc {
    ss_pwc_slot pt[SS_PWC_PT_SLOTS]; /* level-1 tables, tag va >> shift[PDE] */
    ss_pwc_slot pd[SS_PWC_PD_SLOTS]; /* level-2 tables, tag va >> shift[PDPTE] */
} ss_pwc;
void ss_pwc_clear(ss_pwc *c);

/* What the hot path keeps of a walk; the same values ss_walk() puts in ss_xlat. */
typedef struct ss_walk_result {
    uint64_t pa;        /* ss_xlat.pa */
    uint64_t page_size; /* ss_xlat.page_size */
    ss_xlat_state state;
    uint8_t level; /* ss_xlat.level: the level whose entry decided */
} ss_walk_result;

/*
 * Lean walk (mmu/walk.c): the same state, pa, page_size and level as ss_walk(),
 * without recording entries. pwc (optional) is used and filled; it must belong
 * to this root and generation.
 */
ss_xlat_state ss_walk_fast(const ss_walker *w, ss_source *src, uint64_t root, uint64_t va, ss_pwc *pwc,
                           ss_walk_result *r);

/*
 * For batch ranges: when pwc holds the page table of va's region and the source
 * is flat, the frames of the pages from va on that are present 4 KiB mappings in
 * the source (what ss_walk_fast would give, SS_OK), stopping at the first other
 * entry, the end of that table or max pages. Returns how many were stored in pas.
 */
size_t ss_walk_pte_run(const ss_walker *w, ss_source *src, const ss_pwc *pwc, uint64_t va, size_t max,
                       uint64_t *pas);

struct ss_tcache; /* cache/tcache.h */

struct ss_space {
    ss_source *src;
    ss_walker walker;
    uint64_t dtb;  /* as given */
    uint64_t root; /* physical address of the top-level table */
    ss_space_options opts;
    struct ss_tcache *cache; /* NULL when caching is off */
};

#endif /* SS_INTERNAL_H */
