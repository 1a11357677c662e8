/*
 * sessionspace/profile.h — Windows structure layouts (profiles).
 *
 * A profile holds the structure offsets and symbol RVAs the Windows model
 * (sessionspace/nt.h) reads, for one build and architecture. It comes from a built-in
 * table (chosen by build number and pointer size), from a Volatility 3 ISF symbol
 * file, or from the embedding debugger, which has its own symbols and may set every
 * offset itself.
 */
#ifndef SESSIONSPACE_PROFILE_H
#define SESSIONSPACE_PROFILE_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* An offset the build does not have (e.g. UserDirectoryTableBase before KVA shadow). */
#define SS_NT_NO_FIELD 0xffffffffu

/* How _MM_SESSION_SPACE holds the images loaded in the session. */
typedef enum ss_nt_image_container {
    SS_NT_IMAGES_NONE = 0, /* not described (Windows 11 24H2+: opaque session structure) */
    SS_NT_IMAGES_LIST = 1, /* ImageList: LIST_ENTRY of _IMAGE_ENTRY_IN_SESSION.Link (to Windows 8.1) */
    SS_NT_IMAGES_TREE = 2  /* ImageTree: RTL_AVL_TREE of _IMAGE_ENTRY_IN_SESSION (Windows 10+) */
} ss_nt_image_container;

/*
 * Every structure offset (bytes from the start of the structure) and symbol RVA the
 * model reads. Fields a build lacks are SS_NT_NO_FIELD. Versioned: initialise with
 * ss_nt_profile_init() (there is no _INIT macro: an offset of 0 is a real offset, so
 * "absent" must be written out); members are only ever appended.
 */
typedef struct ss_nt_profile {
    unsigned version; /* SS_NT_PROFILE_VERSION */

    char name[48];         /* e.g. "win10-1809-x64"; informative */
    uint32_t build;        /* NT build number (7601, 9600, 14393, 17763, 19041, 22621 ...) */
    uint32_t pointer_size; /* 4 (x86) or 8 (x64) */

    /* _KPROCESS (at the start of _EPROCESS) */
    uint32_t kprocess_directory_table_base;
    uint32_t kprocess_user_directory_table_base; /* KVA shadow; SS_NT_NO_FIELD when absent */

    /* _EPROCESS */
    uint32_t eprocess_unique_process_id;
    uint32_t eprocess_active_process_links;
    uint32_t eprocess_image_file_name; /* UCHAR[15] */
    uint32_t eprocess_session;         /* pointer to _MM_SESSION_SPACE */
    uint32_t eprocess_session_process_links;

    /* _MM_SESSION_SPACE (24H2+: only session_id 0x8 and process_list 0x10 are known) */
    uint32_t session_session_id;
    uint32_t session_process_list; /* LIST_ENTRY of _EPROCESS.SessionProcessLinks */
    ss_nt_image_container session_images;
    uint32_t session_image_list;       /* LIST_ENTRY (SS_NT_IMAGES_LIST) or RTL_AVL_TREE root (TREE) */
    uint32_t session_paged_pool_start; /* PagedPoolStart */
    uint32_t session_paged_pool_end;   /* PagedPoolEnd */
    uint32_t session_non_pagable_pages;
    uint32_t session_committed_pages;
    uint32_t session_resident_process_count;

    /* _IMAGE_ENTRY_IN_SESSION */
    uint32_t image_link;    /* LIST_ENTRY Link or RTL_BALANCED_NODE at the start */
    uint32_t image_address; /* _EX_FAST_REF on Windows 10+ (mask the low 3 / 4 bits) */
    uint32_t image_last_address;
    uint32_t image_data_table_entry; /* pointer to _KLDR_DATA_TABLE_ENTRY */

    /* _KLDR_DATA_TABLE_ENTRY */
    uint32_t ldr_dll_base;
    uint32_t ldr_size_of_image;
    uint32_t ldr_base_dll_name; /* UNICODE_STRING */

    /* Symbol RVAs in the kernel image (SS_NT_NO_FIELD when unknown). */
    uint32_t sym_ps_active_process_head;
    uint32_t sym_ps_loaded_module_list;
    uint32_t sym_kd_debugger_data_block;
} ss_nt_profile;

#define SS_NT_PROFILE_VERSION 1

/*
 * Initialises *p for version `version` (pass SS_NT_PROFILE_VERSION): every offset and
 * RVA SS_NT_NO_FIELD, session_images SS_NT_IMAGES_NONE, name empty, build and
 * pointer_size 0. A caller that has its own symbols fills the members it knows, then
 * validates with ss_nt_profile_check().
 * Errors: SS_E_INVALID_ARG (NULL, or a version this library does not know).
 */
ss_status ss_nt_profile_init(ss_nt_profile *p, unsigned version);

