/*
 * sessionspace/source.h — memory sources: where physical bytes come from.
 *
 * A source is a read-only view of a machine's physical memory: a raw image, a
 * crash dump, an ELF core, a live VM's RAM or a debugger stub. Open one with
 * ss_source_open(); every other layer (address spaces, the Windows model) reads
 * through it.
 *
 * Thread safety: an ss_source may be shared by any number of threads for reads
 * (ss_source_read, ss_source_page, ss_source_ranges, ss_source_info ...).
 * Opening and closing are not concurrent with any other use of the same handle.
 */
#ifndef SESSIONSPACE_SOURCE_H
#define SESSIONSPACE_SOURCE_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ss_source ss_source;

/* The format a source was read as. Values are stable. */
typedef enum ss_format {
    SS_FORMAT_UNKNOWN = 0,
    SS_FORMAT_RAW = 1,         /* flat physical image: file offset == physical address */
    SS_FORMAT_CRASHDUMP64 = 2, /* Windows 64-bit crash dump (PAGEDU64) */
    SS_FORMAT_CRASHDUMP32 = 3, /* Windows 32-bit crash dump (PAGEDUMP) */
    SS_FORMAT_ELF = 4,         /* ELF core of physical memory */
    SS_FORMAT_KDUMP = 5,       /* kdump-compressed (diskdump) or flattened makedumpfile */
    SS_FORMAT_LIME = 6,        /* LiME range file */
    SS_FORMAT_CUSTOM = 7,      /* a caller-supplied backend (sessionspace/sys/backend.h) */
    SS_FORMAT_VMI = 8,         /* a running QEMU/KVM guest's shared RAM file (vmi:) */
    SS_FORMAT_KD = 9           /* a live guest through a gdbstub (kd:tcp:HOST:PORT) */
} ss_format;

/*
 * Paging modes. SS_MODE_AUTO asks the library to pick the mode from what the
 * source knows (dump header, CPU notes) and fails with SS_E_UNSUPPORTED when it
 * knows nothing.
 */
typedef enum ss_mode {
    SS_MODE_AUTO = 0,
    SS_MODE_X86 = 1, /* 32-bit, 2-level, 4 KiB and 4 MiB pages (CR4.PSE) */
    SS_MODE_PAE = 2, /* 32-bit PAE, 3-level, 4 KiB and 2 MiB pages */
    SS_MODE_X64 = 3, /* IA-32e 4-level, 4 KiB, 2 MiB and 1 GiB pages */
    SS_MODE_LA57 = 4 /* IA-32e 5-level (CR4.LA57), 57-bit virtual addresses */
} ss_mode;

/*
 * Opens a memory source.
 *
 * spec is "PATH" (format sniffed from the file's magic; a file with no known magic
 * is opened as raw) or "FORMAT:PATH" to force one: "raw:", "dmp:", "elf:",
 * "kdump:", "lime:"; "vmi:PATH[,OPTIONS]" opens a running guest's RAM file
 * (sessionspace/vmi.h). Prefixes come from a const table of factories; a caller
 * with prefixes of its own opens through ss_registry_open() (sessionspace/sys/backend.h).
 * Files are taken as fixed: a file another process writes (a running guest's RAM)
 * opened as raw: serves cached translations that never change (use vmi:).
 * On failure *out is set to NULL and, when err is not NULL, it receives the
 * status and a message naming the file and what is wrong.
 *
 * The path must be a regular file or a block device: a FIFO, socket or character
 * device is refused (SS_E_UNSUPPORTED) without blocking, a directory with SS_E_IS_DIR.
 * A crash dump whose DumpType holds no physical memory this reader knows (a triage
 * or header-only dump) opens: ss_source_info() has its header, it holds no ranges,
 * and reads (hence translations) fail with SS_E_NO_PHYS_MEMORY.
 *
 * Errors: SS_E_INVALID_ARG, SS_E_NOT_FOUND, SS_E_IS_DIR, SS_E_EMPTY,
 * SS_E_TRUNCATED, SS_E_FORMAT, SS_E_CORRUPT, SS_E_UNSUPPORTED, SS_E_IO, SS_E_NOMEM.
 */
ss_status ss_source_open(const char *spec, ss_source **out, ss_error *err);

/*
 * Options of ss_source_open_ex(). Versioned like the other option structs: set
 * version (SS_OPEN_OPTIONS_INIT does) and new members are only ever appended.
 */
typedef struct ss_open_options {
    unsigned version; /* SS_OPEN_OPTIONS_VERSION */
    uint32_t flags;   /* SS_OPEN_* */
} ss_open_options;

