/*
 * The raw backend and ss_source_open(): zero-copy pages, short reads, ranges, and
 * every kind of bad input (missing, empty, directory, too short, bad spec).
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sessionspace/sys/backend.h"
#include "ss_check.h"
#include "testutil.h"

static ss_status open_spec(const char *prefix, const char *path, ss_source **src, ss_error *err)
{
    char spec[600];
    snprintf(spec, sizeof spec, "%s%s", prefix, path);
    return ss_source_open(spec, src, err);
}

START_TEST(reads_and_pages)
{
    static uint8_t data[3 * 4096 + 100];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 7 + 3);
    const char *path = ss_check_spit("raw-data.raw", data, sizeof data);
    ss_source *src;
    ss_error err;
    ck_assert_int_eq(ss_source_open(path, &src, &err), SS_OK); /* no magic: sniffed as raw */
    ck_assert_int_eq(ss_source_format(src), SS_FORMAT_RAW);
    ck_assert_str_eq(ss_format_name(ss_source_format(src)), "raw");
    ck_assert_uint_eq(ss_source_max_pa(src), sizeof data);

    const ss_phys_range *r;
    size_t n;
    ck_assert_int_eq(ss_source_ranges(src, &r, &n), SS_OK);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(r[0].start, 0);
    ck_assert_uint_eq(r[0].size, sizeof data);

    uint8_t buf[5000];
    size_t got = 99;
    ck_assert_int_eq(ss_source_read(src, 4000, buf, sizeof buf, &got), SS_OK);
    ck_assert_uint_eq(got, sizeof buf);
    ck_assert_mem_eq(buf, data + 4000, sizeof buf);

    /* short read at the end: the valid prefix and SS_E_RANGE */
    ck_assert_int_eq(ss_source_read(src, 3 * 4096, buf, 200, &got), SS_E_RANGE);
    ck_assert_uint_eq(got, 100);
    ck_assert_mem_eq(buf, data + 3 * 4096, 100);
    ck_assert_int_eq(ss_source_read(src, 1ull << 40, buf, 8, &got), SS_E_RANGE);
    ck_assert_uint_eq(got, 0);
    ck_assert_int_eq(ss_source_read(src, UINT64_MAX - 3, buf, 8, &got), SS_E_RANGE);
    ck_assert_int_eq(ss_source_read(src, 0, buf, 0, &got), SS_OK);
    ck_assert_int_eq(ss_source_read(src, 0, NULL, 8, &got), SS_E_INVALID_ARG);

    /* zero-copy: a pointer into the mapping; the partial last page is not handed out */
    const uint8_t *pg = NULL;
    ck_assert_int_eq(ss_source_page(src, 2, &pg), SS_OK);
    ck_assert_mem_eq(pg, data + 2 * 4096, 4096);
    ck_assert_int_eq(ss_source_page(src, 3, &pg), SS_E_RANGE);
    ck_assert_ptr_null(pg);
    ck_assert_int_eq(ss_source_page(src, UINT64_MAX, &pg), SS_E_RANGE);

    ck_assert_uint_eq(ss_source_generation(src), 0);
    ss_dump_info info;
    ck_assert_int_eq(ss_source_info(src, &info), SS_OK);
    ck_assert_uint_eq(info.flags, 0);
    ck_assert_uint_eq(ss_source_cpu_count(src), 0);
    const char *note;
    size_t note_len;
    ck_assert_int_eq(ss_source_note(src, "VMCOREINFO", &note, &note_len), SS_E_NOT_FOUND);
    ss_source_close(src);

    /* the same file, forced with raw: */
    ck_assert_int_eq(open_spec("raw:", path, &src, &err), SS_OK);
    ss_source_close(src);
    unlink(path);
}
END_TEST

