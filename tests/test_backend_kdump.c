/*
 * The kdump backend: kdump-compressed files (zlib, some pages stored raw), plain
 * and flattened, written from the image builder, read back page for page as the
 * raw image, translate the same (AUTO from the QEMU CPU notes: x64 and LA57),
 * carry VMCOREINFO and CPU states, and read the same through libkdumpfile;
 * malformed headers, bitmaps, descriptors, pages and flattened streams give their
 * exact status.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elfwriter.h"
#include "kdumpfile_peer.h"
#include "ss_check.h"
#include "testutil.h"

#define CR0_PG_PE   0x80050033ull
#define CR4_PAE_ETC 0x6f0ull
#define CR4_LA57    (1ull << 12)
#define CS_L        (1u << 21)

static const char *VMCI = "OSRELEASE=6.1.0-test\nPAGESIZE=4096\nNUMBER(pgtable_l5_enabled)=0\n";

static void roundtrip_full(ss_mode mode, int flat, unsigned raw_every, unsigned method, int k32,
                           const char *machine)
{
    uint64_t cr3, vas[64];
    size_t nvas;
    ssb_image *img = ssw_sample_image(mode, &cr3, vas, &nvas);
    ck_assert_ptr_nonnull(img);
    ssw_cpu cpu = {CR0_PG_PE, 0x42, cr3, CR4_PAE_ETC | (mode == SS_MODE_LA57 ? CR4_LA57 : 0),
                   mode == SS_MODE_PAE ? 0 : CS_L};
    ssw_opts o = SSW_OPTS_INIT;
    o.cpus = &cpu;
    o.ncpus = 1;
    o.vmcoreinfo = VMCI;
    o.kdump_flat = flat;
    o.kdump_raw_every = raw_every;
    o.kdump_method = method;
    o.kdump_32 = k32;
    o.kdump_machine = machine;
    const char *path = ss_test_path(flat ? "x.flat.kdump" : "x.kdump");
    ck_assert_int_eq(ssw_write_kdump(img, path, &o), 0);
    ss_source *src = NULL;
    ss_error err;
    ck_assert_msg(ss_source_open(path, &src, &err) == SS_OK, "%s", err.message); /* sniffed */
    ck_assert_int_eq(ss_source_format(src), SS_FORMAT_KDUMP);
    char msg[256];
    ck_assert_msg(ssw_check_pages_to(src, img, ssb_size(img), msg, sizeof msg) == 0, "%s", msg);
    ss_source *raw = ss_test_open_raw(img, "kdump-peer.raw");
    ck_assert_ptr_nonnull(raw);
    ck_assert_msg(ssw_check_translations(raw, src, mode, cr3, vas, nvas, msg, sizeof msg) == 0, "%s", msg);
    ss_source_close(raw);

    ck_assert_msg(ssw_check_ranges(src, img, msg, sizeof msg) == 0, "%s", msg);
    const ss_phys_range *r;
    size_t nr;
    ck_assert_int_eq(ss_source_ranges(src, &r, &nr), SS_OK);
    const uint64_t first = r[0].start / 4096;
    /* zero-copy only for pages stored raw and in one piece: page 0 of the dump is raw
     * when raw_every, but the flattened writer splits it over two records */
    const uint8_t *pg;
    ck_assert_int_eq(ss_source_page(src, first, &pg), raw_every && !flat ? SS_OK : SS_E_UNSUPPORTED);
    if (raw_every && !flat)
        ck_assert_mem_eq(pg, ssb_page(img, first), 4096);
    ck_assert_int_eq(ss_source_page(src, first + 1, &pg), SS_E_UNSUPPORTED);

    const char *data;
    size_t len;
    ck_assert_int_eq(ss_source_note(src, "VMCOREINFO", &data, &len), SS_OK);
    ck_assert_uint_eq(len, strlen(VMCI));
    ck_assert_mem_eq(data, VMCI, len);
    ck_assert_uint_eq(ss_source_cpu_count(src), 1);
    ss_cpu_state c;
    ck_assert_int_eq(ss_source_cpu(src, 0, &c), SS_OK);
    ck_assert_uint_eq(c.cr0, CR0_PG_PE);
    ck_assert_uint_eq(c.cr2, 0x42);
    ck_assert_uint_eq(c.cr3, cr3);
    ck_assert_uint_eq(c.cr4, cpu.cr4);
    ck_assert_uint_eq(c.efer, mode == SS_MODE_PAE ? 0 : 0x500);
    ss_dump_info info;
    ck_assert_int_eq(ss_source_info(src, &info), SS_OK);
    ck_assert_uint_eq(info.flags, SS_INFO_PAGING_MODE | SS_INFO_DTB);
    ck_assert_int_eq(info.paging_mode, mode);
    ck_assert_uint_eq(info.directory_table_base, cr3);
