/*
 * Sources by prefix (ss_registry) and the vmi: backend: the PC layout above 4 GiB,
 * explicit layouts, live semantics (a PTE rewritten in the file under an open source:
 * no stale translation after a generation bump), raw: on the same file (stale by
 * design), interval=, and the QMP helper against a scripted QMP peer.
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "sessionspace/sys/backend.h"
#include "ss_check.h"
#include "testutil.h"

#define GIB4 0x100000000ull

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void put_u64(const char *path, uint64_t off, uint64_t v)
{
    int fd = open(path, O_WRONLY);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(pwrite(fd, &v, 8, (off_t)off), 8);
    close(fd);
}

static ss_source *open_spec(const char *fmt, const char *path, ss_status want)
{
    char spec[700];
    snprintf(spec, sizeof spec, fmt, path);
    ss_source *src = (ss_source *)1;
    ss_error err = {0};
    ss_status st = ss_source_open(spec, &src, &err);
    ck_assert_msg(st == want, "%s: got %s (%s), want %s", spec, ss_status_name(st), err.message,
                  ss_status_name(want));
    if (st != SS_OK) {
        ck_assert_ptr_null(src);
        ck_assert_msg(strlen(err.message) > 10, "%s: no message", spec);
        return NULL;
    }
    return src;
}

/* ---- the registry ---------------------------------------------------------- */

static int mydbg_opens;

/* A debugger's backend: one page of 0x5a bytes at 0. */
static ss_status mem_read(void *ctx, uint64_t pa, void *buf, size_t len, size_t *nread)
{
    (void)ctx;
    *nread = 0;
    if (pa >= 4096 || 4096 - pa < len)
        return SS_E_RANGE;
    memset(buf, 0x5a, len);
    *nread = len;
    return SS_OK;
}
static const ss_phys_range mem_range = {0, 4096};
static ss_status mem_ranges(void *ctx, const ss_phys_range **r, size_t *n)
{
    (void)ctx;
    *r = &mem_range;
    *n = 1;
    return SS_OK;
}

static ss_status mydbg_open(void *user, const char *rest, uint32_t flags, ss_source **out, ss_error *err)
{
    ck_assert_uint_eq(flags, 0);
    ck_assert_ptr_eq(user, &mydbg_opens);
    mydbg_opens++;
    if (strcmp(rest, "session=3") != 0) {
        err->status = SS_E_NOT_FOUND;
        snprintf(err->message, sizeof err->message, "mydbg: no such session '%s'", rest);
        return SS_E_NOT_FOUND;
    }
    static ss_backend_ops ops = SS_BACKEND_OPS_INIT;
    ops.name = "mydbg";
    ops.read = mem_read;
    ops.ranges = mem_ranges;
    return ss_source_from_backend(&ops, NULL, SS_FORMAT_CUSTOM, out, err);
}

