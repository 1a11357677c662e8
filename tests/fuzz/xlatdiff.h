/*
 * Differential check of every cached / batched translation path against the
 * uncached full walk, shared by tests/test_xlat_diff.c (random page tables built
 * by the test) and tests/fuzz/fuzz_walk.c (page tables from the fuzzer's bytes).
 *
 * The reference is ss_space_walk() on a space without a cache: ss_translate()
 * (miss and hit), ss_translate_many(), ss_translate_range() and ss_space_read()
 * on a space with a deliberately tiny cache must give, VA by VA, the same status
 * and the same physical address (0 on failure), across root switches (and back),
 * and ss_space_read() must give the bytes ss_source_read() gives at the walked
 * addresses. Header-only (static functions) so the fuzz harness needs nothing
 * but the library.
 */
#ifndef SS_XLATDIFF_H
#define SS_XLATDIFF_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sessionspace.h"

typedef struct xd_report {
    char msg[512]; /* first mismatch */
    unsigned long checks;
} xd_report;

static int xd_fail(xd_report *r, const char *what, uint64_t va, uint64_t dtb, ss_status got, uint64_t got_pa,
                   ss_status want, uint64_t want_pa)
{
    snprintf(r->msg, sizeof r->msg, "%s: va %#llx dtb %#llx: got %s pa %#llx, the walk gives %s pa %#llx",
             what, (unsigned long long)va, (unsigned long long)dtb, ss_status_name(got),
             (unsigned long long)got_pa, ss_status_name(want), (unsigned long long)want_pa);
    return -1;
}

/* The reference answer for va: status and pa (0 unless SS_OK). */
static ss_status xd_ref(ss_space *walk, uint64_t va, uint64_t *pa)
{
    ss_xlat x;
    ss_status st = ss_space_walk(walk, va, &x);
    *pa = st == SS_OK ? x.pa : 0;
    return st;
}

/*
 * A translation is not a read: the walk's SS_XLAT_F_NOT_IN_SOURCE must be set
 * exactly when the source does not hold the whole 4 KiB frame of the answer (a
 * read of it says no_page or range; an I/O failure is a held page that failed).
 */
static int xd_in_source(xd_report *r, ss_space *walk, uint64_t va)
{
    static uint8_t frame[4096];
    ss_xlat x;
    if (ss_space_walk(walk, va, &x) != SS_OK)
        return 0;
    size_t n = 0;
    ss_status st = ss_source_read(ss_space_source(walk), x.pa & ~0xfffull, frame, sizeof frame, &n);
    int held = st != SS_E_NO_PAGE && st != SS_E_RANGE;
    r->checks++;
    if (held == !!(x.flags & SS_XLAT_F_NOT_IN_SOURCE))
        return xd_fail(r, "walk in_source flag (got: flags, want: frame read)", va, ss_space_dtb(walk),
                       (ss_status)x.flags, x.pa, st, x.pa);
    return 0;
}

static int xd_one(xd_report *r, ss_space *walk, ss_space *cached, uint64_t va, const char *what)
{
    uint64_t want_pa, pa = 0xdeadbeef;
    ss_status want = xd_ref(walk, va, &want_pa);
    ss_status st = ss_translate(cached, va, &pa);
    r->checks++;
    if (st != want || pa != want_pa) /* pa is 0 on failure (space.h) */
        return xd_fail(r, what, va, ss_space_dtb(walk), st, pa, want, want_pa);
    return xd_in_source(r, walk, va);
}

/* ss_translate_range(va, npages) against the walk of every page (wrapping at 2^64 as VAs do). */
static int xd_range(xd_report *r, ss_space *walk, ss_space *cached, uint64_t va, size_t npages, uint64_t *pas,
                    ss_status *sts)
{
    size_t ok = 0, want_ok = 0;
    if (ss_translate_range(cached, va, npages, pas, sts, &ok) != SS_OK)
        return xd_fail(r, "translate_range (call)", va, ss_space_dtb(walk), SS_E_INVALID_ARG, 0, SS_OK, 0);
    uint64_t page = va & ~0xfffull;
    for (size_t i = 0; i < npages; i++, page += 4096) {
        uint64_t want_pa;
        ss_status want = xd_ref(walk, page, &want_pa);
        want_ok += want == SS_OK;
        r->checks++;
        if (sts[i] != want || pas[i] != want_pa)
            return xd_fail(r, "translate_range", page, ss_space_dtb(walk), sts[i], pas[i], want, want_pa);
    }
    if (ok != want_ok)
        return xd_fail(r, "translate_range (count)", va, ss_space_dtb(walk), (ss_status)ok, 0, SS_OK,
                       want_ok);
    return 0;
}

