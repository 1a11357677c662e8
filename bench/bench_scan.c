/*
 * bench_scan: symbol-less DTB discovery (ss_scan_run) in GB/s, beside the source's
 * own sequential read bandwidth measured in the same run (the limit a scan that
 * reads every page can reach).
 *
 * Generates in $TMPDIR (default /tmp) one x64 physical memory of --gib GiB (default
 * 2): the discovery test layout of tests/support/scanimage.c (2 no-session roots,
 * 3 sessions x 4 processes, decoys) plus data pages filling 7/8 of all frames —
 * pseudo-random words, pointer-like kernel words, text — and 1/8 left as holes
 * (zero pages). It is written as a sparse raw file and as a 64-bit bitmap crash
 * dump (FDMP; the holes are not in the dump). For each file, in this process:
 *   - read/page: every frame of ss_source_ranges() in PFN order through
 *     ss_source_page(), summing every 8-byte word (the zero-copy limit);
 *   - read/copy: the same through ss_source_read() into a 4 KiB buffer, summing
 *     every word (the copying limit);
 *   - scan: ss_scan_run() over the whole source (progress callback on, 64 MiB steps);
 * one warm-up pass each (page cache and mapping faulted in), then the median of
 * --runs passes (default 5). Every scan must find exactly the generator's roots.
 * Prints a markdown table; deletes the files.
 *
 *   bench_scan [--gib N] [--runs N] [--keep]
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "dmpwriter.h"
#include "scanimage.h"
#include "sessionspace.h"
#include "testutil.h"

#define GiB (1024ull * 1024ull * 1024ull)
#define PG  4096ull

static volatile uint64_t sink;

static uint64_t sum_page(const uint8_t *p)
{
    uint64_t s = 0;
    for (unsigned i = 0; i < 4096; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        s += w;
    }
    return s;
}

/* One pass of the read limit: 0 = ss_source_page, 1 = ss_source_read. Returns bytes. */
static uint64_t read_pass(ss_source *src, int copy)
{
    const ss_phys_range *r;
    size_t nr;
    ss_source_ranges(src, &r, &nr);
    uint64_t s = 0, bytes = 0;
    uint8_t buf[4096];
    for (size_t i = 0; i < nr; i++)
        for (uint64_t pfn = r[i].start / PG; pfn < (r[i].start + r[i].size) / PG; pfn++) {
            const uint8_t *p = buf;
            ss_status st = copy ? ss_source_read(src, pfn * PG, buf, PG, NULL) : ss_source_page(src, pfn, &p);
            if (st == SS_OK)
                s += sum_page(p);
            bytes += PG;
        }
    sink += s;
    return bytes;
}

static int on_found(void *arg, const ss_scan_candidate *c)
{
    (void)c;
    ++*(size_t *)arg;
    return 0;
}

static int on_progress(void *arg, uint64_t done, uint64_t total)
{
    (void)total;
    *(uint64_t *)arg = done;
    return 0;
}

typedef struct figures {
    double page_gbs, read_gbs, scan_gbs;
    uint64_t bytes;
} figures;

static int measure(const char *spec, size_t want_roots, int runs, figures *f)
{
    ss_source *src;
    ss_error err;
    if (ss_source_open(spec, &src, &err) != SS_OK) {
        fprintf(stderr, "%s: %s\n", spec, err.message);
        return -1;
    }
    double tp[64], tr[64], ts[64];
    uint64_t bytes = 0;
    for (int i = 0; i <= runs; i++) { /* i == 0: warm-up */
        double t0 = bench_now();
        bytes = read_pass(src, 0);
        double t1 = bench_now();
        read_pass(src, 1);
        double t2 = bench_now();
        ss_scan_options o = SS_SCAN_OPTIONS_INIT;
        uint64_t last = 0;
        o.progress = on_progress;
        o.progress_arg = &last;
        size_t found = 0;
        ss_scan_stats st;
        ss_status s = ss_scan_run(src, &o, on_found, &found, &st);
        double t3 = bench_now();
        if (s != SS_OK || found != want_roots || last != st.bytes_total || st.bytes_total != bytes) {
            fprintf(stderr, "%s: scan gave %s, %zu roots (want %zu)\n", spec, ss_status_name(s), found,
                    want_roots);
            ss_source_close(src);
            return -1;
        }
        if (i > 0) {
            tp[i - 1] = t1 - t0;
            tr[i - 1] = t2 - t1;
            ts[i - 1] = t3 - t2;
        }
    }
    ss_source_close(src);
    f->bytes = bytes;
    f->page_gbs = bytes / bench_median(tp, runs) / 1e9;
    f->read_gbs = bytes / bench_median(tr, runs) / 1e9;
    f->scan_gbs = bytes / bench_median(ts, runs) / 1e9;
    return 0;
}

