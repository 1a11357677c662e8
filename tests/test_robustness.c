/*
 * Hostile inputs found by review: files whose headers make a naive reader spend
 * time or memory out of proportion to their size, and backends that break their
 * contract. Each must fail fast with a specific status (or be tolerated) — never
 * hang, allocate from a header count or read out of bounds.
 *
 * The files are built byte by byte here from the format layouts (gABI ELF; the
 * makedumpfile flattened and diskdump layouts described in backend/kdump.c).
 */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sessionspace.h"
#include "sessionspace/sys/backend.h"
#include "ss_check.h"
#include "testutil.h"

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static void putbe64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (56 - 8 * i));
}

/* Writes buf to a test file and opens it with spec prefix; returns the status. */
static ss_status open_bytes(const char *prefix, const char *name, const uint8_t *buf, size_t len,
                            ss_error *err)
{
    const char *path = ss_test_path(name);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(buf, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
    char spec[700];
    snprintf(spec, sizeof spec, "%s%s", prefix, path);
    ss_source *src = NULL;
    ss_status st = ss_source_open(spec, &src, err);
    ss_source_close(src);
    unlink(path);
    return st;
}

/* ---- ELF ------------------------------------------------------------------------ */

enum { EH = 64, PH = 56 };

static void elf64_header(uint8_t *h, uint64_t phoff, uint16_t phnum)
{
    memcpy(h, "\177ELF", 4);
    h[4] = 2; /* ELFCLASS64 */
    h[5] = 1; /* little-endian */
    h[6] = 1;
    put16(h + 16, 4);  /* ET_CORE */
    put16(h + 18, 62); /* EM_X86_64 */
    put32(h + 20, 1);
    put64(h + 32, phoff);
    put16(h + 52, EH);
    put16(h + 54, PH);
    put16(h + 56, phnum);
}

static void elf64_phdr(uint8_t *p, uint32_t type, uint64_t off, uint64_t paddr, uint64_t filesz)
{
    put32(p, type);
    put64(p + 8, off);
    put64(p + 16, paddr);
    put64(p + 24, paddr);
    put64(p + 32, filesz);
    put64(p + 40, filesz);
}

/*
 * 6,000 PT_NOTE headers all naming one 600 KiB note area of 51,200 empty notes:
 * parsing each header's area would record 300 million notes (12 GB) for a 1 MiB
 * file. The overlap is reported instead.
 */
START_TEST(elf_overlapping_notes)
{
    const size_t nph = 6000, area = 600 * 1024, npage = 4096;
    size_t phoff = EH, area_off = phoff + (nph + 1) * PH, load_off = area_off + area;
    size_t len = load_off + npage;
    uint8_t *b = calloc(1, len);
    ck_assert_ptr_nonnull(b);
    elf64_header(b, phoff, (uint16_t)(nph + 1));
    elf64_phdr(b + phoff, 1 /* PT_LOAD */, load_off, 0, npage);
    for (size_t i = 1; i <= nph; i++)
        elf64_phdr(b + phoff + i * PH, 4 /* PT_NOTE */, area_off, 0, area);
    for (size_t o = 0; o + 12 <= area; o += 12)
        put32(b + area_off + o + 8, 1); /* namesz 0, descsz 0, type 1: an empty note */
    ss_error err;
    ck_assert_int_eq(open_bytes("elf:", "notes.elf", b, len, &err), SS_E_CORRUPT);
    ck_assert_msg(strstr(err.message, "PT_NOTE segments overlap"), "%s", err.message);

    /* the same file with the PT_NOTEs cut to one disjoint slice each still opens */
    for (size_t i = 1; i <= nph; i++)
        elf64_phdr(b + phoff + i * PH, 4, area_off + (i - 1) * 96, 0, 96);
    ck_assert_int_eq(open_bytes("elf:", "notes2.elf", b, len, &err), SS_OK);
    free(b);
}
END_TEST

/* Extended numbering: a 4 KiB file whose section header 0 claims 2^32 - 1 program headers. */
START_TEST(elf_xnum_huge_count)
{
    uint8_t b[4096] = {0};
    elf64_header(b, EH, 0xffff);
    put64(b + 40, 128);       /* e_shoff */
    put16(b + 58, 64);        /* e_shentsize */
    put32(b + 128 + 44, ~0u); /* sh_info */
    ss_error err;
    ck_assert_int_eq(open_bytes("elf:", "xnum.elf", b, sizeof b, &err), SS_E_TRUNCATED);
    ck_assert_msg(strstr(err.message, "4294967295 program headers"), "%s", err.message);
}
END_TEST

/* ---- kdump (flattened) -------------------------------------------------------------- */

typedef struct flat {
    uint8_t *b;
    size_t len, cap;
} flat;

static void flat_put(flat *f, const void *p, size_t n)
{
    if (f->len + n > f->cap) {
        f->cap = (f->len + n) * 2;
        f->b = realloc(f->b, f->cap);
        ck_assert_ptr_nonnull(f->b);
    }
    memcpy(f->b + f->len, p, n);
    f->len += n;
}

static void flat_record(flat *f, uint64_t off, const void *data, uint64_t size)
{
    uint8_t h[16];
    putbe64(h, off);
    putbe64(h + 8, size);
    flat_put(f, h, 16);
    if (data)
        flat_put(f, data, (size_t)size);
}

/*
 * A 10 KiB flattened stream whose records reach logical offset 2^50: the header
 * claims 2^40 pages and 2^26 bitmap blocks, which fit the *logical* size. The
 * bitmap bytes are not in the file, so the dump is truncated; the reader must say
 * so before allocating a 128 GiB bitmap (it used to fail with SS_E_NOMEM, or with
 * overcommit, allocate it). Likewise a VMCOREINFO of 2^45 bytes.
 */
static flat sparse_kdump(uint64_t max_mapnr, uint32_t bitmap_blocks, uint64_t vi_len)
{
    flat f = {0};
    uint8_t hdr[4096] = {0};
    memcpy(hdr, "makedumpfile", 13);
    putbe64(hdr + 16, 1);
    putbe64(hdr + 24, 1);
    flat_put(&f, hdr, sizeof hdr);
    uint8_t dh[4096] = {0};
    memcpy(dh, "KDUMP   ", 8);
    put32(dh + 8, 6);      /* header_version */
    put32(dh + 428, 4096); /* block_size (64-bit layout) */
    put32(dh + 432, 1);    /* sub_hdr_size */
    put32(dh + 436, bitmap_blocks);
    flat_record(&f, 0, dh, sizeof dh);
    uint8_t sh[104] = {0};
    put64(sh + 32, 1ull << 49); /* offset_vmcoreinfo */
    put64(sh + 40, vi_len);
    put64(sh + 96, max_mapnr); /* max_mapnr_64 */
    flat_record(&f, 4096, sh, sizeof sh);
    uint8_t one = 0xff;
    flat_record(&f, 1ull << 50, &one, 1); /* stretches the logical file */
    flat_record(&f, ~0ull, NULL, ~0ull);  /* end marker */
    return f;
}

START_TEST(kdump_flat_sparse_bitmap)
{
    flat f = sparse_kdump(1ull << 40, 1u << 26, 0);
    ss_error err;
    ck_assert_int_eq(open_bytes("kdump:", "sparse.kdump", f.b, f.len, &err), SS_E_TRUNCATED);
    ck_assert_msg(strstr(err.message, "bitmap"), "%s", err.message);
    free(f.b);
}
END_TEST

START_TEST(kdump_flat_sparse_vmcoreinfo)
{
    /* 8 pages, bitmap blocks in the file (2 blocks of zeros), VMCOREINFO 2^45 bytes not in it */
    flat f = sparse_kdump(8, 2, 1ull << 45);
    static uint8_t zeros[2 * 4096];
    /* insert the bitmap record before the end marker */
    f.len -= 16;
    flat_record(&f, 2 * 4096, zeros, sizeof zeros);
    flat_record(&f, ~0ull, NULL, ~0ull);
    ss_error err;
    ck_assert_int_eq(open_bytes("kdump:", "sparse-vi.kdump", f.b, f.len, &err), SS_E_TRUNCATED);
    ck_assert_msg(strstr(err.message, "VMCOREINFO"), "%s", err.message);
    free(f.b);
}
END_TEST

/* ---- custom backends that break the read() contract --------------------------------- */

typedef struct liar {
    int mode; /* what read() does, see liar_read */
    uint8_t mem[3 * 4096];
    ss_phys_range range;
} liar;

static ss_status liar_read(void *ctx, uint64_t pa, void *buf, size_t len, size_t *nread)
{
    liar *l = ctx;
    size_t n = pa < sizeof l->mem ? sizeof l->mem - (size_t)pa : 0;
    if (n > len)
        n = len;
    if (n)
        memcpy(buf, l->mem + pa, n);
    switch (l->mode) {
    case 0: *nread = 0; return SS_OK;                /* "success", nothing stored */
    case 1: *nread = n; return (ss_status)7;         /* a positive "status" */
    case 2: *nread = n; return (ss_status)-1000;     /* a code that does not exist */
    default: *nread = (size_t)1 << 40; return SS_OK; /* more than asked for */
    }
}

static ss_status liar_ranges(void *ctx, const ss_phys_range **ranges, size_t *count)
{
    liar *l = ctx;
    *ranges = &l->range;
    *count = 1;
    return SS_OK;
}

START_TEST(backend_contract_breakers)
{
    static liar l;
    memset(&l, 0, sizeof l);
    l.mode = _i;
    l.range = (ss_phys_range){0, sizeof l.mem};
    /* a valid x64 mapping: VA 0 -> page 2, tables at 0 (PML4, PDPT, PD, PT all page 1's entries) */
    uint64_t e_tab = 0x1000 | 3, e_leaf = 0x2000 | 3;
    memcpy(l.mem, &e_tab, 8);          /* PML4[0] -> page 1 */
    memcpy(l.mem + 0x1000, &e_tab, 8); /* PDPT[0], PD[0] -> page 1 */
    memcpy(l.mem + 0x1000 + 8, &e_leaf, 8);
    memset(l.mem + 0x2000, 0x5a, 4096);
    ss_backend_ops ops = SS_BACKEND_OPS_INIT;
    ops.name = "liar";
    ops.read = liar_read;
    ops.ranges = liar_ranges;
    ss_source *src;
    ck_assert_int_eq(ss_source_from_backend(&ops, &l, SS_FORMAT_CUSTOM, &src, NULL), SS_OK);

    uint8_t buf[64];
    size_t got = 12345;
    ss_status st = ss_source_read(src, 0x2000, buf, sizeof buf, &got);
    ck_assert_uint_le(got, sizeof buf);
    ck_assert_str_ne(ss_strerror(st), "unknown status code");
    if (_i == 0)
        ck_assert_int_eq(st, SS_E_SHORT_READ);
    else if (_i < 3)
        ck_assert_int_eq(st, SS_E_IO);

    ss_space *sp;
    ck_assert_int_eq(ss_space_open(src, SS_MODE_X64, 0, NULL, &sp), SS_OK);
    ss_xlat x;
    st = ss_space_walk(sp, 0x1000 /* PML4 0, PDPT 0, PD 0, PT 1 */, &x);
    if (_i == 0) { /* no entry bytes were stored: the entry could not be read, it is not zero */
        ck_assert_int_eq(st, SS_E_PT_READ);
        ck_assert_int_eq(x.state, SS_XLAT_READ_ERROR);
    } else if (_i < 3) {
        ck_assert_int_eq(st, SS_E_PT_READ);
    } else { /* entries are read into an 8-byte buffer whatever nread says */
        ck_assert_int_eq(st, SS_OK);
        ck_assert_uint_eq(x.pa, 0x2000);
    }
    uint64_t pa;
    ck_assert_int_eq(ss_translate(sp, 0x1000, &pa), st);
    ss_space_close(sp);
    ss_source_close(src);
}
END_TEST

/* ---- documented argument checks ----------------------------------------------------- */

static ss_status weird_info(void *ctx, ss_dump_info *info)
{
    (void)ctx;
    info->flags = SS_INFO_PAGING_MODE;
    info->paging_mode = (ss_mode)99; /* not a mode */
    return SS_OK;
}

START_TEST(space_open_checks)
{
    static liar l;
    memset(&l, 0, sizeof l);
    l.mode = 3;
    l.range = (ss_phys_range){0, sizeof l.mem};
    ss_backend_ops ops = SS_BACKEND_OPS_INIT;
    ops.name = "weird";
    ops.read = liar_read;
    ops.ranges = liar_ranges;
    ops.info = weird_info;
    ss_source *src;
    ck_assert_int_eq(ss_source_from_backend(&ops, &l, SS_FORMAT_CUSTOM, &src, NULL), SS_OK);
    ss_space *sp = (ss_space *)&l;
    /* a backend's bogus mode is "the source does not know its mode", not a bad dtb */
    ck_assert_int_eq(ss_space_open(src, SS_MODE_AUTO, 0, NULL, &sp), SS_E_UNSUPPORTED);
    ck_assert_ptr_null(sp);
    /* cache_entries above 2^28 is invalid even with no_cache (space.h) */
    ss_space_options o = SS_SPACE_OPTIONS_INIT;
    o.no_cache = 1;
    o.cache_entries = (1u << 28) + 1;
    ck_assert_int_eq(ss_space_open(src, SS_MODE_X64, 0, &o, &sp), SS_E_INVALID_ARG);
    o.cache_entries = 1u << 28;
    ck_assert_int_eq(ss_space_open(src, SS_MODE_X64, 0, &o, &sp), SS_OK);
    ss_space_close(sp);
    ss_source_close(src);
}
END_TEST

static Suite *robustness_suite(void)
{
    Suite *s = suite_create("robustness");
    TCase *tc = tcase_create("files");
    tcase_add_test(tc, elf_overlapping_notes);
    tcase_add_test(tc, elf_xnum_huge_count);
    tcase_add_test(tc, kdump_flat_sparse_bitmap);
    tcase_add_test(tc, kdump_flat_sparse_vmcoreinfo);
    suite_add_tcase(s, tc);
    tc = tcase_create("backends");
    tcase_add_loop_test(tc, backend_contract_breakers, 0, 4);
    tcase_add_test(tc, space_open_checks);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ss_run_suite(robustness_suite());
}
