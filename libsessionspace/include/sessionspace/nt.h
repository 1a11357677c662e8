/*
 * sessionspace/nt.h — the Windows model: structure layouts (profiles), processes,
 * sessions, session-space regions and "where is this address valid".
 *
 * The model is built on the public source / space API only (src/nt/ includes no
 * core internals). The structure layouts it reads are profiles (sessionspace/profile.h).
 *
 * Typical use: ss_nt_open() a source; list ss_nt_process_at() / ss_nt_session_at();
 * ss_nt_session_space() for kd's `!session -s N`; ss_nt_where_va() for "in which
 * sessions is this address valid, and is it one frame?".
 *
 * Thread safety: an ss_nt belongs to one thread at a time (it re-roots a scratch
 * address space and keeps range buffers). Open one per thread over a shared source;
 * the address spaces it hands out are the caller's.
 */
#ifndef SESSIONSPACE_NT_H
#define SESSIONSPACE_NT_H

#include "common.h"
#include "profile.h"
#include "scan.h"
#include "source.h"
#include "space.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Opening the model ------------------------------------------------------------ */

typedef struct ss_nt ss_nt;

/*
 * Options for ss_nt_open(). Initialise with SS_NT_OPTIONS_INIT or ss_nt_options_init();
 * members are only ever appended and read according to `version` (a version 1 struct,
 * which ends at max_list, is still accepted and read only that far).
 */
typedef struct ss_nt_options {
    unsigned version; /* SS_NT_OPTIONS_VERSION */
    /* Structure layout, first that is set: profile (copied; the embedding debugger's own
       offsets), isf_path (a Volatility 3 ISF file), else the built-in table for the dump
       header's build number and pointer size. */
    const ss_nt_profile *profile;
    const char *isf_path;
    ss_mode mode;                    /* SS_MODE_AUTO: from the source */
    uint64_t dtb;                    /* kernel DTB; 0: dump header / CPU 0's CR3, else found by scan */
    uint64_t ps_active_process_head; /* VA; 0: dump header, else kernel image scan + symbol RVA */
    uint32_t build;                  /* build for the built-in table; 0: dump header */
    uint32_t max_list;               /* bound on every list / tree walk; 0: 65,536 */
    /* version 2: progress of the DTB scan ss_nt_open runs when no DTB is known (see
       ss_scan_options.progress; returning non-zero cancels the open). */
    ss_scan_progress_fn progress;
    void *progress_arg;
} ss_nt_options;

#define SS_NT_OPTIONS_VERSION 2
/* Sets the version and nothing else: every other member starts at its (zero) default. */
#ifdef __cplusplus
#define SS_NT_OPTIONS_INIT                                                                                   \
    {                                                                                                        \
        SS_NT_OPTIONS_VERSION                                                                                \
    }
#else /* designated: no missing-initializer warning under -Wextra */
#define SS_NT_OPTIONS_INIT                                                                                   \
    {                                                                                                        \
        .version = SS_NT_OPTIONS_VERSION                                                                     \
    }
#endif

/* Initialises *o as SS_NT_OPTIONS_INIT does (version set, the rest zero) for `version` (1 or 2: only that
   version's members are written). SS_E_INVALID_ARG: NULL, unknown version. */
ss_status ss_nt_options_init(ss_nt_options *o, unsigned version);

