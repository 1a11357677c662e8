/*
 * The versioned structs and the small public calls around them: *_INIT macros and
 * *_init() functions, ss_version(), ss_source_paging() and ss_source_mapping().
 */
#include <stdio.h>

#include "sessionspace/scan.h"
#include "sessionspace/sys/backend.h"
#include "ss_check.h"
#include "testutil.h"

#define MiB (1ull << 20)

/* A custom backend of 1 MiB of zeros, with optional header info and CPU 0. */
typedef struct fake {
    uint8_t mem[4096];
    ss_phys_range range;
    ss_dump_info info;
    ss_cpu_state cpu;
    int has_cpu;
} fake;

static ss_status fake_read(void *ctx, uint64_t pa, void *buf, size_t len, size_t *nread)
{
    (void)ctx;
    (void)pa;
    memset(buf, 0, len);
    *nread = len;
    return SS_OK;
}
static ss_status fake_ranges(void *ctx, const ss_phys_range **r, size_t *n)
{
    *r = &((fake *)ctx)->range;
    *n = 1;
    return SS_OK;
}
static ss_status fake_info(void *ctx, ss_dump_info *info)
{
    *info = ((fake *)ctx)->info;
    return SS_OK;
}
static size_t fake_cpu_count(void *ctx)
{
    return ((fake *)ctx)->has_cpu ? 1 : 0;
}
static ss_status fake_cpu(void *ctx, size_t i, ss_cpu_state *out)
{
    (void)i;
    *out = ((fake *)ctx)->cpu;
    return SS_OK;
}
static const uint8_t *fake_flat(void *ctx, uint64_t *size)
{
    *size = sizeof((fake *)ctx)->mem;
    return ((fake *)ctx)->mem;
}

static ss_source *open_fake(fake *f, ss_backend_ops *ops)
{
    f->range = (ss_phys_range){0, MiB};
    ck_assert_int_eq(ss_backend_ops_init(ops, SS_BACKEND_OPS_VERSION), SS_OK);
    ops->name = "fake";
    ops->read = fake_read;
    ops->ranges = fake_ranges;
    ops->info = fake_info;
    ops->cpu_count = fake_cpu_count;
    ops->cpu = fake_cpu;
    ss_source *src = NULL;
    ck_assert_int_eq(ss_source_from_backend(ops, f, SS_FORMAT_CUSTOM, &src, NULL), SS_OK);
    return src;
}

