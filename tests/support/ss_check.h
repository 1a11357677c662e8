/* Check glue shared by the suites: runs a suite and turns failures into the exit code. */
#ifndef SS_CHECK_H
#define SS_CHECK_H

#include <check.h>
#include <stdlib.h>

#include "testutil.h"

static inline int ss_run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
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
