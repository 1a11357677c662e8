/*
 * bench_xlat — translation throughput of libsessionspace, side by side with
 * libkdumpfile's addrxlat in the same run, on one generated image and one set of
 * VA lists (see bench/README.md for the method and recorded figures).
 *
 *   bench_xlat [--reps N]            the full table (markdown on stdout)
 *   bench_xlat --callgrind KIND N    N translations of KIND (cached, uncached,
 *                                    miss, many, range, addrxlat) on a small image, for
 *                                    bench/callgrind.sh (instruction counts)
 *
 * The image (x86-64, 4-level): 8 GiB of kernel VA mapped with 4 KiB pages onto
 * 16,384 frames (64 MiB of data, 16 MiB of page tables), plus 1 GiB mapped with
 * 2 MiB pages; written as a sparse raw file and opened as "raw:PATH" (mmap).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "dmpwriter.h"
#include "elfwriter.h"
#include "imagebuilder.h"
#include "sessionspace.h"
#include "testutil.h"

#define die(what) bench_die("bench_xlat", what)

#ifdef HAVE_ADDRXLAT
#include <libkdumpfile/addrxlat.h>
#endif

#define KiB 1024ull
#define MiB (1024ull * KiB)
#define GiB (1024ull * MiB)

#define VA_BASE     0xffffa00000000000ull /* 4 KiB pages from here */
#define DATA_FRAMES 16384ull              /* the 4 KiB pages share these frames (PA 0 - 64 MiB) */
#define TABLE_BASE  (64 * MiB)

/* ---- helpers ------------------------------------------------------------------------ */

static uint64_t rng = 0x243F6A8885A308D3ull;
static uint64_t rnd(void)
{
    return ss_test_rand(&rng);
}

static volatile uint64_t sink; /* keeps results alive */

/* ---- the image ------------------------------------------------------------------------ */

typedef struct bench_image {
    char path[256];
    uint64_t cr3;
    uint64_t va_4k_bytes; /* 4 KiB-mapped VA from VA_BASE */
    uint64_t va_2m;       /* start of the 2 MiB-mapped GiB */
    ss_source *src;
    ssb_image *img; /* kept to write the same memory in the other formats */
} bench_image;

/* Page p of the 4 KiB region lands on frame (p * 7919) mod DATA_FRAMES (a scatter). */
static uint64_t frame_of(uint64_t p)
{
    return (p * 7919) % DATA_FRAMES;
}

static void build_image(bench_image *bi, uint64_t va_bytes, int with_data)
{
    uint64_t npages = va_bytes / 4096;
    uint64_t phys = TABLE_BASE + 64 * MiB; /* tables: 8 KiB per 4 MiB of VA, + 2 MiB pages' area */
    phys += (npages / 512 + 64) * 4096;
    phys = (phys + GiB - 1) & ~(GiB - 1); /* the 2 MiB pages map [0, 1 GiB) */
    ssb_image *img = ssb_new(SS_MODE_X64, phys, TABLE_BASE);
    if (!img)
        die("ssb_new");
    bi->cr3 = ssb_new_root(img);
    bi->va_4k_bytes = va_bytes;
    for (uint64_t p = 0; p < npages; p++)
        if (ssb_map(img, bi->cr3, VA_BASE + p * 4096, frame_of(p) * 4096, 4096, SSB_RW) != 0)
            die("ssb_map 4k");
    bi->va_2m = VA_BASE + ((va_bytes + GiB - 1) & ~(GiB - 1)) + GiB;
    for (uint64_t o = 0; o < GiB; o += 2 * MiB)
        if (ssb_map(img, bi->cr3, bi->va_2m + o, o, 2 * MiB, SSB_RW) != 0)
            die("ssb_map 2m");
    if (with_data) { /* real bytes in the 64 MiB of data frames, for the bandwidth rows */
        uint8_t page[4096];
        for (uint64_t f = 0; f < DATA_FRAMES; f++) {
            for (size_t i = 0; i < sizeof page; i++)
                page[i] = (uint8_t)(f * 31 + i);
            if (ssb_write(img, f * 4096, page, sizeof page) != 0)
                die("ssb_write");
        }
    }
    const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(bi->path, sizeof bi->path, "%s/bench_xlat.%ld.raw", dir, (long)getpid());
    if (ssb_write_raw(img, bi->path) != 0)
        die("ssb_write_raw");
    bi->img = img;
    char spec[300];
    snprintf(spec, sizeof spec, "raw:%s", bi->path);
    if (ss_source_open(spec, &bi->src, NULL) != SS_OK)
        die("ss_source_open");
}

