/*
 * sessionspace/scan.h — symbol-less discovery: find page-table roots (DTBs) in any
 * source by their self-map, and group them into sessions by their page tables alone.
 *
 * Windows x64 maps every top-level table into itself: one PML4 entry (slot 0x1ED
 * before Windows 10 1607, randomized since) holds the frame of the PML4 itself, so
 * the paging structures appear at a fixed VA (the self-map base). ss_scan_run()
 * reads every page of a source once and reports the pages that look like such a
 * table. ss_scan_session_slots() and ss_scan_cluster() then compare the kernel
 * halves of the roots found: kernel-global entries are the same frame in every
 * process, session-space entries are the same frame within one session and differ
 * between sessions (that is how randomized session space is found with no symbols).
 * No profile, no dump header. Reads go through the public source API only.
 *
 * Thread safety: the functions keep no state; several scans may run at once over
 * one shared source.
 */
#ifndef SESSIONSPACE_SCAN_H
#define SESSIONSPACE_SCAN_H

#include "common.h"
#include "source.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One page that passed every check (see ss_scan_run for the checks). */
typedef struct ss_scan_candidate {
    uint64_t dtb;            /* physical address of the table (the CR3 value without flags) */
    uint64_t self_map_base;  /* VA the self-map entry maps: the PTE base (x64: slot << 39, sign-extended) */
    uint32_t self_map_slot;  /* index (256..511) of the self-referencing entry */
    uint32_t kernel_present; /* present kernel-half entries, the self-map included */
    uint32_t user_present;   /* present user-half entries */
    uint32_t reserved;
} ss_scan_candidate;

/*
 * Progress: called with the bytes scanned so far and the bytes the scan will read in
 * all (the sum of the source's ranges); done never decreases, and the last call of a
 * scan that is not cancelled has done == total. Return non-zero to cancel the scan.
 */
typedef int (*ss_scan_progress_fn)(void *arg, uint64_t done, uint64_t total);

/* Called once per candidate, in ascending dtb order. Return non-zero to stop the scan. */
typedef int (*ss_scan_found_fn)(void *arg, const ss_scan_candidate *candidate);

/* Options for the scan. Initialise with SS_SCAN_OPTIONS_INIT or ss_scan_options_init();
   0 means "default". */
typedef struct ss_scan_options {
    unsigned version;             /* SS_SCAN_OPTIONS_VERSION */
    ss_mode mode;                 /* SS_MODE_X64 (default for 0/AUTO) or SS_MODE_LA57 (tables are PML5s) */
    uint32_t min_kernel_entries;  /* present supervisor kernel-half entries besides the self-map;
                                     default 6 (x64), 1 (LA57) */
    uint32_t min_zero_entries;    /* zero entries required in each half; default 64 */
    uint64_t max_pa;              /* entries must name frames below this; default ss_source_max_pa() */
    uint64_t progress_step;       /* bytes between progress calls; default 64 MiB */
    ss_scan_progress_fn progress; /* optional */
    void *progress_arg;
} ss_scan_options;

#define SS_SCAN_OPTIONS_VERSION 1
/* Sets the version and nothing else: every other member starts at its (zero) default. */
#ifdef __cplusplus
#define SS_SCAN_OPTIONS_INIT                                                                                 \
    {                                                                                                        \
        SS_SCAN_OPTIONS_VERSION                                                                              \
    }
#else /* designated: no missing-initializer warning under -Wextra */
#define SS_SCAN_OPTIONS_INIT                                                                                 \
    {                                                                                                        \
        .version = SS_SCAN_OPTIONS_VERSION                                                                   \
    }
#endif

/*
 * Initialises *opts as SS_SCAN_OPTIONS_INIT does, for callers that cannot use the macro
 * (bindings). Errors: SS_E_INVALID_ARG (NULL opts, version 0 or newer than this library).
 */
ss_status ss_scan_options_init(ss_scan_options *opts, unsigned version);

/* What a scan did (ss_scan_run's optional out-parameter). */
typedef struct ss_scan_stats {
    uint64_t pages_scanned;    /* pages read and checked */
    uint64_t pages_unreadable; /* pages inside the ranges that could not be read (skipped) */
    uint64_t bytes_total;      /* sum of the source's ranges */
    uint64_t candidates;       /* pages reported */
} ss_scan_stats;

