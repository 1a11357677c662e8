/* Check glue shared by the suites: runs a suite and turns failures into the exit code. */
#ifndef SS_CHECK_H
#define SS_CHECK_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static inline int ss_run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/*
 * Opens prefix + path and asserts the status. A failure must leave *out NULL and
 * explain itself in ss_error. Returns the source on SS_OK (the caller closes it).
 */
static inline ss_source *ss_check_open(const char *prefix, const char *path, ss_status want)
{
    char spec[600];
    snprintf(spec, sizeof spec, "%s%s", prefix, path);
    ss_source *src = (ss_source *)1;
    ss_error err = {0};
    ss_status st = ss_source_open(spec, &src, &err);
    ck_assert_msg(st == want, "%s: got %s (%s), want %s", spec, ss_status_name(st), err.message,
                  ss_status_name(want));
    if (st != SS_OK) {
        ck_assert_ptr_null(src);
        ck_assert_int_eq(err.status, want);
        ck_assert_msg(strlen(err.message) > 10, "%s: no message for %s", spec, ss_status_name(st));
        return NULL;
    }
    return src;
}

/* ss_test_slurp / ss_test_spit that fail the test instead of returning NULL. */
static inline uint8_t *ss_check_slurp(const char *path, size_t *len)
{
    uint8_t *b = ss_test_slurp(path, len);
    ck_assert_msg(b != NULL, "cannot read %s", path);
    return b;
}

static inline const char *ss_check_spit(const char *name, const void *data, size_t len)
{
    const char *path = ss_test_spit(name, data, len);
    ck_assert_msg(path != NULL, "cannot write %s", name);
    return path;
}

/* Writes img as a raw file and opens an address space over it; fails the test otherwise. */
static inline ss_space *ss_check_open_space(const ssb_image *img, ss_mode mode, uint64_t root,
                                            const ss_space_options *opts, ss_source **src)
{
    *src = ss_test_open_raw(img, ss_mode_name(mode));
    ck_assert_ptr_nonnull(*src);
    ss_space *sp = NULL;
    ck_assert_int_eq(ss_space_open(*src, mode, root, opts, &sp), SS_OK);
    return sp;
}

static inline void ss_check_close_space(ss_space *sp, ss_source *src)
{
    ss_space_close(sp);
    ss_source_close(src);
}

#endif