static void free_image(bench_image *bi)
{
    ss_source_close(bi->src);
    unlink(bi->path);
    ssb_free(bi->img);
}

static ss_space *open_space(bench_image *bi, int no_cache)
{
    ss_space_options o = SS_SPACE_OPTIONS_INIT;
    o.no_cache = (uint32_t)no_cache;
    ss_space *s;
    if (ss_space_open(bi->src, SS_MODE_X64, bi->cr3, &o, &s) != SS_OK)
        die("ss_space_open");
    return s;
}

/* n VAs drawn from `distinct` distinct random pages of the 4 KiB region, random offsets. */
static uint64_t *va_list_ws(const bench_image *bi, size_t n, size_t distinct)
{
    uint64_t npages = bi->va_4k_bytes / 4096;
    uint64_t *ws = malloc(distinct * sizeof *ws), *v = malloc(n * sizeof *v);
    if (!ws || !v)
        die("no memory");
    for (size_t i = 0; i < distinct; i++)
        ws[i] = VA_BASE + (rnd() % npages) * 4096;
    for (size_t i = 0; i < n; i++)
        v[i] = ws[rnd() % distinct] + (rnd() & 0xfff);
    free(ws);
    return v;
}

/* n distinct random pages of the 4 KiB region (a partial Fisher-Yates shuffle). */
static uint64_t *va_list_cold(const bench_image *bi, size_t n)
{
    uint64_t npages = bi->va_4k_bytes / 4096;
    uint32_t *perm = malloc(npages * sizeof *perm);
    uint64_t *v = malloc(n * sizeof *v);
    if (!perm || !v || n > npages)
        die("no memory");
    for (uint64_t i = 0; i < npages; i++)
        perm[i] = (uint32_t)i;
    for (size_t i = 0; i < n; i++) {
        uint64_t j = i + rnd() % (npages - i);
        uint32_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
        v[i] = VA_BASE + (uint64_t)perm[i] * 4096 + (rnd() & 0xfff);
    }
    free(perm);
    return v;
}

/* ---- workloads (noinline: callgrind.sh counts instructions inside them) ------------------ */

#define NOINLINE __attribute__((noinline))

NOINLINE static uint64_t run_translate(ss_space *s, const uint64_t *vas, size_t n)
{
    uint64_t acc = 0, pa;
    for (size_t i = 0; i < n; i++)
        if (ss_translate(s, vas[i], &pa) == SS_OK)
            acc += pa;
    return acc;
}

/* As run_translate; a distinct body (so the linker cannot fold the two) lets callgrind tell them apart. */
NOINLINE static uint64_t run_translate_uncached(ss_space *s, const uint64_t *vas, size_t n)
{
    uint64_t acc = 0, pa;
    for (size_t i = 0; i < n; i++)
        if (ss_translate(s, vas[i], &pa) == SS_OK)
            acc ^= pa;
    return acc;
}

/* Cache misses whose page table the paging-structure cache already knows. */
NOINLINE static uint64_t run_translate_miss(ss_space *s, const uint64_t *vas, size_t n)
{
    uint64_t acc = 0, pa;
    for (size_t i = 0; i < n; i++)
        if (ss_translate(s, vas[i], &pa) == SS_OK)
            acc -= pa;
    return acc;
}

static uint64_t *g_pas;
static ss_status *g_sts;

NOINLINE static uint64_t run_many(ss_space *s, const uint64_t *vas, size_t n)
{
    size_t ok = 0;
    ss_translate_many(s, vas, n, g_pas, g_sts, &ok);
    return ok + g_pas[n - 1];
}

NOINLINE static uint64_t run_range(ss_space *s, uint64_t va, size_t npages)
{
    size_t ok = 0;
    ss_translate_range(s, va, npages, g_pas, g_sts, &ok);
    return ok + g_pas[npages - 1];
}

/* ---- addrxlat, over the same mapping ------------------------------------------------------- */
#ifdef HAVE_ADDRXLAT
typedef struct ax {
    addrxlat_ctx_t *ctx;
    addrxlat_sys_t *sys;
    addrxlat_meth_t meth;
    const uint8_t *mem;
    uint64_t size;
} ax;