/*
 * Scans every page of src (ss_source_ranges; zero-copy ss_source_page where the
 * backend allows it, ss_source_read otherwise) for top-level tables that map
 * themselves, and calls found() for each. A page is reported when:
 *  - exactly one of its 512 entries is present and names the page's own frame, and
 *    that entry is in the kernel half (slot 256..511), with P and RW set and PS clear;
 *  - no present entry has the PS bit (reserved in a PML4E / PML5E);
 *  - every present entry names a frame below max_pa;
 *  - every present user-half entry has US set;
 *  - the kernel half holds at least min_kernel_entries other present supervisor
 *    (US clear) entries;
 *  - each half holds at least min_zero_entries zero entries.
 * Pages the source cannot read are skipped and counted. Allocates nothing per page.
 *
 * Errors: SS_E_INVALID_ARG (NULL src or found, bad options version or mode,
 * min_zero_entries above 256), SS_E_CANCELLED (progress or found returned non-zero;
 * *stats tells how far it got), or the status of ss_source_ranges().
 * *stats (optional) is filled in every case but SS_E_INVALID_ARG.
 */
ss_status ss_scan_run(ss_source *src, const ss_scan_options *opts, ss_scan_found_fn found, void *arg,
                      ss_scan_stats *stats);

/*
 * ss_scan_run() into a growable array: *out (free with ss_scan_free) holds *count
 * candidates in ascending dtb order; *out is NULL when none were found.
 * Errors: those of ss_scan_run (on failure *out is NULL and *count 0), SS_E_NOMEM.
 */
ss_status ss_scan_collect(ss_source *src, const ss_scan_options *opts, ss_scan_candidate **out, size_t *count,
                          ss_scan_stats *stats);

/* Frees an array returned by ss_scan_collect. NULL is a no-op. */
void ss_scan_free(ss_scan_candidate *candidates);

/*
 * What a kernel-half top-level slot is, judged from a set of x64 PML4s of one
 * system (ss_scan_session_slots). User-half slots are SS_SLOT_USER.
 */
typedef enum ss_slot_kind {
    SS_SLOT_UNUSED = 0,   /* not present in any of the tables */
    SS_SLOT_USER = 1,     /* slot 0..255: the user half, not classified */
    SS_SLOT_SELF_MAP = 2, /* the self-map entry of at least one table */
    SS_SLOT_GLOBAL = 3,   /* present in every table, with the same frame: kernel-global */
    SS_SLOT_SESSION = 4,  /* not global, and some frame appears in two or more tables:
                             shared within a group (session space) */
    SS_SLOT_PRIVATE = 5   /* present, but every frame appears in one table only: per-process
                             (hyperspace, the working-set list) */
} ss_slot_kind;

/* Stable lowercase name of a slot kind ("unused", "user", "self_map", "global", "session", "private"). */
const char *ss_slot_kind_name(ss_slot_kind kind);

/*
 * Classifies the 512 PML4 slots from the tables at dtbs[0 .. n) (x64 4-level;
 * flag and PCID bits of each dtb are ignored): kinds[i] receives an ss_slot_kind.
 * Entries are compared by frame (bits 12-51) and P bit only, since the accessed bit
 * differs between copies. The SESSION slots are session space (Windows 10 1607+
 * randomized, or fffff900'00000000 on Windows 7/8). What the tables cannot tell:
 * with tables of only one session the session slot reads as GLOBAL, and with one
 * table per session as PRIVATE. Pass distinct dtbs of one system: a table whose
 * kernel-global entries differ from the others' (another machine's, a boot-time copy)
 * makes those slots read as SESSION, and ss_scan_cluster then merges every table that
 * shares them into one cluster. The self-map slot comes from each table's own entries.
 * When the sessions are known (the Windows model), ss_nt_session_slots_x64 (nt.h)
 * applies the same rule with the sessions given instead of inferred.
 * Errors: SS_E_INVALID_ARG (NULL, n == 0), SS_E_NOMEM, or the read status of the
 * first table that cannot be read (SS_E_NO_PAGE, SS_E_RANGE, SS_E_IO ...).
 */
ss_status ss_scan_session_slots(ss_source *src, const uint64_t *dtbs, size_t n, uint8_t kinds[512]);

/*
 * Groups the tables at dtbs[0 .. n) into sessions by the frames of their SESSION
 * slots (see ss_scan_session_slots): two tables that share a frame in any session
 * slot are in the same session (transitively). cluster[i] receives 0 for a table
 * with no session-space entry at all (System, smss.exe, Idle), else a session
 * cluster 1..*nclusters, numbered in the order of each cluster's first table in
 * dtbs[]. kinds (optional) receives the slot classification. Cluster numbers are
 * not session ids: the page tables do not say which session is which.
 * Errors: those of ss_scan_session_slots.
 */
ss_status ss_scan_cluster(ss_source *src, const uint64_t *dtbs, size_t n, uint32_t *cluster,
                          size_t *nclusters, uint8_t kinds[512]);

#ifdef __cplusplus
}
#endif
#endif /* SESSIONSPACE_SCAN_H */