/* ss_space_read against walk + ss_source_read, page by page. */
static int xd_read(xd_report *r, ss_space *walk, ss_space *cached, uint64_t va, size_t len, uint8_t *buf,
                   uint8_t *ref)
{
    size_t got = 0, want_n = 0;
    memset(buf, 0xa5, len);
    ss_status st = ss_space_read(cached, va, buf, len, &got), want = SS_OK;
    ss_source *src = ss_space_source(walk);
    while (want_n < len) {
        uint64_t cur = va + want_n, pa;
        size_t chunk = 4096 - (size_t)(cur & 4095);
        if (chunk > len - want_n)
            chunk = len - want_n;
        want = xd_ref(walk, cur, &pa);
        if (want != SS_OK)
            break;
        size_t n = 0;
        want = ss_source_read(src, pa, ref + want_n, chunk, &n);
        want_n += n;
        if (want == SS_E_RANGE) /* translated past the source's end: a page it does not hold */
            want = SS_E_NO_PAGE;
        if (want != SS_OK)
            break;
        if (cur + chunk < cur && want_n < len) { /* the next page would wrap past 2^64 */
            want = SS_E_NONCANONICAL;
            break;
        }
    }
    r->checks++;
    if (st != want || got != want_n)
        return xd_fail(r, "space_read (status, nread)", va, ss_space_dtb(walk), st, got, want, want_n);
    if (memcmp(buf, ref, got) != 0)
        return xd_fail(r, "space_read (bytes)", va, ss_space_dtb(walk), st, got, want, want_n);
    return 0;
}

/*
 * Runs every check for the VAs under each root in dtbs (then the roots again in
 * reverse, so cached answers of earlier roots are consulted). cache_entries is the
 * cached space's cache size (small sizes force evictions); ranges are at most
 * max_range pages (at most 4096). Returns 0, or -1 with
 * r->msg describing the first mismatch.
 */
