/*
 * nt/model.h — the Windows model's handle, shared by the files of src/nt/ (model,
 * kernel scan, regions, where). Built on the public API only: no core internals.
 */
#ifndef SS_NT_MODEL_H
#define SS_NT_MODEL_H

#include <stdarg.h>

#include "sessionspace/nt.h"

#define SS_NT_DEFAULT_MAX_LIST 65536u
#define SS_NT_MAX_RANGES       64u
#define SS_NT_RANGE_CHUNK      4096u

struct ss_nt {
    ss_source *src;
    ss_mode mode;
    ss_nt_profile prof;
    uint64_t kdtb;
    uint64_t head;
    uint32_t max_list;
    ss_space *kspace; /* the kernel DTB: reads of global memory */
    ss_space *tmp;    /* scratch space re-rooted at members' DTBs */
    ss_nt_kernel_info kinfo;
    ss_nt_dtb_origin dtb_origin;
    size_t dtb_tried; /* roots tried by the scan (SS_NT_DTB_SCAN) */

    ss_nt_process *procs;
    size_t nprocs;
    ss_error list_err; /* status SS_OK when the walk ended at the head */

    ss_nt_session *sessions;
    size_t nsessions;

    /* regions (x64: kernel-half slots; 32-bit: KDBG MmSessionBase / MmSessionSize) */
    int self_slot;      /* -1: none found */
    uint32_t sslots[8]; /* bit (slot - 256) set: session space */
    uint64_t ranges[SS_NT_MAX_RANGES][2];
    size_t nranges;

    /* ss_nt_where_range's buffers, for range_ns sessions (where.c) */
    void *range_buf;
    size_t range_ns;
};

/* err->status = st and a formatted message; returns st. */
ss_status ss_ntm_fail(ss_error *err, ss_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Reads a pointer-sized value (zero-extended) at va. */
ss_status ss_nt_read_ptr(const ss_nt *nt, ss_space *sp, uint64_t va, uint64_t *out);

/* Checks one candidate kernel image base (MZ / PE / CodeView RSDS naming a kernel PDB);
   fills *out and returns 1 when it is one (kernel.c). */
int ss_nt_kernel_at(ss_space *sp, uint64_t base, ss_nt_kernel_info *out);

/* Builds the region tables after the processes and sessions are known. */
ss_status ss_nt_build_regions(ss_nt *nt, ss_error *err);

#endif
