/*
 * The ELF backend: cores written by tests/support/elfwriter.c from the same image
 * as a raw file must read back page for page, translate the same, and carry their
 * notes and CPU states exactly; AUTO mode follows the CPU notes (x64 vs LA57, PAE,
 * CS.L); paging dumps with extended numbering; libkdumpfile reads the same bytes;
 * every malformed header gives its exact status.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elfwriter.h"
#include "kdumpfile_peer.h"
#include "ss_check.h"
#include "testutil.h"

#define CR0_PG_PE   0x80050033ull
#define CR4_PAE_ETC 0x6f0ull
#define CR4_LA57    (1ull << 12)
#define CS_L        (1u << 21)

/* As a Linux kernel writes it; pgtable_l5_enabled lets libkdumpfile set up x86_64. */
static const char *VMCI = "OSRELEASE=6.1.0-test\nPAGESIZE=4096\nSYMBOL(swapper_pg_dir)=ffffffff82a0a000\n"
                          "NUMBER(pgtable_l5_enabled)=0\n";
static const char *VMCI57 = "OSRELEASE=6.1.0-test\nPAGESIZE=4096\nNUMBER(pgtable_l5_enabled)=1\n";

static ss_source *open_ok(const char *spec)
{
    return ss_check_open("", spec, SS_OK);
}

static void expect_status(const char *path, ss_status want)
{
    ss_source_close(ss_check_open("elf:", path, want));
}

/* Writes img as ELF with opts, checks pages and translations against raw, returns the open source. */
static ss_source *roundtrip(ssb_image *img, const char *name, const ssw_opts *o, ss_mode mode, uint64_t cr3,
                            const uint64_t *vas, size_t nvas)
{
    const char *path = ss_test_path(name);
    ck_assert_int_eq(ssw_write_elf(img, path, o), 0);
    ss_source *src = open_ok(path); /* sniffed */
    ck_assert_int_eq(ss_source_format(src), SS_FORMAT_ELF);
    char msg[256];
    ck_assert_msg(ssw_check_pages(src, img, msg, sizeof msg) == 0, "%s", msg);
    ss_source *raw = ss_test_open_raw(img, "elf-peer.raw");
    ck_assert_ptr_nonnull(raw);
    if (o->ncpus && (o->cpus[0].cr0 >> 31))
        ck_assert_msg(ssw_check_translations(raw, src, mode, cr3, vas, nvas, msg, sizeof msg) == 0, "%s",
                      msg);
    ss_source_close(raw);
#ifdef HAVE_KDUMPFILE
    if (o->elf_class != 32 && o->machine != 3) /* libkdumpfile: x86_64 cores only */
        ck_assert_msg(peer_compare(path, src, msg, sizeof msg) == 0, "libkdumpfile: %s", msg);
#endif
    unlink(path);
    return src;
}

static void check_runs(ss_source *src, const ssb_image *img)
{
    char msg[256];
    ck_assert_msg(ssw_check_ranges(src, img, msg, sizeof msg) == 0, "%s", msg);
}