static void ax_put_page(const addrxlat_buffer_t *buf)
{
    (void)buf; /* pages are the mmap itself: nothing to release */
}

/* The read callback: pages straight from the raw source's mmap (what our walks read). */
static addrxlat_status ax_get_page(const addrxlat_cb_t *cb, addrxlat_buffer_t *buf)
{
    const ax *a = cb->priv;
    uint64_t pa = buf->addr.addr & ~0xfffull;
    if (buf->addr.as != ADDRXLAT_MACHPHYSADDR || pa >= a->size)
        return ADDRXLAT_ERR_NODATA;
    buf->addr.addr = pa;
    buf->ptr = a->mem + pa;
    buf->size = 4096;
    buf->byte_order = ADDRXLAT_HOST_ENDIAN;
    buf->put_page = ax_put_page; /* called unconditionally by addrxlat */
    return ADDRXLAT_OK;
}

static unsigned long ax_read_caps(const addrxlat_cb_t *cb)
{
    (void)cb;
    return ADDRXLAT_CAPS(ADDRXLAT_MACHPHYSADDR);
}

/* A context with our reader and a system whose HW and KV->phys maps are one x86-64 page table at cr3. */
static void ax_open(ax *a, const bench_image *bi)
{
    /* the raw source's own mapping, shared with the addrxlat reader */
    if (ss_source_mapping(bi->src, &a->mem, &a->size) != SS_OK)
        die("raw source is not flat");
    a->ctx = addrxlat_ctx_new();
    addrxlat_cb_t *cb = a->ctx ? addrxlat_ctx_add_cb(a->ctx) : NULL;
    if (!cb)
        die("addrxlat_ctx_new");
    cb->priv = a;
    cb->get_page = ax_get_page;
    cb->read_caps = ax_read_caps;
    memset(&a->meth, 0, sizeof a->meth);
    a->meth.kind = ADDRXLAT_PGT;
    a->meth.target_as = ADDRXLAT_MACHPHYSADDR;
    a->meth.param.pgt.root.addr = bi->cr3 & 0x000ffffffffff000ull;
    a->meth.param.pgt.root.as = ADDRXLAT_MACHPHYSADDR;
    a->meth.param.pgt.pte_mask = 0;
    a->meth.param.pgt.pf.pte_format = ADDRXLAT_PTE_X86_64;
    a->meth.param.pgt.pf.nfields = 5;
    const unsigned short fields[5] = {12, 9, 9, 9, 9};
    memcpy(a->meth.param.pgt.pf.fieldsz, fields, sizeof fields);
    a->sys = addrxlat_sys_new();
    if (!a->sys)
        die("addrxlat_sys_new");
    addrxlat_sys_set_meth(a->sys, ADDRXLAT_SYS_METH_PGT, &a->meth);
    const addrxlat_range_t all = {ADDRXLAT_ADDR_MAX, ADDRXLAT_SYS_METH_PGT};
    for (int m = 0; m < 2; m++) {
        addrxlat_map_t *map = addrxlat_map_new();
        if (!map || addrxlat_map_set(map, 0, &all) != ADDRXLAT_OK)
            die("addrxlat_map_set");
        addrxlat_sys_set_map(a->sys, m ? ADDRXLAT_SYS_MAP_KV_PHYS : ADDRXLAT_SYS_MAP_HW, map);
        addrxlat_map_decref(map); /* the system holds its own reference */
    }
}

static void ax_close(ax *a)
{
    addrxlat_sys_decref(a->sys);
    addrxlat_ctx_decref(a->ctx);
}

/* KVADDR -> MACHPHYSADDR through the system, the intended entry point. */
NOINLINE static uint64_t run_ax_conv(ax *a, const uint64_t *vas, size_t n)
{
    uint64_t acc = 0;
    for (size_t i = 0; i < n; i++) {
        addrxlat_fulladdr_t fa = {vas[i], ADDRXLAT_KVADDR};
        if (addrxlat_fulladdr_conv(&fa, ADDRXLAT_MACHPHYSADDR, a->ctx, a->sys) == ADDRXLAT_OK)
            acc += fa.addr;
    }
    return acc;
}

