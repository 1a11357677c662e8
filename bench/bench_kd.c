/*
 * bench_kd — physical-read throughput of a kd: (gdbstub) source beside a raw file's.
 *
 *   bench_kd [--reps N] [--raw PATH] [kd:tcp:HOST:PORT[,OPTION...]]
 *
 * With a spec it measures that stub (QEMU's gdbstub: the guest is halted throughout and
 * resumed at exit); without one it starts the test-support fake gdbstub in a thread,
 * serving a 64 MiB sample image over 127.0.0.1. --raw gives the raw file to compare
 * with (for QEMU: the guest's RAM file, memory-backend-file, whose offsets are physical
 * addresses below 3 GiB); by default the sample image written as a raw file.
 *
 * Workloads, each the median of --reps passes (default 5), on physical pages in
 * [1 MiB, 9 MiB):
 *  - cold 4 KiB reads: after ss_kd_halt() (a new generation: the page cache is empty),
 *    256 random pages read with one ss_source_read() of 4096 bytes each;
 *  - cold 1 MiB read: after a halt, one ss_source_read() of 256 consecutive pages (the
 *    backend pipelines the requests);
 *  - cached 8-byte reads: 1,000,000 reads at random offsets of those 256 pages, same
 *    generation (served from the backend's page cache);
 *  - the raw file: the same 4 KiB page list and the same 8-byte reads.
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "elfwriter.h"
#include "fakestub.h"
#include "sessionspace.h"
#include "testutil.h"

#define NPAGES 256
#define NSMALL 1000000

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void die(const char *what, ss_source *src, ss_status st)
{
    fprintf(stderr, "bench_kd: %s: %s %s\n", what, ss_status_name(st), src ? ss_kd_last_error(src) : "");
    exit(1);
}

static uint64_t pages[NPAGES], small_pa[NSMALL];
static uint8_t buf[NPAGES * 4096];

/* Seconds for the 4 KiB page list on src. */
static double read_pages(ss_source *src)
{
    double t = now();
    for (int i = 0; i < NPAGES; i++) {
        ss_status st = ss_source_read(src, pages[i], buf + (size_t)i * 4096, 4096, NULL);
        if (st != SS_OK)
            die("page read", src, st);
    }
    return now() - t;
}

static double read_small(ss_source *src, uint64_t *sum)
{
    double t = now();
    for (int i = 0; i < NSMALL; i++) {
        uint64_t v;
        ss_status st = ss_source_read(src, small_pa[i], &v, 8, NULL);
        if (st != SS_OK)
            die("8-byte read", src, st);
        *sum += v;
    }
    return now() - t;
}

int main(int argc, char **argv)
{
    int reps = 5;
    const char *spec = NULL, *raw_path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (strcmp(argv[i], "--raw") == 0 && i + 1 < argc)
            raw_path = argv[++i];
        else if (strncmp(argv[i], "kd:", 3) == 0)
            spec = argv[i];
        else {
            fprintf(stderr, "usage: bench_kd [--reps N] [--raw PATH] [kd:tcp:HOST:PORT]\n");
            return 2;
        }
    }
    if (reps < 1 || reps > 100)
        reps = 5;
    uint64_t cr3, vas[64];
    size_t nvas;
    ssb_image *img = NULL;
    fstub *stub = NULL;
    char own_spec[64];
    if (!spec || !raw_path) {
        img = ssw_sample_image(SS_MODE_X64, &cr3, vas, &nvas);
        if (!img)
            return 1;
    }
    if (!spec) {
        fstub_config c = {.img = img, .cr3 = {cr3, cr3}, .cr0 = 0x80000011, .cr4 = 0x20, .efer = 0x500};
        stub = fstub_start(&c);
        if (!stub)
            return 1;
        snprintf(own_spec, sizeof own_spec, "kd:tcp:127.0.0.1:%u", fstub_port(stub));
        spec = own_spec;
    }
    ss_source *kd = NULL, *raw = NULL;
    ss_error err;
    if (ss_source_open(spec, &kd, &err) != SS_OK) {
        fprintf(stderr, "bench_kd: %s\n", err.message);
        return 1;
    }
    if (raw_path ? ss_source_open(raw_path, &raw, &err) != SS_OK
                 : !(raw = ss_test_open_raw(img, "bench-kd.raw"))) {
        fprintf(stderr, "bench_kd: raw: %s\n", raw_path ? err.message : "cannot write");
        return 1;
    }
    uint64_t rng = 42, sum = 0;
    /* 256 distinct random pages of [1 MiB, 9 MiB): 2048 frames, so each has its own slot
     * of the backend's direct-mapped 2048-page cache */
    for (int i = 0; i < NPAGES; i++) {
        pages[i] = (256 + ss_test_rand(&rng) % 2048) << 12;
        for (int j = 0; j < i; j++)
            if (pages[j] == pages[i]) {
                i--;
                break;
            }
    }
    for (int i = 0; i < NSMALL; i++)
        small_pa[i] = pages[ss_test_rand(&rng) % NPAGES] + (ss_test_rand(&rng) % 512) * 8;

    double cold[100], big[100], hot[100], rp[100], rs[100];
    unsigned long long rt0 = 0, rt_cold = 0, rt_big = 0;
    for (int r = 0; r < reps; r++) {
        ss_status st;
        if ((st = ss_kd_halt(kd)) != SS_OK)
            die("halt", kd, st);
        rt0 = ss_kd_round_trips(kd);
        cold[r] = read_pages(kd);
        rt_cold = ss_kd_round_trips(kd) - rt0;
        hot[r] = read_small(kd, &sum);
        if ((st = ss_kd_halt(kd)) != SS_OK)
            die("halt", kd, st);
        rt0 = ss_kd_round_trips(kd);
        double t = now();
        if ((st = ss_source_read(kd, 0x100000, buf, sizeof buf, NULL)) != SS_OK)
            die("1 MiB read", kd, st);
        big[r] = now() - t;
        rt_big = ss_kd_round_trips(kd) - rt0;
        rp[r] = read_pages(raw);
        rs[r] = read_small(raw, &sum);
    }
    double c = median(cold, reps), b = median(big, reps), h = median(hot, reps), p = median(rp, reps),
           s = median(rs, reps);
    printf("kd source: %s (%s); raw: %s; median of %d; checksum %" PRIx64 "\n\n",
           stub ? "fake gdbstub thread" : spec, stub ? "tests/support/fakestub.c" : "live stub",
           raw_path ? raw_path : "sample image as raw", reps, sum);
    printf("| workload | kd | raw file | raw / kd |\n|---|---|---|---|\n");
    printf("| cold 4 KiB page reads (256 random pages) | %.0f pages/s, %.2f MB/s (%.1f requests/page) | %.0f "
           "pages/s, "
           "%.0f MB/s | %.0f× |\n",
           NPAGES / c, NPAGES * 4096.0 / c / 1e6, (double)rt_cold / NPAGES, NPAGES / p,
           NPAGES * 4096.0 / p / 1e6, c / p);
    printf("| cold 1 MiB read (256 consecutive pages, pipelined) | %.2f MB/s (%llu requests) | — | — |\n",
           sizeof buf / b / 1e6, rt_big);
    printf("| cached 8-byte reads (same generation) | %.2f M reads/s | %.2f M reads/s | %.1f× |\n",
           NSMALL / h / 1e6, NSMALL / s / 1e6, h / s);
    ss_source_close(raw);
    ss_source_close(kd);
    fstub_stop(stub);
    ssb_free(img);
    return 0;
}