#ifdef HAVE_KDUMPFILE
    if (!flat) /* libkdumpfile 0.5 does not read flattened streams */
        ck_assert_msg(peer_compare(path, src, msg, sizeof msg) == 0, "libkdumpfile: %s", msg);
#endif
    ss_source_close(src);
    unlink(path);
    ssb_free(img);
}

static void roundtrip_method(ss_mode mode, int flat, unsigned raw_every, unsigned method)
{
    roundtrip_full(mode, flat, raw_every, method, 0, NULL);
}

/* The 32-bit header layout: i386 makedumpfile ("i686"), and QEMU for a guest not in
 * IA-32e mode, which still names the machine x86_64 (the mode must stay PAE). */
START_TEST(header_32bit)
{
    roundtrip_full(SS_MODE_PAE, 0, 3, SSW_ZLIB, 1, "i686");
    roundtrip_full(SS_MODE_PAE, 1, 0, SSW_ZLIB, 1, "x86_64");
    roundtrip_full(SS_MODE_PAE, 0, 0, SSW_ZLIB, 1, "x86_64");
}
END_TEST

static void roundtrip(ss_mode mode, int flat, unsigned raw_every)
{
    roundtrip_method(mode, flat, raw_every, SSW_ZLIB);
}

/* Every other method (tests/CMakeLists.txt refuses a test build that lacks one, unless
 * SS_TEST_PEERS_OPTIONAL, and then this test fails instead of passing unchecked). */
START_TEST(other_methods)
{
#if !defined(HAVE_SS_DEP_LZO2) || !defined(HAVE_SS_DEP_SNAPPY) || !defined(HAVE_SS_DEP_LIBZSTD)
    ck_abort_msg("the library was built without lzo, snappy or zstd: those kdump methods are not checked");
#else
    roundtrip_method(SS_MODE_X64, 0, 4, SSW_LZO);
    roundtrip_method(SS_MODE_LA57, 1, 0, SSW_SNAPPY);
    roundtrip_method(SS_MODE_X64, 0, 0, SSW_ZSTD);
#endif
}
END_TEST

START_TEST(plain_zlib_x64)
{
    roundtrip(SS_MODE_X64, 0, 0);
}
END_TEST

START_TEST(plain_mixed_la57)
{
    roundtrip(SS_MODE_LA57, 0, 3);
}
END_TEST

START_TEST(flattened_x64)
{
    roundtrip(SS_MODE_X64, 1, 5);
}
END_TEST

START_TEST(flattened_la57)
{
    roundtrip(SS_MODE_LA57, 1, 0);
}
END_TEST

/* ---- malformed files ---------------------------------------------------------- */

enum { BS = 4096 };

/* A small dump: pages 3 (compressed), 4 (raw), 9 (compressed) of a 1 MiB image. */
static uint8_t *small_kdump(int flat, size_t *len)
{
    ssb_image *img = ssb_new(SS_MODE_X64, 1 << 20, 1 << 19);
    ck_assert_ptr_nonnull(img);
    uint8_t page[4096];
    for (int p = 0; p < 3; p++) {
        static const uint64_t pfn[3] = {3, 4, 9};
        for (size_t i = 0; i < sizeof page; i++)
            page[i] = (uint8_t)(i / 16 + p);
        ck_assert_int_eq(ssb_write(img, pfn[p] * 4096, page, sizeof page), 0);
    }
    ssw_cpu cpu = {CR0_PG_PE, 0, 0x1000, CR4_PAE_ETC, CS_L};
    ssw_opts o = SSW_OPTS_INIT;
    o.cpus = &cpu;
    o.ncpus = 1;
    o.vmcoreinfo = VMCI;
    o.kdump_flat = flat;
    o.kdump_raw_every = 2; /* the 1st and 3rd dumped pages raw, the 2nd compressed */
    const char *path = ss_test_path("small.kdump");
    ck_assert_int_eq(ssw_write_kdump(img, path, &o), 0);
    ssw_save_seed("fuzz_kdump", flat ? "small-flat.kdump" : "small.kdump", path);
    ssb_free(img);
    uint8_t *b = ss_check_slurp(path, len);
    unlink(path);
    return b;
}

