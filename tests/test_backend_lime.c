/*
 * The LiME backend: range files written from the image builder read back page for
 * page as the raw image and translate the same; malformed range headers give their
 * exact status.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elfwriter.h"
#include "ss_check.h"
#include "testutil.h"

static void expect_status(const char *prefix, const void *data, size_t len, ss_status want)
{
    const char *path = ss_check_spit("bad.lime", data, len);
    ss_source_close(ss_check_open(prefix, path, want));
    unlink(path);
}

START_TEST(matches_raw)
{
    uint64_t cr3, vas[64];
    size_t nvas;
    ssb_image *img = ssw_sample_image(SS_MODE_X64, &cr3, vas, &nvas);
    ck_assert_ptr_nonnull(img);
    const char *path = ss_test_path("x64.lime");
    ck_assert_int_eq(ssw_write_lime(img, path), 0);
    ss_source *src = NULL;
    ss_error err;
    ck_assert_int_eq(ss_source_open(path, &src, &err), SS_OK); /* sniffed by its EMiL magic */
    ck_assert_int_eq(ss_source_format(src), SS_FORMAT_LIME);
    char msg[256];
    ck_assert_msg(ssw_check_pages(src, img, msg, sizeof msg) == 0, "%s", msg);

    ck_assert_msg(ssw_check_ranges(src, img, msg, sizeof msg) == 0, "%s", msg);
    /* LiME records no CPU: the mode must be given */
    ck_assert_uint_eq(ss_source_cpu_count(src), 0);
    ss_source *raw = ss_test_open_raw(img, "lime-peer.raw");
    ss_space *a, *b;
    ck_assert_int_eq(ss_space_open(src, SS_MODE_AUTO, cr3, NULL, &a), SS_E_UNSUPPORTED);
    ck_assert_int_eq(ss_space_open(src, SS_MODE_X64, cr3, NULL, &a), SS_OK);
    ck_assert_int_eq(ss_space_open(raw, SS_MODE_X64, cr3, NULL, &b), SS_OK);
    for (size_t i = 0; i < nvas; i++) {
        ss_xlat x, y;
        ck_assert_int_eq(ss_space_walk(a, vas[i], &x), ss_space_walk(b, vas[i], &y));
        ck_assert_int_eq(x.state, y.state);
        ck_assert_uint_eq(x.pa, y.pa);
    }
    ss_space_close(a);
    ss_space_close(b);
    ss_source_close(raw);
    ss_source_close(src);
    unlink(path);
    ssb_free(img);
}
END_TEST

static void put64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, 8);
}

START_TEST(malformed)
{
    /* Two ranges of one page each: [0x1000, 0x1fff] and [0x5000, 0x5fff]. */
    ssb_image *img = ssb_new(SS_MODE_X64, 1 << 20, 1 << 19);
    ck_assert_ptr_nonnull(img);
    uint8_t page[4096];
    memset(page, 0x11, sizeof page);
    ck_assert_int_eq(ssb_write(img, 0x1000, page, sizeof page), 0);
    ck_assert_int_eq(ssb_write(img, 0x5000, page, sizeof page), 0);
    const char *path = ss_test_path("small.lime");
    ck_assert_int_eq(ssw_write_lime(img, path), 0);
    ssw_save_seed("fuzz_lime", "small.lime", path);
    ssb_free(img);
    size_t len;
    uint8_t *f = ss_check_slurp(path, &len);
    unlink(path);
    ck_assert_uint_eq(len, 2 * (32 + 4096));
    uint8_t *c = malloc(len);
    ck_assert_ptr_nonnull(c);
    const size_t second = 32 + 4096;

    expect_status("", f, len, SS_OK);
    expect_status("lime:", f, 20, SS_E_TRUNCATED);                /* first header cut */
    expect_status("lime:", f, second + 10, SS_E_TRUNCATED);       /* second header cut */
    expect_status("lime:", f, len - 1, SS_E_TRUNCATED);           /* data cut */
    expect_status("lime:", "RAW DATA NOT LIME", 17, SS_E_FORMAT); /* forced on something else */
    memcpy(c, f, len);
    c[second] = 'X';
    expect_status("lime:", c, len, SS_E_CORRUPT); /* second magic */
    memcpy(c, f, len);
    c[4] = 2;
    expect_status("lime:", c, len, SS_E_UNSUPPORTED); /* version 2 */
    memcpy(c, f, len);
    put64(c + 16, 0xfff); /* end below start */
    expect_status("lime:", c, len, SS_E_CORRUPT);
    memcpy(c, f, len);
    put64(c + 8, 0);
    put64(c + 16, UINT64_MAX); /* spans everything */
    expect_status("lime:", c, len, SS_E_CORRUPT);
    memcpy(c, f, len);
    put64(c + 16, 0x1000 + 8191); /* claims two pages: runs into the next header */
    expect_status("lime:", c, len, SS_E_CORRUPT);
    memcpy(c, f, len);
    put64(c + second + 8, 0x1800); /* second range overlaps the first */
    put64(c + second + 16, 0x1800 + 4095);
    expect_status("lime:", c, len, SS_E_CORRUPT);
    free(c);
    free(f);
}
END_TEST

