/*
 * sessionspace/space.h — virtual address spaces: page-table walks and the
 * translation cache.
 *
 * An ss_space is one page-table root (CR3 / _KPROCESS.DirectoryTableBase) in one
 * paging mode over one source. ss_space_walk() reports everything a walk saw (a
 * `!pte`-like view); ss_translate() is the hot path and goes through the space's
 * translation cache.
 *
 * Translation cache (cache/tcache.c): each space owns one, keyed by (page-table
 * root, virtual page) and hashed with XXH3; it holds translations (one entry per
 * 4 KiB, 2/4 MiB or 1 GiB page) and negative answers with their status (never
 * SS_E_PT_READ, which may be a passing I/O failure), plus the frames of the page
 * tables / page directories of the current root so that a miss costs one or two
 * entry loads. Cached answers are always those an uncached walk would give: the
 * cache is dropped when the source's generation changes (live sources), by
 * ss_space_flush(), and answers are kept per root across ss_space_set_dtb().
 * A walk of tables that change without a generation bump is not detected.
 *
 * Thread safety: an ss_space (and its cache) belongs to one thread at a time —
 * lookups take no locks and allocate nothing. Give each thread its own space over
 * a shared ss_source; sources are safe to share for reads (a live backend's
 * generation() must then be thread-safe).
 */
#ifndef SESSIONSPACE_SPACE_H
#define SESSIONSPACE_SPACE_H

#include "common.h"
#include "source.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ss_space ss_space;

/*
 * Outcome of a walk. Stable values; ss_xlat_state_name() gives the stable JSON
 * names ("valid", "transition", "prototype", "pagefile", "demand_zero",
 * "not_present", "bad_pfn", "read_error", "noncanonical", "reserved_bit").
 * A translation is not a read: a valid (or transition) mapping whose frame the
 * source does not hold (device memory, a page the dump left out) is still valid,
 * with SS_XLAT_F_NOT_IN_SOURCE; reading it then fails with SS_E_NO_PAGE.
 */
typedef enum ss_xlat_state {
    SS_XLAT_VALID = 1,        /* present mapping; pa is set (even when the source lacks the frame) */
    SS_XLAT_TRANSITION = 2,   /* Windows transition page: still in memory; pa is set; rw/us/nx as for valid */
    SS_XLAT_PROTOTYPE = 3,    /* refers to a prototype PTE; proto_address is set */
    SS_XLAT_PAGEFILE = 4,     /* paged out; pagefile_number / pagefile_offset are set */
    SS_XLAT_DEMAND_ZERO = 5,  /* committed, never touched; reads as zeros once faulted */
    SS_XLAT_NOT_PRESENT = 6,  /* not present, no software state (zero entry) */
    SS_XLAT_BAD_PFN = 7,      /* an entry names a paging structure outside the source */
    SS_XLAT_READ_ERROR = 8,   /* a paging-structure entry could not be read */
    SS_XLAT_NONCANONICAL = 9, /* the VA is not canonical (or too wide) for the mode; level 0 */
    SS_XLAT_RESERVED_BIT = 10 /* the entry at `level` sets a reserved bit: the CPU raises a
                                 reserved-bit page fault (SDM Vol. 3A 4.5, tables 4-4 .. 4-20) */
} ss_xlat_state;

/* Paging-structure levels, named as in the Intel SDM Vol. 3A ch. 4. */
typedef enum ss_level {
    SS_LEVEL_PTE = 1,   /* page table entry */
    SS_LEVEL_PDE = 2,   /* page directory entry */
    SS_LEVEL_PDPTE = 3, /* page-directory-pointer-table entry */
    SS_LEVEL_PML4E = 4,
    SS_LEVEL_PML5E = 5
} ss_level;

/* One paging-structure entry the walk read. */
typedef struct ss_pte {
    uint8_t level;  /* ss_level */
    uint64_t pa;    /* physical address of the entry itself */
    uint64_t value; /* the entry as read (32-bit modes: zero-extended) */
} ss_pte;

/* ss_xlat.flags */
#define SS_XLAT_F_RW     0x1u  /* writable at every level (R/W bit set all the way) */
#define SS_XLAT_F_US     0x2u  /* user-accessible at every level (U/S bit) */
#define SS_XLAT_F_NX     0x4u  /* execute-disable set at some level */
#define SS_XLAT_F_LARGE  0x8u  /* mapped by a large page (PS=1 at PDE/PDPTE) */
#define SS_XLAT_F_HAS_PA 0x10u /* pa holds a physical address */
#define SS_XLAT_F_GLOBAL 0x20u /* G bit of the leaf */
#define SS_XLAT_F_NOT_IN_SOURCE                                                                              \
    0x40u /* valid / transition, but the source does not hold the frame at pa (JSON in_source: false) */

