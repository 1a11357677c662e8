/*
 * The callback source (sessionspace/callback.h): a host debugger's physical reads and
 * control registers serving an imagebuilder image, and hosts that misbehave (statuses
 * that are not ss_status codes, short reads, counts above what was asked, failures).
 */
#include "sessionspace/callback.h"
#include "ss_check.h"
#include "testutil.h"

#define MiB (1ull << 20)

/* CR0.PG (bit 31), CR4.PAE (bit 5), CR4.LA57 (bit 12), EFER.LME (bit 8) / LMA (bit 10): SDM Vol.
 * 3A 2.5, 2.2.1 */
#define CR0_PG   (1ull << 31)
#define CR4_PAE  (1ull << 5)
#define CR4_LA57 (1ull << 12)
#define EFER_LMA (1ull << 10)

enum misbehave { GOOD, GARBAGE_STATUS, SHORT_OK, OVERCOUNT, FAIL_NO_PAGE };

typedef struct host {
    const ssb_image *img;
    enum misbehave how;
    ss_cpu_state regs;
    ss_status cpu_status;
    unsigned reads, closes;
    uint64_t gen;
} host;

static ss_status host_read(void *ctx, uint64_t pa, void *buf, size_t len, size_t *nread)
{
    host *h = ctx;
    h->reads++;
    *nread = 0;
    if (ssb_read(h->img, pa, buf, len) != 0)
        return SS_E_RANGE;
    switch (h->how) {
    case GOOD: *nread = len; return SS_OK;
    case GARBAGE_STATUS: *nread = len / 2; return (ss_status)12345;
    case SHORT_OK: *nread = len / 2; return SS_OK;
    case OVERCOUNT: *nread = len + 100; return SS_OK;
    case FAIL_NO_PAGE: return SS_E_NO_PAGE;
    }
    return SS_E_IO;
}

static ss_status host_cpu(void *ctx, ss_cpu_state *out)
{
    host *h = ctx;
    if (h->cpu_status == SS_OK)
        *out = h->regs;
    return h->cpu_status;
}

static uint64_t host_gen(void *ctx)
{
    return ((host *)ctx)->gen;
}

static void host_close(void *ctx)
{
    ((host *)ctx)->closes++;
}

static ssb_image *img;
static uint64_t root;
static const uint64_t VA = 0xfffff96000123000ull;

static void setup(void)
{
    img = ssb_new(SS_MODE_X64, 16 * MiB, 8 * MiB);
    ck_assert_ptr_nonnull(img);
    root = ssb_new_root(img);
    ck_assert_int_eq(ssb_map(img, root, VA, 0x234000, 4096, SSB_RW), 0);
    ssb_write(img, 0x234abc, "session code", 13);
}

static void teardown(void)
{
    ssb_free(img);
}

static ss_source *open_host(host *h, ss_callback_ops *ops)
{
    ops->read_phys = host_read;
    ops->close = host_close;
    ss_source *src = NULL;
    ss_error err = {0};
    ck_assert_msg(ss_source_open_callback(ops, h, &src, &err) == SS_OK, "%s", err.message);
    return src;
}