START_TEST(registry)
{
    /* the built-ins, in a const table: found without any registry object */
    static const char *builtins[] = {"raw", "dmp", "elf", "kdump", "lime", "vmi"};
    for (size_t i = 0; i < sizeof builtins / sizeof *builtins; i++) {
        const ss_backend_factory *f = ss_registry_find(NULL, builtins[i]);
        ck_assert_ptr_nonnull(f);
        ck_assert_str_eq(f->prefix, builtins[i]);
        ck_assert_ptr_nonnull(f->open);
    }
    ck_assert_ptr_null(ss_registry_find(NULL, "mydbg"));
    ck_assert_ptr_null(ss_registry_find(NULL, NULL));
    size_t nbuiltin = ss_registry_count(NULL);
    ck_assert_uint_ge(nbuiltin, 6);
    ck_assert_ptr_null(ss_registry_at(NULL, nbuiltin));

    ss_source *src = (ss_source *)1;
    ss_error err;
    ck_assert_int_eq(ss_source_open("mydbg:session=3", &src, &err), SS_E_UNSUPPORTED);
    ck_assert_ptr_null(src);
    ck_assert_ptr_nonnull(strstr(err.message, "'mydbg'"));
    ck_assert_ptr_nonnull(strstr(err.message, "vmi")); /* the message lists the known prefixes */

    /* a debugger registers its own prefix on its own registry */
    ss_registry *reg = NULL;
    ck_assert_int_eq(ss_registry_new(&reg), SS_OK);
    ss_backend_factory f = SS_BACKEND_FACTORY_INIT;
    ck_assert_int_eq(ss_registry_register(reg, &f), SS_E_INVALID_ARG); /* no prefix, no open */
    f.open = mydbg_open;
    f.user = &mydbg_opens;
    static const char *bad[] = {"", "a:b", "sp ace", "a/b", "0123456789abcdef0123456789abcdefX"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        f.prefix = bad[i];
        ck_assert_int_eq(ss_registry_register(reg, &f), SS_E_INVALID_ARG);
    }
    char name[8];
    strcpy(name, "mydbg");
    f.prefix = name; /* copied: the caller's string may go away */
    f.summary = "test debugger";
    ck_assert_int_eq(ss_registry_register(reg, &f), SS_OK);
    name[0] = 'X';
    ck_assert_uint_eq(ss_registry_count(reg), nbuiltin + 1);
    ck_assert_str_eq(ss_registry_at(reg, 0)->prefix, "mydbg");
    ck_assert_ptr_null(ss_registry_find(NULL, "mydbg")); /* the built-ins are untouched */

    ck_assert_int_eq(ss_registry_open(reg, "mydbg:session=3", 0, &src, &err), SS_OK);
    ck_assert_int_eq(mydbg_opens, 1);
    ck_assert_int_eq(ss_source_format(src), SS_FORMAT_CUSTOM);
    uint8_t b[4];
    ck_assert_int_eq(ss_source_read(src, 100, b, 4, NULL), SS_OK);
    ck_assert_uint_eq(b[3], 0x5a);
    ss_registry_free(reg); /* sources stay valid */
    ck_assert_int_eq(ss_source_read(src, 0, b, 4, NULL), SS_OK);
    ss_source_close(src);

    /* the factory's own error comes through; a flag this build does not know is refused */
    ck_assert_int_eq(ss_registry_new(&reg), SS_OK);
    f.prefix = "mydbg";
    ck_assert_int_eq(ss_registry_register(reg, &f), SS_OK);
    ck_assert_int_eq(ss_registry_open(reg, "mydbg:session=9", 0, &src, &err), SS_E_NOT_FOUND);
    ck_assert_ptr_null(src);
    ck_assert_ptr_nonnull(strstr(err.message, "session=9"));
    ck_assert_int_eq(ss_registry_open(reg, "mydbg:session=3", 0x80000000u, &src, &err), SS_E_INVALID_ARG);

    /* shadowing a built-in: registered factories are looked up first; listed once */
    f.prefix = "raw";
    ck_assert_int_eq(ss_registry_register(reg, &f), SS_OK);
    ck_assert_ptr_eq(ss_registry_find(reg, "raw")->open, mydbg_open);
    ck_assert_ptr_ne(ss_registry_find(NULL, "raw")->open, mydbg_open);
    ck_assert_uint_eq(ss_registry_count(reg), nbuiltin + 1);
    ck_assert_int_eq(ss_registry_open(reg, "raw:session=3", 0, &src, &err), SS_OK);
    ss_source_close(src);
    /* re-registering a prefix replaces it */
    ck_assert_int_eq(ss_registry_register(reg, &f), SS_OK);
    ck_assert_uint_eq(ss_registry_count(reg), nbuiltin + 1);
    ss_registry_free(reg);
    ss_registry_free(NULL);

    ck_assert_int_eq(ss_backend_factory_init(&f, SS_BACKEND_FACTORY_VERSION), SS_OK);
    ck_assert_uint_eq(f.version, SS_BACKEND_FACTORY_VERSION);
    ck_assert_ptr_null(f.prefix);
    ck_assert_int_eq(ss_backend_factory_init(&f, 0), SS_E_INVALID_ARG);
    ck_assert_int_eq(ss_backend_factory_init(&f, SS_BACKEND_FACTORY_VERSION + 1), SS_E_INVALID_ARG);
    ck_assert_int_eq(ss_registry_new(NULL), SS_E_INVALID_ARG);
}
END_TEST

/* ---- layouts --------------------------------------------------------------- */

/* A sparse file of size bytes with an 8-byte marker (its own offset) at each offset. */
static const char *sparse_file(const char *name, uint64_t size, const uint64_t *marks, size_t n)
{
    const char *path = ss_test_path(name);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(ftruncate(fd, (off_t)size), 0);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(pwrite(fd, &marks[i], 8, (off_t)marks[i]), 8);
    close(fd);
    return path;
}

static void expect_ranges(ss_source *src, const ss_phys_range *want, size_t n)
{
    const ss_phys_range *r;
    size_t got;
    ck_assert_int_eq(ss_source_ranges(src, &r, &got), SS_OK);
    ck_assert_uint_eq(got, n);
    for (size_t i = 0; i < n; i++) {
        ck_assert_uint_eq(r[i].start, want[i].start);
        ck_assert_uint_eq(r[i].size, want[i].size);
    }
}

static uint64_t read_u64(ss_source *src, uint64_t pa, ss_status want)
{
    uint64_t v = 0;
    ck_assert_int_eq(ss_source_read(src, pa, &v, 8, NULL), want);
    return v;
}