START_TEST(elf64_x64_matches_raw)
{
    uint64_t cr3, vas[64];
    size_t nvas;
    ssb_image *img = ssw_sample_image(SS_MODE_X64, &cr3, vas, &nvas);
    ck_assert_ptr_nonnull(img);
    ssw_cpu cpus[2] = {{CR0_PG_PE, 0x1234, cr3 | 0x5, CR4_PAE_ETC, CS_L},
                       {CR0_PG_PE, 0, 0x777000, CR4_PAE_ETC, 0}};
    ssw_opts o = SSW_OPTS_INIT;
    o.cpus = cpus;
    o.ncpus = 2;
    o.vmcoreinfo = VMCI;
    ss_source *src = roundtrip(img, "x64.elf", &o, SS_MODE_X64, cr3, vas, nvas);
    check_runs(src, img);

    const char *data;
    size_t len;
    ck_assert_int_eq(ss_source_note(src, "VMCOREINFO", &data, &len), SS_OK);
    ck_assert_uint_eq(len, strlen(VMCI));
    ck_assert_mem_eq(data, VMCI, len);
    ck_assert_int_eq(ss_source_note(src, "NOPE", &data, &len), SS_E_NOT_FOUND);

    ck_assert_uint_eq(ss_source_cpu_count(src), 2);
    ss_cpu_state c;
    ck_assert_int_eq(ss_source_cpu(src, 0, &c), SS_OK);
    ck_assert_uint_eq(c.index, 0);
    ck_assert_uint_eq(c.cr0, CR0_PG_PE);
    ck_assert_uint_eq(c.cr2, 0x1234);
    ck_assert_uint_eq(c.cr3, cr3 | 0x5);
    ck_assert_uint_eq(c.cr4, CR4_PAE_ETC);
    ck_assert_uint_eq(c.efer, 0x500); /* LMA | LME synthesised */
    ck_assert_int_eq(ss_source_cpu(src, 1, &c), SS_OK);
    ck_assert_uint_eq(c.index, 1);
    ck_assert_uint_eq(c.cr3, 0x777000);
    ck_assert_uint_eq(c.efer, 0x500); /* EM_X86_64 says IA-32e even without CS.L */
    ck_assert_int_eq(ss_source_cpu(src, 2, &c), SS_E_INVALID_ARG);

    ss_dump_info info;
    ck_assert_int_eq(ss_source_info(src, &info), SS_OK);
    ck_assert_uint_eq(info.flags, SS_INFO_PAGING_MODE | SS_INFO_DTB);
    ck_assert_int_eq(info.paging_mode, SS_MODE_X64);
    ck_assert_uint_eq(info.directory_table_base, cr3 | 0x5);
    ss_source_close(src);
    ssb_free(img);
}
END_TEST

START_TEST(elf64_la57_auto_mode)
{
    uint64_t cr3, vas[64];
    size_t nvas;
    ssb_image *img = ssw_sample_image(SS_MODE_LA57, &cr3, vas, &nvas);
    ck_assert_ptr_nonnull(img);
    ssw_cpu cpu = {CR0_PG_PE, 0, cr3, CR4_PAE_ETC | CR4_LA57, CS_L};
    ssw_opts o = SSW_OPTS_INIT;
    o.cpus = &cpu;
    o.ncpus = 1;
    o.vmcoreinfo = VMCI57;
    ss_source *src = roundtrip(img, "la57.elf", &o, SS_MODE_LA57, cr3, vas, nvas);
    ss_dump_info info;
    ck_assert_int_eq(ss_source_info(src, &info), SS_OK);
    ck_assert_int_eq(info.paging_mode, SS_MODE_LA57);

    /* A 5-level translation from the dump, checked against what the image holds. */
    ss_space *sp;
    ck_assert_int_eq(ss_space_open(src, SS_MODE_AUTO, cr3, NULL, &sp), SS_OK);
    ck_assert_int_eq(ss_space_mode(sp), SS_MODE_LA57);
    ss_xlat x;
    ck_assert_int_eq(ss_space_walk(sp, 0x00f0000000000abcull, &x), SS_OK);
    ck_assert_uint_eq(x.pa, 0x800abc);
    ck_assert_uint_eq(x.nentries, 5);
    ck_assert_int_eq(ss_space_walk(sp, 0xff10000000001ff8ull, &x), SS_OK);
    ck_assert_uint_eq(x.pa, 0x803ff8);
    ck_assert_int_eq(ss_space_walk(sp, 0x0080000000000000ull, &x), SS_E_NOT_PRESENT);
    ck_assert_int_eq(x.state, SS_XLAT_NOT_PRESENT);
    ck_assert_uint_eq(x.level, SS_LEVEL_PML5E);
    ss_space_close(sp);
    ss_source_close(src);
    ssb_free(img);
}
END_TEST