/* addrxlat and ss_space_walk agree on every VA of a list (else the comparison means nothing). */
static size_t ax_check(ax *a, ss_space *s, const uint64_t *vas, size_t n)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        addrxlat_fulladdr_t fa = {vas[i], ADDRXLAT_KVADDR};
        uint64_t pa = 0;
        int ok1 = addrxlat_fulladdr_conv(&fa, ADDRXLAT_MACHPHYSADDR, a->ctx, a->sys) == ADDRXLAT_OK;
        int ok2 = ss_translate(s, vas[i], &pa) == SS_OK;
        bad += ok1 != ok2 || (ok1 && fa.addr != pa);
    }
    return bad;
}
#endif

/* ---- timing ------------------------------------------------------------------------------ */

typedef enum kind { K_TRANSLATE, K_TRANSLATE_NC, K_MANY, K_RANGE, K_AX_CONV } kind;

typedef struct job {
    kind k;
    ss_space *s;
    const uint64_t *vas;
    size_t n; /* translations per repetition */
    uint64_t va;
    void *ax;
} job;

static uint64_t run_job(const job *j)
{
    switch (j->k) {
    case K_TRANSLATE: return run_translate(j->s, j->vas, j->n);
    case K_TRANSLATE_NC: return run_translate_uncached(j->s, j->vas, j->n);
    case K_MANY: return run_many(j->s, j->vas, j->n);
    case K_RANGE: return run_range(j->s, j->va, j->n);
#ifdef HAVE_ADDRXLAT
    case K_AX_CONV: return run_ax_conv(j->ax, j->vas, j->n);
#else
    case K_AX_CONV: break;
#endif
    }
    return 0;
}

static int g_reps = 7;

/* Median ns per translation over g_reps repetitions (after one warm-up run). */
static double time_job(const job *j)
{
    double t[64];
    sink += run_job(j);
    for (int r = 0; r < g_reps; r++) {
        double t0 = bench_now();
        sink += run_job(j);
        t[r] = (bench_now() - t0) * 1e9 / (double)j->n;
    }
    bench_sort(t, (size_t)g_reps);
    return t[g_reps / 2];
}

static void row(const char *name, double ns, double ax_ns)
{
    if (ax_ns > 0)
        printf("| %s | %.1f | %.2f | %.1f | %.2f | %.1f× |\n", name, 1e3 / ns, ns, 1e3 / ax_ns, ax_ns,
               ax_ns / ns);
    else
        printf("| %s | %.1f | %.2f | – | – | – |\n", name, 1e3 / ns, ns);
    fflush(stdout);
}

/* ---- physical read bandwidth, one row per backend -------------------------------------------- */

/*
 * Each entry writes the bench image's memory in its format (next to the raw file)
 * and returns the path to open, or NULL when this build cannot write it (a kdump
 * compression library missing). The raw file is the one the other workloads use.
 */
typedef struct phys_backend {
    const char *name;
    const char *ext;
    int (*write)(const bench_image *bi, const char *path);
} phys_backend;

static int write_none(const bench_image *bi, const char *path)
{
    (void)bi, (void)path;
    return 0;
}
static int write_dmp_full(const bench_image *bi, const char *path)
{
    ssb_dmp_fields f = {.dtb = bi->cr3, .major_version = 0xF, .minor_version = 19041, .number_processors = 2};
    return ssb_write_dmp(bi->img, SSB_DMP64_FULL, &f, NULL, 0, path);
}
static int write_dmp_bitmap(const bench_image *bi, const char *path)
{
    ssb_dmp_fields f = {.dtb = bi->cr3, .major_version = 0xF, .minor_version = 19041, .number_processors = 2};
    return ssb_write_dmp(bi->img, SSB_DMP64_FULL_BITMAP, &f, NULL, 0, path);
}
static int write_elf(const bench_image *bi, const char *path)
{
    ssw_opts o = SSW_OPTS_INIT;
    return ssw_write_elf(bi->img, path, &o);
}
static int write_lime(const bench_image *bi, const char *path)
{
    return ssw_write_lime(bi->img, path);
}
static int write_kdump_method(const bench_image *bi, const char *path, unsigned method)
{
    ssw_opts o = SSW_OPTS_INIT;
    o.kdump_method = method;
    return ssw_write_kdump(bi->img, path, &o);
}
static int write_kdump_zlib(const bench_image *bi, const char *path)
{
    return write_kdump_method(bi, path, SSW_ZLIB);
}
static int write_kdump_zstd(const bench_image *bi, const char *path)
{
    return write_kdump_method(bi, path, SSW_ZSTD);
}
static int write_kdump_snappy(const bench_image *bi, const char *path)
{
    return write_kdump_method(bi, path, SSW_SNAPPY);
}

