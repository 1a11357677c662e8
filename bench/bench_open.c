/*
 * bench_open: what opening and reading a large crash dump costs.
 *
 * Generates, in a temporary directory, a 64 GiB physical memory as three sparse
 * files: a raw image, a 64-bit full crash dump (PHYSICAL_MEMORY_DESCRIPTOR runs)
 * and a 64-bit bitmap dump (FDMP, one bit per page: 2 MiB of bitmap). Only the
 * page tables and a few data pages are written; everything else is holes. Then,
 * in a fresh process per file (so VmHWM is the open's own peak), measures:
 *   - ss_source_open + ss_source_close, median of several runs;
 *   - VmRSS before and after one open (kept open), and VmHWM;
 *   - physical read bandwidth over 1 GiB of present pages, 4 KiB at a time in
 *     PFN order, through ss_source_read (a copy) and ss_source_page (a pointer;
 *     the page's words are summed so every byte is touched). A warm-up pass
 *     first, so the timed pass measures the library, not page-cache faults.
 * Prints markdown tables; deletes the files afterwards.
 *
 *   bench_open [--pages N]     (N: pages in the bandwidth pass; default 262144 = 1 GiB)
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "dmpwriter.h"
#include "imagebuilder.h"
#include "sessionspace.h"

#define GiB       (1024ull * 1024ull * 1024ull)
#define PHYS      (64 * GiB)
#define OPEN_RUNS 9

/* A "VmRSS:" / "VmHWM:" line of /proc/self/status, in KiB. */
static long status_kib(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long v = -1;
    size_t klen = strlen(key);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, klen) == 0) {
            v = strtol(line + klen, NULL, 10);
            break;
        }
    fclose(f);
    return v;
}

/* Child: measures one file, prints one line "open_ms rss0 rss1 hwm read_gbs page_gbs". */
static int measure(const char *path, uint64_t first_pfn, uint64_t pages)
{
    long rss0 = status_kib("VmRSS:");
    double t[OPEN_RUNS];
    for (int i = 0; i < OPEN_RUNS; i++) {
        ss_source *src = NULL;
        ss_error err;
        double t0 = bench_now();
        if (ss_source_open(path, &src, &err) != SS_OK) {
            fprintf(stderr, "%s: %s\n", path, err.message);
            return 1;
        }
        t[i] = bench_now() - t0;
        ss_source_close(src);
    }
    bench_sort(t, OPEN_RUNS);
    ss_source *src = NULL;
    if (ss_source_open(path, &src, NULL) != SS_OK)
        return 1;
    long rss1 = status_kib("VmRSS:");
    long hwm = status_kib("VmHWM:");

    static uint8_t buf[4096];
    uint64_t sum = 0;
    double best_read = 1e30, best_page = 1e30;
    for (int pass = 0; pass < 3; pass++) { /* pass 0 warms the page cache */
        double t0 = bench_now();
        for (uint64_t p = first_pfn; p < first_pfn + pages; p++) {
            if (ss_source_read(src, p << 12, buf, sizeof buf, NULL) != SS_OK)
                return 1;
            sum += buf[p & 4095];
        }
        double t1 = bench_now();
        for (uint64_t p = first_pfn; p < first_pfn + pages; p++) {
            const uint8_t *pg;
            if (ss_source_page(src, p, &pg) != SS_OK)
                return 1;
            const uint64_t *w = (const uint64_t *)(const void *)pg;
            for (size_t k = 0; k < 512; k++)
                sum += w[k];
        }
        double t2 = bench_now();
        if (pass) {
            best_read = t1 - t0 < best_read ? t1 - t0 : best_read;
            best_page = t2 - t1 < best_page ? t2 - t1 : best_page;
        }
    }
    ss_source_close(src);
    double bytes = (double)pages * 4096.0;
    printf("%.3f %ld %ld %ld %.2f %.2f %" PRIu64 "\n", t[OPEN_RUNS / 2] * 1e3, rss0, rss1, hwm,
           bytes / best_read / 1e9, bytes / best_page / 1e9, sum & 1);
    return 0;
}

typedef struct result {
    const char *label;
    char path[600];
    double open_ms, read_gbs, page_gbs;
    long rss0, rss1, hwm;
    uint64_t apparent, disk;
} result;

