/*
 * sessionspace/callback.h — a memory source whose physical reads come from the caller.
 *
 * For a host debugger (a WinDbg extension, gdb, LLDB, a hypervisor) that reads guest
 * physical memory itself and may know the CPU's control registers: fill an
 * ss_callback_ops (SS_CALLBACK_OPS_INIT or ss_callback_ops_init()), set read_phys and
 * whatever else the host knows, and call ss_source_open_callback(). The result is an
 * ordinary ss_source: spaces, the Windows model and the disassembler work over it.
 *
 * It is a thin layer over the backend table of sessionspace/sys/backend.h (see
 * ss_source_from_backend()) for hosts that do not know the physical memory map and
 * should not have to be careful: every status the host returns that is not an
 * ss_status becomes SS_E_IO, a count above what was asked is clamped, SS_OK with
 * fewer bytes becomes SS_E_SHORT_READ, and reads past phys_size fail with SS_E_RANGE
 * without a call.
 *
 * The table is versioned: `version` comes first and members are only ever appended.
 */
#ifndef SESSIONSPACE_CALLBACK_H
#define SESSIONSPACE_CALLBACK_H

#include "common.h"
#include "source.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SS_CALLBACK_OPS_VERSION 1

typedef struct ss_callback_ops {
    unsigned version; /* SS_CALLBACK_OPS_VERSION of the header the host was compiled against */
    const char *name; /* short name for messages; NULL: "callback" */

    /*
     * Required. Reads len bytes of physical memory at pa into buf; SS_OK only when all
     * len bytes were stored, else *nread = bytes stored and why it stopped
     * (SS_E_NO_PAGE, SS_E_RANGE, SS_E_IO ...). nread is never NULL.
     */
    ss_status (*read_phys)(void *ctx, uint64_t pa, void *buf, size_t len, size_t *nread);

    /* Size of physical memory: one run [0, phys_size). 0: 2^52 (the architectural
     * MAXPHYADDR limit, SDM Vol. 3A 4.1.4), for hosts that do not know. */
    uint64_t phys_size;

    /*
     * Optional (NULL: none). Fills the control registers of the CPU whose context is
     * wanted (CR0, CR3, CR4 and EFER; index 0). ss_source_cpu(src, 0) returns it,
     * and SS_MODE_AUTO takes the paging mode from CR0.PG, CR4.PAE, EFER.LMA, CR4.LA57.
     * Called on every ss_source_cpu(), so a live host reports current values.
     */
    ss_status (*cpu)(void *ctx, ss_cpu_state *out);

    /* What the host knows without registers: a paging mode (SS_MODE_AUTO: unknown; it
     * wins over cpu()'s registers) and a page-table root (0: unknown). */
    ss_mode paging_mode;
    uint64_t dtb;

    /* Optional (NULL: always 0). Changes whenever the target may have run (caches flush). */
    uint64_t (*generation)(void *ctx);

    /* Optional. Releases ctx; called once by ss_source_close(). */
    void (*close)(void *ctx);
} ss_callback_ops;

/* Sets the version and nothing else: every other member starts as zero / NULL / AUTO. */
#ifdef __cplusplus
#define SS_CALLBACK_OPS_INIT                                                                                 \
    {                                                                                                        \
        SS_CALLBACK_OPS_VERSION                                                                              \
    }
#else /* designated: no missing-initializer warning under -Wextra */
#define SS_CALLBACK_OPS_INIT                                                                                 \
    {                                                                                                        \
        .version = SS_CALLBACK_OPS_VERSION                                                                   \
    }
#endif

/*
 * For bindings that cannot use the macro: zeroes *ops and sets ops->version to
 * version (pass SS_CALLBACK_OPS_VERSION). Errors: SS_E_INVALID_ARG (NULL ops,
 * version 0 or newer than this library).
 */
ss_status ss_callback_ops_init(ss_callback_ops *ops, unsigned version);

/*
 * Opens a source over the host's callbacks (format SS_FORMAT_CUSTOM). *ops is copied;
 * ctx is handed to every callback and released through ops->close by
 * ss_source_close(). On failure *out is NULL, ctx is not closed (the caller still owns
 * it) and err (if not NULL) says why.
 * Errors: SS_E_INVALID_ARG (NULL ops/out, no read_phys, version 0 or newer than this
 * library, paging_mode not an ss_mode, phys_size not a multiple of 4096 or above 2^52),
 * SS_E_NOMEM.
 */
ss_status ss_source_open_callback(const ss_callback_ops *ops, void *ctx, ss_source **out, ss_error *err);

#ifdef __cplusplus
}
#endif
#endif /* SESSIONSPACE_CALLBACK_H */