START_TEST(elf32_pae_and_cs_l)
{
    uint64_t cr3, vas[64];
    size_t nvas;
    ssb_image *img = ssw_sample_image(SS_MODE_PAE, &cr3, vas, &nvas);
    ck_assert_ptr_nonnull(img);
    ssw_cpu cpu = {CR0_PG_PE, 0, cr3, CR4_PAE_ETC, 0};
    ssw_opts o = SSW_OPTS_INIT;
    o.elf_class = 32;
    o.cpus = &cpu;
    o.ncpus = 1;
    o.vmcoreinfo = VMCI;
    ss_source *src = roundtrip(img, "pae.elf", &o, SS_MODE_PAE, cr3, vas, nvas);
    check_runs(src, img);
    ss_cpu_state c;
    ck_assert_int_eq(ss_source_cpu(src, 0, &c), SS_OK);
    ck_assert_uint_eq(c.efer, 0);
    const char *data;
    size_t len;
    ck_assert_int_eq(ss_source_note(src, "VMCOREINFO", &data, &len), SS_OK);
    ck_assert_uint_eq(len, strlen(VMCI));
    ss_source_close(src);
    ssb_free(img);

    /* EM_386 in a 64-bit ELF (QEMU: RAM past 4 GiB, not in IA-32e): only CS.L says long mode. */
    img = ssw_sample_image(SS_MODE_X64, &cr3, vas, &nvas);
    ck_assert_ptr_nonnull(img);
    ssw_cpu l = {CR0_PG_PE, 0, cr3, CR4_PAE_ETC, CS_L};
    o = (ssw_opts)SSW_OPTS_INIT;
    o.machine = 3;
    o.cpus = &l;
    o.ncpus = 1;
    src = roundtrip(img, "em386-l.elf", &o, SS_MODE_X64, cr3, vas, nvas);
    ss_source_close(src);
    l.cs_flags = 0;
    const char *path = ss_test_path("em386.elf");
    ck_assert_int_eq(ssw_write_elf(img, path, &o), 0);
    src = open_ok(path);
    ss_dump_info info;
    ck_assert_int_eq(ss_source_info(src, &info), SS_OK);
    ck_assert_int_eq(info.paging_mode, SS_MODE_PAE);
    ss_source_close(src);
    unlink(path);
    ssb_free(img);
}
END_TEST

START_TEST(paging_dump_extended_numbering)
{
    uint64_t cr3, vas[64];
    size_t nvas;
    ssb_image *img = ssw_sample_image(SS_MODE_X64, &cr3, vas, &nvas);
    ck_assert_ptr_nonnull(img);
    ssw_cpu cpu = {CR0_PG_PE, 0, cr3, CR4_PAE_ETC, CS_L};
    ssw_opts o = SSW_OPTS_INIT;
    o.cpus = &cpu;
    o.ncpus = 1;
    o.vmcoreinfo = VMCI;
    o.min_phdrs = 70000; /* > 65,534: e_phnum = PN_XNUM, count in section 0 */
    const char *path = ss_test_path("paging.elf");
    ck_assert_int_eq(ssw_write_elf(img, path, &o), 0);
    size_t len;
    uint8_t *b = ss_check_slurp(path, &len);
    ck_assert_uint_eq(b[56] | b[57] << 8, 0xffff);
    free(b);
    ss_source *src = roundtrip(img, "paging.elf", &o, SS_MODE_X64, cr3, vas, nvas);
    check_runs(src, img); /* 70,000 overlapping PT_LOADs collapse to the same runs */
    ss_source_close(src);
    ssb_free(img);
}
END_TEST

START_TEST(no_notes_and_memsz_tail)
{
    uint64_t cr3, vas[64];
    size_t nvas;
    ssb_image *img = ssw_sample_image(SS_MODE_X64, &cr3, vas, &nvas);
    ck_assert_ptr_nonnull(img);
    ssw_opts o = SSW_OPTS_INIT;
    o.tail_memsz = 3 * 4096;
    const char *path = ss_test_path("nonotes.elf");
    ck_assert_int_eq(ssw_write_elf(img, path, &o), 0);
    ss_source *src = open_ok(path);
    ck_assert_uint_eq(ss_source_cpu_count(src), 0);
    ss_dump_info info;
    ck_assert_int_eq(ss_source_info(src, &info), SS_OK);
    ck_assert_uint_eq(info.flags, 0);
    const char *data;
    size_t len;
    ck_assert_int_eq(ss_source_note(src, "VMCOREINFO", &data, &len), SS_E_NOT_FOUND);
    ss_space *sp = (ss_space *)1;
    ck_assert_int_eq(ss_space_open(src, SS_MODE_AUTO, cr3, NULL, &sp), SS_E_UNSUPPORTED);

    /* p_memsz past p_filesz: those pages are absent, not zeros and not "past the end" */
    uint64_t end = ss_source_max_pa(src);
    uint8_t buf[16];
    size_t got = 9;
    ck_assert_int_eq(ss_source_read(src, end, buf, 8, &got), SS_E_NO_PAGE);
    ck_assert_uint_eq(got, 0);
    ck_assert_int_eq(ss_source_read(src, end + 2 * 4096 + 100, buf, 8, &got), SS_E_NO_PAGE);
    ck_assert_int_eq(ss_source_read(src, end + 3 * 4096, buf, 8, &got), SS_E_RANGE);
    const uint8_t *pg;
    ck_assert_int_eq(ss_source_page(src, end / 4096, &pg), SS_E_NO_PAGE);
    ck_assert_int_eq(ss_source_page(src, end / 4096 + 3, &pg), SS_E_RANGE);
    ss_source_close(src);
    unlink(path);
    ssb_free(img);
}
END_TEST

