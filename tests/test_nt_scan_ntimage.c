/*
 * Symbol-less discovery on the Windows-like images of tests/support/ntimage.c (the
 * generator the Windows model is tested with): written raw, with no header and no
 * profile, the scan must find exactly the processes' DTBs, and the clustering must
 * give back the generator's sessions (System and smss.exe without one) and the
 * session-space PDPT frame of each session. One image per test layout (the fixed
 * Windows 7 slots and the randomized ones) and with KVA shadow (the user DTBs carry a
 * self-map but no kernel half: they must not be reported).
 *
 * The generator maps six kernel-global PML4 slots (kernel image, pool, shared user
 * data, HAL, and two more), so the scan runs with its default threshold (6 present
 * kernel-half entries besides the self-map, as on real systems).
 */
#include "ss_check.h"
#include "testutil.h"

#include "ntimage.h"

static void check_image(const ss_nt_profile *p, uint64_t seed, unsigned flags, const char *name)
{
    ssb_nt_truth t;
    ssb_image *img = ssb_nt_build(p, seed, flags, &t);
    ck_assert_ptr_nonnull(img);
    ss_source *src = ss_test_open_raw(img, name);
    ck_assert_ptr_nonnull(src);

    ss_scan_candidate *c;
    size_t n;
    ck_assert_int_eq(ss_scan_collect(src, NULL, &c, &n, NULL), SS_OK);
    ck_assert_uint_eq(n, t.nprocs);
    uint64_t dtbs[SSB_NT_MAX_PROCS];
    for (size_t i = 0; i < n; i++) {
        dtbs[i] = c[i].dtb;
        ck_assert_uint_eq(c[i].self_map_slot, t.self_map_slot);
        size_t k = 0;
        while (k < t.nprocs && t.procs[k].dtb != c[i].dtb)
            k++;
        ck_assert_msg(k < t.nprocs, "%s: %#llx is not a process DTB", name, (unsigned long long)c[i].dtb);
        for (size_t j = 0; j < t.nprocs; j++)
            ck_assert_uint_ne(c[i].dtb, t.procs[j].user_dtb);
    }

    uint32_t cl[SSB_NT_MAX_PROCS];
    size_t ncl;
    uint8_t kinds[512];
    ck_assert_int_eq(ss_scan_cluster(src, dtbs, n, cl, &ncl, kinds), SS_OK);
    ck_assert_uint_eq(ncl, t.nsessions);
    ck_assert_int_eq(kinds[t.self_map_slot], SS_SLOT_SELF_MAP);
    ck_assert_int_eq(kinds[t.session_slot], SS_SLOT_SESSION);
    ck_assert_int_eq(kinds[(t.kernel_va >> 39) & 0x1ff], SS_SLOT_GLOBAL);
    unsigned nsession_slots = 0;
    for (unsigned s = 0; s < 512; s++)
        nsession_slots += kinds[s] == SS_SLOT_SESSION;
    ck_assert_uint_eq(nsession_slots, 1);
    /* cluster <-> session id, both ways; each cluster's session entry names the session's PDPT */
    int32_t of_cluster[SSB_NT_MAX_PROCS + 1];
    for (size_t k = 0; k <= SSB_NT_MAX_PROCS; k++)
        of_cluster[k] = -2;
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (t.procs[k].dtb != dtbs[i])
            k++;
        int32_t sid = t.procs[k].session;
        ck_assert_msg((sid < 0) == (cl[i] == 0), "%s: %s (session %d) in cluster %u", name, t.procs[k].name,
                      sid, cl[i]);
        if (cl[i] == 0)
            continue;
        if (of_cluster[cl[i]] == -2)
            of_cluster[cl[i]] = sid;
        ck_assert_int_eq(of_cluster[cl[i]], sid);
        uint64_t e = 0;
        ck_assert_int_eq(ss_source_read(src, dtbs[i] + 8ull * t.session_slot, &e, 8, NULL), SS_OK);
        size_t s = 0;
        while (s < t.nsessions && t.sessions[s].id != (uint32_t)sid)
            s++;
        ck_assert_uint_lt(s, t.nsessions);
        ck_assert_uint_eq(e & 0x000ffffffffff000ull, t.sessions[s].pdpt);
    }
    for (uint32_t a = 1; a <= ncl; a++)
        for (uint32_t b = a + 1; b <= ncl; b++)
            ck_assert_int_ne(of_cluster[a], of_cluster[b]);

    ss_scan_free(c);
    ss_source_close(src);
    ssb_free(img);
}

static void check_ntimage(int variant, uint64_t seed, unsigned flags, const char *name)
{
    ss_nt_profile p;
    ck_assert_int_eq(ssb_nt_test_profile(variant, &p), 0);
    check_image(&p, seed, flags, name);
}

START_TEST(ntimage_layouts)
{
    check_ntimage(0, 1, 0, "ntscan-tree.raw");    /* build 17763: randomized slots */
    check_ntimage(0, 77, 0, "ntscan-tree77.raw"); /* another seed, other slots */
    check_ntimage(1, 0, 0, "ntscan-list.raw");    /* build 7601: slots 0x1ED / 0x1F2 */
    check_ntimage(2, 9, 0, "ntscan-odd.raw");     /* build 55555, shifted offsets */
}
END_TEST

/* Every built-in x64 layout (Windows 7 SP1 to 11), each with its own slots. */
START_TEST(ntimage_builtin_x64)
{
    size_t tested = 0;
    for (size_t i = 0; i < ss_nt_profile_builtin_count(); i++) {
        ss_nt_profile p;
        ck_assert_int_eq(ss_nt_profile_builtin_at(i, &p), SS_OK);
        if (p.pointer_size != 8)
            continue; /* x86 (PAE) images: the scan looks for x64 tables */
        char name[64];
        snprintf(name, sizeof name, "ntscan-%s.raw", p.name);
        check_image(&p, 1000 + i, 0, name);
        tested++;
    }
    ck_assert_uint_ge(tested, 6);
}
END_TEST

START_TEST(ntimage_kva_shadow)
{
    check_ntimage(0, 5, SSB_NT_KVA_SHADOW, "ntscan-kvas.raw");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("nt_scan_ntimage");
    TCase *tc = tcase_create("ntimage");
    tcase_add_test(tc, ntimage_layouts);
    tcase_add_test(tc, ntimage_builtin_x64);
    tcase_add_test(tc, ntimage_kva_shadow);
    suite_add_tcase(s, tc);
    return ss_run_suite(s);
}
