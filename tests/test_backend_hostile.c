/*
 * Files that change or lie: a dump truncated while it is open (SS_OPEN_PREAD gives
 * SS_E_TRUNCATED, never SIGBUS), paths that are not regular files (a FIFO must not
 * block the open), header-only and triage crash dumps (their header reads, their
 * memory does not), headers that declare gigabytes in a small sparse file, and the
 * messages: control bytes from a file escaped, long paths shortened so the reason
 * stays, each field named for what it is.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dmpwriter.h"
#include "elfwriter.h"
#include "ss_check.h"
#include "testutil.h"

#define KiB 1024ull
#define MiB (1024ull * KiB)
#define GiB (1024ull * MiB)

static const uint64_t VA = 0xfffff99b3c078000ull; /* a session-space page */
static const uint64_t DATA_PA = 0x300000;         /* the page VA maps */

/* An x64 image of 4 MiB: tables from 1 MiB, VA -> DATA_PA, that page patterned. */
static ssb_image *world(uint64_t *root)
{
    ssb_image *img = ssb_new(SS_MODE_X64, 4 * MiB, 1 * MiB);
    ck_assert_ptr_nonnull(img);
    *root = ssb_new_root(img);
    ck_assert_int_eq(ssb_map(img, *root, VA, DATA_PA, 4096, SSB_RW), 0);
    uint8_t page[4096];
    for (size_t i = 0; i < sizeof page; i++)
        page[i] = (uint8_t)(i * 7 + 3);
    ck_assert_int_eq(ssb_write(img, DATA_PA, page, sizeof page), 0);
    return img;
}

static ss_source *open_pread(const char *spec, ss_status want)
{
    ss_open_options o = SS_OPEN_OPTIONS_INIT;
    o.flags = SS_OPEN_PREAD;
    ss_source *src = (ss_source *)1;
    ss_error err = {0};
    ss_status st = ss_source_open_ex(spec, &o, &src, &err);
    ck_assert_msg(st == want, "%s: got %s (%s), want %s", spec, ss_status_name(st), err.message,
                  ss_status_name(want));
    return st == SS_OK ? src : NULL;
}

static void shrink(const char *path, uint64_t size)
{
    int fd = open(path, O_WRONLY);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(ftruncate(fd, (off_t)size), 0);
    close(fd);
}

enum { F_RAW, F_DMP_FULL, F_DMP_BITMAP, F_ELF, F_KDUMP, F_KDUMP_RAWPAGES, F_LIME, F_COUNT };
static const char *const fnames[F_COUNT] = {"raw",   "dmp-full",  "dmp-bitmap", "elf",
                                            "kdump", "kdump-raw", "lime"};

/* Writes img in format f; returns the spec to open it with. */
static const char *write_as(const ssb_image *img, uint64_t root, int f)
{
    static char spec[600];
    char name[64];
    snprintf(name, sizeof name, "trunc-%s.bin", fnames[f]);
    const char *path = ss_test_path(name);
    ssw_opts o = SSW_OPTS_INIT;
    ssw_cpu cpu = {0x80050033ull, 0, root, 0x6f0ull, 1u << 21};
    o.cpus = &cpu;
    o.ncpus = 1;
    ssb_dmp_fields df = {0};
    df.dtb = root;
    df.major_version = 0xf;
    df.minor_version = 19041;
    df.number_processors = 1;
    switch (f) {
    case F_RAW: ck_assert_int_eq(ssb_write_raw(img, path), 0); break;
    case F_DMP_FULL: ck_assert_int_eq(ssb_write_dmp(img, SSB_DMP64_FULL, &df, NULL, 0, path), 0); break;
    case F_DMP_BITMAP:
        ck_assert_int_eq(ssb_write_dmp(img, SSB_DMP64_KERNEL_BITMAP, &df, NULL, 0, path), 0);
        break;
    case F_ELF: ck_assert_int_eq(ssw_write_elf(img, path, &o), 0); break;
    case F_KDUMP: ck_assert_int_eq(ssw_write_kdump(img, path, &o), 0); break;
    case F_KDUMP_RAWPAGES:
        o.kdump_raw_every = 1;
        ck_assert_int_eq(ssw_write_kdump(img, path, &o), 0);
        break;
    case F_LIME: ck_assert_int_eq(ssw_write_lime(img, path), 0); break;
    }
    snprintf(spec, sizeof spec, "%s%s", f == F_RAW ? "raw:" : "", path);
    return spec;
}