START_TEST(layout_pc_above_4g)
{
    /* QEMU pc (i440fx) with 3.5 GiB + 1 page: 3 GiB low, the rest at 4 GiB (pc_piix.c) */
    const uint64_t ram = 0xe0000000ull + 4096;
    const uint64_t marks[] = {0x1000, 0xbffff000ull, 0xc0000000ull, 0xe0000000ull};
    const char *path = sparse_file("vmi-pc.ram", ram, marks, 4);
    ss_source *src = open_spec("vmi:%s", path, SS_OK);
    ck_assert_int_eq(ss_source_format(src), SS_FORMAT_VMI);
    ck_assert_str_eq(ss_format_name(SS_FORMAT_VMI), "vmi");
    const ss_phys_range pc[] = {{0, 0xc0000000ull}, {GIB4, ram - 0xc0000000ull}};
    expect_ranges(src, pc, 2);
    ck_assert_uint_eq(ss_source_max_pa(src), GIB4 + ram - 0xc0000000ull);
    ck_assert_uint_eq(read_u64(src, 0x1000, SS_OK), 0x1000);
    ck_assert_uint_eq(read_u64(src, 0xbffff000ull, SS_OK), 0xbffff000ull);
    ck_assert_uint_eq(read_u64(src, GIB4, SS_OK), 0xc0000000ull);                 /* file 3 GiB */
    ck_assert_uint_eq(read_u64(src, GIB4 + 0x20000000ull, SS_OK), 0xe0000000ull); /* the last page */
    read_u64(src, 0xc0000000ull, SS_E_NO_PAGE);                                   /* the PCI hole */
    read_u64(src, GIB4 + ram, SS_E_RANGE);
    /* a read across the end of low RAM stops at the hole with the bytes it had */
    uint8_t buf[16];
    size_t got = 0;
    ck_assert_int_eq(ss_source_read(src, 0xc0000000ull - 8, buf, 16, &got), SS_E_NO_PAGE);
    ck_assert_uint_eq(got, 8);
    const uint8_t *pg;
    ck_assert_int_eq(ss_source_page(src, GIB4 >> 12, &pg), SS_OK);
    uint64_t v;
    memcpy(&v, pg, 8);
    ck_assert_uint_eq(v, 0xc0000000ull);
    ck_assert_int_eq(ss_source_page(src, 0xc0000000ull >> 12, &pg), SS_E_NO_PAGE);
    const uint8_t *flat;
    uint64_t fs;
    ck_assert_int_eq(ss_source_mapping(src, &flat, &fs), SS_E_UNSUPPORTED); /* two runs */
    ss_source_close(src);

    /* the same file as q35: 2 GiB low (pc_q35.c: RAM >= 2.75 GiB) */
    src = open_spec("vmi:%s,machine=q35", path, SS_OK);
    const ss_phys_range q35[] = {{0, 0x80000000ull}, {GIB4, ram - 0x80000000ull}};
    expect_ranges(src, q35, 2);
    ck_assert_uint_eq(read_u64(src, GIB4 + 0x40000000ull, SS_OK), 0xc0000000ull);
    ss_source_close(src);

    /* an explicit split (max-ram-below-4g) */
    src = open_spec("vmi:%s,lowmem=0xbffff000", path, SS_OK);
    ck_assert_uint_eq(read_u64(src, GIB4, SS_OK), 0xbffff000ull);
    ss_source_close(src);

    /* explicit runs, in any order: file 3 GiB at 16 GiB, file 0 at 0 */
    src = open_spec("vmi:%s,run=0x400000000:0xc0000000:0x1000,run=0:0:0x2000", path, SS_OK);
    const ss_phys_range runs[] = {{0, 0x2000}, {0x400000000ull, 0x1000}};
    expect_ranges(src, runs, 2);
    ck_assert_uint_eq(read_u64(src, 0x400000000ull, SS_OK), 0xc0000000ull);
    ck_assert_uint_eq(read_u64(src, 0x1000, SS_OK), 0x1000);
    ss_source_close(src);
    unlink(path);

    /* below the split, one flat run: q35 with 2.5 GiB keeps it all low */
    const uint64_t mark2[] = {0x9ffff000ull};
    path = sparse_file("vmi-q35.ram", 0xa0000000ull, mark2, 1);
    src = open_spec("vmi:%s,machine=q35", path, SS_OK);
    const ss_phys_range one[] = {{0, 0xa0000000ull}};
    expect_ranges(src, one, 1);
    ck_assert_int_eq(ss_source_mapping(src, &flat, &fs), SS_OK);
    ck_assert_uint_eq(fs, 0xa0000000ull);
    ss_source_close(src);
    unlink(path);
}
END_TEST

START_TEST(bad_specs)
{
    const uint64_t mark[] = {0};
    const char *path = sparse_file("vmi-bad.ram", 1 << 20, mark, 1);
    open_spec("vmi:%s", "", SS_E_INVALID_ARG);
    open_spec("vmi:%s", "/nonexistent/ss-no-ram", SS_E_NOT_FOUND);
    open_spec("vmi:%s,machine=arm", path, SS_E_INVALID_ARG);
    open_spec("vmi:%s,bogus=1", path, SS_E_INVALID_ARG);
    open_spec("vmi:%s,lowmem=0x1234", path, SS_E_INVALID_ARG);
    open_spec("vmi:%s,lowmem=0", path, SS_E_INVALID_ARG);
    open_spec("vmi:%s,lowmem=0x200000000", path, SS_E_INVALID_ARG);
    open_spec("vmi:%s,lowmem=-4096", path, SS_E_INVALID_ARG);
    open_spec("vmi:%s,lowmem=0x1000,run=0:0:0x1000", path, SS_E_INVALID_ARG);
    open_spec("vmi:%s,run=0:0", path, SS_E_BAD_NUMBER);
    open_spec("vmi:%s,run=0:0:0", path, SS_E_BAD_NUMBER);
    open_spec("vmi:%s,run=0:0x100000:0x1000", path, SS_E_INVALID_ARG);              /* past the file */
    open_spec("vmi:%s,run=0:0:0x2000,run=0x1000:0:0x1000", path, SS_E_INVALID_ARG); /* overlap */
    open_spec("vmi:%s,run=0xfffffffffffff000:0:0x2000", path, SS_E_INVALID_ARG);    /* wraps */
    open_spec("vmi:%s,interval=0", path, SS_E_INVALID_ARG);
    open_spec("vmi:%s,qmp=/nonexistent/ss-qmp.sock", path, SS_E_NOT_FOUND);
    /* options reach the factories: pread mode is for files that may shrink, not live RAM */
    ss_open_options o = SS_OPEN_OPTIONS_INIT;
    o.flags = SS_OPEN_PREAD;
    char spec[700];
    ss_source *p = (ss_source *)1;
    ss_error perr;
    snprintf(spec, sizeof spec, "vmi:%s", path);
    ck_assert_int_eq(ss_source_open_ex(spec, &o, &p, &perr), SS_E_UNSUPPORTED);
    ck_assert_ptr_null(p);
    ck_assert_ptr_nonnull(strstr(perr.message, "SS_OPEN_PREAD"));
    snprintf(spec, sizeof spec, "raw:%s", path);
    ck_assert_int_eq(ss_source_open_ex(spec, &o, &p, &perr), SS_OK);
    const uint8_t *pg = NULL;
    ck_assert_int_eq(ss_source_page(p, 0, &pg), SS_E_UNSUPPORTED); /* pread mode: no pointers */
    ss_source_close(p);
    ck_assert_int_eq(ss_registry_open(NULL, spec, SS_OPEN_PREAD, &p, &perr), SS_OK);
    ss_source_close(p);
    /* ss_vmi_* on sources that are not vmi: with QMP */
    ss_source *src = open_spec("vmi:%s", path, SS_OK);
    ss_error err;
    ck_assert_int_eq(ss_vmi_pause(src, &err), SS_E_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(err.message, "qmp="));
    ck_assert_int_eq(ss_vmi_resume(src, NULL), SS_E_UNSUPPORTED);
    ss_source_close(src);
    src = open_spec("raw:%s", path, SS_OK);
    ck_assert_int_eq(ss_vmi_pause(src, &err), SS_E_INVALID_ARG);
    ck_assert_int_eq(ss_vmi_pause(NULL, NULL), SS_E_INVALID_ARG);
    ss_source_close(src);
    unlink(path);
}
END_TEST

