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
 *
 * Sources by prefix (as SQLite finds a VFS by name with sqlite3_vfs_find). A spec
 * "PREFIX:REST" is opened by the factory registered for PREFIX, which receives REST.
 * The built-in factories (raw, dmp, elf, kdump, lime, vmi, and kd once it lands) are
 * a const table inside the library: there is no global mutable registry. A debugger
 * that brings its own prefix creates its own registry object, registers a factory on
 * it and opens through it:
 *
 *     static ss_status mydbg_open(void *user, const char *rest, uint32_t flags,
 *                                 ss_source **out, ss_error *err)
 *     {   ... build ops + ctx for "rest" ...
 *         return ss_source_from_backend(&mydbg_ops, ctx, SS_FORMAT_CUSTOM, out, err); }
 *
 *     ss_backend_factory f = SS_BACKEND_FACTORY_INIT;
 *     f.prefix = "mydbg"; f.summary = "my debugger's memory"; f.open = mydbg_open;
 *     ss_registry *reg;  ss_registry_new(&reg);  ss_registry_register(reg, &f);
 *     ss_registry_open(reg, "mydbg:session=3", 0, &src, &err);
 *
 * ss_source_open(spec) is ss_registry_open(NULL, spec, 0) and ss_source_open_ex(spec,
 * opts) is ss_registry_open(NULL, spec, opts->flags): the built-ins only.
 * Built-in backends register the same way: one ss_backend_factory each, listed in
 * the const table of src/core/source.c.
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

/* ---- sources by prefix ---------------------------------------------------- */

#define SS_BACKEND_FACTORY_VERSION 1

/* The longest prefix a factory may register (letters, digits, '_' and '-'). */
#define SS_PREFIX_MAX 31

typedef struct ss_backend_factory {
    /* SS_BACKEND_FACTORY_VERSION of the header the factory was compiled against. */
    unsigned version;

    /* The spec prefix without its colon ("vmi", "kd", "mydbg"): 1..SS_PREFIX_MAX of
     * [A-Za-z0-9_-], matched case-sensitively. */
    const char *prefix;

    /* One line for messages and help ("live QEMU/KVM guest RAM file"); may be NULL. */
    const char *summary;

    /*
     * Required. Opens the source named by rest (the spec after "prefix:", never NULL,
     * possibly empty). flags are SS_OPEN_* bits (SS_OPEN_PREAD; a factory that cannot
     * honour one fails with SS_E_UNSUPPORTED rather than ignore it). On success
     * stores a new source in *out (usually built with ss_source_from_backend()); on
     * failure leaves *out NULL and returns a status with a message in err (err may
     * be NULL).
     */
    ss_status (*open)(void *user, const char *rest, uint32_t flags, ss_source **out, ss_error *err);

    /* Passed to open() unchanged. */
    void *user;
} ss_backend_factory;

/* Sets the version and nothing else: every other member starts as zero / NULL. */
#ifdef __cplusplus
#define SS_BACKEND_FACTORY_INIT                                                                              \
    {                                                                                                        \
        SS_BACKEND_FACTORY_VERSION                                                                           \
    }
#else
#define SS_BACKEND_FACTORY_INIT                                                                              \
    {                                                                                                        \
        .version = SS_BACKEND_FACTORY_VERSION                                                                \
    }
#endif

/* For bindings without macros: zeroes *f and sets f->version. SS_E_INVALID_ARG for
 * NULL f or a version 0 or newer than this library. */
ss_status ss_backend_factory_init(ss_backend_factory *f, unsigned version);

/* A set of factories: the built-ins plus the ones registered on it. Not shared
 * between threads while ss_registry_register() runs; lookups may run concurrently. */
typedef struct ss_registry ss_registry;

/* Creates a registry holding the built-in factories only. Errors: SS_E_INVALID_ARG
 * (NULL out), SS_E_NOMEM. */
ss_status ss_registry_new(ss_registry **out);

/* Frees a registry (sources opened through it stay valid). NULL is a no-op. */
void ss_registry_free(ss_registry *reg);

/*
 * Adds a factory (copied, prefix included; user must outlive the sources it opens).
 * A prefix already registered on reg is replaced; a built-in prefix is shadowed
 * (looked up after the registered ones). Errors: SS_E_INVALID_ARG (NULL reg or f,
 * version 0 or newer than this library, no open(), a prefix empty, too long or with
 * a character outside [A-Za-z0-9_-]), SS_E_NOMEM.
 */
ss_status ss_registry_register(ss_registry *reg, const ss_backend_factory *f);

/* The factory for prefix: the registered ones first, then the built-ins (reg NULL:
 * built-ins only). NULL when none (or NULL prefix). Valid until reg changes or is freed;
 * built-ins forever. */
const ss_backend_factory *ss_registry_find(const ss_registry *reg, const char *prefix);

/* Number of prefixes reg knows (registered + built-in not shadowed; reg NULL:
 * built-ins), and the i-th of them (NULL past the end), registered ones first. No
 * error statuses. */
size_t ss_registry_count(const ss_registry *reg);
const ss_backend_factory *ss_registry_at(const ss_registry *reg, size_t i);

/*
 * Opens spec through reg (NULL: built-ins only, as ss_source_open()) with flags
 * SS_OPEN_* (as ss_open_options.flags). "PREFIX:REST"
 * goes to PREFIX's factory; a spec without a known prefix whose colon follows a '/'
 * (or with no colon) is a file path, sniffed by magic as ss_source_open() says.
 * Errors: SS_E_UNSUPPORTED (an unknown "word:" prefix, naming the known ones),
 * SS_E_INVALID_ARG (NULL spec / out, empty spec, unknown flags), and whatever the
 * factory returns.
 */
ss_status ss_registry_open(const ss_registry *reg, const char *spec, uint32_t flags, ss_source **out,
                           ss_error *err);

#ifdef __cplusplus
}
#endif
#endif /* SESSIONSPACE_SYS_BACKEND_H */
