/*
 * nt/pml4.c — x64 top-level tables read and compared by frame (pml4.h).
 *
 * Windows gives every process its own PML4 and copies the kernel-half entries into
 * it, so kernel-global space is the same PDPT frame in every process. Session space
 * is not: each session has its own PDPT(s) for the session-space slot(s), and every
 * process of the session points at them (MiSessionCreate / MiSessionAddProcess copy
 * the session's top-level entries into the new process). Per-process regions
 * (hyperspace: the working-set list) get a PDPT of their own in every process. So,
 * looking only at the frames each slot names in each table:
 *   same frame everywhere            -> kernel-global;
 *   some frame shared by >= 2 tables -> session space (equal within, different between);
 *   every frame in one table only    -> per-process.
 * With the sessions known (labels), "equal within" and "different between" are
 * checked directly. On Windows 10 1607+ the session-space slot is randomized (as the
 * self-map slot is); this is how it is found from the page tables themselves.
 */
#include "pml4.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

ss_status ss_pml4_read(ss_source *src, uint64_t dtb, uint64_t entries[512])
{
    return ss_source_read(src, dtb & SS_PML4_FRAME, entries, SS_PML4_ENTRIES * 8, NULL);
}

ss_status ss_pml4_load(ss_source *src, const uint64_t *dtbs, size_t n, uint64_t **keys)
{
    *keys = NULL;
    if (n > SIZE_MAX / (SS_PML4_ENTRIES * sizeof(uint64_t)))
        return SS_E_INVALID_ARG;
    uint64_t *k = malloc((n ? n : 1) * SS_PML4_ENTRIES * sizeof *k);
    if (!k)
        return SS_E_NOMEM;
    for (size_t i = 0; i < n; i++) {
        uint64_t *row = k + i * SS_PML4_ENTRIES;
        ss_status st = ss_pml4_read(src, dtbs[i], row);
        if (st != SS_OK) {
            free(k);
            return st;
        }
        for (unsigned s = 0; s < SS_PML4_ENTRIES; s++)
            row[s] = ss_pml4_key(row[s], dtbs[i]);
    }
    *keys = k;
    return SS_OK;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

ss_status ss_pml4_session_columns(const uint64_t *keys, size_t n, size_t width, const uint32_t *labels,
                                  uint8_t *session)
{
    /* rep[i]: the first row with row i's label; heads[0 .. nheads): one row per label */
    size_t *rep = malloc((n ? n : 1) * sizeof *rep), *heads = malloc((n ? n : 1) * sizeof *heads);
    if (!rep || !heads) {
        free(rep);
        free(heads);
        return SS_E_NOMEM;
    }
    size_t nheads = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l = 0;
        while (l < nheads && labels[heads[l]] != labels[i])
            l++;
        if (l == nheads)
            heads[nheads++] = i;
        rep[i] = heads[l];
    }
    for (size_t c = 0; c < width; c++) {
        bool ok = true, differ = false;
        for (size_t i = 0; i < n && ok; i++) {
            uint64_t k = keys[i * width + c];
            ok = k != 0 && k == keys[rep[i] * width + c];
        }
        for (size_t l = 1; l < nheads && ok && !differ; l++)
            differ = keys[heads[l] * width + c] != keys[heads[0] * width + c];
        session[c] = ok && differ;
    }
    free(rep);
    free(heads);
    return SS_OK;
}

ss_status ss_pml4_classify(const uint64_t *keys, size_t n, const uint32_t *labels, uint8_t kinds[512])
{
    uint64_t *column = malloc((n ? n : 1) * sizeof *column);
    uint8_t session[SS_PML4_ENTRIES];
    if (!column || (labels && ss_pml4_session_columns(keys, n, SS_PML4_ENTRIES, labels, session) != SS_OK)) {
        free(column);
        return SS_E_NOMEM;
    }
    for (unsigned s = 0; s < SS_PML4_ENTRIES; s++) {
        if (s < SS_PML4_HALF) {
            kinds[s] = SS_SLOT_USER;
            continue;
        }
        bool self = false, all_same = true, any = false;
        uint64_t k0 = n ? keys[s] : 0;
        for (size_t i = 0; i < n; i++) {
            uint64_t k = keys[i * SS_PML4_ENTRIES + s];
            column[i] = k;
            self |= k == SS_PML4_SELF;
            any |= k != 0;
            all_same &= k == k0;
        }
        if (self)
            kinds[s] = SS_SLOT_SELF_MAP;
        else if (!any)
            kinds[s] = SS_SLOT_UNUSED;
        else if (all_same)
            kinds[s] = SS_SLOT_GLOBAL;
        else if (labels)
            kinds[s] = session[s] ? SS_SLOT_SESSION : SS_SLOT_PRIVATE;
        else {
            qsort(column, n, sizeof *column, cmp_u64);
            bool shared = false;
            for (size_t i = 1; i < n && !shared; i++)
                shared = column[i] != 0 && column[i] == column[i - 1];
            kinds[s] = shared ? SS_SLOT_SESSION : SS_SLOT_PRIVATE;
        }
    }
    free(column);
    return SS_OK;
}
