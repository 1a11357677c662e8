/*
 * sessionspace/sys/backend.h — for implementors of memory backends.
 *
 * A debugger that brings its own physical-memory access (a WinDbg extension, gdb,
 * LLDB, a hypervisor) plugs it in as a backend: fill an ss_backend_ops with
 * SS_BACKEND_OPS_INIT (or ss_backend_ops_init()), set the functions it supports and call
 * ss_source_from_backend(). The built-in backends (raw, crash dumps, ELF ...)
 * implement the same table.
 *
 * The table is versioned: `version` comes first and new members are only ever
 * appended, so a backend compiled against an older header keeps working.
 */
#ifndef SESSIONSPACE_SYS_BACKEND_H
#define SESSIONSPACE_SYS_BACKEND_H

#include "../common.h"
#include "../source.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SS_BACKEND_OPS_VERSION 1

/* The table version that introduced each optional member newer than version 1 is
 * read only from tables of that version or later. Every member so far is in 1. */
#define SS_BACKEND_OPS_FLAT_SINCE 1

typedef struct ss_backend_ops {
    /* SS_BACKEND_OPS_VERSION of the header the backend was compiled against. */
    unsigned version;

    /* Short lowercase name for messages ("raw", "crashdump64", "gdb" ...). */
    const char *name;

    /*
     * Required. Reads len bytes at physical address pa into buf.
     * Contract (as SQLite's xRead): returns SS_OK only when all len bytes were
     * stored. Otherwise sets *nread to the number of leading bytes stored and
     * returns why it stopped: SS_E_NO_PAGE (the source does not hold that page),
     * SS_E_RANGE (past the end), SS_E_IO or SS_E_CORRUPT. nread is never NULL.
     */
    ss_status (*read)(void *ctx, uint64_t pa, void *buf, size_t len, size_t *nread);

    /*
     * Optional (NULL: never zero-copy). Returns a pointer to the 4 KiB page at
     * frame pfn, valid until close (live sources: until generation() changes), or
     * NULL with *status set (SS_E_NO_PAGE, SS_E_RANGE, or SS_E_UNSUPPORTED when
     * this page cannot be handed out and read() must be used instead).
     */
    const uint8_t *(*page)(void *ctx, uint64_t pfn, ss_status *status);

    /*
     * Required. The physical runs the backend holds, sorted, not overlapping; the
     * array stays valid until close.
     */
    ss_status (*ranges)(void *ctx, const ss_phys_range **ranges, size_t *count);

    /* Optional (NULL: always 0). Changes whenever live contents may have changed. */
    uint64_t (*generation)(void *ctx);

    /* Optional (NULL: nothing known). Fills what the source's metadata says. */
    ss_status (*info)(void *ctx, ss_dump_info *info);

    /* Optional (NULL: none). Number of CPU states, and CPU state i. */
    size_t (*cpu_count)(void *ctx);
    ss_status (*cpu)(void *ctx, size_t i, ss_cpu_state *out);

    /* Optional (NULL: none). A named note, as ss_source_note(). */
    ss_status (*note)(void *ctx, const char *name, const char **data, size_t *len);

    /* Optional. Releases ctx; called once by ss_source_close(). */
    void (*close)(void *ctx);

    /*
     * Optional. When the whole physical address space [0, flat_size) is one
     * contiguous mapping (an mmap'd raw image), the backend may expose it so page
     * walks read entries with a single load. NULL: not flat.
     */
    const uint8_t *(*flat)(void *ctx, uint64_t *flat_size);
} ss_backend_ops;

/* Sets the version and nothing else: every other member starts as zero / NULL. */
#ifdef __cplusplus
#define SS_BACKEND_OPS_INIT                                                                                  \
    {                                                                                                        \
        SS_BACKEND_OPS_VERSION                                                                               \
    }
#else /* designated: no missing-initializer warning under -Wextra */
#define SS_BACKEND_OPS_INIT                                                                                  \
    {                                                                                                        \
        .version = SS_BACKEND_OPS_VERSION                                                                    \
    }
#endif

/*
 * For bindings that cannot use the macro: zeroes *ops and sets ops->version to
 * version (pass SS_BACKEND_OPS_VERSION). Errors: SS_E_INVALID_ARG (NULL ops,
 * version 0 or newer than this library).
 */
ss_status ss_backend_ops_init(ss_backend_ops *ops, unsigned version);

/*
 * Wraps a backend in a source. ops must stay valid for the source's lifetime; ctx
 * is handed to every call and released through ops->close by ss_source_close().
 * On failure ctx is not closed (the caller still owns it).
 *
 * Errors: SS_E_INVALID_ARG (NULL ops, no read/ranges, version 0 or newer than
 * this library), SS_E_CORRUPT (ranges unsorted or overlapping), SS_E_NOMEM.
 */
ss_status ss_source_from_backend(const ss_backend_ops *ops, void *ctx, ss_format format, ss_source **out,
                                 ss_error *err);

#ifdef __cplusplus
}
#endif
#endif /* SESSIONSPACE_SYS_BACKEND_H */