/*
 * Builds the Windows model of src: chooses the profile, finds the kernel DTB and
 * PsActiveProcessHead (see ss_nt_options), walks ActiveProcessLinks, groups the
 * processes into sessions by EPROCESS.Session and reads each session's structure
 * through a member's DTB, and classifies the kernel half's top-level slots.
 * With no DTB from the options or the source (a raw image, an ELF / LiME core without
 * CPU state), an x64 / LA57 source is scanned (ss_scan_collect, default thresholds) and
 * the roots are tried, those without session space first (ss_scan_cluster's cluster 0:
 * System, smss.exe, Idle): a root is the kernel DTB when the kernel image is found
 * under it (unless PsActiveProcessHead is known), the process list walks, and the
 * process with PID 4 (System) has it as DirectoryTableBase (ss_nt_kernel_dtb_origin
 * then says SS_NT_DTB_SCAN).
 * When an ISF is given, its PDB GUID / age are checked against the kernel image: the
 * one the scan found, else PsLoadedModuleList's first entry's DllBase (dump header),
 * else KdDebuggerDataBlock's KernBase, else a kernel image scan.
 * A corrupt or looping process list does not fail the open: the processes read so
 * far are kept and ss_nt_list_status() reports what went wrong.
 * The source must outlive the model. On failure *out is NULL and err says why.
 * Errors: SS_E_INVALID_ARG (NULL, a bad options version, a profile with another
 * version or pointer size), SS_E_UNSUPPORTED (no profile for the build: the message
 * names the build and says to pass an ISF with --isf / isf_path; a profile lacking a
 * field the walks need, named; an LA57 source with no header), SS_E_NOT_FOUND (no DTB:
 * a 32-bit source with none recorded, or no scanned root fits — the message says how
 * many were tried and why each failed; no PsActiveProcessHead and no kernel image
 * found; an ISF whose PDB GUID / age does not match the kernel image), SS_E_CANCELLED
 * (the progress callback cancelled the scan), the errors of ss_nt_profile_from_isf,
 * ss_scan_collect and ss_space_open, SS_E_CORRUPT (PsActiveProcessHead unreadable; the
 * KDBG cross-check disagrees; the first process does not look like one — a PID that is
 * not a multiple of 4, a DTB outside the source, an unprintable name: a profile that
 * does not fit this kernel, named in the message), SS_E_NOMEM.
 */
ss_status ss_nt_open(ss_source *src, const ss_nt_options *opts, ss_nt **out, ss_error *err);

/* Frees the model. NULL is a no-op. */
void ss_nt_close(ss_nt *nt);

/* The profile in use, the paging mode, the kernel DTB and PsActiveProcessHead. No
   errors: a NULL nt gives NULL, SS_MODE_AUTO, 0 and 0. */
const ss_nt_profile *ss_nt_get_profile(const ss_nt *nt);
ss_mode ss_nt_mode(const ss_nt *nt);
uint64_t ss_nt_kernel_dtb(const ss_nt *nt);
uint64_t ss_nt_ps_active_process_head(const ss_nt *nt);

/* Where the kernel DTB came from. */
typedef enum ss_nt_dtb_origin {
    SS_NT_DTB_OPTION = 0, /* ss_nt_options.dtb */
    SS_NT_DTB_SOURCE = 1, /* the source: dump header, CPU 0's CR3 (ss_source_paging) */
    SS_NT_DTB_SCAN = 2    /* found by ss_nt_open's scan (verified: PID 4's DirectoryTableBase) */
} ss_nt_dtb_origin;

/* How ss_nt_kernel_dtb() was found; *tried (optional) receives the number of scanned roots
   tried (0 unless SS_NT_DTB_SCAN). SS_NT_DTB_OPTION for NULL. */
ss_nt_dtb_origin ss_nt_kernel_dtb_origin(const ss_nt *nt, size_t *tried);

/* Stable lowercase name ("option", "source", "scan"). */
const char *ss_nt_dtb_origin_name(ss_nt_dtb_origin origin);

/* Where the kernel was found (when a scan ran or KDBG was read). */
typedef struct ss_nt_kernel_info {
    uint64_t base;     /* kernel image base VA (0: not searched / not found) */
    char pdb_name[64]; /* from its CodeView RSDS record */
    char pdb_guid[40]; /* 32 uppercase hex digits */
    uint32_t pdb_age;
    uint64_t kdbg;    /* KdDebuggerDataBlock VA (0: unknown) */
    int kdbg_checked; /* 1: OwnerTag "KDBG" read and PsActiveProcessHead agreed */
} ss_nt_kernel_info;

/* Fills *out. SS_E_INVALID_ARG on NULL. */
ss_status ss_nt_kernel(const ss_nt *nt, ss_nt_kernel_info *out);

/*
 * Scans the kernel half of dtb's address space for a loaded kernel image: every
 * 2 MiB-aligned base that is mapped (found by walking the top three levels of the
 * page tables, never by probing 2^47 addresses) and, in 4 KiB-mapped regions, every
 * 64 KiB-aligned mapped page, is checked for an MZ/PE header whose CodeView RSDS
 * debug record names a kernel PDB (ntkrnlmp.pdb, ntoskrnl.pdb, ntkrnlpa.pdb,
 * ntkrpamp.pdb). x64, PAE and x86 (the kernel half 80000000-FFFFFFFF: 2 / 4 MiB
 * large pages, and 64 KiB-aligned pages of page tables). Errors: SS_E_INVALID_ARG,
 * SS_E_UNSUPPORTED (LA57), SS_E_NOT_FOUND (no kernel image found).
 */
