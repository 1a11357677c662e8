/*
 * The segment index shared by the ELF, LiME and kdump backends (backend/segmap.c):
 * random, heavily overlapping segment sets must resolve exactly as a byte-by-byte
 * model in which the later segment wins; lookups, reads, ranges and pages follow.
 */
#include <stdlib.h>
#include <string.h>

#include "backend/segmap.h"
#include "ss_check.h"

enum { SPACE = 1 << 16 }; /* addresses modelled: [0, SPACE) */

static uint64_t rng_state = 0x1234567;
static uint64_t rnd(uint64_t n)
{
    return ss_test_rand(&rng_state) % n;
}

START_TEST(random_overlaps_match_model)
{
    /* The "file": byte i holds i * 31 mod 251, so every file offset is recognisable. */
    static uint8_t file[SPACE * 2];
    for (size_t i = 0; i < sizeof file; i++)
        file[i] = (uint8_t)(i * 31 % 251);
    static int64_t model[SPACE]; /* file offset stored at each address, -1 none */
    for (int round = 0; round < 200; round++) {
        size_t n = 1 + rnd(40);
        ss_seg segs[40];
        for (size_t a = 0; a < SPACE; a++)
            model[a] = -1;
        for (size_t i = 0; i < n; i++) {
            uint64_t start = rnd(SPACE - 1), size = rnd(round % 3 ? 4096 : 64) + (i % 5 == 0 ? 0 : 1);
            if (start + size > SPACE)
                size = SPACE - start;
            uint64_t off = rnd(SPACE);
            segs[i] = (ss_seg){start, size, off};
            for (uint64_t a = start; a < start + size; a++)
                model[a] = (int64_t)(off + (a - start)); /* later wins */
        }
        ss_segmap m;
        ck_assert_int_eq(ss_segmap_build(&m, segs, n, true), SS_OK);
        uint64_t end = 0;
        for (size_t a = 0; a < SPACE; a++)
            if (model[a] >= 0)
                end = a + 1;
        ck_assert_uint_eq(m.end, end);
        for (size_t i = 1; i < m.n; i++) { /* sorted, disjoint, merged */
            ck_assert_uint_ge(m.segs[i].start, m.segs[i - 1].start + m.segs[i - 1].size);
            ck_assert(!(m.segs[i].start == m.segs[i - 1].start + m.segs[i - 1].size &&
                        m.segs[i].off == m.segs[i - 1].off + m.segs[i - 1].size));
        }
        /* (plain ifs in the per-address loops: every ck_assert costs a system call) */
        uint64_t wrong = 0;
        for (uint64_t a = 0; a < SPACE; a++) {
            const ss_seg *s = ss_segmap_find(&m, a);
            if (model[a] < 0 ? s != NULL : !s || s->off + (a - s->start) != (uint64_t)model[a])
                wrong++;
        }
        ck_assert_uint_eq(wrong, 0);
        /* ranges: exactly the held addresses */
        size_t held = 0, in_ranges = 0;
        for (size_t a = 0; a < SPACE; a++)
            held += model[a] >= 0;
        for (size_t i = 0; i < m.nranges; i++) {
            in_ranges += m.ranges[i].size;
            if (i)
                ck_assert_uint_gt(m.ranges[i].start, m.ranges[i - 1].start + m.ranges[i - 1].size);
        }
        ck_assert_uint_eq(in_ranges, held);
        /* a read from a random place stops where the model does */
        uint64_t a = rnd(SPACE);
        uint8_t buf[300];
        size_t got;
        ss_status st = ss_segmap_read(&m, &(ss_file){.data = file, .size = sizeof file, .fd = -1}, a, buf,
                                      sizeof buf, &got);
        size_t want = 0;
        while (want < sizeof buf && a + want < SPACE && model[a + want] >= 0)
            want++;
        ck_assert_uint_eq(got, want);
        for (size_t i = 0; i < got; i++)
            wrong += buf[i] != file[model[a + i]];
        ck_assert_uint_eq(wrong, 0);
        if (want < sizeof buf)
            ck_assert_int_eq(st, a + want >= end ? SS_E_RANGE : SS_E_NO_PAGE);
        else
            ck_assert_int_eq(st, SS_OK);
        ss_segmap_free(&m);
    }
}
END_TEST

START_TEST(overlap_refused_when_not_allowed)
{
    ss_seg segs[2] = {{0, 100, 0}, {50, 100, 1000}};
    ss_segmap m;
    ck_assert_int_eq(ss_segmap_build(&m, segs, 2, false), SS_E_CORRUPT);
    ss_seg ok[3] = {{200, 100, 0}, {0, 100, 500}, {100, 100, 600}}; /* touching, file-contiguous */
    ck_assert_int_eq(ss_segmap_build(&m, ok, 3, false), SS_OK);
    ck_assert_uint_eq(m.n, 2); /* [0,200) merged (offsets 500..700), [200,300) separate */
    ck_assert_uint_eq(m.nranges, 1);
    ck_assert_uint_eq(m.ranges[0].size, 300);
    ss_segmap_free(&m);
    ck_assert_int_eq(ss_segmap_build(&m, NULL, 0, false), SS_OK);
    ck_assert_uint_eq(m.n, 0);
    ck_assert_uint_eq(m.end, 0);
    ss_status st;
    ck_assert_ptr_null(ss_segmap_page(&m, &(ss_file){.fd = -1}, 0, &st));
    ck_assert_int_eq(st, SS_E_RANGE);
    ss_segmap_free(&m);
}
END_TEST

START_TEST(pages)
{
    static uint8_t file[5 * 4096];
    /* page 0 whole; page 1 split over two file places; page 2 only half held; page 4 whole */
    ss_seg segs[4] = {
        {0, 4096 + 100, 0}, {4096 + 100, 3996, 3 * 4096}, {2 * 4096, 2048, 10}, {4 * 4096, 4096, 4096}};
    ss_segmap m;
    ck_assert_int_eq(ss_segmap_build(&m, segs, 4, false), SS_OK);
    const ss_file f = {.data = file, .size = sizeof file, .fd = -1};
    ss_status st;
    ck_assert_ptr_eq(ss_segmap_page(&m, &f, 0, &st), file);
    ck_assert_int_eq(st, SS_OK);
    ck_assert_ptr_null(ss_segmap_page(&m, &f, 1, &st));
    ck_assert_int_eq(st, SS_E_UNSUPPORTED);
    ck_assert_ptr_null(ss_segmap_page(&m, &f, 2, &st));
    ck_assert_int_eq(st, SS_E_UNSUPPORTED);
    ck_assert_ptr_null(ss_segmap_page(&m, &f, 3, &st));
    ck_assert_int_eq(st, SS_E_NO_PAGE);
    ck_assert_ptr_eq(ss_segmap_page(&m, &f, 4, &st), file + 4096);
    ck_assert_ptr_null(ss_segmap_page(&m, &f, 5, &st));
    ck_assert_int_eq(st, SS_E_RANGE);
    ck_assert_ptr_null(ss_segmap_page(&m, &f, UINT64_MAX, &st));
    ck_assert_int_eq(st, SS_E_RANGE);
    ss_segmap_free(&m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("backend_segmap");
    TCase *t = tcase_create("segmap");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, random_overlaps_match_model);
    tcase_add_test(t, overlap_refused_when_not_allowed);
    tcase_add_test(t, pages);
    suite_add_tcase(s, t);
    return ss_run_suite(s);
}