/*
 * A file built byte by byte from LiME's published header (doc/README.md, "LiME Memory
 * Range Header Version 1 Specification", and src/main.c write_lime_header): u32
 * magic 0x4C694D45 stored little-endian ("EMiL" on disk), u32 version 1, u64 s_addr,
 * u64 e_addr = the iomem resource's inclusive end, 8 zero bytes, then
 * e_addr - s_addr + 1 bytes. The first range ends mid-page, like the
 * 0x1000-0x9fbff "System RAM" range of a PC, which LiME writes as is.
 */
static uint8_t lime_byte(uint64_t pa)
{
    return (uint8_t)(pa * 7 + (pa >> 12));
}

START_TEST(hand_built)
{
    const uint64_t s1 = 0x1000, e1 = 0x9fbff, s2 = 0x100000, e2 = 0x101fff;
    const size_t n1 = (size_t)(e1 - s1 + 1), n2 = (size_t)(e2 - s2 + 1);
    const size_t len = 32 + n1 + 32 + n2;
    uint8_t *b = calloc(1, len);
    ck_assert_ptr_nonnull(b);
    uint8_t *h = b;
    memcpy(h, "EMiL", 4);
    h[4] = 1; /* version, u32 little-endian */
    put64(h + 8, s1);
    put64(h + 16, e1);
    for (size_t i = 0; i < n1; i++)
        h[32 + i] = lime_byte(s1 + i);
    h = b + 32 + n1;
    memcpy(h, "EMiL", 4);
    h[4] = 1;
    put64(h + 8, s2);
    put64(h + 16, e2);
    for (size_t i = 0; i < n2; i++)
        h[32 + i] = lime_byte(s2 + i);

    const char *path = ss_test_path("hand.lime");
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(b, 1, len, f), len);
    fclose(f);
    ss_source *src = NULL;
    ss_error err = {0};
    ck_assert_msg(ss_source_open(path, &src, &err) == SS_OK, "%s", err.message);
    ck_assert_int_eq(ss_source_format(src), SS_FORMAT_LIME);

    const ss_phys_range *r;
    size_t nr;
    ck_assert_int_eq(ss_source_ranges(src, &r, &nr), SS_OK);
    ck_assert_uint_eq(nr, 2);
    ck_assert_uint_eq(r[0].start, s1);
    ck_assert_uint_eq(r[0].size, n1);
    ck_assert_uint_eq(r[1].start, s2);
    ck_assert_uint_eq(r[1].size, n2);

    uint8_t buf[64];
    size_t got = 0;
    uint64_t at[] = {s1, 0x5000, e1 + 1 - sizeof buf, s2, e2 + 1 - sizeof buf};
    for (size_t k = 0; k < sizeof at / sizeof at[0]; k++) {
        ck_assert_int_eq(ss_source_read(src, at[k], buf, sizeof buf, &got), SS_OK);
        ck_assert_uint_eq(got, sizeof buf);
        for (size_t i = 0; i < sizeof buf; i++)
            ck_assert_uint_eq(buf[i], lime_byte(at[k] + i));
    }
    /* e_addr is inclusive: the byte after it is not held, nor is anything past the last range */
    ck_assert_int_eq(ss_source_read(src, e1 + 1 - 8, buf, 16, &got), SS_E_NO_PAGE);
    ck_assert_uint_eq(got, 8);
    ck_assert_int_eq(ss_source_read(src, e2 + 1, buf, 1, &got), SS_E_RANGE);
    const uint8_t *pg = NULL;
    ck_assert_int_eq(ss_source_page(src, 0x9e, &pg), SS_OK);
    ck_assert_uint_eq(pg[0], lime_byte(0x9e000));
    ck_assert_int_ne(ss_source_page(src, 0x9f, &pg), SS_OK); /* only 0xc00 bytes of it */
    ss_source_close(src);

    /* read as exclusive, e_addr would leave one byte over: the next header is misplaced */
    put64(b + 16, e1 + 1);
    expect_status("lime:", b, len, SS_E_CORRUPT);
    unlink(path);
    free(b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("backend_lime");
    TCase *t = tcase_create("lime");
    tcase_add_test(t, matches_raw);
    tcase_add_test(t, malformed);
    tcase_add_test(t, hand_built);
    suite_add_tcase(s, t);
    return ss_run_suite(s);
}
