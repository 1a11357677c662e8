/*
 * Test-support generator for symbol-less discovery (sessionspace/scan.h): an x64
 * memory image with several sessions x processes, laid out the way Windows lays out
 * its top-level tables, plus decoy pages that look like page tables but must be
 * rejected. The generator records what it built (the truth the tests compare the
 * scan and the clustering with); it never calls the code under test.
 *
 * Every root (PML4) has:
 *  - a self-map entry at spec->self_slot naming its own frame (P RW A D, NX when
 *    spec->nx_self, as Windows 10 sets it);
 *  - the kernel-global entries: the System root's PDPT frames, copied into every root;
 *  - a per-process entry (hyperspace) at the private slot, with its own PDPT;
 *  - for processes of a session: the session's PDPT at spec->session_slot (one PDPT
 *    frame shared by all processes of the session); none for the no-session roots;
 *  - user mappings (US) for the processes.
 * Roots are allocated interleaved across sessions, so address order is not session order.
 */
#ifndef SS_SCANIMAGE_H
#define SS_SCANIMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "imagebuilder.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SSB_SCAN_MAX_ROOTS  40
#define SSB_SCAN_MAX_DECOYS 16
#define SSB_SCAN_GLOBALS    8

typedef struct ssb_scan_spec {
    unsigned self_slot;         /* 256..511: 0x1ED (before 1607) or a random slot */
    unsigned session_slot;      /* 256..511, not the self slot */
    unsigned nsessions;         /* 1..4 */
    unsigned procs_per_session; /* 1..8 */
    unsigned nosession;         /* 0..2 roots without session space (System, smss.exe) */
    int nx_self;                /* NX on the self-map entry */
    int decoys;                 /* add the decoy pages */
    uint64_t phys_size;         /* 0: 64 MiB */
    uint64_t noise_pages;       /* pages of pseudo-random data (non-table content); 0: 256 */
} ssb_scan_spec;

/* Decoy kinds (ssb_scan_truth.decoy_kind), each a page the scan must not report. */
#define SSB_DECOY_TWO_SELF    1 /* two entries name the page itself */
#define SSB_DECOY_PS_BIT      2 /* a present kernel entry with PS set */
#define SSB_DECOY_FEW_KERNEL  3 /* self-map, but only 2 other kernel entries */
#define SSB_DECOY_PAST_END    4 /* self-map, kernel entries name frames past the end of memory */
#define SSB_DECOY_USER_SELF   5 /* the only self reference is in the user half */
#define SSB_DECOY_COPY        6 /* a verbatim copy of a real PML4 in another frame */
#define SSB_DECOY_NO_ZEROS    7 /* self-map, but no zero entry in the user half */
#define SSB_DECOY_ZERO        8 /* an all-zero page */
#define SSB_DECOY_USER_KERNEL 9 /* a present user-half entry without US */

typedef struct ssb_scan_truth {
    size_t nroots;
    uint64_t root[SSB_SCAN_MAX_ROOTS];
    int session[SSB_SCAN_MAX_ROOTS]; /* -1: no session space; else 0 .. nsessions-1 */
    unsigned self_slot, session_slot, private_slot;
    unsigned global_slot[SSB_SCAN_GLOBALS];
    uint64_t session_va;    /* a session-space VA mapped in every session */
    uint64_t session_pa[4]; /* the private frame behind session_va, per session */
    size_t ndecoys;
    uint64_t decoy[SSB_SCAN_MAX_DECOYS];
    int decoy_kind[SSB_SCAN_MAX_DECOYS];
} ssb_scan_truth;

/* Builds the image; NULL on bad spec or failure. The caller frees it (ssb_free). */
ssb_image *ssb_build_scan_image(const ssb_scan_spec *spec, ssb_scan_truth *truth);

/* The VA whose PML4 index is slot (sign-extended). */
uint64_t ssb_slot_va(unsigned slot);

#ifdef __cplusplus
}
#endif
#endif
