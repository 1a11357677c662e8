/*
 * Test support: writes a Volatility 3 ISF symbol file that describes a structure
 * profile, so tests (and the dumps they generate) can exercise the ISF route with
 * layouts of their own. Public API only (sessionspace/profile.h).
 */
#ifndef SS_TEST_ISFWRITER_H
#define SS_TEST_ISFWRITER_H

#include <stddef.h>

#include "sessionspace/profile.h"

typedef enum ss_test_isf_compress {
    SS_TEST_ISF_PLAIN = 0, /* .json */
    SS_TEST_ISF_XZ = 1,    /* .json.xz (liblzma) */
    SS_TEST_ISF_GZ = 2     /* .json.gz (zlib) */
} ss_test_isf_compress;

/* metadata.windows of the file; NULL strings and a zero build are left out. */
typedef struct ss_test_isf_meta {
    const char *pdb_name; /* e.g. "ntkrnlmp.pdb" */
    const char *pdb_guid; /* e.g. "0123456789ABCDEF0123456789ABCDEF" */
    unsigned pdb_age;
    unsigned build; /* metadata.windows.build (and major 10, minor 0) when not 0 */
} ss_test_isf_meta;

/*
 * The ISF JSON text for p (malloc'd, NUL-terminated; NULL on failure). Every offset
 * that is not SS_NT_NO_FIELD becomes a field; symbol RVAs become symbols. A profile
 * with session_images SS_NT_IMAGES_NONE is written the Windows 11 24H2 way: no
 * _MM_SESSION_SPACE, _EPROCESS.Session pointing to _PSP_SESSION_SPACE; such a profile
 * must then have SessionId 0x8 and ProcessList 0x10 (else NULL).
 */
char *ss_test_isf_json(const ss_nt_profile *p, const ss_test_isf_meta *meta);

/* Writes ss_test_isf_json(p, meta) to path, compressed as asked. 0 on success, -1 on failure. */
int ss_test_isf_write(const char *path, const ss_nt_profile *p, const ss_test_isf_meta *meta,
                      ss_test_isf_compress how);

/* Writes len bytes to path, compressed as asked (for malformed-content tests). 0 or -1. */
int ss_test_write_compressed(const char *path, const void *data, size_t len, ss_test_isf_compress how);

#endif