static const phys_backend phys_backends[] = {
    {"raw", NULL, write_none},
    {"crash dump, 64-bit full (runs)", "dmp", write_dmp_full},
    {"crash dump, 64-bit bitmap (FDMP)", "bmp.dmp", write_dmp_bitmap},
    {"ELF core", "elf", write_elf},
    {"LiME", "lime", write_lime},
    {"kdump, zlib", "zlib.kdump", write_kdump_zlib},
    {"kdump, snappy", "snappy.kdump", write_kdump_snappy},
    {"kdump, zstd", "zstd.kdump", write_kdump_zstd},
};

/* GB/s reading the 64 MiB data area: ss_source_read in 64 KiB chunks, and zero-copy ss_source_page. */
#define NWALK 20000 /* uncached walks per backend row: compressed backends decompress per entry */

static void bench_phys(const bench_image *bi, const uint64_t *hot)
{
    printf("\n| backend | ss_source_read, 64 KiB chunks (GB/s) | ss_source_page, zero-copy, sum of 8-byte "
           "words (GB/s) | uncached walks, working set (M/s) |\n|---|---|---|---|\n");
    static uint8_t buf[64 * KiB];
    const uint64_t total = DATA_FRAMES * 4096;
    for (size_t b = 0; b < sizeof phys_backends / sizeof *phys_backends; b++) {
        const phys_backend *pb = &phys_backends[b];
        char path[300], spec[310];
        if (pb->ext)
            snprintf(path, sizeof path, "%s.%s", bi->path, pb->ext);
        else
            snprintf(path, sizeof path, "%s", bi->path);
        if (pb->write(bi, path) != 0) {
            printf("| %s | not written by this build | | |\n", pb->name);
            continue;
        }
        snprintf(spec, sizeof spec, "%s", path);
        ss_source *src;
        if (ss_source_open(spec, &src, NULL) != SS_OK)
            die("open backend");
        const uint8_t *probe;
        int zero_copy = ss_source_page(src, 0, &probe) == SS_OK;
        double tr[64], tp[64];
        for (int r = 0; r <= g_reps; r++) {
            double t0 = bench_now();
            for (uint64_t pa = 0; pa < total; pa += sizeof buf) {
                size_t got;
                if (ss_source_read(src, pa, buf, sizeof buf, &got) != SS_OK)
                    die("ss_source_read");
                sink += buf[pa % sizeof buf];
            }
            double t1 = bench_now();
            uint64_t acc = 0;
            for (uint64_t pfn = 0; zero_copy && pfn < DATA_FRAMES; pfn++) {
                const uint8_t *pg;
                if (ss_source_page(src, pfn, &pg) != SS_OK)
                    die("ss_source_page");
                for (size_t i = 0; i < 4096; i += 8) {
                    uint64_t w;
                    memcpy(&w, pg + i, 8);
                    acc += w;
                }
            }
            sink += acc;
            double t2 = bench_now();
            if (r > 0) { /* r = 0 warms the page cache */
                tr[r - 1] = (double)total / (t1 - t0) * 1e-9;
                tp[r - 1] = (double)total / (t2 - t1) * 1e-9;
            }
        }
        bench_sort(tr, (size_t)g_reps);
        bench_sort(tp, (size_t)g_reps);
        /* workload 2 (walks, no cache) through this backend: what a scan of this format costs */
        ss_space_options o = SS_SPACE_OPTIONS_INIT;
        o.no_cache = 1;
        ss_space *u;
        if (ss_space_open(src, SS_MODE_X64, bi->cr3, &o, &u) != SS_OK)
            die("ss_space_open (backend)");
        double walk_ns = time_job(&(job){K_TRANSLATE_NC, u, hot, NWALK, 0, NULL});
        ss_space_close(u);
        if (zero_copy)
            printf("| %s | %.2f | %.2f | %.1f |\n", pb->name, tr[g_reps / 2], tp[g_reps / 2], 1e3 / walk_ns);
        else
            printf("| %s | %.2f | – (compressed pages: no zero-copy) | %.2f |\n", pb->name, tr[g_reps / 2],
                   1e3 / walk_ns);
        fflush(stdout);
        ss_source_close(src);
        if (pb->ext)
            unlink(path);
    }
}