/* The full result of a translation. */
typedef struct ss_xlat {
    uint64_t va;
    uint64_t pa;        /* valid when flags & SS_XLAT_F_HAS_PA */
    uint64_t page_size; /* 4096, 2 MiB, 4 MiB, 1 GiB; 0 when nothing is mapped */
    ss_xlat_state state;
    uint32_t flags;   /* SS_XLAT_F_* */
    uint8_t level;    /* level of the entry that decided the outcome (ss_level); 0 when no
                         entry was read (noncanonical) */
    uint8_t nentries; /* entries[0 .. nentries-1], top level first */
    ss_pte entries[5];
    /* Windows software-PTE details, set according to state: */
    uint32_t protection;      /* 5-bit MM protection of a software PTE */
    uint32_t pagefile_number; /* SS_XLAT_PAGEFILE */
    uint64_t pagefile_offset; /* SS_XLAT_PAGEFILE: byte offset in that paging file */
    uint64_t proto_address;   /* SS_XLAT_PROTOTYPE: VA of the prototype PTE */
} ss_xlat;

/* Stable lowercase name of a state (see ss_xlat_state). */
const char *ss_xlat_state_name(ss_xlat_state state);

/* The ss_status matching a state: SS_OK for valid and transition pages. */
ss_status ss_xlat_state_status(ss_xlat_state state);

/*
 * Windows software-PTE layouts. The position of PageFileLow in a not-present
 * x64/PAE PTE moved in Windows 8: bits 1-4 before, bits 12-15 from then on.
 */
typedef enum ss_pte_layout {
    SS_PTE_LAYOUT_WIN8 = 0, /* Windows 8 and later (default) */
    SS_PTE_LAYOUT_WIN7 = 1  /* Windows XP / Vista / 7 */
} ss_pte_layout;

/*
 * Options for ss_space_open(). Initialise with SS_SPACE_OPTIONS_INIT or
 * ss_space_options_init(). Every default is zero, so a member added in a later
 * version reads as its default from a struct of an earlier one.
 */
typedef struct ss_space_options {
    unsigned version; /* SS_SPACE_OPTIONS_VERSION */
    ss_pte_layout pte_layout;
    uint64_t proto_base;    /* x86 non-PAE only: MmProtopteBase for prototype addresses */
    uint32_t cache_entries; /* translation-cache entries (16 bytes each), rounded up to a power
                               of two, at least 4; 0 = default (65,536); above 2^28 is
                               invalid */
    uint32_t no_cache;      /* 1: no cache at all; every ss_translate() walks every level */
    uint32_t no_pse;        /* x86 non-PAE: CR4.PSE clear, PS bits are ignored */
    uint32_t no_nx;         /* PAE/x64: EFER.NXE clear, bit 63 is reserved-as-ignored */
} ss_space_options;

#define SS_SPACE_OPTIONS_VERSION 1
/* Sets the version and nothing else: every other member starts at its (zero) default. */
#ifdef __cplusplus
#define SS_SPACE_OPTIONS_INIT                                                                                \
    {                                                                                                        \
        SS_SPACE_OPTIONS_VERSION                                                                             \
    }
#else /* designated: no missing-initializer warning under -Wextra */
#define SS_SPACE_OPTIONS_INIT                                                                                \
    {                                                                                                        \
        .version = SS_SPACE_OPTIONS_VERSION                                                                  \
    }
#endif

/*
 * For bindings that cannot use the macro: zeroes *opts (every default) and sets
 * opts->version to version (pass SS_SPACE_OPTIONS_VERSION). Errors:
 * SS_E_INVALID_ARG (NULL opts, version 0 or newer than this library).
 */
ss_status ss_space_options_init(ss_space_options *opts, unsigned version);

/*
 * Creates an address space over src rooted at dtb (a CR3 value; the low flag bits
 * and, for x64, PCID bits 0-11 are ignored). mode SS_MODE_AUTO takes the mode from
 * the source (ss_source_paging). opts may be NULL for defaults; only the members
 * of opts->version are read. The source must outlive the space.
 *
 * Errors: SS_E_INVALID_ARG (NULL, bad mode, opts->version 0 or newer than this
 * library, dtb above 32 bits in a 32-bit mode, opts->cache_entries above 2^28),
 * SS_E_RESERVED_BIT (4/5-level: dtb sets CR3 bits 62:52, reserved in SDM Vol. 3A
 * table 4-12 — LAM's bits 62:61 are not modelled),
 * SS_E_UNSUPPORTED (AUTO and the source does not know its mode), SS_E_NO_PHYS_MEMORY
 * (the source is a header-only or triage dump: it holds no page tables), SS_E_NOMEM.
 */
ss_status ss_space_open(ss_source *src, ss_mode mode, uint64_t dtb, const ss_space_options *opts,
                        ss_space **out);