static uint32_t get32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}
static uint64_t get64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}
static void put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}
static void put64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, 8);
}

/* Offset of the page descriptors in a plain file. */
static uint64_t desc_off(const uint8_t *b)
{
    return (1 + (uint64_t)get32(b + 432) + get32(b + 436)) * BS;
}

static void expect(const uint8_t *data, size_t len, ss_status want)
{
    const char *path = ss_check_spit("bad.kdump", data, len);
    ss_source *src = ss_check_open("kdump:", path, want);
    ss_source_close(src);
    unlink(path);
}

/* Opens data and expects reading page pfn to fail with want (the page before it fine). */
static void expect_read(const uint8_t *data, size_t len, uint64_t pfn, ss_status want)
{
    const char *path = ss_check_spit("badpage.kdump", data, len);
    ss_source *src = ss_check_open("kdump:", path, SS_OK);
    uint8_t buf[BS];
    size_t got = 7;
    ck_assert_int_eq(ss_source_read(src, pfn * BS, buf, BS, &got), want);
    ck_assert_uint_eq(got, 0);
    ss_source_close(src);
    unlink(path);
}

START_TEST(malformed_plain)
{
    size_t len;
    uint8_t *f = small_kdump(0, &len), *c = malloc(len);
    ck_assert_ptr_nonnull(c);
    uint64_t d = desc_off(f);

    expect(f, len, SS_OK);
    expect(f, 300, SS_E_TRUNCATED);                      /* header cut */
    expect((const uint8_t *)"ELF? no.", 8, SS_E_FORMAT); /* forced on something else */
    memcpy(c, f, len), put32(c + 428, 3000);
    expect(c, len, SS_E_CORRUPT); /* block_size not a power of two */
    memcpy(c, f, len), put32(c + 436, 0);
    expect(c, len, SS_E_CORRUPT); /* no bitmap blocks */
    memcpy(c, f, len), put64(c + BS + 96, 1ull << 40);
    expect(c, len, SS_E_CORRUPT); /* max_mapnr beyond the bitmap */
    memcpy(c, f, len), put32(c + 436, 0x10000);
    expect(c, len, SS_E_TRUNCATED);    /* bitmap past EOF */
    expect(f, d + 30, SS_E_TRUNCATED); /* descriptor table past EOF */
    memcpy(c, f, len), put64(c + BS + 56, 1ull << 40);
    expect(c, len, SS_E_TRUNCATED); /* notes past EOF */
    memcpy(c, f, len), put32(c + get64(c + BS + 48) + 4, 0x7fffffff);
    expect(c, len, SS_E_CORRUPT); /* a note runs past its area */

    /* Per-page damage: the dump opens, and that page's read says SS_E_CORRUPT. */
    uint64_t pd1 = d + 24; /* pfn 4: compressed */
    memcpy(c, f, len), memset(c + get64(c + pd1), 0xee, 16);
    expect_read(c, len, 4, SS_E_CORRUPT); /* undecompressable */
    memcpy(c, f, len), put32(c + pd1 + 12, 0x3);
    expect_read(c, len, 4, SS_E_CORRUPT); /* two methods at once */
    memcpy(c, f, len), put64(c + pd1, (uint64_t)len + 10);
    expect_read(c, len, 4, SS_E_CORRUPT); /* data past EOF */
    memcpy(c, f, len), put32(c + pd1 + 8, BS + 1);
    expect_read(c, len, 4, SS_E_CORRUPT); /* size above block_size */
    memcpy(c, f, len), put32(c + d + 8, 100);
    expect_read(c, len, 3, SS_E_CORRUPT);        /* raw page shorter than a block */
    memcpy(c, f, len), put32(c + pd1 + 12, 0x4); /* snappy data that is really zlib */
    const char *path = ss_check_spit("snappy.kdump", c, len);
    ss_source *src = ss_check_open("kdump:", path, SS_OK);
    uint8_t buf[BS];
    size_t got;
#ifdef HAVE_SS_DEP_SNAPPY
    const ss_status snappy_bad = SS_E_CORRUPT;
#else
    const ss_status snappy_bad = SS_E_UNSUPPORTED; /* built without snappy */
#endif
    ck_assert_int_eq(ss_source_read(src, 4 * BS, buf, BS, &got), snappy_bad);
    /* missing pages and reads that stop at them */
    ck_assert_int_eq(ss_source_read(src, 5 * BS, buf, 8, &got), SS_E_NO_PAGE);
    ck_assert_int_eq(ss_source_read(src, 3 * BS + 4000, buf, BS, &got), snappy_bad);
    ck_assert_uint_eq(got, 96);
    ck_assert_int_eq(ss_source_read(src, 10 * BS, buf, 8, &got), SS_E_NO_PAGE); /* below max_mapnr */
    ck_assert_int_eq(ss_source_read(src, 256 * BS, buf, 8, &got), SS_E_RANGE);  /* past the machine */
    ss_source_close(src);
    unlink(path);
    free(c);
    free(f);
}
END_TEST

