/*
 * sessionspace/common.h — status codes, error details and basic types shared by
 * every part of the libsessionspace API.
 *
 * Conventions used by the whole API:
 *  - every function that can fail returns an ss_status; SS_OK (0) is success and
 *    every failure is a negative, specific code;
 *  - results are written through out-parameters, and only on success unless the
 *    function documents otherwise;
 *  - buffers always come with an explicit length;
 *  - the library keeps no global state: everything lives in handles.
 */
#ifndef SESSIONSPACE_COMMON_H
#define SESSIONSPACE_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Library version (semantic versioning). */
#define SS_VERSION_MAJOR 0
#define SS_VERSION_MINOR 1
#define SS_VERSION_PATCH 0

/*
 * Status codes. The numeric values are part of the ABI: new codes are only ever
 * appended. Translation-specific codes (SS_E_NOT_PRESENT ... SS_E_BAD_PFN, SS_E_RESERVED_BIT) mirror
 * the states of ss_xlat_state so that a caller that only looks at the status still
 * learns *why* an address did not translate.
 */
typedef enum ss_status {
    SS_OK = 0,
    SS_E_INVALID_ARG = -1,    /* a NULL handle, a bad flag, a zero length where one is required */
    SS_E_NOMEM = -2,          /* an allocation failed */
    SS_E_IO = -3,             /* the operating system reported an I/O error */
    SS_E_NOT_FOUND = -4,      /* the file (or named object) does not exist */
    SS_E_IS_DIR = -5,         /* a directory was given where a file was expected */
    SS_E_EMPTY = -6,          /* the file is empty */
    SS_E_TRUNCATED = -7,      /* the file ends before a structure it must contain */
    SS_E_FORMAT = -8,         /* the data is not in any format this build recognises */
    SS_E_CORRUPT = -9,        /* the format is recognised but a field is inconsistent */
    SS_E_UNSUPPORTED = -10,   /* recognised, valid, but not supported by this build */
    SS_E_SHORT_READ = -11,    /* a read returned fewer bytes than asked for */
    SS_E_NO_PAGE = -12,       /* the physical page is not present in the memory source */
    SS_E_RANGE = -13,         /* a physical address lies past the end of the source */
    SS_E_NONCANONICAL = -14,  /* the virtual address is not canonical for the paging mode */
    SS_E_NOT_PRESENT = -15,   /* the entry is not present and holds no software state */
    SS_E_TRANSITION = -16,    /* reserved: transition pages translate and return SS_OK */
    SS_E_PROTOTYPE = -17,     /* the PTE refers to a prototype PTE (details in ss_xlat) */
    SS_E_PAGEFILE = -18,      /* the page is in a paging file (details in ss_xlat) */
    SS_E_DEMAND_ZERO = -19,   /* the page is demand-zero: committed, never touched */
    SS_E_BAD_PFN = -20,       /* a paging entry names a paging structure outside the source */
    SS_E_PT_READ = -21,       /* a paging-structure entry could not be read */
    SS_E_BAD_NUMBER = -22,    /* a number in a text argument could not be parsed */
    SS_E_BUSY = -23,          /* the source is in use and cannot be changed now */
    SS_E_STALE = -24,         /* a live source changed under a cached answer */
    SS_E_RESERVED_BIT = -25,  /* a paging entry (or CR3) sets a bit the CPU reserves (SDM 4.5) */
    SS_E_CANCELLED = -26,     /* a caller's callback asked a long operation (a scan) to stop */
    SS_E_NO_PHYS_MEMORY = -27 /* the source holds no physical memory this reader knows (a header-only,
                                 triage or unknown crash-dump type): only its metadata can be read */
} ss_status;

/* The library's version as "MAJOR.MINOR.PATCH", at run time (the SS_VERSION_* macros
 * give the headers'). Never NULL. */
const char *ss_version(void);

/* Returns a static, human-readable description of a status code. Never NULL. */
const char *ss_strerror(ss_status status);

/* Returns the stable, lowercase identifier of a status ("ok", "not_present", ...). */
const char *ss_status_name(ss_status status);

/*
 * Detailed error report filled by the functions that open things (where no handle
 * exists yet to carry a message). Pass NULL when the detail is not wanted.
 */
typedef struct ss_error {
    ss_status status;
    char message[256]; /* NUL-terminated; names the file, offset and field at fault */
} ss_error;

/* A run of physical memory present in a source: [start, start + size). */
typedef struct ss_phys_range {
    uint64_t start;
    uint64_t size;
} ss_phys_range;

/*
 * Parses an address or number the way kd users type them: "0x" hex, plain hex,
 * kd's backtick form ("fffff99b`3c078c87", one backtick followed by exactly 8 hex
 * digits, optionally after "0x"), or "0n" decimal. Leading and trailing blanks are
 * ignored. Errors: SS_E_INVALID_ARG (NULL), SS_E_BAD_NUMBER (empty, junk, more
 * than 64 bits).
 */
ss_status ss_parse_u64(const char *text, uint64_t *out);

#define SS_PAGE_SIZE  4096u
#define SS_PAGE_SHIFT 12u

#ifdef __cplusplus
}
#endif
#endif /* SESSIONSPACE_COMMON_H */
