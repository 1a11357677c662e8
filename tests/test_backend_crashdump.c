/*
 * Windows crash-dump backend: every layout the test writers produce (64-bit full,
 * SDMP / FDMP bitmaps, live kernel bitmap, RDMP kernel / kernel+user / complete,
 * 32-bit full and bitmap in PAE and non-PAE) must read back exactly the bytes of
 * the raw image of the same ssb_image, give the same page walks under the
 * header's DTB and paging mode, report its header fields, and refuse each kind
 * of damage with its own status.
 *
 * With SS_FUZZ_SEED_DIR set, small valid dumps of every kind are also written to
 * $SS_FUZZ_SEED_DIR/fuzz_crashdump/ as fuzzer seeds.
 */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dmpwriter.h"
#include "imagebuilder.h"
#include "sessionspace.h"
#include "ss_check.h"

#define MiB (1024ull * 1024ull)

static char tmpdir[512];

static void make_tmpdir(void)
{
    const char *base = getenv("TEST_TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/dmpXXXXXX", base && *base ? base : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

static const char *tmp(const char *name)
{
    static char path[2][600];
    static int which;
    which ^= 1;
    snprintf(path[which], sizeof path[which], "%s/%s", tmpdir, name);
    return path[which];
}

/* ---- the image every dump is made from ----------------------------------------- */

typedef struct world {
    ssb_image *img;
    uint64_t dtb;
    uint64_t vas[16];
    size_t nvas;
} world;

static void fill_page(ssb_image *img, uint64_t pa, uint32_t seed)
{
    uint8_t page[4096];
    for (size_t i = 0; i < sizeof page; i++)
        page[i] = (uint8_t)(seed * 131u + i * 7u + (i >> 8));
    ck_assert_int_eq(ssb_write(img, pa, page, sizeof page), 0);
}

/*
 * 16 MiB of physical memory: page tables from 1 MiB, data pages at 3 MiB with a
 * hole between them, a large page at 8 MiB of which two frames hold data, and
 * software PTEs. The same VAs are walked in the raw image and in every dump.
 */
static world build_world(ss_mode mode)
{
    world w = {0};
    w.img = ssb_new(mode, 16 * MiB, 1 * MiB);
    ck_assert_ptr_nonnull(w.img);
    w.dtb = ssb_new_root(w.img);
    bool wide = mode == SS_MODE_X64;
    uint64_t kbase = wide ? 0xFFFFF80000000000ull : 0x80000000ull;
    uint64_t large = mode == SS_MODE_X86 ? 4 * MiB : 2 * MiB;

    fill_page(w.img, 0x300000, 1);
    fill_page(w.img, 0x301000, 2);
    fill_page(w.img, 0x305000, 3); /* 0x302000 .. 0x304fff: a hole */
    fill_page(w.img, 0x800000, 4);
    fill_page(w.img, 0x801000, 5);
    ck_assert_int_eq(ssb_map(w.img, w.dtb, kbase + 0x1000, 0x300000, 4096, SSB_RW | SSB_G), 0);
    ck_assert_int_eq(ssb_map(w.img, w.dtb, kbase + 0x2000, 0x301000, 4096, SSB_RW), 0);
    ck_assert_int_eq(ssb_map(w.img, w.dtb, 0x10000, 0x305000, 4096, SSB_RW | SSB_US), 0);
    ck_assert_int_eq(ssb_map(w.img, w.dtb, kbase + 8 * large, 0x800000, large, SSB_RW), 0);
    /* mapped to a frame the dumps do not hold (in a hole / past the runs) */
    ck_assert_int_eq(ssb_map(w.img, w.dtb, kbase + 0x3000, 0x303000, 4096, SSB_RW), 0);
    ck_assert_uint_ne(
        ssb_set_entry(w.img, w.dtb, kbase + 0x4000, SS_LEVEL_PTE, ssb_sw_transition(mode, 0x301, 4)), 0);
    ck_assert_uint_ne(ssb_set_entry(w.img, w.dtb, kbase + 0x5000, SS_LEVEL_PTE,
                                    ssb_sw_pagefile(mode, SS_PTE_LAYOUT_WIN8, 1, 0x1234000, 4)),
                      0);
    ck_assert_uint_ne(ssb_set_entry(w.img, w.dtb, kbase + 0x6000, SS_LEVEL_PTE,
                                    ssb_sw_demand_zero(mode, SS_PTE_LAYOUT_WIN8, 4)),
                      0);

    uint64_t vas[] = {kbase + 0x1000,
                      kbase + 0x1ABC,
                      kbase + 0x2008,
                      0x10000,
                      kbase + 8 * large + 0x1234,
                      kbase + 0x3000,
                      kbase + 0x4000,
                      kbase + 0x5000,
                      kbase + 0x6000,
                      kbase + 0x7000,
                      kbase + 0x40000000ull * (wide ? 7 : 1)};
    memcpy(w.vas, vas, sizeof vas);
    w.nvas = sizeof vas / sizeof vas[0];
    return w;
}

static ssb_dmp_fields fields_for(ssb_dmp_kind kind, const world *w)
{
    bool wide = ssb_dmp_kind_header_size(kind) == 0x2000;
    ssb_dmp_fields f = {0};
    f.dtb = w->dtb;
    f.pfn_database = wide ? 0xFFFFFA8000000000ull : 0x84000000ull;
    f.ps_loaded_module_list = wide ? 0xFFFFF80002A5B890ull : 0x8055B1C0ull;
    f.ps_active_process_head = wide ? 0xFFFFF80002A72B90ull : 0x8055A158ull;
    f.kd_debugger_data_block = wide ? 0xFFFFF800029F40A0ull : 0x80545B60ull;
    f.major_version = 0xF;
    f.minor_version = wide ? 19041 : 2600;
    f.number_processors = 4 + (uint32_t)kind;
    f.bugcheck_code = 0xE2;
    f.bugcheck_params[0] = wide ? 0x1111222233334444ull : 0x11112222ull;
    f.bugcheck_params[1] = 0x55556666ull;
    f.bugcheck_params[2] = wide ? 0x7777888899990000ull : 0x77778888ull;
    f.bugcheck_params[3] = 0xAAAABBBBull;
    f.pae_enabled = ssb_mode(w->img) == SS_MODE_PAE;
    return f;
}

/* ---- the equivalence checks ---------------------------------------------------- */

typedef struct cmp_ctx {
    ss_source *dmp, *raw;
    size_t pages;
} cmp_ctx;

static int compare_page(void *arg, uint64_t pfn, const uint8_t *page)
{
    cmp_ctx *c = arg;
    uint8_t a[4096], b[4096];
    size_t n = 0;
    ck_assert_int_eq(ss_source_read(c->raw, pfn << 12, b, sizeof b, &n), SS_OK);
    ck_assert_int_eq(memcmp(b, page, 4096), 0);
    ck_assert_int_eq(ss_source_read(c->dmp, pfn << 12, a, sizeof a, &n), SS_OK);
    ck_assert_uint_eq(n, 4096);
    ck_assert_msg(memcmp(a, b, 4096) == 0, "page %#llx differs from the raw image", (unsigned long long)pfn);
    const uint8_t *zc = NULL;
    ck_assert_int_eq(ss_source_page(c->dmp, pfn, &zc), SS_OK);
    ck_assert_int_eq(memcmp(zc, b, 4096), 0);
    /* unaligned read across the page boundary, when the next page is present too */
    uint8_t pair[64];
    ss_status st = ss_source_read(c->dmp, (pfn << 12) + 4096 - 32, pair, sizeof pair, &n);
    ck_assert(st == SS_OK || st == SS_E_NO_PAGE || st == SS_E_RANGE);
    ck_assert_int_eq(memcmp(pair, b + 4096 - 32, n < 32 ? n : 32), 0);
    c->pages++;
    return 0;
}

static bool in_runs(const ssb_pfn_run *runs, size_t n, uint64_t pfn)
{
    for (size_t i = 0; i < n; i++)
        if (pfn >= runs[i].pfn && pfn - runs[i].pfn < runs[i].count)
            return true;
    return false;
}

/*
 * Same walks as in the raw image, except that a VA whose frame the dump does not
 * hold is a bad PFN there (the tables on the way are the same).
 */
static void compare_walks(ss_source *dmp, ss_source *raw, const world *w, const ssb_pfn_run *runs,
                          size_t nruns)
{
    ss_space *sd = NULL, *sr = NULL;
    ss_dump_info info;
    ck_assert_int_eq(ss_source_info(dmp, &info), SS_OK);
    ck_assert_int_eq(ss_space_open(dmp, SS_MODE_AUTO, info.directory_table_base, NULL, &sd), SS_OK);
    ck_assert_int_eq(ss_space_mode(sd), ssb_mode(w->img));
    ck_assert_int_eq(ss_space_open(raw, ssb_mode(w->img), w->dtb, NULL, &sr), SS_OK);
    unsigned valid = 0;
    for (size_t i = 0; i < w->nvas; i++) {
        ss_xlat a, b;
        ss_status sa = ss_space_walk(sd, w->vas[i], &a);
        ss_status sb = ss_space_walk(sr, w->vas[i], &b);
        ck_assert_uint_eq(a.nentries, b.nentries);
        for (unsigned k = 0; k < a.nentries; k++) {
            ck_assert_uint_eq(a.entries[k].pa, b.entries[k].pa);
            ck_assert_uint_eq(a.entries[k].value, b.entries[k].value);
        }
        if ((b.flags & SS_XLAT_F_HAS_PA) && !in_runs(runs, nruns, b.pa >> 12)) {
            /* the dump left the frame out: still the raw image's translation, flagged */
            ck_assert_int_eq(sa, sb);
            ck_assert_int_eq(a.state, b.state);
            ck_assert_uint_eq(a.pa, b.pa);
            ck_assert_uint_eq(a.flags, b.flags | SS_XLAT_F_NOT_IN_SOURCE);
            uint8_t byte;
            ck_assert_int_eq(ss_space_read(sd, w->vas[i], &byte, 1, NULL), SS_E_NO_PAGE);
            continue;
        }
        ck_assert_msg(sa == sb, "va %#llx: %s vs raw %s", (unsigned long long)w->vas[i], ss_status_name(sa),
                      ss_status_name(sb));
        ck_assert_int_eq(a.state, b.state);
        ck_assert_uint_eq(a.flags, b.flags);
        ck_assert_uint_eq(a.page_size, b.page_size);
        ck_assert_uint_eq(a.level, b.level);
        if (a.flags & SS_XLAT_F_HAS_PA)
            ck_assert_uint_eq(a.pa, b.pa);
        ck_assert_uint_eq(a.pagefile_offset, b.pagefile_offset);
        valid += a.state == SS_XLAT_VALID;
    }
    ck_assert_uint_ge(valid, 5);
    ss_space_close(sd);
    ss_space_close(sr);
}

static void check_info(ss_source *src, ssb_dmp_kind kind, const ssb_dmp_fields *f, ss_mode mode)
{
    ss_dump_info in;
    ck_assert_int_eq(ss_source_info(src, &in), SS_OK);
    ck_assert_uint_eq(in.flags,
                      SS_INFO_WINDOWS_HEADER | SS_INFO_BUGCHECK | SS_INFO_DTB | SS_INFO_PAGING_MODE);
    ck_assert_int_eq(in.paging_mode, mode);
    ck_assert_uint_eq(in.directory_table_base, f->dtb);
    ck_assert_uint_eq(in.ps_active_process_head, f->ps_active_process_head);
    ck_assert_uint_eq(in.ps_loaded_module_list, f->ps_loaded_module_list);
    ck_assert_uint_eq(in.kd_debugger_data_block, f->kd_debugger_data_block);
    ck_assert_uint_eq(in.machine_type, ssb_dmp_kind_machine(kind));
    ck_assert_uint_eq(in.major_version, f->major_version);
    ck_assert_uint_eq(in.minor_version, f->minor_version);
    ck_assert_uint_eq(in.number_processors, f->number_processors);
    ck_assert_uint_eq(in.bugcheck_code, f->bugcheck_code);
    for (int i = 0; i < 4; i++)
        ck_assert_uint_eq(in.bugcheck_params[i], f->bugcheck_params[i]);
    ck_assert_uint_eq(in.dump_type, ssb_dmp_kind_type(kind));
    ck_assert_uint_eq(in.pae_enabled, f->pae_enabled);
}

/* The merged PFN runs the dump must report, in bytes. */
static size_t expected_ranges(const ssb_pfn_run *runs, size_t n, ss_phys_range *out)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m && out[m - 1].start + out[m - 1].size == runs[i].pfn * 4096)
            out[m - 1].size += runs[i].count * 4096;
        else
            out[m++] = (ss_phys_range){runs[i].pfn * 4096, runs[i].count * 4096};
    }
    return m;
}