/*
 * Every file format, opened with SS_OPEN_PREAD: the same bytes and translation as
 * the image, no zero-copy pointers; then the file is truncated under the open
 * source and reads fail with SS_E_TRUNCATED, walks with read_error, and nothing
 * faults (the suite also runs under ASan).
 */
START_TEST(truncated_under_open_source)
{
    int f = _i;
    uint64_t root;
    ssb_image *img = world(&root);
    const char *spec = write_as(img, root, f);
    const char *path = strchr(spec, ':') && f == F_RAW ? strchr(spec, ':') + 1 : spec;
    ss_source *src = open_pread(spec, SS_OK);
    ck_assert_ptr_nonnull(src);

    uint8_t buf[4096];
    size_t got = 0;
    ck_assert_int_eq(ss_source_read(src, DATA_PA, buf, sizeof buf, &got), SS_OK);
    ck_assert_mem_eq(buf, ssb_page(img, DATA_PA / 4096), 4096);
    const uint8_t *pg = (const uint8_t *)1;
    ck_assert_int_eq(ss_source_page(src, DATA_PA / 4096, &pg), SS_E_UNSUPPORTED);
    ck_assert_ptr_null(pg);

    ss_space_options so = SS_SPACE_OPTIONS_INIT;
    so.no_cache = 1;
    ss_space *sp;
    ck_assert_int_eq(ss_space_open(src, SS_MODE_X64, root, &so, &sp), SS_OK);
    uint64_t pa = 0;
    ck_assert_int_eq(ss_translate(sp, VA + 0x123, &pa), SS_OK);
    ck_assert_uint_eq(pa, DATA_PA + 0x123);

    shrink(path, 4096); /* every page-table and data page now lies past the end */
    ck_assert_int_eq(ss_source_read(src, DATA_PA, buf, sizeof buf, &got), SS_E_TRUNCATED);
    ck_assert_uint_eq(got, 0);
    /* the space's frame cache copied the tables it walked: it answers as before */
    ck_assert_int_eq(ss_translate(sp, VA + 8, &pa), SS_OK);
    ck_assert_uint_eq(pa, DATA_PA + 8);
    ss_space_close(sp);
    /* a new space has to read the tables: read_error, not a fault */
    ck_assert_int_eq(ss_space_open(src, SS_MODE_X64, root, &so, &sp), SS_OK);
    ss_xlat x;
    ck_assert_int_eq(ss_space_walk(sp, VA, &x), SS_E_PT_READ);
    ck_assert_int_eq(x.state, SS_XLAT_READ_ERROR);
    ck_assert_int_eq(ss_translate(sp, VA, &pa), SS_E_PT_READ);
    shrink(path, 0);
    ck_assert_int_eq(ss_source_read(src, 0x1000, buf, 16, &got), f == F_RAW ? SS_E_TRUNCATED : SS_E_NO_PAGE);
    ss_space_close(sp);
    ss_source_close(src);
    unlink(path);
    ssb_free(img);
}
END_TEST

/* The default (mapped) mode still hands out pages; the options are checked. */
START_TEST(open_options)
{
    uint64_t root;
    ssb_image *img = world(&root);
    const char *spec = write_as(img, root, F_RAW);
    ss_source *src = ss_check_open("", spec, SS_OK);
    const uint8_t *pg;
    ck_assert_int_eq(ss_source_page(src, DATA_PA / 4096, &pg), SS_OK);
    ck_assert_mem_eq(pg, ssb_page(img, DATA_PA / 4096), 4096);
    ss_source_close(src);
    ss_open_options o = SS_OPEN_OPTIONS_INIT;
    ck_assert_int_eq(ss_source_open_ex(spec, &o, &src, NULL), SS_OK); /* no flags: mapped */
    ck_assert_int_eq(ss_source_page(src, DATA_PA / 4096, &pg), SS_OK);
    ss_source_close(src);
    ss_error err;
    o.flags = 0x80;
    ck_assert_int_eq(ss_source_open_ex(spec, &o, &src, &err), SS_E_INVALID_ARG);
    ck_assert_ptr_null(src);
    ck_assert_ptr_nonnull(strstr(err.message, "unknown flags 0x80"));
    o.flags = 0;
    o.version = 0;
    ck_assert_int_eq(ss_source_open_ex(spec, &o, &src, &err), SS_E_INVALID_ARG);
    o.version = SS_OPEN_OPTIONS_VERSION + 1;
    ck_assert_int_eq(ss_source_open_ex(spec, &o, &src, &err), SS_E_INVALID_ARG);
    ck_assert_int_eq(ss_source_open_ex(spec, NULL, &src, &err), SS_OK);
    ss_source_close(src);
    ssb_free(img);
}
END_TEST

