/*
 * bench_live: read and translation figures of the live vmi: backend beside the raw
 * file's, in the same run, on the same file (see bench/README.md, "bench_live").
 *
 * One 256 MiB x86-64 physical memory (the real-guest test's size) is built with the
 * test-support image builder: 4,096 4 KiB pages of kernel VA mapped onto scattered
 * frames, written as a raw file in $TMPDIR and opened as
 *   raw:PATH                        the dump route (no generation)
 *   vmi:PATH                        live, one run from 0 (flat)
 *   vmi:PATH,run=..,run=..          live, two runs (the walk and reads search runs)
 *   vmi:PATH,interval=10            live, the generation also advances every 10 ms
 * Per source, median of --reps passes: 8-byte ss_source_read at 1,000,000 random
 * aligned addresses; 4 KiB ss_source_read of 200,000 random pages; 1,000,000 cached
 * ss_translate over the 4,096-page working set; the same with
 * ss_source_bump_generation every 1,000 translations (the cost of invalidation).
 * Times are the thread's CPU time (CLOCK_THREAD_CPUTIME_ID).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "imagebuilder.h"
#include "sessionspace.h"
#include "testutil.h"

#define die(what) bench_die("bench_live", what)

#define PHYS       (256ull << 20)
#define TABLE_BASE (1ull << 20)
#define NPAGES     4096u
#define VA_BASE    0xffffa00000000000ull
#define N_SMALL    1000000u
#define N_PAGES    200000u
#define N_XLAT     1000000u

static uint64_t rng = 0x9E3779B97F4A7C15ull;

/* Thread CPU time: the machine this runs on is shared, and a pass that loses the CPU
 * to another process would otherwise count the other process's time. */
static uint64_t *small_pas, *page_pas, *vas;
static volatile uint64_t sink;

typedef enum { SMALL, PAGE, XLAT, XLAT_BUMP } job;

/* Seconds for one pass of j over src (space for the translation jobs). */
static double pass(job j, ss_source *src, ss_space *sp)
{
    uint64_t sum = 0;
    static uint8_t buf[4096];
    double t0 = bench_cpu_now();
    switch (j) {
    case SMALL:
        for (unsigned i = 0; i < N_SMALL; i++) {
            uint64_t v;
            if (ss_source_read(src, small_pas[i], &v, 8, NULL) != SS_OK)
                die("8-byte read failed");
            sum += v;
        }
        break;
    case PAGE:
        for (unsigned i = 0; i < N_PAGES; i++) {
            if (ss_source_read(src, page_pas[i], buf, sizeof buf, NULL) != SS_OK)
                die("4 KiB read failed");
            sum += buf[i & 4095];
        }
        break;
    case XLAT:
    case XLAT_BUMP:
        for (unsigned i = 0; i < N_XLAT; i++) {
            uint64_t pa;
            if (j == XLAT_BUMP && i % 1000 == 0)
                ss_source_bump_generation(src);
            if (ss_translate(sp, vas[i], &pa) != SS_OK)
                die("translation failed");
            sum += pa;
        }
        break;
    }
    double t = bench_cpu_now() - t0;
    sink += sum;
    return t;
}

static double median(job j, ss_source *src, ss_space *sp, int reps)
{
    double t[64];
    pass(j, src, sp); /* warm-up */
    for (int r = 0; r < reps; r++)
        t[r] = pass(j, src, sp);
    bench_sort(t, (size_t)reps);
    return t[reps / 2];
}