/* ---- live semantics -------------------------------------------------------- */

#define LIVE_VA  0x00007ff612340000ull
#define OLD_PAGE 0x200000ull
#define NEW_PAGE 0x300000ull

/* An x64 image mapping LIVE_VA -> OLD_PAGE; returns the PTE's PA via *pte_pa. */
static ssb_image *live_image(uint64_t *root, uint64_t *pte_pa)
{
    ssb_image *img = ssb_new(SS_MODE_X64, 4u << 20, 0x100000);
    ck_assert_ptr_nonnull(img);
    *root = ssb_new_root(img);
    ck_assert_int_eq(ssb_map(img, *root, LIVE_VA, OLD_PAGE, 4096, SSB_RW), 0);
    ssb_write(img, OLD_PAGE, "old!", 4);
    ssb_write(img, NEW_PAGE, "new!", 4);
    /* the builder says where the PTE lives: rewrite it with the same value to learn it */
    *pte_pa = ssb_set_entry(img, *root, LIVE_VA, SS_LEVEL_PTE, OLD_PAGE | SSB_P | SSB_RW);
    ck_assert_uint_ne(*pte_pa, 0);
    return img;
}

static uint64_t xlat(ss_space *sp, uint64_t va)
{
    uint64_t pa = 0;
    ck_assert_int_eq(ss_translate(sp, va, &pa), SS_OK);
    return pa;
}