/* ---- what the path is ---------------------------------------------------------------- */

static void expect_refused(const char *prefix, const char *path, ss_status want, const char *says)
{
    char spec[600];
    snprintf(spec, sizeof spec, "%s%s", prefix, path);
    ss_source *src = (ss_source *)1;
    ss_error err = {0};
    ck_assert_int_eq(ss_source_open(spec, &src, &err), want);
    ck_assert_ptr_null(src);
    ck_assert_msg(strstr(err.message, says) != NULL, "%s: '%s' lacks '%s'", spec, err.message, says);
    ck_assert_msg(strstr(err.message, path) != NULL, "%s: '%s' lacks the path", spec, err.message);
}

/* A FIFO with no writer would block open() forever: it is refused at once. */
START_TEST(fifo_directory_device)
{
    const char *fifo = ss_test_path("a.fifo");
    unlink(fifo);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    expect_refused("", fifo, SS_E_UNSUPPORTED, "is a FIFO (named pipe)");
    expect_refused("raw:", fifo, SS_E_UNSUPPORTED, "is a FIFO (named pipe)");
    expect_refused("dmp:", fifo, SS_E_UNSUPPORTED, "is a FIFO (named pipe)");
    unlink(fifo);
    const char *dir = ss_test_path("a.dir");
    mkdir(dir, 0700);
    expect_refused("", dir, SS_E_IS_DIR, "is a directory");
    rmdir(dir);
    expect_refused("", "/dev/null", SS_E_UNSUPPORTED, "is a character device");
    expect_refused("raw:", "/dev/zero", SS_E_UNSUPPORTED, "is a character device");
}
END_TEST

/* ---- header-only and triage dumps ---------------------------------------------------- */

START_TEST(triage_dump_header)
{
    unsigned width = _i ? 4 : 8;
    ssb_dmp_fields f = {0};
    f.dtb = width == 8 ? 0x1aa000 : 0x39000;
    f.ps_loaded_module_list = width == 8 ? 0xfffff80312345670ull : 0x8055a420;
    f.ps_active_process_head = width == 8 ? 0xfffff80312345680ull : 0x8055b358;
    f.kd_debugger_data_block = width == 8 ? 0xfffff80312000000ull : 0x80544ce0;
    f.major_version = 0xf;
    f.minor_version = width == 8 ? 19041 : 2600;
    f.number_processors = 4;
    f.bugcheck_code = 0x7e;
    for (int i = 0; i < 4; i++)
        f.bugcheck_params[i] = width == 8 ? 0xffffffffc0000005ull - (uint64_t)i : 0xc0000005u - (uint32_t)i;
    f.pae_enabled = 1;
    const char *path = ss_test_path("triage.dmp");
    ck_assert_int_eq(ssb_write_dmp_header_only(width, 4, &f, path), 0);
    ss_source *src = ss_check_open("", path, SS_OK);
    ck_assert_int_eq(ss_source_format(src), width == 8 ? SS_FORMAT_CRASHDUMP64 : SS_FORMAT_CRASHDUMP32);
    ss_dump_info in;
    ck_assert_int_eq(ss_source_info(src, &in), SS_OK);
    ck_assert(in.flags & SS_INFO_WINDOWS_HEADER);
    ck_assert_uint_eq(in.dump_type, 4);
    ck_assert_uint_eq(in.directory_table_base, f.dtb);
    ck_assert_uint_eq(in.ps_loaded_module_list, f.ps_loaded_module_list);
    ck_assert_uint_eq(in.ps_active_process_head, f.ps_active_process_head);
    ck_assert_uint_eq(in.kd_debugger_data_block, f.kd_debugger_data_block);
    ck_assert_uint_eq(in.minor_version, f.minor_version);
    ck_assert_uint_eq(in.number_processors, 4);
    ck_assert_uint_eq(in.bugcheck_code, 0x7e);
    for (int i = 0; i < 4; i++)
        ck_assert_uint_eq(in.bugcheck_params[i], f.bugcheck_params[i]);
    ck_assert_int_eq(in.paging_mode, width == 8 ? SS_MODE_X64 : SS_MODE_PAE);
    const ss_phys_range *r;
    size_t n = 7;
    ck_assert_int_eq(ss_source_ranges(src, &r, &n), SS_OK);
    ck_assert_uint_eq(n, 0);
    ck_assert_uint_eq(ss_source_max_pa(src), 0);
    uint8_t b[8];
    size_t got = 5;
    ck_assert_int_eq(ss_source_read(src, 0x1000, b, sizeof b, &got), SS_E_NO_PHYS_MEMORY);
    ck_assert_uint_eq(got, 0);
    const uint8_t *pg;
    ck_assert_int_eq(ss_source_page(src, 1, &pg), SS_E_NO_PHYS_MEMORY);
    ss_space *sp = (ss_space *)1;
    ck_assert_int_eq(ss_space_open(src, SS_MODE_AUTO, f.dtb, NULL, &sp), SS_E_NO_PHYS_MEMORY);
    ck_assert_ptr_null(sp);
    ck_assert_str_eq(ss_status_name(SS_E_NO_PHYS_MEMORY), "no_physical_memory");
    ck_assert_ptr_nonnull(
        strstr(ss_strerror(SS_E_NO_PHYS_MEMORY), "holds no physical memory this reader knows"));
    ss_source_close(src);
    /* an unknown DumpType is read the same way */
    ck_assert_int_eq(ssb_write_dmp_header_only(width, 0x77, &f, path), 0);
    src = ss_check_open("dmp:", path, SS_OK);
    ck_assert_int_eq(ss_source_info(src, &in), SS_OK);
    ck_assert_uint_eq(in.dump_type, 0x77);
    ck_assert_int_eq(ss_source_read(src, 0, b, 1, &got), SS_E_NO_PHYS_MEMORY);
    ss_source_close(src);
    unlink(path);
}
END_TEST