START_TEST(bad_files)
{
    ss_source *src = (ss_source *)1;
    ss_error err;
    memset(&err, 0, sizeof err);

    ck_assert_int_eq(ss_source_open("raw:/nonexistent/ss-no-such-file", &src, &err), SS_E_NOT_FOUND);
    ck_assert_ptr_null(src);
    ck_assert_int_eq(err.status, SS_E_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(err.message, "ss-no-such-file"));

    const char *dir = ss_test_path("raw-dir");
    mkdir(dir, 0755);
    ck_assert_int_eq(open_spec("raw:", dir, &src, &err), SS_E_IS_DIR);
    ck_assert_int_eq(open_spec("", dir, &src, &err), SS_E_IS_DIR);
    rmdir(dir);

    const char *empty = ss_check_spit("raw-empty.raw", "", 0);
    ck_assert_int_eq(open_spec("", empty, &src, &err), SS_E_EMPTY);
    ck_assert_ptr_nonnull(strstr(err.message, "empty"));
    unlink(empty);

    const char *tiny = ss_check_spit("raw-tiny.raw", "not a memory image", 18);
    ck_assert_int_eq(open_spec("raw:", tiny, &src, &err), SS_E_TRUNCATED);
    ck_assert_ptr_nonnull(strstr(err.message, "shorter than one"));
    unlink(tiny);

    ck_assert_int_eq(ss_source_open("nosuchformat:foo", &src, &err), SS_E_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(err.message, "nosuchformat"));
    ck_assert_int_eq(ss_source_open("", &src, &err), SS_E_INVALID_ARG);
    ck_assert_int_eq(ss_source_open(NULL, &src, &err), SS_E_INVALID_ARG);
    ck_assert_int_eq(ss_source_open("raw:", &src, &err), SS_E_INVALID_ARG);
    ck_assert_int_eq(ss_source_open("x", NULL, NULL), SS_E_INVALID_ARG);
    ss_source_close(NULL);
}
END_TEST

/* Custom backends: the table is validated before it is trusted. */
static ss_status bad_read(void *ctx, uint64_t pa, void *buf, size_t len, size_t *nread)
{
    (void)ctx, (void)pa, (void)buf;
    *nread = len * 2; /* lies about how much it read */
    return SS_OK;
}

static ss_phys_range overlapping[] = {{0, 8192}, {4096, 4096}};

static ss_status overlapping_ranges(void *ctx, const ss_phys_range **r, size_t *n)
{
    (void)ctx;
    *r = overlapping;
    *n = 2;
    return SS_OK;
}

static ss_status one_range(void *ctx, const ss_phys_range **r, size_t *n)
{
    (void)ctx;
    *r = overlapping;
    *n = 1;
    return SS_OK;
}

START_TEST(custom_backend_validation)
{
    ss_backend_ops ops = SS_BACKEND_OPS_INIT;
    ss_source *src = NULL;
    ss_error err;
    ck_assert_int_eq(ss_source_from_backend(&ops, NULL, SS_FORMAT_CUSTOM, &src, &err), SS_E_INVALID_ARG);
    ops.read = bad_read;
    ops.ranges = overlapping_ranges;
    ck_assert_int_eq(ss_source_from_backend(&ops, NULL, SS_FORMAT_CUSTOM, &src, &err), SS_E_CORRUPT);
    ck_assert_ptr_nonnull(strstr(err.message, "overlapping"));
    ops.version = 99;
    ck_assert_int_eq(ss_source_from_backend(&ops, NULL, SS_FORMAT_CUSTOM, &src, &err), SS_E_INVALID_ARG);
    ops.version = SS_BACKEND_OPS_VERSION;
    ops.ranges = one_range;
    ck_assert_int_eq(ss_source_from_backend(&ops, NULL, SS_FORMAT_CUSTOM, &src, &err), SS_OK);
    /* a backend that over-reports never makes the library report more than asked */
    uint8_t buf[16];
    size_t got = 0;
    ck_assert_int_eq(ss_source_read(src, 0, buf, sizeof buf, &got), SS_OK);
    ck_assert_uint_eq(got, sizeof buf);
    ck_assert_int_eq(ss_source_format(src), SS_FORMAT_CUSTOM);
    const uint8_t *pg;
    ck_assert_int_eq(ss_source_page(src, 0, &pg), SS_E_UNSUPPORTED);
    ss_source_close(src);
}
END_TEST

