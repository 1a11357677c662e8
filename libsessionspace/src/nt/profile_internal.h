/*
 * src/nt/profile_internal.h — shared between the profile sources of the nt layer
 * (built-in tables, lookup, ISF reader). Public API: sessionspace/profile.h.
 */
#ifndef SS_NT_PROFILE_INTERNAL_H
#define SS_NT_PROFILE_INTERNAL_H

#include <stddef.h>

#include "sessionspace/profile.h"

/* One built-in table: valid for NT builds [build_min, build_max] of profile.pointer_size. */
typedef struct ss_nt_builtin_entry {
    uint32_t build_min;
    uint32_t build_max;
    ss_nt_profile profile;
} ss_nt_builtin_entry;

extern const ss_nt_builtin_entry ss_nt_builtin_table[];
extern const size_t ss_nt_builtin_table_len;

/* Fills err (when not NULL) with status and a printf-style message; returns status. */
ss_status ss_nt_fail(ss_error *err, ss_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Largest decompressed ISF accepted by ss_nt_profile_from_isf() (512 MiB). */
#define SS_NT_ISF_MAX_BYTES ((size_t)512 << 20)

/*
 * ss_nt_profile_from_isf() with an explicit bound on the decompressed size (bytes);
 * the tests use it to reach the size limit without writing 512 MiB.
 */
ss_status ss_nt_isf_load_bounded(const char *path, size_t max_bytes, ss_nt_profile *out, ss_nt_isf_info *info,
                                 ss_error *err);

#endif
