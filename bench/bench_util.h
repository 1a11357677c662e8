/*
 * Timing and statistics helpers every bench/bench_*.c shares: a monotonic (or
 * thread CPU) clock in seconds, a qsort comparator for doubles, a median, and the
 * "prog: message" exit for setup failures. Header-only (static inline), so a
 * benchmark that uses part of it stays -Wunused-function clean; include it after
 * defining _POSIX_C_SOURCE (clock_gettime).
 */
#ifndef SS_BENCH_UTIL_H
#define SS_BENCH_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Wall-clock seconds (CLOCK_MONOTONIC); only differences are meaningful. */
static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU seconds of the calling thread (CLOCK_THREAD_CPUTIME_ID): immune to the
 * other processes sharing the cores. */
static inline double bench_cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* qsort comparator for doubles, ascending. */
static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Sorts v[0..n) ascending in place. */
static inline void bench_sort(double *v, size_t n)
{
    qsort(v, n, sizeof *v, bench_cmp_double);
}

/* Median of v[0..n) (n >= 1; the mean of the middle two when n is even); sorts v. */
static inline double bench_median(double *v, int n)
{
    bench_sort(v, (size_t)n);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Prints "prog: what" to stderr and exits 1 (benchmark setup failed). */
static inline void bench_die(const char *prog, const char *what)
{
    fprintf(stderr, "%s: %s\n", prog, what);
    exit(1);
}

#endif