ss_status ss_nt_find_kernel(ss_space *space, ss_nt_kernel_info *out, ss_error *err);

/* ---- Processes --------------------------------------------------------------------- */

#define SS_NT_NO_SESSION 0xffffffffu

typedef struct ss_nt_process {
    uint64_t eprocess;   /* _EPROCESS VA */
    uint64_t pid;        /* UniqueProcessId */
    char name[16];       /* ImageFileName, NUL-terminated */
    uint64_t dtb;        /* DirectoryTableBase */
    uint64_t user_dtb;   /* UserDirectoryTableBase (KVA shadow) with its low bits cleared; 0 when none */
    uint64_t session_va; /* EPROCESS.Session; 0 for System, smss.exe and other session-less processes */
    uint32_t session_id; /* SS_NT_NO_SESSION when session_va is 0 or its structure is unreadable */
} ss_nt_process;

/*
 * Outcome of the ActiveProcessLinks walk: SS_OK, or SS_E_CORRUPT (a loop, a link that
 * does not point back, more than max_list entries) / a read status, with err->message
 * naming the EPROCESS where the walk stopped. The processes read before stay listed.
 */
ss_status ss_nt_list_status(const ss_nt *nt, ss_error *err);

/* Number of processes (0 for a NULL nt), and process i in list order. Errors:
   SS_E_INVALID_ARG (NULL nt or out, i past the end). */
size_t ss_nt_process_count(const ss_nt *nt);
ss_status ss_nt_process_at(const ss_nt *nt, size_t i, ss_nt_process *out);

/* The process with that PID. SS_E_NOT_FOUND when there is none. */
ss_status ss_nt_process_find(const ss_nt *nt, uint64_t pid, ss_nt_process *out);

/* ---- Sessions ---------------------------------------------------------------------- */

/* ss_nt_session.have: which details the profile and the structure provided. */
#define SS_NT_HAVE_PAGED_POOL 0x1u
#define SS_NT_HAVE_COMMITTED  0x2u
#define SS_NT_HAVE_NONPAGED   0x4u
#define SS_NT_HAVE_RESIDENT   0x8u

typedef struct ss_nt_session {
    uint32_t id;          /* SessionId (SS_NT_NO_SESSION when unreadable) */
    uint64_t va;          /* _MM_SESSION_SPACE (EPROCESS.Session) */
    ss_status status;     /* SS_OK when the structure was read through member_dtb */
    uint64_t member_dtb;  /* the DTB of the first member process: the session's context */
    size_t process_count; /* processes whose EPROCESS.Session is va */
    uint32_t have;        /* SS_NT_HAVE_* */
    uint64_t paged_pool_start, paged_pool_end;
    uint64_t committed_pages, non_pagable_pages;
    uint32_t resident_process_count;
} ss_nt_session;

/* Number of sessions (distinct non-zero EPROCESS.Session values; 0 for a NULL nt), and
   session i, ordered by id. Errors: SS_E_INVALID_ARG (NULL nt or out, i past the end). */
size_t ss_nt_session_count(const ss_nt *nt);
ss_status ss_nt_session_at(const ss_nt *nt, size_t i, ss_nt_session *out);

/*
 * The session with SessionId id (its index in *index when not NULL). SS_E_NOT_FOUND
 * when there is none: err->message lists the sessions there are.
 */
ss_status ss_nt_session_find(const ss_nt *nt, uint32_t id, ss_nt_session *out, size_t *index, ss_error *err);

/*
 * Walks session id's ProcessList (EPROCESS.SessionProcessLinks, like kd's !sprocess)
 * through a member's DTB into procs[0 .. cap). *count receives the number found
 * (those past cap are counted, not stored). A loop or a bad link stops the walk with
 * SS_E_CORRUPT, and *count / procs hold what was read before.
 * Errors: SS_E_INVALID_ARG, SS_E_NOT_FOUND (no such session), SS_E_CORRUPT, read statuses.
 */
