/*
 * nt/where.c — "where is this address valid": one VA (or a range) translated under
 * every session's context, the frames compared, pages hashed (XXH3) where the frames
 * differ, and the consequence for breakpoints.
 */
#include <stdlib.h>
#include <string.h>
#define XXH_INLINE_ALL /* header-only, as cache/tcache.h uses it: nothing for consumers to link */
#include <xxhash.h>

#include "model.h"

const char *ss_nt_advice_name(ss_nt_advice advice)
{
    switch (advice) {
    case SS_NT_ADVICE_GLOBAL: return "global";
    case SS_NT_ADVICE_SHARED: return "shared";
    case SS_NT_ADVICE_PRIVATE: return "private";
    case SS_NT_ADVICE_USER: return "user";
    default: return "unmapped";
    }
}

const char *ss_nt_advice_text(ss_nt_advice advice)
{
    switch (advice) {
    case SS_NT_ADVICE_GLOBAL:
        return "kernel-global: one frame in every address space; a software breakpoint here is seen by every "
               "process in every session";
    case SS_NT_ADVICE_SHARED:
        return "one frame shared by every session that maps it: a software breakpoint here is seen by every "
               "session";
    case SS_NT_ADVICE_PRIVATE:
        return "different frames in different sessions: a software breakpoint hits only the session it is "
               "written "
               "in; use a hardware breakpoint, or set it in each session";
    case SS_NT_ADVICE_USER:
        return "a user address: every process has its own mapping; set the breakpoint in the process's "
               "context "
               "(.process /P)";
    default:
        return "no session maps this address (paged out, not loaded or not allocated): nothing to break on "
               "now";
    }
}

static int hash_page(ss_source *src, uint64_t pa, uint64_t *h)
{
    uint8_t buf[SS_PAGE_SIZE];
    const uint8_t *page;
    uint64_t base = pa & ~(uint64_t)(SS_PAGE_SIZE - 1);
    if (ss_source_page(src, base >> SS_PAGE_SHIFT, &page) == SS_OK) {
        *h = XXH3_64bits(page, SS_PAGE_SIZE);
        return 1;
    }
    if (ss_source_read(src, base, buf, sizeof buf, NULL) != SS_OK)
        return 0;
    *h = XXH3_64bits(buf, sizeof buf);
    return 1;
}

ss_status ss_nt_where_va(ss_nt *nt, uint64_t va, ss_nt_where_entry *entries, size_t cap, ss_nt_where *out)
{
    if (!nt || !out || (!entries && cap))
        return SS_E_INVALID_ARG;
    memset(out, 0, sizeof *out);
    out->va = va;
    ss_nt_region_of(nt, va, &out->region, NULL, NULL);
    uint64_t first_frame = 0, first_hash = 0;
    int frames_differ = 0, hashes_differ = 0, all_hashed = 1;
    for (size_t s = 0; s < nt->nsessions; s++) {
        const ss_nt_session *ss = &nt->sessions[s];
        if (ss->status != SS_OK)
            continue;
        ss_nt_where_entry e = {0};
        e.session = ss->id;
        ss_xlat x;
        if (ss_space_set_dtb(nt->tmp, ss->member_dtb) != SS_OK) {
            e.status = SS_E_INVALID_ARG;
            e.state = SS_XLAT_READ_ERROR;
        } else {
            e.status = ss_space_walk(nt->tmp, va, &x);
            e.state = x.state;
            if (e.status == SS_OK)
                e.pa = x.pa;
        }
        if (e.status == SS_OK) {
            uint64_t frame = e.pa >> SS_PAGE_SHIFT;
            if (out->ntranslated == 0)
                first_frame = frame;
            else if (frame != first_frame)
                frames_differ = 1;
            e.has_hash = hash_page(nt->src, e.pa, &e.hash);
            if (!e.has_hash)
                all_hashed = 0;
            else if (out->ntranslated == 0)
                first_hash = e.hash;
            else if (e.hash != first_hash)
                hashes_differ = 1;
            out->ntranslated++;
        }
        if (out->nsessions < cap)
            entries[out->nsessions] = e;
        out->nsessions++;
    }
    out->shared = out->ntranslated > 0 && !frames_differ;
    out->same_content = frames_differ && all_hashed && !hashes_differ;
    if (out->region == SS_NT_REGION_USER)
        out->advice = SS_NT_ADVICE_USER;
    else if (out->ntranslated == 0)
        out->advice = SS_NT_ADVICE_UNMAPPED;
    else if (frames_differ)
        out->advice = SS_NT_ADVICE_PRIVATE;
    else
        out->advice = out->region == SS_NT_REGION_SESSION ? SS_NT_ADVICE_SHARED : SS_NT_ADVICE_GLOBAL;
    return SS_OK;
}