START_TEST(init_macros_and_functions)
{
    ss_space_options a = SS_SPACE_OPTIONS_INIT, b;
    memset(&b, 0xa5, sizeof b);
    ck_assert_int_eq(ss_space_options_init(&b, SS_SPACE_OPTIONS_VERSION), SS_OK);
    ck_assert_uint_eq(a.version, SS_SPACE_OPTIONS_VERSION);
    ck_assert_int_eq(a.pte_layout, SS_PTE_LAYOUT_WIN8); /* every default is zero */
    ck_assert_uint_eq(a.proto_base | a.cache_entries | a.no_cache | a.no_pse | a.no_nx, 0);
    ck_assert_uint_eq(b.version, a.version);
    ck_assert_int_eq(b.pte_layout, a.pte_layout);
    ck_assert_uint_eq(b.proto_base | b.cache_entries | b.no_cache | b.no_pse | b.no_nx, 0);
    ck_assert_int_eq(ss_space_options_init(&b, 0), SS_E_INVALID_ARG);
    ck_assert_int_eq(ss_space_options_init(&b, SS_SPACE_OPTIONS_VERSION + 1), SS_E_INVALID_ARG);
    ck_assert_int_eq(ss_space_options_init(NULL, SS_SPACE_OPTIONS_VERSION), SS_E_INVALID_ARG);

    /* every versioned struct has an _init() that matches its macro (issue 10: bindings) */
    ss_scan_options sm = SS_SCAN_OPTIONS_INIT, sf;
    memset(&sf, 0xa5, sizeof sf);
    ck_assert_int_eq(ss_scan_options_init(&sf, SS_SCAN_OPTIONS_VERSION), SS_OK);
    ck_assert_uint_eq(sf.version, sm.version);
    ck_assert_int_eq(sf.mode, SS_MODE_AUTO); /* 0: the default, x64 */
    ck_assert_int_eq(sf.mode, sm.mode);
    ck_assert_uint_eq(sf.min_kernel_entries | sf.min_zero_entries | sf.max_pa | sf.progress_step, 0);
    ck_assert_ptr_null(sf.progress);
    ck_assert_ptr_null(sf.progress_arg);
    ck_assert_int_eq(ss_scan_options_init(&sf, 0), SS_E_INVALID_ARG);
    ck_assert_int_eq(ss_scan_options_init(&sf, SS_SCAN_OPTIONS_VERSION + 1), SS_E_INVALID_ARG);
    ck_assert_int_eq(ss_scan_options_init(NULL, SS_SCAN_OPTIONS_VERSION), SS_E_INVALID_ARG);
    ss_open_options om = SS_OPEN_OPTIONS_INIT, of;
    memset(&of, 0xa5, sizeof of);
    ck_assert_int_eq(ss_open_options_init(&of, SS_OPEN_OPTIONS_VERSION), SS_OK);
    ck_assert_uint_eq(of.version, om.version);
    ck_assert_uint_eq(of.flags, 0);
    ck_assert_int_eq(ss_open_options_init(&of, 0), SS_E_INVALID_ARG);
    ck_assert_int_eq(ss_open_options_init(&of, SS_OPEN_OPTIONS_VERSION + 1), SS_E_INVALID_ARG);
    ck_assert_int_eq(ss_open_options_init(NULL, SS_OPEN_OPTIONS_VERSION), SS_E_INVALID_ARG);

    ss_backend_ops m = SS_BACKEND_OPS_INIT, f;
    memset(&f, 0xa5, sizeof f);
    ck_assert_int_eq(ss_backend_ops_init(&f, SS_BACKEND_OPS_VERSION), SS_OK);
    ck_assert_uint_eq(m.version, SS_BACKEND_OPS_VERSION);
    ck_assert_ptr_null(m.read);
    ck_assert_ptr_null(m.flat);
    ck_assert_uint_eq(f.version, SS_BACKEND_OPS_VERSION);
    ck_assert_ptr_null(f.name);
    ck_assert_ptr_null(f.read);
    ck_assert_ptr_null(f.close);
    ck_assert_ptr_null(f.flat);
    ck_assert_int_eq(ss_backend_ops_init(&f, 0), SS_E_INVALID_ARG);
    ck_assert_int_eq(ss_backend_ops_init(&f, SS_BACKEND_OPS_VERSION + 1), SS_E_INVALID_ARG);
    ck_assert_int_eq(ss_backend_ops_init(NULL, 1), SS_E_INVALID_ARG);
}
END_TEST

START_TEST(version_string)
{
    char want[32];
    snprintf(want, sizeof want, "%d.%d.%d", SS_VERSION_MAJOR, SS_VERSION_MINOR, SS_VERSION_PATCH);
    ck_assert_str_eq(ss_version(), want);
    ck_assert_str_eq(ss_version(), "0.1.0");
}
END_TEST

START_TEST(options_version_checked)
{
    fake fk = {0};
    ss_backend_ops ops;
    ss_source *src = open_fake(&fk, &ops);
    ss_space_options o = SS_SPACE_OPTIONS_INIT;
    ss_space *sp = (ss_space *)1;
    o.version = SS_SPACE_OPTIONS_VERSION + 1;
    ck_assert_int_eq(ss_space_open(src, SS_MODE_X64, 0x1000, &o, &sp), SS_E_INVALID_ARG);
    ck_assert_ptr_null(sp);
    o.version = 0;
    ck_assert_int_eq(ss_space_open(src, SS_MODE_X64, 0x1000, &o, &sp), SS_E_INVALID_ARG);
    o.version = SS_SPACE_OPTIONS_VERSION;
    ck_assert_int_eq(ss_space_open(src, SS_MODE_X64, 0x1000, &o, &sp), SS_OK);
    ss_space_close(sp);
    ss_source_close(src);
}
END_TEST