#define SS_OPEN_OPTIONS_VERSION 1
/* Sets the version and nothing else: every other member starts at its (zero) default. */
#ifdef __cplusplus
#define SS_OPEN_OPTIONS_INIT                                                                                 \
    {                                                                                                        \
        SS_OPEN_OPTIONS_VERSION                                                                              \
    }
#else /* designated: no missing-initializer warning under -Wextra */
#define SS_OPEN_OPTIONS_INIT                                                                                 \
    {                                                                                                        \
        .version = SS_OPEN_OPTIONS_VERSION                                                                   \
    }
#endif

/*
 * Initialises *opts as SS_OPEN_OPTIONS_INIT does, for callers that cannot use the macro
 * (bindings). Errors: SS_E_INVALID_ARG (NULL opts, version 0 or newer than this library).
 */
ss_status ss_open_options_init(ss_open_options *opts, unsigned version);

/*
 * SS_OPEN_PREAD: for a file that may change or shrink while it is open (a dump still
 * being written or copied, a file on a network share). Without it (the default) the
 * file is mapped and its pages are handed out zero-copy: fast, but if another process
 * truncates the file, the next access to a page past the new end raises SIGBUS in the
 * calling process (the library installs no signal handler). With it, the file is
 * mapped only while ss_source_open_ex() parses its headers; after that every byte
 * is read with pread() into the caller's buffer or the space's private frame copies,
 * the metadata the source keeps (bitmaps, notes) is copied, ss_source_page() answers
 * SS_E_UNSUPPORTED, and a read of bytes the file no longer holds fails with
 * SS_E_TRUNCATED instead of faulting. Pages already copied stay readable (their old
 * contents). A truncation racing the open call itself is not covered.
 */
#define SS_OPEN_PREAD 0x1u

/*
 * ss_source_open() with options (opts NULL: the defaults, as ss_source_open()).
 * Errors: as ss_source_open(), and SS_E_INVALID_ARG for an unknown flag or a
 * version 0 or newer than this library.
 */
ss_status ss_source_open_ex(const char *spec, const ss_open_options *opts, ss_source **out, ss_error *err);

/* Closes a source and releases everything it holds. NULL is a no-op. */
void ss_source_close(ss_source *src);

/* The format the source was opened as. */
ss_format ss_source_format(const ss_source *src);

/* Stable lowercase name of a format ("raw", "crashdump64", "elf", ...). */
const char *ss_format_name(ss_format format);

/* Stable lowercase name of a paging mode ("x86", "pae", "x64", "la57", "auto"). */
const char *ss_mode_name(ss_mode mode);

/*
 * Reads len bytes of physical memory at pa into buf.
 * Returns SS_OK only when all len bytes were read. Otherwise *nread (if not NULL)
 * tells how many leading bytes of buf are valid, and the status says why the read
 * stopped: SS_E_NO_PAGE (a page the source does not hold), SS_E_RANGE (past the
 * end), SS_E_IO / SS_E_CORRUPT (the medium failed), SS_E_SHORT_READ (a custom
 * backend said SS_OK without storing every byte), SS_E_TRUNCATED (SS_OPEN_PREAD:
 * the file shrank since it was opened), SS_E_NO_PHYS_MEMORY (a header-only or triage
 * dump), SS_E_INVALID_ARG (NULL src, or
 * NULL buf with len > 0). A custom backend's status that is not an ss_status code
 * is reported as SS_E_IO, and *nread never exceeds len.
 */
ss_status ss_source_read(ss_source *src, uint64_t pa, void *buf, size_t len, size_t *nread);

/*
 * Zero-copy access: sets *page to the 4 KiB page at frame pfn, valid until the
 * source is closed (for live sources: until ss_source_generation() changes). The
 * pointer is into the file's mapping: it stays valid only as long as the file is
 * not truncated below that page (touching it after that raises SIGBUS; open with
 * SS_OPEN_PREAD when the file may shrink).
 * Returns SS_E_UNSUPPORTED when the backend cannot hand out pointers for this
 * page (compressed pages, debugger stubs, SS_OPEN_PREAD): fall back to ss_source_read().
 * SS_E_NO_PAGE / SS_E_RANGE as for ss_source_read.
 */
ss_status ss_source_page(ss_source *src, uint64_t pfn, const uint8_t **page);

/*
 * The runs of physical memory the source holds, sorted by address and not
 * overlapping. The array belongs to the source and lives as long as it.
 */
ss_status ss_source_ranges(ss_source *src, const ss_phys_range **ranges, size_t *count);

/* One past the highest physical address the source holds (0 if it holds none). */
uint64_t ss_source_max_pa(const ss_source *src);