typedef struct run_list {
    ssb_pfn_run *runs;
    size_t n, cap;
} run_list;

static int collect_runs(void *arg, uint64_t pfn, const uint8_t *page)
{
    (void)page;
    run_list *l = arg;
    if (l->n && l->runs[l->n - 1].pfn + l->runs[l->n - 1].count == pfn) {
        l->runs[l->n - 1].count++;
        return 0;
    }
    ck_assert_uint_lt(l->n, l->cap);
    l->runs[l->n++] = (ssb_pfn_run){pfn, 1};
    return 0;
}

/* The runs a writer with runs == NULL stores: the image's pages, merged. */
static size_t image_runs(const ssb_image *img, ssb_pfn_run *runs, size_t cap)
{
    run_list l = {runs, 0, cap};
    ck_assert_int_eq(ssb_for_each_page(img, collect_runs, &l), 0);
    return l.n;
}

static ss_mode kind_mode(ssb_dmp_kind kind, int variant)
{
    if (ssb_dmp_kind_header_size(kind) == 0x2000)
        return SS_MODE_X64;
    return variant ? SS_MODE_X86 : SS_MODE_PAE;
}

/* Writes one dump of kind (explicit runs or the image's own), checks everything. */
static void roundtrip(ssb_dmp_kind kind, ss_mode mode, bool padded_runs)
{
    make_tmpdir();
    world w = build_world(mode);
    ssb_dmp_fields f = fields_for(kind, &w);
    ssb_pfn_run runs[64];
    size_t nruns = image_runs(w.img, runs, 64);
    if (padded_runs) {
        /* every run grown by two never-written (zero) frames, where that keeps them apart */
        for (size_t i = 0; i < nruns; i++) {
            uint64_t end = runs[i].pfn + runs[i].count;
            if (i + 1 == nruns || end + 3 < runs[i + 1].pfn)
                runs[i].count += 2;
        }
    }
    const char *dpath = tmp("x.dmp"), *rpath = tmp("x.raw");
    ck_assert_int_eq(ssb_write_dmp(w.img, kind, &f, runs, nruns, dpath), 0);
    ck_assert_int_eq(ssb_write_raw(w.img, rpath), 0);

    ss_source *dmp = NULL, *raw = NULL;
    ss_error err = {0};
    ck_assert_msg(ss_source_open(dpath, &dmp, &err) == SS_OK, "%s: %s", ssb_dmp_kind_name(kind), err.message);
    ck_assert_int_eq(ss_source_format(dmp), ssb_dmp_kind_header_size(kind) == 0x2000 ? SS_FORMAT_CRASHDUMP64
                                                                                     : SS_FORMAT_CRASHDUMP32);
    ck_assert_int_eq(ss_source_open(rpath, &raw, &err), SS_OK);

    check_info(dmp, kind, &f, mode);

    /* ranges */
    ss_phys_range want[64];
    size_t nwant = expected_ranges(runs, nruns, want);
    const ss_phys_range *got = NULL;
    size_t ngot = 0;
    ck_assert_int_eq(ss_source_ranges(dmp, &got, &ngot), SS_OK);
    ck_assert_uint_eq(ngot, nwant);
    for (size_t i = 0; i < ngot; i++) {
        ck_assert_uint_eq(got[i].start, want[i].start);
        ck_assert_uint_eq(got[i].size, want[i].size);
    }

    /* every page the image holds, and every zero frame the runs add */
    cmp_ctx c = {dmp, raw, 0};
    ck_assert_int_eq(ssb_for_each_page(w.img, compare_page, &c), 0);
    ck_assert_uint_ge(c.pages, 8);
    for (size_t i = 0; i < nruns; i++) {
        uint64_t last = runs[i].pfn + runs[i].count - 1;
        uint8_t a[4096], b[4096];
        ck_assert_int_eq(ss_source_read(dmp, last << 12, a, sizeof a, NULL), SS_OK);
        ck_assert_int_eq(ss_source_read(raw, last << 12, b, sizeof b, NULL), SS_OK);
        ck_assert_int_eq(memcmp(a, b, sizeof a), 0);
    }

    /* frames outside the runs: no page (never zeros); past the end: range */
    uint64_t holes[] = {0, 0x302, 0x304, 0x700};
    for (size_t i = 0; i < sizeof holes / sizeof holes[0]; i++) {
        ck_assert(!in_runs(runs, nruns, holes[i]));
        const uint8_t *p = (const uint8_t *)1;
        uint8_t buf[16];
        size_t n = 99;
        ck_assert_int_eq(ss_source_page(dmp, holes[i], &p), SS_E_NO_PAGE);
        ck_assert_ptr_null(p);
        ck_assert_int_eq(ss_source_read(dmp, holes[i] << 12, buf, sizeof buf, &n), SS_E_NO_PAGE);
        ck_assert_uint_eq(n, 0);
    }
    const uint8_t *p = NULL;
    ck_assert_int_eq(ss_source_page(dmp, 1ull << 30, &p), SS_E_RANGE);
    /* a read that starts in a present page and runs into a hole stops there */
    uint8_t two[8192];
    size_t n = 0;
    ck_assert(in_runs(runs, nruns, 0x301) && !in_runs(runs, nruns, 0x302));
    ck_assert_int_eq(ss_source_read(dmp, 0x301000, two, sizeof two, &n), SS_E_NO_PAGE);
    ck_assert_uint_eq(n, 4096);

    compare_walks(dmp, raw, &w, runs, nruns);

    ss_source_close(dmp);
    ss_source_close(raw);
    ssb_free(w.img);
    remove_tmpdir();
}