/* Every cause of a failed ss_space_open() is named by ss_space_open_ex(). */
static void assert_open_reason(ss_source *src, ss_mode mode, uint64_t dtb, const ss_space_options *o,
                               ss_status want, const char *words)
{
    ss_error e;
    ss_space *sp = (ss_space *)1;
    memset(&e, 0, sizeof e);
    ck_assert_int_eq(ss_space_open_ex(src, mode, dtb, o, &sp, &e), want);
    ck_assert_ptr_null(sp);
    ck_assert_int_eq(e.status, want);
    ck_assert_msg(strstr(e.message, words) != NULL, "'%s' not in '%s'", words, e.message);
    /* the plain call returns the same status */
    ck_assert_int_eq(ss_space_open(src, mode, dtb, o, &sp), want);
}

START_TEST(space_open_reasons)
{
    fake fk = {0}; /* no header info and no CPU: mode auto has nothing to go on */
    ss_backend_ops ops;
    ss_source *src = open_fake(&fk, &ops);
    ss_space_options o = SS_SPACE_OPTIONS_INIT;
    ss_space *sp;
    ss_error e;
    ck_assert_int_eq(ss_space_open_ex(NULL, SS_MODE_X64, 0, NULL, &sp, &e), SS_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(e.message, "NULL source"));
    assert_open_reason(src, (ss_mode)9, 0x1000, NULL, SS_E_INVALID_ARG, "9 is not a paging mode");
    o.version = 7;
    assert_open_reason(src, SS_MODE_X64, 0x1000, &o, SS_E_INVALID_ARG, "options version 7");
    o.version = SS_SPACE_OPTIONS_VERSION;
    o.cache_entries = (1u << 28) + 1;
    assert_open_reason(src, SS_MODE_X64, 0x1000, &o, SS_E_INVALID_ARG, "above the limit of 2^28");
    assert_open_reason(src, SS_MODE_AUTO, 0x1000, NULL, SS_E_UNSUPPORTED, "records no paging mode");
    assert_open_reason(src, SS_MODE_PAE, 0x100000000ull, NULL, SS_E_INVALID_ARG, "below 4 GiB");
    assert_open_reason(src, SS_MODE_X64, 1ull << 52, NULL, SS_E_RESERVED_BIT, "bits 62:52");
    /* success leaves err alone */
    memset(&e, 0x5a, sizeof e);
    ck_assert_int_eq(ss_space_open_ex(src, SS_MODE_X64, 0x1000, NULL, &sp, &e), SS_OK);
    ck_assert_int_eq(e.status, 0x5a5a5a5a);
    ss_space_close(sp);
    ss_source_close(src);
}
END_TEST

START_TEST(source_paging)
{
    const uint64_t CR0_PG = 1ull << 31, CR4_PAE = 1ull << 5, CR4_LA57 = 1ull << 12, EFER_LMA = 1ull << 10;
    fake fk = {0};
    ss_backend_ops ops;
    ss_source *src = open_fake(&fk, &ops);
    ss_mode mode = SS_MODE_X64;
    uint64_t dtb = 7;
    /* nothing recorded */
    ck_assert_int_eq(ss_source_paging(src, &mode, &dtb), SS_E_UNSUPPORTED);
    ck_assert_int_eq(mode, SS_MODE_AUTO);
    ck_assert_uint_eq(dtb, 0);
    ck_assert_int_eq(ss_source_paging(src, NULL, NULL), SS_E_INVALID_ARG);
    ck_assert_int_eq(ss_source_paging(NULL, &mode, &dtb), SS_E_INVALID_ARG);
    /* CPU 0 only: 5-level from CR4.LA57 + EFER.LMA, root from CR3 */
    fk.has_cpu = 1;
    fk.cpu = (ss_cpu_state){0, CR0_PG, 0, 0x1ab000, CR4_PAE | CR4_LA57, EFER_LMA};
    ck_assert_int_eq(ss_source_paging(src, &mode, &dtb), SS_OK);
    ck_assert_int_eq(mode, SS_MODE_LA57);
    ck_assert_uint_eq(dtb, 0x1ab000);
    fk.cpu.efer = 0;
    ck_assert_int_eq(ss_source_paging(src, &mode, NULL), SS_OK);
    ck_assert_int_eq(mode, SS_MODE_PAE);
    fk.cpu.cr4 = 0;
    ck_assert_int_eq(ss_source_paging(src, &mode, NULL), SS_OK);
    ck_assert_int_eq(mode, SS_MODE_X86);
    /* paging off: no mode, the root is still what CR3 holds */
    fk.cpu.cr0 = 0;
    ck_assert_int_eq(ss_source_paging(src, &mode, &dtb), SS_E_UNSUPPORTED);
    ck_assert_int_eq(mode, SS_MODE_AUTO);
    ck_assert_uint_eq(dtb, 0x1ab000);
    ck_assert_int_eq(ss_source_paging(src, NULL, &dtb), SS_OK);
    /* the header wins over the CPU */
    fk.info.flags = SS_INFO_PAGING_MODE | SS_INFO_DTB;
    fk.info.paging_mode = SS_MODE_X64;
    fk.info.directory_table_base = 0x2cd000;
    ck_assert_int_eq(ss_source_paging(src, &mode, &dtb), SS_OK);
    ck_assert_int_eq(mode, SS_MODE_X64);
    ck_assert_uint_eq(dtb, 0x2cd000);
    /* a header mode that is no mode is not taken */
    fk.info.paging_mode = (ss_mode)42;
    ck_assert_int_eq(ss_source_paging(src, &mode, NULL), SS_E_UNSUPPORTED);
    /* AUTO in ss_space_open follows the same answer */
    fk.info.paging_mode = SS_MODE_PAE;
    ss_space *sp;
    ck_assert_int_eq(ss_space_open(src, SS_MODE_AUTO, 0x2cd000, NULL, &sp), SS_OK);
    ck_assert_int_eq(ss_space_mode(sp), SS_MODE_PAE);
    ss_space_close(sp);
    ss_source_close(src);
}
END_TEST