ss_status ss_nt_where_range(ss_nt *nt, uint64_t va, uint64_t npages, ss_nt_where_range_stats *out)
{
    enum { CHUNK = SS_NT_RANGE_CHUNK };
    const uint64_t NO_FRAME = UINT64_MAX;
    if (!nt || !out)
        return SS_E_INVALID_ARG;
    memset(out, 0, sizeof *out);
    out->pages = npages;
    size_t ns = 0;
    for (size_t s = 0; s < nt->nsessions; s++)
        ns += nt->sessions[s].status == SS_OK;
    if (ns == 0 || npages == 0) {
        out->unmapped = npages;
        return SS_OK;
    }
    /* Buffers kept in the handle across calls (a range query is often repeated). */
    if (nt->range_ns < ns) {
        free(nt->range_buf);
        nt->range_ns = 0;
        nt->range_buf = malloc(ns * CHUNK * (sizeof(uint64_t) + sizeof(ss_status)) + ns * sizeof(size_t) +
                               CHUNK * (sizeof(uint64_t) + 1));
        if (!nt->range_buf)
            return SS_E_NOMEM;
        nt->range_ns = ns;
    }
    uint64_t *pas = nt->range_buf, *first = pas + ns * CHUNK;
    size_t *got = (size_t *)(first + CHUNK);
    ss_status *sts = (ss_status *)(got + ns);
    uint8_t *differ = (uint8_t *)(sts + ns * CHUNK);
    va &= ~(uint64_t)(SS_PAGE_SIZE - 1);
    for (uint64_t done = 0; done < npages;) {
        size_t n = npages - done < CHUNK ? (size_t)(npages - done) : CHUNK;
        uint64_t at = va + done * SS_PAGE_SIZE;
        size_t k = 0, total = 0;
        for (size_t s = 0; s < nt->nsessions; s++) {
            if (nt->sessions[s].status != SS_OK)
                continue;
            got[k] = 0;
            if (ss_space_set_dtb(nt->tmp, nt->sessions[s].member_dtb) != SS_OK) {
                for (size_t i = 0; i < n; i++)
                    sts[k * CHUNK + i] = SS_E_INVALID_ARG;
            } else {
                ss_translate_range(nt->tmp, at, n, pas + k * CHUNK, sts + k * CHUNK, &got[k]);
            }
            total += got[k];
            k++;
        }
        if (total == 0) { /* the usual case in a sparse region: nothing to compare */
            out->unmapped += n;
            done += n;
            continue;
        }
        /* Session-major over contiguous arrays: the first translating frame of each page,
           and whether a later session's frame differs from it. */
        for (size_t i = 0; i < n; i++) {
            first[i] = NO_FRAME;
            differ[i] = 0;
        }
        for (size_t s = 0; s < ns; s++) {
            if (got[s] == 0)
                continue;
            const uint64_t *pp = pas + s * CHUNK;
            const ss_status *ss = sts + s * CHUNK;
            for (size_t i = 0; i < n; i++) {
                if (ss[i] != SS_OK)
                    continue;
                uint64_t f = pp[i] >> SS_PAGE_SHIFT;
                out->translations++;
                if (first[i] == NO_FRAME)
                    first[i] = f;
                else
                    differ[i] |= f != first[i];
            }
        }
        for (size_t i = 0; i < n; i++) {
            if (first[i] == NO_FRAME)
                out->unmapped++;
            else if (differ[i])
                out->private_frames++;
            else
                out->shared++;
        }
        done += n;
    }
    return SS_OK;
}