static int xd_check(xd_report *r, ss_source *src, ss_mode mode, const uint64_t *dtbs, size_t ndtbs,
                    const uint64_t *vas, size_t nvas, uint32_t cache_entries, size_t max_range)
{
    ss_space_options wo = SS_SPACE_OPTIONS_INIT, co = SS_SPACE_OPTIONS_INIT;
    wo.no_cache = 1;
    co.cache_entries = cache_entries;
    ss_space *walk = NULL, *cached = NULL, *nocache = NULL;
    int rc = 0;
    r->msg[0] = 0;
    if (!ndtbs || ss_space_open(src, mode, dtbs[0], &wo, &walk) != SS_OK ||
        ss_space_open(src, mode, dtbs[0], &co, &cached) != SS_OK ||
        ss_space_open(src, mode, dtbs[0], &wo, &nocache) != SS_OK) {
        snprintf(r->msg, sizeof r->msg, "cannot open the spaces");
        rc = -1;
        goto out;
    }
    size_t cap = nvas > 4096 ? nvas : 4096;
    uint64_t *pas = malloc(cap * sizeof *pas);
    ss_status *sts = malloc(cap * sizeof *sts);
    uint8_t *buf = malloc(3 * 4096 + 64), *ref = malloc(3 * 4096 + 64);
    if (!pas || !sts || !buf || !ref) {
        snprintf(r->msg, sizeof r->msg, "out of memory");
        rc = -1;
        goto done;
    }
    for (size_t pass = 0; pass < 2 * ndtbs && rc == 0; pass++) {
        uint64_t dtb = pass < ndtbs ? dtbs[pass] : dtbs[2 * ndtbs - 1 - pass];
        if (ss_space_set_dtb(walk, dtb) != SS_OK || ss_space_set_dtb(cached, dtb) != SS_OK ||
            ss_space_set_dtb(nocache, dtb) != SS_OK) {
            snprintf(r->msg, sizeof r->msg, "set_dtb %#llx failed", (unsigned long long)dtb);
            rc = -1;
            break;
        }
        /* 4/5-level: a CR3 with a reserved bit (62:52) is refused and changes nothing */
        if ((mode == SS_MODE_X64 || mode == SS_MODE_LA57) &&
            (ss_space_set_dtb(cached, dtb | (1ull << (52 + pass % 11))) != SS_E_RESERVED_BIT ||
             ss_space_dtb(cached) != dtb)) {
            snprintf(r->msg, sizeof r->msg, "set_dtb %#llx with a reserved bit was not refused",
                     (unsigned long long)dtb);
            rc = -1;
            break;
        }
        /* one by one (misses, then hits of what the neighbours cached) */
        for (size_t i = 0; i < nvas && rc == 0; i++)
            rc = xd_one(r, walk, cached, vas[i], "translate");
        for (size_t i = nvas; i-- > 0 && rc == 0;)
            rc = xd_one(r, walk, cached, vas[i], "translate (again)");
        for (size_t i = 0; i < nvas && rc == 0; i++)
            rc = xd_one(r, walk, nocache, vas[i], "translate (no cache)");
        /* batch */
        size_t ok = 0;
        if (rc == 0 && nvas && ss_translate_many(cached, vas, nvas, pas, sts, &ok) == SS_OK) {
            size_t want_ok = 0;
            for (size_t i = 0; i < nvas && rc == 0; i++) {
                uint64_t want_pa;
                ss_status want = xd_ref(walk, vas[i], &want_pa);
                want_ok += want == SS_OK;
                r->checks++;
                if (sts[i] != want || pas[i] != want_pa)
                    rc = xd_fail(r, "translate_many", vas[i], dtb, sts[i], pas[i], want, want_pa);
            }
            if (rc == 0 && ok != want_ok)
                rc = xd_fail(r, "translate_many (count)", 0, dtb, (ss_status)ok, 0, SS_OK, want_ok);
        }
        /* ranges from some of the VAs (both spaces: with and without a cache) */
        for (size_t i = 0; i < nvas && rc == 0; i += 1 + nvas / 24) {
            size_t n = 1 + (size_t)((vas[i] >> 3) % (max_range < 4096 ? max_range : 4096));
            rc = xd_range(r, walk, (i & 1) ? nocache : cached, vas[i], n, pas, sts);
        }
        /* reads across page boundaries */
        for (size_t i = 0; i < nvas && rc == 0; i += 1 + nvas / 32) {
            size_t len = 1 + (size_t)((vas[i] >> 5) % (3 * 4096 + 63));
            rc = xd_read(r, walk, cached, vas[i], len, buf, ref);
        }
    }
done:
    free(pas);
    free(sts);
    free(buf);
    free(ref);
out:
    ss_space_close(walk);
    ss_space_close(cached);
    ss_space_close(nocache);
    return rc;
}

/* VAs at the edges every mode must handle: the canonical hole, 4 GiB, 2^64. */
static size_t xd_edge_vas(ss_mode mode, uint64_t *out)
{
    size_t n = 0;
    out[n++] = 0xfffffffffffff000ull; /* a range from here wraps to 0 */
    out[n++] = 0xffffffffffffeff8ull;
    out[n++] = 0xfffff000ull; /* 32-bit modes: crosses 4 GiB */
    out[n++] = 0xffffeffcull;
    if (mode == SS_MODE_X64) {
        out[n++] = 0x00007ffffffff000ull; /* crosses into the canonical hole */
        out[n++] = 0xffff7ffffffff000ull; /* out of the hole into the upper half */
    } else if (mode == SS_MODE_LA57) {
        out[n++] = 0x00fffffffffff000ull;
        out[n++] = 0xfeffffffffffe000ull;
    }
    return n;
}

#endif
