/*
 * The bitmap rank index behind bitmap crash dumps: rank, bit tests and runs must
 * match a naive bit-by-bit count on random and pathological bitmaps of every
 * length around the word and block boundaries.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "backend/bitrank.h"
#include "ss_check.h"
#include "testutil.h"

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next_rand(void)
{
    return ss_test_rand(&rng);
}

static int naive_bit(const uint8_t *b, uint64_t i)
{
    return (b[i / 8] >> (i % 8)) & 1;
}

/* Checks an index over a copy that ends exactly at (nbits + 7) / 8 bytes (ASan sees overreads). */
static void check_bitmap(const uint8_t *src, uint64_t nbits)
{
    size_t nbytes = (size_t)((nbits + 7) / 8);
    uint8_t *b = malloc(nbytes ? nbytes : 1);
    ck_assert_ptr_nonnull(b);
    memcpy(b, src, nbytes);
    ss_bitrank r;
    ck_assert_int_eq(ss_bitrank_init(&r, b, nbits), SS_OK);
    uint64_t n = 0, runs = 0;
    int prev = 0;
    for (uint64_t i = 0; i < nbits; i++) {
        ck_assert_uint_eq(ss_bitrank_rank(&r, i), n);
        int bit = naive_bit(b, i);
        ck_assert_int_eq(ss_bitrank_get(&r, i), bit);
        n += (uint64_t)bit;
        runs += bit && !prev;
        prev = bit;
    }
    ck_assert_uint_eq(r.ones, n);
    ck_assert_uint_eq(ss_bitrank_runs(&r, NULL), runs);
    ss_phys_range *out = calloc(runs ? runs : 1, sizeof *out);
    ck_assert_uint_eq(ss_bitrank_runs(&r, out), runs);
    uint64_t covered = 0;
    for (uint64_t k = 0; k < runs; k++) {
        uint64_t first = out[k].start / SS_PAGE_SIZE, count = out[k].size / SS_PAGE_SIZE;
        ck_assert_uint_gt(count, 0);
        ck_assert(first == 0 || !naive_bit(b, first - 1));
        for (uint64_t j = first; j < first + count; j++)
            ck_assert_int_eq(naive_bit(b, j), 1);
        ck_assert(first + count == nbits || !naive_bit(b, first + count));
        if (k)
            ck_assert_uint_gt(out[k].start, out[k - 1].start + out[k - 1].size);
        covered += count;
    }
    ck_assert_uint_eq(covered, n);
    free(out);
    ss_bitrank_free(&r);
    free(b);
}

START_TEST(test_random_lengths)
{
    uint8_t buf[512];
    for (uint64_t nbits = 0; nbits <= 8 * sizeof buf;
         nbits += (nbits < 140 || (nbits > 500 && nbits < 530) ? 1 : 37)) {
        for (size_t i = 0; i < sizeof buf; i++)
            buf[i] = (uint8_t)next_rand();
        check_bitmap(buf, nbits);
    }
}
END_TEST

START_TEST(test_patterns)
{
    static const uint8_t fills[] = {0x00, 0xFF, 0x55, 0xAA, 0x80, 0x01};
    uint8_t buf[1024];
    for (size_t f = 0; f < sizeof fills; f++) {
        memset(buf, fills[f], sizeof buf);
        check_bitmap(buf, 8 * sizeof buf);
        check_bitmap(buf, 8 * sizeof buf - 3);
        check_bitmap(buf, 4096 + 64);
    }
    /* long runs crossing words and 512-bit blocks */
    memset(buf, 0, sizeof buf);
    memset(buf + 5, 0xFF, 300);
    buf[700] = 0xF0;
    buf[701] = 0x0F;
    check_bitmap(buf, 8 * sizeof buf);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("backend_bitrank");
    TCase *tc = tcase_create("rank");
    tcase_add_test(tc, test_random_lengths);
    tcase_add_test(tc, test_patterns);
    suite_add_tcase(s, tc);
    return ss_run_suite(s);
}