START_TEST(malformed_flattened)
{
    size_t len;
    uint8_t *f = small_kdump(1, &len), *c = malloc(len + 64);
    ck_assert_ptr_nonnull(c);
    expect(f, len, SS_OK);
    expect(f, 2000, SS_E_TRUNCATED);     /* flattened header cut */
    expect(f, len - 16, SS_E_TRUNCATED); /* no end marker */
    expect(f, len - 20, SS_E_TRUNCATED); /* last record cut */
    memcpy(c, f, len), c[16 + 7] = 2;
    expect(c, len, SS_E_UNSUPPORTED); /* type 2 */
    memcpy(c, f, len), c[4096] = 0x80;
    expect(c, len, SS_E_CORRUPT); /* negative offset */
    memcpy(c, f, len), c[4096 + 8] = 0x01;
    expect(c, len, SS_E_TRUNCATED); /* record size past EOF */
    /* a flattened stream holding something that is not a kdump (an ELF) */
    memcpy(c, f, 4096);
    uint8_t rec[16 + 64] = {0}, endm[16];
    rec[15] = 64;
    memcpy(rec + 16, "\177ELF", 4);
    memset(endm, 0xff, sizeof endm);
    memcpy(c + 4096, rec, sizeof rec);
    memcpy(c + 4096 + sizeof rec, endm, sizeof endm);
    expect(c, 4096 + sizeof rec + sizeof endm, SS_E_UNSUPPORTED);
    free(c);
    free(f);
}
END_TEST

/* Threads sharing one source: every thread decompresses (zstd takes and returns the
 * source's spare context concurrently) and must read exactly the image's bytes. */
typedef struct reader_arg {
    ss_source *src;
    const ssb_image *img;
    int failed;
    char msg[256];
} reader_arg;

/* makedumpfile stopped early (status DUMP_INCOMPLETE): a page whose descriptor is
 * still empty is neither in the ranges nor readable. */
START_TEST(incomplete_pages_left_out)
{
    size_t len;
    uint8_t *f = small_kdump(0, &len);
    uint64_t d = desc_off(f);
    put32(f + 424, get32(f + 424) | 0x8); /* status: DUMP_DH_COMPRESSED_INCOMPLETE */
    memset(f + d + 24, 0, 24);            /* pfn 4's descriptor: never written */
    const char *path = ss_check_spit("incomplete.kdump", f, len);
    ss_source *src = ss_check_open("kdump:", path, SS_OK);
    const ss_phys_range *r;
    size_t n;
    ck_assert_int_eq(ss_source_ranges(src, &r, &n), SS_OK);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(r[0].start, 3 * BS);
    ck_assert_uint_eq(r[0].size, BS);
    ck_assert_uint_eq(r[1].start, 9 * BS);
    ck_assert_uint_eq(r[1].size, BS);
    uint8_t buf[BS];
    size_t got;
    ck_assert_int_eq(ss_source_read(src, 3 * BS, buf, BS, &got), SS_OK);
    ck_assert_uint_eq(buf[16], 1); /* page 3 holds i / 16: byte 16 is 1 */
    ck_assert_int_eq(ss_source_read(src, 4 * BS, buf, BS, &got), SS_E_NO_PAGE);
    ck_assert_int_eq(ss_source_read(src, 9 * BS, buf, BS, &got), SS_OK);
    ck_assert_uint_eq(buf[0], 2);
    ss_source_close(src);
    /* the same empty descriptor in a dump that says it is complete is damage */
    put32(f + 424, get32(f + 424) & ~0x8u);
    expect_read(f, len, 4, SS_E_CORRUPT);
    unlink(path);
    free(f);
}
END_TEST