/* ---- headers that declare gigabytes ---------------------------------------------------- */

static long maxrss_kib(void)
{
    struct rusage ru;
    ck_assert_int_eq(getrusage(RUSAGE_SELF, &ru), 0);
    return ru.ru_maxrss;
}

static void put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}
static void put64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, 8);
}

/* Writes len bytes at off of path (created if needed) and sets its size (a hole after). */
static void write_sparse(const char *path, const void *data, size_t len, uint64_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
    ck_assert_int_eq(ftruncate(fd, (off_t)size), 0);
    struct stat sb;
    ck_assert_int_eq(fstat(fd, &sb), 0);
    close(fd);
    /* the premise of the test: the file system keeps the holes */
    ck_assert_msg((uint64_t)sb.st_blocks * 512 < 1 * MiB, "%s: %llu blocks: no sparse files here?", path,
                  (unsigned long long)sb.st_blocks);
}

static void expect_refusal(const char *spec, ss_status want, const char *says)
{
    long before = maxrss_kib();
    ss_source *src = (ss_source *)1;
    ss_error err = {0};
    ck_assert_int_eq(ss_source_open(spec, &src, &err), want);
    ck_assert_ptr_null(src);
    ck_assert_msg(strstr(err.message, says) != NULL, "'%s' lacks '%s'", err.message, says);
    ck_assert_int_lt(maxrss_kib() - before, 256 * 1024); /* coarse: the refusal allocates nothing big */
}

/* A kdump of 12 KiB on disk whose header says 2^34 pages (a 2 GiB bitmap in holes). */
START_TEST(sparse_kdump_huge_mapnr)
{
    uint8_t h[3 * 4096] = {0};
    memcpy(h, "KDUMP   ", 8);
    put32(h + 8, 6); /* header_version: max_mapnr_64 in the sub-header */
    memcpy(h + 12 + 4 * 65, "x86_64", 6);
    put32(h + 428, 4096);             /* block_size */
    put32(h + 432, 1);                /* sub_hdr_size: one block */
    put32(h + 436, 1u << 20);         /* bitmap_blocks: 2 x 2 GiB */
    put64(h + 4096 + 96, 1ull << 34); /* max_mapnr_64 */
    const char *path = ss_test_path("huge-mapnr.kdump");
    write_sparse(path, h, sizeof h, 2 * 4096 + 4 * GiB + 4096);
    expect_refusal(path, SS_E_CORRUPT, "larger than the");
    expect_refusal(path, SS_E_CORRUPT, "sparse");
    unlink(path);
}
END_TEST