/*
 * Checks that *p can drive the model: a known version, a NUL-terminated name, pointer
 * size 4 or 8, every required offset present (_KPROCESS.DirectoryTableBase; _EPROCESS
 * UniqueProcessId, ActiveProcessLinks, ImageFileName, Session, SessionProcessLinks;
 * _MM_SESSION_SPACE SessionId and ProcessList; with an image list or tree also its
 * offset, the entry's link/node and Address; with an entry DataTableEntry also the
 * _KLDR_DATA_TABLE_ENTRY fields) and every present offset below 0x10000.
 * Errors: SS_E_INVALID_ARG (NULL, unknown version or container kind, bad pointer size,
 * unterminated name), SS_E_UNSUPPORTED (a required offset is SS_NT_NO_FIELD:
 * err->message names the first one as "_STRUCT.Field"), SS_E_CORRUPT (an offset past
 * 0x10000: err->message names it).
 */
ss_status ss_nt_profile_check(const ss_nt_profile *p, ss_error *err);

/*
 * Copies the built-in profile for an NT build number and pointer size (4 or 8) into
 * *out; out->build is set to `build` (a table may cover several builds of one layout,
 * e.g. 19041-19045). Built-ins: 7601 (x86, x64), 9600, 14393, 17763, 19041-19045,
 * 22621-22631 and 26100 (x64). Tables whose image container is not publicly documented
 * for that build (19041+) have session_images SS_NT_IMAGES_NONE: an ISF supplies it.
 * Errors: SS_E_INVALID_ARG (NULL out, pointer size not 4 or 8), SS_E_UNSUPPORTED (no
 * built-in table for that build and architecture: err->message names the build and
 * says to pass an ISF symbol file, "--isf FILE" on the CLI or ss_nt_profile_from_isf()).
 */
ss_status ss_nt_profile_builtin(uint32_t build, uint32_t pointer_size, ss_nt_profile *out, ss_error *err);

/* Number of built-in profiles (never 0). */
size_t ss_nt_profile_builtin_count(void);

/* Copies built-in profile i (0 <= i < count) into *out. Errors: SS_E_INVALID_ARG (NULL, i past the end). */
ss_status ss_nt_profile_builtin_at(size_t i, ss_nt_profile *out);

/* What an ISF file says about the kernel it describes. */
typedef struct ss_nt_isf_info {
    char pdb_name[64]; /* metadata.windows.pdb.database, e.g. "ntkrnlmp.pdb" ("" when absent) */
    char pdb_guid[40]; /* GUID as 32 uppercase hex digits, no dashes ("" when absent) */
    uint32_t pdb_age;
    uint32_t build; /* metadata.windows.build when present, else 0 */
} ss_nt_isf_info;

/*
 * Reads a Volatility 3 ISF symbol file into *out (a complete, ss_nt_profile_check()ed
 * profile) and, when info is not NULL, its PDB identity. The file may be plain JSON,
 * xz (.json.xz) or gzip (.json.gz); the format is recognised by its first bytes, not
 * by its name. At most 512 MiB of JSON is accepted.
 * Fields come from user_types _KPROCESS, _EPROCESS, _MM_SESSION_SPACE (ImageList makes
 * a list profile, ImageTree a tree one), _IMAGE_ENTRY_IN_SESSION (Link, Address,
 * LastAddress, DataTableEntry) and _KLDR_DATA_TABLE_ENTRY (or _LDR_DATA_TABLE_ENTRY);
 * the pointer size from base_types.pointer; the RVAs of PsActiveProcessHead,
 * PsLoadedModuleList and KdDebuggerDataBlock from symbols when present. Optional:
 * UserDirectoryTableBase, PagedPoolStart/End, NonPagablePages, CommittedPages,
 * ResidentProcessCount. When _MM_SESSION_SPACE is absent and _EPROCESS.Session points
 * to another type (Windows 11 24H2's opaque session), the session is read at
 * SessionId 0x8 / ProcessList 0x10 with no image container.
 * Errors: SS_E_INVALID_ARG (NULL path or out), SS_E_NOT_FOUND, SS_E_IS_DIR, SS_E_IO,
 * SS_E_EMPTY, SS_E_FORMAT (not JSON, or JSON that is not an ISF), SS_E_TRUNCATED (an xz
 * or gzip stream that ends early), SS_E_CORRUPT (damaged compressed data, or an ISF
 * member of the wrong type: err->message names it), SS_E_UNSUPPORTED (a structure or
 * field the model needs is missing: err->message names the struct and the field; or the
 * JSON is larger than 512 MiB; or gzip support was not built in), SS_E_NOMEM.
 */
ss_status ss_nt_profile_from_isf(const char *path, ss_nt_profile *out, ss_nt_isf_info *info, ss_error *err);

#ifdef __cplusplus
}
#endif
#endif /* SESSIONSPACE_PROFILE_H */