/*
 * Both header layouts fail: the message is the one of the reading that got
 * further. A 32-bit header whose max_mapnr (offset 428) is 4096 reads as a valid
 * 64-bit block_size, so the 64-bit reading gets past its first check too; the
 * 32-bit reading gets to the descriptor table, which is cut short.
 */
START_TEST(layout_complaint_is_the_real_one)
{
    ssb_image *img = ssb_new(SS_MODE_PAE, 16 << 20, 1 << 20);
    ck_assert_ptr_nonnull(img);
    uint8_t page[4096];
    memset(page, 0x5a, sizeof page);
    ck_assert_int_eq(ssb_write(img, 0x5000, page, sizeof page), 0);
    ssw_opts o = SSW_OPTS_INIT;
    o.kdump_32 = 1;
    o.kdump_machine = "i686";
    const char *path = ss_test_path("k32.kdump");
    ck_assert_int_eq(ssw_write_kdump(img, path, &o), 0);
    ssb_free(img);
    size_t len;
    uint8_t *f = ss_check_slurp(path, &len);
    ck_assert_uint_eq(get32(f + 428), 4096); /* the premise: 32-bit max_mapnr == a 64-bit block_size */
    uint64_t d = (1 + (uint64_t)get32(f + 420) + get32(f + 424)) * BS; /* 32-bit layout */
    const char *cut = ss_check_spit("k32-cut.kdump", f, d + 10);
    ss_error err;
    ss_source *src;
    ck_assert_int_eq(ss_source_open(cut, &src, &err), SS_E_TRUNCATED);
    ck_assert_msg(strstr(err.message, "page descriptors at") != NULL, "%s", err.message);
    unlink(cut);
    unlink(path);
    free(f);
}
END_TEST

static void *reader(void *p)
{
    reader_arg *a = p;
    for (int i = 0; i < 20 && !a->failed; i++) /* as in roundtrip: pages below the machine size are holes */
        a->failed = ssw_check_pages_to(a->src, a->img, ssb_size(a->img), a->msg, sizeof a->msg) != 0;
    return NULL;
}

static void shared_by_threads(unsigned method)
{
    uint64_t cr3, vas[64];
    size_t nvas;
    ssb_image *img = ssw_sample_image(SS_MODE_X64, &cr3, vas, &nvas);
    ssw_opts o = SSW_OPTS_INIT;
    o.kdump_method = method;
    const char *path = ss_test_path("threads.kdump");
    ck_assert_int_eq(ssw_write_kdump(img, path, &o), 0);
    ss_source *src = ss_check_open("kdump:", path, SS_OK);
    pthread_t t[4];
    reader_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (reader_arg){src, img, 0, ""};
        ck_assert_int_eq(pthread_create(&t[i], NULL, reader, &args[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        ck_assert_msg(!args[i].failed, "thread %d: %s", i, args[i].msg);
    }
    ss_source_close(src);
    unlink(path);
    ssb_free(img);
}

START_TEST(threads_share_a_source)
{
    shared_by_threads(SSW_ZLIB);
#ifdef HAVE_SS_DEP_LIBZSTD
    shared_by_threads(SSW_ZSTD);
#endif
}
END_TEST

int main(void)
{
    Suite *s = suite_create("backend_kdump");
    TCase *t = tcase_create("kdump");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, plain_zlib_x64);
    tcase_add_test(t, plain_mixed_la57);
    tcase_add_test(t, flattened_x64);
    tcase_add_test(t, flattened_la57);
    tcase_add_test(t, other_methods);
    tcase_add_test(t, header_32bit);
    tcase_add_test(t, malformed_plain);
    tcase_add_test(t, malformed_flattened);
    tcase_add_test(t, threads_share_a_source);
    tcase_add_test(t, incomplete_pages_left_out);
    tcase_add_test(t, layout_complaint_is_the_real_one);
    suite_add_tcase(s, t);
    return ss_run_suite(s);
}