/*
 * A counter that changes whenever a live source's contents may have changed
 * (always 0 for files). Caches compare it to decide whether to flush: every
 * ss_translate*() call on a live source reads it first, so no cached answer of an
 * older generation is ever returned (see "Live sources" below).
 */
uint64_t ss_source_generation(ss_source *src);

/*
 * Says "the live contents may have changed": increments the generation, so every
 * space over src drops its caches at its next call. Callable from any thread.
 * Errors: SS_E_INVALID_ARG (NULL), SS_E_UNSUPPORTED (a source without generations:
 * files, which the library takes as fixed).
 */
ss_status ss_source_bump_generation(ss_source *src);

/* Flags of ss_dump_info.flags telling which fields the source filled in. */
#define SS_INFO_WINDOWS_HEADER 0x1u /* the fields from a Windows crash-dump header */
#define SS_INFO_BUGCHECK       0x2u /* bugcheck_code / bugcheck_params */
#define SS_INFO_PAGING_MODE    0x4u /* paging_mode */
#define SS_INFO_DTB            0x8u /* directory_table_base */

/* What the source's own metadata says about the machine (all zero when unknown). */
typedef struct ss_dump_info {
    uint32_t flags;                  /* SS_INFO_* */
    ss_mode paging_mode;             /* from the header (PAE flag, machine type) or CPU state */
    uint64_t directory_table_base;   /* CR3 of the dumping context */
    uint64_t ps_active_process_head; /* VA of nt!PsActiveProcessHead */
    uint64_t ps_loaded_module_list;  /* VA of nt!PsLoadedModuleList */
    uint64_t kd_debugger_data_block; /* VA of KdDebuggerDataBlock */
    uint32_t machine_type;           /* IMAGE_FILE_MACHINE_* (0x14c i386, 0x8664 AMD64) */
    uint32_t major_version;          /* 0xf free build / 0xc checked build */
    uint32_t minor_version;          /* the build number, e.g. 19041 */
    uint32_t number_processors;
    uint32_t bugcheck_code;
    uint64_t bugcheck_params[4];
    uint32_t dump_type;   /* the header's DumpType field */
    uint32_t pae_enabled; /* 32-bit dumps: 1 when the header says PAE */
} ss_dump_info;

/* Fills *info from the source's metadata. SS_OK even when the source knows nothing. */
ss_status ss_source_info(ss_source *src, ss_dump_info *info);

/* Control registers of one virtual CPU, as recorded in the source (ELF CPU notes). */
typedef struct ss_cpu_state {
    uint32_t index;
    uint64_t cr0, cr2, cr3, cr4;
    uint64_t efer; /* 0 when the source does not record it */
} ss_cpu_state;

/*
 * The paging mode and the page-table root (CR3) the source records: the mode from
 * its header (SS_INFO_PAGING_MODE) else from CPU 0's CR0 / CR4 / EFER; the root
 * from its header (SS_INFO_DTB) else CPU 0's CR3. mode or dtb may be NULL (not
 * both). Each unknown value is set to SS_MODE_AUTO / 0 and the others are still
 * filled. Returns SS_OK when every value asked for is known; SS_E_UNSUPPORTED when
 * one is not (no such header field and no CPU state, or CPU 0 runs with paging
 * off); SS_E_INVALID_ARG (NULL src, or both outputs NULL).
 */
ss_status ss_source_paging(ss_source *src, ss_mode *mode, uint64_t *dtb);

/*
 * When the source is one flat mapping of physical [0, size) (an mmap'd raw image),
 * *data points at it (valid until the source is closed) and *size is its length.
 * Errors: SS_E_UNSUPPORTED (not flat: *data = NULL, *size = 0), SS_E_INVALID_ARG.
 */
ss_status ss_source_mapping(ss_source *src, const uint8_t **data, uint64_t *size);

/* Number of CPU states the source records (0 when it records none). */
size_t ss_source_cpu_count(ss_source *src);

/* The state of CPU i (0 <= i < ss_source_cpu_count). SS_E_INVALID_ARG past the end. */
ss_status ss_source_cpu(ss_source *src, size_t i, ss_cpu_state *out);

/*
 * A named text note the source carries ("VMCOREINFO" for ELF and kdump files).
 * *data points into the source (not NUL-terminated; *len bytes). SS_E_NOT_FOUND
 * when there is no such note.
 */
ss_status ss_source_note(ss_source *src, const char *name, const char **data, size_t *len);

#ifdef __cplusplus
}
#endif
#endif /* SESSIONSPACE_SOURCE_H */