ss_status ss_nt_session_processes(ss_nt *nt, uint32_t id, ss_nt_process *procs, size_t cap, size_t *count,
                                  ss_error *err);

/* An image loaded in a session (_IMAGE_ENTRY_IN_SESSION + its _KLDR_DATA_TABLE_ENTRY). */
typedef struct ss_nt_image {
    uint64_t base;         /* Address (an _EX_FAST_REF on Windows 10+: low bits masked) */
    uint64_t last_address; /* LastAddress */
    uint64_t size;         /* SizeOfImage (0 when the data table entry is unreadable) */
    uint64_t ldr;          /* _KLDR_DATA_TABLE_ENTRY VA */
    char name[64];         /* BaseDllName as UTF-8 (truncated) */
} ss_nt_image;

/*
 * Lists session id's images (ImageList to Windows 8.1, ImageTree AVL from Windows 10,
 * walked iteratively in address order) into images[0 .. cap); *count as above.
 * Errors: SS_E_INVALID_ARG, SS_E_NOT_FOUND (no such session), SS_E_UNSUPPORTED (the
 * profile does not describe the image container, e.g. Windows 11 24H2's opaque
 * session structure: the message says so), SS_E_CORRUPT (a loop, a tree deeper than
 * 64 or more than max_list entries: what was read before is kept), read statuses.
 */
ss_status ss_nt_session_images(ss_nt *nt, uint32_t id, ss_nt_image *images, size_t cap, size_t *count,
                               ss_error *err);

/* ---- Contexts: address spaces for a session or a process --------------------------- */

/*
 * Opens an address space in session id's context (kd's `!session -s`): rooted at a
 * member process's DTB. The caller closes it. Errors: SS_E_INVALID_ARG,
 * SS_E_NOT_FOUND (no such session), ss_space_open's errors.
 */
ss_status ss_nt_session_space(ss_nt *nt, uint32_t id, ss_space **out, ss_error *err);

/* Which root of a process ss_nt_process_space opens. */
typedef enum ss_nt_root {
    SS_NT_ROOT_KERNEL = 0, /* DirectoryTableBase: kernel and user mappings (`.process /P`) */
    SS_NT_ROOT_USER = 1    /* UserDirectoryTableBase: the KVA-shadow user root */
} ss_nt_root;

/*
 * Opens an address space in process pid's context. Errors: SS_E_INVALID_ARG,
 * SS_E_NOT_FOUND (no such process; SS_NT_ROOT_USER and the process has no user DTB),
 * ss_space_open's errors.
 */
ss_status ss_nt_process_space(ss_nt *nt, uint64_t pid, ss_nt_root root, ss_space **out, ss_error *err);

/* ---- Regions ----------------------------------------------------------------------- */

typedef enum ss_nt_region {
    SS_NT_REGION_UNKNOWN = 0, /* not canonical, or not classified */
    SS_NT_REGION_USER = 1,    /* the user half */
    SS_NT_REGION_KERNEL = 2,  /* kernel, the same in every address space (global) */
    SS_NT_REGION_SESSION = 3, /* session space: one view per session */
    SS_NT_REGION_SELF_MAP = 4 /* the paging-structure self-map (PTE space) */
} ss_nt_region;

/* Stable lowercase name ("user", "kernel", "session", "self_map", "unknown"). */
const char *ss_nt_region_name(ss_nt_region region);

/*
 * Classifies va for this image's version and architecture: x64 before build 14393
 * the fixed FFFFF900'00000000-FFFFF980'00000000 session range and self-map slot 0x1ED;
 * from 14393 on, the slots found by ss_nt_session_slots_x64 over the processes'
 * DTBs and the slot of the kernel DTB that maps itself. [*start, *end) (optional)
 * receive the region around va (the top-level slot's range for kernel VAs).
 * Errors: SS_E_INVALID_ARG (NULL nt or out).
 */
ss_status ss_nt_region_of(const ss_nt *nt, uint64_t va, ss_nt_region *out, uint64_t *start, uint64_t *end);

/* Number of session-space ranges (0 for a NULL nt) and range i as [*start, *end) (merged
   adjacent slots). Errors: SS_E_INVALID_ARG (NULL argument, i past the end). */
size_t ss_nt_session_range_count(const ss_nt *nt);
ss_status ss_nt_session_range_at(const ss_nt *nt, size_t i, uint64_t *start, uint64_t *end);