/* Every (layout, paging mode) pair: x64 for the 64-bit kinds, PAE and x86 for the 32-bit ones. */
static const struct {
    ssb_dmp_kind kind;
    ss_mode mode;
} combos[] = {
    {SSB_DMP64_FULL, SS_MODE_X64},          {SSB_DMP64_KERNEL_BITMAP, SS_MODE_X64},
    {SSB_DMP64_FULL_BITMAP, SS_MODE_X64},   {SSB_DMP64_LIVE_BITMAP, SS_MODE_X64},
    {SSB_DMP64_RDMP_KERNEL, SS_MODE_X64},   {SSB_DMP64_RDMP_KERNEL_USER, SS_MODE_X64},
    {SSB_DMP64_RDMP_COMPLETE, SS_MODE_X64}, {SSB_DMP32_FULL, SS_MODE_PAE},
    {SSB_DMP32_FULL, SS_MODE_X86},          {SSB_DMP32_BITMAP, SS_MODE_PAE},
    {SSB_DMP32_BITMAP, SS_MODE_X86},
};
#define N_COMBOS ((int)(sizeof combos / sizeof combos[0]))

START_TEST(test_roundtrip_image_pages)
{
    roundtrip(combos[_i].kind, combos[_i].mode, false);
}
END_TEST

START_TEST(test_roundtrip_padded_runs)
{
    roundtrip(combos[_i].kind, combos[_i].mode, true);
}
END_TEST

START_TEST(test_forced_prefix_and_format_names)
{
    make_tmpdir();
    world w = build_world(SS_MODE_X64);
    ssb_dmp_fields f = fields_for(SSB_DMP64_FULL, &w);
    const char *path = tmp("f.dmp");
    ck_assert_int_eq(ssb_write_dmp(w.img, SSB_DMP64_FULL, &f, NULL, 0, path), 0);
    char spec[700];
    snprintf(spec, sizeof spec, "dmp:%s", path);
    ss_source *src = NULL;
    ck_assert_int_eq(ss_source_open(spec, &src, NULL), SS_OK);
    ck_assert_str_eq(ss_format_name(ss_source_format(src)), "crashdump64");
    ss_source_close(src);
    /* forced raw reads the header bytes as physical memory */
    snprintf(spec, sizeof spec, "raw:%s", path);
    ck_assert_int_eq(ss_source_open(spec, &src, NULL), SS_OK);
    ck_assert_int_eq(ss_source_format(src), SS_FORMAT_RAW);
    ss_source_close(src);
    ssb_free(w.img);
    remove_tmpdir();
}
END_TEST

/* ---- malformed files ----------------------------------------------------------- */

/* A valid small dump of kind written to name; returns its path. */
static const char *valid_dump(ssb_dmp_kind kind, const char *name)
{
    world w = build_world(kind_mode(kind, 0));
    ssb_dmp_fields f = fields_for(kind, &w);
    const char *path = tmp(name);
    ck_assert_int_eq(ssb_write_dmp(w.img, kind, &f, NULL, 0, path), 0);
    ssb_free(w.img);
    return path;
}

static void patch(const char *path, uint64_t off, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(pwrite(fd, data, len, (off_t)off), (ssize_t)len);
    close(fd);
}

static void patch32(const char *path, uint64_t off, uint32_t v)
{
    patch(path, off, &v, 4);
}
static void patch64(const char *path, uint64_t off, uint64_t v)
{
    patch(path, off, &v, 8);
}

static uint64_t file_size(const char *path)
{
    struct stat sb;
    ck_assert_int_eq(stat(path, &sb), 0);
    return (uint64_t)sb.st_size;
}

static void cut(const char *path, uint64_t size)
{
    ck_assert_int_eq(truncate(path, (off_t)size), 0);
}