START_TEST(live_pte_rewrite)
{
    uint64_t root, pte_pa;
    ssb_image *img = live_image(&root, &pte_pa);
    const char *path = ss_test_path("vmi-live.ram");
    ck_assert_int_eq(ssb_write_raw(img, path), 0);

    ss_source *vmi = open_spec("vmi:%s", path, SS_OK);
    ss_source *raw = open_spec("raw:%s", path, SS_OK);
    ss_space *cached, *uncached, *rawsp;
    ss_space_options nc = SS_SPACE_OPTIONS_INIT;
    nc.no_cache = 1;
    ck_assert_int_eq(ss_space_open(vmi, SS_MODE_X64, root, NULL, &cached), SS_OK);
    ck_assert_int_eq(ss_space_open(vmi, SS_MODE_X64, root, &nc, &uncached), SS_OK);
    ck_assert_int_eq(ss_space_open(raw, SS_MODE_X64, root, NULL, &rawsp), SS_OK);
    ck_assert_uint_eq(xlat(cached, LIVE_VA + 0x10), OLD_PAGE + 0x10);
    ck_assert_uint_eq(xlat(uncached, LIVE_VA + 0x10), OLD_PAGE + 0x10);
    ck_assert_uint_eq(xlat(rawsp, LIVE_VA + 0x10), OLD_PAGE + 0x10);
    uint64_t g0 = ss_source_generation(vmi);

    /* the "guest" rewrites the PTE in its RAM file while both sources are open */
    put_u64(path, pte_pa, NEW_PAGE | SSB_P | SSB_RW);

    /* reads are live at once, through the mapping */
    ck_assert_uint_eq(read_u64(vmi, pte_pa, SS_OK), NEW_PAGE | SSB_P | SSB_RW);
    /* no cache: every walk reads the tables as they are now */
    ck_assert_uint_eq(xlat(uncached, LIVE_VA + 0x10), NEW_PAGE + 0x10);
    /* cached, no bump: the answer of the current generation stands (the documented
     * snapshot: a caller who wants the new one bumps) */
    ck_assert_uint_eq(ss_source_generation(vmi), g0);
    ck_assert_uint_eq(xlat(cached, LIVE_VA + 0x10), OLD_PAGE + 0x10);
    /* the bump: the next call drops the cache and walks again */
    ck_assert_int_eq(ss_source_bump_generation(vmi), SS_OK);
    ck_assert_uint_eq(ss_source_generation(vmi), g0 + 1);
    ck_assert_uint_eq(xlat(cached, LIVE_VA + 0x10), NEW_PAGE + 0x10);
    uint64_t pas[2];
    ss_status sts[2];
    uint64_t vas[2] = {LIVE_VA, LIVE_VA + 0x123};
    ck_assert_int_eq(ss_translate_many(cached, vas, 2, pas, sts, NULL), SS_OK);
    ck_assert_uint_eq(pas[1], NEW_PAGE + 0x123);
    /* the same through a virtual read */
    char word[5] = {0};
    ck_assert_int_eq(ss_space_read(cached, LIVE_VA, word, 4, NULL), SS_OK);
    ck_assert_str_eq(word, "new!");

    /* unmapping it: not present after the next bump, in single and batch calls */
    put_u64(path, pte_pa, 0);
    ck_assert_int_eq(ss_source_bump_generation(vmi), SS_OK);
    uint64_t pa;
    ck_assert_int_eq(ss_translate(cached, LIVE_VA, &pa), SS_E_NOT_PRESENT);
    ck_assert_int_eq(ss_translate_many(cached, vas, 2, pas, sts, NULL), SS_OK);
    ck_assert_int_eq(sts[0], SS_E_NOT_PRESENT);
    put_u64(path, pte_pa, NEW_PAGE | SSB_P | SSB_RW);
    ck_assert_int_eq(ss_source_bump_generation(vmi), SS_OK);
    ck_assert_int_eq(ss_translate_range(cached, LIVE_VA, 1, pas, sts, NULL), SS_OK);
    ck_assert_int_eq(sts[0], SS_OK);
    ck_assert_uint_eq(pas[0], NEW_PAGE);

    /* raw: on the same file has no generation: its cache keeps the first answer
     * forever and cannot be told otherwise (source.h, vmi.h) */
    ck_assert_uint_eq(xlat(rawsp, LIVE_VA + 0x10), OLD_PAGE + 0x10);
    ck_assert_int_eq(ss_source_bump_generation(raw), SS_E_UNSUPPORTED);
    ck_assert_uint_eq(ss_source_generation(raw), 0);
    ck_assert_uint_eq(xlat(rawsp, LIVE_VA + 0x10), OLD_PAGE + 0x10);
    ck_assert_int_eq(ss_source_bump_generation(NULL), SS_E_INVALID_ARG);

    ss_space_close(cached);
    ss_space_close(uncached);
    ss_space_close(rawsp);
    ss_source_close(vmi);
    ss_source_close(raw);
    unlink(path);
    ssb_free(img);
}
END_TEST

/* Two runs (not flat), and the PDE switched between two page tables: after a bump no
 * cached translation, paging-structure cache entry or kept frame may answer. */
START_TEST(live_pde_switch_runs)
{
    uint64_t root, pte_pa;
    ssb_image *img = live_image(&root, &pte_pa);
    const uint64_t pt1 = pte_pa & ~0xfffull, pt2 = 0x380000;
    /* the PDE as the builder wrote it (intermediate entries: P | RW); rewriting it with the
     * same value tells where it lives */
    const uint64_t pde1 = pt1 | SSB_P | SSB_RW, pde2 = pt2 | SSB_P | SSB_RW;
    uint64_t pde_pa = ssb_set_entry(img, root, LIVE_VA, SS_LEVEL_PDE, pde1);
    ck_assert_uint_ne(pde_pa, 0);
    uint64_t pte2 = NEW_PAGE | SSB_P | SSB_RW;
    ssb_write(img, pt2 + ((LIVE_VA >> 12) & 511) * 8, &pte2, 8);
    const char *path = ss_test_path("vmi-live-runs.ram");
    ck_assert_int_eq(ssb_write_raw(img, path), 0);
    ss_source *vmi = open_spec("vmi:%s,run=0:0:0x100000,run=0x100000:0x100000:0x300000", path, SS_OK);
    const uint8_t *flat;
    uint64_t fs;
    ck_assert_int_eq(ss_source_mapping(vmi, &flat, &fs), SS_E_UNSUPPORTED);
    ss_space *sp;
    ck_assert_int_eq(ss_space_open(vmi, SS_MODE_X64, root, NULL, &sp), SS_OK);
    for (int round = 0; round < 4; round++) {
        bool second = round % 2;
        put_u64(path, pde_pa, second ? pde2 : pde1);
        ck_assert_int_eq(ss_source_bump_generation(vmi), SS_OK);
        /* first a neighbour (a miss that fills the paging-structure cache), then the VA */
        uint64_t pa;
        ck_assert_int_eq(ss_translate(sp, LIVE_VA + 0x1000, &pa), SS_E_NOT_PRESENT);
        ck_assert_uint_eq(xlat(sp, LIVE_VA + 0x20), (second ? NEW_PAGE : OLD_PAGE) + 0x20);
        uint64_t pas[2];
        ss_status sts[2];
        ck_assert_int_eq(ss_translate_range(sp, LIVE_VA, 2, pas, sts, NULL), SS_OK);
        ck_assert_uint_eq(pas[0], second ? NEW_PAGE : OLD_PAGE);
        ck_assert_int_eq(sts[1], SS_E_NOT_PRESENT);
    }
    ss_space_close(sp);
    ss_source_close(vmi);
    unlink(path);
    ssb_free(img);
}
END_TEST