/* A bitmap crash dump whose BitCount is 2^35 (a 4 GiB bitmap in holes). */
START_TEST(sparse_dmp_huge_bitmap)
{
    ssb_dmp_fields f = {0};
    f.dtb = 0x1000;
    const char *path = ss_test_path("huge-bitmap.dmp");
    ck_assert_int_eq(ssb_write_dmp_header_only(8, 2, &f, path), 0); /* DumpType 2: SDMP bitmap */
    uint8_t h[0x3000];
    int fd = open(path, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(read(fd, h, 0x2000), 0x2000);
    close(fd);
    memset(h + 0x2000, 0, 0x1000);
    memcpy(h + 0x2000, "SDMPDUMP", 8);
    put64(h + 0x2000 + 0x20, 0x3000);     /* FirstPage */
    put64(h + 0x2000 + 0x30, 1ull << 35); /* BitCount */
    write_sparse(path, h, sizeof h, 0x2038 + 4 * GiB + 4096);
    expect_refusal(path, SS_E_CORRUPT, "stores (a sparse file?)");
    unlink(path);
}
END_TEST

/* An ELF core of ~1 MB holding 70,000 one-letter notes: refused, not indexed. */
START_TEST(elf_too_many_notes)
{
    const size_t nnotes = 70000, notes = nnotes * 16;
    const size_t size = 64 + 2 * 56 + notes + 4096;
    uint8_t *b = calloc(1, size);
    ck_assert_ptr_nonnull(b);
    memcpy(b, "\177ELF", 4);
    b[4] = 2; /* ELFCLASS64 */
    b[5] = 1; /* little-endian */
    b[6] = 1;
    b[16] = 4;  /* ET_CORE */
    b[18] = 62; /* EM_X86_64 */
    put32(b + 20, 1);
    put64(b + 32, 64); /* e_phoff */
    b[52] = 64;        /* e_ehsize */
    b[54] = 56;        /* e_phentsize */
    b[56] = 2;         /* e_phnum */
    uint8_t *ph = b + 64;
    put32(ph, 4); /* PT_NOTE */
    put64(ph + 8, 64 + 112);
    put64(ph + 32, notes);
    put64(ph + 40, notes);
    ph += 56;
    put32(ph, 1); /* PT_LOAD: one page at physical 0 */
    put64(ph + 8, 64 + 112 + notes);
    put64(ph + 32, 4096);
    put64(ph + 40, 4096);
    for (size_t i = 0; i < nnotes; i++) {
        uint8_t *n = b + 64 + 112 + i * 16;
        put32(n, 1);     /* namesz */
        put32(n + 8, 1); /* type */
        n[12] = 'A';
    }
    const char *path = ss_check_spit("many-notes.elf", b, size);
    expect_refusal(path, SS_E_CORRUPT, "more than 65536 ELF notes");
    /* empty notes (no name, no descriptor) carry nothing: skipped, not counted */
    memset(b + 64 + 112, 0, notes);
    for (size_t i = 0; i + 12 <= notes; i += 12)
        put32(b + 64 + 112 + i + 8, 1); /* 93,333 notes of type 1 */
    path = ss_check_spit("empty-notes.elf", b, size);
    ss_source *src = ss_check_open("", path, SS_OK);
    const char *data;
    size_t len;
    ck_assert_int_eq(ss_source_note(src, "", &data, &len), SS_E_NOT_FOUND);
    ss_source_close(src);
    unlink(path);
    free(b);
}
END_TEST

/* ---- messages ----------------------------------------------------------------------------- */

static void open_msg(const char *spec, ss_status want, char *msg)
{
    ss_source *src = (ss_source *)1;
    ss_error err = {0};
    ck_assert_int_eq(ss_source_open(spec, &src, &err), want);
    ck_assert_ptr_null(src);
    memcpy(msg, err.message, sizeof err.message);
    for (const char *p = msg; *p; p++)
        ck_assert_msg((unsigned char)*p >= 0x20 && *p != 0x7f, "control byte %#x in '%s'", *p, msg);
}

START_TEST(control_bytes_escaped)
{
    char msg[256];
    const char *path = ss_check_spit("ansi.dmp", "\x1b[2J\x1b[HPWNED rest of the file..", 32);
    char spec[600];
    snprintf(spec, sizeof spec, "dmp:%s", path);
    open_msg(spec, SS_E_FORMAT, msg);
    ck_assert_msg(strstr(msg, "signature bytes 1b 5b 32 4a 1b 5b 48 50,") != NULL, "%s", msg);

    /* bitmap header: the signature and ValidDump are named as what they are */
    ssb_dmp_fields f = {0};
    const char *bm = ss_test_path("badsig.dmp");
    ck_assert_int_eq(ssb_write_dmp_header_only(8, 5, &f, bm), 0);
    int fd = open(bm, O_WRONLY);
    ck_assert_int_eq(pwrite(fd, "FD\x07PDUMP", 8, 0x2000), 8);
    close(fd);
    open_msg(bm, SS_E_CORRUPT, msg);
    ck_assert_msg(strstr(msg, "found signature 'FD\\x07P', ValidDump 'DUMP'") != NULL, "%s", msg);
    ck_assert_msg(strstr(msg, "signature SDMP or FDMP and ValidDump DUMP") != NULL, "%s", msg);
    unlink(bm);
}
END_TEST

/* A path longer than the message: the middle goes, the reason stays. */
START_TEST(long_path_keeps_reason)
{
    char dir[700];
    snprintf(dir, sizeof dir, "%s", ss_test_path("long"));
    mkdir(dir, 0700);
    for (int i = 0; i < 3; i++) {
        size_t l = strlen(dir);
        snprintf(dir + l, sizeof dir - l, "/%s",
                 "a-directory-name-that-is-quite-long-indeed-to-fill-the-"
                 "message-buffer-of-ss-error-xxxxxxxxxxxxxxxxxxxxxx");
        ck_assert_int_eq(mkdir(dir, 0700) == 0 || errno == EEXIST, 1);
    }
    char fifo[800];
    snprintf(fifo, sizeof fifo, "%s/the-end.fifo", dir);
    unlink(fifo);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    ck_assert_uint_gt(strlen(fifo), 300);
    char msg[256];
    open_msg(fifo, SS_E_UNSUPPORTED, msg);
    ck_assert_msg(strstr(msg, "...") != NULL, "%s", msg);
    ck_assert_msg(strstr(msg, "the-end.fifo: is a FIFO (named pipe); a memory image must be") != NULL, "%s",
                  msg);
    ck_assert_int_eq(strncmp(msg, fifo, 40), 0); /* it starts as the path does */
    unlink(fifo);
}
END_TEST

/* LiME: overlapping ranges are named. */
START_TEST(lime_overlap_named)
{
    uint8_t b[2 * (32 + 4096)] = {0};
    for (int i = 0; i < 2; i++) {
        uint8_t *h = b + i * (32 + 4096);
        put32(h, 0x4C694D45u);
        put32(h + 4, 1);
        put64(h + 8, i ? 0x1800 : 0x1000);
        put64(h + 16, (i ? 0x1800 : 0x1000) + 4095);
    }
    const char *path = ss_check_spit("overlap.lime", b, sizeof b);
    char msg[256];
    open_msg(path, SS_E_CORRUPT, msg);
    ck_assert_msg(strstr(msg, path) == msg, "%s", msg);
    ck_assert_msg(strstr(msg, "LiME ranges [0x1000, 0x1fff] and [0x1800, 0x27ff] overlap") != NULL, "%s",
                  msg);
    unlink(path);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("backend_hostile");
    TCase *t = tcase_create("hostile");
    tcase_set_timeout(t, 120);
    tcase_add_loop_test(t, truncated_under_open_source, 0, F_COUNT);
    tcase_add_test(t, open_options);
    tcase_add_test(t, fifo_directory_device);
    tcase_add_loop_test(t, triage_dump_header, 0, 2);
    tcase_add_test(t, sparse_kdump_huge_mapnr);
    tcase_add_test(t, sparse_dmp_huge_bitmap);
    tcase_add_test(t, elf_too_many_notes);
    tcase_add_test(t, control_bytes_escaped);
    tcase_add_test(t, long_path_keeps_reason);
    tcase_add_test(t, lime_overlap_named);
    suite_add_tcase(s, t);
    return ss_run_suite(s);
}