static int run_child(const char *self, result *r, uint64_t first_pfn, uint64_t pages)
{
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "'%s' --measure '%s' %" PRIu64 " %" PRIu64, self, r->path, first_pfn, pages);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    unsigned long long one;
    int n = fscanf(p, "%lf %ld %ld %ld %lf %lf %llu", &r->open_ms, &r->rss0, &r->rss1, &r->hwm, &r->read_gbs,
                   &r->page_gbs, &one);
    int rc = pclose(p);
    return n == 7 && rc == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "--measure") == 0)
        return measure(argv[2], strtoull(argv[3], NULL, 0), strtoull(argv[4], NULL, 0));
    uint64_t pages = 262144;
    if (argc == 3 && strcmp(argv[1], "--pages") == 0)
        pages = strtoull(argv[2], NULL, 0);

    char self[512];
    ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
    if (sl <= 0)
        return 1;
    self[sl] = 0;
    const char *base = getenv("TMPDIR");
    char dir[512];
    snprintf(dir, sizeof dir, "%s/bench_openXXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }

    /* 64 GiB, x64 page tables from 1 MiB, a few data pages: the files are almost all holes. */
    ssb_image *img = ssb_new(SS_MODE_X64, PHYS, 1ull << 20);
    uint64_t dtb = ssb_new_root(img);
    for (uint64_t i = 0; i < 64; i++) {
        uint64_t pa = i * (PHYS / 64) + 0x200000; /* one per GiB */
        uint8_t page[4096];
        memset(page, (int)i + 1, sizeof page);
        ssb_write(img, pa, page, sizeof page);
        ssb_map(img, dtb, 0xFFFFF80000000000ull + i * 4096, pa, 4096, SSB_RW);
    }
    /* The runs of a typical PC: low memory below 640 KiB, up to 3 GiB, then from 4 GiB on. */
    ssb_pfn_run runs[] = {{0x1, 0x9E}, {0x100, 0xC0000 - 0x100}, {0x100000, PHYS / 4096 - 0x100000}};
    ssb_dmp_fields f = {.dtb = dtb, .major_version = 0xF, .minor_version = 19041, .number_processors = 8};

    result r[3] = {{.label = "raw"}, {.label = "DMP64 full (runs)"}, {.label = "DMP64 bitmap (FDMP)"}};
    snprintf(r[0].path, sizeof r[0].path, "%s/mem.raw", dir);
    snprintf(r[1].path, sizeof r[1].path, "%s/full.dmp", dir);
    snprintf(r[2].path, sizeof r[2].path, "%s/bitmap.dmp", dir);
    double g0 = bench_now();
    int ok = ssb_write_raw(img, r[0].path) == 0 &&
             ssb_write_dmp(img, SSB_DMP64_FULL, &f, runs, 3, r[1].path) == 0 &&
             ssb_write_dmp(img, SSB_DMP64_FULL_BITMAP, &f, runs, 3, r[2].path) == 0;
    double g1 = bench_now();
    ssb_free(img);
    int rc = 0;
    if (!ok) {
        fprintf(stderr, "writing the dumps failed\n");
        rc = 1;
    }
    for (int i = 0; rc == 0 && i < 3; i++) {
        struct stat sb;
        stat(r[i].path, &sb);
        r[i].apparent = (uint64_t)sb.st_size;
        r[i].disk = (uint64_t)sb.st_blocks * 512;
        /* bandwidth over pages 0x100 .. 0x100 + pages (inside the second run) */
        if (run_child(self, &r[i], 0x100, pages) != 0) {
            fprintf(stderr, "measuring %s failed\n", r[i].path);
            rc = 1;
        }
    }
    for (int i = 0; i < 3; i++)
        unlink(r[i].path);
    rmdir(dir);
    if (rc)
        return rc;

    printf("64 GiB of physical memory (%.2f s to generate the three sparse files)\n\n", g1 - g0);
    printf("| source | file size | on disk | open (median of %d) | VmRSS before -> after open | VmHWM |\n",
           OPEN_RUNS);
    printf("|---|---:|---:|---:|---:|---:|\n");
    for (int i = 0; i < 3; i++)
        printf("| %s | %.1f GiB | %.1f MiB | %.3f ms | %.1f -> %.1f MiB | %.1f MiB |\n", r[i].label,
               (double)r[i].apparent / GiB, (double)r[i].disk / (1 << 20), r[i].open_ms, r[i].rss0 / 1024.0,
               r[i].rss1 / 1024.0, r[i].hwm / 1024.0);
    printf("\nPhysical reads over %.2f GiB of present pages, 4 KiB at a time in PFN order (best of 2 warm "
           "passes)\n\n",
           (double)pages * 4096 / GiB);
    printf("| source | ss_source_read (copy) | ss_source_page (pointer, every word summed) |\n");
    printf("|---|---:|---:|\n");
    for (int i = 0; i < 3; i++)
        printf("| %s | %.2f GB/s | %.2f GB/s |\n", r[i].label, r[i].read_gbs, r[i].page_gbs);
    return 0;
}