/* ---- main ----------------------------------------------------------------------------------- */

static int callgrind_mode(const char *what, size_t n)
{
    bench_image bi;
    build_image(&bi, 256 * MiB, 0);
    uint64_t *hot = va_list_ws(&bi, n, 4096);
    g_pas = malloc(n * sizeof *g_pas);
    g_sts = malloc(n * sizeof *g_sts);
    if (!g_pas || !g_sts)
        die("no memory");
    ss_space *c = open_space(&bi, 0), *u = open_space(&bi, 1);
    for (size_t i = 0; i < n; i++) { /* warm the cache: the counted run is all hits */
        uint64_t pa;
        sink += ss_translate(c, hot[i], &pa);
    }
    if (!strcmp(what, "cached"))
        sink += run_translate(c, hot, n);
    else if (!strcmp(what, "uncached"))
        sink += run_translate_uncached(u, hot, n);
    else if (!strcmp(what, "miss")) {
        /* distinct pages, 511 per 2 MiB region, the 128 regions visited in turn: every
           lookup misses, every walk starts at the page table the paging-structure cache
           holds for the region (one entry load) */
        const size_t chunk = 128 * 511;
        uint64_t *v = malloc(chunk * sizeof *v);
        if (!v)
            die("no memory");
        for (size_t i = 0; i < chunk; i++)
            v[i] = VA_BASE + (i % 128) * 2 * MiB + (i / 128) * 4096;
        ss_space *m = open_space(&bi, 0);
        for (size_t done = 0; done < n; done += chunk) {
            ss_space_flush(m);
            for (size_t i = 0; i < 128; i++) { /* the regions' page tables, via page 511 */
                uint64_t pa;
                sink += ss_translate(m, VA_BASE + i * 2 * MiB + 511 * 4096, &pa);
            }
            sink += run_translate_miss(m, v, n - done < chunk ? n - done : chunk);
        }
        ss_space_close(m);
        free(v);
    } else if (!strcmp(what, "many"))
        sink += run_many(c, hot, n);
    else if (!strcmp(what, "range")) /* over the mapped 256 MiB (65,536 pages) again and again */
        for (size_t done = 0; done < n; done += 65536)
            sink += run_range(c, VA_BASE, n - done < 65536 ? n - done : 65536);
#ifdef HAVE_ADDRXLAT
    else if (!strcmp(what, "addrxlat")) {
        ax a;
        ax_open(&a, &bi);
        sink += run_ax_conv(&a, hot, n);
        ax_close(&a);
    }
#endif
    else
        die("unknown callgrind kind (cached, uncached, miss, many, range, addrxlat)");
    ss_space_close(c);
    ss_space_close(u);
    free(hot);
    free_image(&bi);
    return 0;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--reps") && i + 1 < argc) {
            g_reps = atoi(argv[++i]);
            if (g_reps < 1 || g_reps > 63)
                die("--reps 1..63");
        } else if (!strcmp(argv[i], "--callgrind") && i + 2 < argc) {
            return callgrind_mode(argv[i + 1], (size_t)strtoull(argv[i + 2], NULL, 10));
        } else {
            fprintf(stderr, "usage: bench_xlat [--reps N] | --callgrind KIND N\n");
            return 2;
        }
    }
    const size_t NLIST = 1000000, NRANGE = GiB / 4096;
    double t0 = bench_now();
    bench_image bi;
    build_image(&bi, 8 * GiB, 1);
    uint64_t *hot = va_list_ws(&bi, NLIST, 4096);
    uint64_t *cold = va_list_cold(&bi, NLIST);
    const size_t nout = NRANGE > NLIST ? NRANGE : NLIST;
    g_pas = malloc(nout * sizeof *g_pas);
    g_sts = malloc(nout * sizeof *g_sts);
    if (!g_pas || !g_sts)
        die("no memory");
    ss_space *c = open_space(&bi, 0), *u = open_space(&bi, 1);
    fprintf(stderr, "image built and lists drawn in %.1f s\n", bench_now() - t0);

    double ax_hot_conv = 0, ax_cold_conv = 0;