START_TEST(live_interval)
{
    uint64_t root, pte_pa;
    ssb_image *img = live_image(&root, &pte_pa);
    const char *path = ss_test_path("vmi-interval.ram");
    ck_assert_int_eq(ssb_write_raw(img, path), 0);
    ss_source *vmi = open_spec("vmi:%s,interval=20", path, SS_OK);
    ss_space *sp;
    ck_assert_int_eq(ss_space_open(vmi, SS_MODE_X64, root, NULL, &sp), SS_OK);
    ck_assert_uint_eq(xlat(sp, LIVE_VA), OLD_PAGE);
    put_u64(path, pte_pa, NEW_PAGE | SSB_P);
    uint64_t g = ss_source_generation(vmi);
    sleep_ms(60); /* three intervals: the generation moved without any bump */
    ck_assert_uint_gt(ss_source_generation(vmi), g);
    ck_assert_uint_eq(xlat(sp, LIVE_VA), NEW_PAGE);
    ss_space_close(sp);
    ss_source_close(vmi);
    unlink(path);
    ssb_free(img);
}
END_TEST

/* Page tables above 4 GiB: the walk reads every level through the PC layout. */
START_TEST(walk_above_4g)
{
    const uint64_t low = 0x10000000ull; /* lowmem=256 MiB; 64 MiB more at 4 GiB */
    ssb_image *img = ssb_new(SS_MODE_X64, GIB4 + (64u << 20), GIB4 + 0x100000);
    ck_assert_ptr_nonnull(img);
    uint64_t root = ssb_new_root(img);
    ck_assert_uint_ge(root, GIB4);
    const uint64_t va = 0xfffff80012345000ull, data = GIB4 + 0x2000000ull;
    ck_assert_int_eq(ssb_map(img, root, va, data, 4096, SSB_RW), 0);
    ck_assert_int_eq(ssb_map(img, root, va + 0x200000, 0x5000, 4096, SSB_RW), 0);
    ssb_write(img, data, "high", 4);
    ssb_write(img, 0x5000, "low!", 4);

    /* the RAM file: GPA below 4 GiB at the same offset, GPA >= 4 GiB at low + (GPA - 4 GiB) */
    const char *path = ss_test_path("vmi-high.ram");
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(ftruncate(fd, (off_t)(low + (64u << 20))), 0);
    for (uint64_t pfn = 0; pfn < (GIB4 + (64u << 20)) >> 12; pfn++) {
        const uint8_t *pg = ssb_page(img, pfn);
        if (!pg) {
            if (pfn == (low >> 12) - 1)
                pfn = (GIB4 >> 12) - 1; /* skip the hole */
            continue;
        }
        uint64_t gpa = pfn << 12, off = gpa < GIB4 ? gpa : low + (gpa - GIB4);
        ck_assert_int_eq(pwrite(fd, pg, 4096, (off_t)off), 4096);
    }
    close(fd);

    ss_source *src = open_spec("vmi:%s,lowmem=0x10000000", path, SS_OK);
    ss_space *sp;
    ck_assert_int_eq(ss_space_open(src, SS_MODE_X64, root, NULL, &sp), SS_OK);
    ck_assert_uint_eq(xlat(sp, va + 0x44), data + 0x44);
    ck_assert_uint_eq(xlat(sp, va + 0x200000), 0x5000);
    char w[5] = {0};
    ck_assert_int_eq(ss_space_read(sp, va, w, 4, NULL), SS_OK);
    ck_assert_str_eq(w, "high");
    ck_assert_int_eq(ss_space_read(sp, va + 0x200000, w, 4, NULL), SS_OK);
    ck_assert_str_eq(w, "low!");
    ss_space_close(sp);
    ss_source_close(src);

    /* the same file read as if it were flat (raw:) does not hold the tables */
    src = open_spec("raw:%s", path, SS_OK);
    ck_assert_int_eq(ss_space_open(src, SS_MODE_X64, root, NULL, &sp), SS_OK);
    uint64_t pa;
    ck_assert_int_ne(ss_translate(sp, va, &pa), SS_OK);
    ss_space_close(sp);
    ss_source_close(src);
    unlink(path);
    ssb_free(img);
}
END_TEST

/* ---- QMP helper against a scripted peer ------------------------------------ */

/* Register text in the layout of QEMU's x86_cpu_dump_state (target/i386/cpu-dump.c). */
static const char REGS[] =
    "RAX=0000000000000000 RBX=ffffffff82a0f780 RCX=0000000000000001 RDX=000000000000e6c9\\r\\n"
    "RIP=ffffffff81e3a1ab RFL=00000246 [---Z-P-] CPL=0 II=0 A20=1 SMM=0 HLT=1\\r\\n"
    "CR0=80050033 CR2=00007f1c8e1c8000 CR3=000000000462c000 CR4=003506f0\\r\\n"
    "DR0=0000000000000000 DR1=0000000000000000 DR2=0000000000000000 DR3=0000000000000000\\r\\n"
    "DR6=00000000ffff0ff0 DR7=0000000000000400\\r\\n"
    "EFER=0000000000000d01\\r\\n";

typedef struct peer {
    int lfd;
    int mode; /* 0 a good QMP server; 1 silent after accept; 2 garbage greeting; 3 errors on stop;
                 4 `info registers` without CR3; 5 answers the first gva2gpa 400 ms late */
    int stops, conts, late;
} peer;