/* Fills every frame from 64 MiB on that the layout leaves free: 7 of 8 get data. */
static int fill(ssb_image *img, uint64_t phys)
{
    uint64_t seed = 0x2545f4914f6cdd1dull;
    uint64_t words[512];
    for (uint64_t pa = 64ull << 20; pa < phys; pa += PG) {
        uint64_t pfn = pa / PG;
        if (ssb_page(img, pfn) || pfn % 8 == 7)
            continue; /* a table of the layout, or a hole */
        switch (pfn % 4) {
        case 0: /* random */
            for (unsigned i = 0; i < 512; i++)
                words[i] = ss_test_rand(&seed);
            break;
        case 1: /* pointer-like kernel data */
            for (unsigned i = 0; i < 512; i++)
                words[i] = 0xffff800000000000ull | (ss_test_rand(&seed) & 0x7fffffffff8ull);
            break;
        case 2: /* small integers and zeros */
            for (unsigned i = 0; i < 512; i++)
                words[i] = i % 3 ? 0 : ss_test_rand(&seed) & 0xffff;
            break;
        default: /* text */
            for (unsigned i = 0; i < 512; i++)
                words[i] = 0x2065687420666f20ull + (ss_test_rand(&seed) & 0x0f0f0f0f0f0f0f0full);
        }
        if (ssb_write(img, pa, words, PG) != 0)
            return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t gib = 2;
    int runs = 5, keep = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--gib") == 0 && i + 1 < argc)
            gib = strtoull(argv[++i], NULL, 0);
        else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (strcmp(argv[i], "--keep") == 0)
            keep = 1;
        else {
            fprintf(stderr, "usage: bench_scan [--gib N] [--runs N] [--keep]\n");
            return 2;
        }
    }
    if (gib < 1 || gib > 64 || runs < 1 || runs > 63) {
        fprintf(stderr, "bench_scan: --gib 1..64, --runs 1..63\n");
        return 2;
    }
    uint64_t phys = gib * GiB;
    ssb_scan_spec spec = {0x13b, 0x1b7, 3, 4, 2, 1, 1, phys, 256};
    ssb_scan_truth t;
    double t0 = bench_now();
    ssb_image *img = ssb_build_scan_image(&spec, &t);
    if (!img || fill(img, phys) != 0) {
        fprintf(stderr, "bench_scan: cannot build the image\n");
        return 1;
    }
    const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char raw[512], dmp[512], rawspec[600], dmpspec[600];
    snprintf(raw, sizeof raw, "%s/bench_scan_%ld.raw", dir, (long)getpid());
    snprintf(dmp, sizeof dmp, "%s/bench_scan_%ld.dmp", dir, (long)getpid());
    snprintf(rawspec, sizeof rawspec, "raw:%s", raw);
    snprintf(dmpspec, sizeof dmpspec, "dmp:%s", dmp);
    ssb_dmp_fields f = {0};
    f.dtb = t.root[0];
    f.major_version = 0xf;
    f.minor_version = 19041;
    f.number_processors = 1;
    if (ssb_write_raw(img, raw) != 0 || ssb_write_dmp(img, SSB_DMP64_FULL_BITMAP, &f, NULL, 0, dmp) != 0) {
        fprintf(stderr, "bench_scan: cannot write %s / %s\n", raw, dmp);
        ssb_free(img);
        return 1;
    }
    ssb_free(img);
    fprintf(stderr, "bench_scan: %" PRIu64 " GiB image and dump written in %.1f s\n", gib, bench_now() - t0);

    printf(
        "| source | bytes scanned | read, ss_source_page (GB/s) | read, ss_source_read (GB/s) | scan (GB/s) "
        "| scan / page read |\n|---|---|---|---|---|---|\n");
    int rc = 0;
    const char *specs[2] = {rawspec, dmpspec}, *names[2] = {"raw (sparse file)", "bitmap DMP (FDMP)"};
    for (int i = 0; i < 2; i++) {
        figures fg;
        if (measure(specs[i], t.nroots, runs, &fg) != 0) {
            rc = 1;
            continue;
        }
        printf("| %s | %.2f GiB | %.2f | %.2f | %.2f | %.2f |\n", names[i], fg.bytes / (double)GiB,
               fg.page_gbs, fg.read_gbs, fg.scan_gbs, fg.scan_gbs / fg.page_gbs);
        fflush(stdout);
    }
    printf("\nmedian of %d runs after one warm-up; %zu roots found in every scan\n", runs, t.nroots);
    if (!keep) {
        unlink(raw);
        unlink(dmp);
    }
    return rc;
}