static uint64_t read64(const char *path, uint64_t off)
{
    uint64_t v = 0;
    int fd = open(path, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(pread(fd, &v, 8, (off_t)off), 8);
    close(fd);
    return v;
}

/* Opens path sniffed and forced; both must fail with want and a message. */
static void expect_open(const char *path, ss_status want)
{
    char spec[700];
    ss_source *src = (ss_source *)1;
    ss_error err = {0};
    snprintf(spec, sizeof spec, "dmp:%s", path);
    ss_status st = ss_source_open(spec, &src, &err);
    ck_assert_msg(st == want, "dmp:%s: got %s (%s), want %s", path, ss_status_name(st), err.message,
                  ss_status_name(want));
    ck_assert_ptr_null(src);
    ck_assert_int_eq(err.status, want);
    ck_assert_uint_gt(strlen(err.message), 10);
    ck_assert_ptr_nonnull(strstr(err.message, path));
}

#define T_BEGIN make_tmpdir()
#define T_END   remove_tmpdir()

START_TEST(test_truncated_header64)
{
    T_BEGIN;
    const char *p = valid_dump(SSB_DMP64_FULL, "t.dmp");
    cut(p, 0x1FFF);
    expect_open(p, SS_E_TRUNCATED);
    ss_source *src = NULL; /* sniffed: still recognised by its magic */
    ck_assert_int_eq(ss_source_open(p, &src, NULL), SS_E_TRUNCATED);
    cut(p, 6);
    expect_open(p, SS_E_TRUNCATED);
    T_END;
}
END_TEST

START_TEST(test_truncated_header32)
{
    T_BEGIN;
    const char *p = valid_dump(SSB_DMP32_FULL, "t.dmp");
    cut(p, 0x800);
    expect_open(p, SS_E_TRUNCATED);
    T_END;
}
END_TEST

START_TEST(test_runs_past_eof)
{
    T_BEGIN;
    const char *p = valid_dump(SSB_DMP64_FULL, "t.dmp");
    cut(p, file_size(p) - 4096);
    expect_open(p, SS_E_TRUNCATED);
    const char *q = valid_dump(SSB_DMP32_FULL, "u.dmp");
    cut(q, file_size(q) - 1);
    expect_open(q, SS_E_TRUNCATED);
    T_END;
}
END_TEST

START_TEST(test_runs_overlapping)
{
    T_BEGIN;
    const char *p = valid_dump(SSB_DMP64_FULL, "t.dmp");
    /* run 1 starts inside run 0 */
    uint64_t base0 = read64(p, 0x88 + 16);
    patch64(p, 0x88 + 16 + 16, base0);
    expect_open(p, SS_E_CORRUPT);
    T_END;
}
END_TEST

START_TEST(test_runs_unsorted)
{
    T_BEGIN;
    const char *p = valid_dump(SSB_DMP64_FULL, "t.dmp");
    uint64_t r0[2] = {read64(p, 0x98), read64(p, 0xA0)}, r1[2] = {read64(p, 0xA8), read64(p, 0xB0)};
    patch(p, 0x98, r1, 16);
    patch(p, 0xA8, r0, 16);
    expect_open(p, SS_E_CORRUPT);
    T_END;
}
END_TEST

START_TEST(test_absurd_number_of_runs)
{
    T_BEGIN;
    const char *p = valid_dump(SSB_DMP64_FULL, "t.dmp");
    patch32(p, 0x88, 43); /* 42 runs fill the 700-byte descriptor */
    expect_open(p, SS_E_CORRUPT);
    patch32(p, 0x88, 0xFFFFFFFFu);
    expect_open(p, SS_E_CORRUPT);
    const char *q = valid_dump(SSB_DMP32_FULL, "u.dmp");
    patch32(q, 0x64, 87); /* 86 runs in the 32-bit descriptor */
    expect_open(q, SS_E_CORRUPT);
    T_END;
}
END_TEST

START_TEST(test_absurd_page_count)
{
    T_BEGIN;
    const char *p = valid_dump(SSB_DMP64_FULL, "t.dmp");
    uint32_t nruns = (uint32_t)read64(p, 0x88);
    patch64(p, 0x98 + 16 * (uint64_t)(nruns - 1) + 8, 1ull << 62); /* last run: 2^62 pages */
    expect_open(p, SS_E_CORRUPT);
    const char *r = valid_dump(SSB_DMP64_FULL, "v.dmp");
    uint64_t last = 0x98 + 16 * (uint64_t)(nruns - 1) + 8;
    patch64(r, last, read64(r, last) + 100000); /* plausible, but more than the file holds */
    patch64(r, 0x90, read64(r, 0x90) + 100000);
    expect_open(r, SS_E_TRUNCATED);
    T_END;
}
END_TEST

START_TEST(test_bitmap_past_eof)
{
    T_BEGIN;
    const char *p = valid_dump(SSB_DMP64_FULL_BITMAP, "t.dmp");
    patch64(p, 0x2030, 1ull << 36); /* 2^36 bits: an 8 GiB bitmap in a small file */
    expect_open(p, SS_E_TRUNCATED);
    patch64(p, 0x2030, (1ull << 40) + 1); /* more frames than 52 address bits */
    expect_open(p, SS_E_CORRUPT);
    const char *q = valid_dump(SSB_DMP64_KERNEL_BITMAP, "u.dmp");
    cut(q, 0x2000 + 0x30);
    expect_open(q, SS_E_TRUNCATED);
    T_END;
}
END_TEST

START_TEST(test_bitmap_more_pages_than_file)
{
    T_BEGIN;
    const char *p = valid_dump(SSB_DMP64_FULL_BITMAP, "t.dmp");
    /* set 8 more bits (frames 0-7 are not in the image) and claim them */
    uint8_t ff = 0xFF;
    patch(p, 0x2038, &ff, 1);
    patch64(p, 0x2028, read64(p, 0x2028) + 8);
    cut(p, file_size(p) + 4 * 4096); /* only half of the extra pages present */
    expect_open(p, SS_E_TRUNCATED);
    const char *q = valid_dump(SSB_DMP32_BITMAP, "u.dmp");
    patch64(q, 0x1028, 1); /* TotalPresentPages claims 1: the set bits still decide */
    cut(q, file_size(q) - 1);
    expect_open(q, SS_E_TRUNCATED);
    T_END;
}
END_TEST

START_TEST(test_bitmap_first_page_bad)
{
    T_BEGIN;
    const char *p = valid_dump(SSB_DMP64_LIVE_BITMAP, "t.dmp");
    patch64(p, 0x2020, file_size(p)); /* pages start at EOF */
    expect_open(p, SS_E_TRUNCATED);
    patch64(p, 0x2020, UINT64_MAX - 4095);
    expect_open(p, SS_E_TRUNCATED);
    patch64(p, 0x2020, 0x2040); /* inside the bitmap */
    expect_open(p, SS_E_CORRUPT);
    T_END;
}
END_TEST

START_TEST(test_wrong_signature)
{
    T_BEGIN;
    const char *p = valid_dump(SSB_DMP64_FULL, "t.dmp");
    patch(p, 4, "DX64", 4);
    expect_open(p, SS_E_FORMAT);
    ss_source *src = NULL; /* sniffed: no known magic, so it is a raw image */
    ck_assert_int_eq(ss_source_open(p, &src, NULL), SS_OK);
    ck_assert_int_eq(ss_source_format(src), SS_FORMAT_RAW);
    ss_source_close(src);
    patch(p, 0, "EGAPDU64", 8);
    expect_open(p, SS_E_FORMAT);
    const char *q = valid_dump(SSB_DMP64_FULL_BITMAP, "u.dmp");
    patch(q, 0x2000, "XDMP", 4);
    expect_open(q, SS_E_CORRUPT);
    const char *r = valid_dump(SSB_DMP64_RDMP_KERNEL, "v.dmp");
    patch(r, 0x2004, "SDMP", 4); /* type 8 needs RDMP */
    expect_open(r, SS_E_CORRUPT);
    const char *s = valid_dump(SSB_DMP64_FULL_BITMAP, "w.dmp");
    patch32(s, 0xF98, 8); /* type 8 over an FDMP header */
    expect_open(s, SS_E_CORRUPT);
    T_END;
}
END_TEST

START_TEST(test_mixed_signatures)
{
    T_BEGIN;
    const char *p = valid_dump(SSB_DMP32_FULL, "t.dmp");
    patch32(p, 0x20, 0x8664); /* PAGEDUMP with an x64 machine type */
    expect_open(p, SS_E_CORRUPT);
    const char *q = valid_dump(SSB_DMP64_FULL, "u.dmp");
    patch32(q, 0x30, 0x14C); /* PAGEDU64 with an i386 machine type */
    expect_open(q, SS_E_CORRUPT);
    patch32(q, 0x30, 0xAA64); /* ARM64: recognised, not supported */
    expect_open(q, SS_E_UNSUPPORTED);
    T_END;
}
END_TEST

START_TEST(test_unsupported_dump_type)
{
    T_BEGIN;
    /* triage (4) and unknown types open for their header; reads say why they fail */
    const char *p = valid_dump(SSB_DMP64_FULL, "t.dmp");
    patch32(p, 0xF98, 4);
    ss_source *src = ss_check_open("", p, SS_OK);
    ss_dump_info info;
    ck_assert_int_eq(ss_source_info(src, &info), SS_OK);
    ck_assert_uint_eq(info.dump_type, 4);
    ck_assert_uint_eq(info.machine_type, 0x8664);
    const ss_phys_range *r;
    size_t nr = 9;
    ck_assert_int_eq(ss_source_ranges(src, &r, &nr), SS_OK);
    ck_assert_uint_eq(nr, 0);
    uint8_t byte;
    ck_assert_int_eq(ss_source_read(src, 0, &byte, 1, NULL), SS_E_NO_PHYS_MEMORY);
    ss_source_close(src);
    const char *q = valid_dump(SSB_DMP32_FULL, "u.dmp");
    patch32(q, 0xF88, 9); /* range dumps are 64-bit only */
    expect_open(q, SS_E_UNSUPPORTED);
    T_END;
}
END_TEST

START_TEST(test_pae_flag_bad)
{
    T_BEGIN;
    const char *p = valid_dump(SSB_DMP32_FULL, "t.dmp");
    uint8_t b = 7;
    patch(p, 0x5C, &b, 1);
    expect_open(p, SS_E_CORRUPT);
    T_END;
}
END_TEST

START_TEST(test_rdmp_bad)
{
    T_BEGIN;
    const char *p = valid_dump(SSB_DMP64_RDMP_KERNEL, "t.dmp");
    patch64(p, 0x2018, read64(p, 0x2018) + 4096); /* FirstPageOffset != 0x2020 + MetadataSize */
    expect_open(p, SS_E_CORRUPT);
    const char *q = valid_dump(SSB_DMP64_RDMP_KERNEL_USER, "u.dmp");
    patch64(q, 0x2010, read64(q, 0x2010) + 8); /* not a multiple of 16 */
    patch64(q, 0x2018, read64(q, 0x2018) + 8);
    expect_open(q, SS_E_CORRUPT);
    const char *r = valid_dump(SSB_DMP64_RDMP_COMPLETE, "v.dmp");
    cut(r, file_size(r) - 4096); /* last range's pages past EOF */
    expect_open(r, SS_E_TRUNCATED);
    const char *s = valid_dump(SSB_DMP64_RDMP_COMPLETE, "w.dmp");
    patch64(s, 0x2028, read64(s, 0x2028) - 1); /* the last range crosses TotalNumberOfPages */
    expect_open(s, SS_E_CORRUPT);
    const char *t = valid_dump(SSB_DMP64_RDMP_KERNEL, "x.dmp");
    uint64_t r0[2] = {read64(t, 0x2030), read64(t, 0x2038)}, r1[2] = {read64(t, 0x2040), read64(t, 0x2048)};
    patch(t, 0x2030, r1, 16); /* unsorted ranges */
    patch(t, 0x2040, r0, 16);
    expect_open(t, SS_E_CORRUPT);
    const char *u = valid_dump(SSB_DMP64_RDMP_KERNEL, "y.dmp");
    patch64(u, 0x2010, 1ull << 40); /* metadata past EOF */
    patch64(u, 0x2018, 0x2020 + (1ull << 40));
    expect_open(u, SS_E_TRUNCATED);
    T_END;
}
END_TEST

START_TEST(test_tiny_files)
{
    T_BEGIN;
    const char *p = tmp("tiny");
    FILE *f = fopen(p, "wb");
    ck_assert_ptr_nonnull(f);
    fwrite("PAG", 1, 3, f);
    fclose(f);
    expect_open(p, SS_E_TRUNCATED);
    f = fopen(p, "wb");
    fwrite("MZ", 1, 2, f);
    fclose(f);
    expect_open(p, SS_E_FORMAT);
    T_END;
}
END_TEST

/* ---- hand-built files ------------------------------------------------------------
 *
 * Bytes placed by the test itself at the offsets of the public layouts (Microsoft's
 * DUMP_HEADER32 / DUMP_HEADER64 in mindumpdef.h and the Win32 metadata, kdmp-parser's
 * static_asserts, volatility's crash*.json, rekall's crashdump.py; the RDMP header
 * from kdmp-parser), not through dmpwriter: these pin the reader to the real format,
 * independently of the writer the other tests share with it. docs/formats.md,
 * "Sources and verification", lists every offset and its sources.
 */

typedef struct hand {
    uint8_t *b;
    size_t len;
} hand;

/* len bytes; the first `header` bytes hold the "PAGE" filler Windows leaves in unused fields. */
static hand hand_new(size_t len, size_t header)
{
    hand h = {calloc(1, len), len};
    ck_assert_ptr_nonnull(h.b);
    for (size_t i = 0; i + 4 <= header; i += 4)
        memcpy(h.b + i, "PAGE", 4);
    return h;
}

static void h8(hand *h, size_t off, uint8_t v)
{
    ck_assert_uint_lt(off, h->len);
    h->b[off] = v;
}
static void h32(hand *h, size_t off, uint32_t v)
{
    ck_assert_uint_le(off + 4, h->len);
    memcpy(h->b + off, &v, 4);
}
static void h64(hand *h, size_t off, uint64_t v)
{
    ck_assert_uint_le(off + 8, h->len);
    memcpy(h->b + off, &v, 8);
}
static void htag(hand *h, size_t off, const char *four)
{
    ck_assert_uint_le(off + 4, h->len);
    memcpy(h->b + off, four, 4);
}

static uint8_t seed_byte(uint32_t seed, size_t i)
{
    return (uint8_t)(seed * 37u + i * 13u + (i >> 7));
}

/* A page of content `seed` at file offset off. */
static void hpage(hand *h, size_t off, uint32_t seed)
{
    ck_assert_uint_le(off + 4096, h->len);
    for (size_t i = 0; i < 4096; i++)
        h->b[off + i] = seed_byte(seed, i);
}

/* Writes the first len bytes to name; returns the path. */
static const char *hand_file(const hand *h, size_t len, const char *name)
{
    const char *path = tmp(name);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(h->b, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
    return path;
}

static ss_source *hand_open(const char *path)
{
    ss_source *src = NULL;
    ss_error err = {0};
    ck_assert_msg(ss_source_open(path, &src, &err) == SS_OK, "%s: %s", path, err.message);
    return src;
}

/* Frame pfn holds the page of content seed (read and zero-copy). */
static void expect_frame(ss_source *src, uint64_t pfn, uint32_t seed)
{
    uint8_t buf[4096];
    size_t n = 0;
    ck_assert_int_eq(ss_source_read(src, pfn << 12, buf, sizeof buf, &n), SS_OK);
    ck_assert_uint_eq(n, sizeof buf);
    for (size_t i = 0; i < sizeof buf; i++)
        ck_assert_msg(buf[i] == seed_byte(seed, i), "frame %#llx byte %zu", (unsigned long long)pfn, i);
    const uint8_t *p = NULL;
    ck_assert_int_eq(ss_source_page(src, pfn, &p), SS_OK);
    ck_assert_int_eq(memcmp(p, buf, sizeof buf), 0);
}

static void expect_frame_status(ss_source *src, uint64_t pfn, ss_status want)
{
    const uint8_t *p = NULL;
    ck_assert_int_eq(ss_source_page(src, pfn, &p), want);
}

/* The DUMP_HEADER64 fields every hand-built 64-bit file carries (offsets: mindumpdef.h). */
static void hand_header64(hand *h, uint32_t dump_type)
{
    htag(h, 0x000, "PAGE");
    htag(h, 0x004, "DU64");
    h32(h, 0x008, 0xF);                   /* MajorVersion */
    h32(h, 0x00C, 22621);                 /* MinorVersion */
    h64(h, 0x010, 0x1AD000);              /* DirectoryTableBase */
    h64(h, 0x018, 0xFFFFE70000000000ull); /* PfnDataBase */
    h64(h, 0x020, 0xFFFFF8057A62A2B0ull); /* PsLoadedModuleList */
    h64(h, 0x028, 0xFFFFF8057A61F4C0ull); /* PsActiveProcessHead */
    h32(h, 0x030, 0x8664);                /* MachineImageType */
    h32(h, 0x034, 12);                    /* NumberProcessors */
    h32(h, 0x038, 0x1E);                  /* BugCheckCode */
    h32(h, 0x03C, 0);                     /* alignment padding */
    h64(h, 0x040, 0xFFFFFFFFC0000005ull); /* BugCheckParameter1 .. 4 */
    h64(h, 0x048, 0xFFFFF8057A1B2C3Dull);
    h64(h, 0x050, 0x0000000000000001ull);
    h64(h, 0x058, 0xFFFFB00012345678ull);
    memset(h->b + 0x060, 0, 32);          /* VersionUser */
    h64(h, 0x080, 0xFFFFF8057B000B20ull); /* KdDebuggerDataBlock */
    h32(h, 0xF98, dump_type);             /* DumpType */
    h32(h, 0xF9C, 0);
    h64(h, 0xFA0, h->len);                  /* RequiredDumpSpace */
    memcpy(h->b + 0xFB0, "hand-built", 11); /* Comment */
    h32(h, 0x1050, 0);                      /* Attributes */
    h32(h, 0x1054, 0x00C0FFEE);             /* BootId */
}

static void check_info64(ss_source *src, uint32_t dump_type)
{
    ss_dump_info in;
    ck_assert_int_eq(ss_source_info(src, &in), SS_OK);
    ck_assert_int_eq(in.paging_mode, SS_MODE_X64);
    ck_assert_uint_eq(in.major_version, 0xF);
    ck_assert_uint_eq(in.minor_version, 22621);
    ck_assert_uint_eq(in.directory_table_base, 0x1AD000);
    ck_assert_uint_eq(in.ps_loaded_module_list, 0xFFFFF8057A62A2B0ull);
    ck_assert_uint_eq(in.ps_active_process_head, 0xFFFFF8057A61F4C0ull);
    ck_assert_uint_eq(in.machine_type, 0x8664);
    ck_assert_uint_eq(in.number_processors, 12);
    ck_assert_uint_eq(in.bugcheck_code, 0x1E);
    ck_assert_uint_eq(in.bugcheck_params[0], 0xFFFFFFFFC0000005ull);
    ck_assert_uint_eq(in.bugcheck_params[1], 0xFFFFF8057A1B2C3Dull);
    ck_assert_uint_eq(in.bugcheck_params[2], 1);
    ck_assert_uint_eq(in.bugcheck_params[3], 0xFFFFB00012345678ull);
    ck_assert_uint_eq(in.kd_debugger_data_block, 0xFFFFF8057B000B20ull);
    ck_assert_uint_eq(in.dump_type, dump_type);
    ck_assert_uint_eq(in.pae_enabled, 0);
}

/*
 * DumpType 1, 64-bit: PHYSICAL_MEMORY_DESCRIPTOR64 at 0x88 (NumberOfRuns u32,
 * padding, NumberOfPages u64 at +8, runs of {BasePage, PageCount} u64 from +0x10),
 * pages right after the 0x2000-byte header in run order.
 */
START_TEST(test_hand_full64)
{
    T_BEGIN;
    hand h = hand_new(0x2000 + 3 * 4096, 0x2000);
    hand_header64(&h, 1);
    h32(&h, 0x88, 2); /* NumberOfRuns */
    h32(&h, 0x8C, 0);
    h64(&h, 0x90, 3);    /* NumberOfPages */
    h64(&h, 0x98, 0x10); /* Run[0] */
    h64(&h, 0xA0, 1);
    h64(&h, 0xA8, 0x40); /* Run[1] */
    h64(&h, 0xB0, 2);
    hpage(&h, 0x2000, 1);
    hpage(&h, 0x3000, 2);
    hpage(&h, 0x4000, 3);
    ss_source *src = hand_open(hand_file(&h, h.len, "full64.dmp"));
    ck_assert_int_eq(ss_source_format(src), SS_FORMAT_CRASHDUMP64);
    check_info64(src, 1);
    expect_frame(src, 0x10, 1);
    expect_frame(src, 0x40, 2);
    expect_frame(src, 0x41, 3);
    expect_frame_status(src, 0x11, SS_E_NO_PAGE);
    expect_frame_status(src, 0x42, SS_E_RANGE);
    ss_source_close(src);

    /* NumberOfPages that disagrees with the runs is accepted (readers ignore it) */
    h64(&h, 0x90, 7);
    src = hand_open(hand_file(&h, h.len, "full64-pages.dmp"));
    expect_frame(src, 0x41, 3);
    ss_source_close(src);
    h64(&h, 0x90, 0x4547415045474150ull); /* left as "PAGEPAGE" */
    src = hand_open(hand_file(&h, h.len, "full64-pagefill.dmp"));
    expect_frame(src, 0x10, 1);
    ss_source_close(src);
    /* ... but the runs still bound the file: the last page missing is truncation */
    expect_open(hand_file(&h, h.len - 1, "full64-cut.dmp"), SS_E_TRUNCATED);
    free(h.b);
    T_END;
}
END_TEST

/* 42 runs of 16 bytes after the 16-byte prefix fill the 700-byte buffer; a 43rd does not fit. */
START_TEST(test_hand_full64_max_runs)
{
    T_BEGIN;
    hand h = hand_new(0x2000 + 43 * 4096, 0x2000);
    hand_header64(&h, 1);
    h32(&h, 0x88, 42);
    h32(&h, 0x8C, 0);
    h64(&h, 0x90, 42);
    for (uint32_t i = 0; i < 43; i++) {
        h64(&h, 0x98 + 16 * i, 2 * i + 1);
        h64(&h, 0x98 + 16 * i + 8, 1);
        hpage(&h, 0x2000 + 4096 * i, 100 + i);
    }
    ss_source *src = hand_open(hand_file(&h, h.len - 4096, "runs42.dmp"));
    expect_frame(src, 1, 100);
    expect_frame(src, 83, 141); /* run 41, the last that fits */
    expect_frame_status(src, 84, SS_E_RANGE);
    ss_source_close(src);
    h32(&h, 0x88, 43); /* run 42 would end at 0x348, past the buffer's 0x344 */
    expect_open(hand_file(&h, h.len, "runs43.dmp"), SS_E_CORRUPT);
    free(h.b);
    T_END;
}
END_TEST

/*
 * DUMP_HEADER32 (0x1000 bytes): u32 pointers, PaeEnabled at 0x5C, PHYSICAL_MEMORY_
 * DESCRIPTOR32 at 0x64 with u32 NumberOfRuns, NumberOfPages and {BasePage,
 * PageCount}, DumpType at 0xF88; pages from 0x1000.
 */
START_TEST(test_hand_full32)
{
    T_BEGIN;
    for (int pae = 0; pae < 2; pae++) {
        hand h = hand_new(0x1000 + 3 * 4096, 0x1000);
        htag(&h, 0x000, "PAGE");
        htag(&h, 0x004, "DUMP");
        h32(&h, 0x008, 0xF);
        h32(&h, 0x00C, 2600);
        h32(&h, 0x010, 0x00AB6000 + 0x20u * (uint32_t)pae); /* DirectoryTableBase */
        h32(&h, 0x014, 0x80C00000);                         /* PfnDataBase */
        h32(&h, 0x018, 0x8055B1C0);                         /* PsLoadedModuleList */
        h32(&h, 0x01C, 0x8055A158);                         /* PsActiveProcessHead */
        h32(&h, 0x020, 0x14C);                              /* MachineImageType */
        h32(&h, 0x024, 2);                                  /* NumberProcessors */
        h32(&h, 0x028, 0x7F);                               /* BugCheckCode */
        h32(&h, 0x02C, 0x8);                                /* BugCheckParameter1 .. 4 */
        h32(&h, 0x030, 0x80042000);
        h32(&h, 0x034, 0);
        h32(&h, 0x038, 0xF7A4C6B0);
        memset(h.b + 0x03C, 0, 32);  /* VersionUser */
        h8(&h, 0x05C, (uint8_t)pae); /* PaeEnabled */
        h8(&h, 0x05D, 0x41);         /* KdSecondaryVersion */
        h8(&h, 0x05E, 0);
        h8(&h, 0x05F, 0);
        h32(&h, 0x060, 0x80545B60); /* KdDebuggerDataBlock */
        h32(&h, 0x064, 2);          /* NumberOfRuns */
        h32(&h, 0x068, 3);          /* NumberOfPages */
        h32(&h, 0x06C, 0x1);        /* Run[0] */
        h32(&h, 0x070, 2);
        h32(&h, 0x074, 0x9F); /* Run[1] */
        h32(&h, 0x078, 1);
        memcpy(h.b + 0x820, "hand-built", 11); /* Comment */
        h32(&h, 0xF88, 1);                     /* DumpType */
        h64(&h, 0xFA0, h.len);                 /* RequiredDumpSpace */
        hpage(&h, 0x1000, 7);
        hpage(&h, 0x2000, 8);
        hpage(&h, 0x3000, 9);
        ss_source *src = hand_open(hand_file(&h, h.len, "full32.dmp"));
        ck_assert_int_eq(ss_source_format(src), SS_FORMAT_CRASHDUMP32);
        ss_dump_info in;
        ck_assert_int_eq(ss_source_info(src, &in), SS_OK);
        ck_assert_int_eq(in.paging_mode, pae ? SS_MODE_PAE : SS_MODE_X86);
        ck_assert_uint_eq(in.pae_enabled, (uint32_t)pae);
        ck_assert_uint_eq(in.major_version, 0xF);
        ck_assert_uint_eq(in.minor_version, 2600);
        ck_assert_uint_eq(in.directory_table_base, 0x00AB6000 + 0x20u * (uint32_t)pae);
        ck_assert_uint_eq(in.ps_loaded_module_list, 0x8055B1C0);
        ck_assert_uint_eq(in.ps_active_process_head, 0x8055A158);
        ck_assert_uint_eq(in.machine_type, 0x14C);
        ck_assert_uint_eq(in.number_processors, 2);
        ck_assert_uint_eq(in.bugcheck_code, 0x7F);
        ck_assert_uint_eq(in.bugcheck_params[0], 0x8);
        ck_assert_uint_eq(in.bugcheck_params[1], 0x80042000);
        ck_assert_uint_eq(in.bugcheck_params[2], 0);
        ck_assert_uint_eq(in.bugcheck_params[3], 0xF7A4C6B0);
        ck_assert_uint_eq(in.kd_debugger_data_block, 0x80545B60);
        ck_assert_uint_eq(in.dump_type, 1);
        expect_frame(src, 1, 7);
        expect_frame(src, 2, 8);
        expect_frame(src, 0x9F, 9);
        expect_frame_status(src, 3, SS_E_NO_PAGE);
        expect_frame_status(src, 0xA0, SS_E_RANGE);
        ss_source_close(src);
        free(h.b);
    }
    T_END;
}
END_TEST

/*
 * Bitmap dumps, both widths: the _SUMMARY_DUMP right after the main header:
 * Signature SDMP / FDMP (+0), ValidDump DUMP (+4), FirstPage / HeaderSize (+0x20),
 * TotalPresentPages / Pages (+0x28), bit count / BitmapSize (+0x30), bits (+0x38);
 * the present pages from FirstPage in PFN order.
 */
static void hand_bitmap(bool wide, uint32_t dump_type, const char *sig)
{
    size_t hs = wide ? 0x2000 : 0x1000;
    size_t first = hs + 0x1000;
    hand h = hand_new(first + 3 * 4096, hs);
    if (wide) {
        hand_header64(&h, dump_type);
    } else {
        htag(&h, 0x004, "DUMP");
        h32(&h, 0x010, 0x00AB6000);
        h32(&h, 0x020, 0x14C);
        h8(&h, 0x05C, 1);
        h32(&h, 0xF88, dump_type);
    }
    memset(h.b + hs, 0, first - hs);
    htag(&h, hs + 0x00, sig);
    htag(&h, hs + 0x04, "DUMP");
    h64(&h, hs + 0x20, first); /* FirstPage */
    h64(&h, hs + 0x28, 3);     /* TotalPresentPages */
    h64(&h, hs + 0x30, 69);    /* bits: frames 0 .. 68 */
    h8(&h, hs + 0x38, 0x0C);   /* frames 2, 3 */
    /* byte 8: frame 68 (bit 4) plus bits 5-7, which lie past the 69 bits and must not count */
    h8(&h, hs + 0x38 + 8, 0xF0);
    hpage(&h, first, 21);
    hpage(&h, first + 4096, 22);
    hpage(&h, first + 8192, 23);

    ss_source *src = hand_open(hand_file(&h, h.len, "bitmap.dmp"));
    ss_dump_info in;
    ck_assert_int_eq(ss_source_info(src, &in), SS_OK);
    ck_assert_uint_eq(in.dump_type, dump_type);
    if (wide)
        check_info64(src, dump_type);
    expect_frame(src, 2, 21);
    expect_frame(src, 3, 22);
    expect_frame(src, 68, 23);
    expect_frame_status(src, 4, SS_E_NO_PAGE);
    expect_frame_status(src, 69, SS_E_RANGE);
    const ss_phys_range *r = NULL;
    size_t nr = 0;
    ck_assert_int_eq(ss_source_ranges(src, &r, &nr), SS_OK);
    ck_assert_uint_eq(nr, 2);
    ck_assert_uint_eq(r[0].start, 2 * 4096);
    ck_assert_uint_eq(r[0].size, 2 * 4096);
    ck_assert_uint_eq(r[1].start, 68 * 4096);
    ck_assert_uint_eq(r[1].size, 4096);
    ss_source_close(src);

    /* TotalPresentPages is not trusted either way: the set bits place the pages */
    uint64_t claims[] = {1, 100, 0x4547415045474150ull};
    for (size_t i = 0; i < sizeof claims / sizeof claims[0]; i++) {
        h64(&h, hs + 0x28, claims[i]);
        src = hand_open(hand_file(&h, h.len, "bitmap-claim.dmp"));
        expect_frame(src, 68, 23);
        ss_source_close(src);
        /* ... and the set bits bound the file, whatever the claim */
        expect_open(hand_file(&h, h.len - 1, "bitmap-cut.dmp"), SS_E_TRUNCATED);
    }
    free(h.b);
}

START_TEST(test_hand_bitmap)
{
    T_BEGIN;
    hand_bitmap(true, 5, "FDMP");
    hand_bitmap(true, 5, "SDMP");
    hand_bitmap(true, 6, "FDMP");
    hand_bitmap(false, 5, "FDMP");
    T_END;
}
END_TEST

/*
 * Range dumps (kdmp-parser's RDMP_HEADER64 at 0x2000): Marker 0x40, RDMP, DUMP,
 * unused u32, MetadataSize (+0x10), FirstPageOffset (+0x18) = 0x2020 +
 * MetadataSize; +0x20 two u64 (complete: NumberOfRanges u32, two u16,
 * TotalNumberOfPages u64 at +0x28); {PageFileNumber, NumberOfPages} u64 pairs
 * from 0x2030; pages from FirstPageOffset in list order.
 */
static hand hand_rdmp(uint32_t dump_type)
{
    hand h = hand_new(0x3000 + 3 * 4096, 0x2000);
    hand_header64(&h, dump_type);
    memset(h.b + 0x2000, 0, 0x1000);
    h32(&h, 0x2000, 0x40);
    htag(&h, 0x2004, "RDMP");
    htag(&h, 0x2008, "DUMP");
    h64(&h, 0x2010, 0x1000 - 0x20); /* MetadataSize */
    h64(&h, 0x2018, 0x3000);        /* FirstPageOffset */
    if (dump_type == 0xA) {
        h32(&h, 0x2020, 2); /* NumberOfRanges */
        h64(&h, 0x2028, 3); /* TotalNumberOfPages */
    } else {
        h64(&h, 0x2020, 0x1234); /* not interpreted */
        h64(&h, 0x2028, 0x5678);
    }
    h64(&h, 0x2030, 0x10);
    h64(&h, 0x2038, 1);
    h64(&h, 0x2040, 0x20);
    h64(&h, 0x2048, 2);
    hpage(&h, 0x3000, 31);
    hpage(&h, 0x4000, 32);
    hpage(&h, 0x5000, 33);
    return h;
}

static void expect_rdmp_frames(const hand *h, const char *name, uint32_t dump_type)
{
    ss_source *src = hand_open(hand_file(h, h->len, name));
    check_info64(src, dump_type);
    expect_frame(src, 0x10, 31);
    expect_frame(src, 0x20, 32);
    expect_frame(src, 0x21, 33);
    expect_frame_status(src, 0x11, SS_E_NO_PAGE);
    expect_frame_status(src, 0x22, SS_E_RANGE);
    ss_source_close(src);
}

START_TEST(test_hand_rdmp)
{
    T_BEGIN;
    for (uint32_t type = 8; type <= 0xA; type++) {
        hand h = hand_rdmp(type);
        expect_rdmp_frames(&h, "rdmp.dmp", type); /* the list ends at the zero entry */
        free(h.b);
    }
    hand h = hand_rdmp(0xA);
    /* complete dumps end at TotalNumberOfPages: what follows in the metadata is not a range */
    h64(&h, 0x2050, 0x99);
    h64(&h, 0x2058, 5);
    expect_rdmp_frames(&h, "rdmp-total.dmp", 0xA);
    /* a list that ends (zero entry) before the total is accepted, as kdmp-parser does */
    h64(&h, 0x2050, 0);
    h64(&h, 0x2058, 0);
    h64(&h, 0x2028, 5);
    expect_rdmp_frames(&h, "rdmp-short.dmp", 0xA);
    /* a range crossing the total is refused */
    h64(&h, 0x2028, 2);
    expect_open(hand_file(&h, h.len, "rdmp-cross.dmp"), SS_E_CORRUPT);
    /* FirstPageOffset must be 0x2020 + MetadataSize */
    h64(&h, 0x2028, 3);
    h64(&h, 0x2018, 0x3010);
    expect_open(hand_file(&h, h.len, "rdmp-first.dmp"), SS_E_CORRUPT);
    free(h.b);
    T_END;
}
END_TEST

/* ---- fuzzer seeds -------------------------------------------------------------- */

START_TEST(test_write_fuzz_seeds)
{
    const char *dir = getenv("SS_FUZZ_SEED_DIR");
    if (!dir || !*dir)
        return;
    char sub[600], path[700];
    snprintf(sub, sizeof sub, "%s/fuzz_crashdump", dir);
    mkdir(dir, 0755);
    mkdir(sub, 0755);
    for (int k = 0; k < SSB_DMP_KIND_COUNT; k++) {
        for (int variant = 0; variant < 2; variant++) {
            ss_mode mode = kind_mode((ssb_dmp_kind)k, variant);
            if (variant && mode == SS_MODE_X64)
                continue;
            /* small: 1 MiB of physical memory, four tables and one data page */
            ssb_image *img = ssb_new(mode, 1 * MiB, 0x10000);
            ck_assert_ptr_nonnull(img);
            uint64_t dtb = ssb_new_root(img);
            uint64_t va = mode == SS_MODE_X64 ? 0xFFFFF80000001000ull : 0x80001000ull;
            fill_page(img, 0x20000, 9);
            ck_assert_int_eq(ssb_map(img, dtb, va, 0x20000, 4096, SSB_RW), 0);
            world w = {.img = img, .dtb = dtb};
            ssb_dmp_fields f = fields_for((ssb_dmp_kind)k, &w);
            snprintf(path, sizeof path, "%s/%s-%s.dmp", sub, ssb_dmp_kind_name((ssb_dmp_kind)k),
                     ss_mode_name(mode));
            ck_assert_int_eq(ssb_write_dmp(img, (ssb_dmp_kind)k, &f, NULL, 0, path), 0);
            ss_source *src = NULL;
            ck_assert_int_eq(ss_source_open(path, &src, NULL), SS_OK);
            ss_source_close(src);
            ssb_free(img);
        }
    }
}
END_TEST

static Suite *crashdump_suite(void)
{
    Suite *s = suite_create("backend_crashdump");
    TCase *tc = tcase_create("roundtrip");
    tcase_add_loop_test(tc, test_roundtrip_image_pages, 0, N_COMBOS);
    tcase_add_loop_test(tc, test_roundtrip_padded_runs, 0, N_COMBOS);
    tcase_add_test(tc, test_forced_prefix_and_format_names);
    suite_add_tcase(s, tc);

    tc = tcase_create("malformed");
    tcase_add_test(tc, test_truncated_header64);
    tcase_add_test(tc, test_truncated_header32);
    tcase_add_test(tc, test_runs_past_eof);
    tcase_add_test(tc, test_runs_overlapping);
    tcase_add_test(tc, test_runs_unsorted);
    tcase_add_test(tc, test_absurd_number_of_runs);
    tcase_add_test(tc, test_absurd_page_count);
    tcase_add_test(tc, test_bitmap_past_eof);
    tcase_add_test(tc, test_bitmap_more_pages_than_file);
    tcase_add_test(tc, test_bitmap_first_page_bad);
    tcase_add_test(tc, test_wrong_signature);
    tcase_add_test(tc, test_mixed_signatures);
    tcase_add_test(tc, test_unsupported_dump_type);
    tcase_add_test(tc, test_pae_flag_bad);
    tcase_add_test(tc, test_rdmp_bad);
    tcase_add_test(tc, test_tiny_files);
    tcase_add_test(tc, test_hand_full64);
    tcase_add_test(tc, test_hand_full64_max_runs);
    tcase_add_test(tc, test_hand_full32);
    tcase_add_test(tc, test_hand_bitmap);
    tcase_add_test(tc, test_hand_rdmp);
    suite_add_tcase(s, tc);

    tc = tcase_create("seeds");
    tcase_add_test(tc, test_write_fuzz_seeds);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ss_run_suite(crashdump_suite());
}