static void peer_send(int fd, const char *s)
{
    ssize_t w = write(fd, s, strlen(s));
    (void)w;
}

static void *peer_main(void *arg)
{
    peer *p = arg;
    int fd = accept(p->lfd, NULL, NULL);
    if (fd < 0)
        return NULL;
    if (p->mode == 1) {
        sleep_ms(1500); /* says nothing: the client must give up on its own */
        close(fd);
        return NULL;
    }
    if (p->mode == 2) {
        peer_send(fd, "HTTP/1.0 200 OK\r\n");
        sleep_ms(200);
        close(fd);
        return NULL;
    }
    peer_send(fd, "{\"QMP\": {\"version\": {}, \"capabilities\": []}}\r\n");
    char buf[4096];
    size_t len = 0;
    for (;;) {
        ssize_t r = read(fd, buf + len, sizeof buf - 1 - len);
        if (r <= 0)
            break;
        len += (size_t)r;
        buf[len] = 0;
        char *nl;
        while ((nl = strchr(buf, '\n'))) {
            *nl = 0;
            char reply[2048];
            if (strstr(buf, "qmp_capabilities"))
                snprintf(reply, sizeof reply, "{\"return\": {}}\r\n");
            else if (strstr(buf, "query-cpus-fast"))
                snprintf(reply, sizeof reply, "{\"return\": [{\"cpu-index\": 0}, {\"cpu-index\": 1}]}\r\n");
            else if (strstr(buf, "human-monitor-command") && strstr(buf, "info registers") && p->mode == 4)
                snprintf(reply, sizeof reply, "{\"return\": \"CR0=80050033 CR2=0 CR4=6f0\\r\\n\"}\r\n");
            else if (strstr(buf, "human-monitor-command") && strstr(buf, "info registers"))
                snprintf(reply, sizeof reply, "{\"return\": \"%s\"}\r\n", REGS);
            else if (strstr(buf, "human-monitor-command") && p->mode == 5 && !p->late++) {
                sleep_ms(400); /* after the client's timeout: this reply arrives late */
                snprintf(reply, sizeof reply, "{\"return\": \"gpa: LATE\\r\\n\"}\r\n");
            } else if (strstr(buf, "human-monitor-command"))
                snprintf(reply, sizeof reply, "{\"return\": \"gpa: 0x1234\\r\\n\"}\r\n");
            else if (strstr(buf, "\"stop\"") && p->mode == 3)
                snprintf(reply, sizeof reply,
                         "{\"error\": {\"class\": \"GenericError\", \"desc\": \"no way\"}}\r\n");
            else if (strstr(buf, "\"stop\"")) {
                p->stops++;
                snprintf(reply, sizeof reply,
                         "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"STOP\"}\r\n"
                         "{\"return\": {}}\r\n");
            } else if (strstr(buf, "\"cont\"")) {
                p->conts++;
                snprintf(reply, sizeof reply, "{\"event\": \"RESUME\"}\r\n{\"return\": {}}\r\n");
            } else
                snprintf(reply, sizeof reply, "{\"error\": {\"desc\": \"unknown\"}}\r\n");
            /* QEMU copies the command's "id" into its reply (the last line: after any event) */
            const char *id = strstr(buf, "\"id\":");
            char *last = reply;
            for (char *q = reply; (q = strstr(q, "\r\n{")) != NULL; q += 2)
                last = q + 2;
            if (id && *last == '{') {
                char tail[2048];
                snprintf(tail, sizeof tail, "%s", last + 1);
                snprintf(last, sizeof reply - (size_t)(last - reply), "{\"id\": %ld, %s",
                         strtol(id + 5, NULL, 10), tail);
            }
            peer_send(fd, reply);
            memmove(buf, nl + 1, len - (size_t)(nl + 1 - buf) + 1);
            len -= (size_t)(nl + 1 - buf);
        }
    }
    close(fd);
    return NULL;
}