START_TEST(registers_give_the_mode)
{
    host h = {img, GOOD, {0}, SS_OK, 0, 0, 7};
    h.regs.cr0 = CR0_PG | 1;
    h.regs.cr3 = root | 0x5; /* PCID bits are ignored by the walk */
    h.regs.cr4 = CR4_PAE;
    h.regs.efer = EFER_LMA | (1ull << 8);
    ss_callback_ops ops;
    ck_assert_int_eq(ss_callback_ops_init(&ops, SS_CALLBACK_OPS_VERSION), SS_OK);
    ck_assert_uint_eq(ops.version, SS_CALLBACK_OPS_VERSION);
    ck_assert_int_eq(ops.paging_mode, SS_MODE_AUTO);
    ops.name = "gdb";
    ops.cpu = host_cpu;
    ops.generation = host_gen;
    ops.phys_size = ssb_size(img);
    ss_source *src = open_host(&h, &ops);
    ck_assert_int_eq(ss_source_format(src), SS_FORMAT_CUSTOM);
    ck_assert_uint_eq(ss_source_max_pa(src), 16 * MiB);
    ck_assert_uint_eq(ss_source_generation(src), 7);
    const ss_phys_range *r;
    size_t n;
    ck_assert_int_eq(ss_source_ranges(src, &r, &n), SS_OK);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(r[0].start, 0);
    ck_assert_uint_eq(r[0].size, 16 * MiB);
    ck_assert_uint_eq(ss_source_cpu_count(src), 1);
    ss_cpu_state c;
    ck_assert_int_eq(ss_source_cpu(src, 0, &c), SS_OK);
    ck_assert_uint_eq(c.cr3, root | 0x5);
    ck_assert_uint_eq(c.efer, h.regs.efer);
    ck_assert_int_eq(ss_source_cpu(src, 1, &c), SS_E_INVALID_ARG);
    ss_dump_info info;
    ck_assert_int_eq(ss_source_info(src, &info), SS_OK);
    ck_assert_uint_eq(info.flags, 0);

    ss_space *sp;
    ck_assert_int_eq(ss_space_open(src, SS_MODE_AUTO, c.cr3, NULL, &sp), SS_OK);
    ck_assert_int_eq(ss_space_mode(sp), SS_MODE_X64);
    uint64_t pa;
    ck_assert_int_eq(ss_translate(sp, VA + 0xabc, &pa), SS_OK);
    ck_assert_uint_eq(pa, 0x234abc);
    char text[13];
    ck_assert_int_eq(ss_space_read(sp, VA + 0xabc, text, sizeof text, NULL), SS_OK);
    ck_assert_str_eq(text, "session code");
    ss_space_close(sp);

    /* LA57 and 32-bit modes follow the registers (SDM Vol. 3A table 4-1) */
    h.regs.cr4 = CR4_PAE | CR4_LA57;
    ck_assert_int_eq(ss_space_open(src, SS_MODE_AUTO, 0x1000, NULL, &sp), SS_OK);
    ck_assert_int_eq(ss_space_mode(sp), SS_MODE_LA57);
    ss_space_close(sp);
    h.regs.efer = 0;
    h.regs.cr4 = CR4_PAE;
    ck_assert_int_eq(ss_space_open(src, SS_MODE_AUTO, 0x1000, NULL, &sp), SS_OK);
    ck_assert_int_eq(ss_space_mode(sp), SS_MODE_PAE);
    ss_space_close(sp);
    h.regs.cr4 = 0;
    ck_assert_int_eq(ss_space_open(src, SS_MODE_AUTO, 0x1000, NULL, &sp), SS_OK);
    ck_assert_int_eq(ss_space_mode(sp), SS_MODE_X86);
    ss_space_close(sp);
    /* paging off: nothing to walk */
    h.regs.cr0 = 1;
    ck_assert_int_eq(ss_space_open(src, SS_MODE_AUTO, 0x1000, NULL, &sp), SS_E_UNSUPPORTED);
    /* a register read that fails with a status that is not one: an I/O failure */
    h.cpu_status = (ss_status)99;
    ck_assert_int_eq(ss_source_cpu(src, 0, &c), SS_E_IO);
    ck_assert_int_eq(ss_space_open(src, SS_MODE_AUTO, 0x1000, NULL, &sp), SS_E_UNSUPPORTED);
    h.cpu_status = SS_E_BUSY; /* a real status passes through */
    ck_assert_int_eq(ss_source_cpu(src, 0, &c), SS_E_BUSY);
    ck_assert_uint_eq(h.closes, 0);
    ss_source_close(src);
    ck_assert_uint_eq(h.closes, 1);
}
END_TEST

START_TEST(mode_and_dtb_without_registers)
{
    host h = {img, GOOD, {0}, SS_OK, 0, 0, 0};
    ss_callback_ops ops = SS_CALLBACK_OPS_INIT;
    ops.paging_mode = SS_MODE_X64;
    ops.dtb = root;
    ss_source *src = open_host(&h, &ops);
    ck_assert_uint_eq(ss_source_cpu_count(src), 0);
    ck_assert_uint_eq(ss_source_generation(src), 0);
    ck_assert_uint_eq(ss_source_max_pa(src), 1ull << 52); /* phys_size 0: the architectural limit */
    ss_dump_info info;
    ss_source_info(src, &info);
    ck_assert_uint_eq(info.flags, SS_INFO_PAGING_MODE | SS_INFO_DTB);
    ck_assert_int_eq(info.paging_mode, SS_MODE_X64);
    ck_assert_uint_eq(info.directory_table_base, root);
    ss_space *sp;
    ck_assert_int_eq(ss_space_open(src, SS_MODE_AUTO, info.directory_table_base, NULL, &sp), SS_OK);
    uint64_t pa;
    ck_assert_int_eq(ss_translate(sp, VA, &pa), SS_OK);
    ck_assert_uint_eq(pa, 0x234000);
    ss_space_close(sp);
    ss_source_close(src);
    ck_assert_uint_eq(h.closes, 1);
}
END_TEST