START_TEST(status_names)
{
    ck_assert_str_eq(ss_strerror(SS_OK), "success");
    ck_assert_str_eq(ss_status_name(SS_E_PAGEFILE), "pagefile");
    ck_assert_str_eq(ss_status_name(SS_E_PT_READ), "read_error");
    ck_assert_str_eq(ss_strerror((ss_status)-999), "unknown status code");
    /* every code from SS_E_INVALID_ARG down has its own name and text */
    for (int c = SS_E_INVALID_ARG; c >= SS_E_CANCELLED; c--) {
        ck_assert_str_ne(ss_status_name((ss_status)c), "unknown");
        ck_assert_str_ne(ss_strerror((ss_status)c), "unknown status code");
    }
    static const char *names[] = {"valid",       "transition", "prototype",  "pagefile",    "demand_zero",
                                  "not_present", "bad_pfn",    "read_error", "noncanonical"};
    for (int s = SS_XLAT_VALID; s <= SS_XLAT_NONCANONICAL; s++)
        ck_assert_str_eq(ss_xlat_state_name((ss_xlat_state)s), names[s - 1]);
    ck_assert_int_eq(ss_xlat_state_status(SS_XLAT_TRANSITION), SS_OK);
    ck_assert_int_eq(ss_xlat_state_status(SS_XLAT_BAD_PFN), SS_E_BAD_PFN);
}
END_TEST

START_TEST(parse_numbers)
{
    uint64_t v;
    ck_assert_int_eq(ss_parse_u64("0xfffff99b3c078c87", &v), SS_OK);
    ck_assert_uint_eq(v, 0xfffff99b3c078c87ull);
    ck_assert_int_eq(ss_parse_u64("fffff99b`3c078c87", &v), SS_OK);
    ck_assert_uint_eq(v, 0xfffff99b3c078c87ull);
    ck_assert_int_eq(ss_parse_u64(" 0xfffff99b`3c078c87\n", &v), SS_OK);
    ck_assert_uint_eq(v, 0xfffff99b3c078c87ull);
    ck_assert_int_eq(ss_parse_u64("1aa000", &v), SS_OK);
    ck_assert_uint_eq(v, 0x1aa000);
    ck_assert_int_eq(ss_parse_u64("0n4096", &v), SS_OK);
    ck_assert_uint_eq(v, 4096);
    ck_assert_int_eq(ss_parse_u64("0n18446744073709551615", &v), SS_OK);
    ck_assert_uint_eq(v, UINT64_MAX);
    ck_assert_int_eq(ss_parse_u64("00000000ffffffffffffffff", &v), SS_OK); /* leading zeros */
    ck_assert_uint_eq(v, UINT64_MAX);
    const char *bad[] = {"",
                         "   ",
                         "0x",
                         "xyz",
                         "12g4",
                         "1ffffffffffffffff",
                         "0n18446744073709551616",
                         "ffff`ffff",
                         "`12345678",
                         "1`2345678`9",
                         "0n12a",
                         "fffff99b`3c078c8"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(ss_parse_u64(bad[i], &v) == SS_E_BAD_NUMBER, "'%s' should not parse", bad[i]);
    ck_assert_int_eq(ss_parse_u64(NULL, &v), SS_E_INVALID_ARG);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("backend_raw");
    TCase *tc = tcase_create("raw");
    tcase_add_test(tc, reads_and_pages);
    tcase_add_test(tc, bad_files);
    tcase_add_test(tc, custom_backend_validation);
    tcase_add_test(tc, status_names);
    tcase_add_test(tc, parse_numbers);
    suite_add_tcase(s, tc);
    return ss_run_suite(s);
}