static const char *start_peer(peer *p, pthread_t *t, const char *name)
{
    const char *sock = ss_test_path(name);
    unlink(sock);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    ck_assert_uint_lt(strlen(sock), sizeof sa.sun_path);
    strcpy(sa.sun_path, sock);
    p->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    ck_assert_int_ge(p->lfd, 0);
    ck_assert_int_eq(bind(p->lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(listen(p->lfd, 1), 0);
    ck_assert_int_eq(pthread_create(t, NULL, peer_main, p), 0);
    return sock;
}

static void stop_peer(peer *p, pthread_t t, const char *sock)
{
    pthread_join(t, NULL);
    close(p->lfd);
    unlink(sock);
}

START_TEST(qmp_helper)
{
    const uint64_t mark[] = {0};
    const char *ram = sparse_file("vmi-qmp.ram", 1 << 20, mark, 1);
    peer p = {0};
    pthread_t t;
    const char *sock = start_peer(&p, &t, "vmi-qmp.sock");
    char spec[1400];
    snprintf(spec, sizeof spec, "vmi:%s,qmp=%s,timeout=2000", ram, sock);
    ss_source *src;
    ss_error err;
    ck_assert_msg(ss_source_open(spec, &src, &err) == SS_OK, "%s", err.message);

    /* CPU state from `info registers`: mode and root for ss_source_paging() */
    ck_assert_uint_eq(ss_source_cpu_count(src), 2);
    ss_cpu_state c;
    ck_assert_int_eq(ss_source_cpu(src, 1, &c), SS_OK);
    ck_assert_uint_eq(c.index, 1);
    ck_assert_uint_eq(c.cr0, 0x80050033u);
    ck_assert_uint_eq(c.cr2, 0x00007f1c8e1c8000ull);
    ck_assert_uint_eq(c.cr3, 0x462c000u);
    ck_assert_uint_eq(c.cr4, 0x3506f0u);
    ck_assert_uint_eq(c.efer, 0xd01u);
    ss_mode mode;
    uint64_t dtb;
    ck_assert_int_eq(ss_source_paging(src, &mode, &dtb), SS_OK);
    ck_assert_int_eq(mode, SS_MODE_X64);
    ck_assert_uint_eq(dtb, 0x462c000u);

    /* pause and resume: each one QMP command, each a new generation */
    uint64_t g = ss_source_generation(src);
    ck_assert_int_eq(ss_vmi_pause(src, &err), SS_OK);
    ck_assert_uint_eq(ss_source_generation(src), g + 1);
    ck_assert_int_eq(ss_vmi_resume(src, &err), SS_OK);
    ck_assert_uint_eq(ss_source_generation(src), g + 2);
    char text[64];
    ck_assert_int_eq(ss_vmi_hmp(src, "gva2gpa 0xffffffff81000000", text, sizeof text, &err), SS_OK);
    ck_assert_str_eq(text, "gpa: 0x1234\r\n");
    ck_assert_int_eq(ss_vmi_hmp(src, "gva2gpa 0", text, 4, &err), SS_E_TRUNCATED);
    ck_assert_str_eq(text, "gpa");
    ss_source_close(src);
    stop_peer(&p, t, sock);
    ck_assert_int_eq(p.stops, 1);
    ck_assert_int_eq(p.conts, 1);

    /* QEMU's error reply: named, and the generation still moves (the state is unknown) */
    peer e = {.mode = 3};
    sock = start_peer(&e, &t, "vmi-qmp3.sock");
    snprintf(spec, sizeof spec, "vmi:%s,qmp=%s", ram, sock);
    ck_assert_int_eq(ss_source_open(spec, &src, &err), SS_OK);
    g = ss_source_generation(src);
    ck_assert_int_eq(ss_vmi_pause(src, &err), SS_E_IO);
    ck_assert_ptr_nonnull(strstr(err.message, "no way"));
    ck_assert_uint_eq(ss_source_generation(src), g + 1);
    ss_source_close(src);
    stop_peer(&e, t, sock);

    /* a silent peer: a clear error within the timeout, not a hang */
    peer s = {.mode = 1};
    sock = start_peer(&s, &t, "vmi-qmp1.sock");
    snprintf(spec, sizeof spec, "vmi:%s,qmp=%s,timeout=300", ram, sock);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(ss_source_open(spec, &src, &err), SS_E_IO);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ck_assert_ptr_nonnull(strstr(err.message, "did not answer within 300 ms"));
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    ck_assert_double_lt(secs, 1.2);
    stop_peer(&s, t, sock);

    /* registers QEMU did not print: a clear error at open */
    peer nr = {.mode = 4};
    sock = start_peer(&nr, &t, "vmi-qmp4.sock");
    snprintf(spec, sizeof spec, "vmi:%s,qmp=%s", ram, sock);
    ck_assert_int_eq(ss_source_open(spec, &src, &err), SS_E_FORMAT);
    ck_assert_ptr_nonnull(strstr(err.message, "info registers"));
    stop_peer(&nr, t, sock);

    /* a reply that comes after the timeout is not taken for the next command's */
    peer lt = {.mode = 5};
    sock = start_peer(&lt, &t, "vmi-qmp5.sock");
    snprintf(spec, sizeof spec, "vmi:%s,qmp=%s,timeout=200", ram, sock);
    ck_assert_msg(ss_source_open(spec, &src, &err) == SS_OK, "%s", err.message);
    ck_assert_int_eq(ss_vmi_hmp(src, "gva2gpa 0", text, sizeof text, &err), SS_E_IO);
    ck_assert_ptr_nonnull(strstr(err.message, "did not answer within 200 ms"));
    sleep_ms(300); /* the late reply is in the socket now */
    ck_assert_int_eq(ss_vmi_hmp(src, "gva2gpa 0xffffffff81000000", text, sizeof text, &err), SS_OK);
    ck_assert_str_eq(text, "gpa: 0x1234\r\n");
    ss_source_close(src);
    stop_peer(&lt, t, sock);

    /* not QMP at all */
    peer gbg = {.mode = 2};
    sock = start_peer(&gbg, &t, "vmi-qmp2.sock");
    snprintf(spec, sizeof spec, "vmi:%s,qmp=%s,timeout=1000", ram, sock);
    ck_assert_int_eq(ss_source_open(spec, &src, &err), SS_E_FORMAT);
    stop_peer(&gbg, t, sock);
    unlink(ram);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("backend_vmi");
    TCase *tc = tcase_create("vmi");
    tcase_add_test(tc, registry);
    tcase_add_test(tc, layout_pc_above_4g);
    tcase_add_test(tc, bad_specs);
    tcase_add_test(tc, live_pte_rewrite);
    tcase_add_test(tc, live_pde_switch_runs);
    tcase_add_test(tc, live_interval);
    tcase_add_test(tc, walk_above_4g);
    tcase_add_test(tc, qmp_helper);
    suite_add_tcase(s, tc);
    return ss_run_suite(s);
}
