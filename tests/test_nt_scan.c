/*
 * Symbol-less discovery (sessionspace/scan.h): the scan finds exactly the roots the
 * generator (tests/support/scanimage.c) built and none of its decoys, on a raw image,
 * a bitmap crash dump, ELF, LiME, kdump and a backend without zero-copy pages;
 * clustering gives back the generator's sessions; the slot classification is exact;
 * progress and cancellation behave.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "dmpwriter.h"
#include "elfwriter.h"
#include "scanimage.h"
#include "ss_check.h"
#include "testutil.h"

static const ssb_scan_spec WIN7 = {0x1ed, 0x1f2, 3, 3, 2, 0, 1, 0, 0};   /* fffff900'00000000 */
static const ssb_scan_spec WIN10 = {0x13b, 0x1b7, 3, 4, 2, 1, 1, 0, 0};  /* randomized slots */
static const ssb_scan_spec SMALL = {0x1ed, 0x1f2, 2, 2, 1, 0, 0, 0, 16}; /* no decoys */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Asserts the candidates are exactly the generator's roots, with the right self-map. */
static void check_candidates(const ssb_scan_truth *t, const ss_scan_candidate *c, size_t n, unsigned shift)
{
    ck_assert_uint_eq(n, t->nroots);
    uint64_t want[SSB_SCAN_MAX_ROOTS];
    memcpy(want, t->root, t->nroots * sizeof want[0]);
    qsort(want, t->nroots, sizeof want[0], cmp_u64);
    uint64_t base = (uint64_t)t->self_slot << shift | ~0ull << (shift + 9);
    for (size_t i = 0; i < n; i++) {
        ck_assert_uint_eq(c[i].dtb, want[i]);
        ck_assert_uint_eq(c[i].self_map_slot, t->self_slot);
        ck_assert_uint_eq(c[i].self_map_base, base);
        size_t r = 0;
        while (t->root[r] != c[i].dtb)
            r++;
        /* 8 global entries + hyperspace + self-map (+ session space); 2 user entries for processes */
        ck_assert_uint_eq(c[i].kernel_present, 10u + (t->session[r] >= 0));
        ck_assert_uint_eq(c[i].user_present, r == 0 ? 0u : 2u);
        for (size_t d = 0; d < t->ndecoys; d++)
            ck_assert_uint_ne(c[i].dtb, t->decoy[d]);
    }
}

