/* Helpers shared by the Check suites (no Check dependency here). */
#ifndef SS_TESTUTIL_H
#define SS_TESTUTIL_H

#include "imagebuilder.h"

/* xorshift64 (Marsaglia): a repeatable pseudo-random stream for tests and benchmarks. */
static inline uint64_t ss_test_rand(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

/* A path for a test file under $TEST_TMPDIR (or /tmp), unique per process. Static buffer per call slot. */
const char *ss_test_path(const char *name);

/* Writes len bytes to a file named `name` under the test directory; returns its path, NULL on failure. */
const char *ss_test_spit(const char *name, const void *data, size_t len);

/* Reads a whole file into a malloc'd buffer (64 spare bytes at the end); NULL on failure. */
uint8_t *ss_test_slurp(const char *path, size_t *len);

/* Writes img as a raw file named `name` and opens it as a source ("raw:" forced). NULL on failure. */
ss_source *ss_test_open_raw(const ssb_image *img, const char *name);

/*
 * A custom in-memory backend over an ssb_image: reads come from the image; pages
 * listed in `holes` (pfn array) are missing (SS_E_NO_PAGE), pages in `bad` fail with
 * SS_E_IO. The image must outlive the source. With gen != NULL the backend is live
 * (generation() returns *gen); with gen == NULL it has no generation() (a static source).
 */
ss_source *ss_test_open_mem(const ssb_image *img, const uint64_t *holes, size_t nholes, const uint64_t *bad,
                            size_t nbad, const uint64_t *gen);

#endif