/*
 * ss_space_open() that also says why it failed: on failure, when err is not NULL,
 * err->status is the returned status and err->message names the cause (a NULL
 * argument, an unknown mode, an options version this library does not know, a cache
 * size over the limit, a source without physical memory, no paging mode recorded
 * for SS_MODE_AUTO, a dtb that is not a root in the mode, reserved CR3 bits, no
 * memory). Same statuses as ss_space_open(); err is left alone on success.
 */
ss_status ss_space_open_ex(ss_source *src, ss_mode mode, uint64_t dtb, const ss_space_options *opts,
                           ss_space **out, ss_error *err);

/* Frees a space and its cache. NULL is a no-op. */
void ss_space_close(ss_space *space);

/*
 * Switches the space to another page-table root. Cached answers are kept per
 * root (switching back finds them again) and never answer for another root.
 * Errors: SS_E_INVALID_ARG (NULL, dtb not a root in this mode), SS_E_RESERVED_BIT
 * (as for ss_space_open). The space is unchanged on error.
 */
ss_status ss_space_set_dtb(ss_space *space, uint64_t dtb);

/* The current root, the mode (never AUTO) and the source of a space. No errors: a NULL
   space gives 0, SS_MODE_AUTO and NULL. */
uint64_t ss_space_dtb(const ss_space *space);
ss_mode ss_space_mode(const ss_space *space);
ss_source *ss_space_source(const ss_space *space);

/*
 * Walks the page tables for va, uncached, and fills *out with every entry read.
 * Returns ss_xlat_state_status(out->state): SS_OK when out->pa is set (valid or
 * transition, SS_XLAT_F_NOT_IN_SOURCE when the source lacks that frame), else the specific reason
 * (SS_E_NOT_PRESENT, SS_E_PAGEFILE, ...); *out is filled in every case except SS_E_INVALID_ARG.
 */
ss_status ss_space_walk(ss_space *space, uint64_t va, ss_xlat *out);

/*
 * Hot path: translates va to a physical address through the translation cache.
 * SS_OK and *pa on success; otherwise the status of the walk (see ss_space_walk)
 * and *pa = 0; SS_E_INVALID_ARG (NULL space or pa) leaves *pa alone.
 */
ss_status ss_translate(ss_space *space, uint64_t va, uint64_t *pa);

/*
 * Batch translation: for i < count, pas[i] and statuses[i] receive what
 * ss_translate(vas[i]) would return (pas[i] = 0 when statuses[i] != SS_OK);
 * failures are reported per address only. *ntranslated (optional) receives the
 * number of SS_OK entries. The generation is checked once per call.
 * Returns SS_OK unless arguments are invalid (SS_E_INVALID_ARG: NULL space, or
 * NULL arrays with count > 0).
 */
ss_status ss_translate_many(ss_space *space, const uint64_t *vas, size_t count, uint64_t *pas,
                            ss_status *statuses, size_t *ntranslated);

/*
 * Translates the pages of [va, va + npages * 4096) in order: pas[i] and statuses[i]
 * for page i (va is rounded down to a page), each what ss_translate() would return
 * for that page; *ntranslated (optional) receives the number of SS_OK pages.
 * A large page, or a region an upper-level entry makes absent, is walked once; 4 KiB
 * pages of one page table cost one entry load each. Does not fill the translation
 * cache (a scan would evict the working set), only the paging-structure cache.
 * Returns SS_OK unless arguments are invalid (SS_E_INVALID_ARG: NULL space, or
 * NULL arrays with npages > 0).
 */
ss_status ss_translate_range(ss_space *space, uint64_t va, size_t npages, uint64_t *pas, ss_status *statuses,
                             size_t *ntranslated);

/*
 * Reads len bytes of virtual memory at va. SS_OK only when all bytes were read;
 * otherwise *nread (optional) tells how many leading bytes are valid and the
 * status is the first failure (a translation status, SS_E_NO_PAGE for a page that
 * translates to a frame the source does not hold, or a source read status;
 * SS_E_NONCANONICAL for a read that would run past 2^64; SS_E_INVALID_ARG for a
 * NULL space, or a NULL buf with len > 0).
 */
ss_status ss_space_read(ss_space *space, uint64_t va, void *buf, size_t len, size_t *nread);

/* Cache counters since the space was opened or the counters were reset. */
typedef struct ss_cache_stats {
    uint64_t lookups, hits, misses, flushes;
    uint32_t entries;     /* capacity in entries */
    uint32_t entry_bytes; /* memory per entry (16) */
} ss_cache_stats;

/* Drops every cached translation (all roots) and the paging-structure cache. */
void ss_space_flush(ss_space *space);

/* Reads (and with reset != 0, zeroes) the cache counters; all zero without a cache. */
void ss_space_cache_stats(ss_space *space, ss_cache_stats *stats, int reset);

#ifdef __cplusplus
}
#endif
#endif /* SESSIONSPACE_SPACE_H */