/* ---- malformed files ---------------------------------------------------------- */

typedef struct elf_file {
    uint8_t *b;
    size_t len;
    uint64_t phoff;
    unsigned phnum;
} elf_file;

static elf_file small_elf(void)
{
    ssb_image *img = ssb_new(SS_MODE_X64, 1 << 20, 1 << 19);
    ck_assert_ptr_nonnull(img);
    uint64_t root = ssb_new_root(img);
    uint8_t page[4096];
    memset(page, 0x5a, sizeof page);
    ck_assert_int_eq(ssb_write(img, 0x3000, page, sizeof page), 0);
    ck_assert_int_eq(ssb_map(img, root, 0x400000, 0x3000, 4096, SSB_RW), 0);
    ssw_cpu cpu = {CR0_PG_PE, 0, root, CR4_PAE_ETC, CS_L};
    ssw_opts o = SSW_OPTS_INIT;
    o.cpus = &cpu;
    o.ncpus = 1;
    o.vmcoreinfo = VMCI;
    const char *path = ss_test_path("small.elf");
    ck_assert_int_eq(ssw_write_elf(img, path, &o), 0);
    ssw_save_seed("fuzz_elf", "small.elf", path);
    o.min_phdrs = 40;
    const char *p2 = ss_test_path("small-paging.elf");
    ck_assert_int_eq(ssw_write_elf(img, p2, &o), 0);
    ssw_save_seed("fuzz_elf", "small-paging.elf", p2);
    unlink(p2);
    ssb_free(img);
    elf_file f;
    f.b = ss_check_slurp(path, &f.len);
    unlink(path);
    f.phoff = 64;
    f.phnum = f.b[56] | f.b[57] << 8;
    return f;
}

static void put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}
static void put64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, 8);
}

static void mutate_expect(const elf_file *f, size_t len, void (*mut)(uint8_t *, const elf_file *),
                          ss_status want)
{
    uint8_t *c = malloc(f->len);
    ck_assert_ptr_nonnull(c);
    memcpy(c, f->b, f->len);
    mut(c, f);
    const char *path = ss_check_spit("bad.elf", c, len);
    expect_status(path, want);
    unlink(path);
    free(c);
}

