/* Check glue shared by the suites: runs a suite and turns failures into the exit code. */
#ifndef SS_CHECK_H
#define SS_CHECK_H

#include <check.h>
#include <stdlib.h>

static inline int ss_run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