/* Asserts that cluster[] over dtbs[] is the generator's partition (cluster numbers are arbitrary). */
static void check_partition(const ssb_scan_truth *t, const uint64_t *dtbs, const uint32_t *cluster, size_t n,
                            size_t nclusters, unsigned nsessions)
{
    ck_assert_uint_eq(nclusters, nsessions);
    int session[SSB_SCAN_MAX_ROOTS];
    for (size_t i = 0; i < n; i++) {
        size_t r = 0;
        while (t->root[r] != dtbs[i])
            r++;
        session[i] = t->session[r];
        ck_assert_msg((session[i] < 0) == (cluster[i] == 0), "root %#llx: session %d, cluster %u",
                      (unsigned long long)dtbs[i], session[i], cluster[i]);
        ck_assert_uint_le(cluster[i], nclusters);
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            if (session[i] >= 0 && session[j] >= 0)
                ck_assert_msg((session[i] == session[j]) == (cluster[i] == cluster[j]),
                              "roots %zu and %zu: sessions %d/%d, clusters %u/%u", i, j, session[i],
                              session[j], cluster[i], cluster[j]);
}

static void check_kinds(const ssb_scan_truth *t, const uint8_t kinds[512], int session_kind)
{
    for (unsigned s = 0; s < 512; s++) {
        int want = s < 256 ? SS_SLOT_USER : SS_SLOT_UNUSED;
        if (s == t->self_slot)
            want = SS_SLOT_SELF_MAP;
        else if (s == t->session_slot)
            want = session_kind;
        else if (s == t->private_slot)
            want = SS_SLOT_PRIVATE;
        for (unsigned g = 0; g < SSB_SCAN_GLOBALS; g++)
            if (s == t->global_slot[g])
                want = SS_SLOT_GLOBAL;
        ck_assert_msg(kinds[s] == want, "slot %#x: %s, want %s", s, ss_slot_kind_name(kinds[s]),
                      ss_slot_kind_name(want));
    }
}

/* Scans src, checks the candidates, clusters them and checks the clusters and slots. */
static void scan_and_check(ss_source *src, const ssb_scan_truth *t, unsigned nsessions)
{
    ss_scan_candidate *c;
    size_t n;
    ss_scan_stats stats;
    ck_assert_int_eq(ss_scan_collect(src, NULL, &c, &n, &stats), SS_OK);
    check_candidates(t, c, n, 39);
    ck_assert_uint_eq(stats.candidates, t->nroots);
    ck_assert_uint_eq(stats.pages_unreadable, 0);
    ck_assert_uint_eq(stats.pages_scanned * 4096, stats.bytes_total);

    uint64_t dtbs[SSB_SCAN_MAX_ROOTS];
    for (size_t i = 0; i < n; i++)
        dtbs[i] = c[i].dtb;
    uint32_t cluster[SSB_SCAN_MAX_ROOTS];
    size_t ncl = 99;
    uint8_t kinds[512];
    ck_assert_int_eq(ss_scan_cluster(src, dtbs, n, cluster, &ncl, kinds), SS_OK);
    check_partition(t, dtbs, cluster, n, ncl, nsessions);
    check_kinds(t, kinds, SS_SLOT_SESSION);
    /* Clusters are numbered by their first table in dtbs[]: 1, 2, ... in order of appearance. */
    uint32_t seen = 0;
    for (size_t i = 0; i < n; i++)
        if (cluster[i] > seen) {
            ck_assert_uint_eq(cluster[i], seen + 1);
            seen = cluster[i];
        }
    uint8_t kinds2[512];
    ck_assert_int_eq(ss_scan_session_slots(src, dtbs, n, kinds2), SS_OK);
    ck_assert_mem_eq(kinds, kinds2, 512);
    ss_scan_free(c);
}

static void raw_case(const ssb_scan_spec *spec, const char *name)
{
    ssb_scan_truth t;
    ssb_image *img = ssb_build_scan_image(spec, &t);
    ck_assert_ptr_nonnull(img);
    ck_assert_uint_eq(t.ndecoys, spec->decoys ? 9u : 0u);
    ss_source *src = ss_test_open_raw(img, name);
    ck_assert_ptr_nonnull(src);
    scan_and_check(src, &t, spec->nsessions);
    ss_source_close(src);
    ssb_free(img);
}

START_TEST(raw_win7_slots)
{
    raw_case(&WIN7, "scan-win7.raw");
}
END_TEST

START_TEST(raw_randomized_slots)
{
    raw_case(&WIN10, "scan-win10.raw");
}
END_TEST

/* The well-known Windows 7 x64 PTE base: self-map slot 0x1ED maps fffff680'00000000. */
START_TEST(win7_pte_base)
{
    ssb_scan_truth t;
    ssb_image *img = ssb_build_scan_image(&SMALL, &t);
    ss_source *src = ss_test_open_raw(img, "scan-small.raw");
    ss_scan_candidate *c;
    size_t n;
    ck_assert_int_eq(ss_scan_collect(src, NULL, &c, &n, NULL), SS_OK);
    ck_assert_uint_eq(n, 5);
    ck_assert_uint_eq(c[0].self_map_base, 0xfffff68000000000ull);
    ss_scan_free(c);
    /* Read as PML5s (LA57), the same tables give the 5-level self-map base. */
    ss_scan_options o = SS_SCAN_OPTIONS_INIT;
    o.mode = SS_MODE_LA57;
    ck_assert_int_eq(ss_scan_collect(src, &o, &c, &n, NULL), SS_OK);
    ck_assert_uint_eq(n, 5);
    ck_assert_uint_eq(c[0].self_map_base, 0xffed000000000000ull);
    ss_scan_free(c);
    ss_source_close(src);
    ssb_free(img);
}
END_TEST

START_TEST(bitmap_dump)
{
    ssb_scan_truth t;
    ssb_image *img = ssb_build_scan_image(&WIN10, &t);
    ck_assert_ptr_nonnull(img);
    ssb_dmp_fields f = {0};
    f.dtb = t.root[0];
    f.major_version = 0xf;
    f.minor_version = 19041;
    f.number_processors = 1;
    const char *path = ss_test_path("scan-win10.dmp");
    ck_assert_int_eq(ssb_write_dmp(img, SSB_DMP64_FULL_BITMAP, &f, NULL, 0, path), 0);
    ss_source *src = ss_check_open("dmp:", path, SS_OK);
    scan_and_check(src, &t, WIN10.nsessions);
    ss_source_close(src);
    ssb_free(img);
}
END_TEST

/* Any source: an ELF core, a LiME file and a zlib kdump (no page pointers: the scan reads). */
START_TEST(elf_lime_kdump)
{
    ssb_scan_truth t;
    ssb_image *img = ssb_build_scan_image(&WIN7, &t);
    ck_assert_ptr_nonnull(img);
    ssw_opts o = SSW_OPTS_INIT;
    const char *elf = ss_test_path("scan.elf"), *lime = ss_test_path("scan.lime"),
               *kdump = ss_test_path("scan.kdump");
    ck_assert_int_eq(ssw_write_elf(img, elf, &o), 0);
    ck_assert_int_eq(ssw_write_lime(img, lime), 0);
    ck_assert_int_eq(ssw_write_kdump(img, kdump, &o), 0);
    const char *prefix[3] = {"elf:", "lime:", "kdump:"}, *path[3] = {elf, lime, kdump};
    for (int i = 0; i < 3; i++) {
        ss_source *src = ss_check_open(prefix[i], path[i], SS_OK);
        scan_and_check(src, &t, WIN7.nsessions);
        ss_source_close(src);
    }
    ssb_free(img);
}
END_TEST

/* A custom backend hands out no page pointers: the scan reads; a missing page is skipped. */
START_TEST(read_fallback_and_holes)
{
    ssb_scan_truth t;
    ssb_image *img = ssb_build_scan_image(&WIN7, &t);
    ss_source *src = ss_test_open_mem(img, NULL, 0, NULL, 0, NULL);
    ck_assert_ptr_nonnull(src);
    scan_and_check(src, &t, WIN7.nsessions);
    ss_source_close(src);

    uint64_t holes[1] = {t.root[3] >> 12};
    uint64_t bad[1] = {t.root[4] >> 12};
    src = ss_test_open_mem(img, holes, 1, bad, 1, NULL);
    ss_scan_candidate *c;
    size_t n;
    ss_scan_stats st;
    ck_assert_int_eq(ss_scan_collect(src, NULL, &c, &n, &st), SS_OK);
    ck_assert_uint_eq(n, t.nroots - 2);
    ck_assert_uint_eq(st.pages_unreadable, 1); /* the I/O error; the hole is outside the ranges */
    ck_assert_uint_eq(st.bytes_total, ssb_size(img) - 4096);
    for (size_t i = 0; i < n; i++)
        ck_assert(c[i].dtb != t.root[3] && c[i].dtb != t.root[4]);
    /* Clustering a root the source cannot read names the read failure. */
    uint64_t dtbs[2] = {t.root[0], t.root[3]};
    uint8_t kinds[512];
    ck_assert_int_eq(ss_scan_session_slots(src, dtbs, 2, kinds), SS_E_NO_PAGE);
    ss_scan_free(c);
    ss_source_close(src);
    ssb_free(img);
}
END_TEST

/* Slot classification depends on which tables are compared (documented in scan.h). */
START_TEST(slots_from_subsets)
{
    ssb_scan_truth t;
    ssb_image *img = ssb_build_scan_image(&WIN7, &t);
    ss_source *src = ss_test_open_raw(img, "scan-subsets.raw");
    uint64_t one_session[3], system_and_one[4], one_each[3];
    size_t a = 0, c = 0;
    system_and_one[0] = t.root[0];
    for (size_t i = 0; i < t.nroots; i++) {
        if (t.session[i] == 1) {
            one_session[a++] = t.root[i];
            system_and_one[a] = t.root[i];
        }
        if (t.session[i] >= 0 && c < 3 && t.session[i] == (int)c)
            one_each[c++] = t.root[i];
    }
    ck_assert_uint_eq(a, 3);
    ck_assert_uint_eq(c, 3);
    uint8_t kinds[512];
    ck_assert_int_eq(ss_scan_session_slots(src, one_session, 3, kinds), SS_OK);
    ck_assert_int_eq(kinds[t.session_slot], SS_SLOT_GLOBAL); /* one session alone looks global */
    ck_assert_int_eq(ss_scan_session_slots(src, system_and_one, 4, kinds), SS_OK);
    check_kinds(&t, kinds, SS_SLOT_SESSION);
    ck_assert_int_eq(ss_scan_session_slots(src, one_each, 3, kinds), SS_OK);
    ck_assert_int_eq(kinds[t.session_slot], SS_SLOT_PRIVATE); /* one process per session */
    ck_assert_int_eq(kinds[t.private_slot], SS_SLOT_PRIVATE);

    uint32_t cluster[4];
    size_t ncl;
    ck_assert_int_eq(ss_scan_cluster(src, system_and_one, 4, cluster, &ncl, NULL), SS_OK);
    ck_assert_uint_eq(ncl, 1);
    ck_assert_uint_eq(cluster[0], 0);
    ck_assert_uint_eq(cluster[1], 1);
    ck_assert_uint_eq(cluster[2], 1);
    ck_assert_uint_eq(cluster[3], 1);
    /* One process per session: session space looks per-process; no session is found. */
    ck_assert_int_eq(ss_scan_cluster(src, one_each, 3, cluster, &ncl, NULL), SS_OK);
    ck_assert_uint_eq(ncl, 0);
    ck_assert_uint_eq(cluster[0] + cluster[1] + cluster[2], 0);
    ss_source_close(src);
    ssb_free(img);
}
END_TEST

typedef struct progress_log {
    uint64_t calls, last, total;
    uint64_t cancel_after; /* cancel on the call that first passes this many bytes (0: never) */
    int monotone;
} progress_log;

static int on_progress(void *arg, uint64_t done, uint64_t total)
{
    progress_log *p = arg;
    if (p->calls && done < p->last)
        p->monotone = 0;
    if (p->calls && total != p->total)
        p->monotone = 0;
    p->calls++;
    p->last = done;
    p->total = total;
    return p->cancel_after && done >= p->cancel_after;
}

static int count_found(void *arg, const ss_scan_candidate *c)
{
    (void)c;
    return ++*(int *)arg == 2; /* stop at the second */
}

START_TEST(progress_and_cancel)
{
    ssb_scan_truth t;
    ssb_image *img = ssb_build_scan_image(&SMALL, &t);
    ss_source *src = ss_test_open_raw(img, "scan-progress.raw");
    ss_scan_options o = SS_SCAN_OPTIONS_INIT;
    progress_log log = {0, 0, 0, 0, 1};
    o.progress = on_progress;
    o.progress_arg = &log;
    o.progress_step = 1 << 20;
    ss_scan_stats st;
    int found = 0;
    ck_assert_int_eq(ss_scan_run(src, &o, count_found, &(int){-1000}, &st), SS_OK);
    ck_assert(log.monotone);
    ck_assert_uint_eq(log.total, 64ull << 20); /* a raw image is one range: the whole file */
    ck_assert_uint_eq(log.last, log.total);
    ck_assert_uint_eq(log.calls, 1 + 64); /* the 0 call, then one per MiB (the last is the final one) */
    ck_assert_uint_eq(st.bytes_total, log.total);

    log = (progress_log){0, 0, 0, 8ull << 20, 1};
    ck_assert_int_eq(ss_scan_run(src, &o, count_found, &(int){-1000}, &st), SS_E_CANCELLED);
    ck_assert_uint_eq(log.last, 8ull << 20);
    ck_assert_uint_eq(st.pages_scanned, 2048);

    o.progress = NULL;
    ck_assert_int_eq(ss_scan_run(src, &o, count_found, &found, &st), SS_E_CANCELLED);
    ck_assert_int_eq(found, 2);
    ck_assert_uint_eq(st.candidates, 2);

    /* An odd step: the final call still comes once, at total. */
    o.progress = on_progress;
    o.progress_step = 3 << 20;
    log = (progress_log){0, 0, 0, 0, 1};
    ck_assert_int_eq(ss_scan_run(src, &o, count_found, &(int){-1000}, NULL), SS_OK);
    ck_assert_uint_eq(log.calls, 1 + 21 + 1);
    ck_assert_uint_eq(log.last, 64ull << 20);
    ss_source_close(src);
    ssb_free(img);
}
END_TEST

START_TEST(bad_arguments)
{
    ssb_scan_truth t;
    ssb_image *img = ssb_build_scan_image(&SMALL, &t);
    ss_source *src = ss_test_open_raw(img, "scan-args.raw");
    ss_scan_candidate *c = (ss_scan_candidate *)1;
    size_t n = 7;
    ck_assert_int_eq(ss_scan_collect(NULL, NULL, &c, &n, NULL), SS_E_INVALID_ARG);
    ck_assert_ptr_null(c);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(ss_scan_run(src, NULL, NULL, NULL, NULL), SS_E_INVALID_ARG);
    ss_scan_options o = SS_SCAN_OPTIONS_INIT;
    o.version = 99;
    ck_assert_int_eq(ss_scan_collect(src, &o, &c, &n, NULL), SS_E_INVALID_ARG);
    o = (ss_scan_options)SS_SCAN_OPTIONS_INIT;
    o.mode = SS_MODE_PAE;
    ck_assert_int_eq(ss_scan_collect(src, &o, &c, &n, NULL), SS_E_INVALID_ARG);
    o.mode = SS_MODE_X64;
    o.min_zero_entries = 257;
    ck_assert_int_eq(ss_scan_collect(src, &o, &c, &n, NULL), SS_E_INVALID_ARG);
    /* Stricter thresholds drop every root: 11 kernel entries at most here. */
    o.min_zero_entries = 0;
    o.min_kernel_entries = 12;
    ck_assert_int_eq(ss_scan_collect(src, &o, &c, &n, NULL), SS_OK);
    ck_assert_uint_eq(n, 0);
    ck_assert_ptr_null(c);
    /* A max_pa below the tables' frames drops them too. */
    o.min_kernel_entries = 0;
    o.max_pa = 1 << 20;
    ck_assert_int_eq(ss_scan_collect(src, &o, &c, &n, NULL), SS_OK);
    ck_assert_uint_eq(n, 0);

    uint8_t kinds[512];
    uint32_t cl[1];
    size_t ncl;
    uint64_t past_end = 1ull << 40;
    ck_assert_int_eq(ss_scan_session_slots(src, &past_end, 0, kinds), SS_E_INVALID_ARG);
    ck_assert_int_eq(ss_scan_session_slots(NULL, &past_end, 1, kinds), SS_E_INVALID_ARG);
    ck_assert_int_eq(ss_scan_session_slots(src, &past_end, 1, kinds), SS_E_RANGE);
    ck_assert_int_eq(ss_scan_cluster(src, &past_end, 1, NULL, &ncl, kinds), SS_E_INVALID_ARG);
    ck_assert_int_eq(ss_scan_cluster(src, &past_end, 1, cl, &ncl, kinds), SS_E_RANGE);
    ck_assert_str_eq(ss_status_name(SS_E_CANCELLED), "cancelled");
    ck_assert_str_eq(ss_slot_kind_name(SS_SLOT_SESSION), "session");
    ck_assert_str_eq(ss_slot_kind_name((ss_slot_kind)77), "unknown");
    ss_source_close(src);
    ssb_free(img);
}
END_TEST

/*
 * A 16-page memory written by hand: roots at pfn 1 and 9 (self-map 0x1ED, six shared
 * kernel entries, a session entry in the second), the rest tables and data. Both are
 * found; with SS_FUZZ_SEED_DIR set it is also written as fuzz_scan seeds
 * ([flags][hole page] then the memory).
 */
START_TEST(tiny_memory_and_fuzz_seeds)
{
    ssb_image *img = ssb_new(SS_MODE_X64, 16 * 4096, 0);
    ck_assert_ptr_nonnull(img);
    for (unsigned r = 0; r < 2; r++) {
        uint64_t root = r ? 9 * 4096 : 4096;
        uint64_t e = root | 0x63;
        ssb_write(img, root + 8 * 0x1ed, &e, 8);
        for (unsigned k = 0; k < 6; k++) {
            e = (uint64_t)(2 + k) << 12 | 0x63;
            ssb_write(img, root + 8 * (0x1f0 + k), &e, 8);
        }
        e = (uint64_t)(8 + 2 * r) << 12 | 0x67; /* user entry (US) */
        ssb_write(img, root, &e, 8);
    }
    uint64_t session = 11ull << 12 | 0x63;
    ssb_write(img, 9 * 4096 + 8 * 0x1a0, &session, 8);
    ss_source *src = ss_test_open_raw(img, "scan-tiny.raw");
    ss_scan_candidate *c;
    size_t n;
    ck_assert_int_eq(ss_scan_collect(src, NULL, &c, &n, NULL), SS_OK);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(c[0].dtb, 4096);
    ck_assert_uint_eq(c[1].dtb, 9 * 4096);
    ck_assert_uint_eq(c[1].kernel_present, 8);
    ss_scan_free(c);
    ss_source_close(src);

    const char *dir = getenv("SS_FUZZ_SEED_DIR");
    if (dir && *dir) {
        char sub[600], path[700];
        snprintf(sub, sizeof sub, "%s/fuzz_scan", dir);
        ck_assert(mkdir(dir, 0755) == 0 || errno == EEXIST);
        ck_assert(mkdir(sub, 0755) == 0 || errno == EEXIST);
        static const uint8_t heads[3][2] = {{0x00, 0}, {0x61, 5}, {0x03, 9}};
        for (int i = 0; i < 3; i++) {
            snprintf(path, sizeof path, "%s/seed-%d", sub, i);
            FILE *f = fopen(path, "wb");
            ck_assert_ptr_nonnull(f);
            fwrite(heads[i], 1, 2, f);
            for (uint64_t pfn = 0; pfn < 16; pfn++) {
                uint8_t page[4096];
                ssb_read(img, pfn * 4096, page, sizeof page);
                fwrite(page, 1, sizeof page, f);
            }
            ck_assert_int_eq(fclose(f), 0);
        }
    }
    ssb_free(img);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("nt_scan");
    TCase *tc = tcase_create("scan");
    tcase_add_test(tc, raw_win7_slots);
    tcase_add_test(tc, raw_randomized_slots);
    tcase_add_test(tc, win7_pte_base);
    tcase_add_test(tc, bitmap_dump);
    tcase_add_test(tc, read_fallback_and_holes);
    tcase_add_test(tc, elf_lime_kdump);
    tcase_add_test(tc, slots_from_subsets);
    tcase_add_test(tc, progress_and_cancel);
    tcase_add_test(tc, bad_arguments);
    tcase_add_test(tc, tiny_memory_and_fuzz_seeds);
    suite_add_tcase(s, tc);
    return ss_run_suite(s);
}