/*
 * The Windows 10 1607+ session-space rule on x64, usable with no model: for the n DTBs
 * in dtbs, labelled with their session in labels (any value; SS_NT_NO_SESSION
 * entries are left out), sets bit (slot - 256) of slots[0..7] (32-bit words) for
 * every kernel-half PML4 slot that is present in every labelled DTB, names one frame
 * within each session, a different frame in at least two sessions, and is not a
 * self-map (an entry that names its own table). Needs two sessions to tell anything.
 * The same rule as ss_scan_session_slots (one implementation), told the sessions
 * instead of inferring them from shared frames: so it also works with one table per
 * session, and a labelled table that lacks the entry rules the slot out.
 * Errors: SS_E_INVALID_ARG (NULL, n == 0), SS_E_NOMEM, read statuses of the PML4 frames.
 */
ss_status ss_nt_session_slots_x64(ss_source *src, const uint64_t *dtbs, const uint32_t *labels, size_t n,
                                  uint32_t slots[8]);

/* ---- Where is this address valid --------------------------------------------------- */

typedef struct ss_nt_where_entry {
    uint32_t session;    /* SessionId */
    ss_status status;    /* the translation's status under the session's member DTB */
    ss_xlat_state state; /* as ss_space_walk reports it */
    uint64_t pa;         /* physical address (status SS_OK) */
    uint64_t hash;       /* XXH3-64 of the 4 KiB page (has_hash) */
    int has_hash;
} ss_nt_where_entry;

/* What a breakpoint at the address would do. */
typedef enum ss_nt_advice {
    SS_NT_ADVICE_UNMAPPED = 0, /* no session translates it */
    SS_NT_ADVICE_GLOBAL = 1,   /* one frame everywhere (kernel-global): a software breakpoint is global */
    SS_NT_ADVICE_SHARED = 2,   /* session space, one frame in every session that maps it */
    SS_NT_ADVICE_PRIVATE = 3,  /* different frames: per session, or a hardware breakpoint */
    SS_NT_ADVICE_USER = 4      /* a user address: per process */
} ss_nt_advice;

typedef struct ss_nt_where {
    uint64_t va;
    ss_nt_region region;
    size_t nsessions;   /* sessions asked (entries filled: min(nsessions, cap)) */
    size_t ntranslated; /* sessions in which it translates */
    int shared;         /* 1: every session that translates it uses one frame (and at least one does) */
    int same_content;   /* 1: the translating frames differ but their pages hash the same */
    ss_nt_advice advice;
} ss_nt_where;

/*
 * For va, translates under every readable session's member DTB into entries[0 .. cap)
 * (one per session, in session order) and sums it up in *out; pages are hashed with
 * XXH3 when frames differ. Errors: SS_E_INVALID_ARG (NULL nt or out, entries NULL
 * with cap > 0).
 */
ss_status ss_nt_where_va(ss_nt *nt, uint64_t va, ss_nt_where_entry *entries, size_t cap, ss_nt_where *out);

/* The advice in plain words (static text, never NULL). */
const char *ss_nt_advice_text(ss_nt_advice advice);
/* Stable lowercase name ("unmapped", "global", "shared", "private", "user"). */
const char *ss_nt_advice_name(ss_nt_advice advice);

/* Page counts of a range query. */
typedef struct ss_nt_where_range_stats {
    uint64_t pages;          /* pages in the range */
    uint64_t translations;   /* successful translations summed over sessions */
    uint64_t unmapped;       /* pages no session translates */
    uint64_t shared;         /* pages that translate, to one frame in every session that maps them */
    uint64_t private_frames; /* pages that translate to different frames in different sessions */
} ss_nt_where_range_stats;

/*
 * The `where` question for every page of [va, va + npages * 4096): each session's
 * member DTB is walked with ss_translate_range (in chunks of 4,096 pages), then pages
 * are compared across sessions. No hashing. The chunk buffers are kept in the handle
 * for the next call. Errors: SS_E_INVALID_ARG, SS_E_NOMEM.
 */
ss_status ss_nt_where_range(ss_nt *nt, uint64_t va, uint64_t npages, ss_nt_where_range_stats *out);

#ifdef __cplusplus
}
#endif
#endif /* SESSIONSPACE_NT_H */