#ifdef HAVE_ADDRXLAT
    ax a;
    ax_open(&a, &bi);
    size_t bad = ax_check(&a, u, hot, 100000) + ax_check(&a, u, cold, 100000);
    if (bad)
        fprintf(stderr, "WARNING: addrxlat and sessionspace disagree on %zu VAs\n", bad);
    printf("addrxlat and ss_translate compared on 200,000 VAs of the lists: %zu differ\n", bad);
    ax_hot_conv = time_job(&(job){K_AX_CONV, NULL, hot, NLIST, 0, &a});
    ax_cold_conv = time_job(&(job){K_AX_CONV, NULL, cold, NLIST, 0, &a});
#endif

    printf("bench_xlat: x86-64 4-level, 8 GiB of VA in 4 KiB pages (16 MiB of page tables), "
           "%zu translations per run, median of %d runs; addrxlat %s\n\n",
           NLIST, g_reps,
#ifdef HAVE_ADDRXLAT
           "= libaddrxlat: addrxlat_fulladdr_conv(KVADDR -> MACHPHYSADDR) through an addrxlat_sys whose maps "
           "use one x86-64 page-table method at the same CR3, reading the same mmap"
#else
           "not built (no libaddrxlat)"
#endif
    );
    printf("| workload | sessionspace M/s | ns/translation | addrxlat M/s | addrxlat ns | speed-up |\n"
           "|---|---|---|---|---|---|\n");
    double c_hot = time_job(&(job){K_TRANSLATE, c, hot, NLIST, 0, NULL});
    row("1. cached, 4,096-page working set (ss_translate)", c_hot, ax_hot_conv);
    double m_hot = time_job(&(job){K_MANY, c, hot, NLIST, 0, NULL});
    row("1b. cached, same list in one ss_translate_many", m_hot, ax_hot_conv);
    double u_hot = time_job(&(job){K_TRANSLATE_NC, u, hot, NLIST, 0, NULL});
    row("2. uncached walks, same set, tables hot", u_hot, ax_hot_conv);
    double u_cold = time_job(&(job){K_TRANSLATE_NC, u, cold, NLIST, 0, NULL});
    row("3. uncached walks, 1,000,000 pages over 8 GiB, tables cold", u_cold, ax_cold_conv);
    double c_cold = time_job(&(job){K_TRANSLATE, c, cold, NLIST, 0, NULL});
    row("3b. cache on, same 1,000,000 pages (misses; paging-structure cache)", c_cold, ax_cold_conv);
    double r4k = time_job(&(job){K_RANGE, c, NULL, NRANGE, VA_BASE, NULL});
    double r2m = time_job(&(job){K_RANGE, c, NULL, NRANGE, bi.va_2m, NULL});
    printf("\n| batch (ss_translate_range) | M pages/s | ns/page | GiB of VA/s |\n|---|---|---|---|\n");
    printf("| 4. 1 GiB range, 4 KiB pages (262,144 pages) | %.1f | %.2f | %.1f |\n", 1e3 / r4k, r4k,
           4096.0 / r4k / 1.073741824);
    printf("| 4b. 1 GiB range, 2 MiB pages | %.1f | %.2f | %.1f |\n", 1e3 / r2m, r2m,
           4096.0 / r2m / 1.073741824);

    bench_phys(&bi, hot);

    ss_cache_stats st;
    ss_space_cache_stats(c, &st, 0);
    printf("\ncache: %u entries × %u bytes; targets: cached ≥ 150 M/s %s, ≥ 10× addrxlat %s; "
           "uncached hot ≥ 25 M/s %s, ≥ 2× addrxlat %s; ≤ 32 bytes/entry %s\n",
           st.entries, st.entry_bytes, 1e3 / c_hot >= 150 ? "met" : "MISSED",
           ax_hot_conv == 0            ? "n/a"
           : ax_hot_conv / c_hot >= 10 ? "met"
                                       : "MISSED",
           1e3 / u_hot >= 25 ? "met" : "MISSED",
           ax_hot_conv == 0           ? "n/a"
           : ax_hot_conv / u_hot >= 2 ? "met"
                                      : "MISSED",
           st.entry_bytes <= 32 ? "met" : "MISSED");
#ifdef HAVE_ADDRXLAT
    ax_close(&a);
#endif
    ss_space_close(c);
    ss_space_close(u);
    free(hot);
    free(cold);
    free(g_pas);
    free(g_sts);
    free_image(&bi);
    return 0;
}