int main(int argc, char **argv)
{
    int reps = 7;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc)
            reps = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_live [--reps N]\n");
            return 2;
        }
    }
    if (reps < 1 || reps > 64)
        die("--reps must be 1..64");

    ssb_image *img = ssb_new(SS_MODE_X64, PHYS, TABLE_BASE);
    if (!img)
        die("ssb_new");
    uint64_t cr3 = ssb_new_root(img);
    uint64_t frames[NPAGES];
    for (unsigned p = 0; p < NPAGES; p++) {
        /* scattered frames above the tables: 16 MiB .. 256 MiB */
        frames[p] = (16ull << 20) / 4096 + (ss_test_rand(&rng) % ((PHYS - (16ull << 20)) / 4096));
        if (ssb_map(img, cr3, VA_BASE + (uint64_t)p * 4096, frames[p] * 4096, 4096, SSB_RW) != 0)
            die("ssb_map");
    }
    uint64_t marker = 0x1122334455667788ull;
    for (unsigned p = 0; p < NPAGES; p++)
        ssb_write(img, frames[p] * 4096 + 8, &marker, 8);
    ssb_write(img, PHYS - 4096, &marker, 8); /* the file's full length */
    char path[512];
    const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(path, sizeof path, "%s/bench_live.%d.ram", dir, (int)getpid());
    if (ssb_write_raw(img, path) != 0)
        die("ssb_write_raw");

    small_pas = malloc(N_SMALL * sizeof *small_pas);
    page_pas = malloc(N_PAGES * sizeof *page_pas);
    vas = malloc(N_XLAT * sizeof *vas);
    if (!small_pas || !page_pas || !vas)
        die("out of memory");
    for (unsigned i = 0; i < N_SMALL; i++)
        small_pas[i] = (ss_test_rand(&rng) % (PHYS / 8)) * 8;
    for (unsigned i = 0; i < N_PAGES; i++)
        page_pas[i] = (ss_test_rand(&rng) % (PHYS / 4096)) * 4096;
    for (unsigned i = 0; i < N_XLAT; i++)
        vas[i] = VA_BASE + (ss_test_rand(&rng) % NPAGES) * 4096 + ss_test_rand(&rng) % 4096;

    char two_runs[700], interval[700];
    snprintf(two_runs, sizeof two_runs, "vmi:%s,run=0:0:0x8000000,run=0x8000000:0x8000000:0x8000000", path);
    snprintf(interval, sizeof interval, "vmi:%s,interval=10", path);
    char raw[600], vmi[600];
    snprintf(raw, sizeof raw, "raw:%s", path);
    snprintf(vmi, sizeof vmi, "vmi:%s", path);
    struct {
        const char *label, *spec;
    } rows[] = {
        {"raw: (file, no generation)", raw},
        {"vmi: (one run, flat)", vmi},
        {"vmi: two runs", two_runs},
        {"vmi: interval=10", interval},
    };

    printf("bench_live: %u 8-byte reads, %u 4 KiB reads, %u cached translations (4,096-page working set) "
           "per pass; median of %d passes, thread CPU time\n\n",
           N_SMALL, N_PAGES, N_XLAT, reps);
    printf(
        "| source | 8-byte reads (M/s) | 4 KiB reads (k/s) | 4 KiB reads (MB/s) | cached translations (M/s) "
        "| translations, bump every 1,000 (M/s) |\n|---|---|---|---|---|---|\n");
    for (size_t r = 0; r < sizeof rows / sizeof *rows; r++) {
        ss_source *src;
        ss_space *sp;
        ss_error err;
        if (ss_source_open(rows[r].spec, &src, &err) != SS_OK) {
            fprintf(stderr, "%s: %s\n", rows[r].spec, err.message);
            return 1;
        }
        if (ss_space_open(src, SS_MODE_X64, cr3, NULL, &sp) != SS_OK)
            die("ss_space_open");
        double small = median(SMALL, src, sp, reps);
        double page = median(PAGE, src, sp, reps);
        double xl = median(XLAT, src, sp, reps);
        char bump[32] = "– (no generation)";
        if (ss_source_bump_generation(src) == SS_OK)
            snprintf(bump, sizeof bump, "%.1f", N_XLAT / median(XLAT_BUMP, src, sp, reps) / 1e6);
        printf("| %s | %.1f | %.0f | %.0f | %.1f | %s |\n", rows[r].label, N_SMALL / small / 1e6,
               N_PAGES / page / 1e3, N_PAGES * 4096.0 / page / 1e6, N_XLAT / xl / 1e6, bump);
        fflush(stdout);
        ss_space_close(sp);
        ss_source_close(src);
    }
    unlink(path);
    ssb_free(img);
    free(small_pas);
    free(page_pas);
    free(vas);
    return 0;
}
