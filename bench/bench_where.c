/*
 * bench_where — the `where` range query (ss_nt_where_range: ss_translate_range under
 * every session's member DTB, then the frames compared page by page) in M pages/s,
 * beside its limit, one ss_translate_range over the same pages under one DTB.
 *
 * Image: the Windows-like generator (tests/support/ntimage.h, layout "test-tree": three
 * sessions) plus a dense window of session space mapped in every session: 16,384
 * 4 KiB pages (64 MiB of VA), even pages on one frame shared by all sessions, odd
 * pages on a frame per session. Written as a sparse raw file, opened with raw:.
 * Figures: the dense window, and the whole session-space region (one PML4 slot,
 * 512 GiB = 134,217,728 pages, almost all absent at the PDPT level).
 * Medians of --reps N runs (default 7).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "ntimage.h"
#include "sessionspace.h"
#include "testutil.h"

#define die(what) bench_die("bench_where", what)

#define DENSE_PAGES 16384u

/* One ss_translate_range pass over npages in chunks of 4,096 (what where_range does per session). */
static double time_single(ss_space *sp, uint64_t va, uint64_t npages, uint64_t *ok)
{
    enum { CHUNK = 4096 };
    static uint64_t pas[CHUNK];
    static ss_status sts[CHUNK];
    double t0 = bench_now();
    uint64_t good = 0;
    for (uint64_t done = 0; done < npages;) {
        size_t n = npages - done < CHUNK ? (size_t)(npages - done) : CHUNK, got = 0;
        ss_translate_range(sp, va + done * 4096, n, pas, sts, &got);
        good += got;
        done += n;
    }
    *ok = good;
    return bench_now() - t0;
}

int main(int argc, char **argv)
{
    int reps = 7;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc)
            reps = atoi(argv[++i]);
        else
            die("usage: bench_where [--reps N]");
    }
    if (reps < 1 || reps > 101)
        die("--reps must be 1..101");

    ss_nt_profile prof;
    ssb_nt_truth t;
    ssb_nt_test_profile(0, &prof);
    ssb_image *img = ssb_nt_build(&prof, 7, 0, &t);
    if (!img)
        die("cannot build the image");
    /* The dense window: mapped through each session's first member (the session's
       PML4 entry and tables are shared by its members). */
    uint64_t window = t.session_start + 0x40000000ull;
    for (size_t s = 0; s < t.nsessions; s++) {
        uint64_t root = 0;
        for (size_t i = 0; i < t.nprocs; i++)
            if (t.procs[i].pid == t.sessions[s].members[0])
                root = t.procs[i].dtb;
        for (uint64_t p = 0; p < DENSE_PAGES; p++) {
            uint64_t pa = (p & 1) ? ((16 + 8 * s) << 20) + (p % 2048) * 4096 : (p % 2048) * 4096;
            if (ssb_map(img, root, window + p * 4096, pa, 4096, SSB_RW) != 0)
                die("cannot map the dense window");
        }
    }
    ss_source *src = ss_test_open_raw(img, "bench_where.raw");
    if (!src)
        die("cannot write / open the raw image");
    remove(ss_test_path("bench_where.raw")); /* the open mapping keeps it alive */
    ss_nt_options o = SS_NT_OPTIONS_INIT;
    prof.sym_ps_active_process_head = t.rva_ps_active_process_head;
    o.profile = &prof;
    o.dtb = t.system_dtb;
    o.mode = SS_MODE_X64;
    ss_nt *nt = NULL;
    ss_error err = {0};
    if (ss_nt_open(src, &o, &nt, &err) != SS_OK)
        die(err.message);
    ss_space *one = NULL;
    if (ss_nt_session_space(nt, 1, &one, &err) != SS_OK)
        die(err.message);

    const struct {
        const char *name;
        uint64_t va, pages;
    } runs[] = {
        {"dense window (64 MiB, every page mapped)", window, DENSE_PAGES},
        {"whole session-space slot (512 GiB)", t.session_start, (t.session_end - t.session_start) / 4096},
    };
    printf(
        "| range | pages | `ss_translate_range`, one DTB: M pages/s | `where` range, %zu sessions: M pages/s "
        "| M translations/s | shared / private / unmapped pages |\n|---|---:|---:|---:|---:|---|\n",
        ss_nt_session_count(nt));
    for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
        double ts[101], tw[101];
        uint64_t ok = 0;
        ss_nt_where_range_stats st;
        int n = runs[r].pages > 1000000 ? (reps < 3 ? reps : 3) : reps;
        time_single(one, runs[r].va, runs[r].pages, &ok); /* warm-up */
        for (int i = 0; i < n; i++)
            ts[i] = time_single(one, runs[r].va, runs[r].pages, &ok);
        ss_nt_where_range(nt, runs[r].va, runs[r].pages, &st);
        for (int i = 0; i < n; i++) {
            double t0 = bench_now();
            if (ss_nt_where_range(nt, runs[r].va, runs[r].pages, &st) != SS_OK)
                die("where_range failed");
            tw[i] = bench_now() - t0;
        }
        bench_sort(ts, (size_t)n);
        bench_sort(tw, (size_t)n);
        double ms = ts[n / 2], mw = tw[n / 2]; /* the median (the upper one when n is even) */
        printf("| %s | %llu | %.1f | %.1f | %.1f | %llu / %llu / %llu |\n", runs[r].name,
               (unsigned long long)runs[r].pages, runs[r].pages / ms / 1e6, runs[r].pages / mw / 1e6,
               runs[r].pages * (double)ss_nt_session_count(nt) / mw / 1e6, (unsigned long long)st.shared,
               (unsigned long long)st.private_frames, (unsigned long long)st.unmapped);
    }
    printf("\nmedian of %d runs (at most 3 for the whole slot)\n", reps);
    ss_space_close(one);
    ss_nt_close(nt);
    ss_source_close(src);
    ssb_free(img);
    return 0;
}