START_TEST(careless_hosts)
{
    host h = {img, GOOD, {0}, SS_OK, 0, 0, 0};
    ss_callback_ops ops = SS_CALLBACK_OPS_INIT;
    ops.phys_size = ssb_size(img);
    ss_source *src = open_host(&h, &ops);
    uint8_t buf[64];
    size_t got = 99;
    /* past phys_size: SS_E_RANGE without asking the host */
    unsigned before = h.reads;
    ck_assert_int_eq(ss_source_read(src, 16 * MiB, buf, 8, &got), SS_E_RANGE);
    ck_assert_uint_eq(got, 0);
    ck_assert_uint_eq(h.reads, before);
    /* straddling the end: the part inside, then SS_E_RANGE */
    ck_assert_int_eq(ss_source_read(src, 16 * MiB - 8, buf, 16, &got), SS_E_RANGE);
    ck_assert_uint_eq(got, 8);

    h.how = GARBAGE_STATUS;
    ck_assert_int_eq(ss_source_read(src, 0x234abc, buf, 8, &got), SS_E_IO);
    ck_assert_uint_eq(got, 4);
    h.how = SHORT_OK;
    ck_assert_int_eq(ss_source_read(src, 0x234abc, buf, 8, &got), SS_E_SHORT_READ);
    ck_assert_uint_eq(got, 4);
    h.how = OVERCOUNT;
    ck_assert_int_eq(ss_source_read(src, 0x234abc, buf, 8, &got), SS_OK);
    ck_assert_uint_eq(got, 8);
    ck_assert_mem_eq(buf, "session ", 8);
    h.how = FAIL_NO_PAGE;
    ck_assert_int_eq(ss_source_read(src, 0x234abc, buf, 8, &got), SS_E_NO_PAGE);
    ck_assert_uint_eq(got, 0);

    /* walks over such hosts end in specific states, never in a crash */
    ss_space *sp;
    ss_space_options so = SS_SPACE_OPTIONS_INIT;
    so.no_cache = 1;
    ck_assert_int_eq(ss_space_open(src, SS_MODE_X64, root, &so, &sp), SS_OK);
    ss_xlat x;
    h.how = GARBAGE_STATUS;
    ck_assert_int_eq(ss_space_walk(sp, VA, &x), SS_E_PT_READ);
    ck_assert_int_eq(x.state, SS_XLAT_READ_ERROR);
    h.how = SHORT_OK;
    ck_assert_int_eq(ss_space_walk(sp, VA, &x), SS_E_PT_READ);
    h.how = FAIL_NO_PAGE; /* the host says the PML4 frame is missing */
    ck_assert_int_eq(ss_space_walk(sp, VA, &x), SS_E_BAD_PFN);
    ck_assert_int_eq(x.state, SS_XLAT_BAD_PFN);
    h.how = OVERCOUNT;
    ck_assert_int_eq(ss_space_walk(sp, VA, &x), SS_OK);
    ck_assert_uint_eq(x.pa, 0x234000);
    ss_space_close(sp);
    ss_source_close(src);
}
END_TEST

START_TEST(bad_tables)
{
    host h = {img, GOOD, {0}, SS_OK, 0, 0, 0};
    ss_source *src = (ss_source *)1;
    ss_error err = {0};
    ss_callback_ops ops = SS_CALLBACK_OPS_INIT;
    ck_assert_int_eq(ss_source_open_callback(&ops, &h, &src, &err), SS_E_INVALID_ARG);
    ck_assert_ptr_null(src);
    ck_assert_str_eq(err.message, "callback source 'callback': read_phys is required");
    ops.read_phys = host_read;
    ops.close = host_close;
    ops.version = 0;
    ck_assert_int_eq(ss_source_open_callback(&ops, &h, &src, &err), SS_E_INVALID_ARG);
    ck_assert_str_eq(err.message, "callback ops version 0 not supported (this library: 1)");
    ops.version = SS_CALLBACK_OPS_VERSION + 1;
    ck_assert_int_eq(ss_source_open_callback(&ops, &h, &src, NULL), SS_E_INVALID_ARG);
    ops.version = SS_CALLBACK_OPS_VERSION;
    ops.name = "kd";
    ops.paging_mode = (ss_mode)9;
    ck_assert_int_eq(ss_source_open_callback(&ops, &h, &src, &err), SS_E_INVALID_ARG);
    ck_assert_str_eq(err.message, "callback source 'kd': paging_mode 9 is not an ss_mode");
    ops.paging_mode = SS_MODE_AUTO;
    ops.phys_size = 4097;
    ck_assert_int_eq(ss_source_open_callback(&ops, &h, &src, &err), SS_E_INVALID_ARG);
    ck_assert_str_eq(err.message,
                     "callback source 'kd': phys_size 0x1001 is not a multiple of 4096 up to 2^52");
    ops.phys_size = (1ull << 52) + 4096;
    ck_assert_int_eq(ss_source_open_callback(&ops, &h, &src, NULL), SS_E_INVALID_ARG);
    ck_assert_int_eq(ss_source_open_callback(NULL, &h, &src, &err), SS_E_INVALID_ARG);
    ck_assert_str_eq(err.message, "ss_source_open_callback: NULL ops");
    ops.phys_size = 0;
    ck_assert_int_eq(ss_source_open_callback(&ops, &h, NULL, NULL), SS_E_INVALID_ARG);
    ck_assert_int_eq(ss_callback_ops_init(NULL, SS_CALLBACK_OPS_VERSION), SS_E_INVALID_ARG);
    ck_assert_int_eq(ss_callback_ops_init(&ops, 2), SS_E_INVALID_ARG);
    ck_assert_uint_eq(h.closes, 0); /* a failed open leaves the host's ctx alone */
    ck_assert_uint_eq(h.reads, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("source_callback");
    TCase *tc = tcase_create("callback");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, registers_give_the_mode);
    tcase_add_test(tc, mode_and_dtb_without_registers);
    tcase_add_test(tc, careless_hosts);
    tcase_add_test(tc, bad_tables);
    suite_add_tcase(s, tc);
    return ss_run_suite(s);
}