static void m_none(uint8_t *b, const elf_file *f)
{
    (void)b, (void)f;
}
static void m_class(uint8_t *b, const elf_file *f)
{
    (void)f, b[4] = 3;
}
static void m_bigendian(uint8_t *b, const elf_file *f)
{
    (void)f, b[5] = 2;
}
static void m_exec(uint8_t *b, const elf_file *f)
{
    (void)f, b[16] = 2;
}
static void m_nophdr(uint8_t *b, const elf_file *f)
{
    (void)f, b[56] = b[57] = 0;
}
static void m_phentsize(uint8_t *b, const elf_file *f)
{
    (void)f, b[54] = 10, b[55] = 0;
}
static void m_phoff(uint8_t *b, const elf_file *f)
{
    (void)f, put64(b + 32, f->len - 8);
}
static void m_phnum_huge(uint8_t *b, const elf_file *f)
{
    (void)f, b[56] = 0xfe, b[57] = 0xff;
}
/* program header 1 is the first PT_LOAD; 0 is the PT_NOTE */
static void m_load_past_eof(uint8_t *b, const elf_file *f)
{
    put64(b + f->phoff + 56 + 8, f->len - 100);
}
static void m_filesz_gt_memsz(uint8_t *b, const elf_file *f)
{
    put64(b + f->phoff + 56 + 40, 4096 - 1);
}
static void m_paddr_wraps(uint8_t *b, const elf_file *f)
{
    put64(b + f->phoff + 56 + 24, UINT64_MAX - 4095);
}
static void m_no_load(uint8_t *b, const elf_file *f)
{
    for (unsigned i = 1; i < f->phnum; i++)
        put32(b + f->phoff + 56 * i, 6); /* PT_PHDR */
}
static void m_note_past(uint8_t *b, const elf_file *f)
{
    uint64_t off;
    memcpy(&off, b + f->phoff + 8, 8);
    put32(b + off + 4, 0x100000); /* first note's descsz */
}
static void m_qemu_short(uint8_t *b, const elf_file *f)
{
    uint64_t off, sz;
    memcpy(&off, b + f->phoff + 8, 8);
    memcpy(&sz, b + f->phoff + 32, 8);
    put32(b + off + 4, 200); /* QEMU note of 200 bytes: shorter than CR0..CR4 */
    (void)sz;
}
static void m_xnum_no_sh(uint8_t *b, const elf_file *f)
{
    (void)f, b[56] = b[57] = 0xff;
}
static void m_xnum_sh_past(uint8_t *b, const elf_file *f)
{
    b[56] = b[57] = 0xff;
    put64(b + 40, f->len - 10);
    b[58] = 64, b[59] = 0;
}
static void m_xnum_absurd(uint8_t *b, const elf_file *f)
{
    b[56] = b[57] = 0xff;
    put64(b + 40, f->phoff + 56 * 1); /* section header 0 overlays the PT_LOAD header: sh_info at +44 */
    b[58] = 64, b[59] = 0;
    put32(b + f->phoff + 56 + 44, 0xffffffffu);
}

START_TEST(malformed_headers)
{
    elf_file f = small_elf();
    mutate_expect(&f, f.len, m_none, SS_OK); /* the unmodified file opens */
    mutate_expect(&f, 30, m_none, SS_E_TRUNCATED);
    mutate_expect(&f, 3, m_none, SS_E_FORMAT);
    mutate_expect(&f, f.len, m_class, SS_E_CORRUPT);
    mutate_expect(&f, f.len, m_bigendian, SS_E_UNSUPPORTED);
    mutate_expect(&f, f.len, m_exec, SS_E_UNSUPPORTED);
    mutate_expect(&f, f.len, m_nophdr, SS_E_CORRUPT);
    mutate_expect(&f, f.len, m_phentsize, SS_E_CORRUPT);
    mutate_expect(&f, f.len, m_phoff, SS_E_TRUNCATED);
    mutate_expect(&f, f.len, m_phnum_huge, SS_E_TRUNCATED);
    mutate_expect(&f, f.len, m_load_past_eof, SS_E_TRUNCATED);
    mutate_expect(&f, f.len - 4096, m_none, SS_E_TRUNCATED); /* file cut inside the data */
    mutate_expect(&f, f.len, m_filesz_gt_memsz, SS_E_CORRUPT);
    mutate_expect(&f, f.len, m_paddr_wraps, SS_E_CORRUPT);
    mutate_expect(&f, f.len, m_no_load, SS_E_CORRUPT);
    mutate_expect(&f, f.len, m_note_past, SS_E_CORRUPT);
    mutate_expect(&f, f.len, m_qemu_short, SS_E_CORRUPT);
    mutate_expect(&f, f.len, m_xnum_no_sh, SS_E_CORRUPT);
    mutate_expect(&f, f.len, m_xnum_sh_past, SS_E_TRUNCATED);
    mutate_expect(&f, f.len, m_xnum_absurd, SS_E_TRUNCATED);
    free(f.b);
}
END_TEST

Suite *elf_suite(void);
Suite *elf_suite(void)
{
    Suite *s = suite_create("backend_elf");
    TCase *t = tcase_create("elf");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, elf64_x64_matches_raw);
    tcase_add_test(t, elf64_la57_auto_mode);
    tcase_add_test(t, elf32_pae_and_cs_l);
    tcase_add_test(t, paging_dump_extended_numbering);
    tcase_add_test(t, no_notes_and_memsz_tail);
    tcase_add_test(t, malformed_headers);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return ss_run_suite(elf_suite());
}