START_TEST(source_mapping)
{
    /* a custom backend that is not flat */
    fake fk = {0};
    ss_backend_ops ops;
    ss_source *src = open_fake(&fk, &ops);
    const uint8_t *data = (const uint8_t *)1;
    uint64_t size = 1;
    ck_assert_int_eq(ss_source_mapping(src, &data, &size), SS_E_UNSUPPORTED);
    ck_assert_ptr_null(data);
    ck_assert_uint_eq(size, 0);
    ss_source_close(src);
    /* flat() that disagrees with ranges() (1 MiB vs 4 KiB) is not trusted */
    ops.flat = fake_flat;
    ck_assert_int_eq(ss_source_from_backend(&ops, &fk, SS_FORMAT_CUSTOM, &src, NULL), SS_OK);
    ck_assert_int_eq(ss_source_mapping(src, &data, &size), SS_E_UNSUPPORTED);
    ss_source_close(src);
    /* one that agrees: its flat() is read (version 1 has the member) */
    fk.range = (ss_phys_range){0, sizeof fk.mem};
    ck_assert_int_eq(ss_source_from_backend(&ops, &fk, SS_FORMAT_CUSTOM, &src, NULL), SS_OK);
    ck_assert_int_eq(ss_source_mapping(src, &data, &size), SS_OK);
    ck_assert_ptr_eq(data, fk.mem);
    ck_assert_uint_eq(size, sizeof fk.mem);
    ss_source_close(src);
    ck_assert_int_eq(ss_source_mapping(NULL, &data, &size), SS_E_INVALID_ARG);
    /* a raw image is one mapping of its whole file */
    ssb_image *img = ssb_new(SS_MODE_X64, 2 * MiB, MiB);
    uint64_t root = ssb_new_root(img);
    uint64_t marker = 0x1122334455667788ull;
    ck_assert_int_eq(ssb_write(img, 0x3008, &marker, 8), 0);
    src = ss_test_open_raw(img, "mapping.raw");
    ck_assert_int_eq(ss_source_mapping(src, &data, &size), SS_OK);
    ck_assert_uint_eq(size, 2 * MiB);
    uint64_t got;
    memcpy(&got, data + 0x3008, 8);
    ck_assert_uint_eq(got, marker);
    (void)root;
    ss_source_close(src);
    ssb_free(img);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("api");
    TCase *tc = tcase_create("api");
    tcase_add_test(tc, init_macros_and_functions);
    tcase_add_test(tc, version_string);
    tcase_add_test(tc, options_version_checked);
    tcase_add_test(tc, space_open_reasons);
    tcase_add_test(tc, source_paging);
    tcase_add_test(tc, source_mapping);
    suite_add_tcase(s, tc);
    return ss_run_suite(s);
}
